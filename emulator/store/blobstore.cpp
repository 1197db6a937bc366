#include "store/blobstore.h"

#include "store/digest.h"

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QIODevice>
#include <QRandomGenerator>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tarmac {

namespace {

constexpr qint64 chunkSize = 64 * 1024;

Error blobError(const QString &message)
{
    return makeError(QStringLiteral("StoreError"), message, 500);
}

Error errnoError(const QString &what, const QString &path, int error)
{
    return blobError(what % QLatin1Char(' ') % path % QStringLiteral(": ")
        % QString::fromLocal8Bit(std::strerror(error)));
}

// Both digests in one pass over the bytes, so an upload is read once.
class BlobDigest
{
public:
    void add(const char *data, qint64 size)
    {
        m_sha.add(data, size);
        m_md5.add(data, size);
        m_size += size;
    }

    BlobStore::Stored result() { return {m_sha.result().toHex(), m_md5.result().toHex(), m_size}; }

private:
    Digest m_sha {Digest::Algorithm::Sha256};
    Digest m_md5 {Digest::Algorithm::Md5};
    qint64 m_size = 0;
};

// A rename or a new file is only durable once the directory holding its entry is synced.
Result<void> syncDirectory(const QString &dir)
{
    const QByteArray native = QFile::encodeName(dir);
    const int fd = ::open(native.constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errnoError(QStringLiteral("cannot open directory"), dir, errno);
    const int rc = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    if (rc != 0)
        return errnoError(QStringLiteral("cannot sync directory"), dir, error);
    return {};
}

Result<void> syncFile(QFile &file)
{
    // fdatasync also flushes the size, which is all the metadata a reader needs.
    if (::fdatasync(file.handle()) != 0)
        return errnoError(QStringLiteral("cannot sync"), file.fileName(), errno);
    return {};
}

Result<BlobStore::Stored> hashFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Unbuffered))
        return blobError(
            QStringLiteral("cannot open ") % path % QStringLiteral(": ") % file.errorString());
    BlobDigest digest;
    QByteArray buffer(chunkSize, Qt::Uninitialized);
    for (;;) {
        const qint64 n = file.read(buffer.data(), chunkSize);
        if (n < 0)
            return blobError(
                QStringLiteral("cannot read ") % path % QStringLiteral(": ") % file.errorString());
        if (n == 0)
            break;
        digest.add(buffer.constData(), n);
    }
    return digest.result();
}

} // namespace

BlobStore::BlobStore(QString root, bool sync)
    : m_root(QDir::cleanPath(root))
    , m_sync(sync)
{ }

