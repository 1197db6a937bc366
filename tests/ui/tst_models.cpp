#include "ui/lanemodel.h"
#include "ui/livefeed.h"
#include "ui/logmodel.h"
#include "ui/logview.h"
#include "ui/spanselection.h"

#include <QAbstractItemModelTester>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

using namespace tarmac;

namespace {

LogRecord log(
    qint64 t, const QString &source, int severity, const QString &text, int trace = 1, int span = 1)
{
    LogRecord l;
    l.timeNs = t;
    l.source = source;
    l.severity = severity;
    l.text = text;
    l.traceId = QByteArray::number(trace, 16).rightJustified(32, '0');
    l.spanId = QByteArray::number(span, 16).rightJustified(16, '0');
    l.requestId = QStringLiteral("req-%1").arg(span);
    return l;
}

Span span(int id, const QString &service, const QString &function = {})
{
    Span s;
    s.traceId = QByteArray::number(id, 16).rightJustified(32, '0');
    s.spanId = QByteArray::number(id, 16).rightJustified(16, '0');
    s.service = service;
    s.name = service;
    s.startNs = id * 10;
    s.endNs = id * 10 + 5;
    if (!function.isEmpty())
        s.attributes.append(Attribute(QStringLiteral("faas.name"), function));
    return s;
}

} // namespace

class TestModels : public QObject
{
    Q_OBJECT
private slots:
    void laneModelOrdersAndFolds()
    {
        LaneModel lanes;
        QAbstractItemModelTester tester(
            &lanes, QAbstractItemModelTester::FailureReportingMode::QtTest);
        TimelineData d;
        d.addSpans({span(1, QStringLiteral("tarmac")), span(2, QStringLiteral("s3")),
            span(3, QStringLiteral("lambda"), QStringLiteral("zeta")),
            span(4, QStringLiteral("apigateway")),
            span(5, QStringLiteral("lambda"), QStringLiteral("alpha"))});
        lanes.adopt(d);
        QCOMPARE(lanes.rowCount(), 5);
        QStringList order;
        for (int r = 0; r < lanes.rowCount(); ++r)
            order.append(lanes.index(r).data(LaneModel::KeyRole).toString());
        // API Gateway, then functions, then services, Tarmac's own last.
        QCOMPARE(order,
            (QStringList {QStringLiteral("apigateway"), QStringLiteral("fn:alpha"),
                QStringLiteral("fn:zeta"), QStringLiteral("s3"), QStringLiteral("tarmac")}));
        QVERIFY(lanes.index(1).data().toString().contains(QStringLiteral("λ alpha")));
        QVERIFY(lanes.index(0).data(Qt::DecorationRole).canConvert<QColor>());

        // Lane ids are stable and the data now uses them.
        const int s3 = lanes.ensureLane({QStringLiteral("s3"), {}});
        QCOMPARE(d.info(d.findSpan(2)).lane, s3);

        // Folding: a lane with two rows gets shorter, and says so.
        TimelineData nested;
        Span parent = span(10, QStringLiteral("s3"));
        parent.endNs = 1000;
        Span child = span(11, QStringLiteral("s3"));
        child.traceId = parent.traceId;
        child.startNs = 200;
        child.endNs = 300;
        child.parentSpanId = parent.spanId;
        nested.addSpans({parent, child});
        lanes.adopt(nested);
        QCOMPARE(lanes.laneHeight(s3), 2 * lanes.rowHeight() + LaneModel::kLanePadding);
        QSignalSpy heights(&lanes, &LaneModel::layoutChangedHeights);
        lanes.toggleExpanded(s3);
        QCOMPARE(heights.size(), 1);
        QCOMPARE(lanes.laneHeight(s3), lanes.rowHeight() + LaneModel::kLanePadding);
        QCOMPARE(lanes.collapsedKeys(), QStringList {QStringLiteral("s3")});
        QVERIFY(lanes.setData(lanes.index(lanes.rowOfLane(s3)), true, LaneModel::ExpandedRole));
        QVERIFY(lanes.isExpanded(s3));

        // Layout and hit testing agree.
        const LaneLayout layout = lanes.layout(30, 0);
        for (int lane = 0; lane < lanes.laneCount(); ++lane)
            QCOMPARE(lanes.laneAt(layout.top[lane], 30, 0), lane);
        QCOMPARE(lanes.laneAt(29, 30, 0), -1);
        QCOMPARE(lanes.totalHeight(), [&] {
            int h = 0;
            for (int lane = 0; lane < lanes.laneCount(); ++lane)
                h += lanes.laneHeight(lane);
            return h;
        }());

        lanes.clear();
        QCOMPARE(lanes.rowCount(), 0);
    }

