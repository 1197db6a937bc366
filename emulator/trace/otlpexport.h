#pragma once

#include "base/json.h"
#include "base/result.h"
#include "trace/span.h"

#include <QList>
#include <QString>

class QIODevice;

namespace tarmac {

// Spans and logs as OTLP/JSON (PROTOCOLS.md §9.3), the format Jaeger, the OpenTelemetry
// Collector and Tempo accept on /v1/traces and /v1/logs. Records are grouped into one
// resource per service (spans by Span::service, logs by LogRecord::source), in order of
// first appearance, each with a single scope. It serialises only; it does not send.
namespace otlp {

struct ExportOptions
{
    QString scopeName = QStringLiteral("tarmac");
    QString scopeVersion = QStringLiteral(TARMAC_VERSION);
    // Added to every resource after service.name (e.g. cloud.provider, cloud.region).
    Attributes resourceAttributes;
};

// {"resourceSpans":[…]}: the body of an ExportTraceServiceRequest.
Json tracesToJson(const QList<Span> &spans, const ExportOptions &options = {});
// {"resourceLogs":[…]}: the body of an ExportLogsServiceRequest.
Json logsToJson(const QList<LogRecord> &logs, const ExportOptions &options = {});

// The pieces, for callers that build their own envelope.
Json anyValue(const AttributeValue &value);
Json attributesToJson(const Attributes &attributes);
Json spanToJson(const Span &span);
Json logRecordToJson(const LogRecord &log);

// Writes one document {"resourceSpans":[…],"resourceLogs":[…]} to `out` (what
// `tarmac traces export` prints). Records are serialised one at a time and written in chunks,
// so a large export never sits in memory twice.
Result<void> writeDocument(QIODevice *out, const QList<Span> &spans, const QList<LogRecord> &logs,
    const ExportOptions &options = {});

} // namespace otlp
} // namespace tarmac
