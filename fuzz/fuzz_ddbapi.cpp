// libFuzzer target for DynamoDB's operations as clients drive them (services/dynamodb/
// DynamoDb::call and callStreams): each input is one request body, its first byte picking the
// operation, run against a store of its own holding two tables (a hash+range table with a
// global and a local index, a stream and TTL; a hash-only table keyed by binary) and a few
// items, so that mutated requests reach the item paths, expressions, indexes, pages,
// batches, transactions and stream reads.
//
// Whatever comes, an operation must answer a JSON object or DynamoDB's own 4xx error (never an
// exception, which would take the emulator down, nor a 5xx, nor a crash), and the tables must
// still be readable afterwards.
//
// Any broken invariant calls __builtin_trap(), which libFuzzer reports as a crash.

#include "base/clock.h"
#include "services/dynamodb/dynamodb.h"
#include "store/store.h"

#include "fuzzsupport.h"

#include <QDir>
#include <QTemporaryDir>

#include <cstddef>
#include <cstdint>
#include <memory>

using namespace tarmac;

namespace {

const char *const kOperations[] = {"PutItem", "GetItem", "UpdateItem", "DeleteItem", "Query",
    "Scan", "BatchGetItem", "BatchWriteItem", "TransactWriteItems", "TransactGetItems",
    "CreateTable", "UpdateTable", "DescribeTable", "UpdateTimeToLive", "TagResource", "ListTables"};
const char *const kStreamOperations[]
    = {"ListStreams", "DescribeStream", "GetShardIterator", "GetRecords"};

struct World
{
    QTemporaryDir dir;
    std::unique_ptr<ManualClock> clock = std::make_unique<ManualClock>();
    std::unique_ptr<Store> store;
    std::unique_ptr<DynamoDb> db;
    int runs = 0;

    void call(const char *op, const char *body)
    {
        DdbCallInfo info;
        (void)db->call(QLatin1String(op), Json::parse(body), info);
    }

    void reset()
    {
        db.reset();
        store.reset();
        QDir(dir.path()).removeRecursively();
        QDir().mkpath(dir.path());
        auto s = Store::open(dir.path());
        FUZZ_CHECK(s.ok());
        store = std::move(*s);
        db = std::make_unique<DynamoDb>(
            QStringLiteral("us-east-1"), QStringLiteral("000000000000"), clock.get());
        FUZZ_CHECK(db->open(store.get()).ok());
        call("CreateTable", R"j({"TableName":"tbl","BillingMode":"PAY_PER_REQUEST",
            "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
            {"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"g","AttributeType":"S"},
            {"AttributeName":"l","AttributeType":"B"}],
            "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
            "GlobalSecondaryIndexes":[{"IndexName":"gsi","KeySchema":[{"AttributeName":"g","KeyType":"HASH"},
            {"AttributeName":"sk","KeyType":"RANGE"}],"Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["a"]}}],
            "LocalSecondaryIndexes":[{"IndexName":"lsi","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},
            {"AttributeName":"l","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}],
            "StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}})j");
        call("UpdateTimeToLive",
            R"j({"TableName":"tbl","TimeToLiveSpecification":{"Enabled":true,"AttributeName":"ttl"}})j");
        call("CreateTable", R"j({"TableName":"bin","BillingMode":"PAY_PER_REQUEST",
            "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"B"}],
            "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]})j");
        call("BatchWriteItem", R"j({"RequestItems":{"tbl":[
            {"PutRequest":{"Item":{"pk":{"S":"a"},"sk":{"N":"1"},"g":{"S":"x"},"a":{"L":[{"N":"1"},{"M":{"b":{"SS":["c"]}}}]}}}},
            {"PutRequest":{"Item":{"pk":{"S":"a"},"sk":{"N":"-2.5"},"l":{"B":"AAE="},"ttl":{"N":"1"}}}},
            {"PutRequest":{"Item":{"pk":{"S":"b"},"sk":{"N":"3"},"g":{"S":"x"},"n":{"NULL":true}}}}],
            "bin":[{"PutRequest":{"Item":{"id":{"B":"AQI="},"v":{"BOOL":true}}}}]}})j");
    }
};

World &world()
{
    static World *w = [] {
        auto *created = new World;
        created->reset();
        return created;
    }();
    return *w;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    World &w = world();
    // A fresh store now and then, so that the tables do not grow without end.
    if (++w.runs % 5000 == 0)
        w.reset();
    auto body = parseJson(std::string_view(reinterpret_cast<const char *>(data + 1), size - 1));
    if (!body || !body->is_object())
        return 0; // the wire layer answers SerializationException before the model
    const uint8_t pick = data[0];
    DdbCallInfo info;
    const bool streams = pick >= 0xf0;
    const QString op = QLatin1String(
        streams ? kStreamOperations[pick % 4] : kOperations[pick % std::size(kOperations)]);
    const Result<Json> r
        = streams ? w.db->callStreams(op, *body, info) : w.db->call(op, *body, info);
    if (r) {
        FUZZ_CHECK(r->is_object());
    } else {
        FUZZ_CHECK(!r.error().code.isEmpty() && !r.error().message.isEmpty());
        FUZZ_CHECK(r.error().httpStatus >= 400 && r.error().httpStatus < 500);
    }
    // The tables stay readable.
    DdbCallInfo check;
    const auto scan
        = w.db->call(QStringLiteral("Scan"), Json {{"TableName", "tbl"}, {"Limit", 5}}, check);
    FUZZ_CHECK(scan.ok() || scan.error().code == QLatin1String("ResourceNotFoundException"));
    return 0;
}
