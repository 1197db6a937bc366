#include "store/store.h"

#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>

#include <sqlite3.h>

using namespace tarmac;

class TestStore : public QObject
{
    Q_OBJECT
private slots:
    // A snapshot's copy of the rows, and putting it back (or nothing: a reset) in place of
    // every module's rows, migrations and counters untouched.
    void copyAndReplaceRows()
    {
        QTemporaryDir dir;
        auto opened = Store::open(dir.path());
        QVERIFY(opened);
        Store &store = **opened;
        const std::vector<Migration> m = {{1,
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);"
            "CREATE TABLE \"odd name\" (v);"}};
        QVERIFY(store.migrateModule(QStringLiteral("m"), m));
        const auto exec = [&](const char *sql) {
            return store.write([&](Database &db) { return db.exec(sql); });
        };
        const auto rows = [&](const char *sql) {
            return store.write([&](Database &db) {
                QStringList out;
                auto s = db.prepare(sql);
                if (s)
                    (void)s->forEachRow([&] { out.append(s->text(0)); });
                return out.join(u',');
            });
        };
        QVERIFY(
            exec("INSERT INTO t (v) VALUES ('a'), ('b'); INSERT INTO \"odd name\" VALUES (1);"));
        const QString copy = dir.filePath(QStringLiteral("snap.db"));
        QVERIFY(store.copyInto(copy));
        QVERIFY(exec("INSERT INTO t (v) VALUES ('c'); DELETE FROM t WHERE v = 'a';"));
        QCOMPARE(rows("SELECT v FROM t ORDER BY id"), QStringLiteral("b,c"));

        QVERIFY(store.replaceRows(copy));
        QCOMPARE(rows("SELECT v FROM t ORDER BY id"), QStringLiteral("a,b"));
        QCOMPARE(rows("SELECT v FROM \"odd name\""), QStringLiteral("1"));
        // The counter does not go back: a new row never takes a restored row's id.
        QVERIFY(exec("INSERT INTO t (v) VALUES ('d');"));
        QCOMPARE(rows("SELECT id FROM t WHERE v = 'd'"), QStringLiteral("4"));
        QCOMPARE(
            rows("SELECT version FROM schema_versions WHERE module = 'm'"), QStringLiteral("1"));

