#pragma once

#include "ui/timelinegeometry.h"

#include <QElapsedTimer>
#include <QWidget>

namespace tarmac {

class LaneModel;
class SpanSelection;
class TimelineSession;
class ZoomState;

// The one widget that paints the timeline: the time axis along the top and every lane's
// spans below it, from TimelineSession's flat arrays. Geometry is rebuilt only when the
// window, the size, the data, the lanes or the selection change; hovering repaints from the
// cached geometry.
//
// Ctrl+wheel zooms around the time under the cursor, Shift+wheel and dragging pan, dragging
// on the axis (or Shift+drag) selects a time range, a click selects the span under the
// cursor (its trace is highlighted, everything else dimmed), a double-click zooms to that
// span's trace. A plain wheel scrolls the lanes (the lane list owns the vertical scroll).
class TimelineWidget : public QWidget
{
    Q_OBJECT
public:
    static constexpr int kAxisHeight = 28;

    TimelineWidget(ZoomState *zoom, TimelineSession *session, LaneModel *lanes,
        SpanSelection *selection, QWidget *parent = nullptr);

    void setScrollY(int y);
    int scrollY() const { return m_scrollY; }
    void setEmptyText(const QString &text);

    // The span (TimelineData Info index) drawn at `pos`, or -1.
    qint32 infoAt(const QPoint &pos) const;
    QString toolTipFor(qint32 info) const;
    // The geometry of the current frame (built if needed).
    const TimelineGeometry &frameGeometry();

    QSize sizeHint() const override { return {900, 360}; }

signals:
    void verticalScrollRequested(int deltaPixels);

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    bool event(QEvent *event) override;

private:
    void invalidate();
    void onSelectionChanged(const QByteArray &traceId, const QByteArray &spanId, QObject *origin);
    void resolveSelection();
    void paintAxis(QPainter &p);
    void paintLanes(QPainter &p);
    void paintOverlays(QPainter &p);
    QRect boxOf(qint32 info) const;
    int tracksWidth() const { return width(); }
    qint64 timeAtX(double x) const;

    ZoomState *m_zoom;
    TimelineSession *m_session;
    LaneModel *m_lanes;
    SpanSelection *m_selection;

    TimelineGeometry m_geometry;
    bool m_dirty = true;
    int m_scrollY = 0;
    QString m_emptyText;

    int m_selectedTrace = -1;
    qint32 m_selectedInfo = -1;
    qint32 m_hoverInfo = -1;

    enum class Drag { None, Pan, Select };
    Drag m_drag = Drag::None;
    bool m_dragging = false;
    QPoint m_pressPos;
    timeline::TimeWindow m_pressWindow;
    QElapsedTimer m_lastWheel;
};

} // namespace tarmac
