#include "base/json.h"
#include "http/awserror.h"
#include "services/lambda/lambdarestapi.h"
#include "services/s3/s3restapi.h"

#include <QRegularExpression>
#include <QTest>
#include <QXmlStreamReader>

using namespace tarmac;

class TestAwsError : public QObject
{
    Q_OBJECT
private slots:
    void s3XmlShape()
    {
        const auto r = awsErrorResponse(AwsProtocol::RestXml,
            makeError(QStringLiteral("NoSuchKey"), QStringLiteral("a <b> & c"), 404), "req-1",
            "/bucket/k&y");
        QCOMPARE(r.status, 404);
        QCOMPARE(r.headers.value("x-amz-request-id"), QByteArray("req-1"));
        QXmlStreamReader xml(r.body);
        QMap<QString, QString> fields;
        QString current;
        while (!xml.atEnd()) {
            xml.readNext();
            if (xml.isStartElement())
                current = xml.name().toString();
            else if (xml.isCharacters() && !xml.isWhitespace())
                fields[current] += xml.text().toString();
        }
        QVERIFY(!xml.hasError());
        QCOMPARE(fields[QStringLiteral("Code")], QStringLiteral("NoSuchKey"));
        QCOMPARE(fields[QStringLiteral("Message")], QStringLiteral("a <b> & c"));
        QCOMPARE(fields[QStringLiteral("Resource")], QStringLiteral("/bucket/k&y"));
        QCOMPARE(fields[QStringLiteral("RequestId")], QStringLiteral("req-1"));
    }

    void jsonShapes()
    {
        for (auto protocol : {AwsProtocol::Json, AwsProtocol::RestJson}) {
            const auto r = awsErrorResponse(protocol,
                makeError(QStringLiteral("QueueDoesNotExist"), QStringLiteral("gone \"q\""), 400),
                "req-2");
            QCOMPARE(r.status, 400);
            QCOMPARE(r.headers.value("x-amzn-errortype"), QByteArray("QueueDoesNotExist"));
            QCOMPARE(r.headers.value("x-amzn-requestid"), QByteArray("req-2"));
            const auto body = parseJson(r.body);
            QVERIFY(body);
            QCOMPARE((*body)["__type"].get<std::string>(), std::string("QueueDoesNotExist"));
            QCOMPARE((*body)["message"].get<std::string>(), std::string("gone \"q\""));
        }
    }

    void queryShape()
    {
        const auto r = awsErrorResponse(AwsProtocol::Query,
            makeError(QStringLiteral("InvalidParameterValue"), QStringLiteral("bad"), 400),
            "req-3");
        QVERIFY(r.body.contains(
            "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameterValue</Code>"));
        QVERIFY(r.body.contains("<RequestId>req-3</RequestId>"));
    }

    // What the exception barrier answers for each service: its own 500.
    void internalErrorShapes()
    {
        HttpRequest head;
        head.method = "PUT";
        head.path = "/2015-03-31/functions/f/configuration";
        head.requestId = "req-4";
        const LambdaRestApi lambda;
        HttpResponse r = lambda.internalError(head, QStringLiteral("boom"));
        QCOMPARE(r.status, 500);
        QCOMPARE(r.headers.value("x-amzn-errortype"), QByteArray("ServiceException"));
        QCOMPARE(r.headers.value("x-amzn-requestid"), QByteArray("req-4"));
        QCOMPARE(r.operation, QStringLiteral("UpdateFunctionConfiguration"));
        auto body = parseJson(r.body);
        QVERIFY(body && body->is_object());
        QCOMPARE(body->value("__type", std::string()), std::string("ServiceException"));
        QCOMPARE(body->value("Type", std::string()), std::string("Service"));
        QCOMPARE(body->value("message", std::string()), std::string("boom"));

        head.path = "/bucket/key";
        head.requestId.clear(); // the barrier around the whole router has none: one is made
        const S3RestApi s3(nullptr, nullptr, nullptr, nullptr, QStringLiteral("us-east-1"));
        r = s3.internalError(head, QStringLiteral("boom"));
        QCOMPARE(r.status, 500);
        QVERIFY(r.body.contains("<Code>InternalError</Code><Message>boom</Message>"));
        QVERIFY(r.body.contains("<Resource>/bucket/key</Resource>"));
        QCOMPARE(r.headers.value("x-amz-request-id").size(), 36);

        struct Plain : HttpHandler
        {
            void handle(HttpRequest &&, HttpResponder) override { }
        } plain;
        r = plain.internalError(head, QStringLiteral("boom"));
        QCOMPARE(r.status, 500);
        body = parseJson(r.body);
        QVERIFY(body && body->is_object());
        QCOMPARE(body->value("__type", std::string()), std::string("InternalFailure"));
    }

    void requestIdsAreVersion4Uuids()
    {
        static const QRegularExpression uuid(QStringLiteral(
            "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"));
        QSet<QByteArray> seen;
        for (int i = 0; i < 1000; ++i) {
            const QByteArray id = newRequestId();
            QVERIFY2(uuid.match(QString::fromLatin1(id)).hasMatch(), id.constData());
            seen.insert(id);
        }
        QCOMPARE(seen.size(), 1000);
    }
};

QTEST_GUILESS_MAIN(TestAwsError)
#include "tst_awserror.moc"
