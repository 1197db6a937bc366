#include "services/stepfunctions/sfnstore.h"

#include "store/database.h"
#include "store/store.h"

#include "base/jsonwriter.h"

#include <algorithm>

namespace tarmac {

namespace {

const std::vector<Migration> kMigrations = {
    {1, R"sql(
CREATE TABLE sfn_machines (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    definition BLOB NOT NULL,
    role_arn TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    logical_id TEXT NOT NULL
);
CREATE TABLE sfn_executions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    arn TEXT NOT NULL UNIQUE,
    machine_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    input BLOB NOT NULL,
    output BLOB NOT NULL,
    error TEXT NOT NULL,
    cause TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    stop_ms INTEGER NOT NULL,
    trace_id BLOB NOT NULL,
    checkpoint_state TEXT NOT NULL,
    checkpoint_input BLOB NOT NULL
);
CREATE TABLE sfn_history (
    execution_arn TEXT NOT NULL,
    id INTEGER NOT NULL,
    previous_id INTEGER NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    type TEXT NOT NULL,
    details BLOB NOT NULL,
    PRIMARY KEY (execution_arn, id)
);
)sql"},
    // Workflow variables (Assign) are part of the checkpoint.
    {2, R"sql(
ALTER TABLE sfn_executions ADD COLUMN checkpoint_variables BLOB NOT NULL DEFAULT '{}';
)sql"},
    // The history in chunks: what one save added to an execution's history is one row of JSON
    // lines, {"id", "previousEventId", "timestamp", "type", "details"} each, instead of a row
    // per event (a tenth of a standard execution's CPU went to those rows).
    {3, R"sql(
CREATE TABLE sfn_history_chunks (
    execution_arn TEXT NOT NULL,
    first_id INTEGER NOT NULL,
    events BLOB NOT NULL,
    PRIMARY KEY (execution_arn, first_id)
);
INSERT INTO sfn_history_chunks (execution_arn, first_id, events)
    SELECT execution_arn, id, CAST(json_object('id', id, 'previousEventId', previous_id,
        'timestamp', timestamp_ms, 'type', type, 'details', json(CAST(details AS TEXT))) AS BLOB)
    FROM sfn_history;
DROP TABLE sfn_history;
)sql"},
    // Where each Parallel branch and Map iteration of the top-level state in progress stands,
    // so that a restart resumes inside them (SfnScopeMark).
    {4, R"sql(
CREATE TABLE sfn_scope_marks (
    execution_arn TEXT NOT NULL,
    scope_key TEXT NOT NULL,
    state TEXT NOT NULL,
    input BLOB NOT NULL,
    variables BLOB NOT NULL,
    outcome TEXT NOT NULL,
    output BLOB NOT NULL,
    PRIMARY KEY (execution_arn, scope_key)
);
)sql"},
    // Distributed Maps' child workflow executions and their Map Runs.
    {5, R"sql(
ALTER TABLE sfn_executions ADD COLUMN map_run_arn TEXT NOT NULL DEFAULT '';
CREATE TABLE sfn_map_runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    arn TEXT NOT NULL UNIQUE,
    execution_arn TEXT NOT NULL,
    state_key TEXT NOT NULL,
    machine_arn TEXT NOT NULL,
    status TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    stop_ms INTEGER NOT NULL,
    max_concurrency INTEGER NOT NULL,
    tolerated_percentage REAL NOT NULL,
    tolerated_count INTEGER NOT NULL,
    counts BLOB NOT NULL
);
)sql"},
};

constexpr const char *kExecutionColumns
    = "arn, machine_arn, name, status, input, output, error, cause, start_ms, stop_ms, trace_id, "
      "checkpoint_state, checkpoint_input, checkpoint_variables, map_run_arn";

SfnExecution readExecution(const Statement &s)
{
    SfnExecution e;
    e.arn = s.text(0);
    e.machineArn = s.text(1);
    e.name = s.text(2);
    e.status = s.text(3);
    e.input = s.blob(4);
    e.output = s.blob(5);
    e.error = s.text(6);
    e.cause = s.text(7);
    e.startMs = s.int64(8);
    e.stopMs = s.int64(9);
    e.traceId = s.blob(10);
    e.checkpointState = s.text(11);
    e.checkpointInput = s.blob(12);
    e.checkpointVariables = s.blob(13);
    e.mapRunArn = s.text(14);
    return e;
}

} // namespace

SfnStore::SfnStore(Store *store)
    : m_store(store)
{ }

Result<void> SfnStore::open()
{
    return m_store->migrateModule(QStringLiteral("stepfunctions"), kMigrations);
}

