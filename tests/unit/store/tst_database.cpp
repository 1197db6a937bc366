#include "store/database.h"

#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <limits>

using namespace tarmac;

namespace {

// What a row of bindAndReadEveryType binds, and how.
enum class Kind { Int64, Real, String, Blob, Text, Null };

} // namespace

Q_DECLARE_METATYPE(Kind)

class TestDatabase : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<Database> m_db;

    QString dbPath() const { return m_dir.filePath(QStringLiteral("test.db")); }

    static std::unique_ptr<Database> openOrFail(
        const QString &path, const Database::Options &options = {})
    {
        Result<std::unique_ptr<Database>> db = Database::open(path, options);
        if (!db) {
            qWarning("%s", qUtf8Printable(db.error().message));
            return nullptr;
        }
        return std::move(db).value();
    }

    qint64 scalar(Database &db, std::string_view sql)
    {
        Result<Statement> query = db.prepare(sql);
        if (!query)
            return -1;
        const Result<bool> row = query->step();
        return row && *row ? query->int64(0) : -1;
    }

    QString pragmaText(Database &db, std::string_view sql)
    {
        Result<Statement> query = db.prepare(sql);
        if (!query)
            return {};
        const Result<bool> row = query->step();
        return row && *row ? query->text(0) : QString();
    }

