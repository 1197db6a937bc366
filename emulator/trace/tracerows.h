#pragma once

#include "trace/span.h"

#include <QByteArray>

#include <string_view>

namespace tarmac {

class Statement;

// How spans and log records read back from traces.db, for the Tracer and TraceQuery alike:
// select kSpanColumns (or kLogColumns) first, then readSpan (readLog) turns a row into its
// record.
inline constexpr std::string_view kSpanColumns
    = "trace_id, span_id, parent_span_id, name, service, operation, kind, start_ns, end_ns, "
      "status_code, status_message, attributes";
inline constexpr std::string_view kLogColumns
    = "time_ns, trace_id, span_id, source, request_id, severity, body";

Span readSpan(Statement &row);
LogRecord readLog(Statement &row);

// Ids are ASCII hex: bound as TEXT without a UTF-16 round trip.
inline std::string_view view(const QByteArray &bytes)
{
    return std::string_view(bytes.constData(), size_t(bytes.size()));
}

} // namespace tarmac
