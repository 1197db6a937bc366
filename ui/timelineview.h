#pragma once

#include <QWidget>

#include <functional>

class QSplitter;
class QTreeView;

namespace tarmac {

class LaneModel;
class SpanSelection;
class TimelineOverview;
class TimelineSession;
class TimelineWidget;
class ZoomState;

// The timeline panel as laid out on screen: the session overview on top, the lane list on the
// left and the tracks on the right, scrolling together vertically. Clicking a lane's name
// folds or unfolds its rows. Layout only: the parts hold the behaviour.
class TimelineView : public QWidget
{
    Q_OBJECT
public:
    TimelineView(ZoomState *zoom, TimelineSession *session, LaneModel *lanes,
        SpanSelection *selection, QWidget *parent = nullptr);

    TimelineWidget *tracks() const { return m_tracks; }
    TimelineOverview *overview() const { return m_overview; }
    QTreeView *laneList() const { return m_lanes; }
    QSplitter *splitter() const { return m_split; }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    std::function<void()> m_syncRange;

    LaneModel *m_model;
    TimelineOverview *m_overview;
    QTreeView *m_lanes;
    TimelineWidget *m_tracks;
    QSplitter *m_split;
};

} // namespace tarmac
