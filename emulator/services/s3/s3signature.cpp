#include "services/s3/s3signature.h"

#include "http/httpmessage.h"
#include "http/servicedetector.h"
#include "services/s3/s3checksum.h"
#include "services/s3/s3errors.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>

#include <algorithm>
#include <cstdlib>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace tarmac {

namespace {

// "Credential=AKID/20240115/us-east-1/s3/aws4_request, SignedHeaders=a;b, Signature=hex"
struct AuthFields
{
    QByteArray accessKey, date, region, service, signedHeaders, signature, amzDate;
};

Error denied(const QString &message)
{
    return s3errors::accessDenied(message);
}

QByteArray collapseSpaces(QByteArray value)
{
    value = value.trimmed();
    QByteArray out;
    out.reserve(value.size());
    bool space = false;
    for (const char c : value) {
        if (c == ' ' || c == '\t') {
            space = true;
            continue;
        }
        if (space && !out.isEmpty())
            out += ' ';
        space = false;
        out += c;
    }
    return out;
}

QByteArray hmacSha1(const QByteArray &key, const QByteArray &data)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha1(), key.constData(), int(key.size()),
        reinterpret_cast<const unsigned char *>(data.constData()), size_t(data.size()), out, &n);
    return QByteArray(reinterpret_cast<const char *>(out), int(n));
}

// The query parameters that take part in a SigV2 canonical resource (botocore's
// HmacV1Auth.QSAOfInterest).
bool isSubresource(const QByteArray &name)
{
    static const QList<QByteArray> names = {
        "accelerate",
        "acl",
        "cors",
        "defaultObjectAcl",
        "location",
        "logging",
        "partNumber",
        "policy",
        "requestPayment",
        "torrent",
        "versioning",
        "versionId",
        "versions",
        "website",
        "uploads",
        "uploadId",
        "response-content-type",
        "response-content-language",
        "response-expires",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "delete",
        "lifecycle",
        "tagging",
        "restore",
        "storageClass",
        "notification",
        "replication",
        "analytics",
        "metrics",
        "inventory",
        "select",
        "select-type",
        "object-lock",
    };
    return names.contains(name);
}

// The end of every SigV2 StringToSign: CanonicalizedAmzHeaders (x-amz-* names lower-case and
// sorted, a repeated name's values joined with commas) and CanonicalizedResource (the bucket of
// a virtual-hosted request, the path as sent, the subresources sorted).
QByteArray v2CanonicalTail(const HttpRequest &request)
{
    QList<std::pair<QByteArray, QByteArray>> amz;
    for (const auto &[name, value] : request.headers.fields()) {
        if (!name.startsWith("x-amz-"))
            continue;
        const QByteArray v = collapseSpaces(value);
        bool joined = false;
        for (auto &[seen, values] : amz) {
            if (seen == name) {
                values += ',' + v;
                joined = true;
                break;
            }
        }
        if (!joined)
            amz.append({name, v});
    }
    std::sort(amz.begin(), amz.end());
    QByteArray out;
    for (const auto &[name, value] : std::as_const(amz))
        out += name + ':' + value + '\n';
    const QString hostBucket = s3BucketFromHost(request.header("host"));
    if (!hostBucket.isEmpty())
        out += '/' + hostBucket.toUtf8();
    out += request.path;
    // A bucket's own resource is "/bucket/" in either style (a path-style "/bucket" too).
    if (hostBucket.isEmpty() && request.path.size() > 1 && request.path.indexOf('/', 1) < 0)
        out += '/';
    QList<std::pair<QByteArray, QByteArray>> sub;
    for (const auto &[name, value] : request.queryItems()) {
        if (isSubresource(name))
            sub.append({name, value});
    }
    std::sort(sub.begin(), sub.end());
    for (qsizetype i = 0; i < sub.size(); ++i) {
        out += i == 0 ? '?' : '&';
        out += sub[i].first;
        if (!sub[i].second.isEmpty() || request.query.contains(QByteArray(sub[i].first + '=')))
            out += '=' + sub[i].second;
    }
    return out;
}

// X-Amz-Date's ISO 8601 basic form, "20130524T000000Z", in UTC; invalid when it is not that.
QDateTime parseAmzDate(const QByteArray &value)
{
    QDateTime at
        = QDateTime::fromString(QString::fromLatin1(value), QStringLiteral("yyyyMMddTHHmmssZ"));
    at.setTimeSpec(Qt::UTC);
    return at;
}

