#include "base/clock.h"
#include "trace/tracecontext.h"

#include <QSet>
#include <QTest>
#include <QThread>

using namespace tarmac;

namespace {

const QByteArray Root = QByteArrayLiteral("1-5759e988-bd862e3fe1be46a994272793");
const QByteArray TraceId = QByteArrayLiteral("5759e988bd862e3fe1be46a994272793");
const QByteArray Parent = QByteArrayLiteral("53995c3f42cd8ad8");

bool isLowerHex(const QByteArray &s)
{
    for (char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

} // namespace

class TestTraceContext : public QObject
{
    Q_OBJECT
private slots:
    void xray_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<QByteArray>("traceId");
        QTest::addColumn<QByteArray>("parent");
        QTest::addColumn<bool>("sampled");
        QTest::addColumn<QByteArray>("extra");

        const QByteArray none;
        QTest::newRow("full") << QByteArray("Root=" + Root + ";Parent=" + Parent + ";Sampled=1")
                              << true << TraceId << Parent << true << none;
        QTest::newRow("not sampled")
            << QByteArray("Root=" + Root + ";Parent=" + Parent + ";Sampled=0") << true << TraceId
            << Parent << false << none;
        QTest::newRow("sampled undecided")
            << QByteArray("Root=" + Root + ";Sampled=?") << true << TraceId << none << true << none;
        QTest::newRow("root only")
            << QByteArray("Root=" + Root) << true << TraceId << none << true << none;
        QTest::newRow("any order") << QByteArray("Sampled=0;Parent=" + Parent + ";Root=" + Root)
                                   << true << TraceId << Parent << false << none;
        QTest::newRow("whitespace")
            << QByteArray("  Root = " + Root + " ;\tParent=" + Parent + " ; Sampled=1 ") << true
            << TraceId << Parent << true << none;
        QTest::newRow("trailing and empty fields")
            << QByteArray("Root=" + Root + ";;Parent=" + Parent + ";") << true << TraceId << Parent
            << true << none;
        QTest::newRow("extra fields kept in order")
            << QByteArray("Root=" + Root + ";Self=1-67891233-12456789abcdef012345678;Parent="
                   + Parent + ";Sampled=1;Lineage=a87bd80c:1|68fd508a:5")
            << true << TraceId << Parent << true
            << QByteArray("Self=1-67891233-12456789abcdef012345678;Lineage=a87bd80c:1|68fd508a:5");
        QTest::newRow("upper-case hex folded")
            << QByteArray("Root=1-5759E988-BD862E3FE1BE46A994272793;Parent=53995C3F42CD8AD8")
            << true << TraceId << Parent << true << none;

        QTest::newRow("empty") << QByteArray() << false << none << none << true << none;
        QTest::newRow("only separators")
            << QByteArray(" ; ;") << false << none << none << true << none;
        QTest::newRow("missing root") << QByteArray("Parent=" + Parent + ";Sampled=1") << false
                                      << none << none << true << none;
        QTest::newRow("keys are case-sensitive")
            << QByteArray("root=" + Root) << false << none << none << true << none;
        QTest::newRow("root version 2") << QByteArray("Root=2-5759e988-bd862e3fe1be46a994272793")
                                        << false << none << none << true << none;
        QTest::newRow("root without dashes") << QByteArray("Root=15759e988bd862e3fe1be46a994272793")
                                             << false << none << none << true << none;
        QTest::newRow("root dash misplaced")
            << QByteArray("Root=1-5759e988b-d862e3fe1be46a99427279") << false << none << none
            << true << none;
        QTest::newRow("root short") << QByteArray("Root=1-5759e988-bd862e3fe1be46a99427279")
                                    << false << none << none << true << none;
        QTest::newRow("root long") << QByteArray("Root=1-5759e988-bd862e3fe1be46a9942727930")
                                   << false << none << none << true << none;
        QTest::newRow("root non-hex") << QByteArray("Root=1-5759e988-bd862e3fe1be46a99427279z")
                                      << false << none << none << true << none;
        QTest::newRow("root all zero") << QByteArray("Root=1-00000000-000000000000000000000000")
                                       << false << none << none << true << none;
        QTest::newRow("root twice") << QByteArray("Root=" + Root + ";Root=" + Root) << false << none
                                    << none << true << none;
        QTest::newRow("parent short") << QByteArray("Root=" + Root + ";Parent=53995c3f42cd8ad")
                                      << false << none << none << true << none;
        QTest::newRow("parent non-hex") << QByteArray("Root=" + Root + ";Parent=53995c3f42cd8adg")
                                        << false << none << none << true << none;
        QTest::newRow("parent all zero") << QByteArray("Root=" + Root + ";Parent=0000000000000000")
                                         << false << none << none << true << none;
        QTest::newRow("parent empty")
            << QByteArray("Root=" + Root + ";Parent=") << false << none << none << true << none;
        QTest::newRow("sampled garbage")
            << QByteArray("Root=" + Root + ";Sampled=yes") << false << none << none << true << none;
        QTest::newRow("field without value")
            << QByteArray("Root=" + Root + ";Lineage") << false << none << none << true << none;
        QTest::newRow("field without key")
            << QByteArray("Root=" + Root + ";=x") << false << none << none << true << none;
        QTest::newRow("oversized") << QByteArray("Root=" + Root + ";Pad=" + QByteArray(2000, 'x'))
                                   << false << none << none << true << none;
    }

    void xray()
    {
        QFETCH(QByteArray, header);
        QFETCH(bool, valid);
        const std::optional<TraceContext> ctx = TraceContext::fromXRay(header);
        QCOMPARE(ctx.has_value(), valid);
        if (!valid)
            return;
        QFETCH(QByteArray, traceId);
        QFETCH(QByteArray, parent);
        QFETCH(bool, sampled);
        QFETCH(QByteArray, extra);
        QCOMPARE(ctx->traceId, traceId);
        QCOMPARE(ctx->parentSpanId, parent);
        QCOMPARE(ctx->sampled, sampled);
        QCOMPARE(ctx->extra, extra);
        QVERIFY(ctx->isValid());
    }

    void traceparent_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<bool>("sampled");

        QTest::newRow("sampled") << QByteArray("00-" + TraceId + "-" + Parent + "-01") << true
                                 << true;
        QTest::newRow("not sampled")
            << QByteArray("00-" + TraceId + "-" + Parent + "-00") << true << false;
        QTest::newRow("other flag bits")
            << QByteArray("00-" + TraceId + "-" + Parent + "-03") << true << true;
        QTest::newRow("flag bit 0 of hex letter")
            << QByteArray("00-" + TraceId + "-" + Parent + "-0b") << true << true;
        QTest::newRow("outer whitespace")
            << QByteArray(" \t00-" + TraceId + "-" + Parent + "-01 ") << true << true;
        QTest::newRow("future version")
            << QByteArray("01-" + TraceId + "-" + Parent + "-01") << true << true;
        QTest::newRow("future version with more fields")
            << QByteArray("cc-" + TraceId + "-" + Parent + "-01-what-the-future-holds") << true
            << true;

        QTest::newRow("empty") << QByteArray() << false << false;
        QTest::newRow("version ff")
            << QByteArray("ff-" + TraceId + "-" + Parent + "-01") << false << false;
        QTest::newRow("version upper")
            << QByteArray("0A-" + TraceId + "-" + Parent + "-01") << false << false;
        QTest::newRow("version 00 with more fields")
            << QByteArray("00-" + TraceId + "-" + Parent + "-01-extra") << false << false;
        QTest::newRow("future version no dash after flags")
            << QByteArray("01-" + TraceId + "-" + Parent + "-01x") << false << false;
        QTest::newRow("upper-case trace id")
            << QByteArray("00-" + TraceId.toUpper() + "-" + Parent + "-01") << false << false;
        QTest::newRow("upper-case parent id")
            << QByteArray("00-" + TraceId + "-" + Parent.toUpper() + "-01") << false << false;
        QTest::newRow("upper-case flags")
            << QByteArray("00-" + TraceId + "-" + Parent + "-0B") << false << false;
        QTest::newRow("all-zero trace id")
            << QByteArray("00-" + QByteArray(32, '0') + "-" + Parent + "-01") << false << false;
        QTest::newRow("all-zero parent id")
            << QByteArray("00-" + TraceId + "-" + QByteArray(16, '0') + "-01") << false << false;
        QTest::newRow("short trace id")
            << QByteArray("00-" + TraceId.left(31) + "-" + Parent + "-01") << false << false;
        QTest::newRow("long parent id")
            << QByteArray("00-" + TraceId + "-" + Parent + "0-01") << false << false;
        QTest::newRow("short flags")
            << QByteArray("00-" + TraceId + "-" + Parent + "-1") << false << false;
        QTest::newRow("non-hex trace id")
            << QByteArray("00-" + TraceId.left(31) + "g-" + Parent + "-01") << false << false;
        QTest::newRow("wrong separator")
            << QByteArray("00_" + TraceId + "-" + Parent + "-01") << false << false;
        QTest::newRow("x-ray form") << QByteArray("Root=" + Root) << false << false;
    }

