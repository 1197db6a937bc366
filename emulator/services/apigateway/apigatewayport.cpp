#include "services/apigateway/apigatewayport.h"

#include "base/clock.h"
#include "base/json.h"
#include "base/jsonpath.h"
#include "functions/delivery.h"
#include "http/edgerouter.h"
#include "services/apigateway/apiauthorizers.h"
#include "services/apigateway/apievents.h"
#include "services/apigateway/apijwt.h"
#include "services/apigateway/apiopenapi.h"
#include "services/edgecalls.h"
#include "trace/tracecontext.h"

#include <QDeadlineTimer>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>
#include <QTimer>

#include <map>

namespace tarmac {

namespace {

// One request on its way through its authorizer and its function and back: answered by the
// function's result or by the integration timeout, whichever comes first (the responder's
// first send wins). It owns what the events are built from: the HTTP request is gone by the
// time an authorizer has answered.
struct Call
{
    HttpResponder responder;
    std::shared_ptr<const ApiSnapshot> apis; // keeps the matched route alive
    RouteMatch match;
    HttpHeaders headers;
    ApiRequest request; // its headers are `headers`
    QByteArray origin; // the request's Origin header, for CORS
    QByteArray accept;
    QByteArray traceId;
    QByteArray spanId;
    QByteArray traceHeader;
    QList<std::pair<QString, QString>> spanAttributes;

    const ApiDefinition &api() const { return *match.api; }
    const ApiRoute &route() const { return *match.route; }
    // The route's integration timeout, else the API's default.
    int timeoutMs() const
    {
        return route().timeoutMs > 0 ? route().timeoutMs : api().defaultTimeoutMs();
    }
};

// The headers every answer of the API port carries: the trace, and API Gateway's request id.
void stamp(HttpResponse &r, const QByteArray &traceHeader, const QByteArray &requestId)
{
    r.headers.set("x-amzn-trace-id", traceHeader);
    r.headers.set("apigw-requestid", requestId);
}

qint64 monotonicMs()
{
    return QDeadlineTimer::current().deadline();
}

HttpResponse message(int status, const char *text)
{
    Json body = {{"message", text}};
    return HttpResponse::json(status, toJsonBytes(body));
}

// What API Gateway answers when no route matches: an HTTP API's 404, a REST API's 403.
HttpResponse noRoute(bool rest)
{
    return rest ? message(403, "Missing Authentication Token") : message(404, "Not Found");
}

// A failed integration: a REST API's 502, an HTTP API's 500.
HttpResponse integrationFailed(const ApiDefinition &api)
{
    return api.http ? message(500, "Internal Server Error") : message(502, "Internal server error");
}

// An integration that did not answer within its timeout: a REST API's 504, an HTTP API's 503.
HttpResponse integrationTimedOut(const ApiDefinition &api)
{
    return api.http ? message(503, "Service Unavailable")
                    : message(504, "Endpoint request timed out");
}

QByteArray joined(const QStringList &list)
{
    return list.join(u',').toUtf8();
}

bool originAllowed(const ApiCors &cors, const QByteArray &origin)
{
    for (const QString &o : cors.allowOrigins) {
        if (o == QLatin1String("*") || o.toUtf8() == origin)
            return true;
    }
    return false;
}

// The CORS headers for a request from an allowed origin.
void addAllowOrigin(HttpResponse &r, const ApiCors &c, const QByteArray &origin)
{
    const bool any = c.allowOrigins.contains(QLatin1String("*")) && !c.allowCredentials;
    r.headers.set("access-control-allow-origin", any ? QByteArray("*") : origin);
    if (c.allowCredentials)
        r.headers.set("access-control-allow-credentials", "true");
    if (!c.exposeHeaders.isEmpty())
        r.headers.set("access-control-expose-headers", joined(c.exposeHeaders));
    if (!any)
        r.headers.add("vary", "Origin");
}

// The CORS headers on an answer to a request from `origin`. An HTTP API adds them to every
// answer; a REST API only answers preflights (its Lambda proxy functions return their own).
void addCorsHeaders(HttpResponse &r, const ApiDefinition &api, const QByteArray &origin)
{
    if (api.http && api.cors && !origin.isEmpty() && originAllowed(*api.cors, origin))
        addAllowOrigin(r, *api.cors, origin);
}

// Sends a call's answer with what every answer carries: CORS headers (HTTP APIs), the trace
// and request id, and the route and authorizer result for the request's span.
void finish(Call &call, HttpResponse r)
{
    addCorsHeaders(r, call.api(), call.origin);
    r.operation = call.route().routeKey();
    r.spanAttributes = call.spanAttributes;
    r.spanAttributes.append({QStringLiteral("aws.apigateway.api_id"), call.api().id});
    stamp(r, call.traceHeader, call.request.requestId);
    call.responder.send(std::move(r));
}

// A preflight the API answers itself (its CORS configuration), or nothing.
std::optional<HttpResponse> preflight(const ApiDefinition &api, const HttpRequest &request)
{
    if (!api.cors || request.method != "OPTIONS" || request.header("origin").isEmpty()
        || !request.headers.contains("access-control-request-method"))
        return std::nullopt;
    const ApiCors &c = *api.cors;
    HttpResponse r;
    r.status = api.http ? 204 : 200;
    const QByteArray origin = request.header("origin");
    if (!originAllowed(c, origin))
        return r; // no CORS headers: the browser refuses
    addAllowOrigin(r, c, origin);
    const QByteArray requested = request.header("access-control-request-method");
    r.headers.set("access-control-allow-methods",
        c.allowMethods.isEmpty() || c.allowMethods.contains(QLatin1String("*"))
            ? (c.allowMethods.isEmpty() ? QByteArray("DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT")
                                        : requested)
            : joined(c.allowMethods));
    if (!c.allowHeaders.isEmpty()) {
        const QByteArray asked = request.header("access-control-request-headers");
        r.headers.set("access-control-allow-headers",
            c.allowHeaders.contains(QLatin1String("*")) && !asked.isEmpty()
                ? asked
                : joined(c.allowHeaders));
    }
    if (c.maxAge >= 0)
        r.headers.set("access-control-max-age", QByteArray::number(c.maxAge));
    if (!api.http)
        r.headers.set("content-type", "application/json");
    return r;
}

QString hostOnly(const QByteArray &host)
{
    QByteArray h = host;
    if (h.startsWith('[')) {
        const qsizetype end = h.indexOf(']');
        return QString::fromLatin1(end < 0 ? h : h.left(end + 1));
    }
    const qsizetype colon = h.lastIndexOf(':');
    if (colon >= 0)
        h.truncate(colon);
    return QString::fromLatin1(h).toLower();
}

QString sourceIp(const QHostAddress &address)
{
    bool v4 = false;
    const quint32 ip4 = address.toIPv4Address(&v4);
    return v4 ? QHostAddress(ip4).toString() : address.toString();
}

} // namespace

// The integration timeouts of the requests in flight, on one timer: a request's deadline is
// added when its delivery goes to the function; one that is answered first is simply
// forgotten (its entry expires). The timer lives on the context's thread and is re-armed
// only when a deadline earlier than the armed one arrives, so a steady stream of requests
// costs a map insert each, not a timer.
class IntegrationTimeouts
{
public:
    explicit IntegrationTimeouts(QObject *context)
        : m_context(context)
        , m_timer(new QTimer(context))
    {
        m_timer->setSingleShot(true);
        m_timer->setTimerType(Qt::PreciseTimer);
        QObject::connect(m_timer, &QTimer::timeout, context, [this] { fire(); });
    }
    ~IntegrationTimeouts() { delete m_timer.data(); }

