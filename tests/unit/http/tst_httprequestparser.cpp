#include "http/httprequestparser.h"

#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;

namespace {

// Feeds `input` in pieces of `step` bytes (0: all at once); returns the requests and the
// final parser state.
struct Parsed
{
    QList<HttpRequest> requests;
    HttpRequestParser::State state = HttpRequestParser::State::Head;
    int errorStatus = 0;
};

Parsed parseAll(const QByteArray &input, qsizetype step, HttpRequestParser::Limits limits = {},
    qint64 bodyLimit = -1)
{
    HttpRequestParser parser(limits);
    parser.setHeadCallback([bodyLimit](const HttpRequest &) { return bodyLimit; });
    Parsed out;
    QByteArray pending;
    qsizetype offset = 0;
    while (offset < input.size() || !pending.isEmpty()) {
        if (offset < input.size()) {
            const qsizetype n = step <= 0 ? input.size() : qMin(step, input.size() - offset);
            pending += input.mid(offset, n);
            offset += n;
        }
        bool progressed = true;
        while (!pending.isEmpty() && progressed) {
            const qsizetype used = parser.feed(pending.constData(), pending.size());
            pending.remove(0, used);
            progressed = used > 0;
            if (parser.state() == HttpRequestParser::State::Complete) {
                out.requests.append(parser.takeRequest());
                parser.reset();
                progressed = true;
            } else if (parser.state() == HttpRequestParser::State::Error) {
                out.state = parser.state();
                out.errorStatus = parser.errorStatus();
                return out;
            }
        }
        if (offset >= input.size() && !progressed)
            break;
    }
    parser.finish();
    out.state = parser.state();
    out.errorStatus = parser.errorStatus();
    return out;
}

} // namespace

class TestHttpRequestParser : public QObject
{
    Q_OBJECT
private slots:
    void piecesMakeNoDifference_data()
    {
        QTest::addColumn<qsizetype>("step");
        QTest::newRow("whole") << qsizetype(0);
        QTest::newRow("1 byte") << qsizetype(1);
        QTest::newRow("2 bytes") << qsizetype(2);
        QTest::newRow("7 bytes") << qsizetype(7);
        QTest::newRow("64 bytes") << qsizetype(64);
    }

    void piecesMakeNoDifference()
    {
        QFETCH(qsizetype, step);
        const QByteArray input = "GET /a%20b/c?x=1&y=%2B+z HTTP/1.1\r\nHost: h\r\nX-Multi: one\r\n"
                                 "x-multi: two\r\n\r\n"
                                 "PUT /up HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
                                 "POST /ch HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                                 "GET / HTTP/1.0\r\n\r\n";
        const Parsed p = parseAll(input, step);
        QCOMPARE(p.requests.size(), 4);
        const HttpRequest &get = p.requests[0];
        QCOMPARE(get.method, QByteArray("GET"));
        QCOMPARE(get.path, QByteArray("/a%20b/c"));
        QCOMPARE(get.decodedPath(), QByteArray("/a b/c"));
        QCOMPARE(get.query, QByteArray("x=1&y=%2B+z"));
        QCOMPARE(get.queryItem("y"), QByteArray("+ z"));
        QVERIFY(get.hasQueryItem("x"));
        QCOMPARE(get.headers.value("host"), QByteArray("h"));
        QCOMPARE(get.headers.value("X-MULTI"), QByteArray("one"));
        QCOMPARE(get.headers.size(), 3);
        QVERIFY(get.keepAlive);
        QCOMPARE(p.requests[1].body.toByteArray(), QByteArray("hello"));
        QCOMPARE(p.requests[2].body.toByteArray(), QByteArray("abcde"));
        QVERIFY(!p.requests[3].keepAlive); // HTTP/1.0 without keep-alive
        QCOMPARE(p.requests[3].versionMinor, 0);
    }

