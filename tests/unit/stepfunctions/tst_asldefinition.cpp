#include "services/stepfunctions/asldefinition.h"

#include <QTest>

using namespace tarmac;

namespace {

// Every state type, with the fields the parser keeps.
const char *const kFullMachine = R"j({
  "Comment": "Every state type",
  "StartAt": "Validate",
  "TimeoutSeconds": 300,
  "States": {
    "Validate": {
      "Type": "Task",
      "Resource": "arn:aws:lambda:us-east-1:123456789012:function:validate",
      "InputPath": null,
      "Parameters": {"order.$": "$.order", "id.$": "$$.Execution.Id",
                     "at.$": "States.Format('{}', $.when)"},
      "ResultSelector": {"ok.$": "$.Payload.ok"},
      "ResultPath": "$.validation",
      "OutputPath": "$",
      "TimeoutSeconds": 30,
      "HeartbeatSeconds": 10,
      "Retry": [
        {"ErrorEquals": ["Lambda.ServiceException", "Lambda.TooManyRequestsException"],
         "IntervalSeconds": 2, "MaxAttempts": 6, "BackoffRate": 2.5,
         "MaxDelaySeconds": 60, "JitterStrategy": "FULL"},
        {"ErrorEquals": ["States.ALL"]}
      ],
      "Catch": [
        {"ErrorEquals": ["States.TaskFailed"], "Next": "Failed", "ResultPath": "$.error"},
        {"ErrorEquals": ["States.ALL"], "Next": "Failed", "ResultPath": null}
      ],
      "Next": "Route"
    },
    "Route": {
      "Type": "Choice",
      "Choices": [
        {"Variable": "$.validation.ok", "BooleanEquals": true, "Next": "Fan out"},
        {"And": [{"Variable": "$.retry", "IsPresent": true},
                 {"Variable": "$.retry", "NumericLessThan": 3}], "Next": "Pause"}
      ],
      "Default": "Failed"
    },
    "Pause": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Validate"},
    "Fan out": {
      "Type": "Parallel",
      "Branches": [
        {"StartAt": "Left",
         "States": {"Left": {"Type": "Pass", "Result": {"side": "left"}, "End": true}}},
        {"StartAt": "Right", "States": {"Right": {"Type": "Wait", "Seconds": 1, "End": true}}}
      ],
      "ResultPath": "$.sides",
      "Next": "Each"
    },
    "Each": {
      "Type": "Map",
      "ItemsPath": "$.order.items",
      "ItemSelector": {"item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
      "MaxConcurrency": 4,
      "ToleratedFailurePercentage": 10,
      "ItemProcessor": {
        "ProcessorConfig": {"Mode": "INLINE"},
        "StartAt": "Ship",
        "States": {"Ship": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                            "End": true}}
      },
      "Next": "Done"
    },
    "Done": {"Type": "Succeed"},
    "Failed": {"Type": "Fail", "Error": "OrderFailed", "CausePath": "$.error.Cause"}
  }
})j";

QStringList codesAndPlaces(const std::vector<AslDiagnostic> &diagnostics)
{
    QStringList out;
    for (const AslDiagnostic &d : diagnostics)
        out << QString(d.code + QLatin1Char(' ') + d.location);
    return out;
}

} // namespace

