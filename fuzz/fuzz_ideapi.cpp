// libFuzzer target for what the IDE port reads from the network: the HTTP upgrade request's
// head (token, Origin) before the upgrade, and JSON-RPC 2.0 frames after it. Input: a byte
// choosing which, then the bytes. Every frame must get at most one answer, which is JSON-RPC
// (an object or a non-empty array of them, "jsonrpc": "2.0", a result or an error with an
// integer code), and parameters read through JsonFields never throw.
#include "ide/jsonrpc.h"
#include "ide/upgraderequest.h"

#include "fuzzsupport.h"

#include <cstddef>
#include <cstdint>

namespace {

const tarmac::JsonRpc &rpc()
{
    static const tarmac::JsonRpc instance = [] {
        tarmac::JsonRpc r;
        r.addSync(QStringLiteral("typed"),
            [](const tarmac::Json &params) -> tarmac::Result<tarmac::Json> {
                tarmac::JsonFields f(params);
                const auto s = f.string("s");
                const auto i = f.integer("i");
                const auto b = f.boolean("b");
                const auto n = f.number("n");
                const auto l = f.stringList("l");
                const auto m = f.stringMap("m");
                const auto bytes = f.bytes("id");
                if (!f.ok())
                    return tarmac::invalidParams(f.error()->message());
                return tarmac::Json {{"s", s.has_value()}, {"i", i.value_or(0)},
                    {"b", b.value_or(false)}, {"n", n.value_or(0.0)}, {"l", l ? l->size() : 0},
                    {"m", m ? m->size() : 0}, {"bytes", bytes ? bytes->size() : 0}};
            });
        r.addSync(
            QStringLiteral("fails"), [](const tarmac::Json &) -> tarmac::Result<tarmac::Json> {
                return tarmac::makeError(
                    QStringLiteral("ResourceNotFoundException"), QStringLiteral("x"));
            });
        return r;
    }();
    return instance;
}

void checkAnswer(const tarmac::Json &a)
{
    FUZZ_CHECK(a.is_object());
    FUZZ_CHECK(a.value("jsonrpc", std::string()) == "2.0");
    FUZZ_CHECK(a.contains("id"));
    FUZZ_CHECK(a.contains("result") != a.contains("error"));
    if (a.contains("error")) {
        const tarmac::Json &e = a["error"];
        FUZZ_CHECK(e.is_object() && e.contains("code") && e["code"].is_number_integer());
        FUZZ_CHECK(e.contains("message") && e["message"].is_string());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const QByteArray bytes(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    if (data[0] & 1) {
        const auto r = tarmac::parseUpgradeRequest(bytes);
        if (r.state != tarmac::UpgradeRequest::State::Parsed)
            FUZZ_CHECK(!r.isUpgrade && r.token.isEmpty());
        (void)tarmac::isAllowedOrigin(r.origin);
        (void)tarmac::sameToken(r.token, "0123456789abcdef0123456789abcdef");
        return 0;
    }
    int answers = 0;
    QByteArray out;
    rpc().handle(bytes, [&](QByteArray a) {
        ++answers;
        out = std::move(a);
    });
    FUZZ_CHECK(answers <= 1);
    if (answers == 0)
        return 0;
    auto parsed = tarmac::parseJson(out);
    FUZZ_CHECK(bool(parsed));
    if (parsed->is_array()) {
        FUZZ_CHECK(!parsed->empty());
        for (const tarmac::Json &a : *parsed)
            checkAnswer(a);
    } else {
        checkAnswer(*parsed);
    }
    return 0;
}
