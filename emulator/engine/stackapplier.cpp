#include "engine/stackapplier.h"

#include "engine/engine.h"
#include "http/serviceregistry.h"
#include "engine/stackloader.h"
#include "services/lambda/lambdamodule.h"
#include "services/lambda/lambdaservice.h"
#include "services/s3/s3module.h"
#include "services/s3/s3store.h"
#include "services/s3/s3xml.h"
#include "store/store.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QSaveFile>
#include <QTimer>

#include <cstdio>

namespace tarmac {

namespace {

const char kModule[] = "stack";

void printErr(const QString &text)
{
    const QByteArray bytes = text.toUtf8() + '\n';
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stderr);
    std::fflush(stderr);
}

Error applyError(const QString &message)
{
    return makeError(QStringLiteral("StackError"), message, 500);
}

template<typename T>
T withoutLocation(T value)
{
    value.location = {};
    return value;
}

QList<BucketNotification> notificationsOf(const Stack &stack, const QString &bucketLogicalId)
{
    QList<BucketNotification> out;
    for (const BucketNotification &n : stack.notifications) {
        if (n.bucketLogicalId == bucketLogicalId)
            out.append(withoutLocation(n));
    }
    return out;
}

QStringList stringList(const Json &value)
{
    QStringList out;
    if (value.is_array()) {
        for (const Json &v : value) {
            if (v.is_string())
                out.append(QString::fromStdString(v.get<std::string>()));
        }
    } else if (value.is_string()) {
        out.append(QString::fromStdString(value.get<std::string>()));
    }
    return out;
}

Result<QList<s3xml::CorsRule>> corsRules(const BucketSpec &spec)
{
    QList<s3xml::CorsRule> rules;
    for (const Json &r : spec.corsRules) {
        if (!r.is_object())
            return applyError(QStringLiteral("bucket %1: a CORS rule is a map").arg(spec.logicalId));
        s3xml::CorsRule rule;
        if (r.contains("Id") && r["Id"].is_string())
            rule.id = QString::fromStdString(r["Id"].get<std::string>());
        rule.allowedOrigins = stringList(r.value("AllowedOrigins", Json()));
        rule.allowedMethods = stringList(r.value("AllowedMethods", Json()));
        rule.allowedHeaders = stringList(r.value("AllowedHeaders", Json()));
        rule.exposeHeaders = stringList(r.value("ExposedHeaders", Json()));
        if (r.contains("MaxAge") && r["MaxAge"].is_number_integer())
            rule.maxAgeSeconds = int(r["MaxAge"].get<qint64>());
        else if (r.contains("MaxAge") && r["MaxAge"].is_string())
            rule.maxAgeSeconds = QString::fromStdString(r["MaxAge"].get<std::string>()).toInt();
        if (rule.allowedOrigins.isEmpty() || rule.allowedMethods.isEmpty())
            return applyError(QStringLiteral("bucket %1: a CORS rule needs AllowedOrigins and AllowedMethods")
                                      .arg(spec.logicalId));
        rules.append(rule);
    }
    return rules;
}

} // namespace

StackApplier::StackApplier(Engine *engine, QString templatePath, QObject *parent)
    : QObject(parent), m_engine(engine), m_templatePath(std::move(templatePath))
{
    m_s3 = qobject_cast<S3Module *>(engine->module(QStringLiteral("s3")));
    m_lambda = qobject_cast<LambdaModule *>(engine->module(QStringLiteral("lambda")));
}

StackApplier::~StackApplier() = default;

Result<Stack> StackApplier::load() const
{
    StackLoader::Options options;
    options.parameterOverrides = m_engine->options().parameterOverrides;
    return StackLoader::loadFile(m_templatePath, options);
}

