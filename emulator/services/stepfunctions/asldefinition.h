#pragma once

#include "services/stepfunctions/aslchoice.h"
#include "services/stepfunctions/aslpath.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>
#include <vector>

namespace tarmac {

struct AslStateMachine;

// A Retry entry of a Task, Parallel or Map state.
struct AslRetrier
{
    enum class Jitter { None, Full };

    QStringList errorEquals;
    double intervalSeconds = 1;
    int maxAttempts = 3;
    double backoffRate = 2.0;
    std::optional<double> maxDelaySeconds;
    Jitter jitter = Jitter::None;
    QString comment;
};

// A Catch entry: where to go, and where in the input to put the error output.
struct AslCatcher
{
    QStringList errorEquals;
    QString next;
    std::optional<QString> resultPath = QStringLiteral("$");
    QString comment;
    // Workflow variables to set, and (JSONata) the state's output when this catcher is taken.
    std::optional<Json> assign;
    std::optional<Json> output;
};

// One state. The fields of every type live side by side; those a type does not have stay at
// their defaults. A path field that the definition sets to null is nullopt (InputPath: null
// means {}), one it leaves out keeps its default "$".
struct AslState
{
    enum class Type { Task, Pass, Choice, Wait, Succeed, Fail, Parallel, Map };

    QString name;
    Type type = Type::Pass;
    QString comment;
    // "JSONPath" or "JSONata"; inherited from the state machine when the state does not say.
    QString queryLanguage;
    std::optional<QString> next;
    bool end = false;

    std::optional<QString> inputPath = QStringLiteral("$");
    std::optional<QString> outputPath = QStringLiteral("$");
    std::optional<QString> resultPath = QStringLiteral("$");
    std::optional<Json> parameters; // Parameters, or a Map's ItemSelector
    std::optional<Json> resultSelector;
    std::optional<Json> result; // Pass
    std::vector<AslRetrier> retry;
    std::vector<AslCatcher> catchers;
    // Assign: workflow variables set when the state ends (either language).
    std::optional<Json> assign;
    // A JSONata state as the definition writes it: its Arguments, Output, Items, ItemSelector,
    // Choices' Conditions, Seconds, Timestamp, Error, Cause, TimeoutSeconds... are read from
    // here as the state runs, their "{% … %}" strings evaluated then. Null for JSONPath states.
    Json jsonata;

    // Task
    QString resource;
    std::optional<int> timeoutSeconds;
    std::optional<QString> timeoutSecondsPath;
    std::optional<int> heartbeatSeconds;
    std::optional<QString> heartbeatSecondsPath;
    std::optional<Json> credentials;

    // Choice
    std::vector<AslChoiceRule> choices;
    std::optional<QString> defaultState;

    // Wait
    std::optional<double> seconds;
    std::optional<QString> secondsPath;
    std::optional<QString> timestamp;
    std::optional<QString> timestampPath;

    // Fail
    std::optional<QString> error;
    std::optional<QString> errorPath;
    std::optional<QString> cause;
    std::optional<QString> causePath;

    // Parallel
    std::vector<AslStateMachine> branches;

    // Map: the ItemProcessor (or the older Iterator) is branches[0].
    std::optional<QString> itemsPath = QStringLiteral("$");
    int maxConcurrency = 0; // 0: no limit
    std::optional<QString> maxConcurrencyPath;
    std::optional<Json> itemReader;
    std::optional<Json> itemBatcher;
    std::optional<Json> resultWriter;
    std::optional<double> toleratedFailurePercentage;
    std::optional<QString> toleratedFailurePercentagePath;
    std::optional<int> toleratedFailureCount;
    std::optional<QString> toleratedFailureCountPath;
    QString processorMode = QStringLiteral("INLINE"); // ItemProcessor.ProcessorConfig.Mode
    QString executionType; // ProcessorConfig.ExecutionType of a DISTRIBUTED map
    QString label;

    // The Map state's iteration, for readability.
    const AslStateMachine *itemProcessor() const;
    bool isTerminal() const;
    bool isJsonata() const { return !jsonata.is_null(); }
};

// A state machine, or a Parallel branch, or a Map's item processor. States are in name order, not
// definition order: the Json type keeps object members sorted.
struct AslStateMachine
{
    QString comment;
    QString startAt;
    std::optional<int> timeoutSeconds;
    QString version;
    QString queryLanguage = QStringLiteral("JSONPath");
    std::vector<AslState> states;

    const AslState *state(QStringView name) const;
};

// One finding of validation, as ValidateStateMachineDefinition reports it. `location` is a
// JSON pointer-like place in the definition ("/States/Foo/Next", "/States/C/Choices[0]/Next");
// empty where AWS gives none (MISSING_END_STATE).
struct AslDiagnostic
{
    QString severity = QStringLiteral("ERROR");
    QString code;
    QString message;
    QString location;

    friend bool operator==(const AslDiagnostic &, const AslDiagnostic &) = default;
};

struct AslValidation
{
    AslStateMachine machine; // as far as it could be read
    std::vector<AslDiagnostic> diagnostics;

    bool ok() const { return diagnostics.empty(); }
};

// Reads and validates a definition the way CreateStateMachine and ValidateStateMachineDefinition
// do. The codes are AWS's: INVALID_JSON_DESCRIPTION, SCHEMA_VALIDATION_FAILED (a field missing,
// of the wrong type or not allowed on the state's type; a malformed path, payload template,
// Choice rule, Retrier or Catcher), MISSING_TRANSITION_TARGET (a Next, Default or StartAt naming
// no state, and, as AWS words it, a state that nothing reaches: "State \"X\" is not
// reachable."), MISSING_END_STATE (no state can end the workflow) and DUPLICATE_STATE_NAME.
//
// Not checked: ARNs of Task resources and their service-integration parameters, and JSONata
// expressions (recorded as QueryLanguage only).
AslValidation validateAslDefinition(const QByteArray &definition);

// The state machine, or an "InvalidDefinition" error worded as CreateStateMachine words it:
// "Invalid State Machine Definition: 'CODE: message at /location, ...'".
Result<AslStateMachine> parseAslDefinition(const QByteArray &definition);

// Whether a Retrier's or Catcher's ErrorEquals covers `error`: an exact name, States.ALL for
// anything, and States.TaskFailed for anything but States.Timeout. States.Runtime is never
// covered (Step Functions does not retry or catch it), and States.DataLimitExceeded only by its
// own name.
bool aslErrorMatches(const QStringList &errorEquals, QStringView error);

// The first Retrier / Catcher that covers `error`, or null.
const AslRetrier *findRetrier(const std::vector<AslRetrier> &retry, QStringView error);
const AslCatcher *findCatcher(const std::vector<AslCatcher> &catchers, QStringView error);

// The wait before retry number `attempt` (1 for the first retry): IntervalSeconds *
// BackoffRate^(attempt - 1), capped by MaxDelaySeconds; with FULL jitter, a uniform draw from
// [0, that) taken from `random`. Null (nullopt) once MaxAttempts retries have been made.
std::optional<double> aslRetryDelaySeconds(
    const AslRetrier &retrier, int attempt, const AslRandomSource &random = {});

// Whether `value` is a JSONata expression: a string "{% … %}", nothing before or after.
bool aslIsJsonataExpression(const Json &value);

// The type's name as the definition spells it ("Task").
QString aslStateTypeName(AslState::Type type);

} // namespace tarmac
