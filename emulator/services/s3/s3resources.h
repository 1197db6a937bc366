#pragma once

#include "base/result.h"
#include "services/s3/s3xml.h"
#include "template/resourcetype.h"

#include <QByteArray>
#include <QList>

namespace tarmac {

// S3's part of templates: the AWS::S3::Bucket type (its Ref and attributes, what is
// emulated, the checks CloudFormation makes), AWS::S3::BucketPolicy (accepted, not
// enforced), and SAM's `S3` function event, which adds a LambdaConfiguration naming the
// function to the bucket's NotificationConfiguration, as the SAM transform does.
namespace s3resources {

const ResourceType &bucketType();
const ResourceType &bucketPolicyType();
const FunctionEventType &s3EventType();

// What a bucket's resolved properties set: the bucket's CORS, tagging and notification
// documents (empty: none). `check` (when loading) gets errors with their property and the
// report of what is not emulated; without it an error is a plain message.
struct BucketSettings
{
    QList<s3xml::CorsRule> cors;
    QList<s3xml::Tag> tags;
    s3xml::NotificationConfiguration notification;
    std::optional<S3Versioning> versioning; // VersioningConfiguration's Status
    // The documents the API's Put… calls keep, as they keep them (empty: not in the template).
    QByteArray encryption; // BucketEncryption
    QByteArray publicAccessBlock; // PublicAccessBlockConfiguration
    QByteArray ownership; // OwnershipControls
    QByteArray lifecycle; // LifecycleConfiguration
    QByteArray objectLock; // ObjectLockConfiguration
    QByteArray website; // WebsiteConfiguration
    QByteArray logging; // LoggingConfiguration (an empty TargetBucket: the bucket itself)
    QByteArray accelerate; // AccelerateConfiguration
    bool objectLockEnabled = false; // ObjectLockEnabled
    QString cannedAcl; // AccessControl, as x-amz-acl names it ("public-read")
};
Result<BucketSettings> readBucket(
    const QString &logicalId, const Json &properties, ResourceCheck *check);

} // namespace s3resources

} // namespace tarmac
