#include "services/s3/s3checksum.h"
#include "services/s3/s3store.h"

#include <QTest>

using namespace tarmac;

class TestS3Checksum : public QObject
{
    Q_OBJECT
private slots:
    void crcCheckValues();
    void wireValues_data();
    void wireValues();
    void incrementalEqualsOneShot_data();
    void incrementalEqualsOneShot();
    void bodyDigest();
    void names();
    void multipartEtag();
    void hmac();
};

void TestS3Checksum::crcCheckValues()
{
    // The catalogue "check" values: the CRC of the ASCII digits 1–9.
    const QByteArray digits("123456789");
    QCOMPARE(crc32(0, digits.constData(), digits.size()), 0xCBF43926u);
    QCOMPARE(crc32c(0, digits.constData(), digits.size()), 0xE3069283u);
    QCOMPARE(crc64nvme(0, digits.constData(), digits.size()), 0xAE8B14860A799888ull);
    QCOMPARE(crc32(0, nullptr, 0), 0u);
    QCOMPARE(crc32c(0, nullptr, 0), 0u);
}

void TestS3Checksum::wireValues_data()
{
    QTest::addColumn<QByteArray>("algorithm");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("base64");
    // Values S3 and the SDKs send for "hello world" (PROTOCOLS.md §4.5).
    QTest::newRow("crc32") << QByteArray("CRC32") << QByteArray("hello world")
                           << QByteArray("DUoRhQ==");
    QTest::newRow("crc32c") << QByteArray("CRC32C") << QByteArray("hello world")
                            << QByteArray("yZRlqg==");
    QTest::newRow("sha1") << QByteArray("SHA1") << QByteArray("hello world")
                          << QByteArray("Kq5sNclPz7QV2+lfQIuc6R7oRu0=");
    QTest::newRow("sha256") << QByteArray("SHA256") << QByteArray("hello world")
                            << QByteArray("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=");
    QTest::newRow("crc32 empty") << QByteArray("crc32") << QByteArray() << QByteArray("AAAAAA==");
    QTest::newRow("sha256 empty") << QByteArray("sha256") << QByteArray()
                                  << QByteArray("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

void TestS3Checksum::wireValues()
{
    QFETCH(QByteArray, algorithm);
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, base64);
    const ChecksumAlgorithm a = checksumAlgorithmFromName(algorithm);
    QVERIFY(a != ChecksumAlgorithm::None);
    QCOMPARE(Checksum::compute(a, input).toBase64(), base64);
    QCOMPARE(Checksum::compute(a, input).size(), checksumSize(a));
}

void TestS3Checksum::incrementalEqualsOneShot_data()
{
    QTest::addColumn<int>("algorithm");
    for (ChecksumAlgorithm a : {ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Crc32c,
             ChecksumAlgorithm::Crc64Nvme, ChecksumAlgorithm::Sha1, ChecksumAlgorithm::Sha256})
        QTest::newRow(checksumAlgorithmName(a).constData()) << int(a);
}

void TestS3Checksum::incrementalEqualsOneShot()
{
    QFETCH(int, algorithm);
    const auto a = ChecksumAlgorithm(algorithm);
    QByteArray data(100'003, Qt::Uninitialized);
    for (qsizetype i = 0; i < data.size(); ++i)
        data[i] = char((i * 131) ^ (i >> 7));
    Checksum pieces(a);
    // Odd piece sizes exercise the 8-byte fast path's head and tail.
    for (qsizetype at = 0, step = 1; at < data.size(); at += step, step = step * 3 % 4099 + 1)
        pieces.add(data.constData() + at, qMin(step, data.size() - at));
    QCOMPARE(pieces.result(), Checksum::compute(a, data));
}

void TestS3Checksum::bodyDigest()
{
    BodyDigest d(ChecksumAlgorithm::Crc32);
    d.add(QByteArrayView("hello "));
    d.add(QByteArrayView("world"));
    d.finish();
    QCOMPARE(d.size(), 11);
    QCOMPARE(d.md5().toHex(), QByteArray("5eb63bbbe01eeed093cb22bb8f5acdc3"));
    QCOMPARE(d.sha256Hex(),
        QByteArray("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"));
    QCOMPARE(d.checksum().toBase64(), QByteArray("DUoRhQ=="));
}

void TestS3Checksum::names()
{
    QCOMPARE(checksumHeaderName(ChecksumAlgorithm::Crc32c), QByteArray("x-amz-checksum-crc32c"));
    QCOMPARE(checksumXmlElementName(ChecksumAlgorithm::Sha256), QByteArray("ChecksumSHA256"));
    QCOMPARE(checksumAlgorithmFromName("md5"), ChecksumAlgorithm::None);
    QCOMPARE(checksumAlgorithmFromName("Crc64Nvme"), ChecksumAlgorithm::Crc64Nvme);
}

void TestS3Checksum::multipartEtag()
{
    // PROTOCOLS.md §4.3: parts "part-one", "part-two".
    const QList<QByteArray> md5s = {
        QCryptographicHash::hash("part-one", QCryptographicHash::Md5),
        QCryptographicHash::hash("part-two", QCryptographicHash::Md5),
    };
    QCOMPARE(S3Store::multipartEtag(md5s), QByteArray("4e0f3bff4d24863cbef6c3d3dc5c2b7e-2"));
}

void TestS3Checksum::hmac()
{
    // RFC 4231 test case 2.
    QCOMPARE(hmacSha256("Jefe", "what do ya want for nothing?").toHex(),
        QByteArray("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
}

QTEST_GUILESS_MAIN(TestS3Checksum)
#include "tst_s3checksum.moc"