// The answer to any signature that does not verify (SigV4, SigV2, a form's policy).
Error signatureMismatch()
{
    return s3errors::signatureDoesNotMatch(
        QStringLiteral("The request signature we calculated does not match the signature you "
                       "provided. Check your key and signing method."));
}

} // namespace

Result<void> S3SignatureVerifier::checkPresignedExpiry(
    const HttpRequest &request, qint64 nowSeconds)
{
    if (!request.queryItem("X-Amz-Algorithm").isEmpty()) {
        const auto malformed = [](const QString &message) {
            return makeError(QStringLiteral("AuthorizationQueryParametersError"), message, 400);
        };
        bool ok = false;
        const qint64 expires = request.queryItem("X-Amz-Expires").toLongLong(&ok);
        if (!ok)
            return malformed(QStringLiteral("X-Amz-Expires should be a number"));
        if (expires < 0)
            return malformed(QStringLiteral("X-Amz-Expires must be non-negative"));
        if (expires > 604800)
            return malformed(QStringLiteral("X-Amz-Expires must be less than a week (in seconds) "
                                            "that is 604800 seconds"));
        const QDateTime signedAt = parseAmzDate(request.queryItem("X-Amz-Date"));
        if (!signedAt.isValid())
            return malformed(QStringLiteral("X-Amz-Date must be in the ISO8601 Long Format "
                                            "\"yyyyMMdd'T'HHmmss'Z'\""));
        if (signedAt.toSecsSinceEpoch() + expires < nowSeconds)
            return denied(QStringLiteral("Request has expired"));
        return {};
    }
    if (!request.queryItem("AWSAccessKeyId").isEmpty() && !request.queryItem("Expires").isEmpty()) {
        bool ok = false;
        const qint64 expires = request.queryItem("Expires").toLongLong(&ok);
        if (!ok)
            return denied(QStringLiteral("Malformed Expires"));
        if (expires < nowSeconds)
            return denied(QStringLiteral("Request has expired"));
    }
    return {};
}

Result<S3SignatureVerifier::Verified> S3SignatureVerifier::verifyV2Query(
    const HttpRequest &request, qint64 nowSeconds) const
{
    const QByteArray accessKey = request.queryItem("AWSAccessKeyId");
    const auto secret = m_secrets.constFind(accessKey);
    if (secret == m_secrets.constEnd())
        return s3errors::invalidAccessKeyId();
    if (auto r = checkPresignedExpiry(request, nowSeconds); !r)
        return r.error();
    const qint64 expires = request.queryItem("Expires").toLongLong();
    const QByteArray toSign = request.method + '\n' + request.header("content-md5") + '\n'
        + request.header("content-type") + '\n' + QByteArray::number(expires) + '\n'
        + v2CanonicalTail(request);
    const QByteArray expected = hmacSha1(*secret, toSign).toBase64();
    if (!constantTimeEqual(expected, request.queryItem("Signature")))
        return signatureMismatch();
    Verified v;
    v.accessKeyId = accessKey;
    return v;
}

Result<S3SignatureVerifier::Verified> S3SignatureVerifier::verifyV2Header(
    const HttpRequest &request, qint64 wallSeconds) const
{
    // "AWS AKID:signature" (AWS's RESTAuthentication): the key id never holds a colon.
    const QByteArray credentials = request.header("authorization").mid(4).trimmed();
    const qsizetype colon = credentials.indexOf(':');
    if (colon <= 0 || colon == credentials.size() - 1)
        return s3errors::invalidArgument(QStringLiteral("AWS authorization header is invalid.  "
                                                        "Expected AwsAccessKeyId:signature"));
    const QByteArray accessKey = credentials.left(colon);
    const QByteArray signature = credentials.mid(colon + 1);
    // x-amz-date stands in for Date (which some clients cannot set); either must be there.
    const bool amzDate = request.headers.contains("x-amz-date");
    const QByteArray date = request.header(amzDate ? "x-amz-date" : "date");
    if (auto r = checkRequestTime(date, false, wallSeconds); !r)
        return r.error();
    const auto secret = m_secrets.constFind(accessKey);
    if (secret == m_secrets.constEnd())
        return s3errors::invalidAccessKeyId();
    const QByteArray head = request.method + '\n' + request.header("content-md5") + '\n'
        + request.header("content-type") + '\n';
    const QByteArray tail = v2CanonicalTail(request);
    // With x-amz-date the Date line is empty, as AWS documents; botocore's HmacV1Auth signs
    // the Date header it adds anyway, so that form is accepted too.
    QList<QByteArray> dateLines = {amzDate ? QByteArray() : date};
    if (amzDate && request.headers.contains("date"))
        dateLines.append(request.header("date"));
    for (const QByteArray &line : std::as_const(dateLines)) {
        if (constantTimeEqual(hmacSha1(*secret, head + line + '\n' + tail).toBase64(), signature)) {
            Verified v;
            v.accessKeyId = accessKey;
            return v;
        }
    }
    return signatureMismatch();
}

