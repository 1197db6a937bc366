#include "services/sqs/sqsresources.h"

#include "base/json.h"
#include "template/intrinsics.h"

namespace tarmac::sqsresources {

namespace {

constexpr Support E = Support::Emulated;
constexpr Support I = Support::Ignored;

const char *const kAttributes[] = {"DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds", "VisibilityTimeout", "RedrivePolicy", "RedriveAllowPolicy",
    "FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit",
    "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled"};

class QueueType : public ResourceType
{
public:
    const ResourceTypeInfo &info() const override
    {
        static const ResourceTypeInfo info = [] {
            ResourceTypeInfo i {
                "AWS::SQS::Queue", E, "", {{"QueueName", E, ""}, {"Tags", E, ""}}, "queue"};
            for (const char *a : kAttributes)
                i.properties.append({a, E, ""});
            return i;
        }();
        return info;
    }

    ResourceIdentity identity(
        const QString &logicalId, const Json &properties, const StackNaming &n) const override
    {
        ResourceIdentity id;
        QString name = stringProperty(properties, "QueueName");
        const bool fifo
            = properties.is_object() && properties.value("FifoQueue", Json(false)) == Json(true);
        if (name.isEmpty())
            name = fifo ? generatedPhysicalName(n, logicalId, 75, false) + QStringLiteral(".fifo")
                        : generatedPhysicalName(n, logicalId, 80, false);
        // The URL AWS gives; SDKs pointed at Tarmac send to their endpoint with it.
        // The physical id is the URL AWS gives (stable from one start to the next); Ref and
        // QueueUrl give the URL of the queue on Tarmac's edge when it serves one, so that a
        // client that sends to the queue's URL (the JavaScript SDK v3 does, over
        // AWS_ENDPOINT_URL) reaches Tarmac, not AWS.
        id.physicalId = awsQueueUrl(n.region, n.accountId, name);
        const QString url = n.endpoint.isEmpty()
            ? id.physicalId
            : QStringLiteral("%1/%2/%3").arg(n.endpoint, n.accountId, name);
        const auto str = [](const QString &s) { return Json(s.toStdString()); };
        id.attributes.insert(QStringLiteral("Arn"), str(n.arn("sqs", name)));
        id.attributes.insert(QStringLiteral("QueueName"), str(name));
        id.attributes.insert(QStringLiteral("QueueUrl"), str(url));
        id.ref = str(url);
        return id;
    }

    Result<Json> check(const StackResource &resource, ResourceCheck &check) const override
    {
        auto attributes = queueAttributes(resource.properties);
        if (!attributes)
            return check.error({}, attributes.error().message);
        const QString name = queueName(resource.physicalId);
        if (attributes->value(QStringLiteral("FifoQueue")) == QLatin1String("true")
            && !name.endsWith(QLatin1String(".fifo")))
            return check.error({QStringLiteral("QueueName")},
                QStringLiteral("The name of a FIFO queue must end with .fifo"));
        return Json();
    }
};

class QueuePolicyType : public ResourceType
{
public:
    const ResourceTypeInfo &info() const override
    {
        static const ResourceTypeInfo info {
            "AWS::SQS::QueuePolicy", I, "queue policies are not enforced", {}};
        return info;
    }
};

class SqsEventType : public FunctionEventType
{
public:
    QString type() const override { return QStringLiteral("SQS"); }

    Result<EventExpansion> expand(const FunctionEvent &e) const override
    {
        const Json &p = e.properties;
        if (!p.contains("Queue"))
            return makeError(
                QStringLiteral("InvalidEvent"), QStringLiteral("The SQS event needs Queue."));
        EventExpansion out;
        Json mapping = {{"FunctionName", {{"Ref", e.functionLogicalId.toStdString()}}},
            {"EventSourceArn", p["Queue"]}};
        for (const char *key : {"BatchSize", "Enabled", "MaximumBatchingWindowInSeconds",
                 "FunctionResponseTypes", "ScalingConfig", "FilterCriteria"}) {
            if (p.contains(key))
                mapping[key] = p[key];
        }
        for (auto it = p.begin(); it != p.end(); ++it) {
            if (!mapping.contains(it.key()) && it.key() != "Queue")
                out.unsupported.append({QString::fromStdString(it.key()),
                    QStringLiteral("not a property Tarmac knows for SQS events")});
        }
        out.resources.append(ExpandedResource {e.functionLogicalId + e.name,
            QStringLiteral("AWS::Lambda::EventSourceMapping"), mapping});
        return out;
    }
};

const QueueType g_queue;
const QueuePolicyType g_policy;
const SqsEventType g_event;

} // namespace

const ResourceType &queueType()
{
    return g_queue;
}

const ResourceType &queuePolicyType()
{
    return g_policy;
}

const FunctionEventType &sqsEventType()
{
    return g_event;
}

QString awsQueueUrl(const QString &region, const QString &accountId, const QString &name)
{
    return QStringLiteral("https://sqs.%1.amazonaws.com/%2/%3").arg(region, accountId, name);
}

QString queueName(const QString &physicalId)
{
    return physicalId.section(u'/', -1);
}

Result<QMap<QString, QString>> queueAttributes(const Json &properties)
{
    QMap<QString, QString> out;
    if (!properties.is_object())
        return out;
    for (const char *a : kAttributes) {
        if (!properties.contains(a))
            continue;
        const Json &v = properties[a];
        QString text;
        if (v.is_object()) // RedrivePolicy and RedriveAllowPolicy as maps, as templates write them
            text = QString::fromUtf8(toJsonBytes(v));
        else if (!IntrinsicResolver::scalarToString(v, &text))
            return makeError(QStringLiteral("InvalidParameterValue"),
                QStringLiteral("%1 must be a string, a number or a boolean").arg(QLatin1String(a)));
        out.insert(QLatin1String(a), text);
    }
    return out;
}

QMap<QString, QString> queueTags(const Json &properties)
{
    QMap<QString, QString> out;
    if (!properties.is_object() || !properties.contains("Tags") || !properties["Tags"].is_array())
        return out;
    for (const Json &t : properties["Tags"]) {
        QString k, v;
        if (t.is_object() && IntrinsicResolver::scalarToString(t.value("Key", Json()), &k)
            && IntrinsicResolver::scalarToString(t.value("Value", Json()), &v))
            out.insert(k, v);
    }
    return out;
}

} // namespace tarmac::sqsresources
