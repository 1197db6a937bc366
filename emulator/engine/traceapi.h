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

// Tarmac's OTLP/HTTP receiver on the edge port: POST /v1/traces and /v1/logs, protobuf
// (application/x-protobuf) or JSON (application/json), what functions' own OpenTelemetry
// SDKs send (functions get OTEL_EXPORTER_OTLP_ENDPOINT pointed here). The records go to the
// tracer like Tarmac's own, so a span made with the invocation's trace context shows under
// the invocation. Answers as a collector does: 200 with partial success counting the records
// it could not read, 400 with a google.rpc.Status for a body that does not decode, 415 for
// another content type or a compressed body.
class OtlpReceiverApi : public HttpHandler
{
public:
    explicit OtlpReceiverApi(Tracer *tracer);

    // Whether a request at the edge is an OTLP export rather than an AWS call: POST to
    // /v1/traces or /v1/logs, an OTLP content type, no AWS signature. (S3 cannot mean it: a
    // bucket name has three characters at least.)
    static bool isExport(const HttpRequest &head);

    qint64 maxBodySize(const HttpRequest &head) const override;
    void handle(HttpRequest &&request, HttpResponder responder) override;

private:
    Tracer *m_tracer;
};

// Whether `id` is a trace id as Tarmac stores them: 32 lower- or upper-case hex digits.
bool isTraceId(const QByteArray &id);

} // namespace tarmac
