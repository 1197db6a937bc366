#include "services/s3/s3restapi.h"

#include "services/s3/s3call.h"

#include "base/clock.h"
#include "http/awserror.h"
#include "http/servicedetector.h"
#include "services/s3/s3bodystager.h"
#include "services/s3/s3configs.h"
#include "services/s3/s3errors.h"
#include "services/s3/s3lifecycle.h"
#include "services/s3/s3lifecyclerunner.h"
#include "services/s3/s3notifier.h"
#include "services/s3/s3objectlock.h"
#include "services/s3/s3postobject.h"
#include "services/s3/s3signature.h"
#include "services/s3/s3sse.h"
#include "services/s3/s3xml.h"
#include "trace/tracecontext.h"
#include "trace/tracer.h"

#include <QBuffer>
#include <QDateTime>
#include <QFile>
#include <QXmlStreamWriter>

#include <cstdio>
#include <cstring>
#include <ctime>

namespace tarmac {

namespace {

constexpr qint64 kMiB = 1024 * 1024;
constexpr qint64 kXmlBodyLimit = 8 * kMiB;
const QByteArray kOwnerId
    = QByteArrayLiteral("75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a");
const QString kOwnerName = QStringLiteral("tarmac");

// The Content-MD5 a request sent, empty or not; nullopt when it sent none.
std::optional<QByteArray> contentMd5Of(const HttpRequest &request)
{
    if (!request.headers.contains("content-md5"))
        return std::nullopt;
    return request.header("content-md5");
}

struct FlagName
{
    const char *name;
    quint32 flag;
};

constexpr FlagName kFlags[] = {
    {"acl", FlagAcl},
    {"cors", FlagCors},
    {"delete", FlagDelete},
    {"location", FlagLocation},
    {"notification", FlagNotification},
    {"tagging", FlagTagging},
    {"uploads", FlagUploads},
    {"uploadId", FlagUploadId},
    {"partNumber", FlagPartNumber},
    {"list-type", FlagListType},
    {"versioning", FlagVersioning},
    {"versions", FlagVersions},
    {"object-lock", FlagObjectLock},
    {"retention", FlagRetention},
    {"legal-hold", FlagLegalHold},
    {"versionId", FlagVersionId},
    {"policy", FlagPolicy},
    {"policyStatus", FlagPolicyStatus},
    {"lifecycle", FlagLifecycle},
    {"website", FlagWebsite},
    {"replication", FlagReplication},
    {"encryption", FlagEncryption},
    {"logging", FlagLogging},
    {"requestPayment", FlagRequestPayment},
    {"accelerate", FlagAccelerate},
    {"inventory", FlagUnsupported},
    {"analytics", FlagUnsupported},
    {"metrics", FlagUnsupported},
    {"intelligent-tiering", FlagUnsupported},
    {"ownershipControls", FlagOwnership},
    {"publicAccessBlock", FlagPublicAccessBlock},
    {"restore", FlagUnsupported},
    {"select", FlagUnsupported},
    {"attributes", FlagAttributes},
    {"torrent", FlagUnsupported},
};

QByteArray httpDate(qint64 ns)
{
    static const char *days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *months[]
        = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::time_t t = std::time_t(ns / 1'000'000'000);
    std::tm tm {};
    gmtime_r(&t, &tm);
    char buf[40];
    const int n
        = std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
            tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return QByteArray(buf, n);
}

// RFC 7231 dates (and the two obsolete forms Qt understands); 0 when unparseable.
qint64 parseHttpDate(const QByteArray &value)
{
    if (value.isEmpty())
        return 0;
    // IMF-fixdate, what every SDK sends: "Sun, 06 Nov 1994 08:49:37 GMT".
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char day[4] = {};
    char month[4] = {};
    std::tm tm {};
    if (std::sscanf(value.constData(), "%3s, %d %3s %d %d:%d:%d GMT", day, &tm.tm_mday, month,
            &tm.tm_year, &tm.tm_hour, &tm.tm_min, &tm.tm_sec)
        == 7) {
        const char *m = std::strstr(months, month);
        if (m && (m - months) % 3 == 0) {
            tm.tm_mon = int(m - months) / 3;
            tm.tm_year -= 1900;
            return qint64(timegm(&tm)) * 1'000'000'000;
        }
    }
    QDateTime dt = QDateTime::fromString(QString::fromLatin1(value), Qt::RFC2822Date);
    if (!dt.isValid())
        dt = QDateTime::fromString(QString::fromLatin1(value), Qt::ISODate);
    return dt.isValid() ? dt.toMSecsSinceEpoch() * 1'000'000 : 0;
}

QByteArray unquote(QByteArray etag)
{
    etag = etag.trimmed();
    if (etag.startsWith("W/"))
        etag = etag.mid(2);
    if (etag.size() >= 2 && etag.startsWith('"') && etag.endsWith('"'))
        etag = etag.mid(1, etag.size() - 2);
    return etag;
}

bool etagListMatches(const QByteArray &header, const QByteArray &etag)
{
    for (const QByteArray &item : header.split(',')) {
        const QByteArray e = unquote(item);
        if (e == "*" || e == etag)
            return true;
    }
    return false;
}

// encoding-type=url: everything but unreserved characters and '/' escaped (botocore decodes
// with unquote_plus, so '+' and ' ' must both be escaped).
QString urlEncodeKey(const QByteArray &key)
{
    return QString::fromLatin1(key.toPercentEncoding("/"));
}

bool isTrue(const QByteArray &v)
{
    return v.compare("true", Qt::CaseInsensitive) == 0;
}

const QByteArray kSystemHeaders[] = {"content-type", "cache-control", "content-disposition",
    "content-encoding", "content-language", "expires", "x-amz-website-redirect-location"};

} // namespace

namespace {

// ---- Server-side encryption (s3sse.h) ----

s3sse::HeaderLookup headersOf(const S3Call &call)
{
    return [&call](QByteArrayView name) { return call.request.header(name.toByteArray()); };
}

bool mentionsEncryption(const S3Call &call)
{
    for (const auto &field : call.request.headers.fields()) {
        if (field.first.startsWith("x-amz-server-side-encryption"))
            return true;
    }
    return false;
}

// What a version was encrypted with, from its system values (nothing stored: SSE-S3, which
// S3 applies to every object, with nothing to keep).
s3sse::Encryption encryptionOf(const S3Object &o)
{
    if (o.system.isEmpty())
        return {};
    return s3sse::fromStoredForm(S3Store::parseHeaders(o.system));
}

void addEncryptionHeaders(HttpResponse &r, const s3sse::Encryption &e, s3sse::Operation op)
{
    if (!e.isEncrypted()) {
        r.headers.add("x-amz-server-side-encryption", "AES256");
        return;
    }
    for (const auto &[name, value] : s3sse::responseHeaders(e, op))
        r.headers.add(name, value);
}

// `system` with its encryption values replaced by `e`'s.
QByteArray withEncryption(const QByteArray &system, const s3sse::Encryption &e)
{
    auto values = S3Store::parseHeaders(system);
    values.removeIf([](const auto &p) {
        return p.first.startsWith("x-amz-server-side-encryption")
            || p.first.startsWith("x-tarmac-sse-c");
    });
    values += s3sse::storedForm(e);
    return S3Store::serializeHeaders(values);
}

// The counter block an SSE-C body starts from: the version's IV for a single-part object
// (part 0), else the IV with the part number folded into its top bytes, since each part is
// encrypted when it is uploaded, before its place in the object is known.
QByteArray partIv(const QByteArray &iv, int partNumber)
{
    QByteArray out = iv;
    for (int i = 0; i < 4 && i < out.size(); ++i)
        out[i] = char(out[i] ^ ((partNumber >> (24 - 8 * i)) & 0xFF));
    return out;
}

// SSE-C: encrypts a staged body in place; a blob is then named by the ciphertext's SHA-256.
Result<void> encryptStaged(S3StagedBody &body, const s3sse::Encryption &e, int partNumber)
{
    s3sse::CustomerCipher cipher(e.customerKey, partIv(e.customerIv, partNumber));
    if (!cipher.isValid())
        return s3errors::internalError(QStringLiteral("cannot start the cipher"));
    if (body.path.isEmpty()) {
        cipher.apply(body.data, 0);
        return {};
    }
    QFile file(body.path);
    if (!file.open(QIODevice::ReadWrite))
        return s3errors::internalError(QStringLiteral("cannot encrypt the body"));
    Digest sha(Digest::Algorithm::Sha256);
    QByteArray buffer(1024 * 1024, Qt::Uninitialized);
    for (qint64 at = 0;;) {
        const qint64 n = file.read(buffer.data(), buffer.size());
        if (n < 0)
            return s3errors::internalError(QStringLiteral("cannot encrypt the body"));
        if (n == 0)
            break;
        cipher.apply(buffer.data(), n, at);
        if (!file.seek(at) || file.write(buffer.constData(), n) != n)
            return s3errors::internalError(QStringLiteral("cannot encrypt the body"));
        sha.add(buffer.constData(), n);
        at += n;
    }
    body.sha256Hex = sha.result().toHex();
    return {};
}

// What an upload's part is encrypted with: an SSE-C upload's parts carry its key (checked
// against the one the upload was created with), and are encrypted as they arrive.
Result<s3sse::Encryption> partEncryption(const S3Call &call, const S3Upload &upload)
{
    s3sse::Encryption encryption = s3sse::fromStoredForm(S3Store::parseHeaders(upload.system));
    auto sent
        = s3sse::parseCustomerKey(headersOf(call), s3sse::KeyHeaders::Target, s3sse::KeyUse::Write);
    if (!sent)
        return sent.error();
    if (auto c = s3sse::checkUploadPart(encryption, *sent); !c)
        return c.error();
    if (encryption.isCustomer() && *sent)
        encryption.customerKey = (*sent)->key;
    return encryption;
}

// SSE-C: decrypts `data`, the object's bytes from offset `from`, part by part.
void decryptRange(QByteArray &data, qint64 from, const S3Object &o, const s3sse::Encryption &e,
    const QByteArray &key)
{
    if (o.partsCount == 0 || o.partSizes.size() != o.partsCount) {
        s3sse::CustomerCipher cipher(key, partIv(e.customerIv, 0));
        cipher.apply(data, from);
        return;
    }
    QList<int> numbers; // the parts' numbers, when they were not 1..N
    for (const QByteArray &n : o.systemValue("part-numbers").split(','))
        numbers.append(n.toInt());
    qint64 partStart = 0;
    qint64 done = 0;
    for (int i = 0; i < o.partsCount && done < data.size(); ++i) {
        const qint64 partEnd = partStart + o.partSizes[i];
        const qint64 at = from + done;
        if (at < partEnd) {
            const qint64 n = qMin(partEnd - at, qint64(data.size()) - done);
            const int number = numbers.size() == o.partsCount ? numbers[i] : i + 1;
            s3sse::CustomerCipher cipher(key, partIv(e.customerIv, number));
            cipher.apply(data.data() + done, n, at - partStart);
            done += n;
        }
        partStart = partEnd;
    }
}

// The bytes [from, from + length) of a version as stored (ciphertext for SSE-C).
Result<QByteArray> storedBytes(S3Store *store, const S3Object &o, qint64 from, qint64 length)
{
    if (o.blob.isEmpty())
        return o.data.mid(from, length);
    QFile file(store->blobPath(o.blob));
    if (!file.open(QIODevice::ReadOnly) || !file.seek(from))
        return s3errors::internalError(QStringLiteral("cannot read the object"));
    QByteArray out = file.read(length);
    if (out.size() != length)
        return s3errors::internalError(QStringLiteral("cannot read the object"));
    return out;
}

// A bucket document parsed once and kept (CORS rules, default encryption, lifecycle), until
// invalidateBucketCaches(): null when the bucket has none (or it does not parse). A failed read
// (no such bucket) is not kept.
template<typename T, typename Parse>
std::shared_ptr<const T> cachedDocument(QMutex &mutex,
    QHash<QString, std::shared_ptr<const T>> &cache, S3Store *store, const QString &bucket,
    S3Store::BucketDocument which, Parse parse)
{
    {
        QMutexLocker lock(&mutex);
        const auto it = cache.constFind(bucket);
        if (it != cache.constEnd())
            return *it;
    }
    std::shared_ptr<const T> loaded;
    auto document = store->bucketDocument(bucket, which);
    if (document && !document->isEmpty()) {
        if (auto parsed = parse(*document))
            loaded = std::make_shared<const T>(std::move(*parsed));
    }
    if (document) {
        QMutexLocker lock(&mutex);
        cache.insert(bucket, loaded);
    }
    return loaded;
}

// The partNumber query parameter (UploadPart, UploadPartCopy, GetObject): 1 to 10,000.
Result<int> partNumberOf(const S3Call &call)
{
    bool ok = false;
    const int part = call.queryValue("partNumber").toInt(&ok);
    if (!ok || part < 1 || part > S3Store::kMaxParts)
        return s3errors::invalidArgument(QStringLiteral("Part number must be an integer between 1 "
                                                        "and 10000, inclusive"));
    return part;
}

} // namespace

S3RestApi::S3RestApi(
    S3Store *store, S3Notifier *notifier, Tracer *tracer, const Clock *clock, QString region)
    : m_store(store)
    , m_notifier(notifier)
    , m_tracer(tracer)
    , m_clock(clock)
    , m_region(std::move(region))
{ }

S3RestApi::~S3RestApi() = default;

void S3RestApi::setSignatureVerifier(std::shared_ptr<const S3SignatureVerifier> verifier)
{
    m_verifier = std::move(verifier);
}

qint64 S3RestApi::maxBodySize(const HttpRequest &head) const
{
    if (head.method == "PUT" || head.method == "POST") {
        const bool upload = head.method == "PUT" && !head.header("x-amz-copy-source").size()
            && !head.query.contains("tagging") && !head.query.contains("cors")
            && !head.query.contains("notification");
        if (upload) {
            // aws-chunked framing adds a few bytes per chunk on top of the 5 GiB.
            const bool chunked = head.header("x-amz-content-sha256").startsWith("STREAMING-")
                || head.header("content-encoding").contains("aws-chunked");
            return chunked ? S3Store::kMaxPutSize + S3Store::kMaxPutSize / 16
                           : S3Store::kMaxPutSize;
        }
        // A browser form upload: up to 5 GiB of file plus the fields (at most 20 KiB) around it.
        if (head.method == "POST" && !head.query.contains("delete")
            && head.header("content-type").trimmed().toLower().startsWith("multipart/form-data"))
            return S3Store::kMaxPutSize + kMiB;
        return kXmlBodyLimit;
    }
    return kXmlBodyLimit;
}

HttpResponse S3RestApi::requestTimeout(const HttpRequest &head) const
{
    const Error e = makeError(QStringLiteral("RequestTimeout"),
        QStringLiteral("Your socket connection to the server was not read from or written to "
                       "within the timeout period. Idle connections will be closed."),
        400);
    HttpResponse r = awsErrorResponse(AwsProtocol::RestXml, e, newRequestId(), head.path);
    r.service = QStringLiteral("s3");
    return r;
}

HttpResponse S3RestApi::bodyTooLarge(const HttpRequest &head) const
{
    const QByteArray declared = head.header("x-amz-decoded-content-length").isEmpty()
        ? head.header("content-length")
        : head.header("x-amz-decoded-content-length");
    const bool upload = maxBodySize(head) >= S3Store::kMaxPutSize;
    const Error e = upload ? s3errors::entityTooLarge(declared.toLongLong(), S3Store::kMaxPutSize)
                           : makeError(QStringLiteral("MaxMessageLengthExceeded"),
                               QStringLiteral("Your request was too big."), 400);
    const QByteArray requestId = newRequestId();
    HttpResponse r = awsErrorResponse(AwsProtocol::RestXml, e, requestId, head.path);
    r.service = QStringLiteral("s3");
    return r;
}

HttpResponse S3RestApi::internalError(const HttpRequest &head, const QString &message) const
{
    const QByteArray requestId = head.requestId.isEmpty() ? newRequestId() : head.requestId;
    HttpResponse r = awsErrorResponse(
        AwsProtocol::RestXml, s3errors::internalError(message), requestId, head.path);
    r.service = QStringLiteral("s3");
    return r;
}

void S3RestApi::handle(HttpRequest &&request, HttpResponder responder)
{
    S3Call call;
    call.startNs = m_clock->nowNs();
    call.request = std::move(request);
    const HttpRequest &r = call.request;

    // Address: virtual host first, then the path.
    QByteArrayView path = r.path;
    if (path.startsWith('/'))
        path = path.sliced(1);
    const QByteArray host = r.header("host");
    QString hostBucket;
    if (!host.isEmpty() && !(host.front() >= '0' && host.front() <= '9'))
        hostBucket = s3BucketFromHost(host);
    if (!hostBucket.isEmpty()) {
        call.bucket = hostBucket;
        call.key = percentDecode(path.toByteArray(), false);
    } else {
        const qsizetype slash = path.indexOf('/');
        call.bucket = QString::fromUtf8(
            percentDecode((slash < 0 ? path : path.first(slash)).toByteArray(), false));
        if (slash >= 0)
            call.key = percentDecode(path.sliced(slash + 1).toByteArray(), false);
    }
    if (!r.query.isEmpty()) {
        call.query = r.queryItems();
        for (const auto &[k, v] : std::as_const(call.query)) {
            for (const FlagName &f : kFlags) {
                if (k == f.name) {
                    call.flags |= f.flag;
                    break;
                }
            }
        }
    }

    HttpResponse response;
    bool verified = true;
    // A browser form POST carries its signature in the form (PostObject verifies it there).
    const bool formPost = call.request.method == "POST" && call.key.isEmpty()
        && !(call.flags & FlagDelete) && call.request.header("authorization").isEmpty();
    if (m_verifier && call.request.method != "OPTIONS" && !formPost) {
        auto v = m_verifier->verify(
            call.request, m_clock->nowNs() / 1'000'000'000, QDateTime::currentSecsSinceEpoch());
        if (!v) {
            verified = false;
            call.operation = QStringLiteral("Unauthorized");
            response = error(call, v.error());
        } else {
            call.chunkSigning = v->chunkSigning;
            if (!v->accessKeyId.isEmpty()) {
                call.requester = m_verifier->account(v->accessKeyId);
                if (!call.requester) // a key the file has no account for (not expected)
                    call.requester = &m_defaultAccount;
            }
        }
    } else {
        call.requester = &m_defaultAccount;
    }
    if (verified && m_verifier && call.request.method != "OPTIONS" && !formPost) {
        if (auto allowed = authorizeRequest(call); !allowed) {
            verified = false;
            call.operation = QStringLiteral("Unauthorized");
            response = error(call, allowed.error());
        }
    }
    if (verified && !m_verifier && !call.request.query.isEmpty()) {
        // Without verification the signature is not checked, but an expired presigned URL is
        // still refused: that needs no secret, and tests of expiry expect it.
        if (auto r = S3SignatureVerifier::checkPresignedExpiry(
                call.request, m_clock->nowNs() / 1'000'000'000);
            !r) {
            verified = false;
            call.operation = QStringLiteral("Unauthorized");
            response = error(call, r.error());
        }
    }
    if (verified)
        response = dispatch(call);
    if (!call.request.header("origin").isEmpty() && !call.bucket.isEmpty())
        addCorsHeaders(call, response);
    response.headers.add("x-amz-request-id", call.request.requestId);
    response.headers.add("x-amz-id-2", call.request.requestId);
    response.service = QStringLiteral("s3");
    response.operation = call.operation;
    // OpenTelemetry's AWS SDK convention names the bucket on the call's own span too.
    if (!call.bucket.isEmpty())
        response.spanAttributes.append({QStringLiteral("aws.s3.bucket"), call.bucket});

    if (m_tracer) {
        Span span = makeSpan({.traceId = call.request.traceId,
            .parentSpanId = call.request.spanId,
            .service = QStringLiteral("s3"),
            .operation = call.operation,
            .name = QStringLiteral("S3 ") + call.operation,
            .kind = SpanKindInternal,
            .startNs = call.startNs,
            .endNs = m_clock->nowNs(),
            .failed = response.status >= 500});
        span.attributes.reserve(5);
        if (!call.bucket.isEmpty())
            span.attributes.append({QStringLiteral("aws.s3.bucket"), call.bucket});
        if (!call.key.isEmpty())
            span.attributes.append({QStringLiteral("aws.s3.key"), QString::fromUtf8(call.key)});
        if (call.size >= 0)
            span.attributes.append({QStringLiteral("s3.size"), call.size});
        span.attributes.append({QStringLiteral("http.response.status_code"), response.status});
        m_tracer->record(std::move(span));
    }
    responder.send(std::move(response));
}

HttpResponse S3RestApi::error(const S3Call &call, const Error &e) const
{
    HttpResponse r;
    if (e.httpStatus == 304) {
        r.status = 304;
        return r;
    }
    r = awsErrorResponse(AwsProtocol::RestXml, e, call.request.requestId, call.resource());
    r.headers.remove("x-amz-request-id"); // handle() adds them once for every answer
    r.headers.remove("x-amz-id-2");
    if (e.code == QLatin1String("InvalidRange")) {
        // The size is the message's last number; the header lets clients resume.
        const qsizetype at = e.message.lastIndexOf(u' ');
        r.headers.add("content-range", "bytes */" + e.message.mid(at + 1).chopped(1).toLatin1());
    }
    if (e.code == QLatin1String("NoSuchBucket") || e.code == QLatin1String("NoSuchKey")) {
        // Add the element S3 names the missing thing with.
        const QByteArray element = e.code == QLatin1String("NoSuchBucket")
            ? QByteArray("<BucketName>" + xmlEscape(call.bucket.toUtf8()) + "</BucketName>")
            : QByteArray("<Key>" + xmlEscape(call.key) + "</Key>");
        r.body.replace(QByteArrayLiteral("<Resource>"), QByteArray(element + "<Resource>"));
    }
    return r;
}

HttpResponse S3RestApi::dispatch(S3Call &call)
{
    const QByteArray &method = call.request.method;
    const quint32 f = call.flags;
    const auto unsupported = [&](const char *what) {
        call.operation = QStringLiteral("Unsupported");
        return error(call, s3errors::notImplemented(QString::fromLatin1(what)));
    };

    if (method == "OPTIONS") {
        call.operation = QStringLiteral("PreflightRequest");
        return preflight(call);
    }
    if (call.bucket.isEmpty()) {
        if (method == "GET") {
            call.operation = QStringLiteral("ListBuckets");
            return listBuckets(call);
        }
        call.operation = QStringLiteral("Unknown");
        return error(call, s3errors::methodNotAllowed());
    }
    if (call.key.isEmpty() && (f & FlagObjectLock) && (method == "GET" || method == "PUT"))
        return objectLockConfiguration(call);
    if (!call.key.isEmpty() && (f & (FlagRetention | FlagLegalHold))
        && (method == "GET" || method == "PUT"))
        return objectLockSettings(call);

    if (call.key.isEmpty() && (f & FlagEncryption)
        && (method == "GET" || method == "PUT" || method == "DELETE"))
        return bucketEncryptionDocument(call);
    if (call.key.isEmpty()
        && (f & (FlagPolicy | FlagPolicyStatus | FlagPublicAccessBlock | FlagOwnership))
        && (method == "GET" || method == "PUT" || method == "DELETE"))
        return accessDocument(call);
    if ((f & FlagAcl) && (method == "GET" || method == "PUT"))
        return acl(call);
    if (call.key.isEmpty() && (f & FlagLifecycle)
        && (method == "GET" || method == "PUT" || method == "DELETE"))
        return lifecycleDocument(call);
    if (call.key.isEmpty()
        && (f & (FlagWebsite | FlagLogging | FlagRequestPayment | FlagAccelerate | FlagReplication))
        && (method == "GET" || method == "PUT" || method == "DELETE"))
        return configurationDocument(call);
    if (call.key.isEmpty()) {
        if (method == "GET") {
            if (f & FlagLocation) {
                call.operation = QStringLiteral("GetBucketLocation");
                return bucketLocation(call);
            }
            if (f & (FlagCors | FlagTagging | FlagNotification))
                return getBucketDocument(call);
            if (f & FlagUploads) {
                call.operation = QStringLiteral("ListMultipartUploads");
                return listUploads(call);
            }
            if (f & FlagVersioning) {
                call.operation = QStringLiteral("GetBucketVersioning");
                return bucketVersioning(call);
            }
            if (f & FlagVersions) {
                call.operation = QStringLiteral("ListObjectVersions");
                return listObjectVersions(call);
            }
            if (f & FlagUnsupported)
                return unsupported("this bucket sub-resource");
            const bool v2 = call.queryValue("list-type") == "2";
            call.operation = v2 ? QStringLiteral("ListObjectsV2") : QStringLiteral("ListObjects");
            return listObjects(call, v2);
        }
        if (method == "PUT") {
            if (f & (FlagCors | FlagTagging | FlagNotification))
                return putBucketDocument(call);
            if (f & FlagVersioning) {
                call.operation = QStringLiteral("PutBucketVersioning");
                return putBucketVersioning(call);
            }
            if (f & FlagUnsupported)
                return unsupported("this bucket sub-resource");
            call.operation = QStringLiteral("CreateBucket");
            return createBucket(call);
        }
        if (method == "HEAD") {
            call.operation = QStringLiteral("HeadBucket");
            return headBucket(call);
        }
        if (method == "DELETE") {
            if (f & (FlagCors | FlagTagging))
                return deleteBucketDocument(call);
            if (f & FlagUnsupported)
                return unsupported("this bucket sub-resource");
            call.operation = QStringLiteral("DeleteBucket");
            return deleteBucket(call);
        }
        if (method == "POST") {
            if (f & FlagDelete) {
                call.operation = QStringLiteral("DeleteObjects");
                return deleteObjects(call);
            }
            call.operation = QStringLiteral("PostObject");
            return postObject(call);
        }
        call.operation = QStringLiteral("Unknown");
        return error(call, s3errors::methodNotAllowed());
    }

    if (method == "GET" || method == "HEAD") {
        if (method == "GET" && (f & FlagUploadId)) {
            call.operation = QStringLiteral("ListParts");
            return listParts(call);
        }
        if (method == "GET" && (f & FlagTagging)) {
            call.operation = QStringLiteral("GetObjectTagging");
            return objectTagging(call);
        }
        if (method == "GET" && (f & FlagAttributes)) {
            call.operation = QStringLiteral("GetObjectAttributes");
            return objectAttributes(call);
        }
        if (f & FlagUnsupported)
            return unsupported("this object sub-resource");
        const bool head = method == "HEAD";
        call.operation = head ? QStringLiteral("HeadObject") : QStringLiteral("GetObject");
        return getObject(call, head);
    }
    if (method == "PUT") {
        if ((f & FlagUploadId) && (f & FlagPartNumber)) {
            if (!call.header("x-amz-copy-source").isEmpty()) {
                call.operation = QStringLiteral("UploadPartCopy");
                return uploadPartCopy(call);
            }
            call.operation = QStringLiteral("UploadPart");
            return uploadPart(call);
        }
        if (f & FlagTagging) {
            call.operation = QStringLiteral("PutObjectTagging");
            return putObjectTagging(call);
        }
        if (f & FlagUnsupported)
            return unsupported("this object sub-resource");
        if (!call.header("x-amz-copy-source").isEmpty()) {
            call.operation = QStringLiteral("CopyObject");
            return copyObject(call);
        }
        call.operation = QStringLiteral("PutObject");
        return putObject(call);
    }
    if (method == "DELETE") {
        if (f & FlagUploadId) {
            call.operation = QStringLiteral("AbortMultipartUpload");
            return abortUpload(call);
        }
        if (f & FlagTagging) {
            call.operation = QStringLiteral("DeleteObjectTagging");
            return deleteObjectTagging(call);
        }
        call.operation = QStringLiteral("DeleteObject");
        return deleteObject(call);
    }
    if (method == "POST") {
        if (f & FlagUploads) {
            call.operation = QStringLiteral("CreateMultipartUpload");
            return createUpload(call);
        }
        if (f & FlagUploadId) {
            call.operation = QStringLiteral("CompleteMultipartUpload");
            return completeUpload(call);
        }
        return unsupported("this object POST");
    }
    call.operation = QStringLiteral("Unknown");
    return error(call, s3errors::methodNotAllowed());
}

// ---- Service and buckets ----

namespace {

void writeOwner(QXmlStreamWriter &w, const QString &element = QStringLiteral("Owner"))
{
    w.writeStartElement(element);
    w.writeTextElement(QStringLiteral("ID"), QString::fromLatin1(kOwnerId));
    w.writeTextElement(QStringLiteral("DisplayName"), kOwnerName);
    w.writeEndElement();
}

} // namespace

HttpResponse S3RestApi::listBuckets(S3Call &call)
{
    const QByteArray prefix = call.queryValue("prefix");
    int maxBuckets = 10000;
    if (call.hasQuery("max-buckets")) {
        bool ok = false;
        maxBuckets = call.queryValue("max-buckets").toInt(&ok);
        if (!ok || maxBuckets < 1 || maxBuckets > 10000)
            return error(call,
                s3errors::invalidArgument(QStringLiteral("Argument max-buckets must be an "
                                                         "integer between 1 and 10000.")));
    }
    // Buckets are listed by name: the token is the last name of the previous page.
    const QString after = QString::fromUtf8(QByteArray::fromBase64(
        call.queryValue("continuation-token"), QByteArray::Base64UrlEncoding));
    QList<S3Bucket> page;
    bool truncated = false;
    for (S3Bucket &b : m_store->listBuckets()) {
        if (!prefix.isEmpty() && !b.name.startsWith(QString::fromUtf8(prefix)))
            continue;
        if (!after.isEmpty() && b.name <= after)
            continue;
        if (page.size() == maxBuckets) {
            truncated = true;
            break;
        }
        page.append(std::move(b));
    }
    QByteArray out;
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("ListAllMyBucketsResult"));
    writeOwner(w);
    w.writeStartElement(QStringLiteral("Buckets"));
    for (const S3Bucket &b : std::as_const(page)) {
        w.writeStartElement(QStringLiteral("Bucket"));
        w.writeTextElement(QStringLiteral("Name"), b.name);
        w.writeTextElement(QStringLiteral("CreationDate"), s3xml::isoTime(b.createdNs));
        w.writeTextElement(QStringLiteral("BucketRegion"), b.region);
        w.writeEndElement();
    }
    w.writeEndElement();
    if (truncated)
        w.writeTextElement(QStringLiteral("ContinuationToken"),
            QString::fromLatin1(page.last().name.toUtf8().toBase64(QByteArray::Base64UrlEncoding)));
    if (!prefix.isEmpty())
        w.writeTextElement(QStringLiteral("Prefix"), QString::fromUtf8(prefix));
    s3xml::endDocument(w);
    return xmlResponse(out);
}

Result<QByteArray> S3RestApi::applyObjectLock(const S3Call &call, const QByteArray &system)
{
    const QByteArray mode = call.header("x-amz-object-lock-mode");
    const QByteArray until = call.header("x-amz-object-lock-retain-until-date");
    const QByteArray hold = call.header("x-amz-object-lock-legal-hold");
    if (!m_store->objectLockEnabled(call.bucket)) {
        if (!mode.isNull() || !until.isNull() || !hold.isNull())
            return s3objectlock::missingConfiguration();
        return system;
    }
    const qint64 now = m_clock->nowNs();
    auto requested = s3objectlock::parseHeaders(mode, until, hold, now);
    if (!requested)
        return requested.error();
    s3objectlock::Configuration configuration;
    auto document = m_store->bucketDocument(call.bucket, S3Store::BucketDocument::ObjectLock);
    if (document && !document->isEmpty()) {
        if (auto parsed = s3objectlock::parseConfiguration(*document))
            configuration = *parsed;
    }
    S3Object holder;
    holder.system = system;
    s3objectlock::setLock(holder, s3objectlock::lockForNewVersion(*requested, configuration, now));
    return holder.system;
}

S3Store::VersionGuard S3RestApi::deleteGuard(const S3Call &call) const
{
    if (!m_store->objectLockEnabled(call.bucket))
        return {};
    const bool bypass
        = s3objectlock::isBypassRequested(call.header("x-amz-bypass-governance-retention"));
    const qint64 now = m_clock->nowNs();
    return [bypass, now](const S3Object &version) {
        return s3objectlock::checkDelete(s3objectlock::lockOf(version), now, bypass);
    };
}

HttpResponse S3RestApi::objectLockConfiguration(S3Call &call)
{
    if (call.request.method == "GET") {
        call.operation = QStringLiteral("GetObjectLockConfiguration");
        if (auto b = m_store->checkBucket(call.bucket); !b)
            return error(call, b.error());
        if (!m_store->objectLockEnabled(call.bucket))
            return error(call, s3objectlock::configurationNotFound());
        auto document = m_store->bucketDocument(call.bucket, S3Store::BucketDocument::ObjectLock);
        if (!document)
            return error(call, document.error());
        return xmlResponse(document->isEmpty()
                ? s3objectlock::renderConfiguration(s3objectlock::Configuration {})
                : *document);
    }
    call.operation = QStringLiteral("PutObjectLockConfiguration");
    if (auto b = m_store->checkBucket(call.bucket); !b)
        return error(call, b.error());
    auto configuration = s3objectlock::parseConfiguration(call.request.body.toByteArray());
    if (!configuration)
        return error(call, configuration.error());
    if (auto r = m_store->enableObjectLock(call.bucket); !r)
        return error(call, r.error());
    if (auto r = m_store->setBucketDocument(call.bucket, S3Store::BucketDocument::ObjectLock,
            s3objectlock::renderConfiguration(*configuration));
        !r)
        return error(call, r.error());
    return emptyResponse();
}

HttpResponse S3RestApi::objectLockSettings(S3Call &call)
{
    const bool retention = call.flags & FlagRetention;
    const bool get = call.request.method == "GET";
    call.operation = retention
        ? (get ? QStringLiteral("GetObjectRetention") : QStringLiteral("PutObjectRetention"))
        : (get ? QStringLiteral("GetObjectLegalHold") : QStringLiteral("PutObjectLegalHold"));
    const Result<S3VersionRef> ref = versionRefOf(call);
    if (!ref)
        return error(call, ref.error());
    if (auto b = m_store->checkBucket(call.bucket); !b)
        return error(call, b.error());
    if (!m_store->objectLockEnabled(call.bucket))
        return error(call, s3objectlock::missingConfiguration());
    if (get) {
        auto o = m_store->version(call.bucket, call.key, *ref, S3Store::Body::Skip);
        if (!o)
            return error(call, o.error());
        if (o->deleteMarker)
            return error(call, *ref ? s3errors::methodNotAllowed() : s3errors::noSuchKey(call.key));
        const s3objectlock::ObjectLock lock = s3objectlock::lockOf(*o);
        if (retention ? !lock.retention.isSet() : !lock.legalHold)
            return error(call, s3objectlock::noSuchObjectLockConfiguration());
        return xmlResponse(retention ? s3objectlock::renderRetention(lock.retention)
                                     : s3objectlock::renderLegalHold(lock.isLegalHoldOn()));
    }
    const qint64 now = m_clock->nowNs();
    const QByteArray body = call.request.body.toByteArray();
    std::optional<s3objectlock::Retention> newRetention;
    std::optional<bool> newHold;
    if (retention) {
        auto parsed = s3objectlock::parseRetention(body, now);
        if (!parsed)
            return error(call, parsed.error());
        newRetention = *parsed;
    } else {
        auto parsed = s3objectlock::parseLegalHold(body);
        if (!parsed)
            return error(call, parsed.error());
        newHold = *parsed;
    }
    const bool bypass
        = s3objectlock::isBypassRequested(call.header("x-amz-bypass-governance-retention"));
    auto changed
        = m_store->updateSystem(call.bucket, call.key, *ref, [&](S3Object &o) -> Result<void> {
              s3objectlock::ObjectLock lock = s3objectlock::lockOf(o);
              if (newRetention) {
                  if (auto c = s3objectlock::checkRetentionChange(
                          lock.retention, *newRetention, now, bypass);
                      !c)
                      return c;
                  lock.retention = *newRetention;
              }
              if (newHold)
                  lock.legalHold = *newHold;
              s3objectlock::setLock(o, lock);
              return {};
          });
    if (!changed)
        return error(call, changed.error());
    return emptyResponse();
}

HttpResponse S3RestApi::createBucket(S3Call &call)
{
    if (!S3Store::isValidBucketName(call.bucket))
        return error(call, s3errors::invalidBucketName(call.bucket));
    auto location = s3xml::parseCreateBucketConfiguration(call.request.body.toByteArray());
    if (!location)
        return error(call, location.error());
    const QString region = location->isEmpty() ? m_region : *location;
    const bool objectLock = isTrue(call.header("x-amz-bucket-object-lock-enabled"));
    const QString owner
        = call.requester && call.requester->canonicalId != m_defaultAccount.canonicalId
        ? call.requester->canonicalId
        : QString();
    if (auto r = m_store->createBucket(call.bucket, region, objectLock, owner); !r)
        return error(call, r.error());
    if (auto r = setUpNewBucket(call); !r) {
        (void)m_store->deleteBucket(call.bucket); // not made after all
        return error(call, r.error());
    }
    HttpResponse response = emptyResponse();
    response.headers.add("location", '/' + call.bucket.toUtf8());
    return response;
}

HttpResponse S3RestApi::headBucket(S3Call &call)
{
    auto b = m_store->bucket(call.bucket);
    if (!b)
        return error(call, b.error());
    HttpResponse response = emptyResponse();
    response.headers.add("x-amz-bucket-region", b->region.toUtf8());
    response.headers.add("x-amz-access-point-alias", "false");
    return response;
}

HttpResponse S3RestApi::deleteBucket(S3Call &call)
{
    if (auto r = m_store->deleteBucket(call.bucket); !r)
        return error(call, r.error());
    invalidateBucketCaches(call.bucket);
    return emptyResponse(204);
}

HttpResponse S3RestApi::bucketLocation(S3Call &call)
{
    auto b = m_store->bucket(call.bucket);
    if (!b)
        return error(call, b.error());
    QByteArray out;
    QXmlStreamWriter w(&out);
    w.writeStartDocument();
    w.writeStartElement(QStringLiteral("LocationConstraint"));
    w.writeDefaultNamespace(QStringLiteral("http://s3.amazonaws.com/doc/2006-03-01/"));
    if (b->region != QLatin1String("us-east-1"))
        w.writeCharacters(b->region);
    w.writeEndElement();
    w.writeEndDocument();
    return xmlResponse(out);
}

HttpResponse S3RestApi::putBucketDocument(S3Call &call)
{
    const QByteArray body = call.request.body.toByteArray();
    S3Store::BucketDocument which;
    QByteArray document;
    std::optional<s3xml::NotificationConfiguration> notification;
    if (call.flags & FlagCors) {
        call.operation = QStringLiteral("PutBucketCors");
        which = S3Store::BucketDocument::Cors;
        auto rules = s3xml::parseCors(body);
        if (!rules)
            return error(call, rules.error());
        document = s3xml::renderCors(*rules);
    } else if (call.flags & FlagTagging) {
        call.operation = QStringLiteral("PutBucketTagging");
        which = S3Store::BucketDocument::Tagging;
        auto tags = s3xml::parseTagging(body, 50);
        if (!tags)
            return error(call, tags.error());
        document = s3xml::renderTagging(*tags);
    } else {
        call.operation = QStringLiteral("PutBucketNotificationConfiguration");
        which = S3Store::BucketDocument::Notification;
        auto config = s3xml::parseNotification(body);
        if (!config)
            return error(call, config.error());
        if (m_notifier) {
            if (auto checked = m_notifier->checkTargets(*config); !checked)
                return error(call, checked.error());
        }
        if (!config->targets.isEmpty() || config->eventBridge)
            document = s3xml::renderNotification(*config);
        notification = std::move(*config);
    }
    if (auto r = m_store->setBucketDocument(call.bucket, which, document); !r)
        return error(call, r.error());
    invalidateBucketCaches(call.bucket);
    if (notification && m_notifier)
        m_notifier->sendTestEvents(call.bucket, *notification, call.request.requestId);
    return emptyResponse(which == S3Store::BucketDocument::Tagging ? 204 : 200);
}

HttpResponse S3RestApi::getBucketDocument(S3Call &call)
{
    S3Store::BucketDocument which = S3Store::BucketDocument::Notification;
    if (call.flags & FlagCors) {
        call.operation = QStringLiteral("GetBucketCors");
        which = S3Store::BucketDocument::Cors;
    } else if (call.flags & FlagTagging) {
        call.operation = QStringLiteral("GetBucketTagging");
        which = S3Store::BucketDocument::Tagging;
    } else {
        call.operation = QStringLiteral("GetBucketNotificationConfiguration");
    }
    auto document = m_store->bucketDocument(call.bucket, which);
    if (!document)
        return error(call, document.error());
    if (document->isEmpty()) {
        if (which == S3Store::BucketDocument::Cors)
            return error(call,
                makeError(QStringLiteral("NoSuchCORSConfiguration"),
                    QStringLiteral("The CORS configuration does not exist"), 404));
        if (which == S3Store::BucketDocument::Tagging)
            return error(call,
                makeError(QStringLiteral("NoSuchTagSet"),
                    QStringLiteral("The TagSet does not exist"), 404));
        return xmlResponse(s3xml::renderNotification({}));
    }
    return xmlResponse(*document);
}

HttpResponse S3RestApi::deleteBucketDocument(S3Call &call)
{
    S3Store::BucketDocument which = S3Store::BucketDocument::Tagging;
    call.operation = QStringLiteral("DeleteBucketTagging");
    if (call.flags & FlagCors) {
        which = S3Store::BucketDocument::Cors;
        call.operation = QStringLiteral("DeleteBucketCors");
    }
    if (auto r = m_store->setBucketDocument(call.bucket, which, {}); !r)
        return error(call, r.error());
    invalidateBucketCaches(call.bucket);
    return emptyResponse(204);
}

HttpResponse S3RestApi::bucketVersioning(S3Call &call)
{
    auto b = m_store->bucket(call.bucket);
    if (!b)
        return error(call, b.error());
    QByteArray out;
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("VersioningConfiguration"));
    if (b->versioning != S3Versioning::Unversioned)
        w.writeTextElement(QStringLiteral("Status"),
            b->versioning == S3Versioning::Enabled ? QStringLiteral("Enabled")
                                                   : QStringLiteral("Suspended"));
    s3xml::endDocument(w);
    return xmlResponse(out);
}

HttpResponse S3RestApi::putBucketVersioning(S3Call &call)
{
    auto state = s3xml::parseVersioning(call.request.body.toByteArray());
    if (!state)
        return error(call, state.error());
    if (auto r = m_store->setVersioning(call.bucket, *state); !r)
        return error(call, r.error());
    return emptyResponse();
}

HttpResponse S3RestApi::listObjectVersions(S3Call &call)
{
    S3VersionQuery q;
    q.prefix = call.queryValue("prefix");
    q.delimiter = call.queryValue("delimiter");
    q.keyMarker = call.queryValue("key-marker");
    q.versionIdMarker = call.queryValue("version-id-marker");
    bool ok = true;
    q.maxKeys = call.hasQuery("max-keys") ? call.queryValue("max-keys").toInt(&ok) : 1000;
    if (!ok || q.maxKeys < 0)
        return error(call,
            s3errors::invalidArgument(QStringLiteral("max-keys must be a "
                                                     "non-negative integer")));
    if (!q.versionIdMarker.isEmpty() && q.keyMarker.isEmpty())
        return error(call,
            s3errors::invalidArgument(QStringLiteral("A version-id marker cannot be specified "
                                                     "without a key marker.")));
    if (!q.versionIdMarker.isEmpty() && q.versionIdMarker != "null"
        && !S3Store::isVersionId(q.versionIdMarker))
        return error(
            call, s3errors::invalidArgument(QStringLiteral("Invalid version id specified")));
    const QByteArray encoding = call.queryValue("encoding-type");
    if (!encoding.isEmpty() && encoding != "url")
        return error(call,
            s3errors::invalidArgument(QStringLiteral("Invalid Encoding Method "
                                                     "specified in Request")));
    const bool url = encoding == "url";
    auto listed = m_store->listObjectVersions(call.bucket, q);
    if (!listed)
        return error(call, listed.error());
    const auto text = [url](const QByteArray &value) {
        return url ? urlEncodeKey(value) : QString::fromUtf8(value);
    };
    QByteArray out;
    out.reserve(256 + listed->versions.size() * 400);
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("ListVersionsResult"));
    w.writeTextElement(QStringLiteral("Name"), call.bucket);
    w.writeTextElement(QStringLiteral("Prefix"), text(q.prefix));
    w.writeTextElement(QStringLiteral("KeyMarker"), text(q.keyMarker));
    w.writeTextElement(QStringLiteral("VersionIdMarker"), QString::fromLatin1(q.versionIdMarker));
    if (listed->truncated) {
        w.writeTextElement(QStringLiteral("NextKeyMarker"), text(listed->nextKeyMarker));
        if (!listed->nextVersionIdMarker.isEmpty())
            w.writeTextElement(QStringLiteral("NextVersionIdMarker"),
                QString::fromLatin1(listed->nextVersionIdMarker));
    }
    w.writeTextElement(QStringLiteral("MaxKeys"), QString::number(q.maxKeys));
    if (!q.delimiter.isEmpty())
        w.writeTextElement(QStringLiteral("Delimiter"), text(q.delimiter));
    w.writeTextElement(QStringLiteral("IsTruncated"),
        listed->truncated ? QStringLiteral("true") : QStringLiteral("false"));
    if (url)
        w.writeTextElement(QStringLiteral("EncodingType"), QStringLiteral("url"));
    for (const S3Object &o : std::as_const(listed->versions)) {
        w.writeStartElement(
            o.deleteMarker ? QStringLiteral("DeleteMarker") : QStringLiteral("Version"));
        w.writeTextElement(QStringLiteral("Key"), text(o.key));
        w.writeTextElement(QStringLiteral("VersionId"), QString::fromLatin1(o.versionName()));
        w.writeTextElement(QStringLiteral("IsLatest"),
            o.isLatest ? QStringLiteral("true") : QStringLiteral("false"));
        w.writeTextElement(QStringLiteral("LastModified"), s3xml::isoTime(o.lastModifiedNs));
        if (!o.deleteMarker) {
            w.writeTextElement(QStringLiteral("ETag"), u'"' + QString::fromLatin1(o.etag) + u'"');
            w.writeTextElement(QStringLiteral("Size"), QString::number(o.size));
            w.writeTextElement(QStringLiteral("StorageClass"),
                o.storageClass.isEmpty() ? QStringLiteral("STANDARD")
                                         : QString::fromLatin1(o.storageClass));
            if (o.checksumAlgorithm != ChecksumAlgorithm::None)
                w.writeTextElement(QStringLiteral("ChecksumAlgorithm"),
                    QString::fromLatin1(checksumAlgorithmName(o.checksumAlgorithm)));
        }
        writeOwner(w);
        w.writeEndElement();
    }
    for (const QByteArray &p : std::as_const(listed->commonPrefixes)) {
        w.writeStartElement(QStringLiteral("CommonPrefixes"));
        w.writeTextElement(QStringLiteral("Prefix"), text(p));
        w.writeEndElement();
    }
    s3xml::endDocument(w);
    return xmlResponse(out);
}

HttpResponse S3RestApi::listObjects(S3Call &call, bool v2)
{
    S3ListQuery q;
    q.prefix = call.queryValue("prefix");
    q.delimiter = call.queryValue("delimiter");
    bool ok = true;
    q.maxKeys = call.hasQuery("max-keys") ? call.queryValue("max-keys").toInt(&ok) : 1000;
    if (!ok || q.maxKeys < 0)
        return error(call,
            s3errors::invalidArgument(QStringLiteral("max-keys must be a "
                                                     "non-negative integer")));
    const QByteArray encoding = call.queryValue("encoding-type");
    if (!encoding.isEmpty() && encoding != "url")
        return error(call,
            s3errors::invalidArgument(QStringLiteral("Invalid Encoding Method "
                                                     "specified in Request")));
    const bool url = encoding == "url";
    const QByteArray token = call.queryValue("continuation-token");
    const QByteArray startAfter = call.queryValue("start-after");
    const QByteArray marker = call.queryValue("marker");
    if (v2) {
        if (!token.isEmpty()) { // an empty token is the first page, as S3 takes it
            q.after = QByteArray::fromBase64(token, QByteArray::Base64UrlEncoding);
            if (q.after.isEmpty() || !q.after.startsWith('k'))
                return error(call,
                    s3errors::invalidArgument(QStringLiteral("The continuation token provided is "
                                                             "incorrect")));
            q.after = q.after.mid(1);
        } else {
            q.after = startAfter;
        }
    } else {
        q.after = marker;
    }
    auto listed = m_store->listObjects(call.bucket, q);
    if (!listed)
        return error(call, listed.error());
    const auto text = [url](const QByteArray &value) {
        return url ? urlEncodeKey(value) : QString::fromUtf8(value);
    };
    const bool fetchOwner = !v2 || isTrue(call.queryValue("fetch-owner"));

    QByteArray out;
    out.reserve(256 + listed->objects.size() * 300);
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("ListBucketResult"));
    w.writeTextElement(QStringLiteral("Name"), call.bucket);
    // ListObjects (v1) returns its Prefix as sent even under encoding-type=url (clients decode
    // only the v2 one).
    w.writeTextElement(QStringLiteral("Prefix"), v2 ? text(q.prefix) : QString::fromUtf8(q.prefix));
    if (v2) {
        if (call.hasQuery("continuation-token"))
            w.writeTextElement(QStringLiteral("ContinuationToken"), QString::fromLatin1(token));
        if (!startAfter.isEmpty())
            w.writeTextElement(QStringLiteral("StartAfter"), text(startAfter));
        w.writeTextElement(QStringLiteral("KeyCount"),
            QString::number(listed->objects.size() + listed->commonPrefixes.size()));
    } else {
        w.writeTextElement(QStringLiteral("Marker"), text(marker));
        if (listed->truncated)
            w.writeTextElement(QStringLiteral("NextMarker"), text(listed->last));
    }
    w.writeTextElement(QStringLiteral("MaxKeys"), QString::number(q.maxKeys));
    if (!q.delimiter.isEmpty())
        w.writeTextElement(QStringLiteral("Delimiter"), text(q.delimiter));
    w.writeTextElement(QStringLiteral("IsTruncated"),
        listed->truncated ? QStringLiteral("true") : QStringLiteral("false"));
    if (v2 && listed->truncated)
        w.writeTextElement(QStringLiteral("NextContinuationToken"),
            QString::fromLatin1(
                QByteArray('k' + listed->last).toBase64(QByteArray::Base64UrlEncoding)));
    if (url)
        w.writeTextElement(QStringLiteral("EncodingType"), QStringLiteral("url"));
    for (const S3Object &o : std::as_const(listed->objects)) {
        w.writeStartElement(QStringLiteral("Contents"));
        w.writeTextElement(QStringLiteral("Key"), text(o.key));
        w.writeTextElement(QStringLiteral("LastModified"), s3xml::isoTime(o.lastModifiedNs));
        w.writeTextElement(QStringLiteral("ETag"), u'"' + QString::fromLatin1(o.etag) + u'"');
        w.writeTextElement(QStringLiteral("Size"), QString::number(o.size));
        if (fetchOwner)
            writeOwner(w);
        w.writeTextElement(QStringLiteral("StorageClass"),
            o.storageClass.isEmpty() ? QStringLiteral("STANDARD")
                                     : QString::fromLatin1(o.storageClass));
        if (o.checksumAlgorithm != ChecksumAlgorithm::None)
            w.writeTextElement(QStringLiteral("ChecksumAlgorithm"),
                QString::fromLatin1(checksumAlgorithmName(o.checksumAlgorithm)));
        w.writeEndElement();
    }
    for (const QByteArray &p : std::as_const(listed->commonPrefixes)) {
        w.writeStartElement(QStringLiteral("CommonPrefixes"));
        w.writeTextElement(QStringLiteral("Prefix"), text(p));
        w.writeEndElement();
    }
    s3xml::endDocument(w);
    return xmlResponse(out);
}

