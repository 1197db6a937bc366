#include "services/apigateway/apievents.h"

#include "base/json.h"
#include "base/jsonwriter.h"
#include "base/utf8.h"
#include "http/httpmessage.h"

#include <QCryptographicHash>
#include <QVarLengthArray>

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace tarmac {

namespace {

std::string str(const QByteArray &b)
{
    return std::string(b.constData(), size_t(b.size()));
}

// The media type of a Content-Type, lower-cased, without parameters: "image/png".
QByteArray mediaType(const QByteArray &contentType)
{
    const qsizetype semi = contentType.indexOf(';');
    return (semi < 0 ? contentType : contentType.left(semi)).trimmed().toLower();
}

// "image/*" matches "image/png"; "*/*" every type.
bool mediaTypeMatches(const QString &pattern, const QByteArray &type)
{
    const QByteArray p = pattern.trimmed().toLower().toUtf8();
    if (p == "*/*")
        return true;
    if (p.endsWith("/*"))
        return type.startsWith(p.left(p.size() - 1));
    return p == type;
}

bool isTextType(const QByteArray &type)
{
    return type.startsWith("text/") || type == "application/json" || type.endsWith("+json")
        || type == "application/xml" || type.endsWith("+xml") || type == "application/javascript"
        || type == "application/ecmascript";
}

// Header fields grouped by name, in arrival order: the name as sent (the first spelling) and
// every value. API Gateway's additions come after the client's own.
struct HeaderGroup
{
    QByteArray name; // as sent
    QByteArray lower;
    QList<QByteArray> values;
};
QList<HeaderGroup> groupHeaders(const ApiRequest &r)
{
    QList<HeaderGroup> out;
    const auto put = [&](const QByteArray &raw, const QByteArray &lower, const QByteArray &value) {
        for (HeaderGroup &g : out) {
            if (g.lower == lower) {
                g.values.append(value);
                return;
            }
        }
        out.append({raw, lower, {value}});
    };
    if (r.headers) {
        const auto &fields = r.headers->fields();
        for (qsizetype i = 0; i < fields.size(); ++i)
            put(r.headers->rawName(i), fields[i].first, fields[i].second);
    }
    for (const auto &[name, value] : r.added) {
        const QByteArray lower = name.toLower();
        bool present = false;
        for (const HeaderGroup &g : std::as_const(out))
            present = present || g.lower == lower;
        if (!present)
            put(name, lower, value);
    }
    return out;
}

// Decoded query parameters in order, each with every value.
QList<std::pair<QByteArray, QList<QByteArray>>> queryGroups(const QByteArray &query)
{
    QList<std::pair<QByteArray, QList<QByteArray>>> out;
    for (auto &item : decodeQuery(query)) {
        auto same = out.begin();
        while (same != out.end() && same->first != item.first)
            ++same;
        if (same != out.end())
            same->second.append(std::move(item.second));
        else
            out.append({std::move(item.first), {std::move(item.second)}});
    }
    return out;
}

std::string validText(const QByteArray &b)
{
    // Keys and values that are not UTF-8 would make the event unreadable JSON.
    return isValidUtf8(b) ? str(b) : QString::fromUtf8(b).toStdString();
}

// The member names of one object written by hand, each written once: distinct names that are
// not UTF-8 can read as the same text (both become U+FFFD), and JSON's keys must differ. The
// first one is kept.
class DistinctNames
{
public:
    bool add(const QByteArray &name)
    {
        const QByteArray text = isValidUtf8(name) ? name : QString::fromUtf8(name).toUtf8();
        for (const QByteArray &seen : m_seen) {
            if (seen == text)
                return false;
        }
        m_seen.append(text);
        return true;
    }

private:
    QVarLengthArray<QByteArray, 16> m_seen;
};

Json pathParametersJson(const RouteMatch &m)
{
    if (m.pathParameters.isEmpty())
        return nullptr;
    Json out = Json::object();
    for (const auto &[name, value] : m.pathParameters)
        out[name.toStdString()] = value.toStdString();
    return out;
}

Json stageVariablesJson(const ApiDefinition &api)
{
    if (api.stageVariables.isEmpty())
        return nullptr;
    Json out = Json::object();
    for (auto it = api.stageVariables.cbegin(); it != api.stageVariables.cend(); ++it)
        out[it.key().toStdString()] = it.value().toStdString();
    return out;
}

// A stable 6-character resource id for a path ("roq9wj"), as API Gateway gives each resource.
std::string resourceId(const ApiDefinition &api, const QString &path)
{
    const QByteArray h
        = QCryptographicHash::hash((api.id + u' ' + path).toUtf8(), QCryptographicHash::Sha1)
              .toHex();
    return str(h.left(6));
}

std::string extendedRequestId(const QByteArray &requestId)
{
    // Base64 of 12 bytes: "JJbxmplHYosFVYQ="'s shape.
    return str(QCryptographicHash::hash(requestId, QCryptographicHash::Md5).left(11).toBase64());
}

void putBody(Json &event, const ApiDefinition &api, const ApiRequest &request)
{
    const EventBody b = eventBody(api, request);
    event["body"] = b.present ? Json(str(b.text)) : Json(nullptr);
    event["isBase64Encoded"] = b.base64;
}

} // namespace

bool isBinaryContent(const ApiDefinition &api, const QByteArray &contentType)
{
    const QByteArray type = mediaType(contentType);
    if (api.http)
        return !isTextType(type);
    for (const QString &pattern : api.binaryMediaTypes) {
        if (mediaTypeMatches(pattern, type))
            return true;
    }
    return false;
}

EventBody eventBody(const ApiDefinition &api, const ApiRequest &request)
{
    EventBody b;
    if (request.body.isEmpty())
        return b;
    b.present = true;
    const QByteArray contentType = request.headers ? request.headers->value("content-type") : "";
    b.base64 = isBinaryContent(api, contentType) || !isValidUtf8(request.body);
    b.text = b.base64 ? request.body.toBase64() : request.body;
    return b;
}

QString apiRequestTime(qint64 ms)
{
    // "10/Mar/2020:00:03:59 +0000", made by hand: QLocale's date formatting was a tenth of
    // the cost of building a small event.
    static constexpr std::array<const char *, 12> kMonths {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto seconds = std::time_t(
        std::chrono::floor<std::chrono::seconds>(std::chrono::milliseconds(ms)).count());
    std::tm t {};
    if (!gmtime_r(&seconds, &t))
        return {};
    char out[64];
    const int n = std::snprintf(out, sizeof out, "%02d/%s/%04d:%02d:%02d:%02d +0000", t.tm_mday,
        kMonths[size_t(t.tm_mon) % kMonths.size()], t.tm_year + 1900, t.tm_hour, t.tm_min,
        t.tm_sec);
    return QString::fromLatin1(out, qBound(0, n, int(sizeof out) - 1));
}

QByteArray buildEventV1(const RouteMatch &match, const ApiRequest &request)
{
    const ApiDefinition &api = *match.api;
    const ApiRoute &route = *match.route;
    Json event = Json::object();
    if (api.http)
        event["version"] = "1.0";
    const QString resource
        = route.path == QLatin1String("$default") ? QStringLiteral("/") : route.path;
    event["resource"] = resource.toStdString();
    event["path"] = validText(request.path);
    event["httpMethod"] = str(request.method);

    Json headers = Json::object();
    Json multiHeaders = Json::object();
    for (const HeaderGroup &g : groupHeaders(request)) {
        const std::string name = validText(g.name);
        headers[name] = validText(g.values.last());
        Json all = Json::array();
        for (const QByteArray &v : g.values)
            all.push_back(validText(v));
        multiHeaders[name] = std::move(all);
    }
    event["headers"] = headers.empty() ? Json(nullptr) : headers;
    event["multiValueHeaders"] = multiHeaders.empty() ? Json(nullptr) : multiHeaders;

    const auto query = queryGroups(request.query);
    if (query.isEmpty()) {
        event["queryStringParameters"] = nullptr;
        event["multiValueQueryStringParameters"] = nullptr;
    } else {
        Json single = Json::object();
        Json multi = Json::object();
        for (const auto &[key, values] : query) {
            single[validText(key)] = validText(values.last());
            Json all = Json::array();
            for (const QByteArray &v : values)
                all.push_back(validText(v));
            multi[validText(key)] = std::move(all);
        }
        event["queryStringParameters"] = std::move(single);
        event["multiValueQueryStringParameters"] = std::move(multi);
    }
    event["pathParameters"] = pathParametersJson(match);
    event["stageVariables"] = stageVariablesJson(api);

    const std::string stage = api.stage.toStdString();
    Json identity = {{"cognitoIdentityPoolId", nullptr}, {"accountId", nullptr},
        {"cognitoIdentityId", nullptr}, {"caller", nullptr}, {"accessKey", nullptr},
        {"sourceIp", request.sourceIp.toStdString()}, {"cognitoAuthenticationType", nullptr},
        {"cognitoAuthenticationProvider", nullptr}, {"userArn", nullptr},
        {"userAgent", request.userAgent.toStdString()}, {"user", nullptr},
        {"principalOrgId", nullptr}};
    event["requestContext"] = {{"resourceId", resourceId(api, resource)},
        {"resourcePath", resource.toStdString()}, {"httpMethod", str(request.method)},
        {"extendedRequestId", extendedRequestId(request.requestId)},
        {"requestTime", apiRequestTime(request.timeMs).toStdString()},
        {"path",
            (api.stage == QLatin1String("$default") ? QString() : u'/' + api.stage).toStdString()
                + validText(request.path)},
        {"accountId", request.accountId.toStdString()}, {"protocol", "HTTP/1.1"}, {"stage", stage},
        {"domainPrefix", api.id.toStdString()}, {"requestTimeEpoch", request.timeMs},
        {"requestId", str(request.requestId)}, {"identity", std::move(identity)},
        {"domainName", request.domainName.toStdString()}, {"apiId", api.id.toStdString()}};
    if (!request.authorizer.is_null())
        event["requestContext"]["authorizer"] = request.authorizer;
    putBody(event, api, request);
    return toJsonBytes(event);
}

QByteArray buildEventV2(const RouteMatch &match, const ApiRequest &request)
{
    // Written straight into bytes, in the order of AWS's documented event: this runs for
    // every request, and an nlohmann::json tree and its dump were a fifth of the I/O thread's
    // work on a small route.
    const ApiDefinition &api = *match.api;
    const ApiRoute &route = *match.route;
    // HTTP APIs hand the path over decoded (REST APIs and function URLs keep it encoded).
    const QByteArray path = request.stagePrefix.toUtf8() + percentDecode(request.path, false);
    const QByteArray routeKey = route.routeKey().toUtf8();
    JsonWriter w(1024 + request.body.size() * 4 / 3);
    w.beginObject();
    w.key("version").string("2.0");
    w.key("routeKey").string(routeKey);
    w.key("rawPath").string(path);
    w.key("rawQueryString").string(request.query);

    const QList<HeaderGroup> headers = groupHeaders(request);
    bool anyCookie = false;
    for (const HeaderGroup &g : headers) {
        if (g.lower != "cookie")
            continue;
        for (const QByteArray &v : g.values) {
            for (const QByteArray &c : v.split(';')) {
                const QByteArray t = c.trimmed();
                if (t.isEmpty())
                    continue;
                if (!anyCookie)
                    w.key("cookies").beginArray();
                anyCookie = true;
                w.string(t);
            }
        }
    }
    if (anyCookie)
        w.endArray();
    w.key("headers").beginObject();
    DistinctNames headerNames;
    for (const HeaderGroup &g : headers) {
        if (g.lower == "cookie" || !headerNames.add(g.lower))
            continue;
        QByteArray joined = g.values.value(0);
        for (qsizetype i = 1; i < g.values.size(); ++i)
            joined += ',' + g.values[i];
        w.key(g.lower).string(joined);
    }
    w.endObject();

    const auto query = queryGroups(request.query);
    if (!query.isEmpty()) {
        w.key("queryStringParameters").beginObject();
        DistinctNames names;
        for (const auto &[key, values] : query) {
            if (names.add(key))
                w.key(key).string(values.join(','));
        }
        w.endObject();
    }

    w.key("requestContext").beginObject();
    w.key("accountId").string(request.accountId);
    w.key("apiId").string(api.id);
    if (!request.authorizer.is_null())
        w.key("authorizer").value(request.authorizer);
    w.key("domainName").string(request.domainName);
    w.key("domainPrefix").string(api.id);
    w.key("http").beginObject();
    w.key("method").string(request.method);
    w.key("path").string(path);
    w.key("protocol").string("HTTP/1.1");
    w.key("sourceIp").string(request.sourceIp);
    w.key("userAgent").string(request.userAgent);
    w.endObject();
    w.key("requestId").string(request.requestId);
    w.key("routeKey").string(routeKey);
    w.key("stage").string(api.stage);
    w.key("time").string(apiRequestTime(request.timeMs));
    w.key("timeEpoch").number(request.timeMs);
    w.endObject();

    const EventBody b = eventBody(api, request);
    if (b.present)
        w.key("body").string(b.text);
    if (!match.pathParameters.isEmpty()) {
        w.key("pathParameters").beginObject();
        DistinctNames names;
        for (const auto &[name, value] : match.pathParameters) {
            if (names.add(name.toUtf8()))
                w.key(name).string(value);
        }
        w.endObject();
    }
    w.key("isBase64Encoded").boolean(b.base64);
    if (!api.stageVariables.isEmpty()) {
        w.key("stageVariables").beginObject();
        for (auto it = api.stageVariables.cbegin(); it != api.stageVariables.cend(); ++it)
            w.key(it.key()).string(it.value());
        w.endObject();
    }
    w.endObject();
    return w.take();
}

namespace {

Error malformed(const QString &why)
{
    return Error {QStringLiteral("MalformedResponse"), why};
}

// A header value as API Gateway takes one from a function: a string, or a number or boolean
// written as text.
bool headerValue(const Json &v, QByteArray *out)
{
    if (v.is_string())
        *out = QByteArray::fromStdString(v.get<std::string>());
    else if (v.is_number() || v.is_boolean())
        *out = QByteArray::fromStdString(v.dump());
    else
        return false;
    return !out->contains('\r') && !out->contains('\n');
}

// The parts 1.0 and 2.0 answers share: statusCode, headers, multiValueHeaders, body,
// isBase64Encoded. `decode` says whether a base64 body goes out decoded.
Result<MappedResponse> mapProxyObject(
    const Json &o, const std::function<bool(const MappedResponse &)> &decode)
{
    MappedResponse r;
    // find(), not operator[]: on a const object a missing key is undefined behaviour.
    const auto found = o.find("statusCode");
    const Json status = found == o.end() ? Json() : *found;
    if (!status.is_number_integer() && !status.is_number_unsigned()
        && !(status.is_number_float()
            && status.get<double>() == double(qint64(status.get<double>()))))
        return malformed(QStringLiteral("statusCode must be an integer, not %1")
                             .arg(QString::fromStdString(status.dump()).left(40)));
    const double code = status.get<double>();
    if (code < 100 || code > 599)
        return malformed(QStringLiteral("statusCode %1 is not an HTTP status").arg(code));
    r.status = int(code);
    QList<QByteArray> multiNames;
    if (o.contains("multiValueHeaders") && !o["multiValueHeaders"].is_null()) {
        const Json &m = o["multiValueHeaders"];
        if (!m.is_object())
            return malformed(QStringLiteral("multiValueHeaders must be an object"));
        for (auto it = m.begin(); it != m.end(); ++it) {
            if (!it.value().is_array())
                return malformed(QStringLiteral("multiValueHeaders.%1 must be a list")
                                     .arg(QString::fromStdString(it.key())));
            const QByteArray name = QByteArray::fromStdString(it.key());
            multiNames.append(name.toLower());
            for (const Json &v : it.value()) {
                QByteArray value;
                if (!headerValue(v, &value))
                    return malformed(QStringLiteral("multiValueHeaders.%1 holds a value that is "
                                                    "not a string")
                                         .arg(QString::fromUtf8(name)));
                r.headers.append({name, value});
            }
        }
    }
    if (o.contains("headers") && !o["headers"].is_null()) {
        const Json &h = o["headers"];
        if (!h.is_object())
            return malformed(QStringLiteral("headers must be an object"));
        for (auto it = h.begin(); it != h.end(); ++it) {
            const QByteArray name = QByteArray::fromStdString(it.key());
            QByteArray value;
            if (!headerValue(it.value(), &value))
                return malformed(
                    QStringLiteral("headers.%1 must be a string").arg(QString::fromUtf8(name)));
            // When both name a header, the multi-value entry wins.
            if (!multiNames.contains(name.toLower()))
                r.headers.append({name, value});
        }
    }
    bool base64 = false;
    if (o.contains("isBase64Encoded") && !o["isBase64Encoded"].is_null()) {
        if (!o["isBase64Encoded"].is_boolean())
            return malformed(QStringLiteral("isBase64Encoded must be a boolean"));
        base64 = o["isBase64Encoded"].get<bool>();
    }
    if (o.contains("body") && !o["body"].is_null()) {
        if (!o["body"].is_string())
            return malformed(QStringLiteral("body must be a string"));
        r.body = QByteArray::fromStdString(o["body"].get<std::string>());
    }
    if (base64 && decode(r)) {
        auto decoded
            = QByteArray::fromBase64Encoding(r.body, QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded)
            return malformed(QStringLiteral("isBase64Encoded is true and body is not base64"));
        r.body = std::move(decoded.decoded);
    }
    return r;
}

QByteArray responseHeader(const MappedResponse &r, const QByteArray &lower)
{
    for (const auto &[name, value] : r.headers) {
        if (name.toLower() == lower)
            return value;
    }
    return {};
}

} // namespace

Result<MappedResponse> mapResponseV1(
    const QByteArray &payload, const ApiDefinition &api, const QByteArray &accept)
{
    auto parsed = parseJson(payload);
    if (!parsed || !parsed->is_object())
        return malformed(QStringLiteral("the function's answer is not a JSON object"));
    return mapProxyObject(*parsed, [&](const MappedResponse &r) {
        if (api.http)
            return true;
        const QByteArray type = mediaType(responseHeader(r, "content-type"));
        for (const QString &pattern : api.binaryMediaTypes) {
            if (mediaTypeMatches(pattern, type))
                return true;
            for (const QByteArray &a : accept.split(',')) {
                if (!a.trimmed().isEmpty() && mediaTypeMatches(pattern, mediaType(a)))
                    return true;
            }
        }
        return false;
    });
}

Result<MappedResponse> mapResponseV2(const QByteArray &payload)
{
    auto parsed = parseJson(payload);
    if (!parsed)
        return malformed(QStringLiteral("the function's answer is not JSON"));
    if (!parsed->is_object() || !parsed->contains("statusCode")) {
        // Any other value is the body of a 200.
        MappedResponse r;
        r.headers.append({QByteArray("content-type"), QByteArray("application/json")});
        r.body = parsed->is_string() ? QByteArray::fromStdString(parsed->get<std::string>())
                                     : payload.trimmed();
        return r;
    }
    auto r = mapProxyObject(*parsed, [](const MappedResponse &) { return true; });
    if (!r)
        return r;
    if (parsed->contains("cookies") && !(*parsed)["cookies"].is_null()) {
        const Json &c = (*parsed)["cookies"];
        if (!c.is_array())
            return malformed(QStringLiteral("cookies must be a list"));
        for (const Json &v : c) {
            QByteArray value;
            if (!v.is_string() || !headerValue(v, &value))
                return malformed(QStringLiteral("cookies must be a list of strings"));
            r->headers.append({QByteArray("set-cookie"), value});
        }
    }
    return r;
}

} // namespace tarmac
