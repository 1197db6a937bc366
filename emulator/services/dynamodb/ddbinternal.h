#pragma once

// Shared by dynamodb.cpp (tables, streams, TTL) and ddbitems.cpp (item operations): the
// SQLite layout, keys as sort bytes, and DynamoDB's error answers. Private to the folder.

#include "base/json.h"
#include "base/result.h"
#include "services/dynamodb/ddbtable.h"
#include "services/dynamodb/dynamodb.h"

#include <QByteArray>
#include <QString>

namespace tarmac {

// A table row's key: the hash that orders partitions (and splits a Scan into segments), and
// the partition and sort keys' sort bytes (the sort key's are empty for a hash-only key).
struct DynamoDb::Key
{
    qint64 hash = 0;
    QByteArray pk;
    QByteArray sk;
    friend bool operator==(const Key &, const Key &) = default;
};

namespace ddb {

inline constexpr qint64 kMaxPartitionKeyBytes = 2048;
inline constexpr qint64 kMaxSortKeyBytes = 1024;
inline constexpr qint64 kPageBytes = 1024 * 1024;
// How long a transaction's ClientRequestToken is remembered.
inline constexpr qint64 kTokenLifetimeNs = 10LL * 60 * 1'000'000'000;
// Larger than any key's sort bytes: the open end of a range.
QByteArray maxBound();

Error validation(const QString &message);
Error invalid(const QString &message); // "One or more parameter values were invalid: ..."
Error serialization(const QString &message);
Error notFound(const QString &message = QStringLiteral("Requested resource not found"));
Error inUse(const QString &message);
Error conditionFailed();

// The partition hash of a partition key's sort bytes: 32 bits, stable across runs.
qint64 partitionHash(const QByteArray &pk);

// A request member of the right JSON type, or SerializationException; absent/null: nullptr.
Result<const Json *> member(const Json &r, const char *name, Json::value_t type);
Result<std::optional<QString>> stringMember(const Json &r, const char *name);
// A member that must be there: "Value null at '<wireName>' failed to satisfy constraint:
// Member must not be null" when it is not.
Result<const Json *> requiredMember(
    const Json &r, const char *name, Json::value_t type, const char *wireName);
Result<std::optional<bool>> boolMember(const Json &r, const char *name);
Result<std::optional<qint64>> intMember(const Json &r, const char *name);

QString str(const Json &v);
inline std::string s(const QString &q)
{
    return q.toStdString();
}

// A Key parameter: exactly the table's key attributes with their types (else "The provided
// key element does not match the schema"), non-empty, within the size limits.
Result<DynamoDb::Key> keyOf(const DdbTable &table, const Json *key);
// The key of a checked item about to be written: "Missing the key X in the item", type
// mismatches, empty values, sizes; and each index's key attributes, if present, of their types.
Result<DynamoDb::Key> itemKey(const DdbTable &table, const Json &item);
// The key attributes of an item (table key; plus an index's key when given).
Json keyAttributes(const DdbTable &table, const Json &item, const DdbIndex *index = nullptr);
// An item as an index holds it (its projection), with the table's keys.
Json projectToIndex(const DdbTable &table, const DdbIndex &index, const Json &item);

// ExpressionAttributeValues checked as AttributeValues ("ExpressionAttributeValues contains
// invalid value: ... for key :v"); answers the map with values normalised, or null.
Result<Json> checkedValues(const Json &request);
// A legacy parameter the request sent (Expected, AttributeUpdates, KeyConditions, ...), as
// the ValidationException Tarmac answers, or nothing.
std::optional<Error> legacyParameter(const Json &request);

// Whether the request asks for ConsumedCapacity (TOTAL or INDEXES).
bool wantsCapacity(const Json &request);
// Capacity units: a write of `bytes` (1 KB units), a read (4 KB units; eventual halves).
double writeUnits(qint64 bytes);
double readUnits(qint64 bytes, bool consistent);
// ConsumedCapacity for ReturnConsumedCapacity TOTAL or INDEXES (null for NONE); the units are
// added to the call's total for its span either way.
Json consumedCapacity(DdbCallInfo &info, const Json &request, const DdbTable &table, double units,
    const QHash<QString, double> &indexUnits = {});

// 21 digits, as stream sequence numbers are written.
QString sequenceText(qint64 sequence);

} // namespace ddb

} // namespace tarmac
