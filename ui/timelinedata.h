#pragma once

#include "trace/span.h"
#include "trace/tracequery.h"
#include "ui/timelinecoordinates.h"

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include <vector>

namespace tarmac {

// What the timeline draws, as flat arrays sorted by start time (longer first on ties, so a
// parent precedes the children that start with it): start, end, a running maximum of end
// for the binary search of the visible range, lane, row within the lane, colour and flags.
// There is no object per span; per-span details (ids, name) sit in a side table that is
// only read for the few spans under the cursor or selected.
//
// An item is either one span or a summary of many (zoomed out far enough that the window
// holds more spans than can be drawn one by one: TraceQuery::aggregateSpans()). Rows are
// assigned greedily per lane so that nested and concurrent spans stack instead of hiding
// each other; a lane has at most kMaxRows rows.
//
// A value type, built on a worker thread and moved to the GUI; it is not thread-safe and
// knows nothing of widgets or SQLite.
class TimelineData
{
public:
    static constexpr int kMaxRows = 6;

    enum Flag : quint8 {
        Error = 0x1,
        Summary = 0x2,
        Root = 0x4, // no parent span
    };

    // Palette entries (TimelinePalette maps them to colours).
    enum Colour : quint8 {
        ColourApi,
        ColourFunction,
        ColourS3,
        ColourQueue,
        ColourTable,
        ColourSchedule,
        ColourTarmac,
        ColourOther,
        ColourCount
    };

    struct Info
    {
        qint64 startNs = 0;
        qint64 endNs = 0;
        quint64 spanId = 0; // 0 for summaries
        quint64 parentId = 0;
        qint32 trace = -1; // index into traceIds(), -1 for summaries
        qint32 name = -1; // index into names()
        quint32 count = 1; // spans this item stands for
        quint32 errors = 0;
        quint16 lane = 0;
        quint8 row = 0;
        quint8 flags = 0;
    };

    struct LaneKey
    {
        QString service;
        QString function; // non-empty: the lane of one function
        QString key() const
        {
            return function.isEmpty() ? service : QStringLiteral("fn:") + function;
        }
    };

    // Log lines drawn as ticks on the span they belong to.
    struct LogTick
    {
        qint64 timeNs = 0;
        qint32 info = -1; // the span's Info index, or -1 (then drawn at the lane's top row)
        quint16 lane = 0;
        quint8 severity = 0;
    };

    static Colour colourFor(const QString &service, const QString &function);
    static quint64 parseSpanId(QByteArrayView hex);

    qsizetype size() const { return qsizetype(m_start.size()); }
    bool isEmpty() const { return m_start.empty(); }

    // The sorted arrays. Index i refers to the i-th item by start.
    const std::vector<qint64> &starts() const { return m_start; }
    const std::vector<qint64> &ends() const { return m_end; }
    const std::vector<qint64> &maxEnds() const { return m_maxEnd; }
    const std::vector<quint16> &lanes() const { return m_lane; }
    const std::vector<quint8> &rows() const { return m_row; }
    const std::vector<quint8> &colours() const { return m_colour; }
    const std::vector<quint8> &flags() const { return m_flags; }
    const std::vector<quint32> &infoIndexes() const { return m_info; }
    const Info &info(qsizetype infoIndex) const { return m_infos[size_t(infoIndex)]; }
    qsizetype infoCount() const { return qsizetype(m_infos.size()); }
    const Info &infoAt(qsizetype i) const { return m_infos[m_info[size_t(i)]]; }

    const QList<LaneKey> &laneKeys() const { return m_laneKeys; }
    // Rows used per lane (at least 1 for a lane with items).
    int rowCount(int lane) const { return lane < m_laneRows.size() ? m_laneRows[lane] : 0; }
    const QStringList &names() const { return m_names; }
    const QList<QByteArray> &traceIds() const { return m_traceIds; }
    int traceIndex(const QByteArray &traceId) const { return m_traceIndex.value(traceId, -1); }
    QByteArray spanIdHex(const Info &info) const;

    // The Info index of a span, or -1.
    qint32 findSpan(quint64 spanId) const { return m_spanIndex.value(spanId, -1); }
    // Every item of one trace (Info indexes), in start order.
    QList<qint32> traceItems(int trace) const;
    // The extent of a trace's loaded spans.
    timeline::TimeWindow traceWindow(int trace) const;

    const std::vector<LogTick> &logTicks() const { return m_logs; }

    // The window this data was loaded for, and whether every span in it is here one by one
    // (false: some items are summaries; zooming in needs a reload).
    timeline::TimeWindow loadedWindow() const { return m_loaded; }
    void setLoadedWindow(const timeline::TimeWindow &w) { m_loaded = w; }
    bool isDetailed() const { return m_summaries == 0; }
    qint64 summaryBucketNs() const { return m_summaryBucketNs; }
    qsizetype spanCount() const { return m_spanCount; } // spans drawn, summaries counted in full

    // Adds spans (live batches or a query's rows) and summaries; the arrays stay sorted
    // and rows are recomputed only for the part that changed.
    void addSpans(const QList<Span> &spans);
    void addSummaries(const QList<TraceQuery::SpanBucket> &buckets, qint64 bucketNs);
    void addLogs(const QList<LogRecord> &logs);

    // For building from a query without a QList<Span> in between.
    struct Pending
    {
        qint64 startNs;
        qint64 endNs;
        quint32 info;
    };
    void beginAppend();
    void append(const TraceQuery::SpanSummary &span);
    void endAppend();

    // Renumbers lanes: map[old] = new (the GUI keeps one lane numbering per session).
    void remapLanes(const QList<int> &map, const QList<LaneKey> &keys);

    // Drops items that end before `ns`, keeping memory bounded in a long live session.
    void dropBefore(qint64 ns);

private:
    int laneFor(const QString &service, const QString &function);
    int internName(const QString &name);
    int internTrace(const QByteArray &traceId);
    quint32 addInfo(Info info);
    void mergePending();
    void assignRows(qsizetype from);

    std::vector<qint64> m_start;
    std::vector<qint64> m_end;
    std::vector<qint64> m_maxEnd;
    std::vector<quint16> m_lane;
    std::vector<quint8> m_row;
    std::vector<quint8> m_colour;
    std::vector<quint8> m_flags;
    std::vector<quint32> m_info;

    std::vector<Info> m_infos;
    QHash<quint64, qint32> m_spanIndex;
    QList<LaneKey> m_laneKeys;
    QHash<QString, int> m_laneIndex;
    QList<int> m_laneRows;
    QStringList m_names;
    QHash<QString, int> m_nameIndex;
    QList<QByteArray> m_traceIds;
    QHash<QByteArray, int> m_traceIndex;
    std::vector<LogTick> m_logs;
    std::vector<quint64> m_logSpans; // the span id of each tick, to resolve it later

    std::vector<Pending> m_pending;
    timeline::TimeWindow m_loaded;
    qsizetype m_summaries = 0;
    qint64 m_summaryBucketNs = 0;
    qsizetype m_spanCount = 0;
};

} // namespace tarmac
