#include "base/clock.h"

#include <chrono>

namespace tarmac {

Clock::~Clock() = default;

QDateTime Clock::now() const
{
    return QDateTime::fromMSecsSinceEpoch(nowMs(), Qt::UTC);
}

qint64 SystemClock::nowNs() const
{
    using namespace std::chrono;
    return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}

qint64 SystemClock::monotonicNs() const
{
    using namespace std::chrono;
    return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

ManualClock::ManualClock(qint64 startNs, QObject *parent) : Clock(parent), m_now(startNs) { }

void ManualClock::setNowNs(qint64 ns)
{
    m_now.store(ns, std::memory_order_relaxed);
    emit jumped();
}

void ManualClock::advanceNs(qint64 ns)
{
    m_now.fetch_add(ns, std::memory_order_relaxed);
    emit jumped();
}

} // namespace tarmac
