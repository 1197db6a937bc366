#pragma once

#include "base/result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

namespace tarmac {

// Reads a zip archive held in memory: a Lambda deployment package (CreateFunction's ZipFile,
// UpdateFunctionCode). Stored and deflated entries, Unix permissions (a `provided` bootstrap
// must stay executable) and symbolic links that stay inside the archive. The input comes
// from the network, so every offset and size is checked against the buffer, names that
// would leave the target folder are refused, and extraction stops at a size limit counted
// on the bytes actually inflated, not on what the headers claim. Not supported: zip64,
// encryption, multi-disk archives, compression methods other than store and deflate.
class ZipArchive
{
public:
    struct Entry
    {
        QString name; // '/'-separated, relative, no "." or ".." parts
        quint16 method = 0;
        quint16 flags = 0;
        quint32 crc32 = 0;
        quint64 compressedSize = 0;
        quint64 size = 0;
        quint64 localHeaderOffset = 0;
        quint32 unixMode = 0; // 0 when the archive carries none
        bool isDir = false;
        bool isSymlink = false;
    };

    struct Limits
    {
        qint64 maxTotalSize = 262'144'000; // Lambda's unzipped deployment package limit
        int maxEntries = 100'000;
    };

    // Parses the central directory. The archive shares `data` (no copy).
    static Result<ZipArchive> open(const QByteArray &data, Limits limits);
    static Result<ZipArchive> open(const QByteArray &data) { return open(data, Limits {}); }

    const QList<Entry> &entries() const { return m_entries; }
    // An entry's bytes, inflated and checked against its CRC, at most `maxSize` of them.
    Result<QByteArray> read(const Entry &entry, qint64 maxSize) const;
    // Writes every entry under `folder` (which must exist and be empty), with its mode.
    Result<void> extractTo(const QString &folder) const;

private:
    QByteArray m_data;
    Limits m_limits;
    QList<Entry> m_entries;
};

} // namespace tarmac
