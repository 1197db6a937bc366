#include "engine/stackcommands.h"

#include "base/clock.h"
#include "base/json.h"
#include "engine/servicemodules.h"
#include "engine/stackloader.h"

#include <QDir>
#include <QFileInfo>

namespace tarmac {

namespace {

CommandResult usage(const QString &message)
{
    return CommandResult {2, {}, QByteArray("tarmac: ") + message.toUtf8() + '\n'};
}

// The template of PROJECT (here when empty), or the line saying why there is none.
Result<QString> projectTemplate(const QString &project)
{
    const QString path = project.isEmpty() ? QDir::currentPath() : project;
    if (!QFileInfo::exists(path))
        return makeError(
            QStringLiteral("Usage"), QStringLiteral("no such folder or template: %1").arg(path));
    const QString templatePath = StackLoader::findTemplate(path);
    if (templatePath.isEmpty())
        return makeError(QStringLiteral("Usage"),
            QStringLiteral("no template.yaml, template.yml or template.json in %1").arg(path));
    return templatePath;
}

} // namespace

Result<Stack> loadStack(const QString &templatePath, const QStringList &parameterOverrides,
    const QString &stackName, const QHash<QString, QString> &layerFolders, const QString &buildRoot)
{
    StackLoader::Options options;
    options.parameterOverrides = parameterOverrides;
    options.stackName = stackName;
    options.layerFolders = layerFolders;
    options.buildRoot
        = buildRoot.isEmpty() ? StackLoader::defaultBuildRoot(templatePath) : buildRoot;
    const auto modules = createServiceModules();
    for (const auto &module : modules) {
        options.resourceTypes += module->resourceTypes();
        options.eventTypes += module->functionEventTypes();
        options.messageServices += module->messageTargetServices();
        options.eventSourceServices += module->eventSourceServices();
    }
    return StackLoader::loadFile(templatePath, options);
}

CommandResult checkProject(const QString &project, const QStringList &parameterOverrides, bool json,
    const QString &stackName, const QHash<QString, QString> &layerFolders)
{
    const auto found = projectTemplate(project);
    if (!found)
        return usage(found.error().message);
    const QString templatePath = *found;
    auto stack = loadStack(templatePath, parameterOverrides, stackName, layerFolders);
    // ".aws-sam/build/template.yaml" when that is what is served (the output of sam build).
    const QString file
        = QDir(StackLoader::projectFolder(templatePath)).relativeFilePath(templatePath);
    CommandResult r;
    if (!stack) {
        r.status = 2; // not loadable: as `serve` would refuse to start
        if (json)
            r.out = toJsonBytes(Json {{"template", templatePath.toStdString()},
                                    {"error", stack.error().message.toStdString()}},
                        2)
                + '\n';
        r.err = QByteArray("tarmac: ") + stack.error().message.toUtf8() + '\n';
        return r;
    }
    const int unsupported = stack->report.count(FidelityItem::Level::Unsupported);
    const int ignored = stack->report.count(FidelityItem::Level::Ignored);
    r.status = unsupported > 0 ? 1 : 0;
    if (json) {
        Json resources = Json::array();
        for (const StackResource &res : stack->resources) {
            if (!res.implicit)
                resources.push_back(
                    {{"logicalId", res.logicalId.toStdString()}, {"type", res.type.toStdString()},
                        {"physicalId", res.physicalId.toStdString()}});
        }
        r.out = toJsonBytes(Json {{"template", templatePath.toStdString()},
                                {"stack", stack->name.toStdString()}, {"resources", resources},
                                {"unsupported", unsupported}, {"ignored", ignored},
                                {"items", stack->report.toJson()}},
                    2)
            + '\n';
        return r;
    }
    QList<std::pair<QString, int>> counts; // "function", 2: in dependency order
    for (const StackResource &res : stack->resources) {
        if (res.implicit)
            continue;
        if (res.noun.isEmpty())
            continue;
        auto it = std::find_if(
            counts.begin(), counts.end(), [&](const auto &c) { return c.first == res.noun; });
        if (it == counts.end())
            counts.append({res.noun, 1});
        else
            ++it->second;
    }
    QString text = QStringLiteral("%1: stack %2, %3").arg(file, stack->name, stack->countText());
    for (const auto &[noun, n] : std::as_const(counts))
        text += QStringLiteral(", %1 %2(s)").arg(n).arg(noun);
    text += u'\n';
    for (const QString &line : stack->report.lines())
        text += line + u'\n';
    if (unsupported > 0)
        text += QStringLiteral(
            "%1: %2 thing(s) Tarmac does not emulate, %3 it accepts and ignores\n")
                    .arg(file)
                    .arg(unsupported)
                    .arg(ignored);
    else if (ignored > 0)
        text += QStringLiteral("%1: everything runs; %2 thing(s) accepted and ignored\n")
                    .arg(file)
                    .arg(ignored);
    else
        text += QStringLiteral("%1: everything runs as on AWS\n").arg(file);
    r.out = text.toUtf8();
    return r;
}

CommandResult buildProject(const QString &project, const QStringList &parameterOverrides,
    const QString &stackName, const QHash<QString, QString> &layerFolders, const QString &stateDir)
{
    const auto found = projectTemplate(project);
    if (!found)
        return usage(found.error().message);
    const QString templatePath = *found;
    const QString buildRoot = stateDir.isEmpty()
        ? StackLoader::defaultBuildRoot(templatePath)
        : QDir(QFileInfo(stateDir).absoluteFilePath()).filePath(QStringLiteral("build"));
    auto stack = loadStack(templatePath, parameterOverrides, stackName, layerFolders, buildRoot);
    if (!stack)
        return CommandResult {
            2, {}, QByteArray("tarmac: ") + stack.error().message.toUtf8() + '\n'};
    const auto modules = createServiceModules();
    QHash<QString, const ResourceType *> types;
    for (const auto &module : modules) {
        for (const ResourceType *type : module->resourceTypes())
            types.insert(QLatin1String(type->info().type), type);
    }
    CommandResult r;
    int built = 0;
    for (const StackResource &res : std::as_const(stack->resources)) {
        const ResourceType *type = types.value(res.type);
        const auto outcome = type ? type->build(res, buildRoot) : std::nullopt;
        if (!outcome)
            continue;
        ++built;
        const QByteArray line = (res.logicalId + QStringLiteral(": ") + outcome->line).toUtf8();
        if (outcome->failed) {
            r.status = 1;
            r.err += "tarmac: " + line + '\n';
            if (!outcome->output.isEmpty())
                r.err += outcome->output.toUtf8() + '\n';
        } else {
            r.out += line + '\n';
        }
    }
    if (built == 0)
        r.out += QStringLiteral("%1: nothing to build (no requirements.txt, package.json "
                                "dependencies or esbuild functions)\n")
                     .arg(QFileInfo(templatePath).fileName())
                     .toUtf8();
    return r;
}

QList<SampleEvent> sampleEvents()
{
    QList<SampleEvent> out;
    for (const auto &module : createServiceModules())
        out += module->sampleEvents();
    return out;
}

QStringList sampleEventSources()
{
    QStringList out;
    for (const SampleEvent &e : sampleEvents())
        out.append(e.source);
    return out;
}

CommandResult generateSampleEvent(const QString &source, const QMap<QString, QString> &options)
{
    for (const SampleEvent &e : sampleEvents()) {
        if (e.source != source)
            continue;
        auto event = e.generate(options);
        if (!event)
            return usage(event.error().message);
        auto parsed = parseJson(*event);
        if (!parsed)
            return CommandResult {1, {}, parsed.error().message.toUtf8() + '\n'};
        return CommandResult {0, toJsonBytes(*parsed, 2) + '\n', {}};
    }
    return usage(QStringLiteral("unknown event source '%1' (known: %2)")
                     .arg(source, sampleEventSources().join(QLatin1String(", "))));
}

} // namespace tarmac
