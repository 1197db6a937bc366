// LambdaStore after the rows were replaced underneath (a reset, a snapshot restored): the
// stored functions become the rows' in the store and the runner, the ones kept in memory only
// (a template's) stay. Functions run under a runtime plugin that launches nothing.
#include "base/clock.h"
#include "functions/functionrunner.h"
#include "functions/runtimeregistry.h"
#include "services/lambda/lambdastore.h"
#include "store/store.h"

#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;

namespace {

class IdlePlugin : public RuntimePlugin
{
public:
    QString key() const override { return QStringLiteral("idle"); }
    QStringList runtimes() const override { return {QStringLiteral("idle*")}; }
    Result<RuntimeLaunch> launch(const RuntimeLaunchRequest &request) override
    {
        Q_UNUSED(request);
        return makeError(QStringLiteral("Runtime.Unavailable"), QStringLiteral("not in tests"));
    }
};

} // namespace

class TestLambdaStore : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void reloadFollowsTheRows();

private:
    LambdaFunction function(const QString &name, bool persistent) const
    {
        LambdaFunction f;
        f.config.name = name;
        f.config.runtime = QStringLiteral("idle1");
        f.config.handler = QStringLiteral("app.handler");
        f.config.codeDir = m_code.path();
        f.persistent = persistent;
        return f;
    }
    bool exec(const char *sql)
    {
        auto r = m_store->write([sql](Database &db) { return db.exec(sql); });
        if (!r)
            qWarning("%s: %s", sql, qPrintable(r.error().message));
        return bool(r);
    }

    IdlePlugin m_plugin;
    RuntimeRegistry m_registry;
    ManualClock m_clock;
    QTemporaryDir m_code;
    std::unique_ptr<QTemporaryDir> m_state;
    std::unique_ptr<Store> m_store;
    std::unique_ptr<FunctionRunner> m_runner;
    std::unique_ptr<LambdaStore> m_functions;
};

void TestLambdaStore::init()
{
    if (m_registry.runtimes().isEmpty())
        m_registry.add(&m_plugin);
    m_state = std::make_unique<QTemporaryDir>();
    auto store = Store::open(m_state->path());
    QVERIFY(store);
    m_store = std::move(*store);
    FunctionRunner::Options o;
    o.runtimeRoot = m_state->filePath(QStringLiteral("runtimes"));
    m_runner = std::make_unique<FunctionRunner>(&m_registry, nullptr, &m_clock, o);
    m_functions = std::make_unique<LambdaStore>(m_store.get(), &m_clock, m_runner.get(),
        m_state->path(), QStringLiteral("us-east-1"), QStringLiteral("000000000000"));
    QVERIFY(m_functions->open());
}

void TestLambdaStore::cleanup()
{
    m_functions.reset();
    m_runner.reset();
    m_store.reset();
    m_state.reset();
}

void TestLambdaStore::reloadFollowsTheRows()
{
    LambdaFunction stored = function(QStringLiteral("stored"), true);
    stored.tags.insert(QStringLiteral("team"), QStringLiteral("core"));
    QVERIFY(m_functions->putLocalFunction(stored));
    EventInvokeConfig invoke;
    invoke.maximumRetryAttempts = 1;
    QVERIFY(m_functions->setEventInvokeConfig(QStringLiteral("stored"), invoke));
    QVERIFY(m_functions->putLocalFunction(function(QStringLiteral("templated"), false)));

    // A snapshot of the rows, taken aside; then changes it does not have.
    QVERIFY(exec("CREATE TABLE keep AS SELECT * FROM lambda_functions"));
    QVERIFY(m_functions->updateConfiguration(QStringLiteral("stored"), [](LambdaFunction &f) {
        f.config.timeoutSeconds = 30;
        f.tags.clear();
        return Result<void>();
    }));
    QVERIFY(m_functions->setEventInvokeConfig(QStringLiteral("stored"), std::nullopt));
    QVERIFY(m_functions->putLocalFunction(function(QStringLiteral("later"), true)));
    QCOMPARE(m_runner->function(QStringLiteral("stored"))->timeoutSeconds, 30);

    // A reset: the stored functions go from the store and the runner; the template's stays.
    QVERIFY(exec("DELETE FROM lambda_functions"));
    auto gone = m_functions->reload();
    QVERIFY(gone);
    gone->sort();
    QCOMPARE(*gone, QStringList({QStringLiteral("later"), QStringLiteral("stored")}));
    QCOMPARE(m_functions->get(QStringLiteral("stored")).error().code,
        QStringLiteral("ResourceNotFoundException"));
    QVERIFY(!m_functions->eventInvokeConfig(QStringLiteral("stored")));
    QVERIFY(!m_runner->hasFunction(QStringLiteral("stored")));
    QVERIFY(!m_runner->hasFunction(QStringLiteral("later")));
    QVERIFY(m_functions->get(QStringLiteral("templated")));
    QVERIFY(m_runner->hasFunction(QStringLiteral("templated")));
    QCOMPARE(m_functions->list().size(), 1);

    // The snapshot restored: the stored function is back as it was then, in the runner too.
    QVERIFY(exec("INSERT INTO lambda_functions SELECT * FROM keep"));
    gone = m_functions->reload();
    QVERIFY(gone);
    QVERIFY(gone->isEmpty());
    auto back = m_functions->get(QStringLiteral("stored"));
    QVERIFY(back);
    QCOMPARE(back->config.timeoutSeconds, 3);
    QCOMPARE(back->tags.value(QStringLiteral("team")), QStringLiteral("core"));
    QVERIFY(back->persistent);
    QCOMPARE(m_functions->eventInvokeConfig(QStringLiteral("stored"))->maximumRetryAttempts, 1);
    QCOMPARE(m_runner->function(QStringLiteral("stored"))->timeoutSeconds, 3);
    QVERIFY(!m_runner->hasFunction(QStringLiteral("later")));
    QCOMPARE(m_functions->list().size(), 2);

    // A changed row redefines the function; a row under a template function's name does not
    // replace the template's (it was defined after the rows were read at start).
    QVERIFY(exec("UPDATE lambda_functions SET document = replace(document, '\"Timeout\":3',"
                 " '\"Timeout\":9') WHERE name = 'stored'"));
    QVERIFY(exec("INSERT INTO lambda_functions (name, document)"
                 " SELECT 'templated', replace(document, '\"FunctionName\":\"stored\"',"
                 " '\"FunctionName\":\"templated\"') FROM lambda_functions WHERE name = 'stored'"));
    QVERIFY(m_functions->reload());
    QCOMPARE(m_functions->get(QStringLiteral("stored"))->config.timeoutSeconds, 9);
    QCOMPARE(m_runner->function(QStringLiteral("stored"))->timeoutSeconds, 9);
    QVERIFY(!m_functions->get(QStringLiteral("templated"))->persistent);
    QCOMPARE(m_runner->function(QStringLiteral("templated"))->timeoutSeconds, 3);
    QVERIFY(m_functions->get(QStringLiteral("templated"))->tags.isEmpty());
}

QTEST_GUILESS_MAIN(TestLambdaStore)
#include "tst_lambdastore.moc"