    void bodiesOverTheThresholdAreSpooled()
    {
        QTemporaryDir dir;
        HttpRequestParser::Limits limits;
        limits.spoolThreshold = 100;
        limits.spoolDir = dir.path();
        const QByteArray body(1000, 'b');
        const Parsed p
            = parseAll("PUT /x HTTP/1.1\r\nContent-Length: 1000\r\n\r\n" + body, 33, limits);
        QCOMPARE(p.requests.size(), 1);
        QVERIFY(p.requests[0].body.isSpooled());
        QVERIFY(p.requests[0].body.filePath().startsWith(dir.path()));
        QCOMPARE(p.requests[0].body.size(), qint64(1000));
        QCOMPARE(p.requests[0].body.toByteArray(), body);
        auto device = p.requests[0].body.open();
        QVERIFY(device);
        QCOMPARE(device->readAll(), body);
        const Parsed small = parseAll(
            "PUT /x HTTP/1.1\r\nContent-Length: 100\r\n\r\n" + body.left(100), 0, limits);
        QVERIFY(!small.requests[0].body.isSpooled());
    }

    void limits_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<qint64>("bodyLimit");
        QTest::addColumn<int>("status");
        QTest::newRow("declared body over limit")
            << QByteArray("PUT / HTTP/1.1\r\nContent-Length: 11\r\n\r\n") << qint64(10) << 413;
        QTest::newRow("declared body at limit")
            << QByteArray("PUT / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789") << qint64(10)
            << 0;
        QTest::newRow("chunked over limit") << QByteArray(
            "PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n0123456789a\r\n0\r\n\r\n")
                                            << qint64(10) << 413;
        QTest::newRow("head over 1 KiB")
            << QByteArray("GET / HTTP/1.1\r\nX: " + QByteArray(1100, 'x') + "\r\n\r\n")
            << qint64(-1) << 431;
        QTest::newRow("many small headers over 1 KiB")
            << QByteArray("GET / HTTP/1.1\r\n" + QByteArray("A: b\r\n").repeated(200) + "\r\n")
            << qint64(-1) << 431;
        QTest::newRow("CONNECT authority form")
            << QByteArray("CONNECT host:443 HTTP/1.1\r\n\r\n") << qint64(-1) << 400;
    }

    void limits()
    {
        QFETCH(QByteArray, input);
        QFETCH(qint64, bodyLimit);
        QFETCH(int, status);
        HttpRequestParser::Limits l;
        l.maxHeaderBytes = 1024;
        for (qsizetype step : {qsizetype(0), qsizetype(1), qsizetype(5)}) {
            const Parsed p = parseAll(input, step, l, bodyLimit);
            QCOMPARE(p.errorStatus, status);
            QCOMPARE(p.requests.size(), status == 0 ? 1 : 0);
        }
    }

    void absoluteFormKeepsPathAndQuery()
    {
        const Parsed p
            = parseAll("GET http://bucket.localhost:4566/k/e%2Fy?a=/b HTTP/1.1\r\n\r\n", 0);
        QCOMPARE(p.requests.size(), 1);
        QCOMPARE(p.requests[0].path, QByteArray("/k/e%2Fy"));
        QCOMPARE(p.requests[0].query, QByteArray("a=/b"));
    }

    void truncatedRequestIsAnErrorAtEof()
    {
        const Parsed p = parseAll("PUT / HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234", 0);
        QCOMPARE(p.requests.size(), 0);
        QCOMPARE(p.state, HttpRequestParser::State::Error);
        QCOMPARE(p.errorStatus, 400);
    }

    void expectContinueIsReported()
    {
        HttpRequestParser parser;
        const QByteArray head
            = "PUT / HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-Continue\r\n\r\n";
        QCOMPARE(parser.feed(head.constData(), head.size()), head.size());
        QCOMPARE(parser.state(), HttpRequestParser::State::Body);
        QVERIFY(parser.expectsContinue());
        parser.feed("abc", 3);
        QCOMPARE(parser.state(), HttpRequestParser::State::Complete);
    }

    // Names are kept lower-cased and as sent, whether Tarmac knows the name (its arrays are
    // shared) or not, in its usual spelling or another; look-ups ignore case.
    void headerNamesAsSent()
    {
        const Parsed p = parseAll("POST / HTTP/1.1\r\nHost: h\r\ncontent-type: a/b\r\n"
                                  "X-Amz-Target: T.Op\r\nX-AMZ-DATE: d\r\nX-Custom-Thing: c\r\n"
                                  "lower-only: l\r\nContent-Length: 0\r\n\r\n",
            7);
        QCOMPARE(p.requests.size(), 1);
        HttpHeaders h = p.requests[0].headers;
        const QList<QByteArray> lower = {"host", "content-type", "x-amz-target", "x-amz-date",
            "x-custom-thing", "lower-only", "content-length"};
        const QList<QByteArray> sent = {"Host", "content-type", "X-Amz-Target", "X-AMZ-DATE",
            "X-Custom-Thing", "lower-only", "Content-Length"};
        QCOMPARE(h.size(), lower.size());
        for (qsizetype i = 0; i < h.size(); ++i) {
            QCOMPARE(h.fields()[i].first, lower[i]);
            QCOMPARE(h.rawName(i), sent[i]);
        }
        QCOMPARE(h.value("x-amz-date"), QByteArray("d"));
        QCOMPARE(h.value("X-CUSTOM-THING"), QByteArray("c"));
        QVERIFY(h.contains("Content-Type"));
        QVERIFY(!h.contains("content-typ"));
        h.set("CONTENT-TYPE", "c/d");
        QCOMPARE(h.value("content-type"), QByteArray("c/d"));
        QCOMPARE(h.rawName(h.size() - 1), QByteArray("CONTENT-TYPE"));
        h.remove("x-custom-thing");
        QVERIFY(!h.contains("X-Custom-Thing"));
        QCOMPARE(h.size(), lower.size() - 1);
    }

    // The names of the usual fields (and a long one) are the table's own shared bytes, found
    // in any spelling; others are copies of their own.
    void usualHeaderNamesAreShared()
    {
        const QList<QByteArray> usual = {"Date", "ETag", "Host", "Accept", "Expect", "Server",
            "Connection", "User-Agent", "X-Amz-Date", "x-amz-id-2", "Content-MD5", "x-amz-crc32",
            "Content-Type", "X-Amz-Target", "Authorization", "Last-Modified", "Content-Length",
            "Accept-Encoding", "amz-sdk-request", "X-Amzn-Trace-Id", "Content-Encoding",
            "x-amz-request-id", "X-Amz-User-Agent", "x-amzn-RequestId", "Transfer-Encoding",
            "x-amzn-query-error", "X-Amz-Content-SHA256", "X-Amz-Function-Error",
            "X-Amz-Security-Token", "amz-sdk-invocation-id", "Lambda-Runtime-Trace-Id",
            "Lambda-Runtime-Deadline-Ms", "Lambda-Runtime-Aws-Request-Id",
            "Lambda-Runtime-Invoked-Function-Arn"};
        for (const QByteArray &name : usual) {
            HttpHeaders a, b;
            a.add(name, "1");
            b.add(name.toUpper(), "2");
            QCOMPARE(a.fields()[0].first, name.toLower());
            QCOMPARE(b.fields()[0].first, name.toLower());
            QVERIFY2(a.fields()[0].first.constData() == b.fields()[0].first.constData(),
                name.constData());
            QCOMPARE(a.rawName(0), name);
            QCOMPARE(b.rawName(0), name.toUpper());
        }
        for (const QByteArray &name :
            {QByteArray("x-custom"), QByteArray("hos"), QByteArray(41, 'h')}) {
            HttpHeaders a, b;
            a.add(name, "1");
            b.add(name, "2");
            QCOMPARE(a.fields()[0].first, name);
            QVERIFY(a.fields()[0].first.constData() != b.fields()[0].first.constData());
        }
    }
};

QTEST_GUILESS_MAIN(TestHttpRequestParser)
#include "tst_httprequestparser.moc"
