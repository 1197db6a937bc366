#include "providedruntime.h"

#include <QDir>
#include <QFileInfo>

namespace tarmac {

Result<RuntimeLaunch> ProvidedRuntime::launch(const RuntimeLaunchRequest &request)
{
    const QString bootstrap = QDir(request.codeDir).filePath(QStringLiteral("bootstrap"));
    const QFileInfo info(bootstrap);
    if (!info.exists() || info.isDir())
        return makeError(QStringLiteral("Runtime.InvalidEntrypoint"),
            QStringLiteral("Couldn't find valid bootstrap(s): [%1]").arg(bootstrap));
    if (!info.isExecutable())
        return makeError(QStringLiteral("Runtime.InvalidEntrypoint"),
            QStringLiteral("fork/exec %1: permission denied").arg(bootstrap));
    RuntimeLaunch launch;
    launch.program = info.absoluteFilePath();
    return launch;
}

} // namespace tarmac
