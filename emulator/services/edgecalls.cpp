#include "services/edgecalls.h"

namespace tarmac {

namespace {

const EdgeJsonService kJsonServices[] = {
    {"sqs", "AmazonSQS.", "application/x-amz-json-1.0", "SQS", "sqs"},
    {"dynamodb", "DynamoDB_20120810.", "application/x-amz-json-1.0", "DynamoDb", "dynamodb"},
    {"events", "AWSEvents.", "application/x-amz-json-1.1", "EventBridge", "events"},
    {"eventbridge", "AWSEvents.", "application/x-amz-json-1.1", "EventBridge", "events"},
    {"sfn", "AWSStepFunctions.", "application/x-amz-json-1.0", "StepFunctions", "states"},
    {"states", "AWSStepFunctions.", "application/x-amz-json-1.0", "StepFunctions", "states"},
};

} // namespace

const EdgeJsonService *edgeJsonService(const QString &name)
{
    for (const EdgeJsonService &s : kJsonServices) {
        if (name == QLatin1String(s.name))
            return &s;
    }
    return nullptr;
}

QByteArray edgeAuthorization(const char *caller, const QString &region, const char *scope)
{
    return QByteArray("AWS4-HMAC-SHA256 Credential=") + caller + "/20260101/" + region.toUtf8()
        + '/' + scope + "/aws4_request, SignedHeaders=host, Signature=0";
}

} // namespace tarmac
