#include "engine/faults.h"
#include "engine/testcontrol.h"
#include "http/servicedetector.h"

#include <QTest>

using namespace tarmac;

namespace {

Json rule(const char *text)
{
    auto json = parseJson(QByteArray(text));
    return json ? *json : Json();
}

HttpRequest request(const QByteArray &method, const QByteArray &target,
    const QByteArray &body = QByteArray(), const QByteArray &contentType = QByteArray())
{
    HttpRequest r;
    r.method = method;
    r.target = target;
    const qsizetype q = target.indexOf('?');
    r.path = q < 0 ? target : target.left(q);
    r.query = q < 0 ? QByteArray() : target.mid(q + 1);
    r.headers.add("host", "127.0.0.1:4566");
    if (!contentType.isEmpty())
        r.headers.add("content-type", contentType);
    r.body = HttpBody(body);
    return r;
}

} // namespace

// The fault rules (POST /_tarmac/faults): what a rule's JSON may say, what it matches, how
// often it fires; and what the edge knows of a request to match it by.
class TestFaults : public QObject
{
    Q_OBJECT
private slots:
    void rulesFromJson()
    {
        FaultInjector faults;
        auto error = faults.add(
            rule("{\"match\": {\"service\": \"S3\"}, \"effect\": {\"type\": \"error\"}}"));
        QVERIFY(error);
        QCOMPARE(error->service, QStringLiteral("s3"));
        QCOMPARE(error->code, QStringLiteral("SlowDown"));
        QCOMPARE(error->status, 503);
        QCOMPARE(error->describe(), QStringLiteral("error SlowDown (503)"));
        auto ddb = faults.add(
            rule("{\"match\": {\"service\": \"dynamodb\"}, \"effect\": {\"type\": \"error\"}}"));
        QCOMPARE(ddb->code, QStringLiteral("ProvisionedThroughputExceededException"));
        QCOMPARE(ddb->status, 400);
        auto custom = faults.add(
            rule("{\"effect\": {\"type\": \"error\", \"code\": \"ServiceUnavailable\"}}"));
        QCOMPARE(custom->status, 503);
        QCOMPARE(custom->code, QStringLiteral("ServiceUnavailable"));
        auto latency = faults.add(
            rule("{\"match\": {\"count\": 2}, \"effect\": {\"type\": \"latency\", \"ms\": 250}}"));
        QCOMPARE(latency->ms, 250);
        QCOMPARE(latency->count, 2);
        QCOMPARE(faults.rules().size(), 4);
        QCOMPARE(faults.rules().first().id, QStringLiteral("fault-1"));
        const Json listed = FaultInjector::toJson(*latency);
        QCOMPARE(listed["effect"]["type"].get<std::string>(), std::string("latency"));
        QCOMPARE(listed["remaining"].get<int>(), 2);

        // Each field, each wrong type: a ValidationException naming it, never a throw.
        const char *bad[] = {"[]", "{}", "{\"effect\": 1}", "{\"effect\": {}}",
            "{\"effect\": {\"type\": 1}}", "{\"effect\": {\"type\": \"boom\"}}",
            "{\"match\": 1, \"effect\": {\"type\": \"drop\"}}",
            "{\"match\": {\"service\": []}, \"effect\": {\"type\": \"drop\"}}",
            "{\"match\": {\"operation\": {}}, \"effect\": {\"type\": \"drop\"}}",
            "{\"match\": {\"resource\": 1}, \"effect\": {\"type\": \"drop\"}}",
            "{\"match\": {\"function\": true}, \"effect\": {\"type\": \"drop\"}}",
            "{\"match\": {\"probability\": \"1\"}, \"effect\": {\"type\": \"drop\"}}",
            "{\"match\": {\"probability\": -0.1}, \"effect\": {\"type\": \"drop\"}}",
            "{\"match\": {\"count\": \"1\"}, \"effect\": {\"type\": \"drop\"}}",
            "{\"match\": {\"count\": 0}, \"effect\": {\"type\": \"drop\"}}",
            "{\"match\": {\"count\": 1e300}, \"effect\": {\"type\": \"drop\"}}",
            "{\"match\": {\"extra\": 1}, \"effect\": {\"type\": \"drop\"}}",
            "{\"effect\": {\"type\": \"latency\"}}",
            "{\"effect\": {\"type\": \"delay\", \"ms\": -1}}",
            "{\"effect\": {\"type\": \"latency\", \"ms\": [5]}}",
            "{\"effect\": {\"type\": \"error\", \"code\": 5}}",
            "{\"effect\": {\"type\": \"error\", \"status\": \"503\"}}",
            "{\"effect\": {\"type\": \"error\", \"status\": 200}}",
            "{\"effect\": {\"type\": \"error\", \"message\": {}}}",
            "{\"match\": {\"service\": \"sqs\"}, \"effect\": {\"type\": \"timeout\"}}"};
        for (const char *text : bad) {
            auto r = faults.add(rule(text));
            QVERIFY2(!r, text);
            QCOMPARE(r.error().code, QStringLiteral("ValidationException"));
            QCOMPARE(r.error().httpStatus, 400);
        }
        QCOMPARE(faults.rules().size(), 4);
        QVERIFY(faults.remove(QStringLiteral("fault-1")));
        QVERIFY(!faults.remove(QStringLiteral("fault-1")));
        faults.clear();
        QVERIFY(faults.isEmpty());
    }

