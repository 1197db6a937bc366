#include "ui/lanemodel.h"
#include "ui/logmodel.h"
#include "ui/logview.h"
#include "ui/queryrunner.h"
#include "ui/spanselection.h"
#include "ui/timelinesession.h"
#include "ui/timelineview.h"
#include "ui/timelinewidget.h"
#include "ui/zoomstate.h"

#include <QApplication>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <QWheelEvent>

using namespace tarmac;

namespace {

constexpr qint64 kMs = 1'000'000;
constexpr qint64 kT0 = 1'700'000'000'000'000'000;

QByteArray traceHex(int n)
{
    return QByteArray::number(n, 16).rightJustified(32, '0');
}
QByteArray spanHex(int n)
{
    return QByteArray::number(n, 16).rightJustified(16, '0');
}

Span span(int trace, int id, qint64 start, qint64 end, int parent = 0,
    const QString &service = QStringLiteral("s3"))
{
    Span s;
    s.traceId = traceHex(trace);
    s.spanId = spanHex(id);
    if (parent)
        s.parentSpanId = spanHex(parent);
    s.service = service;
    s.name = QStringLiteral("%1 op%2").arg(service).arg(id);
    s.startNs = start;
    s.endNs = end;
    return s;
}

// Two traces in the S3 lane: trace 1 is [0, 100 ms] with a child [20, 40 ms]; trace 2 is
// [200, 300 ms]. A log line belongs to the child.
struct Fixture
{
    ZoomState zoom;
    LaneModel lanes;
    QueryRunner runner;
    TimelineSession session {&zoom, &lanes, &runner};
    SpanSelection selection;
    LogModel logs;
    TimelineView view {&zoom, &session, &lanes, &selection};
    LogView logView {&logs, &selection};

    Fixture()
    {
        view.resize(1200, 400);
        view.show();
        logView.resize(600, 300);
        logView.show();
        (void)QTest::qWaitForWindowExposed(&view);
        LogRecord l;
        l.timeNs = kT0 + 30 * kMs;
        l.traceId = traceHex(1);
        l.spanId = spanHex(2);
        l.source = QStringLiteral("fn");
        l.text = QStringLiteral("{\"hello\":\"world\"}");
        const QList<LogRecord> lines {l};
        session.addLive(
            {span(1, 2, kT0 + 20 * kMs, kT0 + 40 * kMs, 1), span(1, 1, kT0, kT0 + 100 * kMs),
                span(2, 3, kT0 + 200 * kMs, kT0 + 300 * kMs)},
            lines);
        logs.append(lines);
        zoom.setWindow({kT0 - 50 * kMs, kT0 + 350 * kMs});
        QApplication::processEvents();
    }

    TimelineWidget *tracks() { return view.tracks(); }

    // The centre of a span's box on screen.
    QPoint centreOf(int id)
    {
        const TimelineData &d = session.data();
        const TimelineData::Info &info = d.info(d.findSpan(quint64(id)));
        const LaneLayout layout = lanes.layout(TimelineWidget::kAxisHeight, 0);
        const int x = int(timeline::timeToX(
            info.startNs + (info.endNs - info.startNs) / 2, zoom.window(), tracks()->width()));
        const int y = layout.top[info.lane] + info.row * layout.rowHeight + layout.rowHeight / 2;
        return {x, y};
    }
};

void sendWheel(QWidget *w, QPoint pos, int delta, Qt::KeyboardModifiers modifiers)
{
    QWheelEvent e(QPointF(pos), QPointF(w->mapToGlobal(pos)), QPoint(), QPoint(0, delta),
        Qt::NoButton, modifiers, Qt::NoScrollPhase, false);
    QApplication::sendEvent(w, &e);
}

void sendMouse(QWidget *w, QEvent::Type type, QPoint pos, Qt::MouseButton button,
    Qt::MouseButtons buttons, Qt::KeyboardModifiers modifiers = Qt::NoModifier)
{
    QMouseEvent e(type, QPointF(pos), QPointF(w->mapToGlobal(pos)), button, buttons, modifiers);
    QApplication::sendEvent(w, &e);
}

} // namespace

class TestTimelineWidget : public QObject
{
    Q_OBJECT
private slots:
    void ctrlWheelZoomsAroundTheCursor_data()
    {
        QTest::addColumn<int>("x");
        QTest::addColumn<int>("delta");
        QTest::newRow("in, left third") << 400 << 120;
        QTest::newRow("in twice, near the right") << 1100 << 240;
        QTest::newRow("out, middle") << 600 << -120;
    }
    void ctrlWheelZoomsAroundTheCursor()
    {
        QFETCH(int, x);
        QFETCH(int, delta);
        Fixture f;
        const timeline::TimeWindow before = f.zoom.window();
        const int width = f.tracks()->width();
        const qint64 under = timeline::xToTime(x, before, width);
        sendWheel(f.tracks(), QPoint(x, 100), delta, Qt::ControlModifier);
        const timeline::TimeWindow after = f.zoom.window();
        if (delta > 0)
            QVERIFY(after.duration() < before.duration());
        else
            QVERIFY(after.duration() > before.duration());
        // The time under the cursor did not move (to the pixel).
        QVERIFY(std::abs(timeline::timeToX(under, after, width) - x) < 1.0);
        // One wheel burst is one history entry.
        f.zoom.back();
        QCOMPARE(f.zoom.window(), before);
    }

