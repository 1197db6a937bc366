#include "base/json.h"
#include "trace/otlpexport.h"

#include <QBuffer>
#include <QTest>

#include <cmath>
#include <limits>

using namespace tarmac;

// QCOMPARE cannot take a Json directly (its conversion operator to anything confuses
// qCompare's overloads); compare the canonical dumps, which also print well on failure.
// Object keys dump sorted, so equal documents dump equally.
#define JSON_COMPARE(actual, expected)                                                             \
    QCOMPARE(QByteArray::fromStdString(Json(actual).dump()),                                       \
        QByteArray::fromStdString(Json(expected).dump()))

namespace {

Span invokeSpan()
{
    Span s;
    s.traceId = QByteArrayLiteral("5759e988bd862e3fe1be46a994272793");
    s.spanId = QByteArrayLiteral("eee19b7ec3c1b174");
    s.parentSpanId = QByteArrayLiteral("53995c3f42cd8ad8");
    s.name = QStringLiteral("my-fn invoke");
    s.service = QStringLiteral("my-fn");
    s.operation = QStringLiteral("Invoke");
    s.kind = SpanKindServer;
    s.startNs = 1'705'314'600'000'000'000;
    s.endNs = 1'705'314'600'123'000'000;
    s.statusCode = SpanStatusError;
    s.statusMessage = QStringLiteral("Unhandled");
    s.attributes = {
        Attribute(QStringLiteral("faas.trigger"), QStringLiteral("datasource")),
        Attribute(QStringLiteral("faas.coldstart"), true),
        Attribute(QStringLiteral("http.response.status_code"), qint64(200)),
        Attribute(QStringLiteral("faas.max_memory"), 134217728.5),
    };
    return s;
}

Span s3Span()
{
    Span s;
    s.traceId = QByteArrayLiteral("5759e988bd862e3fe1be46a994272793");
    s.spanId = QByteArrayLiteral("00f067aa0ba902b7");
    s.name = QStringLiteral("S3 PutObject");
    s.service = QStringLiteral("s3");
    s.kind = SpanKindClient;
    s.startNs = 1'705'314'600'050'000'000;
    s.endNs = 1'705'314'600'060'000'000;
    return s;
}

LogRecord logLine(const QString &source, const QString &text)
{
    LogRecord l;
    l.timeNs = 1'705'314'600'010'000'000;
    l.traceId = QByteArrayLiteral("5759e988bd862e3fe1be46a994272793");
    l.spanId = QByteArrayLiteral("eee19b7ec3c1b174");
    l.source = source;
    l.requestId = QStringLiteral("8476a536-e9f4-11e8-9739-2dfe598c3fcd");
    l.severity = LogSeverityWarn;
    l.text = text;
    return l;
}

// The value of the attribute `key` in an OTLP attribute list, or null.
Json findAttribute(const Json &attributes, const std::string &key)
{
    for (const Json &a : attributes) {
        if (a.at("key") == key)
            return a.at("value");
    }
    return nullptr;
}

} // namespace

class TestOtlpExport : public QObject
{
    Q_OBJECT
private slots:
    void spanMatchesProtocolShape()
    {
        const Json doc = otlp::tracesToJson({invokeSpan()});
        QCOMPARE(doc.size(), size_t(1));
        const Json &resourceSpans = doc.at("resourceSpans");
        QCOMPARE(resourceSpans.size(), size_t(1));
        const Json &rs = resourceSpans[0];

        const Json &resourceAttributes = rs.at("resource").at("attributes");
        JSON_COMPARE(
            findAttribute(resourceAttributes, "service.name"), Json({{"stringValue", "my-fn"}}));

        const Json &scopeSpans = rs.at("scopeSpans");
        QCOMPARE(scopeSpans.size(), size_t(1));
        JSON_COMPARE(scopeSpans[0].at("scope").at("name"), Json("tarmac"));
        JSON_COMPARE(scopeSpans[0].at("scope").at("version"), Json(TARMAC_VERSION));

        const Json &span = scopeSpans[0].at("spans").at(0);
        JSON_COMPARE(span.at("traceId"), Json("5759e988bd862e3fe1be46a994272793"));
        JSON_COMPARE(span.at("spanId"), Json("eee19b7ec3c1b174"));
        JSON_COMPARE(span.at("parentSpanId"), Json("53995c3f42cd8ad8"));
        JSON_COMPARE(span.at("name"), Json("my-fn invoke"));
        QVERIFY(span.at("kind").is_number_integer());
        QCOMPARE(span.at("kind").get<int>(), 2);
        // 64-bit integers travel as decimal strings.
        JSON_COMPARE(span.at("startTimeUnixNano"), Json("1705314600000000000"));
        JSON_COMPARE(span.at("endTimeUnixNano"), Json("1705314600123000000"));
        JSON_COMPARE(span.at("status"), Json({{"code", 2}, {"message", "Unhandled"}}));

        const Json &attributes = span.at("attributes");
        QCOMPARE(attributes.size(), size_t(5));
        JSON_COMPARE(attributes[0].at("key"), Json("faas.trigger"));
        JSON_COMPARE(attributes[0].at("value"), Json({{"stringValue", "datasource"}}));
        JSON_COMPARE(findAttribute(attributes, "faas.coldstart"), Json({{"boolValue", true}}));
        JSON_COMPARE(
            findAttribute(attributes, "http.response.status_code"), Json({{"intValue", "200"}}));
        JSON_COMPARE(
            findAttribute(attributes, "faas.max_memory"), Json({{"doubleValue", 134217728.5}}));
        JSON_COMPARE(
            findAttribute(attributes, "tarmac.operation"), Json({{"stringValue", "Invoke"}}));
    }

