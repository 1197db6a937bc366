#include "services/s3/s3access.h"

#include "base/json.h"
#include "services/s3/s3errors.h"
#include "services/s3/s3xml.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QRegularExpression>
#include <QXmlStreamWriter>

#include <algorithm>
#include <array>
#include <vector>

namespace tarmac {

namespace {

using Operator = S3PolicyCondition::Operator;
using Qualifier = S3PolicyCondition::Qualifier;

const QString kXsiNamespace = QStringLiteral("http://www.w3.org/2001/XMLSchema-instance");
const QString kS3ArnPrefix = QStringLiteral("arn:aws:s3:::");

// EC2 reads AMI bundles as this account: aws-exec-read grants it READ (S3 names it "za-team").
const QString kExecReadId
    = QStringLiteral("6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c");

Error malformedPolicy(const QString &message)
{
    return makeError(QStringLiteral("MalformedPolicy"), message, 400);
}

Error invalidPolicyElement()
{
    return malformedPolicy(QStringLiteral("Invalid policy element"));
}

Error malformedAcl()
{
    return makeError(QStringLiteral("MalformedACLError"),
        QStringLiteral("The XML you provided was not well-formed or did not validate against our "
                       "published schema"),
        400);
}

Error aclNotSupported()
{
    return makeError(QStringLiteral("AccessControlListNotSupported"),
        QStringLiteral("The bucket does not allow ACLs"), 400);
}

Error unresolvableEmail()
{
    return makeError(QStringLiteral("UnresolvableGrantByEmailAddress"),
        QStringLiteral("The e-mail address you provided does not match any account on record."),
        400);
}

Error accessDenied()
{
    return s3errors::accessDenied(QStringLiteral("Access Denied"));
}

// --- Wildcards and policy variables

// A pattern of IAM's `*` and `?` wildcards. Which characters are wildcards is kept apart from
// the text, because a policy variable's value and ${*}, ${?} and ${$} are literal.
struct Pattern
{
    QString text;
    std::vector<bool> wildcard;

