// Linked into tarmac-desktop (app/desktoplauncher.h).
#include "app/desktoplauncher.h"

#include "ui/desktop.h"

bool isDesktopExecutable()
{
    return true;
}

int runDesktopApp(int argc, char **argv, const tarmac::Engine::Options &options, bool automation)
{
    return runDesktop(argc, argv, options, automation);
}
