// The resources tree and its dialogs against a running engine: functions and buckets with
// their counts, the template and its fidelity report, empty states, Invoke…, the bucket
// browser's upload, download and delete, and replay from the inspector.

#include "services/s3/s3module.h"
#include "services/s3/s3store.h"
#include "ui/enginehost.h"
#include "ui/inspectorwidget.h"
#include "ui/queryrunner.h"
#include "ui/resourcedialogs.h"
#include "ui/resourcemodel.h"
#include "ui/spanselection.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QFile>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;

namespace {

constexpr char kTemplate[] = R"(AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Files:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: files
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: echo
      CodeUri: echo/
      Handler: app.handler
      Runtime: python3.11
      Tracing: Active
)";

constexpr char kHandler[] = R"(def handler(event, context):
    print("echo", event)
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"echo": event}
)";

QModelIndex groupOf(const ResourceModel &m, const QString &title)
{
    for (int r = 0; r < m.rowCount(); ++r) {
        if (m.index(r, 0).data().toString() == title)
            return m.index(r, 0);
    }
    return {};
}

} // namespace

using SpanIds = std::pair<QByteArray, QByteArray>;

// The trace and span of the function's invocation, read the way the GUI reads (off its
// thread, through QueryRunner); empty until it is in the store.
SpanIds findInvocation(QueryRunner &runner)
{
    QObject context;
    bool done = false;
    SpanIds ids;
    runner.run<SpanIds>(
        QueryRunner::Span, &context,
        [](TraceQuery *q, const QueryRunner::Cancelled &) {
            SpanIds found;
            if (!q)
                return found;
            (void)q->scanSpans(
                0, std::numeric_limits<qint64>::max(), -1, [&](const TraceQuery::SpanSummary &s) {
                    if (s.name == QLatin1String("echo invoke"))
                        found = SpanIds(s.traceId, s.spanId);
                    return true;
                });
            return found;
        },
        [&](SpanIds r) {
            ids = r;
            done = true;
        });
    (void)QTest::qWaitFor([&] { return done; }, 5000);
    return ids;
}

// Whether the function ran in that trace.
bool traceRan(QueryRunner &runner, const QByteArray &traceId)
{
    QObject context;
    bool done = false;
    bool ran = false;
    runner.run<bool>(
        QueryRunner::Trace, &context,
        [traceId](TraceQuery *q, const QueryRunner::Cancelled &) {
            auto spans = q ? q->trace(traceId) : Result<QList<Span>>(QList<Span>());
            if (!spans)
                return false;
            for (const Span &s : *spans) {
                if (s.name == QLatin1String("echo invoke"))
                    return true;
            }
            return false;
        },
        [&](bool r) {
            ran = r;
            done = true;
        });
    (void)QTest::qWaitFor([&] { return done; }, 5000);
    return ran;
}

class TestResources : public QObject
{
    Q_OBJECT

    QTemporaryDir m_project;

private slots:
    void initTestCase()
    {
        QVERIFY(QDir(m_project.path()).mkpath(QStringLiteral("echo")));
        QFile t(m_project.filePath(QStringLiteral("template.yaml")));
        QVERIFY(t.open(QIODevice::WriteOnly));
        t.write(kTemplate);
        QFile h(m_project.filePath(QStringLiteral("echo/app.py")));
        QVERIFY(h.open(QIODevice::WriteOnly));
        h.write(kHandler);
    }