    void traceparent()
    {
        QFETCH(QByteArray, header);
        QFETCH(bool, valid);
        const std::optional<TraceContext> ctx = TraceContext::fromTraceparent(header);
        QCOMPARE(ctx.has_value(), valid);
        if (!valid)
            return;
        QFETCH(bool, sampled);
        QCOMPARE(ctx->traceId, TraceId);
        QCOMPARE(ctx->parentSpanId, Parent);
        QCOMPARE(ctx->sampled, sampled);
        QVERIFY(ctx->extra.isEmpty());
    }

    void fromHeadersPrefersXRay()
    {
        const QByteArray otherTrace = QByteArrayLiteral("0af7651916cd43dd8448eb211c80319c");
        const QByteArray tp = "00-" + otherTrace + "-b7ad6b7169203331-01";
        const QByteArray xray = "Root=" + Root + ";Parent=" + Parent;

        auto both = TraceContext::fromHeaders(xray, tp);
        QVERIFY(both);
        QCOMPARE(both->traceId, TraceId);

        auto badXRay = TraceContext::fromHeaders(QByteArrayLiteral("Root=nonsense"), tp);
        QVERIFY(badXRay);
        QCOMPARE(badXRay->traceId, otherTrace);
        QCOMPARE(badXRay->parentSpanId, QByteArrayLiteral("b7ad6b7169203331"));

        auto onlyTp = TraceContext::fromHeaders({}, tp);
        QVERIFY(onlyTp);
        QCOMPARE(onlyTp->traceId, otherTrace);

        QVERIFY(!TraceContext::fromHeaders({}, {}));
        QVERIFY(!TraceContext::fromHeaders(QByteArrayLiteral("x"), QByteArrayLiteral("y")));
    }