private slots:
    void init()
    {
        QVERIFY(m_dir.isValid());
        QFile::remove(dbPath());
        QFile::remove(dbPath() + QStringLiteral("-wal"));
        QFile::remove(dbPath() + QStringLiteral("-shm"));
        m_db = openOrFail(dbPath());
        QVERIFY(m_db);
    }

    void cleanup() { m_db.reset(); }

    void openSetsPragmas_data()
    {
        QTest::addColumn<bool>("synchronousFull");
        QTest::addColumn<qint64>("synchronous");
        QTest::newRow("normal") << false << qint64(1);
        QTest::newRow("full") << true << qint64(2);
    }

    void openSetsPragmas()
    {
        QFETCH(bool, synchronousFull);
        QFETCH(qint64, synchronous);
        m_db.reset();
        Database::Options options;
        options.synchronousFull = synchronousFull;
        m_db = openOrFail(dbPath(), options);
        QVERIFY(m_db);
        QVERIFY(QFileInfo::exists(dbPath()));
        QCOMPARE(m_db->path(), dbPath());
        QCOMPARE(pragmaText(*m_db, "PRAGMA journal_mode"), QStringLiteral("wal"));
        QCOMPARE(scalar(*m_db, "PRAGMA synchronous"), synchronous);
        QCOMPARE(scalar(*m_db, "PRAGMA foreign_keys"), qint64(1));
        QCOMPARE(scalar(*m_db, "PRAGMA busy_timeout"), qint64(5000));
        const Result<QString> check = m_db->integrityCheck();
        QVERIFY(check);
        QCOMPARE(*check, QStringLiteral("ok"));
    }

    void cachedStatementsArePreparedOnce()
    {
        QVERIFY(m_db->exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"));
        static const char *insert = "INSERT INTO t (k, v) VALUES (?, ?)";
        Statement *first = nullptr;
        for (int i = 1; i <= 3; ++i) {
            auto st = m_db->cached(insert);
            QVERIFY(st);
            if (!first)
                first = *st;
            QCOMPARE(*st, first); // the same statement every time
            QVERIFY((*st)->bind(1, i).bind(2, QStringLiteral("v%1").arg(i)).exec());
        }
        // Handed out reset, even when the last user stopped in the middle of the rows.
        static const char *select = "SELECT v FROM t ORDER BY k";
        auto read = m_db->cached(select);
        QVERIFY(read);
        QVERIFY(*(*read)->step());
        QCOMPARE((*read)->text(0), QStringLiteral("v1"));
        read = m_db->cached(select);
        QVERIFY(*(*read)->step());
        QCOMPARE((*read)->text(0), QStringLiteral("v1"));
        QVERIFY(!m_db->cached("SELECT nonsense FROM nowhere"));
    }

    void openFailsIsAnError()
    {
        const QString missingDir = m_dir.filePath(QStringLiteral("no/such/dir/x.db"));
        const Result<std::unique_ptr<Database>> db = Database::open(missingDir);
        QVERIFY(!db);
        QCOMPARE(db.error().code, QStringLiteral("StoreError"));
        QCOMPARE(db.error().httpStatus, 500);
        QVERIFY2(db.error().message.contains(missingDir), qPrintable(db.error().message));
    }

    void bindAndReadEveryType_data()
    {
        QTest::addColumn<Kind>("kind");
        QTest::addColumn<QVariant>("value");
        QTest::addColumn<QString>("sqlType");
        QTest::newRow("int64 zero")
            << Kind::Int64 << QVariant(qint64(0)) << QStringLiteral("integer");
        QTest::newRow("int64 max") << Kind::Int64 << QVariant(std::numeric_limits<qint64>::max())
                                   << QStringLiteral("integer");
        QTest::newRow("int64 min") << Kind::Int64 << QVariant(std::numeric_limits<qint64>::min())
                                   << QStringLiteral("integer");
        QTest::newRow("real") << Kind::Real << QVariant(3.25) << QStringLiteral("real");
        QTest::newRow("real negative") << Kind::Real << QVariant(-1e300) << QStringLiteral("real");
        QTest::newRow("string") << Kind::String << QVariant(QStringLiteral("héllo wörld ✈"))
                                << QStringLiteral("text");
        QTest::newRow("string empty")
            << Kind::String << QVariant(QString()) << QStringLiteral("text");
        QTest::newRow("blob") << Kind::Blob << QVariant(QByteArray("a\0b\xff", 4))
                              << QStringLiteral("blob");
        QTest::newRow("blob empty")
            << Kind::Blob << QVariant(QByteArray()) << QStringLiteral("blob");
        QTest::newRow("text view")
            << Kind::Text << QVariant(QByteArray("plain text")) << QStringLiteral("text");
        QTest::newRow("text view empty")
            << Kind::Text << QVariant(QByteArray()) << QStringLiteral("text");
        QTest::newRow("null") << Kind::Null << QVariant() << QStringLiteral("null");
    }

    void bindAndReadEveryType()
    {
        QFETCH(Kind, kind);
        QFETCH(QVariant, value);
        QFETCH(QString, sqlType);
        QVERIFY(m_db->exec("CREATE TABLE t(v)"));
        Result<Statement> insert = m_db->prepare("INSERT INTO t(v) VALUES (?)");
        QVERIFY(insert);
        QVERIFY(insert->isValid());
        const QByteArray bytes = value.toByteArray();
        switch (kind) {
        case Kind::Int64:
            insert->bind(1, value.toLongLong());
            break;
        case Kind::Real:
            insert->bind(1, value.toDouble());
            break;
        case Kind::String:
            insert->bind(1, value.toString());
            break;
        case Kind::Blob:
            insert->bind(1, bytes);
            break;
        case Kind::Text:
            insert->bind(1, std::string_view(bytes.constData(), size_t(bytes.size())));
            break;
        case Kind::Null:
            insert->bindNull(1);
            break;
        }
        QVERIFY(insert->exec());
        QCOMPARE(m_db->changes(), 1);
        QCOMPARE(m_db->lastInsertRowId(), qint64(1));

        Result<Statement> select = m_db->prepare("SELECT v, typeof(v) FROM t");
        QVERIFY(select);
        const Result<bool> row = select->step();
        QVERIFY(row);
        QVERIFY(*row);
        QCOMPARE(select->columnCount(), 2);
        QCOMPARE(select->text(1), sqlType);
        QCOMPARE(select->isNull(0), kind == Kind::Null);
        switch (kind) {
        case Kind::Int64:
            QCOMPARE(select->int64(0), value.toLongLong());
            break;
        case Kind::Real:
            QCOMPARE(select->real(0), value.toDouble());
            break;
        case Kind::String:
            QCOMPARE(select->text(0), value.toString());
            break;
        case Kind::Blob:
            QCOMPARE(select->blob(0), bytes);
            break;
        case Kind::Text:
            QCOMPARE(select->text(0), QString::fromUtf8(bytes));
            break;
        case Kind::Null:
            QVERIFY(select->blob(0).isEmpty());
            break;
        }
        const Result<bool> done = select->step();
        QVERIFY(done);
        QVERIFY(!*done);
    }

    void statementIsReused()
    {
        QVERIFY(m_db->exec("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)"));
        Result<Statement> insert = m_db->prepare("INSERT INTO t(k, v) VALUES (?1, ?2)");
        QVERIFY(insert);
        for (int i = 1; i <= 100; ++i) {
            insert->bind(1, i).bind(2, QString::number(i * 2));
            QVERIFY(insert->exec());
        }
        QCOMPARE(scalar(*m_db, "SELECT count(*) FROM t"), qint64(100));

        Result<Statement> lookup = m_db->prepare("SELECT v FROM t WHERE k = ?");
        QVERIFY(lookup);
        for (int k : {7, 42, 99}) {
            // Bound after a step that returned a row: the statement resets itself.
            lookup->bind(1, k);
            const Result<bool> row = lookup->step();
            QVERIFY(row && *row);
            QCOMPARE(lookup->text(0), QString::number(k * 2));
        }

        // After step() reports done the statement starts again from the first row.
        Result<Statement> all = m_db->prepare("SELECT k FROM t ORDER BY k LIMIT 3");
        QVERIFY(all);
        for (int pass = 0; pass < 2; ++pass) {
            QList<qint64> keys;
            for (;;) {
                const Result<bool> row = all->step();
                QVERIFY(row);
                if (!*row)
                    break;
                keys.append(all->int64(0));
            }
            QCOMPARE(keys, (QList<qint64> {1, 2, 3}));
        }

        // A moved-from statement is empty; the moved-to one works.
        Statement moved = std::move(*all);
        QVERIFY(!all->isValid());
        QVERIFY(moved.isValid());
        QVERIFY(!all->step());
        const Result<bool> first = moved.step();
        QVERIFY(first && *first);
    }

    void bindInPlaceReadsTheCallersBytes()
    {
        QVERIFY(m_db->exec("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT, b BLOB)"));
        Result<Statement> insert = m_db->prepare("INSERT INTO t(k, v, b) VALUES (?1, ?2, ?3)");
        QVERIFY(insert);
        // One buffer reused for every row, as the trace writer reuses it: each row stores what
        // the buffer held when it ran, and empty text is TEXT, an empty blob a BLOB, not NULL.
        QByteArray buffer;
        for (int i = 0; i < 3; ++i) {
            buffer = QByteArray("row ") + QByteArray::number(i) + "\xc3\xa9";
            const std::string_view text = i == 2
                ? std::string_view()
                : std::string_view(buffer.constData(), size_t(buffer.size()));
            insert->bind(1, i).bindInPlace(2, text).bindBlobInPlace(
                3, i == 2 ? QByteArrayView() : QByteArrayView(buffer));
            QVERIFY(insert->exec());
        }
        Result<Statement> read
            = m_db->prepare("SELECT v, typeof(v), b, typeof(b) FROM t ORDER BY k");
        QVERIFY(read);
        QStringList rows;
        QVERIFY(read->forEachRow([&] {
            rows.append(read->text(0) + u'|' + read->text(1) + u'|'
                + QString::fromUtf8(read->blob(2)) + u'|' + read->text(3));
        }));
        QCOMPARE(rows,
            QStringList({QStringLiteral("row 0é|text|row 0é|blob"),
                QStringLiteral("row 1é|text|row 1é|blob"), QStringLiteral("|text||blob")}));
    }

    void errorsAreResults_data()
    {
        QTest::addColumn<QByteArray>("sql");
        QTest::addColumn<QString>("messagePart");
        QTest::newRow("syntax") << QByteArray("SELEC 1") << QStringLiteral("syntax error");
        QTest::newRow("no table") << QByteArray("SELECT * FROM nowhere")
                                  << QStringLiteral("no such table");
        QTest::newRow("no column")
            << QByteArray("SELECT nope FROM t") << QStringLiteral("no such column");
        QTest::newRow("two statements")
            << QByteArray("SELECT 1; SELECT 2") << QStringLiteral("one statement");
        QTest::newRow("empty") << QByteArray("  ") << QStringLiteral("no statement");
    }

    void errorsAreResults()
    {
        QFETCH(QByteArray, sql);
        QFETCH(QString, messagePart);
        QVERIFY(m_db->exec("CREATE TABLE t(k INTEGER PRIMARY KEY)"));
        const std::string_view view(sql.constData(), size_t(sql.size()));
        const Result<Statement> prepared = m_db->prepare(view);
        QVERIFY(!prepared);
        QCOMPARE(prepared.error().code, QStringLiteral("StoreError"));
        QCOMPARE(prepared.error().httpStatus, 500);
        QVERIFY2(
            prepared.error().message.contains(messagePart), qPrintable(prepared.error().message));
    }

    void execErrorsAreResults()
    {
        const Result<void> bad = m_db->exec("CREATE TABLE t(k INTEGER PRIMARY KEY); SELEC 1");
        QVERIFY(!bad);
        QVERIFY2(bad.error().message.contains(QStringLiteral("syntax error")),
            qPrintable(bad.error().message));
        // Statements before the bad one ran; exec is not a transaction.
        QCOMPARE(scalar(*m_db, "SELECT count(*) FROM t"), qint64(0));
    }

    void stepErrorsAreResults()
    {
        QVERIFY(m_db->exec("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT NOT NULL)"));
        Result<Statement> insert = m_db->prepare("INSERT INTO t(k, v) VALUES (?, ?)");
        QVERIFY(insert);
        QVERIFY(insert->bind(1, 1).bind(2, QStringLiteral("a")).exec());
        const Result<void> duplicate = insert->bind(1, 1).bind(2, QStringLiteral("b")).exec();
        QVERIFY(!duplicate);
        QVERIFY2(duplicate.error().message.contains(QStringLiteral("UNIQUE")),
            qPrintable(duplicate.error().message));
        const Result<void> nullValue = insert->bind(1, 2).bindNull(2).exec();
        QVERIFY(!nullValue);
        QVERIFY2(nullValue.error().message.contains(QStringLiteral("NOT NULL")),
            qPrintable(nullValue.error().message));
        // The statement is still usable after errors.
        QVERIFY(insert->bind(1, 3).bind(2, QStringLiteral("c")).exec());

        // A bind to an index that does not exist is reported by the next step.
        const Result<void> badIndex = insert->bind(7, 1).exec();
        QVERIFY(!badIndex);
        QVERIFY2(badIndex.error().message.contains(QStringLiteral("bind")),
            qPrintable(badIndex.error().message));
        QCOMPARE(scalar(*m_db, "SELECT count(*) FROM t"), qint64(2));
    }

    void foreignKeysAreEnforced()
    {
        QVERIFY(m_db->exec("CREATE TABLE p(id INTEGER PRIMARY KEY);"
                           "CREATE TABLE c(p INTEGER REFERENCES p(id))"));
        QVERIFY(!m_db->exec("INSERT INTO c(p) VALUES (1)"));
    }

    void transactionRollsBackOnScopeExit()
    {
        QVERIFY(m_db->exec("CREATE TABLE t(k INTEGER)"));
        {
            Transaction transaction(*m_db);
            QVERIFY(transaction.began());
            QVERIFY(m_db->exec("INSERT INTO t VALUES (1)"));
            QCOMPARE(scalar(*m_db, "SELECT count(*) FROM t"), qint64(1));
        }
        QCOMPARE(scalar(*m_db, "SELECT count(*) FROM t"), qint64(0));
        // And the connection is back in autocommit mode: a new transaction can begin.
        Transaction next(*m_db);
        QVERIFY(next.began());
    }

    void transactionCommits()
    {
        QVERIFY(m_db->exec("CREATE TABLE t(k INTEGER)"));
        {
            Transaction transaction(*m_db);
            QVERIFY(m_db->exec("INSERT INTO t VALUES (1)"));
            QVERIFY(transaction.commit());
            // Committing twice, or rolling back after a commit, does nothing harmful.
            QVERIFY(!transaction.commit());
            transaction.rollback();
        }
        QCOMPARE(scalar(*m_db, "SELECT count(*) FROM t"), qint64(1));

        {
            Transaction transaction(*m_db);
            QVERIFY(m_db->exec("INSERT INTO t VALUES (2)"));
            transaction.rollback();
            QVERIFY(!transaction.commit());
        }
        QCOMPARE(scalar(*m_db, "SELECT count(*) FROM t"), qint64(1));
    }

    void nestedTransactionDoesNotBegin()
    {
        Transaction outer(*m_db);
        QVERIFY(outer.began());
        Transaction inner(*m_db);
        QVERIFY(!inner.began());
        QVERIFY(!inner.commit());
        QVERIFY(outer.commit());
    }

    void migrationsApplyOnceInOrder()
    {
        // Each migration depends on the previous one, and re-running migration 1 would fail.
        const std::vector<Migration> migrations = {
            {1, "CREATE TABLE log(step INTEGER)"},
            {2, "INSERT INTO log VALUES (2)"},
            {3, "INSERT INTO log VALUES (3); CREATE TABLE other(x)"},
        };
        const Result<void> first = migrate(*m_db, migrations);
        QVERIFY2(first, first ? "" : qPrintable(first.error().message));
        QCOMPARE(*m_db->userVersion(), 3);
        QCOMPARE(scalar(*m_db, "SELECT group_concat(step) = '2,3' FROM log"), qint64(1));

        QVERIFY(migrate(*m_db, migrations));
        QCOMPARE(scalar(*m_db, "SELECT count(*) FROM log"), qint64(2));

        // Re-opening does not re-apply; a new migration is applied alone.
        m_db.reset();
        m_db = openOrFail(dbPath());
        QVERIFY(m_db);
        QVERIFY(migrate(*m_db, migrations));
        QCOMPARE(scalar(*m_db, "SELECT count(*) FROM log"), qint64(2));
        std::vector<Migration> more = migrations;
        more.push_back({4, "INSERT INTO log VALUES (4)"});
        QVERIFY(migrate(*m_db, more));
        QCOMPARE(*m_db->userVersion(), 4);
        QCOMPARE(scalar(*m_db, "SELECT group_concat(step) = '2,3,4' FROM log"), qint64(1));
    }

    void failingMigrationRollsBack()
    {
        const std::vector<Migration> migrations = {
            {1, "CREATE TABLE a(x)"},
            {2, "CREATE TABLE b(x); INSERT INTO a VALUES (1); INSERT INTO nowhere VALUES (1)"},
            {3, "CREATE TABLE c(x)"},
        };
        const Result<void> result = migrate(*m_db, migrations);
        QVERIFY(!result);
        QCOMPARE(result.error().code, QStringLiteral("StoreError"));
        QVERIFY2(result.error().message.contains(QStringLiteral("migration 2")),
            qPrintable(result.error().message));
        QCOMPARE(*m_db->userVersion(), 1);
        QCOMPARE(scalar(*m_db, "SELECT count(*) FROM sqlite_schema WHERE name = 'b'"), qint64(0));
        QCOMPARE(scalar(*m_db, "SELECT count(*) FROM sqlite_schema WHERE name = 'c'"), qint64(0));
        QCOMPARE(scalar(*m_db, "SELECT count(*) FROM a"), qint64(0));
    }

    void newerDatabaseIsRefused()
    {
        QVERIFY(m_db->exec("PRAGMA user_version = 7"));
        const Result<void> result = migrate(*m_db, {{1, "CREATE TABLE a(x)"}});
        QVERIFY(!result);
        QVERIFY2(result.error().message.contains(QStringLiteral("newer")),
            qPrintable(result.error().message));
        QCOMPARE(*m_db->userVersion(), 7);
        QCOMPARE(scalar(*m_db, "SELECT count(*) FROM sqlite_schema"), qint64(0));
    }

    void badMigrationListIsRefused_data()
    {
        QTest::addColumn<int>("firstVersion");
        QTest::addColumn<int>("secondVersion");
        QTest::newRow("zero") << 0 << 1;
        QTest::newRow("duplicate") << 1 << 1;
        QTest::newRow("descending") << 2 << 1;
    }

    void badMigrationListIsRefused()
    {
        QFETCH(int, firstVersion);
        QFETCH(int, secondVersion);
        const Result<void> result = migrate(
            *m_db, {{firstVersion, "CREATE TABLE a(x)"}, {secondVersion, "CREATE TABLE b(x)"}});
        QVERIFY(!result);
        QCOMPARE(*m_db->userVersion(), 0);
    }

    void readOnlyCannotWrite()
    {
        QVERIFY(m_db->exec("CREATE TABLE t(k INTEGER); INSERT INTO t VALUES (1)"));
        Database::Options options;
        options.readOnly = true;
        std::unique_ptr<Database> reader = openOrFail(dbPath(), options);
        QVERIFY(reader);
        QCOMPARE(scalar(*reader, "SELECT count(*) FROM t"), qint64(1));
        const Result<void> write = reader->exec("INSERT INTO t VALUES (2)");
        QVERIFY(!write);
        QVERIFY2(write.error().message.contains(QStringLiteral("readonly")),
            qPrintable(write.error().message));
        QVERIFY(!reader->exec("CREATE TABLE u(x)"));
        QCOMPARE(scalar(*m_db, "SELECT count(*) FROM t"), qint64(1));

        // Read-only never creates a file.
        const QString missing = m_dir.filePath(QStringLiteral("missing.db"));
        QVERIFY(!Database::open(missing, options));
        QVERIFY(!QFileInfo::exists(missing));
    }

    void readerSeesCommittedDataDuringWrite()
    {
        QVERIFY(m_db->exec("CREATE TABLE t(k INTEGER); INSERT INTO t VALUES (1)"));
        Database::Options options;
        options.readOnly = true;
        options.busyTimeoutMs = 0; // any wait for the writer would fail at once
        std::unique_ptr<Database> reader = openOrFail(dbPath(), options);
        QVERIFY(reader);
        Result<Statement> count = reader->prepare("SELECT count(*) FROM t");
        QVERIFY(count);
        const auto readCount = [&count]() -> qint64 {
            const Result<bool> row = count->step();
            if (!row || !*row)
                return -1;
            const qint64 n = count->int64(0);
            count->reset();
            return n;
        };

        {
            Transaction transaction(*m_db);
            QVERIFY(transaction.began());
            QVERIFY(m_db->exec("INSERT INTO t VALUES (2)"));
            QCOMPARE(readCount(), qint64(1));
            QVERIFY(transaction.commit());
        }
        QCOMPARE(readCount(), qint64(2));

        // A second writer cannot begin while the first holds BEGIN IMMEDIATE.
        Database::Options writerOptions;
        writerOptions.busyTimeoutMs = 0;
        std::unique_ptr<Database> other = openOrFail(dbPath(), writerOptions);
        QVERIFY(other);
        Transaction holding(*m_db);
        QVERIFY(holding.began());
        Transaction blocked(*other);
        QVERIFY(!blocked.began());
        QVERIFY2(blocked.began().error().message.contains(QStringLiteral("locked")),
            qPrintable(blocked.began().error().message));
    }

    void statementOutlivesDatabase()
    {
        // Closing with a statement still alive must neither fail nor leak (ASan watches).
        Result<Statement> query = m_db->prepare("SELECT 1");
        QVERIFY(query);
        Statement kept = std::move(*query);
        m_db.reset();
        QVERIFY(kept.isValid());
    }
};

QTEST_GUILESS_MAIN(TestDatabase)
#include "tst_database.moc"