HttpResponse S3RestApi::deleteObjects(S3Call &call)
{
    const QByteArray body = call.request.body.toByteArray();
    if (auto r = s3errors::checkContentMd5(
            contentMd5Of(call.request), Digest::hash(Digest::Algorithm::Md5, body));
        !r)
        return error(call, r.error());
    auto request = s3xml::parseDelete(body);
    if (!request)
        return error(call, request.error());
    if (auto b = m_store->bucket(call.bucket); !b)
        return error(call, b.error());
    QByteArray out;
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("DeleteResult"));
    const S3Store::VersionGuard guard = deleteGuard(call);
    for (qsizetype i = 0; i < request->keys.size(); ++i) {
        const QByteArray &key = request->keys[i];
        const QByteArray &versionId = request->versionIds[i];
        const S3VersionRef ref = versionId.isEmpty() ? S3VersionRef() : S3VersionRef(versionId);
        Result<S3Deletion> deleted = S3Store::checkKey(key).ok()
            ? m_store->deleteObject(call.bucket, key, call.origin(), ref, guard)
            : Result<S3Deletion>(S3Store::checkKey(key).error());
        if (deleted) {
            if (!request->quiet) {
                w.writeStartElement(QStringLiteral("Deleted"));
                w.writeTextElement(QStringLiteral("Key"), QString::fromUtf8(key));
                if (ref)
                    w.writeTextElement(QStringLiteral("VersionId"), QString::fromUtf8(*ref));
                if (deleted->deleteMarker) {
                    w.writeTextElement(QStringLiteral("DeleteMarker"), QStringLiteral("true"));
                    w.writeTextElement(QStringLiteral("DeleteMarkerVersionId"),
                        QString::fromLatin1(deleted->versionId));
                }
                w.writeEndElement();
            }
        } else {
            w.writeStartElement(QStringLiteral("Error"));
            w.writeTextElement(QStringLiteral("Key"), QString::fromUtf8(key));
            w.writeTextElement(QStringLiteral("Code"), deleted.error().code);
            w.writeTextElement(QStringLiteral("Message"), deleted.error().message);
            w.writeEndElement();
        }
    }
    s3xml::endDocument(w);
    return xmlResponse(out);
}

