// libFuzzer target for the Amazon States Language that Step Functions reads from clients
// (CreateStateMachine, ValidateStateMachineDefinition, templates): definitions read and
// validated, and every state's paths, payload templates (with intrinsic functions) and Choice
// rules applied to an input. The input is a definition, a newline, then a JSON document used
// as the state input (and as an intrinsic expression when it is not JSON). Nothing may crash
// or throw.
#include "services/stepfunctions/aslchoice.h"
#include "services/stepfunctions/asldefinition.h"
#include "services/stepfunctions/aslintrinsics.h"
#include "services/stepfunctions/aslpath.h"

#include "fuzzsupport.h"

#include <cstddef>
#include <cstdint>

namespace {

void exercise(const tarmac::AslStateMachine &machine, const tarmac::Json &input, int depth)
{
    using namespace tarmac;
    if (depth > 4)
        return;
    const Json context
        = {{"Execution", {{"Id", "arn"}, {"Input", input}}}, {"State", {{"Name", "s"}}}};
    const AslRandomSource random = [] { return 0.5; };
    for (const AslState &s : machine.states) {
        auto effective = applyInputPath(input, s.inputPath, context);
        const Json &in = effective ? *effective : input;
        if (s.parameters)
            (void)applyPayloadTemplate(*s.parameters, in, context, random);
        if (s.resultSelector)
            (void)applyPayloadTemplate(*s.resultSelector, in, context, random);
        (void)applyResultPath(input, in, s.resultPath);
        (void)applyOutputPath(in, s.outputPath, context);
        if (!s.choices.empty())
            (void)selectChoice(s.choices, s.defaultState, in, context);
        if (s.itemsPath)
            (void)selectReferencePath(*s.itemsPath, in, context);
        for (int attempt = 1; attempt <= 3; ++attempt) {
            for (const AslRetrier &r : s.retry)
                (void)aslRetryDelaySeconds(r, attempt, random);
        }
        (void)findCatcher(s.catchers, QStringLiteral("States.TaskFailed"));
        for (const AslStateMachine &branch : s.branches)
            exercise(branch, in, depth + 1);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const qsizetype newline = bytes.indexOf('\n');
    const QByteArray definition = newline < 0 ? bytes : bytes.left(newline);
    const QByteArray rest = newline < 0 ? QByteArray() : bytes.mid(newline + 1);
    const tarmac::AslValidation v = tarmac::validateAslDefinition(definition);
    for (const tarmac::AslDiagnostic &d : v.diagnostics)
        FUZZ_CHECK(!d.code.isEmpty());
    auto input = tarmac::parseJson(rest);
    if (!input) {
        const QString expression = QString::fromUtf8(rest);
        (void)tarmac::evaluateIntrinsic(
            expression, tarmac::Json::object(), tarmac::Json::object(), [] { return 0.25; });
        (void)tarmac::AslPath::parse(expression);
    }
    auto machine = tarmac::parseAslDefinition(definition);
    if (!machine) {
        FUZZ_CHECK(!machine.error().message.isEmpty());
        return 0;
    }
    exercise(*machine, input ? *input : tarmac::Json::object(), 0);
    return 0;
}
