// StackLoader on whole templates: parameters, conditions, Globals, dependency order and
// cycles, Ref/GetAtt values per type, S3 events, the fidelity report, and errors with
// positions.
#include "engine/stackloader.h"
#include "services/apigateway/apigatewayresources.h"
#include "services/dynamodb/ddbresources.h"
#include "services/events/eventsresources.h"
#include "services/lambda/lambdaresources.h"
#include "services/s3/s3resources.h"
#include "services/sqs/sqsresources.h"
#include "template/templatedocument.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

using namespace tarmac;

namespace {

const QByteArray kHeader = "AWSTemplateFormatVersion: '2010-09-09'\n"
                           "Transform: AWS::Serverless-2016-10-31\n";

// The services' types and SAM event types, as the engine passes every module's.
StackLoader::Options serviceTypes()
{
    StackLoader::Options o;
    o.resourceTypes = lambdaresources::types();
    o.resourceTypes += {&s3resources::bucketType(), &s3resources::bucketPolicyType()};
    o.resourceTypes += {&sqsresources::queueType(), &sqsresources::queuePolicyType()};
    o.eventTypes = {&s3resources::s3EventType(), &sqsresources::sqsEventType(),
        &ddbresources::dynamoDbEventType()};
    o.resourceTypes += {&ddbresources::tableType(), &ddbresources::simpleTableType()};
    o.resourceTypes += apigatewayresources::resourceTypes();
    o.eventTypes += apigatewayresources::functionEventTypes();
    o.resourceTypes += eventsresources::eventBridgeTypes() + eventsresources::schedulerTypes();
    o.eventTypes += eventsresources::eventBridgeEvents() + eventsresources::schedulerEvents();
    o.messageServices = {QStringLiteral("sqs")}; // as SqsModule offers
    o.eventSourceServices = {QStringLiteral("sqs"), QStringLiteral("dynamodb")};
    return o;
}

using lambdaresources::FunctionSpec;

// A function's spec as Lambda's check made it (empty for another resource).
FunctionSpec specOf(const Stack &stack, const QString &logicalId)
{
    const StackResource *r = stack.resource(logicalId);
    return r ? lambdaresources::functionSpec(*r).value_or(FunctionSpec()) : FunctionSpec();
}

const StackResource &firstFunction(const Stack &stack)
{
    static const StackResource none;
    const auto functions = stack.resourcesOf(QStringLiteral("function"));
    return functions.isEmpty() ? none : *functions.first();
}

FunctionSpec firstSpec(const Stack &stack)
{
    return lambdaresources::functionSpec(firstFunction(stack)).value_or(FunctionSpec());
}

QString arnOf(const StackResource &function)
{
    return QStringLiteral("arn:aws:lambda:us-east-1:000000000000:function:") + function.physicalId;
}

// A project folder "demo" with code folders src/ and layer/.
class Project
{
public:
    Project()
    {
        QDir(m_dir.path()).mkpath(QStringLiteral("demo/src"));
        QDir(m_dir.path()).mkpath(QStringLiteral("demo/layer/python"));
    }
    QString path() const { return m_dir.path() + QStringLiteral("/demo"); }
    QString templatePath() const { return path() + QStringLiteral("/template.yaml"); }

    Result<Stack> load(const QByteArray &text, const QStringList &overrides = {})
    {
        QFile f(templatePath());
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return makeError(QStringLiteral("Test"), QStringLiteral("cannot write template"));
        f.write(text);
        f.close();
        StackLoader::Options o = serviceTypes();
        o.parameterOverrides = overrides;
        return StackLoader::loadFile(templatePath(), o);
    }

private:
    QTemporaryDir m_dir;
};

QString outputValue(const Stack &stack, const QString &name)
{
    for (const StackOutput &o : stack.outputs) {
        if (o.name == name)
            return o.value;
    }
    return QStringLiteral("<missing>");
}

// The bucket's notification targets, as S3 reads them from its resolved properties.
QList<s3xml::NotificationTarget> notificationsOf(const Stack &stack, const QString &bucket)
{
    const StackResource *r = stack.resource(bucket);
    if (!r)
        return {};
    auto settings = s3resources::readBucket(r->logicalId, r->properties, nullptr);
    return settings ? settings->notification.targets : QList<s3xml::NotificationTarget>();
}

QStringList order(const Stack &stack)
{
    QStringList ids;
    for (const StackResource &r : stack.resources) {
        if (!r.implicit)
            ids.append(r.logicalId);
    }
    return ids;
}

} // namespace

class TestStackLoader : public QObject
{
    Q_OBJECT
private slots:
    void refAndGetAttPerType_data();
    void refAndGetAttPerType();
    void generatedNamesAreStable();
    void functionSpec();
    void globals();
    void parameters_data();
    void parameters();
    void conditionsAndMappings();
    void dependencyOrder();
    void cycleIsNamed();
    void samS3EventCycle();
    void s3EventsBecomeNotifications();
    void cfnNotificationConfiguration();
    void layers();
    void fidelityReport();
    void errors_data();
    void errors();
    void codeUriDefaultsToTheTemplateFolder();
    void colonPathsAreRelative();
    void parametersWithoutValues();
    void unresolvableOutputsAreReported();
    void samDropsUnknownResourceKeys();
    void undeliverableDestinationsAreReported();
    void samBuildOutputIsServed();
    void publicLayersMappedToFolders();
    void undeclaredNodeDependenciesAreReported();
    void undeclaredPythonDependenciesAreReported();
    void buildsAreUsed();
    void samGeneratedResources();
    void stackNames();
    void jsonTemplate();
    void findTemplateAndStackName();
    void parameterOverrides();
};

void TestStackLoader::refAndGetAttPerType_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<QString>("expected");

    QTest::newRow("function ref") << QByteArray("!Ref Fn") << QStringLiteral("my-fn");
    QTest::newRow("function arn") << QByteArray(
        "!GetAtt Fn.Arn") << QStringLiteral("arn:aws:lambda:us-east-1:000000000000:function:my-fn");
    QTest::newRow("lambda function arn")
        << QByteArray("!GetAtt Raw.Arn")
        << QStringLiteral("arn:aws:lambda:us-east-1:000000000000:function:raw-fn");
    QTest::newRow("bucket ref") << QByteArray("!Ref Bucket") << QStringLiteral("demo-uploads");
    QTest::newRow("bucket arn") << QByteArray("!GetAtt Bucket.Arn")
                                << QStringLiteral("arn:aws:s3:::demo-uploads");
    QTest::newRow("bucket domain") << QByteArray("!GetAtt Bucket.DomainName")
                                   << QStringLiteral("demo-uploads.s3.amazonaws.com");
    QTest::newRow("bucket regional domain")
        << QByteArray("!GetAtt Bucket.RegionalDomainName")
        << QStringLiteral("demo-uploads.s3.us-east-1.amazonaws.com");
    QTest::newRow("bucket dual stack")
        << QByteArray("!GetAtt Bucket.DualStackDomainName")
        << QStringLiteral("demo-uploads.s3.dualstack.us-east-1.amazonaws.com");
    QTest::newRow("bucket website")
        << QByteArray("!GetAtt Bucket.WebsiteURL")
        << QStringLiteral("http://demo-uploads.s3-website-us-east-1.amazonaws.com");
    QTest::newRow("implicit role arn")
        << QByteArray("!GetAtt FnRole.Arn")
        << QStringLiteral("arn:aws:iam::000000000000:role/demo-FnRole-") + u'*';
    QTest::newRow("role ref") << QByteArray("!Ref Role") << QStringLiteral("app-role");
    QTest::newRow("layer ref") << QByteArray(
        "!Ref Layer") << QStringLiteral("arn:aws:lambda:us-east-1:000000000000:layer:common:1");
    QTest::newRow("queue ref is the url") << QByteArray(
        "!Ref Queue") << QStringLiteral("https://sqs.us-east-1.amazonaws.com/000000000000/jobs");
    QTest::newRow("queue arn") << QByteArray("!GetAtt Queue.Arn")
                               << QStringLiteral("arn:aws:sqs:us-east-1:000000000000:jobs");
    QTest::newRow("queue name") << QByteArray("!GetAtt Queue.QueueName") << QStringLiteral("jobs");
    QTest::newRow("table ref") << QByteArray("!Ref Table") << QStringLiteral("items");
    QTest::newRow("table arn") << QByteArray("!GetAtt Table.Arn")
                               << QStringLiteral(
                                      "arn:aws:dynamodb:us-east-1:000000000000:table/items");
    QTest::newRow("topic ref is the arn")
        << QByteArray("!Ref Topic") << QStringLiteral("arn:aws:sns:us-east-1:000000000000:news");
    QTest::newRow("rest api id") << QByteArray(
        "!Sub 'https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/'")
                                 << QStringLiteral("https://") + u'*';
    QTest::newRow("stack name") << QByteArray("!Ref AWS::StackName") << QStringLiteral("demo");
    QTest::newRow("stack id") << QByteArray("!Ref AWS::StackId")
                              << QStringLiteral(
                                     "arn:aws:cloudformation:us-east-1:000000000000:stack/demo/")
            + u'*';
    QTest::newRow("account") << QByteArray("!Ref AWS::AccountId") << QStringLiteral("000000000000");
    QTest::newRow("partition and suffix")
        << QByteArray("!Sub '${AWS::Partition}.${AWS::URLSuffix}'")
        << QStringLiteral("aws.amazonaws.com");
}

