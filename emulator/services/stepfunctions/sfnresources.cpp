#include "services/stepfunctions/sfnresources.h"

#include "services/stepfunctions/asldefinition.h"
#include "template/intrinsics.h"
#include "template/stack.h"
#include "template/templatedocument.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSet>

#include <cstring>

namespace tarmac::sfnresources {

namespace {

constexpr Support E = Support::Emulated;
constexpr Support I = Support::Ignored;
constexpr Support U = Support::Unsupported;

const char kCfnType[] = "AWS::StepFunctions::StateMachine";
const char kSamType[] = "AWS::Serverless::StateMachine";

const char kNoIam[] = "IAM is not enforced: the state machine may call every service";
const char kNoLogs[] = "executions are not logged to CloudWatch Logs";
const char kNoTracing[] = "executions are not traced with X-Ray";
const char kNoTags[] = "tags are not kept";
const char kS3Definition[] = "a definition in S3 is not read: the state machine is not created";

// CreateStateMachine's limit on the definition, in characters.
constexpr qsizetype kMaxDefinition = 1048576;

// The event types SAM state machines take (samtranslator's state machine event sources).
const char *const kSamEventTypes[]
    = {"Schedule", "ScheduleV2", "CloudWatchEvent", "EventBridgeRule", "Api", "HttpApi"};

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

Json str(const QString &s)
{
    return Json(s.toStdString());
}

// Where the two types keep the same things.
struct Shape
{
    bool sam;
    const char *nameProperty;
    const char *typeProperty;
    const char *roleProperty;
};

const Shape kCfnShape {false, "StateMachineName", "StateMachineType", "RoleArn"};
const Shape kSamShape {true, "Name", "Type", "Role"};

// A state machine name as CreateStateMachine takes one: 1 to 80 characters, without white
// space, brackets, wildcards, the special characters "#%\^|~`$&,;:/ and control characters.
bool validName(const QString &name)
{
    if (name.isEmpty() || name.size() > 80)
        return false;
    for (const QChar c : name) {
        const char16_t u = c.unicode();
        if (c.isSpace() || u < 0x20 || (u >= 0x7f && u <= 0x9f))
            return false;
        if (u < 0x80 && std::strchr("<>{}[]?*\"#%\\^|~`$&,;:/", char(u)) != nullptr)
            return false;
    }
    return true;
}

ResourceIdentity stateMachineIdentity(const QString &logicalId, const Json &properties,
    const StackNaming &n, const char *nameProperty)
{
    QString name = stringProperty(properties, nameProperty);
    if (name.isEmpty())
        name = generatedPhysicalName(n, logicalId, 80, false);
    ResourceIdentity id;
    id.physicalId = n.arn("states", QStringLiteral("stateMachine:") + name);
    id.ref = str(id.physicalId);
    id.attributes.insert(QStringLiteral("Arn"), str(id.physicalId));
    id.attributes.insert(QStringLiteral("Name"), str(name));
    // Tarmac keeps no revisions: the state machine's ARN stands for its one revision.
    id.attributes.insert(QStringLiteral("StateMachineRevisionId"), str(id.physicalId));
    return id;
}

// SAM's InvalidResourceException, as the transform words it.
QString samInvalid(const QString &logicalId, const QString &message)
{
    return QStringLiteral("Resource with id [%1] is invalid. %2").arg(logicalId, message);
}

// Where the definition came from and its text before substitutions; null text when it is
// somewhere Tarmac does not read (S3).
struct DefinitionSource
{
    QString property;
    std::optional<QByteArray> text;
};

Result<DefinitionSource> readCfnDefinition(const Json &p, ResourceCheck &check)
{
    QStringList given;
    for (const char *key : {"Definition", "DefinitionString", "DefinitionS3Location"}) {
        if (p.contains(key))
            given.append(QLatin1String(key));
    }
    if (given.isEmpty())
        return check.error({},
            QStringLiteral("a state machine needs its definition: Definition, DefinitionString "
                           "or DefinitionS3Location"));
    if (given.size() > 1)
        return check.error({given[1]},
            QStringLiteral("give one of Definition, DefinitionString and DefinitionS3Location, "
                           "not %1")
                .arg(given.join(QStringLiteral(" and "))));
    DefinitionSource out {given.first(), std::nullopt};
    const Json &v = p[given.first().toStdString()];
    if (out.property == QLatin1String("Definition")) {
        if (!v.is_object())
            return check.error({out.property},
                QStringLiteral("Definition must be a map: the state machine's definition"));
        out.text = toJsonBytes(v);
    } else if (out.property == QLatin1String("DefinitionString")) {
        if (!v.is_string())
            return check.error({out.property},
                QStringLiteral("DefinitionString must be a string: the definition's JSON text"));
        out.text = QByteArray::fromStdString(v.get<std::string>());
    } else {
        if (!v.is_object())
            return check.error({out.property},
                QStringLiteral("DefinitionS3Location must be a map of Bucket, Key and Version"));
        check.unsupported(out.property, {out.property}, QLatin1String(kS3Definition));
    }
    return out;
}

Result<DefinitionSource> readSamDefinition(
    const QString &logicalId, const Json &p, ResourceCheck &check)
{
    const bool inline_ = p.contains("Definition");
    const bool uri = p.contains("DefinitionUri");
    if (inline_ && uri)
        return check.error({QStringLiteral("DefinitionUri")},
            samInvalid(logicalId,
                QStringLiteral("Specify either 'Definition' or 'DefinitionUri' property and not "
                               "both.")));
    if (!inline_ && !uri)
        return check.error({},
            samInvalid(logicalId,
                QStringLiteral("Either 'Definition' or 'DefinitionUri' property must be "
                               "specified.")));
    if (inline_) {
        const Json &v = p["Definition"];
        if (!v.is_object())
            return check.error({QStringLiteral("Definition")},
                samInvalid(logicalId, QStringLiteral("Property 'Definition' should be a map.")));
        return DefinitionSource {QStringLiteral("Definition"), toJsonBytes(v)};
    }
    const QString property = QStringLiteral("DefinitionUri");
    const Json &v = p["DefinitionUri"];
    if (v.is_object()) {
        check.unsupported(property, {property}, QLatin1String(kS3Definition));
        return DefinitionSource {property, std::nullopt};
    }
    if (!v.is_string() || v.get<std::string>().empty())
        return check.error({property},
            samInvalid(logicalId,
                QStringLiteral("Property 'DefinitionUri' should be a string or a map "
                               "(Bucket, Key, Version).")));
    const QString path = qs(v.get<std::string>());
    if (path.startsWith(QLatin1String("s3://"))) {
        check.unsupported(property, {property}, QLatin1String(kS3Definition));
        return DefinitionSource {property, std::nullopt};
    }
    const QString file = check.localPath(path);
    QFile f(file);
    if (!QFileInfo(file).isFile() || !f.open(QIODevice::ReadOnly))
        return check.error({property}, QStringLiteral("cannot read %1").arg(file));
    if (f.size() > TemplateDocument::kMaxBytes)
        return check.error({property},
            QStringLiteral("%1 is larger than %2 bytes")
                .arg(file, QString::number(TemplateDocument::kMaxBytes)));
    // JSON or YAML, as SAM reads it (JSON is YAML).
    auto parsed = TemplateDocument::parse(f.readAll(), QFileInfo(file).fileName());
    if (!parsed)
        return check.error({property}, parsed.error().message);
    return DefinitionSource {property, toJsonBytes(parsed->root())};
}

// SAM events of a state machine: each must name a type SAM knows. Those Tarmac expands
// (samEventTypes()) became rules and schedules when the template was loaded; the loader
// reported the others as not emulated.
Result<void> checkSamEvents(const QString &logicalId, const Json &p, ResourceCheck &check)
{
    if (!p.contains("Events"))
        return {};
    const Json &events = p["Events"];
    if (!events.is_object())
        return check.error({QStringLiteral("Events")},
            samInvalid(logicalId, QStringLiteral("Property 'Events' should be a map.")));
    for (auto it = events.begin(); it != events.end(); ++it) {
        const QString name = qs(it.key());
        const Json &e = it.value();
        const QString type = e.is_object() && e.contains("Type") && e["Type"].is_string()
            ? qs(e["Type"].get<std::string>())
            : QString();
        bool known = false;
        for (const char *t : kSamEventTypes)
            known = known || type == QLatin1String(t);
        if (!known)
            return check.error({QStringLiteral("Events"), name},
                QStringLiteral("Event with id [%1] is invalid. Resource dict has missing or "
                               "invalid value for key Type. Event Type is: %2.")
                    .arg(name, type.isEmpty() ? QStringLiteral("None") : type));
    }
    return {};
}

Json getAtt(const QString &logicalId, const char *attribute)
{
    return Json {{"Fn::GetAtt", Json::array({logicalId.toStdString(), attribute})}};
}

Json refTo(const QString &logicalId)
{
    return Json {{"Ref", logicalId.toStdString()}};
}

// Properties of an event the transform passes on as they are written.
void copyKeys(const Json &from, Json &to, std::initializer_list<const char *> keys)
{
    for (const char *key : keys) {
        if (from.contains(key))
            to[key] = from[key];
    }
}

// The properties of an event that are not among `known`, for the fidelity report.
void reportUnknown(
    const Json &p, const QSet<QString> &known, const QString &type, EventExpansion &out)
{
    for (auto it = p.begin(); it != p.end(); ++it) {
        if (!known.contains(qs(it.key())))
            out.unsupported.append({qs(it.key()),
                QStringLiteral("not a property Tarmac knows for a state machine's %1 events")
                    .arg(type)});
    }
}

// The role SAM makes for EventBridge or the Scheduler to call StartExecution with,
// `{event's logical id}Role`, unless the event names one (RoleArn): what the target's RoleArn
// is. IAM is not enforced; the role is there so that the template's references to it hold.
Json targetRole(const Json &p, const QString &eventId, EventExpansion &out)
{
    if (p.contains("RoleArn"))
        return p["RoleArn"];
    const QString role = eventId + QStringLiteral("Role");
    out.resources.append(ExpandedResource {role, QStringLiteral("AWS::IAM::Role"), Json::object()});
    return getAtt(role, "Arn");
}

// An event's DeadLetterConfig as SAM turns it into the target's: an Arn as it is, or Type SQS,
// for which SAM makes a queue (QueueLogicalId, or the event's logical id plus "Queue").
Result<Json> deadLetterConfig(const Json &config, const QString &eventId, EventExpansion &out)
{
    if (!config.is_object())
        return makeError(QStringLiteral("InvalidEvent"),
            QStringLiteral("DeadLetterConfig must be a map with Arn or Type."));
    if (config.contains("Arn"))
        return Json {{"Arn", config["Arn"]}};
    if (config.contains("Type") && config["Type"] == Json("SQS")) {
        QString queue = eventId + QStringLiteral("Queue");
        if (config.contains("QueueLogicalId") && config["QueueLogicalId"].is_string())
            queue = qs(config["QueueLogicalId"].get<std::string>());
        out.resources.append(
            ExpandedResource {queue, QStringLiteral("AWS::SQS::Queue"), Json::object()});
        return Json {{"Arn", getAtt(queue, "Arn")}};
    }
    return makeError(QStringLiteral("InvalidEvent"),
        QStringLiteral("No 'Arn' or 'Type' property provided for DeadLetterConfig"));
}

// Schedule, CloudWatchEvent and EventBridgeRule: an AWS::Events::Rule `{StateMachine}{Event}`
// whose target is the state machine (Ref: its ARN), with the role EventBridge starts
// executions as. EventBridge hands the target the event, or Input, InputPath or the
// InputTransformer's result, and that is the execution's input.
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
                QStringLiteral("Missing required property '%1'.").arg(QLatin1String(required)));
        EventExpansion out;
        const QString ruleId = e.functionLogicalId + e.name;
        QString targetId = ruleId + QStringLiteral("StepFunctionsTarget");
        if (p.contains("Target")) {
            const Json &t = p["Target"];
            if (!t.is_object() || !t.contains("Id") || !t["Id"].is_string())
                return makeError(QStringLiteral("InvalidEvent"),
                    QStringLiteral("Target must be a map with a string Id."));
            targetId = qs(t["Id"].get<std::string>());
        }
        Json target = {{"Arn", refTo(e.functionLogicalId)}, {"Id", targetId.left(64).toStdString()},
            {"RoleArn", targetRole(p, ruleId, out)}};
        copyKeys(p, target, {"Input", "RetryPolicy"});
        if (p.contains("DeadLetterConfig")) {
            auto dlq = deadLetterConfig(p["DeadLetterConfig"], ruleId, out);
            if (!dlq)
                return dlq.error();
            target["DeadLetterConfig"] = *dlq;
        }
        Json rule = Json::object();
        QSet<QString> known = {QStringLiteral("Target"), QStringLiteral("DeadLetterConfig"),
            QStringLiteral("RetryPolicy"), QStringLiteral("Input"), QStringLiteral("State"),
            QStringLiteral("RoleArn")};
        if (m_schedule) {
            rule["ScheduleExpression"] = p["Schedule"];
            known += {QStringLiteral("Schedule"), QStringLiteral("Name"),
                QStringLiteral("Description"), QStringLiteral("Enabled")};
            copyKeys(p, rule, {"Name", "Description"});
            // Enabled is the older switch; State, when given, wins.
            if (p.contains("Enabled") && p["Enabled"].is_boolean())
                rule["State"] = p["Enabled"].get<bool>() ? "ENABLED" : "DISABLED";
        } else {
            rule["EventPattern"] = p["Pattern"];
            known += {QStringLiteral("Pattern"), QStringLiteral("EventBusName"),
                QStringLiteral("InputPath"), QStringLiteral("InputTransformer"),
                QStringLiteral("RuleName")};
            copyKeys(p, rule, {"EventBusName"});
            if (p.contains("RuleName"))
                rule["Name"] = p["RuleName"];
            copyKeys(p, target, {"InputPath", "InputTransformer"});
        }
        copyKeys(p, rule, {"State"});
        rule["Targets"] = Json::array({std::move(target)});
        reportUnknown(p, known, m_type, out);
        out.resources.prepend(
            ExpandedResource {ruleId, QStringLiteral("AWS::Events::Rule"), std::move(rule)});
        return out;
    }

