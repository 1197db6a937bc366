#include "services/sns/snsdelivery.h"

#include "base/clock.h"
#include "base/ids.h"
#include "functions/delivery.h"
#include "functions/functionrunner.h"
#include "services/messagetargets.h"
#include "services/servicemodule.h"
#include "services/sns/snssigner.h"
#include "services/sns/snsstore.h"
#include "store/store.h"
#include "trace/span.h"
#include "trace/tracer.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimeZone>
#include <QTimer>
#include <QUrlQuery>

namespace tarmac {

namespace {

const std::vector<Migration> kOutboxMigrations = {
    {1, R"sql(
CREATE TABLE sns_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    topic TEXT NOT NULL,
    type TEXT NOT NULL,
    message_id TEXT NOT NULL,
    body BLOB NOT NULL,
    trace_id BLOB NOT NULL,
    span_id BLOB NOT NULL
);
)sql"},
};

constexpr int kHttpTimeoutMs = 15'000;

QString percent(const QString &s)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(s));
}

// A subscription's retry policy for HTTP: healthyRetryPolicy's numRetries and
// minDelayTarget (seconds), from its DeliveryPolicy or the topic's.
std::pair<int, int> retryPolicy(const QString &subscriptionPolicy, const QString &topicPolicy)
{
    int retries = 3, delay = 20;
    for (const QString &text : {topicPolicy, subscriptionPolicy}) {
        auto j = parseJson(text.toUtf8());
        if (!j || !j->is_object())
            continue;
        const Json *p = &*j;
        if (p->contains("http") && (*p)["http"].is_object())
            p = &(*p)["http"];
        for (const char *key : {"healthyRetryPolicy", "defaultHealthyRetryPolicy"}) {
            if (!p->contains(key) || !(*p)[key].is_object())
                continue;
            const Json &r = (*p)[key];
            if (r.contains("numRetries") && r["numRetries"].is_number_integer())
                retries = std::clamp(r["numRetries"].get<int>(), 0, 100);
            if (r.contains("minDelayTarget") && r["minDelayTarget"].is_number_integer())
                delay = std::clamp(r["minDelayTarget"].get<int>(), 0, 3600);
        }
    }
    return {retries, delay};
}

} // namespace

struct SnsDelivery::Outgoing
{
    qint64 id = 0;
    QString subscriptionArn;
    QString endpoint;
    QString topicArn;
    QString type; // Notification, SubscriptionConfirmation
    QString messageId;
    QByteArray body;
    QByteArray traceId;
    QByteArray spanId;
    int attempt = 1;
    quint64 epoch = 0; // SnsDelivery::m_epoch when its row was read or written
};

SnsDelivery::SnsDelivery(
    const EngineContext &context, SnsStore *store, LazySnsSigner *signer, QObject *parent)
    : QObject(parent)
    , m_clock(context.clock)
    , m_db(context.store)
    , m_tracer(context.tracer)
    , m_sink(context.deliveries)
    , m_runner(context.runner)
    , m_targets(context.messageTargets)
    , m_store(store)
    , m_signer(signer)
    , m_edge(context.edgeUrl.toString(QUrl::StripTrailingSlash))
    , m_network(new QNetworkAccessManager(this))
{ }

SnsDelivery::~SnsDelivery() = default;

Result<void> SnsDelivery::open()
{
    if (auto r = m_db->migrateModule(QStringLiteral("sns-outbox"), kOutboxMigrations); !r)
        return r;
    return sendOutbox();
}

Result<void> SnsDelivery::reload()
{
    for (const quint64 id : std::as_const(m_retries))
        m_clock->cancel(id);
    m_retries.clear();
    // Replies to requests already made are not awaited: they find their epoch past.
    return sendOutbox();
}

