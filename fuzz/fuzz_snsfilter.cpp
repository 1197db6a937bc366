// libFuzzer target for what SNS reads from the network beyond the form fields themselves: a
// subscription's FilterPolicy (SetSubscriptionAttributes, Subscribe, templates), checked as SNS
// checks it and then applied to messages (services/sns/snsfilter).
//
// Input: the first byte picks the scope (even: MessageAttributes, odd: MessageBody); the rest
// is the policy, and after a NUL byte, when there is one, a message that is both the body and
// the source of a few attributes of each type. Whatever comes, parsing must end with a policy
// or SNS's InvalidParameter (a 400 whose message starts "Invalid parameter: "), never an
// exception or a crash, and a parsed policy must answer for any message; an empty policy
// matches everything.

#include "services/sns/snsfilter.h"

#include "fuzzsupport.h"

#include <cstddef>
#include <cstdint>

using namespace tarmac;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const auto scope = data[0] % 2 ? SnsFilterPolicy::Scope::MessageBody
                                   : SnsFilterPolicy::Scope::MessageAttributes;
    const QByteArray rest(reinterpret_cast<const char *>(data) + 1, qsizetype(size) - 1);
    const qsizetype nul = rest.indexOf('\0');
    const QByteArray policy = nul < 0 ? rest : rest.left(nul);
    const QByteArray message = nul < 0 ? QByteArray("{\"a\":1}") : rest.mid(nul + 1);

    auto parsed = SnsFilterPolicy::parse(policy, scope);
    if (!parsed) {
        FUZZ_CHECK(parsed.error().code == QLatin1String("InvalidParameter"));
        FUZZ_CHECK(parsed.error().httpStatus == 400);
        FUZZ_CHECK(parsed.error().message.startsWith(QLatin1String("Invalid parameter: ")));
        return 0;
    }
    FUZZ_CHECK(parsed->scope() == scope);
    const QString text = QString::fromUtf8(message);
    const SnsFilterPolicy::Attributes attributes = {
        {QStringLiteral("a"), {QStringLiteral("String"), text}},
        {QStringLiteral("n"), {QStringLiteral("Number"), text}},
        {QStringLiteral("list"), {QStringLiteral("String.Array"), text}},
        {QStringLiteral("bin"),
            {QStringLiteral("Binary"), QString::fromLatin1(message.toBase64())}},
        {QStringLiteral("custom"), {QStringLiteral("Number.price"), QStringLiteral("12.5")}},
    };
    const bool matched = parsed->matches(attributes, message);
    if (policy.trimmed() == "{}")
        FUZZ_CHECK(matched);
    parsed->matches({}, QByteArray());
    return 0;
}
