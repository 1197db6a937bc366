#include "replay/capture.h"
#include "replay/effects.h"
#include "replay/expectation.h"

#include <QTest>

using namespace tarmac;

#define JSON_COMPARE(actual, expected)                                                             \
    QCOMPARE(QByteArray::fromStdString(Json(actual).dump()),                                       \
        QByteArray::fromStdString(Json(expected).dump()))

namespace {

QStringList mismatches(const char *expect, const ReplayOutcome &o)
{
    auto e = parseJson(QByteArray(expect));
    auto r = checkExpectation(&*e, o);
    return r ? *r : QStringList {QStringLiteral("ERROR ") + r.error().message};
}

ReplayOutcome ran(const char *response)
{
    ReplayOutcome o;
    o.delivered = true;
    o.response = *parseJson(QByteArray(response));
    return o;
}

} // namespace

// Capture formats, event kinds, --map, and expectations: what `tarmac replay` reads and checks.
class TestCapture : public QObject
{
    Q_OBJECT

private slots:
    void jsonLines()
    {
        auto c = readCapture(
            R"({"target":"Fn","event":{"a":1},"time":"2026-12-01T10:00:00Z","expect":{"error":false}}

{"target":"arn:aws:lambda:us-east-1:1:function:F","event":[1,2],"time":1796000000000}
)");
        QVERIFY2(c, qPrintable(c ? QString() : c.error().message));
        QCOMPARE(c->format, QStringLiteral("jsonl"));
        QCOMPARE(c->records.size(), 2);
        QCOMPARE(c->records[0].target, QStringLiteral("Fn"));
        QCOMPARE(c->records[0].index, 1);
        QCOMPARE(c->records[1].index, 3);
        QCOMPARE(*c->records[0].timeMs, qint64(1796119200000));
        QCOMPARE(*c->records[1].timeMs, qint64(1796000000000));
        QVERIFY(c->records[0].expect);
        QVERIFY(!c->records[1].expect);
    }

