#include "services/events/eventsmodule.h"

#include "base/clock.h"
#include "http/edgerouter.h"
#include "http/restroutes.h"
#include "services/events/eventbridge.h"
#include "services/events/eventsapi.h"
#include "services/events/eventsresources.h"
#include "services/events/eventsupport.h"
#include "services/events/eventtargets.h"
#include "services/events/scheduleexpression.h"
#include "services/events/scheduler.h"
#include "services/events/scheduletimers.h"
#include "template/stack.h"

#include <QDateTime>
#include <QLocale>
#include <QPointer>

namespace tarmac {

namespace {

const QString kRuleKind = QStringLiteral("rule");
const QString kScheduleKind = QStringLiteral("schedule");
const QString kFire = QStringLiteral("fire");

Error notRunning(const char *module)
{
    return makeError(QStringLiteral("ServiceUnavailable"),
        QStringLiteral("the %1 module has not started").arg(QLatin1String(module)), 503);
}

QString timeText(qint64 ns)
{
    return QDateTime::fromMSecsSinceEpoch(ns / 1'000'000, Qt::UTC)
               .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))
        + QStringLiteral(" UTC");
}

// The model's answer to a template's request, as one line for the user.
Result<void> applied(const Result<Json> &r)
{
    if (!r)
        return r.error();
    return {};
}

} // namespace

// POST /_tarmac/schedules/NAME/fire: a rule or a schedule fired now, outside its timetable.
class FireApi : public QObject, public HttpHandler
{
public:
    FireApi(EventsModule *events, std::function<ServiceModule *(const QString &)> module)
        : m_events(events)
        , m_module(std::move(module))
    { }

    static constexpr const char *prefix = "/_tarmac/schedules";

    void handle(HttpRequest &&request, HttpResponder responder) override
    {
        const QList<QByteArray> parts = restPathSegments(request.path);
        // _tarmac, schedules, NAME, fire
        if (parts.size() != 4 || parts.at(3) != "fire") {
            responder.send(answer(404, "NotFound",
                QStringLiteral("POST /_tarmac/schedules/NAME/fire fires a rule or a schedule")));
            return;
        }
        if (request.method != "POST") {
            responder.send(answer(
                405, "MethodNotAllowed", QStringLiteral("POST /_tarmac/schedules/NAME/fire")));
            return;
        }
        const QString name = QString::fromUtf8(parts.at(2));
        QPointer<QObject> self(this);
        // On the engine's thread, where the timers and the models' callers live.
        QMetaObject::invokeMethod(
            this,
            [this, self, name, responder] {
                if (!self)
                    return;
                Result<QString> fired = m_events->fireNow(name);
                if (!fired && fired.error().code == QLatin1String("ResourceNotFoundException")) {
                    if (auto *scheduler
                        = qobject_cast<SchedulerModule *>(m_module(QStringLiteral("scheduler"))))
                        fired = scheduler->fireNow(name);
                }
                if (!fired) {
                    responder.send(answer(fired.error().httpStatus,
                        fired.error().code.toLatin1().constData(), fired.error().message));
                    return;
                }
                responder.send(HttpResponse::json(
                    200, toJsonBytes(Json {{"fired", toStd(*fired)}, {"name", toStd(name)}})));
            },
            Qt::QueuedConnection);
    }

private:
    static HttpResponse answer(int status, const char *code, const QString &message)
    {
        return HttpResponse::json(
            status, toJsonBytes(Json {{"__type", code}, {"message", toStd(message)}}));
    }

    EventsModule *m_events;
    std::function<ServiceModule *(const QString &)> m_module;
};

// --- EventsModule ---------------------------------------------------------------------

EventsModule::EventsModule(QObject *parent)
    : ServiceModule(parent)
    , m_api(std::make_unique<EventsJsonApi>())
{ }

EventsModule::~EventsModule()
{
    stop();
}

HttpHandler *EventsModule::edgeHandler()
{
    return m_api.get();
}