    void appendLiteral(QStringView s)
    {
        text += s;
        wildcard.insert(wildcard.end(), size_t(s.size()), false);
    }
    void appendPattern(QStringView s)
    {
        for (QChar c : s) {
            text += c;
            wildcard.push_back(c == u'*' || c == u'?');
        }
    }
};

Pattern literalPattern(QStringView s)
{
    Pattern p;
    p.appendPattern(s);
    return p;
}

// Replaces ${key} (and ${key, 'default'}) with the request's value: false when a key is not in
// the request and has no default, which makes the element that holds it match nothing.
bool expandVariables(QStringView s, const S3ConditionContext *context, Pattern *out)
{
    if (!context) {
        out->appendPattern(s);
        return true;
    }
    qsizetype i = 0;
    while (i < s.size()) {
        const qsizetype open = s.indexOf(u"${", i);
        const qsizetype close = open < 0 ? -1 : s.indexOf(u'}', open + 2);
        if (open < 0 || close < 0) {
            out->appendPattern(s.sliced(i));
            break;
        }
        out->appendPattern(s.sliced(i, open - i));
        const QStringView inner = s.sliced(open + 2, close - open - 2).trimmed();
        if (inner == u"*" || inner == u"?" || inner == u"$") {
            out->appendLiteral(inner);
        } else {
            QStringView key = inner;
            std::optional<QStringView> fallback;
            const qsizetype comma = inner.indexOf(u',');
            if (comma >= 0) {
                key = inner.first(comma).trimmed();
                QStringView d = inner.sliced(comma + 1).trimmed();
                if (d.size() >= 2 && d.startsWith(u'\'') && d.endsWith(u'\''))
                    fallback = d.sliced(1, d.size() - 2);
            }
            const QStringList *values = context->values(key.toString());
            if (values && !values->isEmpty())
                out->appendLiteral(values->first());
            else if (fallback)
                out->appendLiteral(*fallback);
            else
                return false;
        }
        i = close + 1;
    }
    return true;
}

bool sameChar(QChar a, QChar b, Qt::CaseSensitivity cs)
{
    return cs == Qt::CaseSensitive ? a == b : a.toCaseFolded() == b.toCaseFolded();
}

// Iterative glob match: on a mismatch, backtrack to the last '*' and let it take one more
// character. Linear in practice, never exponential.
bool globMatch(const Pattern &p, QStringView text, Qt::CaseSensitivity cs)
{
    const qsizetype n = p.text.size();
    qsizetype pi = 0;
    qsizetype ti = 0;
    qsizetype star = -1;
    qsizetype mark = 0;
    while (ti < text.size()) {
        if (pi < n && p.wildcard[size_t(pi)] && p.text[pi] == u'*') {
            star = pi++;
            mark = ti;
        } else if (pi < n
            && ((p.wildcard[size_t(pi)] && p.text[pi] == u'?')
                || (!p.wildcard[size_t(pi)] && sameChar(p.text[pi], text[ti], cs)))) {
            ++pi;
            ++ti;
        } else if (star >= 0) {
            pi = star + 1;
            ti = ++mark;
        } else {
            return false;
        }
    }
    while (pi < n && p.wildcard[size_t(pi)] && p.text[pi] == u'*')
        ++pi;
    return pi == n;
}

bool globMatch(QStringView pattern, QStringView text, Qt::CaseSensitivity cs)
{
    return globMatch(literalPattern(pattern), text, cs);
}

// ArnEquals/ArnLike: each of the six colon-separated parts is matched on its own.
bool arnMatch(const Pattern &pattern, QStringView arn)
{
    auto split = [](QStringView s) {
        QList<qsizetype> cuts;
        for (qsizetype i = 0; i < s.size() && cuts.size() < 5; ++i) {
            if (s[i] == u':')
                cuts.append(i);
        }
        return cuts;
    };
    const QList<qsizetype> pc = split(pattern.text);
    const QList<qsizetype> ac = split(arn);
    if (pc.size() != 5 || ac.size() != 5)
        return false;
    for (int part = 0; part < 6; ++part) {
        const qsizetype pb = part == 0 ? 0 : pc[part - 1] + 1;
        const qsizetype pe = part == 5 ? pattern.text.size() : pc[part];
        const qsizetype ab = part == 0 ? 0 : ac[part - 1] + 1;
        const qsizetype ae = part == 5 ? arn.size() : ac[part];
        Pattern segment;
        segment.text = pattern.text.mid(pb, pe - pb);
        segment.wildcard.assign(pattern.wildcard.begin() + pb, pattern.wildcard.begin() + pe);
        if (!globMatch(segment, arn.sliced(ab, ae - ab), Qt::CaseSensitive))
            return false;
    }
    return true;
}

// --- IP addresses (aws:SourceIp), without QtNetwork

struct IpNetwork
{
    bool v6 = false;
    std::array<quint8, 16> bytes {};
    int prefix = 0;
};

bool parseIpv4(QStringView s, quint8 *out)
{
    const QList<QStringView> parts = s.split(u'.');
    if (parts.size() != 4)
        return false;
    for (int i = 0; i < 4; ++i) {
        bool ok = false;
        const uint v = parts[i].toUInt(&ok, 10);
        if (!ok || parts[i].isEmpty() || parts[i].size() > 3 || v > 255)
            return false;
        out[i] = quint8(v);
    }
    return true;
}

bool parseIpv6Groups(QStringView s, QList<quint16> *groups)
{
    if (s.isEmpty())
        return true;
    const QList<QStringView> parts = s.split(u':');
    for (qsizetype i = 0; i < parts.size(); ++i) {
        const QStringView part = parts[i];
        if (i == parts.size() - 1 && part.contains(u'.')) {
            quint8 v4[4];
            if (!parseIpv4(part, v4))
                return false;
            groups->append(quint16(v4[0] << 8 | v4[1]));
            groups->append(quint16(v4[2] << 8 | v4[3]));
            continue;
        }
        bool ok = false;
        const uint v = part.toUInt(&ok, 16);
        if (!ok || part.isEmpty() || part.size() > 4)
            return false;
        groups->append(quint16(v));
    }
    return true;
}

bool parseIpv6(QStringView s, quint8 *out)
{
    const qsizetype gap = s.indexOf(u"::");
    QList<quint16> head;
    QList<quint16> tail;
    if (gap < 0) {
        if (!parseIpv6Groups(s, &head) || head.size() != 8)
            return false;
    } else {
        if (s.indexOf(u"::", gap + 1) >= 0)
            return false;
        if (!parseIpv6Groups(s.first(gap), &head) || !parseIpv6Groups(s.sliced(gap + 2), &tail)
            || head.size() + tail.size() > 7)
            return false;
    }
    std::array<quint16, 8> all {};
    for (qsizetype i = 0; i < head.size(); ++i)
        all[size_t(i)] = head[i];
    for (qsizetype i = 0; i < tail.size(); ++i)
        all[size_t(8 - tail.size() + i)] = tail[i];
    for (int i = 0; i < 8; ++i) {
        out[2 * i] = quint8(all[size_t(i)] >> 8);
        out[2 * i + 1] = quint8(all[size_t(i)] & 0xff);
    }
    return true;
}

// "192.0.2.0/24", "2001:db8::/32", or a single address (a /32 or /128).
std::optional<IpNetwork> parseNetwork(QStringView s)
{
    s = s.trimmed();
    IpNetwork net;
    const qsizetype slash = s.indexOf(u'/');
    const QStringView address = slash < 0 ? s : s.first(slash);
    net.v6 = address.contains(u':');
    if (net.v6 ? !parseIpv6(address, net.bytes.data()) : !parseIpv4(address, net.bytes.data()))
        return std::nullopt;
    const int bits = net.v6 ? 128 : 32;
    net.prefix = bits;
    if (slash >= 0) {
        bool ok = false;
        const QStringView p = s.sliced(slash + 1);
        net.prefix = p.toInt(&ok);
        if (!ok || p.isEmpty() || net.prefix < 0 || net.prefix > bits)
            return std::nullopt;
    }
    return net;
}

bool networkContains(const IpNetwork &net, const IpNetwork &address)
{
    if (net.v6 != address.v6)
        return false;
    int bits = net.prefix;
    for (size_t i = 0; bits > 0; ++i, bits -= 8) {
        const quint8 mask = bits >= 8 ? 0xff : quint8(0xff << (8 - bits));
        if ((net.bytes[i] & mask) != (address.bytes[i] & mask))
            return false;
    }
    return true;
}

// --- Condition values

// A date as IAM reads one: ISO 8601 (UTC unless it says otherwise) or epoch seconds.
std::optional<qint64> parseDateMs(QStringView s)
{
    s = s.trimmed();
    bool ok = false;
    const double epoch = s.toDouble(&ok);
    if (ok)
        return qint64(epoch * 1000.0);
    QDateTime at = QDateTime::fromString(s.toString(), Qt::ISODateWithMs);
    if (!at.isValid())
        return std::nullopt;
    if (at.timeSpec() == Qt::LocalTime)
        at = QDateTime(at.date(), at.time(), Qt::UTC);
    return at.toMSecsSinceEpoch();
}

Operator positiveOf(Operator op, bool *negated)
{
    *negated = true;
    switch (op) {
    case Operator::StringNotEquals:
        return Operator::StringEquals;
    case Operator::StringNotEqualsIgnoreCase:
        return Operator::StringEqualsIgnoreCase;
    case Operator::StringNotLike:
        return Operator::StringLike;
    case Operator::NumericNotEquals:
        return Operator::NumericEquals;
    case Operator::DateNotEquals:
        return Operator::DateEquals;
    case Operator::NotIpAddress:
        return Operator::IpAddress;
    case Operator::ArnNotEquals:
        return Operator::ArnEquals;
    case Operator::ArnNotLike:
        return Operator::ArnLike;
    default:
        *negated = false;
        return op;
    }
}

template<typename T>
bool compareOrdered(Operator op, T request, T policy)
{
    switch (op) {
    case Operator::NumericEquals:
    case Operator::DateEquals:
        return request == policy;
    case Operator::NumericLessThan:
    case Operator::DateLessThan:
        return request < policy;
    case Operator::NumericLessThanEquals:
    case Operator::DateLessThanEquals:
        return request <= policy;
    case Operator::NumericGreaterThan:
    case Operator::DateGreaterThan:
        return request > policy;
    case Operator::NumericGreaterThanEquals:
    case Operator::DateGreaterThanEquals:
        return request >= policy;
    default:
        return false;
    }
}

// One request value against one policy value, for a positive operator.
bool valueMatches(
    Operator op, const QString &request, const QString &policy, const S3ConditionContext *variables)
{
    switch (op) {
    case Operator::StringEquals:
    case Operator::StringEqualsIgnoreCase:
    case Operator::StringLike:
    case Operator::ArnEquals:
    case Operator::ArnLike: {
        Pattern p;
        if (!expandVariables(policy, variables, &p))
            return false;
        if (op == Operator::StringEquals)
            return p.text == request;
        if (op == Operator::StringEqualsIgnoreCase)
            return p.text.compare(request, Qt::CaseInsensitive) == 0;
        if (op == Operator::StringLike)
            return globMatch(p, request, Qt::CaseSensitive);
        return arnMatch(p, request);
    }
    case Operator::NumericEquals:
    case Operator::NumericLessThan:
    case Operator::NumericLessThanEquals:
    case Operator::NumericGreaterThan:
    case Operator::NumericGreaterThanEquals: {
        bool okRequest = false;
        bool okPolicy = false;
        const double r = request.trimmed().toDouble(&okRequest);
        const double v = policy.trimmed().toDouble(&okPolicy);
        return okRequest && okPolicy && compareOrdered(op, r, v);
    }
    case Operator::DateEquals:
    case Operator::DateLessThan:
    case Operator::DateLessThanEquals:
    case Operator::DateGreaterThan:
    case Operator::DateGreaterThanEquals: {
        const auto r = parseDateMs(request);
        const auto v = parseDateMs(policy);
        return r && v && compareOrdered(op, *r, *v);
    }
    case Operator::Bool:
        return request.trimmed().compare(policy.trimmed(), Qt::CaseInsensitive) == 0;
    case Operator::BinaryEquals:
        return request == policy;
    case Operator::IpAddress: {
        const auto net = parseNetwork(policy);
        const auto address = parseNetwork(request);
        return net && address && networkContains(*net, *address);
    }
    default:
        return false;
    }
}

bool conditionHolds(const S3PolicyCondition &c, const S3ConditionContext &context,
    const S3ConditionContext *variables)
{
    const QStringList *values = context.values(c.key);
    const bool absent = !values || values->isEmpty();
    if (c.op == Operator::Null) {
        for (const QString &v : c.values) {
            const QString t = v.trimmed().toLower();
            if ((t == QLatin1String("true") && absent) || (t == QLatin1String("false") && !absent))
                return true;
        }
        return false;
    }
    bool negated = false;
    const Operator op = positiveOf(c.op, &negated);
    // IAM: a missing key fails a condition, except that a negated operator then holds,
    // ...IfExists holds, and ForAllValues holds over the empty set.
    if (absent) {
        if (c.ifExists || c.qualifier == Qualifier::ForAllValues)
            return true;
        if (c.qualifier == Qualifier::ForAnyValue)
            return false;
        return negated;
    }
    auto matchesPolicy = [&](const QString &requestValue) {
        for (const QString &policyValue : c.values) {
            if (valueMatches(op, requestValue, policyValue, variables))
                return true;
        }
        return false;
    };
    int matched = 0;
    for (const QString &requestValue : *values)
        matched += matchesPolicy(requestValue) ? 1 : 0;
    const auto total = int(values->size());
    switch (c.qualifier) {
    case Qualifier::ForAllValues:
        return negated ? matched == 0 : matched == total;
    case Qualifier::ForAnyValue:
        return negated ? matched < total : matched > 0;
    case Qualifier::None:
        break;
    }
    return negated ? matched == 0 : matched > 0;
}

// --- S3's actions, for validation and for the resource kinds they apply to

enum class ActionKind { Bucket, Object, Account };

struct KnownAction
{
    QLatin1String name;
    ActionKind kind;
};

constexpr KnownAction kActions[] = {
    {QLatin1String("AbortMultipartUpload"), ActionKind::Object},
    {QLatin1String("BypassGovernanceRetention"), ActionKind::Object},
    {QLatin1String("DeleteObject"), ActionKind::Object},
    {QLatin1String("DeleteObjectTagging"), ActionKind::Object},
    {QLatin1String("DeleteObjectVersion"), ActionKind::Object},
    {QLatin1String("DeleteObjectVersionTagging"), ActionKind::Object},
    {QLatin1String("GetObject"), ActionKind::Object},
    {QLatin1String("GetObjectAcl"), ActionKind::Object},
    {QLatin1String("GetObjectAttributes"), ActionKind::Object},
    {QLatin1String("GetObjectLegalHold"), ActionKind::Object},
    {QLatin1String("GetObjectRetention"), ActionKind::Object},
    {QLatin1String("GetObjectTagging"), ActionKind::Object},
    {QLatin1String("GetObjectTorrent"), ActionKind::Object},
    {QLatin1String("GetObjectVersion"), ActionKind::Object},
    {QLatin1String("GetObjectVersionAcl"), ActionKind::Object},
    {QLatin1String("GetObjectVersionAttributes"), ActionKind::Object},
    {QLatin1String("GetObjectVersionForReplication"), ActionKind::Object},
    {QLatin1String("GetObjectVersionTagging"), ActionKind::Object},
    {QLatin1String("GetObjectVersionTorrent"), ActionKind::Object},
    {QLatin1String("InitiateReplication"), ActionKind::Object},
    {QLatin1String("ListMultipartUploadParts"), ActionKind::Object},
    {QLatin1String("ObjectOwnerOverrideToBucketOwner"), ActionKind::Object},
    {QLatin1String("PutObject"), ActionKind::Object},
    {QLatin1String("PutObjectAcl"), ActionKind::Object},
    {QLatin1String("PutObjectLegalHold"), ActionKind::Object},
    {QLatin1String("PutObjectRetention"), ActionKind::Object},
    {QLatin1String("PutObjectTagging"), ActionKind::Object},
    {QLatin1String("PutObjectVersionAcl"), ActionKind::Object},
    {QLatin1String("PutObjectVersionTagging"), ActionKind::Object},
    {QLatin1String("ReplicateDelete"), ActionKind::Object},
    {QLatin1String("ReplicateObject"), ActionKind::Object},
    {QLatin1String("ReplicateTags"), ActionKind::Object},
    {QLatin1String("RestoreObject"), ActionKind::Object},
    {QLatin1String("CreateBucket"), ActionKind::Bucket},
    {QLatin1String("DeleteBucket"), ActionKind::Bucket},
    {QLatin1String("DeleteBucketPolicy"), ActionKind::Bucket},
    {QLatin1String("DeleteBucketWebsite"), ActionKind::Bucket},
    {QLatin1String("GetAccelerateConfiguration"), ActionKind::Bucket},
    {QLatin1String("GetAnalyticsConfiguration"), ActionKind::Bucket},
    {QLatin1String("GetBucketAcl"), ActionKind::Bucket},
    {QLatin1String("GetBucketCORS"), ActionKind::Bucket},
    {QLatin1String("GetBucketLocation"), ActionKind::Bucket},
    {QLatin1String("GetBucketLogging"), ActionKind::Bucket},
    {QLatin1String("GetBucketNotification"), ActionKind::Bucket},
    {QLatin1String("GetBucketObjectLockConfiguration"), ActionKind::Bucket},
    {QLatin1String("GetBucketOwnershipControls"), ActionKind::Bucket},
    {QLatin1String("GetBucketPolicy"), ActionKind::Bucket},
    {QLatin1String("GetBucketPolicyStatus"), ActionKind::Bucket},
    {QLatin1String("GetBucketPublicAccessBlock"), ActionKind::Bucket},
    {QLatin1String("GetBucketRequestPayment"), ActionKind::Bucket},
    {QLatin1String("GetBucketTagging"), ActionKind::Bucket},
    {QLatin1String("GetBucketVersioning"), ActionKind::Bucket},
    {QLatin1String("GetBucketWebsite"), ActionKind::Bucket},
    {QLatin1String("GetEncryptionConfiguration"), ActionKind::Bucket},
    {QLatin1String("GetIntelligentTieringConfiguration"), ActionKind::Bucket},
    {QLatin1String("GetInventoryConfiguration"), ActionKind::Bucket},
    {QLatin1String("GetLifecycleConfiguration"), ActionKind::Bucket},
    {QLatin1String("GetMetricsConfiguration"), ActionKind::Bucket},
    {QLatin1String("GetReplicationConfiguration"), ActionKind::Bucket},
    {QLatin1String("ListBucket"), ActionKind::Bucket},
    {QLatin1String("ListBucketMultipartUploads"), ActionKind::Bucket},
    {QLatin1String("ListBucketVersions"), ActionKind::Bucket},
    {QLatin1String("PutAccelerateConfiguration"), ActionKind::Bucket},
    {QLatin1String("PutAnalyticsConfiguration"), ActionKind::Bucket},
    {QLatin1String("PutBucketAcl"), ActionKind::Bucket},
    {QLatin1String("PutBucketCORS"), ActionKind::Bucket},
    {QLatin1String("PutBucketLogging"), ActionKind::Bucket},
    {QLatin1String("PutBucketNotification"), ActionKind::Bucket},
    {QLatin1String("PutBucketObjectLockConfiguration"), ActionKind::Bucket},
    {QLatin1String("PutBucketOwnershipControls"), ActionKind::Bucket},
    {QLatin1String("PutBucketPolicy"), ActionKind::Bucket},
    {QLatin1String("PutBucketPublicAccessBlock"), ActionKind::Bucket},
    {QLatin1String("PutBucketRequestPayment"), ActionKind::Bucket},
    {QLatin1String("PutBucketTagging"), ActionKind::Bucket},
    {QLatin1String("PutBucketVersioning"), ActionKind::Bucket},
    {QLatin1String("PutBucketWebsite"), ActionKind::Bucket},
    {QLatin1String("PutEncryptionConfiguration"), ActionKind::Bucket},
    {QLatin1String("PutIntelligentTieringConfiguration"), ActionKind::Bucket},
    {QLatin1String("PutInventoryConfiguration"), ActionKind::Bucket},
    {QLatin1String("PutLifecycleConfiguration"), ActionKind::Bucket},
    {QLatin1String("PutMetricsConfiguration"), ActionKind::Bucket},
    {QLatin1String("PutReplicationConfiguration"), ActionKind::Bucket},
    // Valid actions that name no bucket or object: in a bucket policy they apply to nothing.
    {QLatin1String("CreateJob"), ActionKind::Account},
    {QLatin1String("GetAccountPublicAccessBlock"), ActionKind::Account},
    {QLatin1String("ListAccessPoints"), ActionKind::Account},
    {QLatin1String("ListAllMyBuckets"), ActionKind::Account},
    {QLatin1String("ListJobs"), ActionKind::Account},
    {QLatin1String("PutAccountPublicAccessBlock"), ActionKind::Account},
};

// The kinds of the known actions `pattern` ("s3:Get*", "*") names; empty when it names none.
QList<ActionKind> actionKinds(const QString &pattern)
{
    QList<ActionKind> kinds;
    QStringView name = pattern;
    if (name != u"*") {
        if (!name.startsWith(u"s3:", Qt::CaseInsensitive))
            return kinds;
        name = name.sliced(3);
    }
    const Pattern p = literalPattern(name);
    for (const KnownAction &a : kActions) {
        if (!kinds.contains(a.kind) && globMatch(p, QString(a.name), Qt::CaseInsensitive))
            kinds.append(a.kind);
    }
    return kinds;
}

// What a Resource pattern may name: an object ARN has a '/', and a '*' in the bucket part
// can reach past one.
QList<ActionKind> resourceKinds(const QString &resource)
{
    const QStringView path = QStringView(resource).sliced(kS3ArnPrefix.size());
    if (path.contains(u'/'))
        return {ActionKind::Object};
    if (path.contains(u'*'))
        return {ActionKind::Bucket, ActionKind::Object};
    return {ActionKind::Bucket};
}

bool isResourceOf(const QString &resource, const QString &bucket)
{
    if (!resource.startsWith(kS3ArnPrefix))
        return false;
    const QStringView path = QStringView(resource).sliced(kS3ArnPrefix.size());
    const qsizetype slash = path.indexOf(u'/');
    const QStringView bucketPart = slash < 0 ? path : path.first(slash);
    return !bucketPart.isEmpty() && globMatch(bucketPart, bucket, Qt::CaseSensitive);
}

bool isAccountId(QStringView s)
{
    if (s.size() != 12)
        return false;
    for (QChar c : s) {
        if (!c.isDigit() || c.unicode() > 127)
            return false;
    }
    return true;
}

// --- Policy parsing

// A string or a non-empty list of strings.
std::optional<QStringList> stringList(const Json &value)
{
    QStringList out;
    if (value.is_string()) {
        out.append(fromStd(value.get<std::string>()));
        return out;
    }
    if (!value.is_array() || value.empty())
        return std::nullopt;
    for (const Json &item : value) {
        if (!item.is_string())
            return std::nullopt;
        out.append(fromStd(item.get<std::string>()));
    }
    return out;
}

Result<S3PolicyPrincipal> parsePrincipal(const Json &value)
{
    const Error invalid = malformedPolicy(QStringLiteral("Invalid principal in policy"));
    S3PolicyPrincipal principal;
    if (value.is_string()) {
        if (value.get<std::string>() != "*")
            return invalid;
        principal.everyone = true;
        return principal;
    }
    if (!value.is_object() || value.empty())
        return invalid;
    for (auto it = value.begin(); it != value.end(); ++it) {
        const auto list = stringList(it.value());
        if (!list)
            return invalid;
        const std::string &type = it.key();
        for (const QString &v : *list) {
            if (type == "AWS") {
                static const QRegularExpression root(
                    QStringLiteral("^arn:aws:iam::(\\d{12}):root$"));
                static const QRegularExpression identity(
                    QStringLiteral("^arn:aws:(iam::\\d{12}:(user|role)/|sts::\\d{12}:"
                                   "(assumed-role|federated-user)/)[^*?]+$"));
                if (v == u"*") {
                    principal.everyone = true;
                } else if (isAccountId(v)) {
                    principal.accounts.append(v);
                } else if (const auto m = root.match(v); m.hasMatch()) {
                    principal.accounts.append(m.captured(1));
                } else if (identity.match(v).hasMatch()) {
                    principal.arns.append(v);
                } else {
                    return invalid;
                }
            } else if (type == "CanonicalUser") {
                if (!s3access::isCanonicalId(v))
                    return invalid;
                principal.canonicalUsers.append(v.toLower());
            } else if (type == "Service" || type == "Federated") {
                if (v.isEmpty())
                    return invalid;
                (type == "Service" ? principal.services : principal.federated).append(v);
            } else {
                return invalid;
            }
        }
    }
    return principal;
}

struct OperatorName
{
    QLatin1String name;
    Operator op;
};

constexpr OperatorName kOperators[] = {
    {QLatin1String("StringEquals"), Operator::StringEquals},
    {QLatin1String("StringNotEquals"), Operator::StringNotEquals},
    {QLatin1String("StringEqualsIgnoreCase"), Operator::StringEqualsIgnoreCase},
    {QLatin1String("StringNotEqualsIgnoreCase"), Operator::StringNotEqualsIgnoreCase},
    {QLatin1String("StringLike"), Operator::StringLike},
    {QLatin1String("StringNotLike"), Operator::StringNotLike},
    {QLatin1String("NumericEquals"), Operator::NumericEquals},
    {QLatin1String("NumericNotEquals"), Operator::NumericNotEquals},
    {QLatin1String("NumericLessThan"), Operator::NumericLessThan},
    {QLatin1String("NumericLessThanEquals"), Operator::NumericLessThanEquals},
    {QLatin1String("NumericGreaterThan"), Operator::NumericGreaterThan},
    {QLatin1String("NumericGreaterThanEquals"), Operator::NumericGreaterThanEquals},
    {QLatin1String("DateEquals"), Operator::DateEquals},
    {QLatin1String("DateNotEquals"), Operator::DateNotEquals},
    {QLatin1String("DateLessThan"), Operator::DateLessThan},
    {QLatin1String("DateLessThanEquals"), Operator::DateLessThanEquals},
    {QLatin1String("DateGreaterThan"), Operator::DateGreaterThan},
    {QLatin1String("DateGreaterThanEquals"), Operator::DateGreaterThanEquals},
    {QLatin1String("Bool"), Operator::Bool},
    {QLatin1String("BinaryEquals"), Operator::BinaryEquals},
    {QLatin1String("IpAddress"), Operator::IpAddress},
    {QLatin1String("NotIpAddress"), Operator::NotIpAddress},
    {QLatin1String("ArnEquals"), Operator::ArnEquals},
    {QLatin1String("ArnLike"), Operator::ArnLike},
    {QLatin1String("ArnNotEquals"), Operator::ArnNotEquals},
    {QLatin1String("ArnNotLike"), Operator::ArnNotLike},
    {QLatin1String("Null"), Operator::Null},
};

// "ForAnyValue:StringLikeIfExists" -> StringLike, ForAnyValue, ifExists.
bool parseOperator(QStringView text, S3PolicyCondition *c)
{
    if (text.startsWith(u"ForAnyValue:", Qt::CaseInsensitive)) {
        c->qualifier = Qualifier::ForAnyValue;
        text = text.sliced(12);
    } else if (text.startsWith(u"ForAllValues:", Qt::CaseInsensitive)) {
        c->qualifier = Qualifier::ForAllValues;
        text = text.sliced(13);
    }
    for (const OperatorName &o : kOperators) {
        if (text.compare(o.name, Qt::CaseInsensitive) == 0) {
            c->op = o.op;
            return true;
        }
    }
    if (!text.endsWith(u"IfExists", Qt::CaseInsensitive))
        return false;
    text.chop(8);
    for (const OperatorName &o : kOperators) {
        // Null tests existence itself: IAM has no NullIfExists.
        if (o.op != Operator::Null && text.compare(o.name, Qt::CaseInsensitive) == 0) {
            c->op = o.op;
            c->ifExists = true;
            return true;
        }
    }
    return false;
}

Result<QList<S3PolicyCondition>> parseConditions(const Json &value)
{
    if (!value.is_object())
        return invalidPolicyElement();
    QList<S3PolicyCondition> out;
    for (auto op = value.begin(); op != value.end(); ++op) {
        S3PolicyCondition base;
        const QString opName = fromStd(op.key());
        if (!parseOperator(opName, &base))
            return malformedPolicy(QStringLiteral("Invalid Condition type : ") + opName);
        if (!op.value().is_object() || op.value().empty())
            return invalidPolicyElement();
        for (auto key = op.value().begin(); key != op.value().end(); ++key) {
            S3PolicyCondition c = base;
            c.key = fromStd(key.key());
            if (!c.key.startsWith(QLatin1String("aws:"), Qt::CaseInsensitive)
                && !c.key.startsWith(QLatin1String("s3:"), Qt::CaseInsensitive))
                return malformedPolicy(QStringLiteral("Policy has an invalid condition key"));
            const Json &v = key.value();
            const auto append = [&c](const Json &item) {
                if (item.is_string())
                    c.values.append(fromStd(item.get<std::string>()));
                else if (item.is_boolean() || item.is_number())
                    c.values.append(fromStd(item.dump()));
                else
                    return false;
                return true;
            };
            if (v.is_array()) {
                if (v.empty())
                    return invalidPolicyElement();
                for (const Json &item : v) {
                    if (!append(item))
                        return invalidPolicyElement();
                }
            } else if (!append(v)) {
                return invalidPolicyElement();
            }
            out.append(c);
        }
    }
    return out;
}

const char *const kStatementFields[] = {"Sid", "Effect", "Principal", "NotPrincipal", "Action",
    "NotAction", "Resource", "NotResource", "Condition"};

Result<S3PolicyStatement> parseStatement(const Json &s, const QString &bucket)
{
    if (!s.is_object())
        return invalidPolicyElement();
    for (auto it = s.begin(); it != s.end(); ++it) {
        const bool known = std::any_of(std::begin(kStatementFields), std::end(kStatementFields),
            [&](const char *f) { return it.key() == f; });
        if (!known)
            return malformedPolicy(QStringLiteral("Unknown field ") + fromStd(it.key()));
    }
    for (const char *element : {"Principal", "Action", "Resource"}) {
        if (s.contains(element) && s.contains(std::string("Not") + element))
            return malformedPolicy(QStringLiteral("Statement/policy already has instance of ")
                + QLatin1String(element));
    }

    S3PolicyStatement st;
    if (const auto sid = s.find("Sid"); sid != s.end()) {
        if (!sid->is_string())
            return invalidPolicyElement();
        st.sid = fromStd(sid->get<std::string>());
    }
    const auto effect = s.find("Effect");
    if (effect == s.end())
        return malformedPolicy(QStringLiteral("Missing required field Effect"));
    const QString effectText
        = effect->is_string() ? fromStd(effect->get<std::string>()) : fromStd(effect->dump());
    if (effectText != QLatin1String("Allow") && effectText != QLatin1String("Deny"))
        return malformedPolicy(QStringLiteral("Invalid effect: ") + effectText);
    st.allow = effectText == QLatin1String("Allow");

    st.notPrincipal = s.contains("NotPrincipal");
    const auto principal = s.find(st.notPrincipal ? "NotPrincipal" : "Principal");
    if (principal == s.end())
        return malformedPolicy(QStringLiteral("Missing required field Principal"));
    auto parsedPrincipal = parsePrincipal(*principal);
    if (!parsedPrincipal)
        return parsedPrincipal.error();
    st.principal = std::move(parsedPrincipal.value());

    st.notAction = s.contains("NotAction");
    const auto action = s.find(st.notAction ? "NotAction" : "Action");
    if (action == s.end())
        return malformedPolicy(QStringLiteral("Missing required field Action"));
    const auto actions = stringList(*action);
    if (!actions)
        return invalidPolicyElement();
    for (const QString &a : *actions) {
        if (actionKinds(a).isEmpty())
            return malformedPolicy(QStringLiteral("Policy has invalid action"));
    }
    st.actions = *actions;

    st.notResource = s.contains("NotResource");
    const auto resource = s.find(st.notResource ? "NotResource" : "Resource");
    if (resource == s.end())
        return malformedPolicy(QStringLiteral("Missing required field Resource"));
    const auto resources = stringList(*resource);
    if (!resources)
        return invalidPolicyElement();
    for (const QString &r : *resources) {
        if (!isResourceOf(r, bucket))
            return malformedPolicy(QStringLiteral("Policy has invalid resource"));
    }
    st.resources = *resources;

    if (const auto condition = s.find("Condition"); condition != s.end()) {
        auto conditions = parseConditions(*condition);
        if (!conditions)
            return conditions.error();
        st.conditions = std::move(conditions.value());
    }

    // S3 refuses an action that can act on none of the statement's resources: s3:ListBucket
    // with only "bucket/*", s3:GetObject with only "bucket".
    if (!st.notAction && !st.notResource) {
        QList<ActionKind> reachable;
        for (const QString &r : std::as_const(st.resources))
            reachable += resourceKinds(r);
        for (const QString &a : std::as_const(st.actions)) {
            const QList<ActionKind> kinds = actionKinds(a);
            const bool applies = std::any_of(
                kinds.begin(), kinds.end(), [&](ActionKind k) { return reachable.contains(k); });
            if (!applies)
                return malformedPolicy(
                    QStringLiteral("Action does not apply to any resource(s) in statement"));
        }
    }
    return st;
}

// --- Policy evaluation

bool principalMatches(
    const S3PolicyPrincipal &p, const S3Account *requester, const S3ConditionContext &context)
{
    if (p.everyone)
        return true;
    if (requester
        && (p.accounts.contains(requester->accountId)
            || p.canonicalUsers.contains(requester->canonicalId)))
        return true;
    if (const QStringList *service = context.values(QStringLiteral("aws:PrincipalServiceName"))) {
        for (const QString &s : *service) {
            if (p.services.contains(s, Qt::CaseInsensitive))
                return true;
        }
    }
    return false;
}

bool statementApplies(const S3PolicyStatement &st, const S3AccessRequest &request,
    const S3ConditionContext &context, const S3ConditionContext *variables)
{
    if (principalMatches(st.principal, request.requester, context) == st.notPrincipal)
        return false;
    const bool action = std::any_of(st.actions.begin(), st.actions.end(),
        [&](const QString &a) { return globMatch(a, request.action, Qt::CaseInsensitive); });
    if (action == st.notAction)
        return false;
    const bool resource
        = std::any_of(st.resources.begin(), st.resources.end(), [&](const QString &r) {
              Pattern p;
              return expandVariables(r, variables, &p)
                  && globMatch(p, request.resource, Qt::CaseSensitive);
          });
    if (resource == st.notResource)
        return false;
    return std::all_of(st.conditions.begin(), st.conditions.end(),
        [&](const S3PolicyCondition &c) { return conditionHolds(c, context, variables); });
}

// The keys whose fixed values make an Allow for everyone non-public ("The meaning of public").
bool isIdentifyingKey(const QString &key)
{
    static const QStringList keys = {
        QStringLiteral("aws:sourcearn"),
        QStringLiteral("aws:sourcevpc"),
        QStringLiteral("aws:sourcevpce"),
        QStringLiteral("aws:sourceowner"),
        QStringLiteral("aws:sourceaccount"),
        QStringLiteral("aws:sourceorgid"),
        QStringLiteral("aws:principalorgid"),
        QStringLiteral("aws:principalaccount"),
        QStringLiteral("aws:principalarn"),
        QStringLiteral("aws:userid"),
        QStringLiteral("s3:x-amz-server-side-encryption-aws-kms-key-id"),
        QStringLiteral("s3:dataaccesspointarn"),
        QStringLiteral("s3:dataaccesspointaccount"),
    };
    return keys.contains(key.toLower());
}

bool isFixed(const QString &value)
{
    return !value.contains(u'*') && !value.contains(u'?') && !value.contains(QLatin1String("${"));
}

// Whether a condition can only hold for requests from identified callers: a plain (not
// ...IfExists, not ForAllValues, which hold without the key) match of fixed values.
bool restrictsCaller(const S3PolicyCondition &c)
{
    if (c.ifExists || c.qualifier == Qualifier::ForAllValues || c.values.isEmpty())
        return false;
    if (c.op == Operator::IpAddress) {
        // A /0 is everyone.
        return c.key.compare(QLatin1String("aws:SourceIp"), Qt::CaseInsensitive) == 0
            && std::all_of(c.values.begin(), c.values.end(), [](const QString &v) {
                   const auto net = parseNetwork(v);
                   return net && net->prefix > 0;
               });
    }
    switch (c.op) {
    case Operator::StringEquals:
    case Operator::StringEqualsIgnoreCase:
    case Operator::StringLike:
    case Operator::ArnEquals:
    case Operator::ArnLike:
        return isIdentifyingKey(c.key) && std::all_of(c.values.begin(), c.values.end(), isFixed);
    default:
        return false;
    }
}

// --- ACLs

S3Grant canonicalGrant(const QString &id, const QString &displayName, S3Permission permission)
{
    S3Grant g;
    g.type = S3Grant::Type::CanonicalUser;
    g.id = id;
    g.displayName = displayName;
    g.permission = permission;
    return g;
}

S3Grant groupGrant(const QString &uri, S3Permission permission)
{
    S3Grant g;
    g.type = S3Grant::Type::Group;
    g.uri = uri;
    g.permission = permission;
    return g;
}

bool isKnownGroup(const QString &uri)
{
    return uri == s3access::kAllUsersUri || uri == s3access::kAuthenticatedUsersUri
        || uri == s3access::kLogDeliveryUri;
}

enum class GranteeKind { Id, Uri, Email };

// A grantee as S3 checks it when an ACL is set: a canonical id must be well formed and known,
// a group one of S3's three, an e-mail address an account's (stored as that account's id).
Result<S3Grant> resolveGrantee(
    GranteeKind kind, const QString &value, S3Permission permission, const S3AccountLookup &lookup)
{
    switch (kind) {
    case GranteeKind::Id: {
        if (!s3access::isCanonicalId(value))
            return s3errors::invalidArgument(QStringLiteral("Invalid id"));
        const QString id = value.toLower();
        QString displayName;
        if (lookup.byCanonicalId) {
            const auto account = lookup.byCanonicalId(id);
            if (!account)
                return s3errors::invalidArgument(QStringLiteral("Invalid id"));
            displayName = account->displayName;
        }
        return canonicalGrant(id, displayName, permission);
    }
    case GranteeKind::Uri:
        if (!isKnownGroup(value))
            return s3errors::invalidArgument(QStringLiteral("Invalid group uri"));
        return groupGrant(value, permission);
    case GranteeKind::Email: {
        const auto account = lookup.byEmail ? lookup.byEmail(value) : std::nullopt;
        if (!account)
            return unresolvableEmail();
        return canonicalGrant(account->canonicalId, account->displayName, permission);
    }
    }
    return s3errors::invalidArgument(QStringLiteral("Invalid grantee"));
}

Result<S3Acl> cannedAcl(const QString &name, const S3Account &owner, const S3Account *bucketOwner)
{
    S3Acl acl = s3access::privateAcl(owner);
    const bool otherBucketOwner = bucketOwner && bucketOwner->canonicalId != owner.canonicalId;
    if (name == QLatin1String("private"))
        return acl;
    if (name == QLatin1String("public-read")) {
        acl.grants.append(groupGrant(s3access::kAllUsersUri, S3Permission::Read));
    } else if (name == QLatin1String("public-read-write")) {
        acl.grants.append(groupGrant(s3access::kAllUsersUri, S3Permission::Read));
        acl.grants.append(groupGrant(s3access::kAllUsersUri, S3Permission::Write));
    } else if (name == QLatin1String("authenticated-read")) {
        acl.grants.append(groupGrant(s3access::kAuthenticatedUsersUri, S3Permission::Read));
    } else if (name == QLatin1String("aws-exec-read")) {
        acl.grants.append(
            canonicalGrant(kExecReadId, QStringLiteral("za-team"), S3Permission::Read));
    } else if (name == QLatin1String("bucket-owner-read")) {
        if (otherBucketOwner)
            acl.grants.append(canonicalGrant(
                bucketOwner->canonicalId, bucketOwner->displayName, S3Permission::Read));
    } else if (name == QLatin1String("bucket-owner-full-control")) {
        if (otherBucketOwner)
            acl.grants.append(canonicalGrant(
                bucketOwner->canonicalId, bucketOwner->displayName, S3Permission::FullControl));
    } else if (name == QLatin1String("log-delivery-write")) {
        acl.grants.append(groupGrant(s3access::kLogDeliveryUri, S3Permission::Write));
        acl.grants.append(groupGrant(s3access::kLogDeliveryUri, S3Permission::ReadAcp));
    } else {
        return s3errors::invalidArgument(QStringLiteral("Invalid canned ACL: ") + name);
    }
    return acl;
}

bool granteeMatches(const S3Grant &g, const S3Account *requester)
{
    switch (g.type) {
    case S3Grant::Type::CanonicalUser:
        return requester && requester->canonicalId == g.id;
    case S3Grant::Type::AmazonCustomerByEmail:
        return requester && !g.email.isEmpty()
            && requester->email.compare(g.email, Qt::CaseInsensitive) == 0;
    case S3Grant::Type::Group:
        if (g.uri == s3access::kAllUsersUri)
            return true;
        if (g.uri == s3access::kAuthenticatedUsersUri)
            return requester != nullptr;
        return false; // LogDelivery is S3's own log writer, never a request's signer
    }
    return false;
}

// --- XML

bool parseXmlBool(const QString &text, bool *value)
{
    const QString t = text.trimmed().toLower();
    *value = t == QLatin1String("true");
    return *value || t == QLatin1String("false");
}

void writeBool(QXmlStreamWriter &w, const QString &name, bool value)
{
    w.writeTextElement(name, value ? QStringLiteral("true") : QStringLiteral("false"));
}

bool isPolicyAction(const QString &action)
{
    return action.compare(QLatin1String("s3:GetBucketPolicy"), Qt::CaseInsensitive) == 0
        || action.compare(QLatin1String("s3:PutBucketPolicy"), Qt::CaseInsensitive) == 0
        || action.compare(QLatin1String("s3:DeleteBucketPolicy"), Qt::CaseInsensitive) == 0;
}

} // namespace

// --- S3GrantHeaders, S3ConditionContext

bool S3GrantHeaders::isEmpty() const
{
    return read.isEmpty() && write.isEmpty() && readAcp.isEmpty() && writeAcp.isEmpty()
        && fullControl.isEmpty();
}

QString S3ConditionContext::normalised(const QString &key)
{
    const qsizetype slash = key.indexOf(u'/');
    if (slash < 0)
        return key.toLower();
    return key.first(slash).toLower() + key.sliced(slash);
}

void S3ConditionContext::set(const QString &key, const QString &value)
{
    m_values.insert(normalised(key), QStringList {value});
}

void S3ConditionContext::set(const QString &key, const QStringList &values)
{
    m_values.insert(normalised(key), values);
}

bool S3ConditionContext::contains(const QString &key) const
{
    return m_values.contains(normalised(key));
}

const QStringList *S3ConditionContext::values(const QString &key) const
{
    const auto it = m_values.constFind(normalised(key));
    return it == m_values.constEnd() ? nullptr : &it.value();
}

// --- S3BucketPolicy

Result<S3BucketPolicy> S3BucketPolicy::parse(const QByteArray &text, const QString &bucket)
{
    if (text.size() > kMaxSize)
        return malformedPolicy(QStringLiteral("Policy exceeds the maximum allowed document size."));
    const Error notJson = malformedPolicy(
        QStringLiteral("Policies must be valid JSON and the first byte must be '{'"));
    if (!text.trimmed().startsWith('{'))
        return notJson;
    auto json = parseJson(text);
    if (!json || !json->is_object())
        return notJson;
    const Json &doc = *json;

    for (auto it = doc.begin(); it != doc.end(); ++it) {
        if (it.key() != "Version" && it.key() != "Id" && it.key() != "Statement")
            return malformedPolicy(QStringLiteral("Unknown field ") + fromStd(it.key()));
    }
    S3BucketPolicy policy;
    // Without a Version, IAM reads a policy as 2008-10-17: no policy variables.
    policy.m_version = QStringLiteral("2008-10-17");
    if (const auto version = doc.find("Version"); version != doc.end()) {
        const bool known = version->is_string()
            && (version->get<std::string>() == "2012-10-17"
                || version->get<std::string>() == "2008-10-17");
        if (!known)
            return malformedPolicy(
                QStringLiteral("The policy must contain a valid version string"));
        policy.m_version = fromStd(version->get<std::string>());
    }
    if (const auto id = doc.find("Id"); id != doc.end() && !id->is_string())
        return invalidPolicyElement();

    const auto statement = doc.find("Statement");
    if (statement == doc.end())
        return malformedPolicy(QStringLiteral("Missing required field Statement"));
    if (statement->is_array() && statement->empty())
        return malformedPolicy(QStringLiteral("Could not parse the policy: Statement is empty!"));
    const auto add = [&](const Json &s) -> Result<void> {
        auto parsed = parseStatement(s, bucket);
        if (!parsed)
            return parsed.error();
        policy.m_statements.append(std::move(parsed.value()));
        return {};
    };
    if (statement->is_array()) {
        for (const Json &s : *statement) {
            if (auto added = add(s); !added)
                return added.error();
        }
    } else if (auto added = add(*statement); !added) {
        return added.error();
    }
    return policy;
}

S3PolicyDecision S3BucketPolicy::evaluate(const S3AccessRequest &request) const
{
    // The keys that describe the requester come from the requester unless the caller set them.
    S3ConditionContext context = request.context;
    const auto fill = [&context](const QString &key, const QString &value) {
        if (!context.contains(key))
            context.set(key, value);
    };
    if (const S3Account *who = request.requester) {
        fill(QStringLiteral("aws:PrincipalAccount"), who->accountId);
        fill(QStringLiteral("aws:PrincipalArn"),
            QStringLiteral("arn:aws:iam::") + who->accountId + QStringLiteral(":root"));
        fill(QStringLiteral("aws:userid"), who->accountId);
        fill(QStringLiteral("aws:PrincipalType"), QStringLiteral("Account"));
    } else {
        fill(QStringLiteral("aws:userid"), QStringLiteral("anonymous"));
        fill(QStringLiteral("aws:PrincipalType"), QStringLiteral("Anonymous"));
    }
    const S3ConditionContext *variables
        = m_version == QLatin1String("2012-10-17") ? &context : nullptr;

    bool allowed = false;
    for (const S3PolicyStatement &st : m_statements) {
        if (!statementApplies(st, request, context, variables))
            continue;
        if (!st.allow)
            return S3PolicyDecision::Deny;
        allowed = true;
    }
    return allowed ? S3PolicyDecision::Allow : S3PolicyDecision::NotApplicable;
}

bool S3BucketPolicy::isPublic() const
{
    for (const S3PolicyStatement &st : m_statements) {
        if (!st.allow || !(st.notPrincipal || st.principal.everyone))
            continue;
        if (std::none_of(st.conditions.begin(), st.conditions.end(), restrictsCaller))
            return true;
    }
    return false;
}

namespace s3access {

// --- Accounts

S3Account defaultAccount()
{
    return S3Account {QStringLiteral("000000000000"),
        QStringLiteral("75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"),
        QStringLiteral("tarmac"), QString()};
}

QString canonicalIdFor(const QString &accountId)
{
    // The default account keeps the id Tarmac has always shown (the one other emulators use).
    if (accountId == QLatin1String("000000000000"))
        return defaultAccount().canonicalId;
    return QString::fromLatin1(
        QCryptographicHash::hash(accountId.toUtf8(), QCryptographicHash::Sha256).toHex());
}

S3Account makeAccount(const QString &accountId, const QString &displayName, const QString &email)
{
    return S3Account {accountId, canonicalIdFor(accountId), displayName, email};
}

bool isCanonicalId(QStringView id)
{
    if (id.size() != 64)
        return false;
    for (QChar c : id) {
        const char16_t u = c.unicode();
        if (!((u >= u'0' && u <= u'9') || (u >= u'a' && u <= u'f') || (u >= u'A' && u <= u'F')))
            return false;
    }
    return true;
}

// --- ACLs

QString permissionName(S3Permission permission)
{
    switch (permission) {
    case S3Permission::FullControl:
        return QStringLiteral("FULL_CONTROL");
    case S3Permission::Read:
        return QStringLiteral("READ");
    case S3Permission::Write:
        return QStringLiteral("WRITE");
    case S3Permission::ReadAcp:
        return QStringLiteral("READ_ACP");
    case S3Permission::WriteAcp:
        return QStringLiteral("WRITE_ACP");
    }
    return {};
}

std::optional<S3Permission> permissionFromName(QStringView name)
{
    for (S3Permission p : {S3Permission::FullControl, S3Permission::Read, S3Permission::Write,
             S3Permission::ReadAcp, S3Permission::WriteAcp}) {
        if (name == permissionName(p))
            return p;
    }
    return std::nullopt;
}

S3Acl privateAcl(const S3Account &owner)
{
    return S3Acl {owner.canonicalId, owner.displayName,
        {canonicalGrant(owner.canonicalId, owner.displayName, S3Permission::FullControl)}};
}

Result<S3Acl> cannedBucketAcl(const QString &name, const S3Account &owner)
{
    return cannedAcl(name, owner, nullptr);
}

Result<S3Acl> cannedObjectAcl(
    const QString &name, const S3Account &owner, const S3Account &bucketOwner)
{
    return cannedAcl(name, owner, &bucketOwner);
}

Result<S3Acl> aclFromGrantHeaders(
    const S3GrantHeaders &headers, const S3Account &owner, const S3AccountLookup &lookup)
{
    S3Acl acl {owner.canonicalId, owner.displayName, {}};
    const std::pair<const QByteArray *, S3Permission> sources[] = {
        {&headers.read, S3Permission::Read},
        {&headers.write, S3Permission::Write},
        {&headers.readAcp, S3Permission::ReadAcp},
        {&headers.writeAcp, S3Permission::WriteAcp},
        {&headers.fullControl, S3Permission::FullControl},
    };
    const Error unrecognised
        = s3errors::invalidArgument(QStringLiteral("Argument format not recognized"));
    for (const auto &[header, permission] : sources) {
        if (header->trimmed().isEmpty())
            continue;
        // id="…", uri="…", emailAddress="…", comma separated; quotes are optional.
        for (const QByteArray &item : header->split(',')) {
            const qsizetype eq = item.indexOf('=');
            if (eq < 0)
                return unrecognised;
            const QString key = QString::fromUtf8(item.first(eq).trimmed()).toLower();
            QByteArray value = item.sliced(eq + 1).trimmed();
            if (value.size() >= 2 && value.startsWith('"') && value.endsWith('"'))
                value = value.sliced(1, value.size() - 2);
            GranteeKind kind;
            if (key == QLatin1String("id"))
                kind = GranteeKind::Id;
            else if (key == QLatin1String("uri"))
                kind = GranteeKind::Uri;
            else if (key == QLatin1String("emailaddress"))
                kind = GranteeKind::Email;
            else
                return unrecognised;
            if (value.isEmpty())
                return unrecognised;
            auto grant = resolveGrantee(kind, QString::fromUtf8(value), permission, lookup);
            if (!grant)
                return grant.error();
            acl.grants.append(grant.value());
        }
    }
    return acl;
}

Result<std::optional<S3Acl>> aclFromHeaders(const QByteArray &cannedAclName,
    const S3GrantHeaders &grants, const S3Account &owner, const S3Account *bucketOwner,
    const S3AccountLookup &lookup)
{
    if (!cannedAclName.isEmpty() && !grants.isEmpty())
        return s3errors::invalidRequest(
            QStringLiteral("Specifying both Canned ACLs and Header Grants is not allowed"));
    if (!cannedAclName.isEmpty()) {
        auto acl = cannedAcl(QString::fromUtf8(cannedAclName.trimmed()), owner, bucketOwner);
        if (!acl)
            return acl.error();
        return std::optional<S3Acl>(std::move(acl.value()));
    }
    if (!grants.isEmpty()) {
        auto acl = aclFromGrantHeaders(grants, owner, lookup);
        if (!acl)
            return acl.error();
        return std::optional<S3Acl>(std::move(acl.value()));
    }
    return std::optional<S3Acl>();
}

Result<S3Acl> parseAccessControlPolicy(
    const QByteArray &document, const S3Account &owner, const S3AccountLookup &lookup)
{
    auto root = s3xml::parse(document);
    if (!root || root->name != QLatin1String("AccessControlPolicy"))
        return malformedAcl();
    const XmlElement *ownerElement = root->child(u"Owner");
    if (!ownerElement || !ownerElement->child(u"ID"))
        return malformedAcl();
    // Changing a resource's owner through its ACL is refused.
    if (ownerElement->childText(u"ID").trimmed().toLower() != owner.canonicalId)
        return accessDenied();

    S3Acl acl {owner.canonicalId, owner.displayName, {}};
    const XmlElement *list = root->child(u"AccessControlList");
    if (!list)
        return acl;
    for (const XmlElement &grant : list->children) {
        if (grant.name != QLatin1String("Grant"))
            return malformedAcl();
        const XmlElement *grantee = grant.child(u"Grantee");
        const XmlElement *permissionElement = grant.child(u"Permission");
        if (!grantee || !permissionElement)
            return malformedAcl();
        const auto permission = permissionFromName(permissionElement->text.trimmed());
        if (!permission)
            return malformedAcl();
        std::optional<std::pair<GranteeKind, QString>> who;
        for (const XmlElement &c : grantee->children) {
            std::optional<GranteeKind> kind;
            if (c.name == QLatin1String("ID"))
                kind = GranteeKind::Id;
            else if (c.name == QLatin1String("URI"))
                kind = GranteeKind::Uri;
            else if (c.name == QLatin1String("EmailAddress"))
                kind = GranteeKind::Email;
            else if (c.name != QLatin1String("DisplayName") && c.name != QLatin1String("Type"))
                return malformedAcl();
            if (!kind)
                continue;
            if (who) // one grantee per Grant
                return malformedAcl();
            who = std::pair(*kind, c.text.trimmed());
        }
        if (!who)
            return malformedAcl();
        auto resolved = resolveGrantee(who->first, who->second, *permission, lookup);
        if (!resolved)
            return resolved.error();
        acl.grants.append(resolved.value());
    }
    return acl;
}

QByteArray renderAccessControlPolicy(const S3Acl &acl)
{
    QByteArray out;
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("AccessControlPolicy"));
    w.writeStartElement(QStringLiteral("Owner"));
    w.writeTextElement(QStringLiteral("ID"), acl.ownerId);
    if (!acl.ownerDisplayName.isEmpty())
        w.writeTextElement(QStringLiteral("DisplayName"), acl.ownerDisplayName);
    w.writeEndElement();
    w.writeStartElement(QStringLiteral("AccessControlList"));
    for (const S3Grant &g : acl.grants) {
        w.writeStartElement(QStringLiteral("Grant"));
        w.writeStartElement(QStringLiteral("Grantee"));
        w.writeNamespace(kXsiNamespace, QStringLiteral("xsi"));
        switch (g.type) {
        case S3Grant::Type::CanonicalUser:
            w.writeAttribute(
                kXsiNamespace, QStringLiteral("type"), QStringLiteral("CanonicalUser"));
            w.writeTextElement(QStringLiteral("ID"), g.id);
            if (!g.displayName.isEmpty())
                w.writeTextElement(QStringLiteral("DisplayName"), g.displayName);
            break;
        case S3Grant::Type::Group:
            w.writeAttribute(kXsiNamespace, QStringLiteral("type"), QStringLiteral("Group"));
            w.writeTextElement(QStringLiteral("URI"), g.uri);
            break;
        case S3Grant::Type::AmazonCustomerByEmail:
            w.writeAttribute(
                kXsiNamespace, QStringLiteral("type"), QStringLiteral("AmazonCustomerByEmail"));
            w.writeTextElement(QStringLiteral("EmailAddress"), g.email);
            break;
        }
        w.writeEndElement();
        w.writeTextElement(QStringLiteral("Permission"), permissionName(g.permission));
        w.writeEndElement();
    }
    w.writeEndElement();
    s3xml::endDocument(w);
    return out;
}

// {"o": owner id, "n": owner name, "g": [[kind, id|uri|email, display name, permission], ...]}
QByteArray aclToStorage(const S3Acl &acl)
{
    Json grants = Json::array();
    for (const S3Grant &g : acl.grants) {
        const char *kind = g.type == S3Grant::Type::CanonicalUser ? "C"
            : g.type == S3Grant::Type::Group                      ? "G"
                                                                  : "E";
        const QString &subject = g.type == S3Grant::Type::CanonicalUser ? g.id
            : g.type == S3Grant::Type::Group                            ? g.uri
                                                                        : g.email;
        grants.push_back(Json::array(
            {kind, toStd(subject), toStd(g.displayName), toStd(permissionName(g.permission))}));
    }
    return toJsonBytes(
        Json {{"o", toStd(acl.ownerId)}, {"n", toStd(acl.ownerDisplayName)}, {"g", grants}});
}

std::optional<S3Acl> aclFromStorage(const QByteArray &bytes)
{
    auto json = parseJson(bytes);
    if (!json || !json->is_object())
        return std::nullopt;
    const Json &doc = *json;
    const auto o = doc.find("o");
    const auto n = doc.find("n");
    const auto g = doc.find("g");
    if (o == doc.end() || n == doc.end() || g == doc.end() || !o->is_string() || !n->is_string()
        || !g->is_array())
        return std::nullopt;
    S3Acl acl {fromStd(o->get<std::string>()), fromStd(n->get<std::string>()), {}};
    for (const Json &item : *g) {
        if (!item.is_array() || item.size() != 4
            || !std::all_of(item.begin(), item.end(), [](const Json &v) { return v.is_string(); }))
            return std::nullopt;
        const std::string kind = item[0].get<std::string>();
        const QString subject = fromStd(item[1].get<std::string>());
        const auto permission = permissionFromName(fromStd(item[3].get<std::string>()));
        if (!permission)
            return std::nullopt;
        S3Grant grant;
        grant.permission = *permission;
        grant.displayName = fromStd(item[2].get<std::string>());
        if (kind == "C") {
            grant.type = S3Grant::Type::CanonicalUser;
            grant.id = subject;
        } else if (kind == "G") {
            grant.type = S3Grant::Type::Group;
            grant.uri = subject;
        } else if (kind == "E") {
            grant.type = S3Grant::Type::AmazonCustomerByEmail;
            grant.email = subject;
        } else {
            return std::nullopt;
        }
        acl.grants.append(grant);
    }
    return acl;
}

bool isPublicGrant(const S3Grant &grant)
{
    return grant.type == S3Grant::Type::Group
        && (grant.uri == kAllUsersUri || grant.uri == kAuthenticatedUsersUri);
}

bool isPublic(const S3Acl &acl)
{
    return std::any_of(acl.grants.begin(), acl.grants.end(), isPublicGrant);
}

bool aclGrants(
    const S3Acl &acl, S3Permission permission, const S3Account *requester, bool ignorePublicGrants)
{
    for (const S3Grant &g : acl.grants) {
        if (g.permission != permission && g.permission != S3Permission::FullControl)
            continue;
        if (ignorePublicGrants && isPublicGrant(g))
            continue;
        if (granteeMatches(g, requester))
            return true;
    }
    return false;
}

// --- Policies

QString bucketArn(const QString &bucket)
{
    return kS3ArnPrefix + bucket;
}

QString objectArn(const QString &bucket, const QByteArray &key)
{
    return kS3ArnPrefix + bucket + u'/' + QString::fromUtf8(key);
}

// --- Block Public Access, Object Ownership, policy status

Result<S3PublicAccessBlock> parsePublicAccessBlock(const QByteArray &document)
{
    auto root = s3xml::parse(document);
    if (!root)
        return root.error();
    if (root->name != QLatin1String("PublicAccessBlockConfiguration"))
        return s3errors::malformedXml(
            QStringLiteral("the root element must be PublicAccessBlockConfiguration"));
    S3PublicAccessBlock block;
    const std::pair<QLatin1String, bool *> fields[] = {
        {QLatin1String("BlockPublicAcls"), &block.blockPublicAcls},
        {QLatin1String("IgnorePublicAcls"), &block.ignorePublicAcls},
        {QLatin1String("BlockPublicPolicy"), &block.blockPublicPolicy},
        {QLatin1String("RestrictPublicBuckets"), &block.restrictPublicBuckets},
    };
    for (const XmlElement &c : root->children) {
        const auto field = std::find_if(
            std::begin(fields), std::end(fields), [&](const auto &f) { return c.name == f.first; });
        if (field == std::end(fields))
            return s3errors::malformedXml(QStringLiteral("unknown element ") + c.name);
        if (!parseXmlBool(c.text, field->second))
            return s3errors::malformedXml(c.name + QStringLiteral(" must be true or false"));
    }
    return block;
}

QByteArray renderPublicAccessBlock(const S3PublicAccessBlock &block)
{
    QByteArray out;
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("PublicAccessBlockConfiguration"));
    writeBool(w, QStringLiteral("BlockPublicAcls"), block.blockPublicAcls);
    writeBool(w, QStringLiteral("IgnorePublicAcls"), block.ignorePublicAcls);
    writeBool(w, QStringLiteral("BlockPublicPolicy"), block.blockPublicPolicy);
    writeBool(w, QStringLiteral("RestrictPublicBuckets"), block.restrictPublicBuckets);
    s3xml::endDocument(w);
    return out;
}

