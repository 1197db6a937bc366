#include "base/json.h"
#include "http/httpmessage.h"
#include "http/servicedetector.h"

#include <QFile>
#include <QSet>
#include <QTemporaryFile>
#include <QTest>

#include <memory>
#include <vector>

using namespace tarmac;

Q_DECLARE_METATYPE(tarmac::HttpRequest)

namespace {

using HeaderList = QList<std::pair<QByteArray, QByteArray>>;

HttpRequest makeRequest(const QByteArray &method, const QByteArray &target,
    const HeaderList &headers = {}, const QByteArray &body = {})
{
    HttpRequest request;
    request.method = method;
    request.target = target;
    const qsizetype question = target.indexOf('?');
    request.path = question < 0 ? target : target.left(question);
    request.query = question < 0 ? QByteArray() : target.mid(question + 1);
    for (const auto &[name, value] : headers)
        request.headers.add(name, value);
    request.body = HttpBody(body);
    return request;
}

// One request botocore really sent, and what the router must make of it.
struct CapturedRequest
{
    QByteArray name;
    HttpRequest request;
    Json expect;
};

// The file holds absolute URLs; the server sees the origin-form target and a Host header.
HttpRequest requestFromCapture(const Json &record)
{
    const QByteArray url = QByteArray::fromStdString(record.at("url").get<std::string>());
    const qsizetype authority = url.indexOf("://") + 3;
    const qsizetype slash = url.indexOf('/', authority);
    HeaderList headers;
    for (const auto &[name, value] : record.at("headers").items())
        headers.append(
            {QByteArray::fromStdString(name), QByteArray::fromStdString(value.get<std::string>())});
    QByteArray body;
    if (record.contains("body"))
        body = QByteArray::fromStdString(record.at("body").get<std::string>());
    else if (record.contains("bodyBase64"))
        body = QByteArray::fromBase64(
            QByteArray::fromStdString(record.at("bodyBase64").get<std::string>()));
    return makeRequest(QByteArray::fromStdString(record.at("method").get<std::string>()),
        slash < 0 ? QByteArrayLiteral("/") : url.mid(slash), headers, body);
}

const std::vector<CapturedRequest> &capturedRequests()
{
    static const std::vector<CapturedRequest> requests = [] {
        std::vector<CapturedRequest> out;
        QFile file(QStringLiteral(TARMAC_BOTOCORE_REQUESTS));
        if (!file.open(QIODevice::ReadOnly))
            return out;
        const Result<Json> json = parseJson(file.readAll());
        if (!json.ok())
            return out;
        for (const Json &record : json->at("requests")) {
            out.push_back({QByteArray::fromStdString(record.at("name").get<std::string>()),
                requestFromCapture(record), record.at("expect")});
        }
        return out;
    }();
    return requests;
}

// What a hand-written row expects; a default region and an empty operation unless stated.
struct Expected
{
    const char *service;
    const char *protocol;
    const char *operation = "";
    const char *region = "us-east-1";
};

void addRow(const char *tag, const HttpRequest &request, const Expected &expected)
{
    QTest::newRow(tag) << request << QString::fromLatin1(expected.service)
                       << QString::fromLatin1(expected.operation)
                       << QString::fromLatin1(expected.region) << QByteArray(expected.protocol);
}

QString expectString(const Json &expect, const char *key)
{
    return QString::fromStdString(expect.value(key, std::string()));
}

} // namespace

class TestServiceDetector : public QObject
{
    Q_OBJECT
private slots:
    void captureCoversEveryService()
    {
        const std::vector<CapturedRequest> &requests = capturedRequests();
        QVERIFY2(requests.size() > 90, "tests/unit/http/data/botocore-requests.json is missing");
        QSet<QString> services;
        int unsigned_ = 0;
        for (const CapturedRequest &captured : requests) {
            services.insert(expectString(captured.expect, "service"));
            if (!captured.request.headers.contains(QByteArrayLiteral("authorization")))
                ++unsigned_;
        }
        for (const char *service : {"s3", "sqs", "dynamodb", "dynamodbstreams", "lambda", "sts",
                 "iam", "events", "logs", "scheduler"})
            QVERIFY2(services.contains(QString::fromLatin1(service)), service);
        QVERIFY(unsigned_ >= 20);
    }

