#include "ui/timelinesession.h"

#include "ui/lanemodel.h"
#include "ui/queryrunner.h"
#include "ui/zoomstate.h"

#include <optional>

namespace tarmac {

namespace {

struct InitialLoad
{
    TraceQuery::Extent extent;
    qint64 binNs = 0;
    TraceQuery::Histogram histogram;
    std::optional<TimelineData> all; // the whole store, when it is small enough
};

constexpr qsizetype kLogTickLimit = 200'000;

Error noStore()
{
    return makeError(QStringLiteral("NoStore"), QStringLiteral("the trace store is not open yet"));
}

} // namespace

TimelineSession::TimelineSession(
    ZoomState *zoom, LaneModel *lanes, QueryRunner *runner, QObject *parent)
    : QObject(parent)
    , m_zoom(zoom)
    , m_lanes(lanes)
    , m_runner(runner)
{
    m_reloadTimer.setSingleShot(true);
    connect(&m_reloadTimer, &QTimer::timeout, this, &TimelineSession::loadWindow);
    connect(m_zoom, &ZoomState::windowChanged, this, &TimelineSession::onWindowChanged);
}

void TimelineSession::setViewportWidth(int width)
{
    if (width <= 0 || width == m_width)
        return;
    m_width = width;
    onWindowChanged();
}

void TimelineSession::setLoading(bool loading)
{
    if (loading == m_loading)
        return;
    m_loading = loading;
    emit loadingChanged(loading);
}

void TimelineSession::clear()
{
    m_runner->cancel(QueryRunner::Extent);
    m_runner->cancel(QueryRunner::Window);
    m_reloadTimer.stop();
    m_data = TimelineData();
    m_histogram.clear();
    m_extent = {};
    m_complete = false;
    m_loadedToLiveEdge = true;
    m_pendingSpans.clear();
    m_pendingLogs.clear();
    setLoading(false);
    emit dataChanged();
    emit histogramChanged();
}

void TimelineSession::reload()
{
    m_pendingSpans.clear();
    m_pendingLogs.clear();
    setLoading(true);
    const qsizetype cap = m_limits.detailCap;
    m_runner->run<Result<InitialLoad>>(
        QueryRunner::Extent, this,
        [cap](TraceQuery *q, const QueryRunner::Cancelled &cancelled) -> Result<InitialLoad> {
            if (!q)
                return noStore();
            InitialLoad load;
            auto extent = q->extent();
            if (!extent)
                return extent.error();
            load.extent = *extent;
            if (load.extent.spanCount == 0)
                return load;
            load.binNs = SessionHistogram::binWidthFor(load.extent.startNs, load.extent.endNs);
            auto h = q->histogram(load.extent.startNs,
                load.extent.startNs + load.binNs * SessionHistogram::kBins,
                SessionHistogram::kBins);
            if (!h)
                return h.error();
            load.histogram = std::move(*h);
            if (load.extent.spanCount > cap)
                return load;
            TimelineData all;
            all.beginAppend();
            auto scanned = q->scanSpans(
                load.extent.startNs, load.extent.endNs, -1, [&](const TraceQuery::SpanSummary &s) {
                    all.append(s);
                    return !cancelled();
                });
            if (!scanned)
                return scanned.error();
            all.endAppend();
            TraceQuery::LogQuery logs;
            logs.limit = kLogTickLimit;
            logs.newest = true;
            if (auto l = q->logs(logs))
                all.addLogs(*l);
            all.setLoadedWindow({load.extent.startNs, load.extent.endNs});
            load.all = std::move(all);
            return load;
        },
        [this](Result<InitialLoad> result) {
            if (!result) {
                // No store yet (the engine is still starting): the live feed fills in.
                m_complete = true;
                setLoading(false);
                if (result.error().code != QLatin1String("NoStore"))
                    emit failed(result.error().message);
                return;
            }
            InitialLoad &load = *result;
            if (load.extent.spanCount + load.extent.logCount > 0) {
                const timeline::TimeWindow e {
                    load.extent.startNs, std::max(load.extent.endNs, load.extent.startNs + 1)};
                m_extent = m_extent.isValid()
                    ? timeline::TimeWindow {std::min(m_extent.start, e.start),
                        std::max(m_extent.end, e.end)}
                    : e;
            }
            if (load.extent.spanCount > 0)
                m_histogram.assign(
                    load.extent.startNs, load.binNs, load.histogram.counts, load.histogram.errors);
            if (load.all) {
                adopt(std::move(*load.all), true);
            } else if (load.extent.spanCount == 0) {
                adopt(TimelineData(), true);
            } else {
                m_complete = false;
            }
            // Live batches seen meanwhile are either in the load or after it.
            const auto spans = std::exchange(m_pendingSpans, {});
            const auto logs = std::exchange(m_pendingLogs, {});
            setLoading(false);
            for (qsizetype i = 0; i < spans.size(); ++i)
                addLive(spans[i], logs.value(i));
            if (m_extent.isValid())
                m_zoom->setSession(m_extent);
            emit histogramChanged();
            if (!m_complete)
                loadWindow();
        });
}

bool TimelineSession::needsReload() const
{
    if (m_complete)
        return false;
    const timeline::TimeWindow w = m_zoom->window();
    if (!w.isValid())
        return false;
    const timeline::TimeWindow loaded = m_data.loadedWindow();
    if (!loaded.isValid())
        return true;
    if (w.start < loaded.start || (w.end > loaded.end && !m_loadedToLiveEdge))
        return true;
    if (!m_data.isDetailed()) {
        const qint64 perPixel = timeline::nsPerPixel(w, m_width);
        const qint64 bucket = m_data.summaryBucketNs();
        // Zoomed in past the summary's resolution, or out so far that it is too fine.
        if (bucket > 2 * perPixel || bucket * 8 < perPixel)
            return true;
    }
    return false;
}

void TimelineSession::onWindowChanged()
{
    if (needsReload())
        m_reloadTimer.start(m_limits.reloadDelayMs);
}

void TimelineSession::loadWindow()
{
    const timeline::TimeWindow w = m_zoom->window();
    if (!w.isValid())
        return;
    // One window either side, so that a pan does not query at once.
    timeline::TimeWindow loaded {w.start - w.duration(), w.end + w.duration()};
    const bool toLiveEdge = m_zoom->followLive() || loaded.end >= m_extent.end;
    if (toLiveEdge)
        loaded.end = std::max(loaded.end, m_extent.end);
    const qint64 bucket = timeline::nsPerPixel(w, m_width);
    const qsizetype cap = m_limits.detailCap;
    m_pendingSpans.clear();
    m_pendingLogs.clear();
    setLoading(true);
    m_runner->run<Result<TimelineData>>(
        QueryRunner::Window, this,
        [loaded, bucket, cap](
            TraceQuery *q, const QueryRunner::Cancelled &cancelled) -> Result<TimelineData> {
            if (!q)
                return noStore();
            TimelineData d;
            auto count = q->countStarting(loaded.start, loaded.end);
            if (!count)
                return count.error();
            if (*count <= cap) {
                d.beginAppend();
                auto scanned = q->scanSpans(
                    loaded.start, loaded.end, cap * 2, [&](const TraceQuery::SpanSummary &s) {
                        d.append(s);
                        return !cancelled();
                    });
                if (!scanned)
                    return scanned.error();
                d.endAppend();
                TraceQuery::LogQuery logs;
                logs.fromNs = loaded.start;
                logs.toNs = loaded.end;
                logs.limit = kLogTickLimit;
                if (auto l = q->logs(logs))
                    d.addLogs(*l);
            } else {
                auto buckets = q->aggregateSpans(loaded.start, loaded.end, bucket);
                if (!buckets)
                    return buckets.error();
                d.addSummaries(*buckets, bucket);
            }
            d.setLoadedWindow(loaded);
            return d;
        },
        [this, toLiveEdge](Result<TimelineData> result) {
            setLoading(false);
            if (!result) {
                if (result.error().code != QLatin1String("NoStore"))
                    emit failed(result.error().message);
                return;
            }
            m_loadedToLiveEdge = toLiveEdge;
            adopt(std::move(*result), false);
            const auto spans = std::exchange(m_pendingSpans, {});
            const auto logs = std::exchange(m_pendingLogs, {});
            for (qsizetype i = 0; i < spans.size(); ++i)
                addLive(spans[i], logs.value(i));
        });
}

void TimelineSession::adopt(TimelineData data, bool complete)
{
    m_lanes->adopt(data);
    m_data = std::move(data);
    m_complete = complete;
    if (complete)
        m_loadedToLiveEdge = true;
    emit dataChanged();
}

void TimelineSession::addLive(const QList<Span> &spans, const QList<LogRecord> &logs)
{
    if (spans.isEmpty() && logs.isEmpty())
        return;
    qint64 lo = std::numeric_limits<qint64>::max();
    qint64 hi = std::numeric_limits<qint64>::min();
    for (const Span &s : spans) {
        if (!m_loading)
            m_histogram.add(s.startNs, s.statusCode == SpanStatusError);
        lo = std::min(lo, s.startNs);
        hi = std::max(hi, std::max(s.startNs, s.endNs));
    }
    for (const LogRecord &l : logs) {
        lo = std::min(lo, l.timeNs);
        hi = std::max(hi, l.timeNs);
    }
    if (m_extent.isValid())
        m_extent = {std::min(m_extent.start, lo), std::max(m_extent.end, hi)};
    else
        m_extent = {lo, std::max(hi, lo + 1)};

    if (m_loading) {
        // Replayed when the load lands: it may or may not contain them.
        m_pendingSpans.append(spans);
        m_pendingLogs.append(logs);
    }
    if (m_complete || m_loadedToLiveEdge) {
        m_data.addSpans(spans);
        m_data.addLogs(logs);
        timeline::TimeWindow loaded = m_data.loadedWindow();
        if (!loaded.isValid())
            loaded = m_extent;
        loaded.end = std::max(loaded.end, m_extent.end);
        m_data.setLoadedWindow(loaded);
        trimLive();
        m_lanes->updateRows(m_data);
        emit dataChanged();
    }
    if (!m_loading)
        emit histogramChanged();
    m_zoom->setSession(m_extent);
}

void TimelineSession::trimLive()
{
    if (m_data.size() <= m_limits.detailCap + m_limits.detailCap / 4)
        return;
    m_complete = false;
    if (!m_zoom->followLive()) {
        // The user reads older data: stop growing it; panning to the edge reloads.
        m_loadedToLiveEdge = false;
        return;
    }
    const timeline::TimeWindow w = m_zoom->window();
    m_data.dropBefore(w.start - w.duration());
    if (m_data.size() > m_limits.detailCap)
        m_reloadTimer.start(m_limits.reloadDelayMs); // the window itself is too full: summarise
}

} // namespace tarmac
