#include "store/database.h"

#include <QFile>
#include <QLoggingCategory>

#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <utility>

namespace tarmac {

namespace {

Q_LOGGING_CATEGORY(lcStore, "tarmac.store")

Error storeError(sqlite3 *db, const QString &context)
{
    // With extended result codes the message alone can be vague ("disk I/O error"), so the
    // numeric code goes along for whoever has to read the log.
    const QString message
        = db ? QString::fromUtf8(sqlite3_errmsg(db)) : QStringLiteral("out of memory");
    const int code = db ? sqlite3_extended_errcode(db) : SQLITE_NOMEM;
    QString text = message % QStringLiteral(" (sqlite ") % QString::number(code) % QLatin1Char(')');
    if (!context.isEmpty())
        text = context % QStringLiteral(": ") % text;
    return makeError(QStringLiteral("StoreError"), text, 500);
}

// Error messages quote the statement, but a migration can be pages long.
QString sqlForMessage(std::string_view sql)
{
    constexpr qsizetype maxLength = 200;
    QString s = QString::fromUtf8(sql.data(), qsizetype(sql.size())).simplified();
    if (s.size() > maxLength)
        s = s.left(maxLength) + QStringLiteral("…");
    return s;
}

bool isBlankTail(const char *tail, const char *end)
{
    return std::all_of(tail, end,
        [](char c) { return c == ';' || c == ' ' || c == '\n' || c == '\r' || c == '\t'; });
}

} // namespace

// ---- Statement ----

Statement::~Statement()
{
    sqlite3_finalize(m_stmt);
}

Statement::Statement(Statement &&other) noexcept
    : m_stmt(std::exchange(other.m_stmt, nullptr))
    , m_db(std::exchange(other.m_db, nullptr))
    , m_needsReset(std::exchange(other.m_needsReset, false))
    , m_bindError(std::exchange(other.m_bindError, SQLITE_OK))
{ }

Statement &Statement::operator=(Statement &&other) noexcept
{
    if (this != &other) {
        sqlite3_finalize(m_stmt);
        m_stmt = std::exchange(other.m_stmt, nullptr);
        m_db = std::exchange(other.m_db, nullptr);
        m_needsReset = std::exchange(other.m_needsReset, false);
        m_bindError = std::exchange(other.m_bindError, SQLITE_OK);
    }
    return *this;
}

// Binding after a step starts the next execution; bindings not repeated keep their values,
// as in SQLite.
bool Statement::beginBind()
{
    if (m_needsReset)
        reset();
    return m_stmt != nullptr;
}

Statement &Statement::endBind(int rc)
{
    if (rc != SQLITE_OK && m_bindError == SQLITE_OK)
        m_bindError = rc;
    return *this;
}

Statement &Statement::bind(int index, qint64 value)
{
    if (!beginBind())
        return *this;
    return endBind(sqlite3_bind_int64(m_stmt, index, value));
}

Statement &Statement::bind(int index, double value)
{
    if (!beginBind())
        return *this;
    return endBind(sqlite3_bind_double(m_stmt, index, value));
}

Statement &Statement::bind(int index, const QString &value)
{
    const QByteArray utf8 = value.toUtf8();
    return bind(index, std::string_view(utf8.constData(), size_t(utf8.size())));
}

Statement &Statement::bind(int index, const QByteArray &value)
{
    if (!beginBind())
        return *this;
    // sqlite3_bind_blob with a null pointer binds NULL; an empty QByteArray is an empty BLOB.
    if (value.isEmpty())
        return endBind(sqlite3_bind_zeroblob(m_stmt, index, 0));
    return endBind(sqlite3_bind_blob64(
        m_stmt, index, value.constData(), sqlite3_uint64(value.size()), SQLITE_TRANSIENT));
}

Statement &Statement::bind(int index, std::string_view text)
{
    if (!beginBind())
        return *this;
    // A null data pointer would bind NULL; empty text is still TEXT.
    return endBind(sqlite3_bind_text64(m_stmt, index, text.empty() ? "" : text.data(),
        sqlite3_uint64(text.size()), SQLITE_TRANSIENT, SQLITE_UTF8));
}

Statement &Statement::bindInPlace(int index, std::string_view text)
{
    if (!beginBind())
        return *this;
    return endBind(sqlite3_bind_text64(m_stmt, index, text.empty() ? "" : text.data(),
        sqlite3_uint64(text.size()), SQLITE_STATIC, SQLITE_UTF8));
}

Statement &Statement::bindBlobInPlace(int index, QByteArrayView bytes)
{
    if (!beginBind())
        return *this;
    if (bytes.isEmpty())
        return endBind(sqlite3_bind_zeroblob(m_stmt, index, 0));
    return endBind(sqlite3_bind_blob64(
        m_stmt, index, bytes.data(), sqlite3_uint64(bytes.size()), SQLITE_STATIC));
}

Statement &Statement::bindNull(int index)
{
    if (!beginBind())
        return *this;
    return endBind(sqlite3_bind_null(m_stmt, index));
}

Result<bool> Statement::step()
{
    if (!m_stmt)
        return makeError(
            QStringLiteral("StoreError"), QStringLiteral("step on an empty statement"), 500);
    sqlite3 *db = sqlite3_db_handle(m_stmt);
    if (m_bindError != SQLITE_OK) {
        const int rc = std::exchange(m_bindError, SQLITE_OK);
        reset();
        return makeError(QStringLiteral("StoreError"),
            QStringLiteral("bind failed: ") % QString::fromUtf8(sqlite3_errstr(rc))
                % QStringLiteral(" in: ") % sqlForMessage(sqlite3_sql(m_stmt)),
            500);
    }
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) {
        m_needsReset = true;
        return true;
    }
    if (rc == SQLITE_DONE) {
        // Resetting at once ends the statement's read transaction, so a statement kept in a
        // member does not pin an old WAL snapshot between uses.
        reset();
        return false;
    }
    Error error = storeError(db, QStringLiteral("step"));
    error.message += QStringLiteral(" in: ") + sqlForMessage(sqlite3_sql(m_stmt));
    reset();
    return error;
}