void TestStackLoader::refAndGetAttPerType()
{
    QFETCH(QByteArray, value);
    QFETCH(QString, expected);
    Project p;
    auto stack = p.load(kHeader
        + "Resources:\n"
          "  Fn:\n"
          "    Type: AWS::Serverless::Function\n"
          "    Properties: {FunctionName: my-fn, CodeUri: src/, Handler: app.handler, Runtime: "
          "python3.11,\n"
          "                 Events: {Get: {Type: Api, Properties: {Path: /, Method: get}}}}\n"
          "  Raw:\n"
          "    Type: AWS::Lambda::Function\n"
          "    Properties: {FunctionName: raw-fn, Code: src, Handler: app.handler, Runtime: "
          "nodejs20.x,\n"
          "                 Role: !GetAtt Role.Arn}\n"
          "  Role:\n"
          "    Type: AWS::IAM::Role\n"
          "    Properties: {RoleName: app-role}\n"
          "  Bucket:\n"
          "    Type: AWS::S3::Bucket\n"
          "    Properties: {BucketName: !Sub '${AWS::StackName}-uploads'}\n"
          "  Layer:\n"
          "    Type: AWS::Serverless::LayerVersion\n"
          "    Properties: {LayerName: common, ContentUri: layer/}\n"
          "  Queue: {Type: AWS::SQS::Queue, Properties: {QueueName: jobs}}\n"
          "  Table:\n"
          "    Type: AWS::DynamoDB::Table\n"
          "    Properties:\n"
          "      TableName: items\n"
          "      BillingMode: PAY_PER_REQUEST\n"
          "      KeySchema: [{AttributeName: id, KeyType: HASH}]\n"
          "      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]\n"
          "  Topic: {Type: AWS::SNS::Topic, Properties: {TopicName: news}}\n"
          "Outputs:\n"
          "  V:\n"
          "    Value: "
        + value + "\n");
    QVERIFY2(stack, qPrintable(stack ? QString() : stack.error().message));
    const QString got = outputValue(*stack, QStringLiteral("V"));
    if (expected.endsWith(u'*'))
        QVERIFY2(
            got.startsWith(expected.chopped(1)) && got.size() > expected.size(), qPrintable(got));
    else
        QCOMPARE(got, expected);
}

void TestStackLoader::generatedNamesAreStable()
{
    Project p;
    const QByteArray text = kHeader
        + "Resources:\n"
          "  UploadsBucketWithAVeryLongLogicalIdThatGoesOnAndOnAndOnForever:\n"
          "    Type: AWS::S3::Bucket\n"
          "  ThumbnailFunction:\n"
          "    Type: AWS::Serverless::Function\n"
          "    Properties: {CodeUri: src, Handler: app.handler, Runtime: python3.12}\n";
    auto a = p.load(text);
    auto b = p.load(text);
    QVERIFY2(a && b, qPrintable(a ? QString() : a.error().message));
    const QString id
        = QStringLiteral("UploadsBucketWithAVeryLongLogicalIdThatGoesOnAndOnAndOnForever");
    const QString bucket = a->resource(id)->physicalId;
    QCOMPARE(bucket, b->resource(id)->physicalId);
    QVERIFY(bucket.size() <= 63);
    QCOMPARE(bucket, bucket.toLower());
    QVERIFY2(bucket.startsWith(QLatin1String("demo-uploadsbucket")), qPrintable(bucket));
    const QString fn = firstFunction(*a).physicalId;
    QVERIFY2(fn.startsWith(QLatin1String("demo-ThumbnailFunction-")), qPrintable(fn));
    QCOMPARE(fn.size(), qsizetype(QStringLiteral("demo-ThumbnailFunction-").size() + 13));
    QCOMPARE(fn, firstFunction(*b).physicalId);
}

void TestStackLoader::functionSpec()
{
    Project p;
    auto stack = p.load(kHeader
        + "Resources:\n"
          "  Fn:\n"
          "    Type: AWS::Serverless::Function\n"
          "    Properties:\n"
          "      CodeUri: ./src\n"
          "      Handler: app.handler\n"
          "      Runtime: python3.12\n"
          "      Timeout: 30\n"
          "      MemorySize: '256'\n"
          "      Description: does things\n"
          "      ReservedConcurrentExecutions: 2\n"
          "      Environment:\n"
          "        Variables: {TABLE: items, RETRIES: 3, DEBUG: true, ARN: !GetAtt Other.Arn}\n"
          "      EventInvokeConfig:\n"
          "        MaximumRetryAttempts: 1\n"
          "        MaximumEventAgeInSeconds: 120\n"
          "        DestinationConfig:\n"
          "          OnFailure: {Type: Lambda, Destination: !GetAtt Other.Arn}\n"
          "      Tags: {team: blue}\n"
          "  Other:\n"
          "    Type: AWS::Serverless::Function\n"
          "    Properties:\n"
          "      InlineCode: \"def handler(e, c):\\n    return 1\\n\"\n"
          "      Handler: index.handler\n"
          "      Runtime: python3.12\n");
    QVERIFY2(stack, qPrintable(stack ? QString() : stack.error().message));
    QCOMPARE(order(*stack), QStringList({QStringLiteral("Other"), QStringLiteral("Fn")}));
    const FunctionSpec spec = specOf(*stack, QStringLiteral("Fn"));
    const FunctionSpec *fn = &spec;
    const QString otherArn = arnOf(*stack->resource(QStringLiteral("Other")));
    QCOMPARE(fn->codeDir, QDir::cleanPath(p.path() + QStringLiteral("/src")));
    QCOMPARE(fn->handler, QStringLiteral("app.handler"));
    QCOMPARE(fn->runtime, QStringLiteral("python3.12"));
    QCOMPARE(fn->timeoutSeconds, 30);
    QCOMPARE(fn->memoryMb, 256);
    QCOMPARE(fn->description, QStringLiteral("does things"));
    QCOMPARE(fn->reservedConcurrency, std::optional<int>(2));
    QCOMPARE(fn->environment.value(QStringLiteral("RETRIES")), QStringLiteral("3"));
    QCOMPARE(fn->environment.value(QStringLiteral("DEBUG")), QStringLiteral("true"));
    QCOMPARE(fn->environment.value(QStringLiteral("ARN")), otherArn);
    QVERIFY(fn->eventInvokeConfig);
    QCOMPARE(fn->eventInvokeConfig->maximumRetryAttempts, std::optional<int>(1));
    QCOMPARE(fn->eventInvokeConfig->maximumEventAgeSeconds, std::optional<int>(120));
    QCOMPARE(fn->eventInvokeConfig->onFailureType, QStringLiteral("Lambda"));
    QCOMPARE(fn->eventInvokeConfig->onFailure, otherArn);
    QCOMPARE(fn->tags.value(QStringLiteral("team")), QStringLiteral("blue"));
    const FunctionSpec otherSpec = specOf(*stack, QStringLiteral("Other"));
    const FunctionSpec *other = &otherSpec;
    QCOMPARE(other->inlineCode, QByteArray("def handler(e, c):\n    return 1\n"));
    QVERIFY(other->codeDir.isEmpty());
    QCOMPARE(other->timeoutSeconds, 3);
    QCOMPARE(other->memoryMb, 128);
    // Only the implicit roles are "ignored"; nothing is unsupported.
    QVERIFY2(!stack->report.hasUnsupported(), qPrintable(stack->report.lines().join(u'\n')));
}

void TestStackLoader::globals()
{
    Project p;
    auto stack = p.load(kHeader
        + "Globals:\n"
          "  Function:\n"
          "    Runtime: python3.12\n"
          "    Timeout: 10\n"
          "    CodeUri: src/\n"
          "    Environment:\n"
          "      Variables: {STAGE: dev, SHARED: global}\n"
          "    Tags: {a: '1'}\n"
          "Resources:\n"
          "  A:\n"
          "    Type: AWS::Serverless::Function\n"
          "    Properties:\n"
          "      Handler: a.handler\n"
          "      Timeout: 20\n"
          "      Environment:\n"
          "        Variables: {SHARED: local, OWN: x}\n"
          "  B:\n"
          "    Type: AWS::Serverless::Function\n"
          "    Properties: {Handler: b.handler, Runtime: nodejs20.x}\n");
    QVERIFY2(stack, qPrintable(stack ? QString() : stack.error().message));
    const FunctionSpec specA = specOf(*stack, QStringLiteral("A"));
    const FunctionSpec specB = specOf(*stack, QStringLiteral("B"));
    const FunctionSpec *a = &specA;
    const FunctionSpec *b = &specB;
    QVERIFY(!a->runtime.isEmpty() && !b->runtime.isEmpty());
    QCOMPARE(a->runtime, QStringLiteral("python3.12"));
    QCOMPARE(a->timeoutSeconds, 20);
    QCOMPARE(a->environment.value(QStringLiteral("STAGE")), QStringLiteral("dev"));
    QCOMPARE(a->environment.value(QStringLiteral("SHARED")), QStringLiteral("local"));
    QCOMPARE(a->environment.value(QStringLiteral("OWN")), QStringLiteral("x"));
    QCOMPARE(b->runtime, QStringLiteral("nodejs20.x"));
    QCOMPARE(b->timeoutSeconds, 10);
    QCOMPARE(b->environment.value(QStringLiteral("SHARED")), QStringLiteral("global"));
    QCOMPARE(b->tags.value(QStringLiteral("a")), QStringLiteral("1"));
    QCOMPARE(b->codeDir, a->codeDir);
}

