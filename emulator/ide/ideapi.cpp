#include "ide/ideapi.h"

#include "base/clock.h"
#include "base/json.h"
#include "engine/clockapi.h"
#include "engine/dispatcher.h"
#include "engine/dispatcherapi.h"
#include "engine/engine.h"
#include "engine/stackapplier.h"
#include "engine/stackcommands.h"
#include "http/httphandler.h"
#include "http/serviceregistry.h"
#include "ide/idejson.h"
#include "ide/jsonrpc.h"
#include "replay/replayer.h"
#include "trace/tracequery.h"
#include "trace/tracer.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QHash>
#include <QSet>

#include <memory>

namespace tarmac {

namespace {

using EngineFn = std::function<Result<Json>(Engine &engine, const Json &params)>;

Error fieldError(const JsonFields &f)
{
    return invalidParams(f.error()->message());
}

DispatcherApi::Names namesOf(Engine &e)
{
    return {[&e](const QString &n) { return e.physicalName(n); },
        [&e](const QString &n) { return e.logicalName(n); }};
}

Json named(Engine &e, Json j)
{
    DispatcherApi::putLogicalId(j, namesOf(e));
    return j;
}

Result<Dispatcher *> dispatcherOf(Engine &e)
{
    if (!e.dispatcher())
        return makeError(QStringLiteral("ServiceUnavailable"), QStringLiteral("not running"));
    return e.dispatcher();
}

// A method of the Dispatcher's, on the engine's thread.
JsonRpc::Handler onDispatcher(
    const IdeContext &c, std::function<Result<Json>(Engine &, Dispatcher &, const Json &)> fn)
{
    return engineMethod(c, [fn = std::move(fn)](Engine &e, const Json &params) -> Result<Json> {
        auto d = dispatcherOf(e);
        if (!d)
            return d.error();
        return fn(e, **d, params);
    });
}

// The "id" parameter a delivery method needs.
Result<QByteArray> deliveryId(const Json &params, const char *what)
{
    JsonFields f(params);
    const auto id = f.bytes("id");
    if (!f.ok())
        return fieldError(f);
    if (!id)
        return invalidParams(QStringLiteral("id (%1) is required").arg(QLatin1String(what)));
    return *id;
}

// A time parameter: epoch milliseconds, or an RFC 3339 string; in nanoseconds.
std::optional<qint64> timeParam(const Json &params, const char *key, std::optional<Error> &error)
{
    const auto it = params.find(key);
    if (it == params.end() || it->is_null())
        return std::nullopt;
    if (it->is_number()) {
        const double ms = it->get<double>();
        if (std::isfinite(ms) && ms >= 0 && ms < 9.0e12)
            return qint64(ms * 1e6);
    } else if (it->is_string()) {
        const QDateTime at
            = QDateTime::fromString(fromStd(it->get<std::string>()), Qt::ISODateWithMs);
        if (at.isValid() && at.toMSecsSinceEpoch() >= 0
            && at.toMSecsSinceEpoch() < 9'000'000'000'000)
            return at.toMSecsSinceEpoch() * 1'000'000;
    }
    error = invalidParams(QStringLiteral("%1 is a time: epoch milliseconds or an RFC 3339 string "
                                         "(\"2026-12-01T10:00:00Z\")")
                              .arg(QLatin1String(key)));
    return std::nullopt;
}

int limitParam(JsonFields &f, int fallback, int max, std::optional<Error> &error)
{
    const auto limit = f.integer("limit");
    if (!f.ok()) {
        error = fieldError(f);
        return fallback;
    }
    if (limit && (*limit < 1 || *limit > max)) {
        error = invalidParams(QStringLiteral("limit is from 1 to %1").arg(max));
        return fallback;
    }
    return limit.value_or(fallback);
}

bool isTraceIdText(const QString &id)
{
    if (id.size() != 32)
        return false;
    for (QChar c : id) {
        if (!c.isDigit() && !(c >= u'a' && c <= u'f') && !(c >= u'A' && c <= u'F'))
            return false;
    }
    return true;
}

// ---- tarmac.*, project.* ---------------------------------------------------------------

Json info(Engine &e, const QStringList &methods, const Json &stats)
{
    Json ports = Json::object();
    Json urls = Json::object();
    const auto add = [&](const char *name, const QUrl &url) {
        if (url.isEmpty() || url.port() <= 0)
            return;
        ports[name] = url.port();
        urls[name] = toStd(url.toString());
    };
    add("edge", e.edgeUrl());
    add("api", e.portUrl(QStringLiteral("api")));
    add("ide", e.ideUrl());
    Json out = {{"version", TARMAC_VERSION}, {"ports", ports}, {"urls", urls},
        {"state", toStd(e.stateDir())}, {"ephemeral", e.options().ephemeral},
        {"project",
            e.options().projectPath.isEmpty() ? Json(nullptr)
                                              : Json(toStd(e.options().projectPath))},
        {"pid", QCoreApplication::applicationPid()}};
    Json names = Json::array();
    for (const QString &m : methods)
        names.push_back(toStd(m));
    out["methods"] = std::move(names);
    out["ide"] = stats;
    if (e.stack()) {
        Json status = e.stack()->status();
        out["template"] = status.value("path", Json(nullptr));
        out["fidelity"] = status.value("fidelity", Json::object());
        if (status.contains("error"))
            out["templateError"] = status["error"];
    } else {
        out["template"] = nullptr;
        out["fidelity"] = Json {{"unsupported", 0}, {"ignored", 0}, {"items", Json::array()}};
    }
    return out;
}

Json changesJson(const QStringList &changes)
{
    Json list = Json::array();
    for (const QString &c : changes)
        list.push_back(toStd(c));
    return Json {{"changes", list}};
}

// ---- functions.* -----------------------------------------------------------------------

void invokeFunction(const IdeContext &c, const Json &params, JsonRpc::Respond respond)
{
    JsonFields f(params);
    const auto function = f.string("function");
    const auto type = f.string("invocationType");
    const auto logType = f.string("logType");
    const Json *payload = f.value("payload");
    const auto payloadText = f.bytes("payloadText");
    if (!f.ok())
        return respond(fieldError(f));
    if (!function || function->isEmpty())
        return respond(
            invalidParams(QStringLiteral("function (a name, logical id or ARN) is required")));
    if (type && *type != QLatin1String("RequestResponse") && *type != QLatin1String("Event"))
        return respond(
            invalidParams(QStringLiteral("invocationType is RequestResponse or Event, not %1")
                              .arg(type->left(100))));
    if (logType && *logType != QLatin1String("Tail") && *logType != QLatin1String("None"))
        return respond(invalidParams(QStringLiteral("logType is Tail or None")));
    Engine::Invocation inv;
    inv.function = *function;
    inv.payload = payload ? toJsonBytes(*payload) : payloadText.value_or(QByteArray("{}"));
    inv.async = type && *type == QLatin1String("Event");
    inv.tailLogs = !logType || *logType == QLatin1String("Tail");
    c.onEngine([e = c.engine, inv = std::move(inv), respond] {
        auto invoked = e->invoke(inv, [respond](const DeliveryResult &r) {
            if (!r.delivered) {
                respond(makeError(
                    r.errorType.isEmpty() ? QStringLiteral("Tarmac.Undelivered") : r.errorType,
                    r.errorMessage.isEmpty() ? QStringLiteral("the event was not delivered")
                                             : r.errorMessage));
                return;
            }
            Json out = {{"statusCode", 200}, {"requestId", r.requestId.toStdString()},
                {"durationMs", idejson::ms(r.durationNs)}};
            if (auto parsed = parseJson(r.payload); parsed)
                out["payload"] = std::move(*parsed);
            else
                out["payloadText"] = r.payload.toStdString();
            if (r.functionError) {
                out["functionError"] = "Unhandled";
                out["errorType"] = toStd(r.errorType);
            }
            if (!r.logTail.isEmpty())
                out["logTail"] = r.logTail.toStdString();
            respond(out);
        });
        if (!invoked)
            return respond(invoked.error());
        if (inv.async)
            respond(Json {{"statusCode", 202}, {"requestId", invoked->id.toStdString()},
                {"traceId", invoked->traceId.toStdString()}});
    });
}

// ---- replay.* --------------------------------------------------------------------------

// Recorded deliveries delivered again (Tarmac's own recordings; captures from production are
// `tarmac replay`'s), one after another in the order given. Engine thread.
struct ReplayRun
{
    QString id;
    QList<QByteArray> deliveries;
    int next = 0;
    int finished = 0;
    Json results = Json::array();
    bool done = false;
    qint64 startedMs = 0;
};

} // namespace

// The replays the IDE's replay.* methods and the edge's /_tarmac/replays share. Engine thread.
struct Replays
{
    QHash<QString, std::shared_ptr<ReplayRun>> runs;
    // Captures (replay/), played by a Replayer each.
    QHash<QString, std::shared_ptr<Replayer>> captures;
    int nextId = 1;
};

std::shared_ptr<Replays> makeReplays()
{
    return std::make_shared<Replays>();
}

namespace {

Json captureStatus(const QString &id, const Replayer &replayer)
{
    Json results = Json::array();
    for (const Replayer::Result &r : replayer.results()) {
        Json item
            = {{"event", r.record.index}, {"function", toStd(r.function)}, {"kind", toStd(r.kind)},
                {"status",
                    !r.outcome.delivered          ? "undelivered"
                        : r.outcome.functionError ? "failed"
                                                  : "succeeded"},
                {"held", r.mismatches.isEmpty()}, {"traceId", r.traceId.toStdString()},
                {"durationMs", r.durationMs}};
        Json mismatches = Json::array();
        for (const QString &m : r.mismatches)
            mismatches.push_back(toStd(m));
        item["mismatches"] = std::move(mismatches);
        if (!r.outcome.errorType.isEmpty())
            item["errorType"] = toStd(r.outcome.errorType);
        results.push_back(std::move(item));
    }
    return Json {{"id", toStd(id)}, {"state", replayer.isDone() ? "done" : "running"},
        {"total", replayer.total()}, {"finished", replayer.results().size()}, {"results", results}};
}

// replay.start {"capture": text, "target"?, "map"?: {OLD: NEW}, "speed"?, "settle"?}: a
// capture played against this engine as `tarmac replay` plays it against an engine of its own.
Result<Json> startCapture(Engine &e, Replays &replays, const Json &params)
{
    JsonFields f(params);
    const auto text = f.bytes("capture");
    const auto target = f.string("target");
    const auto map = f.stringMap("map");
    const auto speed = f.number("speed");
    const auto settle = f.boolean("settle");
    if (!f.ok())
        return fieldError(f);
    if (speed && !(*speed > 0 && *speed <= 1e6))
        return invalidParams(QStringLiteral("speed is a number above 0 (at most 1000000)"));
    auto capture = readCapture(text.value_or(QByteArray()));
    if (!capture)
        return invalidParams(capture.error().message);
    Replayer::Options options;
    options.defaultTarget = target.value_or(QString());
    options.speed = speed.value_or(0);
    options.settle = settle.value_or(false);
    if (map) {
        for (auto it = map->cbegin(); it != map->cend(); ++it)
            options.mappings.append(Mapping {it.key(), it.value()});
    }
    const QString id = QStringLiteral("replay-%1").arg(replays.nextId++);
    auto replayer = std::make_shared<Replayer>(&e, std::move(*capture), options);
    replays.captures.insert(id, replayer);
    replayer->start();
    return captureStatus(id, *replayer);
}

void replayNext(
    Engine *e, std::shared_ptr<ReplayRun> run, std::function<void(std::function<void()>)> onEngine)
{
    while (run->next < run->deliveries.size()) {
        const QByteArray original = run->deliveries[run->next++];
        Json result = {{"delivery", original.toStdString()}};
        Dispatcher *d = e->dispatcher();
        auto record = d ? d->record(original)
                        : Result<DeliveryRecord>(makeError(
                            QStringLiteral("ServiceUnavailable"), QStringLiteral("not running")));
        if (!record) {
            result["status"] = "failed";
            result["errorType"] = toStd(record.error().code);
            result["errorMessage"] = toStd(record.error().message);
            run->results.push_back(result);
            ++run->finished;
            continue;
        }
        Engine::Invocation inv;
        inv.function = record->functionName;
        inv.payload = record->payload;
        inv.async = record->async;
        inv.origin = QStringLiteral("replay");
        const int index = int(run->results.size());
        run->results.push_back(result);
        auto invoked = e->invoke(inv, [e, run, index, onEngine](const DeliveryResult &r) {
            onEngine([e, run, index, r, onEngine] {
                Json &slot = run->results[size_t(index)];
                slot["status"] = !r.delivered ? "undelivered"
                    : r.functionError         ? "failed"
                                              : "succeeded";
                if (!r.errorType.isEmpty())
                    slot["errorType"] = toStd(r.errorType);
                ++run->finished;
                replayNext(e, run, onEngine);
            });
        });
        if (!invoked) {
            Json &slot = run->results[size_t(index)];
            slot["status"] = "failed";
            slot["errorType"] = toStd(invoked.error().code);
            slot["errorMessage"] = toStd(invoked.error().message);
            ++run->finished;
            continue;
        }
        run->results[size_t(index)]["replay"] = invoked->id.toStdString();
        run->results[size_t(index)]["traceId"] = invoked->traceId.toStdString();
        if (inv.async) {
            run->results[size_t(index)]["status"] = "submitted";
            ++run->finished;
            continue;
        }
        return; // the next one when this one is done
    }
    run->done = run->finished >= run->deliveries.size();
}

Json replayStatus(const ReplayRun &run)
{
    return Json {{"id", toStd(run.id)}, {"state", run.done ? "done" : "running"},
        {"total", run.deliveries.size()}, {"finished", run.finished}, {"results", run.results}};
}

// ---- traces.*, logs.* (IDE thread) -----------------------------------------------------

Result<Json> queryTraces(const IdeContext &c, const Json &params)
{
    std::optional<Error> error;
    JsonFields f(params);
    const auto service = f.string("service");
    const auto function = f.string("function");
    const auto status = f.string("status");
    const auto text = f.string("text");
    const int limit = limitParam(f, 100, 10'000, error);
    if (!f.ok())
        return fieldError(f);
    const auto from = timeParam(params, "from", error);
    const auto to = timeParam(params, "to", error);
    if (error)
        return *error;
    if (status && *status != QLatin1String("ok") && *status != QLatin1String("error")
        && *status != QLatin1String("unset"))
        return invalidParams(QStringLiteral("status is ok, error or unset"));
    auto traces = c.traces();
    if (!traces)
        return traces.error();
    const QString physical = function ? c.engine->physicalName(*function) : QString();
    // Spans that match, newest traces first; a trace is listed once, with what matched.
    struct Found
    {
        Json root;
        qint64 startNs = 0;
        qint64 endNs = 0;
        int spans = 0;
        bool error = false;
    };
    QHash<QByteArray, Found> found;
    QList<QByteArray> order;
    // Without a range: the last hour of what is stored.
    qint64 fromNs = 0;
    if (from) {
        fromNs = *from;
    } else if (!to) {
        auto extent = (*traces)->extent();
        if (!extent)
            return extent.error();
        fromNs = std::max<qint64>(0, extent->endNs - 3600LL * 1'000'000'000);
    }
    const qint64 toNs = to.value_or(std::numeric_limits<qint64>::max());
    auto scanned = (*traces)->scanSpans(fromNs, toNs, -1, [&](const TraceQuery::SpanSummary &s) {
        if (service && s.service != *service)
            return true;
        if (function && s.function != physical && s.function != *function)
            return true;
        if (status && *status != QLatin1String(idejson::statusName(s.statusCode)))
            return true;
        if (text && !s.name.contains(*text, Qt::CaseInsensitive)
            && !s.service.contains(*text, Qt::CaseInsensitive)
            && !s.function.contains(*text, Qt::CaseInsensitive))
            return true;
        auto it = found.find(s.traceId);
        if (it == found.end()) {
            it = found.insert(s.traceId, Found {idejson::spanSummary(s), s.startNs, s.endNs});
            order.append(s.traceId);
        }
        it->startNs = std::min(it->startNs, s.startNs);
        it->endNs = std::max(it->endNs, s.endNs);
        ++it->spans;
        it->error = it->error || s.statusCode == SpanStatusError;
        if (s.parentSpanId.isEmpty())
            it->root = idejson::spanSummary(s);
        return true;
    });
    if (!scanned)
        return scanned.error();
    Json list = Json::array();
    for (auto id = order.crbegin(); id != order.crend() && int(list.size()) < limit; ++id) {
        const Found &t = found[*id];
        list.push_back(Json {{"traceId", id->toStdString()}, {"name", t.root.value("name", "")},
            {"service", t.root.value("service", "")}, {"function", t.root.value("function", "")},
            {"start", idejson::ms(t.startNs)}, {"end", idejson::ms(t.endNs)},
            {"durationMs", idejson::ms(t.endNs - t.startNs)}, {"status", t.error ? "error" : "ok"},
            {"matchedSpans", t.spans}});
    }
    return Json {{"traces", list}, {"truncated", int(order.size()) > limit}};
}

Result<Json> getTrace(const IdeContext &c, const Json &params)
{
    JsonFields f(params);
    const auto id = f.string("traceId");
    if (!f.ok())
        return fieldError(f);
    if (!id || !isTraceIdText(*id))
        return invalidParams(QStringLiteral("traceId is a trace id of 32 hex digits"));
    auto traces = c.traces();
    if (!traces)
        return traces.error();
    const QByteArray traceId = id->toLatin1().toLower();
    auto spans = (*traces)->trace(traceId);
    if (!spans)
        return spans.error();
    TraceQuery::LogQuery q;
    q.traceId = traceId;
    auto logs = (*traces)->logs(q);
    if (!logs)
        return logs.error();
    if (spans->isEmpty() && logs->isEmpty())
        return makeError(QStringLiteral("NoSuchTrace"),
            QStringLiteral("no trace %1 is stored").arg(QString::fromLatin1(traceId)));
    Json s = Json::array();
    for (const Span &span : *spans)
        s.push_back(idejson::span(span));
    Json l = Json::array();
    for (const LogRecord &log : *logs)
        l.push_back(idejson::log(log));
    return Json {{"traceId", traceId.toStdString()}, {"spans", s}, {"logs", l}};
}

Result<Json> queryLogs(const IdeContext &c, const Json &params, const QString &functionOnly)
{
    std::optional<Error> error;
    JsonFields f(params);
    const auto traceId = f.string("traceId");
    const auto source = f.string("source");
    const auto text = f.string("text");
    const auto level = f.string("level");
    const int limit = limitParam(f, 200, 10'000, error);
    if (!f.ok())
        return fieldError(f);
    TraceQuery::LogQuery q;
    if (const auto from = timeParam(params, "from", error))
        q.fromNs = *from;
    if (const auto to = timeParam(params, "to", error))
        q.toNs = *to;
    if (error)
        return *error;
    if (traceId) {
        if (!isTraceIdText(*traceId))
            return invalidParams(QStringLiteral("traceId is a trace id of 32 hex digits"));
        q.traceId = traceId->toLatin1().toLower();
    }
    if (level) {
        const QString l = level->toUpper();
        static const QHash<QString, int> levels = {{QStringLiteral("TRACE"), LogSeverityTrace},
            {QStringLiteral("DEBUG"), LogSeverityDebug}, {QStringLiteral("INFO"), LogSeverityInfo},
            {QStringLiteral("WARN"), LogSeverityWarn}, {QStringLiteral("ERROR"), LogSeverityError},
            {QStringLiteral("FATAL"), LogSeverityFatal}};
        if (!levels.contains(l))
            return invalidParams(
                QStringLiteral("level is TRACE, DEBUG, INFO, WARN, ERROR or FATAL"));
        q.minSeverity = levels.value(l);
    }
    q.source = !functionOnly.isEmpty() ? functionOnly : source.value_or(QString());
    q.text = text.value_or(QString());
    q.limit = limit;
    q.newest = true;
    auto traces = c.traces();
    if (!traces)
        return traces.error();
    auto logs = (*traces)->logs(q);
    if (!logs)
        return logs.error();
    Json list = Json::array();
    for (const LogRecord &log : *logs)
        list.push_back(idejson::log(log));
    return Json {{"logs", list}};
}

} // namespace

JsonRpc::Handler engineMethod(const IdeContext &c, EngineFn fn)
{
    return [c, fn = std::move(fn)](const Json &params, JsonRpc::Respond respond, quint64) {
        c.onEngine([e = c.engine, fn, params, respond] { respond(fn(*e, params)); });
    };
}

void addIdeMethods(JsonRpc &rpc, const IdeContext &c)
{
    rpc.add(QStringLiteral("tarmac.health"),
        engineMethod(c, [](Engine &e, const Json &) -> Result<Json> {
            auto health = parseJson(e.services()->healthJson());
            return health ? *health : Json::object();
        }));
    rpc.add(QStringLiteral("tarmac.info"),
        engineMethod(
            c, [methods = c.methods, stats = c.stats](Engine &e, const Json &) -> Result<Json> {
                return info(e, methods(), stats());
            }));
    rpc.addSync(QStringLiteral("rpc.discover"), [](const Json &) -> Result<Json> {
        QFile file(QStringLiteral(":/tarmac/ide/ide-api.json"));
        if (!file.open(QIODevice::ReadOnly))
            return makeError(QStringLiteral("InternalError"), QStringLiteral("no API description"));
        return parseJson(file.readAll());
    });

    addCatalogMethods(rpc, c);

    rpc.add(QStringLiteral("project.reload"),
        engineMethod(c, [](Engine &e, const Json &) -> Result<Json> {
            auto changes = e.reloadProject();
            if (!changes)
                return changes.error();
            return changesJson(*changes);
        }));
    rpc.add(QStringLiteral("project.open"),
        engineMethod(c,
            [methods = c.methods, stats = c.stats](Engine &e, const Json &params) -> Result<Json> {
                JsonFields f(params);
                const auto path = f.string("path");
                if (!f.ok())
                    return fieldError(f);
                if (!path || path->isEmpty())
                    return invalidParams(
                        QStringLiteral("path (a project folder or template) is required"));
                auto changes = e.openProject(*path);
                if (!changes)
                    return changes.error();
                Json out = changesJson(*changes);
                out["info"] = info(e, methods(), stats());
                return out;
            }));

    rpc.add(QStringLiteral("functions.invoke"),
        [c](const Json &params, JsonRpc::Respond respond, quint64) {
            invokeFunction(c, params, std::move(respond));
        });
    rpc.add(QStringLiteral("functions.logs"),
        [c](const Json &params, JsonRpc::Respond respond, quint64) {
            JsonFields f(params);
            const auto function = f.string("function");
            if (!f.ok())
                return respond(fieldError(f));
            if (!function || function->isEmpty())
                return respond(invalidParams(QStringLiteral("function is required")));
            c.engine->tracer()->flush();
            respond(queryLogs(c, params, c.engine->physicalName(*function)));
        });

    // The stepper's controls (Dispatcher), as the desktop and /_tarmac/dispatch use them.
    rpc.add(QStringLiteral("deliveries.pending"),
        onDispatcher(c, [](Engine &e, Dispatcher &d, const Json &) -> Result<Json> {
            Json list = Json::array();
            for (const PendingDelivery &p : d.pending())
                list.push_back(named(e, DispatcherApi::pendingJson(p)));
            return Json {{"pending", list}, {"paused", d.isPaused()}};
        }));
    rpc.add(QStringLiteral("deliveries.list"),
        onDispatcher(c, [](Engine &e, Dispatcher &d, const Json &params) -> Result<Json> {
            std::optional<Error> error;
            JsonFields f(params);
            const auto function = f.string("function");
            const auto bodies = f.boolean("bodies");
            const int limit = limitParam(f, 100, 10'000, error);
            if (!f.ok())
                return fieldError(f);
            if (error)
                return *error;
            auto records = d.records(function ? e.physicalName(*function) : QString(), limit);
            if (!records)
                return records.error();
            Json list = Json::array();
            for (const DeliveryRecord &r : *records)
                list.push_back(named(e, DispatcherApi::recordJson(r, bodies.value_or(false))));
            return Json {{"deliveries", list}};
        }));
    rpc.add(QStringLiteral("deliveries.get"),
        onDispatcher(c, [](Engine &e, Dispatcher &d, const Json &params) -> Result<Json> {
            auto id = deliveryId(params, "a delivery's");
            if (!id)
                return id.error();
            auto record = d.record(*id);
            if (!record)
                return record.error();
            return named(e, DispatcherApi::recordJson(*record, true));
        }));
    // dispatch.state, .pause and .resume answer the Dispatcher's state after what they do.
    for (const char *name : {"state", "pause", "resume"}) {
        rpc.add(QStringLiteral("dispatch.") + QLatin1String(name),
            onDispatcher(c, [name](Engine &e, Dispatcher &d, const Json &) -> Result<Json> {
                if (qstrcmp(name, "pause") == 0)
                    d.pause();
                else if (qstrcmp(name, "resume") == 0)
                    d.resume();
                return DispatcherApi::stateJson(&d, namesOf(e));
            }));
    }
    rpc.add(QStringLiteral("dispatch.step"),
        onDispatcher(c, [](Engine &, Dispatcher &d, const Json &) -> Result<Json> {
            auto id = d.step();
            if (!id)
                return id.error();
            return Json {{"delivered", id->toStdString()}};
        }));
    rpc.add(QStringLiteral("dispatch.deliver"),
        onDispatcher(c, [](Engine &, Dispatcher &d, const Json &params) -> Result<Json> {
            auto id = deliveryId(params, "a pending delivery's");
            if (!id)
                return id.error();
            JsonFields f(params);
            const auto text = f.bytes("payloadText");
            if (!f.ok())
                return fieldError(f);
            std::optional<QByteArray> payload;
            if (const auto it = params.find("payload"); it != params.end())
                payload = toJsonBytes(*it);
            else if (text)
                payload = text;
            if (auto r = d.release(*id, payload); !r)
                return r.error();
            return Json {{"delivered", id->toStdString()}, {"edited", payload.has_value()}};
        }));
    rpc.add(QStringLiteral("dispatch.drop"),
        onDispatcher(c, [](Engine &, Dispatcher &d, const Json &params) -> Result<Json> {
            auto id = deliveryId(params, "a pending delivery's");
            if (!id)
                return id.error();
            if (auto r = d.drop(*id); !r)
                return r.error();
            return Json {{"dropped", id->toStdString()}};
        }));
    rpc.add(QStringLiteral("breakpoints.set"),
        onDispatcher(c, [](Engine &e, Dispatcher &d, const Json &params) -> Result<Json> {
            auto bp = DispatcherApi::breakpointFromJson(params);
            if (!bp) // a malformed path, op or value: the params' fault
                return invalidParams(bp.error().message);
            if (!bp->functionName.isEmpty())
                bp->functionName = e.physicalName(bp->functionName);
            auto added = d.addBreakpoint(std::move(*bp));
            if (!added)
                return added.error();
            return named(e, DispatcherApi::breakpointJson(*added));
        }));
    rpc.add(QStringLiteral("breakpoints.list"),
        onDispatcher(c, [](Engine &e, Dispatcher &d, const Json &) -> Result<Json> {
            Json list = Json::array();
            for (const Breakpoint &bp : d.breakpoints())
                list.push_back(named(e, DispatcherApi::breakpointJson(bp)));
            return Json {{"breakpoints", list}};
        }));
    rpc.add(QStringLiteral("breakpoints.clear"),
        onDispatcher(c, [](Engine &, Dispatcher &d, const Json &params) -> Result<Json> {
            JsonFields f(params);
            const auto id = f.integer("id");
            if (!f.ok())
                return fieldError(f);
            Json cleared = Json::array();
            for (const Breakpoint &bp : d.breakpoints()) {
                if (id && bp.id != *id)
                    continue;
                if (d.removeBreakpoint(bp.id))
                    cleared.push_back(bp.id);
            }
            if (id && cleared.empty())
                return makeError(QStringLiteral("ResourceNotFoundException"),
                    QStringLiteral("no breakpoint %1").arg(*id));
            return Json {{"cleared", cleared}};
        }));

    // The engine's clock, as /_tarmac/clock and the stepper move it.
    rpc.add(
        QStringLiteral("clock.get"), engineMethod(c, [](Engine &e, const Json &) -> Result<Json> {
            return ClockApi::stateJson(e.clock());
        }));
    for (const char *action : {"freeze", "advance", "set", "resume"}) {
        rpc.add(QStringLiteral("clock.") + QLatin1String(action),
            engineMethod(c, [action](Engine &e, const Json &params) -> Result<Json> {
                auto state = ClockApi::control(e.clock(), QByteArray(action), params);
                if (!state && state.error().code == QLatin1String("ValidationException"))
                    return invalidParams(state.error().message);
                return state;
            }));
    }
    rpc.add(QStringLiteral("schedules.fire"),
        engineMethod(c, [](Engine &e, const Json &params) -> Result<Json> {
            JsonFields f(params);
            const auto name = f.string("name");
            if (!f.ok())
                return fieldError(f);
            if (!name || name->isEmpty())
                return invalidParams(QStringLiteral("name (a schedule's or rule's) is required"));
            const QString physical = e.physicalName(*name);
            for (const CatalogEntry &entry : e.catalog()) {
                if ((entry.name == *name || entry.name == physical)
                    && entry.actions.contains(QStringLiteral("fire"))) {
                    auto done = e.runCatalogAction(entry.kind, entry.name, QStringLiteral("fire"));
                    if (!done)
                        return done.error();
                    return Json {{"kind", toStd(entry.kind)}, {"name", toStd(entry.name)},
                        {"result", toStd(*done)}};
                }
            }
            return makeError(QStringLiteral("ResourceNotFoundException"),
                QStringLiteral("no schedule or rule %1 can be fired").arg(name->left(200)));
        }));

    // Sample events, as `tarmac generate-event` and the Invoke dialog make them.
    rpc.addSync(QStringLiteral("events.sources"), [](const Json &) -> Result<Json> {
        Json list = Json::array();
        for (const SampleEvent &s : sampleEvents()) {
            Json options = Json::array();
            for (const auto &[name, help] : s.options)
                options.push_back({{"name", toStd(name)}, {"help", toStd(help)}});
            list.push_back(Json {{"source", toStd(s.source)}, {"description", toStd(s.description)},
                {"options", options}});
        }
        return Json {{"sources", list}};
    });
    rpc.addSync(QStringLiteral("events.generate"), [](const Json &params) -> Result<Json> {
        JsonFields f(params);
        const auto source = f.string("source");
        const auto options = f.stringMap("options");
        if (!f.ok())
            return fieldError(f);
        if (!source)
            return invalidParams(QStringLiteral("source is required (events.sources lists them)"));
        for (const SampleEvent &s : sampleEvents()) {
            if (s.source != *source)
                continue;
            auto event = s.generate(options.value_or(QMap<QString, QString>()));
            if (!event)
                return invalidParams(event.error().message);
            auto parsed = parseJson(*event);
            if (!parsed)
                return parsed.error();
            return Json {{"source", toStd(*source)}, {"event", std::move(*parsed)}};
        }
        return invalidParams(QStringLiteral("no event source %1 (events.sources lists them)")
                                 .arg(source->left(100)));
    });

    // Recorded deliveries again.
    auto replays = c.replays ? c.replays : makeReplays();
    rpc.add(QStringLiteral("replay.start"),
        engineMethod(
            c, [replays, onEngineFn = c.onEngine](Engine &e, const Json &params) -> Result<Json> {
                if (params.contains("capture"))
                    return startCapture(e, *replays, params);
                JsonFields f(params);
                const auto ids = f.stringList("deliveries");
                if (!f.ok())
                    return fieldError(f);
                if (!ids || ids->isEmpty() || ids->size() > 10'000)
                    return invalidParams(QStringLiteral(
                        "replay.start takes deliveries, a list of 1 to 10000 recorded "
                        "deliveries' ids (deliveries.list), or capture, a capture's text"));
                auto run = std::make_shared<ReplayRun>();
                run->id = QStringLiteral("replay-%1").arg(replays->nextId++);
                for (const QString &id : *ids)
                    run->deliveries.append(id.toUtf8());
                run->startedMs = QDateTime::currentMSecsSinceEpoch();
                replays->runs.insert(run->id, run);
                replayNext(&e, run, onEngineFn);
                return replayStatus(*run);
            }));
    rpc.add(QStringLiteral("replay.status"),
        engineMethod(c, [replays](Engine &, const Json &params) -> Result<Json> {
            JsonFields f(params);
            const auto id = f.string("id");
            if (!f.ok())
                return fieldError(f);
            if (!id) {
                Json list = Json::array();
                for (const auto &run : std::as_const(replays->runs))
                    list.push_back(replayStatus(*run));
                for (auto it = replays->captures.cbegin(); it != replays->captures.cend(); ++it)
                    list.push_back(captureStatus(it.key(), **it));
                return Json {{"replays", list}};
            }
            if (const auto capture = replays->captures.value(*id))
                return captureStatus(*id, *capture);
            const auto run = replays->runs.value(*id);
            if (!run)
                return makeError(QStringLiteral("ResourceNotFoundException"),
                    QStringLiteral("no replay %1").arg(id->left(100)));
            return replayStatus(*run);
        }));

    // The trace store, on the IDE thread's own connection (flushed first, so that what
    // happened before the call is there).
    rpc.add(
        QStringLiteral("traces.query"), [c](const Json &params, JsonRpc::Respond respond, quint64) {
            c.engine->tracer()->flush();
            respond(queryTraces(c, params));
        });
    rpc.add(
        QStringLiteral("traces.get"), [c](const Json &params, JsonRpc::Respond respond, quint64) {
            c.engine->tracer()->flush();
            respond(getTrace(c, params));
        });
    rpc.add(
        QStringLiteral("logs.query"), [c](const Json &params, JsonRpc::Respond respond, quint64) {
            c.engine->tracer()->flush();
            respond(queryLogs(c, params, QString()));
        });
}

namespace {

// /_tarmac/replays on the edge port: replay.start and replay.status for scripts and
// `tarmac replay --edge` (plain HTTP, no IDE token, like the other /_tarmac controls).
class ReplayRoute final : public HttpHandler
{
public:
    explicit ReplayRoute(IdeContext context)
        : m_context(std::move(context))
    { }

    qint64 maxBodySize(const HttpRequest &) const override { return 64 * 1024 * 1024; }

    void handle(HttpRequest &&request, HttpResponder responder) override
    {
        QByteArray id = request.decodedPath().mid(qstrlen(kReplaysPrefix));
        while (id.startsWith('/'))
            id.remove(0, 1);
        while (id.endsWith('/'))
            id.chop(1);
        const bool start = request.method == "POST" && id.isEmpty();
        if (!start && request.method != "GET") {
            responder.send(answer(makeError(QStringLiteral("MethodNotAllowed"),
                QStringLiteral("POST /_tarmac/replays starts one; GET /_tarmac/replays[/ID] "
                               "shows them"))));
            return;
        }
        Json params = Json::object();
        if (start) {
            auto body = parseJson(request.body.toByteArray());
            if (!body || !body->is_object()) {
                responder.send(answer(invalidParams(QStringLiteral(
                    "POST /_tarmac/replays takes {\"capture\": TEXT, \"target\"?, \"map\"?, "
                    "\"speed\"?, \"settle\"?}"))));
                return;
            }
            params = std::move(*body);
        } else if (!id.isEmpty()) {
            params["id"] = id.toStdString();
        }
        m_context.onEngine([engine = m_context.engine, replays = m_context.replays, start,
                               params = std::move(params), responder = std::move(responder)] {
            if (start) {
                auto started = startCapture(*engine, *replays, params);
                responder.send(started ? HttpResponse::json(201, toJsonBytes(*started))
                                       : answer(started.error()));
                return;
            }
            if (params.contains("id")) {
                const QString id = fromStd(params["id"].get<std::string>());
                const auto replayer = replays->captures.value(id);
                responder.send(replayer
                        ? HttpResponse::json(200, toJsonBytes(captureStatus(id, *replayer)))
                        : answer(makeError(QStringLiteral("ResourceNotFoundException"),
                            QStringLiteral("no replay %1").arg(id.left(100)))));
                return;
            }
            Json list = Json::array();
            for (auto it = replays->captures.cbegin(); it != replays->captures.cend(); ++it)
                list.push_back(captureStatus(it.key(), **it));
            responder.send(HttpResponse::json(200, toJsonBytes(Json {{"replays", list}})));
        });
    }

private:
    static constexpr const char *kReplaysPrefix = "/_tarmac/replays";

    static HttpResponse answer(const Error &error)
    {
        const int status = error.code == QLatin1String("ResourceNotFoundException") ? 404
            : error.code == QLatin1String("MethodNotAllowed")                       ? 405
                                                                                    : 400;
        return HttpResponse::json(status,
            toJsonBytes(Json {{"__type", toStd(error.code)}, {"message", toStd(error.message)}}));
    }

    IdeContext m_context;
};

} // namespace

std::unique_ptr<HttpHandler> makeReplayRoute(const IdeContext &context)
{
    return std::make_unique<ReplayRoute>(context);
}

} // namespace tarmac
