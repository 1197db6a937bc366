#pragma once

#include "base/busy.h"
#include "base/clock.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QString>

namespace tarmac {

class DeliverySink;
class EventSourceMappings;
struct BatchOutcome;
struct DeliveryResult;
struct EventBatch;
struct EventRecord;
struct EventSourceMapping;

// Delivers the batches of every enabled event-source mapping (services/eventsourcemappings.h)
// to its function, the way Lambda's pollers do: it asks the mapping's source how many records
// are ready, waits up to MaximumBatchingWindowInSeconds for a full batch, takes up to
// BatchSize records, hands the event ({"Records": […]}) to the Dispatcher as a synchronous
// delivery, and tells the source what came of it (batchOutcome(): success, whole failure, or
// the ReportBatchItemFailures list); records that FilterCriteria hold back count as done
// without the function. At most ScalingConfig.MaximumConcurrency batches of a mapping are in
// flight (the source's default when not set); a disabled or deleted mapping is not polled.
//
// Nothing polls in a loop: a mapping is looked at when it changes, when its source wakes the
// registry, when a batch finishes, and at the times it waits for (a batching window, the
// source's next ready record, the back-off after a failed batch), which are timers of the
// engine's Clock, so a frozen clock holds them and an advance runs them. Lives on the
// engine's thread.
class Tracer;

class EventSourcePoller : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        // How long a mapping rests after a batch failed as a whole (a function that throws,
        // or cannot run), so that a failing function is not called in a tight loop.
        qint64 failureBackoffNs = 1'000'000'000;
        // Where each batch's poll is recorded (a consumer span from the receive to the
        // records' settling, between the send's span and the delivery), or null.
        Tracer *tracer = nullptr;
    };

    EventSourcePoller(EventSourceMappings *mappings, DeliverySink *sink, const Clock *clock,
        Options options, QObject *parent = nullptr);
    EventSourcePoller(EventSourceMappings *mappings, DeliverySink *sink, const Clock *clock,
        QObject *parent = nullptr)
        : EventSourcePoller(mappings, sink, clock, Options {}, parent)
    { }
    ~EventSourcePoller() override;

    // Looks at every mapping now and follows the registry's changes from here on.
    void start();
    // No new batches; those in flight still report to their source when they finish.
    void stop();

    // Batches of the mapping handed to the Dispatcher and not finished yet.
    int inFlight(const QString &uuid) const;
    // Mappings with batches in flight or records ready to deliver: what settling waits for.
    // Records held back until a later time (a batching window, a failed batch's rest) only
    // when `includeFuture`. On the engine's thread.
    QList<BusyItem> busy(bool includeFuture);

private:
    // The span of one batch's poll.
    struct Poll
    {
        QByteArray spanId; // empty: not recorded
        qint64 startNs = 0;
    };
    struct Slot
    {
        int inFlight = 0;
        qint64 windowStartNs = 0; // the batching window opened (records seen, batch not full)
        qint64 restUntilNs = 0; // the back-off after a failed batch
        Clock::TimerId timer = 0;
        qint64 timerDueNs = 0;
    };

    void pump(const QString &uuid);
    void pumpAll();
    void pumpSource(const QString &eventSourceArn);
    void wakeAt(const QString &uuid, Slot &slot, qint64 dueNs);
    // `passed`: the batch's records that FilterCriteria let through, the ones delivered.
    void submit(
        const EventSourceMapping &mapping, Slot &slot, EventBatch batch, QList<EventRecord> passed);
    void finish(const EventSourceMapping &mapping, const EventBatch &batch,
        const QList<EventRecord> &passed, const DeliveryResult &result, const Poll &poll);
    void recordPoll(const EventSourceMapping &mapping, const EventBatch &batch, int delivered,
        const BatchOutcome &outcome, const Poll &poll);

    EventSourceMappings *m_mappings;
    DeliverySink *m_sink;
    const Clock *m_clock;
    const Options m_options;
    QHash<QString, Slot> m_slots; // by UUID
    bool m_started = false;
    bool m_stopped = false;
};

} // namespace tarmac
