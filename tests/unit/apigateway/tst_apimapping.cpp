// API Gateway mapping templates (the Velocity subset Tarmac evaluates), $util.escapeJavaScript,
// and reading non-proxy ("aws") integrations from OpenAPI and CloudFormation.
#include "services/apigateway/apimapping.h"
#include "services/apigateway/apiopenapi.h"

#include <QTest>

using namespace tarmac;

namespace {

MappingInput request(const QByteArray &body)
{
    MappingInput in;
    in.body = body;
    in.pathParameters = {{QStringLiteral("id"), QStringLiteral("42")}};
    in.query = {{"q", "a b"}, {"id", "from-query"}};
    in.headers = {{"Content-Type", "application/json"}, {"X-Trace", "t-1"}};
    in.stageVariables.insert(QStringLiteral("table"), QStringLiteral("notes"));
    in.context = {{"requestId", "req-1"}, {"httpMethod", "POST"}, {"stage", "Prod"},
        {"identity", {{"sourceIp", "127.0.0.1"}}}};
    return in;
}

Json j(const char *text)
{
    auto parsed = parseJson(QByteArray(text));
    Q_ASSERT(parsed);
    return *parsed;
}

QByteArray render(const QString &text, const MappingInput &in)
{
    auto t = MappingTemplate::parse(text);
    if (!t)
        return "PARSE ERROR: " + t.error().message.toUtf8();
    auto out = t->render(in);
    return out ? *out : "RENDER ERROR: " + out.error().message.toUtf8();
}

} // namespace

class TestApiMapping : public QObject
{
    Q_OBJECT
private slots:
    void references_data();
    void references();
    void directives_data();
    void directives();
    void refused_data();
    void refused();
    void bodyThatIsNotJson();
    void escapeJavaScript_data();
    void escapeJavaScript();
    void startExecutionTemplates();
    void openApiIntegrations();
    void integrationsNotServed_data();
    void integrationsNotServed();
};

