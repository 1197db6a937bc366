// The Dispatcher: recording, pause, breakpoints (with JSON path predicates), step, edit,
// drop, resume, shutdown. A fake target holds deliveries until the test finishes them, and a
// ManualClock makes every recorded time exact.
#include "base/clock.h"
#include "engine/dispatcher.h"
#include "store/store.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;

namespace {

constexpr qint64 kStart = 1'700'000'000'000'000'000;

struct FakeTarget
{
    QList<Delivery> received;

    Dispatcher::Target target()
    {
        return [this](Delivery d) { received.append(std::move(d)); };
    }
    // Finishes the oldest delivery the target holds.
    void finish(QByteArray payload = "\"ok\"", bool functionError = false)
    {
        Delivery d = received.takeFirst();
        DeliveryResult r;
        r.delivered = true;
        r.functionError = functionError;
        r.payload = std::move(payload);
        r.errorType = functionError ? QStringLiteral("Unhandled") : QString();
        r.durationNs = 42;
        d.done(r);
    }
};

struct Caller
{
    int calls = 0;
    DeliveryResult last;
    std::function<void(const DeliveryResult &)> done()
    {
        return [this](const DeliveryResult &r) {
            ++calls;
            last = r;
        };
    }
};

Delivery delivery(const QString &function, const QByteArray &payload,
    const QString &origin = QStringLiteral("invoke"), Caller *caller = nullptr)
{
    Delivery d;
    d.functionName = function;
    d.payload = payload;
    d.origin = origin;
    if (caller)
        d.done = caller->done();
    return d;
}

} // namespace