Result<void> SnsDelivery::sendOutbox()
{
    QList<std::shared_ptr<Outgoing>> pending;
    auto r = m_db->write([&](Database &db) -> Result<void> {
        const quint64 epoch = ++m_epoch;
        auto s = db.prepare("SELECT id, subscription, endpoint, topic, type, message_id, body, "
                            "trace_id, span_id FROM sns_outbox ORDER BY id");
        if (!s)
            return s.error();
        return s->forEachRow([&] {
            auto o = std::make_shared<Outgoing>();
            o->id = s->int64(0);
            o->subscriptionArn = s->text(1);
            o->endpoint = s->text(2);
            o->topicArn = s->text(3);
            o->type = s->text(4);
            o->messageId = s->text(5);
            o->body = s->blob(6);
            o->traceId = s->blob(7);
            o->spanId = s->blob(8);
            o->epoch = epoch;
            pending.append(o);
        });
    });
    if (!r)
        return r;
    for (auto &o : pending)
        sendHttp(o);
    return {};
}

void SnsDelivery::stop()
{
    m_stopped = true;
}

QString SnsDelivery::signingCertUrl() const
{
    return m_edge + QStringLiteral("/_tarmac/sns/SimpleNotificationService.pem");
}

QString SnsDelivery::subscribeUrl(const QString &topicArn, const QString &token) const
{
    return m_edge
        + QStringLiteral("/_tarmac/sns/?Action=ConfirmSubscription&TopicArn=%1&Token=%2")
              .arg(percent(topicArn), percent(token));
}

QString SnsDelivery::unsubscribeUrl(const QString &subscriptionArn) const
{
    return m_edge
        + QStringLiteral("/_tarmac/sns/?Action=Unsubscribe&SubscriptionArn=%1")
              .arg(percent(subscriptionArn));
}

QString SnsDelivery::timestampNow() const
{
    return QDateTime::fromMSecsSinceEpoch(m_clock->nowMs(), Qt::UTC).toString(Qt::ISODateWithMs);
}

QString SnsDelivery::messageFor(const SnsPublish &p, const QString &protocol)
{
    if (!p.perProtocol)
        return p.message;
    auto j = parseJson(p.message.toUtf8());
    if (!j || !j->is_object())
        return p.message;
    const std::string key = toStd(protocol);
    if (j->contains(key) && (*j)[key].is_string())
        return fromStd((*j)[key].get<std::string>());
    if (j->contains("default") && (*j)["default"].is_string())
        return fromStd((*j)["default"].get<std::string>());
    return p.message;
}

static Json attributesJson(const SnsFilterPolicy::Attributes &attributes)
{
    Json out = Json::object();
    for (auto it = attributes.cbegin(); it != attributes.cend(); ++it)
        out[toStd(it.key())]
            = {{"Type", toStd(it.value().first)}, {"Value", toStd(it.value().second)}};
    return out;
}

Json SnsDelivery::envelope(const SnsPublish &p, const QString &message, const QString &messageId,
    const QString &sequenceNumber, const QString &subscriptionArn, const QString &timestamp,
    Signatures &signatures) const
{
    Json e = {{"Type", "Notification"}, {"MessageId", toStd(messageId)},
        {"TopicArn", toStd(p.topicArn)}, {"Message", toStd(message)},
        {"Timestamp", toStd(timestamp)}};
    if (!sequenceNumber.isEmpty())
        e["SequenceNumber"] = toStd(sequenceNumber);
    if (!p.subject.isEmpty())
        e["Subject"] = toStd(p.subject);
    e["SignatureVersion"] = toStd(signatureVersion(p.topicArn));
    auto signature = signatures.byMessage.constFind(message);
    if (signature == signatures.byMessage.cend())
        signature
            = signatures.byMessage.insert(message, m_signer ? m_signer->sign(e) : QByteArray());
    e["Signature"] = signature->toStdString();
    e["SigningCertURL"] = toStd(signingCertUrl());
    e["UnsubscribeURL"] = toStd(unsubscribeUrl(subscriptionArn));
    if (!p.attributes.isEmpty())
        e["MessageAttributes"] = attributesJson(p.attributes);
    return e;
}

