#include "services/apigateway/apiopenapi.h"

#include <QRegularExpression>
#include <QSet>
#include <QUrl>

namespace tarmac {

namespace {

const char *const kMethods[] = {
    "get", "put", "post", "delete", "patch", "head", "options", "x-amazon-apigateway-any-method"};

QStringList textList(const Json &v)
{
    QStringList out;
    if (v.is_string()) {
        for (const QString &s : jsonText(v).split(u',', Qt::SkipEmptyParts))
            out.append(s.trimmed());
    } else if (v.is_array()) {
        for (const Json &item : v) {
            if (item.is_string())
                out.append(jsonText(item));
        }
    }
    return out;
}

// The value of the first key present, trying each spelling.
const Json *member(const Json &o, std::initializer_list<const char *> keys)
{
    for (const char *k : keys) {
        if (o.contains(k) && !o[k].is_null())
            return &o[k];
    }
    return nullptr;
}

Error notServed(const QString &why)
{
    return makeError(QStringLiteral("BadRequestException"), why);
}

// A template of each content type, checked.
Result<QMap<QString, MappingTemplate>> templates(const Json &map, const char *what)
{
    QMap<QString, MappingTemplate> out;
    if (map.is_null())
        return out;
    if (!map.is_object())
        return notServed(QStringLiteral("%1 is not a map").arg(QLatin1String(what)));
    for (auto it = map.begin(); it != map.end(); ++it) {
        const QString type = QString::fromStdString(it.key()).trimmed().toLower();
        auto t = MappingTemplate::parse(jsonText(it.value()));
        if (!t)
            return notServed(
                QStringLiteral("%1 %2: %3").arg(QLatin1String(what), type, t.error().message));
        out.insert(type, std::move(*t));
    }
    return out;
}

// The integration's uri: an action of a JSON service, or a function.
Result<void> readUri(
    const QString &uri, ApiServiceIntegration &out, QString *function, QString *qualifier)
{
    if (uri.contains(QLatin1String(":lambda:path/"))) {
        *function = integrationFunction(uri, qualifier);
        if (function->isEmpty())
            return notServed(QStringLiteral("the integration's uri names no function"));
        out.service = QStringLiteral("lambda");
        out.action = QStringLiteral("Invoke");
        return {};
    }
    // arn:aws:apigateway:us-east-1:states:action/StartExecution,
    // arn:aws:apigateway:us-east-1:sqs:path/000000000000/queue
    const QStringList parts = uri.split(u':');
    const QString tail = parts.size() == 6 ? parts[5] : QString();
    const bool action = tail.startsWith(QLatin1String("action/"));
    const bool path = tail.startsWith(QLatin1String("path/"));
    if (parts.size() != 6 || parts[2] != QLatin1String("apigateway") || (!action && !path))
        return notServed(QStringLiteral("the AWS integration's uri %1 is not called locally "
                                        "(actions of Step Functions, DynamoDB, EventBridge, SQS "
                                        "and SNS, paths of S3, SQS and SNS, and Lambda functions "
                                        "are)")
                             .arg(uri));
    out.service = parts[4];
    if (action) {
        out.action = tail.mid(7);
        if (out.action.isEmpty() || (!calledLocally(out.service) && !queryProtocol(out.service)))
            return notServed(QStringLiteral("%1 actions are not called locally (Step "
                                            "Functions', DynamoDB's, EventBridge's, SQS's and "
                                            "SNS's are)")
                                 .arg(out.service));
        return {};
    }
    if (!queryProtocol(out.service) && out.service != u"s3")
        return notServed(QStringLiteral("%1 paths are not called locally (S3's, SQS's and SNS's "
                                        "are)")
                             .arg(out.service));
    out.uri = tail.mid(4); // "/000000000000/queue", placeholders and all
    return {};
}

Result<ApiServiceIntegration::Passthrough> passthrough(const Json &value)
{
    if (!value.is_null() && !value.is_string())
        return notServed(QStringLiteral("passthroughBehavior is not a string"));
    const QString text = jsonText(value);
    const QString t = text.toUpper();
    if (t.isEmpty() || t == QLatin1String("WHEN_NO_MATCH"))
        return ApiServiceIntegration::Passthrough::WhenNoMatch;
    if (t == QLatin1String("WHEN_NO_TEMPLATES"))
        return ApiServiceIntegration::Passthrough::WhenNoTemplates;
    if (t == QLatin1String("NEVER"))
        return ApiServiceIntegration::Passthrough::Never;
    return notServed(QStringLiteral("passthroughBehavior %1 is not one of WHEN_NO_MATCH, "
                                    "WHEN_NO_TEMPLATES and NEVER")
                         .arg(text));
}

// responseParameters: method.response.header.NAME from a 'literal', an integration response
// header, or the integration response's body or a field of it.
Result<QList<std::pair<QByteArray, QString>>> responseHeaders(const Json &parameters)
{
    QList<std::pair<QByteArray, QString>> out;
    if (parameters.is_null())
        return out;
    if (!parameters.is_object())
        return notServed(QStringLiteral("responseParameters is not a map"));
    const QLatin1String target("method.response.header.");
    for (auto it = parameters.begin(); it != parameters.end(); ++it) {
        const QString key = QString::fromStdString(it.key());
        const QString source = jsonText(it.value());
        const bool literal
            = source.size() >= 2 && source.startsWith(u'\'') && source.endsWith(u'\'');
        const bool fromAnswer = source.startsWith(QLatin1String("integration.response.header."))
            || source == QLatin1String("integration.response.body")
            || source.startsWith(QLatin1String("integration.response.body."));
        if (!key.startsWith(target) || key.size() == target.size() || !it.value().is_string()
            || (!literal && !fromAnswer))
            return notServed(QStringLiteral("the response parameter %1: %2 is not mapped locally "
                                            "(headers from 'literals', integration.response."
                                            "header.* and integration.response.body[.*] are)")
                                 .arg(key, QString::fromStdString(it.value().dump())));
        out.append({key.mid(target.size()).toUtf8(), source});
    }
    return out;
}

Result<ApiServiceIntegration::Response> response(const QString &pattern, const Json &statusCode,
    const Json &responseTemplates, const Json &responseParameters)
{
    ApiServiceIntegration::Response r;
    r.pattern = pattern;
    r.selection = QRegularExpression(QRegularExpression::anchoredPattern(pattern));
    if (!r.selection.isValid())
        return notServed(
            QStringLiteral("the selection pattern %1 is not a regular expression").arg(r.pattern));
    const double number = statusCode.is_number() ? statusCode.get<double>() : 0;
    const QString status = statusCode.is_number()
        ? (number >= 0 && number < 1000 ? QString::number(int(number)) : QStringLiteral("?"))
        : jsonText(statusCode);
    bool ok = false;
    r.status = status.toInt(&ok);
    if (!ok || r.status < 100 || r.status > 599)
        return notServed(QStringLiteral("a response's statusCode %1 is not an HTTP status")
                             .arg(status.isEmpty() ? QStringLiteral("(none)") : status));
    auto t = templates(responseTemplates, "responseTemplates");
    if (!t)
        return t.error();
    r.templates = std::move(*t);
    auto headers = responseHeaders(responseParameters);
    if (!headers)
        return headers.error();
    r.headers = std::move(*headers);
    return r;
}

// requestParameters of an HTTP integration: integration.request.{path,querystring,header}.NAME
// from method.request.{path,querystring,header}.NAME, stageVariables.NAME or a 'literal'.
Result<QList<std::pair<QString, QString>>> requestParameters(const Json &parameters)
{
    QList<std::pair<QString, QString>> out;
    if (parameters.is_null())
        return out;
    if (!parameters.is_object())
        return notServed(QStringLiteral("requestParameters is not a map"));
    const QLatin1String target("integration.request.");
    for (auto it = parameters.begin(); it != parameters.end(); ++it) {
        const QString key = QString::fromStdString(it.key());
        const QString source = jsonText(it.value());
        const QString where = key.mid(target.size());
        const bool targetOk = key.startsWith(target)
            && (where.startsWith(QLatin1String("path."))
                || where.startsWith(QLatin1String("querystring."))
                || where.startsWith(QLatin1String("header.")))
            && !where.endsWith(u'.');
        const bool literal
            = source.size() >= 2 && source.startsWith(u'\'') && source.endsWith(u'\'');
        const bool sourceOk = literal || source.startsWith(QLatin1String("method.request.path."))
            || source.startsWith(QLatin1String("method.request.querystring."))
            || source.startsWith(QLatin1String("method.request.header."))
            || source.startsWith(QLatin1String("stageVariables."));
        if (!targetOk || !sourceOk || !it.value().is_string())
            return notServed(QStringLiteral("the request parameter %1: %2 is not mapped locally "
                                            "(path, querystring and header parameters from the "
                                            "method request's, stage variables and 'literals' "
                                            "are)")
                                 .arg(key, QString::fromStdString(it.value().dump())));
        out.append({where, source});
    }
    return out;
}

// An integration called over HTTP: its httpMethod and requestParameters.
Result<void> readHttpCall(
    const Json &integration, const char *defaultMethod, ApiServiceIntegration &out)
{
    out.httpMethod = jsonText(integration.value("httpMethod", Json(defaultMethod))).toUpper();
    if (out.httpMethod.isEmpty() || out.httpMethod.contains(u' '))
        return notServed(QStringLiteral("the integration's httpMethod is not a method"));
    auto parameters = requestParameters(integration.value("requestParameters", Json()));
    if (!parameters)
        return parameters.error();
    out.requestParameters = std::move(*parameters);
    return {};
}

} // namespace

bool calledLocally(const QString &service)
{
    return service == u"states" || service == u"dynamodb" || service == u"events";
}

bool queryProtocol(const QString &service)
{
    return service == u"sqs" || service == u"sns";
}

Result<ApiServiceIntegration> readServiceIntegration(
    const Json &integration, QString *function, QString *qualifier)
{
    ApiServiceIntegration out;
    if (!integration.is_object())
        return notServed(QStringLiteral("the integration is not a map"));
    const QString type = jsonText(integration.value("type", Json("aws"))).toLower();
    const QString uri = jsonText(integration.value("uri", Json()));
    if (type == QLatin1String("aws")) {
        if (auto r = readUri(uri, out, function, qualifier); !r)
            return r.error();
        // Called as the service's own HTTP API: the method and parameters matter.
        if (!out.uri.isEmpty() || queryProtocol(out.service)) {
            if (auto r = readHttpCall(integration, "POST", out); !r)
                return r.error();
        }
    } else if (type == QLatin1String("mock")) {
        out.service = QStringLiteral("mock");
    } else if (type == QLatin1String("http") || type == QLatin1String("http_proxy")) {
        const QUrl url(uri); // tolerant: {placeholders} are filled per request
        if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https")
            || url.host().isEmpty())
            return notServed(QStringLiteral("the HTTP integration's uri %1 is not an http:// or "
                                            "https:// URL")
                                 .arg(uri.isEmpty() ? QStringLiteral("(none)") : uri));
        if (jsonText(integration.value("connectionType", Json())).toUpper()
            == QLatin1String("VPC_LINK"))
            return notServed(QStringLiteral("private integrations (through a VPC link) are not "
                                            "emulated"));
        out.service = type;
        out.uri = uri;
        if (auto r = readHttpCall(integration, "ANY", out); !r)
            return r.error();
        if (type == QLatin1String("http_proxy"))
            return out; // the request and the answer pass as they are
    } else {
        return notServed(
            QStringLiteral("integration type %1 is not emulated (Lambda proxy, AWS, mock, HTTP "
                           "and HTTP proxy are)")
                .arg(type.isEmpty() ? QStringLiteral("(none)") : type));
    }
    auto request = templates(integration.value("requestTemplates", Json()), "requestTemplates");
    if (!request)
        return request.error();
    out.requestTemplates = std::move(*request);
    auto behavior = passthrough(integration.value("passthroughBehavior", Json()));
    if (!behavior)
        return behavior.error();
    out.passthrough = *behavior;
    const Json responses = integration.value("responses", Json::object());
    if (!responses.is_object())
        return notServed(QStringLiteral("responses is not a map"));
    QList<ApiServiceIntegration::Response> defaults;
    for (auto it = responses.begin(); it != responses.end(); ++it) {
        const Json &r = it.value();
        if (!r.is_object())
            return notServed(QStringLiteral("a response is not a map"));
        const QString key = QString::fromStdString(it.key());
        auto read = response(key == QLatin1String("default") ? QString() : key,
            r.value("statusCode", Json()), r.value("responseTemplates", Json()),
            r.value("responseParameters", Json()));
        if (!read)
            return read.error();
        (read->pattern.isEmpty() ? defaults : out.responses).append(std::move(*read));
    }
    out.responses += defaults;
    return out;
}

