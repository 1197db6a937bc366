// EventBridge target input: InputPath and InputTransformer, from AWS's examples
// (eb-transform-target-input) and the outputs AWS gave for LocalStack's recorded tests.
#include "services/events/eventinput.h"

#include <QTest>

using namespace tarmac;

class TestEventInput : public QObject
{
    Q_OBJECT

private slots:
    void inputPath_data();
    void inputPath();
    void transformer_data();
    void transformer();
    void check_data();
    void check();
};

// The tables are defined below the class, where moc no longer reads: it takes a raw string for
// a plain one, and a `\"` in one would derail it.
namespace {

// The EC2 event of eb-transform-target-input.
const char *const kEc2Event = R"({
  "version": "0",
  "id": "7bf73129-1428-4cd3-a780-95db273d1602",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "123456789012",
  "time": "2015-11-11T21:29:54Z",
  "region": "us-east-1",
  "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
  "detail": {"instance-id": "i-0123456789", "state": "RUNNING"}
})";

// The doc's Input Path for it.
const char *const kEc2Paths
    = R"({"timestamp": "$.time", "instance": "$.detail.instance-id", "state": "$.detail.state"})";

// A PutEvents entry with nested values and lists, as LocalStack's tests sent AWS.
const char *const kAccountEvent = R"({
  "version": "0",
  "id": "e1",
  "detail-type": "core.update-account-command",
  "source": "core.update-account-command",
  "account": "111111111111",
  "time": "2024-05-13T12:27:07Z",
  "region": "us-east-1",
  "resources": [],
  "detail": {"command": "update-account", "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"},
             "listsingle": ["HIGH"], "listmulti": ["ACTIVE", "INACTIVE"], "valid": true,
             "a/b": 1, "a:b": 2}
})";

const char *const kAccountPaths = R"({"userId": "$.detail.payload.acc_id",
  "payload": "$.detail.payload", "systemstring": "$.detail.awsAccountId",
  "listsingle": "$.detail.listsingle", "listmulti": "$.detail.listmulti",
  "valid": "$.detail.valid", "detail-type": "$.detail-type", "timestamp": "$.time",
  "command": "$.detail.notinmessage", "every": "$.detail.listmulti[*]", "bad": "detail"})";

using Paths = QMap<QString, QString>;

Paths pathsOf(const QByteArray &json)
{
    Paths paths;
    const Json map = Json::parse(json.toStdString());
    for (auto it = map.begin(); it != map.end(); ++it)
        paths.insert(QString::fromStdString(it.key()),
            QString::fromStdString(it.value().get<std::string>()));
    return paths;
}

} // namespace

void TestEventInput::inputPath_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("expected"); // the JSON text, or the error code
    QTest::addColumn<bool>("ok");
    const auto row = [](const char *name, const char *path, const char *expected, bool ok = true) {
        QTest::newRow(name) << QString::fromUtf8(path) << QByteArray(expected) << ok;
    };
    row("detail", "$.detail",
        R"({"a/b":1,"a:b":2,"command":"update-account","listmulti":["ACTIVE","INACTIVE"],)"
        R"("listsingle":["HIGH"],"payload":{"acc_id":"0a787ecb-4015","sf_id":"baz"},)"
        R"("valid":true})");
    row("nested", "$.detail.payload", R"({"acc_id":"0a787ecb-4015","sf_id":"baz"})");
    row("a string keeps its quotes", "$.detail.payload.sf_id", R"("baz")");
    row("a boolean", "$.detail.valid", "true");
    row("an index", "$.detail.listmulti[1]", R"("INACTIVE")");
    row("a list", "$.detail.listsingle", R"(["HIGH"])");
    row("every element", "$.detail.listmulti[*]", R"(["ACTIVE","INACTIVE"])");
    row("every member", "$.detail.payload.*", R"(["0a787ecb-4015","baz"])");
    row("a slash in a name", "$.detail.a/b", "1");
    row("a colon in a name", "$.detail.a:b", "2");
    row("a dash in a name", "$.detail-type", R"("core.update-account-command")");
    row("nothing", "$.detail.missing", "");
    row("nothing in a list", "$.detail.missing[*]", "[]");
    row("no dollar", "detail", "ValidationException", false);
    row("empty name", "$..detail", "ValidationException", false);
    row("space in a name", "$.a b", "ValidationException", false);
    row("unfinished bracket", "$.detail[", "ValidationException", false);
    row("too long", qPrintable(QStringLiteral("$.") + QString(255, u'a')), "ValidationException",
        false);
}

