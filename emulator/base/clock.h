#pragma once

#include <QDateTime>
#include <QObject>

#include <atomic>

namespace tarmac {

// Every service asks a Clock for the time, never QDateTime directly, so that tests and the
// stepper can drive time by hand. Times are nanoseconds since the Unix epoch.
// Thread-safe: now() may be called from any thread.
class Clock : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~Clock() override;

    virtual qint64 nowNs() const = 0;
    qint64 nowMs() const { return nowNs() / 1'000'000; }
    QDateTime now() const;

    // Monotonic nanoseconds for measuring durations; a manual clock returns its own time.
    virtual qint64 monotonicNs() const = 0;

signals:
    // Emitted when time jumps (a manual clock was set or advanced), so that timers computed
    // from the clock can be re-evaluated.
    void jumped();
};

class SystemClock final : public Clock
{
    Q_OBJECT
public:
    using Clock::Clock;
    qint64 nowNs() const override;
    qint64 monotonicNs() const override;
};

class ManualClock final : public Clock
{
    Q_OBJECT
public:
    explicit ManualClock(qint64 startNs = 1'700'000'000'000'000'000, QObject *parent = nullptr);
    qint64 nowNs() const override { return m_now.load(std::memory_order_relaxed); }
    qint64 monotonicNs() const override { return nowNs(); }

    void setNowNs(qint64 ns);
    void advanceNs(qint64 ns);
    void advanceMs(qint64 ms) { advanceNs(ms * 1'000'000); }

private:
    std::atomic<qint64> m_now;
};

} // namespace tarmac
