#pragma once

#include "base/result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <functional>
#include <memory>
#include <optional>

namespace tarmac {

class Checksum;

// Decodes an `aws-chunked` upload body (PROTOCOLS.md §4.5): `<hex size>[;chunk-signature=
// <64 hex>]\r\n<bytes>\r\n` … `0[;chunk-signature=…]\r\n`, then trailer lines `name:value\r\n`
// and a closing `\r\n`. The HTTP layer has already removed any Transfer-Encoding: chunked
// framing; this is the inner layer SDKs add for streaming checksums and signed chunks.
//
// It is incremental and bounded: feed() takes the encoded bytes in any pieces and hands the
// decoded payload to a sink as it goes, holding at most one header or trailer line (4 KiB)
// itself, so bodies of any size decode in constant memory.
//
// Chunk signatures are checked only when a Signing context is given (signature verification
// is on); otherwise they must merely be well-formed. It does not verify trailer checksums
// against the payload: it reports the trailers and the caller compares.
class AwsChunkedDecoder
{
public:
    // The SigV4 streaming context: the request's seed signature (from its Authorization
    // header) and the key and scope that produced it.
    struct Signing
    {
        QByteArray signingKey; // raw 32-byte HMAC key (kSigning)
        QByteArray amzDate; // 20240115T103000Z
        QByteArray scope; // 20240115/us-east-1/s3/aws4_request
        QByteArray seedSignature;
    };

    using Sink = std::function<void(const char *data, qsizetype size)>;

    explicit AwsChunkedDecoder(std::optional<Signing> signing = std::nullopt);
    ~AwsChunkedDecoder();

    // Decodes `input`, calling `sink` for each run of payload bytes. After an error the decoder
    // refuses further input. Errors carry S3's codes (IncompleteBody, InvalidChunkSizeError,
    // SignatureDoesNotMatch, MalformedTrailerError).
    Result<void> feed(QByteArrayView input, const Sink &sink);
    // The input has ended: an error unless the closing line has been read.
    Result<void> finish() const;

    bool isComplete() const { return m_state == State::Done; }
    qint64 decodedSize() const { return m_decoded; }
    // Trailer fields in arrival order, names lower-cased (x-amz-trailer-signature excluded).
    const QList<std::pair<QByteArray, QByteArray>> &trailers() const { return m_trailers; }
    QByteArray trailer(const QByteArray &name) const;

    static constexpr qsizetype kMaxLine = 4096;

private:
    enum class State { SizeLine, Data, DataEnd, Trailer, Done, Failed };

    Result<void> fail(Error error);
    Result<void> onSizeLine();
    Result<void> onTrailerLine();
    Result<void> checkChunkSignature();

    std::optional<Signing> m_signing;
    std::unique_ptr<Checksum> m_chunkHash; // SHA-256 of the current chunk, when verifying
    QByteArray m_previousSignature;
    QByteArray m_chunkSignature;
    QByteArray m_trailerCanonical; // the trailer lines as signed, when verifying

    State m_state = State::SizeLine;
    QByteArray m_line;
    qint64 m_remaining = 0;
    qint64 m_decoded = 0;
    bool m_lastChunk = false;
    bool m_sawSignatures = false;
    QList<std::pair<QByteArray, QByteArray>> m_trailers;
    QByteArray m_trailerSignature;
};

} // namespace tarmac
