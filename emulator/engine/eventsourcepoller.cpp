#include "engine/eventsourcepoller.h"

#include "functions/delivery.h"
#include "services/eventsourcemappings.h"

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
    ++slot.inFlight;
    QPointer<EventSourcePoller> self(this);
    // Always queued back to the poller's thread, even when the sink answers at once: the
    // answer must not run inside pump()'s loop.
    d.done = [self, mapping, batch = std::move(batch), passed = std::move(passed)](
                 const DeliveryResult &result) {
        if (!self)
            return;
        QMetaObject::invokeMethod(
            self.data(),
            [self, mapping, batch, passed, result] {
                if (self)
                    self->finish(mapping, batch, passed, result);
            },
            Qt::QueuedConnection);
    };
    m_sink->submit(std::move(d));
}

void EventSourcePoller::finish(const EventSourceMapping &mapping, const EventBatch &batch,
    const QList<EventRecord> &passed, const DeliveryResult &result)
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

} // namespace tarmac
