#include "services/s3/s3sse.h"

#include <QRandomGenerator>
#include <QTest>

using namespace tarmac;
using namespace tarmac::s3sse;

namespace {

// ceph s3-tests' two keys and their MD5s.
const QByteArray kKeyA = "pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs=";
const QByteArray kKeyAMd5 = "DWygnHRtgiJ77HCm+1rvHw==";
const QByteArray kKeyB = "6b+WOZ1T3cqZMxgThRcXAQBrS5mXKdDUphvpxptl9/4=";
const QByteArray kKeyBMd5 = "arxBvwY2V4SiOne6yppVPQ==";
// "1234567890" (10 bytes) and its MD5.
const QByteArray kShortKey = "MTIzNDU2Nzg5MA==";
const QByteArray kShortKeyMd5 = "6Afx/PgtEy+bsBjKZzihnw==";

// Headers written as "name: value" lines; "name:" alone is a header sent empty.
HeaderLookup lookup(const QByteArray &lines)
{
    QList<std::pair<QByteArray, QByteArray>> headers;
    for (const QByteArray &line : lines.split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        // Header values may hold colons themselves ("aws:kms"): split at the first ": " or at
        // a trailing colon.
        const qsizetype sep = line.indexOf(": ");
        if (sep > 0)
            headers.append({line.left(sep).toLower(), line.mid(sep + 2)});
        else
            headers.append({line.left(line.size() - 1).toLower(), QByteArray("")});
    }
    return [headers](QByteArrayView name) {
        for (const auto &[n, v] : headers) {
            if (n == name)
                return v;
        }
        return QByteArray();
    };
}

QByteArray sseC(const QByteArray &key, const QByteArray &md5, const char *prefix = "x-amz-")
{
    const QByteArray p = QByteArray(prefix) + "server-side-encryption-customer-";
    return p + "algorithm: AES256\n" + p + "key: " + key + '\n' + p + "key-MD5: " + md5 + '\n';
}

// The key of a read request, sent without its MD5 (which reads allow).
CustomerKey customerKey(const QByteArray &base64Key)
{
    const auto parsed
        = parseCustomerKey(lookup("x-amz-server-side-encryption-customer-algorithm: AES256\n"
                                  "x-amz-server-side-encryption-customer-key: "
                               + base64Key),
            KeyHeaders::Target, KeyUse::Read);
    return parsed ? parsed->value_or(CustomerKey()) : CustomerKey();
}

// An SSE-C object written with one of the keys above.
Encryption sseCObject(const QByteArray &base64Key, const QByteArray &md5)
{
    const auto requested = parseWriteRequest(lookup(sseC(base64Key, md5)));
    return requested ? s3sse::resolveWrite(*requested, {}, {}) : Encryption();
}

QByteArray fromHex(const char *hex)
{
    return QByteArray::fromHex(QByteArray(hex));
}

} // namespace

class TestS3Sse : public QObject
{
    Q_OBJECT
private slots:
    void writeRequest_data();
    void writeRequest();
    void writeRequestValues();
    void readKey_data();
    void readKey();
    void copySourceKey();
    void readRequestRefusesSse();
    void checkRead_data();
    void checkRead();
    void uploadPart();
    void kmsKeyArn_data();
    void kmsKeyArn();
    void resolveWrite();
    void blocked();
    void responseHeaders_data();
    void responseHeaders();
    void storedFormRoundTrip();
    void bucketEncryption_data();
    void bucketEncryption();
    void bucketEncryptionRoundTrip();
    void keyCheckValue();
    void cipherKnownAnswer();
    void cipherRanges_data();
    void cipherRanges();
    void cipherCounterCarry();
    void cipherRefusesBadKeys();
};

