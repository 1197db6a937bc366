#include "ui/lanemodel.h"

#include <QColor>
#include <QSize>

namespace tarmac {

LaneModel::LaneModel(QObject *parent)
    : QAbstractListModel(parent)
{ }

int LaneModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_order.size());
}

void LaneModel::setDisplayNames(const QHash<QString, QString> &physicalToLogical)
{
    if (physicalToLogical == m_names)
        return;
    m_names = physicalToLogical;
    if (!m_order.isEmpty())
        emit dataChanged(index(0), index(int(m_order.size()) - 1));
}

QString LaneModel::displayName(const TimelineData::LaneKey &key) const
{
    if (!key.function.isEmpty())
        return QStringLiteral("λ ") + m_names.value(key.function, key.function);
    static const QHash<QString, QString> names = {
        {QStringLiteral("s3"), QStringLiteral("S3")},
        {QStringLiteral("lambda"), QStringLiteral("Lambda API")},
        {QStringLiteral("apigateway"), QStringLiteral("API Gateway")},
        {QStringLiteral("sqs"), QStringLiteral("SQS")},
        {QStringLiteral("sns"), QStringLiteral("SNS")},
        {QStringLiteral("dynamodb"), QStringLiteral("DynamoDB")},
        {QStringLiteral("scheduler"), QStringLiteral("Scheduler")},
        {QStringLiteral("events"), QStringLiteral("EventBridge")},
        {QStringLiteral("tarmac"), QStringLiteral("Tarmac")},
        {QStringLiteral("sts"), QStringLiteral("STS")},
    };
    return names.value(key.service, key.service);
}

int LaneModel::sortGroup(const TimelineData::LaneKey &key)
{
    if (key.service == QLatin1String("apigateway"))
        return 0;
    if (!key.function.isEmpty())
        return 1;
    if (key.service == QLatin1String("tarmac") || key.service == QLatin1String("unknown"))
        return 3;
    return 2;
}

QVariant LaneModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const int lane = m_order[index.row()];
    const TimelineData::LaneKey &key = m_keys[lane];
    switch (role) {
    case Qt::DisplayRole: {
        const bool foldable = m_rows.value(lane) > 1;
        const QString arrow = !foldable ? QStringLiteral("   ")
            : isExpanded(lane)          ? QStringLiteral("▾ ")
                                        : QStringLiteral("▸ ");
        return QString(arrow + displayName(key));
    }
    case Qt::ToolTipRole:
        if (!key.function.isEmpty())
            return tr("Function %1: its invocations and the log lines they wrote")
                .arg(key.function);
        return tr("Requests to %1").arg(displayName(key));
    case Qt::DecorationRole:
        return TimelinePalette::colour(TimelineData::colourFor(key.service, key.function));
    case Qt::SizeHintRole:
        return QSize(-1, laneHeight(lane));
    case LaneIdRole:
        return lane;
    case ExpandedRole:
        return isExpanded(lane);
    case RowCountRole:
        return m_rows.value(lane);
    case KeyRole:
        return key.key();
    default:
        return {};
    }
}

bool LaneModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid) || role != ExpandedRole)
        return false;
    setExpanded(m_order[index.row()], value.toBool());
    return true;
}

Qt::ItemFlags LaneModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable;
}

QVariant LaneModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (section == 0 && orientation == Qt::Horizontal && role == Qt::DisplayRole)
        return tr("Lanes");
    return QAbstractListModel::headerData(section, orientation, role);
}

int LaneModel::ensureLane(const TimelineData::LaneKey &key)
{
    const QString k = key.key();
    auto it = m_index.constFind(k);
    if (it != m_index.constEnd())
        return *it;
    const int lane = int(m_keys.size());
    const int group = sortGroup(key);
    const QString name = displayName(key);
    int row = 0;
    while (row < m_order.size()) {
        const TimelineData::LaneKey &other = m_keys[m_order[row]];
        const int g = sortGroup(other);
        if (g > group || (g == group && displayName(other).compare(name, Qt::CaseInsensitive) > 0))
            break;
        ++row;
    }
    beginInsertRows({}, row, row);
    m_keys.append(key);
    m_index.insert(k, lane);
    m_rows.append(1);
    m_expanded.append(!m_collapsed.contains(k));
    m_order.insert(row, lane);
    endInsertRows();
    emit layoutChangedHeights();
    return lane;
}

