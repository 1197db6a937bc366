#pragma once

#include <QMainWindow>

class QLabel;
class QTreeWidget;

namespace tarmac {

class EngineHost;

// The desktop window. For now: where Tarmac listens and each service's state; the
// timeline, logs, stepper and resources come with the desktop issue. Wiring only.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(EngineHost *host, QWidget *parent = nullptr);

private:
    void showStarted(const QString &readyLine, const QString &stateDir);
    void showFailed(const QString &message);
    void showServices(const QList<QPair<QString, QString>> &services);

    EngineHost *m_host;
    QLabel *m_status;
    QTreeWidget *m_services;
};

} // namespace tarmac