Result<ApiServiceIntegration> readMethodIntegration(
    const Json &integration, QString *function, QString *qualifier)
{
    if (!integration.is_object())
        return notServed(QStringLiteral("Integration is not a map"));
    // The OpenAPI spelling of the same settings.
    Json o = Json::object();
    o["type"] = jsonText(integration.value("Type", Json())).toLower().toStdString();
    o["uri"] = integration.value("Uri", Json());
    o["httpMethod"] = integration.value("IntegrationHttpMethod", Json());
    o["requestParameters"] = integration.value("RequestParameters", Json());
    o["connectionType"] = integration.value("ConnectionType", Json());
    o["requestTemplates"] = integration.value("RequestTemplates", Json());
    o["passthroughBehavior"] = integration.value("PassthroughBehavior", Json());
    Json responses = Json::object();
    const Json list = integration.value("IntegrationResponses", Json::array());
    if (!list.is_array())
        return notServed(QStringLiteral("IntegrationResponses is not a list"));
    for (const Json &r : list) {
        if (!r.is_object())
            return notServed(QStringLiteral("an integration response is not a map"));
        const QString pattern = jsonText(r.value("SelectionPattern", Json()));
        responses[pattern.isEmpty() ? std::string("default") : pattern.toStdString()]
            = {{"statusCode", r.value("StatusCode", Json())},
                {"responseTemplates", r.value("ResponseTemplates", Json())},
                {"responseParameters", r.value("ResponseParameters", Json())}};
    }
    o["responses"] = std::move(responses);
    return readServiceIntegration(o, function, qualifier);
}

