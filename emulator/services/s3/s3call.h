#pragma once

// Private to the S3 wire API (s3restapi.cpp and s3restaccess.cpp): one request on its way
// through it, and the small answers every handler makes.

#include "http/httpmessage.h"
#include "services/s3/awschunkeddecoder.h"
#include "services/s3/s3errors.h"
#include "services/s3/s3store.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace tarmac {

struct S3Account;

// The query flags that pick a bucket or object sub-resource.
enum S3Flag : quint32 {
    FlagNone = 0,
    FlagAcl = 1 << 0,
    FlagCors = 1 << 1,
    FlagDelete = 1 << 2,
    FlagLocation = 1 << 3,
    FlagNotification = 1 << 4,
    FlagTagging = 1 << 5,
    FlagUploads = 1 << 6,
    FlagUploadId = 1 << 7,
    FlagPartNumber = 1 << 8,
    FlagListType = 1 << 9,
    FlagVersioning = 1 << 10,
    FlagVersions = 1 << 11,
    FlagObjectLock = 1 << 12,
    FlagUnsupported = 1 << 13, // policy, lifecycle, website, … : NotImplemented
    FlagRetention = 1 << 14,
    FlagLegalHold = 1 << 15,
    FlagVersionId = 1 << 16,
    FlagEncryption = 1 << 17,
    FlagAttributes = 1 << 18,
    FlagPolicy = 1 << 19,
    FlagPolicyStatus = 1 << 20,
    FlagPublicAccessBlock = 1 << 21,
    FlagOwnership = 1 << 22,
    FlagLifecycle = 1 << 23,
    FlagWebsite = 1 << 24,
    FlagLogging = 1 << 25,
    FlagRequestPayment = 1 << 26,
    FlagAccelerate = 1 << 27,
    FlagReplication = 1 << 28,
};

// One request on its way through the API.
struct S3Call
{
    HttpRequest request;
    QString bucket;
    QByteArray key;
    quint32 flags = FlagNone;
    // Who is asking: the default account without signature verification, the signer's
    // account with it, nullptr for an anonymous (unsigned) request.
    const S3Account *requester = nullptr;
    QList<std::pair<QByteArray, QByteArray>> query;
    QString operation;
    qint64 startNs = 0;
    qint64 size = -1; // bytes stored or served, for the span
    std::optional<AwsChunkedDecoder::Signing> chunkSigning; // signed aws-chunked, when verifying

    QByteArray queryValue(const char *name) const
    {
        for (const auto &[k, v] : query) {
            if (k == name)
                return v;
        }
        return {};
    }
    bool hasQuery(const char *name) const
    {
        for (const auto &q : query) {
            if (q.first == name)
                return true;
        }
        return false;
    }
    QByteArray header(const char *name) const { return request.header(QByteArray(name)); }
    QByteArray resource() const
    {
        QByteArray r = '/' + bucket.toUtf8();
        if (!key.isEmpty())
            r += '/' + key;
        return r;
    }
    S3Origin origin() const
    {
        return {
            request.requestId, request.traceId, request.spanId, request.peerAddress().toString()};
    }
};

// The versionId query parameter: which version an object operation means.
inline Result<S3VersionRef> versionRefOf(const S3Call &call)
{
    if (!(call.flags & FlagVersionId))
        return S3VersionRef();
    const QByteArray id = call.queryValue("versionId");
    if (id.isEmpty())
        return s3errors::invalidArgument(QStringLiteral("Version id cannot be the empty string"));
    return S3VersionRef(id);
}

// x-amz-version-id on answers about objects of versioned buckets ("null" for the null version).
inline void addVersionHeader(HttpResponse &r, const S3Object &o, S3Versioning versioning)
{
    if (!o.versionId.isEmpty() || versioning != S3Versioning::Unversioned)
        r.headers.add("x-amz-version-id", o.versionName());
}

inline HttpResponse xmlResponse(QByteArray body, int status = 200)
{
    HttpResponse r;
    r.status = status;
    r.headers.add("content-type", "application/xml");
    r.body = std::move(body);
    return r;
}

inline HttpResponse emptyResponse(int status = 200)
{
    HttpResponse r;
    r.status = status;
    return r;
}

} // namespace tarmac