    void detectService_data()
    {
        QTest::addColumn<HttpRequest>("request");
        QTest::addColumn<QString>("service");
        QTest::addColumn<QString>("operation");
        QTest::addColumn<QString>("region");
        QTest::addColumn<QByteArray>("protocol");

        for (const CapturedRequest &captured : capturedRequests()) {
            const Json &e = captured.expect;
            const QByteArray tag = "botocore: " + captured.name;
            QTest::newRow(tag.constData())
                << captured.request << expectString(e, "service") << expectString(e, "operation")
                << expectString(e, "region") << expectString(e, "protocol").toLatin1();
        }

        // Hand-written rows: the edge cases no SDK sends on its own.
        const QByteArray local = QByteArrayLiteral("127.0.0.1:4566");
        const QByteArray form = QByteArrayLiteral("application/x-www-form-urlencoded");
        auto scope = [](const char *region, const char *service) -> QByteArray {
            return QByteArrayLiteral("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240115/") + region
                + '/' + service
                + QByteArrayLiteral("/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab12");
        };
        const QByteArray sigV4a
            = QByteArrayLiteral("AWS4-ECDSA-P256-SHA256 Credential=AKID/20240115/s3/aws4_request, "
                                "SignedHeaders=host, Signature=30440220");
        const Expected s3 {.service = "s3", .protocol = "rest-xml"};

        // Anonymous and badly signed requests fall through to the fingerprints.
        addRow("no auth, list buckets", makeRequest("GET", "/", {{"Host", local}}), s3);
        addRow("no auth, no host", makeRequest("GET", "/bucket/key"), s3);
        addRow("garbage authorization",
            makeRequest("GET", "/bucket/key", {{"Host", local}, {"Authorization", "garbage"}}), s3);
        addRow("empty authorization", makeRequest("GET", "/b/k", {{"Authorization", ""}}), s3);
        addRow("sigv4 without credential, target decides",
            makeRequest("POST", "/",
                {{"Authorization", "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=1"},
                    {"X-Amz-Target", "DynamoDB_20120810.Scan"},
                    {"Content-Type", "application/x-amz-json-1.0"}},
                "{}"),
            {.service = "dynamodb", .protocol = "json", .operation = "Scan"});
        addRow("sigv4 with a short scope",
            makeRequest(
                "GET", "/b", {{"Authorization", "AWS4-HMAC-SHA256 Credential=A/aws4_request"}}),
            s3);
        addRow("sigv2 header is legacy s3",
            makeRequest("GET", "/bucket/key", {{"Authorization", "AWS AKIDEXAMPLE:c2lnbmF0dXJl"}}),
            s3);
        addRow("unknown signing name",
            makeRequest("GET", "/", {{"Authorization", scope("eu-central-1", "foobar")}}),
            {.service = "", .protocol = "", .region = "eu-central-1"});
        addRow("unknown signing name with a known target",
            makeRequest("POST", "/",
                {{"Authorization", scope("us-west-2", "foobar")},
                    {"X-Amz-Target", "AmazonSQS.SendMessage"}}),
            {.service = "", .protocol = "json", .region = "us-west-2"});
        addRow("unparseable region falls back to the default",
            makeRequest("GET", "/bucket", {{"Authorization", scope("Eu_West", "s3")}}), s3);
        addRow("signing name beats a lambda-looking path",
            makeRequest(
                "GET", "/2015-03-31/functions", {{"Authorization", scope("us-east-1", "s3")}}),
            s3);
        addRow("s3 signing name, s3 control path",
            makeRequest("GET", "/v20180820/configuration/publicAccessBlock",
                {{"Authorization", scope("us-east-1", "s3")}}),
            {.service = "s3control", .protocol = "rest-xml"});
        addRow("sigv4a takes the region from the region set",
            makeRequest("GET", "/b/k",
                {{"Authorization", sigV4a}, {"X-Amz-Region-Set", "eu-west-2,eu-west-1"}}),
            {.service = "s3", .protocol = "rest-xml", .region = "eu-west-2"});
        addRow("sigv4a wildcard region set",
            makeRequest("GET", "/b/k", {{"Authorization", sigV4a}, {"X-Amz-Region-Set", "*"}}), s3);

        // Hosts.
        addRow("virtual host with port",
            makeRequest("GET", "/photo.jpg", {{"Host", "photos.localhost:4566"}}), s3);
        addRow("ipv6 host with port", makeRequest("GET", "/b/k", {{"Host", "[::1]:4566"}}), s3);
        addRow("ipv6 host, sqs target",
            makeRequest("POST", "/",
                {{"Host", "[::1]:4566"}, {"X-Amz-Target", "AmazonSQS.ListQueues"},
                    {"Content-Type", "application/x-amz-json-1.0"}},
                "{}"),
            {.service = "sqs", .protocol = "json", .operation = "ListQueues"});
        addRow("ipv6 host without port",
            makeRequest("GET", "/2015-03-31/functions", {{"Host", "[::1]"}}),
            {.service = "lambda", .protocol = "rest-json"});
        addRow("bucket named like a service, s3 host",
            makeRequest("GET", "/k", {{"Host", "sqs.s3.localhost:4566"}}), s3);
        addRow("streams endpoint host",
            makeRequest("POST", "/", {{"Host", "streams.dynamodb.us-east-1.localhost:4566"}}),
            {.service = "dynamodbstreams", .protocol = "json"});
        addRow("function url with iam auth",
            makeRequest("POST", "/",
                {{"Host", "abcdef.lambda-url.eu-west-1.localhost:4566"},
                    {"Authorization", scope("eu-west-1", "lambda")}},
                "{}"),
            {.service = "lambda",
                .protocol = "rest-json",
                .operation = "InvokeFunctionUrl",
                .region = "eu-west-1"});

        // Paths and query strings.
        addRow("sqs query GET on a queue path",
            makeRequest("GET", "/000000000000/orders?Action=ReceiveMessage&Version=2012-11-05"),
            {.service = "sqs", .protocol = "query", .operation = "ReceiveMessage"});
        addRow("sqs query GET on root",
            makeRequest("GET", "/?Action=ListQueues&Version=2012-11-05", {{"Host", local}}),
            {.service = "sqs", .protocol = "query", .operation = "ListQueues"});
        addRow("sqs query POST to a fifo queue path, no version",
            makeRequest("POST", "/000000000000/orders.fifo", {{"Content-Type", form}},
                "Action=SendMessage&MessageBody=x"),
            {.service = "sqs", .protocol = "query", .operation = "SendMessage"});
        addRow("twelve-digit bucket GET is s3",
            makeRequest("GET", "/123456789012/photo", {{"Host", local}}), s3);
        addRow("twelve-digit bucket multipart POST is s3",
            makeRequest("POST", "/123456789012/photo?uploads", {{"Host", local}}), s3);
        addRow("lambda date with an unknown resource is s3",
            makeRequest("GET", "/2015-03-31/photos", {{"Host", local}}), s3);
        addRow("scheduler tags by arn",
            makeRequest(
                "GET", "/tags/arn%3Aaws%3Ascheduler%3Aus-east-1%3A000000000000%3Aschedule%2Fd%2Ft"),
            {.service = "scheduler", .protocol = "rest-json"});
        addRow("x-ray segments",
            makeRequest("POST", "/TraceSegments", {{"Content-Type", "application/json"}}, "{}"),
            {.service = "xray", .protocol = "rest-json"});
        addRow("cloudwatch smithy rpc v2",
            makeRequest("POST", "/service/GraniteServiceVersion20100801/operation/PutMetricData",
                {{"Smithy-Protocol", "rpc-v2-cbor"}, {"Content-Type", "application/cbor"}}),
            {.service = "cloudwatch",
                .protocol = "smithy-rpc-v2-cbor",
                .operation = "PutMetricData"});

        // Targets and form bodies.
        addRow("unknown target is json, not s3",
            makeRequest("POST", "/", {{"X-Amz-Target", "Foo_20200101.Bar"}}, "{}"),
            {.service = "", .protocol = "json"});
        addRow("kinesis target",
            makeRequest("POST", "/", {{"X-Amz-Target", "Kinesis_20131202.PutRecord"}}, "{}"),
            {.service = "kinesis", .protocol = "json", .operation = "PutRecord"});
        addRow("form with an unknown version",
            makeRequest("POST", "/", {{"Content-Type", form}},
                "Action=DescribeInstances&Version=2016-11-15"),
            {.service = "", .protocol = "query", .operation = "DescribeInstances"});
        addRow("form content type is case-insensitive",
            makeRequest("POST", "/",
                {{"Content-Type", "Application/X-WWW-Form-URLEncoded; charset=UTF-8"}},
                "Action=GetCallerIdentity&Version=2011-06-15"),
            {.service = "sts", .protocol = "query", .operation = "GetCallerIdentity"});
        addRow("form-like body without form content type is not read",
            makeRequest("POST", "/", {{"Content-Type", "application/json"}},
                "Action=SendMessage&Version=2012-11-05"),
            s3);
        addRow("percent-encoded action",
            makeRequest(
                "POST", "/", {{"Content-Type", form}}, "Version=2010-05-08&Action=List%52oles"),
            {.service = "iam", .protocol = "query", .operation = "ListRoles"});
    }
    void detectService()
    {
        QFETCH(HttpRequest, request);
        QFETCH(QString, service);
        QFETCH(QString, operation);
        QFETCH(QString, region);
        QFETCH(QByteArray, protocol);

        const ServiceMatch match = tarmac::detectService(request);
        QCOMPARE(match.service, service);
        QCOMPARE(match.operation, operation);
        QCOMPARE(match.region, region);
        QCOMPARE(match.protocol, protocol);
        QCOMPARE(match.isValid(), !service.isEmpty());
    }