    void plainWheelScrollsLanesShiftWheelPans()
    {
        Fixture f;
        QSignalSpy scroll(f.tracks(), &TimelineWidget::verticalScrollRequested);
        const timeline::TimeWindow before = f.zoom.window();
        sendWheel(f.tracks(), QPoint(500, 100), -120, Qt::NoModifier);
        QCOMPARE(scroll.size(), 1);
        QCOMPARE(f.zoom.window(), before);
        sendWheel(f.tracks(), QPoint(500, 100), -120, Qt::ShiftModifier);
        QCOMPARE(f.zoom.window().duration(), before.duration());
        QVERIFY(f.zoom.window().start > before.start);
    }

    void dragPansAndShiftDragSelects()
    {
        Fixture f;
        const timeline::TimeWindow before = f.zoom.window();
        const int width = f.tracks()->width();
        sendMouse(
            f.tracks(), QEvent::MouseButtonPress, QPoint(600, 200), Qt::LeftButton, Qt::LeftButton);
        sendMouse(f.tracks(), QEvent::MouseMove, QPoint(500, 205), Qt::NoButton, Qt::LeftButton);
        sendMouse(f.tracks(), QEvent::MouseMove, QPoint(400, 210), Qt::NoButton, Qt::LeftButton);
        sendMouse(
            f.tracks(), QEvent::MouseButtonRelease, QPoint(400, 210), Qt::LeftButton, Qt::NoButton);
        const qint64 expected = qint64(200.0 * double(before.duration()) / width);
        QVERIFY(
            std::abs(f.zoom.window().start - before.start - expected) <= before.duration() / width);
        QCOMPARE(f.zoom.window().duration(), before.duration());
        QVERIFY(!f.zoom.followLive());
        QVERIFY(f.selection.isEmpty()); // a drag is not a click

        // Shift+drag: a time range, shown on the axis.
        const timeline::TimeWindow w = f.zoom.window();
        sendMouse(f.tracks(), QEvent::MouseButtonPress, QPoint(100, 200), Qt::LeftButton,
            Qt::LeftButton, Qt::ShiftModifier);
        sendMouse(f.tracks(), QEvent::MouseMove, QPoint(300, 200), Qt::NoButton, Qt::LeftButton,
            Qt::ShiftModifier);
        sendMouse(f.tracks(), QEvent::MouseButtonRelease, QPoint(300, 200), Qt::LeftButton,
            Qt::NoButton, Qt::ShiftModifier);
        QCOMPARE(f.zoom.window(), w);
        QVERIFY(f.zoom.selection().isValid());
        QCOMPARE(f.zoom.selection().start, timeline::xToTime(100, w, width));
        QCOMPARE(f.zoom.selection().end, timeline::xToTime(300, w, width));
        // Double-click inside it zooms to it.
        sendMouse(f.tracks(), QEvent::MouseButtonDblClick, QPoint(200, 15), Qt::LeftButton,
            Qt::LeftButton);
        QCOMPARE(f.zoom.window(),
            (timeline::TimeWindow {
                timeline::xToTime(100, w, width), timeline::xToTime(300, w, width)}));
    }

    void clickSelectsTheSpanAndHighlightsItsTrace()
    {
        Fixture f;
        const QPoint child = f.centreOf(2);
        QCOMPARE(f.tracks()->infoAt(child), f.session.data().findSpan(2));
        QSignalSpy changed(&f.selection, &SpanSelection::changed);
        QTest::mouseClick(f.tracks(), Qt::LeftButton, Qt::NoModifier, child);
        QCOMPARE(changed.size(), 1);
        QCOMPARE(f.selection.traceId(), traceHex(1));
        QCOMPARE(f.selection.spanId(), spanHex(2));
        const TimelineGeometry &g = f.tracks()->frameGeometry();
        QCOMPARE(g.traceOutlines().size(), 2); // both spans of trace 1
        QVERIFY(g.selectedRect().contains(child));
        // The other trace is drawn dimmed.
        QCOMPARE(g.fills()[TimelineData::ColourS3 * 2 + 1].size(), 1);
        // Clicking empty space clears the selection.
        QTest::mouseClick(f.tracks(), Qt::LeftButton, Qt::NoModifier, QPoint(5, child.y()));
        QVERIFY(f.selection.isEmpty());
    }

