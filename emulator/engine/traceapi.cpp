#include "engine/traceapi.h"

#include "base/json.h"
#include "trace/otlpexport.h"
#include "trace/otlpimport.h"
#include "trace/otlpprotobuf.h"
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

OtlpReceiverApi::OtlpReceiverApi(Tracer *tracer)
    : m_tracer(tracer)
{ }

qint64 OtlpReceiverApi::maxBodySize(const HttpRequest &) const
{
    return 16 * 1024 * 1024; // an SDK's batch of 512 spans is a few hundred KB
}

bool OtlpReceiverApi::isExport(const HttpRequest &head)
{
    if (head.method != "POST" || (head.path != "/v1/traces" && head.path != "/v1/logs"))
        return false;
    const QByteArray type = head.header("content-type").trimmed().toLower();
    if (!type.startsWith("application/x-protobuf") && !type.startsWith("application/json"))
        return false;
    return !head.header("authorization").startsWith("AWS");
}

void OtlpReceiverApi::handle(HttpRequest &&request, HttpResponder responder)
{
    const bool traces = request.path == "/v1/traces";
    const bool protobuf
        = request.header("content-type").trimmed().toLower().startsWith("application/x-protobuf");
    const auto answer = [&](int status, const QByteArray &body) {
        HttpResponse r
            = protobuf ? HttpResponse::text(status, body) : HttpResponse::json(status, body);
        if (protobuf)
            r.headers.set("content-type", "application/x-protobuf");
        r.service = QStringLiteral("otlp");
        r.operation = traces ? QStringLiteral("ExportTraces") : QStringLiteral("ExportLogs");
        responder.send(std::move(r));
    };
    const auto refuse = [&](int status, const QString &message) {
        answer(status,
            protobuf ? otlp::statusToProtobuf(3, message)
                     : toJsonBytes(Json {{"code", 3}, {"message", toStd(message)}}));
    };
    const QByteArray encoding = request.header("content-encoding").trimmed().toLower();
    if (!encoding.isEmpty() && encoding != "identity")
        return refuse(415,
            QStringLiteral("Content-Encoding %1 is not supported: send the export uncompressed")
                .arg(QString::fromLatin1(encoding)));
    const otlp::Signal signal = traces ? otlp::Signal::Traces : otlp::Signal::Logs;
    const QByteArray body = request.body.toByteArray();
    Result<Json> document = protobuf ? otlp::protobufToJson(body, signal) : parseJson(body);
    if (!document)
        return refuse(400, document.error().message);
    if (!document->is_object())
        return refuse(400, QStringLiteral("The body is not an OTLP request object"));
    const otlp::Imported imported
        = traces ? otlp::importTraces(*document) : otlp::importLogs(*document);
    for (const Span &span : imported.spans)
        m_tracer->record(span);
    for (const LogRecord &log : imported.logs)
        m_tracer->record(log);
    if (imported.rejected == 0)
        return answer(200, protobuf ? QByteArray() : QByteArrayLiteral("{}"));
    if (protobuf)
        return answer(
            200, otlp::partialSuccessToProtobuf(imported.rejected, imported.firstProblem));
    const char *count = traces ? "rejectedSpans" : "rejectedLogRecords";
    answer(200,
        toJsonBytes(Json {{"partialSuccess",
            {{count, std::to_string(imported.rejected)},
                {"errorMessage", toStd(imported.firstProblem)}}}}));
}

} // namespace tarmac
