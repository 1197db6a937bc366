#pragma once

#include "base/json.h"
#include "base/result.h"
#include "services/servicemodule.h"

#include <QMap>
#include <QString>

namespace tarmac {

class DynamoDb;
struct DdbTable;

// The table browser's search (the resource catalog's "search" for tables): Scan or Query, on
// the table or one of its indexes, with a key condition, a filter and their values typed as
// plain JSON. What it builds is a real Scan or Query request, so what it accepts and refuses
// (and how) is DynamoDB's.
namespace ddbsearch {

// The form for one table: operation, index, key condition, filter, values, order.
QList<CatalogField> fields(const DdbTable &table);

// The Scan or Query request the form's fields make (without Limit and ExclusiveStartKey).
// `#name` placeholders need no names: each stands for the attribute it spells. Values are a
// JSON object of `:placeholder` to plain JSON ("a", 12, true, null, lists, maps) or to
// DynamoDB's typed form ({"S": "a"}).
Result<Json> request(const DdbTable &table, const QMap<QString, QString> &fields);

// Runs it: up to `max` matching items from `after` (a previous page's `next`, which is the
// LastEvaluatedKey), reading pages until it has them or the table ends.
Result<CatalogPage> run(DynamoDb &model, const DdbTable &table,
    const QMap<QString, QString> &fields, const QString &after, int max);

// A typed attribute value from plain JSON (a value already typed stays as it is).
Json typedValue(const Json &plain);

// One line about an item for the browser: its other attributes, `name: value`, shortened.
QString preview(const DdbTable &table, const Json &item);

} // namespace ddbsearch
} // namespace tarmac
