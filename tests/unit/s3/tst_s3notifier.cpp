#include "services/s3/s3notifier.h"

#include "base/clock.h"
#include "base/json.h"
#include "functions/delivery.h"
#include "services/messagetargets.h"
#include "store/store.h"
#include "trace/tracequery.h"
#include "trace/tracer.h"

#include <QMutex>
#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;

namespace {

// Takes what the notifier submits; refuses asynchronous ones when told to.
class RecordingSink : public DeliverySink
{
public:
    void submit(Delivery delivery) override { sync.append(std::move(delivery)); }
    Result<void> submitAsync(Delivery delivery) override
    {
        if (!refuse.isEmpty())
            return makeError(QStringLiteral("ServiceException"), refuse, 500);
        async.append(std::move(delivery));
        return {};
    }

    QList<Delivery> sync;
    QList<Delivery> async;
    QString refuse;
};

const QByteArray kConfig
    = "<NotificationConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<CloudFunctionConfiguration><Id>thumbs</Id>"
      "<CloudFunction>arn:aws:lambda:us-east-1:000000000000:function:resize:live</CloudFunction>"
      "<Event>s3:ObjectCreated:*</Event><Filter><S3Key>"
      "<FilterRule><Name>Prefix</Name><Value>images/</Value></FilterRule>"
      "<FilterRule><Name>suffix</Name><Value>.jpg</Value></FilterRule></S3Key></Filter>"
      "</CloudFunctionConfiguration>"
      "<CloudFunctionConfiguration><Id>audit</Id>"
      "<CloudFunction>arn:aws:lambda:us-east-1:000000000000:function:audit</CloudFunction>"
      "<Event>s3:ObjectRemoved:*</Event></CloudFunctionConfiguration>"
      "</NotificationConfiguration>";

S3Event makeEvent(const QString &name, const QByteArray &key)
{
    S3Event e;
    e.eventName = name;
    e.bucket = QStringLiteral("photos");
    e.key = key;
    e.size = 1234;
    e.etag = "0123456789abcdef0123456789abcdef";
    e.sequencer = "0055AED6DCD90281E5";
    e.timeNs = 1'700'000'000'123'000'000;
    e.origin.requestId = "REQ";
    e.origin.traceId = "0123456789abcdef0123456789abcdef";
    e.origin.spanId = "0123456789abcdef";
    e.origin.sourceIp = QStringLiteral("127.0.0.1");
    return e;
}

} // namespace

