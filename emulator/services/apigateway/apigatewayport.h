#pragma once

#include "http/httphandler.h"

namespace tarmac {

class Clock;
class Tracer;

// The API port (default 3000), where the application's HTTP routes are served the way API
// Gateway serves them. Routes come from the template's Api/HttpApi events (a later part);
// until a route matches, it answers as an HTTP API does: 404 {"message":"Not Found"}.
// Every request gets a span on its trace like the edge port's.
class ApiGatewayPort : public HttpHandler
{
public:
    ApiGatewayPort(Tracer *tracer, const Clock *clock);
    qint64 maxBodySize(const HttpRequest &head) const override;
    void handle(HttpRequest &&request, HttpResponder responder) override;

private:
    Tracer *m_tracer;
    const Clock *m_clock;
};

} // namespace tarmac
