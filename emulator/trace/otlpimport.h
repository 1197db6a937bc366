#pragma once

#include "base/json.h"
#include "trace/span.h"

#include <QList>
#include <QString>

namespace tarmac::otlp {

// Spans and logs that functions' own OpenTelemetry SDKs send to Tarmac's receiver, read from
// an OTLP/JSON request (ExportTraceServiceRequest or ExportLogsServiceRequest; protobuf is
// decoded to it first). Never throws: a record whose members have the wrong types, or whose
// ids are not hex of the right length, is rejected and counted, and the rest are kept, as
// OTLP's partial success allows. Enums are read as integers or by their names
// ("SPAN_KIND_SERVER"); attributes that are lists, maps or bytes are kept as their JSON text.
struct Imported
{
    QList<Span> spans;
    QList<LogRecord> logs;
    qint64 rejected = 0;
    QString firstProblem; // why the first rejected record was
};

Imported importTraces(const Json &request);
Imported importLogs(const Json &request);

} // namespace tarmac::otlp
