#pragma once

#include "services/stepfunctions/aslpath.h"

#include <QString>

#include <memory>

namespace tarmac {

// One intrinsic function call of the States language, parsed once and evaluated against a
// state's input and context object: States.Format, StringToJson, JsonToString, Array,
// ArrayPartition, ArrayContains, ArrayRange, ArrayGetItem, ArrayLength, ArrayUnique,
// Base64Encode, Base64Decode, Hash, JsonMerge, MathRandom, MathAdd, StringSplit, UUID.
//
// Arguments are string literals in single quotes (`\'`, `\{`, `\}` and `\\` are the only
// escapes), numbers, true, false, null, paths (`$.x`, `$$.x`) and nested calls, at most ten
// deep. Every failure is a "States.IntrinsicFailure" error naming the function; a path that
// selects nothing is "States.Runtime", as for any other path.
//
// Not supported: States.JsonMerge's deep mode (Step Functions refuses it too), and
// MathRandom's seed only makes the draw repeatable here, not equal to Step Functions' draw.
class AslIntrinsic
{
public:
    AslIntrinsic();
    ~AslIntrinsic();
    AslIntrinsic(const AslIntrinsic &);
    AslIntrinsic &operator=(const AslIntrinsic &);
    AslIntrinsic(AslIntrinsic &&) noexcept;
    AslIntrinsic &operator=(AslIntrinsic &&) noexcept;

    static Result<AslIntrinsic> parse(QStringView text);

    QString text() const { return m_text; }
    // The outermost function's name, "States.Format".
    QString functionName() const;

    Result<Json> evaluate(
        const Json &input, const Json &context, const AslRandomSource &random = {}) const;

    struct Node; // a literal, a path or a call; defined in aslintrinsics.cpp

private:
    std::shared_ptr<const Node> m_root;
    QString m_text;
};

// Parses and evaluates in one go.
Result<Json> evaluateIntrinsic(
    QStringView text, const Json &input, const Json &context, const AslRandomSource &random = {});

// The names of every supported function, "States.Array" first.
QStringList aslIntrinsicFunctionNames();

} // namespace tarmac
