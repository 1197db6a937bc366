#pragma once

#include "base/result.h"
#include "services/s3/s3store.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <vector>

class QXmlStreamWriter;

namespace tarmac {

// The XML documents S3 clients send (request bodies) and the pieces of the ones Tarmac sends
// back. Requests are read with QXmlStreamReader into a small bounded tree (no DTDs, no entity
// expansion beyond XML's five, depth and element count capped) and then into typed structs;
// anything that does not fit the schema is MalformedXML. Names are matched without namespace,
// as botocore and the JS SDK send them.
struct XmlElement
{
    QString name;
    QString text;
    std::vector<XmlElement> children;

    const XmlElement *child(QStringView childName) const;
    QString childText(QStringView childName) const;
};

namespace s3xml {

constexpr int kMaxDepth = 12;
constexpr int kMaxElements = 30000;

Result<XmlElement> parse(const QByteArray &document);

struct DeleteRequest
{
    bool quiet = false;
    QList<QByteArray> keys;
    QList<QByteArray> versionIds; // one per key; empty: the current version
};
Result<DeleteRequest> parseDelete(const QByteArray &document);

// VersioningConfiguration: Status Enabled or Suspended (MfaDelete accepted when Disabled).
Result<S3Versioning> parseVersioning(const QByteArray &document);

Result<QList<S3CompletedPart>> parseCompleteMultipartUpload(const QByteArray &document);

// Empty location for an empty body or an empty LocationConstraint.
Result<QString> parseCreateBucketConfiguration(const QByteArray &document);

struct Tag
{
    QString key;
    QString value;

    friend bool operator==(const Tag &, const Tag &) = default;
};
// `maxTags`: 10 for objects, 50 for buckets.
Result<QList<Tag>> parseTagging(const QByteArray &document, int maxTags);
// The x-amz-tagging header form (url-encoded k=v&k=v) and back.
Result<QList<Tag>> parseTaggingHeader(const QByteArray &header);
QByteArray taggingToHeader(const QList<Tag> &tags);
QByteArray renderTagging(const QList<Tag> &tags);

struct CorsRule
{
    QString id;
    QStringList allowedOrigins;
    QStringList allowedMethods;
    QStringList allowedHeaders;
    QStringList exposeHeaders;
    int maxAgeSeconds = -1;
};
Result<QList<CorsRule>> parseCors(const QByteArray &document);
QByteArray renderCors(const QList<CorsRule> &rules);

// One notification target: a function (CloudFunction), a queue or a topic.
struct NotificationTarget
{
    QString id;
    QString kind; // "CloudFunction", "Queue", "Topic"
    QString arn;
    QStringList events; // "s3:ObjectCreated:*"
    QString prefix;
    QString suffix;
};
struct NotificationConfiguration
{
    QList<NotificationTarget> targets;
    bool eventBridge = false;
};
Result<NotificationConfiguration> parseNotification(const QByteArray &document);
QByteArray renderNotification(const NotificationConfiguration &configuration);

// Whether an event name ("ObjectCreated:Put") matches a configured one ("s3:ObjectCreated:*").
bool eventMatches(const QString &configured, const QString &eventName);

// `<?xml …?><Root xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` and its close.
void beginDocument(QXmlStreamWriter &w, const QString &root);
void endDocument(QXmlStreamWriter &w);
// ISO 8601 with milliseconds and Z, as S3's XML uses.
QString isoTime(qint64 ns);

} // namespace s3xml
} // namespace tarmac
