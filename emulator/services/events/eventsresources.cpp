#include "services/events/eventsresources.h"

#include "services/eventpattern.h"
#include "services/events/eventsupport.h"
#include "services/events/scheduleexpression.h"

#include <QDateTime>

namespace tarmac::eventsresources {

namespace {

constexpr Support E = Support::Emulated;
constexpr Support I = Support::Ignored;

Json str(const QString &s)
{
    return Json(s.toStdString());
}

Json getAtt(const QString &logicalId, const char *attribute)
{
    return Json {{"Fn::GetAtt", Json::array({logicalId.toStdString(), attribute})}};
}

// A pattern as templates write it: a map, or its JSON text.
QString patternText(const Json &pattern)
{
    if (pattern.is_string())
        return fromStd(pattern.get<std::string>());
    return QString::fromUtf8(toJsonBytes(pattern));
}

// The Name property, or the one CloudFormation generates.
QString nameOf(const Json &properties, const QString &logicalId, const StackNaming &n, int max)
{
    const QString name = stringProperty(properties, "Name");
    return name.isEmpty() ? generatedPhysicalName(n, logicalId, max, false) : name;
}

QString busOf(const Json &p)
{
    return eventsupport::busNameOf(stringProperty(p, "EventBusName"));
}

class RuleType : public ResourceType
{
public:
    const ResourceTypeInfo &info() const override
    {
        static const ResourceTypeInfo info {"AWS::Events::Rule", E, "",
            {{"Name", E, ""}, {"Description", E, ""}, {"EventBusName", E, ""},
                {"EventPattern", E, ""}, {"ScheduleExpression", E, ""}, {"State", E, ""},
                {"Targets", E, ""}, {"RoleArn", I, "IAM is not enforced"}},
            "rule"};
        return info;
    }

    ResourceIdentity identity(
        const QString &logicalId, const Json &properties, const StackNaming &n) const override
    {
        ResourceIdentity id;
        const QString name = nameOf(properties, logicalId, n, 64);
        const QString bus = busOf(properties);
        id.physicalId = name;
        const bool onDefault = bus == QLatin1String("default");
        id.ref = str(onDefault ? name : bus + u'|' + name);
        id.attributes.insert(QStringLiteral("Arn"),
            str(n.arn("events",
                onDefault ? QStringLiteral("rule/") + name
                          : QStringLiteral("rule/%1/%2").arg(bus, name))));
        return id;
    }

    Result<Json> check(const StackResource &resource, ResourceCheck &check) const override
    {
        const Json &p = resource.properties;
        if (!p.contains("EventPattern") && !p.contains("ScheduleExpression"))
            return check.error({},
                QStringLiteral("Parameter(s) EventPattern or ScheduleExpression must be "
                               "specified."));
        if (p.contains("EventPattern")) {
            if (auto r = EventPattern::parse(patternText(p["EventPattern"]).toUtf8()); !r)
                return check.error({QStringLiteral("EventPattern")}, r.error().message);
        }
        if (p.contains("ScheduleExpression")) {
            const QString text = stringProperty(p, "ScheduleExpression");
            if (auto r = ScheduleExpression::parse(text, ScheduleExpression::Dialect::Rule); !r)
                return check.error({QStringLiteral("ScheduleExpression")},
                    QStringLiteral("Parameter ScheduleExpression is not valid: %1")
                        .arg(r.error().message));
        }
        return Json();
    }
};

class EventBusType : public ResourceType
{
public:
    const ResourceTypeInfo &info() const override
    {
        static const ResourceTypeInfo info {"AWS::Events::EventBus", E, "",
            {{"Name", E, ""}, {"Description", E, ""}, {"Tags", E, ""},
                {"Policy", I, "resource policies are not enforced"}},
            "event bus"};
        return info;
    }

    ResourceIdentity identity(
        const QString &logicalId, const Json &properties, const StackNaming &n) const override
    {
        ResourceIdentity id;
        const QString name = nameOf(properties, logicalId, n, 256);
        id.physicalId = name;
        id.ref = str(name);
        id.attributes.insert(
            QStringLiteral("Arn"), str(n.arn("events", QStringLiteral("event-bus/") + name)));
        id.attributes.insert(QStringLiteral("Name"), str(name));
        id.attributes.insert(QStringLiteral("Policy"), Json(""));
        return id;
    }
};

class ScheduleType : public ResourceType
{
public:
    const ResourceTypeInfo &info() const override
    {
        static const ResourceTypeInfo info {"AWS::Scheduler::Schedule", E, "",
            {{"Name", E, ""}, {"GroupName", E, ""}, {"Description", E, ""},
                {"ScheduleExpression", E, ""}, {"ScheduleExpressionTimezone", E, ""},
                {"StartDate", E, ""}, {"EndDate", E, ""}, {"State", E, ""},
                {"FlexibleTimeWindow", E, "fired at the window's start"}, {"Target", E, ""},
                {"KmsKeyArn", I, "nothing is encrypted locally"}},
            "schedule"};
        return info;
    }

