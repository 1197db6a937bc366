#include "trace/tracer.h"
#include "ui/lanemodel.h"
#include "ui/queryrunner.h"
#include "ui/timelinesession.h"
#include "ui/zoomstate.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

using namespace tarmac;

namespace {

constexpr qint64 kSecond = 1'000'000'000;
constexpr qint64 kT0 = 1'700'000'000 * kSecond;

Span span(quint64 id, qint64 start, qint64 duration, const QString &service = QStringLiteral("s3"))
{
    Span s;
    s.traceId = QByteArray::number(id, 16).rightJustified(32, '0');
    s.spanId = QByteArray::number(id, 16).rightJustified(16, '0');
    s.service = service;
    s.name = service + QStringLiteral(" Get");
    s.startNs = start;
    s.endNs = start + duration;
    s.statusCode = id % 10 == 0 ? SpanStatusError : SpanStatusUnset;
    return s;
}

} // namespace

class TestTimelineSession : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<Tracer> m_tracer;
    QString path() const { return m_dir.filePath(QStringLiteral("traces.db")); }

    static bool waitLoaded(TimelineSession &s)
    {
        // A load is asynchronous: wait until one has started and finished.
        return QTest::qWaitFor([&] { return !s.isLoading(); }, 10000);
    }

private slots:
    void init()
    {
        m_tracer.reset();
        QFile::remove(path());
        auto tracer = Tracer::open(path());
        QVERIFY(tracer);
        m_tracer = std::move(*tracer);
    }

    void smallStoreIsLoadedWholeOnce()
    {
        for (int i = 0; i < 100; ++i)
            m_tracer->record(span(quint64(i + 1), kT0 + i * kSecond / 10, kSecond / 100));
        LogRecord l;
        l.timeNs = kT0 + 5;
        l.spanId = span(1, 0, 0).spanId;
        l.source = QStringLiteral("fn");
        m_tracer->record(l);
        m_tracer->flush();

        ZoomState zoom;
        LaneModel lanes;
        QueryRunner runner;
        TimelineSession session(&zoom, &lanes, &runner);
        QSignalSpy data(&session, &TimelineSession::dataChanged);
        runner.open(path());
        session.reload();
        QVERIFY(session.isLoading());
        QVERIFY(waitLoaded(session));
        QVERIFY(session.isComplete());
        QCOMPARE(session.data().size(), 100);
        QCOMPARE(session.data().logTicks().size(), size_t(1));
        QCOMPARE(lanes.rowCount(), 1); // the log line sits on its span's lane
        QVERIFY(zoom.session().contains(kT0));
        qint64 total = 0;
        for (qint64 c : session.histogram().counts())
            total += c;
        QCOMPARE(total, 100);

        // Zooming and panning a complete session never queries.
        QSignalSpy loading(&session, &TimelineSession::loadingChanged);
        zoom.setWindow({kT0, kT0 + kSecond});
        zoom.pan(kSecond);
        QTest::qWait(100);
        QCOMPARE(loading.size(), 0);
    }

    void largeStoreIsQueriedPerWindowWithSummariesWhenZoomedOut()
    {
        // 2,000 spans over 2,000 s; the session may keep at most 100 one by one.
        for (int i = 0; i < 2000; ++i)
            m_tracer->record(span(quint64(i + 1), kT0 + i * kSecond, 10'000'000));
        m_tracer->flush();

        ZoomState zoom;
        LaneModel lanes;
        QueryRunner runner;
        TimelineSession session(&zoom, &lanes, &runner);
        TimelineSession::Limits limits;
        limits.detailCap = 100;
        limits.reloadDelayMs = 1;
        session.setLimits(limits);
        session.setViewportWidth(1000);
        runner.open(path());
        session.reload();
        QVERIFY(QTest::qWaitFor(
            [&] { return !session.isLoading() && !session.data().isEmpty(); }, 10000));
        QVERIFY(!session.isComplete());

        // The whole session: far more than 100 spans, so summaries.
        zoom.setFollowLive(false);
        zoom.zoomToFit();
        QVERIFY(QTest::qWaitFor(
            [&] { return !session.isLoading() && !session.data().isDetailed(); }, 10000));
        QVERIFY(session.data().size() <= 3 * 1000);
        QCOMPARE(session.data().spanCount(), 2000);
        qint64 errors = 0;
        for (qsizetype i = 0; i < session.data().size(); ++i)
            errors += session.data().infoAt(i).errors;
        QCOMPARE(errors, 200);

        // Ten seconds: one by one again, the window and one window either side.
        zoom.setWindow({kT0 + 1000 * kSecond, kT0 + 1010 * kSecond});
        QVERIFY(QTest::qWaitFor(
            [&] { return !session.isLoading() && session.data().isDetailed(); }, 10000));
        QVERIFY(session.data().size() >= 30 && session.data().size() <= 32);
        QVERIFY(session.data().loadedWindow().contains(kT0 + 995 * kSecond));
    }

    void liveSpansJoinAtTheLiveEdge()
    {
        ZoomState zoom;
        LaneModel lanes;
        QueryRunner runner;
        TimelineSession session(&zoom, &lanes, &runner);
        runner.open(path());
        session.reload();
        QVERIFY(waitLoaded(session));
        QVERIFY(session.isComplete());
        QSignalSpy histogram(&session, &TimelineSession::histogramChanged);
        session.addLive(
            {span(1, kT0, 1000), span(2, kT0 + kSecond, 1000, QStringLiteral("sqs"))}, {});
        QCOMPARE(session.data().size(), 2);
        QCOMPARE(lanes.rowCount(), 2);
        QCOMPARE(histogram.size(), 1);
        QCOMPARE(zoom.session(), (timeline::TimeWindow {kT0, kT0 + kSecond + 1000}));
        QVERIFY(zoom.window().contains(kT0 + kSecond));
    }

    void aLongLiveSessionStaysBounded()
    {
        ZoomState zoom;
        LaneModel lanes;
        QueryRunner runner;
        TimelineSession session(&zoom, &lanes, &runner);
        TimelineSession::Limits limits;
        limits.detailCap = 1000;
        session.setLimits(limits);
        runner.open(path());
        session.reload();
        QVERIFY(waitLoaded(session));
        // 100 s of 50 spans a second, following live with a 10 s window.
        quint64 id = 1;
        for (int second = 0; second < 100; ++second) {
            QList<Span> batch;
            for (int i = 0; i < 50; ++i)
                batch.append(span(id++, kT0 + second * kSecond + i * 20'000'000, 1'000'000));
            session.addLive(batch, {});
        }
        QVERIFY(zoom.followLive());
        QVERIFY2(session.data().size() <= 1250, qPrintable(QString::number(session.data().size())));
        QVERIFY(session.data().findSpan(id - 1) >= 0); // the newest is there
        QCOMPARE(session.data().findSpan(1), -1); // the oldest went
    }

    void staleResultsAreDropped()
    {
        QueryRunner runner;
        QObject context;
        QList<int> delivered;
        runner.run<int>(
            QueryRunner::Window, &context,
            [](TraceQuery *, const QueryRunner::Cancelled &cancelled) {
                // Runs until superseded: the newer job cancels it.
                for (int i = 0; i < 500 && !cancelled(); ++i)
                    QThread::msleep(10);
                return 1;
            },
            [&](int v) { delivered.append(v); });
        QThread::msleep(20);
        runner.run<int>(
            QueryRunner::Window, &context,
            [](TraceQuery *, const QueryRunner::Cancelled &) { return 2; },
            [&](int v) { delivered.append(v); });
        // Another kind is not superseded by a Window job.
        runner.run<int>(
            QueryRunner::Trace, &context,
            [](TraceQuery *, const QueryRunner::Cancelled &) { return 3; },
            [&](int v) { delivered.append(v); });
        runner.waitForIdle();
        QTRY_COMPARE(delivered.size(), 2);
        QCOMPARE(delivered, (QList<int> {2, 3}));

        // A result for a context that has gone is never delivered.
        auto gone = std::make_unique<QObject>();
        bool called = false;
        runner.run<int>(
            QueryRunner::Logs, gone.get(),
            [](TraceQuery *, const QueryRunner::Cancelled &) { return 4; },
            [&](int) { called = true; });
        runner.waitForIdle();
        gone.reset();
        QTest::qWait(50);
        QVERIFY(!called);
    }

    void jobsSeeNoStoreUntilItExists()
    {
        QueryRunner runner;
        runner.open(m_dir.filePath(QStringLiteral("not-yet.db")));
        bool sawNull = false;
        runner.run<int>(
            QueryRunner::Extent, this,
            [&](TraceQuery *q, const QueryRunner::Cancelled &) {
                sawNull = !q;
                return 0;
            },
            [](int) {});
        runner.waitForIdle();
        QVERIFY(sawNull);
        runner.open(path());
        bool sawQuery = false;
        runner.run<int>(
            QueryRunner::Extent, this,
            [&](TraceQuery *q, const QueryRunner::Cancelled &) {
                sawQuery = q != nullptr;
                return 0;
            },
            [](int) {});
        runner.waitForIdle();
        QVERIFY(sawQuery);
    }
};

QTEST_MAIN(TestTimelineSession)
#include "tst_timelinesession.moc"
