#include "ide/idejson.h"

namespace tarmac::idejson {

namespace {

Json idOrNull(const QByteArray &id)
{
    return id.isEmpty() ? Json(nullptr) : Json(id.toStdString());
}

Json attributeValue(const AttributeValue &v)
{
    return std::visit(
        [](const auto &x) -> Json {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, QString>)
                return toStd(x);
            else
                return x;
        },
        v);
}

} // namespace

double ms(qint64 ns)
{
    // Whole milliseconds and the rest apart, so that the fraction keeps its microseconds.
    return double(ns / 1'000'000) + double(ns % 1'000'000) / 1e6;
}

const char *statusName(int statusCode)
{
    return statusCode == SpanStatusError ? "error" : statusCode == SpanStatusOk ? "ok" : "unset";
}

const char *severityName(int severity)
{
    if (severity >= LogSeverityFatal)
        return "FATAL";
    if (severity >= LogSeverityError)
        return "ERROR";
    if (severity >= LogSeverityWarn)
        return "WARN";
    if (severity >= LogSeverityInfo)
        return "INFO";
    if (severity >= LogSeverityDebug)
        return "DEBUG";
    return severity > 0 ? "TRACE" : "UNSPECIFIED";
}

Json span(const Span &s)
{
    Json attributes = Json::object();
    for (const Attribute &a : s.attributes)
        attributes[toStd(a.key)] = attributeValue(a.value);
    Json j = {{"traceId", s.traceId.toStdString()}, {"spanId", s.spanId.toStdString()},
        {"parentSpanId", idOrNull(s.parentSpanId)}, {"name", toStd(s.name)},
        {"service", toStd(s.service)}, {"operation", toStd(s.operation)},
        {"function", toStd(TraceQuery::functionOf(s))}, {"kind", spanKindName(s.kind)},
        {"start", ms(s.startNs)}, {"end", ms(s.endNs)}, {"durationMs", ms(s.endNs - s.startNs)},
        {"status", statusName(s.statusCode)}, {"attributes", std::move(attributes)}};
    if (!s.statusMessage.isEmpty())
        j["statusMessage"] = toStd(s.statusMessage);
    return j;
}

Json spanSummary(const TraceQuery::SpanSummary &s)
{
    return Json {{"traceId", s.traceId.toStdString()}, {"spanId", s.spanId.toStdString()},
        {"parentSpanId", idOrNull(s.parentSpanId)}, {"name", toStd(s.name)},
        {"service", toStd(s.service)}, {"function", toStd(s.function)},
        {"kind", spanKindName(s.kind)}, {"start", ms(s.startNs)}, {"end", ms(s.endNs)},
        {"durationMs", ms(s.endNs - s.startNs)}, {"status", statusName(s.statusCode)}};
}

Json log(const LogRecord &l)
{
    return Json {{"time", ms(l.timeNs)}, {"traceId", idOrNull(l.traceId)},
        {"spanId", idOrNull(l.spanId)}, {"source", toStd(l.source)},
        {"requestId", toStd(l.requestId)}, {"severity", l.severity},
        {"level", severityName(l.severity)}, {"text", toStd(l.text)}};
}

} // namespace tarmac::idejson