void TestS3Sse::writeRequest_data()
{
    QTest::addColumn<QByteArray>("headers");
    QTest::addColumn<QString>("code"); // empty: accepted

    QTest::newRow("nothing") << QByteArray() << QString();
    QTest::newRow("AES256") << QByteArray("x-amz-server-side-encryption: AES256") << QString();
    QTest::newRow("aws:kms with a key")
        << QByteArray("x-amz-server-side-encryption: aws:kms\n"
                      "x-amz-server-side-encryption-aws-kms-key-id: testkey-1")
        << QString();
    // S3 uses the AWS managed key (ceph's test_sse_kms_no_key expects an error: ceph's own).
    QTest::newRow("aws:kms without a key")
        << QByteArray("x-amz-server-side-encryption: aws:kms") << QString();
    QTest::newRow("aws:kms:dsse") << QByteArray("x-amz-server-side-encryption: aws:kms:dsse")
                                  << QString();
    QTest::newRow("aes:kms (test_put_obj_enc_conflict_bad_enc_kms)")
        << QByteArray("x-amz-server-side-encryption: aes:kms") << QStringLiteral("InvalidArgument");
    QTest::newRow("empty algorithm (test_sse_empty_algorithm)")
        << QByteArray("x-amz-server-side-encryption:") << QStringLiteral("InvalidArgument");
    QTest::newRow("lower-case aes256")
        << QByteArray("x-amz-server-side-encryption: aes256") << QStringLiteral("InvalidArgument");
    QTest::newRow("aws:fsx on a bucket")
        << QByteArray("x-amz-server-side-encryption: aws:fsx") << QStringLiteral("InvalidArgument");
    QTest::newRow("AES256 with a KMS key (test_put_obj_enc_conflict_s3_kms)")
        << QByteArray("x-amz-server-side-encryption: AES256\n"
                      "x-amz-server-side-encryption-aws-kms-key-id: testkey-1")
        << QStringLiteral("InvalidArgument");
    QTest::newRow("KMS key alone (test_sse_kms_not_declared)")
        << QByteArray("x-amz-server-side-encryption-aws-kms-key-id: testkey-2")
        << QStringLiteral("InvalidArgument");
    QTest::newRow("context without aws:kms")
        << QByteArray("x-amz-server-side-encryption-context: eyJhIjoiYiJ9")
        << QStringLiteral("InvalidArgument");
    QTest::newRow("context") << QByteArray("x-amz-server-side-encryption: aws:kms\n"
                                           "x-amz-server-side-encryption-context: eyJhIjoiYiJ9")
                             << QString();
    QTest::newRow("context not base64")
        << QByteArray("x-amz-server-side-encryption: aws:kms\n"
                      "x-amz-server-side-encryption-context: {\"a\":\"b\"}")
        << QStringLiteral("InvalidArgument");
    // {"a":1}: not a string map.
    QTest::newRow("context with a number")
        << QByteArray("x-amz-server-side-encryption: aws:kms\n"
                      "x-amz-server-side-encryption-context: eyJhIjoxfQ==")
        << QStringLiteral("InvalidArgument");
    QTest::newRow("bucket key TRUE")
        << QByteArray("x-amz-server-side-encryption: aws:kms\n"
                      "x-amz-server-side-encryption-bucket-key-enabled: TRUE")
        << QString();
    QTest::newRow("bucket key yes")
        << QByteArray("x-amz-server-side-encryption: aws:kms\n"
                      "x-amz-server-side-encryption-bucket-key-enabled: yes")
        << QStringLiteral("InvalidArgument");

    QTest::newRow("SSE-C") << sseC(kKeyA, kKeyAMd5) << QString();
    QTest::newRow("SSE-C, key with spaces")
        << sseC(kKeyA.left(20) + "  " + kKeyA.mid(20), kKeyAMd5) << QString();
    QTest::newRow("SSE-C, wrong MD5 (test_encryption_sse_c_invalid_md5)")
        << sseC(kKeyA, "AAAAAAAAAAAAAAAAAAAAAA==") << QStringLiteral("InvalidArgument");
    QTest::newRow("SSE-C, no MD5 (test_encryption_sse_c_no_md5)") << QByteArray(
        "x-amz-server-side-encryption-customer-algorithm: AES256\n"
        "x-amz-server-side-encryption-customer-key: "
        + kKeyA) << QStringLiteral("InvalidArgument");
    QTest::newRow("SSE-C, no key (test_encryption_sse_c_no_key)")
        << QByteArray("x-amz-server-side-encryption-customer-algorithm: AES256")
        << QStringLiteral("InvalidArgument");
    QTest::newRow("SSE-C, no algorithm (test_encryption_key_no_sse_c)")
        << QByteArray("x-amz-server-side-encryption-customer-key: " + kKeyA
               + "\nx-amz-server-side-encryption-customer-key-MD5: " + kKeyAMd5)
        << QStringLiteral("InvalidArgument");
    QTest::newRow("SSE-C, AES128")
        << QByteArray("x-amz-server-side-encryption-customer-algorithm: AES128\n"
                      "x-amz-server-side-encryption-customer-key: "
               + kKeyA + "\nx-amz-server-side-encryption-customer-key-MD5: " + kKeyAMd5)
        << QStringLiteral("InvalidEncryptionAlgorithmError");
    QTest::newRow("SSE-C, 10-byte key with its MD5")
        << sseC(kShortKey, kShortKeyMd5) << QStringLiteral("InvalidArgument");
    QTest::newRow("SSE-C, key decodes to nothing")
        << sseC("####", kKeyAMd5) << QStringLiteral("InvalidArgument");
    QTest::newRow("SSE-C and AES256 (test_put_obj_enc_conflict_c_s3)")
        << QByteArray(sseC(kKeyA, kKeyAMd5) + "x-amz-server-side-encryption: AES256")
        << QStringLiteral("InvalidArgument");
    QTest::newRow("SSE-C and aws:kms (test_put_obj_enc_conflict_c_kms)")
        << QByteArray(sseC(kKeyA, kKeyAMd5) + "x-amz-server-side-encryption: aws:kms")
        << QStringLiteral("InvalidArgument");
    QTest::newRow("SSE-C copy-source headers are not the target's")
        << sseC(kKeyA, kKeyAMd5, "x-amz-copy-source-") << QString();
}

