#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QList>

#include <optional>

namespace tarmac {

// One expected side effect of a replayed event (an event's `expect.effects`, docs/replay.md):
// - {"s3": "BUCKET/KEY" | {"bucket", "key"}, "exists"?: true, "body"?: TEXT, "json"?: SUBSET}
// - {"sqs": QUEUE, "messages": N}: the messages the queue holds (visible, in flight and delayed)
// - {"dynamodb": TABLE, "key": {NAME: VALUE}, "exists"?: true, "item"?: SUBSET}: keys and items
//   as plain JSON (strings, numbers, booleans, lists, maps), not DynamoDB's typed form
// Every one may take "within": milliseconds to keep checking until it holds (an effect that
// comes later: a redelivery, a retry). Names are logical ids or physical names.
struct Effect
{
    enum class Kind { S3, Sqs, DynamoDb };
    Kind kind = Kind::S3;
    QString resource; // bucket, queue or table, as given
    QString key; // S3's object key
    Json itemKey; // DynamoDB's key, plain JSON
    bool exists = true;
    std::optional<QByteArray> body;
    std::optional<Json> subset; // "json" (S3) or "item" (DynamoDB)
    std::optional<qint64> messages;
    int withinMs = 0;

    // "s3 bucket/key", "sqs queue", "dynamodb table {…}": how mismatches name it.
    QString label() const;
};

// The effects of an expectation (none when it names none); an error names the malformed one.
Result<QList<Effect>> parseEffects(const Json *expect);

// DynamoDB's typed form of a plain JSON value ("a" → {"S":"a"}, 2 → {"N":"2"}, …) and back.
Json toAttributeValue(const Json &plain);
Json fromAttributeValue(const Json &typed);

} // namespace tarmac
