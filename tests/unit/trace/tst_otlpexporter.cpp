// OTLP/HTTP export: the protobuf encoding byte for byte against opentelemetry-proto's field
// numbers, the settings as the SDKs read them, and the exporter against a collector that
// refuses, fails, or is not there; and the receiver's side: protobuf decoded back, and
// records read from OTLP/JSON.
#include "trace/otlpexporter.h"
#include "trace/otlpimport.h"
#include "trace/otlpprotobuf.h"

#include <QMutex>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace tarmac;

namespace {

Span sampleSpan()
{
    Span s;
    s.traceId = "0102030405060708090a0b0c0d0e0f10";
    s.spanId = "1112131415161718";
    s.parentSpanId = "2122232425262728";
    s.name = QStringLiteral("n");
    s.service = QStringLiteral("svc");
    s.kind = 2;
    s.startNs = 1;
    s.endNs = 2;
    s.statusCode = 2;
    s.statusMessage = QStringLiteral("m");
    s.attributes = {
        {QStringLiteral("a"), qint64(-1)}, {QStringLiteral("d"), 0.5}, {QStringLiteral("b"), true}};
    return s;
}

QByteArray bytes(std::initializer_list<int> list)
{
    QByteArray out;
    for (int b : list)
        out += char(b);
    return out;
}

// Protobuf field `number`, length-delimited, holding `payload`.
QByteArray lengthDelimited(int number, const QByteArray &payload)
{
    QByteArray out;
    out += char((number << 3) | 2);
    quint64 n = quint64(payload.size());
    while (n >= 0x80) {
        out += char(n | 0x80);
        n >>= 7;
    }
    out += char(n);
    return out + payload;
}

// A collector on the test's thread: answers each request with the next status of `statuses`
// (then 200), and keeps the requests' bodies.
class FakeCollector : public QObject
{
public:
    QList<int> statuses;
    QList<QByteArray> bodies;
    QList<QByteArray> heads;

    FakeCollector()
    {
        server.listen(QHostAddress::LocalHost);
        connect(&server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = server.nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, this, [this, s] { onData(s); });
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
    }
    QString url() const { return QStringLiteral("http://127.0.0.1:%1").arg(server.serverPort()); }

private:
    void onData(QTcpSocket *s)
    {
        QByteArray &in = buffers[s];
        in += s->readAll();
        for (;;) {
            const qsizetype end = in.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            qsizetype length = 0;
            for (const QByteArray &line : in.left(end).split('\n'))
                if (line.toLower().startsWith("content-length:"))
                    length = line.mid(15).trimmed().toLongLong();
            if (in.size() < end + 4 + length)
                return;
            heads.append(in.left(end));
            bodies.append(in.mid(end + 4, length));
            in.remove(0, end + 4 + length);
            const int status = statuses.isEmpty() ? 200 : statuses.takeFirst();
            const QByteArray body = status == 200 ? QByteArray() : QByteArray("bad batch");
            s->write("HTTP/1.1 " + QByteArray::number(status)
                + " X\r\nRetry-After: 0\r\nContent-Length: " + QByteArray::number(body.size())
                + "\r\n\r\n" + body);
        }
    }

    QTcpServer server;
    QHash<QTcpSocket *, QByteArray> buffers;
};

OtlpExporter::Options optionsFor(const QString &base)
{
    auto o = OtlpExporter::fromSettings(base, QProcessEnvironment());
    Q_ASSERT(o && *o);
    OtlpExporter::Options options = **o;
    options.maxDelayMs = 10;
    options.firstBackoffMs = 20;
    return options;
}

} // namespace

