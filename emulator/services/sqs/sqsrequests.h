#pragma once

#include "base/json.h"
#include "base/result.h"
#include "services/sqs/sqsstore.h"

#include <QString>
#include <QStringList>

#include <optional>

namespace tarmac::sqsrequests {

// What SQS's JSON API reads from the network, without the store or the wire: pure, for
// SqsJsonApi and for fuzz/fuzz_sqsapi.cpp. Everything comes back as a value or as SQS's own
// 4xx error, never an exception.

Error sqsError(const QString &code, const QString &message);
Error missing(const char *parameter);

// The queue a QueueUrl names: its last path segment, whatever the host (SDKs send the URL
// CreateQueue gave them, or their own).
Result<QString> queueFromUrl(const QString &url);
// The queue an SQS ARN names (arn:aws:sqs:REGION:ACCOUNT:NAME), or empty for anything else.
QString queueFromArn(const QString &arn);

// MessageAttributes (or, `system`, MessageSystemAttributes: AWSTraceHeader only) of a send:
// {name: {DataType, StringValue | BinaryValue}}, at most 10, names not starting with AWS. or
// Amazon., types String, Number or Binary with an optional custom suffix.
Result<SqsAttributes> readAttributes(JsonFields &fields, const char *key, bool system);
// A send's fields: SendMessage, or one entry of SendMessageBatch.
Result<SqsSendRequest> readSend(JsonFields &fields);
// A batch's Entries, checked as SQS checks them (EmptyBatchRequest, TooManyEntriesInBatchRequest,
// InvalidBatchEntryId, BatchEntryIdsNotDistinct): their ids, in order.
Result<QStringList> checkBatchEntries(const Json *entries);

// A receipt handle SqsStore made: the message's sequence and the receive it came from;
// nullopt for anything else.
std::optional<std::pair<qint64, qint64>> parseReceiptHandle(const QString &handle);

} // namespace tarmac::sqsrequests
