#pragma once

// Small helpers the runtime plugins share (header-only: each plugin is its own library).

#include "base/result.h"

#include <QDir>
#include <QFile>
#include <QFileDevice>
#include <QProcess>
#include <QSaveFile>
#include <QStandardPaths>

namespace tarmac::runtimes {

// Writes `content` to DIR/NAME unless it is already there, so that concurrent Tarmacs and
// running instances never see a half-written bootstrap.
inline Result<QString> installFile(
    const QString &dir, const QString &name, const QByteArray &content)
{
    const QString path = QDir(dir).filePath(name);
    QFile existing(path);
    if (existing.open(QIODevice::ReadOnly) && existing.size() == content.size()
        && existing.readAll() == content)
        return path;
    existing.close();
    if (!QDir().mkpath(dir))
        return makeError(QStringLiteral("Runtime.InstallFailed"),
            QStringLiteral("cannot create %1").arg(dir), 500);
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(content) != content.size() || !out.commit())
        return makeError(QStringLiteral("Runtime.InstallFailed"),
            QStringLiteral("cannot write %1: %2").arg(path, out.errorString()), 500);
    return path;
}

inline Result<QByteArray> readResource(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return makeError(QStringLiteral("Runtime.InstallFailed"),
            QStringLiteral("the plugin has no resource %1").arg(path), 500);
    return f.readAll();
}

// Runs `program` and returns its standard output, or an error when it cannot run, fails, or
// takes longer than timeoutMs.
inline Result<QByteArray> probe(
    const QString &program, const QStringList &arguments, int timeoutMs = 15'000)
{
    QProcess p;
    p.setProgram(program);
    p.setArguments(arguments);
    p.setStandardInputFile(QProcess::nullDevice());
    p.start();
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(1000);
        return makeError(QStringLiteral("Runtime.ProbeFailed"),
            QStringLiteral("%1 did not answer: %2").arg(program, p.errorString()), 500);
    }
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
        return makeError(QStringLiteral("Runtime.ProbeFailed"),
            QStringLiteral("%1 exited with %2").arg(program).arg(p.exitCode()), 500);
    return p.readAllStandardOutput();
}

} // namespace tarmac::runtimes
