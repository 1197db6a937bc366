#pragma once

#include "base/busy.h"
#include "base/clock.h"
#include "base/json.h"
#include "services/stepfunctions/asldefinition.h"
#include "services/stepfunctions/aslitemio.h"
#include "services/stepfunctions/sfnstore.h"
#include "trace/span.h"

#include <QHash>
#include <QObject>
#include <QUrl>

#include <functional>
#include <memory>

class QNetworkAccessManager;
class QUrlQuery;

namespace tarmac {

class DeliverySink;
class JsonataEvaluator;
class Tracer;

// Runs executions of state machines (Amazon States Language, JSONPath and JSONata
// (jsonata.h), workflow variables), on the engine's thread: every state in order, its input
// and output processed as Step Functions does (aslpath.h), Task states through the Dispatcher
// (Lambda functions, plain ARN or `arn:aws:states:::lambda:invoke`, `.waitForTaskToken`) or
// through the edge port as a client (the optimized SQS, SNS, DynamoDB, EventBridge and Step
// Functions integrations and `aws-sdk:SERVICE:ACTION`), Choice, Wait (on the engine's clock,
// so a frozen clock holds it and an advance passes it), Succeed, Fail, Parallel, Map (inline,
// and distributed: items an ItemReader reads from S3, an ItemBatcher's batches, a
// ResultWriter's files; aslitemio.h), Retry and Catch with AWS's error names, TimeoutSeconds
// and HeartbeatSeconds. Each state is a span on the execution's trace and events in its
// history (GetExecutionHistory's types and fields). A standard execution's progress (history
// and its checkpoint: the top-level state it is in, that state's input, the variables) is
// saved a few milliseconds after it is made, with every other execution's in one
// transaction, so that one running when Tarmac was killed resumes from the state it was in;
// its end is reported once it is saved.
class SfnExecutor : public QObject
{
    Q_OBJECT
public:
    struct Context
    {
        Clock *clock = nullptr;
        Tracer *tracer = nullptr;
        DeliverySink *deliveries = nullptr;
        SfnStore *store = nullptr;
        QUrl edgeUrl;
        QString region;
        QString accountId;
        // A distributed Map's child execution started or ended, and a Map Run started, ended
        // or was updated (the module keeps them for DescribeExecution, ListExecutions and
        // DescribeMapRun).
        std::function<void(const SfnExecution &)> childExecutionChanged;
        std::function<void(const SfnMapRun &)> mapRunChanged;
    };
    explicit SfnExecutor(Context context, QObject *parent = nullptr);
    ~SfnExecutor() override;

    using Finished = std::function<void(const SfnExecution &execution)>;
    // Starts `execution` (RUNNING, its input set) of `machine`; `resume`: it was running when
    // Tarmac stopped, and goes on from its checkpoint. `finished` when it ends.
    void start(SfnExecution execution, const SfnMachine &machine,
        std::shared_ptr<const AslStateMachine> parsed, bool resume, Finished finished);
    // StopExecution: the execution ends ABORTED. False when it is not running.
    bool stop(const QString &executionArn, const QString &error, const QString &cause);
    // Ends every execution's work without changing its state (Tarmac stops: standard ones
    // resume at the next start).
    void stopAll();
    // Writes every running execution's history events and checkpoint not written yet.
    void flushAll();
    // A state machine that uses JSONata is there: its evaluator starts loading now.
    void prepareJsonata();
    // A running execution as it stands, or nullopt.
    std::optional<SfnExecution> running(const QString &executionArn) const;
    // The history of an execution that is running or ran in this process: an express one's
    // from memory, a standard one's from the store (what is not saved yet is saved first).
    std::optional<QList<SfnHistoryEvent>> history(const QString &executionArn);

    // A Map Run in progress, its counts as they stand, or nullopt.
    std::optional<SfnMapRun> mapRun(const QString &mapRunArn) const;
    // UpdateMapRun: a Map Run in progress runs with these from now on. False when it is not
    // in progress.
    bool updateMapRun(const QString &mapRunArn, std::optional<int> maxConcurrency,
        std::optional<double> toleratedFailurePercentage,
        std::optional<qint64> toleratedFailureCount);

    // SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat for a `.waitForTaskToken` task.
    Result<void> sendTaskSuccess(const QString &token, const Json &output);
    Result<void> sendTaskFailure(const QString &token, const QString &error, const QString &cause);
    Result<void> sendTaskHeartbeat(const QString &token);

