#include "services/apigateway/apigatewayresources.h"

#include "services/apigateway/apiopenapi.h"
#include "template/templatedocument.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace tarmac::apigatewayresources {

namespace {

constexpr Support E = Support::Emulated;
constexpr Support I = Support::Ignored;
constexpr Support U = Support::Unsupported;

const char kNoLogs[] = "requests are on Tarmac's timeline and in its log instead";
const char kNoTags[] = "tags are kept by nobody locally";
const char kOneEndpoint[] = "served on the API port";

const char kRestApi[] = "AWS::ApiGateway::RestApi";
const char kRestStage[] = "AWS::ApiGateway::Stage";
const char kRestDeployment[] = "AWS::ApiGateway::Deployment";
const char kHttpApi[] = "AWS::ApiGatewayV2::Api";
const char kHttpStage[] = "AWS::ApiGatewayV2::Stage";
const char kSamApi[] = "AWS::Serverless::Api";
const char kSamHttpApi[] = "AWS::Serverless::HttpApi";
const char kSamStateMachine[] = "AWS::Serverless::StateMachine";
const char kApiKey[] = "AWS::ApiGateway::ApiKey";
const char kRestResource[] = "AWS::ApiGateway::Resource";
const char kRestMethod[] = "AWS::ApiGateway::Method";
const char kRestAuthorizer[] = "AWS::ApiGateway::Authorizer";
const char kHttpAuthorizer[] = "AWS::ApiGatewayV2::Authorizer";
const char kHttpIntegration[] = "AWS::ApiGatewayV2::Integration";
const char kHttpRoute[] = "AWS::ApiGatewayV2::Route";

QMap<QString, QString> stringMap(const Json &v)
{
    QMap<QString, QString> out;
    if (!v.is_object())
        return out;
    for (auto it = v.begin(); it != v.end(); ++it) {
        QString value;
        if (it.value().is_string())
            value = jsonText(it.value());
        else if (it.value().is_number() || it.value().is_boolean())
            value = QString::fromStdString(it.value().dump());
        else
            continue;
        out.insert(QString::fromStdString(it.key()), value);
    }
    return out;
}

// Where a JWT authorizer's keys are (API Gateway finds them through the issuer; a local
// issuer has none to find): the resource's Metadata, `Tarmac: {Jwks: {Name: FILE-OR-URL}}`
// or one `Jwks: FILE-OR-URL` for all; else {issuer}/.well-known/jwks.json.
QString jwksLocation(
    const StackResource &resource, const QString &authorizer, const QString &issuer)
{
    const Json &m = resource.metadata;
    QString named;
    if (m.is_object() && m.contains("Tarmac") && m["Tarmac"].is_object()) {
        const Json jwks = m["Tarmac"].value("Jwks", Json());
        named = jwks.is_object() ? jsonText(jwks.value(authorizer.toStdString(), Json()))
                                 : jsonText(jwks);
    }
    if (named.isEmpty() && issuer.startsWith(QLatin1String("http")))
        return issuer + QStringLiteral("/.well-known/jwks.json");
    return named;
}

// An authorizer's result TTL in seconds from `key` of `object`, 0 to 3600 (`fallback` when
// it is not there).
int ttlSeconds(const Json &object, const char *key, qint64 fallback)
{
    qint64 ttl = fallback;
    if (object.is_object() && object.contains(key))
        wholeNumber(object[key], &ttl);
    return int(qBound(qint64(0), ttl, qint64(3600)));
}

// SAM's Auth: {DefaultAuthorizer, ApiKeyRequired, Authorizers: {Name: {FunctionArn,
// FunctionPayloadType, Identity} (REST); {FunctionArn, AuthorizerPayloadFormatVersion,
// EnableSimpleResponses, Identity} or {JwtConfiguration, IdentitySource} (HTTP APIs)}}.
Result<void> readAuth(const Json &auth, ApiDefinition &api)
{
    if (!auth.is_object())
        return {};
    api.defaultAuthorizer = jsonText(auth.value("DefaultAuthorizer", Json()));
    api.apiKeyRequired = auth.value("ApiKeyRequired", Json(false)) == Json(true);
    const Json authorizers = auth.value("Authorizers", Json::object());
    if (!authorizers.is_object())
        return makeError(QStringLiteral("InvalidResourceException"),
            QStringLiteral("Auth.Authorizers must be a map of authorizers"));
    for (auto it = authorizers.begin(); it != authorizers.end(); ++it) {
        const Json &a = it.value();
        ApiAuthorizer out;
        out.name = QString::fromStdString(it.key());
        if (!a.is_object())
            return makeError(QStringLiteral("InvalidResourceException"),
                QStringLiteral("Authorizer %1 must be a map").arg(out.name));
        const Json identity = a.value("Identity", Json::object());
        const auto sources = [&](const char *key, const char *prefix) {
            for (const QString &name :
                jsonStrings(identity.is_object() ? identity.value(key, Json()) : Json()))
                out.identitySources.append(QLatin1String(prefix) + name);
        };
        if (a.contains("JwtConfiguration")) {
            if (!api.http)
                return makeError(QStringLiteral("InvalidResourceException"),
                    QStringLiteral("Authorizer %1: JWT authorizers are for HTTP APIs")
                        .arg(out.name));
            const Json &jwt = a["JwtConfiguration"];
            out.kind = ApiAuthorizer::Kind::Jwt;
            out.issuer = jsonText(jwt.is_object() ? jwt.value("issuer", Json()) : Json());
            out.audience = jsonStrings(jwt.is_object() ? jwt.value("audience", Json()) : Json());
            out.identitySources
                = jsonStrings(a.value("IdentitySource", Json("$request.header.Authorization")));
            out.ttlSeconds = 0;

        } else if (a.contains("FunctionArn")) {
            out.function = integrationFunction(jsonText(a["FunctionArn"]), &out.qualifier);
            if (out.function.isEmpty())
                return makeError(QStringLiteral("InvalidResourceException"),
                    QStringLiteral("Authorizer %1: FunctionArn names no function").arg(out.name));
            out.ttlSeconds = ttlSeconds(identity, "ReauthorizeEvery", 300);
            if (api.http) {
                out.kind = ApiAuthorizer::Kind::Request;
                out.payloadVersion = jsonText(a.value("AuthorizerPayloadFormatVersion", Json()))
                        == QLatin1String("1.0")
                    ? 1
                    : 2;
                out.simpleResponses = a.value("EnableSimpleResponses", Json(false)) == Json(true);
                sources("Headers", "$request.header.");
                sources("QueryStrings", "$request.querystring.");
                sources("StageVariables", "$stageVariables.");
                sources("Context", "$context.");
            } else if (jsonText(a.value("FunctionPayloadType", Json("TOKEN")))
                == QLatin1String("REQUEST")) {
                out.kind = ApiAuthorizer::Kind::Request;
                sources("Headers", "method.request.header.");
                sources("QueryStrings", "method.request.querystring.");
                sources("StageVariables", "stageVariables.");
                sources("Context", "context.");
            } else {
                out.kind = ApiAuthorizer::Kind::Token;
                const QString header
                    = identity.is_object() ? jsonText(identity.value("Header", Json())) : QString();
                out.identitySources = {QStringLiteral("method.request.header.")
                    + (header.isEmpty() ? QStringLiteral("Authorization") : header)};
                out.validationExpression = identity.is_object()
                    ? jsonText(identity.value("ValidationExpression", Json()))
                    : QString();
            }
        } else {
            api.unsupported.append(
                QStringLiteral("authorizer %1: only Lambda%2 authorizers are run")
                    .arg(out.name, api.http ? QStringLiteral(" and JWT") : QString()));
            continue;
        }
        api.authorizers.append(out);
    }
    return {};
}

// SAM writes binary media types with "~1" for "/" ("image~1png").
QStringList mediaTypes(const Json &v)
{
    QStringList out;
    if (!v.is_array())
        return out;
    for (const Json &t : v) {
        if (t.is_string())
            out.append(jsonText(t).replace(QLatin1String("~1"), QLatin1String("/")));
    }
    return out;
}

// SAM's Cors for a REST API: "'*'" (the origin), or {AllowOrigin, AllowMethods,
// AllowHeaders, MaxAge, AllowCredentials}, each value quoted as a header value is in
// API Gateway's mappings ("'GET,POST'").
std::optional<ApiCors> restCors(const Json &v)
{
    const auto unquote = [](QString s) {
        s = s.trimmed();
        if (s.size() >= 2 && s.startsWith(u'\'') && s.endsWith(u'\''))
            s = s.mid(1, s.size() - 2);
        return s;
    };
    const auto list = [&](const Json &j) {
        QStringList out;
        for (const QString &s : unquote(jsonText(j)).split(u',', Qt::SkipEmptyParts))
            out.append(s.trimmed());
        return out;
    };
    if (v.is_string()) {
        ApiCors c;
        c.allowOrigins = {unquote(jsonText(v))};
        return c;
    }
    if (!v.is_object())
        return std::nullopt;
    ApiCors c;
    c.allowOrigins = list(v.value("AllowOrigin", Json()));
    c.allowMethods = list(v.value("AllowMethods", Json()));
    c.allowHeaders = list(v.value("AllowHeaders", Json()));
    const QString age = unquote(jsonText(v.value("MaxAge", Json())));
    if (!age.isEmpty())
        c.maxAge = age.toInt();
    c.allowCredentials = v.value("AllowCredentials", Json(false)) == Json(true);
    return c;
}

ResourceIdentity apiIdentity(const QString &logicalId, const StackNaming &n, bool http)
{
    ResourceIdentity id;
    const auto str = [](const QString &s) { return Json(s.toStdString()); };
    // Ten lower-case characters, the same from one start to the next.
    id.physicalId = stableSuffix(n.stackName + u'/' + logicalId, 10, true);
    if (http) {
        id.attributes.insert(QStringLiteral("ApiEndpoint"),
            str(QStringLiteral("https://%1.execute-api.%2.amazonaws.com")
                    .arg(id.physicalId, n.region)));
        id.attributes.insert(QStringLiteral("ApiId"), str(id.physicalId));
    } else {
        id.attributes.insert(QStringLiteral("RootResourceId"), str(rootResourceId(id.physicalId)));
    }
    id.ref = str(id.physicalId);
    return id;
}

class ApiType : public ResourceType
{
public:
    ApiType(ResourceTypeInfo info, bool http, const char *definitionProperty)
        : m_info(std::move(info))
        , m_http(http)
        , m_definition(definitionProperty)
    { }
    const ResourceTypeInfo &info() const override { return m_info; }
    ResourceIdentity identity(
        const QString &logicalId, const Json &, const StackNaming &n) const override
    {
        return apiIdentity(logicalId, n, m_http);
    }

