#include "trace/tracequery.h"
#include "trace/tracer.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace tarmac;

namespace {

QByteArray hexId(quint64 value, int digits)
{
    return QByteArray::number(value, 16).rightJustified(digits, '0');
}

Span makeSpan(quint64 trace, quint64 id, qint64 startNs, qint64 endNs,
    const QString &service = QStringLiteral("s3"), const QString &function = {})
{
    Span s;
    s.traceId = hexId(trace, 32);
    s.spanId = hexId(id, 16);
    s.name = service + QStringLiteral(" Op");
    s.service = service;
    s.operation = QStringLiteral("Op");
    s.startNs = startNs;
    s.endNs = endNs;
    if (!function.isEmpty())
        s.attributes.append(Attribute(QStringLiteral("faas.name"), function));
    return s;
}

} // namespace

class TestTraceQuery : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<Tracer> m_tracer;
    std::unique_ptr<TraceQuery> m_query;

    QString path() const { return m_dir.filePath(QStringLiteral("traces.db")); }

private slots:
    void init()
    {
        QFile::remove(path());
        auto tracer = Tracer::open(path());
        QVERIFY2(tracer, qPrintable(tracer.ok() ? QString() : tracer.error().message));
        m_tracer = std::move(*tracer);
        auto query = TraceQuery::open(path());
        QVERIFY2(query, qPrintable(query.ok() ? QString() : query.error().message));
        m_query = std::move(*query);
    }

    void cleanup()
    {
        m_query.reset();
        m_tracer.reset();
    }

    void openFailsWithoutAStore()
    {
        auto q = TraceQuery::open(m_dir.filePath(QStringLiteral("missing.db")));
        QVERIFY(!q);
    }

    void extentOfEmptyAndFilledStores()
    {
        auto empty = m_query->extent();
        QVERIFY(empty);
        QCOMPARE(empty->spanCount, 0);
        QCOMPARE(empty->startNs, 0);

        m_tracer->record(makeSpan(1, 1, 1000, 9000)); // long span, starts first
        m_tracer->record(makeSpan(1, 2, 2000, 3000));
        m_tracer->record(makeSpan(2, 3, 5000, 5500));
        LogRecord log;
        log.timeNs = 500;
        log.text = QStringLiteral("early log");
        m_tracer->record(log);
        m_tracer->flush();

        auto e = m_query->extent();
        QVERIFY(e);
        QCOMPARE(e->spanCount, 3);
        QCOMPARE(e->logCount, 1);
        QCOMPARE(e->startNs, 500);
        QCOMPARE(e->endNs, 9000); // the long span ends last although it started first
        QCOMPARE(e->maxSpanDurationNs, 8000);
    }

    void scanFindsSpansOverlappingTheWindow_data()
    {
        QTest::addColumn<qint64>("from");
        QTest::addColumn<qint64>("to");
        QTest::addColumn<QList<int>>("ids");
        // spans: 1 [1000,9000], 2 [2000,3000], 3 [5000,5500], 4 [10000,10001]
        QTest::newRow("everything") << qint64(0) << qint64(20000) << QList<int> {1, 2, 3, 4};
        QTest::newRow("inside the long span only")
            << qint64(6000) << qint64(7000) << QList<int> {1};
        QTest::newRow("touching an end") << qint64(3000) << qint64(3000) << QList<int> {1, 2};
        QTest::newRow("touching a start") << qint64(10000) << qint64(10000) << QList<int> {4};
        QTest::newRow("gap") << qint64(9001) << qint64(9999) << QList<int> {};
        QTest::newRow("before") << qint64(0) << qint64(999) << QList<int> {};
    }

    void scanFindsSpansOverlappingTheWindow()
    {
        QFETCH(qint64, from);
        QFETCH(qint64, to);
        QFETCH(QList<int>, ids);
        m_tracer->record(
            makeSpan(1, 1, 1000, 9000, QStringLiteral("lambda"), QStringLiteral("fn-a")));
        m_tracer->record(makeSpan(1, 2, 2000, 3000));
        m_tracer->record(makeSpan(2, 3, 5000, 5500));
        m_tracer->record(makeSpan(3, 4, 10000, 10001));
        m_tracer->flush();
        QList<int> seen;
        QString function;
        auto n = m_query->scanSpans(from, to, -1, [&](const TraceQuery::SpanSummary &s) {
            seen.append(s.spanId.toInt(nullptr, 16));
            if (s.spanId == hexId(1, 16))
                function = s.function;
            return true;
        });
        QVERIFY(n);
        QCOMPARE(seen, ids);
        QCOMPARE(*n, ids.size());
        if (ids.contains(1))
            QCOMPARE(function, QStringLiteral("fn-a"));
    }

    void scanStopsWhenAsked()
    {
        for (int i = 0; i < 10; ++i)
            m_tracer->record(makeSpan(1, i + 1, i * 10, i * 10 + 5));
        m_tracer->flush();
        int seen = 0;
        auto n = m_query->scanSpans(
            0, 1000, -1, [&](const TraceQuery::SpanSummary &) { return ++seen < 3; });
        QVERIFY(n);
        QCOMPARE(seen, 3);
        auto limited
            = m_query->scanSpans(0, 1000, 4, [](const TraceQuery::SpanSummary &) { return true; });
        QCOMPARE(*limited, 4);
    }

    void aggregateGroupsByLaneAndBucket()
    {
        // 100 s3 spans in [0, 1000) with every tenth an error, 10 function spans in
        // [500, 1000), one s3 span far away.
        for (int i = 0; i < 100; ++i) {
            Span s = makeSpan(1, i + 1, i * 10, i * 10 + 3);
            if (i % 10 == 0)
                s.statusCode = SpanStatusError;
            m_tracer->record(s);
        }
        for (int i = 0; i < 10; ++i)
            m_tracer->record(makeSpan(2, 1000 + i, 500 + i * 50, 500 + i * 50 + 40,
                QStringLiteral("lambda"), QStringLiteral("resize")));
        m_tracer->record(makeSpan(3, 5000, 100000, 100001));
        m_tracer->flush();

        auto buckets = m_query->aggregateSpans(0, 999, 500);
        QVERIFY(buckets);
        QCOMPARE(buckets->size(), 3); // s3 ×2 buckets, resize ×1
        qint64 s3Count = 0, s3Errors = 0, fnCount = 0;
        for (const auto &b : *buckets) {
            if (b.function == QLatin1String("resize")) {
                QCOMPARE(b.service, QStringLiteral("lambda"));
                fnCount += b.count;
                QCOMPARE(b.startNs, 500);
                QCOMPARE(b.endNs, 990);
            } else {
                QVERIFY(b.function.isEmpty());
                s3Count += b.count;
                s3Errors += b.errors;
            }
        }
        QCOMPARE(s3Count, 100);
        QCOMPARE(s3Errors, 10);
        QCOMPARE(fnCount, 10);
        QVERIFY(!m_query->aggregateSpans(0, 10, 0));
    }

    void histogramCountsByStart()
    {
        for (int i = 0; i < 40; ++i) {
            Span s = makeSpan(1, i + 1, i * 25, i * 25 + 1);
            s.statusCode = i < 4 ? SpanStatusError : SpanStatusUnset;
            m_tracer->record(s);
        }
        m_tracer->flush();
        auto h = m_query->histogram(0, 1000, 4);
        QVERIFY(h);
        QCOMPARE(h->counts, (QList<qint64> {10, 10, 10, 10}));
        QCOMPARE(h->errors, (QList<qint64> {4, 0, 0, 0}));
        QCOMPARE(m_query->countStarting(0, 249).value(), 10);
    }

    void traceAndSpanReadBackWhatTheTracerWrote()
    {
        Span root = makeSpan(7, 1, 100, 900, QStringLiteral("lambda"), QStringLiteral("fn"));
        root.attributes.append(Attribute(QStringLiteral("count"), qint64(1) << 53 | 1));
        root.attributes.append(Attribute(QStringLiteral("ratio"), 0.25));
        root.attributes.append(Attribute(QStringLiteral("inf"), HUGE_VAL));
        root.attributes.append(Attribute(QStringLiteral("cold"), true));
        root.attributes.append(Attribute(QStringLiteral("quote"), QStringLiteral("a \"b\"\n")));
        Span child = makeSpan(7, 2, 200, 300);
        child.parentSpanId = root.spanId;
        m_tracer->record(child);
        m_tracer->record(root);
        m_tracer->record(makeSpan(8, 3, 0, 1));
        m_tracer->flush();

        auto trace = m_query->trace(root.traceId);
        QVERIFY(trace);
        QCOMPARE(trace->size(), 2);
        QCOMPARE(trace->at(0), root);
        QCOMPARE(trace->at(1), child);
        QCOMPARE(TraceQuery::functionOf(trace->at(0)), QStringLiteral("fn"));

        auto one = m_query->span(root.traceId, child.spanId);
        QVERIFY(one && one->has_value());
        QCOMPARE(**one, child);
        auto none = m_query->span(root.traceId, hexId(99, 16));
        QVERIFY(none && !none->has_value());
    }

    void invocationsPerFunction()
    {
        for (int i = 0; i < 5; ++i) {
            Span s = makeSpan(quint64(i + 1), quint64(i + 1), i, i + 1, QStringLiteral("resize"),
                QStringLiteral("resize"));
            s.operation = QStringLiteral("Invoke");
            s.kind = SpanKindServer;
            s.statusCode = i == 0 ? SpanStatusError : SpanStatusUnset;
            m_tracer->record(s);
            QVERIFY(TraceQuery::isInvocation(s));
        }
        // The Lambda API's own Invoke request and the dispatcher's span do not count.
        Span api = makeSpan(9, 9, 0, 1, QStringLiteral("lambda"));
        api.operation = QStringLiteral("Invoke");
        api.kind = SpanKindServer;
        m_tracer->record(api);
        QVERIFY(!TraceQuery::isInvocation(api));
        Span dispatch = makeSpan(9, 10, 0, 1, QStringLiteral("tarmac"), QStringLiteral("resize"));
        dispatch.operation = QStringLiteral("Dispatch");
        m_tracer->record(dispatch);
        m_tracer->flush();
        auto counts = m_query->invocationsByFunction();
        QVERIFY(counts);
        QCOMPARE(counts->size(), 1);
        QCOMPARE(counts->value(QStringLiteral("resize")).count, 5);
        QCOMPARE(counts->value(QStringLiteral("resize")).errors, 1);
    }

    void newestLogsComeOldestFirst()
    {
        for (int i = 0; i < 10; ++i) {
            LogRecord l;
            l.timeNs = i;
            l.text = QString::number(i);
            l.traceId = hexId(i % 2, 32);
            m_tracer->record(l);
        }
        m_tracer->flush();
        TraceQuery::LogQuery q;
        q.limit = 3;
        q.newest = true;
        auto logs = m_query->logs(q);
        QVERIFY(logs);
        QCOMPARE(logs->size(), 3);
        QCOMPARE(logs->at(0).text, QStringLiteral("7"));
        QCOMPARE(logs->at(2).text, QStringLiteral("9"));
        q = {};
        q.traceId = hexId(1, 32);
        QCOMPARE(m_query->logs(q)->size(), 5);
    }
};

QTEST_GUILESS_MAIN(TestTraceQuery)
#include "tst_tracequery.moc"
