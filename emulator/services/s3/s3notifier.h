#pragma once

#include "services/s3/s3store.h"
#include "services/s3/s3xml.h"

#include <QHash>
#include <QMutex>

#include <memory>

namespace tarmac {

class Clock;
class DeliverySink;
class MessageTargets;
struct Span;
class Tracer;

// Turns the model's object events into S3 event notification records (PROTOCOLS.md §3.3,
// AWS's exact shape) for the targets a bucket's notification configuration names, on the
// trace of the request that caused it: a function gets an asynchronous invocation
// (DeliverySink::submitAsync: stored, retried, sent to destinations); a queue gets the
// record as a message (MessageTargets). An event that cannot be queued (no service for the
// target, a failed write) is recorded as undeliverable: a log line and an error span.
// Thread-safe; bucket configurations are cached and re-read after invalidate().
class S3Notifier
{
public:
    S3Notifier(S3Store *store, DeliverySink *sink, Tracer *tracer, const Clock *clock,
        QString region, QString accountId);

    // Where queue (and topic) targets go; null: they are undeliverable.
    void setMessageTargets(const MessageTargets *targets);

    void onEvent(const S3Event &event);
    // PutBucketNotificationConfiguration's check: every queue target that a running service
    // owns must exist (InvalidArgument, as S3 answers when it cannot validate one).
    Result<void> checkTargets(const s3xml::NotificationConfiguration &configuration) const;
    // What S3 sends each queue of a configuration once it is put: an s3:TestEvent message.
    void sendTestEvents(const QString &bucket,
        const s3xml::NotificationConfiguration &configuration, const QByteArray &requestId);
    // The bucket's configuration changed (or the bucket is gone).
    void invalidate(const QString &bucket);

    // The record for one event and one configuration ({"Records":[…]}).
    static QByteArray record(
        const S3Event &event, const QString &configurationId, const QString &region);
    // Form-style URL encoding of keys in records ("red flower.jpg" → "red+flower.jpg").
    static QByteArray encodeKey(const QByteArray &key);

private:
    std::shared_ptr<const s3xml::NotificationConfiguration> configuration(const QString &bucket);
    void reportUndeliverable(const S3Event &event, const QString &target, const QString &reason);
    // The hand-over of an event to a queue or topic (a producer span under the request), with
    // the error when it had nowhere to go.
    Span notifySpan(
        const S3Event &event, const QString &target, QByteArray spanId, const QString &error) const;

    S3Store *m_store;
    DeliverySink *m_sink;
    const MessageTargets *m_targets = nullptr;
    Tracer *m_tracer;
    const Clock *m_clock;
    QString m_region;
    QString m_accountId;
    QMutex m_mutex;
    QHash<QString, std::shared_ptr<const s3xml::NotificationConfiguration>> m_cache;
};

} // namespace tarmac
