#pragma once

#include "http/httphandler.h"
#include "services/apigateway/apimodel.h"

#include <QMutex>
#include <QObject>
#include <QSet>
#include <QUrl>

#include <memory>

namespace tarmac {

class Clock;
class DeliverySink;
class IntegrationTimeouts;
class Tracer;

// The APIs being served, as one immutable value: swapped whole when the template changes,
// so a request in flight keeps the routes it matched.
struct ApiSnapshot
{
    QList<std::shared_ptr<const ApiDefinition>> apis; // in the order they were defined
    QHash<QString, const ApiDefinition *> byId;
    RouteTable plain; // every API's routes at their plain paths, the first API's on a conflict
    QHash<QString, RouteTable> perApi; // each API's own, at {id}.execute-api.localhost
    QStringList conflicts;
    QSet<QString> apiKeys; // the values x-api-key may have (the stack's enabled API keys)

    // Builds the tables from the APIs.
    static std::shared_ptr<const ApiSnapshot> make(
        QList<std::shared_ptr<const ApiDefinition>> apis, QSet<QString> apiKeys = {});
};

// The API port (default 3000), where the application's HTTP routes are served the way API
// Gateway serves them:
// - at their plain paths (like `sam local start-api`), every API's routes together;
// - each API also at http://{apiId}.execute-api.localhost:PORT/{stage}/… (any Host of that
//   form), and at /_aws/execute-api/{apiId}/{stage}/… for clients that cannot resolve that
//   name (Python's resolver does not know *.localhost).
// A matched route's function gets a payload 1.0 or 2.0 event through the Dispatcher (held
// and stepped like any delivery); its answer is mapped as API Gateway maps it. The
// integration timeout (29 s for REST APIs, 30 s for HTTP APIs, or the route's own) counts
// from when the delivery goes to the function, so one held at a breakpoint waits. Every
// request is a span on its trace, parent of the function's invocation; X-Amzn-Trace-Id in
// the response names the trace. A non-proxy integration (type AWS) maps the request with its
// request template, calls the service's action on the edge port (or the function) and maps
// the answer with the integration response its status code (or error message) selects.
class ApiGatewayPort : public HttpHandler
{
public:
    ApiGatewayPort(Tracer *tracer, const Clock *clock);
    ~ApiGatewayPort() override;

    // Where deliveries go, and the account the events name. `timerContext` lives on a thread
    // with an event loop (the engine's): the timeouts' timer runs there.
    // `edgeUrl`: where AWS integrations call the services (Step Functions' StartExecution).
    void start(DeliverySink *deliveries, QObject *timerContext, const QString &region,
        const QString &accountId, const QUrl &edgeUrl = {});
    // Authorizers' answers are forgotten (the APIs changed).
    void clearAuthorizerCache();
    void setApis(std::shared_ptr<const ApiSnapshot> apis);
    std::shared_ptr<const ApiSnapshot> apis() const;

    qint64 maxBodySize(const HttpRequest &head) const override;
    HttpResponse bodyTooLarge(const HttpRequest &head) const override;
    void handle(HttpRequest &&request, HttpResponder responder) override;
    HttpResponse internalError(const HttpRequest &head, const QString &message) const override;

private:
    struct State;
    Tracer *m_tracer;
    const Clock *m_clock;
    std::shared_ptr<State> m_state;
    mutable QMutex m_mutex;
    std::shared_ptr<const ApiSnapshot> m_apis;
};

} // namespace tarmac