private:
    QString m_type;
    bool m_schedule;
};

// ScheduleV2: an AWS::Scheduler::Schedule `{StateMachine}{Event}` (named so unless OmitName)
// whose target is the state machine; the Scheduler hands it Input (by default an empty
// object), which is the execution's input.
class ScheduleV2EventType : public FunctionEventType
{
public:
    QString type() const override { return QStringLiteral("ScheduleV2"); }

    Result<EventExpansion> expand(const FunctionEvent &e) const override
    {
        const Json &p = e.properties;
        if (!p.contains("ScheduleExpression"))
            return makeError(QStringLiteral("InvalidEvent"),
                QStringLiteral("Missing required property 'ScheduleExpression'."));
        EventExpansion out;
        const QString id = e.functionLogicalId + e.name;
        Json target = {{"Arn", refTo(e.functionLogicalId)}, {"RoleArn", targetRole(p, id, out)}};
        copyKeys(p, target, {"Input", "RetryPolicy"});
        if (p.contains("DeadLetterConfig")) {
            auto dlq = deadLetterConfig(p["DeadLetterConfig"], id, out);
            if (!dlq)
                return dlq.error();
            target["DeadLetterConfig"] = *dlq;
        }
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
            copyKeys(p, schedule, {key});
        }
        const bool omitName = p.contains("OmitName") && p["OmitName"] == Json(true);
        if (!p.contains("Name") && !omitName)
            schedule["Name"] = id.left(64).toStdString();
        schedule["Target"] = std::move(target);
        reportUnknown(p, known, type(), out);
        out.resources.prepend(
            ExpandedResource {id, QStringLiteral("AWS::Scheduler::Schedule"), std::move(schedule)});
        return out;
    }
};

