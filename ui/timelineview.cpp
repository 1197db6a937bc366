#include "ui/timelineview.h"

#include "ui/lanemodel.h"
#include "ui/timelineoverview.h"
#include "ui/timelinewidget.h"

#include <QEvent>
#include <QHeaderView>
#include <QScrollBar>
#include <QSplitter>
#include <QTreeView>
#include <QVBoxLayout>

namespace tarmac {

TimelineView::TimelineView(ZoomState *zoom, TimelineSession *session, LaneModel *lanes,
    SpanSelection *selection, QWidget *parent)
    : QWidget(parent)
    , m_model(lanes)
    , m_overview(new TimelineOverview(zoom, session))
    , m_lanes(new QTreeView)
    , m_tracks(new TimelineWidget(zoom, session, lanes, selection))
    , m_split(new QSplitter(Qt::Horizontal))
{
    m_overview->setObjectName(QStringLiteral("timelineOverview"));
    m_tracks->setObjectName(QStringLiteral("timelineTracks"));
    m_lanes->setObjectName(QStringLiteral("laneList"));
    m_split->setObjectName(QStringLiteral("timelineSplitter"));

    lanes->setRowHeight(std::max(18, fontMetrics().height() + 6));
    m_lanes->setModel(lanes);
    m_lanes->setRootIsDecorated(false);
    m_lanes->setUniformRowHeights(false);
    m_lanes->setItemsExpandable(false);
    m_lanes->setSelectionMode(QAbstractItemView::NoSelection);
    m_lanes->setFocusPolicy(Qt::NoFocus);
    m_lanes->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_lanes->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_lanes->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_lanes->setTextElideMode(Qt::ElideMiddle);
    m_lanes->setIconSize(QSize(10, 10));
    m_lanes->header()->setFixedHeight(TimelineWidget::kAxisHeight);
    m_lanes->header()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    m_lanes->setHeaderHidden(false);
    m_lanes->setMinimumWidth(120);

    // One vertical scroll bar, at the tracks' right edge, drives both.
    auto *scroll = new QScrollBar(Qt::Vertical);
    scroll->setObjectName(QStringLiteral("timelineScroll"));
    auto *right = new QWidget;
    auto *rightLayout = new QHBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->setSpacing(0);
    rightLayout->addWidget(m_tracks, 1);
    rightLayout->addWidget(scroll);

    m_split->addWidget(m_lanes);
    m_split->addWidget(right);
    m_split->setStretchFactor(0, 0);
    m_split->setStretchFactor(1, 1);
    m_split->setSizes({240, 900});
    m_split->setCollapsible(1, false);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(m_overview);
    layout->addWidget(m_split, 1);

    connect(scroll, &QScrollBar::valueChanged, this, [this](int v) {
        m_tracks->setScrollY(v);
        m_lanes->verticalScrollBar()->setValue(v);
    });
    connect(m_tracks, &TimelineWidget::verticalScrollRequested, scroll,
        [scroll](int delta) { scroll->setValue(scroll->value() + delta); });
    connect(m_lanes, &QTreeView::clicked, this, [this](const QModelIndex &index) {
        m_model->toggleExpanded(m_model->laneAtRow(index.row()));
    });
    const auto sync = [this, scroll] {
        const int visible = std::max(0, m_tracks->height() - TimelineWidget::kAxisHeight);
        scroll->setRange(0, std::max(0, m_model->totalHeight() - visible));
        scroll->setPageStep(visible);
        scroll->setSingleStep(m_model->rowHeight());
        m_lanes->verticalScrollBar()->setValue(scroll->value());
    };
    connect(lanes, &LaneModel::layoutChangedHeights, this, sync);
    connect(lanes, &QAbstractItemModel::rowsInserted, this, sync);
    m_tracks->installEventFilter(this);
    // Resizing changes how much is visible: recompute the range on the next turn of the loop.
    connect(m_tracks, &TimelineWidget::verticalScrollRequested, this, sync);
    m_syncRange = sync;
}

bool TimelineView::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_tracks && event->type() == QEvent::Resize && m_syncRange)
        m_syncRange();
    return QWidget::eventFilter(watched, event);
}

} // namespace tarmac
