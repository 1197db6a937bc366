#pragma once

#include "base/json.h"
#include "base/result.h"
#include "http/httpmessage.h"
#include "services/eventsourcemappings.h"
#include "services/lambda/lambdastore.h"

#include <QMap>
#include <QString>

#include <optional>

// Lambda's requests read into the model's types (PROTOCOLS.md §2): the one place the Lambda
// API reads what a client sent, through JsonFields, so that no field of any type can throw.
// Pure functions with no service behind them, which lets fuzz/fuzz_lambdaapi.cpp reach every
// operation without a state folder or a function process.
//
// A body that is not a JSON object is InvalidRequestContentException, as Lambda answers a
// body it cannot parse; a field of the wrong type is InvalidParameterValueException (400)
// whose message names the field as AWS's validation messages do ("1 validation error
// detected: Value 'x' at 'ephemeralStorage.size' failed to satisfy constraint: Member must be
// an integer"). What only the service can judge (names, limits, existence) the service does.
namespace tarmac::lambdarequests {

constexpr qint64 kMaxSyncPayload = 6 * 1024 * 1024; // 6291456, Invoke's limit
constexpr qint64 kMaxAsyncPayload = 256 * 1024; // Event invocations

Error invalidParameter(const QString &message);

// The request's body as a JSON object; an empty body is an empty object.
Result<Json> bodyObject(const HttpRequest &request);

// The deployment package a request names: the zip itself, or where in S3 to read it.
struct CodeSource
{
    QByteArray zip; // ZipFile, base64-decoded
    QString s3Bucket;
    QString s3Key;
    QString s3ObjectVersion;
    bool fromS3() const { return !s3Bucket.isEmpty(); }
};

// CreateFunction: the function as the service creates it, and its package.
struct CreateFunction
{
    LambdaFunction function;
    CodeSource code;
};
Result<CreateFunction> createFunction(const Json &body);

// UpdateFunctionConfiguration: the fields that were sent; the rest stays as it is.
struct ConfigurationUpdate
{
    QString revisionId; // empty: not sent
    std::optional<QString> runtime;
    std::optional<QString> handler;
    std::optional<QString> role;
    std::optional<QString> description;
    std::optional<QString> tracingMode;
    std::optional<int> timeout;
    std::optional<int> memorySize;
    std::optional<int> ephemeralStorage;
    std::optional<QMap<QString, QString>> environment; // an Environment object was sent
    std::optional<QString> deadLetterTarget; // a DeadLetterConfig was sent ("" removes it)

    void applyTo(LambdaFunction &function) const;
};
Result<ConfigurationUpdate> configurationUpdate(const Json &body);

// UpdateFunctionCode.
struct CodeUpdate
{
    CodeSource code;
    QString revisionId;
    bool dryRun = false;
};
Result<CodeUpdate> codeUpdate(const Json &body);

// PutFunctionConcurrency: ReservedConcurrentExecutions, 0 or more.
Result<int> reservedConcurrency(const Json &body);

// Put (over defaults) and Update (over the current one) FunctionEventInvokeConfig.
Result<EventInvokeConfig> eventInvokeConfig(const Json &body, EventInvokeConfig base);

// CreateEventSourceMapping (`create`) and UpdateEventSourceMapping: the fields sent, and the
// FunctionName as sent, for the API to resolve. Fields Tarmac has no source for (Kafka, MQ,
// DocumentDB, KMS, metrics) are checked for their type and refused when set.
struct EventSourceMappingWrite
{
    std::optional<QString> functionName;
    EventSourceMappingRequest settings;
};
Result<EventSourceMappingWrite> eventSourceMapping(const Json &body, bool create);

// TagResource: the Tags map.
Result<QMap<QString, QString>> tags(const Json &body);

// Invoke's X-Amz-Invocation-Type.
enum class InvocationType { RequestResponse, Event, DryRun };
Result<InvocationType> invocationType(const HttpRequest &request);
// Invoke's X-Amz-Log-Type: whether the answer carries the log's tail.
Result<bool> tailLogs(const HttpRequest &request);
// Invoke's payload: within the type's limit, and JSON ("{}" for an empty body).
Result<QByteArray> invokePayload(const HttpRequest &request, InvocationType type);

} // namespace tarmac::lambdarequests