void TestStackLoader::parameters_data()
{
    QTest::addColumn<QByteArray>("parameter");
    QTest::addColumn<QStringList>("overrides");
    QTest::addColumn<QString>("expected"); // the output, or "error: …"

    QTest::newRow("default") << QByteArray("{Type: String, Default: dev}") << QStringList()
                             << QStringLiteral("dev");
    QTest::newRow("numeric default")
        << QByteArray("{Type: Number, Default: 5}") << QStringList() << QStringLiteral("5");
    QTest::newRow("override") << QByteArray("{Type: String, Default: dev}")
                              << QStringList {QStringLiteral("P=prod")} << QStringLiteral("prod");
    QTest::newRow("override in SAM CLI form")
        << QByteArray("{Type: String}")
        << QStringList {QStringLiteral("ParameterKey=P,ParameterValue='x y'")}
        << QStringLiteral("x y");
    QTest::newRow("no value") << QByteArray("{Type: String}") << QStringList()
                              << QStringLiteral("error: Parameters: [P] must have values");
    QTest::newRow("allowed values")
        << QByteArray("{Type: String, Default: dev, AllowedValues: [dev, prod]}")
        << QStringList {QStringLiteral("P=test")}
        << QStringLiteral(
               "error: Parameter 'P' must be one of AllowedValues [dev, prod], not 'test'");
    QTest::newRow("allowed values ok")
        << QByteArray("{Type: String, Default: dev, AllowedValues: [dev, prod]}")
        << QStringList {QStringLiteral("P=prod")} << QStringLiteral("prod");
    QTest::newRow("allowed pattern")
        << QByteArray("{Type: String, Default: abc, AllowedPattern: '[a-z]+', "
                      "ConstraintDescription: lower case only}")
        << QStringList {QStringLiteral("P=abC")}
        << QStringLiteral("error: must match pattern [a-z]+ (lower case only)");
    QTest::newRow("allowed pattern is anchored")
        << QByteArray("{Type: String, AllowedPattern: '[a-z]+'}")
        << QStringList {QStringLiteral("P=ab1")} << QStringLiteral("error: must match pattern");
    QTest::newRow("min length") << QByteArray("{Type: String, Default: ab, MinLength: 3}")
                                << QStringList() << QStringLiteral("error: at least 3 characters");
    QTest::newRow("number") << QByteArray("{Type: Number, Default: x}") << QStringList()
                            << QStringLiteral("error: must be a number");
    QTest::newRow("max value") << QByteArray("{Type: Number, Default: 10, MaxValue: 5}")
                               << QStringList() << QStringLiteral("error: at most 5");
    QTest::newRow("list") << QByteArray("{Type: CommaDelimitedList, Default: 'a, b,c'}")
                          << QStringList() << QStringLiteral("a,b,c");
    QTest::newRow("unknown override")
        << QByteArray("{Type: String, Default: a}") << QStringList {QStringLiteral("Q=1")}
        << QStringLiteral("error: Parameters: [Q] do not exist in the template");
    QTest::newRow("bad type") << QByteArray("{Type: Strin}") << QStringList()
                              << QStringLiteral("error: Unrecognized parameter type: Strin");
}

void TestStackLoader::parameters()
{
    QFETCH(QByteArray, parameter);
    QFETCH(QStringList, overrides);
    QFETCH(QString, expected);
    Project p;
    auto stack = p.load(kHeader
            + "Parameters:\n"
              "  P: "
            + parameter
            + "\n"
              "Resources:\n"
              "  Bucket: {Type: AWS::S3::Bucket}\n"
              "Outputs:\n"
              "  V: {Value: !Join [',', [!Ref P]]}\n",
        overrides);
    if (expected.startsWith(QLatin1String("error: "))) {
        QVERIFY(!stack);
        QVERIFY2(
            stack.error().message.contains(expected.mid(7)), qPrintable(stack.error().message));
        return;
    }
    if (expected == QLatin1String("a,b,c")) {
        // A list parameter cannot be joined as one item; read it as a list instead.
        auto listStack = p.load(kHeader
            + "Parameters:\n"
              "  P: "
            + parameter
            + "\n"
              "Resources:\n"
              "  Bucket: {Type: AWS::S3::Bucket}\n"
              "Outputs:\n"
              "  V: {Value: !Join [',', !Ref P]}\n"
              "  Second: {Value: !Select [1, !Ref P]}\n");
        QVERIFY2(listStack, qPrintable(listStack ? QString() : listStack.error().message));
        QCOMPARE(outputValue(*listStack, QStringLiteral("V")), expected);
        QCOMPARE(outputValue(*listStack, QStringLiteral("Second")), QStringLiteral("b"));
        return;
    }
    QVERIFY2(stack, qPrintable(stack ? QString() : stack.error().message));
    QCOMPARE(outputValue(*stack, QStringLiteral("V")), expected);
}

void TestStackLoader::conditionsAndMappings()
{
    Project p;
    const QByteArray text = kHeader
        + "Parameters:\n"
          "  Stage: {Type: String, Default: dev, AllowedValues: [dev, prod]}\n"
          "Mappings:\n"
          "  Sizes:\n"
          "    dev: {Memory: 128}\n"
          "    prod: {Memory: 1024}\n"
          "Conditions:\n"
          "  IsProd: !Equals [!Ref Stage, prod]\n"
          "  IsDev: !Not [!Condition IsProd]\n"
          "Resources:\n"
          "  Fn:\n"
          "    Type: AWS::Serverless::Function\n"
          "    Properties:\n"
          "      CodeUri: src\n"
          "      Handler: app.handler\n"
          "      Runtime: python3.12\n"
          "      MemorySize: !FindInMap [Sizes, !Ref Stage, Memory]\n"
          "      ReservedConcurrentExecutions: !If [IsProd, 10, !Ref AWS::NoValue]\n"
          "  Archive:\n"
          "    Type: AWS::S3::Bucket\n"
          "    Condition: IsProd\n"
          "Outputs:\n"
          "  ArchiveName: {Value: !Ref Archive, Condition: IsProd}\n"
          "  Mode: {Value: !If [IsDev, development, production]}\n";
    auto dev = p.load(text);
    QVERIFY2(dev, qPrintable(dev ? QString() : dev.error().message));
    QCOMPARE(firstSpec(*dev).memoryMb, 128);
    QVERIFY(!firstSpec(*dev).reservedConcurrency);
    QVERIFY(!dev->resource(QStringLiteral("Archive")));
    QCOMPARE(dev->outputs.size(), 1);
    QCOMPARE(outputValue(*dev, QStringLiteral("Mode")), QStringLiteral("development"));
    QVERIFY(dev->parameters.value(QStringLiteral("Stage")) == Json("dev"));

    auto prod = p.load(text, {QStringLiteral("Stage=prod")});
    QVERIFY2(prod, qPrintable(prod ? QString() : prod.error().message));
    QCOMPARE(firstSpec(*prod).memoryMb, 1024);
    QCOMPARE(firstSpec(*prod).reservedConcurrency, std::optional<int>(10));
    QVERIFY(prod->resource(QStringLiteral("Archive")));
    QCOMPARE(outputValue(*prod, QStringLiteral("Mode")), QStringLiteral("production"));
    QCOMPARE(outputValue(*prod, QStringLiteral("ArchiveName")),
        prod->resource(QStringLiteral("Archive"))->physicalId);

    // An output naming a resource its condition leaves out is a report line: outputs never
    // stop a template from loading.
    auto broken = p.load(kHeader
        + "Conditions:\n"
          "  Never: !Equals [a, b]\n"
          "Resources:\n"
          "  Archive: {Type: AWS::S3::Bucket, Condition: Never}\n"
          "  Kept: {Type: AWS::S3::Bucket}\n"
          "Outputs:\n"
          "  V: {Value: !Ref Archive}\n");
    QVERIFY2(broken, broken ? "" : qPrintable(broken.error().message));
    QVERIFY(broken->outputs.isEmpty());
    const QString report = broken->report.lines().join(u'\n');
    QVERIFY2(report.contains(QLatin1String("left out by its condition Never")), qPrintable(report));

    auto circular = p.load(kHeader
        + "Conditions:\n"
          "  A: !Condition B\n"
          "  B: !Not [!Condition A]\n"
          "Resources:\n"
          "  Archive: {Type: AWS::S3::Bucket, Condition: A}\n");
    QVERIFY(!circular);
    QVERIFY2(circular.error().message.contains(
                 QLatin1String("circular dependency between conditions: A -> B -> A")),
        qPrintable(circular.error().message));
}

