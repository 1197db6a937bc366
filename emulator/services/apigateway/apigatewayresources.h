#pragma once

#include "base/result.h"
#include "services/apigateway/apimodel.h"
#include "template/resourcetype.h"

namespace tarmac::apigatewayresources {

// API Gateway's part of templates: SAM's AWS::Serverless::Api and AWS::Serverless::HttpApi,
// CloudFormation's AWS::ApiGateway::RestApi/Stage/Deployment and AWS::ApiGatewayV2::Api/Stage,
// and SAM's `Api` and `HttpApi` function events. An event without a RestApiId/ApiId adds its
// route to the implicit API (ServerlessRestApi, ServerlessHttpApi), as the SAM transform
// does; one with an id adds it to that API. The routes go into the API's own
// "Tarmac::Routes" list, so the API is made after its functions.
QList<const ResourceType *> resourceTypes();
QList<const FunctionEventType *> functionEventTypes();

// The property events add their routes to.
inline constexpr char kRoutesProperty[] = "Tarmac::Routes";

// The API a resource of an API type defines, from its resolved properties (and, for
// DefinitionUri, the document check() read). Its stage is the one the resource names
// (StageName), or API Gateway's default for it; a Stage resource may change it later.
Result<ApiDefinition> definitionOf(const StackResource &resource);

// A Stage resource: the API id it belongs to, its name and its variables.
struct StageOf
{
    QString apiId;
    QString name;
    QMap<QString, QString> variables;
};
std::optional<StageOf> stageOf(const StackResource &resource);

// An AWS::ApiGateway::ApiKey: its logical id and the value x-api-key must carry (its Value,
// or one derived from the stack and logical id, stable from one start to the next); an empty
// value for a disabled key.
std::optional<std::pair<QString, QString>> apiKeyOf(const StackResource &resource);

// A part of an API in plain CloudFormation: a REST API's resource (a path part under a
// parent) or method (its integration), an HTTP API's integration or route.
struct ApiPart
{
    enum class Kind { Resource, Method, Integration, Route, Authorizer };
    Kind kind = Kind::Resource;
    QString id; // its physical id
    QString logicalId;
    QString apiId;
    QString parentId; // a resource's parent, a method's resource, a route's integration
    QString pathPart;
    ApiRoute route; // a method's or an integration's function, a route's key
    // An AWS::ApiGateway::Authorizer, named by its physical id (a method's AuthorizerId).
    std::optional<ApiAuthorizer> authorizer;
    QString unsupported; // what of it is not served, for the log
};
std::optional<ApiPart> partOf(const StackResource &resource);
// An API's routes from its parts.
QList<ApiRoute> assembleRoutes(
    const QString &apiId, const QString &rootResourceId, const QList<ApiPart> &parts);
// An API's authorizers from its parts.
QList<ApiAuthorizer> assembleAuthorizers(const QString &apiId, const QList<ApiPart> &parts);
// A REST API's root resource id (its RootResourceId attribute).
QString rootResourceId(const QString &apiId);

// Whether the type is one of the API types (not a stage or a deployment).
bool isApiType(const QString &type);

} // namespace tarmac::apigatewayresources
