#pragma once

#include "base/result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <functional>
#include <map>
#include <memory>
#include <string_view>
#include <type_traits>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace tarmac {

class Database;

// A prepared statement. Bind indexes are 1-based as in SQLite. Reset happens automatically
// when step() reports done or when bind is called after a step, so a Statement kept in a
// member is reused on hot paths without re-preparing.
class Statement
{
public:
    Statement() = default;
    ~Statement();
    Statement(Statement &&other) noexcept;
    Statement &operator=(Statement &&other) noexcept;
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;

    bool isValid() const { return m_stmt != nullptr; }

    Statement &bind(int index, qint64 value);
    Statement &bind(int index, int value) { return bind(index, qint64(value)); }
    Statement &bind(int index, double value);
    Statement &bind(int index, const QString &value);
    Statement &bind(int index, const QByteArray &value); // as a BLOB
    Statement &bind(int index, std::string_view text); // as TEXT
    // TEXT or a BLOB that SQLite reads where it is instead of copying it: the bytes must stay
    // as they are until the statement has run (exec(), or step() until done), and must be
    // bound again before it runs again.
    Statement &bindInPlace(int index, std::string_view text);
    Statement &bindBlobInPlace(int index, QByteArrayView bytes);
    Statement &bindNull(int index);

    // Steps once: true when a row is available, false when done. Errors come back as Error.
    Result<bool> step();
    // Steps to completion (for statements that return no rows).
    Result<void> exec()
    {
        return forEachRow([] {});
    }
    // Calls row() for each row (it reads the columns from this statement); a row() that
    // returns bool stops the walk by returning false.
    template<typename F>
    Result<void> forEachRow(F &&row)
    {
        for (;;) {
            const Result<bool> more = step();
            if (!more)
                return more.error();
            if (!*more)
                return {};
            if constexpr (std::is_same_v<std::invoke_result_t<F>, bool>) {
                if (!row()) {
                    reset();
                    return {};
                }
            } else {
                row();
            }
        }
    }
    void reset();

    int columnCount() const;
    bool isNull(int column) const;
    qint64 int64(int column) const;
    double real(int column) const;
    QString text(int column) const;
    QByteArray blob(int column) const;

private:
    friend class Database;
    Statement(sqlite3_stmt *stmt, Database *db)
        : m_stmt(stmt)
        , m_db(db)
    { }
    bool beginBind();
    Statement &endBind(int rc);
    sqlite3_stmt *m_stmt = nullptr;
    Database *m_db = nullptr;
    bool m_needsReset = false;
    int m_bindError = 0; // the first failed bind, reported by the next step()
};

// One SQLite connection (WAL). Not thread-safe: a connection belongs to one thread at a
// time. The engine owns one writer connection; readers open their own with readOnly.
// It does not hide SQL; it makes errors Results and statements RAII.
class Database
{
public:
    struct Options
    {
        bool readOnly = false;
        int busyTimeoutMs = 5000;
        // synchronous=NORMAL in WAL is durable across a process crash (kill -9); FULL also
        // across power loss.
        bool synchronousFull = false;
        // Only this process opens the file (the state folder's lock says so): SQLite's
        // "unix-excl" VFS then locks the file once, for the process, and keeps the WAL's
        // index in memory, so a transaction takes no file locks (six fcntl calls per write
        // commit, two per read, otherwise). Connections of this process share it as usual.
        bool processExclusive = false;
    };

    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    static Result<std::unique_ptr<Database>> open(const QString &path, const Options &options);
    static Result<std::unique_ptr<Database>> open(const QString &path)
    {
        return open(path, Options {});
    }

    Result<void> exec(std::string_view sql); // one or more statements, no rows
    Result<Statement> prepare(std::string_view sql);
    // The same statement prepared once per connection and kept, for hot paths (a send's
    // INSERT): keyed by the text's address, so `sql` must be a string literal. Handed out
    // reset; valid until the connection closes; one user at a time (the connection's thread,
    // which also finalizes it).
    Result<Statement *> cached(const char *sql);
    // The statements every transaction runs, prepared once per connection instead of
    // parsed per call (Transaction uses them).
    enum class Control { BeginImmediate, Commit, Rollback };
    Result<void> exec(Control which);
    qint64 lastInsertRowId() const;
    int changes() const;
    QString path() const { return m_path; }
    sqlite3 *handle() const { return m_db; }

    // PRAGMA integrity_check: "ok" or the first problem.
    Result<QString> integrityCheck();
    // PRAGMA user_version: the number of the last migration applied.
    Result<int> userVersion();

    Error lastError(const QString &context = {}) const;

private:
    Database() = default;
    sqlite3 *m_db = nullptr;
    sqlite3_stmt *m_control[3] = {};
    std::map<const char *, std::unique_ptr<Statement>> m_cached;
    QString m_path;
};

// A scoped transaction: rolls back in its destructor unless commit() succeeded.
// BEGIN IMMEDIATE, so a writer takes the write lock up front.
class Transaction
{
public:
    explicit Transaction(Database &db);
    ~Transaction();
    Transaction(const Transaction &) = delete;
    Transaction &operator=(const Transaction &) = delete;

    // Whether BEGIN succeeded; a transaction that did not begin commits nothing.
    const Result<void> &began() const { return m_began; }
    Result<void> commit();
    void rollback();

private:
    Database &m_db;
    Result<void> m_began;
    bool m_open = false;
};

// Numbered schema migrations: each runs once, in order, in its own transaction, and
// records its number in PRAGMA user_version. A database newer than the code is an error.
// Versions must be ascending and start above 0. Because each runs inside BEGIN IMMEDIATE,
// a migration cannot change journal_mode or VACUUM.
struct Migration
{
    int version;
    const char *sql;
};

Result<void> migrate(Database &db, const std::vector<Migration> &migrations);

} // namespace tarmac
