// libFuzzer target for the browser form upload reader: MultipartFormParser (multipart/form-data
// parsed as it arrives), S3FormUpload (fields, the file part staged and digested) and, when
// the form carries one, S3PostPolicy (the base64 JSON policy and its conditions).
//
// Input: two control bytes, the boundary, then the body.
//   byte 0  bits 0-6 seed the split points: the body reaches one parser in pieces of 1 to
//           ~300 bytes while a second one gets it whole; bit 7 caps the file at 16 bytes.
//   byte 1  the boundary's length (mod 71; 0 means the fixed "b0undary").
// Invariants: both parsers agree on success, error code, part headers and data (splitting
// must not matter); no part data is invented (it all comes from the body); the reader's staged
// file equals the file part's bytes, digests included, and never exceeds the cap; after an
// error every further feed fails.

#include "http/httpmessage.h"
#include "services/s3/s3formupload.h"
#include "services/s3/s3postpolicy.h"

#include "fuzzsupport.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <QDir>

#include <cstddef>
#include <cstdint>

using namespace tarmac;

namespace {

struct Outcome
{
    bool ok = true;
    QString code;
    QByteArrayList events;
    QByteArray data;
    QByteArray fileData; // the data of the first part named "file"
};

Outcome run(const QByteArray &boundary, QByteArrayView body, unsigned seed)
{
    MultipartFormParser parser(boundary, S3FormUpload::kMaxFieldBytes);
    Outcome out;
    bool inFile = false;
    bool sawFile = false;
    MultipartFormParser::Handler h;
    h.partBegin = [&](const MultipartFormParser::PartHeaders &p) -> Result<void> {
        out.events.append(
            p.name + '\0' + p.fileName + '\0' + p.contentType + (p.hasFileName ? "+" : "-"));
        inFile = !sawFile && p.name.compare("file", Qt::CaseInsensitive) == 0;
        sawFile = sawFile || inFile;
        return {};
    };
    h.partData = [&](const char *d, qsizetype n) -> Result<void> {
        FUZZ_CHECK(n > 0);
        out.data.append(d, n);
        if (inFile)
            out.fileData.append(d, n);
        return {};
    };
    h.partEnd = [&]() -> Result<void> {
        out.events.append("end");
        inFile = false;
        return {};
    };
    const bool fed = fuzz::feedInPieces(body, seed, 300, [&](QByteArrayView piece) {
        auto r = parser.feed(piece, h);
        if (!r) {
            out.ok = false;
            out.code = r.error().code;
        }
        return r.ok();
    });
    if (!fed) {
        FUZZ_CHECK(!parser.feed("--", h));
        return out;
    }
    auto r = parser.finish();
    out.ok = r.ok();
    if (!r)
        out.code = r.error().code;
    FUZZ_CHECK(r.ok() == parser.isDone());
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const unsigned seed = (data[0] & 0x7F) + 1;
    const bool capped = data[0] & 0x80;
    const qsizetype boundaryLength = data[1] % 71;
    if (size < size_t(2 + boundaryLength))
        return 0;
    const QByteArray boundary = boundaryLength == 0
        ? QByteArray("b0undary")
        : QByteArray(reinterpret_cast<const char *>(data) + 2, boundaryLength);
    const QByteArray body(reinterpret_cast<const char *>(data) + 2 + boundaryLength,
        qsizetype(size) - 2 - boundaryLength);

    // The Content-Type parser sees the boundary too.
    (void)MultipartFormParser::boundaryFrom("multipart/form-data; boundary=\"" + boundary + '"');

    const Outcome whole = run(boundary, body, 0);
    const Outcome pieces = run(boundary, body, seed);
    FUZZ_CHECK(whole.ok == pieces.ok);
    FUZZ_CHECK(whole.code == pieces.code);
    FUZZ_CHECK(whole.events == pieces.events);
    FUZZ_CHECK(whole.data == pieces.data);
    FUZZ_CHECK(whole.data.size() <= body.size());

    // The reader over the same body, in memory as small HTTP bodies are.
    static const QString staging = QDir::tempPath() + QStringLiteral("/fuzz_s3formupload.staged");
    QFile::remove(staging);
    S3Form seen;
    qint64 fileSize = -1;
    auto upload = S3FormUpload::read(
        HttpBody(body), boundary, staging,
        [&](const S3Form &form) -> Result<S3FormUpload::FileOptions> {
            seen = form;
            S3FormUpload::FileOptions options;
            options.checksumAlgorithm = ChecksumAlgorithm::Crc32c;
            if (capped)
                options.maxSize = 16;
            return options;
        },
        &fileSize);
    if (upload) {
        FUZZ_CHECK(whole.ok);
        FUZZ_CHECK(upload->form.hasFile);
        const S3StagedBody &staged = upload->body;
        FUZZ_CHECK(staged.path.isEmpty()); // fuzz inputs stay under the in-row limit
        FUZZ_CHECK(staged.data == whole.fileData);
        FUZZ_CHECK(staged.size == staged.data.size());
        FUZZ_CHECK(!capped || staged.size <= 16);
        FUZZ_CHECK(staged.md5 == QCryptographicHash::hash(staged.data, QCryptographicHash::Md5));
        FUZZ_CHECK(staged.checksum == Checksum::compute(ChecksumAlgorithm::Crc32c, staged.data));
        qsizetype fieldBytes = 0;
        for (const auto &[name, value] : upload->form.fields) {
            FUZZ_CHECK(name == name.toLower());
            fieldBytes += value.size();
        }
        FUZZ_CHECK(fieldBytes <= S3FormUpload::kMaxFieldBytes);
        (void)upload->form.objectKey();
    } else if (upload.error().code == QLatin1String("EntityTooLarge")) {
        FUZZ_CHECK(capped && fileSize > 16 && fileSize == whole.fileData.size());
    }
    FUZZ_CHECK(!QFile::exists(staging));

    // A policy among the fields: parsed and checked like PostObject does.
    const QByteArray policyField = seen.value("policy");
    if (!policyField.isEmpty()) {
        auto policy = S3PostPolicy::parse(policyField);
        if (policy) {
            (void)policy->check(seen, QStringLiteral("bucket"), 0);
            (void)policy->checkSize(whole.fileData.size());
        }
    }
    // And the body itself as a policy (base64 JSON), for the JSON shapes.
    if (auto policy = S3PostPolicy::parse(body.toBase64()); policy) {
        S3Form form;
        form.fields = {{"key", "k"}, {"content-type", "a, b"}};
        (void)policy->check(form, QStringLiteral("b"), 1);
        (void)policy->contentLengthRange();
    }
    return 0;
}
