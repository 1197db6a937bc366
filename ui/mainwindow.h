#pragma once

#include "trace/span.h"

#include <QMainWindow>

class QAction;
class QLabel;
class QSplitter;
class QTreeWidget;

namespace tarmac {

class EngineHost;
class InspectorWidget;
class LaneModel;
class LiveFeed;
class LogModel;
class LogView;
class NotificationBar;
class QueryRunner;
class ReplayPanel;
class ResourceModel;
class ResourcesView;
class SpanSelection;
class StepperController;
class StepperPanel;
class TimelineSession;
class TimelineView;
class ZoomState;

// The desktop window: the timeline on top, the logs and the inspector below, the resources
// at the side, the stepper and clock in the tool bar, the ports and state folder in the
// status bar. Wiring only: it creates the parts, connects them to the engine host and to
// each other, and saves their layout (QSettings) between runs.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(EngineHost *host, QWidget *parent = nullptr);
    ~MainWindow() override;

    TimelineView *timelineView() const { return m_timeline; }
    TimelineSession *timelineSession() const { return m_session; }
    ZoomState *zoomState() const { return m_zoom; }
    LogModel *logModel() const { return m_logs; }
    LogView *logView() const { return m_logView; }
    InspectorWidget *inspector() const { return m_inspector; }
    SpanSelection *selection() const { return m_selection; }
    NotificationBar *notifications() const { return m_notifications; }
    LiveFeed *liveFeed() const { return m_feed; }
    QueryRunner *queryRunner() const { return m_runner; }
    StepperController *stepper() const { return m_stepper; }
    StepperPanel *stepperPanel() const { return m_stepperPanel; }
    ResourceModel *resources() const { return m_resources; }
    ResourcesView *resourcesView() const { return m_resourcesView; }
    ReplayPanel *replayPanel() const { return m_replayPanel; }

    // Opens another project (a folder or a template): the engine restarts on it.
    void openProject(const QString &path);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildActions();
    void showStarted(const QString &readyLine, const QString &stateDir);
    void showFailed(const QString &message);
    void showServices(const QList<QPair<QString, QString>> &services);
    void onEngineStopped();
    void loadLogHistory();
    void loadInvocationCounts();
    void updateStepperStatus();
    void chooseProject();
    void chooseCapture();
    void saveSettings() const;
    void restoreSettings();

    EngineHost *m_host;
    ZoomState *m_zoom;
    LaneModel *m_lanes;
    QueryRunner *m_runner;
    TimelineSession *m_session;
    SpanSelection *m_selection;
    LiveFeed *m_feed;
    LogModel *m_logs;
    StepperController *m_stepper;
    ResourceModel *m_resources;

    NotificationBar *m_notifications;
    TimelineView *m_timeline;
    LogView *m_logView;
    InspectorWidget *m_inspector;
    StepperPanel *m_stepperPanel;
    ResourcesView *m_resourcesView;
    ReplayPanel *m_replayPanel;
    QSplitter *m_mainSplit;
    QSplitter *m_bottomSplit;
    QTreeWidget *m_services;
    QLabel *m_status;
    QLabel *m_endpoints;
    QLabel *m_counts;
    QLabel *m_stepperStatus;
    QAction *m_follow = nullptr;
    QAction *m_back = nullptr;
    QAction *m_forward = nullptr;
    qint64 m_firstLiveLogNs = 0;
    qsizetype m_lastWaiting = 0;
};

} // namespace tarmac