    // The definition document (a DefinitionUri file read here, relative to the template) is
    // imported now, so that a mistake in it is an error at load, with its position.
    Result<Json> check(const StackResource &resource, ResourceCheck &check) const override
    {
        const Json &p = resource.properties;
        Json document;
        if (p.contains(m_definition))
            document = p[m_definition];
        if (p.contains("DefinitionUri")) {
            const Json &uri = p["DefinitionUri"];
            const QString path = jsonText(uri);
            if (path.isEmpty() || path.startsWith(QLatin1String("s3://")) || uri.is_object()) {
                check.unsupported(QStringLiteral("DefinitionUri"),
                    {QStringLiteral("DefinitionUri")},
                    QStringLiteral("only a local file is read (an S3 location is not)"));
            } else {
                const QString file = check.localPath(path);
                QFile f(file);
                if (!f.open(QIODevice::ReadOnly))
                    return check.error({QStringLiteral("DefinitionUri")},
                        QStringLiteral("cannot read %1").arg(file));
                auto parsed = TemplateDocument::parse(f.readAll(), QFileInfo(file).fileName());
                if (!parsed)
                    return check.error({QStringLiteral("DefinitionUri")}, parsed.error().message);
                document = parsed->root();
            }
        }
        if (!document.is_null()) {
            auto imported = importOpenApi(document, m_http);
            if (!imported)
                return check.error({p.contains(m_definition) ? QString::fromLatin1(m_definition)
                                                             : QStringLiteral("DefinitionUri")},
                    imported.error().message);
            for (const QString &u : std::as_const(imported->unsupported))
                check.unsupported(u, {QString::fromLatin1(m_definition)},
                    QStringLiteral("not served locally"), true);
        }
        Json details = document.is_null() ? Json() : Json {{"definition", document}};
        StackResource served = resource;
        served.details = details;
        auto api = definitionOf(served);
        if (!api)
            return check.error({}, api.error().message);
        // JWT authorizers' keys in local files are read now, relative to the template.
        for (const ApiAuthorizer &a : std::as_const(api->authorizers)) {
            if (a.kind != ApiAuthorizer::Kind::Jwt || a.jwks.isEmpty()
                || a.jwks.startsWith(QLatin1String("http")))
                continue;
            const QString path
                = a.jwks.startsWith(QLatin1String("file://")) ? a.jwks.mid(7) : a.jwks;
            QFile f(check.localPath(path));
            auto keys = f.open(QIODevice::ReadOnly)
                ? parseJson(f.readAll())
                : Result<Json>(Error {QStringLiteral("NotFound"), {}});
            if (!keys || !keys->is_object() || !keys->contains("keys"))
                return check.error({QStringLiteral("Auth")},
                    QStringLiteral("the JWKS file %1 of authorizer %2 is not a JWKS document")
                        .arg(f.fileName(), a.name));
            if (!details.is_object())
                details = Json::object();
            details["jwks"][a.name.toStdString()] = *keys;
        }
        return details;
    }

private:
    ResourceTypeInfo m_info;
    bool m_http;
    const char *m_definition;
};

class StageType : public ResourceType
{
public:
    explicit StageType(ResourceTypeInfo info)
        : m_info(std::move(info))
    { }
    const ResourceTypeInfo &info() const override { return m_info; }
    ResourceIdentity identity(
        const QString &, const Json &properties, const StackNaming &) const override
    {
        ResourceIdentity id;
        id.physicalId = stringProperty(properties, "StageName");
        id.ref = Json(id.physicalId.toStdString());
        return id;
    }

private:
    ResourceTypeInfo m_info;
};

// An id of `length` characters derived from the stack and logical id, as Ref gives it and
// under `attribute` (DeploymentId, APIKeyId).
ResourceIdentity stableId(
    const QString &logicalId, const StackNaming &n, int length, const char *attribute)
{
    ResourceIdentity id;
    id.physicalId = stableSuffix(n.stackName + u'/' + logicalId, length, true);
    id.attributes.insert(QLatin1String(attribute), Json(id.physicalId.toStdString()));
    id.ref = Json(id.physicalId.toStdString());
    return id;
}

// A type whose Ref is an id derived from the stack and logical id, also given under one
// attribute: the parts a REST API or HTTP API is assembled from in plain CloudFormation
// (resources, methods, integrations, routes; the module adds their routes to the API they
// name), deployments and API keys.
class StableIdType : public ResourceType
{
public:
    StableIdType(ResourceTypeInfo info, int idLength, const char *attribute)
        : m_info(std::move(info))
        , m_length(idLength)
        , m_attribute(attribute)
    { }
    const ResourceTypeInfo &info() const override { return m_info; }
    ResourceIdentity identity(
        const QString &logicalId, const Json &, const StackNaming &n) const override
    {
        return stableId(logicalId, n, m_length, m_attribute);
    }

private:
    ResourceTypeInfo m_info;
    int m_length;
    const char *m_attribute;
};

// The method and path of a SAM event, as API Gateway spells them.
QString eventMethod(const Json &p)
{
    const QString m = jsonText(p.value("Method", Json())).toUpper();
    return m == QLatin1String("ANY") || m.isEmpty() ? QStringLiteral("ANY") : m;
}

// The logical id an event's RestApiId/ApiId refers to (`!Ref MyApi`), or empty.
QString referencedApi(const Json &p, const char *key)
{
    if (!p.contains(key))
        return {};
    const Json &v = p[key];
    if (v.is_object() && v.contains("Ref") && v["Ref"].is_string())
        return jsonText(v["Ref"]);
    return {};
}

class ApiEventType : public FunctionEventType
{
public:
    explicit ApiEventType(bool http)
        : m_http(http)
    { }
    QString type() const override
    {
        return m_http ? QStringLiteral("HttpApi") : QStringLiteral("Api");
    }

