// The payload 1.0 and 2.0 event builders and the response mappers, against the shapes AWS
// documents (PROTOCOLS.md §3.1, §3.2; the Lambda developer guide's sample events).
#include "base/json.h"
#include "http/httpmessage.h"
#include "services/apigateway/apievents.h"

#include "apitestsupport.h"

#include <QTest>

using namespace tarmac;

namespace {

// AWS's sample events' keys (Lambda DG sample-apps/java-events/events/apigateway-v1.json and
// apigateway-v2.json), top level and requestContext.
const QStringList kV1Keys = L({"body", "headers", "httpMethod", "isBase64Encoded",
    "multiValueHeaders", "multiValueQueryStringParameters", "path", "pathParameters",
    "queryStringParameters", "requestContext", "resource", "stageVariables"});
const QStringList kV1ContextKeys = L({"accountId", "apiId", "domainName", "domainPrefix",
    "extendedRequestId", "httpMethod", "identity", "path", "protocol", "requestId", "requestTime",
    "requestTimeEpoch", "resourceId", "resourcePath", "stage"});
const QStringList kV1IdentityKeys = L({"accessKey", "accountId", "caller",
    "cognitoAuthenticationProvider", "cognitoAuthenticationType", "cognitoIdentityId",
    "cognitoIdentityPoolId", "principalOrgId", "sourceIp", "user", "userAgent", "userArn"});
const QStringList kV2Keys
    = L({"body", "cookies", "headers", "isBase64Encoded", "pathParameters", "queryStringParameters",
        "rawPath", "rawQueryString", "requestContext", "routeKey", "stageVariables", "version"});
const QStringList kV2ContextKeys = L({"accountId", "apiId", "domainName", "domainPrefix", "http",
    "requestId", "routeKey", "stage", "time", "timeEpoch"});

QStringList keysOf(const Json &o)
{
    QStringList out;
    for (auto it = o.begin(); it != o.end(); ++it)
        out.append(QString::fromStdString(it.key()));
    out.sort();
    return out;
}

QStringList sorted(QStringList l)
{
    l.sort();
    return l;
}

struct Fixture
{
    ApiDefinition api;
    HttpHeaders headers;
    ApiRequest request;
    RouteTable table;

    explicit Fixture(bool http, const QString &routePath = QStringLiteral("/{proxy+}"))
    {
        api.id = QStringLiteral("70ixmpl4fl");
        api.http = http;
        api.stage = http ? QStringLiteral("$default") : QStringLiteral("Prod");
        api.routes.append(ApiRoute {QStringLiteral("POST"), routePath, QStringLiteral("fn"), {},
            http ? 2 : 1, 0, QStringLiteral("test")});
        table.add(api);
        request.method = "POST";
        request.path = "/hello/world";
        request.query = "name=you&name=me&q=a%20b";
        request.requestId = "77375676-xmpl-4b79-853a-f982474efe18";
        request.timeMs = 1583798639428;
        request.sourceIp = QStringLiteral("52.255.255.12");
        request.userAgent = QStringLiteral("curl/8.0");
        request.domainName = QStringLiteral("70ixmpl4fl.execute-api.us-east-2.amazonaws.com");
        request.accountId = QStringLiteral("123456789012");
        request.headers = &headers;
    }
    Json v1()
    {
        const auto m = table.match(request.method, pathSegments(request.path));
        Q_ASSERT(m);
        return *parseJson(buildEventV1(*m, request));
    }
    Json v2()
    {
        const auto m = table.match(request.method, pathSegments(request.path));
        Q_ASSERT(m);
        return *parseJson(buildEventV2(*m, request));
    }
};

// A mapped answer as a row expects it: status 0 for a malformed one (API Gateway's 502).
void checkMapped(
    const Result<MappedResponse> &r, int status, const QByteArray &body, const QString &headers)
{
    if (status == 0) {
        QVERIFY(!r);
        QVERIFY(!r.error().message.isEmpty());
        return;
    }
    QVERIFY2(r, r ? "" : qPrintable(r.error().message));
    QCOMPARE(r->status, status);
    QCOMPARE(r->body, body);
    QStringList got;
    for (const auto &[n, v] : r->headers)
        got.append(QString::fromUtf8(n + '=' + v));
    QCOMPARE(got.join(u';'), headers);
}

} // namespace