        QVERIFY(store.replaceRows(QString()));
        QCOMPARE(rows("SELECT v FROM t"), QString());
        QCOMPARE(rows("SELECT v FROM \"odd name\""), QString());
        QCOMPARE(
            rows("SELECT version FROM schema_versions WHERE module = 'm'"), QStringLiteral("1"));
        // A copy that is not a database fails whole, and leaves the rows alone.
        QVERIFY(exec("INSERT INTO t (v) VALUES ('e');"));
        QFile junk(dir.filePath(QStringLiteral("junk.db")));
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("not a database at all, not even close......................");
        junk.close();
        QVERIFY(!store.replaceRows(junk.fileName()));
        QCOMPARE(rows("SELECT v FROM t"), QStringLiteral("e"));
    }

    void modulesMigrateIndependently()
    {
        QTemporaryDir dir;
        {
            auto store = Store::open(dir.path());
            QVERIFY(store);
            const std::vector<Migration> a
                = {{1, "CREATE TABLE a1 (x);"}, {2, "CREATE TABLE a2 (x);"}};
            const std::vector<Migration> b = {{1, "CREATE TABLE b1 (x);"}};
            QVERIFY((*store)->migrateModule(QStringLiteral("a"), a));
            QVERIFY((*store)->migrateModule(QStringLiteral("b"), b));
            // Applying again is a no-op (tables would already exist otherwise).
            QVERIFY((*store)->migrateModule(QStringLiteral("a"), a));
            const std::vector<Migration> a3 = {{1, "CREATE TABLE a1 (x);"},
                {2, "CREATE TABLE a2 (x);"}, {3, "CREATE TABLE a3 (x);"}};
            QVERIFY((*store)->migrateModule(QStringLiteral("a"), a3));
        }
        auto store = Store::open(dir.path());
        QVERIFY(store);
        const qint64 tables = (*store)->write([](Database &db) {
            auto st = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name "
                                 "IN ('a1','a2','a3','b1')");
            return st && *st->step() ? st->int64(0) : -1;
        });
        QCOMPARE(tables, qint64(4));
    }

    void failingMigrationLeavesNothing()
    {
        QTemporaryDir dir;
        auto store = Store::open(dir.path());
        QVERIFY(store);
        const std::vector<Migration> bad
            = {{1, "CREATE TABLE ok (x);"}, {2, "CREATE TABLE broken (;"}};
        const auto r = (*store)->migrateModule(QStringLiteral("m"), bad);
        QVERIFY(!r);
        QVERIFY(r.error().message.contains(QLatin1String("migration 2 of m")));
        const qint64 version = (*store)->write([](Database &db) {
            auto st = db.prepare("SELECT version FROM schema_versions WHERE module = 'm'");
            return st && *st->step() ? st->int64(0) : -1;
        });
        QCOMPARE(version, qint64(1));
        // A gap in the numbering is refused.
        const std::vector<Migration> gap = {{3, "CREATE TABLE g (x);"}};
        QVERIFY(!(*store)->migrateModule(QStringLiteral("m"), gap));
    }

    // The WAL is copied back into the database by the checkpointer thread, not by the
    // committing writer: after a burst past kCheckpointFrames (and far below the mark where
    // the writer steps in itself), the database file fills while nobody writes.
    void checkpointerCopiesTheWalBack()
    {
        QTemporaryDir dir;
        const QString database = dir.path() + QStringLiteral("/tarmac.db");
        const QByteArray value(3000, 'w');
        const int commits = Store::kCheckpointFrames + Store::kCheckpointFrames / 2;
        std::atomic<int> hookCalls {0};
        std::atomic<qint64> sizeAtFirstHook {-1};
        {
            auto store = Store::open(dir.path());
            QVERIFY(store);
            QVERIFY((*store)->write(
                [](Database &db) { return db.exec("CREATE TABLE t (n, v)").ok(); }));
            const qint64 before = QFileInfo(database).size();
            // Hooks run before the checkpoint copies anything (a module syncs its files there).
            (*store)->addCheckpointHook([&] {
                if (hookCalls++ == 0)
                    sizeAtFirstHook = QFileInfo(database).size();
            });
            for (int i = 0; i < commits; ++i) {
                const bool ok = (*store)->write([&](Database &db) {
                    auto insert = db.prepare("INSERT INTO t VALUES (?1, ?2)");
                    return insert && insert->bind(1, qint64(i)).bind(2, value).exec().ok();
                });
                QVERIFY(ok);
            }
            QVERIFY(QFileInfo(dir.path() + QStringLiteral("/tarmac.db-wal")).size()
                > qint64(Store::kCheckpointFrames) * 4096);
            QTRY_VERIFY_WITH_TIMEOUT(
                QFileInfo(database).size() > before + qint64(commits) * 3000 / 2, 10000);
            QCOMPARE(sizeAtFirstHook.load(), before);
            QVERIFY(hookCalls >= 1);
        }
        QVERIFY(hookCalls >= 2); // and once more when the store closes
        auto store = Store::open(dir.path());
        QVERIFY(store);
        const qint64 rows = (*store)->write([](Database &db) -> qint64 {
            auto count = db.prepare("SELECT count(*) FROM t");
            return count && count->step().ok() ? count->int64(0) : -1;
        });
        QCOMPARE(rows, qint64(commits));
    }

    // The state folder's lock keeps other processes out, so the store's connections lock the
    // file once for the process ("unix-excl") and keep the WAL index in memory: no file lock
    // per transaction. Readers of this process still see each commit at once; another process
    // is refused while the store is open, and reads the file as usual once it has closed.
    void connectionsShareOneProcessLock()
    {
        QTemporaryDir dir;
        const QString database = dir.path() + QStringLiteral("/tarmac.db");
        const auto vfsOf = [](Database &db) {
            char *name = nullptr;
            sqlite3_file_control(db.handle(), "main", SQLITE_FCNTL_VFSNAME, &name);
            const QByteArray result(name);
            sqlite3_free(name);
            return result;
        };
        const auto countFromAnotherProcess = [&] {
            QProcess python;
            python.start(QStringLiteral("python3"),
                {QStringLiteral("-c"),
                    QStringLiteral("import sqlite3,sys\n"
                                   "c = sqlite3.connect(sys.argv[1], timeout=0.2)\n"
                                   "try: print(c.execute('SELECT count(*) FROM t').fetchone()[0])\n"
                                   "except sqlite3.OperationalError as e: print(e)"),
                    database});
            python.waitForFinished(20000);
            return python.readAllStandardOutput().trimmed();
        };
        {
            auto opened = Store::open(dir.path());
            QVERIFY(opened);
            Store &store = **opened;
            QVERIFY(store.migrateModule(QStringLiteral("t"), {{1, "CREATE TABLE t (n INTEGER);"}}));
            auto reader = store.openReader();
            QVERIFY(reader);
            QCOMPARE(vfsOf(**reader), QByteArray("unix-excl"));
            QCOMPARE(store.write([&](Database &db) { return vfsOf(db); }), QByteArray("unix-excl"));
            for (int i = 1; i <= 3; ++i) {
                QVERIFY(store.write(
                    [](Database &db) { return db.exec("INSERT INTO t VALUES (1)").ok(); }));
                auto count = (*reader)->prepare("SELECT count(*) FROM t");
                QVERIFY(count && *count->step());
                QCOMPARE(count->int64(0), qint64(i));
            }
            QCOMPARE(countFromAnotherProcess(), QByteArray("database is locked"));
        }
        QCOMPARE(countFromAnotherProcess(), QByteArray("3"));
    }

    void writesFromManyThreadsAreSerialised()
    {
        QTemporaryDir dir;
        auto opened = Store::open(dir.path());
        QVERIFY(opened);
        Store &store = **opened;
        QVERIFY(store.migrateModule(QStringLiteral("t"), {{1, "CREATE TABLE t (n INTEGER);"}}));
        QList<QThread *> threads;
        for (int i = 0; i < 4; ++i) {
            threads.append(QThread::create([&store] {
                for (int k = 0; k < 250; ++k) {
                    const bool ok = store.write(
                        [](Database &db) { return db.exec("INSERT INTO t VALUES (1)").ok(); });
                    Q_ASSERT(ok);
                    Q_UNUSED(ok);
                }
            }));
            threads.last()->start();
        }
        for (QThread *t : threads) {
            t->wait();
            delete t;
        }
        auto reader = store.openReader();
        QVERIFY(reader);
        auto st = (*reader)->prepare("SELECT count(*) FROM t");
        QVERIFY(st && *st->step());
        QCOMPARE(st->int64(0), qint64(1000));
    }
};

QTEST_GUILESS_MAIN(TestStore)
#include "tst_store.moc"
