#include "ui/timelinewidget.h"

#include "ui/format.h"
#include "ui/lanemodel.h"
#include "ui/spanselection.h"
#include "ui/timelinesession.h"
#include "ui/zoomstate.h"

#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>

#include <cmath>

namespace tarmac {

namespace {

constexpr int kDragThreshold = 3;
constexpr int kTickSpacing = 120; // pixels between labelled ticks, at least
constexpr double kWheelZoomStep = 0.8; // window duration per wheel notch zooming in
constexpr int kGestureGapMs = 400; // wheel events closer than this are one history entry

const QColor kBandA = QColor::fromRgb(0xffffff);
const QColor kBandB = QColor::fromRgb(0xf5f6f8);
const QColor kGrid = QColor::fromRgb(0xe2e4e8);
const QColor kAxisBackground = QColor::fromRgb(0xf0f1f4);
const QColor kAxisText = QColor::fromRgb(0x3c4043);
const QColor kSelectionFill = QColor(26, 115, 232, 36);
const QColor kSelectionEdge = QColor::fromRgb(0x1a73e8);
const QColor kLiveEdge = QColor::fromRgb(0x34a853);

} // namespace

TimelineWidget::TimelineWidget(ZoomState *zoom, TimelineSession *session, LaneModel *lanes,
    SpanSelection *selection, QWidget *parent)
    : QWidget(parent)
    , m_zoom(zoom)
    , m_session(session)
    , m_lanes(lanes)
    , m_selection(selection)
{
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMinimumHeight(kAxisHeight + 40);
    connect(zoom, &ZoomState::windowChanged, this, &TimelineWidget::invalidate);
    connect(zoom, &ZoomState::selectionChanged, this, qOverload<>(&QWidget::update));
    connect(zoom, &ZoomState::sessionChanged, this, qOverload<>(&QWidget::update));
    connect(session, &TimelineSession::dataChanged, this, [this] {
        m_hoverInfo = -1; // indexes of the old data
        resolveSelection();
        invalidate();
    });
    connect(lanes, &LaneModel::layoutChangedHeights, this, &TimelineWidget::invalidate);
    connect(lanes, &QAbstractItemModel::modelReset, this, &TimelineWidget::invalidate);
    connect(selection, &SpanSelection::changed, this, &TimelineWidget::onSelectionChanged);
}

void TimelineWidget::setScrollY(int y)
{
    if (y == m_scrollY)
        return;
    m_scrollY = y;
    invalidate();
}

void TimelineWidget::setEmptyText(const QString &text)
{
    m_emptyText = text;
    update();
}

void TimelineWidget::invalidate()
{
    m_dirty = true;
    update();
}

qint64 TimelineWidget::timeAtX(double x) const
{
    return timeline::xToTime(x, m_zoom->window(), tracksWidth());
}

const TimelineGeometry &TimelineWidget::frameGeometry()
{
    if (m_dirty) {
        TimelineGeometry::Options o;
        o.window = m_zoom->window();
        o.width = tracksWidth();
        o.clipTop = kAxisHeight;
        o.clipBottom = height();
        o.selectedTrace = m_selectedTrace;
        o.selectedInfo = m_selectedInfo;
        o.minLabelWidth = fontMetrics().horizontalAdvance(QStringLiteral("S3 Get")) + 8;
        m_geometry = TimelineGeometry::build(
            m_session->data(), m_lanes->layout(kAxisHeight, m_scrollY), o);
        m_dirty = false;
    }
    return m_geometry;
}

void TimelineWidget::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    m_session->setViewportWidth(tracksWidth());
    invalidate();
}

void TimelineWidget::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    paintLanes(p);
    const TimelineGeometry &g = frameGeometry();
    p.setClipRect(QRect(0, kAxisHeight, width(), height() - kAxisHeight));
    g.paint(&p, m_session->data());
    p.setClipping(false);
    paintOverlays(p);
    paintAxis(p);
}

