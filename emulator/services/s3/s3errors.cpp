#include "services/s3/s3errors.h"

namespace tarmac::s3errors {

namespace {

Error e(const char *code, QString message, int status)
{
    return makeError(QString::fromLatin1(code), std::move(message), status);
}

} // namespace

Error noSuchBucket(const QString &bucket)
{
    return e("NoSuchBucket", QStringLiteral("The specified bucket does not exist: ") + bucket, 404);
}

Error noSuchKey(const QByteArray &key)
{
    return e("NoSuchKey",
        QStringLiteral("The specified key does not exist: ") + QString::fromUtf8(key), 404);
}

Error noSuchUpload(const QByteArray &uploadId)
{
    return e("NoSuchUpload",
        QStringLiteral("The specified upload does not exist. The upload ID may be invalid, "
                       "or the upload may have been aborted or completed: ")
            + QString::fromLatin1(uploadId),
        404);
}

Error bucketNotEmpty(const QString &bucket)
{
    return e("BucketNotEmpty",
        QStringLiteral("The bucket you tried to delete is not empty: ") + bucket, 409);
}

Error bucketAlreadyOwnedByYou(const QString &bucket)
{
    return e("BucketAlreadyOwnedByYou",
        QStringLiteral("Your previous request to create the named bucket succeeded and you "
                       "already own it: ")
            + bucket,
        409);
}

Error invalidBucketName(const QString &bucket)
{
    return e(
        "InvalidBucketName", QStringLiteral("The specified bucket is not valid: ") + bucket, 400);
}

Error keyTooLong(qsizetype size)
{
    return e("KeyTooLongError",
        QStringLiteral("Your key is too long: %1 bytes, the limit is 1024").arg(size), 400);
}

Error entityTooLarge(qint64 size, qint64 limit)
{
    return e("EntityTooLarge",
        QStringLiteral("Your proposed upload (%1 bytes) exceeds the maximum allowed object "
                       "size (%2 bytes)")
            .arg(size)
            .arg(limit),
        400);
}

Error entityTooSmall()
{
    return e("EntityTooSmall",
        QStringLiteral("Your proposed upload is smaller than the minimum allowed object size: "
                       "every part but the last must be at least 5 MiB"),
        400);
}

Error invalidPart(int partNumber)
{
    return e("InvalidPart",
        QStringLiteral("One or more of the specified parts could not be found, or its entity "
                       "tag did not match: part %1")
            .arg(partNumber),
        400);
}

Error invalidPartOrder()
{
    return e("InvalidPartOrder",
        QStringLiteral("The list of parts was not in ascending order. Parts must be ordered "
                       "by part number."),
        400);
}

Error invalidRange(qint64 size)
{
    return e("InvalidRange",
        QStringLiteral("The requested range is not satisfiable (object size %1)").arg(size), 416);
}

Error malformedXml(const QString &why)
{
    QString message = QStringLiteral("The XML you provided was not well-formed or did not "
                                     "validate against our published schema");
    if (!why.isEmpty())
        message += QStringLiteral(": ") + why;
    return e("MalformedXML", message, 400);
}

Error preconditionFailed(const QString &condition)
{
    return e("PreconditionFailed",
        QStringLiteral("At least one of the pre-conditions you specified did not hold: ")
            + condition,
        412);
}

Error notModified()
{
    return e("NotModified", QStringLiteral("Not Modified"), 304);
}

Error notImplemented(const QString &what)
{
    return e("NotImplemented",
        QStringLiteral("A header or query you provided implies functionality that is not "
                       "implemented: ")
            + what,
        501);
}

Error invalidArgument(const QString &message)
{
    return e("InvalidArgument", message, 400);
}

Error invalidRequest(const QString &message)
{
    return e("InvalidRequest", message, 400);
}

Error badDigest(const QString &message)
{
    return e("BadDigest", message, 400);
}

Error invalidDigest(const QString &message)
{
    return e("InvalidDigest", message, 400);
}

Result<void> checkContentMd5(const std::optional<QByteArray> &header, const QByteArray &md5)
{
    if (!header)
        return {};
    const QByteArray raw = QByteArray::fromBase64(*header);
    if (raw.size() != 16)
        return invalidDigest(QStringLiteral("The Content-MD5 you specified is not valid."));
    if (raw != md5)
        return badDigest(QStringLiteral("The Content-MD5 you specified did not match what we "
                                        "received."));
    return {};
}

Error methodNotAllowed()
{
    return e("MethodNotAllowed",
        QStringLiteral("The specified method is not allowed against this resource."), 405);
}

Error signatureDoesNotMatch(const QString &message)
{
    return e("SignatureDoesNotMatch", message, 403);
}

Error invalidAccessKeyId()
{
    return e("InvalidAccessKeyId",
        QStringLiteral("The AWS Access Key Id you provided does not exist in our records."), 403);
}

Error accessDenied(const QString &message)
{
    return e("AccessDenied", message, 403);
}

Error internalError(const QString &message)
{
    return e("InternalError", message, 500);
}

Error invalidTag(const QString &message)
{
    return e("InvalidTag", message, 400);
}

Error missingContentLength()
{
    return e("MissingContentLength",
        QStringLiteral("You must provide the Content-Length HTTP header."), 411);
}

} // namespace tarmac::s3errors
