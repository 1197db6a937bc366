#include "ui/mainwindow.h"

#include "ui/clockstatus.h"
#include "ui/enginehost.h"
#include "ui/inspectorwidget.h"
#include "ui/lanemodel.h"
#include "ui/livefeed.h"
#include "ui/logmodel.h"
#include "ui/logview.h"
#include "ui/notificationbar.h"
#include "ui/queryrunner.h"
#include "ui/replaypanel.h"
#include "ui/resourcemodel.h"
#include "ui/resourcesview.h"
#include "ui/spanselection.h"
#include "ui/steppercontroller.h"
#include "ui/stepperpanel.h"
#include "ui/timelinesession.h"
#include "ui/timelineview.h"
#include "ui/timelinewidget.h"
#include "ui/zoomstate.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QMenuBar>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTimer>
#include <QToolBar>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace tarmac {

namespace {

constexpr qsizetype kLogHistory = 20'000;

} // namespace

MainWindow::MainWindow(EngineHost *host, QWidget *parent)
    : QMainWindow(parent)
    , m_host(host)
    , m_zoom(new ZoomState(this))
    , m_lanes(new LaneModel(this))
    , m_runner(new QueryRunner(this))
    , m_session(new TimelineSession(m_zoom, m_lanes, m_runner, this))
    , m_selection(new SpanSelection(this))
    , m_feed(new LiveFeed(250, this))
    , m_logs(new LogModel(this))
    , m_stepper(new StepperController(host, this))
    , m_resources(new ResourceModel(this))
    , m_notifications(new NotificationBar)
    , m_timeline(new TimelineView(m_zoom, m_session, m_lanes, m_selection))
    , m_logView(new LogView(m_logs, m_selection))
    , m_inspector(new InspectorWidget(m_runner, m_selection))
    , m_stepperPanel(new StepperPanel(m_stepper))
    , m_resourcesView(new ResourcesView(host, m_resources))
    , m_replayPanel(new ReplayPanel(host, m_stepper))
    , m_mainSplit(new QSplitter(Qt::Vertical))
    , m_bottomSplit(new QSplitter(Qt::Horizontal))
    , m_services(new QTreeWidget)
    , m_status(new QLabel)
    , m_endpoints(new QLabel)
    , m_counts(new QLabel)
    , m_stepperStatus(new QLabel)
{
    setWindowTitle(QStringLiteral("Tarmac"));
    setObjectName(QStringLiteral("mainWindow"));

    m_bottomSplit->setObjectName(QStringLiteral("bottomSplitter"));
    m_bottomSplit->addWidget(m_logView);
    m_bottomSplit->addWidget(m_inspector);
    m_bottomSplit->setStretchFactor(0, 3);
    m_bottomSplit->setStretchFactor(1, 2);
    m_inspector->setMinimumWidth(320); // the span tree and its buttons stay readable
    m_mainSplit->setObjectName(QStringLiteral("mainSplitter"));
    m_mainSplit->addWidget(m_timeline);
    m_mainSplit->addWidget(m_bottomSplit);
    m_mainSplit->setStretchFactor(0, 3);
    m_mainSplit->setStretchFactor(1, 2);

    auto *central = new QWidget;
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(4, 4, 4, 0);
    layout->setSpacing(4);
    m_notifications->setObjectName(QStringLiteral("notifications"));
    layout->addWidget(m_notifications);
    m_status->setObjectName(QStringLiteral("engineStatus"));
    m_status->setText(tr("Starting…"));
    m_status->setWordWrap(true);
    layout->addWidget(m_status);
    layout->addWidget(m_mainSplit, 1);
    setCentralWidget(central);

    m_inspector->setEngine(host);
    auto *resourcesDock = new QDockWidget(tr("Resources"));
    resourcesDock->setObjectName(QStringLiteral("resourcesDock"));
    resourcesDock->setWidget(m_resourcesView);
    addDockWidget(Qt::LeftDockWidgetArea, resourcesDock);
    // The services the engine runs and their state.
    m_services->setObjectName(QStringLiteral("services"));
    m_services->setHeaderLabels({tr("Service"), tr("State")});
    m_services->setRootIsDecorated(false);
    m_services->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    auto *servicesDock = new QDockWidget(tr("Services"));
    servicesDock->setObjectName(QStringLiteral("servicesDock"));
    servicesDock->setWidget(m_services);
    addDockWidget(Qt::LeftDockWidgetArea, servicesDock);
    tabifyDockWidget(resourcesDock, servicesDock);
    resourcesDock->raise();
    auto *stepperDock = new QDockWidget(tr("Stepper"));
    stepperDock->setObjectName(QStringLiteral("stepperDock"));
    stepperDock->setWidget(m_stepperPanel);
    addDockWidget(Qt::LeftDockWidgetArea, stepperDock);
    tabifyDockWidget(servicesDock, stepperDock);
    auto *replayDock = new QDockWidget(tr("Replay"));
    replayDock->setObjectName(QStringLiteral("replayDock"));
    replayDock->setWidget(m_replayPanel);
    addDockWidget(Qt::BottomDockWidgetArea, replayDock);
    replayDock->hide();
    connect(m_replayPanel, &ReplayPanel::opened, this, [replayDock] {
        replayDock->show();
        replayDock->raise();
    });
    resourcesDock->raise();
    resizeDocks({resourcesDock}, {300}, Qt::Horizontal);
    // Held deliveries want attention: show the stepper when the first one arrives.
    connect(m_stepper, &StepperController::changed, this, [this, stepperDock] {
        const qsizetype waiting = m_stepper->pending().size();
        if (waiting > 0 && m_lastWaiting == 0)
            stepperDock->raise();
        m_lastWaiting = waiting;
    });

    m_endpoints->setObjectName(QStringLiteral("endpoints"));
    m_endpoints->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_endpoints->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_counts->setObjectName(QStringLiteral("counts"));
    statusBar()->addWidget(m_endpoints, 1);
    m_stepperStatus->setObjectName(QStringLiteral("stepperStatus"));
    statusBar()->addPermanentWidget(m_stepperStatus);
    statusBar()->addPermanentWidget(new ClockStatus(m_stepper));
    statusBar()->addPermanentWidget(m_counts);

    m_timeline->tracks()->setEmptyText(tr("Waiting for Tarmac to start…"));
    buildActions();

    connect(host, &EngineHost::started, this, &MainWindow::showStarted);
    connect(host, &EngineHost::failed, this, &MainWindow::showFailed);
    connect(host, &EngineHost::servicesChanged, this, &MainWindow::showServices);
    connect(host, &EngineHost::stopped, this, &MainWindow::onEngineStopped);
    connect(host, &EngineHost::traceBatch, m_feed, &LiveFeed::add);
    connect(m_feed, &LiveFeed::batch, this,
        [this](const QList<Span> &spans, const QList<LogRecord> &logs) {
            if (!logs.isEmpty() && m_firstLiveLogNs == 0)
                m_firstLiveLogNs = logs.first().timeNs;
            m_session->addLive(spans, logs);
            m_logs->append(logs);
            m_resources->addLiveSpans(spans);
        });
    // Functions by the names the template gives them, in the lanes and the log.
    connect(m_resources, &ResourceModel::displayNamesChanged, m_lanes, &LaneModel::setDisplayNames);
    connect(m_resources, &ResourceModel::displayNamesChanged, m_logs, &LogModel::setDisplayNames);
    connect(m_stepper, &StepperController::failed, this, [this](const QString &message) {
        m_notifications->notify(NotificationBar::Warning, message);
    });
    connect(m_stepper, &StepperController::changed, this, &MainWindow::updateStepperStatus);
    connect(
        m_stepper, &StepperController::availableChanged, this, &MainWindow::updateStepperStatus);
    connect(host, &EngineHost::templateReloaded, this, [this](const QStringList &changes) {
        if (!changes.isEmpty())
            m_notifications->notify(NotificationBar::Info,
                tr("Template reloaded: %1").arg(changes.join(QStringLiteral(", "))));
        m_resources->refresh(m_host);
    });
    connect(host, &EngineHost::templateReloadFailed, this, [this](const QString &error) {
        m_notifications->notify(NotificationBar::Error,
            tr("The template did not load; the app runs as before: %1").arg(error));
        m_resources->refresh(m_host);
    });
    connect(m_session, &TimelineSession::failed, this, [this](const QString &message) {
        m_notifications->notify(NotificationBar::Warning, message);
    });
    connect(m_session, &TimelineSession::dataChanged, this, [this] {
        const TimelineData &d = m_session->data();
        m_counts->setText(
            tr("%n span(s) in view", nullptr, int(std::min<qsizetype>(d.spanCount(), INT_MAX)))
            + (m_session->isLoading() ? tr(" · loading…") : QString()));
    });
    restoreSettings();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *open = file->addAction(tr("&Open project…"), this, &MainWindow::chooseProject);
    open->setShortcut(QKeySequence::Open);
    file->addAction(tr("&Replay capture…"), this, &MainWindow::chooseCapture);
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QToolBar *bar = addToolBar(tr("Timeline"));
    bar->setObjectName(QStringLiteral("timelineToolBar"));
    bar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_back = bar->addAction(tr("◀ Back"), m_zoom, &ZoomState::back);
    m_back->setShortcut(QKeySequence::Back);
    m_back->setToolTip(tr("Previous zoom (Alt+Left)"));
    m_forward = bar->addAction(tr("Forward ▶"), m_zoom, &ZoomState::forward);
    m_forward->setShortcut(QKeySequence::Forward);
    m_forward->setToolTip(tr("Next zoom (Alt+Right)"));
    QAction *fit = bar->addAction(tr("Fit session"), m_zoom, &ZoomState::zoomToFit);
    fit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    fit->setToolTip(tr("Show the whole session (Ctrl+0)"));
    m_follow = bar->addAction(tr("Follow live"));
    m_follow->setObjectName(QStringLiteral("followLive"));
    m_follow->setCheckable(true);
    m_follow->setChecked(m_zoom->followLive());
    m_follow->setToolTip(tr("Keep the newest requests in view; scrolling away turns this off"));
    connect(m_follow, &QAction::toggled, m_zoom, &ZoomState::setFollowLive);
    connect(m_zoom, &ZoomState::followLiveChanged, m_follow, &QAction::setChecked);
    QToolBar *stepper = addToolBar(tr("Stepper"));
    stepper->setObjectName(QStringLiteral("stepperToolBar"));
    stepper->setToolButtonStyle(Qt::ToolButtonTextOnly);
    QAction *pause = stepper->addAction(tr("Pause"), m_stepper, &StepperController::pause);
    pause->setObjectName(QStringLiteral("actionPause"));
    pause->setToolTip(tr("Hold events for functions (F6)"));
    pause->setShortcut(QKeySequence(Qt::Key_F6));
    QAction *step = stepper->addAction(tr("Step"), m_stepper, &StepperController::step);
    step->setObjectName(QStringLiteral("actionStep"));
    step->setToolTip(tr("Deliver the oldest waiting event (F10)"));
    step->setShortcut(QKeySequence(Qt::Key_F10));
    QAction *resume = stepper->addAction(tr("▶ Resume"), m_stepper, &StepperController::resume);
    resume->setObjectName(QStringLiteral("actionResume"));
    resume->setToolTip(tr("Deliver everything waiting and stop holding (F5)"));
    resume->setShortcut(QKeySequence(Qt::Key_F5));
    const auto stepperActions = [this, pause, step, resume] {
        const bool on = m_stepper->isAvailable();
        pause->setEnabled(on && !m_stepper->isPaused());
        step->setEnabled(on && !m_stepper->pending().isEmpty());
        resume->setEnabled(on && (m_stepper->isPaused() || !m_stepper->pending().isEmpty()));
    };
    connect(m_stepper, &StepperController::changed, this, stepperActions);
    connect(m_stepper, &StepperController::availableChanged, this, stepperActions);
    stepperActions();

    const auto history = [this] {
        m_back->setEnabled(m_zoom->canGoBack());
        m_forward->setEnabled(m_zoom->canGoForward());
    };
    connect(m_zoom, &ZoomState::historyChanged, this, history);
    history();

    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->addAction(m_back);
    view->addAction(m_forward);
    view->addAction(fit);
    view->addAction(m_follow);
    for (QDockWidget *dock : findChildren<QDockWidget *>())
        view->addAction(dock->toggleViewAction());
}

