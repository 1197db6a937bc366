#include "services/stepfunctions/sfnstore.h"
#include "store/database.h"
#include "store/store.h"

#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;

// Step Functions' rows: the history kept as JSON lines, one chunk per save, and the migration
// from the row-per-event table of earlier versions.
class TestSfnStore : public QObject
{
    Q_OBJECT

private slots:
    void linesRoundTrip();
    void chunksAreReadInOrder();
    void rowsPerEventAreMigrated();
    void scopeMarks();
    void mapRunsAndTheirChildren();
};

namespace {

const QString kArn = QStringLiteral("arn:aws:states:us-east-1:000000000000:execution:m:e1");

SfnExecution execution()
{
    SfnExecution e;
    e.arn = kArn;
    e.machineArn = QStringLiteral("arn:aws:states:us-east-1:000000000000:stateMachine:m");
    e.name = QStringLiteral("e1");
    e.input = "{}";
    return e;
}

} // namespace

void TestSfnStore::linesRoundTrip()
{
    QByteArray lines;
    appendHistoryLine(lines, 1, 1000, QStringLiteral("ExecutionStarted"),
        R"({"executionStartedEventDetails":{"input":"{\"a\":\"é\\n\"}"}})");
    appendHistoryLine(lines, 2, 1001, QStringLiteral("PassStateEntered"), "{}");
    lines += "not json\n{\"id\":\"x\"}\n"; // skipped, or read with what can be read
    appendHistoryLine(lines, 2, 1002, QStringLiteral("PassStateEntered"), "{\"again\":1}");
    QMap<int, SfnHistoryEvent> byId;
    readHistoryLines(lines, byId);
    QCOMPARE(byId.size(), 3); // 0 (the line whose id is not a number), 1, 2
    const SfnHistoryEvent &first = byId.value(1);
    QCOMPARE(first.previousId, 0);
    QCOMPARE(first.timestampMs, qint64(1000));
    QCOMPARE(first.type, QStringLiteral("ExecutionStarted"));
    QCOMPARE(first.details["executionStartedEventDetails"]["input"].get<std::string>(),
        std::string("{\"a\":\"é\\n\"}"));
    QCOMPARE(byId.value(2).previousId, 1);
    QCOMPARE(byId.value(2).timestampMs, qint64(1002)); // the later line of the same id
    QCOMPARE(byId.value(2).details["again"].get<int>(), 1);
}

void TestSfnStore::chunksAreReadInOrder()
{
    QTemporaryDir dir;
    auto opened = Store::open(dir.path());
    QVERIFY(opened);
    SfnStore store(opened->get());
    QVERIFY(store.open());
    SfnExecution e = execution();
    QVERIFY(store.saveExecution(e));
    QByteArray second, first;
    appendHistoryLine(second, 3, 30, QStringLiteral("PassStateExited"), "{}");
    appendHistoryLine(first, 1, 10, QStringLiteral("ExecutionStarted"), "{}");
    appendHistoryLine(first, 2, 20, QStringLiteral("PassStateEntered"), "{}");
    e.checkpointState = QStringLiteral("P1");
    QVERIFY(store.saveProgress({{&e.arn, &second, 3, nullptr}}));
    QVERIFY(store.saveProgress({{&e.arn, &first, 1, &e}}));
    auto history = store.history(kArn);
    QVERIFY(history);
    QCOMPARE(history->size(), 3);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(history->at(i).id, i + 1);
    QCOMPARE(history->at(2).type, QStringLiteral("PassStateExited"));
    auto executions = store.executions();
    QVERIFY(executions && executions->size() == 1);
    QCOMPARE(executions->first().checkpointState, QStringLiteral("P1"));
    QVERIFY(store.history(QStringLiteral("arn:none"))->isEmpty());
}

void TestSfnStore::rowsPerEventAreMigrated()
{
    QTemporaryDir dir;
    auto opened = Store::open(dir.path());
    QVERIFY(opened);
    Store &db = **opened;
    SfnStore store(&db);
    QVERIFY(store.open());
    // The database as version 2 left it: a row per event.
    auto downgraded = db.write([](Database &d) -> Result<void> {
        const QByteArray sql
            = "DROP TABLE sfn_history_chunks; DROP TABLE sfn_scope_marks; DROP TABLE sfn_map_runs;"
              "ALTER TABLE sfn_executions DROP COLUMN map_run_arn;"
              "CREATE TABLE sfn_history (execution_arn TEXT NOT NULL, id INTEGER NOT "
              "NULL, previous_id INTEGER NOT NULL, timestamp_ms INTEGER NOT NULL, type "
              "TEXT NOT NULL, details BLOB NOT NULL, PRIMARY KEY (execution_arn, id));"
              "INSERT INTO sfn_history VALUES ('"
            + kArn.toUtf8()
            + "', 2, 1, 20, 'PassStateEntered', "
              "CAST('{\"stateEnteredEventDetails\":{\"name\":\"P1\",\"input\":\"{}\"}}' AS BLOB));"
              "INSERT INTO sfn_history VALUES ('"
            + kArn.toUtf8()
            + "', 1, 0, 10, 'ExecutionStarted', CAST('{}' AS BLOB));"
              "UPDATE schema_versions SET version = 2 WHERE module = 'stepfunctions';";
        return d.exec(sql.toStdString());
    });
    QVERIFY2(downgraded, qPrintable(downgraded ? QString() : downgraded.error().message));
    auto migrated = store.open();
    QVERIFY2(migrated, qPrintable(migrated ? QString() : migrated.error().message));
    auto history = store.history(kArn);
    QVERIFY(history);
    QCOMPARE(history->size(), 2);
    QCOMPARE(history->at(0).type, QStringLiteral("ExecutionStarted"));
    QCOMPARE(history->at(1).id, 2);
    QCOMPARE(history->at(1).previousId, 1);
    QCOMPARE(history->at(1).timestampMs, qint64(20));
    QCOMPARE(history->at(1).details["stateEnteredEventDetails"]["name"].get<std::string>(),
        std::string("P1"));
}

