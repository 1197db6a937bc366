#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace tarmac {

// One key of a table or an index: the attribute and its type ("S", "N" or "B"). An index
// without a sort key has an empty rangeName.
struct DdbKeySchema
{
    QString hashName;
    QString hashType;
    QString rangeName;
    QString rangeType;

    bool hasRange() const { return !rangeName.isEmpty(); }
    QStringList names() const;
};

// A global or local secondary index.
struct DdbIndex
{
    QString name;
    bool global = true;
    DdbKeySchema key;
    QString projectionType = QStringLiteral("ALL"); // ALL, KEYS_ONLY, INCLUDE
    QStringList nonKeyAttributes; // INCLUDE's
    qint64 readCapacity = 0; // provisioned GSIs
    qint64 writeCapacity = 0;
    int number = 0; // its rows in ddb_index, unique within the table
};

// A table's definition as CreateTable and UpdateTable set it, persisted as JSON (toDocument).
struct DdbTable
{
    QString name;
    qint64 id = 0; // its rows' key in the SQLite tables
    QString tableId; // the UUID AWS shows as TableId
    double createdSeconds = 0;
    DdbKeySchema key;
    QMap<QString, QString> attributeTypes; // AttributeDefinitions
    QString billingMode = QStringLiteral("PROVISIONED");
    qint64 readCapacity = 0;
    qint64 writeCapacity = 0;
    QList<DdbIndex> indexes; // LSIs then GSIs, in the order given
    bool streamEnabled = false;
    QString streamViewType;
    QString streamLabel; // the current stream's, kept after the stream is disabled
    QString ttlAttribute; // set while TTL is enabled
    QMap<QString, QString> tags;
    QString tableClass = QStringLiteral("STANDARD");
    bool deletionProtection = false;
    int nextIndexNumber = 1;

    const DdbIndex *index(const QString &indexName) const;
    QString arn(const QString &region, const QString &accountId) const;
    QString streamArn(const QString &region, const QString &accountId) const;

    Json toDocument() const;
    static std::optional<DdbTable> fromDocument(const Json &document);
};

// CreateTable's request read and checked as DynamoDB checks it (names, key schema against the
// attribute definitions, billing and throughput, indexes, stream specification), in the
// ValidationExceptions' words. `id` and the time are the caller's.
Result<DdbTable> parseCreateTable(const Json &request);

// One GlobalSecondaryIndex of a request (CreateTable's, UpdateTable's Create), with its
// projection; attribute types come from `attributeTypes`.
Result<DdbIndex> parseIndex(
    const Json &index, bool global, const QMap<QString, QString> &attributeTypes, bool provisioned);

// A StreamSpecification: enabled and view type, or the message.
Result<std::pair<bool, QString>> parseStreamSpecification(const Json &spec);

// The TableDescription DescribeTable answers, with the counts given.
Json tableDescription(const DdbTable &table, const QString &region, const QString &accountId,
    qint64 itemCount, qint64 sizeBytes, const QString &status = QStringLiteral("ACTIVE"));

// A table name's check: 3 to 255 of [a-zA-Z0-9_.-].
std::optional<Error> checkTableName(const QString &name, const char *field = "tableName");

} // namespace tarmac
