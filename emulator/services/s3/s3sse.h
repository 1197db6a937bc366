#pragma once

#include "base/result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <functional>
#include <optional>
#include <utility>

namespace tarmac::s3sse {

// S3's server-side encryption, as the wire sees it: the x-amz-server-side-encryption* headers
// of object requests, the bucket's default (PutBucketEncryption), which headers each answer
// echoes, and the checks S3 makes before it reads or writes an SSE-C object. Also the cipher
// Tarmac keeps SSE-C bodies under, so that an SSE-C object really cannot be read without its
// key.
//
// What it does not do: SSE-S3 and SSE-KMS bodies are stored as they came (the headers and the
// answers are S3's, the bytes on disk are plain); no KMS is asked, so any key id is accepted
// where S3 answers KMS.NotFoundException for a key that does not exist; encryption contexts
// are checked for shape only; SSE-C is accepted over plain HTTP, where S3 requires TLS.

enum class Algorithm { None, Aes256, Kms, KmsDsse };

// "AES256", "aws:kms", "aws:kms:dsse"; empty for None.
QByteArray algorithmName(Algorithm algorithm);
// The inverse; nullopt for anything S3 does not take on a general purpose bucket (aws:fsx and
// aws:backup are in the model's enum but belong to other services' access points).
std::optional<Algorithm> algorithmFromName(QByteArrayView name);

// A request header by its lower-case name: a null QByteArray when the request does not have it,
// an empty (not null) one when it was sent empty. S3 tells those apart.
using HeaderLookup = std::function<QByteArray(QByteArrayView lowerCaseName)>;

// An SSE-C key as one request sent it, checked against its MD5.
struct CustomerKey
{
    QByteArray key; // the raw key; 32 bytes on writes, possibly not on reads (see parseCustomerKey)
    QByteArray keyMd5; // base64 of MD5(key), as S3 echoes it
};

// An object's (or a multipart upload's) encryption. SSE-S3/KMS and SSE-C are exclusive: an
// SSE-C object has `algorithm` None and `customerKeyMd5` set.
struct Encryption
{
    Algorithm algorithm = Algorithm::None;
    QByteArray kmsKeyId; // an ARN once resolveWrite() has run
    QByteArray kmsContext; // base64 of a JSON string map, as the client sent it
    // Unset on a request that did not say, so that resolveWrite() can take the bucket's.
    std::optional<bool> bucketKeyEnabled;

    QByteArray customerKeyMd5; // base64; non-empty for SSE-C
    // The raw customer key, for the one request that carries it: never stored (storedForm()
    // leaves it out), never rendered. S3 forgets it once the request is done, and so must we.
    QByteArray customerKey;
    // Stored with an SSE-C object: the cipher's 16-byte initial counter block (random, not
    // secret) and the key check value (see keyCheckValue()).
    QByteArray customerIv;
    QByteArray customerKeyCheck;

    bool isCustomer() const { return !customerKeyMd5.isEmpty(); }
    bool isEncrypted() const { return algorithm != Algorithm::None || isCustomer(); }
};

enum class KeyHeaders {
    Target, // x-amz-server-side-encryption-customer-*
    CopySource, // x-amz-copy-source-server-side-encryption-customer-*
};
enum class KeyUse {
    // PutObject, CopyObject's target, CreateMultipartUpload, UploadPart, POST: the MD5 is
    // required and a key that is not 256 bits is refused.
    Write,
    // GetObject, HeadObject, a copy's source: S3 takes a key without its MD5, and a key of the
    // wrong length is simply not the object's key (403 from checkRead()).
    Read,
};

// The SSE-C trio; nullopt when none of the three was sent. Errors, in S3's order:
// InvalidArgument when the algorithm is missing, InvalidEncryptionAlgorithmError when it is not
// AES256, InvalidArgument when the key is missing or decodes to nothing, when (Write) the MD5
// is missing, when the MD5 does not match, and (Write) when the key is not 256 bits. The key is
// decoded leniently (characters outside base64 skipped), as S3 does.
Result<std::optional<CustomerKey>> parseCustomerKey(
    const HeaderLookup &headers, KeyHeaders which, KeyUse use);

// What a request that creates an object asks for (PutObject, POST's form fields, CopyObject's
// target, CreateMultipartUpload), before the bucket's default applies: x-amz-server-side-
// encryption with its KMS key id, context and bucket key flag, or the SSE-C trio. Refuses SSE
// and SSE-C together, an unknown or empty algorithm, a KMS key id or context without aws:kms
// (or aws:kms:dsse), a context that is not base64 of a JSON object of strings, and a bucket
// key flag that is not true or false.
Result<Encryption> parseWriteRequest(const HeaderLookup &headers);

// GetObject and HeadObject refuse x-amz-server-side-encryption: an object's encryption is not
// chosen when it is read (400 InvalidArgument).
Result<void> checkReadRequest(const HeaderLookup &headers);

// A bucket's default encryption (ServerSideEncryptionConfiguration, one Rule). A bucket that
// never had one behaves as SSE-S3, and DeleteBucketEncryption returns it to that: {}.
struct BucketEncryption
{
    Algorithm algorithm = Algorithm::Aes256;
    QByteArray kmsMasterKeyId; // as configured: GetBucketEncryption echoes it unexpanded
    bool bucketKeyEnabled = false;
    // BlockedEncryptionTypes holds SSE-C. S3 sets it on buckets made since April 2026; Tarmac
    // leaves that to the caller (a fresh {} allows SSE-C, as S3 did before).
    bool sseCBlocked = false;

