// libFuzzer target for what API Gateway reads from the network and from functions
// (services/apigateway): a request's path, query string, headers and body made into payload
// 1.0 and 2.0 events after route matching, a function's answer mapped to an HTTP response
// (both formats), an OpenAPI document imported into routes, a token a JWT authorizer
// checks, an IAM policy an authorizer returns, and a mapping template (a non-proxy
// integration's) applied to a request body.
//
// The input's first byte picks the reader. For requests, the rest is cut at newlines: the
// method, the path and query, then header lines ("Name: value"), and after an empty line the
// body. Whatever comes, nothing may throw or crash, and what comes out must hold together: an
// event is a JSON object with the keys its format always has; a mapped response has an HTTP
// status and header values without line breaks; an import's routes have a method, a path and
// a function or an integration it runs; a template either renders or says why not.

#include "services/apigateway/apiauthorizers.h"
#include "services/apigateway/apievents.h"
#include "services/apigateway/apijwt.h"
#include "services/apigateway/apimapping.h"
#include "services/apigateway/apiopenapi.h"

#include "http/httpmessage.h"

#include "fuzzsupport.h"

#include <cstddef>
#include <cstdint>

using namespace tarmac;

namespace {

ApiDefinition makeApi(bool http)
{
    ApiDefinition api;
    api.id = QStringLiteral("abcdefghij");
    api.http = http;
    api.stage = http ? QStringLiteral("$default") : QStringLiteral("Prod");
    api.binaryMediaTypes = {QStringLiteral("image/*")};
    api.stageVariables.insert(QStringLiteral("v"), QStringLiteral("1"));
    const char *const routes[][2] = {{"GET", "/items/{id}"}, {"ANY", "/{proxy+}"},
        {"POST", "/a/{b}/c/{rest+}"}, {"GET", "/"}, {"ANY", "$default"}};
    for (const auto &[method, path] : routes) {
        ApiRoute r;
        r.method = QString::fromLatin1(method);
        r.path = QString::fromLatin1(path);
        r.function = QStringLiteral("fn");
        r.payloadVersion = http ? 2 : 1;
        api.routes.append(r);
    }
    return api;
}

void checkEvent(const QByteArray &event, bool v2)
{
    auto parsed = parseJson(event);
    FUZZ_CHECK(parsed && parsed->is_object());
    const Json &e = *parsed;
    for (const char *key : {"requestContext", "headers", "isBase64Encoded"})
        FUZZ_CHECK(e.contains(key));
    if (v2)
        FUZZ_CHECK(e["rawPath"].is_string() && e["routeKey"].is_string());
    else
        FUZZ_CHECK(e["path"].is_string() && e["httpMethod"].is_string());
}

void checkMapped(const Result<MappedResponse> &r)
{
    if (!r) {
        FUZZ_CHECK(!r.error().message.isEmpty());
        return;
    }
    FUZZ_CHECK(r->status >= 100 && r->status <= 599);
    for (const auto &[name, value] : r->headers)
        FUZZ_CHECK(!value.contains('\r') && !value.contains('\n'));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const int reader = data[0] % 7;
    const QByteArray bytes(reinterpret_cast<const char *>(data) + 1, qsizetype(size) - 1);
    switch (reader) {
    case 0: { // a request through route matching into both event formats
        static const ApiDefinition rest = makeApi(false);
        static const ApiDefinition http = makeApi(true);
        static const RouteTable restTable = [] {
            RouteTable t;
            t.add(rest);
            return t;
        }();
        static const RouteTable httpTable = [] {
            RouteTable t;
            t.add(http);
            return t;
        }();
        const qsizetype blank = bytes.indexOf("\n\n");
        const QByteArray head = blank < 0 ? bytes : bytes.left(blank);
        const QList<QByteArray> lines = head.split('\n');
        HttpHeaders headers;
        for (qsizetype i = 2; i < lines.size(); ++i) {
            const qsizetype colon = lines[i].indexOf(':');
            if (colon > 0)
                headers.add(lines[i].left(colon), lines[i].mid(colon + 1).trimmed());
        }
        ApiRequest r;
        r.method = lines.value(0);
        const QByteArray target = lines.value(1);
        const qsizetype q = target.indexOf('?');
        r.path = q < 0 ? target : target.left(q);
        r.query = q < 0 ? QByteArray() : target.mid(q + 1);
        r.headers = &headers;
        r.body = blank < 0 ? QByteArray() : bytes.mid(blank + 2);
        r.requestId = "id";
        r.timeMs = 1;
        r.stagePrefix = QStringLiteral("/Prod");
        r.added = {{"X-Forwarded-For", "127.0.0.1"}};
        const QStringList segments = pathSegments(r.path);
        if (auto m = restTable.match(r.method, segments)) {
            FUZZ_CHECK(m->api == &rest && m->route);
            checkEvent(buildEventV1(*m, r), false);
        }
        if (auto m = httpTable.match(r.method, segments)) {
            checkEvent(buildEventV2(*m, r), true);
            checkEvent(buildEventV1(*m, r), false); // an HTTP API route with payload 1.0
        }
        break;
    }
    case 1: {
        static const ApiDefinition rest = makeApi(false);
        checkMapped(mapResponseV1(bytes, rest, "image/png"));
        break;
    }
    case 2:
        checkMapped(mapResponseV2(bytes));
        break;
    case 3: {
        auto json = parseJson(bytes);
        if (!json)
            return 0;
        for (bool http : {false, true}) {
            auto imported = importOpenApi(*json, http);
            if (!imported)
                continue;
            for (const ApiRoute &r : imported->routes) {
                FUZZ_CHECK(!r.method.isEmpty() && !r.path.isEmpty() && r.served());
                FUZZ_CHECK(http || r.payloadVersion == 1);
            }
        }
        break;
    }
    case 4: { // a bearer token against a JWKS with one RSA key
        static const Json jwks = *parseJson(QByteArrayLiteral(
            R"({"keys":[{"kty":"RSA","kid":"k1","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB"}]})"));
        ApiAuthorizer a;
        a.kind = ApiAuthorizer::Kind::Jwt;
        a.issuer = QStringLiteral("https://issuer.example");
        a.audience = {QStringLiteral("app")};
        const JwtVerdict v = verifyJwt(QString::fromLatin1(bytes), a, jwks, {}, 1'700'000'000);
        FUZZ_CHECK(v.status == 401 || v.status == 403 || v.status == 200);
        FUZZ_CHECK(v.status != 200); // nobody can sign for that key
        break;
    }
    case 5: { // an authorizer's answer, judged for an ARN
        ApiAuthorizer a;
        for (bool http : {false, true}) {
            const AuthorizerAnswer answer = readAuthorizerAnswer(a, http, false, bytes);
            const AuthorizerVerdict v = judge(
                answer, http, QStringLiteral("arn:aws:execute-api:us-east-1:1:abc/prod/GET/x"));
            FUZZ_CHECK(v.status == 200 || v.status == 401 || v.status == 403 || v.status == 500);
            FUZZ_CHECK(v.status == 200 || parseJson(v.body));
            if (answer.kind == AuthorizerAnswer::Kind::Policy)
                (void)authorizerContext(answer, http, http ? 2 : 1);
        }
        break;
    }
    case 6: { // a mapping template (up to the first blank line) applied to a body (the rest)
        const qsizetype blank = bytes.indexOf("\n\n");
        auto t = MappingTemplate::parse(QString::fromUtf8(blank < 0 ? bytes : bytes.left(blank)));
        if (!t) {
            FUZZ_CHECK(!t.error().message.isEmpty());
            break;
        }
        MappingInput in;
        in.body = blank < 0 ? QByteArray() : bytes.mid(blank + 2);
        in.pathParameters = {{QStringLiteral("id"), QStringLiteral("7")}};
        in.query = {{"q", "1"}};
        in.headers = {{"Content-Type", "application/json"}};
        in.context = {{"requestId", "r"}, {"identity", {{"sourceIp", "127.0.0.1"}}}};
        auto out = t->render(in);
        FUZZ_CHECK(out || !out.error().message.isEmpty());
        (void)escapeJavaScript(QString::fromUtf8(in.body));
        break;
    }
    }
    return 0;
}
