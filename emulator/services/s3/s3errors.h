#pragma once

#include "base/result.h"

#include <QByteArray>
#include <QString>

#include <optional>

// S3's error vocabulary (PROTOCOLS.md §4.4): the model returns these, and only the wire API
// turns them into S3's XML error body. Codes and statuses are S3's own.
namespace tarmac::s3errors {

Error noSuchBucket(const QString &bucket);
Error noSuchKey(const QByteArray &key);
Error noSuchUpload(const QByteArray &uploadId);
Error bucketNotEmpty(const QString &bucket);
Error bucketAlreadyOwnedByYou(const QString &bucket);
Error invalidBucketName(const QString &bucket);
Error keyTooLong(qsizetype size);
Error entityTooLarge(qint64 size, qint64 limit);
Error entityTooSmall();
Error invalidPart(int partNumber);
Error invalidPartOrder();
Error invalidRange(qint64 size);
Error malformedXml(const QString &why = {});
Error preconditionFailed(const QString &condition);
Error notModified();
Error notImplemented(const QString &what);
Error invalidArgument(const QString &message);
Error invalidRequest(const QString &message);
Error badDigest(const QString &message);
Error invalidDigest(const QString &message);
// A Content-MD5 value (base64; nullopt when not sent) against the body's raw MD5: InvalidDigest
// when it is not an MD5 at all (an empty value included), BadDigest when it differs.
Result<void> checkContentMd5(const std::optional<QByteArray> &header, const QByteArray &md5);
Error methodNotAllowed();
Error signatureDoesNotMatch(const QString &message);
Error invalidAccessKeyId();
Error accessDenied(const QString &message);
Error internalError(const QString &message);
Error invalidTag(const QString &message);
Error missingContentLength();

} // namespace tarmac::s3errors