class TestS3Notifier : public QObject
{
    Q_OBJECT

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        auto store = Store::open(m_dir->path());
        QVERIFY2(store, qPrintable(store ? QString() : store.error().message));
        m_state = std::move(*store);
        m_s3 = std::make_unique<S3Store>(m_state.get(), &m_clock, m_dir->path());
        QVERIFY(m_s3->open());
        QVERIFY(m_s3->createBucket(QStringLiteral("photos"), QStringLiteral("us-east-1")));
        QVERIFY(m_s3->setBucketDocument(
            QStringLiteral("photos"), S3Store::BucketDocument::Notification, kConfig));
    }
    void cleanup()
    {
        m_s3.reset();
        m_state.reset();
        m_dir.reset();
    }

    void matchingEventIsSubmittedAsynchronously()
    {
        RecordingSink sink;
        S3Notifier notifier(m_s3.get(), &sink, nullptr, &m_clock, QStringLiteral("us-east-1"),
            QStringLiteral("000000000000"));
        notifier.onEvent(makeEvent(QStringLiteral("ObjectCreated:Put"), "images/cat 1.jpg"));
        QCOMPARE(sink.sync.size(), 0); // S3 invokes asynchronously, never synchronously
        QCOMPARE(sink.async.size(), 1);
        const Delivery &d = sink.async.first();
        QCOMPARE(d.functionName, QStringLiteral("resize"));
        QCOMPARE(d.qualifier, QStringLiteral("live"));
        QCOMPARE(d.origin, QStringLiteral("s3"));
        QVERIFY(d.async);
        QCOMPARE(d.traceId, QByteArray("0123456789abcdef0123456789abcdef"));
        QCOMPARE(d.parentSpanId, QByteArray("0123456789abcdef"));
        auto payload = parseJson(d.payload);
        QVERIFY(payload);
        const Json &record = (*payload)["Records"][0];
        QVERIFY(record["eventName"] == Json("ObjectCreated:Put"));
        QVERIFY(record["eventSource"] == Json("aws:s3"));
        QVERIFY(record["s3"]["configurationId"] == Json("thumbs"));
        QVERIFY(record["s3"]["object"]["key"] == Json("images/cat+1.jpg"));
        QVERIFY(record["s3"]["object"]["size"] == Json(1234));
    }

    void filtersAndEventTypesDecide_data()
    {
        QTest::addColumn<QString>("eventName");
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<QString>("function");
        QTest::newRow("prefix and suffix")
            << "ObjectCreated:Copy" << QByteArray("images/a.jpg") << "resize";
        QTest::newRow("wrong suffix") << "ObjectCreated:Put" << QByteArray("images/a.png") << "";
        QTest::newRow("wrong prefix") << "ObjectCreated:Put" << QByteArray("docs/a.jpg") << "";
        QTest::newRow("removal") << "ObjectRemoved:Delete" << QByteArray("docs/a.jpg") << "audit";
    }
    void filtersAndEventTypesDecide()
    {
        QFETCH(QString, eventName);
        QFETCH(QByteArray, key);
        QFETCH(QString, function);
        RecordingSink sink;
        S3Notifier notifier(m_s3.get(), &sink, nullptr, &m_clock, QStringLiteral("us-east-1"),
            QStringLiteral("000000000000"));
        notifier.onEvent(makeEvent(eventName, key));
        QCOMPARE(sink.async.size(), function.isEmpty() ? 0 : 1);
        if (!function.isEmpty())
            QCOMPARE(sink.async.first().functionName, function);
    }

    void refusedEventIsReportedWhereTheUserLooks()
    {
        auto tracer = Tracer::open(m_dir->filePath(QStringLiteral("traces.db")));
        QVERIFY(tracer);
        RecordingSink sink;
        sink.refuse = QStringLiteral("disk full");
        S3Notifier notifier(m_s3.get(), &sink, tracer->get(), &m_clock, QStringLiteral("us-east-1"),
            QStringLiteral("000000000000"));
        notifier.onEvent(makeEvent(QStringLiteral("ObjectCreated:Put"), "images/a.jpg"));
        QCOMPARE(sink.async.size(), 0);
        (*tracer)->flush();
        auto query = TraceQuery::open(m_dir->filePath(QStringLiteral("traces.db")));
        QVERIFY(query);
        auto logs = (*query)->logs({});
        QVERIFY(logs);
        QCOMPARE(logs->size(), 1);
        QVERIFY2(logs->first().text.contains(
                     QStringLiteral("undeliverable to function resize: disk full")),
            qPrintable(logs->first().text));
    }

    void queueTargetGetsTheRecordUnderAProducerSpan()
    {
        struct Queue : MessageTarget
        {
            Result<void> deliverMessage(const QString &arn, const TargetMessage &m) override
            {
                got.append({arn, m});
                return {};
            }
            bool targetExists(const QString &) const override { return true; }
            QList<std::pair<QString, TargetMessage>> got;
        } queue;
        MessageTargets targets;
        targets.add(QStringLiteral("sqs"), &queue);
        const QString arn = QStringLiteral("arn:aws:sqs:us-east-1:000000000000:jobs");
        QVERIFY(
            m_s3->setBucketDocument(QStringLiteral("photos"), S3Store::BucketDocument::Notification,
                "<NotificationConfiguration><QueueConfiguration><Id>q</Id><Queue>" + arn.toUtf8()
                    + "</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration>"
                      "</NotificationConfiguration>"));
        auto tracer = Tracer::open(m_dir->filePath(QStringLiteral("traces.db")));
        QVERIFY(tracer);
        RecordingSink sink;
        S3Notifier notifier(m_s3.get(), &sink, tracer->get(), &m_clock, QStringLiteral("us-east-1"),
            QStringLiteral("000000000000"));
        notifier.setMessageTargets(&targets);
        const S3Event event = makeEvent(QStringLiteral("ObjectCreated:Put"), "a.txt");
        notifier.onEvent(event);
        targets.remove(&queue);
        QCOMPARE(queue.got.size(), 1);
        QCOMPARE(queue.got[0].first, arn);
        const TargetMessage &m = queue.got[0].second;
        QVERIFY(parseJson(m.body)->contains("Records"));
        // The message's parent is the hand-over, a producer under the request's span.
        QCOMPARE(m.traceId, event.origin.traceId);
        (*tracer)->flush();
        auto query = TraceQuery::open(m_dir->filePath(QStringLiteral("traces.db")));
        QVERIFY(query);
        auto spans = (*query)->trace(event.origin.traceId);
        QVERIFY(spans);
        QCOMPARE(spans->size(), 1);
        const Span &notify = spans->first();
        QCOMPARE(notify.name, QStringLiteral("S3 notify jobs"));
        QCOMPARE(notify.kind, int(SpanKindProducer));
        QCOMPARE(notify.spanId, m.parentSpanId);
        QCOMPARE(notify.parentSpanId, event.origin.spanId);
        QVERIFY(notify.attributes.contains(
            {QStringLiteral("messaging.system"), QStringLiteral("aws_sqs")}));
        QCOMPARE(notify.statusCode, 0);
    }

private:
    ManualClock m_clock;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Store> m_state;
    std::unique_ptr<S3Store> m_s3;
};

QTEST_GUILESS_MAIN(TestS3Notifier)
#include "tst_s3notifier.moc"