Result<QList<SfnMachine>> SfnStore::machines() const
{
    QList<SfnMachine> out;
    auto read = m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare("SELECT arn, name, type, definition, role_arn, created_ms, updated_ms, "
                            "logical_id FROM sfn_machines ORDER BY name");
        if (!s)
            return s.error();
        return s->forEachRow([&] {
            SfnMachine m;
            m.arn = s->text(0);
            m.name = s->text(1);
            m.type = s->text(2);
            m.definition = s->blob(3);
            m.roleArn = s->text(4);
            m.createdMs = s->int64(5);
            m.updatedMs = s->int64(6);
            m.logicalId = s->text(7);
            out.append(std::move(m));
        });
    });
    if (!read)
        return read.error();
    return out;
}

Result<void> SfnStore::saveMachine(const SfnMachine &m)
{
    return m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare("INSERT OR REPLACE INTO sfn_machines (arn, name, type, definition, "
                            "role_arn, created_ms, updated_ms, logical_id) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        if (!s)
            return s.error();
        return s->bind(1, m.arn)
            .bind(2, m.name)
            .bind(3, m.type)
            .bind(4, m.definition)
            .bind(5, m.roleArn)
            .bind(6, m.createdMs)
            .bind(7, m.updatedMs)
            .bind(8, m.logicalId)
            .exec();
    });
}

Result<void> SfnStore::deleteMachine(const QString &arn)
{
    return m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare("DELETE FROM sfn_machines WHERE arn = ?");
        if (!s)
            return s.error();
        return s->bind(1, arn).exec();
    });
}

Result<QList<SfnExecution>> SfnStore::executions() const
{
    QList<SfnExecution> out;
    auto read = m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare(
            std::string("SELECT ") + kExecutionColumns + " FROM sfn_executions ORDER BY seq");
        if (!s)
            return s.error();
        return s->forEachRow([&] { out.append(readExecution(*s)); });
    });
    if (!read)
        return read.error();
    return out;
}

namespace {

Result<void> writeExecution(Database &db, const SfnExecution &e)
{
    auto s = db.cached(
        "INSERT INTO sfn_executions (arn, machine_arn, name, status, input, output, error, "
        "cause, start_ms, stop_ms, trace_id, checkpoint_state, checkpoint_input, "
        "checkpoint_variables, map_run_arn) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (arn) DO UPDATE SET "
        "status = excluded.status, output = excluded.output, error = excluded.error, "
        "cause = excluded.cause, stop_ms = excluded.stop_ms, "
        "checkpoint_state = excluded.checkpoint_state, "
        "checkpoint_input = excluded.checkpoint_input, "
        "checkpoint_variables = excluded.checkpoint_variables");
    if (!s)
        return s.error();
    return (*s)
        ->bind(1, e.arn)
        .bind(2, e.machineArn)
        .bind(3, e.name)
        .bind(4, e.status)
        .bind(5, e.input)
        .bind(6, e.output)
        .bind(7, e.error)
        .bind(8, e.cause)
        .bind(9, e.startMs)
        .bind(10, e.stopMs)
        .bind(11, e.traceId)
        .bind(12, e.checkpointState)
        .bind(13, e.checkpointInput)
        .bind(14, e.checkpointVariables)
        .bind(15, e.mapRunArn)
        .exec();
}

Result<void> writeEvents(
    Database &db, const QString &executionArn, int firstId, const QByteArray &lines)
{
    auto s = db.cached("INSERT OR REPLACE INTO sfn_history_chunks (execution_arn, first_id, "
                       "events) VALUES (?, ?, ?)");
    if (!s)
        return s.error();
    return (*s)->bind(1, executionArn).bind(2, firstId).bind(3, lines).exec();
}

// A save's scope marks: those cleared (all, or under prefixes), then those written.
Result<void> writeMarks(Database &db, const SfnStore::Progress &p)
{
    const QString &arn = *p.executionArn;
    if (p.clearMarks) {
        auto clear = db.cached("DELETE FROM sfn_scope_marks WHERE execution_arn = ?");
        if (!clear)
            return clear.error();
        if (auto r = (*clear)->bind(1, arn).exec(); !r)
            return r;
    }
    if (p.clearPrefixes && !p.clearPrefixes->isEmpty()) {
        // The keys from PREFIX up to (not including) PREFIX with its last character, the
        // separator, one higher: every key under it, through the primary key.
        auto clear = db.cached("DELETE FROM sfn_scope_marks WHERE execution_arn = ? "
                               "AND scope_key >= ? AND scope_key < ?");
        if (!clear)
            return clear.error();
        for (const QString &prefix : *p.clearPrefixes) {
            QString end = prefix;
            end.back() = QChar(end.back().unicode() + 1);
            if (auto r = (*clear)->bind(1, arn).bind(2, prefix).bind(3, end).exec(); !r)
                return r;
        }
    }
    if (!p.marks || p.marks->isEmpty())
        return {};
    auto put = db.cached("INSERT OR REPLACE INTO sfn_scope_marks (execution_arn, scope_key, "
                         "state, input, variables, outcome, output) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!put)
        return put.error();
    for (const SfnScopeMark &m : *p.marks) {
        if (auto r = (*put)
                         ->bind(1, arn)
                         .bind(2, m.key)
                         .bind(3, m.state)
                         .bind(4, m.input)
                         .bind(5, m.variables)
                         .bind(6, m.outcome)
                         .bind(7, m.output)
                         .exec();
            !r)
            return r;
    }
    return {};
}

} // namespace

Result<void> SfnStore::saveExecution(const SfnExecution &e)
{
    return m_store->write([&](Database &db) { return writeExecution(db, e); });
}

Result<void> SfnStore::saveProgress(const QList<Progress> &progress)
{
    if (progress.isEmpty())
        return {};
    return m_store->write([&](Database &db) -> Result<void> {
        Transaction tx(db);
        if (!tx.began())
            return tx.began();
        for (const Progress &p : progress) {
            if (auto r = writeMarks(db, p); !r)
                return r;
            if (p.events && !p.events->isEmpty()) {
                if (auto r = writeEvents(db, *p.executionArn, p.firstEventId, *p.events); !r)
                    return r;
            }
            if (p.execution) {
                if (auto r = writeExecution(db, *p.execution); !r)
                    return r;
            }
        }
        return tx.commit();
    });
}

Result<QList<SfnHistoryEvent>> SfnStore::history(const QString &executionArn) const
{
    QMap<int, SfnHistoryEvent> byId;
    auto read = m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare("SELECT events FROM sfn_history_chunks WHERE execution_arn = ? "
                            "ORDER BY first_id");
        if (!s)
            return s.error();
        s->bind(1, executionArn);
        return s->forEachRow([&] { readHistoryLines(s->blob(0), byId); });
    });
    if (!read)
        return read.error();
    return QList<SfnHistoryEvent>(byId.begin(), byId.end());
}

