#pragma once

#include "functions/runtimeplugin.h"

#include <QHash>
#include <QMutex>
#include <QObject>

namespace tarmac {

// Runs `python3.x` functions with a runtime of its own (_tarmac_lambda_runtime.py, standard
// library only) under the Python found on PATH: `python3.12` when the runtime asks for 3.12 and it
// is installed, else `python3` with a warning. Version managers' shims (pyenv) are resolved
// once to the real interpreter, which saves their start-up cost on every cold start. It
// installs no packages: a function's dependencies come with its code, or from the
// interpreter's own site-packages (boto3, when installed, which Lambda also provides).
class PythonRuntime : public QObject, public RuntimePlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID TarmacRuntimePlugin_iid FILE "python.json")
    Q_INTERFACES(tarmac::RuntimePlugin)
public:
    QString key() const override { return QStringLiteral("python"); }
    QStringList runtimes() const override;
    Result<RuntimeLaunch> launch(const RuntimeLaunchRequest &request) override;

private:
    struct Interpreter
    {
        QString program;
        QString version; // "3.11"
        QStringList warnings;
    };
    Result<Interpreter> resolve(const QString &runtime);

    QMutex m_mutex;
    QHash<QString, Interpreter> m_interpreters;
};

} // namespace tarmac