    void modelUpdatesInPlaceWithEmptyStates()
    {
        ResourceModel m;
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QModelIndex functions = groupOf(m, QStringLiteral("Functions"));
        QVERIFY(functions.isValid());
        // Empty: one row that says what to do.
        QCOMPARE(m.rowCount(functions), 1);
        QCOMPARE(m.index(0, 0, functions).data(ResourceModel::KindRole).toString(),
            QStringLiteral("empty"));
        QVERIFY(
            m.index(0, 0, functions).data().toString().contains(QLatin1String("template.yaml")));

        ResourceItem a {QStringLiteral("a"), {{QStringLiteral("warm"), 1}}, {}, {}};
        ResourceItem b {QStringLiteral("b"), {{QStringLiteral("warm"), 0}}, {}, {}};
        m.setResources(QStringLiteral("function"), {a, b});
        QCOMPARE(m.rowCount(functions), 2);
        QCOMPARE(
            m.index(1, 0, functions).data(ResourceModel::NameRole).toString(), QStringLiteral("b"));
        QSignalSpy removed(&m, &QAbstractItemModel::rowsRemoved);
        QSignalSpy changed(&m, &QAbstractItemModel::dataChanged);
        a.counts[QStringLiteral("warm")] = 3;
        m.setResources(QStringLiteral("function"), {a, b});
        QCOMPARE(removed.size(), 0); // same rows: changed in place
        QVERIFY(changed.size() >= 1);
        QVERIFY(m.index(0, 0, functions)
                    .data(ResourceModel::StatusRole)
                    .toString()
                    .startsWith(QLatin1String("3 warm")));

        // Live invocation counts.
        Span invoke;
        invoke.kind = SpanKindServer;
        invoke.operation = QStringLiteral("Invoke");
        invoke.statusCode = SpanStatusError;
        invoke.attributes = {Attribute(QStringLiteral("faas.name"), QStringLiteral("a"))};
        m.addLiveSpans({invoke, invoke});
        QCOMPARE(m.invocations(QStringLiteral("a")).count, 2);
        QVERIFY(m.index(0, 0, functions)
                    .data(ResourceModel::StatusRole)
                    .toString()
                    .contains(QLatin1String("2 errors")));

        m.setResources(QStringLiteral("function"), {b});
        QCOMPARE(m.rowCount(functions), 1);
        m.setResources(QStringLiteral("function"), {});
        QCOMPARE(m.index(0, 0, functions).data(ResourceModel::KindRole).toString(),
            QStringLiteral("empty"));

        // The template group: not running, an error, a report.
        const QModelIndex templ = groupOf(m, QStringLiteral("Template"));
        ResourceModel::TemplateInfo info;
        info.running = true;
        info.path = QStringLiteral("/p/template.yaml");
        info.stackName = QStringLiteral("p");
        info.resources = 3;
        info.fidelity = {{QStringLiteral("unsupported"), QStringLiteral("Tracing")},
            {QStringLiteral("ignored"), QStringLiteral("Policies")}};
        m.setTemplate(info);
        QCOMPARE(m.rowCount(templ), 3);
        QVERIFY(m.index(1, 0, templ)
                    .data()
                    .toString()
                    .startsWith(QLatin1String("unsupported: Tracing")));
        m.setStartError(QStringLiteral("template.yaml:3: bad indentation"));
        QCOMPARE(m.rowCount(templ), 1);
        QVERIFY(m.index(0, 0, templ).data().toString().contains(QLatin1String("bad indentation")));
    }