HttpResponse S3RestApi::listUploads(S3Call &call)
{
    bool truncated = false;
    bool ok = true;
    const int max = call.hasQuery("max-uploads") ? call.queryValue("max-uploads").toInt(&ok) : 1000;
    if (!ok)
        return error(
            call, s3errors::invalidArgument(QStringLiteral("max-uploads must be a number")));
    const QByteArray prefix = call.queryValue("prefix");
    auto uploads = m_store->listUploads(call.bucket, prefix, max, &truncated);
    if (!uploads)
        return error(call, uploads.error());
    const bool url = call.queryValue("encoding-type") == "url";
    const auto text
        = [url](const QByteArray &v) { return url ? urlEncodeKey(v) : QString::fromUtf8(v); };
    QByteArray out;
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("ListMultipartUploadsResult"));
    w.writeTextElement(QStringLiteral("Bucket"), call.bucket);
    w.writeTextElement(QStringLiteral("KeyMarker"), QString());
    w.writeTextElement(QStringLiteral("UploadIdMarker"), QString());
    if (truncated && !uploads->isEmpty()) {
        w.writeTextElement(QStringLiteral("NextKeyMarker"), text(uploads->last().key));
        w.writeTextElement(
            QStringLiteral("NextUploadIdMarker"), QString::fromLatin1(uploads->last().uploadId));
    }
    w.writeTextElement(QStringLiteral("Prefix"), text(prefix));
    w.writeTextElement(QStringLiteral("MaxUploads"), QString::number(max));
    w.writeTextElement(QStringLiteral("IsTruncated"),
        truncated ? QStringLiteral("true") : QStringLiteral("false"));
    if (url)
        w.writeTextElement(QStringLiteral("EncodingType"), QStringLiteral("url"));
    for (const S3Upload &u : std::as_const(*uploads)) {
        w.writeStartElement(QStringLiteral("Upload"));
        w.writeTextElement(QStringLiteral("Key"), text(u.key));
        w.writeTextElement(QStringLiteral("UploadId"), QString::fromLatin1(u.uploadId));
        writeOwner(w, QStringLiteral("Initiator"));
        writeOwner(w);
        w.writeTextElement(QStringLiteral("StorageClass"),
            u.storageClass.isEmpty() ? QStringLiteral("STANDARD")
                                     : QString::fromLatin1(u.storageClass));
        w.writeTextElement(QStringLiteral("Initiated"), s3xml::isoTime(u.initiatedNs));
        if (u.checksumAlgorithm != ChecksumAlgorithm::None)
            w.writeTextElement(QStringLiteral("ChecksumAlgorithm"),
                QString::fromLatin1(checksumAlgorithmName(u.checksumAlgorithm)));
        w.writeEndElement();
    }
    s3xml::endDocument(w);
    return xmlResponse(out);
}

