#include "store/store.h"

#include <QFile>
#include <QSet>

#include <sqlite3.h>

namespace tarmac {

namespace {

const std::vector<Migration> kStoreMigrations = {
    {1,
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE schema_versions (module TEXT PRIMARY KEY, version INTEGER NOT NULL);"},
};

// Every connection to tarmac.db: the state folder's lock keeps every other process out.
Database::Options stateOptions(bool readOnly)
{
    Database::Options options;
    options.readOnly = readOnly;
    options.processExclusive = true;
    return options;
}

} // namespace

Result<std::unique_ptr<Store>> Store::open(const QString &stateDir)
{
    std::unique_ptr<Store> store(new Store);
    auto db = Database::open(stateDir + QStringLiteral("/tarmac.db"), stateOptions(false));
    if (!db)
        return db.error();
    store->m_db = std::move(*db);
    if (auto r = migrate(*store->m_db, kStoreMigrations); !r)
        return r.error();
    store->m_blobs = std::make_unique<BlobStore>(stateDir + QStringLiteral("/blobs"));
    if (auto r = store->m_blobs->init(); !r)
        return r.error();
    auto checkpointDb = Database::open(store->m_db->path(), stateOptions(false));
    if (!checkpointDb)
        return checkpointDb.error();
    store->m_checkpointDb = std::move(*checkpointDb);
    // Replaces SQLite's automatic checkpoint, which would run inside the committing call.
    sqlite3_wal_hook(store->m_db->handle(), &Store::onWalCommit, store.get());
    store->m_checkpointer
        = std::make_unique<WakeableThread>("tarmac-ckpt", [s = store.get()] { s->checkpoint(); });
    return store;
}

Store::~Store()
{
    m_checkpointer.reset();
    m_checkpointDb.reset();
    runCheckpointHooks(); // closing the writer checkpoints what is left
    // The writer goes last: closing the last connection checkpoints and removes the WAL.
    m_db.reset();
}

// Called by SQLite after each commit on the writer connection, with the WAL's size in frames.
int Store::onWalCommit(void *arg, sqlite3 *db, const char *name, int frames)
{
    auto *store = static_cast<Store *>(arg);
    if (frames >= kWriterCheckpointFrames) {
        // The checkpointer cannot keep up (or a reader pins the WAL): bound the WAL here.
        store->runCheckpointHooks();
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else if (frames >= kCheckpointFrames) {
        store->m_checkpointer->wake();
    }
    return SQLITE_OK;
}

void Store::checkpoint()
{
    runCheckpointHooks();
    // PASSIVE: copies what no reader still needs, never waits for the writer or readers.
    // The writer starts the WAL over at its next commit once everything is copied.
    sqlite3_wal_checkpoint_v2(
        m_checkpointDb->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
}

void Store::addCheckpointHook(std::function<void()> hook)
{
    std::lock_guard lock(m_hooksMutex);
    m_checkpointHooks.push_back(std::move(hook));
}

void Store::runCheckpointHooks()
{
    std::vector<std::function<void()>> hooks;
    {
        std::lock_guard lock(m_hooksMutex);
        hooks = m_checkpointHooks;
    }
    for (const auto &hook : hooks)
        hook();
}

Result<std::unique_ptr<Database>> Store::openReader() const
{
    return Database::open(m_db->path(), stateOptions(true));
}

Result<void> Store::migrateModule(const QString &module, const std::vector<Migration> &migrations)
{
    QMutexLocker lock(&m_mutex);
    Database &db = *m_db;
    for (const Migration &m : migrations) {
        Transaction tx(db);
        if (!tx.began())
            return tx.began().error();
        auto current = db.prepare("SELECT version FROM schema_versions WHERE module = ?1");
        if (!current)
            return current.error();
        current->bind(1, module);
        auto row = current->step();
        if (!row)
            return row.error();
        const qint64 version = *row ? current->int64(0) : 0;
        current->reset();
        if (m.version <= version)
            continue;
        if (m.version != version + 1)
            return makeError(QStringLiteral("StoreError"),
                QStringLiteral("migration %1 of %2 follows version %3")
                    .arg(m.version)
                    .arg(module)
                    .arg(version),
                500);
        if (auto r = db.exec(m.sql); !r)
            return makeError(QStringLiteral("StoreError"),
                QStringLiteral("migration %1 of %2 failed: %3")
                    .arg(m.version)
                    .arg(module, r.error().message),
                500);
        auto record = db.prepare("INSERT INTO schema_versions (module, version) VALUES (?1, ?2) "
                                 "ON CONFLICT (module) DO UPDATE SET version = excluded.version");
        if (!record)
            return record.error();
        record->bind(1, module).bind(2, qint64(m.version));
        if (auto r = record->exec(); !r)
            return r;
        if (auto r = tx.commit(); !r)
            return r;
    }
    return {};
}

} // namespace tarmac

namespace tarmac {

Result<void> Store::copyInto(const QString &path)
{
    QFile::remove(path);
    return write([&](Database &db) -> Result<void> {
        auto s = db.prepare("VACUUM INTO ?1");
        if (!s)
            return s.error();
        s->bind(1, path);
        return s->exec();
    });
}

Result<void> Store::replaceRows(const QString &path, const QByteArray &alsoSql)
{
    return write([&](Database &db) -> Result<void> {
        QStringList tables;
        {
            auto s = db.prepare("SELECT name FROM main.sqlite_master WHERE type = 'table' AND "
                                "name NOT LIKE 'sqlite_%' AND name NOT IN ('schema_versions', "
                                "'meta') ORDER BY name");
            if (!s)
                return s.error();
            if (auto r = s->forEachRow([&] { tables.append(s->text(0)); }); !r)
                return r;
        }
        const bool restore = !path.isEmpty();
        if (restore) {
            auto attach = db.prepare("ATTACH DATABASE ?1 AS snapshot");
            if (!attach)
                return attach.error();
            attach->bind(1, path);
            if (auto r = attach->exec(); !r)
                return r;
        }
        Result<void> result = [&]() -> Result<void> {
            QSet<QString> saved;
            if (restore) {
                auto s = db.prepare("SELECT name FROM snapshot.sqlite_master WHERE type = 'table'");
                if (!s)
                    return s.error();
                if (auto r = s->forEachRow([&] { saved.insert(s->text(0)); }); !r)
                    return r;
            }
            Transaction tx(db);
            if (!tx.began())
                return tx.began();
            for (const QString &table : std::as_const(tables)) {
                const QByteArray name = '"' + table.toUtf8().replace('"', "\"\"") + '"';
                if (auto r = db.exec(QByteArray("DELETE FROM main." + name).toStdString()); !r)
                    return r;
                if (restore && saved.contains(table)) {
                    const QByteArray copy
                        = "INSERT INTO main." + name + " SELECT * FROM snapshot." + name;
                    if (auto r = db.exec(copy.toStdString()); !r)
                        return r;
                }
            }
            if (!alsoSql.isEmpty()) {
                if (auto r = db.exec(alsoSql.toStdString()); !r)
                    return r;
            }
            return tx.commit();
        }();
        if (restore)
            (void)db.exec("DETACH DATABASE snapshot");
        return result;
    });
}

} // namespace tarmac
