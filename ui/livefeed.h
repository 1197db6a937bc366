#pragma once

#include "trace/span.h"

#include <QList>
#include <QObject>
#include <QTimer>

namespace tarmac {

// Coalesces the Tracer's batches (up to ten a second, each possibly thousands of records)
// into a few deliveries a second, so that models insert rows and views repaint in chunks
// rather than per record. Lives on the GUI thread.
class LiveFeed : public QObject
{
    Q_OBJECT
public:
    explicit LiveFeed(int intervalMs = 250, QObject *parent = nullptr);

    void add(const QList<tarmac::Span> &spans, const QList<tarmac::LogRecord> &logs);
    // Delivers what is held now (tests; before a reload).
    void flush();
    void clear();

signals:
    void batch(const QList<tarmac::Span> &spans, const QList<tarmac::LogRecord> &logs);

private:
    QTimer m_timer;
    QList<Span> m_spans;
    QList<LogRecord> m_logs;
};

} // namespace tarmac
