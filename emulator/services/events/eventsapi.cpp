#include "services/events/eventsapi.h"

#include "base/json.h"
#include "http/awserror.h"
#include "services/events/eventbridge.h"
#include "services/events/scheduler.h"

namespace tarmac {

namespace {

constexpr QByteArrayView kTargetPrefix = "AWSEvents.";

HttpResponse jsonAnswer(const Result<Json> &r, AwsProtocol protocol, const HttpRequest &request)
{
    if (!r)
        return awsErrorResponse(protocol, r.error(), request.requestId);
    HttpResponse response = HttpResponse::json(200, toJsonBytes(*r));
    if (protocol == AwsProtocol::Json)
        response.headers.set("Content-Type", "application/x-amz-json-1.1");
    return response;
}

Error notStarted(const char *service)
{
    return makeError(QStringLiteral("ServiceUnavailable"),
        QStringLiteral("the %1 module has not started").arg(QLatin1String(service)), 503);
}

} // namespace

qint64 EventsJsonApi::maxBodySize(const HttpRequest &head) const
{
    Q_UNUSED(head);
    return 2 * 1024 * 1024; // ten 256 KB entries, escaped
}

HttpResponse EventsJsonApi::internalError(const HttpRequest &head, const QString &message) const
{
    return awsErrorResponse(AwsProtocol::Json,
        makeError(QStringLiteral("InternalException"), message, 500), head.requestId);
}

void EventsJsonApi::handle(HttpRequest &&request, HttpResponder responder)
{
    EventBridge *model = m_model.load();
    if (!model) {
        responder.send(
            awsErrorResponse(AwsProtocol::Json, notStarted("events"), request.requestId));
        return;
    }
    const QByteArray target = request.header("x-amz-target");
    if (!target.startsWith(kTargetPrefix)) {
        responder.send(awsErrorResponse(AwsProtocol::Json,
            makeError(QStringLiteral("UnknownOperationException"),
                QStringLiteral("EventBridge takes JSON requests with X-Amz-Target: "
                               "AWSEvents.<Operation>"),
                400),
            request.requestId));
        return;
    }
    const QByteArray bytes = request.body.toByteArray();
    auto body = parseJson(bytes.isEmpty() ? QByteArray("{}") : bytes);
    if (!body || !body->is_object()) {
        responder.send(awsErrorResponse(AwsProtocol::Json,
            makeError(QStringLiteral("SerializationException"),
                QStringLiteral("The request body is not a JSON object"), 400),
            request.requestId));
        return;
    }
    const QString operation = QString::fromUtf8(target.mid(kTargetPrefix.size()));
    const auto answer
        = model->call(operation, *body, EventBridge::CallContext {request.traceId, request.spanId});
    responder.send(jsonAnswer(answer, AwsProtocol::Json, request));
}

namespace {

QString param(const RestPathParams &p, const char *name)
{
    return p.text(name);
}

QString query(const HttpRequest &r, const char *name)
{
    return QString::fromUtf8(r.queryItem(name));
}

} // namespace

SchedulerRestApi::SchedulerRestApi()
{
    using R = const HttpRequest &;
    using P = const RestPathParams &;
    using B = const Json &;
    m_routes
        .add("POST", "/schedules/{Name}", QStringLiteral("CreateSchedule"),
            [](Scheduler &s, R, P p, B b) { return s.createSchedule(param(p, "Name"), b); })
        .add("PUT", "/schedules/{Name}", QStringLiteral("UpdateSchedule"),
            [](Scheduler &s, R, P p, B b) { return s.updateSchedule(param(p, "Name"), b); })
        .add("GET", "/schedules/{Name}", QStringLiteral("GetSchedule"),
            [](Scheduler &s, R r, P p, B) {
                return s.getSchedule(param(p, "Name"), query(r, "groupName"));
            })
        .add("DELETE", "/schedules/{Name}", QStringLiteral("DeleteSchedule"),
            [](Scheduler &s, R r, P p, B) {
                return s.deleteSchedule(param(p, "Name"), query(r, "groupName"));
            })
        .add("GET", "/schedules", QStringLiteral("ListSchedules"),
            [](Scheduler &s, R r, P, B) {
                return s.listSchedules(query(r, "NamePrefix"), query(r, "ScheduleGroup"),
                    query(r, "State"), query(r, "NextToken"), query(r, "MaxResults"));
            })
        .add("POST", "/schedule-groups/{Name}", QStringLiteral("CreateScheduleGroup"),
            [](Scheduler &s, R, P p, B b) { return s.createScheduleGroup(param(p, "Name"), b); })
        .add("GET", "/schedule-groups/{Name}", QStringLiteral("GetScheduleGroup"),
            [](Scheduler &s, R, P p, B) { return s.getScheduleGroup(param(p, "Name")); })
        .add("DELETE", "/schedule-groups/{Name}", QStringLiteral("DeleteScheduleGroup"),
            [](Scheduler &s, R, P p, B) { return s.deleteScheduleGroup(param(p, "Name")); })
        .add("GET", "/schedule-groups", QStringLiteral("ListScheduleGroups"),
            [](Scheduler &s, R r, P, B) {
                return s.listScheduleGroups(
                    query(r, "NamePrefix"), query(r, "NextToken"), query(r, "MaxResults"));
            })
        .add("POST", "/tags/{ResourceArn}", QStringLiteral("TagResource"),
            [](Scheduler &s, R, P p, B b) { return s.tagResource(param(p, "ResourceArn"), b); })
        .add("DELETE", "/tags/{ResourceArn}", QStringLiteral("UntagResource"),
            [](Scheduler &s, R r, P p, B) {
                QStringList keys;
                for (const auto &[k, v] : r.queryItems()) {
                    if (k == "TagKeys")
                        keys.append(QString::fromUtf8(v));
                }
                return s.untagResource(param(p, "ResourceArn"), keys);
            })
        .add("GET", "/tags/{ResourceArn}", QStringLiteral("ListTagsForResource"),
            [](Scheduler &s, R, P p, B) { return s.listTagsForResource(param(p, "ResourceArn")); });
}

qint64 SchedulerRestApi::maxBodySize(const HttpRequest &head) const
{
    Q_UNUSED(head);
    return 1024 * 1024;
}

HttpResponse SchedulerRestApi::internalError(const HttpRequest &head, const QString &message) const
{
    return awsErrorResponse(AwsProtocol::RestJson,
        makeError(QStringLiteral("InternalServerException"), message, 500), head.requestId);
}

void SchedulerRestApi::handle(HttpRequest &&request, HttpResponder responder)
{
    Scheduler *model = m_model.load();
    if (!model) {
        responder.send(
            awsErrorResponse(AwsProtocol::RestJson, notStarted("scheduler"), request.requestId));
        return;
    }
    const auto match = m_routes.match(request.method, request.path);
    if (!match) {
        responder.send(awsErrorResponse(AwsProtocol::RestJson,
            makeError(QStringLiteral("ValidationException"),
                QStringLiteral("No EventBridge Scheduler operation is %1 %2")
                    .arg(QString::fromUtf8(request.method),
                        QString::fromUtf8(request.decodedPath())),
                400),
            request.requestId));
        return;
    }
    const QByteArray bytes = request.body.toByteArray();
    Json body = Json::object();
    if (!bytes.trimmed().isEmpty()) {
        auto parsed = parseJson(bytes);
        if (!parsed || !parsed->is_object()) {
            responder.send(awsErrorResponse(AwsProtocol::RestJson,
                makeError(QStringLiteral("ValidationException"),
                    QStringLiteral("The request body is not a JSON object"), 400),
                request.requestId));
            return;
        }
        body = std::move(*parsed);
    }
    responder.send(jsonAnswer(match->route->operation(*model, request, match->params, body),
        AwsProtocol::RestJson, request));
}

} // namespace tarmac