Result<QList<SfnScopeMark>> SfnStore::scopeMarks(const QString &executionArn) const
{
    QList<SfnScopeMark> out;
    auto read = m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare("SELECT scope_key, state, input, variables, outcome, output FROM "
                            "sfn_scope_marks WHERE execution_arn = ?");
        if (!s)
            return s.error();
        s->bind(1, executionArn);
        return s->forEachRow([&] {
            out.append({s->text(0), s->text(1), s->blob(2), s->blob(3), s->text(4), s->blob(5)});
        });
    });
    if (!read)
        return read.error();
    return out;
}

Result<std::optional<SfnExecution>> SfnStore::execution(const QString &arn) const
{
    std::optional<SfnExecution> out;
    auto read = m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare(
            std::string("SELECT ") + kExecutionColumns + " FROM sfn_executions WHERE arn = ?");
        if (!s)
            return s.error();
        s->bind(1, arn);
        return s->forEachRow([&] { out = readExecution(*s); });
    });
    if (!read)
        return read.error();
    return out;
}

Result<QList<SfnMapRun>> SfnStore::mapRuns() const
{
    QList<SfnMapRun> out;
    auto read = m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare("SELECT arn, execution_arn, state_key, machine_arn, status, start_ms, "
                            "stop_ms, max_concurrency, tolerated_percentage, tolerated_count, "
                            "counts FROM sfn_map_runs ORDER BY seq");
        if (!s)
            return s.error();
        return s->forEachRow([&] {
            SfnMapRun r;
            r.arn = s->text(0);
            r.executionArn = s->text(1);
            r.stateKey = s->text(2);
            r.machineArn = s->text(3);
            r.status = s->text(4);
            r.startMs = s->int64(5);
            r.stopMs = s->int64(6);
            r.maxConcurrency = int(s->int64(7));
            r.toleratedFailurePercentage = s->real(8);
            r.toleratedFailureCount = s->int64(9);
            if (auto counts = parseJson(s->blob(10)); counts && counts->is_object()) {
                r.executions = SfnMapRunCounts::fromJson(counts->value("executions", Json()));
                r.items = SfnMapRunCounts::fromJson(counts->value("items", Json()));
            }
            out.append(std::move(r));
        });
    });
    if (!read)
        return read.error();
    return out;
}

