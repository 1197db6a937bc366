#include "services/sns/snsapi.h"

#include "base/clock.h"
#include "base/ids.h"
#include "base/json.h"
#include "http/awserror.h"
#include "services/sns/snsdelivery.h"
#include "services/sns/snssigner.h"
#include "services/sns/snsstore.h"

#include <QRegularExpression>
#include <QSet>

namespace tarmac {

namespace {

constexpr qint64 kMaxBody = 2 * 1024 * 1024;
constexpr qint64 kMaxMessage = 256 * 1024;
constexpr int kPage = 100;

Error invalid(const QString &message)
{
    return SnsStore::invalidParameter(message);
}

QByteArray xml(const QString &text)
{
    return xmlEscape(text.toUtf8()).replace('\r', "&#xD;");
}

QByteArray element(const char *name, const QString &text)
{
    return '<' + QByteArray(name) + '>' + xml(text) + "</" + QByteArray(name) + '>';
}

QByteArray entries(const QMap<QString, QString> &map)
{
    QByteArray out;
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        out += "<entry>" + element("key", it.key()) + element("value", it.value()) + "</entry>";
    return out;
}

bool isTopicArn(const QString &arn)
{
    const QStringList parts = arn.split(u':');
    return parts.size() == 6 && parts.at(0) == u"arn" && parts.at(2) == u"sns"
        && !parts.at(5).isEmpty();
}

} // namespace

struct SnsApi::Call
{
    HttpRequest request;
    QMap<QString, QString> form;
    QString action;

    bool has(const char *name) const { return form.contains(QLatin1String(name)); }
    QString value(const char *name) const { return form.value(QLatin1String(name)); }

    // `Prefix.entry.N.key` / `.value` (or other names) as a map, in N order.
    QMap<QString, QString> map(const QString &prefix, const char *key = "key",
        const char *value = "value", const char *item = "entry") const
    {
        QMap<QString, QString> out;
        for (int n = 1;; ++n) {
            const QString base
                = QStringLiteral("%1.%2.%3.").arg(prefix, QLatin1String(item)).arg(n);
            const auto k = form.constFind(base + QLatin1String(key));
            if (k == form.cend())
                break;
            out.insert(*k, form.value(base + QLatin1String(value)));
        }
        return out;
    }

    QStringList list(const QString &prefix) const
    {
        QStringList out;
        for (int n = 1;; ++n) {
            const auto v = form.constFind(QStringLiteral("%1.member.%2").arg(prefix).arg(n));
            if (v == form.cend())
                break;
            out.append(*v);
        }
        return out;
    }

    HttpResponse answer(const QByteArray &result) const
    {
        HttpResponse r;
        r.headers.add("content-type", "text/xml");
        r.headers.add("x-amzn-requestid", request.requestId);
        const QByteArray op = action.toLatin1();
        r.body = "<?xml version=\"1.0\"?>\n<" + op
            + "Response xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">"
            + (result.isNull() ? QByteArray()
                               : "<" + op + "Result>" + result + "</" + op + "Result>")
            + "<ResponseMetadata><RequestId>" + request.requestId
            + "</RequestId></ResponseMetadata></" + op + "Response>";
        r.service = QStringLiteral("sns");
        r.operation = action;
        return r;
    }