QString ownershipName(S3ObjectOwnership ownership)
{
    switch (ownership) {
    case S3ObjectOwnership::BucketOwnerEnforced:
        return QStringLiteral("BucketOwnerEnforced");
    case S3ObjectOwnership::BucketOwnerPreferred:
        return QStringLiteral("BucketOwnerPreferred");
    case S3ObjectOwnership::ObjectWriter:
        return QStringLiteral("ObjectWriter");
    }
    return {};
}

std::optional<S3ObjectOwnership> ownershipFromName(QStringView name)
{
    for (S3ObjectOwnership o : {S3ObjectOwnership::BucketOwnerEnforced,
             S3ObjectOwnership::BucketOwnerPreferred, S3ObjectOwnership::ObjectWriter}) {
        if (name == ownershipName(o))
            return o;
    }
    return std::nullopt;
}

Result<S3ObjectOwnership> parseOwnershipControls(const QByteArray &document)
{
    auto root = s3xml::parse(document);
    if (!root)
        return root.error();
    if (root->name != QLatin1String("OwnershipControls"))
        return s3errors::malformedXml(QStringLiteral("the root element must be OwnershipControls"));
    // The schema allows a list of rules; S3 takes exactly one.
    if (root->children.size() != 1 || root->children.front().name != QLatin1String("Rule"))
        return s3errors::malformedXml(QStringLiteral("OwnershipControls has exactly one Rule"));
    const XmlElement &rule = root->children.front();
    if (rule.children.size() != 1 || rule.children.front().name != QLatin1String("ObjectOwnership"))
        return s3errors::malformedXml(QStringLiteral("a Rule has exactly one ObjectOwnership"));
    const auto ownership = ownershipFromName(rule.children.front().text.trimmed());
    if (!ownership)
        return s3errors::malformedXml(QStringLiteral("ObjectOwnership is BucketOwnerEnforced, "
                                                     "BucketOwnerPreferred or ObjectWriter"));
    return *ownership;
}