std::shared_ptr<const ApiServiceIntegration> startExecutionIntegration(
    const QString &stateMachineArn, bool unescape)
{
    // The SAM transform's own request template, and its two responses.
    const QString input = unescape
        ? QStringLiteral("$util.escapeJavaScript($input.json('$')).replaceAll(\"\\\\'\",\"'\")")
        : QStringLiteral("$util.escapeJavaScript($input.json('$'))");
    auto t
        = MappingTemplate::parse(QStringLiteral("{\"input\": \"%1\", \"stateMachineArn\": \"%2\"}")
                                     .arg(input, stateMachineArn));
    auto out = std::make_shared<ApiServiceIntegration>();
    out->service = QStringLiteral("states");
    out->action = QStringLiteral("StartExecution");
    if (t)
        out->requestTemplates.insert(QStringLiteral("application/json"), std::move(*t));
    for (const char *status : {"200", "400"}) {
        if (auto r = response(QLatin1String(status), Json(status), Json(), Json()))
            out->responses.append(std::move(*r));
    }
    return out;
}

QString jsonText(const Json &value)
{
    return value.is_string() ? QString::fromStdString(value.get<std::string>()) : QString();
}

QStringList jsonStrings(const Json &value)
{
    QStringList out;
    if (value.is_string())
        out.append(jsonText(value));
    else if (value.is_array())
        for (const Json &item : value)
            if (item.is_string())
                out.append(jsonText(item));
    return out;
}