Result<void> EventsModule::start(const EngineContext &context)
{
    m_context = context;
    m_model = std::make_unique<EventBridge>(context.region, context.accountId, context.clock);
    if (auto r = m_model->open(context.store); !r)
        return r;
    m_sender = std::make_unique<EventTargetSender>(context);
    m_model->setSender(m_sender.get());
    EventBridge *model = m_model.get();
    m_timers = std::make_unique<ScheduleTimers>(context.clock, context.tracer,
        ScheduleTimers::Hooks {QStringLiteral("events"),
            [model](const QString &key, qint64 afterNs) -> std::optional<qint64> {
                const auto rule = model->scheduledRule(key);
                if (!rule || !rule->enabled)
                    return std::nullopt;
                return rule->schedule->nextAfter(afterNs, QTimeZone::utc(), rule->anchorNs);
            },
            [](const QString &key) -> QString {
                return QStringLiteral("rule ") + key.section(u'/', -1);
            },
            [model](const QString &key, qint64 dueNs, const QByteArray &traceId,
                const QByteArray &spanId) {
                model->fireRule(key, dueNs, {traceId, spanId});
            }});
    m_model->setRuleChanged(m_timers->rearmLater());
    for (const auto &rule : m_model->scheduledRules())
        m_timers->rearm(rule.key);
    m_api->attach(model);
    if (context.messageTargets)
        context.messageTargets->add(QStringLiteral("events"), this);
    if (context.edgeRouter) {
        m_fireApi = std::make_unique<FireApi>(this, context.module);
        context.edgeRouter->addInternalRoute(QByteArray(FireApi::prefix), m_fireApi.get());
    }
    return {};
}

void EventsModule::stop()
{
    if (m_context.messageTargets)
        m_context.messageTargets->remove(this);
    m_context.messageTargets = nullptr;
    if (m_timers)
        m_timers->stop();
}

Result<void> EventsModule::reloadState()
{
    if (!m_model)
        return {};
    // The old rules' ticks and retries go with them (a tick remembered from a rule of the same
    // name would hold back the new one's); the template's logical ids stay, as the engine
    // applies the template again.
    m_timers->resetAll();
    m_sender->dropRetries();
    if (auto r = m_model->reload(); !r)
        return r;
    for (const auto &rule : m_model->scheduledRules())
        m_timers->rearm(rule.key);
    return {};
}

Result<QString> EventsModule::fireNow(const QString &name)
{
    if (!m_model)
        return notRunning("events");
    QString key = m_model->ruleKey(m_logicalIds.value(name, name));
    if (key.isEmpty())
        return makeError(QStringLiteral("ResourceNotFoundException"),
            QStringLiteral("no rule or schedule is named %1").arg(name), 404);
    const auto rule = m_model->scheduledRule(key);
    if (!rule)
        return makeError(QStringLiteral("ValidationException"),
            QStringLiteral("rule %1 has an event pattern, not a schedule: put an event that "
                           "matches it instead")
                .arg(name),
            400);
    m_timers->fireNow(key);
    return QStringLiteral("rule %1").arg(rule->name);
}

QList<const ResourceType *> EventsModule::resourceTypes() const
{
    return eventsresources::eventBridgeTypes();
}

QList<const FunctionEventType *> EventsModule::functionEventTypes() const
{
    return eventsresources::eventBridgeEvents();
}

void EventsModule::removeAllTargets(const Json &rule)
{
    const Json which = {{"Rule", rule["Rule"]}, {"EventBusName", rule["EventBusName"]}};
    auto listed = m_model->call(QStringLiteral("ListTargetsByRule"), which, {});
    if (!listed || (*listed)["Targets"].empty())
        return;
    Json request = which;
    request["Ids"] = Json::array();
    for (const Json &t : (*listed)["Targets"]) {
        if (t.is_object() && t.contains("Id") && t["Id"].is_string())
            request["Ids"].push_back(t["Id"]);
    }
    (void)m_model->call(QStringLiteral("RemoveTargets"), request, {});
}

