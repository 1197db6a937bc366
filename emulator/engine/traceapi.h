#pragma once

#include "http/httphandler.h"

namespace tarmac {

class Tracer;

// The stored traces and logs at GET /_tarmac/traces[?trace=ID] on the edge port, as the OTLP
// JSON document `tarmac traces export` writes: what `traces export --edge URL` reads from a
// running Tarmac (whose state folder may be a temporary one). Thread-safe (Tracer reads are).
class TraceApi : public HttpHandler
{
public:
    explicit TraceApi(Tracer *tracer);

    static constexpr const char *prefix = "/_tarmac/traces";

    void handle(HttpRequest &&request, HttpResponder responder) override;

private:
    HttpResponse route(const HttpRequest &request) const;

    Tracer *m_tracer;
};

// Whether `id` is a trace id as Tarmac stores them: 32 lower- or upper-case hex digits.
bool isTraceId(const QByteArray &id);

} // namespace tarmac