QByteArray SnsDelivery::envelopeBytes(const SnsPublish &p, const QString &message,
    const QString &messageId, const QString &sequenceNumber, const QString &subscriptionArn,
    const QString &timestamp, Signatures &signatures) const
{
    auto head = signatures.envelopeHeads.constFind(message);
    if (head == signatures.envelopeHeads.cend()) {
        Json e = envelope(p, message, messageId, sequenceNumber, QString(), timestamp, signatures);
        e.erase("UnsubscribeURL"); // the last key in nlohmann's (sorted) order: appended below
        QByteArray bytes = toJsonBytes(e);
        bytes.chop(1);
        head = signatures.envelopeHeads.insert(message, bytes);
    }
    return *head
        + ",\"UnsubscribeURL\":" + toJsonBytes(Json(toStd(unsubscribeUrl(subscriptionArn)))) + '}';
}

QByteArray SnsDelivery::lambdaEvent(const SnsPublish &p, const QString &message,
    const QString &messageId, const QString &subscriptionArn, const QString &timestamp,
    Signatures &signatures) const
{
    Json sns = envelope(p, message, messageId, QString(), subscriptionArn, timestamp, signatures);
    // Lambda's event names two fields differently, and has Subject null when there is none.
    sns["SigningCertUrl"] = sns["SigningCertURL"];
    sns["UnsubscribeUrl"] = sns["UnsubscribeURL"];
    sns.erase("SigningCertURL");
    sns.erase("UnsubscribeURL");
    if (!sns.contains("Subject"))
        sns["Subject"] = nullptr;
    if (!sns.contains("MessageAttributes"))
        sns["MessageAttributes"] = Json::object();
    Json record = {{"EventSource", "aws:sns"}, {"EventVersion", "1.0"},
        {"EventSubscriptionArn", toStd(subscriptionArn)}, {"Sns", std::move(sns)}};
    return toJsonBytes(Json {{"Records", Json::array({std::move(record)})}});
}

QList<BusyItem> SnsDelivery::busy() const
{
    auto rows = m_db->write([](Database &db) -> Result<QList<BusyItem>> {
        auto cached = db.cached("SELECT id, endpoint, message_id FROM sns_outbox ORDER BY id "
                                "LIMIT 100");
        if (!cached)
            return cached.error();
        Statement *s = *cached;
        QList<BusyItem> out;
        const Result<void> walked = s->forEachRow([&] {
            out.append({QStringLiteral("outbox"), s->text(1), s->text(2), 0,
                QStringLiteral("SNS message to an HTTP(S) endpoint")});
        });
        if (!walked)
            return walked.error();
        return out;
    });
    return rows ? *rows : QList<BusyItem> {};
}

Result<SnsPublished> SnsDelivery::publish(const SnsPublish &p)
{
    const std::optional<SnsTopic> topic = m_store->topic(p.topicArn);
    if (!topic)
        return SnsStore::notFound(QStringLiteral("Topic does not exist"));
    const QString messageId = QString::fromLatin1(newRequestId());
    QString sequenceNumber;
    if (topic->fifo()) {
        const QString deduplicationId = p.deduplicationId.isEmpty()
            ? QString::fromLatin1(
                QCryptographicHash::hash(p.message.toUtf8(), QCryptographicHash::Sha256).toHex())
            : p.deduplicationId;
        const QString earlier
            = m_store->deduplicate(p.topicArn, deduplicationId, messageId, m_clock->nowMs());
        if (!earlier.isEmpty())
            return SnsPublished {earlier, m_store->nextSequenceNumber(p.topicArn)};
        sequenceNumber = m_store->nextSequenceNumber(p.topicArn);
    }
    const QString timestamp = timestampNow();
    Signatures signatures;
    // Every queue's message goes in one write (MessageTargets::deliverAll).
    QList<std::pair<QString, TargetMessage>> queued;
    QList<SnsSubscription> queuedFor;
    for (const SnsSubscription &s : m_store->subscriptions(p.topicArn)) {
        if (!s.confirmed)
            continue;
        if (s.filter && !s.filter->matches(p.attributes, messageFor(p, s.protocol).toUtf8()))
            continue;
        if (s.protocol == u"sqs") {
            queued.append(
                {s.endpoint, queueMessage(p, s, messageId, sequenceNumber, timestamp, signatures)});
            queuedFor.append(s);
        } else if (s.protocol == u"lambda") {
            if (auto r = deliverFunction(p, s, messageId, timestamp, signatures); !r)
                return r.error();
        } else if (s.protocol == u"http" || s.protocol == u"https") {
            Outgoing o;
            o.subscriptionArn = s.arn;
            o.endpoint = s.endpoint;
            o.topicArn = p.topicArn;
            o.type = QStringLiteral("Notification");
            o.messageId = messageId;
            const QString message = messageFor(p, s.protocol);
            o.body = s.raw() ? message.toUtf8()
                             : envelopeBytes(p, message, messageId, sequenceNumber, s.arn,
                                 timestamp, signatures);
            o.traceId = p.traceId;
            o.spanId = p.spanId;
            if (auto r = queueHttp(std::move(o)); !r)
                return r.error();
        } else {
            warn(p.traceId, p.spanId, s.endpoint,
                QStringLiteral("SNS did not deliver message %1 to the %2 subscription %3: "
                               "Tarmac does not deliver to %2 endpoints")
                    .arg(messageId, s.protocol, s.arn));
        }
    }
    if (!queued.isEmpty() && m_targets) {
        const QList<Result<void>> sent = m_targets->deliverAll(queued);
        for (qsizetype i = 0; i < sent.size(); ++i) {
            if (!sent[i])
                failed(p, queuedFor[i], queued[i].second.body, sent[i].error());
        }
    }
    return SnsPublished {messageId, sequenceNumber};
}

