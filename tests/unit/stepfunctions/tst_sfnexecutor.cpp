#include "base/clock.h"
#include "functions/delivery.h"
#include "services/stepfunctions/sfnexecutor.h"
#include "store/store.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace tarmac;

namespace {

// The Dispatcher's place: answers each delivery at once from a script of outcomes per
// function, and records when (on the clock) each came.
class ScriptedSink : public DeliverySink
{
public:
    explicit ScriptedSink(const Clock *clock)
        : m_clock(clock)
    { }
    void submit(Delivery d) override
    {
        calls.append({d.functionName, d.payload, m_clock->nowMs()});
        DeliveryResult r;
        r.delivered = true;
        QList<QByteArray> &script = scripts[d.functionName];
        const QByteArray next
            = script.isEmpty() ? QByteArray(R"({"ok":true})") : script.takeFirst();
        if (next.startsWith("!")) {
            r.functionError = true;
            r.errorType = QString::fromUtf8(next.mid(1));
            r.payload = QByteArray(R"({"errorType":")") + next.mid(1) + R"(","errorMessage":"no"})";
        } else {
            r.payload = next;
        }
        if (later) // as a function answers: on a later turn of the event loop
            QTimer::singleShot(0, [done = d.done, r] { done(r); });
        else
            d.done(r);
    }
    bool later = false;
    Result<void> submitAsync(Delivery) override { return {}; }

    struct Call
    {
        QString function;
        QByteArray payload;
        qint64 atMs;
    };
    QList<Call> calls;
    QHash<QString, QList<QByteArray>> scripts;

private:
    const Clock *m_clock;
};

struct Fixture
{
    static inline const QString kArn
        = QStringLiteral("arn:aws:states:us-east-1:000000000000:express:m:e:1");
    ManualClock clock {1'800'000'000'000'000'000};
    ScriptedSink sink {&clock};
    // A distributed Map's children and Map Runs as the executor reports them.
    QHash<QString, SfnExecution> children;
    QList<SfnMapRun> mapRuns;
    SfnExecutor executor {context()};
    std::optional<SfnExecution> ended;

    SfnExecutor::Context context()
    {
        SfnExecutor::Context c {&clock, nullptr, &sink, nullptr, QUrl(),
            QStringLiteral("us-east-1"), QStringLiteral("000000000000")};
        c.childExecutionChanged = [this](const SfnExecution &e) { children.insert(e.arn, e); };
        c.mapRunChanged = [this](const SfnMapRun &r) { mapRuns.append(r); };
        return c;
    }

    void start(const char *definition, const char *input = "{}")
    {
        SfnMachine m;
        m.arn = QStringLiteral("arn:aws:states:us-east-1:000000000000:stateMachine:m");
        m.name = QStringLiteral("m");
        m.type = QStringLiteral("EXPRESS"); // nothing to store
        m.definition = definition;
        auto parsed = parseAslDefinition(m.definition);
        QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
        SfnExecution e;
        e.arn = kArn;
        e.machineArn = m.arn;
        e.name = QStringLiteral("e");
        e.input = input;
        e.startMs = clock.nowMs();
        executor.start(e, m, std::make_shared<const AslStateMachine>(std::move(*parsed)), false,
            [this](const SfnExecution &done) { ended = done; });
    }
    // Runs the engine thread's queued work (the executor posts every transition).
    void settle()
    {
        for (int i = 0; i < 50; ++i)
            QCoreApplication::processEvents();
    }
};

const char *kRetried = R"({"StartAt": "T", "States": {"T": {"Type": "Task",
    "Resource": "arn:aws:lambda:us-east-1:000000000000:function:f",
    "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 3, "MaxAttempts": 3, "BackoffRate": 2}],
    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
    "End": true},
  "Caught": {"Type": "Pass", "End": true}}})";

// Whether `actual` is the JSON text `expected` (printed when not).
bool sameJson(const QByteArray &actual, const char *expected)
{
    const auto a = parseJson(actual);
    const Json e = Json::parse(expected);
    if (a && *a == e)
        return true;
    qWarning("actual %s, expected %s", actual.constData(), e.dump().c_str());
    return false;
}

} // namespace

// The executor on a manual clock: retry intervals, back-off and catch as the clock moves;
// Wait states; heartbeats; execution timeouts.
class TestSfnExecutor : public QObject
{
    Q_OBJECT

private slots:
    void retriesWaitTheirIntervalOnTheClock()
    {
        Fixture f;
        f.sink.scripts[QStringLiteral("f")] = {"!Busy", "!Busy", R"({"done":1})"};
        f.start(kRetried);
        f.settle();
        QCOMPARE(f.sink.calls.size(), 1);
        f.clock.advanceMs(2999);
        f.settle();
        QCOMPARE(f.sink.calls.size(), 1); // IntervalSeconds 3: not yet
        f.clock.advanceMs(1);
        f.settle();
        QCOMPARE(f.sink.calls.size(), 2);
        f.clock.advanceMs(5999);
        f.settle();
        QCOMPARE(f.sink.calls.size(), 2); // BackoffRate 2: 6 s the second time
        f.clock.advanceMs(1);
        f.settle();
        QCOMPARE(f.sink.calls.size(), 3);
        QVERIFY(f.ended);
        QCOMPARE(f.ended->status, QStringLiteral("SUCCEEDED"));
        QCOMPARE(f.ended->output, QByteArray(R"({"done":1})"));
        QCOMPARE(f.sink.calls[1].atMs - f.sink.calls[0].atMs, 3000);
        QCOMPARE(f.sink.calls[2].atMs - f.sink.calls[1].atMs, 6000);
    }

