#include "ui/timelinegeometry.h"

#include <QFontMetrics>
#include <QPainter>

namespace tarmac {

namespace {

constexpr QRgb kColours[TimelineData::ColourCount] = {
    0x8e6fd6, // API Gateway
    0xf29b30, // functions
    0x43a85a, // S3
    0xde6fa1, // queues
    0x4a8fe0, // tables
    0x2fb0aa, // schedules
    0xa0a6ad, // Tarmac's own endpoints
    0x7b8aa0, // anything else
};

QColor blend(QColor c, QColor with, double amount)
{
    return QColor::fromRgbF(float(c.redF() * (1 - amount) + with.redF() * amount),
                            float(c.greenF() * (1 - amount) + with.greenF() * amount),
                            float(c.blueF() * (1 - amount) + with.blueF() * amount));
}

// Boxes narrower than this merge with their neighbours in the same row.
constexpr int kNarrow = 2;

struct Run
{
    int left = 0;
    int right = -1; // exclusive; right < left: no run
    int y = 0;
    int height = 0;
    int key = 0;
    bool error = false;
};

} // namespace

QColor TimelinePalette::colour(int colour)
{
    return QColor::fromRgb(kColours[std::clamp(colour, 0, int(TimelineData::ColourCount) - 1)]);
}

QColor TimelinePalette::dimmed(int colour)
{
    return blend(TimelinePalette::colour(colour), Qt::white, 0.72);
}

QColor TimelinePalette::error()
{
    return QColor::fromRgb(0xd93025);
}

QColor TimelinePalette::logTick()
{
    return QColor::fromRgb(0x202124);
}

QColor TimelinePalette::logTickError()
{
    return QColor::fromRgb(0xb00020);
}

TimelineGeometry TimelineGeometry::build(const TimelineData &data, const LaneLayout &layout,
                                         const Options &o)
{
    TimelineGeometry g;
    if (!o.window.isValid() || o.width <= 0 || data.isEmpty())
        return g;

    const auto &starts = data.starts();
    const auto &ends = data.ends();
    const auto &lanes = data.lanes();
    const auto &rows = data.rows();
    const auto &colours = data.colours();
    const auto &flags = data.flags();
    const int rowHeight = layout.rowHeight;
    const int boxHeight = std::max(3, rowHeight - 3);

    const int laneCount = int(data.laneKeys().size());
    // Where each lane's rows start, or kHidden when the lane cannot be seen in the clip.
    std::vector<int> laneTop(size_t(laneCount), LaneLayout::kHidden);
    std::vector<bool> laneExpanded(size_t(laneCount), true);
    for (int lane = 0; lane < laneCount; ++lane) {
        const int top = layout.top.value(lane, LaneLayout::kHidden);
        if (top == LaneLayout::kHidden)
            continue;
        const int height = layout.rowsOf(data, lane) * rowHeight;
        if (top + height < o.clipTop || top >= o.clipBottom)
            continue;
        laneTop[size_t(lane)] = top;
        laneExpanded[size_t(lane)] = layout.expanded.value(lane, true);
    }

    std::vector<Run> runs(size_t(laneCount) * TimelineData::kMaxRows);
    const auto flush = [&g, boxHeight](Run &run) {
        if (run.right < run.left)
            return;
        const QRect r(run.left, run.y, run.right - run.left, boxHeight);
        g.m_fills[size_t(run.key)].append(r);
        if (run.error)
            g.m_errorMarks.append(QRect(r.left(), r.bottom() - 2, r.width(), 3));
        run.right = run.left - 1;
    };

    const timeline::IndexRange range = timeline::visibleRange(starts, data.maxEnds(), o.window.start, o.window.end);
    const bool anyTrace = o.selectedTrace >= 0;
    for (qsizetype i = range.first; i < range.last; ++i) {
        if (ends[size_t(i)] < o.window.start)
            continue;
        const int lane = lanes[size_t(i)];
        const int top = laneTop[size_t(lane)];
        if (top == LaneLayout::kHidden)
            continue;
        ++g.m_visited;
        const int row = laneExpanded[size_t(lane)] ? rows[size_t(i)] : 0;
        const int y = top + row * rowHeight + 1;
        const timeline::PixelSpan px = timeline::pixelSpan(starts[size_t(i)], ends[size_t(i)], o.window, o.width);
        bool inTrace = false;
        if (anyTrace)
            inTrace = data.infoAt(i).trace == o.selectedTrace;
        const bool dim = anyTrace && !inTrace;
        const int key = colours[size_t(i)] * 2 + (dim ? 1 : 0);
        const bool error = flags[size_t(i)] & TimelineData::Error;
        Run &run = runs[size_t(lane) * TimelineData::kMaxRows + size_t(row)];

        if (px.right - px.left <= kNarrow && !inTrace) {
            if (run.right >= run.left && run.key == key && px.left <= run.right) {
                run.right = std::max(run.right, px.right);
                run.error = run.error || error;
            } else {
                flush(run);
                run = { px.left, px.right, y, 0, key, error };
            }
            continue;
        }
        flush(run);
        // A one-pixel gap keeps neighbouring boxes apart.
        const int w = px.right - px.left > 3 ? px.right - px.left - 1 : px.right - px.left;
        const QRect r(px.left, y, w, boxHeight);
        g.m_fills[size_t(key)].append(r);
        if (error)
            g.m_errorMarks.append(QRect(r.left(), r.bottom() - 2, r.width(), 3));
        if (inTrace)
            g.m_traceOutlines.append(r);
        if (o.selectedInfo >= 0 && qint32(data.infoIndexes()[size_t(i)]) == o.selectedInfo)
            g.m_selected = r;
        if (r.width() >= o.minLabelWidth)
            g.m_labels.append({ r, qint32(data.infoIndexes()[size_t(i)]), dim });
    }
    for (Run &run : runs)
        flush(run);

    // Log ticks: one per pixel column and row, on the span they were written in.
    const auto &ticks = data.logTicks();
    auto it = std::lower_bound(ticks.begin(), ticks.end(), o.window.start,
                               [](const TimelineData::LogTick &t, qint64 v) { return t.timeNs < v; });
    std::vector<int> lastX(runs.size(), std::numeric_limits<int>::min());
    for (; it != ticks.end() && it->timeNs <= o.window.end; ++it) {
        const int lane = it->lane;
        if (lane >= laneCount || laneTop[size_t(lane)] == LaneLayout::kHidden)
            continue;
        const int row = it->info >= 0 && laneExpanded[size_t(lane)] ? data.info(it->info).row : 0;
        const int x = int(timeline::timeToX(it->timeNs, o.window, o.width));
        const size_t slot = size_t(lane) * TimelineData::kMaxRows + size_t(row);
        const bool severe = it->severity >= LogSeverityError;
        if (lastX[slot] == x && !severe)
            continue;
        lastX[slot] = x;
        const int y = laneTop[size_t(lane)] + row * rowHeight + 1;
        const QRect tick(x, y + boxHeight / 2, 1, boxHeight - boxHeight / 2);
        (severe ? g.m_errorTicks : g.m_logTicks).append(tick);
    }
    return g;
}

qsizetype TimelineGeometry::rectCount() const
{
    qsizetype n = 0;
    for (const auto &f : m_fills)
        n += f.size();
    return n;
}

void TimelineGeometry::paint(QPainter *p, const TimelineData &data) const
{
    p->save();
    p->setRenderHint(QPainter::Antialiasing, false);
    p->setPen(Qt::NoPen);
    for (size_t key = 0; key < m_fills.size(); ++key) {
        const QList<QRect> &rects = m_fills[key];
        if (rects.isEmpty())
            continue;
        const int colour = int(key / 2);
        p->setBrush(key % 2 ? TimelinePalette::dimmed(colour) : TimelinePalette::colour(colour));
        p->drawRects(rects.constData(), int(rects.size()));
    }
    if (!m_errorMarks.isEmpty()) {
        p->setBrush(TimelinePalette::error());
        p->drawRects(m_errorMarks.constData(), int(m_errorMarks.size()));
    }
    if (!m_logTicks.isEmpty()) {
        QColor c = TimelinePalette::logTick();
        c.setAlpha(150);
        p->setBrush(c);
        p->drawRects(m_logTicks.constData(), int(m_logTicks.size()));
    }
    if (!m_errorTicks.isEmpty()) {
        p->setBrush(TimelinePalette::logTickError());
        p->drawRects(m_errorTicks.constData(), int(m_errorTicks.size()));
    }

    p->setBrush(Qt::NoBrush);
    if (!m_traceOutlines.isEmpty()) {
        p->setPen(QPen(QColor::fromRgb(0x303134), 1));
        for (const QRect &r : m_traceOutlines)
            p->drawRect(r.adjusted(0, 0, -1, -1));
    }
    if (m_selected.isValid()) {
        p->setPen(QPen(QColor::fromRgb(0x1a73e8), 2));
        p->drawRect(m_selected.adjusted(0, 0, -1, -1));
    }

    if (!m_labels.isEmpty()) {
        const QFontMetrics fm = p->fontMetrics();
        const QStringList &names = data.names();
        for (const Label &l : m_labels) {
            const TimelineData::Info &info = data.info(l.info);
            QString text;
            if (info.flags & TimelineData::Summary)
                text = QStringLiteral("%1 spans").arg(info.count);
            else
                text = names.value(info.name);
            const QRect textRect = l.rect.adjusted(4, 0, -3, 0);
            const QString elided = fm.elidedText(text, Qt::ElideRight, textRect.width());
            if (elided.size() < 2)
                continue;
            p->setPen(l.dim ? QColor::fromRgb(0x9aa0a6) : QColor::fromRgb(0x1f1f1f));
            p->drawText(textRect, Qt::AlignVCenter | Qt::AlignLeft, elided);
        }
    }
    p->restore();
}

} // namespace tarmac