void Statement::reset()
{
    if (m_stmt)
        sqlite3_reset(m_stmt);
    m_needsReset = false;
}

int Statement::columnCount() const
{
    return m_stmt ? sqlite3_column_count(m_stmt) : 0;
}

bool Statement::isNull(int column) const
{
    return !m_stmt || sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

qint64 Statement::int64(int column) const
{
    return m_stmt ? sqlite3_column_int64(m_stmt, column) : 0;
}

double Statement::real(int column) const
{
    return m_stmt ? sqlite3_column_double(m_stmt, column) : 0.0;
}

QString Statement::text(int column) const
{
    if (!m_stmt)
        return {};
    // The pointer must be taken before the size: that order keeps it a UTF-8 size.
    const auto *data = reinterpret_cast<const char *>(sqlite3_column_text(m_stmt, column));
    return QString::fromUtf8(data, sqlite3_column_bytes(m_stmt, column));
}

QByteArray Statement::blob(int column) const
{
    if (!m_stmt)
        return {};
    const auto *data = static_cast<const char *>(sqlite3_column_blob(m_stmt, column));
    return QByteArray(data, sqlite3_column_bytes(m_stmt, column));
}

// ---- Database ----

Database::~Database()
{
    m_cached.clear(); // finalized before the connection closes
    for (sqlite3_stmt *control : m_control)
        sqlite3_finalize(control);
    // close_v2 defers the close until Statements that outlive us are finalized.
    sqlite3_close_v2(m_db);
}

Result<std::unique_ptr<Database>> Database::open(const QString &path, const Options &options)
{
    // Before the first connection: no global memory statistics, whose mutex every allocation
    // of every connection would otherwise take.
    static const bool configured = [] {
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        return true;
    }();
    Q_UNUSED(configured);
    std::unique_ptr<Database> db(new Database);
    db->m_path = path;
    const int flags
        = (options.readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    const int rc = sqlite3_open_v2(QFile::encodeName(path).constData(), &db->m_db, flags,
        options.processExclusive ? "unix-excl" : nullptr);
    if (rc != SQLITE_OK)
        return storeError(db->m_db, QStringLiteral("cannot open ") + path);

    sqlite3_busy_timeout(db->m_db, options.busyTimeoutMs);

    if (!options.readOnly) {
        // journal_mode answers with the mode it ended up in rather than failing.
        Result<Statement> wal = db->prepare("PRAGMA journal_mode = WAL");
        if (!wal)
            return wal.error();
        const Result<bool> row = wal->step();
        if (!row)
            return row.error();
        const QString mode = *row ? wal->text(0) : QString();
        wal->reset();
        if (mode != QLatin1String("wal") && mode != QLatin1String("memory")) {
            return makeError(QStringLiteral("StoreError"),
                QStringLiteral("cannot use WAL for ") % path % QStringLiteral(" (journal mode is ")
                    % mode % QLatin1Char(')'),
                500);
        }
    }
    const Result<void> pragmas = db->exec(options.synchronousFull
            ? "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON"
            : "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON");
    if (!pragmas)
        return pragmas.error();
    return db;
}

Result<void> Database::exec(std::string_view sql)
{
    const char *pos = sql.data();
    const char *const end = sql.data() + sql.size();
    while (pos < end) {
        sqlite3_stmt *raw = nullptr;
        const char *tail = nullptr;
        if (sqlite3_prepare_v2(m_db, pos, int(end - pos), &raw, &tail) != SQLITE_OK) {
            return storeError(m_db,
                QStringLiteral("prepare ")
                    + sqlForMessage(std::string_view(pos, size_t(end - pos))));
        }
        if (!raw) // only whitespace or a comment was left
            break;
        Statement statement(raw, this);
        const Result<void> done = statement.exec();
        if (!done)
            return done;
        pos = tail;
    }
    return {};
}

Result<void> Database::exec(Control which)
{
    static constexpr std::string_view kSql[] = {"BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"};
    const auto index = size_t(which);
    sqlite3_stmt *&statement = m_control[index];
    if (!statement
        && sqlite3_prepare_v3(m_db, kSql[index].data(), int(kSql[index].size()),
               SQLITE_PREPARE_PERSISTENT, &statement, nullptr)
            != SQLITE_OK) {
        return storeError(m_db, QStringLiteral("prepare ") + QLatin1StringView(kSql[index]));
    }
    const int rc = sqlite3_step(statement);
    sqlite3_reset(statement);
    if (rc != SQLITE_DONE)
        return storeError(m_db, QLatin1StringView(kSql[index]));
    return {};
}

Result<Statement *> Database::cached(const char *sql)
{
    auto it = m_cached.find(sql);
    if (it == m_cached.end()) {
        auto prepared = prepare(sql);
        if (!prepared)
            return prepared.error();
        it = m_cached.emplace(sql, std::make_unique<Statement>(std::move(*prepared))).first;
    }
    it->second->reset();
    return it->second.get();
}

Result<Statement> Database::prepare(std::string_view sql)
{
    sqlite3_stmt *raw = nullptr;
    const char *tail = nullptr;
    if (sqlite3_prepare_v2(m_db, sql.data(), int(sql.size()), &raw, &tail) != SQLITE_OK)
        return storeError(m_db, QStringLiteral("prepare ") + sqlForMessage(sql));
    Statement statement(raw, this);
    if (!raw) {
        return makeError(QStringLiteral("StoreError"),
            QStringLiteral("prepare: no statement in: ") + sqlForMessage(sql), 500);
    }
    // Anything after the first statement would be silently ignored; that is a bug.
    if (!isBlankTail(tail, sql.data() + sql.size())) {
        return makeError(QStringLiteral("StoreError"),
            QStringLiteral("prepare takes one statement, got more in: ") + sqlForMessage(sql), 500);
    }
    return statement;
}

qint64 Database::lastInsertRowId() const
{
    return sqlite3_last_insert_rowid(m_db);
}

int Database::changes() const
{
    return sqlite3_changes(m_db);
}

Result<QString> Database::integrityCheck()
{
    Result<Statement> check = prepare("PRAGMA integrity_check(1)");
    if (!check)
        return check.error();
    const Result<bool> row = check->step();
    if (!row)
        return row.error();
    const QString answer = *row ? check->text(0) : QStringLiteral("no answer");
    check->reset();
    return answer;
}

Result<int> Database::userVersion()
{
    Result<Statement> query = prepare("PRAGMA user_version");
    if (!query)
        return query.error();
    const Result<bool> row = query->step();
    if (!row)
        return row.error();
    const int version = *row ? int(query->int64(0)) : 0;
    query->reset();
    return version;
}

Error Database::lastError(const QString &context) const
{
    return storeError(m_db, context);
}

// ---- Transaction ----

Transaction::Transaction(Database &db)
    : m_db(db)
    , m_began(db.exec(Database::Control::BeginImmediate))
    , m_open(m_began.ok())
{ }

Transaction::~Transaction()
{
    rollback();
}

Result<void> Transaction::commit()
{
    if (!m_began)
        return m_began.error();
    if (!m_open) {
        return makeError(QStringLiteral("StoreError"),
            QStringLiteral("commit: the transaction has already ended"), 500);
    }
    const Result<void> committed = m_db.exec(Database::Control::Commit);
    // A failed COMMIT (e.g. busy) leaves the transaction open: the destructor rolls it back.
    if (committed)
        m_open = false;
    return committed;
}

void Transaction::rollback()
{
    if (!m_open)
        return;
    m_open = false;
    // Some errors (I/O, full disk) make SQLite roll back by itself; a second ROLLBACK would
    // only report "no transaction is active".
    if (sqlite3_get_autocommit(m_db.handle()))
        return;
    const Result<void> rolledBack = m_db.exec(Database::Control::Rollback);
    if (!rolledBack)
        qCWarning(lcStore, "%s", qUtf8Printable(rolledBack.error().message));
}

// ---- migrate ----

Result<void> migrate(Database &db, const std::vector<Migration> &migrations)
{
    int previous = 0;
    for (const Migration &m : migrations) {
        if (m.version <= previous) {
            return makeError(QStringLiteral("StoreError"),
                QStringLiteral("migrations must be numbered from 1 upwards; %1 "
                               "follows %2")
                    .arg(m.version)
                    .arg(previous),
                500);
        }
        previous = m.version;
    }
    const int latest = previous;

    const Result<int> current = db.userVersion();
    if (!current)
        return current.error();
    if (*current > latest) {
        return makeError(QStringLiteral("StoreError"),
            QStringLiteral("%1 has schema version %2 but this Tarmac knows only up "
                           "to %3; it was written by a newer Tarmac")
                .arg(db.path())
                .arg(*current)
                .arg(latest),
            500);
    }

    for (const Migration &m : migrations) {
        if (m.version <= *current)
            continue;
        Transaction transaction(db);
        if (!transaction.began())
            return transaction.began().error();
        // Another process may have migrated between our read and BEGIN IMMEDIATE.
        const Result<int> now = db.userVersion();
        if (!now)
            return now.error();
        if (*now >= m.version)
            continue;
        const QString context = QStringLiteral("migration %1").arg(m.version);
        if (const Result<void> applied = db.exec(m.sql); !applied) {
            Error error = applied.error();
            error.message = context % QStringLiteral(": ") % error.message;
            return error;
        }
        // user_version lives in the database header, so it commits or rolls back with the
        // migration's own changes.
        const std::string setVersion = "PRAGMA user_version = " + std::to_string(m.version);
        if (const Result<void> recorded = db.exec(setVersion); !recorded)
            return recorded;
        if (const Result<void> committed = transaction.commit(); !committed)
            return committed;
    }
    return {};
}

} // namespace tarmac