// ---- CORS ----

std::shared_ptr<const QList<s3xml::CorsRule>> S3RestApi::corsRules(const QString &bucket)
{
    return cachedDocument(m_corsMutex, m_cors, m_store, bucket, S3Store::BucketDocument::Cors,
        [](const QByteArray &d) { return s3xml::parseCors(d); });
}

std::shared_ptr<const s3sse::BucketEncryption> S3RestApi::bucketEncryption(const QString &bucket)
{
    return cachedDocument(m_corsMutex, m_encryption, m_store, bucket,
        S3Store::BucketDocument::Encryption,
        [](const QByteArray &d) { return s3sse::parseBucketEncryption(d); });
}

Result<s3sse::Encryption> S3RestApi::writeEncryption(const S3Call &call)
{
    const auto configured = bucketEncryption(call.bucket);
    if (!configured && !mentionsEncryption(call))
        return s3sse::Encryption {}; // the hot path: SSE-S3, nothing to keep
    auto requested = s3sse::parseWriteRequest(headersOf(call));
    if (!requested)
        return requested.error();
    const s3sse::BucketEncryption bucketDefault
        = configured ? *configured : s3sse::BucketEncryption {};
    if (auto r = s3sse::checkNotBlocked(bucketDefault, *requested,
            QStringLiteral("arn:aws:iam::000000000000:root"), QStringLiteral("s3:PutObject"),
            QStringLiteral("arn:aws:s3:::") + call.bucket + u'/' + QString::fromUtf8(call.key));
        !r)
        return r.error();
    return s3sse::resolveWrite(
        std::move(*requested), bucketDefault, {m_region, QStringLiteral("000000000000")});
}

std::shared_ptr<const s3lifecycle::Configuration> S3RestApi::lifecycle(const QString &bucket)
{
    return cachedDocument(m_corsMutex, m_lifecycle, m_store, bucket,
        S3Store::BucketDocument::Lifecycle,
        [](const QByteArray &d) { return s3lifecycle::parseConfiguration(d); });
}

void S3RestApi::addExpirationHeader(HttpResponse &r, const S3Object &o)
{
    const auto configuration = lifecycle(o.bucket);
    if (!configuration)
        return;
    const QByteArray header = s3lifecycle::expirationHeader(*configuration,
        S3LifecycleRunner::describe(o, m_store->versioning(o.bucket) != S3Versioning::Unversioned));
    if (!header.isEmpty())
        r.headers.add("x-amz-expiration", header);
}

HttpResponse S3RestApi::lifecycleDocument(S3Call &call)
{
    const QByteArray &method = call.request.method;
    if (method == "GET") {
        call.operation = QStringLiteral("GetBucketLifecycleConfiguration");
        auto document = m_store->bucketDocument(call.bucket, S3Store::BucketDocument::Lifecycle);
        if (!document)
            return error(call, document.error());
        if (document->isEmpty())
            return error(call,
                makeError(QStringLiteral("NoSuchLifecycleConfiguration"),
                    QStringLiteral("The lifecycle configuration does not exist"), 404));
        HttpResponse r = xmlResponse(*document);
        if (const auto configuration = lifecycle(call.bucket))
            r.headers.add("x-amz-transition-default-minimum-object-size",
                s3lifecycle::minimumObjectSizeHeader(*configuration));
        return r;
    }
    QByteArray document;
    HttpResponse r = emptyResponse(method == "PUT" ? 200 : 204);
    if (method == "PUT") {
        call.operation = QStringLiteral("PutBucketLifecycleConfiguration");
        auto configuration = s3lifecycle::parseConfiguration(call.request.body.toByteArray(),
            call.header("x-amz-transition-default-minimum-object-size"));
        if (!configuration)
            return error(call, configuration.error());
        document = s3lifecycle::renderConfiguration(*configuration);
        r.headers.add("x-amz-transition-default-minimum-object-size",
            s3lifecycle::minimumObjectSizeHeader(*configuration));
    } else {
        call.operation = QStringLiteral("DeleteBucketLifecycle");
    }
    if (auto stored
        = m_store->setBucketDocument(call.bucket, S3Store::BucketDocument::Lifecycle, document);
        !stored)
        return error(call, stored.error());
    invalidateBucketCaches(call.bucket);
    if (m_lifecycleChanged)
        m_lifecycleChanged(call.bucket);
    return r;
}

