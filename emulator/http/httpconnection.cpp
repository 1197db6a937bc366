#include "http/httpconnection.h"

#include "base/json.h"
#include "base/jsonwriter.h"

#include <QDateTime>
#include <QFile>
#include <QMutex>
#include <QThread>

#include <cerrno>
#include <ctime>
#include <limits>
#include <memory>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace tarmac {

// Shared by the copies of one HttpResponder. The connection clears `connection` when it
// goes away, under the mutex, so a late send from another thread finds nothing to call.
struct ResponderState
{
    ResponderState(HttpConnection *c, quint64 seq)
        : connection(c)
        , sequence(seq)
    { }
    ~ResponderState()
    {
        if (!done.exchange(true))
            deliver(HttpResponse::text(500, QByteArrayLiteral("The handler did not answer\n")));
    }

    void deliver(HttpResponse response)
    {
        if (hook)
            hook(response);
        QMutexLocker lock(&mutex);
        HttpConnection *c = connection;
        if (!c)
            return;
        if (QThread::currentThread() == c->thread()) {
            lock.unlock();
            c->finishResponse(sequence, std::move(response));
            return;
        }
        const quint64 seq = sequence;
        QMetaObject::invokeMethod(
            c,
            [c, seq, r = std::move(response)]() mutable { c->finishResponse(seq, std::move(r)); },
            Qt::QueuedConnection);
    }

    QMutex mutex;
    HttpConnection *connection;
    const quint64 sequence;
    std::atomic<bool> done {false};
    std::atomic<bool> cancelled {false};
    std::function<void(HttpResponse &)> hook;
};

void HttpResponder::send(HttpResponse response) const
{
    if (!m_state || m_state->done.exchange(true))
        return;
    m_state->deliver(std::move(response));
}

void HttpResponder::onSend(std::function<void(HttpResponse &)> hook) const
{
    if (m_state)
        m_state->hook = std::move(hook);
}

bool HttpResponder::isAnswered() const
{
    return m_state && m_state->done.load();
}

bool HttpResponder::isCancelled() const
{
    return !m_state || m_state->cancelled.load();
}

HttpHandler::~HttpHandler() = default;

qint64 HttpHandler::maxBodySize(const HttpRequest &) const
{
    return 16 * 1024 * 1024;
}

HttpResponse HttpHandler::bodyTooLarge(const HttpRequest &) const
{
    return HttpResponse::json(413, QByteArrayLiteral("{\"message\":\"Request body too large\"}"));
}

HttpResponse HttpHandler::requestTimeout(const HttpRequest &) const
{
    return HttpResponse::json(408, QByteArrayLiteral("{\"message\":\"Request timed out\"}"));
}

HttpResponse HttpHandler::internalError(const HttpRequest &, const QString &message) const
{
    return HttpResponse::json(
        500, toJsonBytes(Json {{"__type", "InternalFailure"}, {"message", toStd(message)}}));
}

void handleGuarded(
    HttpHandler *handler, HttpRequest &&request, HttpResponder responder, const QString &service)
{
    // handle() may move the request away; the answer and the log need its head. Copies share
    // their data, so this costs a few reference counts per request.
    HttpRequest head = request;
    head.body = HttpBody();
    const HttpResponder answer = responder;
    QString what;
    try {
        handler->handle(std::move(request), std::move(responder));
        return;
    } catch (const std::exception &e) {
        what = QString::fromLocal8Bit(e.what());
    } catch (...) {
        what = QStringLiteral("an exception that is not a std::exception");
    }
    const bool answered = answer.isAnswered();
    qWarning("tarmac: %s: %s %s: the handler threw: %s (%s)",
        service.isEmpty() ? "http" : qPrintable(service), head.method.constData(),
        head.path.left(300).constData(), qPrintable(what),
        answered ? "after it had answered" : "answered 500");
    if (answered)
        return;
    const QString message = QStringLiteral("Tarmac failed on this request: ") + what;
    HttpResponse response;
    try {
        response = handler->internalError(head, message);
    } catch (...) {
        response = HttpResponse::text(500, QByteArrayLiteral("Internal error\n"));
    }
    answer.send(std::move(response));
}