QByteArray renderOwnershipControls(S3ObjectOwnership ownership)
{
    QByteArray out;
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("OwnershipControls"));
    w.writeStartElement(QStringLiteral("Rule"));
    w.writeTextElement(QStringLiteral("ObjectOwnership"), ownershipName(ownership));
    w.writeEndElement();
    s3xml::endDocument(w);
    return out;
}

QByteArray renderPolicyStatus(bool isPublic)
{
    QByteArray out;
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("PolicyStatus"));
    writeBool(w, QStringLiteral("IsPublic"), isPublic);
    s3xml::endDocument(w);
    return out;
}

// --- The decision

S3AclRequirement aclRequirement(const QString &action)
{
    // AWS's table "Mapping of ACL permissions and access policy permissions".
    struct Entry
    {
        QLatin1String action;
        S3AclTarget target;
        S3Permission permission;
    };
    static constexpr Entry table[] = {
        {QLatin1String("s3:ListBucket"), S3AclTarget::Bucket, S3Permission::Read},
        {QLatin1String("s3:ListBucketVersions"), S3AclTarget::Bucket, S3Permission::Read},
        {QLatin1String("s3:ListBucketMultipartUploads"), S3AclTarget::Bucket, S3Permission::Read},
        {QLatin1String("s3:PutObject"), S3AclTarget::Bucket, S3Permission::Write},
        {QLatin1String("s3:DeleteObject"), S3AclTarget::Bucket, S3Permission::Write},
        {QLatin1String("s3:DeleteObjectVersion"), S3AclTarget::Bucket, S3Permission::Write},
        {QLatin1String("s3:AbortMultipartUpload"), S3AclTarget::Bucket, S3Permission::Write},
        {QLatin1String("s3:GetBucketAcl"), S3AclTarget::Bucket, S3Permission::ReadAcp},
        {QLatin1String("s3:PutBucketAcl"), S3AclTarget::Bucket, S3Permission::WriteAcp},
        {QLatin1String("s3:GetObject"), S3AclTarget::Object, S3Permission::Read},
        {QLatin1String("s3:GetObjectVersion"), S3AclTarget::Object, S3Permission::Read},
        {QLatin1String("s3:GetObjectTorrent"), S3AclTarget::Object, S3Permission::Read},
        {QLatin1String("s3:GetObjectVersionTorrent"), S3AclTarget::Object, S3Permission::Read},
        {QLatin1String("s3:GetObjectAttributes"), S3AclTarget::Object, S3Permission::Read},
        {QLatin1String("s3:GetObjectVersionAttributes"), S3AclTarget::Object, S3Permission::Read},
        {QLatin1String("s3:GetObjectAcl"), S3AclTarget::Object, S3Permission::ReadAcp},
        {QLatin1String("s3:GetObjectVersionAcl"), S3AclTarget::Object, S3Permission::ReadAcp},
        {QLatin1String("s3:PutObjectAcl"), S3AclTarget::Object, S3Permission::WriteAcp},
        {QLatin1String("s3:PutObjectVersionAcl"), S3AclTarget::Object, S3Permission::WriteAcp},
    };
    for (const Entry &e : table) {
        if (action.compare(e.action, Qt::CaseInsensitive) == 0)
            return S3AclRequirement {e.target, e.permission};
    }
    return {};
}