    void spooledFormBodyIsReadFromTheFile()
    {
        auto file = std::make_shared<QTemporaryFile>();
        QVERIFY(file->open());
        const QByteArray form
            = "Action=SendMessage&Version=2012-11-05&MessageBody=" + QByteArray(256 * 1024, 'x');
        QCOMPARE(file->write(form), form.size());
        file->flush();
        HttpRequest request
            = makeRequest("POST", "/", {{"Content-Type", "application/x-www-form-urlencoded"}});
        request.body = HttpBody::fromFile(file, form.size());

        const ServiceMatch match = tarmac::detectService(request);
        QCOMPARE(match.service, QStringLiteral("sqs"));
        QCOMPARE(match.operation, QStringLiteral("SendMessage"));
        QCOMPARE(match.protocol, QByteArray("query"));
    }

    void capturedS3Address_data()
    {
        QTest::addColumn<HttpRequest>("request");
        QTest::addColumn<QString>("bucket");
        for (const CapturedRequest &captured : capturedRequests()) {
            if (captured.expect.contains("bucket")) {
                const QByteArray tag = "botocore: " + captured.name;
                QTest::newRow(tag.constData())
                    << captured.request << expectString(captured.expect, "bucket");
            }
        }
    }

    void capturedS3Address()
    {
        QFETCH(HttpRequest, request);
        QFETCH(QString, bucket);
        QCOMPARE(tarmac::s3Address(request).bucket, bucket);
    }

