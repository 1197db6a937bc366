#pragma once

#include "engine/engine.h"

// The desktop app is an executable of its own, `tarmac-desktop`, beside `tarmac`: a headless
// Tarmac (serve, the CLI, CI) then never loads Qt Widgets, Qt Gui and the X11 and OpenGL
// libraries under them, about a quarter of its resident memory. Both are built from main.cpp;
// they differ only in which of desktopexecutable.cpp and headlessexecutable.cpp they link.
// `tarmac PROJECT` with a display execs `tarmac-desktop` with the same arguments (same PID).

// True in tarmac-desktop.
bool isDesktopExecutable();

// Runs the desktop app (tarmac-desktop only; `tarmac` never calls it).
int runDesktopApp(int argc, char **argv, const tarmac::Engine::Options &options, bool automation);