    // A SAM state machine's Api event: a route that starts an execution (REST APIs only, as
    // in SAM).
    bool alsoFor(const QString &resourceType) const override
    {
        return !m_http && resourceType == QLatin1String(kSamStateMachine);
    }

    Result<EventExpansion> expand(const FunctionEvent &e) const override
    {
        const Json &p = e.properties;
        const char *idKey = m_http ? "ApiId" : "RestApiId";
        const bool machine
            = e.typeOf && e.typeOf(e.functionLogicalId) == QLatin1String(kSamStateMachine);
        EventExpansion out;
        Json route = {
            {machine ? "StateMachine" : "Function", {{"Ref", e.functionLogicalId.toStdString()}}},
            {"FunctionLogicalId", e.functionLogicalId.toStdString()},
            {"Origin",
                QStringLiteral("event %1 of %2").arg(e.name, e.functionLogicalId).toStdString()}};
        if (machine && p.contains("UnescapeMappingTemplate"))
            route["UnescapeMappingTemplate"] = p["UnescapeMappingTemplate"];
        if (!m_http || p.contains("Path") || p.contains("Method")) {
            for (const char *key : {"Path", "Method"}) {
                if (!p.contains(key) || !p[key].is_string())
                    return makeError(QStringLiteral("InvalidEvent"),
                        QStringLiteral("%1 Event must have a String specified for '%2'.")
                            .arg(type(), QLatin1String(key)));
            }
            route["Path"] = p["Path"];
            route["Method"] = eventMethod(p).toStdString();
        } else {
            route["Path"] = "$default"; // no Path and Method: the API's default route
            route["Method"] = "ANY";
        }
        route["PayloadFormatVersion"]
            = m_http ? p.value("PayloadFormatVersion", Json("2.0")) : Json("1.0");
        if (m_http && p.contains("TimeoutInMillis"))
            route["TimeoutInMillis"] = p["TimeoutInMillis"];
        if (p.contains("Auth"))
            route["Auth"] = p["Auth"];

        QString api = referencedApi(p, idKey);
        QString stage;
        if (p.contains(idKey) && api.isEmpty())
            return makeError(QStringLiteral("InvalidEvent"),
                QStringLiteral("%1 must be a Ref to an API of the template")
                    .arg(QLatin1String(idKey)));
        if (api.isEmpty()) {
            api = m_http ? QStringLiteral("ServerlessHttpApi")
                         : QStringLiteral("ServerlessRestApi");
            ExpandedResource implicit {api, QLatin1String(m_http ? kSamHttpApi : kSamApi),
                m_http ? Json::object() : Json {{"StageName", "Prod"}}};
            implicit.shared = true;
            out.resources.append(implicit);
            stage = m_http ? QString() : QStringLiteral("Prod");
        } else {
            const QString apiType = e.typeOf ? e.typeOf(api) : QString();
            const bool fits = m_http ? apiType == QLatin1String(kSamHttpApi)
                                     : apiType == QLatin1String(kSamApi);
            if (!fits)
                return makeError(QStringLiteral("InvalidEvent"),
                    QStringLiteral("%1 must name an %2 of the template, not %3")
                        .arg(QLatin1String(idKey), QLatin1String(m_http ? kSamHttpApi : kSamApi),
                            apiType.isEmpty() ? api : apiType));
            if (!m_http && e.propertiesOf)
                stage = jsonText(e.propertiesOf(api).value("StageName", Json()));
        }
        if (machine) // the role API Gateway starts executions with, as SAM makes it
            out.resources.append(
                ExpandedResource {e.functionLogicalId + e.name + QStringLiteral("Role"),
                    QStringLiteral("AWS::IAM::Role"), Json::object()});
        else
            out.resources.append(ExpandedResource {
                e.functionLogicalId + e.name + QStringLiteral("Permission") + stage,
                QStringLiteral("AWS::Lambda::Permission"),
                {{"Action", "lambda:InvokeFunction"},
                    {"FunctionName", {{"Ref", e.functionLogicalId.toStdString()}}},
                    {"Principal", "apigateway.amazonaws.com"}}});
        out.additions.append({api, {QLatin1String(kRoutesProperty)}, route});
        for (auto it = p.begin(); it != p.end(); ++it) {
            const QString key = QString::fromStdString(it.key());
            if (key == QLatin1String("Path") || key == QLatin1String("Method")
                || key == QLatin1String(idKey) || key == QLatin1String("Auth")
                || (machine && key == QLatin1String("UnescapeMappingTemplate"))
                || (m_http
                    && (key == QLatin1String("PayloadFormatVersion")
                        || key == QLatin1String("TimeoutInMillis"))))
                continue;
            out.unsupported.append({key, QStringLiteral("not applied to the route locally")});
        }
        out.cycleHint = machine
            ? QStringLiteral("the API names the state machine (its route), so the state machine "
                             "cannot refer to the API")
            : QStringLiteral(
                "the API names the function (its route), so the function cannot refer to the API");
        return out;
    }

private:
    bool m_http;
};

QList<PropertySupport> samApiProperties(bool http)
{
    QList<PropertySupport> p = {
        {"Name", E, ""},
        {"StageName", E, ""},
        {"DefinitionBody", E, ""},
        {"DefinitionUri", E, ""},
        {kRoutesProperty, E, ""},
        {"Description", I, "not kept"},
        {"Tags", I, kNoTags},
        {"PropagateTags", I, kNoTags},
        {"Auth", E, ""},
        {"Domain", U, "custom domains are not served; the API is on the API port"},
        {"DisableExecuteApiEndpoint", I, kOneEndpoint},
        {"FailOnWarnings", I, "warnings are in the fidelity report"},
    };
    if (http) {
        p += QList<PropertySupport> {{"CorsConfiguration", E, ""}, {"StageVariables", E, ""},
            {"AccessLogSettings", I, kNoLogs}, {"DefaultRouteSettings", I, "no throttling locally"},
            {"RouteSettings", I, "no throttling locally"}};
    } else {
        p += QList<PropertySupport> {{"Cors", E, ""}, {"BinaryMediaTypes", E, ""},
            {"Variables", E, ""}, {"EndpointConfiguration", I, kOneEndpoint},
            {"TracingEnabled", I, "every request is traced"},
            {"OpenApiVersion", I, "the definition is read as written"},
            {"MethodSettings", I, "no throttling or caching locally"},
            {"AccessLogSetting", I, kNoLogs}, {"CacheClusterEnabled", I, "no cache locally"},
            {"CacheClusterSize", I, "no cache locally"}, {"Mode", I, "the definition is the API"},
            {"AlwaysDeploy", I, "there are no deployments"},
            {"GatewayResponses", U, "API Gateway's default responses are given"},
            {"Models", U, "request models are not validated"},
            {"MinimumCompressionSize", U, "responses are not compressed"},
            {"ApiKeySourceType", U, "API keys are not checked yet"}};
    }
    return p;
}

const ApiType g_samApi({kSamApi, E, "", samApiProperties(false), "API"}, false, "DefinitionBody");
const ApiType g_samHttpApi(
    {kSamHttpApi, E, "", samApiProperties(true), "HTTP API"}, true, "DefinitionBody");
const ApiType g_restApi(
    {kRestApi, E, "",
        {{"Name", E, ""}, {"Body", E, ""}, {"BinaryMediaTypes", E, ""},
            {"Description", I, "not kept"}, {"Tags", I, kNoTags},
            {"EndpointConfiguration", I, kOneEndpoint},
            {"DisableExecuteApiEndpoint", I, kOneEndpoint},
            {"FailOnWarnings", I, "warnings are in the fidelity report"},
            {"Parameters", I, "not applied"}, {"Policy", I, "resource policies are not enforced"},
            {"Mode", I, "the definition is the API"},
            {"BodyS3Location", U, "use Body, or DefinitionUri in SAM"},
            {"ApiKeySourceType", U, "API keys are not checked yet"},
            {"MinimumCompressionSize", U, "responses are not compressed"}},
        "API"},
    false, "Body");
const ApiType g_httpApi(
    {kHttpApi, E, "",
        {{"Name", E, ""}, {"ProtocolType", E, ""}, {"Body", E, ""}, {"Target", E, ""},
            {"RouteKey", E, ""}, {"CorsConfiguration", E, ""}, {"Description", I, "not kept"},
            {"Tags", I, kNoTags}, {"DisableExecuteApiEndpoint", I, kOneEndpoint},
            {"FailOnWarnings", I, "warnings are in the fidelity report"},
            {"CredentialsArn", I, "IAM is not enforced"},
            {"BodyS3Location", U, "use Body, or DefinitionUri in SAM"}},
        "HTTP API"},
    true, "Body");
const StageType g_restStage({kRestStage, E, "",
    {{"RestApiId", E, ""}, {"StageName", E, ""}, {"Variables", E, ""}, {"DeploymentId", E, ""},
        {"Description", I, "not kept"}, {"MethodSettings", I, "no throttling or caching locally"},
        {"TracingEnabled", I, "every request is traced"}, {"AccessLogSetting", I, kNoLogs},
        {"CacheClusterEnabled", I, "no cache locally"}, {"Tags", I, kNoTags}},
    "stage"});
const StageType g_httpStage({kHttpStage, E, "",
    {{"ApiId", E, ""}, {"StageName", E, ""}, {"StageVariables", E, ""},
        {"AutoDeploy", I, "the template is the API"},
        {"DeploymentId", I, "there are no deployments"}, {"Description", I, "not kept"},
        {"AccessLogSettings", I, kNoLogs}, {"DefaultRouteSettings", I, "no throttling locally"},
        {"RouteSettings", I, "no throttling locally"}, {"Tags", I, kNoTags}},
    "stage"});
const StableIdType g_deployment(
    {kRestDeployment, E,
        "a REST API is served as its template defines it; there are "
        "no deployments",
        {{"RestApiId", E, ""}, {"StageName", E, ""}, {"Description", I, "not kept"},
            {"StageDescription", I, "not kept"}}},
    6, "DeploymentId");
const StableIdType g_restResource(
    {kRestResource, E, "", {{"RestApiId", E, ""}, {"ParentId", E, ""}, {"PathPart", E, ""}},
        "resource"},
    6, "ResourceId");
const StableIdType g_restMethod(
    {kRestMethod, E, "",
        {{"RestApiId", E, ""}, {"ResourceId", E, ""}, {"HttpMethod", E, ""}, {"Integration", E, ""},
            {"ApiKeyRequired", E, ""}, {"AuthorizationType", E, ""}, {"AuthorizerId", E, ""},
            {"AuthorizationScopes", I, "not checked"},
            {"MethodResponses", I, "Lambda proxy answers for itself"},
            {"RequestParameters", I, "not validated"}, {"RequestModels", I, "not validated"},
            {"RequestValidatorId", I, "not validated"}, {"OperationName", I, "not kept"}},
        "method"},
    6, "MethodId");
const StableIdType g_restAuthorizer(
    {kRestAuthorizer, E, "",
        {{"RestApiId", E, ""}, {"Name", E, ""}, {"Type", E, ""}, {"AuthorizerUri", E, ""},
            {"IdentitySource", E, ""}, {"IdentityValidationExpression", E, ""},
            {"AuthorizerResultTtlInSeconds", E, ""},
            {"AuthorizerCredentials", I, "IAM is not enforced"},
            {"ProviderARNs", U, "Cognito user pool authorizers are not run"},
            {"AuthType", I, "not kept"}},
        "authorizer"},
    6, "AuthorizerId");
const StableIdType g_httpAuthorizer(
    {kHttpAuthorizer, E, "",
        {{"ApiId", E, ""}, {"Name", E, ""}, {"AuthorizerType", E, ""}, {"AuthorizerUri", E, ""},
            {"IdentitySource", E, ""}, {"JwtConfiguration", E, ""},
            {"AuthorizerPayloadFormatVersion", E, ""}, {"EnableSimpleResponses", E, ""},
            {"AuthorizerResultTtlInSeconds", E, ""},
            {"AuthorizerCredentialsArn", I, "IAM is not enforced"},
            {"IdentityValidationExpression", I, "WebSocket APIs only"}},
        "authorizer"},
    6, "AuthorizerId");
const StableIdType g_httpIntegration(
    {kHttpIntegration, E, "",
        {{"ApiId", E, ""}, {"IntegrationType", E, ""}, {"IntegrationUri", E, ""},
            {"PayloadFormatVersion", E, ""}, {"TimeoutInMillis", E, ""},
            {"IntegrationMethod", I, ""}, {"Description", I, "not kept"},
            {"CredentialsArn", I, "IAM is not enforced"}},
        "integration"},
    7, "IntegrationId");
const StableIdType g_httpRoute(
    {kHttpRoute, E, "",
        {{"ApiId", E, ""}, {"RouteKey", E, ""}, {"Target", E, ""}, {"AuthorizationType", E, ""},
            {"AuthorizerId", E, ""}, {"AuthorizationScopes", E, ""},
            {"OperationName", I, "not kept"}, {"ApiKeyRequired", I, "HTTP APIs have no API keys"}},
        "route"},
    7, "RouteId");
const StableIdType g_apiKey(
    {kApiKey, E, "",
        {{"Value", E, ""}, {"Enabled", E, ""}, {"Name", E, ""},
            {"StageKeys", I, "a key opens every API of the stack that requires one"},
            {"Description", I, "not kept"}, {"CustomerId", I, "not kept"},
            {"GenerateDistinctId", I, "not needed"}, {"Tags", I, kNoTags}},
        "API key"},
    10, "APIKeyId");
// Usage plans are accepted: their keys open the APIs; their limits are not enforced.
class IgnoredType : public ResourceType
{
public:
    explicit IgnoredType(const char *type)
        : m_info {type, I, "usage plans' quotas and throttles are not enforced", {}}
    { }
    const ResourceTypeInfo &info() const override { return m_info; }

private:
    ResourceTypeInfo m_info;
};
const IgnoredType g_usagePlan("AWS::ApiGateway::UsagePlan");
const IgnoredType g_usagePlanKey("AWS::ApiGateway::UsagePlanKey");
const ApiEventType g_apiEvent(false);
const ApiEventType g_httpApiEvent(true);

Result<QList<ApiRoute>> eventRoutes(const Json &list, bool http)
{
    QList<ApiRoute> out;
    if (!list.is_array())
        return out;
    for (const Json &r : list) {
        if (!r.is_object())
            return makeError(QStringLiteral("InvalidEvent"),
                QStringLiteral("%1 holds something that is not a route")
                    .arg(QLatin1String(kRoutesProperty)));
        ApiRoute route;
        route.method = jsonText(r.value("Method", Json()));
        route.path = jsonText(r.value("Path", Json()));
        const QString machine = jsonText(r.value("StateMachine", Json()));
        if (!machine.isEmpty())
            route.service = startExecutionIntegration(
                machine, r.value("UnescapeMappingTemplate", Json(false)) == Json(true));
        else
            route.function
                = integrationFunction(jsonText(r.value("Function", Json())), &route.qualifier);
        route.origin = jsonText(r.value("Origin", Json()));
        route.functionLogicalId = jsonText(r.value("FunctionLogicalId", Json()));
        route.payloadVersion
            = http && jsonText(r.value("PayloadFormatVersion", Json())) != QLatin1String("1.0") ? 2
                                                                                                : 1;
        qint64 timeout = 0;
        if (r.contains("TimeoutInMillis") && wholeNumber(r["TimeoutInMillis"], &timeout))
            route.timeoutMs = int(qBound(qint64(50), timeout, qint64(30000)));
        if (route.path.isEmpty() || !route.served())
            return makeError(QStringLiteral("InvalidEvent"),
                QStringLiteral("the route of %1 names no path, or no function or state machine")
                    .arg(route.origin));
        if (route.path != QLatin1String("$default") && !route.path.startsWith(u'/'))
            route.path.prepend(u'/');
        if (r.contains("Auth") && r["Auth"].is_object()) {
            const Json &auth = r["Auth"];
            route.authorizer = jsonText(auth.value("Authorizer", Json()));
            route.apiKeyRequired = auth.value("ApiKeyRequired", Json(false)) == Json(true);
            route.scopes = jsonStrings(auth.value("AuthorizationScopes", Json()));
        }
        out.append(route);
    }
    return out;
}

} // namespace

