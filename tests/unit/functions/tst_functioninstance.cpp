// FunctionInstance: the state machine over QProcess, driven by a small real runtime
// (fakeruntime.py) so that every transition is the one a real process causes.
#include "functions/functioninstance.h"

#include <QDir>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace tarmac;
using State = FunctionInstance::State;

Q_DECLARE_METATYPE(tarmac::FunctionInstance::State)

namespace {

bool processAlive(qint64 pid)
{
    if (pid <= 0 || ::kill(pid_t(pid), 0) != 0)
        return false;
    // A zombie is dead for our purposes.
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray s = stat.readAll();
    const qsizetype close = s.lastIndexOf(')');
    return close < 0 || s.mid(close + 2, 1) != "Z";
}

} // namespace

class TestFunctionInstance : public QObject
{
    Q_OBJECT
private:
    QString m_python;
    QString m_script;
    QTemporaryDir m_dir;

    std::unique_ptr<FunctionInstance> make(
        const QString &mode, int memoryMb = 128, int startupMs = 10'000)
    {
        FunctionConfig config;
        config.name = QStringLiteral("fake");
        config.runtime = QStringLiteral("provided");
        config.codeDir = m_dir.path();
        config.memoryMb = memoryMb;
        RuntimeLaunch launch;
        launch.program = m_python;
        launch.arguments = {m_script};
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MODE"), mode);
        env.insert(QStringLiteral("PYTHONUNBUFFERED"), QStringLiteral("1"));
        FunctionInstance::Options options;
        options.startupTimeoutMs = startupMs;
        return std::make_unique<FunctionInstance>("test", config, launch, env, options);
    }

    FunctionInstance::Invocation invocation(const QByteArray &payload, int timeoutMs = 5000)
    {
        static int n = 0;
        FunctionInstance::Invocation inv;
        inv.requestId = "req-" + QByteArray::number(++n);
        inv.payload = payload;
        inv.invokedFunctionArn = "arn:aws:lambda:us-east-1:000000000000:function:fake";
        inv.traceHeader
            = "Root=1-00000000-000000000000000000000001;Parent=0000000000000001;Sampled=1";
        inv.deadlineMs = 1'700'000'000'000;
        inv.timeoutMs = timeoutMs;
        return inv;
    }

    // Sends one request to the instance's Runtime API while the event loop runs.
    std::pair<int, QByteArray> call(FunctionInstance &instance, const QByteArray &method,
        const QString &path, const QByteArray &body = {})
    {
        QNetworkAccessManager nam;
        QNetworkRequest request(
            QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(instance.runtimeApiPort()).arg(path)));
        request.setHeader(
            QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        QNetworkReply *reply = nam.sendCustomRequest(request, method, body);
        QSignalSpy done(reply, &QNetworkReply::finished);
        if (!done.wait(5000))
            return {0, {}};
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray data = reply->readAll();
        reply->deleteLater();
        return {status, data};
    }

private slots:
    void initTestCase()
    {
        qRegisterMetaType<tarmac::FunctionInstance::State>();
        qRegisterMetaType<tarmac::FunctionInstance::Outcome>();
        QVERIFY(m_dir.isValid());
        const QString found = QStandardPaths::findExecutable(QStringLiteral("python3"));
        if (found.isEmpty())
            QSKIP("python3 is not on PATH");
        QProcess probe;
        probe.start(
            found, {QStringLiteral("-c"), QStringLiteral("import sys; print(sys.executable)")});
        QVERIFY(probe.waitForFinished(20'000));
        m_python = QString::fromLocal8Bit(probe.readAllStandardOutput().trimmed());
        m_script = qEnvironmentVariable("TARMAC_SOURCE_DIR")
            + QStringLiteral("/tests/unit/functions/fakeruntime.py");
        QVERIFY2(QFile::exists(m_script), qPrintable(m_script));
    }

    void transitionTable_data()
    {
        QTest::addColumn<State>("from");
        QTest::addColumn<State>("to");
        QTest::addColumn<bool>("allowed");
        const State all[] = {State::Starting, State::Ready, State::Invoking, State::TimingOut,
            State::Failed, State::Stopped};
        const QList<std::pair<State, State>> legal = {
            {State::Starting, State::Ready},
            {State::Starting, State::Failed},
            {State::Starting, State::Stopped},
            {State::Ready, State::Invoking},
            {State::Ready, State::Failed},
            {State::Ready, State::Stopped},
            {State::Invoking, State::Ready},
            {State::Invoking, State::TimingOut},
            {State::Invoking, State::Failed},
            {State::Invoking, State::Stopped},
            {State::TimingOut, State::Stopped},
            {State::Failed, State::Stopped},
        };
        for (State from : all) {
            for (State to : all) {
                const bool allowed = legal.contains({from, to});
                QTest::addRow("%s->%s", qPrintable(FunctionInstance::stateName(from)),
                    qPrintable(FunctionInstance::stateName(to)))
                    << from << to << allowed;
            }
        }
    }

    void transitionTable()
    {
        QFETCH(State, from);
        QFETCH(State, to);
        QFETCH(bool, allowed);
        QCOMPARE(FunctionInstance::canTransition(from, to), allowed);
    }

    void startsInvokesAndIsReused()
    {
        auto instance = make(QStringLiteral("normal"));
        QSignalSpy states(instance.get(), &FunctionInstance::stateChanged);
        QSignalSpy finished(instance.get(), &FunctionInstance::invocationFinished);
        QSignalSpy output(instance.get(), &FunctionInstance::output);
        QCOMPARE(instance->state(), State::Starting);
        QVERIFY(instance->start());
        QVERIFY(!instance->start()); // once
        QVERIFY(instance->pid() > 0);
        QTRY_COMPARE_WITH_TIMEOUT(instance->state(), State::Ready, 10'000);
        QVERIFY(instance->initDurationNs() > 0);
        QVERIFY(instance->isIdle());

        for (int i = 0; i < 3; ++i) {
            QTRY_VERIFY_WITH_TIMEOUT(instance->isIdle(), 5000); // back in /next
            QVERIFY(instance->invoke(invocation("{\"n\":" + QByteArray::number(i) + "}")));
            QCOMPARE(instance->state(), State::Invoking);
            QTRY_COMPARE_WITH_TIMEOUT(finished.size(), i + 1, 5000);
            const auto outcome = finished.last().first().value<FunctionInstance::Outcome>();
            QVERIFY(outcome.ok);
            QVERIFY2(outcome.payload.contains(QByteArray("\"n\": " + QByteArray::number(i))),
                outcome.payload.constData());
            QVERIFY(outcome.payload.contains("1700000000000"));
            QVERIFY(outcome.payload.contains("function:fake"));
            QVERIFY(outcome.payload.contains("Sampled=1"));
            QCOMPARE(instance->state(), State::Ready);
        }
        // Output lines arrived, split at newlines, the invocation's before its outcome.
        QVERIFY(output.size() >= 4);
        QCOMPARE(output.first().first().toByteArray(), QByteArrayLiteral("ready to go"));

        const qint64 pid = instance->pid();
        instance->stop();
        QCOMPARE(instance->state(), State::Stopped);
        QVERIFY(!processAlive(pid));
        const QList<State> expected = {State::Ready, State::Invoking, State::Ready, State::Invoking,
            State::Ready, State::Invoking, State::Ready, State::Stopped};
        QList<State> seen;
        for (const auto &args : states)
            seen.append(args.first().value<State>());
        QCOMPARE(seen, expected);
    }

    void refusesInvokeUnlessIdle()
    {
        auto instance = make(QStringLiteral("normal"));
        QVERIFY(!instance->invoke(invocation("{}"))); // not started
        QVERIFY(instance->start());
        QVERIFY(!instance->invoke(invocation("{}"))); // Starting
        QTRY_COMPARE_WITH_TIMEOUT(instance->state(), State::Ready, 10'000);
        QVERIFY(instance->invoke(invocation("{\"sleep\": 0.5, \"pidfile\": \"/dev/null\"}")));
        auto second = instance->invoke(invocation("{}"));
        QVERIFY(!second);
        QCOMPARE(second.error().code, QStringLiteral("InvalidState"));
        instance->stop();
        QVERIFY(!instance->invoke(invocation("{}"))); // Stopped
    }

    void runtimeApiRefusesWrongIdsAndStates()
    {
        auto instance = make(QStringLiteral("never-ready"));
        QVERIFY(instance->start());
        // No invocation yet: any id is wrong.
        auto [status, body] = call(*instance, "POST",
            QStringLiteral("/2018-06-01/runtime/invocation/nope/response"), "{}");
        QCOMPARE(status, 400);
        QVERIFY(body.contains("InvalidRequestID"));
        std::tie(status, body)
            = call(*instance, "GET", QStringLiteral("/2018-06-01/runtime/nothing"));
        QCOMPARE(status, 404);
        std::tie(status, body) = call(*instance, "GET", QStringLiteral("/2018-06-01/ping"));
        QCOMPARE(status, 200);
        // An init error from a runtime that already asked for work is refused.
        QCOMPARE(instance->state(), State::Starting);
        instance->stop();
    }

    void initErrorFailsTheInstance()
    {
        auto instance = make(QStringLiteral("init-error"));
        QSignalSpy failed(instance.get(), &FunctionInstance::initFailed);
        QVERIFY(instance->start());
        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 10'000);
        const auto outcome = failed.first().first().value<FunctionInstance::Outcome>();
        QCOMPARE(outcome.errorType, QStringLiteral("Runtime.ImportModuleError"));
        QVERIFY(outcome.payload.contains("no module"));
        QTRY_COMPARE_WITH_TIMEOUT(instance->state(), State::Stopped, 5000);
        QVERIFY(!instance->invoke(invocation("{}")));
    }

    void exitDuringStartIsAnExitError()
    {
        auto instance = make(QStringLiteral("exit-at-start"));
        QSignalSpy failed(instance.get(), &FunctionInstance::initFailed);
        QVERIFY(instance->start());
        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 10'000);
        const auto outcome = failed.first().first().value<FunctionInstance::Outcome>();
        QCOMPARE(outcome.errorType, QStringLiteral("Runtime.ExitError"));
        QVERIFY2(outcome.payload.contains("exit status 2"), outcome.payload.constData());
        QTRY_COMPARE(instance->state(), State::Stopped);
    }

    void startupTimeoutKillsTheProcess()
    {
        auto instance = make(QStringLiteral("never-ready"), 128, 400);
        QSignalSpy failed(instance.get(), &FunctionInstance::initFailed);
        QVERIFY(instance->start());
        const qint64 pid = instance->pid();
        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 5000);
        QCOMPARE(failed.first().first().value<FunctionInstance::Outcome>().errorType,
            QStringLiteral("Runtime.InitTimeout"));
        QTRY_COMPARE_WITH_TIMEOUT(instance->state(), State::Stopped, 5000);
        QVERIFY(!processAlive(pid));
    }

    void timeoutKillsTheWholeGroup()
    {
        auto instance = make(QStringLiteral("normal"));
        QSignalSpy finished(instance.get(), &FunctionInstance::invocationFinished);
        QSignalSpy states(instance.get(), &FunctionInstance::stateChanged);
        QVERIFY(instance->start());
        QTRY_COMPARE_WITH_TIMEOUT(instance->state(), State::Ready, 10'000);
        const QString pidFile = m_dir.filePath(QStringLiteral("child.pid"));
        QVERIFY(instance->invoke(
            invocation("{\"sleep\": 30, \"pidfile\": \"" + pidFile.toUtf8() + "\"}", 700)));
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(pidFile) && QFile(pidFile).size() > 0, 5000);
        QFile f(pidFile);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const qint64 child = f.readAll().toLongLong();
        QVERIFY(processAlive(child));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 5000);
        const auto outcome = finished.first().first().value<FunctionInstance::Outcome>();
        QVERIFY(!outcome.ok);
        QCOMPARE(outcome.errorType, QStringLiteral("Sandbox.Timedout"));
        QVERIFY(outcome.payload.contains("Task timed out after 0.70 seconds"));
        QTRY_COMPARE_WITH_TIMEOUT(instance->state(), State::Stopped, 5000);
        bool sawTimingOut = false;
        for (const auto &args : states)
            sawTimingOut = sawTimingOut || args.first().value<State>() == State::TimingOut;
        QVERIFY(sawTimingOut);
        QTRY_VERIFY_WITH_TIMEOUT(!processAlive(child), 3000); // the grandchild went with the group
    }

    void exitMidInvocationIsAnExitError()
    {
        auto instance = make(QStringLiteral("normal"));
        QSignalSpy finished(instance.get(), &FunctionInstance::invocationFinished);
        QVERIFY(instance->start());
        QTRY_COMPARE_WITH_TIMEOUT(instance->state(), State::Ready, 10'000);
        QVERIFY(instance->invoke(invocation("{\"exit\": 3}")));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 5000);
        const auto outcome = finished.first().first().value<FunctionInstance::Outcome>();
        QCOMPARE(outcome.errorType, QStringLiteral("Runtime.ExitError"));
        QVERIFY2(outcome.payload.contains("Runtime exited with error: exit status 3"),
            outcome.payload.constData());
        QCOMPARE(instance->state(), State::Stopped);
    }

    void errorResponseKeepsTheInstance()
    {
        auto instance = make(QStringLiteral("normal"));
        QSignalSpy finished(instance.get(), &FunctionInstance::invocationFinished);
        QVERIFY(instance->start());
        QTRY_COMPARE_WITH_TIMEOUT(instance->state(), State::Ready, 10'000);
        QVERIFY(instance->invoke(invocation("{\"error\": \"bad input\"}")));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 5000);
        const auto outcome = finished.first().first().value<FunctionInstance::Outcome>();
        QVERIFY(!outcome.ok);
        QCOMPARE(outcome.errorType, QStringLiteral("ValueError"));
        QCOMPARE(outcome.errorMessage, QStringLiteral("bad input"));
        QCOMPARE(instance->state(), State::Ready);
        QTRY_VERIFY_WITH_TIMEOUT(instance->isIdle(), 5000); // idle once its runtime asks again
        QVERIFY(instance->invoke(invocation("{}")));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, 5000);
        QVERIFY(finished.last().first().value<FunctionInstance::Outcome>().ok);
        instance->stop();
    }

    void memoryOverrunIsOutOfMemory()
    {
        auto instance = make(QStringLiteral("normal"), 64);
        QSignalSpy finished(instance.get(), &FunctionInstance::invocationFinished);
        QVERIFY(instance->start());
        QTRY_COMPARE_WITH_TIMEOUT(instance->state(), State::Ready, 10'000);
        QVERIFY(instance->invoke(invocation("{\"hog\": true}", 20'000)));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 15'000);
        const auto outcome = finished.first().first().value<FunctionInstance::Outcome>();
        QCOMPARE(outcome.errorType, QStringLiteral("Runtime.OutOfMemory"));
        QVERIFY(outcome.maxRssBytes > 64LL * 1024 * 1024);
        QTRY_COMPARE(instance->state(), State::Stopped);
    }

    void stopFailsTheRunningInvocation()
    {
        auto instance = make(QStringLiteral("normal"));
        QSignalSpy finished(instance.get(), &FunctionInstance::invocationFinished);
        QVERIFY(instance->start());
        QTRY_COMPARE_WITH_TIMEOUT(instance->state(), State::Ready, 10'000);
        QVERIFY(instance->invoke(invocation("{\"sleep\": 30, \"pidfile\": \"/dev/null\"}")));
        instance->stop(QStringLiteral("shutting down"));
        QCOMPARE(finished.size(), 1);
        const auto outcome = finished.first().first().value<FunctionInstance::Outcome>();
        QCOMPARE(outcome.errorType, QStringLiteral("Runtime.Stopped"));
        QCOMPARE(instance->state(), State::Stopped);
    }
};

QTEST_GUILESS_MAIN(TestFunctionInstance)
#include "tst_functioninstance.moc"
