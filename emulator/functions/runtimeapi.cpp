#include "functions/runtimeapi.h"

#include "base/json.h"
#include "http/httpserver.h"

#include <QHostAddress>
#include <QPointer>

namespace tarmac {

namespace {

// Bodies past the payload limit are still read (to disk) up to this, so that the answer is
// the Runtime API's own 413 rather than a dropped connection.
constexpr qint64 kReadLimit = 64 * 1024 * 1024;

bool validRequestId(QByteArrayView id)
{
    if (id.isEmpty() || id.size() > 128)
        return false;
    for (const char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '-' || c == '_' || c == '.';
        if (!ok)
            return false;
    }
    return true;
}

} // namespace

RuntimeRoute parseRuntimeRoute(const QByteArray &method, const QByteArray &rawPath)
{
    RuntimeRoute route;
    QByteArrayView path(rawPath);
    if (path.endsWith('/') && path.size() > 1)
        path.chop(1);
    static constexpr QByteArrayView runtime("/2018-06-01/runtime/");
    if (path == QByteArrayView("/2018-06-01/ping")) {
        route.kind = RuntimeRoute::Ping;
        return route;
    }
    if (path.startsWith("/2020-01-01/extension/")) {
        route.kind = RuntimeRoute::Extension;
        return route;
    }
    if (path.startsWith("/2020-08-15/logs") || path.startsWith("/2022-07-01/telemetry")) {
        route.kind = RuntimeRoute::Telemetry;
        return route;
    }
    if (!path.startsWith(runtime))
        return route;
    path = path.sliced(runtime.size());
    if (path == QByteArrayView("invocation/next")) {
        if (method == "GET")
            route.kind = RuntimeRoute::Next;
        return route;
    }
    if (path == QByteArrayView("init/error")) {
        if (method == "POST")
            route.kind = RuntimeRoute::InitError;
        return route;
    }
    static constexpr QByteArrayView invocation("invocation/");
    if (!path.startsWith(invocation) || method != "POST")
        return route;
    path = path.sliced(invocation.size());
    const qsizetype slash = path.indexOf('/');
    if (slash <= 0)
        return route;
    const QByteArrayView id = path.first(slash);
    const QByteArrayView what = path.sliced(slash + 1);
    if (!validRequestId(id))
        return route;
    if (what == QByteArrayView("response"))
        route.kind = RuntimeRoute::Response;
    else if (what == QByteArrayView("error"))
        route.kind = RuntimeRoute::Error;
    else
        return route;
    route.requestId = id.toByteArray();
    return route;
}

HttpResponse runtimeApiError(int status, const char *errorType, const QByteArray &message)
{
    Json body = {{"errorMessage", message.toStdString()}, {"errorType", errorType}};
    return HttpResponse::json(status, toJsonBytes(body));
}

RuntimeApiServer::RuntimeApiServer(RuntimeApiBackend *backend, QString spoolDir)
    : m_backend(backend)
    , m_spoolDir(std::move(spoolDir))
{ }

RuntimeApiServer::~RuntimeApiServer()
{
    close();
}

Result<quint16> RuntimeApiServer::listen()
{
    HttpServer::Options options;
    options.ioThreads = 0; // the backend's thread: no locking between the API and the instance
    options.limits.spoolDir = m_spoolDir;
    // A runtime holds /next open for as long as the instance is idle.
    options.keepAliveTimeoutMs = 24 * 3600 * 1000;
    options.maxConnections = 64;
    m_server = std::make_unique<HttpServer>(this, options);
    if (!m_server->listen(QHostAddress(QHostAddress::LocalHost), 0))
        return makeError(QStringLiteral("Runtime.ListenFailed"),
            QStringLiteral("cannot open a Runtime API port: %1").arg(m_server->errorString()), 500);
    return m_server->serverPort();
}

quint16 RuntimeApiServer::port() const
{
    return m_server ? m_server->serverPort() : 0;
}

void RuntimeApiServer::close()
{
    m_server.reset(); // closes the listener and, with it, every connection it owns
}

qint64 RuntimeApiServer::maxBodySize(const HttpRequest &head) const
{
    const RuntimeRoute route = parseRuntimeRoute(head.method, head.path);
    if (route.kind != RuntimeRoute::Response && route.kind != RuntimeRoute::Error
        && route.kind != RuntimeRoute::InitError)
        return 64 * 1024;
    bool ok = false;
    const qint64 declared = head.header("content-length").toLongLong(&ok);
    if (ok && declared > kReadLimit && !route.requestId.isEmpty()) {
        // The server answers 413 itself without reading the body; the instance must still
        // learn that the invocation failed. Queued: this runs in the middle of parsing.
        QMetaObject::invokeMethod(
            m_server.get(),
            [backend = m_backend, id = route.requestId] { backend->responseTooLarge(id); },
            Qt::QueuedConnection);
        return kReadLimit;
    }
    return kReadLimit;
}

void RuntimeApiServer::handle(HttpRequest &&request, HttpResponder responder)
{
    const RuntimeRoute route = parseRuntimeRoute(request.method, request.path);
    switch (route.kind) {
    case RuntimeRoute::Next:
        m_backend->nextInvocation(std::move(responder));
        return;
    case RuntimeRoute::Response:
    case RuntimeRoute::Error:
        if (request.body.size() > kMaxPayload) {
            responder.send(runtimeApiError(413, "RequestEntityTooLarge",
                QByteArrayLiteral("Exceeded maximum allowed payload size (6291556 bytes).")));
            m_backend->responseTooLarge(route.requestId);
            return;
        }
        if (route.kind == RuntimeRoute::Response)
            m_backend->invocationResponse(
                route.requestId, std::move(request), std::move(responder));
        else
            m_backend->invocationError(route.requestId, std::move(request), std::move(responder));
        return;
    case RuntimeRoute::InitError:
        if (request.body.size() > kMaxPayload) {
            responder.send(runtimeApiError(413, "RequestEntityTooLarge",
                QByteArrayLiteral("Exceeded maximum allowed payload size (6291556 bytes).")));
            return;
        }
        m_backend->initError(std::move(request), std::move(responder));
        return;
    case RuntimeRoute::Ping:
        responder.send(HttpResponse::text(200, QByteArrayLiteral("pong")));
        return;
    case RuntimeRoute::Extension:
    case RuntimeRoute::Telemetry:
    case RuntimeRoute::Unknown:
        break;
    }
    responder.send(runtimeApiError(404, "InvalidRequest",
        QByteArrayLiteral("Tarmac's Runtime API does not serve ") + request.method + ' '
            + request.path.left(200)));
}

} // namespace tarmac