void TestStackLoader::dependencyOrder()
{
    Project p;
    auto stack = p.load(kHeader
        + "Resources:\n"
          "  C:\n"
          "    Type: AWS::S3::Bucket\n"
          "    DependsOn: [B]\n"
          "  B:\n"
          "    Type: AWS::S3::Bucket\n"
          "    Properties:\n"
          "      Tags: [{Key: source, Value: !Sub '${A.Arn}'}]\n"
          "  A:\n"
          "    Type: AWS::S3::Bucket\n"
          "  D:\n"
          "    Type: AWS::S3::Bucket\n");
    QVERIFY2(stack, qPrintable(stack ? QString() : stack.error().message));
    QCOMPARE(order(*stack),
        QStringList(
            {QStringLiteral("A"), QStringLiteral("B"), QStringLiteral("C"), QStringLiteral("D")}));
    QCOMPARE(stack->resource(QStringLiteral("C"))->dependsOn, QStringList {QStringLiteral("B")});
    QCOMPARE(stack->resource(QStringLiteral("B"))->dependsOn, QStringList {QStringLiteral("A")});
}

void TestStackLoader::cycleIsNamed()
{
    Project p;
    auto stack = p.load(kHeader
        + "Resources:\n"
          "  Free: {Type: AWS::S3::Bucket}\n"
          "  A:\n"
          "    Type: AWS::S3::Bucket\n"
          "    Properties: {Tags: [{Key: k, Value: !Ref C}]}\n"
          "  B:\n"
          "    Type: AWS::S3::Bucket\n"
          "    DependsOn: A\n"
          "  C:\n"
          "    Type: AWS::S3::Bucket\n"
          "    Properties: {Tags: [{Key: k, Value: !GetAtt B.Arn}]}\n");
    QVERIFY(!stack);
    QVERIFY2(stack.error().message.contains(
                 QLatin1String("Circular dependency between resources: A -> C -> B -> A")),
        qPrintable(stack.error().message));
    QVERIFY2(stack.error().message.startsWith(QLatin1String("template.yaml:5:3:")),
        qPrintable(stack.error().message));

    auto self = p.load(kHeader
        + "Resources:\n"
          "  A: {Type: AWS::S3::Bucket, Properties: {BucketName: !Sub '${A.Arn}x'}}\n");
    QVERIFY(!self);
    QVERIFY2(
        self.error().message.contains(QLatin1String("A -> A")), qPrintable(self.error().message));
}

void TestStackLoader::samS3EventCycle()
{
    // The classic SAM mistake: the function names the bucket whose events trigger it. AWS
    // refuses it; so does Tarmac, with a hint.
    Project p;
    auto stack = p.load(kHeader
        + "Resources:\n"
          "  Uploads: {Type: AWS::S3::Bucket}\n"
          "  Fn:\n"
          "    Type: AWS::Serverless::Function\n"
          "    Properties:\n"
          "      CodeUri: src\n"
          "      Handler: app.handler\n"
          "      Runtime: python3.12\n"
          "      Environment: {Variables: {BUCKET: !Ref Uploads}}\n"
          "      Events:\n"
          "        Upload: {Type: S3, Properties: {Bucket: !Ref Uploads, Events: "
          "'s3:ObjectCreated:*'}}\n");
    QVERIFY(!stack);
    QVERIFY2(
        stack.error().message.contains(QLatin1String("Circular dependency between resources:")),
        qPrintable(stack.error().message));
    QVERIFY2(stack.error().message.contains(QLatin1String("Uploads"))
            && stack.error().message.contains(QLatin1String("Fn")),
        qPrintable(stack.error().message));
    QVERIFY2(stack.error().message.contains(QLatin1String("fixed BucketName")),
        qPrintable(stack.error().message));
}

void TestStackLoader::s3EventsBecomeNotifications()
{
    Project p;
    auto stack = p.load(kHeader
        + "Resources:\n"
          "  Uploads:\n"
          "    Type: AWS::S3::Bucket\n"
          "    Properties: {BucketName: !Sub '${AWS::StackName}-uploads'}\n"
          "  Fn:\n"
          "    Type: AWS::Serverless::Function\n"
          "    Properties:\n"
          "      CodeUri: src\n"
          "      Handler: app.handler\n"
          "      Runtime: python3.12\n"
          "      Environment: {Variables: {BUCKET: !Sub '${AWS::StackName}-uploads'}}\n"
          "      Events:\n"
          "        Upload:\n"
          "          Type: S3\n"
          "          Properties:\n"
          "            Bucket: !Ref Uploads\n"
          "            Events: [s3:ObjectCreated:*, 's3:ObjectRemoved:*']\n"
          "            Filter:\n"
          "              S3Key:\n"
          "                Rules:\n"
          "                  - {Name: prefix, Value: incoming/}\n"
          "                  - {Name: Suffix, Value: .txt}\n");
    QVERIFY2(stack, qPrintable(stack ? QString() : stack.error().message));
    // The bucket names the function in its notification, so it comes after it.
    QCOMPARE(order(*stack), QStringList({QStringLiteral("Fn"), QStringLiteral("Uploads")}));
    QCOMPARE(
        stack->resource(QStringLiteral("Uploads"))->physicalId, QStringLiteral("demo-uploads"));
    const auto notifications = notificationsOf(*stack, QStringLiteral("Uploads"));
    QCOMPARE(notifications.size(), 1);
    const s3xml::NotificationTarget &n = notifications.first();
    QCOMPARE(n.arn, arnOf(firstFunction(*stack)));
    QCOMPARE(n.events,
        QStringList({QStringLiteral("s3:ObjectCreated:*"), QStringLiteral("s3:ObjectRemoved:*")}));
    QCOMPARE(n.prefix, QStringLiteral("incoming/"));
    QCOMPARE(n.suffix, QStringLiteral(".txt"));
    QCOMPARE(n.id, QStringLiteral("FnUpload"));
    QVERIFY(stack->resource(QStringLiteral("FnUploadPermission")));
    QVERIFY(!stack->report.hasUnsupported());

    auto outside = p.load(kHeader
        + "Resources:\n"
          "  Fn:\n"
          "    Type: AWS::Serverless::Function\n"
          "    Properties:\n"
          "      CodeUri: src\n"
          "      Handler: app.handler\n"
          "      Runtime: python3.12\n"
          "      Events:\n"
          "        Upload: {Type: S3, Properties: {Bucket: some-bucket, Events: "
          "'s3:ObjectCreated:*'}}\n");
    QVERIFY(!outside);
    QVERIFY2(outside.error().message.contains(
                 QLatin1String("S3 events must reference an S3 bucket in the same template")),
        qPrintable(outside.error().message));
}

void TestStackLoader::cfnNotificationConfiguration()
{
    Project p;
    auto stack = p.load(
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Lambda::Function\n"
        "    Properties:\n"
        "      Runtime: python3.12\n"
        "      Handler: index.handler\n"
        "      Role: !GetAtt Role.Arn\n"
        "      Code:\n"
        "        ZipFile: |\n"
        "          def handler(event, context):\n"
        "              return event\n"
        "  Role: {Type: AWS::IAM::Role}\n"
        "  Permission:\n"
        "    Type: AWS::Lambda::Permission\n"
        "    Properties: {Action: lambda:InvokeFunction, FunctionName: !Ref Fn, Principal: "
        "s3.amazonaws.com}\n"
        "  Bucket:\n"
        "    Type: AWS::S3::Bucket\n"
        "    DependsOn: Permission\n"
        "    Properties:\n"
        "      NotificationConfiguration:\n"
        "        LambdaConfigurations:\n"
        "          - Event: s3:ObjectCreated:Put\n"
        "            Function: !GetAtt Fn.Arn\n"
        "            Filter: {S3Key: {Rules: [{Name: suffix, Value: .csv}]}}\n"
        "        QueueConfigurations:\n"
        "          - {Event: 's3:ObjectCreated:*', Queue: arn:aws:sqs:us-east-1:000000000000:q}\n"
        "        TopicConfigurations:\n"
        "          - {Event: 's3:ObjectRemoved:*', Topic: arn:aws:sns:us-east-1:000000000000:t}\n");
    QVERIFY2(stack, qPrintable(stack ? QString() : stack.error().message));
    QCOMPARE(order(*stack),
        QStringList({QStringLiteral("Role"), QStringLiteral("Fn"), QStringLiteral("Permission"),
            QStringLiteral("Bucket")}));
    QCOMPARE(firstSpec(*stack).inlineCode,
        QByteArray("def handler(event, context):\n    return event\n"));
    const auto notifications = notificationsOf(*stack, QStringLiteral("Bucket"));
    QCOMPARE(notifications.size(), 3); // the function's, the queue's and the topic's
    QCOMPARE(notifications.first().arn, arnOf(firstFunction(*stack)));
    QCOMPARE(notifications[1].kind, QStringLiteral("Queue"));
    QCOMPARE(notifications[1].arn, QStringLiteral("arn:aws:sqs:us-east-1:000000000000:q"));
    QCOMPARE(notifications[2].kind, QStringLiteral("Topic"));
    QCOMPARE(notifications.first().events, QStringList {QStringLiteral("s3:ObjectCreated:Put")});
    QCOMPARE(notifications.first().suffix, QStringLiteral(".csv"));
    // The topic notification is listed (no service takes its messages); the queue's is
    // delivered; IAM and the permission are accepted and ignored.
    QCOMPARE(stack->report.count(FidelityItem::Level::Unsupported), 1);
    const auto unsupported = std::find_if(stack->report.items.cbegin(), stack->report.items.cend(),
        [](const FidelityItem &i) { return i.level == FidelityItem::Level::Unsupported; });
    QCOMPARE(unsupported->subject, QStringLiteral("NotificationConfiguration.TopicConfigurations"));
    QCOMPARE(unsupported->location.line, 28);
    QVERIFY(stack->report.count(FidelityItem::Level::Ignored) >= 2);
}