    void badCaptures_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("says");
        QTest::newRow("empty") << QByteArray(" \n") << QStringLiteral("empty");
        QTest::newRow("not json") << QByteArray("{\"target\":\"F\",\"event\":{}}\nnope")
                                  << QStringLiteral("line 2");
        QTest::newRow("no event") << QByteArray("{\"target\":\"F\"}\n{\"x\":1}")
                                  << QStringLiteral("line 1");
        QTest::newRow("target type") << QByteArray("{\"target\":1,\"event\":{}}\n{\"event\":{}}")
                                     << QStringLiteral("target is a string");
        QTest::newRow("bad time") << QByteArray(
            "{\"event\":{},\"time\":\"yesterday\"}\n{\"event\":{}}")
                                  << QStringLiteral("time");
        QTest::newRow("expect type") << QByteArray("{\"event\":{},\"expect\":[1]}\n{\"event\":{}}")
                                     << QStringLiteral("expect is an object");
        QTest::newRow("no marked event")
            << QByteArray(R"({"events":[{"timestamp":1,"message":"START RequestId: x"}]})")
            << QStringLiteral("EVENT");
        QTest::newRow("no message body")
            << QByteArray(R"({"Messages":[{"MessageId":"1"}]})") << QStringLiteral("Body");
        QTest::newRow("scalar") << QByteArray("42") << QStringLiteral("object");
    }
    void badCaptures()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, says);
        auto c = readCapture(bytes);
        QVERIFY(!c);
        QVERIFY2(c.error().message.contains(says), qPrintable(c.error().message));
    }

    void cloudWatchExports()
    {
        // `aws logs filter-log-events` output: only the messages with the marker are events.
        // (Built from a document, not a raw string: moc misreads raw strings with backslashes.)
        const Json doc = {{"events",
                              {{{"logStreamName", "s"}, {"timestamp", 1796000000000},
                                   {"message", "START RequestId: 1 Version: $LATEST\n"}},
                                  {{"logStreamName", "s"}, {"timestamp", 1796000000100},
                                      {"message",
                                          "2026-12-01T10:00:00.100Z\t1\tINFO\tEVENT "
                                          "{\"Records\":[{\"eventSource\":\"aws:s3\"}]}\n"}},
                                  {{"logStreamName", "s"}, {"timestamp", 1796000000200},
                                      {"message", "EVENT {\"k\":2}"}}}},
            {"searchedLogStreams", Json::array()}};
        auto c = readCapture(toJsonBytes(doc));
        QVERIFY2(c, qPrintable(c ? QString() : c.error().message));
        QCOMPARE(c->format, QStringLiteral("cloudwatch"));
        QCOMPARE(c->records.size(), 2);
        QCOMPARE(eventKind(c->records[0].event), QStringLiteral("s3"));
        QCOMPARE(*c->records[0].timeMs, qint64(1796000000100));
        JSON_COMPARE(c->records[1].event, (Json {{"k", 2}}));
        // The same events, one per line.
        auto lines = readCapture("{\"timestamp\":1,\"message\":\"EVENT {\\\"k\\\":1}\"}\n"
                                 "{\"timestamp\":2,\"message\":\"nothing\"}\n");
        QVERIFY(lines);
        QCOMPARE(lines->format, QStringLiteral("cloudwatch"));
        QCOMPARE(lines->records.size(), 1);
    }

    void sqsMessages()
    {
        auto c = readCapture(
            R"({"Messages":[{"MessageId":"m1","ReceiptHandle":"r1","MD5OfBody":"x","Body":"hello",
            "Attributes":{"SentTimestamp":"1796000000000","ApproximateReceiveCount":"1"},
            "MessageAttributes":{"color":{"DataType":"String","StringValue":"red"}}}]})");
        QVERIFY(c);
        QCOMPARE(c->format, QStringLiteral("sqs"));
        const Json &r = c->records[0].event["Records"][0];
        QCOMPARE(r.value("body", ""), std::string("hello"));
        QCOMPARE(r.value("messageId", ""), std::string("m1"));
        QCOMPARE(r["messageAttributes"]["color"].value("stringValue", ""), std::string("red"));
        QCOMPARE(eventKind(c->records[0].event), QStringLiteral("sqs"));
        QCOMPARE(*c->records[0].timeMs, qint64(1796000000000));
    }

    void oneEvent()
    {
        auto c = readCapture(R"({"version":"2.0","routeKey":"GET /x","requestContext":{}})");
        QVERIFY(c);
        QCOMPARE(c->format, QStringLiteral("event"));
        QCOMPARE(eventKind(c->records[0].event), QStringLiteral("apigateway-v2"));
    }

    void kinds()
    {
        QCOMPARE(eventKind(*parseJson(
                     std::string_view(R"({"httpMethod":"GET","path":"/","requestContext":{}})"))),
            QStringLiteral("apigateway-v1"));
        QCOMPARE(eventKind(*parseJson(std::string_view(
                     R"({"source":"aws.events","detail-type":"Scheduled Event"})"))),
            QStringLiteral("schedule"));
        QCOMPARE(
            eventKind(*parseJson(std::string_view(R"({"source":"my.app","detail-type":"Order"})"))),
            QStringLiteral("eventbridge"));
        QCOMPARE(eventKind(*parseJson(
                     std::string_view(R"({"Records":[{"eventSource":"aws:dynamodb"}]})"))),
            QStringLiteral("dynamodb-stream"));
        QCOMPARE(
            eventKind(*parseJson(std::string_view(R"({"Records":[{"EventSource":"aws:sns"}]})"))),
            QStringLiteral("sns"));
        QCOMPARE(eventKind(*parseJson(std::string_view(R"({"hello":1})"))), QString());
        QCOMPARE(eventKind(Json::array()), QString());
    }

    void mappings()
    {
        QList<Mapping> m = {{QStringLiteral("123456789012"), QStringLiteral("000000000000")},
            {QStringLiteral("prod-bucket"), QStringLiteral("demo-uploads")}};
        const Json mapped = applyMappings(
            *parseJson(std::string_view(R"({"Records":[{"s3":{"bucket":{"name":"prod-bucket",
            "arn":"arn:aws:s3:::prod-bucket"}},"userIdentity":{"principalId":"AWS:123456789012"},"n":5}],
            "prod-bucket":true})")),
            m);
        QCOMPARE(mapped["Records"][0]["s3"]["bucket"].value("arn", ""),
            std::string("arn:aws:s3:::demo-uploads"));
        QCOMPARE(mapped["Records"][0]["userIdentity"].value("principalId", ""),
            std::string("AWS:000000000000"));
        QCOMPARE(mapped["Records"][0].value("n", 0), 5);
        QVERIFY(mapped.contains("demo-uploads"));
        QCOMPARE(m[0].replaced, 1);
        QCOMPARE(m[1].replaced, 3);
    }

    void expectations()
    {
        const ReplayOutcome o
            = ran(R"({"statusCode":200,"body":{"items":[1,2],"next":null,"n":3},"extra":true})");
        QCOMPARE(mismatches(R"({"response":{"statusCode":200,"body":{"n":3}}})", o), QStringList());
        QCOMPARE(mismatches(R"({"response":{"body":{"n":4}}})", o),
            QStringList {QStringLiteral("$.body.n: expected 4, got 3")});
        QCOMPARE(mismatches(R"({"response":{"body":{"items":[1]}}})", o),
            QStringList {QStringLiteral("$.body.items: expected [1], got [1,2]")});
        QCOMPARE(mismatches(R"({"response":{"nope":1}})", o),
            QStringList {QStringLiteral("$.nope: missing (expected 1)")});
        QCOMPARE(mismatches(
                     R"({"error":false,"paths":[{"path":"$.body.items[1]","op":"equals","value":2},
            {"path":"$.body.next","op":"exists"},{"path":"$.extra","value":true}]})",
                     o),
            QStringList());
        QCOMPARE(mismatches(R"({"paths":[{"path":"$.body.items","op":"contains","value":7}]})", o),
            QStringList {QStringLiteral("$.body.items contains 7: got [1,2]")});
        QCOMPARE(mismatches(R"({"paths":[{"path":"$.gone","op":"exists"}]})", o),
            QStringList {QStringLiteral("$.gone exists: got nothing")});
        QCOMPARE(mismatches(R"({"error":true})", o),
            QStringList {QStringLiteral("error: expected the function to fail, it succeeded")});
        ReplayOutcome failed = ran(R"({"errorType":"KeyError","errorMessage":"'x'"})");
        failed.functionError = true;
        failed.errorType = QStringLiteral("KeyError");
        QCOMPARE(mismatches(R"({"error":"KeyError"})", failed), QStringList());
        QCOMPARE(mismatches(R"({"error":true})", failed), QStringList());
        QCOMPARE(mismatches(R"({"error":"ValueError"})", failed),
            QStringList {QStringLiteral("error: expected ValueError, got KeyError")});
        QVERIFY(mismatches(R"({"error":false})", failed)
                    .first()
                    .startsWith(QStringLiteral("error: expected no error")));
        ReplayOutcome notRun;
        notRun.errorType = QStringLiteral("ResourceNotFoundException");
        QVERIFY(
            checkExpectation(nullptr, notRun)->first().startsWith(QStringLiteral("not delivered")));
        // Malformed expectations are errors, not passes.
        QVERIFY(mismatches(R"({"error":3})", o).first().startsWith(QStringLiteral("ERROR")));
        QVERIFY(mismatches(R"({"paths":{}})", o).first().startsWith(QStringLiteral("ERROR")));
        QVERIFY(mismatches("{\"paths\":[{\"path\":\"nope[\"}]}", o)
                    .first()
                    .startsWith(QStringLiteral("ERROR")));
        QVERIFY(mismatches(R"({"paths":[{"path":"$.a","op":"near"}]})", o)
                    .first()
                    .startsWith(QStringLiteral("ERROR")));
    }

    void effects()
    {
        const auto parse = [](const char *expect) {
            auto e = parseJson(QByteArray(expect));
            return parseEffects(&*e);
        };
        auto none = parse(R"({"error":false})");
        QVERIFY(none && none->isEmpty());
        auto all = parse(R"({"effects":[
            {"s3":"Results/done/a","body":"x"},
            {"s3":{"bucket":"b","key":"k/1.json"},"json":{"n":1},"within":500},
            {"s3":"b/gone","exists":false},
            {"sqs":"Dlq","messages":1,"within":20000},
            {"dynamodb":"Notes","key":{"pk":"a","sk":2},"item":{"count":3}}]})");
        QVERIFY2(all, qPrintable(all ? QString() : all.error().message));
        QCOMPARE(all->size(), 5);
        QCOMPARE(all->at(0).kind, Effect::Kind::S3);
        QCOMPARE(all->at(0).resource, QStringLiteral("Results"));
        QCOMPARE(all->at(0).key, QStringLiteral("done/a"));
        QCOMPARE(*all->at(0).body, QByteArray("x"));
        QCOMPARE(all->at(1).key, QStringLiteral("k/1.json"));
        QCOMPARE(all->at(1).withinMs, 500);
        QVERIFY(!all->at(2).exists);
        QCOMPARE(all->at(3).kind, Effect::Kind::Sqs);
        QCOMPARE(*all->at(3).messages, 1);
        QCOMPARE(all->at(4).kind, Effect::Kind::DynamoDb);
        QCOMPARE(all->at(4).label(), QStringLiteral(R"(dynamodb Notes {"pk":"a","sk":2})"));
        // Malformed effects are errors naming the effect, never passes.
        for (const char *bad : {R"({"effects":{}})", R"({"effects":[1]})", R"({"effects":[{}]})",
                 R"({"effects":[{"s3":"nokey"}]})", R"({"effects":[{"s3":5}]})",
                 R"({"effects":[{"s3":{"bucket":1,"key":"k"}}]})", R"({"effects":[{"sqs":"q"}]})",
                 R"({"effects":[{"sqs":"q","messages":"1"}]})",
                 R"({"effects":[{"sqs":"q","messages":-1}]})",
                 R"({"effects":[{"sqs":[],"messages":1}]})", R"({"effects":[{"dynamodb":"t"}]})",
                 R"({"effects":[{"dynamodb":"t","key":[]}]})",
                 R"({"effects":[{"s3":"b/k","within":-5}]})",
                 R"({"effects":[{"s3":"b/k","within":"5"}]})",
                 R"({"effects":[{"s3":"b/k","exists":false,"body":"x"}]})",
                 R"({"effects":[{"s3":"b/k","exists":"no"}]})"}) {
            auto r = parse(bad);
            QVERIFY2(!r, bad);
            QCOMPARE(r.error().code, QStringLiteral("InvalidExpectation"));
        }
        QVERIFY(parse(R"({"effects":[{"sqs":"q","messages":1},{"s3":"x"}]})")
                    .error()
                    .message.startsWith(QStringLiteral("expect.effects[1]")));
    }

    void attributeValues()
    {
        const Json plain = *parseJson(
            QByteArray(R"({"s":"a","n":2.5,"i":7,"b":true,"z":null,"l":[1,"x"],"m":{"k":[]}})"));
        const Json typed = toAttributeValue(plain);
        JSON_COMPARE(typed["M"]["s"], Json({{"S", "a"}}));
        JSON_COMPARE(typed["M"]["i"], Json({{"N", "7"}}));
        JSON_COMPARE(typed["M"]["z"], Json({{"NULL", true}}));
        JSON_COMPARE(fromAttributeValue(typed), plain);
        JSON_COMPARE(fromAttributeValue(*parseJson(QByteArray(R"({"NS":["1","2.5"]})"))),
            *parseJson(QByteArray("[1,2.5]")));
        JSON_COMPARE(fromAttributeValue(*parseJson(QByteArray(R"({"SS":["a"]})"))),
            *parseJson(QByteArray(R"(["a"])")));
        // Not a typed value: as it is.
        JSON_COMPARE(fromAttributeValue(Json(3)), Json(3));
        JSON_COMPARE(fromAttributeValue(*parseJson(QByteArray(R"({"N":"x1"})"))), Json("x1"));
    }
};

QTEST_GUILESS_MAIN(TestCapture)
#include "tst_capture.moc"