    void rootSpanOmitsParentAndOptionalFields()
    {
        const Json span = otlp::spanToJson(s3Span());
        QVERIFY(!span.contains("parentSpanId"));
        QVERIFY(!span.contains("attributes"));
        JSON_COMPARE(span.at("status"), Json({{"code", 0}}));
        QCOMPARE(span.at("kind").get<int>(), 3);
    }

    void anyValueEdgeCases_data()
    {
        QTest::addColumn<QByteArray>("expected");
        QTest::addColumn<int>("which");
        QTest::newRow("int64 max") << QByteArray(R"({"intValue":"9223372036854775807"})") << 0;
        QTest::newRow("int64 min") << QByteArray(R"({"intValue":"-9223372036854775808"})") << 1;
        QTest::newRow("nan") << QByteArray(R"({"doubleValue":"NaN"})") << 2;
        QTest::newRow("infinity") << QByteArray(R"({"doubleValue":"Infinity"})") << 3;
        QTest::newRow("-infinity") << QByteArray(R"({"doubleValue":"-Infinity"})") << 4;
        QTest::newRow("unicode") << QByteArray(R"({"stringValue":"h\u00e9 \u2603"})") << 5;
        QTest::newRow("false") << QByteArray(R"({"boolValue":false})") << 6;
    }

    void anyValueEdgeCases()
    {
        QFETCH(QByteArray, expected);
        QFETCH(int, which);
        const AttributeValue values[] = {
            std::numeric_limits<qint64>::max(),
            std::numeric_limits<qint64>::min(),
            std::nan(""),
            std::numeric_limits<double>::infinity(),
            -std::numeric_limits<double>::infinity(),
            QStringLiteral("h\u00e9 \u2603"),
            false,
        };
        const Result<Json> want = parseJson(expected);
        QVERIFY(want);
        JSON_COMPARE(otlp::anyValue(values[which]), *want);
    }

    void groupsByServiceInFirstSeenOrder()
    {
        Span second = invokeSpan();
        second.spanId = QByteArrayLiteral("1111111111111111");
        const Json doc = otlp::tracesToJson({invokeSpan(), s3Span(), second});
        const Json &groups = doc.at("resourceSpans");
        QCOMPARE(groups.size(), size_t(2));
        JSON_COMPARE(findAttribute(groups[0].at("resource").at("attributes"), "service.name"),
            Json({{"stringValue", "my-fn"}}));
        const Json &fnSpans = groups[0].at("scopeSpans")[0].at("spans");
        QCOMPARE(fnSpans.size(), size_t(2));
        JSON_COMPARE(fnSpans[0].at("spanId"), Json("eee19b7ec3c1b174"));
        JSON_COMPARE(fnSpans[1].at("spanId"), Json("1111111111111111"));
        JSON_COMPARE(findAttribute(groups[1].at("resource").at("attributes"), "service.name"),
            Json({{"stringValue", "s3"}}));
        QCOMPARE(groups[1].at("scopeSpans")[0].at("spans").size(), size_t(1));
    }

    void resourceOptions()
    {
        otlp::ExportOptions options;
        options.scopeName = QStringLiteral("custom");
        options.resourceAttributes = {
            Attribute(QStringLiteral("cloud.provider"), QStringLiteral("aws")),
            Attribute(QStringLiteral("cloud.region"), QStringLiteral("us-east-1")),
        };
        Span unnamed = s3Span();
        unnamed.service.clear();
        const Json doc = otlp::tracesToJson({unnamed}, options);
        const Json &rs = doc.at("resourceSpans")[0];
        const Json &attributes = rs.at("resource").at("attributes");
        QCOMPARE(attributes.size(), size_t(3));
        JSON_COMPARE(attributes[0].at("key"), Json("service.name"));
        JSON_COMPARE(attributes[0].at("value"), Json({{"stringValue", "unknown_service"}}));
        JSON_COMPARE(
            findAttribute(attributes, "cloud.region"), Json({{"stringValue", "us-east-1"}}));
        JSON_COMPARE(rs.at("scopeSpans")[0].at("scope").at("name"), Json("custom"));
    }