TargetMessage SnsDelivery::queueMessage(const SnsPublish &p, const SnsSubscription &s,
    const QString &messageId, const QString &sequenceNumber, const QString &timestamp,
    Signatures &signatures) const
{
    const QString message = messageFor(p, s.protocol);
    TargetMessage m;
    m.traceId = p.traceId;
    m.parentSpanId = p.spanId;
    m.messageGroupId = p.groupId;
    // A FIFO queue deduplicates by the message's own id: each message SNS accepted once is
    // delivered once.
    if (!p.groupId.isEmpty())
        m.deduplicationId = messageId;
    if (s.raw()) {
        m.body = message.toUtf8();
        for (auto it = p.attributes.cbegin(); it != p.attributes.cend(); ++it) {
            QString type = it.value().first;
            if (type.startsWith(QLatin1String("String.Array")))
                type = QStringLiteral("String");
            m.attributes.insert(it.key(), {type, it.value().second});
        }
    } else {
        m.body = envelopeBytes(p, message, messageId, sequenceNumber, s.arn, timestamp, signatures);
    }
    return m;
}

Result<void> SnsDelivery::deliverFunction(const SnsPublish &p, const SnsSubscription &s,
    const QString &messageId, const QString &timestamp, Signatures &signatures)
{
    // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
    const QStringList parts = s.endpoint.split(u':');
    const QString function = parts.size() >= 7 ? parts.at(6) : QString();
    const QByteArray payload
        = lambdaEvent(p, messageFor(p, s.protocol), messageId, s.arn, timestamp, signatures);
    if (!m_sink || !m_runner || function.isEmpty() || !m_runner->hasFunction(function)) {
        failed(p, s, payload,
            makeError(QStringLiteral("ResourceNotFoundException"),
                QStringLiteral("Function not found: %1").arg(s.endpoint), 404));
        return {};
    }
    Delivery d;
    d.functionName = function;
    d.qualifier = parts.size() > 7 ? parts.at(7) : QString();
    d.payload = payload;
    d.origin = QStringLiteral("sns");
    d.async = true;
    d.traceId = p.traceId;
    d.parentSpanId = p.spanId;
    return m_sink->submitAsync(std::move(d));
}

