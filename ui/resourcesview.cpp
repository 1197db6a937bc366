#include "ui/resourcesview.h"

#include "engine/engine.h"
#include "ui/enginehost.h"
#include "ui/resourcedialogs.h"
#include "ui/resourcemodel.h"

#include <QApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMenu>
#include <QPainter>
#include <QPushButton>
#include <QStyledItemDelegate>
#include <QTimer>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

namespace tarmac {

namespace {

// A resource on two lines: its name, and under it in grey what it is doing now. A group
// shows its count at the right.
class ResourceDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    // Every resource (of any service's kind); not a group, the template's rows or an empty
    // state, which keep one line.
    static bool twoLines(const QModelIndex &index)
    {
        const QString kind = index.data(ResourceModel::KindRole).toString();
        return !kind.isEmpty() && kind != QLatin1String("group")
            && kind != QLatin1String("template") && kind != QLatin1String("empty");
    }

    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        QSize s = QStyledItemDelegate::sizeHint(option, index);
        if (twoLines(index))
            s.setHeight(option.fontMetrics.height() * 2 + 6);
        return s;
    }

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
        const QModelIndex &index) const override
    {
        const QString status = index.data(ResourceModel::StatusRole).toString();
        if (!twoLines(index)) {
            QStyledItemDelegate::paint(painter, option, index);
            if (!status.isEmpty()) {
                painter->save();
                painter->setPen(option.palette.color(QPalette::PlaceholderText));
                painter->drawText(
                    option.rect.adjusted(0, 0, -6, 0), Qt::AlignRight | Qt::AlignVCenter, status);
                painter->restore();
            }
            return;
        }
        QStyleOptionViewItem opt = option;
        initStyleOption(&opt, index);
        const QWidget *widget = option.widget;
        QStyle *style = widget ? widget->style() : QApplication::style();
        style->drawPrimitive(QStyle::PE_PanelItemViewItem, &opt, painter, widget);
        const bool selected = option.state & QStyle::State_Selected;
        const int line = option.fontMetrics.height() + 3;
        const int swatch = 10;
        const QRect first(option.rect.left() + swatch + 10, option.rect.top() + 2,
            option.rect.width() - swatch - 14, line);
        const QRect second = first.translated(0, line);
        painter->save();
        const QColor colour = index.data(Qt::DecorationRole).value<QColor>();
        painter->fillRect(
            QRect(option.rect.left() + 4, first.center().y() - swatch / 2, swatch, swatch), colour);
        const QColor warn = index.data(Qt::ForegroundRole).value<QColor>();
        painter->setPen(selected ? option.palette.color(QPalette::HighlightedText)
                : warn.isValid() ? warn
                                 : option.palette.color(QPalette::Text));
        painter->drawText(first, Qt::AlignLeft | Qt::AlignVCenter,
            option.fontMetrics.elidedText(opt.text, Qt::ElideMiddle, first.width()));
        painter->setPen(
            selected ? option.palette.color(QPalette::HighlightedText) : QColor::fromRgb(0x5f6368));
        painter->drawText(second, Qt::AlignLeft | Qt::AlignVCenter,
            option.fontMetrics.elidedText(status, Qt::ElideRight, second.width()));
        painter->restore();
    }
};

} // namespace

ResourcesView::ResourcesView(EngineHost *host, ResourceModel *model, QWidget *parent)
    : QWidget(parent)
    , m_host(host)
    , m_model(model)
    , m_tree(new QTreeView)
    , m_invoke(new QPushButton(tr("Invoke…")))
    , m_browse(new QPushButton(tr("Browse…")))
    , m_actions(new QToolButton)
    , m_outcome(new QLabel)
    , m_timer(new QTimer(this))
{
    m_tree->setModel(model);
    m_tree->setObjectName(QStringLiteral("resourceTree"));
    m_tree->setWordWrap(true);
    m_tree->setUniformRowHeights(false);
    m_tree->setItemDelegate(new ResourceDelegate(m_tree));
    m_tree->setHeaderHidden(true);
    m_tree->setIconSize(QSize(10, 10));
    // Long physical names (SAM's demo-Fn-1A2B3C) lose their middle.
    m_tree->setTextElideMode(Qt::ElideMiddle);
    m_tree->expandAll();
    m_invoke->setObjectName(QStringLiteral("resourceInvoke"));
    m_browse->setObjectName(QStringLiteral("resourceBrowse"));
    m_invoke->setToolTip(tr("Send an event to the selected function"));
    m_browse->setToolTip(tr("List, upload, download and delete what the selected resource holds"));
    m_actions->setObjectName(QStringLiteral("resourceActions"));
    m_actions->setText(tr("Actions"));
    m_actions->setToolTip(tr("What else the selected resource offers (a queue's Purge, a "
                             "dead-letter queue's Redrive)"));
    m_actions->setPopupMode(QToolButton::InstantPopup);
    m_actions->setMenu(new QMenu(m_actions));
    m_outcome->setObjectName(QStringLiteral("resourceOutcome"));
    m_outcome->setWordWrap(true);
    m_outcome->hide();
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_invoke);
    buttons->addWidget(m_browse);
    buttons->addWidget(m_actions);
    buttons->addStretch();
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_tree, 1);
    layout->addLayout(buttons);
    layout->addWidget(m_outcome);

    connect(m_tree, &QTreeView::doubleClicked, this, &ResourcesView::activate);
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this,
        &ResourcesView::updateButtons);
    connect(m_invoke, &QPushButton::clicked, this, [this] { activate(m_tree->currentIndex()); });
    connect(m_browse, &QPushButton::clicked, this, [this] { activate(m_tree->currentIndex()); });
    // New rows (a function appears) are shown unfolded.
    connect(model, &QAbstractItemModel::rowsInserted, m_tree, [this](const QModelIndex &parent) {
        if (!parent.isValid())
            m_tree->expandAll();
        else
            m_tree->expand(parent);
    });
    m_timer->setInterval(2000);
    connect(m_timer, &QTimer::timeout, this, [this] {
        if (m_host->isRunning())
            m_model->refresh(m_host);
    });
    connect(host, &EngineHost::started, this, [this] {
        m_model->refresh(m_host);
        m_tree->expandAll();
    });
    updateButtons();
}

