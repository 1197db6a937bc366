// AsyncInvoker's retry policy runs on the engine's Clock: on a ManualClock a failed event is
// retried exactly when the clock passes each back-off, never before, then sent to its
// OnFailure destination; a retry left queued by a stopped invoker resumes at its recorded time.
// A fake sink stands for the Dispatcher, fake settings for the Lambda service's.
#include "engine/asyncinvoker.h"

#include "base/clock.h"
#include "base/json.h"
#include "store/store.h"

#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;

namespace {

constexpr qint64 kStart = 1'700'000'000'000'000'000;
constexpr qint64 kMs = 1'000'000;
const QString kDestination = QStringLiteral("arn:aws:lambda:us-east-1:000000000000:function:dest");

// The functions' EventInvokeConfig, as the Lambda service offers them to the policy.
struct FakeConfigs : EventInvokeConfigs
{
    std::optional<EventInvokeConfig> eventInvokeConfig(const QString &function) const override
    {
        if (function != QLatin1String("fn"))
            return std::nullopt;
        EventInvokeConfig config;
        config.maximumRetryAttempts = 2;
        config.onFailure = kDestination;
        return config;
    }
    QString arnFor(const QString &function) const override
    {
        return QStringLiteral("arn:aws:lambda:us-east-1:000000000000:function:") + function;
    }
};

QByteArray dumped(const Json &value)
{
    return QByteArray::fromStdString(value.dump());
}

// Stands for the Dispatcher: keeps each delivery, with the clock's time when it arrived, until
// the test finishes it.
struct FakeSink : DeliverySink
{
    explicit FakeSink(const Clock *clock)
        : clock(clock)
    { }
    void submit(Delivery delivery) override
    {
        received.append(std::move(delivery));
        receivedAtNs.append(clock->nowNs());
    }
    Result<void> submitAsync(Delivery) override
    {
        return makeError(
            QStringLiteral("Unexpected"), QStringLiteral("the policy submits attempts"));
    }
    void fail()
    {
        Delivery d = received.takeFirst();
        receivedAtNs.removeFirst();
        DeliveryResult r;
        r.delivered = true;
        r.functionError = true;
        r.errorType = QStringLiteral("Unhandled");
        r.payload = R"({"errorMessage":"boom","errorType":"Exception"})";
        d.done(r);
    }

    const Clock *clock;
    QList<Delivery> received;
    QList<qint64> receivedAtNs;
};

} // namespace

class TestAsyncInvoker : public QObject
{
    Q_OBJECT
private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Store> m_store;
    std::unique_ptr<ManualClock> m_clock;
    FakeConfigs m_configs;

    std::unique_ptr<AsyncInvoker> openInvoker(FakeSink *sink)
    {
        auto invoker = std::make_unique<AsyncInvoker>(
            m_store.get(), m_clock.get(), AsyncInvoker::Options {});
        auto opened = invoker->open(sink, &m_configs);
        if (!opened)
            qWarning("%s", qPrintable(opened.error().message));
        return opened ? std::move(invoker) : nullptr;
    }

