#include "services/s3/awschunkeddecoder.h"
#include "services/s3/s3checksum.h"

#include <QTest>

using namespace tarmac;

namespace {

struct Decoded
{
    Result<void> result;
    QByteArray payload;
    QList<std::pair<QByteArray, QByteArray>> trailers;
};

// Feeds `input` in pieces of `step` bytes (0: all at once), then finishes.
Decoded decode(const QByteArray &input, qsizetype step = 0,
    std::optional<AwsChunkedDecoder::Signing> signing = std::nullopt)
{
    AwsChunkedDecoder decoder(std::move(signing));
    Decoded out;
    const auto sink = [&out](const char *data, qsizetype n) { out.payload.append(data, n); };
    if (step <= 0)
        step = qMax<qsizetype>(1, input.size());
    for (qsizetype at = 0; at < input.size(); at += step) {
        out.result
            = decoder.feed(QByteArrayView(input).sliced(at, qMin(step, input.size() - at)), sink);
        if (!out.result)
            return out;
    }
    out.result = decoder.finish();
    out.trailers = decoder.trailers();
    if (out.result)
        Q_ASSERT(decoder.decodedSize() == out.payload.size());
    return out;
}

// The example in AWS's "Signature Calculations for the Authorization Header: Transferring
// Payload in Multiple Chunks": 66,560 bytes of 'a' in chunks of 64 KiB and 1 KiB.
AwsChunkedDecoder::Signing awsExampleSigning()
{
    return {QByteArray::fromHex("dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378"),
        "20130524T000000Z", "20130524/us-east-1/s3/aws4_request",
        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"};
}

QByteArray awsExampleBody()
{
    return "10000;chunk-signature="
           "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n"
        + QByteArray(65536, 'a')
        + "\r\n400;chunk-signature="
          "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n"
        + QByteArray(1024, 'a')
        + "\r\n0;chunk-signature="
          "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n";
}

} // namespace

class TestAwsChunkedDecoder : public QObject
{
    Q_OBJECT
private slots:
    void valid_data();
    void valid();
    void signedAwsExample_data();
    void signedAwsExample();
    void badChunkSignature();
    void invalid_data();
    void invalid();
    void boundedLines();
};

void TestAwsChunkedDecoder::valid_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<QByteArray>("trailer");
    QTest::newRow("unsigned with crc32 trailer")
        << QByteArray("b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n")
        << QByteArray("hello world") << QByteArray("DUoRhQ==");
    QTest::newRow("no trailer") << QByteArray("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
                                << QByteArray("hello world") << QByteArray();
    QTest::newRow("empty body") << QByteArray("0\r\n\r\n") << QByteArray() << QByteArray();
    QTest::newRow("upper-case hex, spaced trailer")
        << QByteArray("A\r\n0123456789\r\n0\r\nX-Amz-Checksum-CRC32 : abc= \r\n\r\n")
        << QByteArray("0123456789") << QByteArray("abc=");
    QTest::newRow("unverified signatures") << QByteArray("3;chunk-signature=" + QByteArray(64, 'f')
        + "\r\nabc\r\n0;chunk-signature=" + QByteArray(64, '0') + "\r\n\r\n")
                                           << QByteArray("abc") << QByteArray();
    QTest::newRow("binary payload with CRLFs inside") << QByteArray("6\r\n\r\n0\r\n\r\r\n0\r\n\r\n",
        16) << QByteArray("\r\n0\r\n\r", 6) << QByteArray();
}

void TestAwsChunkedDecoder::valid()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, payload);
    QFETCH(QByteArray, trailer);
    for (qsizetype step : {qsizetype(0), qsizetype(1), qsizetype(2), qsizetype(7)}) {
        const Decoded d = decode(input, step);
        QVERIFY2(d.result, qPrintable(d.result.ok() ? QString() : d.result.error().message));
        QCOMPARE(d.payload, payload);
        QCOMPARE(d.trailers.isEmpty() ? QByteArray() : d.trailers.first().second, trailer);
        if (!trailer.isEmpty())
            QCOMPARE(d.trailers.first().first, QByteArray("x-amz-checksum-crc32"));
    }
}

void TestAwsChunkedDecoder::signedAwsExample_data()
{
    QTest::addColumn<int>("step");
    QTest::newRow("whole") << 0;
    QTest::newRow("1000-byte pieces") << 1000;
    QTest::newRow("byte by byte") << 1;
}

void TestAwsChunkedDecoder::signedAwsExample()
{
    QFETCH(int, step);
    const Decoded d = decode(awsExampleBody(), step, awsExampleSigning());
    QVERIFY2(d.result, qPrintable(d.result.ok() ? QString() : d.result.error().message));
    QCOMPARE(d.payload, QByteArray(66560, 'a'));
}