void MainWindow::showStarted(const QString &readyLine, const QString &stateDir)
{
    // "tarmac ready edge=URL api=URL ide=URL" → one line in the status bar.
    QStringList parts;
    for (const QString &part : readyLine.split(u' ').mid(2))
        parts.append(part.section(u'=', 0, 0) + u' ' + part.section(u'=', 1));
    m_endpoints->setText(parts.join(QStringLiteral(" · ")) + tr(" · state %1").arg(stateDir));
    const QString edge = m_host->endpoint(QStringLiteral("edge"));
    const QString project = m_host->options().projectPath;
    m_status->setText(tr("<b>Tarmac is running</b> %1 — clients reach it at %2")
                          .arg(project.isEmpty() ? tr("with an empty project")
                                                 : tr("on %1").arg(project.toHtmlEscaped()),
                              edge.toHtmlEscaped()));
    setWindowTitle(project.isEmpty()
            ? QStringLiteral("Tarmac")
            : QStringLiteral("%1 — Tarmac").arg(QFileInfo(project).fileName()));
    m_timeline->tracks()->setEmptyText(
        tr("No requests yet.\n\nPoint an AWS client at %1, for example\n"
           "aws --endpoint-url %1 s3 mb s3://my-bucket\n"
           "and every request, invocation and log line appears here.")
            .arg(edge));

    m_runner->open(m_host->tracesPath());
    m_session->reload();
    loadLogHistory();
    loadInvocationCounts();
}

