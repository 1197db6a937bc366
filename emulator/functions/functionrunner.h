#pragma once

#include "base/result.h"
#include "functions/delivery.h"
#include "functions/functionconfig.h"
#include "functions/functioninstance.h"
#include "trace/span.h"

#include <QHash>
#include <QMutex>
#include <QObject>
#include <QThreadPool>
#include <QUrl>

#include <deque>
#include <memory>
#include <optional>

namespace tarmac {

class Clock;
class CodeWatcher;
class RuntimeRegistry;
class Tracer;

// Runs functions: a pool of warm instances per function (FunctionInstance), started on
// demand (cold start), reused while warm, bounded by the function's concurrency (reserved
// concurrency, else Options::defaultConcurrency), reaped after idleTimeoutMs of the Clock's
// time (a frozen clock keeps them, an advance past it reaps them), and replaced when the
// function's definition or (with watchCode) a file under its code folder changes: new
// invocations then get new instances while running ones finish.
//
// deliver() takes a Delivery (the Dispatcher's output) and finishes it through
// Delivery::done with what Lambda would report: the response, or the error document with
// its type; Lambda's START/END/REPORT lines and every line the function prints become log
// records on the invocation's trace, and each invocation is a span. A synchronous delivery
// that finds every instance busy at the function's reserved concurrency is throttled
// (TooManyRequestsException, not delivered), as on Lambda; at the local default limit
// (where Lambda would scale on) it waits for an instance, as an asynchronous one does.
//
// It neither records deliveries (the Dispatcher does), nor retries (the source does), nor
// knows the Lambda API's metadata. Lives on the thread that created it; defineFunction(),
// removeFunction(), function() and deliver() are thread-safe.
class FunctionRunner : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QUrl edgeUrl; // AWS_ENDPOINT_URL inside functions
        QString region = QStringLiteral("us-east-1");
        QString accountId = QStringLiteral("000000000000");
        QString runtimeRoot; // plugins write their bootstraps under ROOT/<plugin key>
        QString spoolDir; // large runtime responses; empty: the system temporary folder
        int defaultConcurrency = 10;
        int idleTimeoutMs = 10 * 60 * 1000;
        int startupTimeoutMs = 10'000;
        qint64 maxLogBytesPerInvocation = 1024 * 1024; // then lines are counted, not recorded
        int maxQueued = 10'000; // deliveries waiting for an instance, per function
    };

    // What an instance looks like from outside (GUI, tests).
    struct InstanceInfo
    {
        QString function;
        QByteArray id;
        FunctionInstance::State state;
        qint64 pid = 0;
        quint16 runtimeApiPort = 0;
        int invocations = 0;
        bool stale = false; // its code or configuration was replaced
    };

    FunctionRunner(RuntimeRegistry *runtimes, Tracer *tracer, const Clock *clock, Options options,
        QObject *parent = nullptr);
    ~FunctionRunner() override;

    // Adds or replaces a function. A changed definition retires the current instances (idle
    // ones at once, busy ones when they finish). Refused: an invalid name, a runtime no
    // plugin serves, a code folder that does not exist.
    Result<void> defineFunction(const FunctionConfig &config);
    // Stops its instances; queued deliveries fail with ResourceNotFoundException.
    void removeFunction(const QString &name);
    std::optional<FunctionConfig> function(const QString &name) const;
    QStringList functionNames() const;
    bool hasFunction(const QString &name) const;
    QString functionArn(const QString &name) const;

    // Runs one delivery (see the class comment). Thread-safe; `done` is called on the
    // runner's thread.
    void deliver(Delivery delivery);

    // Kills every instance and fails whatever is queued. Nothing runs after this.
    void stopAll();
    // Every function's next invocation starts a new instance, and the idle ones stop (those
    // running stop when they finish): nothing a test left in a function's memory reaches the
    // next test after a reset. On the runner's thread.
    void recycleAll();

    QList<InstanceInfo> instances(const QString &function = {}) const; // runner thread only
    // The runtime plugin's warnings for a function (e.g. "python3.13 is not installed").
    QStringList warnings(const QString &name) const;

signals:
    // Every log line recorded for a function, START/END/REPORT included (runner thread).
    void logRecorded(const tarmac::LogRecord &record);
    void instanceStateChanged(const QString &function, const QByteArray &instanceId,
        tarmac::FunctionInstance::State state);

private:
    struct Active;
    struct Slot;
    struct Pool;

    void deliverHere(Delivery delivery);
    void pump(Pool &pool);
    bool spawn(Pool &pool);
    void startInvocation(Pool &pool, Slot &slot, std::unique_ptr<Active> active);
    void finishActive(Slot &slot, const FunctionInstance::Outcome &outcome);
    void failDelivery(Delivery &delivery, const QString &errorType, const QString &message,
        bool functionError, const QByteArray &document = {});
    void onInstanceState(Pool *pool, FunctionInstance *instance, FunctionInstance::State state);
    void onInstanceIdle(Pool *pool, FunctionInstance *instance);
    void startIdleTimer(Slot &slot);
    void stopIdleTimer(Slot &slot);
    void onInstanceOutput(Pool *pool, FunctionInstance *instance, const QByteArray &line,
        FunctionInstance::Stream stream);
    void onInitFailed(
        Pool *pool, FunctionInstance *instance, const FunctionInstance::Outcome &outcome);
    void retireStale(Pool &pool);
    void applyDefinition(const QString &name);
    void log(Pool &pool, Active *active, const QByteArray &text, int severity);
    Slot *slotFor(Pool &pool, FunctionInstance *instance);
    int limitOf(const Pool &pool) const;
    QProcessEnvironment environmentFor(
        const FunctionConfig &config, const RuntimeLaunch &launch, const QString &runtimeDir) const;
    static void addLayerPaths(QProcessEnvironment &env, const QStringList &layerDirs);

    RuntimeRegistry *m_runtimes;
    Tracer *m_tracer;
    const Clock *m_clock;
    const Options m_options;
    bool m_stopped = false;
    // Interpreter probes (RuntimePlugin::launch at definition), off the engine's thread.
    QThreadPool m_probes;

    // Definitions, shared with other threads.
    mutable QMutex m_mutex;
    struct Definition
    {
        FunctionConfig config;
        quint64 generation = 0;
        QStringList warnings;
    };
    QHash<QString, Definition> m_definitions;
    quint64 m_nextGeneration = 1;

    // Runner-thread state.
    QHash<QString, Pool *> m_pools;
};

// Variables Lambda sets itself, which a function's configuration may not override
// (AWS_REGION, _HANDLER, …): the Lambda API refuses them, the runner ignores them.
bool isReservedFunctionVariable(const QString &key);

} // namespace tarmac
