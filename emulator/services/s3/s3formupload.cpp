#include "services/s3/s3formupload.h"

#include "http/httpmessage.h"
#include "services/s3/s3errors.h"

#include <QFile>
#include <QIODevice>

#include <memory>

namespace tarmac {

namespace {

constexpr qint64 kReadChunk = 1024 * 1024;

bool isSpace(char c)
{
    return c == ' ' || c == '\t';
}

QByteArrayView trimmed(QByteArrayView v)
{
    while (!v.isEmpty() && isSpace(v.front()))
        v = v.sliced(1);
    while (!v.isEmpty() && isSpace(v.back()))
        v.chop(1);
    return v;
}

// The parameters of a Content-Disposition or Content-Type value ("type; a=b; c=\"d\""),
// names lower-cased, quoted strings unescaped; the first of a repeated name wins. False when
// a quoted string is not closed.
bool parseParameters(
    QByteArrayView value, QByteArray *type, QList<std::pair<QByteArray, QByteArray>> *params)
{
    qsizetype at = value.indexOf(';');
    *type = trimmed(at < 0 ? value : value.first(at)).toByteArray().toLower();
    if (at < 0)
        return true;
    ++at;
    while (at < value.size()) {
        while (at < value.size() && (isSpace(value[at]) || value[at] == ';'))
            ++at;
        if (at >= value.size())
            break;
        qsizetype end = at;
        while (end < value.size() && value[end] != '=' && value[end] != ';')
            ++end;
        const QByteArray name = trimmed(value.sliced(at, end - at)).toByteArray().toLower();
        QByteArray v;
        at = end;
        if (at < value.size() && value[at] == '=') {
            ++at;
            while (at < value.size() && isSpace(value[at]))
                ++at;
            if (at < value.size() && value[at] == '"') {
                ++at;
                bool closed = false;
                while (at < value.size()) {
                    const char c = value[at++];
                    if (c == '"') {
                        closed = true;
                        break;
                    }
                    if (c == '\\' && at < value.size())
                        v += value[at++];
                    else
                        v += c;
                }
                if (!closed)
                    return false;
                while (at < value.size() && value[at] != ';')
                    ++at; // anything after the closing quote up to the next parameter
            } else {
                end = at;
                while (end < value.size() && value[end] != ';')
                    ++end;
                v = trimmed(value.sliced(at, end - at)).toByteArray();
                at = end;
            }
        }
        bool seen = false;
        for (const auto &p : std::as_const(*params))
            seen = seen || p.first == name;
        if (!seen && !name.isEmpty())
            params->append({name, v});
    }
    return true;
}

QByteArray parameter(
    const QList<std::pair<QByteArray, QByteArray>> &params, const char *name, bool *found = nullptr)
{
    for (const auto &[n, v] : params) {
        if (n == name) {
            if (found)
                *found = true;
            return v;
        }
    }
    if (found)
        *found = false;
    return {};
}

Error tooMuchFormData()
{
    return makeError(QStringLiteral("MaxPostPreDataLengthExceededError"),
        QStringLiteral("Your POST request fields preceding the upload file were too "
                       "large."),
        400);
}

} // namespace

// ---- MultipartFormParser ----

Error MultipartFormParser::malformed()
{
    return makeError(QStringLiteral("MalformedPOSTRequest"),
        QStringLiteral("The body of your POST request is not well-formed "
                       "multipart/form-data."),
        400);
}

Result<QByteArray> MultipartFormParser::boundaryFrom(const QByteArray &contentType)
{
    QByteArray type;
    QList<std::pair<QByteArray, QByteArray>> params;
    const bool ok = parseParameters(contentType, &type, &params);
    if (type != "multipart/form-data")
        return makeError(QStringLiteral("PreconditionFailed"),
            QStringLiteral("At least one of the pre-conditions you specified did not "
                           "hold: Bucket POST must be of the enclosure-type "
                           "multipart/form-data"),
            412);
    const QByteArray boundary = parameter(params, "boundary");
    if (!ok || boundary.isEmpty() || boundary.size() > kMaxBoundary)
        return malformed();
    for (const char c : boundary) {
        if (c == '\r' || c == '\n')
            return malformed();
    }
    return boundary;
}

MultipartFormParser::MultipartFormParser(const QByteArray &boundary, qsizetype maxHeaderBytes)
    : m_delimiter("\r\n--" + boundary)
    , m_matcher(m_delimiter)
    , m_maxHeaderBytes(maxHeaderBytes)
{
    // The first delimiter may open the body without the CRLF that belongs to every later one.
    m_buffer = QByteArrayLiteral("\r\n");
}

Result<void> MultipartFormParser::fail(Error error)
{
    m_state = State::Failed;
    m_buffer = QByteArray();
    m_pos = 0;
    return error;
}

Result<void> MultipartFormParser::finish() const
{
    if (m_state != State::Epilogue)
        return malformed();
    return {};
}

Result<void> MultipartFormParser::feed(QByteArrayView data, const Handler &handler)
{
    if (m_state == State::Failed)
        return malformed();
    if (m_state == State::Epilogue)
        return {};
    m_buffer.append(data);
    for (bool progress = true; progress;) {
        progress = false;
        if (auto r = step(handler, &progress); !r)
            return fail(r.error());
    }
    m_buffer.remove(0, m_pos);
    m_pos = 0;
    return {};
}

Result<void> MultipartFormParser::headerLine(QByteArrayView line)
{
    if (line.contains('\r') || line.contains('\n'))
        return malformed();
    if (isSpace(line.front())) {
        // Obsolete line folding: the line continues the previous header's value.
        if (m_headers.isEmpty())
            return malformed();
        m_headers.last() += ' ';
        m_headers.last() += trimmed(line).toByteArray();
        return {};
    }
    m_headers.append(line.toByteArray());
    return {};
}

Result<void> MultipartFormParser::headersDone()
{
    bool disposition = false;
    for (const QByteArray &header : std::as_const(m_headers)) {
        const qsizetype colon = header.indexOf(':');
        if (colon <= 0)
            return malformed();
        const QByteArray name
            = trimmed(QByteArrayView(header).first(colon)).toByteArray().toLower();
        const QByteArrayView value = trimmed(QByteArrayView(header).sliced(colon + 1));
        if (name == "content-disposition") {
            if (disposition)
                return malformed();
            disposition = true;
            QByteArray type;
            QList<std::pair<QByteArray, QByteArray>> params;
            if (!parseParameters(value, &type, &params) || type != "form-data")
                return malformed();
            bool hasName = false;
            m_part.name = parameter(params, "name", &hasName);
            m_part.fileName = parameter(params, "filename", &m_part.hasFileName);
            if (!hasName)
                return malformed();
        } else if (name == "content-type") {
            m_part.contentType = value.toByteArray();
        }
    }
    if (!disposition)
        return malformed();
    m_part.rawSize = m_headerBytes;
    m_headers.clear();
    return {};
}

Result<void> MultipartFormParser::step(const Handler &handler, bool *progress)
{
    // The unread bytes are m_buffer[m_pos, size): consuming moves m_pos, and feed() drops the
    // consumed prefix once per call (removing it per part would copy the rest of a 1 MiB
    // read for every small part).
    const qsizetype keep = m_delimiter.size() - 1;
    const qsizetype available = m_buffer.size() - m_pos;
    const char *at0 = m_buffer.constData() + m_pos;
    switch (m_state) {
    case State::Preamble: {
        const qsizetype at = m_matcher.indexIn(m_buffer, m_pos);
        if (at < 0) {
            if (available > keep)
                m_pos = m_buffer.size() - keep;
            return {};
        }
        m_pos = at + m_delimiter.size();
        m_state = State::AfterDelimiter;
        *progress = true;
        return {};
    }
    case State::AfterDelimiter:
        if (available < 2)
            return {};
        if (at0[0] == '-' && at0[1] == '-') {
            m_state = State::Epilogue;
            m_buffer = QByteArray();
            m_pos = 0;
            return {};
        }
        m_state = State::Padding;
        *progress = true;
        return {};
    case State::Padding: {
        // Transport padding (RFC 2046: linear white space) before the delimiter's CRLF.
        while (m_pos < m_buffer.size() && isSpace(m_buffer[m_pos]))
            ++m_pos;
        const qsizetype left = m_buffer.size() - m_pos;
        if (left < 2)
            return left == 0 || m_buffer[m_pos] == '\r' ? Result<void>() : malformed();
        if (m_buffer[m_pos] != '\r' || m_buffer[m_pos + 1] != '\n')
            return malformed();
        m_pos += 2;
        m_state = State::Headers;
        m_part = PartHeaders();
        m_headerBytes = 0;
        m_headers.clear();
        *progress = true;
        return {};
    }
    case State::Headers: {
        const qsizetype at = m_buffer.indexOf("\r\n", m_pos);
        if (at < 0) {
            if (m_headerBytes + available > m_maxHeaderBytes)
                return tooMuchFormData();
            return {};
        }
        const qsizetype length = at - m_pos;
        m_headerBytes += length + 2;
        if (m_headerBytes > m_maxHeaderBytes)
            return tooMuchFormData();
        const QByteArrayView line(at0, length);
        m_pos = at + 2;
        *progress = true;
        if (!line.isEmpty())
            return headerLine(line);
        // The blank line: the header block is complete.
        if (auto r = headersDone(); !r)
            return r;
        m_state = State::Body;
        return handler.partBegin(m_part);
    }
    case State::Body: {
        const qsizetype at = m_matcher.indexIn(m_buffer, m_pos);
        if (at < 0) {
            if (available > keep) {
                const qsizetype n = available - keep;
                m_pos += n;
                if (auto r = handler.partData(at0, n); !r)
                    return r;
            }
            return {};
        }
        const qsizetype n = at - m_pos;
        m_pos = at + m_delimiter.size();
        if (n > 0) {
            if (auto r = handler.partData(at0, n); !r)
                return r;
        }
        if (auto r = handler.partEnd(); !r)
            return r;
        m_state = State::AfterDelimiter;
        *progress = true;
        return {};
    }
    case State::Epilogue:
    case State::Failed:
        return {};
    }
    return {};
}

// ---- S3Form ----

QByteArray S3Form::value(QByteArrayView name) const
{
    for (const auto &[n, v] : fields) {
        if (n == name)
            return v;
    }
    return {};
}

bool S3Form::contains(QByteArrayView name) const
{
    for (const auto &field : fields) {
        if (field.first == name)
            return true;
    }
    return false;
}

QByteArray S3Form::objectKey() const
{
    return value("key").replace("${filename}", fileName);
}

// ---- S3FormUpload ----

namespace {

// Where the file part's bytes go: digested as they pass, kept in memory while they fit in an
// object row, written to the staging file from the first byte beyond.
class FileSink
{
public:
    FileSink(const QString &path, const S3FormUpload::FileOptions &options)
        : m_file(path)
        , m_options(options)
        , m_digest(std::make_unique<BodyDigest>(options.checksumAlgorithm))
    { }
    ~FileSink()
    {
        if (!m_kept)
            discard();
    }

