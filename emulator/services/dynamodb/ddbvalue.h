#pragma once

#include "base/json.h"

#include <QByteArray>
#include <QString>

#include <optional>

namespace tarmac {

// DynamoDB's AttributeValues, kept in their wire JSON: {"S":"x"}, {"N":"1"}, {"B":"<base64>"},
// {"BOOL":true}, {"NULL":true}, {"M":{...}}, {"L":[...]}, {"SS":[...]}, {"NS":[...]},
// {"BS":[...]}. An item is an object of attribute name to AttributeValue.

// 400 KB, DynamoDB's 1024-byte kilobytes.
inline constexpr qint64 kDdbMaxItemSize = 400 * 1024;
// Levels of documents: the attribute is level 1, a value in its map or list level 2, and a
// value at level 33 is refused.
inline constexpr int kDdbMaxNestingDepth = 32;
// Bytes of a (non-key) attribute name.
inline constexpr qsizetype kDdbMaxAttributeNameSize = 65535;

// One AttributeValue checked as DynamoDB checks it, in its two steps. First its JSON shape
// (SerializationException, with Coral's wording: {"S":5} is "NUMBER_VALUE cannot be converted
// to String", {"B":"abc"} a base64 length); members that are null or not a type are dropped
// as Coral drops them, and BOOL/NULL take "true"/"yes"/"1" (and their opposites) as it does.
// Then its meaning (ValidationException, with DynamoDB's messages): exactly one type, numbers
// in range, NULL true, sets neither empty nor with duplicates, documents at most 32 levels
// deep. Answers the value as it is stored: numbers normalised ("+1.50" is "1.5"), BOOL/NULL
// as JSON booleans. `path` names the value in the messages that are not AWS's.
Result<Json> checkValue(const Json &value, const QString &path);

// An item: every value's shape first, then names (not empty, at most 65535 bytes) and values,
// then the size against 400 KB ("Item size has exceeded the maximum allowed size"), which
// `size` is given when asked for.
Result<Json> checkItem(const Json &item, qint64 *size = nullptr);
// The same without copying an item that is already as it is stored (the common case): no
// value when `item` itself is the checked item, else the checked copy.
Result<std::optional<Json>> checkItemInPlace(const Json &item, qint64 *size = nullptr);

// Sizes as DynamoDB counts them ("Item sizes and formats" in its developer guide): an item is
// its names' UTF-8 bytes plus its values; S its UTF-8 bytes, N DdbNumber::storedSize(), B its
// raw bytes, BOOL and NULL 1, a set its members' sum, L and M 3 plus 1 per element plus the
// elements (and an M's names). For checked values; a malformed one counts as 0.
qint64 itemSize(const Json &item);
qint64 valueSize(const Json &value);

// The order of two S (UTF-8 bytes), N (numeric) or B (unsigned bytes) values, -1/0/1;
// nullopt for other types, mixed types or malformed values.
std::optional<int> compareValues(const Json &a, const Json &b);

// Deep equality: numbers by value ("1" and "1.0"), binaries by bytes, sets in any order, maps
// by name. Values of different types are not equal.
bool equalValues(const Json &a, const Json &b);

// Bytes whose memcmp order is compareValues' order for key values of one type: S's UTF-8, B's
// raw bytes, N's DdbNumber::sortKey(); empty for any other value.
QByteArray keySortBytes(const Json &value);

// "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS" or "BS"; empty unless the value is an
// object whose one member is a type.
QString typeOf(const Json &value);

} // namespace tarmac
