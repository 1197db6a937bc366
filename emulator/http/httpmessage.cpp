#include "http/httpmessage.h"

#include <QBuffer>
#include <QFile>
#include <QTemporaryFile>

#include <algorithm>
#include <array>
#include <cstring>
#include <iterator>
#include <string_view>
#include <utility>

namespace tarmac {

namespace {

// Header names most requests and responses carry, as lower-case and as most senders spell them.
// Sorted by length: a look-up compares only the names of its own length (a request adds a
// dozen fields, a response half as many). The texts are literals, side by side in the binary,
// so a look-up reads a few cache lines rather than one per name; a name found here costs no
// allocation (the field shares the literal).
constexpr std::pair<std::string_view, std::string_view> kKnownNames[] = {
    {"date", "Date"},
    {"etag", "ETag"},
    {"host", "Host"},
    {"accept", "Accept"},
    {"expect", "Expect"},
    {"server", "Server"},
    {"connection", "Connection"},
    {"user-agent", "User-Agent"},
    {"x-amz-date", "X-Amz-Date"},
    {"x-amz-id-2", "x-amz-id-2"},
    {"content-md5", "Content-MD5"},
    {"x-amz-crc32", "x-amz-crc32"},
    {"content-type", "Content-Type"},
    {"x-amz-target", "X-Amz-Target"},
    {"authorization", "Authorization"},
    {"last-modified", "Last-Modified"},
    {"content-length", "Content-Length"},
    {"accept-encoding", "Accept-Encoding"},
    {"amz-sdk-request", "amz-sdk-request"},
    {"x-amzn-trace-id", "X-Amzn-Trace-Id"},
    {"content-encoding", "Content-Encoding"},
    {"x-amz-request-id", "x-amz-request-id"},
    {"x-amz-user-agent", "X-Amz-User-Agent"},
    {"x-amzn-requestid", "x-amzn-RequestId"},
    {"transfer-encoding", "Transfer-Encoding"},
    {"x-amzn-query-error", "x-amzn-query-error"},
    {"x-amz-content-sha256", "X-Amz-Content-SHA256"},
    {"x-amz-function-error", "X-Amz-Function-Error"},
    {"x-amz-security-token", "X-Amz-Security-Token"},
    {"amz-sdk-invocation-id", "amz-sdk-invocation-id"},
    {"lambda-runtime-trace-id", "Lambda-Runtime-Trace-Id"},
    {"lambda-runtime-deadline-ms", "Lambda-Runtime-Deadline-Ms"},
    {"lambda-runtime-aws-request-id", "Lambda-Runtime-Aws-Request-Id"},
    {"lambda-runtime-invoked-function-arn", "Lambda-Runtime-Invoked-Function-Arn"},
};
constexpr int kKnownCount = int(std::size(kKnownNames));
static_assert(std::is_sorted(std::begin(kKnownNames), std::end(kKnownNames),
                  [](const auto &a, const auto &b) { return a.first.size() < b.first.size(); }),
    "knownName() looks among the names of one length: keep them sorted by length");

struct KnownName
{
    QByteArray lower;
    QByteArray usual;
};

// The names as arrays that refer to the literals (static: no copy, no reference count).
const std::array<KnownName, kKnownCount> &knownNames()
{
    static const std::array<KnownName, kKnownCount> names = [] {
        std::array<KnownName, kKnownCount> out;
        for (int i = 0; i < kKnownCount; ++i) {
            const auto &[lower, usual] = kKnownNames[i];
            out[size_t(i)] = {QByteArray::fromRawData(lower.data(), qsizetype(lower.size())),
                QByteArray::fromRawData(usual.data(), qsizetype(usual.size()))};
        }
        return out;
    }();
    return names;
}

// The known name equal to `lower` (already folded), or null.
const KnownName *knownName(QByteArrayView lower)
{
    // firstOfLength[n], firstOfLength[n + 1]: the range of the names n bytes long, up to the
    // longest (the table's last).
    static constexpr auto firstOfLength = [] {
        std::array<quint8, kKnownNames[kKnownCount - 1].first.size() + 2> first {};
        int at = 0;
        for (size_t n = 0; n < first.size(); ++n) {
            while (at < kKnownCount && kKnownNames[at].first.size() < n)
                ++at;
            first[n] = quint8(at);
        }
        return first;
    }();
    const size_t n = size_t(lower.size());
    if (n + 1 >= firstOfLength.size())
        return nullptr;
    for (int i = firstOfLength[n]; i < firstOfLength[n + 1]; ++i) {
        if (std::memcmp(kKnownNames[i].first.data(), lower.data(), n) == 0)
            return &knownNames()[size_t(i)];
    }
    return nullptr;
}

// Whether a name needs no folding: the stored names are lower-case, and so are the names the
// code asks for, so that a look-up is a plain comparison.
bool isLowerName(QByteArrayView name)
{
    for (const char c : name) {
        if (c >= 'A' && c <= 'Z')
            return false;
    }
    return true;
}

bool sameName(const QByteArray &stored, QByteArrayView name, bool lower)
{
    if (stored.size() != name.size())
        return false;
    return lower ? std::memcmp(stored.constData(), name.data(), size_t(name.size())) == 0
                 : stored.compare(name, Qt::CaseInsensitive) == 0;
}

} // namespace

void HttpHeaders::add(QByteArrayView name, QByteArray value)
{
    if (m_fields.capacity() == 0)
        reserve(4); // an answer's usual few; the request parser reserves a request's dozen
    // The name folded once, on the stack when it is of a usual length, then compared plainly.
    char folded[64];
    QByteArray longName;
    char *lower = folded;
    if (name.size() > qsizetype(sizeof folded)) {
        longName.resize(name.size());
        lower = longName.data();
    }
    bool wasLower = true;
    for (qsizetype i = 0; i < name.size(); ++i) {
        const char c = name[i];
        wasLower = wasLower && !(c >= 'A' && c <= 'Z');
        lower[i] = (c >= 'A' && c <= 'Z') ? char(c + ('a' - 'A')) : c;
    }
    const QByteArrayView lowerName(lower, name.size());
    if (const KnownName *known = knownName(lowerName)) {
        // The name as sent only when it differs: a null array costs nothing.
        m_rawNames.append(wasLower     ? QByteArray()
                : known->usual == name ? known->usual
                                       : name.toByteArray());
        m_fields.append({known->lower, std::move(value)});
        return;
    }
    m_rawNames.append(wasLower ? QByteArray() : name.toByteArray());
    m_fields.append({lowerName.toByteArray(), std::move(value)});
}

void HttpHeaders::reserve(qsizetype fields)
{
    m_fields.reserve(fields);
    m_rawNames.reserve(fields);
}

QByteArray HttpHeaders::rawName(qsizetype index) const
{
    const QByteArray &raw = m_rawNames.at(index);
    return raw.isNull() ? m_fields.at(index).first : raw;
}

void HttpHeaders::set(QByteArrayView name, QByteArray value)
{
    remove(name);
    add(name, std::move(value));
}

void HttpHeaders::remove(QByteArrayView name)
{
    const bool lower = isLowerName(name);
    for (qsizetype i = m_fields.size() - 1; i >= 0; --i) {
        if (sameName(m_fields[i].first, name, lower)) {
            m_fields.removeAt(i);
            m_rawNames.removeAt(i);
        }
    }
}

bool HttpHeaders::contains(QByteArrayView name) const
{
    const bool lower = isLowerName(name);
    for (const Field &f : m_fields) {
        if (sameName(f.first, name, lower))
            return true;
    }
    return false;
}

QByteArray HttpHeaders::value(QByteArrayView name) const
{
    const bool lower = isLowerName(name);
    for (const Field &f : m_fields) {
        if (sameName(f.first, name, lower))
            return f.second;
    }
    return {};
}

HttpBody::HttpBody(QByteArray data)
    : m_data(std::move(data))
{ }

HttpBody HttpBody::fromFile(std::shared_ptr<QTemporaryFile> file, qint64 size)
{
    HttpBody b;
    b.m_file = std::move(file);
    b.m_fileSize = size;
    return b;
}

QByteArray HttpBody::toByteArray() const
{
    if (!m_file)
        return m_data;
    QFile f(m_file->fileName());
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

std::unique_ptr<QIODevice> HttpBody::open() const
{
    if (m_file) {
        auto f = std::make_unique<QFile>(m_file->fileName());
        if (!f->open(QIODevice::ReadOnly))
            return nullptr;
        return f;
    }
    auto buffer = std::make_unique<QBuffer>();
    buffer->setData(m_data);
    buffer->open(QIODevice::ReadOnly);
    return buffer;
}

QString HttpBody::filePath() const
{
    return m_file ? m_file->fileName() : QString();
}

static int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

QByteArray percentDecode(const QByteArray &in, bool plusAsSpace)
{
    if (!in.contains('%') && !(plusAsSpace && in.contains('+')))
        return in;
    QByteArray out;
    out.reserve(in.size());
    for (qsizetype i = 0; i < in.size(); ++i) {
        const char c = in.at(i);
        if (c == '%' && i + 2 < in.size() && hexValue(in.at(i + 1)) >= 0
            && hexValue(in.at(i + 2)) >= 0) {
            out.append(char(hexValue(in.at(i + 1)) * 16 + hexValue(in.at(i + 2))));
            i += 2;
        } else if (c == '+' && plusAsSpace) {
            out.append(' ');
        } else {
            out.append(c);
        }
    }
    return out;
}

QByteArray HttpRequest::decodedPath() const
{
    return percentDecode(path, false);
}

QList<std::pair<QByteArray, QByteArray>> HttpRequest::queryItems() const
{
    return decodeQuery(query);
}

QList<std::pair<QByteArray, QByteArray>> decodeQuery(const QByteArray &query)
{
    QList<std::pair<QByteArray, QByteArray>> items;
    if (query.isEmpty())
        return items;
    for (const QByteArray &part : query.split('&')) {
        if (part.isEmpty())
            continue;
        const qsizetype eq = part.indexOf('=');
        if (eq < 0)
            items.append({percentDecode(part, true), QByteArray()});
        else
            items.append(
                {percentDecode(part.left(eq), true), percentDecode(part.mid(eq + 1), true)});
    }
    return items;
}

QByteArray HttpRequest::queryItem(const QByteArray &name) const
{
    for (const auto &[k, v] : queryItems()) {
        if (k == name)
            return v;
    }
    return {};
}

bool HttpRequest::hasQueryItem(const QByteArray &name) const
{
    for (const auto &item : queryItems()) {
        if (item.first == name)
            return true;
    }
    return false;
}

HttpResponse HttpResponse::json(int status, QByteArray body)
{
    HttpResponse r;
    r.status = status;
    r.headers.add("content-type", QByteArrayLiteral("application/json"));
    r.body = std::move(body);
    return r;
}

HttpResponse HttpResponse::text(int status, QByteArray body, QByteArray contentType)
{
    HttpResponse r;
    r.status = status;
    r.headers.add("content-type", std::move(contentType));
    r.body = std::move(body);
    return r;
}

QByteArrayView reasonPhrase(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 417:
        return "Expectation Failed";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

} // namespace tarmac
