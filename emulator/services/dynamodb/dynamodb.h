#pragma once

#include "base/json.h"
#include "base/result.h"
#include "services/dynamodb/ddbtable.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QMutex>
#include <QReadWriteLock>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

namespace tarmac {

class Clock;
class Database;
class Store;

// What one call tells the wire layer besides its answer.
struct DdbCallInfo
{
    // Members an error answer carries besides __type and message: a condition failure's
    // "Item", a cancelled transaction's "CancellationReasons".
    Json errorExtra = Json::object();
    // For the request's span: table, consumed capacity, item count.
    QList<std::pair<QString, QString>> spanAttributes;
    double capacityUnits = 0; // consumed, whether the request asked to see it or not
    // The answer's body as it goes out, when the caller allows it (the wire layer) and the
    // operation wrote it itself (GetItem answers the stored item's text); empty: the answer's
    // JSON.
    bool rawAllowed = false;
    QByteArray rawAnswer;
    // The request's place in its trace: stream records of its writes carry it on to the
    // functions they reach.
    QByteArray traceId;
    QByteArray spanId;
};

// One stream record as kept: its table, sequence number and the record (AWS's
// StreamRecord shape inside {"eventID", "eventName", "dynamodb": {...}, ...}).
struct DdbStreamRecord
{
    qint64 sequence = 0;
    qint64 createdNs = 0;
    Json record;
    QByteArray traceId; // the write's trace, or empty
    QByteArray spanId;
};

// DynamoDB's model: tables (ddbtable.h) and their items in SQLite, every operation of the
// JSON 1.0 protocol (`call("PutItem", request)`: the request body in, the answer's body out, or
// DynamoDB's error) and of DynamoDB Streams (`callStreams`), TTL expiry on the engine's clock
// and each table's stream records.
//
// Items are kept in their wire JSON, keyed by (table, hash of the partition key, partition
// key bytes, sort key bytes) where the key bytes are keySortBytes() (memcmp order is
// DynamoDB's order), so a Query is one index range and a Scan walks the hash order (segments
// are ranges of the hash, as DynamoDB's are). A secondary index is a table of (index key,
// table key) rows kept in the same transaction as the item; a stream record is written in
// that transaction too, so a record exists exactly for each committed write. Every write is
// committed before it is answered (durable across kill -9).
//
// Thread-safe: called on I/O threads; the tables' definitions are behind a read-write lock,
// the items behind the store's writer connection.
class DynamoDb
{
public:
    DynamoDb(QString region, QString accountId, const Clock *clock);
    ~DynamoDb();

    Result<void> open(Store *store);
    // The rows were replaced underneath (a reset, a snapshot restored): forgets the tables,
    // the item cache, stream sequences and transaction tokens, and reads the rows again.
    // The caller re-arms TTL (nextExpiry()).
    Result<void> reload();

    Result<Json> call(const QString &operation, const Json &request, DdbCallInfo &info);
    Result<Json> callStreams(const QString &operation, const Json &request, DdbCallInfo &info);

    // Called (no lock held) after a write that added stream records to `table`'s stream.
    void setStreamWritten(std::function<void(const QString &streamArn)> written)
    {
        m_streamWritten = std::move(written);
    }
    // Called (no lock held) when an item got a TTL earlier than any before (epoch seconds),
    // so that the module re-arms its timer.
    void setExpiryAdded(std::function<void(qint64 seconds)> added)
    {
        m_expiryAdded = std::move(added);
    }

    // TTL: the earliest expiry time of any item (epoch seconds), or nullopt.
    std::optional<qint64> nextExpiry() const;
    // Deletes up to `max` items whose TTL passed (by the clock), each with a REMOVE stream
    // record whose identity is DynamoDB's service principal. Answers how many went.
    Result<int> expireDue(int max = 1000);
    // Drops stream records older than 24 hours on the clock.
    Result<void> trimStreams();

    // Streams as event sources. The table a stream ARN names (with its current label), or null.
    std::shared_ptr<const DdbTable> tableOfStream(const QString &streamArn) const;
    // Records of the table's stream after `afterSequence`, at most `max`, oldest first.
    Result<QList<DdbStreamRecord>> streamRecords(
        const QString &streamArn, qint64 afterSequence, int max) const;
    // How many of those there are, up to `max`, without reading them.
    Result<int> streamRecordCount(const QString &streamArn, qint64 afterSequence, int max) const;
    // The last sequence number of records created at or before `ns` (0: none).
    Result<qint64> streamSequenceAt(const QString &streamArn, qint64 ns) const;
    // Event-source positions, by mapping UUID, persisted.
    Result<std::optional<qint64>> streamPosition(const QString &uuid) const;
    Result<void> setStreamPosition(const QString &uuid, qint64 sequence);
    Result<void> forgetStreamPosition(const QString &uuid);

    // For templates: creates the table from CreateTable's request (a stream gets `streamLabel`
    // when given), or brings an existing one in line (indexes, stream, TTL, throughput, tags).
    Result<void> putTable(
        const Json &createRequest, const QString &ttlAttribute, const QString &streamLabel);
    Result<QString> deleteTableByName(const QString &name);

    // For the catalog.
    QList<std::shared_ptr<const DdbTable>> tables() const;
    std::pair<qint64, qint64> counts(const DdbTable &table) const; // items, bytes
    // Items in key order after `afterKey` (a key's compact JSON; empty: from the start).
    Result<QList<std::pair<QString, Json>>> browse(
        const QString &table, const QString &afterKey, int max) const;
    QString region() const { return m_region; }
    QString accountId() const { return m_accountId; }

