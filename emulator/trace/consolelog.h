#pragma once

#include "trace/span.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QMutex>
#include <QString>

#include <functional>
#include <optional>

namespace tarmac {

// "ERROR", "WARN", "INFO", … for an OTLP severity; empty for unspecified (0).
QString logSeverityName(int severity);

// What a person running Tarmac in a terminal reads: one line per request at any port
// (service and operation, method and path, status, duration, trace id), every function's
// output prefixed with the function's name and request id, and failed deliveries, retries and
// errors, in colour on a terminal. It formats what the tracer commits (Tracer::batchWritten),
// so the request path pays nothing for it: the lines reach the terminal with the trace
// writer's batches, at most ~100 ms after the fact (~500 ms while records keep coming at 50 a
// second or more; see Tracer).
//
// Levels: quiet (nothing), errors (server errors, failed invocations and deliveries, retries,
// function lines at ERROR or above), info (every request but Tarmac's own /_tarmac/ ones,
// every function line), debug (everything, with the dispatcher's deliveries).
// The JSON format writes one object per line for CI parsers:
//   {"time":"…Z","kind":"request","service":"s3","operation":"PutObject","method":"PUT",
//    "path":"/b/k","status":200,"durationMs":0.8,"traceId":"…","requestId":"…"}
//   {"time":"…Z","kind":"log","function":"Fn","functionName":"stack-Fn-X","requestId":"…",
//    "level":"ERROR","message":"…","traceId":"…"}
//   {"time":"…Z","kind":"invocation"|"delivery","function":"Fn",…,"error":"…"}
class ConsoleLog
{
public:
    enum class Level { Quiet, Errors, Info, Debug };
    enum class Format { Text, Json };
    struct Options
    {
        Level level = Level::Info;
        Format format = Format::Text;
        bool colour = false; // ANSI colours (a terminal without NO_COLOR)
        bool utc = false; // times in UTC instead of local time (tests)
    };
    using Writer = std::function<void(const QByteArray &)>;

    // `write` receives whole lines; by default they go to stderr.
    explicit ConsoleLog(Options options, Writer write = {});

    static std::optional<Level> parseLevel(const QString &text);
    static std::optional<Format> parseFormat(const QString &text);
    // The name a person knows a resource by: physical name → the template's logical id.
    // Thread-safe; replaced whenever the stack changes.
    void setDisplayNames(QHash<QString, QString> physicalToLogical);

    // Formats one committed batch and writes it. Thread-safe (the tracer's writer thread).
    void write(const QList<Span> &spans, const QList<LogRecord> &logs);
    // The lines a batch makes, without writing them.
    QByteArray format(const QList<Span> &spans, const QList<LogRecord> &logs) const;
    // One of Tarmac's own lines ("tarmac: template.yaml reloaded: …"), at that severity: as
    // it is in text, as {"kind":"message","level":…,"message":…} in JSON.
    void message(int severity, const QString &text);

    static QString severityName(int severity);

private:
    QByteArray formatSpan(const Span &span, const QHash<QString, QString> &names) const;
    QByteArray formatLog(const LogRecord &log, const QHash<QString, QString> &names) const;
    QByteArray timeText(qint64 ns) const;
    QByteArray coloured(const QByteArray &text, const char *colour) const;

    const Options m_options;
    Writer m_write;
    mutable QMutex m_mutex;
    QHash<QString, QString> m_names;
};

} // namespace tarmac
