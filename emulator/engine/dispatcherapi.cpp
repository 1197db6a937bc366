#include "engine/dispatcherapi.h"

#include "base/json.h"
#include "engine/dispatcher.h"

#include <QDateTime>

namespace tarmac {

namespace {

HttpResponse jsonResponse(int status, const Json &body)
{
    return HttpResponse::json(status, toJsonBytes(body));
}

HttpResponse errorResponse(const Error &error)
{
    return jsonResponse(
        error.httpStatus, Json {{"__type", toStd(error.code)}, {"message", toStd(error.message)}});
}

HttpResponse errorResponse(int status, const char *code, const QString &message)
{
    return errorResponse(makeError(QString::fromLatin1(code), message, status));
}

std::string isoTime(qint64 ns)
{
    if (ns <= 0)
        return {};
    return QDateTime::fromMSecsSinceEpoch(ns / 1'000'000, Qt::UTC)
        .toString(Qt::ISODateWithMs)
        .toStdString();
}

// A payload as JSON when it is JSON (events are), else as text.
void putPayload(Json &out, const char *key, const QByteArray &payload)
{
    auto parsed = parseJson(payload);
    if (parsed)
        out[key] = std::move(*parsed);
    else
        out[std::string(key) + "Text"] = payload.toStdString();
}

} // namespace

// "logicalId": the template's name for the function, when it has one other than its name.
void DispatcherApi::putLogicalId(Json &j, const Names &names)
{
    const auto it = j.find("function");
    if (!names.logical || it == j.end() || !it->is_string())
        return;
    const QString function = fromStd(it->get<std::string>());
    const QString logical = names.logical(function);
    if (!logical.isEmpty() && logical != function)
        j["logicalId"] = toStd(logical);
}

Json DispatcherApi::breakpointJson(const Breakpoint &bp)
{
    Json j = {{"id", bp.id}, {"enabled", bp.enabled}, {"hits", bp.hits}};
    if (!bp.functionName.isEmpty())
        j["function"] = toStd(bp.functionName);
    if (!bp.origin.isEmpty())
        j["origin"] = toStd(bp.origin);
    if (bp.predicate) {
        j["path"] = toStd(bp.predicate->path.text());
        j["op"] = toStd(JsonPredicate::opName(bp.predicate->op));
        if (bp.predicate->op != JsonPredicate::Op::Exists)
            j["value"] = bp.predicate->value;
    }
    return j;
}

Json DispatcherApi::pendingJson(const PendingDelivery &p)
{
    Json j = {{"id", p.id.toStdString()}, {"function", toStd(p.functionName)},
        {"qualifier", toStd(p.qualifier)}, {"origin", toStd(p.origin)}, {"async", p.async},
        {"traceId", p.traceId.toStdString()}, {"submittedAt", isoTime(p.submittedNs)},
        {"reason", p.breakpointId ? "breakpoint" : "paused"}};
    if (p.breakpointId)
        j["breakpoint"] = p.breakpointId;
    putPayload(j, "payload", p.payload);
    return j;
}

Json DispatcherApi::recordJson(const DeliveryRecord &r, bool withBodies)
{
    Json j = {{"sequence", r.sequence}, {"id", r.id.toStdString()},
        {"function", toStd(r.functionName)}, {"qualifier", toStd(r.qualifier)},
        {"origin", toStd(r.origin)}, {"async", r.async}, {"status", toStd(r.status)},
        {"traceId", r.traceId.toStdString()}, {"spanId", r.spanId.toStdString()},
        {"submittedAt", isoTime(r.submittedNs)}, {"submittedNs", r.submittedNs},
        {"startedNs", r.startedNs}, {"finishedNs", r.finishedNs}, {"durationNs", r.durationNs},
        {"edited", !r.originalPayload.isNull()}};
    if (!r.errorType.isEmpty())
        j["errorType"] = toStd(r.errorType);
    if (!r.errorMessage.isEmpty())
        j["errorMessage"] = toStd(r.errorMessage);
    if (r.breakpointId)
        j["breakpoint"] = r.breakpointId;
    if (withBodies) {
        putPayload(j, "payload", r.payload);
        if (!r.originalPayload.isNull())
            putPayload(j, "originalPayload", r.originalPayload);
        if (!r.result.isNull())
            putPayload(j, "result", r.result);
    }
    return j;
}

namespace {

Error invalidRequest(const QString &message)
{
    return makeError(QStringLiteral("InvalidRequest"), message, 400);
}

} // namespace

Result<Breakpoint> DispatcherApi::breakpointFromJson(const Json &body)
{
    if (!body.is_object())
        return invalidRequest(QStringLiteral("a breakpoint is a JSON object"));
    Breakpoint bp;
    JsonFields f(body);
    bp.functionName = f.string("function").value_or(QString());
    bp.origin = f.string("origin").value_or(QString());
    bp.enabled = f.boolean("enabled").value_or(bp.enabled);
    const QString path = f.string("path").value_or(QString());
    const QString opText = f.string("op").value_or(QString());
    const Json *value = f.value("value");
    if (!f.ok())
        return invalidRequest(f.error()->message());
    if (!path.isEmpty()) {
        auto parsed = JsonPath::parse(path);
        if (!parsed)
            return parsed.error();
        JsonPredicate predicate;
        predicate.path = std::move(*parsed);
        const bool hasValue = body.contains("value");
        if (opText.isEmpty()) {
            predicate.op = hasValue ? JsonPredicate::Op::Equals : JsonPredicate::Op::Exists;
        } else {
            auto op = JsonPredicate::opFromName(opText);
            if (!op)
                return makeError(QStringLiteral("InvalidRequest"),
                    QStringLiteral("op is one of exists, equals, notEquals, contains, not '%1'")
                        .arg(opText),
                    400);
            predicate.op = *op;
        }
        if (predicate.op != JsonPredicate::Op::Exists) {
            if (!hasValue)
                return makeError(QStringLiteral("InvalidRequest"),
                    QStringLiteral("op %1 needs a value").arg(JsonPredicate::opName(predicate.op)),
                    400);
            // A null value is a value to compare with, unlike a null field elsewhere.
            predicate.value = value ? *value : Json();
        }
        bp.predicate = std::move(predicate);
    } else if (body.contains("op") || body.contains("value")) {
        return makeError(
            QStringLiteral("InvalidRequest"), QStringLiteral("op and value need a path"), 400);
    }
    return bp;
}

Json DispatcherApi::stateJson(Dispatcher *d, const Names &names)
{
    Json bps = Json::array();
    for (const Breakpoint &bp : d->breakpoints()) {
        Json j = breakpointJson(bp);
        putLogicalId(j, names);
        bps.push_back(std::move(j));
    }
    return Json {{"paused", d->isPaused()}, {"pending", d->pending().size()}, {"breakpoints", bps}};
}

DispatcherApi::DispatcherApi(Dispatcher *dispatcher, Names names)
    : m_dispatcher(dispatcher)
    , m_names(std::move(names))
{ }

QString DispatcherApi::physical(const QString &name) const
{
    return m_names.physical && !name.isEmpty() ? m_names.physical(name) : name;
}

qint64 DispatcherApi::maxBodySize(const HttpRequest &) const
{
    return 16 * 1024 * 1024; // an edited payload may be as large as an invocation's
}

void DispatcherApi::handle(HttpRequest &&request, HttpResponder responder)
{
    HttpResponse r = route(request);
    r.service = QStringLiteral("tarmac");
    if (r.operation.isEmpty())
        r.operation = QStringLiteral("Dispatch");
    responder.send(std::move(r));
}

HttpResponse DispatcherApi::route(const HttpRequest &request)
{
    QByteArray path = request.decodedPath().mid(qsizetype(qstrlen(prefix)));
    if (path.endsWith('/'))
        path.chop(1);
    const QByteArray &method = request.method;
    const QList<QByteArray> parts = path.isEmpty() ? QList<QByteArray>() : path.mid(1).split('/');

    const auto named = [this](Json j) {
        putLogicalId(j, m_names);
        return j;
    };
    const auto body = [&request]() -> Result<Json> {
        if (request.body.isEmpty())
            return Json::object();
        return parseJson(request.body.toByteArray());
    };

    if (parts.isEmpty()) {
        if (method != "GET")
            return errorResponse(
                405, "MethodNotAllowed", QStringLiteral("GET %1").arg(QLatin1String(prefix)));
        return jsonResponse(200, stateJson(m_dispatcher, m_names));
    }
    const QByteArray &what = parts[0];
    if (parts.size() == 1 && (what == "pause" || what == "resume")) {
        if (method != "POST")
            return errorResponse(405, "MethodNotAllowed", QStringLiteral("use POST"));
        if (what == "pause")
            m_dispatcher->pause();
        else
            m_dispatcher->resume();
        return jsonResponse(200, stateJson(m_dispatcher, m_names));
    }
    if (parts.size() == 1 && what == "step") {
        if (method != "POST")
            return errorResponse(405, "MethodNotAllowed", QStringLiteral("use POST"));
        auto id = m_dispatcher->step();
        if (!id)
            return errorResponse(id.error());
        return jsonResponse(200, Json {{"delivered", id->toStdString()}});
    }
    if (what == "pending") {
        if (parts.size() == 1) {
            if (method != "GET")
                return errorResponse(405, "MethodNotAllowed", QStringLiteral("use GET"));
            Json list = Json::array();
            for (const PendingDelivery &p : m_dispatcher->pending())
                list.push_back(named(pendingJson(p)));
            return jsonResponse(200, Json {{"pending", list}});
        }
        if (parts.size() == 3 && method == "POST") {
            const QByteArray &id = parts[1];
            if (parts[2] == "drop") {
                if (auto r = m_dispatcher->drop(id); !r)
                    return errorResponse(r.error());
                return jsonResponse(200, Json {{"dropped", id.toStdString()}});
            }
            if (parts[2] == "deliver") {
                auto json = body();
                if (!json || !json->is_object())
                    return errorResponse(400, "InvalidRequest",
                        QStringLiteral("the body is a JSON object: {\"payload\": …} or {}"));
                JsonFields f(*json);
                std::optional<QByteArray> payload;
                const std::optional<QByteArray> text = f.bytes("payloadText");
                if (!f.ok())
                    return errorResponse(invalidRequest(f.error()->message()));
                if (auto it = json->find("payload"); it != json->end())
                    payload = toJsonBytes(*it);
                else if (text)
                    payload = text;
                if (auto r = m_dispatcher->release(id, payload); !r)
                    return errorResponse(r.error());
                return jsonResponse(
                    200, Json {{"delivered", id.toStdString()}, {"edited", payload.has_value()}});
            }
        }
        return errorResponse(
            404, "NotFound", QStringLiteral("POST pending/{id}/deliver or pending/{id}/drop"));
    }
    if (what == "breakpoints") {
        if (parts.size() == 1 && method == "GET") {
            Json list = Json::array();
            for (const Breakpoint &bp : m_dispatcher->breakpoints())
                list.push_back(named(breakpointJson(bp)));
            return jsonResponse(200, Json {{"breakpoints", list}});
        }
        if (parts.size() == 1 && method == "POST") {
            auto json = body();
            if (!json)
                return errorResponse(400, "InvalidRequest", json.error().message);
            auto bp = breakpointFromJson(*json);
            if (!bp)
                return errorResponse(bp.error());
            bp->functionName = physical(bp->functionName);
            auto added = m_dispatcher->addBreakpoint(std::move(*bp));
            if (!added)
                return errorResponse(added.error());
            return jsonResponse(201, named(breakpointJson(*added)));
        }
        if (parts.size() == 2 && method == "DELETE") {
            bool ok = false;
            const int id = parts[1].toInt(&ok);
            if (!ok)
                return errorResponse(404, "NotFound",
                    QStringLiteral("no breakpoint %1").arg(QString::fromUtf8(parts[1])));
            if (auto r = m_dispatcher->removeBreakpoint(id); !r)
                return errorResponse(r.error());
            HttpResponse r;
            r.status = 204;
            return r;
        }
        return errorResponse(405, "MethodNotAllowed",
            QStringLiteral("GET or POST breakpoints, DELETE breakpoints/{id}"));
    }
    if (what == "deliveries" && method == "GET") {
        if (parts.size() == 1) {
            int limit = 100;
            if (request.hasQueryItem("limit")) {
                bool ok = false;
                limit = request.queryItem("limit").toInt(&ok);
                if (!ok || limit < 1 || limit > 10000)
                    return errorResponse(400, "InvalidRequest",
                        QStringLiteral("limit takes a whole number from 1 to 10000, not '%1'")
                            .arg(QString::fromUtf8(request.queryItem("limit"))));
            }
            auto records = m_dispatcher->records(
                physical(QString::fromUtf8(request.queryItem("function"))), limit);
            if (!records)
                return errorResponse(records.error());
            const bool bodies
                = request.queryItem("bodies") == "1" || request.queryItem("bodies") == "true";
            Json list = Json::array();
            for (const DeliveryRecord &r : *records)
                list.push_back(named(recordJson(r, bodies)));
            return jsonResponse(200, Json {{"deliveries", list}});
        }
        if (parts.size() == 2) {
            auto record = m_dispatcher->record(parts[1]);
            if (!record)
                return errorResponse(record.error());
            return jsonResponse(200, named(recordJson(*record, true)));
        }
    }
    return errorResponse(404, "NotFound",
        QStringLiteral("no dispatcher endpoint %1 %2")
            .arg(QString::fromLatin1(method), QString::fromUtf8(path.left(200))));
}

} // namespace tarmac
