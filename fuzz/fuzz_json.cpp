// parseJson's reader against nlohmann's parser on any input: both read it or both refuse it,
// and what they read is the same document with the same types (base/json.cpp); and what
// toJsonBytes writes of it is byte for byte what nlohmann's dump() writes.
#include "base/json.h"
#include "base/jsoncompare.h"
#include "fuzzsupport.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    const tarmac::Result<tarmac::Json> ours = tarmac::parseJson(text);
    const tarmac::Json theirs = tarmac::Json::parse(text.begin(), text.end(), nullptr, false);
    FUZZ_CHECK(bool(ours) == !theirs.is_discarded());
    if (ours) {
        FUZZ_CHECK(tarmac::identicalJson(*ours, theirs));
        const std::string dumped
            = theirs.dump(-1, ' ', false, tarmac::Json::error_handler_t::replace);
        FUZZ_CHECK(
            tarmac::toJsonBytes(*ours) == QByteArrayView(dumped.data(), qsizetype(dumped.size())));
    }
    return 0;
}
