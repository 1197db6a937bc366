#include "services/events/scheduletimers.h"

#include "base/clock.h"
#include "trace/span.h"
#include "trace/tracecontext.h"
#include "trace/tracer.h"

#include <QDateTime>
#include <QPointer>

#include <limits>

namespace tarmac {

ScheduleTimers::ScheduleTimers(const Clock *clock, Tracer *tracer, Hooks hooks, QObject *parent)
    : QObject(parent)
    , m_clock(clock)
    , m_tracer(tracer)
    , m_hooks(std::move(hooks))
{ }

ScheduleTimers::~ScheduleTimers()
{
    stop();
}

void ScheduleTimers::stop()
{
    m_stopped = true;
    resetAll();
}

void ScheduleTimers::resetAll()
{
    for (Slot &slot : m_slots)
        m_clock->cancel(std::exchange(slot.timer, 0));
    m_slots.clear();
}

void ScheduleTimers::rearm(const QString &key)
{
    if (m_stopped)
        return;
    Slot &slot = m_slots[key];
    m_clock->cancel(std::exchange(slot.timer, 0));
    arm(key, slot, std::max(m_clock->nowNs() - 1, slot.lastFiredNs));
    if (!slot.timer && slot.lastFiredNs == std::numeric_limits<qint64>::min())
        m_slots.remove(key);
}

std::function<void(const QString &)> ScheduleTimers::rearmLater()
{
    return [self = QPointer<ScheduleTimers>(this)](const QString &key) {
        QMetaObject::invokeMethod(
            self,
            [self, key] {
                if (self)
                    self->rearm(key);
            },
            Qt::QueuedConnection);
    };
}

void ScheduleTimers::arm(const QString &key, Slot &slot, qint64 afterNs)
{
    const std::optional<qint64> due = m_hooks.next(key, afterNs);
    if (!due)
        return;
    slot.dueNs = *due;
    slot.timer = m_clock->scheduleAt(*due, this, [this, key, at = *due] { tick(key, at); });
}

std::optional<qint64> ScheduleTimers::nextDue(const QString &key) const
{
    const auto it = m_slots.constFind(key);
    if (it == m_slots.cend() || !it->timer)
        return std::nullopt;
    return it->dueNs;
}

void ScheduleTimers::tick(const QString &key, qint64 dueNs)
{
    auto it = m_slots.find(key);
    if (m_stopped || it == m_slots.end())
        return;
    Slot &slot = *it;
    slot.timer = 0;
    slot.lastFiredNs = dueNs;
    // Ticks run in one jump of the clock count towards its limit.
    const qint64 target = m_clock->moveTargetNs();
    if (target != slot.moveTarget) {
        slot.moveTarget = target;
        slot.ticksInMove = 0;
    }
    fire(key, dueNs, slot.ticksInMove);
    ++slot.ticksInMove;
    qint64 after = dueNs;
    if (slot.ticksInMove >= kMaxTicksPerMove && target > dueNs) {
        // Skip to the jump's end: the next tick is the first after it (or at it).
        after = target - 1;
        if (m_tracer) {
            LogRecord log;
            log.timeNs = m_clock->nowNs();
            log.source = m_hooks.service;
            log.severity = LogSeverityWarn;
            log.text = QStringLiteral("%1: %2 ticks delivered in one jump of the clock; the ticks "
                                      "after %3 up to %4 are skipped")
                           .arg(m_hooks.label(key))
                           .arg(kMaxTicksPerMove)
                           .arg(QDateTime::fromMSecsSinceEpoch(dueNs / 1'000'000, Qt::UTC)
                                    .toString(Qt::ISODate),
                               QDateTime::fromMSecsSinceEpoch(target / 1'000'000, Qt::UTC)
                                   .toString(Qt::ISODate));
            m_tracer->record(std::move(log));
        }
    }
    arm(key, slot, after);
}

void ScheduleTimers::fireNow(const QString &key)
{
    fire(key, m_clock->nowNs(), -1);
}

void ScheduleTimers::fire(const QString &key, qint64 dueNs, int ordinal)
{
    const TraceContext trace = TraceContext::newTrace(*m_clock);
    const QByteArray spanId = TraceContext::newSpanId();
    m_hooks.fire(key, dueNs, trace.traceId, spanId);
    if (!m_tracer)
        return;
    const qint64 now = m_clock->nowNs();
    const QString due
        = QDateTime::fromMSecsSinceEpoch(dueNs / 1'000'000, Qt::UTC).toString(Qt::ISODate);
    // A line per tick in the terminal; a jump of the clock shows its first ones only.
    if (ordinal < kTicksShownPerMove) {
        LogRecord log;
        log.timeNs = now;
        log.traceId = trace.traceId;
        log.spanId = spanId;
        log.source = m_hooks.service;
        log.text = ordinal < 0
            ? QStringLiteral("%1 fired by hand at %2").arg(m_hooks.label(key), due)
            : ordinal + 1 == kTicksShownPerMove
            ? QStringLiteral("%1 tick for %2 (the rest of this jump's ticks are not shown)")
                  .arg(m_hooks.label(key), due)
            : QStringLiteral("%1 tick for %2").arg(m_hooks.label(key), due);
        m_tracer->record(std::move(log));
    }
    m_tracer->record(makeSpan({.traceId = trace.traceId,
        .spanId = spanId,
        .service = m_hooks.service,
        .operation = QStringLiteral("Tick"),
        .name = m_hooks.label(key) + QStringLiteral(" tick"),
        .kind = SpanKindProducer,
        .startNs = now,
        .endNs = now,
        .attributes = {{QStringLiteral("tarmac.schedule.due"), due}}}));
}

} // namespace tarmac
