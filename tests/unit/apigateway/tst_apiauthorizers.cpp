// Authorizers: IAM policy evaluation against method ARNs, reading a Lambda authorizer's
// answer, the verdicts API Gateway gives, and identity sources.
#include "http/httpmessage.h"
#include "services/apigateway/apiauthorizers.h"

#include "apitestsupport.h"

#include <QTest>

using namespace tarmac;

namespace {

const QString kArn
    = QStringLiteral("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/7");

Json policy(const char *effect, Json resource, Json action = "execute-api:Invoke")
{
    return Json {{"Version", "2012-10-17"},
        {"Statement",
            Json::array({Json {{"Effect", effect}, {"Action", std::move(action)},
                {"Resource", std::move(resource)}}})}};
}

} // namespace

class TestApiAuthorizers : public QObject
{
    Q_OBJECT
private slots:
    void patterns_data();
    void patterns();
    void policies();
    void answers();
    void verdicts();
    void identity();
    void arns();
};

void TestApiAuthorizers::patterns_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<bool>("matches");
    QTest::newRow("exact") << kArn << true;
    QTest::newRow("any") << QStringLiteral("*") << true;
    QTest::newRow("stage and method wildcard")
        << QStringLiteral("arn:aws:execute-api:us-east-1:123456789012:abc123/*/*/pets/*") << true;
    QTest::newRow("method only") << QStringLiteral(
        "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/*")
                                 << false;
    QTest::newRow("question mark")
        << QStringLiteral("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/?")
        << true;
    QTest::newRow("question mark needs one")
        << QStringLiteral("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/7?")
        << false;
    QTest::newRow("another api") << QStringLiteral(
        "arn:aws:execute-api:us-east-1:123456789012:zzz/*")
                                 << false;
    QTest::newRow("prefix is not enough")
        << QStringLiteral("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets")
        << false;
    QTest::newRow("stars in a row") << QStringLiteral("arn:**:abc123/**") << true;
}

void TestApiAuthorizers::patterns()
{
    QFETCH(QString, pattern);
    QFETCH(bool, matches);
    QCOMPARE(arnPatternMatches(pattern, kArn), matches);
}

void TestApiAuthorizers::policies()
{
    const std::string arn = kArn.toStdString();
    QCOMPARE(evaluatePolicy(policy("Allow", arn), kArn), PolicyVerdict::Allow);
    QCOMPARE(evaluatePolicy(policy("Deny", arn), kArn), PolicyVerdict::ExplicitDeny);
    QCOMPARE(
        evaluatePolicy(policy("Allow", Json::array({"arn:x", arn})), kArn), PolicyVerdict::Allow);
    QCOMPARE(evaluatePolicy(policy("Allow", "arn:x"), kArn), PolicyVerdict::ImplicitDeny);
    QCOMPARE(evaluatePolicy(policy("Allow", arn, "execute-api:*"), kArn), PolicyVerdict::Allow);
    QCOMPARE(
        evaluatePolicy(policy("Allow", arn, "s3:GetObject"), kArn), PolicyVerdict::ImplicitDeny);
    // A Deny anywhere wins over an Allow.
    Json both = policy("Allow", "*");
    both["Statement"].push_back(Json {{"Effect", "Deny"}, {"Action", "*"}, {"Resource", arn}});
    QCOMPARE(evaluatePolicy(both, kArn), PolicyVerdict::ExplicitDeny);
    // One statement as an object; garbage is no permission.
    QCOMPARE(
        evaluatePolicy(
            Json {{"Statement", {{"Effect", "Allow"}, {"Action", "*"}, {"Resource", "*"}}}}, kArn),
        PolicyVerdict::Allow);
    for (const Json &bad : {Json(), Json(3), Json::object(), Json {{"Statement", "x"}},
             Json {{"Statement", Json::array({1, "a", nullptr})}}})
        QCOMPARE(evaluatePolicy(bad, kArn), PolicyVerdict::ImplicitDeny);
}

void TestApiAuthorizers::answers()
{
    ApiAuthorizer token;
    const auto read = [&](bool http, bool error, const char *payload) {
        return readAuthorizerAnswer(token, http, error, QByteArray(payload));
    };
    auto a = read(false, false,
        R"({"principalId":"u1","policyDocument":{"Statement":[]},"context":{"a":"1","n":2,"b":true}})");
    QCOMPARE(a.kind, AuthorizerAnswer::Kind::Policy);
    QCOMPARE(a.principalId, QStringLiteral("u1"));
    JCOMPARE(a.context["n"], Json(2));
    QCOMPARE(read(false, true, R"({"errorMessage":"Unauthorized","errorType":"Exception"})").kind,
        AuthorizerAnswer::Kind::Unauthorized);
    QCOMPARE(read(false, true, R"({"errorMessage":"boom"})").kind, AuthorizerAnswer::Kind::Invalid);
    // REST: a principalId and a policy are required, and context values are scalars.
    for (const char *bad : {R"("x")", R"({"policyDocument":{}})", R"({"principalId":"u"})",
             R"({"principalId":"u","policyDocument":[]})",
             R"({"principalId":"u","policyDocument":{},"context":{"o":{}}})",
             R"({"principalId":"u","policyDocument":{},"context":[1]})", "{"}) {
        const auto r = read(false, false, bad);
        QVERIFY2(r.kind == AuthorizerAnswer::Kind::Invalid && !r.reason.isEmpty(), bad);
    }
    // HTTP APIs: nested context is fine; simple responses need a boolean.
    QCOMPARE(read(true, false, R"({"policyDocument":{},"context":{"o":{"p":1}}})").kind,
        AuthorizerAnswer::Kind::Policy);
    token.simpleResponses = true;
    const auto simple = read(true, false, R"({"isAuthorized":true,"context":{"who":"bob"}})");
    QCOMPARE(simple.kind, AuthorizerAnswer::Kind::Simple);
    QVERIFY(simple.authorized);
    QCOMPARE(read(true, false, R"({"isAuthorized":"yes"})").kind, AuthorizerAnswer::Kind::Invalid);
}

