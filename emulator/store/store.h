#pragma once

#include "base/result.h"
#include "base/wakeablethread.h"
#include "store/blobstore.h"
#include "store/database.h"

#include <QMutex>
#include <QString>

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace tarmac {

// The engine's state: the one writer connection to STATE/tarmac.db, serialised behind a
// mutex so services called on several I/O threads share it safely, and the blob folder.
// Readers that must not wait for writers (GUI, IDE queries) open their own read-only
// connections with openReader(). Each service owns its tables and migrates them through
// migrateModule(); services never touch each other's tables.
class Store
{
public:
    static Result<std::unique_ptr<Store>> open(const QString &stateDir);

    // Runs `f(Database &)` with the writer connection, serialised with every other caller.
    // Keep it short: no blocking I/O other than SQLite's inside.
    template<typename F>
    auto write(F &&f)
    {
        QMutexLocker lock(&m_mutex);
        return f(*m_db);
    }

    BlobStore &blobs() { return *m_blobs; }
    QString databasePath() const { return m_db->path(); }
    Result<std::unique_ptr<Database>> openReader() const;

    // Runs before every checkpoint copies committed rows into the database file, on the
    // checkpointing thread: a module syncs there the files its rows name (SegmentLog::sync),
    // so nothing in the database file can name bytes a power loss would take back.
    void addCheckpointHook(std::function<void()> hook);

    // The numbered migrations of one module (a service's tables), each applied once, in
    // order, in its own transaction, recorded in schema_versions(module, version).
    Result<void> migrateModule(const QString &module, const std::vector<Migration> &migrations);

    // Snapshots of the rows (POST /_tarmac/snapshots): a consistent copy of the database as of
    // now, written to `path` (VACUUM INTO), while requests go on.
    Result<void> copyInto(const QString &path);
    // Replaces every module's rows, in one transaction, with those of the copy at `path`, or
    // (path empty) with none: a reset. Migrations and AUTOINCREMENT counters stay as they are
    // (counters only grow, so a row written later never reuses a restored row's key).
    // `alsoSql` runs in the same transaction, after the rows are in.
    Result<void> replaceRows(const QString &path, const QByteArray &alsoSql = {});

    ~Store();
    Store(const Store &) = delete;
    Store &operator=(const Store &) = delete;

    // WAL frames after which the checkpointer thread copies the WAL into the database (16 MB:
    // a page written many times in between is copied once), and after which the writer does
    // it itself because the checkpointer fell behind.
    static constexpr int kCheckpointFrames = 4000;
    static constexpr int kWriterCheckpointFrames = 4 * kCheckpointFrames;

private:
    Store() = default;
    static int onWalCommit(void *store, sqlite3 *db, const char *name, int frames);
    void checkpoint(); // on the checkpointer thread
    void runCheckpointHooks();

    QMutex m_mutex;
    std::unique_ptr<Database> m_db;
    std::unique_ptr<BlobStore> m_blobs;

    // Checkpoints run on their own thread and connection: copying the WAL back and syncing
    // both files (milliseconds) no longer stalls the request whose commit crossed the mark.
    std::unique_ptr<Database> m_checkpointDb;
    std::unique_ptr<WakeableThread> m_checkpointer;
    std::mutex m_hooksMutex;
    std::vector<std::function<void()>> m_checkpointHooks; // under m_hooksMutex
};

} // namespace tarmac
