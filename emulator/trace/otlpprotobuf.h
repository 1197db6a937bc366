#pragma once

#include "base/json.h"
#include "trace/otlpexport.h"

#include <QByteArray>

namespace tarmac::otlp {

// OTLP's binary encoding (opentelemetry-proto: ExportTraceServiceRequest and
// ExportLogsServiceRequest), what a collector takes on /v1/traces and /v1/logs with
// `Content-Type: application/x-protobuf`, the OTLP/HTTP default. It is written from the
// OTLP/JSON document (tracesToJson, logsToJson), so that both encodings carry the same
// records: ids from hex to bytes, 64-bit integers from decimal strings, enums as varints.
// Members the schema does not know are skipped, as a receiver of OTLP/JSON ignores them.
enum class Signal { Traces, Logs };

QByteArray jsonToProtobuf(const Json &document, Signal signal);

inline QByteArray tracesToProtobuf(const QList<Span> &spans, const ExportOptions &options = {})
{
    return jsonToProtobuf(tracesToJson(spans, options), Signal::Traces);
}

inline QByteArray logsToProtobuf(const QList<LogRecord> &logs, const ExportOptions &options = {})
{
    return jsonToProtobuf(logsToJson(logs, options), Signal::Logs);
}

} // namespace tarmac::otlp