Result<void> authorize(const S3AccessRequest &request, const S3AccessContext &context)
{
    const S3Account *who = request.requester;
    const QString &bucketOwnerId = context.bucketOwner.canonicalId;
    const bool isBucketOwner = who && who->canonicalId == bucketOwnerId;
    // So that an owner cannot lock itself out, its root user may always manage the policy.
    if (isBucketOwner && isPolicyAction(request.action))
        return {};

    const S3PolicyDecision decision
        = context.policy ? context.policy->evaluate(request) : S3PolicyDecision::NotApplicable;
    if (decision == S3PolicyDecision::Deny)
        return accessDenied();

    const bool aclsEnabled = context.ownership != S3ObjectOwnership::BucketOwnerEnforced;
    const bool ignorePublicAcls
        = context.publicAccessBlock && context.publicAccessBlock->ignorePublicAcls;
    const S3AclRequirement need = aclRequirement(request.action);

    // Object context: an object another account owns is granted by its owner only, through
    // its ACL; the bucket owner's policy and default access do not reach it (they can still
    // delete or overwrite it: those are bucket permissions).
    const S3Acl *objectAcl = context.objectAcl;
    if (aclsEnabled && objectAcl && objectAcl->ownerId != bucketOwnerId
        && need.target != S3AclTarget::Bucket) {
        if (who && who->canonicalId == objectAcl->ownerId)
            return {};
        if (need.target == S3AclTarget::Object
            && aclGrants(*objectAcl, need.permission, who, ignorePublicAcls))
            return {};
        return accessDenied();
    }

    if (isBucketOwner)
        return {};
    bool allowed = false;
    if (decision == S3PolicyDecision::Allow) {
        // RestrictPublicBuckets: a public policy lets only the owner's account in (and AWS
        // services, which do not sign requests here).
        const bool restricted = context.publicAccessBlock
            && context.publicAccessBlock->restrictPublicBuckets && context.policy->isPublic();
        allowed = !restricted;
    }
    if (!allowed && aclsEnabled && need.target != S3AclTarget::None) {
        const S3Acl *acl = need.target == S3AclTarget::Bucket ? context.bucketAcl : objectAcl;
        allowed = acl && aclGrants(*acl, need.permission, who, ignorePublicAcls);
    }
    if (!allowed)
        return accessDenied();
    if (isPolicyAction(request.action))
        return s3errors::methodNotAllowed();
    return {};
}

