#pragma once

#include <QByteArray>
#include <QByteArrayView>

namespace tarmac {

// What a line a function's runtime wrote says about itself, read the way CloudWatch reads the
// AWS runtimes' output: its level (an OTLP severity) and its text as lines.
struct RuntimeLogLine
{
    int severity = 0;
    QByteArray text; // a multi-line record's lines joined by '\n'
};

// Levels come from, in order:
//  - the JSON log format: an object with a "level" field ({"level":"ERROR",…});
//  - Python's text format: "[ERROR]\t2024-…Z\trequest-id\tmessage", and its report of an
//    uncaught exception, "[ERROR] ValueError: message";
//  - Node's text format: "2024-…Z\trequest-id\tERROR\tmessage";
//  - otherwise the stream: stdout INFO, stderr WARN.
// Python's runtime joins a record's lines with '\r' (one CloudWatch event per record); they
// become '\n' here, so a terminal shows a traceback as lines, not overwriting each other.
RuntimeLogLine readRuntimeLogLine(QByteArrayView line, bool fromStderr);

// The OTLP severity for a level name ("ERROR", "warning", "CRITICAL"…), or 0 when unknown.
int severityOfLevelName(QByteArrayView name);

} // namespace tarmac
