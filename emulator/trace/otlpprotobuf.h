#pragma once

#include "base/json.h"
#include "base/result.h"
#include "trace/otlpexport.h"

#include <QByteArray>

#include <optional>

namespace tarmac::otlp {

// OTLP's binary encoding (opentelemetry-proto: ExportTraceServiceRequest and
// ExportLogsServiceRequest), what a collector takes on /v1/traces and /v1/logs with
// `Content-Type: application/x-protobuf`, the OTLP/HTTP default. It is written from the
// OTLP/JSON document (tracesToJson, logsToJson), so that both encodings carry the same
// records: ids from hex to bytes, 64-bit integers from decimal strings, enums as varints.
// Members the schema does not know are skipped, as a receiver of OTLP/JSON ignores them.
enum class Signal { Traces, Logs };

QByteArray jsonToProtobuf(const Json &document, Signal signal);
// OTLP/JSON's 64-bit integer: a decimal string, or a JSON number (which receivers accept too);
// nullopt for anything else or out of range.
std::optional<qint64> integerOf(const Json &value);
// The other way, for Tarmac's own receiver (/v1/traces, /v1/logs on the edge port): the
// request as OTLP/JSON (ids as hex, 64-bit integers as decimal strings). Fields it does not
// know are skipped; a body that is not protobuf (cut short, a wire type that does not fit the
// field, a string not UTF-8, messages nested over 64 deep) is an error.
Result<Json> protobufToJson(QByteArrayView data, Signal signal);

// A receiver's answers: Export{Trace,Logs}ServiceResponse with partial_success {rejected
// (rejected_spans or rejected_log_records, both field 1), error_message}; and the
// google.rpc.Status of a refused request (code 3: INVALID_ARGUMENT).
QByteArray partialSuccessToProtobuf(qint64 rejected, const QString &message);
QByteArray statusToProtobuf(int code, const QString &message);

inline QByteArray tracesToProtobuf(const QList<Span> &spans, const ExportOptions &options = {})
{
    return jsonToProtobuf(tracesToJson(spans, options), Signal::Traces);
}

inline QByteArray logsToProtobuf(const QList<LogRecord> &logs, const ExportOptions &options = {})
{
    return jsonToProtobuf(logsToJson(logs, options), Signal::Logs);
}

} // namespace tarmac::otlp
