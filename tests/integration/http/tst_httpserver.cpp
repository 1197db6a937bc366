// The front door driven over raw sockets: what real clients and hostile ones send.
#include "http/httpserver.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QMutex>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <optional>
#include <stdexcept>

#include <sys/resource.h>
#include <sys/socket.h>

using namespace tarmac;

namespace {

// Echoes what it received: method, path, body size and SHA-256, whether the body was spooled.
// /slow answers after 300 ms from another thread; /file streams a file; /throw… throw from
// handle(), and internalError() answers in a shape of its own (the default for /throw-default).
class EchoHandler : public HttpHandler
{
public:
    QString filePath;
    QMutex threadsMutex;
    std::vector<std::unique_ptr<QThread>> threads;
    std::optional<HttpResponder> held;

    ~EchoHandler() override
    {
        for (auto &t : threads)
            t->wait();
    }
    qint64 maxBodySize(const HttpRequest &head) const override
    {
        return head.path == "/small" ? 1024 : 200LL * 1024 * 1024;
    }
    HttpResponse requestTimeout(const HttpRequest &head) const override
    {
        HttpResponse r = HttpResponse::text(400, "echo timed out");
        r.headers.add("x-path", head.path);
        return r;
    }
    HttpResponse internalError(const HttpRequest &head, const QString &message) const override
    {
        if (head.path == "/throw-default")
            return HttpHandler::internalError(head, message);
        HttpResponse r = HttpResponse::text(500, "echo failed: " + message.toUtf8());
        r.headers.add("x-shape", "echo");
        r.headers.add("x-path", head.path);
        return r;
    }
    void handle(HttpRequest &&request, HttpResponder responder) override
    {
        if (request.path.startsWith("/throw")) {
            const HttpRequest moved = std::move(request); // the barrier must not need it
            if (moved.path == "/throw-int")
                throw 42;
            throw std::runtime_error("bad input");
        }
        if (request.path == "/answer-then-throw") {
            responder.send(HttpResponse::text(200, "answered"));
            throw std::logic_error("after the answer");
        }
        if (request.path == "/slow") {
            std::unique_ptr<QThread> t(QThread::create([responder] {
                QThread::msleep(300);
                responder.send(HttpResponse::text(200, "slow done"));
            }));
            t->start();
            QMutexLocker lock(&threadsMutex);
            threads.push_back(std::move(t));
            return;
        }
        if (request.path == "/hold") {
            QMutexLocker lock(&threadsMutex);
            held = responder; // answered (or found cancelled) by the test
            return;
        }
        if (request.path == "/large-answer") {
            QByteArray body(8 * 1024 * 1024, Qt::Uninitialized);
            for (qsizetype i = 0; i < body.size(); ++i)
                body[i] = char('a' + i % 23);
            responder.send(HttpResponse::text(200, body));
            return;
        }
        if (request.path == "/answer-empty") {
            // No body, and a header without a value: nothing to copy, which the writer must
            // not hand memcpy as a null pointer (UBSan).
            HttpResponse r;
            r.headers.add("x-empty", QByteArray());
            responder.send(std::move(r));
            return;
        }
        if (request.path == "/answer-no-content") {
            HttpResponse r;
            r.status = 204;
            responder.send(std::move(r));
            return;
        }
        if (request.path == "/file") {
            HttpResponse r;
            r.bodyFile = filePath;
            responder.send(std::move(r));
            return;
        }
        QCryptographicHash sha(QCryptographicHash::Sha256);
        auto device = request.body.open();
        while (device && !device->atEnd())
            sha.addData(device->read(1 << 16));
        const QByteArray body = request.method + ' ' + request.target + ' '
            + QByteArray::number(request.body.size()) + ' ' + sha.result().toHex() + ' '
            + (request.body.isSpooled() ? "spooled" : "memory");
        HttpResponse r = HttpResponse::text(200, body);
        r.headers.add("x-path", request.path);
        responder.send(std::move(r));
    }
};

class ServerThread : public QThread
{
public:
    HttpServer::Options options;
    EchoHandler handler;
    std::atomic<quint16> port {0};
    std::atomic<bool> drained {false};
    HttpServer *server = nullptr;

