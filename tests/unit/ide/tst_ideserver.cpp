#include "ide/ideserver.h"
#include "ide/upgraderequest.h"

#include <QElapsedTimer>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>

using namespace tarmac;

// Canonical dumps: QCOMPARE cannot take a Json (see tst_otlpexport.cpp).
#define JSON_COMPARE(actual, expected)                                                             \
    QCOMPARE(QByteArray::fromStdString(Json(actual).dump()),                                       \
        QByteArray::fromStdString(Json(expected).dump()))

namespace {

const QByteArray kToken = "0123456789abcdef0123456789abcdef";

// The status line of the server's answer to a WebSocket upgrade request.
QByteArray upgradeStatus(quint16 port, const QByteArray &target, const QByteArray &extraHeaders)
{
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, port);
    if (!s.waitForConnected(5000))
        return "no connection";
    s.write("GET " + target
        + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
          "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        + extraHeaders + "\r\n");
    QByteArray got;
    for (int i = 0; i < 50 && !got.contains("\r\n"); ++i) {
        QCoreApplication::processEvents();
        if (s.waitForReadyRead(100))
            got += s.readAll();
    }
    return got.left(got.indexOf("\r\n"));
}

struct Client
{
    QWebSocket socket;
    QList<Json> received;

    bool open(quint16 port)
    {
        QObject::connect(&socket, &QWebSocket::textMessageReceived, [this](const QString &m) {
            auto parsed = parseJson(m.toUtf8());
            received.append(parsed ? *parsed : Json());
        });
        QSignalSpy connected(&socket, &QWebSocket::connected);
        socket.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/?token=%2")
                             .arg(port)
                             .arg(QString::fromLatin1(kToken))));
        return connected.wait(5000);
    }
    Json call(const char *method, const Json &params)
    {
        const int before = int(received.size());
        socket.sendTextMessage(QString::fromUtf8(toJsonBytes(
            Json {{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", params}})));
        for (int i = 0; i < 100; ++i) {
            for (int k = before; k < received.size(); ++k) {
                if (received[k].contains("id"))
                    return received.takeAt(k);
            }
            QTest::qWait(20);
        }
        return Json("no answer");
    }
    QList<Json> notifications(const char *method) const
    {
        QList<Json> out;
        for (const Json &j : received) {
            if (j.value("method", "") == method)
                out.append(j);
        }
        return out;
    }
};

struct Fixture
{
    JsonRpc rpc;
    std::unique_ptr<IdeServer> server;

    explicit Fixture(IdeServer::Options options = {})
    {
        options.token = kToken;
        server = std::make_unique<IdeServer>(options, &rpc);
        server->addTopicMethods(rpc);
        rpc.addSync(
            QStringLiteral("ping"), [](const Json &) -> Result<Json> { return Json("pong"); });
        (void)server->listen(QHostAddress::LocalHost, 0);
    }
};

} // namespace

// The IDE port's gate (token and Origin before the upgrade) and its notification queues:
// batched, bounded, and never waiting for a slow client.
class TestIdeServer : public QObject
{
    Q_OBJECT

private slots:
    void origins_data()
    {
        QTest::addColumn<QByteArray>("origin");
        QTest::addColumn<bool>("allowed");
        QTest::newRow("none (not a browser)") << QByteArray() << true;
        QTest::newRow("null (a file page)") << QByteArray("null") << true;
        QTest::newRow("localhost") << QByteArray("http://localhost:5173") << true;
        QTest::newRow("127.0.0.1") << QByteArray("http://127.0.0.1:4566") << true;
        QTest::newRow("127.1.2.3") << QByteArray("https://127.1.2.3") << true;
        QTest::newRow("[::1]") << QByteArray("http://[::1]:8080") << true;
        QTest::newRow("vscode webview") << QByteArray("vscode-webview://1abc") << true;
        QTest::newRow("internet") << QByteArray("https://evil.example") << false;
        QTest::newRow("localhost lookalike")
            << QByteArray("http://localhost.evil.example") << false;
        QTest::newRow("127 lookalike") << QByteArray("http://127.0.0.1.evil.example") << false;
        QTest::newRow("lan") << QByteArray("http://192.168.1.10") << false;
        QTest::newRow("file scheme") << QByteArray("file://") << false;
        QTest::newRow("garbage") << QByteArray("::::") << false;
    }
    void origins()
    {
        QFETCH(QByteArray, origin);
        QFETCH(bool, allowed);
        QCOMPARE(isAllowedOrigin(origin), allowed);
    }

    void parsesTheUpgradeRequest()
    {
        const QByteArray ok = "GET /?token=abc%20d HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\n"
                              "Origin: http://localhost\r\n\r\n";
        UpgradeRequest r = parseUpgradeRequest(ok);
        QCOMPARE(r.state, UpgradeRequest::State::Parsed);
        QVERIFY(r.isUpgrade);
        QCOMPARE(r.token, QByteArray("abc d"));
        QCOMPARE(r.origin, QByteArray("http://localhost"));
        r = parseUpgradeRequest(
            "GET / HTTP/1.1\r\nUpgrade: websocket\r\nAuthorization: Bearer  t1 \r\n\r\n");
        QCOMPARE(r.token, QByteArray("t1"));
        QCOMPARE(parseUpgradeRequest("GET / HTTP/1.1\r\nHost: x\r\n").state,
            UpgradeRequest::State::Incomplete);
        QCOMPARE(
            parseUpgradeRequest(QByteArray(20'000, 'a')).state, UpgradeRequest::State::TooLarge);
        QVERIFY(!parseUpgradeRequest("POST / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n").isUpgrade);
        QVERIFY(!parseUpgradeRequest("GET / HTTP/1.1\r\nHost: x\r\n\r\n").isUpgrade);
        QVERIFY(!parseUpgradeRequest("\r\n\r\n").isUpgrade);
        QVERIFY(sameToken("abc", "abc"));
        QVERIFY(!sameToken("abc", "abd"));
        QVERIFY(!sameToken("", ""));
        QVERIFY(!sameToken("abc", "abcd"));
    }

    void refusesBeforeTheUpgrade()
    {
        Fixture f;
        const quint16 port = f.server->port();
        QVERIFY(port > 0);
        QCOMPARE(upgradeStatus(port, "/", ""), QByteArray("HTTP/1.1 401 Unauthorized"));
        QCOMPARE(upgradeStatus(port, "/?token=nope", ""), QByteArray("HTTP/1.1 401 Unauthorized"));
        QCOMPARE(upgradeStatus(port, "/?token=" + kToken.left(31), ""),
            QByteArray("HTTP/1.1 401 Unauthorized"));
        QCOMPARE(upgradeStatus(port, "/", "Authorization: Bearer wrong\r\n"),
            QByteArray("HTTP/1.1 401 Unauthorized"));
        QCOMPARE(upgradeStatus(port, "/?token=" + kToken, "Origin: https://evil.example\r\n"),
            QByteArray("HTTP/1.1 403 Forbidden"));
        QCOMPARE(upgradeStatus(port, "/?token=" + kToken, "Origin: http://localhost:3000\r\n"),
            QByteArray("HTTP/1.1 101 Switching Protocols"));
        QCOMPARE(upgradeStatus(port, "/", "Authorization: Bearer " + kToken + "\r\n"),
            QByteArray("HTTP/1.1 101 Switching Protocols"));
        QCOMPARE(f.server->clientCount() >= 0, true);
    }

    void answersAndNotifies()
    {
        Fixture f;
        Client a, b;
        QVERIFY(a.open(f.server->port()));
        QVERIFY(b.open(f.server->port()));
        QTRY_COMPARE(f.server->clientCount(), 2);
        QCOMPARE(a.call("ping", Json::object()).value("result", ""), std::string("pong"));
        const Json sub = a.call("subscribe", Json {{"topics", {"spans", "clock"}}});
        JSON_COMPARE(sub["result"]["topics"], (Json {"spans", "clock"}));
        QVERIFY(f.server->hasSubscribers(IdeServer::Spans));
        QVERIFY(!f.server->hasSubscribers(IdeServer::Logs));
        QCOMPARE(
            a.call("subscribe", Json {{"topics", {"nope"}}})["error"].value("code", 0), -32602);
        QCOMPARE(a.call("subscribe", Json {{"topics", "spans"}})["error"].value("code", 0), -32602);
        QCOMPARE(a.call("subscribe", Json::object())["error"].value("code", 0), -32602);

        f.server->publish(IdeServer::Spans, {"{\"n\":1}", "{\"n\":2}", "{\"n\":3}"});
        f.server->publish(IdeServer::Logs, {"{\"n\":9}"}); // nobody listens
        f.server->publishCoalesced(IdeServer::Clock, "clock", "{\"t\":1}");
        f.server->publishCoalesced(IdeServer::Clock, "clock", "{\"t\":2}");
        QTRY_COMPARE(a.notifications("spans").size(), 1);
        QTRY_COMPARE(a.notifications("clock").size(), 1);
        const Json spans = a.notifications("spans").first();
        JSON_COMPARE(spans["params"]["items"], (Json {{{"n", 1}}, {{"n", 2}}, {{"n", 3}}}));
        QCOMPARE(spans["params"].value("missed", -1), 0);
        QVERIFY(!spans.contains("id"));
        // The clock's items replace each other: only the latest state goes out.
        JSON_COMPARE(a.notifications("clock").first()["params"]["items"], (Json {{{"t", 2}}}));
        QTest::qWait(100);
        QVERIFY(b.notifications("spans").isEmpty());
        QVERIFY(a.notifications("logs").isEmpty());

        const Json unsub = a.call("unsubscribe", Json::object());
        JSON_COMPARE(unsub["result"]["topics"], Json::array());
        QVERIFY(!f.server->hasSubscribers(IdeServer::Spans));
    }

    // However fast items come, a client gets about 20 messages a second, each carrying many.
    void batchesNotifications()
    {
        Fixture f;
        Client a;
        QVERIFY(a.open(f.server->port()));
        a.call("subscribe", Json {{"topics", {"spans"}}});
        QElapsedTimer t;
        t.start();
        int published = 0;
        while (t.elapsed() < 500) {
            f.server->publish(IdeServer::Spans, {"{\"x\":0}"});
            ++published;
            QCoreApplication::processEvents();
        }
        // Every item arrives, or is counted as missed (past 20,000 queued, the oldest go).
        const auto accounted = [&] {
            qint64 items = 0;
            for (const Json &n : a.notifications("spans"))
                items += qint64(n["params"]["items"].size()) + n["params"].value("missed", 0);
            return items;
        };
        QTRY_COMPARE(accounted(), qint64(published));
        const int messages = int(a.notifications("spans").size());
        QVERIFY2(messages <= int(t.elapsed() / 50) + 3, qPrintable(QString::number(messages)));
        QVERIFY(published > messages * 5);
    }

    // A client that stops reading: the publisher never waits, the server keeps at most its
    // bounds for it, and tells it how much it missed once it reads again.
    void slowClientStaysBounded()
    {
        IdeServer::Options o;
        o.maxQueuedBytes = 256 * 1024;
        o.maxSocketBacklog = 128 * 1024;
        o.maxMessageBytes = 64 * 1024;
        Fixture f(o);
        // A raw client that subscribes, then stops reading: with a read buffer of one byte,
        // its socket leaves the rest in the kernel, whose buffers fill up.
        QTcpSocket raw;
        raw.connectToHost(QHostAddress::LocalHost, f.server->port());
        QVERIFY(raw.waitForConnected(5000));
        raw.write("GET /?token=" + kToken
            + " HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
              "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
        QByteArray got;
        QTRY_VERIFY((got += raw.readAll()).contains("\r\n\r\n"));
        QVERIFY(got.startsWith("HTTP/1.1 101"));
        const QByteArray request
            = R"({"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"topics":["logs"]}})";
        QByteArray frame("\x81", 1);
        frame += char(0x80 | request.size()); // masked, under 126 bytes
        const QByteArray mask("\x01\x02\x03\x04", 4);
        frame += mask;
        for (qsizetype i = 0; i < request.size(); ++i)
            frame += char(request[i] ^ mask[i % 4]);
        raw.write(frame);
        QTRY_VERIFY(f.server->hasSubscribers(IdeServer::Logs));
        raw.setReadBufferSize(1);
        const QByteArray item = '"' + QByteArray(1000, 'x') + '"';
        QElapsedTimer t;
        t.start();
        for (int i = 0; i < 50'000; ++i) {
            f.server->publish(IdeServer::Logs, {item});
            if (i % 500 == 0)
                QCoreApplication::processEvents();
        }
        QVERIFY2(t.elapsed() < 10'000, "publishing waited for the client");
        QTest::qWait(500);
        QVERIFY(f.server->queuedBytes() <= o.maxQueuedBytes);
        QVERIFY(f.server->missedTotal() > 0);
        // 50 MB were published; far less went to the socket.
        qint64 received = 0;
        raw.setReadBufferSize(0);
        QByteArray stream;
        QElapsedTimer drain;
        drain.start();
        while (drain.elapsed() < 3000) {
            QCoreApplication::processEvents();
            if (raw.waitForReadyRead(200)) {
                const QByteArray chunk = raw.readAll();
                received += chunk.size();
                stream += chunk;
            }
        }
        QVERIFY2(received < 8 * 1024 * 1024, qPrintable(QString::number(received)));
        // Reading again, it is told what it missed.
        static const QRegularExpression missed(QStringLiteral(R"("missed":([1-9][0-9]*))"));
        QVERIFY(missed.match(QString::fromLatin1(stream)).hasMatch());
    }
};

QTEST_GUILESS_MAIN(TestIdeServer)
#include "tst_ideserver.moc"
