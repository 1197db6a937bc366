#pragma once

#include "core/result.h"
#include "store/blobstore.h"
#include "store/database.h"

#include <QMutex>
#include <QString>

#include <memory>

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

    // The numbered migrations of one module (a service's tables), each applied once, in
    // order, in its own transaction, recorded in schema_versions(module, version).
    Result<void> migrateModule(const QString &module, const std::vector<Migration> &migrations);

private:
    Store() = default;
    QMutex m_mutex;
    std::unique_ptr<Database> m_db;
    std::unique_ptr<BlobStore> m_blobs;
};

} // namespace tarmac
