#pragma once

#include <QByteArray>
#include <QList>
#include <QMetaType>
#include <QString>

#include <type_traits>
#include <variant>

namespace tarmac {

// OTLP Span.SpanKind; the values are the wire integers.
enum SpanKind : int {
    SpanKindUnspecified = 0,
    SpanKindInternal = 1,
    SpanKindServer = 2,
    SpanKindClient = 3,
    SpanKindProducer = 4,
    SpanKindConsumer = 5,
};

// The kind as OpenTelemetry names it ("server", "producer", …), for people and the IDE API.
constexpr const char *spanKindName(int kind)
{
    switch (kind) {
    case SpanKindInternal:
        return "internal";
    case SpanKindServer:
        return "server";
    case SpanKindClient:
        return "client";
    case SpanKindProducer:
        return "producer";
    case SpanKindConsumer:
        return "consumer";
    default:
        return "unspecified";
    }
}

// OTLP Status.StatusCode.
enum SpanStatus : int {
    SpanStatusUnset = 0,
    SpanStatusOk = 1,
    SpanStatusError = 2,
};

// OTLP SeverityNumber: the first value of each range (TRACE 1–4, DEBUG 5–8, …).
enum LogSeverity : int {
    LogSeverityUnspecified = 0,
    LogSeverityTrace = 1,
    LogSeverityDebug = 5,
    LogSeverityInfo = 9,
    LogSeverityWarn = 13,
    LogSeverityError = 17,
    LogSeverityFatal = 21,
};

using AttributeValue = std::variant<QString, qint64, double, bool>;

// One key/value of a span. The constructors exist so that a string literal cannot quietly
// become a bool (the variant's choice for a const char *); write QStringLiteral.
struct Attribute
{
    QString key;
    AttributeValue value;

    Attribute() = default;
    Attribute(QString k, QString v)
        : key(std::move(k))
        , value(std::move(v))
    { }
    Attribute(QString k, qint64 v)
        : key(std::move(k))
        , value(v)
    { }
    Attribute(QString k, int v)
        : key(std::move(k))
        , value(qint64(v))
    { }
    Attribute(QString k, double v)
        : key(std::move(k))
        , value(v)
    { }
    Attribute(QString k, bool v)
        : key(std::move(k))
        , value(v)
    { }
    Attribute(QString k, const char *v) = delete;

    friend bool operator==(const Attribute &, const Attribute &) = default;
};

using Attributes = QList<Attribute>;

// A finished span, as the engine records it and OTLP exports it. Ids are lower-case hex
// (32 digits for the trace, 16 for spans); a root span has an empty parentSpanId. Times are
// epoch nanoseconds. Events and links are not modelled.
struct Span
{
    QByteArray traceId;
    QByteArray spanId;
    QByteArray parentSpanId;
    QString name; // "my-fn invoke", "S3 PutObject"
    QString service; // the resource it is exported under (OTLP service.name)
    QString operation; // "PutObject", "Invoke"; exported as attribute tarmac.operation
    int kind = SpanKindInternal;
    qint64 startNs = 0;
    qint64 endNs = 0;
    int statusCode = SpanStatusUnset;
    QString statusMessage;
    Attributes attributes;

    friend bool operator==(const Span &, const Span &) = default;
};

// What a span is made of, for makeSpan(): the one way spans are built, so that every span
// follows the same rules (a new span id unless one is given, the name "service operation"
// unless one is given, the end never before the start, an error status with its message).
// Designated initializers name the fields at the call site.
struct SpanSpec
{
    QByteArray traceId;
    QByteArray spanId; // empty: a new one
    QByteArray parentSpanId;
    QString service;
    QString operation;
    QString name; // empty: "service operation"
    int kind = SpanKindInternal;
    qint64 startNs = 0;
    qint64 endNs = 0; // raised to startNs when earlier
    bool failed = false; // status error
    QString error; // status error with this message (implies failed)
    Attributes attributes;
};
Span makeSpan(SpanSpec spec);

// A front door's request, as its server span is recorded: the fields the span is made of,
// shared with the request and its answer rather than converted, so that the request's thread
// pays for a few reference counts. The tracer's writer thread makes the span (toSpan()), with
// the other records of its batch.
struct RequestSpan
{
    QByteArray traceId;
    QByteArray spanId;
    QByteArray parentSpanId;
    QString service;
    QString operation; // empty: the span is named "service METHOD"
    QByteArray method;
    QByteArray path;
    QByteArray requestId;
    int status = 0;
    qint64 startNs = 0;
    qint64 endNs = 0;
    QList<std::pair<QString, QString>> attributes; // after the HTTP ones, as key and text

    Span toSpan() const;
};

// An attribute's value as text: a string as it is, true/false, a number in decimal.
inline QString attributeText(const AttributeValue &value)
{
    return std::visit(
        [](const auto &v) -> QString {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, QString>)
                return v;
            else if constexpr (std::is_same_v<V, bool>)
                return v ? QStringLiteral("true") : QStringLiteral("false");
            else
                return QString::number(v);
        },
        value);
}

// One log line: a function's stdout/stderr line or an emulator message, tied to the
// invocation's request and span when it has one (empty ids otherwise).
struct LogRecord
{
    qint64 timeNs = 0;
    QByteArray traceId;
    QByteArray spanId;
    QString source; // function name or service; exported as service.name
    QString requestId; // exported as attribute faas.invocation_id
    int severity = LogSeverityInfo;
    QString text;

    friend bool operator==(const LogRecord &, const LogRecord &) = default;
};

} // namespace tarmac

Q_DECLARE_METATYPE(tarmac::Span)
Q_DECLARE_METATYPE(tarmac::LogRecord)