bool BlobStore::isValidName(const QByteArray &sha256Hex)
{
    if (sha256Hex.size() != 64)
        return false;
    return std::all_of(sha256Hex.cbegin(), sha256Hex.cend(),
        [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<void> BlobStore::init()
{
    const QString tmp = m_root + QStringLiteral("/tmp");
    if (!QDir().mkpath(tmp))
        return blobError(QStringLiteral("cannot create ") + tmp);
    // Whatever is in tmp was never renamed into place, so no row can refer to it.
    QDirIterator it(tmp, QDir::Files | QDir::Hidden | QDir::System);
    while (it.hasNext()) {
        const QString path = it.next();
        if (!QFile::remove(path))
            return blobError(QStringLiteral("cannot remove leftover ") + path);
    }
    return {};
}

QString BlobStore::pathFor(const QByteArray &sha256Hex) const
{
    if (!isValidName(sha256Hex))
        return {};
    return m_root % QLatin1Char('/') % QLatin1String(sha256Hex.left(2)) % QLatin1Char('/')
        % QLatin1String(sha256Hex.mid(2));
}

bool BlobStore::contains(const QByteArray &sha256Hex) const
{
    const QString path = pathFor(sha256Hex);
    return !path.isEmpty() && QFileInfo::exists(path);
}

QString BlobStore::newTemporaryPath() const
{
    const quint64 a = QRandomGenerator::global()->generate64();
    const quint64 b = QRandomGenerator::global()->generate64();
    return m_root % QStringLiteral("/tmp/") % QString::number(a, 16) % QLatin1Char('-')
        % QString::number(b, 16);
}

Result<BlobStore::Stored> BlobStore::publish(const QString &source, const Stored &stored)
{
    const QString dir = m_root % QLatin1Char('/') % QLatin1String(stored.sha256Hex.left(2));
    const QByteArray nativeDir = QFile::encodeName(dir);
    bool newDir = false;
    if (::mkdir(nativeDir.constData(), 0777) == 0)
        newDir = true;
    else if (errno != EEXIST)
        return errnoError(QStringLiteral("cannot create"), dir, errno);

    const QString target = pathFor(stored.sha256Hex);
    // rename(2) replaces atomically: a concurrent put of the same bytes is harmless.
    if (::rename(QFile::encodeName(source).constData(), QFile::encodeName(target).constData())
        != 0) {
        return errnoError(
            QStringLiteral("cannot move ") + source + QStringLiteral(" to"), target, errno);
    }
    if (m_sync) {
        if (Result<void> synced = syncDirectory(dir); !synced)
            return synced.error();
        if (newDir) {
            if (Result<void> synced = syncDirectory(m_root); !synced)
                return synced.error();
        }
    }
    return stored;
}

Result<BlobStore::Stored> BlobStore::put(const QByteArray &data)
{
    BlobDigest digest;
    digest.add(data.constData(), data.size());
    const Stored stored = digest.result();
    // The bytes are already in memory, so hashing first lets a duplicate skip the write.
    if (contains(stored.sha256Hex))
        return stored;

    const QString tmpPath = newTemporaryPath();
    QFile tmp(tmpPath);
    if (!tmp.open(QIODevice::WriteOnly | QIODevice::NewOnly | QIODevice::Unbuffered))
        return blobError(
            QStringLiteral("cannot create ") % tmpPath % QStringLiteral(": ") % tmp.errorString());
    if (tmp.write(data) != data.size()) {
        const Error error = blobError(
            QStringLiteral("cannot write ") % tmpPath % QStringLiteral(": ") % tmp.errorString());
        tmp.remove();
        return error;
    }
    if (m_sync) {
        if (Result<void> synced = syncFile(tmp); !synced) {
            tmp.remove();
            return synced.error();
        }
    }
    tmp.close();
    Result<Stored> published = publish(tmpPath, stored);
    if (!published)
        QFile::remove(tmpPath);
    return published;
}

Result<BlobStore::Stored> BlobStore::put(QIODevice &source)
{
    const QString tmpPath = newTemporaryPath();
    QFile tmp(tmpPath);
    if (!tmp.open(QIODevice::WriteOnly | QIODevice::NewOnly | QIODevice::Unbuffered))
        return blobError(
            QStringLiteral("cannot create ") % tmpPath % QStringLiteral(": ") % tmp.errorString());
    const auto fail = [&tmp](Error error) {
        tmp.remove();
        return error;
    };

    BlobDigest digest;
    QByteArray buffer(chunkSize, Qt::Uninitialized);
    for (;;) {
        const qint64 n = source.read(buffer.data(), chunkSize);
        // A sequential device reports its end as -1 (QIODevice::readData's contract), so
        // only a random-access device's -1 is an error.
        if (n < 0 && !source.isSequential())
            return fail(
                blobError(QStringLiteral("cannot read the source: ") + source.errorString()));
        if (n <= 0)
            break;
        digest.add(buffer.constData(), n);
        if (tmp.write(buffer.constData(), n) != n)
            return fail(blobError(QStringLiteral("cannot write ") % tmpPath % QStringLiteral(": ")
                % tmp.errorString()));
    }
    const Stored stored = digest.result();
    if (contains(stored.sha256Hex)) {
        tmp.remove(); // the copy already stored was synced when it was written
        return stored;
    }
    if (m_sync) {
        if (Result<void> synced = syncFile(tmp); !synced)
            return fail(synced.error());
    }
    tmp.close();
    Result<Stored> published = publish(tmpPath, stored);
    if (!published)
        QFile::remove(tmpPath);
    return published;
}

Result<BlobStore::Stored> BlobStore::adoptFile(const QString &path)
{
    struct stat source;
    struct stat store;
    if (::stat(QFile::encodeName(path).constData(), &source) != 0)
        return errnoError(QStringLiteral("cannot adopt"), path, errno);
    if (::stat(QFile::encodeName(m_root).constData(), &store) != 0)
        return errnoError(QStringLiteral("cannot use"), m_root, errno);
    if (source.st_dev != store.st_dev) {
        // rename(2) cannot cross filesystems: copy through tmp instead.
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return blobError(
                QStringLiteral("cannot open ") % path % QStringLiteral(": ") % file.errorString());
        Result<Stored> copied = put(file);
        file.close();
        if (copied)
            QFile::remove(path);
        return copied;
    }

    const Result<Stored> hashed = hashFile(path);
    if (!hashed)
        return hashed.error();
    const Stored &stored = *hashed;
    if (contains(stored.sha256Hex)) {
        QFile::remove(path);
        return stored;
    }
    if (m_sync) {
        // Whoever wrote the file may not have synced it; it must be durable before it is
        // published under its name.
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return blobError(
                QStringLiteral("cannot open ") % path % QStringLiteral(": ") % file.errorString());
        if (Result<void> synced = syncFile(file); !synced)
            return synced.error();
    }
    return publish(path, stored);
}

Result<BlobStore::Stored> BlobStore::adoptHashedFile(const QString &path, const Stored &digest)
{
    if (!isValidName(digest.sha256Hex))
        return blobError(
            QStringLiteral("not a blob name: ") + QString::fromLatin1(digest.sha256Hex));
    if (contains(digest.sha256Hex)) {
        QFile::remove(path);
        return digest;
    }
    if (m_sync) {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return blobError(
                QStringLiteral("cannot open ") % path % QStringLiteral(": ") % file.errorString());
        if (Result<void> synced = syncFile(file); !synced)
            return synced.error();
    }
    return publish(path, digest);
}

Result<QByteArray> BlobStore::read(const QByteArray &sha256Hex) const
{
    const QString path = pathFor(sha256Hex);
    if (path.isEmpty())
        return blobError(QStringLiteral("not a blob name: ") + QString::fromLatin1(sha256Hex));
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return blobError(QStringLiteral("cannot read blob ") % QLatin1String(sha256Hex)
            % QStringLiteral(": ") % file.errorString());
    return file.readAll();
}

bool BlobStore::verify(const QByteArray &sha256Hex) const
{
    const QString path = pathFor(sha256Hex);
    if (path.isEmpty())
        return false;
    const Result<Stored> hashed = hashFile(path);
    return hashed && hashed->sha256Hex == sha256Hex;
}

Result<void> BlobStore::remove(const QByteArray &sha256Hex)
{
    const QString path = pathFor(sha256Hex);
    if (path.isEmpty())
        return blobError(QStringLiteral("not a blob name: ") + QString::fromLatin1(sha256Hex));
    // Removing what is already gone is success: garbage collection may race a delete.
    if (::unlink(QFile::encodeName(path).constData()) != 0 && errno != ENOENT)
        return errnoError(QStringLiteral("cannot remove"), path, errno);
    return {};
}

Result<int> BlobStore::garbageCollect(
    const std::function<bool(const QByteArray &sha256Hex)> &isReferenced, qint64 minAgeSeconds)
{
    int removed = 0;
    const QDateTime youngest = QDateTime::currentDateTimeUtc().addSecs(-minAgeSeconds);
    const QDir root(m_root);
    const QStringList shards = root.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &shard : shards) {
        if (shard.size() != 2) // tmp, or something that is not ours
            continue;
        const QStringList names = QDir(root.filePath(shard)).entryList(QDir::Files);
        for (const QString &name : names) {
            const QByteArray sha = (shard + name).toLatin1();
            if (!isValidName(sha) || isReferenced(sha))
                continue;
            if (minAgeSeconds > 0
                && QFileInfo(root.filePath(shard + u'/' + name)).lastModified() > youngest)
                continue;
            if (Result<void> gone = remove(sha); !gone)
                return gone.error();
            ++removed;
        }
    }
    return removed;
}

} // namespace tarmac