class TestApiEvents : public QObject
{
    Q_OBJECT
private slots:
    void v1HasAwsShape();
    void v1HeadersAndQuery();
    void v1NullsWhenAbsent();
    void v2HasAwsShape();
    void v2JoinsAndCookies();
    void v2OmitsAbsentParts();
    void bodies_data();
    void bodies();
    void mapV1_data();
    void mapV1();
    void mapV2_data();
    void mapV2();
    void binaryResponses();
};

void TestApiEvents::v1HasAwsShape()
{
    Fixture f(false);
    f.headers.add("Content-Type", "application/json");
    f.request.body = R"({"a":1})";
    const Json e = f.v1();
    QCOMPARE(keysOf(e), sorted(kV1Keys));
    QCOMPARE(keysOf(e["requestContext"]), sorted(kV1ContextKeys));
    QCOMPARE(keysOf(e["requestContext"]["identity"]), sorted(kV1IdentityKeys));
    QVERIFY(!e.contains("version")); // REST APIs send none
    JCOMPARE(e["resource"], Json("/{proxy+}"));
    JCOMPARE(e["path"], Json("/hello/world"));
    JCOMPARE(e["httpMethod"], Json("POST"));
    JCOMPARE(e["pathParameters"], Json({{"proxy", "hello/world"}}));
    JCOMPARE(e["body"], Json(R"({"a":1})"));
    JCOMPARE(e["isBase64Encoded"], Json(false));
    const Json &c = e["requestContext"];
    JCOMPARE(c["path"], Json("/Prod/hello/world"));
    JCOMPARE(c["stage"], Json("Prod"));
    JCOMPARE(c["resourcePath"], Json("/{proxy+}"));
    JCOMPARE(c["requestTime"], Json("10/Mar/2020:00:03:59 +0000"));
    JCOMPARE(c["requestTimeEpoch"], Json(1583798639428));
    JCOMPARE(c["accountId"], Json("123456789012"));
    JCOMPARE(c["apiId"], Json("70ixmpl4fl"));
    JCOMPARE(c["domainPrefix"], Json("70ixmpl4fl"));
    JCOMPARE(c["protocol"], Json("HTTP/1.1"));
    JCOMPARE(c["identity"]["sourceIp"], Json("52.255.255.12"));
    JCOMPARE(c["identity"]["userAgent"], Json("curl/8.0"));
    QCOMPARE(c["resourceId"].get<std::string>().size(), size_t(6));
}

void TestApiEvents::v1HeadersAndQuery()
{
    Fixture f(false);
    f.headers.add("Content-Type", "text/plain");
    f.headers.add("X-Multi", "one");
    f.headers.add("x-multi", "two");
    f.request.added = {{"X-Forwarded-For", "52.255.255.12"}, {"Content-Type", "ignored"}};
    const Json e = f.v1();
    // The client's spelling; the last value in headers, all of them in multiValueHeaders.
    JCOMPARE(e["headers"]["Content-Type"], Json("text/plain"));
    JCOMPARE(e["headers"]["X-Multi"], Json("two"));
    JCOMPARE(e["multiValueHeaders"]["X-Multi"], Json({"one", "two"}));
    JCOMPARE(e["headers"]["X-Forwarded-For"], Json("52.255.255.12"));
    JCOMPARE(e["multiValueHeaders"]["Content-Type"], Json({"text/plain"})); // not added twice
    JCOMPARE(e["queryStringParameters"], Json({{"name", "me"}, {"q", "a b"}}));
    JCOMPARE(e["multiValueQueryStringParameters"]["name"], Json({"you", "me"}));
}

void TestApiEvents::v1NullsWhenAbsent()
{
    Fixture f(false, QStringLiteral("/hello/world"));
    f.request.query.clear();
    const Json e = f.v1();
    for (const char *key : {"queryStringParameters", "multiValueQueryStringParameters",
             "pathParameters", "stageVariables", "body"})
        QVERIFY2(e.contains(key) && e[key].is_null(), key);
    f.api.stageVariables.insert(QStringLiteral("env"), QStringLiteral("dev"));
    Fixture g(false);
    g.api.stageVariables.insert(QStringLiteral("env"), QStringLiteral("dev"));
    RouteTable t;
    t.add(g.api);
    const auto m = t.match("POST", pathSegments("/x"));
    JCOMPARE((*parseJson(buildEventV1(*m, g.request)))["stageVariables"], Json({{"env", "dev"}}));
}

