#pragma once

#include "base/result.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

// Who may do what to a bucket or an object: S3's accounts, ACLs, bucket policies, Block Public
// Access and Object Ownership, and the one decision AWS makes from all of them for a request
// ("How Amazon S3 authorizes a request"). Pure: no I/O, no clock (aws:CurrentTime comes in the
// request's condition keys), no store; the API layer loads what a bucket has and asks.
//
// Known limits: requesters are accounts (their root user); there are no IAM users, roles or user
// policies, so a principal naming a user or role ARN never matches and the "user context" step
// of AWS's evaluation is always passed. Account-level Block Public Access and access points are
// not modelled. The XML reader drops attributes, so a Grantee's kind is read from its children
// (ID, URI or EmailAddress), not from xsi:type.
namespace tarmac {

// One AWS account as S3 names it: ACLs speak of canonical ids, policies of account ids.
struct S3Account
{
    QString accountId; // 12 digits
    QString canonicalId; // 64 lower-case hex digits
    QString displayName;
    QString email;

    friend bool operator==(const S3Account &, const S3Account &) = default;
};

enum class S3Permission { FullControl, Read, Write, ReadAcp, WriteAcp };

struct S3Grant
{
    // An e-mail grantee is resolved to its account when the ACL is set, as S3 does: stored and
    // returned ACLs hold CanonicalUser and Group grants only.
    enum class Type { CanonicalUser, Group, AmazonCustomerByEmail };

    Type type = Type::CanonicalUser;
    QString id; // CanonicalUser
    QString displayName; // CanonicalUser, when known
    QString uri; // Group
    QString email; // AmazonCustomerByEmail
    S3Permission permission = S3Permission::Read;

    friend bool operator==(const S3Grant &, const S3Grant &) = default;
};

struct S3Acl
{
    QString ownerId; // canonical id
    QString ownerDisplayName;
    QList<S3Grant> grants;

    friend bool operator==(const S3Acl &, const S3Acl &) = default;
};

enum class S3ObjectOwnership { BucketOwnerEnforced, BucketOwnerPreferred, ObjectWriter };

struct S3PublicAccessBlock
{
    bool blockPublicAcls = false;
    bool ignorePublicAcls = false;
    bool blockPublicPolicy = false;
    bool restrictPublicBuckets = false;

    friend bool operator==(const S3PublicAccessBlock &, const S3PublicAccessBlock &) = default;
};

// Finds an account by canonical id or by e-mail address; an unset function finds nothing.
struct S3AccountLookup
{
    std::function<std::optional<S3Account>(const QString &canonicalId)> byCanonicalId;
    std::function<std::optional<S3Account>(const QString &email)> byEmail;
};

// The x-amz-grant-* headers of a request, as sent (empty: not sent).
struct S3GrantHeaders
{
    QByteArray read;
    QByteArray write;
    QByteArray readAcp;
    QByteArray writeAcp;
    QByteArray fullControl;

    bool isEmpty() const;
};

// A request's condition keys ("aws:SourceIp", "s3:prefix", "s3:ExistingObjectTag/env"). Key
// names are case-insensitive as in IAM, except the tag key after a '/'. A key may have several
// values (s3:RequestObjectTagKeys); a key that is absent is not the same as an empty value.
class S3ConditionContext
{
public:
    void set(const QString &key, const QString &value);
    void set(const QString &key, const QStringList &values);
    bool contains(const QString &key) const;
    // nullptr when the key is absent.
    const QStringList *values(const QString &key) const;

private:
    static QString normalised(const QString &key);
    QHash<QString, QStringList> m_values;
};

// One request as policies see it.
struct S3AccessRequest
{
    const S3Account *requester = nullptr; // nullptr: anonymous (unsigned)
    QString action; // "s3:GetObject"
    QString resource; // "arn:aws:s3:::bucket" or "arn:aws:s3:::bucket/key"
    S3ConditionContext context;
};

enum class S3PolicyDecision { NotApplicable, Allow, Deny };

struct S3PolicyCondition
{
    enum class Operator {
        StringEquals,
        StringNotEquals,
        StringEqualsIgnoreCase,
        StringNotEqualsIgnoreCase,
        StringLike,
        StringNotLike,
        NumericEquals,
        NumericNotEquals,
        NumericLessThan,
        NumericLessThanEquals,
        NumericGreaterThan,
        NumericGreaterThanEquals,
        DateEquals,
        DateNotEquals,
        DateLessThan,
        DateLessThanEquals,
        DateGreaterThan,
        DateGreaterThanEquals,
        Bool,
        BinaryEquals,
        IpAddress,
        NotIpAddress,
        ArnEquals,
        ArnLike,
        ArnNotEquals,
        ArnNotLike,
        Null,
    };
    enum class Qualifier { None, ForAnyValue, ForAllValues };

