#include "ui/enginehost.h"
#include "ui/inspectorwidget.h"
#include "ui/lanemodel.h"
#include "ui/logview.h"
#include "ui/mainwindow.h"
#include "ui/notificationbar.h"
#include "ui/resourcemodel.h"
#include "ui/spanselection.h"
#include "ui/timelinesession.h"
#include "ui/timelineview.h"
#include "ui/zoomstate.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace tarmac;

namespace {

Engine::Options ephemeral()
{
    Engine::Options o;
    o.ephemeral = true;
    o.edgePort = o.idePort = 0;
    o.ports.insert(QStringLiteral("api"), 0);
    return o;
}

bool get(const QString &url)
{
    QNetworkAccessManager net;
    QNetworkReply *reply = net.get(QNetworkRequest(QUrl(url)));
    QSignalSpy done(reply, &QNetworkReply::finished);
    const bool ok = done.wait(10000) && reply->error() == QNetworkReply::NoError;
    reply->deleteLater();
    return ok;
}

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT

    QTemporaryDir m_config;

private slots:
    void initTestCase()
    {
        // Settings of this test stay in a folder of its own.
        qputenv("XDG_CONFIG_HOME", m_config.path().toLocal8Bit());
        QCoreApplication::setOrganizationName(QStringLiteral("TarmacTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_mainwindow"));
    }

    void showsWhereTarmacListensAndServiceStates()
    {
        EngineHost host(ephemeral());
        MainWindow window(&host);
        QSignalSpy started(&host, &EngineHost::started);
        window.show();
        host.start();
        QVERIFY(started.wait(10000));
        auto *status = window.findChild<QLabel *>(QStringLiteral("engineStatus"));
        QVERIFY(status);
        QVERIFY(status->text().contains(QLatin1String("http://127.0.0.1:")));
        auto *endpoints = window.findChild<QLabel *>(QStringLiteral("endpoints"));
        QVERIFY(endpoints->text().contains(host.stateDir()));
        auto *tree = window.findChild<QTreeWidget *>(QStringLiteral("services"));
        QVERIFY(tree);
        QTRY_VERIFY(tree->topLevelItemCount() >= 5);
        for (int i = 0; i < tree->topLevelItemCount(); ++i)
            QCOMPARE(tree->topLevelItem(i)->text(1), QStringLiteral("running"));
    }

    void liveRequestsReachTheTimelineAndTheInspector()
    {
        EngineHost host(ephemeral());
        MainWindow window(&host);
        QSignalSpy started(&host, &EngineHost::started);
        window.resize(1200, 800);
        window.show();
        host.start();
        QVERIFY(started.wait(10000));
        const QString edge = host.endpoint(QStringLiteral("edge"));
        for (int i = 0; i < 3; ++i)
            QVERIFY(get(edge + QStringLiteral("/_tarmac/health")));
        // Batched through the tracer (100 ms) and the live feed (250 ms).
        QTRY_COMPARE_WITH_TIMEOUT(window.timelineSession()->data().spanCount(), 3, 10000);
        QVERIFY(window.zoomState()->window().isValid());
        QVERIFY(window.zoomState()->followLive());

        // Select one: the inspector reads its trace off the GUI thread.
        const TimelineData &d = window.timelineSession()->data();
        const TimelineData::Info &info = d.infoAt(0);
        QSignalSpy loaded(window.inspector(), &InspectorWidget::loaded);
        window.selection()->select(d.traceIds().value(info.trace), d.spanIdHex(info));
        QVERIFY(loaded.wait(10000));
        QVERIFY(window.inspector()->selectedSpan());
        QCOMPARE(window.inspector()->selectedSpan()->operation, QStringLiteral("Health"));
        const QByteArray json = window.inspector()->selectedJson();
        QVERIFY(json.contains("\"url.path\": \"/_tarmac/health\""));
        QVERIFY(json.contains("\"trace\""));
        // What a person reads in the attribute table: the kind by its name, not OTLP's number.
        const auto *attributes
            = window.inspector()->findChild<QTreeWidget *>(QStringLiteral("inspectorAttributes"));
        QVERIFY(attributes);
        const auto kind = attributes->findItems(QStringLiteral("kind"), Qt::MatchExactly, 0);
        QCOMPARE(kind.size(), 1);
        QCOMPARE(kind.first()->text(1), QStringLiteral("server"));

        const QImage shot = window.grab().toImage();
        QVERIFY(!shot.isNull());
    }

