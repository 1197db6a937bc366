#include "base/controlledclock.h"

#include <chrono>

namespace tarmac {

qint64 ControlledClock::systemNs()
{
    using namespace std::chrono;
    return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}

qint64 ControlledClock::steadyNs()
{
    using namespace std::chrono;
    return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

ControlledClock::~ControlledClock()
{
    stopTimers();
}

qint64 ControlledClock::currentNs() const
{
    if (m_frozen.load())
        return m_frozenNow.load();
    return systemNs() + m_offset.load();
}

qint64 ControlledClock::monotonicNs() const
{
    if (m_frozen.load())
        return m_frozenMono.load();
    return steadyNs() + m_monoOffset.load();
}

Clock::TimerMode ControlledClock::timerMode() const
{
    return m_frozen.load() ? TimerMode::Held : TimerMode::RealTime;
}

qint64 ControlledClock::offsetNs() const
{
    return currentNs() - systemNs();
}

void ControlledClock::raiseFrozenTo(qint64 ns)
{
    QMutexLocker lock(&m_writer);
    const qint64 by = ns - m_frozenNow.load();
    if (!m_frozen.load() || by <= 0)
        return;
    m_frozenNow.fetch_add(by);
    m_frozenMono.fetch_add(by);
}

void ControlledClock::freeze()
{
    {
        QMutexLocker moving(&m_moving);
        QMutexLocker lock(&m_writer);
        if (m_frozen.load())
            return;
        m_frozenNow.store(systemNs() + m_offset.load());
        m_frozenMono.store(steadyNs() + m_monoOffset.load());
        m_frozen.store(true);
    }
    timersChanged(); // held from now on
    emit jumped();
}

void ControlledClock::resume()
{
    {
        QMutexLocker moving(&m_moving);
        // Taken before the clock runs again, so that real-time firing does not overtake the
        // timers that fell due while frozen.
        TimerStep step(this);
        qint64 frozenAt = 0;
        {
            QMutexLocker lock(&m_writer);
            if (!m_frozen.load())
                return;
            frozenAt = m_frozenNow.load();
            // Carry on from the frozen time: the pause is not made up for.
            m_offset.store(frozenAt - systemNs());
            m_monoOffset.store(m_frozenMono.load() - steadyNs());
            m_frozen.store(false);
        }
        step.runDue(frozenAt);
    }
    emit jumped();
}

void ControlledClock::advanceNs(qint64 ns)
{
    if (ns <= 0)
        return;
    {
        QMutexLocker moving(&m_moving);
        TimerStep step(this);
        qint64 target = 0;
        {
            QMutexLocker lock(&m_writer);
            if (m_frozen.load()) {
                target = m_frozenNow.load() + ns; // reached a timer at a time, below
            } else {
                m_offset.fetch_add(ns);
                m_monoOffset.fetch_add(ns);
                target = systemNs() + m_offset.load();
            }
        }
        step.runDue(target, [this](qint64 due) { raiseFrozenTo(due); });
        raiseFrozenTo(target);
    }
    emit jumped();
}

bool ControlledClock::advanceTo(qint64 ns)
{
    QMutexLocker moving(&m_moving); // recursive: advanceNs takes it again
    const qint64 by = ns - currentNs();
    if (by < 0)
        return false;
    advanceNs(by);
    return true;
}

} // namespace tarmac
