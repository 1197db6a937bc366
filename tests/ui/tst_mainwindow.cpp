#include "ui/enginehost.h"
#include "ui/mainwindow.h"

#include <QLabel>
#include <QSignalSpy>
#include <QTest>
#include <QTreeWidget>

using namespace tarmac;

class TestMainWindow : public QObject
{
    Q_OBJECT
private slots:
    void showsWhereTarmacListensAndServiceStates()
    {
        Engine::Options o;
        o.ephemeral = true;
        o.edgePort = o.apiPort = o.idePort = 0;
        EngineHost host(o);
        MainWindow window(&host);
        QSignalSpy started(&host, &EngineHost::started);
        window.show();
        host.start();
        QVERIFY(started.wait(10000));
        const auto labels = window.findChildren<QLabel *>();
        QVERIFY(std::any_of(labels.begin(), labels.end(), [](QLabel *l) {
            return l->text().contains(QLatin1String("http://127.0.0.1:"));
        }));
        auto *tree = window.findChild<QTreeWidget *>();
        QVERIFY(tree);
        QTRY_VERIFY(tree->topLevelItemCount() >= 5);
        for (int i = 0; i < tree->topLevelItemCount(); ++i)
            QCOMPARE(tree->topLevelItem(i)->text(1), QStringLiteral("running"));
        QTest::qWait(50); // let the layout take the new text
        const QImage shot = window.grab().toImage();
        QVERIFY(!shot.isNull());
        if (const QByteArray dir = qgetenv("TARMAC_SCREENSHOT_DIR"); !dir.isEmpty())
            shot.save(QString::fromLocal8Bit(dir) + QStringLiteral("/mainwindow.png"));
    }

    void showsAStartFailureAndStaysUsable()
    {
        Engine::Options o;
        o.stateDir = QStringLiteral("/proc/version/not-a-folder");
        o.edgePort = o.apiPort = o.idePort = 0;
        EngineHost host(o);
        MainWindow window(&host);
        QSignalSpy failed(&host, &EngineHost::failed);
        window.show();
        host.start();
        QVERIFY(failed.wait(10000));
        const auto labels = window.findChildren<QLabel *>();
        QVERIFY(std::any_of(labels.begin(), labels.end(), [](QLabel *l) {
            return l->text().contains(QLatin1String("could not start"));
        }));
        QVERIFY(window.isVisible());
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