void TestS3Sse::writeRequest()
{
    QFETCH(QByteArray, headers);
    QFETCH(QString, code);
    const auto parsed = parseWriteRequest(lookup(headers));
    if (code.isEmpty()) {
        QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
        return;
    }
    QVERIFY(!parsed);
    QCOMPARE(parsed.error().code, code);
    QCOMPARE(parsed.error().httpStatus, 400);
}

void TestS3Sse::writeRequestValues()
{
    auto kms = parseWriteRequest(lookup("x-amz-server-side-encryption: aws:kms\n"
                                        "x-amz-server-side-encryption-aws-kms-key-id: testkey-1\n"
                                        "x-amz-server-side-encryption-context: eyJhIjoiYiJ9\n"
                                        "x-amz-server-side-encryption-bucket-key-enabled: false"));
    QVERIFY(kms);
    QCOMPARE(kms->algorithm, Algorithm::Kms);
    QCOMPARE(kms->kmsKeyId, QByteArray("testkey-1"));
    QCOMPARE(kms->kmsContext, QByteArray("eyJhIjoiYiJ9"));
    QCOMPARE(kms->bucketKeyEnabled, std::optional<bool>(false));
    QVERIFY(!kms->isCustomer());

    auto plain = parseWriteRequest(lookup("x-amz-server-side-encryption: aws:kms"));
    QVERIFY(plain);
    QVERIFY(!plain->bucketKeyEnabled.has_value());

    auto c = parseWriteRequest(lookup(sseC(kKeyA, kKeyAMd5)));
    QVERIFY(c);
    QVERIFY(c->isCustomer());
    QCOMPARE(c->algorithm, Algorithm::None);
    QCOMPARE(c->customerKeyMd5, kKeyAMd5);
    QCOMPARE(c->customerKey, QByteArray::fromBase64(kKeyA));
    QCOMPARE(c->customerKey.size(), kKeySize);

    // The messages S3 sends for the two most common mistakes.
    auto wrongMd5 = parseWriteRequest(lookup(sseC(kKeyA, kKeyBMd5)));
    QVERIFY(!wrongMd5);
    QCOMPARE(wrongMd5.error().message,
        QStringLiteral("The calculated MD5 hash of the key did not match the hash that was "
                       "provided."));
    auto shortKey = parseWriteRequest(lookup(sseC(kShortKey, kShortKeyMd5)));
    QVERIFY(!shortKey);
    QCOMPARE(shortKey.error().message,
        QStringLiteral("The secret key was invalid for the specified algorithm."));
}

void TestS3Sse::readKey_data()
{
    QTest::addColumn<QByteArray>("headers");
    QTest::addColumn<QString>("code");
    QTest::addColumn<int>("keySize"); // of the parsed key, when accepted

    QTest::newRow("all three") << sseC(kKeyA, kKeyAMd5) << QString() << 32;
    // A read takes a key without its MD5; a write does not.
    QTest::newRow("no MD5") << QByteArray(
        "x-amz-server-side-encryption-customer-algorithm: AES256\n"
        "x-amz-server-side-encryption-customer-key: "
        + kKeyA) << QString()
                            << 32;
    QTest::newRow("wrong MD5") << sseC(kKeyA, kKeyBMd5) << QStringLiteral("InvalidArgument") << 0;
    QTest::newRow("MD5 not base64")
        << sseC(kKeyA, "not-valid-base64!!!") << QStringLiteral("InvalidArgument") << 0;
    // Left for checkRead(), which answers 403 as for any other wrong key.
    QTest::newRow("10-byte key") << sseC(kShortKey, kShortKeyMd5) << QString() << 10;
    QTest::newRow("MD5 alone") << QByteArray(
        "x-amz-server-side-encryption-customer-key-MD5: " + kKeyAMd5)
                               << QStringLiteral("InvalidArgument") << 0;
    QTest::newRow("empty key") << sseC("", kKeyAMd5) << QStringLiteral("InvalidArgument") << 0;
}

void TestS3Sse::readKey()
{
    QFETCH(QByteArray, headers);
    QFETCH(QString, code);
    QFETCH(int, keySize);
    const auto parsed = parseCustomerKey(lookup(headers), KeyHeaders::Target, KeyUse::Read);
    if (!code.isEmpty()) {
        QVERIFY(!parsed);
        QCOMPARE(parsed.error().code, code);
        return;
    }
    QVERIFY(parsed);
    QVERIFY(parsed->has_value());
    QCOMPARE((*parsed)->key.size(), keySize);
}

void TestS3Sse::copySourceKey()
{
    const QByteArray headers = sseC(kKeyA, kKeyAMd5, "x-amz-copy-source-") + sseC(kKeyB, kKeyBMd5);
    const auto source = parseCustomerKey(lookup(headers), KeyHeaders::CopySource, KeyUse::Read);
    const auto target = parseCustomerKey(lookup(headers), KeyHeaders::Target, KeyUse::Write);
    QVERIFY(source && source->has_value());
    QVERIFY(target && target->has_value());
    QCOMPARE((*source)->keyMd5, kKeyAMd5);
    QCOMPARE((*target)->keyMd5, kKeyBMd5);
    const auto none
        = parseCustomerKey(lookup(sseC(kKeyB, kKeyBMd5)), KeyHeaders::CopySource, KeyUse::Read);
    QVERIFY(none);
    QVERIFY(!none->has_value());
}