    // Lets queued calls (a first attempt, a timer due when scheduled) run.
    static void settle()
    {
        for (int i = 0; i < 3; ++i)
            QCoreApplication::processEvents();
    }

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        auto store = Store::open(m_dir->path());
        QVERIFY2(store, qPrintable(store ? QString() : store.error().message));
        m_store = std::move(*store);
        m_clock = std::make_unique<ManualClock>(kStart);
    }

    void cleanup()
    {
        m_store.reset();
        m_clock.reset();
        m_dir.reset();
    }

    void retriesOnTheClockThenGoesToTheDestination()
    {
        FakeSink sink(m_clock.get());
        auto invoker = openInvoker(&sink);
        QVERIFY(invoker);
        AsyncInvoker::Event event;
        event.id = "11111111-2222-3333-4444-555555555555";
        event.function = QStringLiteral("fn");
        event.payload = R"({"order":7})";
        QVERIFY(invoker->enqueue(event));
        settle();
        QCOMPARE(sink.received.size(), 1); // the first attempt goes out at once
        QCOMPARE(sink.receivedAtNs.first(), kStart);

        // Back-offs of 1 s, then 2 s: each retry exactly when the clock passes it.
        qint64 failedAt = kStart;
        for (const qint64 backOffMs : {1000, 2000}) {
            sink.fail();
            QCOMPARE(invoker->inFlight(), 0);
            m_clock->advanceMs(backOffMs - 1);
            settle();
            QTest::qWait(backOffMs + 100); // nor by real time
            QVERIFY2(sink.received.isEmpty(), qPrintable(QString::number(backOffMs)));
            m_clock->advanceMs(1);
            QCOMPARE(sink.received.size(), 1); // within the advance, at its due time
            failedAt += backOffMs * kMs;
            QCOMPARE(sink.receivedAtNs.first(), failedAt);
            const Delivery &retry = sink.received.first();
            QCOMPARE(retry.id, event.id);
            QCOMPARE(retry.functionName, QStringLiteral("fn"));
            QCOMPARE(retry.payload, event.payload);
            QVERIFY(retry.async);
        }

        // The third failure exhausts the retries: the record goes to the destination.
        sink.fail();
        settle();
        QCOMPARE(sink.received.size(), 1);
        const Delivery &destination = sink.received.first();
        QCOMPARE(destination.functionName, QStringLiteral("dest"));
        QCOMPARE(destination.origin, QStringLiteral("destination"));
        auto record = parseJson(destination.payload);
        QVERIFY(record);
        const Json &context = (*record)["requestContext"];
        QCOMPARE(dumped(context["condition"]), QByteArrayLiteral("\"RetriesExhausted\""));
        QCOMPARE(dumped(context["approximateInvokeCount"]), QByteArrayLiteral("3"));
        QCOMPARE(dumped(context["requestId"]), '"' + event.id + '"');
        QCOMPARE(dumped((*record)["requestPayload"]), event.payload);
        QCOMPARE(dumped((*record)["responseContext"]["functionError"]),
            QByteArrayLiteral("\"Unhandled\""));

        // Nothing more for the function, however far the clock goes.
        m_clock->advanceMs(10 * 60 * 1000);
        settle();
        QCOMPARE(sink.received.size(), 1);
        QCOMPARE(m_clock->pendingTimers(), 0);
    }

    // A retry queued when Tarmac stopped is resumed by the next open() at its recorded time.
    void resumedRetryWaitsForItsTime()
    {
        const QByteArray id = "99999999-2222-3333-4444-555555555555";
        {
            FakeSink sink(m_clock.get());
            auto invoker = openInvoker(&sink);
            QVERIFY(invoker);
            AsyncInvoker::Event event;
            event.id = id;
            event.function = QStringLiteral("fn");
            event.payload = "{}";
            QVERIFY(invoker->enqueue(event));
            settle();
            QCOMPARE(sink.received.size(), 1);
            sink.fail(); // retry due at +1 s
            invoker->stop();
        } // the invoker is gone: its timer with it
        QCOMPARE(m_clock->pendingTimers(), 0);

        m_clock->advanceMs(400);
        FakeSink sink(m_clock.get());
        auto invoker = openInvoker(&sink);
        QVERIFY(invoker);
        settle();
        m_clock->advanceMs(599);
        settle();
        QVERIFY(sink.received.isEmpty());
        m_clock->advanceMs(1);
        QCOMPARE(sink.received.size(), 1);
        QCOMPARE(sink.received.first().id, id);
        QCOMPARE(sink.receivedAtNs.first(), kStart + 1000 * kMs);
    }
};

QTEST_GUILESS_MAIN(TestAsyncInvoker)
#include "tst_asyncinvoker.moc"
