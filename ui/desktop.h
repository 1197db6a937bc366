#pragma once

// Runs the desktop app: `tarmac [PROJECT] [serve options]` with a display.
int runDesktop(int argc, char **argv);
