// A service the build does not have (tests/toy) appears in the desktop's resource tree with
// its own kind, entries, status line and browse action: the tree renders the engine's
// catalog and includes no service's header.
#include "toymodule.h"
#include "ui/enginehost.h"
#include "ui/resourcemodel.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;

class TestToyResources : public QObject
{
    Q_OBJECT

private slots:
    void toyThingsAreInTheTree()
    {
        addServiceModuleFactory([] { return std::make_unique<ToyModule>(); });
        QTemporaryDir project;
        QFile t(project.filePath(QStringLiteral("template.yaml")));
        QVERIFY(t.open(QIODevice::WriteOnly));
        t.write("Resources:\n  Widget:\n    Type: Tarmac::Toy::Thing\n    Properties:\n      "
                "ThingName: widget\n"
                "      Colour: green\n");
        t.close();

        Engine::Options o;
        o.projectPath = project.path();
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
        QTRY_COMPARE_WITH_TIMEOUT(model.items(QStringLiteral("toything")).size(), 1, 10000);

        QModelIndex group;
        for (int r = 0; r < model.rowCount(); ++r) {
            if (model.index(r, 0).data().toString() == QLatin1String("Toy things"))
                group = model.index(r, 0);
        }
        QVERIFY(group.isValid());
        const QModelIndex widget = model.index(0, 0, group);
        // The template's name first; the thing's own name after its counts.
        QCOMPARE(widget.data().toString(), QStringLiteral("Widget"));
        QCOMPARE(widget.data(ResourceModel::NameRole).toString(), QStringLiteral("widget"));
        QCOMPARE(widget.data(ResourceModel::KindRole).toString(), QStringLiteral("toything"));
        QCOMPARE(widget.data(ResourceModel::StatusRole).toString(),
            QStringLiteral("green · 0 subscriber(s) · widget"));
        QCOMPARE(widget.data(ResourceModel::ActionsRole).toStringList(),
            QStringList {QStringLiteral("browse")});
        QVERIFY(widget.data(Qt::ToolTipRole).toString().contains(QLatin1String("arn:aws:toy:")));
        // The buckets kind comes from S3's catalog the same way.
        bool buckets = false;
        for (int r = 0; r < model.rowCount(); ++r)
            buckets = buckets || model.index(r, 0).data().toString() == QLatin1String("Buckets");
        QVERIFY(buckets);
    }
};

QTEST_MAIN(TestToyResources)
#include "tst_toyresources.moc"
