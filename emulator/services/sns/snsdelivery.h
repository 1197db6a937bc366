#pragma once

#include "base/busy.h"
#include "base/json.h"
#include "base/result.h"
#include "services/sns/snsfilter.h"

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QString>
#include <QUrl>

#include <atomic>
#include <memory>

class QNetworkAccessManager;

namespace tarmac {

class Clock;
class DeliverySink;
class FunctionRunner;
class MessageTargets;
class LazySnsSigner;
class SnsStore;
class Store;
class Tracer;
struct EngineContext;
struct SnsSubscription;
struct TargetMessage;

// One message to publish, as Publish and PublishBatch checked it.
struct SnsPublish
{
    QString topicArn;
    QString message;
    QString subject;
    // MessageStructure json: `message` is a JSON object with a "default" message and
    // optional ones per protocol ("sqs", "lambda", "http", "https").
    bool perProtocol = false;
    SnsFilterPolicy::Attributes attributes;
    QString groupId;
    QString deduplicationId;
    QByteArray traceId; // the publisher's request
    QByteArray spanId;
};

struct SnsPublished
{
    QString messageId;
    QString sequenceNumber; // FIFO topics
};

// Fans a published message out to a topic's confirmed subscriptions, as SNS delivers it:
// queues get SNS's envelope or, with RawMessageDelivery, the message with its attributes
// (through MessageTargets, durable before Publish answers); functions get the Records[].Sns
// event as an asynchronous invocation through the Dispatcher (stored before Publish
// answers; the engine's retry policy and destinations apply); HTTP(S) endpoints get signed
// POSTs with SNS's headers, from an outbox in SQLite (sns_outbox), so a message Publish
// acknowledged reaches them even across a crash; retried per the subscription's delivery
// policy (three retries 20 s apart by default) on the engine's clock. An endpoint that is
// down does not slow Publish. What cannot be delivered goes to the subscription's
// RedrivePolicy queue, or to a warning in the log and an error span.
//
// publish() is thread-safe; the object lives on the engine's thread (HTTP runs there).
class SnsDelivery : public QObject
{
    Q_OBJECT
public:
    SnsDelivery(const EngineContext &context, SnsStore *store, LazySnsSigner *signer,
        QObject *parent = nullptr);
    ~SnsDelivery() override;

    Result<void> open(); // the outbox table; sends what a previous run left in it
    void stop();
    // The outbox's rows were replaced (a reset, a snapshot restored): what is being sent or
    // waits for a retry is dropped (a reply still to come changes nothing), and the outbox's
    // rows are sent as open() sends them. On the engine's thread.
    Result<void> reload();
    // The outbox's messages not yet sent (or waiting for a retry).
    QList<BusyItem> busy() const;

    // Gives the message its id (and on a FIFO topic its sequence number, or the id of the same
    // message published in the last five minutes: its deduplication id, else a hash of the
    // message), then fans it out, filter policies applied.
    Result<SnsPublished> publish(const SnsPublish &message);

    // An http(s) subscription waiting for confirmation: sends SubscriptionConfirmation.
    void requestConfirmation(const SnsSubscription &subscription);

    // Where Tarmac serves what SNS's messages link to (on the edge port, under
    // /_tarmac/sns/).
    QString signingCertUrl() const;
    QString subscribeUrl(const QString &topicArn, const QString &token) const;
    QString unsubscribeUrl(const QString &subscriptionArn) const;

    // Signatures made for one publish, by message: what is signed (message, id, subject,
    // time, topic) is the same for every subscription, so one RSA signature serves them all.
    // The envelopes of one publish are the same for every queue but for UnsubscribeURL (its
    // last field): made once per message, without it.
    struct Signatures
    {
        QHash<QString, QByteArray> byMessage;
        QHash<QString, QByteArray> envelopeHeads;
    };
    // envelope() as bytes, for one subscription, from the publish's cache.
    QByteArray envelopeBytes(const SnsPublish &p, const QString &message, const QString &messageId,
        const QString &sequenceNumber, const QString &subscriptionArn, const QString &timestamp,
        Signatures &signatures) const;
    // The Notification envelope (queues, HTTP endpoints), signed.
    Json envelope(const SnsPublish &p, const QString &message, const QString &messageId,
        const QString &sequenceNumber, const QString &subscriptionArn, const QString &timestamp,
        Signatures &signatures) const;
    // Lambda's event for one message.
    QByteArray lambdaEvent(const SnsPublish &p, const QString &message, const QString &messageId,
        const QString &subscriptionArn, const QString &timestamp, Signatures &signatures) const;

    // The message a subscription of `protocol` gets (the per-protocol one, or the default).
    static QString messageFor(const SnsPublish &p, const QString &protocol);

private:
    struct Outgoing;
    // What a queue subscription gets: the envelope, or the raw message with its attributes.
    TargetMessage queueMessage(const SnsPublish &p, const SnsSubscription &s,
        const QString &messageId, const QString &sequenceNumber, const QString &timestamp,
        Signatures &signatures) const;
    Result<void> deliverFunction(const SnsPublish &p, const SnsSubscription &s,
        const QString &messageId, const QString &timestamp, Signatures &signatures);
    // Into the outbox (durable once it returns), then sent from the engine's thread.
    Result<void> queueHttp(Outgoing o);
    // Reads the outbox (its rows marked with a new epoch) and sends every row.
    Result<void> sendOutbox();
    QString signatureVersion(const QString &topicArn) const;
    void sendHttp(std::shared_ptr<Outgoing> o);
    void finishHttp(const Outgoing &o, const QString &error);
    void failed(
        const SnsPublish &p, const SnsSubscription &s, const QByteArray &body, const Error &error);
    void warn(const QByteArray &traceId, const QByteArray &spanId, const QString &target,
        const QString &text);
    QString timestampNow() const;

    const Clock *m_clock;
    Store *m_db;
    Tracer *m_tracer;
    DeliverySink *m_sink;
    FunctionRunner *m_runner;
    MessageTargets *m_targets;
    SnsStore *m_store;
    LazySnsSigner *m_signer;
    QString m_edge;
    QNetworkAccessManager *m_network = nullptr;
    bool m_stopped = false;
    // Counts reloads: an Outgoing of an earlier epoch (a reply, a retry, a send queued by
    // queueHttp) is for rows that were replaced, and is dropped. Changed and read by
    // queueHttp inside Store::write, so that a row is sent by the reload or by its publish,
    // never by both or neither.
    std::atomic<quint64> m_epoch {0};
    QSet<quint64> m_retries; // the pending retries' Clock::TimerId, on the engine's thread
};

} // namespace tarmac
