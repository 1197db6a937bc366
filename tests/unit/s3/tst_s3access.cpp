#include "services/s3/s3access.h"

#include <QTest>

using namespace tarmac;
using namespace tarmac::s3access;

// The slots are defined after the helpers: moc misreads raw string literals that hold quotes
// followed by "//" or "/*" (URIs, ARNs) and would miss the class.
class TestS3Access : public QObject
{
    Q_OBJECT

private slots:
    void accounts();
    void cannedAcl_data();
    void cannedAcl();
    void grantHeaders_data();
    void grantHeaders();
    void aclFromHeaders_data();
    void aclFromHeaders();
    void parseAcl_data();
    void parseAcl();
    void renderAcl();
    void storage_data();
    void storage();
    void storageRejectsGarbage_data();
    void storageRejectsGarbage();
    void aclGrants_data();
    void aclGrants();
    void aclIsPublic_data();
    void aclIsPublic();
    void parsePolicy_data();
    void parsePolicy();
    void parsedPolicyShape();
    void evaluatePolicy_data();
    void evaluatePolicy();
    void policyIsPublic_data();
    void policyIsPublic();
    void publicAccessBlock_data();
    void publicAccessBlock();
    void renderPublicAccessBlockExactly();
    void ownershipControls_data();
    void ownershipControls();
    void aclRequirements_data();
    void aclRequirements();
    void authorize_data();
    void authorize();
    void checkAclPut_data();
    void checkAclPut();
    void checkPolicyPut_data();
    void checkPolicyPut();
    void ownershipChange_data();
    void ownershipChange();
    void objectOwnership_data();
    void objectOwnership();
};