void MainWindow::loadInvocationCounts()
{
    m_runner->run<Result<QHash<QString, TraceQuery::Invocations>>>(
        QueryRunner::Counts, this,
        [](TraceQuery *q,
            const QueryRunner::Cancelled &) -> Result<QHash<QString, TraceQuery::Invocations>> {
            if (!q)
                return QHash<QString, TraceQuery::Invocations>();
            return q->invocationsByFunction();
        },
        [this](Result<QHash<QString, TraceQuery::Invocations>> counts) {
            if (!counts)
                return;
            // Live spans counted meanwhile are in the store too: the store's count wins,
            // plus what arrives from now on.
            m_resources->setInvocations(*counts);
        });
}

void MainWindow::updateStepperStatus()
{
    if (!m_stepper->isAvailable()) {
        m_stepperStatus->clear();
        return;
    }
    const qsizetype waiting = m_stepper->pending().size();
    if (m_stepper->isPaused())
        m_stepperStatus->setText(tr("Paused · %n waiting", nullptr, int(waiting)));
    else if (waiting)
        m_stepperStatus->setText(tr("%n held by breakpoints", nullptr, int(waiting)));
    else
        m_stepperStatus->setText(tr("delivering"));
}

void MainWindow::loadLogHistory()
{
    TraceQuery::LogQuery q;
    q.limit = kLogHistory;
    q.newest = true;
    // Lines that already came live are not read twice.
    if (m_firstLiveLogNs != 0)
        q.toNs = m_firstLiveLogNs - 1;
    m_runner->run<Result<QList<LogRecord>>>(
        QueryRunner::Logs, this,
        [q](TraceQuery *query, const QueryRunner::Cancelled &) -> Result<QList<LogRecord>> {
            if (!query)
                return QList<LogRecord>();
            return query->logs(q);
        },
        [this](Result<QList<LogRecord>> logs) {
            if (logs)
                m_logs->prepend(*logs);
        });
}

