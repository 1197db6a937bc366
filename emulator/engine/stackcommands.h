#pragma once

#include "services/servicemodule.h"
#include "template/stack.h"

#include <QByteArray>
#include <QHash>
#include <QMap>
#include <QString>
#include <QStringList>

namespace tarmac {

// The template and event commands of the `tarmac` executable, without the command line:
// app/main.cpp parses arguments and prints what these return. Each result carries the exit
// status (0 success, 1 the command found a problem, 2 bad arguments) and the text for stdout
// and stderr.
struct CommandResult
{
    int status = 0;
    QByteArray out;
    QByteArray err;
};

// The template as `serve` loads it: with every service's resource and SAM event types.
// `stackName` empty: StackLoader::defaultStackName().
// `buildRoot` empty: StackLoader::defaultBuildRoot().
Result<Stack> loadStack(const QString &templatePath, const QStringList &parameterOverrides,
    const QString &stackName = QString(), const QHash<QString, QString> &layerFolders = {},
    const QString &buildRoot = QString());

// `tarmac check [PROJECT]`: loads the template as `serve` would and prints the fidelity
// report. Status 2 when the template does not load (or there is none), 1 when it uses
// something Tarmac does not emulate; what it accepts and ignores (IAM, …) is listed but
// does not fail the check.
// `json`: the report as one JSON document instead of text.
CommandResult checkProject(const QString &project, const QStringList &parameterOverrides, bool json,
    const QString &stackName = QString(), const QHash<QString, QString> &layerFolders = {});

// `tarmac build [PROJECT]`: what `sam build` does for a deployment, for the local run: each
// resource's type builds it (ResourceType::build: a function's requirements.txt or
// package.json installed, an esbuild bundle) under STATE/build, where `serve` finds it.
// `stateDir` empty: PROJECT/.tarmac. Status 1 when a build failed, with its tool's output.
CommandResult buildProject(const QString &project, const QStringList &parameterOverrides,
    const QString &stackName, const QHash<QString, QString> &layerFolders, const QString &stateDir);

// `tarmac events generate SOURCE`: a sample event in AWS's exact shape, pretty-printed.
// Each service offers its own (ServiceModule::sampleEvents()).
QList<SampleEvent> sampleEvents();
QStringList sampleEventSources();
CommandResult generateSampleEvent(const QString &source, const QMap<QString, QString> &options);

} // namespace tarmac
