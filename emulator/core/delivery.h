#pragma once

#include <QByteArray>
#include <QString>

#include <functional>

namespace tarmac {

// What a delivery to a function ended with.
struct DeliveryResult
{
    bool delivered = false;     // false: dropped, or the function could not be run at all
    bool functionError = false; // the function ran and failed (Unhandled / Handled)
    QByteArray payload;         // the function's response, or its error document
    QString errorType;          // "Runtime.ExitError", "Sandbox.Timedout", …
    QString errorMessage;
    QByteArray logTail;         // the last 4 KB of logs, for Invoke's LogType=Tail
    QByteArray requestId;
    qint64 durationNs = 0;
};

// One event for one function, from any source (DESIGN.md, "The way an event travels"). The
// source builds the payload exactly as AWS would deliver it; the Dispatcher records the
// delivery, may hold it (pause, breakpoints), and hands it to the function runner.
struct Delivery
{
    QByteArray id;               // empty: the dispatcher assigns one
    QString functionName;        // a name, not an ARN
    QString qualifier;           // "$LATEST" when empty
    QByteArray payload;
    QString origin;              // "s3", "sqs", "apigateway", "schedule", "invoke", "replay", "manual"
    bool async = false;          // Event invocation: retried and sent to destinations per AWS
    QByteArray traceId;          // the trace this delivery continues (32 hex)
    QByteArray parentSpanId;     // the span that caused it (16 hex)
    QByteArray clientContext;    // base64 JSON, as Invoke's X-Amz-Client-Context
    bool tailLogs = false;
    // Called once, on an arbitrary thread, when the delivery is finished (or dropped).
    std::function<void(const DeliveryResult &)> done;
};

// Where sources hand their deliveries: the Dispatcher implements it. Thread-safe.
class DeliverySink
{
public:
    virtual ~DeliverySink() = default;
    virtual void submit(Delivery delivery) = 0;
};

} // namespace tarmac
