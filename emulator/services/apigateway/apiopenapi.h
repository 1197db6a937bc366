#pragma once

#include "base/json.h"
#include "services/apigateway/apimodel.h"

namespace tarmac {

// What an OpenAPI 3 or Swagger 2 document (DefinitionBody, DefinitionUri, a RestApi's Body)
// defines that Tarmac serves: each operation whose x-amazon-apigateway-integration is a
// Lambda proxy (aws_proxy) becomes a route to the function its uri names;
// x-amazon-apigateway-any-method is ANY; "$default" is an HTTP API's default route. The
// binary media types and x-amazon-apigateway-cors come along. What is not served (another
// integration type, an operation without an integration) is listed in `unsupported`.
struct OpenApiImport
{
    QString title;
    QList<ApiRoute> routes;
    QStringList binaryMediaTypes;
    std::optional<ApiCors> cors;
    QStringList unsupported;
    // Security schemes with x-amazon-apigateway-authorizer (Lambda TOKEN/REQUEST, JWT), the
    // top-level `security` (the default), an x-api-key scheme used by `security`.
    QList<ApiAuthorizer> authorizers;
    QString defaultAuthorizer;
    bool apiKeyRequired = false;
};
// An error for a document that is not one (no `paths` map, an operation that is not a map).
Result<OpenApiImport> importOpenApi(const Json &document, bool http);

// The function an integration uri names:
// "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:
// 123456789012:function:Name:live/invocations" → "Name", qualifier "live"; a plain function
// ARN or name (an HTTP API's integration) as well. Empty when it names no function.
QString integrationFunction(const QString &uri, QString *qualifier);

// An integration other than a Lambda proxy (x-amazon-apigateway-integration of type "aws",
// "mock", "http" or "http_proxy", keys as OpenAPI writes them: type, uri, httpMethod,
// requestParameters, requestTemplates, passthroughBehavior, responses): an action of a
// JSON-protocol service Tarmac emulates, a function by Lambda's custom integration (its name
// and qualifier then in `function`), a mock, or an HTTP endpoint. An error says why it is not
// served.
Result<ApiServiceIntegration> readServiceIntegration(
    const Json &integration, QString *function, QString *qualifier);
// The same for a CloudFormation AWS::ApiGateway::Method's Integration (Type AWS, MOCK, HTTP or
// HTTP_PROXY, Uri, IntegrationHttpMethod, RequestParameters, RequestTemplates,
// PassthroughBehavior, IntegrationResponses).
Result<ApiServiceIntegration> readMethodIntegration(
    const Json &integration, QString *function, QString *qualifier);
// What the SAM transform makes of a state machine's Api event: StartExecution with the
// request's JSON body as the execution's input (`unescape`: UnescapeMappingTemplate).
std::shared_ptr<const ApiServiceIntegration> startExecutionIntegration(
    const QString &stateMachineArn, bool unescape);

// Whether a non-proxy integration's `action/` uri names a service Tarmac calls on the edge
// port by its JSON protocol (Step Functions, DynamoDB, EventBridge).
bool calledLocally(const QString &service);
// Whether API Gateway calls the service's actions by the query protocol (SQS, SNS): Action=…
// with the request's mapped parameters and body.
bool queryProtocol(const QString &service);

// A string's text; empty for anything else.
QString jsonText(const Json &value);
// A string as a list of one, a list's strings (anything else left out).
QStringList jsonStrings(const Json &value);

// CORS as SAM writes it for an HTTP API (CorsConfiguration: AllowOrigins, AllowMethods, …)
// or as x-amazon-apigateway-cors does (allowOrigins, …).
std::optional<ApiCors> corsFromConfiguration(const Json &config);

} // namespace tarmac
