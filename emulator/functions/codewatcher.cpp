#include "functions/codewatcher.h"

#include <QDirIterator>
#include <QFileInfo>
#include <QSet>

namespace tarmac {

namespace {

constexpr int kMaxWatched = 4000;

bool skipped(const QString &name)
{
    return name == QLatin1String("__pycache__") || name == QLatin1String(".git")
        || name == QLatin1String(".tarmac") || name == QLatin1String("node_modules")
        || name == QLatin1String(".aws-sam") || name == QLatin1String(".pytest_cache");
}

} // namespace

CodeWatcher::CodeWatcher(QString root, QObject *parent)
    : QObject(parent)
    , m_root(std::move(root))
{
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(150);
    connect(&m_debounce, &QTimer::timeout, this, [this] {
        rescan();
        emit changed();
    });
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, this, &CodeWatcher::onEvent);
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, this, &CodeWatcher::onEvent);
    rescan();
}

int CodeWatcher::watchedCount() const
{
    return int(m_watcher.files().size() + m_watcher.directories().size());
}

void CodeWatcher::onEvent()
{
    m_debounce.start();
}

void CodeWatcher::rescan()
{
    QStringList wanted;
    QList<QString> dirs {m_root};
    while (!dirs.isEmpty() && wanted.size() < kMaxWatched) {
        const QString dir = dirs.takeFirst();
        wanted.append(dir);
        QDirIterator it(dir, QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot | QDir::Hidden);
        while (it.hasNext() && wanted.size() < kMaxWatched) {
            it.next();
            const QFileInfo info = it.fileInfo();
            if (info.isDir()) {
                if (!skipped(info.fileName()) && !info.isSymLink())
                    dirs.append(info.filePath());
            } else if (!info.fileName().endsWith(QLatin1String(".pyc"))) {
                wanted.append(info.filePath());
            }
        }
    }
    const QSet<QString> want(wanted.cbegin(), wanted.cend());
    QStringList have = m_watcher.files() + m_watcher.directories();
    QStringList gone;
    for (const QString &p : std::as_const(have)) {
        if (!want.contains(p))
            gone.append(p);
    }
    if (!gone.isEmpty())
        m_watcher.removePaths(gone);
    const QSet<QString> haveSet(have.cbegin(), have.cend());
    QStringList added;
    for (const QString &p : std::as_const(wanted)) {
        if (!haveSet.contains(p))
            added.append(p);
    }
    if (!added.isEmpty())
        m_watcher.addPaths(added);
}

} // namespace tarmac
