#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QSet>
#include <QString>
#include <QStringList>
#include <QStringView>

#include <memory>
#include <string>
#include <vector>

// DynamoDB's expression language: one tokenizer, parser and checker for the five expressions a
// request can carry (ConditionExpression, FilterExpression, KeyConditionExpression,
// ProjectionExpression, UpdateExpression), and their evaluation against items in wire JSON
// ({"S":"x"}, {"N":"1"}, {"M":{...}}, ...; see ddbvalue.h).
//
// Parsing checks everything DynamoDB checks before it reads an item, in its order and with its
// messages, each prefixed "Invalid <Parameter>: ": an empty expression, the 4 KB limit, syntax
// errors ("Syntax error; token: \"x\", near: \"a x b\"": the token where reading stopped and
// the text from the token before it to the token after it), redundant parentheses, reserved
// words, unknown functions and functions in the wrong place, list indexes past 2^31-1, more
// than 300 operators and functions, undefined #names and :values, paths deeper than 32, the
// operand count and operand types of functions and operators, BETWEEN's bounds, IN's 100
// operands, identical operands ("a = a"), and for updates repeated clauses, overlapping or
// conflicting paths and ADD/DELETE operands. Errors are ValidationExceptions (HTTP 400);
// nothing throws.
//
// A request's expressions share one DdbExpressionContext: parse each (DynamoDB's order is
// Query: Filter, Projection, KeyCondition; Scan: Filter, Projection; UpdateItem: Update,
// Condition; GetItem: Projection only, and it ignores ExpressionAttributeValues), then call
// checkAllUsed(). The parsed expressions copy what they need: the context's JSON need not
// outlive them.
namespace tarmac {

// The expression parameters, for the "Invalid <Parameter>: " prefix of messages.
enum class DdbExpressionKind { Condition, Filter, KeyCondition, Projection, Update };
QString ddbExpressionParameter(DdbExpressionKind kind); // "ConditionExpression", ...

// One step of a document path: an attribute name (#placeholders resolved) or a list index.
struct DdbPathElement
{
    QString name;
    std::string key; // name's UTF-8, for lookups in items
    qint64 index = -1; // >= 0 for a list index

    bool isIndex() const { return index >= 0; }
    friend bool operator==(const DdbPathElement &a, const DdbPathElement &b)
    {
        return a.index == b.index && a.name == b.name;
    }
};
using DdbPath = std::vector<DdbPathElement>;

// "[a, b, [2], c]", as DynamoDB's messages print a path.
QString ddbPathText(const DdbPath &path);

// Whether a name written bare in an expression is one of DynamoDB's reserved words (any case).
// The full list of the developer guide's "Reserved words in DynamoDB"; AND, OR, NOT, BETWEEN,
// IN, SET, ADD and DELETE never get here (they are keywords: a syntax error where a name is
// expected), and SIZE and CONVERT, though listed, are accepted as names as DynamoDB does.
bool ddbIsReservedWord(QStringView name);

// ExpressionAttributeNames and ExpressionAttributeValues of one request (JSON objects; null
// when the request has none), and the placeholders its expressions used.
struct DdbExpressionContext
{
    const Json *names = nullptr;
    const Json *values = nullptr;
    QSet<QString> usedNames; // filled by the parses
    QSet<QString> usedValues;
};

// The maps themselves, before any expression: not empty, keys "#[A-Za-z0-9_]+" and
// ":[A-Za-z0-9_]+" of at most 255 bytes, names non-empty strings, values objects. (Checking the
// values as AttributeValues is checkValue()'s, ddbvalue.h.)
Result<void> checkExpressionAttributeMaps(const DdbExpressionContext &ctx);

// After every expression of a request is parsed: "Value provided in ExpressionAttributeNames
// unused in expressions: keys: {#a, #b}" (names first), then the same for values. Several keys
// are listed in the order of Java's HashSet, as DynamoDB lists them.
Result<void> checkAllUsed(const DdbExpressionContext &ctx);

struct DdbExprNode; // the parsed tree, private to ddbexpression.cpp

// A ConditionExpression or FilterExpression (or a KeyConditionExpression, which
// parseKeyCondition() checks further): comparisons = <> < <= > >=, BETWEEN, IN (at most 100
// values), AND/OR/NOT with DynamoDB's precedence (comparisons, IN, BETWEEN, functions, then
// NOT, AND, OR) and parentheses, functions attribute_exists, attribute_not_exists,
// attribute_type, begins_with, contains, size. Operands are document paths (a.b[2].#c) and
// :values.
class DdbCondition
{
public:
    static Result<DdbCondition> parse(const QString &text, DdbExpressionContext &ctx,
        DdbExpressionKind kind = DdbExpressionKind::Condition);

