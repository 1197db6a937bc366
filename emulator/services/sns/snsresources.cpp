#include "services/sns/snsresources.h"

#include "base/json.h"
#include "template/intrinsics.h"

#include <QRegularExpression>
#include <QUuid>

#include <functional>

namespace tarmac::snsresources {

namespace {

constexpr Support E = Support::Emulated;
constexpr Support I = Support::Ignored;

// SNS's own sentences for a topic name it refuses (CreateTopic's InvalidParameter).
const char kFifoName[] = "Invalid parameter: Fifo Topic names must end with .fifo and must be made "
                         "up of only uppercase and lowercase ASCII letters, numbers, underscores, "
                         "and hyphens, and must be between 1 and 256 characters long.";
const char kStandardName[]
    = "Invalid parameter: Topic names must be made up of only uppercase and lowercase ASCII "
      "letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters "
      "long.";

const char *const kTopicProperties[]
    = {"TopicName", "DisplayName", "FifoTopic", "ContentBasedDeduplication", "KmsMasterKeyId",
        "SignatureVersion", "TracingConfig", "Subscription", "Tags", "DeliveryStatusLogging",
        "DataProtectionPolicy", "ArchivePolicy", "FifoThroughputScope", "MaximumMessageSize"};
const char *const kSubscriptionProperties[] = {"TopicArn", "Protocol", "Endpoint", "FilterPolicy",
    "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy", "DeliveryPolicy", "Region",
    "SubscriptionRoleArn", "ReplayPolicy"};
const char *const kProtocols[]
    = {"http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"};

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

Json str(const QString &s)
{
    return Json(s.toStdString());
}

// Where a property is wrong ({"Subscription", "0", "Protocol"}) and what SNS or CloudFormation
// says about it: an error with its position when the template is loaded, a plain one after.
using Fail = std::function<Error(const QStringList &property, const QString &message)>;

Error plainError(const QStringList &, const QString &message)
{
    return makeError(QStringLiteral("InvalidParameter"), message);
}

template<size_t N>
bool known(const char *const (&names)[N], const std::string &key)
{
    for (const char *name : names) {
        if (key == name)
            return true;
    }
    return false;
}

// A boolean as CloudFormation takes one: true, or its text ("true", "False").
bool booleanText(const Json &v, QString *out)
{
    if (v.is_boolean()) {
        *out = v.get<bool>() ? QStringLiteral("true") : QStringLiteral("false");
        return true;
    }
    if (v.is_string()) {
        const QString s = qs(v.get<std::string>()).toLower();
        if (s == QLatin1String("true") || s == QLatin1String("false")) {
            *out = s;
            return true;
        }
    }
    return false;
}

// A JSON property (a policy): a map, written as compact JSON text, or the JSON text of a map.
bool jsonText(const Json &v, QString *out)
{
    if (v.is_object()) {
        *out = QString::fromUtf8(toJsonBytes(v));
        return true;
    }
    if (v.is_string()) {
        const std::string text = v.get<std::string>();
        auto parsed = parseJson(std::string_view(text));
        if (!parsed || !parsed->is_object())
            return false;
        *out = qs(text);
        return true;
    }
    return false;
}

bool isFifo(const Json &properties)
{
    QString fifo;
    return properties.is_object() && properties.contains("FifoTopic")
        && booleanText(properties["FifoTopic"], &fifo) && fifo == QLatin1String("true");
}

Result<QMap<QString, QString>> readTags(const Json &v, const Fail &fail)
{
    QMap<QString, QString> out;
    if (!v.is_array())
        return fail(
            {QStringLiteral("Tags")}, QStringLiteral("Tags must be a list of {Key, Value}"));
    for (size_t i = 0; i < v.size(); ++i) {
        const Json &t = v[i];
        QString key, value;
        if (!t.is_object() || !t.contains("Key") || !t.contains("Value")
            || !IntrinsicResolver::scalarToString(t["Key"], &key)
            || !IntrinsicResolver::scalarToString(t["Value"], &value) || key.isEmpty())
            return fail({QStringLiteral("Tags"), QString::number(i)},
                QStringLiteral("Tags: a tag is {Key, Value}"));
        out.insert(key, value);
    }
    return out;
}

// A subscription's properties, checked: an error names the property.
Result<SubscriptionSpec> readSubscription(const Json &p, const Fail &fail)
{
    if (!p.is_object())
        return fail({}, QStringLiteral("the Properties of a subscription are a map"));
    for (auto it = p.begin(); it != p.end(); ++it) {
        if (!known(kSubscriptionProperties, it.key()))
            return fail({qs(it.key())},
                QStringLiteral("AWS::SNS::Subscription has no property %1").arg(qs(it.key())));
    }
    SubscriptionSpec out;
    const auto string = [&](const char *key, QString *value) -> Result<void> {
        if (p.contains(key) && !p[key].is_string())
            return fail({QLatin1String(key)},
                QStringLiteral("%1 must be a string").arg(QLatin1String(key)));
        if (p.contains(key))
            *value = qs(p[key].get<std::string>());
        return {};
    };
    for (const auto &[key, value] : {std::pair {"TopicArn", &out.topicArn},
             std::pair {"Protocol", &out.protocol}, std::pair {"Endpoint", &out.endpoint}}) {
        if (auto r = string(key, value); !r)
            return r.error();
    }
    if (out.topicArn.isEmpty())
        return fail({QStringLiteral("TopicArn")},
            QStringLiteral("a subscription needs TopicArn, the ARN of its topic"));
    if (out.protocol.isEmpty())
        return fail({QStringLiteral("Protocol")},
            QStringLiteral("a subscription needs Protocol (sqs, lambda, http, https, …)"));
    out.protocol = out.protocol.toLower();
    if (!known(kProtocols, out.protocol.toStdString()))
        return fail({QStringLiteral("Protocol")},
            QStringLiteral(
                "Invalid parameter: Amazon SNS does not support this protocol string: %1")
                .arg(qs(p["Protocol"].get<std::string>())));
    for (const char *key : {"FilterPolicy", "RedrivePolicy", "DeliveryPolicy"}) {
        QString text;
        if (!p.contains(key))
            continue;
        if (!jsonText(p[key], &text))
            return fail({QLatin1String(key)},
                QStringLiteral("%1 must be a map, or the JSON text of one")
                    .arg(QLatin1String(key)));
        out.attributes.insert(QLatin1String(key), text);
    }
    if (p.contains("FilterPolicyScope")) {
        const Json &v = p["FilterPolicyScope"];
        const QString scope = v.is_string() ? qs(v.get<std::string>()) : QString();
        if (scope != QLatin1String("MessageAttributes") && scope != QLatin1String("MessageBody"))
            return fail({QStringLiteral("FilterPolicyScope")},
                QStringLiteral("Invalid parameter: Attributes Reason: FilterPolicyScope: Invalid "
                               "value [%1]. Please use either MessageBody or MessageAttributes")
                    .arg(v.is_string() ? scope : QString::fromUtf8(toJsonBytes(v))));
        out.attributes.insert(QStringLiteral("FilterPolicyScope"), scope);
    }
    if (p.contains("RawMessageDelivery")) {
        QString raw;
        if (!booleanText(p["RawMessageDelivery"], &raw))
            return fail({QStringLiteral("RawMessageDelivery")},
                QStringLiteral("RawMessageDelivery must be true or false"));
        out.attributes.insert(QStringLiteral("RawMessageDelivery"), raw);
    }
    // Accepted, without effect: checked for their types only.
    QString ignored;
    for (const char *key : {"Region", "SubscriptionRoleArn"}) {
        if (auto r = string(key, &ignored); !r)
            return r.error();
    }
    if (p.contains("ReplayPolicy") && !jsonText(p["ReplayPolicy"], &ignored))
        return fail({QStringLiteral("ReplayPolicy")},
            QStringLiteral("ReplayPolicy must be a map, or the JSON text of one"));
    return out;
}

// A topic's properties, checked: an error names the property.
Result<TopicSpec> readTopic(const QString &physicalId, const Json &p, const Fail &fail)
{
    if (!p.is_object())
        return fail({}, QStringLiteral("the Properties of a topic are a map"));
    for (auto it = p.begin(); it != p.end(); ++it) {
        if (!known(kTopicProperties, it.key()))
            return fail({qs(it.key())},
                QStringLiteral("AWS::SNS::Topic has no property %1").arg(qs(it.key())));
    }
    TopicSpec out;
    out.name = physicalId.section(u':', -1);
    if (p.contains("TopicName") && !p["TopicName"].is_string())
        return fail({QStringLiteral("TopicName")}, QStringLiteral("TopicName must be a string"));
    for (const char *key : {"DisplayName", "KmsMasterKeyId", "SignatureVersion", "TracingConfig",
             "FifoThroughputScope"}) {
        QString text;
        if (!p.contains(key))
            continue;
        if (!IntrinsicResolver::scalarToString(p[key], &text))
            return fail({QLatin1String(key)},
                QStringLiteral("%1 must be a string").arg(QLatin1String(key)));
        out.attributes.insert(QLatin1String(key), text);
    }
    for (const char *key : {"FifoTopic", "ContentBasedDeduplication"}) {
        QString text;
        if (!p.contains(key))
            continue;
        if (!booleanText(p[key], &text))
            return fail({QLatin1String(key)},
                QStringLiteral("%1 must be true or false").arg(QLatin1String(key)));
        out.attributes.insert(QLatin1String(key), text);
    }
    if (p.contains("ArchivePolicy")) {
        QString text;
        if (!jsonText(p["ArchivePolicy"], &text))
            return fail({QStringLiteral("ArchivePolicy")},
                QStringLiteral("ArchivePolicy must be a map, or the JSON text of one"));
        out.attributes.insert(QStringLiteral("ArchivePolicy"), text);
    }
    // Accepted, without effect: checked for their types only.
    QString ignored;
    if (p.contains("DataProtectionPolicy") && !jsonText(p["DataProtectionPolicy"], &ignored))
        return fail({QStringLiteral("DataProtectionPolicy")},
            QStringLiteral("DataProtectionPolicy must be a map, or the JSON text of one"));
    if (p.contains("DeliveryStatusLogging") && !p["DeliveryStatusLogging"].is_array())
        return fail({QStringLiteral("DeliveryStatusLogging")},
            QStringLiteral("DeliveryStatusLogging must be a list of logging configurations"));
    qint64 size = 0;
    if (p.contains("MaximumMessageSize") && !wholeNumber(p["MaximumMessageSize"], &size))
        return fail({QStringLiteral("MaximumMessageSize")},
            QStringLiteral("MaximumMessageSize must be a whole number"));
    if (p.contains("Tags")) {
        auto tags = readTags(p["Tags"], fail);
        if (!tags)
            return tags.error();
        out.tags = *tags;
    }
    if (p.contains("Subscription")) {
        const Json &list = p["Subscription"];
        if (!list.is_array())
            return fail({QStringLiteral("Subscription")},
                QStringLiteral("Subscription must be a list of {Endpoint, Protocol}"));
        for (size_t i = 0; i < list.size(); ++i) {
            const Json &s = list[i];
            const QStringList at {QStringLiteral("Subscription"), QString::number(i)};
            if (!s.is_object() || !s.contains("Endpoint") || !s["Endpoint"].is_string()
                || !s.contains("Protocol") || !s["Protocol"].is_string() || s.size() != 2)
                return fail(
                    at, QStringLiteral("Subscription: a subscription is {Endpoint, Protocol}"));
            SubscriptionSpec sub;
            sub.topicArn = physicalId;
            sub.endpoint = qs(s["Endpoint"].get<std::string>());
            sub.protocol = qs(s["Protocol"].get<std::string>()).toLower();
            if (!known(kProtocols, sub.protocol.toStdString()))
                return fail(at + QStringList {QStringLiteral("Protocol")},
                    QStringLiteral(
                        "Invalid parameter: Amazon SNS does not support this protocol string: %1")
                        .arg(qs(s["Protocol"].get<std::string>())));
            out.subscriptions.append(sub);
        }
    }
    // FIFO topics end in .fifo; a standard topic's name cannot (a dot is not allowed in it).
    static const QRegularExpression valid(QStringLiteral("^[A-Za-z0-9_-]+$"));
    const bool fifo = out.attributes.value(QStringLiteral("FifoTopic")) == QLatin1String("true");
    const QString base
        = fifo && out.name.endsWith(QLatin1String(".fifo")) ? out.name.chopped(5) : out.name;
    if (out.name.size() > 256 || !valid.match(base).hasMatch()
        || (fifo && !out.name.endsWith(QLatin1String(".fifo"))))
        return fail({QStringLiteral("TopicName")}, QLatin1String(fifo ? kFifoName : kStandardName));
    return out;
}

Fail checkFail(ResourceCheck &check)
{
    return [&check](const QStringList &property, const QString &message) {
        return check.error(property, message);
    };
}

class TopicType : public ResourceType
{
public:
    const ResourceTypeInfo &info() const override
    {
        static const ResourceTypeInfo info {"AWS::SNS::Topic", E, "",
            {{"TopicName", E, ""}, {"DisplayName", E, ""}, {"FifoTopic", E, ""},
                {"ContentBasedDeduplication", E, ""},
                {"KmsMasterKeyId", I,
                    "messages are not encrypted locally (the key id is kept as the topic's "
                    "attribute)"},
                {"SignatureVersion", E, ""}, {"TracingConfig", E, ""}, {"Subscription", E, ""},
                {"Tags", E, ""},
                {"DeliveryStatusLogging", I, "delivery status is not logged to CloudWatch"},
                {"DataProtectionPolicy", I, "data protection policies are not applied"},
                {"ArchivePolicy", E, ""}, {"FifoThroughputScope", E, ""},
                {"MaximumMessageSize", I, "the topic takes messages up to SNS's own limit"}},
            "topic"};
        return info;
    }

