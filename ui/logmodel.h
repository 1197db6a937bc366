#pragma once

#include "trace/consolelog.h"
#include "trace/span.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QSortFilterProxyModel>

#include <deque>

namespace tarmac {

// The log lines of the session as a table (time, function, request id, level, text), fed
// in batches: a live batch is one row insertion, never one per line. The oldest lines go
// once the table holds maxRows(), so a long session keeps a bounded table (the store keeps
// everything). Holds records only; filtering is LogFilterModel's.
class LogModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { TimeColumn, SourceColumn, RequestColumn, LevelColumn, TextColumn, ColumnCount };
    enum Role {
        TraceIdRole = Qt::UserRole + 1,
        SpanIdRole,
        TimeRole,
        SeverityRole,
        SourceRole,
        TextRole,
    };

    explicit LogModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    void append(const QList<tarmac::LogRecord> &logs);
    // Older lines from the store, placed before everything live.
    void prepend(const QList<tarmac::LogRecord> &logs);
    void clear();

    const LogRecord &record(int row) const { return m_rows[size_t(row)]; }
    // The first row written in that span (or, with an empty span id, that trace), or -1.
    int firstRowOf(const QByteArray &traceId, const QByteArray &spanId) const;
    // Functions and services that wrote lines, sorted.
    QStringList sources() const;

    void setMaxRows(int rows) { m_maxRows = std::max(10, rows); }
    // A function's physical name → the template's logical id, shown in the Function column.
    void setDisplayNames(const QHash<QString, QString> &physicalToLogical);
    QString displayName(const QString &source) const { return m_names.value(source, source); }
    int maxRows() const { return m_maxRows; }

    static QString levelName(int severity) { return logSeverityName(severity); }

signals:
    void sourcesChanged();

private:
    void noteSources(const QList<LogRecord> &logs);
    void trim();

    std::deque<LogRecord> m_rows;
    QStringList m_sources;
    QHash<QString, QString> m_names;
    int m_maxRows = 100'000;
};

// Which log lines show: text (in the line or the request id, case-insensitive), one
// function, a minimum level, and the trace or span selected in the timeline.
class LogFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit LogFilterModel(QObject *parent = nullptr);

    void setText(const QString &text);
    void setSource(const QString &source);
    void setMinSeverity(int severity);
    // Empty ids: no restriction.
    void setTrace(const QByteArray &traceId, const QByteArray &spanId);

    QString text() const { return m_text; }
    QString source() const { return m_source; }
    int minSeverity() const { return m_minSeverity; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_text;
    QString m_source;
    int m_minSeverity = 0;
    QByteArray m_traceId;
    QByteArray m_spanId;
};

} // namespace tarmac
