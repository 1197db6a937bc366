// lambdarequests: Lambda's request bodies and headers read into the model, where a wrong type
// is a 400 naming the field, never an exception.
#include "services/lambda/lambdarequests.h"

#include <QTest>

using namespace tarmac;
using namespace tarmac::lambdarequests;

namespace {

Json json(const QByteArray &text)
{
    auto parsed = parseJson(text);
    return parsed ? *parsed : Json::object();
}

const QByteArray kZip = QByteArrayLiteral("UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="); // an empty zip

QByteArray createBody(const QByteArray &extra)
{
    QByteArray body = R"({"FunctionName":"f","Runtime":"python3.11","Handler":"app.handler",)"
                      R"("Code":{"ZipFile":")"
        + kZip + R"("})";
    if (!extra.isEmpty())
        body += ',' + extra;
    return body + '}';
}

HttpRequest invokeRequest(const QByteArray &type, const QByteArray &logType, const QByteArray &body)
{
    HttpRequest r;
    r.method = "POST";
    if (!type.isNull())
        r.headers.add("x-amz-invocation-type", type);
    if (!logType.isNull())
        r.headers.add("x-amz-log-type", logType);
    r.body = HttpBody(body);
    return r;
}

} // namespace

class TestLambdaRequests : public QObject
{
    Q_OBJECT
private slots:
    void bodyMustBeAnObject_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<bool>("ok");
        QTest::newRow("empty") << QByteArray() << true;
        QTest::newRow("object") << QByteArray("{}") << true;
        QTest::newRow("array") << QByteArray("[]") << false;
        QTest::newRow("string") << QByteArray(R"("x")") << false;
        QTest::newRow("null") << QByteArray("null") << false;
        QTest::newRow("broken") << QByteArray(R"({"Timeout":)") << false;
    }
    void bodyMustBeAnObject()
    {
        QFETCH(QByteArray, body);
        QFETCH(bool, ok);
        HttpRequest r;
        r.body = HttpBody(body);
        const auto parsed = bodyObject(r);
        QCOMPARE(parsed.ok(), ok);
        if (!ok) {
            QCOMPARE(parsed.error().code, QStringLiteral("InvalidRequestContentException"));
            QCOMPARE(parsed.error().httpStatus, 400);
        }
    }

    void createFunctionReadsEveryField()
    {
        const auto r = createFunction(json(createBody(
            R"("Timeout":30,"MemorySize":256,"Role":"arn:r","Description":"d",)"
            R"("Environment":{"Variables":{"A":"1"}},"TracingConfig":{"Mode":"Active"},)"
            R"("EphemeralStorage":{"Size":1024},"Tags":{"team":"x"},"Architectures":["arm64"],)"
            R"("Publish":true,"Layers":[],"PackageType":"Zip")")));
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        const LambdaFunction &fn = r->function;
        QCOMPARE(fn.config.name, QStringLiteral("f"));
        QCOMPARE(fn.config.timeoutSeconds, 30);
        QCOMPARE(fn.config.memoryMb, 256);
        QCOMPARE(fn.config.environment.value(QStringLiteral("A")), QStringLiteral("1"));
        QCOMPARE(fn.tracingMode, QStringLiteral("Active"));
        QCOMPARE(fn.ephemeralStorageMb, 1024);
        QCOMPARE(fn.tags.value(QStringLiteral("team")), QStringLiteral("x"));
        QCOMPARE(fn.architectures, QStringList {QStringLiteral("arm64")});
        QCOMPARE(fn.role, QStringLiteral("arn:r"));
        QVERIFY(!r->code.fromS3());
        QCOMPARE(r->code.zip.left(4), QByteArray("PK\x05\x06"));

        const auto defaults = createFunction(json(createBody({})));
        QVERIFY(defaults.ok());
        QCOMPARE(defaults->function.config.timeoutSeconds, 3);
        QCOMPARE(defaults->function.config.memoryMb, 128);
        QCOMPARE(defaults->function.ephemeralStorageMb, 512);
        QCOMPARE(defaults->function.tracingMode, QStringLiteral("PassThrough"));

        const auto s3 = createFunction(json(R"({"FunctionName":"f","Code":{"S3Bucket":"b",)"
                                            R"("S3Key":"k","S3ObjectVersion":"3"}})"));
        QVERIFY(s3.ok());
        QVERIFY(s3->code.fromS3());
        QCOMPARE(s3->code.s3ObjectVersion, QStringLiteral("3"));
    }

    // A field of the wrong type: InvalidParameterValueException naming the field; a shape
    // that is right but a request Lambda refuses: its own message.
    void createFunctionRefuses_data()
    {
        QTest::addColumn<QByteArray>("extra");
        QTest::addColumn<QString>("message"); // a part of the expected message
        QTest::newRow("tracing mode number")
            << QByteArray(R"("TracingConfig":{"Mode":1})")
            << "at 'tracingConfig.mode' failed to satisfy constraint: Member must be a string";
        QTest::newRow("tracing config string")
            << QByteArray(R"("TracingConfig":"Active")") << "at 'tracingConfig' failed";
        QTest::newRow("storage size string") << QByteArray(R"("EphemeralStorage":{"Size":"x"})")
                                             << "Value 'x' at 'ephemeralStorage.size'";
        QTest::newRow("timeout fraction") << QByteArray(R"("Timeout":1.5)") << "at 'timeout'";
        QTest::newRow("memory bool") << QByteArray(R"("MemorySize":true)") << "at 'memorySize'";
        QTest::newRow("variables array")
            << QByteArray(R"("Environment":{"Variables":[]})") << "at 'environment.variables'";
        QTest::newRow("variable number")
            << QByteArray(R"("Environment":{"Variables":{"A":1}})") << "Map value must be a string";
        QTest::newRow("tags list") << QByteArray(R"("Tags":["a"])") << "at 'tags'";
        QTest::newRow("tag value object") << QByteArray(R"("Tags":{"a":{}})") << "at 'tags'";
        QTest::newRow("architecture number")
            << QByteArray(R"("Architectures":[1])") << "at 'architectures.1.member'";
        QTest::newRow("two architectures") << QByteArray(R"("Architectures":["x86_64","arm64"])")
                                           << "Member must have length equal to 1";
        QTest::newRow("publish string") << QByteArray(R"("Publish":"yes")") << "at 'publish'";
        QTest::newRow("layers string") << QByteArray(R"("Layers":"l")") << "at 'layers'";
        QTest::newRow("subnet number") << QByteArray(R"("VpcConfig":{"SubnetIds":[1]})")
                                       << "at 'vpcConfig.subnetIds.1.member'";
        QTest::newRow("image package")
            << QByteArray(R"("PackageType":"Image")") << "Tarmac runs Zip functions only";
        QTest::newRow("package type number")
            << QByteArray(R"("PackageType":0)") << "at 'packageType'";
    }
    void createFunctionRefuses()
    {
        QFETCH(QByteArray, extra);
        QFETCH(QString, message);
        const auto r = createFunction(json(createBody(extra)));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, QStringLiteral("InvalidParameterValueException"));
        QCOMPARE(r.error().httpStatus, 400);
        QVERIFY2(r.error().message.contains(message), qPrintable(r.error().message));
    }

    void createFunctionCode_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("message");
        const auto row = [](const char *name, const char *code, const char *message) {
            QTest::newRow(name) << QByteArray(code) << QString::fromLatin1(message);
        };
        row("no code", R"({"FunctionName":"f"})", "Code is required");
        row("code string", R"({"FunctionName":"f","Code":"zip"})", "at 'code'");
        row("zip number", R"({"FunctionName":"f","Code":{"ZipFile":5}})", "at 'code.zipFile'");
        row("zip not base64", R"({"FunctionName":"f","Code":{"ZipFile":"@@"}})",
            "Could not unzip uploaded file");
        row("image", R"({"FunctionName":"f","Code":{"ImageUri":"x"}})",
            "container images are not supported");
        row("bucket alone", R"({"FunctionName":"f","Code":{"S3Bucket":"b"}})",
            "Code needs both S3Bucket and S3Key");
        row("key number", R"({"FunctionName":"f","Code":{"S3Bucket":"b","S3Key":1}})",
            "at 'code.s3Key'");
        row("empty code", R"({"FunctionName":"f","Code":{}})", "Code must have ZipFile");
        row("no name", R"({"Code":{}})", "FunctionName is required");
        row("name number", R"({"FunctionName":1,"Code":{}})", "at 'functionName'");
    }

    void createFunctionCode()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, message);
        const auto r = createFunction(json(body));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().httpStatus, 400);
        QVERIFY2(r.error().message.contains(message), qPrintable(r.error().message));
    }

    // Only what was sent changes.
    void configurationUpdate()
    {
        LambdaFunction fn;
        fn.config.name = QStringLiteral("f");
        fn.config.runtime = QStringLiteral("python3.11");
        fn.config.timeoutSeconds = 9;
        fn.config.environment.insert(QStringLiteral("A"), QStringLiteral("1"));
        fn.description = QStringLiteral("kept");

        auto u = lambdarequests::configurationUpdate(
            json(R"({"Timeout":20,"EphemeralStorage":{"Size":2048},)"
                 R"("TracingConfig":{"Mode":"Active"},"Description":null,"RevisionId":"r1"})"));
        QVERIFY(u.ok());
        QCOMPARE(u->revisionId, QStringLiteral("r1"));
        LambdaFunction changed = fn;
        u->applyTo(changed);
        QCOMPARE(changed.config.timeoutSeconds, 20);
        QCOMPARE(changed.ephemeralStorageMb, 2048);
        QCOMPARE(changed.tracingMode, QStringLiteral("Active"));
        QCOMPARE(changed.description, QStringLiteral("kept"));
        QCOMPARE(changed.config.runtime, QStringLiteral("python3.11"));
        QCOMPARE(changed.config.environment, fn.config.environment);

        // An Environment without Variables clears them.
        u = lambdarequests::configurationUpdate(json(R"({"Environment":{}})"));
        QVERIFY(u.ok());
        changed = fn;
        u->applyTo(changed);
        QVERIFY(changed.config.environment.isEmpty());

        // The crash of issue 12: now a 400 that names the field.
        u = lambdarequests::configurationUpdate(json(R"({"EphemeralStorage":{"Size":"x"}})"));
        QVERIFY(!u.ok());
        QCOMPARE(u.error().code, QStringLiteral("InvalidParameterValueException"));
        QCOMPARE(u.error().message,
            QStringLiteral("1 validation error detected: Value 'x' at 'ephemeralStorage.size' "
                           "failed to satisfy constraint: Member must be an integer"));
        u = lambdarequests::configurationUpdate(json(R"({"RevisionId":7})"));
        QVERIFY(!u.ok());
        QVERIFY(u.error().message.contains(QLatin1String("at 'revisionId'")));
        u = lambdarequests::configurationUpdate(json(R"({"DeadLetterConfig":{"TargetArn":[]}})"));
        QVERIFY(!u.ok());
        QVERIFY(u.error().message.contains(QLatin1String("at 'deadLetterConfig.targetArn'")));
    }

    void codeUpdate()
    {
        auto u = lambdarequests::codeUpdate(json(R"({"ZipFile":")" + kZip + R"(","DryRun":true})"));
        QVERIFY(u.ok());
        QVERIFY(u->dryRun);
        QVERIFY(!u->code.zip.isEmpty());
        u = lambdarequests::codeUpdate(json(R"({"ZipFile":")" + kZip + R"(","DryRun":"yes"})"));
        QVERIFY(!u.ok());
        QVERIFY2(u.error().message.contains(QLatin1String("Value 'yes' at 'dryRun'")),
            qPrintable(u.error().message));
        u = lambdarequests::codeUpdate(json(R"({"S3Bucket":"b","S3Key":"k","RevisionId":"r"})"));
        QVERIFY(u.ok());
        QVERIFY(u->code.fromS3());
        QCOMPARE(u->revisionId, QStringLiteral("r"));
        u = lambdarequests::codeUpdate(json("{}"));
        QVERIFY(!u.ok());
        QVERIFY(u.error().message.contains(QLatin1String("Code must have ZipFile")));
    }

    void reservedConcurrency_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("expected"); // -1: refused
        QTest::newRow("number") << QByteArray(R"({"ReservedConcurrentExecutions":5})") << 5;
        QTest::newRow("zero") << QByteArray(R"({"ReservedConcurrentExecutions":0})") << 0;
        QTest::newRow("whole float") << QByteArray(R"({"ReservedConcurrentExecutions":2.0})") << 2;
        QTest::newRow("missing") << QByteArray("{}") << -1;
        QTest::newRow("negative") << QByteArray(R"({"ReservedConcurrentExecutions":-3})") << -1;
        QTest::newRow("string") << QByteArray(R"({"ReservedConcurrentExecutions":"5"})") << -1;
        QTest::newRow("huge") << QByteArray(R"({"ReservedConcurrentExecutions":1e20})") << -1;
    }
    void reservedConcurrency()
    {
        QFETCH(QByteArray, body);
        QFETCH(int, expected);
        const auto r = lambdarequests::reservedConcurrency(json(body));
        QCOMPARE(r.ok(), expected >= 0);
        if (r)
            QCOMPARE(*r, expected);
        else
            QCOMPARE(r.error().httpStatus, 400);
    }

    void eventInvokeConfig()
    {
        EventInvokeConfig current;
        current.maximumRetryAttempts = 1;
        current.onSuccess = QStringLiteral("arn:s");
        current.onFailure = QStringLiteral("arn:f");
        auto c = lambdarequests::eventInvokeConfig(
            json(R"({"MaximumEventAgeInSeconds":120,"DestinationConfig":{"OnSuccess":{}}})"),
            current);
        QVERIFY(c.ok());
        QCOMPARE(c->maximumRetryAttempts, 1);
        QCOMPARE(c->maximumEventAgeSeconds, 120);
        QVERIFY(c->onSuccess.isEmpty()); // an empty destination removes it
        QCOMPARE(c->onFailure, QStringLiteral("arn:f"));
        c = lambdarequests::eventInvokeConfig(
            json(R"({"DestinationConfig":{"OnFailure":{"Destination":1}}})"), current);
        QVERIFY(!c.ok());
        QVERIFY(c.error().message.contains(
            QLatin1String("at 'destinationConfig.onFailure.destination'")));
        c = lambdarequests::eventInvokeConfig(json(R"({"MaximumRetryAttempts":"2"})"), current);
        QVERIFY(!c.ok());
        QVERIFY(c.error().message.contains(QLatin1String("at 'maximumRetryAttempts'")));
    }

    void tags()
    {
        auto t = lambdarequests::tags(json(R"({"Tags":{"a":"1","b":"2"}})"));
        QVERIFY(t.ok());
        QCOMPARE(t->size(), 2);
        t = lambdarequests::tags(json("{}"));
        QVERIFY(!t.ok());
        QCOMPARE(t.error().message, QStringLiteral("Tags is required"));
        t = lambdarequests::tags(json(R"({"Tags":{"a":1}})"));
        QVERIFY(!t.ok());
        QVERIFY(t.error().message.contains(QLatin1String("at 'tags'")));
    }

    void invokeHeadersAndPayload()
    {
        QCOMPARE(*invocationType(invokeRequest({}, {}, {})), InvocationType::RequestResponse);
        QCOMPARE(*invocationType(invokeRequest("Event", {}, {})), InvocationType::Event);
        QCOMPARE(*invocationType(invokeRequest("DryRun", {}, {})), InvocationType::DryRun);
        const auto bad = invocationType(invokeRequest("event", {}, {}));
        QVERIFY(!bad.ok());
        QVERIFY(bad.error().message.contains(QLatin1String("at 'invocationType'")));
        QCOMPARE(*tailLogs(invokeRequest({}, "Tail", {})), true);
        QCOMPARE(*tailLogs(invokeRequest({}, "None", {})), false);
        QCOMPARE(*tailLogs(invokeRequest({}, {}, {})), false);
        QVERIFY(!tailLogs(invokeRequest({}, "true", {})).ok());

        QCOMPARE(*invokePayload(invokeRequest({}, {}, " \n"), InvocationType::RequestResponse),
            QByteArray("{}"));
        QCOMPARE(*invokePayload(invokeRequest({}, {}, "null"), InvocationType::RequestResponse),
            QByteArray("null"));
        QCOMPARE(
            *invokePayload(invokeRequest({}, {}, "[1]"), InvocationType::Event), QByteArray("[1]"));
        const auto notJson
            = invokePayload(invokeRequest({}, {}, "{x"), InvocationType::RequestResponse);
        QCOMPARE(notJson.error().code, QStringLiteral("InvalidRequestContentException"));
        const QByteArray big = '"' + QByteArray(300 * 1024, 'x') + '"';
        QVERIFY(invokePayload(invokeRequest({}, {}, big), InvocationType::RequestResponse).ok());
        const auto tooBig = invokePayload(invokeRequest({}, {}, big), InvocationType::Event);
        QCOMPARE(tooBig.error().code, QStringLiteral("RequestEntityTooLargeException"));
        QCOMPARE(tooBig.error().httpStatus, 413);
    }
};

QTEST_GUILESS_MAIN(TestLambdaRequests)
#include "tst_lambdarequests.moc"