void TestEventInput::inputPath()
{
    QFETCH(QString, path);
    QFETCH(QByteArray, expected);
    QFETCH(bool, ok);
    const auto out = applyInputPath(Json::parse(kAccountEvent), path);
    QCOMPARE(out.ok(), ok);
    if (ok)
        QCOMPARE(*out, expected);
    else
        QCOMPARE(out.error().code.toUtf8(), expected);
}

void TestEventInput::transformer_data()
{
    QTest::addColumn<QByteArray>("event");
    QTest::addColumn<QByteArray>("paths");
    QTest::addColumn<QByteArray>("inputTemplate");
    QTest::addColumn<QByteArray>("expected"); // the input, or the error code
    QTest::addColumn<bool>("ok");
    const auto row = [](const char *name, const char *event, const char *paths,
                         const char *inputTemplate, const char *expected, bool ok = true) {
        QTest::newRow(name) << QByteArray(event) << QByteArray(paths) << QByteArray(inputTemplate)
                            << QByteArray(expected) << ok;
    };
    // eb-transform-target-input's table.
    row("doc: simple string", kEc2Event, kEc2Paths, R"("instance <instance> is in <state>")",
        R"("instance i-0123456789 is in RUNNING")");
    row("doc: string with escaped quotes", kEc2Event, kEc2Paths,
        R"("instance \"<instance>\" is in <state>")",
        R"("instance \"i-0123456789\" is in RUNNING")");
    row("doc: simple JSON", kEc2Event, kEc2Paths,
        "{\n  \"instance\" : <instance>,\n  \"state\": <state>\n}",
        R"({"instance":"i-0123456789","state":"RUNNING"})");
    row("doc: JSON with strings and variables", kEc2Event, kEc2Paths,
        R"({"instance" : <instance>, "state": "<state>",
            "instanceStatus": "instance \"<instance>\" is in <state>"})",
        R"({"instance":"i-0123456789","state":"RUNNING",)"
        R"("instanceStatus":"instance \"i-0123456789\" is in RUNNING"})");
    row("doc: JSON with variables and static information", kEc2Event, kEc2Paths,
        R"({"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"})",
        R"({"instance":"i-0123456789","state":[9,"RUNNING",true],"Transformed":"Yes"})");
    row("doc: reserved variables in JSON", kEc2Event, kEc2Paths,
        R"({"instance" : <instance>, "ruleArn" : <aws.events.rule-arn>,
            "ruleName" : <aws.events.rule-name>, "originalEvent" : <aws.events.event>})",
        R"({"instance":"i-0123456789",)"
        R"("ruleArn":"arn:aws:events:us-east-2:123456789012:rule/example",)"
        R"("ruleName":"example","originalEvent":{"account":"123456789012",)"
        R"("detailType":"EC2 Instance State-change Notification",)"
        R"("id":"7bf73129-1428-4cd3-a780-95db273d1602","region":"us-east-1",)"
        R"("resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],)"
        R"("source":"aws.ec2","time":"2015-11-11T21:29:54Z","version":"0"}})");
    row("doc: reserved variables in a string", kEc2Event, kEc2Paths,
        R"("<aws.events.rule-name> triggered")", R"("example triggered")");
    row("doc: log group", kEc2Event, kEc2Paths,
        R"({"timestamp" : <timestamp>, "message": "instance \"<instance>\" is in <state>"})",
        R"({"timestamp":"2015-11-11T21:29:54Z",)"
        R"("message":"instance \"i-0123456789\" is in RUNNING"})");
    row("ingestion time", kEc2Event, kEc2Paths,
        R"({"at": <aws.events.event.ingestion-time>, "s": "at <aws.events.event.ingestion-time>"})",
        R"({"at":"2015-11-11T21:29:55Z","s":"at 2015-11-11T21:29:55Z"})");
    row("whole event", kEc2Event, "{}", R"({"e": <aws.events.event.json>})",
        R"({"e":{"account":"123456789012","detail":{"instance-id":"i-0123456789",)"
        R"("state":"RUNNING"},"detail-type":"EC2 Instance State-change Notification",)"
        R"("id":"7bf73129-1428-4cd3-a780-95db273d1602","region":"us-east-1",)"
        R"("resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],)"
        R"("source":"aws.ec2","time":"2015-11-11T21:29:54Z","version":"0"}})");
    // What AWS gave LocalStack's recorded tests.
    row("object as a value", kAccountEvent, kAccountPaths,
        R"({"method": "PUT", "path": "users-service/users/<userId>", "bod": <payload>})",
        R"({"method":"PUT","path":"users-service/users/0a787ecb-4015",)"
        R"("bod":{"acc_id":"0a787ecb-4015","sf_id":"baz"}})");
    row("object in a string", kAccountEvent, kAccountPaths,
        R"("Payload of <payload> with path users-service/users/<userId> and <userId>")",
        R"("Payload of {acc_id:0a787ecb-4015,sf_id:baz} with path users-service/users/)"
        R"(0a787ecb-4015 and 0a787ecb-4015")");
    row("string as a value", kAccountEvent, kAccountPaths, R"({"id" : <userId>})",
        R"({"id":"0a787ecb-4015"})");
    row("string in quotes", kAccountEvent, kAccountPaths, R"({"id" : "<userId>"})",
        R"({"id":"0a787ecb-4015"})");
    row("in a list", kAccountEvent, kAccountPaths,
        R"({"method": "PUT", "bod": [<userId>, "hardcoded"]})",
        R"({"method":"PUT","bod":["0a787ecb-4015","hardcoded"]})");
    row("list in a string", kAccountEvent, kAccountPaths,
        R"("<listsingle> single list item <listmulti> multiple list items")",
        R"("[HIGH] single list item [ACTIVE,INACTIVE] multiple list items")");
    row("list as a value", kAccountEvent, kAccountPaths, R"({"singlelistitem": <listsingle>})",
        R"({"singlelistitem":["HIGH"]})");
    row("twice in a string", kAccountEvent, kAccountPaths,
        R"({"multi_replacement": "users/<userId>/second/<userId>"})",
        R"({"multi_replacement":"users/0a787ecb-4015/second/0a787ecb-4015"})");
    row("boolean in a string", kAccountEvent, kAccountPaths, R"("Command is <valid>!")",
        R"("Command is true!")");
    row("nothing, in a string", kAccountEvent, kAccountPaths,
        R"("<systemstring> system account id")", R"(" system account id")");
    row("nothing, as a value", kAccountEvent, kAccountPaths,
        R"({"detailType": <detail-type>,  "time": <timestamp>, "command": <command>})",
        R"({"detailType":"core.update-account-command","time":"2024-05-13T12:27:07Z",)"
        R"("command":""})");
    row("special first characters", kAccountEvent, kAccountPaths,
        R"("{[/Check with special starting characters for event of <detail-type> type")",
        R"("{[/Check with special starting characters for event of )"
        R"(core.update-account-command type")");
    row("every element", kAccountEvent, kAccountPaths, R"({"all": <every>})",
        R"({"all":["ACTIVE","INACTIVE"]})");
    row("a path that is not one", kAccountEvent, kAccountPaths, R"({"v": <bad>})", R"({"v":""})");
    row("not a placeholder", kAccountEvent, kAccountPaths, R"("1 < 2 and <userId>")",
        R"("1 < 2 and 0a787ecb-4015")");
    // A template that is not JSON at all: values outside quotes are JSON all the same.
    row("plain text", kEc2Event, kEc2Paths, "instance <instance> is in state <state>",
        R"(instance "i-0123456789" is in state "RUNNING")");
    // An object or a list inside a string of a JSON template: AWS delivered nothing.
    row("object in a JSON string", kAccountEvent, kAccountPaths, R"({"payload": "<payload>"})",
        "ValidationException", false);
    row("list in a JSON string", kAccountEvent, kAccountPaths,
        R"({"singlelistitem": "<listsingle>"})", "ValidationException", false);
    row("object in a path string", kAccountEvent, kAccountPaths,
        R"({"not_valid": "users-service/users/<payload>", "bod": <payload>})",
        "ValidationException", false);
}

void TestEventInput::transformer()
{
    QFETCH(QByteArray, event);
    QFETCH(QByteArray, paths);
    QFETCH(QByteArray, inputTemplate);
    QFETCH(QByteArray, expected);
    QFETCH(bool, ok);
    InputTransformer t;
    t.pathsMap = pathsOf(paths);
    t.inputTemplate = QString::fromUtf8(inputTemplate);
    const RuleContext context {QStringLiteral("arn:aws:events:us-east-2:123456789012:rule/example"),
        QStringLiteral("example"), QStringLiteral("2015-11-11T21:29:55Z")};
    const auto out = applyInputTransformer(Json::parse(event.toStdString()), t, context);
    QCOMPARE(out.ok(), ok);
    if (ok)
        QCOMPARE(*out, expected);
    else
        QCOMPARE(out.error().code.toUtf8(), expected);
}

void TestEventInput::check_data()
{
    QTest::addColumn<Paths>("paths");
    QTest::addColumn<QString>("inputTemplate");
    QTest::addColumn<QString>("message"); // empty: valid
    const auto row = [](const char *name, const Paths &paths, const QString &inputTemplate,
                         const char *message) {
        QTest::newRow(name) << paths << inputTemplate << QString::fromUtf8(message);
    };
    const Paths ec2 = pathsOf(kEc2Paths);
    row("doc's", ec2, QStringLiteral("\"instance <instance> is in <state>\""), "");
    row("predefined only", {},
        QStringLiteral("{\"originalEvent\": <aws.events.event>, \"json\": <aws.events.event.json>, "
                       "\"arn\": <aws.events.rule-arn>, \"name\": <aws.events.rule-name>, "
                       "\"at\": <aws.events.event.ingestion-time>}"),
        "");
    row("a path is not checked", {{QStringLiteral("a"), QStringLiteral("detail")}},
        QStringLiteral("<a>"), "");
    row("not a placeholder", {}, QStringLiteral("\"1 < 2\""), "");
    row("AWS: undefined placeholder", ec2,
        QStringLiteral("\"Event of <instance> type, with not defined key <notdefinedkey>\""),
        "InputTemplate for target t1 contains invalid placeholder notdefinedkey.");
    row("another predefined name", {}, QStringLiteral("<aws.events.rule>"),
        "InputTemplate for target t1 contains invalid placeholder aws.events.rule.");
    Paths many;
    for (int i = 0; i <= 100; ++i)
        many.insert(QStringLiteral("k%1").arg(i), QStringLiteral("$.detail"));
    row("101 paths", many, QStringLiteral("<k1>"),
        "1 validation error detected: Value at 'inputTransformer.inputPathsMap' failed to "
        "satisfy constraint: Member must have length less than or equal to 100");
    row("a key with a dot", {{QStringLiteral("a.b"), QStringLiteral("$.detail")}},
        QStringLiteral("<a.b>"),
        "1 validation error detected: Value 'a.b' at 'inputTransformer.inputPathsMap' failed to "
        "satisfy constraint: Map keys must satisfy constraint: [Member must have length less than "
        "or equal to 256, Member must have length greater than or equal to 1, Member must "
        "satisfy regular expression pattern: [A-Za-z0-9\\_\\-]+]");
    row("a long path", {{QStringLiteral("a"), QStringLiteral("$.") + QString(255, u'x')}},
        QStringLiteral("<a>"),
        qPrintable(QStringLiteral("1 validation error detected: Value '$.") + QString(98, u'x')
            + QStringLiteral("...' at 'inputTransformer.inputPathsMap' failed to satisfy "
                             "constraint: Map value must satisfy constraint: [Member must have "
                             "length less than or equal to 256]")));
    row("empty template", {}, QString(),
        "1 validation error detected: Value at 'inputTransformer.inputTemplate' failed to "
        "satisfy constraint: Member must have length greater than or equal to 1");
    row("long template", {}, QString(8193, u'x'),
        qPrintable(QStringLiteral("1 validation error detected: Value '") + QString(100, u'x')
            + QStringLiteral("...' at 'inputTransformer.inputTemplate' failed to satisfy "
                             "constraint: Member must have length less than or equal to 8192")));
}

void TestEventInput::check()
{
    QFETCH(Paths, paths);
    QFETCH(QString, inputTemplate);
    QFETCH(QString, message);
    const auto checked = checkInputTransformer({paths, inputTemplate}, QStringLiteral("t1"));
    QCOMPARE(checked.ok(), message.isEmpty());
    if (!checked) {
        QCOMPARE(checked.error().code, QStringLiteral("ValidationException"));
        QCOMPARE(checked.error().message, message);
    }
}

QTEST_GUILESS_MAIN(TestEventInput)
#include "tst_eventinput.moc"
