#include "ui/desktop.h"

#include "ui/automation.h"
#include "ui/enginehost.h"
#include "ui/mainwindow.h"

#include <QApplication>

#include <cstdio>
#include <memory>

using namespace tarmac;

int runDesktop(int argc, char **argv, const Engine::Options &options, bool automationOnStdin)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Tarmac"));
    QApplication::setOrganizationName(QStringLiteral("Tarmac"));

    EngineHost host(options);
    MainWindow window(&host);
    QObject::connect(&host, &EngineHost::started, &app, [](const QString &line) {
        std::printf("%s\n", qPrintable(line));
        std::fflush(stdout);
    });
    std::unique_ptr<Automation> automation;
    if (automationOnStdin)
        automation = std::make_unique<Automation>(&window);
    window.show();
    host.start();
    return app.exec();
}