    // TestState: runs the state `stateName` of `machine` once, on `input` with `variables`
    // (an object) set, and stops where it would go next. `mockResult` / `mockError`: a Task
    // state answers with these instead of calling its resource. A retrier that would retry
    // ends it RETRIABLE (no wait); a catcher that takes its error ends it CAUGHT_ERROR.
    struct TestResult
    {
        QString status; // SUCCEEDED, FAILED, RETRIABLE, CAUGHT_ERROR
        Json output;
        QString error;
        QString cause;
        QString nextState;
        // inspectionData: input, afterInputPath, afterParameters, afterArguments, result,
        // afterResultSelector, afterResultPath, variables (each as JSON text).
        Json inspection = Json::object();
    };
    struct TestOptions
    {
        Json variables = Json::object();
        std::optional<Json> context; // the context object, else one made as for an execution
        std::optional<Json> mockResult;
        std::optional<std::pair<QString, QString>> mockError; // error, cause
        int retryCount = 0; // what $$.State.RetryCount and the retriers start from
    };
    void testState(std::shared_ptr<const AslStateMachine> machine, const QString &stateName,
        const Json &input, TestOptions options, std::function<void(TestResult)> done);

    // What settle waits for: executions with work under way (a task, a transition), and those
    // waiting on the clock when `includeFuture`.
    QList<BusyItem> busy(bool includeFuture) const;

private:
    struct Run;
    struct Scope;
    struct Outcome;
    struct TokenWait;
    struct MapRunState;
    using Done = std::function<void(Outcome)>;