void TestApiEvents::v2HasAwsShape()
{
    Fixture f(true, QStringLiteral("/hello/{name}"));
    f.headers.add("Cookie", "cookie1=a");
    f.request.body = "Hello from client";
    f.headers.add("Content-Type", "text/plain");
    f.api.stageVariables.insert(QStringLiteral("stageVariable1"), QStringLiteral("value1"));
    RouteTable t;
    t.add(f.api);
    const auto m = t.match("POST", pathSegments(f.request.path));
    QVERIFY(m);
    const Json e = *parseJson(buildEventV2(*m, f.request));
    QCOMPARE(keysOf(e), sorted(kV2Keys));
    QCOMPARE(keysOf(e["requestContext"]), sorted(kV2ContextKeys));
    JCOMPARE(e["version"], Json("2.0"));
    JCOMPARE(e["routeKey"], Json("POST /hello/{name}"));
    JCOMPARE(e["rawPath"], Json("/hello/world"));
    JCOMPARE(e["rawQueryString"], Json("name=you&name=me&q=a%20b"));
    JCOMPARE(e["pathParameters"], Json({{"name", "world"}}));
    JCOMPARE(e["body"], Json("Hello from client"));
    const Json &h = e["requestContext"]["http"];
    QCOMPARE(keysOf(h), sorted(L({"method", "path", "protocol", "sourceIp", "userAgent"})));
    JCOMPARE(h["method"], Json("POST"));
    JCOMPARE(e["requestContext"]["routeKey"], Json("POST /hello/{name}"));
    JCOMPARE(e["requestContext"]["stage"], Json("$default"));
    JCOMPARE(e["requestContext"]["time"], Json("10/Mar/2020:00:03:59 +0000"));
    JCOMPARE(e["requestContext"]["timeEpoch"], Json(1583798639428));
}

void TestApiEvents::v2JoinsAndCookies()
{
    Fixture f(true);
    f.headers.add("X-Multi", "one");
    f.headers.add("X-Multi", "two");
    f.headers.add("Cookie", "a=1; b=2");
    f.headers.add("Cookie", "c=3");
    f.request.path = "/a%20b/c";
    f.request.stagePrefix = QStringLiteral("/dev");
    const Json e = f.v2();
    JCOMPARE(e["headers"]["x-multi"], Json("one,two")); // lower-case, comma-joined
    QVERIFY(!e["headers"].contains("cookie"));
    JCOMPARE(e["cookies"], Json({"a=1", "b=2", "c=3"}));
    JCOMPARE(e["queryStringParameters"], Json({{"name", "you,me"}, {"q", "a b"}}));
    // HTTP APIs hand the path over decoded, with the stage it was called on.
    JCOMPARE(e["rawPath"], Json("/dev/a b/c"));
    JCOMPARE(e["pathParameters"]["proxy"], Json("a b/c"));

    // The event is written by hand: values are escaped, and names that are not UTF-8 and
    // read as the same text (U+FFFD) are written once, the first one kept.
    Fixture g(true);
    g.headers.add("X-Quote", "say \"hi\"\\\t");
    g.headers.add("X-\xff", "first");
    g.headers.add("X-\xfe", "second");
    g.request.query = "%FF=1&%FE=2&ok=%22";
    const auto m = g.table.match(g.request.method, pathSegments(g.request.path));
    QVERIFY(m);
    const QByteArray bytes = buildEventV2(*m, g.request);
    const auto parsed = parseJson(bytes);
    QVERIFY2(parsed, bytes.constData());
    JCOMPARE((*parsed)["headers"]["x-quote"], Json("say \"hi\"\\\t"));
    JCOMPARE((*parsed)["headers"]["x-\xef\xbf\xbd"], Json("first"));
    QCOMPARE(bytes.count("x-\xef\xbf\xbd"), 1);
    JCOMPARE((*parsed)["queryStringParameters"], Json({{"\xef\xbf\xbd", "1"}, {"ok", "\""}}));
}

void TestApiEvents::v2OmitsAbsentParts()
{
    Fixture f(true, QStringLiteral("/hello/world"));
    f.request.query.clear();
    const Json e = f.v2();
    for (const char *key :
        {"queryStringParameters", "pathParameters", "cookies", "body", "stageVariables"})
        QVERIFY2(!e.contains(key), key);
    JCOMPARE(e["rawQueryString"], Json(""));
    JCOMPARE(e["isBase64Encoded"], Json(false));
}

