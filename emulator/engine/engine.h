#pragma once

#include "base/busy.h"
#include "base/clock.h"
#include "base/result.h"
#include "engine/ideport.h"
#include "functions/delivery.h"
#include "services/servicemodule.h"
#include "trace/consolelog.h"
#include "trace/otlpexporter.h"

#include <QHash>
#include <QHostAddress>
#include <QMutex>
#include <QObject>
#include <QScopeGuard>
#include <QStringList>
#include <QTimer>
#include <QUrl>

#include <memory>
#include <vector>

class QLockFile;
class QTemporaryDir;

namespace tarmac {

class AsyncInvoker;
class DeliverySink;
class Dispatcher;
class DispatcherApi;
class FunctionRunner;
class RuntimeRegistry;
class EdgeRouter;
class EventSourceMappings;
class MessageTargets;
class EventSourcePoller;
class HttpHandler;
class HttpServer;
class ServiceModule;
class ServiceRegistry;
class StackApplier;
class TraceApi;
class OtlpReceiverApi;
class ClockApi;
class FaultInjector;
class TestControl;
class Store;
class Tracer;

// The one facade over a running Tarmac: it opens the state folder (SQLite state, blobs,
// traces), starts the services, and listens on the edge, API and IDE ports. The GUI, the
// IDE server and `tarmac serve` all drive it through this API. Wiring only: the parts it
// wires hold the logic.
class Engine : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QString projectPath; // folder or template; empty: an empty project
        QString stateDir; // empty: PROJECT/.tarmac (or ./.tarmac)
        bool ephemeral = false; // state in a temporary folder, removed at exit
        QHostAddress host = QHostAddress(QHostAddress::LocalHost);
        int edgePort = 4566; // 0: any free port
        int idePort = 4567;
        // The modules' own ports by name (ServicePort::name: "api" → 3000 unless set here);
        // 0: any free port.
        QHash<QString, int> ports;
        QStringList parameterOverrides;
        QString stackName; // empty: StackLoader::defaultStackName()
        QHash<QString, QString> layerFolders; // StackLoader::Options::layerFolders
        int ioThreads = 2; // edge I/O threads
        int functionIdleMs = -1; // -1: $TARMAC_FUNCTION_IDLE_MS, else 10 minutes
        QList<int>
            asyncRetryDelaysMs; // empty: $TARMAC_ASYNC_RETRY_DELAYS_MS ("1000,2000"), else 1 s, 2 s
        // Services' own settings, by "service.setting" (e.g. "s3.signatureCredentials": the
        // credentials file against which S3 verifies request signatures).
        QHash<QString, QString> serviceOptions;
        // What the terminal shows (requests, function output, errors): none when unset.
        std::optional<ConsoleLog::Options> console;
        // Where spans and logs stream as they are written (--otlp-endpoint): none when unset.
        std::optional<OtlpExporter::Options> otlp;
        // Makes the IDE port's server (ide/: makeIdePort), on idePort; unset: no IDE port.
        std::function<std::unique_ptr<IdePort>(Engine &engine)> ide;
    };

    explicit Engine(Options options, Clock *clock = nullptr, QObject *parent = nullptr);
    ~Engine() override;

    // Opens the state and binds every port. Errors are one line, fit for a user.
    Result<void> start();
    // Graceful: stop accepting, let in-flight requests finish, flush traces; emits stopped().
    void stop();
    bool isRunning() const { return m_running; }
    // stop() was called: it is draining (or has stopped).
    bool isStopping() const { return m_stopping || !m_running; }

    QUrl edgeUrl() const;
    // A module's port by its name ("api"); an empty URL when no module has one so named.
    QUrl portUrl(const QString &name) const;
    QUrl ideUrl() const;
    QString stateDir() const { return m_stateDir; }
    // Where builds go (StackLoader::Options::buildRoot): STATE/build. An --ephemeral run keeps
    // no data but uses what `tarmac build` installed in the project (PROJECT/.tarmac/build).
    QString buildRoot() const;
    QString ideToken() const { return m_ideToken; }
    const Options &options() const { return m_options; }

    Clock *clock() const { return m_clock; }
    ServiceRegistry *services() const { return m_registry.get(); }
    Tracer *tracer() const { return m_tracer.get(); }
    Store *store() const { return m_store.get(); }
    // The module of that name ("s3", "lambda"), or null.
    ServiceModule *module(const QString &name) const;
    // Every module, in start order.
    QList<ServiceModule *> modules() const;
    // Every event for a function goes through the Dispatcher (DESIGN.md, "The way an event
    // travels"); the FunctionRunner runs them. Both exist from start() on; null before.
    Dispatcher *dispatcher() const { return m_dispatcher.get(); }
    DeliverySink *deliverySink() const;
    FunctionRunner *functionRunner() const { return m_runner.get(); }
    // Lambda's event-source mappings and the sources services register; null before start().
    EventSourceMappings *eventSourceMappings() const { return m_mappings.get(); }
    // The project's template as it runs (resources, outputs, fidelity report), or null when
    // the project has none.
    StackApplier *stack() const { return m_stack.get(); }

    // Every resource the modules show (ServiceModule::catalog()), and their kinds, in module
    // order. On the engine's thread.
    QList<CatalogKind> catalogKinds() const;
    QList<CatalogEntry> catalog() const;
    // The module that shows resources of that kind, or null.
    ServiceModule *catalogModule(const QString &kind) const;
    // One of a resource's other actions ("purge": ServiceModule::runActionWith), with what
    // was typed in its fields, through the module that shows its kind: what it did, as a
    // phrase for the user.
    Result<QString> runCatalogAction(const QString &kind, const QString &name,
        const QString &action, const QMap<QString, QString> &fields = {}) const;

    // Tarmac's own pages and controls at /_tarmac/<name>… on the edge port, for the layers
    // above (the IDE's browser console). Before start() binds the edge port, or from
    // Options::ide's factory; `handler` outlives the engine's servers.
    void addEdgeRoute(const QByteArray &prefix, HttpHandler *handler);

    // Invokes a function as the desktop's Invoke dialog and the IDE do (origin "manual"), on
    // a new trace. `function` is its name, the template's logical id or its ARN. Synchronous:
    // `done` gets the outcome on an arbitrary thread (maybe before this returns). Event
    // (async): stored, retried and sent to destinations as Lambda does, and `done` is not
    // called. ResourceNotFoundException for no such function.
    struct Invocation
    {
        QString function;
        QByteArray payload;
        bool async = false;
        bool tailLogs = false;
        QString origin = QStringLiteral("manual"); // "replay" for a recorded event again
    };
    struct Invoked
    {
        QByteArray id; // the delivery's (and the invocation's request id)
        QByteArray traceId;
        QString function; // its name
    };
    Result<Invoked> invoke(
        Invocation invocation, std::function<void(const DeliveryResult &)> done = nullptr) const;
    // A function's name for its name, logical id or ARN (qualifier dropped), or an error.
    Result<QString> functionNamed(const QString &nameOrArn) const;

    // Everything not finished yet: deliveries running or held, asynchronous invocations
    // queued or waiting for a retry, records ready for a mapping, a module's outbox, timers
    // due on the clock. What is due later counts only while the clock runs (a frozen clock
    // will not get there). Empty: settled. On the engine's thread.
    QList<BusyItem> busy() const;
    // Whether the clock is frozen (a ControlledClock frozen, or a ManualClock).
    bool clockFrozen() const;

    // Replaces the whole state's data while running (POST /_tarmac/reset, a snapshot
    // restored; ServiceModule's "reset and snapshots"): with the rows, blobs and module files
    // of the snapshot in `snapshotDir` (written by saveState()), or, `snapshotDir` empty, with
    // nothing and then the template applied again. Held deliveries are dropped; traces stay.
    // Warm function instances stay (a test suite that restores before every test would pay a
    // cold start per function per test) unless `recycleFunctions`. On the engine's thread.
    Result<void> replaceState(const QString &snapshotDir, bool recycleFunctions = false);
    // Writes a consistent snapshot of the state's data into `dir` (which must not exist):
    // tarmac.db (the rows), blobs/ (links), modules/NAME/ (ServiceModule::snapshotFiles).
    Result<void> saveState(const QString &dir);

    // Loads the project's template again and applies the difference (StackApplier::reload).
    Result<QStringList> reloadProject();
    // Runs another project's template (a folder or a template file) in place of the current
    // one, in the same state folder: what the old template made and the new one does not
    // have is deleted, as a reload would. On an error the old template runs again.
    Result<QStringList> openProject(const QString &path);

    // "tarmac ready edge=… api=… ide=…" (no ide= without an IDE port)
    QByteArray readyLine() const;
    // "state in DIR" (and that an ephemeral one goes at exit), for the start-up lines.
    QString stateLine() const { return stateLine(m_stateDir, m_options.ephemeral); }
    static QString stateLine(const QString &stateDir, bool ephemeral);

    // The template's names: a resource's physical name for its logical id, and the logical id
    // a physical name was made for. Each returns its argument when the template has no such
    // resource. Thread-safe (the wire APIs ask from I/O threads).
    QString physicalName(const QString &name) const;
    QString logicalName(const QString &physicalName) const;
    // The fault rules tests set (POST /_tarmac/faults); exists from start() on.
    FaultInjector *faults() const { return m_faults.get(); }
    // The console log, or null when Options::console is unset.
    ConsoleLog *console() const { return m_console.get(); }