void ResourcesView::showEvent(QShowEvent *event)
{
    m_timer->start();
    if (m_host->isRunning())
        m_model->refresh(m_host);
    QWidget::showEvent(event);
}

void ResourcesView::hideEvent(QHideEvent *event)
{
    m_timer->stop();
    QWidget::hideEvent(event);
}

void ResourcesView::updateButtons()
{
    const QStringList actions
        = m_tree->currentIndex().data(ResourceModel::ActionsRole).toStringList();
    m_invoke->setEnabled(actions.contains(QLatin1String("invoke")));
    m_browse->setEnabled(actions.contains(QLatin1String("browse")));
    const QModelIndex current = m_tree->currentIndex();
    const QString kind = current.data(ResourceModel::KindRole).toString();
    const QString name = current.siblingAtColumn(0).data(ResourceModel::NameRole).toString();
    QMenu *menu = m_actions->menu();
    menu->clear();
    for (const QString &action : actions) {
        if (action == QLatin1String("browse") || action == QLatin1String("invoke"))
            continue;
        QString label = action;
        label[0] = label[0].toUpper();
        QAction *a = menu->addAction(label);
        a->setObjectName(QStringLiteral("action-") + action);
        connect(a, &QAction::triggered, this,
            [this, kind, name, action] { runAction(kind, name, action); });
    }
    m_actions->setEnabled(!menu->isEmpty());
}

void ResourcesView::runAction(const QString &kind, const QString &name, const QString &action)
{
    // An action that asks for something first (its fields in the catalog) opens a form.
    m_host->call<QList<CatalogField>>(
        this,
        [kind, name, action](Engine &engine) {
            for (const CatalogEntry &e : engine.catalog()) {
                if (e.kind == kind && e.name == name)
                    return e.actionFields.value(action);
            }
            return QList<CatalogField>();
        },
        [this, kind, name, action](const QList<CatalogField> &fields) {
            if (fields.isEmpty())
                return runActionWith(kind, name, action, {});
            QString title = action;
            title[0] = title[0].toUpper();
            auto *dialog = new ActionDialog(tr("%1: %2").arg(title, name), fields, this);
            dialog->setAttribute(Qt::WA_DeleteOnClose);
            connect(dialog, &QDialog::accepted, this, [this, dialog, kind, name, action] {
                runActionWith(kind, name, action, dialog->form()->values());
            });
            dialog->show();
            emit actionDialogShown(dialog);
        });
}

void ResourcesView::runActionWith(const QString &kind, const QString &name, const QString &action,
    const QMap<QString, QString> &fields)
{
    m_host->call<Result<QString>>(
        this,
        [kind, name, action, fields](
            Engine &engine) { return engine.runCatalogAction(kind, name, action, fields); },
        [this](Result<QString> r) {
            m_outcome->setText(r ? *r : tr("Failed: %1").arg(r.error().message));
            m_outcome->show();
            m_model->refresh(m_host);
        });
}

QString ResourcesView::lastOutcome() const
{
    return m_outcome->isVisible() ? m_outcome->text() : QString();
}

QWidget *ResourcesView::invoke(const QString &function)
{
    auto *dialog = new InvokeDialog(m_host, function, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &InvokeDialog::finished, this, [this] { m_model->refresh(m_host); });
    dialog->show();
    return dialog;
}

QWidget *ResourcesView::browse(const QString &kind, const QString &name)
{
    auto *dialog = new ItemBrowser(m_host, kind, name, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ItemBrowser::changed, this, [this] { m_model->refresh(m_host); });
    dialog->show();
    return dialog;
}

void ResourcesView::activate(const QModelIndex &index)
{
    const QString kind = index.data(ResourceModel::KindRole).toString();
    const QString name = index.siblingAtColumn(0).data(ResourceModel::NameRole).toString();
    const QStringList actions
        = index.siblingAtColumn(0).data(ResourceModel::ActionsRole).toStringList();
    if (kind == QLatin1String("function"))
        invoke(name);
    else if (actions.contains(QLatin1String("browse")))
        browse(kind, name);
}

} // namespace tarmac