void TestApiMapping::references_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("expected");
    const QByteArray note = R"({"title":"it's","tags":["a","b"],"n":3})";
    QTest::newRow("text") << "plain {text}" << note << QByteArray("plain {text}");
    QTest::newRow("body") << "[$input.body]" << note << "[" + note + "]";
    QTest::newRow("json whole") << "$input.json('$')" << note << note;
    QTest::newRow("json member") << "$input.json('$.title')" << note << QByteArray(R"("it's")");
    QTest::newRow("json list") << "$input.json('$.tags')" << note << QByteArray(R"(["a","b"])");
    QTest::newRow("json of nothing") << "$input.json('$')" << QByteArray() << QByteArray("{}");
    QTest::newRow("json missing") << "[$input.json('$.nope')]" << note << QByteArray("[]");
    QTest::newRow("path string") << "$input.path('$.title')" << note << QByteArray("it's");
    QTest::newRow("path number") << "$input.path('$.n')" << note << QByteArray("3");
    QTest::newRow("path size") << "$input.path('$.tags').size()" << note << QByteArray("2");
    QTest::newRow("path get") << "$input.path('$.tags').get(1)" << note << QByteArray("b");
    QTest::newRow("params: path first") << "$input.params('id')" << note << QByteArray("42");
    QTest::newRow("params: query") << "$input.params('q')" << note << QByteArray("a b");
    QTest::newRow("params: header, any case")
        << "$input.params('x-trace')" << note << QByteArray("t-1");
    QTest::newRow("params: none") << "[$input.params('zz')]" << note << QByteArray("[]");
    QTest::newRow("params map") << "$input.params().header.get('X-Trace')" << note
                                << QByteArray("t-1");
    QTest::newRow("params path map") << "$input.params().path.id" << note << QByteArray("42");
    QTest::newRow("context") << "$context.requestId/$context.identity.sourceIp" << note
                             << QByteArray("req-1/127.0.0.1");
    QTest::newRow("braced") << "${context.stage}x" << note << QByteArray("Prodx");
    QTest::newRow("stage variable") << "$stageVariables.table" << note << QByteArray("notes");
    QTest::newRow("undefined stays") << "$nothing.here and $context.nope" << note
                                     << QByteArray("$nothing.here and $context.nope");
    QTest::newRow("quiet undefined") << "[$!context.nope]" << note << QByteArray("[]");
    QTest::newRow("dollar text") << "cost: $5 $ (x)" << note << QByteArray("cost: $5 $ (x)");
    QTest::newRow("sentence end") << "$context.stage." << note << QByteArray("Prod.");
    QTest::newRow("escape") << R"($util.escapeJavaScript($input.json('$.title')))" << note
                            << QByteArray(R"(\"it\'s\")");
    QTest::newRow("unescape quotes")
        << R"($util.escapeJavaScript($input.json('$.title')).replaceAll("\\'","'"))" << note
        << QByteArray(R"(\"it's\")");
    QTest::newRow("replaceAll groups")
        << R"t($input.path('$.title').replaceAll("(i)(t)", "$2$1\$"))t" << note
        << QByteArray("ti$'s");
    QTest::newRow("replace") << "$input.path('$.title').replace(\"'\", '')" << note
                             << QByteArray("its");
    QTest::newRow("case") << "$context.stage.toUpperCase()$context.stage.toLowerCase()" << note
                          << QByteArray("PRODprod");
    QTest::newRow("length") << "$context.stage.length()" << note << QByteArray("4");
    QTest::newRow("substring") << "$context.stage.substring(1, 3)" << note << QByteArray("ro");
    QTest::newRow("bad substring")
        << "$context.stage.substring(3, 1)" << note << QByteArray("$context.stage.substring(3, 1)");
    QTest::newRow("unknown method")
        << "$context.stage.frobnicate()" << note << QByteArray("$context.stage.frobnicate()");
    QTest::newRow("url") << "$util.urlEncode('a b/é')|$util.urlDecode('a+b%2F')" << note
                         << QByteArray("a+b%2F%C3%A9|a b/");
    QTest::newRow("base64") << "$util.base64Encode('hi')|$util.base64Decode('aGk=')" << note
                            << QByteArray("aGk=|hi");
    QTest::newRow("parseJson") << "$util.parseJson('{\"a\": [1, 2]}').a.get(0)" << note
                               << QByteArray("1");
    QTest::newRow("comments") << "a## a comment\nb#* block\n *#c" << note << QByteArray("abc");
    QTest::newRow("hash text") << "#1 and #{x" << note << QByteArray("#1 and #{x");
    QTest::newRow("doubled quotes")
        << "$util.escapeJavaScript('it''s')" << note << QByteArray(R"(it\'s)");
}

void TestApiMapping::references()
{
    QFETCH(QString, text);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, expected);
    QCOMPARE(render(text, request(body)), expected);
}