void TestS3Sse::readRequestRefusesSse()
{
    // test_sse_kms_read_declare, test_sse_kms_method_head, test_sse_s3_default_method_head.
    const auto refused = checkReadRequest(lookup("x-amz-server-side-encryption: aws:kms\n"
                                                 "x-amz-server-side-encryption-aws-kms-key-id: k"));
    QVERIFY(!refused);
    QCOMPARE(refused.error().code, QStringLiteral("InvalidArgument"));
    QCOMPARE(refused.error().httpStatus, 400);
    QVERIFY(!checkReadRequest(lookup("x-amz-server-side-encryption: AES256")));
    QVERIFY(checkReadRequest(lookup(sseC(kKeyA, kKeyAMd5))));
}

void TestS3Sse::checkRead_data()
{
    QTest::addColumn<bool>("customerObject");
    QTest::addColumn<QByteArray>("sentKey"); // base64; empty: no SSE-C headers
    QTest::addColumn<int>("status"); // 0: allowed
    QTest::addColumn<QString>("code");

    QTest::newRow("plain object, no key") << false << QByteArray() << 0 << QString();
    QTest::newRow("SSE-C object, its key") << true << kKeyA << 0 << QString();
    QTest::newRow("SSE-C object, no key (test_encryption_sse_c_present)")
        << true << QByteArray() << 400 << QStringLiteral("InvalidRequest");
    // ceph's test_encryption_sse_c_other_key says 400; S3 answers 403.
    QTest::newRow("SSE-C object, another key")
        << true << kKeyB << 403 << QStringLiteral("AccessDenied");
    QTest::newRow("SSE-C object, a 10-byte key")
        << true << kShortKey << 403 << QStringLiteral("AccessDenied");
    QTest::newRow("plain object, a key")
        << false << kKeyA << 400 << QStringLiteral("InvalidRequest");
}

void TestS3Sse::checkRead()
{
    QFETCH(bool, customerObject);
    QFETCH(QByteArray, sentKey);
    QFETCH(int, status);
    QFETCH(QString, code);
    const Encryption object
        = customerObject ? sseCObject(kKeyA, kKeyAMd5) : s3sse::resolveWrite({}, {}, {});
    QCOMPARE(object.isCustomer(), customerObject);
    std::optional<CustomerKey> sent;
    if (!sentKey.isEmpty())
        sent = customerKey(sentKey);
    // The same answer from the object as created and as read back from storage, where the
    // key is gone and only its check value is left.
    for (const Encryption &o : {object, fromStoredForm(storedForm(object))}) {
        const auto result = s3sse::checkRead(o, sent);
        if (status == 0) {
            QVERIFY(result);
            continue;
        }
        QVERIFY(!result);
        QCOMPARE(result.error().httpStatus, status);
        QCOMPARE(result.error().code, code);
    }
}

void TestS3Sse::uploadPart()
{
    const Encryption upload = sseCObject(kKeyA, kKeyAMd5);
    QVERIFY(checkUploadPart(upload, customerKey(kKeyA)));
    const auto other = checkUploadPart(upload, customerKey(kKeyB));
    QVERIFY(!other);
    QCOMPARE(other.error().code, QStringLiteral("InvalidRequest"));
    QCOMPARE(other.error().httpStatus, 400);
    const auto missing = checkUploadPart(upload, std::nullopt);
    QVERIFY(!missing);
    QCOMPARE(missing.error().code, QStringLiteral("InvalidRequest"));

    const Encryption plain = s3sse::resolveWrite({}, {}, {});
    QVERIFY(checkUploadPart(plain, std::nullopt));
    QVERIFY(!checkUploadPart(plain, customerKey(kKeyA)));
}

void TestS3Sse::kmsKeyArn_data()
{
    QTest::addColumn<QByteArray>("keyId");
    QTest::addColumn<QByteArray>("arn");
    QTest::newRow("key id") << QByteArray("1234abcd-12ab-34cd-56ef-1234567890ab")
                            << QByteArray("arn:aws:kms:eu-west-1:000000000000:key/"
                                          "1234abcd-12ab-34cd-56ef-1234567890ab");
    QTest::newRow("alias") << QByteArray("alias/mine")
                           << QByteArray("arn:aws:kms:eu-west-1:000000000000:alias/mine");
    QTest::newRow("arn") << QByteArray("arn:aws:kms:us-east-2:111122223333:key/x")
                         << QByteArray("arn:aws:kms:us-east-2:111122223333:key/x");
}

void TestS3Sse::kmsKeyArn()
{
    QFETCH(QByteArray, keyId);
    QFETCH(QByteArray, arn);
    const KmsScope scope {QStringLiteral("eu-west-1"), QStringLiteral("000000000000")};
    QCOMPARE(s3sse::kmsKeyArn(keyId, scope), arn);
}

