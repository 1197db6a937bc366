#pragma once

#include "base/result.h"

#include <QMap>
#include <QString>
#include <QStringList>
#include <QtPlugin>

namespace tarmac {

// What a runtime plugin is asked to start.
struct RuntimeLaunchRequest
{
    QString runtime; // "python3.12", as the function is configured
    QString handler; // "app.handler"
    QString codeDir; // the function's code (LAMBDA_TASK_ROOT)
    QString runtimeDir; // a folder of the plugin's own where it may write what it ships
};

// How to start one instance's process. The runner adds the standard Lambda environment
// (AWS_LAMBDA_RUNTIME_API, _HANDLER, credentials, …) on top of `environment`, and runs the
// program in its own process group with the code folder as its working folder.
struct RuntimeLaunch
{
    QString program; // an absolute path
    QStringList arguments;
    QMap<QString, QString> environment; // runtime-specific variables (AWS_EXECUTION_ENV, …)
    QStringList warnings; // shown once per function, e.g. a version fallback
};

// A language runtime, loaded with QPluginLoader from the runtimes plugin folder: it says
// which Runtime values it serves and how to start a process that speaks the Lambda Runtime
// API for a handler (usually its own bootstrap, written to runtimeDir). It does not talk to
// the process, enforce limits or read logs: the runner does all of that the same way for
// every runtime.
//
// launch() may be called on any thread, but never concurrently for one plugin.
class RuntimePlugin
{
public:
    virtual ~RuntimePlugin() = default;

    // A short name for the plugin ("python"): its runtimeDir is named after it.
    virtual QString key() const = 0;
    // The Runtime values served, exactly ("python3.12") or as a prefix ending in '*'
    // ("python3.*").
    virtual QStringList runtimes() const = 0;
    // An Error's code becomes the failed invocation's errorType (Runtime.InvalidEntrypoint …).
    virtual Result<RuntimeLaunch> launch(const RuntimeLaunchRequest &request) = 0;
};

} // namespace tarmac

#define TarmacRuntimePlugin_iid "dev.tarmac.RuntimePlugin/1.0"
Q_DECLARE_INTERFACE(tarmac::RuntimePlugin, TarmacRuntimePlugin_iid)
