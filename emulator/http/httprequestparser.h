#pragma once

#include "http/httpmessage.h"

#include <http_parser.h>

#include <functional>
#include <memory>
#include <string>

class QTemporaryFile;

namespace tarmac {

// Incremental HTTP/1.1 request parser around the proven http_parser library. It knows
// nothing of sockets: bytes go in, one request at a time comes out, so it can be fuzzed
// and tested without a network. It stops after each complete request (pipelined requests
// stay unparsed in the caller's buffer until reset() is called) and after any error.
//
// Bounds: the request line plus headers (maxHeaderBytes, else 431), the body (the limit
// the head callback returns, else 413). Bodies above spoolThreshold go to a temporary file.
struct HttpLimits
{
    qint64 maxHeaderBytes = 64 * 1024;
    qint64 spoolThreshold = 4 * 1024 * 1024;
    QString spoolDir; // empty: the system temporary folder
};

class HttpRequestParser
{
public:
    using Limits = HttpLimits;

    enum class State { Head, Body, Complete, Error };

    // Called once the head is complete, before any body byte: returns the largest body
    // accepted (negative: no limit beyond the parser's own).
    using HeadCallback = std::function<qint64(const HttpRequest &head)>;

    explicit HttpRequestParser(Limits limits = HttpLimits());
    ~HttpRequestParser();
    HttpRequestParser(const HttpRequestParser &) = delete;
    HttpRequestParser &operator=(const HttpRequestParser &) = delete;

    void setHeadCallback(HeadCallback callback) { m_headCallback = std::move(callback); }

    // Consumes bytes until the current request is complete or an error; returns how many
    // bytes were consumed. Bytes after a complete request belong to the next one.
    qsizetype feed(const char *data, qsizetype size);
    // The peer closed its side: completes a request whose body runs to EOF (never, for
    // requests) or marks a partial request as an error.
    void finish();

    State state() const { return m_state; }
    bool hasPartialRequest() const { return m_state == State::Body || m_bytesSeen > 0; }
    // Valid in Body (head only) and Complete.
    HttpRequest &request() { return m_request; }
    HttpRequest takeRequest();
    // For State::Error: the status to answer (400, 413, 431, 505) and a short reason.
    int errorStatus() const { return m_errorStatus; }
    const QByteArray &errorReason() const { return m_errorReason; }
    bool expectsContinue() const { return m_expectContinue; }
    qint64 bodyBytesReceived() const { return m_bodySize; }

    // Ready for the next request on the same connection.
    void reset();

private:
    static int onMessageBegin(http_parser *p);
    static int onUrl(http_parser *p, const char *at, size_t len);
    static int onHeaderField(http_parser *p, const char *at, size_t len);
    static int onHeaderValue(http_parser *p, const char *at, size_t len);
    static int onHeadersComplete(http_parser *p);
    static int onBody(http_parser *p, const char *at, size_t len);
    static int onMessageComplete(http_parser *p);

    bool countHeaderBytes(size_t len);
    void commitHeader();
    bool appendBody(const char *at, qsizetype len);
    void fail(int status, QByteArray reason);

    Limits m_limits;
    HeadCallback m_headCallback;
    http_parser m_parser;
    http_parser_settings m_settings;
    State m_state = State::Head;
    HttpRequest m_request;
    std::string m_field; // keeps its buffer from one name to the next
    QByteArray m_value;
    bool m_lastWasValue = false;
    qint64 m_headerBytes = 0;
    qint64 m_bytesSeen = 0;
    qint64 m_bodyLimit = -1;
    qint64 m_bodySize = 0;
    QByteArray m_bodyBuffer;
    std::shared_ptr<QTemporaryFile> m_spool;
    bool m_expectContinue = false;
    bool m_spoolAtOnce = false; // the declared length is above the threshold: no memory stage
    int m_errorStatus = 0;
    QByteArray m_errorReason;
};

} // namespace tarmac
