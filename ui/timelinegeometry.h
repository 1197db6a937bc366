#pragma once

#include "ui/timelinedata.h"

#include <QColor>
#include <QList>
#include <QRect>

#include <array>
#include <limits>

class QPainter;

namespace tarmac {

// The timeline's colours: one per service family, readable on a light background, and a
// washed-out twin of each for spans outside the selected trace.
struct TimelinePalette
{
    static QColor colour(int colour);
    static QColor dimmed(int colour);
    static QColor error();
    static QColor logTick();
    static QColor logTickError();
};

// How lanes sit vertically: the top of each lane in widget pixels (after scrolling, so it
// may be negative), or kHidden, whether it shows its rows or folds them into one, and the row
// height.
struct LaneLayout
{
    static constexpr int kHidden = std::numeric_limits<int>::min();
    QList<int> top; // kHidden: not shown
    QList<bool> expanded;
    int rowHeight = 20;
    int rowsOf(const TimelineData &data, int lane) const
    {
        return expanded.value(lane, true) ? std::max(1, data.rowCount(lane)) : 1;
    }
};

// Everything one frame of the tracks paints, built from the data for a window and a width
// and kept until either changes: boxes batched by colour, spans thinner than a pixel merged
// into one box per run of pixel columns, error marks, labels for boxes wide enough to hold
// one, log ticks, and outlines for the selected trace. paint() then costs a few drawRects
// calls however many spans are in view.
class TimelineGeometry
{
public:
    struct Options
    {
        timeline::TimeWindow window;
        int width = 0;
        int clipTop = 0; // only lanes that reach into [clipTop, clipBottom) are built
        int clipBottom = 0;
        int selectedTrace = -1; // TimelineData trace index; other spans are dimmed
        qint32 selectedInfo = -1;
        int minLabelWidth = 48;
    };

    struct Label
    {
        QRect rect;
        qint32 info;
        bool dim;
    };

    static TimelineGeometry build(
        const TimelineData &data, const LaneLayout &layout, const Options &options);

    void paint(QPainter *painter, const TimelineData &data) const;

    // For tests and the benchmark.
    qsizetype rectCount() const;
    qsizetype itemsVisited() const { return m_visited; }
    const std::array<QList<QRect>, TimelineData::ColourCount * 2> &fills() const { return m_fills; }
    const QList<QRect> &errorMarks() const { return m_errorMarks; }
    const QList<QRect> &logTicks() const { return m_logTicks; }
    const QList<Label> &labels() const { return m_labels; }
    const QList<QRect> &traceOutlines() const { return m_traceOutlines; }
    QRect selectedRect() const { return m_selected; }

private:
    std::array<QList<QRect>, TimelineData::ColourCount * 2> m_fills; // [colour * 2 + dimmed]
    QList<QRect> m_errorMarks;
    QList<QRect> m_logTicks;
    QList<QRect> m_errorTicks;
    QList<QRect> m_traceOutlines;
    QList<Label> m_labels;
    QRect m_selected;
    qsizetype m_visited = 0;
};

} // namespace tarmac
