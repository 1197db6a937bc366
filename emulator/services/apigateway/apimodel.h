#pragma once

#include "services/apigateway/apimapping.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QMap>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

#include <nlohmann/json_fwd.hpp>

namespace tarmac {

using Json = nlohmann::json;

// CORS as an API is configured (SAM's Cors / CorsConfiguration, an OpenAPI document's
// x-amazon-apigateway-cors): the API answers preflights itself and adds the headers to
// every response.
struct ApiCors
{
    QStringList allowOrigins; // "*" or origins
    QStringList allowMethods; // "GET", "*"
    QStringList allowHeaders;
    QStringList exposeHeaders;
    int maxAge = -1; // seconds; -1: not sent
    bool allowCredentials = false;
};

// A Lambda or JWT authorizer of an API (SAM's Auth.Authorizers, an OpenAPI document's
// x-amazon-apigateway-authorizer).
struct ApiAuthorizer
{
    enum class Kind { Token, Request, Jwt };
    QString name;
    Kind kind = Kind::Token;
    QString function; // Lambda authorizers
    QString qualifier;
    // Where the identity comes from, as API Gateway writes it: REST APIs
    // "method.request.header.Authorization", "method.request.querystring.q",
    // "stageVariables.v", "context.c"; HTTP APIs "$request.header.Authorization",
    // "$request.querystring.q", "$stageVariables.v", "$context.c".
    QStringList identitySources;
    QString validationExpression; // TOKEN: the token must match it
    int ttlSeconds = 300; // results are cached by identity this long (0: not cached)
    int payloadVersion = 1; // HTTP API Lambda authorizers: 1.0 or 2.0
    bool simpleResponses = false; // HTTP API, payload 2.0: {"isAuthorized": …}
    // JWT (HTTP APIs)
    QString issuer;
    QStringList audience;
    QString jwks; // where the keys are: a file (relative to the template) or an http(s) URL
    std::shared_ptr<const Json> keys; // the JWKS document, once read; null until then
};

// A non-proxy integration (type "aws"): an action of an AWS service Tarmac emulates, called
// on the edge port (Step Functions' StartExecution, DynamoDB's PutItem, …), or a function
// invoked with what the request template makes of the request (Lambda's custom
// integration). The request templates make the body; the answer's status code (a function's
// error message) picks the integration response, whose template makes the client's body.
struct ApiServiceIntegration
{
    // "states", "dynamodb", "events" (AWS integrations); "lambda": `function` on the route;
    // "mock"; "http" (HTTP with mapping templates) and "http_proxy" (the request as it came)
    QString service;
    QString action; // "StartExecution"
    // http and http_proxy: "http://localhost:8080/items/{id}"; AWS by path (S3, SQS, SNS):
    // the path, "/000000000000/queue"
    QString uri;
    // http, http_proxy, and AWS by path or by the query protocol: "GET", …; "ANY": the
    // request's own
    QString httpMethod;
    // requestParameters (those same): where a parameter of the integration's request
    // comes from. target: "path.id", "querystring.q", "header.X-Key" (after
    // "integration.request."); source: "method.request.path.id", "method.request.querystring.q",
    // "method.request.header.X", "stageVariables.v", "'literal'".
    QList<std::pair<QString, QString>> requestParameters;
    QMap<QString, MappingTemplate> requestTemplates; // by content type, lower case
    // What a body whose content type has no template does: passed through when no template
    // matches (WHEN_NO_MATCH), only when there are no templates (WHEN_NO_TEMPLATES), never.
    enum class Passthrough { WhenNoMatch, WhenNoTemplates, Never };
    Passthrough passthrough = Passthrough::WhenNoMatch;
    struct Response
    {
        QString pattern; // a regular expression; empty: the default response
        QRegularExpression selection; // the pattern, matching a whole status or message
        int status = 200;
        QMap<QString, MappingTemplate> templates; // responseTemplates, by content type
        // responseParameters: a header of the client's answer and where its value comes from
        // ("'no-store'", "integration.response.header.X", "integration.response.body.a.b").
        QList<std::pair<QByteArray, QString>> headers;
    };
    QList<Response> responses; // in the order written
};

// One route: a method and a path template, integrated with a function by Lambda proxy, or
// (`service`) by a non-proxy integration.
struct ApiRoute
{
    QString method; // "GET", …, or "ANY"
    QString path; // "/items/{id}", "/files/{proxy+}", or "$default" (HTTP APIs)
    QString function; // the function's name ("" when the integration is not a function)
    QString qualifier; // an alias or version, when the integration names one
    int payloadVersion = 1; // 1: payload format 1.0; 2: 2.0
    int timeoutMs = 0; // the integration's TimeoutInMillis; 0: the API's default
    QString origin; // where it was defined, for messages ("event GetItem of ItemsFunction")
    // The authorizer's name; empty: the API's default; "NONE": none.
    QString authorizer;
    QStringList scopes; // JWT: the scopes a token must have one of
    bool apiKeyRequired = false; // REST: x-api-key must be one of the stack's keys
    QString functionLogicalId; // the template's name for the function, when an event made it
    std::shared_ptr<const ApiServiceIntegration> service; // null: Lambda proxy