QList<const ResourceType *> resourceTypes()
{
    return {&g_samApi, &g_samHttpApi, &g_restApi, &g_httpApi, &g_restStage, &g_httpStage,
        &g_deployment, &g_apiKey, &g_usagePlan, &g_usagePlanKey, &g_restResource, &g_restMethod,
        &g_restAuthorizer, &g_httpAuthorizer, &g_httpIntegration, &g_httpRoute};
}

QList<const FunctionEventType *> functionEventTypes()
{
    return {&g_apiEvent, &g_httpApiEvent};
}

bool isApiType(const QString &type)
{
    return type == QLatin1String(kSamApi) || type == QLatin1String(kSamHttpApi)
        || type == QLatin1String(kRestApi) || type == QLatin1String(kHttpApi);
}

Result<ApiDefinition> definitionOf(const StackResource &resource)
{
    const Json &p = resource.properties;
    ApiDefinition api;
    api.id = resource.physicalId;
    api.logicalId = resource.logicalId;
    api.http
        = resource.type == QLatin1String(kSamHttpApi) || resource.type == QLatin1String(kHttpApi);
    const bool sam = resource.type.startsWith(QLatin1String("AWS::Serverless::"));
    api.name = jsonText(p.value("Name", Json()));
    if (api.name.isEmpty())
        api.name = resource.logicalId;
    if (api.http) {
        api.stage = sam ? jsonText(p.value("StageName", Json())) : QString();
        if (api.stage.isEmpty())
            api.stage = QStringLiteral("$default");
        api.stageVariables = stringMap(p.value("StageVariables", Json()));
        if (p.contains("CorsConfiguration")) {
            if (p["CorsConfiguration"] == Json(true))
                api.cors = ApiCors {{QStringLiteral("*")}, {QStringLiteral("*")},
                    {QStringLiteral("*")}, {}, -1, false};
            else
                api.cors = corsFromConfiguration(p["CorsConfiguration"]);
        }
    } else {
        api.stage = sam ? jsonText(p.value("StageName", Json())) : QString();
        if (api.stage.isEmpty())
            api.stage = QStringLiteral("Prod");
        api.stageVariables = stringMap(p.value("Variables", Json()));
        api.binaryMediaTypes = mediaTypes(p.value("BinaryMediaTypes", Json()));
        if (p.contains("Cors"))
            api.cors = restCors(p["Cors"]);
    }
    // The definition document: DefinitionBody or Body as resolved, or what check() read.
    Json document;
    if (resource.details.is_object() && resource.details.contains("definition"))
        document = resource.details["definition"];
    if (!document.is_null()) {
        auto imported = importOpenApi(document, api.http);
        if (!imported)
            return imported.error();
        api.routes = imported->routes;
        api.binaryMediaTypes += imported->binaryMediaTypes;
        if (imported->cors && !api.cors)
            api.cors = imported->cors;
        api.unsupported = imported->unsupported;
        api.authorizers = imported->authorizers;
        api.defaultAuthorizer = imported->defaultAuthorizer;
        api.apiKeyRequired = imported->apiKeyRequired;
        if (!imported->title.isEmpty() && !p.contains("Name"))
            api.name = imported->title;
    }
    // Quick create: an HTTP API with a Target is one $default route to it.
    if (resource.type == QLatin1String(kHttpApi) && p.contains("Target")) {
        ApiRoute route;
        route.method = QStringLiteral("ANY");
        route.path = jsonText(p.value("RouteKey", Json("$default")));
        if (route.path != QLatin1String("$default")) {
            const qsizetype space = route.path.indexOf(u' ');
            route.method = space < 0 ? QStringLiteral("ANY") : route.path.left(space).toUpper();
            route.path = route.path.mid(space + 1);
        }
        route.function = integrationFunction(jsonText(p["Target"]), &route.qualifier);
        route.payloadVersion = 2;
        route.origin = QStringLiteral("Target");
        if (!route.function.isEmpty())
            api.routes.append(route);
    }
    auto events = eventRoutes(p.value(kRoutesProperty, Json()), api.http);
    if (!events)
        return events.error();
    api.routes += *events;
    if (sam && p.contains("Auth")) {
        if (auto r = readAuth(p["Auth"], api); !r)
            return r.error();
    }
    // Where JWT authorizers' keys are, and those check() read from files.
    const Json read = resource.details.is_object() ? resource.details.value("jwks", Json::object())
                                                   : Json::object();
    for (ApiAuthorizer &a : api.authorizers) {
        if (a.kind != ApiAuthorizer::Kind::Jwt)
            continue;
        a.jwks = jwksLocation(resource, a.name, a.issuer);
        if (read.is_object() && read.contains(a.name.toStdString()))
            a.keys = std::make_shared<const Json>(read[a.name.toStdString()]);
    }
    const auto known = [&](const QString &name) {
        return name.isEmpty() || name == QLatin1String("NONE")
            || std::any_of(api.authorizers.cbegin(), api.authorizers.cend(),
                [&](const ApiAuthorizer &a) { return a.name == name; });
    };
    if (!known(api.defaultAuthorizer))
        return makeError(QStringLiteral("InvalidResourceException"),
            QStringLiteral("Unable to set DefaultAuthorizer because '%1' was not defined in "
                           "Authorizers.")
                .arg(api.defaultAuthorizer));
    for (const ApiRoute &r : std::as_const(api.routes)) {
        if (!known(r.authorizer))
            return makeError(QStringLiteral("InvalidResourceException"),
                QStringLiteral("Unable to set Authorizer [%1] on API method [%2] for path [%3] "
                               "because it wasn't defined in the API's Authorizers.")
                    .arg(r.authorizer, r.method.toLower(), r.path));
    }
    return api;
}

