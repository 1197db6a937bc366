// Event-source mappings: the registry (services/eventsourcemappings.h) as the Lambda API uses
// it (CRUD, AWS's validation and defaults, the state kept across reopening the store), the
// reading of a function's answer to a batch, and the engine's poller on a ManualClock with an
// in-memory queue standing for SQS and a fake sink for the Dispatcher.
#include "engine/eventsourcepoller.h"
#include "functions/delivery.h"
#include "services/eventsourcemappings.h"
#include "store/store.h"

#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;

namespace {

constexpr qint64 kStart = 1'700'000'000'000'000'000;
constexpr qint64 kSecond = 1'000'000'000;
const QString kQueue = QStringLiteral("arn:aws:sqs:us-east-1:000000000000:orders");
const QString kStream = QStringLiteral("arn:aws:kinesis:us-east-1:000000000000:stream/clicks");
const QString kFunction = QStringLiteral("arn:aws:lambda:us-east-1:000000000000:function:fn");

// A queue as SQS keeps one: messages invisible for a visibility timeout once received,
// deleted when their batch succeeds, visible again when the timeout passes.
struct FakeQueue : EventSource
{
    struct Message
    {
        QString id;
        QString body;
        qint64 visibleAtNs = 0;
    };

    FakeQueue(const Clock *clock, EventSourceMappings *registry)
        : clock(clock)
        , registry(registry)
    { }

    QString service() const override { return QStringLiteral("sqs"); }
    Kind kind() const override { return Kind::Queue; }
    Result<void> check(EventSourceMapping &mapping) const override
    {
        if (mapping.eventSourceArn != kQueue)
            return makeError(QStringLiteral("InvalidParameterValueException"),
                QStringLiteral("no such queue"), 400);
        return {};
    }
    EventSourceReadiness readiness(const EventSourceMapping &) override
    {
        EventSourceReadiness r;
        for (const Message &m : messages) {
            if (m.visibleAtNs <= clock->nowNs())
                ++r.records;
            else if (r.nextNs == 0 || m.visibleAtNs < r.nextNs)
                r.nextNs = m.visibleAtNs;
        }
        if (r.records > 0)
            r.nextNs = 0;
        return r;
    }
    std::optional<EventBatch> receive(const EventSourceMapping &mapping, int maxRecords) override
    {
        EventBatch batch;
        for (Message &m : messages) {
            if (batch.records.size() == maxRecords)
                break;
            if (m.visibleAtNs > clock->nowNs())
                continue;
            m.visibleAtNs = clock->nowNs() + visibilityNs;
            Json record = {{"messageId", toStd(m.id)}, {"body", toStd(m.body)},
                {"eventSource", "aws:sqs"}, {"eventSourceARN", toStd(mapping.eventSourceArn)}};
            batch.records.append(EventRecord {m.id, std::move(record)});
        }
        if (batch.records.isEmpty())
            return std::nullopt;
        return batch;
    }
    void complete(
        const EventSourceMapping &, const EventBatch &batch, const BatchOutcome &outcome) override
    {
        outcomes.append(outcome);
        if (outcome.status == BatchOutcome::Status::Failed)
            return; // visible again when the timeout passes
        for (const EventRecord &r : batch.records) {
            if (!outcome.failedItemIds.contains(r.itemId))
                messages.removeIf([&](const Message &m) { return m.id == r.itemId; });
        }
    }
    void send(const QString &id, const QString &body = QStringLiteral("{}"))
    {
        messages.append(Message {id, body, 0});
        registry->wake(kQueue);
    }

