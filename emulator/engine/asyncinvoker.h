#pragma once

#include "base/busy.h"
#include "base/result.h"
#include "functions/delivery.h"

#include <QList>
#include <QObject>

#include <optional>

namespace tarmac {

class Clock;
class MessageTargets;
class Store;
struct TargetMessage;
class Tracer;

// Asynchronous invocations, the way Lambda's internal queue treats them, for every source
// (Invoke with InvocationType Event, S3 notifications, …; the Dispatcher's submitAsync()
// lands here): each is
// written to the state (table lambda_async_events) before Invoke answers 202, so nothing
// acknowledged is lost across a crash; it is delivered through the Dispatcher; a failed
// attempt is retried up to the function's MaximumRetryAttempts (2 unless configured) after a
// back-off, within MaximumEventAgeInSeconds; then the invocation record goes to the
// OnSuccess / OnFailure destination when one is configured. Invocations left unfinished by
// a previous run are resumed by open().
//
// Lambda waits about one and then two minutes between attempts; locally that is too slow to
// watch, so the delays are Options (1 s and 2 s by default). They are timers of the Clock's:
// a frozen clock holds a retry and an advance past its back-off sends it. Destinations that
// are Lambda functions are invoked (asynchronously, through this queue); others (SQS queues)
// get the record through the services' MessageTargets; one no service takes is logged.
class AsyncInvoker : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QList<int> retryDelaysMs {1000, 2000};
        // Where retries and final failures are logged (the function's log), or null.
        Tracer *tracer = nullptr;
        // Where destinations that are not functions (SQS queues) are delivered, or null.
        const MessageTargets *messageTargets = nullptr;
    };

    struct Event
    {
        QByteArray id; // the invocation's request id
        QString function;
        QString qualifier;
        QByteArray payload;
        QByteArray traceId;
        QByteArray parentSpanId;
        QByteArray clientContext;
        QString origin = QStringLiteral("invoke");
    };

    AsyncInvoker(Store *store, const Clock *clock, Options options, QObject *parent = nullptr);
    ~AsyncInvoker() override;

    // Creates the table and resumes what a previous run left queued (or held at a breakpoint,
    // or running when Tarmac was killed); deliveries go to `sink` (the Dispatcher). `configs`
    // (the functions' retry and destination settings, null: AWS's defaults) must outlive it.
    Result<void> open(DeliverySink *sink, const EventInvokeConfigs *configs);
    // Durable when it returns without error.
    Result<void> enqueue(Event event);
    Result<void> enqueue(const Delivery &delivery);
    // No new attempts after this; queued events stay queued for the next start.
    void stop();
    // Its rows were replaced (a reset, a snapshot restored): the attempts scheduled before
    // are dropped, and what the rows hold queued is scheduled as open() does. Engine thread.
    Result<void> reload();

    int inFlight() const;
    // Invocations queued for an attempt (a first one, or a retry after its back-off): what
    // settling waits for. Those due later than now only when `includeFuture` (a running
    // clock will get there; a frozen one will not). Any thread.
    QList<BusyItem> busy(bool includeFuture) const;

private:
    struct Row;
    Result<std::optional<Row>> readRow(const QByteArray &id);
    Result<void> resume(); // schedules every queued (or interrupted) row's attempt
    void schedule(const QByteArray &id, qint64 dueNs);
    void attempt(const QByteArray &id);
    void onResult(const QByteArray &id, const DeliveryResult &result);
    // The OnSuccess / OnFailure destination; on failure, the function's dead-letter queue too.
    void sendToDestination(const Row &row, const DeliveryResult &result, bool success);
    void sendToDeadLetterQueue(const Row &row, const DeliveryResult &result, const QString &target);
    // To another service's resource (MessageTargets), on the row's trace; `what` names it in
    // the warning logged when it cannot be delivered ("dead-letter queue").
    void deliverMessage(
        const Row &row, const QString &what, const QString &arn, TargetMessage message);
    void logFor(const Row &row, int severity, const QString &text);
    void setStatus(const QByteArray &id, const char *status, int attempts, qint64 nextNs,
        const QString &lastError);

    Store *m_store;
    const Clock *m_clock;
    const EventInvokeConfigs *m_configs = nullptr;
    const Options m_options;
    DeliverySink *m_sink = nullptr;
    bool m_stopped = false;
    int m_inFlight = 0;
    quint64 m_epoch = 0; // reload() counts up: older scheduled attempts are dropped
};

} // namespace tarmac