void MainWindow::showFailed(const QString &message)
{
    // Said once, in the banner (and on stderr, by the app); the status bar only says so.
    m_status->setText(tr("<b>Not running</b>"));
    m_resources->setStartError(message);
    m_notifications->notify(NotificationBar::Error, tr("Tarmac could not start: %1").arg(message));
    m_timeline->tracks()->setEmptyText(tr("Tarmac is not running. Fix the problem above, then use "
                                          "File › Open project… to try again."));
}

void MainWindow::showServices(const QList<QPair<QString, QString>> &services)
{
    m_services->clear();
    for (const auto &[name, state] : services)
        m_services->addTopLevelItem(new QTreeWidgetItem({name, state}));
}

void MainWindow::onEngineStopped()
{
    m_feed->clear();
    m_runner->close();
    m_session->clear();
    m_lanes->clear();
    m_zoom->reset();
    m_logs->clear();
    m_selection->clear();
    m_resources->clear();
    m_firstLiveLogNs = 0;
    m_endpoints->clear();
    m_services->clear();
    m_status->setText(tr("Starting…"));
}

void MainWindow::chooseProject()
{
    const QString start = m_host->options().projectPath;
    const QString dir = QFileDialog::getExistingDirectory(
        this, tr("Open a project folder (with template.yaml)"), start);
    if (!dir.isEmpty())
        openProject(dir);
}

