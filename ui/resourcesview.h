#pragma once

#include <QMap>
#include <QWidget>

class QDialog;

class QLabel;
class QPushButton;
class QToolButton;
class QTimer;
class QTreeView;

namespace tarmac {

class EngineHost;
class ResourceModel;

// The resources panel: the tree (ResourceModel) with Invoke… for a function and Browse… for
// a bucket or a queue (double-click does the same), and the other actions a resource offers
// (a queue's Purge, a dead-letter queue's Redrive: ServiceModule::runAction) under Actions,
// refreshed every two seconds while visible and after anything done from here. Opens the
// dialogs; owns no data.
class ResourcesView : public QWidget
{
    Q_OBJECT
public:
    ResourcesView(EngineHost *host, ResourceModel *model, QWidget *parent = nullptr);

    QTreeView *tree() const { return m_tree; }
    // The dialogs (tests and automation).
    QWidget *invoke(const QString &function);
    // The item browser of a resource that offers "browse".
    QWidget *browse(const QString &kind, const QString &name);
    // Runs one of a resource's other actions; the outcome shows under the buttons. An action
    // with fields (a route's "send request") asks for them first, in an ActionDialog.
    void runAction(const QString &kind, const QString &name, const QString &action);
    void runActionWith(const QString &kind, const QString &name, const QString &action,
        const QMap<QString, QString> &fields);
    QString lastOutcome() const;

signals:
    void actionDialogShown(QDialog *dialog);

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void activate(const QModelIndex &index);
    void updateButtons();

    EngineHost *m_host;
    ResourceModel *m_model;
    QTreeView *m_tree;
    QPushButton *m_invoke;
    QPushButton *m_browse;
    QToolButton *m_actions;
    QLabel *m_outcome;
    QTimer *m_timer;
};

} // namespace tarmac
