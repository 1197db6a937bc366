#pragma once

#include "ui/timelinecoordinates.h"

#include <QWidget>

namespace tarmac {

class TimelineSession;
class ZoomState;

// The whole session in one strip above the timeline: how many spans started when (failures
// in red) and a frame around the part the timeline shows. Click or drag to move the
// timeline there; Ctrl+wheel zooms it. Paints from SessionHistogram, so it costs the same
// for a minute or a day of data.
class TimelineOverview : public QWidget
{
    Q_OBJECT
public:
    TimelineOverview(ZoomState *zoom, TimelineSession *session, QWidget *parent = nullptr);

    QSize sizeHint() const override { return {900, 44}; }
    QSize minimumSizeHint() const override { return {100, 36}; }
    // The time range the strip spans.
    timeline::TimeWindow range() const;

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;

private:
    void centreOn(int x, bool record);

    ZoomState *m_zoom;
    TimelineSession *m_session;
};

} // namespace tarmac
