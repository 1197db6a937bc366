// DdbStreamSource: a table's stream as a function's event source, driven as the engine's
// poller drives it (receive, then complete with what the function made of the batch), on a
// ManualClock: where a mapping starts (TRIM_HORIZON, LATEST), what a success, a failure, a
// partial failure (ReportBatchItemFailures), BisectBatchOnFunctionError,
// MaximumRetryAttempts and MaximumRecordAgeInSeconds do, what the on-failure destination
// gets, that a position survives a restart, and what reload() does after the rows were
// replaced underneath (a reset, a snapshot restored).
#include "base/clock.h"
#include "services/dynamodb/ddbstreamsource.h"
#include "services/dynamodb/dynamodb.h"
#include "services/messagetargets.h"
#include "store/store.h"

#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;

namespace {

class FakeQueues : public MessageTarget
{
public:
    Result<void> deliverMessage(const QString &arn, const TargetMessage &message) override
    {
        received[arn].append(message);
        return {};
    }
    bool targetExists(const QString &) const override { return true; }
    QHash<QString, QList<TargetMessage>> received;
};

const QString kDestination = QStringLiteral("arn:aws:sqs:us-east-1:000000000000:failed");

} // namespace

class TestDdbStreamSource : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void startingPositions();
    void successMovesOn();
    void failureRetriesThenGoesToTheDestination();
    void bisectSplitsAFailedBatch();
    void partialFailureResumesAtTheFirstFailedRecord();
    void oldRecordsAreSkipped();
    void positionSurvivesRestart();
    void reloadRereadsPositions();

private:
    void reopen();
    void put(int n);
    EventSourceMapping mapping(
        const QString &uuid, const QString &start = QStringLiteral("TRIM_HORIZON"));
    // The sequence numbers of a batch, as text ("1 2 3").
    static QString sequences(const EventBatch &batch);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<Store> m_store;
    std::unique_ptr<DynamoDb> m_db;
    MessageTargets m_targets;
    FakeQueues m_queues;
    std::unique_ptr<DdbStreamSource> m_source;
    QString m_arn;
};

void TestDdbStreamSource::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_clock = std::make_unique<ManualClock>(1'700'000'000'000'000'000);
    m_targets.add(QStringLiteral("sqs"), &m_queues);
    reopen();
    DdbCallInfo info;
    const Json table = Json::parse(R"j({"TableName":"src","BillingMode":"PAY_PER_REQUEST",
        "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"N"}],
        "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
        "StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"}})j");
    auto created = m_db->call(QStringLiteral("CreateTable"), table, info);
    QVERIFY(created);
    m_arn = QString::fromStdString(
        (*created)["TableDescription"]["LatestStreamArn"].get<std::string>());
}

void TestDdbStreamSource::cleanup()
{
    m_targets.remove(&m_queues);
    m_queues.received.clear();
    m_source.reset();
    m_db.reset();
    m_store.reset();
    m_dir.reset();
}

void TestDdbStreamSource::reopen()
{
    m_source.reset();
    m_db.reset();
    m_store.reset();
    auto store = Store::open(m_dir->path());
    QVERIFY(store);
    m_store = std::move(*store);
    m_db = std::make_unique<DynamoDb>(
        QStringLiteral("us-east-1"), QStringLiteral("000000000000"), m_clock.get());
    QVERIFY(m_db->open(m_store.get()));
    m_source = std::make_unique<DdbStreamSource>(m_db.get(), m_clock.get(), &m_targets);
}

void TestDdbStreamSource::put(int n)
{
    for (int i = 0; i < n; ++i) {
        DdbCallInfo info;
        static int next = 0;
        QVERIFY(m_db->call(QStringLiteral("PutItem"),
            Json {{"TableName", "src"}, {"Item", {{"pk", {{"N", std::to_string(++next)}}}}}},
            info));
    }
}

EventSourceMapping TestDdbStreamSource::mapping(const QString &uuid, const QString &start)
{
    EventSourceMapping m;
    m.uuid = uuid;
    m.eventSourceArn = m_arn;
    m.functionArn = QStringLiteral("arn:aws:lambda:us-east-1:000000000000:function:f");
    m.batchSize = 4;
    m.startingPosition = start;
    m.createdNs = m_clock->nowNs();
    m.maximumRetryAttempts = -1;
    m.bisectBatchOnFunctionError = false;
    m.onFailureDestination = kDestination;
    return m;
}

