#include "services/apigateway/apigatewaymodule.h"

#include "base/clock.h"
#include "http/httpmessage.h"
#include "services/apigateway/apievents.h"
#include "services/apigateway/apigatewayport.h"
#include "services/apigateway/apigatewayresources.h"
#include "services/apigateway/apimanagement.h"

#include <QElapsedTimer>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QUrl>

namespace tarmac {

ApiGatewayModule::ApiGatewayModule(QObject *parent)
    : ServiceModule(parent)
{ }
ApiGatewayModule::~ApiGatewayModule() = default;

QList<ServicePort> ApiGatewayModule::ports(const EngineContext &context)
{
    if (!m_port)
        m_port = std::make_unique<ApiGatewayPort>(context.tracer, context.clock);
    return {ServicePort {QStringLiteral("api"), QStringLiteral("API"), 3000, m_port.get()}};
}

HttpHandler *ApiGatewayModule::edgeHandler()
{
    if (!m_managed)
        m_managed = std::make_unique<ManagedApis>();
    if (!m_management)
        m_management = std::make_unique<ApiManagementHandler>(m_managed.get());
    return m_management.get();
}

Result<void> ApiGatewayModule::start(const EngineContext &context)
{
    edgeHandler();
    if (auto r = m_managed->open(context.store, context.clock, context.region); !r)
        return r;
    m_managed->changed = [this] { publish(); };
    m_region = context.region;
    m_portUrl = context.portUrls.value(QStringLiteral("api"));
    if (m_port)
        m_port->start(context.deliveries, this, context.region, context.accountId, context.edgeUrl);
    publish(); // the APIs made through the management API before
    return {};
}

Result<void> ApiGatewayModule::reloadState()
{
    if (!m_managed)
        return {};
    // Only the management API's APIs are rows. The template's APIs, stages, keys and parts
    // stay: the engine applies the template again after a reset, and putResource() replaces
    // them one by one.
    if (auto r = m_managed->reload(); !r)
        return r;
    publish(); // a new snapshot for the port, and the authorizers' answers forgotten
    return {};
}

QList<const ResourceType *> ApiGatewayModule::resourceTypes() const
{
    return apigatewayresources::resourceTypes();
}

QList<const FunctionEventType *> ApiGatewayModule::functionEventTypes() const
{
    return apigatewayresources::functionEventTypes();
}

Result<void> ApiGatewayModule::putResource(
    const StackResource &resource, const StackResource *previous)
{
    QMutexLocker lock(&m_lock);
    if (auto key = apigatewayresources::apiKeyOf(resource)) {
        if (key->second.isEmpty()) {
            m_apiKeys.remove(key->first);
        } else {
            if (!resource.properties.contains("Value")
                && m_apiKeys.value(key->first) != key->second)
                qInfo("tarmac: apigateway: API key %s is %s (send it as x-api-key)",
                    qPrintable(key->first), qPrintable(key->second));
            m_apiKeys.insert(key->first, key->second);
        }
        publish();
        return {};
    }
    if (auto part = apigatewayresources::partOf(resource)) {
        if (!part->unsupported.isEmpty())
            qWarning("tarmac: apigateway: %s", qPrintable(part->unsupported));
        m_parts.insert(resource.logicalId, *part);
        publish();
        return {};
    }
    if (auto stage = apigatewayresources::stageOf(resource)) {
        m_stageResources.insert(resource.logicalId, stage->apiId);
        m_stages.insert(stage->apiId, Stage {stage->name, stage->variables});
        publish();
        return {};
    }
    if (!apigatewayresources::isApiType(resource.type))
        return {}; // a deployment without a stage: nothing to serve
    auto api = apigatewayresources::definitionOf(resource);
    if (!api)
        return api.error();
    const QString replaced = previous ? previous->physicalId : resource.physicalId;
    m_apis.removeIf([&](const ApiDefinition &a) { return a.id == replaced || a.id == api->id; });
    m_apis.append(*api);
    publish();
    return {};
}

Result<QString> ApiGatewayModule::deleteResource(const StackResource &resource)
{
    QMutexLocker lock(&m_lock);
    if (m_apiKeys.remove(resource.logicalId) > 0 || m_parts.remove(resource.logicalId) > 0) {
        // a key or a part of an API
    } else if (m_stageResources.contains(resource.logicalId)) {
        m_stages.remove(m_stageResources.take(resource.logicalId));
    } else {
        m_apis.removeIf([&](const ApiDefinition &a) { return a.id == resource.physicalId; });
        m_stages.remove(resource.physicalId);
    }
    publish();
    return QStringLiteral("removed");
}

// A JWT authorizer's keys at an http(s) URL: fetched once (the engine's thread), then the
// APIs are published again with them.
void ApiGatewayModule::fetchKeys(const QString &url)
{
    QMutexLocker lock(&m_lock);
    if (m_jwks.contains(url) || m_fetching.contains(url))
        return;
    if (!m_network)
        m_network = new QNetworkAccessManager(this);
    m_fetching.insert(url);
    QNetworkRequest request {QUrl(url)};
    request.setTransferTimeout(10'000);
    QNetworkReply *reply = m_network->get(request);
    connect(reply, &QNetworkReply::finished, this, [this, reply, url] {
        reply->deleteLater();
        m_fetching.remove(url);
        auto keys = parseJson(reply->readAll());
        if (reply->error() != QNetworkReply::NoError || !keys || !keys->is_object()
            || !keys->contains("keys")) {
            qWarning("tarmac: apigateway: cannot read JWT keys from %s: %s", qPrintable(url),
                qPrintable(reply->error() != QNetworkReply::NoError
                        ? reply->errorString()
                        : QStringLiteral("not a JWKS document")));
            return;
        }
        QMutexLocker lock(&m_lock);
        m_jwks.insert(url, std::make_shared<const Json>(*keys));
        publish();
    });
}

void ApiGatewayModule::publish()
{
    QMutexLocker lock(&m_lock);
    QList<std::shared_ptr<const ApiDefinition>> apis;
    QList<ApiDefinition> all = m_apis;
    if (m_managed)
        all += m_managed->definitions();
    const QList<apigatewayresources::ApiPart> parts(m_parts.cbegin(), m_parts.cend());
    for (const ApiDefinition &a : std::as_const(all)) {
        auto served = std::make_shared<ApiDefinition>(a);
        served->routes += apigatewayresources::assembleRoutes(
            a.id, apigatewayresources::rootResourceId(a.id), parts);
        served->authorizers += apigatewayresources::assembleAuthorizers(a.id, parts);
        for (ApiAuthorizer &authorizer : served->authorizers) {
            if (authorizer.kind != ApiAuthorizer::Kind::Jwt || authorizer.keys
                || !authorizer.jwks.startsWith(QLatin1String("http")))
                continue;
            authorizer.keys = m_jwks.value(authorizer.jwks);
            if (!authorizer.keys) // on the engine's thread, whichever thread publishes
                QMetaObject::invokeMethod(
                    this, [this, url = authorizer.jwks] { fetchKeys(url); }, Qt::QueuedConnection);
        }
        const auto stage = m_stages.constFind(a.id);
        if (stage != m_stages.cend()) {
            served->stage = stage->name;
            for (auto it = stage->variables.cbegin(); it != stage->variables.cend(); ++it)
                served->stageVariables.insert(it.key(), it.value());
        }
        apis.append(std::move(served));
    }
    auto snapshot
        = ApiSnapshot::make(std::move(apis), QSet<QString>(m_apiKeys.cbegin(), m_apiKeys.cend()));
    for (const QString &c : snapshot->conflicts) {
        if (!m_conflicts.contains(c)) {
            qWarning("tarmac: apigateway: %s", qPrintable(c));
            m_conflicts.append(c);
        }
    }
    if (m_port) {
        m_port->setApis(std::move(snapshot));
        m_port->clearAuthorizerCache(); // an authorizer may be another function now
    }
}

QString ApiGatewayModule::apiUrl(const ApiDefinition &api) const
{
    QString url
        = m_portUrl.isValid() ? m_portUrl.toString() : QStringLiteral("http://127.0.0.1:3000");
    url += QStringLiteral("/_aws/execute-api/") + api.id + u'/';
    if (api.stage != QLatin1String("$default"))
        url += api.stage + u'/';
    return url;
}

QString ApiGatewayModule::localUrl(const QString &value) const
{
    static const QRegularExpression aws(QStringLiteral(
        R"(^https://([a-z0-9]{10})\.execute-api\.[a-z0-9-]+\.amazonaws\.com(/.*)?$)"));
    const QRegularExpressionMatch m = aws.match(value);
    if (!m.hasMatch() || !m_portUrl.isValid())
        return {};
    return m_portUrl.toString(QUrl::StripTrailingSlash) + QStringLiteral("/_aws/execute-api/")
        + m.captured(1) + m.captured(2);
}

QList<CatalogKind> ApiGatewayModule::catalogKinds() const
{
    return {{QStringLiteral("api"), QStringLiteral("APIs"),
                QStringLiteral("Add an Api or HttpApi event to a function in template.yaml")},
        {QStringLiteral("route"), QStringLiteral("Routes"),
            QStringLiteral("Add an Api or HttpApi event to a function in template.yaml")}};
}

namespace {

QString apiName(const ApiDefinition &api)
{
    return api.logicalId.isEmpty() ? api.name : api.logicalId;
}

// A route's name in the catalog: its key first, so that a narrow panel keeps what matters.
// What a route calls: "Fn:live (payload 2.0)", "states:StartExecution", "Fn (Lambda custom)".
QString integrationText(const ApiRoute &r)
{
    const QString function = r.function + (r.qualifier.isEmpty() ? QString() : u':' + r.qualifier);
    if (r.service && r.service->service == u"lambda")
        return function + QStringLiteral(" (Lambda custom integration)");
    if (r.service)
        return r.service->service + u':' + r.service->action;
    return function
        + (r.payloadVersion == 2 ? QStringLiteral(" (payload 2.0)")
                                 : QStringLiteral(" (payload 1.0)"));
}

QString routeName(const ApiDefinition &api, const ApiRoute &route)
{
    return route.routeKey() + QStringLiteral(" · ") + apiName(api);
}

// A request path for a route: its parameters filled in ("/items/{id}" → "/items/example").
QString samplePath(const ApiRoute &route)
{
    if (route.path == QLatin1String("$default"))
        return QStringLiteral("/");
    QStringList parts = route.path.split(u'/');
    for (QString &p : parts) {
        if (p.startsWith(u'{') && p.endsWith(u'}'))
            p = QStringLiteral("example");
    }
    return parts.join(u'/');
}

} // namespace

Result<QString> ApiGatewayModule::runAction(
    const QString &kind, const QString &name, const QString &action)
{
    return runActionWith(kind, name, action, {});
}

// "send request": the route's method, its path with examples for its parameters, no body;
// or what its fields say.
Result<QString> ApiGatewayModule::runActionWith(const QString &kind, const QString &name,
    const QString &action, const QMap<QString, QString> &fields)
{
    if (kind != QLatin1String("route") || action != QLatin1String("send request"))
        return ServiceModule::runActionWith(kind, name, action, fields);
    const auto snapshot = m_port ? m_port->apis() : ApiSnapshot::make({});
    for (const auto &api : snapshot->apis) {
        for (const ApiRoute &route : api->routes) {
            if (routeName(*api, route) != name)
                continue;
            const QString path = fields.value(QStringLiteral("path")).trimmed();
            if (!path.isEmpty() && !path.startsWith(u'/'))
                return makeError(QStringLiteral("BadRequestException"),
                    QStringLiteral("the path starts with /, as %1 does").arg(samplePath(route)));
            QString url = apiUrl(*api);
            url.chop(1);
            url += path.isEmpty() ? samplePath(route) : path;
            const QString given = fields.value(QStringLiteral("method")).trimmed();
            const QByteArray method = !given.isEmpty() ? given.toLatin1()
                : route.method == QLatin1String("ANY") ? QByteArray("GET")
                                                       : route.method.toLatin1();
            if (!m_network)
                m_network = new QNetworkAccessManager(this);
            QNetworkRequest request {QUrl(url)};
            request.setTransferTimeout(60'000);
            const QByteArray body = fields.value(QStringLiteral("body")).toUtf8();
            const QString type = fields.value(QStringLiteral("contentType")).trimmed();
            if (!type.isEmpty() && !body.isEmpty())
                request.setHeader(QNetworkRequest::ContentTypeHeader, type);
            QNetworkReply *reply = body.isEmpty()
                ? m_network->sendCustomRequest(request, method)
                : m_network->sendCustomRequest(request, method, body);
            QElapsedTimer timer;
            timer.start();
            connect(reply, &QNetworkReply::finished, this, [reply, timer, method, url] {
                reply->deleteLater();
                qInfo("tarmac: apigateway: %s %s answered %d in %.1f ms: %s", method.constData(),
                    qPrintable(url),
                    reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
                    double(timer.nsecsElapsed()) / 1e6,
                    reply->readAll().left(200).replace('\n', ' ').constData());
            });
            return QStringLiteral("sent %1 %2: the answer is on the timeline and in the log")
                .arg(QString::fromLatin1(method), url);
        }
    }
    return makeError(
        QStringLiteral("NotFoundException"), QStringLiteral("no route %1").arg(name), 404);
}

QList<CatalogEntry> ApiGatewayModule::catalog() const
{
    QList<CatalogEntry> out;
    const auto snapshot = m_port ? m_port->apis() : ApiSnapshot::make({});
    for (const auto &api : snapshot->apis) {
        CatalogEntry e;
        e.kind = QStringLiteral("api");
        e.name = api->logicalId.isEmpty() ? api->name : api->logicalId;
        e.physicalId = api->id;
        e.arn = QStringLiteral("arn:aws:apigateway:%1::/%2/%3")
                    .arg(m_region, api->http ? QStringLiteral("apis") : QStringLiteral("restapis"),
                        api->id);
        const qsizetype n = api->routes.size();
        e.counts.insert(QStringLiteral("routes"), n);
        e.status = QStringLiteral("%1 %2 · %3")
                       .arg(n)
                       .arg(n == 1 ? QStringLiteral("route") : QStringLiteral("routes"),
                           api->http ? QStringLiteral("HTTP API") : QStringLiteral("REST API"));
        e.properties.append({QStringLiteral("Id"), api->id});
        e.properties.append({QStringLiteral("Stage"), api->stage});
        e.properties.append({QStringLiteral("URL"), apiUrl(*api)});
        for (const ApiRoute &r : api->routes)
            e.properties.append({r.routeKey(), integrationText(r)});
        e.tooltip = apiUrl(*api);
        QStringList warnings = api->unsupported;
        for (const QString &c : snapshot->conflicts) {
            if (c.contains(u' ' + e.name + u' '))
                warnings.append(c);
        }
        e.warning = warnings.join(u'\n');
        out.append(e);
        for (const ApiRoute &r : api->routes) {
            CatalogEntry route;
            route.kind = QStringLiteral("route");
            route.name = routeName(*api, r);
            route.arn = e.arn + QStringLiteral("/routes/") + r.routeKey();
            const QString target = r.functionLogicalId.isEmpty() ? r.function : r.functionLogicalId;
            route.status = r.service
                ? QStringLiteral("→ %1 · %2:%3")
                      .arg(target.isEmpty() ? r.service->service : target, r.service->service,
                          r.service->action)
                : QStringLiteral("→ %1 · payload %2")
                      .arg(target,
                          r.payloadVersion == 2 ? QStringLiteral("2.0") : QStringLiteral("1.0"));
            route.tooltip = apiUrl(*api).chopped(1) + samplePath(r);
            route.properties = {{QStringLiteral("API"), apiName(*api)},
                {QStringLiteral("Integration"), integrationText(r)},
                {QStringLiteral("Defined by"), r.origin}};
            if (const ApiAuthorizer *a = api->authorizerFor(r))
                route.properties.append({QStringLiteral("Authorizer"), a->name});
            route.actions = {QStringLiteral("send request")};
            const QStringList methods = r.method == QLatin1String("ANY")
                ? QStringList {QStringLiteral("GET"), QStringLiteral("POST"), QStringLiteral("PUT"),
                    QStringLiteral("PATCH"), QStringLiteral("DELETE"), QStringLiteral("HEAD"),
                    QStringLiteral("OPTIONS")}
                : QStringList {r.method};
            route.actionFields.insert(QStringLiteral("send request"),
                {{QStringLiteral("method"), QStringLiteral("Method"), QString(), methods},
                    {QStringLiteral("path"), QStringLiteral("Path"), samplePath(r), {},
                        samplePath(r)},
                    {QStringLiteral("contentType"), QStringLiteral("Content type"),
                        QStringLiteral("application/json"), {}, QStringLiteral("application/json")},
                    {QStringLiteral("body"), QStringLiteral("Body"), QStringLiteral("{}"), {},
                        QString(), true}});
            out.append(route);
        }
    }
    return out;
}

QList<SampleEvent> ApiGatewayModule::sampleEvents() const
{
    const QList<std::pair<QString, QString>> options = {
        {QStringLiteral("method"), QStringLiteral("The HTTP method (GET).")},
        {QStringLiteral("path"),
            QStringLiteral("The request path, with a query string if any (/hello).")},
        {QStringLiteral("body"), QStringLiteral("The request body (none).")},
        {QStringLiteral("resource"),
            QStringLiteral(
                "The route's path template (the path: /items/{id} names the parameter).")},
        {QStringLiteral("stage"),
            QStringLiteral("The stage (Prod for REST, $default for HTTP APIs).")},
    };
    const auto generator = [](bool http) {
        return [http](const QMap<QString, QString> &o) -> Result<QByteArray> {
            const QString target = o.value(QStringLiteral("path"), QStringLiteral("/hello"));
            if (!target.startsWith(u'/'))
                return makeError(QStringLiteral("Usage"), QStringLiteral("--path starts with /"));
            const qsizetype q = target.indexOf(u'?');
            ApiDefinition api;
            api.id = QStringLiteral("1234567890");
            api.http = http;
            api.stage = o.value(QStringLiteral("stage"),
                http ? QStringLiteral("$default") : QStringLiteral("Prod"));
            ApiRoute route;
            route.method = o.value(QStringLiteral("method"), QStringLiteral("GET")).toUpper();
            route.path = o.value(QStringLiteral("resource"), q < 0 ? target : target.left(q));
            route.payloadVersion = http ? 2 : 1;
            api.routes.append(route);
            RouteTable table;
            table.add(api);
            ApiRequest r;
            r.method = route.method.toLatin1();
            r.path = (q < 0 ? target : target.left(q)).toUtf8();
            r.query = q < 0 ? QByteArray() : target.mid(q + 1).toUtf8();
            HttpHeaders headers;
            headers.add("Host", "1234567890.execute-api.us-east-1.amazonaws.com");
            headers.add("User-Agent", "curl/8.0");
            headers.add("Accept", "*/*");
            r.body = o.value(QStringLiteral("body")).toUtf8();
            if (!r.body.isEmpty())
                headers.add("Content-Type", "application/json");
            r.headers = &headers;
            r.sourceIp = QStringLiteral("192.0.2.1");
            r.userAgent = QStringLiteral("curl/8.0");
            r.requestId = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef";
            r.timeMs = SystemClock().nowMs();
            r.domainName = QStringLiteral("1234567890.execute-api.us-east-1.amazonaws.com");
            r.added = {{"X-Forwarded-For", "192.0.2.1"}, {"X-Forwarded-Port", "443"},
                {"X-Forwarded-Proto", "https"}};
            const auto match = table.match(r.method, pathSegments(r.path));
            if (!match)
                return makeError(QStringLiteral("Usage"),
                    QStringLiteral("--resource %1 does not match --path %2")
                        .arg(route.path, QString::fromUtf8(r.path)));
            return http ? buildEventV2(*match, r) : buildEventV1(*match, r);
        };
    };
    return {
        {QStringLiteral("apigateway-v1"),
            QStringLiteral("a REST API request (Lambda proxy, payload format 1.0)"), options,
            generator(false)},
        {QStringLiteral("apigateway-v2"),
            QStringLiteral("an HTTP API request (payload format 2.0)"), options, generator(true)},
    };
}

} // namespace tarmac