    void spentRetriesGoToTheCatcher()
    {
        Fixture f;
        f.sink.scripts[QStringLiteral("f")] = {"!Busy", "!Busy", "!Busy", "!Busy"};
        f.start(kRetried, R"({"n":1})");
        for (int i = 0; i < 4; ++i) {
            f.settle();
            f.clock.advanceMs(60'000);
        }
        f.settle();
        QCOMPARE(f.sink.calls.size(), 4); // the first attempt and MaxAttempts 3 retries
        QVERIFY(f.ended);
        QCOMPARE(f.ended->status, QStringLiteral("SUCCEEDED"));
        const Json out = *parseJson(f.ended->output);
        QCOMPARE(QByteArray::fromStdString(out["error"]["Error"].get<std::string>()), "Busy");
        QCOMPARE(out["n"].get<int>(), 1);
    }

    void otherErrorsAreNotRetried()
    {
        Fixture f;
        f.sink.scripts[QStringLiteral("f")] = {"!KeyError"};
        f.start(kRetried);
        f.settle();
        QCOMPARE(f.sink.calls.size(), 1);
        QVERIFY(f.ended); // caught by States.ALL at once
        QVERIFY(f.ended->output.contains("KeyError"));
    }

    void waitStatesHoldUntilTheClockPassesThem()
    {
        Fixture f;
        f.start(R"({"StartAt": "W", "States": {
            "W": {"Type": "Wait", "SecondsPath": "$.s", "Next": "P"},
            "P": {"Type": "Pass", "Result": "woke", "End": true}}})",
            R"({"s": 3600})");
        f.settle();
        f.clock.advanceMs(3'599'000);
        f.settle();
        QVERIFY(!f.ended);
        const auto busy = f.executor.busy(true);
        QCOMPARE(busy.size(), 1); // waiting on the clock: settle waits while it runs
        QVERIFY(f.executor.busy(false).isEmpty()); // …and not while it is frozen
        f.clock.advanceMs(1000);
        f.settle();
        QVERIFY(f.ended);
        QCOMPARE(f.ended->output, QByteArray(R"("woke")"));
    }

    void executionTimeoutEndsItTimedOut()
    {
        Fixture f;
        f.start(R"({"StartAt": "W", "TimeoutSeconds": 10, "States": {
            "W": {"Type": "Wait", "Seconds": 60, "End": true}}})");
        f.settle();
        f.clock.advanceMs(10'000);
        f.settle();
        QVERIFY(f.ended);
        QCOMPARE(f.ended->status, QStringLiteral("TIMED_OUT"));
        QCOMPARE(f.ended->error, QStringLiteral("States.Timeout"));
    }

    void heartbeatTimesATokenTaskOut()
    {
        Fixture f;
        f.start(R"({"StartAt": "T", "States": {"T": {"Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "HeartbeatSeconds": 5,
            "Parameters": {"FunctionName": "f", "Payload": {"token.$": "$$.Task.Token"}},
            "End": true}}})");
        f.settle();
        QCOMPARE(f.sink.calls.size(), 1);
        const QString token = QString::fromStdString(
            (*parseJson(f.sink.calls[0].payload))["token"].get<std::string>());
        QVERIFY(!token.isEmpty());
        f.clock.advanceMs(4000);
        f.settle();
        QVERIFY(f.executor.sendTaskHeartbeat(token)); // 5 s from now again
        f.clock.advanceMs(4000);
        f.settle();
        QVERIFY(!f.ended);
        f.clock.advanceMs(1000);
        f.settle();
        QVERIFY(f.ended);
        QCOMPARE(f.ended->error, QStringLiteral("States.HeartbeatTimeout"));
        QVERIFY(!f.executor.sendTaskSuccess(token, Json::object())); // used up
    }

    // TimeoutSecondsPath and HeartbeatSecondsPath read the input; JSONata's HeartbeatSeconds
    // is an expression; a value that is not a positive integer fails the state.
    void timeoutsFromTheInput()
    {
        const char *token = R"({"StartAt": "T", "States": {"T": {"Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "HeartbeatSecondsPath": "$.beat", "TimeoutSecondsPath": "$.limit",
            "Parameters": {"FunctionName": "f", "Payload": {"token.$": "$$.Task.Token"}},
            "End": true}}})";
        {
            Fixture f;
            f.start(token, R"({"beat": 3, "limit": 100})");
            f.settle();
            f.clock.advanceMs(2999);
            f.settle();
            QVERIFY(!f.ended);
            f.clock.advanceMs(1);
            f.settle();
            QVERIFY(f.ended);
            QCOMPARE(f.ended->error, QStringLiteral("States.HeartbeatTimeout"));
        }
        {
            Fixture f;
            f.start(token, R"({"beat": 50, "limit": 7})");
            f.settle();
            f.clock.advanceMs(7000);
            f.settle();
            QVERIFY(f.ended);
            QCOMPARE(f.ended->error, QStringLiteral("States.Timeout"));
        }
        {
            Fixture f;
            f.start(token, R"({"beat": "soon", "limit": 7})");
            f.settle();
            QVERIFY(f.ended);
            QCOMPARE(f.ended->error, QStringLiteral("States.Runtime"));
            QVERIFY2(f.ended->cause.contains(QLatin1String("HeartbeatSecondsPath")),
                qPrintable(f.ended->cause));
            QCOMPARE(f.sink.calls.size(), 0);
        }
        {
            Fixture f;
            f.start(R"({"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "HeartbeatSeconds": "{% $states.input.beat * 2 %}",
                "Arguments": {"FunctionName": "f",
                              "Payload": {"token": "{% $states.context.Task.Token %}"}},
                "End": true}}})",
                R"({"beat": 2})");
            f.settle();
            QCOMPARE(f.sink.calls.size(), 1);
            f.clock.advanceMs(3999);
            f.settle();
            QVERIFY(!f.ended);
            f.clock.advanceMs(1);
            f.settle();
            QVERIFY(f.ended);
            QCOMPARE(f.ended->error, QStringLiteral("States.HeartbeatTimeout"));
        }
    }

    // ToleratedFailureCountPath (JSONPath) and a ToleratedFailurePercentage expression
    // (JSONata): failed iterations within the threshold leave the Map succeeding.
    void toleratedFailuresFromTheInput()
    {
        const char *map = R"({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ToleratedFailureCountPath": "$.ok", "ItemsPath": "$.items",
            "ItemProcessor": {"StartAt": "F", "States": {"F": {"Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:000000000000:function:f", "End": true}}}}}})";
        {
            Fixture f;
            f.sink.scripts[QStringLiteral("f")] = {"!Bad", R"({"v":1})", "!Bad"};
            f.start(map, R"({"ok": 2, "items": [1, 2, 3]})");
            f.settle();
            QVERIFY(f.ended);
            QCOMPARE(f.ended->status, QStringLiteral("SUCCEEDED"));
        }
        {
            Fixture f;
            f.sink.scripts[QStringLiteral("f")] = {"!Bad", R"({"v":1})", "!Bad"};
            f.start(map, R"({"ok": 1, "items": [1, 2, 3]})");
            f.settle();
            QVERIFY(f.ended);
            QCOMPARE(f.ended->error, QStringLiteral("States.ExceedToleratedFailureThreshold"));
        }
        {
            Fixture f;
            f.sink.scripts[QStringLiteral("f")] = {"!Bad", R"({"v":1})", R"({"v":2})", "!Bad"};
            f.start(R"({"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {
                "Type": "Map", "End": true, "Items": "{% $states.input.items %}",
                "ToleratedFailurePercentage": "{% $states.input.pct %}",
                "ItemProcessor": {"StartAt": "F", "States": {"F": {"Type": "Task",
                    "Resource": "arn:aws:lambda:us-east-1:000000000000:function:f",
                    "End": true}}}}}})",
                R"({"pct": 50, "items": [1, 2, 3, 4]})");
            f.settle();
            QVERIFY(f.ended);
            QCOMPARE(f.ended->status, QStringLiteral("SUCCEEDED"));
        }
    }

    // JSONata states (through the reference implementation): Arguments, Output, Assign and
    // variables across states, Choice Conditions, Map Items and ItemSelector, Parallel
    // Arguments, a Wait whose Seconds is an expression, and a Fail's Error from one.
    void jsonataStatesTransformAndAssign()
    {
        Fixture f;
        f.sink.scripts[QStringLiteral("price")] = {R"({"price": 12})"};
        f.start(R"({"QueryLanguage": "JSONata", "StartAt": "Init", "States": {
  "Init": {"Type": "Pass", "Assign": {"symbol": "{% $states.input.symbol %}", "limit": 10},
           "Output": {"n": "{% $count($states.input.lots) %}", "lots": "{% $states.input.lots %}"},
           "Next": "Price"},
  "Price": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Arguments": {"FunctionName": "price", "Payload": {"symbol": "{% $symbol %}"}},
            "Output": "{% $merge([$states.input, {'price': $states.result.Payload.price}]) %}",
            "Assign": {"paid": "{% $states.result.Payload.price * $limit %}"},
            "Next": "Expensive?"},
  "Expensive?": {"Type": "Choice", "Choices": [
      {"Condition": "{% $states.input.price > $limit %}", "Next": "Split",
       "Assign": {"verdict": "expensive"}}],
      "Default": "Split", "Assign": {"verdict": "cheap"}},
  "Split": {"Type": "Map", "Items": "{% $states.input.lots %}",
            "ItemSelector": {"lot": "{% $states.context.Map.Item.Value %}",
                             "at": "{% $states.context.Map.Item.Index %}"},
            "ItemProcessor": {"StartAt": "Each", "States": {
                "Each": {"Type": "Pass", "Output": "{% $states.input.lot * $limit + $states.input.at %}",
                         "End": true}}},
            "Assign": {"lots": "{% $states.result %}"},
            "Next": "Both"},
  "Both": {"Type": "Parallel", "Arguments": {"total": "{% $sum($states.input) %}"},
           "Branches": [
             {"StartAt": "A", "States": {"A": {"Type": "Pass", "Output": "{% $states.input.total %}", "End": true}}},
             {"StartAt": "B", "States": {"B": {"Type": "Pass", "Output": "{% $verdict %}", "End": true}}}],
           "Next": "Nap"},
  "Nap": {"Type": "Wait", "Seconds": "{% $states.input[0] %}", "Next": "Done"},
  "Done": {"Type": "Succeed", "Output": {"symbol": "{% $symbol %}", "paid": "{% $paid %}",
           "lots": "{% $lots %}", "both": "{% $states.input %}", "verdict": "{% $verdict %}"}}}})",
            R"({"symbol": "ACME", "lots": [1, 2, 3]})");
        f.settle();
        QCOMPARE(f.sink.calls.size(), 1);
        QVERIFY(sameJson(f.sink.calls[0].payload, R"({"symbol": "ACME"})"));
        QVERIFY(!f.ended); // the Wait: 10 + 21 + 32 = 63 seconds
        f.clock.advanceMs(62'000);
        f.settle();
        QVERIFY(!f.ended);
        f.clock.advanceMs(1'000);
        f.settle();
        QVERIFY(f.ended);
        QCOMPARE(f.ended->status, QStringLiteral("SUCCEEDED"));
        QVERIFY(sameJson(f.ended->output, R"({"symbol": "ACME", "paid": 120,
            "lots": [10, 21, 32], "both": [63, "expensive"], "verdict": "expensive"})"));
    }

    // A JSONata Catch: Output from $states.errorOutput, Assign; an expression that gives
    // nothing is States.QueryEvaluationError, which a catcher can take too.
    void jsonataCatchAndQueryErrors()
    {
        Fixture f;
        f.sink.scripts[QStringLiteral("f")] = {"!Boom"};
        f.start(R"({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
  "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:f",
        "Catch": [{"ErrorEquals": ["Boom"], "Next": "Missing",
                   "Output": {"caught": "{% $states.errorOutput.Error %}", "was": "{% $states.input %}"},
                   "Assign": {"why": "{% $states.errorOutput.Cause %}"}}],
        "End": true},
  "Missing": {"Type": "Pass", "Output": "{% $states.input.nothing.here %}", "End": true,
              "Comment": "gives undefined"}}})",
            R"({"a": 1})");
        f.settle();
        QVERIFY(f.ended);
        QVERIFY2(f.ended->status == QLatin1String("FAILED"), f.ended->output.constData());
        QCOMPARE(f.ended->error, QStringLiteral("States.QueryEvaluationError"));
        QVERIFY2(f.ended->cause.contains(QLatin1String("returned nothing (undefined)"))
                && f.ended->cause.contains(QLatin1String("'Output'"))
                && f.ended->cause.contains(QLatin1String("'Missing'")),
            qPrintable(f.ended->cause));

        Fixture g;
        g.sink.scripts[QStringLiteral("f")] = {"!Boom"};
        g.start(R"({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
  "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:f",
        "Catch": [{"ErrorEquals": ["Boom"], "Next": "Report",
                   "Output": {"caught": "{% $states.errorOutput.Error %}", "was": "{% $states.input %}"},
                   "Assign": {"why": "{% $states.errorOutput.Error & '!' %}"}}],
        "End": true},
  "Report": {"Type": "Fail", "Error": "{% $why %}", "Cause": "{% $string($states.input) %}"}}})",
            R"({"a": 1})");
        g.settle();
        QVERIFY(g.ended);
        QCOMPARE(g.ended->status, QStringLiteral("FAILED"));
        QCOMPARE(g.ended->error, QStringLiteral("Boom!"));
        QVERIFY(sameJson(g.ended->cause.toUtf8(), R"({"caught": "Boom", "was": {"a": 1}})"));
    }

    // Variables set by a JSONPath state's Assign (`.$` paths on its result) are read by a
    // later JSONata state, and by JSONPath paths, intrinsics and Choice rules as $name.
    void jsonPathAssignFeedsJsonata()
    {
        Fixture f;
        f.start(R"asl({"StartAt": "P", "States": {
  "P": {"Type": "Pass", "Parameters": {"v.$": "$.x"}, "Assign": {"seen.$": "$.v", "fixed": 7},
        "Next": "Q"},
  "Q": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% [$seen, $fixed] %}",
        "Next": "R"},
  "R": {"Type": "Pass", "Parameters": {"both.$": "$", "seen.$": "$seen",
        "again.$": "States.Format('{} {}', $seen, $fixed)"}, "Next": "S"},
  "S": {"Type": "Choice", "Choices": [{"Variable": "$fixed", "NumericEquals": 7, "Next": "T"}]},
  "T": {"Type": "Pass", "Parameters": {"missing.$": "$nothing"}, "End": true}}})asl",
            R"({"x": "hi"})");
        f.settle();
        QVERIFY(f.ended);
        // JSONPath reads them as $name; one never assigned selects nothing.
        QCOMPARE(f.ended->status, QStringLiteral("FAILED"));
        QCOMPARE(f.ended->error, QStringLiteral("States.Runtime"));
        QVERIFY2(f.ended->cause.contains(QLatin1String("$nothing")), qPrintable(f.ended->cause));
        const SfnExecution &e = *f.ended;
        QVERIFY(e.cause.size() > 0);
        const auto history = f.executor.history(e.arn);
        QVERIFY(history);
        QByteArray rOutput;
        for (const SfnHistoryEvent &h : *history) {
            if (h.type == QLatin1String("PassStateExited")
                && h.details["stateExitedEventDetails"]["name"] == "R")
                rOutput = QByteArray::fromStdString(
                    h.details["stateExitedEventDetails"]["output"].get<std::string>());
        }
        QVERIFY(sameJson(rOutput, R"({"both": ["hi", 7], "seen": "hi", "again": "hi 7"})"));
    }

    // AWS: a variable can be read by any JSONPath field but ResultPath; a Task's OutputPath
    // and Assign read the variables as the state found them, once its function answers.
    void variablesInPathFields()
    {
        Fixture f;
        f.sink.later = true;
        f.sink.scripts[QStringLiteral("f")] = {R"({"n": 5})"};
        f.start(R"asl({"StartAt": "P", "States": {
  "P": {"Type": "Pass", "Assign": {"order": {"id": "o-1", "items": [1, 2, 3]}, "k": 2,
        "list": [7, 8]},
        "Next": "In"},
  "In": {"Type": "Pass", "InputPath": "$order", "Next": "T"},
  "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:f",
        "Assign": {"got.$": "$.n", "k2.$": "$k"}, "OutputPath": "$order", "Next": "M"},
  "M": {"Type": "Map", "ItemsPath": "$list",
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
        "ResultPath": "$.mapped", "Next": "Last"},
  "Last": {"Type": "Pass", "Parameters": {"in.$": "$", "got.$": "$got", "k2.$": "$k2"},
           "End": true}}})asl");
        f.settle();
        QVERIFY(f.ended);
        QVERIFY2(f.ended->status == QLatin1String("SUCCEEDED"),
            qPrintable(f.ended->error + u' ' + f.ended->cause));
        QCOMPARE(f.sink.calls.size(), 1);
        QVERIFY(sameJson(f.sink.calls.first().payload, R"({"id": "o-1", "items": [1, 2, 3]})"));
        // T's output is the variable $order; M maps the variable $list into it.
        QVERIFY(sameJson(f.ended->output,
            R"({"in": {"id": "o-1", "items": [1, 2, 3], "mapped": [7, 8]}, "got": 5, "k2": 2})"));
    }

    // A distributed Map: each item a child execution of the ItemProcessor (its own ARN,
    // name, history and end), counted by its Map Run; UpdateMapRun's MaxConcurrency lets more
    // run at once.
    void distributedMapRunsChildExecutions()
    {
        Fixture f;
        f.start(R"({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "Label": "Each", "MaxConcurrency": 1, "ItemsPath": "$.items",
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED",
                "ExecutionType": "EXPRESS"}, "StartAt": "W", "States": {
                "W": {"Type": "Wait", "Seconds": 10, "Next": "P"},
                "P": {"Type": "Pass", "Parameters": {"v.$": "$", "id.$": "$$.Execution.Id"},
                      "End": true}}}}}})",
            R"({"items": [1, 2, 3, 4]})");
        f.settle();
        QCOMPARE(f.mapRuns.size(), 1);
        const QString runArn = f.mapRuns.first().arn;
        QVERIFY2(runArn.startsWith(
                     QLatin1String("arn:aws:states:us-east-1:000000000000:mapRun:m/Each:")),
            qPrintable(runArn));
        QCOMPARE(f.children.size(), 1); // MaxConcurrency 1
        auto run = f.executor.mapRun(runArn);
        QVERIFY(run);
        QCOMPARE(run->executions.running, 1);
        QCOMPARE(run->executions.pending, 3);
        QCOMPARE(run->executions.total, 4);
        QCOMPARE(run->maxConcurrency, 1);
        // UpdateMapRun: the rest start now.
        QVERIFY(f.executor.updateMapRun(runArn, 3, std::nullopt, std::nullopt));
        f.settle();
        QCOMPARE(f.children.size(), 3);
        QCOMPARE(f.executor.mapRun(runArn)->executions.running, 3);
        QCOMPARE(f.executor.mapRun(runArn)->maxConcurrency, 3);
        for (const SfnExecution &c : std::as_const(f.children)) {
            QCOMPARE(c.mapRunArn, runArn);
            QCOMPARE(c.machineArn,
                QStringLiteral("arn:aws:states:us-east-1:000000000000:stateMachine:m/Each"));
            QCOMPARE(c.arn,
                QStringLiteral("arn:aws:states:us-east-1:000000000000:execution:m/Each:") + c.name);
            QCOMPARE(c.status, QStringLiteral("RUNNING"));
            QVERIFY(f.executor.running(c.arn)); // an execution of its own
        }
        for (int i = 0; i < 3; ++i) {
            f.clock.advanceMs(10'000);
            f.settle();
        }
        QVERIFY(f.ended);
        QVERIFY2(f.ended->status == QLatin1String("SUCCEEDED"), qPrintable(f.ended->cause));
        const Json out = *parseJson(f.ended->output);
        QCOMPARE(out.size(), size_t(4));
        for (size_t i = 0; i < 4; ++i) {
            QCOMPARE(out[i]["v"].get<int>(), int(i + 1));
            // $$.Execution.Id in a child is the child's own ARN.
            const QString id = QString::fromStdString(out[i]["id"].get<std::string>());
            QVERIFY(f.children.contains(id));
            QCOMPARE(f.children[id].status, QStringLiteral("SUCCEEDED"));
            const auto h = f.executor.history(id); // EXPRESS children: kept in memory
            QVERIFY(h && !h->isEmpty());
            QCOMPARE(h->first().type, QStringLiteral("ExecutionStarted"));
            QCOMPARE(h->last().type, QStringLiteral("ExecutionSucceeded"));
        }
        QVERIFY(!f.executor.mapRun(runArn)); // ended
        const SfnMapRun &last = f.mapRuns.last();
        QCOMPARE(last.status, QStringLiteral("SUCCEEDED"));
        QCOMPARE(last.executions.succeeded, 4);
        QCOMPARE(last.executions.running + last.executions.pending, 0);
        QCOMPARE(last.items.succeeded, 4);
        QVERIFY(last.stopMs >= last.startMs);
        // The parent's history: the Map Run's events, not its children's.
        QStringList types;
        const auto parentHistory = f.executor.history(Fixture::kArn);
        QVERIFY(parentHistory);
        for (const SfnHistoryEvent &h : *parentHistory)
            types.append(h.type);
        QVERIFY(types.contains(QStringLiteral("MapRunStarted")));
        QVERIFY(types.contains(QStringLiteral("MapRunSucceeded")));
        QVERIFY(!types.contains(QStringLiteral("MapIterationStarted")));
    }

    // A child that fails past the tolerated count fails the Map: its Map Run FAILED, the
    // children still running ABORTED.
    void distributedMapFailureAbortsTheOtherChildren()
    {
        Fixture f;
        f.start(R"({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ToleratedFailureCount": 1,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "C",
              "States": {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 0,
                    "Next": "W"}], "Default": "F"},
                "W": {"Type": "Wait", "Seconds": 10, "End": true},
                "F": {"Type": "Fail", "Error": "Bad", "Cause": "item"}}}}}})",
            "[0, 1, 0, 2]");
        f.settle();
        QVERIFY(f.ended);
        QCOMPARE(f.ended->status, QStringLiteral("FAILED"));
        QCOMPARE(f.ended->error, QStringLiteral("States.ExceedToleratedFailureThreshold"));
        const SfnMapRun &last = f.mapRuns.last();
        QCOMPARE(last.status, QStringLiteral("FAILED"));
        QCOMPARE(last.executions.failed, 2);
        QCOMPARE(last.executions.aborted, 2); // the two waiting ones
        QCOMPARE(last.executions.running, 0);
        QCOMPARE(last.toleratedFailureCount, 1);
        int aborted = 0;
        for (const SfnExecution &c : std::as_const(f.children)) {
            QVERIFY(!f.executor.running(c.arn));
            aborted += c.status == QLatin1String("ABORTED");
        }
        QCOMPARE(aborted, 2);
    }

    // StopExecution of the parent while its distributed Map runs: the Map Run ends ABORTED,
    // then every child still running (express ones end at once), and the parent's history
    // ends with its own abort, nothing of the Map after it.
    void stoppingTheParentAbortsItsMapRunAndChildren()
    {
        Fixture f;
        f.start(R"({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED",
                "ExecutionType": "EXPRESS"}, "StartAt": "W", "States": {
                "W": {"Type": "Wait", "Seconds": 10, "End": true}}}}}})",
            "[1, 2, 3]");
        f.settle();
        QCOMPARE(f.children.size(), 3);
        QVERIFY(f.executor.stop(Fixture::kArn, QStringLiteral("Stop"), QStringLiteral("asked")));
        f.settle();
        QVERIFY(f.ended);
        QCOMPARE(f.ended->status, QStringLiteral("ABORTED"));
        for (const SfnExecution &c : std::as_const(f.children))
            QCOMPARE(c.status, QStringLiteral("ABORTED"));
        const SfnMapRun &last = f.mapRuns.last();
        QCOMPARE(last.status, QStringLiteral("ABORTED"));
        QCOMPARE(last.executions.aborted, 3);
        QCOMPARE(last.executions.running, 0);
        const auto h = f.executor.history(Fixture::kArn);
        QVERIFY(h);
        QStringList types;
        for (const SfnHistoryEvent &x : *h)
            types.append(x.type);
        QCOMPARE(types.last(), QStringLiteral("ExecutionAborted"));
        QCOMPARE(types.at(types.size() - 2), QStringLiteral("MapRunAborted"));
        QVERIFY(!types.contains(QStringLiteral("MapStateFailed")));
        f.clock.advanceMs(10'000); // the children's timers are gone: nothing more happens
        f.settle();
        QCOMPARE(f.executor.history(Fixture::kArn)->size(), h->size());
    }

    // An ItemSelector that fails on a later item fails the Map: the children it had started
    // end ABORTED with the Map Run FAILED.
    void distributedSelectorFailureAbortsStartedChildren()
    {
        Fixture f;
        f.start(R"({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemSelector": {"v.$": "$$.Map.Item.Value.x"},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "W",
              "States": {"W": {"Type": "Wait", "Seconds": 10, "End": true}}}}}})",
            R"([{"x": 1}, {"y": 2}])");
        f.settle();
        QVERIFY(f.ended);
        QCOMPARE(f.ended->status, QStringLiteral("FAILED"));
        QCOMPARE(f.ended->error, QStringLiteral("States.Runtime"));
        QCOMPARE(f.children.size(), 1);
        QCOMPARE(f.children.begin()->status, QStringLiteral("ABORTED"));
        QCOMPARE(f.mapRuns.last().status, QStringLiteral("FAILED"));
        QCOMPARE(f.mapRuns.last().executions.aborted, 1);
    }

    // A standard execution stopped inside a distributed Map goes on with the same Map Run:
    // the child that was waiting resumes where it was, none runs twice, and the Map Run ends
    // with every child counted.
    void resumeADistributedMapWithItsChildren()
    {
        QTemporaryDir dir;
        auto opened = Store::open(dir.path());
        QVERIFY(opened);
        SfnStore store(opened->get());
        QVERIFY(store.open());
        ManualClock clock {1'800'000'000'000'000'000};
        ScriptedSink sink {&clock};
        SfnMachine m;
        m.arn = QStringLiteral("arn:aws:states:us-east-1:000000000000:stateMachine:m");
        m.name = QStringLiteral("m");
        m.definition = R"asl({"StartAt": "M", "States": {
  "M": {"Type": "Map", "MaxConcurrency": 1, "End": true, "ItemProcessor": {
    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
    "StartAt": "I1", "States": {
      "I1": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:i",
             "ResultPath": null, "Next": "I2"},
      "I2": {"Type": "Wait", "Seconds": 3600, "End": true}}}}}})asl";
        auto parsed = parseAslDefinition(m.definition);
        QVERIFY(parsed);
        const auto machine = std::make_shared<const AslStateMachine>(std::move(*parsed));
        const SfnExecutor::Context context {&clock, nullptr, &sink, &store, QUrl(),
            QStringLiteral("us-east-1"), QStringLiteral("000000000000")};
        const auto settle = [] {
            for (int i = 0; i < 50; ++i)
                QCoreApplication::processEvents();
        };
        const QString arn = QStringLiteral("arn:aws:states:us-east-1:000000000000:execution:m:e");
        std::optional<SfnExecution> ended;
        QString runArn;
        {
            SfnExecutor first(context);
            SfnExecution e;
            e.arn = arn;
            e.machineArn = m.arn;
            e.name = QStringLiteral("e");
            e.input = "[1, 2, 3]";
            e.startMs = clock.nowMs();
            QVERIFY(store.saveExecution(e));
            first.start(e, m, machine, false, [&ended](const SfnExecution &x) { ended = x; });
            settle();
            QCOMPARE(sink.calls.size(), 1); // the first child waits in I2
            auto runs = store.mapRuns();
            QVERIFY(runs && runs->size() == 1);
            runArn = runs->first().arn;
            first.flushAll();
        } // Tarmac stops
        {
            auto stored = store.executions();
            QVERIFY(stored);
            QCOMPARE(stored->size(), 2); // the parent and its first child, both RUNNING
            for (const SfnExecution &x : *stored)
                QCOMPARE(x.status, QStringLiteral("RUNNING"));
        }
        SfnExecutor second(context);
        auto parent = store.execution(arn);
        QVERIFY(parent && *parent);
        second.start(**parent, m, machine, true, [&ended](const SfnExecution &x) { ended = x; });
        settle();
        QCOMPARE(sink.calls.size(), 1); // not again: the child goes on in I2
        for (int i = 0; i < 3; ++i) {
            clock.advanceMs(3'600'000);
            settle();
            second.flushAll();
            settle();
        }
        second.flushAll(); // the parent's end is told once it is saved
        QVERIFY(ended);
        QVERIFY2(ended->status == QLatin1String("SUCCEEDED"), qPrintable(ended->cause));
        QVERIFY(sameJson(ended->output, "[1, 2, 3]"));
        QCOMPARE(sink.calls.size(), 3);
        auto runs = store.mapRuns();
        QVERIFY(runs && runs->size() == 1);
        QCOMPARE(runs->first().arn, runArn); // the same Map Run
        QCOMPARE(runs->first().status, QStringLiteral("SUCCEEDED"));
        QCOMPARE(runs->first().executions.succeeded, 3);
        auto all = store.executions();
        QVERIFY(all);
        QCOMPARE(all->size(), 4);
        for (const SfnExecution &x : *all) {
            QCOMPARE(x.status, QStringLiteral("SUCCEEDED"));
            QCOMPARE(x.mapRunArn, x.arn == arn ? QString() : runArn);
        }
    }

    // A standard execution stopped inside a Parallel or a Map (Tarmac killed) resumes inside
    // it: a branch or iteration that had ended is not run again, one that was running goes on
    // from the state it was in, and the others start.
    void resumeInsideParallelAndMap()
    {
        QTemporaryDir dir;
        auto opened = Store::open(dir.path());
        QVERIFY(opened);
        SfnStore store(opened->get());
        QVERIFY(store.open());
        ManualClock clock {1'800'000'000'000'000'000};
        ScriptedSink sink {&clock};
        SfnMachine m;
        m.arn = QStringLiteral("arn:aws:states:us-east-1:000000000000:stateMachine:m");
        m.name = QStringLiteral("m");
        m.definition = R"asl({"StartAt": "Par", "States": {
  "Par": {"Type": "Parallel", "Next": "M", "Branches": [
    {"StartAt": "A1", "States": {
      "A1": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:a",
             "End": true}}},
    {"StartAt": "B1", "States": {
      "B1": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:b",
             "Next": "B2"},
      "B2": {"Type": "Wait", "Seconds": 3600, "Next": "B3"},
      "B3": {"Type": "Pass", "Result": [1, 2, 3], "End": true}}}]},
  "M": {"Type": "Map", "ItemsPath": "$[1]", "MaxConcurrency": 1, "ItemProcessor": {
    "StartAt": "I1", "States": {
      "I1": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:i",
             "ResultPath": null, "Next": "I2"},
      "I2": {"Type": "Wait", "Seconds": 3600, "End": true}}}, "End": true}}})asl";
        auto parsed = parseAslDefinition(m.definition);
        QVERIFY(parsed);
        const auto machine = std::make_shared<const AslStateMachine>(std::move(*parsed));
        const SfnExecutor::Context context {&clock, nullptr, &sink, &store, QUrl(),
            QStringLiteral("us-east-1"), QStringLiteral("000000000000")};
        const auto calls = [&sink](const char *function) {
            return std::count_if(
                sink.calls.cbegin(), sink.calls.cend(), [function](const ScriptedSink::Call &c) {
                    return c.function == QLatin1String(function);
                });
        };
        const auto settle = [] {
            for (int i = 0; i < 50; ++i)
                QCoreApplication::processEvents();
        };
        std::optional<SfnExecution> ended;
        // Runs the stored execution again, as a restarted Tarmac does.
        const auto resume = [&](SfnExecutor &executor) {
            auto stored = store.executions();
            QVERIFY(stored && stored->size() == 1);
            QCOMPARE(stored->first().status, QStringLiteral("RUNNING"));
            executor.start(
                stored->first(), m, machine, true, [&ended](const SfnExecution &e) { ended = e; });
        };
        {
            SfnExecutor first(context);
            SfnExecution e;
            e.arn = QStringLiteral("arn:aws:states:us-east-1:000000000000:execution:m:e");
            e.machineArn = m.arn;
            e.name = QStringLiteral("e");
            e.input = "{}";
            e.startMs = clock.nowMs();
            QVERIFY(store.saveExecution(e));
            first.start(e, m, machine, false, [&ended](const SfnExecution &x) { ended = x; });
            settle();
            QCOMPARE(calls("a"), 1); // branch A ended; branch B waits in B2
            QCOMPARE(calls("b"), 1);
            first.flushAll();
        } // Tarmac stops in the Parallel
        {
            SfnExecutor second(context);
            resume(second);
            settle();
            QCOMPARE(calls("a"), 1); // not again: its branch had ended
            QCOMPARE(calls("b"), 1); // not again: its branch goes on in B2
            clock.advanceMs(3'600'000);
            settle();
            QCOMPARE(calls("i"), 1); // the Map's first iteration waits in I2
            second.flushAll();
        } // …and in the Map
        SfnExecutor third(context);
        resume(third);
        settle();
        QCOMPARE(calls("i"), 1);
        for (int i = 0; i < 3; ++i) {
            clock.advanceMs(3'600'000);
            settle();
        }
        third.flushAll(); // a standard execution's end is told once it is saved
        QVERIFY(ended);
        QVERIFY2(ended->status == QLatin1String("SUCCEEDED"), qPrintable(ended->cause));
        QCOMPARE(calls("i"), 3); // iterations 1 and 2 ran once each, iteration 0 was not rerun
        QVERIFY(sameJson(ended->output, "[1, 2, 3]")); // iteration 0 went on with its own input
        QCOMPARE(calls("a"), 1);
        QCOMPARE(calls("b"), 1);
    }
};

QTEST_GUILESS_MAIN(TestSfnExecutor)
#include "tst_sfnexecutor.moc"