const RuleEventType g_scheduleEvent("Schedule", true);
const RuleEventType g_cloudWatchEvent("CloudWatchEvent", false);
const RuleEventType g_bridgeEvent("EventBridgeRule", false);
const ScheduleV2EventType g_scheduleV2Event;

Result<Json> checkStateMachine(const StackResource &resource, ResourceCheck &check, const Shape &s)
{
    const Json &p = resource.properties;
    if (!p.is_object())
        return check.error({}, QStringLiteral("the Properties of a state machine are a map"));

    // Name: the one the template gives, or the one identity() generated.
    const QString nameKey = QLatin1String(s.nameProperty);
    if (p.contains(s.nameProperty) && !p[s.nameProperty].is_string())
        return check.error({nameKey}, QStringLiteral("%1 must be a string").arg(nameKey));
    QString name = resource.physicalId.section(u':', 6, -1);
    if (name.isEmpty())
        name = resource.physicalId;
    if (!validName(name))
        return check.error(p.contains(s.nameProperty) ? QStringList {nameKey} : QStringList {},
            QStringLiteral("Invalid Name: '%1'").arg(name));

    const QString typeKey = QLatin1String(s.typeProperty);
    QString type = QStringLiteral("STANDARD");
    if (p.contains(s.typeProperty)) {
        const Json &v = p[s.typeProperty];
        type = v.is_string() ? qs(v.get<std::string>()) : QString::fromUtf8(toJsonBytes(v));
        if (type != QLatin1String("STANDARD") && type != QLatin1String("EXPRESS"))
            return check.error({typeKey},
                QStringLiteral("1 validation error detected: Value '%1' at 'type' failed to "
                               "satisfy constraint: Member must satisfy enum value set: "
                               "[STANDARD, EXPRESS]")
                    .arg(type));
    }

    // Checked for its type only: IAM is not enforced.
    QString roleArn;
    if (p.contains(s.roleProperty)) {
        const Json &v = p[s.roleProperty];
        if (v.is_string())
            roleArn = qs(v.get<std::string>());
        else if (!s.sam)
            return check.error({QLatin1String(s.roleProperty)},
                QStringLiteral("%1 must be a string").arg(QLatin1String(s.roleProperty)));
    } else if (s.sam) {
        roleArn = check.madeRoleArn(resource.logicalId); // the role the SAM transform made
    }

    QMap<QString, QString> substitutions;
    if (p.contains("DefinitionSubstitutions")) {
        const QString key = QStringLiteral("DefinitionSubstitutions");
        const Json &v = p["DefinitionSubstitutions"];
        if (!v.is_object())
            return check.error({key},
                QStringLiteral("DefinitionSubstitutions must be a map of names to strings, "
                               "numbers or booleans"));
        for (auto it = v.begin(); it != v.end(); ++it) {
            QString text;
            if (!IntrinsicResolver::scalarToString(it.value(), &text))
                return check.error({key, qs(it.key())},
                    QStringLiteral("DefinitionSubstitutions: the value of %1 must be a string, "
                                   "a number or a boolean")
                        .arg(qs(it.key())));
            substitutions.insert(qs(it.key()), text);
        }
    }

    if (s.sam) {
        if (auto events = checkSamEvents(resource.logicalId, p, check); !events)
            return events.error();
    }

    auto source
        = s.sam ? readSamDefinition(resource.logicalId, p, check) : readCfnDefinition(p, check);
    if (!source)
        return source.error();

    Json details = {{"name", name.toStdString()}, {"type", type.toStdString()},
        {"logicalId", resource.logicalId.toStdString()}, {"roleArn", roleArn.toStdString()},
        {"definition", nullptr}};
    if (!source->text) {
        details["unsupported"] = QStringLiteral("the definition of state machine %1 is in S3 (%2), "
                                                "which Tarmac does not read")
                                     .arg(name, source->property)
                                     .toStdString();
        return details;
    }
    const QByteArray definition
        = applySubstitutions(QString::fromUtf8(*source->text), substitutions).toUtf8();
    if (definition.size() > kMaxDefinition)
        return check.error({source->property},
            QStringLiteral("1 validation error detected: Value at 'definition' failed to satisfy "
                           "constraint: Member must have length less than or equal to %1")
                .arg(kMaxDefinition));
    auto parsed = parseAslDefinition(definition);
    if (!parsed)
        return check.error({source->property}, parsed.error().message);
    details["definition"] = definition.toStdString();
    return details;
}