void TimelineWidget::paintLanes(QPainter &p)
{
    p.fillRect(rect(), kBandA);
    const LaneLayout layout = m_lanes->layout(kAxisHeight, m_scrollY);
    for (int row = 0; row < m_lanes->rowCount(); ++row) {
        const int lane = m_lanes->laneAtRow(row);
        const int top = layout.top.value(lane, LaneLayout::kHidden) - LaneModel::kLanePadding / 2;
        const int h = m_lanes->laneHeight(lane);
        if (top + h < kAxisHeight || top > height())
            continue;
        if (row % 2)
            p.fillRect(QRect(0, top, width(), h), kBandB);
        p.fillRect(QRect(0, top + h - 1, width(), 1), kGrid);
    }

    // Grid lines at the labelled ticks.
    const timeline::TimeWindow w = m_zoom->window();
    if (!w.isValid())
        return;
    const qint64 step = timeline::tickStep(w.duration(), tracksWidth(), kTickSpacing);
    QColor grid = kGrid;
    grid.setAlpha(160);
    for (qint64 t = timeline::firstTick(w.start, step); t <= w.end; t += step) {
        const int x = int(timeline::timeToX(t, w, tracksWidth()));
        p.fillRect(QRect(x, kAxisHeight, 1, height() - kAxisHeight), grid);
    }
}

void TimelineWidget::paintAxis(QPainter &p)
{
    const QRect axis(0, 0, width(), kAxisHeight);
    p.fillRect(axis, kAxisBackground);
    p.fillRect(QRect(0, kAxisHeight - 1, width(), 1), kGrid.darker(115));
    const timeline::TimeWindow w = m_zoom->window();
    if (!w.isValid())
        return;
    const int width = tracksWidth();
    const qint64 step = timeline::tickStep(w.duration(), width, kTickSpacing);
    const int digits = timeline::fractionDigits(step);
    // Minor ticks split 1 and 5 steps in five, 2 steps in four.
    qint64 lead = step;
    while (lead >= 10 && lead % 10 == 0)
        lead /= 10;
    const qint64 minor = step / (lead == 2 ? 4 : 5);
    p.setPen(kAxisText);
    if (minor > 0) {
        for (qint64 t = timeline::firstTick(w.start, minor); t <= w.end; t += minor) {
            const int x = int(timeline::timeToX(t, w, width));
            p.fillRect(QRect(x, kAxisHeight - 5, 1, 4), kAxisText);
        }
    }
    const QFontMetrics fm = fontMetrics();
    // The scale, at the right: what one labelled step is worth. A tick label that would run
    // under it is left out (its tick stays).
    const QString scale = tr("%1 per division").arg(format::duration(step));
    const int sw = fm.horizontalAdvance(scale) + 12;
    for (qint64 t = timeline::firstTick(w.start, step); t <= w.end; t += step) {
        const int x = int(timeline::timeToX(t, w, width));
        p.fillRect(QRect(x, kAxisHeight - 10, 1, 9), kAxisText);
        const QString label = format::clock(t, digits);
        const int lw = fm.horizontalAdvance(label) + 4;
        if (x + 3 + lw > width - sw)
            continue;
        p.drawText(QRect(x + 3, 2, lw, kAxisHeight - 10), Qt::AlignLeft | Qt::AlignVCenter, label);
    }
    p.fillRect(QRect(width - sw, 1, sw, kAxisHeight - 12), kAxisBackground);
    p.setPen(kAxisText.lighter(140));
    p.drawText(
        QRect(width - sw, 1, sw - 6, kAxisHeight - 12), Qt::AlignRight | Qt::AlignVCenter, scale);

    const timeline::TimeWindow sel = m_zoom->selection();
    if (sel.isValid()) {
        const int x0 = int(timeline::timeToX(sel.start, w, width));
        const int x1 = int(timeline::timeToX(sel.end, w, width));
        const QString d = format::duration(sel.duration());
        const int tw = fm.horizontalAdvance(d) + 10;
        const QRect box(
            std::clamp((x0 + x1 - tw) / 2, 0, std::max(0, width - tw)), 2, tw, kAxisHeight - 12);
        p.fillRect(box, kSelectionEdge);
        p.setPen(Qt::white);
        p.drawText(box, Qt::AlignCenter, d);
    }
}

QRect TimelineWidget::boxOf(qint32 infoIndex) const
{
    const TimelineData &data = m_session->data();
    if (infoIndex < 0 || infoIndex >= data.infoCount())
        return {};
    const TimelineData::Info &info = data.info(infoIndex);
    const LaneLayout layout = m_lanes->layout(kAxisHeight, m_scrollY);
    const int top = layout.top.value(info.lane, LaneLayout::kHidden);
    if (top == LaneLayout::kHidden)
        return {};
    const int row = m_lanes->isExpanded(info.lane) ? info.row : 0;
    const timeline::PixelSpan px
        = timeline::pixelSpan(info.startNs, info.endNs, m_zoom->window(), tracksWidth());
    return QRect(px.left, top + row * layout.rowHeight + 1, std::max(1, px.right - px.left),
        std::max(3, layout.rowHeight - 3));
}

