#pragma once

#include <functional>

class QObject;

namespace tarmac {

// Turns SIGINT and SIGTERM into calls of `handler` on the thread of `context` (through a
// self-pipe: a signal handler may do nothing else), so that `serve` and the desktop app stop
// as they would by their own means: drain, flush traces, remove an ephemeral state folder,
// exit 0. The handler gets how many such signals have arrived (a second one usually means
// "now"). Installed once per process; a later call replaces the handler.
void onTerminationSignals(QObject *context, std::function<void(int count)> handler);

} // namespace tarmac