Result<void> EventsModule::putResource(const StackResource &resource, const StackResource *previous)
{
    if (!m_model)
        return notRunning("events");
    const Json &p = resource.properties;
    if (resource.type == QLatin1String("AWS::Events::EventBus")) {
        if (m_model->busExists(resource.physicalId))
            return {};
        Json request = {{"Name", toStd(resource.physicalId)}};
        for (const char *key : {"Description", "Tags"}) {
            if (p.contains(key))
                request[key] = p[key];
        }
        return applied(m_model->call(QStringLiteral("CreateEventBus"), request, {}));
    }
    if (resource.type != QLatin1String("AWS::Events::Rule"))
        return ServiceModule::putResource(resource, previous);
    const QString name = resource.physicalId;
    m_logicalIds.insert(resource.logicalId, name);
    if (auto r = applied(
            m_model->call(QStringLiteral("PutRule"), eventsresources::putRuleRequest(name, p), {}));
        !r)
        return r;
    // The template's targets replace the rule's.
    const Json targets = eventsresources::putTargetsRequest(name, p);
    removeAllTargets(targets);
    if (targets["Targets"].empty())
        return {};
    auto put = m_model->call(QStringLiteral("PutTargets"), targets, {});
    if (!put)
        return put.error();
    if ((*put).value("FailedEntryCount", 0) > 0)
        return makeError(QStringLiteral("LimitExceededException"),
            QStringLiteral("a rule takes at most 5 targets"));
    return {};
}

Result<QString> EventsModule::deleteResource(const StackResource &resource)
{
    if (!m_model)
        return QStringLiteral("removed");
    const Json &p = resource.properties;
    if (resource.type == QLatin1String("AWS::Events::EventBus")) {
        auto r = m_model->call(
            QStringLiteral("DeleteEventBus"), Json {{"Name", toStd(resource.physicalId)}}, {});
        if (!r)
            return r.error();
        return QStringLiteral("removed");
    }
    if (resource.type != QLatin1String("AWS::Events::Rule"))
        return QStringLiteral("removed");
    const Json targets = eventsresources::putTargetsRequest(resource.physicalId, p);
    removeAllTargets(targets);
    auto r = m_model->call(QStringLiteral("DeleteRule"),
        Json {{"Name", targets["Rule"]}, {"EventBusName", targets["EventBusName"]}}, {});
    if (!r && r.error().code != QLatin1String("ResourceNotFoundException"))
        return r.error();
    m_logicalIds.remove(resource.logicalId);
    return QStringLiteral("removed");
}

QList<CatalogKind> EventsModule::catalogKinds() const
{
    return {{kRuleKind, tr("Rules"),
        tr("No rules yet: give a function a Schedule or EventBridgeRule event, or run aws events "
           "put-rule --name NAME --schedule-expression 'rate(1 minute)' --endpoint-url EDGE")}};
}

QList<CatalogEntry> EventsModule::catalog() const
{
    QList<CatalogEntry> out;
    if (!m_model)
        return out;
    for (const Json &r : m_model->rules()) {
        CatalogEntry e;
        e.kind = kRuleKind;
        e.name = fromStd(r.value("Name", std::string()));
        e.arn = fromStd(r.value("Arn", std::string()));
        const QString bus = fromStd(r.value("EventBusName", std::string()));
        const bool enabled = r.value("State", std::string()) == "ENABLED";
        const QString schedule = fromStd(r.value("ScheduleExpression", std::string()));
        const int targets = r.value("TargetCount", 0);
        e.counts = {{QStringLiteral("targets"), targets}};
        QStringList status;
        if (!enabled)
            status.append(tr("disabled"));
        if (!schedule.isEmpty()) {
            e.properties.append({tr("Schedule"), schedule});
            const auto next = m_timers ? m_timers->nextDue(bus + u'/' + e.name) : std::nullopt;
            if (next) {
                status.append(tr("next %1").arg(timeText(*next)));
                e.properties.append({tr("Next tick"), timeText(*next)});
            }
            e.actions.append(kFire);
        } else {
            e.properties.append(
                {tr("Event pattern"), fromStd(r.value("EventPattern", std::string()))});
        }
        status.append(tr("%n target(s)", nullptr, targets));
        e.status = status.join(QStringLiteral(" · "));
        e.properties.append({tr("Event bus"), bus});
        QStringList arns;
        for (const Json &a : r.value("TargetArns", Json::array()))
            arns.append(fromStd(a.get<std::string>()));
        if (!arns.isEmpty())
            e.properties.append({tr("Targets"), arns.join(QStringLiteral(", "))});
        if (enabled && targets == 0)
            e.warning = tr("no targets: what it matches goes nowhere");
        e.tooltip = schedule.isEmpty() ? e.arn : schedule;
        out.append(e);
    }
    return out;
}