    void matchingAndCounts()
    {
        // Logical ids map to physical names as the template made them.
        FaultInjector faults([](const QString &name) {
            return name == QLatin1String("Uploads") ? QStringLiteral("demo-uploads") : name;
        });
        QVERIFY(faults.add(rule("{\"match\": {\"service\": \"s3\", \"operation\": \"PutObject\", "
                                "\"resource\": \"Uploads\", \"count\": 2}, "
                                "\"effect\": {\"type\": \"error\"}}")));
        const auto names = [](const QString &wanted) {
            return [wanted](const QString &name) { return name == wanted; };
        };
        QVERIFY(!faults.forRequest(QStringLiteral("s3"), QStringLiteral("GetObject"),
            names(QStringLiteral("demo-uploads"))));
        QVERIFY(!faults.forRequest(QStringLiteral("s3"), QStringLiteral("PutObject"),
            names(QStringLiteral("demo-summaries"))));
        QVERIFY(!faults.forRequest(QStringLiteral("sqs"), QStringLiteral("PutObject"),
            names(QStringLiteral("demo-uploads"))));
        for (int i = 0; i < 2; ++i) {
            auto hit = faults.forRequest(QStringLiteral("s3"), QStringLiteral("putobject"),
                names(QStringLiteral("demo-uploads")));
            QVERIFY(hit);
            QCOMPARE(hit->code, QStringLiteral("SlowDown"));
        }
        QVERIFY(!faults.forRequest(QStringLiteral("s3"), QStringLiteral("PutObject"),
            names(QStringLiteral("demo-uploads"))));
        QCOMPARE(faults.rules().first().injected, 2);
        QCOMPARE(faults.rules().first().count, 0);
        // Delivery rules never act on requests, nor request rules on deliveries.
        QVERIFY(faults.add(rule(
            "{\"match\": {\"function\": \"Uploads\"}, \"effect\": {\"type\": \"duplicate\"}}")));
        QVERIFY(!faults.forRequest(
            QStringLiteral("lambda"), QString(), names(QStringLiteral("demo-uploads"))));
        QVERIFY(!faults.forDelivery(QStringLiteral("other")));
        auto dup = faults.forDelivery(QStringLiteral("demo-uploads"));
        QVERIFY(dup);
        QCOMPARE(dup->effect, FaultRule::Effect::Duplicate);
        // Probability 0 never fires; and it is not counted.
        faults.clear();
        QVERIFY(faults.add(
            rule("{\"match\": {\"probability\": 0}, \"effect\": {\"type\": \"drop\"}}")));
        for (int i = 0; i < 100; ++i)
            QVERIFY(!faults.forRequest(QStringLiteral("s3"), QString(), names(QString())));
        QCOMPARE(faults.rules().first().injected, 0);
    }

    void restOperations()
    {
        const auto op = [](const HttpRequest &r) { return restOperation(r, detectService(r)); };
        QCOMPARE(op(request("PUT", "/bucket/key")), QStringLiteral("PutObject"));
        QCOMPARE(op(request("GET", "/bucket/a/b")), QStringLiteral("GetObject"));
        QCOMPARE(op(request("HEAD", "/bucket/a")), QStringLiteral("HeadObject"));
        QCOMPARE(op(request("DELETE", "/bucket/a")), QStringLiteral("DeleteObject"));
        QCOMPARE(op(request("GET", "/bucket?list-type=2")), QStringLiteral("ListObjectsV2"));
        QCOMPARE(op(request("PUT", "/bucket")), QStringLiteral("CreateBucket"));
        QCOMPARE(op(request("POST", "/bucket?delete")), QStringLiteral("DeleteObjects"));
        QCOMPARE(
            op(request("PUT", "/bucket/k?partNumber=1&uploadId=x")), QStringLiteral("UploadPart"));
        QCOMPARE(op(request("POST", "/bucket/k?uploads")), QStringLiteral("CreateMultipartUpload"));
        QCOMPARE(op(request("GET", "/")), QStringLiteral("ListBuckets"));
        HttpRequest invoke = request("POST", "/2015-03-31/functions/fn/invocations");
        invoke.headers.add("authorization",
            "AWS4-HMAC-SHA256 Credential=t/20240101/us-east-1/lambda/aws4_request, "
            "SignedHeaders=host, Signature=x");
        QCOMPARE(op(invoke), QStringLiteral("Invoke"));
        HttpRequest json = request("POST", "/", "{}", "application/x-amz-json-1.0");
        json.headers.add("x-amz-target", "DynamoDB_20120810.PutItem");
        QCOMPARE(op(json), QStringLiteral("PutItem"));
    }

    void namesInRequests()
    {
        QVERIFY(requestNames(request("PUT", "/demo-uploads/k"), QStringLiteral("demo-uploads")));
        QVERIFY(!requestNames(request("PUT", "/demo-uploads/k"), QStringLiteral("demo")));
        QVERIFY(!requestNames(request("PUT", "/demo-uploads-2/k"), QStringLiteral("demo-uploads")));
        QVERIFY(requestNames(
            request("POST", "/", "{\"TableName\":\"notes\"}"), QStringLiteral("notes")));
        QVERIFY(!requestNames(
            request("POST", "/", "{\"TableName\":\"notes2\"}"), QStringLiteral("notes")));
        QVERIFY(requestNames(
            request("POST", "/", "Action=SendMessage&QueueUrl=http%3A%2F%2Fh%2F000000000000%2Fjobs",
                "application/x-www-form-urlencoded"),
            QStringLiteral("jobs")));
        QVERIFY(requestNames(request("GET", "/?QueueUrl=http://h/0/jobs"), QStringLiteral("jobs")));
        HttpRequest hosted = request("GET", "/key");
        hosted.headers.set("host", "photos.s3.localhost:4566");
        QVERIFY(requestNames(hosted, QStringLiteral("photos")));
        QVERIFY(requestNames(request("GET", "/x"), QString()));
    }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "tst_faults.moc"