    void roundTrip_data()
    {
        QTest::addColumn<QByteArray>("xray");
        QTest::addColumn<QByteArray>("traceparent");
        QTest::newRow("sampled") << QByteArray("Root=" + Root + ";Parent=" + Parent + ";Sampled=1")
                                 << QByteArray("00-" + TraceId + "-" + Parent + "-01");
        QTest::newRow("not sampled")
            << QByteArray("Root=" + Root + ";Parent=" + Parent + ";Sampled=0")
            << QByteArray("00-" + TraceId + "-" + Parent + "-00");
        QTest::newRow("protocols example")
            << QByteArrayLiteral(
                   "Root=1-58406520-a006649127e371903a2de979;Parent=eee19b7ec3c1b174;Sampled=1")
            << QByteArrayLiteral("00-58406520a006649127e371903a2de979-eee19b7ec3c1b174-01");
    }

    void roundTrip()
    {
        QFETCH(QByteArray, xray);
        QFETCH(QByteArray, traceparent);

        const auto fromX = TraceContext::fromXRay(xray);
        QVERIFY(fromX);
        QCOMPARE(fromX->toXRay(), xray);
        QCOMPARE(fromX->toTraceparent(), traceparent);

        const auto fromW = TraceContext::fromTraceparent(traceparent);
        QVERIFY(fromW);
        QCOMPARE(fromW->toTraceparent(), traceparent);
        QCOMPARE(fromW->toXRay(), xray);
        QVERIFY(*fromW == *fromX);
    }

