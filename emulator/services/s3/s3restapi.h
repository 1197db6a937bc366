#pragma once

#include "http/httphandler.h"
#include "services/s3/s3access.h"
#include "services/s3/s3store.h"

#include <QHash>
#include <QMutex>

#include <memory>

namespace tarmac {

class Clock;
class S3Notifier;
class S3SignatureVerifier;
class Tracer;
struct S3BucketAccess;
struct S3Call;
struct XmlElement;
namespace s3xml {
struct CorsRule;
}
namespace s3sse {
struct BucketEncryption;
struct Encryption;
}
namespace s3lifecycle {
struct Configuration;
}

// S3's REST-XML wire protocol on the edge port (PROTOCOLS.md §4): picks the operation from
// method, path (path-style or virtual-host bucket) and query flags, reads headers and bodies
// into model calls, and writes S3's answers and XML errors. Upload bodies are decoded
// (aws-chunked) and digested while they are staged to disk; GET bodies are streamed from the
// blob file. Content-MD5, x-amz-content-sha256 and x-amz-checksum-* are checked.
//
// Called on the edge's I/O threads: it keeps no per-request state outside the call, and its
// caches (CORS rules) are behind a mutex. Signatures are not verified (any credentials are
// accepted) unless a verifier is set; versioning, object lock, ACLs, policies and website
// hosting answer NotImplemented.
class S3RestApi : public HttpHandler
{
public:
    S3RestApi(
        S3Store *store, S3Notifier *notifier, Tracer *tracer, const Clock *clock, QString region);
    ~S3RestApi() override;

    qint64 maxBodySize(const HttpRequest &head) const override;
    // EntityTooLarge for uploads over 5 GiB (answered before the body is read).
    HttpResponse bodyTooLarge(const HttpRequest &head) const override;
    // 400 RequestTimeout, S3's answer to a body that stopped coming.
    HttpResponse requestTimeout(const HttpRequest &head) const override;
    void handle(HttpRequest &&request, HttpResponder responder) override;
    // S3's XML InternalError (500).
    HttpResponse internalError(const HttpRequest &head, const QString &message) const override;

    // Checks SigV4 on every request (CORS preflights excepted: browsers send them unsigned).
    // Set before the API serves requests.
    void setSignatureVerifier(std::shared_ptr<const S3SignatureVerifier> verifier);

    // The bucket's settings changed in the store: drop cached CORS rules and notifications.
    void invalidateBucketCaches(const QString &bucket); // empty: every bucket's
    // Called (on an I/O thread) when a bucket's lifecycle configuration changed.
    void setLifecycleChanged(std::function<void(const QString &bucket)> changed)
    {
        m_lifecycleChanged = std::move(changed);
    }

private:
    HttpResponse dispatch(S3Call &call);
    HttpResponse error(const S3Call &call, const Error &error) const;

    // Service and buckets.
    HttpResponse listBuckets(S3Call &call);
    HttpResponse createBucket(S3Call &call);
    HttpResponse headBucket(S3Call &call);
    HttpResponse deleteBucket(S3Call &call);
    HttpResponse bucketLocation(S3Call &call);
    HttpResponse putBucketDocument(S3Call &call);
    HttpResponse getBucketDocument(S3Call &call);
    HttpResponse deleteBucketDocument(S3Call &call);
    HttpResponse listObjects(S3Call &call, bool v2);
    HttpResponse bucketVersioning(S3Call &call);
    HttpResponse putBucketVersioning(S3Call &call);
    HttpResponse listObjectVersions(S3Call &call);
    HttpResponse bucketEncryptionDocument(S3Call &call); // Get/Put/DeleteBucketEncryption
    HttpResponse objectLockConfiguration(S3Call &call); // Get/PutObjectLockConfiguration
    HttpResponse objectLockSettings(S3Call &call); // Get/PutObjectRetention, Get/PutObjectLegalHold
    HttpResponse lifecycleDocument(S3Call &call); // Get/Put/DeleteBucketLifecycleConfiguration
    // Website, logging, requester pays, acceleration and replication: validated, kept and
    // given back as S3 does, without acting on them (no website endpoint, no access logs).
    HttpResponse configurationDocument(S3Call &call);
    // A configuration document's checks beyond its schema (flag: which one).
    Result<void> checkConfiguration(const S3Call &call, quint32 flag, const XmlElement &root) const;
    std::shared_ptr<const s3lifecycle::Configuration> lifecycle(const QString &bucket);
    // x-amz-expiration, when a lifecycle rule will expire the object.
    void addExpirationHeader(HttpResponse &r, const S3Object &o);
    HttpResponse deleteObjects(S3Call &call);
    HttpResponse listUploads(S3Call &call);
    HttpResponse preflight(S3Call &call);

