#pragma once

#include <QByteArray>
#include <QString>

namespace tarmac {

// What a service needs to call another one through the edge port, as an SDK would.

// The JSON protocol of a service Tarmac runs: its X-Amz-Target prefix, content type, the
// prefix of the errors Step Functions' tasks get from it ("DynamoDb.…"), and its SigV4 scope.
struct EdgeJsonService
{
    const char *name; // as integrations name it: "dynamodb", "states" (also "sfn")
    const char *targetPrefix; // "DynamoDB_20120810."
    const char *contentType; // "application/x-amz-json-1.0"
    const char *errorPrefix; // "DynamoDb"
    const char *scope; // "dynamodb"
};
// Null for a service that has no JSON protocol here.
const EdgeJsonService *edgeJsonService(const QString &name);

// The Authorization header of a call Tarmac makes itself (`caller` is the calling service, as
// the credential's access key): the edge routes by it; its signature is not checked.
QByteArray edgeAuthorization(const char *caller, const QString &region, const char *scope);

} // namespace tarmac
