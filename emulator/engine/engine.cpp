#include "engine/engine.h"

#include "base/clock.h"
#include "base/controlledclock.h"
#include "base/ids.h"
#include "engine/asyncinvoker.h"
#include "engine/clockapi.h"
#include "engine/dispatcher.h"
#include "engine/dispatcherapi.h"
#include "engine/eventsourcepoller.h"
#include "engine/faults.h"
#include "engine/servicemodules.h"
#include "engine/stackapplier.h"
#include "engine/stackloader.h"
#include "engine/testcontrol.h"
#include "engine/traceapi.h"
#include "functions/functionrunner.h"
#include "functions/runtimeregistry.h"
#include "http/edgerouter.h"
#include "http/httpserver.h"
#include "http/serviceregistry.h"
#include "services/eventsourcemappings.h"
#include "services/messagetargets.h"
#include "store/filelinks.h"
#include "store/store.h"
#include "trace/tracecontext.h"
#include "trace/tracer.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLockFile>
#include <QRandomGenerator>
#include <QScopeGuard>
#include <QTemporaryDir>

namespace tarmac {

namespace {

QString hostForUrl(const QHostAddress &host)
{
    if (host.protocol() == QAbstractSocket::IPv6Protocol)
        return u'[' + host.toString() + u']';
    return host.toString();
}

Error startError(const QString &message)
{
    return makeError(QStringLiteral("StartFailed"), message, 500);
}

} // namespace

Engine::Engine(Options options, Clock *clock, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_clock(clock)
{
    if (!m_clock) {
        // Controlled, so that scripts can freeze and advance it (/_tarmac/clock).
        m_ownClock = std::make_unique<ControlledClock>();
        m_clock = m_ownClock.get();
    }
    m_registry = std::make_unique<ServiceRegistry>();
    m_modules = createServiceModules();
}

Engine::~Engine()
{
    // Servers first: their connections call into the handlers and the tracer.
    m_edge.reset();
    m_ports.clear();
    m_ide.reset();
    m_stack.reset(); // it holds the modules
    stopWork();
    // Sources may still hold the sink: the policy and the Dispatcher go before the runner,
    // the modules (and the configurations they offer the policy) after the policy. The
    // poller calls the modules' event sources, so it goes before them; the mappings, which
    // modules remove their sources from, after them.
    m_async.reset();
    m_poller.reset();
    m_modules.clear();
    m_mappings.reset();
    m_messageTargets.reset();
    m_dispatcher.reset();
    m_runner.reset();
    m_tracer.reset();
    m_otlp.reset(); // sends the tracer's last batch (within OtlpExporter::stopDeadlineMs)
}

void Engine::stopWork()
{
    if (m_async)
        m_async->stop();
    if (m_poller)
        m_poller->stop();
    for (auto &module : m_modules)
        module->stop();
    if (m_dispatcher)
        m_dispatcher->shutdown();
    if (m_runner)
        m_runner->stopAll();
}

ServiceModule *Engine::module(const QString &name) const
{
    for (const auto &m : m_modules) {
        if (m->name() == name)
            return m.get();
    }
    return nullptr;
}

QList<ServiceModule *> Engine::modules() const
{
    QList<ServiceModule *> out;
    for (const auto &m : m_modules)
        out.append(m.get());
    return out;
}

DeliverySink *Engine::deliverySink() const
{
    return m_dispatcher.get();
}

Result<void> Engine::startFunctions()
{
    m_runtimes = std::make_unique<RuntimeRegistry>();
    m_runtimes->loadFrom(RuntimeRegistry::defaultSearchPaths());
    for (const QString &error : m_runtimes->loadErrors())
        qWarning("tarmac: runtime plugin: %s", qPrintable(error));
    if (m_runtimes->isEmpty())
        qWarning("tarmac: no runtime plugins found (looked in %s): functions cannot run",
            qPrintable(RuntimeRegistry::defaultSearchPaths().join(QStringLiteral(", "))));

    FunctionRunner::Options runner;
    runner.edgeUrl = edgeUrl();
    runner.runtimeRoot = QDir(m_stateDir).filePath(QStringLiteral("runtimes"));
    runner.spoolDir = QDir(m_stateDir).filePath(QStringLiteral("tmp"));
    int idle = m_options.functionIdleMs;
    if (idle < 0) {
        bool ok = false;
        idle = qEnvironmentVariableIntValue("TARMAC_FUNCTION_IDLE_MS", &ok);
        if (!ok || idle <= 0)
            idle = 10 * 60 * 1000;
    }
    runner.idleTimeoutMs = idle;
    m_runner = std::make_unique<FunctionRunner>(m_runtimes.get(), m_tracer.get(), m_clock, runner);

    m_dispatcher = std::make_unique<Dispatcher>(m_store.get(), m_tracer.get(), m_clock);
    if (auto r = m_dispatcher->open(); !r)
        return startError(QStringLiteral("the dispatcher cannot start: %1").arg(r.error().message));
    FunctionRunner *runnerPtr = m_runner.get();
    m_dispatcher->setTarget([runnerPtr](Delivery d) { runnerPtr->deliver(std::move(d)); });
    m_dispatcherApi = std::make_unique<DispatcherApi>(m_dispatcher.get(),
        DispatcherApi::Names {[this](const QString &name) { return physicalName(name); },
            [this](const QString &name) { return logicalName(name); }});
    m_edgeRouter->addInternalRoute(QByteArray(DispatcherApi::prefix), m_dispatcherApi.get());
    m_traceApi = std::make_unique<TraceApi>(m_tracer.get());
    m_otlpReceiver = std::make_unique<OtlpReceiverApi>(m_tracer.get());
    m_edgeRouter->addInternalRoute(QByteArray(TraceApi::prefix), m_traceApi.get());
    m_edgeRouter->addClaimedRoute(&OtlpReceiverApi::isExport, m_otlpReceiver.get());
    m_clockApi = std::make_unique<ClockApi>(m_clock);
    m_edgeRouter->addInternalRoute(QByteArray(ClockApi::prefix), m_clockApi.get());
    m_faults = std::make_unique<FaultInjector>(
        [this](const QString &name) { return physicalName(name); });
    m_testControl = std::make_unique<TestControl>(this, m_faults.get());
    for (const char *prefix : {TestControl::settlePrefix, TestControl::faultsPrefix,
             TestControl::resetPrefix, TestControl::snapshotsPrefix})
        m_edgeRouter->addInternalRoute(QByteArray(prefix), m_testControl.get());
    TestControl *control = m_testControl.get();
    m_edgeRouter->setFaultHook([control](const HttpRequest &request, const ServiceMatch &match) {
        return control->requestFault(request, match);
    });
    FaultInjector *faults = m_faults.get();
    m_dispatcher->setFaultHook(
        [faults](const Delivery &d) -> std::optional<Dispatcher::FaultAction> {
            const std::optional<InjectedFault> fault = faults->forDelivery(d.functionName);
            if (!fault)
                return std::nullopt;
            using Kind = Dispatcher::FaultAction::Kind;
            Dispatcher::FaultAction action;
            action.description = fault->description;
            action.delayMs = fault->ms;
            switch (fault->effect) {
            case FaultRule::Effect::Duplicate:
                action.kind = Kind::Duplicate;
                break;
            case FaultRule::Effect::Delay:
                action.kind = Kind::Delay;
                break;
            case FaultRule::Effect::ColdStart:
                action.kind = Kind::ColdStart;
                break;
            case FaultRule::Effect::Timeout:
                action.kind = Kind::Timeout;
                break;
            default:
                return std::nullopt;
            }
            return action;
        });

    m_messageTargets = std::make_unique<MessageTargets>();
    AsyncInvoker::Options async;
    async.retryDelaysMs = m_options.asyncRetryDelaysMs;
    async.tracer = m_tracer.get();
    async.messageTargets = m_messageTargets.get();
    if (async.retryDelaysMs.isEmpty()) {
        const QString env = qEnvironmentVariable("TARMAC_ASYNC_RETRY_DELAYS_MS");
        for (const QString &part : env.split(u',', Qt::SkipEmptyParts)) {
            bool ok = false;
            const int ms = part.trimmed().toInt(&ok);
            if (ok && ms >= 0)
                async.retryDelaysMs.append(ms);
        }
    }
    if (async.retryDelaysMs.isEmpty())
        async.retryDelaysMs = {1000, 2000};
    m_async = std::make_unique<AsyncInvoker>(m_store.get(), m_clock, async);
    AsyncInvoker *asyncPtr = m_async.get();
    m_dispatcher->setAsyncQueue([asyncPtr](const Delivery &d) { return asyncPtr->enqueue(d); });

    const EngineContext where; // the region and account every module answers for
    m_mappings = std::make_unique<EventSourceMappings>(
        m_store.get(), m_clock, where.region, where.accountId);
    if (auto r = m_mappings->open(); !r)
        return startError(
            QStringLiteral("the event-source mappings cannot be read: %1").arg(r.error().message));
    EventSourcePoller::Options polling;
    polling.tracer = m_tracer.get();
    m_poller = std::make_unique<EventSourcePoller>(
        m_mappings.get(), m_dispatcher.get(), m_clock, polling);
    return {};
}

EngineContext Engine::context() const
{
    EngineContext context;
    context.clock = m_clock;
    context.store = m_store.get();
    context.tracer = m_tracer.get();
    context.registry = m_registry.get();
    context.deliveries = m_dispatcher.get();
    context.runner = m_runner.get();
    context.stateDir = m_stateDir;
    context.edgeUrl = edgeUrl();
    for (const Port &p : m_ports) {
        if (p.server->serverPort() != 0)
            context.portUrls.insert(p.port.name, portUrl(p.port.name));
    }
    context.edgeRouter = m_edgeRouter.get();
    context.options = m_options.serviceOptions;
    context.module = [this](const QString &name) { return module(name); };
    context.mappings = m_mappings.get();
    context.messageTargets = m_messageTargets.get();
    return context;
}

Result<void> Engine::startModules()
{
    const EngineContext context = this->context();
    const EventInvokeConfigs *configs = nullptr;
    for (const auto &module : m_modules) {
        m_registry->setState(module->name(), ServiceState::Starting);
        if (auto r = module->start(context); !r) {
            m_registry->setState(module->name(), ServiceState::Error, r.error().message);
            return startError(QStringLiteral("the %1 service cannot start: %2")
                                  .arg(module->name(), r.error().message));
        }
        if (!configs)
            configs = module->eventInvokeConfigs();
        m_registry->setState(module->name(), ServiceState::Running);
    }
    // Last: what a previous run left queued, held or running is delivered again now that
    // every function is defined.
    if (auto r = m_async->open(m_dispatcher.get(), configs); !r)
        return startError(QStringLiteral("the asynchronous invocation queue cannot start: %1")
                              .arg(r.error().message));
    // Once the modules have registered their sources.
    m_poller->start();
    return {};
}

namespace {

// Why mkpath() failed, which it does not say: the nearest part of the path that exists is a
// file, or a folder this process cannot write.
QString whyNoFolder(const QString &path)
{
    QFileInfo info(path);
    while (!info.exists() && !info.isRoot() && info.absolutePath() != info.absoluteFilePath())
        info = QFileInfo(info.absolutePath());
    if (info.exists() && !info.isDir())
        return QStringLiteral("%1 is a file, not a folder").arg(info.absoluteFilePath());
    if (info.exists() && !info.isWritable())
        return QStringLiteral("permission denied (%1 is not writable)")
            .arg(info.absoluteFilePath());
    if (info.exists() && info.absoluteFilePath() == QFileInfo(path).absoluteFilePath())
        return QStringLiteral("it exists but a folder inside it cannot be made");
    return QStringLiteral("the file system refused it");
}

} // namespace

QString Engine::buildRoot() const
{
    const QString own = QDir(m_stateDir).filePath(QStringLiteral("build"));
    if (!m_options.ephemeral)
        return own;
    const QString templatePath = StackLoader::findTemplate(
        m_options.projectPath.isEmpty() ? QDir::currentPath() : m_options.projectPath);
    const QString project
        = templatePath.isEmpty() ? QString() : StackLoader::defaultBuildRoot(templatePath);
    return !project.isEmpty() && QFileInfo(project).isDir() ? project : own;
}

Result<void> Engine::openState()
{
    if (m_options.ephemeral) {
        m_tempState = std::make_unique<QTemporaryDir>(
            QDir::tempPath() + QStringLiteral("/tarmac-state-XXXXXX"));
        if (!m_tempState->isValid())
            return startError(QStringLiteral("cannot create a temporary state folder: %1")
                                  .arg(m_tempState->errorString()));
        m_stateDir = m_tempState->path();
    } else if (!m_options.stateDir.isEmpty()) {
        m_stateDir = QDir(m_options.stateDir).absolutePath();
    } else {
        QString project
            = m_options.projectPath.isEmpty() ? QDir::currentPath() : m_options.projectPath;
        const QFileInfo info(project);
        if (info.isFile())
            project = info.absolutePath();
        m_stateDir = QDir(project).absoluteFilePath(QStringLiteral(".tarmac"));
    }

    if (!QDir().mkpath(m_stateDir) || !QDir().mkpath(m_stateDir + QStringLiteral("/tmp")))
        return startError(QStringLiteral("cannot create the state folder %1: %2")
                              .arg(m_stateDir, whyNoFolder(m_stateDir)));
    QFile probe(m_stateDir + QStringLiteral("/.write-probe"));
    if (!probe.open(QIODevice::WriteOnly))
        return startError(QStringLiteral("the state folder %1 is not writable").arg(m_stateDir));
    probe.close();
    probe.remove();
    // Two engines on one state folder would each think they own it.
    m_lock = std::make_unique<QLockFile>(m_stateDir + QStringLiteral("/lock"));
    m_lock->setStaleLockTime(0);
    if (!m_lock->tryLock(0)) {
        qint64 pid = 0;
        QString host, app;
        m_lock->getLockInfo(&pid, &host, &app);
        return startError(QStringLiteral("the state folder %1 is in use by another tarmac (pid %2)")
                              .arg(m_stateDir)
                              .arg(pid));
    }

    auto store = Store::open(m_stateDir);
    if (!store)
        return startError(QStringLiteral("cannot open the state in %1: %2")
                              .arg(m_stateDir, store.error().message));
    m_store = std::move(*store);

    auto tracer = Tracer::open(m_stateDir + QStringLiteral("/traces.db"));
    if (!tracer)
        return startError(
            QStringLiteral("cannot open the trace store: %1").arg(tracer.error().message));
    m_tracer = std::move(*tracer);
    if (m_options.console)
        m_console = std::make_unique<ConsoleLog>(*m_options.console);
    if (m_options.otlp)
        m_otlp = std::make_unique<OtlpExporter>(*m_options.otlp);
    if (m_console || m_otlp) {
        // On the writer thread, after each commit: the request path never waits for the
        // terminal, and the exporter only queues (a thread of its own sends).
        connect(
            m_tracer.get(), &Tracer::batchWritten, m_tracer.get(),
            [console = m_console.get(), otlp = m_otlp.get()](
                const QList<Span> &spans, const QList<LogRecord> &logs) {
                if (console)
                    console->write(spans, logs);
                if (otlp)
                    otlp->enqueue(spans, logs);
            },
            Qt::DirectConnection);
    }

    // The IDE token stays the same across restarts so that a connected editor reconnects.
    QFile tokenFile(m_stateDir + QStringLiteral("/ide-token"));
    if (tokenFile.open(QIODevice::ReadOnly))
        m_ideToken = QString::fromLatin1(tokenFile.readAll().trimmed());
    tokenFile.close();
    if (m_ideToken.size() < 32) {
        QByteArray raw(16, Qt::Uninitialized);
        QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(raw.data()), 4);
        m_ideToken = QString::fromLatin1(raw.toHex());
        if (!tokenFile.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return startError(QStringLiteral("cannot write %1").arg(tokenFile.fileName()));
        tokenFile.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
        tokenFile.write(m_ideToken.toLatin1() + '\n');
    }
    return {};
}

Result<void> Engine::listen()
{
    HttpServer::Options http;
    http.limits.spoolDir = m_stateDir + QStringLiteral("/tmp");
    HttpServer::Options edgeOptions = http;
    edgeOptions.ioThreads = m_options.ioThreads;

    m_edgeRouter = std::make_unique<EdgeRouter>(m_registry.get(), m_tracer.get(), m_clock);
    m_edge = std::make_unique<HttpServer>(m_edgeRouter.get(), edgeOptions);
    const EngineContext early = context();
    for (const auto &module : m_modules) {
        for (const ServicePort &port : module->ports(early))
            m_ports.push_back(Port {port, std::make_unique<HttpServer>(port.handler, http)});
    }
    if (m_options.ide)
        m_ide = m_options.ide(*this);

    const auto bindError = [this](const char *what, int port, const QString &why) {
        return startError(QStringLiteral("cannot listen on %1:%2 (%3 port): %4")
                              .arg(hostForUrl(m_options.host))
                              .arg(port)
                              .arg(QLatin1String(what), why));
    };
    if (!m_edge->listen(m_options.host, quint16(m_options.edgePort)))
        return bindError("edge", m_options.edgePort, m_edge->errorString());
    for (Port &p : m_ports) {
        const int number = m_options.ports.value(p.port.name, p.port.defaultPort);
        if (!p.server->listen(m_options.host, quint16(number)))
            return bindError(qPrintable(p.port.label), number, p.server->errorString());
        connect(p.server.get(), &HttpServer::drained, this, &Engine::onServerDrained);
    }
    if (m_ide) {
        if (auto r = m_ide->listen(m_options.host, quint16(m_options.idePort)); !r)
            return bindError("IDE", m_options.idePort, r.error().message);
    }
    connect(m_edge.get(), &HttpServer::drained, this, &Engine::onServerDrained);
    return {};
}

Result<void> Engine::start()
{
    for (const char *name : {"store", "traces", "edge", "ide"})
        m_registry->add(QString::fromLatin1(name));
    for (const auto &module : m_modules)
        m_registry->add(module->name(), module->edgeHandler());
    if (auto r = openState(); !r)
        return r;
    m_registry->setState(QStringLiteral("store"), ServiceState::Running);
    m_registry->setState(QStringLiteral("traces"), ServiceState::Running);
    if (auto r = listen(); !r)
        return r;
    for (const char *name : {"edge", "ide"})
        m_registry->setState(QString::fromLatin1(name), ServiceState::Running);
    if (auto r = startFunctions(); !r)
        return r;
    if (auto r = startModules(); !r)
        return r;
    // The project's template, once the services it creates resources in are running.
    const QString templatePath = m_options.projectPath.isEmpty()
        ? QString()
        : StackLoader::findTemplate(m_options.projectPath);
    if (!templatePath.isEmpty()) {
        if (auto r = startStack(templatePath); !r)
            return startError(r.error().message);
    }
    m_registry->setHealthField(QStringLiteral("state"),
        toJsonBytes(Json {{"dir", toStd(m_stateDir)}, {"ephemeral", m_options.ephemeral}}));
    // Where a running Tarmac answers, for `tarmac invoke` on the same project (the lock file
    // says whether it is still running).
    QFile endpoint(m_stateDir + QStringLiteral("/edge-url"));
    if (endpoint.open(QIODevice::WriteOnly | QIODevice::Truncate))
        endpoint.write(edgeUrl().toString().toUtf8() + '\n');
    m_running = true;
    scheduleGarbageCollection(2'000'000'000); // out of the way of start-up, then hourly
    emit started();
    return {};
}

// On the engine's clock, like the rest of the engine's time-driven work: the desktop's frozen
// clock holds it (nothing it reclaims is urgent) and an advance past the hour runs it. That
// cannot remove a blob too young to be referenced yet: the age check reads the file's real
// modification time.
void Engine::scheduleGarbageCollection(qint64 delayNs)
{
    m_gcTimer = m_clock->scheduleAfter(delayNs, this, [this] {
        m_gcTimer = 0;
        collectGarbage();
        // Hourly; a jump of the clock by years runs it once, not once per hour passed.
        if (m_running && !m_stopping)
            scheduleGarbageCollection(
                m_clock->moveTargetNs() - m_clock->nowNs() + qint64(60 * 60) * 1'000'000'000);
    });
}

void Engine::collectGarbage()
{
    if (!m_running || m_stopping || !m_store)
        return;
    QSet<QByteArray> live;
    for (const auto &module : m_modules) {
        if (auto r = module->addBlobReferences(live); !r) {
            qWarning("tarmac: blob garbage collection skipped: %s", qPrintable(r.error().message));
            return; // never remove what a module could not account for
        }
    }
    // A blob is published just before the row naming it commits: young blobs are kept.
    bool ok = false;
    qint64 minAge = qEnvironmentVariableIntValue("TARMAC_BLOB_GC_MIN_AGE_S", &ok);
    if (!ok || minAge < 0)
        minAge = 10 * 60;
    auto removed = m_store->blobs().garbageCollect(
        [&live](const QByteArray &sha) { return live.contains(sha); }, minAge);
    if (!removed)
        qWarning("tarmac: blob garbage collection: %s", qPrintable(removed.error().message));
    for (const auto &module : m_modules) {
        if (auto r = module->reclaimSpace(); !r)
            qWarning("tarmac: %s: reclaiming space: %s", qPrintable(module->name()),
                qPrintable(r.error().message));
    }
}

void Engine::stop()
{
    if (!m_running || m_stopping)
        return;
    m_stopping = true;
    m_clock->cancel(std::exchange(m_gcTimer, 0));
    for (const char *name : {"edge", "ide"})
        m_registry->setState(QString::fromLatin1(name), ServiceState::Stopping);
    if (m_ide)
        m_ide->close();
    if (m_stack)
        m_stack->stop();
    stopWork();
    m_draining = 1 + int(m_ports.size());
    m_edge->shutdown();
    for (Port &p : m_ports)
        p.server->shutdown();
}

void Engine::onServerDrained()
{
    if (--m_draining > 0)
        return;
    m_tracer->flush();
    if (m_otlp)
        m_otlp->flush(OtlpExporter::stopDeadlineMs);
    for (const auto &e : m_registry->entries())
        m_registry->setState(e.name, ServiceState::Stopped);
    m_running = false;
    emit stopped();
}

QString Engine::stateLine(const QString &stateDir, bool ephemeral)
{
    return ephemeral ? QStringLiteral("state in %1 (ephemeral: removed at exit)").arg(stateDir)
                     : QStringLiteral("state in %1").arg(stateDir);
}

QString Engine::physicalName(const QString &name) const
{
    QMutexLocker lock(&m_namesMutex);
    return m_physicalByLogical.value(name, name);
}

QString Engine::logicalName(const QString &physicalName) const
{
    QMutexLocker lock(&m_namesMutex);
    return m_logicalByPhysical.value(physicalName, physicalName);
}

Result<void> Engine::startStack(const QString &templatePath)
{
    auto stack = std::make_unique<StackApplier>(this, templatePath);
    if (auto r = stack->start(); !r)
        return r;
    m_stack = std::move(stack);
    updateNames();
    connect(m_stack.get(), &StackApplier::reloaded, this, &Engine::updateNames);
    connect(m_stack.get(), &StackApplier::changed, this, &Engine::stackChanged);
    emit stackChanged();
    return {};
}

bool Engine::clockFrozen() const
{
    if (const auto *controlled = qobject_cast<const ControlledClock *>(m_clock))
        return controlled->isFrozen();
    return qobject_cast<const ManualClock *>(m_clock) != nullptr;
}

QList<BusyItem> Engine::busy() const
{
    QList<BusyItem> out;
    if (!m_running)
        return out;
    const bool includeFuture = !clockFrozen();
    out += m_dispatcher->busy();
    out += m_async->busy(includeFuture);
    out += m_poller->busy(includeFuture);
    for (const auto &module : m_modules)
        out += module->busy(includeFuture);
    const qint64 now = m_clock->nowNs();
    if (const int due = m_clock->dueTimers(now); due > 0) {
        out.append({QStringLiteral("timer"), QStringLiteral("clock"), QString::number(due), now,
            QStringLiteral("%1 timer(s) due").arg(due)});
    }
    return out;
}

// Requests for the modules get 503 (the registry shows them starting) until the guard goes.
auto Engine::holdRequests() -> RequestHold
{
    for (const auto &module : m_modules)
        m_registry->setState(module->name(), ServiceState::Starting);
    return RequestHold([this] {
        for (const auto &module : m_modules)
            m_registry->setState(module->name(), ServiceState::Running);
    });
}

Result<void> Engine::saveState(const QString &dir)
{
    if (!m_running)
        return makeError(QStringLiteral("ServiceUnavailable"), QStringLiteral("not running"), 503);
    if (!QDir().mkpath(dir))
        return makeError(
            QStringLiteral("InternalError"), QStringLiteral("cannot create %1").arg(dir), 500);
    // Requests wait (503) while the rows and files are copied, so that both show one moment.
    const auto held = holdRequests();
    for (const auto &module : m_modules) {
        if (auto r = module->flushState(); !r)
            return r;
    }
    m_dispatcher->flushRecords();
    if (auto r = m_store->copyInto(dir + QStringLiteral("/tarmac.db")); !r)
        return r;
    if (auto r = linkTree(m_store->blobs().root(), dir + QStringLiteral("/blobs")); !r)
        return r.error();
    for (const auto &module : m_modules) {
        if (auto r = module->snapshotFiles(dir + QStringLiteral("/modules/") + module->name()); !r)
            return r;
    }
    return {};
}

Result<void> Engine::replaceState(const QString &snapshotDir, bool recycleFunctions)
{
    if (!m_running)
        return makeError(QStringLiteral("ServiceUnavailable"), QStringLiteral("not running"), 503);
    const bool reset = snapshotDir.isEmpty();
    const auto held = holdRequests();
    // Held deliveries belong to the state that goes.
    for (const PendingDelivery &held : m_dispatcher->pending())
        (void)m_dispatcher->drop(held.id);
    for (const auto &module : m_modules) {
        if (auto r = module->flushState(); !r)
            return r;
    }
    // Files first: the rows that name them commit after they are there.
    if (!reset) {
        // Blobs the live state removed since (overwritten objects, collected garbage).
        if (auto r = linkTree(snapshotDir + QStringLiteral("/blobs"), m_store->blobs().root()); !r)
            return r.error();
    }
    QByteArray alsoSql;
    for (const auto &module : m_modules) {
        const QString dir
            = reset ? QString() : snapshotDir + QStringLiteral("/modules/") + module->name();
        if (auto r = module->restoreFiles(dir); !r)
            return r;
        alsoSql += module->replacedRowsSql();
    }
    m_dispatcher->flushRecords(); // before the rows go, not written over them after
    if (auto r = m_store->replaceRows(
            reset ? QString() : snapshotDir + QStringLiteral("/tarmac.db"), alsoSql);
        !r)
        return r;
    if (auto r = m_async->reload(); !r)
        return r;
    if (auto r = m_mappings->reload(); !r)
        return r;
    for (const auto &module : m_modules) {
        if (auto r = module->reloadState(); !r)
            return makeError(r.error().code,
                QStringLiteral("the %1 service cannot reload its state: %2")
                    .arg(module->name(), r.error().message),
                500);
    }
    if (recycleFunctions)
        m_runner->recycleAll();
    if (reset && m_stack) {
        // Everything the template makes, made again (its records went with the rows).
        const QString templatePath = m_stack->templatePath();
        m_stack->stop();
        m_stack.reset();
        if (auto r = startStack(templatePath); !r)
            return r;
    }
    return {};
}

Result<QStringList> Engine::reloadProject()
{
    if (!m_stack)
        return makeError(QStringLiteral("NoProject"),
            QStringLiteral("Tarmac runs no template: open a project first"));
    return m_stack->reload();
}

Result<QStringList> Engine::openProject(const QString &path)
{
    if (!m_running)
        return makeError(QStringLiteral("ServiceUnavailable"), QStringLiteral("not running"));
    const QString templatePath = StackLoader::findTemplate(path);
    if (templatePath.isEmpty())
        return makeError(QStringLiteral("TemplateNotFound"),
            QStringLiteral("%1 holds no template.yaml (or template.yml, template.json)").arg(path));
    // The new template is applied as a reload would: what the old one made and the new one
    // does not have is deleted (the stack's resources are recorded in the state).
    const QString previous = m_stack ? m_stack->templatePath() : QString();
    if (m_stack) {
        m_stack->stop();
        m_stack.reset();
    }
    if (auto r = startStack(templatePath); !r) {
        if (!previous.isEmpty())
            (void)startStack(previous);
        return r.error();
    }
    m_options.projectPath = path;
    QStringList changes = {QStringLiteral("opened %1").arg(templatePath)};
    return changes;
}

void Engine::updateNames()
{
    QHash<QString, QString> physical, logical;
    if (const Stack *stack = m_stack ? m_stack->stack() : nullptr) {
        for (const StackResource &r : stack->resources) {
            if (r.physicalId.isEmpty() || r.implicit || r.physicalId == r.logicalId)
                continue;
            physical.insert(r.logicalId, r.physicalId);
            logical.insert(r.physicalId, r.logicalId);
        }
    }
    if (m_console)
        m_console->setDisplayNames(logical);
    QMutexLocker lock(&m_namesMutex);
    m_physicalByLogical = std::move(physical);
    m_logicalByPhysical = std::move(logical);
}

QUrl Engine::edgeUrl() const
{
    return QUrl(QStringLiteral("http://%1:%2")
                    .arg(hostForUrl(m_options.host))
                    .arg(m_edge ? m_edge->serverPort() : 0));
}

QUrl Engine::portUrl(const QString &name) const
{
    for (const Port &p : m_ports) {
        if (p.port.name == name)
            return QUrl(QStringLiteral("http://%1:%2")
                            .arg(hostForUrl(m_options.host))
                            .arg(p.server->serverPort()));
    }
    return {};
}

QList<CatalogKind> Engine::catalogKinds() const
{
    QList<CatalogKind> out;
    for (const auto &module : m_modules)
        out += module->catalogKinds();
    return out;
}

QList<CatalogEntry> Engine::catalog() const
{
    QList<CatalogEntry> out;
    for (const auto &module : m_modules)
        out += module->catalog();
    return out;
}

ServiceModule *Engine::catalogModule(const QString &kind) const
{
    for (const auto &module : m_modules) {
        const QList<CatalogKind> kinds = module->catalogKinds();
        if (std::any_of(
                kinds.cbegin(), kinds.cend(), [&](const CatalogKind &k) { return k.id == kind; }))
            return module.get();
    }
    return nullptr;
}

Result<QString> Engine::runCatalogAction(const QString &kind, const QString &name,
    const QString &action, const QMap<QString, QString> &fields) const
{
    ServiceModule *owner = catalogModule(kind);
    if (!owner)
        return makeError(QStringLiteral("ResourceNotFoundException"),
            QStringLiteral("no running service shows %1 resources").arg(kind));
    return owner->runActionWith(kind, name, action, fields);
}

QUrl Engine::ideUrl() const
{
    return QUrl(QStringLiteral("ws://%1:%2")
                    .arg(hostForUrl(m_options.host))
                    .arg(m_ide ? m_ide->port() : 0));
}

QByteArray Engine::readyLine() const
{
    QByteArray line = "tarmac ready edge=" + edgeUrl().toString().toUtf8();
    for (const Port &p : m_ports)
        line += ' ' + p.port.name.toUtf8() + '=' + portUrl(p.port.name).toString().toUtf8();
    if (m_ide)
        line += " ide=" + ideUrl().toString().toUtf8();
    return line;
}

void Engine::addEdgeRoute(const QByteArray &prefix, HttpHandler *handler)
{
    m_edgeRouter->addInternalRoute(prefix, handler);
}

Result<QString> Engine::functionNamed(const QString &nameOrArn) const
{
    QString name = nameOrArn;
    if (name.startsWith(QLatin1String("arn:"))) {
        // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
        const QStringList parts = name.split(u':');
        if (parts.size() < 7 || parts[2] != QLatin1String("lambda")
            || parts[5] != QLatin1String("function"))
            return makeError(QStringLiteral("InvalidParams"),
                QStringLiteral("%1 is not a function ARN").arg(nameOrArn.left(200)));
        name = parts[6];
    }
    name = physicalName(name);
    if (name.isEmpty() || !m_runner || !m_runner->hasFunction(name))
        return makeError(QStringLiteral("ResourceNotFoundException"),
            QStringLiteral("no function %1").arg(nameOrArn.left(200)));
    return name;
}

Result<Engine::Invoked> Engine::invoke(
    Invocation invocation, std::function<void(const DeliveryResult &)> done) const
{
    auto name = functionNamed(invocation.function);
    if (!name)
        return name.error();
    if (!m_dispatcher)
        return makeError(QStringLiteral("ServiceUnavailable"), QStringLiteral("not running"));
    Delivery d;
    d.id = newRequestId();
    d.functionName = *name;
    d.payload = std::move(invocation.payload);
    d.origin = invocation.origin;
    d.async = invocation.async;
    d.tailLogs = invocation.tailLogs;
    d.traceId = TraceContext::newTrace(*m_clock).traceId;
    const Invoked invoked {d.id, d.traceId, d.functionName};
    if (invocation.async) {
        if (auto r = m_dispatcher->submitAsync(std::move(d)); !r)
            return r.error();
        return invoked;
    }
    d.done = std::move(done);
    if (!d.done)
        d.done = [](const DeliveryResult &) {};
    m_dispatcher->submit(std::move(d));
    return invoked;
}

} // namespace tarmac
