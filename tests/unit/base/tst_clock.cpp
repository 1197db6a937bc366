// Clock: reading the time, and the timers of SystemClock, ManualClock and ControlledClock (order,
// each callback at its own due time, cancel, timers scheduled by callbacks, other threads,
// frozen and advanced clocks, contexts that go away).
#include "base/clock.h"
#include "base/controlledclock.h"

#include <QElapsedTimer>
#include <QMutex>
#include <QSemaphore>
#include <QSignalSpy>
#include <QTest>
#include <QThread>

#include <chrono>
#include <memory>
#include <thread>

using namespace tarmac;

namespace {

constexpr qint64 kMs = 1'000'000;
constexpr qint64 kSecond = 1'000'000'000;

// What ran, when the clock said it ran, and on which thread. Callbacks may run on any thread.
struct Runs
{
    struct Run
    {
        QString name;
        qint64 nowNs = 0;
        QThread *thread = nullptr;
    };

    mutable QMutex mutex;
    QList<Run> all;

    std::function<void()> record(const Clock &clock, const QString &name)
    {
        return [this, &clock, name] {
            QMutexLocker lock(&mutex);
            all.append({name, clock.nowNs(), QThread::currentThread()});
        };
    }
    QStringList names() const
    {
        QMutexLocker lock(&mutex);
        QStringList out;
        for (const Run &r : all)
            out.append(r.name);
        return out;
    }
    qsizetype size() const
    {
        QMutexLocker lock(&mutex);
        return all.size();
    }
    Run at(qsizetype i) const
    {
        QMutexLocker lock(&mutex);
        return all.at(i);
    }
};

// A thread with an event loop and an object living on it, for contexts elsewhere.
class Worker
{
public:
    Worker()
    {
        m_thread.start();
        m_object = std::make_unique<QObject>();
        m_object->moveToThread(&m_thread);
    }
    ~Worker()
    {
        QObject *object = m_object.release();
        QMetaObject::invokeMethod(
            object, [object] { delete object; }, Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }
    QObject *object() const { return m_object.get(); }
    QThread *thread() { return &m_thread; }
    // Returns once everything posted to the worker so far has run.
    void sync()
    {
        QMetaObject::invokeMethod(
            m_object.get(), [] {}, Qt::BlockingQueuedConnection);
    }

private:
    QThread m_thread;
    std::unique_ptr<QObject> m_object;
};

} // namespace

class TestClock : public QObject
{
    Q_OBJECT
private slots:
    void systemClockIsNearWallTime()
    {
        SystemClock clock;
        const qint64 wall = QDateTime::currentMSecsSinceEpoch();
        QVERIFY(qAbs(clock.nowMs() - wall) < 1000);
        const qint64 a = clock.monotonicNs();
        const qint64 b = clock.monotonicNs();
        QVERIFY(b >= a);
    }