void LaneModel::adopt(TimelineData &data)
{
    const QList<TimelineData::LaneKey> dataKeys = data.laneKeys();
    QList<int> map(dataKeys.size());
    bool identity = dataKeys.size() <= m_keys.size();
    for (qsizetype i = 0; i < dataKeys.size(); ++i) {
        map[i] = ensureLane(dataKeys[i]);
        identity = identity && map[i] == i;
    }
    if (!identity || dataKeys.size() != m_keys.size())
        data.remapLanes(map, m_keys);
    updateRows(data, false);
}

void LaneModel::updateRows(const TimelineData &data, bool growOnly)
{
    // New lanes the data added itself (live spans) join the model first.
    for (qsizetype i = m_keys.size(); i < data.laneKeys().size(); ++i)
        ensureLane(data.laneKeys()[i]);
    bool changed = false;
    for (int lane = 0; lane < m_keys.size(); ++lane) {
        const int rows = std::max({1, data.rowCount(lane), growOnly ? m_rows[lane] : 1});
        if (rows != m_rows[lane]) {
            m_rows[lane] = rows;
            changed = true;
            const QModelIndex i = index(rowOfLane(lane));
            emit dataChanged(i, i, {Qt::SizeHintRole, Qt::DisplayRole, RowCountRole});
        }
    }
    if (changed)
        emit layoutChangedHeights();
}

void LaneModel::setExpanded(int lane, bool expanded)
{
    if (lane < 0 || lane >= m_keys.size() || m_expanded[lane] == expanded)
        return;
    m_expanded[lane] = expanded;
    const QString k = m_keys[lane].key();
    m_collapsed.removeAll(k);
    if (!expanded)
        m_collapsed.append(k);
    const QModelIndex i = index(rowOfLane(lane));
    emit dataChanged(i, i, {Qt::SizeHintRole, Qt::DisplayRole, ExpandedRole});
    emit layoutChangedHeights();
}

void LaneModel::setRowHeight(int height)
{
    if (height == m_rowHeight || height <= 0)
        return;
    m_rowHeight = height;
    if (!m_order.isEmpty())
        emit dataChanged(index(0), index(int(m_order.size()) - 1), {Qt::SizeHintRole});
    emit layoutChangedHeights();
}

int LaneModel::laneHeight(int lane) const
{
    const int rows = isExpanded(lane) ? std::max(1, m_rows.value(lane, 1)) : 1;
    return rows * m_rowHeight + kLanePadding;
}

int LaneModel::totalHeight() const
{
    int h = 0;
    for (int lane : m_order)
        h += laneHeight(lane);
    return h;
}

LaneLayout LaneModel::layout(int top, int scrollY) const
{
    LaneLayout l;
    l.rowHeight = m_rowHeight;
    l.top.fill(LaneLayout::kHidden, m_keys.size());
    l.expanded.fill(true, m_keys.size());
    int y = top - scrollY;
    for (int lane : m_order) {
        l.top[lane] = y + kLanePadding / 2;
        l.expanded[lane] = isExpanded(lane);
        y += laneHeight(lane);
    }
    return l;
}

int LaneModel::laneAt(int y, int top, int scrollY) const
{
    int at = top - scrollY;
    for (int lane : m_order) {
        const int h = laneHeight(lane);
        if (y >= at && y < at + h)
            return lane;
        at += h;
    }
    return -1;
}

QStringList LaneModel::collapsedKeys() const
{
    return m_collapsed;
}

void LaneModel::setCollapsedKeys(const QStringList &keys)
{
    m_collapsed = keys;
    for (int lane = 0; lane < m_keys.size(); ++lane)
        setExpanded(lane, !keys.contains(m_keys[lane].key()));
}

void LaneModel::clear()
{
    beginResetModel();
    m_keys.clear();
    m_index.clear();
    m_order.clear();
    m_rows.clear();
    m_expanded.clear();
    endResetModel();
    emit layoutChangedHeights();
}

} // namespace tarmac
