#include "ui/timelinedata.h"

#include <algorithm>
#include <numeric>

namespace tarmac {

namespace {

// Sort order of items: by start, the longer first on equal starts (a parent before the
// children that start with it), then by arrival.
struct ItemKey
{
    qint64 start;
    qint64 end;
    quint32 info;
    bool operator<(const ItemKey &o) const
    {
        if (start != o.start)
            return start < o.start;
        if (end != o.end)
            return end > o.end;
        return info < o.info;
    }
};

} // namespace

TimelineData::Colour TimelineData::colourFor(const QString &service, const QString &function)
{
    if (!function.isEmpty() || service == QLatin1String("lambda"))
        return ColourFunction;
    if (service == QLatin1String("apigateway") || service == QLatin1String("api"))
        return ColourApi;
    if (service == QLatin1String("s3"))
        return ColourS3;
    if (service == QLatin1String("sqs") || service == QLatin1String("sns"))
        return ColourQueue;
    if (service == QLatin1String("dynamodb"))
        return ColourTable;
    if (service == QLatin1String("scheduler") || service == QLatin1String("events"))
        return ColourSchedule;
    if (service == QLatin1String("tarmac"))
        return ColourTarmac;
    return ColourOther;
}

quint64 TimelineData::parseSpanId(QByteArrayView hex)
{
    if (hex.isEmpty() || hex.size() > 16)
        return 0;
    quint64 v = 0;
    for (const char c : hex) {
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return 0;
        v = v << 4 | quint64(d);
    }
    return v;
}

QByteArray TimelineData::spanIdHex(const Info &info) const
{
    if (info.spanId == 0)
        return {};
    return QByteArray::number(info.spanId, 16).rightJustified(16, '0');
}

int TimelineData::laneFor(const QString &service, const QString &function)
{
    const LaneKey key {service, function};
    const QString k = key.key();
    auto it = m_laneIndex.constFind(k);
    if (it != m_laneIndex.constEnd())
        return *it;
    const int lane = int(m_laneKeys.size());
    m_laneKeys.append(key);
    m_laneIndex.insert(k, lane);
    m_laneRows.append(0);
    return lane;
}

int TimelineData::internName(const QString &name)
{
    auto it = m_nameIndex.constFind(name);
    if (it != m_nameIndex.constEnd())
        return *it;
    const int i = int(m_names.size());
    m_names.append(name);
    m_nameIndex.insert(name, i);
    return i;
}

int TimelineData::internTrace(const QByteArray &traceId)
{
    if (traceId.isEmpty())
        return -1;
    auto it = m_traceIndex.constFind(traceId);
    if (it != m_traceIndex.constEnd())
        return *it;
    const int i = int(m_traceIds.size());
    m_traceIds.append(traceId);
    m_traceIndex.insert(traceId, i);
    return i;
}

quint32 TimelineData::addInfo(Info info)
{
    const quint32 index = quint32(m_infos.size());
    if (info.spanId != 0)
        m_spanIndex.insert(info.spanId, qint32(index));
    m_spanCount += info.count;
    m_infos.push_back(info);
    m_pending.push_back({info.startNs, info.endNs, index});
    return index;
}

void TimelineData::beginAppend()
{
    m_pending.clear();
}

void TimelineData::append(const TraceQuery::SpanSummary &s)
{
    Info info;
    info.spanId = parseSpanId(s.spanId);
    // A live batch can repeat spans a query already read: each span is drawn once.
    if (info.spanId != 0 && m_spanIndex.contains(info.spanId))
        return;
    info.startNs = s.startNs;
    info.endNs = std::max(s.startNs, s.endNs);
    info.parentId = parseSpanId(s.parentSpanId);
    info.trace = internTrace(s.traceId);
    info.name = internName(s.name);
    info.lane = quint16(laneFor(s.service, s.function));
    info.flags = (s.statusCode == SpanStatusError ? Error : 0) | (info.parentId == 0 ? Root : 0);
    info.errors = s.statusCode == SpanStatusError ? 1 : 0;
    addInfo(info);
}

void TimelineData::endAppend()
{
    mergePending();
}

void TimelineData::addSpans(const QList<Span> &spans)
{
    beginAppend();
    TraceQuery::SpanSummary s;
    for (const Span &span : spans) {
        s.traceId = span.traceId;
        s.spanId = span.spanId;
        s.parentSpanId = span.parentSpanId;
        s.name = span.name;
        s.service = span.service;
        s.function = TraceQuery::functionOf(span);
        s.kind = span.kind;
        s.startNs = span.startNs;
        s.endNs = span.endNs;
        s.statusCode = span.statusCode;
        append(s);
    }
    endAppend();
}

void TimelineData::addSummaries(const QList<TraceQuery::SpanBucket> &buckets, qint64 bucketNs)
{
    beginAppend();
    for (const auto &b : buckets) {
        Info info;
        info.startNs = b.startNs;
        info.endNs = std::max(b.startNs, b.endNs);
        info.count = quint32(std::min<qint64>(b.count, std::numeric_limits<quint32>::max()));
        info.errors = quint32(std::min<qint64>(b.errors, std::numeric_limits<quint32>::max()));
        info.lane = quint16(laneFor(b.service, b.function));
        info.flags = Summary | (b.errors > 0 ? Error : 0);
        addInfo(info);
        ++m_summaries;
    }
    m_summaryBucketNs = std::max(m_summaryBucketNs, bucketNs);
    endAppend();
}

void TimelineData::mergePending()
{
    if (m_pending.empty())
        return;
    std::vector<ItemKey> incoming;
    incoming.reserve(m_pending.size());
    for (const Pending &p : m_pending)
        incoming.push_back({p.startNs, p.endNs, p.info});
    m_pending.clear();
    std::sort(incoming.begin(), incoming.end());

    // Everything before the first incoming key stays where it is; only the tail is merged.
    const ItemKey &firstNew = incoming.front();
    qsizetype p = size();
    {
        qsizetype lo = 0, hi = size();
        while (lo < hi) {
            const qsizetype mid = (lo + hi) / 2;
            const ItemKey k {m_start[mid], m_end[mid], m_info[mid]};
            if (firstNew < k)
                hi = mid;
            else
                lo = mid + 1;
        }
        p = lo;
    }

    std::vector<ItemKey> tail;
    tail.reserve(size_t(size() - p) + incoming.size());
    std::vector<ItemKey> old;
    old.reserve(size_t(size() - p));
    for (qsizetype i = p; i < size(); ++i)
        old.push_back({m_start[i], m_end[i], m_info[i]});
    std::merge(old.begin(), old.end(), incoming.begin(), incoming.end(), std::back_inserter(tail));

    const size_t n = size_t(p) + tail.size();
    m_start.resize(n);
    m_end.resize(n);
    m_maxEnd.resize(n);
    m_lane.resize(n);
    m_row.resize(n);
    m_colour.resize(n);
    m_flags.resize(n);
    m_info.resize(n);
    for (size_t k = 0; k < tail.size(); ++k) {
        const size_t i = size_t(p) + k;
        const Info &info = m_infos[tail[k].info];
        m_start[i] = info.startNs;
        m_end[i] = info.endNs;
        m_lane[i] = info.lane;
        const LaneKey &lane = m_laneKeys[info.lane];
        m_colour[i] = quint8(colourFor(lane.service, lane.function));
        m_flags[i] = info.flags;
        m_info[i] = tail[k].info;
        m_maxEnd[i]
            = std::max(i > 0 ? m_maxEnd[i - 1] : std::numeric_limits<qint64>::min(), info.endNs);
    }
    assignRows(p);

    // Log lines recorded before their span can now find it.
    const qint64 from = incoming.front().start;
    qint64 to = from;
    for (const ItemKey &k : incoming)
        to = std::max(to, k.end);
    auto it = std::lower_bound(m_logs.begin(), m_logs.end(), from,
        [](const LogTick &t, qint64 v) { return t.timeNs < v; });
    for (; it != m_logs.end() && it->timeNs <= to; ++it) {
        if (it->info >= 0 || m_logSpans.empty())
            continue;
        const quint64 id = m_logSpans[size_t(it - m_logs.begin())];
        const qint32 info = findSpan(id);
        if (info >= 0) {
            it->info = info;
            it->lane = m_infos[size_t(info)].lane;
        }
    }
}

void TimelineData::assignRows(qsizetype from)
{
    if (from >= size())
        return;
    const qint64 start0 = m_start[size_t(from)];
    // Items before j0 all end by start0: they cannot occupy a row any more.
    const qsizetype j0 = qsizetype(
        std::upper_bound(m_maxEnd.begin(), m_maxEnd.begin() + from, start0) - m_maxEnd.begin());
    std::vector<qint64> rowEnd(
        size_t(m_laneKeys.size()) * kMaxRows, std::numeric_limits<qint64>::min());
    const auto slot = [&](int lane, int row) -> qint64 & {
        return rowEnd[size_t(lane) * kMaxRows + size_t(row)];
    };
    for (qsizetype i = j0; i < from; ++i) {
        qint64 &e = slot(m_lane[i], m_row[i]);
        e = std::max(e, m_end[i]);
    }
    for (qsizetype i = from; i < size(); ++i) {
        const int lane = m_lane[i];
        int row = 0;
        if (!(m_flags[i] & Summary)) {
            int best = 0;
            for (row = 0; row < kMaxRows; ++row) {
                if (slot(lane, row) <= m_start[i])
                    break;
                if (slot(lane, row) < slot(lane, best))
                    best = row;
            }
            if (row == kMaxRows)
                row = best; // more overlap than rows: share the least busy one
        }
        m_row[i] = quint8(row);
        m_infos[m_info[i]].row = quint8(row);
        qint64 &e = slot(lane, row);
        e = std::max(e, m_end[i]);
        m_laneRows[lane] = std::max(m_laneRows[lane], row + 1);
    }
}

void TimelineData::addLogs(const QList<LogRecord> &logs)
{
    if (logs.isEmpty())
        return;
    std::vector<std::pair<LogTick, quint64>> incoming;
    incoming.reserve(size_t(logs.size()));
    for (const LogRecord &l : logs) {
        LogTick t;
        t.timeNs = l.timeNs;
        t.severity = quint8(std::clamp(l.severity, 0, 255));
        const quint64 spanId = parseSpanId(l.spanId);
        t.info = spanId ? findSpan(spanId) : -1;
        if (t.info >= 0) {
            t.lane = m_infos[size_t(t.info)].lane;
        } else {
            // Not loaded (yet): the function's lane, if it has one.
            int lane = m_laneIndex.value(QStringLiteral("fn:") + l.source, -1);
            if (lane < 0)
                lane = laneFor(QStringLiteral("lambda"), l.source);
            t.lane = quint16(lane);
        }
        incoming.push_back({t, spanId});
    }
    std::stable_sort(incoming.begin(), incoming.end(),
        [](const auto &a, const auto &b) { return a.first.timeNs < b.first.timeNs; });
    const size_t oldSize = m_logs.size();
    m_logs.reserve(oldSize + incoming.size());
    m_logSpans.resize(oldSize);
    for (const auto &[tick, id] : incoming) {
        m_logs.push_back(tick);
        m_logSpans.push_back(id);
    }
    if (oldSize > 0 && m_logs[oldSize].timeNs < m_logs[oldSize - 1].timeNs) {
        std::vector<size_t> order(m_logs.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(),
            [this](size_t a, size_t b) { return m_logs[a].timeNs < m_logs[b].timeNs; });
        std::vector<LogTick> ticks;
        std::vector<quint64> spans;
        ticks.reserve(order.size());
        spans.reserve(order.size());
        for (size_t i : order) {
            ticks.push_back(m_logs[i]);
            spans.push_back(m_logSpans[i]);
        }
        m_logs.swap(ticks);
        m_logSpans.swap(spans);
    }
}

QList<qint32> TimelineData::traceItems(int trace) const
{
    QList<qint32> out;
    if (trace < 0)
        return out;
    for (size_t i = 0; i < m_info.size(); ++i) {
        if (m_infos[m_info[i]].trace == trace)
            out.append(qint32(m_info[i]));
    }
    return out;
}

timeline::TimeWindow TimelineData::traceWindow(int trace) const
{
    timeline::TimeWindow w;
    bool any = false;
    for (const Info &info : m_infos) {
        if (info.trace != trace)
            continue;
        w.start = any ? std::min(w.start, info.startNs) : info.startNs;
        w.end = any ? std::max(w.end, info.endNs) : info.endNs;
        any = true;
    }
    return w;
}

void TimelineData::remapLanes(const QList<int> &map, const QList<LaneKey> &keys)
{
    for (quint16 &lane : m_lane)
        lane = quint16(map.value(lane, lane));
    for (Info &info : m_infos)
        info.lane = quint16(map.value(info.lane, info.lane));
    for (LogTick &t : m_logs)
        t.lane = quint16(map.value(t.lane, t.lane));
    QList<int> rows(keys.size(), 0);
    for (qsizetype old = 0; old < m_laneRows.size(); ++old) {
        const int to = map.value(old, int(old));
        if (to < rows.size())
            rows[to] = std::max(rows[to], m_laneRows[old]);
    }
    m_laneRows = rows;
    m_laneKeys = keys;
    m_laneIndex.clear();
    for (qsizetype i = 0; i < keys.size(); ++i)
        m_laneIndex.insert(keys[i].key(), int(i));
}

void TimelineData::dropBefore(qint64 ns)
{
    std::vector<qint32> newIndex(m_infos.size(), -1);
    std::vector<Info> infos;
    infos.reserve(m_infos.size());
    size_t w = 0;
    m_spanIndex.clear();
    m_spanCount = 0;
    m_summaries = 0;
    for (size_t i = 0; i < m_start.size(); ++i) {
        if (m_end[i] < ns)
            continue;
        const quint32 old = m_info[i];
        newIndex[old] = qint32(infos.size());
        infos.push_back(m_infos[old]);
        const Info &info = infos.back();
        if (info.spanId)
            m_spanIndex.insert(info.spanId, newIndex[old]);
        m_spanCount += info.count;
        if (info.flags & Summary)
            ++m_summaries;
        m_start[w] = m_start[i];
        m_end[w] = m_end[i];
        m_lane[w] = m_lane[i];
        m_row[w] = m_row[i];
        m_colour[w] = m_colour[i];
        m_flags[w] = m_flags[i];
        m_info[w] = quint32(newIndex[old]);
        m_maxEnd[w]
            = std::max(w > 0 ? m_maxEnd[w - 1] : std::numeric_limits<qint64>::min(), m_end[w]);
        ++w;
    }
    for (auto *v : {&m_start, &m_end, &m_maxEnd})
        v->resize(w);
    m_lane.resize(w);
    m_row.resize(w);
    m_colour.resize(w);
    m_flags.resize(w);
    m_info.resize(w);
    m_infos.swap(infos);

    // Trace ids are interned per item: keep only those still referenced.
    QList<QByteArray> traces;
    QHash<QByteArray, int> traceIndex;
    for (Info &info : m_infos) {
        if (info.trace < 0)
            continue;
        const QByteArray &id = m_traceIds[info.trace];
        auto it = traceIndex.constFind(id);
        if (it == traceIndex.constEnd()) {
            it = traceIndex.insert(id, int(traces.size()));
            traces.append(id);
        }
        info.trace = *it;
    }
    m_traceIds.swap(traces);
    m_traceIndex.swap(traceIndex);

    const auto firstLog = std::lower_bound(
        m_logs.begin(), m_logs.end(), ns, [](const LogTick &t, qint64 v) { return t.timeNs < v; });
    const size_t dropLogs = size_t(firstLog - m_logs.begin());
    m_logs.erase(m_logs.begin(), firstLog);
    m_logSpans.erase(
        m_logSpans.begin(), m_logSpans.begin() + qsizetype(std::min(dropLogs, m_logSpans.size())));
    for (LogTick &t : m_logs)
        t.info = t.info >= 0 ? newIndex[size_t(t.info)] : -1;
    if (m_loaded.isValid())
        m_loaded.start = std::max(m_loaded.start, ns);
}

} // namespace tarmac
