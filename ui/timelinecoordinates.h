#pragma once

#include <QtGlobal>

#include <algorithm>
#include <cmath>
#include <limits>

// The timeline's arithmetic: time ↔ pixel, zoom around a point, pan, clamping, axis ticks
// and the visible slice of sorted arrays. Pure functions over qint64 nanoseconds, so the
// tests can pin every edge case with tables; time becomes a double only at the pixel.
namespace tarmac::timeline {

struct TimeWindow
{
    qint64 start = 0;
    qint64 end = 0;

    qint64 duration() const { return end - start; }
    bool isValid() const { return end > start; }
    bool contains(qint64 t) const { return t >= start && t <= end; }
    friend bool operator==(const TimeWindow &, const TimeWindow &) = default;
};

// Shortest and longest windows the zoom allows: below a microsecond nothing we record is
// distinguishable; beyond a week the axis has nothing useful to say.
constexpr qint64 kMinWindowNs = 1'000;
constexpr qint64 kMaxWindowNs = 7LL * 24 * 3600 * 1'000'000'000;

inline double timeToX(qint64 t, const TimeWindow &w, int width)
{
    if (!w.isValid())
        return 0;
    return double(t - w.start) * double(width) / double(w.duration());
}

inline qint64 xToTime(double x, const TimeWindow &w, int width)
{
    if (width <= 0)
        return w.start;
    return w.start + qint64(std::llround(x * double(w.duration()) / double(width)));
}

// Nanoseconds one pixel covers (at least 1).
inline qint64 nsPerPixel(const TimeWindow &w, int width)
{
    if (width <= 0)
        return std::max<qint64>(1, w.duration());
    return std::max<qint64>(1, w.duration() / width);
}

// A window of the same duration moved by deltaNs.
inline TimeWindow panned(const TimeWindow &w, qint64 deltaNs)
{
    return {w.start + deltaNs, w.end + deltaNs};
}

// Scales the window by `factor` (< 1 zooms in) keeping `anchor` at the same fraction of
// the width, which is what makes Ctrl+wheel feel anchored to the cursor. The duration is
// kept within [kMinWindowNs, kMaxWindowNs].
inline TimeWindow zoomedAround(const TimeWindow &w, qint64 anchor, double factor)
{
    if (!w.isValid() || !(factor > 0))
        return w;
    const double fraction = double(anchor - w.start) / double(w.duration());
    const double wanted
        = std::clamp(double(w.duration()) * factor, double(kMinWindowNs), double(kMaxWindowNs));
    const qint64 duration = qint64(std::llround(wanted));
    const qint64 start = anchor - qint64(std::llround(fraction * double(duration)));
    return {start, start + duration};
}

// Moves (never shrinks) `w` so that it lies within `bounds`; a window longer than the
// bounds is centred on them.
inline TimeWindow clampedTo(const TimeWindow &w, const TimeWindow &bounds)
{
    if (!bounds.isValid())
        return w;
    if (w.duration() >= bounds.duration()) {
        const qint64 start = bounds.start - (w.duration() - bounds.duration()) / 2;
        return {start, start + w.duration()};
    }
    if (w.start < bounds.start)
        return panned(w, bounds.start - w.start);
    if (w.end > bounds.end)
        return panned(w, bounds.end - w.end);
    return w;
}

// The axis step: the smallest 1-2-5 × 10^n nanoseconds that leaves at least
// minSpacingPx pixels between labelled ticks.
inline qint64 tickStep(qint64 duration, int width, int minSpacingPx)
{
    if (duration <= 0 || width <= 0)
        return 1;
    const double perPixel = double(duration) / double(width);
    const double minStep = perPixel * double(std::max(1, minSpacingPx));
    qint64 magnitude = 1;
    for (;;) {
        for (qint64 m : {1, 2, 5}) {
            if (double(magnitude * m) >= minStep)
                return magnitude * m;
        }
        if (magnitude > std::numeric_limits<qint64>::max() / 100)
            return magnitude * 10;
        magnitude *= 10;
    }
}

// The first multiple of step at or after t (floor division that is right for negatives).
inline qint64 firstTick(qint64 t, qint64 step)
{
    if (step <= 0)
        return t;
    qint64 q = t / step;
    if (q * step < t)
        ++q;
    return q * step;
}

// How many decimals of a second a tick label needs to tell ticks `step` apart.
inline int fractionDigits(qint64 step)
{
    int digits = 0;
    qint64 unit = 1'000'000'000;
    while (digits < 9 && step % unit != 0) {
        unit /= 10;
        ++digits;
    }
    return digits;
}

// The indexes [first, last) of items that may overlap [from, to] in arrays sorted by start,
// where maxEnd[i] is the largest end among items 0..i (non-decreasing). Items before
// `first` all end before `from`; items from `last` on all start after `to`. Items in
// between can still end before `from` (short ones after a long one): callers skip those.
struct IndexRange
{
    qsizetype first = 0;
    qsizetype last = 0;
    bool isEmpty() const { return last <= first; }
    friend bool operator==(const IndexRange &, const IndexRange &) = default;
};

template<typename Array>
IndexRange visibleRange(const Array &starts, const Array &maxEnds, qint64 from, qint64 to)
{
    const auto first = std::lower_bound(maxEnds.begin(), maxEnds.end(), from);
    const auto last = std::upper_bound(starts.begin(), starts.end(), to);
    IndexRange r {qsizetype(first - maxEnds.begin()), qsizetype(last - starts.begin())};
    if (r.last < r.first)
        r.last = r.first;
    return r;
}

// Pixel span of [start, end] at the current zoom, clipped to [-1, width + 1] so that huge
// zooms never overflow an int. A box is at least one pixel wide.
struct PixelSpan
{
    int left = 0;
    int right = 0; // exclusive
    friend bool operator==(const PixelSpan &, const PixelSpan &) = default;
};

inline PixelSpan pixelSpan(qint64 start, qint64 end, const TimeWindow &w, int width)
{
    const double l = std::clamp(timeToX(start, w, width), -1.0, double(width) + 1);
    const double r = std::clamp(timeToX(end, w, width), -1.0, double(width) + 1);
    const int left = int(std::floor(l));
    const int right = std::max(left + 1, int(std::ceil(r)));
    return {left, right};
}

} // namespace tarmac::timeline
