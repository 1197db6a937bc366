#include "http/httpmessage.h"
#include "services/s3/s3signature.h"

#include <QDateTime>
#include <QTest>

using namespace tarmac;

namespace {

// AWS's example credentials, from "Signing and authenticating REST requests (AWS signature
// version 2)" in the S3 API reference.
const QByteArray kKey = "AKIAIOSFODNN7EXAMPLE";
const QByteArray kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

HttpRequest request(const QByteArray &method, const QByteArray &target,
    const QList<std::pair<QByteArray, QByteArray>> &headers)
{
    HttpRequest r;
    r.method = method;
    r.target = target;
    const qsizetype q = target.indexOf('?');
    r.path = q < 0 ? target : target.left(q);
    r.query = q < 0 ? QByteArray() : target.mid(q + 1);
    for (const auto &[name, value] : headers)
        r.headers.add(name, value);
    return r;
}

qint64 secondsOf(const QByteArray &httpDate)
{
    return S3SignatureVerifier::parseHttpDate(httpDate).toSecsSinceEpoch();
}

S3SignatureVerifier verifier()
{
    S3SignatureVerifier v;
    v.addCredentials(kKey, kSecret);
    return v;
}

} // namespace

class TestS3Signature : public QObject
{
    Q_OBJECT

private slots:
    // The three examples of AWS's SigV2 page, signed as printed there: virtual-hosted
    // requests, so the bucket comes from the Host header.
    void awsDocumentedV2Examples_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<QByteArray>("contentType");
        QTest::addColumn<QByteArray>("date");
        QTest::addColumn<QByteArray>("signature");
        QTest::newRow("object GET") << QByteArray("GET") << QByteArray("/photos/puppy.jpg")
                                    << QByteArray() << QByteArray("Tue, 27 Mar 2007 19:36:42 +0000")
                                    << QByteArray("qgk2+6Sv9/oM7G3qLEjTH1a1l1g=");
        QTest::newRow("object PUT")
            << QByteArray("PUT") << QByteArray("/photos/puppy.jpg") << QByteArray("image/jpeg")
            << QByteArray("Tue, 27 Mar 2007 21:15:45 +0000")
            << QByteArray("iqRzw+ileNPu1fhspnRs8nOjjIA=");
        QTest::newRow("list") << QByteArray("GET")
                              << QByteArray("/?prefix=photos&max-keys=50&marker=puppy")
                              << QByteArray() << QByteArray("Tue, 27 Mar 2007 19:42:41 +0000")
                              << QByteArray("m0WP8eCtspQl5Ahe6L1SozdX9YA=");
    }
    void awsDocumentedV2Examples()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, target);
        QFETCH(QByteArray, contentType);
        QFETCH(QByteArray, date);
        QFETCH(QByteArray, signature);
        QList<std::pair<QByteArray, QByteArray>> headers = {
            {"host", "awsexamplebucket1.s3.us-west-1.amazonaws.com"},
            {"date", date},
            {"authorization", "AWS " + kKey + ':' + signature},
        };
        if (!contentType.isEmpty())
            headers.append({"content-type", contentType});
        const S3SignatureVerifier v = verifier();
        const qint64 at = secondsOf(date);
        QVERIFY(at > 0);
        auto ok = v.verify(request(method, target, headers), at, at);
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message));
        QCOMPARE(ok->accessKeyId, kKey);

        // One character of the signature changed, or of what it signs.
        QByteArray tampered = signature;
        tampered[0] = tampered[0] == 'A' ? 'B' : 'A';
        headers[2].second = "AWS " + kKey + ':' + tampered;
        auto bad = v.verify(request(method, target, headers), at, at);
        QVERIFY(!bad);
        headers[2].second = "AWS " + kKey + ':' + signature;
        bad = v.verify(
            request(method, target + (target.contains('?') ? "&acl" : "?acl"), headers), at, at);
        QVERIFY(!bad);
        QCOMPARE(bad.error().code, QStringLiteral("SignatureDoesNotMatch"));
        QCOMPARE(bad.error().httpStatus, 403);
    }

    void v2Refusals()
    {
        const S3SignatureVerifier v = verifier();
        const QByteArray date = "Tue, 27 Mar 2007 19:36:42 +0000";
        const qint64 at = secondsOf(date);
        const auto code = [&](const QByteArray &authorization, qint64 now) {
            auto r = v.verify(request("GET", "/photos/puppy.jpg",
                                  {{"host", "awsexamplebucket1.s3.us-west-1.amazonaws.com"},
                                      {"date", date}, {"authorization", authorization}}),
                now, now);
            return r ? QString() : r.error().code + u' ' + QString::number(r.error().httpStatus);
        };
        const QByteArray good = "AWS " + kKey + ":qgk2+6Sv9/oM7G3qLEjTH1a1l1g=";
        QCOMPARE(code(good, at), QString());
        QCOMPARE(code("AWS HAHAHA", at), QStringLiteral("InvalidArgument 400"));
        QCOMPARE(code("AWS " + kKey + ':', at), QStringLiteral("InvalidArgument 400"));
        QCOMPARE(code("AWS AKIDUNKNOWN:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=", at),
            QStringLiteral("InvalidAccessKeyId 403"));
        // 15 minutes either way is the limit.
        QCOMPARE(code(good, at + 15 * 60), QString());
        QCOMPARE(code(good, at - 15 * 60), QString());
        QCOMPARE(code(good, at + 15 * 60 + 1), QStringLiteral("RequestTimeTooSkewed 403"));
        QCOMPARE(code(good, at - 15 * 60 - 1), QStringLiteral("RequestTimeTooSkewed 403"));
    }

    void requestTimes_data()
    {
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<bool>("iso8601");
        QTest::addColumn<QString>("code"); // empty: accepted
        const QString denied = QStringLiteral("AccessDenied");
        const QString skewed = QStringLiteral("RequestTimeTooSkewed");
        QTest::newRow("rfc1123 +0000")
            << QByteArray("Sun, 06 Dec 2026 09:00:00 +0000") << false << QString();
        QTest::newRow("rfc1123 GMT")
            << QByteArray("Sun, 06 Dec 2026 09:00:00 GMT") << false << QString();
        QTest::newRow("wrong day name")
            << QByteArray("Tue, 06 Dec 2026 09:00:00 GMT") << false << QString();
        QTest::newRow("iso8601") << QByteArray("20261206T090000Z") << true << QString();
        QTest::newRow("garbage") << QByteArray("Bad Date") << false << denied;
        QTest::newRow("empty") << QByteArray() << false << denied;
        QTest::newRow("iso8601 garbage") << QByteArray("2026-12-06T09:00") << true << denied;
        QTest::newRow("before 1970")
            << QByteArray("Tue, 07 Jul 1950 21:53:04 GMT") << false << denied;
        QTest::newRow("2010") << QByteArray("Tue, 07 Jul 2010 21:53:04 GMT") << false << skewed;
        QTest::newRow("9999") << QByteArray("Tue, 07 Jul 9999 21:53:04 GMT") << false << skewed;
        QTest::newRow("iso8601 an hour late") << QByteArray("20261206T100000Z") << true << skewed;
    }
    void requestTimes()
    {
        QFETCH(QByteArray, value);
        QFETCH(bool, iso8601);
        QFETCH(QString, code);
        const qint64 now
            = QDateTime::fromString(QStringLiteral("2026-12-06T09:05:00Z"), Qt::ISODate)
                  .toSecsSinceEpoch();
        const Result<void> r = S3SignatureVerifier::checkRequestTime(value, iso8601, now);
        QCOMPARE(r ? QString() : r.error().code, code);
        if (!r)
            QCOMPARE(r.error().httpStatus, 403);
    }
};

QTEST_GUILESS_MAIN(TestS3Signature)
#include "tst_s3signature.moc"