namespace {

const QString kBucket = QStringLiteral("amzn-s3-demo-bucket");

const S3Account &owner()
{
    static const S3Account a = makeAccount(QStringLiteral("111122223333"), QStringLiteral("owner"),
        QStringLiteral("owner@example.com"));
    return a;
}

const S3Account &other()
{
    static const S3Account a = makeAccount(QStringLiteral("444455556666"), QStringLiteral("other"),
        QStringLiteral("other@example.com"));
    return a;
}

// "owner", "other", "default"; anything else is anonymous.
const S3Account *account(const QString &name)
{
    static const S3Account fallback = defaultAccount();
    if (name == QLatin1String("owner"))
        return &owner();
    if (name == QLatin1String("other"))
        return &other();
    if (name == QLatin1String("default"))
        return &fallback;
    return nullptr;
}

S3AccountLookup lookup()
{
    S3AccountLookup l;
    l.byCanonicalId = [](const QString &id) -> std::optional<S3Account> {
        for (const S3Account &a : {owner(), other(), defaultAccount()}) {
            if (a.canonicalId == id)
                return a;
        }
        return std::nullopt;
    };
    l.byEmail = [](const QString &email) -> std::optional<S3Account> {
        for (const S3Account &a : {owner(), other()}) {
            if (a.email.compare(email, Qt::CaseInsensitive) == 0)
                return a;
        }
        return std::nullopt;
    };
    return l;
}

// Grants as short strings: "owner:FULL_CONTROL", "AllUsers:READ".
QStringList describe(const S3Acl &acl)
{
    QStringList out;
    for (const S3Grant &g : acl.grants) {
        QString who;
        if (g.type == S3Grant::Type::Group)
            who = g.uri.section(u'/', -1);
        else if (g.id == owner().canonicalId)
            who = QStringLiteral("owner");
        else if (g.id == other().canonicalId)
            who = QStringLiteral("other");
        else
            who = g.displayName;
        out.append(who + u':' + permissionName(g.permission));
    }
    return out;
}

// An ACL from a short spec: "" none, a canned name, or "<permission>:<account>" grants
// ("write:other,read-acp:other") owned by `resourceOwner`.
std::optional<S3Acl> aclFromSpec(const QString &spec, const S3Account &resourceOwner)
{
    if (spec.isEmpty())
        return std::nullopt;
    if (!spec.contains(u':'))
        return cannedObjectAcl(spec, resourceOwner, owner()).value();
    S3GrantHeaders headers;
    for (const QString &item : spec.split(u',')) {
        const QString permission = item.section(u':', 0, 0);
        const QByteArray value
            = "id=\"" + account(item.section(u':', 1))->canonicalId.toLatin1() + '"';
        QByteArray *header = permission == QLatin1String("read") ? &headers.read
            : permission == QLatin1String("write")               ? &headers.write
            : permission == QLatin1String("read-acp")            ? &headers.readAcp
            : permission == QLatin1String("write-acp")           ? &headers.writeAcp
                                                                 : &headers.fullControl;
        *header += (header->isEmpty() ? QByteArray() : QByteArrayLiteral(",")) + value;
    }
    return aclFromGrantHeaders(headers, resourceOwner, lookup()).value();
}

// "key=value" (several values separated by '|').
S3ConditionContext contextFrom(const QStringList &entries)
{
    S3ConditionContext c;
    for (const QString &e : entries) {
        const qsizetype eq = e.indexOf(u'=');
        c.set(e.first(eq), e.sliced(eq + 1).split(u'|'));
    }
    return c;
}

S3PublicAccessBlock blockFrom(const QString &flags)
{
    S3PublicAccessBlock b;
    b.blockPublicAcls = flags.contains(QLatin1String("BPA"));
    b.ignorePublicAcls = flags.contains(QLatin1String("IPA"));
    b.blockPublicPolicy = flags.contains(QLatin1String("BPP"));
    b.restrictPublicBuckets = flags.contains(QLatin1String("RPB"));
    return b;
}

QByteArray statement(const QByteArray &body)
{
    return R"({"Version": "2012-10-17", "Statement": [)" + body + "]}";
}

// Policies from AWS's "Examples of Amazon S3 bucket policies" (bucket amzn-s3-demo-bucket,
// accounts 111122223333 = owner and 444455556666 = other).
QByteArray examplePolicy(const QString &name)
{
    static const QHash<QString, QByteArray> policies = {
        {QStringLiteral("publicRead"), statement(R"({"Sid": "PublicRead", "Effect": "Allow",
            "Principal": "*", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/public/*"})")},
        {QStringLiteral("ipAllow"), statement(R"({"Sid": "IPAllow", "Effect": "Allow",
            "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"],
            "Condition": {
                "IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:DB8:1234:5678::/64"]},
                "NotIpAddress": {"aws:SourceIp": ["192.0.2.188/32", "2001:DB8:1234:5678:ABCD::/80"]}}})")},
        {QStringLiteral("ipDeny"), statement(R"({"Sid": "IPDeny", "Effect": "Deny",
            "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"],
            "Condition": {"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}})")},
        {QStringLiteral("referer"), statement(R"({"Sid": "AllowReferers", "Effect": "Allow",
            "Principal": "*", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
            "Condition": {"StringLike": {"aws:Referer": ["https://www.example.com/*",
                "https://example.com/*"]}}})")},
        {QStringLiteral("requireSse"), statement(R"({"Sid": "DenyIncorrectEncryptionHeader",
            "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
            "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}},
            {"Sid": "DenyUnencryptedObjectUploads", "Effect": "Deny", "Principal": "*",
            "Action": "s3:PutObject", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
            "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}})")},
        {QStringLiteral("secureTransport"), statement(R"({"Sid": "RestrictToTLSRequestsOnly",
            "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}})")},
        {QStringLiteral("mfa"), statement(R"({"Sid": "RequireMFA", "Effect": "Deny",
            "Principal": "*", "Action": "s3:*",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/taxdocuments/*",
            "Condition": {"Null": {"aws:MultiFactorAuthAge": true}}},
            {"Sid": "RecentMFA", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/taxdocuments/*",
            "Condition": {"NumericGreaterThan": {"aws:MultiFactorAuthAge": 3600}}})")},
        {QStringLiteral("crossAccount"), statement(R"({"Sid": "CrossAccountPut",
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
            "Action": ["s3:PutObject", "s3:PutObjectAcl"],
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}})")},
        {QStringLiteral("notPrincipal"), statement(R"({"Effect": "Deny",
            "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:root"]}, "Action": "s3:*",
            "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"]})")},
        {QStringLiteral("wildcards"), statement(R"({"Effect": "Allow",
            "Principal": {"AWS": "444455556666"}, "Action": "s3:Get*",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/logs/2024-??-*.gz"})")},
        {QStringLiteral("listPrefix"), statement(R"({"Effect": "Allow",
            "Principal": {"AWS": "444455556666"}, "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket",
            "Condition": {"StringEquals": {"s3:prefix": ["", "home/"], "s3:delimiter": "/"}}})")},
        {QStringLiteral("variables"), statement(R"({"Effect": "Allow", "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:PrincipalAccount}/*"})")},
        {QStringLiteral("tags"), statement(R"({"Effect": "Allow", "Principal": "*",
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
            "Condition": {"StringEquals": {"s3:ExistingObjectTag/environment": "production"}}})")},
        {QStringLiteral("dates"), statement(R"({"Effect": "Deny", "Principal": "*",
            "Action": "s3:*", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
            "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
            "Condition": {"DateLessThan": {"aws:EpochTime": "2020-01-01T00:00:00Z"}}})")},
        {QStringLiteral("tagKeys"), statement(R"({"Effect": "Allow", "Principal": "*",
            "Action": "s3:PutObject", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
            "Condition": {"ForAllValues:StringEquals": {"s3:RequestObjectTagKeys":
                ["Department", "Project"]}}},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
            "Condition": {"ForAnyValue:StringEquals": {"s3:RequestObjectTagKeys": "Secret"}}})")},
        {QStringLiteral("ifExists"), statement(R"({"Effect": "Deny", "Principal": "*",
            "Action": "s3:PutObject", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
            "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-storage-class": "STANDARD"}}})")},
        {QStringLiteral("denyAll"), statement(R"({"Effect": "Deny", "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"]})")},
        {QStringLiteral("allowOtherPolicy"), statement(R"({"Effect": "Allow",
            "Principal": {"AWS": "444455556666"}, "Action": "s3:GetBucketPolicy",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket"})")},
    };
    return policies.value(name);
}

S3BucketPolicy examplePolicyParsed(const QString &name)
{
    auto policy = S3BucketPolicy::parse(examplePolicy(name), kBucket);
    if (!policy)
        qFatal("example policy %s does not parse: %s", qPrintable(name),
            qPrintable(policy.error().message));
    return policy.value();
}

QString decisionName(S3PolicyDecision d)
{
    switch (d) {
    case S3PolicyDecision::Allow:
        return QStringLiteral("Allow");
    case S3PolicyDecision::Deny:
        return QStringLiteral("Deny");
    case S3PolicyDecision::NotApplicable:
        break;
    }
    return QStringLiteral("NotApplicable");
}

// A Resource (or NotResource) element for an S3 ARN ("amzn-s3-demo-bucket/*").
QByteArray resource(const QByteArray &path, const QByteArray &element = "Resource")
{
    return '"' + element + R"(": "arn:aws:s3:::)" + path + '"';
}

} // namespace

void TestS3Access::accounts()
{
    const S3Account d = defaultAccount();
    QCOMPARE(d.accountId, QStringLiteral("000000000000"));
    QCOMPARE(d.canonicalId,
        QStringLiteral("75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"));
    QCOMPARE(d.displayName, QStringLiteral("tarmac"));
    QCOMPARE(canonicalIdFor(d.accountId), d.canonicalId);
    // Deterministic, well formed, distinct.
    QCOMPARE(canonicalIdFor(QStringLiteral("111122223333")), owner().canonicalId);
    QVERIFY(isCanonicalId(owner().canonicalId));
    QVERIFY(owner().canonicalId != other().canonicalId);
    QVERIFY(!isCanonicalId(u"abc"));
}

void TestS3Access::cannedAcl_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("object");
    QTest::addColumn<QString>("writer"); // the resource's owner
    QTest::addColumn<QStringList>("grants"); // empty: InvalidArgument
    const QString o = QStringLiteral("owner:FULL_CONTROL");
    const QString x = QStringLiteral("other:FULL_CONTROL");
    QTest::newRow("private") << QStringLiteral("private") << false << QStringLiteral("owner")
                             << QStringList {o};
    QTest::newRow("public-read") << QStringLiteral("public-read") << false
                                 << QStringLiteral("owner")
                                 << QStringList {o, QStringLiteral("AllUsers:READ")};
    QTest::newRow("public-read-write")
        << QStringLiteral("public-read-write") << true << QStringLiteral("owner")
        << QStringList {o, QStringLiteral("AllUsers:READ"), QStringLiteral("AllUsers:WRITE")};
    QTest::newRow("authenticated-read")
        << QStringLiteral("authenticated-read") << true << QStringLiteral("owner")
        << QStringList {o, QStringLiteral("AuthenticatedUsers:READ")};
    QTest::newRow("aws-exec-read")
        << QStringLiteral("aws-exec-read") << true << QStringLiteral("owner")
        << QStringList {o, QStringLiteral("za-team:READ")};
    QTest::newRow("log-delivery-write")
        << QStringLiteral("log-delivery-write") << false << QStringLiteral("owner")
        << QStringList {
               o, QStringLiteral("LogDelivery:WRITE"), QStringLiteral("LogDelivery:READ_ACP")};
    QTest::newRow("bucket-owner-read, other writer")
        << QStringLiteral("bucket-owner-read") << true << QStringLiteral("other")
        << QStringList {x, QStringLiteral("owner:READ")};
    QTest::newRow("bucket-owner-full-control, other writer")
        << QStringLiteral("bucket-owner-full-control") << true << QStringLiteral("other")
        << QStringList {x, o};
    QTest::newRow("bucket-owner-full-control, owner writer")
        << QStringLiteral("bucket-owner-full-control") << true << QStringLiteral("owner")
        << QStringList {o};
    QTest::newRow("bucket-owner-read on a bucket is ignored")
        << QStringLiteral("bucket-owner-read") << false << QStringLiteral("other")
        << QStringList {x};
    QTest::newRow("unknown") << QStringLiteral("public") << false << QStringLiteral("owner")
                             << QStringList();
    QTest::newRow("case matters") << QStringLiteral("Private") << true << QStringLiteral("owner")
                                  << QStringList();
}

void TestS3Access::cannedAcl()
{
    QFETCH(QString, name);
    QFETCH(bool, object);
    QFETCH(QString, writer);
    QFETCH(QStringList, grants);
    const S3Account &w = *account(writer);
    auto acl = object ? cannedObjectAcl(name, w, owner()) : cannedBucketAcl(name, w);
    QCOMPARE(acl.ok(), !grants.isEmpty());
    if (!acl) {
        QCOMPARE(acl.error().code, QStringLiteral("InvalidArgument"));
        QCOMPARE(acl.error().httpStatus, 400);
        return;
    }
    QCOMPARE(acl->ownerId, w.canonicalId);
    QCOMPARE(describe(*acl), grants);
}

void TestS3Access::grantHeaders_data()
{
    QTest::addColumn<QByteArray>("read");
    QTest::addColumn<QByteArray>("fullControl");
    QTest::addColumn<QStringList>("grants");
    QTest::addColumn<QString>("error");
    const QByteArray otherId = "id=\"" + other().canonicalId.toLatin1() + '"';
    QTest::newRow("AllUsers read")
        << QByteArray(R"(uri="http://acs.amazonaws.com/groups/global/AllUsers")") << QByteArray()
        << QStringList {QStringLiteral("AllUsers:READ")} << QString();
    QTest::newRow("id and e-mail, comma separated")
        << QByteArray(otherId + R"(, emailAddress="OWNER@example.com")") << otherId
        << QStringList {QStringLiteral("other:READ"), QStringLiteral("owner:READ"),
               QStringLiteral("other:FULL_CONTROL")}
        << QString();
    QTest::newRow("unquoted") << QByteArray("id=" + other().canonicalId.toLatin1()) << QByteArray()
                              << QStringList {QStringLiteral("other:READ")} << QString();
    QTest::newRow("not key=value") << QByteArray("everyone") << QByteArray() << QStringList()
                                   << QStringLiteral("InvalidArgument");
    QTest::newRow("unknown key") << QByteArray(R"(name="bob")") << QByteArray() << QStringList()
                                 << QStringLiteral("InvalidArgument");
    QTest::newRow("unknown group")
        << QByteArray(R"(uri="http://acs.amazonaws.com/groups/global/Everyone")") << QByteArray()
        << QStringList() << QStringLiteral("InvalidArgument");
    QTest::newRow("malformed id") << QByteArray(R"(id="1234")") << QByteArray() << QStringList()
                                  << QStringLiteral("InvalidArgument");
    QTest::newRow("unknown id") << QByteArray("id=\"" + QByteArray(64, 'a') + '"') << QByteArray()
                                << QStringList() << QStringLiteral("InvalidArgument");
    QTest::newRow("unknown e-mail")
        << QByteArray(R"(emailAddress="nobody@example.com")") << QByteArray() << QStringList()
        << QStringLiteral("UnresolvableGrantByEmailAddress");
}

void TestS3Access::grantHeaders()
{
    QFETCH(QByteArray, read);
    QFETCH(QByteArray, fullControl);
    QFETCH(QStringList, grants);
    QFETCH(QString, error);
    S3GrantHeaders headers;
    headers.read = read;
    headers.fullControl = fullControl;
    auto acl = aclFromGrantHeaders(headers, owner(), lookup());
    QCOMPARE(acl.ok(), error.isEmpty());
    if (!acl) {
        QCOMPARE(acl.error().code, error);
        return;
    }
    QCOMPARE(acl->ownerId, owner().canonicalId);
    QCOMPARE(describe(*acl), grants);
}

void TestS3Access::aclFromHeaders_data()
{
    QTest::addColumn<QByteArray>("canned");
    QTest::addColumn<QByteArray>("read");
    QTest::addColumn<int>("grants"); // -1: no ACL asked for
    QTest::addColumn<QString>("error");
    const QByteArray allUsers = R"(uri="http://acs.amazonaws.com/groups/global/AllUsers")";
    QTest::newRow("neither") << QByteArray() << QByteArray() << -1 << QString();
    QTest::newRow("canned") << QByteArray("public-read") << QByteArray() << 2 << QString();
    QTest::newRow("grants") << QByteArray() << allUsers << 1 << QString();
    QTest::newRow("both") << QByteArray("private") << allUsers << 0
                          << QStringLiteral("InvalidRequest");
    QTest::newRow("bad canned") << QByteArray("nope") << QByteArray() << 0
                                << QStringLiteral("InvalidArgument");
}

void TestS3Access::aclFromHeaders()
{
    QFETCH(QByteArray, canned);
    QFETCH(QByteArray, read);
    QFETCH(int, grants);
    QFETCH(QString, error);
    S3GrantHeaders headers;
    headers.read = read;
    auto acl = s3access::aclFromHeaders(canned, headers, owner(), &owner(), lookup());
    QCOMPARE(acl.ok(), error.isEmpty());
    if (!acl) {
        QCOMPARE(acl.error().code, error);
        if (error == QLatin1String("InvalidRequest"))
            QCOMPARE(acl.error().message,
                QStringLiteral("Specifying both Canned ACLs and Header Grants is not allowed"));
        return;
    }
    QCOMPARE(acl->has_value(), grants >= 0);
    if (grants >= 0)
        QCOMPARE(acl->value().grants.size(), grants);
}

void TestS3Access::parseAcl_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QStringList>("grants");
    QTest::addColumn<QString>("error");
    const QByteArray ownerId = owner().canonicalId.toLatin1();
    const QByteArray head
        = R"(<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>)"
        + ownerId + "</ID></Owner><AccessControlList>";
    const QByteArray tail = "</AccessControlList></AccessControlPolicy>";
    const auto grant = [](const QByteArray &grantee, const QByteArray &permission) -> QByteArray {
        return R"(<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">)" + grantee
            + "</Grantee><Permission>" + permission + "</Permission></Grant>";
    };
    QTest::newRow("boto3's shape")
        << QByteArray(head
               + grant("<ID>" + ownerId + "</ID><DisplayName>x</DisplayName>", "FULL_CONTROL")
               + grant("<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>", "READ")
               + grant("<EmailAddress>other@example.com</EmailAddress>", "WRITE_ACP") + tail)
        << QStringList {QStringLiteral("owner:FULL_CONTROL"), QStringLiteral("AllUsers:READ"),
               QStringLiteral("other:WRITE_ACP")}
        << QString();
    QTest::newRow("no grants") << QByteArray(head + tail) << QStringList() << QString();
    QTest::newRow("not XML") << QByteArray("<AccessControlPolicy>") << QStringList()
                             << QStringLiteral("MalformedACLError");
    QTest::newRow("wrong root") << QByteArray(
        "<Policy><Owner><ID>" + ownerId + "</ID></Owner></Policy>")
                                << QStringList() << QStringLiteral("MalformedACLError");
    QTest::newRow("no owner") << QByteArray(
        "<AccessControlPolicy><AccessControlList/></AccessControlPolicy>")
                              << QStringList() << QStringLiteral("MalformedACLError");
    QTest::newRow("another owner") << QByteArray("<AccessControlPolicy><Owner><ID>"
        + other().canonicalId.toLatin1() + "</ID></Owner></AccessControlPolicy>")
                                   << QStringList() << QStringLiteral("AccessDenied");
    QTest::newRow("misspelt permission")
        << QByteArray(head + grant("<ID>" + ownerId + "</ID>", "FULL_CONTROLL") + tail)
        << QStringList() << QStringLiteral("MalformedACLError");
    QTest::newRow("grant without grantee")
        << QByteArray(head + "<Grant><Permission>READ</Permission></Grant>" + tail) << QStringList()
        << QStringLiteral("MalformedACLError");
    QTest::newRow("two grantees in one grant") << QByteArray(head
        + grant(
            "<ID>" + ownerId + "</ID><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>",
            "READ")
        + tail) << QStringList() << QStringLiteral("MalformedACLError");
    QTest::newRow("stray element") << QByteArray(head + "<Rule/>" + tail) << QStringList()
                                   << QStringLiteral("MalformedACLError");
    QTest::newRow("malformed id") << QByteArray(head + grant("<ID>abc</ID>", "READ") + tail)
                                  << QStringList() << QStringLiteral("InvalidArgument");
    QTest::newRow("unknown id") << QByteArray(
        head + grant("<ID>" + QByteArray(64, 'b') + "</ID>", "READ") + tail)
                                << QStringList() << QStringLiteral("InvalidArgument");
    QTest::newRow("unknown group")
        << QByteArray(head + grant("<URI>http://example.com/group</URI>", "READ") + tail)
        << QStringList() << QStringLiteral("InvalidArgument");
    QTest::newRow("unknown e-mail")
        << QByteArray(head + grant("<EmailAddress>x@example.com</EmailAddress>", "READ") + tail)
        << QStringList() << QStringLiteral("UnresolvableGrantByEmailAddress");
}

void TestS3Access::parseAcl()
{
    QFETCH(QByteArray, body);
    QFETCH(QStringList, grants);
    QFETCH(QString, error);
    auto acl = parseAccessControlPolicy(body, owner(), lookup());
    QCOMPARE(acl.ok(), error.isEmpty());
    if (!acl) {
        QCOMPARE(acl.error().code, error);
        QCOMPARE(acl.error().httpStatus, error == QLatin1String("AccessDenied") ? 403 : 400);
        return;
    }
    QCOMPARE(acl->ownerId, owner().canonicalId);
    QCOMPARE(describe(*acl), grants);
}

void TestS3Access::renderAcl()
{
    const S3Acl acl = cannedBucketAcl(QStringLiteral("public-read"), owner()).value();
    const QByteArray id = owner().canonicalId.toLatin1();
    const QByteArray expected
        = R"(<?xml version="1.0" encoding="UTF-8"?>)"
          R"(<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
          "<Owner><ID>"
        + id
        + "</ID><DisplayName>owner</DisplayName></Owner><AccessControlList>"
          R"(<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">)"
          "<ID>"
        + id
        + "</ID><DisplayName>owner</DisplayName></Grantee>"
          "<Permission>FULL_CONTROL</Permission></Grant>"
          R"(<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">)"
          "<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee>"
          "<Permission>READ</Permission></Grant>"
          "</AccessControlList></AccessControlPolicy>\n";
    QCOMPARE(renderAccessControlPolicy(acl), expected);
    // What GetBucketAcl renders, PutBucketAcl accepts back unchanged.
    auto again = parseAccessControlPolicy(expected, owner(), lookup());
    QVERIFY(again);
    QCOMPARE(*again, acl);
}

void TestS3Access::storage_data()
{
    QTest::addColumn<QString>("spec");
    QTest::newRow("private") << QStringLiteral("private");
    QTest::newRow("log-delivery-write") << QStringLiteral("log-delivery-write");
    QTest::newRow("aws-exec-read") << QStringLiteral("aws-exec-read");
    QTest::newRow("grants") << QStringLiteral("write:other,read-acp:default");
}

void TestS3Access::storage()
{
    QFETCH(QString, spec);
    S3Acl acl = *aclFromSpec(spec, owner());
    acl.grants.append(S3Grant {S3Grant::Type::AmazonCustomerByEmail, {}, {}, {},
        QStringLiteral("a\"b\n@example.com"), S3Permission::Read});
    const QByteArray bytes = aclToStorage(acl);
    QVERIFY(!bytes.contains('\n'));
    const auto back = aclFromStorage(bytes);
    QVERIFY(back);
    QCOMPARE(*back, acl);
}

void TestS3Access::storageRejectsGarbage_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("not json") << QByteArray("owner:x");
    QTest::newRow("no grants") << QByteArray(R"({"o": "x", "n": ""})");
    QTest::newRow("bad permission")
        << QByteArray(R"({"o": "x", "n": "", "g": [["C", "x", "", "ALL"]]})");
    QTest::newRow("bad kind") << QByteArray(
        R"({"o": "x", "n": "", "g": [["Z", "x", "", "READ"]]})");
    QTest::newRow("short grant") << QByteArray(R"({"o": "x", "n": "", "g": [["C", "x"]]})");
    QTest::newRow("number") << QByteArray(R"({"o": 1, "n": "", "g": []})");
}

void TestS3Access::storageRejectsGarbage()
{
    QFETCH(QByteArray, bytes);
    QVERIFY(!aclFromStorage(bytes));
}

void TestS3Access::aclGrants_data()
{
    QTest::addColumn<QString>("spec");
    QTest::addColumn<QString>("requester");
    QTest::addColumn<int>("permission");
    QTest::addColumn<bool>("ignorePublic");
    QTest::addColumn<bool>("granted");
    const int read = int(S3Permission::Read);
    const int write = int(S3Permission::Write);
    const int writeAcp = int(S3Permission::WriteAcp);
    QTest::newRow("owner's full control implies write acp")
        << QStringLiteral("private") << QStringLiteral("owner") << writeAcp << false << true;
    QTest::newRow("private: others nothing")
        << QStringLiteral("private") << QStringLiteral("other") << read << false << false;
    QTest::newRow("AllUsers: anonymous")
        << QStringLiteral("public-read") << QStringLiteral("anonymous") << read << false << true;
    QTest::newRow("AllUsers: read only")
        << QStringLiteral("public-read") << QStringLiteral("anonymous") << write << false << false;
    QTest::newRow("AllUsers ignored")
        << QStringLiteral("public-read") << QStringLiteral("other") << read << true << false;
    QTest::newRow("AuthenticatedUsers: signed")
        << QStringLiteral("authenticated-read") << QStringLiteral("other") << read << false << true;
    QTest::newRow("AuthenticatedUsers: not anonymous")
        << QStringLiteral("authenticated-read") << QStringLiteral("anonymous") << read << false
        << false;
    QTest::newRow("LogDelivery is nobody here")
        << QStringLiteral("log-delivery-write") << QStringLiteral("other") << write << false
        << false;
    QTest::newRow("canonical grant")
        << QStringLiteral("write:other") << QStringLiteral("other") << write << false << true;
    QTest::newRow("canonical grant, other permission")
        << QStringLiteral("write:other") << QStringLiteral("other") << read << false << false;
    QTest::newRow("canonical full control")
        << QStringLiteral("full-control:other") << QStringLiteral("other") << read << true << true;
}

void TestS3Access::aclGrants()
{
    QFETCH(QString, spec);
    QFETCH(QString, requester);
    QFETCH(int, permission);
    QFETCH(bool, ignorePublic);
    QFETCH(bool, granted);
    const S3Acl acl = *aclFromSpec(spec, owner());
    QCOMPARE(s3access::aclGrants(acl, S3Permission(permission), account(requester), ignorePublic),
        granted);
}

void TestS3Access::aclIsPublic_data()
{
    QTest::addColumn<QString>("spec");
    QTest::addColumn<bool>("isPublic");
    QTest::newRow("private") << QStringLiteral("private") << false;
    QTest::newRow("public-read") << QStringLiteral("public-read") << true;
    QTest::newRow("public-read-write") << QStringLiteral("public-read-write") << true;
    QTest::newRow("authenticated-read") << QStringLiteral("authenticated-read") << true;
    QTest::newRow("aws-exec-read") << QStringLiteral("aws-exec-read") << false;
    QTest::newRow("log-delivery-write") << QStringLiteral("log-delivery-write") << false;
    QTest::newRow("another account") << QStringLiteral("full-control:other") << false;
}

void TestS3Access::aclIsPublic()
{
    QFETCH(QString, spec);
    QFETCH(bool, isPublic);
    QCOMPARE(s3access::isPublic(*aclFromSpec(spec, owner())), isPublic);
}

void TestS3Access::parsePolicy_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("message"); // empty: valid
    const auto one = [](const QByteArray &s) -> QByteArray { return statement(s); };
    const QByteArray allow = R"("Effect": "Allow", "Principal": "*", )";
    const QByteArray objects = resource("amzn-s3-demo-bucket/*");
    const QByteArray bucket = R"("Resource": "arn:aws:s3:::amzn-s3-demo-bucket")";
    const QByteArray get = R"("Action": "s3:GetObject", )";

    QTest::newRow("statement as an object, no version")
        << QByteArray(R"({"Statement": {)" + allow + get + objects + "}}") << QString();
    QTest::newRow("2008-10-17") << QByteArray(
        R"({"Version": "2008-10-17", "Id": "x", "Statement": [{)" + allow + get + objects + "}]}")
                                << QString();
    QTest::newRow("NotAction and NotResource")
        << one(R"({"Effect": "Deny", "Principal": "*", "NotAction": "s3:GetObject", )"
               + resource("amzn-s3-demo-bucket/public/*", "NotResource") + "}")
        << QString();
    QTest::newRow("canonical and service principals") << one(
        R"({"Effect": "Allow", "Principal": {"CanonicalUser": ")" + owner().canonicalId.toLatin1()
        + R"(", "Service": "logging.s3.amazonaws.com"}, )" + get + objects + "}")
                                                      << QString();
    QTest::newRow("s3:* on objects only")
        << one("{" + allow + R"("Action": "s3:*", )" + objects + "}") << QString();
    QTest::newRow("wildcard bucket part reaches objects")
        << one("{" + allow + get + R"("Resource": "arn:aws:s3:::amzn-s3-demo-*"})") << QString();
    QTest::newRow("lower-case action")
        << one("{" + allow + R"("Action": "s3:getobject", )" + objects + "}") << QString();

    QTest::newRow("empty") << QByteArray()
                           << QStringLiteral(
                                  "Policies must be valid JSON and the first byte must be '{'");
    QTest::newRow("array") << QByteArray(
        "  [1]") << QStringLiteral("Policies must be valid JSON and the first byte must be '{'");
    QTest::newRow("truncated") << QByteArray("{\"Statement\": [")
                               << QStringLiteral(
                                      "Policies must be valid JSON and the first byte must be '{'");
    QTest::newRow("no statement") << QByteArray(R"({"Version": "2012-10-17"})")
                                  << QStringLiteral("Missing required field Statement");
    QTest::newRow("unknown top field")
        << QByteArray(R"({"Version": "2012-10-17", "Statements": []})")
        << QStringLiteral("Unknown field Statements");
    QTest::newRow("bad version") << QByteArray(R"({"Version": "2020-01-01", "Statement": {)" + allow
        + get + objects + "}}") << QStringLiteral("The policy must contain a valid version string");
    QTest::newRow("empty statement list")
        << QByteArray(R"({"Statement": []})")
        << QStringLiteral("Could not parse the policy: Statement is empty!");
    QTest::newRow("statement not an object")
        << one(R"("Allow")") << QStringLiteral("Invalid policy element");
    QTest::newRow("unknown statement field")
        << one("{" + allow + get + objects + R"(, "Conditions": {}})")
        << QStringLiteral("Unknown field Conditions");
    QTest::newRow("sid not a string") << one(R"({"Sid": 5, )" + allow + get + objects + "}")
                                      << QStringLiteral("Invalid policy element");
    QTest::newRow("no effect") << one(R"({"Principal": "*", )" + get + objects + "}")
                               << QStringLiteral("Missing required field Effect");
    QTest::newRow("bad effect") << one(R"({"Effect": "Permit", "Principal": "*", )" + get + objects
        + "}") << QStringLiteral("Invalid effect: Permit");
    QTest::newRow("no principal") << one(R"({"Effect": "Allow", )" + get + objects + "}")
                                  << QStringLiteral("Missing required field Principal");
    QTest::newRow("principal and not principal") << one(
        R"({"Effect": "Deny", "Principal": "*", "NotPrincipal": "*", )" + get + objects
        + "}") << QStringLiteral("Statement/policy already has instance of Principal");
    QTest::newRow("principal string")
        << one(R"({"Effect": "Allow", "Principal": "everyone", )" + get + objects + "}")
        << QStringLiteral("Invalid principal in policy");
    QTest::newRow("principal wildcard account") << one(
        R"({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::*:root"}, )" + get + objects
        + "}") << QStringLiteral("Invalid principal in policy");
    QTest::newRow("principal unknown type") << one(
        R"({"Effect": "Allow", "Principal": {"Account": "111122223333"}, )" + get + objects + "}")
                                            << QStringLiteral("Invalid principal in policy");
    QTest::newRow("principal empty")
        << one(R"({"Effect": "Allow", "Principal": {}, )" + get + objects + "}")
        << QStringLiteral("Invalid principal in policy");
    QTest::newRow("canonical user too short") << one(
        R"({"Effect": "Allow", "Principal": {"CanonicalUser": "abc"}, )" + get + objects + "}")
                                              << QStringLiteral("Invalid principal in policy");
    QTest::newRow("no action") << one("{" + allow + objects + "}")
                               << QStringLiteral("Missing required field Action");
    QTest::newRow("unknown action")
        << one("{" + allow + R"("Action": "s3:GetObjects", )" + objects + "}")
        << QStringLiteral("Policy has invalid action");
    QTest::newRow("another service")
        << one("{" + allow + R"("Action": "iam:PassRole", )" + objects + "}")
        << QStringLiteral("Policy has invalid action");
    QTest::newRow("empty action list") << one("{" + allow + R"("Action": [], )" + objects + "}")
                                       << QStringLiteral("Invalid policy element");
    QTest::newRow("no resource") << one("{" + allow + R"("Action": "s3:GetObject"})")
                                 << QStringLiteral("Missing required field Resource");
    QTest::newRow("another bucket") << one("{" + allow + get + resource("other-bucket/*") + "}")
                                    << QStringLiteral("Policy has invalid resource");
    QTest::newRow("star resource") << one("{" + allow + get + R"("Resource": "*"})")
                                   << QStringLiteral("Policy has invalid resource");
    QTest::newRow("not an s3 arn")
        << one("{" + allow + get + "\"Resource\": \"amzn-s3-demo-bucket/*\"}")
        << QStringLiteral("Policy has invalid resource");
    QTest::newRow("ListBucket on objects")
        << one("{" + allow + R"("Action": ["s3:GetObject", "s3:ListBucket"], )" + objects + "}")
        << QStringLiteral("Action does not apply to any resource(s) in statement");
    QTest::newRow("GetObject on the bucket")
        << one("{" + allow + get + bucket + "}")
        << QStringLiteral("Action does not apply to any resource(s) in statement");
    QTest::newRow("ListAllMyBuckets")
        << one("{" + allow + R"("Action": "s3:ListAllMyBuckets", )" + bucket + "}")
        << QStringLiteral("Action does not apply to any resource(s) in statement");
    QTest::newRow("unknown operator") << one(
        "{" + allow + get + objects + R"(, "Condition": {"StringEqualz": {"aws:Referer": "x"}}})")
                                      << QStringLiteral("Invalid Condition type : StringEqualz");
    QTest::newRow("NullIfExists") << one("{" + allow + get + objects
        + R"(, "Condition": {"NullIfExists": {"aws:Referer": "true"}}})")
                                  << QStringLiteral("Invalid Condition type : NullIfExists");
    QTest::newRow("bad condition key") << one(
        "{" + allow + get + objects + R"(, "Condition": {"StringEquals": {"referer": "x"}}})")
                                       << QStringLiteral("Policy has an invalid condition key");
    QTest::newRow("condition value object") << one(
        "{" + allow + get + objects + R"(, "Condition": {"StringEquals": {"aws:Referer": {}}}})")
                                            << QStringLiteral("Invalid policy element");
    QTest::newRow("too large") << QByteArray(R"({"Id": ")"
        + QByteArray(S3BucketPolicy::kMaxSize, 'x')
        + R"("})") << QStringLiteral("Policy exceeds the maximum allowed document size.");
}

void TestS3Access::parsePolicy()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, message);
    auto policy = S3BucketPolicy::parse(text, kBucket);
    if (policy.ok() != message.isEmpty())
        qWarning() << (policy ? QStringLiteral("accepted") : policy.error().message);
    QCOMPARE(policy.ok(), message.isEmpty());
    if (!policy) {
        QCOMPARE(policy.error().code, QStringLiteral("MalformedPolicy"));
        QCOMPARE(policy.error().httpStatus, 400);
        QCOMPARE(policy.error().message, message);
    }
}

void TestS3Access::parsedPolicyShape()
{
    const S3BucketPolicy p = examplePolicyParsed(QStringLiteral("ipAllow"));
    QCOMPARE(p.version(), QStringLiteral("2012-10-17"));
    QCOMPARE(p.statements().size(), 1);
    const S3PolicyStatement &st = p.statements().front();
    QCOMPARE(st.sid, QStringLiteral("IPAllow"));
    QVERIFY(st.allow && st.principal.everyone && !st.notPrincipal);
    QCOMPARE(st.conditions.size(), 2);
    QCOMPARE(st.conditions[1].op, S3PolicyCondition::Operator::NotIpAddress);
    QCOMPARE(st.conditions[1].values.size(), 2);
    // Both ways of naming an account are the account.
    QCOMPARE(examplePolicyParsed(QStringLiteral("crossAccount")).statements()[0].principal.accounts,
        QStringList {QStringLiteral("444455556666")});
    QCOMPARE(examplePolicyParsed(QStringLiteral("wildcards")).statements()[0].principal.accounts,
        QStringList {QStringLiteral("444455556666")});
    // Numbers and booleans are kept as their JSON text.
    QCOMPARE(examplePolicyParsed(QStringLiteral("mfa")).statements()[1].conditions[0].values,
        QStringList {QStringLiteral("3600")});
}

void TestS3Access::evaluatePolicy_data()
{
    QTest::addColumn<QString>("policy");
    QTest::addColumn<QString>("requester");
    QTest::addColumn<QString>("action");
    QTest::addColumn<QString>("key"); // empty: the bucket
    QTest::addColumn<QStringList>("context");
    QTest::addColumn<QString>("decision");
    const QString get = QStringLiteral("s3:GetObject");
    const QString put = QStringLiteral("s3:PutObject");
    const QString list = QStringLiteral("s3:ListBucket");
    const QString anon = QStringLiteral("anonymous");
    const QString allow = QStringLiteral("Allow");
    const QString deny = QStringLiteral("Deny");
    const QString na = QStringLiteral("NotApplicable");
    const auto row = [](const char *name) -> QTestData & { return QTest::newRow(name); };

    row("public prefix: anonymous") << QStringLiteral("publicRead") << anon << get
                                    << QStringLiteral("public/a.png") << QStringList() << allow;
    row("public prefix: versions too")
        << QStringLiteral("publicRead") << anon << QStringLiteral("s3:GetObjectVersion")
        << QStringLiteral("public/a.png") << QStringList() << allow;
    row("public prefix: outside") << QStringLiteral("publicRead") << anon << get
                                  << QStringLiteral("private/a.png") << QStringList() << na;
    row("public prefix: other action") << QStringLiteral("publicRead") << anon << put
                                       << QStringLiteral("public/a.png") << QStringList() << na;
    row("public prefix: case of the key") << QStringLiteral("publicRead") << anon << get
                                          << QStringLiteral("Public/a.png") << QStringList() << na;
    row("public prefix: action names ignore case")
        << QStringLiteral("publicRead") << anon << QStringLiteral("S3:GETOBJECT")
        << QStringLiteral("public/a.png") << QStringList() << allow;

    row("IPv4 in range") << QStringLiteral("ipAllow") << anon << get << QStringLiteral("k")
                         << QStringList {QStringLiteral("aws:SourceIp=192.0.2.10")} << allow;
    row("IPv4 excluded") << QStringLiteral("ipAllow") << anon << get << QStringLiteral("k")
                         << QStringList {QStringLiteral("aws:SourceIp=192.0.2.188")} << na;
    row("IPv4 outside") << QStringLiteral("ipAllow") << anon << list << QString()
                        << QStringList {QStringLiteral("aws:SourceIp=198.51.100.7")} << na;
    row("IPv6 in range") << QStringLiteral("ipAllow") << anon << get << QStringLiteral("k")
                         << QStringList {QStringLiteral("aws:SourceIp=2001:db8:1234:5678::1")}
                         << allow;
    row("IPv6 excluded /80") << QStringLiteral("ipAllow") << anon << get << QStringLiteral("k")
                             << QStringList {QStringLiteral(
                                    "aws:SourceIp=2001:db8:1234:5678:abcd::9")}
                             << na;
    row("IPv6 outside") << QStringLiteral("ipAllow") << anon << get << QStringLiteral("k")
                        << QStringList {QStringLiteral("aws:SourceIp=2001:db8:ffff::1")} << na;
    row("no source ip") << QStringLiteral("ipAllow") << anon << get << QStringLiteral("k")
                        << QStringList() << na;
    row("deny outside the CIDR") << QStringLiteral("ipDeny") << QStringLiteral("owner") << get
                                 << QStringLiteral("k")
                                 << QStringList {QStringLiteral("aws:SourceIp=198.51.100.7")}
                                 << deny;
    row("no source ip: a negated operator holds")
        << QStringLiteral("ipDeny") << QStringLiteral("owner") << list << QString() << QStringList()
        << deny;
    row("no deny inside the CIDR")
        << QStringLiteral("ipDeny") << QStringLiteral("owner") << list << QString()
        << QStringList {QStringLiteral("aws:SourceIp=192.0.2.1")} << na;

    row("referer allowed") << QStringLiteral("referer") << anon << get << QStringLiteral("k")
                           << QStringList {QStringLiteral(
                                  "aws:Referer=https://www.example.com/page")}
                           << allow;
    row("referer other site") << QStringLiteral("referer") << anon << get << QStringLiteral("k")
                              << QStringList {QStringLiteral(
                                     "aws:Referer=https://evil.example.net/example.com/")}
                              << na;
    row("no referer") << QStringLiteral("referer") << anon << get << QStringLiteral("k")
                      << QStringList() << na;
    row("key names ignore case") << QStringLiteral("referer") << anon << get << QStringLiteral("k")
                                 << QStringList {QStringLiteral("AWS:REFERER=https://example.com/")}
                                 << allow;

    row("SSE AES256") << QStringLiteral("requireSse") << QStringLiteral("other") << put
                      << QStringLiteral("k")
                      << QStringList {QStringLiteral("s3:x-amz-server-side-encryption=AES256")}
                      << na;
    row("SSE wrong") << QStringLiteral("requireSse") << QStringLiteral("other") << put
                     << QStringLiteral("k")
                     << QStringList {QStringLiteral("s3:x-amz-server-side-encryption=aws:kms")}
                     << deny;
    row("SSE missing: negated operators hold")
        << QStringLiteral("requireSse") << QStringLiteral("other") << put << QStringLiteral("k")
        << QStringList() << deny;
    row("SSE: reads untouched") << QStringLiteral("requireSse") << QStringLiteral("other") << get
                                << QStringLiteral("k") << QStringList() << na;

    row("plain HTTP denied") << QStringLiteral("secureTransport") << QStringLiteral("owner") << list
                             << QString()
                             << QStringList {QStringLiteral("aws:SecureTransport=false")} << deny;
    row("HTTPS fine") << QStringLiteral("secureTransport") << QStringLiteral("owner") << get
                      << QStringLiteral("k")
                      << QStringList {QStringLiteral("aws:SecureTransport=TRUE")} << na;

    row("MFA missing") << QStringLiteral("mfa") << QStringLiteral("other") << get
                       << QStringLiteral("taxdocuments/2024.pdf") << QStringList() << deny;
    row("MFA recent") << QStringLiteral("mfa") << QStringLiteral("other") << get
                      << QStringLiteral("taxdocuments/2024.pdf")
                      << QStringList {QStringLiteral("aws:MultiFactorAuthAge=100")} << na;
    row("MFA old") << QStringLiteral("mfa") << QStringLiteral("other") << get
                   << QStringLiteral("taxdocuments/2024.pdf")
                   << QStringList {QStringLiteral("aws:MultiFactorAuthAge=4000")} << deny;
    row("MFA elsewhere") << QStringLiteral("mfa") << QStringLiteral("other") << get
                         << QStringLiteral("photos/cat.jpg") << QStringList() << na;

    row("cross account with the ACL")
        << QStringLiteral("crossAccount") << QStringLiteral("other") << put << QStringLiteral("k")
        << QStringList {QStringLiteral("s3:x-amz-acl=bucket-owner-full-control")} << allow;
    row("cross account without the ACL")
        << QStringLiteral("crossAccount") << QStringLiteral("other") << put << QStringLiteral("k")
        << QStringList() << na;
    row("cross account: another account")
        << QStringLiteral("crossAccount") << QStringLiteral("default") << put << QStringLiteral("k")
        << QStringList {QStringLiteral("s3:x-amz-acl=bucket-owner-full-control")} << na;
    row("cross account: anonymous")
        << QStringLiteral("crossAccount") << anon << put << QStringLiteral("k")
        << QStringList {QStringLiteral("s3:x-amz-acl=bucket-owner-full-control")} << na;

    row("NotPrincipal: the named account")
        << QStringLiteral("notPrincipal") << QStringLiteral("owner") << get << QStringLiteral("k")
        << QStringList() << na;
    row("NotPrincipal: others") << QStringLiteral("notPrincipal") << QStringLiteral("other") << list
                                << QString() << QStringList() << deny;
    row("NotPrincipal: anonymous") << QStringLiteral("notPrincipal") << anon << get
                                   << QStringLiteral("k") << QStringList() << deny;

    row("wildcards match") << QStringLiteral("wildcards") << QStringLiteral("other")
                           << QStringLiteral("s3:GetObjectTagging")
                           << QStringLiteral("logs/2024-05-01.gz") << QStringList() << allow;
    row("? is one character") << QStringLiteral("wildcards") << QStringLiteral("other") << get
                              << QStringLiteral("logs/2024-5-01.gz") << QStringList() << na;
    row("* crosses slashes") << QStringLiteral("wildcards") << QStringLiteral("other") << get
                             << QStringLiteral("logs/2024-05-a/b/c.gz") << QStringList() << allow;
    row("Get* is not Put") << QStringLiteral("wildcards") << QStringLiteral("other") << put
                           << QStringLiteral("logs/2024-05-01.gz") << QStringList() << na;

    row("prefix and delimiter") << QStringLiteral("listPrefix") << QStringLiteral("other") << list
                                << QString()
                                << QStringList {QStringLiteral("s3:prefix=home/"),
                                       QStringLiteral("s3:delimiter=/")}
                                << allow;
    row("empty prefix") << QStringLiteral("listPrefix") << QStringLiteral("other") << list
                        << QString()
                        << QStringList {QStringLiteral("s3:prefix="),
                               QStringLiteral("s3:delimiter=/")}
                        << allow;
    row("other prefix") << QStringLiteral("listPrefix") << QStringLiteral("other") << list
                        << QString()
                        << QStringList {QStringLiteral("s3:prefix=secret/"),
                               QStringLiteral("s3:delimiter=/")}
                        << na;
    row("no delimiter") << QStringLiteral("listPrefix") << QStringLiteral("other") << list
                        << QString() << QStringList {QStringLiteral("s3:prefix=home/")} << na;

    row("variable: own folder") << QStringLiteral("variables") << QStringLiteral("other") << get
                                << QStringLiteral("home/444455556666/notes.txt") << QStringList()
                                << allow;
    row("variable: another folder")
        << QStringLiteral("variables") << QStringLiteral("other") << get
        << QStringLiteral("home/111122223333/notes.txt") << QStringList() << na;
    row("variable: anonymous has none") << QStringLiteral("variables") << anon << get
                                        << QStringLiteral("home//notes.txt") << QStringList() << na;

    row("existing tag") << QStringLiteral("tags") << anon << get << QStringLiteral("k")
                        << QStringList {QStringLiteral(
                               "s3:ExistingObjectTag/environment=production")}
                        << allow;
    row("tag keys are case-sensitive")
        << QStringLiteral("tags") << anon << get << QStringLiteral("k")
        << QStringList {QStringLiteral("s3:ExistingObjectTag/Environment=production")} << na;

    row("after the date") << QStringLiteral("dates") << QStringLiteral("owner") << get
                          << QStringLiteral("k")
                          << QStringList {QStringLiteral("aws:CurrentTime=2031-06-01T12:00:00Z")}
                          << deny;
    row("before the date") << QStringLiteral("dates") << QStringLiteral("owner") << get
                           << QStringLiteral("k")
                           << QStringList {QStringLiteral("aws:CurrentTime=2029-06-01T12:00:00Z"),
                                  QStringLiteral("aws:EpochTime=1700000000")}
                           << na;
    row("epoch seconds against an ISO date")
        << QStringLiteral("dates") << QStringLiteral("owner") << get << QStringLiteral("k")
        << QStringList {QStringLiteral("aws:EpochTime=1500000000")} << deny;

    row("ForAllValues: subset") << QStringLiteral("tagKeys") << anon << put << QStringLiteral("k")
                                << QStringList {QStringLiteral("s3:RequestObjectTagKeys=Project")}
                                << allow;
    row("ForAllValues: extra key")
        << QStringLiteral("tagKeys") << anon << put << QStringLiteral("k")
        << QStringList {QStringLiteral("s3:RequestObjectTagKeys=Project|Owner")} << na;
    row("ForAllValues: no keys at all") << QStringLiteral("tagKeys") << anon << put
                                        << QStringLiteral("k") << QStringList() << allow;
    row("ForAnyValue: one forbidden key")
        << QStringLiteral("tagKeys") << anon << put << QStringLiteral("k")
        << QStringList {QStringLiteral("s3:RequestObjectTagKeys=Project|Secret")} << deny;

    row("IfExists: absent holds") << QStringLiteral("ifExists") << anon << put
                                  << QStringLiteral("k") << QStringList() << deny;
    row("IfExists: matching value")
        << QStringLiteral("ifExists") << anon << put << QStringLiteral("k")
        << QStringList {QStringLiteral("s3:x-amz-storage-class=STANDARD")} << na;
    row("IfExists: other value") << QStringLiteral("ifExists") << anon << put << QStringLiteral("k")
                                 << QStringList {QStringLiteral("s3:x-amz-storage-class=GLACIER")}
                                 << deny;
}

void TestS3Access::evaluatePolicy()
{
    QFETCH(QString, policy);
    QFETCH(QString, requester);
    QFETCH(QString, action);
    QFETCH(QString, key);
    QFETCH(QStringList, context);
    QFETCH(QString, decision);
    const S3BucketPolicy p = examplePolicyParsed(policy);
    S3AccessRequest request;
    request.requester = account(requester);
    request.action = action;
    request.resource = key.isEmpty() ? bucketArn(kBucket) : objectArn(kBucket, key.toUtf8());
    request.context = contextFrom(context);
    QCOMPARE(decisionName(p.evaluate(request)), decision);
}

void TestS3Access::policyIsPublic_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("isPublic");
    const auto allowAll
        = [](const QByteArray &principal, const QByteArray &condition) -> QByteArray {
        return statement(R"({"Effect": "Allow", "Principal": )" + principal
            + R"(, "Action": "s3:GetObject", )" + resource("amzn-s3-demo-bucket/*")
            + (condition.isEmpty() ? QByteArray() : ", \"Condition\": " + condition) + "}");
    };
    QTest::newRow("public read") << examplePolicy(QStringLiteral("publicRead")) << true;
    QTest::newRow("AWS: *") << allowAll(R"({"AWS": "*"})", {}) << true;
    QTest::newRow("fixed CIDRs") << examplePolicy(QStringLiteral("ipAllow")) << false;
    QTest::newRow("a /0 is everyone")
        << allowAll(R"("*")", R"({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})") << true;
    QTest::newRow("referer restricts nobody") << examplePolicy(QStringLiteral("referer")) << true;
    QTest::newRow("one account") << examplePolicy(QStringLiteral("crossAccount")) << false;
    QTest::newRow("deny only") << examplePolicy(QStringLiteral("notPrincipal")) << false;
    QTest::newRow("allow with NotPrincipal")
        << statement(R"({"Effect": "Allow", "NotPrincipal": {"AWS": "111122223333"},
            "Action": "s3:GetObject", )"
               + resource("amzn-s3-demo-bucket/*") + "}")
        << true;
    QTest::newRow("fixed VPC") << allowAll(
        R"("*")", R"({"StringEquals": {"aws:SourceVpc": "vpc-91237329"}})")
                               << false;
    QTest::newRow("wildcard VPC") << allowAll(
        R"("*")", R"({"StringLike": {"aws:SourceVpc": "vpc-*"}})")
                                  << true;
    QTest::newRow("organization") << allowAll(
        R"("*")", R"({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})")
                                  << false;
    QTest::newRow("source account IfExists")
        << allowAll(R"("*")", R"({"StringEqualsIfExists": {"aws:SourceAccount": "111122223333"}})")
        << true;
    QTest::newRow("negated source arn") << allowAll(
        R"("*")", R"({"ArnNotEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"}})")
                                        << true;
    QTest::newRow("fixed source arn")
        << allowAll(R"({"Service": "sns.amazonaws.com"})", {}) << false;
}

void TestS3Access::policyIsPublic()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, isPublic);
    auto policy = S3BucketPolicy::parse(text, kBucket);
    QVERIFY2(policy, qPrintable(policy ? QString() : policy.error().message));
    QCOMPARE(policy->isPublic(), isPublic);
}

void TestS3Access::publicAccessBlock_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("flags"); // parsed; "error" for MalformedXML
    QTest::newRow("all") << QByteArray(
        R"(<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
        "<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls>"
        "<BlockPublicPolicy>true</BlockPublicPolicy>"
        "<RestrictPublicBuckets>TRUE</RestrictPublicBuckets>"
        "</PublicAccessBlockConfiguration>")
                         << QStringLiteral("BPA,IPA,BPP,RPB");
    QTest::newRow("some") << QByteArray("<PublicAccessBlockConfiguration><IgnorePublicAcls>true"
                                        "</IgnorePublicAcls><BlockPublicPolicy>false"
                                        "</BlockPublicPolicy></PublicAccessBlockConfiguration>")
                          << QStringLiteral("IPA");
    QTest::newRow("empty") << QByteArray("<PublicAccessBlockConfiguration/>") << QString();
    QTest::newRow("not a boolean")
        << QByteArray("<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls>"
                      "</PublicAccessBlockConfiguration>")
        << QStringLiteral("error");
    QTest::newRow("unknown element")
        << QByteArray("<PublicAccessBlockConfiguration><BlockEverything>true</BlockEverything>"
                      "</PublicAccessBlockConfiguration>")
        << QStringLiteral("error");
    QTest::newRow("wrong root") << QByteArray("<PublicAccessBlock/>") << QStringLiteral("error");
    QTest::newRow("not XML") << QByteArray("true") << QStringLiteral("error");
}

void TestS3Access::publicAccessBlock()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, flags);
    auto block = parsePublicAccessBlock(body);
    QCOMPARE(block.ok(), flags != QLatin1String("error"));
    if (!block) {
        QCOMPARE(block.error().code, QStringLiteral("MalformedXML"));
        return;
    }
    QCOMPARE(*block, blockFrom(flags));
    auto again = parsePublicAccessBlock(renderPublicAccessBlock(*block));
    QVERIFY(again);
    QCOMPARE(*again, *block);
}

void TestS3Access::renderPublicAccessBlockExactly()
{
    QCOMPARE(renderPublicAccessBlock(blockFrom(QStringLiteral("BPA,RPB"))),
        QByteArray(
            R"(<?xml version="1.0" encoding="UTF-8"?>)"
            R"(<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
            "<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls>"
            "<BlockPublicPolicy>false</BlockPublicPolicy>"
            "<RestrictPublicBuckets>true</RestrictPublicBuckets>"
            "</PublicAccessBlockConfiguration>\n"));
    QCOMPARE(renderPolicyStatus(true),
        QByteArray(R"(<?xml version="1.0" encoding="UTF-8"?>)"
                   R"(<PolicyStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
                   "<IsPublic>true</IsPublic></PolicyStatus>\n"));
    QVERIFY(renderPolicyStatus(false).contains("<IsPublic>false</IsPublic>"));
}

void TestS3Access::ownershipControls_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("ownership"); // empty: MalformedXML
    const auto doc = [](const QByteArray &rules) -> QByteArray {
        return R"(<OwnershipControls xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)" + rules
            + "</OwnershipControls>";
    };
    const auto rule = [](const QByteArray &value) -> QByteArray {
        return "<Rule><ObjectOwnership>" + value + "</ObjectOwnership></Rule>";
    };
    QTest::newRow("enforced") << doc(rule("BucketOwnerEnforced"))
                              << QStringLiteral("BucketOwnerEnforced");
    QTest::newRow("preferred") << doc(rule("BucketOwnerPreferred"))
                               << QStringLiteral("BucketOwnerPreferred");
    QTest::newRow("writer") << doc(rule("ObjectWriter")) << QStringLiteral("ObjectWriter");
    QTest::newRow("unknown value") << doc(rule("BucketOwner")) << QString();
    QTest::newRow("case matters") << doc(rule("objectwriter")) << QString();
    QTest::newRow("no rule") << doc({}) << QString();
    QTest::newRow("two rules") << doc(rule("ObjectWriter") + rule("ObjectWriter")) << QString();
    QTest::newRow("empty rule") << doc("<Rule/>") << QString();
    QTest::newRow("wrong root") << QByteArray(
        "<Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule>")
                                << QString();
}

void TestS3Access::ownershipControls()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, ownership);
    auto parsed = parseOwnershipControls(body);
    QCOMPARE(parsed.ok(), !ownership.isEmpty());
    if (!parsed) {
        QCOMPARE(parsed.error().code, QStringLiteral("MalformedXML"));
        return;
    }
    QCOMPARE(ownershipName(*parsed), ownership);
    QCOMPARE(renderOwnershipControls(*parsed),
        R"(<?xml version="1.0" encoding="UTF-8"?>)" + body + '\n');
}

void TestS3Access::aclRequirements_data()
{
    QTest::addColumn<QString>("action");
    QTest::addColumn<int>("target");
    QTest::addColumn<int>("permission");
    const int bucket = int(S3AclTarget::Bucket);
    const int object = int(S3AclTarget::Object);
    QTest::newRow("GetObject") << QStringLiteral("s3:GetObject") << object
                               << int(S3Permission::Read);
    QTest::newRow("PutObject") << QStringLiteral("s3:PutObject") << bucket
                               << int(S3Permission::Write);
    QTest::newRow("DeleteObject") << QStringLiteral("s3:DeleteObject") << bucket
                                  << int(S3Permission::Write);
    QTest::newRow("ListBucket") << QStringLiteral("s3:ListBucket") << bucket
                                << int(S3Permission::Read);
    QTest::newRow("GetBucketAcl") << QStringLiteral("s3:GetBucketAcl") << bucket
                                  << int(S3Permission::ReadAcp);
    QTest::newRow("PutBucketAcl") << QStringLiteral("s3:PutBucketAcl") << bucket
                                  << int(S3Permission::WriteAcp);
    QTest::newRow("GetObjectAcl") << QStringLiteral("s3:GetObjectAcl") << object
                                  << int(S3Permission::ReadAcp);
    QTest::newRow("PutObjectAcl") << QStringLiteral("s3:putobjectacl") << object
                                  << int(S3Permission::WriteAcp);
    QTest::newRow("PutBucketPolicy") << QStringLiteral("s3:PutBucketPolicy")
                                     << int(S3AclTarget::None) << int(S3Permission::Read);
}

void TestS3Access::aclRequirements()
{
    QFETCH(QString, action);
    QFETCH(int, target);
    QFETCH(int, permission);
    const S3AclRequirement need = aclRequirement(action);
    QCOMPARE(int(need.target), target);
    if (need.target != S3AclTarget::None)
        QCOMPARE(int(need.permission), permission);
}

void TestS3Access::authorize_data()
{
    QTest::addColumn<QString>("requester");
    QTest::addColumn<QString>("action");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("policy");
    QTest::addColumn<QString>("bucketAcl");
    QTest::addColumn<QString>("objectAcl");
    QTest::addColumn<QString>("objectOwner");
    QTest::addColumn<QString>("block");
    QTest::addColumn<QString>("ownership");
    QTest::addColumn<QStringList>("context");
    QTest::addColumn<QString>("error"); // empty: allowed
    const QString o = QStringLiteral("owner");
    const QString x = QStringLiteral("other");
    const QString anon = QStringLiteral("anonymous");
    const QString get = QStringLiteral("s3:GetObject");
    const QString list = QStringLiteral("s3:ListBucket");
    const QString k = QStringLiteral("public/a.png");
    const QString writer = QStringLiteral("ObjectWriter");
    const QString enforced = QStringLiteral("BucketOwnerEnforced");
    const QString denied = QStringLiteral("AccessDenied");
    const QString none;
    const QStringList noContext;

    QTest::newRow("owner by default") << o << get << k << none << none << none << none << none
                                      << enforced << noContext << QString();
    QTest::newRow("others not by default")
        << x << get << k << none << none << none << none << none << enforced << noContext << denied;
    QTest::newRow("policy allows anonymous")
        << anon << get << k << QStringLiteral("publicRead") << none << none << none << none
        << enforced << noContext << QString();
    QTest::newRow("RestrictPublicBuckets")
        << anon << get << k << QStringLiteral("publicRead") << none << none << none
        << QStringLiteral("RPB") << enforced << noContext << denied;
    QTest::newRow("RestrictPublicBuckets: even named accounts")
        << x << get << k << QStringLiteral("publicRead") << none << none << none
        << QStringLiteral("RPB") << enforced << noContext << denied;
    QTest::newRow("RestrictPublicBuckets: owner still")
        << o << get << k << QStringLiteral("publicRead") << none << none << none
        << QStringLiteral("RPB") << enforced << noContext << QString();
    QTest::newRow("RestrictPublicBuckets: non-public policy")
        << x << QStringLiteral("s3:PutObject") << k << QStringLiteral("crossAccount") << none
        << none << none << QStringLiteral("RPB") << enforced
        << QStringList {QStringLiteral("s3:x-amz-acl=bucket-owner-full-control")} << QString();
    QTest::newRow("explicit deny beats the owner")
        << o << get << k << QStringLiteral("secureTransport") << none << none << none << none
        << enforced << QStringList {QStringLiteral("aws:SecureTransport=false")} << denied;
    QTest::newRow("explicit deny beats ACLs")
        << anon << list << none << QStringLiteral("secureTransport")
        << QStringLiteral("public-read") << none << none << none << writer
        << QStringList {QStringLiteral("aws:SecureTransport=false")} << denied;
    QTest::newRow("owner may always manage the policy")
        << o << QStringLiteral("s3:DeleteBucketPolicy") << none << QStringLiteral("denyAll") << none
        << none << none << none << enforced << noContext << QString();
    QTest::newRow("but not use the bucket")
        << o << list << none << QStringLiteral("denyAll") << none << none << none << none
        << enforced << noContext << denied;
    QTest::newRow("another account's policy call")
        << x << QStringLiteral("s3:GetBucketPolicy") << none << QStringLiteral("allowOtherPolicy")
        << none << none << none << none << enforced << noContext
        << QStringLiteral("MethodNotAllowed");
    QTest::newRow("public bucket ACL")
        << anon << list << none << none << QStringLiteral("public-read") << none << none << none
        << writer << noContext << QString();
    QTest::newRow("ACLs disabled") << anon << list << none << none << QStringLiteral("public-read")
                                   << none << none << none << enforced << noContext << denied;
    QTest::newRow("IgnorePublicAcls")
        << anon << list << none << none << QStringLiteral("public-read") << none << none
        << QStringLiteral("IPA") << writer << noContext << denied;
    QTest::newRow("IgnorePublicAcls keeps account grants")
        << x << list << none << none << QStringLiteral("read:other") << none << none
        << QStringLiteral("IPA,BPA,BPP,RPB") << writer << noContext << QString();
    QTest::newRow("authenticated-read: signed")
        << x << list << none << none << QStringLiteral("authenticated-read") << none << none << none
        << writer << noContext << QString();
    QTest::newRow("authenticated-read: anonymous")
        << anon << list << none << none << QStringLiteral("authenticated-read") << none << none
        << none << writer << noContext << denied;
    QTest::newRow("bucket READ is not object READ")
        << anon << get << k << none << QStringLiteral("public-read") << none << none << none
        << writer << noContext << denied;
    QTest::newRow("public object ACL")
        << anon << get << k << none << none << QStringLiteral("public-read") << o << none << writer
        << noContext << QString();
    QTest::newRow("bucket WRITE lets others put")
        << x << QStringLiteral("s3:PutObject") << k << none << QStringLiteral("write:other") << none
        << none << none << writer << noContext << QString();
    QTest::newRow("WRITE_ACP on the bucket") << x << QStringLiteral("s3:PutBucketAcl") << none
                                             << none << QStringLiteral("write-acp:other") << none
                                             << none << none << writer << noContext << QString();
    QTest::newRow("READ does not give READ_ACP")
        << x << QStringLiteral("s3:GetBucketAcl") << none << none << QStringLiteral("read:other")
        << none << none << none << writer << noContext << denied;
    QTest::newRow("no ACL reaches bucket configuration")
        << x << QStringLiteral("s3:PutBucketTagging") << none << none
        << QStringLiteral("full-control:other") << none << none << none << writer << noContext
        << denied;
    QTest::newRow("another account's object: bucket owner cannot read")
        << o << get << k << none << none << QStringLiteral("private") << x << none << writer
        << noContext << denied;
    QTest::newRow("another account's object: unless granted")
        << o << get << k << none << none << QStringLiteral("bucket-owner-read") << x << none
        << writer << noContext << QString();
    QTest::newRow("another account's object: its owner")
        << x << QStringLiteral("s3:PutObjectAcl") << k << none << none << QStringLiteral("private")
        << x << none << writer << noContext << QString();
    QTest::newRow("another account's object: the bucket policy does not reach it")
        << anon << get << k << QStringLiteral("publicRead") << none << QStringLiteral("private")
        << x << none << writer << noContext << denied;
    QTest::newRow("another account's object: the bucket owner may delete it")
        << o << QStringLiteral("s3:DeleteObject") << k << none << none << QStringLiteral("private")
        << x << none << writer << noContext << QString();
    QTest::newRow("BucketOwnerEnforced: the bucket owner owns everything")
        << o << get << k << none << none << QStringLiteral("private") << x << none << enforced
        << noContext << QString();
    QTest::newRow("BucketOwnerEnforced: object ACLs ignored")
        << anon << get << k << none << none << QStringLiteral("public-read") << o << none
        << enforced << noContext << denied;
}

void TestS3Access::authorize()
{
    QFETCH(QString, requester);
    QFETCH(QString, action);
    QFETCH(QString, key);
    QFETCH(QString, policy);
    QFETCH(QString, bucketAcl);
    QFETCH(QString, objectAcl);
    QFETCH(QString, objectOwner);
    QFETCH(QString, block);
    QFETCH(QString, ownership);
    QFETCH(QStringList, context);
    QFETCH(QString, error);

    S3AccessRequest request;
    request.requester = account(requester);
    request.action = action;
    request.resource = key.isEmpty() ? bucketArn(kBucket) : objectArn(kBucket, key.toUtf8());
    request.context = contextFrom(context);

    const std::optional<S3BucketPolicy> parsedPolicy = policy.isEmpty()
        ? std::nullopt
        : std::optional<S3BucketPolicy>(examplePolicyParsed(policy));
    const std::optional<S3Acl> bAcl = aclFromSpec(bucketAcl, owner());
    const std::optional<S3Acl> oAcl
        = objectOwner.isEmpty() ? std::nullopt : aclFromSpec(objectAcl, *account(objectOwner));

    S3AccessContext c;
    c.bucketOwner = owner();
    c.policy = parsedPolicy ? &*parsedPolicy : nullptr;
    c.bucketAcl = bAcl ? &*bAcl : nullptr;
    c.objectAcl = oAcl ? &*oAcl : nullptr;
    if (!block.isEmpty())
        c.publicAccessBlock = blockFrom(block);
    c.ownership = *ownershipFromName(ownership);

    const Result<void> decision = s3access::authorize(request, c);
    QCOMPARE(decision.ok(), error.isEmpty());
    if (!decision)
        QCOMPARE(decision.error().code, error);
}

void TestS3Access::checkAclPut_data()
{
    QTest::addColumn<QString>("spec");
    QTest::addColumn<QString>("writer");
    QTest::addColumn<QString>("ownership");
    QTest::addColumn<QString>("block");
    QTest::addColumn<QString>("error");
    const QString enforced = QStringLiteral("BucketOwnerEnforced");
    const QString writer = QStringLiteral("ObjectWriter");
    const QString notSupported = QStringLiteral("AccessControlListNotSupported");
    QTest::newRow("bucket-owner-full-control from another account")
        << QStringLiteral("bucket-owner-full-control") << QStringLiteral("other") << enforced
        << QString() << QString();
    QTest::newRow("private from the bucket owner")
        << QStringLiteral("private") << QStringLiteral("owner") << enforced << QString()
        << QString();
    QTest::newRow("private from another account")
        << QStringLiteral("private") << QStringLiteral("other") << enforced << QString()
        << notSupported;
    QTest::newRow("public-read with ACLs off")
        << QStringLiteral("public-read") << QStringLiteral("owner") << enforced << QString()
        << notSupported;
    QTest::newRow("a grant with ACLs off")
        << QStringLiteral("read:other") << QStringLiteral("owner") << enforced << QString()
        << notSupported;
    QTest::newRow("public-read with ACLs on")
        << QStringLiteral("public-read") << QStringLiteral("owner") << writer << QString()
        << QString();
    QTest::newRow("BlockPublicAcls")
        << QStringLiteral("public-read") << QStringLiteral("owner") << writer
        << QStringLiteral("BPA") << QStringLiteral("AccessDenied");
    QTest::newRow("BlockPublicAcls: authenticated-read")
        << QStringLiteral("authenticated-read") << QStringLiteral("owner") << writer
        << QStringLiteral("BPA") << QStringLiteral("AccessDenied");
    QTest::newRow("BlockPublicAcls: log delivery is not public")
        << QStringLiteral("log-delivery-write") << QStringLiteral("owner") << writer
        << QStringLiteral("BPA") << QString();
    QTest::newRow("IgnorePublicAcls does not block")
        << QStringLiteral("public-read") << QStringLiteral("owner") << writer
        << QStringLiteral("IPA") << QString();
}

void TestS3Access::checkAclPut()
{
    QFETCH(QString, spec);
    QFETCH(QString, writer);
    QFETCH(QString, ownership);
    QFETCH(QString, block);
    QFETCH(QString, error);
    const S3Acl acl = *aclFromSpec(spec, *account(writer));
    const auto b = block.isEmpty() ? std::nullopt : std::optional(blockFrom(block));
    const Result<void> r = s3access::checkAclPut(acl, owner(), *ownershipFromName(ownership), b);
    QCOMPARE(r.ok(), error.isEmpty());
    if (!r) {
        QCOMPARE(r.error().code, error);
        if (error == QLatin1String("AccessControlListNotSupported")) {
            QCOMPARE(r.error().message, QStringLiteral("The bucket does not allow ACLs"));
            QCOMPARE(r.error().httpStatus, 400);
        }
    }
}

void TestS3Access::checkPolicyPut_data()
{
    QTest::addColumn<QString>("policy");
    QTest::addColumn<QString>("block");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("public, blocked")
        << QStringLiteral("publicRead") << QStringLiteral("BPP") << false;
    QTest::newRow("public, not blocked")
        << QStringLiteral("publicRead") << QStringLiteral("BPA,IPA,RPB") << true;
    QTest::newRow("public, no configuration") << QStringLiteral("publicRead") << QString() << true;
    QTest::newRow("one account, blocked")
        << QStringLiteral("crossAccount") << QStringLiteral("BPP") << true;
    QTest::newRow("deny only, blocked")
        << QStringLiteral("secureTransport") << QStringLiteral("BPP") << true;
}

void TestS3Access::checkPolicyPut()
{
    QFETCH(QString, policy);
    QFETCH(QString, block);
    QFETCH(bool, accepted);
    const auto b = block.isEmpty() ? std::nullopt : std::optional(blockFrom(block));
    const Result<void> r = s3access::checkPolicyPut(examplePolicyParsed(policy), b);
    QCOMPARE(r.ok(), accepted);
    if (!r)
        QCOMPARE(r.error().code, QStringLiteral("AccessDenied"));
}

void TestS3Access::ownershipChange_data()
{
    QTest::addColumn<QString>("ownership");
    QTest::addColumn<QString>("bucketAcl");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("enforced, private")
        << QStringLiteral("BucketOwnerEnforced") << QStringLiteral("private") << true;
    QTest::newRow("enforced, public-read")
        << QStringLiteral("BucketOwnerEnforced") << QStringLiteral("public-read") << false;
    QTest::newRow("enforced, another account")
        << QStringLiteral("BucketOwnerEnforced") << QStringLiteral("read:other") << false;
    QTest::newRow("preferred, public-read")
        << QStringLiteral("BucketOwnerPreferred") << QStringLiteral("public-read") << true;
}

void TestS3Access::ownershipChange()
{
    QFETCH(QString, ownership);
    QFETCH(QString, bucketAcl);
    QFETCH(bool, accepted);
    const Result<void> r
        = checkOwnershipChange(*ownershipFromName(ownership), *aclFromSpec(bucketAcl, owner()));
    QCOMPARE(r.ok(), accepted);
    if (!r)
        QCOMPARE(r.error().code, QStringLiteral("InvalidBucketAclWithObjectOwnership"));
}

void TestS3Access::objectOwnership_data()
{
    QTest::addColumn<QString>("ownership");
    QTest::addColumn<QByteArray>("cannedAcl");
    QTest::addColumn<QString>("objectOwner");
    QTest::newRow("enforced") << QStringLiteral("BucketOwnerEnforced") << QByteArray()
                              << QStringLiteral("owner");
    QTest::newRow("preferred with bucket-owner-full-control")
        << QStringLiteral("BucketOwnerPreferred") << QByteArray("bucket-owner-full-control")
        << QStringLiteral("owner");
    QTest::newRow("preferred without") << QStringLiteral("BucketOwnerPreferred")
                                       << QByteArray("private") << QStringLiteral("other");
    QTest::newRow("writer") << QStringLiteral("ObjectWriter")
                            << QByteArray("bucket-owner-full-control") << QStringLiteral("other");
}

void TestS3Access::objectOwnership()
{
    QFETCH(QString, ownership);
    QFETCH(QByteArray, cannedAcl);
    QFETCH(QString, objectOwner);
    const S3ObjectOwnership o = *ownershipFromName(ownership);
    QCOMPARE(objectOwnerFor(other(), owner(), o, cannedAcl), *account(objectOwner));
    // With ACLs off, what GetObjectAcl shows is the bucket owner's full control.
    const S3Acl stored = cannedObjectAcl(QStringLiteral("public-read"), other(), owner()).value();
    QCOMPARE(effectiveAcl(stored, owner(), o),
        o == S3ObjectOwnership::BucketOwnerEnforced ? privateAcl(owner()) : stored);
}

QTEST_GUILESS_MAIN(TestS3Access)
#include "tst_s3access.moc"