class StateMachineType : public ResourceType
{
public:
    const ResourceTypeInfo &info() const override
    {
        static const ResourceTypeInfo info {kCfnType, E, "",
            {{"StateMachineName", E, ""}, {"StateMachineType", E, ""}, {"Definition", E, ""},
                {"DefinitionString", E, ""}, {"DefinitionSubstitutions", E, ""},
                {"DefinitionS3Location", U, kS3Definition}, {"RoleArn", I, kNoIam},
                {"LoggingConfiguration", I, kNoLogs}, {"TracingConfiguration", I, kNoTracing},
                {"EncryptionConfiguration", I, "state machine data is not encrypted locally"},
                {"Tags", I, kNoTags}},
            "state machine"};
        return info;
    }

    ResourceIdentity identity(
        const QString &logicalId, const Json &properties, const StackNaming &n) const override
    {
        return stateMachineIdentity(logicalId, properties, n, kCfnShape.nameProperty);
    }

    Result<Json> check(const StackResource &resource, ResourceCheck &check) const override
    {
        return checkStateMachine(resource, check, kCfnShape);
    }
};

class SamStateMachineType : public ResourceType
{
public:
    const ResourceTypeInfo &info() const override
    {
        static const ResourceTypeInfo info {kSamType, E,
            "the SAM transform also makes the state machine's role, LOGICALIDRole (an "
            "AWS::IAM::Role, not enforced), unless Role is given",
            {{"Name", E, ""}, {"Type", E, ""}, {"Definition", E, ""}, {"DefinitionUri", E, ""},
                {"DefinitionSubstitutions", E, ""},
                // Each event is reported on its own by check().
                {"Events", E, ""}, {"Role", I, kNoIam}, {"Policies", I, kNoIam},
                {"PermissionsBoundary", I, kNoIam}, {"RolePath", I, kNoIam},
                {"Logging", I, kNoLogs}, {"Tracing", I, kNoTracing}, {"Tags", I, kNoTags},
                {"PropagateTags", I, kNoTags},
                {"AutoPublishAlias", U, "state machine versions and aliases are not made"},
                {"UseAliasAsEventTarget", U, "state machine versions and aliases are not made"},
                {"DeploymentPreference", U, "there are no deployments: the definition is used"}},
            "state machine"};
        return info;
    }

