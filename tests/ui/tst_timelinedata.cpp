#include "ui/timelinedata.h"
#include "ui/timelinegeometry.h"

#include <QImage>
#include <QPainter>
#include <QTest>

using namespace tarmac;

namespace {

QByteArray hexId(quint64 value, int digits)
{
    return QByteArray::number(value, 16).rightJustified(digits, '0');
}

Span span(quint64 trace, quint64 id, qint64 start, qint64 end,
    const QString &service = QStringLiteral("s3"), quint64 parent = 0, const QString &function = {})
{
    Span s;
    s.traceId = hexId(trace, 32);
    s.spanId = hexId(id, 16);
    if (parent)
        s.parentSpanId = hexId(parent, 16);
    s.service = service;
    s.name = service + QStringLiteral(" op") + QString::number(id);
    s.startNs = start;
    s.endNs = end;
    if (!function.isEmpty())
        s.attributes.append(Attribute(QStringLiteral("faas.name"), function));
    return s;
}

// Checks the invariants paint relies on: sorted by start (longer first on ties), the running
// maximum of ends, and one array entry per item.
bool consistent(const TimelineData &d)
{
    const auto n = size_t(d.size());
    if (d.ends().size() != n || d.maxEnds().size() != n || d.lanes().size() != n
        || d.rows().size() != n || d.colours().size() != n || d.flags().size() != n
        || d.infoIndexes().size() != n)
        return false;
    qint64 maxEnd = std::numeric_limits<qint64>::min();
    for (size_t i = 0; i < n; ++i) {
        if (i > 0) {
            if (d.starts()[i] < d.starts()[i - 1])
                return false;
            if (d.starts()[i] == d.starts()[i - 1] && d.ends()[i] > d.ends()[i - 1])
                return false;
        }
        maxEnd = std::max(maxEnd, d.ends()[i]);
        if (d.maxEnds()[i] != maxEnd)
            return false;
        const TimelineData::Info &info = d.infoAt(qsizetype(i));
        if (info.startNs != d.starts()[i] || info.row != d.rows()[i] || info.lane != d.lanes()[i])
            return false;
    }
    return true;
}

} // namespace

class TestTimelineData : public QObject
{
    Q_OBJECT
private slots:
    void liveBatchesStaySorted()
    {
        TimelineData d;
        // A parent arrives after its children (it is recorded when it ends).
        d.addSpans({span(1, 2, 110, 120, QStringLiteral("s3"), 1),
            span(1, 3, 130, 150, QStringLiteral("s3"), 1)});
        d.addSpans({span(1, 1, 100, 200)});
        d.addSpans({span(2, 4, 50, 60), span(2, 5, 300, 310)});
        QVERIFY(consistent(d));
        QCOMPARE(d.size(), 5);
        QCOMPARE(d.starts().front(), 50);
        QCOMPARE(d.spanCount(), 5);
        // A span seen twice (a query and a live batch) is drawn once.
        d.addSpans({span(1, 1, 100, 200)});
        QCOMPARE(d.size(), 5);
    }

    void nestedAndConcurrentSpansStack_data()
    {
        QTest::addColumn<QList<Span>>("spans");
        QTest::addColumn<QList<int>>("rows"); // by span id 1..n
        QTest::newRow("parent and child")
            << QList<Span> {span(1, 2, 110, 120, QStringLiteral("s3"), 1), span(1, 1, 100, 200)}
            << QList<int> {0, 1};
        QTest::newRow("siblings side by side")
            << QList<Span> {span(1, 1, 100, 200), span(1, 2, 110, 120, QStringLiteral("s3"), 1),
                   span(1, 3, 130, 140, QStringLiteral("s3"), 1)}
            << QList<int> {0, 1, 1};
        QTest::newRow("touching spans share a row")
            << QList<Span> {span(1, 1, 0, 10), span(2, 2, 10, 20)} << QList<int> {0, 0};
        QTest::newRow("same start: the longer is the parent")
            << QList<Span> {span(1, 1, 0, 5), span(1, 2, 0, 50)} << QList<int> {1, 0};
        QTest::newRow("lanes do not share rows")
            << QList<Span> {span(1, 1, 0, 100), span(1, 2, 10, 20, QStringLiteral("sqs"))}
            << QList<int> {0, 0};
    }
    void nestedAndConcurrentSpansStack()
    {
        QFETCH(QList<Span>, spans);
        QFETCH(QList<int>, rows);
        TimelineData d;
        d.addSpans(spans);
        QVERIFY(consistent(d));
        for (int id = 1; id <= rows.size(); ++id) {
            const qint32 info = d.findSpan(quint64(id));
            QVERIFY(info >= 0);
            QCOMPARE(int(d.info(info).row), rows[id - 1]);
        }
    }

