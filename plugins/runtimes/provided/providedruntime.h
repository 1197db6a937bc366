#pragma once

#include "functions/runtimeplugin.h"

#include <QObject>

namespace tarmac {

// Runs `provided`, `provided.al2` and `provided.al2023` functions: the function's own
// executable `bootstrap` at the top of its code, which speaks the Runtime API itself (any
// custom runtime, or a real runtime interface client such as aws-lambda-ric). Nothing of
// Amazon Linux is emulated: the bootstrap runs on this machine's libraries.
class ProvidedRuntime : public QObject, public RuntimePlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID TarmacRuntimePlugin_iid FILE "provided.json")
    Q_INTERFACES(tarmac::RuntimePlugin)
public:
    QString key() const override { return QStringLiteral("provided"); }
    QStringList runtimes() const override
    {
        return {QStringLiteral("provided"), QStringLiteral("provided.*")};
    }
    Result<RuntimeLaunch> launch(const RuntimeLaunchRequest &request) override;
};

} // namespace tarmac
