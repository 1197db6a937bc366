#include "services/s3/awschunkeddecoder.h"

#include "services/s3/s3checksum.h"

namespace tarmac {

namespace {

const QByteArray kEmptySha256
    = QByteArrayLiteral("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

Error incomplete(const QString &message)
{
    return makeError(QStringLiteral("IncompleteBody"), message, 400);
}

Error badTrailer(const QString &message)
{
    return makeError(QStringLiteral("MalformedTrailerError"), message, 400);
}

bool isHex(QByteArrayView s)
{
    for (const char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

} // namespace

AwsChunkedDecoder::AwsChunkedDecoder(std::optional<Signing> signing)
    : m_signing(std::move(signing))
{
    if (m_signing) {
        m_previousSignature = m_signing->seedSignature;
        m_chunkHash = std::make_unique<Checksum>(ChecksumAlgorithm::Sha256);
    }
}

AwsChunkedDecoder::~AwsChunkedDecoder() = default;

QByteArray AwsChunkedDecoder::trailer(const QByteArray &name) const
{
    for (const auto &[n, v] : m_trailers) {
        if (n == name)
            return v;
    }
    return {};
}

Result<void> AwsChunkedDecoder::fail(Error error)
{
    m_state = State::Failed;
    m_line.clear();
    return error;
}

Result<void> AwsChunkedDecoder::feed(QByteArrayView input, const Sink &sink)
{
    const char *p = input.data();
    const char *end = p + input.size();
    while (p < end) {
        switch (m_state) {
        case State::Failed:
            return incomplete(QStringLiteral("The aws-chunked body was already malformed"));
        case State::Done:
            return fail(incomplete(QStringLiteral("Data after the end of the aws-chunked body")));
        case State::Data: {
            const qint64 n = qMin<qint64>(m_remaining, end - p);
            if (m_chunkHash)
                m_chunkHash->add(p, n);
            sink(p, n);
            m_decoded += n;
            m_remaining -= n;
            p += n;
            if (m_remaining == 0)
                m_state = State::DataEnd;
            break;
        }
        case State::SizeLine:
        case State::DataEnd:
        case State::Trailer: {
            const char *nl = static_cast<const char *>(memchr(p, '\n', size_t(end - p)));
            const qsizetype take = nl ? nl - p + 1 : end - p;
            if (m_line.size() + take > kMaxLine)
                return fail(incomplete(QStringLiteral("An aws-chunked line is too long")));
            m_line.append(p, take);
            p += take;
            if (!nl)
                break;
            if (!m_line.endsWith("\r\n"))
                return fail(incomplete(QStringLiteral("An aws-chunked line must end with CRLF")));
            m_line.chop(2);
            Result<void> r;
            if (m_state == State::DataEnd) {
                if (!m_line.isEmpty())
                    r = fail(
                        incomplete(QStringLiteral("A chunk is longer than its size line says")));
                else if (m_signing)
                    r = checkChunkSignature();
                if (r)
                    m_state = State::SizeLine;
            } else if (m_state == State::SizeLine) {
                r = onSizeLine();
            } else {
                r = onTrailerLine();
            }
            m_line.clear();
            if (!r)
                return r;
            break;
        }
        }
    }
    return {};
}

Result<void> AwsChunkedDecoder::onSizeLine()
{
    QByteArrayView line(m_line);
    QByteArrayView sizePart = line;
    QByteArrayView signature;
    if (const qsizetype semi = line.indexOf(';'); semi >= 0) {
        sizePart = line.first(semi);
        const QByteArrayView extension = line.sliced(semi + 1);
        if (!extension.startsWith("chunk-signature="))
            return fail(incomplete(QStringLiteral("Unknown aws-chunked chunk extension")));
        signature = extension.sliced(16);
        if (signature.size() != 64 || !isHex(signature))
            return fail(makeError(QStringLiteral("InvalidChunkSizeError"),
                QStringLiteral("Malformed chunk signature"), 400));
    }
    if (sizePart.isEmpty() || sizePart.size() > 15 || !isHex(sizePart))
        return fail(makeError(QStringLiteral("InvalidChunkSizeError"),
            QStringLiteral("Malformed aws-chunked chunk size"), 400));
    const qint64 size = QByteArray(sizePart.data(), sizePart.size()).toLongLong(nullptr, 16);
    if (m_sawSignatures != !signature.isEmpty() && (m_decoded > 0 || m_lastChunk))
        return fail(incomplete(QStringLiteral("Chunks must all be signed or all unsigned")));
    m_sawSignatures = !signature.isEmpty();
    if (m_signing && signature.isEmpty())
        return fail(makeError(QStringLiteral("SignatureDoesNotMatch"),
            QStringLiteral("A chunk carries no signature"), 403));
    m_chunkSignature = signature.toByteArray().toLower();
    if (size == 0) {
        m_lastChunk = true;
        if (m_signing) {
            if (auto r = checkChunkSignature(); !r)
                return r;
        }
        m_state = State::Trailer;
        return {};
    }
    m_remaining = size;
    m_state = State::Data;
    // The signature covers the chunk's bytes, which have not arrived yet: checked at the
    // chunk's closing CRLF, when they have.
    return {};
}

Result<void> AwsChunkedDecoder::checkChunkSignature()
{
    const QByteArray chunkHash = m_chunkHash->result().toHex();
    *m_chunkHash = Checksum(ChecksumAlgorithm::Sha256);
    const QByteArray toSign = "AWS4-HMAC-SHA256-PAYLOAD\n" + m_signing->amzDate + '\n'
        + m_signing->scope + '\n' + m_previousSignature + '\n' + kEmptySha256 + '\n' + chunkHash;
    const QByteArray expected = hmacSha256(m_signing->signingKey, toSign).toHex();
    if (!constantTimeEqual(expected, m_chunkSignature))
        return fail(makeError(QStringLiteral("SignatureDoesNotMatch"),
            QStringLiteral("The chunk signature does not match"), 403));
    m_previousSignature = expected;
    return {};
}

Result<void> AwsChunkedDecoder::onTrailerLine()
{
    if (m_line.isEmpty()) {
        if (m_signing && !m_trailers.isEmpty() && m_trailerSignature.isEmpty())
            return fail(makeError(QStringLiteral("SignatureDoesNotMatch"),
                QStringLiteral("The trailer carries no signature"), 403));
        m_state = State::Done;
        return {};
    }
    const qsizetype colon = m_line.indexOf(':');
    if (colon <= 0)
        return fail(badTrailer(QStringLiteral("A trailer line is not name:value")));
    const QByteArray name = m_line.first(colon).trimmed().toLower();
    const QByteArray value = m_line.sliced(colon + 1).trimmed();
    if (name.isEmpty() || !m_trailerSignature.isEmpty())
        return fail(badTrailer(QStringLiteral("Malformed trailer")));
    if (name == "x-amz-trailer-signature") {
        if (value.size() != 64 || !isHex(value))
            return fail(badTrailer(QStringLiteral("Malformed trailer signature")));
        m_trailerSignature = value.toLower();
        if (m_signing) {
            const QByteArray toSign = "AWS4-HMAC-SHA256-TRAILER\n" + m_signing->amzDate + '\n'
                + m_signing->scope + '\n' + m_previousSignature + '\n'
                + sha256Hex(m_trailerCanonical);
            const QByteArray expected = hmacSha256(m_signing->signingKey, toSign).toHex();
            if (!constantTimeEqual(expected, m_trailerSignature))
                return fail(makeError(QStringLiteral("SignatureDoesNotMatch"),
                    QStringLiteral("The trailer signature does not match"), 403));
        }
        return {};
    }
    if (m_trailers.size() >= 16)
        return fail(badTrailer(QStringLiteral("Too many trailers")));
    m_trailers.append({name, value});
    m_trailerCanonical += name + ':' + value + '\n';
    return {};
}

Result<void> AwsChunkedDecoder::finish() const
{
    if (m_state == State::Done)
        return {};
    if (m_state == State::Trailer)
        return incomplete(QStringLiteral("The aws-chunked body ends before its closing line"));
    return incomplete(QStringLiteral("The aws-chunked body ends before its last chunk"));
}

} // namespace tarmac