void TestAwsChunkedDecoder::badChunkSignature()
{
    // One changed byte of data, of a signature, or of the seed: each breaks the chain.
    QByteArray body = awsExampleBody();
    body[200] = 'b';
    Decoded d = decode(body, 0, awsExampleSigning());
    QVERIFY(!d.result);
    QCOMPARE(d.result.error().code, QStringLiteral("SignatureDoesNotMatch"));
    QCOMPARE(d.result.error().httpStatus, 403);

    body = awsExampleBody();
    body.replace("b6c6ea8a", "b6c6ea8b");
    d = decode(body, 0, awsExampleSigning());
    QVERIFY(!d.result);
    QCOMPARE(d.result.error().code, QStringLiteral("SignatureDoesNotMatch"));

    auto signing = awsExampleSigning();
    signing.seedSignature[0] = '5';
    d = decode(awsExampleBody(), 0, signing);
    QVERIFY(!d.result);
    QCOMPARE(d.result.error().code, QStringLiteral("SignatureDoesNotMatch"));

    // Unsigned chunks when signatures are required.
    d = decode("3\r\nabc\r\n0\r\n\r\n", 0, awsExampleSigning());
    QVERIFY(!d.result);
    QCOMPARE(d.result.error().code, QStringLiteral("SignatureDoesNotMatch"));
}

void TestAwsChunkedDecoder::invalid_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("code");
    const QString incomplete = QStringLiteral("IncompleteBody");
    const QString badSize = QStringLiteral("InvalidChunkSizeError");
    const QString badTrailer = QStringLiteral("MalformedTrailerError");
    QTest::newRow("truncated in data") << QByteArray("b\r\nhello wo") << incomplete;
    QTest::newRow("truncated before last chunk")
        << QByteArray("b\r\nhello world\r\n") << incomplete;
    QTest::newRow("truncated in trailer")
        << QByteArray("b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoR") << incomplete;
    QTest::newRow("no closing line")
        << QByteArray("b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n") << incomplete;
    QTest::newRow("empty input") << QByteArray() << incomplete;
    QTest::newRow("chunk longer than declared")
        << QByteArray("3\r\nabcd\r\n0\r\n\r\n") << incomplete;
    QTest::newRow("bare LF") << QByteArray("3\nabc\r\n0\r\n\r\n") << incomplete;
    QTest::newRow("not hex") << QByteArray("zz\r\nabc\r\n0\r\n\r\n") << badSize;
    QTest::newRow("empty size") << QByteArray("\r\n") << badSize;
    QTest::newRow("huge size") << QByteArray("fffffffffffffffff\r\n") << badSize;
    QTest::newRow("short signature") << QByteArray("3;chunk-signature=abc\r\nabc\r\n") << badSize;
    QTest::newRow("unknown extension") << QByteArray("3;foo=bar\r\nabc\r\n") << incomplete;
    QTest::newRow("trailer without colon")
        << QByteArray("3\r\nabc\r\n0\r\nx-amz-checksum-crc32\r\n\r\n") << badTrailer;
    QTest::newRow("trailer with empty name")
        << QByteArray("3\r\nabc\r\n0\r\n:value\r\n\r\n") << badTrailer;
    QTest::newRow("malformed trailer signature") << QByteArray(
        "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n"
        "x-amz-trailer-signature:nothex\r\n\r\n") << badTrailer;
    QTest::newRow("data after the end") << QByteArray("0\r\n\r\nextra") << incomplete;
}

void TestAwsChunkedDecoder::invalid()
{
    QFETCH(QByteArray, input);
    QFETCH(QString, code);
    for (qsizetype step : {qsizetype(0), qsizetype(1)}) {
        const Decoded d = decode(input, step);
        QVERIFY(!d.result);
        QCOMPARE(d.result.error().code, code);
        QCOMPARE(d.result.error().httpStatus, 400);
    }
}

void TestAwsChunkedDecoder::boundedLines()
{
    // A size line that never ends is refused once it passes the line limit, not buffered.
    AwsChunkedDecoder decoder;
    const QByteArray junk(AwsChunkedDecoder::kMaxLine + 1, '1');
    const auto result = decoder.feed(junk, [](const char *, qsizetype) {});
    QVERIFY(!result);
    QVERIFY(!decoder.feed("\r\n", [](const char *, qsizetype) {}));
}

QTEST_GUILESS_MAIN(TestAwsChunkedDecoder)
#include "tst_awschunkeddecoder.moc"
