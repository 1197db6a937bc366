#include "services/s3/s3notifier.h"

#include "base/clock.h"
#include "base/json.h"
#include "functions/delivery.h"
#include "services/messagetargets.h"
#include "trace/tracecontext.h"
#include "trace/tracer.h"

#include <QSet>

namespace tarmac {

S3Notifier::S3Notifier(S3Store *store, DeliverySink *sink, Tracer *tracer, const Clock *clock,
    QString region, QString accountId)
    : m_store(store)
    , m_sink(sink)
    , m_tracer(tracer)
    , m_clock(clock)
    , m_region(std::move(region))
    , m_accountId(std::move(accountId))
{ }

void S3Notifier::setMessageTargets(const MessageTargets *targets)
{
    m_targets = targets;
}

void S3Notifier::invalidate(const QString &bucket)
{
    QMutexLocker lock(&m_mutex);
    if (bucket.isEmpty())
        m_cache.clear();
    else
        m_cache.remove(bucket);
}

std::shared_ptr<const s3xml::NotificationConfiguration> S3Notifier::configuration(
    const QString &bucket)
{
    {
        QMutexLocker lock(&m_mutex);
        const auto it = m_cache.constFind(bucket);
        if (it != m_cache.constEnd())
            return *it;
    }
    std::shared_ptr<const s3xml::NotificationConfiguration> config;
    const auto document = m_store->bucketDocument(bucket, S3Store::BucketDocument::Notification);
    if (document && !document->isEmpty()) {
        if (auto parsed = s3xml::parseNotification(*document))
            config = std::make_shared<const s3xml::NotificationConfiguration>(std::move(*parsed));
    }
    QMutexLocker lock(&m_mutex);
    m_cache.insert(bucket, config);
    return config;
}

QByteArray S3Notifier::encodeKey(const QByteArray &key)
{
    static const char hex[] = "0123456789ABCDEF";
    QByteArray out;
    out.reserve(key.size() + 8);
    for (const char ch : key) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
            || c == '_' || c == '.' || c == '~' || c == '/') {
            out += char(c);
        } else if (c == ' ') {
            out += '+';
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
    }
    return out;
}

QByteArray S3Notifier::record(
    const S3Event &event, const QString &configurationId, const QString &region)
{
    const std::string principal = "AWS:000000000000";
    Json object = {
        {"key", encodeKey(event.key).toStdString()}, {"sequencer", event.sequencer.toStdString()}};
    if (event.eventName.startsWith(QLatin1String("ObjectCreated:"))) {
        object["size"] = event.size;
        object["eTag"] = event.etag.toStdString();
    }
    if (!event.versionId.isEmpty())
        object["versionId"] = event.versionId.toStdString();
    const std::string bucket = event.bucket.toStdString();
    Json record = {
        {"eventVersion", "2.1"},
        {"eventSource", "aws:s3"},
        {"awsRegion", region.toStdString()},
        {"eventTime", s3xml::isoTime(event.timeNs).toStdString()},
        {"eventName", event.eventName.toStdString()},
        {"userIdentity", {{"principalId", principal}}},
        {"requestParameters",
            {{"sourceIPAddress",
                event.origin.sourceIp.isEmpty() ? std::string("127.0.0.1")
                                                : event.origin.sourceIp.toStdString()}}},
        {"responseElements",
            {{"x-amz-request-id", event.origin.requestId.toStdString()},
                {"x-amz-id-2", event.origin.requestId.toStdString()}}},
        {"s3",
            {{"s3SchemaVersion", "1.0"}, {"configurationId", configurationId.toStdString()},
                {"bucket",
                    {{"name", bucket}, {"ownerIdentity", {{"principalId", "A3NL1KOZZKExample"}}},
                        {"arn", "arn:aws:s3:::" + bucket}}},
                {"object", object}}},
    };
    return toJsonBytes(Json {{"Records", Json::array({record})}});
}

