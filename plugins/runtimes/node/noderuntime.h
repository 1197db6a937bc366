#pragma once

#include "functions/runtimeplugin.h"

#include <QMutex>
#include <QObject>

namespace tarmac {

// Runs `nodejs*` functions with a bootstrap of its own (bootstrap.mjs, Node's modules only)
// under the `node` found on PATH. CommonJS and ES module handlers, async and callback style.
// One Node serves every nodejsNN.x runtime; when its major version differs from the one
// asked for, the function still runs, with a warning. It installs no packages.
class NodeRuntime : public QObject, public RuntimePlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID TarmacRuntimePlugin_iid FILE "node.json")
    Q_INTERFACES(tarmac::RuntimePlugin)
public:
    QString key() const override { return QStringLiteral("node"); }
    QStringList runtimes() const override { return {QStringLiteral("nodejs*")}; }
    Result<RuntimeLaunch> launch(const RuntimeLaunchRequest &request) override;

private:
    QMutex m_mutex;
    QString m_program;
    QString m_version; // "20.20.2"
};

} // namespace tarmac
