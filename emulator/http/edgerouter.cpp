#include "http/edgerouter.h"

#include "base/clock.h"
#include "http/awserror.h"
#include "http/servicedetector.h"
#include "http/serviceregistry.h"
#include "trace/tracecontext.h"
#include "trace/tracer.h"

#include <QTimer>

namespace tarmac {

namespace {

constexpr qint64 kMiB = 1024 * 1024;
constexpr qint64 kS3MaxPut = 5LL * 1024 * kMiB; // AWS's single-PUT limit
constexpr qint64 kApiBodyLimit = 16 * kMiB; // Lambda's 6 MB payload plus base64 room

// The request's service, detected by its first look and kept in the request.
const ServiceMatch &serviceOf(const HttpRequest &request)
{
    if (!request.serviceMatch)
        request.serviceMatch = detectService(request);
    return *request.serviceMatch;
}

} // namespace

void beginRequestSpan(HttpRequest &request, const HttpResponder &responder, Tracer *tracer,
    const Clock *clock, const QString &service, const QString &operation,
    const QList<std::pair<QString, QString>> &extra)
{
    auto context = TraceContext::fromHeaders(
        request.header("x-amzn-trace-id"), request.header("traceparent"));
    TraceContext trace = context ? *context : TraceContext::newTrace(*clock);
    request.requestId = newRequestId();
    request.traceId = trace.traceId;
    request.parentSpanId = trace.parentSpanId;
    request.spanId = TraceContext::newSpanId();

    const qint64 startNs = clock->nowNs();
    responder.onSend(
        [tracer, clock, startNs, service, operation, method = request.method, path = request.path,
            requestId = request.requestId, traceId = request.traceId, spanId = request.spanId,
            parent = request.parentSpanId, extra](HttpResponse &response) {
            if (!response.headers.contains("x-amzn-requestid")
                && !response.headers.contains("x-amz-request-id"))
                response.headers.add("x-amzn-requestid", requestId);
            if (!tracer)
                return;
            RequestSpan span {.traceId = traceId,
                .spanId = spanId,
                .parentSpanId = parent,
                .service = response.service.isEmpty() ? service : response.service,
                .operation = response.operation.isEmpty() ? operation : response.operation,
                .method = method,
                .path = path,
                .requestId = requestId,
                .status = response.status,
                .startNs = startNs,
                .endNs = clock->nowNs(),
                .attributes = response.spanAttributes};
            span.attributes.append(extra);
            tracer->record(std::move(span));
        });
}

EdgeRouter::EdgeRouter(ServiceRegistry *registry, Tracer *tracer, const Clock *clock)
    : m_registry(registry)
    , m_tracer(tracer)
    , m_clock(clock)
{ }

void EdgeRouter::addInternalRoute(const QByteArray &prefix, HttpHandler *handler)
{
    m_internal.append({prefix, handler});
}

void EdgeRouter::addClaimedRoute(Claim claims, HttpHandler *handler)
{
    m_claimed.append({std::move(claims), handler});
}

HttpHandler *EdgeRouter::claimedBy(const HttpRequest &head) const
{
    for (const auto &[claims, handler] : m_claimed) {
        if (claims(head))
            return handler;
    }
    return nullptr;
}

qint64 EdgeRouter::maxBodySize(const HttpRequest &head) const
{
    if (HttpHandler *handler = claimedBy(head))
        return handler->maxBodySize(head);
    if (head.path.startsWith("/_tarmac/"))
        return kApiBodyLimit;
    // A query-protocol form names its service in the body, which has not arrived yet.
    if (head.header("content-type").startsWith("application/x-www-form-urlencoded"))
        return kApiBodyLimit;
    const ServiceMatch &match = serviceOf(head);
    if (HttpHandler *handler = m_registry->handlerFor(match.service))
        return handler->maxBodySize(head);
    return match.service == QLatin1String("s3") ? kS3MaxPut : kApiBodyLimit;
}

HttpHandler *EdgeRouter::serviceHandler(const HttpRequest &head) const
{
    return m_registry->handlerFor(detectService(head).service);
}

HttpResponse EdgeRouter::bodyTooLarge(const HttpRequest &head) const
{
    if (HttpHandler *handler = serviceHandler(head))
        return handler->bodyTooLarge(head);
    return HttpHandler::bodyTooLarge(head);
}

HttpResponse EdgeRouter::requestTimeout(const HttpRequest &head) const
{
    if (HttpHandler *handler = serviceHandler(head))
        return handler->requestTimeout(head);
    return HttpHandler::requestTimeout(head);
}

HttpResponse EdgeRouter::internalError(const HttpRequest &head, const QString &message) const
{
    if (head.path.startsWith("/_tarmac/"))
        return HttpHandler::internalError(head, message);
    if (HttpHandler *handler = serviceHandler(head))
        return handler->internalError(head, message);
    return HttpHandler::internalError(head, message);
}

void EdgeRouter::handle(HttpRequest &&request, HttpResponder responder)
{
    if (request.path.startsWith("/_tarmac/")) {
        beginRequestSpan(request, responder, m_tracer, m_clock, QStringLiteral("tarmac"),
            QString::fromLatin1(request.path.mid(9)));
        if (request.path == "/_tarmac/health") {
            HttpResponse r = HttpResponse::json(200, m_registry->healthJson());
            r.operation = QStringLiteral("Health");
            responder.send(std::move(r));
            return;
        }
        for (const auto &[prefix, handler] : std::as_const(m_internal)) {
            if (request.path.startsWith(prefix)) {
                handleGuarded(
                    handler, std::move(request), std::move(responder), QStringLiteral("tarmac"));
                return;
            }
        }
        responder.send(HttpResponse::json(404,
            QByteArrayLiteral(R"({"__type":"NotFound","message":"No such Tarmac endpoint"})")));
        return;
    }
    if (HttpHandler *handler = claimedBy(request)) {
        handleGuarded(handler, std::move(request), std::move(responder), QStringLiteral("tarmac"));
        return;
    }

    const ServiceMatch match = serviceOf(request); // a copy: the request moves on
    const QString service = match.service.isEmpty() ? QStringLiteral("unknown") : match.service;
    std::optional<RequestFault> fault;
    if (m_faultHook && !match.service.isEmpty())
        fault = m_faultHook(request, match);
    if (!fault) {
        beginRequestSpan(request, responder, m_tracer, m_clock, service, match.operation);
        route(std::move(request), std::move(responder), match);
        return;
    }
    beginRequestSpan(request, responder, m_tracer, m_clock, service,
        fault->operation.isEmpty() ? match.operation : fault->operation,
        {{QStringLiteral("tarmac.fault"), fault->description},
            {QStringLiteral("tarmac.fault_id"), fault->ruleId}});
    if (fault->error) {
        responder.send(awsErrorResponse(
            protocolFromName(match.protocol), *fault->error, request.requestId, request.path));
        return;
    }
    if (fault->drop) {
        HttpResponse dropped = HttpResponse::text(503, QByteArray());
        dropped.dropConnection = true;
        dropped.spanAttributes.append(
            {QStringLiteral("error.type"), QStringLiteral("connection dropped")});
        responder.send(std::move(dropped));
        return;
    }
    // Later, on this I/O thread: its event loop outlives nothing the router needs (the server
    // stops its threads before the router goes).
    auto held = std::make_shared<HttpRequest>(std::move(request));
    QTimer::singleShot(fault->latencyMs, Qt::PreciseTimer, [this, held, responder, match] {
        if (responder.isCancelled())
            return;
        route(std::move(*held), responder, match);
    });
}

void EdgeRouter::route(HttpRequest &&request, HttpResponder responder, const ServiceMatch &match)
{

    if (match.service.isEmpty()) {
        // A service Tarmac does not emulate (SES, SSM, …): NotImplemented, in the protocol the
        // client speaks, so that its SDK shows the message instead of failing to parse it.
        const Error error = match.signingName.isEmpty()
            ? makeError(QStringLiteral("UnknownServiceException"),
                QStringLiteral("Tarmac cannot tell which AWS service this request is for"), 400)
            : makeError(QStringLiteral("NotImplemented"),
                QStringLiteral("Tarmac does not emulate the %1 service")
                    .arg(QString::fromLatin1(match.signingName)),
                501);
        const AwsProtocol protocol
            = match.protocol.isEmpty() ? AwsProtocol::Json : protocolFromName(match.protocol);
        responder.send(awsErrorResponse(protocol, error, request.requestId, request.path));
        return;
    }
    if (HttpHandler *handler = m_registry->handlerFor(match.service)) {
        // Here rather than only around the whole router: the request id is set, and the
        // service answers in its own shape.
        handleGuarded(handler, std::move(request), std::move(responder), match.service);
        return;
    }
    // A module that runs but offers no AWS API at the edge (API Gateway serves the
    // application's routes on its own port; its management API is not there yet) answers as
    // a service Tarmac does not emulate: 501, as /_tarmac/health calls it running.
    bool running = false;
    const bool known = m_registry->contains(match.service);
    for (const auto &e : m_registry->entries()) {
        if (e.name == match.service)
            running = e.state == ServiceState::Running;
    }
    const bool stopped = known && !running;
    const Error error = stopped
        ? makeError(QStringLiteral("ServiceUnavailable"),
            QStringLiteral("The %1 service is not running").arg(match.service), 503)
        : makeError(QStringLiteral("NotImplemented"),
            known ? QStringLiteral("Tarmac's %1 module does not offer this API yet")
                        .arg(match.service)
                  : QStringLiteral("Tarmac does not emulate the %1 service").arg(match.service),
            501);
    responder.send(
        awsErrorResponse(protocolFromName(match.protocol), error, request.requestId, request.path));
}

} // namespace tarmac