std::optional<StageOf> stageOf(const StackResource &resource)
{
    const Json &p = resource.properties;
    StageOf s;
    if (resource.type == QLatin1String(kRestStage)) {
        s.apiId = jsonText(p.value("RestApiId", Json()));
        s.variables = stringMap(p.value("Variables", Json()));
    } else if (resource.type == QLatin1String(kHttpStage)) {
        s.apiId = jsonText(p.value("ApiId", Json()));
        s.variables = stringMap(p.value("StageVariables", Json()));
    } else if (resource.type == QLatin1String(kRestDeployment) && p.contains("StageName")) {
        s.apiId = jsonText(p.value("RestApiId", Json()));
    } else {
        return std::nullopt;
    }
    s.name = jsonText(p.value("StageName", Json()));
    if (s.apiId.isEmpty() || s.name.isEmpty())
        return std::nullopt;
    return s;
}

} // namespace tarmac::apigatewayresources

namespace tarmac::apigatewayresources {

std::optional<std::pair<QString, QString>> apiKeyOf(const StackResource &resource)
{
    if (resource.type != QLatin1String(kApiKey))
        return std::nullopt;
    const Json &p = resource.properties;
    if (p.value("Enabled", Json(true)) == Json(false))
        return std::pair<QString, QString> {resource.logicalId, QString()};
    QString value = jsonText(p.value("Value", Json()));
    if (value.isEmpty()) // what AWS would generate: 40 characters, the same each start
        value = stableSuffix(resource.physicalId + QStringLiteral("/key"), 40, false);
    return std::pair<QString, QString> {resource.logicalId, value};
}

} // namespace tarmac::apigatewayresources