    void formattingKeepsExtraAndDecidesSampling()
    {
        const auto ctx
            = TraceContext::fromXRay(QByteArray("Lineage=a:1;Root=" + Root + ";Sampled=?"));
        QVERIFY(ctx);
        // No parent: X-Ray can say so, traceparent cannot.
        QCOMPARE(ctx->toXRay(), QByteArray("Root=" + Root + ";Sampled=1;Lineage=a:1"));
        QVERIFY(ctx->toTraceparent().isEmpty());

        const TraceContext child = ctx->withParent(QByteArrayLiteral("00f067aa0ba902b7"));
        QCOMPARE(child.toXRay(),
            QByteArray("Root=" + Root + ";Parent=00f067aa0ba902b7;Sampled=1;Lineage=a:1"));
        QCOMPARE(child.toTraceparent(), QByteArray("00-" + TraceId + "-00f067aa0ba902b7-01"));
        QVERIFY(TraceContext().toXRay().isEmpty());
    }

    void newTraceStartsWithEpochSeconds()
    {
        ManualClock clock(qint64(1'480'615'200) * 1'000'000'000 + 999'999'999);
        const TraceContext a = TraceContext::newTrace(clock);
        const TraceContext b = TraceContext::newTrace(clock);
        QCOMPARE(a.traceId.size(), 32);
        QVERIFY(isLowerHex(a.traceId));
        QCOMPARE(a.traceId.left(8), QByteArrayLiteral("58406520"));
        QVERIFY(a.parentSpanId.isEmpty());
        QVERIFY(a.sampled);
        QVERIFY(a.traceId != b.traceId);

        // Both header forms accept what we generate.
        const TraceContext child = a.withParent(TraceContext::newSpanId());
        QVERIFY(TraceContext::fromXRay(child.toXRay()) == child);
        QVERIFY(TraceContext::fromTraceparent(child.toTraceparent()) == child);

        // Ids of the same second follow each other (the trace store's index grows at its end);
        // the 32-bit counter after the seconds may wrap once, from ffffffff to 00000000.
        int descents = 0;
        QByteArray previous = b.traceId;
        for (int i = 0; i < 1000; ++i) {
            const QByteArray next = TraceContext::newTrace(clock).traceId;
            QCOMPARE(next.left(8), QByteArrayLiteral("58406520"));
            descents += next < previous ? 1 : 0;
            previous = next;
        }
        QVERIFY(descents <= 1);

        ManualClock epoch(0);
        const TraceContext z = TraceContext::newTrace(epoch);
        QCOMPARE(z.traceId.left(8), QByteArrayLiteral("00000000"));
        QVERIFY(TraceContext::fromXRay(z.toXRay()));
    }

    void newSpanIdsAreDistinctAcrossThreads()
    {
        constexpr int PerThread = 2000;
        QList<QByteArray> ids[4];
        QList<QThread *> threads;
        for (auto &list : ids) {
            threads.append(QThread::create([&list] {
                for (int i = 0; i < PerThread; ++i)
                    list.append(TraceContext::newSpanId());
            }));
            threads.last()->start();
        }
        for (QThread *t : threads) {
            QVERIFY(t->wait(10'000));
            delete t;
        }
        QSet<QByteArray> seen;
        for (const auto &list : ids) {
            for (const QByteArray &id : list) {
                QCOMPARE(id.size(), 16);
                QVERIFY(isLowerHex(id));
                QVERIFY(id != QByteArray(16, '0'));
                seen.insert(id);
            }
        }
        QCOMPARE(seen.size(), 4 * PerThread);
    }

    void parseIsCheap()
    {
        const QByteArray xray = "Root=" + Root + ";Parent=" + Parent + ";Sampled=1";
        QBENCHMARK
        {
            auto ctx = TraceContext::fromXRay(xray);
            Q_UNUSED(ctx);
        }
    }
};

QTEST_GUILESS_MAIN(TestTraceContext)
#include "tst_tracecontext.moc"