    const Clock *clock;
    EventSourceMappings *registry;
    qint64 visibilityNs = 30 * kSecond;
    QList<Message> messages;
    QList<BatchOutcome> outcomes;
};

// A stream source that only validates, for the stream rules.
struct FakeStream : EventSource
{
    QString service() const override { return QStringLiteral("kinesis"); }
    Kind kind() const override { return Kind::Stream; }
    Result<void> check(EventSourceMapping &) const override { return {}; }
    EventSourceReadiness readiness(const EventSourceMapping &) override { return {}; }
    std::optional<EventBatch> receive(const EventSourceMapping &, int) override
    {
        return std::nullopt;
    }
    void complete(const EventSourceMapping &, const EventBatch &, const BatchOutcome &) override { }
};

// Stands for the Dispatcher: keeps each delivery until the test answers it.
struct FakeSink : DeliverySink
{
    void submit(Delivery delivery) override { received.append(std::move(delivery)); }
    Result<void> submitAsync(Delivery) override
    {
        return makeError(
            QStringLiteral("Unexpected"), QStringLiteral("the poller delivers synchronously"));
    }
    // Answers the oldest delivery.
    void answer(const QByteArray &payload, bool functionError = false)
    {
        Delivery d = received.takeFirst();
        DeliveryResult r;
        r.delivered = true;
        r.functionError = functionError;
        r.payload = payload;
        if (functionError)
            r.errorType = QStringLiteral("Unhandled");
        d.done(r);
    }
    QStringList messageIds(int index) const
    {
        QStringList ids;
        auto event = parseJson(received.at(index).payload);
        for (const Json &r : (*event)["Records"])
            ids.append(fromStd(r["messageId"].get<std::string>()));
        return ids;
    }
    QList<Delivery> received;
};

// A JSON value as text, for comparisons that print what they found.
QByteArray text(const Json &value)
{
    return toJsonBytes(value);
}

EventSourceMappingRequest queueRequest()
{
    EventSourceMappingRequest r;
    r.eventSourceArn = kQueue;
    return r;
}

QStringList ids(std::initializer_list<const char *> list)
{
    QStringList out;
    for (const char *s : list)
        out.append(QString::fromLatin1(s));
    return out;
}

} // namespace

class TestEventSourceMappings : public QObject
{
    Q_OBJECT
private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Store> m_store;
    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<EventSourceMappings> m_mappings;
    std::unique_ptr<FakeQueue> m_queue;
    FakeStream m_stream;