    void rowsAreCappedPerLane()
    {
        TimelineData d;
        QList<Span> spans;
        for (int i = 0; i < 20; ++i)
            spans.append(span(quint64(i + 1), quint64(i + 1), i, 1000)); // 20 overlapping
        d.addSpans(spans);
        QCOMPARE(d.rowCount(0), TimelineData::kMaxRows);
        for (quint8 r : d.rows())
            QVERIFY(r < TimelineData::kMaxRows);
    }

    void lanesByServiceAndFunction()
    {
        TimelineData d;
        d.addSpans({span(1, 1, 0, 10, QStringLiteral("lambda"), 0, QStringLiteral("resize")),
            span(1, 2, 2, 5, QStringLiteral("s3"), 1),
            span(2, 3, 20, 30, QStringLiteral("lambda"))});
        QCOMPARE(d.laneKeys().size(), 3);
        QCOMPARE(d.laneKeys()[0].key(), QStringLiteral("fn:resize"));
        QCOMPARE(d.laneKeys()[1].key(), QStringLiteral("s3"));
        QCOMPARE(d.laneKeys()[2].key(), QStringLiteral("lambda"));
        QCOMPARE(TimelineData::colourFor(QStringLiteral("lambda"), QStringLiteral("resize")),
            TimelineData::ColourFunction);
        QCOMPARE(TimelineData::colourFor(QStringLiteral("s3"), {}), TimelineData::ColourS3);
    }

    void traceQueries()
    {
        TimelineData d;
        d.addSpans({span(7, 1, 100, 200), span(7, 2, 150, 400, QStringLiteral("s3"), 1),
            span(8, 3, 0, 1000)});
        const int trace = d.traceIndex(hexId(7, 32));
        QVERIFY(trace >= 0);
        QCOMPARE(d.traceItems(trace).size(), 2);
        QCOMPARE(d.traceWindow(trace), (timeline::TimeWindow {100, 400}));
        QCOMPARE(d.spanIdHex(d.info(d.findSpan(2))), hexId(2, 16));
    }

    void logTicksFindTheirSpanEvenWhenTheyCameFirst()
    {
        TimelineData d;
        LogRecord early;
        early.timeNs = 150;
        early.spanId = hexId(1, 16);
        early.source = QStringLiteral("resize");
        d.addLogs({early});
        QCOMPARE(d.logTicks().front().info, -1);
        d.addSpans({span(1, 1, 100, 200, QStringLiteral("lambda"), 0, QStringLiteral("resize"))});
        QCOMPARE(d.logTicks().front().info, d.findSpan(1));
        QCOMPARE(d.laneKeys()[d.logTicks().front().lane].key(), QStringLiteral("fn:resize"));
        LogRecord before = early;
        before.timeNs = 120;
        d.addLogs({before});
        QCOMPARE(d.logTicks().front().timeNs, 120); // kept in time order
    }

    void summaries()
    {
        TimelineData d;
        TraceQuery::SpanBucket a {QStringLiteral("s3"), {}, 0, 90, 1000, 3};
        TraceQuery::SpanBucket b {QStringLiteral("s3"), {}, 100, 190, 500, 0};
        d.addSummaries({a, b}, 100);
        QVERIFY(!d.isDetailed());
        QCOMPARE(d.summaryBucketNs(), 100);
        QCOMPARE(d.spanCount(), 1500);
        QCOMPARE(d.flags()[0] & TimelineData::Error, TimelineData::Error);
        QCOMPARE(d.rows()[0], 0);
        QCOMPARE(d.rows()[1], 0);
    }

    void dropBeforeKeepsEverythingConsistent()
    {
        TimelineData d;
        QList<Span> spans;
        for (int i = 0; i < 100; ++i)
            spans.append(span(quint64(i / 10 + 1), quint64(i + 1), i * 10, i * 10 + 5));
        spans.append(span(99, 1000, 0, 2000)); // long: survives
        d.addSpans(spans);
        LogRecord l;
        l.timeNs = 990;
        l.spanId = hexId(100, 16);
        d.addLogs({l});
        d.dropBefore(500);
        QVERIFY(consistent(d));
        QCOMPARE(d.size(), 51);
        QCOMPARE(d.findSpan(1), -1);
        QVERIFY(d.findSpan(1000) >= 0);
        QVERIFY(d.findSpan(100) >= 0);
        QCOMPARE(d.logTicks().size(), size_t(1));
        QCOMPARE(d.logTicks().front().info, d.findSpan(100));
        QCOMPARE(d.traceIds().size(), 6); // traces 6..10 and 99
    }