void TestApiMapping::refused_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("message");
    QTest::newRow("macro") << "#macro(m)x#end"
                           << "line 1: the directive #macro";
    QTest::newRow("include, line 2") << "{\n#include('x')}"
                                     << "line 2: the directive #include";
    QTest::newRow("braced directive") << "#{break}"
                                      << "the directive #break";
    QTest::newRow("if without end") << "#if(true)x"
                                    << "#if without its #end";
    QTest::newRow("else without end") << "#if(true)x#else y"
                                      << "#if without its #end";
    QTest::newRow("stray end") << "x#end"
                               << "#end without the #if or #foreach";
    QTest::newRow("stray else") << "#else"
                                << "#else without the #if or #foreach";
    QTest::newRow("stray elseif") << "#elseif(true)"
                                  << "#elseif without the #if";
    QTest::newRow("elseif after else") << "#if(true)#else#elseif(true)#end"
                                       << "#elseif after #else";
    QTest::newRow("if without (") << "#if true"
                                  << "#if without its (";
    QTest::newRow("if without )") << "#if(true x"
                                  << "without its )";
    QTest::newRow("empty condition") << "#if()x#end"
                                     << "without its )";
    QTest::newRow("set a property") << "#set($a.b = 1)"
                                    << "#set sets a $name";
    QTest::newRow("set without =") << "#set($a 1)"
                                   << "#set without its =";
    QTest::newRow("foreach syntax") << "#foreach($a of $b)#end"
                                    << "#foreach($name in list)";
    QTest::newRow("foreach without end") << "#foreach($a in [1])x"
                                         << "#foreach without its #end";
    QTest::newRow("else in foreach") << "#foreach($a in [1])#else#end"
                                     << "#else in a #foreach";
    QTest::newRow("open list") << "#set($a = [1, 2)"
                               << "without its ]";
    QTest::newRow("map without colon") << "#set($a = {'k' 1})"
                                       << "without its :";
    QTest::newRow("bad range") << "#set($a = [1..])"
                               << "[from..to]";
    QTest::newRow("dangling operator") << "#if(1 +)#end"
                                       << "+ without its right-hand side";
    QTest::newRow("deep") << QString(QStringLiteral("#if(") + QString(300, u'(') + u'1'
        + QString(300, u')') + QStringLiteral(")#end"))
                          << "nested too deep";
    QTest::newRow("nested too deep")
        << QString(QStringLiteral("#if(true)").repeated(101) + QStringLiteral("#end").repeated(101))
        << "directives nested over 100 deep";
    QTest::newRow("string with a stray end") << "#set($a = \"x$a#end\")"
                                             << "#end in a string";
    QTest::newRow("open comment") << "a #* b"
                                  << "a #* comment is not closed";
    QTest::newRow("open brace") << "${context.stage"
                                << "${ without its }";
    QTest::newRow("open call") << "$input.json('$'"
                               << "a method call without its )";
    QTest::newRow("open string") << "$input.json('$)"
                                 << "a string without its closing";
    QTest::newRow("bad argument") << "$input.json(@)"
                                  << "a method's argument";
}