Result<QString> EventsModule::runAction(
    const QString &kind, const QString &name, const QString &action)
{
    if (kind != kRuleKind || action != kFire)
        return ServiceModule::runAction(kind, name, action);
    auto fired = fireNow(name);
    if (!fired)
        return fired.error();
    return tr("fired %1").arg(*fired);
}

Result<void> EventsModule::deliverMessage(const QString &arn, const TargetMessage &message)
{
    if (!m_model)
        return notRunning("events");
    return m_model->putOnBus(arn, message.attributes.value(QStringLiteral("Source")).second,
        message.attributes.value(QStringLiteral("DetailType")).second, message.body,
        {message.traceId, message.parentSpanId});
}

bool EventsModule::targetExists(const QString &arn) const
{
    return m_model && m_model->busExists(arn);
}

QList<SampleEvent> EventsModule::sampleEvents() const
{
    const QString account = QStringLiteral("123456789012");
    return {
        {QStringLiteral("schedule"), QStringLiteral("a scheduled rule's tick (Scheduled Event)"),
            {{QStringLiteral("rule"), QStringLiteral("The rule's name (my-schedule).")},
                {QStringLiteral("time"), QStringLiteral("The tick's time (now), RFC 3339.")},
                {QStringLiteral("region"), QStringLiteral("The region (us-east-1).")}},
            [account](const QMap<QString, QString> &o) -> Result<QByteArray> {
                const QString region
                    = o.value(QStringLiteral("region"), QStringLiteral("us-east-1"));
                const QString time = o.value(QStringLiteral("time"));
                const QDateTime at = time.isEmpty()
                    ? QDateTime::fromMSecsSinceEpoch(SystemClock().nowMs(), Qt::UTC)
                    : QDateTime::fromString(time, Qt::ISODateWithMs);
                if (!at.isValid())
                    return makeError(QStringLiteral("Usage"),
                        QStringLiteral("--time takes an RFC 3339 time (2026-12-01T10:00:00Z)"));
                const QString arn
                    = QStringLiteral("arn:aws:events:%1:123456789012:rule/%2")
                          .arg(region,
                              o.value(QStringLiteral("rule"), QStringLiteral("my-schedule")));
                Json event = eventsupport::eventEnvelope(QStringLiteral("Scheduled Event"),
                    QStringLiteral("aws.events"), account, region,
                    at.toMSecsSinceEpoch() * 1'000'000, Json::array({toStd(arn)}), Json::object());
                if (!time.isEmpty())
                    event["time"] = toStd(time); // as given
                return toJsonBytes(event, 2);
            }},
        {QStringLiteral("eventbridge"), QStringLiteral("an event put on a bus (PutEvents)"),
            {{QStringLiteral("source"), QStringLiteral("The source (com.example.orders).")},
                {QStringLiteral("detail-type"), QStringLiteral("The detail type (Order Placed).")},
                {QStringLiteral("detail"),
                    QStringLiteral("The detail, a JSON object ({\"orderId\":\"1234\"}).")},
                {QStringLiteral("region"), QStringLiteral("The region (us-east-1).")}},
            [account](const QMap<QString, QString> &o) -> Result<QByteArray> {
                auto detail = parseJson(
                    o.value(QStringLiteral("detail"), QStringLiteral("{\"orderId\":\"1234\"}"))
                        .toUtf8());
                if (!detail || !detail->is_object())
                    return makeError(
                        QStringLiteral("Usage"), QStringLiteral("--detail takes a JSON object"));
                return toJsonBytes(
                    eventsupport::eventEnvelope(
                        o.value(QStringLiteral("detail-type"), QStringLiteral("Order Placed")),
                        o.value(QStringLiteral("source"), QStringLiteral("com.example.orders")),
                        account, o.value(QStringLiteral("region"), QStringLiteral("us-east-1")),
                        SystemClock().nowNs(), Json::array(), std::move(*detail)),
                    2);
            }},
    };
}

