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

TimelineGeometry TimelineGeometry::build(
    const TimelineData &data, const LaneLayout &layout, const Options &o)
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

    const timeline::IndexRange range
        = timeline::visibleRange(starts, data.maxEnds(), o.window.start, o.window.end);
    const bool anyTrace = o.selectedTrace >= 0;
    // timeline::pixelSpan, inlined: this loop runs once per span in view.
    const qint64 windowStart = o.window.start;
    const double scale = double(o.width) / double(o.window.duration());
    const double maxX = double(o.width) + 1;
    std::vector<char> expanded(laneExpanded.begin(), laneExpanded.end());
    std::vector<int> labelRight(runs.size(), std::numeric_limits<int>::min());
    for (qsizetype i = range.first; i < range.last; ++i) {
        if (ends[size_t(i)] < windowStart)
            continue;
        const int lane = lanes[size_t(i)];
        const int top = laneTop[size_t(lane)];
        if (top == LaneLayout::kHidden)
            continue;
        ++g.m_visited;
        const int row = expanded[size_t(lane)] ? rows[size_t(i)] : 0;
        const double lx = std::max(-1.0, double(starts[size_t(i)] - windowStart) * scale);
        const double rx = std::min(maxX, double(ends[size_t(i)] - windowStart) * scale);
        timeline::PixelSpan px;
        px.left = lx < 0 ? -1 : int(lx);
        int right = int(rx);
        if (double(right) < rx)
            ++right;
        px.right = std::max(px.left + 1, right);
        Run &run = runs[size_t(lane) * TimelineData::kMaxRows + size_t(row)];
        // The common case far out: another sliver in the same pixel run.
        if (!anyTrace && px.right - px.left <= kNarrow && run.right >= run.left
            && px.left <= run.right && run.key == colours[size_t(i)] * 2) {
            run.right = std::max(run.right, px.right);
            run.error = run.error || (flags[size_t(i)] & TimelineData::Error);
            continue;
        }
        const int y = top + row * rowHeight + 1;
        bool inTrace = false;
        if (anyTrace)
            inTrace = data.infoAt(i).trace == o.selectedTrace;
        const bool dim = anyTrace && !inTrace;
        const int key = colours[size_t(i)] * 2 + (dim ? 1 : 0);
        const bool error = flags[size_t(i)] & TimelineData::Error;

        if (px.right - px.left <= kNarrow && !inTrace) {
            if (run.right >= run.left && run.key == key && px.left <= run.right) {
                run.right = std::max(run.right, px.right);
                run.error = run.error || error;
            } else {
                flush(run);
                run = {px.left, px.right, y, 0, key, error};
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
        // One label at a time in a row: a box that starts under the previous label (rows
        // are shared when more spans overlap than there are rows) keeps quiet.
        int &labelEnd = labelRight[size_t(lane) * TimelineData::kMaxRows + size_t(row)];
        // With a trace selected only its boxes are named: the rest is context.
        if (r.width() >= o.minLabelWidth && r.left() >= labelEnd && !dim) {
            g.m_labels.append({r, qint32(data.infoIndexes()[size_t(i)]), dim});
            labelEnd = r.right() + 1;
        }
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
    // Dimmed boxes first: where rows are shared, the selected trace stays on top.
    for (const size_t dimmed : {1, 0}) {
        for (size_t key = dimmed; key < m_fills.size(); key += 2) {
            const QList<QRect> &rects = m_fills[key];
            if (rects.isEmpty())
                continue;
            const int colour = int(key / 2);
            p->setBrush(dimmed ? TimelinePalette::dimmed(colour) : TimelinePalette::colour(colour));
            p->drawRects(rects.constData(), int(rects.size()));
        }
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
            // In a function's own lane its name is in the lane title: "dispatch", "invoke".
            const QString &function = data.laneKeys().value(info.lane).function;
            if (!function.isEmpty() && text.contains(function)) {
                const QString shorter = QString(text).remove(function).simplified();
                if (!shorter.isEmpty())
                    text = shorter;
            }
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