void TimelineWidget::paintOverlays(QPainter &p)
{
    const timeline::TimeWindow w = m_zoom->window();
    const int width = tracksWidth();
    const QRect tracks(0, kAxisHeight, this->width(), height() - kAxisHeight);

    const timeline::TimeWindow sel = m_zoom->selection();
    if (sel.isValid() && w.isValid()) {
        const int x0 = int(timeline::timeToX(sel.start, w, width));
        const int x1 = int(timeline::timeToX(sel.end, w, width));
        p.fillRect(QRect(x0, kAxisHeight, std::max(1, x1 - x0), tracks.height()), kSelectionFill);
        p.fillRect(QRect(x0, 0, 1, height()), kSelectionEdge);
        p.fillRect(QRect(x1, 0, 1, height()), kSelectionEdge);
    }

    // The live edge: where the newest data ends.
    const timeline::TimeWindow session = m_zoom->session();
    if (session.isValid() && w.contains(session.end) && m_zoom->followLive()) {
        const int x = int(timeline::timeToX(session.end, w, width));
        QPen pen(kLiveEdge, 1, Qt::DashLine);
        p.setPen(pen);
        p.drawLine(x, kAxisHeight, x, height());
    }

    if (m_hoverInfo >= 0) {
        const QRect r = boxOf(m_hoverInfo);
        if (r.isValid()) {
            p.setPen(QPen(QColor::fromRgb(0x202124), 1));
            p.setBrush(Qt::NoBrush);
            p.drawRect(r.adjusted(0, 0, -1, -1));
        }
    }

    if (m_session->data().isEmpty() && !m_emptyText.isEmpty()) {
        p.setPen(QColor::fromRgb(0x5f6368));
        p.drawText(tracks.adjusted(40, 20, -40, -20), Qt::AlignCenter | Qt::TextWordWrap,
            m_session->isLoading() ? tr("Loading the session…") : m_emptyText);
    }
}

qint32 TimelineWidget::infoAt(const QPoint &pos) const
{
    if (pos.y() < kAxisHeight)
        return -1;
    const TimelineData &data = m_session->data();
    const int lane = m_lanes->laneAt(pos.y(), kAxisHeight, m_scrollY);
    if (lane < 0 || data.isEmpty())
        return -1;
    const LaneLayout layout = m_lanes->layout(kAxisHeight, m_scrollY);
    const int top = layout.top.value(lane, LaneLayout::kHidden);
    const bool expanded = m_lanes->isExpanded(lane);
    const int row = expanded ? (pos.y() - top) / layout.rowHeight : 0;
    // A little slack either side, so that a one-pixel span can be hit.
    const timeline::TimeWindow w = m_zoom->window();
    const qint64 from = timeAtX(pos.x() - 2);
    const qint64 to = timeAtX(pos.x() + 2);
    const qint64 at = timeAtX(pos.x());
    const timeline::IndexRange r = timeline::visibleRange(data.starts(), data.maxEnds(), from, to);
    qint32 best = -1;
    qint64 bestDistance = std::numeric_limits<qint64>::max();
    for (qsizetype i = r.first; i < r.last; ++i) {
        if (data.lanes()[size_t(i)] != lane || data.ends()[size_t(i)] < from)
            continue;
        if (expanded && data.rows()[size_t(i)] != row)
            continue;
        const qint64 s = data.starts()[size_t(i)];
        const qint64 e = data.ends()[size_t(i)];
        // Prefer the span that contains the cursor, then the nearest, then the shortest.
        const qint64 distance = at < s ? s - at : at > e ? at - e : 0;
        const qint64 score = distance * 4
            + (distance == 0 ? (e - s) / std::max<qint64>(1, w.duration() / 1000) : 0);
        if (score < bestDistance) {
            bestDistance = score;
            best = qint32(data.infoIndexes()[size_t(i)]);
        }
    }
    return best;
}

