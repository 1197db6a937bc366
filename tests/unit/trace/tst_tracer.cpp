#include "trace/tracer.h"

#include <QElapsedTimer>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <cmath>
#include <limits>

using namespace tarmac;

namespace {

QByteArray hexId(quint64 value, int digits)
{
    return QByteArray::number(value, 16).rightJustified(digits, '0');
}

Span makeSpan(quint64 trace, quint64 id, qint64 startNs, qint64 endNs)
{
    Span s;
    s.traceId = hexId(trace, 32);
    s.spanId = hexId(id, 16);
    s.name = QStringLiteral("span ") + QString::number(id);
    s.service = QStringLiteral("svc");
    s.operation = QStringLiteral("Op");
    s.kind = SpanKindServer;
    s.startNs = startNs;
    s.endNs = endNs;
    return s;
}

LogRecord makeLog(quint64 trace, qint64 timeNs, const QString &text)
{
    LogRecord l;
    l.timeNs = timeNs;
    l.traceId = hexId(trace, 32);
    l.spanId = hexId(trace, 16);
    l.source = QStringLiteral("my-fn");
    l.requestId = QStringLiteral("req-") + QString::number(trace);
    l.severity = LogSeverityInfo;
    l.text = text;
    return l;
}

} // namespace

class TestTracer : public QObject
{
    Q_OBJECT

    QString dbPath() const { return m_dir.filePath(QStringLiteral("traces.db")); }

    std::unique_ptr<Tracer> openTracer(const Tracer::Options &options = {})
    {
        auto tracer = Tracer::open(dbPath(), options);
        if (!tracer) {
            qWarning() << tracer.error().message;
            return nullptr;
        }
        return std::move(*tracer);
    }

    QTemporaryDir m_dir;

private slots:
    void init()
    {
        QFile::remove(dbPath());
        QFile::remove(dbPath() + QStringLiteral("-wal"));
        QFile::remove(dbPath() + QStringLiteral("-shm"));
    }