void TestSfnStore::scopeMarks()
{
    QTemporaryDir dir;
    auto opened = Store::open(dir.path());
    QVERIFY(opened);
    SfnStore store(opened->get());
    QVERIFY(store.open());
    const QChar sep(SfnScopeMark::separator);
    const QString a0 = QStringLiteral("A") + sep + QStringLiteral("0");
    const QString a1 = QStringLiteral("A") + sep + QStringLiteral("1");
    const QString inner = a0 + sep + QStringLiteral("B") + sep + QStringLiteral("0");
    const QList<SfnScopeMark> marks {{a0, QStringLiteral("B"), "{}", "{}", QString(), QByteArray()},
        {inner, QStringLiteral("X"), "{\"n\":1}", "{}", QString(), QByteArray()},
        {a1, QString(), QByteArray(), "{}", QStringLiteral("SUCCEEDED"), "[1]"}};
    const QString arn = kArn;
    SfnStore::Progress put;
    put.executionArn = &arn;
    put.marks = &marks;
    QVERIFY(store.saveProgress({put}));
    auto read = store.scopeMarks(kArn);
    QVERIFY(read);
    QCOMPARE(read->size(), 3);
    // A branch left B: the marks under it go, its own and its sibling's stay.
    const QStringList prefixes {a0 + sep};
    SfnStore::Progress clear;
    clear.executionArn = &arn;
    clear.clearPrefixes = &prefixes;
    QVERIFY(store.saveProgress({clear}));
    read = store.scopeMarks(kArn);
    QVERIFY(read);
    QStringList keys;
    for (const SfnScopeMark &m : *read)
        keys << m.key;
    keys.sort();
    QCOMPARE(keys, QStringList({a0, a1}));
    // The top-level state changed: all of them go.
    SfnStore::Progress all;
    all.executionArn = &arn;
    all.clearMarks = true;
    QVERIFY(store.saveProgress({all}));
    QVERIFY(store.scopeMarks(kArn)->isEmpty());
}

// A Map Run saved, updated and read back; a child execution keeps its Map Run's ARN and is
// found by its own.
void TestSfnStore::mapRunsAndTheirChildren()
{
    QTemporaryDir dir;
    auto opened = Store::open(dir.path());
    QVERIFY(opened);
    SfnStore store(opened->get());
    QVERIFY(store.open());
    SfnMapRun run;
    run.arn = QStringLiteral("arn:aws:states:us-east-1:000000000000:mapRun:m/L:r1");
    run.executionArn = kArn;
    run.stateKey = QStringLiteral("Each");
    run.machineArn = QStringLiteral("arn:aws:states:us-east-1:000000000000:stateMachine:m/L");
    run.startMs = 100;
    run.maxConcurrency = 2;
    run.toleratedFailurePercentage = 12.5;
    run.toleratedFailureCount = 3;
    run.executions.total = run.executions.pending = 4;
    run.items.total = run.items.pending = 9;
    QVERIFY(store.saveMapRun(run));
    run.executions.move(QStringLiteral("PENDING"), QStringLiteral("RUNNING"));
    run.executions.move(QStringLiteral("RUNNING"), QStringLiteral("FAILED"));
    run.items.move(QStringLiteral("PENDING"), QStringLiteral("SUCCEEDED"), 5);
    run.status = QStringLiteral("FAILED");
    run.stopMs = 200;
    run.maxConcurrency = 7;
    QVERIFY(store.saveMapRun(run));
    auto runs = store.mapRuns();
    QVERIFY(runs);
    QCOMPARE(runs->size(), 1);
    const SfnMapRun &r = runs->first();
    QCOMPARE(r.arn, run.arn);
    QCOMPARE(r.executionArn, kArn);
    QCOMPARE(r.stateKey, QStringLiteral("Each"));
    QCOMPARE(r.machineArn, run.machineArn);
    QCOMPARE(r.status, QStringLiteral("FAILED"));
    QCOMPARE(r.startMs, 100);
    QCOMPARE(r.stopMs, 200);
    QCOMPARE(r.maxConcurrency, 7);
    QCOMPARE(r.toleratedFailurePercentage, 12.5);
    QCOMPARE(r.toleratedFailureCount, 3);
    QCOMPARE(r.executions.pending, 3);
    QCOMPARE(r.executions.failed, 1);
    QCOMPARE(r.executions.running, 0);
    QCOMPARE(r.executions.total, 4);
    QCOMPARE(r.items.pending, 4);
    QCOMPARE(r.items.succeeded, 5);
    QCOMPARE(r.items.toJson()["total"].get<qint64>(), 9);

    SfnExecution child = execution();
    child.arn = QStringLiteral("arn:aws:states:us-east-1:000000000000:execution:m/L:c1");
    child.mapRunArn = run.arn;
    QVERIFY(store.saveExecution(child));
    auto found = store.execution(child.arn);
    QVERIFY(found && *found);
    QCOMPARE((*found)->mapRunArn, run.arn);
    QVERIFY(store.execution(QStringLiteral("arn:none"))
        && !*store.execution(QStringLiteral("arn:none")));
}

QTEST_GUILESS_MAIN(TestSfnStore)
#include "tst_sfnstore.moc"