QString TimelineWidget::toolTipFor(qint32 infoIndex) const
{
    const TimelineData &data = m_session->data();
    const TimelineData::Info &info = data.info(infoIndex);
    const TimelineData::LaneKey &lane = data.laneKeys().value(info.lane);
    if (info.flags & TimelineData::Summary) {
        QString text = tr("<b>%1 spans</b> in %2")
                           .arg(info.count)
                           .arg(m_lanes->displayName(lane).toHtmlEscaped());
        if (info.errors)
            text += tr("<br><span style='color:#d93025'>%1 failed</span>").arg(info.errors);
        text += tr("<br>%1 – %2<br><i>zoom in to see them one by one</i>")
                    .arg(format::clock(info.startNs, 3), format::clock(info.endNs, 3));
        return text;
    }
    const QString name = data.names().value(info.name).toHtmlEscaped();
    const bool error = info.flags & TimelineData::Error;
    QString text
        = QStringLiteral("<b>%1</b><br>%2 · %3")
              .arg(name, format::duration(info.endNs - info.startNs),
                  error ? tr("<span style='color:#d93025'><b>error</b></span>") : tr("ok"));
    text += tr("<br>started %1").arg(format::clock(info.startNs, 6));
    int logs = 0;
    for (const auto &t : data.logTicks()) {
        if (t.info == infoIndex)
            ++logs;
    }
    if (logs)
        text += tr("<br>%n log line(s)", nullptr, logs);
    return text;
}

bool TimelineWidget::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const qint32 info = infoAt(help->pos());
        if (info >= 0)
            QToolTip::showText(help->globalPos(), toolTipFor(info), this);
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::event(event);
}

void TimelineWidget::wheelEvent(QWheelEvent *event)
{
    const QPoint delta = event->angleDelta();
    const bool horizontal
        = event->modifiers() & Qt::ShiftModifier || std::abs(delta.x()) > std::abs(delta.y());
    if (event->modifiers() & Qt::ControlModifier) {
        if (!m_lastWheel.isValid() || m_lastWheel.elapsed() > kGestureGapMs)
            m_zoom->beginGesture();
        m_lastWheel.start();
        const double notches = double(delta.y()) / 120.0;
        const double factor = std::pow(kWheelZoomStep, notches);
        m_zoom->zoomAround(timeAtX(event->position().x()), factor);
        event->accept();
        return;
    }
    if (horizontal) {
        const int d = delta.x() != 0 ? delta.x() : delta.y();
        const qint64 ns = qint64(double(-d) / 120.0 * double(m_zoom->window().duration()) / 10.0);
        if (!m_lastWheel.isValid() || m_lastWheel.elapsed() > kGestureGapMs)
            m_zoom->beginGesture();
        m_lastWheel.start();
        m_zoom->pan(ns);
        event->accept();
        return;
    }
    emit verticalScrollRequested(-delta.y() / 120 * m_lanes->rowHeight() * 2);
    event->accept();
}

void TimelineWidget::mousePressEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return QWidget::mousePressEvent(event);
    m_pressPos = event->position().toPoint();
    m_pressWindow = m_zoom->window();
    m_dragging = false;
    m_drag = (m_pressPos.y() < kAxisHeight || event->modifiers() & Qt::ShiftModifier) ? Drag::Select
                                                                                      : Drag::Pan;
}

void TimelineWidget::mouseMoveEvent(QMouseEvent *event)
{
    const QPoint pos = event->position().toPoint();
    if (m_drag == Drag::None || !(event->buttons() & Qt::LeftButton)) {
        const qint32 hover = infoAt(pos);
        if (hover != m_hoverInfo) {
            m_hoverInfo = hover;
            setCursor(hover >= 0 ? Qt::PointingHandCursor : Qt::ArrowCursor);
            update();
        }
        return;
    }
    if (!m_dragging && (pos - m_pressPos).manhattanLength() < kDragThreshold)
        return;
    if (!m_dragging) {
        m_dragging = true;
        if (m_drag == Drag::Pan) {
            m_zoom->beginGesture();
            setCursor(Qt::ClosedHandCursor);
        }
    }
    if (m_drag == Drag::Pan) {
        const double perPixel
            = double(m_pressWindow.duration()) / double(std::max(1, tracksWidth()));
        const qint64 delta = qint64(std::llround(double(m_pressPos.x() - pos.x()) * perPixel));
        m_zoom->adjustWindow(timeline::panned(m_pressWindow, delta));
    } else {
        const qint64 a = timeline::xToTime(m_pressPos.x(), m_pressWindow, tracksWidth());
        const qint64 b = timeline::xToTime(pos.x(), m_pressWindow, tracksWidth());
        m_zoom->setSelection({std::min(a, b), std::max(a, b)});
    }
}