    ResourceIdentity identity(
        const QString &logicalId, const Json &properties, const StackNaming &n) const override
    {
        ResourceIdentity id;
        const QString name = nameOf(properties, logicalId, n, 64);
        QString group = stringProperty(properties, "GroupName");
        if (group.isEmpty())
            group = QStringLiteral("default");
        id.physicalId = name;
        id.ref = str(name);
        id.attributes.insert(QStringLiteral("Arn"),
            str(n.arn("scheduler", QStringLiteral("schedule/%1/%2").arg(group, name))));
        return id;
    }

    Result<Json> check(const StackResource &resource, ResourceCheck &check) const override
    {
        const Json &p = resource.properties;
        const QString text = stringProperty(p, "ScheduleExpression");
        if (auto r = ScheduleExpression::parse(text, ScheduleExpression::Dialect::Scheduler); !r)
            return check.error({QStringLiteral("ScheduleExpression")},
                QStringLiteral("Invalid Schedule Expression %1: %2").arg(text, r.error().message));
        if (auto r = scheduleRequest(p); !r)
            return check.error({}, r.error().message);
        return Json();
    }
};

class ScheduleGroupType : public ResourceType
{
public:
    const ResourceTypeInfo &info() const override
    {
        static const ResourceTypeInfo info {"AWS::Scheduler::ScheduleGroup", E, "",
            {{"Name", E, ""}, {"Tags", E, ""}}, "schedule group"};
        return info;
    }

    ResourceIdentity identity(
        const QString &logicalId, const Json &properties, const StackNaming &n) const override
    {
        ResourceIdentity id;
        const QString name = nameOf(properties, logicalId, n, 64);
        id.physicalId = name;
        id.ref = str(name);
        id.attributes.insert(QStringLiteral("Arn"),
            str(n.arn("scheduler", QStringLiteral("schedule-group/") + name)));
        id.attributes.insert(QStringLiteral("State"), Json("ACTIVE"));
        id.attributes.insert(QStringLiteral("CreationDate"), Json(""));
        id.attributes.insert(QStringLiteral("LastModificationDate"), Json(""));
        return id;
    }
};

// SAM's dead-letter queue for an event: an ARN, or Type: SQS, for which SAM makes a queue
// (`QueueLogicalId`, or the rule's logical id plus "Queue").
Json deadLetterConfig(const Json &config, const QString &ruleId, EventExpansion &out)
{
    if (!config.is_object())
        return Json();
    if (config.contains("Arn"))
        return Json {{"Arn", config["Arn"]}};
    if (config.value("Type", std::string()) == "SQS") {
        QString queue = ruleId + QStringLiteral("Queue");
        if (config.contains("QueueLogicalId") && config["QueueLogicalId"].is_string())
            queue = fromStd(config["QueueLogicalId"].get<std::string>());
        out.resources.append(
            ExpandedResource {queue, QStringLiteral("AWS::SQS::Queue"), Json::object()});
        return Json {{"Arn", getAtt(queue, "Arn")}};
    }
    return Json();
}

// The SAM events that become an AWS::Events::Rule.
class RuleEventType : public FunctionEventType
{
public:
    RuleEventType(const char *type, bool schedule)
        : m_type(QLatin1String(type))
        , m_schedule(schedule)
    { }

    QString type() const override { return m_type; }

