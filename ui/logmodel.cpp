#include "ui/logmodel.h"

#include "ui/format.h"

#include <QColor>
#include <QFont>

namespace tarmac {

LogModel::LogModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

int LogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int LogModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

void LogModel::setDisplayNames(const QHash<QString, QString> &physicalToLogical)
{
    if (physicalToLogical == m_names)
        return;
    m_names = physicalToLogical;
    if (!m_rows.empty())
        emit dataChanged(index(0, SourceColumn), index(rowCount() - 1, SourceColumn));
    emit sourcesChanged();
}

QVariant LogModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const LogRecord &r = m_rows[size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case TimeColumn:
            return format::clock(r.timeNs, 3);
        case SourceColumn:
            return displayName(r.source);
        case RequestColumn:
            return r.requestId;
        case LevelColumn:
            return levelName(r.severity);
        case TextColumn: {
            // One line in the table; the details pane shows all of it.
            const qsizetype nl = r.text.indexOf(u'\n');
            return nl < 0 ? r.text : QString(r.text.left(nl) + QStringLiteral(" …"));
        }
        }
        return {};
    case Qt::ToolTipRole:
        return index.column() == TextColumn ? r.text.left(2000) : QVariant();
    case Qt::ForegroundRole:
        if (r.severity >= LogSeverityError)
            return QColor::fromRgb(0xc5221f);
        if (r.severity >= LogSeverityWarn)
            return QColor::fromRgb(0xb06000);
        if (index.column() == TimeColumn || index.column() == RequestColumn)
            return QColor::fromRgb(0x5f6368);
        return {};
    case TraceIdRole:
        return r.traceId;
    case SpanIdRole:
        return r.spanId;
    case TimeRole:
        return r.timeNs;
    case SeverityRole:
        return r.severity;
    case SourceRole:
        return r.source;
    case TextRole:
        return r.text;
    default:
        return {};
    }
}

QVariant LogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case TimeColumn:
        return tr("Time");
    case SourceColumn:
        return tr("Function");
    case RequestColumn:
        return tr("Request id");
    case LevelColumn:
        return tr("Level");
    case TextColumn:
        return tr("Message");
    }
    return {};
}

void LogModel::noteSources(const QList<LogRecord> &logs)
{
    bool added = false;
    for (const LogRecord &l : logs) {
        if (l.source.isEmpty())
            continue;
        const auto it = std::lower_bound(m_sources.begin(), m_sources.end(), l.source);
        if (it != m_sources.end() && *it == l.source)
            continue;
        m_sources.insert(it, l.source);
        added = true;
    }
    if (added)
        emit sourcesChanged();
}

void LogModel::append(const QList<LogRecord> &logs)
{
    if (logs.isEmpty())
        return;
    const int first = int(m_rows.size());
    beginInsertRows({}, first, first + int(logs.size()) - 1);
    m_rows.insert(m_rows.end(), logs.begin(), logs.end());
    endInsertRows();
    noteSources(logs);
    trim();
}

void LogModel::prepend(const QList<LogRecord> &logs)
{
    if (logs.isEmpty())
        return;
    // Only as many as fit: the newest of the old ones.
    const qsizetype room = std::max<qsizetype>(0, m_maxRows - qsizetype(m_rows.size()));
    const qsizetype take = std::min(room, logs.size());
    if (take == 0)
        return;
    beginInsertRows({}, 0, int(take) - 1);
    m_rows.insert(m_rows.begin(), logs.end() - take, logs.end());
    endInsertRows();
    noteSources(logs);
}

void LogModel::trim()
{
    if (int(m_rows.size()) <= m_maxRows)
        return;
    // Drop a tenth at once: one removal now and then, not one per batch.
    const int drop = int(m_rows.size()) - m_maxRows + m_maxRows / 10;
    beginRemoveRows({}, 0, drop - 1);
    m_rows.erase(m_rows.begin(), m_rows.begin() + drop);
    endRemoveRows();
}

void LogModel::clear()
{
    beginResetModel();
    m_rows.clear();
    m_sources.clear();
    endResetModel();
    emit sourcesChanged();
}

int LogModel::firstRowOf(const QByteArray &traceId, const QByteArray &spanId) const
{
    if (traceId.isEmpty())
        return -1;
    for (size_t i = 0; i < m_rows.size(); ++i) {
        const LogRecord &r = m_rows[i];
        if (r.traceId == traceId && (spanId.isEmpty() || r.spanId == spanId))
            return int(i);
    }
    return -1;
}

QStringList LogModel::sources() const
{
    return m_sources;
}

LogFilterModel::LogFilterModel(QObject *parent)
    : QSortFilterProxyModel(parent)
{ }

void LogFilterModel::setText(const QString &text)
{
    if (text == m_text)
        return;
    m_text = text;
    invalidateFilter();
}

void LogFilterModel::setSource(const QString &source)
{
    if (source == m_source)
        return;
    m_source = source;
    invalidateFilter();
}

void LogFilterModel::setMinSeverity(int severity)
{
    if (severity == m_minSeverity)
        return;
    m_minSeverity = severity;
    invalidateFilter();
}

void LogFilterModel::setTrace(const QByteArray &traceId, const QByteArray &spanId)
{
    if (traceId == m_traceId && spanId == m_spanId)
        return;
    m_traceId = traceId;
    m_spanId = spanId;
    invalidateFilter();
}

bool LogFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const auto *logs = qobject_cast<const LogModel *>(sourceModel());
    if (!logs || sourceParent.isValid())
        return true;
    const LogRecord &r = logs->record(sourceRow);
    if (m_minSeverity > 0 && r.severity < m_minSeverity)
        return false;
    if (!m_source.isEmpty() && r.source != m_source)
        return false;
    if (!m_traceId.isEmpty() && r.traceId != m_traceId)
        return false;
    if (!m_spanId.isEmpty() && r.spanId != m_spanId)
        return false;
    if (!m_text.isEmpty() && !r.text.contains(m_text, Qt::CaseInsensitive)
        && !r.requestId.contains(m_text, Qt::CaseInsensitive))
        return false;
    return true;
}

} // namespace tarmac
