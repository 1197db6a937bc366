#include "noderuntime.h"

#include "../common/runtimesupport.h"

#include <QFileInfo>
#include <QRegularExpression>

namespace tarmac {

Result<RuntimeLaunch> NodeRuntime::launch(const RuntimeLaunchRequest &request)
{
    QMutexLocker lock(&m_mutex);
    if (m_program.isEmpty()) {
        const QString found = QStandardPaths::findExecutable(QStringLiteral("node"));
        if (found.isEmpty())
            return makeError(QStringLiteral("Runtime.InvalidRuntime"),
                QStringLiteral("no node on PATH for %1").arg(request.runtime));
        auto out = runtimes::probe(found,
            {QStringLiteral("-p"), QStringLiteral("process.execPath+'\\n'+process.versions.node")});
        if (!out)
            return out.error();
        const QList<QByteArray> lines = out->trimmed().split('\n');
        m_program = QString::fromLocal8Bit(lines.value(0).trimmed());
        if (m_program.isEmpty())
            m_program = found;
        m_version = QString::fromLatin1(lines.value(1).trimmed());
    }
    auto source = runtimes::readResource(QStringLiteral(":/tarmac/runtimes/node/bootstrap.mjs"));
    if (!source)
        return source.error();
    auto bootstrap
        = runtimes::installFile(request.runtimeDir, QStringLiteral("bootstrap.mjs"), *source);
    if (!bootstrap)
        return bootstrap.error();
    auto hook = runtimes::readResource(QStringLiteral(":/tarmac/runtimes/node/resolve-hook.mjs"));
    if (!hook)
        return hook.error();
    if (auto r
        = runtimes::installFile(request.runtimeDir, QStringLiteral("resolve-hook.mjs"), *hook);
        !r)
        return r.error();

    RuntimeLaunch launch;
    launch.program = m_program;
    launch.arguments = {*bootstrap};
    launch.environment.insert(
        QStringLiteral("AWS_EXECUTION_ENV"), QStringLiteral("AWS_Lambda_") + request.runtime);
    // Lambda's Node runtimes resolve modules of their own (the AWS SDK for JavaScript v3)
    // after the function's; locally they come from TARMAC_NODE_RUNTIME_MODULES, if set.
    QString nodePath = request.codeDir + QStringLiteral("/node_modules:") + request.codeDir;
    // The SDK v3 clients Lambda bundles, from plugins/runtimes/node/sdk (tools/install-deps);
    // TARMAC_NODE_RUNTIME_MODULES adds folders before it.
    QString runtimeModules = qEnvironmentVariable("TARMAC_NODE_RUNTIME_MODULES");
#ifdef TARMAC_NODE_SDK_DIR
    if (QFileInfo(QStringLiteral(TARMAC_NODE_SDK_DIR)).isDir())
        runtimeModules += (runtimeModules.isEmpty() ? QString() : QStringLiteral(":"))
            + QStringLiteral(TARMAC_NODE_SDK_DIR);
#endif
    if (!runtimeModules.isEmpty()) {
        nodePath += u':' + runtimeModules;
        // ES modules ignore NODE_PATH: bootstrap.mjs registers resolve-hook.mjs for these.
        launch.environment.insert(QStringLiteral("TARMAC_NODE_RUNTIME_MODULES"), runtimeModules);
    }
    launch.environment.insert(QStringLiteral("NODE_PATH"), nodePath);
    // The SDK v3 warns on stderr, once per process, that its 2027 releases need Node 22: a
    // note about the machine's node, which Tarmac runs functions with, not about the function,
    // and on every cold start it was an ERROR line in the function's log. A function's own
    // environment can set it back to "false".
    launch.environment.insert(
        QStringLiteral("AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"), QStringLiteral("true"));
    static const QRegularExpression major(QStringLiteral("^nodejs(\\d+)"));
    const auto m = major.match(request.runtime);
    if (m.hasMatch() && !m_version.startsWith(m.captured(1) + u'.'))
        launch.warnings.append(QStringLiteral("%1 asks for Node %2, but the node on PATH is %3")
                                   .arg(request.runtime, m.captured(1), m_version));
    return launch;
}

} // namespace tarmac
