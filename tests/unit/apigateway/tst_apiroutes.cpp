// Route matching and precedence, conflicts, the OpenAPI import, and what the module serves
// when its rows are replaced underneath (a reset, a snapshot restored).
#include "base/clock.h"
#include "http/httpmessage.h"
#include "services/apigateway/apigatewaymodule.h"
#include "services/apigateway/apigatewayport.h"
#include "services/apigateway/apimanagement.h"
#include "services/apigateway/apimodel.h"
#include "services/apigateway/apiopenapi.h"
#include "store/database.h"
#include "store/store.h"
#include "template/stack.h"
#include "template/templatedocument.h"

#include "apitestsupport.h"

#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;

namespace {

ApiDefinition apiWith(const QString &id, const QStringList &routeKeys, bool http = true)
{
    ApiDefinition api;
    api.id = id;
    api.logicalId = id;
    api.http = http;
    for (const QString &key : routeKeys) {
        ApiRoute r;
        if (key == QLatin1String("$default")) {
            r.method = QStringLiteral("ANY");
            r.path = key;
        } else {
            r.method = key.section(u' ', 0, 0);
            r.path = key.section(u' ', 1);
        }
        r.function = key;
        r.origin = QStringLiteral("test");
        api.routes.append(r);
    }
    return api;
}

Json yaml(const char *text)
{
    auto doc = TemplateDocument::parse(QByteArray(text), QStringLiteral("api.yaml"));
    Q_ASSERT(doc);
    return doc->root();
}

} // namespace

class TestApiRoutes : public QObject
{
    Q_OBJECT
private slots:
    void segments();
    void precedence_data();
    void precedence();
    void parameters();
    void conflicts();
    void integrationFunctions_data();
    void integrationFunctions();
    void openApi3();
    void swagger2();
    void openApiErrors();
    void openApiSecurity();
    void reloadFollowsTheRows();
};

void TestApiRoutes::segments()
{
    QCOMPARE(pathSegments("/"), QStringList());
    QCOMPARE(pathSegments("/a/b"), L({"a", "b"}));
    QCOMPARE(pathSegments("/a/b/"), L({"a", "b"})); // the same resource
    QCOMPARE(pathSegments("/a%20b/c%2Fd"), L({"a b", "c/d"}));
    QCOMPARE(pathSegments("/a//b"), L({"a", "", "b"}));
}

void TestApiRoutes::precedence_data()
{
    QTest::addColumn<QStringList>("routes");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QString>("want"); // the route key, or empty for no match
    const QStringList all = L({"GET /items/{id}", "GET /items/special", "ANY /items/{proxy+}",
        "ANY /{proxy+}", "GET /items", "POST /items/{id}", "ANY /items/{id}", "$default"});
    QTest::newRow("exact over parameter")
        << all << QByteArray("GET") << QByteArray("/items/special")
        << QStringLiteral("GET /items/special");
    QTest::newRow("parameter over greedy")
        << all << QByteArray("GET") << QByteArray("/items/7") << QStringLiteral("GET /items/{id}");
    QTest::newRow("method over ANY") << all << QByteArray("POST") << QByteArray("/items/7")
                                     << QStringLiteral("POST /items/{id}");
    QTest::newRow("ANY with parameter over greedy")
        << all << QByteArray("DELETE") << QByteArray("/items/7")
        << QStringLiteral("ANY /items/{id}");
    QTest::newRow("deeper greedy over root greedy")
        << all << QByteArray("GET") << QByteArray("/items/7/parts")
        << QStringLiteral("ANY /items/{proxy+}");
    QTest::newRow("root greedy") << all << QByteArray("GET") << QByteArray("/other/x")
                                 << QStringLiteral("ANY /{proxy+}");
    QTest::newRow("exact /items") << all << QByteArray("GET") << QByteArray("/items")
                                  << QStringLiteral("GET /items");
    QTest::newRow("trailing slash")
        << all << QByteArray("GET") << QByteArray("/items/") << QStringLiteral("GET /items");
    QTest::newRow("$default for the root")
        << all << QByteArray("GET") << QByteArray("/") << QStringLiteral("$default");
    QTest::newRow("greedy needs a segment")
        << L({"ANY /{proxy+}"}) << QByteArray("GET") << QByteArray("/") << QString();
    QTest::newRow("case matters") << L({"GET /Items"}) << QByteArray("GET") << QByteArray("/items")
                                  << QString();
    QTest::newRow("method must match")
        << L({"GET /a"}) << QByteArray("POST") << QByteArray("/a") << QString();
    QTest::newRow("parameter is not empty")
        << L({"GET /a/{id}/b"}) << QByteArray("GET") << QByteArray("/a//b") << QString();
    QTest::newRow("root") << L({"GET /"}) << QByteArray("GET") << QByteArray("/")
                          << QStringLiteral("GET /");
}

