#include "base/wakeablethread.h"

#include <QElapsedTimer>
#include <QTest>

#include <atomic>
#include <chrono>
#include <thread>

using namespace tarmac;
using namespace std::chrono_literals;

class TestWakeableThread : public QObject
{
    Q_OBJECT

private slots:
    void runsOncePerWake()
    {
        std::atomic<int> runs {0};
        WakeableThread t("tst-wake", [&] { ++runs; });
        QTest::qWait(50);
        QCOMPARE(runs.load(), 0); // nothing until woken
        t.wake();
        QTRY_COMPARE(runs.load(), 1);
        t.wake();
        QTRY_COMPARE(runs.load(), 2);
    }

    void wakesDuringARunCoalesceIntoOneMore()
    {
        std::atomic<int> runs {0};
        std::atomic<bool> inRun {false};
        WakeableThread t("tst-wake", [&] {
            inRun = true;
            std::this_thread::sleep_for(100ms);
            ++runs;
            inRun = false;
        });
        t.wake();
        QTRY_VERIFY(inRun.load());
        for (int i = 0; i < 10; ++i)
            t.wake();
        QTRY_COMPARE(runs.load(), 2);
        QTest::qWait(250);
        QCOMPARE(runs.load(), 2);
    }

    void gatherDelaysTheRunAndHurryEndsIt()
    {
        std::atomic<int> runs {0};
        WakeableThread t(
            "tst-gather", [&] { ++runs; }, 300ms);
        QElapsedTimer clock;
        clock.start();
        t.wake();
        t.wake();
        QTRY_COMPARE_WITH_TIMEOUT(runs.load(), 1, 5000);
        QVERIFY(clock.elapsed() >= 250);
        clock.restart();
        t.wake();
        QTest::qWait(20);
        QCOMPARE(runs.load(), 1); // still gathering
        t.hurry();
        QTRY_COMPARE_WITH_TIMEOUT(runs.load(), 2, 5000);
        QVERIFY(clock.elapsed() < 250);
    }

    void stopFinishesTheRunAndRunsNothingMore()
    {
        std::atomic<int> runs {0};
        std::atomic<bool> inRun {false};
        {
            WakeableThread t("tst-stop", [&] {
                inRun = true;
                std::this_thread::sleep_for(100ms);
                ++runs;
            });
            t.wake();
            QTRY_VERIFY(inRun.load());
            t.wake(); // wanted again, but the thread stops first
        }
        QCOMPARE(runs.load(), 1);
    }
};

QTEST_GUILESS_MAIN(TestWakeableThread)
#include "tst_wakeablethread.moc"
