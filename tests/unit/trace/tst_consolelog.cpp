#include "base/json.h"
#include "trace/consolelog.h"

#include <QTest>

#include <memory>

using namespace tarmac;

namespace {

// 2024-01-02T03:04:05.678Z
constexpr qint64 kT = 1704164645678LL * 1'000'000;
const QByteArray kTrace = QByteArrayLiteral("5759e988bd862e3fe1be46a994272793");

Span request(int status, const QString &service = QStringLiteral("s3"),
    const QString &path = QStringLiteral("/b/k"))
{
    Span s;
    s.traceId = kTrace;
    s.spanId = QByteArrayLiteral("53995c3f42cd8ad8");
    s.service = service;
    s.operation = QStringLiteral("PutObject");
    s.kind = SpanKindServer;
    s.startNs = kT - 1'500'000;
    s.endNs = kT;
    s.attributes = {{QStringLiteral("http.request.method"), QStringLiteral("PUT")},
        {QStringLiteral("url.path"), path}, {QStringLiteral("http.response.status_code"), status},
        {QStringLiteral("aws.request_id"), QStringLiteral("REQ1")}};
    return s;
}

Span invocation(bool failed)
{
    Span s = makeSpan({.traceId = kTrace,
        .service = QStringLiteral("stack-Fn-ABC"),
        .operation = QStringLiteral("Invoke"),
        .kind = SpanKindServer,
        .startNs = kT - 20'000'000,
        .endNs = kT,
        .error = failed ? QStringLiteral("Runtime.HandlerNotFound") : QString()});
    s.attributes = {{QStringLiteral("faas.invocation_id"),
                        QStringLiteral("0d6e7a2b-1111-2222-3333-444455556666")},
        {QStringLiteral("faas.name"), QStringLiteral("stack-Fn-ABC")}};
    return s;
}

LogRecord line(const QString &text, int severity = LogSeverityInfo)
{
    LogRecord l;
    l.timeNs = kT - 5'000'000;
    l.traceId = kTrace;
    l.source = QStringLiteral("stack-Fn-ABC");
    l.requestId = QStringLiteral("0d6e7a2b-1111-2222-3333-444455556666");
    l.severity = severity;
    l.text = text;
    return l;
}

std::unique_ptr<ConsoleLog> make(ConsoleLog::Level level,
    ConsoleLog::Format format = ConsoleLog::Format::Text, bool colour = false)
{
    auto log = std::make_unique<ConsoleLog>(
        ConsoleLog::Options {.level = level, .format = format, .colour = colour, .utc = true});
    log->setDisplayNames({{QStringLiteral("stack-Fn-ABC"), QStringLiteral("Fn")}});
    return log;
}

} // namespace

class TestConsoleLog : public QObject
{
    Q_OBJECT
private slots:
    void requestLine()
    {
        const auto log = make(ConsoleLog::Level::Info);
        QCOMPARE(log->format({request(200)}, {}),
            QByteArray(
                "03:04:05.678  s3 PutObject  PUT /b/k  200  1.50 ms  trace " + kTrace + '\n'));
    }

    void functionLinesCarryTheLogicalIdAndRequestId()
    {
        const auto log = make(ConsoleLog::Level::Info);
        const QByteArray out = log->format({}, {line(QStringLiteral("Traceback:\n  File x\r"))});
        QCOMPARE(out,
            QByteArray("03:04:05.673  Fn 0d6e7a2b  Traceback:\n03:04:05.673  Fn 0d6e7a2b    File "
                       "x\n"));
    }

    void mergedByTime()
    {
        const auto log = make(ConsoleLog::Level::Info);
        const QByteArray out = log->format({request(200)}, {line(QStringLiteral("first"))});
        QVERIFY2(out.indexOf("first") < out.indexOf("PutObject"), out.constData());
    }

