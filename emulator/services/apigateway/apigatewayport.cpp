#include "services/apigateway/apigatewayport.h"

#include "http/edgerouter.h"

namespace tarmac {

ApiGatewayPort::ApiGatewayPort(Tracer *tracer, const Clock *clock)
    : m_tracer(tracer)
    , m_clock(clock)
{ }

qint64 ApiGatewayPort::maxBodySize(const HttpRequest &) const
{
    return 10 * 1024 * 1024; // API Gateway's payload limit
}

void ApiGatewayPort::handle(HttpRequest &&request, HttpResponder responder)
{
    beginRequestSpan(request, responder, m_tracer, m_clock, QStringLiteral("apigateway"),
        QString::fromLatin1(request.method) + u' ' + QString::fromUtf8(request.path));
    HttpResponse r = HttpResponse::json(404, QByteArrayLiteral(R"({"message":"Not Found"})"));
    r.headers.add("apigw-requestid", request.requestId);
    responder.send(std::move(r));
}

} // namespace tarmac
