#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QList>
#include <QSet>
#include <QString>

#include <optional>

namespace tarmac {

// One event of a capture: where it goes, the event as the target receives it, when it
// happened, and what should come of it (every member optional; see expectation.h).
struct CaptureRecord
{
    int index = 0; // 1-based: the line of a JSON Lines file, else the event's position
    QString target; // a function's logical id, name or ARN (or empty: the --target default)
    Json event;
    std::optional<qint64> timeMs; // epoch milliseconds
    std::optional<Json> expect;
};

// What a capture file held, and what it was read as.
struct Capture
{
    QString format; // "jsonl", "cloudwatch", "sqs", "event"
    QList<CaptureRecord> records;
};

// Reads a capture (docs/replay.md):
// - JSON Lines of {"target", "event", "time"?, "expect"?}, as written by hand or by
//   `tarmac record export`;
// - CloudWatch Logs events as `aws logs filter-log-events` prints them ({"events": [{"timestamp",
//   "message"}]}) or a JSON Lines export of such events: messages whose text holds the
//   marker `EVENT ` followed by the event's JSON (what tools/capture-layer logs);
// - SQS messages as `aws sqs receive-message` prints them ({"Messages": [...]}), each
//   delivered as an SQS event of one record, as a queue's event-source mapping would;
// - one event (any other JSON document).
// Errors name the line or event that is wrong.
Result<Capture> readCapture(const QByteArray &bytes);

// The marker a handler (or tools/capture-layer) logs before the incoming event.
inline constexpr const char *kEventMarker = "EVENT ";

// The event's kind from its shape: "apigateway-v1", "apigateway-v2", "s3", "sqs", "sns",
// "dynamodb-stream", "eventbridge", "schedule", or empty when unknown.
QString eventKind(const Json &event);

// `--map OLD=NEW`: every string value (and object key) in the event that contains OLD gets it
// replaced, so that account ids, regions, ARNs, bucket and queue names of the captured
// environment become the local ones. Returns how many strings changed per pair.
struct Mapping
{
    QString from;
    QString to;
    int replaced = 0;
};
Json applyMappings(const Json &event, QList<Mapping> &mappings);

// The value with every member whose name is in `fields` (lower-case; matched
// case-insensitively, at any depth) replaced by "REDACTED": what `tarmac record export`
// leaves of events and responses so that a capture can be shared.
Json redactFields(const Json &value, const QSet<QString> &fields);

} // namespace tarmac