HttpResponse S3RestApi::configurationDocument(S3Call &call)
{
    using Doc = S3Store::BucketDocument;
    struct Kind
    {
        quint32 flag;
        Doc document;
        const char *root; // the document's root element
        const char *get, *put, *del; // operation names; del null: S3 has no DELETE for it
        // GET without a configuration: an error code (404), else this document.
        const char *missingCode, *missingMessage, *missingDocument;
    };
    static const Kind kinds[] = {
        {FlagWebsite, Doc::Website, "WebsiteConfiguration", "GetBucketWebsite", "PutBucketWebsite",
            "DeleteBucketWebsite", "NoSuchWebsiteConfiguration",
            "The specified bucket does not have a website configuration", nullptr},
        {FlagLogging, Doc::Logging, "BucketLoggingStatus", "GetBucketLogging", "PutBucketLogging",
            nullptr, nullptr, nullptr,
            "<BucketLoggingStatus xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>"},
        {FlagRequestPayment, Doc::RequestPayment, "RequestPaymentConfiguration",
            "GetBucketRequestPayment", "PutBucketRequestPayment", nullptr, nullptr, nullptr,
            "<RequestPaymentConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Payer>BucketOwner</Payer></RequestPaymentConfiguration>"},
        {FlagAccelerate, Doc::Accelerate, "AccelerateConfiguration",
            "GetBucketAccelerateConfiguration", "PutBucketAccelerateConfiguration", nullptr,
            nullptr, nullptr,
            "<AccelerateConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>"},
        {FlagReplication, Doc::Replication, "ReplicationConfiguration", "GetBucketReplication",
            "PutBucketReplication", "DeleteBucketReplication",
            "ReplicationConfigurationNotFoundError", "The replication configuration was not found",
            nullptr},
    };
    const Kind *kind = &kinds[0];
    for (const Kind &k : kinds) {
        if (call.flags & k.flag) {
            kind = &k;
            break;
        }
    }
    const QByteArray &method = call.request.method;
    if (method == "GET") {
        call.operation = QLatin1String(kind->get);
        auto document = m_store->bucketDocument(call.bucket, kind->document);
        if (!document)
            return error(call, document.error());
        if (!document->isEmpty())
            return xmlResponse(*document);
        if (kind->missingCode)
            return error(call,
                makeError(
                    QLatin1String(kind->missingCode), QLatin1String(kind->missingMessage), 404));
        return xmlResponse(
            QByteArray("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") + kind->missingDocument);
    }
    if (method == "DELETE" && !kind->del) {
        call.operation = QStringLiteral("Unknown");
        return error(call, s3errors::methodNotAllowed());
    }
    QByteArray document;
    if (method == "PUT") {
        call.operation = QLatin1String(kind->put);
        if (auto b = m_store->checkBucket(call.bucket); !b)
            return error(call, b.error());
        document = call.request.body.toByteArray();
        auto parsed = s3xml::parse(document);
        if (!parsed)
            return error(call, parsed.error());
        if (parsed->name != QLatin1String(kind->root))
            return error(call,
                s3errors::malformedXml(
                    QStringLiteral("the root element must be %1").arg(QLatin1String(kind->root))));
        if (auto checked = checkConfiguration(call, kind->flag, *parsed); !checked)
            return error(call, checked.error());
    } else {
        call.operation = QLatin1String(kind->del);
    }
    if (auto stored = m_store->setBucketDocument(call.bucket, kind->document, document); !stored)
        return error(call, stored.error());
    return emptyResponse(method == "PUT" ? 200 : 204);
}

Result<void> S3RestApi::checkConfiguration(
    const S3Call &call, quint32 flag, const XmlElement &root) const
{
    switch (flag) {
    case FlagWebsite:
        return s3configs::checkWebsite(root);
    case FlagLogging: {
        if (auto r = s3configs::checkLogging(root); !r)
            return r;
        const XmlElement *enabled = root.child(u"LoggingEnabled");
        if (enabled && !m_store->checkBucket(enabled->childText(u"TargetBucket")))
            return makeError(QStringLiteral("InvalidTargetBucketForLogging"),
                QStringLiteral("The target bucket for logging does not exist"), 400);
        return {};
    }
    case FlagRequestPayment:
        return s3configs::checkRequestPayment(root);
    case FlagAccelerate:
        return s3configs::checkAccelerate(root, call.bucket);
    case FlagReplication:
        if (m_store->versioning(call.bucket) != S3Versioning::Enabled)
            return s3errors::invalidRequest(QStringLiteral("Versioning must be 'Enabled' on the "
                                                           "bucket to apply a replication "
                                                           "configuration"));
        return s3configs::checkReplication(root);
    default:
        return {};
    }
}

HttpResponse S3RestApi::bucketEncryptionDocument(S3Call &call)
{
    const QByteArray &method = call.request.method;
    if (method == "GET") {
        call.operation = QStringLiteral("GetBucketEncryption");
        auto document = m_store->bucketDocument(call.bucket, S3Store::BucketDocument::Encryption);
        if (!document)
            return error(call, document.error());
        if (document->isEmpty())
            return error(call,
                makeError(QStringLiteral("ServerSideEncryptionConfigurationNotFoundError"),
                    QStringLiteral("The server side encryption configuration was not found"), 404));
        return xmlResponse(*document);
    }
    QByteArray document;
    if (method == "PUT") {
        call.operation = QStringLiteral("PutBucketEncryption");
        const auto current = bucketEncryption(call.bucket);
        auto parsed = s3sse::parseBucketEncryption(
            call.request.body.toByteArray(), current ? *current : s3sse::BucketEncryption {});
        if (!parsed)
            return error(call, parsed.error());
        document = s3sse::renderBucketEncryption(*parsed);
    } else {
        call.operation = QStringLiteral("DeleteBucketEncryption");
    }
    if (auto r
        = m_store->setBucketDocument(call.bucket, S3Store::BucketDocument::Encryption, document);
        !r)
        return error(call, r.error());
    invalidateBucketCaches(call.bucket);
    return emptyResponse(method == "PUT" ? 200 : 204);
}

void S3RestApi::invalidateBucketCaches(const QString &bucket)
{
    {
        QMutexLocker lock(&m_corsMutex);
        if (bucket.isEmpty()) {
            m_cors.clear();
            m_encryption.clear();
            m_access.clear();
            m_lifecycle.clear();
        } else {
            m_cors.remove(bucket);
            m_encryption.remove(bucket);
            m_access.remove(bucket);
            m_lifecycle.remove(bucket);
        }
    }
    if (m_notifier)
        m_notifier->invalidate(bucket);
}

