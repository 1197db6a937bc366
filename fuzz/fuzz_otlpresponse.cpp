// A collector's answer head as the OTLP exporter reads it (trace/otlpresponse.cpp): any bytes
// give a status of 0 or 100-999, a length of -1 or more, and a Retry-After of -1 or 0-3600 s.
#include "fuzzsupport.h"
#include "trace/otlpresponse.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const tarmac::OtlpResponseHead head = tarmac::parseOtlpResponseHead(
        QByteArrayView(reinterpret_cast<const char *>(data), qsizetype(size)));
    FUZZ_CHECK(head.status == 0 || (head.status >= 100 && head.status <= 999));
    FUZZ_CHECK(head.contentLength >= -1);
    FUZZ_CHECK(
        head.retryAfterMs == -1 || (head.retryAfterMs >= 0 && head.retryAfterMs <= 3'600'000));
    FUZZ_CHECK(head.status != 0 || head.close);
    return 0;
}
