#include "engine/eventsourcepoller.h"

#include "functions/delivery.h"
#include "services/eventsourcemappings.h"
#include "trace/tracecontext.h"
#include "trace/tracer.h"

#include <QPointer>

namespace tarmac {

EventSourcePoller::EventSourcePoller(EventSourceMappings *mappings, DeliverySink *sink,
    const Clock *clock, Options options, QObject *parent)
    : QObject(parent)
    , m_mappings(mappings)
    , m_sink(sink)
    , m_clock(clock)
    , m_options(options)
{ }

EventSourcePoller::~EventSourcePoller()
{
    stop();
}

void EventSourcePoller::start()
{
    if (m_started)
        return;
    m_started = true;
    // The registry emits on the API's threads: the poller looks on its own.
    connect(m_mappings, &EventSourceMappings::mappingChanged, this, &EventSourcePoller::pump,
        Qt::QueuedConnection);
    connect(m_mappings, &EventSourceMappings::sourceReady, this, &EventSourcePoller::pumpSource,
        Qt::QueuedConnection);
    connect(m_mappings, &EventSourceMappings::sourcesChanged, this, &EventSourcePoller::pumpAll,
        Qt::QueuedConnection);
    pumpAll();
}

void EventSourcePoller::stop()
{
    m_stopped = true;
    for (Slot &slot : m_slots)
        m_clock->cancel(std::exchange(slot.timer, 0));
}

int EventSourcePoller::inFlight(const QString &uuid) const
{
    return m_slots.value(uuid).inFlight;
}

void EventSourcePoller::pumpAll()
{
    for (const EventSourceMapping &m : m_mappings->list())
        pump(m.uuid);
}

void EventSourcePoller::pumpSource(const QString &eventSourceArn)
{
    for (const EventSourceMapping &m : m_mappings->list()) {
        if (m.eventSourceArn == eventSourceArn)
            pump(m.uuid);
    }
}

void EventSourcePoller::wakeAt(const QString &uuid, Slot &slot, qint64 dueNs)
{
    if (slot.timer && slot.timerDueNs <= dueNs)
        return; // an earlier look is due anyway
    m_clock->cancel(slot.timer);
    slot.timerDueNs = dueNs;
    slot.timer = m_clock->scheduleAt(dueNs, this, [this, uuid] {
        auto it = m_slots.find(uuid);
        if (it != m_slots.end())
            it->timer = 0;
        pump(uuid);
    });
}

QList<BusyItem> EventSourcePoller::busy(bool includeFuture)
{
    QList<BusyItem> out;
    if (!m_started || m_stopped)
        return out;
    const qint64 now = m_clock->nowNs();
    for (const EventSourceMapping &mapping : m_mappings->list()) {
        EventSource *source = m_mappings->sourceFor(mapping.eventSourceArn);
        if (!mapping.enabled || !source)
            continue;
        const QString kind = source->kind() == EventSource::Kind::Queue ? QStringLiteral("queue")
                                                                        : QStringLiteral("stream");
        const auto slot = m_slots.constFind(mapping.uuid);
        if (slot != m_slots.cend() && slot->inFlight > 0) {
            out.append({kind, mapping.eventSourceArn, mapping.uuid, now,
                QStringLiteral("%1 batch(es) in flight to %2")
                    .arg(slot->inFlight)
                    .arg(mapping.functionArn.section(u':', 6, 6))});
            continue;
        }
        // Records the poller will hand out only at a later time (a batching window, the rest
        // after a failed batch) count only when the clock will get there.
        if (!includeFuture && slot != m_slots.cend() && slot->timerDueNs > now)
            continue;
        const EventSourceReadiness ready = source->readiness(mapping);
        if (ready.records > 0) {
            out.append({kind, mapping.eventSourceArn, mapping.uuid, now,
                QStringLiteral("%1 record(s) ready for %2")
                    .arg(ready.records)
                    .arg(mapping.functionArn.section(u':', 6, 6))});
        }
    }
    return out;
}

void EventSourcePoller::pump(const QString &uuid)
{
    if (m_stopped)
        return;
    auto mapping = m_mappings->get(uuid);
    EventSource *source = mapping ? m_mappings->sourceFor(mapping->eventSourceArn) : nullptr;
    if (!mapping || !mapping->enabled || !source) {
        // Deleted, disabled, or its service is not running: nothing to wait for. A slot with
        // batches in flight stays until they finish.
        auto it = m_slots.find(uuid);
        if (it != m_slots.end()) {
            m_clock->cancel(std::exchange(it->timer, 0));
            it->windowStartNs = 0;
            if (it->inFlight == 0)
                m_slots.erase(it);
        }
        return;
    }
    Slot &slot = m_slots[uuid];
    const qint64 now = m_clock->nowNs();
    if (now < slot.restUntilNs) {
        wakeAt(uuid, slot, slot.restUntilNs);
        return;
    }
    const int limit = mapping->maximumConcurrency > 0
        ? mapping->maximumConcurrency
        : qMax(1, source->defaultConcurrency(*mapping));
    while (slot.inFlight < limit) {
        const EventSourceReadiness ready = source->readiness(*mapping);
        if (ready.records <= 0) {
            slot.windowStartNs = 0;
            if (ready.nextNs > 0)
                wakeAt(uuid, slot, ready.nextNs);
            return;
        }
        if (ready.records < mapping->batchSize && mapping->maximumBatchingWindowInSeconds > 0) {
            // Lambda gathers records until the batch is full or the window closes.
            if (slot.windowStartNs == 0)
                slot.windowStartNs = now;
            const qint64 closes = slot.windowStartNs
                + qint64(mapping->maximumBatchingWindowInSeconds) * 1'000'000'000;
            if (now < closes) {
                wakeAt(uuid, slot, closes);
                return;
            }
        }
        std::optional<EventBatch> batch = source->receive(*mapping, mapping->batchSize);
        slot.windowStartNs = 0;
        if (!batch || batch->records.isEmpty())
            return;
        // FilterCriteria: the records no pattern matches are done without the function, as
        // Lambda deletes (or skips) them.
        QList<EventRecord> passed;
        for (const EventRecord &r : std::as_const(batch->records)) {
            if (matchesFilters(mapping->filterPatterns, r.record))
                passed.append(r);
        }
        if (passed.isEmpty()) {
            source->complete(*mapping, *batch, BatchOutcome {});
            continue;
        }
        submit(*mapping, slot, std::move(*batch), std::move(passed));
    }
}

void EventSourcePoller::submit(
    const EventSourceMapping &mapping, Slot &slot, EventBatch batch, QList<EventRecord> passed)
{
    Json records = Json::array();
    for (const EventRecord &r : std::as_const(passed))
        records.push_back(r.record);
    Delivery d;
    d.functionName = mapping.functionName();
    d.qualifier = mapping.qualifier();
    d.payload = toJsonBytes(Json {{"Records", records}});
    d.origin = mapping.sourceService();
    d.traceId = batch.traceId;
    d.parentSpanId = batch.parentSpanId;
    // The poll: a consumer span under the send's (the records' trace), above the delivery.
    Poll poll;
    if (m_options.tracer && batch.traceId.size() == 32) {
        poll.spanId = TraceContext::newSpanId();
        poll.startNs = m_clock->nowNs();
        d.parentSpanId = poll.spanId;
    }
    ++slot.inFlight;
    QPointer<EventSourcePoller> self(this);
    // Always queued back to the poller's thread, even when the sink answers at once: the
    // answer must not run inside pump()'s loop.
    d.done = [self, mapping, batch = std::move(batch), passed = std::move(passed), poll](
                 const DeliveryResult &result) {
        if (!self)
            return;
        QMetaObject::invokeMethod(
            self.data(),
            [self, mapping, batch, passed, result, poll] {
                if (self)
                    self->finish(mapping, batch, passed, result, poll);
            },
            Qt::QueuedConnection);
    };
    m_sink->submit(std::move(d));
}

void EventSourcePoller::finish(const EventSourceMapping &mapping, const EventBatch &batch,
    const QList<EventRecord> &passed, const DeliveryResult &result, const Poll &poll)
{
    EventBatch delivered;
    delivered.records = passed;
    BatchOutcome outcome = batchOutcome(mapping, delivered, result);
    if (outcome.status == BatchOutcome::Status::Failed && passed.size() < batch.records.size()) {
        // The records the filters let through failed; those they held back are still done.
        outcome.status = BatchOutcome::Status::PartiallyFailed;
        for (const EventRecord &r : passed)
            outcome.failedItemIds.append(r.itemId);
    }
    // The source settles the records even when the mapping has gone meanwhile: a queue's
    // messages must still be deleted or made visible again.
    if (EventSource *source = m_mappings->sourceFor(mapping.eventSourceArn))
        source->complete(mapping, batch, outcome);
    recordPoll(mapping, batch, int(passed.size()), outcome, poll);
    m_mappings->setLastProcessingResult(mapping.uuid,
        outcome.status == BatchOutcome::Status::Failed
            ? QStringLiteral("PROBLEM: Function call failed")
            : QStringLiteral("OK"));
    auto it = m_slots.find(mapping.uuid);
    if (it == m_slots.end())
        return;
    --it->inFlight;
    if (outcome.status == BatchOutcome::Status::Failed)
        it->restUntilNs = m_clock->nowNs() + m_options.failureBackoffNs;
    pump(mapping.uuid);
}

void EventSourcePoller::recordPoll(const EventSourceMapping &mapping, const EventBatch &batch,
    int delivered, const BatchOutcome &outcome, const Poll &poll)
{
    if (poll.spanId.isEmpty() || !m_options.tracer)
        return;
    const QString service = mapping.sourceService();
    const QString source = mapping.eventSourceArn.section(u':', 5);
    QString error;
    if (outcome.status == BatchOutcome::Status::Failed)
        error = QStringLiteral("the function failed: the records are retried");
    else if (outcome.status == BatchOutcome::Status::PartiallyFailed)
        error = QStringLiteral("%1 of %2 record(s) failed and are retried")
                    .arg(outcome.failedItemIds.size())
                    .arg(batch.records.size());
    m_options.tracer->record(makeSpan({.traceId = batch.traceId,
        .spanId = poll.spanId,
        .parentSpanId = batch.parentSpanId,
        .service = service,
        .operation = QStringLiteral("Poll"),
        .name = QStringLiteral("%1 poll %2").arg(service.toUpper(), source),
        .kind = SpanKindConsumer,
        .startNs = poll.startNs,
        .endNs = m_clock->nowNs(),
        .error = error,
        .attributes = {{QStringLiteral("messaging.system"), QStringLiteral("aws_") + service},
            {QStringLiteral("messaging.destination.name"), source},
            {QStringLiteral("messaging.batch.message_count"), int(batch.records.size())},
            {QStringLiteral("aws.lambda.event_source_mapping"), mapping.uuid},
            {QStringLiteral("faas.invoked_name"), mapping.functionName()},
            {QStringLiteral("tarmac.records_delivered"), delivered}}}));
}

} // namespace tarmac
