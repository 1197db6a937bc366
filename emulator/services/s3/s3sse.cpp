#include "services/s3/s3sse.h"

#include "services/s3/s3checksum.h"
#include "services/s3/s3errors.h"
#include "services/s3/s3xml.h"
#include "store/digest.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QUuid>
#include <QXmlStreamWriter>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <climits>
#include <cstring>

namespace tarmac::s3sse {

namespace {

const QByteArray kSse = QByteArrayLiteral("x-amz-server-side-encryption");
const QByteArray kKmsKeyId = QByteArrayLiteral("x-amz-server-side-encryption-aws-kms-key-id");
const QByteArray kContext = QByteArrayLiteral("x-amz-server-side-encryption-context");
const QByteArray kBucketKey = QByteArrayLiteral("x-amz-server-side-encryption-bucket-key-enabled");
const QByteArray kCustomerAlgorithm
    = QByteArrayLiteral("x-amz-server-side-encryption-customer-algorithm");
const QByteArray kCustomerKeyMd5
    = QByteArrayLiteral("x-amz-server-side-encryption-customer-key-md5");
// Internal to Tarmac: never a response header.
const QByteArray kStoredIv = QByteArrayLiteral("x-tarmac-sse-c-iv");
const QByteArray kStoredKeyCheck = QByteArrayLiteral("x-tarmac-sse-c-key-check");

Error invalidEncryptionAlgorithm()
{
    // S3's wording differs from its error table ("The encryption request that you specified is
    // not valid. The valid value is AES256."): this is what it sends.
    return makeError(QStringLiteral("InvalidEncryptionAlgorithmError"),
        QStringLiteral("The Encryption request you specified is not valid. Supported value: "
                       "AES256."));
}

Error kmsRequiresAwsKms()
{
    return s3errors::invalidArgument(
        QStringLiteral("Server Side Encryption with AWS KMS managed key requires HTTP header "
                       "x-amz-server-side-encryption : aws:kms"));
}

QByteArray base64Md5(QByteArrayView data)
{
    return Digest::hash(Digest::Algorithm::Md5, data).toBase64();
}

// The shape S3 demands of x-amz-server-side-encryption-context: base64 of a UTF-8 JSON object
// whose values are all strings.
bool isValidContext(const QByteArray &value)
{
    const auto decoded
        = QByteArray::fromBase64Encoding(value, QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.isEmpty())
        return false;
    QJsonParseError error;
    const QJsonDocument json = QJsonDocument::fromJson(decoded.decoded, &error);
    if (error.error != QJsonParseError::NoError || !json.isObject())
        return false;
    const QJsonObject object = json.object();
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (!it.value().isString())
            return false;
    }
    return true;
}

bool customerKeyMatches(const Encryption &object, QByteArrayView key)
{
    if (!object.customerKeyCheck.isEmpty())
        return keyMatches(object.customerKeyCheck, key);
    // An object stored without a check value can still be told apart by the key's MD5.
    return constantTimeEqual(base64Md5(key), object.customerKeyMd5);
}

// `size` in bytes, a multiple of 4. QRandomGenerator::system() reads the operating system's
// CSPRNG, which is what salts and counter blocks want.
QByteArray randomBytes(int size)
{
    QByteArray out(size, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(out.data()), size / 4);
    return out;
}

} // namespace

QByteArray algorithmName(Algorithm algorithm)
{
    switch (algorithm) {
    case Algorithm::None:
        return {};
    case Algorithm::Aes256:
        return QByteArrayLiteral("AES256");
    case Algorithm::Kms:
        return QByteArrayLiteral("aws:kms");
    case Algorithm::KmsDsse:
        return QByteArrayLiteral("aws:kms:dsse");
    }
    return {};
}

std::optional<Algorithm> algorithmFromName(QByteArrayView name)
{
    // Case matters: S3 refuses "aes256".
    if (name == "AES256")
        return Algorithm::Aes256;
    if (name == "aws:kms")
        return Algorithm::Kms;
    if (name == "aws:kms:dsse")
        return Algorithm::KmsDsse;
    return std::nullopt;
}

