#pragma once

#include "ui/timelinedata.h"
#include "ui/timelinegeometry.h"

#include <QAbstractListModel>
#include <QHash>

namespace tarmac {

// The lanes of the timeline, listed at its side: one per service and one per function, in a
// fixed order (API Gateway, functions, services, Tarmac's own endpoints), each collapsible.
//
// A lane has a stable id for the whole session (its index in keys()), which is what
// TimelineData stores per item; the row in this model is only where the lane is listed.
// The model knows how tall each lane is, so the list beside the timeline and the timeline
// itself compute the same layout. It holds no spans.
class LaneModel : public QAbstractListModel
{
    Q_OBJECT
public:
    enum Role {
        LaneIdRole = Qt::UserRole + 1,
        ExpandedRole,
        RowCountRole,
        KeyRole,
    };

    static constexpr int kLanePadding = 4;

    explicit LaneModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role) override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    // The id of the lane with that key, adding it when new.
    int ensureLane(const TimelineData::LaneKey &key);
    const QList<TimelineData::LaneKey> &keys() const { return m_keys; }
    int laneCount() const { return int(m_keys.size()); }
    int laneAtRow(int row) const { return m_order.value(row, -1); }
    int rowOfLane(int lane) const { return int(m_order.indexOf(lane)); }

    // Brings the lane ids of freshly built data into this model's numbering.
    void adopt(TimelineData &data);
    // Takes the row counts (nesting depth) of the data on display. Live additions only grow
    // a lane, so that it does not jump while the user reads it.
    void updateRows(const TimelineData &data, bool growOnly = true);

    bool isExpanded(int lane) const { return m_expanded.value(lane, true); }
    void setExpanded(int lane, bool expanded);
    void toggleExpanded(int lane) { setExpanded(lane, !isExpanded(lane)); }

    void setRowHeight(int height);
    int rowHeight() const { return m_rowHeight; }
    int laneHeight(int lane) const;
    int totalHeight() const;
    // Lane tops for a timeline whose tracks begin at `top` and are scrolled by `scrollY`.
    LaneLayout layout(int top, int scrollY) const;
    // The lane at a y in that layout, or -1.
    int laneAt(int y, int top, int scrollY) const;

    // "λ SummarizeFunction" (the template's logical id when it has one), "S3".
    QString displayName(const TimelineData::LaneKey &key) const;
    // A function's physical name → the template's logical id.
    void setDisplayNames(const QHash<QString, QString> &physicalToLogical);

    // Collapsed lanes by key, to restore a session's layout.
    QStringList collapsedKeys() const;
    void setCollapsedKeys(const QStringList &keys);

    void clear();

signals:
    void layoutChangedHeights();

private:
    static int sortGroup(const TimelineData::LaneKey &key);

    QHash<QString, QString> m_names;
    QList<TimelineData::LaneKey> m_keys; // by lane id
    QHash<QString, int> m_index; // key() → lane id
    QList<int> m_order; // model row → lane id
    QList<int> m_rows; // by lane id
    QList<bool> m_expanded; // by lane id
    QStringList m_collapsed; // restored state for lanes not seen yet
    int m_rowHeight = 20;
};

} // namespace tarmac