    void remapLanes()
    {
        TimelineData d;
        d.addSpans(
            {span(1, 1, 0, 10, QStringLiteral("s3")), span(1, 2, 0, 5, QStringLiteral("sqs"))});
        const QList<TimelineData::LaneKey> keys {{QStringLiteral("sqs"), {}},
            {QStringLiteral("dynamodb"), {}}, {QStringLiteral("s3"), {}}};
        d.remapLanes({2, 0}, keys);
        QCOMPARE(d.info(d.findSpan(1)).lane, 2);
        QCOMPARE(d.info(d.findSpan(2)).lane, 0);
        QCOMPARE(d.rowCount(2), 1);
        QCOMPARE(d.rowCount(1), 0);
        // Later spans for an existing key use the new numbering.
        d.addSpans({span(2, 3, 20, 30, QStringLiteral("s3"))});
        QCOMPARE(d.info(d.findSpan(3)).lane, 2);
    }

    // Geometry: 10,000 one-nanosecond spans in one row over 100 pixels merge into runs, not
    // 10,000 rectangles.
    void narrowSpansMergePerPixelColumn()
    {
        TimelineData d;
        QList<Span> spans;
        for (int i = 0; i < 10'000; ++i)
            spans.append(span(quint64(i + 1), quint64(i + 1), i * 10, i * 10 + 1));
        d.addSpans(spans);
        LaneLayout layout;
        layout.top = {0};
        layout.expanded = {true};
        TimelineGeometry::Options o;
        o.window = {0, 100'000};
        o.width = 100;
        o.clipBottom = 100;
        const TimelineGeometry g = TimelineGeometry::build(d, layout, o);
        QCOMPARE(g.itemsVisited(), 10'000);
        QVERIFY2(g.rectCount() <= 100, qPrintable(QString::number(g.rectCount())));
        QVERIFY(g.rectCount() >= 1);
        // Everything is one colour (S3), undimmed.
        QCOMPARE(g.fills()[TimelineData::ColourS3 * 2].size(), g.rectCount());
    }

    void wideSpansAreBoxesWithLabels()
    {
        TimelineData d;
        d.addSpans({span(1, 1, 0, 500), span(2, 2, 500, 1000)});
        LaneLayout layout;
        layout.top = {10};
        layout.expanded = {true};
        layout.rowHeight = 20;
        TimelineGeometry::Options o;
        o.window = {0, 1000};
        o.width = 1000;
        o.clipBottom = 200;
        o.minLabelWidth = 40;
        o.selectedTrace = d.traceIndex(hexId(2, 32));
        o.selectedInfo = d.findSpan(2);
        const TimelineGeometry g = TimelineGeometry::build(d, layout, o);
        QCOMPARE(g.rectCount(), 2);
        QCOMPARE(g.labels().size(), 1); // only the selected trace is named
        QCOMPARE(g.labels().first().rect.left(), 500);
        // The unselected trace is dimmed, the selected one outlined.
        QCOMPARE(g.fills()[TimelineData::ColourS3 * 2 + 1].size(), 1);
        QCOMPARE(g.fills()[TimelineData::ColourS3 * 2].size(), 1);
        QCOMPARE(g.traceOutlines().size(), 1);
        QCOMPARE(g.selectedRect().left(), 500);
        QCOMPARE(g.selectedRect().top(), 11);

        // It paints.
        QImage image(1000, 60, QImage::Format_RGB32);
        image.fill(Qt::white);
        QPainter p(&image);
        g.paint(&p, d);
        p.end();
        QCOMPARE(QColor(image.pixel(250, 20)).rgb(),
            TimelinePalette::dimmed(TimelineData::ColourS3).rgb());
    }

    void errorsAreMarkedAndHiddenLanesSkipped()
    {
        TimelineData d;
        Span bad = span(1, 1, 0, 100);
        bad.statusCode = SpanStatusError;
        d.addSpans({bad, span(2, 2, 0, 100, QStringLiteral("sqs"))});
        LaneLayout layout;
        layout.top = {0, LaneLayout::kHidden};
        TimelineGeometry::Options o;
        o.window = {0, 100};
        o.width = 100;
        o.clipBottom = 100;
        const TimelineGeometry g = TimelineGeometry::build(d, layout, o);
        QCOMPARE(g.rectCount(), 1);
        QCOMPARE(g.errorMarks().size(), 1);
    }

    void offscreenLanesAreNotBuilt()
    {
        TimelineData d;
        d.addSpans({span(1, 1, 0, 100)});
        LaneLayout layout;
        layout.top = {500};
        TimelineGeometry::Options o;
        o.window = {0, 100};
        o.width = 100;
        o.clipTop = 0;
        o.clipBottom = 300;
        QCOMPARE(TimelineGeometry::build(d, layout, o).itemsVisited(), 0);
    }
};

QTEST_MAIN(TestTimelineData)
#include "tst_timelinedata.moc"