void TimelineWidget::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton || m_drag == Drag::None)
        return QWidget::mouseReleaseEvent(event);
    const Drag drag = std::exchange(m_drag, Drag::None);
    setCursor(Qt::ArrowCursor);
    if (m_dragging) {
        m_dragging = false;
        return;
    }
    // A click.
    if (drag == Drag::Select) {
        m_zoom->clearSelection();
        return;
    }
    const qint32 info = infoAt(event->position().toPoint());
    const TimelineData &data = m_session->data();
    if (info < 0 || (data.info(info).flags & TimelineData::Summary)) {
        if (info >= 0) {
            // A summary: zoom in on it rather than select something that is not a span.
            const TimelineData::Info &s = data.info(info);
            m_zoom->setWindow(
                {s.startNs - (s.endNs - s.startNs) / 4, s.endNs + (s.endNs - s.startNs) / 4 + 1});
            return;
        }
        m_selection->clear(this);
        return;
    }
    const TimelineData::Info &i = data.info(info);
    m_selection->select(data.traceIds().value(i.trace), data.spanIdHex(i), this, i.startNs);
}

void TimelineWidget::mouseDoubleClickEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return;
    const QPoint pos = event->position().toPoint();
    const timeline::TimeWindow sel = m_zoom->selection();
    if (sel.isValid() && (pos.y() < kAxisHeight || sel.contains(timeAtX(pos.x())))) {
        m_zoom->zoomToSelection();
        m_zoom->clearSelection();
        return;
    }
    const qint32 info = infoAt(pos);
    if (info < 0)
        return;
    const TimelineData &data = m_session->data();
    const TimelineData::Info &i = data.info(info);
    timeline::TimeWindow w {i.startNs, i.endNs};
    if (i.trace >= 0) {
        m_selection->select(data.traceIds().value(i.trace), data.spanIdHex(i), this, i.startNs);
        w = data.traceWindow(i.trace);
    }
    const qint64 pad = std::max<qint64>(w.duration() / 10, timeline::kMinWindowNs);
    m_zoom->setWindow({w.start - pad, w.end + pad});
}

void TimelineWidget::leaveEvent(QEvent *event)
{
    if (m_hoverInfo >= 0) {
        m_hoverInfo = -1;
        update();
    }
    QWidget::leaveEvent(event);
}

void TimelineWidget::keyPressEvent(QKeyEvent *event)
{
    const timeline::TimeWindow w = m_zoom->window();
    const qint64 centre = w.start + w.duration() / 2;
    switch (event->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        m_zoom->zoomAround(centre, kWheelZoomStep);
        break;
    case Qt::Key_Minus:
        m_zoom->zoomAround(centre, 1 / kWheelZoomStep);
        break;
    case Qt::Key_Left:
        m_zoom->pan(-w.duration() / 8);
        break;
    case Qt::Key_Right:
        m_zoom->pan(w.duration() / 8);
        break;
    case Qt::Key_Escape:
        m_zoom->clearSelection();
        m_selection->clear(this);
        break;
    default:
        QWidget::keyPressEvent(event);
        return;
    }
    event->accept();
}

void TimelineWidget::onSelectionChanged(const QByteArray &, const QByteArray &, QObject *origin)
{
    resolveSelection();
    invalidate();
    if (origin == this || m_selection->isEmpty())
        return;
    // Selected elsewhere (a log line): bring the span into view.
    const timeline::TimeWindow w = m_zoom->window();
    qint64 start = m_selection->hintNs();
    qint64 end = start;
    if (m_selectedInfo >= 0) {
        const TimelineData::Info &i = m_session->data().info(m_selectedInfo);
        start = i.startNs;
        end = i.endNs;
    }
    if (start == 0 || !w.isValid())
        return;
    if (end < w.start || start > w.end) {
        const qint64 mid = start + (end - start) / 2;
        m_zoom->setWindow({mid - w.duration() / 2, mid - w.duration() / 2 + w.duration()});
    }
}

void TimelineWidget::resolveSelection()
{
    const TimelineData &data = m_session->data();
    m_selectedTrace = m_selection->isEmpty() ? -1 : data.traceIndex(m_selection->traceId());
    m_selectedInfo = -1;
    if (!m_selection->spanId().isEmpty())
        m_selectedInfo = data.findSpan(TimelineData::parseSpanId(m_selection->spanId()));
    if (m_hoverInfo >= data.infoCount())
        m_hoverInfo = -1;
}

} // namespace tarmac
