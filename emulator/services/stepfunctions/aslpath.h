#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QLatin1String>
#include <QString>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace tarmac {

// The error names of the States language: what a state fails with and what a Retrier's or
// Catcher's ErrorEquals lists.
namespace AslErrors {
inline constexpr QLatin1String All("States.ALL");
inline constexpr QLatin1String HeartbeatTimeout("States.HeartbeatTimeout");
inline constexpr QLatin1String Timeout("States.Timeout");
inline constexpr QLatin1String TaskFailed("States.TaskFailed");
inline constexpr QLatin1String Permissions("States.Permissions");
inline constexpr QLatin1String ResultPathMatchFailure("States.ResultPathMatchFailure");
inline constexpr QLatin1String ParameterPathFailure("States.ParameterPathFailure");
inline constexpr QLatin1String BranchFailed("States.BranchFailed");
inline constexpr QLatin1String NoChoiceMatched("States.NoChoiceMatched");
inline constexpr QLatin1String IntrinsicFailure("States.IntrinsicFailure");
inline constexpr QLatin1String ExceedToleratedFailureThreshold(
    "States.ExceedToleratedFailureThreshold");
inline constexpr QLatin1String ItemReaderFailed("States.ItemReaderFailed");
inline constexpr QLatin1String ResultWriterFailed("States.ResultWriterFailed");
inline constexpr QLatin1String DataLimitExceeded("States.DataLimitExceeded");
inline constexpr QLatin1String Runtime("States.Runtime");
inline constexpr QLatin1String QueryEvaluationError("States.QueryEvaluationError");
} // namespace AslErrors

// Draws uniformly from [0, 1); intrinsics (MathRandom, UUID) and retry jitter take one so that
// tests can fix it. An empty function means QRandomGenerator::global().
using AslRandomSource = std::function<double()>;

// One path of ASL's JSONPath query language, as Step Functions evaluates it (Jayway JsonPath
// underneath): `$` is the state's input and `$$` the context object; `.name`, `['name']`,
// `[n]` (negative counts from the end), `[*]` / `.*`, `..` (recursive descent), slices
// `[a:b:c]`, unions `[0,1]` / `['a','b']` and filters `[?(@.x > 1 && @.y == 'z')]`.
//
// A definite path (names and single indexes only) selects one value, and a step that finds
// nothing is an error; any other path selects a list, which may be empty. A reference path (the
// only kind ResultPath, ItemsPath, a Choice rule's Variable and the `...Path` fields accept) is a
// definite path. Functions such as `.length()` are not supported, as in Step Functions.
class AslPath
{
public:
    AslPath();
    ~AslPath();
    AslPath(const AslPath &);
    AslPath &operator=(const AslPath &);
    AslPath(AslPath &&) noexcept;
    AslPath &operator=(AslPath &&) noexcept;

    // Error code "States.Runtime" with "Invalid path ..." on a syntax error.
    static Result<AslPath> parse(QStringView text);

    QString text() const { return m_text; }
    bool isContextPath() const { return m_context; }
    // `$name…`: a path into the workflow variable `name` (AslVariables), else empty.
    QString variable() const { return m_variable; }
    bool isDefinite() const;
    bool isReferencePath() const { return isDefinite(); }
    // The canonical form Jayway quotes in its messages: $['a']['b'][0].
    QString normalized() const;

    // What the path selects from `input` (or from `context` for a `$$` path): the value for a
    // definite path, an array of matches otherwise. "States.Runtime" error, "No results for
    // path: $['a']", when a definite step finds nothing.
    Result<Json> evaluate(const Json &input, const Json &context = Json()) const;

    struct Step; // one selector; defined in aslpath.cpp

private:
    friend Result<Json> applyResultPath(
        const Json &input, const Json &result, const std::optional<QString> &path);

    std::vector<Step> m_steps;
    QString m_text;
    bool m_context = false;
    QString m_variable;
};

// The workflow variables that `$name` paths read while one of these lives (on this thread):
// the executor puts those a state sees in place while it evaluates the state's paths. Null:
// there are none, and such a path selects nothing.
class AslVariables
{
public:
    explicit AslVariables(const Json *variables);
    ~AslVariables();
    AslVariables(const AslVariables &) = delete;
    AslVariables &operator=(const AslVariables &) = delete;
    static const Json *current();

private:
    const Json *m_previous;
};

// InputPath: null (nullopt) gives {}; otherwise what the path selects from the input.
Result<Json> applyInputPath(
    const Json &input, const std::optional<QString> &path, const Json &context = Json());
// OutputPath: null gives {}; otherwise what the path selects from the state's output.
Result<Json> applyOutputPath(
    const Json &output, const std::optional<QString> &path, const Json &context = Json());

// Parameters, ItemSelector, ResultSelector: a copy of the template in which every field whose
// name ends in ".$" is renamed without it and given the value of its path (against `input`, or
// `context` for `$$`) or intrinsic function call. Nested objects and arrays are processed too.
// "States.Runtime" when a path matches nothing ("The JSONPath '$.a' specified for the field
// 'a.$' could not be found in the input '{...}'"), "States.IntrinsicFailure" from a function.
Result<Json> applyPayloadTemplate(
    const Json &tmpl, const Json &input, const Json &context, const AslRandomSource &random = {});

// The value of one ".$" field: a path, or an intrinsic call (it starts with "States.").
Result<Json> evaluatePathOrIntrinsic(QStringView expression, const Json &input, const Json &context,
    const AslRandomSource &random = {});

// ResultPath: null (nullopt) keeps the input and discards the result, `$` is the result alone,
// and a reference path such as `$.a.b` puts the result there in a copy of the input, creating
// the objects on the way and overwriting what was there. "States.ResultPathMatchFailure" when
// the path crosses a value that is not an object (or an index out of range).
Result<Json> applyResultPath(
    const Json &input, const Json &result, const std::optional<QString> &path);

// A reference path's value (ItemsPath, SecondsPath, TimeoutSecondsPath, ...): "States.Runtime"
// when the path is not a reference path or selects nothing.
Result<Json> selectReferencePath(QStringView path, const Json &input, const Json &context = Json());

// The compact text of a value, as the messages above quote it.
QString aslJsonText(const Json &value);

} // namespace tarmac