    void collapsedLanesAreRestoredWhenTheyAppear()
    {
        LaneModel lanes;
        QAbstractItemModelTester tester(
            &lanes, QAbstractItemModelTester::FailureReportingMode::QtTest);
        lanes.setCollapsedKeys({QStringLiteral("s3")});
        const int s3 = lanes.ensureLane({QStringLiteral("s3"), {}});
        QVERIFY(!lanes.isExpanded(s3));
    }

    void logModelAppendsInBatchesAndTrims()
    {
        LogModel logs;
        QAbstractItemModelTester tester(
            &logs, QAbstractItemModelTester::FailureReportingMode::QtTest);
        logs.setMaxRows(100);
        QSignalSpy inserted(&logs, &QAbstractItemModel::rowsInserted);
        QSignalSpy sources(&logs, &LogModel::sourcesChanged);
        QList<LogRecord> batch;
        for (int i = 0; i < 60; ++i)
            batch.append(log(i, i % 2 ? QStringLiteral("b-fn") : QStringLiteral("a-fn"),
                LogSeverityInfo, QStringLiteral("line %1").arg(i)));
        logs.append(batch);
        QCOMPARE(inserted.size(), 1); // one insertion for the batch
        QCOMPARE(logs.rowCount(), 60);
        QCOMPARE(sources.size(), 1);
        QCOMPARE(logs.sources(), (QStringList {QStringLiteral("a-fn"), QStringLiteral("b-fn")}));
        logs.append(batch);
        // Over 100: the oldest go, a tenth more than needed so that trimming is rare.
        QCOMPARE(logs.rowCount(), 90);
        QCOMPARE(logs.index(0, LogModel::TextColumn).data().toString(), QStringLiteral("line 30"));
        // History before the live lines, only as much as fits.
        logs.prepend({log(-2, QStringLiteral("a-fn"), LogSeverityInfo, QStringLiteral("old 1")),
            log(-1, QStringLiteral("a-fn"), LogSeverityInfo, QStringLiteral("old 2"))});
        QCOMPARE(logs.rowCount(), 92);
        QCOMPARE(logs.index(0, LogModel::TextColumn).data().toString(), QStringLiteral("old 1"));
        QCOMPARE(logs.index(0, LogModel::LevelColumn).data().toString(), QStringLiteral("INFO"));
        QCOMPARE(
            logs.headerData(LogModel::RequestColumn, Qt::Horizontal, Qt::DisplayRole).toString(),
            QStringLiteral("Request id"));
        logs.clear();
        QCOMPARE(logs.rowCount(), 0);
    }

    void logDetailsFollowTheSelection()
    {
        LogModel logs;
        SpanSelection selection;
        LogView view(&logs, &selection);
        logs.append({log(1, QStringLiteral("fn"), LogSeverityInfo, QStringLiteral("first"), 1),
            log(2, QStringLiteral("fn"), LogSeverityInfo, QStringLiteral("second"), 2)});
        auto *details = view.findChild<QPlainTextEdit *>(QStringLiteral("logDetails"));
        QVERIFY(details);
        view.table()->selectRow(1);
        QVERIFY(details->toPlainText().contains(QLatin1String("second")));
        // Cleared in the table (Ctrl+click, Escape)…
        view.table()->selectionModel()->clearSelection();
        QCOMPARE(details->toPlainText(), QString());
        // … or elsewhere (the timeline).
        view.table()->selectRow(0);
        QVERIFY(details->toPlainText().contains(QLatin1String("first")));
        QVERIFY(!selection.isEmpty());
        selection.clear();
        QCOMPARE(details->toPlainText(), QString());
        QVERIFY(!view.table()->selectionModel()->hasSelection());
    }

    void multiLineTextShowsItsFirstLine()
    {
        LogModel logs;
        logs.append(
            {log(1, QStringLiteral("fn"), LogSeverityError, QStringLiteral("boom\n  at x"))});
        QCOMPARE(logs.index(0, LogModel::TextColumn).data().toString(), QStringLiteral("boom …"));
        QCOMPARE(logs.index(0, LogModel::TextColumn).data(LogModel::TextRole).toString(),
            QStringLiteral("boom\n  at x"));
        QVERIFY(logs.index(0, 0).data(Qt::ForegroundRole).isValid());
    }