void SnsDelivery::requestConfirmation(const SnsSubscription &s)
{
    Json m = {{"Type", "SubscriptionConfirmation"},
        {"MessageId", QString::fromLatin1(newRequestId()).toStdString()}, {"Token", toStd(s.token)},
        {"TopicArn", toStd(s.topicArn)},
        {"Message",
            toStd(QStringLiteral("You have chosen to subscribe to the topic %1.\nTo confirm the "
                                 "subscription, visit the SubscribeURL included in this message.")
                      .arg(s.topicArn))},
        {"SubscribeURL", toStd(subscribeUrl(s.topicArn, s.token))},
        {"Timestamp", toStd(timestampNow())}};
    m["SignatureVersion"] = toStd(signatureVersion(s.topicArn));
    m["Signature"] = m_signer ? m_signer->sign(m).toStdString() : std::string();
    m["SigningCertURL"] = toStd(signingCertUrl());
    Outgoing o;
    o.subscriptionArn = s.arn;
    o.endpoint = s.endpoint;
    o.topicArn = s.topicArn;
    o.type = QStringLiteral("SubscriptionConfirmation");
    o.messageId = fromStd(m["MessageId"].get<std::string>());
    o.body = toJsonBytes(m);
    if (auto r = queueHttp(std::move(o)); !r)
        warn({}, {}, s.endpoint,
            QStringLiteral("SNS could not queue the confirmation of %1: %2")
                .arg(s.arn, r.error().message));
}

Result<void> SnsDelivery::queueHttp(Outgoing o)
{
    auto id = m_db->write([&](Database &db) -> Result<qint64> {
        auto s = db.cached("INSERT INTO sns_outbox (subscription, endpoint, topic, type, "
                           "message_id, body, trace_id, span_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        if (!s)
            return s.error();
        if (auto r = (*s)->bind(1, o.subscriptionArn)
                         .bind(2, o.endpoint)
                         .bind(3, o.topicArn)
                         .bind(4, o.type)
                         .bind(5, o.messageId)
                         .bind(6, o.body)
                         .bind(7, o.traceId)
                         .bind(8, o.spanId)
                         .exec();
            !r)
            return r.error();
        o.epoch = m_epoch; // in the write: a reload's read of the outbox is before or after
        return db.lastInsertRowId();
    });
    if (!id)
        return id.error();
    o.id = *id;
    auto shared = std::make_shared<Outgoing>(std::move(o));
    QMetaObject::invokeMethod(this, [this, shared] { sendHttp(shared); });
    return {};
}

QString SnsDelivery::signatureVersion(const QString &topicArn) const
{
    const auto topic = m_store->topic(topicArn);
    return topic ? topic->attributes.value(QStringLiteral("SignatureVersion"), QStringLiteral("1"))
                 : QStringLiteral("1");
}

void SnsDelivery::sendHttp(std::shared_ptr<Outgoing> o)
{
    if (m_stopped || o->epoch != m_epoch)
        return;
    QNetworkRequest request {QUrl(o->endpoint)};
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("text/plain; charset=UTF-8"));
    request.setRawHeader("User-Agent", "Amazon Simple Notification Service Agent");
    request.setRawHeader("x-amz-sns-message-type", o->type.toLatin1());
    request.setRawHeader("x-amz-sns-message-id", o->messageId.toLatin1());
    request.setRawHeader("x-amz-sns-topic-arn", o->topicArn.toUtf8());
    if (o->type == u"Notification")
        request.setRawHeader("x-amz-sns-subscription-arn", o->subscriptionArn.toUtf8());
    request.setTransferTimeout(kHttpTimeoutMs);
    // Tarmac's endpoints are local and self-signed ones are the rule there.
    QNetworkReply *reply = m_network->post(request, o->body);
    if (o->endpoint.startsWith(QLatin1String("https:")))
        reply->ignoreSslErrors();
    connect(reply, &QNetworkReply::finished, this, [this, o, reply] {
        reply->deleteLater();
        if (o->epoch != m_epoch)
            return; // its row was replaced (finishHttp would delete another row of that id)
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        QString error;
        if (status == 0)
            error = reply->errorString();
        else if (status >= 500)
            error = QStringLiteral("HTTP %1").arg(status);
        if (error.isEmpty()) {
            if (status >= 300)
                warn(o->traceId, o->spanId, o->endpoint,
                    QStringLiteral("SNS delivered %1 %2 to %3, which answered HTTP %4")
                        .arg(o->type, o->messageId, o->endpoint)
                        .arg(status));
            finishHttp(*o, QString());
            return;
        }
        const auto sub = m_store->subscription(o->subscriptionArn);
        const auto topic = m_store->topic(o->topicArn);
        const auto [retries, delay]
            = retryPolicy(sub ? sub->attributes.value(QStringLiteral("DeliveryPolicy")) : QString(),
                topic ? topic->attributes.value(QStringLiteral("DeliveryPolicy")) : QString());
        if (sub && o->attempt <= retries && !m_stopped) {
            ++o->attempt;
            // The id is kept so that a reload cancels the retry; the callback runs on this
            // thread, so never before the id is in the set.
            auto id = std::make_shared<quint64>(0);
            *id = m_clock->scheduleAfter(qint64(delay) * 1'000'000'000, this, [this, o, id] {
                m_retries.remove(*id);
                sendHttp(o);
            });
            m_retries.insert(*id);
            return;
        }
        finishHttp(*o, error);
    });
}