Result<void> StackApplier::start()
{
    static const std::vector<Migration> migrations = {
        { 1, "CREATE TABLE stack_resources (stack TEXT NOT NULL, logical_id TEXT NOT NULL,"
             " type TEXT NOT NULL, physical_id TEXT NOT NULL, PRIMARY KEY (stack, logical_id))" },
    };
    if (auto r = m_engine->store()->migrateModule(QLatin1String(kModule), migrations); !r)
        return r;
    QFile file(m_templatePath);
    if (file.open(QIODevice::ReadOnly))
        m_lastTemplateBytes = file.readAll();
    auto next = load();
    if (!next)
        return next.error();
    printReport(*next);
    auto changes = apply(*next);
    if (!changes)
        return changes.error();
    // Buckets an earlier run created that the template no longer has.
    auto recorded = recordedBuckets();
    if (!recorded)
        return recorded.error();
    for (const auto &[logicalId, name] : std::as_const(*recorded)) {
        const BucketSpec *now = next->bucket(logicalId);
        const bool nameInUse = std::any_of(next->buckets.cbegin(), next->buckets.cend(),
                                           [&](const BucketSpec &b) { return b.name == name; });
        if ((!now || now->name != name) && !nameInUse)
            printErr(QStringLiteral("tarmac: %1 (not in the template since the last run)")
                             .arg(removeBucket(logicalId, name, false)));
    }
    m_stack = std::move(*next);
    if (auto r = recordBuckets(*m_stack); !r)
        return r;
    publishHealth();
    watch();
    return {};
}

void StackApplier::stop()
{
    m_watcher.reset();
    if (m_debounce)
        m_debounce->stop();
}

Result<QStringList> StackApplier::reload()
{
    auto next = load();
    if (!next) {
        m_lastError = next.error().message;
        printErr(QStringLiteral("tarmac: %1 (the running stack is unchanged)").arg(m_lastError));
        publishHealth();
        emit reloadFailed(m_lastError);
        return next.error();
    }
    if (!m_stack || next->report.items != m_stack->report.items)
        printReport(*next);
    auto changes = apply(*next);
    if (!changes) {
        // Whatever went wrong has been reported; what did apply is running.
        m_lastError = changes.error().message;
        printErr(QStringLiteral("tarmac: %1").arg(m_lastError));
        publishHealth();
        emit reloadFailed(m_lastError);
        return changes.error();
    }
    m_lastError.clear();
    m_lastChanges = *changes;
    m_stack = std::move(*next);
    if (auto r = recordBuckets(*m_stack); !r)
        printErr(QStringLiteral("tarmac: %1").arg(r.error().message));
    printErr(QStringLiteral("tarmac: %1 reloaded: %2")
                     .arg(QFileInfo(m_templatePath).fileName(),
                          changes->isEmpty() ? QStringLiteral("nothing to change") : changes->join(QLatin1String(", "))));
    publishHealth();
    emit reloaded(*changes);
    return changes;
}

Result<QStringList> StackApplier::apply(const Stack &next)
{
    const Stack *prev = m_stack ? &*m_stack : nullptr;
    QStringList changes;
    QStringList errors;

    if (!next.functions.isEmpty() && !m_lambda)
        return applyError(QStringLiteral("this build has no lambda module: the template's functions cannot run"));
    if (!next.buckets.isEmpty() && !m_s3)
        return applyError(QStringLiteral("this build has no s3 module: the template's buckets cannot be created"));

    // Create and update in dependency order, as CloudFormation does; remove afterwards.
    for (const StackResource &r : next.resources) {
        if (const FunctionSpec *spec = next.function(r.logicalId)) {
            const FunctionSpec *old = prev ? prev->function(r.logicalId) : nullptr;
            if (old && withoutLocation(*old) == withoutLocation(*spec))
                continue;
            if (auto put = putFunction(*spec); !put) {
                errors.append(put.error().message);
                continue;
            }
            if (prev)
                changes.append(QStringLiteral("function %1 %2").arg(spec->logicalId,
                                                                    old ? QStringLiteral("updated") : QStringLiteral("added")));
        } else if (const BucketSpec *spec = next.bucket(r.logicalId)) {
            const BucketSpec *old = prev ? prev->bucket(r.logicalId) : nullptr;
            const QList<BucketNotification> notifications = notificationsOf(next, r.logicalId);
            const bool created = !old || old->name != spec->name;
            if (!created && withoutLocation(*old) == withoutLocation(*spec)
                && notificationsOf(*prev, r.logicalId) == notifications)
                continue;
            if (auto put = putBucket(*spec, notifications, created); !put) {
                errors.append(put.error().message);
                continue;
            }
            if (prev)
                changes.append(QStringLiteral("bucket %1 %2").arg(spec->logicalId,
                                                                  created ? QStringLiteral("added") : QStringLiteral("updated")));
        }
    }
    if (prev) {
        for (auto it = prev->resources.crbegin(); it != prev->resources.crend(); ++it) {
            if (const FunctionSpec *old = prev->function(it->logicalId)) {
                const FunctionSpec *now = next.function(old->logicalId);
                const bool nameInUse = std::any_of(next.functions.cbegin(), next.functions.cend(),
                                                   [&](const FunctionSpec &f) { return f.name == old->name; });
                if ((now && now->name == old->name) || nameInUse)
                    continue;
                if (auto r = removeFunction(*old); !r)
                    errors.append(r.error().message);
                else
                    changes.append(QStringLiteral("function %1 removed").arg(old->logicalId));
            } else if (const BucketSpec *old = prev->bucket(it->logicalId)) {
                const BucketSpec *now = next.bucket(old->logicalId);
                const bool nameInUse = std::any_of(next.buckets.cbegin(), next.buckets.cend(),
                                                   [&](const BucketSpec &b) { return b.name == old->name; });
                if ((now && now->name == old->name) || nameInUse)
                    continue;
                changes.append(removeBucket(old->logicalId, old->name, old->retainOnDelete));
            }
        }
    }
    if (!errors.isEmpty())
        return applyError(errors.join(QLatin1String("; ")));
    return changes;
}

