#include "services/s3/s3bodystager.h"

#include "http/httpmessage.h"
#include "services/s3/s3errors.h"
#include "store/digest.h"

#include <QFile>
#include <QIODevice>

#include <thread>

#include <sys/mman.h>
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
        Digest h(Digest::Algorithm::Md5);
        h.add(data, size);
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

// Feeds `file`'s bytes to `consume` through a read-only mapping, one window at a time, and
// drops each window's pages from the mapping once consumed: no copies into buffers, and the
// resident memory it adds stays at one window however large the file (several large uploads
// at once must stay within the 1 GiB multipart memory goal).
bool forEachWindow(int fd, qint64 size, const std::function<void(const char *, qint64)> &consume)
{
    if (size == 0)
        return true;
    void *map = ::mmap(nullptr, size_t(size), PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        return false;
    ::madvise(map, size_t(size), MADV_SEQUENTIAL);
    const char *base = static_cast<const char *>(map);
    constexpr qint64 window = 2 * kChunk;
    for (qint64 at = 0; at < size; at += window) {
        const qint64 n = qMin(window, size - at);
        consume(base + at, n);
        ::madvise(const_cast<char *>(base) + at, size_t(n), MADV_DONTNEED);
    }
    ::munmap(map, size_t(size));
    return true;
}

Result<void> digestFile(const QString &path, ChecksumAlgorithm algorithm, S3StagedBody &out)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Unbuffered))
        return s3errors::internalError(
            QStringLiteral("cannot read the body: ") + file.errorString());
    const qint64 size = file.size();
    const int fd = file.handle();
    // The writeback starts now, so the blob store's sync finds little left to wait for.
    std::thread writeback([fd] { ::fdatasync(fd); });
    QByteArray md5;
    bool md5Ok = true;
    const auto md5Job = [&] {
        Digest h(Digest::Algorithm::Md5);
        md5Ok = forEachWindow(fd, size, [&h](const char *data, qint64 n) { h.add(data, n); });
        md5 = h.result();
    };
    // MD5 cannot be split, and SHA-256 plus a CRC take about as long: side by side.
    std::thread helper;
    if (size >= kParallelDigest)
        helper = std::thread(md5Job);
    else
        md5Job();
    Checksum sha(ChecksumAlgorithm::Sha256);
    Checksum checksum(algorithm);
    const bool ok = forEachWindow(fd, size, [&](const char *data, qint64 n) {
        sha.add(data, n);
        checksum.add(data, n);
    });
    if (helper.joinable())
        helper.join();
    writeback.join();
    if (!ok || !md5Ok)
        return s3errors::internalError(QStringLiteral("cannot map the body"));
    out.size = size;
    out.md5 = md5;
    out.sha256Hex = sha.result().toHex();
    out.checksumAlgorithm = algorithm;
    out.checksum = checksum.result();
    out.path = path;
    return {};
}

} // namespace

Result<S3BodyStager::Staged> S3BodyStager::stage(
    const HttpBody &body, const QString &stagingPath, const Options &options)
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
        digest(data.constData(), data.size(), options.checksumAlgorithm, out,
            [&] { written = file.write(data) == data.size() && ::fdatasync(file.handle()) == 0; });
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
