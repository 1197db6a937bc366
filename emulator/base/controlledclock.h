#pragma once

#include "base/clock.h"

#include <QMutex>

#include <atomic>

namespace tarmac {

// The desktop's clock: system time until the user takes control, then frozen, advanced by
// a duration, and resumed from wherever it was left (an advance is kept: the clock then runs
// ahead of the system by that much). What the stepper's clock controls drive, so that
// whatever asks the Clock (visibility timeouts, schedules, span times) sees time stop or
// jump. Thread-safe; reads take no lock. jumped() on every freeze, advance and resume.
//
// Timers: while it runs they fire by real time; while it is frozen they are held, however
// due. An advance runs the timers it passes in order, each at its own due time (frozen, the
// clock itself stops at each; running, it jumps at once and each callback still sees its
// due time); a resume runs what fell due while frozen, then real time takes over again.
class ControlledClock final : public Clock
{
    Q_OBJECT
public:
    using Clock::Clock;
    ~ControlledClock() override;

    qint64 monotonicNs() const override;

    bool isFrozen() const { return m_frozen.load(); }
    // How far ahead of the system clock this clock is (0 until advanced or frozen).
    qint64 offsetNs() const;

    void freeze();
    void resume();
    // Moves time forward (a negative value is refused: time does not run backwards).
    void advanceNs(qint64 ns);
    // Moves time forward to `ns` as advanceNs() does; false (and nothing moves) when that is
    // in the past.
    bool advanceTo(qint64 ns);

protected:
    qint64 currentNs() const override;
    TimerMode timerMode() const override;

private:
    static qint64 systemNs();
    static qint64 steadyNs();
    // Frozen: moves the frozen time (and the monotonic one with it) up to `ns`.
    void raiseFrozenTo(qint64 ns);

    // One freeze, advance or resume at a time; recursive, since a timer's callback run by an
    // advance may advance the clock again. Held while callbacks run, unlike m_writer.
    QRecursiveMutex m_moving;
    QMutex m_writer; // one change at a time; readers use the atomics
    std::atomic<bool> m_frozen {false};
    std::atomic<qint64> m_frozenNow {0};
    std::atomic<qint64> m_frozenMono {0};
    std::atomic<qint64> m_offset {0};
    std::atomic<qint64> m_monoOffset {0};
};

} // namespace tarmac
