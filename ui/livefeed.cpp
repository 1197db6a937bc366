#include "ui/livefeed.h"

namespace tarmac {

LiveFeed::LiveFeed(int intervalMs, QObject *parent)
    : QObject(parent)
{
    m_timer.setSingleShot(true);
    m_timer.setInterval(intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &LiveFeed::flush);
}

void LiveFeed::add(const QList<Span> &spans, const QList<LogRecord> &logs)
{
    m_spans += spans;
    m_logs += logs;
    if (!m_timer.isActive())
        m_timer.start();
}

void LiveFeed::flush()
{
    m_timer.stop();
    if (m_spans.isEmpty() && m_logs.isEmpty())
        return;
    const QList<Span> spans = std::exchange(m_spans, {});
    const QList<LogRecord> logs = std::exchange(m_logs, {});
    emit batch(spans, logs);
}

void LiveFeed::clear()
{
    m_timer.stop();
    m_spans.clear();
    m_logs.clear();
}

} // namespace tarmac