QString integrationFunction(const QString &uri, QString *qualifier)
{
    QString arn = uri;
    const qsizetype functions = arn.indexOf(QLatin1String("/functions/"));
    if (functions >= 0) {
        arn = arn.mid(functions + 11);
        if (arn.endsWith(QLatin1String("/invocations")))
            arn.chop(12);
    }
    QString name = arn;
    const qsizetype at = arn.indexOf(QLatin1String(":function:"));
    if (at >= 0)
        name = arn.mid(at + 10);
    else if (arn.startsWith(QLatin1String("arn:")))
        return {};
    if (name.isEmpty() || name.contains(u'/'))
        return {};
    const qsizetype colon = name.indexOf(u':');
    if (qualifier)
        *qualifier = colon < 0 ? QString() : name.mid(colon + 1);
    return colon < 0 ? name : name.left(colon);
}

std::optional<ApiCors> corsFromConfiguration(const Json &config)
{
    if (!config.is_object())
        return std::nullopt;
    ApiCors c;
    if (const Json *v = member(config, {"AllowOrigins", "allowOrigins"}))
        c.allowOrigins = textList(*v);
    if (const Json *v = member(config, {"AllowMethods", "allowMethods"}))
        c.allowMethods = textList(*v);
    if (const Json *v = member(config, {"AllowHeaders", "allowHeaders"}))
        c.allowHeaders = textList(*v);
    if (const Json *v = member(config, {"ExposeHeaders", "exposeHeaders"}))
        c.exposeHeaders = textList(*v);
    if (const Json *v = member(config, {"MaxAge", "maxAge"}); v && v->is_number())
        c.maxAge = int(v->get<double>());
    if (const Json *v = member(config, {"AllowCredentials", "allowCredentials"});
        v && v->is_boolean())
        c.allowCredentials = v->get<bool>();
    return c;
}

