#include "ui/desktop.h"

#include "base/terminationsignals.h"
#include "ui/automation.h"
#include "ui/enginehost.h"
#include "ui/mainwindow.h"

#include <QApplication>

#include <cstdio>
#include <cstdlib>
#include <memory>

using namespace tarmac;

int runDesktop(int argc, char **argv, const Engine::Options &options, bool automationOnStdin)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Tarmac"));
    QApplication::setOrganizationName(QStringLiteral("Tarmac"));

    EngineHost host(options);
    MainWindow window(&host);
    QObject::connect(
        &host, &EngineHost::started, &app, [&host](const QString &line, const QString &stateDir) {
            // Where the state is, as serve says it (a project-less start writes ./.tarmac).
            if (host.options().console && host.options().console->level != ConsoleLog::Level::Quiet)
                std::fprintf(stderr, "tarmac: %s\n",
                    qPrintable(Engine::stateLine(stateDir, host.options().ephemeral)));
            std::fflush(stderr);
            std::printf("%s\n", qPrintable(line));
            std::fflush(stdout);
        });
    // What the window shows of a failed start goes to the terminal too.
    QObject::connect(&host, &EngineHost::failed, &app, [](const QString &message) {
        std::fprintf(stderr, "tarmac: %s\n", qPrintable(message));
        std::fflush(stderr);
    });
    std::unique_ptr<Automation> automation;
    if (automationOnStdin)
        automation = std::make_unique<Automation>(&window);
    // SIGTERM and Ctrl+C stop as closing the window does (the engine stopped, traces
    // flushed, an ephemeral state folder removed), and the app exits 0.
    onTerminationSignals(&app, [&window](int count) {
        if (count > 1)
            std::_Exit(1);
        window.close();
        QCoreApplication::quit();
    });
    window.show();
    host.start();
    return app.exec();
}