    void s3Address_data()
    {
        QTest::addColumn<QByteArray>("host");
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<QString>("bucket");
        QTest::addColumn<QString>("key");
        QTest::addColumn<bool>("virtualHosted");

        QTest::newRow("list buckets")
            << QByteArray("127.0.0.1:4566") << QByteArray("/") << QString() << QString() << false;
        QTest::newRow("bucket only")
            << QByteArray("127.0.0.1:4566") << QByteArray("/demo?list-type=2")
            << QStringLiteral("demo") << QString() << false;
        QTest::newRow("bucket slash") << QByteArray("localhost:4566") << QByteArray("/demo/")
                                      << QStringLiteral("demo") << QString() << false;
        QTest::newRow("path style key")
            << QByteArray("127.0.0.1:4566") << QByteArray("/demo/dir/hello%20world+1.txt")
            << QStringLiteral("demo") << QStringLiteral("dir/hello world+1.txt") << false;
        QTest::newRow("empty segments in key")
            << QByteArray("127.0.0.1:4566") << QByteArray("/demo/a//b") << QStringLiteral("demo")
            << QStringLiteral("a//b") << false;
        QTest::newRow("utf-8 key")
            << QByteArray("127.0.0.1:4566") << QByteArray("/demo/caf%C3%A9")
            << QStringLiteral("demo") << QStringLiteral("caf\u00e9") << false;
        QTest::newRow("virtual host key")
            << QByteArray("demo.localhost:4566") << QByteArray("/dir/k.txt?x-id=GetObject")
            << QStringLiteral("demo") << QStringLiteral("dir/k.txt") << true;
        QTest::newRow("virtual host root")
            << QByteArray("demo.s3.localhost:4566") << QByteArray("/") << QStringLiteral("demo")
            << QString() << true;
    }

    void s3Address()
    {
        QFETCH(QByteArray, host);
        QFETCH(QByteArray, target);
        QFETCH(QString, bucket);
        QFETCH(QString, key);
        QFETCH(bool, virtualHosted);
        const S3Address address = tarmac::s3Address(makeRequest("GET", target, {{"Host", host}}));
        QCOMPARE(address.bucket, bucket);
        QCOMPARE(address.key, key);
        QCOMPARE(address.virtualHosted, virtualHosted);
    }