namespace {

bool wildcardMatch(const QString &pattern, const QString &value)
{
    // CORS rules allow one '*' wildcard.
    const qsizetype star = pattern.indexOf(u'*');
    if (star < 0)
        return pattern.compare(value, Qt::CaseInsensitive) == 0;
    return value.size() >= pattern.size() - 1
        && value.startsWith(QStringView(pattern).first(star), Qt::CaseInsensitive)
        && value.endsWith(QStringView(pattern).sliced(star + 1), Qt::CaseInsensitive);
}

const s3xml::CorsRule *matchRule(const QList<s3xml::CorsRule> &rules, const QString &origin,
    const QString &method, const QStringList &headers)
{
    for (const s3xml::CorsRule &rule : rules) {
        bool originOk = false;
        for (const QString &o : rule.allowedOrigins)
            originOk = originOk || wildcardMatch(o, origin);
        if (!originOk || !rule.allowedMethods.contains(method))
            continue;
        bool headersOk = true;
        for (const QString &h : headers) {
            bool one = false;
            for (const QString &allowed : rule.allowedHeaders)
                one = one || wildcardMatch(allowed, h);
            headersOk = headersOk && one;
        }
        if (headersOk)
            return &rule;
    }
    return nullptr;
}

void addRuleHeaders(const s3xml::CorsRule &rule, const QByteArray &origin, HttpResponse &r)
{
    const bool any = rule.allowedOrigins.contains(QStringLiteral("*"));
    r.headers.set("access-control-allow-origin", any ? QByteArray("*") : origin);
    r.headers.set("access-control-allow-methods", rule.allowedMethods.join(u", ").toLatin1());
    if (!rule.exposeHeaders.isEmpty())
        r.headers.set("access-control-expose-headers", rule.exposeHeaders.join(u", ").toLatin1());
    if (rule.maxAgeSeconds >= 0)
        r.headers.set("access-control-max-age", QByteArray::number(rule.maxAgeSeconds));
    if (!any)
        r.headers.set("access-control-allow-credentials", "true");
    r.headers.set("vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
}

} // namespace

void S3RestApi::addCorsHeaders(const S3Call &call, HttpResponse &response)
{
    if (call.request.method == "OPTIONS")
        return;
    const auto rules = corsRules(call.bucket);
    if (!rules)
        return;
    const QByteArray origin = call.header("origin");
    if (const auto *rule = matchRule(
            *rules, QString::fromUtf8(origin), QString::fromLatin1(call.request.method), {}))
        addRuleHeaders(*rule, origin, response);
}

HttpResponse S3RestApi::preflight(S3Call &call)
{
    const QByteArray origin = call.header("origin");
    const QByteArray method = call.header("access-control-request-method");
    const auto forbidden = [&](const QString &message) {
        return error(call, makeError(QStringLiteral("AccessForbidden"), message, 403));
    };
    if (origin.isEmpty() || method.isEmpty())
        return error(call,
            s3errors::invalidRequest(
                QStringLiteral("Insufficient information. Origin request header needed.")));
    if (auto b = m_store->bucket(call.bucket); !b)
        return error(call, b.error());
    const auto rules = corsRules(call.bucket);
    if (!rules)
        return forbidden(QStringLiteral("CORSResponse: CORS is not enabled for this bucket."));
    QStringList headers;
    for (const QByteArray &h : call.header("access-control-request-headers").split(',')) {
        const QByteArray t = h.trimmed();
        if (!t.isEmpty())
            headers.append(QString::fromLatin1(t).toLower());
    }
    const auto *rule
        = matchRule(*rules, QString::fromUtf8(origin), QString::fromLatin1(method), headers);
    if (!rule)
        return forbidden(QStringLiteral("CORSResponse: This CORS request is not allowed. This is "
                                        "usually because the evalution of Origin, request method / "
                                        "Access-Control-Request-Method or "
                                        "Access-Control-Request-Headers are not whitelisted by the "
                                        "resource's CORS spec."));
    HttpResponse r = emptyResponse();
    addRuleHeaders(*rule, origin, r);
    if (!headers.isEmpty())
        r.headers.set("access-control-allow-headers", headers.join(u", ").toLatin1());
    return r;
}

// ---- Objects ----

Result<S3ObjectAttributes> S3RestApi::attributesFrom(const S3Call &call) const
{
    S3ObjectAttributes a;
    qsizetype metadataBytes = 0;
    for (const auto &[name, value] : call.request.headers.fields()) {
        bool keep = name.startsWith("x-amz-meta-");
        if (keep)
            metadataBytes += name.size() - 11 + value.size();
        for (const QByteArray &h : kSystemHeaders)
            keep = keep || name == h;
        if (!keep)
            continue;
        if (name == "content-encoding") {
            // aws-chunked is the transfer's, not the object's.
            QList<QByteArray> codings;
            for (const QByteArray &c : value.split(',')) {
                const QByteArray t = c.trimmed();
                if (!t.isEmpty() && t != "aws-chunked")
                    codings.append(t);
            }
            if (codings.isEmpty())
                continue;
            a.headers.append({name, codings.join(", ")});
            continue;
        }
        a.headers.append({name, value});
    }
    if (auto r = S3Store::checkMetadataSize(metadataBytes); !r)
        return r.error();
    auto storageClass = S3Store::checkStorageClass(call.header("x-amz-storage-class"));
    if (!storageClass)
        return storageClass.error();
    a.storageClass = *storageClass;
    const QByteArray tagging = call.header("x-amz-tagging");
    if (!tagging.isEmpty()) {
        auto tags = s3xml::parseTaggingHeader(tagging);
        if (!tags)
            return tags.error();
        // S3 keeps a tag set in key order, whichever order the header gave.
        std::sort(tags->begin(), tags->end(),
            [](const s3xml::Tag &a, const s3xml::Tag &b) { return a.key < b.key; });
        a.tagging = s3xml::taggingToHeader(*tags);
    }
    return a;
}

Result<S3StagedBody> S3RestApi::stageUpload(
    S3Call &call, ChecksumAlgorithm uploadAlgorithm, bool *ownsFile)
{
    const HttpRequest &r = call.request;
    const QByteArray contentSha = r.header("x-amz-content-sha256");
    S3BodyStager::Options options;
    options.awsChunked = contentSha.startsWith("STREAMING-")
        || r.header("content-encoding").contains("aws-chunked");
    // An upload says how long it is (S3 takes no chunked transfer coding without it either).
    if (!r.headers.contains("content-length") && !r.headers.contains("transfer-encoding"))
        return makeError(QStringLiteral("MissingContentLength"),
            QStringLiteral("You must provide the Content-Length HTTP header."), 411);
    const QByteArray decodedLength = r.header("x-amz-decoded-content-length");
    if (!decodedLength.isEmpty()) {
        bool ok = false;
        const qint64 declared = decodedLength.toLongLong(&ok);
        if (!ok || declared < 0)
            return s3errors::invalidArgument(QStringLiteral("x-amz-decoded-content-length is not "
                                                            "a number"));
        if (declared > S3Store::kMaxPutSize)
            return s3errors::entityTooLarge(declared, S3Store::kMaxPutSize);
    }
    if (!options.awsChunked && r.body.size() > S3Store::kMaxPutSize)
        return s3errors::entityTooLarge(r.body.size(), S3Store::kMaxPutSize);

    // Which flexible checksum to compute: the one the client sent (header or trailer), or the
    // upload's algorithm for parts.
    ChecksumAlgorithm algorithm = uploadAlgorithm;
    QByteArray claimed;
    for (const auto &[name, value] : r.headers.fields()) {
        if (name.startsWith("x-amz-checksum-") && name != "x-amz-checksum-type"
            && name != "x-amz-checksum-algorithm" && name != "x-amz-checksum-mode") {
            algorithm = checksumAlgorithmFromName(QByteArrayView(name).sliced(15));
            if (algorithm == ChecksumAlgorithm::None)
                return s3errors::invalidRequest(
                    QStringLiteral("Unsupported checksum: ") + QString::fromLatin1(name));
            claimed = value;
        }
    }
    const QByteArray trailer = r.header("x-amz-trailer").trimmed().toLower();
    if (!trailer.isEmpty()) {
        if (!trailer.startsWith("x-amz-checksum-")
            || checksumAlgorithmFromName(QByteArrayView(trailer).sliced(15))
                == ChecksumAlgorithm::None)
            return s3errors::invalidRequest(
                QStringLiteral("Unsupported trailer: ") + QString::fromLatin1(trailer));
        algorithm = checksumAlgorithmFromName(QByteArrayView(trailer).sliced(15));
    }
    if (algorithm == ChecksumAlgorithm::None) {
        const QByteArray sdk = r.header("x-amz-sdk-checksum-algorithm");
        if (!sdk.isEmpty())
            algorithm = checksumAlgorithmFromName(sdk);
    }
    options.checksumAlgorithm = algorithm;
    options.signing = call.chunkSigning;

    // A staging file is only made for an in-memory body too large for its row, or a decoded
    // aws-chunked one (spooled bodies are adopted where they lie).
    const bool mayStage
        = options.awsChunked || (!r.body.isSpooled() && r.body.size() > S3Store::kInlineLimit);
    auto staged
        = S3BodyStager::stage(r.body, mayStage ? m_store->newStagingPath() : QString(), options);
    if (!staged)
        return staged.error();
    *ownsFile = staged->ownsFile;
    S3StagedBody &body = staged->body;
    const auto refuse = [&](Error e) {
        if (staged->ownsFile && !body.path.isEmpty())
            QFile::remove(body.path);
        return e;
    };
    if (!decodedLength.isEmpty() && decodedLength.toLongLong() != body.size)
        return refuse(s3errors::invalidRequest(QStringLiteral("The decoded body's length does "
                                                              "not match "
                                                              "x-amz-decoded-content-length")));
    if (auto checked = s3errors::checkContentMd5(contentMd5Of(r), body.md5); !checked)
        return refuse(checked.error());
    if (contentSha.size() == 64 && contentSha.toLower() != body.sha256Hex)
        return refuse(makeError(QStringLiteral("XAmzContentSHA256Mismatch"),
            QStringLiteral("The provided 'x-amz-content-sha256' header does "
                           "not match what was computed."),
            400));
    if (!trailer.isEmpty()) {
        claimed.clear();
        for (const auto &[name, value] : staged->trailers) {
            if (name == trailer)
                claimed = value;
        }
        if (claimed.isEmpty())
            return refuse(makeError(QStringLiteral("MalformedTrailerError"),
                QStringLiteral("The request's declared trailer %1 is "
                               "missing")
                    .arg(QString::fromLatin1(trailer)),
                400));
    }
    if (!claimed.isEmpty() && claimed != body.checksum.toBase64())
        return refuse(
            s3errors::badDigest(QStringLiteral("The %1 you specified did not match the "
                                               "calculated checksum.")
                                    .arg(QString::fromLatin1(checksumAlgorithmName(algorithm)))));
    call.size = body.size;
    return std::move(body);
}

HttpResponse S3RestApi::putObject(S3Call &call)
{
    if (auto r = S3Store::checkKey(call.key); !r)
        return error(call, r.error());
    auto attributes = attributesFrom(call);
    if (!attributes)
        return error(call, attributes.error());
    if (auto b = m_store->checkBucket(call.bucket); !b)
        return error(call, b.error());
    auto encryption = writeEncryption(call);
    if (!encryption)
        return error(call, encryption.error());
    bool ownsFile = true;
    auto body = stageUpload(call, ChecksumAlgorithm::None, &ownsFile);
    if (!body)
        return error(call, body.error());
    auto locked = applyObjectLock(call, attributes->system);
    if (locked)
        locked = applyObjectAcl(call, *locked);
    if (!locked) {
        if (ownsFile)
            QFile::remove(body->path);
        return error(call, locked.error());
    }
    attributes->system = std::move(*locked);
    if (encryption->isEncrypted()) {
        attributes->system = withEncryption(attributes->system, *encryption);
        if (encryption->isCustomer()) {
            if (auto r = encryptStaged(*body, *encryption, 0); !r) {
                if (ownsFile)
                    QFile::remove(body->path);
                return error(call, r.error());
            }
        }
    }
    S3Conditions conditions;
    conditions.ifNoneMatch = unquote(call.header("if-none-match"));
    conditions.ifMatch = unquote(call.header("if-match"));
    auto stored
        = m_store->putObject(call.bucket, call.key, *body, *attributes, conditions, call.origin());
    if (!stored) {
        if (ownsFile)
            QFile::remove(body->path);
        return error(call, stored.error());
    }
    HttpResponse r = emptyResponse();
    r.headers.add("etag", '"' + stored->etag + '"');
    if (!stored->versionId.isEmpty())
        r.headers.add("x-amz-version-id", stored->versionId);
    addEncryptionHeaders(r, *encryption, s3sse::Operation::PutObject);
    addExpirationHeader(r, *stored);
    if (stored->checksumAlgorithm != ChecksumAlgorithm::None) {
        r.headers.add(checksumHeaderName(stored->checksumAlgorithm), stored->checksum);
        r.headers.add("x-amz-checksum-type", "FULL_OBJECT");
    }
    return r;
}

HttpResponse S3RestApi::postObject(S3Call &call)
{
    S3PostObject post(m_store, m_verifier.get(), m_clock);
    S3PostObject::Outcome outcome = post.run(call.request, call.bucket, call.origin());
    call.key = outcome.key;
    call.size = outcome.size;
    if (!outcome.error)
        return std::move(outcome.response);
    HttpResponse r = error(call, *outcome.error);
    if (!outcome.errorElements.isEmpty())
        r.body.replace(
            QByteArrayLiteral("<Resource>"), QByteArray(outcome.errorElements + "<Resource>"));
    return r;
}

HttpResponse S3RestApi::getObject(S3Call &call, bool head)
{
    const Result<S3VersionRef> ref = versionRefOf(call);
    if (!ref)
        return error(call, ref.error());
    auto found = m_store->version(
        call.bucket, call.key, *ref, head ? S3Store::Body::Skip : S3Store::Body::Load);
    if (!found)
        return error(call, found.error());
    const S3Object &o = *found;
    const HttpRequest &req = call.request;
    const S3Versioning versioning = m_store->versioning(call.bucket);
    if (o.deleteMarker)
        return deleteMarkerAnswer(call, o, bool(*ref));
    // SSE-C: the customer's key, checked against the one the version was written with.
    const s3sse::Encryption encryption = encryptionOf(o);
    std::optional<s3sse::CustomerKey> customerKey;
    if (encryption.isCustomer() || mentionsEncryption(call)) {
        if (auto c = s3sse::checkReadRequest(headersOf(call)); !c)
            return error(call, c.error());
        auto key = s3sse::parseCustomerKey(
            headersOf(call), s3sse::KeyHeaders::Target, s3sse::KeyUse::Read);
        if (!key)
            return error(call, key.error());
        if (auto c = s3sse::checkRead(encryption, *key); !c)
            return error(call, c.error());
        customerKey = *key;
    }

    // Conditions, in RFC 7232 order.
    const QByteArray ifMatch = req.header("if-match");
    const QByteArray ifNoneMatch = req.header("if-none-match");
    if (!ifMatch.isEmpty()) {
        if (!etagListMatches(ifMatch, o.etag))
            return error(call, s3errors::preconditionFailed(QStringLiteral("If-Match")));
    } else if (const qint64 t = parseHttpDate(req.header("if-unmodified-since"));
               t && o.lastModifiedNs / 1'000'000'000 > t / 1'000'000'000) {
        return error(call, s3errors::preconditionFailed(QStringLiteral("If-Unmodified-Since")));
    }
    bool notModified = false;
    if (!ifNoneMatch.isEmpty()) {
        notModified = etagListMatches(ifNoneMatch, o.etag);
    } else if (const qint64 t = parseHttpDate(req.header("if-modified-since"));
               t && o.lastModifiedNs / 1'000'000'000 <= t / 1'000'000'000) {
        notModified = true;
    }

    HttpResponse r;
    r.headers.add("etag", '"' + o.etag + '"');
    r.headers.add("last-modified", httpDate(o.lastModifiedNs));
    addVersionHeader(r, o, versioning);
    addEncryptionHeaders(
        r, encryption, head ? s3sse::Operation::HeadObject : s3sse::Operation::GetObject);
    if (!o.system.isEmpty()) {
        for (const auto &[name, value] : s3objectlock::responseHeaders(s3objectlock::lockOf(o)))
            r.headers.add(name, value);
    }
    if (o.isLatest)
        addExpirationHeader(r, o);
    if (notModified) {
        r.status = 304;
        return r;
    }

    // Range.
    qint64 from = 0;
    qint64 length = o.size;
    bool partial = false;
    const QByteArray range = req.header("range");
    if (call.flags & FlagPartNumber) {
        // One part of a multipart object, as a ranged GET of its bytes; a simple object is
        // its own part 1.
        const Result<int> number = partNumberOf(call);
        if (!number)
            return error(call, number.error());
        const int part = *number;
        if (!range.isEmpty())
            return error(call,
                s3errors::invalidRequest(QStringLiteral(
                    "Cannot specify both Range header and partNumber query parameter")));
        const int parts = o.partsCount > 0 ? o.partsCount : 1;
        if (part > parts)
            return error(call,
                makeError(QStringLiteral("InvalidPart"),
                    QStringLiteral("One or more of the specified parts could not be found. "
                                   "The part may not have been uploaded, or the specified "
                                   "entity tag may not match the part's entity tag."),
                    400));
        if (o.partsCount > 0) {
            if (o.partSizes.size() != o.partsCount) // completed before Tarmac kept part sizes
                return error(call,
                    s3errors::notImplemented(QStringLiteral(
                        "GET of one part of a multipart object completed by an older Tarmac")));
            from = 0;
            for (int i = 0; i < part - 1; ++i)
                from += o.partSizes[i];
            length = o.partSizes[part - 1];
            partial = true;
        }
    } else if (range.startsWith("bytes=") && !range.contains(',')) {
        const QByteArray spec = range.mid(6).trimmed();
        const qsizetype dash = spec.indexOf('-');
        bool okA = true;
        bool okB = true;
        if (dash >= 0) {
            const QByteArray a = spec.left(dash).trimmed();
            const QByteArray b = spec.mid(dash + 1).trimmed();
            qint64 first = a.isEmpty() ? -1 : a.toLongLong(&okA);
            qint64 last = b.isEmpty() ? -1 : b.toLongLong(&okB);
            if (okA && okB && !(a.isEmpty() && b.isEmpty()) && first >= -1 && last >= -1) {
                if (a.isEmpty()) { // suffix: the last N bytes
                    if (last == 0)
                        return error(call, s3errors::invalidRange(o.size));
                    first = qMax<qint64>(0, o.size - last);
                    last = o.size - 1;
                } else if (b.isEmpty() || last >= o.size) {
                    last = o.size - 1;
                }
                if (first >= o.size || (last >= 0 && last < first))
                    return error(call, s3errors::invalidRange(o.size));
                from = first;
                length = last - first + 1;
                partial = true;
            }
        }
    }

    r.status = partial ? 206 : 200;
    r.headers.add("accept-ranges", "bytes");
    bool hasType = false;
    qsizetype at = 0;
    const QByteArray &stored = o.headers;
    while (at < stored.size()) {
        qsizetype nl = stored.indexOf('\n', at);
        if (nl < 0)
            nl = stored.size();
        const qsizetype colon = stored.indexOf(':', at);
        if (colon > at && colon < nl) {
            QByteArray name = stored.mid(at, colon - at);
            hasType = hasType || name == "content-type";
            r.headers.add(std::move(name), stored.mid(colon + 1, nl - colon - 1));
        }
        at = nl + 1;
    }
    if (!hasType)
        r.headers.add("content-type", "binary/octet-stream");
    if (!o.storageClass.isEmpty())
        r.headers.add("x-amz-storage-class", o.storageClass);
    if (const int tags = o.tagCount())
        r.headers.add("x-amz-tagging-count", QByteArray::number(tags));
    if (o.partsCount > 0 && (call.flags & FlagPartNumber))
        r.headers.add("x-amz-mp-parts-count", QByteArray::number(o.partsCount));
    if (partial) {
        r.headers.add("content-range",
            "bytes " + QByteArray::number(from) + '-' + QByteArray::number(from + length - 1) + '/'
                + QByteArray::number(o.size));
    } else if (o.checksumAlgorithm != ChecksumAlgorithm::None
        && req.header("x-amz-checksum-mode").compare("ENABLED", Qt::CaseInsensitive) == 0) {
        r.headers.add(checksumHeaderName(o.checksumAlgorithm), o.checksum);
        r.headers.add("x-amz-checksum-type",
            o.checksum.contains('-') ? QByteArray("COMPOSITE") : QByteArray("FULL_OBJECT"));
    }
    // response-* overrides (presigned download links use them).
    if (!call.query.isEmpty()) {
        static const std::pair<const char *, const char *> overrides[] = {
            {"response-content-type", "content-type"},
            {"response-content-language", "content-language"},
            {"response-expires", "expires"},
            {"response-cache-control", "cache-control"},
            {"response-content-disposition", "content-disposition"},
            {"response-content-encoding", "content-encoding"},
        };
        for (const auto &[param, header] : overrides) {
            if (call.hasQuery(param))
                r.headers.set(header, call.queryValue(param));
        }
    }
    call.size = length;
    if (head) {
        r.headers.add("content-length", QByteArray::number(length));
        return r;
    }
    if (length == 0)
        return r;
    if (encryption.isCustomer() && customerKey) {
        // Decrypted in memory: SSE-C bodies are not streamed from their file.
        auto bytes = storedBytes(m_store, o, from, length);
        if (!bytes)
            return error(call, bytes.error());
        decryptRange(*bytes, from, o, encryption, customerKey->key);
        r.body = std::move(*bytes);
        return r;
    }
    if (o.blob.isEmpty()) {
        r.body = partial ? o.data.mid(from, length) : o.data;
        return r;
    }
    r.bodyFile = m_store->blobPath(o.blob);
    r.bodyOffset = from;
    r.bodyLength = length;
    return r;
}

HttpResponse S3RestApi::deleteObject(S3Call &call)
{
    if (auto r = S3Store::checkKey(call.key); !r)
        return error(call, r.error());
    const Result<S3VersionRef> ref = versionRefOf(call);
    if (!ref)
        return error(call, ref.error());
    auto deleted
        = m_store->deleteObject(call.bucket, call.key, call.origin(), *ref, deleteGuard(call));
    if (!deleted)
        return error(call, deleted.error());
    HttpResponse r = emptyResponse(204);
    if (deleted->deleteMarker)
        r.headers.add("x-amz-delete-marker", "true");
    if (*ref || (deleted->removed && !deleted->versionId.isEmpty()))
        r.headers.add(
            "x-amz-version-id", deleted->versionId.isEmpty() ? **ref : deleted->versionId);
    return r;
}

namespace {

// x-amz-copy-source: "/bucket/key" or "bucket/key", url-encoded, maybe "?versionId=…".
bool parseCopySource(QByteArray source, QString *bucket, QByteArray *key, QByteArray *version)
{
    if (const qsizetype q = source.indexOf('?'); q >= 0) {
        const QByteArray query = source.mid(q + 1);
        source.truncate(q);
        if (query.startsWith("versionId="))
            *version = query.mid(10);
    }
    source = percentDecode(source, false);
    if (source.startsWith('/'))
        source.remove(0, 1);
    const qsizetype slash = source.indexOf('/');
    if (slash <= 0 || slash == source.size() - 1)
        return false;
    *bucket = QString::fromUtf8(source.left(slash));
    *key = source.mid(slash + 1);
    return true;
}

} // namespace

HttpResponse S3RestApi::copyObject(S3Call &call)
{
    if (auto r = S3Store::checkKey(call.key); !r)
        return error(call, r.error());
    QString sourceBucket;
    QByteArray sourceKey;
    QByteArray version;
    if (!parseCopySource(call.header("x-amz-copy-source"), &sourceBucket, &sourceKey, &version))
        return error(call,
            s3errors::invalidArgument(QStringLiteral("Copy Source must mention the "
                                                     "source bucket and key: "
                                                     "sourcebucket/sourcekey")));
    const S3VersionRef sourceVersion = version.isEmpty() ? S3VersionRef() : S3VersionRef(version);
    const QByteArray directive = call.header("x-amz-metadata-directive").toUpper();
    const QByteArray taggingDirective = call.header("x-amz-tagging-directive").toUpper();
    if ((!directive.isEmpty() && directive != "COPY" && directive != "REPLACE")
        || (!taggingDirective.isEmpty() && taggingDirective != "COPY"
            && taggingDirective != "REPLACE"))
        return error(call,
            s3errors::invalidArgument(QStringLiteral("Unknown metadata or tagging "
                                                     "directive")));
    auto attributes = attributesFrom(call);
    if (!attributes)
        return error(call, attributes.error());
    const bool replace = directive == "REPLACE";
    // The storage class may change under COPY too (that makes a copy onto itself legal).
    S3ObjectAttributes *changed = replace ? &*attributes : nullptr;
    std::optional<S3ObjectAttributes> withClass;
    if (!replace && !call.header("x-amz-storage-class").isEmpty()) {
        auto source = m_store->version(sourceBucket, sourceKey, sourceVersion, S3Store::Body::Skip);
        if (!source)
            return error(call, source.error());
        withClass = S3ObjectAttributes {
            S3Store::parseHeaders(source->headers), attributes->storageClass, {}};
        changed = &*withClass;
    }
    const QByteArray tagging = attributes->tagging;
    // Encryption: the source's SSE-C key (copy-source headers), and what the copy gets (the
    // request's or the bucket's default; never the source's).
    auto source = m_store->version(sourceBucket, sourceKey, sourceVersion, S3Store::Body::Skip);
    if (!source)
        return error(call, source.error());
    const s3sse::Encryption sourceEncryption = encryptionOf(*source);
    auto copyKey = s3sse::parseCustomerKey(
        headersOf(call), s3sse::KeyHeaders::CopySource, s3sse::KeyUse::Read);
    if (!copyKey)
        return error(call, copyKey.error());
    if (!source->deleteMarker) {
        if (auto c = s3sse::checkRead(sourceEncryption, *copyKey); !c)
            return error(call, c.error());
    }
    auto encryption = writeEncryption(call);
    if (!encryption)
        return error(call, encryption.error());
    if (!source->deleteMarker && (sourceEncryption.isCustomer() || encryption->isCustomer())) {
        HttpResponse r = copyEncrypted(call, *source, sourceEncryption,
            sourceEncryption.isCustomer() ? (*copyKey)->key : QByteArray(), *encryption,
            replace ? &*attributes : nullptr, taggingDirective == "REPLACE" ? &tagging : nullptr);
        if (sourceVersion || m_store->versioning(sourceBucket) != S3Versioning::Unversioned)
            r.headers.add("x-amz-copy-source-version-id", source->versionName());
        return r;
    }
    auto locked = applyObjectLock(call, withEncryption({}, *encryption));
    if (locked)
        locked = applyObjectAcl(call, *locked);
    if (!locked)
        return error(call, locked.error());
    const QByteArray system = *locked;
    S3Conditions conditions;
    conditions.ifMatch = unquote(call.header("x-amz-copy-source-if-match"));
    conditions.ifNoneMatch = unquote(call.header("x-amz-copy-source-if-none-match"));
    conditions.ifModifiedSinceNs
        = parseHttpDate(call.header("x-amz-copy-source-if-modified-since"));
    conditions.ifUnmodifiedSinceNs
        = parseHttpDate(call.header("x-amz-copy-source-if-unmodified-since"));
    auto copied = m_store->copyObject(sourceBucket, sourceKey, call.bucket, call.key, changed,
        taggingDirective == "REPLACE" ? &tagging : nullptr, conditions, call.origin(),
        sourceVersion, system != source->system ? &system : nullptr);
    if (!copied)
        return error(call, copied.error());
    call.size = copied->size;
    HttpResponse response;
    if (sourceVersion || m_store->versioning(sourceBucket) != S3Versioning::Unversioned)
        response.headers.add(
            "x-amz-copy-source-version-id", sourceVersion ? *sourceVersion : QByteArray("null"));
    if (!copied->versionId.isEmpty())
        response.headers.add("x-amz-version-id", copied->versionId);
    addEncryptionHeaders(response, *encryption, s3sse::Operation::CopyObject);
    QByteArray out;
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("CopyObjectResult"));
    w.writeTextElement(QStringLiteral("LastModified"), s3xml::isoTime(copied->lastModifiedNs));
    w.writeTextElement(QStringLiteral("ETag"), u'"' + QString::fromLatin1(copied->etag) + u'"');
    if (copied->checksumAlgorithm != ChecksumAlgorithm::None)
        w.writeTextElement(QString::fromLatin1(checksumXmlElementName(copied->checksumAlgorithm)),
            QString::fromLatin1(copied->checksum));
    s3xml::endDocument(w);
    HttpResponse r = xmlResponse(out);
    for (const auto &[name, value] : response.headers.fields())
        r.headers.add(name, value);
    return r;
}