void TestApiMapping::directives_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("expected");
    const QByteArray note
        = R"({"title":"t","tags":["a","b","c"],"n":3,"ok":true,"m":{"x":1,"y":2}})";
    QTest::newRow("set") << "#set($a = 1)$a" << note << QByteArray("1");
    QTest::newRow("set from input")
        << "#set($t = $input.path('$.tags'))$t.size():$t.get(0)" << note << QByteArray("3:a");
    QTest::newRow("set null keeps")
        << "#set($a = 1)#set($a = $input.path('$.none'))$a" << note << QByteArray("1");
    QTest::newRow("if true") << "#if($input.path('$.ok'))yes#end" << note << QByteArray("yes");
    QTest::newRow("if missing") << "#if($input.path('$.nope'))yes#{else}no#end" << note
                                << QByteArray("no");
    QTest::newRow("if empty string is true") << "#if('')yes#end" << note << QByteArray("yes");
    QTest::newRow("elseif") << "#if($input.path('$.n') == 1)one#elseif($input.path('$.n') == 3)"
                               "three#{else}other#end"
                            << note << QByteArray("three");
    QTest::newRow("params") << "#if($input.params('q') == 'a b')q#end" << note << QByteArray("q");
    QTest::newRow("comparisons") << "#if(2 > 1 && 1 <= 1 && 'a' < 'b' && 3 != 4 && !(1 == 2))ok#end"
                                 << note << QByteArray("ok");
    QTest::newRow("words") << "#if(2 gt 1 and not false or false)ok#end" << note
                           << QByteArray("ok");
    QTest::newRow("number equals decimal") << "#if(3 == 3.0)ok#end" << note << QByteArray("ok");
    QTest::newRow("string equals number text") << "#if('3' == 3)ok#end" << note << QByteArray("ok");
    QTest::newRow("null equals null") << "#if($nothing == $none)ok#end" << note << QByteArray("ok");
    QTest::newRow("arithmetic") << "#set($a = 7)#set($b = ($a + 3) * 2 - 10 / 3 % 2)$b" << note
                                << QByteArray("19");
    QTest::newRow("decimal arithmetic") << "#set($a = 1.5 * 2)$a" << note << QByteArray("3.0");
    QTest::newRow("division by zero")
        << "#set($a = 1)#set($a = 1 / 0)$a" << note << QByteArray("1");
    QTest::newRow("overflow") << "#set($a = 1)#set($a = 9223372036854775807 + 1)$a" << note
                              << QByteArray("9.223372036854776e+18");
    QTest::newRow("foreach")
        << "[#foreach($t in $input.path('$.tags'))\"$t\"#if($foreach.hasNext),#end#end]" << note
        << QByteArray(R"(["a","b","c"])");
    QTest::newRow("foreach index") << "#foreach($t in ['x', 'y'])$foreach.index$foreach.count"
                                      "$velocityCount#end"
                                   << note << QByteArray("011122");
    QTest::newRow("foreach map values")
        << "#foreach($v in $input.path('$.m'))$v#end" << note << QByteArray("12");
    QTest::newRow("foreach nothing")
        << "[#foreach($v in $input.path('$.none'))$v#end]" << note << QByteArray("[]");
    QTest::newRow("foreach range") << "#foreach($i in [1..3])$i#end#foreach($i in [2..0])$i#end"
                                   << note << QByteArray("123210");
    QTest::newRow("nested foreach") << "#foreach($a in [1, 2])#foreach($b in ['x'])$a$b"
                                       "$foreach.index#end$foreach.index;#end"
                                    << note << QByteArray("1x00;2x01;");
    QTest::newRow("loop variable restored")
        << "#set($t = 'kept')#foreach($t in [1])#end$t" << note << QByteArray("kept");
    QTest::newRow("split") << "#set($s = 'a, b,,c,,')#foreach($p in $s.split(',\\s*'))[$p]#end"
                           << note << QByteArray("[a][b][][c]");
    QTest::newRow("string tests") << "#set($s = 'abc')#set($e = '')"
                                     "#if($s.equals('abc') && $e.isEmpty() && !$s.isEmpty())"
                                     "$context.stage.indexOf('o')#end"
                                  << note << QByteArray("2");
    QTest::newRow("map literal") << "#set($m = {'a': 1, \"b\": [2]})$m.a$m.b.get(0)$m.size()"
                                 << note << QByteArray("122");
    QTest::newRow("interpolated string")
        << "#set($s = \"id-$input.params('id')\")$s" << note << QByteArray("id-42");
    QTest::newRow("single quotes are literal")
        << "#set($s = 'id-$x')$s" << note << QByteArray("id-$x");
    QTest::newRow("lines") << "{\n  #set($a = 1)\n  #if(true)\n  \"a\": $a\n  #end\n}" << note
                           << QByteArray("{\n  \"a\": 1\n}");
    QTest::newRow("inline directives keep the line") << "a #if(true)b#end c\n"
                                                     << note << QByteArray("a b c\n");
    QTest::newRow("DynamoDB items")
        << "{\"items\": [#foreach($elem in $input.path('$.tags')){\"S\": \"$elem\"}"
           "#if($foreach.hasNext),#end#end]}"
        << note << QByteArray(R"({"items": [{"S": "a"},{"S": "b"},{"S": "c"}]})");
    QTest::newRow("mock from the docs")
        << "{\n  #if( $input.params('scope') == \"internal\" )\n    \"statusCode\": 200\n"
           "  #else\n    \"statusCode\": 500\n  #end\n}"
        << note << QByteArray("{\n    \"statusCode\": 500\n}");
    QTest::newRow("too many iterations")
        << "#foreach($a in [1..99999])#foreach($b in [1..2])#end#end" << note
        << QByteArray("RENDER ERROR: the mapping template's loops ran over 100000 times");
    QTest::newRow("range too long") << "#foreach($a in [0..100000])#end" << note
                                    << QByteArray("RENDER ERROR: the range [0..100000] is over "
                                                  "100000 long");
}

void TestApiMapping::directives()
{
    QFETCH(QString, text);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, expected);
    QCOMPARE(render(text, request(body)), expected);
}

void TestApiMapping::refused()
{
    QFETCH(QString, text);
    QFETCH(QString, message);
    auto t = MappingTemplate::parse(text);
    QVERIFY(!t);
    QVERIFY2(t.error().message.contains(message), qPrintable(t.error().message));
}

