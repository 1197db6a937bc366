// FunctionRunner: the pool (reuse, concurrency, throttling, queueing), idle reaping, hot
// reload and redefinition, logs and results. Instances run fakeruntime.py through a runtime
// plugin registered in-process.
#include "base/clock.h"
#include "base/json.h"
#include "functions/functionrunner.h"
#include "functions/runtimeregistry.h"

#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace tarmac;

namespace {

class FakePlugin : public RuntimePlugin
{
public:
    QString program;
    QString script;
    int launches = 0;
    QString key() const override { return QStringLiteral("fake"); }
    QStringList runtimes() const override { return {QStringLiteral("fake*")}; }
    Result<RuntimeLaunch> launch(const RuntimeLaunchRequest &request) override
    {
        ++launches;
        if (request.handler == QLatin1String("broken"))
            return makeError(
                QStringLiteral("Runtime.InvalidEntrypoint"), QStringLiteral("no such thing"));
        RuntimeLaunch l;
        l.program = program;
        l.arguments = {script};
        l.environment.insert(QStringLiteral("PYTHONUNBUFFERED"), QStringLiteral("1"));
        return l;
    }
};

struct Results
{
    QList<DeliveryResult> all;
    std::function<void(const DeliveryResult &)> collector()
    {
        return [this](const DeliveryResult &r) { all.append(r); };
    }
};

bool alive(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (pid <= 0 || !stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray s = stat.readAll();
    return s.mid(s.lastIndexOf(')') + 2, 1) != "Z";
}

qint64 pidOf(const DeliveryResult &r)
{
    auto doc = parseJson(r.payload);
    return doc && doc->contains("pid") ? (*doc)["pid"].get<qint64>() : 0;
}

} // namespace

class TestFunctionRunner : public QObject
{
    Q_OBJECT
private:
    FakePlugin m_plugin;
    RuntimeRegistry m_registry;
    SystemClock m_clock;
    QTemporaryDir m_state;
    QTemporaryDir m_code;

