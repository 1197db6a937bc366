#include "replay/effectcheck.h"

#include "replay/expectation.h"

#include <QDateTime>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>

namespace tarmac {

namespace {

constexpr int kRetryMs = 50;
constexpr int kSettleTimeoutMs = 10'000;

// An edge call's answer as JSON (an empty object when it is not).
Json answerJson(QNetworkReply *reply)
{
    auto doc = parseJson(reply->readAll());
    return doc && doc->is_object() ? *doc : Json::object();
}

QString stringMember(const Json &object, const char *key)
{
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? fromStd(it->get<std::string>()) : QString();
}

int status(QNetworkReply *reply)
{
    return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
}

} // namespace

QByteArray edgeAuthorization(const char *service)
{
    return QByteArray("AWS4-HMAC-SHA256 Credential=replay/20260101/us-east-1/") + service
        + "/aws4_request, SignedHeaders=host, Signature=0";
}

QNetworkReply *postSettle(QNetworkAccessManager *http, const QUrl &edge, int timeoutMs)
{
    QNetworkRequest request(QUrl(edge.toString() + QStringLiteral("/_tarmac/settle")));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
    return http->post(request, toJsonBytes(Json {{"timeoutMs", timeoutMs}}));
}

EffectCheck::EffectCheck(QNetworkAccessManager *http, QUrl edge, Names physical,
    QList<Effect> effects, std::function<void(QStringList)> done, QObject *parent)
    : QObject(parent)
    , m_http(http)
    , m_edge(std::move(edge))
    , m_physical(std::move(physical))
    , m_effects(std::move(effects))
    , m_done(std::move(done))
{ }

void EffectCheck::start()
{
    QNetworkReply *settle = postSettle(m_http, m_edge, kSettleTimeoutMs);
    // Settled or not (408 names what is still busy), the effects are read now: an effect that
    // needs longer says so with `within`.
    connect(settle, &QNetworkReply::finished, this, [this, settle] {
        settle->deleteLater();
        checkNext();
    });
}

void EffectCheck::checkNext()
{
    if (m_next >= m_effects.size()) {
        auto done = std::move(m_done);
        QStringList mismatches = std::move(m_mismatches);
        deleteLater();
        done(std::move(mismatches));
        return;
    }
    if (m_effectStartedMs == 0)
        m_effectStartedMs = QDateTime::currentMSecsSinceEpoch();
    const Effect &effect = m_effects[m_next];
    probe(effect, [this](const QString &mismatch) {
        const Effect &e = m_effects[m_next];
        const qint64 waited = QDateTime::currentMSecsSinceEpoch() - m_effectStartedMs;
        if (!mismatch.isEmpty() && waited < e.withinMs) {
            QTimer::singleShot(kRetryMs, this, &EffectCheck::checkNext);
            return;
        }
        if (!mismatch.isEmpty())
            m_mismatches.append(
                QStringLiteral("effect %1: %2%3")
                    .arg(e.label(), mismatch,
                        e.withinMs > 0 ? QStringLiteral(" (within %1 ms)").arg(e.withinMs)
                                       : QString()));
        ++m_next;
        m_effectStartedMs = 0;
        checkNext();
    });
}

void EffectCheck::probe(const Effect &effect, std::function<void(QString)> then)
{
    switch (effect.kind) {
    case Effect::Kind::S3:
        probeS3(effect, std::move(then));
        return;
    case Effect::Kind::Sqs:
        probeSqs(effect, std::move(then));
        return;
    case Effect::Kind::DynamoDb:
        probeDynamoDb(effect, std::move(then));
        return;
    }
}

QString EffectCheck::physical(const QString &name) const
{
    const QString p = m_physical ? m_physical(name) : QString();
    return p.isEmpty() ? name : p;
}

QNetworkReply *EffectCheck::awsJson(const QByteArray &target, const Json &body, const char *service)
{
    QNetworkRequest request(m_edge);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/x-amz-json-1.0"));
    request.setRawHeader("X-Amz-Target", target);
    request.setRawHeader("Authorization", edgeAuthorization(service));
    return m_http->post(request, toJsonBytes(body));
}

void EffectCheck::probeS3(const Effect &effect, std::function<void(QString)> then)
{
    const QString bucket = physical(effect.resource);
    QUrl url(m_edge);
    url.setPath(QLatin1Char('/') + bucket + QLatin1Char('/') + effect.key);
    QNetworkRequest request(url);
    request.setRawHeader("Authorization", edgeAuthorization("s3"));
    QNetworkReply *reply = m_http->get(request);
    connect(reply, &QNetworkReply::finished, this, [effect, reply, then = std::move(then)] {
        reply->deleteLater();
        const int code = status(reply);
        const QByteArray body = reply->readAll();
        if (code == 404) {
            then(effect.exists ? QStringLiteral("expected the object, there is none") : QString());
            return;
        }
        if (code != 200) {
            then(QStringLiteral("GetObject answered %1 %2")
                     .arg(code)
                     .arg(QString::fromUtf8(body.left(200))));
            return;
        }
        if (!effect.exists) {
            then(QStringLiteral("expected no object, there is one (%1 bytes)").arg(body.size()));
            return;
        }
        if (effect.body && *effect.body != body) {
            then(QStringLiteral("body: expected %1, got %2")
                     .arg(shownJson(Json(effect.body->toStdString())),
                         shownJson(Json(body.toStdString()))));
            return;
        }
        if (effect.subset) {
            auto doc = parseJson(body);
            QStringList out;
            matchSubset(
                *effect.subset, doc ? *doc : Json(body.toStdString()), QStringLiteral("$"), out);
            then(out.join(QStringLiteral("; ")));
            return;
        }
        then(QString());
    });
}

void EffectCheck::probeSqs(const Effect &effect, std::function<void(QString)> then)
{
    QString name = physical(effect.resource);
    if (name.startsWith(QLatin1String("http")))
        name = name.section(u'/', -1); // a template's queue: its URL
    QNetworkReply *lookup
        = awsJson("AmazonSQS.GetQueueUrl", Json {{"QueueName", toStd(name)}}, "sqs");
    connect(lookup, &QNetworkReply::finished, this, [this, lookup, effect, then = std::move(then)] {
        lookup->deleteLater();
        const QString url = stringMember(answerJson(lookup), "QueueUrl");
        if (url.isEmpty()) {
            then(QStringLiteral("no such queue"));
            return;
        }
        QNetworkReply *reply = awsJson("AmazonSQS.GetQueueAttributes",
            Json {{"QueueUrl", toStd(url)},
                {"AttributeNames",
                    {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                        "ApproximateNumberOfMessagesDelayed"}}},
            "sqs");
        connect(reply, &QNetworkReply::finished, this, [reply, effect, then] {
            reply->deleteLater();
            const Json answer = answerJson(reply);
            const auto attributes = answer.find("Attributes");
            qint64 held = 0;
            if (attributes != answer.end() && attributes->is_object()) {
                for (const auto &[k, v] : attributes->items()) {
                    if (v.is_string())
                        held += QString::fromStdString(v.get<std::string>()).toLongLong();
                }
            }
            then(held == *effect.messages
                    ? QString()
                    : QStringLiteral("expected %1 message(s), the queue holds %2")
                          .arg(*effect.messages)
                          .arg(held));
        });
    });
}

void EffectCheck::probeDynamoDb(const Effect &effect, std::function<void(QString)> then)
{
    Json key = Json::object();
    for (const auto &[k, v] : effect.itemKey.items())
        key[k] = toAttributeValue(v);
    QNetworkReply *reply = awsJson("DynamoDB_20120810.GetItem",
        Json {{"TableName", toStd(physical(effect.resource))}, {"Key", key},
            {"ConsistentRead", true}},
        "dynamodb");
    connect(reply, &QNetworkReply::finished, this, [reply, effect, then = std::move(then)] {
        reply->deleteLater();
        const int code = status(reply);
        const Json answer = answerJson(reply);
        if (code != 200) {
            then(QStringLiteral("GetItem answered %1 %2")
                     .arg(code)
                     .arg(stringMember(answer, "__type").section(u'#', -1)));
            return;
        }
        const auto item = answer.find("Item");
        const bool found = item != answer.end() && item->is_object();
        if (!found) {
            then(effect.exists ? QStringLiteral("expected the item, there is none") : QString());
            return;
        }
        if (!effect.exists) {
            then(QStringLiteral("expected no item, there is one"));
            return;
        }
        if (effect.subset) {
            Json plain = Json::object();
            for (const auto &[k, v] : item->items())
                plain[k] = fromAttributeValue(v);
            QStringList out;
            matchSubset(*effect.subset, plain, QStringLiteral("$"), out);
            then(out.join(QStringLiteral("; ")));
            return;
        }
        then(QString());
    });
}

} // namespace tarmac