Result<QString> StackApplier::inlineCodeDir(const FunctionSpec &spec) const
{
    // Lambda unpacks ZipFile / InlineCode as the handler's module: index.handler → index.py.
    const QString dir = QDir(m_engine->stateDir()).filePath(QStringLiteral("stack/inline/") + spec.name);
    if (!QDir().mkpath(dir))
        return applyError(QStringLiteral("cannot create %1").arg(dir));
    const qsizetype dot = spec.handler.lastIndexOf(u'.');
    const QString module = dot > 0 ? spec.handler.left(dot) : QStringLiteral("index");
    const QString extension = spec.runtime.startsWith(QLatin1String("nodejs")) ? QStringLiteral(".js")
            : spec.runtime.startsWith(QLatin1String("python"))                  ? QStringLiteral(".py")
                                                                                : QString();
    const QString path = QDir(dir).filePath(extension.isEmpty() ? QStringLiteral("bootstrap") : module + extension);
    QFile existing(path);
    if (existing.open(QIODevice::ReadOnly) && existing.readAll() == spec.inlineCode)
        return dir; // unchanged: do not wake the code watcher
    existing.close();
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(spec.inlineCode) != spec.inlineCode.size() || !out.commit())
        return applyError(QStringLiteral("cannot write the inline code of %1 to %2").arg(spec.logicalId, path));
    if (extension.isEmpty())
        QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    return dir;
}