void TestS3Sse::resolveWrite()
{
    const KmsScope scope {QStringLiteral("eu-west-1"), QStringLiteral("000000000000")};

    // No request encryption, no configuration: SSE-S3, as for every object since 2023.
    const Encryption plain = s3sse::resolveWrite({}, {}, scope);
    QCOMPARE(plain.algorithm, Algorithm::Aes256);
    QVERIFY(!plain.bucketKeyEnabled.value_or(false));

    BucketEncryption kmsDefault;
    kmsDefault.algorithm = Algorithm::Kms;
    kmsDefault.kmsMasterKeyId = "1234";
    kmsDefault.bucketKeyEnabled = true;
    const Encryption defaulted = s3sse::resolveWrite({}, kmsDefault, scope);
    QCOMPARE(defaulted.algorithm, Algorithm::Kms);
    QCOMPARE(defaulted.kmsKeyId, QByteArray("arn:aws:kms:eu-west-1:000000000000:key/1234"));
    QCOMPARE(defaulted.bucketKeyEnabled, std::optional<bool>(true));

    // The request wins over the default; an aws:kms request without a key gets the AWS managed
    // key (not the bucket's) but the bucket's bucket-key setting.
    Encryption kmsRequest;
    kmsRequest.algorithm = Algorithm::Kms;
    const Encryption managed = s3sse::resolveWrite(kmsRequest, kmsDefault, scope);
    QVERIFY(managed.kmsKeyId.startsWith("arn:aws:kms:eu-west-1:000000000000:key/"));
    QVERIFY(managed.kmsKeyId != defaulted.kmsKeyId);
    QCOMPARE(managed.bucketKeyEnabled, std::optional<bool>(true));
    QCOMPARE(s3sse::resolveWrite(kmsRequest, {}, scope).kmsKeyId, managed.kmsKeyId);
    const KmsScope otherAccount {QStringLiteral("eu-west-1"), QStringLiteral("111111111111")};
    QVERIFY(s3sse::resolveWrite(kmsRequest, {}, otherAccount).kmsKeyId != managed.kmsKeyId);
    kmsRequest.bucketKeyEnabled = false;
    QCOMPARE(s3sse::resolveWrite(kmsRequest, kmsDefault, scope).bucketKeyEnabled,
        std::optional<bool>(false));

    Encryption aes;
    aes.algorithm = Algorithm::Aes256;
    QCOMPARE(s3sse::resolveWrite(aes, kmsDefault, scope).algorithm, Algorithm::Aes256);
    QVERIFY(s3sse::resolveWrite(aes, kmsDefault, scope).kmsKeyId.isEmpty());
    QVERIFY(!s3sse::resolveWrite(aes, kmsDefault, scope).bucketKeyEnabled.value_or(false));

    // DSSE-KMS has no bucket keys.
    Encryption dsse;
    dsse.algorithm = Algorithm::KmsDsse;
    dsse.bucketKeyEnabled = true;
    QVERIFY(!s3sse::resolveWrite(dsse, kmsDefault, scope).bucketKeyEnabled.value_or(false));

    // SSE-C: the bucket's default does not apply; a fresh IV each time.
    const Encryption c1 = sseCObject(kKeyA, kKeyAMd5);
    const Encryption c2 = sseCObject(kKeyA, kKeyAMd5);
    QCOMPARE(c1.algorithm, Algorithm::None);
    QCOMPARE(c1.customerIv.size(), kIvSize);
    QVERIFY(c1.customerIv != c2.customerIv);
    QVERIFY(c1.customerKeyCheck != c2.customerKeyCheck);
    QCOMPARE(c1.customerKey, QByteArray::fromBase64(kKeyA));
}

void TestS3Sse::blocked()
{
    BucketEncryption bucket;
    const Encryption c = *parseWriteRequest(lookup(sseC(kKeyA, kKeyAMd5)));
    const QString user = QStringLiteral("arn:aws:iam::000000000000:user/me");
    QVERIFY(checkNotBlocked(
        bucket, c, user, QStringLiteral("s3:PutObject"), QStringLiteral("arn:aws:s3:::b/k")));
    bucket.sseCBlocked = true;
    const auto refused = checkNotBlocked(
        bucket, c, user, QStringLiteral("s3:PutObject"), QStringLiteral("arn:aws:s3:::b/k"));
    QVERIFY(!refused);
    QCOMPARE(refused.error().code, QStringLiteral("AccessDenied"));
    QCOMPARE(refused.error().httpStatus, 403);
    QVERIFY(refused.error().message.startsWith(
        QStringLiteral("User: arn:aws:iam::000000000000:user/me is not authorized to perform: "
                       "s3:PutObject on resource: \"arn:aws:s3:::b/k\" because")));
    QVERIFY(checkNotBlocked(bucket, s3sse::resolveWrite({}, {}, {}), user,
        QStringLiteral("s3:PutObject"), QStringLiteral("arn:aws:s3:::b/k")));
}