    void showsAStartFailureAndStaysUsable()
    {
        Engine::Options o = ephemeral();
        o.ephemeral = false;
        o.stateDir = QStringLiteral("/proc/version/not-a-folder");
        EngineHost host(o);
        MainWindow window(&host);
        QSignalSpy failed(&host, &EngineHost::failed);
        window.show();
        host.start();
        QVERIFY(failed.wait(10000));
        auto *status = window.findChild<QLabel *>(QStringLiteral("engineStatus"));
        // Said once, in the banner; the status bar and the template's row do not repeat it,
        // and a state folder error is not filed under the template.
        QVERIFY(status->text().contains(QLatin1String("Not running")));
        QVERIFY(!status->text().contains(QLatin1String("not-a-folder")));
        QCOMPARE(window.notifications()->count(), 1);
        QVERIFY(window.notifications()->messages().first().contains(QLatin1String("not-a-folder")));
        const ResourceModel *resources = window.resources();
        const QModelIndex templ = resources->index(resources->rowCount() - 1, 0);
        const QString row = resources->index(0, 0, templ).data().toString();
        QVERIFY2(row.contains(QLatin1String("not running"))
                && !row.contains(QLatin1String("not-a-folder")),
            qPrintable(row));
        QVERIFY(window.isVisible());
        // Still usable: the timeline zooms, the logs filter.
        window.zoomState()->setSession({1, 1'000'000'000});
        window.zoomState()->zoomAround(500, 0.5);
        window.logView()->setFilterText(QStringLiteral("x"));
        QApplication::processEvents();
    }

    void openingAnotherProjectRestartsTheEngine()
    {
        QTemporaryDir project;
        EngineHost host(ephemeral());
        MainWindow window(&host);
        QSignalSpy started(&host, &EngineHost::started);
        QSignalSpy stopped(&host, &EngineHost::stopped);
        window.show();
        host.start();
        QVERIFY(started.wait(10000));
        const QString firstState = host.stateDir();
        QVERIFY(get(host.endpoint(QStringLiteral("edge")) + QStringLiteral("/_tarmac/health")));
        QTRY_VERIFY_WITH_TIMEOUT(window.timelineSession()->data().spanCount() > 0, 10000);

        window.openProject(project.path());
        QCOMPARE(stopped.size(), 1);
        QVERIFY(window.timelineSession()->data().isEmpty()); // the old session is gone
        QVERIFY(started.wait(10000));
        QVERIFY(host.stateDir() != firstState);
        QCOMPARE(host.options().projectPath, QFileInfo(project.path()).absoluteFilePath());
        QVERIFY(window.windowTitle().contains(QFileInfo(project.path()).fileName()));
        QVERIFY(get(host.endpoint(QStringLiteral("edge")) + QStringLiteral("/_tarmac/health")));
        QTRY_VERIFY_WITH_TIMEOUT(window.timelineSession()->data().spanCount() > 0, 10000);
    }

    void aBrokenTemplateIsShownAndTheWindowStaysUsable()
    {
        QTemporaryDir broken;
        {
            QFile t(broken.filePath(QStringLiteral("template.yaml")));
            QVERIFY(t.open(QIODevice::WriteOnly));
            t.write("Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: "
                    "[unclosed\n");
        }
        QTemporaryDir good;
        EngineHost host(ephemeral());
        MainWindow window(&host);
        QSignalSpy started(&host, &EngineHost::started);
        QSignalSpy failed(&host, &EngineHost::failed);
        window.show();
        host.start();
        QVERIFY(started.wait(10000));

        window.openProject(broken.path());
        QVERIFY(failed.wait(10000));
        QVERIFY(window.isVisible());
        QVERIFY(!window.notifications()->messages().isEmpty());
        QVERIFY(window.notifications()->messages().last().contains(QLatin1String("template.yaml")));
        // The resources tree says why, and the window goes on working.
        const ResourceModel *resources = window.resources();
        const QModelIndex templ = resources->index(resources->rowCount() - 1, 0);
        const QString row = resources->index(0, 0, templ).data().toString();
        QVERIFY2(row.contains(QLatin1String("The template did not load: template.yaml:")),
            qPrintable(row));
        window.zoomState()->setSession({1, 1'000'000'000});
        window.zoomState()->zoomToFit();
        QApplication::processEvents();

        // Another project opens fine after that.
        window.openProject(good.path());
        QVERIFY(started.wait(10000));
        QVERIFY(get(host.endpoint(QStringLiteral("edge")) + QStringLiteral("/_tarmac/health")));
    }

    void layoutAndFiltersPersist()
    {
        {
            EngineHost host(ephemeral());
            MainWindow window(&host);
            window.resize(1000, 700);
            window.show();
            window.logView()->setFilterText(QStringLiteral("timeout"));
            window.logView()->setScope(LogView::SelectedTrace);
            window.close(); // saves
        }
        EngineHost host(ephemeral());
        MainWindow window(&host);
        QCOMPARE(window.findChild<QLineEdit *>(QStringLiteral("logFilterText"))->text(),
            QStringLiteral("timeout"));
        QCOMPARE(window.logView()->scope(), LogView::SelectedTrace);
        QVERIFY(QSettings().contains(QStringLiteral("window/geometry")));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