    void openMappings()
    {
        m_mappings = std::make_unique<EventSourceMappings>(m_store.get(), m_clock.get(),
            QStringLiteral("us-east-1"), QStringLiteral("000000000000"));
        auto opened = m_mappings->open();
        QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().message));
        m_queue = std::make_unique<FakeQueue>(m_clock.get(), m_mappings.get());
        m_mappings->addSource(m_queue.get());
        m_mappings->addSource(&m_stream);
    }

    // Lets queued calls (the registry's signals, finished batches) run.
    static void settle()
    {
        for (int i = 0; i < 5; ++i)
            QCoreApplication::processEvents();
    }

    QString createQueueMapping(EventSourceMappingRequest request = queueRequest())
    {
        auto created = m_mappings->create(kFunction, request);
        if (!created)
            qWarning("%s", qPrintable(created.error().message));
        return created ? created->uuid : QString();
    }

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        auto store = Store::open(m_dir->path());
        QVERIFY2(store, qPrintable(store ? QString() : store.error().message));
        m_store = std::move(*store);
        m_clock = std::make_unique<ManualClock>(kStart);
        openMappings();
    }

    void cleanup()
    {
        m_mappings.reset();
        m_queue.reset();
        m_store.reset();
        m_clock.reset();
        m_dir.reset();
    }

    // ---- The registry ----

    void createGetListUpdateDelete()
    {
        auto created = m_mappings->create(kFunction, queueRequest());
        QVERIFY(created);
        QCOMPARE(created->state, QStringLiteral("Creating"));
        QCOMPARE(created->batchSize, 10); // SQS's default
        QCOMPARE(created->functionName(), QStringLiteral("fn"));
        const Json shown = m_mappings->toJson(*created);
        QCOMPARE(text(shown["State"]), QByteArray("\"Creating\""));
        QCOMPARE(text(shown["StateTransitionReason"]), QByteArray("\"USER_INITIATED\""));
        QCOMPARE(shown["LastModified"].get<double>(), 1'700'000'000.0);
        QCOMPARE(text(shown["EventSourceMappingArn"]),
            QByteArray("\"arn:aws:lambda:us-east-1:000000000000:event-source-mapping:"
                + created->uuid.toLatin1() + '"'));
        QVERIFY(!shown.contains("StartingPosition"));
        QVERIFY(!shown.contains("MaximumRetryAttempts")); // stream settings: not for a queue

        auto got = m_mappings->get(created->uuid);
        QVERIFY(got);
        QCOMPARE(got->state, QStringLiteral("Enabled")); // settled at once
        QCOMPARE(m_mappings->list().size(), 1);

        EventSourceMappingRequest change;
        change.batchSize = 5;
        change.functionResponseTypes = ids({"ReportBatchItemFailures"});
        change.maximumConcurrency = 3;
        auto updated = m_mappings->update(created->uuid, QString(), change);
        QVERIFY2(updated, qPrintable(updated ? QString() : updated.error().message));
        QCOMPARE(updated->state, QStringLiteral("Updating"));
        QCOMPARE(updated->batchSize, 5);
        QVERIFY(updated->reportsBatchItemFailures());
        QCOMPARE(text(m_mappings->toJson(*updated)["ScalingConfig"]["MaximumConcurrency"]),
            QByteArray("3"));

        EventSourceMappingRequest disable;
        disable.enabled = false;
        auto disabled = m_mappings->update(created->uuid, QString(), disable);
        QVERIFY(disabled);
        QCOMPARE(disabled->state, QStringLiteral("Disabling"));
        QCOMPARE(m_mappings->get(created->uuid)->state, QStringLiteral("Disabled"));
        EventSourceMappingRequest enable;
        enable.enabled = true;
        QCOMPARE(m_mappings->update(created->uuid, QString(), enable)->state,
            QStringLiteral("Enabling"));

        auto removed = m_mappings->remove(created->uuid);
        QVERIFY(removed);
        QCOMPARE(removed->state, QStringLiteral("Deleting"));
        QCOMPARE(m_mappings->get(created->uuid).error().code,
            QStringLiteral("ResourceNotFoundException"));
        QCOMPARE(m_mappings->get(created->uuid).error().httpStatus, 404);
        QVERIFY(m_mappings->list().isEmpty());
        QCOMPARE(m_mappings->remove(created->uuid).error().code,
            QStringLiteral("ResourceNotFoundException"));
        QCOMPARE(m_mappings->update(QStringLiteral("nope"), QString(), change).error().code,
            QStringLiteral("ResourceNotFoundException"));
    }

    void validation_data()
    {
        QTest::addColumn<QString>("arn");
        QTest::addColumn<QString>("field"); // the one setting changed from a valid request
        QTest::addColumn<int>("value");
        QTest::addColumn<QString>("message"); // a part of the error message
        QTest::newRow("no source arn")
            << QString() << QString() << 0 << QStringLiteral("Unrecognized event source.");
        QTest::newRow("not an arn")
            << QStringLiteral("queue") << QString() << 0 << QStringLiteral("at 'eventSourceArn'");
        QTest::newRow("no such kind of source")
            << QStringLiteral("arn:aws:sns:us-east-1:000000000000:topic") << QString() << 0
            << QStringLiteral("Unrecognized event source");
        QTest::newRow("dynamodb, not running")
            << QStringLiteral("arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x")
            << QString() << 0 << QStringLiteral("Stream not found");
        QTest::newRow("no such queue") << QStringLiteral("arn:aws:sqs:us-east-1:000000000000:other")
                                       << QString() << 0 << QStringLiteral("no such queue");
        QTest::newRow("batch size 0") << kQueue << QStringLiteral("BatchSize") << 0
                                      << QStringLiteral("greater than or equal to 1");
        QTest::newRow("batch size 10001") << kQueue << QStringLiteral("BatchSize") << 10001
                                          << QStringLiteral("less than or equal to 10000");
        QTest::newRow("batch over 10, no window") << kQueue << QStringLiteral("BatchSize") << 11
                                                  << QStringLiteral("Maximum batch window");
        QTest::newRow("window 301") << kQueue << QStringLiteral("Window") << 301
                                    << QStringLiteral("less than or equal to 300");
        QTest::newRow("concurrency 1") << kQueue << QStringLiteral("MaximumConcurrency") << 1
                                       << QStringLiteral("greater than or equal to 2");
        QTest::newRow("starting position on a queue")
            << kQueue << QStringLiteral("StartingPosition") << 0
            << QStringLiteral("StartingPosition is not valid for SQS");
        QTest::newRow("retries on a queue")
            << kQueue << QStringLiteral("MaximumRetryAttempts") << 3
            << QStringLiteral("Unsupported MaximumRetryAttempts parameter");
        QTest::newRow("stream without a position")
            << kStream << QString() << 0 << QStringLiteral("at 'startingPosition'");
        QTest::newRow("record age 10") << kStream << QStringLiteral("MaximumRecordAgeInSeconds")
                                       << 10 << QStringLiteral("or -1");
    }

    void validation()
    {
        QFETCH(QString, arn);
        QFETCH(QString, field);
        QFETCH(int, value);
        QFETCH(QString, message);
        EventSourceMappingRequest r;
        if (!arn.isEmpty())
            r.eventSourceArn = arn;
        if (field == QLatin1String("BatchSize"))
            r.batchSize = value;
        else if (field == QLatin1String("Window"))
            r.maximumBatchingWindowInSeconds = value;
        else if (field == QLatin1String("MaximumConcurrency"))
            r.maximumConcurrency = value;
        else if (field == QLatin1String("StartingPosition"))
            r.startingPosition = QStringLiteral("LATEST");
        else if (field == QLatin1String("MaximumRetryAttempts"))
            r.maximumRetryAttempts = value;
        else if (field == QLatin1String("MaximumRecordAgeInSeconds")) {
            r.startingPosition = QStringLiteral("LATEST");
            r.maximumRecordAgeInSeconds = value;
        }
        auto created = m_mappings->create(kFunction, r);
        QVERIFY(!created);
        QCOMPARE(created.error().code, QStringLiteral("InvalidParameterValueException"));
        QCOMPARE(created.error().httpStatus, 400);
        QVERIFY2(created.error().message.contains(message), qPrintable(created.error().message));
        QVERIFY(m_mappings->list().isEmpty());
    }

    void streamDefaultsAndOneMappingPerFunction()
    {
        EventSourceMappingRequest r;
        r.eventSourceArn = kStream;
        r.startingPosition = QStringLiteral("TRIM_HORIZON");
        auto created = m_mappings->create(kFunction, r);
        QVERIFY2(created, qPrintable(created ? QString() : created.error().message));
        QCOMPARE(created->batchSize, 100);
        const Json shown = m_mappings->toJson(*created);
        QCOMPARE(text(shown["StartingPosition"]), QByteArray("\"TRIM_HORIZON\""));
        QCOMPARE(text(shown["MaximumRetryAttempts"]), QByteArray("-1"));
        QCOMPARE(text(shown["MaximumRecordAgeInSeconds"]), QByteArray("-1"));
        QCOMPARE(text(shown["ParallelizationFactor"]), QByteArray("1"));
        QCOMPARE(text(shown["BisectBatchOnFunctionError"]), QByteArray("false"));
        QCOMPARE(text(shown["DestinationConfig"]), QByteArray(R"({"OnFailure":{}})"));

        auto again = m_mappings->create(kFunction, r);
        QCOMPARE(again.error().code, QStringLiteral("ResourceConflictException"));
        QCOMPARE(again.error().httpStatus, 409);
        QVERIFY(again.error().message.contains(created->uuid));
        QVERIFY(createQueueMapping().size() > 0);
        QCOMPARE(m_mappings->create(kFunction, queueRequest()).error().code,
            QStringLiteral("ResourceConflictException"));
    }

    // What was acknowledged is in the state: a new registry on the same store has it.
    void keptAcrossReopening()
    {
        EventSourceMappingRequest r = queueRequest();
        r.batchSize = 50;
        r.maximumBatchingWindowInSeconds = 5;
        r.functionResponseTypes = ids({"ReportBatchItemFailures"});
        r.filterPatterns = ids({R"({"body":{"kind":["order"]}})"});
        r.tags = QMap<QString, QString> {{QStringLiteral("team"), QStringLiteral("a")}};
        const QString kept = createQueueMapping(r);
        QVERIFY(!kept.isEmpty());
        EventSourceMappingRequest disable;
        disable.enabled = false;
        QVERIFY(m_mappings->update(kept, QString(), disable));
        EventSourceMappingRequest s;
        s.eventSourceArn = kStream;
        s.startingPosition = QStringLiteral("AT_TIMESTAMP");
        s.startingPositionTimestamp = 1'600'000'000.5;
        s.onFailureDestination = QStringLiteral("arn:aws:sqs:us-east-1:000000000000:dlq");
        auto stream = m_mappings->create(kFunction, s);
        QVERIFY(stream);
        auto gone = m_mappings->create(
            QStringLiteral("arn:aws:lambda:us-east-1:000000000000:function:other"), queueRequest());
        QVERIFY(gone);
        QVERIFY(m_mappings->remove(gone->uuid));
        const Json before = m_mappings->toJson(*m_mappings->get(kept));
        const Json streamBefore = m_mappings->toJson(*m_mappings->get(stream->uuid));

        m_mappings.reset();
        m_store.reset();
        auto store = Store::open(m_dir->path());
        QVERIFY(store);
        m_store = std::move(*store);
        openMappings();
        QCOMPARE(m_mappings->list().size(), 2);
        auto reread = m_mappings->get(kept);
        QVERIFY(reread);
        QCOMPARE(text(m_mappings->toJson(*reread)), text(before));
        QVERIFY(!reread->enabled);
        QCOMPARE(reread->tags.value(QStringLiteral("team")), QStringLiteral("a"));
        QCOMPARE(text(m_mappings->toJson(*m_mappings->get(stream->uuid))), text(streamBefore));
        QCOMPARE(streamBefore["StartingPositionTimestamp"].get<double>(), 1'600'000'000.5);
        QVERIFY(!m_mappings->get(gone->uuid));
    }

    // ---- A function's answer to a batch ----

    void outcomes_data()
    {
        QTest::addColumn<bool>("reports"); // ReportBatchItemFailures
        QTest::addColumn<bool>("functionError");
        QTest::addColumn<QByteArray>("payload");
        QTest::addColumn<int>("status"); // BatchOutcome::Status
        QTest::addColumn<QStringList>("failed");
        const int ok = int(BatchOutcome::Status::Succeeded);
        const int failed = int(BatchOutcome::Status::Failed);
        const int partial = int(BatchOutcome::Status::PartiallyFailed);
        QTest::newRow("success") << false << false << QByteArray("null") << ok << QStringList();
        QTest::newRow("error") << false << true << QByteArray("{}") << failed << QStringList();
        QTest::newRow("list ignored without the setting")
            << false << false << QByteArray(R"({"batchItemFailures":[{"itemIdentifier":"a"}]})")
            << ok << QStringList();
        QTest::newRow("partial") << true << false
                                 << QByteArray(R"({"batchItemFailures":[{"itemIdentifier":"b"}]})")
                                 << partial << ids({"b"});
        QTest::newRow("empty list")
            << true << false << QByteArray(R"({"batchItemFailures":[]})") << ok << QStringList();
        QTest::newRow("null list")
            << true << false << QByteArray(R"({"batchItemFailures":null})") << ok << QStringList();
        QTest::newRow("empty answer") << true << false << QByteArray("") << ok << QStringList();
        QTest::newRow("null answer") << true << false << QByteArray("null") << ok << QStringList();
        QTest::newRow("not JSON") << true << false << QByteArray("{oops") << failed
                                  << QStringList();
        QTest::newRow("unknown id")
            << true << false << QByteArray(R"({"batchItemFailures":[{"itemIdentifier":"z"}]})")
            << failed << QStringList();
        QTest::newRow("empty id") << true << false
                                  << QByteArray(R"({"batchItemFailures":[{"itemIdentifier":""}]})")
                                  << failed << QStringList();
        QTest::newRow("misspelt key")
            << true << false << QByteArray(R"({"batchItemFailures":[{"itemId":"a"}]})") << failed
            << QStringList();
        QTest::newRow("error with the list")
            << true << true << QByteArray(R"({"batchItemFailures":[{"itemIdentifier":"a"}]})")
            << failed << QStringList();
    }

    void outcomes()
    {
        QFETCH(bool, reports);
        QFETCH(bool, functionError);
        QFETCH(QByteArray, payload);
        QFETCH(int, status);
        QFETCH(QStringList, failed);
        EventSourceMapping mapping;
        if (reports)
            mapping.functionResponseTypes = ids({"ReportBatchItemFailures"});
        EventBatch batch;
        for (const char *id : {"a", "b", "c"})
            batch.records.append(EventRecord {QString::fromLatin1(id), Json::object()});
        DeliveryResult result;
        result.delivered = true;
        result.functionError = functionError;
        result.payload = payload;
        const BatchOutcome outcome = batchOutcome(mapping, batch, result);
        QCOMPARE(int(outcome.status), status);
        QCOMPARE(outcome.failedItemIds, failed);
    }

    void filters_data()
    {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QByteArray>("record");
        QTest::addColumn<bool>("matches");
        // An SQS record: its body is JSON text. (Built, not written out: moc misreads an escaped
        // quote inside a raw string.)
        const QByteArray order = toJsonBytes(
            Json {{"messageId", "m1"}, {"body", R"({"kind":"order","total":12,"tags":["a","b"]})"},
                {"attributes", {{"ApproximateReceiveCount", "1"}}}});
        QTest::newRow("literal in the body")
            << QStringLiteral(R"({"body":{"kind":["order"]}})") << order << true;
        QTest::newRow("other literal")
            << QStringLiteral(R"({"body":{"kind":["refund"]}})") << order << false;
        QTest::newRow("numeric") << QStringLiteral(
            R"({"body":{"total":[{"numeric":[">",10,"<=",12]}]}})")
                                 << order << true;
        QTest::newRow("numeric out")
            << QStringLiteral(R"({"body":{"total":[{"numeric":["<",10]}]}})") << order << false;
        QTest::newRow("prefix") << QStringLiteral(R"({"body":{"kind":[{"prefix":"ord"}]}})")
                                << order << true;
        QTest::newRow("suffix") << QStringLiteral(R"({"body":{"kind":[{"suffix":"xx"}]}})") << order
                                << false;
        QTest::newRow("ignore case")
            << QStringLiteral(R"({"body":{"kind":[{"equals-ignore-case":"ORDER"}]}})") << order
            << true;
        QTest::newRow("anything but")
            << QStringLiteral(R"({"body":{"kind":[{"anything-but":["refund"]}]}})") << order
            << true;
        QTest::newRow("anything but it")
            << QStringLiteral(R"({"body":{"kind":[{"anything-but":"order"}]}})") << order << false;
        QTest::newRow("exists") << QStringLiteral(R"({"body":{"kind":[{"exists":true}]}})") << order
                                << true;
        QTest::newRow("not exists")
            << QStringLiteral(R"({"body":{"missing":[{"exists":false}]}})") << order << true;
        QTest::newRow("array field")
            << QStringLiteral(R"({"body":{"tags":["b"]}})") << order << true;
        QTest::newRow("top level")
            << QStringLiteral(R"({"attributes":{"ApproximateReceiveCount":["1"]}})") << order
            << true;
        QTest::newRow("every key")
            << QStringLiteral(R"({"body":{"kind":["order"],"total":[13]}})") << order << false;
        QTest::newRow("base64 data") << QStringLiteral(R"({"kinesis":{"data":{"kind":["order"]}}})")
                                     << QByteArray(R"({"kinesis":{"data":")")
                + QByteArray(R"({"kind":"order"})").toBase64() + "\"}}"
                                     << true;
        QTest::newRow("body not JSON") << QStringLiteral(R"({"body":{"kind":["order"]}})")
                                       << QByteArray(R"({"body":"plain"})") << false;
        QTest::newRow("plain body literal")
            << QStringLiteral(R"({"body":["plain"]})") << QByteArray(R"({"body":"plain"})") << true;
    }

    void filters()
    {
        QFETCH(QString, pattern);
        QFETCH(QByteArray, record);
        QFETCH(bool, matches);
        auto parsed = parseJson(record);
        QVERIFY(parsed);
        QCOMPARE(matchesFilters({pattern}, *parsed), matches);
        QVERIFY(matchesFilters({}, *parsed));
        // Patterns are alternatives.
        QVERIFY(matchesFilters(
            {QStringLiteral(R"({"nothing":["x"]})"), QStringLiteral("{}")}, *parsed));
    }

    // ---- The poller ----

    void filteredRecordsAreDoneWithoutTheFunction()
    {
        EventSourceMappingRequest r = queueRequest();
        r.filterPatterns = ids({R"({"body":{"kind":["order"]}})"});
        createQueueMapping(r);
        FakeSink sink;
        EventSourcePoller poller(m_mappings.get(), &sink, m_clock.get());
        poller.start();
        m_queue->send(QStringLiteral("skip"), QStringLiteral(R"({"kind":"refund"})"));
        settle();
        QVERIFY(sink.received.isEmpty());
        QVERIFY(m_queue->messages.isEmpty()); // deleted, as Lambda deletes what no filter matches
        m_queue->send(QStringLiteral("skip2"), QStringLiteral("not json"));
        m_queue->send(QStringLiteral("keep"), QStringLiteral(R"({"kind":"order"})"));
        settle();
        QCOMPARE(sink.received.size(), 1);
        QCOMPARE(sink.messageIds(0), ids({"keep"}));
        sink.answer("{}", true); // the delivered one failed: it stays, the filtered one goes
        settle();
        QCOMPARE(m_queue->messages.size(), 1);
        QCOMPARE(m_queue->messages.first().id, QStringLiteral("keep"));
    }

    void deliversABatchAndDeletesOnSuccess()
    {
        const QString uuid = createQueueMapping();
        FakeSink sink;
        EventSourcePoller poller(m_mappings.get(), &sink, m_clock.get());
        poller.start();
        settle();
        QVERIFY(sink.received.isEmpty()); // an empty queue: nothing, and no timer either
        QCOMPARE(m_clock->pendingTimers(), 0);

        for (const char *id : {"m1", "m2", "m3"})
            m_queue->send(QString::fromLatin1(id));
        settle();
        QCOMPARE(sink.received.size(), 1); // one batch of three, not three of one
        const Delivery &d = sink.received.first();
        QCOMPARE(d.functionName, QStringLiteral("fn"));
        QCOMPARE(d.origin, QStringLiteral("sqs"));
        QVERIFY(!d.async);
        QCOMPARE(sink.messageIds(0), ids({"m1", "m2", "m3"}));
        QCOMPARE(poller.inFlight(uuid), 1);

        sink.answer("null");
        settle();
        QCOMPARE(poller.inFlight(uuid), 0);
        QVERIFY(m_queue->messages.isEmpty());
        QCOMPARE(m_mappings->get(uuid)->lastProcessingResult, QStringLiteral("OK"));
        QVERIFY(sink.received.isEmpty());
    }

    void failureMakesTheBatchVisibleAgain()
    {
        const QString uuid = createQueueMapping();
        FakeSink sink;
        EventSourcePoller poller(m_mappings.get(), &sink, m_clock.get());
        poller.start();
        m_queue->send(QStringLiteral("m1"));
        settle();
        QCOMPARE(sink.received.size(), 1);
        sink.answer(R"({"errorMessage":"boom"})", true);
        settle();
        QCOMPARE(m_queue->outcomes.last().status, BatchOutcome::Status::Failed);
        QCOMPARE(m_queue->messages.size(), 1); // kept
        QCOMPARE(m_mappings->get(uuid)->lastProcessingResult,
            QStringLiteral("PROBLEM: Function call failed"));

        // Invisible until the visibility timeout passes, then delivered again.
        m_clock->advanceNs(30 * kSecond - 1);
        settle();
        QVERIFY(sink.received.isEmpty());
        m_clock->advanceNs(1);
        settle();
        QCOMPARE(sink.received.size(), 1);
        QCOMPARE(sink.messageIds(0), ids({"m1"}));
        sink.answer("{}");
        settle();
        QVERIFY(m_queue->messages.isEmpty());
    }

    void reportBatchItemFailuresKeepsOnlyTheFailed()
    {
        EventSourceMappingRequest r = queueRequest();
        r.functionResponseTypes = ids({"ReportBatchItemFailures"});
        createQueueMapping(r);
        FakeSink sink;
        EventSourcePoller poller(m_mappings.get(), &sink, m_clock.get());
        poller.start();
        for (const char *id : {"m1", "m2", "m3"})
            m_queue->send(QString::fromLatin1(id));
        settle();
        QCOMPARE(sink.received.size(), 1);
        sink.answer(R"({"batchItemFailures":[{"itemIdentifier":"m2"}]})");
        settle();
        QCOMPARE(m_queue->outcomes.last().status, BatchOutcome::Status::PartiallyFailed);
        QCOMPARE(m_queue->messages.size(), 1);
        QCOMPARE(m_queue->messages.first().id, QStringLiteral("m2"));
        m_clock->advanceNs(30 * kSecond);
        settle();
        QCOMPARE(sink.received.size(), 1);
        QCOMPARE(sink.messageIds(0), ids({"m2"}));
    }

    void disabledMappingIsNotPolled()
    {
        EventSourceMappingRequest r = queueRequest();
        r.enabled = false;
        const QString uuid = createQueueMapping(r);
        FakeSink sink;
        EventSourcePoller poller(m_mappings.get(), &sink, m_clock.get());
        poller.start();
        m_queue->send(QStringLiteral("m1"));
        settle();
        m_clock->advanceNs(60 * kSecond);
        settle();
        QVERIFY(sink.received.isEmpty());
        QCOMPARE(m_clock->pendingTimers(), 0);

        EventSourceMappingRequest enable;
        enable.enabled = true;
        QVERIFY(m_mappings->update(uuid, QString(), enable));
        settle();
        QCOMPARE(sink.received.size(), 1);

        // Disabled again with a batch in flight: that batch still settles, no new one starts.
        EventSourceMappingRequest disable;
        disable.enabled = false;
        QVERIFY(m_mappings->update(uuid, QString(), disable));
        m_queue->send(QStringLiteral("m2"));
        settle();
        sink.answer("null");
        settle();
        QVERIFY(sink.received.isEmpty());
        QCOMPARE(m_queue->messages.size(), 1);
        QCOMPARE(m_queue->messages.first().id, QStringLiteral("m2"));

        // Deleted: not polled either.
        QVERIFY(m_mappings->remove(uuid));
        m_queue->send(QStringLiteral("m3"));
        settle();
        QVERIFY(sink.received.isEmpty());
    }

    void maximumConcurrencyIsRespected()
    {
        EventSourceMappingRequest r = queueRequest();
        r.batchSize = 1;
        r.maximumConcurrency = 2;
        const QString uuid = createQueueMapping(r);
        FakeSink sink;
        EventSourcePoller poller(m_mappings.get(), &sink, m_clock.get());
        poller.start();
        for (const char *id : {"m1", "m2", "m3", "m4", "m5"})
            m_queue->send(QString::fromLatin1(id));
        settle();
        QCOMPARE(sink.received.size(), 2);
        QCOMPARE(poller.inFlight(uuid), 2);
        sink.answer("null");
        settle();
        QCOMPARE(sink.received.size(), 2); // one finished, the next took its place
        QCOMPARE(sink.messageIds(1), ids({"m3"}));
        while (!sink.received.isEmpty()) {
            QVERIFY(poller.inFlight(uuid) <= 2);
            sink.answer("null");
            settle();
        }
        QVERIFY(m_queue->messages.isEmpty());

        // Without ScalingConfig: the source's default (five here).
        EventSourceMappingRequest unscaled;
        unscaled.maximumConcurrency = 0;
        QVERIFY(m_mappings->update(uuid, QString(), unscaled));
        for (int i = 0; i < 8; ++i)
            m_queue->send(QStringLiteral("n%1").arg(i));
        settle();
        QCOMPARE(sink.received.size(), 5);
    }

    void batchingWindowWaitsForAFullBatch()
    {
        EventSourceMappingRequest r = queueRequest();
        r.batchSize = 3;
        r.maximumBatchingWindowInSeconds = 5;
        createQueueMapping(r);
        FakeSink sink;
        EventSourcePoller poller(m_mappings.get(), &sink, m_clock.get());
        poller.start();
        m_queue->send(QStringLiteral("m1"));
        settle();
        QVERIFY(sink.received.isEmpty()); // the window is open
        m_clock->advanceNs(2 * kSecond);
        m_queue->send(QStringLiteral("m2"));
        settle();
        QVERIFY(sink.received.isEmpty());
        m_clock->advanceNs(3 * kSecond - 1);
        settle();
        QVERIFY(sink.received.isEmpty());
        m_clock->advanceNs(1); // five seconds after the first record: what there is goes
        settle();
        QCOMPARE(sink.received.size(), 1);
        QCOMPARE(sink.messageIds(0), ids({"m1", "m2"}));
        sink.answer("null");
        settle();

        // A full batch does not wait for the window.
        for (const char *id : {"m3", "m4", "m5"})
            m_queue->send(QString::fromLatin1(id));
        settle();
        QCOMPARE(sink.received.size(), 1);
        QCOMPARE(sink.messageIds(0), ids({"m3", "m4", "m5"}));
    }

    // A function that keeps failing is not called in a loop: the mapping rests after each
    // failed batch, on the clock.
    void failedBatchRestsTheMapping()
    {
        createQueueMapping();
        m_queue->visibilityNs = 1; // visible again at once: only the rest holds the retry
        FakeSink sink;
        EventSourcePoller::Options options;
        options.failureBackoffNs = 2 * kSecond;
        EventSourcePoller poller(m_mappings.get(), &sink, m_clock.get(), options);
        poller.start();
        m_queue->send(QStringLiteral("m1"));
        settle();
        QCOMPARE(sink.received.size(), 1);
        sink.answer("{}", true);
        settle();
        QVERIFY(sink.received.isEmpty());
        m_clock->advanceNs(2 * kSecond - 1);
        settle();
        QVERIFY(sink.received.isEmpty());
        m_clock->advanceNs(1);
        settle();
        QCOMPARE(sink.received.size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestEventSourceMappings)
#include "tst_eventsourcemappings.moc"