void TestApiEvents::bodies_data()
{
    QTest::addColumn<bool>("http");
    QTest::addColumn<QStringList>("binaryTypes");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("base64");
    const QByteArray png("\x89PNG\r\n\x1a\n\0\0", 10);
    QTest::newRow("rest json") << false << QStringList() << QByteArray("application/json")
                               << QByteArray("{}") << false;
    QTest::newRow("rest png, not a binary type: still not mangled")
        << false << QStringList() << QByteArray("image/png") << png << true;
    QTest::newRow("rest text that is a binary type")
        << false << QStringList {QStringLiteral("text/*")} << QByteArray("text/plain")
        << QByteArray("hi") << true;
    QTest::newRow("rest */*") << false << QStringList {QStringLiteral("*/*")}
                              << QByteArray("application/json") << QByteArray("{}") << true;
    QTest::newRow("http json") << true << QStringList()
                               << QByteArray("application/json; charset=utf-8") << QByteArray("{}")
                               << false;
    QTest::newRow("http vendor json")
        << true << QStringList() << QByteArray("application/vnd.api+json") << QByteArray("{}")
        << false;
    QTest::newRow("http text") << true << QStringList() << QByteArray("text/csv")
                               << QByteArray("a,b") << false;
    QTest::newRow("http form") << true << QStringList()
                               << QByteArray("application/x-www-form-urlencoded")
                               << QByteArray("a=1") << true;
    QTest::newRow("http octets") << true << QStringList() << QByteArray("application/octet-stream")
                                 << QByteArray("abc") << true;
    QTest::newRow("invalid utf-8 as json")
        << true << QStringList() << QByteArray("application/json") << QByteArray("\xff\xfe")
        << true;
}

void TestApiEvents::bodies()
{
    QFETCH(bool, http);
    QFETCH(QStringList, binaryTypes);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, body);
    QFETCH(bool, base64);
    Fixture f(http);
    f.api.binaryMediaTypes = binaryTypes;
    f.headers.add("Content-Type", contentType);
    f.request.body = body;
    const Json e = http ? f.v2() : f.v1();
    QCOMPARE(e["isBase64Encoded"].get<bool>(), base64);
    const QByteArray sent = QByteArray::fromStdString(e["body"].get<std::string>());
    QCOMPARE(base64 ? QByteArray::fromBase64(sent) : sent, body);
}

void TestApiEvents::mapV1_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<int>("status"); // 0: malformed (API Gateway's 502)
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("headers"); // "name=value;…" in order

    QTest::newRow("full") << QByteArray(
        R"({"statusCode":201,"headers":{"Content-Type":"text/plain"},)"
        R"("multiValueHeaders":{"Set-Cookie":["a=1","b=2"]},"body":"hi",)"
        R"("isBase64Encoded":false})")
                          << 201 << QByteArray("hi")
                          << QStringLiteral(
                                 "Set-Cookie=a=1;Set-Cookie=b=2;Content-Type=text/plain");
    QTest::newRow("multi wins over single") << QByteArray(
        R"({"statusCode":200,"headers":{"X-A":"1"},"multiValueHeaders":{"x-a":["2"]}})")
                                            << 200 << QByteArray() << QStringLiteral("x-a=2");
    QTest::newRow("number header") << QByteArray(R"({"statusCode":200,"headers":{"X-N":5}})") << 200
                                   << QByteArray() << QStringLiteral("X-N=5");
    QTest::newRow("status as float 200.0")
        << QByteArray(R"({"statusCode":200.0})") << 200 << QByteArray() << QString();
    QTest::newRow("no statusCode")
        << QByteArray(R"({"body":"x"})") << 0 << QByteArray() << QString();
    QTest::newRow("string statusCode")
        << QByteArray(R"({"statusCode":"200"})") << 0 << QByteArray() << QString();
    QTest::newRow("fraction statusCode")
        << QByteArray(R"({"statusCode":200.5})") << 0 << QByteArray() << QString();
    QTest::newRow("statusCode 99")
        << QByteArray(R"({"statusCode":99})") << 0 << QByteArray() << QString();
    QTest::newRow("object body") << QByteArray(R"({"statusCode":200,"body":{"a":1}})") << 0
                                 << QByteArray() << QString();
    QTest::newRow("headers a list")
        << QByteArray(R"({"statusCode":200,"headers":["a"]})") << 0 << QByteArray() << QString();
    QTest::newRow("header an object")
        << QByteArray(R"({"statusCode":200,"headers":{"a":{}}})") << 0 << QByteArray() << QString();
    QTest::newRow("multi not a list")
        << QByteArray(R"({"statusCode":200,"multiValueHeaders":{"a":"b"}})") << 0 << QByteArray()
        << QString();
    QTest::newRow("header with newline")
        << QByteArray(R"({"statusCode":200,"headers":{"a":"b\r\nX: y"}})") << 0 << QByteArray()
        << QString();
    QTest::newRow("isBase64Encoded a string")
        << QByteArray(R"({"statusCode":200,"isBase64Encoded":"yes"})") << 0 << QByteArray()
        << QString();
    QTest::newRow("not an object") << QByteArray(R"("hello")") << 0 << QByteArray() << QString();
    QTest::newRow("not json") << QByteArray("{") << 0 << QByteArray() << QString();
}

