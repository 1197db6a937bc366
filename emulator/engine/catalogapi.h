#pragma once

namespace tarmac {

class Engine;
class IdeServer;

// The resource catalog on the IDE port (JSON-RPC), on the calls the desktop's resource panel
// uses, so that every service's resources appear there without code of their own:
//
// - `resources.list` {kind?} → {"resources": [{"kind", "logicalId", "name", "arn", "status",
//   "counts", "properties", "actions", "warning"?}]}
// - `resources.get` {kind, name} → one of them (name: its own, or the template's logical id)
// - `resources.items` {kind, name, after?, max?} → {"items": [{"key", "size", "modified",
//   "detail"}], "truncated"} for a resource that offers "browse"
// - `resources.action` {kind, name, action} → {"result": what it did} (a queue's "purge")
//
// Bad params answer -32602; a resource or action that does not exist -32000 with data.type.
void addCatalogMethods(IdeServer &ide, Engine &engine);

} // namespace tarmac