void TestS3Sse::responseHeaders_data()
{
    QTest::addColumn<int>("kind"); // 0 SSE-S3, 1 SSE-KMS with context and bucket key, 2 SSE-C
    QTest::addColumn<int>("operation"); // an Operation
    QTest::addColumn<QByteArrayList>("names");

    const QByteArray sse = "x-amz-server-side-encryption";
    const QByteArray key = "x-amz-server-side-encryption-aws-kms-key-id";
    const QByteArray context = "x-amz-server-side-encryption-context";
    const QByteArray bk = "x-amz-server-side-encryption-bucket-key-enabled";
    const QByteArray alg = "x-amz-server-side-encryption-customer-algorithm";
    const QByteArray md5 = "x-amz-server-side-encryption-customer-key-MD5";

    QTest::newRow("SSE-S3 GET") << 0 << int(Operation::GetObject) << QByteArrayList {sse};
    QTest::newRow("KMS PUT") << 1 << int(Operation::PutObject)
                             << QByteArrayList {sse, key, context, bk};
    QTest::newRow("KMS GET, no context")
        << 1 << int(Operation::GetObject) << QByteArrayList {sse, key, bk};
    QTest::newRow("KMS UploadPart")
        << 1 << int(Operation::UploadPart) << QByteArrayList {sse, key, bk};
    QTest::newRow("KMS Complete") << 1 << int(Operation::CompleteMultipartUpload)
                                  << QByteArrayList {sse, key, bk};
    QTest::newRow("KMS CreateMultipartUpload")
        << 1 << int(Operation::CreateMultipartUpload) << QByteArrayList {sse, key, context, bk};
    QTest::newRow("SSE-C HEAD") << 2 << int(Operation::HeadObject) << QByteArrayList {alg, md5};
    QTest::newRow("SSE-C UploadPart")
        << 2 << int(Operation::UploadPart) << QByteArrayList {alg, md5};
    QTest::newRow("SSE-C Complete")
        << 2 << int(Operation::CompleteMultipartUpload) << QByteArrayList {};
}

void TestS3Sse::responseHeaders()
{
    QFETCH(int, kind);
    QFETCH(int, operation);
    QFETCH(QByteArrayList, names);
    Encryption e;
    if (kind == 0) {
        e = s3sse::resolveWrite({}, {}, {});
    } else if (kind == 1) {
        e.algorithm = Algorithm::Kms;
        e.kmsContext = "eyJhIjoiYiJ9";
        e.bucketKeyEnabled = true;
        e = s3sse::resolveWrite(
            e, {}, {QStringLiteral("eu-west-1"), QStringLiteral("000000000000")});
    } else {
        e = sseCObject(kKeyA, kKeyAMd5);
    }
    const auto headers = s3sse::responseHeaders(e, Operation(operation));
    QByteArrayList got;
    for (const auto &[name, value] : headers) {
        got.append(name);
        QVERIFY(!value.isEmpty());
        // Neither the key nor the internals ever leave.
        QVERIFY(!value.contains(kKeyA));
        QVERIFY(!name.startsWith("x-tarmac"));
    }
    QCOMPARE(got, names);
    if (kind == 2 && !headers.isEmpty())
        QCOMPARE(headers.at(1).second, kKeyAMd5);
}

void TestS3Sse::storedFormRoundTrip()
{
    const Encryption c = sseCObject(kKeyA, kKeyAMd5);
    const auto stored = storedForm(c);
    const QByteArray rawKey = QByteArray::fromBase64(kKeyA);
    for (const auto &[name, value] : stored) {
        QVERIFY2(!value.contains(kKeyA) && !value.contains(rawKey)
                && !QByteArray::fromBase64(value).contains(rawKey),
            name.constData());
    }
    const Encryption back = fromStoredForm(stored);
    QVERIFY(back.customerKey.isEmpty());
    QCOMPARE(back.customerKeyMd5, kKeyAMd5);
    QCOMPARE(back.customerIv, c.customerIv);
    QCOMPARE(back.customerKeyCheck, c.customerKeyCheck);
    QVERIFY(keyMatches(back.customerKeyCheck, rawKey));

    Encryption kms;
    kms.algorithm = Algorithm::KmsDsse;
    kms.kmsKeyId = "arn:aws:kms:eu-west-1:000000000000:key/k";
    kms.kmsContext = "eyJhIjoiYiJ9";
    const Encryption kmsBack = fromStoredForm(storedForm(kms));
    QCOMPARE(kmsBack.algorithm, kms.algorithm);
    QCOMPARE(kmsBack.kmsKeyId, kms.kmsKeyId);
    QCOMPARE(kmsBack.kmsContext, kms.kmsContext);
    QVERIFY(!kmsBack.bucketKeyEnabled.value_or(false));
    QVERIFY(storedForm(Encryption()).isEmpty());
}

