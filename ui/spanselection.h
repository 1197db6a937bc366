#pragma once

#include <QByteArray>
#include <QObject>

namespace tarmac {

// The span (and so the trace) the user picked, shared by the timeline, the logs and the
// inspector: whichever view changes it, the others follow. `origin` names the view that
// made the change, so that a view does not react to its own echo.
class SpanSelection : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    QByteArray traceId() const { return m_traceId; }
    QByteArray spanId() const { return m_spanId; }
    qint64 hintNs() const { return m_hintNs; }
    bool isEmpty() const { return m_traceId.isEmpty(); }

    // `hintNs`, when known, is a time inside the span (a log line's time), so that a view
    // that has not loaded the span can still scroll to it.
    void select(const QByteArray &traceId, const QByteArray &spanId, QObject *origin = nullptr,
        qint64 hintNs = 0)
    {
        if (traceId == m_traceId && spanId == m_spanId)
            return;
        m_traceId = traceId;
        m_spanId = spanId;
        m_hintNs = hintNs;
        emit changed(m_traceId, m_spanId, origin);
    }
    void clear(QObject *origin = nullptr) { select({}, {}, origin); }

signals:
    void changed(const QByteArray &traceId, const QByteArray &spanId, QObject *origin);

private:
    QByteArray m_traceId;
    QByteArray m_spanId;
    qint64 m_hintNs = 0;
};

} // namespace tarmac
