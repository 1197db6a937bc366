#pragma once

#include "base/result.h"

#include <QByteArray>
#include <QString>

#include <functional>
#include <optional>

namespace tarmac {

// What a delivery to a function ended with.
struct DeliveryResult
{
    bool delivered = false; // false: dropped, or the function could not be run at all
    bool functionError = false; // the function ran and failed (Unhandled / Handled)
    QByteArray payload; // the function's response, or its error document
    QString errorType; // "Runtime.ExitError", "Sandbox.Timedout", …
    QString errorMessage;
    QByteArray logTail; // the last 4 KB of logs, for Invoke's LogType=Tail
    QByteArray requestId;
    qint64 durationNs = 0;
};

// One event for one function, from any source (DESIGN.md, "The way an event travels"). The
// source builds the payload exactly as AWS would deliver it; the Dispatcher records the
// delivery, may hold it (pause, breakpoints), and hands it to the function runner.
struct Delivery
{
    QByteArray id; // empty: the dispatcher assigns one
    QString functionName; // a name, not an ARN
    QString qualifier; // "$LATEST" when empty
    QByteArray payload;
    QString origin; // "s3", "sqs", "apigateway", "schedule", "invoke", "replay", "manual"
    bool async = false; // Event invocation: retried and sent to destinations per AWS
    QByteArray traceId; // the trace this delivery continues (32 hex)
    QByteArray parentSpanId; // the span that caused it (16 hex)
    QByteArray clientContext; // base64 JSON, as Invoke's X-Amz-Client-Context
    bool tailLogs = false;
    // A fault a test injected (engine/faults.h), marked on the delivery's spans: its
    // description, and what the function runner is to do about it.
    QString fault;
    enum class Forced { None, ColdStart, Timeout };
    Forced forced = Forced::None;
    bool faultsApplied = false; // the Dispatcher has looked at the fault rules for it
    // Called once, on an arbitrary thread, when the delivery is finished (or dropped).
    std::function<void(const DeliveryResult &)> done;
    // Called once, on an arbitrary thread, when the delivery goes to the function: at once,
    // or when a held delivery is released (not for one dropped). A caller's own timeout
    // starts here (API Gateway's 29 s), so that a delivery held at a breakpoint or in the
    // stepper does not time out while the developer looks at it.
    std::function<void()> started;
    // A delivery whose work is its source's own, not a function's (a Step Functions state
    // about to run, held so that the developer can step it and edit its input): when it goes,
    // at once or released with its payload perhaps edited, the Dispatcher calls this with the
    // payload instead of handing it to the function runner, and it is then done (delivered).
    // Called on an arbitrary thread. Such a delivery is recorded, held and stepped like any.
    std::function<void(const QByteArray &payload)> runLocally;
};

// What happens to an asynchronous invocation that fails (Lambda's
// PutFunctionEventInvokeConfig), for every asynchronous source alike.
struct EventInvokeConfig
{
    int maximumRetryAttempts = 2; // 0 to 2
    int maximumEventAgeSeconds = 21'600; // 60 to 21600
    QString onSuccess; // destination ARNs, or empty
    QString onFailure;
    // The function's own DeadLetterConfig.TargetArn (an SQS queue), or empty: an event whose
    // retries are spent goes there as well, as the original payload with RequestID,
    // ErrorCode and ErrorMessage attributes.
    QString deadLetterTarget;
    qint64 lastModifiedNs = 0;
};

// Where sources hand their deliveries: the engine's Dispatcher implements it. Thread-safe.
class DeliverySink
{
public:
    virtual ~DeliverySink() = default;
    // A synchronous delivery: run now (or when released, if held); `done` gets the outcome.
    virtual void submit(Delivery delivery) = 0;
    // An asynchronous invocation, from any source (Invoke with InvocationType Event, an S3
    // notification, …): stored before this returns, so that nothing acknowledged is lost to a
    // crash, then delivered, retried and sent to its destinations as Lambda does, by the
    // engine's policy. `done` is not called. Delivery::id, when empty, gets a request id.
    virtual Result<void> submitAsync(Delivery delivery) = 0;
    // Whether submit() would hold this delivery now (delivery is paused, or a breakpoint
    // matches it): a source with work of its own to step (Delivery::runLocally) submits it
    // only then, and otherwise goes on at once.
    virtual bool wouldHold(const Delivery &delivery) const
    {
        Q_UNUSED(delivery);
        return false;
    }
};

// The asynchronous policy's view of a function's EventInvokeConfig and ARN, offered by the
// service that keeps them (Lambda). Thread-safe.
class EventInvokeConfigs
{
public:
    virtual ~EventInvokeConfigs() = default;
    virtual std::optional<EventInvokeConfig> eventInvokeConfig(const QString &function) const = 0;
    virtual QString arnFor(const QString &function) const = 0;
};

} // namespace tarmac