    // The one shard of a table's stream, as DescribeStream names it.
    static QString shardId(const DdbTable &table);
    // The key of an item (its key attributes as compact JSON), for the catalog.
    static QString keyText(const DdbTable &table, const Json &item);

    struct Key;

private:
    using TablePtr = std::shared_ptr<const DdbTable>;

    // Tables.
    Result<Json> createTable(const Json &r, const QString &streamLabel = {});
    Result<Json> describeTable(const Json &r);
    Result<Json> listTables(const Json &r);
    Result<Json> deleteTable(const Json &r);
    Result<Json> updateTable(const Json &r);
    Result<Json> updateTimeToLive(const Json &r);
    Result<Json> describeTimeToLive(const Json &r);
    Result<Json> tagResource(const Json &r);
    Result<Json> untagResource(const Json &r);
    Result<Json> listTagsOfResource(const Json &r);
    // Items.
    Result<Json> putItem(const Json &r, DdbCallInfo &info);
    Result<Json> getItem(const Json &r, DdbCallInfo &info);
    Result<Json> deleteItem(const Json &r, DdbCallInfo &info);
    Result<Json> updateItem(const Json &r, DdbCallInfo &info);
    Result<Json> writeOne(const Json &r, DdbCallInfo &info, int kind); // PreparedWrite::Kind
    Json capacityList(DdbCallInfo &info, const Json &r, const QHash<QString, double> &units) const;
    Result<Json> batchGetItem(const Json &r, DdbCallInfo &info);
    Result<Json> batchWriteItem(const Json &r, DdbCallInfo &info);
    Result<Json> transactWriteItems(const Json &r, DdbCallInfo &info);
    Result<Json> transactGetItems(const Json &r, DdbCallInfo &info);
    Result<Json> query(const Json &r, DdbCallInfo &info);
    Result<Json> scan(const Json &r, DdbCallInfo &info);
    // Streams.
    Result<Json> listStreams(const Json &r);
    Result<Json> describeStream(const Json &r);
    Result<Json> getShardIterator(const Json &r);
    Result<Json> getRecords(const Json &r);

    // Reads the tables and stream sequences from the rows; m_lock and the writer held.
    Result<void> load(Database &db);
    Result<TablePtr> table(const Json &r, const char *field = "TableName") const;
    TablePtr findTable(const QString &name) const;
    Result<TablePtr> tableByArn(const QString &arn) const;
    Result<void> persistTable(const DdbTable &table);
    // Replaces the table's definition (readers keep the old one).
    Result<void> changeTable(
        const QString &name, const std::function<Result<void>(DdbTable &)> &change);
    qint64 newStreamLabelNs();

    // Inside the writer connection, in a transaction: the item at `key`, or null JSON.
    Result<Json> readItem(Database &db, const DdbTable &table, const Key &key) const;
    // The stored size of an item (0 when there is none), without reading the item.
    Result<qint64> readItemSize(Database &db, const DdbTable &table, const Key &key) const;
    // The size of the largest item the table may hold (never less): a replaced item cannot
    // have consumed more write units than this. Read once per table, then kept by writeItem.
    Result<qint64> largestItemSize(Database &db, const DdbTable &table);
    // Who made a write: a request (its trace goes with the stream record), or TTL.
    struct Origin
    {
        bool byService = false;
        QByteArray traceId;
        QByteArray spanId;
    };
    static Origin originOf(const DdbCallInfo &info) { return {false, info.traceId, info.spanId}; }
    // Writes `after` (null: delete) in place of `before` (null: none), with the indexes, TTL
    // and stream record. `afterSize`: itemSize(after), when the caller knows it.
    Result<void> writeItem(Database &db, const DdbTable &table, const Key &key, const Json &before,
        const Json &after, const Origin &origin, qint64 afterSize = -1);
    Result<void> rebuildIndex(Database &db, const DdbTable &table, const DdbIndex &index);
    Result<void> refreshTtl(Database &db, const DdbTable &table);
    void afterWrite(const QList<TablePtr> &tables, std::optional<qint64> earliestExpiry);

    const QString m_region;
    const QString m_accountId;
    const Clock *m_clock;
    Store *m_store = nullptr;
    std::function<void(const QString &)> m_streamWritten;
    std::function<void(qint64)> m_expiryAdded;

    mutable QReadWriteLock m_lock;
    QHash<QString, TablePtr> m_tables; // by name
    qint64 m_nextTableId = 1;
    qint64 m_lastLabelNs = 0;

    // Under the store's writer lock.
    QHash<qint64, qint64> m_nextSequence; // by table id
    // The earliest TTL the writes of the current call set, told after their commit.
    std::optional<qint64> m_pendingExpiry;

    // Items GetItem read, by table and key: what a point read answers without SQLite. Filled
    // by GetItem, emptied of an item by any write of it (writeItem), in a transaction or not,
    // so that it only ever holds committed items; all under the store's writer lock.
    struct CachedItem
    {
        QByteArray text;
        qint64 size = 0;
    };
    static QByteArray itemCacheKey(const DdbTable &table, const Key &key);
    void cacheItem(const QByteArray &cacheKey, const CachedItem &item);
    QHash<QByteArray, CachedItem> m_itemCache;
    qint64 m_itemCacheBytes = 0;
    QHash<qint64, qint64> m_largestItem; // by table id: see largestItemSize
    // Forgets what the two above know (tables dropped, emptied or restored).
    void forgetItems();

    // Transactions' ClientRequestTokens, for 10 minutes.
    struct Token
    {
        QByteArray requestHash;
        qint64 atNs = 0;
    };
    QMutex m_tokensMutex;
    QHash<QString, Token> m_tokens;
};

} // namespace tarmac
