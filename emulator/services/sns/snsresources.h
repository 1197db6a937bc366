#pragma once

#include "base/result.h"
#include "template/resourcetype.h"

#include <QList>
#include <QMap>
#include <QString>

namespace tarmac::snsresources {

// SNS's part of templates: AWS::SNS::Topic (Ref: the topic's ARN; GetAtt TopicArn and
// TopicName; an inline `Subscription` list), AWS::SNS::Subscription (Ref: the subscription's
// ARN), AWS::SNS::TopicPolicy (accepted, reported as not enforced: IAM is not), and SAM's
// `SNS` function event (a subscription of the function, or with `SqsSubscription` a queue
// between the topic and the function, as the SAM transform makes them).
const ResourceType &topicType();
const ResourceType &subscriptionType();
const ResourceType &topicPolicyType();
const FunctionEventType &snsEventType();

// A subscription as a template sets it: the attributes SetSubscriptionAttributes takes
// (FilterPolicy and RedrivePolicy and DeliveryPolicy as JSON text, FilterPolicyScope,
// RawMessageDelivery as "true"/"false").
struct SubscriptionSpec
{
    QString topicArn;
    QString protocol;
    QString endpoint;
    QMap<QString, QString> attributes;
};

// A topic as a template sets it: its name (the last part of its physical id, the ARN), the
// attributes CreateTopic takes (DisplayName, FifoTopic, ContentBasedDeduplication,
// KmsMasterKeyId, SignatureVersion, TracingConfig, DeliveryPolicy, ArchivePolicy as JSON
// text, …), its tags, and its inline subscriptions.
struct TopicSpec
{
    QString name;
    QMap<QString, QString> attributes;
    QMap<QString, QString> tags;
    QList<SubscriptionSpec> subscriptions;
};

// From a resource's resolved properties; an error names the property that is wrong.
Result<TopicSpec> topicSpec(const QString &physicalId, const Json &properties);
Result<SubscriptionSpec> subscriptionSpec(const Json &properties);

} // namespace tarmac::snsresources
