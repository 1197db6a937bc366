#pragma once

#include "base/result.h"
#include "template/resourcetype.h"

#include <QMap>
#include <QString>

namespace tarmac::sqsresources {

// SQS's part of templates: AWS::SQS::Queue (its Ref, the queue URL, and attributes Arn,
// QueueName, QueueUrl; its properties become the queue's attributes), AWS::SQS::QueuePolicy
// (accepted, not enforced), and SAM's `SQS` function event, which the SAM transform turns
// into an AWS::Lambda::EventSourceMapping named <Function><Event>.
const ResourceType &queueType();
const ResourceType &queuePolicyType();
const FunctionEventType &sqsEventType();

// The URL AWS gives a queue (what Ref gives in a template), and a queue's name (the last part
// of its URL) and the attributes its properties set.
QString awsQueueUrl(const QString &region, const QString &accountId, const QString &name);
QString queueName(const QString &physicalId);
Result<QMap<QString, QString>> queueAttributes(const Json &properties);
QMap<QString, QString> queueTags(const Json &properties);

} // namespace tarmac::sqsresources