void TestApiRoutes::precedence()
{
    QFETCH(QStringList, routes);
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QString, want);
    const ApiDefinition api = apiWith(QStringLiteral("a"), routes);
    RouteTable t;
    QVERIFY(t.add(api).isEmpty());
    const auto m = t.match(method, pathSegments(path));
    QCOMPARE(m ? m->route->routeKey() : QString(), want);
}

void TestApiRoutes::parameters()
{
    const ApiDefinition api = apiWith(QStringLiteral("a"), L({"GET /users/{user}/files/{path+}"}));
    RouteTable t;
    t.add(api);
    const auto m = t.match("GET", pathSegments("/users/j%C3%B6rg/files/a/b%20c.txt"));
    QVERIFY(m);
    QCOMPARE(m->pathParameters.size(), 2);
    QCOMPARE(m->pathParameters[0], std::make_pair(QStringLiteral("user"), QStringLiteral("jörg")));
    QCOMPARE(
        m->pathParameters[1], std::make_pair(QStringLiteral("path"), QStringLiteral("a/b c.txt")));
    QVERIFY(t.hasPath(pathSegments("/users/x/files/y")));
    QVERIFY(!t.hasPath(pathSegments("/users/x")));
}

void TestApiRoutes::conflicts()
{
    const ApiDefinition first = apiWith(QStringLiteral("First"), L({"GET /items/{id}", "GET /a"}));
    const ApiDefinition second
        = apiWith(QStringLiteral("Second"), L({"GET /items/{key}", "POST /a"}));
    RouteTable t;
    QVERIFY(t.add(first).isEmpty());
    const QStringList c = t.add(second);
    // Parameter names do not make two routes different; methods do.
    QCOMPARE(c.size(), 1);
    QVERIFY2(
        c.first().contains(QLatin1String("First")) && c.first().contains(QLatin1String("Second")),
        qPrintable(c.first()));
    QCOMPARE(t.match("GET", pathSegments("/items/1"))->api, &first);
    QCOMPARE(t.match("POST", pathSegments("/a"))->api, &second);
}

