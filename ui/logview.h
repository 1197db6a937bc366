#pragma once

#include <QVariantMap>
#include <QWidget>

class QComboBox;
class QLineEdit;
class QPlainTextEdit;
class QTableView;

namespace tarmac {

class LogFilterModel;
class LogModel;
class SpanSelection;

// The logs panel: a filter bar (text, function, level, and whether to show every line or
// only those of the trace or span selected in the timeline), the table, and the selected
// line in full below it, JSON pretty-printed. Selecting a line selects its span in the
// timeline; selecting a span scrolls to its first line. Keeps to the bottom while the user
// is there, so new lines stay in view.
class LogView : public QWidget
{
    Q_OBJECT
public:
    enum Scope { AllLines, SelectedTrace, SelectedSpan };

    LogView(LogModel *model, SpanSelection *selection, QWidget *parent = nullptr);

    LogFilterModel *filterModel() const { return m_filter; }
    QTableView *table() const { return m_table; }
    QPlainTextEdit *details() const { return m_details; }
    void setScope(Scope scope);
    Scope scope() const { return m_scope; }
    void setFilterText(const QString &text);
    void setSourceFilter(const QString &source);
    void setMinSeverity(int severity);

    // The filters, for QSettings.
    QVariantMap saveState() const;
    void restoreState(const QVariantMap &state);

    // "{\n  \"a\": 1\n}" for a JSON line, the text itself otherwise.
    static QString prettyText(const QString &text);

private:
    void onCurrentChanged();
    void onSelectionChanged(const QByteArray &traceId, const QByteArray &spanId, QObject *origin);
    void refreshSources();
    void applyScope();

    LogModel *m_model;
    LogFilterModel *m_filter;
    SpanSelection *m_selection;
    QLineEdit *m_text;
    QComboBox *m_source;
    QComboBox *m_level;
    QComboBox *m_scopeBox;
    QTableView *m_table;
    QPlainTextEdit *m_details;
    Scope m_scope = AllLines;
    bool m_atBottom = true;
    bool m_syncing = false;
};

} // namespace tarmac
