#pragma once

#include "base/json.h"
#include "base/result.h"
#include "services/apigateway/apimodel.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace tarmac {

class HttpHeaders;

// A request as API Gateway hands it to an integration: what the events are built from.
struct ApiRequest
{
    QByteArray method;
    QByteArray path; // the resource path as sent (percent-encoded), without the stage
    QByteArray query; // the raw query string, without '?'
    const HttpHeaders *headers = nullptr; // names lower-cased, rawName() as sent
    QByteArray body;
    QString sourceIp;
    QString userAgent;
    QByteArray requestId;
    qint64 timeMs = 0; // when it arrived (the clock's time)
    QString domainName; // "a1b2c3d4e5.execute-api.localhost", or the Host the client used
    QString stagePrefix; // "/Prod" when the request named the stage; empty otherwise
    QString accountId = QStringLiteral("000000000000");
    // Headers API Gateway adds to what the client sent (X-Forwarded-For, X-Amzn-Trace-Id):
    // spelled as a REST API spells them; HTTP APIs lower-case them.
    QList<std::pair<QByteArray, QByteArray>> added;
    Json authorizer; // requestContext.authorizer (what an authorizer said); null: none
};

// The body as an event carries it: base64 when `binary` or when it is not valid UTF-8 (never
// mangled), else the text. Null body when there is none.
struct EventBody
{
    QByteArray text; // JSON string contents (not yet escaped)
    bool base64 = false;
    bool present = false;
};
// Whether API Gateway treats a request body of this Content-Type as binary: REST APIs when
// it matches one of the API's binary media types ("image/*", "*/*"); HTTP APIs when it is
// not a text type (text/*, JSON, XML, JavaScript).
bool isBinaryContent(const ApiDefinition &api, const QByteArray &contentType);
EventBody eventBody(const ApiDefinition &api, const ApiRequest &request);

// "10/Mar/2020:00:03:59 +0000"
QString apiRequestTime(qint64 ms);

// Payload format 1.0 (REST APIs, and HTTP API routes that choose it: then with "version").
QByteArray buildEventV1(const RouteMatch &match, const ApiRequest &request);
// Payload format 2.0 (HTTP APIs).
QByteArray buildEventV2(const RouteMatch &match, const ApiRequest &request);

// What the client gets from a function's answer.
struct MappedResponse
{
    int status = 200;
    QList<std::pair<QByteArray, QByteArray>> headers; // as the function named them
    QByteArray body;
};
// A 1.0 answer: {statusCode, headers, multiValueHeaders, body, isBase64Encoded}. Anything
// else (no integer statusCode, a body that is not a string, headers of the wrong type, bad
// base64) is an error whose message says what was wrong: API Gateway answers it with 502.
// `decodeBase64`: whether an isBase64Encoded body goes out decoded (REST APIs decode it when
// the response's Content-Type or the request's Accept is one of the API's binary media
// types; HTTP APIs always do).
Result<MappedResponse> mapResponseV1(
    const QByteArray &payload, const ApiDefinition &api, const QByteArray &accept);
// A 2.0 answer: the same object, plus `cookies`; any other JSON value (an object without
// statusCode, a string, a number) is a 200 whose body is that value ("Hello" as its text).
Result<MappedResponse> mapResponseV2(const QByteArray &payload);

} // namespace tarmac