void TestS3Sse::bucketEncryption_data()
{
    QTest::addColumn<QByteArray>("document");
    QTest::addColumn<QString>("code");

    const QByteArray open = "<ServerSideEncryptionConfiguration "
                            "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
    const QByteArray close = "</ServerSideEncryptionConfiguration>";
    QTest::newRow("AES256") << QByteArray(open
        + "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
          "</ApplyServerSideEncryptionByDefault></Rule>"
        + close) << QString();
    QTest::newRow("KMS with key and bucket key") << QByteArray(open
        + "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm>"
          "<KMSMasterKeyID>testkey-1</KMSMasterKeyID></ApplyServerSideEncryptionByDefault>"
          "<BucketKeyEnabled>true</BucketKeyEnabled></Rule>"
        + close) << QString();
    QTest::newRow("only a block") << QByteArray(open
        + "<Rule><BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType>"
          "</BlockedEncryptionTypes></Rule>"
        + close) << QString();
    QTest::newRow("no rule") << QByteArray(open + close) << QStringLiteral("MalformedXML");
    QTest::newRow("two rules") << QByteArray(open
        + "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
          "</ApplyServerSideEncryptionByDefault></Rule>"
          "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
          "</ApplyServerSideEncryptionByDefault></Rule>"
        + close) << QStringLiteral("MalformedXML");
    QTest::newRow("empty rule") << QByteArray(open + "<Rule/>" + close)
                                << QStringLiteral("MalformedXML");
    QTest::newRow("no algorithm") << QByteArray(
        open + "<Rule><ApplyServerSideEncryptionByDefault/></Rule>" + close)
                                  << QStringLiteral("MalformedXML");
    QTest::newRow("unknown algorithm") << QByteArray(open
        + "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES512</SSEAlgorithm>"
          "</ApplyServerSideEncryptionByDefault></Rule>"
        + close) << QStringLiteral("MalformedXML");
    QTest::newRow("KMS key with AES256") << QByteArray(open
        + "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
          "<KMSMasterKeyID>k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule>"
        + close) << QStringLiteral("InvalidArgument");
    QTest::newRow("bucket key not boolean")
        << QByteArray(open + "<Rule><BucketKeyEnabled>yes</BucketKeyEnabled></Rule>" + close)
        << QStringLiteral("MalformedXML");
    QTest::newRow("unknown encryption type") << QByteArray(open
        + "<Rule><BlockedEncryptionTypes><EncryptionType>SSE-KMS</EncryptionType>"
          "</BlockedEncryptionTypes></Rule>"
        + close) << QStringLiteral("MalformedXML");
    QTest::newRow("other root") << QByteArray("<Rule/>") << QStringLiteral("MalformedXML");
    QTest::newRow("not XML") << QByteArray("{}") << QStringLiteral("MalformedXML");
}

void TestS3Sse::bucketEncryption()
{
    QFETCH(QByteArray, document);
    QFETCH(QString, code);
    const auto parsed = parseBucketEncryption(document);
    if (code.isEmpty()) {
        QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
        return;
    }
    QVERIFY(!parsed);
    QCOMPARE(parsed.error().code, code);
    QCOMPARE(parsed.error().httpStatus, 400);
}

void TestS3Sse::bucketEncryptionRoundTrip()
{
    BucketEncryption kms;
    kms.algorithm = Algorithm::Kms;
    kms.kmsMasterKeyId = "testkey-1";
    kms.bucketKeyEnabled = true;
    kms.sseCBlocked = true;
    const QByteArray rendered = renderBucketEncryption(kms);
    QVERIFY(rendered.contains("<KMSMasterKeyID>testkey-1</KMSMasterKeyID>"));
    QVERIFY(rendered.contains("<EncryptionType>SSE-C</EncryptionType>"));
    const auto back = parseBucketEncryption(rendered);
    QVERIFY(back);
    QCOMPARE(*back, kms);

    // A bucket that never had a configuration answers SSE-S3, unblocked.
    const QByteArray fresh = renderBucketEncryption({});
    QVERIFY(fresh.contains("<SSEAlgorithm>AES256</SSEAlgorithm>"));
    QVERIFY(fresh.contains("<BucketKeyEnabled>false</BucketKeyEnabled>"));
    QVERIFY(fresh.contains("<EncryptionType>NONE</EncryptionType>"));
    QVERIFY(!fresh.contains("KMSMasterKeyID"));

    // A document that does not mention the block keeps the current one.
    const QByteArray noBlock
        = "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>"
          "<SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>"
          "</ServerSideEncryptionConfiguration>";
    QVERIFY(parseBucketEncryption(noBlock, kms)->sseCBlocked);
    QVERIFY(!parseBucketEncryption(noBlock)->sseCBlocked);
    const QByteArray unblock
        = "<ServerSideEncryptionConfiguration><Rule><BlockedEncryptionTypes>"
          "<EncryptionType>NONE</EncryptionType></BlockedEncryptionTypes></Rule>"
          "</ServerSideEncryptionConfiguration>";
    QVERIFY(!parseBucketEncryption(unblock, kms)->sseCBlocked);
}

