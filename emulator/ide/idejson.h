#pragma once

#include "base/json.h"
#include "trace/span.h"
#include "trace/tracequery.h"

namespace tarmac {

// The IDE API's shapes for what the trace store holds (docs/ide-api.json). Times are epoch
// milliseconds with a fractional part (microseconds survive a JavaScript number; epoch
// nanoseconds would not).
namespace idejson {

double ms(qint64 ns);
const char *statusName(int statusCode); // "unset", "ok", "error"
const char *severityName(int severity); // "TRACE" … "FATAL"

// {"traceId", "spanId", "parentSpanId" (null for a root), "name", "service", "operation",
//  "function", "kind", "start", "end", "durationMs", "status", "statusMessage"?, "attributes"}
Json span(const Span &span);
// The same without attributes or operation, for a summary from a trace query.
Json spanSummary(const TraceQuery::SpanSummary &span);
// {"time", "traceId", "spanId", "source", "requestId", "severity", "level", "text"}
Json log(const LogRecord &log);

} // namespace idejson

} // namespace tarmac