namespace {

constexpr qint64 kWriteHighWater = 1024 * 1024;
constexpr qint64 kFileChunk = 256 * 1024;
// Unparsed input held at most: a request's body streams through the parser in pieces of
// this size, and a client that pipelines while a request is handled stops being read here.
constexpr qsizetype kReadAhead = 256 * 1024;
constexpr qsizetype kReadChunk = 64 * 1024;
// Buffers up to this size are kept for the next request or response rather than freed.
constexpr qsizetype kKeptBuffer = 16 * 1024;

// The Date header, formatted once a second per thread.
const QByteArray &httpDate()
{
    thread_local QByteArray cached;
    thread_local std::time_t cachedAt = 0;
    const std::time_t now = std::time(nullptr);
    if (now != cachedAt) {
        cachedAt = now;
        cached = QDateTime::fromSecsSinceEpoch(now, Qt::UTC)
                     .toString(QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'"))
                     .toLatin1();
    }
    return cached;
}

bool statusHasNoBody(int status)
{
    return (status >= 100 && status < 200) || status == 204 || status == 304;
}

} // namespace

HttpConnection::HttpConnection(qintptr socketDescriptor, HttpServer *server)
    : m_server(server)
    , m_options(server->options())
    , m_parser(server->options().limits)
{
    m_fd = int(socketDescriptor);
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::CoarseTimer);
    connect(&m_timer, &QTimer::timeout, this, &HttpConnection::onTimeout);
    connect(server, &HttpServer::shutdownRequested, this, &HttpConnection::beginShutdown);
    HttpHandler *handler = server->handler();
    m_parser.setHeadCallback(
        [handler](const HttpRequest &head) { return handler->maxBodySize(head); });
    const int flags = ::fcntl(m_fd, F_GETFL);
    if (flags < 0 || ::fcntl(m_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        ::close(m_fd);
        m_fd = -1;
        m_closed = true;
        m_server->connectionClosed();
        deleteLater();
        return;
    }
    const int one = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_storage address {};
    socklen_t length = sizeof address;
    if (::getpeername(m_fd, reinterpret_cast<sockaddr *>(&address), &length) == 0) {
        auto peer = std::make_shared<QHostAddress>();
        peer->setAddress(reinterpret_cast<const sockaddr *>(&address));
        m_peerAddress = std::move(peer);
    }
    length = sizeof address;
    if (::getsockname(m_fd, reinterpret_cast<sockaddr *>(&address), &length) == 0) {
        m_localPort = address.ss_family == AF_INET6
            ? ntohs(reinterpret_cast<const sockaddr_in6 *>(&address)->sin6_port)
            : ntohs(reinterpret_cast<const sockaddr_in *>(&address)->sin_port);
    }
    m_watch = std::make_unique<FdWatch>(
        m_fd, this, [this] { onReadable(); }, [this] { onWritable(); });
    m_watch->setReadEnabled(true);
    // Until a first byte arrives the connection is idle; then the head's deadline runs.
    armTimer(m_options.keepAliveTimeoutMs);
    if (server->m_shuttingDown.load())
        beginShutdown();
}

HttpConnection::~HttpConnection()
{
    // The watch goes before the descriptor is closed (and can be reused by another socket).
    m_watch.reset();
    if (m_fd >= 0)
        ::close(m_fd);
    if (auto state = m_responder.lock()) {
        QMutexLocker lock(&state->mutex);
        state->connection = nullptr;
        state->cancelled = true;
    }
    if (!m_closed)
        m_server->connectionClosed();
}

void HttpConnection::armTimer(int ms)
{
    if (ms <= 0) {
        disarmTimer();
        return;
    }
    using namespace std::chrono;
    m_deadline = steady_clock::now() + milliseconds(ms);
    if (!m_timer.isActive() || m_timerDue > m_deadline) {
        m_timer.start(ms);
        m_timerDue = m_deadline;
    }
}

void HttpConnection::disarmTimer()
{
    // The timer may run on: when it fires, there is no limit to enforce.
    m_deadline = std::chrono::steady_clock::time_point::max();
}

void HttpConnection::onReadable()
{
    if (m_closed)
        return;
    const qsizetype before = m_in.size() - m_inOffset;
    const bool open = fillInput();
    if (m_in.size() - m_inOffset > before && m_phase == Phase::Reading
        && m_parser.state() == HttpRequestParser::State::Body)
        armTimer(m_options.bodyIdleTimeoutMs); // the body makes progress
    processInput();
    if (!open)
        closeNow(); // the peer closed or reset: what it sent before that has been handled
}

// Reads what the kernel has, up to kReadAhead bytes of unparsed input. Returns false once
// the peer has closed its side or the connection failed. While kReadAhead bytes wait (a
// request being handled, a client pipelining), the descriptor is not watched for reading.
bool HttpConnection::fillInput()
{
    if (m_inOffset > 0) {
        m_in.remove(0, m_inOffset);
        m_inOffset = 0;
    }
    // Reads go through one scratch buffer per I/O thread, and only what came is kept: a
    // small request allocates a small buffer, and no 64 KiB block is taken and freed per
    // request (glibc consolidates its free lists whenever one that size is freed).
    thread_local const std::unique_ptr<char[]> scratch(new char[kReadChunk]);
    bool open = true;
    while (m_in.size() < kReadAhead) {
        const qsizetype room = qMin(kReadChunk, kReadAhead - m_in.size());
        const ssize_t n = ::read(m_fd, scratch.get(), size_t(room));
        if (n > 0) {
            m_in.append(scratch.get(), qsizetype(n));
            if (n < room)
                break; // drained: the watch says when more comes
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        open = false; // end of stream, or an error such as a reset
        break;
    }
    m_watch->setReadEnabled(open && m_in.size() < kReadAhead);
    return open;
}

// Writes `head` then `body` (if any) in one system call, as much as the kernel takes now: the
// count, or -1 once the peer is gone.
qsizetype HttpConnection::writeNow(QByteArrayView head, QByteArrayView body)
{
    const qsizetype size = head.size() + body.size();
    qsizetype done = 0;
    while (done < size) {
        iovec parts[2];
        int count = 0;
        if (done < head.size())
            parts[count++] = {const_cast<char *>(head.data() + done), size_t(head.size() - done)};
        const qsizetype bodyDone = qMax<qsizetype>(0, done - head.size());
        if (bodyDone < body.size())
            parts[count++]
                = {const_cast<char *>(body.data() + bodyDone), size_t(body.size() - bodyDone)};
        msghdr message {};
        message.msg_iov = parts;
        message.msg_iovlen = size_t(count);
        const ssize_t n = ::sendmsg(m_fd, &message, MSG_NOSIGNAL);
        if (n > 0) {
            done += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        return -1;
    }
    return done;
}

// Writes now what the kernel takes; the rest waits in m_out for the socket to take it. The
// head and the body go separately, so that a body is not copied behind its head first.
void HttpConnection::sendBytes(QByteArrayView head, QByteArrayView body)
{
    if (m_closed || (head.isEmpty() && body.isEmpty()))
        return;
    qsizetype done = 0;
    if (bytesToWrite() == 0) {
        done = writeNow(head, body);
        if (done < 0) {
            // The peer is gone; whoever wrote learns it from the closed connection.
            QMetaObject::invokeMethod(this, &HttpConnection::closeNow, Qt::QueuedConnection);
            return;
        }
        if (done == head.size() + body.size())
            return;
        m_out.clear();
        m_outOffset = 0;
    }
    if (done < head.size())
        m_out.append(head.sliced(done));
    m_out.append(body.sliced(qMax<qsizetype>(0, done - head.size())));
    m_watch->setWriteEnabled(true);
}

// Returns whether everything pending is out.
bool HttpConnection::flushOutput()
{
    const qsizetype n = writeNow(QByteArrayView(m_out).sliced(m_outOffset));
    if (n >= 0 && n < bytesToWrite()) {
        m_outOffset += n;
        return false;
    }
    m_out.clear();
    m_outOffset = 0;
    if (n < 0) {
        closeNow();
        return false;
    }
    return true;
}

void HttpConnection::onWritable()
{
    if (m_closed)
        return;
    m_watch->setWriteEnabled(false);
    if (!flushOutput()) {
        if (!m_closed)
            m_watch->setWriteEnabled(true);
        return;
    }
    if (m_closeWhenFlushed) {
        closeNow();
        return;
    }
    if (m_phase == Phase::Writing) {
        armTimer(m_options.writeIdleTimeoutMs);
        streamFile();
    } else if (m_phase == Phase::Idle || m_phase == Phase::Reading) {
        processInput(); // resume a pipeline held back by the write high-water mark
    }
}

// Sends what is pending, then closes.
void HttpConnection::closeAfterFlush()
{
    if (m_closed)
        return;
    if (bytesToWrite() == 0) {
        closeNow();
        return;
    }
    m_closeWhenFlushed = true;
    m_watch->setReadEnabled(false);
}

void HttpConnection::processInput()
{
    if (m_processing || m_closed)
        return;
    m_processing = true;
    while (!m_closed && (m_phase == Phase::Idle || m_phase == Phase::Reading)) {
        // A client that pipelines without reading its answers waits for them to drain.
        if (bytesToWrite() > kWriteHighWater)
            break;
        if (m_inOffset >= m_in.size()) {
            m_in.resize(0); // keeps its capacity while a request streams through
            m_inOffset = 0;
            // Input held back at kReadAhead is read again now that it has been consumed;
            // otherwise the watch says when more comes.
            if (m_watch->isReadEnabled() || m_closeWhenFlushed)
                break;
            if (!fillInput()) {
                QMetaObject::invokeMethod(this, &HttpConnection::closeNow, Qt::QueuedConnection);
                break;
            }
            if (m_in.isEmpty())
                break;
        }
        const qsizetype used
            = m_parser.feed(m_in.constData() + m_inOffset, m_in.size() - m_inOffset);
        m_inOffset += used;
        if (m_phase == Phase::Idle && m_parser.hasPartialRequest()) {
            m_phase = Phase::Reading;
            armTimer(m_options.headerTimeoutMs);
        }
        switch (m_parser.state()) {
        case HttpRequestParser::State::Error:
            if (m_parser.errorStatus() == 413) {
                sendAndClose(m_server->handler()->bodyTooLarge(m_parser.request()));
                break;
            }
            sendErrorAndClose(m_parser.errorStatus(), m_parser.errorReason());
            break;
        case HttpRequestParser::State::Body:
            if (m_parser.expectsContinue() && !m_sentContinue) {
                m_sentContinue = true;
                sendBytes(QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n"));
                armTimer(m_options.bodyIdleTimeoutMs);
            } else if (used > 0 && m_parser.bodyBytesReceived() == 0) {
                armTimer(m_options.bodyIdleTimeoutMs); // the head is in: now the body clock
            }
            break;
        case HttpRequestParser::State::Complete:
            // A request that asked for 100-continue gets it even when its body is empty (or
            // came unasked): RFC 9110 lets a server skip it then, but botocore takes a final
            // answer in its place as an "early response" and keeps that status for the next
            // request on the connection, which then reads the wrong status line and hangs
            // for its 60 s read timeout (seen with `aws s3 sync` of an empty file).
            if (m_parser.expectsContinue() && !m_sentContinue
                && m_parser.request().versionMinor >= 1) {
                m_sentContinue = true;
                sendBytes(QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n"));
            }
            dispatch();
            break;
        case HttpRequestParser::State::Head:
            break;
        }
    }
    m_processing = false;
}

void HttpConnection::dispatch()
{
    HttpRequest request = m_parser.takeRequest();
    m_parser.reset();
    m_sentContinue = false;
    request.peer = m_peerAddress;
    request.localPort = m_localPort;
    m_closeAfterResponse = !request.keepAlive || m_shuttingDown;
    m_headRequest = request.method == "HEAD";
    m_phase = Phase::Handling;
    disarmTimer(); // the handler owns the time (a function may run for minutes)
    auto state = std::make_shared<ResponderState>(this, ++m_sequence);
    m_responder = state;
    handleGuarded(m_server->handler(), std::move(request), HttpResponder(std::move(state)));
}

void HttpConnection::finishResponse(quint64 sequence, HttpResponse response)
{
    if (m_closed || sequence != m_sequence || m_phase != Phase::Handling)
        return;
    m_responder.reset();
    if (response.dropConnection) {
        closeNow();
        return;
    }
    if (response.closeConnection)
        m_closeAfterResponse = true;
    writeResponse(response, m_headRequest);
    if (m_file) {
        m_phase = Phase::Writing;
        armTimer(m_options.writeIdleTimeoutMs);
        streamFile();
        return;
    }
    afterResponse();
}

void HttpConnection::writeResponse(HttpResponse &response, bool headRequest)
{
    const bool noBody = statusHasNoBody(response.status);
    qint64 length = response.body.size();
    if (!response.bodyFile.isEmpty() && !noBody) {
        auto file = std::make_unique<QFile>(response.bodyFile);
        if (!file->open(QIODevice::ReadOnly) || !file->seek(response.bodyOffset)) {
            response
                = HttpResponse::text(500, QByteArrayLiteral("Cannot read the response body\n"));
            length = response.body.size();
        } else {
            const qint64 available = file->size() - response.bodyOffset;
            length = response.bodyLength < 0 ? available : qMin(response.bodyLength, available);
            if (!headRequest) {
                m_file = std::move(file);
                m_fileOffset = response.bodyOffset;
                m_fileRemaining = length;
            }
        }
    }

    // One buffer per I/O thread, kept between responses (sendBytes() copies what the socket
    // does not take at once): no allocation per response, and the same memory each time.
    thread_local QByteArray out;
    out.resize(0);
    out.reserve(256 + response.headers.size() * 48);
    out += "HTTP/1.1 ";
    appendNumber(out, response.status);
    out += ' ';
    out += reasonPhrase(response.status);
    out += "\r\nserver: tarmac\r\ndate: ";
    out += httpDate();
    out += "\r\n";
    bool hasLength = false;
    for (const auto &[name, value] : response.headers.fields()) {
        if (name == "content-length") {
            // A HEAD answer may state the length of the body it would have sent.
            if (!headRequest || noBody)
                continue;
            hasLength = true;
        }
        if (name == "connection" || name == "transfer-encoding")
            continue;
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    if (!noBody && !hasLength) {
        out += "content-length: ";
        appendNumber(out, length);
        out += "\r\n";
    }
    if (m_closeAfterResponse)
        out += "connection: close\r\n";
    out += "\r\n";
    const bool bodyHere = !headRequest && !noBody && response.bodyFile.isEmpty();
    sendBytes(out, bodyHere ? QByteArrayView(response.body) : QByteArrayView());
    if (out.capacity() > kKeptBuffer)
        out = QByteArray(); // an unusually large head's room is not held for the next answer
}

void HttpConnection::streamFile()
{
    // flush() below emits bytesWritten, which calls back here: one pump at a time.
    if (m_streaming)
        return;
    m_streaming = true;
    const bool done = m_useSendfile ? sendFileBody() : copyFileBody();
    m_streaming = false;
    if (!done)
        return;
    m_file.reset();
    afterResponse();
}

// The body goes from the page cache to the socket inside the kernel (sendfile): no read into
// this process, no copy through the socket's buffer. On loopback the pages are handed over by
// reference, so an 8 MiB GET costs the server a fraction of a millisecond. Returns whether the
// body is done; otherwise the watch calls back once the socket takes more.
bool HttpConnection::sendFileBody()
{
    if (bytesToWrite() > 0)
        return false; // the head goes first: the watch calls back once it is out
    constexpr qint64 kMaxPerCall = 16 * 1024 * 1024;
    while (m_fileRemaining > 0) {
        const ssize_t n = ::sendfile(
            m_fd, m_file->handle(), &m_fileOffset, size_t(qMin(m_fileRemaining, kMaxPerCall)));
        if (n > 0) {
            m_fileRemaining -= n;
            m_sentWithSendfile = true;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            m_watch->setWriteEnabled(true);
            return false;
        }
        if (n < 0 && !m_sentWithSendfile && (errno == EINVAL || errno == ENOSYS)) {
            // A file system or socket sendfile cannot serve: copy through the buffer instead.
            m_useSendfile = false;
            if (!m_file->seek(m_fileOffset))
                break;
            return copyFileBody();
        }
        // The file shrank under us (n == 0) or the peer went away: the length is already
        // promised, so the connection ends here.
        m_closeAfterResponse = true;
        return true;
    }
    return true;
}

bool HttpConnection::copyFileBody()
{
    while (m_file && m_fileRemaining > 0 && bytesToWrite() < kWriteHighWater) {
        const QByteArray chunk = m_file->read(qMin(kFileChunk, m_fileRemaining));
        if (chunk.isEmpty()) {
            // The file shrank under us: the length is already promised, so close.
            m_closeAfterResponse = true;
            return true;
        }
        m_fileRemaining -= chunk.size();
        sendBytes(chunk);
    }
    return m_fileRemaining <= 0;
}

void HttpConnection::afterResponse()
{
    if (m_closeAfterResponse) {
        m_phase = Phase::Closing;
        armTimer(m_options.writeIdleTimeoutMs);
        closeAfterFlush();
        return;
    }
    m_phase = m_parser.hasPartialRequest() ? Phase::Reading : Phase::Idle;
    armTimer(m_phase == Phase::Idle ? m_options.keepAliveTimeoutMs : m_options.headerTimeoutMs);
    processInput();
    if (m_phase == Phase::Idle && !m_closed && m_inOffset >= m_in.size()) {
        // An idle keep-alive connection holds no large buffer; a small one serves the next
        // request without an allocation.
        if (m_in.capacity() > kKeptBuffer)
            m_in = QByteArray();
        else
            m_in.resize(0);
        m_inOffset = 0;
    }
}

void HttpConnection::sendErrorAndClose(int status, const QByteArray &reason)
{
    sendAndClose(
        HttpResponse::json(status, QByteArray("{\"message\":\"") + reason + QByteArray("\"}")));
}

void HttpConnection::sendAndClose(HttpResponse response)
{
    m_closeAfterResponse = true;
    m_phase = Phase::Handling;
    writeResponse(response, false);
    afterResponse();
}

void HttpConnection::onTimeout()
{
    using namespace std::chrono;
    if (m_deadline == steady_clock::time_point::max())
        return;
    const auto now = steady_clock::now();
    if (now < m_deadline) {
        // Fired for an earlier limit since moved on (or a coarse timer's early firing).
        const auto left = duration_cast<milliseconds>(m_deadline - now) + milliseconds(1);
        m_timer.start(int(qMin<qint64>(left.count(), std::numeric_limits<int>::max())));
        m_timerDue = m_deadline;
        return;
    }
    m_deadline = steady_clock::time_point::max();
    switch (m_phase) {
    case Phase::Reading:
        if (m_parser.state() == HttpRequestParser::State::Body) {
            // The head is in: the service answers in its own shape (S3's RequestTimeout).
            sendAndClose(m_server->handler()->requestTimeout(m_parser.request()));
            break;
        }
        sendErrorAndClose(408, QByteArrayLiteral("Request timed out"));
        break;
    case Phase::Handling:
        break; // the handler owns the time (a function may run for minutes)
    case Phase::Idle:
    case Phase::Writing:
    case Phase::Closing:
        closeNow();
        break;
    }
}

void HttpConnection::beginShutdown()
{
    m_shuttingDown = true;
    m_closeAfterResponse = true;
    if (m_phase == Phase::Idle && !m_parser.hasPartialRequest())
        closeAfterFlush();
}

void HttpConnection::closeNow()
{
    if (m_closed)
        return;
    m_closed = true;
    m_timer.stop();
    // Off before the descriptor closes: a level-triggered watch on a closed stream would
    // fire on every turn of the loop.
    if (m_watch)
        m_watch->stop();
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    if (auto state = m_responder.lock())
        state->cancelled = true;
    m_server->connectionClosed();
    deleteLater();
}

} // namespace tarmac
