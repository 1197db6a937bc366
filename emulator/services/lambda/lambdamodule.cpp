#include "services/lambda/lambdamodule.h"

#include "base/clock.h"
#include "functions/codewatcher.h"
#include "functions/functionrunner.h"
#include "http/edgerouter.h"
#include "services/eventsourcemappings.h"
#include "services/lambda/functionbuild.h"
#include "services/lambda/lambdarequests.h"
#include "services/lambda/lambdaresources.h"
#include "services/lambda/lambdarestapi.h"
#include "services/lambda/lambdastore.h"
#include "template/stack.h"
#include "trace/tracer.h"

#include <QDir>
#include <QFile>
#include <QSaveFile>

namespace tarmac {

LambdaModule::LambdaModule(QObject *parent)
    : ServiceModule(parent)
    , m_api(std::make_unique<LambdaRestApi>())
{ }

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
    m_runner = context.runner;
    m_stateDir = context.stateDir;
    m_tracer = context.tracer;
    m_mappings = context.mappings;
    m_clock = context.clock;
    m_functions = std::make_unique<LambdaStore>(context.store, context.clock, context.runner,
        context.stateDir, context.region, context.accountId);
    if (auto r = m_functions->open(); !r)
        return r;

    // Lambda reads a package named by S3Bucket/S3Key from S3, as AWS's Lambda does: here
    // through the S3 module's read-only hand-off, when this build has one.
    auto lookup = context.module;
    auto fetch = [lookup](const QString &bucket, const QString &key,
                     const QString &) -> Result<QByteArray> {
        const ServiceModule *s3 = lookup ? lookup(QStringLiteral("s3")) : nullptr;
        if (!s3)
            return makeError(QStringLiteral("InvalidParameterValueException"),
                QStringLiteral("Tarmac's S3 is not running: upload the zip (ZipFile) instead"),
                400);
        auto object = s3->readObject(QStringLiteral("s3://%1/%2").arg(bucket, key), 262'144'000);
        if (object)
            return object;
        if (object.error().code == QLatin1String("EntityTooLarge"))
            return makeError(QStringLiteral("InvalidParameterValueException"),
                QStringLiteral("The package in s3://%1/%2 is larger than Lambda accepts")
                    .arg(bucket, key),
                400);
        return makeError(QStringLiteral("InvalidParameterValueException"),
            QStringLiteral(
                "Error occurred while GetObject. S3 Error Code: %1. S3 Error Message: %2")
                .arg(object.error().code, object.error().message),
            400);
    };
    m_api->attach(m_functions.get(), context.deliveries, context.edgeUrl, fetch, context.mappings);
    m_packages = std::make_unique<LambdaRestApi::PackageDownload>(m_api.get());
    if (context.edgeRouter)
        context.edgeRouter->addInternalRoute(
            QByteArrayLiteral("/_tarmac/lambda/"), m_packages.get());
    return {};
}

Result<void> LambdaModule::reloadState()
{
    if (!m_functions)
        return {};
    auto gone = m_functions->reload();
    if (!gone)
        return gone.error();
    // Only a template's esbuild functions have a source watcher, and those stay; should one
    // have gone all the same, its sources are not bundled any more.
    for (const QString &name : std::as_const(*gone))
        m_sourceWatchers.remove(name);
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
        return makeError(QStringLiteral("ServiceException"),
            QStringLiteral("the lambda module has not started"), 503);
    LambdaFunction f;
    f.config = config;
    f.persistent = persistent;
    f.role = QStringLiteral("arn:aws:iam::000000000000:role/tarmac");
    auto r = m_functions->putLocalFunction(std::move(f));
    if (!r)
        return r.error();
    return {};
}

namespace {

Error notStarted()
{
    return makeError(QStringLiteral("ServiceException"),
        QStringLiteral("the lambda module has not started"), 503);
}

// Lambda unpacks ZipFile / InlineCode as the handler's module: index.handler → index.py. The
// folder is rewritten only when the code changed, so that the code watcher stays quiet.
Result<QString> writeInlineCode(
    const QString &stateDir, const QString &name, const lambdaresources::FunctionSpec &spec)
{
    const QString dir = QDir(stateDir).filePath(QStringLiteral("stack/inline/") + name);
    if (!QDir().mkpath(dir))
        return makeError(
            QStringLiteral("ServiceException"), QStringLiteral("cannot create %1").arg(dir), 500);
    const qsizetype dot = spec.handler.lastIndexOf(u'.');
    const QString module = dot > 0 ? spec.handler.left(dot) : QStringLiteral("index");
    const QString extension = spec.runtime.startsWith(QLatin1String("nodejs"))
        ? QStringLiteral(".js")
        : spec.runtime.startsWith(QLatin1String("python")) ? QStringLiteral(".py")
                                                           : QString();
    const QString path = QDir(dir).filePath(
        extension.isEmpty() ? QStringLiteral("bootstrap") : module + extension);
    QFile existing(path);
    if (existing.open(QIODevice::ReadOnly) && existing.readAll() == spec.inlineCode)
        return dir;
    existing.close();
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(spec.inlineCode) != spec.inlineCode.size()
        || !out.commit())
        return makeError(QStringLiteral("ServiceException"),
            QStringLiteral("cannot write the inline code to %1").arg(path), 500);
    if (extension.isEmpty())
        QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    return dir;
}

} // namespace

