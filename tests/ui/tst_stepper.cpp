// The stepper driving the real Dispatcher end to end: a project with one Python function,
// deliveries held by pause and by a breakpoint, delivered as edited, dropped, stepped; the
// clock frozen and advanced; and closing while the function runs leaves no process behind.

#include "functions/functionrunner.h"
#include "ui/clockstatus.h"
#include "ui/enginehost.h"
#include "ui/replaypanel.h"
#include "ui/steppercontroller.h"
#include "ui/stepperpanel.h"

#include <QAbstractItemModelTester>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QTreeWidget>

#include <signal.h>

using namespace tarmac;

namespace {

constexpr char kTemplate[] = R"(AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: echo
      CodeUri: echo/
      Handler: app.handler
      Runtime: python3.11
      Timeout: 30
)";

constexpr char kHandler[] = R"(import time

def handler(event, context):
    print("got", event)
    time.sleep(event.get("sleep", 0) if isinstance(event, dict) else 0)
    return {"echo": event}
)";

// What a delivery ended with, filled from any thread.
struct Outcome
{
    QMutex mutex;
    std::optional<DeliveryResult> result;
    bool done()
    {
        QMutexLocker l(&mutex);
        return result.has_value();
    }
    DeliveryResult get()
    {
        QMutexLocker l(&mutex);
        return *result;
    }
};

void submit(EngineHost &host, const QByteArray &payload, std::shared_ptr<Outcome> outcome)
{
    host.post([payload, outcome](Engine &engine) {
        Delivery d;
        d.functionName = QStringLiteral("echo");
        d.payload = payload;
        d.origin = QStringLiteral("manual");
        d.done = [outcome](const DeliveryResult &r) {
            QMutexLocker l(&outcome->mutex);
            outcome->result = r;
        };
        engine.deliverySink()->submit(std::move(d));
    });
}

bool processExists(qint64 pid)
{
    if (pid <= 0 || ::kill(pid_t(pid), 0) != 0)
        return false;
    // A zombie (exited, not yet reaped) counts as gone.
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray s = stat.readAll();
    const qsizetype close = s.lastIndexOf(')');
    return close < 0 || s.mid(close + 2, 1) != "Z";
}

} // namespace

class TestStepper : public QObject
{
    Q_OBJECT

    QTemporaryDir m_project;

    Engine::Options options() const
    {
        Engine::Options o;
        o.projectPath = m_project.path();
        o.ephemeral = true;
        o.edgePort = o.idePort = 0;
        o.ports.insert(QStringLiteral("api"), 0);
        return o;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(QDir(m_project.path()).mkpath(QStringLiteral("echo")));
        QFile t(m_project.filePath(QStringLiteral("template.yaml")));
        QVERIFY(t.open(QIODevice::WriteOnly));
        t.write(kTemplate);
        QFile h(m_project.filePath(QStringLiteral("echo/app.py")));
        QVERIFY(h.open(QIODevice::WriteOnly));
        h.write(kHandler);
    }