Result<void> S3SignatureVerifier::checkRequestTime(
    const QByteArray &value, bool iso8601, qint64 wallSeconds)
{
    const QDateTime at = iso8601 ? parseAmzDate(value) : parseHttpDate(value);
    // A time before 1970 is refused as malformed, as S3 refuses it, not as skewed.
    if (!at.isValid() || at.toSecsSinceEpoch() < 0)
        return denied(QStringLiteral("AWS authentication requires a valid Date or x-amz-date "
                                     "header"));
    if (std::abs(at.toSecsSinceEpoch() - wallSeconds) > kMaxSkewSeconds)
        return makeError(QStringLiteral("RequestTimeTooSkewed"),
            QStringLiteral("The difference between the request time and the current time is too "
                           "large."),
            403);
    return {};
}

QDateTime S3SignatureVerifier::parseHttpDate(const QByteArray &value)
{
    // RFC 1123 ("Tue, 27 Mar 2007 19:36:42 GMT" or "+0000"), the form HTTP's Date takes.
    // The day's name is left out: Qt refuses a date whose name is wrong, S3 reads past it.
    QString text = QString::fromLatin1(value.trimmed());
    if (const qsizetype comma = text.indexOf(u','); comma >= 0 && comma <= 9)
        text = text.mid(comma + 1).trimmed();
    if (text.endsWith(QLatin1String(" GMT")) || text.endsWith(QLatin1String(" UTC")))
        text = text.chopped(4) + QStringLiteral(" +0000");
    return QDateTime::fromString(text, Qt::RFC2822Date);
}

QByteArray S3SignatureVerifier::uriEncode(const QByteArray &bytes, bool keepSlash)
{
    static const char hex[] = "0123456789ABCDEF";
    QByteArray out;
    out.reserve(bytes.size() * 3);
    for (const char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
            || c == '_' || c == '.' || c == '~' || (keepSlash && c == '/')) {
            out += char(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
    }
    return out;
}

QByteArray S3SignatureVerifier::signingKey(const QByteArray &secret, const QByteArray &date,
    const QByteArray &region, const QByteArray &service)
{
    QByteArray k = hmacSha256(QByteArray("AWS4" + secret), date);
    k = hmacSha256(k, region);
    k = hmacSha256(k, service);
    return hmacSha256(k, "aws4_request");
}

Result<S3SignatureVerifier> S3SignatureVerifier::fromCredentialsFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return makeError(QStringLiteral("Usage"),
            QStringLiteral("cannot read the credentials file %1: %2")
                .arg(path, file.errorString()));
    S3SignatureVerifier v;
    QByteArray key;
    QByteArray secret;
    QString profile;
    QString accountId;
    const auto flush = [&] {
        if (!key.isEmpty() && !secret.isEmpty()) {
            S3Account account = s3access::defaultAccount();
            if (!accountId.isEmpty() || !v.m_accounts.isEmpty()) {
                QString id = accountId;
                if (id.isEmpty()) { // twelve digits from the key: stable across runs
                    const QByteArray digest
                        = QCryptographicHash::hash(key, QCryptographicHash::Sha256);
                    for (int i = 0; id.size() < 12; ++i)
                        id += QChar(u'0' + static_cast<unsigned char>(digest[i]) % 10);
                }
                account = s3access::makeAccount(id, profile.isEmpty() ? id : profile);
            }
            v.addCredentials(key, secret, account);
        }
        key.clear();
        secret.clear();
        accountId.clear();
    };
    while (!file.atEnd()) {
        const QByteArray line = file.readLine().trimmed();
        if (line.startsWith('[')) {
            flush();
            profile = QString::fromUtf8(line.mid(1, line.indexOf(']') - 1).trimmed());
            continue;
        }
        const qsizetype eq = line.indexOf('=');
        if (line.startsWith('#') || line.startsWith(';') || eq < 0)
            continue;
        const QByteArray name = line.left(eq).trimmed().toLower();
        const QByteArray value = line.mid(eq + 1).trimmed();
        if (name == "aws_access_key_id")
            key = value;
        else if (name == "aws_secret_access_key")
            secret = value;
        else if (name == "aws_account_id")
            accountId = QString::fromLatin1(value);
    }
    flush();
    if (v.m_secrets.isEmpty())
        return makeError(QStringLiteral("Usage"),
            QStringLiteral("no aws_access_key_id / aws_secret_access_key pair in %1").arg(path));
    return v;
}