    Result<EventExpansion> expand(const FunctionEvent &e) const override
    {
        const Json &p = e.properties;
        const char *required = m_schedule ? "Schedule" : "Pattern";
        if (!p.contains(required))
            return makeError(QStringLiteral("InvalidEvent"),
                QStringLiteral("The %1 event needs %2.").arg(m_type, QLatin1String(required)));
        EventExpansion out;
        const QString ruleId = e.functionLogicalId + e.name;
        Json target = {{"Arn", getAtt(e.functionLogicalId, "Arn")}};
        QString targetId = ruleId + QStringLiteral("LambdaTarget");
        if (p.contains("Target") && p["Target"].is_object() && p["Target"].contains("Id")
            && p["Target"]["Id"].is_string())
            targetId = fromStd(p["Target"]["Id"].get<std::string>());
        target["Id"] = toStd(targetId.left(64));
        Json rule = Json::object();
        QSet<QString> known = {QStringLiteral("Target"), QStringLiteral("DeadLetterConfig"),
            QStringLiteral("RetryPolicy"), QStringLiteral("Input"), QStringLiteral("State"),
            QStringLiteral("Description")};
        if (m_schedule) {
            rule["ScheduleExpression"] = p["Schedule"];
            known
                += {QStringLiteral("Schedule"), QStringLiteral("Name"), QStringLiteral("Enabled")};
            if (p.contains("Name"))
                rule["Name"] = p["Name"];
            if (p.contains("Enabled") && p["Enabled"] == Json(false))
                rule["State"] = "DISABLED";
        } else {
            rule["EventPattern"] = p["Pattern"];
            known += {QStringLiteral("Pattern"), QStringLiteral("EventBusName"),
                QStringLiteral("InputPath"), QStringLiteral("InputTransformer"),
                QStringLiteral("RuleName")};
            if (p.contains("EventBusName"))
                rule["EventBusName"] = p["EventBusName"];
            if (p.contains("RuleName"))
                rule["Name"] = p["RuleName"];
            for (const char *key : {"InputPath", "InputTransformer"}) {
                if (p.contains(key))
                    target[key] = p[key];
            }
        }
        if (p.contains("State"))
            rule["State"] = p["State"];
        if (p.contains("Description"))
            rule["Description"] = p["Description"];
        if (p.contains("Input"))
            target["Input"] = p["Input"];
        if (p.contains("RetryPolicy"))
            target["RetryPolicy"] = p["RetryPolicy"];
        if (p.contains("DeadLetterConfig")) {
            const Json dlq = deadLetterConfig(p["DeadLetterConfig"], ruleId, out);
            if (!dlq.is_null())
                target["DeadLetterConfig"] = dlq;
        }
        rule["Targets"] = Json::array({target});
        for (auto it = p.begin(); it != p.end(); ++it) {
            if (!known.contains(fromStd(it.key())))
                out.unsupported.append({fromStd(it.key()),
                    QStringLiteral("not a property Tarmac knows for %1 events").arg(m_type)});
        }
        out.resources.prepend(
            ExpandedResource {ruleId, QStringLiteral("AWS::Events::Rule"), std::move(rule)});
        // What lets EventBridge invoke the function on AWS, named as SAM names it.
        out.resources.append(ExpandedResource {ruleId + QStringLiteral("Permission"),
            QStringLiteral("AWS::Lambda::Permission"),
            Json {{"Action", "lambda:InvokeFunction"},
                {"FunctionName", {{"Ref", e.functionLogicalId.toStdString()}}},
                {"Principal", "events.amazonaws.com"}, {"SourceArn", getAtt(ruleId, "Arn")}}});
        return out;
    }

private:
    QString m_type;
    bool m_schedule;
};

class ScheduleV2EventType : public FunctionEventType
{
public:
    QString type() const override { return QStringLiteral("ScheduleV2"); }

