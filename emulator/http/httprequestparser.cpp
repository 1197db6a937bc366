#include "http/httprequestparser.h"

#include "base/utf8.h"

#include <QDir>
#include <QTemporaryFile>

#include <array>
#include <cstring>
#include <string_view>

namespace tarmac {

namespace {

// RFC 9110 token characters: what a header field name may be made of.
constexpr std::array<bool, 256> kTokenChars = [] {
    std::array<bool, 256> table {};
    for (int c = 'a'; c <= 'z'; ++c)
        table[size_t(c)] = true;
    for (int c = 'A'; c <= 'Z'; ++c)
        table[size_t(c)] = true;
    for (int c = '0'; c <= '9'; ++c)
        table[size_t(c)] = true;
    for (const char c : std::string_view("!#$%&'*+-.^_`|~"))
        table[size_t(quint8(c))] = true;
    return table;
}();

bool isToken(const QByteArray &name)
{
    bool ok = !name.isEmpty();
    for (const char c : name)
        ok &= kTokenChars[quint8(c)];
    return ok;
}

// Whether a field value holds a NUL, CR or LF: memchr looks at many bytes at a time (a loop
// over the bytes looked at one, as GCC's -O2 does not vectorise it).
bool hasLineBreakOrNul(const QByteArray &value)
{
    const char *data = value.constData();
    const size_t size = size_t(value.size());
    return std::memchr(data, '\n', size) || std::memchr(data, '\r', size)
        || std::memchr(data, '\0', size);
}

HttpRequestParser *self(http_parser *p)
{
    return static_cast<HttpRequestParser *>(p->data);
}

} // namespace

HttpRequestParser::HttpRequestParser(Limits limits)
    : m_limits(std::move(limits))
{
    http_parser_settings_init(&m_settings);
    m_settings.on_message_begin = &HttpRequestParser::onMessageBegin;
    m_settings.on_url = &HttpRequestParser::onUrl;
    m_settings.on_header_field = &HttpRequestParser::onHeaderField;
    m_settings.on_header_value = &HttpRequestParser::onHeaderValue;
    m_settings.on_headers_complete = &HttpRequestParser::onHeadersComplete;
    m_settings.on_body = &HttpRequestParser::onBody;
    m_settings.on_message_complete = &HttpRequestParser::onMessageComplete;
    reset();
}

HttpRequestParser::~HttpRequestParser() = default;

void HttpRequestParser::reset()
{
    http_parser_init(&m_parser, HTTP_REQUEST);
    m_parser.data = this;
    m_state = State::Head;
    m_request = HttpRequest();
    m_field.clear();
    m_value.clear();
    m_lastWasValue = false;
    m_headerBytes = 0;
    m_bytesSeen = 0;
    m_bodyLimit = -1;
    m_bodySize = 0;
    m_bodyBuffer.clear();
    m_spool.reset();
    m_expectContinue = false;
    m_spoolAtOnce = false;
    m_errorStatus = 0;
    m_errorReason.clear();
}

qsizetype HttpRequestParser::feed(const char *data, qsizetype size)
{
    if (m_state == State::Complete || m_state == State::Error || size <= 0)
        return 0;
    const size_t parsed = http_parser_execute(&m_parser, &m_settings, data, size_t(size));
    m_bytesSeen += qint64(parsed);
    const auto err = http_errno(m_parser.http_errno);
    if (err == HPE_PAUSED) {
        // Paused in on_message_complete: the request is whole.
        return qsizetype(parsed);
    }
    if (err != HPE_OK && m_state != State::Error) {
        if (err == HPE_HEADER_OVERFLOW)
            fail(431, QByteArrayLiteral("Request header fields too large"));
        else if (err == HPE_INVALID_CONTENT_LENGTH || err == HPE_UNEXPECTED_CONTENT_LENGTH)
            fail(400, QByteArrayLiteral("Invalid or conflicting Content-Length"));
        else
            fail(400, QByteArray("Malformed request: ") + http_errno_description(err));
    }
    return qsizetype(parsed);
}

void HttpRequestParser::finish()
{
    if (m_state == State::Complete || m_state == State::Error)
        return;
    if (hasPartialRequest())
        fail(400, QByteArrayLiteral("Connection closed mid-request"));
}

HttpRequest HttpRequestParser::takeRequest()
{
    return std::move(m_request);
}

void HttpRequestParser::fail(int status, QByteArray reason)
{
    if (m_state == State::Error)
        return;
    m_state = State::Error;
    m_errorStatus = status;
    m_errorReason = std::move(reason);
    m_spool.reset();
    m_bodyBuffer.clear();
}

bool HttpRequestParser::countHeaderBytes(size_t len)
{
    m_headerBytes += qint64(len);
    if (m_headerBytes > m_limits.maxHeaderBytes) {
        fail(431, QByteArrayLiteral("Request header fields too large"));
        return false;
    }
    return true;
}

void HttpRequestParser::commitHeader()
{
    if (m_request.headers.size() == 0)
        m_request.headers.reserve(16); // one allocation for the dozen fields SDKs send
    if (!m_field.empty())
        m_request.headers.add(
            QByteArrayView(m_field.data(), qsizetype(m_field.size())), std::move(m_value));
    m_field.clear(); // its buffer serves the next name
    m_value = QByteArray();
    m_lastWasValue = false;
}

int HttpRequestParser::onMessageBegin(http_parser *p)
{
    Q_UNUSED(p);
    return 0;
}

int HttpRequestParser::onUrl(http_parser *p, const char *at, size_t len)
{
    auto *s = self(p);
    if (!s->countHeaderBytes(len))
        return 1;
    s->m_request.target.append(at, qsizetype(len));
    return 0;
}

int HttpRequestParser::onHeaderField(http_parser *p, const char *at, size_t len)
{
    auto *s = self(p);
    if (!s->countHeaderBytes(len))
        return 1;
    if (s->m_lastWasValue)
        s->commitHeader();
    s->m_field.append(at, len);
    return 0;
}

int HttpRequestParser::onHeaderValue(http_parser *p, const char *at, size_t len)
{
    auto *s = self(p);
    // The name/value separators count too, once per field: http_parser may deliver a value
    // in several pieces, and the limit must not depend on how the bytes arrived.
    if (!s->countHeaderBytes(len + (s->m_lastWasValue ? 0 : 4)))
        return 1;
    // Most values come whole: one allocation of their size, without append's growth.
    if (s->m_value.isEmpty())
        s->m_value = QByteArray(at, qsizetype(len));
    else
        s->m_value.append(at, qsizetype(len));
    s->m_lastWasValue = true;
    return 0;
}

int HttpRequestParser::onHeadersComplete(http_parser *p)
{
    auto *s = self(p);
    s->commitHeader();
    HttpRequest &r = s->m_request;
    if (p->http_major == 0) {
        s->fail(400, QByteArrayLiteral("Malformed request line"));
        return -1;
    }
    if (p->http_major != 1) {
        s->fail(505, QByteArrayLiteral("HTTP version not supported"));
        return -1;
    }
    for (const auto &[name, value] : r.headers.fields()) {
        if (!isToken(name) || hasLineBreakOrNul(value)) {
            s->fail(400, QByteArrayLiteral("Malformed header field"));
            return -1;
        }
    }
    r.versionMajor = p->http_major;
    r.versionMinor = p->http_minor;
    // http_parser's method names are static: the request refers to them without a copy.
    const char *method = http_method_str(http_method(p->method));
    r.method = QByteArray::fromRawData(method, qsizetype(std::strlen(method)));
    r.keepAlive = http_should_keep_alive(p) != 0;

    if (r.target.isEmpty() || !isValidUtf8(r.target)) {
        s->fail(400, QByteArrayLiteral("Invalid request target"));
        return -1;
    }
    // Absolute-form targets (proxies) carry scheme and authority; keep only path and query.
    QByteArray target = r.target;
    if (!target.startsWith('/') && target != "*") {
        const qsizetype scheme = target.indexOf("://");
        if (scheme > 0) {
            // The authority ends at the first '/', '?' or '#'; an empty path is "/".
            qsizetype end = scheme + 3;
            while (end < target.size() && target.at(end) != '/' && target.at(end) != '?'
                && target.at(end) != '#')
                ++end;
            if (end < target.size() && target.at(end) == '/')
                target = target.mid(end);
            else
                target = QByteArrayLiteral("/") + target.mid(end);
        }
    }
    // Authority-form (CONNECT) and anything else that is not a path: we are no proxy.
    if (!target.startsWith('/') && target != "*") {
        s->fail(400, QByteArrayLiteral("Invalid request target"));
        return -1;
    }
    const qsizetype hash = target.indexOf('#');
    if (hash >= 0)
        target.truncate(hash);
    const qsizetype q = target.indexOf('?');
    r.path = q < 0 ? target : target.left(q);
    r.query = q < 0 ? QByteArray() : target.mid(q + 1);

    // 100-continue is the one expectation HTTP/1.1 defines. Another is ignored rather than
    // refused with 417 (which RFC 9110 allows): AWS's front doors answer such a request as if
    // the header were not there.
    if (r.headers.value("expect").compare("100-continue", Qt::CaseInsensitive) == 0)
        s->m_expectContinue = true;

    s->m_bodyLimit = s->m_headCallback ? s->m_headCallback(r) : -1;
    const bool hasLength = (p->flags & F_CHUNKED) == 0 && p->content_length != ULLONG_MAX;
    if (hasLength && s->m_bodyLimit >= 0 && p->content_length > quint64(s->m_bodyLimit)) {
        s->fail(413, QByteArrayLiteral("Request body too large"));
        return -1;
    }
    if (hasLength && p->content_length > 0
        && qint64(p->content_length) <= s->m_limits.spoolThreshold)
        s->m_bodyBuffer.reserve(qsizetype(p->content_length));
    // A body declared larger than the threshold goes to disk from its first byte, rather than
    // after up to a threshold's worth of it has sat in memory (concurrent uploads add up).
    s->m_spoolAtOnce = hasLength && qint64(p->content_length) > s->m_limits.spoolThreshold;
    s->m_state = State::Body;
    return 0;
}

bool HttpRequestParser::appendBody(const char *at, qsizetype len)
{
    m_bodySize += len;
    if (m_bodyLimit >= 0 && m_bodySize > m_bodyLimit) {
        fail(413, QByteArrayLiteral("Request body too large"));
        return false;
    }
    if (!m_spool && (m_spoolAtOnce || m_bodySize > m_limits.spoolThreshold)) {
        const QString dir = m_limits.spoolDir.isEmpty() ? QDir::tempPath() : m_limits.spoolDir;
        auto file = std::make_shared<QTemporaryFile>(dir + QStringLiteral("/tarmac-body-XXXXXX"));
        if (!file->open()) {
            fail(500, QByteArrayLiteral("Cannot spool the request body"));
            return false;
        }
        if (file->write(m_bodyBuffer) != m_bodyBuffer.size()) {
            fail(500, QByteArrayLiteral("Cannot spool the request body"));
            return false;
        }
        m_bodyBuffer = QByteArray();
        m_spool = std::move(file);
    }
    if (m_spool) {
        if (m_spool->write(at, len) != len) {
            fail(500, QByteArrayLiteral("Cannot spool the request body"));
            return false;
        }
    } else {
        m_bodyBuffer.append(at, len);
    }
    return true;
}

int HttpRequestParser::onBody(http_parser *p, const char *at, size_t len)
{
    return self(p)->appendBody(at, qsizetype(len)) ? 0 : -1;
}

int HttpRequestParser::onMessageComplete(http_parser *p)
{
    auto *s = self(p);
    if (s->m_spool) {
        if (!s->m_spool->flush()) {
            s->fail(500, QByteArrayLiteral("Cannot spool the request body"));
            return -1;
        }
        s->m_request.body = HttpBody::fromFile(std::move(s->m_spool), s->m_bodySize);
    } else {
        s->m_request.body = HttpBody(std::move(s->m_bodyBuffer));
    }
    s->m_state = State::Complete;
    http_parser_pause(p, 1);
    return 0;
}

} // namespace tarmac