    void run() override
    {
        HttpServer s(&handler, options);
        server = &s;
        QObject::connect(&s, &HttpServer::drained, [this] { drained = true; });
        if (!s.listen(QHostAddress::LocalHost, 0))
            return;
        port = s.serverPort();
        exec();
        server = nullptr;
    }
    void shutdownServer()
    {
        QMetaObject::invokeMethod(server, [s = server] { s->shutdown(); });
    }
};

struct Response
{
    int status = 0;
    QByteArray head;
    QByteArray body;
    bool closed = false;
    std::optional<QByteArray> field(const QByteArray &name) const
    {
        for (const QByteArray &line : head.split('\n')) {
            const qsizetype colon = line.indexOf(':');
            if (colon > 0 && line.left(colon).trimmed().compare(name, Qt::CaseInsensitive) == 0)
                return line.mid(colon + 1).trimmed();
        }
        return std::nullopt;
    }
    QByteArray header(const QByteArray &name) const { return field(name).value_or(QByteArray()); }
    bool hasHeader(const QByteArray &name) const { return field(name).has_value(); }
};

// Reads one response from a blocking socket, leaving later bytes in `buffer`.
bool readResponse(QTcpSocket &s, QByteArray &buffer, Response *out, bool headRequest = false,
    int timeoutMs = 5000)
{
    QElapsedTimer t;
    t.start();
    auto more = [&] {
        if (s.bytesAvailable() == 0 && !s.waitForReadyRead(qMax(1, int(timeoutMs - t.elapsed()))))
            return false;
        buffer += s.readAll();
        return true;
    };
    qsizetype end;
    while ((end = buffer.indexOf("\r\n\r\n")) < 0) {
        if (!more())
            return false;
    }
    out->head = buffer.left(end);
    buffer.remove(0, end + 4);
    out->status = out->head.mid(9, 3).toInt();
    const qint64 length = headRequest ? 0 : out->header("content-length").toLongLong();
    while (buffer.size() < length) {
        if (!more())
            return false;
    }
    out->body = buffer.left(length);
    buffer.remove(0, length);
    return true;
}

bool waitClosed(QTcpSocket &s, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (s.state() == QAbstractSocket::ConnectedState && t.elapsed() < timeoutMs) {
        s.waitForReadyRead(50);
        s.readAll();
    }
    return s.state() != QAbstractSocket::ConnectedState;
}

qint64 rssKiB()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    }
    return 0;
}

} // namespace

class TestHttpServer : public QObject
{
    Q_OBJECT

    ServerThread *m_server = nullptr;
    QTemporaryDir m_dir;

    void connectTo(QTcpSocket &s)
    {
        s.connectToHost(QHostAddress::LocalHost, m_server->port);
        QVERIFY(s.waitForConnected(3000));
    }

    // The status of the answer to `request` on a new connection; 0 when none came.
    int statusOf(const QByteArray &request)
    {
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, m_server->port);
        if (!s.waitForConnected(3000))
            return 0;
        s.write(request);
        QByteArray buffer;
        Response r;
        return readResponse(s, buffer, &r) ? r.status : 0;
    }

