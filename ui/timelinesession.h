#pragma once

#include "ui/sessionhistogram.h"
#include "ui/timelinedata.h"

#include <QObject>
#include <QTimer>

namespace tarmac {

class LaneModel;
class QueryRunner;
class ZoomState;

// Keeps the timeline's data in step with the store and the view: it loads what the window
// needs off the GUI thread (span by span when the window holds few enough spans, summarised
// per pixel column when it does not), appends live batches at the live edge, and keeps the
// overview's histogram. Stores small enough to fit are loaded whole once and then never
// queried again; larger ones are queried per window, and a live session drops what scrolled
// far out of view, so memory stays bounded however long Tarmac runs.
//
// It paints nothing and never touches SQLite itself (QueryRunner does, on its thread).
class TimelineSession : public QObject
{
    Q_OBJECT
public:
    struct Limits
    {
        qsizetype detailCap = 150'000; // spans loaded one by one at most
        int reloadDelayMs = 40; // a burst of zoom steps makes one query
    };

    TimelineSession(
        ZoomState *zoom, LaneModel *lanes, QueryRunner *runner, QObject *parent = nullptr);

    void setLimits(const Limits &limits) { m_limits = limits; }
    const TimelineData &data() const { return m_data; }
    const SessionHistogram &histogram() const { return m_histogram; }
    bool isLoading() const { return m_loading; }
    // Every span of the session is in data(), one by one.
    bool isComplete() const { return m_complete; }

    // The tracks' width in pixels: how fine a summary must be.
    void setViewportWidth(int width);

    // Loads the session from the runner's (newly opened) store.
    void reload();
    void clear();
    // A live batch (already coalesced by LiveFeed).
    void addLive(const QList<tarmac::Span> &spans, const QList<tarmac::LogRecord> &logs);

signals:
    void dataChanged();
    void histogramChanged();
    void loadingChanged(bool loading);
    void failed(const QString &message);

private:
    void onWindowChanged();
    bool needsReload() const;
    void loadWindow();
    void adopt(TimelineData data, bool complete);
    void setLoading(bool loading);
    void trimLive();

    ZoomState *m_zoom;
    LaneModel *m_lanes;
    QueryRunner *m_runner;
    Limits m_limits;
    TimelineData m_data;
    SessionHistogram m_histogram;
    QTimer m_reloadTimer;
    int m_width = 1000;
    bool m_complete = false;
    bool m_loading = false;
    bool m_loadedToLiveEdge = true; // the data reaches the newest span: live spans join it
    // Live batches that arrived while a load was running: the load may not contain them.
    QList<QList<tarmac::Span>> m_pendingSpans;
    QList<QList<tarmac::LogRecord>> m_pendingLogs;
    timeline::TimeWindow m_extent; // of everything seen, queried or live
};

} // namespace tarmac
