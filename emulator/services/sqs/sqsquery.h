#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QByteArray>
#include <QString>

namespace tarmac::sqsquery {

// SQS's query protocol (form-encoded `Action=…` requests, XML answers), what SDKs released
// before the JSON protocol (late 2023) speak, translated to and from the JSON protocol's
// shapes so that both are served by the same operations. Pure, for SqsJsonApi and for
// fuzz/fuzz_sqsapi.cpp; every outcome is a value or SQS's own 4xx error.

struct Request
{
    QString operation; // "SendMessage"
    Json body; // the JSON protocol's request for it
};

// A request's form fields (the body, then the URL's query) as the JSON protocol's request:
// `Attribute.N.Name/Value` → Attributes, `MessageAttribute.N.Name/Value.*` →
// MessageAttributes, `SendMessageBatchRequestEntry.N.*` → Entries, `AttributeName.N` →
// AttributeNames, … Numbers become JSON numbers when they are numbers (otherwise the
// operation answers the field's wrong type). A request sent to a queue's URL without a
// QueueUrl field gets the path as its QueueUrl, as older clients do.
Result<Request> toJsonRequest(
    const QByteArray &form, const QByteArray &urlQuery, const QString &path);

// The JSON protocol's answer to `operation` as the query protocol's XML document.
QByteArray toXml(const QString &operation, const Json &result, const QByteArray &requestId);

// An error as the query protocol's XML document (`code` is the legacy code:
// AWS.SimpleQueueService.NonExistentQueue).
QByteArray errorXml(
    const QByteArray &code, const QString &message, bool sender, const QByteArray &requestId);

} // namespace tarmac::sqsquery