Result<std::optional<CustomerKey>> parseCustomerKey(
    const HeaderLookup &headers, KeyHeaders which, KeyUse use)
{
    const QByteArray prefix = which == KeyHeaders::Target
        ? QByteArrayLiteral("x-amz-server-side-encryption-customer-")
        : QByteArrayLiteral("x-amz-copy-source-server-side-encryption-customer-");
    const QByteArray algorithm = headers(QByteArray(prefix + "algorithm"));
    const QByteArray key = headers(QByteArray(prefix + "key"));
    const QByteArray keyMd5 = headers(QByteArray(prefix + "key-md5"));
    if (algorithm.isNull() && key.isNull() && keyMd5.isNull())
        return std::optional<CustomerKey>();

    if (algorithm.isNull())
        return s3errors::invalidArgument(
            QStringLiteral("Requests specifying Server Side Encryption with Customer provided "
                           "keys must provide a valid encryption algorithm."));
    if (algorithm != "AES256")
        return invalidEncryptionAlgorithm();
    if (key.isNull())
        return s3errors::invalidArgument(
            QStringLiteral("Requests specifying Server Side Encryption with Customer provided "
                           "keys must provide an appropriate secret key."));
    CustomerKey out;
    // Lenient on purpose: S3 skips characters outside the base64 alphabet (spaces, line breaks,
    // stray punctuation) and judges what is left by its MD5 and length.
    out.key = QByteArray::fromBase64(key);
    if (out.key.isEmpty())
        return s3errors::invalidArgument(QStringLiteral("The secret key was invalid - too short."));
    out.keyMd5 = base64Md5(out.key);
    if (keyMd5.isNull()) {
        if (use == KeyUse::Write)
            return s3errors::invalidArgument(
                QStringLiteral("Requests specifying Server Side Encryption with Customer "
                               "provided keys must provide the client calculated MD5 of the "
                               "secret key."));
    } else if (QByteArray::fromBase64(keyMd5).toBase64() != out.keyMd5) {
        return s3errors::invalidArgument(
            QStringLiteral("The calculated MD5 hash of the key did not match the hash that was "
                           "provided."));
    }
    // S3 checks the MD5 before the length: a 24-byte key with a wrong MD5 is an MD5 error.
    if (use == KeyUse::Write && out.key.size() != kKeySize)
        return s3errors::invalidArgument(
            QStringLiteral("The secret key was invalid for the specified algorithm."));
    return std::optional<CustomerKey>(std::move(out));
}

Result<Encryption> parseWriteRequest(const HeaderLookup &headers)
{
    const QByteArray sse = headers(kSse);
    const QByteArray kmsKeyId = headers(kKmsKeyId);
    const QByteArray context = headers(kContext);
    const QByteArray bucketKey = headers(kBucketKey);

    // Checked before anything about either kind, as S3 does.
    const bool anyCustomer = !headers(kCustomerAlgorithm).isNull()
        || !headers(QByteArrayLiteral("x-amz-server-side-encryption-customer-key")).isNull()
        || !headers(kCustomerKeyMd5).isNull();
    if (!sse.isNull() && anyCustomer)
        return s3errors::invalidArgument(
            QStringLiteral("Server Side Encryption with Customer provided key is incompatible "
                           "with the encryption method specified"));

    Encryption out;
    auto customer = parseCustomerKey(headers, KeyHeaders::Target, KeyUse::Write);
    if (!customer)
        return customer.error();
    if (customer->has_value()) {
        out.customerKey = std::move((*customer)->key);
        out.customerKeyMd5 = std::move((*customer)->keyMd5);
    }

    if (!sse.isNull()) {
        const auto algorithm = algorithmFromName(sse);
        if (!algorithm)
            return s3errors::invalidArgument(
                QStringLiteral("The encryption method specified is not supported"));
        out.algorithm = *algorithm;
    }
    const bool kms = out.algorithm == Algorithm::Kms || out.algorithm == Algorithm::KmsDsse;
    if ((!kmsKeyId.isNull() || !context.isNull()) && !kms)
        return kmsRequiresAwsKms();
    if (!context.isNull()) {
        if (!isValidContext(context))
            return s3errors::invalidArgument(
                QStringLiteral("The header 'x-amz-server-side-encryption-context' shall be "
                               "Base64-encoded UTF-8 string holding JSON which represents a "
                               "string-string map"));
        out.kmsContext = context;
    }
    out.kmsKeyId = kmsKeyId.trimmed();
    if (!bucketKey.isNull()) {
        const QByteArray flag = bucketKey.trimmed().toLower();
        if (flag != "true" && flag != "false")
            return s3errors::invalidArgument(
                QStringLiteral("x-amz-server-side-encryption-bucket-key-enabled must be true or "
                               "false"));
        out.bucketKeyEnabled = flag == "true";
    }
    return out;
}

