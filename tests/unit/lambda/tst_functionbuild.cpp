// functionbuild: what `sam build` does, done by Tarmac: requirements read as pip reads them,
// installed distributions found, and esbuild bundles (with the esbuild tools/install-deps
// puts in plugins/build; skipped where it is not installed).
#include "services/lambda/functionbuild.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;

namespace {

void write(const QString &path, const QByteArray &text)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(text);
}

QByteArray read(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestFunctionBuild : public QObject
{
    Q_OBJECT
private slots:
    void requirementNames();
    void installedDistributions();
    void esbuildOfTheProjectWins();
    void bundles();
    void bundleErrorsAreReported();
};

void TestFunctionBuild::requirementNames()
{
    QCOMPARE(functionbuild::requirementNames("# a comment\n"
                                             "--index-url https://example.org/simple\n"
                                             "-r other.txt\n"
                                             "requests>=2.31  # HTTP\n"
                                             "PyYAML==6.0.1\n"
                                             "charset_normalizer ; python_version >= '3.8'\n"
                                             "pkg @ https://example.org/pkg.whl\n"
                                             "./local/pkg\n"
                                             "https://example.org/x.tar.gz\n"
                                             "wheels/x-1.0-py3-none-any.whl\n"
                                             "attrs[tests]~=23.1\n"
                                             "\n"),
        (QStringList {QStringLiteral("requests"), QStringLiteral("PyYAML"),
            QStringLiteral("charset_normalizer"), QStringLiteral("attrs")}));
}

void TestFunctionBuild::installedDistributions()
{
    QTemporaryDir dir;
    const QString root = dir.path();
    QVERIFY(QDir(root).mkpath(QStringLiteral("PyYAML-6.0.1.dist-info")));
    QVERIFY(QDir(root).mkpath(QStringLiteral("requests")));
    write(root + QStringLiteral("/six.py"), "");
    QVERIFY(QDir(root).mkpath(QStringLiteral("charset_normalizer-3.3.2.dist-info")));
    const QStringList roots {QStringLiteral("/nonexistent"), root};
    QVERIFY(functionbuild::pythonDistributionInstalled(QStringLiteral("pyyaml"), roots));
    QVERIFY(functionbuild::pythonDistributionInstalled(QStringLiteral("PyYAML"), roots));
    QVERIFY(functionbuild::pythonDistributionInstalled(QStringLiteral("Requests"), roots));
    QVERIFY(functionbuild::pythonDistributionInstalled(QStringLiteral("six"), roots));
    QVERIFY(
        functionbuild::pythonDistributionInstalled(QStringLiteral("charset-normalizer"), roots));
    QVERIFY(!functionbuild::pythonDistributionInstalled(QStringLiteral("attrs"), roots));
    QVERIFY(!functionbuild::pythonDistributionInstalled(QStringLiteral("requests"), {}));
}

void TestFunctionBuild::esbuildOfTheProjectWins()
{
    QTemporaryDir dir;
    const QString bin = dir.path() + QStringLiteral("/node_modules/.bin/esbuild");
    write(bin, "#!/bin/sh\n");
    QFile::setPermissions(bin, QFile::ReadOwner | QFile::ExeOwner);
    QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("src/handlers")));
    // Found from a code folder below the project's node_modules, as Node would.
    QCOMPARE(functionbuild::findEsbuild(dir.path() + QStringLiteral("/src/handlers")), bin);
}

void TestFunctionBuild::bundles()
{
    QTemporaryDir dir;
    const QString src = dir.path() + QStringLiteral("/src");
    if (functionbuild::findEsbuild(src).isEmpty())
        QSKIP("esbuild is not installed (tools/install-deps installs it in plugins/build)");
    write(src + QStringLiteral("/app.ts"),
        "import { S3Client } from '@aws-sdk/client-s3';\n"
        "import { greet } from './lib/greet';\n"
        "export const handler = async (e: { name: string }) => ({ m: greet(e.name), "
        "c: typeof S3Client });\n");
    write(src + QStringLiteral("/lib/greet.ts"),
        "export function greet(name: string): string { return `hello ${name}`; }\n");
    lambdaresources::FunctionSpec spec;
    spec.runtime = QStringLiteral("nodejs20.x");
    spec.handler = QStringLiteral("app.handler");
    spec.sourceDir = src;
    spec.codeDir = dir.path() + QStringLiteral("/build/Fn");
    spec.buildMethod = QStringLiteral("esbuild");
    spec.buildProperties = Json {{"Minify", false}, {"Sourcemap", true},
        {"External", Json::array({"@aws-sdk/*"})}, {"Target", "es2020"}};
    const BuildOutcome outcome = functionbuild::bundle(spec);
    QVERIFY2(!outcome.failed, qPrintable(outcome.line + u'\n' + outcome.output));
    QVERIFY2(outcome.line.startsWith(QLatin1String("esbuild bundled app.ts into ")),
        qPrintable(outcome.line)); // the entry point comes from the handler
    const QByteArray js = read(spec.codeDir + QStringLiteral("/app.js"));
    QVERIFY2(js.contains("hello ${name}"), js.constData()); // ./lib/greet bundled
    QVERIFY(js.contains("require(\"@aws-sdk/client-s3\")")); // external: the runtime's
    QVERIFY(QFile::exists(spec.codeDir + QStringLiteral("/app.js.map")));
}

void TestFunctionBuild::bundleErrorsAreReported()
{
    QTemporaryDir dir;
    const QString src = dir.path() + QStringLiteral("/src");
    if (functionbuild::findEsbuild(src).isEmpty())
        QSKIP("esbuild is not installed");
    write(src + QStringLiteral("/app.ts"), "export const handler = async ( => 1;\n");
    lambdaresources::FunctionSpec spec;
    spec.handler = QStringLiteral("app.handler");
    spec.sourceDir = src;
    spec.codeDir = dir.path() + QStringLiteral("/build/Fn");
    BuildOutcome outcome = functionbuild::bundle(spec);
    QVERIFY(outcome.failed);
    QCOMPARE(outcome.line, QStringLiteral("esbuild failed on app.ts"));
    QVERIFY2(outcome.output.contains(QLatin1String("app.ts:1:")), qPrintable(outcome.output));
    // No source for the handler at all: said, not run.
    spec.handler = QStringLiteral("missing.handler");
    outcome = functionbuild::bundle(spec);
    QVERIFY(outcome.failed);
    QVERIFY2(outcome.line.contains(QLatin1String("no source file for the handler missing.handler")),
        qPrintable(outcome.line));
}

QTEST_GUILESS_MAIN(TestFunctionBuild)
#include "tst_functionbuild.moc"
