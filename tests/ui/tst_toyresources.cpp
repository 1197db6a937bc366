// A service the build does not have (tests/toy) appears in the desktop's resource tree with
// its own kind, entries, status line and browse action: the tree renders the engine's
// catalog and includes no service's header.
#include "toymodule.h"
#include "ui/enginehost.h"
#include "ui/resourcedialogs.h"
#include "ui/resourcemodel.h"
#include "ui/resourcesview.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QFile>
#include <QLineEdit>
#include <QPushButton>
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
            (QStringList {QStringLiteral("browse"), QStringLiteral("paint")}));
        QVERIFY(widget.data(Qt::ToolTipRole).toString().contains(QLatin1String("arn:aws:toy:")));
        // The buckets kind comes from S3's catalog the same way.
        bool buckets = false;
        for (int r = 0; r < model.rowCount(); ++r)
            buckets = buckets || model.index(r, 0).data().toString() == QLatin1String("Buckets");
        QVERIFY(buckets);

        // An action with fields asks for them first; what is typed reaches the service.
        ResourcesView view(&host, &model);
        view.show();
        QSignalSpy shown(&view, &ResourcesView::actionDialogShown);
        view.runAction(
            QStringLiteral("toything"), QStringLiteral("widget"), QStringLiteral("paint"));
        QTRY_COMPARE(shown.size(), 1);
        auto *dialog = qobject_cast<ActionDialog *>(shown.first().first().value<QDialog *>());
        QVERIFY(dialog);
        auto *colour = dialog->findChild<QComboBox *>(QStringLiteral("field-colour"));
        auto *note = dialog->findChild<QLineEdit *>(QStringLiteral("field-note"));
        QVERIFY(colour && note);
        QCOMPARE(note->text(), QStringLiteral("for a test")); // the field's value
        colour->setCurrentText(QStringLiteral("blue"));
        note->setText(QStringLiteral("typed"));
        if (const QString shots = qEnvironmentVariable("TARMAC_SCREENSHOTS"); !shots.isEmpty()) {
            QTest::qWait(200);
            QVERIFY(dialog->grab().save(shots + QStringLiteral("/action-dialog.png")));
        }
        dialog->findChild<QPushButton *>(QStringLiteral("run"))->click();
        QTRY_COMPARE(view.lastOutcome(), QStringLiteral("painted widget blue: typed"));
        QTRY_COMPARE(
            model.items(QStringLiteral("toything")).first().status.left(4), QStringLiteral("blue"));
    }
};

QTEST_MAIN(TestToyResources)
#include "tst_toyresources.moc"