void TestApiEvents::mapV1()
{
    QFETCH(QByteArray, payload);
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(QString, headers);
    ApiDefinition api;
    checkMapped(mapResponseV1(payload, api, QByteArray()), status, body, headers);
}

void TestApiEvents::mapV2_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("headers");
    QTest::newRow("full")
        << QByteArray(R"({"statusCode":201,"headers":{"content-type":"text/plain"},)"
                      R"("cookies":["id=1; HttpOnly","b=2"],"body":"created"})")
        << 201 << QByteArray("created")
        << QStringLiteral("content-type=text/plain;set-cookie=id=1; HttpOnly;set-cookie=b=2");
    QTest::newRow("object without statusCode")
        << QByteArray(R"({"hello":"world"})") << 200 << QByteArray(R"({"hello":"world"})")
        << QStringLiteral("content-type=application/json");
    QTest::newRow("a string") << QByteArray(R"("Hello")") << 200 << QByteArray("Hello")
                              << QStringLiteral("content-type=application/json");
    QTest::newRow("a number") << QByteArray("42") << 200 << QByteArray("42")
                              << QStringLiteral("content-type=application/json");
    QTest::newRow("base64 body") << QByteArray(
        R"({"statusCode":200,"body":"aGk=","isBase64Encoded":true})")
                                 << 200 << QByteArray("hi") << QString();
    QTest::newRow("bad base64") << QByteArray(
        R"({"statusCode":200,"body":"@@@","isBase64Encoded":true})")
                                << 0 << QByteArray() << QString();
    QTest::newRow("cookies not a list")
        << QByteArray(R"({"statusCode":200,"cookies":"a=1"})") << 0 << QByteArray() << QString();
    QTest::newRow("cookie not a string")
        << QByteArray(R"({"statusCode":200,"cookies":[1]})") << 0 << QByteArray() << QString();
    QTest::newRow("statusCode a string")
        << QByteArray(R"({"statusCode":"x"})") << 0 << QByteArray() << QString();
    QTest::newRow("not json") << QByteArray("nope") << 0 << QByteArray() << QString();
}

void TestApiEvents::mapV2()
{
    QFETCH(QByteArray, payload);
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(QString, headers);
    checkMapped(mapResponseV2(payload), status, body, headers);
}

void TestApiEvents::binaryResponses()
{
    const QByteArray payload
        = R"({"statusCode":200,"headers":{"Content-Type":"image/png"},"body":"iVBORw==","isBase64Encoded":true})";
    ApiDefinition rest;
    // Without a binary media type a REST API passes the base64 text on, as AWS does.
    QCOMPARE(mapResponseV1(payload, rest, "image/png")->body, QByteArray("iVBORw=="));
    rest.binaryMediaTypes = {QStringLiteral("image/*")};
    QCOMPARE(mapResponseV1(payload, rest, "*/*")->body, QByteArray::fromBase64("iVBORw=="));
    ApiDefinition viaAccept;
    viaAccept.binaryMediaTypes = {QStringLiteral("application/octet-stream")};
    QCOMPARE(mapResponseV1(payload, viaAccept, "application/octet-stream")->body,
        QByteArray::fromBase64("iVBORw=="));
    ApiDefinition http;
    http.http = true;
    QCOMPARE(mapResponseV1(payload, http, {})->body, QByteArray::fromBase64("iVBORw=="));
}

QTEST_GUILESS_MAIN(TestApiEvents)
#include "tst_apievents.moc"
