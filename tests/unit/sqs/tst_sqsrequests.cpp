// sqsrequests: the queue a QueueUrl names, and what a receipt handle says (the message's
// sequence and receive), for the shapes clients send and for what they must not.
#include "services/sqs/sqsrequests.h"

#include <QTest>

using namespace tarmac;

class TestSqsRequests : public QObject
{
    Q_OBJECT
private slots:
    void queueFromUrl_data();
    void queueFromUrl();
    void parseReceiptHandle_data();
    void parseReceiptHandle();
};

void TestSqsRequests::queueFromUrl_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("queue"); // empty: InvalidAddress
    QTest::newRow("Tarmac's") << "http://127.0.0.1:4566/000000000000/orders"
                              << "orders";
    QTest::newRow("AWS's") << "https://sqs.us-east-1.amazonaws.com/123456789012/jobs.fifo"
                           << "jobs.fifo";
    QTest::newRow("trailing slashes") << "http://localhost:4566/000000000000/orders//"
                                      << "orders";
    QTest::newRow("no account") << "http://localhost:4566/orders"
                                << "orders";
    QTest::newRow("a path alone") << "/000000000000/orders"
                                  << "orders";
    QTest::newRow("a name alone") << "orders"
                                  << "orders";
    QTest::newRow("non-ASCII") << QStringLiteral("http://h/1/k\u00f6\u00f6")
                               << QStringLiteral("k\u00f6\u00f6");
    QTest::newRow("a host alone") << "http://localhost:4566"
                                  << "";
    QTest::newRow("the root") << "http://localhost:4566/"
                              << "";
    QTest::newRow("slashes") << "///"
                             << "";
    QTest::newRow("nothing") << ""
                             << "";
}

void TestSqsRequests::queueFromUrl()
{
    QFETCH(QString, url);
    QFETCH(QString, queue);
    const auto got = sqsrequests::queueFromUrl(url);
    if (queue.isEmpty()) {
        QVERIFY(!got);
        QCOMPARE(got.error().code, QStringLiteral("InvalidAddress"));
        QVERIFY(got.error().message.contains(url));
    } else {
        QVERIFY(got);
        QCOMPARE(*got, queue);
    }
}

void TestSqsRequests::parseReceiptHandle_data()
{
    QTest::addColumn<QString>("handle");
    QTest::addColumn<qint64>("seq"); // 0: not a handle
    QTest::addColumn<qint64>("generation");
    const auto encode = [](const QByteArray &raw) {
        return QString::fromLatin1(raw.toBase64(QByteArray::Base64UrlEncoding));
    };
    QTest::newRow("SqsStore's") << encode("42:3:orders:1x2y3z") << qint64(42) << qint64(3);
    QTest::newRow("unpadded") << encode("7:1:q:a").remove(u'=') << qint64(7) << qint64(1);
    QTest::newRow("a queue with colons") << encode("9:2:a:b:c:n") << qint64(9) << qint64(2);
    QTest::newRow("large") << encode("9223372036854775807:1:q:n") << qint64(9223372036854775807)
                           << qint64(1);
    QTest::newRow("three parts") << encode("42:3:orders") << qint64(0) << qint64(0);
    QTest::newRow("sequence 0") << encode("0:3:q:n") << qint64(0) << qint64(0);
    QTest::newRow("negative") << encode("-4:3:q:n") << qint64(0) << qint64(0);
    QTest::newRow("not a number") << encode("4x:3:q:n") << qint64(0) << qint64(0);
    QTest::newRow("empty generation") << encode("4::q:n") << qint64(0) << qint64(0);
    QTest::newRow("too large") << encode("92233720368547758070:1:q:n") << qint64(0) << qint64(0);
    QTest::newRow("not base64") << "AQID*" << qint64(0) << qint64(0);
    QTest::newRow("non-ASCII") << QStringLiteral("NDI6\u00e9MzpxOm4") << qint64(0) << qint64(0);
    QTest::newRow("empty") << "" << qint64(0) << qint64(0);
    QTest::newRow("too long") << QString(4097, u'A') << qint64(0) << qint64(0);
}

void TestSqsRequests::parseReceiptHandle()
{
    QFETCH(QString, handle);
    QFETCH(qint64, seq);
    QFETCH(qint64, generation);
    const auto got = sqsrequests::parseReceiptHandle(handle);
    if (seq == 0) {
        QVERIFY(!got);
    } else {
        QVERIFY(got);
        QCOMPARE(got->first, seq);
        QCOMPARE(got->second, generation);
    }
}

QTEST_APPLESS_MAIN(TestSqsRequests)
#include "tst_sqsrequests.moc"