// --- SchedulerModule ------------------------------------------------------------------

SchedulerModule::SchedulerModule(QObject *parent)
    : ServiceModule(parent)
    , m_api(std::make_unique<SchedulerRestApi>())
{ }

SchedulerModule::~SchedulerModule()
{
    stop();
}

HttpHandler *SchedulerModule::edgeHandler()
{
    return m_api.get();
}

Result<void> SchedulerModule::start(const EngineContext &context)
{
    m_context = context;
    m_model = std::make_unique<Scheduler>(context.region, context.accountId, context.clock);
    if (auto r = m_model->open(context.store); !r)
        return r;
    m_sender = std::make_unique<EventTargetSender>(context);
    m_model->setSender(m_sender.get());
    Scheduler *model = m_model.get();
    m_timers = std::make_unique<ScheduleTimers>(context.clock, context.tracer,
        ScheduleTimers::Hooks {QStringLiteral("scheduler"),
            [model](const QString &key, qint64 afterNs) -> std::optional<qint64> {
                const auto due = model->due(key, afterNs);
                return due ? due->nextNs : std::nullopt;
            },
            [](const QString &key) -> QString { return QStringLiteral("schedule ") + key; },
            [model](const QString &key, qint64 dueNs, const QByteArray &traceId,
                const QByteArray &spanId) { model->fire(key, dueNs, traceId, spanId); }});
    m_model->setScheduleChanged(m_timers->rearmLater());
    for (const QString &key : m_model->keys())
        m_timers->rearm(key);
    m_api->attach(model);
    return {};
}

void SchedulerModule::stop()
{
    if (m_timers)
        m_timers->stop();
}

Result<void> SchedulerModule::reloadState()
{
    if (!m_model)
        return {};
    // As EventsModule::reloadState(): the old schedules' ticks and retries go, the new rows'
    // schedules are armed from now.
    m_timers->resetAll();
    m_sender->dropRetries();
    if (auto r = m_model->reload(); !r)
        return r;
    for (const QString &key : m_model->keys())
        m_timers->rearm(key);
    return {};
}

Result<QString> SchedulerModule::fireNow(const QString &name)
{
    if (!m_model)
        return notRunning("scheduler");
    const QString key = m_model->keyOf(m_logicalIds.value(name, name));
    if (key.isEmpty())
        return makeError(QStringLiteral("ResourceNotFoundException"),
            QStringLiteral("no rule or schedule is named %1").arg(name), 404);
    m_timers->fireNow(key);
    return QStringLiteral("schedule %1").arg(key);
}

QList<const ResourceType *> SchedulerModule::resourceTypes() const
{
    return eventsresources::schedulerTypes();
}

QList<const FunctionEventType *> SchedulerModule::functionEventTypes() const
{
    return eventsresources::schedulerEvents();
}