void TestApiAuthorizers::verdicts()
{
    AuthorizerAnswer allow;
    allow.kind = AuthorizerAnswer::Kind::Policy;
    allow.policy = policy("Allow", kArn.toStdString());
    allow.principalId = QStringLiteral("u1");
    allow.context = {{"k", "v"}};
    QCOMPARE(judge(allow, false, kArn).status, 200);
    const auto other
        = judge(allow, false, QStringLiteral("arn:aws:execute-api:us-east-1:1:abc/prod/POST/x"));
    QCOMPARE(other.status, 403);
    QCOMPARE(
        other.body, QByteArray(R"({"Message":"User is not authorized to access this resource"})"));
    AuthorizerAnswer deny = allow;
    deny.policy = policy("Deny", "*");
    QCOMPARE(judge(deny, false, kArn).body,
        QByteArray(
            R"({"Message":"User is not authorized to access this resource with an explicit deny"})"));
    QCOMPARE(judge(deny, true, kArn).body, QByteArray(R"({"message":"Forbidden"})"));
    AuthorizerAnswer unauthorized;
    unauthorized.kind = AuthorizerAnswer::Kind::Unauthorized;
    QCOMPARE(judge(unauthorized, false, kArn).status, 401);
    AuthorizerAnswer invalid;
    QCOMPARE(judge(invalid, false, kArn).body, QByteArray(R"({"message":null})"));
    QCOMPARE(judge(invalid, true, kArn).status, 500);
    // What the integration sees.
    const Json rest = authorizerContext(allow, false, 1);
    JCOMPARE(rest["principalId"], Json("u1"));
    JCOMPARE(rest["k"], Json("v"));
    JCOMPARE(rest["integrationLatency"], Json(0));
    JCOMPARE(authorizerContext(allow, true, 2), Json({{"lambda", {{"k", "v"}}}}));
}

void TestApiAuthorizers::identity()
{
    ApiDefinition api;
    api.id = QStringLiteral("abc");
    api.stage = QStringLiteral("prod");
    api.stageVariables.insert(QStringLiteral("env"), QStringLiteral("dev"));
    ApiRoute route {QStringLiteral("GET"), QStringLiteral("/x"), QStringLiteral("fn")};
    RouteMatch match {&route, &api, {}};
    HttpHeaders headers;
    headers.add("Authorization", "Bearer abc");
    headers.add("X-Multi", "1");
    headers.add("X-Multi", "2");
    ApiRequest request;
    request.headers = &headers;
    request.query = "q=a&q=b&e=";

    ApiAuthorizer token;
    token.identitySources = {QStringLiteral("method.request.header.Authorization")};
    QCOMPARE(
        authorizerIdentity(token, match, request), std::optional<QStringList>(L({"Bearer abc"})));
    token.validationExpression = QStringLiteral("Bearer [a-z]+");
    QVERIFY(authorizerIdentity(token, match, request));
    token.validationExpression = QStringLiteral("Bearer [0-9]+"); // the whole token must match
    QVERIFY(!authorizerIdentity(token, match, request));
    token.validationExpression = QStringLiteral("(unclosed");
    QVERIFY(!authorizerIdentity(token, match, request));

    ApiAuthorizer req;
    req.kind = ApiAuthorizer::Kind::Request;
    req.identitySources
        = L({"$request.header.X-Multi", "$request.querystring.q", "$stageVariables.env"});
    QCOMPARE(authorizerIdentity(req, match, request),
        std::optional<QStringList>(L({"1,2", "a,b", "dev"})));
    req.identitySources = L({"method.request.querystring.e"}); // present but empty
    QVERIFY(!authorizerIdentity(req, match, request));
    req.identitySources = L({"method.request.header.Missing"});
    QVERIFY(!authorizerIdentity(req, match, request));
    req.identitySources.clear(); // no sources: called every time, nothing to be missing
    QCOMPARE(authorizerIdentity(req, match, request), std::optional<QStringList>(QStringList()));
}

void TestApiAuthorizers::arns()
{
    ApiDefinition api;
    api.id = QStringLiteral("abc123");
    api.stage = QStringLiteral("prod");
    QCOMPARE(executeApiArn(QStringLiteral("us-east-1"), QStringLiteral("123456789012"), api, "GET",
                 "/pets/7"),
        kArn);
    api.stage = QStringLiteral("$default");
    QCOMPARE(executeApiArn(QStringLiteral("eu-west-1"), QStringLiteral("1"), api, "POST", "/a%20b"),
        QStringLiteral("arn:aws:execute-api:eu-west-1:1:abc123/$default/POST/a b"));
}

QTEST_GUILESS_MAIN(TestApiAuthorizers)
#include "tst_apiauthorizers.moc"
