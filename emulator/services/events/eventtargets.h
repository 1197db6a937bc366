#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QByteArray>
#include <QHash>
#include <QMap>
#include <QObject>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>

namespace tarmac {

class Clock;
class DeliverySink;
class FunctionRunner;
class MessageTargets;
class Tracer;
struct EngineContext;

// Where a rule or a schedule sends what it matched or what fell due, as the API stores it
// (PutTargets' Target, CreateSchedule's Target): the ARN, the retry policy and dead-letter
// queue EventBridge applies to handing the event over, and SQS FIFO's group id.
struct EventTarget
{
    QString id; // a rule's target id; empty for a schedule's one target
    QString arn;
    int maximumRetryAttempts = 185;
    int maximumEventAgeSeconds = 86'400;
    QString deadLetterArn;
    QString messageGroupId; // SqsParameters.MessageGroupId
    // Scheduler's EventBridgeParameters: the event a schedule puts on a bus.
    QString detailType;
    QString source;
};

// What one send is, for the dead-letter message and the log: the rule or schedule it came
// from, and the trace it continues (the tick's span, the PutEvents request's span).
struct SendOrigin
{
    QString service; // "events" or "scheduler": the origin of deliveries and log lines
    QString sourceArn; // the rule's or schedule's ARN
    QString sourceName; // for log lines
    QByteArray traceId;
    QByteArray parentSpanId;
};

// Hands events to rule and schedule targets: a function as an asynchronous invocation through
// the Dispatcher (so it can be held, stepped, edited like any delivery, and the function's
// own retries and destinations apply, as Lambda's do after EventBridge hands it over), a
// queue or an event bus through MessageTargets. A hand-over that fails is retried on the
// engine's clock with exponential back-off (1 s doubling to 60 s) until the target's
// MaximumRetryAttempts or MaximumEventAgeInSeconds runs out; a target that does not exist is
// not retried (as EventBridge does not). What is not handed over goes to the target's
// dead-letter queue with EventBridge's error attributes, or, without one, to a warning in the
// log and an error span. Retries in progress are in memory: a restart forgets them (the
// event itself was acknowledged by the service that received it only when it was handed
// over). Lives on the engine's thread; send() may be called from any thread.
class EventTargetSender : public QObject
{
    Q_OBJECT
public:
    EventTargetSender(const EngineContext &context, QObject *parent = nullptr);
    ~EventTargetSender() override;

    // `payload` is what the target receives (the event, or the target's input). `attempt` is
    // 1 for the first hand-over. Scheduler targets' inputs may hold its context placeholders
    // (<aws.scheduler.attempt-number>): `render` makes the payload for an attempt.
    using Render = std::function<QByteArray(int attempt)>;
    void send(const EventTarget &target, Render render, const SendOrigin &origin);
    // Forgets the retries in progress: their rules and schedules were replaced underneath (a
    // reset, a snapshot restored), so what they would still hand over belongs to a state that
    // is gone. Their pending timers run as no-ops; a send under way on another thread may
    // still make its first attempt.
    void dropRetries() { ++m_epoch; }

    // The function a Lambda ARN names, with its qualifier; empty when not a function ARN.
    static std::pair<QString, QString> functionOf(const QString &arn);

private:
    struct Pending;
    Result<void> handOver(const Pending &p, const QByteArray &payload);
    void attempt(std::shared_ptr<Pending> p);
    void deadLetter(const Pending &p, const Error &error);

    const Clock *m_clock;
    Tracer *m_tracer;
    DeliverySink *m_sink;
    FunctionRunner *m_runner;
    MessageTargets *m_targets;
    std::shared_ptr<bool> m_alive;
    std::atomic<quint64> m_epoch {0}; // dropRetries() count: a retry of an older one is dropped
};

} // namespace tarmac