    void liveEngine()
    {
        Engine::Options o;
        o.projectPath = m_project.path();
        o.ephemeral = true;
        o.edgePort = o.idePort = 0;
        o.ports.insert(QStringLiteral("api"), 0);
        EngineHost host(o);
        ResourceModel model;
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy started(&host, &EngineHost::started);
        host.start();
        QVERIFY(started.wait(20000));

        model.refresh(&host);
        QTRY_COMPARE_WITH_TIMEOUT(model.items(QStringLiteral("function")).size(), 1, 10000);
        QCOMPARE(model.items(QStringLiteral("function")).first().name, QStringLiteral("echo"));
        QTRY_COMPARE(model.items(QStringLiteral("bucket")).size(), 1);
        const QModelIndex templ = groupOf(model, QStringLiteral("Template"));
        // One count, the SAM expansion shown as such; the file and the CLI's wording in the
        // tooltip.
        QTRY_VERIFY(model.index(0, 0, templ).data().toString().contains(QLatin1String("stack ")));
        QCOMPARE(model.index(0, 0, templ).data().toString().section(u'·', 1).trimmed(),
            QStringLiteral("2 resource(s), +1 from SAM"));
        QVERIFY(model.index(0, 0, templ)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(QLatin1String("template.yaml")));
        QVERIFY(model.index(0, 0, templ)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(QLatin1String("2 resource(s) (+1 made by the SAM transform)")));
        // Tracing is not emulated: the report says so.
        bool reported = false;
        for (int r = 0; r < model.rowCount(templ); ++r)
            reported = reported
                || model.index(r, 0, templ).data().toString().contains(QLatin1String("Tracing"));
        QVERIFY(reported);

        // Invoke…: the result comes back; the instance is warm afterwards.
        InvokeDialog invoke(&host, QStringLiteral("echo"));
        QSignalSpy finished(&invoke, &InvokeDialog::finished);
        invoke.setSample(QStringLiteral("s3-put"));
        QVERIFY(invoke.editor()->toPlainText().contains(QLatin1String("ObjectCreated:Put")));
        invoke.editor()->setPlainText(QStringLiteral("{\"hello\": 1}"));
        invoke.invoke();
        QVERIFY(finished.wait(20000));
        QVERIFY(invoke.result()->toPlainText().contains(QLatin1String("\"hello\": 1")));
        model.refresh(&host);
        QTRY_COMPARE(model.items(QStringLiteral("function"))
                         .first()
                         .counts.value(QStringLiteral("warm"))
                         .toInt(),
            1);

        // The bucket browser: upload, list, download, delete.
        QTemporaryDir files;
        const QString small = files.filePath(QStringLiteral("small.txt"));
        const QString big = files.filePath(QStringLiteral("big.bin"));
        {
            QFile f(small);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("hello from the desktop\n");
        }
        {
            QFile f(big);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray(300 * 1024, 'x')); // above the inline limit: staged as a file
        }
        ItemBrowser browser(&host, QStringLiteral("bucket"), QStringLiteral("files"));
        QSignalSpy listed(&browser, &ItemBrowser::listed);
        QSignalSpy failed(&browser, &ItemBrowser::failed);
        QVERIFY(listed.wait(10000));
        QCOMPARE(browser.table()->rowCount(), 0);
        browser.upload(small, QStringLiteral("notes/small.txt"));
        QTRY_COMPARE_WITH_TIMEOUT(browser.table()->rowCount(), 1, 10000);
        browser.upload(big, QStringLiteral("big.bin"));
        QTRY_COMPARE_WITH_TIMEOUT(browser.table()->rowCount(), 2, 10000);
        QCOMPARE(failed.size(), 0);
        QSignalSpy downloaded(&browser, &ItemBrowser::downloaded);
        const QString back = files.filePath(QStringLiteral("back.bin"));
        browser.download(QStringLiteral("big.bin"), back);
        QVERIFY(downloaded.wait(10000));
        QFile b(back);
        QVERIFY(b.open(QIODevice::ReadOnly));
        QCOMPARE(b.readAll(), QByteArray(300 * 1024, 'x'));
        const QString backSmall = files.filePath(QStringLiteral("back.txt"));
        browser.download(QStringLiteral("notes/small.txt"), backSmall);
        QVERIFY(downloaded.wait(10000));
        QFile s(backSmall);
        QVERIFY(s.open(QIODevice::ReadOnly));
        QCOMPARE(s.readAll(), QByteArray("hello from the desktop\n"));
        browser.remove(QStringLiteral("big.bin"));
        QTRY_COMPARE_WITH_TIMEOUT(browser.table()->rowCount(), 1, 10000);
        model.refresh(&host);
        QTRY_COMPARE(model.items(QStringLiteral("bucket"))
                         .first()
                         .counts.value(QStringLiteral("objects"))
                         .toInt(),
            1);
        browser.download(QStringLiteral("gone"), back);
        QVERIFY(failed.wait(10000));
    }

    void replayFromTheInspector()
    {
        Engine::Options o;
        o.projectPath = m_project.path();
        o.ephemeral = true;
        o.edgePort = o.idePort = 0;
        o.ports.insert(QStringLiteral("api"), 0);
        EngineHost host(o);
        QSignalSpy started(&host, &EngineHost::started);
        host.start();
        QVERIFY(started.wait(20000));

        InvokeDialog invoke(&host, QStringLiteral("echo"));
        QSignalSpy finished(&invoke, &InvokeDialog::finished);
        invoke.editor()->setPlainText(QStringLiteral("{\"replay\": \"me\"}"));
        invoke.invoke();
        QVERIFY(finished.wait(20000));

        // Find the invocation's trace in the store, then inspect its span.
        QueryRunner runner;
        runner.open(host.tracesPath());
        SpanIds ids;
        QTRY_VERIFY_WITH_TIMEOUT(!(ids = findInvocation(runner)).second.isEmpty(), 10000);
        const QByteArray traceId = ids.first;
        const QByteArray spanId = ids.second;

        SpanSelection selection;
        InspectorWidget inspector(&runner, &selection);
        inspector.setEngine(&host);
        QSignalSpy delivery(&inspector, &InspectorWidget::deliveryLoaded);
        selection.select(traceId, spanId);
        QVERIFY(delivery.wait(10000));
        QVERIFY(!InspectorWidget::deliveryIdFor(*inspector.selectedSpan(), inspector.trace())
                     .isEmpty());
        const auto event = inspector.findChildren<QPlainTextEdit *>();
        bool shown = false;
        for (QPlainTextEdit *e : event)
            shown = shown || e->toPlainText().contains(QLatin1String("\"replay\": \"me\""));
        QVERIFY(shown);

        QSignalSpy replayed(&inspector, &InspectorWidget::replayed);
        inspector.replay();
        QVERIFY(replayed.wait(10000));
        const QByteArray newTrace = replayed.first().first().toByteArray();
        QVERIFY(!newTrace.isEmpty() && newTrace != traceId);
        // The same event ran again, on its own trace.
        QTRY_VERIFY_WITH_TIMEOUT(traceRan(runner, newTrace), 15000);
    }
};

QTEST_MAIN(TestResources)
#include "tst_resources.moc"