    void doubleClickZoomsToTheTrace()
    {
        Fixture f;
        QTest::mouseDClick(f.tracks(), Qt::LeftButton, Qt::NoModifier, f.centreOf(3));
        const timeline::TimeWindow w = f.zoom.window();
        QVERIFY(w.start < kT0 + 200 * kMs && w.start > kT0 + 150 * kMs);
        QVERIFY(w.end > kT0 + 300 * kMs && w.end < kT0 + 350 * kMs);
        QCOMPARE(f.selection.spanId(), spanHex(3));
    }

    void tooltipSaysOperationDurationAndStatus()
    {
        Fixture f;
        const QString tip = f.tracks()->toolTipFor(f.session.data().findSpan(2));
        QVERIFY(tip.contains(QLatin1String("s3 op2")));
        QVERIFY(tip.contains(QLatin1String("20.0 ms")));
        QVERIFY(tip.contains(QLatin1String("ok")));
        QVERIFY(tip.contains(QLatin1String("1 log line")));
    }

    void selectingALogLineSelectsItsSpan()
    {
        Fixture f;
        f.zoom.setWindow({kT0 + 500 * kMs, kT0 + 600 * kMs}); // the span is out of view
        f.logView.table()->setCurrentIndex(f.logView.table()->model()->index(0, 0));
        QCOMPARE(f.selection.spanId(), spanHex(2));
        QCOMPARE(f.selection.traceId(), traceHex(1));
        // The timeline brought it into view and marks it.
        QVERIFY(f.zoom.window().contains(kT0 + 30 * kMs));
        QVERIFY(f.tracks()->frameGeometry().selectedRect().isValid());
        // The JSON line is pretty-printed in the details.
        QVERIFY(f.logView.details()->toPlainText().contains(QLatin1String("\"hello\": \"world\"")));
    }

    void selectingASpanSelectsItsFirstLogLine()
    {
        Fixture f;
        f.logs.append({[] {
            LogRecord other;
            other.timeNs = kT0 + 250 * kMs;
            other.traceId = traceHex(2);
            other.spanId = spanHex(3);
            other.text = QStringLiteral("other");
            return other;
        }()});
        QTest::mouseClick(f.tracks(), Qt::LeftButton, Qt::NoModifier, f.centreOf(3));
        QCOMPARE(f.logView.table()->currentIndex().row(), 1);
        QTest::mouseClick(f.tracks(), Qt::LeftButton, Qt::NoModifier, f.centreOf(2));
        QCOMPARE(f.logView.table()->currentIndex().row(), 0);
        // The log view did not echo the selection back as a change of its own.
        QCOMPARE(f.selection.spanId(), spanHex(2));

        // Filter by the selected trace.
        f.logView.setScope(LogView::SelectedTrace);
        QCOMPARE(f.logView.table()->model()->rowCount(), 1);
        QTest::mouseClick(f.tracks(), Qt::LeftButton, Qt::NoModifier, f.centreOf(3));
        QCOMPARE(f.logView.table()->model()->rowCount(), 1);
        QCOMPARE(f.logView.table()->model()->index(0, LogModel::TextColumn).data().toString(),
            QStringLiteral("other"));
        f.logView.setScope(LogView::AllLines);
        QCOMPARE(f.logView.table()->model()->rowCount(), 2);
    }

    void collapsingALaneFoldsItsRows()
    {
        Fixture f;
        const int s3 = f.lanes.ensureLane({QStringLiteral("s3"), {}});
        QCOMPARE(f.lanes.laneHeight(s3), 2 * f.lanes.rowHeight() + LaneModel::kLanePadding);
        // In the parent's row, above the child: the parent.
        const QPoint above(f.centreOf(2).x(), f.centreOf(1).y());
        QCOMPARE(f.tracks()->infoAt(above), f.session.data().findSpan(1));
        f.lanes.toggleExpanded(s3);
        QCOMPARE(f.lanes.laneHeight(s3), f.lanes.rowHeight() + LaneModel::kLanePadding);
        // Folded, both share one row; the innermost (shortest) span under the cursor wins.
        QCOMPARE(f.tracks()->infoAt(above), f.session.data().findSpan(2));
    }

    void paintsWithoutData()
    {
        ZoomState zoom;
        LaneModel lanes;
        QueryRunner runner;
        TimelineSession session(&zoom, &lanes, &runner);
        SpanSelection selection;
        TimelineView view(&zoom, &session, &lanes, &selection);
        view.tracks()->setEmptyText(QStringLiteral("No requests yet"));
        view.resize(600, 300);
        const QImage image = view.grab().toImage();
        QVERIFY(!image.isNull());
    }
};

QTEST_MAIN(TestTimelineWidget)
#include "tst_timelinewidget.moc"
