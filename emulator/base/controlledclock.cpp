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

qint64 ControlledClock::nowNs() const
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

qint64 ControlledClock::offsetNs() const
{
    return nowNs() - systemNs();
}

void ControlledClock::freeze()
{
    {
        QMutexLocker lock(&m_writer);
        if (m_frozen.load())
            return;
        m_frozenNow.store(systemNs() + m_offset.load());
        m_frozenMono.store(steadyNs() + m_monoOffset.load());
        m_frozen.store(true);
    }
    emit jumped();
}

void ControlledClock::resume()
{
    {
        QMutexLocker lock(&m_writer);
        if (!m_frozen.load())
            return;
        // Carry on from the frozen time: the pause is not made up for.
        m_offset.store(m_frozenNow.load() - systemNs());
        m_monoOffset.store(m_frozenMono.load() - steadyNs());
        m_frozen.store(false);
    }
    emit jumped();
}

void ControlledClock::advanceNs(qint64 ns)
{
    if (ns <= 0)
        return;
    {
        QMutexLocker lock(&m_writer);
        if (m_frozen.load()) {
            m_frozenNow.fetch_add(ns);
            m_frozenMono.fetch_add(ns);
        } else {
            m_offset.fetch_add(ns);
            m_monoOffset.fetch_add(ns);
        }
    }
    emit jumped();
}

} // namespace tarmac
