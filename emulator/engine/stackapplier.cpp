#include "engine/stackapplier.h"

#include "engine/engine.h"
#include "engine/stackloader.h"
#include "http/serviceregistry.h"
#include "store/database.h"
#include "store/store.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QTimer>

#include <cstdio>

namespace tarmac {

namespace {

const char kModule[] = "stack";

// A line for the terminal: through the console log when there is one (its level and format
// apply), else straight to stderr.
void say(const Engine *engine, int severity, const QString &text)
{
    if (ConsoleLog *console = engine->console()) {
        console->message(severity, text);
        return;
    }
    const QByteArray bytes = text.toUtf8() + '\n';
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stderr);
    std::fflush(stderr);
}

Error applyError(const QString &message)
{
    return makeError(QStringLiteral("StackError"), message, 500);
}

} // namespace

StackApplier::StackApplier(Engine *engine, QString templatePath, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_templatePath(std::move(templatePath))
{
    for (ServiceModule *module : engine->modules()) {
        for (const ResourceType *type : module->resourceTypes()) {
            // Types a service accepts and ignores (a bucket policy) are not created.
            if (type->info().support == Support::Emulated)
                m_owners.insert(QLatin1String(type->info().type), module);
            m_nouns.insert(QLatin1String(type->info().type), QLatin1String(type->info().noun));
        }
    }
}

StackApplier::~StackApplier() = default;

Result<Stack> StackApplier::load() const
{
    StackLoader::Options options;
    options.parameterOverrides = m_engine->options().parameterOverrides;
    options.stackName = m_engine->options().stackName;
    options.layerFolders = m_engine->options().layerFolders;
    options.buildRoot = m_engine->buildRoot();
    options.endpoint = m_engine->edgeUrl().toString(QUrl::StripTrailingSlash);
    for (ServiceModule *module : m_engine->modules()) {
        options.resourceTypes += module->resourceTypes();
        options.eventTypes += module->functionEventTypes();
        options.messageServices += module->messageTargetServices();
        options.eventSourceServices += module->eventSourceServices();
    }
    auto stack = StackLoader::loadFile(m_templatePath, options);
    if (!stack)
        return stack;
    // Outputs that are a service's AWS URL show the URL that reaches it here.
    for (StackOutput &o : stack->outputs) {
        for (ServiceModule *module : m_engine->modules()) {
            if (const QString local = module->localUrl(o.value); !local.isEmpty()) {
                o.value = local;
                break;
            }
        }
    }
    return stack;
}

Result<void> StackApplier::start()
{
    static const std::vector<Migration> migrations = {
        {1,
            "CREATE TABLE stack_resources (stack TEXT NOT NULL, logical_id TEXT NOT NULL,"
            " type TEXT NOT NULL, physical_id TEXT NOT NULL, PRIMARY KEY (stack, logical_id))"},
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
    // Resources an earlier run created that the template no longer has.
    auto recorded = recordedResources();
    if (!recorded)
        return recorded.error();
    for (const StackResource &was : std::as_const(*recorded)) {
        const StackResource *now = next->resource(was.logicalId);
        const bool inUse = std::any_of(
            next->resources.cbegin(), next->resources.cend(), [&](const StackResource &r) {
                return r.type == was.type && r.physicalId == was.physicalId;
            });
        if ((now && now->type == was.type && now->physicalId == was.physicalId) || inUse)
            continue;
        StackResource gone = was;
        gone.deletionPolicy.clear(); // the policy it had is not known any more
        say(m_engine, LogSeverityInfo,
            QStringLiteral("tarmac: %1 (not in the template since the last run)")
                .arg(removeOffered(gone)));
    }
    m_stack = std::move(*next);
    if (auto r = recordResources(*m_stack); !r)
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
        say(m_engine, LogSeverityError,
            QStringLiteral("tarmac: %1 (the running stack is unchanged)").arg(m_lastError));
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
        say(m_engine, LogSeverityError, QStringLiteral("tarmac: %1").arg(m_lastError));
        publishHealth();
        emit reloadFailed(m_lastError);
        return changes.error();
    }
    m_lastError.clear();
    m_lastChanges = *changes;
    m_stack = std::move(*next);
    if (auto r = recordResources(*m_stack); !r)
        say(m_engine, LogSeverityError, QStringLiteral("tarmac: %1").arg(r.error().message));
    say(m_engine, LogSeverityInfo,
        QStringLiteral("tarmac: %1 reloaded: %2")
            .arg(QFileInfo(m_templatePath).fileName(),
                changes->isEmpty() ? QStringLiteral("nothing to change")
                                   : changes->join(QLatin1String(", "))));
    publishHealth();
    emit reloaded(*changes);
    return changes;
}

Result<QStringList> StackApplier::apply(const Stack &next)
{
    const Stack *prev = m_stack ? &*m_stack : nullptr;
    QStringList changes;
    QStringList errors;

    // Create and update in dependency order, as CloudFormation does; remove afterwards.
    for (const StackResource &r : next.resources) {
        if (ServiceModule *owner = ownerOf(r.type)) {
            const StackResource *old = prev ? prev->resource(r.logicalId) : nullptr;
            if (old && (old->type != r.type || old->physicalId != r.physicalId))
                old = nullptr; // replaced: the new one first, the old one goes with the removals
            // Unchanged: the same properties, and the same made of them (a layer's folder).
            if (old && old->properties == r.properties && old->details == r.details)
                continue;
            if (auto put = owner->putResource(r, old); !put) {
                errors.append(
                    QStringLiteral("%1: %2 (%3): %4")
                        .arg(r.location.toString(), named(r), r.physicalId, put.error().message));
                continue;
            }
            if (prev)
                changes.append(QStringLiteral("%1 %2").arg(
                    named(r), old ? QStringLiteral("updated") : QStringLiteral("added")));
        }
    }
    if (prev) {
        for (auto it = prev->resources.crbegin(); it != prev->resources.crend(); ++it) {
            if (ownerOf(it->type)) {
                const StackResource *now = next.resource(it->logicalId);
                const bool inUse = std::any_of(
                    next.resources.cbegin(), next.resources.cend(), [&](const StackResource &r) {
                        return r.type == it->type && r.physicalId == it->physicalId;
                    });
                if ((now && now->type == it->type && now->physicalId == it->physicalId) || inUse)
                    continue;
                changes.append(removeOffered(*it));
            }
        }
    }
    if (!errors.isEmpty())
        return applyError(errors.join(QLatin1String("; ")));
    return changes;
}

QString StackApplier::named(const StackResource &resource) const
{
    const QString noun = m_nouns.value(resource.type);
    return noun.isEmpty() ? resource.logicalId : noun + u' ' + resource.logicalId;
}

QString StackApplier::removeOffered(const StackResource &resource)
{
    if (resource.deletionPolicy.startsWith(QLatin1String("Retain")))
        return QStringLiteral("%1 retained (DeletionPolicy: %2)")
            .arg(named(resource), resource.deletionPolicy);
    ServiceModule *owner = ownerOf(resource.type);
    if (!owner)
        return QStringLiteral("%1 left as it is (no service runs %2 now)")
            .arg(named(resource), resource.type);
    auto r = owner->deleteResource(resource);
    if (!r)
        return QStringLiteral("%1 not removed: %2").arg(named(resource), r.error().message);
    return QStringLiteral("%1 %2").arg(named(resource), *r);
}

Result<QList<StackResource>> StackApplier::recordedResources() const
{
    const QString &option = m_engine->options().stackName;
    const QString stackName = m_stack ? m_stack->name
        : option.isEmpty()            ? StackLoader::defaultStackName(m_templatePath)
                                      : option;
    return m_engine->store()->write([&](Database &db) -> Result<QList<StackResource>> {
        auto s = db.prepare(
            "SELECT logical_id, type, physical_id FROM stack_resources WHERE stack = ?1");
        if (!s)
            return s.error();
        s->bind(1, stackName);
        QList<StackResource> out;
        auto walked = s->forEachRow([&] {
            StackResource r;
            r.logicalId = s->text(0);
            r.type = s->text(1);
            r.physicalId = s->text(2);
            out.append(r);
        });
        if (!walked)
            return walked.error();
        return out;
    });
}

Result<void> StackApplier::recordResources(const Stack &stack)
{
    return m_engine->store()->write([&](Database &db) -> Result<void> {
        Transaction tx(db);
        if (!tx.began())
            return tx.began();
        auto clear = db.prepare("DELETE FROM stack_resources WHERE stack = ?1");
        auto insert = db.prepare("INSERT INTO stack_resources (stack, logical_id, type, "
                                 "physical_id) VALUES (?1, ?2, ?3, ?4)");
        if (!clear)
            return clear.error();
        if (!insert)
            return insert.error();
        clear->bind(1, stack.name);
        if (auto r = clear->exec(); !r)
            return r;
        for (const StackResource &r : stack.resources) {
            if (!ownerOf(r.type))
                continue;
            insert->bind(1, stack.name).bind(2, r.logicalId).bind(3, r.type).bind(4, r.physicalId);
            if (auto e = insert->exec(); !e)
                return e;
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
    connect(m_watcher.get(), &QFileSystemWatcher::fileChanged, m_debounce.get(),
        qOverload<>(&QTimer::start));
    connect(m_watcher.get(), &QFileSystemWatcher::directoryChanged, m_debounce.get(),
        qOverload<>(&QTimer::start));
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
    m_engine->services()->setHealthField(QStringLiteral("template"), toJsonBytes(status()));
    emit changed();
}

Json StackApplier::status() const
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
                resources.push_back({{"logicalId", r.logicalId.toStdString()},
                    {"type", r.type.toStdString()}, {"physicalId", r.physicalId.toStdString()}});
        }
        t["resources"] = resources;
        Json outputs = Json::object();
        for (const StackOutput &o : m_stack->outputs)
            outputs[o.name.toStdString()] = o.value.toStdString();
        t["outputs"] = outputs;
        t["fidelity"] = {{"unsupported", m_stack->report.count(FidelityItem::Level::Unsupported)},
            {"ignored", m_stack->report.count(FidelityItem::Level::Ignored)},
            {"items", m_stack->report.toJson()}};
    }
    Json changes = Json::array();
    for (const QString &c : m_lastChanges)
        changes.push_back(c.toStdString());
    t["lastChanges"] = changes;
    return t;
}

void StackApplier::printReport(const Stack &stack) const
{
    const QString file = m_templatePath.endsWith(QLatin1String("/.aws-sam/build/template.yaml"))
        ? QStringLiteral(".aws-sam/build/template.yaml (the output of sam build)")
        : QFileInfo(m_templatePath).fileName();
    const int unsupported = stack.report.count(FidelityItem::Level::Unsupported);
    const int ignored = stack.report.count(FidelityItem::Level::Ignored);
    QString head
        = QStringLiteral("tarmac: %1: stack %2, %3").arg(file, stack.name, stack.countText());
    if (unsupported == 0 && ignored == 0) {
        say(m_engine, LogSeverityInfo, head + QStringLiteral(", everything emulated"));
        return;
    }
    head += QStringLiteral(": %1 thing(s) Tarmac does not emulate, %2 it accepts and ignores")
                .arg(unsupported)
                .arg(ignored);
    say(m_engine, LogSeverityInfo, head);
    for (const QString &line : stack.report.lines())
        say(m_engine, LogSeverityWarn, line);
}

} // namespace tarmac
