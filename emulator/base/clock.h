#pragma once

#include <QDateTime>
#include <QObject>
#include <QRecursiveMutex>

#include <atomic>
#include <functional>
#include <memory>

namespace tarmac {

class ClockTimers;

// Every service asks a Clock for the time, never QDateTime directly, so that tests and the
// stepper can drive time by hand. Times are nanoseconds since the Unix epoch.
//
// Whatever waits on time (retries, idle instances, visibility timeouts, schedules, TTLs) asks
// the clock for a timer rather than QTimer, so that a frozen clock holds it and an advanced one
// runs it. The subclass decides when timers fire: by real time (SystemClock, a running
// ControlledClock) or when the clock is moved (ManualClock, a frozen ControlledClock). Either
// way callbacks run in due-time order (ties in the order they were scheduled), each on its
// context object's thread: directly when the clock is moved on that thread, queued otherwise;
// never with the timers' lock held (a move holds only what keeps moves one at a time), and not
// at all once cancelled or once the context is destroyed. A callback run by a move of the
// clock sees nowNs() equal to its own due time (or the time the move had reached, for one
// overdue), on its own thread, even when it runs queued after the clock has moved further.
//
// Thread-safe: the time and the timer calls may be used from any thread. Not for durations of
// real work (a process's timeout, a poll): those stay on real time, a QTimer.
class Clock : public QObject
{
    Q_OBJECT
public:
    using TimerId = quint64; // 0 is no timer

    explicit Clock(QObject *parent = nullptr);
    ~Clock() override;

    qint64 nowNs() const;
    qint64 nowMs() const { return nowNs() / 1'000'000; }
    QDateTime now() const;

    // Monotonic nanoseconds for measuring durations; a manual clock returns its own time.
    virtual qint64 monotonicNs() const = 0;

    // Calls fn on the context's thread once the clock reaches dueNs (at once if it already
    // has, unless the clock holds its timers). The context must be alive when this is called,
    // as for QTimer::singleShot. const: asking to be called back does not change the time, and
    // the parts that schedule hold a const Clock *.
    TimerId scheduleAt(qint64 dueNs, QObject *context, std::function<void()> fn) const;
    TimerId scheduleAfter(qint64 delayNs, QObject *context, std::function<void()> fn) const
    {
        return scheduleAt(nowNs() + delayNs, context, std::move(fn));
    }
    // The callback will not run, unless it has started already. False when the timer is not
    // pending (it ran, was cancelled, or its context is gone).
    bool cancel(TimerId id) const;
    // Timers neither run nor cancelled yet, those due and queued to their thread included.
    int pendingTimers() const;
    // Of those, the ones due at or before untilNs (queued ones included): work the clock owes
    // now, which settling waits for.
    int dueTimers(qint64 untilNs) const;
    // While a move of the clock runs the timers it passes, the time the move goes to;
    // otherwise nowNs(). A timer that fires in a chain (a schedule's ticks) sees how many of
    // its successors the same move will run, so that a jump of years can coalesce them.
    qint64 moveTargetNs() const;

signals:
    // Emitted when time jumps (a manual clock was set or advanced), so that timers computed
    // from the clock can be re-evaluated.
    void jumped();

protected:
    enum class TimerMode {
        RealTime, // a thread of the clock's waits for the next due time, then queues it
        Stepped, // due timers run when the clock is moved (or, scheduled already due, soon)
        Held, // nothing runs until the mode changes or the clock is moved
    };

    // The subclass's time, without a callback's due time in the way.
    virtual qint64 currentNs() const = 0;
    virtual TimerMode timerMode() const = 0;

    // A move of the clock that runs the timers it passes. Take one before time moves (real-time
    // firing waits while one is alive, and the time it was taken at is where the move starts
    // from), call runDue() for the new time, then let it go.
    class TimerStep
    {
    public:
        explicit TimerStep(const Clock *clock);
        ~TimerStep();
        Q_DISABLE_COPY_MOVE(TimerStep)

        // Runs, in order, every timer due at or before untilNs; moveTo(due) comes first for
        // each, so the clock shows that time. Callbacks whose context lives on this thread run
        // here and now; the others are queued to their threads. A timer that was overdue
        // (scheduled in the past, or held) sees the time the move has reached instead.
        void runDue(qint64 untilNs, const std::function<void(qint64)> &moveTo = {});

    private:
        const Clock *m_clock;
        const qint64 m_fromNs;
    };

    // The time or the timer mode changed other than through a TimerStep: timers look again.
    void timersChanged() const;
    // The first thing a subclass's destructor does: the real-time thread calls currentNs() and
    // timerMode(), so it must be gone before they are. Pending timers are dropped.
    void stopTimers();

private:
    friend class ClockTimers;
    std::shared_ptr<ClockTimers> m_timers;
};

class SystemClock final : public Clock
{
    Q_OBJECT
public:
    using Clock::Clock;
    ~SystemClock() override;
    qint64 monotonicNs() const override;

protected:
    qint64 currentNs() const override;
    TimerMode timerMode() const override { return TimerMode::RealTime; }
};

// Time that moves only when told. Moving it forward runs the timers it passes one by one, each
// with the clock at its own due time, then leaves the clock at the new time; a timer that a
// callback schedules within the move runs within it too. A timer scheduled already due outside
// a move runs soon after, from the clock's thread's event loop.
class ManualClock final : public Clock
{
    Q_OBJECT
public:
    explicit ManualClock(qint64 startNs = 1'700'000'000'000'000'000, QObject *parent = nullptr);
    ~ManualClock() override;
    qint64 monotonicNs() const override { return nowNs(); }

    // Setting the time backwards runs no timer.
    void setNowNs(qint64 ns);
    void advanceNs(qint64 ns);
    void advanceMs(qint64 ms) { advanceNs(ms * 1'000'000); }

protected:
    qint64 currentNs() const override { return m_now.load(std::memory_order_relaxed); }
    TimerMode timerMode() const override { return TimerMode::Stepped; }

private:
    void moveTo(qint64 ns);
    void raiseTo(qint64 ns);

    // One move at a time, so that two advances add up; recursive, since a callback may move
    // the clock again.
    QRecursiveMutex m_moving;
    std::atomic<qint64> m_now;
};

} // namespace tarmac