void TestStackLoader::layers()
{
    Project p;
    auto stack = p.load(kHeader
        + "Globals:\n"
          "  Function:\n"
          "    Layers: [!Ref Common]\n"
          "Resources:\n"
          "  Common:\n"
          "    Type: AWS::Serverless::LayerVersion\n"
          "    Properties: {ContentUri: layer/, CompatibleRuntimes: [python3.12]}\n"
          "  Fn:\n"
          "    Type: AWS::Serverless::Function\n"
          "    Properties:\n"
          "      CodeUri: src\n"
          "      Handler: app.handler\n"
          "      Runtime: python3.12\n"
          "      Layers: "
          "[arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV2:40]\n");
    QVERIFY2(stack, qPrintable(stack ? QString() : stack.error().message));
    QCOMPARE(firstSpec(*stack).layerDirs,
        QStringList {QDir::cleanPath(p.path() + QStringLiteral("/layer"))});
    QCOMPARE(stack->report.count(FidelityItem::Level::Unsupported), 1);
    QVERIFY(stack->report.items.first().subject.startsWith(
        QLatin1String("layer arn:aws:lambda:us-east-1:017000801446")));
    QCOMPARE(firstSpec(*stack).codeDir, QDir::cleanPath(p.path() + QStringLiteral("/src")));
}

void TestStackLoader::fidelityReport()
{
    Project p;
    auto stack = p.load(kHeader
        + "Globals:\n" // 3
          "  Function:\n" // 4
          "    Tracing: Active\n" // 5
          "  SimpleTable:\n" // 6
          "    SSESpecification: {SSEEnabled: true}\n" // 7
          "Resources:\n" // 8
          "  Fn:\n" // 9
          "    Type: AWS::Serverless::Function\n" // 10
          "    Properties:\n" // 11
          "      CodeUri: src\n" // 12
          "      Handler: app.handler\n" // 13
          "      Runtime: python3.12\n" // 14
          "      VpcConfig: {SubnetIds: [a]}\n" // 15
          "      Policies: [AWSLambdaBasicExecutionRole]\n" // 16
          "      Environment:\n" // 17
          "        Variables: {VPC: !ImportValue shared-vpc}\n" // 18
          "      Events:\n" // 19
          "        Stream: {Type: Kinesis, Properties: {Stream: arn, StartingPosition: "
          "LATEST}}\n" // 20
          "  Machine:\n" // 21
          "    Type: AWS::StepFunctions::StateMachine\n" // 22
          "  Thing:\n" // 23
          "    Type: Custom::Thing\n" // 24
          "    Properties: {ServiceToken: !GetAtt Fn.Arn}\n"); // 25
    QVERIFY2(stack, qPrintable(stack ? QString() : stack.error().message));
    QStringList got;
    for (const FidelityItem &i : stack->report.items)
        got.append(QStringLiteral("%1:%2 %3 %4")
                       .arg(i.location.line)
                       .arg(i.location.column)
                       .arg(i.level == FidelityItem::Level::Unsupported ? QStringLiteral("U")
                                                                        : QStringLiteral("I"),
                           i.subject));
    got.sort();
    QStringList want = {QStringLiteral("15:7 U VpcConfig"), QStringLiteral("16:7 I Policies"),
        QStringLiteral("18:26 U Fn::ImportValue"), QStringLiteral("20:9 U Kinesis"),
        QStringLiteral("21:3 U AWS::StepFunctions::StateMachine"),
        QStringLiteral("23:3 U Custom::Thing"), QStringLiteral("5:5 I Tracing"),
        QStringLiteral("6:3 U Globals.SimpleTable")};
    want.sort();
    QCOMPARE(got, want);
    QCOMPARE(stack->report.count(FidelityItem::Level::Unsupported), 6);
    QVERIFY(stack->report.hasUnsupported());
    const QString lines = stack->report.lines().join(u'\n');
    QVERIFY2(lines.contains(QLatin1String("template.yaml:15:7  unsupported property VpcConfig "
                                          "(Resources.Fn.Properties.VpcConfig)")),
        qPrintable(lines));
    const Json json = stack->report.toJson();
    QCOMPARE(json.size(), size_t(8));
    QVERIFY(json[0].contains("line") && json[0].contains("column") && json[0].contains("level"));
}

void TestStackLoader::errors_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("expected");

    QTest::newRow("not yaml") << QByteArray("Resources:\n  A: [unclosed\n")
                              << QStringLiteral("template.yaml:3:1: not valid YAML or JSON");
    QTest::newRow("unterminated quote")
        << QByteArray("Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties:\n"
                      "      BucketName: \"unterminated\n")
        << QStringLiteral("template.yaml:5:19: the quoted string that starts here has no "
                          "closing \" before the end of the file");
    QTest::newRow("quote swallowing keys")
        << QByteArray("Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties:\n"
                      "      BucketName: 'open\n  B: x'\n")
        << QStringLiteral("template.yaml:5:19: the quoted string that starts here has no "
                          "closing ' on its line (the next line is not indented past it)");
    QTest::newRow("unknown tag") << QByteArray("Resources:\n  A: !Nope x\n")
                                 << QStringLiteral("template.yaml:2:6: unknown tag !Nope");
    QTest::newRow("duplicate key")
        << QByteArray("Resources:\n  A: {Type: AWS::S3::Bucket}\n  A: {Type: AWS::S3::Bucket}\n")
        << QStringLiteral("template.yaml:3:3: duplicate key A");
    QTest::newRow("empty") << QByteArray("\n")
                           << QStringLiteral("template.yaml: the template is empty");
    QTest::newRow("not a map") << QByteArray("[1, 2]\n") << QStringLiteral("a template is a map");
    QTest::newRow("no resources") << QByteArray("Description: x\n")
                                  << QStringLiteral("At least one Resources member");
    QTest::newRow("unknown section") << QByteArray(
        "Resource: {}\n") << QStringLiteral("Invalid template property or properties [Resource]");
    QTest::newRow("no transform")
        << QByteArray("Resources:\n  F: {Type: AWS::Serverless::Function}\n")
        << QStringLiteral("template.yaml:2:7: AWS::Serverless::Function needs `Transform:");
    QTest::newRow("non alphanumeric id")
        << QByteArray("Resources:\n  my-bucket: {Type: AWS::S3::Bucket}\n")
        << QStringLiteral("Resource name my-bucket is non alphanumeric");
    // A byte-order mark inside the template (a fuzzed input): the name keeps it, and is refused
    // rather than looked up as "Q".
    QTest::newRow("byte-order mark in an id") << QByteArray(
        "Resources:\n  A: {Type: AWS::S3::Bucket}\n  \xEF\xBB\xBFQ: {Type: "
        "AWS::S3::Bucket}\n") << QStringLiteral("Resource name \uFEFFQ is non alphanumeric");
    QTest::newRow("byte-order mark in an output name") << QByteArray(
        "Resources:\n  A: {Type: AWS::S3::Bucket}\nOutputs:\n  \xEF\xBB\xBFO: "
        "{Value: x}\n") << QStringLiteral("Output name \uFEFFO is non alphanumeric");
    QTest::newRow("unknown reference")
        << QByteArray("Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: "
                      "!Ref Nope}\n")
        << QStringLiteral("template.yaml:4:30: Unresolved resource dependencies [Nope]");
    QTest::newRow("unknown depends on")
        << QByteArray("Resources:\n  A: {Type: AWS::S3::Bucket, DependsOn: [B]}\n")
        << QStringLiteral("Unresolved resource dependencies [B]");
    QTest::newRow("unknown attribute")
        << QByteArray("Resources:\n  A: {Type: AWS::S3::Bucket}\n"
                      "  B: {Type: AWS::S3::Bucket, Properties: {BucketName: !GetAtt A.Nope}}\n")
        << QStringLiteral("resource A does not support attribute type Nope in Fn::GetAtt");
    QTest::newRow("missing code folder") << QByteArray(kHeader
        + "Resources:\n  F:\n    Type: AWS::Serverless::Function\n"
          "    Properties: {CodeUri: nowhere/, Handler: a.b, Runtime: python3.12}\n")
                                         << QStringLiteral("CodeUri nowhere/ does not exist");
    QTest::newRow("timeout range") << QByteArray(kHeader
        + "Resources:\n  F:\n    Type: AWS::Serverless::Function\n"
          "    Properties: {CodeUri: src, Handler: a.b, Runtime: python3.12, Timeout: 901}\n")
                                   << QStringLiteral(
                                          "Timeout must be a whole number from 1 to 900");
    QTest::newRow("select out of range in a property")
        << QByteArray("Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties:\n      "
                      "BucketName: !Select [2, [a, b]]\n")
        << QStringLiteral("template.yaml:5:19: Fn::Select: index 2 is out of range");
    QTest::newRow("unknown resource attribute")
        << QByteArray("Resources:\n  A: {Type: AWS::S3::Bucket, Propertes: {}}\n")
        << QStringLiteral("Invalid template resource property 'Propertes'");
    QTest::newRow("not utf-8") << QByteArray("Resources:\n  A: {Type: \"AWS::S3::Bucket\xff\"}\n")
                               << QStringLiteral(
                                      "template.yaml:2: the template is not valid UTF-8");
    QTest::newRow("nested too deep")
        << QByteArray("Resources: ") + QByteArray(200, '[') + QByteArray(200, ']') + '\n'
        << QStringLiteral("nests deeper than 128 levels");
    {
        // Each line doubles the one before: 2^30 values once the aliases are expanded.
        QByteArray bomb = "a0: &a0 [x, x]\n";
        for (int i = 1; i <= 30; ++i)
            bomb += QStringLiteral("a%1: &a%1 [*a%2, *a%2]\n").arg(i).arg(i - 1).toLatin1();
        QTest::newRow("alias bomb") << bomb << QStringLiteral("the template is too large");
    }
    QTest::newRow("bad output") << QByteArray(
        "Resources:\n  A: {Type: AWS::S3::Bucket}\nOutputs:\n  O: {Value: {a: 1}}\n")
                                << QStringLiteral("Every Value member of Outputs must be a string");
}

