#include "trace/consolelog.h"

#include "base/json.h"

#include <QDateTime>
#include <QMutexLocker>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <limits>

namespace tarmac {

namespace {

const char *const kRed = "\x1b[31m";
const char *const kYellow = "\x1b[33m";
const char *const kDim = "\x1b[2m";
const char *const kBold = "\x1b[1m";

const AttributeValue *attribute(const Span &span, QLatin1String key)
{
    for (const Attribute &a : span.attributes) {
        if (a.key == key)
            return &a.value;
    }
    return nullptr;
}

QString stringAttribute(const Span &span, QLatin1String key)
{
    const AttributeValue *v = attribute(span, key);
    return v && std::holds_alternative<QString>(*v) ? std::get<QString>(*v) : QString();
}

qint64 intAttribute(const Span &span, QLatin1String key)
{
    const AttributeValue *v = attribute(span, key);
    return v && std::holds_alternative<qint64>(*v) ? std::get<qint64>(*v) : 0;
}

enum class LineKind { Request, Internal, Invocation, Delivery, Other };

LineKind classify(const Span &span)
{
    if (attribute(span, QLatin1String("http.request.method")))
        return span.service == QLatin1String("tarmac") ? LineKind::Internal : LineKind::Request;
    if (attribute(span, QLatin1String("faas.invocation_id")))
        return LineKind::Invocation;
    if (span.operation == QLatin1String("Dispatch") && span.service == QLatin1String("tarmac"))
        return LineKind::Delivery;
    return LineKind::Other;
}

QByteArray isoTime(qint64 ns)
{
    return QDateTime::fromMSecsSinceEpoch(ns / 1'000'000, Qt::UTC)
        .toString(Qt::ISODateWithMs)
        .toLatin1();
}

QByteArray durationText(qint64 ns)
{
    const double ms = double(std::max<qint64>(ns, 0)) / 1e6;
    if (ms < 10)
        return QByteArray::number(ms, 'f', 2) + " ms";
    if (ms < 1000)
        return QByteArray::number(ms, 'f', 0) + " ms";
    return QByteArray::number(ms / 1000, 'f', 2) + " s";
}

QByteArray shortId(const QString &requestId)
{
    return requestId.left(8).toLatin1();
}

} // namespace

ConsoleLog::ConsoleLog(Options options, Writer write)
    : m_options(options)
    , m_write(std::move(write))
{
    if (!m_write) {
        m_write = [](const QByteArray &lines) {
            std::fwrite(lines.constData(), 1, size_t(lines.size()), stderr);
            std::fflush(stderr);
        };
    }
}

std::optional<ConsoleLog::Level> ConsoleLog::parseLevel(const QString &text)
{
    if (text == QLatin1String("quiet"))
        return Level::Quiet;
    if (text == QLatin1String("errors") || text == QLatin1String("error"))
        return Level::Errors;
    if (text == QLatin1String("info"))
        return Level::Info;
    if (text == QLatin1String("debug"))
        return Level::Debug;
    return std::nullopt;
}

std::optional<ConsoleLog::Format> ConsoleLog::parseFormat(const QString &text)
{
    if (text == QLatin1String("text"))
        return Format::Text;
    if (text == QLatin1String("json"))
        return Format::Json;
    return std::nullopt;
}

void ConsoleLog::setDisplayNames(QHash<QString, QString> physicalToLogical)
{
    QMutexLocker lock(&m_mutex);
    m_names = std::move(physicalToLogical);
}

QString logSeverityName(int severity)
{
    if (severity >= LogSeverityFatal)
        return QStringLiteral("FATAL");
    if (severity >= LogSeverityError)
        return QStringLiteral("ERROR");
    if (severity >= LogSeverityWarn)
        return QStringLiteral("WARN");
    if (severity >= LogSeverityInfo)
        return QStringLiteral("INFO");
    if (severity >= LogSeverityDebug)
        return QStringLiteral("DEBUG");
    if (severity >= LogSeverityTrace)
        return QStringLiteral("TRACE");
    return QString();
}

QString ConsoleLog::severityName(int severity)
{
    return severity == LogSeverityUnspecified ? QStringLiteral("INFO") : logSeverityName(severity);
}

void ConsoleLog::write(const QList<Span> &spans, const QList<LogRecord> &logs)
{
    if (m_options.level == Level::Quiet)
        return;
    const QByteArray lines = format(spans, logs);
    if (!lines.isEmpty())
        m_write(lines);
}

void ConsoleLog::message(int severity, const QString &text)
{
    if (m_options.level == Level::Quiet
        || (m_options.level == Level::Errors && severity < LogSeverityError))
        return;
    if (m_options.format == Format::Json) {
        const Json j
            = {{"time", isoTime(QDateTime::currentMSecsSinceEpoch() * 1'000'000).toStdString()},
                {"kind", "message"}, {"level", toStd(severityName(severity))},
                {"message", toStd(text)}};
        m_write(toJsonBytes(j) + '\n');
        return;
    }
    const char *colour = severity >= LogSeverityError ? kRed : nullptr;
    m_write((colour ? coloured(text.toUtf8(), colour) : text.toUtf8()) + '\n');
}

QByteArray ConsoleLog::format(const QList<Span> &spans, const QList<LogRecord> &logs) const
{
    if (m_options.level == Level::Quiet)
        return {};
    QHash<QString, QString> names;
    {
        QMutexLocker lock(&m_mutex);
        names = m_names;
    }
    // Both lists are in record order; merged by time, a request's line follows the output of
    // the function it ran (its span is recorded when the response is sent).
    QByteArray out;
    qsizetype s = 0, l = 0;
    while (s < spans.size() || l < logs.size()) {
        const bool takeLog
            = s == spans.size() || (l < logs.size() && logs[l].timeNs <= spans[s].endNs);
        out += takeLog ? formatLog(logs[l++], names) : formatSpan(spans[s++], names);
    }
    return out;
}

QByteArray ConsoleLog::formatSpan(const Span &span, const QHash<QString, QString> &names) const
{
    const LineKind kind = classify(span);
    const bool failed = span.statusCode == SpanStatusError;
    const qint64 status = intAttribute(span, QLatin1String("http.response.status_code"));
    bool shown = m_options.level == Level::Debug;
    switch (kind) {
    case LineKind::Request:
        shown = shown || m_options.level == Level::Info || status >= 500;
        break;
    case LineKind::Invocation:
    case LineKind::Delivery:
        shown = shown || failed;
        break;
    case LineKind::Internal:
    case LineKind::Other:
        break;
    }
    if (!shown)
        return {};

    const QString physical = kind == LineKind::Delivery
        ? stringAttribute(span, QLatin1String("faas.name"))
        : span.service;
    const QString function = names.value(physical, physical);
    const QString requestId = kind == LineKind::Invocation
        ? stringAttribute(span, QLatin1String("faas.invocation_id"))
        : stringAttribute(span, QLatin1String("aws.request_id"));
    const qint64 durationNs = span.endNs - span.startNs;

    if (m_options.format == Format::Json) {
        Json j = {{"time", isoTime(span.endNs).toStdString()}};
        switch (kind) {
        case LineKind::Request:
        case LineKind::Internal:
            j["kind"] = "request";
            j["service"] = toStd(span.service);
            j["operation"] = toStd(span.operation);
            j["method"] = toStd(stringAttribute(span, QLatin1String("http.request.method")));
            j["path"] = toStd(stringAttribute(span, QLatin1String("url.path")));
            j["status"] = status;
            break;
        case LineKind::Invocation:
            j["kind"] = "invocation";
            j["function"] = toStd(function);
            j["functionName"] = toStd(physical);
            j["origin"] = toStd(stringAttribute(span, QLatin1String("tarmac.origin")));
            break;
        case LineKind::Delivery:
            j["kind"] = "delivery";
            j["function"] = toStd(function);
            j["functionName"] = toStd(physical);
            j["deliveryId"] = toStd(stringAttribute(span, QLatin1String("tarmac.delivery_id")));
            j["origin"] = toStd(stringAttribute(span, QLatin1String("tarmac.origin")));
            j["status"] = toStd(stringAttribute(span, QLatin1String("tarmac.status")));
            break;
        case LineKind::Other:
            j["kind"] = "span";
            j["service"] = toStd(span.service);
            j["name"] = toStd(span.name);
            break;
        }
        j["durationMs"] = double(durationNs) / 1e6;
        j["traceId"] = span.traceId.toStdString();
        if (!requestId.isEmpty())
            j["requestId"] = toStd(requestId);
        if (failed)
            j["error"] = toStd(span.statusMessage);
        return toJsonBytes(j) + '\n';
    }

    QByteArray line = timeText(span.endNs) + "  ";
    switch (kind) {
    case LineKind::Request:
    case LineKind::Internal: {
        const QByteArray statusText = QByteArray::number(status);
        line += span.service.toUtf8();
        if (!span.operation.isEmpty())
            line += ' ' + span.operation.toUtf8();
        line += "  " + stringAttribute(span, QLatin1String("http.request.method")).toUtf8() + ' '
            + stringAttribute(span, QLatin1String("url.path")).toUtf8() + "  "
            + (status >= 500        ? coloured(statusText, kRed)
                    : status >= 400 ? coloured(statusText, kYellow)
                                    : statusText)
            + "  " + durationText(durationNs) + "  " + coloured("trace " + span.traceId, kDim);
        break;
    }
    case LineKind::Invocation:
        line += coloured(function.toUtf8(), kBold) + ' ' + shortId(requestId) + "  "
            + (failed ? coloured("invocation failed: " + span.statusMessage.toUtf8(), kRed)
                      : QByteArray("invocation done"))
            + "  " + durationText(durationNs) + "  " + coloured("trace " + span.traceId, kDim);
        break;
    case LineKind::Delivery: {
        const QByteArray what = "delivery "
            + stringAttribute(span, QLatin1String("tarmac.delivery_id")).toUtf8() + " from "
            + stringAttribute(span, QLatin1String("tarmac.origin")).toUtf8() + ' '
            + stringAttribute(span, QLatin1String("tarmac.status")).toUtf8();
        line += coloured(function.toUtf8(), kBold) + "  "
            + (failed ? coloured(what + ": " + span.statusMessage.toUtf8(), kRed) : what) + "  "
            + coloured("trace " + span.traceId, kDim);
        break;
    }
    case LineKind::Other:
        line += span.name.toUtf8() + "  " + durationText(durationNs)
            + (failed ? "  " + coloured(span.statusMessage.toUtf8(), kRed) : QByteArray());
        break;
    }
    return line + '\n';
}

QByteArray ConsoleLog::formatLog(const LogRecord &log, const QHash<QString, QString> &names) const
{
    const bool error = log.severity >= LogSeverityError;
    if (m_options.level == Level::Quiet || (m_options.level == Level::Errors && !error))
        return {};
    const QString who = names.value(log.source, log.source);
    if (m_options.format == Format::Json) {
        Json j = {{"time", isoTime(log.timeNs).toStdString()}, {"kind", "log"}};
        if (log.source == QLatin1String("tarmac") && log.requestId.isEmpty()) {
            j["source"] = "tarmac";
        } else {
            j["function"] = toStd(who);
            j["functionName"] = toStd(log.source);
        }
        if (!log.requestId.isEmpty())
            j["requestId"] = toStd(log.requestId);
        j["level"] = toStd(severityName(log.severity));
        j["message"] = toStd(log.text);
        if (!log.traceId.isEmpty())
            j["traceId"] = log.traceId.toStdString();
        return toJsonBytes(j) + '\n';
    }
    QByteArray prefix = timeText(log.timeNs) + "  " + coloured(who.toUtf8(), kBold);
    if (!log.requestId.isEmpty())
        prefix += ' ' + shortId(log.requestId);
    prefix += "  ";
    const char *colour = error ? kRed : log.severity >= LogSeverityWarn ? kYellow : nullptr;
    QByteArray out;
    // A multi-line record (a traceback) is one line per line, each with the prefix.
    const QByteArray text = log.text.toUtf8();
    qsizetype from = 0;
    do {
        qsizetype nl = text.indexOf('\n', from);
        if (nl < 0)
            nl = text.size();
        QByteArray part = text.mid(from, nl - from);
        if (part.endsWith('\r'))
            part.chop(1);
        out += prefix + (colour ? coloured(part, colour) : part) + '\n';
        from = nl + 1;
    } while (from < text.size());
    return out;
}

QByteArray ConsoleLog::timeText(qint64 ns) const
{
    // "HH:mm:ss.zzz". The time of day is worked out once a second (per thread), the
    // milliseconds on every line: QDateTime's local time looked at the time zone file on
    // every line, a fifth of the cost of writing a span.
    struct Second
    {
        qint64 second = std::numeric_limits<qint64>::min();
        bool utc = false;
        char text[16] = {};
    };
    thread_local Second cached;
    using namespace std::chrono;
    const qint64 ms = floor<milliseconds>(nanoseconds(ns)).count();
    const qint64 second = floor<seconds>(milliseconds(ms)).count();
    if (cached.second != second || cached.utc != m_options.utc) {
        const auto t = std::time_t(second);
        std::tm tm {};
        const bool ok
            = m_options.utc ? gmtime_r(&t, &tm) != nullptr : localtime_r(&t, &tm) != nullptr;
        std::snprintf(cached.text, sizeof cached.text, "%02d:%02d:%02d", ok ? tm.tm_hour : 0,
            ok ? tm.tm_min : 0, ok ? tm.tm_sec : 0);
        cached.second = second;
        cached.utc = m_options.utc;
    }
    char text[32];
    const int n = std::snprintf(text, sizeof text, "%s.%03d", cached.text, int(ms - second * 1000));
    return coloured(QByteArray(text, qBound(0, n, int(sizeof text) - 1)), kDim);
}

QByteArray ConsoleLog::coloured(const QByteArray &text, const char *colour) const
{
    if (!m_options.colour || !colour)
        return text;
    return colour + text + "\x1b[0m";
}

} // namespace tarmac