QString TestDdbStreamSource::sequences(const EventBatch &batch)
{
    QStringList out;
    for (const EventRecord &r : batch.records)
        out.append(QString::number(r.itemId.toLongLong()));
    return out.join(u' ');
}

void TestDdbStreamSource::startingPositions()
{
    put(2);
    m_clock->advanceNs(1'000'000);
    const EventSourceMapping latest = mapping(QStringLiteral("latest"), QStringLiteral("LATEST"));
    const EventSourceMapping horizon = mapping(QStringLiteral("horizon"));
    EventSourceMapping checked = latest;
    QVERIFY(m_source->check(checked));
    QCOMPARE(m_source->readiness(latest).records, 0);
    m_clock->advanceNs(1'000'000);
    put(1);
    auto fromLatest = m_source->receive(latest, 10);
    QVERIFY(fromLatest);
    QCOMPARE(sequences(*fromLatest), QStringLiteral("3"));
    auto fromHorizon = m_source->receive(horizon, 10);
    QVERIFY(fromHorizon);
    QCOMPARE(sequences(*fromHorizon), QStringLiteral("1 2 3"));
    // The record as a function receives it.
    const Json &r = fromHorizon->records.first().record;
    QCOMPARE(QString::fromStdString(r["eventSourceARN"].get<std::string>()), m_arn);
    QCOMPARE(QString::fromStdString(r["eventName"].get<std::string>()), QStringLiteral("INSERT"));
    QVERIFY(!r["dynamodb"].contains("NewImage")); // KEYS_ONLY
    // A stream that is not there is refused.
    EventSourceMapping missing = mapping(QStringLiteral("missing"));
    missing.eventSourceArn = m_arn + QStringLiteral("x");
    QCOMPARE(
        m_source->check(missing).error().code, QStringLiteral("InvalidParameterValueException"));
}

void TestDdbStreamSource::successMovesOn()
{
    put(6);
    const EventSourceMapping m = mapping(QStringLiteral("m"));
    auto first = m_source->receive(m, 4);
    QCOMPARE(sequences(*first), QStringLiteral("1 2 3 4"));
    m_source->complete(m, *first, BatchOutcome {});
    auto second = m_source->receive(m, 4);
    QCOMPARE(sequences(*second), QStringLiteral("5 6"));
    m_source->complete(m, *second, BatchOutcome {});
    QVERIFY(!m_source->receive(m, 4));
}

void TestDdbStreamSource::failureRetriesThenGoesToTheDestination()
{
    put(3);
    EventSourceMapping m = mapping(QStringLiteral("m"));
    m.maximumRetryAttempts = 2;
    const BatchOutcome failed {BatchOutcome::Status::Failed, {}, QStringLiteral("Unhandled")};
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto batch = m_source->receive(m, 4);
        QCOMPARE(sequences(*batch), QStringLiteral("1 2 3")); // the same batch, in order
        m_source->complete(m, *batch, failed);
    }
    // The first try and two retries: given up on, sent to the destination, moved past.
    QCOMPARE(m_queues.received[kDestination].size(), 1);
    const Json info = Json::parse(m_queues.received[kDestination].first().body.toStdString());
    QVERIFY(info["requestContext"]["condition"] == Json("RetryAttemptsExhausted"));
    QVERIFY(info["requestContext"]["approximateInvokeCount"] == Json(3));
    QVERIFY(info["DDBStreamBatchInfo"]["batchSize"] == Json(3));
    QVERIFY(info["DDBStreamBatchInfo"]["startSequenceNumber"] == Json("000000000000000000001"));
    QVERIFY(info["DDBStreamBatchInfo"]["endSequenceNumber"] == Json("000000000000000000003"));
    QCOMPARE(
        QString::fromStdString(info["DDBStreamBatchInfo"]["streamArn"].get<std::string>()), m_arn);
    QVERIFY(!m_source->receive(m, 4));
}

void TestDdbStreamSource::bisectSplitsAFailedBatch()
{
    put(4);
    EventSourceMapping m = mapping(QStringLiteral("m"));
    m.bisectBatchOnFunctionError = true;
    m.maximumRetryAttempts = 0;
    const BatchOutcome failed {BatchOutcome::Status::Failed, {}, QStringLiteral("Unhandled")};
    auto whole = m_source->receive(m, 4);
    QCOMPARE(sequences(*whole), QStringLiteral("1 2 3 4"));
    m_source->complete(m, *whole, failed);
    auto half = m_source->receive(m, 4);
    QCOMPARE(sequences(*half), QStringLiteral("1 2")); // split: not a retry
    m_source->complete(m, *half, BatchOutcome {});
    auto rest = m_source->receive(m, 4);
    QCOMPARE(sequences(*rest), QStringLiteral("3 4"));
    QVERIFY(m_queues.received[kDestination].isEmpty());
}

