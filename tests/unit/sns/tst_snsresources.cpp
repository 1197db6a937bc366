#include "services/sns/snsresources.h"

#include "base/json.h"
#include "template/stack.h"

#include <QRegularExpression>
#include <QTest>

using namespace tarmac;
using namespace tarmac::snsresources;

namespace {

Json j(const char *text)
{
    auto parsed = parseJson(QByteArray(text));
    return parsed ? *parsed : Json();
}

QByteArray text(const Json &value)
{
    return toJsonBytes(value);
}

StackNaming naming(const QString &stack = QStringLiteral("shop"))
{
    StackNaming n;
    n.stackName = stack;
    n.stackId = QStringLiteral("arn:aws:cloudformation:eu-west-1:123456789012:stack/shop/1");
    n.region = QStringLiteral("eu-west-1");
    n.accountId = QStringLiteral("123456789012");
    return n;
}

// Records what a type's check says; an error names the property path.
class FakeCheck : public ResourceCheck
{
public:
    void unsupported(const QString &subject, const QStringList &, const QString &, bool) override
    {
        reported.append(subject);
    }
    Error error(const QStringList &property, const QString &message) const override
    {
        return makeError(QStringLiteral("ValidationError"),
            property.join(u'.') + QStringLiteral(": ") + message);
    }
    QString baseDir() const override { return {}; }
    const StackResource *loaded(const QString &) const override { return nullptr; }

    QStringList reported;
};

// A resource as the loader hands it to check(): identity first, then the check.
Result<Json> checked(const ResourceType &type, const QString &logicalId, const Json &properties)
{
    StackResource r;
    r.logicalId = logicalId;
    r.type = QLatin1String(type.info().type);
    r.properties = properties;
    r.physicalId = type.identity(logicalId, properties, naming()).physicalId;
    FakeCheck check;
    return type.check(r, check);
}

FunctionEvent snsEvent(const Json &properties, const QMap<QString, Json> &template_ = {})
{
    FunctionEvent e;
    e.functionLogicalId = QStringLiteral("Worker");
    e.name = QStringLiteral("Orders");
    e.properties = properties;
    e.typeOf = [template_](const QString &id) {
        return template_.contains(id) ? QStringLiteral("AWS::SNS::Topic") : QString();
    };
    e.propertiesOf = [template_](const QString &id) { return template_.value(id, Json::object()); };
    return e;
}

const ExpandedResource *madeResource(const EventExpansion &x, const QString &logicalId)
{
    for (const ExpandedResource &r : x.resources) {
        if (r.logicalId == logicalId)
            return &r;
    }
    return nullptr;
}

QStringList madeIds(const EventExpansion &x)
{
    QStringList out;
    for (const ExpandedResource &r : x.resources)
        out.append(r.logicalId + u'=' + r.type);
    return out;
}

} // namespace

class TestSnsResources : public QObject
{
    Q_OBJECT

private slots:
    void typesAndSupport()
    {
        QCOMPARE(QLatin1String(topicType().info().type), QLatin1String("AWS::SNS::Topic"));
        QCOMPARE(topicType().info().support, Support::Emulated);
        QCOMPARE(QLatin1String(topicType().info().noun), QLatin1String("topic"));
        QCOMPARE(
            QLatin1String(subscriptionType().info().type), QLatin1String("AWS::SNS::Subscription"));
        QCOMPARE(subscriptionType().info().support, Support::Emulated);
        QCOMPARE(
            QLatin1String(topicPolicyType().info().type), QLatin1String("AWS::SNS::TopicPolicy"));
        QCOMPARE(topicPolicyType().info().support, Support::Ignored);
        QCOMPARE(QLatin1String(topicPolicyType().info().note),
            QLatin1String("topic policies are not enforced"));
        QCOMPARE(snsEventType().type(), QStringLiteral("SNS"));

        const ResourceTypeInfo &topic = topicType().info();
        for (const char *emulated : {"TopicName", "DisplayName", "FifoTopic",
                 "ContentBasedDeduplication", "SignatureVersion", "TracingConfig", "Subscription",
                 "Tags", "ArchivePolicy", "FifoThroughputScope"}) {
            QVERIFY2(topic.property(QLatin1String(emulated)), emulated);
            QCOMPARE(topic.property(QLatin1String(emulated))->support, Support::Emulated);
        }
        for (const char *ignored : {"DeliveryStatusLogging", "DataProtectionPolicy"})
            QCOMPARE(topic.property(QLatin1String(ignored))->support, Support::Ignored);
        QVERIFY(topic.property(QStringLiteral("KmsMasterKeyId")));
        const ResourceTypeInfo &sub = subscriptionType().info();
        for (const char *emulated : {"TopicArn", "Protocol", "Endpoint", "FilterPolicy",
                 "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy", "DeliveryPolicy"})
            QCOMPARE(sub.property(QLatin1String(emulated))->support, Support::Emulated);
        for (const char *ignored : {"Region", "SubscriptionRoleArn", "ReplayPolicy"})
            QCOMPARE(sub.property(QLatin1String(ignored))->support, Support::Ignored);
    }