    void logsMatchProtocolShape()
    {
        LogRecord bare;
        bare.timeNs = 5;
        bare.source = QStringLiteral("sqs");
        bare.severity = LogSeverityInfo;
        bare.text = QStringLiteral("queue created");

        const Json doc = otlp::logsToJson({logLine(QStringLiteral("my-fn"), QStringLiteral("a")),
            bare, logLine(QStringLiteral("my-fn"), QStringLiteral("b"))});
        const Json &groups = doc.at("resourceLogs");
        QCOMPARE(groups.size(), size_t(2));
        JSON_COMPARE(findAttribute(groups[0].at("resource").at("attributes"), "service.name"),
            Json({{"stringValue", "my-fn"}}));
        const Json &scopeLogs = groups[0].at("scopeLogs");
        QCOMPARE(scopeLogs.size(), size_t(1));
        JSON_COMPARE(scopeLogs[0].at("scope").at("name"), Json("tarmac"));
        const Json &records = scopeLogs[0].at("logRecords");
        QCOMPARE(records.size(), size_t(2));
        const Json &r = records[0];
        JSON_COMPARE(r.at("timeUnixNano"), Json("1705314600010000000"));
        JSON_COMPARE(r.at("severityNumber"), Json(13));
        JSON_COMPARE(r.at("body"), Json({{"stringValue", "a"}}));
        JSON_COMPARE(r.at("traceId"), Json("5759e988bd862e3fe1be46a994272793"));
        JSON_COMPARE(r.at("spanId"), Json("eee19b7ec3c1b174"));
        JSON_COMPARE(findAttribute(r.at("attributes"), "faas.invocation_id"),
            Json({{"stringValue", "8476a536-e9f4-11e8-9739-2dfe598c3fcd"}}));
        JSON_COMPARE(records[1].at("body"), Json({{"stringValue", "b"}}));

        const Json &b = groups[1].at("scopeLogs")[0].at("logRecords")[0];
        JSON_COMPARE(b.at("timeUnixNano"), Json("5"));
        QVERIFY(!b.contains("traceId"));
        QVERIFY(!b.contains("spanId"));
        QVERIFY(!b.contains("attributes"));
    }

    void documentIsOneParsableObject_data()
    {
        QTest::addColumn<int>("copies");
        QTest::newRow("small") << 1;
        QTest::newRow("many chunks") << 2000; // well past the writer's 64 KiB chunk
    }

    void documentIsOneParsableObject()
    {
        QFETCH(int, copies);
        QList<Span> spans;
        QList<LogRecord> logs;
        for (int i = 0; i < copies; ++i) {
            Span fn = invokeSpan();
            fn.spanId = QByteArray::number(i, 16).rightJustified(16, '0');
            spans << fn << s3Span();
            logs << logLine(QStringLiteral("my-fn"), QString::number(i));
        }
        logs << logLine(QStringLiteral("other"), QStringLiteral("tail"));

        QBuffer buffer;
        QVERIFY(buffer.open(QIODevice::WriteOnly));
        const Result<void> written = otlp::writeDocument(&buffer, spans, logs);
        QVERIFY(written);

        const Result<Json> doc = parseJson(buffer.data());
        QVERIFY(doc);
        QCOMPARE(doc->size(), size_t(2));
        // The streamed document says exactly what the in-memory builders say.
        JSON_COMPARE(doc->at("resourceSpans"), otlp::tracesToJson(spans).at("resourceSpans"));
        JSON_COMPARE(doc->at("resourceLogs"), otlp::logsToJson(logs).at("resourceLogs"));
        QCOMPARE(doc->at("resourceSpans").size(), size_t(2));
        QCOMPARE(doc->at("resourceLogs").size(), size_t(2));
    }

    void emptyDocument()
    {
        QBuffer buffer;
        QVERIFY(buffer.open(QIODevice::WriteOnly));
        QVERIFY(otlp::writeDocument(&buffer, {}, {}));
        const Result<Json> doc = parseJson(buffer.data());
        QVERIFY(doc);
        JSON_COMPARE(
            *doc, Json({{"resourceSpans", Json::array()}, {"resourceLogs", Json::array()}}));
    }

    void unwritableDeviceIsAnError()
    {
        QBuffer buffer;
        QVERIFY(buffer.open(QIODevice::ReadOnly));
        const Result<void> written = otlp::writeDocument(&buffer, {s3Span()}, {});
        QVERIFY(!written);
        QCOMPARE(written.error().code, QStringLiteral("ExportFailed"));
        QVERIFY(!otlp::writeDocument(nullptr, {}, {}));
    }
};

QTEST_GUILESS_MAIN(TestOtlpExport)
#include "tst_otlpexport.moc"