void TestApiMapping::bodyThatIsNotJson()
{
    auto t = MappingTemplate::parse(QStringLiteral("{\"x\": $input.json('$')}"));
    QVERIFY(t);
    auto out = t->render(request("{not json"));
    QVERIFY(!out);
    QVERIFY(
        out.error().message.startsWith(QLatin1String("Could not parse request body into json:")));
    // $input.body never parses it.
    auto body = MappingTemplate::parse(QStringLiteral("$input.body"));
    QCOMPARE(*body->render(request("{not json")), QByteArray("{not json"));
}

void TestApiMapping::escapeJavaScript_data()
{
    QTest::addColumn<QString>("in");
    QTest::addColumn<QString>("out");
    QTest::newRow("quotes") << R"(a'b"c)"
                            << R"(a\'b\"c)";
    QTest::newRow("backslash and slash") << R"(a\b/c)"
                                         << R"(a\\b\/c)";
    QTest::newRow("controls") << QStringLiteral("\n\t\r\b\f\x01")
                              << QStringLiteral(R"(\n\t\r\b\f\u0001)");
    QTest::newRow("non-ASCII") << QStringLiteral("é€😀")
                               << QStringLiteral(R"(\u00E9\u20AC\uD83D\uDE00)");
    QTest::newRow("DEL stays") << QStringLiteral("\x7f") << QStringLiteral("\x7f");
}

void TestApiMapping::escapeJavaScript()
{
    QFETCH(QString, in);
    QFETCH(QString, out);
    QCOMPARE(tarmac::escapeJavaScript(in), out);
}

