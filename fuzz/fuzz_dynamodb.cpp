// libFuzzer target for what DynamoDB's API will read from clients: attribute values and items
// in the wire JSON (services/dynamodb/ddbvalue), numbers (ddbnumber) and expressions
// (ddbexpression: condition, projection and update expressions over a sample item).
//
// The input's first byte picks the reader; the rest is its input. Whatever comes, reading must
// end with a value or with DynamoDB's own 4xx error (never an exception or a crash), and what
// it gives must hold together: an item that was accepted is accepted again as it came back
// (normalised), its size is within the limit, and it equals itself; two numbers that parsed
// compare the same way as their sort keys, and a + b - b gives a back when nothing overflowed.
//
// Any broken invariant calls __builtin_trap(), which libFuzzer reports as a crash.

#include "services/dynamodb/ddbexpression.h"
#include "services/dynamodb/ddbnumber.h"
#include "services/dynamodb/ddbvalue.h"

#include "fuzzsupport.h"

#include <cstddef>
#include <cstdint>
#include <cstring>

using namespace tarmac;

namespace {

void checkError(const Error &e)
{
    FUZZ_CHECK(!e.code.isEmpty() && !e.message.isEmpty());
    FUZZ_CHECK(e.httpStatus >= 400 && e.httpStatus < 500);
}

int sign(int v)
{
    return (v > 0) - (v < 0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const int reader = data[0] % 3;
    const QByteArray bytes(reinterpret_cast<const char *>(data) + 1, qsizetype(size) - 1);
    switch (reader) {
    case 0: { // an item: {"name": {"S": "..."}, ...}
        auto json = parseJson(bytes);
        if (!json)
            return 0;
        auto item = checkItem(*json);
        if (!item) {
            checkError(item.error());
            break;
        }
        FUZZ_CHECK(itemSize(*item) <= kDdbMaxItemSize);
        auto again = checkItem(*item);
        FUZZ_CHECK(again && *again == *item);
        for (auto it = item->begin(); it != item->end(); ++it)
            FUZZ_CHECK(equalValues(it.value(), it.value()));
        break;
    }
    case 1: { // two numbers, split at the first space
        const QString text = QString::fromUtf8(bytes);
        const qsizetype space = text.indexOf(u' ');
        auto a = DdbNumber::parse(space < 0 ? QStringView(text) : QStringView(text).left(space));
        if (!a) {
            checkError(a.error());
            break;
        }
        FUZZ_CHECK(DdbNumber::parse(a->toString()).ok());
        if (space < 0)
            break;
        auto b = DdbNumber::parse(QStringView(text).mid(space + 1));
        if (!b) {
            checkError(b.error());
            break;
        }
        const QByteArray ka = a->sortKey();
        const QByteArray kb = b->sortKey();
        const int byKey = sign(
            std::memcmp(ka.constData(), kb.constData(), size_t(std::min(ka.size(), kb.size())))
                ?: int(ka.size() > kb.size()) - int(ka.size() < kb.size()));
        FUZZ_CHECK(byKey == a->compare(*b));
        auto sum = a->add(*b);
        if (!sum) {
            checkError(sum.error());
            break;
        }
        auto back = sum->subtract(*b);
        if (back)
            FUZZ_CHECK(*back == *a);
        break;
    }
    case 2: { // an expression, with sample names and values, against a sample item
        static const Json names = Json::parse(R"j({"#n": "name", "#l": "list", "#m": "map"})j");
        static const Json values = Json::parse(
            R"j({":s": {"S": "ab"}, ":n": {"N": "2"}, ":l": {"L": [{"N": "1"}]},
                ":ss": {"SS": ["x"]}})j");
        static const Json item = Json::parse(
            R"j({"name": {"S": "abc"}, "count": {"N": "5"}, "list": {"L": [{"S": "a"}]},
                "map": {"M": {"k": {"SS": ["x", "y"]}}}, "flag": {"BOOL": true}})j");
        const QString text = QString::fromUtf8(bytes);
        DdbExpressionContext ctx {&names, &values, {}, {}};
        if (auto c = DdbCondition::parse(text, ctx))
            (void)c->evaluate(item);
        else
            checkError(c.error());
        if (auto p = DdbProjection::parse(text, ctx))
            (void)p->apply(item);
        else
            checkError(p.error());
        if (auto u = DdbUpdate::parse(text, ctx)) {
            auto updated = u->apply(item);
            if (updated)
                FUZZ_CHECK(updated->is_object());
            else
                checkError(updated.error());
        } else {
            checkError(u.error());
        }
        (void)checkAllUsed(ctx);
        break;
    }
    }
    return 0;
}
