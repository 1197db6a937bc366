#include "services/dynamodb/ddbresources.h"

#include "services/dynamodb/ddbtable.h"
#include "template/intrinsics.h"

#include <QDateTime>
#include <QTimeZone>

namespace tarmac::ddbresources {

namespace {

constexpr Support E = Support::Emulated;
constexpr Support I = Support::Ignored;

const char kNoEncryption[] = "tables are not encrypted locally";

// CloudFormation takes numbers and booleans as strings too ("5", "true").
Json normalised(const Json &v)
{
    if (v.is_object()) {
        Json out = Json::object();
        for (auto it = v.begin(); it != v.end(); ++it) {
            const std::string &k = it.key();
            const bool number = k == "ReadCapacityUnits" || k == "WriteCapacityUnits";
            const bool boolean = k == "Enabled" || k == "StreamEnabled"
                || k == "DeletionProtectionEnabled" || k == "PointInTimeRecoveryEnabled";
            qint64 n = 0;
            if (number && wholeNumber(it.value(), &n))
                out[k] = n;
            else if (boolean && it.value().is_string())
                out[k] = it.value() == "true";
            else
                out[k] = normalised(it.value());
        }
        return out;
    }
    if (v.is_array()) {
        Json out = Json::array();
        for (const Json &e : v)
            out.push_back(normalised(e));
        return out;
    }
    return v;
}

quint32 fnv(const QString &text)
{
    quint32 h = 2166136261u;
    for (const char c : text.toUtf8()) {
        h ^= quint8(c);
        h *= 16777619u;
    }
    return h;
}

class TableType : public ResourceType
{
public:
    explicit TableType(bool simple)
        : m_simple(simple)
    { }

    const ResourceTypeInfo &info() const override
    {
        static const ResourceTypeInfo table {"AWS::DynamoDB::Table", E, "",
            {{"TableName", E, ""}, {"KeySchema", E, ""}, {"AttributeDefinitions", E, ""},
                {"BillingMode", E, ""}, {"ProvisionedThroughput", E, ""},
                {"GlobalSecondaryIndexes", E, ""}, {"LocalSecondaryIndexes", E, ""},
                {"StreamSpecification", E, ""}, {"TimeToLiveSpecification", E, ""}, {"Tags", E, ""},
                {"TableClass", E, ""}, {"DeletionProtectionEnabled", E, ""},
                {"SSESpecification", I, kNoEncryption},
                {"PointInTimeRecoverySpecification", I, "there are no backups locally"},
                {"ContributorInsightsSpecification", I, "there are no metrics locally"},
                {"OnDemandThroughput", I, "nothing is throttled locally"},
                {"WarmThroughput", I, "nothing is throttled locally"},
                {"ResourcePolicy", I, "resource policies are not enforced"}},
            "table"};
        static const ResourceTypeInfo simple {"AWS::Serverless::SimpleTable", E, "",
            {{"TableName", E, ""}, {"PrimaryKey", E, ""}, {"ProvisionedThroughput", E, ""},
                {"Tags", E, ""}, {"SSESpecification", I, kNoEncryption},
                {"PointInTimeRecoverySpecification", I, "there are no backups locally"}},
            "table"};
        return m_simple ? simple : table;
    }

    ResourceIdentity identity(
        const QString &logicalId, const Json &properties, const StackNaming &n) const override
    {
        ResourceIdentity id;
        QString name = stringProperty(properties, "TableName");
        if (name.isEmpty())
            name = generatedPhysicalName(n, logicalId, 255, false);
        id.physicalId = name;
        const auto str = [](const QString &s) { return Json(s.toStdString()); };
        const QString arn = n.arn("dynamodb", QStringLiteral("table/") + name);
        id.attributes.insert(QStringLiteral("Arn"), str(arn));
        id.attributes.insert(
            QStringLiteral("StreamArn"), str(arn + QStringLiteral("/stream/") + streamLabel(arn)));
        id.ref = str(name);
        return id;
    }

    Result<Json> check(const StackResource &resource, ResourceCheck &check) const override
    {
        auto request = createTableRequest(
            QLatin1String(info().type), resource.physicalId, resource.properties);
        if (!request)
            return check.error({}, request.error().message);
        if (auto parsed = parseCreateTable(*request); !parsed)
            return check.error({}, parsed.error().message);
        return Json();
    }

private:
    bool m_simple;
};

class DynamoDbEventType : public FunctionEventType
{
public:
    QString type() const override { return QStringLiteral("DynamoDB"); }

