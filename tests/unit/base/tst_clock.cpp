#include "base/clock.h"

#include <QSignalSpy>
#include <QTest>

using namespace tarmac;

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
        QTest::newRow("epoch 2023") << qint64(1'700'000'000'000'000'000) << qint64(1)
                                    << qint64(1'700'000'000'001);
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
};

QTEST_GUILESS_MAIN(TestClock)
#include "tst_clock.moc"