    ResourceIdentity identity(
        const QString &logicalId, const Json &properties, const StackNaming &n) const override
    {
        ResourceIdentity id;
        QString name = stringProperty(properties, "TopicName");
        if (name.isEmpty())
            name = isFifo(properties)
                ? generatedPhysicalName(n, logicalId, 256 - 5, false) + QStringLiteral(".fifo")
                : generatedPhysicalName(n, logicalId, 256, false);
        id.physicalId = n.arn("sns", name);
        id.ref = str(id.physicalId);
        id.attributes.insert(QStringLiteral("TopicArn"), str(id.physicalId));
        id.attributes.insert(QStringLiteral("TopicName"), str(name));
        return id;
    }

    Result<Json> check(const StackResource &resource, ResourceCheck &check) const override
    {
        auto spec = readTopic(resource.physicalId, resource.properties, checkFail(check));
        if (!spec)
            return spec.error();
        return Json();
    }
};

class SubscriptionType : public ResourceType
{
public:
    const ResourceTypeInfo &info() const override
    {
        static const ResourceTypeInfo info {"AWS::SNS::Subscription", E, "",
            {{"TopicArn", E, ""}, {"Protocol", E, ""}, {"Endpoint", E, ""}, {"FilterPolicy", E, ""},
                {"FilterPolicyScope", E, ""}, {"RawMessageDelivery", E, ""},
                {"RedrivePolicy", E, ""}, {"DeliveryPolicy", E, ""},
                {"Region", I, "the subscription is made in the stack's region"},
                {"SubscriptionRoleArn", I,
                    "IAM is not enforced: every function may call every service"},
                {"ReplayPolicy", I, "archived messages are not replayed"}},
            "subscription"};
        return info;
    }

