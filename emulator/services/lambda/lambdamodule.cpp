#include "services/lambda/lambdamodule.h"

#include "core/dispatcher.h"
#include "core/dispatcherapi.h"
#include "functions/functionrunner.h"
#include "functions/runtimeregistry.h"
#include "http/edgerouter.h"
#include "services/lambda/asyncinvoker.h"
#include "services/lambda/lambdarestapi.h"
#include "services/lambda/lambdaservice.h"
#include "services/s3/s3module.h"
#include "services/s3/s3store.h"
#include "store/store.h"

#include <QDir>

namespace tarmac {

LambdaModule::LambdaModule(QObject *parent) : LambdaModule(Options {}, parent) { }

LambdaModule::LambdaModule(Options options, QObject *parent)
    : ServiceModule(parent), m_options(std::move(options)), m_api(std::make_unique<LambdaRestApi>())
{
}

LambdaModule::~LambdaModule()
{
    stop();
    // Sources may still hold the sink: finish what is pending before the parts go.
    m_async.reset();
    m_dispatcher.reset();
    m_runner.reset();
}

HttpHandler *LambdaModule::edgeHandler()
{
    return m_api.get();
}

DeliverySink *LambdaModule::deliverySink()
{
    return m_dispatcher.get();
}

Result<void> LambdaModule::start(const EngineContext &context)
{
    m_runtimes = std::make_unique<RuntimeRegistry>();
    m_runtimes->loadFrom(RuntimeRegistry::defaultSearchPaths());
    for (const QString &error : m_runtimes->loadErrors())
        qWarning("tarmac: runtime plugin: %s", qPrintable(error));
    if (m_runtimes->isEmpty())
        qWarning("tarmac: no runtime plugins found (looked in %s): functions cannot run",
                 qPrintable(RuntimeRegistry::defaultSearchPaths().join(QStringLiteral(", "))));

    FunctionRunner::Options runner;
    runner.edgeUrl = context.edgeUrl;
    runner.region = context.region;
    runner.accountId = context.accountId;
    runner.runtimeRoot = QDir(context.stateDir).filePath(QStringLiteral("runtimes"));
    runner.spoolDir = QDir(context.stateDir).filePath(QStringLiteral("tmp"));
    int idle = m_options.idleTimeoutMs;
    if (idle < 0) {
        bool ok = false;
        idle = qEnvironmentVariableIntValue("TARMAC_FUNCTION_IDLE_MS", &ok);
        if (!ok || idle <= 0)
            idle = 10 * 60 * 1000;
    }
    runner.idleTimeoutMs = idle;
    m_runner = std::make_unique<FunctionRunner>(m_runtimes.get(), context.tracer, context.clock, runner);

    m_dispatcher = std::make_unique<Dispatcher>(context.store, context.tracer, context.clock);
    if (auto r = m_dispatcher->open(); !r)
        return r;
    FunctionRunner *runnerPtr = m_runner.get();
    m_dispatcher->setTarget([runnerPtr](Delivery d) { runnerPtr->deliver(std::move(d)); });
    m_dispatcherApi = std::make_unique<DispatcherApi>(m_dispatcher.get());

    m_functions = std::make_unique<LambdaService>(context.store, context.clock, m_runner.get(), context.stateDir,
                                                  context.region, context.accountId);
    if (auto r = m_functions->open(); !r)
        return r;

    AsyncInvoker::Options async;
    async.retryDelaysMs = m_options.retryDelaysMs;
    if (async.retryDelaysMs.isEmpty()) {
        for (const QString &part : qEnvironmentVariable("TARMAC_ASYNC_RETRY_DELAYS_MS").split(u',', Qt::SkipEmptyParts)) {
            bool ok = false;
            const int ms = part.trimmed().toInt(&ok);
            if (ok && ms >= 0)
                async.retryDelaysMs.append(ms);
        }
    }
    if (async.retryDelaysMs.isEmpty())
        async.retryDelaysMs = { 1000, 2000 };
    m_async = std::make_unique<AsyncInvoker>(context.store, context.clock, m_functions.get(), async);
    if (auto r = m_async->open(m_dispatcher.get()); !r)
        return r;

    // Lambda reads a package named by S3Bucket/S3Key from S3, as AWS's Lambda does: here
    // from the S3 model, read-only, when this build has one.
    auto lookup = context.module;
    Store *store = context.store;
    auto fetch = [lookup, store](const QString &bucket, const QString &key, const QString &) -> Result<QByteArray> {
        auto *s3 = lookup ? qobject_cast<S3Module *>(lookup(QStringLiteral("s3"))) : nullptr;
        if (!s3 || !s3->store())
            return makeError(QStringLiteral("InvalidParameterValueException"),
                             QStringLiteral("Tarmac's S3 is not running: upload the zip (ZipFile) instead"), 400);
        auto object = s3->store()->object(bucket, key.toUtf8());
        if (!object)
            return makeError(QStringLiteral("InvalidParameterValueException"),
                             QStringLiteral("Error occurred while GetObject. S3 Error Code: %1. S3 Error Message: %2")
                                     .arg(object.error().code, object.error().message),
                             400);
        if (object->size > 262'144'000)
            return makeError(QStringLiteral("InvalidParameterValueException"),
                             QStringLiteral("The package in s3://%1/%2 is larger than Lambda accepts").arg(bucket, key),
                             400);
        if (!object->blob.isEmpty())
            return store->blobs().read(object->blob);
        return object->data;
    };
    m_api->attach(m_functions.get(), m_async.get(), m_dispatcher.get(), context.edgeUrl, fetch);
    m_packages = std::make_unique<LambdaRestApi::PackageDownload>(m_api.get());
    if (context.edgeRouter) {
        context.edgeRouter->addInternalRoute(QByteArray(DispatcherApi::prefix), m_dispatcherApi.get());
        context.edgeRouter->addInternalRoute(QByteArrayLiteral("/_tarmac/lambda/"), m_packages.get());
    }
    return {};
}

Result<void> LambdaModule::addBlobReferences(QSet<QByteArray> &live) const
{
    if (m_functions) {
        for (const LambdaFunction &f : m_functions->list()) {
            if (!f.zipBlob.isEmpty())
                live.insert(f.zipBlob);
        }
    }
    return {};
}

void LambdaModule::stop()
{
    if (m_async)
        m_async->stop();
    if (m_dispatcher)
        m_dispatcher->shutdown();
    if (m_runner)
        m_runner->stopAll();
}

Result<void> LambdaModule::putFunction(const FunctionConfig &config, bool persistent)
{
    if (!m_functions)
        return makeError(QStringLiteral("ServiceException"), QStringLiteral("the lambda module has not started"), 503);
    LambdaFunction f;
    f.config = config;
    f.persistent = persistent;
    f.role = QStringLiteral("arn:aws:iam::000000000000:role/tarmac");
    auto r = m_functions->putLocalFunction(std::move(f));
    if (!r)
        return r.error();
    return {};
}

} // namespace tarmac
