#include "services/s3/s3postobject.h"

#include "base/clock.h"
#include "http/servicedetector.h"
#include "services/s3/s3errors.h"
#include "services/s3/s3formupload.h"
#include "services/s3/s3postpolicy.h"
#include "services/s3/s3signature.h"
#include "services/s3/s3xml.h"

#include <QFile>
#include <QUrl>
#include <QXmlStreamWriter>

namespace tarmac {

namespace {

// The form fields that become the object's headers (S3 returns them on GET).
const QByteArray kHeaderFields[] = {"content-type", "cache-control", "content-disposition",
    "content-encoding", "content-language", "expires"};

const QByteArray kCannedAcls[] = {"private", "public-read", "public-read-write", "aws-exec-read",
    "authenticated-read", "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write"};

QByteArray element(const char *name, const QByteArray &value)
{
    return '<' + QByteArray(name) + '>' + value + "</" + QByteArray(name) + '>';
}

Result<S3ObjectAttributes> attributesFrom(const S3Form &form)
{
    S3ObjectAttributes a;
    qsizetype metadataBytes = 0;
    for (const auto &[name, value] : form.fields) {
        bool keep = name.startsWith("x-amz-meta-");
        if (keep)
            metadataBytes += name.size() - 11 + value.size();
        for (const QByteArray &h : kHeaderFields)
            keep = keep || name == h;
        if (keep && !value.isEmpty())
            a.headers.append({name, value});
    }
    if (!form.contains("content-type") && !form.fileContentType.isEmpty())
        a.headers.prepend({"content-type", form.fileContentType});
    if (auto r = S3Store::checkMetadataSize(metadataBytes); !r)
        return r.error();
    auto storageClass = S3Store::checkStorageClass(form.value("x-amz-storage-class"));
    if (!storageClass)
        return storageClass.error();
    a.storageClass = *storageClass;
    const QByteArray acl = form.value("acl");
    if (!acl.isEmpty()
        && std::find(std::begin(kCannedAcls), std::end(kCannedAcls), acl) == std::end(kCannedAcls))
        return s3errors::invalidArgument(
            QStringLiteral("Invalid canned ACL: ") + QString::fromUtf8(acl));
    const QByteArray tagging = form.value("tagging");
    if (!tagging.isEmpty()) {
        auto tags = s3xml::parseTagging(tagging, 10);
        if (!tags)
            return tags.error();
        a.tagging = s3xml::taggingToHeader(*tags);
    }
    return a;
}

// The flexible checksum the form asks for: x-amz-checksum-<alg> (with its value), else
// x-amz-checksum-algorithm.
Result<ChecksumAlgorithm> checksumAlgorithm(const S3Form &form, QByteArray *claimed)
{
    ChecksumAlgorithm algorithm = ChecksumAlgorithm::None;
    for (const auto &[name, value] : form.fields) {
        if (!name.startsWith("x-amz-checksum-") || name == "x-amz-checksum-algorithm"
            || name == "x-amz-checksum-type")
            continue;
        algorithm = checksumAlgorithmFromName(QByteArrayView(name).sliced(15));
        if (algorithm == ChecksumAlgorithm::None)
            return s3errors::invalidRequest(
                QStringLiteral("Unsupported checksum: ") + QString::fromLatin1(name));
        *claimed = value;
    }
    if (algorithm == ChecksumAlgorithm::None && form.contains("x-amz-checksum-algorithm")) {
        algorithm = checksumAlgorithmFromName(form.value("x-amz-checksum-algorithm"));
        if (algorithm == ChecksumAlgorithm::None)
            return s3errors::invalidRequest(QStringLiteral("Unsupported x-amz-checksum-algorithm"));
    }
    return algorithm;
}

QByteArray objectLocation(const HttpRequest &request, const QString &bucket, const QByteArray &key)
{
    const QByteArray host = request.header("host");
    const bool virtualHost = !host.isEmpty() && !s3BucketFromHost(host).isEmpty();
    QByteArray url = "http://" + host + '/';
    if (!virtualHost)
        url += QUrl::toPercentEncoding(bucket) + '/';
    return url + key.toPercentEncoding();
}

} // namespace

S3PostObject::S3PostObject(S3Store *store, const S3SignatureVerifier *verifier, const Clock *clock)
    : m_store(store)
    , m_verifier(verifier)
    , m_clock(clock)
{ }

S3PostObject::Outcome S3PostObject::run(
    const HttpRequest &request, const QString &bucket, const S3Origin &origin)
{
    Outcome out;
    const auto fail = [&out](Error e, QByteArray elements = {}) {
        out.error = std::move(e);
        out.errorElements = std::move(elements);
        return std::move(out);
    };

    auto boundary = MultipartFormParser::boundaryFrom(request.header("content-type"));
    if (!boundary)
        return fail(boundary.error());
    if (auto b = m_store->checkBucket(bucket); !b)
        return fail(b.error());

    // Decided while the fields are checked, used once the file is in.
    std::optional<S3PostPolicy> policy;
    S3ObjectAttributes attributes;
    QByteArray claimedChecksum;
    QByteArray checkElements;

    const auto check = [&](const S3Form &form) -> Result<S3FormUpload::FileOptions> {
        const QByteArray keyField = form.value("key");
        if (keyField.isEmpty()) {
            checkElements = element("ArgumentName", "key") + element("ArgumentValue", {});
            return s3errors::invalidArgument(QStringLiteral(
                "Bucket POST must contain a field named 'key'.  If it is specified, please "
                "check the order of the fields."));
        }
        const QByteArray policyField = form.value("policy");
        if (m_verifier) {
            if (policyField.isEmpty())
                return s3errors::accessDenied(QStringLiteral("Anonymous requests are refused: "
                                                             "signature verification is on"));
            S3SignatureVerifier::PostSignature signature;
            signature.algorithm = form.value("x-amz-algorithm");
            signature.credential = form.value("x-amz-credential");
            signature.signature = form.value("x-amz-signature");
            signature.accessKeyId = form.value("awsaccesskeyid");
            signature.signatureV2 = form.value("signature");
            if (auto v = m_verifier->verifyPostPolicy(policyField, signature); !v)
                return v.error();
        }
        S3FormUpload::FileOptions options;
        if (!policyField.isEmpty()) {
            auto parsed = S3PostPolicy::parse(policyField);
            if (!parsed)
                return parsed.error();
            if (auto c = parsed->check(form, bucket, m_clock->nowNs()); !c)
                return c.error();
            if (const auto range = parsed->contentLengthRange())
                options.maxSize = qMin(options.maxSize, range->second);
            policy = std::move(*parsed);
        }
        out.key = form.objectKey();
        if (auto k = S3Store::checkKey(out.key); !k)
            return k.error();
        auto a = attributesFrom(form);
        if (!a)
            return a.error();
        attributes = std::move(*a);
        auto algorithm = checksumAlgorithm(form, &claimedChecksum);
        if (!algorithm)
            return algorithm.error();
        options.checksumAlgorithm = *algorithm;
        return options;
    };

    qint64 fileSize = -1;
    auto upload
        = S3FormUpload::read(request.body, *boundary, m_store->newStagingPath(), check, &fileSize);
    if (!upload) {
        const Error &e = upload.error();
        if (e.code == QLatin1String("EntityTooLarge") && policy && policy->contentLengthRange()
            && fileSize > policy->contentLengthRange()->second)
            return fail(S3PostPolicy::entityTooLarge(),
                element("ProposedSize", QByteArray::number(fileSize))
                    + element("MaxSizeAllowed",
                        QByteArray::number(policy->contentLengthRange()->second)));
        return fail(e, checkElements);
    }
    S3StagedBody &body = upload->body;
    const auto refuse = [&](Error e, QByteArray elements = {}) {
        if (!body.path.isEmpty())
            QFile::remove(body.path);
        return fail(std::move(e), std::move(elements));
    };
    if (policy) {
        if (auto r = policy->checkSize(body.size); !r) {
            const auto range = *policy->contentLengthRange();
            const bool small = body.size < range.first;
            return refuse(r.error(),
                element("ProposedSize", QByteArray::number(body.size))
                    + (small ? element("MinSizeAllowed", QByteArray::number(range.first))
                             : element("MaxSizeAllowed", QByteArray::number(range.second))));
        }
    }
    if (auto checked = s3errors::checkContentMd5(upload->form.contains("content-md5")
                ? std::optional(upload->form.value("content-md5"))
                : std::nullopt,
            body.md5);
        !checked)
        return refuse(checked.error());
    if (!claimedChecksum.isEmpty() && claimedChecksum != body.checksum.toBase64())
        return refuse(s3errors::badDigest(
            QStringLiteral("The %1 you specified did not match the calculated checksum.")
                .arg(QString::fromLatin1(checksumAlgorithmName(body.checksumAlgorithm)))));

    auto stored = m_store->putObject(
        bucket, out.key, body, attributes, {}, origin, QStringLiteral("ObjectCreated:Post"));
    if (!stored)
        return refuse(stored.error());
    out.size = stored->size;

    // The answer the form asked for.
    const QByteArray etag = '"' + stored->etag + '"';
    const QByteArray location = objectLocation(request, bucket, out.key);
    HttpResponse &r = out.response;
    r.headers.add("etag", etag);
    r.headers.add("location", location);
    if (stored->checksumAlgorithm != ChecksumAlgorithm::None) {
        r.headers.add(checksumHeaderName(stored->checksumAlgorithm), stored->checksum);
        r.headers.add("x-amz-checksum-type", "FULL_OBJECT");
    }
    QByteArray redirect = upload->form.value("success_action_redirect");
    if (redirect.isEmpty())
        redirect = upload->form.value("redirect");
    const QUrl redirectUrl(QString::fromUtf8(redirect), QUrl::StrictMode);
    if (!redirect.isEmpty() && redirectUrl.isValid() && !redirectUrl.scheme().isEmpty()) {
        QByteArray target = redirect;
        target += redirect.contains('?') ? '&' : '?';
        target += "bucket=" + QUrl::toPercentEncoding(bucket)
            + "&key=" + out.key.toPercentEncoding() + "&etag=" + etag.toPercentEncoding();
        r.status = 303;
        r.headers.set("location", target);
        return out;
    }
    const QByteArray status = upload->form.value("success_action_status");
    if (status == "201") {
        r.status = 201;
        QByteArray xml;
        QXmlStreamWriter w(&xml);
        w.writeStartDocument();
        w.writeStartElement(QStringLiteral("PostResponse"));
        w.writeTextElement(QStringLiteral("Location"), QString::fromUtf8(location));
        w.writeTextElement(QStringLiteral("Bucket"), bucket);
        w.writeTextElement(QStringLiteral("Key"), QString::fromUtf8(out.key));
        w.writeTextElement(QStringLiteral("ETag"), QString::fromUtf8(etag));
        w.writeEndElement();
        w.writeEndDocument();
        r.headers.add("content-type", "application/xml");
        r.body = xml;
    } else {
        r.status = status == "200" ? 200 : 204;
    }
    return out;
}

} // namespace tarmac
