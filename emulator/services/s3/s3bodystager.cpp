#include "services/s3/s3bodystager.h"

#include "http/httpmessage.h"
#include "services/s3/s3errors.h"

#include <QFile>
#include <QIODevice>

namespace tarmac {

namespace {

constexpr qint64 kChunk = 1024 * 1024;

void finishInto(BodyDigest &digest, S3StagedBody &body)
{
    digest.finish();
    body.size = digest.size();
    body.md5 = digest.md5();
    body.sha256Hex = digest.sha256Hex();
    body.checksumAlgorithm = digest.checksumAlgorithm();
    body.checksum = digest.checksum();
}

} // namespace

Result<S3BodyStager::Staged> S3BodyStager::stage(const HttpBody &body, const QString &stagingPath,
                                                  const Options &options)
{
    Staged staged;
    BodyDigest digest(options.checksumAlgorithm);

    if (!options.awsChunked && body.isSpooled()) {
        // Already on disk: digest it in place and let the store rename it.
        auto in = body.open();
        QByteArray buffer(kChunk, Qt::Uninitialized);
        while (true) {
            const qint64 n = in->read(buffer.data(), kChunk);
            if (n < 0)
                return s3errors::internalError(QStringLiteral("cannot read the spooled body"));
            if (n == 0)
                break;
            digest.add(buffer.constData(), n);
        }
        staged.body.path = body.filePath();
        staged.ownsFile = false;
        finishInto(digest, staged.body);
        return staged;
    }

    QFile out(stagingPath);
    if (!out.open(QIODevice::WriteOnly | QIODevice::NewOnly | QIODevice::Unbuffered))
        return s3errors::internalError(QStringLiteral("cannot create ") + stagingPath);
    const auto fail = [&out](Error e) {
        out.remove();
        return e;
    };
    bool writeFailed = false;
    qint64 written = 0;
    const auto write = [&](const char *data, qsizetype n) {
        digest.add(data, n);
        written += n;
        if (written > options.maxSize)
            return; // refused below; stop writing
        if (out.write(data, n) != n)
            writeFailed = true;
    };

    if (!options.awsChunked) {
        const QByteArray data = body.toByteArray(); // in memory: small
        write(data.constData(), data.size());
    } else {
        AwsChunkedDecoder decoder(options.signing);
        auto in = body.open();
        QByteArray buffer(kChunk, Qt::Uninitialized);
        while (true) {
            const qint64 n = in->read(buffer.data(), kChunk);
            if (n < 0 && !in->isSequential())
                return fail(s3errors::internalError(QStringLiteral("cannot read the body")));
            if (n <= 0)
                break;
            if (auto r = decoder.feed(QByteArrayView(buffer.constData(), n), write); !r)
                return fail(r.error());
            if (written > options.maxSize)
                break;
        }
        if (written <= options.maxSize) {
            if (auto r = decoder.finish(); !r)
                return fail(r.error());
        }
        staged.trailers = decoder.trailers();
    }
    if (written > options.maxSize)
        return fail(s3errors::entityTooLarge(written, options.maxSize));
    if (writeFailed)
        return fail(s3errors::internalError(QStringLiteral("cannot write the staged body")));
    out.close();
    staged.body.path = stagingPath;
    finishInto(digest, staged.body);
    return staged;
}

} // namespace tarmac
