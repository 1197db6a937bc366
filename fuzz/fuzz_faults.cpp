// libFuzzer target for POST /_tarmac/faults: a rule's JSON (match and effect, any shape), then
// the rule matched against requests and deliveries. Nothing may crash or throw; a rule that is
// refused says why, one that is added lists and describes itself.
#include "engine/faults.h"

#include "fuzzsupport.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    auto json = tarmac::parseJson(bytes);
    if (!json)
        return 0;
    tarmac::FaultInjector faults([](const QString &name) { return name + QStringLiteral("-x"); });
    auto rule = faults.add(*json);
    if (!rule) {
        FUZZ_CHECK(!rule.error().message.isEmpty());
        FUZZ_CHECK(rule.error().httpStatus == 400);
        return 0;
    }
    FUZZ_CHECK(!rule->id.isEmpty());
    FUZZ_CHECK(!rule->describe().isEmpty());
    (void)tarmac::toJsonBytes(tarmac::FaultInjector::toJson(*rule));
    for (int i = 0; i < 3; ++i) {
        (void)faults.forRequest(QStringLiteral("s3"), QStringLiteral("PutObject"),
            [](const QString &name) { return name.size() % 2 == 0; });
        (void)faults.forDelivery(QStringLiteral("fn-x"));
    }
    FUZZ_CHECK(faults.rules().size() == 1);
    FUZZ_CHECK(faults.remove(rule->id));
    FUZZ_CHECK(faults.isEmpty());
    return 0;
}
