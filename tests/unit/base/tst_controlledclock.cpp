#include "base/controlledclock.h"

#include <QSignalSpy>
#include <QTest>
#include <QThread>

#include <chrono>

using namespace tarmac;

namespace {

qint64 systemNs()
{
    using namespace std::chrono;
    return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}

constexpr qint64 kSecond = 1'000'000'000;

} // namespace

class TestControlledClock : public QObject
{
    Q_OBJECT
private slots:
    void followsTheSystemUntilTold()
    {
        ControlledClock c;
        QVERIFY(std::abs(c.nowNs() - systemNs()) < kSecond / 10);
        QVERIFY(!c.isFrozen());
    }

    void freezeAdvanceResume()
    {
        ControlledClock c;
        QSignalSpy jumped(&c, &Clock::jumped);
        c.freeze();
        QVERIFY(c.isFrozen());
        const qint64 frozen = c.nowNs();
        const qint64 mono = c.monotonicNs();
        QThread::msleep(20);
        QCOMPARE(c.nowNs(), frozen);
        QCOMPARE(c.monotonicNs(), mono);
        c.advanceNs(90 * kSecond);
        QCOMPARE(c.nowNs(), frozen + 90 * kSecond);
        QCOMPARE(c.monotonicNs(), mono + 90 * kSecond);
        c.advanceNs(-5); // refused
        QCOMPARE(c.nowNs(), frozen + 90 * kSecond);
        c.resume();
        QVERIFY(!c.isFrozen());
        // Runs again from where it stood: about 90 s ahead of the system, minus the pause.
        const qint64 ahead = c.nowNs() - systemNs();
        QVERIFY2(ahead > 89 * kSecond && ahead <= 90 * kSecond, qPrintable(QString::number(ahead)));
        QThread::msleep(20);
        QVERIFY(c.nowNs() > frozen + 90 * kSecond);
        QCOMPARE(jumped.size(), 3);
        c.freeze();
        c.freeze(); // once
        QCOMPARE(jumped.size(), 4);
    }

    void advanceWhileRunning()
    {
        ControlledClock c;
        c.advanceNs(3600 * kSecond);
        const qint64 ahead = c.nowNs() - systemNs();
        QVERIFY(ahead > 3599 * kSecond && ahead < 3601 * kSecond);
    }
};

QTEST_GUILESS_MAIN(TestControlledClock)
#include "tst_controlledclock.moc"