private slots:
    void initTestCase()
    {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
        m_server = new ServerThread;
        m_server->options.ioThreads = 2;
        m_server->options.headerTimeoutMs = 400;
        m_server->options.bodyIdleTimeoutMs = 400;
        m_server->options.limits.spoolDir = m_dir.path();
        m_server->options.limits.maxHeaderBytes = 16 * 1024;
        m_server->start();
        QTRY_VERIFY(m_server->port != 0);
    }

    void cleanupTestCase()
    {
        m_server->quit();
        m_server->wait();
        delete m_server;
    }

    void keepAliveAndPipelining()
    {
        QTcpSocket s;
        connectTo(s);
        s.write("GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
                "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                "GET /three?q=1 HTTP/1.1\r\nHost: x\r\n\r\n");
        QByteArray buffer;
        Response r;
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.startsWith("GET /one 0 "));
        QVERIFY(readResponse(s, buffer, &r));
        QVERIFY(r.body.startsWith(QByteArray(
            "POST /two 3 " + QCryptographicHash::hash("abc", QCryptographicHash::Sha256).toHex())));
        QVERIFY(readResponse(s, buffer, &r));
        QVERIFY(r.body.startsWith("GET /three?q=1 0"));
        QCOMPARE(r.header("x-path"), QByteArray("/three"));
        // Still open for more.
        s.write("GET /four HTTP/1.1\r\nHost: x\r\n\r\n");
        QVERIFY(readResponse(s, buffer, &r));
        QVERIFY(r.body.startsWith("GET /four"));
    }

    // An exception from a handler is that request's 500, in the handler's own shape, and
    // nothing more: the connection and the server go on.
    void throwingHandlerAnswers500AndServerGoesOn()
    {
        QTcpSocket s;
        connectTo(s);
        s.write("GET /throw HTTP/1.1\r\nHost: x\r\n\r\n"
                "GET /after-throw HTTP/1.1\r\nHost: x\r\n\r\n");
        QByteArray buffer;
        Response r;
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.status, 500);
        QCOMPARE(r.header("x-shape"), QByteArray("echo"));
        QCOMPARE(r.header("x-path"), QByteArray("/throw")); // the head survived the move
        QVERIFY2(r.body.contains("bad input"), r.body.constData());
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.startsWith("GET /after-throw"));

        // Not a std::exception: caught all the same.
        s.write("GET /throw-int HTTP/1.1\r\nHost: x\r\n\r\n");
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.status, 500);
        QCOMPARE(r.header("x-shape"), QByteArray("echo"));

        // The default shape: JSON InternalFailure.
        s.write("GET /throw-default HTTP/1.1\r\nHost: x\r\n\r\n");
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.status, 500);
        QVERIFY(r.header("content-type").startsWith("application/json"));
        QVERIFY2(r.body.contains("\"__type\":\"InternalFailure\""), r.body.constData());

        // Answered, then threw: the first answer stands, and nothing else is written.
        s.write("GET /answer-then-throw HTTP/1.1\r\nHost: x\r\n\r\n"
                "GET /after-answer HTTP/1.1\r\nHost: x\r\n\r\n");
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, QByteArray("answered"));
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.startsWith("GET /after-answer"));

        // And a new connection is served as before.
        QCOMPARE(statusOf("GET /fresh HTTP/1.1\r\nHost: x\r\n\r\n"), 200);
    }

    // More pipelined requests than the connection reads ahead (256 KiB): all answered, in
    // order, once the client starts reading.
    void pipelineLargerThanReadAhead()
    {
        QTcpSocket s;
        connectTo(s);
        const QByteArray body(2000, 'p');
        QByteArray requests;
        const int count = 400; // about 800 KB
        for (int i = 0; i < count; ++i) {
            requests += "POST /p" + QByteArray::number(i)
                + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + QByteArray::number(body.size())
                + "\r\n\r\n" + body;
        }
        s.write(requests);
        QByteArray buffer;
        for (int i = 0; i < count; ++i) {
            Response r;
            QVERIFY2(readResponse(s, buffer, &r), qPrintable(QString::number(i)));
            QCOMPARE(r.status, 200);
            QVERIFY(r.body.startsWith(QByteArray("POST /p" + QByteArray::number(i) + " 2000 ")));
        }
    }

    // A client that resets its connection in the middle of a file body (sendfile) costs the
    // server that connection and nothing else. (QtTest ignores SIGPIPE in its own process, so
    // e2e_s3 checks the real binary for that: test_client_reset_during_large_get.)
    void clientResetDuringFileBody()
    {
        const QString path = m_dir.filePath(QStringLiteral("reset.bin"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QVERIFY(f.resize(32 * 1024 * 1024));
        f.close();
        m_server->handler.filePath = path;
        for (int i = 0; i < 10; ++i) {
            QTcpSocket s;
            s.setReadBufferSize(4096);
            connectTo(s);
            s.write("GET /file HTTP/1.1\r\nHost: x\r\n\r\n");
            QVERIFY(s.waitForReadyRead(2000));
            s.read(1024);
            // SO_LINGER 0: the close sends a reset, and the server's next send fails with EPIPE.
            const struct linger reset = {1, 0};
            QCOMPARE(::setsockopt(
                         int(s.socketDescriptor()), SOL_SOCKET, SO_LINGER, &reset, sizeof reset),
                0);
            s.abort();
            QTest::qWait(20);
        }
        QCOMPARE(statusOf("GET /after HTTP/1.1\r\nHost: x\r\n\r\n"), 200);
    }

    // A response larger than the socket takes at once waits for a client that reads slowly.
    void largeResponseToSlowReader()
    {
        QTcpSocket s;
        s.setReadBufferSize(64 * 1024);
        connectTo(s);
        s.write(
            "GET /large-answer HTTP/1.1\r\nHost: x\r\n\r\nGET /one HTTP/1.1\r\nHost: x\r\n\r\n");
        QThread::msleep(300); // the server fills the socket and waits
        QByteArray buffer;
        Response r;
        QVERIFY(readResponse(s, buffer, &r, false, 20000));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body.size(), 8 * 1024 * 1024);
        // Every byte in its place: the head and the body leave in one call, and the rest of
        // a partial write waits for the socket.
        qsizetype wrong = -1;
        for (qsizetype i = 0; i < r.body.size() && wrong < 0; ++i) {
            if (r.body.at(i) != char('a' + i % 23))
                wrong = i;
        }
        QCOMPARE(wrong, -1);
        QVERIFY(readResponse(s, buffer, &r));
        QVERIFY(r.body.startsWith(QByteArrayLiteral("GET /one ")));
    }

    // A client that goes away while its request is handled: the handler can tell, and a late
    // answer goes nowhere.
    void clientGoneWhileHandling()
    {
        {
            QMutexLocker lock(&m_server->handler.threadsMutex);
            m_server->handler.held.reset();
        }
        QTcpSocket s;
        connectTo(s);
        s.write("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
        QVERIFY(s.waitForBytesWritten(1000));
        const auto held = [this] {
            QMutexLocker lock(&m_server->handler.threadsMutex);
            return m_server->handler.held;
        };
        QTRY_VERIFY(held().has_value());
        QVERIFY(!held()->isCancelled());
        s.abort();
        QTRY_VERIFY(held()->isCancelled());
        held()->send(HttpResponse::text(200, "too late"));
    }

    void expectContinueIsAnsweredAtOnce()
    {
        QTcpSocket s;
        connectTo(s);
        QElapsedTimer t;
        t.start();
        s.write("PUT /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
        QByteArray buffer;
        Response r;
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.status, 100);
        QVERIFY2(t.elapsed() < 200, "100 Continue must not wait for a timeout");
        s.write("hello");
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.startsWith("PUT /up 5 "));
    }

    // An expectation other than 100-continue is ignored, as AWS's endpoints ignore it: no 417,
    // no interim answer, the body read and the connection kept.
    void unknownExpectationIsIgnored()
    {
        QTcpSocket s;
        connectTo(s);
        s.write("PUT /up HTTP/1.1\r\nHost: x\r\nExpect: 200\r\nContent-Length: 5\r\n\r\nhello"
                "GET /next HTTP/1.1\r\nHost: x\r\nExpect: \r\n\r\n");
        QByteArray buffer;
        Response r;
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.startsWith("PUT /up 5 "));
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.startsWith("GET /next 0 "));
    }

    // An empty body asked for with 100-continue still gets the interim answer first: botocore
    // takes a final answer in its place for an "early response" and misreads the next one.
    void expectContinueWithEmptyBody()
    {
        QTcpSocket s;
        connectTo(s);
        s.write(
            "PUT /empty HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n");
        QByteArray buffer;
        Response r;
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.status, 100);
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.startsWith("PUT /empty 0 "));
    }

    void expectContinueRefusedWhenTooLarge()
    {
        QTcpSocket s;
        connectTo(s);
        s.write("PUT /small HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: "
                "100-continue\r\n\r\n");
        QByteArray buffer;
        Response r;
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.status, 413);
        QVERIFY(waitClosed(s, 2000));
    }

    void chunkedBodies()
    {
        QTcpSocket s;
        connectTo(s);
        s.write("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nx-trailer: t\r\n\r\n");
        QByteArray buffer;
        Response r;
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.startsWith(QByteArray("POST /c 12 "
            + QCryptographicHash::hash("hello, world", QCryptographicHash::Sha256).toHex())));
        // A streamed body past the route's limit is refused mid-way.
        s.write("POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        const QByteArray chunk
            = QByteArray::number(600, 16) + "\r\n" + QByteArray(600, 'a') + "\r\n";
        s.write(chunk + chunk);
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.status, 413);
        QVERIFY(waitClosed(s, 2000));
    }

    void largeBodyIsSpooledInBoundedMemory()
    {
        const qint64 size = 50LL * 1024 * 1024;
        QTcpSocket s;
        connectTo(s);
        const qint64 before = rssKiB();
        s.write("PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: " + QByteArray::number(size)
            + "\r\n\r\n");
        QByteArray block(1 << 16, '\0');
        for (int i = 0; i < block.size(); ++i)
            block[i] = char(i * 7);
        QCryptographicHash sha(QCryptographicHash::Sha256);
        qint64 peak = before;
        for (qint64 sent = 0; sent < size; sent += block.size()) {
            s.write(block);
            sha.addData(block);
            while (s.bytesToWrite() > (1 << 20))
                s.waitForBytesWritten(1000);
            if ((sent & ((1 << 22) - 1)) == 0)
                peak = qMax(peak, rssKiB());
        }
        QByteArray buffer;
        Response r;
        QVERIFY(readResponse(s, buffer, &r, false, 30000));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body,
            "PUT /big " + QByteArray::number(size) + ' ' + sha.result().toHex() + " spooled");
        qInfo("RSS before %lld KiB, peak while sending %lld KiB", before, peak);