namespace {

// The security schemes API Gateway reads: apiKey schemes named x-api-key (API keys) and those
// with an x-amazon-apigateway-authorizer.
struct Schemes
{
    QList<ApiAuthorizer> authorizers;
    QSet<QString> apiKeys; // names of the x-api-key schemes
    QStringList unsupported;
};

Schemes readSchemes(const Json &document, bool http)
{
    Schemes out;
    const Json *schemes = nullptr;
    if (document.contains("components") && document["components"].is_object())
        schemes = member(document["components"], {"securitySchemes"});
    if (!schemes)
        schemes = member(document, {"securityDefinitions"});
    if (!schemes || !schemes->is_object())
        return out;
    for (auto it = schemes->begin(); it != schemes->end(); ++it) {
        const QString name = QString::fromStdString(it.key());
        const Json &s = it.value();
        if (!s.is_object())
            continue;
        const Json *a = member(s, {"x-amazon-apigateway-authorizer"});
        if (!a || !a->is_object()) {
            if (jsonText(s.value("type", Json())) == QLatin1String("apiKey")
                && jsonText(s.value("name", Json())).toLower() == QLatin1String("x-api-key"))
                out.apiKeys.insert(name);
            continue;
        }
        ApiAuthorizer auth;
        auth.name = name;
        const QString type = jsonText(a->value("type", Json())).toLower();
        auth.identitySources = jsonStrings(a->value("identitySource", Json()));
        if (auth.identitySources.size() == 1 && auth.identitySources.first().contains(u','))
            auth.identitySources = auth.identitySources.first().split(u',', Qt::SkipEmptyParts);
        for (QString &source : auth.identitySources)
            source = source.trimmed();
        if (const Json *ttl = member(*a, {"authorizerResultTtlInSeconds"}); ttl && ttl->is_number())
            auth.ttlSeconds = qBound(0, int(ttl->get<double>()), 3600);
        else
            auth.ttlSeconds = http ? 0 : 300;
        if (type == QLatin1String("jwt")) {
            const Json jwt = a->value("jwtConfiguration", Json::object());
            auth.kind = ApiAuthorizer::Kind::Jwt;
            auth.issuer = jsonText(jwt.is_object() ? jwt.value("issuer", Json()) : Json());
            auth.audience = jsonStrings(jwt.is_object() ? jwt.value("audience", Json()) : Json());
            auth.ttlSeconds = 0;
            if (auth.identitySources.isEmpty())
                auth.identitySources = {QStringLiteral("$request.header.Authorization")};
        } else if (type == QLatin1String("token") || type == QLatin1String("request")) {
            auth.function
                = integrationFunction(jsonText(a->value("authorizerUri", Json())), &auth.qualifier);
            if (auth.function.isEmpty()) {
                out.unsupported.append(
                    QStringLiteral("authorizer %1: its authorizerUri names no function").arg(name));
                continue;
            }
            auth.kind = type == QLatin1String("token") && !http ? ApiAuthorizer::Kind::Token
                                                                : ApiAuthorizer::Kind::Request;
            if (auth.kind == ApiAuthorizer::Kind::Token && auth.identitySources.isEmpty())
                auth.identitySources = {QStringLiteral("method.request.header.")
                    + (s.contains("name") ? jsonText(s["name"]) : QStringLiteral("Authorization"))};
            auth.validationExpression = jsonText(a->value("identityValidationExpression", Json()));
            auth.payloadVersion = jsonText(a->value("authorizerPayloadFormatVersion", Json()))
                    == QLatin1String("2.0")
                ? 2
                : 1;
            auth.simpleResponses = a->value("enableSimpleResponses", Json(false)) == Json(true);
        } else {
            out.unsupported.append(
                QStringLiteral("authorizer %1: type %2 is not run (Lambda and JWT are)")
                    .arg(name, type));
            continue;
        }
        out.authorizers.append(auth);
    }
    return out;
}

// What a `security` requirement list says: the authorizer it names (empty: none; "NONE" for an
// empty list, which turns the default off), its scopes, and whether it asks for an API key.
void readSecurity(const Json &security, const Schemes &schemes, QString *authorizer,
    QStringList *scopes, bool *apiKey)
{
    if (!security.is_array())
        return;
    if (security.empty())
        *authorizer = QStringLiteral("NONE");
    for (const Json &requirement : security) {
        if (!requirement.is_object())
            continue;
        for (auto it = requirement.begin(); it != requirement.end(); ++it) {
            const QString name = QString::fromStdString(it.key());
            if (schemes.apiKeys.contains(name)) {
                *apiKey = true;
            } else if (std::any_of(schemes.authorizers.cbegin(), schemes.authorizers.cend(),
                           [&](const ApiAuthorizer &a) { return a.name == name; })) {
                *authorizer = name;
                if (scopes)
                    *scopes = jsonStrings(it.value());
            }
        }
    }
}

} // namespace