void S3Notifier::onEvent(const S3Event &event)
{
    const auto config = configuration(event.bucket);
    if (!config)
        return;
    const QString key = QString::fromUtf8(event.key);
    for (const s3xml::NotificationTarget &target : config->targets) {
        bool matches = false;
        for (const QString &e : target.events)
            matches = matches || s3xml::eventMatches(e, event.eventName);
        if (!matches || !key.startsWith(target.prefix) || !key.endsWith(target.suffix))
            continue;
        const QByteArray payload = record(event, target.id, m_region);
        if (target.kind != QLatin1String("CloudFunction")) {
            // A queue (or a topic): the record is the message, on the request's trace.
            // The message's parent is the hand-over's span, so that the consumer's poll
            // hangs under it.
            QString undeliverable = QStringLiteral("no service takes messages for it");
            if (m_targets && m_targets->handles(target.arn)) {
                const bool traced = m_tracer && !event.origin.traceId.isEmpty();
                const QByteArray parent = traced ? TraceContext::newSpanId() : event.origin.spanId;
                auto sent
                    = m_targets->deliver(target.arn, {payload, event.origin.traceId, parent, {}});
                if (sent) {
                    if (traced)
                        m_tracer->record(notifySpan(event, target.arn, parent, {}));
                    continue;
                }
                undeliverable = sent.error().message;
            }
            reportUndeliverable(event, target.arn, undeliverable);
            continue;
        }

        // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
        const QStringList arn = target.arn.split(u':');
        const qsizetype at = arn.indexOf(QStringLiteral("function"));
        Delivery d;
        d.functionName = at >= 0 && at + 1 < arn.size() ? arn[at + 1] : arn.last();
        if (at >= 0 && at + 2 < arn.size())
            d.qualifier = arn[at + 2];
        d.payload = payload;
        d.origin = QStringLiteral("s3");
        d.async = true;
        d.traceId = event.origin.traceId;
        d.parentSpanId = event.origin.spanId;
        // An asynchronous invocation, as S3 makes it on AWS: stored by the engine's policy,
        // then retried and sent to the function's destinations like any other.
        QString undeliverable = QStringLiteral("no functions module is running");
        if (m_sink) {
            auto queued = m_sink->submitAsync(d);
            if (queued)
                continue;
            undeliverable = queued.error().message;
        }
        reportUndeliverable(event, QStringLiteral("function ") + d.functionName, undeliverable);
    }
}

void S3Notifier::reportUndeliverable(
    const S3Event &event, const QString &target, const QString &reason)
{
    if (!m_tracer)
        return;
    // The event has nowhere to go. Say so where the user looks.
    const QString key = QString::fromUtf8(event.key);
    Span span = notifySpan(event, target, {}, QStringLiteral("undeliverable: ") + reason);
    LogRecord log;
    log.timeNs = span.startNs;
    log.traceId = span.traceId;
    log.spanId = span.spanId;
    log.source = QStringLiteral("s3");
    log.severity = LogSeverityWarn;
    log.text = QStringLiteral("S3 event %1 for s3://%2/%3 is undeliverable to %4: %5")
                   .arg(event.eventName, event.bucket, key, target, reason);
    m_tracer->record(std::move(span));
    m_tracer->record(std::move(log));
}

Span S3Notifier::notifySpan(
    const S3Event &event, const QString &target, QByteArray spanId, const QString &error) const
{
    const qint64 now = m_clock->nowNs();
    Span span = makeSpan({.traceId = event.origin.traceId,
        .spanId = std::move(spanId),
        .parentSpanId = event.origin.spanId,
        .service = QStringLiteral("s3"),
        .operation = QStringLiteral("Notify"),
        .name = QStringLiteral("S3 notify ") + target.section(u':', -1),
        .kind = SpanKindProducer,
        .startNs = now,
        .endNs = now,
        .error = error,
        .attributes = {{QStringLiteral("aws.s3.bucket"), event.bucket},
            {QStringLiteral("aws.s3.key"), QString::fromUtf8(event.key)},
            {QStringLiteral("s3.event"), event.eventName},
            {QStringLiteral("messaging.destination.name"), target}}});
    if (target.startsWith(QLatin1String("arn:aws:sqs:")))
        span.attributes.append({QStringLiteral("messaging.system"), QStringLiteral("aws_sqs")});
    return span;
}

Result<void> S3Notifier::checkTargets(const s3xml::NotificationConfiguration &configuration) const
{
    QStringList missing;
    for (const s3xml::NotificationTarget &target : configuration.targets) {
        if (target.kind == QLatin1String("CloudFunction") || !m_targets
            || !m_targets->handles(target.arn))
            continue;
        if (!m_targets->exists(target.arn))
            missing.append(target.arn);
    }
    if (missing.isEmpty())
        return {};
    return makeError(QStringLiteral("InvalidArgument"),
        QStringLiteral("Unable to validate the following destination configurations: %1 (the "
                       "destination does not exist)")
            .arg(missing.join(QStringLiteral(", "))),
        400);
}

void S3Notifier::sendTestEvents(const QString &bucket,
    const s3xml::NotificationConfiguration &configuration, const QByteArray &requestId)
{
    if (!m_targets)
        return;
    const Json event = {{"Service", "Amazon S3"}, {"Event", "s3:TestEvent"},
        {"Time", toStd(m_clock->now().toUTC().toString(Qt::ISODateWithMs))},
        {"Bucket", toStd(bucket)}, {"RequestId", requestId.toStdString()},
        {"HostId", requestId.toBase64().toStdString()}};
    QSet<QString> sent;
    for (const s3xml::NotificationTarget &target : configuration.targets) {
        if (target.kind == QLatin1String("CloudFunction") || sent.contains(target.arn)
            || !m_targets->handles(target.arn))
            continue;
        sent.insert(target.arn);
        (void)m_targets->deliver(target.arn, {toJsonBytes(event), {}, {}, {}});
    }
}

} // namespace tarmac