    HttpResponse fail(const Error &e) const
    {
        HttpResponse r = awsErrorResponse(AwsProtocol::Query, e, request.requestId);
        r.body.replace("<ErrorResponse>",
            "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">");
        r.service = QStringLiteral("sns");
        r.operation = action;
        return r;
    }
};

SnsApi::SnsApi() = default;
SnsApi::~SnsApi() = default;

void SnsApi::attach(
    SnsStore *store, SnsDelivery *delivery, LazySnsSigner *signer, const Clock *clock)
{
    m_delivery = delivery;
    m_signer = signer;
    m_clock = clock;
    m_store.store(store);
}

QMap<QString, QString> SnsApi::parseForm(const QByteArray &form)
{
    QMap<QString, QString> out;
    for (const auto &[k, v] : decodeQuery(form))
        out.insert(QString::fromUtf8(k), QString::fromUtf8(v));
    return out;
}

qint64 SnsApi::maxBodySize(const HttpRequest &) const
{
    return kMaxBody;
}

HttpResponse SnsApi::bodyTooLarge(const HttpRequest &head) const
{
    Call call;
    call.request.requestId = head.requestId;
    call.action = QStringLiteral("Publish");
    return call.fail(invalid(QStringLiteral("Invalid parameter: Message too long")));
}

HttpResponse SnsApi::internalError(const HttpRequest &head, const QString &message) const
{
    Call call;
    call.request.requestId = head.requestId;
    return call.fail(makeError(QStringLiteral("InternalError"), message, 500));
}

void SnsApi::handle(HttpRequest &&request, HttpResponder responder)
{
    Call call;
    call.request = std::move(request);
    if (call.request.requestId.isEmpty())
        call.request.requestId = newRequestId();
    const bool internal = call.request.path.startsWith(prefix);
    if (internal && call.request.path.endsWith(".pem")) {
        const QByteArray pem = m_signer ? m_signer->certificatePem() : QByteArray();
        HttpResponse r = HttpResponse::text(pem.isEmpty() ? 404 : 200,
            pem.isEmpty() ? QByteArray("no certificate") : pem, "application/x-pem-file");
        responder.send(std::move(r));
        return;
    }
    call.form = parseForm(call.request.query);
    if (call.request.method == "POST") {
        const auto body = parseForm(call.request.body.toByteArray());
        for (auto it = body.cbegin(); it != body.cend(); ++it)
            call.form.insert(it.key(), it.value());
    }
    call.action = call.value("Action");
    if (internal && call.action != u"ConfirmSubscription" && call.action != u"Unsubscribe") {
        responder.send(call.fail(makeError(QStringLiteral("InvalidAction"),
            QStringLiteral("Only ConfirmSubscription and Unsubscribe are served here"), 400)));
        return;
    }
    responder.send(dispatch(call));
}

Result<SnsPublished> SnsApi::publishOne(
    SnsStore &store, const Call &call, const QString &topicArn, const QString &prefix)
{
    const auto field
        = [&](const char *name) { return call.form.constFind(prefix + QLatin1String(name)); };
    const auto value
        = [&](const char *name) { return call.form.value(prefix + QLatin1String(name)); };
    const std::optional<SnsTopic> topic = store.topic(topicArn);
    if (!topic)
        return SnsStore::notFound(QStringLiteral("Topic does not exist"));
    if (field("Message") == call.form.cend())
        return invalid(
            QStringLiteral("Invalid parameter: Message Reason: no value for required parameter"));
    SnsPublish p;
    p.topicArn = topicArn;
    p.message = value("Message");
    p.subject = value("Subject");
    p.traceId = call.request.traceId;
    p.spanId = call.request.spanId;
    if (p.message.isEmpty())
        return invalid(QStringLiteral("Invalid parameter: Empty message"));
    if (field("Subject") != call.form.cend()) {
        bool printable = !p.subject.isEmpty() && p.subject.size() <= 100 && p.subject.at(0) != u' ';
        for (const QChar c : p.subject)
            printable = printable && c.unicode() >= 0x20 && c.unicode() < 0x7f;
        if (!printable)
            return invalid(QStringLiteral("Invalid parameter: Subject"));
    }
    const QString structure = value("MessageStructure");
    if (field("MessageStructure") != call.form.cend()) {
        if (structure != u"json")
            return invalid(QStringLiteral("Invalid parameter: MessageStructure"));
        auto j = parseJson(p.message.toUtf8());
        if (!j || !j->is_object())
            return invalid(QStringLiteral(
                "Invalid parameter: Message Structure - JSON message body failed to parse"));
        if (!j->contains("default") || !(*j)["default"].is_string())
            return invalid(QStringLiteral(
                "Invalid parameter: Message Structure - No default entry in JSON message body"));
        p.perProtocol = true;
    }
    qint64 size = p.message.toUtf8().size();
    for (int n = 1;; ++n) {
        const QString base = prefix + QStringLiteral("MessageAttributes.entry.%1.").arg(n);
        const auto name = call.form.constFind(base + QLatin1String("Name"));
        if (name == call.form.cend())
            break;
        const QString type = call.form.value(base + QLatin1String("Value.DataType"));
        const bool binary = type.startsWith(QLatin1String("Binary"));
        const QString v = call.form.value(base
            + (binary ? QLatin1String("Value.BinaryValue") : QLatin1String("Value.StringValue")));
        if (type.isEmpty())
            return invalid(QStringLiteral("Invalid parameter: The message attribute '%1' must "
                                          "contain non-empty message attribute type.")
                               .arg(*name));
        if (!(type.startsWith(QLatin1String("String")) || type.startsWith(QLatin1String("Number"))
                || binary))
            return invalid(QStringLiteral("Invalid parameter: The message attribute '%1' has an "
                                          "invalid message attribute type, the set of supported "
                                          "type prefixes is Binary, Number, and String.")
                               .arg(*name));
        if (v.isEmpty())
            return invalid(QStringLiteral("Invalid parameter: The message attribute '%1' must "
                                          "contain non-empty message attribute value for message "
                                          "attribute type '%2'.")
                               .arg(*name, type));
        if (type.startsWith(QLatin1String("Number"))) {
            bool ok = false;
            v.toDouble(&ok);
            if (!ok)
                return invalid(QStringLiteral("Invalid parameter: Could not cast message "
                                              "attribute '%1' value to number.")
                                   .arg(*name));
        }
        if (type == u"String.Array") {
            auto j = parseJson(v.toUtf8());
            if (!j || !j->is_array())
                return invalid(QStringLiteral("Invalid parameter: Message attribute '%1' has an "
                                              "invalid message attribute value: it must be a JSON "
                                              "array.")
                                   .arg(*name));
        }
        size += name->toUtf8().size() + type.toUtf8().size() + v.toUtf8().size();
        p.attributes.insert(*name, {type, v});
    }
    if (size > kMaxMessage)
        return invalid(QStringLiteral("Invalid parameter: Message too long"));

    if (topic->fifo()) {
        p.groupId = value("MessageGroupId");
        p.deduplicationId = value("MessageDeduplicationId");
        if (p.groupId.isEmpty())
            return invalid(QStringLiteral(
                "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"));
        if (p.deduplicationId.isEmpty() && !topic->contentBasedDeduplication())
            return invalid(QStringLiteral("Invalid parameter: The topic should either have "
                                          "ContentBasedDeduplication enabled or "
                                          "MessageDeduplicationId provided explicitly"));
    } else if (field("MessageDeduplicationId") != call.form.cend()) {
        return invalid(QStringLiteral("Invalid parameter: MessageDeduplicationId Reason: The "
                                      "request includes MessageDeduplicationId parameter that is "
                                      "not valid for this topic type"));
    } else if (field("MessageGroupId") != call.form.cend()) {
        return invalid(QStringLiteral("Invalid parameter: MessageGroupId Reason: The request "
                                      "includes MessageGroupId parameter that is not valid for "
                                      "this topic type"));
    }
    return m_delivery->publish(p);
}

HttpResponse SnsApi::dispatch(Call &call)
{
    SnsStore *store = m_store.load(); // attached with the delivery
    if (!store)
        return call.fail(makeError(QStringLiteral("ServiceUnavailable"),
            QStringLiteral("the sns module has not started"), 503));
    const QString &a = call.action;
    const auto topicArg = [&](const char *name = "TopicArn") -> Result<QString> {
        const QString arn = call.value(name);
        if (!call.has(name))
            return invalid(QStringLiteral("Invalid parameter: %1 Reason: no value for required "
                                          "parameter")
                               .arg(QLatin1String(name)));
        if (!isTopicArn(arn))
            return invalid(QStringLiteral("Invalid parameter: %1").arg(QLatin1String(name)));
        return arn;
    };

    if (a == u"CreateTopic") {
        if (!call.has("Name"))
            return call.fail(invalid(QStringLiteral("Invalid parameter: Name Reason: no value for "
                                                    "required parameter")));
        auto arn = store->createTopic(call.value("Name"), call.map(QStringLiteral("Attributes")),
            call.map(QStringLiteral("Tags"), "Key", "Value", "member"));
        if (!arn)
            return call.fail(arn.error());
        return call.answer(element("TopicArn", *arn));
    }
    if (a == u"DeleteTopic") {
        auto arn = topicArg();
        if (!arn)
            return call.fail(arn.error());
        if (auto r = store->deleteTopic(*arn); !r)
            return call.fail(r.error());
        return call.answer(QByteArray());
    }
    if (a == u"ListTopics" || a == u"ListSubscriptions" || a == u"ListSubscriptionsByTopic") {
        QString topic;
        if (a == u"ListSubscriptionsByTopic") {
            auto arn = topicArg();
            if (!arn)
                return call.fail(arn.error());
            if (!store->topic(*arn))
                return call.fail(SnsStore::notFound(QStringLiteral("Topic does not exist")));
            topic = *arn;
        }
        bool ok = true;
        const int start = call.has("NextToken") ? call.value("NextToken").toInt(&ok) : 0;
        if (!ok || start < 0)
            return call.fail(invalid(QStringLiteral("Invalid parameter: NextToken")));
        QByteArray out;
        int total = 0;
        if (a == u"ListTopics") {
            const QStringList arns = store->topicArns();
            total = arns.size();
            out = "<Topics>";
            for (int i = start; i < std::min<int>(total, start + kPage); ++i)
                out += "<member>" + element("TopicArn", arns.at(i)) + "</member>";
            out += "</Topics>";
        } else {
            const QList<SnsSubscription> subs = store->subscriptions(topic);
            total = subs.size();
            out = "<Subscriptions>";
            for (int i = start; i < std::min<int>(total, start + kPage); ++i) {
                const SnsSubscription &s = subs.at(i);
                out += "<member>"
                    + element("SubscriptionArn",
                        s.confirmed ? s.arn : QStringLiteral("PendingConfirmation"))
                    + element("Owner", store->accountId()) + element("Protocol", s.protocol)
                    + element("Endpoint", s.endpoint) + element("TopicArn", s.topicArn)
                    + "</member>";
            }
            out += "</Subscriptions>";
        }
        if (start + kPage < total)
            out += element("NextToken", QString::number(start + kPage));
        return call.answer(out);
    }
    if (a == u"GetTopicAttributes") {
        auto arn = topicArg();
        if (!arn)
            return call.fail(arn.error());
        auto attributes = store->topicAttributes(*arn);
        if (!attributes)
            return call.fail(attributes.error());
        return call.answer("<Attributes>" + entries(*attributes) + "</Attributes>");
    }
    if (a == u"SetTopicAttributes") {
        auto arn = topicArg();
        if (!arn)
            return call.fail(arn.error());
        if (!call.has("AttributeName"))
            return call.fail(invalid(QStringLiteral("Invalid parameter: AttributeName")));
        if (auto r = store->setTopicAttribute(
                *arn, call.value("AttributeName"), call.value("AttributeValue"));
            !r)
            return call.fail(r.error());
        return call.answer(QByteArray());
    }
    if (a == u"Subscribe") {
        auto arn = topicArg();
        if (!arn)
            return call.fail(arn.error());
        if (!call.has("Protocol"))
            return call.fail(invalid(QStringLiteral("Invalid parameter: Protocol Reason: no "
                                                    "value for required parameter")));
        auto s = store->subscribe(*arn, call.value("Protocol"), call.value("Endpoint"),
            call.map(QStringLiteral("Attributes")));
        if (!s)
            return call.fail(s.error());
        if (!s->confirmed && m_delivery)
            m_delivery->requestConfirmation(*s);
        const bool returnArn = call.value("ReturnSubscriptionArn") == u"true";
        return call.answer(element("SubscriptionArn",
            s->confirmed || returnArn ? s->arn : QStringLiteral("pending confirmation")));
    }
    if (a == u"ConfirmSubscription") {
        auto arn = topicArg();
        if (!arn)
            return call.fail(arn.error());
        if (!call.has("Token"))
            return call.fail(invalid(QStringLiteral("Invalid parameter: Token")));
        auto s = store->confirm(*arn, call.value("Token"));
        if (!s)
            return call.fail(s.error());
        return call.answer(element("SubscriptionArn", s->arn));
    }
    if (a == u"Unsubscribe") {
        if (!call.has("SubscriptionArn"))
            return call.fail(invalid(QStringLiteral("Invalid parameter: SubscriptionArn")));
        if (auto r = store->unsubscribe(call.value("SubscriptionArn")); !r)
            return call.fail(r.error());
        return call.answer(QByteArray());
    }
    if (a == u"GetSubscriptionAttributes") {
        auto attributes = store->subscriptionAttributes(call.value("SubscriptionArn"));
        if (!attributes)
            return call.fail(attributes.error());
        return call.answer("<Attributes>" + entries(*attributes) + "</Attributes>");
    }
    if (a == u"SetSubscriptionAttributes") {
        if (!call.has("AttributeName"))
            return call.fail(invalid(QStringLiteral("Invalid parameter: AttributeName")));
        if (auto r = store->setSubscriptionAttribute(call.value("SubscriptionArn"),
                call.value("AttributeName"), call.value("AttributeValue"));
            !r)
            return call.fail(r.error());
        return call.answer(QByteArray());
    }
    if (a == u"TagResource" || a == u"UntagResource" || a == u"ListTagsForResource") {
        const QString arn = call.value("ResourceArn");
        if (a == u"TagResource") {
            const auto tags = call.map(QStringLiteral("Tags"), "Key", "Value", "member");
            if (auto r = store->tag(arn, tags); !r)
                return call.fail(r.error());
            return call.answer("");
        }
        if (a == u"UntagResource") {
            if (auto r = store->untag(arn, call.list(QStringLiteral("TagKeys"))); !r)
                return call.fail(r.error());
            return call.answer("");
        }
        auto tags = store->tags(arn);
        if (!tags)
            return call.fail(tags.error());
        QByteArray out = "<Tags>";
        for (auto it = tags->cbegin(); it != tags->cend(); ++it)
            out += "<member>" + element("Key", it.key()) + element("Value", it.value())
                + "</member>";
        return call.answer(out + "</Tags>");
    }
    if (a == u"Publish") {
        if (call.has("PhoneNumber") && !call.has("TopicArn") && !call.has("TargetArn"))
            return call.fail(invalid(
                QStringLiteral("Invalid parameter: PhoneNumber Reason: Tarmac does not send SMS")));
        const char *arnField = call.has("TopicArn") ? "TopicArn" : "TargetArn";
        if (!call.has(arnField))
            return call.fail(invalid(QStringLiteral("Invalid parameter: TopicArn or TargetArn "
                                                    "Reason: no value for required parameter")));
        auto arn = topicArg(arnField);
        if (!arn)
            return call.fail(arn.error());
        auto published = publishOne(*store, call, *arn, QString());
        if (!published)
            return call.fail(published.error());
        QByteArray out = element("MessageId", published->messageId);
        if (!published->sequenceNumber.isEmpty())
            out += element("SequenceNumber", published->sequenceNumber);
        return call.answer(out);
    }
    if (a == u"PublishBatch") {
        auto arn = topicArg();
        if (!arn)
            return call.fail(arn.error());
        if (!store->topic(*arn))
            return call.fail(SnsStore::notFound(QStringLiteral("Topic does not exist")));
        QStringList ids;
        for (int n = 1;
             call.form.contains(QStringLiteral("PublishBatchRequestEntries.member.%1.Id").arg(n));
             ++n)
            ids.append(
                call.form.value(QStringLiteral("PublishBatchRequestEntries.member.%1.Id").arg(n)));
        if (ids.isEmpty())
            return call.fail(makeError(QStringLiteral("EmptyBatchRequest"),
                QStringLiteral("The batch request doesn't contain any entries."), 400));
        if (ids.size() > 10)
            return call.fail(makeError(QStringLiteral("TooManyEntriesInBatchRequest"),
                QStringLiteral("The batch request contains more entries than permissible."), 400));
        static const QRegularExpression idPattern(QStringLiteral("^[A-Za-z0-9_-]{1,80}$"));
        if (QSet<QString>(ids.cbegin(), ids.cend()).size() != ids.size())
            return call.fail(makeError(QStringLiteral("BatchEntryIdsNotDistinct"),
                QStringLiteral("Two or more batch entries in the request have the same Id."), 400));
        qint64 total = 0;
        for (int n = 1; n <= ids.size(); ++n) {
            if (!idPattern.match(ids.at(n - 1)).hasMatch())
                return call.fail(makeError(QStringLiteral("InvalidBatchEntryId"),
                    QStringLiteral("The Id of a batch entry in a batch request doesn't abide by "
                                   "the specification."),
                    400));
            total
                += call.form
                       .value(QStringLiteral("PublishBatchRequestEntries.member.%1.Message").arg(n))
                       .toUtf8()
                       .size();
        }
        if (total > kMaxMessage)
            return call.fail(makeError(QStringLiteral("BatchRequestTooLong"),
                QStringLiteral("The length of all the messages put together is more than the "
                               "limit."),
                400));
        QByteArray ok = "<Successful>", failed = "<Failed>";
        for (int n = 1; n <= ids.size(); ++n) {
            const QString prefix = QStringLiteral("PublishBatchRequestEntries.member.%1.").arg(n);
            auto published = publishOne(*store, call, *arn, prefix);
            if (published) {
                ok += "<member>" + element("Id", ids.at(n - 1))
                    + element("MessageId", published->messageId)
                    + (published->sequenceNumber.isEmpty()
                            ? QByteArray()
                            : element("SequenceNumber", published->sequenceNumber))
                    + "</member>";
            } else {
                failed += "<member>" + element("Id", ids.at(n - 1))
                    + element("Code", published.error().code)
                    + element("Message", published.error().message)
                    + element("SenderFault",
                        published.error().httpStatus < 500 ? QStringLiteral("true")
                                                           : QStringLiteral("false"))
                    + "</member>";
            }
        }
        return call.answer(ok + "</Successful>" + failed + "</Failed>");
    }
    if (a.isEmpty())
        return call.fail(makeError(QStringLiteral("MissingAction"),
            QStringLiteral("Request is missing Action parameter"), 400));
    return call.fail(makeError(QStringLiteral("InvalidAction"),
        QStringLiteral("The action %1 is not valid for this web service. Tarmac's SNS serves "
                       "topics, subscriptions and publishing; SMS, mobile push and data "
                       "protection are not emulated.")
            .arg(a),
        400));
}

} // namespace tarmac