signals:
    // start() succeeded: every part (dispatcher, modules, template) is there.
    void started();
    void stopped();
    // The template's status changed (StackApplier::status(): started, reloaded, failed to
    // reload, another project opened).
    void stackChanged();

private:
    Result<void> openState();
    Result<void> listen();
    EngineContext context() const;
    Result<void> startFunctions();
    Result<void> startModules();
    void onServerDrained();
    // No new work: the asynchronous policy stops retrying, the modules stop, pending
    // deliveries are dropped and function instances stopped. Safe before start().
    void stopWork();
    // Removes the blobs no module refers to (overwritten and deleted objects, replaced
    // function packages), then lets each module reclaim its own files' dead space. Runs on
    // the engine's thread soon after start, then hourly.
    void collectGarbage();
    void scheduleGarbageCollection(qint64 delayNs);
    void updateNames();
    Result<void> startStack(const QString &templatePath);
    using RequestHold = QScopeGuard<std::function<void()>>;
    RequestHold holdRequests();

    Options m_options;
    Clock *m_clock;
    std::unique_ptr<Clock> m_ownClock;
    std::unique_ptr<QTemporaryDir> m_tempState;
    QString m_stateDir;
    std::unique_ptr<QLockFile> m_lock;
    QString m_ideToken;
    std::unique_ptr<ServiceRegistry> m_registry;
    std::unique_ptr<Store> m_store;
    // Before the tracer: the tracer's last batch, written as it closes, reaches the console.
    std::unique_ptr<ConsoleLog> m_console;
    std::unique_ptr<OtlpExporter> m_otlp; // outlives the tracer, whose last batch it sends
    std::unique_ptr<Tracer> m_tracer;
    std::unique_ptr<RuntimeRegistry> m_runtimes;
    std::unique_ptr<FunctionRunner> m_runner;
    std::unique_ptr<Dispatcher> m_dispatcher;
    std::unique_ptr<DispatcherApi> m_dispatcherApi;
    std::unique_ptr<TraceApi> m_traceApi;
    std::unique_ptr<OtlpReceiverApi> m_otlpReceiver;
    std::unique_ptr<ClockApi> m_clockApi;
    std::unique_ptr<FaultInjector> m_faults;
    std::unique_ptr<TestControl> m_testControl;
    std::unique_ptr<AsyncInvoker> m_async;
    std::unique_ptr<EventSourceMappings> m_mappings;
    std::unique_ptr<MessageTargets> m_messageTargets;
    std::unique_ptr<EventSourcePoller> m_poller;
    std::vector<std::unique_ptr<ServiceModule>> m_modules;
    std::unique_ptr<EdgeRouter> m_edgeRouter;
    std::unique_ptr<HttpServer> m_edge;
    struct Port
    {
        ServicePort port;
        std::unique_ptr<HttpServer> server;
    };
    std::vector<Port> m_ports;
    std::unique_ptr<IdePort> m_ide;
    std::unique_ptr<StackApplier> m_stack;
    mutable QMutex m_namesMutex;
    QHash<QString, QString> m_physicalByLogical;
    QHash<QString, QString> m_logicalByPhysical;
    Clock::TimerId m_gcTimer = 0;
    bool m_running = false;
    bool m_stopping = false;
    int m_draining = 0;
};

} // namespace tarmac