void TestDdbStreamSource::partialFailureResumesAtTheFirstFailedRecord()
{
    put(4);
    const EventSourceMapping m = mapping(QStringLiteral("m"));
    auto batch = m_source->receive(m, 4);
    BatchOutcome partial {BatchOutcome::Status::PartiallyFailed,
        {batch->records[2].itemId, batch->records[3].itemId}, {}};
    m_source->complete(m, *batch, partial);
    auto again = m_source->receive(m, 4);
    QCOMPARE(sequences(*again), QStringLiteral("3 4"));
}

void TestDdbStreamSource::oldRecordsAreSkipped()
{
    put(2);
    m_clock->advanceNs(120LL * 1'000'000'000);
    put(1);
    EventSourceMapping m = mapping(QStringLiteral("m"));
    m.maximumRecordAgeInSeconds = 60;
    auto batch = m_source->receive(m, 4);
    QCOMPARE(sequences(*batch), QStringLiteral("3"));
    QCOMPARE(m_queues.received[kDestination].size(), 1);
    const Json info = Json::parse(m_queues.received[kDestination].first().body.toStdString());
    QVERIFY(info["requestContext"]["condition"] == Json("RecordAgeExceeded"));
    QVERIFY(info["DDBStreamBatchInfo"]["batchSize"] == Json(2));
}

void TestDdbStreamSource::positionSurvivesRestart()
{
    put(3);
    const EventSourceMapping m = mapping(QStringLiteral("m"));
    auto batch = m_source->receive(m, 2);
    m_source->complete(m, *batch, BatchOutcome {});
    reopen();
    auto next = m_source->receive(m, 4);
    QCOMPARE(sequences(*next), QStringLiteral("3"));
    m_source->forget(m);
    auto fresh = m_source->receive(m, 4);
    QCOMPARE(sequences(*fresh), QStringLiteral("1 2 3")); // forgotten: TRIM_HORIZON again
}

void TestDdbStreamSource::reloadRereadsPositions()
{
    put(3);
    const EventSourceMapping m = mapping(QStringLiteral("m"));
    auto batch = m_source->receive(m, 2);
    m_source->complete(m, *batch, BatchOutcome {});
    // A snapshot of the stream and the position (after 2).
    QVERIFY(m_store->write([](Database &db) {
        return db.exec("CREATE TABLE keep_stream AS SELECT * FROM ddb_stream;"
                       " CREATE TABLE keep_positions AS SELECT * FROM ddb_stream_positions;");
    }));
    put(2);
    auto taken = m_source->receive(m, 4);
    QCOMPARE(sequences(*taken), QStringLiteral("3 4 5"));

    // Restored while that batch runs: the position is the snapshot's, and the batch, read from
    // the rows before, moves nothing when it completes.
    QVERIFY(m_store->write([](Database &db) {
        return db.exec("DELETE FROM ddb_stream; DELETE FROM ddb_stream_positions;"
                       " INSERT INTO ddb_stream SELECT * FROM keep_stream;"
                       " INSERT INTO ddb_stream_positions SELECT * FROM keep_positions;");
    }));
    QVERIFY(m_db->reload());
    m_source->reload();
    QCOMPARE(m_source->readiness(m).records, 1);
    m_source->complete(m, *taken, BatchOutcome {});
    auto next = m_source->receive(m, 4);
    QCOMPARE(sequences(*next), QStringLiteral("3"));

    // A reset: no position, no records; the mapping starts over at its StartingPosition.
    QVERIFY(m_store->write([](Database &db) {
        return db.exec("DELETE FROM ddb_stream; DELETE FROM ddb_stream_positions;");
    }));
    QVERIFY(m_db->reload());
    m_source->reload();
    m_source->complete(m, *next, BatchOutcome {});
    QVERIFY(!m_source->receive(m, 4));
    QCOMPARE(m_db->streamPosition(QStringLiteral("m"))->value_or(-1), 0);
    put(1);
    auto fresh = m_source->receive(m, 4);
    QCOMPARE(sequences(*fresh), QStringLiteral("1"));
}

QTEST_GUILESS_MAIN(TestDdbStreamSource)
#include "tst_ddbstreamsource.moc"