    void add(qint64 deadlineMs, std::weak_ptr<Call> call)
    {
        bool arm = false;
        {
            QMutexLocker lock(&m_mutex);
            // The oldest entries are mostly answered already: drop a few each time.
            for (int i = 0; i < 4 && !m_pending.empty() && m_pending.begin()->second.expired(); ++i)
                m_pending.erase(m_pending.begin());
            m_pending.emplace(deadlineMs, std::move(call));
            if (m_armedMs == 0 || deadlineMs < m_armedMs) {
                m_armedMs = deadlineMs;
                arm = true;
            }
        }
        if (arm)
            QMetaObject::invokeMethod(
                m_context, [this] { rearm(); }, Qt::QueuedConnection);
    }

private:
    void rearm()
    {
        QMutexLocker lock(&m_mutex);
        if (m_armedMs != 0 && m_timer)
            m_timer->start(int(qBound(qint64(0), m_armedMs - monotonicMs(), qint64(3600000))));
    }

    void fire()
    {
        QList<std::shared_ptr<Call>> due;
        {
            QMutexLocker lock(&m_mutex);
            const qint64 now = monotonicMs();
            while (!m_pending.empty() && m_pending.begin()->first <= now) {
                if (auto call = m_pending.begin()->second.lock())
                    due.append(std::move(call));
                m_pending.erase(m_pending.begin());
            }
            m_armedMs = m_pending.empty() ? 0 : m_pending.begin()->first;
            if (m_armedMs != 0 && m_timer)
                m_timer->start(int(qBound(qint64(0), m_armedMs - now, qint64(3600000))));
        }
        for (const auto &call : std::as_const(due)) {
            if (call->responder.isAnswered())
                continue;
            qWarning("tarmac: apigateway: %s %s: function %s did not answer within the "
                     "integration timeout",
                call->request.method.constData(), call->request.path.constData(),
                qPrintable(call->route().function));
            finish(*call, integrationTimedOut(call->api()));
        }
    }

    QObject *m_context;
    QPointer<QTimer> m_timer; // a child of the context, which may go first
    QMutex m_mutex;
    std::multimap<qint64, std::weak_ptr<Call>> m_pending;
    qint64 m_armedMs = 0;
};

// What requests in flight need of the port, kept alive by them (a delivery may finish while
// the port is being torn down).
struct ApiGatewayPort::State
{
    DeliverySink *deliveries = nullptr;
    std::unique_ptr<IntegrationTimeouts> timeouts;
    AuthorizerCache authorizers;
    const Clock *clock = nullptr;
    QString region = QStringLiteral("us-east-1");
    QString accountId = QStringLiteral("000000000000");
    QUrl edgeUrl;
    // Where AWS integrations' calls are made: the timer context's thread, with a client made
    // there on the first call (a child of the context) and used only there.
    QPointer<QObject> context;
    std::shared_ptr<QPointer<QNetworkAccessManager>> http
        = std::make_shared<QPointer<QNetworkAccessManager>>();