void TestApiRoutes::integrationFunctions_data()
{
    QTest::addColumn<QString>("uri");
    QTest::addColumn<QString>("function");
    QTest::addColumn<QString>("qualifier");
    QTest::newRow("REST uri") << QStringLiteral(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:Items/invocations")
                              << QStringLiteral("Items") << QString();
    QTest::newRow("alias") << QStringLiteral(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:Items:live/invocations")
                           << QStringLiteral("Items") << QStringLiteral("live");
    QTest::newRow("function ARN") << QStringLiteral("arn:aws:lambda:us-east-1:1:function:F")
                                  << QStringLiteral("F") << QString();
    QTest::newRow("name") << QStringLiteral("F") << QStringLiteral("F") << QString();
    QTest::newRow("http integration")
        << QStringLiteral("https://example.com/x") << QString() << QString();
    QTest::newRow("sqs arn") << QStringLiteral("arn:aws:sqs:us-east-1:1:q") << QString()
                             << QString();
}

void TestApiRoutes::integrationFunctions()
{
    QFETCH(QString, uri);
    QFETCH(QString, function);
    QFETCH(QString, qualifier);
    QString q;
    QCOMPARE(integrationFunction(uri, &q), function);
    QCOMPARE(q, qualifier);
}

void TestApiRoutes::openApi3()
{
    const Json doc = yaml(R"(
openapi: "3.0.1"
info: {title: Items API}
x-amazon-apigateway-binary-media-types: ["image/png"]
x-amazon-apigateway-cors: {allowOrigins: ["https://app.example"], allowMethods: [GET], maxAge: 300}
paths:
  /items/{id}:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:Get/invocations
        payloadFormatVersion: "1.0"
        timeoutInMillis: 5000
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration: {type: AWS_PROXY, uri: "arn:aws:lambda:us-east-1:1:function:Any"}
    put:
      x-amazon-apigateway-integration: {type: http_proxy, uri: "https://example.com", connectionType: VPC_LINK}
    delete:
      responses: {}
  $default:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration: {type: aws_proxy, uri: "arn:aws:lambda:us-east-1:1:function:Fallback"}
)");
    auto r = importOpenApi(doc, true);
    QVERIFY2(r, r ? "" : qPrintable(r.error().message));
    QCOMPARE(r->title, QStringLiteral("Items API"));
    QStringList keys;
    for (const ApiRoute &route : r->routes)
        keys.append(route.routeKey() + u'>' + route.function + u'/'
            + QString::number(route.payloadVersion) + u'/' + QString::number(route.timeoutMs));
    keys.sort();
    QCOMPARE(keys,
        L({"$default>Fallback/2/0", "ANY /items/{id}>Any/2/0", "GET /items/{id}>Get/1/5000"}));
    QCOMPARE(r->binaryMediaTypes, L({"image/png"}));
    QVERIFY(r->cors);
    QCOMPARE(r->cors->allowOrigins, L({"https://app.example"}));
    QCOMPARE(r->cors->maxAge, 300);
    QCOMPARE(r->unsupported.size(), 2); // the private integration; the operation without one
    QVERIFY(r->unsupported.join(u'\n').contains(QLatin1String("VPC link")));
}

void TestApiRoutes::swagger2()
{
    const Json doc = yaml(R"(
swagger: "2.0"
paths:
  /:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        uri: arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:1:function:Root:prod/invocations
        payloadFormatVersion: "2.0"
  /{proxy+}:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        type: aws_proxy
        uri: arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:1:function:Proxy/invocations
)");
    auto r = importOpenApi(doc, false);
    QVERIFY(r);
    QCOMPARE(r->routes.size(), 2);
    QCOMPARE(r->routes[0].routeKey(), QStringLiteral("GET /"));
    QCOMPARE(r->routes[0].qualifier, QStringLiteral("prod"));
    QCOMPARE(r->routes[0].payloadVersion, 1); // REST APIs only speak 1.0
    QCOMPARE(r->routes[1].routeKey(), QStringLiteral("ANY /{proxy+}"));
}

void TestApiRoutes::openApiErrors()
{
    QVERIFY(!importOpenApi(yaml("openapi: '3.0'\n"), false));
    QVERIFY(!importOpenApi(yaml("paths: [1]\n"), false));
    QVERIFY(!importOpenApi(yaml("paths: {/a: 3}\n"), false));
    QVERIFY(!importOpenApi(yaml("paths: {/a: {get: 3}}\n"), false));
    auto r = importOpenApi(yaml("paths: {a: {get: {}}}\n"), false);
    QVERIFY(r);
    QCOMPARE(r->routes.size(), 0);
    QCOMPARE(r->unsupported.size(), 1);
    QVERIFY(!importOpenApi(Json(42), true));
}

void TestApiRoutes::openApiSecurity()
{
    const Json doc = yaml(R"(
swagger: "2.0"
securityDefinitions:
  Tok:
    type: apiKey
    name: X-Token
    in: header
    x-amazon-apigateway-authorizer:
      type: token
      authorizerUri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:Auth/invocations
      identityValidationExpression: "Bearer .*"
  Req:
    type: apiKey
    name: Unused
    in: header
    x-amazon-apigateway-authorizer:
      type: request
      identitySource: "method.request.header.A, method.request.querystring.b"
      authorizerUri: arn:aws:lambda:us-east-1:1:function:ReqAuth
      authorizerResultTtlInSeconds: 60
  Cog:
    type: apiKey
    name: Authorization
    in: header
    x-amazon-apigateway-authorizer: {type: cognito_user_pools, providerARNs: [x]}
  api_key: {type: apiKey, name: x-api-key, in: header}
security: [{Tok: []}]
paths:
  /a:
    get:
      x-amazon-apigateway-integration: {type: aws_proxy, uri: "arn:aws:lambda:us-east-1:1:function:F"}
  /b:
    get:
      security: [{Req: []}, {api_key: []}]
      x-amazon-apigateway-integration: {type: aws_proxy, uri: "arn:aws:lambda:us-east-1:1:function:F"}
  /c:
    get:
      security: []
      x-amazon-apigateway-integration: {type: aws_proxy, uri: "arn:aws:lambda:us-east-1:1:function:F"}
)");
    auto r = importOpenApi(doc, false);
    QVERIFY(r);
    QCOMPARE(r->defaultAuthorizer, QStringLiteral("Tok"));
    QCOMPARE(r->authorizers.size(), 2); // Cognito is not run: said in unsupported
    QVERIFY(r->unsupported.join(u'\n').contains(QLatin1String("cognito_user_pools")));
    const auto byName = [&](const char *name) {
        return *std::find_if(r->authorizers.cbegin(), r->authorizers.cend(),
            [&](const ApiAuthorizer &a) { return a.name == QLatin1String(name); });
    };
    const ApiAuthorizer tok = byName("Tok");
    QCOMPARE(tok.kind, ApiAuthorizer::Kind::Token);
    QCOMPARE(tok.function, QStringLiteral("Auth"));
    QCOMPARE(tok.identitySources, L({"method.request.header.X-Token"}));
    QCOMPARE(tok.validationExpression, QStringLiteral("Bearer .*"));
    QCOMPARE(tok.ttlSeconds, 300);
    const ApiAuthorizer req = byName("Req");
    QCOMPARE(req.kind, ApiAuthorizer::Kind::Request);
    QCOMPARE(req.identitySources, L({"method.request.header.A", "method.request.querystring.b"}));
    QCOMPARE(req.ttlSeconds, 60);
    QCOMPARE(r->routes.size(), 3);
    QCOMPARE(r->routes[0].authorizer, QString()); // the default
    QCOMPARE(r->routes[1].authorizer, QStringLiteral("Req"));
    QVERIFY(r->routes[1].apiKeyRequired);
    QCOMPARE(r->routes[2].authorizer, QStringLiteral("NONE"));
    QVERIFY(!r->routes[2].apiKeyRequired);
}

QTEST_GUILESS_MAIN(TestApiRoutes)
// The management API's APIs are rows: reloadState() serves what the rows hold now (gone after
// a reset, back after a restore), and keeps the template's APIs, which are not rows.
void TestApiRoutes::reloadFollowsTheRows()
{
    QTemporaryDir dir;
    auto store = Store::open(dir.path());
    QVERIFY(store);
    ManualClock clock;
    EngineContext context;
    context.clock = &clock;
    context.store = store->get();
    ApiGatewayModule module;
    const QList<ServicePort> ports = module.ports(context);
    QCOMPARE(ports.size(), 1);
    auto *port = static_cast<ApiGatewayPort *>(ports.first().handler);
    QVERIFY(module.start(context));
    auto *management = static_cast<ApiManagementHandler *>(module.edgeHandler());

    StackResource templateApi;
    templateApi.logicalId = QStringLiteral("TemplateApi");
    templateApi.type = QStringLiteral("AWS::Serverless::HttpApi");
    templateApi.physicalId = QStringLiteral("tmplapi001");
    QVERIFY(module.putResource(templateApi, nullptr));
    HttpRequest create;
    create.method = "POST";
    create.target = create.path = "/v2/apis";
    create.body = HttpBody(QByteArray(R"j({"name": "quick", "protocolType": "HTTP",
        "target": "arn:aws:lambda:us-east-1:000000000000:function:fn"})j"));
    const HttpResponse created = management->route(create);
    QCOMPARE(created.status, 201);
    const QString id = fromStd(Json::parse(created.body.toStdString())["apiId"].get<std::string>());
    const auto served = [&] {
        QStringList ids;
        for (const auto &api : port->apis()->apis)
            ids.append(api->id);
        return ids;
    };
    QCOMPARE(served(), QStringList({templateApi.physicalId, id}));

    const auto exec = [&](const char *sql) {
        return (*store)->write([sql](Database &db) { return db.exec(sql); }).ok();
    };
    QVERIFY(exec("CREATE TEMP TABLE saved_apis AS SELECT * FROM apigateway_apis;"
                 "DELETE FROM apigateway_apis"));
    QVERIFY(module.reloadState());
    QCOMPARE(served(), QStringList({templateApi.physicalId}));
    HttpRequest list;
    list.method = "GET";
    list.target = list.path = "/v2/apis";
    JCOMPARE(Json::parse(management->route(list).body.toStdString())["items"], Json::array());

    QVERIFY(exec("INSERT INTO apigateway_apis SELECT * FROM saved_apis; DROP TABLE saved_apis"));
    QVERIFY(module.reloadState());
    QCOMPARE(served(), QStringList({templateApi.physicalId, id}));
    QCOMPARE(port->apis()->byId.value(id)->routes.size(), 1);
    HttpRequest get;
    get.method = "GET";
    get.target = get.path = "/v2/apis/" + id.toUtf8();
    QCOMPARE(management->route(get).status, 200);
}

#include "tst_apiroutes.moc"