class TestOtlpExporter : public QObject
{
    Q_OBJECT
private slots:
    void spanInProtobuf()
    {
        const QByteArray pb = otlp::tracesToProtobuf({sampleSpan()});
        // The span's fields by number and wire type (trace.proto, common.proto).
        QVERIFY(pb.contains(
            bytes({0x0a, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})));
        QVERIFY(pb.contains(bytes({0x12, 0x08, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18})));
        QVERIFY(pb.contains(bytes({0x22, 0x08, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28})));
        QVERIFY(pb.contains(bytes({0x2a, 0x01, 'n', 0x30, 0x02})));
        QVERIFY(pb.contains(bytes({0x39, 1, 0, 0, 0, 0, 0, 0, 0, 0x41, 2, 0, 0, 0, 0, 0, 0, 0})));
        // attributes (9): KeyValue{key "a", value AnyValue{int_value (3) = -1: ten bytes}}
        QVERIFY(pb.contains(bytes({0x4a, 0x10, 0x0a, 0x01, 'a', 0x12, 0x0b, 0x18, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})));
        // double_value (4) = 0.5, bool_value (2) = true
        QVERIFY(pb.contains(bytes({0x12, 0x09, 0x21, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f})));
        QVERIFY(pb.contains(bytes({0x12, 0x02, 0x10, 0x01})));
        // status (15): message (2) "m", code (3) 2
        QVERIFY(pb.contains(bytes({0x7a, 0x05, 0x12, 0x01, 'm', 0x18, 0x02})));
        // The resource's service.name, and the request's outer field (resource_spans = 1).
        QVERIFY(pb.startsWith(char(0x0a)));
        QVERIFY(pb.contains(QByteArray("\x0a\x0cservice.name\x12\x05\x0a\x03svc", 21)));
    }

    void awsCallsAreRpcSpans()
    {
        Span call = sampleSpan();
        call.service = QStringLiteral("dynamodb");
        call.operation = QStringLiteral("PutItem");
        call.attributes = {{QStringLiteral("aws.request_id"), QStringLiteral("r-1")}};
        Span internal = call;
        internal.kind = SpanKindInternal;
        // A request to an API's own route is an HTTP server's span, not an AWS call.
        Span route = call;
        route.service = QStringLiteral("apigateway");
        route.operation = QStringLiteral("GET /notes");
        route.attributes.append(
            {QStringLiteral("aws.apigateway.api_id"), QStringLiteral("a1b2c3d4e5")});
        const Json doc = otlp::tracesToJson({call, internal, route});
        const Json &spans = doc["resourceSpans"][0]["scopeSpans"][0]["spans"];
        QStringList keys;
        for (const Json &a : spans[0]["attributes"])
            keys.append(QString::fromStdString(a["key"].get<std::string>()) + u'='
                + QString::fromStdString(a["value"].value("stringValue", std::string())));
        QVERIFY2(keys.contains(QStringLiteral("rpc.system=aws-api"))
                && keys.contains(QStringLiteral("rpc.service=DynamoDB"))
                && keys.contains(QStringLiteral("rpc.method=PutItem"))
                && !keys.contains(QStringLiteral("messaging.system=aws_sqs")),
            qPrintable(keys.join(u' ')));
        QCOMPARE(spans[1]["attributes"].size(), size_t(2)); // aws.request_id, tarmac.operation
        // (under a resource of its own: service.name apigateway)
        size_t routeAttributes = 0;
        for (const Json &r : doc["resourceSpans"]) {
            for (const Json &s : r["scopeSpans"][0]["spans"]) {
                if (s["name"] == route.name.toStdString())
                    routeAttributes = s["attributes"].size();
            }
        }
        QCOMPARE(routeAttributes, size_t(3)); // and aws.apigateway.api_id
    }

    void logInProtobuf()
    {
        LogRecord log;
        log.timeNs = 5;
        log.traceId = "0102030405060708090a0b0c0d0e0f10";
        log.spanId = "1112131415161718";
        log.source = QStringLiteral("fn");
        log.severity = 9;
        log.text = QStringLiteral("hi");
        const QByteArray pb = otlp::logsToProtobuf({log});
        QVERIFY(pb.contains(bytes({0x09, 5, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x09})));
        QVERIFY(pb.contains(bytes({0x2a, 0x04, 0x0a, 0x02, 'h', 'i'}))); // body (5)
        QVERIFY(pb.contains(bytes({0x4a, 0x10, 1, 2, 3}))); // trace_id (9)
        QVERIFY(pb.contains(bytes({0x52, 0x08, 0x11, 0x12}))); // span_id (10)
    }

