#include "functions/ziparchive.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <sys/stat.h>
#include <zlib.h>

namespace tarmac {

namespace {

constexpr quint32 kEndOfCentralDirectory = 0x06054b50;
constexpr quint32 kCentralHeader = 0x02014b50;
constexpr quint32 kLocalHeader = 0x04034b50;

Error zipError(const QString &message)
{
    return makeError(QStringLiteral("InvalidZipFileException"), message, 400);
}

quint16 u16(QByteArrayView d, qsizetype at)
{
    return quint16(uchar(d[at])) | quint16(uchar(d[at + 1])) << 8;
}

quint32 u32(QByteArrayView d, qsizetype at)
{
    return quint32(u16(d, at)) | quint32(u16(d, at + 2)) << 16;
}

// A relative name with '/' separators and no part that could leave the folder.
std::optional<QString> cleanName(QByteArrayView raw, bool utf8)
{
    QString name = utf8 ? QString::fromUtf8(raw) : QString::fromLatin1(raw);
    name.replace(u'\\', u'/');
    if (name.isEmpty() || name.startsWith(u'/') || name.contains(QChar(0)))
        return std::nullopt;
    QStringList parts;
    for (const QString &part : name.split(u'/')) {
        if (part.isEmpty() || part == QLatin1String("."))
            continue;
        if (part == QLatin1String(".."))
            return std::nullopt;
        parts.append(part);
    }
    if (parts.isEmpty())
        return std::nullopt;
    return parts.join(u'/');
}

} // namespace

Result<ZipArchive> ZipArchive::open(const QByteArray &data, Limits limits)
{
    if (data.size() < 22)
        return zipError(QStringLiteral(
            "Could not unzip uploaded file. Please check your file, then try to upload again."));
    // The end record sits in the last 22 + 65535 (comment) bytes.
    qsizetype eocd = -1;
    const qsizetype lowest = qMax<qsizetype>(0, data.size() - 22 - 65535);
    for (qsizetype at = data.size() - 22; at >= lowest; --at) {
        if (u32(data, at) == kEndOfCentralDirectory
            && at + 22 + u16(data, at + 20) <= data.size()) {
            eocd = at;
            break;
        }
    }
    if (eocd < 0)
        return zipError(QStringLiteral("Could not unzip uploaded file: no zip end record."));
    if (u16(data, eocd + 4) != 0 || u16(data, eocd + 6) != 0)
        return zipError(QStringLiteral("Multi-disk zip archives are not supported."));
    const quint32 count = u16(data, eocd + 10);
    const quint64 cdSize = u32(data, eocd + 12);
    const quint64 cdOffset = u32(data, eocd + 16);
    if (count == 0xFFFF || cdSize == 0xFFFFFFFFu || cdOffset == 0xFFFFFFFFu)
        return zipError(QStringLiteral("zip64 archives are not supported."));
    if (cdOffset + cdSize > quint64(eocd))
        return zipError(QStringLiteral(
            "Could not unzip uploaded file: the central directory is out of bounds."));
    if (int(count) > limits.maxEntries)
        return zipError(QStringLiteral("The zip archive has too many entries."));

    ZipArchive zip;
    zip.m_data = data;
    zip.m_limits = limits;
    zip.m_entries.reserve(count);
    qsizetype at = qsizetype(cdOffset);
    const qsizetype end = qsizetype(cdOffset + cdSize);
    for (quint32 i = 0; i < count; ++i) {
        if (at + 46 > end || u32(data, at) != kCentralHeader)
            return zipError(QStringLiteral(
                "Could not unzip uploaded file: a central directory entry is damaged."));
        Entry e;
        const quint16 madeBy = u16(data, at + 4);
        e.flags = u16(data, at + 8);
        e.method = u16(data, at + 10);
        e.crc32 = u32(data, at + 16);
        e.compressedSize = u32(data, at + 20);
        e.size = u32(data, at + 24);
        const quint16 nameLength = u16(data, at + 28);
        const quint16 extraLength = u16(data, at + 30);
        const quint16 commentLength = u16(data, at + 32);
        const quint32 external = u32(data, at + 38);
        e.localHeaderOffset = u32(data, at + 42);
        const qsizetype next = at + 46 + nameLength + extraLength + commentLength;
        if (next > end)
            return zipError(QStringLiteral(
                "Could not unzip uploaded file: a central directory entry is damaged."));
        const QByteArrayView rawName = QByteArrayView(data).sliced(at + 46, nameLength);
        if (e.compressedSize == 0xFFFFFFFFu || e.size == 0xFFFFFFFFu
            || e.localHeaderOffset == 0xFFFFFFFFu)
            return zipError(QStringLiteral("zip64 archives are not supported."));
        if (e.flags & 0x1)
            return zipError(QStringLiteral("Encrypted zip entries are not supported."));
        const auto name = cleanName(rawName, e.flags & 0x800);
        if (!name)
            return zipError(
                QStringLiteral("The zip entry name '%1' is not a relative path inside the archive.")
                    .arg(QString::fromUtf8(rawName.first(qMin<qsizetype>(rawName.size(), 200)))));
        e.name = *name;
        if ((madeBy >> 8) == 3) // Unix: st_mode in the high half
            e.unixMode = external >> 16;
        e.isDir = rawName.endsWith('/') || rawName.endsWith('\\') || S_ISDIR(e.unixMode);
        e.isSymlink = S_ISLNK(e.unixMode);
        if (!e.isDir && e.method != 0 && e.method != 8)
            return zipError(QStringLiteral("The zip entry %1 uses compression method %2; only "
                                           "store and deflate are supported.")
                                .arg(e.name)
                                .arg(e.method));
        zip.m_entries.append(std::move(e));
        at = next;
    }
    return zip;
}

Result<QByteArray> ZipArchive::read(const Entry &e, qint64 maxSize) const
{
    const qsizetype local = qsizetype(e.localHeaderOffset);
    if (local < 0 || local + 30 > m_data.size() || u32(m_data, local) != kLocalHeader)
        return zipError(
            QStringLiteral("Could not unzip uploaded file: the entry %1 is damaged.").arg(e.name));
    const qsizetype start = local + 30 + u16(m_data, local + 26) + u16(m_data, local + 28);
    if (start > m_data.size() || qint64(e.compressedSize) > m_data.size() - start)
        return zipError(QStringLiteral("Could not unzip uploaded file: the entry %1 is truncated.")
                            .arg(e.name));
    const QByteArrayView compressed
        = QByteArrayView(m_data).sliced(start, qsizetype(e.compressedSize));
    QByteArray out;
    if (e.method == 0) {
        if (qint64(compressed.size()) > maxSize)
            return zipError(QStringLiteral("Unzipped size must be smaller than %1 bytes")
                                .arg(m_limits.maxTotalSize));
        out = compressed.toByteArray();
    } else {
        z_stream z = {};
        if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
            return zipError(QStringLiteral("cannot start inflating %1").arg(e.name));
        z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(compressed.data()));
        z.avail_in = uInt(compressed.size());
        // Sized from the header, but never trusting it for more than the input could hold.
        const quint64 guess = qMin<quint64>(e.size, quint64(compressed.size()) * 8 + 4096);
        out.resize(qsizetype(qMax<quint64>(1024, qMin<quint64>(guess, quint64(maxSize) + 1))));
        int rc = Z_OK;
        while (true) {
            if (qint64(z.total_out) >= out.size()) {
                if (out.size() > maxSize)
                    break;
                out.resize(qsizetype(qMin<qint64>(qint64(out.size()) * 2, maxSize + 1)));
            }
            z.next_out = reinterpret_cast<Bytef *>(out.data() + z.total_out);
            z.avail_out = uInt(out.size() - qsizetype(z.total_out));
            rc = inflate(&z, Z_NO_FLUSH);
            if (rc == Z_STREAM_END || (rc != Z_OK && rc != Z_BUF_ERROR))
                break;
            if (rc == Z_BUF_ERROR && z.avail_in == 0)
                break; // the input ended before the stream did
        }
        const qint64 produced = qint64(z.total_out);
        inflateEnd(&z);
        if (produced > maxSize)
            return zipError(QStringLiteral("Unzipped size must be smaller than %1 bytes")
                                .arg(m_limits.maxTotalSize));
        if (rc != Z_STREAM_END)
            return zipError(
                QStringLiteral("Could not unzip uploaded file: the entry %1 is corrupt.")
                    .arg(e.name));
        out.resize(qsizetype(produced));
    }
    if (quint32(crc32(0, reinterpret_cast<const Bytef *>(out.constData()), uInt(out.size())))
        != e.crc32)
        return zipError(
            QStringLiteral("Could not unzip uploaded file: the entry %1 fails its CRC check.")
                .arg(e.name));
    return out;
}