    void namedTopic()
    {
        const ResourceIdentity id = topicType().identity(
            QStringLiteral("Orders"), j(R"({"TopicName":"orders"})"), naming());
        const QString arn = QStringLiteral("arn:aws:sns:eu-west-1:123456789012:orders");
        QCOMPARE(id.physicalId, arn);
        QCOMPARE(text(id.ref), text(Json(arn.toStdString())));
        QCOMPARE(
            text(id.attributes.value(QStringLiteral("TopicArn"))), text(Json(arn.toStdString())));
        QCOMPARE(text(id.attributes.value(QStringLiteral("TopicName"))), QByteArray(R"("orders")"));
        QVERIFY(id.attributesKnown);
    }

    void generatedTopicName()
    {
        const StackNaming n = naming();
        const ResourceIdentity id
            = topicType().identity(QStringLiteral("Orders"), Json::object(), n);
        const QString name = generatedPhysicalName(n, QStringLiteral("Orders"), 256, false);
        QVERIFY(name.startsWith(QLatin1String("shop-Orders-")));
        QCOMPARE(id.physicalId, n.arn("sns", name));
        QCOMPARE(
            text(id.attributes.value(QStringLiteral("TopicName"))), text(Json(name.toStdString())));
        // The same from one start to the next.
        QCOMPARE(topicType().identity(QStringLiteral("Orders"), Json::object(), n).physicalId,
            id.physicalId);
        QVERIFY(topicType().identity(QStringLiteral("Other"), Json::object(), n).physicalId
            != id.physicalId);
    }

    void generatedFifoTopicName()
    {
        const StackNaming n = naming();
        for (const Json &fifo : {Json(true), Json("true")}) {
            const ResourceIdentity id
                = topicType().identity(QStringLiteral("Orders"), Json {{"FifoTopic", fifo}}, n);
            const QString name = QString::fromStdString(
                id.attributes.value(QStringLiteral("TopicName")).get<std::string>());
            QVERIFY2(name.endsWith(QLatin1String(".fifo")), qPrintable(name));
            QVERIFY(name.startsWith(QLatin1String("shop-Orders-")));
            QCOMPARE(id.physicalId, n.arn("sns", name));
        }
        const ResourceIdentity standard
            = topicType().identity(QStringLiteral("Orders"), j(R"({"FifoTopic":false})"), n);
        QVERIFY(!standard.physicalId.endsWith(QLatin1String(".fifo")));

        // Long stack names and logical ids give way: the name stays within 256 characters.
        const StackNaming longer = naming(QString(200, u's'));
        const QString logical = QString(200, u'L');
        const QString fifoName
            = QString::fromStdString(topicType()
                                         .identity(logical, j(R"({"FifoTopic":true})"), longer)
                                         .attributes.value(QStringLiteral("TopicName"))
                                         .get<std::string>());
        QVERIFY(fifoName.endsWith(QLatin1String(".fifo")));
        QCOMPARE(fifoName.size(), 256);
        const QString plainName
            = QString::fromStdString(topicType()
                                         .identity(logical, Json::object(), longer)
                                         .attributes.value(QStringLiteral("TopicName"))
                                         .get<std::string>());
        QCOMPARE(plainName.size(), 256);
        // Both are names SNS takes.
        QVERIFY(checked(topicType(), logical, j(R"({"FifoTopic":true})")).ok());
    }

    void subscriptionArn()
    {
        const Json props = j(R"({"TopicArn":"arn:aws:sns:eu-west-1:123456789012:orders",
            "Protocol":"sqs","Endpoint":"arn:aws:sqs:eu-west-1:123456789012:q"})");
        const ResourceIdentity id
            = subscriptionType().identity(QStringLiteral("OrdersToQueue"), props, naming());
        static const QRegularExpression form(
            QStringLiteral("^arn:aws:sns:eu-west-1:123456789012:orders:"
                           "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"));
        QVERIFY2(form.match(id.physicalId).hasMatch(), qPrintable(id.physicalId));
        QCOMPARE(text(id.ref), text(Json(id.physicalId.toStdString())));
        QCOMPARE(text(id.attributes.value(QStringLiteral("Arn"))), text(id.ref));