    // Whether the item (an object of attribute name to value; an empty object for no item)
    // meets the condition. A missing attribute or values of different types make a comparison
    // false ("<>" true), never an error; size() of a number, boolean or null has no value.
    // Never fails today; a Result for the API's sake.
    Result<bool> evaluate(const Json &item) const;

    // Every document path the expression reads, in order (a Query's filter may not name the
    // key attributes; no expression may look inside a key attribute).
    const std::vector<DdbPath> &paths() const { return m_paths; }
    QStringList topLevelNames() const;

private:
    std::shared_ptr<const DdbExprNode> m_root;
    std::vector<DdbPath> m_paths;
};

// A Query's KeyConditionExpression: partitionName = :v, and optionally one condition on the
// sort key (=, <, <=, >, >=, BETWEEN, begins_with), either way round (":v < sk" is "sk > :v").
// Checked as a condition first, then as DynamoDB checks key conditions ("Invalid operator used
// in KeyConditionExpression: OR", "Query condition missed key schema element: pk", "Query key
// condition not supported", ...) against the table's or index's key names (rangeKey empty for a
// hash-only key). The values are the :values' AttributeValues; checking their types against
// the key schema is the caller's ("One or more parameter values were invalid: Condition
// parameter type does not match schema type").
struct DdbKeyCondition
{
    QString partitionName;
    Json partitionValue;
    QString sortName; // empty when op is None
    enum Op { None, Eq, Lt, Le, Gt, Ge, Between, BeginsWith } op = None;
    Json sortValue;
    Json sortValue2; // BETWEEN's upper bound
};
Result<DdbKeyCondition> parseKeyCondition(const QString &text, DdbExpressionContext &ctx,
    const QString &hashKey, const QString &rangeKey);

// A ProjectionExpression: paths separated by commas, none overlapping another ("a, a.b") or
// using one level as both map and list ("a.b, a[0]").
class DdbProjection
{
public:
    static Result<DdbProjection> parse(const QString &text, DdbExpressionContext &ctx);
    // Paths already checked (an update's, for ReturnValues UPDATED_OLD/UPDATED_NEW).
    static DdbProjection fromPaths(std::vector<DdbPath> paths);

    // What DynamoDB answers: the named parts of the item, nested maps keeping only the named
    // members, lists only the named elements in index order (a[2], a[0] gives [a0, a2]); a
    // path that is not in the item adds nothing, not even its empty parents.
    Json apply(const Json &item) const;

    const std::vector<DdbPath> &paths() const { return m_paths; }

private:
    std::vector<DdbPath> m_paths;
};

// An UpdateExpression: SET (path = value, value + value, value - value, if_not_exists(path,
// value), list_append(value, value); parentheses around the right-hand side), REMOVE paths
// (map members and list elements), ADD path :value (a number to a number, a set to a set of
// its type; a missing attribute takes the value), DELETE path :set (the attribute goes when
// its set empties). Each clause at most once; no two paths overlapping or conflicting.
class DdbUpdate
{
public:
    static Result<DdbUpdate> parse(const QString &text, DdbExpressionContext &ctx);

    // The updated item, every value computed from the item as it was ("SET a = b, b = a"
    // swaps). SET on a list index past the end appends (several in index order); REMOVE of
    // list elements uses the indexes the list had before the update. Errors are DynamoDB's
    // ValidationExceptions: "The document path provided in the update expression is invalid
    // for update" (a parent missing or of the wrong type), "The provided expression refers to
    // an attribute that does not exist in the item", "An operand in the update expression has
    // an incorrect data type", number overflow. itemExists false: the item is new (the caller
    // passes its key attributes), where DynamoDB ignores a REMOVE below a missing attribute.
    Result<Json> apply(const Json &item, bool itemExists = true) const;

    // The attributes the update writes, in order without repeats, for ReturnValues
    // UPDATED_OLD/UPDATED_NEW and the key-attribute check ("Cannot update attribute pk. This
    // attribute is part of the key").
    QStringList updatedTopLevelNames() const;
    // The paths it writes (a projection of them answers UPDATED_OLD/UPDATED_NEW).
    std::vector<DdbPath> updatedPaths() const;
    // The document paths its values read (if_not_exists(a, ...), b + :n).
    const std::vector<DdbPath> &readPaths() const { return m_readPaths; }

    struct Action;

private:
    std::shared_ptr<const std::vector<Action>> m_actions;
    std::vector<DdbPath> m_readPaths;
};

} // namespace tarmac
