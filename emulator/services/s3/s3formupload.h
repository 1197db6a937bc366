#pragma once

#include "base/result.h"
#include "services/s3/s3store.h"

#include <QByteArray>
#include <QByteArrayMatcher>
#include <QList>

#include <functional>

namespace tarmac {

class HttpBody;

// A multipart/form-data body (RFC 7578, RFC 2046 §5.1) parsed as it arrives, in pieces of
// any size: part headers are handed over once complete, part bodies as they stream through,
// so a 5 GiB file part never sits in memory. The parser holds back at most one delimiter's
// worth of body bytes and one part's header block (capped). Lines end in CRLF exactly; the
// preamble and epilogue are ignored. It knows nothing of S3: errors are MalformedPOSTRequest.
class MultipartFormParser
{
public:
    struct PartHeaders
    {
        QByteArray name; // Content-Disposition's name, as sent
        QByteArray fileName; // Content-Disposition's filename, as sent
        bool hasFileName = false;
        QByteArray contentType; // the part's Content-Type, empty when absent
        qsizetype rawSize = 0; // bytes of the header block, CRLFs included
    };

    // Return an error to stop parsing; feed() hands it back.
    struct Handler
    {
        std::function<Result<void>(const PartHeaders &)> partBegin;
        std::function<Result<void>(const char *data, qsizetype size)> partData;
        std::function<Result<void>()> partEnd;
    };

    static constexpr qsizetype kMaxBoundary = 70;

    // `boundary` without the leading "--"; 1 to kMaxBoundary bytes.
    MultipartFormParser(const QByteArray &boundary, qsizetype maxHeaderBytes);

    Result<void> feed(QByteArrayView data, const Handler &handler);
    // MalformedPOSTRequest unless the close delimiter has been seen.
    Result<void> finish() const;
    bool isDone() const { return m_state == State::Epilogue; }

    // The boundary parameter of a Content-Type: PreconditionFailed (as S3) when the type is
    // not multipart/form-data, MalformedPOSTRequest when the boundary is missing or invalid.
    static Result<QByteArray> boundaryFrom(const QByteArray &contentType);
    static Error malformed();

private:
    enum class State { Preamble, AfterDelimiter, Padding, Headers, Body, Epilogue, Failed };

    Result<void> step(const Handler &handler, bool *progress);
    Result<void> headerLine(QByteArrayView line);
    Result<void> headersDone();
    Result<void> fail(Error error);

    QByteArray m_delimiter; // CRLF "--" boundary
    QByteArrayMatcher m_matcher;
    qsizetype m_maxHeaderBytes;
    State m_state = State::Preamble;
    QByteArray m_buffer;
    qsizetype m_pos = 0; // the first unread byte of m_buffer
    qsizetype m_headerBytes = 0;
    PartHeaders m_part;
    QList<QByteArray> m_headers; // the part's header lines so far, folded lines joined
};

// What a browser form POST sent before its file: the text fields, names lower-cased (S3
// matches them without case), values as sent, in order; and the file part's headers.
struct S3Form
{
    QList<std::pair<QByteArray, QByteArray>> fields;
    bool hasFile = false;
    QByteArray fileName;
    QByteArray fileContentType;

    // The first value of a field (`name` lower-case); empty when absent.
    QByteArray value(QByteArrayView name) const;
    bool contains(QByteArrayView name) const;
    // The key field with ${filename} replaced by the file part's filename, as S3 names the
    // object.
    QByteArray objectKey() const;
};

// Reads a PostObject body (S3's browser form upload): collects the fields that precede the
// `file` part (S3 requires the file last and ignores what follows it), at most
// kMaxFieldBytes of them, then streams the file into an S3StagedBody exactly as a PUT's body
// is staged: digested (size, MD5, SHA-256, one flexible checksum) in the same pass, kept in
// memory up to S3Store::kInlineLimit, written to the staging file beyond. Memory stays
// bounded whatever the body's size. It checks no policy and no digest: the caller decides,
// once the fields are known and before a byte of the file is stored, through `FileCheck`.
class S3FormUpload
{
public:
    // S3: "The form data and boundaries (excluding the contents of the file) cannot exceed
    // 20KB."
    static constexpr qsizetype kMaxFieldBytes = 20 * 1024;

    struct FileOptions
    {
        ChecksumAlgorithm checksumAlgorithm = ChecksumAlgorithm::None;
        qint64 maxSize = S3Store::kMaxPutSize; // beyond it: EntityTooLarge, nothing kept
    };
    // Called once: when the file part begins (form.hasFile), or at the end of a body that
    // has none. An error ends the reading and is returned as is.
    using FileCheck = std::function<Result<FileOptions>(const S3Form &form)>;

    struct Upload
    {
        S3Form form;
        S3StagedBody body;
    };

    // When the file exceeds FileOptions::maxSize the body is still parsed to its end (so the
    // error can name the size) but the file's bytes are dropped; the error is EntityTooLarge
    // with the full size in `*fileSize`.
    static Result<Upload> read(const HttpBody &body, const QByteArray &boundary,
        const QString &stagingPath, const FileCheck &check, qint64 *fileSize = nullptr);
};

} // namespace tarmac