    // Whether the route is served: it has a function or an integration Tarmac runs.
    bool served() const
    {
        return !function.isEmpty() || (service && service->service != u"lambda");
    }

    // "GET /items/{id}", "$default": an HTTP API's route key
    QString routeKey() const;
};

// An API as it is served: a REST API (payload 1.0, stage in the path) or an HTTP API.
struct ApiDefinition
{
    QString id; // "a1b2c3d4e5"
    QString name;
    QString logicalId; // in the template, or empty
    bool http = false; // an HTTP API (ApiGatewayV2)
    QString stage; // "Prod"; "$default" serves at the root
    QMap<QString, QString> stageVariables;
    QStringList binaryMediaTypes; // "image/png", "image/*", "*/*"
    std::optional<ApiCors> cors;
    QList<ApiRoute> routes;
    QStringList unsupported; // what the definition has that Tarmac does not serve
    QList<ApiAuthorizer> authorizers;
    QString defaultAuthorizer; // for routes that name none
    bool apiKeyRequired = false; // the default for routes (REST)

    // The route's authorizer, or null when it has none.
    const ApiAuthorizer *authorizerFor(const ApiRoute &route) const;

    int defaultTimeoutMs() const { return http ? 30'000 : 29'000; }
};

// A route matched to a request: which one, and the path parameters it captured (decoded).
struct RouteMatch
{
    const ApiRoute *route = nullptr;
    const ApiDefinition *api = nullptr;
    QList<std::pair<QString, QString>> pathParameters;
};

// An API's routes compiled for matching: the most specific route wins, as API Gateway
// chooses (a literal segment over a {parameter} over a greedy {proxy+}, compared from the
// first segment; a method over ANY; then $default). Paths are matched segment by segment
// on their decoded form.
class RouteTable
{
public:
    // Adds an API's routes. A route whose method and path some route added before has (in
    // this API or another) is not added: the answer names both, one line each.
    QStringList add(const ApiDefinition &api);
    // The route for a request to `decodedPath` (segments already split on '/').
    std::optional<RouteMatch> match(const QByteArray &method, const QStringList &segments) const;
    bool isEmpty() const { return m_routes.isEmpty(); }
    // Whether any route has this path (so an OPTIONS request is for a known resource).
    bool hasPath(const QStringList &segments) const;

private:
    enum class Part : unsigned char { Greedy, Parameter, Literal };
    struct Compiled
    {
        const ApiRoute *route;
        const ApiDefinition *api;
        QList<Part> parts;
        QStringList texts; // literal text, or the parameter's name
        bool any = false;
        bool isDefault = false;
    };
    static Compiled compile(const ApiRoute &route, const ApiDefinition &api);
    static bool matches(const Compiled &c, const QStringList &segments,
        QList<std::pair<QString, QString>> *parameters);
    static bool moreSpecific(const Compiled &a, const Compiled &b);

    QList<Compiled> m_routes;
};

// A path split into decoded segments: "/a%20b/c/" → {"a b", "c", ""}; "/" → {}.
QStringList pathSegments(const QByteArray &rawPath);

} // namespace tarmac