        // Stable for the stack and logical id; another of either gives another ARN.
        QCOMPARE(subscriptionType()
                     .identity(QStringLiteral("OrdersToQueue"), props, naming())
                     .physicalId,
            id.physicalId);
        QVERIFY(subscriptionType().identity(QStringLiteral("Other"), props, naming()).physicalId
            != id.physicalId);
        QVERIFY(subscriptionType()
                    .identity(QStringLiteral("OrdersToQueue"), props, naming(QStringLiteral("dev")))
                    .physicalId
            != id.physicalId);
        // The same subscription on another topic keeps its UUID.
        const ResourceIdentity other = subscriptionType().identity(QStringLiteral("OrdersToQueue"),
            j(R"({"TopicArn":"arn:aws:sns:eu-west-1:123456789012:other","Protocol":"sqs"})"),
            naming());
        QCOMPARE(other.physicalId.section(u':', -1), id.physicalId.section(u':', -1));
        QVERIFY(other.physicalId.startsWith(
            QLatin1String("arn:aws:sns:eu-west-1:123456789012:other:")));
    }

    void topicPolicyIdentity()
    {
        const ResourceIdentity id
            = topicPolicyType().identity(QStringLiteral("Policy"), Json::object(), naming());
        QVERIFY(id.physicalId.startsWith(QLatin1String("shop-Policy-")));
    }

    void checkTopicNames_data()
    {
        QTest::addColumn<QByteArray>("properties");
        QTest::addColumn<QString>("error"); // empty: accepted
        const QString fifo = QStringLiteral(
            "TopicName: Invalid parameter: Fifo Topic names must end with .fifo and must be made "
            "up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, "
            "and must be between 1 and 256 characters long.");
        const QString standard = QStringLiteral(
            "TopicName: Invalid parameter: Topic names must be made up of only uppercase and "
            "lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 "
            "and 256 characters long.");
        QTest::newRow("standard") << QByteArray(R"({"TopicName":"orders"})") << QString();
        QTest::newRow("fifo") << QByteArray(R"({"TopicName":"orders.fifo","FifoTopic":true})")
                              << QString();
        QTest::newRow("fifo as text")
            << QByteArray(R"({"TopicName":"orders.fifo","FifoTopic":"true"})") << QString();
        QTest::newRow("generated") << QByteArray("{}") << QString();
        QTest::newRow("generated fifo") << QByteArray(R"({"FifoTopic":true})") << QString();
        QTest::newRow("fifo without .fifo")
            << QByteArray(R"({"TopicName":"orders","FifoTopic":true})") << fifo;
        QTest::newRow(".fifo without FifoTopic")
            << QByteArray(R"({"TopicName":"orders.fifo"})") << standard;
        QTest::newRow(".fifo with FifoTopic false")
            << QByteArray(R"({"TopicName":"orders.fifo","FifoTopic":false})") << standard;
        QTest::newRow("bad character") << QByteArray(R"({"TopicName":"my topic"})") << standard;
        QTest::newRow("only .fifo")
            << QByteArray(R"({"TopicName":".fifo","FifoTopic":true})") << fifo;
        QTest::newRow("too long") << (QByteArray("{\"TopicName\":\"") + QByteArray(257, 'a')
            + QByteArray("\"}")) << standard;
    }

    void checkTopicNames()
    {
        QFETCH(QByteArray, properties);
        QFETCH(QString, error);
        auto r = checked(topicType(), QStringLiteral("Orders"), j(properties.constData()));
        if (error.isEmpty()) {
            QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        } else {
            QVERIFY(!r.ok());
            QCOMPARE(r.error().message, error);
        }
    }

    void checkTopicProperties_data()
    {
        QTest::addColumn<QByteArray>("properties");
        QTest::addColumn<QString>("error");
        QTest::newRow("unknown") << QByteArray(R"({"TopicName":"t","Colour":"red"})")
                                 << QStringLiteral(
                                        "Colour: AWS::SNS::Topic has no property Colour");
        QTest::newRow("DisplayName") << QByteArray(R"({"DisplayName":{"a":1}})")
                                     << QStringLiteral("DisplayName: DisplayName must be a string");
        QTest::newRow("FifoTopic") << QByteArray(R"({"FifoTopic":"yes"})")
                                   << QStringLiteral("FifoTopic: FifoTopic must be true or false");
        QTest::newRow("ArchivePolicy")
            << QByteArray(R"({"ArchivePolicy":[1]})")
            << QStringLiteral(
                   "ArchivePolicy: ArchivePolicy must be a map, or the JSON text of one");
        QTest::newRow("Tags") << QByteArray(R"({"Tags":[{"Key":"a"}]})")
                              << QStringLiteral("Tags.0: Tags: a tag is {Key, Value}");
        QTest::newRow("Subscription")
            << QByteArray(R"({"Subscription":[{"Protocol":"sqs"}]})")
            << QStringLiteral(
                   "Subscription.0: Subscription: a subscription is {Endpoint, Protocol}");
        QTest::newRow("Subscription protocol")
            << QByteArray(R"({"Subscription":[{"Protocol":"pigeon","Endpoint":"x"}]})")
            << QStringLiteral("Subscription.0.Protocol: Invalid parameter: Amazon SNS does not "
                              "support this protocol string: pigeon");
        QTest::newRow("DeliveryStatusLogging")
            << QByteArray(R"({"DeliveryStatusLogging":"x"})")
            << QStringLiteral("DeliveryStatusLogging: DeliveryStatusLogging must be a list of "
                              "logging configurations");
    }

    void checkTopicProperties()
    {
        QFETCH(QByteArray, properties);
        QFETCH(QString, error);
        auto r = checked(topicType(), QStringLiteral("Orders"), j(properties.constData()));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().message, error);
    }

    void checkSubscription_data()
    {
        QTest::addColumn<QByteArray>("properties");
        QTest::addColumn<QString>("error");
        QTest::newRow("ok") << QByteArray(R"({"TopicArn":"arn:aws:sns:eu-west-1:1:t",
            "Protocol":"lambda","Endpoint":"arn:aws:lambda:eu-west-1:1:function:f"})")
                            << QString();
        QTest::newRow("no TopicArn")
            << QByteArray(R"({"Protocol":"sqs","Endpoint":"e"})")
            << QStringLiteral("TopicArn: a subscription needs TopicArn, the ARN of its topic");
        QTest::newRow("no Protocol")
            << QByteArray(R"({"TopicArn":"arn:aws:sns:eu-west-1:1:t"})")
            << QStringLiteral(
                   "Protocol: a subscription needs Protocol (sqs, lambda, http, https, …)");
        QTest::newRow("bad Protocol")
            << QByteArray(R"({"TopicArn":"arn:aws:sns:eu-west-1:1:t","Protocol":"smoke"})")
            << QStringLiteral("Protocol: Invalid parameter: Amazon SNS does not support this "
                              "protocol string: smoke");
        QTest::newRow("FilterPolicyScope")
            << QByteArray(R"({"TopicArn":"arn:aws:sns:eu-west-1:1:t","Protocol":"sqs",
                "FilterPolicyScope":"Everything"})")
            << QStringLiteral("FilterPolicyScope: Invalid parameter: Attributes Reason: "
                              "FilterPolicyScope: Invalid value [Everything]. Please use either "
                              "MessageBody or MessageAttributes");
        QTest::newRow("unknown") << QByteArray(
            R"({"TopicArn":"arn:aws:sns:eu-west-1:1:t","Protocol":"sqs","X":1})")
                                 << QStringLiteral("X: AWS::SNS::Subscription has no property X");
    }

    void checkSubscription()
    {
        QFETCH(QByteArray, properties);
        QFETCH(QString, error);
        auto r = checked(subscriptionType(), QStringLiteral("Sub"), j(properties.constData()));
        if (error.isEmpty()) {
            QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        } else {
            QVERIFY(!r.ok());
            QCOMPARE(r.error().message, error);
        }
    }

    void topicSpecOfProperties()
    {
        const QString arn = QStringLiteral("arn:aws:sns:eu-west-1:123456789012:orders.fifo");
        auto spec = topicSpec(arn, j(R"({
            "TopicName": "orders.fifo",
            "DisplayName": "Orders",
            "FifoTopic": true,
            "ContentBasedDeduplication": "True",
            "KmsMasterKeyId": "alias/aws/sns",
            "SignatureVersion": 2,
            "TracingConfig": "Active",
            "FifoThroughputScope": "MessageGroup",
            "ArchivePolicy": {"MessageRetentionPeriod": "30"},
            "DataProtectionPolicy": {"Name": "p"},
            "DeliveryStatusLogging": [{"Protocol": "sqs"}],
            "Tags": [{"Key": "team", "Value": "shop"}, {"Key": "n", "Value": 3}],
            "Subscription": [
                {"Endpoint": "arn:aws:sqs:eu-west-1:123456789012:q.fifo", "Protocol": "sqs"},
                {"Endpoint": "arn:aws:lambda:eu-west-1:123456789012:function:f", "Protocol": "LAMBDA"}
            ]})"));
        QVERIFY2(spec.ok(), spec.ok() ? "" : qPrintable(spec.error().message));
        QCOMPARE(spec->name, QStringLiteral("orders.fifo"));
        const QMap<QString, QString> expected {
            {QStringLiteral("DisplayName"), QStringLiteral("Orders")},
            {QStringLiteral("FifoTopic"), QStringLiteral("true")},
            {QStringLiteral("ContentBasedDeduplication"), QStringLiteral("true")},
            {QStringLiteral("KmsMasterKeyId"), QStringLiteral("alias/aws/sns")},
            {QStringLiteral("SignatureVersion"), QStringLiteral("2")},
            {QStringLiteral("TracingConfig"), QStringLiteral("Active")},
            {QStringLiteral("FifoThroughputScope"), QStringLiteral("MessageGroup")},
            {QStringLiteral("ArchivePolicy"), QStringLiteral(R"({"MessageRetentionPeriod":"30"})")},
        };
        QCOMPARE(spec->attributes, expected);
        QCOMPARE(spec->tags,
            (QMap<QString, QString> {{QStringLiteral("team"), QStringLiteral("shop")},
                {QStringLiteral("n"), QStringLiteral("3")}}));
        QCOMPARE(spec->subscriptions.size(), 2);
        QCOMPARE(spec->subscriptions[0].topicArn, arn);
        QCOMPARE(spec->subscriptions[0].protocol, QStringLiteral("sqs"));
        QCOMPARE(spec->subscriptions[0].endpoint,
            QStringLiteral("arn:aws:sqs:eu-west-1:123456789012:q.fifo"));
        QVERIFY(spec->subscriptions[0].attributes.isEmpty());
        QCOMPARE(spec->subscriptions[1].protocol, QStringLiteral("lambda"));

        // A plain topic: only what is given; false as "false".
        auto plain = topicSpec(QStringLiteral("arn:aws:sns:eu-west-1:123456789012:plain"),
            j(R"({"FifoTopic": "false"})"));
        QVERIFY(plain.ok());
        QCOMPARE(plain->name, QStringLiteral("plain"));
        QCOMPARE(plain->attributes,
            (QMap<QString, QString> {{QStringLiteral("FifoTopic"), QStringLiteral("false")}}));
        QVERIFY(plain->tags.isEmpty());
        QVERIFY(plain->subscriptions.isEmpty());

        // Errors name the property.
        auto wrong = topicSpec(QStringLiteral("arn:aws:sns:eu-west-1:123456789012:t"),
            j(R"({"TracingConfig": ["Active"]})"));
        QVERIFY(!wrong.ok());
        QVERIFY2(wrong.error().message.contains(QLatin1String("TracingConfig")),
            qPrintable(wrong.error().message));
        auto unknown = topicSpec(
            QStringLiteral("arn:aws:sns:eu-west-1:123456789012:t"), j(R"({"DeliveryPolicy": {}})"));
        QVERIFY(!unknown.ok());
        QCOMPARE(unknown.error().message,
            QStringLiteral("AWS::SNS::Topic has no property DeliveryPolicy"));
        auto badName = topicSpec(
            QStringLiteral("arn:aws:sns:eu-west-1:123456789012:t"), j(R"({"FifoTopic": true})"));
        QVERIFY(!badName.ok());
        QVERIFY(badName.error().message.contains(QLatin1String("Fifo Topic names must end")));
    }

    void subscriptionSpecOfProperties()
    {
        Json props = j(R"({
            "TopicArn": "arn:aws:sns:eu-west-1:123456789012:orders",
            "Protocol": "sqs",
            "Endpoint": "arn:aws:sqs:eu-west-1:123456789012:q",
            "FilterPolicy": {"store": ["north", {"prefix": "so"}]},
            "FilterPolicyScope": "MessageBody",
            "RawMessageDelivery": true,
            "RedrivePolicy": {"deadLetterTargetArn": "arn:aws:sqs:eu-west-1:123456789012:dlq"},
            "Region": "eu-west-1",
            "SubscriptionRoleArn": "arn:aws:iam::123456789012:role/r",
            "ReplayPolicy": {"PointType": "Timestamp"}})");
        props["DeliveryPolicy"] = R"({"healthyRetryPolicy":{"numRetries":3}})";
        auto spec = subscriptionSpec(props);
        QVERIFY2(spec.ok(), spec.ok() ? "" : qPrintable(spec.error().message));
        QCOMPARE(spec->topicArn, QStringLiteral("arn:aws:sns:eu-west-1:123456789012:orders"));
        QCOMPARE(spec->protocol, QStringLiteral("sqs"));
        QCOMPARE(spec->endpoint, QStringLiteral("arn:aws:sqs:eu-west-1:123456789012:q"));
        const QMap<QString, QString> expected {
            {QStringLiteral("FilterPolicy"),
                QStringLiteral(R"({"store":["north",{"prefix":"so"}]})")},
            {QStringLiteral("FilterPolicyScope"), QStringLiteral("MessageBody")},
            {QStringLiteral("RawMessageDelivery"), QStringLiteral("true")},
            {QStringLiteral("RedrivePolicy"),
                QStringLiteral(
                    R"({"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:123456789012:dlq"})")},
            {QStringLiteral("DeliveryPolicy"),
                QStringLiteral(R"({"healthyRetryPolicy":{"numRetries":3}})")},
        };
        QCOMPARE(spec->attributes, expected);

        // A filter policy as JSON text is kept as written; "false" as false.
        Json asText = j(R"({"TopicArn":"arn:aws:sns:eu-west-1:1:t",
            "Protocol":"lambda","Endpoint":"f","RawMessageDelivery":"false"})");
        asText["FilterPolicy"] = R"({"a": ["b"]})";
        auto written = subscriptionSpec(asText);
        QVERIFY(written.ok());
        QCOMPARE(written->attributes.value(QStringLiteral("FilterPolicy")),
            QStringLiteral(R"({"a": ["b"]})"));
        QCOMPARE(written->attributes.value(QStringLiteral("RawMessageDelivery")),
            QStringLiteral("false"));
        QVERIFY(!written->attributes.contains(QStringLiteral("FilterPolicyScope")));

        // Errors name the property.
        const auto fails = [](const char *properties, const char *property) {
            auto r = subscriptionSpec(j(properties));
            if (r.ok())
                return false;
            return r.error().message.contains(QLatin1String(property));
        };
        QVERIFY(fails(
            R"({"TopicArn":"t","Protocol":"sqs","FilterPolicy":"not json"})", "FilterPolicy"));
        QVERIFY(fails(R"({"TopicArn":"t","Protocol":"sqs","FilterPolicy":"[1]"})", "FilterPolicy"));
        QVERIFY(fails(
            R"({"TopicArn":"t","Protocol":"sqs","RawMessageDelivery":1})", "RawMessageDelivery"));
        QVERIFY(fails(R"({"TopicArn":"t","Protocol":"sqs","RedrivePolicy":5})", "RedrivePolicy"));
        QVERIFY(fails(R"({"TopicArn":"t","Protocol":"sqs","Endpoint":7})", "Endpoint"));
        QVERIFY(fails(R"({"TopicArn":"t","Protocol":"sqs","Region":true})", "Region"));
        QVERIFY(fails(R"({"TopicArn":"t","Protocol":"sqs","Owner":"me"})", "Owner"));
        QVERIFY(fails(R"({"TopicArn":["t"],"Protocol":"sqs"})", "TopicArn"));
        QVERIFY(fails(R"({"Protocol":"sqs"})", "TopicArn"));
        QVERIFY(!subscriptionSpec(Json("not a map")).ok());
    }

    void plainEvent()
    {
        auto x = snsEventType().expand(snsEvent(j(R"({"Topic":{"Ref":"Orders"}})")));
        QVERIFY2(x.ok(), x.ok() ? "" : qPrintable(x.error().message));
        QCOMPARE(madeIds(*x),
            (QStringList {QStringLiteral("WorkerOrders=AWS::SNS::Subscription"),
                QStringLiteral("WorkerOrdersPermission=AWS::Lambda::Permission")}));
        QCOMPARE(text(madeResource(*x, QStringLiteral("WorkerOrders"))->properties),
            text(j(R"({"Protocol":"lambda","Endpoint":{"Fn::GetAtt":["Worker","Arn"]},
                "TopicArn":{"Ref":"Orders"}})")));
        QCOMPARE(text(madeResource(*x, QStringLiteral("WorkerOrdersPermission"))->properties),
            text(j(R"({"Action":"lambda:InvokeFunction","FunctionName":{"Ref":"Worker"},
                "Principal":"sns.amazonaws.com","SourceArn":{"Ref":"Orders"}})")));
        QVERIFY(x->additions.isEmpty());
        QVERIFY(x->unsupported.isEmpty());

        // SqsSubscription false (or an empty map) is the same.
        for (const char *props : {R"({"Topic":{"Ref":"Orders"},"SqsSubscription":false})",
                 R"({"Topic":{"Ref":"Orders"},"SqsSubscription":{}})"}) {
            auto same = snsEventType().expand(snsEvent(j(props)));
            QVERIFY(same.ok());
            QCOMPARE(madeIds(*same), madeIds(*x));
        }
    }

    void eventWithFilterPolicy()
    {
        auto x = snsEventType().expand(snsEvent(j(R"({"Topic":"arn:aws:sns:eu-west-1:1:orders",
            "FilterPolicy":{"store":["north"]},"FilterPolicyScope":"MessageAttributes",
            "RedrivePolicy":{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:1:dlq"},
            "Region":"eu-west-1","Colour":"red"})")));
        QVERIFY2(x.ok(), x.ok() ? "" : qPrintable(x.error().message));
        QCOMPARE(text(madeResource(*x, QStringLiteral("WorkerOrders"))->properties),
            text(j(R"({"Protocol":"lambda","Endpoint":{"Fn::GetAtt":["Worker","Arn"]},
                "TopicArn":"arn:aws:sns:eu-west-1:1:orders","Region":"eu-west-1",
                "FilterPolicy":{"store":["north"]},"FilterPolicyScope":"MessageAttributes",
                "RedrivePolicy":{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:1:dlq"}})")));
        QCOMPARE(x->unsupported.size(), 1);
        QCOMPARE(x->unsupported[0].first, QStringLiteral("Colour"));
        // The subscription made is one the subscription type takes.
        auto spec = subscriptionSpec(j(R"({"Protocol":"lambda",
            "Endpoint":"arn:aws:lambda:eu-west-1:1:function:w",
            "TopicArn":"arn:aws:sns:eu-west-1:1:orders","Region":"eu-west-1",
            "FilterPolicy":{"store":["north"]},"FilterPolicyScope":"MessageAttributes"})"));
        QVERIFY(spec.ok());
    }

    void sqsSubscriptionEvent()
    {
        auto x
            = snsEventType().expand(snsEvent(j(R"({"Topic":{"Ref":"Orders"},"SqsSubscription":true,
                "FilterPolicy":{"store":["north"]}})"),
                {{QStringLiteral("Orders"), Json::object()}}));
        QVERIFY2(x.ok(), x.ok() ? "" : qPrintable(x.error().message));
        QCOMPARE(madeIds(*x),
            (QStringList {QStringLiteral("WorkerOrdersQueue=AWS::SQS::Queue"),
                QStringLiteral("WorkerOrdersQueuePolicy=AWS::SQS::QueuePolicy"),
                QStringLiteral("WorkerOrders=AWS::SNS::Subscription"),
                QStringLiteral("WorkerOrdersEventSourceMapping=AWS::Lambda::EventSourceMapping")}));
        QCOMPARE(text(madeResource(*x, QStringLiteral("WorkerOrdersQueue"))->properties),
            QByteArray("{}"));
        QCOMPARE(text(madeResource(*x, QStringLiteral("WorkerOrdersQueuePolicy"))->properties),
            text(j(R"({"PolicyDocument":{"Version":"2012-10-17","Statement":[{
                "Action":"sqs:SendMessage","Effect":"Allow","Principal":"*",
                "Resource":{"Fn::GetAtt":["WorkerOrdersQueue","Arn"]},
                "Condition":{"ArnEquals":{"aws:SourceArn":{"Ref":"Orders"}}}}]},
                "Queues":[{"Ref":"WorkerOrdersQueue"}]})")));
        QCOMPARE(text(madeResource(*x, QStringLiteral("WorkerOrders"))->properties),
            text(j(R"({"Protocol":"sqs","Endpoint":{"Fn::GetAtt":["WorkerOrdersQueue","Arn"]},
                "TopicArn":{"Ref":"Orders"},"FilterPolicy":{"store":["north"]}})")));
        QCOMPARE(
            text(madeResource(*x, QStringLiteral("WorkerOrdersEventSourceMapping"))->properties),
            text(j(R"({"FunctionName":{"Ref":"Worker"},
                "EventSourceArn":{"Fn::GetAtt":["WorkerOrdersQueue","Arn"]},
                "BatchSize":10,"Enabled":true})")));
        QVERIFY(!madeResource(*x, QStringLiteral("WorkerOrdersPermission")));
    }

    void sqsSubscriptionOfFifoTopic()
    {
        for (const char *topic :
            {R"({"Ref":"Orders"})", R"({"Fn::GetAtt":["Orders","TopicArn"]})"}) {
            Json props = j(R"({"SqsSubscription":true})");
            props["Topic"] = j(topic);
            auto x = snsEventType().expand(snsEvent(props,
                {{QStringLiteral("Orders"), j(R"({"TopicName":"o.fifo","FifoTopic":true})")}}));
            QVERIFY(x.ok());
            QCOMPARE(text(madeResource(*x, QStringLiteral("WorkerOrdersQueue"))->properties),
                QByteArray(R"({"FifoQueue":true})"));
        }
    }

    void sqsSubscriptionOfExistingQueue()
    {
        auto x = snsEventType().expand(snsEvent(j(R"({"Topic":{"Ref":"Orders"},"SqsSubscription":{
            "QueueArn":{"Fn::GetAtt":["Inbox","Arn"]},"QueueUrl":{"Ref":"Inbox"},
            "QueuePolicyLogicalId":"InboxPolicy","BatchSize":5,"Enabled":true}})")));
        QVERIFY2(x.ok(), x.ok() ? "" : qPrintable(x.error().message));
        QCOMPARE(madeIds(*x),
            (QStringList {QStringLiteral("InboxPolicy=AWS::SQS::QueuePolicy"),
                QStringLiteral("WorkerOrders=AWS::SNS::Subscription"),
                QStringLiteral("WorkerOrdersEventSourceMapping=AWS::Lambda::EventSourceMapping")}));
        QCOMPARE(text(madeResource(*x, QStringLiteral("InboxPolicy"))->properties["Queues"]),
            QByteArray(R"([{"Ref":"Inbox"}])"));
        QCOMPARE(text(madeResource(*x, QStringLiteral("WorkerOrders"))->properties),
            text(j(R"({"Protocol":"sqs","Endpoint":{"Fn::GetAtt":["Inbox","Arn"]},
                "TopicArn":{"Ref":"Orders"}})")));
        QCOMPARE(
            text(madeResource(*x, QStringLiteral("WorkerOrdersEventSourceMapping"))->properties),
            text(j(R"({"FunctionName":{"Ref":"Worker"},
                "EventSourceArn":{"Fn::GetAtt":["Inbox","Arn"]},"BatchSize":5,"Enabled":true})")));
        QVERIFY(x->unsupported.isEmpty());

        // Without a policy id the policy is <Function><Event>QueuePolicy; BatchSize is 10.
        Json props = j(R"({"Topic":{"Ref":"Orders"},
            "SqsSubscription":{"QueueArn":"arn:aws:sqs:eu-west-1:1:q"}})");
        props["SqsSubscription"]["QueueUrl"] = "https://sqs.eu-west-1.amazonaws.com/1/q";
        auto plain = snsEventType().expand(snsEvent(props));
        QVERIFY(plain.ok());
        QVERIFY(madeResource(*plain, QStringLiteral("WorkerOrdersQueuePolicy")));
        QVERIFY(!madeResource(*plain, QStringLiteral("WorkerOrdersQueue")));
        QCOMPARE(text(madeResource(*plain, QStringLiteral("WorkerOrdersEventSourceMapping"))
                          ->properties["BatchSize"]),
            QByteArray("10"));
    }

    void invalidEvents_data()
    {
        QTest::addColumn<QByteArray>("properties");
        QTest::addColumn<QString>("error");
        QTest::newRow("no Topic") << QByteArray(R"({"FilterPolicy":{}})")
                                  << QStringLiteral("The SNS event needs Topic.");
        QTest::newRow("SqsSubscription text")
            << QByteArray(R"({"Topic":"t","SqsSubscription":"yes"})")
            << QStringLiteral("Property 'SqsSubscription' should be a boolean or a map.");
        QTest::newRow("no QueueUrl")
            << QByteArray(R"({"Topic":"t","SqsSubscription":{"QueueArn":"arn:aws:sqs:r:1:q"}})")
            << QStringLiteral("No QueueARN or QueueURL provided.");
        QTest::newRow("no QueueArn")
            << QByteArray(R"({"Topic":"t","SqsSubscription":{"QueueUrl":"u","BatchSize":2}})")
            << QStringLiteral("No QueueARN or QueueURL provided.");
        QTest::newRow("RedrivePolicy")
            << QByteArray(R"({"Topic":"t","RedrivePolicy":"x"})")
            << QStringLiteral("Property 'RedrivePolicy' should be a map.");
    }

    void invalidEvents()
    {
        QFETCH(QByteArray, properties);
        QFETCH(QString, error);
        auto x = snsEventType().expand(snsEvent(j(properties.constData())));
        QVERIFY(!x.ok());
        QCOMPARE(x.error().message, error);
    }
};

QTEST_GUILESS_MAIN(TestSnsResources)
#include "tst_snsresources.moc"
