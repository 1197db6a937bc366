#pragma once

#include "base/result.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QMap>
#include <QReadWriteLock>
#include <QString>

namespace tarmac {

// A message one service hands to a resource another service owns: an S3 event notification
// for a queue, a function's asynchronous-invocation record for its destination, …
struct TargetMessage
{
    QByteArray body;
    QByteArray traceId; // the sender's trace (32 hex digits), or empty
    QByteArray parentSpanId; // the sender's span in it (16 hex digits), or empty
    // Message attributes by name: DataType ("String", "Number") and value (an asynchronous
    // invocation's dead-letter message carries RequestID, ErrorCode and ErrorMessage).
    QMap<QString, std::pair<QString, QString>> attributes;
    // For a FIFO queue (EventBridge's SqsParameters): the group, and the deduplication id
    // (empty: the queue's content-based deduplication, or a fresh id when it has none).
    QString messageGroupId;
    QString deduplicationId;
};

// What a service that receives messages implements (SQS for queues).
class MessageTarget
{
public:
    virtual ~MessageTarget();
    // Durable once it returns without error. Any thread. An error is the target's own
    // (QueueDoesNotExist), for a log line.
    virtual Result<void> deliverMessage(const QString &arn, const TargetMessage &message) = 0;
    // Whether the ARN names a resource that exists now (a configuration's check). Any thread.
    virtual bool targetExists(const QString &arn) const = 0;
    // Several messages, each for its ARN (a topic's fan-out to many queues): each one's outcome
    // in order, the delivered ones durable once it returns. A target that can commit them
    // together overrides it (one write instead of one per message); by default each goes
    // through deliverMessage(). Any thread.
    virtual QList<Result<void>> deliverMessages(
        const QList<std::pair<QString, TargetMessage>> &messages);
};

// Where senders find the service behind an ARN without knowing it: each receiving service
// registers its target for the ARN's service part ("sqs"); S3's notifications and the
// engine's asynchronous policy deliver through it. Thread-safe.
class MessageTargets
{
public:
    // `service` is the ARN's third field; the target is not owned and must be removed before
    // it goes.
    void add(const QString &service, MessageTarget *target);
    void remove(MessageTarget *target);

    // Some service takes messages for this ARN's kind.
    bool handles(const QString &arn) const;
    bool exists(const QString &arn) const;
    // NoSuchTarget when no service takes this kind of ARN.
    Result<void> deliver(const QString &arn, const TargetMessage &message) const;
    // Several at once: each one's outcome in order; each service's share handed to it in one
    // deliverMessages() call.
    QList<Result<void>> deliverAll(const QList<std::pair<QString, TargetMessage>> &messages) const;

    // The ARN's service part ("sqs" of arn:aws:sqs:us-east-1:000000000000:q), or empty.
    static QString serviceOf(const QString &arn);

private:
    mutable QReadWriteLock m_lock;
    QHash<QString, MessageTarget *> m_targets;
};

} // namespace tarmac