    void authorize(const std::shared_ptr<Call> &call, const ApiAuthorizer &authorizer);
    void decide(const std::shared_ptr<Call> &call, const QString &arn,
        const AuthorizerAnswer &answer, bool cached);
    void integrate(const std::shared_ptr<Call> &call);
    // A non-proxy integration: the request mapped, the action called, the answer mapped.
    void integrateService(const std::shared_ptr<Call> &call);
    // An HTTP request made for a call on the context's thread; `answered` gets the reply
    // when one came, the call is answered with the integration's failure or timeout if not.
    // `backend`: an HTTP integration's endpoint, which answers for itself; one that cannot be
    // reached is the integration's configuration error (a 500).
    void callHttp(const std::shared_ptr<Call> &call, const QNetworkRequest &request,
        const QByteArray &method, const QByteArray &body, bool backend,
        std::function<void(QNetworkReply *)> answered);
    // The route's function with this payload, on the request's trace; the integration timeout
    // counts from when it reaches the function.
    Delivery functionDelivery(const std::shared_ptr<Call> &call, QByteArray payload);
};

Delivery ApiGatewayPort::State::functionDelivery(
    const std::shared_ptr<Call> &call, QByteArray payload)
{
    const ApiRoute &route = call->route();
    Delivery d;
    d.functionName = route.function;
    d.qualifier = route.qualifier;
    d.payload = std::move(payload);
    d.origin = QStringLiteral("apigateway");
    d.traceId = call->traceId;
    d.parentSpanId = call->spanId;
    d.started = [timeouts = timeouts.get(), weak = std::weak_ptr<Call>(call),
                    timeoutMs = call->timeoutMs()] {
        if (timeouts)
            timeouts->add(monotonicMs() + timeoutMs, weak);
    };
    return d;
}

namespace {

// What a mapping template reads of a call's request.
MappingInput mappingInput(const Call &call)
{
    MappingInput in;
    const ApiRequest &r = call.request;
    in.body = r.body;
    in.pathParameters = call.match.pathParameters;
    in.query = decodeQuery(r.query);
    const auto &fields = call.headers.fields();
    for (qsizetype i = 0; i < fields.size(); ++i)
        in.headers.append({call.headers.rawName(i), fields[i].second});
    in.stageVariables = call.api().stageVariables;
    const ApiRoute &route = call.route();
    const std::string resource
        = (route.path == QLatin1String("$default") ? QStringLiteral("/") : route.path)
              .toStdString();
    in.context = {{"requestId", r.requestId.toStdString()}, {"httpMethod", r.method.toStdString()},
        {"resourcePath", resource},
        {"path",
            (call.api().stage == QLatin1String("$default") ? QString() : u'/' + call.api().stage)
                    .toStdString()
                + QString::fromUtf8(r.path).toStdString()},
        {"stage", call.api().stage.toStdString()}, {"apiId", call.api().id.toStdString()},
        {"accountId", r.accountId.toStdString()}, {"domainName", r.domainName.toStdString()},
        {"requestTimeEpoch", r.timeMs}, {"requestTime", apiRequestTime(r.timeMs).toStdString()},
        {"protocol", "HTTP/1.1"},
        {"identity",
            {{"sourceIp", r.sourceIp.toStdString()}, {"userAgent", r.userAgent.toStdString()}}}};
    if (!r.authorizer.is_null())
        in.context["authorizer"] = r.authorizer;
    return in;
}

// The integration response for an answer: the first whose pattern matches all of `selector`
// (the status code; a function's error message), else the default; null when none fits.
const ApiServiceIntegration::Response *selectResponse(
    const ApiServiceIntegration &s, const QString &selector, bool useDefault)
{
    for (const ApiServiceIntegration::Response &r : s.responses) {
        if (r.pattern.isEmpty()) {
            if (useDefault)
                return &r;
            continue;
        }
        if (!selector.isEmpty() && r.selection.match(selector).hasMatch())
            return &r;
    }
    return nullptr;
}

// A response parameter's value: a 'literal', a header of the integration's answer, its body or
// a field of it (a string as it is, anything else as JSON); empty when there is none.
QByteArray responseParameter(const QString &source, const QByteArray &answer,
    const QList<std::pair<QByteArray, QByteArray>> &answerHeaders)
{
    if (source.startsWith(u'\''))
        return source.mid(1, source.size() - 2).toUtf8();
    const QLatin1String header("integration.response.header.");
    if (source.startsWith(header)) {
        const QByteArray name = source.mid(header.size()).toUtf8().toLower();
        for (const auto &[n, v] : answerHeaders) {
            if (n.toLower() == name)
                return v;
        }
        return {};
    }
    if (source == QLatin1String("integration.response.body"))
        return answer;
    auto body = parseJson(answer);
    const QString jsonPath
        = QStringLiteral("$.") + source.mid(QLatin1String("integration.response.body.").size());
    auto path = JsonPath::parse(jsonPath);
    if (!body || !path)
        return {};
    const auto found = path->select(*body);
    if (found.empty())
        return {};
    const Json &v = *found.front();
    return v.is_string() ? QByteArray::fromStdString(v.get<std::string>())
                         : QByteArray::fromStdString(v.dump());
}

// The client's answer from the integration's: the selected response's status, template
// (application/json's, else its first) and header mappings, or the answer as it is.
void answerFromIntegration(Call &call, const QString &selector, bool useDefault,
    const QByteArray &answer, const QList<std::pair<QByteArray, QByteArray>> &answerHeaders = {})
{
    const ApiServiceIntegration &s = *call.route().service;
    const ApiServiceIntegration::Response *r = selectResponse(s, selector, useDefault);
    if (!r) {
        qWarning("tarmac: apigateway: %s %s: no integration response of %s %s matches %s, and "
                 "there is no default",
            call.request.method.constData(), call.request.path.constData(), qPrintable(s.service),
            qPrintable(s.action), qPrintable(selector));
        finish(call, message(500, "Internal server error"));
        return;
    }
    HttpResponse out;
    out.status = r->status;
    out.headers.set("content-type", "application/json");
    for (const auto &[name, source] : r->headers) {
        const QByteArray value = responseParameter(source, answer, answerHeaders);
        if (!value.isEmpty() && !value.contains('\r') && !value.contains('\n'))
            out.headers.set(name.toLower(), value);
    }
    out.body = answer;
    if (!r->templates.isEmpty()) {
        const auto t = r->templates.constFind(QStringLiteral("application/json"));
        MappingInput in = mappingInput(call);
        in.body = answer;
        auto body = (t == r->templates.cend() ? r->templates.cbegin() : t)->render(in);
        if (!body) {
            qWarning("tarmac: apigateway: %s %s: the response template failed: %s",
                call.request.method.constData(), call.request.path.constData(),
                qPrintable(body.error().message));
            finish(call, message(500, "Internal server error"));
            return;
        }
        out.body = std::move(*body);
    }
    finish(call, std::move(out));
}

// The error message of a function's error answer ({"errorMessage": …}), or its text.
QString functionErrorMessage(const QByteArray &payload)
{
    auto parsed = parseJson(payload);
    if (parsed && parsed->is_object()) {
        const auto it = parsed->find("errorMessage");
        if (it != parsed->end() && it->is_string())
            return QString::fromStdString(it->get<std::string>());
    }
    return QString::fromUtf8(payload);
}

// A mock integration's answer: the integration request's statusCode ({"statusCode": 200}, what
// the request template made) selects the integration response; no body, the default one.
void answerMock(Call &call, const QByteArray &body)
{
    QString selector;
    if (!body.trimmed().isEmpty()) {
        auto parsed = parseJson(body);
        const Json *code = nullptr;
        if (parsed && parsed->is_object()) {
            const auto it = parsed->find("statusCode");
            if (it != parsed->end())
                code = &*it;
        }
        double status = 0;
        if (code && code->is_number())
            status = code->get<double>();
        else if (code && code->is_string())
            status = QString::fromStdString(code->get<std::string>()).toDouble();
        if (status < 100 || status > 599 || status != double(int(status))) {
            qWarning("tarmac: apigateway: %s %s: the mock integration's request has no "
                     "statusCode between 100 and 599 (its request template makes it, e.g. "
                     "{\"statusCode\": 200}): %s",
                call.request.method.constData(), call.request.path.constData(),
                body.left(200).constData());
            finish(call, message(500, "Internal server error"));
            return;
        }
        selector = QString::number(int(status));
    }
    answerFromIntegration(call, selector, true, QByteArray());
}

// The most of an integration's answer API Gateway takes.
constexpr qint64 kMaxIntegrationAnswer = 10 * 1024 * 1024;

bool hopByHop(const QByteArray &lowerName)
{
    static const QSet<QByteArray> names
        = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
            "transfer-encoding", "upgrade", "host", "content-length", "expect", "proxy-connection"};
    return names.contains(lowerName);
}

// The first value of a query parameter (decoded), or nothing.
std::optional<QByteArray> queryValue(const QByteArray &rawQuery, const QByteArray &name)
{
    for (const auto &[n, v] : decodeQuery(rawQuery)) {
        if (n == name)
            return v;
    }
    return std::nullopt;
}

// The value of a requestParameters source for this call; nothing when the request lacks it.
std::optional<QByteArray> parameterValue(const Call &call, const QString &source)
{
    if (source.startsWith(u'\''))
        return source.mid(1, source.size() - 2).toUtf8();
    const auto after = [&](QLatin1String prefix) {
        return source.startsWith(prefix) ? std::optional<QString>(source.mid(prefix.size()))
                                         : std::nullopt;
    };
    if (const auto name = after(QLatin1String("method.request.path."))) {
        for (const auto &[n, v] : call.match.pathParameters) {
            if (n == *name)
                return v.toUtf8();
        }
        return std::nullopt;
    }
    if (const auto name = after(QLatin1String("method.request.querystring.")))
        return queryValue(call.request.query, name->toUtf8());
    if (const auto name = after(QLatin1String("method.request.header."))) {
        const QByteArray lower = name->toUtf8().toLower();
        if (!call.headers.contains(lower))
            return std::nullopt;
        return call.headers.value(lower);
    }
    if (const auto name = after(QLatin1String("stageVariables."))) {
        const auto &vars = call.api().stageVariables;
        const auto it = vars.constFind(*name);
        return it == vars.cend() ? std::nullopt : std::optional<QByteArray>(it->toUtf8());
    }
    return std::nullopt;
}

// An HTTP integration's request: the uri with its {name} placeholders filled (the mapped path
// parameter, else the route's own of that name), the mapped query parameters (a proxy also
// passes the client's query string) and headers (a proxy also passes the client's).
QNetworkRequest httpIntegrationRequest(
    const Call &call, const ApiServiceIntegration &s, const QString &uriTemplate)
{
    const bool proxy = s.service == u"http_proxy";
    QList<std::pair<QString, QByteArray>> path, query, headers;
    for (const auto &[target, source] : s.requestParameters) {
        const auto value = parameterValue(call, source);
        if (!value)
            continue;
        const qsizetype dot = target.indexOf(u'.');
        const QString kind = target.left(dot), name = target.mid(dot + 1);
        (kind == QLatin1String("path")                 ? path
                : kind == QLatin1String("querystring") ? query
                                                       : headers)
            .append({name, *value});
    }
    QString uri;
    for (qsizetype i = 0; i < uriTemplate.size();) {
        const qsizetype open = uriTemplate.indexOf(u'{', i);
        const qsizetype close = open < 0 ? -1 : uriTemplate.indexOf(u'}', open);
        if (close < 0) {
            uri += uriTemplate.mid(i);
            break;
        }
        uri += uriTemplate.mid(i, open - i);
        QString name = uriTemplate.mid(open + 1, close - open - 1);
        if (name.endsWith(u'+'))
            name.chop(1);
        std::optional<QByteArray> value;
        for (const auto &[n, v] : path) {
            if (n == name)
                value = v;
        }
        if (!value) {
            for (const auto &[n, v] : call.match.pathParameters) {
                if (n == name || n == name + u'+')
                    value = v.toUtf8();
            }
        }
        uri += QString::fromLatin1(
            QUrl::toPercentEncoding(QString::fromUtf8(value.value_or(QByteArray())), "/"));
        i = close + 1;
    }
    QByteArray queryText = QUrl(uri).query(QUrl::FullyEncoded).toUtf8();
    const auto appendQuery = [&](const QByteArray &part) {
        if (part.isEmpty())
            return;
        if (!queryText.isEmpty())
            queryText += '&';
        queryText += part;
    };
    if (proxy)
        appendQuery(call.request.query);
    for (const auto &[name, value] : query)
        appendQuery(QUrl::toPercentEncoding(name) + '='
            + QUrl::toPercentEncoding(QString::fromUtf8(value)));
    QUrl url(uri);
    url.setQuery(queryText.isEmpty() ? QString() : QString::fromUtf8(queryText)); // tolerant
    QNetworkRequest request(url);
    if (proxy) {
        // A header sent more than once goes as one, its values joined.
        const auto &fields = call.headers.fields();
        for (qsizetype i = 0; i < fields.size(); ++i) {
            if (hopByHop(fields[i].first))
                continue;
            const QByteArray name = call.headers.rawName(i);
            const QByteArray had = request.rawHeader(name);
            request.setRawHeader(name,
                had.isEmpty()
                    ? fields[i].second
                    : had + (fields[i].first == "cookie" ? "; " : ", ") + fields[i].second);
        }
        for (const auto &[name, value] : call.request.added)
            request.setRawHeader(name, value);
        // Without one, Qt would ask for gzip and hand over the body inflated.
        if (!call.headers.contains("accept-encoding"))
            request.setRawHeader("Accept-Encoding", "identity");
    }
    for (const auto &[name, value] : headers) {
        if (!value.contains('\r') && !value.contains('\n'))
            request.setRawHeader(name.toUtf8(), value);
    }
    // The backend's redirects and cookies are the client's to follow and keep.
    request.setAttribute(
        QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    request.setAttribute(QNetworkRequest::CookieLoadControlAttribute, QNetworkRequest::Manual);
    request.setAttribute(QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
    request.setTransferTimeout(call.timeoutMs());
    return request;
}

// An HTTP proxy integration's answer: the backend's as it is, but for hop-by-hop headers; its
// Date and Server are kept as x-amzn-Remapped-Date and -Server, as API Gateway keeps them.
HttpResponse proxiedAnswer(QNetworkReply *reply)
{
    HttpResponse out;
    out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    for (const auto &[name, value] : reply->rawHeaderPairs()) {
        QByteArray lower = name.toLower();
        if (hopByHop(lower))
            continue;
        if (lower == "date" || lower == "server")
            lower.prepend("x-amzn-remapped-");
        // Qt joins repeated Set-Cookie headers with newlines: one header each again.
        for (const QByteArray &one : value.split('\n')) {
            if (!one.contains('\r'))
                out.headers.add(lower, one);
        }
    }
    out.body = reply->readAll();
    return out;
}

// The method of an integration's HTTP call: its httpMethod, or for ANY the request's own.
QByteArray integrationMethod(const Call &call, const ApiServiceIntegration &s)
{
    return s.httpMethod == QLatin1String("ANY") ? call.request.method : s.httpMethod.toUtf8();
}

// A non-proxy integration's answer over HTTP: its status selects the integration response.
void answerByStatus(Call &call, QNetworkReply *reply)
{
    answerFromIntegration(call,
        QString::number(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt()), true,
        reply->readAll(), reply->rawHeaderPairs());
}

QString integrationName(const ApiServiceIntegration &s)
{
    if (s.service == u"mock")
        return s.service;
    if (s.service.startsWith(QLatin1String("http")) || !s.uri.isEmpty())
        return s.service + u':' + s.httpMethod + u' ' + s.uri;
    return s.service + u':' + s.action;
}

} // namespace

void ApiGatewayPort::State::callHttp(const std::shared_ptr<Call> &call,
    const QNetworkRequest &request, const QByteArray &method, const QByteArray &body, bool backend,
    std::function<void(QNetworkReply *)> answered)
{
    const HttpResponse failed = backend ? (call->api().http ? message(500, "Internal Server Error")
                                                            : message(500, "Internal server error"))
                                        : integrationFailed(call->api());
    if (!context) {
        finish(*call, failed);
        return;
    }
    QMetaObject::invokeMethod(
        context.data(),
        [context = context, http = http, request, method, body, call, failed,
            answered = std::move(answered)] {
            if (!context) {
                finish(*call, failed);
                return;
            }
            if (!*http)
                *http = new QNetworkAccessManager(context.data());
            QNetworkReply *reply = (*http)->sendCustomRequest(request, method, body);
            // An answer over API Gateway's 10 MB is not read to its end (nor kept).
            auto tooLarge = std::make_shared<bool>(false);
            QObject::connect(reply, &QNetworkReply::downloadProgress, reply,
                [reply, tooLarge](qint64 received, qint64 total) {
                    if (!*tooLarge && qMax(received, total) > kMaxIntegrationAnswer) {
                        *tooLarge = true;
                        reply->abort();
                    }
                });
            QObject::connect(
                reply, &QNetworkReply::finished, reply, [reply, call, answered, failed, tooLarge] {
                    reply->deleteLater();
                    const int status
                        = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                    if (*tooLarge) {
                        qWarning("tarmac: apigateway: %s %s: the integration's answer is over "
                                 "10 MB",
                            call->request.method.constData(), call->request.path.constData());
                        finish(*call, failed);
                        return;
                    }
                    if (status == 0) {
                        const bool late = reply->error() == QNetworkReply::OperationCanceledError
                            || reply->error() == QNetworkReply::TimeoutError;
                        qWarning("tarmac: apigateway: %s %s: %s", call->request.method.constData(),
                            call->request.path.constData(), qPrintable(reply->errorString()));
                        finish(*call, late ? integrationTimedOut(call->api()) : failed);
                        return;
                    }
                    answered(reply);
                });
        },
        Qt::QueuedConnection);
}

void ApiGatewayPort::State::integrateService(const std::shared_ptr<Call> &call)
{
    const ApiServiceIntegration &s = *call->route().service;
    call->spanAttributes.append({QStringLiteral("aws.apigateway.integration"), integrationName(s)});
    if (s.service == u"http_proxy") {
        callHttp(call, httpIntegrationRequest(*call, s, s.uri), integrationMethod(*call, s),
            call->request.body, true,
            [call](QNetworkReply *reply) { finish(*call, proxiedAnswer(reply)); });
        return;
    }
    // The body: the request template for its content type, or the body as it came.
    const QByteArray type = call->headers.value("content-type").split(';').first().trimmed();
    const QString contentType
        = type.isEmpty() ? QStringLiteral("application/json") : QString::fromUtf8(type).toLower();
    QByteArray body;
    const auto t = s.requestTemplates.constFind(contentType);
    if (t != s.requestTemplates.cend()) {
        auto rendered = t->render(mappingInput(*call));
        if (!rendered) {
            finish(*call,
                HttpResponse::json(
                    400, toJsonBytes(Json {{"message", rendered.error().message.toStdString()}})));
            return;
        }
        body = std::move(*rendered);
    } else if (s.passthrough == ApiServiceIntegration::Passthrough::WhenNoMatch
        || (s.passthrough == ApiServiceIntegration::Passthrough::WhenNoTemplates
            && s.requestTemplates.isEmpty())) {
        body = call->request.body;
    } else {
        finish(*call, message(415, "Unsupported Media Type"));
        return;
    }
    if (s.service == u"mock") {
        answerMock(*call, body);
        return;
    }
    const auto setContentType = [&](QNetworkRequest &request) {
        if (request.hasRawHeader("Content-Type")) // mapped
            return;
        if (t != s.requestTemplates.cend())
            request.setRawHeader("Content-Type", "application/json");
        else if (call->headers.contains("content-type"))
            request.setRawHeader("Content-Type", call->headers.value("content-type"));
    };
    if (s.service == u"http") {
        QNetworkRequest request = httpIntegrationRequest(*call, s, s.uri);
        setContentType(request);
        callHttp(call, request, integrationMethod(*call, s), body, true,
            [call](QNetworkReply *reply) { answerByStatus(*call, reply); });
        return;
    }
    if (s.service == u"lambda") { // Lambda's custom integration
        Delivery d = functionDelivery(call, std::move(body));
        d.done = [call](const DeliveryResult &result) {
            if (!result.delivered) {
                qWarning("tarmac: apigateway: %s %s: function %s did not run: %s",
                    call->request.method.constData(), call->request.path.constData(),
                    qPrintable(call->route().function), qPrintable(result.errorMessage));
                finish(*call, integrationFailed(call->api()));
                return;
            }
            // A success takes the default response; an error the one its message selects.
            if (result.functionError)
                answerFromIntegration(
                    *call, functionErrorMessage(result.payload), false, result.payload);
            else
                answerFromIntegration(*call, QString(), true, result.payload);
        };
        deliveries->submit(std::move(d));
        return;
    }

    if (!s.uri.isEmpty() || queryProtocol(s.service)) {
        // The service's own HTTP API on the edge port: a path (S3, SQS, SNS), or Action=… of
        // the query protocol (SQS, SNS), with the mapped parameters.
        if (edgeUrl.isEmpty()) {
            finish(*call, integrationFailed(call->api()));
            return;
        }
        const QString base = edgeUrl.toString(QUrl::RemovePath | QUrl::RemoveQuery);
        QNetworkRequest request = httpIntegrationRequest(
            *call, s, base + (s.uri.isEmpty() ? QStringLiteral("/?Action=") + s.action : s.uri));
        setContentType(request);
        request.setRawHeader("Authorization",
            edgeAuthorization("apigateway", region, s.service.toLatin1().constData()));
        request.setRawHeader(
            "traceparent", TraceContext {call->traceId, call->spanId, true, {}}.toTraceparent());
        callHttp(call, request, integrationMethod(*call, s), body, false,
            [call](QNetworkReply *reply) { answerByStatus(*call, reply); });
        return;
    }
    const EdgeJsonService *json = edgeJsonService(s.service);
    if (!json || edgeUrl.isEmpty()) {
        finish(*call, integrationFailed(call->api()));
        return;
    }
    QNetworkRequest request(edgeUrl);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray(json->contentType));
    request.setRawHeader("X-Amz-Target", QByteArray(json->targetPrefix) + s.action.toUtf8());
    // API Gateway calls with the integration's role; signatures are not checked for it here.
    request.setRawHeader("Authorization", edgeAuthorization("apigateway", region, json->scope));
    request.setRawHeader(
        "traceparent", TraceContext {call->traceId, call->spanId, true, {}}.toTraceparent());
    request.setTransferTimeout(call->timeoutMs());
    callHttp(call, request, "POST", body, false,
        [call](QNetworkReply *reply) { answerByStatus(*call, reply); });
}

// An authorizer's answer for this request: from the cache by identity, else from the
// authorizer function (a delivery like any other, on the request's trace).
void ApiGatewayPort::State::authorize(const std::shared_ptr<Call> &call, const ApiAuthorizer &a)
{
    const auto identity = authorizerIdentity(a, call->match, call->request);
    if (a.kind == ApiAuthorizer::Kind::Jwt && identity && !identity->isEmpty()) {
        if (!a.keys)
            qWarning("tarmac: apigateway: authorizer %s has no keys (yet) from %s",
                qPrintable(a.name), qPrintable(a.jwks.isEmpty() ? a.issuer : a.jwks));
        const JwtVerdict v = verifyJwt(identity->first(), a, a.keys ? *a.keys : Json(),
            call->route().scopes, clock->nowMs() / 1000);
        call->spanAttributes.append({QStringLiteral("aws.apigateway.authorizer"), v.summary});
        if (v.status != 200) {
            finish(*call, HttpResponse::json(v.status, v.body));
            return;
        }
        call->request.authorizer = v.authorizer;
        integrate(call);
        return;
    }
    if (!identity || (a.kind == ApiAuthorizer::Kind::Jwt && identity->isEmpty())) {
        call->spanAttributes.append(
            {QStringLiteral("aws.apigateway.authorizer"), QStringLiteral("unauthorized")});
        finish(*call, message(401, "Unauthorized"));
        return;
    }
    const QString arn
        = executeApiArn(region, accountId, call->api(), call->request.method, call->request.path);
    const bool cacheable = a.ttlSeconds > 0 && !a.identitySources.isEmpty();
    const QString key = call->api().id + u'\n' + a.name + u'\n' + identity->join(u'\n');
    if (cacheable) {
        if (auto hit = authorizers.find(key, monotonicMs())) {
            decide(call, arn, *hit, true);
            return;
        }
    }
    Delivery d;
    d.functionName = a.function;
    d.qualifier = a.qualifier;
    d.payload = buildAuthorizerEvent(a, call->match, call->request, arn, *identity);
    d.origin = QStringLiteral("apigateway");
    d.traceId = call->traceId;
    d.parentSpanId = call->spanId;
    d.done = [this, call, authorizer = &a, arn, key, cacheable](const DeliveryResult &result) {
        AuthorizerAnswer answer = result.delivered
            ? readAuthorizerAnswer(
                *authorizer, call->api().http, result.functionError, result.payload)
            : AuthorizerAnswer {AuthorizerAnswer::Kind::Invalid, false, {}, {}, {},
                QStringLiteral("the authorizer function did not run: %1").arg(result.errorMessage)};
        if (answer.kind == AuthorizerAnswer::Kind::Invalid)
            qWarning("tarmac: apigateway: %s %s: authorizer %s: %s",
                call->request.method.constData(), call->request.path.constData(),
                qPrintable(authorizer->name), qPrintable(answer.reason));
        else if (cacheable)
            authorizers.insert(key, answer, monotonicMs() + qint64(authorizer->ttlSeconds) * 1000);
        decide(call, arn, answer, false);
    };
    deliveries->submit(std::move(d));
}

void ApiGatewayPort::State::decide(const std::shared_ptr<Call> &call, const QString &arn,
    const AuthorizerAnswer &answer, bool cached)
{
    const AuthorizerVerdict verdict = judge(answer, call->api().http, arn);
    call->spanAttributes.append({QStringLiteral("aws.apigateway.authorizer"),
        verdict.summary + (cached ? QStringLiteral(" (cached)") : QString())});
    if (verdict.status != 200) {
        finish(*call, HttpResponse::json(verdict.status, verdict.body));
        return;
    }
    call->request.authorizer
        = authorizerContext(answer, call->api().http, call->route().payloadVersion);
    integrate(call);
}

// The route's function: the event, the integration timeout from when the delivery reaches the
// function, and the answer mapped back.
void ApiGatewayPort::State::integrate(const std::shared_ptr<Call> &call)
{
    const ApiRoute &route = call->route();
    if (route.service) {
        integrateService(call);
        return;
    }
    Delivery d = functionDelivery(call,
        route.payloadVersion == 2 ? buildEventV2(call->match, call->request)
                                  : buildEventV1(call->match, call->request));
    d.done = [call](const DeliveryResult &result) {
        const ApiDefinition &api = call->api();
        const ApiRoute &route = call->route();
        HttpResponse out;
        if (!result.delivered || result.functionError) {
            qWarning("tarmac: apigateway: %s %s: function %s failed: %s%s%s",
                call->request.method.constData(), call->request.path.constData(),
                qPrintable(route.function), qPrintable(result.errorType),
                result.errorMessage.isEmpty() ? "" : ": ",
                qPrintable(result.errorMessage.left(300)));
            out = integrationFailed(api);
        } else {
            auto mapped = route.payloadVersion == 2
                ? mapResponseV2(result.payload)
                : mapResponseV1(result.payload, api, call->accept);
            if (!mapped) {
                qWarning("tarmac: apigateway: %s %s: malformed Lambda proxy response from "
                         "function %s: %s",
                    call->request.method.constData(), call->request.path.constData(),
                    qPrintable(route.function), qPrintable(mapped.error().message));
                out = integrationFailed(api);
            } else {
                out.status = mapped->status;
                for (auto &[name, value] : mapped->headers)
                    out.headers.add(name, value);
                out.body = std::move(mapped->body);
                if (!out.headers.contains("content-type"))
                    out.headers.set("content-type", "application/json");
            }
        }
        finish(*call, std::move(out));
    };
    deliveries->submit(std::move(d));
}

std::shared_ptr<const ApiSnapshot> ApiSnapshot::make(
    QList<std::shared_ptr<const ApiDefinition>> apis, QSet<QString> apiKeys)
{
    auto s = std::make_shared<ApiSnapshot>();
    s->apis = std::move(apis);
    s->apiKeys = std::move(apiKeys);
    for (const auto &api : std::as_const(s->apis)) {
        s->byId.insert(api->id, api.get());
        s->conflicts += s->plain.add(*api);
        // Within one API a route defined twice is a mistake of the template: said once.
        RouteTable own;
        for (const QString &c : own.add(*api)) {
            if (!s->conflicts.contains(c))
                s->conflicts.append(c);
        }
        s->perApi.insert(api->id, std::move(own));
    }
    return s;
}

ApiGatewayPort::ApiGatewayPort(Tracer *tracer, const Clock *clock)
    : m_tracer(tracer)
    , m_clock(clock)
    , m_state(std::make_shared<State>())
    , m_apis(ApiSnapshot::make({}))
{
    m_state->clock = clock;
}

ApiGatewayPort::~ApiGatewayPort() = default;

void ApiGatewayPort::start(DeliverySink *deliveries, QObject *timerContext, const QString &region,
    const QString &accountId, const QUrl &edgeUrl)
{
    m_state->deliveries = deliveries;
    m_state->region = region;
    m_state->accountId = accountId;
    m_state->timeouts = std::make_unique<IntegrationTimeouts>(timerContext);
    m_state->edgeUrl = edgeUrl;
    m_state->context = timerContext;
}

void ApiGatewayPort::clearAuthorizerCache()
{
    m_state->authorizers.clear();
}

void ApiGatewayPort::setApis(std::shared_ptr<const ApiSnapshot> apis)
{
    QMutexLocker lock(&m_mutex);
    m_apis = std::move(apis);
}

std::shared_ptr<const ApiSnapshot> ApiGatewayPort::apis() const
{
    QMutexLocker lock(&m_mutex);
    return m_apis;
}

qint64 ApiGatewayPort::maxBodySize(const HttpRequest &) const
{
    return 10 * 1024 * 1024; // API Gateway's payload limit
}

HttpResponse ApiGatewayPort::bodyTooLarge(const HttpRequest &) const
{
    return message(413, "Request Too Long");
}

HttpResponse ApiGatewayPort::internalError(const HttpRequest &, const QString &) const
{
    return message(500, "Internal Server Error");
}

void ApiGatewayPort::handle(HttpRequest &&request, HttpResponder responder)
{
    beginRequestSpan(request, responder, m_tracer, m_clock, QStringLiteral("apigateway"),
        QString::fromLatin1(request.method) + u' ' + QString::fromUtf8(request.path));
    const std::shared_ptr<const ApiSnapshot> snapshot = apis();
    const QByteArray requestId = request.requestId;
    const QByteArray traceHeader
        = TraceContext {request.traceId, request.spanId, true, {}}.toXRay();
    const bool restOnly = !snapshot->apis.isEmpty()
        && std::all_of(
            snapshot->apis.cbegin(), snapshot->apis.cend(), [](const auto &a) { return !a->http; });
    const auto send = [&](HttpResponse r) {
        stamp(r, traceHeader, requestId);
        responder.send(std::move(r));
    };

    // Which API, and which part of the path is the resource's.
    const RouteTable *table = &snapshot->plain;
    const ApiDefinition *addressed = nullptr;
    QByteArray path = request.path;
    QString stagePrefix;
    const QString host = hostOnly(request.header("host"));
    QString apiId;
    if (host.contains(QLatin1String(".execute-api.")))
        apiId = host.section(u'.', 0, 0);
    else if (path.startsWith("/_aws/execute-api/")) {
        const QByteArray rest = path.mid(18);
        const qsizetype slash = rest.indexOf('/');
        apiId = QString::fromLatin1(slash < 0 ? rest : rest.left(slash));
        path = slash < 0 ? QByteArray("/") : rest.mid(slash);
    }
    if (!apiId.isEmpty()) {
        addressed = snapshot->byId.value(apiId);
        if (!addressed) {
            send(message(403, "Forbidden"));
            return;
        }
        table = &snapshot->perApi.constFind(apiId).value();
        if (addressed->stage != QLatin1String("$default")) {
            const QByteArray stage = '/' + addressed->stage.toUtf8();
            if (path != stage && !path.startsWith(QByteArray(stage + '/'))) {
                send(addressed->http ? message(404, "Not Found") : message(403, "Forbidden"));
                return;
            }
            path = path.mid(stage.size());
            if (path.isEmpty())
                path = "/";
            stagePrefix = addressed->stage.isEmpty() ? QString() : u'/' + addressed->stage;
        }
    }
    const QStringList segments = pathSegments(path);
    const bool rest = addressed ? !addressed->http : restOnly;

    // A CORS preflight is the API's own answer when it has a CORS configuration.
    if (request.method == "OPTIONS" && request.headers.contains("access-control-request-method")) {
        const auto target = table->match(request.header("access-control-request-method"), segments);
        const ApiDefinition *api = target ? target->api : addressed;
        if (api) {
            if (auto answer = preflight(*api, request)) {
                answer->operation = QStringLiteral("preflight");
                send(std::move(*answer));
                return;
            }
        }
    }

    const auto match = table->match(request.method, segments);
    if (!match) {
        send(noRoute(rest));
        return;
    }
    if (!m_state->deliveries) {
        send(integrationFailed(*match->api));
        return;
    }

    auto call = std::make_shared<Call>();
    call->responder = responder;
    call->apis = snapshot;
    call->match = *match;
    call->headers = request.headers;
    call->origin = request.header("origin");
    call->accept = request.header("accept");
    call->traceId = request.traceId;
    call->spanId = request.spanId;
    call->traceHeader = traceHeader;
    ApiRequest &in = call->request;
    in.method = request.method;
    in.path = path;
    in.query = request.query;
    in.headers = &call->headers;
    in.body = request.body.toByteArray();
    in.sourceIp = sourceIp(request.peerAddress());
    in.userAgent = QString::fromUtf8(request.header("user-agent"));
    in.requestId = requestId;
    in.timeMs = m_clock->nowMs();
    in.domainName = host.isEmpty() ? QStringLiteral("localhost") : host;
    in.stagePrefix = stagePrefix;
    in.accountId = m_state->accountId;
    in.added = {{"X-Forwarded-For", in.sourceIp.toUtf8()},
        {"X-Forwarded-Port", QByteArray::number(request.localPort)}, {"X-Forwarded-Proto", "http"},
        {"X-Amzn-Trace-Id", traceHeader}};

    // API keys (REST APIs): the x-api-key header must be one of the stack's keys.
    const bool keyRequired
        = match->route->apiKeyRequired || (!match->api->http && match->api->apiKeyRequired);
    if (keyRequired && !match->api->http) {
        const QString key = QString::fromUtf8(request.header("x-api-key"));
        if (key.isEmpty() || !snapshot->apiKeys.contains(key)) {
            call->spanAttributes.append(
                {QStringLiteral("aws.apigateway.api_key"), QStringLiteral("refused")});
            finish(*call, message(403, "Forbidden"));
            return;
        }
    }
    if (const ApiAuthorizer *authorizer = match->api->authorizerFor(*match->route))
        m_state->authorize(call, *authorizer);
    else
        m_state->integrate(call);
}

} // namespace tarmac
