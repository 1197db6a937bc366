// S3's access control on the wire (the S3RestApi members about who may do what): bucket and
// object ACLs, bucket policies and their status, the public access block, ownership controls,
// the owner of new buckets and objects, and the decision for each request when signatures are
// verified (without verification every request is the default account's, as it always was).
// The rules themselves are s3access.h's; this file reads and writes them.

#include "services/s3/s3restapi.h"

#include "base/clock.h"
#include "services/s3/s3access.h"
#include "services/s3/s3call.h"
#include "services/s3/s3errors.h"
#include "services/s3/s3signature.h"
#include "services/s3/s3xml.h"

#include <QDateTime>

namespace tarmac {

// What decides access to one bucket, read from its documents (cached; see bucketAccess()).
struct S3BucketAccess
{
    S3Account owner;
    std::optional<S3BucketPolicy> policy;
    std::optional<S3Acl> acl; // none stored: the owner's full control
    std::optional<S3PublicAccessBlock> publicAccessBlock;
    // Buckets made before Tarmac kept ownership controls have none: ACLs work there, as on
    // buckets AWS made before April 2023.
    std::optional<S3ObjectOwnership> ownership;

    S3ObjectOwnership effectiveOwnership() const
    {
        return ownership.value_or(S3ObjectOwnership::ObjectWriter);
    }
};

namespace {

S3GrantHeaders grantHeadersOf(const S3Call &call)
{
    return {call.header("x-amz-grant-read"), call.header("x-amz-grant-write"),
        call.header("x-amz-grant-read-acp"), call.header("x-amz-grant-write-acp"),
        call.header("x-amz-grant-full-control")};
}

bool namesAcl(const S3Call &call)
{
    return !call.header("x-amz-acl").isEmpty() || !grantHeadersOf(call).isEmpty();
}

// The IAM action a request needs (AWS's "Actions, resources, and condition keys for Amazon
// S3"), from the same method, key and query flags that pick its handler.
QString iamAction(const S3Call &call)
{
    const QByteArray &m = call.request.method;
    const quint32 f = call.flags;
    const bool version = f & FlagVersionId;
    const auto a
        = [](const char *name) -> QString { return QStringLiteral("s3:") + QLatin1String(name); };
    if (call.bucket.isEmpty())
        return a("ListAllMyBuckets");
    if (call.key.isEmpty()) {
        struct Row
        {
            quint32 flag;
            const char *get;
            const char *put;
            const char *del;
        };
        static const Row rows[] = {
            {FlagLocation, "GetBucketLocation", nullptr, nullptr},
            {FlagCors, "GetBucketCORS", "PutBucketCORS", "PutBucketCORS"},
            {FlagTagging, "GetBucketTagging", "PutBucketTagging", "PutBucketTagging"},
            {FlagNotification, "GetBucketNotification", "PutBucketNotification", nullptr},
            {FlagUploads, "ListBucketMultipartUploads", nullptr, nullptr},
            {FlagAcl, "GetBucketAcl", "PutBucketAcl", nullptr},
            {FlagVersioning, "GetBucketVersioning", "PutBucketVersioning", nullptr},
            {FlagVersions, "ListBucketVersions", nullptr, nullptr},
            {FlagObjectLock, "GetBucketObjectLockConfiguration", "PutBucketObjectLockConfiguration",
                nullptr},
            {FlagEncryption, "GetEncryptionConfiguration", "PutEncryptionConfiguration",
                "PutEncryptionConfiguration"},
            {FlagPolicy, "GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"},
            {FlagPolicyStatus, "GetBucketPolicyStatus", nullptr, nullptr},
            {FlagPublicAccessBlock, "GetBucketPublicAccessBlock", "PutBucketPublicAccessBlock",
                "PutBucketPublicAccessBlock"},
            {FlagOwnership, "GetBucketOwnershipControls", "PutBucketOwnershipControls",
                "PutBucketOwnershipControls"},
            {FlagLifecycle, "GetLifecycleConfiguration", "PutLifecycleConfiguration",
                "PutLifecycleConfiguration"},
            {FlagWebsite, "GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite"},
            {FlagLogging, "GetBucketLogging", "PutBucketLogging", nullptr},
            {FlagRequestPayment, "GetBucketRequestPayment", "PutBucketRequestPayment", nullptr},
            {FlagAccelerate, "GetAccelerateConfiguration", "PutAccelerateConfiguration", nullptr},
            {FlagReplication, "GetReplicationConfiguration", "PutReplicationConfiguration",
                "PutReplicationConfiguration"},
        };
        for (const Row &row : rows) {
            if (!(f & row.flag))
                continue;
            const char *name = m == "PUT" ? row.put : m == "DELETE" ? row.del : row.get;
            if (name)
                return a(name);
        }
        if (m == "PUT")
            return a("CreateBucket");
        if (m == "DELETE")
            return a("DeleteBucket");
        if (m == "POST")
            return (f & FlagDelete) ? a("DeleteObject") : a("PutObject");
        return a("ListBucket");
    }
    if (m == "GET" || m == "HEAD") {
        if (f & FlagUploadId)
            return a("ListMultipartUploadParts");
        if (f & FlagTagging)
            return version ? a("GetObjectVersionTagging") : a("GetObjectTagging");
        if (f & FlagAcl)
            return version ? a("GetObjectVersionAcl") : a("GetObjectAcl");
        if (f & FlagAttributes)
            return version ? a("GetObjectVersionAttributes") : a("GetObjectAttributes");
        if (f & FlagRetention)
            return a("GetObjectRetention");
        if (f & FlagLegalHold)
            return a("GetObjectLegalHold");
        return version ? a("GetObjectVersion") : a("GetObject");
    }
    if (m == "PUT") {
        if (f & FlagTagging)
            return version ? a("PutObjectVersionTagging") : a("PutObjectTagging");
        if (f & FlagAcl)
            return version ? a("PutObjectVersionAcl") : a("PutObjectAcl");
        if (f & FlagRetention)
            return a("PutObjectRetention");
        if (f & FlagLegalHold)
            return a("PutObjectLegalHold");
        return a("PutObject");
    }
    if (m == "DELETE") {
        if (f & FlagUploadId)
            return a("AbortMultipartUpload");
        if (f & FlagTagging)
            return version ? a("DeleteObjectVersionTagging") : a("DeleteObjectTagging");
        return version ? a("DeleteObjectVersion") : a("DeleteObject");
    }
    return a("PutObject"); // POST: multipart create and complete
}

// The condition keys S3 sets for a request (the common ones; see the policy examples).
S3ConditionContext conditionsOf(const S3Call &call, qint64 nowNs, const S3Object *object)
{
    S3ConditionContext c;
    const HttpRequest &r = call.request;
    c.set(QStringLiteral("aws:SourceIp"), r.peerAddress().toString());
    c.set(QStringLiteral("aws:SecureTransport"), QStringLiteral("false"));
    c.set(QStringLiteral("aws:CurrentTime"), s3xml::isoTime(nowNs));
    c.set(QStringLiteral("aws:EpochTime"), QString::number(nowNs / 1'000'000'000));
    const auto header = [&](const char *name, const QString &key) {
        const QByteArray v = r.header(name);
        if (!v.isNull())
            c.set(key, QString::fromUtf8(v));
    };
    header("user-agent", QStringLiteral("aws:UserAgent"));
    header("referer", QStringLiteral("aws:Referer"));
    header("x-amz-acl", QStringLiteral("s3:x-amz-acl"));
    header("x-amz-server-side-encryption", QStringLiteral("s3:x-amz-server-side-encryption"));
    header("x-amz-server-side-encryption-aws-kms-key-id",
        QStringLiteral("s3:x-amz-server-side-encryption-aws-kms-key-id"));
    header("x-amz-copy-source", QStringLiteral("s3:x-amz-copy-source"));
    header("x-amz-metadata-directive", QStringLiteral("s3:x-amz-metadata-directive"));
    header("x-amz-storage-class", QStringLiteral("s3:x-amz-storage-class"));
    header("x-amz-grant-read", QStringLiteral("s3:x-amz-grant-read"));
    header("x-amz-grant-write", QStringLiteral("s3:x-amz-grant-write"));
    header("x-amz-grant-full-control", QStringLiteral("s3:x-amz-grant-full-control"));
    for (const char *param : {"prefix", "delimiter", "max-keys"}) {
        if (call.hasQuery(param))
            c.set(QStringLiteral("s3:") + QLatin1String(param),
                QString::fromUtf8(call.queryValue(param)));
    }
    if (call.hasQuery("versionId"))
        c.set(QStringLiteral("s3:VersionId"), QString::fromUtf8(call.queryValue("versionId")));
    if (auto tags = s3xml::parseTaggingHeader(r.header("x-amz-tagging")); tags) {
        QStringList keys;
        for (const s3xml::Tag &t : std::as_const(*tags)) {
            c.set(QStringLiteral("s3:RequestObjectTag/") + t.key, t.value);
            keys.append(t.key);
        }
        if (!keys.isEmpty())
            c.set(QStringLiteral("s3:RequestObjectTagKeys"), keys);
    }
    if (object) {
        if (auto tags = s3xml::parseTaggingHeader(object->tagging); tags) {
            for (const s3xml::Tag &t : std::as_const(*tags))
                c.set(QStringLiteral("s3:ExistingObjectTag/") + t.key, t.value);
        }
    }
    return c;
}

} // namespace

S3Account S3RestApi::accountByCanonicalId(const QString &canonicalId) const
{
    const S3Account fallback = s3access::defaultAccount();
    if (canonicalId.isEmpty() || canonicalId == fallback.canonicalId)
        return fallback;
    if (m_verifier) {
        for (const S3Account &a : m_verifier->accounts()) {
            if (a.canonicalId == canonicalId)
                return a;
        }
    }
    S3Account unknown;
    unknown.canonicalId = canonicalId;
    return unknown;
}

S3AccountLookup S3RestApi::accountLookup() const
{
    QList<S3Account> known {s3access::defaultAccount()};
    if (m_verifier)
        known += m_verifier->accounts();
    S3AccountLookup lookup;
    lookup.byCanonicalId = [known](const QString &id) -> std::optional<S3Account> {
        for (const S3Account &a : known) {
            if (a.canonicalId == id)
                return a;
        }
        return std::nullopt;
    };
    lookup.byEmail = [known](const QString &email) -> std::optional<S3Account> {
        for (const S3Account &a : known) {
            if (!a.email.isEmpty() && a.email.compare(email, Qt::CaseInsensitive) == 0)
                return a;
        }
        return std::nullopt;
    };
    return lookup;
}

std::shared_ptr<const S3BucketAccess> S3RestApi::bucketAccess(const QString &bucket)
{
    {
        QMutexLocker lock(&m_corsMutex);
        const auto it = m_access.constFind(bucket);
        if (it != m_access.constEnd())
            return *it;
    }
    auto b = m_store->bucket(bucket);
    if (!b)
        return nullptr;
    auto access = std::make_shared<S3BucketAccess>();
    access->owner = accountByCanonicalId(b->owner);
    const auto document = [&](S3Store::BucketDocument which) {
        auto d = m_store->bucketDocument(bucket, which);
        return d ? *d : QByteArray();
    };
    if (const QByteArray policy = document(S3Store::BucketDocument::Policy); !policy.isEmpty()) {
        if (auto parsed = S3BucketPolicy::parse(policy, bucket))
            access->policy = std::move(*parsed);
    }
    if (const QByteArray acl = document(S3Store::BucketDocument::Acl); !acl.isEmpty())
        access->acl = s3access::aclFromStorage(acl);
    if (const QByteArray pab = document(S3Store::BucketDocument::PublicAccessBlock);
        !pab.isEmpty()) {
        if (auto parsed = s3access::parsePublicAccessBlock(pab))
            access->publicAccessBlock = *parsed;
    }
    if (const QByteArray ownership = document(S3Store::BucketDocument::Ownership);
        !ownership.isEmpty()) {
        if (auto parsed = s3access::parseOwnershipControls(ownership))
            access->ownership = *parsed;
    }
    QMutexLocker lock(&m_corsMutex);
    m_access.insert(bucket, access);
    return access;
}

Result<void> S3RestApi::authorizeRequest(const S3Call &call)
{
    if (!m_verifier)
        return {}; // every request is the default account's, which owns everything
    const QString action = iamAction(call);
    if (call.bucket.isEmpty() || action == QLatin1String("s3:CreateBucket")) {
        if (!call.requester)
            return s3errors::accessDenied(QStringLiteral("Access Denied"));
        return {};
    }
    const auto access = bucketAccess(call.bucket);
    if (!access)
        return {}; // no such bucket: the handler says so
    const bool isOwner = call.requester && call.requester->canonicalId == access->owner.canonicalId;
    if (isOwner && !access->policy)
        return {}; // the common case: nothing can deny the owner
    // An object's own ACL and tags, for the actions on one.
    std::optional<S3Object> object;
    std::optional<S3Acl> objectAcl;
    const s3access::S3AclRequirement need = s3access::aclRequirement(action);
    if (!call.key.isEmpty() && call.request.method != "PUT" && call.request.method != "POST"
        && need.target != s3access::S3AclTarget::Bucket) {
        S3VersionRef ref;
        if (call.hasQuery("versionId"))
            ref = call.queryValue("versionId");
        if (auto found = m_store->version(call.bucket, call.key, ref, S3Store::Body::Skip);
            found && !found->deleteMarker) {
            object = std::move(*found);
            objectAcl = objectAclOf(*object, *access);
        }
    }
    S3AccessRequest request;
    request.requester = call.requester;
    request.action = action;
    request.resource = call.key.isEmpty() ? s3access::bucketArn(call.bucket)
                                          : s3access::objectArn(call.bucket, call.key);
    request.context = conditionsOf(call, m_clock->nowNs(), object ? &*object : nullptr);
    S3AccessContext context;
    context.bucketOwner = access->owner;
    context.policy = access->policy ? &*access->policy : nullptr;
    const S3Acl bucketAcl = access->acl ? *access->acl : s3access::privateAcl(access->owner);
    context.bucketAcl = &bucketAcl;
    context.objectAcl = objectAcl ? &*objectAcl : nullptr;
    context.publicAccessBlock = access->publicAccessBlock;
    context.ownership = access->effectiveOwnership();
    return s3access::authorize(request, context);
}

S3Acl S3RestApi::objectAclOf(const S3Object &o, const S3BucketAccess &access) const
{
    const QByteArray stored = o.systemValue("acl");
    std::optional<S3Acl> acl;
    if (!stored.isEmpty())
        acl = s3access::aclFromStorage(stored);
    if (!acl) {
        const QByteArray owner = o.systemValue("owner");
        acl = s3access::privateAcl(
            owner.isEmpty() ? access.owner : accountByCanonicalId(QString::fromLatin1(owner)));
    }
    return s3access::effectiveAcl(*acl, access.owner, access.effectiveOwnership());
}

Result<QByteArray> S3RestApi::applyObjectAcl(const S3Call &call, const QByteArray &system)
{
    if (!namesAcl(call) && !m_verifier)
        return system; // the hot path: the default account owns it, with the default ACL
    const auto access = bucketAccess(call.bucket);
    if (!access)
        return system; // the write will answer NoSuchBucket
    const S3Account writer = call.requester ? *call.requester : s3access::defaultAccount();
    const QByteArray canned = call.header("x-amz-acl");
    const S3Account owner
        = s3access::objectOwnerFor(writer, access->owner, access->effectiveOwnership(), canned);
    S3Object holder;
    holder.system = system;
    if (owner.canonicalId != access->owner.canonicalId)
        holder.setSystemValue("owner", owner.canonicalId.toLatin1());
    if (namesAcl(call)) {
        auto acl = s3access::aclFromHeaders(
            canned, grantHeadersOf(call), owner, &access->owner, accountLookup());
        if (!acl)
            return acl.error();
        if (*acl) {
            if (auto c = s3access::checkAclPut(
                    **acl, access->owner, access->effectiveOwnership(), access->publicAccessBlock);
                !c)
                return c.error();
            holder.setSystemValue("acl", s3access::aclToStorage(**acl));
        }
    }
    return holder.system;
}

HttpResponse S3RestApi::acl(S3Call &call)
{
    const bool get = call.request.method == "GET";
    const bool onBucket = call.key.isEmpty();
    call.operation
        = QStringLiteral("%1%2Acl").arg(get ? QStringLiteral("Get") : QStringLiteral("Put"),
            onBucket ? QStringLiteral("Bucket") : QStringLiteral("Object"));
    const auto access = bucketAccess(call.bucket);
    if (!access)
        return error(call, s3errors::noSuchBucket(call.bucket));
    const Result<S3VersionRef> ref
        = onBucket ? Result<S3VersionRef>(S3VersionRef()) : versionRefOf(call);
    if (!ref)
        return error(call, ref.error());
    std::optional<S3Object> object;
    if (!onBucket) {
        auto found = m_store->version(call.bucket, call.key, *ref, S3Store::Body::Skip);
        if (!found)
            return error(call, found.error());
        if (found->deleteMarker)
            return deleteMarkerAnswer(call, *found, bool(*ref));
        object = std::move(*found);
    }
    const S3Acl current = onBucket
        ? s3access::effectiveAcl(access->acl ? *access->acl : s3access::privateAcl(access->owner),
            access->owner, access->effectiveOwnership())
        : objectAclOf(*object, *access);
    if (get) {
        HttpResponse r = xmlResponse(s3access::renderAccessControlPolicy(current));
        if (object)
            addVersionHeader(r, *object, m_store->versioning(call.bucket));
        return r;
    }
    const S3Account owner = accountByCanonicalId(current.ownerId);
    Result<std::optional<S3Acl>> wanted = std::optional<S3Acl>();
    const QByteArray body = call.request.body.toByteArray();
    if (namesAcl(call)) {
        if (!body.trimmed().isEmpty())
            return error(call,
                s3errors::invalidRequest(QStringLiteral("Specifying both Canned ACLs and Header "
                                                        "Grants is not allowed")));
        wanted = s3access::aclFromHeaders(call.header("x-amz-acl"), grantHeadersOf(call), owner,
            onBucket ? nullptr : &access->owner, accountLookup());
    } else if (!body.trimmed().isEmpty()) {
        auto parsed = s3access::parseAccessControlPolicy(body, owner, accountLookup());
        if (!parsed)
            return error(call, parsed.error());
        wanted = std::optional<S3Acl>(std::move(*parsed));
    }
    if (!wanted)
        return error(call, wanted.error());
    if (!*wanted)
        return error(call,
            makeError(QStringLiteral("MissingSecurityHeader"),
                QStringLiteral("Your request was missing a required header"), 400));
    const S3Acl &acl = **wanted;
    if (auto c = s3access::checkAclPut(
            acl, access->owner, access->effectiveOwnership(), access->publicAccessBlock);
        !c)
        return error(call, c.error());
    if (onBucket) {
        if (auto r = m_store->setBucketDocument(
                call.bucket, S3Store::BucketDocument::Acl, s3access::aclToStorage(acl));
            !r)
            return error(call, r.error());
        invalidateBucketCaches(call.bucket);
        return emptyResponse();
    }
    auto changed
        = m_store->updateSystem(call.bucket, call.key, *ref, [&](S3Object &o) -> Result<void> {
              o.setSystemValue("acl", s3access::aclToStorage(acl));
              return {};
          });
    if (!changed)
        return error(call, changed.error());
    HttpResponse r = emptyResponse();
    addVersionHeader(r, *changed, m_store->versioning(call.bucket));
    return r;
}

HttpResponse S3RestApi::accessDocument(S3Call &call)
{
    const QByteArray &method = call.request.method;
    const quint32 f = call.flags;
    S3Store::BucketDocument which = S3Store::BucketDocument::Policy;
    QString name = QStringLiteral("BucketPolicy");
    if (f & FlagPublicAccessBlock) {
        which = S3Store::BucketDocument::PublicAccessBlock;
        name = QStringLiteral("PublicAccessBlock");
    } else if (f & FlagOwnership) {
        which = S3Store::BucketDocument::Ownership;
        name = QStringLiteral("BucketOwnershipControls");
    } else if (f & FlagPolicyStatus) {
        name = QStringLiteral("BucketPolicyStatus");
    }
    call.operation = (method == "GET"          ? QStringLiteral("Get")
                             : method == "PUT" ? QStringLiteral("Put")
                                               : QStringLiteral("Delete"))
        + name;
    const auto access = bucketAccess(call.bucket);
    if (!access)
        return error(call, s3errors::noSuchBucket(call.bucket));
    if ((f & FlagPolicyStatus) && method != "GET")
        return error(call, s3errors::methodNotAllowed());

    if (method == "GET") {
        if (f & FlagPolicyStatus) {
            if (!access->policy)
                return error(call,
                    makeError(QStringLiteral("NoSuchBucketPolicy"),
                        QStringLiteral("The bucket policy does not exist"), 404));
            return xmlResponse(s3access::renderPolicyStatus(access->policy->isPublic()));
        }
        auto document = m_store->bucketDocument(call.bucket, which);
        if (!document)
            return error(call, document.error());
        if (document->isEmpty()) {
            if (which == S3Store::BucketDocument::Policy)
                return error(call,
                    makeError(QStringLiteral("NoSuchBucketPolicy"),
                        QStringLiteral("The bucket policy does not exist"), 404));
            if (which == S3Store::BucketDocument::PublicAccessBlock)
                return error(call,
                    makeError(QStringLiteral("NoSuchPublicAccessBlockConfiguration"),
                        QStringLiteral("The public access block configuration was not found"),
                        404));
            return error(call,
                makeError(QStringLiteral("OwnershipControlsNotFoundError"),
                    QStringLiteral("The bucket ownership controls were not found"), 404));
        }
        if (which == S3Store::BucketDocument::Policy) {
            HttpResponse r = emptyResponse();
            r.headers.add("content-type", "application/json");
            r.body = *document;
            return r;
        }
        return xmlResponse(*document);
    }

    QByteArray document;
    if (method == "PUT") {
        const QByteArray body = call.request.body.toByteArray();
        if (which == S3Store::BucketDocument::Policy) {
            auto policy = S3BucketPolicy::parse(body, call.bucket);
            if (!policy)
                return error(call, policy.error());
            if (auto c = s3access::checkPolicyPut(*policy, access->publicAccessBlock); !c)
                return error(call, c.error());
            document = body;
        } else if (which == S3Store::BucketDocument::PublicAccessBlock) {
            auto block = s3access::parsePublicAccessBlock(body);
            if (!block)
                return error(call, block.error());
            document = s3access::renderPublicAccessBlock(*block);
        } else {
            auto ownership = s3access::parseOwnershipControls(body);
            if (!ownership)
                return error(call, ownership.error());
            if (auto c = s3access::checkOwnershipChange(
                    *ownership, access->acl ? *access->acl : s3access::privateAcl(access->owner));
                !c)
                return error(call, c.error());
            document = s3access::renderOwnershipControls(*ownership);
        }
    }
    if (auto r = m_store->setBucketDocument(call.bucket, which, document); !r)
        return error(call, r.error());
    invalidateBucketCaches(call.bucket);
    return emptyResponse(
        method == "PUT" ? (which == S3Store::BucketDocument::Policy ? 204 : 200) : 204);
}

Result<void> S3RestApi::setUpNewBucket(const S3Call &call)
{
    // As AWS makes buckets since April 2023: ACLs disabled (BucketOwnerEnforced) unless the
    // request names another ownership, and every public access blocked.
    const QByteArray ownershipHeader = call.header("x-amz-object-ownership");
    S3ObjectOwnership ownership = S3ObjectOwnership::BucketOwnerEnforced;
    if (!ownershipHeader.isEmpty()) {
        const auto named = s3access::ownershipFromName(QString::fromLatin1(ownershipHeader));
        if (!named)
            return s3errors::invalidArgument(QStringLiteral("Invalid x-amz-object-ownership "
                                                            "header: ")
                + QString::fromLatin1(ownershipHeader));
        ownership = *named;
    }
    const S3Account owner = call.requester ? *call.requester : s3access::defaultAccount();
    std::optional<S3Acl> acl;
    if (namesAcl(call)) {
        auto named = s3access::aclFromHeaders(
            call.header("x-amz-acl"), grantHeadersOf(call), owner, nullptr, accountLookup());
        if (!named)
            return named.error();
        acl = *named;
        if (acl && ownership == S3ObjectOwnership::BucketOwnerEnforced
            && !s3access::checkAclPut(*acl, owner, ownership, std::nullopt))
            return makeError(QStringLiteral("InvalidBucketAclWithObjectOwnership"),
                QStringLiteral("Bucket cannot have ACLs set with ObjectOwnership's "
                               "BucketOwnerEnforced setting"),
                400);
    }
    const std::pair<S3Store::BucketDocument, QByteArray> documents[] = {
        {S3Store::BucketDocument::Ownership, s3access::renderOwnershipControls(ownership)},
        {S3Store::BucketDocument::PublicAccessBlock,
            s3access::renderPublicAccessBlock({true, true, true, true})},
        {S3Store::BucketDocument::Acl, acl ? s3access::aclToStorage(*acl) : QByteArray()},
    };
    for (const auto &[which, document] : documents) {
        if (document.isEmpty())
            continue;
        if (auto r = m_store->setBucketDocument(call.bucket, which, document); !r)
            return r;
    }
    invalidateBucketCaches(call.bucket);
    return {};
}

} // namespace tarmac