Result<void> checkReadRequest(const HeaderLookup &headers)
{
    if (!headers(kSse).isNull())
        return s3errors::invalidArgument(
            QStringLiteral("x-amz-server-side-encryption header is not supported for this "
                           "operation."));
    return {};
}

Result<BucketEncryption> parseBucketEncryption(
    const QByteArray &document, const BucketEncryption &current)
{
    auto root = s3xml::parse(document);
    if (!root)
        return root.error();
    if (root->name != QLatin1String("ServerSideEncryptionConfiguration"))
        return s3errors::malformedXml(
            QStringLiteral("the root element must be ServerSideEncryptionConfiguration"));
    const XmlElement *rule = nullptr;
    for (const XmlElement &c : root->children) {
        if (c.name != QLatin1String("Rule"))
            continue;
        if (rule)
            return s3errors::malformedXml(QStringLiteral("only one Rule is allowed"));
        rule = &c;
    }
    if (!rule)
        return s3errors::malformedXml(QStringLiteral("a Rule is required"));

    const XmlElement *byDefault = rule->child(u"ApplyServerSideEncryptionByDefault");
    const XmlElement *blocked = rule->child(u"BlockedEncryptionTypes");
    const XmlElement *bucketKey = rule->child(u"BucketKeyEnabled");
    if (!byDefault && !blocked && !bucketKey)
        return s3errors::malformedXml(QStringLiteral("the Rule is empty"));

    BucketEncryption out;
    out.sseCBlocked = current.sseCBlocked;
    if (byDefault) {
        const XmlElement *algorithmElement = byDefault->child(u"SSEAlgorithm");
        if (!algorithmElement)
            return s3errors::malformedXml(QStringLiteral("SSEAlgorithm is required"));
        const auto algorithm = algorithmFromName(algorithmElement->text.trimmed().toUtf8());
        if (!algorithm)
            return s3errors::malformedXml(QStringLiteral("SSEAlgorithm is not valid"));
        out.algorithm = *algorithm;
        if (const XmlElement *key = byDefault->child(u"KMSMasterKeyID")) {
            if (out.algorithm == Algorithm::Aes256)
                return s3errors::invalidArgument(
                    QStringLiteral("a KMSMasterKeyID is not applicable if the default sse "
                                   "algorithm is not aws:kms or aws:kms:dsse"));
            out.kmsMasterKeyId = key->text.trimmed().toUtf8();
        }
    }
    if (bucketKey) {
        const QString flag = bucketKey->text.trimmed();
        if (flag != QLatin1String("true") && flag != QLatin1String("false"))
            return s3errors::malformedXml(QStringLiteral("BucketKeyEnabled must be a boolean"));
        out.bucketKeyEnabled = flag == QLatin1String("true");
    }
    if (blocked) {
        bool sseC = false;
        bool none = false;
        for (const XmlElement &type : blocked->children) {
            if (type.name != QLatin1String("EncryptionType"))
                continue;
            const QString value = type.text.trimmed();
            if (value == QLatin1String("SSE-C"))
                sseC = true;
            else if (value == QLatin1String("NONE"))
                none = true;
            else
                return s3errors::malformedXml(QStringLiteral("EncryptionType is NONE or SSE-C"));
        }
        if (sseC && none)
            return s3errors::malformedXml(
                QStringLiteral("EncryptionType NONE cannot be combined with SSE-C"));
        out.sseCBlocked = sseC;
    }
    return out;
}