class TestDispatcher : public QObject
{
    Q_OBJECT
private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Store> m_store;
    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<Dispatcher> m_dispatcher;
    FakeTarget m_target;

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        auto store = Store::open(m_dir->path());
        QVERIFY2(store, qPrintable(store ? QString() : store.error().message));
        m_store = std::move(*store);
        m_clock = std::make_unique<ManualClock>(kStart);
        m_dispatcher = std::make_unique<Dispatcher>(m_store.get(), nullptr, m_clock.get());
        QVERIFY(m_dispatcher->open());
        m_target = FakeTarget {};
        m_dispatcher->setTarget(m_target.target());
    }

    void cleanup()
    {
        m_dispatcher.reset();
        m_store.reset();
        m_dir.reset();
    }

    void deliversAtOnceAndRecords()
    {
        Caller caller;
        Delivery d = delivery(QStringLiteral("fn"), "{\"a\":1}", QStringLiteral("s3"), &caller);
        d.parentSpanId = "1111111111111111";
        m_dispatcher->submit(std::move(d));
        QCOMPARE(m_target.received.size(), 1);
        const Delivery &out = m_target.received.first();
        QCOMPARE(out.id.size(), 36); // assigned
        QCOMPARE(out.traceId.size(), 32); // a new trace
        QCOMPARE(out.parentSpanId.size(), 16); // the dispatcher's span, not the caller's
        QVERIFY(out.parentSpanId != "1111111111111111");
        QCOMPARE(out.qualifier, QStringLiteral("$LATEST"));
        const QByteArray id = out.id;

        auto running = m_dispatcher->record(id);
        QVERIFY(running);
        QCOMPARE(running->status, QStringLiteral("delivering"));
        QCOMPARE(running->submittedNs, kStart);
        QCOMPARE(running->startedNs, kStart);
        QCOMPARE(running->parentSpanId, QByteArrayLiteral("1111111111111111"));

        m_clock->advanceMs(250);
        m_target.finish("{\"r\":2}");
        QCOMPARE(caller.calls, 1);
        QVERIFY(caller.last.delivered);
        auto done = m_dispatcher->record(id);
        QVERIFY(done);
        QCOMPARE(done->status, QStringLiteral("succeeded"));
        QCOMPARE(done->finishedNs, kStart + 250'000'000);
        QCOMPARE(done->durationNs, qint64(42));
        QCOMPARE(done->payload, QByteArrayLiteral("{\"a\":1}"));
        QCOMPARE(done->result, QByteArrayLiteral("{\"r\":2}"));
        QCOMPARE(done->origin, QStringLiteral("s3"));
        QVERIFY(done->originalPayload.isNull());
    }

    void pauseHoldsAndResumeReleasesInOrder()
    {
        QSignalSpy held(m_dispatcher.get(), &Dispatcher::held);
        QSignalSpy paused(m_dispatcher.get(), &Dispatcher::pausedChanged);
        Caller c1, c2, c3;
        m_dispatcher->pause();
        QVERIFY(m_dispatcher->isPaused());
        m_dispatcher->submit(delivery(QStringLiteral("a"), "1", QStringLiteral("invoke"), &c1));
        m_clock->advanceMs(1);
        m_dispatcher->submit(delivery(QStringLiteral("b"), "2", QStringLiteral("invoke"), &c2));
        m_clock->advanceMs(1);
        m_dispatcher->submit(delivery(QStringLiteral("a"), "3", QStringLiteral("invoke"), &c3));
        QCOMPARE(m_target.received.size(), 0);
        QCOMPARE(held.size(), 3);
        // The synchronous callers wait: nothing has answered them.
        QCOMPARE(c1.calls + c2.calls + c3.calls, 0);
        const auto pending = m_dispatcher->pending();
        QCOMPARE(pending.size(), 3);
        QCOMPARE(pending[0].payload, QByteArrayLiteral("1"));
        QCOMPARE(pending[1].submittedNs, kStart + 1'000'000);
        QCOMPARE(pending[2].breakpointId, 0);
        QCOMPARE(m_dispatcher->record(pending[0].id)->status, QStringLiteral("held"));

        m_clock->advanceMs(10);
        m_dispatcher->resume();
        QVERIFY(!m_dispatcher->isPaused());
        QCOMPARE(paused.size(), 2);
        QCOMPARE(m_target.received.size(), 3);
        QCOMPARE(m_target.received[0].payload, QByteArrayLiteral("1"));
        QCOMPARE(m_target.received[2].payload, QByteArrayLiteral("3"));
        QCOMPARE(m_dispatcher->record(pending[0].id)->startedNs, kStart + 12'000'000);
        QVERIFY(m_dispatcher->pending().isEmpty());
        while (!m_target.received.isEmpty())
            m_target.finish();
        QCOMPARE(c1.calls + c2.calls + c3.calls, 3);
    }

    void stepDeliversOneAtATime()
    {
        m_dispatcher->pause();
        QVERIFY(!m_dispatcher->step()); // nothing pending
        QCOMPARE(m_dispatcher->step().error().code, QStringLiteral("NoPendingDelivery"));
        m_dispatcher->submit(delivery(QStringLiteral("f"), "1"));
        m_dispatcher->submit(delivery(QStringLiteral("f"), "2"));
        auto first = m_dispatcher->step();
        QVERIFY(first);
        QCOMPARE(m_target.received.size(), 1);
        QCOMPARE(m_target.received[0].id, *first);
        QCOMPARE(m_target.received[0].payload, QByteArrayLiteral("1"));
        QVERIFY(m_dispatcher->isPaused());
        QCOMPARE(m_dispatcher->pending().size(), 1);
        // Still paused: a new one is held behind the remaining one.
        m_dispatcher->submit(delivery(QStringLiteral("f"), "3"));
        QCOMPARE(m_dispatcher->pending().size(), 2);
        QVERIFY(m_dispatcher->step());
        QCOMPARE(m_target.received.last().payload, QByteArrayLiteral("2"));
    }

    void releaseWithAnEditedPayload()
    {
        Caller caller;
        m_dispatcher->pause();
        m_dispatcher->submit(
            delivery(QStringLiteral("f"), "{\"v\":1}", QStringLiteral("sqs"), &caller));
        const QByteArray id = m_dispatcher->pending().first().id;
        QVERIFY(!m_dispatcher->release("no-such-id", QByteArray("{}")));
        QVERIFY(m_dispatcher->release(id, QByteArray("{\"v\":2}")));
        QCOMPARE(m_target.received.size(), 1);
        QCOMPARE(m_target.received[0].payload, QByteArrayLiteral("{\"v\":2}"));
        m_target.finish();
        auto r = m_dispatcher->record(id);
        QVERIFY(r);
        QCOMPARE(r->payload, QByteArrayLiteral("{\"v\":2}"));
        QCOMPARE(r->originalPayload, QByteArrayLiteral("{\"v\":1}"));
        QCOMPARE(caller.calls, 1);
        QVERIFY(!m_dispatcher->release(id)); // no longer pending
    }

    // A source's own work (Delivery::runLocally): never handed to the target; held, stepped
    // and edited like any delivery, then recorded as delivered. wouldHold() says when a source
    // needs to submit it at all.
    void localWorkIsHeldAndRunsOnTheReleasedPayload()
    {
        Delivery d = delivery(
            QStringLiteral("machine/State"), "{\"v\":1}", QStringLiteral("stepfunctions.state"));
        QVERIFY(!m_dispatcher->wouldHold(d));
        QList<QByteArray> ran;
        d.runLocally = [&ran](const QByteArray &payload) { ran.append(payload); };
        Caller caller;
        d.done = caller.done();

        Breakpoint bp;
        bp.origin = QStringLiteral("stepfunctions.state");
        auto added = m_dispatcher->addBreakpoint(bp);
        QVERIFY(added);
        QVERIFY(m_dispatcher->wouldHold(d));
        Delivery other = delivery(QStringLiteral("f"), "{}");
        QVERIFY(!m_dispatcher->wouldHold(other));
        QCOMPARE(m_dispatcher->breakpoints().first().hits, 0); // asking is not a hit

        m_dispatcher->submit(d);
        QCOMPARE(m_dispatcher->pending().size(), 1);
        QVERIFY(ran.isEmpty());
        const QByteArray id = m_dispatcher->pending().first().id;
        QVERIFY(m_dispatcher->release(id, QByteArray("{\"v\":2}")));
        QCOMPARE(ran, QList<QByteArray> {QByteArray("{\"v\":2}")});
        QCOMPARE(m_target.received.size(), 0); // not a function's
        QCOMPARE(caller.calls, 1);
        QVERIFY(caller.last.delivered);
        QCOMPARE(m_dispatcher->record(id)->status, QStringLiteral("succeeded"));

        QVERIFY(m_dispatcher->removeBreakpoint(added->id));
        QVERIFY(!m_dispatcher->wouldHold(d));
        m_dispatcher->pause();
        QVERIFY(m_dispatcher->wouldHold(other));
        m_dispatcher->shutdown();
        QVERIFY(!m_dispatcher->wouldHold(other));
    }

    void dropFinishesWithoutRunning()
    {
        Caller caller;
        QSignalSpy finished(m_dispatcher.get(), &Dispatcher::finished);
        m_dispatcher->pause();
        m_dispatcher->submit(
            delivery(QStringLiteral("f"), "{}", QStringLiteral("invoke"), &caller));
        const QByteArray id = m_dispatcher->pending().first().id;
        QVERIFY(m_dispatcher->drop(id));
        QCOMPARE(m_target.received.size(), 0);
        QCOMPARE(caller.calls, 1);
        QVERIFY(!caller.last.delivered);
        QCOMPARE(caller.last.errorType, QStringLiteral("Tarmac.Dropped"));
        QCOMPARE(m_dispatcher->record(id)->status, QStringLiteral("dropped"));
        QCOMPARE(finished.size(), 1);
        QVERIFY(!m_dispatcher->drop(id));
    }

    void breakpoints_data()
    {
        QTest::addColumn<QString>("function");
        QTest::addColumn<QString>("origin");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("op");
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<QByteArray>("payload");
        QTest::addColumn<bool>("holds");

        const QByteArray s3
            = R"({"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"photos"},"object":{"key":"a.jpg","size":7}}},{"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"logs"}}}]})";
        QTest::newRow("any delivery") << ""
                                      << ""
                                      << ""
                                      << "" << QByteArray() << s3 << true;
        QTest::newRow("function matches") << "f"
                                          << ""
                                          << ""
                                          << "" << QByteArray() << s3 << true;
        QTest::newRow("function differs") << "g"
                                          << ""
                                          << ""
                                          << "" << QByteArray() << s3 << false;
        QTest::newRow("origin matches") << ""
                                        << "s3"
                                        << ""
                                        << "" << QByteArray() << s3 << true;
        QTest::newRow("origin differs") << ""
                                        << "sqs"
                                        << ""
                                        << "" << QByteArray() << s3 << false;
        QTest::newRow("path exists") << ""
                                     << ""
                                     << "$.Records[0].s3.object.key"
                                     << "exists" << QByteArray() << s3 << true;
        QTest::newRow("path missing") << ""
                                      << ""
                                      << "$.Records[0].s3.object.etag"
                                      << "exists" << QByteArray() << s3 << false;
        QTest::newRow("equals string") << ""
                                       << ""
                                       << "$.Records[0].s3.bucket.name"
                                       << "equals" << QByteArray("\"photos\"") << s3 << true;
        QTest::newRow("equals other") << ""
                                      << ""
                                      << "$.Records[0].s3.bucket.name"
                                      << "equals" << QByteArray("\"logs\"") << s3 << false;
        QTest::newRow("equals number") << ""
                                       << ""
                                       << "$.Records[0].s3.object.size"
                                       << "equals" << QByteArray("7") << s3 << true;
        QTest::newRow("wildcard any") << ""
                                      << ""
                                      << "$.Records[*].s3.bucket.name"
                                      << "equals" << QByteArray("\"logs\"") << s3 << true;
        QTest::newRow("last index") << ""
                                    << ""
                                    << "$.Records[-1].eventName"
                                    << "contains" << QByteArray("\"Removed\"") << s3 << true;
        QTest::newRow("quoted key") << ""
                                    << ""
                                    << "$['Records'][0]['eventName']"
                                    << "notEquals" << QByteArray("\"x\"") << s3 << true;
        QTest::newRow("notEquals same")
            << ""
            << ""
            << "$.Records[0].eventName"
            << "notEquals" << QByteArray("\"ObjectCreated:Put\"") << s3 << false;
        QTest::newRow("contains in array")
            << ""
            << ""
            << "$.tags"
            << "contains" << QByteArray("\"b\"") << QByteArray(R"({"tags":["a","b"]})") << true;
        QTest::newRow("payload not json")
            << ""
            << ""
            << "$.a"
            << "exists" << QByteArray() << QByteArray("not json") << false;
        QTest::newRow("all conditions") << "f"
                                        << "s3"
                                        << "$.Records[1].s3.bucket.name"
                                        << "equals" << QByteArray("\"logs\"") << s3 << true;
        QTest::newRow("one condition fails") << "f"
                                             << "sqs"
                                             << "$.Records[1].s3.bucket.name"
                                             << "equals" << QByteArray("\"logs\"") << s3 << false;
    }

    void breakpoints()
    {
        QFETCH(QString, function);
        QFETCH(QString, origin);
        QFETCH(QString, path);
        QFETCH(QString, op);
        QFETCH(QByteArray, value);
        QFETCH(QByteArray, payload);
        QFETCH(bool, holds);

        Breakpoint bp;
        bp.functionName = function;
        bp.origin = origin;
        if (!path.isEmpty()) {
            auto parsed = JsonPath::parse(path);
            QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
            JsonPredicate predicate;
            predicate.path = *parsed;
            predicate.op = *JsonPredicate::opFromName(op);
            if (!value.isEmpty())
                predicate.value = *parseJson(value);
            bp.predicate = predicate;
        }
        auto added = m_dispatcher->addBreakpoint(bp);
        QVERIFY(added);
        QVERIFY(added->id > 0);
        m_dispatcher->submit(delivery(QStringLiteral("f"), payload, QStringLiteral("s3")));
        QCOMPARE(m_dispatcher->pending().size(), holds ? 1 : 0);
        QCOMPARE(m_target.received.size(), holds ? 0 : 1);
        if (holds) {
            QCOMPARE(m_dispatcher->pending().first().breakpointId, added->id);
            QCOMPARE(m_dispatcher->breakpoints().first().hits, 1);
        }
    }

    void disabledAndRemovedBreakpointsDoNotHold()
    {
        Breakpoint off;
        off.enabled = false;
        QVERIFY(m_dispatcher->addBreakpoint(off));
        auto on = m_dispatcher->addBreakpoint(Breakpoint {});
        QVERIFY(on);
        m_dispatcher->submit(delivery(QStringLiteral("f"), "{}"));
        QCOMPARE(m_dispatcher->pending().size(), 1);
        QVERIFY(m_dispatcher->removeBreakpoint(on->id));
        QVERIFY(!m_dispatcher->removeBreakpoint(on->id));
        m_dispatcher->submit(delivery(QStringLiteral("f"), "{}"));
        QCOMPARE(m_dispatcher->pending().size(), 1); // the first one stays held
        QCOMPARE(m_target.received.size(), 1);
        m_dispatcher->resume(); // releases breakpoint holds too
        QCOMPARE(m_target.received.size(), 2);
    }

    void jsonPathSyntax_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<bool>("valid");
        QTest::newRow("root") << "$" << true;
        QTest::newRow("dotted") << "$.a.b_c.d-e" << true;
        QTest::newRow("index") << "$.a[0][12]" << true;
        QTest::newRow("negative") << "$.a[-1]" << true;
        QTest::newRow("quoted") << "$['a b'][\"c.d\"]" << true;
        QTest::newRow("escaped quote") << "$['it\\'s']" << true;
        QTest::newRow("wildcards") << "$.*[*].x" << true;
        QTest::newRow("no dollar") << "a.b" << false;
        QTest::newRow("empty") << "" << false;
        QTest::newRow("trailing dot") << "$.a." << false;
        QTest::newRow("open bracket") << "$.a[" << false;
        QTest::newRow("unclosed quote") << "$['a]" << false;
        QTest::newRow("bad index") << "$.a[x]" << false;
        QTest::newRow("filter") << "$.a[?(@.b)]" << false;
        QTest::newRow("junk") << "$ a" << false;
    }

    void jsonPathSyntax()
    {
        QFETCH(QString, path);
        QFETCH(bool, valid);
        QCOMPARE(bool(JsonPath::parse(path)), valid);
    }

    void shutdownDropsPendingAndRefusesNew()
    {
        Caller held, late;
        m_dispatcher->pause();
        m_dispatcher->submit(delivery(QStringLiteral("f"), "{}", QStringLiteral("invoke"), &held));
        m_dispatcher->shutdown();
        QCOMPARE(held.calls, 1);
        QCOMPARE(held.last.errorType, QStringLiteral("Tarmac.Dropped"));
        m_dispatcher->submit(delivery(QStringLiteral("f"), "{}", QStringLiteral("invoke"), &late));
        QCOMPARE(late.calls, 1);
        QVERIFY(!late.last.delivered);
        QCOMPARE(m_target.received.size(), 0);
    }

    void unfinishedRecordsAreInterruptedAfterARestart()
    {
        m_dispatcher->pause();
        m_dispatcher->submit(delivery(QStringLiteral("f"), "{}"));
        const QByteArray id = m_dispatcher->pending().first().id;
        QCOMPARE(m_dispatcher->record(id)->status, QStringLiteral("held"));
        // A second dispatcher on the same state: what the first left is from a past run.
        Dispatcher next(m_store.get(), nullptr, m_clock.get());
        QVERIFY(next.open());
        QCOMPARE(next.record(id)->status, QStringLiteral("interrupted"));
        QVERIFY(next.pending().isEmpty());
    }

    // The records are written behind the deliveries: the record writer commits them within
    // a moment without anyone reading them, in the order they were made.
    void recordsReachTheDatabaseWithoutARead()
    {
        for (int i = 0; i < 50; ++i)
            m_dispatcher->submit(delivery(QStringLiteral("w"), QByteArray::number(i)));
        for (int i = 0; i < 50; ++i)
            m_target.finish(QByteArray::number(i * 10));
        auto reader = m_store->openReader();
        QVERIFY(reader);
        auto count = [&] {
            auto s = (*reader)->prepare("SELECT count(*), sum(status = 'succeeded'), "
                                        "sum(CAST(result AS INTEGER)) FROM dispatcher_deliveries");
            if (!s || !s->step())
                return QString();
            return QStringLiteral("%1 %2 %3").arg(s->int64(0)).arg(s->int64(1)).arg(s->int64(2));
        };
        // 50 rows, all finished, each with its own result (10 * (0 + 1 + … + 49)).
        QTRY_COMPARE_WITH_TIMEOUT(count(), QStringLiteral("50 50 12250"), 5000);
    }

    // Sequence numbers come from the dispatcher, not SQLite: a dispatcher opened later on the
    // same state goes on after the last one, also after rows were deleted.
    void sequencesGoOnAcrossDispatchers()
    {
        m_dispatcher->submit(delivery(QStringLiteral("a"), "{}"));
        m_dispatcher->submit(delivery(QStringLiteral("a"), "{}"));
        m_target.finish();
        m_target.finish();
        const auto first = m_dispatcher->records();
        QVERIFY(first);
        QCOMPARE(first->size(), 2);
        const qint64 last = first->first().sequence;
        m_dispatcher.reset(); // flushes
        QVERIFY(m_store->write(
            [](Database &db) { return db.exec("DELETE FROM dispatcher_deliveries"); }));
        m_dispatcher = std::make_unique<Dispatcher>(m_store.get(), nullptr, m_clock.get());
        QVERIFY(m_dispatcher->open());
        m_dispatcher->setTarget(m_target.target());
        m_dispatcher->submit(delivery(QStringLiteral("b"), "{}"));
        m_target.finish();
        const auto next = m_dispatcher->records();
        QVERIFY(next);
        QCOMPARE(next->size(), 1);
        QCOMPARE(next->first().sequence, last + 1);
        QCOMPARE(next->first().status, QStringLiteral("succeeded"));
    }

    void recordsAreListedNewestFirst()
    {
        for (int i = 0; i < 5; ++i) {
            m_dispatcher->submit(delivery(
                i % 2 ? QStringLiteral("odd") : QStringLiteral("even"), QByteArray::number(i)));
            m_target.finish();
        }
        auto all = m_dispatcher->records();
        QVERIFY(all);
        QCOMPARE(all->size(), 5);
        QCOMPARE(all->first().payload, QByteArrayLiteral("4"));
        auto odd = m_dispatcher->records(QStringLiteral("odd"), 10);
        QCOMPARE(odd->size(), 2);
        QCOMPARE(m_dispatcher->records(QString(), 2)->size(), 2);
    }

    void aFunctionErrorIsRecordedAsFailed()
    {
        m_dispatcher->submit(delivery(QStringLiteral("f"), "{}"));
        const QByteArray id = m_target.received.first().id;
        m_target.finish("{\"errorType\":\"Boom\"}", true);
        auto r = m_dispatcher->record(id);
        QCOMPARE(r->status, QStringLiteral("failed"));
        QCOMPARE(r->errorType, QStringLiteral("Unhandled"));
    }
};

QTEST_GUILESS_MAIN(TestDispatcher)
#include "tst_dispatcher.moc"
