#pragma once

#include "services/lambda/lambdaresources.h"
#include "template/resourcetype.h"

#include <QString>
#include <QStringList>

namespace tarmac::functionbuild {

// What `sam build` does for a function, done by Tarmac: an esbuild bundle
// (Metadata.BuildMethod: esbuild) and the dependencies a function declares (requirements.txt
// for Python, package.json for Node.js). Builds go under the state's build folder, one folder
// per logical id; a function's dependencies are installed there as a layer is laid out
// (python/, nodejs/node_modules), so the function reads them after its own folder and its
// code stays where it is written (hot reload keeps working).

// The esbuild program for code in `sourceDir`: the project's own node_modules/.bin/esbuild
// (its pinned version, as SAM CLI prefers), else the one tools/install-deps puts in
// plugins/build, else esbuild on PATH. Empty when there is none.
QString findEsbuild(const QString &sourceDir);

// Bundles spec.sourceDir into spec.codeDir with esbuild and the function's BuildProperties
// (EntryPoints, Target, Format, Minify, Sourcemap, External, Loader, MainFields, OutExtension,
// Banner, Footer), as SAM CLI runs it. Synchronous: esbuild takes milliseconds.
BuildOutcome bundle(const lambdaresources::FunctionSpec &spec);

// Installs what spec.sourceDir (or its codeDir) declares into `outDir`: `pip install -r
// requirements.txt -t outDir/python` with the runtime's Python, or `npm ci` / `npm install`
// of package.json into outDir/nodejs. Nothing (nullopt) when nothing is declared.
std::optional<BuildOutcome> installDependencies(
    const lambdaresources::FunctionSpec &spec, const QString &outDir);

// The distribution names a requirements.txt declares (options, URLs and paths skipped).
QStringList requirementNames(const QByteArray &requirements);
// Whether a distribution is installed in one of `roots` (site-packages-like folders): its
// *.dist-info / *.egg-info, or a package or module of its normalized name.
bool pythonDistributionInstalled(const QString &name, const QStringList &roots);

} // namespace tarmac::functionbuild