    void filters_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("source");
        QTest::addColumn<int>("severity");
        QTest::addColumn<int>("trace");
        QTest::addColumn<int>("span");
        QTest::addColumn<int>("rows");
        QTest::newRow("everything") << QString() << QString() << 0 << 0 << 0 << 6;
        QTest::newRow("text, any case")
            << QStringLiteral("TIMEOUT") << QString() << 0 << 0 << 0 << 2;
        QTest::newRow("request id") << QStringLiteral("req-3") << QString() << 0 << 0 << 0 << 1;
        QTest::newRow("function") << QString() << QStringLiteral("upload") << 0 << 0 << 0 << 3;
        QTest::newRow("warnings and up")
            << QString() << QString() << int(LogSeverityWarn) << 0 << 0 << 3;
        QTest::newRow("trace") << QString() << QString() << 0 << 2 << 0 << 2;
        QTest::newRow("span") << QString() << QString() << 0 << 2 << 4 << 1;
        QTest::newRow("combined") << QStringLiteral("timeout") << QStringLiteral("upload")
                                  << int(LogSeverityError) << 0 << 0 << 1;
    }
    void filters()
    {
        QFETCH(QString, text);
        QFETCH(QString, source);
        QFETCH(int, severity);
        QFETCH(int, trace);
        QFETCH(int, span);
        QFETCH(int, rows);
        LogModel logs;
        LogFilterModel filter;
        filter.setSourceModel(&logs);
        QAbstractItemModelTester tester(
            &filter, QAbstractItemModelTester::FailureReportingMode::QtTest);
        logs.append({
            log(1, QStringLiteral("upload"), LogSeverityInfo, QStringLiteral("starting"), 1, 1),
            log(2, QStringLiteral("upload"), LogSeverityError,
                QStringLiteral("Timeout talking to S3"), 1, 2),
            log(3, QStringLiteral("resize"), LogSeverityWarn, QStringLiteral("slow"), 1, 3),
            log(4, QStringLiteral("resize"), LogSeverityInfo, QStringLiteral("{\"a\":1}"), 2, 4),
            log(5, QStringLiteral("upload"), LogSeverityInfo, QStringLiteral("done"), 2, 5),
            log(6, QStringLiteral("other"), LogSeverityFatal, QStringLiteral("timeout again"), 3,
                6),
        });
        filter.setText(text);
        filter.setSource(source);
        filter.setMinSeverity(severity);
        filter.setTrace(
            trace ? QByteArray::number(trace, 16).rightJustified(32, '0') : QByteArray(),
            span ? QByteArray::number(span, 16).rightJustified(16, '0') : QByteArray());
        QCOMPARE(filter.rowCount(), rows);
        // Live rows are filtered as they arrive.
        logs.append(
            {log(7, QStringLiteral("upload"), LogSeverityFatal, QStringLiteral("timeout"), 1, 2)});
        QVERIFY(filter.rowCount() >= rows);
    }

    void firstRowOfASpanOrTrace()
    {
        LogModel logs;
        logs.append({log(1, QStringLiteral("a"), LogSeverityInfo, QStringLiteral("x"), 1, 1),
            log(2, QStringLiteral("a"), LogSeverityInfo, QStringLiteral("y"), 2, 2),
            log(3, QStringLiteral("a"), LogSeverityInfo, QStringLiteral("z"), 2, 3)});
        const QByteArray t2 = QByteArray::number(2, 16).rightJustified(32, '0');
        QCOMPARE(logs.firstRowOf(t2, {}), 1);
        QCOMPARE(logs.firstRowOf(t2, QByteArray::number(3, 16).rightJustified(16, '0')), 2);
        QCOMPARE(logs.firstRowOf(QByteArray("nope"), {}), -1);
    }

    void liveFeedCoalescesBatches()
    {
        LiveFeed feed(50);
        QSignalSpy batches(&feed, &LiveFeed::batch);
        for (int i = 0; i < 10; ++i)
            feed.add({span(i + 1, QStringLiteral("s3"))},
                {log(i, QStringLiteral("fn"), LogSeverityInfo, QString())});
        QCOMPARE(batches.size(), 0);
        QVERIFY(batches.wait(2000));
        QCOMPARE(batches.size(), 1);
        QCOMPARE(batches.first().at(0).value<QList<Span>>().size(), 10);
        QCOMPARE(batches.first().at(1).value<QList<LogRecord>>().size(), 10);
    }
};

QTEST_MAIN(TestModels)
#include "tst_models.moc"
