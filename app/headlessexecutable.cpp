// Linked into tarmac (app/desktoplauncher.h): the desktop app is another executable.
#include "app/desktoplauncher.h"

#include <cstdlib>

bool isDesktopExecutable()
{
    return false;
}

int runDesktopApp(int, char **, const tarmac::Engine::Options &, bool)
{
    std::abort(); // main() execs tarmac-desktop instead
}