    Result<EventExpansion> expand(const FunctionEvent &e) const override
    {
        const Json &p = e.properties;
        if (!p.contains("ScheduleExpression"))
            return makeError(QStringLiteral("InvalidEvent"),
                QStringLiteral("The ScheduleV2 event needs ScheduleExpression."));
        EventExpansion out;
        const QString id = e.functionLogicalId + e.name;
        Json target = {{"Arn", getAtt(e.functionLogicalId, "Arn")},
            {"RoleArn",
                p.contains("RoleArn") ? p["RoleArn"] : getAtt(id + QStringLiteral("Role"), "Arn")}};
        Json schedule = {{"ScheduleExpression", p["ScheduleExpression"]},
            {"FlexibleTimeWindow",
                p.contains("FlexibleTimeWindow") ? p["FlexibleTimeWindow"]
                                                 : Json {{"Mode", "OFF"}}}};
        QSet<QString> known
            = {QStringLiteral("ScheduleExpression"), QStringLiteral("FlexibleTimeWindow"),
                QStringLiteral("RoleArn"), QStringLiteral("Input"), QStringLiteral("RetryPolicy"),
                QStringLiteral("DeadLetterConfig"), QStringLiteral("OmitName"),
                QStringLiteral("PermissionsBoundary")};
        for (const char *key : {"Name", "GroupName", "State", "StartDate", "EndDate", "Description",
                 "ScheduleExpressionTimezone", "KmsKeyArn"}) {
            known.insert(QLatin1String(key));
            if (p.contains(key))
                schedule[key] = p[key];
        }
        if (!p.contains("Name") && p.value("OmitName", Json(false)) != Json(true))
            schedule["Name"] = toStd(id.left(64));
        if (p.contains("Input"))
            target["Input"] = p["Input"];
        if (p.contains("RetryPolicy"))
            target["RetryPolicy"] = p["RetryPolicy"];
        if (p.contains("DeadLetterConfig")) {
            const Json dlq = deadLetterConfig(p["DeadLetterConfig"], id, out);
            if (!dlq.is_null())
                target["DeadLetterConfig"] = dlq;
        }
        schedule["Target"] = std::move(target);
        if (!p.contains("RoleArn"))
            out.resources.append(ExpandedResource {
                id + QStringLiteral("Role"), QStringLiteral("AWS::IAM::Role"), Json::object()});
        for (auto it = p.begin(); it != p.end(); ++it) {
            if (!known.contains(fromStd(it.key())))
                out.unsupported.append({fromStd(it.key()),
                    QStringLiteral("not a property Tarmac knows for ScheduleV2 events")});
        }
        out.resources.prepend(
            ExpandedResource {id, QStringLiteral("AWS::Scheduler::Schedule"), std::move(schedule)});
        return out;
    }
};

const RuleType g_rule;
const EventBusType g_bus;
const ScheduleType g_schedule;
const ScheduleGroupType g_group;
const RuleEventType g_scheduleEvent("Schedule", true);
const RuleEventType g_bridgeEvent("EventBridgeRule", false);
const RuleEventType g_cloudWatchEvent("CloudWatchEvent", false);
const ScheduleV2EventType g_scheduleV2;

} // namespace

QList<const ResourceType *> eventBridgeTypes()
{
    return {&g_rule, &g_bus};
}

QList<const FunctionEventType *> eventBridgeEvents()
{
    return {&g_scheduleEvent, &g_bridgeEvent, &g_cloudWatchEvent};
}

QList<const ResourceType *> schedulerTypes()
{
    return {&g_schedule, &g_group};
}

QList<const FunctionEventType *> schedulerEvents()
{
    return {&g_scheduleV2};
}

Json putRuleRequest(const QString &name, const Json &p)
{
    Json r = {{"Name", toStd(name)}, {"EventBusName", toStd(busOf(p))}};
    if (p.contains("EventPattern"))
        r["EventPattern"] = toStd(patternText(p["EventPattern"]));
    for (const char *key : {"ScheduleExpression", "State", "Description", "RoleArn"}) {
        if (p.contains(key) && p[key].is_string())
            r[key] = p[key];
    }
    return r;
}

Json putTargetsRequest(const QString &name, const Json &p)
{
    Json targets = Json::array();
    if (p.contains("Targets") && p["Targets"].is_array()) {
        for (const Json &t : p["Targets"]) {
            if (!t.is_object())
                continue;
            Json target = t;
            // Templates may write Input as a map; the API takes its text.
            if (target.contains("Input") && !target["Input"].is_string())
                target["Input"] = toJsonBytes(target["Input"]).toStdString();
            if (target.contains("InputTransformer") && target["InputTransformer"].is_object()
                && target["InputTransformer"].contains("InputTemplate")
                && !target["InputTransformer"]["InputTemplate"].is_string())
                target["InputTransformer"]["InputTemplate"]
                    = toJsonBytes(target["InputTransformer"]["InputTemplate"]).toStdString();
            targets.push_back(std::move(target));
        }
    }
    return Json {{"Rule", toStd(name)}, {"EventBusName", toStd(busOf(p))}, {"Targets", targets}};
}

Result<Json> scheduleRequest(const Json &p)
{
    Json r = p.is_object() ? p : Json::object();
    r.erase("Name");
    // CloudFormation writes dates as ISO 8601 text; the API takes epoch seconds.
    for (const char *key : {"StartDate", "EndDate"}) {
        if (!r.contains(key))
            continue;
        if (!r[key].is_string())
            return makeError(QStringLiteral("ValidationException"),
                QStringLiteral("%1 must be an ISO 8601 date and time").arg(QLatin1String(key)));
        const QDateTime t
            = QDateTime::fromString(fromStd(r[key].get<std::string>()), Qt::ISODateWithMs);
        if (!t.isValid())
            return makeError(QStringLiteral("ValidationException"),
                QStringLiteral("%1 must be an ISO 8601 date and time").arg(QLatin1String(key)));
        r[key] = double(t.toMSecsSinceEpoch()) / 1000.0;
    }
    if (r.contains("Target") && r["Target"].is_object() && r["Target"].contains("Input")
        && !r["Target"]["Input"].is_string())
        r["Target"]["Input"] = toJsonBytes(r["Target"]["Input"]).toStdString();
    if (!r.contains("FlexibleTimeWindow"))
        r["FlexibleTimeWindow"] = {{"Mode", "OFF"}};
    return r;
}

} // namespace tarmac::eventsresources