QList<const ResourceType *> LambdaModule::resourceTypes() const
{
    return lambdaresources::types();
}

Result<void> LambdaModule::putResource(const StackResource &resource, const StackResource *previous)
{
    if (resource.type == QLatin1String("AWS::Lambda::EventSourceMapping"))
        return putMapping(resource);
    const auto spec = lambdaresources::functionSpec(resource);
    if (!spec)
        return {}; // a layer: its folder is in the functions' specs
    if (!m_functions)
        return notStarted();
    if (!spec->runnable) {
        // Reported when the template was loaded, and not created; one that ran before goes.
        if (previous)
            (void)m_functions->remove(resource.physicalId);
        return {};
    }
    if (spec->buildMethod == QLatin1String("esbuild")) {
        bundle(resource.physicalId, *spec);
        watchSource(resource.physicalId, *spec);
    } else {
        m_sourceWatchers.remove(resource.physicalId);
    }
    LambdaFunction f;
    f.config.name = resource.physicalId;
    f.config.runtime = spec->runtime;
    f.config.handler = spec->handler;
    f.config.codeDir = spec->codeDir;
    if (f.config.codeDir.isEmpty()) {
        auto dir = writeInlineCode(m_stateDir, resource.physicalId, *spec);
        if (!dir)
            return dir.error();
        f.config.codeDir = *dir;
    }
    f.config.timeoutSeconds = spec->timeoutSeconds;
    f.config.memoryMb = spec->memoryMb;
    f.config.environment = spec->environment;
    f.config.reservedConcurrency = spec->reservedConcurrency.value_or(-1);
    f.config.layerDirs = spec->layerDirs;
    f.config.watchCode = true;
    f.description = spec->description;
    f.tags = spec->tags;
    f.ephemeralStorageMb = spec->ephemeralStorageMb;
    f.deadLetterTarget = spec->deadLetterTarget;
    // The alias AutoPublishAlias publishes, and its version, always hold the newest code.
    if (!spec->autoPublishAlias.isEmpty())
        f.qualifiers = {spec->autoPublishAlias, QStringLiteral("1")};
    f.persistent = false; // the template defines it again on every start
    // The template's role, or the one SAM makes (IAM is not enforced; GetFunction shows it).
    f.role = !spec->role.isEmpty()
        ? spec->role
        : QStringLiteral("arn:aws:iam::%1:role/%2Role")
              .arg(
                  m_functions->arnFor(resource.physicalId).section(u':', 4, 4), resource.logicalId);
    if (spec->eventInvokeConfig) {
        EventInvokeConfig config;
        config.maximumRetryAttempts = spec->eventInvokeConfig->maximumRetryAttempts.value_or(2);
        config.maximumEventAgeSeconds
            = spec->eventInvokeConfig->maximumEventAgeSeconds.value_or(21'600);
        config.onSuccess = spec->eventInvokeConfig->onSuccess;
        config.onFailure = spec->eventInvokeConfig->onFailure;
        f.eventInvokeConfig = config;
    }
    // A function is defined whole each time (`previous` or not): its instances are replaced.
    auto r = m_functions->putLocalFunction(std::move(f));
    if (!r)
        return r.error();
    return {};
}

// A template's mapping is found again by its function and source (a restart defines it once
// more; the registry keeps mappings in the state): updated, not created twice.
Result<void> LambdaModule::putMapping(const StackResource &resource)
{
    if (!m_mappings || !m_functions)
        return notStarted();
    if (resource.details.is_object() && resource.details.value("skip", false))
        return {}; // a source no service offers: reported when the template was loaded
    Json body = resource.properties;
    body.erase("Tags");
    auto write = lambdarequests::eventSourceMapping(body, true);
    if (!write)
        return write.error();
    const QString name = write->functionName.value_or(QString());
    const QString arn = name.startsWith(QLatin1String("arn:")) ? name : m_functions->arnFor(name);
    const QString source = write->settings.eventSourceArn.value_or(QString());
    for (const EventSourceMapping &m : m_mappings->list()) {
        if (m.functionArn == arn && m.eventSourceArn == source) {
            auto r = m_mappings->update(m.uuid, arn, write->settings);
            return r ? Result<void>() : Result<void>(r.error());
        }
    }
    auto r = m_mappings->create(arn, write->settings);
    return r ? Result<void>() : Result<void>(r.error());
}

Result<QString> LambdaModule::deleteResource(const StackResource &resource)
{
    if (resource.type == QLatin1String("AWS::Lambda::EventSourceMapping")) {
        if (!m_mappings || !m_functions)
            return QStringLiteral("removed");
        const Json &fn = resource.properties.value("FunctionName", Json());
        const QString name
            = fn.is_string() ? QString::fromStdString(fn.get<std::string>()) : QString();
        const QString arn
            = name.startsWith(QLatin1String("arn:")) ? name : m_functions->arnFor(name);
        const Json &es = resource.properties.value("EventSourceArn", Json());
        const QString source
            = es.is_string() ? QString::fromStdString(es.get<std::string>()) : QString();
        for (const EventSourceMapping &m : m_mappings->list()) {
            if (m.functionArn == arn && m.eventSourceArn == source)
                (void)m_mappings->remove(m.uuid);
        }
        return QStringLiteral("removed");
    }
    if (!lambdaresources::isFunctionType(resource.type))
        return QStringLiteral("removed");
    m_sourceWatchers.remove(resource.physicalId);
    if (!m_functions)
        return notStarted();
    auto r = m_functions->remove(resource.physicalId);
    if (!r && r.error().code != QLatin1String("ResourceNotFoundException"))
        return r.error();
    return QStringLiteral("removed");
}

void LambdaModule::buildLog(const QString &name, int severity, const QString &text)
{
    if (!m_tracer)
        return;
    LogRecord log;
    log.timeNs = m_clock ? m_clock->nowNs() : 0;
    log.source = name;
    log.severity = severity;
    log.text = text;
    m_tracer->record(std::move(log));
}

void LambdaModule::bundle(const QString &name, const lambdaresources::FunctionSpec &spec)
{
    const BuildOutcome outcome = functionbuild::bundle(spec);
    buildLog(name, outcome.failed ? LogSeverityError : LogSeverityInfo,
        outcome.output.isEmpty() ? outcome.line : outcome.line + u'\n' + outcome.output);
}

void LambdaModule::watchSource(const QString &name, const lambdaresources::FunctionSpec &spec)
{
    auto watcher = std::make_shared<CodeWatcher>(spec.sourceDir);
    connect(watcher.get(), &CodeWatcher::changed, this, [this, name, spec] { bundle(name, spec); });
    m_sourceWatchers.insert(name, std::move(watcher));
}

QList<CatalogKind> LambdaModule::catalogKinds() const
{
    return {{QStringLiteral("function"), tr("Functions"),
        tr("No functions yet: add one to the template, or run aws lambda create-function "
           "--endpoint-url EDGE")}};
}

QList<CatalogEntry> LambdaModule::catalog() const
{
    QList<CatalogEntry> out;
    if (!m_runner)
        return out;
    QStringList names = m_runner->functionNames();
    names.sort();
    const QList<FunctionRunner::InstanceInfo> instances = m_runner->instances();
    for (const QString &name : std::as_const(names)) {
        const auto config = m_runner->function(name);
        if (!config)
            continue;
        int warm = 0, busy = 0;
        for (const auto &i : instances) {
            if (i.function != name)
                continue;
            if (i.state == FunctionInstance::State::Ready
                || i.state == FunctionInstance::State::Invoking)
                ++warm;
            if (i.state == FunctionInstance::State::Invoking)
                ++busy;
        }
        CatalogEntry e;
        e.kind = QStringLiteral("function");
        e.name = name;
        e.arn = m_runner->functionArn(name);
        e.counts = {{QStringLiteral("warm"), warm}, {QStringLiteral("busy"), busy}};
        e.status = tr("%1 · %2 warm").arg(config->runtime).arg(warm);
        e.properties = {{QStringLiteral("Runtime"), config->runtime},
            {QStringLiteral("Handler"), config->handler},
            {QStringLiteral("MemorySize"), QString::number(config->memoryMb)},
            {QStringLiteral("Timeout"), QString::number(config->timeoutSeconds)},
            {QStringLiteral("CodeUri"), config->codeDir}};
        e.actions = {QStringLiteral("invoke")};
        e.warning = m_runner->warnings(name).join(u'\n');
        out.append(e);
    }
    return out;
}

} // namespace tarmac