Result<OpenApiImport> importOpenApi(const Json &document, bool http)
{
    OpenApiImport out;
    if (!document.is_object() || !document.contains("paths") || !document["paths"].is_object())
        return makeError(QStringLiteral("BadRequestException"),
            QStringLiteral("the API definition has no paths map (an OpenAPI 3 or Swagger 2 "
                           "document)"));
    if (document.contains("info") && document["info"].is_object())
        out.title = jsonText(document["info"].value("title", Json()));
    if (const Json *b = member(document, {"x-amazon-apigateway-binary-media-types"}))
        out.binaryMediaTypes = textList(*b);
    if (const Json *c = member(document, {"x-amazon-apigateway-cors"}))
        out.cors = corsFromConfiguration(*c);
    const Schemes schemes = readSchemes(document, http);
    out.authorizers = schemes.authorizers;
    out.unsupported += schemes.unsupported;
    if (document.contains("security"))
        readSecurity(
            document["security"], schemes, &out.defaultAuthorizer, nullptr, &out.apiKeyRequired);
    if (out.defaultAuthorizer == QLatin1String("NONE"))
        out.defaultAuthorizer.clear();
    const Json &paths = document["paths"];
    for (auto p = paths.begin(); p != paths.end(); ++p) {
        const QString path = QString::fromStdString(p.key());
        if (!p.value().is_object())
            return makeError(QStringLiteral("BadRequestException"),
                QStringLiteral("paths.%1 is not a map of operations").arg(path));
        if (path != QLatin1String("$default") && !path.startsWith(u'/')) {
            out.unsupported.append(QStringLiteral("path %1 does not start with /").arg(path));
            continue;
        }
        for (const char *method : kMethods) {
            if (!p.value().contains(method))
                continue;
            const Json &op = p.value()[method];
            const QString verb = qstrcmp(method, "x-amazon-apigateway-any-method") == 0
                ? QStringLiteral("ANY")
                : QString::fromLatin1(method).toUpper();
            const QString key = verb + u' ' + path;
            if (!op.is_object())
                return makeError(QStringLiteral("BadRequestException"),
                    QStringLiteral("%1 is not a map").arg(key));
            const Json *integration = member(op, {"x-amazon-apigateway-integration"});
            if (!integration || !integration->is_object()) {
                out.unsupported.append(QStringLiteral("%1: no x-amazon-apigateway-integration; "
                                                      "it is not served")
                                           .arg(key));
                continue;
            }
            const QString type = jsonText(integration->value("type", Json())).toLower();
            ApiRoute route;
            route.method = verb;
            route.path = path;
            if (type != QLatin1String("aws_proxy")) {
                auto service
                    = readServiceIntegration(*integration, &route.function, &route.qualifier);
                if (!service) {
                    out.unsupported.append(
                        QStringLiteral("%1: %2").arg(key, service.error().message));
                    continue;
                }
                route.service = std::make_shared<const ApiServiceIntegration>(*service);
            } else {
                route.function = integrationFunction(
                    jsonText(integration->value("uri", Json())), &route.qualifier);
                if (route.function.isEmpty()) {
                    out.unsupported.append(
                        QStringLiteral("%1: the integration's uri names no function").arg(key));
                    continue;
                }
            }
            const QString format = jsonText(integration->value("payloadFormatVersion", Json()));
            route.payloadVersion
                = format.isEmpty() ? (http ? 2 : 1) : (format == QLatin1String("2.0") ? 2 : 1);
            if (!http)
                route.payloadVersion = 1;
            if (const Json *t = member(*integration, {"timeoutInMillis"}); t && t->is_number())
                route.timeoutMs = int(t->get<double>());
            route.origin = QStringLiteral("definition %1").arg(key);
            if (op.contains("security")) {
                // An operation's own requirements replace the document's: no authorizer
                // named, none runs.
                route.authorizer = QStringLiteral("NONE");
                readSecurity(op["security"], schemes, &route.authorizer, &route.scopes,
                    &route.apiKeyRequired);
            }
            out.routes.append(route);
        }
    }
    return out;
}

} // namespace tarmac
