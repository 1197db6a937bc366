#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QList>
#include <QString>

#include <utility>

namespace tarmac {

class Store;

// A module's resources as JSON records by key, in one table of its own (`events_records`,
// `scheduler_records`): what EventBridge's buses and rules and the Scheduler's groups and
// schedules persist. Each put is committed before it returns, so a rule or schedule a client
// was told about survives kill -9. The records are the API's own shapes, read back whole at
// start; the tables are small (a few hundred resources), so nothing is indexed beyond the key.
class EventRecords
{
public:
    // Creates the table through the store's migrations for `module` ("events").
    Result<void> open(Store *store, const QString &module);
    // Every record of `kind` ("rule"), in key order.
    Result<QList<std::pair<QString, Json>>> load(const QString &kind) const;
    Result<void> put(const QString &kind, const QString &key, const Json &record);
    Result<void> remove(const QString &kind, const QString &key);
    // Removes every record of `kind` whose key starts with `prefix` ("bus/").
    Result<void> removePrefix(const QString &kind, const QString &prefix);

private:
    Store *m_store = nullptr;
    QString m_table;
};

} // namespace tarmac
