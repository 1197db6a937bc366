// Queues in the desktop's resource panel: the template's queues with their counts, a
// dead-letter queue's warning, the Actions menu (Purge; Redrive on a dead-letter queue) run
// through the catalog's runAction, and the item browser's peek at a queue's messages. The
// panel knows no service: all of it comes from the SQS module's catalog.

#include "engine/engine.h"
#include "services/servicemodule.h"
#include "ui/enginehost.h"
#include "ui/resourcedialogs.h"
#include "ui/resourcemodel.h"
#include "ui/resourcesview.h"

#include <QFile>
#include <QMenu>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QTreeView>

using namespace tarmac;

namespace {

constexpr char kTemplate[] = R"(Resources:
  JobsDlq:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: jobs-dlq
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: jobs
      VisibilityTimeout: 45
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt JobsDlq.Arn
        maxReceiveCount: 1
)";

QModelIndex find(const ResourceModel &m, const QString &group, const QString &name)
{
    for (int r = 0; r < m.rowCount(); ++r) {
        const QModelIndex g = m.index(r, 0);
        if (g.data().toString() != group)
            continue;
        for (int i = 0; i < m.rowCount(g); ++i) {
            if (m.index(i, 0, g).data(ResourceModel::NameRole).toString() == name)
                return m.index(i, 0, g);
        }
    }
    return {};
}

} // namespace

class TestQueueResources : public QObject
{
    Q_OBJECT
private slots:
    void queuesInThePanel()
    {
        QTemporaryDir project;
        QFile t(project.filePath(QStringLiteral("template.yaml")));
        QVERIFY(t.open(QIODevice::WriteOnly));
        t.write(kTemplate);
        t.close();
        QFile body(project.filePath(QStringLiteral("job.json")));
        QVERIFY(body.open(QIODevice::WriteOnly));
        body.write("{\"job\": 1}");
        body.close();

        Engine::Options o;
        o.projectPath = project.path();
        o.ephemeral = true;
        o.edgePort = o.idePort = 0;
        o.ports.insert(QStringLiteral("api"), 0);
        EngineHost host(o);
        ResourceModel model;
        ResourcesView view(&host, &model);
        view.resize(480, 560);
        view.show();
        QSignalSpy started(&host, &EngineHost::started);
        host.start();
        QVERIFY(started.wait(20000));
        model.refresh(&host);
        QTRY_VERIFY_WITH_TIMEOUT(
            find(model, QStringLiteral("Queues"), QStringLiteral("jobs")).isValid(), 10000);

        // Three messages in through the catalog (the browser's upload sends a file's content).
        int sent = 0;
        for (const char *queue : {"jobs", "jobs", "jobs-dlq"}) {
            const QString name = QLatin1String(queue);
            const QString file = body.fileName();
            host.call<bool>(
                &view,
                [name, file](Engine &engine) {
                    engine.catalogModule(QStringLiteral("queue"))
                        ->putItem(QStringLiteral("queue"), name, QString(), file,
                            [](Result<void> r) { QVERIFY2(bool(r), "put"); });
                    return true;
                },
                [&sent](bool) { ++sent; });
        }
        QTRY_COMPARE(sent, 3);
        model.refresh(&host);
        QTRY_COMPARE_WITH_TIMEOUT(find(model, QStringLiteral("Queues"), QStringLiteral("jobs"))
                                      .data(ResourceModel::StatusRole)
                                      .toString(),
            QStringLiteral("2 visible · 0 in flight · 0 delayed · jobs"), 10000);
        const QModelIndex jobs = find(model, QStringLiteral("Queues"), QStringLiteral("jobs"));
        QCOMPARE(jobs.data().toString(), QStringLiteral("Jobs")); // the template's name
        QCOMPARE(jobs.data(ResourceModel::ActionsRole).toStringList(),
            (QStringList {QStringLiteral("browse"), QStringLiteral("purge")}));
        const QModelIndex dlq = find(model, QStringLiteral("Queues"), QStringLiteral("jobs-dlq"));
        QCOMPARE(dlq.data(ResourceModel::ActionsRole).toStringList(),
            (QStringList {
                QStringLiteral("browse"), QStringLiteral("purge"), QStringLiteral("redrive")}));

        // The Actions menu follows the selection.
        view.tree()->setCurrentIndex(dlq);
        auto *actions = view.findChild<QToolButton *>(QStringLiteral("resourceActions"));
        QVERIFY(actions && actions->isEnabled());
        QStringList labels;
        for (QAction *a : actions->menu()->actions())
            labels.append(a->text());
        QCOMPARE(labels, (QStringList {QStringLiteral("Purge"), QStringLiteral("Redrive")}));
        QTest::qWait(300);
        const QString shots = qEnvironmentVariable("TARMAC_SCREENSHOTS");
        if (!shots.isEmpty())
            QVERIFY(view.grab().save(shots + QStringLiteral("/queues.png")));

        // Browse… peeks at the messages: nothing about them changes.
        auto *browser = qobject_cast<ItemBrowser *>(
            view.browse(QStringLiteral("queue"), QStringLiteral("jobs")));
        QVERIFY(browser);
        QTRY_COMPARE_WITH_TIMEOUT(browser->table()->rowCount(), 2, 10000);
        QTest::qWait(200);
        if (!shots.isEmpty())
            QVERIFY(browser->grab().save(shots + QStringLiteral("/queue-browser.png")));
        browser->close();
        QCOMPARE(find(model, QStringLiteral("Queues"), QStringLiteral("jobs"))
                     .data(ResourceModel::StatusRole)
                     .toString(),
            QStringLiteral("2 visible · 0 in flight · 0 delayed · jobs"));

        // Redrive: the message in the dead-letter queue was never dead-lettered, so there is
        // no source to return it to: said, not hidden.
        view.runAction(
            QStringLiteral("queue"), QStringLiteral("jobs-dlq"), QStringLiteral("redrive"));
        QTRY_VERIFY(view.lastOutcome().startsWith(QLatin1String("Failed: ")));
        // Purge empties the queue.
        view.tree()->setCurrentIndex(jobs);
        QCOMPARE(actions->menu()->actions().size(), 1);
        actions->menu()->actions().first()->trigger();
        QTRY_COMPARE(view.lastOutcome(), QStringLiteral("purged 2 message(s) from jobs"));
        QTRY_COMPARE_WITH_TIMEOUT(find(model, QStringLiteral("Queues"), QStringLiteral("jobs"))
                                      .data(ResourceModel::StatusRole)
                                      .toString(),
            QStringLiteral("0 visible · 0 in flight · 0 delayed · jobs"), 10000);
        host.stop();
    }
};

QTEST_MAIN(TestQueueResources)
#include "tst_queueresources.moc"
