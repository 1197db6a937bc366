#pragma once

#include "core/servicemodule.h"
#include "functions/functionconfig.h"

#include <memory>

namespace tarmac {

class AsyncInvoker;
class Dispatcher;
class DispatcherApi;
class FunctionRunner;
class LambdaRestApi;
class LambdaService;
class RuntimeRegistry;
struct LambdaFunction;

// The module that runs functions: the runtime plugins, the FunctionRunner, the Dispatcher
// every event source submits to (deliverySink()), the Lambda model and its wire API on the
// edge port, the asynchronous invocation queue, and the Dispatcher's controls at
// /_tarmac/dispatch. It must start before any module that submits events. Wiring only.
//
// Other parts define functions through putFunction() (a folder of code, as a SAM template
// or the GUI describes it) and reach the parts through the accessors, which are null before
// start().
class LambdaModule : public ServiceModule
{
    Q_OBJECT
public:
    struct Options
    {
        int idleTimeoutMs = -1;        // -1: $TARMAC_FUNCTION_IDLE_MS, else 10 minutes
        QList<int> retryDelaysMs;      // empty: $TARMAC_ASYNC_RETRY_DELAYS_MS ("1000,2000"), else 1 s, 2 s
    };

    explicit LambdaModule(QObject *parent = nullptr);
    LambdaModule(Options options, QObject *parent = nullptr);
    ~LambdaModule() override;

    QString name() const override { return QStringLiteral("lambda"); }
    HttpHandler *edgeHandler() override;
    DeliverySink *deliverySink() override;
    Result<void> start(const EngineContext &context) override;
    void stop() override;
    Result<void> addBlobReferences(QSet<QByteArray> &live) const override;

    // Defines (or redefines) a function whose code is the folder config.codeDir, watched
    // for changes when config.watchCode. Not written to the state unless `persistent`: a
    // project defines its functions again on every start. Thread-safe.
    Result<void> putFunction(const FunctionConfig &config, bool persistent = false);

    Dispatcher *dispatcher() const { return m_dispatcher.get(); }
    FunctionRunner *runner() const { return m_runner.get(); }
    LambdaService *functions() const { return m_functions.get(); }
    RuntimeRegistry *runtimes() const { return m_runtimes.get(); }

private:
    Options m_options;
    std::unique_ptr<LambdaRestApi> m_api;
    std::unique_ptr<RuntimeRegistry> m_runtimes;
    std::unique_ptr<FunctionRunner> m_runner;
    std::unique_ptr<Dispatcher> m_dispatcher;
    std::unique_ptr<DispatcherApi> m_dispatcherApi;
    std::unique_ptr<LambdaService> m_functions;
    std::unique_ptr<AsyncInvoker> m_async;
    std::unique_ptr<HttpHandler> m_packages;
};

} // namespace tarmac