    friend bool operator==(const BucketEncryption &, const BucketEncryption &) = default;
};

// PutBucketEncryption's body. MalformedXML for anything but one Rule, a Rule with nothing in
// it, a missing or unknown SSEAlgorithm, an unknown EncryptionType or a BucketKeyEnabled that
// is not a boolean; InvalidArgument for a KMSMasterKeyID with AES256. A document without
// BlockedEncryptionTypes keeps `current`'s block, as S3 does.
Result<BucketEncryption> parseBucketEncryption(
    const QByteArray &document, const BucketEncryption &current = {});
// GetBucketEncryption's answer.
QByteArray renderBucketEncryption(const BucketEncryption &configuration);

// Where a KMS key id is expanded to an ARN.
struct KmsScope
{
    QString region;
    QString accountId;
};
// S3's report of a KMS key: an ARN stays as it is; "alias/x" and bare key ids become ARNs in
// the bucket's region and account; none (and alias/aws/s3) is the account's AWS managed key
// for S3, whose id is stable for an account and region.
QByteArray kmsKeyArn(QByteArrayView keyId, const KmsScope &scope);

// The encryption a new object (or upload) gets: the request's when it named one, the bucket's
// default otherwise; KMS key ids as ARNs, the bucket key flag of the bucket when an aws:kms
// request did not say, no bucket key for anything but aws:kms. SSE-C gets a fresh IV and its
// key check value (the key stays, for this request's body). Ask checkNotBlocked() first.
Encryption resolveWrite(
    Encryption requested, const BucketEncryption &bucket, const KmsScope &scope);

// 403 AccessDenied for an SSE-C write (PutObject, CopyObject, POST, CreateMultipartUpload,
// UploadPart, CompleteMultipartUpload) to a bucket that blocks SSE-C, with S3's message naming
// the principal, the action ("s3:PutObject") and the resource ARN.
Result<void> checkNotBlocked(const BucketEncryption &bucket, const Encryption &requested,
    const QString &principalArn, const QString &action, const QString &resourceArn);

// Before an object's bytes or metadata are returned (GET, HEAD, a copy's source):
// 400 InvalidRequest for an SSE-C object read without its key, 403 AccessDenied with the wrong
// key, 400 InvalidRequest for a key sent for an object that is not SSE-C.
Result<void> checkRead(const Encryption &object, const std::optional<CustomerKey> &sent);
// UploadPart (and UploadPartCopy's target) against its upload's encryption: the parts of an
// SSE-C upload carry the upload's key, and the parts of any other upload carry none.
Result<void> checkUploadPart(const Encryption &upload, const std::optional<CustomerKey> &sent);

enum class Operation {
    PutObject,
    PostObject,
    CopyObject,
    CreateMultipartUpload,
    UploadPart,
    UploadPartCopy,
    CompleteMultipartUpload,
    GetObject,
    HeadObject,
};
// The headers an answer carries about the object's encryption (names as S3 writes them):
// SSE-C: the algorithm and key MD5 (not on CompleteMultipartUpload); otherwise the algorithm,
// the KMS key id, the context (PutObject, CopyObject and CreateMultipartUpload only) and
// bucket-key-enabled when it is true.
QList<std::pair<QByteArray, QByteArray>> responseHeaders(
    const Encryption &encryption, Operation operation);

// What to keep with the object: its encryption as name/value pairs (lower-case header names
// where there is one, x-tarmac-sse-c-* for the IV and the key check value). This is not the
// set of response headers (the context and the internals must never be echoed on a GET; ask
// responseHeaders()), and it never holds the customer key.
QList<std::pair<QByteArray, QByteArray>> storedForm(const Encryption &encryption);
Encryption fromStoredForm(const QList<std::pair<QByteArray, QByteArray>> &pairs);

// The value stored to recognise an SSE-C key later: a random 16-byte salt followed by
// HMAC-SHA256(salt, key), as S3 documents ("a randomly salted HMAC value of the encryption
// key"). It cannot be turned back into the key; keyMatches() compares in constant time.
QByteArray keyCheckValue(QByteArrayView key);
bool keyMatches(QByteArrayView checkValue, QByteArrayView key);

constexpr int kKeySize = 32;
constexpr int kIvSize = 16;

// A fresh random initial counter block for CustomerCipher.
QByteArray newIv();

// AES-256-CTR over an SSE-C body, keyed by the customer key. The IV is random per object (per
// part for a multipart upload, as a part's offset in the object is not known until it
// completes) and stored with it. CTR makes any byte range independently readable: the counter
// block for byte o is IV + o/16 (a 128-bit big-endian sum), of which the first o%16 bytes of
// keystream are skipped. Encrypting and decrypting are the same operation. Consecutive calls
// continue the keystream without re-keying, so streaming costs nothing extra.
//
// CTR has no integrity of its own: a body altered on disk decrypts to garbage rather than
// failing. The stored SHA-256 of the ciphertext (the blob's name) is what notices that.
class CustomerCipher
{
public:
    // `key` must be kKeySize bytes and `iv` kIvSize bytes (resolveWrite() guarantees both).
    CustomerCipher(QByteArrayView key, QByteArrayView iv);
    ~CustomerCipher();
    CustomerCipher(const CustomerCipher &) = delete;
    CustomerCipher &operator=(const CustomerCipher &) = delete;

    bool isValid() const { return m_ctx != nullptr; }
    // XORs the keystream for object bytes [offset, offset + size) into `data`, in place.
    void apply(char *data, qsizetype size, qint64 offset);
    void apply(QByteArray &data, qint64 offset) { apply(data.data(), data.size(), offset); }

private:
    void seek(qint64 offset);

    void *m_ctx = nullptr; // EVP_CIPHER_CTX
    unsigned char m_key[kKeySize] = {};
    unsigned char m_iv[kIvSize] = {};
    qint64 m_position = -1; // the offset the keystream is at; -1 before the first seek
};

} // namespace tarmac::s3sse
