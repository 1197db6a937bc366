// libFuzzer target for JsonPath and JsonPredicate, which read breakpoint conditions sent to
// /_tarmac/dispatch/breakpoints. Input: a path, a newline, then a JSON document. A path that
// parses must keep its text; selecting from any document and testing every predicate on it
// must neither crash nor take long (wildcards over wide documents are bounded).
#include "base/jsonpath.h"

#include "fuzzsupport.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const qsizetype nl = bytes.indexOf('\n');
    const QString pathText = QString::fromUtf8(nl < 0 ? bytes : bytes.left(nl));
    auto path = tarmac::JsonPath::parse(pathText);
    if (!path)
        return 0;
    FUZZ_CHECK(path->text() == pathText);
    auto again = tarmac::JsonPath::parse(path->text());
    FUZZ_CHECK(bool(again));
    if (nl < 0)
        return 0;
    auto document = tarmac::parseJson(bytes.mid(nl + 1));
    if (!document)
        return 0;
    const auto found = path->select(*document);
    for (const auto *value : found)
        FUZZ_CHECK(value != nullptr);
    for (auto op : {tarmac::JsonPredicate::Op::Exists, tarmac::JsonPredicate::Op::Equals,
             tarmac::JsonPredicate::Op::NotEquals, tarmac::JsonPredicate::Op::Contains}) {
        tarmac::JsonPredicate predicate;
        predicate.path = *path;
        predicate.op = op;
        predicate.value = found.empty() ? tarmac::Json("x") : *found.front();
        const bool matched = predicate.matches(*document);
        if (op == tarmac::JsonPredicate::Op::Exists)
            FUZZ_CHECK(matched == !found.empty());
        if (op == tarmac::JsonPredicate::Op::Equals && !found.empty())
            FUZZ_CHECK(matched);
    }
    return 0;
}