    void levels()
    {
        const QList<Span> spans
            = {request(200), request(404), request(503), invocation(false), invocation(true),
                request(200, QStringLiteral("tarmac"), QStringLiteral("/_tarmac/health"))};
        const QList<LogRecord> logs
            = {line(QStringLiteral("info")), line(QStringLiteral("bad"), LogSeverityError)};
        QCOMPARE(make(ConsoleLog::Level::Quiet)->format(spans, logs), QByteArray());
        const QByteArray errors = make(ConsoleLog::Level::Errors)->format(spans, logs);
        QCOMPARE(errors.count('\n'), 3); // the 503, the failed invocation, the ERROR line
        QVERIFY(errors.contains("  503  "));
        QVERIFY(errors.contains("Fn 0d6e7a2b  invocation failed: Runtime.HandlerNotFound"));
        QVERIFY(errors.contains("  bad\n"));
        const QByteArray info = make(ConsoleLog::Level::Info)->format(spans, logs);
        QCOMPARE(info.count('\n'), 6); // three requests, the failure, two lines
        QVERIFY(!info.contains("/_tarmac/health"));
        const QByteArray debug = make(ConsoleLog::Level::Debug)->format(spans, logs);
        QCOMPARE(debug.count('\n'), 8);
        QVERIFY(debug.contains("/_tarmac/health"));
    }

    void colourOnlyWhenAsked()
    {
        QVERIFY(!make(ConsoleLog::Level::Info)->format({request(500)}, {}).contains('\x1b'));
        const QByteArray coloured = make(ConsoleLog::Level::Info, ConsoleLog::Format::Text, true)
                                        ->format({request(500)}, {});
        QVERIFY(coloured.contains("\x1b[31m500\x1b[0m"));
    }

    void json()
    {
        const auto log = make(ConsoleLog::Level::Info, ConsoleLog::Format::Json);
        const QByteArray out = log->format({request(200), invocation(true)},
            {line(QStringLiteral("two\nlines"), LogSeverityWarn)});
        const QList<QByteArray> lines = out.trimmed().split('\n');
        QCOMPARE(lines.size(), 3);
        QList<Json> docs;
        for (const QByteArray &l : lines) {
            auto j = parseJson(l);
            QVERIFY2(j, l.constData());
            docs.append(*j);
        }
        QVERIFY2(docs[0]["kind"] == "log", docs[0]["kind"].dump().c_str());
        QVERIFY2(docs[0]["function"] == "Fn", docs[0]["function"].dump().c_str());
        QVERIFY2(docs[0]["functionName"] == "stack-Fn-ABC", docs[0]["functionName"].dump().c_str());
        QVERIFY2(docs[0]["level"] == "WARN", docs[0]["level"].dump().c_str());
        QVERIFY2(docs[0]["message"] == "two\nlines", docs[0]["message"].dump().c_str());
        QVERIFY2(docs[0]["time"] == "2024-01-02T03:04:05.673Z", docs[0]["time"].dump().c_str());
        QVERIFY2(docs[1]["kind"] == "request", docs[1]["kind"].dump().c_str());
        QVERIFY2(docs[1]["status"] == 200, docs[1]["status"].dump().c_str());
        QVERIFY2(docs[1]["path"] == "/b/k", docs[1]["path"].dump().c_str());
        QVERIFY2(docs[1]["traceId"] == kTrace.toStdString(), docs[1]["traceId"].dump().c_str());
        QVERIFY2(docs[1]["durationMs"] == 1.5, docs[1]["durationMs"].dump().c_str());
        QVERIFY2(docs[2]["kind"] == "invocation", docs[2]["kind"].dump().c_str());
        QVERIFY2(docs[2]["error"] == "Runtime.HandlerNotFound", docs[2]["error"].dump().c_str());
    }

    void messages()
    {
        QByteArray written;
        ConsoleLog log({.level = ConsoleLog::Level::Errors},
            [&written](const QByteArray &b) { written += b; });
        log.message(LogSeverityInfo, QStringLiteral("tarmac: not at this level"));
        log.message(LogSeverityError, QStringLiteral("tarmac: broken"));
        QCOMPARE(written, QByteArray("tarmac: broken\n"));
        log.write({request(200)}, {});
        QCOMPARE(written, QByteArray("tarmac: broken\n"));
    }

    void parsing()
    {
        QCOMPARE(ConsoleLog::parseLevel(QStringLiteral("debug")), ConsoleLog::Level::Debug);
        QCOMPARE(ConsoleLog::parseLevel(QStringLiteral("loud")), std::nullopt);
        QCOMPARE(ConsoleLog::parseFormat(QStringLiteral("json")), ConsoleLog::Format::Json);
        QCOMPARE(ConsoleLog::parseFormat(QStringLiteral("xml")), std::nullopt);
    }
};

QTEST_GUILESS_MAIN(TestConsoleLog)
#include "tst_consolelog.moc"