S3Account objectOwnerFor(const S3Account &writer, const S3Account &bucketOwner,
    S3ObjectOwnership ownership, const QByteArray &cannedAclName)
{
    if (ownership == S3ObjectOwnership::BucketOwnerEnforced)
        return bucketOwner;
    if (ownership == S3ObjectOwnership::BucketOwnerPreferred
        && cannedAclName.trimmed() == "bucket-owner-full-control")
        return bucketOwner;
    return writer;
}

S3Acl effectiveAcl(const S3Acl &stored, const S3Account &bucketOwner, S3ObjectOwnership ownership)
{
    if (ownership == S3ObjectOwnership::BucketOwnerEnforced)
        return privateAcl(bucketOwner);
    return stored;
}

Result<void> checkAclPut(const S3Acl &acl, const S3Account &bucketOwner,
    S3ObjectOwnership ownership, const std::optional<S3PublicAccessBlock> &block)
{
    if (ownership == S3ObjectOwnership::BucketOwnerEnforced) {
        // Only bucket-owner-full-control or its equivalent: full control for the bucket owner,
        // and for no one else but the writer the ACL is made for.
        const auto fullControlFor = [&](const S3Grant &g, const QString &id) {
            return g.type == S3Grant::Type::CanonicalUser && g.id == id
                && g.permission == S3Permission::FullControl;
        };
        const bool bucketOwnerHasIt = std::any_of(acl.grants.begin(), acl.grants.end(),
            [&](const S3Grant &g) { return fullControlFor(g, bucketOwner.canonicalId); });
        const bool nothingElse = std::all_of(
            acl.grants.begin(), acl.grants.end(), [&](const S3Grant &g) {
                return fullControlFor(g, bucketOwner.canonicalId) || fullControlFor(g, acl.ownerId);
            });
        if (!bucketOwnerHasIt || !nothingElse)
            return aclNotSupported();
    }
    if (block && block->blockPublicAcls && isPublic(acl))
        return accessDenied();
    return {};
}

Result<void> checkPolicyPut(
    const S3BucketPolicy &policy, const std::optional<S3PublicAccessBlock> &block)
{
    if (block && block->blockPublicPolicy && policy.isPublic())
        return accessDenied();
    return {};
}

Result<void> checkOwnershipChange(S3ObjectOwnership ownership, const S3Acl &bucketAcl)
{
    if (ownership != S3ObjectOwnership::BucketOwnerEnforced)
        return {};
    const bool ownerOnly
        = std::all_of(bucketAcl.grants.begin(), bucketAcl.grants.end(), [&](const S3Grant &g) {
              return g.type == S3Grant::Type::CanonicalUser && g.id == bucketAcl.ownerId;
          });
    if (!ownerOnly)
        return makeError(QStringLiteral("InvalidBucketAclWithObjectOwnership"),
            QStringLiteral("Bucket cannot have ACLs set with ObjectOwnership's "
                           "BucketOwnerEnforced setting"),
            400);
    return {};
}

} // namespace s3access
} // namespace tarmac