void TestStackLoader::errors()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, expected);
    Project p;
    auto stack = p.load(text);
    QVERIFY(!stack);
    QVERIFY2(stack.error().message.contains(expected), qPrintable(stack.error().message));
    QCOMPARE(stack.error().code, QStringLiteral("ValidationError"));
}

void TestStackLoader::codeUriDefaultsToTheTemplateFolder()
{
    // SAM CLI's default: a function without CodeUri or InlineCode is the template's folder.
    Project p;
    auto stack = p.load(kHeader
        + "Resources:\n  F:\n    Type: AWS::Serverless::Function\n"
          "    Properties: {Handler: a.b, Runtime: nodejs20.x}\n");
    QVERIFY2(stack, stack ? "" : qPrintable(stack.error().message));
    QCOMPARE(firstSpec(*stack).codeDir, QDir::cleanPath(p.path()));
}

void TestStackLoader::colonPathsAreRelative()
{
    // Qt reads ":src" as a resource compiled into the program (an absolute path): a template's
    // ":src" is the template folder's own, and nothing is made in the working folder.
    Project p;
    QVERIFY(QDir().mkpath(p.path() + QStringLiteral("/:src")));
    auto stack = p.load(kHeader
        + "Resources:\n  F:\n    Type: AWS::Serverless::Function\n"
          "    Properties: {CodeUri: ':src', Handler: a.b, Runtime: nodejs20.x}\n");
    QVERIFY2(stack, stack ? "" : qPrintable(stack.error().message));
    QCOMPARE(firstSpec(*stack).codeDir, QDir::cleanPath(p.path()) + QStringLiteral("/:src"));
}

void TestStackLoader::parametersWithoutValues()
{
    Project p;
    const QByteArray text = kHeader
        + "Parameters:\n  Stage: {Type: String}\n  Name: {Type: String}\n"
          "  Size: {Type: Number, Default: 1}\n"
          "Resources:\n  B:\n    Type: AWS::S3::Bucket\n"
          "    Properties: {BucketName: !Sub '${Name}-${Stage}'}\n";
    auto stack = p.load(text);
    QVERIFY(!stack);
    QVERIFY2(stack.error().message.contains(QLatin1String(
                 "Parameters: [Stage, Name] must have values: pass --parameter-overrides "
                 "Stage=VALUE Name=VALUE")),
        qPrintable(stack.error().message));
    // samconfig.toml's parameter_overrides, as SAM CLI writes them; the command line wins.
    QFile config(p.path() + QStringLiteral("/samconfig.toml"));
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write("version = 0.1\n[default.deploy.parameters]\n"
                 "parameter_overrides = \"Stage=\\\"dev\\\" Name=\\\"my-app\\\"\"\n");
    config.close();
    stack = p.load(text);
    QVERIFY2(stack, stack ? "" : qPrintable(stack.error().message));
    QCOMPARE(stack->resources.first().physicalId, QStringLiteral("my-app-dev"));
    stack = p.load(text, {QStringLiteral("Stage=prod")});
    QVERIFY(stack);
    QCOMPARE(stack->resources.first().physicalId, QStringLiteral("my-app-prod"));
}

void TestStackLoader::unresolvableOutputsAreReported()
{
    // An output naming what Tarmac does not make is a report line; the stack still loads.
    Project p;
    auto stack = p.load(kHeader
        + "Resources:\n  A: {Type: AWS::S3::Bucket}\n"
          "Outputs:\n  Api:\n    Value: !Sub 'https://${ServerlessRestApi}.execute-api/Prod/'\n"
          "  Bad: {Value: !GetAtt A.Nope}\n  Name: {Value: !Ref A}\n");
    QVERIFY2(stack, stack ? "" : qPrintable(stack.error().message));
    QCOMPARE(stack->outputs.size(), 1);
    QCOMPARE(stack->outputs.first().name, QStringLiteral("Name"));
    QStringList subjects;
    for (const FidelityItem &i : stack->report.items)
        subjects.append(i.subject);
    QVERIFY2(subjects.contains(QStringLiteral("output Api")), qPrintable(subjects.join(u',')));
    QVERIFY(subjects.contains(QStringLiteral("output Bad")));
    QVERIFY(stack->report.hasUnsupported());
}

void TestStackLoader::samDropsUnknownResourceKeys()
{
    Project p;
    auto stack = p.load(kHeader
        + "Resources:\n  F:\n    Type: AWS::Serverless::Function\n"
          "    Description: what the SAM transform drops\n"
          "    Properties: {InlineCode: 'def h(e, c): pass', Handler: index.h, Runtime: "
          "python3.12}\n");
    QVERIFY2(stack, stack ? "" : qPrintable(stack.error().message));
    QCOMPARE(stack->report.count(FidelityItem::Level::Ignored), 1);
    QCOMPARE(stack->report.items.first().subject, QStringLiteral("Description"));
    QCOMPARE(stack->report.items.first().location.line, 6);
    // CloudFormation's own types keep the strict check.
    auto refused
        = p.load(kHeader + "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Description: no\n");
    QVERIFY(!refused);
    QVERIFY(refused.error().message.contains(
        QLatin1String("Invalid template resource property 'Description'")));
}

void TestStackLoader::undeliverableDestinationsAreReported()
{
    Project p;
    auto stack = p.load(kHeader
        + "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n"
          "      InlineCode: 'def h(e, c): pass'\n      Handler: index.h\n"
          "      Runtime: python3.12\n      EventInvokeConfig:\n        DestinationConfig:\n"
          "          OnFailure: {Type: SNS, Destination: "
          "'arn:aws:sns:us-east-1:000000000000:alarms'}\n"
          "          OnSuccess: {Type: SQS, Destination: "
          "'arn:aws:sqs:us-east-1:000000000000:done'}\n");
    QVERIFY2(stack, stack ? "" : qPrintable(stack.error().message));
    // Queues take messages (the SQS module's message target); topics not yet.
    QStringList subjects;
    for (const FidelityItem &i : stack->report.items)
        subjects.append(i.subject);
    QCOMPARE(subjects, QStringList {QStringLiteral("OnFailure destination SNS")});
}

void TestStackLoader::samBuildOutputIsServed()
{
    Project p;
    const QString project = QFileInfo(p.templatePath()).absolutePath();
    QVERIFY(p.load("Resources:\n  A: {Type: AWS::S3::Bucket}\n"));
    QCOMPARE(StackLoader::findTemplate(project), p.templatePath());
    QVERIFY(QDir(project).mkpath(QStringLiteral(".aws-sam/build")));
    const QString built = project + QStringLiteral("/.aws-sam/build/template.yaml");
    QFile f(built);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("Resources:\n  A: {Type: AWS::S3::Bucket}\n");
    f.close();
    QCOMPARE(StackLoader::findTemplate(project), built);
    QCOMPARE(StackLoader::projectFolder(built), project);
    // Named after the project, not after "build".
    QCOMPARE(StackLoader::defaultStackName(built), StackLoader::defaultStackName(p.templatePath()));
}

