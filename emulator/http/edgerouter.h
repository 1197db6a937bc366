#pragma once

#include "base/result.h"
#include "http/httphandler.h"

#include <functional>
#include <optional>

namespace tarmac {

class Clock;
class ServiceRegistry;
class Tracer;
struct ServiceMatch;

// What a fault rule does to one AWS request on the edge (engine/faults.h decides which):
// answer later, answer with an error in the service's shape, or close the connection.
struct RequestFault
{
    int latencyMs = 0;
    std::optional<Error> error;
    bool drop = false;
    QString ruleId;
    QString description; // for the request's span: tarmac.fault
    QString operation; // the operation it hit, for the span's name (the service never ran)
};

// The edge port's handler: the front door's pipeline of small stages. For each request:
// Tarmac's own endpoints (/_tarmac/…) → pick the service (credential scope, X-Amz-Target,
// Action, path, host; S3 last) → trace context (X-Amzn-Trace-Id or traceparent, else a new
// trace) and a request id → the service's handler, behind an exception barrier
// (handleGuarded) → on the way out, common headers and one span for the request (service,
// operation, status, duration).
// A service that is not running answers in its own protocol's error shape; an unknown one
// gets a JSON UnknownServiceException (400).
class EdgeRouter : public HttpHandler
{
public:
    EdgeRouter(ServiceRegistry *registry, Tracer *tracer, const Clock *clock);

    qint64 maxBodySize(const HttpRequest &head) const override;
    HttpResponse bodyTooLarge(const HttpRequest &head) const override;
    HttpResponse requestTimeout(const HttpRequest &head) const override;
    void handle(HttpRequest &&request, HttpResponder responder) override;
    // The service's own InternalError shape, as for bodyTooLarge().
    HttpResponse internalError(const HttpRequest &head, const QString &message) const override;

    // Extra handlers for /_tarmac/<name>… (the dispatcher's controls). Add them before the
    // engine prints its ready line (module start): the list is not locked.
    void addInternalRoute(const QByteArray &prefix, HttpHandler *handler);
    // A handler for requests that are not AWS calls, which `claims` recognises by their head
    // (the OTLP receiver's POST /v1/traces); asked before a service is looked for. They get no
    // span of their own: what they carry is traces. Add them before the port listens.
    using Claim = std::function<bool(const HttpRequest &head)>;
    void addClaimedRoute(Claim claims, HttpHandler *handler);

    // Asked for every request to a service (not Tarmac's own): a fault to inject, or none.
    // Set it before the port listens; it is called on I/O threads.
    using FaultHook
        = std::function<std::optional<RequestFault>(const HttpRequest &, const ServiceMatch &)>;
    void setFaultHook(FaultHook hook) { m_faultHook = std::move(hook); }

private:
    // To the service's handler (or its refusal when it has none running).
    void route(HttpRequest &&request, HttpResponder responder, const ServiceMatch &match);
    // The handler of the service a request's head names; nullptr when none runs.
    HttpHandler *serviceHandler(const HttpRequest &head) const;

    ServiceRegistry *m_registry;
    Tracer *m_tracer;
    const Clock *m_clock;
    QList<std::pair<QByteArray, HttpHandler *>> m_internal;
    QList<std::pair<Claim, HttpHandler *>> m_claimed;
    HttpHandler *claimedBy(const HttpRequest &head) const;
    FaultHook m_faultHook;
};

// Opens the span of a request and closes it on the way out; shared by every port's handler.
// Sets request.requestId/traceId/spanId/parentSpanId and returns the hook for onSend().
// `extra`: attributes the span gets besides the request's own (an injected fault).
void beginRequestSpan(HttpRequest &request, const HttpResponder &responder, Tracer *tracer,
    const Clock *clock, const QString &service, const QString &operation,
    const QList<std::pair<QString, QString>> &extra = {});

} // namespace tarmac