namespace tarmac::apigatewayresources {

std::optional<ApiPart> partOf(const StackResource &resource)
{
    const Json &p = resource.properties;
    ApiPart part;
    part.id = resource.physicalId;
    part.logicalId = resource.logicalId;
    part.apiId = jsonText(p.value(resource.type == QLatin1String(kRestResource)
                || resource.type == QLatin1String(kRestMethod)
                || resource.type == QLatin1String(kRestAuthorizer)
            ? "RestApiId"
            : "ApiId",
        Json()));
    if (resource.type == QLatin1String(kRestAuthorizer)) {
        // A Lambda TOKEN or REQUEST authorizer, as SAM's Auth makes them.
        part.kind = ApiPart::Kind::Authorizer;
        ApiAuthorizer a;
        a.name = resource.physicalId;
        const QString type = jsonText(p.value("Type", Json("TOKEN"))).toUpper();
        a.function = integrationFunction(jsonText(p.value("AuthorizerUri", Json())), &a.qualifier);
        for (const QString &source :
            jsonText(p.value("IdentitySource", Json())).split(u',', Qt::SkipEmptyParts))
            a.identitySources.append(source.trimmed());
        a.validationExpression = jsonText(p.value("IdentityValidationExpression", Json()));
        a.ttlSeconds = ttlSeconds(p, "AuthorizerResultTtlInSeconds", 300);
        if (type == QLatin1String("TOKEN") || type == QLatin1String("REQUEST")) {
            a.kind = type == QLatin1String("TOKEN") ? ApiAuthorizer::Kind::Token
                                                    : ApiAuthorizer::Kind::Request;
            if (a.kind == ApiAuthorizer::Kind::Token && a.identitySources.isEmpty())
                a.identitySources = {QStringLiteral("method.request.header.Authorization")};
            if (a.function.isEmpty())
                part.unsupported = QStringLiteral("%1: AuthorizerUri names no function; "
                                                  "its methods answer 500")
                                       .arg(resource.logicalId);
        } else {
            part.unsupported = QStringLiteral("%1: %2 authorizers are not run; its methods "
                                              "answer 500")
                                   .arg(resource.logicalId, type);
        }
        part.authorizer = std::move(a);
        part.route.origin = resource.logicalId;
        return part;
    }
    if (resource.type == QLatin1String(kHttpAuthorizer)) {
        // A Lambda REQUEST or a JWT authorizer, as SAM's Auth makes them for HTTP APIs.
        part.kind = ApiPart::Kind::Authorizer;
        ApiAuthorizer a;
        a.name = resource.physicalId;
        const QString type = jsonText(p.value("AuthorizerType", Json())).toUpper();
        a.identitySources = jsonStrings(p.value("IdentitySource", Json()));
        a.ttlSeconds = ttlSeconds(p, "AuthorizerResultTtlInSeconds", 0);
        if (type == QLatin1String("JWT")) {
            a.kind = ApiAuthorizer::Kind::Jwt;
            const Json jwt = p.value("JwtConfiguration", Json::object());
            a.issuer = jsonText(jwt.is_object() ? jwt.value("Issuer", Json()) : Json());
            a.audience = jsonStrings(jwt.is_object() ? jwt.value("Audience", Json()) : Json());
            if (a.identitySources.isEmpty())
                a.identitySources = {QStringLiteral("$request.header.Authorization")};
            a.ttlSeconds = 0;
            a.jwks = jwksLocation(resource, jsonText(p.value("Name", Json())), a.issuer);
            if (!a.jwks.startsWith(QLatin1String("http")))
                part.unsupported = QStringLiteral("%1: its keys are read from an http(s) URL "
                                                  "(Metadata: {Tarmac: {Jwks: URL}}, or the "
                                                  "issuer's); %2 is not one, so its routes "
                                                  "answer 401")
                                       .arg(resource.logicalId,
                                           a.jwks.isEmpty() ? QStringLiteral("(none)") : a.jwks);
        } else {
            a.kind = ApiAuthorizer::Kind::Request;
            a.function
                = integrationFunction(jsonText(p.value("AuthorizerUri", Json())), &a.qualifier);
            a.payloadVersion = jsonText(p.value("AuthorizerPayloadFormatVersion", Json()))
                    == QLatin1String("1.0")
                ? 1
                : 2;
            a.simpleResponses = p.value("EnableSimpleResponses", Json(false)) == Json(true);
            if (type != QLatin1String("REQUEST") || a.function.isEmpty())
                part.unsupported = QStringLiteral("%1: %2 names no Lambda function to run; its "
                                                  "routes answer 500")
                                       .arg(resource.logicalId, type);
        }
        part.authorizer = std::move(a);
        part.route.origin = resource.logicalId;
        return part;
    }
    if (resource.type == QLatin1String(kRestResource)) {
        part.kind = ApiPart::Kind::Resource;
        part.parentId = jsonText(p.value("ParentId", Json()));
        part.pathPart = jsonText(p.value("PathPart", Json()));
    } else if (resource.type == QLatin1String(kRestMethod)) {
        part.kind = ApiPart::Kind::Method;
        part.parentId = jsonText(p.value("ResourceId", Json()));
        part.route.method = jsonText(p.value("HttpMethod", Json())).toUpper();
        part.route.apiKeyRequired = p.value("ApiKeyRequired", Json(false)) == Json(true);
        // CUSTOM: the Lambda authorizer AuthorizerId names; NONE, AWS_IAM (IAM is not
        // enforced) and the rest: no authorizer.
        if (jsonText(p.value("AuthorizationType", Json())).toUpper() == QLatin1String("CUSTOM"))
            part.route.authorizer = jsonText(p.value("AuthorizerId", Json()));
        else
            part.route.authorizer = QStringLiteral("NONE");
        const Json integration = p.value("Integration", Json::object());
        const QString type
            = integration.is_object() ? jsonText(integration.value("Type", Json())) : QString();
        QString why;
        if (type == QLatin1String("AWS_PROXY")) {
            part.route.function = integrationFunction(
                jsonText(integration.value("Uri", Json())), &part.route.qualifier);
        } else if (type == QLatin1String("AWS") || type == QLatin1String("MOCK")
            || type == QLatin1String("HTTP") || type == QLatin1String("HTTP_PROXY")) {
            auto service
                = readMethodIntegration(integration, &part.route.function, &part.route.qualifier);
            if (service)
                part.route.service = std::make_shared<const ApiServiceIntegration>(*service);
            else
                why = service.error().message;
        }
        qint64 timeout = 0;
        if (integration.is_object() && integration.contains("TimeoutInMillis")
            && wholeNumber(integration["TimeoutInMillis"], &timeout))
            part.route.timeoutMs = int(qBound(qint64(50), timeout, qint64(29'000)));
        if (!why.isEmpty())
            part.unsupported
                = QStringLiteral("%1 %2: %3").arg(resource.logicalId, part.route.method, why);
        else if (!part.route.served())
            part.unsupported
                = QStringLiteral("%1 %2: integration type %3 is not emulated (Lambda proxy, "
                                 "AWS, MOCK, HTTP and HTTP_PROXY are)")
                      .arg(resource.logicalId, part.route.method,
                          type.isEmpty() ? QStringLiteral("(none)") : type);
    } else if (resource.type == QLatin1String(kHttpIntegration)) {
        part.kind = ApiPart::Kind::Integration;
        const QString type = jsonText(p.value("IntegrationType", Json()));
        QString why;
        if (type == QLatin1String("AWS_PROXY")) {
            part.route.function = integrationFunction(
                jsonText(p.value("IntegrationUri", Json())), &part.route.qualifier);
        } else if (type == QLatin1String("HTTP_PROXY")) {
            // An HTTP API's parameter mappings ("overwrite:path", …) are another language
            // than a REST API's; an integration that has them is reported, not half served.
            Json o = {{"type", "http_proxy"}, {"uri", p.value("IntegrationUri", Json())},
                {"httpMethod", p.value("IntegrationMethod", Json("ANY"))},
                {"connectionType", p.value("ConnectionType", Json())}};
            auto service = p.contains("RequestParameters") || p.contains("ResponseParameters")
                ? Result<ApiServiceIntegration>(makeError(QStringLiteral("BadRequestException"),
                    QStringLiteral("an HTTP API's parameter mappings are not applied locally")))
                : readServiceIntegration(o, nullptr, nullptr);
            if (service)
                part.route.service = std::make_shared<const ApiServiceIntegration>(*service);
            else
                why = service.error().message;
        }
        part.route.payloadVersion
            = jsonText(p.value("PayloadFormatVersion", Json("2.0"))) == QLatin1String("1.0") ? 1
                                                                                             : 2;
        qint64 timeout = 0;
        if (p.contains("TimeoutInMillis") && wholeNumber(p["TimeoutInMillis"], &timeout))
            part.route.timeoutMs = int(qBound(qint64(50), timeout, qint64(30'000)));
        if (!why.isEmpty())
            part.unsupported = QStringLiteral("%1: %2").arg(resource.logicalId, why);
        else if (!part.route.served())
            part.unsupported = QStringLiteral(
                "%1: integration type %2 is not emulated (Lambda proxy and HTTP proxy are)")
                                   .arg(resource.logicalId, type);
    } else if (resource.type == QLatin1String(kHttpRoute)) {
        part.kind = ApiPart::Kind::Route;
        const QString key = jsonText(p.value("RouteKey", Json()));
        const qsizetype space = key.indexOf(u' ');
        part.route.method = space < 0 ? QStringLiteral("ANY") : key.left(space).toUpper();
        part.route.path = space < 0 ? key : key.mid(space + 1);
        const QString auth = jsonText(p.value("AuthorizationType", Json())).toUpper();
        part.route.authorizer = auth == QLatin1String("JWT") || auth == QLatin1String("CUSTOM")
            ? jsonText(p.value("AuthorizerId", Json()))
            : QStringLiteral("NONE");
        part.route.scopes = jsonStrings(p.value("AuthorizationScopes", Json()));
        // Target: "integrations/{IntegrationId}"
        part.parentId = jsonText(p.value("Target", Json())).section(u'/', -1);
    } else {
        return std::nullopt;
    }
    part.route.origin = resource.logicalId;
    return part;
}

QList<ApiRoute> assembleRoutes(
    const QString &apiId, const QString &rootResourceId, const QList<ApiPart> &parts)
{
    QHash<QString, const ApiPart *> byId;
    for (const ApiPart &p : parts)
        byId.insert(p.id, &p);
    // A resource's path: its path parts up to the API's root.
    const auto pathOf = [&](QString id) -> QString {
        QStringList segments;
        for (int depth = 0; depth < 64 && id != rootResourceId; ++depth) {
            const ApiPart *r = byId.value(id);
            if (!r || r->kind != ApiPart::Kind::Resource)
                return {};
            segments.prepend(r->pathPart);
            id = r->parentId;
        }
        return id == rootResourceId ? u'/' + segments.join(u'/') : QString();
    };
    QList<ApiRoute> out;
    for (const ApiPart &p : parts) {
        if (p.apiId != apiId)
            continue;
        if (p.kind == ApiPart::Kind::Method && p.route.served()) {
            ApiRoute r = p.route;
            r.path = pathOf(p.parentId);
            if (!r.path.isEmpty())
                out.append(r);
        } else if (p.kind == ApiPart::Kind::Route) {
            const ApiPart *integration = byId.value(p.parentId);
            if (!integration || integration->kind != ApiPart::Kind::Integration
                || !integration->route.served())
                continue;
            ApiRoute r = integration->route;
            r.method = p.route.method;
            r.path = p.route.path;
            r.origin = p.route.origin;
            r.authorizer = p.route.authorizer;
            r.scopes = p.route.scopes;
            out.append(r);
        }
    }
    return out;
}

QList<ApiAuthorizer> assembleAuthorizers(const QString &apiId, const QList<ApiPart> &parts)
{
    QList<ApiAuthorizer> out;
    for (const ApiPart &p : parts) {
        if (p.apiId == apiId && p.kind == ApiPart::Kind::Authorizer && p.authorizer)
            out.append(*p.authorizer);
    }
    return out;
}

QString rootResourceId(const QString &apiId)
{
    return stableSuffix(apiId, 10, true);
}

} // namespace tarmac::apigatewayresources