    qint64 size() const { return m_size; }
    bool isOverLimit() const { return m_size > m_options.maxSize; }

    Result<void> add(const char *data, qsizetype n)
    {
        m_size += n;
        if (isOverLimit()) {
            // Counted to the end for the error's sake, stored no more.
            discard();
            return {};
        }
        m_digest->add(data, n);
        if (!m_spilled && m_small.size() + n <= S3Store::kInlineLimit) {
            m_small.append(data, n);
            return {};
        }
        if (!m_spilled) {
            m_spilled = true;
            if (!m_file.open(QIODevice::WriteOnly | QIODevice::NewOnly | QIODevice::Unbuffered)
                || m_file.write(m_small) != m_small.size())
                return writeError();
            m_small = QByteArray();
        }
        if (m_file.write(data, n) != n)
            return writeError();
        return {};
    }

    Result<S3StagedBody> finish()
    {
        S3StagedBody body;
        m_digest->finish();
        if (m_spilled) {
            m_file.close();
            if (m_file.error() != QFileDevice::NoError)
                return writeError();
            body.path = m_file.fileName();
        } else {
            body.data = m_small;
        }
        body.size = m_digest->size();
        body.md5 = m_digest->md5();
        body.sha256Hex = m_digest->sha256Hex();
        body.checksumAlgorithm = m_digest->checksumAlgorithm();
        body.checksum = m_digest->checksum();
        m_kept = true;
        return body;
    }

private:
    Error writeError()
    {
        return s3errors::internalError(
            QStringLiteral("cannot write the staged body: ") + m_file.errorString());
    }
    void discard()
    {
        m_small = QByteArray();
        if (m_spilled) {
            m_file.close();
            m_file.remove();
            m_spilled = false;
        }
    }

