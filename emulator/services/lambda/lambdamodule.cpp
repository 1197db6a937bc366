#include "services/lambda/lambdamodule.h"

#include "http/edgerouter.h"
#include "services/lambda/lambdarestapi.h"
#include "services/lambda/lambdaservice.h"

namespace tarmac {

LambdaModule::LambdaModule(QObject *parent)
    : ServiceModule(parent), m_api(std::make_unique<LambdaRestApi>())
{
}

LambdaModule::~LambdaModule() = default;

HttpHandler *LambdaModule::edgeHandler()
{
    return m_api.get();
}

const EventInvokeConfigs *LambdaModule::eventInvokeConfigs() const
{
    return m_functions.get();
}

Result<void> LambdaModule::start(const EngineContext &context)
{
    m_functions = std::make_unique<LambdaService>(context.store, context.clock, context.runner, context.stateDir,
                                                  context.region, context.accountId);
    if (auto r = m_functions->open(); !r)
        return r;

    // Lambda reads a package named by S3Bucket/S3Key from S3, as AWS's Lambda does: here
    // through the S3 module's read-only hand-off, when this build has one.
    auto lookup = context.module;
    auto fetch = [lookup](const QString &bucket, const QString &key, const QString &) -> Result<QByteArray> {
        const ServiceModule *s3 = lookup ? lookup(QStringLiteral("s3")) : nullptr;
        if (!s3)
            return makeError(QStringLiteral("InvalidParameterValueException"),
                             QStringLiteral("Tarmac's S3 is not running: upload the zip (ZipFile) instead"), 400);
        auto object = s3->readObject(QStringLiteral("s3://%1/%2").arg(bucket, key), 262'144'000);
        if (object)
            return object;
        if (object.error().code == QLatin1String("EntityTooLarge"))
            return makeError(QStringLiteral("InvalidParameterValueException"),
                             QStringLiteral("The package in s3://%1/%2 is larger than Lambda accepts").arg(bucket, key),
                             400);
        return makeError(QStringLiteral("InvalidParameterValueException"),
                         QStringLiteral("Error occurred while GetObject. S3 Error Code: %1. S3 Error Message: %2")
                                 .arg(object.error().code, object.error().message),
                         400);
    };
    m_api->attach(m_functions.get(), context.deliveries, context.edgeUrl, fetch, context.mappings);
    m_packages = std::make_unique<LambdaRestApi::PackageDownload>(m_api.get());
    if (context.edgeRouter)
        context.edgeRouter->addInternalRoute(QByteArrayLiteral("/_tarmac/lambda/"), m_packages.get());
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