Result<void> SfnStore::saveMapRun(const SfnMapRun &r)
{
    const QByteArray counts
        = toJsonBytes(Json {{"executions", r.executions.toJson()}, {"items", r.items.toJson()}});
    return m_store->write([&](Database &db) -> Result<void> {
        auto s
            = db.cached("INSERT INTO sfn_map_runs (arn, execution_arn, state_key, machine_arn, "
                        "status, start_ms, stop_ms, max_concurrency, tolerated_percentage, "
                        "tolerated_count, counts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (arn) DO UPDATE SET status = excluded.status, "
                        "stop_ms = excluded.stop_ms, max_concurrency = excluded.max_concurrency, "
                        "tolerated_percentage = excluded.tolerated_percentage, "
                        "tolerated_count = excluded.tolerated_count, counts = excluded.counts");
        if (!s)
            return s.error();
        return (*s)
            ->bind(1, r.arn)
            .bind(2, r.executionArn)
            .bind(3, r.stateKey)
            .bind(4, r.machineArn)
            .bind(5, r.status)
            .bind(6, r.startMs)
            .bind(7, r.stopMs)
            .bind(8, qint64(r.maxConcurrency))
            .bind(9, r.toleratedFailurePercentage)
            .bind(10, r.toleratedFailureCount)
            .bind(11, counts)
            .exec();
    });
}

void SfnMapRunCounts::move(const QString &from, const QString &to, qint64 n)
{
    const auto slot = [this](const QString &status) -> qint64 * {
        if (status == QLatin1String("PENDING"))
            return &pending;
        if (status == QLatin1String("RUNNING"))
            return &running;
        if (status == QLatin1String("SUCCEEDED"))
            return &succeeded;
        if (status == QLatin1String("FAILED"))
            return &failed;
        if (status == QLatin1String("TIMED_OUT"))
            return &timedOut;
        if (status == QLatin1String("ABORTED"))
            return &aborted;
        return nullptr;
    };
    if (qint64 *f = slot(from))
        *f -= n;
    if (qint64 *t = slot(to))
        *t += n;
}

Json SfnMapRunCounts::toJson() const
{
    return Json {{"pending", pending}, {"running", running}, {"succeeded", succeeded},
        {"failed", failed}, {"timedOut", timedOut}, {"aborted", aborted}, {"total", total},
        {"resultsWritten", resultsWritten}, {"failuresNotRedrivable", 0}, {"pendingRedrive", 0}};
}

SfnMapRunCounts SfnMapRunCounts::fromJson(const Json &json)
{
    SfnMapRunCounts c;
    if (!json.is_object())
        return c;
    const auto number = [&json](const char *key) -> qint64 {
        const auto it = json.find(key);
        return it != json.end() && it->is_number_integer() ? it->get<qint64>() : 0;
    };
    c.pending = number("pending");
    c.running = number("running");
    c.succeeded = number("succeeded");
    c.failed = number("failed");
    c.timedOut = number("timedOut");
    c.aborted = number("aborted");
    c.total = number("total");
    c.resultsWritten = number("resultsWritten");
    return c;
}

void appendHistoryLine(QByteArray &lines, int id, qint64 timestampMs, const QString &type,
    QByteArrayView details, int previousId)
{
    // Written for every event of every execution: numbers and the (ASCII) type go in without
    // a temporary each.
    const qsizetype needed = lines.size() + details.size() + type.size() + 80;
    if (needed > lines.capacity())
        lines.reserve(std::max(needed, 2 * lines.capacity()));
    lines += "{\"id\":";
    appendNumber(lines, id);
    lines += ",\"previousEventId\":";
    appendNumber(lines, previousId);
    lines += ",\"timestamp\":";
    appendNumber(lines, timestampMs);
    lines += ",\"type\":";
    appendJsonString(lines, type);
    lines += ",\"details\":";
    lines += details;
    lines += "}\n";
}

void readHistoryLines(const QByteArray &lines, QMap<int, SfnHistoryEvent> &byId)
{
    for (const QByteArray &line : lines.split('\n')) {
        auto event = parseJson(line);
        if (!event || !event->is_object())
            continue;
        const Json &j = *event;
        const auto number = [&j](const char *key) -> qint64 {
            const auto it = j.find(key);
            return it != j.end() && it->is_number_integer() ? it->get<qint64>() : 0;
        };
        const auto type = j.find("type");
        const auto details = j.find("details");
        SfnHistoryEvent e;
        e.id = int(number("id"));
        e.previousId = int(number("previousEventId"));
        e.timestampMs = number("timestamp");
        if (type != j.end() && type->is_string())
            e.type = QString::fromStdString(type->get<std::string>());
        e.details = details != j.end() && details->is_object() ? *details : Json::object();
        byId.insert(e.id, std::move(e));
    }
}

} // namespace tarmac