    void manualClockMovesOnlyWhenTold_data()
    {
        QTest::addColumn<qint64>("start");
        QTest::addColumn<qint64>("advanceMs");
        QTest::addColumn<qint64>("expectedMs");
        QTest::newRow("zero") << qint64(0) << qint64(0) << qint64(0);
        QTest::newRow("one second") << qint64(1'000'000'000) << qint64(1000) << qint64(2000);
        QTest::newRow("epoch 2023")
            << qint64(1'700'000'000'000'000'000) << qint64(1) << qint64(1'700'000'000'001);
    }

    void manualClockMovesOnlyWhenTold()
    {
        QFETCH(qint64, start);
        QFETCH(qint64, advanceMs);
        QFETCH(qint64, expectedMs);
        ManualClock clock(start);
        QSignalSpy jumped(&clock, &Clock::jumped);
        QCOMPARE(clock.nowNs(), start);
        QTest::qWait(5);
        QCOMPARE(clock.nowNs(), start);
        clock.advanceMs(advanceMs);
        QCOMPARE(clock.nowMs(), expectedMs);
        QCOMPARE(jumped.count(), 1);
        QCOMPARE(clock.now().toMSecsSinceEpoch(), expectedMs);
        QCOMPARE(clock.now().timeSpec(), Qt::UTC);
    }

    // Timers run in due order, ties in scheduling order, each with the clock at its own due
    // time; the move then ends at its target.
    void manualClockRunsDueTimersInOrder()
    {
        const qint64 t0 = 1'000 * kSecond;
        ManualClock clock(t0);
        QObject context;
        Runs runs;
        std::vector<qint64> clockSeenByOthers;
        clock.scheduleAt(t0 + 3 * kSecond, &context, runs.record(clock, QStringLiteral("c")));
        clock.scheduleAt(t0 + 1 * kSecond, &context, runs.record(clock, QStringLiteral("a1")));
        clock.scheduleAfter(2 * kSecond, &context, runs.record(clock, QStringLiteral("b")));
        clock.scheduleAt(t0 + 1 * kSecond, &context, runs.record(clock, QStringLiteral("a2")));
        clock.scheduleAt(t0 + 10 * kSecond, &context, runs.record(clock, QStringLiteral("late")));
        QCOMPARE(clock.pendingTimers(), 5);
        QCoreApplication::processEvents();
        QCOMPARE(runs.size(), 0); // nothing until the clock moves

        clock.advanceNs(2 * kSecond + 500 * kMs);
        QCOMPARE(runs.names(),
            QStringList({QStringLiteral("a1"), QStringLiteral("a2"), QStringLiteral("b")}));
        QCOMPARE(runs.at(0).nowNs, t0 + 1 * kSecond);
        QCOMPARE(runs.at(1).nowNs, t0 + 1 * kSecond);
        QCOMPARE(runs.at(2).nowNs, t0 + 2 * kSecond);
        QCOMPARE(runs.at(2).thread, QThread::currentThread()); // synchronously, in the move
        QCOMPARE(clock.nowNs(), t0 + 2 * kSecond + 500 * kMs);
        QCOMPARE(clock.pendingTimers(), 2);

        clock.setNowNs(t0 + 3 * kSecond);
        QCOMPARE(runs.names().last(), QStringLiteral("c"));
        QCOMPARE(runs.at(3).nowNs, t0 + 3 * kSecond);
        // Backwards runs nothing, and the late timer waits for its time again.
        clock.setNowNs(t0);
        clock.advanceNs(9 * kSecond);
        QCOMPARE(runs.size(), 4);
        clock.advanceNs(1 * kSecond);
        QCOMPARE(runs.names().last(), QStringLiteral("late"));
        QCOMPARE(clock.pendingTimers(), 0);
    }

    // During a callback the clock reads its due time for everyone, not only the callback.
    void manualClockStopsAtEachDueTime()
    {
        const qint64 t0 = 50 * kSecond;
        ManualClock clock(t0);
        QObject context;
        QList<qint64> seen;
        for (int i = 1; i <= 3; ++i) {
            clock.scheduleAt(t0 + i * kSecond, &context, [&clock, &seen] {
                seen.append(clock.monotonicNs());
                // Read from another thread: no due-time view there, only the clock itself.
                qint64 other = 0;
                std::thread([&clock, &other] { other = clock.nowNs(); }).join();
                seen.append(other);
            });
        }
        clock.advanceNs(10 * kSecond);
        QCOMPARE(seen,
            QList<qint64>({t0 + kSecond, t0 + kSecond, t0 + 2 * kSecond, t0 + 2 * kSecond,
                t0 + 3 * kSecond, t0 + 3 * kSecond}));
        QCOMPARE(clock.nowNs(), t0 + 10 * kSecond);
    }

    void manualClockCancel()
    {
        ManualClock clock(0);
        QObject context;
        Runs runs;
        const Clock::TimerId a
            = clock.scheduleAt(1 * kSecond, &context, runs.record(clock, QStringLiteral("a")));
        const Clock::TimerId b
            = clock.scheduleAt(2 * kSecond, &context, runs.record(clock, QStringLiteral("b")));
        Clock::TimerId c = 0;
        clock.scheduleAt(500 * kMs, &context, [&] {
            runs.record(clock, QStringLiteral("canceller"))();
            QVERIFY(clock.cancel(c)); // due within the same move: does not run
        });
        c = clock.scheduleAt(3 * kSecond, &context, runs.record(clock, QStringLiteral("c")));
        QVERIFY(a != 0 && b != 0 && c != 0 && a != b && b != c);
        QVERIFY(clock.cancel(a));
        QVERIFY(!clock.cancel(a)); // once
        QVERIFY(!clock.cancel(0));
        clock.advanceNs(5 * kSecond);
        QCOMPARE(runs.names(), QStringList({QStringLiteral("canceller"), QStringLiteral("b")}));
        QVERIFY(!clock.cancel(b)); // it ran
        QCOMPARE(clock.pendingTimers(), 0);
    }

    // A callback's timers: one due within the move runs in it, at its own time, in order with
    // the rest; one due later waits.
    void manualClockRunsTimersScheduledByCallbacks()
    {
        ManualClock clock(0);
        QObject context;
        Runs runs;
        clock.scheduleAt(1 * kSecond, &context, [&] {
            runs.record(clock, QStringLiteral("first"))();
            clock.scheduleAfter(500 * kMs, &context, runs.record(clock, QStringLiteral("chained")));
            clock.scheduleAfter(
                10 * kSecond, &context, runs.record(clock, QStringLiteral("later")));
            // Already due: still runs within this move, after this callback.
            clock.scheduleAt(0, &context, runs.record(clock, QStringLiteral("overdue")));
        });
        clock.scheduleAt(2 * kSecond, &context, runs.record(clock, QStringLiteral("second")));
        clock.advanceNs(5 * kSecond);
        QCOMPARE(runs.names(),
            QStringList({QStringLiteral("first"), QStringLiteral("overdue"),
                QStringLiteral("chained"), QStringLiteral("second")}));
        QCOMPARE(runs.at(1).nowNs, 1 * kSecond); // overdue: where the move is, never backwards
        QCOMPARE(runs.at(2).nowNs, 1 * kSecond + 500 * kMs);
        QCOMPARE(clock.pendingTimers(), 1);
        clock.advanceNs(6 * kSecond);
        QCOMPARE(runs.names().last(), QStringLiteral("later"));
        QCOMPARE(runs.at(4).nowNs, 11 * kSecond);
    }

    // Scheduled already due outside a move: not inside scheduleAt, but soon, from the event
    // loop; and before anything a later move runs.
    void manualClockRunsOverdueTimersSoon()
    {
        ManualClock clock(10 * kSecond);
        QObject context;
        Runs runs;
        clock.scheduleAfter(0, &context, runs.record(clock, QStringLiteral("now")));
        clock.scheduleAt(kSecond, &context, runs.record(clock, QStringLiteral("past")));
        QCOMPARE(runs.size(), 0);
        QTRY_COMPARE(runs.size(), 2);
        QCOMPARE(runs.names(), QStringList({QStringLiteral("past"), QStringLiteral("now")}));
        QCOMPARE(runs.at(0).nowNs, 10 * kSecond);
        QCOMPARE(runs.at(1).nowNs, 10 * kSecond);

        clock.scheduleAfter(0, &context, runs.record(clock, QStringLiteral("due")));
        clock.scheduleAfter(kSecond, &context, runs.record(clock, QStringLiteral("after")));
        clock.advanceNs(2 * kSecond); // before the event loop had a turn
        QCOMPARE(
            runs.names().mid(2), QStringList({QStringLiteral("due"), QStringLiteral("after")}));
        QCoreApplication::processEvents();
        QCOMPARE(runs.size(), 4);
    }

    // Scheduling from other threads; a context on another thread gets its callback queued
    // there, seeing its own due time even though the clock has moved on.
    void manualClockAcrossThreads()
    {
        const qint64 t0 = 100 * kSecond;
        ManualClock clock(t0);
        QObject here;
        Worker worker;
        Runs runs;
        std::vector<std::thread> schedulers;
        for (int i = 0; i < 4; ++i) {
            schedulers.emplace_back([&, i] {
                for (int j = 0; j < 25; ++j) {
                    const qint64 due = t0 + (j + 1) * kSecond;
                    const QString name = QStringLiteral("%1/%2").arg(i).arg(j);
                    QObject *context = i % 2 ? worker.object() : &here;
                    clock.scheduleAt(due, context, runs.record(clock, name));
                }
            });
        }
        for (auto &t : schedulers)
            t.join();
        QCOMPARE(clock.pendingTimers(), 100);
        clock.advanceNs(30 * kSecond);
        QCOMPARE(clock.nowNs(), t0 + 30 * kSecond);
        worker.sync();
        QCOMPARE(runs.size(), 100);
        QCOMPARE(clock.pendingTimers(), 0);
        QHash<QThread *, qint64> lastSeen;
        for (qsizetype i = 0; i < runs.size(); ++i) {
            const Runs::Run r = runs.at(i);
            const int scheduler = r.name.section(u'/', 0, 0).toInt();
            const int j = r.name.section(u'/', 1, 1).toInt();
            QCOMPARE(r.thread, scheduler % 2 ? worker.thread() : QThread::currentThread());
            QCOMPARE(r.nowNs, t0 + (j + 1) * kSecond); // its own due time, on either thread
            QVERIFY(r.nowNs >= lastSeen.value(r.thread)); // in order on each thread
            lastSeen[r.thread] = r.nowNs;
        }
    }

    void contextDestroyedDropsTheTimer()
    {
        ManualClock clock(0);
        Runs runs;
        auto context = std::make_unique<QObject>();
        clock.scheduleAt(kSecond, context.get(), runs.record(clock, QStringLiteral("gone")));
        QObject kept;
        clock.scheduleAt(kSecond, &kept, runs.record(clock, QStringLiteral("kept")));
        context.reset();
        QCOMPARE(clock.pendingTimers(), 1);
        clock.advanceNs(2 * kSecond);
        QCOMPARE(runs.names(), QStringList({QStringLiteral("kept")}));
    }

    // Gone after its callback was queued to its thread, before it ran: dropped all the same.
    void contextDestroyedWhileQueued()
    {
        ManualClock clock(0);
        Worker worker;
        Runs runs;
        QObject *context = nullptr;
        QMetaObject::invokeMethod(
            worker.object(), [&context] { context = new QObject; }, Qt::BlockingQueuedConnection);
        clock.scheduleAt(kSecond, context, runs.record(clock, QStringLiteral("gone")));
        // Keep the worker busy while the move queues the callback, then delete the context
        // before the worker's event loop gets to it.
        QSemaphore moved;
        QMetaObject::invokeMethod(worker.object(), [&moved, context] {
            moved.acquire();
            delete context;
        });
        clock.advanceNs(2 * kSecond);
        QCOMPARE(clock.pendingTimers(), 1); // queued, not run
        moved.release();
        worker.sync();
        QCOMPARE(runs.size(), 0);
        QCOMPARE(clock.pendingTimers(), 0);
    }

    void clockDestroyedFirstDropsItsTimers()
    {
        int ran = 0;
        QObject context;
        auto clock = std::make_unique<SystemClock>();
        clock->scheduleAfter(20 * kMs, &context, [&ran] { ++ran; });
        clock->scheduleAfter(0, &context, [&ran] { ++ran; });
        // The second is queued to this thread by now (not run: no event loop meanwhile).
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        QCOMPARE(clock->pendingTimers(), 2);
        clock.reset();
        QTest::qWait(50);
        QCOMPARE(ran, 0);
    }

    void systemClockFiresByRealTime()
    {
        SystemClock clock;
        Worker worker;
        Runs runs;
        const qint64 start = clock.nowNs();
        QObject *context = worker.object();
        clock.scheduleAt(start + 80 * kMs, context, runs.record(clock, QStringLiteral("80")));
        clock.scheduleAt(start + 40 * kMs, context, runs.record(clock, QStringLiteral("40")));
        const Clock::TimerId cancelled
            = clock.scheduleAt(start + 60 * kMs, context, runs.record(clock, QStringLiteral("60")));
        QVERIFY(clock.cancel(cancelled));
        QTRY_COMPARE(runs.size(), 2);
        QCOMPARE(runs.names(), QStringList({QStringLiteral("40"), QStringLiteral("80")}));
        QCOMPARE(runs.at(0).thread, worker.thread());
        // Real time: a callback sees the time it runs at, never before its due time.
        QVERIFY2(runs.at(0).nowNs >= start + 40 * kMs,
            qPrintable(QString::number(runs.at(0).nowNs - start)));
        QVERIFY2(runs.at(1).nowNs >= start + 80 * kMs,
            qPrintable(QString::number(runs.at(1).nowNs - start)));
        QTest::qWait(40);
        QCOMPARE(runs.size(), 2);
        QCOMPARE(clock.pendingTimers(), 0);
    }

    void controlledClockHoldsTimersWhileFrozen()
    {
        ControlledClock clock;
        QObject context;
        Runs runs;
        clock.scheduleAfter(200 * kMs, &context, runs.record(clock, QStringLiteral("waiting")));
        clock.freeze();
        const qint64 frozen = clock.nowNs();
        clock.scheduleAfter(0, &context, runs.record(clock, QStringLiteral("due now")));
        clock.scheduleAt(frozen - kSecond, &context, runs.record(clock, QStringLiteral("overdue")));
        clock.scheduleAfter(50 * kMs, &context, runs.record(clock, QStringLiteral("after resume")));
        QTest::qWait(150);
        QCOMPARE(runs.size(), 0);

        // Resume runs what is due at once, in order, at the time the clock stood still at; the
        // rest by real time.
        clock.resume();
        QCOMPARE(runs.names(), QStringList({QStringLiteral("overdue"), QStringLiteral("due now")}));
        QCOMPARE(runs.at(0).nowNs, frozen);
        QCOMPARE(runs.at(1).nowNs, frozen);
        QTRY_COMPARE(runs.size(), 4);
        QCOMPARE(runs.names().mid(2),
            QStringList({QStringLiteral("after resume"), QStringLiteral("waiting")}));
        QVERIFY(runs.at(2).nowNs >= frozen + 50 * kMs);
    }

    void controlledClockAdvanceRunsTimersInOrder()
    {
        ControlledClock clock;
        QObject context;
        Worker worker;
        Runs runs;
        clock.freeze();
        const qint64 t0 = clock.nowNs();
        QList<qint64> monotonic;
        clock.scheduleAt(t0 + 3 * kSecond, &context, runs.record(clock, QStringLiteral("3")));
        clock.scheduleAt(t0 + 1 * kSecond, &context, [&] {
            runs.record(clock, QStringLiteral("1"))();
            monotonic.append(clock.monotonicNs());
        });
        QObject *elsewhere = worker.object();
        clock.scheduleAt(t0 + 2 * kSecond, elsewhere, runs.record(clock, QStringLiteral("2")));
        clock.scheduleAt(t0 + 2 * kSecond, &context, [&] {
            runs.record(clock, QStringLiteral("2 here"))();
            monotonic.append(clock.monotonicNs());
        });
        const qint64 mono0 = clock.monotonicNs();
        clock.advanceNs(2 * kSecond + 500 * kMs);
        worker.sync();
        QCOMPARE(runs.size(), 3);
        QCOMPARE(runs.at(0).name, QStringLiteral("1"));
        QCOMPARE(runs.at(0).nowNs, t0 + kSecond);
        QCOMPARE(monotonic, QList<qint64>({mono0 + kSecond, mono0 + 2 * kSecond}));
        for (qsizetype i = 1; i < 3; ++i)
            QCOMPARE(runs.at(i).nowNs, t0 + 2 * kSecond); // on this thread and the worker's
        QCOMPARE(clock.nowNs(), t0 + 2 * kSecond + 500 * kMs);
        QVERIFY(clock.isFrozen());
        QCOMPARE(clock.pendingTimers(), 1);
        QTest::qWait(20);
        QCOMPARE(runs.size(), 3); // still frozen
    }

    // Running, an advance jumps at once; the callbacks it passes still see their own due time.
    void controlledClockAdvanceWhileRunning()
    {
        ControlledClock clock;
        QObject context;
        Runs runs;
        const qint64 t0 = clock.nowNs();
        constexpr qint64 kMinute = 60 * kSecond;
        clock.scheduleAt(t0 + 10 * kMinute, &context, runs.record(clock, QStringLiteral("10 min")));
        clock.scheduleAt(t0 + 5 * kMinute, &context, runs.record(clock, QStringLiteral("5 min")));
        clock.scheduleAt(t0 + 20 * kMinute, &context, runs.record(clock, QStringLiteral("20 min")));
        clock.advanceNs(15 * kMinute);
        QCOMPARE(runs.names(), QStringList({QStringLiteral("5 min"), QStringLiteral("10 min")}));
        QCOMPARE(runs.at(0).nowNs, t0 + 5 * kMinute);
        QCOMPARE(runs.at(1).nowNs, t0 + 10 * kMinute);
        QVERIFY(clock.nowNs() >= t0 + 15 * kMinute);
        QCOMPARE(clock.pendingTimers(), 1);
    }

    // Running, timers fire by real time on the clock's own time scale, offset included.
    void controlledClockFiresByRealTimeWhileRunning()
    {
        ControlledClock clock;
        Worker worker;
        Runs runs;
        clock.advanceNs(3600 * kSecond);
        QElapsedTimer elapsed;
        elapsed.start();
        const qint64 due = clock.nowNs() + 50 * kMs;
        clock.scheduleAt(due, worker.object(), runs.record(clock, QStringLiteral("offset")));
        QTRY_COMPARE(runs.size(), 1);
        // Not an hour late: the wait is measured on the clock's time, offset included.
        QVERIFY2(elapsed.elapsed() >= 49, qPrintable(QString::number(elapsed.elapsed())));
        QCOMPARE(runs.at(0).thread, worker.thread());
        QVERIFY(runs.at(0).nowNs >= due);

        // Frozen while it waits: held past its time, then run by the advance that reaches it.
        const qint64 later = clock.nowNs() + 60 * kMs;
        clock.scheduleAt(later, worker.object(), runs.record(clock, QStringLiteral("frozen")));
        clock.freeze();
        QTest::qWait(150);
        QCOMPARE(runs.size(), 1);
        clock.advanceNs(later - clock.nowNs());
        worker.sync();
        QCOMPARE(runs.size(), 2);
        QCOMPARE(runs.at(1).nowNs, later);
    }
};

QTEST_GUILESS_MAIN(TestClock)
#include "tst_clock.moc"