HttpResponse S3RestApi::copyEncrypted(S3Call &call, const S3Object &source,
    const s3sse::Encryption &sourceEncryption, const QByteArray &sourceKey,
    const s3sse::Encryption &encryption, const S3ObjectAttributes *replaced,
    const QByteArray *tagging)
{
    const QByteArray ifMatch = unquote(call.header("x-amz-copy-source-if-match"));
    const QByteArray ifNoneMatch = unquote(call.header("x-amz-copy-source-if-none-match"));
    if (!ifMatch.isEmpty() && ifMatch != "*" && ifMatch != source.etag)
        return error(
            call, s3errors::preconditionFailed(QStringLiteral("x-amz-copy-source-if-match")));
    if (!ifNoneMatch.isEmpty() && (ifNoneMatch == "*" || ifNoneMatch == source.etag))
        return error(
            call, s3errors::preconditionFailed(QStringLiteral("x-amz-copy-source-if-none-match")));
    auto full = m_store->version(source.bucket, source.key,
        source.isLatest ? S3VersionRef() : S3VersionRef(source.versionName()));
    if (!full)
        return error(call, full.error());
    auto bytes = storedBytes(m_store, *full, 0, full->size);
    if (!bytes)
        return error(call, bytes.error());
    if (sourceEncryption.isCustomer())
        decryptRange(*bytes, 0, *full, sourceEncryption, sourceKey);
    S3StagedBody staged;
    staged.size = bytes->size();
    staged.md5 = Digest::hash(Digest::Algorithm::Md5, *bytes);
    if (staged.size > S3Store::kInlineLimit) {
        staged.path = m_store->newStagingPath();
        QFile out(staged.path);
        if (!out.open(QIODevice::WriteOnly | QIODevice::NewOnly)
            || out.write(*bytes) != bytes->size())
            return error(call, s3errors::internalError(QStringLiteral("cannot stage the copy")));
        staged.sha256Hex = Digest::hash(Digest::Algorithm::Sha256, *bytes).toHex();
    } else {
        staged.data = std::move(*bytes);
    }
    if (encryption.isCustomer()) {
        if (auto r = encryptStaged(staged, encryption, 0); !r) {
            QFile::remove(staged.path);
            return error(call, r.error());
        }
    }
    S3ObjectAttributes attributes = replaced
        ? *replaced
        : S3ObjectAttributes {
            S3Store::parseHeaders(full->headers), full->storageClass, full->tagging, {}};
    if (!replaced) {
        if (auto storageClass = S3Store::checkStorageClass(call.header("x-amz-storage-class"));
            storageClass && !storageClass->isEmpty())
            attributes.storageClass = *storageClass;
    }
    attributes.tagging = tagging ? *tagging : full->tagging;
    auto locked = applyObjectLock(call, withEncryption({}, encryption));
    if (locked)
        locked = applyObjectAcl(call, *locked);
    if (!locked) {
        QFile::remove(staged.path);
        return error(call, locked.error());
    }
    attributes.system = *locked;
    auto stored = m_store->putObject(call.bucket, call.key, staged, attributes, {}, call.origin(),
        QStringLiteral("ObjectCreated:Copy"));
    if (!stored) {
        QFile::remove(staged.path);
        return error(call, stored.error());
    }
    call.size = stored->size;
    QByteArray out;
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("CopyObjectResult"));
    w.writeTextElement(QStringLiteral("LastModified"), s3xml::isoTime(stored->lastModifiedNs));
    w.writeTextElement(QStringLiteral("ETag"), u'"' + QString::fromLatin1(stored->etag) + u'"');
    s3xml::endDocument(w);
    HttpResponse r = xmlResponse(out);
    if (!stored->versionId.isEmpty())
        r.headers.add("x-amz-version-id", stored->versionId);
    addEncryptionHeaders(r, encryption, s3sse::Operation::CopyObject);
    return r;
}

HttpResponse S3RestApi::deleteMarkerAnswer(
    const S3Call &call, const S3Object &marker, bool byVersion) const
{
    // The current version is a delete marker (404), or one was asked for by id (405).
    HttpResponse r
        = error(call, byVersion ? s3errors::methodNotAllowed() : s3errors::noSuchKey(call.key));
    r.headers.add("x-amz-delete-marker", "true");
    r.headers.add("x-amz-version-id", marker.versionName());
    r.headers.add("last-modified", httpDate(marker.lastModifiedNs));
    if (byVersion)
        r.headers.add("allow", "DELETE");
    return r;
}

HttpResponse S3RestApi::objectAttributes(S3Call &call)
{
    // Which attributes: ETag, Checksum, ObjectParts, StorageClass, ObjectSize.
    QSet<QByteArray> wanted;
    for (const QByteArray &name : call.header("x-amz-object-attributes").split(',')) {
        const QByteArray n = name.trimmed();
        if (n.isEmpty())
            continue;
        static const QByteArray known[]
            = {"ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"};
        if (std::find(std::begin(known), std::end(known), n) == std::end(known))
            return error(call,
                s3errors::invalidArgument(QStringLiteral("Invalid attribute name specified.")));
        wanted.insert(n);
    }
    if (wanted.isEmpty())
        return error(call,
            s3errors::invalidRequest(QStringLiteral("The x-amz-object-attributes header "
                                                    "specifying the attributes to be retrieved "
                                                    "is either missing or empty")));
    bool ok = true;
    const int maxParts = call.header("x-amz-max-parts").isEmpty()
        ? 1000
        : call.header("x-amz-max-parts").toInt(&ok);
    const int marker = call.header("x-amz-part-number-marker").isEmpty()
        ? 0
        : call.header("x-amz-part-number-marker").toInt(&ok);
    if (!ok || maxParts < 0 || marker < 0)
        return error(call,
            s3errors::invalidArgument(QStringLiteral("x-amz-max-parts and "
                                                     "x-amz-part-number-marker are numbers")));
    const Result<S3VersionRef> ref = versionRefOf(call);
    if (!ref)
        return error(call, ref.error());
    auto found = m_store->version(call.bucket, call.key, *ref, S3Store::Body::Skip);
    if (!found)
        return error(call, found.error());
    const S3Object &o = *found;
    if (o.deleteMarker)
        return deleteMarkerAnswer(call, o, bool(*ref));
    const s3sse::Encryption encryption = encryptionOf(o);
    if (encryption.isCustomer()) {
        auto key = s3sse::parseCustomerKey(
            headersOf(call), s3sse::KeyHeaders::Target, s3sse::KeyUse::Read);
        if (!key)
            return error(call, key.error());
        if (auto c = s3sse::checkRead(encryption, *key); !c)
            return error(call, c.error());
    }
    QByteArray out;
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("GetObjectAttributesResponse"));
    if (wanted.contains("ETag"))
        w.writeTextElement(QStringLiteral("ETag"), QString::fromLatin1(o.etag));
    if (wanted.contains("Checksum") && o.checksumAlgorithm != ChecksumAlgorithm::None) {
        const qsizetype dash = o.checksum.indexOf('-');
        w.writeStartElement(QStringLiteral("Checksum"));
        w.writeTextElement(QString::fromLatin1(checksumXmlElementName(o.checksumAlgorithm)),
            QString::fromLatin1(dash < 0 ? o.checksum : o.checksum.left(dash)));
        w.writeTextElement(QStringLiteral("ChecksumType"),
            dash < 0 ? QStringLiteral("FULL_OBJECT") : QStringLiteral("COMPOSITE"));
        w.writeEndElement();
    }
    if (wanted.contains("ObjectParts") && o.partsCount > 0) {
        w.writeStartElement(QStringLiteral("ObjectParts"));
        // botocore names it TotalPartsCount; on the wire it is PartsCount.
        w.writeTextElement(QStringLiteral("PartsCount"), QString::number(o.partsCount));
        w.writeTextElement(QStringLiteral("PartNumberMarker"), QString::number(marker));
        int listed = 0;
        int last = marker;
        const bool sizes = o.partSizes.size() == o.partsCount;
        for (int n = marker + 1; n <= o.partsCount && listed < maxParts; ++n, ++listed)
            last = n;
        const bool truncated = last < o.partsCount;
        w.writeTextElement(QStringLiteral("NextPartNumberMarker"), QString::number(last));
        w.writeTextElement(QStringLiteral("MaxParts"), QString::number(maxParts));
        w.writeTextElement(QStringLiteral("IsTruncated"),
            truncated ? QStringLiteral("true") : QStringLiteral("false"));
        for (int n = marker + 1; n <= last; ++n) {
            w.writeStartElement(QStringLiteral("Part"));
            w.writeTextElement(QStringLiteral("PartNumber"), QString::number(n));
            if (sizes)
                w.writeTextElement(QStringLiteral("Size"), QString::number(o.partSizes[n - 1]));
            w.writeEndElement();
        }
        w.writeEndElement();
    }
    if (wanted.contains("StorageClass"))
        w.writeTextElement(QStringLiteral("StorageClass"),
            o.storageClass.isEmpty() ? QStringLiteral("STANDARD")
                                     : QString::fromLatin1(o.storageClass));
    if (wanted.contains("ObjectSize"))
        w.writeTextElement(QStringLiteral("ObjectSize"), QString::number(o.size));
    s3xml::endDocument(w);
    HttpResponse r = xmlResponse(out);
    r.headers.add("last-modified", httpDate(o.lastModifiedNs));
    addVersionHeader(r, o, m_store->versioning(call.bucket));
    return r;
}

HttpResponse S3RestApi::objectTagging(S3Call &call)
{
    const Result<S3VersionRef> ref = versionRefOf(call);
    if (!ref)
        return error(call, ref.error());
    auto o = m_store->version(call.bucket, call.key, *ref, S3Store::Body::Skip);
    if (!o)
        return error(call, o.error());
    if (o->deleteMarker)
        return error(call, *ref ? s3errors::methodNotAllowed() : s3errors::noSuchKey(call.key));
    auto tags = s3xml::parseTaggingHeader(o->tagging);
    HttpResponse r = xmlResponse(s3xml::renderTagging(tags ? *tags : QList<s3xml::Tag>()));
    addVersionHeader(r, *o, m_store->versioning(call.bucket));
    return r;
}

HttpResponse S3RestApi::putObjectTagging(S3Call &call)
{
    const Result<S3VersionRef> ref = versionRefOf(call);
    if (!ref)
        return error(call, ref.error());
    auto tags = s3xml::parseTagging(call.request.body.toByteArray(), 10);
    if (!tags)
        return error(call, tags.error());
    auto version
        = m_store->setObjectTagging(call.bucket, call.key, s3xml::taggingToHeader(*tags), *ref);
    if (!version)
        return error(call, version.error());
    HttpResponse r = emptyResponse();
    if (*ref || m_store->versioning(call.bucket) != S3Versioning::Unversioned)
        r.headers.add("x-amz-version-id", *version);
    return r;
}

