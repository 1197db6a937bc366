#include "ui/timelineoverview.h"

#include "ui/timelinegeometry.h"
#include "ui/timelinesession.h"
#include "ui/zoomstate.h"

#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>

#include <cmath>

namespace tarmac {

TimelineOverview::TimelineOverview(ZoomState *zoom, TimelineSession *session, QWidget *parent)
    : QWidget(parent)
    , m_zoom(zoom)
    , m_session(session)
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    setToolTip(tr("The whole session: click to jump, drag to scroll, Ctrl+wheel to zoom"));
    connect(zoom, &ZoomState::windowChanged, this, qOverload<>(&QWidget::update));
    connect(zoom, &ZoomState::sessionChanged, this, qOverload<>(&QWidget::update));
    connect(session, &TimelineSession::histogramChanged, this, qOverload<>(&QWidget::update));
}

timeline::TimeWindow TimelineOverview::range() const
{
    const timeline::TimeWindow s = m_zoom->session();
    if (!s.isValid())
        return m_zoom->window();
    const qint64 pad = std::max<qint64>(s.duration() / 50, timeline::kMinWindowNs);
    return {s.start - pad, s.end + pad};
}

void TimelineOverview::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), QColor::fromRgb(0xf0f1f4));
    p.fillRect(QRect(0, height() - 1, width(), 1), QColor::fromRgb(0xd0d3d8));
    const timeline::TimeWindow r = range();
    if (!r.isValid())
        return;
    const int w = width();
    const int barArea = height() - 6;

    // Bins to pixel columns: each column takes the bins that start in it.
    const SessionHistogram &h = m_session->histogram();
    std::vector<qint64> counts(size_t(std::max(1, w)), 0), errors(size_t(std::max(1, w)), 0);
    for (int b = 0; b < h.usedBins(); ++b) {
        if (h.counts()[b] == 0)
            continue;
        const qint64 t = h.origin() + qint64(b) * h.binNs();
        const int x = std::clamp(int(timeline::timeToX(t, r, w)), 0, w - 1);
        counts[size_t(x)] += h.counts()[b];
        errors[size_t(x)] += h.errors()[b];
    }
    // A bin wider than a pixel spreads over the columns it covers.
    const int binPixels = int(std::ceil(double(h.binNs()) * w / double(r.duration())));
    const qint64 peak = std::max<qint64>(1, *std::max_element(counts.begin(), counts.end()));
    const QColor bar = QColor::fromRgb(0x7b8fb0);
    for (int x = 0; x < w; ++x) {
        if (!counts[size_t(x)])
            continue;
        // Square-root scale: a quiet minute next to a burst stays visible.
        const int hgt
            = std::max(1, int(std::sqrt(double(counts[size_t(x)]) / double(peak)) * barArea));
        const int bw = std::max(1, binPixels);
        p.fillRect(QRect(x, height() - 3 - hgt, bw, hgt), bar);
        if (errors[size_t(x)]) {
            const int eh = std::max(2, hgt * int(errors[size_t(x)]) / int(counts[size_t(x)]));
            p.fillRect(QRect(x, height() - 3 - eh, bw, eh), TimelinePalette::error());
        }
    }

    const timeline::TimeWindow view = m_zoom->window();
    if (view.isValid()) {
        const int x0 = int(timeline::timeToX(view.start, r, w));
        const int x1 = std::max(x0 + 3, int(timeline::timeToX(view.end, r, w)));
        const QRect frame(x0, 1, x1 - x0, height() - 3);
        p.fillRect(frame, QColor(26, 115, 232, 40));
        p.setPen(QPen(QColor::fromRgb(0x1a73e8), 1));
        p.setBrush(Qt::NoBrush);
        p.drawRect(frame.adjusted(0, 0, -1, -1));
    }
    if (h.isEmpty()) {
        p.setPen(QColor::fromRgb(0x80868b));
        p.drawText(rect(), Qt::AlignCenter, tr("Session overview: requests will show here"));
    }
}

void TimelineOverview::centreOn(int x, bool record)
{
    const timeline::TimeWindow r = range();
    const timeline::TimeWindow view = m_zoom->window();
    if (!r.isValid() || !view.isValid())
        return;
    const qint64 t = timeline::xToTime(x, r, width());
    const timeline::TimeWindow w {
        t - view.duration() / 2, t - view.duration() / 2 + view.duration()};
    if (record)
        m_zoom->setWindow(w);
    else
        m_zoom->adjustWindow(w);
}

void TimelineOverview::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton)
        centreOn(int(event->position().x()), true);
}

void TimelineOverview::mouseMoveEvent(QMouseEvent *event)
{
    if (event->buttons() & Qt::LeftButton)
        centreOn(int(event->position().x()), false);
}

void TimelineOverview::wheelEvent(QWheelEvent *event)
{
    const timeline::TimeWindow r = range();
    if (!r.isValid())
        return;
    const double factor = std::pow(0.8, event->angleDelta().y() / 120.0);
    m_zoom->zoomAround(timeline::xToTime(event->position().x(), r, width()), factor);
    event->accept();
}

} // namespace tarmac