// The SAM transform's template for a state machine's Api event, both ways.
void TestApiMapping::startExecutionTemplates()
{
    const QString arn = QStringLiteral("arn:aws:states:us-east-1:000000000000:stateMachine:M");
    const QByteArray body = R"({"note": "it's", "n": [1]})";
    auto plain = startExecutionIntegration(arn, false);
    QCOMPARE(plain->service, QStringLiteral("states"));
    QCOMPARE(plain->action, QStringLiteral("StartExecution"));
    QCOMPARE(plain->responses.size(), 2);
    QCOMPARE(plain->responses[1].pattern, QStringLiteral("400"));
    const MappingTemplate &t = plain->requestTemplates[QStringLiteral("application/json")];
    const QByteArray escaped = *t.render(request(body));
    // Velocity's escape leaves \' in the JSON, which JSON parsers refuse, as on AWS.
    QCOMPARE(escaped,
        R"({"input": "{\"note\": \"it\'s\", \"n\": [1]}", "stateMachineArn": ")" + arn.toUtf8()
            + "\"}");
    QVERIFY(!parseJson(escaped));
    auto unescaped = startExecutionIntegration(arn, true);
    const QByteArray fixed
        = *unescaped->requestTemplates[QStringLiteral("application/json")].render(request(body));
    auto parsed = parseJson(fixed);
    QVERIFY2(parsed, fixed.constData());
    QCOMPARE((*parsed)["stateMachineArn"].get<std::string>(), arn.toStdString());
    QVERIFY(*parseJson(QByteArray::fromStdString((*parsed)["input"].get<std::string>()))
        == *parseJson(body));
}

void TestApiMapping::openApiIntegrations()
{
    QString function, qualifier;
    const Json dynamo = j(R"({"type": "aws",
        "uri": "arn:aws:apigateway:us-east-1:dynamodb:action/PutItem",
        "passthroughBehavior": "never",
        "requestTemplates": {"Application/JSON": "{\"TableName\": \"$stageVariables.t\"}"},
        "responses": {
            "default": {"statusCode": "200", "responseTemplates": {"application/json": "{}"}},
            "4\\d{2}": {"statusCode": 400}}})");
    auto r = readServiceIntegration(dynamo, &function, &qualifier);
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    QCOMPARE(r->service, QStringLiteral("dynamodb"));
    QCOMPARE(r->action, QStringLiteral("PutItem"));
    QVERIFY(r->requestTemplates.contains(QStringLiteral("application/json")));
    QCOMPARE(r->passthrough, ApiServiceIntegration::Passthrough::Never);
    QCOMPARE(r->responses.size(), 2); // the default last
    QCOMPARE(r->responses[0].pattern, QStringLiteral("4\\d{2}"));
    QCOMPARE(r->responses[0].status, 400);
    QVERIFY(r->responses[1].pattern.isEmpty());
    QVERIFY(function.isEmpty());

    const Json lambda = j(
        R"({"type": "aws", "uri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:Fn:live/invocations"})");
    r = readServiceIntegration(lambda, &function, &qualifier);
    QVERIFY(r);
    QCOMPARE(r->service, QStringLiteral("lambda"));
    QCOMPARE(function, QStringLiteral("Fn"));
    QCOMPARE(qualifier, QStringLiteral("live"));

    // CloudFormation's spelling.
    function.clear();
    const Json method = j(R"({"Type": "AWS",
        "Uri": "arn:aws:apigateway:us-east-1:states:action/StartExecution",
        "RequestTemplates": {"application/json": "$input.body"},
        "IntegrationResponses": [{"StatusCode": "200", "ResponseParameters": {
                "method.response.header.Cache-Control": "'no-store'",
                "method.response.header.X-Arn": "integration.response.body.executionArn",
                "method.response.header.X-Id": "integration.response.header.x-amzn-RequestId"}},
            {"StatusCode": "400", "SelectionPattern": "4.."}]})");
    r = readMethodIntegration(method, &function, &qualifier);
    QVERIFY(r);
    QCOMPARE(r->action, QStringLiteral("StartExecution"));
    QCOMPARE(r->responses.size(), 2);
    QCOMPARE(r->responses[0].pattern, QStringLiteral("4.."));
    const QList<std::pair<QByteArray, QString>> headers = r->responses[1].headers;
    QCOMPARE(headers.size(), 3);
    QCOMPARE(headers[0].first, QByteArray("Cache-Control"));
    QCOMPARE(headers[0].second, QStringLiteral("'no-store'"));
    QCOMPARE(headers[1].second, QStringLiteral("integration.response.body.executionArn"));

    // SQS by its path and SNS by the query protocol: a method and parameter mappings.
    r = readServiceIntegration(j(R"({"type": "aws", "httpMethod": "post",
        "uri": "arn:aws:apigateway:us-east-1:sqs:path/000000000000/{queue}",
        "requestParameters": {"integration.request.path.queue": "stageVariables.queue",
            "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"},
        "requestTemplates": {"application/json": "Action=SendMessage&MessageBody=$input.body"}})"),
        &function, &qualifier);
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    QCOMPARE(r->service, QStringLiteral("sqs"));
    QCOMPARE(r->uri, QStringLiteral("/000000000000/{queue}"));
    QVERIFY(r->action.isEmpty());
    QCOMPARE(r->httpMethod, QStringLiteral("POST"));
    QCOMPARE(r->requestParameters.size(), 2);
    r = readServiceIntegration(
        j(R"({"type": "aws", "uri": "arn:aws:apigateway:us-east-1:sns:action/Publish"})"),
        &function, &qualifier);
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    QCOMPARE(r->action, QStringLiteral("Publish"));
    QVERIFY(r->uri.isEmpty());
    QCOMPARE(r->httpMethod, QStringLiteral("POST"));

    // A mock: what its request template says selects the response.
    r = readServiceIntegration(j(R"({"type": "MOCK",
        "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
        "responses": {"default": {"statusCode": "200", "responseParameters":
            {"method.response.header.Access-Control-Allow-Origin": "'*'"}}}})"),
        &function, &qualifier);
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    QCOMPARE(r->service, QStringLiteral("mock"));
    QCOMPARE(r->responses.size(), 1);
    QCOMPARE(r->responses[0].headers[0].second, QStringLiteral("'*'"));

    // HTTP, with its method and parameter mappings; a proxy's templates and responses are
    // not read (it passes the request and the answer as they are).
    r = readServiceIntegration(j(R"({"type": "http", "httpMethod": "post",
        "uri": "http://localhost:8080/items/{id}",
        "requestParameters": {"integration.request.path.id": "method.request.path.id",
            "integration.request.querystring.v": "method.request.querystring.verbose",
            "integration.request.header.X-Key": "stageVariables.key",
            "integration.request.header.X-Fixed": "'yes'"},
        "responses": {"default": {"statusCode": 200}}})"),
        &function, &qualifier);
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    QCOMPARE(r->service, QStringLiteral("http"));
    QCOMPARE(r->httpMethod, QStringLiteral("POST"));
    QCOMPARE(r->uri, QStringLiteral("http://localhost:8080/items/{id}"));
    QCOMPARE(r->requestParameters.size(), 4);
    QVERIFY(r->requestParameters.contains(
        std::pair(QStringLiteral("path.id"), QStringLiteral("method.request.path.id"))));
    QVERIFY(r->requestParameters.contains(
        std::pair(QStringLiteral("header.X-Fixed"), QStringLiteral("'yes'"))));
    QCOMPARE(r->responses.size(), 1);
    r = readMethodIntegration(j(R"({"Type": "HTTP_PROXY", "IntegrationHttpMethod": "ANY",
        "Uri": "https://backend.example/{proxy}",
        "RequestParameters": {"integration.request.path.proxy": "method.request.path.proxy"},
        "IntegrationResponses": [{"StatusCode": "200"}]})"),
        &function, &qualifier);
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    QCOMPARE(r->service, QStringLiteral("http_proxy"));
    QCOMPARE(r->httpMethod, QStringLiteral("ANY"));
    QCOMPARE(r->requestParameters.size(), 1);
    QVERIFY(r->responses.isEmpty());
}