    ResourceIdentity identity(
        const QString &logicalId, const Json &properties, const StackNaming &n) const override
    {
        // SNS's subscription ARNs are the topic's ARN and a UUID; this one is derived from the
        // stack and logical id, so it stays the same from one start to the next.
        static const QUuid ns
            = QUuid::fromString(QLatin1String("6ba7b811-9dad-11d1-80b4-00c04fd430c8"));
        QString topic = stringProperty(properties, "TopicArn");
        if (topic.isEmpty())
            topic = n.arn("sns", generatedPhysicalName(n, logicalId, 256, false));
        const QString seed
            = QStringLiteral("tarmac:sns-subscription:") + n.stackName + u'/' + logicalId;
        const QUuid uuid = QUuid::createUuidV5(ns, seed);
        ResourceIdentity id;
        id.physicalId = topic + u':' + uuid.toString(QUuid::WithoutBraces);
        id.ref = str(id.physicalId);
        id.attributes.insert(QStringLiteral("Arn"), str(id.physicalId));
        return id;
    }

    Result<Json> check(const StackResource &resource, ResourceCheck &check) const override
    {
        auto spec = readSubscription(resource.properties, checkFail(check));
        if (!spec)
            return spec.error();
        return Json();
    }
};

class TopicPolicyType : public ResourceType
{
public:
    const ResourceTypeInfo &info() const override
    {
        static const ResourceTypeInfo info {
            "AWS::SNS::TopicPolicy", I, "topic policies are not enforced", {}};
        return info;
    }
};

Json getAtt(const QString &logicalId, const char *attribute)
{
    return Json {{"Fn::GetAtt", Json::array({logicalId.toStdString(), attribute})}};
}

Json ref(const QString &logicalId)
{
    return Json {{"Ref", logicalId.toStdString()}};
}

// The logical id a Topic refers to (`!Ref T`, `!GetAtt T.TopicArn`), or empty.
QString referredId(const Json &v)
{
    if (!v.is_object() || v.size() != 1)
        return {};
    if (v.contains("Ref") && v["Ref"].is_string())
        return qs(v["Ref"].get<std::string>());
    if (v.contains("Fn::GetAtt")) {
        const Json &a = v["Fn::GetAtt"];
        if (a.is_array() && !a.empty() && a[0].is_string())
            return qs(a[0].get<std::string>());
        if (a.is_string())
            return qs(a.get<std::string>()).section(u'.', 0, 0);
    }
    return {};
}

// `Events: {Name: {Type: SNS, Properties: {Topic: !Ref T, SqsSubscription: …}}}`: as the SAM
// transform makes it (samtranslator/model/eventsources/push.py, class SNS), a subscription
// <Function><Event> of the function and a permission <Function><Event>Permission; with
// SqsSubscription, a queue between them: <Function><Event>Queue (unless the event names an
// existing one), its policy <Function><Event>QueuePolicy (or QueuePolicyLogicalId), the
// subscription of the queue, and the mapping <Function><Event>EventSourceMapping.
class SnsEventType : public FunctionEventType
{
public:
    QString type() const override { return QStringLiteral("SNS"); }