const S3Account *S3SignatureVerifier::account(const QByteArray &accessKeyId) const
{
    const auto it = m_accounts.constFind(accessKeyId);
    return it == m_accounts.constEnd() ? nullptr : &*it;
}

QList<S3Account> S3SignatureVerifier::accounts() const
{
    return m_accounts.values();
}

void S3SignatureVerifier::addCredentials(
    const QByteArray &accessKeyId, const QByteArray &secret, const S3Account &account)
{
    m_accounts.insert(accessKeyId, account);
    m_secrets.insert(accessKeyId, secret);
}

Result<S3SignatureVerifier::Verified> S3SignatureVerifier::verify(
    const HttpRequest &request, qint64 nowSeconds, qint64 wallSeconds) const
{
    AuthFields f;
    const QByteArray authorization = request.header("authorization");
    if (authorization.isEmpty() && request.hasQueryItem("AWSAccessKeyId")
        && request.hasQueryItem("Signature"))
        return verifyV2Query(request, nowSeconds); // botocore's default for presigned S3 URLs
    const bool presigned = authorization.isEmpty() && request.hasQueryItem("X-Amz-Signature");
    QByteArray payloadHash;
    if (presigned) {
        if (request.queryItem("X-Amz-Algorithm") != "AWS4-HMAC-SHA256")
            return denied(QStringLiteral("Only AWS4-HMAC-SHA256 presigned URLs are accepted"));
        const QList<QByteArray> scope = request.queryItem("X-Amz-Credential").split('/');
        if (scope.size() != 5 || scope[4] != "aws4_request")
            return denied(QStringLiteral("Malformed X-Amz-Credential"));
        f.accessKey = scope[0];
        f.date = scope[1];
        f.region = scope[2];
        f.service = scope[3];
        f.signedHeaders = request.queryItem("X-Amz-SignedHeaders");
        f.signature = request.queryItem("X-Amz-Signature").toLower();
        f.amzDate = request.queryItem("X-Amz-Date");
        payloadHash = "UNSIGNED-PAYLOAD";
        if (auto r = checkPresignedExpiry(request, nowSeconds); !r)
            return r.error();
    } else {
        // Unsigned: an anonymous request, which only public ACLs and policies allow.
        if (authorization.isEmpty())
            return Verified {};
        if (authorization.startsWith("AWS "))
            return verifyV2Header(request, wallSeconds);
        if (!authorization.startsWith("AWS4-HMAC-SHA256 "))
            return denied(QStringLiteral("Only AWS4-HMAC-SHA256 and AWS (SigV2) signatures are "
                                         "accepted"));
        for (const QByteArray &part : authorization.mid(17).split(',')) {
            const QByteArray p = part.trimmed();
            if (p.startsWith("Credential=")) {
                const QList<QByteArray> scope = p.mid(11).split('/');
                if (scope.size() != 5 || scope[4] != "aws4_request")
                    return denied(QStringLiteral("Malformed Credential"));
                f.accessKey = scope[0];
                f.date = scope[1];
                f.region = scope[2];
                f.service = scope[3];
            } else if (p.startsWith("SignedHeaders=")) {
                f.signedHeaders = p.mid(14);
            } else if (p.startsWith("Signature=")) {
                f.signature = p.mid(10).toLower();
            }
        }
        f.amzDate = request.header("x-amz-date");
        payloadHash = request.header("x-amz-content-sha256");
        if (payloadHash.isEmpty())
            payloadHash = "UNSIGNED-PAYLOAD";
    }
    if (f.accessKey.isEmpty() || f.signature.size() != 64 || f.signedHeaders.isEmpty()
        || f.amzDate.size() != 16)
        return denied(QStringLiteral("Malformed SigV4 authorization"));
    // A signed request is good for 15 minutes either side of its time; a presigned URL, until
    // it expires (checked above).
    if (!presigned) {
        if (auto r = checkRequestTime(f.amzDate, true, wallSeconds); !r)
            return r.error();
    }
    const auto secret = m_secrets.constFind(f.accessKey);
    if (secret == m_secrets.constEnd())
        return s3errors::invalidAccessKeyId();

    // Canonical query: every parameter but the signature, names and values encoded, sorted.
    QList<std::pair<QByteArray, QByteArray>> query;
    for (const auto &[name, value] : request.queryItems()) {
        if (presigned && name == "X-Amz-Signature")
            continue;
        query.append({uriEncode(name, false), uriEncode(value, false)});
    }
    std::sort(query.begin(), query.end());
    QByteArray canonicalQuery;
    for (const auto &[name, value] : std::as_const(query)) {
        if (!canonicalQuery.isEmpty())
            canonicalQuery += '&';
        canonicalQuery += name + '=' + value;
    }
    // Canonical headers, in SignedHeaders order (already sorted and lower-case by the client).
    QByteArray canonicalHeaders;
    for (const QByteArray &name : f.signedHeaders.split(';')) {
        QByteArray values;
        bool found = false;
        for (const auto &[n, v] : request.headers.fields()) {
            if (n != name)
                continue;
            if (found)
                values += ',';
            values += collapseSpaces(v);
            found = true;
        }
        if (!found)
            return makeError(QStringLiteral("SignatureDoesNotMatch"),
                QStringLiteral("A signed header is missing: ") + QString::fromLatin1(name), 403);
        canonicalHeaders += name + ':' + values + '\n';
    }
    const QByteArray canonicalRequest = request.method + '\n' + request.path + '\n' + canonicalQuery
        + '\n' + canonicalHeaders + '\n' + f.signedHeaders + '\n' + payloadHash;
    const QByteArray scope = f.date + '/' + f.region + '/' + f.service + "/aws4_request";
    const QByteArray toSign
        = "AWS4-HMAC-SHA256\n" + f.amzDate + '\n' + scope + '\n' + sha256Hex(canonicalRequest);
    const QByteArray key = signingKey(*secret, f.date, f.region, f.service);
    const QByteArray expected = hmacSha256(key, toSign).toHex();
    if (!constantTimeEqual(expected, f.signature))
        return signatureMismatch();
    Verified v;
    v.accessKeyId = f.accessKey;
    if (payloadHash.startsWith("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"))
        v.chunkSigning = AwsChunkedDecoder::Signing {key, f.amzDate, scope, f.signature};
    return v;
}