    void protobufRoundTrip()
    {
        Span span = sampleSpan();
        LogRecord log;
        log.timeNs = 5;
        log.traceId = span.traceId;
        log.spanId = span.spanId;
        log.source = QStringLiteral("svc");
        log.severity = 13;
        log.text = QStringLiteral("héllo");
        log.requestId = QStringLiteral("req-1");

        auto traces = otlp::protobufToJson(otlp::tracesToProtobuf({span}), otlp::Signal::Traces);
        QVERIFY(traces);
        QVERIFY2(*traces == otlp::tracesToJson({span}), traces->dump().c_str());
        const otlp::Imported spans = otlp::importTraces(*traces);
        QCOMPARE(spans.rejected, qint64(0));
        QCOMPARE(spans.spans.size(), 1);
        QCOMPARE(spans.spans.first(), span);

        auto logs = otlp::protobufToJson(otlp::logsToProtobuf({log}), otlp::Signal::Logs);
        QVERIFY(logs);
        QVERIFY2(*logs == otlp::logsToJson({log}), logs->dump().c_str());
        const otlp::Imported records = otlp::importLogs(*logs);
        QCOMPARE(records.logs.size(), 1);
        QCOMPARE(records.logs.first(), log);
    }

    void protobufThatIsNotOtlp_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("problem");
        QTest::newRow("cut varint") << bytes({0x0a, 0xff}) << QStringLiteral("cut short");
        QTest::newRow("length past end")
            << bytes({0x0a, 0x05, 0x01}) << QStringLiteral("runs past");
        QTest::newRow("wrong wire type") << bytes({0x08, 0x01}) << QStringLiteral("wire type 0");
        QTest::newRow("group") << bytes({0x0b}) << QStringLiteral("wire type 3");
        QTest::newRow("field 0") << bytes({0x00, 0x01}) << QStringLiteral("field number 0");
        // ResourceSpans{resource{attributes{key: "\xff"}}}: a string that is not UTF-8.
        QTest::newRow("not utf-8") << bytes({0x0a, 0x07, 0x0a, 0x05, 0x0a, 0x03, 0x0a, 0x01, 0xff})
                                   << QStringLiteral("not UTF-8");
        QTest::newRow("unknown fields skipped") << bytes({0x78, 0x01, 0x0a, 0x00}) << QString();
    }

    void protobufThatIsNotOtlp()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, problem);
        const auto r = otlp::protobufToJson(body, otlp::Signal::Traces);
        if (problem.isEmpty()) {
            QVERIFY(r);
            return;
        }
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(problem), qPrintable(r.error().message));
    }

    void deepNestingIsRefused()
    {
        // A log record's body: an AnyValue whose array_value (5) holds values (1) that are
        // AnyValues again, 100 deep.
        QByteArray any;
        for (int i = 0; i < 100; ++i)
            any = lengthDelimited(5, lengthDelimited(1, any));
        const QByteArray request
            = lengthDelimited(1, lengthDelimited(2, lengthDelimited(2, lengthDelimited(5, any))));
        const auto r = otlp::protobufToJson(request, otlp::Signal::Logs);
        QVERIFY(!r);
        QVERIFY2(
            r.error().message.contains(QStringLiteral("64 deep")), qPrintable(r.error().message));
        // 20 deep is fine.
        any.clear();
        for (int i = 0; i < 20; ++i)
            any = lengthDelimited(5, lengthDelimited(1, any));
        QVERIFY(otlp::protobufToJson(
            lengthDelimited(1, lengthDelimited(2, lengthDelimited(2, lengthDelimited(5, any)))),
            otlp::Signal::Logs));
    }

    void settingsAsTheSdksReadThem()
    {
        QProcessEnvironment env;
        auto none = OtlpExporter::fromSettings(QString(), env);
        QVERIFY(none && !*none);

        env.insert(
            QStringLiteral("OTEL_EXPORTER_OTLP_ENDPOINT"), QStringLiteral("http://c:4318/base"));
        env.insert(QStringLiteral("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"),
            QStringLiteral("http://l:1/my/logs"));
        env.insert(QStringLiteral("OTEL_EXPORTER_OTLP_HEADERS"), QStringLiteral("a=1,b=x%20y"));
        env.insert(QStringLiteral("OTEL_EXPORTER_OTLP_TRACES_HEADERS"), QStringLiteral("A=2"));
        env.insert(QStringLiteral("OTEL_EXPORTER_OTLP_PROTOCOL"), QStringLiteral("http/json"));
        auto o = OtlpExporter::fromSettings(QString(), env);
        QVERIFY(o && *o);
        QCOMPARE((*o)->tracesUrl.toString(), QStringLiteral("http://c:4318/base/v1/traces"));
        QCOMPARE((*o)->logsUrl.toString(), QStringLiteral("http://l:1/my/logs"));
        QVERIFY((*o)->json);
        const QList<std::pair<QByteArray, QByteArray>> headers {{"b", "x y"}, {"A", "2"}};
        QCOMPARE((*o)->headers, headers);

        // The flag wins over every endpoint variable.
        o = OtlpExporter::fromSettings(QStringLiteral("http://f:9/"), env);
        QVERIFY(o && *o);
        QCOMPARE((*o)->tracesUrl.toString(), QStringLiteral("http://f:9/v1/traces"));
        QCOMPARE((*o)->logsUrl.toString(), QStringLiteral("http://f:9/v1/logs"));

        QVERIFY(!OtlpExporter::fromSettings(QStringLiteral("https://f:9"), {}));
        QVERIFY(!OtlpExporter::fromSettings(QStringLiteral("::"), {}));
        env.insert(QStringLiteral("OTEL_EXPORTER_OTLP_PROTOCOL"), QStringLiteral("grpc"));
        QVERIFY(!OtlpExporter::fromSettings(QString(), env));
        env.insert(QStringLiteral("OTEL_EXPORTER_OTLP_PROTOCOL"), QString());
        env.insert(QStringLiteral("OTEL_EXPORTER_OTLP_HEADERS"), QStringLiteral("x=a\nb"));
        QVERIFY(!OtlpExporter::fromSettings(QString(), env));
    }

    void refusedBatchIsDroppedAndSaidOnce()
    {
        FakeCollector collector;
        collector.statuses = {400};
        auto options = optionsFor(collector.url());
        QStringList said;
        QMutex saidMutex;
        options.report = [&](const QString &line) {
            QMutexLocker lock(&saidMutex);
            said.append(line);
        };
        OtlpExporter exporter(options);
        exporter.enqueue({sampleSpan()}, {});
        QTRY_COMPARE(exporter.stats().dropped, 1u);
        exporter.enqueue({sampleSpan(), sampleSpan()}, {});
        QTRY_COMPARE(exporter.stats().sentSpans, 2u);
        QCOMPARE(collector.bodies.size(), 2);
        QVERIFY(collector.heads.first().startsWith("POST /v1/traces HTTP/1.1\r\n"));
        QVERIFY(collector.heads.first().contains("Content-Type: application/x-protobuf"));
        QMutexLocker lock(&saidMutex);
        QCOMPARE(said.size(), 1);
        QVERIFY2(said.first().contains(QStringLiteral("refused 1 spans"))
                && said.first().contains(QStringLiteral("bad batch")),
            qPrintable(said.first()));
    }

    void unavailableIsRetriedUntilItWorks()
    {
        FakeCollector collector;
        collector.statuses = {503, 502, 429};
        OtlpExporter::Options options = optionsFor(collector.url());
        options.report = [](const QString &) {};
        OtlpExporter exporter(options);
        exporter.enqueue({sampleSpan()}, {});
        QTRY_COMPARE(exporter.stats().sentSpans, 1u);
        QCOMPARE(exporter.stats().failedRequests, 3u);
        QCOMPARE(exporter.stats().dropped, 0u);
        QCOMPARE(collector.bodies.size(), 4);
        QCOMPARE(collector.bodies.last(), collector.bodies.first());
    }

    void queueIsBoundedWhileTheCollectorIsDown()
    {
        QTcpServer probe;
        probe.listen(QHostAddress::LocalHost);
        const QString url = QStringLiteral("http://127.0.0.1:%1").arg(probe.serverPort());
        probe.close(); // nothing listens there now
        OtlpExporter::Options options = optionsFor(url);
        options.maxQueued = 10;
        options.maxBatch = 5;
        options.report = [](const QString &) {};
        auto exporter = std::make_unique<OtlpExporter>(options);
        QList<Span> many(100, sampleSpan());
        exporter->enqueue(many, {});
        QCOMPARE(exporter->stats().dropped, 90u);
        QVERIFY(!exporter->flush(100));
        QTRY_VERIFY(exporter->stats().failedRequests >= 2);
        exporter.reset(); // gives up within its stop deadline
    }
};

QTEST_GUILESS_MAIN(TestOtlpExporter)
#include "tst_otlpexporter.moc"
