#include "services/events/eventrecords.h"

#include "store/database.h"
#include "store/store.h"

namespace tarmac {

Result<void> EventRecords::open(Store *store, const QString &module)
{
    m_store = store;
    m_table = module + QStringLiteral("_records");
    // Migrations are static text: one table per module that keeps records.
    static const std::vector<Migration> events = {{1,
        "CREATE TABLE events_records (kind TEXT NOT NULL, key TEXT NOT NULL,"
        " record TEXT NOT NULL, PRIMARY KEY (kind, key))"}};
    static const std::vector<Migration> scheduler = {{1,
        "CREATE TABLE scheduler_records (kind TEXT NOT NULL, key TEXT NOT NULL,"
        " record TEXT NOT NULL, PRIMARY KEY (kind, key))"}};
    if (module == QLatin1String("events"))
        return store->migrateModule(module, events);
    if (module == QLatin1String("scheduler"))
        return store->migrateModule(module, scheduler);
    return makeError(QStringLiteral("InternalFailure"),
        QStringLiteral("no record table for module %1").arg(module), 500);
}

Result<QList<std::pair<QString, Json>>> EventRecords::load(const QString &kind) const
{
    QList<std::pair<QString, Json>> out;
    auto r = m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare(
            toStd(QStringLiteral("SELECT key, record FROM %1 WHERE kind = ?1 ORDER BY key")
                      .arg(m_table)));
        if (!s)
            return s.error();
        s->bind(1, kind);
        return s->forEachRow([&] {
            if (auto j = parseJson(s->text(1).toUtf8()); j && j->is_object())
                out.append({s->text(0), std::move(*j)});
        });
    });
    if (!r)
        return r.error();
    return out;
}

Result<void> EventRecords::put(const QString &kind, const QString &key, const Json &record)
{
    return m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare(toStd(
            QStringLiteral("INSERT OR REPLACE INTO %1 (kind, key, record) VALUES (?1, ?2, ?3)")
                .arg(m_table)));
        if (!s)
            return s.error();
        const QByteArray text = toJsonBytes(record);
        s->bind(1, kind).bind(2, key).bind(3, std::string_view(text.constData(), text.size()));
        return s->exec();
    });
}

Result<void> EventRecords::remove(const QString &kind, const QString &key)
{
    return m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare(
            toStd(QStringLiteral("DELETE FROM %1 WHERE kind = ?1 AND key = ?2").arg(m_table)));
        if (!s)
            return s.error();
        s->bind(1, kind).bind(2, key);
        return s->exec();
    });
}

Result<void> EventRecords::removePrefix(const QString &kind, const QString &prefix)
{
    return m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare(toStd(
            QStringLiteral("DELETE FROM %1 WHERE kind = ?1 AND substr(key, 1, length(?2)) = ?2")
                .arg(m_table)));
        if (!s)
            return s.error();
        s->bind(1, kind).bind(2, prefix);
        return s->exec();
    });
}

} // namespace tarmac