    Operator op = Operator::StringEquals;
    Qualifier qualifier = Qualifier::None;
    bool ifExists = false;
    QString key; // as written
    QStringList values; // numbers and booleans as their JSON text
};

struct S3PolicyPrincipal
{
    bool everyone = false; // "*" or {"AWS": "*"}
    QStringList accounts; // 12-digit ids, from "123456789012" or "arn:aws:iam::123456789012:root"
    QStringList arns; // IAM users, roles and sessions: they never match an account requester
    QStringList canonicalUsers;
    QStringList services; // matched against the aws:PrincipalServiceName condition key
    QStringList federated;
};

struct S3PolicyStatement
{
    QString sid;
    bool allow = true;
    S3PolicyPrincipal principal;
    bool notPrincipal = false;
    QStringList actions;
    bool notAction = false;
    QStringList resources;
    bool notResource = false;
    QList<S3PolicyCondition> conditions;
};

// A bucket policy (PutBucketPolicy's JSON), validated as S3 validates it for `bucket`:
// anything it refuses is MalformedPolicy with S3's message. GetBucketPolicy returns the text
// as it was put, which the caller keeps; this is the parsed form to evaluate.
class S3BucketPolicy
{
public:
    static constexpr qsizetype kMaxSize = 20 * 1024;

    static Result<S3BucketPolicy> parse(const QByteArray &text, const QString &bucket);

    const QString &version() const { return m_version; }
    const QList<S3PolicyStatement> &statements() const { return m_statements; }