    Result<EventExpansion> expand(const FunctionEvent &e) const override
    {
        const Json &p = e.properties;
        if (!p.contains("Stream"))
            return makeError(
                QStringLiteral("InvalidEvent"), QStringLiteral("The DynamoDB event needs Stream."));
        if (!p.contains("StartingPosition"))
            return makeError(QStringLiteral("InvalidEvent"),
                QStringLiteral("The DynamoDB event needs StartingPosition."));
        EventExpansion out;
        Json mapping = {{"FunctionName", {{"Ref", e.functionLogicalId.toStdString()}}},
            {"EventSourceArn", p["Stream"]}};
        for (const char *key : {"StartingPosition", "StartingPositionTimestamp", "BatchSize",
                 "Enabled", "MaximumBatchingWindowInSeconds", "MaximumRetryAttempts",
                 "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "ParallelizationFactor",
                 "TumblingWindowInSeconds", "DestinationConfig", "FunctionResponseTypes",
                 "FilterCriteria"}) {
            if (p.contains(key))
                mapping[key] = p[key];
        }
        for (auto it = p.begin(); it != p.end(); ++it) {
            if (!mapping.contains(it.key()) && it.key() != "Stream")
                out.unsupported.append({QString::fromStdString(it.key()),
                    QStringLiteral("not a property Tarmac knows for DynamoDB events")});
        }
        out.resources.append(ExpandedResource {e.functionLogicalId + e.name,
            QStringLiteral("AWS::Lambda::EventSourceMapping"), mapping});
        return out;
    }
};

const TableType g_table(false);
const TableType g_simple(true);
const DynamoDbEventType g_event;

} // namespace

const ResourceType &tableType()
{
    return g_table;
}

const ResourceType &simpleTableType()
{
    return g_simple;
}

const FunctionEventType &dynamoDbEventType()
{
    return g_event;
}

QString streamLabel(const QString &arn)
{
    // A time in 2024, stable for the ARN (AWS's labels are the stream's creation time).
    const qint64 base = 1'704'067'200'000; // 2024-01-01T00:00:00Z
    const qint64 ms = base + qint64(fnv(arn) % 31'536'000'000ULL);
    return QDateTime::fromMSecsSinceEpoch(ms, QTimeZone::utc())
        .toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzz"));
}

QString ttlAttribute(const Json &properties)
{
    const Json p = normalised(properties);
    if (!p.is_object() || !p.contains("TimeToLiveSpecification"))
        return {};
    const Json &t = p["TimeToLiveSpecification"];
    if (!t.is_object() || t.value("Enabled", Json(false)) != Json(true))
        return {};
    return QString::fromStdString(t.value("AttributeName", std::string()));
}

Result<Json> createTableRequest(const QString &type, const QString &name, const Json &properties)
{
    const Json p = normalised(properties.is_object() ? properties : Json::object());
    Json r = {{"TableName", name.toStdString()}};
    if (type == QLatin1String("AWS::Serverless::SimpleTable")) {
        QString key = QStringLiteral("id");
        QString keyType = QStringLiteral("S");
        if (p.contains("PrimaryKey")) {
            const Json &pk = p["PrimaryKey"];
            if (!pk.is_object() || !pk.value("Name", Json()).is_string()
                || !pk.value("Type", Json()).is_string())
                return makeError(QStringLiteral("ValidationError"),
                    QStringLiteral("PrimaryKey needs a Name and a Type (String, Number or "
                                   "Binary)"));
            key = QString::fromStdString(pk["Name"].get<std::string>());
            const std::string t = pk["Type"].get<std::string>();
            if (t == "String")
                keyType = QStringLiteral("S");
            else if (t == "Number")
                keyType = QStringLiteral("N");
            else if (t == "Binary")
                keyType = QStringLiteral("B");
            else
                return makeError(QStringLiteral("ValidationError"),
                    QStringLiteral("PrimaryKey's Type must be String, Number or Binary"));
        }
        r["AttributeDefinitions"] = Json::array(
            {{{"AttributeName", key.toStdString()}, {"AttributeType", keyType.toStdString()}}});
        r["KeySchema"] = Json::array({{{"AttributeName", key.toStdString()}, {"KeyType", "HASH"}}});
        if (p.contains("ProvisionedThroughput")) {
            r["BillingMode"] = "PROVISIONED";
            r["ProvisionedThroughput"] = p["ProvisionedThroughput"];
        } else {
            r["BillingMode"] = "PAY_PER_REQUEST";
        }
        if (p.contains("Tags") && p["Tags"].is_object()) {
            Json tags = Json::array();
            for (auto it = p["Tags"].begin(); it != p["Tags"].end(); ++it)
                tags.push_back({{"Key", it.key()}, {"Value", it.value()}});
            r["Tags"] = tags;
        }
        return r;
    }
    for (const char *k : {"KeySchema", "AttributeDefinitions", "BillingMode",
             "ProvisionedThroughput", "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "Tags",
             "TableClass", "DeletionProtectionEnabled"}) {
        if (p.contains(k))
            r[k] = p[k];
    }
    if (!r.contains("BillingMode") && !r.contains("ProvisionedThroughput")) {
        // CloudFormation refuses this; a local table takes the console's default instead.
        r["BillingMode"] = "PROVISIONED";
        r["ProvisionedThroughput"] = {{"ReadCapacityUnits", 5}, {"WriteCapacityUnits", 5}};
    }
    if (r.value("BillingMode", Json()) == "PAY_PER_REQUEST" && r.contains("GlobalSecondaryIndexes")
        && r["GlobalSecondaryIndexes"].is_array()) {
        for (Json &g : r["GlobalSecondaryIndexes"]) {
            if (g.is_object())
                g.erase("ProvisionedThroughput");
        }
    }
    if (p.contains("StreamSpecification") && p["StreamSpecification"].is_object()) {
        const Json &s = p["StreamSpecification"];
        const bool enabled
            = s.value("StreamEnabled", Json(s.contains("StreamViewType"))) == Json(true);
        Json spec = {{"StreamEnabled", enabled}};
        if (enabled && s.contains("StreamViewType"))
            spec["StreamViewType"] = s["StreamViewType"];
        r["StreamSpecification"] = spec;
    }
    return r;
}

} // namespace tarmac::ddbresources
