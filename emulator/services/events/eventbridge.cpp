#include "services/events/eventbridge.h"

#include "base/clock.h"
#include "base/ids.h"
#include "services/eventpattern.h"
#include "services/events/eventinput.h"
#include "services/events/eventsupport.h"
#include "services/events/scheduleexpression.h"

#include <QRegularExpression>

#include <algorithm>

namespace tarmac {

using namespace eventsupport;

// A target as stored: its API record, and what sending needs, read once.
struct EventBridge::Target
{
    Json record; // as PutTargets took it (ListTargetsByRule gives it back)
    EventTarget target;
    enum class Input { Event, Constant, Path, Transformer } input = Input::Event;
    QByteArray constant;
    QString inputPath;
    InputTransformer transformer;
};

struct EventBridge::Rule
{
    QString bus;
    QString name;
    QString arn;
    Json record; // DescribeRule's fields, plus "Tags" and "AnchorMs" (rate rules)
    std::shared_ptr<const EventPattern> pattern;
    std::shared_ptr<const ScheduleExpression> schedule;
    bool enabled = true;
    QList<std::shared_ptr<Target>> targets;
};

struct EventBridge::Bus
{
    QString name;
    Json record; // Name, Arn, Description, CreationTime, LastModifiedTime, Tags
};

namespace {

const QString kRule = QStringLiteral("rule");
const QString kBus = QStringLiteral("bus");
const QString kDefault = QStringLiteral("default");
constexpr int kMaxTargetsPerRule = 5;
constexpr qint64 kMaxEntryBytes = 256 * 1024;

Error validation(const QString &message)
{
    return makeError(QStringLiteral("ValidationException"), message, 400);
}

Error notFound(const QString &message)
{
    return makeError(QStringLiteral("ResourceNotFoundException"), message, 400);
}

Error ruleNotFound(const std::optional<QString> &name, const QString &bus)
{
    return notFound(QStringLiteral("Rule %1 does not exist on EventBus %2.")
                        .arg(name.value_or(QString()), bus));
}

// AWS's message for a member that breaks its model's constraint.
Error constraint(const char *member, const QString &value, const QString &what)
{
    return validation(QStringLiteral("1 validation error detected: Value '%1' at '%2' failed to "
                                     "satisfy constraint: %3")
                          .arg(value, QLatin1String(member), what));
}

Error fieldError(const JsonFields &f)
{
    return validation(f.error()->message());
}

bool validName(const QString &name, int max, const QRegularExpression &pattern)
{
    return !name.isEmpty() && name.size() <= max && pattern.match(name).hasMatch();
}

const QRegularExpression &ruleNamePattern()
{
    static const QRegularExpression re(QStringLiteral("^[\\.\\-_A-Za-z0-9]+$"));
    return re;
}

const QRegularExpression &busNamePattern()
{
    static const QRegularExpression re(QStringLiteral("^[/\\.\\-_A-Za-z0-9]+$"));
    return re;
}

QMap<QString, QString> tagMap(const Json &list)
{
    QMap<QString, QString> out;
    if (!list.is_array())
        return out;
    for (const Json &t : list) {
        if (t.is_object() && t.contains("Key") && t["Key"].is_string())
            out.insert(fromStd(t["Key"].get<std::string>()),
                t.contains("Value") && t["Value"].is_string()
                    ? fromStd(t["Value"].get<std::string>())
                    : QString());
    }
    return out;
}

// Tags as a request sends them: [{Key, Value}], each checked.
Result<QMap<QString, QString>> readTags(JsonFields &f, const char *field)
{
    QMap<QString, QString> tags;
    std::optional<Error> bad;
    f.forEachObject(field, [&](JsonFields &t) {
        const auto key = t.string("Key");
        const auto value = t.string("Value");
        if (!t.ok() || bad)
            return;
        if (!key || key->isEmpty() || key->size() > 128)
            bad = validation(QStringLiteral("Tag keys must be 1 to 128 characters"));
        else if (!value || value->size() > 256)
            bad = validation(QStringLiteral("Tag values must be 0 to 256 characters"));
        else
            tags.insert(*key, *value);
    });
    if (!f.ok())
        return fieldError(f);
    if (bad)
        return *bad;
    return tags;
}

} // namespace

EventBridge::EventBridge(QString region, QString accountId, const Clock *clock)
    : m_region(std::move(region))
    , m_accountId(std::move(accountId))
    , m_clock(clock)
{ }

EventBridge::~EventBridge() = default;

QString EventBridge::busArn(const QString &bus) const
{
    return QStringLiteral("arn:aws:events:%1:%2:event-bus/%3").arg(m_region, m_accountId, bus);
}

QString EventBridge::ruleArn(const QString &bus, const QString &name) const
{
    // Rules on the default bus keep the short form, as AWS gives it.
    return bus == kDefault
        ? QStringLiteral("arn:aws:events:%1:%2:rule/%3").arg(m_region, m_accountId, name)
        : QStringLiteral("arn:aws:events:%1:%2:rule/%3/%4").arg(m_region, m_accountId, bus, name);
}

Result<void> EventBridge::open(Store *store)
{
    if (auto r = m_records.open(store, QStringLiteral("events")); !r)
        return r;
    return reload();
}

Result<void> EventBridge::reload()
{
    auto buses = m_records.load(kBus);
    if (!buses)
        return buses.error();
    auto rules = m_records.load(kRule);
    if (!rules)
        return rules.error();
    QWriteLocker lock(&m_lock);
    // Readers holding a rule or bus keep their copy (shared_ptr); new calls see the rows.
    m_buses.clear();
    m_rules.clear();
    const qint64 now = m_clock->nowNs();
    auto defaultBus = std::make_shared<Bus>();
    defaultBus->name = kDefault;
    defaultBus->record = {{"Name", "default"}, {"Arn", toStd(busArn(kDefault))},
        {"CreationTime", epochSeconds(now)}, {"LastModifiedTime", epochSeconds(now)}};
    m_buses.insert(kDefault, defaultBus);
    for (const auto &[key, record] : *buses) {
        auto bus = std::make_shared<Bus>();
        bus->name = key;
        bus->record = record;
        m_buses.insert(key, bus);
    }
    for (const auto &[key, record] : *rules) {
        // Stored records passed the checks once; read them through them again.
        Json request = record;
        JsonFields f(request);
        auto rule = std::make_shared<Rule>();
        rule->bus = key.section(u'/', 0, -2);
        rule->name = key.section(u'/', -1);
        rule->arn = ruleArn(rule->bus, rule->name);
        rule->record = record;
        rule->enabled = record.value("State", std::string("ENABLED")) != "DISABLED";
        if (const auto p = f.string("EventPattern")) {
            if (auto pattern = EventPattern::parse(p->toUtf8()))
                rule->pattern = std::make_shared<EventPattern>(std::move(*pattern));
        }
        if (const auto s = f.string("ScheduleExpression")) {
            if (auto schedule = ScheduleExpression::parse(*s, ScheduleExpression::Dialect::Rule))
                rule->schedule = std::make_shared<ScheduleExpression>(std::move(*schedule));
        }
        int index = 0;
        const Json *stored = f.value("Targets");
        f.forEachObject("Targets", [&](JsonFields &t) {
            if (auto target = readTarget(t, index)) {
                // As PutTargets took it: ListTargetsByRule gives it back, and a rule written
                // again (the template applied at the next start) stores it again.
                (*target)->record = stored->at(size_t(index));
                rule->targets.append(*target);
            }
            ++index;
        });
        m_rules.insert(key, rule);
    }
    return {};
}

Result<Json> EventBridge::call(
    const QString &operation, const Json &request, const CallContext &context)
{
    JsonFields f(request);
    using Op = Result<Json> (EventBridge::*)(JsonFields &);
    static const QHash<QString, Op> ops = {
        {QStringLiteral("PutRule"), &EventBridge::putRule},
        {QStringLiteral("DescribeRule"), &EventBridge::describeRule},
        {QStringLiteral("ListRules"), &EventBridge::listRules},
        {QStringLiteral("DeleteRule"), &EventBridge::deleteRule},
        {QStringLiteral("PutTargets"), &EventBridge::putTargets},
        {QStringLiteral("RemoveTargets"), &EventBridge::removeTargets},
        {QStringLiteral("ListTargetsByRule"), &EventBridge::listTargetsByRule},
        {QStringLiteral("ListRuleNamesByTarget"), &EventBridge::listRuleNamesByTarget},
        {QStringLiteral("TagResource"), &EventBridge::tagResource},
        {QStringLiteral("UntagResource"), &EventBridge::untagResource},
        {QStringLiteral("ListTagsForResource"), &EventBridge::listTagsForResource},
        {QStringLiteral("CreateEventBus"), &EventBridge::createEventBus},
        {QStringLiteral("DeleteEventBus"), &EventBridge::deleteEventBus},
        {QStringLiteral("ListEventBuses"), &EventBridge::listEventBuses},
        {QStringLiteral("DescribeEventBus"), &EventBridge::describeEventBus},
        {QStringLiteral("TestEventPattern"), &EventBridge::testEventPattern},
    };
    if (operation == QLatin1String("PutEvents"))
        return putEvents(f, context);
    if (operation == QLatin1String("EnableRule"))
        return setRuleState(f, true);
    if (operation == QLatin1String("DisableRule"))
        return setRuleState(f, false);
    const auto it = ops.constFind(operation);
    if (it == ops.cend())
        return makeError(QStringLiteral("UnknownOperationException"),
            QStringLiteral("Tarmac's EventBridge does not offer %1").arg(operation), 400);
    return (this->*it.value())(f);
}

Result<QString> EventBridge::busName(JsonFields &f, const char *field) const
{
    const auto given = f.string(field);
    if (!f.ok())
        return fieldError(f);
    const QString name = busNameOf(given.value_or(QString()));
    QReadLocker lock(&m_lock);
    if (!m_buses.contains(name))
        return notFound(QStringLiteral("Event bus %1 does not exist.").arg(name));
    return name;
}

bool EventBridge::busExists(const QString &nameOrArn) const
{
    QReadLocker lock(&m_lock);
    return m_buses.contains(busNameOf(nameOrArn));
}

Result<void> EventBridge::changeRule(
    const QString &key, const std::function<Result<void>(Rule &)> &change)
{
    const auto old = m_rules.value(key);
    if (!old)
        return notFound(QStringLiteral("no rule %1").arg(key));
    auto rule = std::make_shared<Rule>(*old);
    if (auto r = change(*rule); !r)
        return r;
    if (auto r = persistRule(*rule); !r)
        return r;
    m_rules.insert(key, rule);
    return {};
}

Result<void> EventBridge::persistRule(const Rule &rule)
{
    Json record = rule.record;
    Json targets = Json::array();
    for (const auto &t : rule.targets)
        targets.push_back(t->record);
    record["Targets"] = std::move(targets);
    return m_records.put(kRule, rule.bus + u'/' + rule.name, record);
}

Json EventBridge::ruleAnswer(const Rule &rule) const
{
    Json a = rule.record;
    a.erase("Targets");
    a.erase("Tags");
    a.erase("AnchorMs");
    a["Name"] = toStd(rule.name);
    a["Arn"] = toStd(rule.arn);
    a["EventBusName"] = toStd(rule.bus);
    a["State"] = rule.enabled ? "ENABLED" : "DISABLED";
    return a;
}

Result<Json> EventBridge::putRule(JsonFields &f)
{
    const auto name = f.string("Name");
    const auto pattern = f.string("EventPattern");
    const auto schedule = f.string("ScheduleExpression");
    const auto state = f.string("State");
    const auto description = f.string("Description");
    const auto role = f.string("RoleArn");
    if (!f.ok())
        return fieldError(f);
    if (!name || !validName(*name, 64, ruleNamePattern()))
        return constraint("name", name.value_or(QString()),
            QStringLiteral("Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ "
                           "and have length between 1 and 64"));
    auto bus = busName(f, "EventBusName");
    if (!bus)
        return bus.error();
    if (!pattern && !schedule)
        return validation(
            QStringLiteral("Parameter(s) EventPattern or ScheduleExpression must be specified."));
    if (state && *state != QLatin1String("ENABLED") && *state != QLatin1String("DISABLED")
        && *state != QLatin1String("ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"))
        return constraint("state", *state,
            QStringLiteral("Member must satisfy enum value set: [ENABLED, DISABLED, "
                           "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]"));
    if (description && description->size() > 512)
        return constraint("description", description->left(32) + QStringLiteral("…"),
            QStringLiteral("Member must have length less than or equal to 512"));
    auto rule = std::make_shared<Rule>();
    rule->bus = *bus;
    rule->name = *name;
    rule->arn = ruleArn(*bus, *name);
    if (pattern) {
        auto parsed = EventPattern::parse(pattern->toUtf8());
        if (!parsed)
            return parsed.error();
        rule->pattern = std::make_shared<EventPattern>(std::move(*parsed));
    }
    if (schedule) {
        if (*bus != kDefault)
            return validation(
                QStringLiteral("ScheduleExpression is supported only on the default event bus."));
        auto parsed = ScheduleExpression::parse(*schedule, ScheduleExpression::Dialect::Rule);
        if (!parsed)
            return validation(QStringLiteral("Parameter ScheduleExpression is not valid."));
        rule->schedule = std::make_shared<ScheduleExpression>(std::move(*parsed));
    }
    auto tags = readTags(f, "Tags");
    if (!tags)
        return tags.error();
    const QString key = *bus + u'/' + *name;
    {
        QWriteLocker lock(&m_lock);
        const auto old = m_rules.value(key);
        Json record = {{"Name", toStd(*name)}, {"EventBusName", toStd(*bus)},
            {"CreatedBy", toStd(m_accountId)}};
        if (pattern)
            record["EventPattern"] = toStd(*pattern);
        if (schedule)
            record["ScheduleExpression"] = toStd(*schedule);
        if (description)
            record["Description"] = toStd(*description);
        if (role)
            record["RoleArn"] = toStd(*role);
        QMap<QString, QString> allTags
            = old ? tagMap(old->record.value("Tags", Json())) : QMap<QString, QString>();
        allTags.insert(*tags);
        if (!allTags.isEmpty())
            record["Tags"] = tagList(allTags);
        // A rate rule ticks one period after it was made (or its schedule last changed).
        const bool sameSchedule = old && old->schedule && schedule
            && old->schedule->text() == *schedule && old->record.contains("AnchorMs");
        if (rule->schedule && rule->schedule->kind() == ScheduleExpression::Kind::Rate)
            record["AnchorMs"] = sameSchedule
                ? old->record["AnchorMs"]
                : Json((m_clock->nowNs() + rule->schedule->rateNs()) / 1'000'000);
        rule->record = std::move(record);
        rule->enabled = !state || *state != QLatin1String("DISABLED");
        rule->record["State"] = rule->enabled ? "ENABLED" : "DISABLED";
        if (old)
            rule->targets = old->targets;
        if (auto r = persistRule(*rule); !r)
            return r.error();
        m_rules.insert(key, rule);
    }
    if (m_ruleChanged)
        m_ruleChanged(key);
    return Json {{"RuleArn", toStd(rule->arn)}};
}

Result<Json> EventBridge::describeRule(JsonFields &f)
{
    const auto name = f.string("Name");
    if (!f.ok())
        return fieldError(f);
    auto bus = busName(f, "EventBusName");
    if (!bus)
        return bus.error();
    QReadLocker lock(&m_lock);
    const auto rule = m_rules.value(*bus + u'/' + name.value_or(QString()));
    if (!rule)
        return ruleNotFound(name, *bus);
    return ruleAnswer(*rule);
}

Result<Json> EventBridge::listRules(JsonFields &f)
{
    const auto prefix = f.string("NamePrefix");
    const auto token = f.string("NextToken");
    const auto limit = f.integer("Limit");
    if (!f.ok())
        return fieldError(f);
    if (limit && (*limit < 1 || *limit > 100))
        return constraint("limit", QString::number(*limit),
            QStringLiteral("Member must have value between 1 and 100"));
    auto bus = busName(f, "EventBusName");
    if (!bus)
        return bus.error();
    const auto offset = pageOffset(token.value_or(QString()));
    if (!offset)
        return validation(QStringLiteral("The NextToken is not valid."));
    QReadLocker lock(&m_lock);
    QList<std::shared_ptr<Rule>> matched;
    for (const auto &r : m_rules) {
        if (r->bus == *bus && (!prefix || r->name.startsWith(*prefix)))
            matched.append(r);
    }
    std::sort(matched.begin(), matched.end(),
        [](const auto &a, const auto &b) { return a->name < b->name; });
    const qsizetype pageSize = limit.value_or(100);
    Json out = {{"Rules", Json::array()}};
    for (qsizetype i = *offset; i < matched.size() && i < *offset + pageSize; ++i)
        out["Rules"].push_back(ruleAnswer(*matched.at(i)));
    if (*offset + pageSize < matched.size())
        out["NextToken"] = toStd(pageToken(*offset + pageSize));
    return out;
}

Result<Json> EventBridge::setRuleState(JsonFields &f, bool enabled)
{
    const auto name = f.string("Name");
    if (!f.ok())
        return fieldError(f);
    auto bus = busName(f, "EventBusName");
    if (!bus)
        return bus.error();
    const QString key = *bus + u'/' + name.value_or(QString());
    {
        QWriteLocker lock(&m_lock);
        if (!m_rules.contains(key))
            return ruleNotFound(name, *bus);
        auto changed = changeRule(key, [enabled](Rule &rule) -> Result<void> {
            rule.enabled = enabled;
            rule.record["State"] = enabled ? "ENABLED" : "DISABLED";
            return {};
        });
        if (!changed)
            return changed.error();
    }
    if (m_ruleChanged)
        m_ruleChanged(key);
    return Json::object();
}

Result<Json> EventBridge::deleteRule(JsonFields &f)
{
    const auto name = f.string("Name");
    const auto force = f.boolean("Force");
    if (!f.ok())
        return fieldError(f);
    Q_UNUSED(force);
    auto bus = busName(f, "EventBusName");
    if (!bus)
        return bus.error();
    const QString key = *bus + u'/' + name.value_or(QString());
    {
        QWriteLocker lock(&m_lock);
        const auto rule = m_rules.value(key);
        if (!rule)
            return Json::object(); // deleting what is not there succeeds, as on AWS
        if (!rule->targets.isEmpty())
            return validation(QStringLiteral("Rule can't be deleted since it has targets."));
        if (auto r = m_records.remove(kRule, key); !r)
            return r.error();
        m_rules.remove(key);
    }
    if (m_ruleChanged)
        m_ruleChanged(key);
    return Json::object();
}

Result<std::shared_ptr<EventBridge::Target>> EventBridge::readTarget(JsonFields &t, int index)
{
    auto out = std::make_shared<Target>();
    const auto id = t.string("Id");
    const auto arn = t.string("Arn");
    const auto input = t.string("Input");
    const auto inputPath = t.string("InputPath");
    JsonFields transformer = t.object("InputTransformer");
    JsonFields retry = t.object("RetryPolicy");
    const auto attempts = retry.integer("MaximumRetryAttempts");
    const auto age = retry.integer("MaximumEventAgeInSeconds");
    JsonFields dlq = t.object("DeadLetterConfig");
    const auto dlqArn = dlq.string("Arn");
    JsonFields sqs = t.object("SqsParameters");
    const auto groupId = sqs.string("MessageGroupId");
    const auto pathsMap = transformer.stringMap("InputPathsMap");
    const auto inputTemplate = transformer.string("InputTemplate");
    if (!t.ok())
        return validation(t.error()->message());
    const QString at = QStringLiteral("targets.%1.member").arg(index + 1);
    if (!id || !validName(*id, 64, ruleNamePattern()))
        return constraint(qPrintable(at + QStringLiteral(".id")), id.value_or(QString()),
            QStringLiteral("Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ "
                           "and have length between 1 and 64"));
    if (!arn || arn->isEmpty() || arn->size() > 1600)
        return constraint(qPrintable(at + QStringLiteral(".arn")), arn.value_or(QString()),
            QStringLiteral("Member must have length between 1 and 1600"));
    if (int(input.has_value()) + int(inputPath.has_value()) + int(transformer.isSet()) > 1)
        return validation(
            QStringLiteral("Only one of Input, InputPath, or InputTransformer must be provided."));
    out->target.id = *id;
    out->target.arn = *arn;
    if (attempts) {
        if (*attempts < 0 || *attempts > 185)
            return constraint(qPrintable(at + QStringLiteral(".retryPolicy.maximumRetryAttempts")),
                QString::number(*attempts),
                QStringLiteral("Member must have value between 0 and 185"));
        out->target.maximumRetryAttempts = *attempts;
    }
    if (age) {
        if (*age < 60 || *age > 86'400)
            return constraint(
                qPrintable(at + QStringLiteral(".retryPolicy.maximumEventAgeInSeconds")),
                QString::number(*age),
                QStringLiteral("Member must have value between 60 and 86400"));
        out->target.maximumEventAgeSeconds = *age;
    }
    out->target.deadLetterArn = dlqArn.value_or(QString());
    out->target.messageGroupId = groupId.value_or(QString());
    if (input) {
        if (!parseJson(input->toUtf8()))
            return validation(QStringLiteral("Parameter Input is not valid: it must be valid JSON "
                                             "text."));
        out->input = Target::Input::Constant;
        out->constant = input->toUtf8();
    } else if (inputPath) {
        if (auto probe = applyInputPath(Json::object(), *inputPath); !probe)
            return probe.error();
        out->input = Target::Input::Path;
        out->inputPath = *inputPath;
    } else if (transformer.isSet()) {
        if (!inputTemplate)
            return validation(QStringLiteral("InputTemplate is required in an InputTransformer."));
        out->transformer.pathsMap = pathsMap.value_or(QMap<QString, QString>());
        out->transformer.inputTemplate = *inputTemplate;
        if (auto c = checkInputTransformer(out->transformer, *id); !c)
            return c.error();
        out->input = Target::Input::Transformer;
    }
    return out;
}

Result<Json> EventBridge::putTargets(JsonFields &f)
{
    const auto name = f.string("Rule");
    if (!f.ok())
        return fieldError(f);
    auto bus = busName(f, "EventBusName");
    if (!bus)
        return bus.error();
    const Json *targets = f.value("Targets");
    if (!targets || !targets->is_array() || targets->empty() || targets->size() > 10)
        return constraint("targets", QString(),
            QStringLiteral("Member must have length less than or equal to 10 and greater than "
                           "or equal to 1"));
    QList<std::pair<Json, std::shared_ptr<Target>>> read;
    Json failed = Json::array();
    int index = 0;
    std::optional<Error> bad;
    f.forEachObject("Targets", [&](JsonFields &t) {
        if (bad)
            return;
        auto target = readTarget(t, index);
        if (!target)
            bad = target.error();
        else
            read.append({targets->at(size_t(index)), *target});
        ++index;
    });
    if (!f.ok())
        return fieldError(f);
    if (bad)
        return *bad;
    const QString key = *bus + u'/' + name.value_or(QString());
    {
        QWriteLocker lock(&m_lock);
        if (!m_rules.contains(key))
            return ruleNotFound(name, *bus);
        auto changed = changeRule(key, [&](Rule &rule) -> Result<void> {
            for (auto &[record, target] : read) {
                target->record = record;
                const auto same = std::find_if(rule.targets.begin(), rule.targets.end(),
                    [&](const auto &t) { return t->target.id == target->target.id; });
                if (same != rule.targets.end()) {
                    *same = target;
                } else if (rule.targets.size() >= kMaxTargetsPerRule) {
                    failed.push_back({{"TargetId", toStd(target->target.id)},
                        {"ErrorCode", "LimitExceededException"},
                        {"ErrorMessage",
                            "The requested resource exceeds the maximum number allowed."}});
                } else {
                    rule.targets.append(target);
                }
            }
            return {};
        });
        if (!changed)
            return changed.error();
    }
    return Json {{"FailedEntryCount", failed.size()}, {"FailedEntries", failed}};
}

Result<Json> EventBridge::removeTargets(JsonFields &f)
{
    const auto name = f.string("Rule");
    const auto ids = f.stringList("Ids");
    if (!f.ok())
        return fieldError(f);
    if (!ids || ids->isEmpty() || ids->size() > 100)
        return constraint("ids", QString(),
            QStringLiteral("Member must have length less than or equal to 100 and greater than "
                           "or equal to 1"));
    auto bus = busName(f, "EventBusName");
    if (!bus)
        return bus.error();
    const QString key = *bus + u'/' + name.value_or(QString());
    QWriteLocker lock(&m_lock);
    if (!m_rules.contains(key))
        return ruleNotFound(name, *bus);
    auto changed = changeRule(key, [&](Rule &rule) -> Result<void> {
        rule.targets.removeIf([&](const auto &t) { return ids->contains(t->target.id); });
        return {};
    });
    if (!changed)
        return changed.error();
    return Json {{"FailedEntryCount", 0}, {"FailedEntries", Json::array()}};
}

Result<Json> EventBridge::listTargetsByRule(JsonFields &f)
{
    const auto name = f.string("Rule");
    const auto token = f.string("NextToken");
    const auto limit = f.integer("Limit");
    if (!f.ok())
        return fieldError(f);
    auto bus = busName(f, "EventBusName");
    if (!bus)
        return bus.error();
    const auto offset = pageOffset(token.value_or(QString()));
    if (!offset)
        return validation(QStringLiteral("The NextToken is not valid."));
    QReadLocker lock(&m_lock);
    const auto rule = m_rules.value(*bus + u'/' + name.value_or(QString()));
    if (!rule)
        return ruleNotFound(name, *bus);
    const qsizetype pageSize = std::clamp(limit.value_or(100), 1, 100);
    Json out = {{"Targets", Json::array()}};
    for (qsizetype i = *offset; i < rule->targets.size() && i < *offset + pageSize; ++i)
        out["Targets"].push_back(rule->targets.at(i)->record);
    if (*offset + pageSize < rule->targets.size())
        out["NextToken"] = toStd(pageToken(*offset + pageSize));
    return out;
}

Result<Json> EventBridge::listRuleNamesByTarget(JsonFields &f)
{
    const auto arn = f.string("TargetArn");
    if (!f.ok())
        return fieldError(f);
    if (!arn || arn->isEmpty())
        return constraint("targetArn", QString(),
            QStringLiteral("Member must have length greater than or equal to 1"));
    auto bus = busName(f, "EventBusName");
    if (!bus)
        return bus.error();
    QReadLocker lock(&m_lock);
    QStringList names;
    for (const auto &r : m_rules) {
        if (r->bus == *bus
            && std::any_of(r->targets.cbegin(), r->targets.cend(),
                [&](const auto &t) { return t->target.arn == *arn; }))
            names.append(r->name);
    }
    names.sort();
    Json out = {{"RuleNames", Json::array()}};
    for (const QString &n : names)
        out["RuleNames"].push_back(toStd(n));
    return out;
}

Result<Json> EventBridge::tagResource(JsonFields &f)
{
    const auto arn = f.string("ResourceARN");
    if (!f.ok())
        return fieldError(f);
    auto tags = readTags(f, "Tags");
    if (!tags)
        return tags.error();
    const QString resource = arn.value_or(QString());
    QWriteLocker lock(&m_lock);
    for (auto it = m_rules.cbegin(); it != m_rules.cend(); ++it) {
        if (it.value()->arn != resource)
            continue;
        auto changed = changeRule(it.key(), [&](Rule &rule) -> Result<void> {
            QMap<QString, QString> all = tagMap(rule.record.value("Tags", Json()));
            all.insert(*tags);
            rule.record["Tags"] = tagList(all);
            return {};
        });
        if (!changed)
            return changed.error();
        return Json::object();
    }
    for (const auto &b : std::as_const(m_buses)) {
        if (busArn(b->name) != resource)
            continue;
        if (b->name == kDefault)
            return validation(QStringLiteral("Tarmac does not keep tags on the default bus."));
        auto bus = std::make_shared<Bus>(*b);
        QMap<QString, QString> all = tagMap(bus->record.value("Tags", Json()));
        all.insert(*tags);
        bus->record["Tags"] = tagList(all);
        if (auto p = m_records.put(kBus, bus->name, bus->record); !p)
            return p.error();
        m_buses.insert(bus->name, bus);
        return Json::object();
    }
    return notFound(QStringLiteral("Resource %1 does not exist.").arg(resource));
}

Result<Json> EventBridge::untagResource(JsonFields &f)
{
    const auto arn = f.string("ResourceARN");
    const auto keys = f.stringList("TagKeys");
    if (!f.ok())
        return fieldError(f);
    const QString resource = arn.value_or(QString());
    QWriteLocker lock(&m_lock);
    const auto without = [&](const Json &tags) {
        QMap<QString, QString> all = tagMap(tags);
        for (const QString &k : keys.value_or(QStringList()))
            all.remove(k);
        return tagList(all);
    };
    for (auto it = m_rules.cbegin(); it != m_rules.cend(); ++it) {
        if (it.value()->arn != resource)
            continue;
        auto changed = changeRule(it.key(), [&](Rule &rule) -> Result<void> {
            rule.record["Tags"] = without(rule.record.value("Tags", Json()));
            return {};
        });
        if (!changed)
            return changed.error();
        return Json::object();
    }
    for (const auto &b : std::as_const(m_buses)) {
        if (busArn(b->name) != resource || b->name == kDefault)
            continue;
        auto bus = std::make_shared<Bus>(*b);
        bus->record["Tags"] = without(bus->record.value("Tags", Json()));
        if (auto p = m_records.put(kBus, bus->name, bus->record); !p)
            return p.error();
        m_buses.insert(bus->name, bus);
        return Json::object();
    }
    return notFound(QStringLiteral("Resource %1 does not exist.").arg(resource));
}

Result<Json> EventBridge::listTagsForResource(JsonFields &f)
{
    const auto arn = f.string("ResourceARN");
    if (!f.ok())
        return fieldError(f);
    const QString resource = arn.value_or(QString());
    QReadLocker lock(&m_lock);
    for (const auto &r : m_rules) {
        if (r->arn == resource)
            return Json {{"Tags", r->record.value("Tags", Json::array())}};
    }
    for (const auto &b : m_buses) {
        if (busArn(b->name) == resource)
            return Json {{"Tags", b->record.value("Tags", Json::array())}};
    }
    return notFound(QStringLiteral("Resource %1 does not exist.").arg(resource));
}

Result<Json> EventBridge::createEventBus(JsonFields &f)
{
    const auto name = f.string("Name");
    const auto description = f.string("Description");
    const auto source = f.string("EventSourceName");
    if (!f.ok())
        return fieldError(f);
    Q_UNUSED(source);
    if (!name || !validName(*name, 256, busNamePattern()))
        return constraint("name", name.value_or(QString()),
            QStringLiteral("Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+ "
                           "and have length between 1 and 256"));
    if (*name == kDefault || name->startsWith(QLatin1String("aws.")))
        return makeError(QStringLiteral("ResourceAlreadyExistsException"),
            QStringLiteral("Event bus %1 already exists.").arg(*name), 400);
    auto tags = readTags(f, "Tags");
    if (!tags)
        return tags.error();
    QWriteLocker lock(&m_lock);
    if (m_buses.contains(*name))
        return makeError(QStringLiteral("ResourceAlreadyExistsException"),
            QStringLiteral("Event bus %1 already exists.").arg(*name), 400);
    const qint64 now = m_clock->nowNs();
    auto bus = std::make_shared<Bus>();
    bus->name = *name;
    bus->record = {{"Name", toStd(*name)}, {"Arn", toStd(busArn(*name))},
        {"CreationTime", epochSeconds(now)}, {"LastModifiedTime", epochSeconds(now)}};
    if (description)
        bus->record["Description"] = toStd(*description);
    if (!tags->isEmpty())
        bus->record["Tags"] = tagList(*tags);
    if (auto r = m_records.put(kBus, *name, bus->record); !r)
        return r.error();
    m_buses.insert(*name, bus);
    return Json {{"EventBusArn", toStd(busArn(*name))}};
}

Result<Json> EventBridge::deleteEventBus(JsonFields &f)
{
    const auto name = f.string("Name");
    if (!f.ok())
        return fieldError(f);
    if (!name || name->isEmpty())
        return constraint("name", QString(), QStringLiteral("Member must not be null"));
    if (*name == kDefault)
        return validation(QStringLiteral("Cannot delete event bus default."));
    QStringList removed;
    {
        QWriteLocker lock(&m_lock);
        if (!m_buses.contains(*name))
            return Json::object();
        // Its rules go with it.
        if (auto r = m_records.removePrefix(kRule, *name + u'/'); !r)
            return r.error();
        if (auto r = m_records.remove(kBus, *name); !r)
            return r.error();
        for (auto it = m_rules.begin(); it != m_rules.end();) {
            if (it.value()->bus == *name) {
                removed.append(it.key());
                it = m_rules.erase(it);
            } else {
                ++it;
            }
        }
        m_buses.remove(*name);
    }
    if (m_ruleChanged) {
        for (const QString &key : removed)
            m_ruleChanged(key);
    }
    return Json::object();
}

Result<Json> EventBridge::listEventBuses(JsonFields &f)
{
    const auto prefix = f.string("NamePrefix");
    const auto token = f.string("NextToken");
    const auto limit = f.integer("Limit");
    if (!f.ok())
        return fieldError(f);
    const auto offset = pageOffset(token.value_or(QString()));
    if (!offset)
        return validation(QStringLiteral("The NextToken is not valid."));
    QReadLocker lock(&m_lock);
    QStringList names;
    for (const auto &b : m_buses) {
        if (!prefix || b->name.startsWith(*prefix))
            names.append(b->name);
    }
    names.sort();
    const qsizetype pageSize = std::clamp(limit.value_or(100), 1, 100);
    Json out = {{"EventBuses", Json::array()}};
    for (qsizetype i = *offset; i < names.size() && i < *offset + pageSize; ++i) {
        Json b = m_buses.value(names.at(i))->record;
        b.erase("Tags");
        out["EventBuses"].push_back(std::move(b));
    }
    if (*offset + pageSize < names.size())
        out["NextToken"] = toStd(pageToken(*offset + pageSize));
    return out;
}

Result<Json> EventBridge::describeEventBus(JsonFields &f)
{
    auto bus = busName(f, "Name");
    if (!bus)
        return bus.error();
    QReadLocker lock(&m_lock);
    Json b = m_buses.value(*bus)->record;
    b.erase("Tags");
    return b;
}

qint64 EventBridge::entrySize(const Json &entry)
{
    // As AWS documents it: 14 bytes for a Time, the UTF-8 lengths of Source, DetailType and
    // Detail, and of each Resources entry.
    qint64 size = 0;
    const auto text = [&](const char *key) {
        const auto it = entry.find(key);
        return it != entry.end() && it->is_string()
            ? qint64(it->get_ref<const std::string &>().size())
            : qint64(0);
    };
    if (entry.contains("Time"))
        size += 14;
    size += text("Source") + text("DetailType") + text("Detail");
    if (const auto it = entry.find("Resources"); it != entry.end() && it->is_array()) {
        for (const Json &r : *it) {
            if (r.is_string())
                size += qint64(r.get_ref<const std::string &>().size());
        }
    }
    return size;
}

Result<Json> EventBridge::putEvents(JsonFields &f, const CallContext &context)
{
    const Json *entries = f.value("Entries");
    if (!entries || !entries->is_array() || entries->empty() || entries->size() > 10)
        return constraint("entries", QString(),
            QStringLiteral("Member must have length less than or equal to 10 and greater than "
                           "or equal to 1"));
    qint64 total = 0;
    for (const Json &e : *entries)
        total += entrySize(e);
    if (total > kMaxEntryBytes)
        return validation(QStringLiteral("Total size of the entries in the request is over the "
                                         "limit."));
    Json results = Json::array();
    int failed = 0;
    QList<std::pair<QString, Json>> accepted;
    const qint64 now = m_clock->nowNs();
    const auto fail = [&](const char *code, const QString &message) {
        ++failed;
        results.push_back({{"ErrorCode", code}, {"ErrorMessage", toStd(message)}});
    };
    int index = 0;
    f.forEachObject("Entries", [&](JsonFields &e) {
        ++index;
        const auto source = e.string("Source");
        const auto detailType = e.string("DetailType");
        const auto detail = e.string("Detail");
        const auto resources = e.stringList("Resources");
        const auto time = e.number("Time");
        const auto busField = e.string("EventBusName");
        if (!e.ok())
            return;
        if (!source || source->isEmpty())
            return fail("InvalidArgument",
                QStringLiteral("Parameter Source is not valid. Reason: Source is a required "
                               "argument."));
        if (!detailType || detailType->isEmpty())
            return fail("InvalidArgument",
                QStringLiteral("Parameter DetailType is not valid. Reason: DetailType is a "
                               "required argument."));
        if (!detail || detail->isEmpty())
            return fail("InvalidArgument",
                QStringLiteral("Parameter Detail is not valid. Reason: Detail is a required "
                               "argument."));
        auto detailJson = parseJson(detail->toUtf8());
        if (!detailJson || !detailJson->is_object())
            return fail("MalformedDetail", QStringLiteral("Detail is malformed."));
        const QString bus = busNameOf(busField.value_or(QString()));
        {
            QReadLocker lock(&m_lock);
            if (!m_buses.contains(bus))
                return fail("ResourceNotFoundException",
                    QStringLiteral("Event bus %1 does not exist.").arg(bus));
        }
        Json listed = Json::array();
        for (const QString &r : resources.value_or(QStringList()))
            listed.push_back(toStd(r));
        Json event = eventEnvelope(*detailType, *source, m_accountId, m_region,
            time ? qint64(*time * 1000) * 1'000'000 : now, std::move(listed),
            std::move(*detailJson));
        results.push_back({{"EventId", event["id"]}});
        accepted.append({bus, std::move(event)});
    });
    if (!f.ok())
        return fieldError(f);
    for (const auto &[bus, event] : accepted)
        route(bus, event, context);
    return Json {{"FailedEntryCount", failed}, {"Entries", results}};
}

Result<void> EventBridge::putOnBus(const QString &busArnOrName, const QString &source,
    const QString &detailType, const QByteArray &body, const CallContext &context)
{
    const QString bus = busNameOf(busArnOrName);
    {
        QReadLocker lock(&m_lock);
        if (!m_buses.contains(bus))
            return notFound(QStringLiteral("Event bus %1 does not exist.").arg(bus));
    }
    auto parsed = parseJson(body);
    if (source.isEmpty()) {
        // A rule's target that is a bus: the event goes on as it is.
        if (!parsed || !parsed->is_object())
            return validation(QStringLiteral("the event is not a JSON object"));
        route(bus, *parsed, context);
        return {};
    }
    Json detail = parsed && parsed->is_object() ? *parsed : Json::object();
    const Json event = eventEnvelope(detailType, source, m_accountId, m_region, m_clock->nowNs(),
        Json::array(), std::move(detail));
    route(bus, event, context);
    return {};
}

void EventBridge::route(const QString &bus, const Json &event, const CallContext &context)
{
    QList<std::shared_ptr<Rule>> matched;
    {
        QReadLocker lock(&m_lock);
        for (const auto &r : m_rules) {
            if (r->enabled && r->pattern && r->bus == bus && !r->targets.isEmpty()
                && r->pattern->matches(event))
                matched.append(r);
        }
    }
    for (const auto &r : matched)
        sendToTargets(*r, event, context);
}

void EventBridge::sendToTargets(const Rule &rule, const Json &event, const CallContext &context)
{
    if (!m_sender)
        return;
    SendOrigin origin {QStringLiteral("events"), rule.arn, QStringLiteral("rule ") + rule.name,
        context.traceId, context.spanId};
    const QString ingestion = isoSeconds(m_clock->nowNs());
    for (const auto &t : rule.targets) {
        QByteArray payload;
        switch (t->input) {
        case Target::Input::Event:
            payload = toJsonBytes(event);
            break;
        case Target::Input::Constant:
            payload = t->constant;
            break;
        case Target::Input::Path: {
            auto selected = applyInputPath(event, t->inputPath);
            payload = selected ? *selected : QByteArray();
            break;
        }
        case Target::Input::Transformer: {
            auto shaped = applyInputTransformer(
                event, t->transformer, RuleContext {rule.arn, rule.name, ingestion});
            payload = shaped ? *shaped : QByteArray();
            break;
        }
        }
        // A path that selects nothing, or a template that is no longer JSON once filled:
        // EventBridge delivers nothing to that target.
        if (payload.isEmpty())
            continue;
        m_sender->send(
            t->target, [payload](int) { return payload; }, origin);
    }
}

QList<EventBridge::ScheduledRule> EventBridge::scheduledRules() const
{
    QReadLocker lock(&m_lock);
    QList<ScheduledRule> out;
    for (auto it = m_rules.cbegin(); it != m_rules.cend(); ++it) {
        const Rule &r = *it.value();
        if (r.schedule)
            out.append({it.key(), r.name, r.arn, r.schedule,
                r.record.value("AnchorMs", qint64(0)) * 1'000'000, r.enabled});
    }
    return out;
}

std::optional<EventBridge::ScheduledRule> EventBridge::scheduledRule(const QString &key) const
{
    QReadLocker lock(&m_lock);
    const auto r = m_rules.value(key);
    if (!r || !r->schedule)
        return std::nullopt;
    return ScheduledRule {key, r->name, r->arn, r->schedule,
        r->record.value("AnchorMs", qint64(0)) * 1'000'000, r->enabled};
}

QString EventBridge::ruleKey(const QString &nameOrArn) const
{
    QReadLocker lock(&m_lock);
    for (auto it = m_rules.cbegin(); it != m_rules.cend(); ++it) {
        if (it.value()->arn == nameOrArn)
            return it.key();
    }
    if (m_rules.contains(kDefault + u'/' + nameOrArn))
        return kDefault + u'/' + nameOrArn;
    for (auto it = m_rules.cbegin(); it != m_rules.cend(); ++it) {
        if (it.value()->name == nameOrArn)
            return it.key();
    }
    return {};
}

bool EventBridge::fireRule(const QString &key, qint64 scheduledNs, const CallContext &context)
{
    std::shared_ptr<Rule> rule;
    {
        QReadLocker lock(&m_lock);
        rule = m_rules.value(key);
    }
    if (!rule)
        return false;
    const Json event
        = eventEnvelope(QStringLiteral("Scheduled Event"), QStringLiteral("aws.events"),
            m_accountId, m_region, scheduledNs, Json::array({toStd(rule->arn)}), Json::object());
    sendToTargets(*rule, event, context);
    return true;
}

QList<Json> EventBridge::rules() const
{
    QReadLocker lock(&m_lock);
    QList<Json> out;
    for (const auto &r : m_rules) {
        Json a = ruleAnswer(*r);
        a["TargetCount"] = r->targets.size();
        Json targets = Json::array();
        for (const auto &t : r->targets)
            targets.push_back(toStd(t->target.arn));
        a["TargetArns"] = std::move(targets);
        out.append(std::move(a));
    }
    std::sort(out.begin(), out.end(), [](const Json &a, const Json &b) {
        return a.value("Name", std::string()) < b.value("Name", std::string());
    });
    return out;
}

QStringList EventBridge::busNames() const
{
    QReadLocker lock(&m_lock);
    QStringList names = m_buses.keys();
    names.sort();
    return names;
}

Result<Json> EventBridge::testEventPattern(JsonFields &f)
{
    const auto pattern = f.string("EventPattern");
    const auto event = f.string("Event");
    if (!f.ok())
        return fieldError(f);
    if (!pattern)
        return constraint("eventPattern", QString(), QStringLiteral("Member must not be null"));
    if (!event)
        return constraint("event", QString(), QStringLiteral("Member must not be null"));
    auto parsed = EventPattern::parse(pattern->toUtf8());
    if (!parsed)
        return parsed.error();
    auto e = parseJson(event->toUtf8());
    if (!e || !e->is_object())
        return validation(QStringLiteral("Parameter Event is not valid."));
    for (const char *required : {"id", "account", "source", "time", "region", "detail-type"}) {
        if (!e->contains(required))
            return validation(QStringLiteral("Parameter Event is not valid: it needs %1.")
                                  .arg(QLatin1String(required)));
    }
    return Json {{"Result", parsed->matches(*e)}};
}

} // namespace tarmac