    // Deny when a Deny statement applies, else Allow when an Allow statement does.
    S3PolicyDecision evaluate(const S3AccessRequest &request) const;
    // AWS's "The meaning of public": an Allow statement for everyone (or NotPrincipal) that no
    // condition pins to fixed values of the keys that identify a caller (aws:SourceIp CIDRs,
    // aws:SourceArn, aws:SourceVpc(e), aws:SourceAccount, aws:SourceOwner, aws:PrincipalOrgID,
    // aws:PrincipalAccount, aws:PrincipalArn, aws:userid, the KMS key id and the access point
    // keys).
    bool isPublic() const;

private:
    QString m_version;
    QList<S3PolicyStatement> m_statements;
};

// What a request is decided against: the bucket's owner and settings, and for an object
// operation the object's ACL (nullptr when the object has none, or does not exist yet).
struct S3AccessContext
{
    S3Account bucketOwner;
    const S3BucketPolicy *policy = nullptr;
    const S3Acl *bucketAcl = nullptr;
    const S3Acl *objectAcl = nullptr;
    std::optional<S3PublicAccessBlock> publicAccessBlock;
    S3ObjectOwnership ownership = S3ObjectOwnership::BucketOwnerEnforced;
};

namespace s3access {

inline constexpr QLatin1String kAllUsersUri("http://acs.amazonaws.com/groups/global/AllUsers");
inline constexpr QLatin1String kAuthenticatedUsersUri(
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers");
inline constexpr QLatin1String kLogDeliveryUri("http://acs.amazonaws.com/groups/s3/LogDelivery");

// --- Accounts

// The account every request is attributed to when signatures are not verified.
S3Account defaultAccount();
// 64 hex digits, the same for the same account id on every run.
QString canonicalIdFor(const QString &accountId);
S3Account makeAccount(
    const QString &accountId, const QString &displayName, const QString &email = {});
bool isCanonicalId(QStringView id);

// --- ACLs

QString permissionName(S3Permission permission);
std::optional<S3Permission> permissionFromName(QStringView name);

// Owner-only: what a new bucket or object gets without an ACL.
S3Acl privateAcl(const S3Account &owner);
// A canned ACL (x-amz-acl) as S3 expands it. For a bucket, bucket-owner-read and
// bucket-owner-full-control are ignored (private); `bucketOwner` only matters for objects.
// An unknown name is InvalidArgument.
Result<S3Acl> cannedBucketAcl(const QString &name, const S3Account &owner);
Result<S3Acl> cannedObjectAcl(
    const QString &name, const S3Account &owner, const S3Account &bucketOwner);
// The x-amz-grant-* headers: exactly the grants named (the owner gets none implicitly).
Result<S3Acl> aclFromGrantHeaders(
    const S3GrantHeaders &headers, const S3Account &owner, const S3AccountLookup &lookup);
// The ACL a PUT asks for through x-amz-acl or x-amz-grant-* (nullopt: neither was sent; both
// is InvalidRequest). `bucketOwner` is null for a bucket.
Result<std::optional<S3Acl>> aclFromHeaders(const QByteArray &cannedAcl,
    const S3GrantHeaders &grants, const S3Account &owner, const S3Account *bucketOwner,
    const S3AccountLookup &lookup);

// A PutBucketAcl/PutObjectAcl body. The Owner must be `owner` (AccessDenied otherwise);
// grantees are checked and e-mail grantees resolved as S3 does.
Result<S3Acl> parseAccessControlPolicy(
    const QByteArray &document, const S3Account &owner, const S3AccountLookup &lookup);
// GetBucketAcl/GetObjectAcl's body.
QByteArray renderAccessControlPolicy(const S3Acl &acl);

// A compact form for storage, without newlines; aclFromStorage() is nullopt for bytes that are
// not one.
QByteArray aclToStorage(const S3Acl &acl);
std::optional<S3Acl> aclFromStorage(const QByteArray &bytes);

// A grant to AllUsers or AuthenticatedUsers.
bool isPublicGrant(const S3Grant &grant);
bool isPublic(const S3Acl &acl);
// Whether the ACL gives `permission` to the requester (nullptr: anonymous); FULL_CONTROL
// implies every permission. `ignorePublicGrants` is IgnorePublicAcls.
bool aclGrants(const S3Acl &acl, S3Permission permission, const S3Account *requester,
    bool ignorePublicGrants = false);

// --- Policies

QString bucketArn(const QString &bucket);
QString objectArn(const QString &bucket, const QByteArray &key);

// --- Block Public Access, Object Ownership, policy status

Result<S3PublicAccessBlock> parsePublicAccessBlock(const QByteArray &document);
QByteArray renderPublicAccessBlock(const S3PublicAccessBlock &block);
Result<S3ObjectOwnership> parseOwnershipControls(const QByteArray &document);
QByteArray renderOwnershipControls(S3ObjectOwnership ownership);
QString ownershipName(S3ObjectOwnership ownership);
std::optional<S3ObjectOwnership> ownershipFromName(QStringView name);
QByteArray renderPolicyStatus(bool isPublic);

// --- The decision

// Which ACL permission an action needs and on what. Actions no ACL grants (bucket
// configuration, tagging, ...) need the owner or a policy.
enum class S3AclTarget { None, Bucket, Object };
struct S3AclRequirement
{
    S3AclTarget target = S3AclTarget::None;
    S3Permission permission = S3Permission::Read;
};
S3AclRequirement aclRequirement(const QString &action);

// AWS's order: the bucket owner may always get, put and delete its bucket's policy; an explicit
// Deny in the bucket policy denies; an object owned by another account than the bucket's is
// granted by its owner (object ACL) only; otherwise the bucket owner's account is allowed, then
// a policy Allow (ignored for other accounts when RestrictPublicBuckets is on and the policy is
// public), then an ACL grant (ignored when ownership is BucketOwnerEnforced; public grants
// ignored under IgnorePublicAcls). Else AccessDenied. Another account allowed to
// Get/Put/DeleteBucketPolicy is MethodNotAllowed, as S3 answers.
Result<void> authorize(const S3AccessRequest &request, const S3AccessContext &context);

// The owner of an object `writer` puts: the bucket owner under BucketOwnerEnforced, and under
// BucketOwnerPreferred when the canned ACL is bucket-owner-full-control.
S3Account objectOwnerFor(const S3Account &writer, const S3Account &bucketOwner,
    S3ObjectOwnership ownership, const QByteArray &cannedAcl);
// The ACL GetBucketAcl/GetObjectAcl shows: the bucket owner's full control when ACLs are off.
S3Acl effectiveAcl(const S3Acl &stored, const S3Account &bucketOwner, S3ObjectOwnership ownership);

// A PUT that sets `acl` (CreateBucket, PutObject, Put*Acl, CopyObject, ...): refused with
// AccessControlListNotSupported when ACLs are off and it grants more than the bucket owner's
// full control (and the writer's own), and AccessDenied when BlockPublicAcls is on and it is
// public.
Result<void> checkAclPut(const S3Acl &acl, const S3Account &bucketOwner,
    S3ObjectOwnership ownership, const std::optional<S3PublicAccessBlock> &block);
// PutBucketPolicy: AccessDenied for a public policy under BlockPublicPolicy.
Result<void> checkPolicyPut(
    const S3BucketPolicy &policy, const std::optional<S3PublicAccessBlock> &block);
// PutBucketOwnershipControls: BucketOwnerEnforced needs a bucket ACL that grants no one but the
// owner (InvalidBucketAclWithObjectOwnership).
Result<void> checkOwnershipChange(S3ObjectOwnership ownership, const S3Acl &bucketAcl);

} // namespace s3access
} // namespace tarmac
