#pragma once

#include "base/result.h"
#include "http/httphandler.h"

#include <QByteArray>
#include <QString>

#include <memory>

namespace tarmac {

class HttpServer;

// Where the Runtime API's calls go: the instance that owns the listener.
class RuntimeApiBackend
{
public:
    virtual ~RuntimeApiBackend() = default;
    // GET /2018-06-01/runtime/invocation/next: answered when there is an invocation.
    virtual void nextInvocation(HttpResponder responder) = 0;
    virtual void invocationResponse(
        const QByteArray &requestId, HttpRequest &&request, HttpResponder responder)
        = 0;
    virtual void invocationError(
        const QByteArray &requestId, HttpRequest &&request, HttpResponder responder)
        = 0;
    virtual void initError(HttpRequest &&request, HttpResponder responder) = 0;
    // A response or error was declared larger than the Runtime API accepts: the HTTP server
    // refuses its body, and the invocation fails (Function.ResponseSizeTooLarge).
    virtual void responseTooLarge(const QByteArray &requestId) = 0;
};

// One route of the Runtime API (PROTOCOLS.md §1), from a request's method and raw path.
struct RuntimeRoute
{
    enum Kind { Unknown, Next, Response, Error, InitError, Ping, Extension, Telemetry };
    Kind kind = Unknown;
    QByteArray requestId; // Response and Error
};
RuntimeRoute parseRuntimeRoute(const QByteArray &method, const QByteArray &path);

// The Runtime API body as the runtime clients expect it: {"errorMessage":…,"errorType":…}.
HttpResponse runtimeApiError(int status, const char *errorType, const QByteArray &message);

// The Lambda Runtime API for one function instance: an HttpServer on an ephemeral loopback
// port (AWS_LAMBDA_RUNTIME_API is host:port, so every instance gets its own), served on the
// thread that calls listen(), which must be the backend's. It parses routes and enforces the
// payload limit; what each call means is the backend's business. Extensions, Logs and
// Telemetry registrations are refused with 404, as a sandbox without those APIs would.
class RuntimeApiServer : public HttpHandler
{
public:
    // AWS's MaxPayloadSize: 6 MiB plus 100 bytes of framing.
    static constexpr qint64 kMaxPayload = 6 * 1024 * 1024 + 100;

    RuntimeApiServer(RuntimeApiBackend *backend, QString spoolDir);
    ~RuntimeApiServer() override;

    Result<quint16> listen();
    quint16 port() const;
    // Stops listening and drops every connection (the instance is going away).
    void close();

    qint64 maxBodySize(const HttpRequest &head) const override;
    void handle(HttpRequest &&request, HttpResponder responder) override;

private:
    RuntimeApiBackend *m_backend;
    QString m_spoolDir;
    std::unique_ptr<HttpServer> m_server;
};

} // namespace tarmac
