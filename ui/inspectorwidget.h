#pragma once

#include "trace/span.h"

#include <QWidget>

#include <functional>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTabWidget;
class QTreeWidget;
class QTreeWidgetItem;

namespace tarmac {

class EngineHost;
class QueryRunner;
class SpanSelection;

// What the user selected, in full: the span's name, timings and status, its trace as an
// indented tree (click a row to select that span), its attributes, the event payload and the
// response or error when the span recorded them, and the trace's log lines. "Copy as JSON"
// puts the span and its trace on the clipboard; "Replay" delivers the same event to the same
// function again (as a new delivery, origin "replay", on a new trace).
//
// It reads the trace off the GUI thread (QueryRunner) and ignores answers for a selection
// that has since changed.
class InspectorWidget : public QWidget
{
    Q_OBJECT
public:
    InspectorWidget(QueryRunner *runner, SpanSelection *selection, QWidget *parent = nullptr);

    // Where deliveries are read (their event and response) and replayed. Without it the
    // Event and Response tabs show what the span's attributes hold and Replay is disabled.
    void setEngine(EngineHost *host);
    // The delivery a span belongs to: its own tarmac.delivery_id, or that of the dispatch
    // span of the same function in the trace that overlaps it.
    static QByteArray deliveryIdFor(const Span &span, const QList<Span> &trace);
    void replay();

    // The selected span and its trace as a JSON document (what Copy as JSON copies).
    QByteArray selectedJson() const;
    QTreeWidget *traceTree() const { return m_tree; }
    const QList<Span> &trace() const { return m_trace; }
    const Span *selectedSpan() const;

    // Attribute keys that hold an event payload or a response, in the order tried.
    static QStringList payloadKeys();
    static QStringList responseKeys();
    static QByteArray toJson(const Span &span, const QList<Span> &trace);

signals:
    void loaded();
    void deliveryLoaded();
    void replayed(const QByteArray &traceId); // the replay's new trace

private:
    void onSelectionChanged(const QByteArray &traceId, const QByteArray &spanId, QObject *origin);
    void load(const QByteArray &traceId);
    void showTrace(const QList<Span> &spans, const QList<LogRecord> &logs);
    void showSpan();
    void copyJson();

    QueryRunner *m_runner;
    SpanSelection *m_selection;
    QLabel *m_title;
    QLabel *m_subtitle;
    QPushButton *m_copy;
    QPushButton *m_replay;
    QTreeWidget *m_tree;
    QTabWidget *m_tabs;
    QTreeWidget *m_attributes;
    QPlainTextEdit *m_payload;
    QPlainTextEdit *m_response;
    QPlainTextEdit *m_logs;
    QByteArray m_traceId;
    QList<Span> m_trace;
    QList<LogRecord> m_traceLogs;
    void loadDelivery(const QByteArray &id);

    EngineHost *m_host = nullptr;
    QByteArray m_deliveryId;
    QString m_deliveryFunction;
    QByteArray m_deliveryPayload;
    bool m_syncing = false;
};

} // namespace tarmac