QByteArray renderBucketEncryption(const BucketEncryption &configuration)
{
    QByteArray out;
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("ServerSideEncryptionConfiguration"));
    w.writeStartElement(QStringLiteral("Rule"));
    w.writeStartElement(QStringLiteral("ApplyServerSideEncryptionByDefault"));
    w.writeTextElement(QStringLiteral("SSEAlgorithm"),
        QString::fromLatin1(algorithmName(configuration.algorithm)));
    if (!configuration.kmsMasterKeyId.isEmpty())
        w.writeTextElement(
            QStringLiteral("KMSMasterKeyID"), QString::fromUtf8(configuration.kmsMasterKeyId));
    w.writeEndElement();
    w.writeTextElement(QStringLiteral("BucketKeyEnabled"),
        configuration.bucketKeyEnabled ? QStringLiteral("true") : QStringLiteral("false"));
    // S3 has reported the block either way since it introduced it, NONE included.
    w.writeStartElement(QStringLiteral("BlockedEncryptionTypes"));
    w.writeTextElement(QStringLiteral("EncryptionType"),
        configuration.sseCBlocked ? QStringLiteral("SSE-C") : QStringLiteral("NONE"));
    w.writeEndElement();
    w.writeEndElement();
    s3xml::endDocument(w);
    return out;
}

QByteArray kmsKeyArn(QByteArrayView keyId, const KmsScope &scope)
{
    const QByteArray id = keyId.trimmed().toByteArray();
    if (id.startsWith("arn:"))
        return id;
    const QByteArray prefix
        = "arn:aws:kms:" + scope.region.toUtf8() + ':' + scope.accountId.toUtf8() + ':';
    if (id.isEmpty() || id == "alias/aws/s3") {
        // The AWS managed key aws/s3: one per account and region, created on first use. Its id
        // is derived from both, so that every object of an account reports the same key.
        static const QUuid ns
            = QUuid::fromString(QLatin1String("7d1f6c3e-5b0a-4f5e-9c61-2a8e4b7d90c3"));
        const QUuid managed = QUuid::createUuidV5(
            ns, QStringLiteral("aws/s3:") + scope.region + u':' + scope.accountId);
        return prefix + "key/" + managed.toString(QUuid::WithoutBraces).toLatin1();
    }
    if (id.startsWith("alias/"))
        return prefix + id;
    return prefix + "key/" + id;
}

Encryption resolveWrite(Encryption requested, const BucketEncryption &bucket, const KmsScope &scope)
{
    Encryption out = std::move(requested);
    if (out.isCustomer()) {
        out.algorithm = Algorithm::None;
        out.kmsKeyId.clear();
        out.kmsContext.clear();
        out.bucketKeyEnabled = false;
        out.customerIv = newIv();
        out.customerKeyCheck = keyCheckValue(out.customerKey);
        return out;
    }
    if (out.algorithm == Algorithm::None) {
        // S3 encrypts every new object since January 2023: at least with SSE-S3.
        out.algorithm = bucket.algorithm;
        out.kmsKeyId = bucket.kmsMasterKeyId;
        out.kmsContext.clear();
    }
    if (out.algorithm == Algorithm::Kms || out.algorithm == Algorithm::KmsDsse) {
        out.kmsKeyId = kmsKeyArn(out.kmsKeyId, scope);
    } else {
        out.kmsKeyId.clear();
        out.kmsContext.clear();
    }
    // Bucket keys exist for aws:kms only (not DSSE, and SSE-S3 objects never report one, even
    // under a default that asks for it).
    if (out.algorithm != Algorithm::Kms)
        out.bucketKeyEnabled = false;
    else if (!out.bucketKeyEnabled)
        out.bucketKeyEnabled = bucket.bucketKeyEnabled;
    return out;
}

Result<void> checkNotBlocked(const BucketEncryption &bucket, const Encryption &requested,
    const QString &principalArn, const QString &action, const QString &resourceArn)
{
    if (!bucket.sseCBlocked || !requested.isCustomer())
        return {};
    return s3errors::accessDenied(
        QStringLiteral("User: %1 is not authorized to perform: %2 on resource: \"%3\" because "
                       "this bucket has blocked upload requests that specify Server Side "
                       "Encryption with Customer provided keys (SSE-C). Please specify a "
                       "different server-side encryption type")
            .arg(principalArn, action, resourceArn));
}

