#include "functions/functionrunner.h"

#include "base/clock.h"
#include "base/ids.h"
#include "base/json.h"
#include "functions/codewatcher.h"
#include "functions/runtimelog.h"
#include "functions/runtimeregistry.h"
#include "trace/tracecontext.h"
#include "trace/tracer.h"

#include <QDir>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QThread>

#include <cmath>
#include <vector>

namespace tarmac {

namespace {

constexpr qsizetype kTail = 4096;

const char *const kReservedVariables[] = {
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
};

bool validFunctionName(const QString &name)
{
    if (name.isEmpty() || name.size() > 64)
        return false;
    for (const QChar c : name) {
        const char16_t u = c.unicode();
        const bool ok = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9')
            || u == '-' || u == '_';
        if (!ok)
            return false;
    }
    return true;
}

QByteArray randomHex(int bytes)
{
    QByteArray raw(bytes, Qt::Uninitialized);
    for (int i = 0; i < bytes; ++i)
        raw[i] = char(QRandomGenerator::global()->bounded(256));
    return raw.toHex();
}

void appendTail(QByteArray &tail, QByteArrayView text)
{
    tail += text;
    tail += '\n';
    if (tail.size() > 4 * kTail)
        tail.remove(0, tail.size() - kTail);
}

QString triggerFor(const QString &origin)
{
    if (origin == QLatin1String("apigateway"))
        return QStringLiteral("http");
    if (origin == QLatin1String("sqs"))
        return QStringLiteral("pubsub");
    if (origin == QLatin1String("s3") || origin == QLatin1String("dynamodb"))
        return QStringLiteral("datasource");
    if (origin == QLatin1String("schedule"))
        return QStringLiteral("timer");
    return QStringLiteral("other");
}

} // namespace

bool isReservedFunctionVariable(const QString &key)
{
    for (const char *reserved : kReservedVariables) {
        if (key == QLatin1String(reserved))
            return true;
    }
    return false;
}

struct FunctionRunner::Active
{
    Delivery delivery;
    QByteArray requestId;
    QByteArray traceId;
    QByteArray spanId;
    qint64 startNs = 0;
    bool coldStart = false;
    qint64 initDurationNs = 0;
    QByteArray tail;
    qint64 loggedBytes = 0;
    qint64 droppedBytes = 0;
};

struct FunctionRunner::Slot
{
    FunctionInstance *instance = nullptr;
    quint64 generation = 0;
    std::unique_ptr<Active> active;
    int invocations = 0;
    quint64 lastUsed = 0;
    Clock::TimerId idleTimer = 0;
    QByteArray initLog;
    bool removed = false;
};

struct FunctionRunner::Pool
{
    QString name;
    FunctionConfig config;
    quint64 generation = 0;
    bool removed = false;
    std::vector<std::unique_ptr<Slot>> workers;
    std::deque<std::unique_ptr<Active>> queue;
    std::unique_ptr<CodeWatcher> watcher;
    QString logStreamPrefix;
    bool pumping = false;
    bool pumpAgain = false;
    quint64 useCounter = 0;
};

FunctionRunner::FunctionRunner(
    RuntimeRegistry *runtimes, Tracer *tracer, const Clock *clock, Options options, QObject *parent)
    : QObject(parent)
    , m_runtimes(runtimes)
    , m_tracer(tracer)
    , m_clock(clock)
    , m_options(std::move(options))
{
    qRegisterMetaType<tarmac::FunctionInstance::Outcome>();
    qRegisterMetaType<tarmac::LogRecord>();
}

FunctionRunner::~FunctionRunner()
{
    m_probes.waitForDone();
    stopAll();
    for (Pool *pool : std::as_const(m_pools)) {
        for (auto &slot : pool->workers)
            delete slot->instance;
        delete pool;
    }
    m_pools.clear();
}

QString FunctionRunner::functionArn(const QString &name) const
{
    return QStringLiteral("arn:aws:lambda:%1:%2:function:%3")
        .arg(m_options.region, m_options.accountId, name);
}

Result<void> FunctionRunner::defineFunction(const FunctionConfig &config)
{
    if (!validFunctionName(config.name))
        return makeError(QStringLiteral("InvalidParameterValueException"),
            QStringLiteral("The function name '%1' is not valid: use 1 to 64 letters, "
                           "digits, '-' and '_'")
                .arg(config.name));
    RuntimePlugin *plugin = m_runtimes ? m_runtimes->pluginFor(config.runtime) : nullptr;
    if (!plugin)
        return makeError(QStringLiteral("InvalidParameterValueException"),
            QStringLiteral("The runtime parameter of %1 is not supported by Tarmac "
                           "(runtime plugins serve: %2)")
                .arg(config.runtime,
                    m_runtimes ? m_runtimes->runtimes().join(QStringLiteral(", ")) : QString()));
    if (config.codeDir.isEmpty() || !QFileInfo(config.codeDir).isDir())
        return makeError(QStringLiteral("InvalidParameterValueException"),
            QStringLiteral("The code folder %1 of function %2 does not exist")
                .arg(config.codeDir, config.name));
    if (config.timeoutSeconds < 1 || config.memoryMb < 1)
        return makeError(QStringLiteral("InvalidParameterValueException"),
            QStringLiteral("Timeout and MemorySize must be positive"));

    {
        QMutexLocker lock(&m_mutex);
        auto it = m_definitions.find(config.name);
        if (it != m_definitions.end() && it->config == config)
            return {};
        Definition &d = m_definitions[config.name];
        d.config = config;
        d.generation = m_nextGeneration++;
    }
    // Resolving the interpreter ahead of the first cold start makes that start faster and
    // surfaces the plugin's warnings early; it runs a process or two (`python3 -c`, through a
    // version manager's shim that can take most of a second), so it runs beside start-up
    // instead of before the ready line. A launch that needs the interpreter meanwhile waits
    // for the plugin's answer. A launch error is not a definition error: Lambda, too, accepts
    // a function whose bootstrap is missing and fails its invokes.
    const QString runtimeDir = QDir(m_options.runtimeRoot).filePath(plugin->key());
    m_probes.start([this, plugin, config, runtimeDir] {
        auto launch = plugin->launch({config.runtime, config.handler, config.codeDir, runtimeDir});
        if (!launch)
            return;
        {
            QMutexLocker lock(&m_mutex);
            auto it = m_definitions.find(config.name);
            if (it == m_definitions.end() || it->config != config)
                return;
            it->warnings = launch->warnings;
        }
        for (const QString &w : std::as_const(launch->warnings))
            qWarning("tarmac: function %s: %s", qPrintable(config.name), qPrintable(w));
    });
    if (QThread::currentThread() == thread())
        applyDefinition(config.name);
    else
        QMetaObject::invokeMethod(
            this, [this, name = config.name] { applyDefinition(name); }, Qt::QueuedConnection);
    return {};
}

void FunctionRunner::removeFunction(const QString &name)
{
    {
        QMutexLocker lock(&m_mutex);
        if (!m_definitions.remove(name))
            return;
    }
    if (QThread::currentThread() == thread())
        applyDefinition(name);
    else
        QMetaObject::invokeMethod(
            this, [this, name] { applyDefinition(name); }, Qt::QueuedConnection);
}

std::optional<FunctionConfig> FunctionRunner::function(const QString &name) const
{
    QMutexLocker lock(&m_mutex);
    auto it = m_definitions.constFind(name);
    if (it == m_definitions.cend())
        return std::nullopt;
    return it->config;
}

bool FunctionRunner::hasFunction(const QString &name) const
{
    QMutexLocker lock(&m_mutex);
    return m_definitions.contains(name);
}

QStringList FunctionRunner::functionNames() const
{
    QMutexLocker lock(&m_mutex);
    QStringList names = m_definitions.keys();
    names.sort();
    return names;
}

QStringList FunctionRunner::warnings(const QString &name) const
{
    QMutexLocker lock(&m_mutex);
    return m_definitions.value(name).warnings;
}

void FunctionRunner::applyDefinition(const QString &name)
{
    std::optional<Definition> def;
    {
        QMutexLocker lock(&m_mutex);
        auto it = m_definitions.constFind(name);
        if (it != m_definitions.cend())
            def = *it;
    }
    Pool *pool = m_pools.value(name);
    if (!def) {
        if (!pool)
            return;
        pool->removed = true;
        pool->generation = 0;
        pool->watcher.reset();
        auto queue = std::move(pool->queue);
        pool->queue.clear();
        for (auto &a : queue)
            failDelivery(a->delivery, QStringLiteral("ResourceNotFoundException"),
                QStringLiteral("Function not found: %1").arg(functionArn(name)), false);
        retireStale(*pool);
        return;
    }
    if (!pool) {
        pool = new Pool;
        pool->name = name;
        m_pools.insert(name, pool);
    }
    if (pool->generation == def->generation)
        return;
    const bool codeMoved = pool->config.codeDir != def->config.codeDir;
    pool->removed = false;
    pool->config = def->config;
    pool->generation = def->generation;
    if (!pool->config.watchCode) {
        pool->watcher.reset();
    } else if (!pool->watcher || codeMoved) {
        pool->watcher = std::make_unique<CodeWatcher>(pool->config.codeDir);
        connect(pool->watcher.get(), &CodeWatcher::changed, this, [this, name] {
            // A new generation of the same definition: new invocations get new instances.
            {
                QMutexLocker lock(&m_mutex);
                auto it = m_definitions.find(name);
                if (it == m_definitions.end())
                    return;
                it->generation = m_nextGeneration++;
            }
            applyDefinition(name);
        });
    }
    retireStale(*pool);
    pump(*pool);
}

void FunctionRunner::recycleAll()
{
    for (Pool *pool : std::as_const(m_pools)) {
        pool->generation = m_nextGeneration++;
        retireStale(*pool);
    }
}

void FunctionRunner::retireStale(Pool &pool)
{
    // Copy: stopping an instance changes the list through its state signals.
    std::vector<FunctionInstance *> idle;
    for (auto &slot : pool.workers) {
        if (!slot->removed && slot->generation != pool.generation && slot->instance->isIdle())
            idle.push_back(slot->instance);
    }
    for (FunctionInstance *instance : idle)
        instance->stop(QStringLiteral("the function's code or configuration changed"));
}

int FunctionRunner::limitOf(const Pool &pool) const
{
    return pool.config.reservedConcurrency >= 0 ? pool.config.reservedConcurrency
                                                : m_options.defaultConcurrency;
}

FunctionRunner::Slot *FunctionRunner::slotFor(Pool &pool, FunctionInstance *instance)
{
    for (auto &slot : pool.workers) {
        if (slot->instance == instance)
            return slot.get();
    }
    return nullptr;
}

void FunctionRunner::deliver(Delivery delivery)
{
    if (QThread::currentThread() == thread()) {
        deliverHere(std::move(delivery));
        return;
    }
    QMetaObject::invokeMethod(
        this, [this, d = std::move(delivery)]() mutable { deliverHere(std::move(d)); },
        Qt::QueuedConnection);
}

void FunctionRunner::failDelivery(Delivery &delivery, const QString &errorType,
    const QString &message, bool functionError, const QByteArray &document)
{
    DeliveryResult r;
    r.delivered = functionError;
    r.functionError = functionError;
    r.errorType = errorType;
    r.errorMessage = message;
    r.requestId = delivery.id;
    r.payload = document.isEmpty()
        ? toJsonBytes(Json {{"errorType", toStd(errorType)}, {"errorMessage", toStd(message)}})
        : document;
    if (delivery.done)
        std::exchange(delivery.done, nullptr)(r);
}

void FunctionRunner::deliverHere(Delivery delivery)
{
    if (delivery.id.isEmpty())
        delivery.id = newRequestId();
    if (m_stopped) {
        failDelivery(delivery, QStringLiteral("ServiceException"),
            QStringLiteral("Tarmac is stopping"), false);
        return;
    }
    Pool *pool = m_pools.value(delivery.functionName);
    if (!pool || pool->removed) {
        failDelivery(delivery, QStringLiteral("ResourceNotFoundException"),
            QStringLiteral("Function not found: %1").arg(functionArn(delivery.functionName)),
            false);
        return;
    }
    if (delivery.forced == Delivery::Forced::ColdStart) {
        // A new generation: this delivery (and the next) get a new instance, and the idle
        // ones retire, as when Lambda recycles an environment.
        pool->generation = m_nextGeneration++;
        retireStale(*pool);
    }
    auto active = std::make_unique<Active>();
    active->requestId = delivery.id;
    active->delivery = std::move(delivery);

    const int limit = limitOf(*pool);
    int live = 0, coming = 0;
    bool idle = false;
    for (auto &slot : pool->workers) {
        if (slot->removed)
            continue;
        const auto state = slot->instance->state();
        if (state == FunctionInstance::State::Stopped || state == FunctionInstance::State::Failed)
            continue;
        ++live;
        if (slot->generation != pool->generation)
            continue;
        if (state == FunctionInstance::State::Starting || slot->instance->isReturning())
            ++coming;
        else if (slot->instance->isIdle())
            idle = true;
    }
    const bool capacity = idle || live < limit || coming > qsizetype(pool->queue.size());
    // Lambda throttles a synchronous call at the function's reserved concurrency; without
    // one it would scale (to the account's 1,000), so a call that only meets the local limit
    // on instances waits for one instead.
    const bool reserved = pool->config.reservedConcurrency >= 0;
    if ((!capacity && !active->delivery.async && reserved)
        || qsizetype(pool->queue.size()) >= m_options.maxQueued) {
        failDelivery(active->delivery, QStringLiteral("TooManyRequestsException"),
            limit == 0 ? QStringLiteral("Rate Exceeded. The function's reserved concurrency is 0.")
                       : QStringLiteral("Rate Exceeded."),
            false);
        return;
    }
    pool->queue.push_back(std::move(active));
    pump(*pool);
}

void FunctionRunner::pump(Pool &pool)
{
    if (pool.pumping) {
        pool.pumpAgain = true;
        return;
    }
    pool.pumping = true;
    do {
        pool.pumpAgain = false;
        while (!pool.queue.empty() && !m_stopped && !pool.removed) {
            Slot *best = nullptr;
            // Instances starting, and instances whose runtime is on its way back to /next,
            // will be idle in a moment: waiting for them beats a cold start.
            int live = 0, coming = 0;
            for (auto &slot : pool.workers) {
                if (slot->removed)
                    continue;
                const auto state = slot->instance->state();
                if (state == FunctionInstance::State::Stopped
                    || state == FunctionInstance::State::Failed)
                    continue;
                ++live;
                if (slot->generation != pool.generation)
                    continue;
                if (state == FunctionInstance::State::Starting || slot->instance->isReturning())
                    ++coming;
                // The most recently used idle instance: the others stay idle long enough to
                // be reaped when traffic drops.
                if (slot->instance->isIdle() && (!best || slot->lastUsed > best->lastUsed))
                    best = slot.get();
            }
            if (best) {
                auto active = std::move(pool.queue.front());
                pool.queue.pop_front();
                startInvocation(pool, *best, std::move(active));
                continue;
            }
            if (coming >= qsizetype(pool.queue.size()) || live >= limitOf(pool))
                break;
            spawn(pool);
        }
    } while (pool.pumpAgain);
    pool.pumping = false;
}

// Layers are where Lambda's runtimes look under /opt: python/ and
// python/lib/pythonX.Y/site-packages, nodejs/node_modules and nodejs/nodeNN/node_modules,
// bin/ and lib/. Each variable only matters to the runtimes that read it.
void FunctionRunner::addLayerPaths(QProcessEnvironment &env, const QStringList &layerDirs)
{
    if (layerDirs.isEmpty())
        return;
    QStringList python, node, bin, lib;
    for (const QString &dir : layerDirs) {
        const QDir layer(dir);
        python.append(layer.filePath(QStringLiteral("python")));
        const QDir pythonLib(layer.filePath(QStringLiteral("python/lib")));
        for (const QString &version : pythonLib.entryList({QStringLiteral("python3*")}, QDir::Dirs))
            python.append(pythonLib.filePath(version + QStringLiteral("/site-packages")));
        node.append(layer.filePath(QStringLiteral("nodejs/node_modules")));
        const QDir nodeDir(layer.filePath(QStringLiteral("nodejs")));
        for (const QString &version : nodeDir.entryList({QStringLiteral("node[0-9]*")}, QDir::Dirs))
            node.append(nodeDir.filePath(version + QStringLiteral("/node_modules")));
        bin.append(layer.filePath(QStringLiteral("bin")));
        lib.append(layer.filePath(QStringLiteral("lib")));
    }
    const auto join = [&env](const char *key, QStringList paths, bool first) {
        const QString existing = env.value(QLatin1String(key));
        if (!existing.isEmpty()) {
            if (first)
                paths.append(existing);
            else
                paths.prepend(existing);
        }
        env.insert(QLatin1String(key), paths.join(u':'));
    };
    join("PYTHONPATH", python, true);
    join("NODE_PATH", node, false); // after the function's own node_modules
    join("PATH", bin, true);
    join("LD_LIBRARY_PATH", lib, true);
}

QProcessEnvironment FunctionRunner::environmentFor(
    const FunctionConfig &config, const RuntimeLaunch &launch, const QString &runtimeDir) const
{
    static const QProcessEnvironment host = [] {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        // Nothing of the developer's own AWS set-up leaks into a function.
        const QStringList keys = env.keys();
        for (const QString &key : keys) {
            if (key.startsWith(QLatin1String("AWS_")) || key.startsWith(QLatin1String("_X_AMZN"))
                || key.startsWith(QLatin1String("LAMBDA_")) || key == QLatin1String("_HANDLER"))
                env.remove(key);
        }
        return env;
    }();
    QProcessEnvironment env = host;
    const auto set
        = [&env](const char *key, const QString &value) { env.insert(QLatin1String(key), value); };
    set("_HANDLER", config.handler);
    set("LAMBDA_TASK_ROOT", config.codeDir);
    set("LAMBDA_RUNTIME_DIR", runtimeDir);
    set("AWS_LAMBDA_FUNCTION_NAME", config.name);
    set("AWS_LAMBDA_FUNCTION_VERSION", config.version);
    set("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", QString::number(config.memoryMb));
    set("AWS_LAMBDA_LOG_GROUP_NAME", QStringLiteral("/aws/lambda/") + config.name);
    set("AWS_LAMBDA_LOG_STREAM_NAME",
        m_clock->now().toString(QStringLiteral("yyyy/MM/dd")) + QStringLiteral("/[")
            + config.version + u']' + QString::fromLatin1(randomHex(16)));
    set("AWS_LAMBDA_INITIALIZATION_TYPE", QStringLiteral("on-demand"));
    set("AWS_REGION", m_options.region);
    set("AWS_DEFAULT_REGION", m_options.region);
    set("AWS_ACCESS_KEY_ID", QStringLiteral("test"));
    set("AWS_SECRET_ACCESS_KEY", QStringLiteral("test"));
    set("AWS_SESSION_TOKEN", QStringLiteral("test"));
    set("AWS_XRAY_CONTEXT_MISSING", QStringLiteral("LOG_ERROR"));
    set("TZ", QStringLiteral(":UTC"));
    if (m_options.edgeUrl.isValid()) {
        set("AWS_ENDPOINT_URL", m_options.edgeUrl.toString());
        // A function's own OpenTelemetry SDK exports to Tarmac's receiver on the edge port
        // (/v1/traces, /v1/logs), as an ADOT layer's exports go to its collector on Lambda;
        // the function's configuration can point it elsewhere.
        set("OTEL_EXPORTER_OTLP_ENDPOINT", m_options.edgeUrl.toString());
    }
    for (auto it = launch.environment.cbegin(); it != launch.environment.cend(); ++it)
        env.insert(it.key(), it.value());
    addLayerPaths(env, config.layerDirs);
    for (auto it = config.environment.cbegin(); it != config.environment.cend(); ++it) {
        if (!isReservedFunctionVariable(it.key()))
            env.insert(it.key(), it.value());
    }
    return env;
}

bool FunctionRunner::spawn(Pool &pool)
{
    const auto failFront = [this, &pool](const QString &type, const QString &message) {
        auto active = std::move(pool.queue.front());
        pool.queue.pop_front();
        const QString full = QStringLiteral("RequestId: %1 Error: %2")
                                 .arg(QString::fromLatin1(active->requestId), message);
        log(pool, active.get(),
            "START RequestId: " + active->requestId + " Version: " + pool.config.version.toUtf8(),
            LogSeverityInfo);
        log(pool, active.get(), full.toUtf8() + '\n' + type.toUtf8(), LogSeverityError);
        log(pool, active.get(), "END RequestId: " + active->requestId, LogSeverityInfo);
        log(pool, active.get(),
            "REPORT RequestId: " + active->requestId
                + "\tDuration: 0.00 ms\tBilled Duration: 0 ms\tMemory Size: "
                + QByteArray::number(pool.config.memoryMb)
                + " MB\tMax Memory Used: 0 MB\tStatus: error\tError Type: " + type.toUtf8(),
            LogSeverityInfo);
        DeliveryResult r;
        r.delivered = true;
        r.functionError = true;
        r.errorType = type;
        r.errorMessage = message;
        r.requestId = active->requestId;
        r.payload = toJsonBytes(Json {{"errorType", toStd(type)}, {"errorMessage", toStd(full)}});
        r.logTail = active->tail.right(kTail);
        if (active->delivery.done)
            std::exchange(active->delivery.done, nullptr)(r);
    };

    RuntimePlugin *plugin = m_runtimes ? m_runtimes->pluginFor(pool.config.runtime) : nullptr;
    if (!plugin) {
        failFront(QStringLiteral("Runtime.InvalidRuntime"),
            QStringLiteral("no runtime plugin serves %1").arg(pool.config.runtime));
        return false;
    }
    const QString runtimeDir = QDir(m_options.runtimeRoot).filePath(plugin->key());
    auto launch = plugin->launch(
        {pool.config.runtime, pool.config.handler, pool.config.codeDir, runtimeDir});
    if (!launch) {
        failFront(launch.error().code, launch.error().message);
        return false;
    }
    // AWS_LAMBDA_EXEC_WRAPPER (managed runtimes, as on Lambda): the wrapper runs with the
    // runtime's command as its arguments. A path under /opt/ is looked up in the layers.
    if (const QString wrapper
        = pool.config.environment.value(QStringLiteral("AWS_LAMBDA_EXEC_WRAPPER"));
        !wrapper.isEmpty() && !pool.config.runtime.startsWith(QLatin1String("provided"))) {
        QString program = wrapper;
        if (wrapper.startsWith(QLatin1String("/opt/"))) {
            for (const QString &layer : pool.config.layerDirs) {
                const QString candidate = QDir(layer).filePath(wrapper.mid(5));
                if (QFileInfo(candidate).isFile()) {
                    program = candidate;
                    break;
                }
            }
        }
        if (!QFileInfo(program).isExecutable()) {
            failFront(QStringLiteral("Runtime.ExecWrapperNotFound"),
                QStringLiteral("AWS_LAMBDA_EXEC_WRAPPER %1 is not an executable file (in the "
                               "function's layers, for a path under /opt/)")
                    .arg(wrapper));
            return false;
        }
        launch->arguments.prepend(launch->program);
        launch->program = QFileInfo(program).absoluteFilePath();
    }
    FunctionInstance::Options options;
    options.startupTimeoutMs = m_options.startupTimeoutMs;
    options.spoolDir = m_options.spoolDir;
    auto *instance = new FunctionInstance(randomHex(4), pool.config, *launch,
        environmentFor(pool.config, *launch, runtimeDir), options, this);
    auto slot = std::make_unique<Slot>();
    slot->instance = instance;
    slot->generation = pool.generation;
    Pool *p = &pool;
    connect(instance, &FunctionInstance::stateChanged, this,
        [this, p, instance](FunctionInstance::State s) { onInstanceState(p, instance, s); });
    connect(instance, &FunctionInstance::idle, this,
        [this, p, instance] { onInstanceIdle(p, instance); });
    connect(instance, &FunctionInstance::output, this,
        [this, p, instance](const QByteArray &line, FunctionInstance::Stream stream) {
            onInstanceOutput(p, instance, line, stream);
        });
    connect(instance, &FunctionInstance::invocationFinished, this,
        [this, p, instance](const FunctionInstance::Outcome &outcome) {
            if (Slot *s = slotFor(*p, instance))
                finishActive(*s, outcome);
        });
    connect(instance, &FunctionInstance::initFailed, this,
        [this, p, instance](
            const FunctionInstance::Outcome &outcome) { onInitFailed(p, instance, outcome); });
    pool.workers.push_back(std::move(slot));
    if (auto r = instance->start(); !r) {
        Slot *s = slotFor(pool, instance);
        s->removed = true;
        instance->stop(r.error().message);
        failFront(r.error().code, r.error().message);
        return false;
    }
    return true;
}

void FunctionRunner::log(Pool &pool, Active *active, const QByteArray &text, int severity)
{
    LogRecord record;
    record.timeNs = m_clock->nowNs();
    record.source = pool.name;
    record.severity = severity;
    if (active) {
        appendTail(active->tail, text);
        if (active->loggedBytes + text.size() > m_options.maxLogBytesPerInvocation) {
            active->droppedBytes += text.size() + 1;
            return;
        }
        active->loggedBytes += text.size() + 1;
        record.traceId = active->traceId;
        record.spanId = active->spanId;
        record.requestId = QString::fromLatin1(active->requestId);
    }
    record.text = QString::fromUtf8(text);
    if (m_tracer)
        m_tracer->record(record);
    emit logRecorded(record);
}

void FunctionRunner::startInvocation(Pool &pool, Slot &slot, std::unique_ptr<Active> active)
{
    FunctionInstance *instance = slot.instance;
    stopIdleTimer(slot);
    slot.lastUsed = ++pool.useCounter;
    active->coldStart = slot.invocations == 0;
    active->initDurationNs = instance->initDurationNs();
    ++slot.invocations;
    active->startNs = m_clock->nowNs();
    active->spanId = TraceContext::newSpanId();
    TraceContext trace;
    if (active->delivery.traceId.size() == 32)
        trace.traceId = active->delivery.traceId;
    else
        trace = TraceContext::newTrace(*m_clock);
    active->traceId = trace.traceId;
    if (active->coldStart && !slot.initLog.isEmpty())
        active->tail = slot.initLog;

    const Delivery &d = active->delivery;
    FunctionInstance::Invocation inv;
    inv.requestId = active->requestId;
    inv.payload = d.payload;
    inv.invokedFunctionArn = functionArn(pool.name).toUtf8();
    if (!d.qualifier.isEmpty() && d.qualifier != QLatin1String("$LATEST"))
        inv.invokedFunctionArn += ':' + d.qualifier.toUtf8();
    inv.traceHeader = trace.withParent(active->spanId).toXRay();
    if (!d.clientContext.isEmpty())
        inv.clientContext = QByteArray::fromBase64(d.clientContext);
    inv.timeoutMs = pool.config.timeoutSeconds * 1000;
    inv.deadlineMs = m_clock->nowMs() + inv.timeoutMs;
    if (d.forced == Delivery::Forced::Timeout)
        inv.timerMs = 1;

    log(pool, active.get(),
        "START RequestId: " + active->requestId + " Version: " + pool.config.version.toUtf8(),
        LogSeverityInfo);
    slot.active = std::move(active);
    if (auto r = instance->invoke(std::move(inv)); !r) {
        // Not expected: the pool only picks idle instances.
        auto a = std::move(slot.active);
        failDelivery(a->delivery, QStringLiteral("ServiceException"), r.error().message, false);
    }
}

void FunctionRunner::finishActive(Slot &slot, const FunctionInstance::Outcome &outcome)
{
    std::unique_ptr<Active> active = std::move(slot.active);
    if (!active)
        return;
    Pool *pool = m_pools.value(active->delivery.functionName);
    const FunctionConfig config = pool ? pool->config : slot.instance->config();
    const double durationMs = outcome.durationNs / 1e6;
    const qint64 maxUsedMb = (outcome.maxRssBytes + 1024 * 1024 - 1) / (1024 * 1024);
    if (pool) {
        if (!outcome.platformLog.isEmpty()) {
            const QByteArray stamp = m_clock->now().toString(Qt::ISODateWithMs).toLatin1();
            const bool timedOut = outcome.errorType == QLatin1String("Sandbox.Timedout");
            log(*pool, active.get(),
                timedOut ? stamp + ' ' + outcome.platformLog : outcome.platformLog,
                LogSeverityError);
        }
        if (active->droppedBytes > 0)
            log(*pool, active.get(),
                "[tarmac] " + QByteArray::number(active->droppedBytes)
                    + " bytes of output over this invocation's log limit were not recorded",
                LogSeverityWarn);
        // The limit applies to the function's own lines; Lambda's lines always get through.
        active->loggedBytes = 0;
        log(*pool, active.get(), "END RequestId: " + active->requestId, LogSeverityInfo);
        QByteArray report = "REPORT RequestId: " + active->requestId
            + "\tDuration: " + QByteArray::number(durationMs, 'f', 2) + " ms\tBilled Duration: "
            + QByteArray::number(qMax<qint64>(1, qint64(std::ceil(durationMs))))
            + " ms\tMemory Size: " + QByteArray::number(config.memoryMb)
            + " MB\tMax Memory Used: " + QByteArray::number(maxUsedMb) + " MB\t";
        if (active->coldStart)
            report += "Init Duration: " + QByteArray::number(active->initDurationNs / 1e6, 'f', 2)
                + " ms\t";
        if (!outcome.ok && !outcome.errorType.isEmpty()
            && outcome.errorType != QLatin1String("Unhandled"))
            report += "Status: error\tError Type: " + outcome.errorType.toUtf8();
        log(*pool, active.get(), report, LogSeverityInfo);
    }

    if (m_tracer) {
        Span span = makeSpan({.traceId = active->traceId,
            .spanId = active->spanId,
            .parentSpanId = active->delivery.parentSpanId,
            .service = config.name,
            .operation = QStringLiteral("Invoke"),
            .name = config.name + QStringLiteral(" invoke"),
            .kind = SpanKindServer,
            .startNs = active->startNs,
            .endNs = m_clock->nowNs(),
            .failed = !outcome.ok,
            .error = outcome.ok ? QString() : outcome.errorType});
        span.attributes = {
            {QStringLiteral("faas.invocation_id"), QString::fromLatin1(active->requestId)},
            {QStringLiteral("faas.name"), config.name},
            {QStringLiteral("faas.coldstart"), active->coldStart},
            {QStringLiteral("faas.trigger"), triggerFor(active->delivery.origin)},
            {QStringLiteral("faas.max_memory"), qint64(config.memoryMb) * 1024 * 1024},
            {QStringLiteral("cloud.resource_id"), functionArn(config.name)},
            {QStringLiteral("tarmac.origin"), active->delivery.origin},
            {QStringLiteral("tarmac.max_memory_used_mb"), maxUsedMb},
        };
        if (active->coldStart)
            span.attributes.append(
                {QStringLiteral("faas.init_duration_ms"), active->initDurationNs / 1e6});
        if (!active->delivery.fault.isEmpty())
            span.attributes.append({QStringLiteral("tarmac.fault"), active->delivery.fault});
        m_tracer->record(std::move(span));
    }

    DeliveryResult r;
    r.delivered = true;
    r.functionError = !outcome.ok;
    r.payload = outcome.payload;
    r.errorType = outcome.ok ? QString() : outcome.errorType;
    r.errorMessage = outcome.errorMessage;
    r.logTail = active->tail.right(kTail);
    r.requestId = active->requestId;
    r.durationNs = outcome.durationNs;
    if (active->delivery.done)
        std::exchange(active->delivery.done, nullptr)(r);
}

void FunctionRunner::onInstanceState(
    Pool *pool, FunctionInstance *instance, FunctionInstance::State state)
{
    emit instanceStateChanged(pool->name, instance->id(), state);
    Slot *slot = slotFor(*pool, instance);
    if (!slot)
        return;
    switch (state) {
    case FunctionInstance::State::Ready:
        onInstanceIdle(pool, instance);
        return;
    case FunctionInstance::State::Invoking:
        stopIdleTimer(*slot);
        return;
    case FunctionInstance::State::Stopped: {
        slot->removed = true;
        stopIdleTimer(*slot);
        // Removed later: this runs inside the instance's own call stack.
        QMetaObject::invokeMethod(
            this,
            [this, name = pool->name, instance] {
                Pool *p = m_pools.value(name);
                if (!p)
                    return;
                for (auto it = p->workers.begin(); it != p->workers.end(); ++it) {
                    if ((*it)->instance == instance) {
                        instance->deleteLater();
                        p->workers.erase(it);
                        break;
                    }
                }
                if (p->removed && p->workers.empty() && p->queue.empty()) {
                    m_pools.remove(name);
                    delete p;
                }
            },
            Qt::QueuedConnection);
        pump(*pool); // waiting deliveries may need a new instance
        return;
    }
    case FunctionInstance::State::Starting:
    case FunctionInstance::State::TimingOut:
    case FunctionInstance::State::Failed:
        return;
    }
}

void FunctionRunner::onInstanceIdle(Pool *pool, FunctionInstance *instance)
{
    Slot *slot = slotFor(*pool, instance);
    if (!slot || !instance->isIdle())
        return; // answered, and not yet back in /next: idle() follows (or an exit)
    if (slot->generation != pool->generation || m_stopped) {
        instance->stop(QStringLiteral("the function's code or configuration changed"));
        return;
    }
    startIdleTimer(*slot);
    pump(*pool);
}

// Idle time is the engine clock's, not real time: an instance is reaped when emulated time has
// passed its idle timeout, so advancing the stepper's clock past it shows the cold start that
// Lambda would have had, and a frozen clock keeps instances warm, as no time passes for them.
// (Timeouts and start-up limits stay on real time: there a process really runs.)
void FunctionRunner::startIdleTimer(Slot &slot)
{
    m_clock->cancel(slot.idleTimer);
    FunctionInstance *instance = slot.instance;
    slot.idleTimer
        = m_clock->scheduleAfter(qint64(m_options.idleTimeoutMs) * 1'000'000, instance, [instance] {
              if (instance->isIdle())
                  instance->stop(QStringLiteral("idle"));
          });
}

void FunctionRunner::stopIdleTimer(Slot &slot)
{
    m_clock->cancel(std::exchange(slot.idleTimer, 0));
}

void FunctionRunner::onInstanceOutput(
    Pool *pool, FunctionInstance *instance, const QByteArray &line, FunctionInstance::Stream stream)
{
    Slot *slot = slotFor(*pool, instance);
    const RuntimeLogLine read
        = readRuntimeLogLine(line, stream == FunctionInstance::Stream::Stderr);
    Active *active = slot ? slot->active.get() : nullptr;
    if (!active && slot && slot->invocations == 0)
        appendTail(slot->initLog, read.text); // init output: shown with the first invocation
    log(*pool, active, read.text, read.severity);
}

void FunctionRunner::onInitFailed(
    Pool *pool, FunctionInstance *instance, const FunctionInstance::Outcome &outcome)
{
    Slot *slot = slotFor(*pool, instance);
    if (!outcome.platformLog.isEmpty())
        log(*pool, nullptr, outcome.platformLog, LogSeverityError);
    if (pool->queue.empty())
        return;
    // The invocation that waited for this instance gets its init error, as on Lambda.
    auto active = std::move(pool->queue.front());
    pool->queue.pop_front();
    if (slot)
        active->tail = slot->initLog;
    active->startNs = m_clock->nowNs();
    active->coldStart = true;
    active->initDurationNs = instance->initDurationNs();
    active->traceId = active->delivery.traceId.size() == 32
        ? active->delivery.traceId
        : TraceContext::newTrace(*m_clock).traceId;
    active->spanId = TraceContext::newSpanId();
    log(*pool, active.get(),
        "START RequestId: " + active->requestId + " Version: " + pool->config.version.toUtf8(),
        LogSeverityInfo);
    FunctionInstance::Outcome o = outcome;
    auto doc = parseJson(o.payload);
    if (doc && doc->is_object() && doc->contains("errorMessage")
        && (*doc)["errorMessage"].is_string()) {
        const std::string message = (*doc)["errorMessage"].get<std::string>();
        if (message.rfind("Error: ", 0) == 0) {
            (*doc)["errorMessage"]
                = "RequestId: " + active->requestId.toStdString() + ' ' + message;
            o.payload = toJsonBytes(*doc);
        }
    }
    o.ok = false;
    o.durationNs = 0; // the invocation itself never ran; the init time is in Init Duration
    if (slot) {
        slot->active = std::move(active);
        finishActive(*slot, o);
    }
}

QList<FunctionRunner::InstanceInfo> FunctionRunner::instances(const QString &function) const
{
    QList<InstanceInfo> out;
    for (const Pool *pool : m_pools) {
        if (!function.isEmpty() && pool->name != function)
            continue;
        for (const auto &slot : pool->workers) {
            if (slot->removed)
                continue;
            InstanceInfo info;
            info.function = pool->name;
            info.id = slot->instance->id();
            info.state = slot->instance->state();
            info.pid = slot->instance->pid();
            info.runtimeApiPort = slot->instance->runtimeApiPort();
            info.invocations = slot->invocations;
            info.stale = slot->generation != pool->generation;
            out.append(info);
        }
    }
    return out;
}

void FunctionRunner::stopAll()
{
    if (m_stopped)
        return;
    m_stopped = true;
    const QList<Pool *> pools = m_pools.values();
    for (Pool *pool : pools) {
        pool->watcher.reset();
        auto queue = std::move(pool->queue);
        pool->queue.clear();
        for (auto &a : queue)
            failDelivery(a->delivery, QStringLiteral("ServiceException"),
                QStringLiteral("Tarmac is stopping"), false);
        std::vector<FunctionInstance *> instances;
        for (auto &slot : pool->workers)
            instances.push_back(slot->instance);
        for (FunctionInstance *instance : instances)
            instance->stop(QStringLiteral("Tarmac is stopping"));
    }
}

} // namespace tarmac