#if defined(__SANITIZE_ADDRESS__)
        // AddressSanitizer's quarantine and shadow memory make RSS say nothing about us.
        Q_UNUSED(peak);
#else
        QVERIFY2(peak - before < 24 * 1024, "a 50 MiB body must not sit in memory");
#endif
    }

    void oversizedHeadersGet431()
    {
        QTcpSocket s;
        connectTo(s);
        s.write("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + QByteArray(20000, 'a') + "\r\n\r\n");
        QByteArray buffer;
        Response r;
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.status, 431);
        QVERIFY(waitClosed(s, 2000));
    }

    // The keep-alive limit starts again after every answer: a connection used more often
    // than the limit stays open past its first deadline, and closes one limit after its last
    // answer (the connection's timer is not restarted per request, only checked when it fires).
    void keepAliveLimitMovesWithEachAnswer()
    {
        ServerThread server;
        server.options.keepAliveTimeoutMs = 600;
        server.start();
        QTRY_VERIFY(server.port != 0);
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, server.port);
        QVERIFY(s.waitForConnected(3000));
        QElapsedTimer t;
        t.start();
        QByteArray buffer;
        Response r;
        for (int i = 0; i < 5; ++i) {
            s.write("GET /again HTTP/1.1\r\nHost: x\r\n\r\n");
            QVERIFY(readResponse(s, buffer, &r));
            QCOMPARE(r.status, 200);
            QTest::qWait(300);
        }
        QVERIFY(t.elapsed() >= 1500); // well past the first deadline, still open
        QCOMPARE(s.state(), QAbstractSocket::ConnectedState);
        t.restart();
        QVERIFY(waitClosed(s, 3000));
        QVERIFY2(t.elapsed() >= 200 && t.elapsed() < 2000, QByteArray::number(t.elapsed()));
        server.quit();
        server.wait();
    }

    void stalledClientIsDropped()
    {
        QTcpSocket s;
        connectTo(s);
        s.write("GET /stall HTTP/1.1\r\nHost: x\r\nX-Partial: ");
        QElapsedTimer t;
        t.start();
        QByteArray buffer;
        Response r;
        QVERIFY(readResponse(s, buffer, &r, false, 3000));
        QCOMPARE(r.status, 408);
        QVERIFY(waitClosed(s, 2000));
        QVERIFY(t.elapsed() < 2000);
        // A body that stops coming: the handler's own answer (S3's 400 RequestTimeout).
        buffer.clear();
        QTcpSocket body;
        connectTo(body);
        body.write("PUT /stalled-body HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbar");
        t.restart();
        QVERIFY(readResponse(body, buffer, &r, false, 3000));
        QCOMPARE(r.status, 400);
        QCOMPARE(r.body, QByteArray("echo timed out"));
        QVERIFY(waitClosed(body, 2000));
        QVERIFY(t.elapsed() < 2000);
        // Trickling a header byte at a time does not extend the head's deadline.
        QTcpSocket slow;
        connectTo(slow);
        slow.write("GET /slowloris HTTP/1.1\r\n");
        t.restart();
        bool closed = false;
        while (t.elapsed() < 3000 && !closed) {
            slow.write("X");
            slow.waitForBytesWritten(100);
            QTest::qWait(100);
            closed = slow.state() != QAbstractSocket::ConnectedState;
            slow.readAll();
        }
        QVERIFY(closed);
        QVERIFY(t.elapsed() < 2000);
    }

    void headHasLengthButNoBody()
    {
        QTcpSocket s;
        connectTo(s);
        s.write("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n");
        QByteArray buffer;
        Response r;
        QVERIFY(readResponse(s, buffer, &r, true));
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("content-length").toInt() > 0);
        QVERIFY(readResponse(s, buffer, &r));
        QVERIFY(r.body.startsWith("GET /after"));
    }

    void emptyAnswers()
    {
        QTcpSocket s;
        connectTo(s);
        s.write("GET /answer-empty HTTP/1.1\r\nHost: x\r\n\r\nGET /answer-no-content "
                "HTTP/1.1\r\nHost: x\r\n\r\n"
                "GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
        QByteArray buffer;
        Response r;
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("content-length"), QByteArray("0"));
        QVERIFY(r.body.isEmpty());
        QVERIFY(r.hasHeader("x-empty"));
        QCOMPARE(r.header("x-empty"), QByteArray());
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.status, 204);
        QVERIFY(!r.hasHeader("content-length"));
        QVERIFY(readResponse(s, buffer, &r));
        QVERIFY(r.body.startsWith("GET /after"));
    }

    void fileBodiesStream()
    {
        const QString path = m_dir.filePath(QStringLiteral("file.bin"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        const QByteArray data(3 * 1024 * 1024 + 17, 'z');
        f.write(data);
        f.close();
        m_server->handler.filePath = path;
        QTcpSocket s;
        connectTo(s);
        s.write("GET /file HTTP/1.1\r\nHost: x\r\n\r\n");
        QByteArray buffer;
        Response r;
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.body.size(), data.size());
        QCOMPARE(r.body, data);
    }

    void badInputGets400AndClose_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<int>("status");
        QTest::newRow("garbage request line") << QByteArray("HELLO\r\n\r\n") << 400;
        QTest::newRow("no version") << QByteArray("GET /\r\n\r\n") << 400;
        QTest::newRow("bad version") << QByteArray("GET / HTTP/9.9\r\nHost: x\r\n\r\n") << 505;
        QTest::newRow("space in header name")
            << QByteArray("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n") << 400;
        QTest::newRow("header without colon")
            << QByteArray("GET / HTTP/1.1\r\nNoColon\r\n\r\n") << 400;
        QTest::newRow("CL and TE")
            << QByteArray("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: "
                          "chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
            << 400;
        QTest::newRow("two CLs") << QByteArray(
            "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")
                                 << 400;
        QTest::newRow("negative CL")
            << QByteArray("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n") << 400;
        QTest::newRow("huge CL") << QByteArray(
            "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n")
                                 << 400;
        QTest::newRow("CL over route limit")
            << QByteArray("POST /small HTTP/1.1\r\nContent-Length: 5000\r\n\r\n") << 413;
        QTest::newRow("bad chunk size")
            << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n")
            << 400;
        QTest::newRow("chunk size overflow") << QByteArray(
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n")
                                             << 400;
        QTest::newRow("non-UTF-8 path")
            << QByteArray("GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n") << 400;
        QTest::newRow("overlong UTF-8 path")
            << QByteArray("GET /\xc0\xaf HTTP/1.1\r\nHost: x\r\n\r\n") << 400;
        QTest::newRow("NUL in path") << QByteArray("GET /a\0b HTTP/1.1\r\n\r\n", 22) << 400;
    }

    void badInputGets400AndClose()
    {
        QFETCH(QByteArray, request);
        QFETCH(int, status);
        QTcpSocket s;
        connectTo(s);
        s.write(request);
        QByteArray buffer;
        Response r;
        QVERIFY(readResponse(s, buffer, &r));
        QCOMPARE(r.status, status);
        QVERIFY(waitClosed(s, 2000));
    }

    void thousandConcurrentKeepAliveConnections()
    {
        const int kCount = qEnvironmentVariableIntValue("KCOUNT")
            ? qEnvironmentVariableIntValue("KCOUNT")
            : 1000;
        std::vector<std::unique_ptr<QTcpSocket>> sockets;
        for (int i = 0; i < kCount; ++i) {
            auto s = std::make_unique<QTcpSocket>();
            s->connectToHost(QHostAddress::LocalHost, m_server->port);
            sockets.push_back(std::move(s));
        }
        for (auto &s : sockets)
            QVERIFY(s->waitForConnected(5000));
        for (int round = 0; round < 2; ++round) {
            for (int i = 0; i < kCount; ++i) {
                sockets[i]->write(
                    "GET /c" + QByteArray::number(i) + " HTTP/1.1\r\nHost: x\r\n\r\n");
                sockets[i]->flush(); // no event loop here to send it
            }
            for (int i = 0; i < kCount; ++i) {
                QByteArray buffer;
                Response r;
                QVERIFY2(readResponse(*sockets[i], buffer, &r), qPrintable(QString::number(i)));
                QCOMPARE(r.status, 200);
                QVERIFY(r.body.startsWith(QByteArray("GET /c" + QByteArray::number(i) + ' ')));
            }
        }
        for (auto &s : sockets)
            QCOMPARE(s->state(), QAbstractSocket::ConnectedState);
    }

    // Last: it stops the server.
    void gracefulShutdownFinishesInFlightRequests()
    {
        QTcpSocket busy, idle;
        connectTo(busy);
        connectTo(idle);
        idle.write("GET /warm HTTP/1.1\r\nHost: x\r\n\r\n");
        QByteArray idleBuffer;
        Response r;
        QVERIFY(readResponse(idle, idleBuffer, &r));
        busy.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        QTest::qWait(50);
        m_server->shutdownServer();
        QVERIFY(waitClosed(idle, 2000));
        QByteArray buffer;
        QVERIFY(readResponse(busy, buffer, &r));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, QByteArray("slow done"));
        QCOMPARE(r.header("connection"), QByteArray("close"));
        QVERIFY(waitClosed(busy, 2000));
        QTRY_VERIFY(m_server->drained.load());
        QTcpSocket late;
        late.connectToHost(QHostAddress::LocalHost, m_server->port);
        QVERIFY(!late.waitForConnected(500) || waitClosed(late, 1000));
    }
};

QTEST_GUILESS_MAIN(TestHttpServer)
#include "tst_httpserver.moc"