// Reading and validating definitions (ValidateStateMachineDefinition's diagnostics), error
// matching and retry delays.
class TestAslDefinition : public QObject
{
    Q_OBJECT

private slots:
    void parsesEveryStateType()
    {
        auto parsed = parseAslDefinition(kFullMachine);
        QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
        const AslStateMachine &m = *parsed;
        QCOMPARE(m.startAt, QStringLiteral("Validate"));
        QCOMPARE(m.comment, QStringLiteral("Every state type"));
        QCOMPARE(m.timeoutSeconds, std::optional<int>(300));
        QCOMPARE(m.queryLanguage, QStringLiteral("JSONPath"));
        QCOMPARE(m.states.size(), size_t(7));

        const AslState *task = m.state(u"Validate");
        QVERIFY(task);
        QCOMPARE(int(task->type), int(AslState::Type::Task));
        QCOMPARE(task->resource,
            QStringLiteral("arn:aws:lambda:us-east-1:123456789012:function:validate"));
        QVERIFY(!task->inputPath); // null
        QCOMPARE(task->outputPath, std::optional<QString>(QStringLiteral("$")));
        QCOMPARE(task->resultPath, std::optional<QString>(QStringLiteral("$.validation")));
        QVERIFY(task->parameters && task->parameters->contains("order.$"));
        QVERIFY(task->resultSelector);
        QCOMPARE(task->timeoutSeconds, std::optional<int>(30));
        QCOMPARE(task->heartbeatSeconds, std::optional<int>(10));
        QCOMPARE(task->next, std::optional<QString>(QStringLiteral("Route")));
        QVERIFY(!task->end);
        QCOMPARE(task->retry.size(), size_t(2));
        const AslRetrier &r = task->retry[0];
        QCOMPARE(r.errorEquals.size(), 2);
        QCOMPARE(r.intervalSeconds, 2.0);
        QCOMPARE(r.maxAttempts, 6);
        QCOMPARE(r.backoffRate, 2.5);
        QCOMPARE(r.maxDelaySeconds, std::optional<double>(60));
        QCOMPARE(int(r.jitter), int(AslRetrier::Jitter::Full));
        const AslRetrier &defaults = task->retry[1];
        QCOMPARE(defaults.intervalSeconds, 1.0);
        QCOMPARE(defaults.maxAttempts, 3);
        QCOMPARE(defaults.backoffRate, 2.0);
        QVERIFY(!defaults.maxDelaySeconds);
        QCOMPARE(task->catchers.size(), size_t(2));
        QCOMPARE(task->catchers[0].resultPath, std::optional<QString>(QStringLiteral("$.error")));
        QVERIFY(!task->catchers[1].resultPath);

        const AslState *route = m.state(u"Route");
        QVERIFY(route);
        QCOMPARE(route->choices.size(), size_t(2));
        QCOMPARE(route->choices[1].next, QStringLiteral("Pause"));
        QCOMPARE(int(route->choices[1].kind), int(AslChoiceRule::Kind::And));
        QCOMPARE(route->defaultState, std::optional<QString>(QStringLiteral("Failed")));

        const AslState *pause = m.state(u"Pause");
        QVERIFY(pause);
        QCOMPARE(pause->secondsPath, std::optional<QString>(QStringLiteral("$.delay")));

        const AslState *fanOut = m.state(u"Fan out");
        QVERIFY(fanOut);
        QCOMPARE(fanOut->branches.size(), size_t(2));
        QCOMPARE(fanOut->branches[1].startAt, QStringLiteral("Right"));
        QCOMPARE(fanOut->branches[1].states.front().seconds, std::optional<double>(1));
        QVERIFY(fanOut->branches[0].states.front().result);

        const AslState *each = m.state(u"Each");
        QVERIFY(each);
        QVERIFY(each->itemProcessor());
        QCOMPARE(each->itemProcessor()->startAt, QStringLiteral("Ship"));
        QCOMPARE(each->itemsPath, std::optional<QString>(QStringLiteral("$.order.items")));
        QVERIFY(each->parameters && each->parameters->contains("item.$"));
        QCOMPARE(each->maxConcurrency, 4);
        QCOMPARE(each->toleratedFailurePercentage, std::optional<double>(10));
        QCOMPARE(each->processorMode, QStringLiteral("INLINE"));

        const AslState *failed = m.state(u"Failed");
        QVERIFY(failed);
        QCOMPARE(failed->error, std::optional<QString>(QStringLiteral("OrderFailed")));
        QCOMPARE(failed->causePath, std::optional<QString>(QStringLiteral("$.error.Cause")));
        QVERIFY(failed->isTerminal());
        QVERIFY(m.state(u"Done")->isTerminal());
        QVERIFY(!m.state(u"Nope"));
    }