    // A capture opened in the desktop (File › Replay capture…): its events arrive in the
    // stepper one at a time, and each row shows what was expected beside what came of it.
    void replayCaptureOneEventAtATime()
    {
        EngineHost host(options());
        StepperController stepper(&host);
        ReplayPanel panel(&host, &stepper);
        QSignalSpy started(&host, &EngineHost::started);
        host.start();
        QVERIFY(started.wait(20000));
        QTRY_VERIFY_WITH_TIMEOUT(stepper.isAvailable(), 10000);
        QFile capture(m_project.filePath(QStringLiteral("capture.jsonl")));
        QVERIFY(capture.open(QIODevice::WriteOnly));
        capture.write(
            R"({"target": "Echo", "event": {"n": 1}, "expect": {"response": {"echo": {"n": 1}}}}
{"target": "Echo", "event": {"n": 2}, "expect": {"response": {"echo": {"n": 99}}}}
)");
        capture.close();
        QVERIFY(!panel.open(m_project.filePath(QStringLiteral("nope.jsonl"))));
        QVERIFY(panel.open(capture.fileName()));
        QCOMPARE(panel.rows(), 2);
        QTRY_VERIFY(stepper.isPaused());
        // The first event waits in the stepper; the second is not sent before it is done.
        QTRY_COMPARE_WITH_TIMEOUT(stepper.pending().size(), 1, 10000);
        QTest::qWait(200);
        QCOMPARE(stepper.pending().size(), 1);
        QCOMPARE(panel.finished(), 0);
        stepper.step();
        QTRY_COMPARE_WITH_TIMEOUT(panel.finished(), 1, 10000);
        QCOMPARE(panel.failed(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(stepper.pending().size(), 1, 10000);
        stepper.step();
        QTRY_COMPARE_WITH_TIMEOUT(panel.finished(), 2, 10000);
        QCOMPARE(panel.failed(), 1);
        auto *events = panel.findChild<QTreeWidget *>(QStringLiteral("replayEvents"));
        QVERIFY(events);
        QCOMPARE(events->topLevelItem(0)->text(2), QStringLiteral("ok"));
        QCOMPARE(events->topLevelItem(1)->text(2), QStringLiteral("FAIL"));
        QCOMPARE(events->topLevelItem(1)->text(4), QStringLiteral("$.echo.n: expected 99, got 2"));
        stepper.resume();
    }

    void pauseEditDeliverDropStep()
    {
        EngineHost host(options());
        StepperController stepper(&host);
        StepperPanel panel(&stepper);
        QAbstractItemModelTester tester(
            panel.pendingModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy started(&host, &EngineHost::started);
        host.start();
        QVERIFY(started.wait(20000));
        QTRY_VERIFY_WITH_TIMEOUT(stepper.isAvailable(), 10000);
        QCOMPARE(stepper.functionNames(), QStringList {QStringLiteral("echo")});

        stepper.pause();
        QTRY_VERIFY(stepper.isPaused());
        auto edited = std::make_shared<Outcome>();
        auto dropped = std::make_shared<Outcome>();
        auto stepped = std::make_shared<Outcome>();
        submit(host, R"({"n": 1})", edited);
        QTRY_COMPARE_WITH_TIMEOUT(stepper.pending().size(), 1, 10000);
        submit(host, R"({"n": 2})", dropped);
        submit(host, R"({"n": 3})", stepped);
        QTRY_COMPARE_WITH_TIMEOUT(stepper.pending().size(), 3, 10000);
        QCOMPARE(panel.pendingModel()->rowCount(), 3);
        QVERIFY(!edited->done());

        // The oldest is in the editor; a syntax error disables Deliver.
        QTRY_COMPARE(panel.currentId(), stepper.pending().first().id);
        auto *deliver = panel.findChild<QPushButton *>(QStringLiteral("pendingDeliver"));
        panel.editor()->setPlainText(QStringLiteral("{\"n\": "));
        QVERIFY(!deliver->isEnabled());
        QVERIFY(panel.syntaxLabel()->text().contains(QLatin1String("Not JSON")));
        panel.editor()->setPlainText(QStringLiteral("{\"n\": 1, \"edited\": true}"));
        QVERIFY(deliver->isEnabled());
        panel.deliverCurrent();
        QTRY_VERIFY_WITH_TIMEOUT(edited->done(), 20000);
        QVERIFY(edited->get().delivered);
        QVERIFY2(
            edited->get().payload.contains("\"edited\": true"), edited->get().payload.constData());
        QTRY_COMPARE(stepper.pending().size(), 2);

        // Drop the next: finished without running.
        QTRY_COMPARE(panel.currentId(), stepper.pending().first().id);
        panel.dropCurrent();
        QTRY_VERIFY_WITH_TIMEOUT(dropped->done(), 10000);
        QVERIFY(!dropped->get().delivered);
        QCOMPARE(dropped->get().errorType, QStringLiteral("Tarmac.Dropped"));

        // Step delivers the oldest as it was, and stays paused.
        QTRY_COMPARE(stepper.pending().size(), 1);
        stepper.step();
        QTRY_VERIFY_WITH_TIMEOUT(stepped->done(), 20000);
        QVERIFY(stepped->get().payload.contains("\"n\": 3"));
        QTRY_COMPARE(stepper.pending().size(), 0);
        QVERIFY(stepper.isPaused());

        // Resume: nothing is held any more.
        stepper.resume();
        QTRY_VERIFY(!stepper.isPaused());
        auto free = std::make_shared<Outcome>();
        submit(host, R"({"n": 4})", free);
        QTRY_VERIFY_WITH_TIMEOUT(free->done(), 20000);
        QVERIFY(free->get().delivered);
    }

    void breakpointsHoldWhatMatches()
    {
        EngineHost host(options());
        StepperController stepper(&host);
        QSignalSpy started(&host, &EngineHost::started);
        host.start();
        QVERIFY(started.wait(20000));
        QTRY_VERIFY_WITH_TIMEOUT(stepper.isAvailable(), 10000);

        QSignalSpy failed(&stepper, &StepperController::failed);
        stepper.addBreakpoint(QString(), QString(), QStringLiteral("$.hold =="));
        QCOMPARE(failed.size(), 1); // no value after the operator
        stepper.addBreakpoint(QStringLiteral("echo"), QString(), QStringLiteral("$.hold == true"));
        QTRY_COMPARE(stepper.breakpoints().size(), 1);
        QCOMPARE(StepperController::conditionText(stepper.breakpoints().first()),
            QStringLiteral("$.hold == true"));

        auto held = std::make_shared<Outcome>();
        auto passed = std::make_shared<Outcome>();
        submit(host, R"({"hold": true})", held);
        submit(host, R"({"hold": false})", passed);
        QTRY_VERIFY_WITH_TIMEOUT(passed->done(), 20000);
        QTRY_COMPARE(stepper.pending().size(), 1);
        QVERIFY(stepper.pending().first().breakpointId == stepper.breakpoints().first().id);
        QVERIFY(!held->done());
        stepper.deliver(stepper.pending().first().id, R"({"hold": "released"})");
        QTRY_VERIFY_WITH_TIMEOUT(held->done(), 20000);
        QVERIFY(held->get().payload.contains("released"));
        QTRY_COMPARE(stepper.breakpoints().first().hits, 1);
        stepper.removeBreakpoint(stepper.breakpoints().first().id);
        QTRY_VERIFY(stepper.breakpoints().isEmpty());
    }

    void conditions_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<QByteArray>("matching");
        QTest::newRow("exists") << QStringLiteral("$.Records[0]") << true
                                << QByteArray(R"({"Records":[1]})");
        QTest::newRow("equals a number")
            << QStringLiteral("$.n == 3") << true << QByteArray(R"({"n":3})");
        QTest::newRow("equals a bare word") << QStringLiteral("$.kind == ObjectCreated:Put") << true
                                            << QByteArray(R"({"kind":"ObjectCreated:Put"})");
        QTest::newRow("contains") << QStringLiteral("$.key contains .txt") << true
                                  << QByteArray(R"({"key":"a.txt"})");
        QTest::newRow("not equals")
            << QStringLiteral("$.n != 3") << true << QByteArray(R"({"n":4})");
        QTest::newRow("no path") << QStringLiteral("n == 3") << false << QByteArray();
        QTest::newRow("no value") << QStringLiteral("$.n == ") << false << QByteArray();
    }
    void conditions()
    {
        QFETCH(QString, text);
        QFETCH(bool, valid);
        QFETCH(QByteArray, matching);
        auto p = StepperController::parseCondition(text);
        QCOMPARE(p.ok(), valid);
        if (valid)
            QVERIFY(p->matches(*parseJson(matching)));
    }

    void clockControls()
    {
        EngineHost host(options());
        StepperController stepper(&host);
        QSignalSpy started(&host, &EngineHost::started);
        host.start();
        QVERIFY(started.wait(20000));
        stepper.freezeClock();
        QVERIFY(stepper.isClockFrozen());
        const qint64 frozen = stepper.clockNowNs();
        QTest::qWait(20);
        QCOMPARE(stepper.clockNowNs(), frozen);
        stepper.advanceClock(60'000'000'000);
        QCOMPARE(stepper.clockNowNs(), frozen + 60'000'000'000);
        stepper.resumeClock();
        QVERIFY(!stepper.isClockFrozen());
        QVERIFY(stepper.clockNowNs() >= frozen + 60'000'000'000);
        // The engine runs on that clock: a request's span is stamped ahead of the system.
        QVERIFY(host.clock()->offsetNs() > 59'000'000'000);
    }

    // The status bar's clock: what it says, and its controls driving the engine's clock, also
    // when the clock was moved by someone else.
    void clockStatusBar()
    {
        EngineHost host(options());
        StepperController stepper(&host);
        ClockStatus status(&stepper);
        auto *time = status.findChild<QLabel *>(QStringLiteral("clockStatusTime"));
        auto *freeze = status.findChild<QToolButton *>(QStringLiteral("clockStatusFreeze"));
        auto *advance = status.findChild<QToolButton *>(QStringLiteral("clockStatusAdvance"));
        QVERIFY(time && freeze && advance);
        QVERIFY(!freeze->isEnabled());
        QSignalSpy started(&host, &EngineHost::started);
        host.start();
        QVERIFY(started.wait(20000));
        QTRY_VERIFY(freeze->isEnabled());
        QCOMPARE(freeze->text(), QStringLiteral("Freeze"));
        freeze->click();
        QVERIFY(stepper.isClockFrozen());
        QTRY_VERIFY(time->text().contains(QLatin1String("frozen")));
        QCOMPARE(freeze->text(), QStringLiteral("Resume"));
        const qint64 frozen = stepper.clockNowNs();
        const QList<QAction *> steps = advance->menu()->actions();
        QCOMPARE(steps.size(), 5);
        steps.at(3)->trigger(); // 1 day
        QCOMPARE(stepper.clockNowNs(), frozen + qint64(86400) * 1'000'000'000);
        // Another day, by someone else: the label follows.
        host.clock()->advanceNs(qint64(86400) * 1'000'000'000);
        const QString day = QDateTime::fromMSecsSinceEpoch(stepper.clockNowNs() / 1'000'000)
                                .toString(QStringLiteral("yyyy-MM-dd"));
        QTRY_VERIFY(time->text().contains(day));
        freeze->click();
        QVERIFY(!stepper.isClockFrozen());
        QTRY_VERIFY(!time->text().contains(QLatin1String("frozen")));
    }

    void closingWhileAFunctionRunsLeavesNoProcess()
    {
        auto host = std::make_unique<EngineHost>(options());
        QSignalSpy started(host.get(), &EngineHost::started);
        host->start();
        QVERIFY(started.wait(20000));
        auto outcome = std::make_shared<Outcome>();
        submit(*host, R"({"sleep": 30})", outcome);
        // Wait for the instance to be busy, and learn its pid.
        qint64 pid = 0;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                bool done = false;
                host->call<qint64>(
                    this,
                    [](Engine &e) -> qint64 {
                        for (const auto &i :
                            e.functionRunner()->instances(QStringLiteral("echo"))) {
                            if (i.state == FunctionInstance::State::Invoking)
                                return i.pid;
                        }
                        return 0;
                    },
                    [&](qint64 p) {
                        pid = p;
                        done = true;
                    });
                (void)QTest::qWaitFor([&] { return done; }, 5000);
                return pid > 0;
            }(),
            20000);
        QVERIFY(processExists(pid));
        host.reset(); // what closing the window does (MainWindow::closeEvent stops the engine)
        QTRY_VERIFY_WITH_TIMEOUT(!processExists(pid), 5000);
        // The waiting caller heard that its delivery did not finish.
        QTRY_VERIFY_WITH_TIMEOUT(outcome->done(), 5000);
    }
};

QTEST_MAIN(TestStepper)
#include "tst_stepper.moc"
