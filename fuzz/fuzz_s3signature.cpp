// libFuzzer target for S3's request signatures (S3SignatureVerifier): the Authorization header
// in both forms (AWS4-HMAC-SHA256 and SigV2's "AWS AKID:signature"), presigned query strings
// (X-Amz-* and SigV2's AWSAccessKeyId/Expires/Signature), request times (x-amz-date, Date) and
// the canonical request and resource built from the path, query and headers.
//
// Input: a request head as text: "METHOD TARGET" on the first line, then "name: value" lines;
// byte values are kept as they are. The verifier knows one key, "AKID", whose secret is
// "secret"; the request time is checked against a fixed now.
// Invariants: no crash; a refusal is a 4xx with a code from the set S3 uses for them; an accepted
// request names the known key or no key (anonymous); the same request verifies the same way
// twice; checkRequestTime alone agrees with itself on the date headers.

#include "http/httpmessage.h"
#include "services/s3/s3signature.h"

#include "fuzzsupport.h"

#include <QByteArray>
#include <QList>

#include <cstddef>
#include <cstdint>

using namespace tarmac;

namespace {

bool knownRefusal(const Error &e)
{
    static const QStringList codes = {
        QStringLiteral("AccessDenied"),
        QStringLiteral("SignatureDoesNotMatch"),
        QStringLiteral("InvalidAccessKeyId"),
        QStringLiteral("InvalidArgument"),
        QStringLiteral("RequestTimeTooSkewed"),
        QStringLiteral("AuthorizationQueryParametersError"),
    };
    return codes.contains(e.code) && e.httpStatus >= 400 && e.httpStatus < 500;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const S3SignatureVerifier verifier = [] {
        S3SignatureVerifier v;
        v.addCredentials("AKID", "secret");
        return v;
    }();
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    const QList<QByteArray> lines = input.split('\n');
    HttpRequest r;
    const QByteArray first = lines.value(0);
    const qsizetype space = first.indexOf(' ');
    r.method = space < 0 ? first : first.left(space);
    r.target = space < 0 ? QByteArray("/") : first.mid(space + 1);
    const qsizetype q = r.target.indexOf('?');
    r.path = q < 0 ? r.target : r.target.left(q);
    r.query = q < 0 ? QByteArray() : r.target.mid(q + 1);
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        if (colon <= 0)
            continue;
        r.headers.add(lines[i].left(colon).trimmed().toLower(), lines[i].mid(colon + 1).trimmed());
    }

    // 2026-12-06T09:00:00Z, for both the engine's clock and the real one.
    constexpr qint64 now = 1796547600;
    const auto once = verifier.verify(r, now, now);
    const auto again = verifier.verify(r, now, now);
    FUZZ_CHECK(once.ok() == again.ok());
    if (once) {
        FUZZ_CHECK(once->accessKeyId.isEmpty() || once->accessKeyId == "AKID");
    } else {
        FUZZ_CHECK(knownRefusal(once.error()));
        FUZZ_CHECK(once.error() == again.error());
    }
    for (const bool iso : {false, true}) {
        for (const char *name : {"x-amz-date", "date"}) {
            const auto t = S3SignatureVerifier::checkRequestTime(r.header(name), iso, now);
            FUZZ_CHECK(
                t.ok() == S3SignatureVerifier::checkRequestTime(r.header(name), iso, now).ok());
            FUZZ_CHECK(t || knownRefusal(t.error()));
        }
    }
    (void)S3SignatureVerifier::checkPresignedExpiry(r, now);
    return 0;
}
