// libFuzzer target for what replay reads: captures (JSON Lines records, CloudWatch Logs
// exports, SQS receive-message output, single events; also sent to the IDE's replay.start),
// --map rewriting, event kinds, expectations (and their side effects) checked against the capture's
// own events. Nothing may crash or throw; a record read is an object event with a 1-based index.
#include "replay/capture.h"
#include "replay/effects.h"
#include "replay/expectation.h"

#include "fuzzsupport.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    auto capture = tarmac::readCapture(bytes);
    if (!capture) {
        FUZZ_CHECK(!capture.error().message.isEmpty());
        return 0;
    }
    FUZZ_CHECK(!capture->records.isEmpty());
    QList<tarmac::Mapping> mappings = {{QStringLiteral("a"), QStringLiteral("bb")},
        {QStringLiteral("123456789012"), QStringLiteral("000000000000")}};
    for (const tarmac::CaptureRecord &r : capture->records) {
        FUZZ_CHECK(r.index >= 1);
        const tarmac::Json mapped = tarmac::applyMappings(r.event, mappings);
        (void)tarmac::eventKind(mapped);
        // The event as a response: every expectation is checked against something real.
        tarmac::ReplayOutcome outcome;
        outcome.delivered = true;
        outcome.functionError = r.index % 2 == 0;
        outcome.errorType = QStringLiteral("KeyError");
        outcome.response = mapped;
        auto checked = tarmac::checkExpectation(r.expect ? &*r.expect : nullptr, outcome);
        if (!checked)
            FUZZ_CHECK(!checked.error().message.isEmpty());
        // Side effects: parsed (what the replayer reads before it asks the edge), and their
        // keys through DynamoDB's typed form and back.
        auto effects = tarmac::parseEffects(r.expect ? &*r.expect : nullptr);
        if (!effects) {
            FUZZ_CHECK(!effects.error().message.isEmpty());
            continue;
        }
        for (const tarmac::Effect &e : *effects) {
            (void)e.label();
            if (e.kind == tarmac::Effect::Kind::DynamoDb)
                (void)tarmac::fromAttributeValue(tarmac::toAttributeValue(e.itemKey));
        }
        (void)tarmac::fromAttributeValue(mapped);
    }
    return 0;
}
