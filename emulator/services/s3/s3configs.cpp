#include "services/s3/s3configs.h"

#include "services/s3/s3errors.h"
#include "services/s3/s3xml.h"

namespace tarmac::s3configs {

Result<void> checkWebsite(const XmlElement &root)
{
    const auto invalid = [](const QString &message) { return s3errors::invalidArgument(message); };
    if (const XmlElement *redirect = root.child(u"RedirectAllRequestsTo")) {
        if (redirect->childText(u"HostName").isEmpty())
            return s3errors::malformedXml(QStringLiteral("RedirectAllRequestsTo needs a HostName"));
        if (root.child(u"IndexDocument") || root.child(u"ErrorDocument")
            || root.child(u"RoutingRules"))
            return invalid(QStringLiteral("RedirectAllRequestsTo cannot be provided in "
                                          "conjunction with other Routing/Redirect "
                                          "configurations."));
        return {};
    }
    const XmlElement *index = root.child(u"IndexDocument");
    const QString suffix = index ? index->childText(u"Suffix") : QString();
    if (suffix.isEmpty())
        return invalid(QStringLiteral("A value for IndexDocument Suffix must be provided if "
                                      "RedirectAllRequestsTo is empty"));
    if (suffix.contains(u'/'))
        return invalid(QStringLiteral("The IndexDocument Suffix is not well formed"));
    if (const XmlElement *e = root.child(u"ErrorDocument"); e && e->childText(u"Key").isEmpty())
        return invalid(QStringLiteral("The ErrorDocument Key is not well formed"));
    return {};
}

Result<void> checkLogging(const XmlElement &root)
{
    const XmlElement *enabled = root.child(u"LoggingEnabled");
    if (enabled
        && (enabled->childText(u"TargetBucket").isEmpty() || !enabled->child(u"TargetPrefix")))
        return s3errors::malformedXml(QStringLiteral("LoggingEnabled needs a TargetBucket and a "
                                                     "TargetPrefix"));
    return {};
}

Result<void> checkRequestPayment(const XmlElement &root)
{
    const QString payer = root.childText(u"Payer");
    if (payer != QLatin1String("Requester") && payer != QLatin1String("BucketOwner"))
        return s3errors::malformedXml(QStringLiteral("Payer is Requester or BucketOwner"));
    return {};
}

Result<void> checkAccelerate(const XmlElement &root, const QString &bucket)
{
    const QString status = root.childText(u"Status");
    if (status != QLatin1String("Enabled") && status != QLatin1String("Suspended"))
        return s3errors::malformedXml(QStringLiteral("Status is Enabled or Suspended"));
    if (bucket.contains(u'.'))
        return s3errors::invalidRequest(QStringLiteral("S3 Transfer Acceleration is not supported "
                                                       "for buckets with periods (.) in their "
                                                       "names"));
    return {};
}

Result<void> checkReplication(const XmlElement &root)
{
    if (root.childText(u"Role").isEmpty() || !root.child(u"Rule"))
        return s3errors::malformedXml(QStringLiteral("a replication configuration needs a Role and "
                                                     "at least one Rule"));
    return {};
}

} // namespace tarmac::s3configs
