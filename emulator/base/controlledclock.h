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
class ControlledClock final : public Clock
{
    Q_OBJECT
public:
    using Clock::Clock;

    qint64 nowNs() const override;
    qint64 monotonicNs() const override;

    bool isFrozen() const { return m_frozen.load(); }
    // How far ahead of the system clock this clock is (0 until advanced or frozen).
    qint64 offsetNs() const;

    void freeze();
    void resume();
    // Moves time forward (a negative value is refused: time does not run backwards).
    void advanceNs(qint64 ns);

private:
    static qint64 systemNs();
    static qint64 steadyNs();

    QMutex m_writer; // one change at a time; readers use the atomics
    std::atomic<bool> m_frozen { false };
    std::atomic<qint64> m_frozenNow { 0 };
    std::atomic<qint64> m_frozenMono { 0 };
    std::atomic<qint64> m_offset { 0 };
    std::atomic<qint64> m_monoOffset { 0 };
};

} // namespace tarmac
