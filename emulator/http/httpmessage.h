#pragma once

#include "http/servicedetector.h"

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QString>

#include <memory>
#include <optional>
#include <utility>

class QIODevice;
class QTemporaryFile;

namespace tarmac {

// Header fields in arrival order. Names are stored lower-cased (HTTP names are
// case-insensitive), and also as sent (rawName: API Gateway's 1.0 events keep the client's
// spelling); values are kept byte for byte. Names are looked up case-insensitively.
class HttpHeaders
{
public:
    using Field = std::pair<QByteArray, QByteArray>;

    // The names SDKs, browsers and curl send (and Tarmac answers with) are shared static
    // arrays: adding one allocates only its value.
    void add(QByteArrayView name, QByteArray value);
    // Room for that many fields in one allocation (the first add() makes room for a few).
    void reserve(qsizetype fields);
    // Replaces every field of that name with one.
    void set(QByteArrayView name, QByteArray value);
    void remove(QByteArrayView name);
    bool contains(QByteArrayView name) const;
    // The first value of that name, or an empty array.
    QByteArray value(QByteArrayView name) const;
    const QList<Field> &fields() const { return m_fields; }
    // The name of fields()[index] as it was added ("Content-Type").
    QByteArray rawName(qsizetype index) const;
    qsizetype size() const { return m_fields.size(); }
    void clear()
    {
        m_fields.clear();
        m_rawNames.clear();
    }

private:
    QList<Field> m_fields;
    QList<QByteArray> m_rawNames; // parallel to m_fields; null when the name was lower-case
};

// A request body: in memory when small, spooled to a temporary file when large.
class HttpBody
{
public:
    HttpBody() = default;
    explicit HttpBody(QByteArray data);
    static HttpBody fromFile(std::shared_ptr<QTemporaryFile> file, qint64 size);

    qint64 size() const { return m_file ? m_fileSize : m_data.size(); }
    bool isEmpty() const { return size() == 0; }
    bool isSpooled() const { return bool(m_file); }
    // The in-memory bytes; for a spooled body this reads the whole file (avoid on big bodies).
    QByteArray toByteArray() const;
    // A fresh device positioned at the start of the body, opened for reading.
    std::unique_ptr<QIODevice> open() const;
    // The spooled file's path, or empty for an in-memory body.
    QString filePath() const;

private:
    QByteArray m_data;
    std::shared_ptr<QTemporaryFile> m_file;
    qint64 m_fileSize = 0;
};

struct HttpRequest
{
    QByteArray method; // "GET", "PUT", ... as sent
    QByteArray target; // the raw request target: "/bucket/key?list-type=2"
    QByteArray path; // the raw (still percent-encoded) path part of target
    QByteArray query; // the raw query string without '?'
    int versionMajor = 1;
    int versionMinor = 1;
    HttpHeaders headers;
    HttpBody body;
    bool keepAlive = true;
    // The client's address (shared with its connection: a QHostAddress of its own would be
    // allocated for every request, and most never look at it).
    std::shared_ptr<const QHostAddress> peer;
    QHostAddress peerAddress() const { return peer ? *peer : QHostAddress(); }
    quint16 localPort = 0;
    // Set by the front door: the request id answered to the client, and the request's
    // place in a trace (32 and 16 lower-case hex digits).
    QByteArray requestId;
    QByteArray traceId;
    QByteArray spanId;
    QByteArray parentSpanId;
    // The edge port's reading of the service this request is for, kept by its first look
    // (the body size limit, when the head arrives) for routing. Unset for query-protocol
    // forms until their body has come: they name their service there.
    mutable std::optional<ServiceMatch> serviceMatch;

    QByteArray header(QByteArrayView name) const { return headers.value(name); }
    // The path with percent-escapes decoded (not '+' in paths).
    QByteArray decodedPath() const;
    // The value of a query parameter, decoded ('+' as space); hasQueryItem for presence.
    QByteArray queryItem(const QByteArray &name) const;
    bool hasQueryItem(const QByteArray &name) const;
    QList<std::pair<QByteArray, QByteArray>> queryItems() const;
};

// A response. The body is either bytes or a range of a file, which the connection streams
// with back-pressure (large S3 objects never sit whole in memory).
struct HttpResponse
{
    int status = 200;
    HttpHeaders headers;
    QByteArray body;
    QString bodyFile; // when set, the body is this file's [bodyOffset, bodyOffset+bodyLength)
    qint64 bodyOffset = 0;
    qint64 bodyLength = -1; // -1: to the end of the file
    bool closeConnection = false;
    // Nothing is written: the connection is closed at once (an injected fault).
    bool dropConnection = false;

    // What the front door's span records: the service and operation that handled it.
    QString service;
    QString operation;
    // More for the span, as key and text ("aws.apigateway.authorizer", "allow").
    QList<std::pair<QString, QString>> spanAttributes;

    static HttpResponse json(int status, QByteArray body);
    static HttpResponse text(
        int status, QByteArray body, QByteArray contentType = "text/plain; charset=utf-8");
};

QByteArrayView reasonPhrase(int status); // a static text
QByteArray percentDecode(const QByteArray &in, bool plusAsSpace);
// A query string's parameters in order, decoded ('+' as space); "a" alone is ("a", "").
QList<std::pair<QByteArray, QByteArray>> decodeQuery(const QByteArray &query);

} // namespace tarmac