    std::unique_ptr<FunctionRunner> makeRunner(int idleMs = 60'000, int defaultConcurrency = 10)
    {
        FunctionRunner::Options o;
        o.runtimeRoot = m_state.filePath(QStringLiteral("runtimes"));
        o.idleTimeoutMs = idleMs;
        o.defaultConcurrency = defaultConcurrency;
        o.edgeUrl = QUrl(QStringLiteral("http://127.0.0.1:1"));
        return std::make_unique<FunctionRunner>(&m_registry, nullptr, &m_clock, o);
    }

    FunctionConfig config(const QString &name = QStringLiteral("fn"))
    {
        FunctionConfig c;
        c.name = name;
        c.runtime = QStringLiteral("fake1");
        c.handler = QStringLiteral("x.y");
        c.codeDir = m_code.path();
        return c;
    }

    Delivery delivery(Results &results, const QByteArray &payload = "{}", bool async = false,
        const QString &name = QStringLiteral("fn"))
    {
        Delivery d;
        d.functionName = name;
        d.payload = payload;
        d.async = async;
        d.done = results.collector();
        return d;
    }

private slots:
    void initTestCase()
    {
        const QString found = QStandardPaths::findExecutable(QStringLiteral("python3"));
        if (found.isEmpty())
            QSKIP("python3 is not on PATH");
        QProcess probe;
        probe.start(
            found, {QStringLiteral("-c"), QStringLiteral("import sys; print(sys.executable)")});
        QVERIFY(probe.waitForFinished(20'000));
        m_plugin.program = QString::fromLocal8Bit(probe.readAllStandardOutput().trimmed());
        m_plugin.script = qEnvironmentVariable("TARMAC_SOURCE_DIR")
            + QStringLiteral("/tests/unit/functions/fakeruntime.py");
        QVERIFY(QFile::exists(m_plugin.script));
        m_registry.add(&m_plugin);
    }

    void refusesBadDefinitions()
    {
        auto runner = makeRunner();
        FunctionConfig c = config(QStringLiteral("bad name!"));
        QCOMPARE(runner->defineFunction(c).error().code,
            QStringLiteral("InvalidParameterValueException"));
        c = config();
        c.runtime = QStringLiteral("cobol");
        QVERIFY(runner->defineFunction(c).error().message.contains(QStringLiteral("fake*")));
        c = config();
        c.codeDir = m_code.filePath(QStringLiteral("missing"));
        QVERIFY(!runner->defineFunction(c));
        Results results;
        runner->deliver(delivery(results, "{}", false, QStringLiteral("nope")));
        QCOMPARE(results.all.size(), 1);
        QVERIFY(!results.all[0].delivered);
        QCOMPARE(results.all[0].errorType, QStringLiteral("ResourceNotFoundException"));
    }

    void reusesAWarmInstanceAndLogsLikeLambda()
    {
        auto runner = makeRunner();
        QSignalSpy logs(runner.get(), &FunctionRunner::logRecorded);
        QVERIFY(runner->defineFunction(config()));
        Results results;
        for (int i = 0; i < 3; ++i) {
            runner->deliver(delivery(results, "{\"i\":" + QByteArray::number(i) + "}"));
            QTRY_COMPARE_WITH_TIMEOUT(results.all.size(), i + 1, 10'000);
            QVERIFY(results.all[i].delivered);
            QVERIFY(!results.all[i].functionError);
        }
        QCOMPARE(pidOf(results.all[0]), pidOf(results.all[2]));
        QCOMPARE(runner->instances().size(), 1);
        QCOMPARE(runner->instances().first().invocations, 3);

        // START, the function's line, END, REPORT; Init Duration on the cold one only.
        QStringList reports;
        for (const auto &args : logs) {
            const auto record = args.first().value<LogRecord>();
            if (record.text.startsWith(QLatin1String("REPORT")))
                reports.append(record.text);
        }
        QCOMPARE(reports.size(), 3);
        QVERIFY(reports[0].contains(QLatin1String("Init Duration:")));
        QVERIFY(!reports[1].contains(QLatin1String("Init Duration:")));
        QVERIFY(reports[2].contains(QLatin1String("Memory Size: 128 MB")));
        const QByteArray tail = results.all[2].logTail;
        QVERIFY(tail.startsWith(QByteArray("START RequestId: " + results.all[2].requestId)));
        QVERIFY(tail.contains(QByteArray("got " + results.all[2].requestId)));
        QVERIFY(tail.contains(QByteArray("REPORT RequestId: " + results.all[2].requestId)));
    }

    void concurrencyThrottlesSynchronousAndQueuesAsynchronous()
    {
        auto runner = makeRunner();
        FunctionConfig c = config();
        c.reservedConcurrency = 1;
        QVERIFY(runner->defineFunction(c));
        Results slow, sync, async;
        runner->deliver(delivery(slow, "{\"sleep\": 0.6, \"pidfile\": \"/dev/null\"}"));
        QTRY_VERIFY_WITH_TIMEOUT(!runner->instances().isEmpty()
                && runner->instances().first().state == FunctionInstance::State::Invoking,
            10'000);
        runner->deliver(delivery(sync));
        QCOMPARE(sync.all.size(), 1); // at once, not after the slow one
        QVERIFY(!sync.all[0].delivered);
        QCOMPARE(sync.all[0].errorType, QStringLiteral("TooManyRequestsException"));
        runner->deliver(delivery(async, "{\"queued\": true}", true));
        QCOMPARE(async.all.size(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(async.all.size(), 1, 10'000);
        QCOMPARE(slow.all.size(), 1);
        QVERIFY(async.all[0].delivered);
        QCOMPARE(pidOf(async.all[0]), pidOf(slow.all[0])); // it waited for the one instance
        QCOMPARE(runner->instances().size(), 1);

        c.reservedConcurrency = 0;
        QVERIFY(runner->defineFunction(c));
        Results none;
        runner->deliver(delivery(none));
        QTRY_COMPARE(none.all.size(), 1);
        QCOMPARE(none.all[0].errorType, QStringLiteral("TooManyRequestsException"));
    }

    // Without reserved concurrency Lambda would scale on: at the local limit on instances a
    // synchronous call waits for one rather than being throttled.
    void theLocalLimitQueuesSynchronousCalls()
    {
        auto runner = makeRunner(60'000, 1);
        QVERIFY(runner->defineFunction(config()));
        Results slow, sync;
        runner->deliver(delivery(slow, "{\"sleep\": 0.4, \"pidfile\": \"/dev/null\"}"));
        QTRY_VERIFY_WITH_TIMEOUT(!runner->instances().isEmpty()
                && runner->instances().first().state == FunctionInstance::State::Invoking,
            10'000);
        runner->deliver(delivery(sync));
        QCOMPARE(sync.all.size(), 0); // waiting, not refused
        QTRY_COMPARE_WITH_TIMEOUT(sync.all.size(), 1, 10'000);
        QVERIFY(sync.all[0].delivered);
        QCOMPARE(pidOf(sync.all[0]), pidOf(slow.all[0]));
        QCOMPARE(runner->instances().size(), 1);
    }

    void concurrentDeliveriesGetTheirOwnInstances()
    {
        auto runner = makeRunner();
        QVERIFY(runner->defineFunction(config()));
        Results results;
        for (int i = 0; i < 3; ++i)
            runner->deliver(delivery(results, "{\"sleep\": 0.3, \"pidfile\": \"/dev/null\"}"));
        QTRY_COMPARE_WITH_TIMEOUT(results.all.size(), 3, 15'000);
        QSet<qint64> pids;
        for (const auto &r : results.all)
            pids.insert(pidOf(r));
        QCOMPARE(pids.size(), 3);
    }

    void idleInstancesAreReaped()
    {
        auto runner = makeRunner(300);
        QVERIFY(runner->defineFunction(config()));
        Results results;
        runner->deliver(delivery(results));
        QTRY_COMPARE_WITH_TIMEOUT(results.all.size(), 1, 10'000);
        const qint64 pid = pidOf(results.all[0]);
        QVERIFY(pid > 0);
        QTRY_VERIFY_WITH_TIMEOUT(runner->instances().isEmpty(), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(!alive(pid), 3000);
        runner->deliver(delivery(results)); // and a new one starts on demand
        QTRY_COMPARE_WITH_TIMEOUT(results.all.size(), 2, 10'000);
        QVERIFY(pidOf(results.all[1]) != pid);
    }

    void redefinitionAndHotReloadReplaceInstances()
    {
        auto runner = makeRunner();
        FunctionConfig c = config();
        c.watchCode = true;
        c.environment.insert(QStringLiteral("FAKE_ENV"), QStringLiteral("one"));
        QFile file(m_code.filePath(QStringLiteral("handler.txt")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("v1");
        file.close();
        QVERIFY(runner->defineFunction(c));
        QVERIFY(runner->defineFunction(c)); // unchanged: nothing happens
        Results results;
        runner->deliver(delivery(results));
        QTRY_COMPARE_WITH_TIMEOUT(results.all.size(), 1, 10'000);
        const qint64 first = pidOf(results.all[0]);

        // A new configuration: new invocations get a new instance; the old one goes.
        c.environment.insert(QStringLiteral("FAKE_ENV"), QStringLiteral("two"));
        QVERIFY(runner->defineFunction(c));
        runner->deliver(delivery(results));
        QTRY_COMPARE_WITH_TIMEOUT(results.all.size(), 2, 10'000);
        const qint64 second = pidOf(results.all[1]);
        QVERIFY(second != first);
        QCOMPARE(
            (*parseJson(results.all[1].payload))["env"].get<std::string>(), std::string("two"));
        QTRY_VERIFY_WITH_TIMEOUT(!alive(first), 3000);

        // A file under the code folder changes: hot reload.
        QTest::qWait(50);
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write("v2");
        file.close();
        QTRY_VERIFY_WITH_TIMEOUT(!alive(second), 5000);
        runner->deliver(delivery(results));
        QTRY_COMPARE_WITH_TIMEOUT(results.all.size(), 3, 10'000);
        QVERIFY(pidOf(results.all[2]) != second);
    }

    void launchErrorsAreFunctionErrors()
    {
        auto runner = makeRunner();
        FunctionConfig c = config();
        c.handler = QStringLiteral("broken");
        QVERIFY(runner->defineFunction(c));
        Results results;
        runner->deliver(delivery(results));
        QTRY_COMPARE(results.all.size(), 1);
        QVERIFY(results.all[0].delivered);
        QVERIFY(results.all[0].functionError);
        QCOMPARE(results.all[0].errorType, QStringLiteral("Runtime.InvalidEntrypoint"));
        QVERIFY(results.all[0].payload.contains("no such thing"));
    }

    void removeAndStopAll()
    {
        auto runner = makeRunner();
        QVERIFY(runner->defineFunction(config()));
        Results results;
        runner->deliver(delivery(results, "{\"sleep\": 30, \"pidfile\": \"/dev/null\"}"));
        QTRY_VERIFY_WITH_TIMEOUT(!runner->instances().isEmpty()
                && runner->instances().first().state == FunctionInstance::State::Invoking,
            10'000);
        const qint64 pid = runner->instances().first().pid;
        runner->removeFunction(QStringLiteral("fn"));
        QVERIFY(!runner->function(QStringLiteral("fn")));
        Results after;
        runner->deliver(delivery(after));
        QCOMPARE(after.all.first().errorType, QStringLiteral("ResourceNotFoundException"));
        runner->stopAll();
        QCOMPARE(results.all.size(), 1);
        QCOMPARE(results.all[0].errorType, QStringLiteral("Runtime.Stopped"));
        QVERIFY(!alive(pid));
        Results late;
        runner->deliver(delivery(late));
        QVERIFY(!late.all.first().delivered);
    }
};

QTEST_GUILESS_MAIN(TestFunctionRunner)
#include "tst_functionrunner.moc"
