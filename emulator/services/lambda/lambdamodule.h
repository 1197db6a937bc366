#pragma once

#include "functions/functionconfig.h"
#include "services/lambda/lambdaresources.h"
#include "services/servicemodule.h"

#include <QHash>

#include <memory>

namespace tarmac {

class Clock;
class EventSourceMappings;
class CodeWatcher;
class LambdaRestApi;
class LambdaStore;
class Tracer;
struct LambdaFunction;

// Lambda: the model of functions (LambdaStore: their packages and API-level settings, kept
// in the state and defined in the engine's FunctionRunner) and its wire API on the edge port.
// The engine owns what runs functions and every event's way to them (FunctionRunner,
// Dispatcher, the asynchronous policy); this module offers the policy each function's
// EventInvokeConfig. Wiring only.
//
// Other parts define functions through putFunction() (a folder of code, as a SAM template
// or the GUI describes it); functions() is null before start().
class LambdaModule : public ServiceModule
{
    Q_OBJECT
public:
    explicit LambdaModule(QObject *parent = nullptr);
    ~LambdaModule() override;

    QString name() const override { return QStringLiteral("lambda"); }
    HttpHandler *edgeHandler() override;
    const EventInvokeConfigs *eventInvokeConfigs() const override;
    Result<void> start(const EngineContext &context) override;
    // The stored functions become the rows' (LambdaStore::reload); a template's stay, as the
    // engine applies the template again itself.
    Result<void> reloadState() override;
    Result<void> addBlobReferences(QSet<QByteArray> &live) const override;
    // Functions and layers in templates (lambdaresources): a function is defined from the
    // spec its check made (inline code is written out as its folder under the state); a
    // layer is its folder, read by the functions that list it.
    QList<const ResourceType *> resourceTypes() const override;
    // Functions (kind "function"): runtime, handler, memory, timeout, warm and busy instances;
    // action "invoke".
    QList<CatalogKind> catalogKinds() const override;
    QList<CatalogEntry> catalog() const override;
    Result<void> putResource(const StackResource &resource, const StackResource *previous) override;
    Result<QString> deleteResource(const StackResource &resource) override;

    // Defines (or redefines) a function whose code is the folder config.codeDir, watched
    // for changes when config.watchCode. Not written to the state unless `persistent`: a
    // project defines its functions again on every start. Thread-safe.
    Result<void> putFunction(const FunctionConfig &config, bool persistent = false);

    LambdaStore *functions() const { return m_functions.get(); }

private:
    // esbuild functions (Metadata.BuildMethod): bundled now and on every change of their
    // source; the function's own code watcher then sees the new bundle.
    void bundle(const QString &name, const lambdaresources::FunctionSpec &spec);
    void watchSource(const QString &name, const lambdaresources::FunctionSpec &spec);
    void buildLog(const QString &name, int severity, const QString &text);

    std::unique_ptr<LambdaRestApi> m_api;
    QHash<QString, std::shared_ptr<CodeWatcher>> m_sourceWatchers; // by function name
    Tracer *m_tracer = nullptr;
    FunctionRunner *m_runner = nullptr;
    Clock *m_clock = nullptr;
    std::unique_ptr<LambdaStore> m_functions;
    std::unique_ptr<HttpHandler> m_packages;
    QString m_stateDir;
    EventSourceMappings *m_mappings = nullptr;
    Result<void> putMapping(const StackResource &resource);
};

} // namespace tarmac
