#include "services/events/scheduler.h"

#include "base/clock.h"
#include "services/events/eventsupport.h"
#include "services/events/scheduleexpression.h"

#include <QRegularExpression>
#include <QUuid>

#include <algorithm>
#include <cmath>

namespace tarmac {

using namespace eventsupport;

struct Scheduler::Schedule
{
    QString group;
    QString name;
    QString arn;
    Json record; // the request's fields as stored, plus CreationDate/LastModificationDate
    std::shared_ptr<const ScheduleExpression> expression;
    QTimeZone zone;
    qint64 anchorNs = 0; // rate(): the first firing
    std::optional<qint64> startNs;
    std::optional<qint64> endNs;
    bool enabled = true;
    bool deleteAfter = false;
    EventTarget target;
    std::optional<QString> input;
};

namespace {

const QString kGroup = QStringLiteral("group");
const QString kSchedule = QStringLiteral("schedule");
const QString kDefault = QStringLiteral("default");

Error validation(const QString &message)
{
    return makeError(QStringLiteral("ValidationException"), message, 400);
}

Error notFound(const QString &message)
{
    return makeError(QStringLiteral("ResourceNotFoundException"), message, 404);
}

Error conflict(const QString &message)
{
    return makeError(QStringLiteral("ConflictException"), message, 409);
}

const QRegularExpression &namePattern()
{
    static const QRegularExpression re(QStringLiteral("^[0-9a-zA-Z\\-_.]+$"));
    return re;
}

bool validName(const QString &name)
{
    return !name.isEmpty() && name.size() <= 64 && namePattern().match(name).hasMatch();
}

std::optional<qint64> nsOf(const Json *seconds)
{
    if (!seconds || !seconds->is_number())
        return std::nullopt;
    const double s = seconds->get<double>();
    if (!std::isfinite(s) || std::abs(s) > 1e11)
        return std::nullopt;
    return qint64(std::llround(s * 1000.0)) * 1'000'000;
}

Result<int> pageSize(const QString &maxResults)
{
    if (maxResults.isEmpty())
        return 100;
    bool ok = false;
    const int n = maxResults.toInt(&ok);
    if (!ok || n < 1 || n > 100)
        return validation(QStringLiteral("MaxResults must be a number from 1 to 100."));
    return n;
}

Result<QMap<QString, QString>> readTags(const Json &list)
{
    QMap<QString, QString> tags;
    if (list.is_null())
        return tags;
    if (!list.is_array())
        return validation(QStringLiteral("Tags must be a list of {Key, Value}."));
    for (const Json &t : list) {
        if (!t.is_object() || !t.contains("Key") || !t["Key"].is_string() || !t.contains("Value")
            || !t["Value"].is_string())
            return validation(QStringLiteral("Each tag needs a string Key and Value."));
        tags.insert(fromStd(t["Key"].get<std::string>()), fromStd(t["Value"].get<std::string>()));
    }
    return tags;
}

} // namespace

Scheduler::Scheduler(QString region, QString accountId, const Clock *clock)
    : m_region(std::move(region))
    , m_accountId(std::move(accountId))
    , m_clock(clock)
{ }

Scheduler::~Scheduler() = default;

QString Scheduler::groupArn(const QString &group) const
{
    return QStringLiteral("arn:aws:scheduler:%1:%2:schedule-group/%3")
        .arg(m_region, m_accountId, group);
}

QString Scheduler::scheduleArn(const QString &group, const QString &name) const
{
    return QStringLiteral("arn:aws:scheduler:%1:%2:schedule/%3/%4")
        .arg(m_region, m_accountId, group, name);
}

Result<void> Scheduler::open(Store *store)
{
    if (auto r = m_records.open(store, QStringLiteral("scheduler")); !r)
        return r;
    return reload();
}

Result<void> Scheduler::reload()
{
    auto groups = m_records.load(kGroup);
    if (!groups)
        return groups.error();
    auto schedules = m_records.load(kSchedule);
    if (!schedules)
        return schedules.error();
    QWriteLocker lock(&m_lock);
    // A tick under way keeps its schedule (shared_ptr); new calls see the rows.
    m_groups.clear();
    m_schedules.clear();
    const qint64 now = m_clock->nowNs();
    m_groups.insert(kDefault,
        Json {{"Name", "default"}, {"Arn", toStd(groupArn(kDefault))}, {"State", "ACTIVE"},
            {"CreationDate", epochSeconds(now)}, {"LastModificationDate", epochSeconds(now)}});
    for (const auto &[key, record] : *groups)
        m_groups.insert(key, record);
    for (const auto &[key, record] : *schedules) {
        auto s = read(key.section(u'/', -1), record);
        if (!s)
            continue; // a record that no longer reads is left out, not fatal
        (*s)->record = record;
        (*s)->anchorNs = record.value("AnchorMs", qint64(0)) * 1'000'000;
        m_schedules.insert(key, *s);
    }
    return {};
}

// A request's schedule, checked as the service checks it. Not yet stored: no dates.
Result<std::shared_ptr<Scheduler::Schedule>> Scheduler::read(
    const QString &name, const Json &body) const
{
    JsonFields f(body);
    const auto group = f.string("GroupName");
    const auto expression = f.string("ScheduleExpression");
    const auto zone = f.string("ScheduleExpressionTimezone");
    const auto state = f.string("State");
    const auto description = f.string("Description");
    const auto after = f.string("ActionAfterCompletion");
    JsonFields window = f.object("FlexibleTimeWindow");
    const auto mode = window.string("Mode");
    const auto maxWindow = window.integer("MaximumWindowInMinutes");
    JsonFields target = f.object("Target");
    const auto arn = target.string("Arn");
    const auto role = target.string("RoleArn");
    const auto input = target.string("Input");
    JsonFields retry = target.object("RetryPolicy");
    const auto attempts = retry.integer("MaximumRetryAttempts");
    const auto age = retry.integer("MaximumEventAgeInSeconds");
    JsonFields dlq = target.object("DeadLetterConfig");
    const auto dlqArn = dlq.string("Arn");
    JsonFields sqs = target.object("SqsParameters");
    const auto groupId = sqs.string("MessageGroupId");
    JsonFields bridge = target.object("EventBridgeParameters");
    const auto detailType = bridge.string("DetailType");
    const auto source = bridge.string("Source");
    const auto start = f.value("StartDate");
    const auto end = f.value("EndDate");
    if (!f.ok())
        return validation(f.error()->message());
    if (!validName(name))
        return validation(QStringLiteral("1 validation error detected: Value '%1' at 'name' "
                                         "failed to satisfy constraint: Member must satisfy "
                                         "regular expression pattern: ^[0-9a-zA-Z-_.]+$")
                              .arg(name));
    auto s = std::make_shared<Schedule>();
    s->name = name;
    s->group = group.value_or(kDefault);
    if (!validName(s->group))
        return validation(QStringLiteral("Invalid group name %1.").arg(s->group));
    s->arn = scheduleArn(s->group, name);
    if (!expression || expression->isEmpty() || expression->size() > 256)
        return validation(QStringLiteral("1 validation error detected: Value null at "
                                         "'scheduleExpression' failed to satisfy constraint: "
                                         "Member must not be null"));
    auto parsed = ScheduleExpression::parse(*expression, ScheduleExpression::Dialect::Scheduler);
    if (!parsed)
        return validation(QStringLiteral("Invalid Schedule Expression %1.").arg(*expression));
    s->expression = std::make_shared<ScheduleExpression>(std::move(*parsed));
    if (zone && !zone->isEmpty()) {
        s->zone = QTimeZone(zone->toUtf8());
        if (!s->zone.isValid())
            return validation(
                QStringLiteral("Invalid Schedule Expression Timezone %1.").arg(*zone));
    } else {
        s->zone = QTimeZone::utc();
    }
    if (!mode)
        return validation(QStringLiteral("1 validation error detected: Value null at "
                                         "'flexibleTimeWindow' failed to satisfy constraint: "
                                         "Member must not be null"));
    if (*mode != QLatin1String("OFF") && *mode != QLatin1String("FLEXIBLE"))
        return validation(QStringLiteral("1 validation error detected: Value '%1' at "
                                         "'flexibleTimeWindow.mode' failed to satisfy constraint: "
                                         "Member must satisfy enum value set: [OFF, FLEXIBLE]")
                              .arg(*mode));
    if (*mode == QLatin1String("FLEXIBLE") && (!maxWindow || *maxWindow < 1 || *maxWindow > 1440))
        return validation(QStringLiteral("MaximumWindowInMinutes must be from 1 to 1440 when "
                                         "Mode is FLEXIBLE."));
    if (!target.isSet() || !arn || arn->isEmpty() || arn->size() > 1600)
        return validation(QStringLiteral("1 validation error detected: Value null at "
                                         "'target.arn' failed to satisfy constraint: Member must "
                                         "not be null"));
    if (!role || role->isEmpty())
        return validation(QStringLiteral("1 validation error detected: Value null at "
                                         "'target.roleArn' failed to satisfy constraint: Member "
                                         "must not be null"));
    if (state && *state != QLatin1String("ENABLED") && *state != QLatin1String("DISABLED"))
        return validation(QStringLiteral("1 validation error detected: Value '%1' at 'state' "
                                         "failed to satisfy constraint: Member must satisfy enum "
                                         "value set: [ENABLED, DISABLED]")
                              .arg(*state));
    if (after && *after != QLatin1String("NONE") && *after != QLatin1String("DELETE"))
        return validation(QStringLiteral("1 validation error detected: Value '%1' at "
                                         "'actionAfterCompletion' failed to satisfy constraint: "
                                         "Member must satisfy enum value set: [NONE, DELETE]")
                              .arg(*after));
    if (description && description->size() > 512)
        return validation(QStringLiteral("Description must be at most 512 characters."));
    if (input && input->isEmpty())
        return validation(QStringLiteral("1 validation error detected: Value '' at "
                                         "'target.input' failed to satisfy constraint: Member "
                                         "must have length greater than or equal to 1"));
    s->target.arn = *arn;
    if (attempts) {
        if (*attempts < 0 || *attempts > 185)
            return validation(QStringLiteral("MaximumRetryAttempts must be from 0 to 185."));
        s->target.maximumRetryAttempts = *attempts;
    }
    if (age) {
        if (*age < 60 || *age > 86'400)
            return validation(QStringLiteral("MaximumEventAgeInSeconds must be from 60 to 86400."));
        s->target.maximumEventAgeSeconds = *age;
    }
    s->target.deadLetterArn = dlqArn.value_or(QString());
    s->target.messageGroupId = groupId.value_or(QString());
    if (bridge.isSet()) {
        if (!detailType || detailType->isEmpty() || !source || source->isEmpty())
            return validation(QStringLiteral("EventBridgeParameters needs DetailType and Source."));
        s->target.detailType = *detailType;
        s->target.source = *source;
    }
    s->input = input;
    s->enabled = !state || *state == QLatin1String("ENABLED");
    s->deleteAfter = after && *after == QLatin1String("DELETE");
    if (start && !start->is_null()) {
        s->startNs = nsOf(start);
        if (!s->startNs)
            return validation(QStringLiteral("StartDate must be a timestamp."));
    }
    if (end && !end->is_null()) {
        s->endNs = nsOf(end);
        if (!s->endNs)
            return validation(QStringLiteral("EndDate must be a timestamp."));
    }
    if (s->startNs && s->endNs && *s->endNs <= *s->startNs)
        return validation(QStringLiteral("The EndDate you specify must be after the StartDate."));
    return s;
}

Result<Json> Scheduler::put(const QString &name, const Json &body, bool create)
{
    auto s = read(name, body);
    if (!s)
        return s.error();
    Schedule &schedule = **s;
    const QString key = schedule.group + u'/' + name;
    const qint64 now = m_clock->nowNs();
    {
        QWriteLocker lock(&m_lock);
        if (!m_groups.contains(schedule.group))
            return notFound(
                QStringLiteral("Schedule group %1 does not exist.").arg(schedule.group));
        const auto old = m_schedules.value(key);
        if (create && old)
            return conflict(QStringLiteral("Schedule %1 already exists.").arg(name));
        if (!create && !old)
            return notFound(QStringLiteral("Schedule %1 does not exist.").arg(name));
        if (create && schedule.startNs && *schedule.startNs < now - qint64(300) * 1'000'000'000)
            return validation(QStringLiteral("The StartDate you specify cannot be earlier than 5 "
                                             "minutes prior to the current time."));
        Json record = body;
        record.erase("ClientToken");
        record["Name"] = toStd(name);
        record["GroupName"] = toStd(schedule.group);
        record["CreationDate"] = old ? old->record.value("CreationDate", Json(epochSeconds(now)))
                                     : Json(epochSeconds(now));
        record["LastModificationDate"] = epochSeconds(now);
        // A rate schedule without a start fires at once, then every period from then.
        schedule.anchorNs = schedule.startNs.value_or(now);
        if (old && old->expression->text() == schedule.expression->text() && !schedule.startNs)
            schedule.anchorNs = old->anchorNs;
        record["AnchorMs"] = schedule.anchorNs / 1'000'000;
        schedule.record = std::move(record);
        if (auto r = m_records.put(kSchedule, key, schedule.record); !r)
            return r.error();
        m_schedules.insert(key, *s);
    }
    if (m_scheduleChanged)
        m_scheduleChanged(key);
    return Json {{"ScheduleArn", toStd(schedule.arn)}};
}

Result<Json> Scheduler::createSchedule(const QString &name, const Json &body)
{
    return put(name, body, true);
}

Result<Json> Scheduler::updateSchedule(const QString &name, const Json &body)
{
    return put(name, body, false);
}

Json Scheduler::answer(const Schedule &s) const
{
    Json a = s.record;
    a.erase("AnchorMs");
    a["Arn"] = toStd(s.arn);
    a["Name"] = toStd(s.name);
    a["GroupName"] = toStd(s.group);
    a["State"] = s.enabled ? "ENABLED" : "DISABLED";
    if (!a.contains("ActionAfterCompletion"))
        a["ActionAfterCompletion"] = "NONE";
    if (!a.contains("ScheduleExpressionTimezone"))
        a["ScheduleExpressionTimezone"] = "UTC";
    return a;
}

Result<Json> Scheduler::getSchedule(const QString &name, const QString &group) const
{
    const QString g = group.isEmpty() ? kDefault : group;
    QReadLocker lock(&m_lock);
    if (!m_groups.contains(g))
        return notFound(QStringLiteral("Schedule group %1 does not exist.").arg(g));
    const auto s = m_schedules.value(g + u'/' + name);
    if (!s)
        return notFound(QStringLiteral("Schedule %1 does not exist.").arg(name));
    return answer(*s);
}

Result<void> Scheduler::removeKey(const QString &key)
{
    {
        QWriteLocker lock(&m_lock);
        if (!m_schedules.contains(key))
            return {};
        if (auto r = m_records.remove(kSchedule, key); !r)
            return r;
        m_schedules.remove(key);
    }
    if (m_scheduleChanged)
        m_scheduleChanged(key);
    return {};
}

Result<Json> Scheduler::deleteSchedule(const QString &name, const QString &group)
{
    const QString g = group.isEmpty() ? kDefault : group;
    {
        QReadLocker lock(&m_lock);
        if (!m_schedules.contains(g + u'/' + name))
            return notFound(QStringLiteral("Schedule %1 does not exist.").arg(name));
    }
    if (auto r = removeKey(g + u'/' + name); !r)
        return r.error();
    return Json::object();
}

Result<Json> Scheduler::listSchedules(const QString &namePrefix, const QString &group,
    const QString &state, const QString &token, const QString &maxResults) const
{
    const auto offset = pageOffset(token);
    if (!offset)
        return validation(QStringLiteral("The NextToken is not valid."));
    auto size = pageSize(maxResults);
    if (!size)
        return size.error();
    if (!state.isEmpty() && state != QLatin1String("ENABLED") && state != QLatin1String("DISABLED"))
        return validation(QStringLiteral("State must be ENABLED or DISABLED."));
    QReadLocker lock(&m_lock);
    QStringList keys;
    for (auto it = m_schedules.cbegin(); it != m_schedules.cend(); ++it) {
        const Schedule &s = *it.value();
        if ((namePrefix.isEmpty() || s.name.startsWith(namePrefix))
            && (group.isEmpty() || s.group == group)
            && (state.isEmpty() || (state == QLatin1String("ENABLED")) == s.enabled))
            keys.append(it.key());
    }
    keys.sort();
    Json out = {{"Schedules", Json::array()}};
    for (qsizetype i = *offset; i < keys.size() && i < *offset + *size; ++i) {
        const Schedule &s = *m_schedules.value(keys.at(i));
        out["Schedules"].push_back({{"Arn", toStd(s.arn)}, {"Name", toStd(s.name)},
            {"GroupName", toStd(s.group)}, {"State", s.enabled ? "ENABLED" : "DISABLED"},
            {"CreationDate", s.record.value("CreationDate", Json(0))},
            {"LastModificationDate", s.record.value("LastModificationDate", Json(0))},
            {"Target", {{"Arn", toStd(s.target.arn)}}}});
    }
    if (*offset + *size < keys.size())
        out["NextToken"] = toStd(pageToken(*offset + *size));
    return out;
}

Result<Json> Scheduler::createScheduleGroup(const QString &name, const Json &body)
{
    if (!validName(name))
        return validation(QStringLiteral("1 validation error detected: Value '%1' at 'name' "
                                         "failed to satisfy constraint: Member must satisfy "
                                         "regular expression pattern: ^[0-9a-zA-Z-_.]+$")
                              .arg(name));
    auto tags = readTags(body.is_object() ? body.value("Tags", Json()) : Json());
    if (!tags)
        return tags.error();
    const qint64 now = m_clock->nowNs();
    QWriteLocker lock(&m_lock);
    if (m_groups.contains(name))
        return conflict(QStringLiteral("Schedule group %1 already exists.").arg(name));
    Json record = {{"Name", toStd(name)}, {"Arn", toStd(groupArn(name))}, {"State", "ACTIVE"},
        {"CreationDate", epochSeconds(now)}, {"LastModificationDate", epochSeconds(now)},
        {"Tags", tagList(*tags)}};
    if (auto r = m_records.put(kGroup, name, record); !r)
        return r.error();
    m_groups.insert(name, record);
    return Json {{"ScheduleGroupArn", toStd(groupArn(name))}};
}

Result<Json> Scheduler::getScheduleGroup(const QString &name) const
{
    QReadLocker lock(&m_lock);
    const auto it = m_groups.constFind(name);
    if (it == m_groups.cend())
        return notFound(QStringLiteral("Schedule group %1 does not exist.").arg(name));
    Json a = *it;
    a.erase("Tags");
    return a;
}

Result<Json> Scheduler::deleteScheduleGroup(const QString &name)
{
    if (name == kDefault)
        return validation(QStringLiteral("The default schedule group cannot be deleted."));
    QStringList removed;
    {
        QWriteLocker lock(&m_lock);
        if (!m_groups.contains(name))
            return notFound(QStringLiteral("Schedule group %1 does not exist.").arg(name));
        // Its schedules go with it.
        if (auto r = m_records.removePrefix(kSchedule, name + u'/'); !r)
            return r.error();
        if (auto r = m_records.remove(kGroup, name); !r)
            return r.error();
        for (auto it = m_schedules.begin(); it != m_schedules.end();) {
            if (it.value()->group == name) {
                removed.append(it.key());
                it = m_schedules.erase(it);
            } else {
                ++it;
            }
        }
        m_groups.remove(name);
    }
    if (m_scheduleChanged) {
        for (const QString &key : removed)
            m_scheduleChanged(key);
    }
    return Json::object();
}

Result<Json> Scheduler::listScheduleGroups(
    const QString &namePrefix, const QString &token, const QString &maxResults) const
{
    const auto offset = pageOffset(token);
    if (!offset)
        return validation(QStringLiteral("The NextToken is not valid."));
    auto size = pageSize(maxResults);
    if (!size)
        return size.error();
    QReadLocker lock(&m_lock);
    QStringList names;
    for (auto it = m_groups.cbegin(); it != m_groups.cend(); ++it) {
        if (namePrefix.isEmpty() || it.key().startsWith(namePrefix))
            names.append(it.key());
    }
    names.sort();
    Json out = {{"ScheduleGroups", Json::array()}};
    for (qsizetype i = *offset; i < names.size() && i < *offset + *size; ++i) {
        Json g = m_groups.value(names.at(i));
        g.erase("Tags");
        out["ScheduleGroups"].push_back(std::move(g));
    }
    if (*offset + *size < names.size())
        out["NextToken"] = toStd(pageToken(*offset + *size));
    return out;
}

Result<Json> Scheduler::tagResource(const QString &arn, const Json &body)
{
    auto tags = readTags(body.is_object() ? body.value("Tags", Json()) : Json());
    if (!tags)
        return tags.error();
    QWriteLocker lock(&m_lock);
    for (auto it = m_groups.begin(); it != m_groups.end(); ++it) {
        if (groupArn(it.key()) != arn)
            continue;
        Json record = it.value();
        QMap<QString, QString> all;
        for (const Json &t : record.value("Tags", Json::array()))
            all.insert(
                fromStd(t.value("Key", std::string())), fromStd(t.value("Value", std::string())));
        all.insert(*tags);
        record["Tags"] = tagList(all);
        if (it.key() != kDefault) {
            if (auto r = m_records.put(kGroup, it.key(), record); !r)
                return r.error();
        }
        it.value() = record;
        return Json::object();
    }
    return notFound(QStringLiteral("Resource %1 does not exist.").arg(arn));
}

Result<Json> Scheduler::untagResource(const QString &arn, const QStringList &keys)
{
    QWriteLocker lock(&m_lock);
    for (auto it = m_groups.begin(); it != m_groups.end(); ++it) {
        if (groupArn(it.key()) != arn)
            continue;
        Json record = it.value();
        Json kept = Json::array();
        for (const Json &t : record.value("Tags", Json::array())) {
            if (!keys.contains(fromStd(t.value("Key", std::string()))))
                kept.push_back(t);
        }
        record["Tags"] = kept;
        if (it.key() != kDefault) {
            if (auto r = m_records.put(kGroup, it.key(), record); !r)
                return r.error();
        }
        it.value() = record;
        return Json::object();
    }
    return notFound(QStringLiteral("Resource %1 does not exist.").arg(arn));
}

Result<Json> Scheduler::listTagsForResource(const QString &arn) const
{
    QReadLocker lock(&m_lock);
    for (auto it = m_groups.cbegin(); it != m_groups.cend(); ++it) {
        if (groupArn(it.key()) == arn)
            return Json {{"Tags", it.value().value("Tags", Json::array())}};
    }
    return notFound(QStringLiteral("Resource %1 does not exist.").arg(arn));
}

std::optional<Scheduler::Due> Scheduler::due(const QString &key, qint64 afterNs) const
{
    QReadLocker lock(&m_lock);
    const auto s = m_schedules.value(key);
    if (!s)
        return std::nullopt;
    Due d {key, s->name, s->arn, std::nullopt, s->enabled};
    if (!s->enabled)
        return d;
    const bool oneTime = s->expression->kind() == ScheduleExpression::Kind::At;
    qint64 from = afterNs;
    if (!oneTime && s->startNs)
        from = std::max(from, *s->startNs - 1);
    auto next = s->expression->nextAfter(from, s->zone, s->anchorNs);
    if (next && !oneTime && s->endNs && *next > *s->endNs)
        next.reset();
    d.nextNs = next;
    return d;
}

QStringList Scheduler::keys() const
{
    QReadLocker lock(&m_lock);
    return m_schedules.keys();
}

QString Scheduler::keyOf(const QString &nameOrArn) const
{
    QReadLocker lock(&m_lock);
    for (auto it = m_schedules.cbegin(); it != m_schedules.cend(); ++it) {
        if (it.value()->arn == nameOrArn || it.key() == nameOrArn)
            return it.key();
    }
    if (m_schedules.contains(kDefault + u'/' + nameOrArn))
        return kDefault + u'/' + nameOrArn;
    for (auto it = m_schedules.cbegin(); it != m_schedules.cend(); ++it) {
        if (it.value()->name == nameOrArn)
            return it.key();
    }
    return {};
}

bool Scheduler::fire(
    const QString &key, qint64 scheduledNs, const QByteArray &traceId, const QByteArray &spanId)
{
    std::shared_ptr<Schedule> s;
    {
        QReadLocker lock(&m_lock);
        s = m_schedules.value(key);
    }
    if (!s)
        return false;
    const QString executionId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const QString scheduled = isoSeconds(scheduledNs);
    const std::optional<QString> input = s->input;
    const QString arn = s->arn;
    const QString account = m_accountId;
    const QString region = m_region;
    // The context placeholders are the same text whatever the attempt, but for the number.
    EventTargetSender::Render render = [=](int attempt) -> QByteArray {
        if (!input) {
            // No Input: the default notification EventBridge Scheduler sends.
            Json event
                = eventEnvelope(QStringLiteral("Scheduled Event"), QStringLiteral("aws.scheduler"),
                    account, region, scheduledNs, Json::array({toStd(arn)}), Json::object());
            event["id"] = toStd(executionId);
            return toJsonBytes(event);
        }
        QString text = *input;
        text.replace(QLatin1String("<aws.scheduler.scheduled-time>"), scheduled);
        text.replace(QLatin1String("<aws.scheduler.execution-id>"), executionId);
        text.replace(QLatin1String("<aws.scheduler.attempt-number>"), QString::number(attempt));
        text.replace(QLatin1String("<aws.scheduler.schedule-arn>"), arn);
        return text.toUtf8();
    };
    if (m_sender)
        m_sender->send(s->target, std::move(render),
            SendOrigin {QStringLiteral("scheduler"), arn, QStringLiteral("schedule ") + s->name,
                traceId, spanId});
    // Done for good (a one-time schedule, or past its end): ActionAfterCompletion applies.
    if (s->deleteAfter) {
        const auto next = due(key, scheduledNs);
        if (next && !next->nextNs)
            (void)removeKey(key);
    }
    return true;
}

QList<Json> Scheduler::schedules() const
{
    QReadLocker lock(&m_lock);
    QList<Json> out;
    QStringList keys = m_schedules.keys();
    keys.sort();
    for (const QString &k : keys)
        out.append(answer(*m_schedules.value(k)));
    return out;
}

} // namespace tarmac