void TestStackLoader::publicLayersMappedToFolders()
{
    Project p;
    const QByteArray text = kHeader
        + "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n"
          "      CodeUri: src\n      Handler: app.h\n      Runtime: python3.12\n"
          "      Layers:\n        - arn:aws:lambda:us-east-1:017000801446:layer:Powertools:68\n";
    auto unmapped = p.load(text);
    QVERIFY(unmapped);
    QCOMPARE(unmapped->report.count(FidelityItem::Level::Unsupported), 1);

    StackLoader::Options o = serviceTypes();
    // Without the version: every version of the layer.
    o.layerFolders.insert(QStringLiteral("arn:aws:lambda:us-east-1:017000801446:layer:Powertools"),
        QStringLiteral("layer"));
    auto mapped = StackLoader::loadFile(p.templatePath(), o);
    QVERIFY2(mapped, mapped ? "" : qPrintable(mapped.error().message));
    QCOMPARE(mapped->report.count(FidelityItem::Level::Unsupported), 0);
    QCOMPARE(firstSpec(*mapped).layerDirs, QStringList {p.path() + QStringLiteral("/layer")});

    o.layerFolders = {{QStringLiteral("arn:aws:lambda:us-east-1:017000801446:layer:Powertools:68"),
        QStringLiteral("/no/such/folder")}};
    auto missing = StackLoader::loadFile(p.templatePath(), o);
    QVERIFY(!missing);
    QVERIFY(missing.error().message.contains(QLatin1String("does not exist")));

    // samconfig.toml's [default.tarmac.parameters] layers, folders from the project's.
    QFile config(p.path() + QStringLiteral("/samconfig.toml"));
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write("version = 0.1\n[default.tarmac.parameters]\n"
                 "layers = \"arn:aws:lambda:us-east-1:017000801446:layer:Powertools=layer\"\n");
    config.close();
    auto configured = p.load(text);
    QVERIFY2(configured, configured ? "" : qPrintable(configured.error().message));
    QCOMPARE(configured->report.count(FidelityItem::Level::Unsupported), 0);
    QCOMPARE(firstSpec(*configured).layerDirs, QStringList {p.path() + QStringLiteral("/layer")});
    QVERIFY(config.open(QIODevice::WriteOnly | QIODevice::Truncate));
    config.write("[default.tarmac.parameters]\nlayers = \"not-an-arn\"\n");
    config.close();
    auto bad = p.load(text);
    QVERIFY(!bad);
    QVERIFY2(bad.error().message.contains(QLatin1String("layers takes ARN=DIR items")),
        qPrintable(bad.error().message));
}

void TestStackLoader::undeclaredNodeDependenciesAreReported()
{
    Project p;
    QFile pkg(p.path() + QStringLiteral("/src/package.json"));
    QVERIFY(pkg.open(QIODevice::WriteOnly));
    pkg.write(R"({"dependencies": {"left-pad": "^1", "@aws-sdk/client-s3": "^3"}})");
    pkg.close();
    const QByteArray text = kHeader
        + "Resources:\n  F:\n    Type: AWS::Serverless::Function\n"
          "    Properties: {CodeUri: src, Handler: index.handler, Runtime: nodejs20.x}\n";
    auto stack = p.load(text);
    QVERIFY2(stack, stack ? "" : qPrintable(stack.error().message));
    QCOMPARE(stack->report.count(FidelityItem::Level::Unsupported), 1);
    const QString lines = stack->report.lines().join(u'\n');
    QVERIFY2(lines.contains(QLatin1String("package.json declares left-pad, which no node_modules")),
        qPrintable(lines)); // @aws-sdk/* is what the runtime bundles
    // Installed (here: in the project's own node_modules, which Node also searches).
    QVERIFY(QDir(p.path()).mkpath(QStringLiteral("node_modules/left-pad")));
    stack = p.load(text);
    QVERIFY(stack);
    QCOMPARE(stack->report.count(FidelityItem::Level::Unsupported), 0);
}

void TestStackLoader::undeclaredPythonDependenciesAreReported()
{
    Project p;
    QFile req(p.path() + QStringLiteral("/src/requirements.txt"));
    QVERIFY(req.open(QIODevice::WriteOnly));
    req.write("# comment\n--index-url https://example.org/simple\nrequests>=2 # http\n"
              "PyYAML==6.0\nboto3\n./local-pkg\n");
    req.close();
    const QByteArray text = kHeader
        + "Resources:\n  F:\n    Type: AWS::Serverless::Function\n"
          "    Properties: {CodeUri: src, Handler: app.handler, Runtime: python3.12}\n";
    StackLoader::Options o = serviceTypes();
    auto stack = p.load(text);
    QVERIFY2(stack, stack ? "" : qPrintable(stack.error().message));
    const QString lines = stack->report.lines().join(u'\n');
    QVERIFY2(lines.contains(QLatin1String("requirements.txt declares requests, PyYAML, which is "
                                          "not installed: run tarmac build")),
        qPrintable(lines)); // boto3 is what the runtime bundles
    // Vendored in the code folder (a package), and installed with pip (its dist-info).
    QVERIFY(QDir(p.path()).mkpath(QStringLiteral("src/requests")));
    QVERIFY(QDir(p.path()).mkpath(QStringLiteral(".tarmac/build/F/python/PyYAML-6.0.dist-info")));
    o.buildRoot = p.path() + QStringLiteral("/.tarmac/build");
    QFile t(p.templatePath());
    QVERIFY(t.open(QIODevice::WriteOnly | QIODevice::Truncate));
    t.write(text);
    t.close();
    stack = StackLoader::loadFile(p.templatePath(), o);
    QVERIFY(stack);
    QCOMPARE(stack->report.count(FidelityItem::Level::Unsupported), 0);
    // The build is the function's first layer: its python/ folder is on the path.
    QCOMPARE(
        firstSpec(*stack).layerDirs, QStringList {p.path() + QStringLiteral("/.tarmac/build/F")});
}

void TestStackLoader::buildsAreUsed()
{
    Project p;
    const QByteArray text = kHeader
        + "Resources:\n  Ts:\n    Type: AWS::Serverless::Function\n"
          "    Properties: {CodeUri: src, Handler: app.handler, Runtime: nodejs20.x}\n"
          "    Metadata:\n      BuildMethod: esbuild\n"
          "      BuildProperties: {Minify: false, EntryPoints: [app.ts]}\n"
          "  Py:\n    Type: AWS::Serverless::Function\n"
          "    Properties: {CodeUri: src, Handler: app.handler, Runtime: python3.12}\n"
          "    Metadata: {BuildMethod: makefile}\n";
    QFile t(p.templatePath());
    QVERIFY(t.open(QIODevice::WriteOnly));
    t.write(text);
    t.close();
    StackLoader::Options o = serviceTypes();
    o.buildRoot = p.path() + QStringLiteral("/.tarmac/build");
    auto stack = StackLoader::loadFile(p.templatePath(), o);
    QVERIFY2(stack, stack ? "" : qPrintable(stack.error().message));
    // esbuild is run: the function runs the bundle, made from its code folder.
    const auto ts = lambdaresources::functionSpec(*stack->resource(QStringLiteral("Ts")));
    QVERIFY(ts);
    QCOMPARE(ts->buildMethod, QStringLiteral("esbuild"));
    QCOMPARE(ts->sourceDir, p.path() + QStringLiteral("/src"));
    QCOMPARE(ts->codeDir, p.path() + QStringLiteral("/.tarmac/build/Ts"));
    QVERIFY(ts->buildProperties["EntryPoints"] == Json::array({"app.ts"}));
    // A makefile is not run, and says so; esbuild is not in the report.
    const QString lines = stack->report.lines().join(u'\n');
    QVERIFY2(lines.contains(QLatin1String("`sam build` (makefile) is not run")), qPrintable(lines));
    QVERIFY2(!lines.contains(QLatin1String("esbuild")), qPrintable(lines));
    const auto py = lambdaresources::functionSpec(*stack->resource(QStringLiteral("Py")));
    QCOMPARE(py->codeDir, p.path() + QStringLiteral("/src"));
    QVERIFY(py->layerDirs.isEmpty()); // nothing built yet
}