    // Objects.
    HttpResponse putObject(S3Call &call);
    HttpResponse postObject(S3Call &call); // browser form upload (s3postobject.cpp)
    HttpResponse getObject(S3Call &call, bool head);
    HttpResponse deleteObject(S3Call &call);
    HttpResponse copyObject(S3Call &call);
    // A copy whose bytes change (SSE-C source or target): decrypted, re-encrypted and stored
    // as a new object.
    HttpResponse copyEncrypted(S3Call &call, const S3Object &source,
        const s3sse::Encryption &sourceEncryption, const QByteArray &sourceKey,
        const s3sse::Encryption &encryption, const S3ObjectAttributes *replaced,
        const QByteArray *tagging);
    HttpResponse objectTagging(S3Call &call);
    HttpResponse objectAttributes(S3Call &call);
    // A read that found a delete marker: S3's answer, with the marker's headers.
    HttpResponse deleteMarkerAnswer(
        const S3Call &call, const S3Object &marker, bool byVersion) const;
    HttpResponse putObjectTagging(S3Call &call);
    HttpResponse deleteObjectTagging(S3Call &call);
    // Access control (s3restaccess.cpp).
    HttpResponse acl(S3Call &call); // Get/PutBucketAcl, Get/PutObjectAcl
    // Bucket policy and its status, public access block, ownership controls.
    HttpResponse accessDocument(S3Call &call);
    // A new bucket's ownership, public access block and ACL (CreateBucket's headers).
    Result<void> setUpNewBucket(const S3Call &call);
    // Only when signatures are verified: AccessDenied unless the requester may do this.
    Result<void> authorizeRequest(const S3Call &call);
    std::shared_ptr<const S3BucketAccess> bucketAccess(const QString &bucket);
    S3Acl objectAclOf(const S3Object &o, const S3BucketAccess &access) const;
    // A new version's system values with its owner and ACL (x-amz-acl, x-amz-grant-*).
    Result<QByteArray> applyObjectAcl(const S3Call &call, const QByteArray &system);
    S3Account accountByCanonicalId(const QString &canonicalId) const;
    S3AccountLookup accountLookup() const;

    // Multipart.
    HttpResponse createUpload(S3Call &call);
    HttpResponse uploadPart(S3Call &call);
    HttpResponse uploadPartCopy(S3Call &call);
    HttpResponse completeUpload(S3Call &call);
    HttpResponse abortUpload(S3Call &call);
    HttpResponse listParts(S3Call &call);

    // Shared steps.
    Result<S3StagedBody> stageUpload(
        S3Call &call, ChecksumAlgorithm uploadAlgorithm, bool *ownsFile);
    Result<S3ObjectAttributes> attributesFrom(const S3Call &call) const;
    void addCorsHeaders(const S3Call &call, HttpResponse &response);
    std::shared_ptr<const QList<s3xml::CorsRule>> corsRules(const QString &bucket);
    // The bucket's default encryption; null when none is configured. Cached like CORS rules.
    std::shared_ptr<const s3sse::BucketEncryption> bucketEncryption(const QString &bucket);
    // What a write (PUT, COPY, CreateMultipartUpload) encrypts with: the request's headers over
    // the bucket's default. Nothing asked and no default: an empty Encryption (SSE-S3).
    Result<s3sse::Encryption> writeEncryption(const S3Call &call);
    // A new version's system values with its object lock (the request's headers over the
    // bucket's default retention); InvalidRequest for lock headers on a bucket without it.
    Result<QByteArray> applyObjectLock(const S3Call &call, const QByteArray &system);
    // Refuses removing a locked version (object-lock buckets only).
    S3Store::VersionGuard deleteGuard(const S3Call &call) const;

    S3Store *m_store;
    S3Notifier *m_notifier;
    Tracer *m_tracer;
    const Clock *m_clock;
    QString m_region;
    std::shared_ptr<const S3SignatureVerifier> m_verifier;
    QMutex m_corsMutex;
    QHash<QString, std::shared_ptr<const QList<s3xml::CorsRule>>> m_cors;
    QHash<QString, std::shared_ptr<const s3sse::BucketEncryption>> m_encryption; // null: none
    QHash<QString, std::shared_ptr<const S3BucketAccess>> m_access;
    QHash<QString, std::shared_ptr<const s3lifecycle::Configuration>> m_lifecycle; // null: none
    std::function<void(const QString &)> m_lifecycleChanged;
    const S3Account m_defaultAccount = s3access::defaultAccount();
};

} // namespace tarmac