Result<void> SchedulerModule::putResource(
    const StackResource &resource, const StackResource *previous)
{
    if (!m_model)
        return notRunning("scheduler");
    const Json &p = resource.properties;
    if (resource.type == QLatin1String("AWS::Scheduler::ScheduleGroup")) {
        if (m_model->getScheduleGroup(resource.physicalId))
            return {};
        return applied(m_model->createScheduleGroup(
            resource.physicalId, Json {{"Tags", p.value("Tags", Json::array())}}));
    }
    if (resource.type != QLatin1String("AWS::Scheduler::Schedule"))
        return ServiceModule::putResource(resource, previous);
    auto request = eventsresources::scheduleRequest(p);
    if (!request)
        return request.error();
    const QString group = fromStd(request->value("GroupName", std::string("default")));
    m_logicalIds.insert(resource.logicalId, group + u'/' + resource.physicalId);
    if (m_model->getSchedule(resource.physicalId, group))
        return applied(m_model->updateSchedule(resource.physicalId, *request));
    return applied(m_model->createSchedule(resource.physicalId, *request));
}

Result<QString> SchedulerModule::deleteResource(const StackResource &resource)
{
    if (!m_model)
        return QStringLiteral("removed");
    if (resource.type == QLatin1String("AWS::Scheduler::ScheduleGroup")) {
        auto r = m_model->deleteScheduleGroup(resource.physicalId);
        if (!r && r.error().code != QLatin1String("ResourceNotFoundException"))
            return r.error();
        return QStringLiteral("removed");
    }
    if (resource.type != QLatin1String("AWS::Scheduler::Schedule"))
        return QStringLiteral("removed");
    const QString group = fromStd(resource.properties.value("GroupName", std::string("default")));
    auto r = m_model->deleteSchedule(resource.physicalId, group);
    if (!r && r.error().code != QLatin1String("ResourceNotFoundException"))
        return r.error();
    m_logicalIds.remove(resource.logicalId);
    return QStringLiteral("removed");
}

QList<CatalogKind> SchedulerModule::catalogKinds() const
{
    return {{kScheduleKind, tr("Schedules"),
        tr("No schedules yet: give a function a ScheduleV2 event, or run aws scheduler "
           "create-schedule --endpoint-url EDGE")}};
}

QList<CatalogEntry> SchedulerModule::catalog() const
{
    QList<CatalogEntry> out;
    if (!m_model)
        return out;
    for (const Json &s : m_model->schedules()) {
        CatalogEntry e;
        e.kind = kScheduleKind;
        const QString group = fromStd(s.value("GroupName", std::string()));
        const QString name = fromStd(s.value("Name", std::string()));
        e.name = group == QLatin1String("default") ? name : group + u'/' + name;
        e.arn = fromStd(s.value("Arn", std::string()));
        const QString expression = fromStd(s.value("ScheduleExpression", std::string()));
        const QString zone = fromStd(s.value("ScheduleExpressionTimezone", std::string()));
        const bool enabled = s.value("State", std::string()) == "ENABLED";
        QStringList status;
        if (!enabled)
            status.append(tr("disabled"));
        const auto next = m_timers ? m_timers->nextDue(group + u'/' + name) : std::nullopt;
        if (next)
            status.append(tr("next %1").arg(timeText(*next)));
        else if (enabled)
            status.append(tr("will not fire again"));
        e.status = status.join(QStringLiteral(" · "));
        e.properties
            = {{tr("Schedule"), expression}, {tr("Time zone"), zone}, {tr("Group"), group}};
        if (next)
            e.properties.append({tr("Next tick"), timeText(*next)});
        const Json target = s.value("Target", Json::object());
        if (target.is_object())
            e.properties.append({tr("Target"), fromStd(target.value("Arn", std::string()))});
        e.tooltip = expression;
        e.actions = {kFire};
        out.append(e);
    }
    return out;
}

Result<QString> SchedulerModule::runAction(
    const QString &kind, const QString &name, const QString &action)
{
    if (kind != kScheduleKind || action != kFire)
        return ServiceModule::runAction(kind, name, action);
    auto fired = fireNow(name);
    if (!fired)
        return fired.error();
    return tr("fired %1").arg(*fired);
}

} // namespace tarmac