    ResourceIdentity identity(
        const QString &logicalId, const Json &properties, const StackNaming &n) const override
    {
        return stateMachineIdentity(logicalId, properties, n, kSamShape.nameProperty);
    }

    Result<Json> check(const StackResource &resource, ResourceCheck &check) const override
    {
        return checkStateMachine(resource, check, kSamShape);
    }

    QList<const FunctionEventType *> eventTypes() const override { return samEventTypes(); }
};

const StateMachineType g_stateMachine;
const SamStateMachineType g_samStateMachine;

QString detailText(const Json &details, const char *key)
{
    return details.contains(key) && details[key].is_string() ? qs(details[key].get<std::string>())
                                                             : QString();
}

} // namespace

const QList<const ResourceType *> &types()
{
    static const QList<const ResourceType *> all {&g_stateMachine, &g_samStateMachine};
    return all;
}

const ResourceType &stateMachineType()
{
    return g_stateMachine;
}

const ResourceType &samStateMachineType()
{
    return g_samStateMachine;
}

QList<const FunctionEventType *> samEventTypes()
{
    return {&g_scheduleEvent, &g_cloudWatchEvent, &g_bridgeEvent, &g_scheduleV2Event};
}

QString applySubstitutions(const QString &text, const QMap<QString, QString> &substitutions)
{
    if (substitutions.isEmpty())
        return text;
    const QStringView in(text);
    QString out;
    out.reserve(text.size());
    qsizetype at = 0;
    while (at < in.size()) {
        const qsizetype open = in.indexOf(QLatin1String("${"), at);
        if (open < 0)
            break;
        const qsizetype close = in.indexOf(u'}', open + 2);
        if (close < 0)
            break;
        const auto it = substitutions.constFind(in.mid(open + 2, close - open - 2).toString());
        if (it == substitutions.cend()) {
            // Not ours: kept, and the search goes on after its "${".
            out += in.mid(at, open + 2 - at);
            at = open + 2;
            continue;
        }
        out += in.mid(at, open - at);
        out += *it;
        at = close + 1;
    }
    out += in.mid(at);
    return out;
}

Result<StateMachineSpec> stateMachineSpec(const StackResource &resource)
{
    const Json &d = resource.details;
    if (!d.is_object() || !d.contains("name"))
        return makeError(QStringLiteral("Unsupported"),
            QStringLiteral("state machine %1 was not checked when the template was loaded")
                .arg(resource.logicalId));
    if (!d.contains("definition") || !d["definition"].is_string()) {
        const QString why = detailText(d, "unsupported");
        return makeError(QStringLiteral("Unsupported"),
            why.isEmpty()
                ? QStringLiteral("state machine %1 has no definition").arg(resource.logicalId)
                : why);
    }
    StateMachineSpec spec;
    spec.name = detailText(d, "name");
    spec.type = detailText(d, "type");
    if (spec.type.isEmpty())
        spec.type = QStringLiteral("STANDARD");
    spec.definition = QByteArray::fromStdString(d["definition"].get<std::string>());
    spec.roleArn = detailText(d, "roleArn");
    spec.logicalId = detailText(d, "logicalId");
    if (spec.logicalId.isEmpty())
        spec.logicalId = resource.logicalId;
    return spec;
}

} // namespace tarmac::sfnresources