    Result<EventExpansion> expand(const FunctionEvent &e) const override
    {
        const Json &p = e.properties;
        if (!p.contains("Topic"))
            return makeError(
                QStringLiteral("InvalidEvent"), QStringLiteral("The SNS event needs Topic."));
        if (p.contains("RedrivePolicy") && !p["RedrivePolicy"].is_object())
            return makeError(QStringLiteral("InvalidEvent"),
                QStringLiteral("Property 'RedrivePolicy' should be a map."));
        Json sqs = p.value("SqsSubscription", Json(false));
        if (sqs.is_null())
            sqs = false;
        if (!sqs.is_boolean() && !sqs.is_object())
            return makeError(QStringLiteral("InvalidEvent"),
                QStringLiteral("Property 'SqsSubscription' should be a boolean or a map."));
        EventExpansion out;
        for (auto it = p.begin(); it != p.end(); ++it) {
            static const char *const properties[] = {"Topic", "Region", "FilterPolicy",
                "FilterPolicyScope", "SqsSubscription", "RedrivePolicy"};
            if (!known(properties, it.key()))
                out.unsupported.append(
                    {qs(it.key()), QStringLiteral("not a property Tarmac knows for SNS events")});
        }
        const QString base = e.functionLogicalId + e.name;
        const auto subscription = [&](const char *protocol, const Json &endpoint) {
            Json s = {{"Protocol", protocol}, {"Endpoint", endpoint}, {"TopicArn", p["Topic"]}};
            for (const char *key :
                {"Region", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy"}) {
                if (p.contains(key))
                    s[key] = p[key];
            }
            return ExpandedResource {base, QStringLiteral("AWS::SNS::Subscription"), s};
        };
        // SAM's "not SqsSubscription": false, or an empty map.
        if (sqs.empty() || sqs == Json(false)) {
            out.resources.append(subscription("lambda", getAtt(e.functionLogicalId, "Arn")));
            out.resources.append(ExpandedResource {base + QStringLiteral("Permission"),
                QStringLiteral("AWS::Lambda::Permission"),
                Json {{"Action", "lambda:InvokeFunction"},
                    {"FunctionName", ref(e.functionLogicalId)}, {"Principal", "sns.amazonaws.com"},
                    {"SourceArn", p["Topic"]}}});
            return out;
        }
        Json queueArn, queueUrl;
        QString policyId = base + QStringLiteral("QueuePolicy");
        Json batchSize = 10;
        if (sqs.is_boolean()) {
            const QString queue = base + QStringLiteral("Queue");
            Json properties = Json::object();
            const QString topic = referredId(p["Topic"]);
            if (!topic.isEmpty() && e.propertiesOf && isFifo(e.propertiesOf(topic)))
                properties["FifoQueue"] = true;
            out.resources.append(
                ExpandedResource {queue, QStringLiteral("AWS::SQS::Queue"), properties});
            queueArn = getAtt(queue, "Arn");
            queueUrl = ref(queue);
        } else {
            // An existing queue. SAM's transform makes the mapping enabled whatever Enabled
            // says, and so does Tarmac.
            const auto given = [&](const char *key) {
                const Json v = sqs.value(key, Json());
                return !v.is_null() && v != Json(false) && v != Json(0) && v != Json("")
                    && !v.empty();
            };
            if (!given("QueueArn") || !given("QueueUrl"))
                return makeError(QStringLiteral("InvalidEvent"),
                    QStringLiteral("No QueueARN or QueueURL provided."));
            queueArn = sqs["QueueArn"];
            queueUrl = sqs["QueueUrl"];
            if (sqs.contains("QueuePolicyLogicalId")) {
                if (!sqs["QueuePolicyLogicalId"].is_string())
                    return makeError(QStringLiteral("InvalidEvent"),
                        QStringLiteral("Property 'SqsSubscription.QueuePolicyLogicalId' should "
                                       "be a string."));
                policyId = qs(sqs["QueuePolicyLogicalId"].get<std::string>());
            }
            if (given("BatchSize"))
                batchSize = sqs["BatchSize"];
            for (auto it = sqs.begin(); it != sqs.end(); ++it) {
                static const char *const properties[]
                    = {"QueueArn", "QueueUrl", "QueuePolicyLogicalId", "BatchSize", "Enabled"};
                if (!known(properties, it.key()))
                    out.unsupported.append({QStringLiteral("SqsSubscription.") + qs(it.key()),
                        QStringLiteral("not a property Tarmac knows for SNS events")});
            }
        }
        const Json statement = {{"Action", "sqs:SendMessage"}, {"Effect", "Allow"},
            {"Principal", "*"}, {"Resource", queueArn},
            {"Condition", {{"ArnEquals", {{"aws:SourceArn", p["Topic"]}}}}}};
        out.resources.append(ExpandedResource {policyId, QStringLiteral("AWS::SQS::QueuePolicy"),
            Json {{"PolicyDocument",
                      {{"Version", "2012-10-17"}, {"Statement", Json::array({statement})}}},
                {"Queues", Json::array({queueUrl})}}});
        out.resources.append(subscription("sqs", queueArn));
        out.resources.append(ExpandedResource {base + QStringLiteral("EventSourceMapping"),
            QStringLiteral("AWS::Lambda::EventSourceMapping"),
            Json {{"FunctionName", ref(e.functionLogicalId)}, {"EventSourceArn", queueArn},
                {"BatchSize", batchSize}, {"Enabled", true}}});
        return out;
    }
};

const TopicType g_topic;
const SubscriptionType g_subscription;
const TopicPolicyType g_policy;
const SnsEventType g_event;

} // namespace

const ResourceType &topicType()
{
    return g_topic;
}

const ResourceType &subscriptionType()
{
    return g_subscription;
}

const ResourceType &topicPolicyType()
{
    return g_policy;
}

const FunctionEventType &snsEventType()
{
    return g_event;
}

Result<TopicSpec> topicSpec(const QString &physicalId, const Json &properties)
{
    return readTopic(physicalId, properties, plainError);
}

Result<SubscriptionSpec> subscriptionSpec(const Json &properties)
{
    return readSubscription(properties, plainError);
}

} // namespace tarmac::snsresources
