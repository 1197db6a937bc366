#pragma once

#include "services/stepfunctions/aslpath.h"

#include <QString>

#include <optional>
#include <vector>

namespace tarmac {

// The comparison operators of a Choice rule. Each String/Numeric/Boolean/Timestamp comparison
// also has a "...Path" form (AslChoiceRule::valueIsPath) whose operand is read from the input;
// StringMatches and the Is... tests have none, as in Step Functions.
enum class AslComparison {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringLessThanEquals,
    StringGreaterThanEquals,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericGreaterThan,
    NumericLessThanEquals,
    NumericGreaterThanEquals,
    BooleanEquals,
    TimestampEquals,
    TimestampLessThan,
    TimestampGreaterThan,
    TimestampLessThanEquals,
    TimestampGreaterThanEquals,
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
};

// One Choice rule: a comparison of the value at Variable, or And/Or over rules, or Not of one.
// Only a top-level rule (an element of Choices) has a Next.
struct AslChoiceRule
{
    enum class Kind { Comparison, And, Or, Not };

    Kind kind = Kind::Comparison;
    QString variable;
    AslComparison comparison = AslComparison::StringEquals;
    bool valueIsPath = false;
    // The operand as written: a literal, or the path (a string) when valueIsPath.
    Json value;
    std::vector<AslChoiceRule> rules;
    QString next;
    // The rule's own Comment, kept for display.
    QString comment;
};

// The operator's name as it appears in a rule ("NumericLessThanEquals", "StringEqualsPath").
QString aslComparisonName(AslComparison comparison, bool path = false);
// The operator named by a rule field, and whether it is the "...Path" form.
std::optional<std::pair<AslComparison, bool>> aslComparisonFromName(QStringView name);

// Reads a rule from a Choice state's JSON. `location` is where the rule sits in the definition
// ("/States/Check/Choices[0]"). An error ("SCHEMA_VALIDATION_FAILED") says what is wrong and
// ends with " at <where>", the rule or nested rule at fault; with `faultLocation`, that place
// goes there instead of into the message. A top-level rule must have a Next, a nested one must
// not.
Result<AslChoiceRule> parseChoiceRule(const Json &rule, const QString &location,
    bool topLevel = true, QString *faultLocation = nullptr);

// Whether the rule holds for the input. A value of the wrong type for its operator makes a
// comparison false. A Variable (or a "...Path" operand) that selects nothing is a
// "States.Runtime" error, except for IsPresent, which is then false.
Result<bool> evaluateChoiceRule(
    const AslChoiceRule &rule, const Json &input, const Json &context = Json());

// The Next of the first rule that holds, else `defaultState`, else a "States.NoChoiceMatched"
// error.
Result<QString> selectChoice(const std::vector<AslChoiceRule> &choices,
    const std::optional<QString> &defaultState, const Json &input, const Json &context = Json());

// An RFC 3339 timestamp as Step Functions accepts it ("2016-03-14T01:59:00Z", an uppercase T,
// a Z or an offset, optional fractional seconds), as nanoseconds since the epoch.
std::optional<qint64> parseAslTimestamp(QStringView text);

// StringMatches: `*` matches any run of characters, `\*` a star and `\\` a backslash.
bool aslStringMatches(QStringView value, QStringView pattern);

} // namespace tarmac
