#pragma once

#include "ui/timelinecoordinates.h"

#include <QList>
#include <QObject>

namespace tarmac {

// Where the timeline looks: the session's extent, the visible window, the selected time
// range, whether the window follows live data, and the back/forward history of windows.
// The axis, the tracks, the overview and the loader all watch this one object, so a zoom
// from any of them moves every view the same way.
//
// It holds no data and paints nothing. Windows are kept inside the session (with a margin of
// half a window on each side) once the session is known.
class ZoomState : public QObject
{
    Q_OBJECT
public:
    using TimeWindow = timeline::TimeWindow;

    explicit ZoomState(QObject *parent = nullptr);

    TimeWindow session() const { return m_session; }
    TimeWindow window() const { return m_window; }
    TimeWindow selection() const { return m_selection; }
    bool followLive() const { return m_followLive; }
    bool canGoBack() const { return !m_back.isEmpty(); }
    bool canGoForward() const { return !m_forward.isEmpty(); }

    // The recorded session grew (or was loaded). While following live, the window slides so
    // that its end shows the newest data.
    void setSession(const TimeWindow &session);
    // Forgets the session, the selection and the history (another project was opened).
    void reset();

    // Navigation: the current window goes on the back history and the forward history is
    // cleared. Panning this way stops following live.
    void setWindow(const TimeWindow &window);
    // One step of a gesture (drag, wheel burst): no history entry; beginGesture() records
    // one for the whole gesture.
    void beginGesture();
    void adjustWindow(const TimeWindow &window);

    // Ctrl+wheel: scales around `anchor`. While following live the anchor is the window's
    // end, so zooming does not leave the live edge.
    void zoomAround(qint64 anchor, double factor);
    void pan(qint64 deltaNs);
    void zoomToFit();

    void setSelection(const TimeWindow &selection);
    void clearSelection() { setSelection({}); }
    void zoomToSelection();

    void setFollowLive(bool follow);
    void back();
    void forward();

signals:
    void sessionChanged(const tarmac::timeline::TimeWindow &session);
    void windowChanged(const tarmac::timeline::TimeWindow &window);
    void selectionChanged(const tarmac::timeline::TimeWindow &selection);
    void followLiveChanged(bool follow);
    void historyChanged();

private:
    TimeWindow constrained(const TimeWindow &w) const;
    void apply(const TimeWindow &w);
    TimeWindow liveWindow(qint64 duration) const;
    void pushBack();

    TimeWindow m_session;
    TimeWindow m_window;
    TimeWindow m_selection;
    bool m_followLive = true;
    QList<TimeWindow> m_back;
    QList<TimeWindow> m_forward;
};

} // namespace tarmac
