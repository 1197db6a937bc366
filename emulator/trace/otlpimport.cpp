#include "trace/otlpimport.h"

#include "base/jsonwriter.h"
#include "trace/otlpprotobuf.h"

#include <cmath>
#include <optional>
#include <string_view>

namespace tarmac::otlp {

namespace {

const Json *member(const Json &object, std::string_view name)
{
    if (!object.is_object())
        return nullptr;
    const auto it = object.find(name);
    return it == object.end() ? nullptr : &*it;
}

const Json &emptyArray()
{
    static const Json empty = Json::array();
    return empty;
}

// A member that is a list; anything else reads as an empty one.
const Json &list(const Json &object, std::string_view name)
{
    const Json *v = member(object, name);
    return v && v->is_array() ? *v : emptyArray();
}

std::optional<QString> text(const Json &object, std::string_view name)
{
    const Json *v = member(object, name);
    if (!v || !v->is_string())
        return std::nullopt;
    return QString::fromStdString(*v->get_ptr<const Json::string_t *>());
}

// OTLP/JSON's 64-bit integers (otlp::integerOf) of a member that may be missing.
std::optional<qint64> integer(const Json *v)
{
    return v ? integerOf(*v) : std::nullopt;
}

// An enum by number or by its protobuf name ("SPAN_KIND_SERVER" -> 2).
std::optional<int> enumValue(const Json *v, const char *const *names, int count)
{
    if (!v)
        return std::nullopt;
    if (v->is_string()) {
        const std::string &s = *v->get_ptr<const Json::string_t *>();
        for (int i = 0; i < count; ++i) {
            if (s == names[i])
                return i;
        }
        return std::nullopt;
    }
    if (const auto n = integer(v); n && *n >= 0 && *n <= INT32_MAX)
        return int(*n);
    return std::nullopt;
}

// Lower-case hex of `digits` digits (not all zero, which OTLP calls invalid).
std::optional<QByteArray> hexId(const Json *v, int digits)
{
    if (!v || !v->is_string())
        return std::nullopt;
    const std::string &s = *v->get_ptr<const Json::string_t *>();
    if (int(s.size()) != digits)
        return std::nullopt;
    bool nonZero = false;
    for (char c : s) {
        const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!hex)
            return std::nullopt;
        nonZero |= c != '0';
    }
    if (!nonZero)
        return std::nullopt;
    return QByteArray::fromStdString(s).toLower();
}

// An AnyValue as an attribute value; lists, maps and bytes as their JSON text.
std::optional<AttributeValue> anyValue(const Json *v)
{
    if (!v || !v->is_object())
        return std::nullopt;
    if (const Json *s = member(*v, "stringValue"); s && s->is_string())
        return AttributeValue(QString::fromStdString(*s->get_ptr<const Json::string_t *>()));
    if (const Json *b = member(*v, "boolValue"); b && b->is_boolean())
        return AttributeValue(b->get<bool>());
    if (const auto n = integer(member(*v, "intValue")))
        return AttributeValue(*n);
    if (const Json *d = member(*v, "doubleValue")) {
        if (d->is_number())
            return AttributeValue(d->get<double>());
        if (*d == "NaN")
            return AttributeValue(std::nan(""));
        if (*d == "Infinity" || *d == "-Infinity")
            return AttributeValue(*d == "Infinity" ? HUGE_VAL : -HUGE_VAL);
    }
    for (const char *kind : {"arrayValue", "kvlistValue", "bytesValue"}) {
        if (const Json *other = member(*v, kind))
            return AttributeValue(QString::fromUtf8(toJsonBytes(*other)));
    }
    return std::nullopt;
}

Attributes attributesOf(const Json &holder)
{
    Attributes out;
    for (const Json &kv : list(holder, "attributes")) {
        const auto key = text(kv, "key");
        const auto value = anyValue(member(kv, "value"));
        if (key && !key->isEmpty() && value) {
            Attribute a;
            a.key = *key;
            a.value = *value;
            out.append(std::move(a));
        }
    }
    return out;
}

QString serviceOf(const Json &resourceHolder)
{
    const Json *resource = member(resourceHolder, "resource");
    if (resource) {
        for (const Attribute &a : attributesOf(*resource)) {
            if (a.key == QLatin1String("service.name") && std::holds_alternative<QString>(a.value))
                return std::get<QString>(a.value);
        }
    }
    return QStringLiteral("unknown_service");
}

void reject(Imported &out, const QString &why)
{
    if (out.rejected++ == 0)
        out.firstProblem = why;
}

constexpr const char *kSpanKinds[] = {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL",
    "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"};
constexpr const char *kStatusCodes[] = {"STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"};

void importSpan(Imported &out, const Json &s, const QString &service)
{
    Span span;
    const auto traceId = hexId(member(s, "traceId"), 32);
    const auto spanId = hexId(member(s, "spanId"), 16);
    if (!traceId || !spanId)
        return reject(out, QStringLiteral("a span's traceId or spanId is not 32 or 16 hex digits"));
    const auto start = integer(member(s, "startTimeUnixNano"));
    const auto end = integer(member(s, "endTimeUnixNano"));
    if (!start || *start <= 0 || !end || *end < *start)
        return reject(out, QStringLiteral("a span's start or end time is missing or out of order"));
    span.traceId = *traceId;
    span.spanId = *spanId;
    span.parentSpanId = hexId(member(s, "parentSpanId"), 16).value_or(QByteArray());
    span.name = text(s, "name").value_or(QString());
    span.service = service;
    span.kind = enumValue(member(s, "kind"), kSpanKinds, 6).value_or(SpanKindUnspecified);
    if (span.kind > SpanKindConsumer)
        span.kind = SpanKindUnspecified;
    span.startNs = *start;
    span.endNs = *end;
    span.attributes = attributesOf(s);
    if (const Json *status = member(s, "status")) {
        span.statusCode = enumValue(member(*status, "code"), kStatusCodes, 3).value_or(0);
        if (span.statusCode > 2)
            span.statusCode = 0;
        span.statusMessage = text(*status, "message").value_or(QString());
    }
    out.spans.append(std::move(span));
}

void importLog(Imported &out, const Json &l, const QString &service)
{
    LogRecord log;
    auto time = integer(member(l, "timeUnixNano"));
    if (!time || *time <= 0)
        time = integer(member(l, "observedTimeUnixNano"));
    if (!time || *time <= 0)
        return reject(
            out, QStringLiteral("a log record has neither timeUnixNano nor observedTimeUnixNano"));
    log.timeNs = *time;
    log.source = service;
    log.severity = int(std::min<qint64>(integer(member(l, "severityNumber")).value_or(0), 24));
    if (log.severity < 0)
        log.severity = 0;
    if (const auto body = anyValue(member(l, "body")))
        log.text = attributeText(*body);
    // Ids that are not valid leave the record without a trace, as OTLP says to read them.
    log.traceId = hexId(member(l, "traceId"), 32).value_or(QByteArray());
    log.spanId = log.traceId.isEmpty() ? QByteArray()
                                       : hexId(member(l, "spanId"), 16).value_or(QByteArray());
    for (const Attribute &a : attributesOf(l)) {
        if (a.key == QLatin1String("faas.invocation_id")
            && std::holds_alternative<QString>(a.value))
            log.requestId = std::get<QString>(a.value);
    }
    out.logs.append(std::move(log));
}

// Every record of a request (resources, their scopes, their records), each read by `one` with
// its resource's service name.
Imported importEach(const Json &request, std::string_view resources, std::string_view scopes,
    std::string_view records, void (*one)(Imported &, const Json &, const QString &))
{
    Imported out;
    for (const Json &resource : list(request, resources)) {
        const QString service = serviceOf(resource);
        for (const Json &scope : list(resource, scopes)) {
            for (const Json &record : list(scope, records))
                one(out, record, service);
        }
    }
    return out;
}

} // namespace

Imported importTraces(const Json &request)
{
    return importEach(request, "resourceSpans", "scopeSpans", "spans", importSpan);
}

Imported importLogs(const Json &request)
{
    return importEach(request, "resourceLogs", "scopeLogs", "logRecords", importLog);
}

} // namespace tarmac::otlp