Result<void> S3SignatureVerifier::verifyPostPolicy(
    const QByteArray &policy, const PostSignature &fields) const
{
    if (!fields.accessKeyId.isEmpty() || !fields.signatureV2.isEmpty()) {
        const auto secret = m_secrets.constFind(fields.accessKeyId);
        if (secret == m_secrets.constEnd())
            return s3errors::invalidAccessKeyId();
        if (!constantTimeEqual(hmacSha1(*secret, policy).toBase64(), fields.signatureV2))
            return signatureMismatch();
        return {};
    }
    if (fields.algorithm.isEmpty() && fields.credential.isEmpty() && fields.signature.isEmpty())
        return denied(QStringLiteral("Anonymous requests are refused: signature verification is "
                                     "on"));
    if (fields.algorithm != "AWS4-HMAC-SHA256")
        return s3errors::invalidArgument(QStringLiteral("Only AWS4-HMAC-SHA256 is supported for "
                                                        "x-amz-algorithm"));
    const QList<QByteArray> scope = fields.credential.split('/');
    if (scope.size() != 5 || scope[4] != "aws4_request")
        return s3errors::invalidArgument(QStringLiteral("Error parsing the X-Amz-Credential "
                                                        "parameter; the Credential is mal-formed; "
                                                        "expecting "
                                                        "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/"
                                                        "aws4_request\"."));
    const auto secret = m_secrets.constFind(scope[0]);
    if (secret == m_secrets.constEnd())
        return s3errors::invalidAccessKeyId();
    const QByteArray key = signingKey(*secret, scope[1], scope[2], scope[3]);
    if (!constantTimeEqual(hmacSha256(key, policy).toHex(), fields.signature.toLower()))
        return signatureMismatch();
    return {};
}

} // namespace tarmac
