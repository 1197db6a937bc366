#include "pythonruntime.h"

#include "../common/runtimesupport.h"

namespace tarmac {

QStringList PythonRuntime::runtimes() const
{
    return {QStringLiteral("python3.*"), QStringLiteral("python3")};
}

Result<PythonRuntime::Interpreter> PythonRuntime::resolve(const QString &runtime)
{
    QStringList candidates {runtime};
    if (runtime != QLatin1String("python3"))
        candidates.append(QStringLiteral("python3"));
    for (const QString &name : std::as_const(candidates)) {
        const QString found = QStandardPaths::findExecutable(name);
        if (found.isEmpty())
            continue;
        auto out = runtimes::probe(found,
            {QStringLiteral("-c"),
                QStringLiteral("import sys;print(sys.executable);"
                               "print('%d.%d'%sys.version_info[:2])")});
        if (!out)
            continue; // e.g. a pyenv shim for a version that is installed but not selected
        const QList<QByteArray> lines = out->trimmed().split('\n');
        Interpreter interpreter;
        interpreter.program = QString::fromLocal8Bit(lines.value(0).trimmed());
        if (interpreter.program.isEmpty())
            interpreter.program = found;
        interpreter.version = QString::fromLatin1(lines.value(1).trimmed());
        if (name != runtime)
            interpreter.warnings.append(
                QStringLiteral("%1 is not installed here: running %2 (Python %3) instead")
                    .arg(runtime, interpreter.program, interpreter.version));
        return interpreter;
    }
    return makeError(QStringLiteral("Runtime.InvalidRuntime"),
        QStringLiteral("no Python interpreter for %1 on PATH (looked for %2)")
            .arg(runtime, candidates.join(QStringLiteral(", "))));
}

Result<RuntimeLaunch> PythonRuntime::launch(const RuntimeLaunchRequest &request)
{
    QMutexLocker lock(&m_mutex);
    auto it = m_interpreters.constFind(request.runtime);
    if (it == m_interpreters.cend()) {
        auto resolved = resolve(request.runtime);
        if (!resolved)
            return resolved.error();
        it = m_interpreters.insert(request.runtime, *resolved);
    }
    // The runtime is a module, so that Python caches its bytecode; bootstrap.py imports it.
    auto module = runtimes::readResource(
        QStringLiteral(":/tarmac/runtimes/python/_tarmac_lambda_runtime.py"));
    if (!module)
        return module.error();
    if (auto r = runtimes::installFile(
            request.runtimeDir, QStringLiteral("_tarmac_lambda_runtime.py"), *module);
        !r)
        return r.error();
    auto source = runtimes::readResource(QStringLiteral(":/tarmac/runtimes/python/bootstrap.py"));
    if (!source)
        return source.error();
    auto bootstrap
        = runtimes::installFile(request.runtimeDir, QStringLiteral("bootstrap.py"), *source);
    if (!bootstrap)
        return bootstrap.error();

    RuntimeLaunch launch;
    launch.program = it->program;
    launch.arguments = {*bootstrap};
    launch.environment.insert(
        QStringLiteral("AWS_EXECUTION_ENV"), QStringLiteral("AWS_Lambda_") + request.runtime);
    launch.environment.insert(QStringLiteral("PYTHONUNBUFFERED"), QStringLiteral("1"));
    launch.warnings = it->warnings;
    return launch;
}

} // namespace tarmac
