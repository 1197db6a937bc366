#include "services/lambda/functionbuild.h"

#include "base/json.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>

namespace tarmac::functionbuild {

namespace {

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

struct Run
{
    bool ok = false;
    QString output; // stdout and stderr, merged
};

Run run(const QString &program, const QStringList &arguments, const QString &workingDir,
    int timeoutMs, const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.setWorkingDirectory(workingDir);
    p.start(program, arguments);
    Run r;
    if (!p.waitForStarted(10'000)) {
        r.output = QStringLiteral("cannot start %1: %2").arg(program, p.errorString());
        return r;
    }
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(5'000);
        r.output = QString::fromUtf8(p.readAll())
            + QStringLiteral("\n%1 did not finish within %2 s").arg(program).arg(timeoutMs / 1000);
        return r;
    }
    r.output = QString::fromUtf8(p.readAll()).trimmed();
    r.ok = p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    return r;
}

QString shortPath(const QString &path)
{
    const QString home = QDir::homePath();
    return path.startsWith(home + u'/') ? QStringLiteral("~") + path.mid(home.size()) : path;
}

// BuildProperties values are strings, booleans or lists of strings (SAM CLI's schema);
// CloudFormation may hand booleans over as "true".
bool flag(const Json &properties, const char *key, bool fallback)
{
    if (!properties.is_object() || !properties.contains(key))
        return fallback;
    const Json &v = properties[key];
    if (v.is_boolean())
        return v.get<bool>();
    if (v.is_string())
        return qs(v.get<std::string>()).compare(QLatin1String("true"), Qt::CaseInsensitive) == 0;
    return fallback;
}

QString text(const Json &properties, const char *key)
{
    return properties.is_object() && properties.contains(key) && properties[key].is_string()
        ? qs(properties[key].get<std::string>())
        : QString();
}

QStringList list(const Json &properties, const char *key)
{
    QStringList out;
    if (!properties.is_object() || !properties.contains(key))
        return out;
    const Json &v = properties[key];
    if (v.is_string())
        out.append(qs(v.get<std::string>()));
    for (const Json &item : v.is_array() ? v : Json::array()) {
        if (item.is_string())
            out.append(qs(item.get<std::string>()));
    }
    return out;
}

// The handler's module as a source file: app.lambdaHandler → app.ts (or .js, .mjs, …).
QString entryForHandler(const QString &sourceDir, const QString &handler)
{
    const qsizetype dot = handler.lastIndexOf(u'.');
    const QString module = dot > 0 ? handler.left(dot) : handler;
    for (const char *ext : {".ts", ".mts", ".cts", ".tsx", ".js", ".mjs", ".cjs", ".jsx"}) {
        const QString candidate = module + QLatin1String(ext);
        if (QFileInfo(QDir(sourceDir).filePath(candidate)).isFile())
            return candidate;
    }
    return {};
}

QString pythonFor(const QString &runtime)
{
    // python3.12 → python3.12 on PATH, else python3: the runtime's own pip where it exists.
    const QString exact = QStandardPaths::findExecutable(runtime);
    return exact.isEmpty() ? QStandardPaths::findExecutable(QStringLiteral("python3")) : exact;
}

} // namespace

QString findEsbuild(const QString &sourceDir)
{
    for (QDir dir(sourceDir);;) {
        const QString local = dir.filePath(QStringLiteral("node_modules/.bin/esbuild"));
        if (QFileInfo(local).isExecutable())
            return local;
        if (!dir.cdUp())
            break;
    }
#ifdef TARMAC_BUILD_TOOLS_DIR
    const QString bundled
        = QStringLiteral(TARMAC_BUILD_TOOLS_DIR) + QStringLiteral("/node_modules/.bin/esbuild");
    if (QFileInfo(bundled).isExecutable())
        return bundled;
#endif
    return QStandardPaths::findExecutable(QStringLiteral("esbuild"));
}

BuildOutcome bundle(const lambdaresources::FunctionSpec &spec)
{
    BuildOutcome out;
    const Json &props = spec.buildProperties;
    const QString esbuild = findEsbuild(spec.sourceDir);
    if (esbuild.isEmpty()) {
        out.failed = true;
        out.line = QStringLiteral("esbuild is not installed: run tools/install-deps, or npm "
                                  "install --save-dev esbuild in %1")
                       .arg(spec.sourceDir);
        return out;
    }
    QStringList entries = list(props, "EntryPoints");
    if (entries.isEmpty()) {
        const QString entry = entryForHandler(spec.sourceDir, spec.handler);
        if (entry.isEmpty()) {
            out.failed = true;
            out.line = QStringLiteral("no EntryPoints in BuildProperties and no source file for "
                                      "the handler %1 in %2")
                           .arg(spec.handler, spec.sourceDir);
            return out;
        }
        entries.append(entry);
    }
    QStringList args = entries;
    args << QStringLiteral("--bundle") << QStringLiteral("--platform=node")
         << QStringLiteral("--outdir=") + spec.codeDir << QStringLiteral("--log-level=warning");
    const QString format = text(props, "Format");
    args << QStringLiteral("--format=") + (format.isEmpty() ? QStringLiteral("cjs") : format);
    const QString target = text(props, "Target");
    args << QStringLiteral("--target=") + (target.isEmpty() ? QStringLiteral("es2020") : target);
    if (flag(props, "Minify", true)) // SAM CLI's default
        args << QStringLiteral("--minify");
    if (flag(props, "Sourcemap", false))
        args << QStringLiteral("--sourcemap");
    for (const QString &e : list(props, "External"))
        args << QStringLiteral("--external:") + e;
    for (const QString &l : list(props, "Loader"))
        args << QStringLiteral("--loader:") + l;
    const QStringList mainFields = list(props, "MainFields");
    if (!mainFields.isEmpty())
        args << QStringLiteral("--main-fields=") + mainFields.join(u',');
    for (const QString &o : list(props, "OutExtension"))
        args << QStringLiteral("--out-extension:") + o;
    for (const char *key : {"Banner", "Footer"}) {
        for (const QString &b : list(props, key))
            args << QStringLiteral("--%1:%2").arg(QString::fromLatin1(key).toLower(), b);
    }
    QElapsedTimer timer;
    timer.start();
    QDir().mkpath(spec.codeDir);
    // Dependencies `tarmac build` installed for the function are bundled from there.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("NODE_PATH"),
        QDir(spec.codeDir).filePath(QStringLiteral("nodejs/node_modules")));
    const Run r = run(esbuild, args, spec.sourceDir, 120'000, env);
    out.failed = !r.ok;
    out.output = r.output;
    out.line = r.ok
        ? QStringLiteral("esbuild bundled %1 into %2 in %3 ms")
              .arg(entries.join(QStringLiteral(", ")), shortPath(spec.codeDir))
              .arg(timer.elapsed())
        : QStringLiteral("esbuild failed on %1").arg(entries.join(QStringLiteral(", ")));
    return out;
}

std::optional<BuildOutcome> installDependencies(
    const lambdaresources::FunctionSpec &spec, const QString &outDir)
{
    const QDir source(spec.sourceDir.isEmpty() ? spec.codeDir : spec.sourceDir);
    if (source.path().isEmpty())
        return std::nullopt;
    BuildOutcome out;
    if (spec.runtime.startsWith(QLatin1String("python"))) {
        const QString requirements = source.filePath(QStringLiteral("requirements.txt"));
        QFile file(requirements);
        if (!file.open(QIODevice::ReadOnly) || requirementNames(file.readAll()).isEmpty())
            return std::nullopt;
        const QString python = pythonFor(spec.runtime);
        if (python.isEmpty()) {
            out.failed = true;
            out.line = QStringLiteral("no %1 or python3 on PATH to run pip").arg(spec.runtime);
            return out;
        }
        const QString target = QDir(outDir).filePath(QStringLiteral("python"));
        QDir(target).removeRecursively();
        QDir().mkpath(target);
        const Run r = run(python,
            {QStringLiteral("-m"), QStringLiteral("pip"), QStringLiteral("install"),
                QStringLiteral("--disable-pip-version-check"), QStringLiteral("--no-input"),
                QStringLiteral("--quiet"), QStringLiteral("-r"), requirements, QStringLiteral("-t"),
                target},
            source.path(), 600'000);
        out.failed = !r.ok;
        out.output = r.output;
        out.line = r.ok
            ? QStringLiteral("pip installed requirements.txt into %1").arg(shortPath(target))
            : QStringLiteral("pip install -r requirements.txt failed (is a package "
                             "index reachable?)");
        return out;
    }
    if (!spec.runtime.startsWith(QLatin1String("nodejs")))
        return std::nullopt;
    QFile manifest(source.filePath(QStringLiteral("package.json")));
    if (!manifest.open(QIODevice::ReadOnly))
        return std::nullopt;
    auto json = parseJson(manifest.readAll());
    if (!json || !json->is_object() || !json->contains("dependencies")
        || !(*json)["dependencies"].is_object() || (*json)["dependencies"].empty())
        return std::nullopt;
    // package.json (and its lock) are copied to outDir/nodejs with `file:` paths made
    // absolute, so the installation lands there and the code folder stays as written.
    const QString target = QDir(outDir).filePath(QStringLiteral("nodejs"));
    QDir(target).removeRecursively();
    QDir().mkpath(target);
    for (const char *section : {"dependencies", "devDependencies", "optionalDependencies"}) {
        if (!json->contains(section) || !(*json)[section].is_object())
            continue;
        for (auto it = (*json)[section].begin(); it != (*json)[section].end(); ++it) {
            const QString v
                = it.value().is_string() ? qs(it.value().get<std::string>()) : QString();
            if (v.startsWith(QLatin1String("file:")) && !v.startsWith(QLatin1String("file:/")))
                it.value() = QString(QStringLiteral("file:") + source.absoluteFilePath(v.mid(5)))
                                 .toStdString();
        }
    }
    QFile copy(QDir(target).filePath(QStringLiteral("package.json")));
    if (!copy.open(QIODevice::WriteOnly) || copy.write(toJsonBytes(*json, 2)) < 0) {
        out.failed = true;
        out.line = QStringLiteral("cannot write %1").arg(copy.fileName());
        return out;
    }
    copy.close();
    const bool locked = QFile::exists(source.filePath(QStringLiteral("package-lock.json")))
        && json->dump().find("\"file:") == std::string::npos;
    if (locked)
        QFile::copy(source.filePath(QStringLiteral("package-lock.json")),
            QDir(target).filePath(QStringLiteral("package-lock.json")));
    const QString npm = QStandardPaths::findExecutable(QStringLiteral("npm"));
    if (npm.isEmpty()) {
        out.failed = true;
        out.line = QStringLiteral("npm is not on PATH");
        return out;
    }
    const Run r = run(npm,
        {locked ? QStringLiteral("ci") : QStringLiteral("install"), QStringLiteral("--omit=dev"),
            QStringLiteral("--no-audit"), QStringLiteral("--no-fund"),
            QStringLiteral("--loglevel=error")},
        target, 600'000);
    out.failed = !r.ok;
    out.output = r.output;
    out.line = r.ok ? QStringLiteral("npm %1 installed package.json's dependencies into %2")
                          .arg(locked ? QStringLiteral("ci") : QStringLiteral("install"),
                              shortPath(QDir(target).filePath(QStringLiteral("node_modules"))))
                    : QStringLiteral("npm %1 failed")
                          .arg(locked ? QStringLiteral("ci") : QStringLiteral("install"));
    return out;
}

QStringList requirementNames(const QByteArray &requirements)
{
    static const QRegularExpression name(QStringLiteral(R"(^([A-Za-z0-9][A-Za-z0-9._-]*))"));
    QStringList out;
    for (QString line : QString::fromUtf8(requirements).split(u'\n')) {
        const qsizetype hash = line.indexOf(QLatin1String(" #"));
        if (hash >= 0)
            line.truncate(hash);
        line = line.trimmed();
        // Options (-r, -e, --index-url), comments, URLs and paths name no distribution here.
        if (line.isEmpty() || line.startsWith(u'#') || line.startsWith(u'-')
            || line.contains(QLatin1String("://")) || line.startsWith(u'.') || line.startsWith(u'/')
            || line.contains(QLatin1String(" @ ")))
            continue;
        const auto m = name.match(line);
        if (m.hasMatch() && !line.endsWith(QLatin1String(".whl")))
            out.append(m.captured(1));
    }
    return out;
}

bool pythonDistributionInstalled(const QString &name, const QStringList &roots)
{
    // PEP 503 normalization; dist-info folders use underscores.
    QString normal = name.toLower();
    static const QRegularExpression runs(QStringLiteral("[-_.]+"));
    normal.replace(runs, QStringLiteral("_"));
    for (const QString &root : roots) {
        const QDir dir(root);
        if (!dir.exists())
            continue;
        if (QFileInfo(dir.filePath(normal)).isDir()
            || QFileInfo(dir.filePath(normal + QStringLiteral(".py"))).isFile())
            return true;
        for (const QString &entry : dir.entryList(
                 {QStringLiteral("*.dist-info"), QStringLiteral("*.egg-info")}, QDir::Dirs)) {
            QString dist = entry.section(u'-', 0, 0).toLower();
            dist.replace(runs, QStringLiteral("_"));
            if (dist == normal)
                return true;
        }
    }
    return false;
}

} // namespace tarmac::functionbuild