void MainWindow::chooseCapture()
{
    const QString path = QFileDialog::getOpenFileName(this,
        tr("Replay a capture (JSON Lines, CloudWatch Logs or SQS output, an event)"),
        m_host->options().projectPath, tr("Captures (*.jsonl *.json);;All files (*)"));
    if (!path.isEmpty())
        m_replayPanel->open(path);
}

void MainWindow::openProject(const QString &path)
{
    Engine::Options o = m_host->options();
    o.projectPath = QFileInfo(path).absoluteFilePath();
    // Each project keeps its own state folder (PROJECT/.tarmac) unless the run is ephemeral.
    o.stateDir.clear();
    saveSettings();
    m_host->restart(o);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveSettings();
    // Stop the engine while the window is still here: its functions are stopped before the
    // process exits, so none is left running.
    m_host->stop();
    event->accept();
}

void MainWindow::saveSettings() const
{
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
    s.setValue(QStringLiteral("window/mainSplitter"), m_mainSplit->saveState());
    s.setValue(QStringLiteral("window/bottomSplitter"), m_bottomSplit->saveState());
    s.setValue(QStringLiteral("window/timelineSplitter"), m_timeline->splitter()->saveState());
    s.setValue(QStringLiteral("logs/filters"), m_logView->saveState());
    s.setValue(QStringLiteral("timeline/collapsedLanes"), m_lanes->collapsedKeys());
}

void MainWindow::restoreSettings()
{
    QSettings s;
    if (!restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(1280, 820);
    if (!restoreState(s.value(QStringLiteral("window/state")).toByteArray())) {
        // First start: the resources dock takes a fifth of the window once it is laid out
        // (before that, its contents' size hint would decide).
        QTimer::singleShot(0, this, [this] {
            if (auto *dock = findChild<QDockWidget *>(QStringLiteral("resourcesDock")))
                resizeDocks({dock}, {std::clamp(width() / 5, 240, 360)}, Qt::Horizontal);
        });
    }
    m_mainSplit->restoreState(s.value(QStringLiteral("window/mainSplitter")).toByteArray());
    m_bottomSplit->restoreState(s.value(QStringLiteral("window/bottomSplitter")).toByteArray());
    m_timeline->splitter()->restoreState(
        s.value(QStringLiteral("window/timelineSplitter")).toByteArray());
    m_logView->restoreState(s.value(QStringLiteral("logs/filters")).toMap());
    m_lanes->setCollapsedKeys(s.value(QStringLiteral("timeline/collapsedLanes")).toStringList());
}

} // namespace tarmac
