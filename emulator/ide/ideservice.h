#pragma once

#include "engine/ideport.h"

#include <memory>

namespace tarmac {

class Engine;

// The IDE port for `engine` (Engine::Options::ide): the JSON-RPC methods (ideapi.h), the
// WebSocket server on a thread of its own (IdeServer), the notification feeds (spans and
// logs from the tracer, deliveries from the Dispatcher, the clock, resources, the template's
// fidelity report), the browser console at /_tarmac/ide/ on the edge port, and the discovery
// file STATE/ide.json ({"port", "url", "tokenPath", "pid", "edge", "console"}) written once
// the port is bound and removed when it closes, so that an editor finds the Tarmac running
// for the folder it has open.
std::unique_ptr<IdePort> makeIdePort(Engine &engine);

} // namespace tarmac
