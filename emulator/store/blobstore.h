#pragma once

#include "base/result.h"

#include <QByteArray>
#include <QString>

#include <functional>

class QIODevice;

namespace tarmac {

// Content-addressed blob folder: a blob's name is the hex SHA-256 of its bytes, stored at
// ROOT/ab/cdef…. A write is durable when put() returns: written to a temporary file in
// ROOT/tmp, fsync'ed, renamed into place, and the directory fsync'ed. Only then may the
// caller commit the row that refers to it. Identical content is stored once. Blobs that no
// row refers to are removed by garbageCollect(); the blob store itself keeps no index.
// Thread-safe: distinct puts may run on different threads. Anything not a hex SHA-256 is
// refused as a name, so no key from a client can ever become a path.
class BlobStore
{
public:
    struct Stored
    {
        QByteArray sha256Hex; // the blob's id
        QByteArray md5Hex; // computed in the same pass, for ETags
        qint64 size = 0;
    };

    explicit BlobStore(QString root, bool sync = true);

    Result<void> init(); // creates ROOT and ROOT/tmp, removes leftover temporaries
    QString root() const { return m_root; }

    Result<Stored> put(const QByteArray &data);
    // Streams from a device in bounded memory (64 KiB chunks).
    Result<Stored> put(QIODevice &source);
    // Moves an already-written file into the store (no copy when on the same filesystem).
    Result<Stored> adoptFile(const QString &path);
    // Like adoptFile, for a caller that digested the file while writing it (S3 uploads): a
    // second pass over a large body would cost more than receiving it. The digest is trusted.
    Result<Stored> adoptHashedFile(const QString &path, const Stored &digest);

    bool contains(const QByteArray &sha256Hex) const;
    QString pathFor(const QByteArray &sha256Hex) const;
    Result<QByteArray> read(const QByteArray &sha256Hex) const;
    // Verifies a stored blob's bytes still hash to its name.
    bool verify(const QByteArray &sha256Hex) const;
    Result<void> remove(const QByteArray &sha256Hex);
    // Removes every blob for which isReferenced returns false; returns how many. The caller
    // must make sure no put() whose row is still uncommitted is in flight.
    // Blobs written less than minAgeSeconds ago are kept whatever isReferenced says: their row
    // may still be on its way (a blob is published just before the row that names it).
    Result<int> garbageCollect(const std::function<bool(const QByteArray &sha256Hex)> &isReferenced,
        qint64 minAgeSeconds = 0);

    // Whether s is a 64-character lower-case hex SHA-256, the only thing that becomes a path.
    static bool isValidName(const QByteArray &sha256Hex);

private:
    QString newTemporaryPath() const;
    // Renames a synced file to its name and syncs the directories that changed.
    Result<Stored> publish(const QString &source, const Stored &stored);

    QString m_root;
    bool m_sync;
};

} // namespace tarmac