    void post(const std::shared_ptr<Run> &run, std::function<void()> fn);
    // start(), for a child execution too: its execution span nests under `parentSpanId`.
    std::shared_ptr<Run> startRun(SfnExecution execution, const SfnMachine &machine,
        std::shared_ptr<const AslStateMachine> parsed, bool resume, Finished finished,
        const QByteArray &parentSpanId);
    // A Map Run's row changed: saved, and the module told.
    void saveMapRun(const SfnMapRun &row);
    // A Map Run of `run` ends with `status` (SUCCEEDED, FAILED with `failure`'s error and
    // cause, or ABORTED): its event in the history, its row saved, then its children still
    // running ABORTED with `childCause`.
    void endMapRun(const std::shared_ptr<Run> &run, SfnMapRun &row, const QString &status,
        const Outcome &failure, const QString &childCause);
    // `released`: the stepper held the state and has let it go.
    void enterState(const std::shared_ptr<Run> &run, const std::shared_ptr<Scope> &scope,
        const AslStateMachine *machine, const QString &name, Json input, Done done,
        bool released = false);
    void runTask(const std::shared_ptr<Run> &run, const std::shared_ptr<Scope> &scope,
        const AslState &state, const Json &effective, Json context, const QByteArray &spanId,
        Done done);
    void invokeLambda(const std::shared_ptr<Run> &run, const AslState &state,
        const QString &function, const QByteArray &payload, bool wrapped, bool waitForToken,
        const QString &token, std::optional<int> heartbeatSeconds, const QByteArray &spanId,
        Done done);
    // A JSONata Map state's ItemReader or ResultWriter with its Arguments and configuration
    // evaluated (as literal Parameters); any other one as it is.
    Result<Json> jsonataS3Call(const std::shared_ptr<Scope> &scope, const AslState &state,
        const Json &object, const QString &field, const Json &effective, const Json &context);
    void callService(const std::shared_ptr<Run> &run, const AslState &state, const QString &service,
        const QString &action, const Json &parameters, int sync, const QByteArray &spanId,
        Done done);
    void runParallel(const std::shared_ptr<Run> &run, const std::shared_ptr<Scope> &scope,
        const AslState &state, const Json &effective, const QByteArray &spanId, Done done);
    // `readItems`: what the Map's ItemReader read (runMap reads them first, then comes back).
    void runMap(const std::shared_ptr<Run> &run, const std::shared_ptr<Scope> &scope,
        const AslState &state, const Json &effective, const Json &context, const QByteArray &spanId,
        Done done, const Json *readItems = nullptr);
    // A distributed Map's S3 work, as a client of the edge port on the execution's trace: one
    // call (path style), the items an ItemReader names (an object, an inventory's files, or a
    // listing's pages), and a ResultWriter's objects, one after the other.
    void s3Call(const std::shared_ptr<Run> &run, const QByteArray &verb, const QString &bucket,
        const QString &key, const QUrlQuery &query, const QByteArray &body,
        const QByteArray &spanId, std::function<void(Result<QByteArray>)> done);
    void readS3Items(const std::shared_ptr<Run> &run, const AslItemReaderPlan &plan,
        const QByteArray &spanId, std::function<void(Result<Json>)> done);
    void readS3Files(const std::shared_ptr<Run> &run,
        std::shared_ptr<const std::vector<AslItemReaderPlan>> files, size_t index, Json items,
        std::optional<qint64> maxItems, const QByteArray &spanId,
        std::function<void(Result<Json>)> done);
    void listS3Items(const std::shared_ptr<Run> &run, const AslItemReaderPlan &plan,
        const QString &token, Json items, const QByteArray &spanId,
        std::function<void(Result<Json>)> done);
    void putS3Objects(const std::shared_ptr<Run> &run, const QString &bucket,
        std::shared_ptr<std::vector<AslResultObject>> objects, size_t index,
        const QByteArray &spanId, std::function<void(Result<void>)> done);
    void finish(const std::shared_ptr<Run> &run, const Outcome &outcome);
    // TaskSucceeded or TaskFailed in the history.
    void taskEnded(const std::shared_ptr<Run> &run, const QString &resourceType,
        const QString &resource, const Outcome &outcome);
    // A .waitForTaskToken task's token came back: the task ends with `outcome`.
    Result<void> resolveToken(const QString &token, Outcome outcome);
    void addEvent(const std::shared_ptr<Run> &run, const QString &type, Json details);
    // A branch's or iteration's progress, saved with the next flush (standard executions).
    void markScope(const std::shared_ptr<Run> &run, SfnScopeMark mark);
    // The key of `scope`'s branch or iteration `index` of `state`.
    static QString childKey(
        const std::shared_ptr<Scope> &scope, const QString &state, qsizetype index);
    // A resumed execution's mark for this branch or iteration, if it has one (taken once).
    std::optional<SfnScopeMark> takeResumeMark(const std::shared_ptr<Run> &run, const QString &key);
    // A branch or iteration that was running in one of `machine`'s states (its mark) goes on
    // there: that state into `startAt`, its input into `input`, its variables into `scope`.
    static void goOnFrom(const SfnScopeMark &mark, const AslStateMachine &machine, Scope &scope,
        QString &startAt, Json &input);
    // The same with the details already written as JSON (an object).
    void addEventJson(const std::shared_ptr<Run> &run, const QString &type, QByteArrayView details);
    // TestState's inspectionData: `value` as it stood at `what` (nothing for executions).
    void inspect(const std::shared_ptr<Run> &run, const std::shared_ptr<Scope> &scope,
        const char *what, const Json &value);
    // Every run's events and checkpoint not saved yet, in one transaction: progress is saved
    // a few milliseconds after it is made, many transitions at a time. Then, when `notify`,
    // those that ended are reported to their `finished`.
    void flushDirty(bool notify = true);
    void markDirty(const std::shared_ptr<Run> &run);
    Json contextObject(const std::shared_ptr<Run> &run, const QString &state, int retryCount) const;
    // The SigV4-shaped header of a call to the edge port in `scope` (signatures are checked
    // only when Tarmac is told to).
    QByteArray authorization(const char *scope) const;
    qint64 schedule(const std::shared_ptr<Run> &run, qint64 delayNs, std::function<void()> fn);
    // A JSONata state's field `value` with its "{% … %}" expressions evaluated: $states is
    // `states` (input, context, result, errorOutput), the other variables are the workflow's
    // as `scope` sees them.
    Result<Json> jsonata(const std::shared_ptr<Scope> &scope, const AslState &state,
        const QString &field, const Json &value, const Json &states);
    // The workflow variables `scope` sees, inner scopes' over outer ones'; for JSONPath
    // paths, only when the run can have any.
    static Json visibleVariables(const std::shared_ptr<Scope> &scope);
    static std::optional<Json> pathVariables(
        const std::shared_ptr<Run> &run, const std::shared_ptr<Scope> &scope);
    // An Assign field's values (JSONata: evaluated with `states`; JSONPath: its payload
    // template applied to `value`), set in `scope` once all are evaluated. The names and values
    // set, as the StateExited event lists them.
    Result<Json> assign(const std::shared_ptr<Scope> &scope, const AslState &state,
        const std::optional<Json> &assign, const Json &states, const Json &value,
        const Json &context);
    void recordSpan(const std::shared_ptr<Run> &run, const QByteArray &spanId,
        const QByteArray &parent, const QString &name, const QString &operation, qint64 startNs,
        const QString &error, Attributes attributes);

    Context m_context;
    QNetworkAccessManager *m_http = nullptr;
    QHash<QString, std::shared_ptr<Run>> m_runs; // running, by execution ARN
    // Finished here (their history, for express executions and GetExecutionHistory).
    QHash<QString, std::shared_ptr<Run>> m_finished;
    QList<QString> m_finishedOrder; // their ARNs, oldest first
    QHash<QString, std::shared_ptr<TokenWait>> m_tokens;
    QHash<QString, std::shared_ptr<MapRunState>> m_mapRuns; // in progress, by ARN
    std::unique_ptr<JsonataEvaluator> m_jsonata; // started by the first JSONata expression
    std::vector<std::weak_ptr<Run>> m_dirty; // runs with progress not saved yet
    bool m_flushScheduled = false;
};

} // namespace tarmac
