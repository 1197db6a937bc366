#include "ide/jsonrpc.h"

#include <QMutex>
#include <QTest>

#include <thread>

using namespace tarmac;

namespace {

// What handle() answered, parsed (null when it answered nothing).
Json answer(const JsonRpc &rpc, const QByteArray &frame)
{
    QByteArray out;
    int calls = 0;
    rpc.handle(frame, [&](QByteArray bytes) {
        out = std::move(bytes);
        ++calls;
    });
    if (calls == 0)
        return Json();
    if (calls != 1)
        return Json("answered more than once");
    auto parsed = parseJson(out);
    return parsed ? *parsed : Json("not JSON");
}

int codeOf(const Json &reply)
{
    const auto error = reply.find("error");
    if (error == reply.end())
        return 0;
    return error->value("code", 0);
}

std::string typeOf(const Json &reply)
{
    return reply.value("/error/data/type"_json_pointer, std::string());
}

JsonRpc makeRpc()
{
    JsonRpc rpc;
    rpc.addSync(QStringLiteral("echo"), [](const Json &params) -> Result<Json> { return params; });
    rpc.addSync(QStringLiteral("add"), [](const Json &params) -> Result<Json> {
        JsonFields f(params);
        const auto a = f.integer("a");
        const auto b = f.integer("b");
        if (!f.ok())
            return invalidParams(f.error()->message());
        if (!a || !b)
            return invalidParams(QStringLiteral("a and b are required"));
        return Json(*a + *b);
    });
    rpc.addSync(QStringLiteral("missing"), [](const Json &) -> Result<Json> {
        return makeError(QStringLiteral("ResourceNotFoundException"), QStringLiteral("no such"));
    });
    return rpc;
}

} // namespace

// The JSON-RPC 2.0 layer of the IDE port: every malformed frame, batch and error code the
// specification names, without a socket.
class TestJsonRpc : public QObject
{
    Q_OBJECT

private slots:
    void answersARequest()
    {
        const JsonRpc rpc = makeRpc();
        const Json r
            = answer(rpc, R"({"jsonrpc":"2.0","id":7,"method":"add","params":{"a":2,"b":3}})");
        QCOMPARE(r.value("jsonrpc", ""), std::string("2.0"));
        QCOMPARE(r.value("id", 0), 7);
        QCOMPARE(r.value("result", 0), 5);
        QVERIFY(!r.contains("error"));
        // String ids and null ids come back as they were.
        const Json s = answer(rpc, R"({"jsonrpc":"2.0","id":"x-1","method":"echo"})");
        QCOMPARE(s.value("id", ""), std::string("x-1"));
        QVERIFY(s["result"].is_object() && s["result"].empty()); // no params: {}
        const Json n = answer(rpc, R"({"jsonrpc":"2.0","id":null,"method":"echo","params":null})");
        QVERIFY(n.contains("id") && n["id"].is_null());
        QVERIFY(n.contains("result"));
    }