void TestApiMapping::integrationsNotServed_data()
{
    QTest::addColumn<QByteArray>("integration");
    QTest::addColumn<QString>("message");
    QTest::newRow("not a map") << QByteArray("[1]") << "not a map";
    QTest::newRow("kinesis path") << QByteArray(
        R"({"uri": "arn:aws:apigateway:us-east-1:kinesis:path/streams/s"})")
                                  << "kinesis paths are not called locally";
    QTest::newRow("no path or action")
        << QByteArray(R"({"uri": "arn:aws:apigateway:us-east-1:sqs:000000000000/q"})")
        << "is not called locally";
    QTest::newRow("query action, bad method") << QByteArray(
        R"({"uri": "arn:aws:apigateway:us-east-1:sns:action/Publish", "httpMethod": ""})")
                                              << "httpMethod is not a method";
    QTest::newRow("kinesis") << QByteArray(
        R"({"uri": "arn:aws:apigateway:us-east-1:kinesis:action/PutRecord"})")
                             << "kinesis actions are not called locally";
    QTest::newRow("no uri") << QByteArray(R"({"type": "aws"})") << "is not called locally";
    QTest::newRow("directive") << QByteArray(
        R"t({"uri": "arn:aws:apigateway:us-east-1:states:action/StartExecution",
            "requestTemplates": {"application/json": "#macro(x)y#end"}})t")
                               << "the directive #macro";
    QTest::newRow("templates not a map") << QByteArray(
        R"({"uri": "arn:aws:apigateway:us-east-1:states:action/StartExecution",
            "requestTemplates": "x"})") << "requestTemplates is not a map";
    QTest::newRow("bad passthrough") << QByteArray(
        R"({"uri": "arn:aws:apigateway:us-east-1:states:action/StartExecution",
            "passthroughBehavior": 3})")
                                     << "passthroughBehavior";
    QTest::newRow("bad status") << QByteArray(
        R"({"uri": "arn:aws:apigateway:us-east-1:states:action/StartExecution",
            "responses": {"default": {"statusCode": "abc"}}})")
                                << "not an HTTP status";
    QTest::newRow("huge status") << QByteArray(
        R"({"uri": "arn:aws:apigateway:us-east-1:states:action/StartExecution",
            "responses": {"default": {"statusCode": 1e300}}})")
                                 << "not an HTTP status";
    QTest::newRow("bad pattern") << QByteArray(
        R"({"uri": "arn:aws:apigateway:us-east-1:states:action/StartExecution",
            "responses": {"(": {"statusCode": 400}}})")
                                 << "not a regular expression";
    QTest::newRow("parameters not a map")
        << QByteArray(R"({"uri": "arn:aws:apigateway:us-east-1:states:action/StartExecution",
                "responses": {"default": {"statusCode": 200, "responseParameters": 1}}})")
        << "responseParameters is not a map";
    QTest::newRow("parameter for the body")
        << QByteArray(R"({"uri": "arn:aws:apigateway:us-east-1:states:action/StartExecution",
                "responses": {"default": {"statusCode": 200, "responseParameters":
                {"method.response.body": "'x'"}}}})")
        << "is not mapped locally";
    QTest::newRow("parameter from the context")
        << QByteArray(R"({"uri": "arn:aws:apigateway:us-east-1:states:action/StartExecution",
                "responses": {"default": {"statusCode": 200, "responseParameters":
                {"method.response.header.X": "context.requestId"}}}})")
        << "is not mapped locally";
    QTest::newRow("parameter not a string")
        << QByteArray(R"({"uri": "arn:aws:apigateway:us-east-1:states:action/StartExecution",
                "responses": {"default": {"statusCode": 200, "responseParameters":
                {"method.response.header.X": 3}}}})")
        << "is not mapped locally";
    QTest::newRow("response not a map") << QByteArray(
        R"({"uri": "arn:aws:apigateway:us-east-1:states:action/StartExecution",
            "responses": {"default": 7}})")
                                        << "a response is not a map";
    QTest::newRow("unknown type") << QByteArray(R"({"type": "grpc", "uri": "x"})")
                                  << "integration type grpc is not emulated";
    QTest::newRow("http without uri") << QByteArray(R"({"type": "http"})") << "(none) is not an";
    QTest::newRow("http to ftp") << QByteArray(
        R"({"type": "http_proxy", "uri": "ftp://files.example/x"})")
                                 << "is not an http:// or https:// URL";
    QTest::newRow("http without host")
        << QByteArray(R"({"type": "http_proxy", "uri": "http:///x"})") << "is not an http://";
    QTest::newRow("vpc link") << QByteArray(R"({"type": "http_proxy", "uri": "http://nlb.internal",
        "connectionType": "VPC_LINK"})")
                              << "VPC link";
    QTest::newRow("bad method") << QByteArray(R"({"type": "http", "uri": "http://h",
        "httpMethod": "GET /x"})")
                                << "httpMethod is not a method";
    QTest::newRow("request parameters not a map") << QByteArray(R"({"type": "http",
        "uri": "http://h", "requestParameters": [1]})")
                                                  << "requestParameters is not a map";
    QTest::newRow("request parameter to the body") << QByteArray(R"({"type": "http",
        "uri": "http://h", "requestParameters": {"integration.request.body": "'x'"}})")
                                                   << "is not mapped locally";
    QTest::newRow("request parameter from the context") << QByteArray(R"({"type": "http",
        "uri": "http://h", "requestParameters":
        {"integration.request.header.X": "context.requestId"}})")
                                                        << "is not mapped locally";
    QTest::newRow("request parameter without a name") << QByteArray(R"({"type": "http",
        "uri": "http://h", "requestParameters": {"integration.request.header.": "'x'"}})")
                                                      << "is not mapped locally";
    QTest::newRow("request parameter not a string") << QByteArray(R"({"type": "http",
        "uri": "http://h", "requestParameters": {"integration.request.header.X": 1}})")
                                                    << "is not mapped locally";
    QTest::newRow("lambda without function")
        << QByteArray(R"({"uri": "arn:aws:apigateway:us-east-1:lambda:path/nothing"})")
        << "names no function";
}

void TestApiMapping::integrationsNotServed()
{
    QFETCH(QByteArray, integration);
    QFETCH(QString, message);
    QString function, qualifier;
    auto r = readServiceIntegration(j(integration.constData()), &function, &qualifier);
    QVERIFY(!r);
    QVERIFY2(r.error().message.contains(message), qPrintable(r.error().message));
    // CloudFormation's spelling refuses what is not a map or a list where one belongs.
    QVERIFY(!readMethodIntegration(Json(3), &function, &qualifier));
    QVERIFY(!readMethodIntegration(j(R"({"IntegrationResponses": 3})"), &function, &qualifier));
    QVERIFY(!readMethodIntegration(j(R"({"IntegrationResponses": [1]})"), &function, &qualifier));
}

QTEST_GUILESS_MAIN(TestApiMapping)
#include "tst_apimapping.moc"
