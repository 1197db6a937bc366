// Tarmac's OTLP receiver (POST /v1/traces and /v1/logs on the edge port) on any body: the
// protobuf decoder (trace/otlpprotobuf.cpp) either refuses it or gives a document that encodes
// again, and reading records from it (trace/otlpimport.cpp), or from any JSON, never fails
// and keeps only records with valid ids.
#include "base/json.h"
#include "fuzzsupport.h"
#include "trace/otlpimport.h"
#include "trace/otlpprotobuf.h"

#include <cstddef>
#include <cstdint>

namespace {

void checkImported(const tarmac::otlp::Imported &in)
{
    for (const tarmac::Span &s : in.spans) {
        FUZZ_CHECK(s.traceId.size() == 32 && s.spanId.size() == 16);
        FUZZ_CHECK(s.endNs >= s.startNs && s.startNs > 0);
        FUZZ_CHECK(s.kind >= 0 && s.kind <= 5);
    }
    for (const tarmac::LogRecord &l : in.logs)
        FUZZ_CHECK(l.traceId.isEmpty() || l.traceId.size() == 32);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace tarmac;
    const QByteArrayView bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    for (const otlp::Signal signal : {otlp::Signal::Traces, otlp::Signal::Logs}) {
        const Result<Json> decoded = otlp::protobufToJson(bytes, signal);
        if (!decoded)
            continue;
        checkImported(signal == otlp::Signal::Traces ? otlp::importTraces(*decoded)
                                                     : otlp::importLogs(*decoded));
        FUZZ_CHECK(bool(otlp::protobufToJson(otlp::jsonToProtobuf(*decoded, signal), signal)));
    }
    if (const Result<Json> json = parseJson(bytes.toByteArray())) {
        checkImported(otlp::importTraces(*json));
        checkImported(otlp::importLogs(*json));
    }
    return 0;
}
