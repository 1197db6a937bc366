#pragma once

#include "engine/engine.h"

// Runs the desktop app: `tarmac [PROJECT] [serve options]` with a display. The options are
// parsed by the command line (app/main.cpp), as for `serve`; `automation` takes commands on
// standard input (ui/automation.h).
int runDesktop(int argc, char **argv, const tarmac::Engine::Options &options, bool automation);
