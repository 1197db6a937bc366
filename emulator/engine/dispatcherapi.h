#pragma once

#include "base/json.h"
#include "http/httphandler.h"

#include <functional>

namespace tarmac {

class Clock;
class Dispatcher;
struct Breakpoint;
struct DeliveryRecord;
struct PendingDelivery;

// The Dispatcher's controls for scripts, at /_tarmac/dispatch/… on the edge port: JSON in
// and out, documented in README.md ("Dispatcher"). A thin wire layer: every decision is the
// Dispatcher's. Thread-safe (it only calls the Dispatcher).
class DispatcherApi : public HttpHandler
{
public:
    // The template's names (Engine::physicalName/logicalName; thread-safe): functions are
    // named by logical id or physical name in requests, and answers carry both.
    struct Names
    {
        std::function<QString(const QString &)> physical;
        std::function<QString(const QString &)> logical;
    };
    explicit DispatcherApi(Dispatcher *dispatcher, Names names = {});

    static constexpr const char *prefix = "/_tarmac/dispatch";

    // The JSON shapes both this and the IDE API answer with (README.md, "Dispatcher").
    static Json breakpointJson(const Breakpoint &breakpoint);
    static Json pendingJson(const PendingDelivery &pending);
    static Json recordJson(const DeliveryRecord &record, bool withBodies);
    // {"paused", "pending": count, "breakpoints"}
    static Json stateJson(Dispatcher *dispatcher, const Names &names);
    // A breakpoint from {"function"?, "origin"?, "enabled"?, "path"?, "op"?, "value"?}; the
    // error's code is InvalidRequest.
    static Result<Breakpoint> breakpointFromJson(const Json &body);
    // Sets "logicalId" beside "function" when the template names it otherwise.
    static void putLogicalId(Json &j, const Names &names);

    qint64 maxBodySize(const HttpRequest &head) const override;
    void handle(HttpRequest &&request, HttpResponder responder) override;

private:
    HttpResponse route(const HttpRequest &request);

    QString physical(const QString &name) const;

    Dispatcher *m_dispatcher;
    Names m_names;
};

} // namespace tarmac