void TestStackLoader::samGeneratedResources()
{
    Project p;
    auto stack = p.load(kHeader
        + "Parameters:\n  AliasName: {Type: String, Default: live}\n"
          "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
          "    Properties:\n      CodeUri: src\n      Handler: app.handler\n"
          "      Runtime: python3.12\n      AutoPublishAlias: !Ref AliasName\n"
          "      FunctionUrlConfig: {AuthType: NONE}\n"
          "      Events:\n        Get: {Type: Api, Properties: {Path: /, Method: get}}\n"
          "        Http: {Type: HttpApi}\n"
          "        Queue: {Type: SQS, Properties: {Queue: arn:aws:sqs:us-east-1:1:q}}\n"
          "        Tick: {Type: Schedule, Properties: {Schedule: rate(1 minute)}}\n"
          "  Api:\n    Type: AWS::Serverless::Api\n    Properties: {StageName: v1}\n"
          "  Flow:\n    Type: AWS::Serverless::StateMachine\n"
          "    Properties: {Definition: {}}\n"
          "Outputs:\n"
          "  Alias: {Value: !Ref Fn.Alias}\n"
          "  Version: {Value: !Ref Fn.Version}\n"
          "  AliasSub: {Value: !Sub '${Fn.Alias}'}\n"
          "  Url: {Value: !GetAtt FnUrl.FunctionUrl}\n"
          "  UrlRef: {Value: !Ref FnUrl}\n"
          "  Stage: {Value: !Ref ServerlessRestApiProdStage}\n"
          "  ApiStage: {Value: !Ref Api.Stage}\n"
          "  HttpStage: {Value: !Ref ServerlessHttpApi.Stage}\n"
          "  Deployment: {Value: !Ref ServerlessRestApi.Deployment}\n"
          "  Mapping: {Value: !GetAtt FnQueue.Id}\n"
          "  FlowRole: {Value: !GetAtt FlowRole.Arn}\n");
    QVERIFY2(stack, stack ? "" : qPrintable(stack.error().message));
    QStringList made;
    for (const StackResource &r : stack->resources) {
        if (r.implicit)
            made.append(r.logicalId + u' ' + r.type);
    }
    for (const char *want : {"FnRole AWS::IAM::Role", "FnUrl AWS::Lambda::Url",
             "FnUrlPublicPermissions AWS::Lambda::Permission", "FnAliaslive AWS::Lambda::Alias",
             "ServerlessRestApi AWS::Serverless::Api",
             "ServerlessRestApiProdStage AWS::ApiGateway::Stage",
             "FnGetPermissionProd AWS::Lambda::Permission",
             "ServerlessHttpApi AWS::Serverless::HttpApi",
             "ServerlessHttpApiApiGatewayDefaultStage AWS::ApiGatewayV2::Stage",
             "FnHttpPermission AWS::Lambda::Permission", "FnQueue AWS::Lambda::EventSourceMapping",
             "FnTick AWS::Events::Rule", "FnTickPermission AWS::Lambda::Permission",
             "Apiv1Stage AWS::ApiGateway::Stage", "FlowRole AWS::IAM::Role"})
        QVERIFY2(made.contains(QLatin1String(want)),
            qPrintable(QString::fromLatin1(want) + u'\n' + made.join(u'\n')));
    QVERIFY(std::any_of(made.cbegin(), made.cend(), [](const QString &m) {
        return m.startsWith(QLatin1String("FnVersion"))
            && m.endsWith(QLatin1String(" AWS::Lambda::Version"));
    }));
    const QString fn = arnOf(firstFunction(*stack));
    QCOMPARE(outputValue(*stack, QStringLiteral("Alias")), fn + QStringLiteral(":live"));
    QCOMPARE(outputValue(*stack, QStringLiteral("AliasSub")), fn + QStringLiteral(":live"));
    QCOMPARE(outputValue(*stack, QStringLiteral("Version")), fn + QStringLiteral(":1"));
    QCOMPARE(outputValue(*stack, QStringLiteral("UrlRef")), fn);
    QVERIFY(QRegularExpression(
        QStringLiteral("^https://[a-z0-9]{32}\\.lambda-url\\.us-east-1\\.on\\.aws/$"))
                .match(outputValue(*stack, QStringLiteral("Url")))
                .hasMatch());
    QCOMPARE(outputValue(*stack, QStringLiteral("Stage")), QStringLiteral("Prod"));
    QCOMPARE(outputValue(*stack, QStringLiteral("ApiStage")), QStringLiteral("v1"));
    QCOMPARE(outputValue(*stack, QStringLiteral("HttpStage")), QStringLiteral("$default"));
    QCOMPARE(outputValue(*stack, QStringLiteral("Deployment")).size(), 6);
    QCOMPARE(outputValue(*stack, QStringLiteral("Mapping")).size(), 36); // a UUID
    QVERIFY(outputValue(*stack, QStringLiteral("FlowRole"))
                .startsWith(QLatin1String("arn:aws:iam::000000000000:role/demo-FlowRole-")));
    // The alias comes after the version it names, and both after the function.
    QStringList all;
    for (const StackResource &r : stack->resources)
        all.append(r.logicalId);
    const qsizetype alias = all.indexOf(QStringLiteral("FnAliaslive"));
    QVERIFY(alias > all.indexOf(QStringLiteral("Fn")));
    QVERIFY(std::none_of(all.cbegin() + alias, all.cend(),
        [](const QString &id) { return id.startsWith(QLatin1String("FnVersion")); }));
}

void TestStackLoader::stackNames()
{
    QVERIFY(StackLoader::checkStackName(QStringLiteral("demo-2")));
    QVERIFY(!StackLoader::checkStackName(QStringLiteral("2demo")));
    QVERIFY(!StackLoader::checkStackName(QStringLiteral("de_mo")));
    QVERIFY(!StackLoader::checkStackName(QString()));
    QVERIFY(!StackLoader::checkStackName(QString(129, u'a')));

    Project p;
    // Without samconfig.toml: the folder's name.
    const QString folderName = StackLoader::defaultStackName(p.templatePath());
    QVERIFY(!folderName.isEmpty());
    QFile config(QFileInfo(p.templatePath()).absolutePath() + QStringLiteral("/samconfig.toml"));
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write("version = 0.1\n[default.build.parameters]\nstack_name = \"not-this\"\n"
                 "[default.deploy.parameters]\n  stack_name = \"from-config\"  # SAM's\n"
                 "capabilities = \"CAPABILITY_IAM\"\n");
    config.close();
    QCOMPARE(StackLoader::defaultStackName(p.templatePath()), QStringLiteral("from-config"));
    QCOMPARE(StackLoader::samconfigValue(QFileInfo(p.templatePath()).absolutePath(),
                 QStringLiteral("default.deploy.parameters"), QStringLiteral("capabilities")),
        std::optional<QString>(QStringLiteral("CAPABILITY_IAM")));
    auto stack = p.load("Resources:\n  A: {Type: AWS::S3::Bucket}\n");
    QVERIFY(stack);
    QCOMPARE(stack->name, QStringLiteral("from-config"));

    StackLoader::Options o;
    o.stackName = QStringLiteral("9lives");
    auto refused = StackLoader::loadFile(p.templatePath(), o);
    QVERIFY(!refused);
    QVERIFY2(refused.error().message.contains(QLatin1String("not a stack name")),
        qPrintable(refused.error().message));
}

void TestStackLoader::jsonTemplate()
{
    Project p;
    QFile f(p.path() + QStringLiteral("/template.json"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({
  "AWSTemplateFormatVersion": "2010-09-09",
  "Transform": "AWS::Serverless-2016-10-31",
  "Resources": {
    "Fn": {
      "Type": "AWS::Serverless::Function",
      "Properties": {"CodeUri": "src", "Handler": "app.handler", "Runtime": "python3.12",
                     "Environment": {"Variables": {"B": {"Fn::Sub": "${AWS::StackName}-${Bucket}"}}}}
    },
    "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Fn::Join": ["-", ["x", {"Ref": "AWS::Region"}]]}}}
  },
  "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Fn", "Arn"]}}, "Zone": {"Value": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}}}
}
)");
    f.close();
    QCOMPARE(StackLoader::findTemplate(p.path()), p.path() + QStringLiteral("/template.json"));
    auto stack = StackLoader::loadFile(p.path() + QStringLiteral("/template.json"), serviceTypes());
    QVERIFY2(stack, qPrintable(stack ? QString() : stack.error().message));
    QCOMPARE(firstSpec(*stack).environment.value(QStringLiteral("B")),
        QStringLiteral("demo-x-us-east-1"));
    QCOMPARE(outputValue(*stack, QStringLiteral("Zone")), QStringLiteral("us-east-1a"));
    QCOMPARE(outputValue(*stack, QStringLiteral("Arn")), arnOf(firstFunction(*stack)));
    QCOMPARE(firstFunction(*stack).location.line, 5);
}

void TestStackLoader::findTemplateAndStackName()
{
    Project p;
    QCOMPARE(StackLoader::findTemplate(p.path()), QString());
    QFile f(p.templatePath());
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.close();
    QCOMPARE(StackLoader::findTemplate(p.path()), p.templatePath());
    QCOMPARE(StackLoader::findTemplate(p.templatePath()), p.templatePath());
    QCOMPARE(StackLoader::defaultStackName(p.templatePath()), QStringLiteral("demo"));
    QCOMPARE(StackLoader::defaultStackName(QStringLiteral("/x/my_app 2/template.yaml")),
        QStringLiteral("my-app-2"));
    QCOMPARE(StackLoader::defaultStackName(QStringLiteral("/x/42/template.yaml")),
        QStringLiteral("tarmac"));
}

void TestStackLoader::parameterOverrides()
{
    auto o = StackLoader::parseParameterOverrides({QStringLiteral("A=1 B='two words'"),
        QStringLiteral("C=x=y"), QStringLiteral("ParameterKey=D,ParameterValue=d")});
    QVERIFY(o);
    QCOMPARE(o->value(QStringLiteral("A")), QStringLiteral("1"));
    QCOMPARE(o->value(QStringLiteral("B")), QStringLiteral("two words"));
    QCOMPARE(o->value(QStringLiteral("C")), QStringLiteral("x=y"));
    QCOMPARE(o->value(QStringLiteral("D")), QStringLiteral("d"));
    QVERIFY(!StackLoader::parseParameterOverrides({QStringLiteral("novalue")}));
}

QTEST_GUILESS_MAIN(TestStackLoader)
#include "tst_stackloader.moc"
