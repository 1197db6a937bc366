#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QStringList>

#include <functional>
#include <memory>

namespace tarmac {

class Engine;
class HttpHandler;
class JsonRpc;
struct Replays;
struct CatalogEntry;
class TraceQuery;

// What the IDE's methods run on: the engine (its public API only, the calls the desktop app
// makes), a way onto the engine's thread, and the IDE thread's own read-only connection to
// the trace store, so that queries never wait for or hold up the engine.
struct IdeContext
{
    Engine *engine = nullptr;
    // Runs `work` on the engine's thread (later; never, once the IDE port is closed).
    std::function<void(std::function<void()> work)> onEngine;
    // The IDE thread's trace store connection, opened on first use (IDE thread only).
    std::function<Result<TraceQuery *>()> traces;
    // Every method's name, for tarmac.info (clients check what this Tarmac offers).
    std::function<QStringList()> methods;
    // The IDE port's own figures for tarmac.info: {"clients", "queuedBytes", "missed"}.
    std::function<Json()> stats;
    // The replays that replay.* and the edge's /_tarmac/replays share (makeReplays()); unset:
    // addIdeMethods makes its own.
    std::shared_ptr<Replays> replays;
};

std::shared_ptr<Replays> makeReplays();

// /_tarmac/replays on the edge port (docs/replay.md): POST {"capture", "target"?, "map"?,
// "speed"?, "settle"?} starts a capture's replay against this engine (201, its status, as
// replay.start answers); GET /_tarmac/replays/ID its status (each event's result and
// mismatches, as replay.status answers); GET /_tarmac/replays every capture's. Needs
// context.replays.
std::unique_ptr<HttpHandler> makeReplayRoute(const IdeContext &context);

// A method that runs `fn` on the engine's thread and answers with what it returns.
std::function<void(const Json &, std::function<void(Result<Json>)>, quint64)> engineMethod(
    const IdeContext &context, std::function<Result<Json>(Engine &engine, const Json &params)> fn);

// Every method of the IDE API but subscribe/unsubscribe (IdeServer's), including
// rpc.discover (the API's description, docs/ide-api.json, built in):
// tarmac.*, resources.*, project.*, functions.*, deliveries.*, dispatch.*, breakpoints.*,
// clock.*, schedules.fire, traces.*, logs.query, events.*, replay.* (docs/ide-api.json
// describes each; tests check the two agree). Handlers run on the IDE thread; those that call
// the engine post themselves onto its thread.
void addIdeMethods(JsonRpc &rpc, const IdeContext &context);

// resources.list/get/items/action, from the resource catalog (catalogapi.cpp).
void addCatalogMethods(JsonRpc &rpc, const IdeContext &context);
// A resource as resources.list shows it: {"kind", "logicalId", "name", "arn", "status",
// "counts", "properties", "actions", "warning"?}. Engine thread.
Json catalogEntryJson(const CatalogEntry &entry, const Engine &engine);

} // namespace tarmac