    void olderMapAndQueryLanguage()
    {
        auto parsed = parseAslDefinition(R"({"StartAt":"M","QueryLanguage":"JSONata","States":{
            "M":{"Type":"Map","Iterator":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},
                 "End":true}}})");
        QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
        QCOMPARE(parsed->queryLanguage, QStringLiteral("JSONata"));
        const AslState &map = parsed->states.front();
        QCOMPARE(map.queryLanguage, QStringLiteral("JSONata"));
        QVERIFY(map.itemProcessor());
        QCOMPARE(map.itemProcessor()->states.front().name, QStringLiteral("I"));
        QCOMPARE(map.itemProcessor()->queryLanguage, QStringLiteral("JSONata"));
    }

    void diagnostics_data()
    {
        QTest::addColumn<QByteArray>("definition");
        QTest::addColumn<QStringList>("expected"); // "CODE location", in order
        QTest::addColumn<QString>("firstMessage");

        auto row = [](const char *name, const char *definition, QStringList expected,
                       const char *message) {
            QTest::newRow(name) << QByteArray(definition) << expected << QString::fromUtf8(message);
        };
        row("not JSON", "{", {QStringLiteral("INVALID_JSON_DESCRIPTION /")}, "not valid JSON");
        row("no States", R"({"StartAt":"A"})", {QStringLiteral("SCHEMA_VALIDATION_FAILED /")},
            "These fields are required: [States]");
        row("unknown top-level field",
            R"({"StartAt":"A","Foo":1,"States":{"A":{"Type":"Pass","End":true}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /")}, "Field 'Foo' is not supported");
        row("StartAt names nothing", R"({"StartAt":"B","States":{"A":{"Type":"Pass","End":true}}})",
            {QStringLiteral("MISSING_TRANSITION_TARGET /StartAt")}, "Missing 'StartAt' target: B");
        // AWS's answers, as recorded in floci-io/floci#2786.
        row("dangling Next", R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"NOPE"}}})",
            {QStringLiteral("MISSING_TRANSITION_TARGET /States/A/Next"),
                QStringLiteral("MISSING_END_STATE ")},
            "Missing 'Next' target: NOPE");
        row("bare loop",
            R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},)"
            R"("B":{"Type":"Pass","Next":"A"}}})",
            {QStringLiteral("MISSING_END_STATE ")}, "Workflow has no terminal state");
        row("loop and unreachable end",
            R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},)"
            R"("B":{"Type":"Pass","Next":"A"},)"
            R"("C":{"Type":"Pass","End":true}}})",
            {QStringLiteral("MISSING_TRANSITION_TARGET /States/C")},
            "State \"C\" is not reachable.");
        row("dangling Choice targets",
            R"({"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a",)"
            R"("IsPresent":true,"Next":"X"}],"Default":"Y"},"E":{"Type":"Succeed"}}})",
            {QStringLiteral("MISSING_TRANSITION_TARGET /States/C/Choices[0]/Next"),
                QStringLiteral("MISSING_TRANSITION_TARGET /States/C/Default"),
                QStringLiteral("MISSING_TRANSITION_TARGET /States/E")},
            "Missing 'Next' target: X");
        row("dangling Catch",
            R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:r","End":true,)"
            R"("Catch":[{"ErrorEquals":["States.ALL"],"Next":"Z"}]}}})",
            {QStringLiteral("MISSING_TRANSITION_TARGET /States/T/Catch[0]/Next")},
            "Missing 'Next' target: Z");
        row("TimeoutSeconds on a Map",
            R"({"StartAt":"M","States":{"M":{"Type":"Map","TimeoutSeconds":5,"End":true,)"
            R"("ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}}}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/M")},
            "Field 'TimeoutSeconds' is not supported");
        row("Retry on a Pass",
            R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Retry":[]}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/A")},
            "Field 'Retry' is not supported");
        row("neither Next nor End",
            R"({"StartAt":"A","States":{"A":{"Type":"Pass"},"B":{"Type":"Succeed"}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/A"),
                QStringLiteral("MISSING_TRANSITION_TARGET /States/B")},
            "either 'Next' or \"End\": true");
        row("End false",
            R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":false},"B":{"Type":"Succeed"}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/A"),
                QStringLiteral("MISSING_TRANSITION_TARGET /States/B")},
            "either 'Next' or \"End\": true");
        row("both Next and End",
            R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B","End":true},)"
            R"("B":{"Type":"Succeed"}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/A")}, "Only one of 'Next' or 'End'");
        row("Next on a Succeed", R"({"StartAt":"A","States":{"A":{"Type":"Succeed","Next":"A"}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/A")},
            "Field 'Next' is not supported");
        row("unknown Type", R"({"StartAt":"A","States":{"A":{"Type":"Sleep","End":true}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/A/Type"),
                QStringLiteral("MISSING_END_STATE ")},
            "must be one of Task");
        row("Choice without Choices",
            R"({"StartAt":"C","States":{"C":{"Type":"Choice","Default":"E"},)"
            R"("E":{"Type":"Succeed"}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/C")},
            "These fields are required: [Choices]");
        row("bad Choice rule",
            R"({"StartAt":"C","States":{"C":{"Type":"Choice","Default":"E","Choices":[)"
            R"({"Variable":"$.a","NumericEquals":"1","Next":"E"}]},"E":{"Type":"Succeed"}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/C/Choices[0]")},
            "The value for the field 'NumericEquals' must be a NUMBER");
        row("States.ALL not last",
            R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:r","End":true,)"
            R"("Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}]}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/T/Retry[0]")},
            "must be the last one");
        row("States.ALL not alone",
            R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:r","End":true,)"
            R"("Catch":[{"ErrorEquals":["States.ALL","X"],"Next":"T"}]}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/T/Catch[0]/ErrorEquals")},
            "must appear alone");
        row("empty ErrorEquals",
            R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:r","End":true,)"
            R"("Retry":[{"ErrorEquals":[]}]}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/T/Retry[0]/ErrorEquals")},
            "non-empty ARRAY");
        row("BackoffRate below 1",
            R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:r","End":true,)"
            R"("Retry":[{"ErrorEquals":["X"],"BackoffRate":0.5}]}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/T/Retry[0]/BackoffRate")},
            "'BackoffRate'");
        row("fractional IntervalSeconds",
            R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:r","End":true,)"
            R"("Retry":[{"ErrorEquals":["X"],"IntervalSeconds":1.5}]}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/T/Retry[0]/IntervalSeconds")},
            "must be an INTEGER");
        row("JitterStrategy",
            R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:r","End":true,)"
            R"("Retry":[{"ErrorEquals":["X"],"JitterStrategy":"HALF"}]}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/T/Retry[0]/JitterStrategy")},
            "FULL or NONE");
        row("Task without Resource", R"({"StartAt":"T","States":{"T":{"Type":"Task","End":true}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/T")},
            "These fields are required: [Resource]");
        row("heartbeat not below timeout",
            R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:r","End":true,)"
            R"("TimeoutSeconds":10,"HeartbeatSeconds":10}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/T/HeartbeatSeconds")},
            "smaller than 'TimeoutSeconds'");
        row("TimeoutSeconds and its Path",
            R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:r","End":true,)"
            R"("TimeoutSeconds":10,"TimeoutSecondsPath":"$.t"}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/T")}, "Only one of 'TimeoutSeconds'");
        row("Wait with two times",
            R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,)"
            R"("Timestamp":"2016-03-14T01:59:00Z","End":true}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/W")}, "Exactly one of 'Seconds'");
        row("Wait with a bad Timestamp",
            R"({"StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"tomorrow","End":true}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/W/Timestamp")}, "RFC3339");
        row("ResultPath not a reference path",
            R"({"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$.a[*]","End":true}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/A/ResultPath")}, "ReferencePath");
        row("a variable in ResultPath",
            R"({"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$v.a","End":true}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/A/ResultPath")}, "ReferencePath");
        row("InputPath not a path",
            R"({"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"a","End":true}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/A/InputPath")}, "valid JSONPath");
        row("bad Parameters field",
            R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true,)"
            R"j("Parameters":{"n":{"x.$":"nope"},"ok.$":"States.Array(1)"}}}})j",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/A/Parameters/n/x.$")},
            "The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic");
        row("bad intrinsic",
            R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true,)"
            R"j("Parameters":{"x.$":"States.Nope()"}}}})j",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/A/Parameters/x.$")}, "x.$");
        row("Fail with Error and ErrorPath",
            R"({"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","ErrorPath":"$.e"}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/F")}, "Only one of 'Error'");
        row("Map without a processor",
            R"({"StartAt":"M","States":{"M":{"Type":"Map","End":true}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/M")},
            "These fields are required: [ItemProcessor]");
        row("Parallel without Branches",
            R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/P")},
            "These fields are required: [Branches]");
        row("branch transitions stay in the branch",
            R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[)"
            R"({"StartAt":"B1","States":{"B1":{"Type":"Pass","Next":"P"},)"
            R"("B2":{"Type":"Succeed"}}}]}}})",
            {QStringLiteral("MISSING_TRANSITION_TARGET /States/P/Branches[0]/States/B1/Next"),
                QStringLiteral("MISSING_TRANSITION_TARGET /States/P/Branches[0]/States/B2")},
            "Missing 'Next' target: P");
        row("duplicate names across branches",
            R"({"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"A","Branches":[)"
            R"({"StartAt":"A","States":{"A":{"Type":"Succeed"}}}]},"A":{"Type":"Succeed"}}})",
            {QStringLiteral("DUPLICATE_STATE_NAME /States/P/Branches[0]/States/A")},
            "Duplicate State name: A");
        // Each query language has its own input and output fields.
        row("JSONPath field in a JSONata state",
            R"({"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass",)"
            R"("InputPath":"$.x","End":true}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/A/InputPath")},
            "The field 'InputPath' is not supported when the QueryLanguage is JSONata");
        row("JSONata field in a JSONPath state",
            R"({"StartAt":"A","States":{"A":{"Type":"Pass","Output":{"a":1},"End":true}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/A/Output")},
            "The field 'Output' is not supported when the QueryLanguage is JSONPath");
        row("ResultPath on a JSONata catcher",
            R"({"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task",)"
            R"("Resource":"arn:aws:states:::lambda:invoke","End":true,)"
            R"("Catch":[{"ErrorEquals":["States.ALL"],"Next":"T","ResultPath":"$.e"}]}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/T/Catch[0]/ResultPath")},
            "The field 'ResultPath' is not supported when the QueryLanguage is JSONata");
        row("a Condition that is not an expression",
            R"({"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice",)"
            R"("Choices":[{"Condition":"$.x","Next":"E"}]},"E":{"Type":"Succeed"}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/C/Choices[0]/Condition")},
            "must be a JSONata expression or a BOOLEAN");
        row("JSONata rule's Next is checked",
            R"({"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice",)"
            R"("Choices":[{"Condition":"{% true %}","Next":"Nope"}],"Default":"E"},)"
            R"("E":{"Type":"Succeed"}}})",
            {QStringLiteral("MISSING_TRANSITION_TARGET /States/C/Choices[0]/Next")},
            "Missing 'Next' target: Nope");
        row("bad variable name",
            R"({"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"9lives":1},"End":true}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/A/Assign/9lives")},
            "The variable name '9lives' is not valid");
        row("Assign not an object",
            R"({"StartAt":"A","States":{"A":{"Type":"Pass","Assign":[1],"End":true}}})",
            {QStringLiteral("SCHEMA_VALIDATION_FAILED /States/A/Assign")},
            "The value for the field 'Assign' must be an OBJECT");
    }

    // JSONata states: numbers and timestamps may be expressions, read as the state runs.
    void jsonataExpressionsInNumberFields()
    {
        auto parsed = parseAslDefinition(R"({"QueryLanguage":"JSONata","StartAt":"W","States":{
            "W":{"Type":"Wait","Seconds":"{% $states.input.s %}","Next":"T"},
            "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
                 "TimeoutSeconds":"{% 5 %}","Arguments":{"FunctionName":"f"},"Next":"M"},
            "M":{"Type":"Map","Items":"{% [1,2] %}","MaxConcurrency":"{% 1 %}","Next":"X",
                 "ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}}},
            "X":{"Type":"Wait","Timestamp":"{% $now() %}","Next":"C"},
            "C":{"Type":"Choice","Choices":[{"Condition":"{% true %}","Next":"E",
                 "Assign":{"x":1},"Output":"{% 1 %}"}],"Default":"E"},
            "E":{"Type":"Succeed","Output":{"a":"{% $x %}"}}}})");
        QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
        const AslState *t = parsed->state(u"T");
        QVERIFY(t && t->isJsonata());
        QVERIFY(!t->timeoutSeconds);
        QCOMPARE(t->jsonata["TimeoutSeconds"].get<std::string>(), std::string("{% 5 %}"));
        QCOMPARE(parsed->state(u"C")->choices.size(), size_t(1));
        QCOMPARE(parsed->state(u"C")->choices[0].next, QStringLiteral("E"));
    }

    void diagnostics()
    {
        QFETCH(QByteArray, definition);
        QFETCH(QStringList, expected);
        QFETCH(QString, firstMessage);
        const AslValidation v = validateAslDefinition(definition);
        QVERIFY(!v.ok());
        QCOMPARE(codesAndPlaces(v.diagnostics), expected);
        QVERIFY2(v.diagnostics.front().message.contains(firstMessage),
            qPrintable(v.diagnostics.front().message));
        QCOMPARE(v.diagnostics.front().severity, QStringLiteral("ERROR"));
    }

    void stateNameLength()
    {
        const QByteArray name(81, 'B');
        const QByteArray definition = QByteArray(R"({"StartAt":")") + name
            + QByteArray(R"(","States":{")") + name + QByteArray(R"(":{"Type":"Succeed"}}})");
        const AslValidation v = validateAslDefinition(definition);
        QCOMPARE(codesAndPlaces(v.diagnostics),
            QStringList {QString(
                QStringLiteral("SCHEMA_VALIDATION_FAILED /States/") + QString::fromLatin1(name))});
        QVERIFY(v.diagnostics.front().message.contains(QStringLiteral("at most 80 characters")));
        QVERIFY(validateAslDefinition(QByteArray(definition).replace(name, name.left(80))).ok());
    }

    // The message CreateStateMachine gives (localstack/localstack#12487 quotes AWS's).
    void createStateMachineMessage()
    {
        auto parsed = parseAslDefinition(R"({"StartAt":"pass1","States":{
            "pass1":{"Type":"Pass","Next":"pass3"},"pass2":{"Type":"Pass","End":true}}})");
        QVERIFY(!parsed);
        QCOMPARE(parsed.error().code, QStringLiteral("InvalidDefinition"));
        QCOMPARE(parsed.error().message,
            QStringLiteral("Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: "
                           "Missing 'Next' target: pass3 at /States/pass1/Next, "
                           "MISSING_TRANSITION_TARGET: State \"pass2\" is not reachable. at "
                           "/States/pass2'"));

        auto noEnd
            = parseAslDefinition(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A"}}})");
        QVERIFY(!noEnd);
        QCOMPARE(noEnd.error().message,
            QStringLiteral("Invalid State Machine Definition: 'MISSING_END_STATE: Workflow has "
                           "no terminal state at null'"));
    }

    void validDefinitionsHaveNoDiagnostics()
    {
        QVERIFY(validateAslDefinition(kFullMachine).ok());
        // The smallest machines of the docs.
        QVERIFY(validateAslDefinition(
            R"({"Comment":"A Hello World example","StartAt":"HelloWorld","States":{"HelloWorld":)"
            R"({"Type":"Pass","Result":"Hello World!","End":true}}})")
                    .ok());
        QVERIFY(validateAslDefinition(
            R"({"StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"2016-03-14T01:59:00Z",)"
            R"j("Next":"F"},"F":{"Type":"Fail","ErrorPath":"States.Format('E{}', $.n)"}}})j")
                    .ok());
    }

    void errorMatching_data()
    {
        QTest::addColumn<QStringList>("errorEquals");
        QTest::addColumn<QString>("error");
        QTest::addColumn<bool>("matches");
        const QStringList all {QStringLiteral("States.ALL")};
        const QStringList taskFailed {QStringLiteral("States.TaskFailed")};
        QTest::newRow("exact") << QStringList {QStringLiteral("MyError")} << "MyError" << true;
        QTest::newRow("other") << QStringList {QStringLiteral("MyError")} << "Other" << false;
        QTest::newRow("case matters")
            << QStringList {QStringLiteral("myerror")} << "MyError" << false;
        QTest::newRow("one of several")
            << QStringList {QStringLiteral("A"), QStringLiteral("B")} << "B" << true;
        QTest::newRow("ALL") << all << "Lambda.Unknown" << true;
        QTest::newRow("ALL timeout") << all << "States.Timeout" << true;
        QTest::newRow("ALL not Runtime") << all << "States.Runtime" << false;
        QTest::newRow("Runtime by name")
            << QStringList {QStringLiteral("States.Runtime")} << "States.Runtime" << false;
        QTest::newRow("ALL not DataLimitExceeded") << all << "States.DataLimitExceeded" << false;
        QTest::newRow("DataLimitExceeded by name")
            << QStringList {QStringLiteral("States.DataLimitExceeded")}
            << "States.DataLimitExceeded" << true;
        QTest::newRow("TaskFailed any") << taskFailed << "Lambda.ServiceException" << true;
        QTest::newRow("TaskFailed itself") << taskFailed << "States.TaskFailed" << true;
        QTest::newRow("TaskFailed not Timeout") << taskFailed << "States.Timeout" << false;
        QTest::newRow("Timeout by name")
            << QStringList {QStringLiteral("States.Timeout")} << "States.Timeout" << true;
    }

    void errorMatching()
    {
        QFETCH(QStringList, errorEquals);
        QFETCH(QString, error);
        QFETCH(bool, matches);
        QCOMPARE(aslErrorMatches(errorEquals, error), matches);
    }

    void firstMatchingRetrierAndCatcher()
    {
        std::vector<AslRetrier> retry(2);
        retry[0].errorEquals = QStringList {QStringLiteral("States.Timeout")};
        retry[0].maxAttempts = 1;
        retry[1].errorEquals = QStringList {QStringLiteral("States.ALL")};
        QVERIFY(findRetrier(retry, u"States.Timeout") == &retry[0]);
        QVERIFY(findRetrier(retry, u"Boom") == &retry[1]);
        QVERIFY(findRetrier(retry, u"States.Runtime") == nullptr);

        std::vector<AslCatcher> catchers(2);
        catchers[0].errorEquals = QStringList {QStringLiteral("States.TaskFailed")};
        catchers[0].next = QStringLiteral("A");
        catchers[1].errorEquals = QStringList {QStringLiteral("States.ALL")};
        catchers[1].next = QStringLiteral("B");
        QCOMPARE(findCatcher(catchers, u"Boom")->next, QStringLiteral("A"));
        QCOMPARE(findCatcher(catchers, u"States.Timeout")->next, QStringLiteral("B"));
    }

    void retryDelay_data()
    {
        QTest::addColumn<double>("interval");
        QTest::addColumn<double>("backoff");
        QTest::addColumn<int>("maxAttempts");
        QTest::addColumn<double>("maxDelay"); // 0: none
        QTest::addColumn<bool>("jitter");
        QTest::addColumn<int>("attempt");
        QTest::addColumn<double>("expected"); // -1: no more retries

        QTest::newRow("first") << 3.0 << 2.0 << 3 << 0.0 << false << 1 << 3.0;
        QTest::newRow("second") << 3.0 << 2.0 << 3 << 0.0 << false << 2 << 6.0;
        QTest::newRow("third") << 3.0 << 2.0 << 3 << 0.0 << false << 3 << 12.0;
        QTest::newRow("exhausted") << 3.0 << 2.0 << 3 << 0.0 << false << 4 << -1.0;
        QTest::newRow("no retries") << 3.0 << 2.0 << 0 << 0.0 << false << 1 << -1.0;
        QTest::newRow("backoff 1") << 5.0 << 1.0 << 5 << 0.0 << false << 5 << 5.0;
        QTest::newRow("fractional backoff") << 2.0 << 1.5 << 5 << 0.0 << false << 3 << 4.5;
        QTest::newRow("capped") << 3.0 << 2.0 << 10 << 20.0 << false << 5 << 20.0;
        QTest::newRow("under the cap") << 3.0 << 2.0 << 10 << 20.0 << false << 3 << 12.0;
        QTest::newRow("full jitter") << 3.0 << 2.0 << 3 << 0.0 << true << 3 << 3.0;
        QTest::newRow("full jitter capped") << 3.0 << 2.0 << 10 << 20.0 << true << 6 << 5.0;
    }

    void retryDelay()
    {
        QFETCH(double, interval);
        QFETCH(double, backoff);
        QFETCH(int, maxAttempts);
        QFETCH(double, maxDelay);
        QFETCH(bool, jitter);
        QFETCH(int, attempt);
        QFETCH(double, expected);
        AslRetrier r;
        r.intervalSeconds = interval;
        r.backoffRate = backoff;
        r.maxAttempts = maxAttempts;
        if (maxDelay > 0)
            r.maxDelaySeconds = maxDelay;
        r.jitter = jitter ? AslRetrier::Jitter::Full : AslRetrier::Jitter::None;
        const AslRandomSource quarter = [] { return 0.25; };
        const auto delay = aslRetryDelaySeconds(r, attempt, quarter);
        if (expected < 0) {
            QVERIFY(!delay);
            return;
        }
        QVERIFY(delay);
        QCOMPARE(*delay, expected);
    }

    void typeNames()
    {
        QCOMPARE(aslStateTypeName(AslState::Type::Parallel), QStringLiteral("Parallel"));
        QCOMPARE(aslStateTypeName(AslState::Type::Map), QStringLiteral("Map"));
    }
};

QTEST_GUILESS_MAIN(TestAslDefinition)
#include "tst_asldefinition.moc"
