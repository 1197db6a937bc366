#include "ui/zoomstate.h"

namespace tarmac {

namespace {

constexpr qsizetype kMaxHistory = 50;
// A new session shows this much before its first event.
constexpr qint64 kDefaultWindowNs = 10'000'000'000;

} // namespace

ZoomState::ZoomState(QObject *parent)
    : QObject(parent)
{ }

ZoomState::TimeWindow ZoomState::liveWindow(qint64 duration) const
{
    // The newest event sits a little inside the right edge, where the eye expects it.
    const qint64 end = m_session.end + duration / 20;
    return {end - duration, end};
}

ZoomState::TimeWindow ZoomState::constrained(const TimeWindow &w) const
{
    using namespace timeline;
    TimeWindow out = w;
    if (out.duration() < kMinWindowNs)
        out.end = out.start + kMinWindowNs;
    if (!m_session.isValid())
        return out;
    // Never so far out that the session is a sliver (a young session may still be shown
    // over the default window, so that live data has room), never so far away that it is
    // gone.
    const qint64 longest = std::clamp(
        std::max(m_session.duration() * 3 / 2, kDefaultWindowNs), kMinWindowNs, kMaxWindowNs);
    if (out.duration() > longest) {
        const qint64 centre = out.start + out.duration() / 2;
        out = {centre - longest / 2, centre - longest / 2 + longest};
    }
    const qint64 margin = out.duration() / 2;
    return clampedTo(out, {m_session.start - margin, m_session.end + margin});
}

void ZoomState::apply(const TimeWindow &w)
{
    const TimeWindow c = constrained(w);
    if (c == m_window)
        return;
    m_window = c;
    emit windowChanged(m_window);
}

void ZoomState::setSession(const TimeWindow &session)
{
    if (session == m_session)
        return;
    const bool first = !m_session.isValid() && !m_window.isValid();
    m_session = session;
    emit sessionChanged(m_session);
    if (first) {
        apply(liveWindow(kDefaultWindowNs));
    } else if (m_followLive) {
        apply(liveWindow(m_window.isValid() ? m_window.duration() : kDefaultWindowNs));
    }
}

void ZoomState::reset()
{
    m_session = {};
    m_window = {};
    m_selection = {};
    m_back.clear();
    m_forward.clear();
    m_followLive = true;
    emit sessionChanged(m_session);
    emit windowChanged(m_window);
    emit selectionChanged(m_selection);
    emit followLiveChanged(true);
    emit historyChanged();
}

void ZoomState::pushBack()
{
    if (!m_window.isValid())
        return;
    if (m_back.isEmpty() || m_back.constLast() != m_window)
        m_back.append(m_window);
    if (m_back.size() > kMaxHistory)
        m_back.removeFirst();
    m_forward.clear();
    emit historyChanged();
}

void ZoomState::setWindow(const TimeWindow &window)
{
    if (!window.isValid())
        return;
    pushBack();
    setFollowLive(false);
    apply(window);
}

void ZoomState::beginGesture()
{
    pushBack();
}

void ZoomState::adjustWindow(const TimeWindow &window)
{
    if (!window.isValid())
        return;
    // A gesture that keeps the duration is a pan: it leaves the live edge.
    if (window.duration() == m_window.duration())
        setFollowLive(false);
    apply(m_followLive ? liveWindow(window.duration()) : window);
}

void ZoomState::zoomAround(qint64 anchor, double factor)
{
    if (!m_window.isValid())
        return;
    if (m_followLive) {
        const TimeWindow z = timeline::zoomedAround(m_window, m_window.end, factor);
        apply(liveWindow(constrained(z).duration()));
        return;
    }
    apply(timeline::zoomedAround(m_window, anchor, factor));
}

void ZoomState::pan(qint64 deltaNs)
{
    if (!m_window.isValid() || deltaNs == 0)
        return;
    setFollowLive(false);
    apply(timeline::panned(m_window, deltaNs));
}

void ZoomState::zoomToFit()
{
    if (!m_session.isValid())
        return;
    pushBack();
    const qint64 pad = std::max<qint64>(m_session.duration() / 40, timeline::kMinWindowNs);
    const TimeWindow w {m_session.start - pad, m_session.end + pad};
    // Fitting the whole session keeps following: the live end is part of it.
    apply(m_followLive ? liveWindow(w.duration()) : w);
}

void ZoomState::setSelection(const TimeWindow &selection)
{
    const TimeWindow s = selection.isValid() ? selection : TimeWindow {};
    if (s == m_selection)
        return;
    m_selection = s;
    emit selectionChanged(m_selection);
}

void ZoomState::zoomToSelection()
{
    if (!m_selection.isValid())
        return;
    setWindow(m_selection);
}

void ZoomState::setFollowLive(bool follow)
{
    if (follow == m_followLive)
        return;
    m_followLive = follow;
    emit followLiveChanged(follow);
    if (follow && m_session.isValid())
        apply(liveWindow(m_window.isValid() ? m_window.duration() : kDefaultWindowNs));
}

void ZoomState::back()
{
    if (m_back.isEmpty())
        return;
    m_forward.append(m_window);
    const TimeWindow w = m_back.takeLast();
    setFollowLive(false);
    apply(w);
    emit historyChanged();
}

void ZoomState::forward()
{
    if (m_forward.isEmpty())
        return;
    m_back.append(m_window);
    const TimeWindow w = m_forward.takeLast();
    setFollowLive(false);
    apply(w);
    emit historyChanged();
}

} // namespace tarmac