HttpResponse S3RestApi::deleteObjectTagging(S3Call &call)
{
    const Result<S3VersionRef> ref = versionRefOf(call);
    if (!ref)
        return error(call, ref.error());
    auto version = m_store->setObjectTagging(call.bucket, call.key, {}, *ref);
    if (!version)
        return error(call, version.error());
    HttpResponse r = emptyResponse(204);
    if (*ref || m_store->versioning(call.bucket) != S3Versioning::Unversioned)
        r.headers.add("x-amz-version-id", *version);
    return r;
}

// ---- Multipart ----

HttpResponse S3RestApi::createUpload(S3Call &call)
{
    auto attributes = attributesFrom(call);
    if (!attributes)
        return error(call, attributes.error());
    QByteArray algorithmName = call.header("x-amz-checksum-algorithm");
    const ChecksumAlgorithm algorithm = checksumAlgorithmFromName(algorithmName);
    if (!algorithmName.isEmpty() && algorithm == ChecksumAlgorithm::None)
        return error(call,
            s3errors::invalidRequest(QStringLiteral("Unsupported checksum "
                                                    "algorithm")));
    // FULL_OBJECT: one CRC of the whole object (CRC algorithms only; CRC64NVME has no other).
    const QByteArray checksumType = call.header("x-amz-checksum-type").toUpper();
    const bool isCrc = algorithm == ChecksumAlgorithm::Crc32
        || algorithm == ChecksumAlgorithm::Crc32c || algorithm == ChecksumAlgorithm::Crc64Nvme;
    if ((!checksumType.isEmpty() && checksumType != "FULL_OBJECT" && checksumType != "COMPOSITE")
        || (checksumType == "FULL_OBJECT" && !isCrc)
        || (checksumType == "COMPOSITE" && algorithm == ChecksumAlgorithm::Crc64Nvme))
        return error(call,
            s3errors::invalidRequest(
                QStringLiteral("The %1 checksum type cannot be used with "
                               "the %2 checksum algorithm.")
                    .arg(QString::fromLatin1(checksumType),
                        QString::fromLatin1(checksumAlgorithmName(algorithm)))));
    const bool fullObject = checksumType == "FULL_OBJECT"
        || (checksumType.isEmpty() && algorithm == ChecksumAlgorithm::Crc64Nvme);
    auto encryption = writeEncryption(call);
    if (!encryption)
        return error(call, encryption.error());
    if (encryption->isEncrypted())
        attributes->system = withEncryption(attributes->system, *encryption);
    auto locked = applyObjectLock(call, attributes->system);
    if (locked)
        locked = applyObjectAcl(call, *locked);
    if (!locked)
        return error(call, locked.error());
    attributes->system = std::move(*locked);
    if (fullObject) {
        S3Object system;
        system.system = attributes->system;
        system.setSystemValue("checksum-type", "FULL_OBJECT");
        attributes->system = system.system;
    }
    auto upload = m_store->createUpload(call.bucket, call.key, *attributes, algorithm);
    if (!upload)
        return error(call, upload.error());
    QByteArray out;
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("InitiateMultipartUploadResult"));
    w.writeTextElement(QStringLiteral("Bucket"), call.bucket);
    w.writeTextElement(QStringLiteral("Key"), QString::fromUtf8(call.key));
    w.writeTextElement(QStringLiteral("UploadId"), QString::fromLatin1(upload->uploadId));
    s3xml::endDocument(w);
    HttpResponse r = xmlResponse(out);
    addEncryptionHeaders(r, *encryption, s3sse::Operation::CreateMultipartUpload);
    if (algorithm != ChecksumAlgorithm::None) {
        r.headers.add("x-amz-checksum-algorithm", checksumAlgorithmName(algorithm));
        r.headers.add("x-amz-checksum-type", fullObject ? "FULL_OBJECT" : "COMPOSITE");
    }
    return r;
}

HttpResponse S3RestApi::uploadPart(S3Call &call)
{
    const Result<int> number = partNumberOf(call);
    if (!number)
        return error(call, number.error());
    const int partNumber = *number;
    const QByteArray uploadId = call.queryValue("uploadId");
    auto upload = m_store->upload(call.bucket, call.key, uploadId);
    if (!upload)
        return error(call, upload.error());
    auto encryption = partEncryption(call, *upload);
    if (!encryption)
        return error(call, encryption.error());
    bool ownsFile = true;
    auto body = stageUpload(call, upload->checksumAlgorithm, &ownsFile);
    if (!body)
        return error(call, body.error());
    if (encryption->isCustomer()) {
        if (auto r = encryptStaged(*body, *encryption, partNumber); !r) {
            if (ownsFile)
                QFile::remove(body->path);
            return error(call, r.error());
        }
    }
    auto part = m_store->uploadPart(call.bucket, call.key, uploadId, partNumber, *body);
    if (!part) {
        if (ownsFile)
            QFile::remove(body->path);
        return error(call, part.error());
    }
    HttpResponse r = emptyResponse();
    r.headers.add("etag", '"' + part->etag + '"');
    addEncryptionHeaders(r, *encryption, s3sse::Operation::UploadPart);
    if (body->checksumAlgorithm != ChecksumAlgorithm::None)
        r.headers.add(checksumHeaderName(body->checksumAlgorithm), body->checksum.toBase64());
    return r;
}

HttpResponse S3RestApi::uploadPartCopy(S3Call &call)
{
    const Result<int> number = partNumberOf(call);
    if (!number)
        return error(call, number.error());
    const int partNumber = *number;
    const QByteArray uploadId = call.queryValue("uploadId");
    auto upload = m_store->upload(call.bucket, call.key, uploadId);
    if (!upload)
        return error(call, upload.error());
    QString sourceBucket;
    QByteArray sourceKey;
    QByteArray version;
    if (!parseCopySource(call.header("x-amz-copy-source"), &sourceBucket, &sourceKey, &version))
        return error(call,
            s3errors::invalidArgument(QStringLiteral("Copy Source must mention the "
                                                     "source bucket and key")));
    const S3VersionRef sourceVersion = version.isEmpty() ? S3VersionRef() : S3VersionRef(version);
    auto source = m_store->version(sourceBucket, sourceKey, sourceVersion);
    if (!source)
        return error(call, source.error());
    if (source->deleteMarker)
        return error(call,
            sourceVersion ? s3errors::invalidRequest(
                QStringLiteral("The source of a copy request may not specifically refer to a "
                               "delete marker by version id."))
                          : s3errors::noSuchKey(sourceKey));
    qint64 from = 0;
    qint64 length = source->size;
    const QByteArray range = call.header("x-amz-copy-source-range");
    if (!range.isEmpty()) {
        const QByteArray spec = range.startsWith("bytes=") ? range.mid(6) : QByteArray();
        const qsizetype dash = spec.indexOf('-');
        bool okA = false;
        bool okB = false;
        const qint64 a = dash > 0 ? spec.left(dash).toLongLong(&okA) : -1;
        const qint64 b = dash > 0 ? spec.mid(dash + 1).toLongLong(&okB) : -1;
        // A range that is not one is the request's fault (400); one past the source's end
        // is an unsatisfiable range, as S3 answers.
        if (!okA || !okB || a < 0 || b < a)
            return error(call,
                s3errors::invalidArgument(QStringLiteral(
                    "The x-amz-copy-source-range value must be of the form bytes=first-last "
                    "where first and last are the zero-based offsets of the first and last "
                    "bytes to copy")));
        if (b >= source->size)
            return error(call, s3errors::invalidRange(source->size));
        from = a;
        length = b - a + 1;
    }
    // SSE-C on either side: the source's key in the copy-source headers, the upload's in the
    // request's own.
    const s3sse::Encryption sourceEncryption = encryptionOf(*source);
    auto copyKey = s3sse::parseCustomerKey(
        headersOf(call), s3sse::KeyHeaders::CopySource, s3sse::KeyUse::Read);
    if (!copyKey)
        return error(call, copyKey.error());
    if (auto c = s3sse::checkRead(sourceEncryption, *copyKey); !c)
        return error(call, c.error());
    auto encryption = partEncryption(call, *upload);
    if (!encryption)
        return error(call, encryption.error());
    qint64 readFrom = from;
    if (sourceEncryption.isCustomer() && *copyKey) {
        auto plain = storedBytes(m_store, *source, from, length);
        if (!plain)
            return error(call, plain.error());
        decryptRange(*plain, from, *source, sourceEncryption, (*copyKey)->key);
        source->data = std::move(*plain);
        source->blob.clear(); // read the decrypted range from memory
        readFrom = 0;
    }
    // Stage the range as a part body: read it from the source blob, digest it as it is copied.
    const QString staging = m_store->newStagingPath();
    QBuffer inlineSource;
    QFile blobSource(source->blob.isEmpty() ? QString() : m_store->blobPath(source->blob));
    QIODevice &in = source->blob.isEmpty() ? static_cast<QIODevice &>(inlineSource)
                                           : static_cast<QIODevice &>(blobSource);
    inlineSource.setData(source->data);
    QFile out(staging);
    if (!in.open(QIODevice::ReadOnly) || !in.seek(readFrom)
        || !out.open(QIODevice::WriteOnly | QIODevice::NewOnly))
        return error(call, s3errors::internalError(QStringLiteral("cannot copy the source range")));
    BodyDigest digest(upload->checksumAlgorithm);
    QByteArray buffer(1024 * 1024, Qt::Uninitialized);
    qint64 remaining = length;
    while (remaining > 0) {
        const qint64 n = in.read(buffer.data(), qMin<qint64>(remaining, buffer.size()));
        if (n <= 0 || out.write(buffer.constData(), n) != n) {
            out.remove();
            return error(call,
                s3errors::internalError(QStringLiteral("cannot copy the source "
                                                       "range")));
        }
        digest.add(buffer.constData(), n);
        remaining -= n;
    }
    out.close();
    digest.finish();
    S3StagedBody body {{}, staging, digest.size(), digest.md5(), digest.sha256Hex(),
        digest.checksumAlgorithm(), digest.checksum()};
    if (encryption->isCustomer()) {
        if (auto r = encryptStaged(body, *encryption, partNumber); !r) {
            QFile::remove(staging);
            return error(call, r.error());
        }
    }
    auto part = m_store->uploadPart(call.bucket, call.key, uploadId, partNumber, body);
    if (!part) {
        QFile::remove(staging);
        return error(call, part.error());
    }
    call.size = length;
    QByteArray xml;
    QXmlStreamWriter w(&xml);
    s3xml::beginDocument(w, QStringLiteral("CopyPartResult"));
    w.writeTextElement(QStringLiteral("LastModified"), s3xml::isoTime(part->lastModifiedNs));
    w.writeTextElement(QStringLiteral("ETag"), u'"' + QString::fromLatin1(part->etag) + u'"');
    if (part->checksumAlgorithm != ChecksumAlgorithm::None)
        w.writeTextElement(QString::fromLatin1(checksumXmlElementName(part->checksumAlgorithm)),
            QString::fromLatin1(part->checksum));
    s3xml::endDocument(w);
    return xmlResponse(xml);
}

HttpResponse S3RestApi::completeUpload(S3Call &call)
{
    auto parts = s3xml::parseCompleteMultipartUpload(call.request.body.toByteArray());
    if (!parts)
        return error(call, parts.error());
    auto done = m_store->completeUpload(
        call.bucket, call.key, call.queryValue("uploadId"), *parts, call.origin());
    if (!done)
        return error(call, done.error());

    call.size = done->size;
    QByteArray out;
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("CompleteMultipartUploadResult"));
    const QByteArray host = call.header("host");
    w.writeTextElement(QStringLiteral("Location"),
        QStringLiteral("http://") + QString::fromLatin1(host) + u'/' + call.bucket + u'/'
            + urlEncodeKey(call.key));
    w.writeTextElement(QStringLiteral("Bucket"), call.bucket);
    w.writeTextElement(QStringLiteral("Key"), QString::fromUtf8(call.key));
    w.writeTextElement(QStringLiteral("ETag"), u'"' + QString::fromLatin1(done->etag) + u'"');
    if (done->checksumAlgorithm != ChecksumAlgorithm::None) {
        w.writeTextElement(QString::fromLatin1(checksumXmlElementName(done->checksumAlgorithm)),
            QString::fromLatin1(done->checksum));
        w.writeTextElement(QStringLiteral("ChecksumType"),
            done->checksum.contains('-') ? QStringLiteral("COMPOSITE")
                                         : QStringLiteral("FULL_OBJECT"));
    }
    s3xml::endDocument(w);
    HttpResponse r = xmlResponse(out);
    if (!done->versionId.isEmpty())
        r.headers.add("x-amz-version-id", done->versionId);
    addEncryptionHeaders(r, encryptionOf(*done), s3sse::Operation::CompleteMultipartUpload);
    return r;
}

HttpResponse S3RestApi::abortUpload(S3Call &call)
{
    if (auto r = m_store->abortUpload(call.bucket, call.key, call.queryValue("uploadId")); !r)
        return error(call, r.error());
    return emptyResponse(204);
}

HttpResponse S3RestApi::listParts(S3Call &call)
{
    bool truncated = false;
    const int after = call.queryValue("part-number-marker").toInt();
    const int max = call.hasQuery("max-parts") ? call.queryValue("max-parts").toInt() : 1000;
    const QByteArray uploadId = call.queryValue("uploadId");
    auto upload = m_store->upload(call.bucket, call.key, uploadId);
    if (!upload)
        return error(call, upload.error());
    auto parts = m_store->listParts(call.bucket, call.key, uploadId, after, max, &truncated);
    if (!parts)
        return error(call, parts.error());
    QByteArray out;
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("ListPartsResult"));
    w.writeTextElement(QStringLiteral("Bucket"), call.bucket);
    w.writeTextElement(QStringLiteral("Key"), QString::fromUtf8(call.key));
    w.writeTextElement(QStringLiteral("UploadId"), QString::fromLatin1(uploadId));
    writeOwner(w, QStringLiteral("Initiator"));
    writeOwner(w);
    w.writeTextElement(QStringLiteral("StorageClass"),
        upload->storageClass.isEmpty() ? QStringLiteral("STANDARD")
                                       : QString::fromLatin1(upload->storageClass));
    w.writeTextElement(QStringLiteral("PartNumberMarker"), QString::number(after));
    if (!parts->isEmpty())
        w.writeTextElement(
            QStringLiteral("NextPartNumberMarker"), QString::number(parts->last().partNumber));
    w.writeTextElement(QStringLiteral("MaxParts"), QString::number(max));
    w.writeTextElement(QStringLiteral("IsTruncated"),
        truncated ? QStringLiteral("true") : QStringLiteral("false"));
    if (upload->checksumAlgorithm != ChecksumAlgorithm::None)
        w.writeTextElement(QStringLiteral("ChecksumAlgorithm"),
            QString::fromLatin1(checksumAlgorithmName(upload->checksumAlgorithm)));
    for (const S3Part &p : std::as_const(*parts)) {
        w.writeStartElement(QStringLiteral("Part"));
        w.writeTextElement(QStringLiteral("PartNumber"), QString::number(p.partNumber));
        w.writeTextElement(QStringLiteral("LastModified"), s3xml::isoTime(p.lastModifiedNs));
        w.writeTextElement(QStringLiteral("ETag"), u'"' + QString::fromLatin1(p.etag) + u'"');
        w.writeTextElement(QStringLiteral("Size"), QString::number(p.size));
        if (p.checksumAlgorithm != ChecksumAlgorithm::None)
            w.writeTextElement(QString::fromLatin1(checksumXmlElementName(p.checksumAlgorithm)),
                QString::fromLatin1(p.checksum));
        w.writeEndElement();
    }
    s3xml::endDocument(w);
    return xmlResponse(out);
}

} // namespace tarmac
