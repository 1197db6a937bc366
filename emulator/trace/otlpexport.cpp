#include "trace/otlpexport.h"

#include <QHash>
#include <QIODevice>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace tarmac::otlp {

namespace {

std::string utf8(const QString &s)
{
    return s.toStdString();
}

std::string latin1(const QByteArray &s)
{
    return std::string(s.constData(), size_t(s.size()));
}

// OTLP/JSON writes 64-bit integers as decimal strings: JavaScript readers would lose
// precision on nanosecond timestamps otherwise.
std::string int64String(qint64 v)
{
    return std::to_string(v);
}

// The OpenTelemetry default when a service has no name.
QString serviceName(const QString &name)
{
    return name.isEmpty() ? QStringLiteral("unknown_service") : name;
}

Json resourceJson(const QString &service, const ExportOptions &options)
{
    Json attributes = Json::array();
    attributes.push_back(
        {{"key", "service.name"}, {"value", {{"stringValue", utf8(serviceName(service))}}}});
    for (const Attribute &a : options.resourceAttributes)
        attributes.push_back({{"key", utf8(a.key)}, {"value", anyValue(a.value)}});
    return {{"attributes", std::move(attributes)}};
}

Json scopeJson(const ExportOptions &options)
{
    return {{"name", utf8(options.scopeName)}, {"version", utf8(options.scopeVersion)}};
}

// Groups record indexes by service in order of first appearance, so the output follows the
// order records were given in and is stable for golden comparisons.
template<typename T, typename KeyOf>
std::vector<std::pair<QString, std::vector<qsizetype>>> groupBy(
    const QList<T> &records, KeyOf keyOf)
{
    std::vector<std::pair<QString, std::vector<qsizetype>>> groups;
    QHash<QString, size_t> indexOf;
    for (qsizetype i = 0; i < records.size(); ++i) {
        const QString &key = keyOf(records.at(i));
        auto it = indexOf.constFind(key);
        if (it == indexOf.cend()) {
            it = indexOf.insert(key, groups.size());
            groups.emplace_back(key, std::vector<qsizetype>());
        }
        groups[*it].second.push_back(i);
    }
    return groups;
}

const QString &spanService(const Span &s)
{
    return s.service;
}

const QString &logSource(const LogRecord &l)
{
    return l.source;
}

Json spanGroupJson(const QString &service, const std::vector<qsizetype> &indexes,
    const QList<Span> &spans, const ExportOptions &options)
{
    Json list = Json::array();
    for (qsizetype i : indexes)
        list.push_back(spanToJson(spans.at(i)));
    Json scope = {{"scope", scopeJson(options)}, {"spans", std::move(list)}};
    return {{"resource", resourceJson(service, options)},
        {"scopeSpans", Json::array({std::move(scope)})}};
}

Json logGroupJson(const QString &source, const std::vector<qsizetype> &indexes,
    const QList<LogRecord> &logs, const ExportOptions &options)
{
    Json list = Json::array();
    for (qsizetype i : indexes)
        list.push_back(logRecordToJson(logs.at(i)));
    Json scope = {{"scope", scopeJson(options)}, {"logRecords", std::move(list)}};
    return {{"resource", resourceJson(source, options)},
        {"scopeLogs", Json::array({std::move(scope)})}};
}

std::string dump(const Json &j)
{
    // Replace rather than throw on invalid UTF-8: a log line must not abort an export.
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Gathers output into chunks of some tens of KiB: a device write per record would be slow on
// a pipe, and one write per document would hold a large export in memory twice.
class ChunkWriter
{
public:
    explicit ChunkWriter(QIODevice *out)
        : m_out(out)
    {
        m_buffer.reserve(ChunkSize + 4096);
    }

    void raw(std::string_view s)
    {
        m_buffer.append(s);
        if (m_buffer.size() >= ChunkSize)
            flush();
    }
    void json(const Json &j) { raw(dump(j)); }

    bool flush()
    {
        if (m_ok && !m_buffer.empty()) {
            const qint64 size = qint64(m_buffer.size());
            m_ok = m_out->write(m_buffer.data(), size) == size;
            m_buffer.clear();
        }
        return m_ok;
    }

private:
    static constexpr size_t ChunkSize = 64 * 1024;
    QIODevice *m_out;
    std::string m_buffer;
    bool m_ok = true;
};

// One resource group record by record, the same document spanGroupJson/logGroupJson build.
template<typename T, typename ToJson>
void writeGroup(ChunkWriter &w, const QString &service, const std::vector<qsizetype> &indexes,
    const QList<T> &records, const ExportOptions &options, std::string_view scopesKey,
    std::string_view recordsKey, ToJson toJson)
{
    w.raw(R"({"resource":)");
    w.json(resourceJson(service, options));
    w.raw(R"(,")");
    w.raw(scopesKey);
    w.raw(R"(":[{"scope":)");
    w.json(scopeJson(options));
    w.raw(R"(,")");
    w.raw(recordsKey);
    w.raw(R"(":[)");
    bool first = true;
    for (qsizetype i : indexes) {
        if (!first)
            w.raw(",");
        first = false;
        w.json(toJson(records.at(i)));
    }
    w.raw("]}]}");
}

// AWS's service ids (botocore's serviceId, what OpenTelemetry's AWS SDK instrumentations put in
// rpc.service) for Tarmac's service names; a name not here is its own id.
QString rpcService(const QString &service)
{
    static const QHash<QString, QString> ids {{QStringLiteral("s3"), QStringLiteral("S3")},
        {QStringLiteral("sqs"), QStringLiteral("SQS")},
        {QStringLiteral("dynamodb"), QStringLiteral("DynamoDB")},
        {QStringLiteral("dynamodbstreams"), QStringLiteral("DynamoDB Streams")},
        {QStringLiteral("lambda"), QStringLiteral("Lambda")},
        {QStringLiteral("sts"), QStringLiteral("STS")},
        {QStringLiteral("iam"), QStringLiteral("IAM")},
        {QStringLiteral("events"), QStringLiteral("EventBridge")},
        {QStringLiteral("logs"), QStringLiteral("CloudWatch Logs")},
        {QStringLiteral("scheduler"), QStringLiteral("Scheduler")},
        {QStringLiteral("sns"), QStringLiteral("SNS")},
        {QStringLiteral("stepfunctions"), QStringLiteral("SFN")},
        {QStringLiteral("apigateway"), QStringLiteral("API Gateway")}};
    return ids.value(service, service);
}

bool hasAttribute(const Span &span, QLatin1String key)
{
    return std::any_of(span.attributes.cbegin(), span.attributes.cend(),
        [&](const Attribute &a) { return a.key == key; });
}

// OpenTelemetry's semantic conventions that a stored span implies, added on the way out
// rather than stored with every span: an AWS API request (a server span with an AWS request
// id) is an RPC (rpc.system "aws-api", rpc.service, rpc.method), and SQS's are messaging too.
void addImpliedAttributes(const Span &span, Json &attributes)
{
    // A request to an API's own routes (the API port: aws.apigateway.api_id) is an HTTP
    // server's, not a call of an AWS API.
    if (span.kind != SpanKindServer || span.operation.isEmpty()
        || span.service == QLatin1String("tarmac")
        || !hasAttribute(span, QLatin1String("aws.request_id"))
        || hasAttribute(span, QLatin1String("aws.apigateway.api_id")))
        return;
    const auto add = [&](const char *key, const QString &value) {
        if (!hasAttribute(span, QLatin1String(key)))
            attributes.push_back({{"key", key}, {"value", {{"stringValue", utf8(value)}}}});
    };
    add("rpc.system", QStringLiteral("aws-api"));
    add("rpc.service", rpcService(span.service));
    add("rpc.method", span.operation);
    if (span.service == QLatin1String("sqs"))
        add("messaging.system", QStringLiteral("aws_sqs"));
}

} // namespace

Json anyValue(const AttributeValue &value)
{
    return std::visit(
        [](const auto &v) -> Json {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, QString>) {
                return {{"stringValue", utf8(v)}};
            } else if constexpr (std::is_same_v<V, qint64>) {
                return {{"intValue", int64String(v)}};
            } else if constexpr (std::is_same_v<V, double>) {
                // Proto JSON spells the non-finite doubles as strings; a bare NaN is not JSON.
                if (std::isnan(v))
                    return {{"doubleValue", "NaN"}};
                if (std::isinf(v))
                    return {{"doubleValue", v > 0 ? "Infinity" : "-Infinity"}};
                return {{"doubleValue", v}};
            } else {
                return {{"boolValue", v}};
            }
        },
        value);
}

Json attributesToJson(const Attributes &attributes)
{
    Json out = Json::array();
    for (const Attribute &a : attributes)
        out.push_back({{"key", utf8(a.key)}, {"value", anyValue(a.value)}});
    return out;
}

Json spanToJson(const Span &span)
{
    Json j = Json::object();
    j["traceId"] = latin1(span.traceId);
    j["spanId"] = latin1(span.spanId);
    if (!span.parentSpanId.isEmpty())
        j["parentSpanId"] = latin1(span.parentSpanId);
    j["name"] = utf8(span.name);
    j["kind"] = span.kind;
    j["startTimeUnixNano"] = int64String(span.startNs);
    j["endTimeUnixNano"] = int64String(span.endNs);
    Json attributes = attributesToJson(span.attributes);
    addImpliedAttributes(span, attributes);
    if (!span.operation.isEmpty()) {
        attributes.push_back(
            {{"key", "tarmac.operation"}, {"value", {{"stringValue", utf8(span.operation)}}}});
    }
    if (!attributes.empty())
        j["attributes"] = std::move(attributes);
    Json status = {{"code", span.statusCode}};
    if (!span.statusMessage.isEmpty())
        status["message"] = utf8(span.statusMessage);
    j["status"] = std::move(status);
    return j;
}

Json logRecordToJson(const LogRecord &log)
{
    Json j = Json::object();
    j["timeUnixNano"] = int64String(log.timeNs);
    j["severityNumber"] = log.severity;
    j["body"] = {{"stringValue", utf8(log.text)}};
    if (!log.traceId.isEmpty())
        j["traceId"] = latin1(log.traceId);
    if (!log.spanId.isEmpty())
        j["spanId"] = latin1(log.spanId);
    if (!log.requestId.isEmpty()) {
        j["attributes"] = Json::array(
            {{{"key", "faas.invocation_id"}, {"value", {{"stringValue", utf8(log.requestId)}}}}});
    }
    return j;
}

Json tracesToJson(const QList<Span> &spans, const ExportOptions &options)
{
    Json resources = Json::array();
    for (const auto &[service, indexes] : groupBy(spans, spanService))
        resources.push_back(spanGroupJson(service, indexes, spans, options));
    return {{"resourceSpans", std::move(resources)}};
}

Json logsToJson(const QList<LogRecord> &logs, const ExportOptions &options)
{
    Json resources = Json::array();
    for (const auto &[source, indexes] : groupBy(logs, logSource))
        resources.push_back(logGroupJson(source, indexes, logs, options));
    return {{"resourceLogs", std::move(resources)}};
}

Result<void> writeDocument(QIODevice *out, const QList<Span> &spans, const QList<LogRecord> &logs,
    const ExportOptions &options)
{
    if (!out || !out->isWritable()) {
        return makeError(QStringLiteral("ExportFailed"),
            QStringLiteral("Could not write the OTLP document: the device is not writable"), 500);
    }

    ChunkWriter w(out);
    w.raw(R"({"resourceSpans":[)");
    bool first = true;
    for (const auto &[service, indexes] : groupBy(spans, spanService)) {
        if (!first)
            w.raw(",");
        first = false;
        writeGroup(w, service, indexes, spans, options, "scopeSpans", "spans", spanToJson);
    }
    w.raw(R"(],"resourceLogs":[)");
    first = true;
    for (const auto &[source, indexes] : groupBy(logs, logSource)) {
        if (!first)
            w.raw(",");
        first = false;
        writeGroup(w, source, indexes, logs, options, "scopeLogs", "logRecords", logRecordToJson);
    }
    w.raw("]}");
    if (!w.flush()) {
        return makeError(QStringLiteral("ExportFailed"),
            QStringLiteral("Could not write the OTLP document: ") + out->errorString(), 500);
    }
    return {};
}

} // namespace tarmac::otlp