Result<void> StackApplier::putFunction(const FunctionSpec &spec)
{
    LambdaFunction f;
    f.config.name = spec.name;
    f.config.runtime = spec.runtime;
    f.config.handler = spec.handler;
    f.config.codeDir = spec.codeDir;
    if (f.config.codeDir.isEmpty()) {
        auto dir = inlineCodeDir(spec);
        if (!dir)
            return dir.error();
        f.config.codeDir = *dir;
    }
    f.config.timeoutSeconds = spec.timeoutSeconds;
    f.config.memoryMb = spec.memoryMb;
    f.config.environment = spec.environment;
    f.config.reservedConcurrency = spec.reservedConcurrency.value_or(-1);
    f.config.layerDirs = spec.layerDirs;
    f.config.watchCode = true;
    f.description = spec.description;
    f.tags = spec.tags;
    f.ephemeralStorageMb = spec.ephemeralStorageMb;
    f.persistent = false; // the template defines it again on every start
    // The role SAM would make (IAM is not enforced; GetFunction shows it).
    f.role = QStringLiteral("arn:aws:iam::%1:role/%2Role").arg(spec.arn.section(u':', 4, 4), spec.logicalId);
    if (spec.eventInvokeConfig) {
        EventInvokeConfig config;
        config.maximumRetryAttempts = spec.eventInvokeConfig->maximumRetryAttempts.value_or(2);
        config.maximumEventAgeSeconds = spec.eventInvokeConfig->maximumEventAgeSeconds.value_or(21'600);
        config.onSuccess = spec.eventInvokeConfig->onSuccess;
        config.onFailure = spec.eventInvokeConfig->onFailure;
        f.eventInvokeConfig = config;
    }
    auto r = m_lambda->functions()->putLocalFunction(std::move(f));
    if (!r)
        return applyError(QStringLiteral("%1: function %2: %3")
                                  .arg(spec.location.toString(), spec.logicalId, r.error().message));
    return {};
}

Result<void> StackApplier::removeFunction(const FunctionSpec &spec)
{
    auto r = m_lambda->functions()->remove(spec.name);
    if (!r && r.error().code != QLatin1String("ResourceNotFoundException"))
        return applyError(QStringLiteral("function %1: %2").arg(spec.logicalId, r.error().message));
    return {};
}

Result<void> StackApplier::putBucket(const BucketSpec &spec, const QList<BucketNotification> &notifications,
                                     bool created)
{
    S3Store *store = m_s3->store();
    const auto fail = [&](const Error &e) {
        return applyError(QStringLiteral("%1: bucket %2 (%3): %4")
                                  .arg(spec.location.toString(), spec.logicalId, spec.name, e.message));
    };
    if (created) {
        auto r = store->createBucket(spec.name, StackLoader::Options().region);
        if (!r && r.error().code != QLatin1String("BucketAlreadyOwnedByYou"))
            return fail(r.error());
    }
    auto cors = corsRules(spec);
    if (!cors)
        return cors.error();
    QList<s3xml::Tag> tags;
    for (auto it = spec.tags.cbegin(); it != spec.tags.cend(); ++it)
        tags.append({ it.key(), it.value() });
    s3xml::NotificationConfiguration config;
    for (const BucketNotification &n : notifications)
        config.targets.append({ n.id, QStringLiteral("CloudFunction"), n.functionArn, n.events, n.prefix, n.suffix });
    const std::pair<S3Store::BucketDocument, QByteArray> documents[] = {
        { S3Store::BucketDocument::Cors, cors->isEmpty() ? QByteArray() : s3xml::renderCors(*cors) },
        { S3Store::BucketDocument::Tagging, tags.isEmpty() ? QByteArray() : s3xml::renderTagging(tags) },
        { S3Store::BucketDocument::Notification,
          config.targets.isEmpty() ? QByteArray() : s3xml::renderNotification(config) },
    };
    for (const auto &[which, document] : documents) {
        if (auto r = store->setBucketDocument(spec.name, which, document); !r)
            return fail(r.error());
    }
    m_s3->bucketSettingsChanged(spec.name);
    return {};
}

QString StackApplier::removeBucket(const QString &logicalId, const QString &name, bool retain)
{
    if (retain)
        return QStringLiteral("bucket %1 retained (DeletionPolicy: Retain)").arg(logicalId);
    if (!m_s3)
        return QStringLiteral("bucket %1 left as it is (no s3 module)").arg(logicalId);
    auto r = m_s3->store()->deleteBucket(name);
    if (r || r.error().code == QLatin1String("NoSuchBucket")) {
        m_s3->bucketSettingsChanged(name);
        return QStringLiteral("bucket %1 removed").arg(logicalId);
    }
    if (r.error().code == QLatin1String("BucketNotEmpty"))
        return QStringLiteral("bucket %1 kept: %2 is not empty, and CloudFormation does not delete a bucket that "
                              "holds objects")
                .arg(logicalId, name);
    return QStringLiteral("bucket %1 not removed: %2").arg(logicalId, r.error().message);
}

Result<QList<std::pair<QString, QString>>> StackApplier::recordedBuckets() const
{
    const QString stackName = m_stack ? m_stack->name : StackLoader::defaultStackName(m_templatePath);
    return m_engine->store()->write([&](Database &db) -> Result<QList<std::pair<QString, QString>>> {
        auto s = db.prepare("SELECT logical_id, physical_id FROM stack_resources WHERE stack = ?1 AND type = ?2");
        if (!s)
            return s.error();
        s->bind(1, stackName).bind(2, QStringLiteral("AWS::S3::Bucket"));
        QList<std::pair<QString, QString>> out;
        for (;;) {
            auto row = s->step();
            if (!row)
                return row.error();
            if (!*row)
                break;
            out.append({ s->text(0), s->text(1) });
        }
        return out;
    });
}

Result<void> StackApplier::recordBuckets(const Stack &stack)
{
    return m_engine->store()->write([&](Database &db) -> Result<void> {
        Transaction tx(db);
        if (!tx.began())
            return tx.began();
        auto clear = db.prepare("DELETE FROM stack_resources WHERE stack = ?1");
        auto insert = db.prepare("INSERT INTO stack_resources (stack, logical_id, type, physical_id) VALUES (?1, ?2, ?3, ?4)");
        if (!clear)
            return clear.error();
        if (!insert)
            return insert.error();
        clear->bind(1, stack.name);
        if (auto r = clear->exec(); !r)
            return r;
        for (const BucketSpec &b : stack.buckets) {
            insert->bind(1, stack.name).bind(2, b.logicalId).bind(3, QStringLiteral("AWS::S3::Bucket")).bind(4, b.name);
            if (auto r = insert->exec(); !r)
                return r;
        }
        return tx.commit();
    });
}

void StackApplier::watch()
{
    m_watcher = std::make_unique<QFileSystemWatcher>();
    m_debounce = std::make_unique<QTimer>();
    m_debounce->setSingleShot(true);
    // Editors save in bursts (write, rename, touch): one reload after the burst.
    m_debounce->setInterval(150);
    connect(m_debounce.get(), &QTimer::timeout, this, &StackApplier::onFileChanged);
    // The folder too: an editor that saves by renaming a new file over the old one replaces
    // the file the watch was on.
    m_watcher->addPath(m_templatePath);
    m_watcher->addPath(QFileInfo(m_templatePath).absolutePath());
    connect(m_watcher.get(), &QFileSystemWatcher::fileChanged, m_debounce.get(), qOverload<>(&QTimer::start));
    connect(m_watcher.get(), &QFileSystemWatcher::directoryChanged, m_debounce.get(), qOverload<>(&QTimer::start));
}

void StackApplier::onFileChanged()
{
    if (!m_watcher)
        return;
    if (!m_watcher->files().contains(m_templatePath) && QFileInfo::exists(m_templatePath))
        m_watcher->addPath(m_templatePath);
    QFile file(m_templatePath);
    if (!file.open(QIODevice::ReadOnly))
        return; // mid-save, or removed: the next change brings it back
    const QByteArray bytes = file.readAll();
    if (bytes == m_lastTemplateBytes)
        return; // another file in the folder changed
    m_lastTemplateBytes = bytes;
    (void)reload();
}

QByteArray StackApplier::outputsText() const
{
    if (!m_stack || m_stack->outputs.isEmpty())
        return {};
    QByteArray out = "Outputs:\n";
    for (const StackOutput &o : m_stack->outputs)
        out += "  " + o.name.toUtf8() + ": " + o.value.toUtf8() + '\n';
    return out;
}

void StackApplier::publishHealth()
{
    Json t = Json::object();
    t["path"] = m_templatePath.toStdString();
    t["status"] = m_lastError.isEmpty() ? "ok" : "error";
    if (!m_lastError.isEmpty())
        t["error"] = m_lastError.toStdString();
    if (m_stack) {
        t["stack"] = m_stack->name.toStdString();
        Json resources = Json::array();
        for (const StackResource &r : m_stack->resources) {
            if (!r.implicit)
                resources.push_back({ { "logicalId", r.logicalId.toStdString() },
                                      { "type", r.type.toStdString() },
                                      { "physicalId", r.physicalId.toStdString() } });
        }
        t["resources"] = resources;
        Json outputs = Json::object();
        for (const StackOutput &o : m_stack->outputs)
            outputs[o.name.toStdString()] = o.value.toStdString();
        t["outputs"] = outputs;
        t["fidelity"] = { { "unsupported", m_stack->report.count(FidelityItem::Level::Unsupported) },
                          { "ignored", m_stack->report.count(FidelityItem::Level::Ignored) },
                          { "items", m_stack->report.toJson() } };
    }
    Json changes = Json::array();
    for (const QString &c : m_lastChanges)
        changes.push_back(c.toStdString());
    t["lastChanges"] = changes;
    m_engine->services()->setHealthField(QStringLiteral("template"), toJsonBytes(t));
}

void StackApplier::printReport(const Stack &stack) const
{
    const QString file = QFileInfo(m_templatePath).fileName();
    const int unsupported = stack.report.count(FidelityItem::Level::Unsupported);
    const int ignored = stack.report.count(FidelityItem::Level::Ignored);
    qsizetype resources = 0;
    for (const StackResource &r : stack.resources)
        resources += r.implicit ? 0 : 1;
    QString head = QStringLiteral("tarmac: %1: stack %2, %3 resource(s)").arg(file, stack.name).arg(resources);
    if (unsupported == 0 && ignored == 0) {
        printErr(head + QStringLiteral(", everything emulated"));
        return;
    }
    head += QStringLiteral(": %1 thing(s) Tarmac does not emulate, %2 it accepts and ignores").arg(unsupported).arg(ignored);
    printErr(head);
    for (const QString &line : stack.report.lines())
        printErr(line);
}

} // namespace tarmac