    void parseErrors_data()
    {
        QTest::addColumn<QByteArray>("frame");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("garbage") << QByteArray("{not json");
        QTest::newRow("truncated") << QByteArray(R"({"jsonrpc":"2.0","method":"echo")");
        QTest::newRow("trailing") << QByteArray(R"({"jsonrpc":"2.0","method":"echo"} x)");
        QTest::newRow("bad utf-8") << QByteArray("{\"jsonrpc\":\"2.0\",\"method\":\"\xff\xfe\"}");
        QTest::newRow("deep") << QByteArray(100'000, '[');
    }
    void parseErrors()
    {
        QFETCH(QByteArray, frame);
        const Json r = answer(makeRpc(), frame);
        QCOMPARE(codeOf(r), -32700);
        QVERIFY(r.contains("id") && r["id"].is_null());
        QCOMPARE(typeOf(r), std::string("ParseError"));
    }

    void invalidRequests_data()
    {
        QTest::addColumn<QByteArray>("frame");
        QTest::newRow("number") << QByteArray("1");
        QTest::newRow("string") << QByteArray(R"("echo")");
        QTest::newRow("null") << QByteArray("null");
        QTest::newRow("no version") << QByteArray(R"({"id":1,"method":"echo"})");
        QTest::newRow("version 1") << QByteArray(R"({"jsonrpc":"1.0","id":1,"method":"echo"})");
        QTest::newRow("version number") << QByteArray(R"({"jsonrpc":2.0,"id":1,"method":"echo"})");
        QTest::newRow("no method") << QByteArray(R"({"jsonrpc":"2.0","id":1})");
        QTest::newRow("method number") << QByteArray(R"({"jsonrpc":"2.0","id":1,"method":1})");
        QTest::newRow("method null") << QByteArray(R"({"jsonrpc":"2.0","id":1,"method":null})");
        QTest::newRow("id object") << QByteArray(R"({"jsonrpc":"2.0","id":{},"method":"echo"})");
        QTest::newRow("id array") << QByteArray(R"({"jsonrpc":"2.0","id":[1],"method":"echo"})");
        QTest::newRow("id bool") << QByteArray(R"({"jsonrpc":"2.0","id":true,"method":"echo"})");
        QTest::newRow("empty batch") << QByteArray("[]");
    }
    void invalidRequests()
    {
        QFETCH(QByteArray, frame);
        const Json r = answer(makeRpc(), frame);
        QVERIFY2(r.is_object(), r.dump().c_str());
        QCOMPARE(codeOf(r), -32600);
        QCOMPARE(typeOf(r), std::string("InvalidRequest"));
    }

    void unknownMethods()
    {
        const JsonRpc rpc = makeRpc();
        const Json r = answer(rpc, R"({"jsonrpc":"2.0","id":3,"method":"nope.nothing"})");
        QCOMPARE(codeOf(r), -32601);
        QCOMPARE(r.value("id", 0), 3);
        QCOMPARE(typeOf(r), std::string("MethodNotFound"));
        // A notification is never answered, not even with an error.
        QVERIFY(answer(rpc, R"({"jsonrpc":"2.0","method":"nope.nothing"})").is_null());
    }

    void badParams_data()
    {
        QTest::addColumn<QByteArray>("params");
        QTest::newRow("array") << QByteArray("[1,2]");
        QTest::newRow("number") << QByteArray("3");
        QTest::newRow("string") << QByteArray(R"("a")");
        QTest::newRow("bool") << QByteArray("true");
        QTest::newRow("a string") << QByteArray(R"({"a":"2","b":3})");
        QTest::newRow("a fraction") << QByteArray(R"({"a":2.5,"b":3})");
        QTest::newRow("a object") << QByteArray(R"({"a":{},"b":3})");
        QTest::newRow("a array") << QByteArray(R"({"a":[],"b":3})");
        QTest::newRow("a bool") << QByteArray(R"({"a":false,"b":3})");
        QTest::newRow("a huge") << QByteArray(R"({"a":1e300,"b":3})");
        QTest::newRow("b missing") << QByteArray(R"({"a":1})");
    }
    void badParams()
    {
        QFETCH(QByteArray, params);
        const Json r = answer(
            makeRpc(), R"({"jsonrpc":"2.0","id":1,"method":"add","params":)" + params + "}");
        QCOMPARE(codeOf(r), -32602);
        QCOMPARE(typeOf(r), std::string("InvalidParams"));
        QVERIFY(!r["error"].value("message", "").empty());
    }

    void tarmacErrorsCarryTheirType()
    {
        const Json r = answer(makeRpc(), R"({"jsonrpc":"2.0","id":1,"method":"missing"})");
        QCOMPARE(codeOf(r), -32000);
        QCOMPARE(typeOf(r), std::string("ResourceNotFoundException"));
        QCOMPARE(r["error"].value("message", ""), std::string("no such"));
    }

    void batches()
    {
        const JsonRpc rpc = makeRpc();
        const Json r = answer(rpc, R"([
            {"jsonrpc":"2.0","id":1,"method":"add","params":{"a":1,"b":1}},
            {"jsonrpc":"2.0","method":"add","params":{"a":1,"b":1}},
            {"jsonrpc":"2.0","id":2,"method":"nope"},
            1,
            {"jsonrpc":"2.0","id":3,"method":"add","params":{"a":"x"}},
            {"jsonrpc":"2.0","id":4,"method":"missing"}
        ])");
        QVERIFY2(r.is_array(), r.dump().c_str());
        // One answer per request but the notification; the invalid element's id is null.
        QCOMPARE(r.size(), size_t(5));
        QHash<QString, int> codeById;
        for (const Json &a : r)
            codeById.insert(
                a["id"].is_null() ? QStringLiteral("null") : QString::number(a.value("id", -1)),
                codeOf(a));
        QCOMPARE(codeById.value(QStringLiteral("1"), -1), 0);
        QCOMPARE(codeById.value(QStringLiteral("2")), -32601);
        QCOMPARE(codeById.value(QStringLiteral("null")), -32600);
        QCOMPARE(codeById.value(QStringLiteral("3")), -32602);
        QCOMPARE(codeById.value(QStringLiteral("4")), -32000);
        // A batch of notifications only: nothing at all.
        QVERIFY(
            answer(rpc, R"([{"jsonrpc":"2.0","method":"echo"},{"jsonrpc":"2.0","method":"add"}])")
                .is_null());
    }

    // A method may answer later, from another thread (an invocation ends on the runner's):
    // the frame's answer goes out once, when the last request of a batch has answered.
    void answersLaterFromAnotherThread()
    {
        JsonRpc rpc;
        std::vector<std::thread> threads;
        rpc.add(QStringLiteral("slow"),
            [&threads](const Json &params, JsonRpc::Respond respond, quint64 client) {
                const int ms = params.value("ms", 0);
                threads.emplace_back([respond, ms, client] {
                    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
                    respond(Json {{"slept", ms}, {"client", client}});
                });
            });
        std::atomic<int> calls = 0;
        QByteArray out;
        QMutex mutex;
        rpc.handle(
            R"([{"jsonrpc":"2.0","id":1,"method":"slow","params":{"ms":30}},
                {"jsonrpc":"2.0","id":2,"method":"slow","params":{"ms":1}}])",
            [&](QByteArray bytes) {
                QMutexLocker lock(&mutex);
                out = std::move(bytes);
                ++calls;
            },
            42);
        for (std::thread &t : threads)
            t.join();
        QCOMPARE(calls.load(), 1);
        auto parsed = parseJson(out);
        QVERIFY(parsed && parsed->is_array() && parsed->size() == 2);
        for (const Json &a : *parsed) {
            QCOMPARE(a["result"].value("client", 0), 42);
            QCOMPARE(a["result"].value("slept", -1), a.value("id", 0) == 1 ? 30 : 1);
        }
    }

    void listsItsMethods()
    {
        const JsonRpc rpc = makeRpc();
        QCOMPARE(rpc.names(),
            (QStringList {
                QStringLiteral("add"), QStringLiteral("echo"), QStringLiteral("missing")}));
        QVERIFY(rpc.has(QStringLiteral("echo")));
        QVERIFY(!rpc.has(QStringLiteral("nope")));
        const QByteArray n
            = JsonRpc::notification("spans", Json {{"items", Json::array()}, {"missed", 0}});
        auto parsed = parseJson(n);
        QVERIFY(parsed);
        QCOMPARE(parsed->value("method", ""), std::string("spans"));
        QVERIFY(!parsed->contains("id"));
    }
};

QTEST_GUILESS_MAIN(TestJsonRpc)
#include "tst_jsonrpc.moc"
