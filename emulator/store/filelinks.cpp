#include "store/filelinks.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace tarmac {

Result<void> linkFile(const QString &from, const QString &to)
{
    if (::link(QFile::encodeName(from).constData(), QFile::encodeName(to).constData()) == 0
        || errno == EEXIST)
        return {};
    const int error = errno;
    return makeError(QStringLiteral("InternalError"),
        QStringLiteral("cannot link %1 as %2: %3")
            .arg(from, to, QString::fromLocal8Bit(std::strerror(error))),
        500);
}

Result<qint64> linkTree(const QString &fromDir, const QString &toDir)
{
    qint64 linked = 0;
    if (!QFileInfo(fromDir).isDir())
        return linked;
    const QDir from(fromDir);
    QString madeDir; // the last folder made, so that a folder of many files is made once
    QDirIterator it(fromDir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        const QString target = toDir + u'/' + from.relativeFilePath(path);
        const QString folder = QFileInfo(target).absolutePath();
        if (folder != madeDir) {
            if (!QDir().mkpath(folder))
                return makeError(QStringLiteral("InternalError"),
                    QStringLiteral("cannot create %1").arg(folder), 500);
            madeDir = folder;
        }
        if (auto r = linkFile(path, target); !r)
            return r.error();
        ++linked;
    }
    return linked;
}

} // namespace tarmac