    QFile m_file;
    S3FormUpload::FileOptions m_options;
    std::unique_ptr<BodyDigest> m_digest;
    QByteArray m_small;
    qint64 m_size = 0;
    bool m_spilled = false;
    bool m_kept = false;
};

} // namespace

Result<S3FormUpload::Upload> S3FormUpload::read(const HttpBody &body, const QByteArray &boundary,
    const QString &stagingPath, const FileCheck &check, qint64 *fileSize)
{
    Upload upload;
    S3Form &form = upload.form;
    MultipartFormParser parser(boundary, kMaxFieldBytes);
    enum class Part { Field, File, Ignored } part = Part::Ignored;
    QByteArray fieldName;
    QByteArray fieldValue;
    // Everything before the file counts: part headers, values and the delimiters around them.
    qsizetype fieldBytes = 0;
    bool checked = false;
    bool fileDone = false;
    std::unique_ptr<FileSink> sink;

    MultipartFormParser::Handler handler;
    handler.partBegin = [&](const MultipartFormParser::PartHeaders &h) -> Result<void> {
        if (checked) {
            part = Part::Ignored; // S3 ignores the fields after the file
            return {};
        }
        fieldBytes += h.rawSize + boundary.size() + 6;
        if (fieldBytes > kMaxFieldBytes)
            return tooMuchFormData();
        if (h.name.compare("file", Qt::CaseInsensitive) != 0) {
            part = Part::Field;
            fieldName = h.name.toLower();
            fieldValue.clear();
            return {};
        }
        form.hasFile = true;
        form.fileName = h.fileName;
        form.fileContentType = h.contentType;
        checked = true;
        auto options = check(form);
        if (!options)
            return options.error();
        sink = std::make_unique<FileSink>(stagingPath, *options);
        part = Part::File;
        return {};
    };
    handler.partData = [&](const char *data, qsizetype n) -> Result<void> {
        if (part == Part::File)
            return sink->add(data, n);
        if (part == Part::Field) {
            fieldBytes += n;
            if (fieldBytes > kMaxFieldBytes)
                return tooMuchFormData();
            fieldValue.append(data, n);
        }
        return {};
    };
    handler.partEnd = [&]() -> Result<void> {
        if (part == Part::Field)
            form.fields.append({fieldName, fieldValue});
        else if (part == Part::File)
            fileDone = true;
        part = Part::Ignored;
        return {};
    };

    auto in = body.open();
    QByteArray buffer(qMin<qint64>(kReadChunk, qMax<qint64>(body.size(), 1)), Qt::Uninitialized);
    while (!parser.isDone()) {
        const qint64 n = in->read(buffer.data(), buffer.size());
        if (n < 0 && !in->isSequential())
            return s3errors::internalError(QStringLiteral("cannot read the body"));
        if (n <= 0)
            break;
        if (auto r = parser.feed(QByteArrayView(buffer.constData(), n), handler); !r)
            return r.error();
    }
    if (auto r = parser.finish(); !r)
        return r.error();
    if (!checked) {
        if (auto r = check(form); !r)
            return r.error();
        return makeError(QStringLiteral("IncorrectNumberOfFilesInPostRequest"),
            QStringLiteral("POST requires exactly one file upload per request."), 400);
    }
    if (!fileDone)
        return MultipartFormParser::malformed();
    if (fileSize)
        *fileSize = sink->size();
    if (sink->isOverLimit())
        return s3errors::entityTooLarge(sink->size(), S3Store::kMaxPutSize);
    auto staged = sink->finish();
    if (!staged)
        return staged.error();
    upload.body = std::move(*staged);
    return upload;
}

} // namespace tarmac
