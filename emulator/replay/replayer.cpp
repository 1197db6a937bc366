#include "replay/replayer.h"

#include "engine/dispatcher.h"
#include "engine/engine.h"
#include "replay/effectcheck.h"
#include "trace/tracecontext.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QTimer>
#include <QUrlQuery>
#include <QXmlStreamWriter>

#include <algorithm>
#include <memory>

namespace tarmac {

Replayer::Replayer(Engine *engine, Capture capture, Options options, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_capture(std::move(capture))
    , m_options(std::move(options))
{ }

bool Replayer::allHeld() const
{
    for (const Result &r : m_results) {
        if (!r.mismatches.isEmpty())
            return false;
    }
    return true;
}

void Replayer::start()
{
    m_startedMs = QDateTime::currentMSecsSinceEpoch();
    QMetaObject::invokeMethod(this, &Replayer::next, Qt::QueuedConnection);
}

void Replayer::record(Result result)
{
    const Json *expect = result.record.expect ? &*result.record.expect : nullptr;
    auto checked = checkExpectation(expect, result.outcome);
    result.mismatches = checked ? *checked : QStringList {checked.error().message};
    auto effects = parseEffects(expect);
    if (!effects) {
        result.mismatches.append(effects.error().message);
    } else if (!effects->isEmpty() && result.outcome.delivered) {
        // The side effects are read once what the event set going has settled.
        auto pending = std::make_shared<Result>(std::move(result));
        QPointer<Replayer> self(this);
        auto *check = new EffectCheck(
            http(), m_engine->edgeUrl(),
            [engine = m_engine](const QString &name) { return engine->physicalName(name); },
            std::move(*effects),
            [self, pending](QStringList mismatches) {
                if (!self)
                    return;
                pending->mismatches.append(mismatches);
                self->keep(std::move(*pending));
            },
            this);
        check->start();
        return;
    }
    keep(std::move(result));
}

void Replayer::keep(Result result)
{
    m_results.append(std::move(result));
    emit replayed(int(m_results.size()) - 1);
    QMetaObject::invokeMethod(this, &Replayer::next, Qt::QueuedConnection);
}

QNetworkAccessManager *Replayer::http()
{
    if (!m_http)
        m_http = new QNetworkAccessManager(this);
    return m_http;
}

void Replayer::next()
{
    if (m_next >= m_capture.records.size()) {
        emit finished();
        return;
    }
    const CaptureRecord &rec = m_capture.records[m_next];
    // At the recorded pace: wait until this event's time, relative to the first one's.
    if (m_options.speed > 0 && rec.timeMs) {
        if (!m_firstEventMs)
            m_firstEventMs = rec.timeMs;
        const qint64 dueMs
            = m_startedMs + qint64(double(*rec.timeMs - *m_firstEventMs) / m_options.speed);
        const qint64 waitMs = dueMs - QDateTime::currentMSecsSinceEpoch();
        if (waitMs > 0) {
            QTimer::singleShot(int(std::min<qint64>(waitMs, 3'600'000)), this, &Replayer::next);
            return;
        }
    }
    // --settle: what the previous event set going finishes before this one goes.
    if (m_options.settle && m_next > 0 && !m_settled) {
        QNetworkReply *settle = postSettle(http(), m_engine->edgeUrl(), 30'000);
        connect(settle, &QNetworkReply::finished, this, [this, settle] {
            settle->deleteLater();
            m_settled = true;
            next();
        });
        return;
    }
    m_settled = false;
    ++m_next;
    Result result;
    result.record = rec;
    result.record.event = applyMappings(rec.event, m_options.mappings);
    result.kind = eventKind(result.record.event);
    const QString target = rec.target.isEmpty() ? m_options.defaultTarget : rec.target;
    const auto fail = [&](const QString &type, const QString &message) {
        result.outcome.errorType = type;
        result.outcome.errorMessage = message;
        record(std::move(result));
    };
    if (target.isEmpty()) {
        fail(QStringLiteral("NoTarget"),
            QStringLiteral("the event names no target and no --target was given"));
        return;
    }
    if (target == QLatin1String("api") || target.startsWith(QLatin1String("api:"))) {
        sendToApi(std::move(result));
        return;
    }
    if (target.startsWith(QLatin1String("sqs:"))) {
        sendToQueue(std::move(result), target.mid(4));
        return;
    }
    if (target.startsWith(QLatin1String("s3:"))) {
        sendToBucket(std::move(result), target.mid(3));
        return;
    }
    if (target.contains(u':') && !target.startsWith(QLatin1String("arn:"))) {
        fail(QStringLiteral("UnsupportedTarget"),
            QStringLiteral("%1: no such source (api, sqs:QUEUE and s3:BUCKET are); "
                           "or name the function")
                .arg(target));
        return;
    }
    Engine::Invocation inv;
    inv.function = target;
    inv.payload = toJsonBytes(result.record.event);
    inv.origin = QStringLiteral("replay");
    auto timer = std::make_shared<QElapsedTimer>();
    timer->start();
    auto pending = std::make_shared<Result>(result);
    QPointer<Replayer> self(this);
    auto invoked = m_engine->invoke(inv, [self, pending, timer](const DeliveryResult &r) {
        pending->durationMs = double(timer->nsecsElapsed()) / 1e6;
        ReplayOutcome &o = pending->outcome;
        o.delivered = r.delivered;
        o.functionError = r.functionError;
        o.errorType = r.errorType;
        o.errorMessage = r.errorMessage;
        auto parsed = parseJson(r.payload);
        o.response = parsed ? *parsed : Json(r.payload.toStdString());
        if (r.functionError && o.errorMessage.isEmpty() && o.response.is_object()) {
            const auto m = o.response.find("errorMessage");
            if (m != o.response.end() && m->is_string())
                o.errorMessage = fromStd(m->get<std::string>());
        }
        // Any thread: back to the engine's.
        QMetaObject::invokeMethod(
            self.data(),
            [self, pending] {
                if (self)
                    self->record(std::move(*pending));
            },
            Qt::QueuedConnection);
    });
    if (!invoked) {
        fail(invoked.error().code, invoked.error().message);
        return;
    }
    pending->function = invoked->function;
    pending->traceId = invoked->traceId;
}

namespace {

constexpr int kQueueWaitMs = 30'000;

// A string member of an answer's JSON object, or empty.
QString member(const QByteArray &answer, const char *key)
{
    auto doc = parseJson(answer);
    if (!doc || !doc->is_object())
        return {};
    const auto it = doc->find(key);
    return it != doc->end() && it->is_string() ? fromStd(it->get<std::string>()) : QString();
}

// One SQS JSON-protocol call to the engine's own edge port, as a producer's SDK makes it.
QNetworkReply *sqsCall(
    QNetworkAccessManager *http, const QUrl &edge, const char *operation, const Json &body)
{
    QNetworkRequest request(edge);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/x-amz-json-1.0"));
    request.setRawHeader("X-Amz-Target", QByteArray("AmazonSQS.") + operation);
    request.setRawHeader("Authorization", edgeAuthorization("sqs"));
    return http->post(request, toJsonBytes(body));
}

} // namespace

void Replayer::sendToQueue(Result result, const QString &queue)
{
    const QUrl edge = m_engine->edgeUrl();
    // The messages: an SQS event's records as their producer sent them, else the event.
    Json messages = Json::array();
    const Json &event = result.record.event;
    if (eventKind(event) == QLatin1String("sqs")) {
        for (const Json &r : event["Records"]) {
            if (!r.is_object())
                continue;
            const auto body = r.find("body");
            Json m = {{"MessageBody",
                body != r.end() && body->is_string() ? body->get<std::string>()
                                                     : toJsonBytes(r).toStdString()}};
            Json attributes = Json::object();
            if (const auto a = r.find("messageAttributes"); a != r.end() && a->is_object()) {
                for (const auto &[name, v] : a->items()) {
                    const auto type = v.is_object() ? v.find("dataType") : v.end();
                    const auto value = v.is_object() ? v.find("stringValue") : v.end();
                    if (type != v.end() && type->is_string() && value != v.end()
                        && value->is_string())
                        attributes[name] = {{"DataType", *type}, {"StringValue", *value}};
                }
            }
            if (!attributes.empty())
                m["MessageAttributes"] = attributes;
            messages.push_back(std::move(m));
        }
    }
    if (messages.empty())
        messages.push_back({{"MessageBody",
            event.is_string() ? event.get<std::string>() : toJsonBytes(event).toStdString()}});

    auto pending = std::make_shared<Result>(std::move(result));
    pending->function = QStringLiteral("sqs:") + queue;
    QPointer<Replayer> self(this);
    // A queue's physical id in a template is its URL: the name is its last segment.
    QString name = m_engine->physicalName(queue);
    if (name.startsWith(QLatin1String("http")))
        name = name.section(u'/', -1);
    QNetworkReply *lookup = sqsCall(http(), edge, "GetQueueUrl", Json {{"QueueName", toStd(name)}});
    connect(lookup, &QNetworkReply::finished, this,
        [this, self, lookup, pending, messages, edge, name] {
            lookup->deleteLater();
            const QString url = member(lookup->readAll(), "QueueUrl");
            if (url.isEmpty()) {
                m_wait = QueueWait {pending};
                failPending(QStringLiteral("QueueDoesNotExist"),
                    QStringLiteral("no queue %1 to replay through").arg(name));
                return;
            }
            m_wait = QueueWait {pending};
            startWaitTimeout();
            m_wait->unsent = int(messages.size());
            for (Json m : messages) {
                m["QueueUrl"] = toStd(url);
                QNetworkReply *sent = sqsCall(http(), edge, "SendMessage", m);
                connect(sent, &QNetworkReply::finished, this, [this, sent] {
                    sent->deleteLater();
                    const QByteArray answer = sent->readAll();
                    const QString id = member(answer, "MessageId");
                    if (!m_wait)
                        return;
                    if (id.isEmpty()) {
                        failPending(QStringLiteral("SendMessageFailed"),
                            QStringLiteral("the queue refused a message: %1")
                                .arg(QString::fromUtf8(answer.left(300))));
                        return;
                    }
                    m_wait->messageIds.insert(id);
                    --m_wait->unsent;
                    checkQueueWait();
                });
            }
        });
    watchDeliveries();
}

void Replayer::startWaitTimeout()
{
    m_wait->timeout = new QTimer(this);
    m_wait->timeout->setSingleShot(true);
    connect(m_wait->timeout, &QTimer::timeout, this, [this] {
        if (!m_wait)
            return;
        failPending(QStringLiteral("NotDelivered"),
            m_wait->keys.isEmpty()
                ? QStringLiteral("%1 message(s) sent to the queue were not delivered within %2 s")
                      .arg(m_wait->messageIds.size())
                      .arg(kQueueWaitMs / 1000)
                : QStringLiteral("no notification of %1 object(s) was delivered within %2 s")
                      .arg(m_wait->keys.size())
                      .arg(kQueueWaitMs / 1000));
    });
    m_wait->timeout->start(kQueueWaitMs);
}

void Replayer::watchDeliveries()
{
    if (Dispatcher *d = m_engine->dispatcher(); d && !m_watchingDeliveries) {
        m_watchingDeliveries = true;
        connect(
            d, &Dispatcher::finished, this,
            [this](const QByteArray &id, const QString &) { onDeliveryFinished(id); },
            Qt::QueuedConnection);
    }
}

void Replayer::onDeliveryFinished(const QByteArray &id)
{
    if (!m_wait)
        return;
    Dispatcher *d = m_engine->dispatcher();
    if (!d)
        return;
    auto rec = d->record(id);
    if (!rec)
        return;
    if (!m_wait->traceId.isEmpty()) {
        // s3:BUCKET: a delivery on the trace the object requests carried (a function the
        // bucket notifies), or one that names the bucket and key (through a queue).
        const bool ours = rec->traceId == m_wait->traceId || rec->payload.contains(m_wait->bucket);
        for (auto it = m_wait->keys.begin(); ours && it != m_wait->keys.end();) {
            if (!rec->payload.contains(*it)) {
                ++it;
                continue;
            }
            it = m_wait->keys.erase(it);
            applyDelivery(*rec);
        }
        if (m_wait->unsent == 0 && m_wait->keys.isEmpty())
            record(takeWait());
        return;
    }
    auto payload = parseJson(rec->payload);
    if (!payload || !payload->is_object() || !payload->contains("Records")
        || !(*payload)["Records"].is_array())
        return;
    for (const Json &r : (*payload)["Records"]) {
        const auto mid = r.is_object() ? r.find("messageId") : r.end();
        if (mid != r.end() && mid->is_string() && m_carriedBy.size() < 100'000)
            m_carriedBy.insert(fromStd(mid->get<std::string>()), id);
    }
    checkQueueWait();
}

void Replayer::applyDelivery(const DeliveryRecord &rec)
{
    ReplayOutcome &o = m_wait->result->outcome;
    if (m_wait->outcomeSet) {
        if (rec.status == QLatin1String("failed"))
            o.functionError = true;
        return;
    }
    m_wait->outcomeSet = true;
    m_wait->result->traceId = rec.traceId;
    m_wait->result->durationMs = double(rec.durationNs) / 1e6;
    o.delivered = rec.status == QLatin1String("succeeded") || rec.status == QLatin1String("failed");
    o.functionError = rec.status == QLatin1String("failed");
    o.errorType = rec.errorType;
    o.errorMessage = rec.errorMessage;
    auto response = parseJson(rec.result);
    o.response = response ? *response : Json(rec.result.toStdString());
}

void Replayer::checkQueueWait()
{
    if (!m_wait)
        return;
    Dispatcher *d = m_engine->dispatcher();
    if (!d)
        return; // no deliveries without it: the timeout ends the wait
    for (auto it = m_wait->messageIds.begin(); it != m_wait->messageIds.end();) {
        const auto carrier = m_carriedBy.constFind(*it);
        if (carrier == m_carriedBy.cend()) {
            ++it;
            continue;
        }
        const QByteArray delivery = *carrier;
        it = m_wait->messageIds.erase(it);
        if (auto rec = d->record(delivery))
            applyDelivery(*rec);
    }
    if (m_wait->unsent > 0 || !m_wait->messageIds.isEmpty())
        return;
    record(takeWait());
}

Replayer::Result Replayer::takeWait()
{
    QueueWait wait = std::move(*m_wait);
    m_wait.reset();
    m_carriedBy.clear();
    if (wait.timeout)
        wait.timeout->deleteLater();
    return std::move(*wait.result);
}

void Replayer::failPending(const QString &type, const QString &message)
{
    if (!m_wait)
        return;
    Result result = takeWait();
    result.outcome = ReplayOutcome {};
    result.outcome.errorType = type;
    result.outcome.errorMessage = message;
    record(std::move(result));
}

namespace {

// An S3 REST call to the engine's own edge port, on the trace given (traceparent).
QNetworkReply *s3Call(QNetworkAccessManager *http, QUrl url, const QByteArray &method,
    const QByteArray &traceparent, const QByteArray &body = {}, const QByteArray &contentType = {})
{
    QNetworkRequest request(url);
    request.setRawHeader("Authorization", edgeAuthorization("s3"));
    if (!traceparent.isEmpty())
        request.setRawHeader("traceparent", traceparent);
    if (!contentType.isEmpty())
        request.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
    return http->sendCustomRequest(request, method, body);
}

// S3's error code in an XML error answer (<Code>NoSuchBucket</Code>), or the HTTP status.
QString s3ErrorCode(QNetworkReply *reply, const QByteArray &body)
{
    const qsizetype from = body.indexOf("<Code>");
    const qsizetype to = body.indexOf("</Code>");
    if (from >= 0 && to > from)
        return QString::fromUtf8(body.mid(from + 6, to - from - 6));
    return QStringLiteral("HTTP %1").arg(
        reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt());
}

constexpr qint64 kMaxReplayedObject = 16 * 1024 * 1024;

} // namespace

void Replayer::sendToBucket(Result result, const QString &bucketName)
{
    auto pending = std::make_shared<Result>(std::move(result));
    pending->function = QStringLiteral("s3:") + bucketName;
    const Json &event = pending->record.event;
    const QString physical = m_engine->physicalName(bucketName);
    const QString bucket = physical.isEmpty() ? bucketName : physical;
    // What each record did to its object: created (PUT) or removed (DELETE).
    struct Change
    {
        QString key; // decoded
        bool removed = false;
        qint64 size = 0;
    };
    QList<Change> changes;
    if (eventKind(event) == QLatin1String("s3")) {
        for (const Json &r : event["Records"]) {
            const Json *object = nullptr;
            if (r.is_object() && r.contains("s3") && r["s3"].is_object()
                && r["s3"].contains("object") && r["s3"]["object"].is_object())
                object = &r["s3"]["object"];
            const auto key = object ? object->find("key") : Json::const_iterator();
            if (!object || key == object->end() || !key->is_string())
                continue;
            Change c;
            c.key = QUrl::fromPercentEncoding(
                QByteArray::fromStdString(key->get<std::string>()).replace('+', ' '));
            const auto name = r.find("eventName");
            c.removed = name != r.end() && name->is_string()
                && name->get<std::string>().starts_with("ObjectRemoved");
            const auto size = object->find("size");
            if (size != object->end() && size->is_number_integer())
                c.size = std::clamp<qint64>(size->get<qint64>(), 0, kMaxReplayedObject);
            changes.append(std::move(c));
        }
    }
    if (changes.isEmpty()) {
        pending->outcome.errorType = QStringLiteral("NotAnS3Event");
        pending->outcome.errorMessage = QStringLiteral(
            "an s3:BUCKET target takes S3 event notifications (Records[].s3.object.key)");
        record(std::move(*pending));
        return;
    }
    const QUrl edge = m_engine->edgeUrl();
    const auto objectUrl = [edge, bucket](const QString &key) {
        QUrl url(edge);
        url.setPath(QLatin1Char('/') + bucket + QLatin1Char('/') + key);
        return url;
    };
    // The bucket must notify someone, or nothing would come of the change.
    QUrl configUrl(edge);
    configUrl.setPath(QLatin1Char('/') + bucket);
    configUrl.setQuery(QStringLiteral("notification"));
    const TraceContext trace = TraceContext::newTrace(*m_engine->clock());
    const QByteArray traceparent = trace.withParent(TraceContext::newSpanId()).toTraceparent();
    QNetworkReply *config = s3Call(http(), configUrl, "GET", {});
    connect(config, &QNetworkReply::finished, this,
        [this, config, pending, changes, objectUrl, bucket, trace, traceparent] {
            config->deleteLater();
            const QByteArray answer = config->readAll();
            const int status = config->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            m_wait = QueueWait {pending};
            if (status != 200) {
                failPending(s3ErrorCode(config, answer),
                    QStringLiteral("no bucket %1 to replay through").arg(bucket));
                return;
            }
            if (!answer.contains("Configuration>")) {
                failPending(QStringLiteral("NoNotification"),
                    QStringLiteral("bucket %1 notifies no one of its objects' events").arg(bucket));
                return;
            }
            m_wait->traceId = trace.traceId;
            m_wait->bucket = bucket.toUtf8();
            m_wait->unsent = int(changes.size());
            // The keys as S3 writes them in the records it makes: form-style URL encoding,
            // '/' kept.
            for (const auto &c : changes)
                m_wait->keys.insert(QUrl::toPercentEncoding(c.key, "/-_.~").replace("%20", "+"));
            startWaitTimeout();
            watchDeliveries();
            const auto answered = [this, pending](QNetworkReply *reply) {
                reply->deleteLater();
                const QByteArray body = reply->readAll();
                if (!m_wait || m_wait->result != pending)
                    return; // this event's wait is over
                if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() >= 300) {
                    failPending(s3ErrorCode(reply, body),
                        QStringLiteral("the bucket refused the change: %1")
                            .arg(QString::fromUtf8(body.left(300))));
                    return;
                }
                if (--m_wait->unsent == 0 && m_wait->keys.isEmpty())
                    record(takeWait());
            };
            for (const Change &c : changes) {
                const QUrl url = objectUrl(c.key);
                if (c.removed) {
                    QNetworkReply *r = s3Call(http(), url, "DELETE", traceparent);
                    connect(r, &QNetworkReply::finished, this, [r, answered] { answered(r); });
                    continue;
                }
                // Created: the object as it is here when there is one (its own bytes written
                // again), else as many zero bytes as the record says it had.
                QNetworkReply *get = s3Call(http(), url, "GET", {});
                connect(get, &QNetworkReply::finished, this,
                    [this, get, url, c, traceparent, answered] {
                        get->deleteLater();
                        const bool found
                            = get->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt()
                            == 200;
                        const QByteArray body = found ? get->readAll() : QByteArray(c.size, '\0');
                        const QByteArray type = found
                            ? get->header(QNetworkRequest::ContentTypeHeader).toByteArray()
                            : QByteArray("application/octet-stream");
                        QNetworkReply *put = s3Call(http(), url, "PUT", traceparent, body, type);
                        connect(put, &QNetworkReply::finished, this,
                            [put, answered] { answered(put); });
                    });
            }
        });
}

void Replayer::sendToApi(Result result)
{
    const Json &e = result.record.event;
    const QString kind = eventKind(e);
    result.function = QStringLiteral("api");
    const auto str = [](const Json &o, const char *key) -> QString {
        if (!o.is_object())
            return {};
        const auto it = o.find(key);
        return it != o.end() && it->is_string() ? fromStd(it->get<std::string>()) : QString();
    };
    const auto fail = [this, &result](const QString &type, const QString &message) {
        result.outcome.errorType = type;
        result.outcome.errorMessage = message;
        record(std::move(result));
    };
    if (kind != QLatin1String("apigateway-v1") && kind != QLatin1String("apigateway-v2")) {
        fail(QStringLiteral("NotAnApiEvent"),
            QStringLiteral("an api target takes API Gateway events (payload 1.0 or 2.0), not %1")
                .arg(kind.isEmpty() ? QStringLiteral("this event") : kind));
        return;
    }
    const QUrl api = m_engine->portUrl(QStringLiteral("api"));
    if (api.isEmpty()) {
        fail(QStringLiteral("NoApiPort"), QStringLiteral("no API port is running"));
        return;
    }
    const bool v2 = kind == QLatin1String("apigateway-v2");
    const Json context = e.contains("requestContext") ? e["requestContext"] : Json::object();
    const QString method = v2 ? str(context.contains("http") ? context["http"] : Json(), "method")
                              : str(e, "httpMethod");
    QString path = v2 ? str(e, "rawPath") : str(e, "path");
    if (path.isEmpty())
        path = QStringLiteral("/");
    QUrl url(api.toString() + path);
    if (v2) {
        url.setQuery(str(e, "rawQueryString"));
    } else if (const auto q = e.find("multiValueQueryStringParameters");
               q != e.end() && q->is_object()) {
        QUrlQuery query;
        for (const auto &[k, values] : q->items()) {
            if (!values.is_array())
                continue;
            for (const Json &v : values) {
                if (v.is_string())
                    query.addQueryItem(fromStd(k), fromStd(v.get<std::string>()));
            }
        }
        url.setQuery(query);
    } else if (const auto q1 = e.find("queryStringParameters"); q1 != e.end() && q1->is_object()) {
        QUrlQuery query;
        for (const auto &[k, v] : q1->items()) {
            if (v.is_string())
                query.addQueryItem(fromStd(k), fromStd(v.get<std::string>()));
        }
        url.setQuery(query);
    }
    QNetworkRequest request(url);
    if (const auto h = e.find("headers"); h != e.end() && h->is_object()) {
        for (const auto &[k, v] : h->items()) {
            const QByteArray name = QByteArray::fromStdString(k).toLower();
            // Hop-by-hop and length headers are the HTTP client's own.
            if (!v.is_string() || name == "host" || name == "content-length" || name == "connection"
                || name == "transfer-encoding")
                continue;
            request.setRawHeader(
                QByteArray::fromStdString(k), QByteArray::fromStdString(v.get<std::string>()));
        }
    }
    if (v2) {
        if (const auto c = e.find("cookies"); c != e.end() && c->is_array()) {
            QStringList cookies;
            for (const Json &cookie : *c) {
                if (cookie.is_string())
                    cookies.append(fromStd(cookie.get<std::string>()));
            }
            if (!cookies.isEmpty())
                request.setRawHeader("Cookie", cookies.join(QStringLiteral("; ")).toUtf8());
        }
    }
    QByteArray body = str(e, "body").toUtf8();
    if (const auto b64 = e.find("isBase64Encoded");
        b64 != e.end() && b64->is_boolean() && b64->get<bool>())
        body = QByteArray::fromBase64(body);
    if (method.isEmpty()) {
        fail(QStringLiteral("NotAnApiEvent"), QStringLiteral("the event names no HTTP method"));
        return;
    }
    auto timer = std::make_shared<QElapsedTimer>();
    timer->start();
    QNetworkReply *reply = http()->sendCustomRequest(request, method.toUtf8(), body);
    auto pending = std::make_shared<Result>(std::move(result));
    connect(reply, &QNetworkReply::finished, this, [this, reply, pending, timer] {
        reply->deleteLater();
        Result r = std::move(*pending);
        r.durationMs = double(timer->nsecsElapsed()) / 1e6;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        ReplayOutcome &o = r.outcome;
        if (status == 0) {
            o.errorType = QStringLiteral("NoResponse");
            o.errorMessage = reply->errorString();
        } else {
            o.delivered = true;
            const QByteArray answer = reply->readAll();
            Json headers = Json::object();
            for (const auto &[name, value] : reply->rawHeaderPairs())
                headers[name.toLower().toStdString()] = value.toStdString();
            auto parsed = parseJson(answer);
            o.response = Json {{"statusCode", status}, {"headers", headers},
                {"body", parsed ? *parsed : Json(answer.toStdString())}};
            o.functionError = status >= 500;
            if (o.functionError)
                o.errorType = QStringLiteral("HTTP %1").arg(status);
            // X-Amzn-Trace-Id: Root=1-{8 hex}-{24 hex}: the trace's 32 digits.
            const QByteArray trace = reply->rawHeader("x-amzn-trace-id");
            const qsizetype root = trace.indexOf("Root=1-");
            if (root >= 0)
                r.traceId = trace.mid(root + 7, 33).replace('-', "");
        }
        record(std::move(r));
    });
}

QByteArray junitReport(const QList<Replayer::Result> &results, const QString &captureName)
{
    int failures = 0;
    double seconds = 0;
    for (const auto &r : results) {
        failures += r.mismatches.isEmpty() ? 0 : 1;
        seconds += r.durationMs / 1000;
    }
    QByteArray out;
    QXmlStreamWriter xml(&out);
    xml.setAutoFormatting(true);
    xml.writeStartDocument();
    xml.writeStartElement(QStringLiteral("testsuites"));
    xml.writeStartElement(QStringLiteral("testsuite"));
    xml.writeAttribute(QStringLiteral("name"), QStringLiteral("tarmac replay ") + captureName);
    xml.writeAttribute(QStringLiteral("tests"), QString::number(results.size()));
    xml.writeAttribute(QStringLiteral("failures"), QString::number(failures));
    xml.writeAttribute(QStringLiteral("errors"), QStringLiteral("0"));
    xml.writeAttribute(QStringLiteral("time"), QString::number(seconds, 'f', 3));
    for (const auto &r : results) {
        xml.writeStartElement(QStringLiteral("testcase"));
        xml.writeAttribute(QStringLiteral("classname"), QStringLiteral("replay.") + captureName);
        xml.writeAttribute(QStringLiteral("name"),
            QStringLiteral("event %1 → %2")
                .arg(r.record.index)
                .arg(r.function.isEmpty() ? r.record.target : r.function));
        xml.writeAttribute(QStringLiteral("time"), QString::number(r.durationMs / 1000, 'f', 3));
        if (!r.mismatches.isEmpty()) {
            xml.writeStartElement(QStringLiteral("failure"));
            xml.writeAttribute(QStringLiteral("message"), r.mismatches.first());
            xml.writeCharacters(r.mismatches.join(u'\n'));
            xml.writeEndElement();
        }
        if (!r.traceId.isEmpty()) {
            xml.writeStartElement(QStringLiteral("system-out"));
            xml.writeCharacters(QStringLiteral("trace %1").arg(QString::fromLatin1(r.traceId)));
            xml.writeEndElement();
        }
        xml.writeEndElement();
    }
    xml.writeEndElement();
    xml.writeEndElement();
    xml.writeEndDocument();
    return out;
}

QByteArray textReport(const QList<Replayer::Result> &results)
{
    QByteArray out;
    for (const auto &r : results) {
        const QString status = !r.mismatches.isEmpty() ? QStringLiteral("FAIL")
            : r.outcome.functionError                  ? QStringLiteral("ok (function error)")
                                                       : QStringLiteral("ok");
        out += QStringLiteral("%1 event %2 → %3%4 %5 %6 ms\n")
                   .arg(status)
                   .arg(r.record.index)
                   .arg(r.function.isEmpty() ? r.record.target : r.function)
                   .arg(r.kind.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(r.kind))
                   .arg(r.traceId.isEmpty()
                           ? QString()
                           : QStringLiteral("trace ") + QString::fromLatin1(r.traceId))
                   .arg(r.durationMs, 0, 'f', 1)
                   .toUtf8();
        for (const QString &m : r.mismatches)
            out += "    " + m.toUtf8() + '\n';
    }
    return out;
}

} // namespace tarmac
