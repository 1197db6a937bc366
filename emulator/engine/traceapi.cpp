#include "engine/traceapi.h"

#include "base/json.h"
#include "trace/otlpexport.h"
#include "trace/tracer.h"

#include <QBuffer>

namespace tarmac {

namespace {

HttpResponse errorResponse(int status, const char *code, const QString &message)
{
    return HttpResponse::json(
        status, toJsonBytes(Json {{"__type", code}, {"message", toStd(message)}}));
}

} // namespace

bool isTraceId(const QByteArray &id)
{
    if (id.size() != 32)
        return false;
    for (char c : id) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

TraceApi::TraceApi(Tracer *tracer)
    : m_tracer(tracer)
{ }

void TraceApi::handle(HttpRequest &&request, HttpResponder responder)
{
    HttpResponse r = route(request);
    r.service = QStringLiteral("tarmac");
    r.operation = QStringLiteral("Traces");
    responder.send(std::move(r));
}

HttpResponse TraceApi::route(const HttpRequest &request) const
{
    QByteArray path = request.decodedPath();
    if (path.endsWith('/'))
        path.chop(1);
    if (path != prefix)
        return errorResponse(404, "NotFound", QStringLiteral("GET /_tarmac/traces[?trace=ID]"));
    if (request.method != "GET")
        return errorResponse(405, "MethodNotAllowed", QStringLiteral("use GET"));
    Tracer::Query q;
    if (request.hasQueryItem("trace")) {
        q.traceId = request.queryItem("trace").toLower();
        if (!isTraceId(q.traceId))
            return errorResponse(400, "InvalidRequest",
                QStringLiteral("trace takes a trace id of 32 hex digits, not '%1'")
                    .arg(QString::fromUtf8(request.queryItem("trace"))));
    }
    // What was recorded before the request, committed.
    m_tracer->flush();
    auto spans = m_tracer->spans(q);
    auto logs = m_tracer->logs(q);
    if (!spans || !logs)
        return errorResponse(500, "InternalError", (spans ? logs.error() : spans.error()).message);
    if (!q.traceId.isEmpty() && spans->isEmpty() && logs->isEmpty())
        return errorResponse(404, "NoSuchTrace",
            QStringLiteral("no trace %1 is stored").arg(QString::fromLatin1(q.traceId)));
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    if (auto r = otlp::writeDocument(&buffer, *spans, *logs); !r)
        return errorResponse(500, "InternalError", r.error().message);
    return HttpResponse::json(200, buffer.data());
}

} // namespace tarmac