Result<void> ZipArchive::extractTo(const QString &folder) const
{
    // QDir("") is the working directory: an archive must never land there by mistake.
    if (folder.isEmpty())
        return makeError(QStringLiteral("ServiceException"),
            QStringLiteral("no folder to extract the archive into"), 500);
    const QDir root(folder);
    qint64 budget = m_limits.maxTotalSize;
    for (const Entry &e : m_entries) {
        const QString path = root.filePath(e.name);
        if (e.isDir) {
            if (!QDir().mkpath(path))
                return makeError(QStringLiteral("ServiceException"),
                    QStringLiteral("cannot create %1").arg(path), 500);
            continue;
        }
        auto bytes = read(e, budget);
        if (!bytes)
            return bytes.error();
        budget -= bytes->size();
        if (!QDir().mkpath(QFileInfo(path).absolutePath()))
            return makeError(QStringLiteral("ServiceException"),
                QStringLiteral("cannot create the folder of %1").arg(path), 500);
        if (e.isSymlink) {
            // Only links that resolve inside the archive: anything else could expose the host.
            const QString target = QString::fromUtf8(*bytes);
            const QString resolved
                = QDir::cleanPath(QFileInfo(path).absolutePath() + u'/' + target);
            if (target.startsWith(u'/')
                || !QString(resolved + u'/')
                        .startsWith(QDir::cleanPath(root.absolutePath()) + u'/'))
                return zipError(
                    QStringLiteral("The symbolic link %1 points outside the archive.").arg(e.name));
            QFile::remove(path);
            if (!QFile::link(target, path))
                return makeError(QStringLiteral("ServiceException"),
                    QStringLiteral("cannot create the link %1").arg(path), 500);
            continue;
        }
        QFile out(path);
        if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate)
            || out.write(*bytes) != bytes->size())
            return makeError(QStringLiteral("ServiceException"),
                QStringLiteral("cannot write %1: %2").arg(path, out.errorString()), 500);
        out.close();
        const mode_t mode = (e.unixMode & 0777) ? mode_t((e.unixMode & 0777) | 0400) : mode_t(0644);
        ::chmod(QFile::encodeName(path).constData(), mode);
    }
    return {};
}

} // namespace tarmac
