// The edge port's router on a real server: Tarmac's own endpoints, service detection to the
// registered handler, the request id and trace context a handler gets, the span each request
// leaves, services that are not running or not emulated, the exception barrier, and body
// limits in the service's own shape.
#include "http/edgerouter.h"

#include "base/clock.h"
#include "base/json.h"
#include "http/httpserver.h"
#include "http/serviceregistry.h"
#include "trace/tracer.h"

#include <QMutex>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <future>
#include <stdexcept>

using namespace tarmac;

namespace {

// A service's handler that records what it got and answers 200, or throws.
class FakeService : public HttpHandler
{
public:
    qint64 maxBodySize(const HttpRequest &) const override { return 64; }
    HttpResponse bodyTooLarge(const HttpRequest &) const override
    {
        return HttpResponse::json(413, QByteArrayLiteral(R"({"__type":"FakeTooLarge"})"));
    }
    HttpResponse internalError(const HttpRequest &, const QString &message) const override
    {
        return HttpResponse::json(500,
            toJsonBytes(Json {{"__type", "FakeInternal"}, {"message", message.toStdString()}}));
    }
    void handle(HttpRequest &&request, HttpResponder responder) override
    {
        {
            QMutexLocker lock(&mutex);
            last = request;
            ++calls;
        }
        if (request.header("x-throw") == "yes")
            throw std::runtime_error("boom");
        HttpResponse r = HttpResponse::json(200, QByteArrayLiteral("{}"));
        r.operation = QStringLiteral("FakeOperation");
        responder.send(std::move(r));
    }

    mutable QMutex mutex;
    HttpRequest last;
    int calls = 0;
};

struct Answer
{
    int status = 0;
    QByteArray head;
    QByteArray body;
    QByteArray header(const QByteArray &name) const
    {
        for (const QByteArray &line : head.split('\n')) {
            const qsizetype colon = line.indexOf(':');
            if (colon > 0 && line.left(colon).trimmed().toLower() == name)
                return line.mid(colon + 1).trimmed();
        }
        return {};
    }
};

// On a thread of its own: the server accepts on this thread's event loop, which keeps
// running while the answer is awaited.
Answer exchangeBlocking(quint16 port, const QByteArray &request)
{
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    Answer a;
    if (!socket.waitForConnected(5000))
        return a;
    socket.write(request);
    QByteArray all;
    while (socket.waitForReadyRead(5000))
        all += socket.readAll();
    const qsizetype end = all.indexOf("\r\n\r\n");
    a.head = all.left(end);
    a.body = all.mid(end + 4);
    a.status = a.head.mid(9, 3).toInt();
    return a;
}

Answer exchange(quint16 port, const QByteArray &request)
{
    auto answer = std::async(std::launch::async, exchangeBlocking, port, request);
    (void)QTest::qWaitFor(
        [&] { return answer.wait_for(std::chrono::seconds(0)) == std::future_status::ready; },
        20000);
    return answer.get();
}

QByteArray request(const QByteArray &method, const QByteArray &path, const QByteArray &headers = {},
    const QByteArray &body = {})
{
    return method + ' ' + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + headers
        + "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

QByteArray errorType(const Answer &a)
{
    auto json = parseJson(a.body);
    return json && json->is_object() ? QByteArray::fromStdString(json->value("__type", ""))
                                     : QByteArray();
}

} // namespace

class TestEdgeRouter : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    SystemClock m_clock;
    std::unique_ptr<Tracer> m_tracer;
    ServiceRegistry m_registry;
    FakeService m_sqs;
    FakeService m_internal;
    std::unique_ptr<EdgeRouter> m_router;
    std::unique_ptr<HttpServer> m_server;
    quint16 m_port = 0;

private slots:
    void initTestCase()
    {
        auto tracer = Tracer::open(m_dir.filePath(QStringLiteral("traces.db")));
        QVERIFY(tracer);
        m_tracer = std::move(*tracer);
        m_registry.add(QStringLiteral("sqs"), &m_sqs);
        m_registry.setState(QStringLiteral("sqs"), ServiceState::Running);
        m_registry.add(QStringLiteral("dynamodb")); // known, without a handler: not running
        m_router = std::make_unique<EdgeRouter>(&m_registry, m_tracer.get(), &m_clock);
        m_router->addInternalRoute("/_tarmac/fake", &m_internal);
        HttpServer::Options options;
        options.ioThreads = 1;
        m_server = std::make_unique<HttpServer>(m_router.get(), options);
        QVERIFY(m_server->listen(QHostAddress::LocalHost, 0));
        m_port = m_server->serverPort();
    }

    void cleanupTestCase()
    {
        m_server.reset();
        m_router.reset();
        m_tracer.reset();
    }

    void health()
    {
        const Answer a = exchange(m_port, request("GET", "/_tarmac/health"));
        QCOMPARE(a.status, 200);
        auto json = parseJson(a.body);
        QVERIFY2(json, a.body.constData());
        QCOMPARE(json->value("services", Json::object()).value("sqs", ""), "running");
    }

