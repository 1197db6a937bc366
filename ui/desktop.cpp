#include "ui/desktop.h"

#include "ui/automation.h"
#include "ui/enginehost.h"
#include "ui/mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>

#include <cstdio>
#include <memory>

using namespace tarmac;

int runDesktop(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Tarmac"));
    QApplication::setOrganizationName(QStringLiteral("Tarmac"));
    QCommandLineParser p;
    p.addOption({ QStringLiteral("state"), QStringLiteral("State folder."), QStringLiteral("DIR") });
    p.addOption({ QStringLiteral("ephemeral"), QStringLiteral("Temporary state.") });
    p.addOption({ QStringLiteral("port"), QStringLiteral("Edge port."), QStringLiteral("N"), QStringLiteral("4566") });
    p.addOption({ QStringLiteral("api-port"), QStringLiteral("API port."), QStringLiteral("N"), QStringLiteral("3000") });
    p.addOption({ QStringLiteral("ide-port"), QStringLiteral("IDE port."), QStringLiteral("N"), QStringLiteral("4567") });
    p.addOption({ QStringLiteral("automation"),
                  QStringLiteral("Take commands on standard input (screenshots, tests).") });
    p.addPositionalArgument(QStringLiteral("PROJECT"), QStringLiteral("Project folder or template."));
    p.addHelpOption();
    p.process(app);

    Engine::Options o;
    if (!p.positionalArguments().isEmpty())
        o.projectPath = QFileInfo(p.positionalArguments().first()).absoluteFilePath();
    o.stateDir = p.value(QStringLiteral("state"));
    o.ephemeral = p.isSet(QStringLiteral("ephemeral"));
    o.edgePort = p.value(QStringLiteral("port")).toInt();
    o.apiPort = p.value(QStringLiteral("api-port")).toInt();
    o.idePort = p.value(QStringLiteral("ide-port")).toInt();

    EngineHost host(o);
    MainWindow window(&host);
    QObject::connect(&host, &EngineHost::started, &app, [](const QString &line) {
        std::printf("%s\n", qPrintable(line));
        std::fflush(stdout);
    });
    std::unique_ptr<Automation> automation;
    if (p.isSet(QStringLiteral("automation")))
        automation = std::make_unique<Automation>(&window);
    window.show();
    host.start();
    return app.exec();
}