    void recordFlushReadBack()
    {
        auto tracer = openTracer();
        QVERIFY(tracer);

        Span full = makeSpan(1, 1, 1'000, 5'000);
        full.parentSpanId = hexId(99, 16);
        full.statusCode = SpanStatusError;
        full.statusMessage = QStringLiteral("Unhandled");
        full.kind = SpanKindConsumer;
        full.name = QStringLiteral("h\u00e9 \u2603 invoke");
        full.attributes = {
            Attribute(QStringLiteral("faas.trigger"), QStringLiteral("datasource")),
            Attribute(QStringLiteral("big"), std::numeric_limits<qint64>::max()),
            Attribute(QStringLiteral("whole double"), 2.0),
            Attribute(QStringLiteral("fraction"), 0.1),
            Attribute(QStringLiteral("coldstart"), true),
            Attribute(QStringLiteral("warm"), false),
            Attribute(QStringLiteral("infinite"), std::numeric_limits<double>::infinity()),
            Attribute(QStringLiteral("quote\"key"),
                QStringLiteral("back\\slash \"quoted\"\n\ttab \u0001 \u00e9\u2603")),
            Attribute(QStringLiteral("plain"), QStringLiteral("GET /a?b=c&d=e~")),
            Attribute(
                QStringLiteral("astral \U0001F600"), QStringLiteral("\u007f del, \U0001F680")),
        };
        const Span bare = makeSpan(1, 2, 2'000, 3'000);
        tracer->record(full);
        tracer->record(bare);
        const LogRecord log = makeLog(1, 1'500, QStringLiteral("hello\nworld"));
        LogRecord untied;
        untied.timeNs = 1'600;
        untied.source = QStringLiteral("s3");
        untied.severity = LogSeverityError;
        untied.text = QStringLiteral("no trace");
        tracer->record(log);
        tracer->record(untied);
        tracer->flush();

        const auto spans = tracer->spans({});
        QVERIFY(spans);
        QCOMPARE(spans->size(), 2);
        QVERIFY(spans->at(0) == full);
        QVERIFY(spans->at(1) == bare);

        const auto logs = tracer->logs({});
        QVERIFY(logs);
        QCOMPARE(logs->size(), 2);
        QVERIFY(logs->at(0) == log);
        QVERIFY(logs->at(1) == untied);
        QCOMPARE(tracer->droppedCount(), quint64(0));
        QCOMPARE(tracer->failedCount(), quint64(0));
    }

    void nanAttributeSurvives()
    {
        auto tracer = openTracer();
        QVERIFY(tracer);
        Span s = makeSpan(1, 1, 0, 1);
        s.attributes = {Attribute(QStringLiteral("nan"), std::nan(""))};
        tracer->record(s);
        tracer->flush();
        const auto spans = tracer->spans({});
        QVERIFY(spans);
        QCOMPARE(spans->size(), 1);
        QCOMPARE(spans->at(0).attributes.size(), 1);
        const auto *value = std::get_if<double>(&spans->at(0).attributes.at(0).value);
        QVERIFY(value);
        QVERIFY(std::isnan(*value));
    }

    void writesWithoutFlushWithinAnInterval()
    {
        auto tracer = openTracer();
        QVERIFY(tracer);
        tracer->record(makeSpan(1, 1, 0, 1));
        QTRY_COMPARE_WITH_TIMEOUT(tracer->spans({})->size(), 1, 5000);
    }

    void recordsFromManyThreads()
    {
        auto tracer = openTracer();
        QVERIFY(tracer);
        constexpr int Threads = 4;
        constexpr int PerThread = 3000;
        QList<QThread *> threads;
        for (int t = 0; t < Threads; ++t) {
            threads.append(QThread::create([&tracer, t] {
                for (int i = 0; i < PerThread; ++i) {
                    // Ids encode (thread, sequence); start times rise within a thread.
                    const quint64 id = quint64(t) << 32 | quint64(i);
                    tracer->record(makeSpan(quint64(t) + 1, id, i, i + 10));
                    if (i % 3 == 0)
                        tracer->record(makeLog(quint64(t) + 1, i, QString::number(i)));
                }
            }));
        }
        for (QThread *thread : threads)
            thread->start();
        for (QThread *thread : threads) {
            QVERIFY(thread->wait(30'000));
            delete thread;
        }
        tracer->flush();

        const auto spans = tracer->spans({});
        QVERIFY(spans);
        QCOMPARE(spans->size(), Threads * PerThread);
        QSet<QByteArray> ids;
        QList<int> lastSeen(Threads, -1);
        qint64 previousStart = std::numeric_limits<qint64>::min();
        for (const Span &s : *spans) {
            ids.insert(s.spanId);
            QVERIFY(s.startNs >= previousStart);
            previousStart = s.startNs;
            // Within one thread, record order is kept.
            const quint64 id = s.spanId.toULongLong(nullptr, 16);
            const int thread = int(id >> 32);
            const int seq = int(id & 0xffffffffu);
            QVERIFY(seq > lastSeen[thread]);
            lastSeen[thread] = seq;
        }
        QCOMPARE(ids.size(), Threads * PerThread);

        const auto logs = tracer->logs({});
        QVERIFY(logs);
        QCOMPARE(logs->size(), Threads * (PerThread / 3));
        QCOMPARE(tracer->droppedCount(), quint64(0));
    }

    void equalTimesKeepRecordOrder()
    {
        auto tracer = openTracer();
        QVERIFY(tracer);
        for (int i = 0; i < 50; ++i) {
            tracer->record(makeSpan(1, quint64(i) + 1, 1'000, 2'000));
            tracer->record(makeLog(1, 1'000, QString::number(i)));
        }
        tracer->flush();
        const auto spans = tracer->spans({});
        const auto logs = tracer->logs({});
        QVERIFY(spans && logs);
        QCOMPARE(spans->size(), 50);
        QCOMPARE(logs->size(), 50);
        for (int i = 0; i < 50; ++i) {
            QCOMPARE(spans->at(i).spanId, hexId(quint64(i) + 1, 16));
            QCOMPARE(logs->at(i).text, QString::number(i));
        }
    }

    void queries()
    {
        auto tracer = openTracer();
        QVERIFY(tracer);
        tracer->record(makeSpan(1, 1, 100, 200));
        tracer->record(makeSpan(2, 2, 150, 400));
        tracer->record(makeSpan(1, 3, 300, 350));
        tracer->record(makeSpan(2, 4, 500, 600));
        tracer->record(makeLog(1, 120, QStringLiteral("a")));
        tracer->record(makeLog(2, 160, QStringLiteral("b")));
        tracer->record(makeLog(1, 320, QStringLiteral("c")));
        tracer->flush();

        const auto spanIds = [&](const Tracer::Query &q) {
            QList<int> out;
            const auto spans = tracer->spans(q);
            if (!spans)
                return QList<int> {-1};
            for (const Span &s : *spans)
                out.append(int(s.spanId.toInt(nullptr, 16)));
            return out;
        };
        const auto logTexts = [&](const Tracer::Query &q) {
            QStringList out;
            const auto logs = tracer->logs(q);
            if (!logs)
                return QStringList {QStringLiteral("error")};
            for (const LogRecord &l : *logs)
                out.append(l.text);
            return out;
        };

        Tracer::Query trace1;
        trace1.traceId = hexId(1, 32);
        QCOMPARE(spanIds(trace1), (QList<int> {1, 3}));
        QCOMPARE(logTexts(trace1), (QStringList {QStringLiteral("a"), QStringLiteral("c")}));

        // Spans overlapping [210, 320]: span 2 (150–400) and span 3 (300–350).
        Tracer::Query range;
        range.fromNs = 210;
        range.toNs = 320;
        QCOMPARE(spanIds(range), (QList<int> {2, 3}));
        QCOMPARE(logTexts(range), (QStringList {QStringLiteral("c")}));

        // Boundaries are inclusive.
        range.fromNs = 200;
        range.toNs = 500;
        QCOMPARE(spanIds(range), (QList<int> {1, 2, 3, 4}));

        Tracer::Query both = range;
        both.traceId = hexId(2, 32);
        QCOMPARE(spanIds(both), (QList<int> {2, 4}));

        Tracer::Query limited;
        limited.limit = 2;
        QCOMPARE(spanIds(limited), (QList<int> {1, 2}));
        QCOMPARE(logTexts(limited), (QStringList {QStringLiteral("a"), QStringLiteral("b")}));

        Tracer::Query unknown;
        unknown.traceId = hexId(7, 32);
        QVERIFY(spanIds(unknown).isEmpty());
        QVERIFY(logTexts(unknown).isEmpty());
    }

    void batchWrittenCarriesRecordsInOrder()
    {
        auto tracer = openTracer();
        QVERIFY(tracer);
        QList<Span> seenSpans;
        QList<LogRecord> seenLogs;
        int batches = 0;
        QThread *receiverThread = nullptr;
        // A context object on this thread makes the connection queued.
        connect(tracer.get(), &Tracer::batchWritten, this,
            [&](const QList<Span> &spans, const QList<LogRecord> &logs) {
                receiverThread = QThread::currentThread();
                ++batches;
                seenSpans += spans;
                seenLogs += logs;
            });
        for (int i = 0; i < 5000; ++i)
            tracer->record(makeSpan(1, quint64(i) + 1, i, i));
        tracer->record(makeLog(1, 0, QStringLiteral("x")));
        tracer->flush();
        QTRY_COMPARE(seenSpans.size(), 5000);
        QCOMPARE(seenLogs.size(), 1);
        QCOMPARE(receiverThread, QThread::currentThread());
        QVERIFY(batches >= 1);
        for (int i = 0; i < 5000; ++i)
            QCOMPARE(seenSpans.at(i).spanId, hexId(quint64(i) + 1, 16));
    }

    // A record made by hand is written after the short interval; while records keep coming
    // at busyRecordsPerSecond or more, batches are written at the long one; once they stop,
    // a record made by hand is quick again.
    void commitsLessOftenWhileRecordsKeepComing()
    {
        Tracer::Options options;
        options.flushIntervalMs = 20;
        options.busyRecordsPerSecond = 50;
        options.busyFlushIntervalMs = 600;
        auto tracer = openTracer(options);
        QVERIFY(tracer);
        std::atomic<int> batches {0};
        std::atomic<qint64> lastWrittenNs {0};
        QElapsedTimer clock;
        clock.start();
        connect(
            tracer.get(), &Tracer::batchWritten, tracer.get(),
            [&](const QList<Span> &, const QList<LogRecord> &) {
                ++batches;
                lastWrittenNs = clock.nsecsElapsed();
            },
            Qt::DirectConnection);
        quint64 id = 0;
        // Milliseconds from one record to its batch's end; -1 if it is never written.
        const auto byHand = [&]() -> qint64 {
            const int before = batches;
            const qint64 madeNs = clock.nsecsElapsed();
            tracer->record(makeSpan(1, ++id, 0, 1));
            if (!QTest::qWaitFor([&] { return batches > before; }, 5000))
                return -1;
            return (lastWrittenNs - madeNs) / 1'000'000;
        };

        const qint64 first = byHand();
        QVERIFY2(first >= 0 && first < 400, "the short interval, not the long one");
        QTest::qWait(200); // the writer idles again

        // 250 records a second for a second: about 50 batches at 20 ms, a handful at 600 ms.
        const int before = batches;
        QElapsedTimer steady;
        steady.start();
        while (steady.elapsed() < 1000) {
            tracer->record(makeSpan(2, ++id, 0, 1));
            QThread::msleep(4);
        }
        const int during = batches - before;
        QVERIFY2(during <= 6, qPrintable(QString::number(during) + QStringLiteral(" batches")));
        tracer->flush();
        QCOMPARE(tracer->spans({})->size(), qsizetype(id));

        QTest::qWait(1000); // one long interval without records: the writer idles
        const qint64 again = byHand();
        QVERIFY2(again >= 0 && again < 400, "quick again once the records stopped");
    }

    void dropsAndCountsBeyondTheCap()
    {
        Tracer::Options options;
        options.maxPending = 10;
        options.batchSize = 1000; // never full, so the writer waits out the interval
        options.flushIntervalMs = 60'000; // and nothing is written until flush()
        auto tracer = openTracer(options);
        QVERIFY(tracer);
        for (int i = 0; i < 20; ++i)
            tracer->record(makeSpan(1, quint64(i) + 1, i, i));
        for (int i = 0; i < 5; ++i)
            tracer->record(makeLog(1, i, QStringLiteral("late")));
        QCOMPARE(tracer->droppedCount(), quint64(15));

        QElapsedTimer timer;
        timer.start();
        tracer->flush();
        // flush() cuts the interval short rather than waiting for it.
        QVERIFY(timer.elapsed() < 30'000);
        const auto spans = tracer->spans({});
        QVERIFY(spans);
        QCOMPARE(spans->size(), 10);
        QCOMPARE(spans->last().spanId, hexId(10, 16));
        QVERIFY(tracer->logs({})->isEmpty());

        // Room again once the writer caught up.
        tracer->record(makeLog(1, 0, QStringLiteral("after")));
        tracer->flush();
        QCOMPARE(tracer->logs({})->size(), 1);
        QCOMPARE(tracer->droppedCount(), quint64(15));
    }

    void flushWithNothingPendingReturns()
    {
        auto tracer = openTracer();
        QVERIFY(tracer);
        tracer->flush();
        tracer->flush();
        QVERIFY(tracer->spans({})->isEmpty());
    }

    void restartKeepsData()
    {
        {
            Tracer::Options options;
            options.flushIntervalMs = 60'000;
            auto tracer = openTracer(options);
            QVERIFY(tracer);
            tracer->record(makeSpan(1, 1, 10, 20));
            tracer->record(makeLog(1, 15, QStringLiteral("kept")));
            // No flush: closing writes what is pending.
        }
        {
            auto tracer = openTracer();
            QVERIFY(tracer);
            QCOMPARE(tracer->spans({})->size(), 1);
            QCOMPARE(tracer->logs({})->size(), 1);
            tracer->record(makeSpan(1, 2, 30, 40));
            tracer->flush();
            QCOMPARE(tracer->spans({})->size(), 2);
        }
        auto tracer = openTracer();
        QVERIFY(tracer);
        const auto spans = tracer->spans({});
        QVERIFY(spans);
        QCOMPARE(spans->size(), 2);
        QCOMPARE(spans->at(0).spanId, hexId(1, 16));
        QCOMPARE(spans->at(1).spanId, hexId(2, 16));
        QCOMPARE(tracer->logs({})->at(0).text, QStringLiteral("kept"));
    }

    void openFailsOnBadPath()
    {
        const auto tracer = Tracer::open(m_dir.filePath(QStringLiteral("missing/dir/traces.db")));
        QVERIFY(!tracer);
    }
};

QTEST_GUILESS_MAIN(TestTracer)
#include "tst_tracer.moc"
