#pragma once

#include "base/result.h"
#include "services/s3/awschunkeddecoder.h"
#include "services/s3/s3store.h"

#include <optional>

namespace tarmac {

class HttpBody;

// Turns an upload's request body into an S3StagedBody: decoded (aws-chunked) when the client
// framed it so, written to a file on the state's filesystem, and digested (size, MD5, SHA-256,
// one flexible checksum) in the same pass, in bounded memory. A plain body that the HTTP
// server already spooled to disk is digested where it lies and adopted by rename, not copied.
// It checks nothing the client claimed: the API compares digests with headers and trailers.
class S3BodyStager
{
public:
    struct Options
    {
        bool awsChunked = false;
        std::optional<AwsChunkedDecoder::Signing> signing;
        ChecksumAlgorithm checksumAlgorithm = ChecksumAlgorithm::None;
        qint64 maxSize = S3Store::kMaxPutSize;
    };

    struct Staged
    {
        S3StagedBody body;
        QList<std::pair<QByteArray, QByteArray>> trailers; // aws-chunked trailers
        bool ownsFile = true; // false: the file is the HTTP server's spool (it removes leftovers)
    };

    static Result<Staged> stage(
        const HttpBody &body, const QString &stagingPath, const Options &options);
};

} // namespace tarmac
