#include "services/dynamodb/dynamodb.h"

#include "base/clock.h"
#include "base/ids.h"
#include "services/dynamodb/ddbexpression.h"
#include "services/dynamodb/ddbinternal.h"
#include "services/dynamodb/ddbnumber.h"
#include "services/dynamodb/ddbvalue.h"
#include "store/store.h"

#include <QDateTime>
#include <QReadLocker>
#include <QSet>
#include <QTimeZone>
#include <QUuid>
#include <QWriteLocker>

#include <algorithm>
#include <cmath>
#include <limits>

namespace tarmac {

namespace ddb {

QByteArray maxBound()
{
    static const QByteArray bound(4200, '\xff');
    return bound;
}

Error validation(const QString &message)
{
    return makeError(QStringLiteral("ValidationException"), message, 400);
}

Error invalid(const QString &message)
{
    return validation(QStringLiteral("One or more parameter values were invalid: ") + message);
}

Error serialization(const QString &message)
{
    return makeError(QStringLiteral("SerializationException"), message, 400);
}

Error notFound(const QString &message)
{
    return makeError(QStringLiteral("ResourceNotFoundException"), message, 400);
}

Error inUse(const QString &message)
{
    return makeError(QStringLiteral("ResourceInUseException"), message, 400);
}

Error conditionFailed()
{
    return makeError(QStringLiteral("ConditionalCheckFailedException"),
        QStringLiteral("The conditional request failed"), 400);
}

qint64 partitionHash(const QByteArray &pk)
{
    quint32 h = 2166136261u;
    for (const char c : pk) {
        h ^= quint8(c);
        h *= 16777619u;
    }
    // FNV's low bits mix poorly for short keys: finish with a multiply-xorshift.
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    return qint64(h);
}

QString str(const Json &v)
{
    const auto *p = v.get_ptr<const std::string *>();
    return p ? QString::fromStdString(*p) : QString();
}

namespace {

const char *typeWord(Json::value_t type)
{
    switch (type) {
    case Json::value_t::string:
        return "a string";
    case Json::value_t::object:
        return "a structure";
    case Json::value_t::array:
        return "a list";
    case Json::value_t::boolean:
        return "a boolean";
    default:
        return "a number";
    }
}

} // namespace

Result<const Json *> member(const Json &r, const char *name, Json::value_t type)
{
    const auto it = r.find(name);
    if (it == r.end() || it->is_null())
        return static_cast<const Json *>(nullptr);
    const bool ok = type == Json::value_t::number_integer ? it->is_number_integer()
        : type == Json::value_t::number_float             ? it->is_number()
                                                          : it->type() == type;
    if (!ok)
        return serialization(QStringLiteral("Unexpected value type in payload: %1 must be %2")
                                 .arg(QLatin1String(name), QLatin1String(typeWord(type))));
    return &*it;
}

Result<const Json *> requiredMember(
    const Json &r, const char *name, Json::value_t type, const char *wireName)
{
    auto m = member(r, name, type);
    if (m && !*m)
        return validation(QStringLiteral("1 validation error detected: Value null at '%1' failed "
                                         "to satisfy constraint: Member must not be null")
                              .arg(QLatin1String(wireName)));
    return m;
}

Result<std::optional<QString>> stringMember(const Json &r, const char *name)
{
    auto m = member(r, name, Json::value_t::string);
    if (!m)
        return m.error();
    if (!*m)
        return std::optional<QString>();
    return std::optional<QString>(str(**m));
}

Result<std::optional<bool>> boolMember(const Json &r, const char *name)
{
    auto m = member(r, name, Json::value_t::boolean);
    if (!m)
        return m.error();
    if (!*m)
        return std::optional<bool>();
    return std::optional<bool>((*m)->get<bool>());
}

Result<std::optional<qint64>> intMember(const Json &r, const char *name)
{
    auto m = member(r, name, Json::value_t::number_integer);
    if (!m)
        return m.error();
    if (!*m)
        return std::optional<qint64>();
    return std::optional<qint64>((*m)->get<qint64>());
}

namespace {

// A document as JSON text for a TEXT column, written without nlohmann's std::string; the bytes
// live to the end of the statement that binds them.
struct JsonText
{
    QByteArray bytes;
    operator std::string_view() const { return {bytes.constData(), size_t(bytes.size())}; }
};

JsonText jsonText(const Json &value)
{
    return {toJsonBytes(value)};
}

// A key attribute's value: its type must be the schema's, not empty, within `maxBytes`.
Result<QByteArray> keyBytes(const Json &value, const QString &name, const QString &type,
    qint64 maxBytes, bool inItem, bool range)
{
    const QString actual = typeOf(value);
    if (actual != type) {
        if (inItem)
            return invalid(QStringLiteral("Type mismatch for key %1 expected: %2 actual: %3")
                               .arg(name, type, actual));
        return validation(QStringLiteral("The provided key element does not match the schema"));
    }
    const QByteArray bytes = keySortBytes(value);
    if (bytes.isEmpty()
        || (type == QLatin1String("S") && value["S"].get_ref<const std::string &>().empty()))
        return validation(QStringLiteral("One or more parameter values are not valid. The "
                                         "AttributeValue for a key attribute cannot contain an "
                                         "empty %1 value. Key: %2")
                              .arg(type == QLatin1String("B") ? QStringLiteral("binary")
                                                              : QStringLiteral("string"),
                                  name));
    if (type != QLatin1String("N") && valueSize(value) > maxBytes)
        return validation(range ? QStringLiteral("One or more parameter values were invalid: "
                                                 "Aggregated size of all range keys has exceeded "
                                                 "the size limit of 1024 bytes")
                                : QStringLiteral("One or more parameter values were invalid: "
                                                 "Size of hashkey has exceeded the maximum size "
                                                 "limit of2048 bytes"));
    return bytes;
}

} // namespace

Result<DynamoDb::Key> keyOf(const DdbTable &table, const Json *key)
{
    const Error mismatch
        = validation(QStringLiteral("The provided key element does not match the schema"));
    if (!key || !key->is_object())
        return mismatch;
    const size_t expected = table.key.hasRange() ? 2 : 1;
    if (key->size() != expected)
        return mismatch;
    DynamoDb::Key out;
    const auto h = key->find(s(table.key.hashName));
    if (h == key->end())
        return mismatch;
    auto checkedHash = checkValue(*h, table.key.hashName);
    if (!checkedHash)
        return checkedHash.error();
    auto pk = keyBytes(
        *checkedHash, table.key.hashName, table.key.hashType, kMaxPartitionKeyBytes, false, false);
    if (!pk)
        return pk.error();
    out.pk = *pk;
    if (table.key.hasRange()) {
        const auto r = key->find(s(table.key.rangeName));
        if (r == key->end())
            return mismatch;
        auto checkedRange = checkValue(*r, table.key.rangeName);
        if (!checkedRange)
            return checkedRange.error();
        auto sk = keyBytes(
            *checkedRange, table.key.rangeName, table.key.rangeType, kMaxSortKeyBytes, false, true);
        if (!sk)
            return sk.error();
        out.sk = *sk;
    }
    out.hash = partitionHash(out.pk);
    return out;
}

Result<DynamoDb::Key> itemKey(const DdbTable &table, const Json &item)
{
    DynamoDb::Key out;
    const auto attribute = [&](const QString &name, const QString &type, qint64 max,
                               bool range) -> Result<QByteArray> {
        const auto it = item.find(s(name));
        if (it == item.end())
            return invalid(QStringLiteral("Missing the key %1 in the item").arg(name));
        return keyBytes(*it, name, type, max, true, range);
    };
    auto pk = attribute(table.key.hashName, table.key.hashType, kMaxPartitionKeyBytes, false);
    if (!pk)
        return pk.error();
    out.pk = *pk;
    if (table.key.hasRange()) {
        auto sk = attribute(table.key.rangeName, table.key.rangeType, kMaxSortKeyBytes, true);
        if (!sk)
            return sk.error();
        out.sk = *sk;
    }
    for (const DdbIndex &index : table.indexes) {
        for (const auto &[name, type] : {std::pair {index.key.hashName, index.key.hashType},
                 std::pair {index.key.rangeName, index.key.rangeType}}) {
            if (name.isEmpty())
                continue;
            const auto it = item.find(s(name));
            if (it == item.end())
                continue;
            const QString actual = typeOf(*it);
            if (actual != type)
                return invalid(QStringLiteral("Type mismatch for Index Key %1 Expected: %2 "
                                              "Actual: %3 IndexName: %4")
                                   .arg(name, type, actual, index.name));
            if (keySortBytes(*it).isEmpty())
                return validation(
                    QStringLiteral("One or more parameter values are not valid. A "
                                   "value specified for a secondary index key is not "
                                   "supported. The AttributeValue for a key attribute "
                                   "cannot contain an empty string value. IndexName: "
                                   "%1, IndexKey: %2")
                        .arg(index.name, name));
        }
    }
    out.hash = partitionHash(out.pk);
    return out;
}

Json keyAttributes(const DdbTable &table, const Json &item, const DdbIndex *index)
{
    Json out = Json::object();
    QStringList names = table.key.names();
    if (index)
        names += index->key.names();
    for (const QString &n : names) {
        const auto it = item.find(s(n));
        if (it != item.end())
            out[it.key()] = *it;
    }
    return out;
}

Json projectToIndex(const DdbTable &table, const DdbIndex &index, const Json &item)
{
    if (index.projectionType == QLatin1String("ALL"))
        return item;
    Json out = keyAttributes(table, item, &index);
    for (const QString &n : index.nonKeyAttributes) {
        const auto it = item.find(s(n));
        if (it != item.end())
            out[it.key()] = *it;
    }
    return out;
}

Result<Json> checkedValues(const Json &request)
{
    const auto it = request.find("ExpressionAttributeValues");
    if (it == request.end() || it->is_null())
        return Json();
    if (!it->is_object())
        return serialization(QStringLiteral("Unexpected value type in payload: "
                                            "ExpressionAttributeValues must be a structure"));
    Json out = Json::object();
    for (auto v = it->begin(); v != it->end(); ++v) {
        auto checked = checkValue(v.value(), QString::fromStdString(v.key()));
        if (!checked) {
            if (checked.error().code == QLatin1String("SerializationException"))
                return checked.error();
            return validation(QStringLiteral("ExpressionAttributeValues contains invalid value: "
                                             "%1 for key %2")
                                  .arg(checked.error().message, QString::fromStdString(v.key())));
        }
        out[v.key()] = std::move(*checked);
    }
    return out;
}

std::optional<Error> legacyParameter(const Json &request)
{
    static const std::pair<const char *, const char *> legacy[] = {
        {"Expected", "ConditionExpression"},
        {"AttributeUpdates", "UpdateExpression"},
        {"KeyConditions", "KeyConditionExpression"},
        {"QueryFilter", "FilterExpression"},
        {"ScanFilter", "FilterExpression"},
        {"ConditionalOperator", "ConditionExpression or FilterExpression"},
        {"AttributesToGet", "ProjectionExpression"},
    };
    for (const auto &[name, instead] : legacy) {
        const auto it = request.find(name);
        if (it != request.end() && !it->is_null())
            return validation(QStringLiteral("Tarmac does not support the legacy parameter %1; "
                                             "use %2 instead")
                                  .arg(QLatin1String(name), QLatin1String(instead)));
    }
    return std::nullopt;
}

bool wantsCapacity(const Json &request)
{
    const auto it = request.find("ReturnConsumedCapacity");
    return it != request.end() && it->is_string() && *it != "NONE";
}

double writeUnits(qint64 bytes)
{
    return double(qMax<qint64>(1, (bytes + 1023) / 1024));
}

double readUnits(qint64 bytes, bool consistent)
{
    const double units = double(qMax<qint64>(1, (bytes + 4095) / 4096));
    return consistent ? units : units / 2;
}

Json consumedCapacity(DdbCallInfo &info, const Json &request, const DdbTable &table, double units,
    const QHash<QString, double> &indexUnits)
{
    double total = units;
    for (const double u : indexUnits)
        total += u;
    info.capacityUnits += total;
    const auto it = request.find("ReturnConsumedCapacity");
    if (it == request.end() || !it->is_string() || *it == "NONE")
        return Json();
    Json out = {{"TableName", s(table.name)}, {"CapacityUnits", total}};
    if (*it == "INDEXES") {
        out["Table"] = {{"CapacityUnits", units}};
        Json gsi = Json::object();
        Json lsi = Json::object();
        for (auto i = indexUnits.cbegin(); i != indexUnits.cend(); ++i) {
            const DdbIndex *index = table.index(i.key());
            (index && !index->global ? lsi : gsi)[s(i.key())] = {{"CapacityUnits", i.value()}};
        }
        if (!gsi.empty())
            out["GlobalSecondaryIndexes"] = gsi;
        if (!lsi.empty())
            out["LocalSecondaryIndexes"] = lsi;
    }
    return out;
}

QString sequenceText(qint64 sequence)
{
    return QStringLiteral("%1").arg(sequence, 21, 10, QLatin1Char('0'));
}

} // namespace ddb

using namespace ddb;

namespace {

const char kModule[] = "dynamodb";

const std::vector<Migration> &migrations()
{
    static const std::vector<Migration> m = {
        {1,
            "CREATE TABLE ddb_tables (name TEXT PRIMARY KEY, doc TEXT NOT NULL);"
            "CREATE TABLE ddb_items (tbl INTEGER NOT NULL, h INTEGER NOT NULL, pk BLOB NOT NULL,"
            " sk BLOB NOT NULL, item TEXT NOT NULL, size INTEGER NOT NULL, ttl INTEGER,"
            " PRIMARY KEY (tbl, h, pk, sk)) WITHOUT ROWID;"
            "CREATE INDEX ddb_items_ttl ON ddb_items (ttl) WHERE ttl IS NOT NULL;"
            "CREATE TABLE ddb_index (tbl INTEGER NOT NULL, idx INTEGER NOT NULL,"
            " h INTEGER NOT NULL, ipk BLOB NOT NULL, isk BLOB NOT NULL, bh INTEGER NOT NULL,"
            " pk BLOB NOT NULL, sk BLOB NOT NULL,"
            " PRIMARY KEY (tbl, idx, h, ipk, isk, pk, sk)) WITHOUT ROWID;"
            "CREATE TABLE ddb_stream (tbl INTEGER NOT NULL, seq INTEGER NOT NULL,"
            " label TEXT NOT NULL, created_ns INTEGER NOT NULL, record TEXT NOT NULL,"
            " trace_id BLOB, span_id BLOB, PRIMARY KEY (tbl, seq)) WITHOUT ROWID;"
            "CREATE INDEX ddb_stream_created ON ddb_stream (created_ns);"
            "CREATE TABLE ddb_stream_positions (uuid TEXT PRIMARY KEY, seq INTEGER NOT NULL);"},
    };
    return m;
}

constexpr qint64 kStreamRetentionNs = 24LL * 3600 * 1'000'000'000;
constexpr qint64 kIteratorLifetimeNs = 15LL * 60 * 1'000'000'000;
constexpr qint64 kTtlMaxAgeSeconds = 5LL * 365 * 24 * 3600;

QString labelText(qint64 ns)
{
    return QDateTime::fromMSecsSinceEpoch(ns / 1'000'000, QTimeZone::utc())
        .toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzz"));
}

} // namespace

QString DynamoDb::shardId(const DdbTable &table)
{
    const QDateTime when = QDateTime::fromString(table.streamLabel, Qt::ISODateWithMs);
    const qint64 ms = when.isValid() ? when.toMSecsSinceEpoch() : 0;
    return QStringLiteral("shardId-%1-%2")
        .arg(ms, 20, 10, QLatin1Char('0'))
        .arg(quint32(partitionHash(table.name.toUtf8())), 8, 16, QLatin1Char('0'));
}

namespace {

// The TTL an item carries under `attribute`: its number's whole seconds, or nullopt.
std::optional<qint64> ttlOf(const Json &item, const QString &attribute)
{
    if (attribute.isEmpty() || !item.is_object())
        return std::nullopt;
    const auto it = item.find(attribute.toStdString());
    if (it == item.end() || typeOf(*it) != QLatin1String("N"))
        return std::nullopt;
    bool ok = false;
    const double v = QString::fromStdString((*it)["N"].get<std::string>()).toDouble(&ok);
    if (!ok || !std::isfinite(v) || v < 0 || v > 9.2e15)
        return std::nullopt;
    return qint64(std::floor(v));
}

// The index row key of an item, or nothing (the index is sparse: an attribute is missing).
std::optional<DynamoDb::Key> indexKeyOf(const DdbIndex &index, const Json &item)
{
    if (item.is_null())
        return std::nullopt;
    DynamoDb::Key k;
    const auto h = item.find(index.key.hashName.toStdString());
    if (h == item.end() || typeOf(*h) != index.key.hashType)
        return std::nullopt;
    k.pk = keySortBytes(*h);
    if (index.key.hasRange()) {
        const auto r = item.find(index.key.rangeName.toStdString());
        if (r == item.end() || typeOf(*r) != index.key.rangeType)
            return std::nullopt;
        k.sk = keySortBytes(*r);
    }
    k.hash = partitionHash(k.pk);
    return k;
}

Result<Json> parseItemText(const QByteArray &text)
{
    auto j = parseJson(text);
    if (!j)
        return makeError(QStringLiteral("InternalServerError"),
            QStringLiteral("a stored item is not JSON"), 500);
    return std::move(*j);
}

} // namespace

DynamoDb::DynamoDb(QString region, QString accountId, const Clock *clock)
    : m_region(std::move(region))
    , m_accountId(std::move(accountId))
    , m_clock(clock)
{ }

DynamoDb::~DynamoDb() = default;

Result<void> DynamoDb::open(Store *store)
{
    m_store = store;
    if (auto r = store->migrateModule(QLatin1String(kModule), migrations()); !r)
        return r;
    // m_lock before the store's writer, the order every operation takes them in.
    QWriteLocker lock(&m_lock);
    return store->write([this](Database &db) { return load(db); });
}

Result<void> DynamoDb::reload()
{
    QWriteLocker lock(&m_lock);
    {
        // A token names a transaction of the rows that went: a retry after a reset is a new
        // request.
        QMutexLocker tokens(&m_tokensMutex);
        m_tokens.clear();
    }
    return m_store->write([this](Database &db) -> Result<void> {
        // The cache would answer items that are no longer in the rows.
        forgetItems();
        m_nextSequence.clear();
        m_tables.clear();
        return load(db);
    });
}

Result<void> DynamoDb::load(Database &db)
{
    auto st = db.prepare("SELECT doc FROM ddb_tables");
    if (!st)
        return st.error();
    // m_nextTableId only grows: a request still holding a table that a reset removed writes
    // under the old id, never into a table made after the reset.
    auto r = st->forEachRow([&] {
        auto doc = parseJson(st->blob(0));
        if (!doc)
            return;
        auto table = DdbTable::fromDocument(*doc);
        if (!table)
            return;
        m_nextTableId = qMax(m_nextTableId, table->id + 1);
        m_tables.insert(table->name, std::make_shared<const DdbTable>(*table));
    });
    if (!r)
        return r;
    auto seq = db.prepare("SELECT tbl, MAX(seq) FROM ddb_stream GROUP BY tbl");
    if (!seq)
        return seq.error();
    return seq->forEachRow([&] { m_nextSequence.insert(seq->int64(0), seq->int64(1) + 1); });
}

Result<Json> DynamoDb::call(const QString &operation, const Json &request, DdbCallInfo &info)
{
    using Plain = Result<Json> (DynamoDb::*)(const Json &);
    using WithInfo = Result<Json> (DynamoDb::*)(const Json &, DdbCallInfo &);
    static const QHash<QString, Plain> plain = {
        {QStringLiteral("DescribeTable"), &DynamoDb::describeTable},
        {QStringLiteral("ListTables"), &DynamoDb::listTables},
        {QStringLiteral("DeleteTable"), &DynamoDb::deleteTable},
        {QStringLiteral("UpdateTable"), &DynamoDb::updateTable},
        {QStringLiteral("UpdateTimeToLive"), &DynamoDb::updateTimeToLive},
        {QStringLiteral("DescribeTimeToLive"), &DynamoDb::describeTimeToLive},
        {QStringLiteral("TagResource"), &DynamoDb::tagResource},
        {QStringLiteral("UntagResource"), &DynamoDb::untagResource},
        {QStringLiteral("ListTagsOfResource"), &DynamoDb::listTagsOfResource},
    };
    static const QHash<QString, WithInfo> items = {
        {QStringLiteral("PutItem"), &DynamoDb::putItem},
        {QStringLiteral("GetItem"), &DynamoDb::getItem},
        {QStringLiteral("DeleteItem"), &DynamoDb::deleteItem},
        {QStringLiteral("UpdateItem"), &DynamoDb::updateItem},
        {QStringLiteral("BatchGetItem"), &DynamoDb::batchGetItem},
        {QStringLiteral("BatchWriteItem"), &DynamoDb::batchWriteItem},
        {QStringLiteral("TransactWriteItems"), &DynamoDb::transactWriteItems},
        {QStringLiteral("TransactGetItems"), &DynamoDb::transactGetItems},
        {QStringLiteral("Query"), &DynamoDb::query},
        {QStringLiteral("Scan"), &DynamoDb::scan},
    };
    if (const auto it = items.constFind(operation); it != items.cend()) {
        if (auto legacy = legacyParameter(request))
            return *legacy;
        return (this->*it.value())(request, info);
    }
    if (operation == QLatin1String("CreateTable"))
        return createTable(request);
    if (const auto it = plain.constFind(operation); it != plain.cend())
        return (this->*it.value())(request);
    if (operation == QLatin1String("DescribeEndpoints"))
        return Json {{"Endpoints",
            Json::array({{{"Address", "localhost"}, {"CachePeriodInMinutes", 1440}}})}};
    if (operation == QLatin1String("DescribeLimits"))
        return Json {{"AccountMaxReadCapacityUnits", 80000},
            {"AccountMaxWriteCapacityUnits", 80000}, {"TableMaxReadCapacityUnits", 40000},
            {"TableMaxWriteCapacityUnits", 40000}};
    if (operation == QLatin1String("DescribeContinuousBackups")) {
        auto t = table(request);
        if (!t)
            return t.error();
        return Json {{"ContinuousBackupsDescription",
            {{"ContinuousBackupsStatus", "ENABLED"},
                {"PointInTimeRecoveryDescription", {{"PointInTimeRecoveryStatus", "DISABLED"}}}}}};
    }
    return makeError(QStringLiteral("UnknownOperationException"),
        QStringLiteral("Tarmac's DynamoDB does not offer %1").arg(operation), 400);
}

Result<Json> DynamoDb::callStreams(const QString &operation, const Json &request, DdbCallInfo &info)
{
    Q_UNUSED(info);
    if (operation == QLatin1String("ListStreams"))
        return listStreams(request);
    if (operation == QLatin1String("DescribeStream"))
        return describeStream(request);
    if (operation == QLatin1String("GetShardIterator"))
        return getShardIterator(request);
    if (operation == QLatin1String("GetRecords"))
        return getRecords(request);
    return makeError(QStringLiteral("UnknownOperationException"),
        QStringLiteral("Tarmac's DynamoDB Streams does not offer %1").arg(operation), 400);
}

// --- tables -------------------------------------------------------------------------------

DynamoDb::TablePtr DynamoDb::findTable(const QString &name) const
{
    QReadLocker lock(&m_lock);
    return m_tables.value(name);
}

Result<DynamoDb::TablePtr> DynamoDb::table(const Json &r, const char *field) const
{
    auto name = stringMember(r, field);
    if (!name)
        return name.error();
    if (!name->has_value())
        return validation(QStringLiteral("1 validation error detected: Value null at 'tableName' "
                                         "failed to satisfy constraint: Member must not be null"));
    QString n = **name;
    // A table's ARN is accepted wherever its name is.
    if (n.startsWith(QLatin1String("arn:aws:dynamodb:")))
        n = n.section(u'/', 1, 1);
    if (auto e = checkTableName(n))
        return *e;
    if (TablePtr t = findTable(n))
        return t;
    return notFound(QStringLiteral("Requested resource not found: Table: %1 not found").arg(n));
}

Result<DynamoDb::TablePtr> DynamoDb::tableByArn(const QString &arn) const
{
    const QString prefix
        = QStringLiteral("arn:aws:dynamodb:%1:%2:table/").arg(m_region, m_accountId);
    if (!arn.startsWith(QLatin1String("arn:aws:dynamodb:")))
        return validation(
            QStringLiteral("Invalid TableArn: Invalid ResourceArn provided as input %1").arg(arn));
    const QString name
        = arn.startsWith(prefix) ? arn.mid(prefix.size()).section(u'/', 0, 0) : QString();
    if (TablePtr t = findTable(name))
        return t;
    return notFound(
        QStringLiteral("Requested resource not found: ResourcArn: %1 not found").arg(arn));
}

Result<void> DynamoDb::persistTable(const DdbTable &t)
{
    return m_store->write([&](Database &db) -> Result<void> {
        auto st = db.cached("INSERT OR REPLACE INTO ddb_tables (name, doc) VALUES (?, ?)");
        if (!st)
            return st.error();
        return (*st)->bind(1, t.name).bind(2, toJsonBytes(t.toDocument())).exec();
    });
}

Result<void> DynamoDb::changeTable(
    const QString &name, const std::function<Result<void>(DdbTable &)> &change)
{
    QWriteLocker lock(&m_lock);
    const TablePtr old = m_tables.value(name);
    if (!old)
        return notFound(
            QStringLiteral("Requested resource not found: Table: %1 not found").arg(name));
    DdbTable copy = *old;
    if (auto r = change(copy); !r)
        return r;
    if (auto r = persistTable(copy); !r)
        return r;
    m_tables.insert(name, std::make_shared<const DdbTable>(std::move(copy)));
    return {};
}

qint64 DynamoDb::newStreamLabelNs()
{
    // Labels are millisecond timestamps; two streams made in one millisecond get the next.
    qint64 ns = m_clock->nowNs() / 1'000'000 * 1'000'000;
    if (ns <= m_lastLabelNs)
        ns = m_lastLabelNs + 1'000'000;
    m_lastLabelNs = ns;
    return ns;
}

Result<Json> DynamoDb::createTable(const Json &r, const QString &streamLabel)
{
    auto parsed = parseCreateTable(r);
    if (!parsed)
        return parsed.error();
    DdbTable t = std::move(*parsed);
    QWriteLocker lock(&m_lock);
    if (m_tables.contains(t.name))
        return inUse(QStringLiteral("Table already exists: %1").arg(t.name));
    t.id = m_nextTableId++;
    t.tableId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    t.createdSeconds = double(m_clock->nowMs()) / 1000.0;
    if (t.streamEnabled)
        t.streamLabel = streamLabel.isEmpty() ? labelText(newStreamLabelNs()) : streamLabel;
    // A table of this id may have left rows behind if Tarmac stopped while deleting it.
    auto cleared = m_store->write([&](Database &db) -> Result<void> {
        forgetItems();
        for (const char *sql : {"DELETE FROM ddb_items WHERE tbl = ?",
                 "DELETE FROM ddb_index WHERE tbl = ?", "DELETE FROM ddb_stream WHERE tbl = ?"}) {
            auto st = db.prepare(sql);
            if (!st)
                return st.error();
            if (auto e = st->bind(1, t.id).exec(); !e)
                return e;
        }
        return {};
    });
    if (!cleared)
        return cleared.error();
    if (auto p = persistTable(t); !p)
        return p.error();
    m_tables.insert(t.name, std::make_shared<const DdbTable>(t));
    Json description = tableDescription(t, m_region, m_accountId, 0, 0);
    return Json {{"TableDescription", description}};
}

std::pair<qint64, qint64> DynamoDb::counts(const DdbTable &table) const
{
    std::pair<qint64, qint64> out {0, 0};
    (void)m_store->write([&](Database &db) -> Result<void> {
        auto st = db.cached("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM ddb_items WHERE tbl = ?");
        if (!st)
            return st.error();
        (*st)->bind(1, table.id);
        return (*st)->forEachRow([&] { out = {(*st)->int64(0), (*st)->int64(1)}; });
    });
    return out;
}

Result<Json> DynamoDb::describeTable(const Json &r)
{
    auto t = table(r);
    if (!t)
        return t.error();
    const auto [items, bytes] = counts(**t);
    Json d = tableDescription(**t, m_region, m_accountId, items, bytes);
    return Json {{"Table", d}};
}

Result<Json> DynamoDb::listTables(const Json &r)
{
    auto start = stringMember(r, "ExclusiveStartTableName");
    if (!start)
        return start.error();
    auto limit = intMember(r, "Limit");
    if (!limit)
        return limit.error();
    const qint64 max = limit->value_or(100);
    if (max < 1 || max > 100)
        return validation(QStringLiteral("1 validation error detected: Value '%1' at 'limit' "
                                         "failed to satisfy constraint: Member must have value "
                                         "%2")
                              .arg(max)
                              .arg(max < 1 ? QStringLiteral("greater than or equal to 1")
                                           : QStringLiteral("less than or equal to 100")));
    QStringList names;
    {
        QReadLocker lock(&m_lock);
        names = m_tables.keys();
    }
    std::sort(names.begin(), names.end());
    Json out = Json::array();
    QString last;
    bool more = false;
    for (const QString &n : names) {
        if (start->has_value() && n <= **start)
            continue;
        if (qint64(out.size()) == max) {
            more = true;
            break;
        }
        out.push_back(s(n));
        last = n;
    }
    Json answer = {{"TableNames", out}};
    if (more)
        answer["LastEvaluatedTableName"] = s(last);
    return answer;
}

Result<Json> DynamoDb::deleteTable(const Json &r)
{
    auto t = table(r);
    if (!t)
        return t.error();
    if ((*t)->deletionProtection)
        return validation(QStringLiteral("Resource cannot be deleted as it is currently protected "
                                         "against deletion. Disable deletion protection first."));
    const auto [items, bytes] = counts(**t);
    Json d = tableDescription(**t, m_region, m_accountId, items, bytes, QStringLiteral("DELETING"));
    if (auto gone = deleteTableByName((*t)->name); !gone)
        return gone.error();
    return Json {{"TableDescription", d}};
}

Result<QString> DynamoDb::deleteTableByName(const QString &name)
{
    QWriteLocker lock(&m_lock);
    const TablePtr t = m_tables.value(name);
    if (!t)
        return notFound(
            QStringLiteral("Requested resource not found: Table: %1 not found").arg(name));
    qint64 items = 0;
    auto r = m_store->write([&](Database &db) -> Result<void> {
        Transaction tx(db);
        if (!tx.began())
            return tx.began();
        for (const char *sql : {"DELETE FROM ddb_items WHERE tbl = ?",
                 "DELETE FROM ddb_index WHERE tbl = ?", "DELETE FROM ddb_stream WHERE tbl = ?"}) {
            auto st = db.prepare(sql);
            if (!st)
                return st.error();
            if (auto e = st->bind(1, t->id).exec(); !e)
                return e;
            if (items == 0)
                items = db.changes();
        }
        forgetItems();
        auto st = db.prepare("DELETE FROM ddb_tables WHERE name = ?");
        if (!st)
            return st.error();
        if (auto e = st->bind(1, name).exec(); !e)
            return e;
        return tx.commit();
    });
    if (!r)
        return r.error();
    m_tables.remove(name);
    return items == 0 ? QStringLiteral("removed")
                      : QStringLiteral("removed with %1 item%2")
                            .arg(items)
                            .arg(QLatin1String(items == 1 ? "" : "s"));
}

Result<Json> DynamoDb::updateTable(const Json &r)
{
    auto t = table(r);
    if (!t)
        return t.error();
    const QString name = (*t)->name;
    auto definitions = member(r, "AttributeDefinitions", Json::value_t::array);
    if (!definitions)
        return definitions.error();
    auto updates = member(r, "GlobalSecondaryIndexUpdates", Json::value_t::array);
    if (!updates)
        return updates.error();
    auto stream = member(r, "StreamSpecification", Json::value_t::object);
    if (!stream)
        return stream.error();
    auto billing = stringMember(r, "BillingMode");
    if (!billing)
        return billing.error();
    auto throughput = member(r, "ProvisionedThroughput", Json::value_t::object);
    if (!throughput)
        return throughput.error();
    auto protection = boolMember(r, "DeletionProtectionEnabled");
    if (!protection)
        return protection.error();
    auto tableClass = stringMember(r, "TableClass");
    if (!tableClass)
        return tableClass.error();

    QList<DdbIndex> created;
    auto changed = changeTable(name, [&](DdbTable &table) -> Result<void> {
        if (*definitions) {
            for (const Json &d : **definitions) {
                if (!d.is_object())
                    return serialization(QStringLiteral("Unexpected value type in payload: "
                                                        "AttributeDefinitions holds a "
                                                        "non-structure"));
                const QString n = str(d.value("AttributeName", Json()));
                const QString type = str(d.value("AttributeType", Json()));
                if (type != QLatin1String("S") && type != QLatin1String("N")
                    && type != QLatin1String("B"))
                    return validation(QStringLiteral("1 validation error detected: Value '%1' at "
                                                     "'attributeDefinitions.1.member."
                                                     "attributeType' failed to satisfy "
                                                     "constraint: Member must satisfy enum value "
                                                     "set: [B, N, S]")
                                          .arg(type));
                if (table.attributeTypes.contains(n) && table.attributeTypes.value(n) != type)
                    return invalid(
                        QStringLiteral("Cannot change the type of the attribute %1").arg(n));
                table.attributeTypes.insert(n, type);
            }
        }
        if (billing->has_value()) {
            if (**billing != QLatin1String("PROVISIONED")
                && **billing != QLatin1String("PAY_PER_REQUEST"))
                return validation(QStringLiteral("1 validation error detected: Value '%1' at "
                                                 "'billingMode' failed to satisfy constraint: "
                                                 "Member must satisfy enum value set: "
                                                 "[PROVISIONED, PAY_PER_REQUEST]")
                                      .arg(**billing));
            table.billingMode = **billing;
        }
        if (*throughput) {
            if (table.billingMode == QLatin1String("PAY_PER_REQUEST"))
                return invalid(QStringLiteral("Neither ReadCapacityUnits nor WriteCapacityUnits "
                                              "can be specified when BillingMode is "
                                              "PAY_PER_REQUEST"));
            const Json &p = **throughput;
            if (p.value("ReadCapacityUnits", Json()).is_number_integer())
                table.readCapacity = p["ReadCapacityUnits"].get<qint64>();
            if (p.value("WriteCapacityUnits", Json()).is_number_integer())
                table.writeCapacity = p["WriteCapacityUnits"].get<qint64>();
        }
        if (protection->has_value())
            table.deletionProtection = **protection;
        if (tableClass->has_value())
            table.tableClass = **tableClass;
        if (*updates) {
            for (const Json &u : **updates) {
                if (!u.is_object())
                    return serialization(QStringLiteral("Unexpected value type in payload: "
                                                        "GlobalSecondaryIndexUpdates holds a "
                                                        "non-structure"));
                if (u.contains("Create") && u["Create"].is_object()) {
                    auto index = parseIndex(u["Create"], true, table.attributeTypes,
                        table.billingMode == QLatin1String("PROVISIONED"));
                    if (!index)
                        return index.error();
                    if (table.index(index->name))
                        return validation(QStringLiteral("Attempting to create an index which "
                                                         "already exists"));
                    index->number = table.nextIndexNumber++;
                    table.indexes.append(*index);
                    created.append(*index);
                } else if (u.contains("Delete") && u["Delete"].is_object()) {
                    const QString indexName = str(u["Delete"].value("IndexName", Json()));
                    const auto it = std::find_if(table.indexes.begin(), table.indexes.end(),
                        [&](const DdbIndex &i) { return i.global && i.name == indexName; });
                    if (it == table.indexes.end())
                        return notFound(QStringLiteral("Requested resource not found"));
                    const int number = it->number;
                    table.indexes.erase(it);
                    auto dropped = m_store->write([&](Database &db) -> Result<void> {
                        auto st = db.prepare("DELETE FROM ddb_index WHERE tbl = ? AND idx = ?");
                        if (!st)
                            return st.error();
                        return st->bind(1, table.id).bind(2, number).exec();
                    });
                    if (!dropped)
                        return dropped;
                } else if (u.contains("Update") && u["Update"].is_object()) {
                    const QString indexName = str(u["Update"].value("IndexName", Json()));
                    if (!table.index(indexName))
                        return notFound(QStringLiteral("Requested resource not found"));
                } else {
                    return validation(QStringLiteral("One or more parameter values were invalid: "
                                                     "One of GlobalSecondaryIndexUpdate.Update, "
                                                     "GlobalSecondaryIndexUpdate.Create, "
                                                     "GlobalSecondaryIndexUpdate.Delete must not "
                                                     "be null"));
                }
            }
        }
        if (*stream) {
            auto spec = parseStreamSpecification(**stream);
            if (!spec)
                return spec.error();
            if (spec->first && table.streamEnabled)
                return validation(QStringLiteral("Table already has an enabled stream: "
                                                 "TableName: %1")
                                      .arg(table.name));
            if (!spec->first && !table.streamEnabled)
                return validation(QStringLiteral("Table does not have a stream enabled: "
                                                 "TableName: %1")
                                      .arg(table.name));
            table.streamEnabled = spec->first;
            table.streamViewType = spec->second;
            if (spec->first)
                table.streamLabel = labelText(newStreamLabelNs());
        }
        for (const DdbIndex &index : created) {
            auto built
                = m_store->write([&](Database &db) { return rebuildIndex(db, table, index); });
            if (!built)
                return built;
        }
        return {};
    });
    if (!changed)
        return changed.error();
    TablePtr now = findTable(name);
    const auto [items, bytes] = counts(*now);
    return Json {{"TableDescription", tableDescription(*now, m_region, m_accountId, items, bytes)}};
}

Result<void> DynamoDb::rebuildIndex(Database &db, const DdbTable &table, const DdbIndex &index)
{
    Transaction tx(db);
    if (!tx.began())
        return tx.began();
    auto del = db.prepare("DELETE FROM ddb_index WHERE tbl = ? AND idx = ?");
    if (!del)
        return del.error();
    if (auto e = del->bind(1, table.id).bind(2, index.number).exec(); !e)
        return e;
    auto rows = db.prepare("SELECT h, pk, sk, item FROM ddb_items WHERE tbl = ?");
    if (!rows)
        return rows.error();
    auto insert = db.prepare("INSERT OR REPLACE INTO ddb_index (tbl, idx, h, ipk, isk, bh, pk, sk)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert)
        return insert.error();
    rows->bind(1, table.id);
    Result<void> failed;
    auto walked = rows->forEachRow([&]() -> bool {
        auto item = parseJson(rows->blob(3));
        if (!item)
            return true;
        const auto k = indexKeyOf(index, *item);
        if (!k)
            return true;
        auto e = insert->bind(1, table.id)
                     .bind(2, index.number)
                     .bind(3, k->hash)
                     .bind(4, k->pk)
                     .bind(5, k->sk)
                     .bind(6, rows->int64(0))
                     .bind(7, rows->blob(1))
                     .bind(8, rows->blob(2))
                     .exec();
        if (!e) {
            failed = e;
            return false;
        }
        return true;
    });
    if (!walked)
        return walked;
    if (!failed)
        return failed;
    return tx.commit();
}

Result<void> DynamoDb::refreshTtl(Database &db, const DdbTable &table)
{
    Transaction tx(db);
    if (!tx.began())
        return tx.began();
    auto rows = db.prepare("SELECT h, pk, sk, item FROM ddb_items WHERE tbl = ?");
    if (!rows)
        return rows.error();
    auto set
        = db.prepare("UPDATE ddb_items SET ttl = ? WHERE tbl = ? AND h = ? AND pk = ? AND sk = ?");
    if (!set)
        return set.error();
    rows->bind(1, table.id);
    QList<std::tuple<qint64, QByteArray, QByteArray, std::optional<qint64>>> changes;
    auto walked = rows->forEachRow([&] {
        auto item = parseJson(rows->blob(3));
        changes.append({rows->int64(0), rows->blob(1), rows->blob(2),
            item ? ttlOf(*item, table.ttlAttribute) : std::nullopt});
    });
    if (!walked)
        return walked;
    for (const auto &[h, pk, sk, ttl] : changes) {
        if (ttl)
            set->bind(1, *ttl);
        else
            set->bindNull(1);
        if (auto e = set->bind(2, table.id).bind(3, h).bind(4, pk).bind(5, sk).exec(); !e)
            return e;
    }
    return tx.commit();
}

Result<Json> DynamoDb::updateTimeToLive(const Json &r)
{
    auto t = table(r);
    if (!t)
        return t.error();
    auto spec = member(r, "TimeToLiveSpecification", Json::value_t::object);
    if (!spec)
        return spec.error();
    if (!*spec)
        return validation(QStringLiteral("1 validation error detected: Value null at "
                                         "'timeToLiveSpecification' failed to satisfy "
                                         "constraint: Member must not be null"));
    auto enabled = boolMember(**spec, "Enabled");
    if (!enabled)
        return enabled.error();
    auto attribute = stringMember(**spec, "AttributeName");
    if (!attribute)
        return attribute.error();
    if (!enabled->has_value() || !attribute->has_value() || (*attribute)->isEmpty())
        return validation(QStringLiteral("1 validation error detected: Value null at "
                                         "'timeToLiveSpecification.%1' failed to satisfy "
                                         "constraint: Member must not be null")
                              .arg(enabled->has_value() ? QStringLiteral("attributeName")
                                                        : QStringLiteral("enabled")));
    const bool on = **enabled;
    const QString attr = **attribute;
    auto changed = changeTable((*t)->name, [&](DdbTable &table) -> Result<void> {
        if (on && !table.ttlAttribute.isEmpty())
            return validation(QStringLiteral("TimeToLive is already enabled"));
        if (!on && table.ttlAttribute.isEmpty())
            return validation(QStringLiteral("TimeToLive is already disabled"));
        if (!on && table.ttlAttribute != attr)
            return validation(QStringLiteral("TimeToLive is active on a different AttributeName: "
                                             "current AttributeName is %1")
                                  .arg(table.ttlAttribute));
        table.ttlAttribute = on ? attr : QString();
        return m_store->write([&](Database &db) { return refreshTtl(db, table); });
    });
    if (!changed)
        return changed.error();
    if (on) {
        if (const auto next = nextExpiry(); next && m_expiryAdded)
            m_expiryAdded(*next);
    }
    return Json {{"TimeToLiveSpecification", {{"Enabled", on}, {"AttributeName", s(attr)}}}};
}

Result<Json> DynamoDb::describeTimeToLive(const Json &r)
{
    auto t = table(r);
    if (!t)
        return t.error();
    if ((*t)->ttlAttribute.isEmpty())
        return Json {{"TimeToLiveDescription", {{"TimeToLiveStatus", "DISABLED"}}}};
    return Json {{"TimeToLiveDescription",
        {{"TimeToLiveStatus", "ENABLED"}, {"AttributeName", s((*t)->ttlAttribute)}}}};
}

Result<Json> DynamoDb::tagResource(const Json &r)
{
    auto arn = stringMember(r, "ResourceArn");
    if (!arn)
        return arn.error();
    auto tags = member(r, "Tags", Json::value_t::array);
    if (!tags)
        return tags.error();
    auto t = tableByArn(arn->value_or(QString()));
    if (!t)
        return t.error();
    QMap<QString, QString> add;
    if (*tags) {
        for (const Json &tag : **tags) {
            if (!tag.is_object() || !tag.value("Key", Json()).is_string()
                || !tag.value("Value", Json()).is_string())
                return serialization(QStringLiteral("Unexpected value type in payload: a tag "
                                                    "must be a structure of Key and Value "
                                                    "strings"));
            add.insert(str(tag["Key"]), str(tag["Value"]));
        }
    }
    auto changed = changeTable((*t)->name, [&](DdbTable &table) -> Result<void> {
        for (auto it = add.cbegin(); it != add.cend(); ++it)
            table.tags.insert(it.key(), it.value());
        if (table.tags.size() > 50)
            return validation(QStringLiteral("One or more parameter values were invalid: The "
                                             "number of tags exceeds the limit of 50"));
        return {};
    });
    if (!changed)
        return changed.error();
    return Json::object();
}

Result<Json> DynamoDb::untagResource(const Json &r)
{
    auto arn = stringMember(r, "ResourceArn");
    if (!arn)
        return arn.error();
    auto keys = member(r, "TagKeys", Json::value_t::array);
    if (!keys)
        return keys.error();
    auto t = tableByArn(arn->value_or(QString()));
    if (!t)
        return t.error();
    auto changed = changeTable((*t)->name, [&](DdbTable &table) -> Result<void> {
        if (*keys) {
            for (const Json &k : **keys)
                table.tags.remove(str(k));
        }
        return {};
    });
    if (!changed)
        return changed.error();
    return Json::object();
}

Result<Json> DynamoDb::listTagsOfResource(const Json &r)
{
    auto arn = stringMember(r, "ResourceArn");
    if (!arn)
        return arn.error();
    auto t = tableByArn(arn->value_or(QString()));
    if (!t)
        return t.error();
    Json tags = Json::array();
    for (auto it = (*t)->tags.cbegin(); it != (*t)->tags.cend(); ++it)
        tags.push_back({{"Key", s(it.key())}, {"Value", s(it.value())}});
    return Json {{"Tags", tags}};
}

Result<void> DynamoDb::putTable(
    const Json &createRequest, const QString &ttlAttribute, const QString &streamLabel)
{
    const QString name = str(createRequest.value("TableName", Json()));
    TablePtr existing = findTable(name);
    if (!existing) {
        auto created = createTable(createRequest, streamLabel);
        if (!created)
            return created.error();
    } else {
        // Bring the definition in line: what CloudFormation updates in place.
        auto wanted = parseCreateTable(createRequest);
        if (!wanted)
            return wanted.error();
        if (wanted->key.names() != existing->key.names())
            return invalid(QStringLiteral("the key schema of table %1 changed: delete the table's "
                                          "state (or rename it) to recreate it")
                               .arg(name));
        QList<DdbIndex> rebuilt;
        auto changed = changeTable(name, [&](DdbTable &t) -> Result<void> {
            t.attributeTypes = wanted->attributeTypes;
            t.billingMode = wanted->billingMode;
            t.readCapacity = wanted->readCapacity;
            t.writeCapacity = wanted->writeCapacity;
            t.tags = wanted->tags;
            t.tableClass = wanted->tableClass;
            t.deletionProtection = wanted->deletionProtection;
            QList<DdbIndex> indexes;
            for (DdbIndex index : wanted->indexes) {
                const DdbIndex *old = t.index(index.name);
                if (old && old->key.names() == index.key.names()) {
                    index.number = old->number;
                } else {
                    index.number = t.nextIndexNumber++;
                    rebuilt.append(index);
                }
                indexes.append(index);
            }
            for (const DdbIndex &old : t.indexes) {
                if (!wanted->index(old.name)
                    || wanted->index(old.name)->key.names() != old.key.names()) {
                    auto dropped = m_store->write([&](Database &db) -> Result<void> {
                        auto st = db.prepare("DELETE FROM ddb_index WHERE tbl = ? AND idx = ?");
                        if (!st)
                            return st.error();
                        return st->bind(1, t.id).bind(2, old.number).exec();
                    });
                    if (!dropped)
                        return dropped;
                }
            }
            t.indexes = indexes;
            if (wanted->streamEnabled != t.streamEnabled
                || wanted->streamViewType != t.streamViewType) {
                if (wanted->streamEnabled && !t.streamEnabled)
                    t.streamLabel
                        = streamLabel.isEmpty() ? labelText(newStreamLabelNs()) : streamLabel;
                t.streamEnabled = wanted->streamEnabled;
                t.streamViewType = wanted->streamViewType;
            }
            for (const DdbIndex &index : rebuilt) {
                auto built
                    = m_store->write([&](Database &db) { return rebuildIndex(db, t, index); });
                if (!built)
                    return built;
            }
            return {};
        });
        if (!changed)
            return changed;
    }
    TablePtr now = findTable(name);
    if (now && now->ttlAttribute != ttlAttribute) {
        auto changed = changeTable(name, [&](DdbTable &t) -> Result<void> {
            t.ttlAttribute = ttlAttribute;
            return m_store->write([&](Database &db) { return refreshTtl(db, t); });
        });
        if (!changed)
            return changed;
        if (const auto next = nextExpiry(); next && m_expiryAdded)
            m_expiryAdded(*next);
    }
    return {};
}

QList<std::shared_ptr<const DdbTable>> DynamoDb::tables() const
{
    QReadLocker lock(&m_lock);
    QList<TablePtr> out = m_tables.values();
    std::sort(out.begin(), out.end(),
        [](const TablePtr &a, const TablePtr &b) { return a->name < b->name; });
    return out;
}

QString DynamoDb::keyText(const DdbTable &table, const Json &item)
{
    return QString::fromUtf8(toJsonBytes(keyAttributes(table, item)));
}

Result<QList<std::pair<QString, Json>>> DynamoDb::browse(
    const QString &tableName, const QString &afterKey, int max) const
{
    const TablePtr t = findTable(tableName);
    if (!t)
        return notFound(
            QStringLiteral("Requested resource not found: Table: %1 not found").arg(tableName));
    Key start {-1, {}, {}};
    if (!afterKey.isEmpty()) {
        auto key = parseJson(afterKey.toUtf8());
        if (!key)
            return validation(QStringLiteral("not a key: %1").arg(afterKey));
        auto k = keyOf(*t, &*key);
        if (!k)
            return k.error();
        start = *k;
    }
    QList<std::pair<QString, Json>> out;
    auto r = m_store->write([&](Database &db) -> Result<void> {
        auto st = db.prepare("SELECT item FROM ddb_items WHERE tbl = ? AND (h, pk, sk) > (?, ?, ?)"
                             " ORDER BY h, pk, sk LIMIT ?");
        if (!st)
            return st.error();
        st->bind(1, t->id).bind(2, start.hash).bind(3, start.pk).bind(4, start.sk).bind(5, max);
        return st->forEachRow([&] {
            auto item = parseJson(st->blob(0));
            if (item)
                out.append({keyText(*t, *item), std::move(*item)});
        });
    });
    if (!r)
        return r.error();
    return out;
}

// --- writes ------------------------------------------------------------------------------

Result<Json> DynamoDb::readItem(Database &db, const DdbTable &table, const Key &key) const
{
    auto st = db.cached("SELECT item FROM ddb_items WHERE tbl = ? AND h = ? AND pk = ? AND sk = ?");
    if (!st)
        return st.error();
    (*st)->bind(1, table.id).bind(2, key.hash).bind(3, key.pk).bind(4, key.sk);
    auto row = (*st)->step();
    if (!row)
        return row.error();
    if (!*row)
        return Json();
    auto item = parseItemText((*st)->blob(0));
    (*st)->reset();
    return item;
}

Result<qint64> DynamoDb::readItemSize(Database &db, const DdbTable &table, const Key &key) const
{
    auto st = db.cached("SELECT size FROM ddb_items WHERE tbl = ? AND h = ? AND pk = ? AND sk = ?");
    if (!st)
        return st.error();
    (*st)->bind(1, table.id).bind(2, key.hash).bind(3, key.pk).bind(4, key.sk);
    qint64 size = 0;
    if (auto read = (*st)->forEachRow([&] { size = (*st)->int64(0); }); !read)
        return read.error();
    return size;
}

Result<qint64> DynamoDb::largestItemSize(Database &db, const DdbTable &table)
{
    if (const auto it = m_largestItem.constFind(table.id); it != m_largestItem.cend())
        return *it;
    auto st = db.cached("SELECT max(size) FROM ddb_items WHERE tbl = ?");
    if (!st)
        return st.error();
    (*st)->bind(1, table.id);
    qint64 largest = 0;
    if (auto read = (*st)->forEachRow([&] { largest = (*st)->int64(0); }); !read)
        return read.error();
    m_largestItem.insert(table.id, largest);
    return largest;
}

void DynamoDb::forgetItems()
{
    m_itemCache.clear();
    m_itemCacheBytes = 0;
    m_largestItem.clear();
}

QByteArray DynamoDb::itemCacheKey(const DdbTable &table, const Key &key)
{
    QByteArray out;
    out.reserve(12 + key.pk.size() + key.sk.size());
    const qint64 id = table.id;
    const qint32 pkSize = qint32(key.pk.size());
    out.append(reinterpret_cast<const char *>(&id), sizeof id);
    out.append(reinterpret_cast<const char *>(&pkSize), sizeof pkSize);
    out.append(key.pk);
    out.append(key.sk);
    return out;
}

void DynamoDb::cacheItem(const QByteArray &cacheKey, const CachedItem &item)
{
    constexpr qint64 kBudget = 32LL * 1024 * 1024;
    const qint64 cost = cacheKey.size() + item.text.size() + 64;
    if (cost > kBudget / 64)
        return;
    if (m_itemCacheBytes + cost > kBudget) {
        m_itemCache.clear();
        m_itemCacheBytes = 0;
    }
    m_itemCache.insert(cacheKey, item);
    m_itemCacheBytes += cost;
}

Result<void> DynamoDb::writeItem(Database &db, const DdbTable &table, const Key &key,
    const Json &before, const Json &after, const Origin &origin, qint64 afterSize)
{
    if (before.is_null() && after.is_null())
        return {};
    // Emptied before the write: should the transaction roll back, a read goes to SQLite.
    if (const auto it = m_itemCache.find(itemCacheKey(table, key)); it != m_itemCache.end()) {
        m_itemCacheBytes -= it.key().size() + it->text.size() + 64;
        m_itemCache.erase(it);
    }
    if (after.is_null()) {
        auto del = db.cached("DELETE FROM ddb_items WHERE tbl = ? AND h = ? AND pk = ? AND sk = ?");
        if (!del)
            return del.error();
        if (auto e
            = (*del)->bind(1, table.id).bind(2, key.hash).bind(3, key.pk).bind(4, key.sk).exec();
            !e)
            return e;
    } else {
        auto put = db.cached("INSERT OR REPLACE INTO ddb_items (tbl, h, pk, sk, item, size, ttl)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?)");
        if (!put)
            return put.error();
        const qint64 size = afterSize >= 0 ? afterSize : itemSize(after);
        // Kept before the write: should it roll back, the bound is only higher than it need be.
        if (const auto largest = m_largestItem.find(table.id);
            largest != m_largestItem.end() && *largest < size)
            *largest = size;
        (*put)
            ->bind(1, table.id)
            .bind(2, key.hash)
            .bind(3, key.pk)
            .bind(4, key.sk)
            .bind(5, jsonText(after))
            .bind(6, size);
        if (const auto ttl = ttlOf(after, table.ttlAttribute)) {
            (*put)->bind(7, *ttl);
            if (!m_pendingExpiry || *ttl < *m_pendingExpiry)
                m_pendingExpiry = *ttl; // told after the commit (afterWrite)
        } else {
            (*put)->bindNull(7);
        }
        if (auto e = (*put)->exec(); !e)
            return e;
    }
    for (const DdbIndex &index : table.indexes) {
        const auto oldKey = indexKeyOf(index, before);
        const auto newKey = indexKeyOf(index, after);
        if (oldKey == newKey)
            continue;
        if (oldKey) {
            auto del = db.cached("DELETE FROM ddb_index WHERE tbl = ? AND idx = ? AND h = ? AND"
                                 " ipk = ? AND isk = ? AND pk = ? AND sk = ?");
            if (!del)
                return del.error();
            if (auto e = (*del)
                             ->bind(1, table.id)
                             .bind(2, index.number)
                             .bind(3, oldKey->hash)
                             .bind(4, oldKey->pk)
                             .bind(5, oldKey->sk)
                             .bind(6, key.pk)
                             .bind(7, key.sk)
                             .exec();
                !e)
                return e;
        }
        if (newKey) {
            auto ins = db.cached("INSERT OR REPLACE INTO ddb_index (tbl, idx, h, ipk, isk, bh, pk,"
                                 " sk) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
            if (!ins)
                return ins.error();
            if (auto e = (*ins)
                             ->bind(1, table.id)
                             .bind(2, index.number)
                             .bind(3, newKey->hash)
                             .bind(4, newKey->pk)
                             .bind(5, newKey->sk)
                             .bind(6, key.hash)
                             .bind(7, key.pk)
                             .bind(8, key.sk)
                             .exec();
                !e)
                return e;
        }
    }
    if (!table.streamEnabled)
        return {};
    // A write that changes nothing writes no stream record (DynamoDB Streams' rule).
    if (!before.is_null() && !after.is_null()
        && equalValues(Json {{"M", before}}, Json {{"M", after}}))
        return {};
    const Json &any = after.is_null() ? before : after;
    Json keys = keyAttributes(table, any);
    Json change = {{"ApproximateCreationDateTime", m_clock->nowMs() / 1000}, {"Keys", keys},
        {"StreamViewType", s(table.streamViewType)}};
    qint64 size = itemSize(keys);
    const bool newImage = table.streamViewType == QLatin1String("NEW_IMAGE")
        || table.streamViewType == QLatin1String("NEW_AND_OLD_IMAGES");
    const bool oldImage = table.streamViewType == QLatin1String("OLD_IMAGE")
        || table.streamViewType == QLatin1String("NEW_AND_OLD_IMAGES");
    if (newImage && !after.is_null()) {
        change["NewImage"] = after;
        size += itemSize(after);
    }
    if (oldImage && !before.is_null()) {
        change["OldImage"] = before;
        size += itemSize(before);
    }
    qint64 &next = m_nextSequence[table.id];
    if (next == 0)
        next = 1;
    const qint64 seq = next++;
    change["SequenceNumber"] = s(sequenceText(seq));
    change["SizeBytes"] = size;
    Json record = {{"eventID", newRequestId().toStdString()},
        {"eventName",
            before.is_null()      ? "INSERT"
                : after.is_null() ? "REMOVE"
                                  : "MODIFY"},
        {"eventVersion", "1.1"}, {"eventSource", "aws:dynamodb"}, {"awsRegion", s(m_region)},
        {"dynamodb", change}};
    if (origin.byService)
        record["userIdentity"] = {{"type", "Service"}, {"principalId", "dynamodb.amazonaws.com"}};
    auto ins = db.cached("INSERT INTO ddb_stream (tbl, seq, label, created_ns, record, trace_id,"
                         " span_id) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!ins)
        return ins.error();
    return (*ins)
        ->bind(1, table.id)
        .bind(2, seq)
        .bind(3, table.streamLabel)
        .bind(4, m_clock->nowNs())
        .bind(5, jsonText(record))
        .bind(6, origin.traceId)
        .bind(7, origin.spanId)
        .exec();
}

void DynamoDb::afterWrite(const QList<TablePtr> &tables, std::optional<qint64> earliestExpiry)
{
    if (m_streamWritten) {
        QSet<QString> told;
        for (const TablePtr &t : tables) {
            if (t->streamEnabled && !told.contains(t->name)) {
                told.insert(t->name);
                m_streamWritten(t->streamArn(m_region, m_accountId));
            }
        }
    }
    if (earliestExpiry && m_expiryAdded)
        m_expiryAdded(*earliestExpiry);
}

// --- TTL ---------------------------------------------------------------------------------

std::optional<qint64> DynamoDb::nextExpiry() const
{
    std::optional<qint64> out;
    const qint64 floor = m_clock->nowMs() / 1000 - kTtlMaxAgeSeconds;
    (void)m_store->write([&](Database &db) -> Result<void> {
        auto st = db.cached("SELECT MIN(ttl) FROM ddb_items WHERE ttl IS NOT NULL AND ttl > ?");
        if (!st)
            return st.error();
        (*st)->bind(1, floor);
        return (*st)->forEachRow([&] {
            if (!(*st)->isNull(0))
                out = (*st)->int64(0);
        });
    });
    return out;
}

Result<int> DynamoDb::expireDue(int max)
{
    const qint64 now = m_clock->nowMs() / 1000;
    QHash<qint64, TablePtr> byId;
    {
        QReadLocker lock(&m_lock);
        for (const TablePtr &t : m_tables)
            byId.insert(t->id, t);
    }
    QList<TablePtr> touched;
    int removed = 0;
    auto r = m_store->write([&](Database &db) -> Result<void> {
        Transaction tx(db);
        if (!tx.began())
            return tx.began();
        auto st = db.prepare("SELECT tbl, h, pk, sk, item FROM ddb_items WHERE ttl IS NOT NULL AND"
                             " ttl <= ? AND ttl > ? ORDER BY ttl LIMIT ?");
        if (!st)
            return st.error();
        st->bind(1, now).bind(2, now - kTtlMaxAgeSeconds).bind(3, max);
        struct Row
        {
            TablePtr table;
            Key key;
            QByteArray item;
        };
        QList<Row> rows;
        auto walked = st->forEachRow([&] {
            if (TablePtr t = byId.value(st->int64(0)))
                rows.append({t, Key {st->int64(1), st->blob(2), st->blob(3)}, st->blob(4)});
        });
        if (!walked)
            return walked;
        for (const Row &row : rows) {
            auto item = parseItemText(row.item);
            if (!item)
                return item.error();
            // The attribute may have been removed from the definition since (TTL disabled).
            if (!ttlOf(*item, row.table->ttlAttribute))
                continue;
            if (auto w = writeItem(db, *row.table, row.key, *item, Json(), Origin {true, {}, {}});
                !w)
                return w;
            touched.append(row.table);
            ++removed;
        }
        return tx.commit();
    });
    if (!r)
        return r.error();
    afterWrite(touched, std::nullopt);
    return removed;
}

Result<void> DynamoDb::trimStreams()
{
    const qint64 before = m_clock->nowNs() - kStreamRetentionNs;
    return m_store->write([&](Database &db) -> Result<void> {
        auto st = db.prepare("DELETE FROM ddb_stream WHERE created_ns < ?");
        if (!st)
            return st.error();
        return st->bind(1, before).exec();
    });
}

// --- streams -----------------------------------------------------------------------------

std::shared_ptr<const DdbTable> DynamoDb::tableOfStream(const QString &streamArn) const
{
    const QString prefix
        = QStringLiteral("arn:aws:dynamodb:%1:%2:table/").arg(m_region, m_accountId);
    if (!streamArn.startsWith(prefix))
        return nullptr;
    const QString rest = streamArn.mid(prefix.size());
    const QString name = rest.section(u'/', 0, 0);
    const QString label = rest.section(QStringLiteral("/stream/"), 1);
    TablePtr t = findTable(name);
    if (!t || t->streamLabel.isEmpty() || t->streamLabel != label)
        return nullptr;
    return t;
}

Result<QList<DdbStreamRecord>> DynamoDb::streamRecords(
    const QString &streamArn, qint64 afterSequence, int max) const
{
    const TablePtr t = tableOfStream(streamArn);
    if (!t)
        return notFound(
            QStringLiteral("Requested resource not found: Stream: %1 not found").arg(streamArn));
    QList<DdbStreamRecord> out;
    auto r = m_store->write([&](Database &db) -> Result<void> {
        auto st = db.cached("SELECT seq, created_ns, record, trace_id, span_id FROM ddb_stream"
                            " WHERE tbl = ? AND label = ? AND seq > ? ORDER BY seq LIMIT ?");
        if (!st)
            return st.error();
        (*st)->bind(1, t->id).bind(2, t->streamLabel).bind(3, afterSequence).bind(4, max);
        return (*st)->forEachRow([&] {
            auto record = parseJson((*st)->blob(2));
            if (record)
                out.append({(*st)->int64(0), (*st)->int64(1), std::move(*record), (*st)->blob(3),
                    (*st)->blob(4)});
        });
    });
    if (!r)
        return r.error();
    return out;
}

Result<int> DynamoDb::streamRecordCount(
    const QString &streamArn, qint64 afterSequence, int max) const
{
    const TablePtr t = tableOfStream(streamArn);
    if (!t)
        return notFound(
            QStringLiteral("Requested resource not found: Stream: %1 not found").arg(streamArn));
    int out = 0;
    auto r = m_store->write([&](Database &db) -> Result<void> {
        auto st = db.cached("SELECT COUNT(*) FROM (SELECT 1 FROM ddb_stream WHERE tbl = ? AND"
                            " label = ? AND seq > ? LIMIT ?)");
        if (!st)
            return st.error();
        (*st)->bind(1, t->id).bind(2, t->streamLabel).bind(3, afterSequence).bind(4, max);
        return (*st)->forEachRow([&] { out = int((*st)->int64(0)); });
    });
    if (!r)
        return r.error();
    return out;
}

Result<qint64> DynamoDb::streamSequenceAt(const QString &streamArn, qint64 ns) const
{
    const TablePtr t = tableOfStream(streamArn);
    if (!t)
        return notFound(
            QStringLiteral("Requested resource not found: Stream: %1 not found").arg(streamArn));
    qint64 out = 0;
    auto r = m_store->write([&](Database &db) -> Result<void> {
        auto st = db.prepare("SELECT COALESCE(MAX(seq), 0) FROM ddb_stream WHERE tbl = ? AND"
                             " label = ? AND created_ns <= ?");
        if (!st)
            return st.error();
        st->bind(1, t->id).bind(2, t->streamLabel).bind(3, ns);
        return st->forEachRow([&] { out = st->int64(0); });
    });
    if (!r)
        return r.error();
    return out;
}

Result<std::optional<qint64>> DynamoDb::streamPosition(const QString &uuid) const
{
    std::optional<qint64> out;
    auto r = m_store->write([&](Database &db) -> Result<void> {
        auto st = db.cached("SELECT seq FROM ddb_stream_positions WHERE uuid = ?");
        if (!st)
            return st.error();
        (*st)->bind(1, uuid);
        return (*st)->forEachRow([&] { out = (*st)->int64(0); });
    });
    if (!r)
        return r.error();
    return out;
}

Result<void> DynamoDb::setStreamPosition(const QString &uuid, qint64 sequence)
{
    return m_store->write([&](Database &db) -> Result<void> {
        auto st
            = db.cached("INSERT OR REPLACE INTO ddb_stream_positions (uuid, seq) VALUES (?, ?)");
        if (!st)
            return st.error();
        return (*st)->bind(1, uuid).bind(2, sequence).exec();
    });
}

Result<void> DynamoDb::forgetStreamPosition(const QString &uuid)
{
    return m_store->write([&](Database &db) -> Result<void> {
        auto st = db.cached("DELETE FROM ddb_stream_positions WHERE uuid = ?");
        if (!st)
            return st.error();
        return (*st)->bind(1, uuid).exec();
    });
}

namespace {

Json streamSummary(const DdbTable &t, const QString &region, const QString &account)
{
    return {{"StreamArn", t.streamArn(region, account).toStdString()},
        {"TableName", t.name.toStdString()}, {"StreamLabel", t.streamLabel.toStdString()}};
}

} // namespace

Result<Json> DynamoDb::listStreams(const Json &r)
{
    auto tableName = stringMember(r, "TableName");
    if (!tableName)
        return tableName.error();
    auto limit = intMember(r, "Limit");
    if (!limit)
        return limit.error();
    auto start = stringMember(r, "ExclusiveStartStreamArn");
    if (!start)
        return start.error();
    const qint64 max = limit->value_or(100);
    if (max < 1 || max > 100)
        return validation(QStringLiteral("1 validation error detected: Value '%1' at 'limit' "
                                         "failed to satisfy constraint: Member must have value "
                                         "between 1 and 100")
                              .arg(max));
    if (tableName->has_value() && !findTable(**tableName))
        return notFound(
            QStringLiteral("Requested resource not found: Table: %1 not found").arg(**tableName));
    Json streams = Json::array();
    bool started = !start->has_value();
    QString last;
    bool more = false;
    for (const TablePtr &t : tables()) {
        if (t->streamLabel.isEmpty() || (tableName->has_value() && t->name != **tableName))
            continue;
        const QString arn = t->streamArn(m_region, m_accountId);
        if (!started) {
            started = arn == **start;
            continue;
        }
        if (qint64(streams.size()) == max) {
            more = true;
            break;
        }
        streams.push_back(streamSummary(*t, m_region, m_accountId));
        last = arn;
    }
    Json out = {{"Streams", streams}};
    if (more)
        out["LastEvaluatedStreamArn"] = s(last);
    return out;
}

Result<Json> DynamoDb::describeStream(const Json &r)
{
    auto arn = stringMember(r, "StreamArn");
    if (!arn)
        return arn.error();
    const TablePtr t = tableOfStream(arn->value_or(QString()));
    if (!t)
        return notFound(QStringLiteral("Requested resource not found: Stream: %1 not found")
                            .arg(arn->value_or(QString())));
    qint64 first = 0, last = 0;
    auto q = m_store->write([&](Database &db) -> Result<void> {
        auto st = db.prepare("SELECT COALESCE(MIN(seq), 0), COALESCE(MAX(seq), 0) FROM ddb_stream"
                             " WHERE tbl = ? AND label = ?");
        if (!st)
            return st.error();
        st->bind(1, t->id).bind(2, t->streamLabel);
        return st->forEachRow([&] {
            first = st->int64(0);
            last = st->int64(1);
        });
    });
    if (!q)
        return q.error();
    Json range = {{"StartingSequenceNumber", s(sequenceText(first == 0 ? 1 : first))}};
    if (!t->streamEnabled)
        range["EndingSequenceNumber"] = s(sequenceText(last));
    Json keySchema = Json::array();
    keySchema.push_back({{"AttributeName", s(t->key.hashName)}, {"KeyType", "HASH"}});
    if (t->key.hasRange())
        keySchema.push_back({{"AttributeName", s(t->key.rangeName)}, {"KeyType", "RANGE"}});
    const QDateTime labelTime = QDateTime::fromString(t->streamLabel, Qt::ISODateWithMs);
    Json d = {{"StreamArn", s(t->streamArn(m_region, m_accountId))},
        {"StreamLabel", s(t->streamLabel)},
        {"StreamStatus", t->streamEnabled ? "ENABLED" : "DISABLED"},
        {"StreamViewType",
            s(t->streamViewType.isEmpty() ? QStringLiteral("KEYS_ONLY") : t->streamViewType)},
        {"CreationRequestDateTime",
            labelTime.isValid() ? double(labelTime.toMSecsSinceEpoch()) / 1000.0
                                : t->createdSeconds},
        {"TableName", s(t->name)}, {"KeySchema", keySchema},
        {"Shards", Json::array({{{"ShardId", s(shardId(*t))}, {"SequenceNumberRange", range}}})}};
    return Json {{"StreamDescription", d}};
}

Result<Json> DynamoDb::getShardIterator(const Json &r)
{
    auto arn = stringMember(r, "StreamArn");
    if (!arn)
        return arn.error();
    auto shard = stringMember(r, "ShardId");
    if (!shard)
        return shard.error();
    auto type = stringMember(r, "ShardIteratorType");
    if (!type)
        return type.error();
    auto sequence = stringMember(r, "SequenceNumber");
    if (!sequence)
        return sequence.error();
    const TablePtr t = tableOfStream(arn->value_or(QString()));
    if (!t)
        return notFound(QStringLiteral("Requested resource not found: Stream: %1 not found")
                            .arg(arn->value_or(QString())));
    if (shard->value_or(QString()) != shardId(*t))
        return notFound(QStringLiteral("Requested resource not found: Shard does not exist"));
    const QString kind = type->value_or(QString());
    qint64 after = 0;
    if (kind == QLatin1String("TRIM_HORIZON")) {
        after = 0;
    } else if (kind == QLatin1String("LATEST")) {
        auto latest = streamSequenceAt(**arn, std::numeric_limits<qint64>::max());
        if (!latest)
            return latest.error();
        after = *latest;
    } else if (kind == QLatin1String("AT_SEQUENCE_NUMBER")
        || kind == QLatin1String("AFTER_SEQUENCE_NUMBER")) {
        bool ok = false;
        const qint64 n = sequence->value_or(QString()).toLongLong(&ok);
        if (!ok || n <= 0)
            return validation(QStringLiteral("Invalid SequenceNumber: %1")
                                  .arg(sequence->value_or(QStringLiteral("null"))));
        after = kind == QLatin1String("AT_SEQUENCE_NUMBER") ? n - 1 : n;
    } else {
        return validation(
            QStringLiteral("1 validation error detected: Value '%1' at "
                           "'shardIteratorType' failed to satisfy constraint: "
                           "Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, "
                           "LATEST, AT_SEQUENCE_NUMBER, TRIM_HORIZON]")
                .arg(kind));
    }
    const Json iterator
        = {{"a", s(**arn)}, {"s", after}, {"e", m_clock->nowNs() + kIteratorLifetimeNs}};
    return Json {{"ShardIterator", toJsonBytes(iterator).toBase64().toStdString()}};
}

Result<Json> DynamoDb::getRecords(const Json &r)
{
    auto text = stringMember(r, "ShardIterator");
    if (!text)
        return text.error();
    auto limit = intMember(r, "Limit");
    if (!limit)
        return limit.error();
    const qint64 max = limit->value_or(1000);
    if (max < 1 || max > 1000)
        return validation(QStringLiteral("1 validation error detected: Value '%1' at 'limit' "
                                         "failed to satisfy constraint: Member must have value "
                                         "between 1 and 1000")
                              .arg(max));
    auto iterator = parseJson(QByteArray::fromBase64(text->value_or(QString()).toLatin1()));
    if (!iterator || !iterator->is_object() || !(*iterator).value("a", Json()).is_string()
        || !(*iterator).value("s", Json()).is_number_integer()
        || !(*iterator).value("e", Json()).is_number_integer())
        return validation(QStringLiteral("Invalid ShardIterator"));
    if ((*iterator)["e"].get<qint64>() < m_clock->nowNs())
        return makeError(QStringLiteral("ExpiredIteratorException"),
            QStringLiteral("Iterator expired. The iterator was created over 15 minutes ago."), 400);
    const QString arn = str((*iterator)["a"]);
    const qint64 after = (*iterator)["s"].get<qint64>();
    auto records = streamRecords(arn, after, int(max));
    if (!records)
        return records.error();
    Json out = Json::array();
    qint64 last = after;
    for (const DdbStreamRecord &rec : *records) {
        Json record = rec.record;
        // The streams API's Identity has PrincipalId and Type; Lambda's events spell them
        // principalId and type.
        if (const auto it = record.find("userIdentity"); it != record.end() && it->is_object())
            *it = {{"PrincipalId", it->value("principalId", std::string())},
                {"Type", it->value("type", std::string())}};
        out.push_back(std::move(record));
        last = rec.sequence;
    }
    const TablePtr t = tableOfStream(arn);
    Json answer = {{"Records", out}};
    // A disabled stream's shard closes: once read to its end there is no next iterator.
    if (t && (t->streamEnabled || !records->isEmpty())) {
        const Json next
            = {{"a", s(arn)}, {"s", last}, {"e", m_clock->nowNs() + kIteratorLifetimeNs}};
        answer["NextShardIterator"] = toJsonBytes(next).toBase64().toStdString();
    }
    return answer;
}

} // namespace tarmac