Result<void> checkRead(const Encryption &object, const std::optional<CustomerKey> &sent)
{
    if (!object.isCustomer()) {
        if (sent)
            return s3errors::invalidRequest(
                QStringLiteral("The encryption parameters are not applicable to this object."));
        return {};
    }
    if (!sent)
        return s3errors::invalidRequest(
            QStringLiteral("The object was stored using a form of Server Side Encryption. The "
                           "correct parameters must be provided to retrieve the object."));
    if (!customerKeyMatches(object, sent->key))
        return s3errors::accessDenied(
            QStringLiteral("Requests specifying Server Side Encryption with Customer provided "
                           "keys must provide the correct secret key."));
    return {};
}

Result<void> checkUploadPart(const Encryption &upload, const std::optional<CustomerKey> &sent)
{
    if (upload.isCustomer() != sent.has_value())
        return s3errors::invalidRequest(
            QStringLiteral("The multipart upload initiate requested encryption. Subsequent part "
                           "requests must include the appropriate encryption parameters."));
    if (sent && !customerKeyMatches(upload, sent->key))
        return s3errors::invalidRequest(
            QStringLiteral("The provided encryption parameters did not match the ones used "
                           "originally."));
    return {};
}

QList<std::pair<QByteArray, QByteArray>> responseHeaders(
    const Encryption &encryption, Operation operation)
{
    QList<std::pair<QByteArray, QByteArray>> out;
    if (encryption.isCustomer()) {
        // CompleteMultipartUpload's answer has no SSE-C members in S3's API.
        if (operation != Operation::CompleteMultipartUpload) {
            out.append({kCustomerAlgorithm, QByteArrayLiteral("AES256")});
            out.append({QByteArrayLiteral("x-amz-server-side-encryption-customer-key-MD5"),
                encryption.customerKeyMd5});
        }
        return out;
    }
    if (encryption.algorithm == Algorithm::None)
        return out;
    out.append({kSse, algorithmName(encryption.algorithm)});
    if (!encryption.kmsKeyId.isEmpty())
        out.append({kKmsKeyId, encryption.kmsKeyId});
    const bool echoesContext = operation == Operation::PutObject
        || operation == Operation::CopyObject || operation == Operation::CreateMultipartUpload;
    if (echoesContext && !encryption.kmsContext.isEmpty())
        out.append({kContext, encryption.kmsContext});
    // S3 leaves the header out rather than say false.
    if (encryption.bucketKeyEnabled.value_or(false))
        out.append({kBucketKey, QByteArrayLiteral("true")});
    return out;
}

QList<std::pair<QByteArray, QByteArray>> storedForm(const Encryption &encryption)
{
    QList<std::pair<QByteArray, QByteArray>> out;
    if (encryption.isCustomer()) {
        out.append({kCustomerAlgorithm, QByteArrayLiteral("AES256")});
        out.append({kCustomerKeyMd5, encryption.customerKeyMd5});
        if (!encryption.customerIv.isEmpty())
            out.append({kStoredIv, encryption.customerIv.toBase64()});
        if (!encryption.customerKeyCheck.isEmpty())
            out.append({kStoredKeyCheck, encryption.customerKeyCheck.toBase64()});
        return out;
    }
    if (encryption.algorithm == Algorithm::None)
        return out;
    out.append({kSse, algorithmName(encryption.algorithm)});
    if (!encryption.kmsKeyId.isEmpty())
        out.append({kKmsKeyId, encryption.kmsKeyId});
    if (!encryption.kmsContext.isEmpty())
        out.append({kContext, encryption.kmsContext});
    if (encryption.bucketKeyEnabled.value_or(false))
        out.append({kBucketKey, QByteArrayLiteral("true")});
    return out;
}