void TestS3Sse::keyCheckValue()
{
    const QByteArray a = QByteArray::fromBase64(kKeyA);
    const QByteArray b = QByteArray::fromBase64(kKeyB);
    const QByteArray check = s3sse::keyCheckValue(a);
    QCOMPARE(check.size(), 48);
    QVERIFY(!check.contains(a));
    QVERIFY(keyMatches(check, a));
    QVERIFY(!keyMatches(check, b));
    QVERIFY(!keyMatches(check.left(47), a));
    // Salted: the same key never gives the same value twice.
    QVERIFY(s3sse::keyCheckValue(a) != check);
}

void TestS3Sse::cipherKnownAnswer()
{
    // NIST SP 800-38A, F.5.5 CTR-AES256.Encrypt.
    const QByteArray key
        = fromHex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
    const QByteArray iv = fromHex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    const QByteArray plain = fromHex("6bc1bee22e409f96e93d7e117393172a"
                                     "ae2d8a571e03ac9c9eb76fac45af8e51"
                                     "30c81c46a35ce411e5fbc1191a0a52ef"
                                     "f69f2445df4f9b17ad2b417be66c3710");
    const QByteArray cipher = fromHex("601ec313775789a5b7a7f504bbf3d228"
                                      "f443e3ca4d62b59aca84e990cacaf5c5"
                                      "2b0930daa23de94ce87017ba2d84988d"
                                      "dfc9c58db67aada613c2dd08457941a6");
    CustomerCipher c(key, iv);
    QVERIFY(c.isValid());
    QByteArray data = plain;
    c.apply(data, 0);
    QCOMPARE(data.toHex(), cipher.toHex());

    // Block 3 alone, from a fresh cipher: the seek reaches IV + 2.
    CustomerCipher seeker(key, iv);
    QByteArray third = plain.mid(32, 16);
    seeker.apply(third, 32);
    QCOMPARE(third.toHex(), cipher.mid(32, 16).toHex());

    // Decrypting is the same operation.
    CustomerCipher back(key, iv);
    back.apply(data, 0);
    QCOMPARE(data, plain);
}

void TestS3Sse::cipherRanges_data()
{
    QTest::addColumn<qint64>("offset");
    QTest::addColumn<qint64>("size");
    QTest::newRow("start") << qint64(0) << qint64(1);
    QTest::newRow("inside a block") << qint64(5) << qint64(7);
    QTest::newRow("across blocks") << qint64(13) << qint64(40);
    QTest::newRow("aligned") << qint64(64) << qint64(64);
    QTest::newRow("to the end") << qint64(4000) << qint64(96);
    QTest::newRow("last byte") << qint64(4095) << qint64(1);
}

void TestS3Sse::cipherRanges()
{
    QFETCH(qint64, offset);
    QFETCH(qint64, size);
    const QByteArray key = QByteArray::fromBase64(kKeyA);
    const QByteArray iv = newIv();
    QByteArray plain(4096, Qt::Uninitialized);
    for (qsizetype i = 0; i < plain.size(); ++i)
        plain[i] = char(i * 7 + 3);
    QByteArray whole = plain;
    CustomerCipher(key, iv).apply(whole, 0);

    // A ranged GET decrypts only its bytes, at their offset.
    CustomerCipher ranged(key, iv);
    QByteArray slice = whole.mid(offset, size);
    ranged.apply(slice, offset);
    QCOMPARE(slice, plain.mid(offset, size));

    // Streaming in odd pieces continues the keystream; a backwards seek works too.
    CustomerCipher streaming(key, iv);
    QByteArray piecewise = plain;
    qint64 at = 0;
    while (at < piecewise.size()) {
        const qint64 n = std::min<qint64>(1 + at % 37, piecewise.size() - at);
        streaming.apply(piecewise.data() + at, n, at);
        at += n;
    }
    QCOMPARE(piecewise, whole);
    QByteArray again = whole.mid(offset, size);
    streaming.apply(again, offset);
    QCOMPARE(again, plain.mid(offset, size));
}

void TestS3Sse::cipherCounterCarry()
{
    // The counter block carries across all 128 bits, as OpenSSL's own CTR does: a seek past
    // the wrap must land where the stream from 0 is.
    const QByteArray key = QByteArray::fromBase64(kKeyB);
    const QByteArray iv = fromHex("00000000000000fffffffffffffffffe");
    QByteArray stream(80, '\0');
    CustomerCipher(key, iv).apply(stream, 0);
    for (qint64 offset : {16, 31, 32, 48, 65}) {
        QByteArray piece(80 - offset, '\0');
        CustomerCipher(key, iv).apply(piece, offset);
        QCOMPARE(piece.toHex(), stream.mid(offset).toHex());
    }
}

void TestS3Sse::cipherRefusesBadKeys()
{
    QByteArray data("abc");
    CustomerCipher shortKey(QByteArray(16, 'k'), newIv());
    QVERIFY(!shortKey.isValid());
    shortKey.apply(data, 0);
    QCOMPARE(data, QByteArray("abc"));
    QVERIFY(!CustomerCipher(QByteArray(32, 'k'), QByteArray(8, 'i')).isValid());
}

QTEST_GUILESS_MAIN(TestS3Sse)
#include "tst_s3sse.moc"
