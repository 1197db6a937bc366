// libFuzzer target for AwsChunkedDecoder, the parser of S3 upload bodies framed as aws-chunked.
//
// Input: one control byte, then the encoded body.
//   byte 0  bit 0: verify chunk signatures with a fixed signing context (the AWS example's);
//           bits 1-7 seed the split points, so the body reaches one decoder in pieces of
//           1 to ~130 bytes while a second decoder gets it whole.
// Invariants: both decoders agree on success, error code, payload and trailers (splitting must
// not matter); the decoded size equals the payload handed to the sink; nothing is buffered
// beyond one line; after an error, every further feed fails.

#include "services/s3/awschunkeddecoder.h"

#include "fuzzsupport.h"

#include <QByteArray>

#include <cstddef>
#include <cstdint>

using tarmac::AwsChunkedDecoder;

namespace {

struct Outcome
{
    bool ok = true;
    QString code;
    QByteArray payload;
    QList<std::pair<QByteArray, QByteArray>> trailers;
};

std::optional<AwsChunkedDecoder::Signing> signing(bool on)
{
    if (!on)
        return std::nullopt;
    return AwsChunkedDecoder::Signing {
        QByteArray::fromHex("dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378"),
        "20130524T000000Z", "20130524/us-east-1/s3/aws4_request",
        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"};
}

Outcome run(QByteArrayView input, bool sign, unsigned seed)
{
    AwsChunkedDecoder decoder(signing(sign));
    Outcome out;
    const auto sink = [&out](const char *data, qsizetype n) {
        FUZZ_CHECK(n > 0);
        out.payload.append(data, n);
    };
    const bool fed = tarmac::fuzz::feedInPieces(input, seed, 130, [&](QByteArrayView piece) {
        auto r = decoder.feed(piece, sink);
        if (!r) {
            out.ok = false;
            out.code = r.error().code;
        }
        return r.ok();
    });
    if (!fed) {
        FUZZ_CHECK(!decoder.feed("0\r\n\r\n", sink));
        return out;
    }
    auto r = decoder.finish();
    out.ok = r.ok();
    if (!r)
        out.code = r.error().code;
    FUZZ_CHECK(decoder.decodedSize() == out.payload.size());
    FUZZ_CHECK(r.ok() == decoder.isComplete());
    out.trailers = decoder.trailers();
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const bool sign = data[0] & 1;
    const unsigned seed = (data[0] >> 1) + 1;
    const QByteArrayView input(reinterpret_cast<const char *>(data) + 1, qsizetype(size - 1));
    const Outcome whole = run(input, sign, 0);
    const Outcome pieces = run(input, sign, seed);
    FUZZ_CHECK(whole.ok == pieces.ok);
    FUZZ_CHECK(whole.code == pieces.code);
    if (whole.ok) {
        FUZZ_CHECK(whole.payload == pieces.payload);
        FUZZ_CHECK(whole.trailers == pieces.trailers);
        FUZZ_CHECK(whole.payload.size() <= input.size());
    }
    return 0;
}
