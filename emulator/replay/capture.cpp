#include "replay/capture.h"

#include <QDateTime>
#include <QList>

namespace tarmac {

namespace {

// A member that is a string, or "" (client JSON: Json::value would throw on another type).
std::string text(const Json &object, const char *key)
{
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Error captureError(const QString &message)
{
    return makeError(QStringLiteral("InvalidCapture"), message);
}

std::optional<qint64> timeOf(const Json &value)
{
    if (value.is_number()) {
        const double v = value.get<double>();
        if (std::isfinite(v) && v >= 0 && v < 1e16)
            return qint64(v < 1e11 ? v * 1000 : v); // seconds or milliseconds
        return std::nullopt;
    }
    if (value.is_string()) {
        const QDateTime t
            = QDateTime::fromString(fromStd(value.get<std::string>()), Qt::ISODateWithMs);
        if (t.isValid())
            return t.toMSecsSinceEpoch();
    }
    return std::nullopt;
}

// The event a CloudWatch Logs message carries after the marker, if it does.
std::optional<Json> eventInMessage(const std::string &message)
{
    const size_t at = message.find(kEventMarker);
    if (at == std::string::npos)
        return std::nullopt;
    auto parsed = parseJson(std::string_view(message).substr(at + qstrlen(kEventMarker)));
    if (!parsed)
        return std::nullopt;
    return *parsed;
}

// An SQS event of one record for a message as `aws sqs receive-message` prints it.
Json sqsEvent(const Json &m)
{
    Json attributes = Json::object();
    if (const auto it = m.find("Attributes"); it != m.end() && it->is_object())
        attributes = *it;
    Json messageAttributes = Json::object();
    if (const auto it = m.find("MessageAttributes"); it != m.end() && it->is_object()) {
        for (const auto &[name, value] : it->items()) {
            if (!value.is_object())
                continue;
            const std::string type = text(value, "DataType");
            Json a = {{"dataType", type.empty() ? std::string("String") : type},
                {"stringListValues", Json::array()}, {"binaryListValues", Json::array()}};
            if (value.contains("StringValue"))
                a["stringValue"] = value["StringValue"];
            if (value.contains("BinaryValue"))
                a["binaryValue"] = value["BinaryValue"];
            messageAttributes[name] = a;
        }
    }
    return Json {{"Records",
        {{{"messageId", text(m, "MessageId")}, {"receiptHandle", text(m, "ReceiptHandle")},
            {"body", text(m, "Body")}, {"attributes", attributes},
            {"messageAttributes", messageAttributes}, {"md5OfBody", text(m, "MD5OfBody")},
            {"eventSource", "aws:sqs"}, {"eventSourceARN", ""}, {"awsRegion", "us-east-1"}}}}};
}

Result<CaptureRecord> recordFromLine(const Json &line, int index)
{
    if (!line.is_object() || !line.contains("event"))
        return captureError(
            QStringLiteral("line %1: a record is {\"target\", \"event\", \"time\"?, \"expect\"?}")
                .arg(index));
    CaptureRecord r;
    r.index = index;
    r.event = line["event"];
    if (const auto t = line.find("target"); t != line.end()) {
        if (!t->is_string())
            return captureError(QStringLiteral("line %1: target is a string").arg(index));
        r.target = fromStd(t->get<std::string>());
    }
    if (const auto t = line.find("time"); t != line.end() && !t->is_null()) {
        r.timeMs = timeOf(*t);
        if (!r.timeMs)
            return captureError(
                QStringLiteral("line %1: time is an RFC 3339 string or epoch milliseconds")
                    .arg(index));
    }
    if (const auto e = line.find("expect"); e != line.end() && !e->is_null()) {
        if (!e->is_object())
            return captureError(QStringLiteral("line %1: expect is an object").arg(index));
        r.expect = *e;
    }
    return r;
}

Result<Capture> fromCloudWatch(const Json &events)
{
    Capture c;
    c.format = QStringLiteral("cloudwatch");
    int index = 0;
    for (const Json &e : events) {
        ++index;
        if (!e.is_object() || !e.contains("message") || !e["message"].is_string())
            continue;
        auto event = eventInMessage(e["message"].get<std::string>());
        if (!event)
            continue; // a log line that is not a captured event
        CaptureRecord r;
        r.index = index;
        r.event = std::move(*event);
        if (const auto t = e.find("timestamp"); t != e.end())
            r.timeMs = timeOf(*t);
        c.records.append(std::move(r));
    }
    if (c.records.isEmpty())
        return captureError(QStringLiteral("no log event holds a captured event (a line with "
                                           "\"%1\" followed by the event's JSON)")
                                .arg(QLatin1String(kEventMarker).trimmed()));
    return c;
}

} // namespace

Result<Capture> readCapture(const QByteArray &bytes)
{
    const QByteArray trimmed = bytes.trimmed();
    if (trimmed.isEmpty())
        return captureError(QStringLiteral("the capture is empty"));
    // One JSON document: an export, SQS messages, or a single event.
    if (auto whole = parseJson(trimmed); whole) {
        const Json &doc = *whole;
        if (doc.is_object() && doc.contains("events") && doc["events"].is_array())
            return fromCloudWatch(doc["events"]);
        if (doc.is_object() && doc.contains("Messages") && doc["Messages"].is_array()) {
            Capture c;
            c.format = QStringLiteral("sqs");
            int index = 0;
            for (const Json &m : doc["Messages"]) {
                ++index;
                if (!m.is_object() || !m.contains("Body"))
                    return captureError(QStringLiteral("message %1 has no Body").arg(index));
                CaptureRecord r;
                r.index = index;
                r.event = sqsEvent(m);
                if (const auto a = m.find("Attributes"); a != m.end() && a->is_object()
                    && a->contains("SentTimestamp") && (*a)["SentTimestamp"].is_string())
                    r.timeMs = QByteArray::fromStdString((*a)["SentTimestamp"].get<std::string>())
                                   .toLongLong();
                c.records.append(std::move(r));
            }
            if (c.records.isEmpty())
                return captureError(QStringLiteral("the receive-message output holds no message"));
            return c;
        }
        if (doc.is_object() && doc.contains("event")
            && (doc.contains("target") || doc.contains("expect"))) {
            auto r = recordFromLine(doc, 1);
            if (!r)
                return r.error();
            return Capture {QStringLiteral("jsonl"), {*r}};
        }
        if (!doc.is_object())
            return captureError(QStringLiteral("a single event is a JSON object"));
        CaptureRecord r;
        r.index = 1;
        r.event = doc;
        return Capture {QStringLiteral("event"), {r}};
    }
    // JSON Lines: records, or CloudWatch log events one per line.
    Capture c;
    c.format = QStringLiteral("jsonl");
    Json logEvents = Json::array();
    int index = 0;
    for (const QByteArray &raw : bytes.split('\n')) {
        ++index;
        const QByteArray line = raw.trimmed();
        if (line.isEmpty())
            continue;
        auto parsed = parseJson(line);
        if (!parsed)
            return captureError(
                QStringLiteral("line %1 is not JSON: %2").arg(index).arg(parsed.error().message));
        if (parsed->is_object() && parsed->contains("message") && !parsed->contains("event")) {
            logEvents.push_back(std::move(*parsed));
            continue;
        }
        auto r = recordFromLine(*parsed, index);
        if (!r)
            return r.error();
        c.records.append(std::move(*r));
    }
    if (!logEvents.empty() && c.records.isEmpty())
        return fromCloudWatch(logEvents);
    if (c.records.isEmpty())
        return captureError(QStringLiteral("the capture holds no event"));
    return c;
}

QString eventKind(const Json &event)
{
    if (!event.is_object())
        return {};
    if (const auto records = event.find("Records"); records != event.end() && records->is_array()
        && !records->empty() && (*records)[0].is_object()) {
        const Json &r = (*records)[0];
        const std::string source
            = r.contains("eventSource") ? text(r, "eventSource") : text(r, "EventSource");
        if (source == "aws:s3")
            return QStringLiteral("s3");
        if (source == "aws:sqs")
            return QStringLiteral("sqs");
        if (source == "aws:sns")
            return QStringLiteral("sns");
        if (source == "aws:dynamodb")
            return QStringLiteral("dynamodb-stream");
        return {};
    }
    if (text(event, "version") == "2.0" && event.contains("routeKey")
        && event.contains("requestContext"))
        return QStringLiteral("apigateway-v2");
    if (event.contains("httpMethod") && event.contains("requestContext") && event.contains("path"))
        return QStringLiteral("apigateway-v1");
    if (event.contains("detail-type") && event.contains("source")) {
        return text(event, "source") == "aws.events"
                && text(event, "detail-type") == "Scheduled Event"
            ? QStringLiteral("schedule")
            : QStringLiteral("eventbridge");
    }
    return {};
}

namespace {

Json mapValue(const Json &v, QList<Mapping> &mappings)
{
    if (v.is_string()) {
        QString s = fromStd(v.get<std::string>());
        bool changed = false;
        for (Mapping &m : mappings) {
            if (!m.from.isEmpty() && s.contains(m.from)) {
                s.replace(m.from, m.to);
                ++m.replaced;
                changed = true;
            }
        }
        return changed ? Json(toStd(s)) : v;
    }
    if (v.is_array()) {
        Json out = Json::array();
        for (const Json &item : v)
            out.push_back(mapValue(item, mappings));
        return out;
    }
    if (v.is_object()) {
        Json out = Json::object();
        for (const auto &[key, value] : v.items()) {
            QString k = fromStd(key);
            for (Mapping &m : mappings) {
                if (!m.from.isEmpty() && k.contains(m.from)) {
                    k.replace(m.from, m.to);
                    ++m.replaced;
                }
            }
            out[toStd(k)] = mapValue(value, mappings);
        }
        return out;
    }
    return v;
}

} // namespace

Json applyMappings(const Json &event, QList<Mapping> &mappings)
{
    if (mappings.isEmpty())
        return event;
    return mapValue(event, mappings);
}

Json redactFields(const Json &value, const QSet<QString> &fields)
{
    if (value.is_object()) {
        Json out = Json::object();
        for (const auto &[key, v] : value.items())
            out[key] = fields.contains(fromStd(key).toLower()) ? Json("REDACTED")
                                                               : redactFields(v, fields);
        return out;
    }
    if (value.is_array()) {
        Json out = Json::array();
        for (const Json &v : value)
            out.push_back(redactFields(v, fields));
        return out;
    }
    return value;
}

} // namespace tarmac