Encryption fromStoredForm(const QList<std::pair<QByteArray, QByteArray>> &pairs)
{
    Encryption out;
    for (const auto &[name, value] : pairs) {
        if (name == kSse)
            out.algorithm = algorithmFromName(value).value_or(Algorithm::None);
        else if (name == kKmsKeyId)
            out.kmsKeyId = value;
        else if (name == kContext)
            out.kmsContext = value;
        else if (name == kBucketKey)
            out.bucketKeyEnabled = value == "true";
        else if (name == kCustomerKeyMd5)
            out.customerKeyMd5 = value;
        else if (name == kStoredIv)
            out.customerIv = QByteArray::fromBase64(value);
        else if (name == kStoredKeyCheck)
            out.customerKeyCheck = QByteArray::fromBase64(value);
    }
    return out;
}

QByteArray keyCheckValue(QByteArrayView key)
{
    const QByteArray salt = randomBytes(16);
    return salt + hmacSha256(salt, key);
}

bool keyMatches(QByteArrayView checkValue, QByteArrayView key)
{
    if (checkValue.size() != 16 + 32)
        return false;
    return constantTimeEqual(checkValue.sliced(16), hmacSha256(checkValue.first(16), key));
}

QByteArray newIv()
{
    return randomBytes(kIvSize);
}

namespace {

// Fetched once: OpenSSL 3 would otherwise look the implementation up on every object.
const EVP_CIPHER *aes256Ctr()
{
    static EVP_CIPHER *const fetched = EVP_CIPHER_fetch(nullptr, "AES-256-CTR", nullptr);
    return fetched ? fetched : EVP_aes_256_ctr();
}

} // namespace

CustomerCipher::CustomerCipher(QByteArrayView key, QByteArrayView iv)
{
    if (key.size() != kKeySize || iv.size() != kIvSize)
        return;
    std::memcpy(m_key, key.data(), kKeySize);
    std::memcpy(m_iv, iv.data(), kIvSize);
    auto *ctx = EVP_CIPHER_CTX_new();
    if (!ctx)
        return;
    // The key schedule is made once; seek() only replaces the counter block.
    if (EVP_EncryptInit_ex(ctx, aes256Ctr(), nullptr, m_key, m_iv) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        return;
    }
    m_ctx = ctx;
    m_position = 0;
}

CustomerCipher::~CustomerCipher()
{
    EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX *>(m_ctx));
    OPENSSL_cleanse(m_key, sizeof m_key);
}

void CustomerCipher::seek(qint64 offset)
{
    unsigned char counter[kIvSize];
    std::memcpy(counter, m_iv, kIvSize);
    // counter += offset / 16, big-endian over all 128 bits (OpenSSL's CTR carries across the
    // whole block too, so a seek lands where a stream from 0 would be).
    quint64 add = quint64(offset) / 16;
    unsigned carry = 0;
    for (int i = kIvSize - 1; i >= 0 && (add || carry); --i) {
        const unsigned sum = unsigned(counter[i]) + unsigned(add & 0xFF) + carry;
        counter[i] = static_cast<unsigned char>(sum);
        carry = sum >> 8;
        add >>= 8;
    }
    auto *ctx = static_cast<EVP_CIPHER_CTX *>(m_ctx);
    EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, counter);
    const int skip = int(offset % 16);
    if (skip) {
        unsigned char scratch[16] = {};
        int written = 0;
        EVP_EncryptUpdate(ctx, scratch, &written, scratch, skip);
    }
    m_position = offset;
}

void CustomerCipher::apply(char *data, qsizetype size, qint64 offset)
{
    if (!m_ctx || size <= 0 || offset < 0)
        return;
    if (offset != m_position)
        seek(offset);
    auto *ctx = static_cast<EVP_CIPHER_CTX *>(m_ctx);
    auto *p = reinterpret_cast<unsigned char *>(data);
    qsizetype left = size;
    while (left > 0) {
        // EVP takes int lengths; CTR writes exactly as many bytes as it reads, in place.
        const int n = int(std::min<qsizetype>(left, INT_MAX - 16));
        int written = 0;
        EVP_EncryptUpdate(ctx, p, &written, p, n);
        p += n;
        left -= n;
    }
    m_position = offset + size;
}

} // namespace tarmac::s3sse
