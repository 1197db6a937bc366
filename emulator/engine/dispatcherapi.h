#pragma once

#include "http/httphandler.h"

namespace tarmac {

class Clock;
class Dispatcher;

// The Dispatcher's controls for scripts, at /_tarmac/dispatch/… on the edge port: JSON in
// and out, documented in README.md ("Dispatcher"). A thin wire layer: every decision is the
// Dispatcher's. Thread-safe (it only calls the Dispatcher).
class DispatcherApi : public HttpHandler
{
public:
    explicit DispatcherApi(Dispatcher *dispatcher);

    static constexpr const char *prefix = "/_tarmac/dispatch";

    qint64 maxBodySize(const HttpRequest &head) const override;
    void handle(HttpRequest &&request, HttpResponder responder) override;

private:
    HttpResponse route(const HttpRequest &request);

    Dispatcher *m_dispatcher;
};

} // namespace tarmac