    void internalRoutes()
    {
        const int before = m_internal.calls;
        QCOMPARE(exchange(m_port, request("POST", "/_tarmac/fake/step")).status, 200);
        QCOMPARE(m_internal.calls, before + 1);
        const Answer missing = exchange(m_port, request("GET", "/_tarmac/nothing-here"));
        QCOMPARE(missing.status, 404);
        QCOMPARE(errorType(missing), QByteArray("NotFound"));
    }

    void routesToTheServiceWithRequestIdAndTrace()
    {
        const QByteArray traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        const Answer a = exchange(m_port,
            request("POST", "/",
                "X-Amz-Target: AmazonSQS.ListQueues\r\n"
                "Content-Type: application/x-amz-json-1.0\r\n"
                "traceparent: 00-"
                    + traceId + "-00f067aa0ba902b7-01\r\n",
                "{}"));
        QCOMPARE(a.status, 200);
        QByteArray requestId;
        {
            QMutexLocker lock(&m_sqs.mutex);
            QCOMPARE(m_sqs.last.traceId, traceId);
            QCOMPARE(m_sqs.last.parentSpanId, QByteArray("00f067aa0ba902b7"));
            QCOMPARE(m_sqs.last.spanId.size(), 16);
            requestId = m_sqs.last.requestId;
        }
        QVERIFY(!requestId.isEmpty());
        QCOMPARE(a.header("x-amzn-requestid"), requestId);

        // One server span for the request, with what the handler named.
        m_tracer->flush();
        Tracer::Query q;
        q.traceId = traceId;
        auto spans = m_tracer->spans(q);
        QVERIFY(spans);
        QCOMPARE(spans->size(), 1);
        const Span &s = spans->first();
        QCOMPARE(s.service, QStringLiteral("sqs"));
        QCOMPARE(s.operation, QStringLiteral("FakeOperation"));
        QCOMPARE(s.parentSpanId, QByteArray("00f067aa0ba902b7"));
        QCOMPARE(s.statusCode, SpanStatusUnset);
        QCOMPARE(s.kind, int(SpanKindServer));
        // The HTTP attributes first, made on the writer's thread from the request's fields.
        QStringList keys;
        for (const Attribute &attribute : s.attributes)
            keys.append(attribute.key);
        QCOMPARE(keys.mid(0, 4),
            (QStringList {QStringLiteral("http.request.method"), QStringLiteral("url.path"),
                QStringLiteral("http.response.status_code"), QStringLiteral("aws.request_id")}));
        QCOMPARE(attributeText(s.attributes[0].value), QStringLiteral("POST"));
        QCOMPARE(attributeText(s.attributes[1].value), QStringLiteral("/"));
        QCOMPARE(s.attributes[2].value, AttributeValue(qint64(200)));
        QCOMPARE(attributeText(s.attributes[3].value), QString::fromLatin1(requestId));
    }

    void knownButNotRunning()
    {
        const Answer a = exchange(m_port,
            request("POST", "/",
                "X-Amz-Target: DynamoDB_20120810.ListTables\r\n"
                "Content-Type: application/x-amz-json-1.0\r\n",
                "{}"));
        QCOMPARE(a.status, 503);
        QVERIFY2(errorType(a).contains("ServiceUnavailable"), a.body.constData());
        QVERIFY(!a.header("x-amzn-requestid").isEmpty());
    }

    void unknownService()
    {
        const Answer a = exchange(m_port,
            request("POST", "/",
                "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/"
                "us-east-1/frobnicate/aws4_request, SignedHeaders=host, "
                "Signature=00\r\n",
                "{}"));
        QVERIFY2(a.status == 501 || a.status == 400, a.head.constData());
        QVERIFY2(errorType(a).contains("NotImplemented")
                || errorType(a).contains("UnknownServiceException"),
            a.body.constData());
    }

    void aThrowingHandlerAnswers500InItsShapeAndTheServerStaysUp()
    {
        const Answer a = exchange(m_port,
            request("POST", "/",
                "X-Amz-Target: AmazonSQS.SendMessage\r\nX-Throw: yes\r\n"
                "Content-Type: application/x-amz-json-1.0\r\n",
                "{}"));
        QCOMPARE(a.status, 500);
        QCOMPARE(errorType(a), QByteArray("FakeInternal"));
        QVERIFY(!a.header("x-amzn-requestid").isEmpty());
        const Answer after = exchange(m_port,
            request("POST", "/",
                "X-Amz-Target: AmazonSQS.ListQueues\r\n"
                "Content-Type: application/x-amz-json-1.0\r\n",
                "{}"));
        QCOMPARE(after.status, 200);
    }

    void bodyLimitsAreTheServices()
    {
        const Answer a = exchange(m_port,
            request("POST", "/",
                "X-Amz-Target: AmazonSQS.SendMessage\r\n"
                "Content-Type: application/x-amz-json-1.0\r\n",
                QByteArray(100, 'x')));
        QCOMPARE(a.status, 413);
        QCOMPARE(errorType(a), QByteArray("FakeTooLarge"));
    }
};

QTEST_GUILESS_MAIN(TestEdgeRouter)
#include "tst_edgerouter.moc"