void SnsDelivery::finishHttp(const Outgoing &o, const QString &error)
{
    const Result<void> removed = m_db->write([&](Database &db) -> Result<void> {
        auto s = db.cached("DELETE FROM sns_outbox WHERE id = ?");
        if (!s)
            return s.error();
        return (*s)->bind(1, o.id).exec();
    });
    if (!removed)
        warn(o.traceId, o.spanId, o.endpoint,
            QStringLiteral("SNS could not clear a delivery from its outbox: %1")
                .arg(removed.error().message));
    if (error.isEmpty())
        return;
    const auto sub = m_store->subscription(o.subscriptionArn);
    if (!sub) // unsubscribed meanwhile: nothing more to do
        return;
    SnsPublish p;
    p.topicArn = o.topicArn;
    p.traceId = o.traceId;
    p.spanId = o.spanId;
    failed(p, *sub, o.body,
        makeError(QStringLiteral("DeliveryFailed"),
            QStringLiteral("%1 after %2 attempts").arg(error).arg(o.attempt), 502));
}

void SnsDelivery::failed(
    const SnsPublish &p, const SnsSubscription &s, const QByteArray &body, const Error &error)
{
    QString outcome = QStringLiteral("dropped (the subscription has no RedrivePolicy)");
    auto policy = parseJson(s.attributes.value(QStringLiteral("RedrivePolicy")).toUtf8());
    if (policy && policy->is_object() && policy->contains("deadLetterTargetArn")
        && (*policy)["deadLetterTargetArn"].is_string() && m_targets) {
        const QString dlq = fromStd((*policy)["deadLetterTargetArn"].get<std::string>());
        TargetMessage m;
        m.body = body;
        m.traceId = p.traceId;
        m.parentSpanId = p.spanId;
        m.messageGroupId = p.groupId;
        m.attributes.insert(QStringLiteral("ErrorCode"), {QStringLiteral("String"), error.code});
        m.attributes.insert(
            QStringLiteral("ErrorMessage"), {QStringLiteral("String"), error.message});
        const Result<void> sent = m_targets->deliver(dlq, m);
        outcome = sent ? QStringLiteral("sent to the dead-letter queue %1").arg(dlq)
                       : QStringLiteral("and its dead-letter queue %1 refused it too: %2")
                             .arg(dlq, sent.error().message);
    }
    warn(p.traceId, p.spanId, s.endpoint,
        QStringLiteral("SNS could not deliver to %1 (%2): %3; %4")
            .arg(s.endpoint, s.arn, error.message, outcome));
}

void SnsDelivery::warn(
    const QByteArray &traceId, const QByteArray &spanId, const QString &target, const QString &text)
{
    if (!m_tracer)
        return;
    const qint64 now = m_clock->nowNs();
    Span span = makeSpan({.traceId = traceId,
        .parentSpanId = spanId,
        .service = QStringLiteral("sns"),
        .operation = QStringLiteral("Deliver"),
        .name = QStringLiteral("sns deliver %1").arg(target),
        .kind = SpanKindProducer,
        .startNs = now,
        .endNs = now,
        .error = text,
        .attributes = {{QStringLiteral("messaging.destination.name"), target}}});
    LogRecord log;
    log.timeNs = now;
    log.traceId = span.traceId;
    log.spanId = span.spanId;
    log.source = QStringLiteral("sns");
    log.severity = LogSeverityWarn;
    log.text = text;
    m_tracer->record(std::move(span));
    m_tracer->record(std::move(log));
}

} // namespace tarmac
