#include "services/s3/s3bodystager.h"

#include "http/httpmessage.h"
#include "services/s3/s3errors.h"

#include <QCryptographicHash>
#include <QFile>
#include <QIODevice>

#include <thread>

#include <unistd.h>

namespace tarmac {

namespace {

constexpr qint64 kChunk = 1024 * 1024;
// Below this, a second thread costs more than it saves.
constexpr qint64 kParallelDigest = 1024 * 1024;

// MD5 (the ETag) cannot be split, and SHA-256 plus a CRC take about as long: on a large body
// they run side by side, MD5 on a helper thread. `alongside`, when set, runs on a third
// thread meanwhile (the file's writeback, so the blob store's sync finds nothing left to do).
void digest(const char *data, qint64 size, ChecksumAlgorithm algorithm, S3StagedBody &out,
            const std::function<void()> &alongside = {})
{
    QByteArray md5;
    const auto md5Job = [&md5, data, size] {
        QCryptographicHash h(QCryptographicHash::Md5);
        h.addData(QByteArrayView(data, size));
        md5 = h.result();
    };
    std::thread helper;
    std::thread third;
    if (alongside)
        third = std::thread(alongside);
    if (size >= kParallelDigest)
        helper = std::thread(md5Job);
    else
        md5Job();
    Checksum sha(ChecksumAlgorithm::Sha256);
    Checksum checksum(algorithm);
    sha.add(data, size);
    checksum.add(data, size);
    if (helper.joinable())
        helper.join();
    if (third.joinable())
        third.join();
    out.size = size;
    out.md5 = md5;
    out.sha256Hex = sha.result().toHex();
    out.checksumAlgorithm = algorithm;
    out.checksum = checksum.result();
}

Result<void> digestFile(const QString &path, ChecksumAlgorithm algorithm, S3StagedBody &out)
{
    // Read, not mapped: mapped pages count as the process's resident memory, and several
    // large uploads at once would add up (the 1 GiB multipart goal is 60 MB of RSS).
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Unbuffered))
        return s3errors::internalError(QStringLiteral("cannot read the body: ") + file.errorString());
    const qint64 size = file.size();
    const int fd = file.handle();
    std::thread writeback([fd] { ::fdatasync(fd); });
    QByteArray md5;
    bool md5Failed = false;
    std::thread helper([&] {
        QFile again(path);
        QCryptographicHash h(QCryptographicHash::Md5);
        if (!again.open(QIODevice::ReadOnly | QIODevice::Unbuffered)) {
            md5Failed = true;
            return;
        }
        QByteArray buffer(kChunk, Qt::Uninitialized);
        qint64 n;
        while ((n = again.read(buffer.data(), kChunk)) > 0)
            h.addData(QByteArrayView(buffer.constData(), n));
        md5Failed = n < 0;
        md5 = h.result();
    });
    Checksum sha(ChecksumAlgorithm::Sha256);
    Checksum checksum(algorithm);
    QByteArray buffer(kChunk, Qt::Uninitialized);
    qint64 total = 0;
    qint64 n;
    while ((n = file.read(buffer.data(), kChunk)) > 0) {
        sha.add(buffer.constData(), n);
        checksum.add(buffer.constData(), n);
        total += n;
    }
    helper.join();
    writeback.join();
    if (n < 0 || md5Failed || total != size)
        return s3errors::internalError(QStringLiteral("cannot read the body"));
    out.size = size;
    out.md5 = md5;
    out.sha256Hex = sha.result().toHex();
    out.checksumAlgorithm = algorithm;
    out.checksum = checksum.result();
    out.path = path;
    return {};
}

} // namespace

Result<S3BodyStager::Staged> S3BodyStager::stage(const HttpBody &body, const QString &stagingPath,
                                                  const Options &options)
{
    Staged staged;
    S3StagedBody &out = staged.body;

    if (!options.awsChunked) {
        if (body.size() > options.maxSize)
            return s3errors::entityTooLarge(body.size(), options.maxSize);
        if (body.isSpooled()) {
            // Already on disk: digest it in place and let the store rename it.
            staged.ownsFile = false;
            if (auto r = digestFile(body.filePath(), options.checksumAlgorithm, out); !r)
                return r.error();
            return staged;
        }
        const QByteArray data = body.toByteArray();
        if (data.size() <= S3Store::kInlineLimit) {
            digest(data.constData(), data.size(), options.checksumAlgorithm, out);
            out.data = data;
            return staged;
        }
        QFile file(stagingPath);
        if (!file.open(QIODevice::WriteOnly | QIODevice::NewOnly | QIODevice::Unbuffered))
            return s3errors::internalError(QStringLiteral("cannot create ") + stagingPath);
        bool written = false;
        digest(data.constData(), data.size(), options.checksumAlgorithm, out, [&] {
            written = file.write(data) == data.size() && ::fdatasync(file.handle()) == 0;
        });
        if (!written) {
            file.remove();
            return s3errors::internalError(QStringLiteral("cannot write the staged body"));
        }
        out.path = stagingPath;
        return staged;
    }

    // aws-chunked: decode into memory while the body is small, into the staging file beyond.
    QByteArray small;
    QFile file(stagingPath);
    bool spilled = false;
    bool writeFailed = false;
    qint64 written = 0;
    const auto sink = [&](const char *data, qsizetype n) {
        written += n;
        if (written > options.maxSize || writeFailed)
            return; // refused below; stop storing
        if (!spilled && small.size() + n <= S3Store::kInlineLimit) {
            small.append(data, n);
            return;
        }
        if (!spilled) {
            spilled = true;
            if (!file.open(QIODevice::WriteOnly | QIODevice::NewOnly | QIODevice::Unbuffered)
                || file.write(small) != small.size()) {
                writeFailed = true;
                return;
            }
            small = QByteArray();
        }
        if (file.write(data, n) != n)
            writeFailed = true;
    };
    const auto fail = [&](Error e) {
        if (spilled)
            file.remove();
        return e;
    };
    AwsChunkedDecoder decoder(options.signing);
    auto in = body.open();
    QByteArray buffer(kChunk, Qt::Uninitialized);
    while (true) {
        const qint64 n = in->read(buffer.data(), kChunk);
        if (n < 0 && !in->isSequential())
            return fail(s3errors::internalError(QStringLiteral("cannot read the body")));
        if (n <= 0)
            break;
        if (auto r = decoder.feed(QByteArrayView(buffer.constData(), n), sink); !r)
            return fail(r.error());
        if (written > options.maxSize)
            return fail(s3errors::entityTooLarge(written, options.maxSize));
    }
    if (auto r = decoder.finish(); !r)
        return fail(r.error());
    if (writeFailed)
        return fail(s3errors::internalError(QStringLiteral("cannot write the staged body")));
    staged.trailers = decoder.trailers();
    if (!spilled) {
        digest(small.constData(), small.size(), options.checksumAlgorithm, out);
        out.data = small;
        return staged;
    }
    file.close();
    if (auto r = digestFile(stagingPath, options.checksumAlgorithm, out); !r)
        return fail(r.error());
    return staged;
}

} // namespace tarmac