    void s3BucketFromHost_data()
    {
        QTest::addColumn<QByteArray>("host");
        QTest::addColumn<QString>("bucket");
        auto row = [](const char *host, const char *bucket) {
            QTest::newRow(*host ? host : "(no host)")
                << QByteArray(host) << QString::fromLatin1(bucket);
        };
        row("", "");
        row("localhost", "");
        row("localhost:4566", "");
        row("127.0.0.1:4566", "");
        row("192.168.1.20", "");
        row("[::1]:4566", "");
        row("[::1]", "");
        row("[fe80::1%25eth0]:4566", "");
        row("tarmac.internal:4566", "");
        row("s3.localhost:4566", "");
        row("localhost.localstack.cloud:4566", "");
        row("demo.localhost", "demo");
        row("demo.localhost:4566", "demo");
        row("demo.localhost.:4566", "demo");
        row("Demo.LocalHost:4566", "demo");
        row("my.dotted.bucket.localhost:4566", "my.dotted.bucket");
        row("demo.s3.localhost:4566", "demo");
        row("demo.s3.localhost.localstack.cloud:4566", "demo");
        row("demo.localhost.localstack.cloud:4566", "demo");
        row("demo.s3.amazonaws.com", "demo");
        row("my.dotted.bucket.s3.us-east-1.amazonaws.com", "my.dotted.bucket");
        row("demo.s3-website-us-east-1.amazonaws.com", "demo");
        row("demo.s3-us-west-2.amazonaws.com:443", "demo");
    }

    void s3BucketFromHost()
    {
        QFETCH(QByteArray, host);
        QFETCH(QString, bucket);
        QCOMPARE(tarmac::s3BucketFromHost(host), bucket);
    }

    void credentialScope_data()
    {
        QTest::addColumn<HttpRequest>("request");
        QTest::addColumn<QByteArray>("signingName");
        QTest::addColumn<QByteArray>("region");

        QTest::newRow("header") << makeRequest("GET", "/",
            {{"Authorization",
                "AWS4-HMAC-SHA256 Credential=AKID/20240115/ap-south-1/sqs/"
                "aws4_request,SignedHeaders=host,Signature=ab"}})
                                << QByteArray("sqs") << QByteArray("ap-south-1");
        QTest::newRow("header with extra spaces")
            << makeRequest("GET", "/",
                   {{"Authorization",
                       "  AWS4-HMAC-SHA256   Credential=AKID/20240115/us-west-1/lambda/"
                       "aws4_request , SignedHeaders=host"}})
            << QByteArray("lambda") << QByteArray("us-west-1");
        QTest::newRow("presigned") << makeRequest("GET",
            "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240115%2F"
            "eu-north-1%2Fs3%2Faws4_request&X-Amz-Signature=ab")
                                   << QByteArray("s3") << QByteArray("eu-north-1");
        QTest::newRow("presigned sigv4a") << makeRequest("GET",
            "/b/k?X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=AKID%2F"
            "20240115%2Fs3%2Faws4_request&X-Amz-Region-Set=ca-central-1")
                                          << QByteArray("s3") << QByteArray("ca-central-1");
        QTest::newRow("header wins over query") << makeRequest("GET",
            "/b/k?X-Amz-Credential=AKID%2F20240115%2Feu-north-1%2Fs3%2Faws4_request",
            {{"Authorization",
                "AWS4-HMAC-SHA256 Credential=AKID/20240115/us-east-2/s3/aws4_request"}})
                                                << QByteArray("s3") << QByteArray("us-east-2");
        QTest::newRow("garbage") << makeRequest("GET", "/", {{"Authorization", "Bearer x.y.z"}})
                                 << QByteArray() << QByteArray();
        QTest::newRow("wrong terminator") << makeRequest("GET", "/",
            {{"Authorization",
                "AWS4-HMAC-SHA256 Credential=AKID/20240115/us-east-1/s3/aws5_request"}})
                                          << QByteArray() << QByteArray();
        QTest::newRow("empty credential")
            << makeRequest("GET", "/", {{"Authorization", "AWS4-HMAC-SHA256 Credential="}})
            << QByteArray() << QByteArray();
        QTest::newRow("none") << makeRequest("GET", "/b/k?X-Amz-Date=20240115T000000Z")
                              << QByteArray() << QByteArray();
    }

    void credentialScope()
    {
        QFETCH(HttpRequest, request);
        QFETCH(QByteArray, signingName);
        QFETCH(QByteArray, region);
        const CredentialScope scope = tarmac::credentialScope(request);
        QCOMPARE(scope.signingName, signingName);
        QCOMPARE(scope.region, region);
    }

    void detectServiceIsCheap()
    {
        const std::vector<CapturedRequest> &requests = capturedRequests();
        QVERIFY(!requests.empty());
        qsizetype matched = 0;
        QBENCHMARK
        {
            for (const CapturedRequest &captured : requests)
                matched += tarmac::detectService(captured.request).isValid() ? 1 : 0;
        }
        QVERIFY(matched > 0);
    }
};

QTEST_GUILESS_MAIN(TestServiceDetector)
#include "tst_servicedetector.moc"
