#include "services/stepfunctions/aslpath.h"

#include <QTest>

using namespace tarmac;

namespace {

Json json(const QByteArray &text)
{
    auto v = parseJson(text);
    return v ? *v : Json("<<invalid test JSON>>");
}

QByteArray text(const Json &v)
{
    return toJsonBytes(v);
}

// The input of the ResultPath examples in AWS's "Specifying state output using ResultPath".
const char *const kGreetingInput = R"({"comment":"This is a test of the input and output of a )"
                                   R"(Task state.","details":"Default example",)"
                                   R"("who":"AWS Step Functions"})";

} // namespace

// ASL's JSONPath: paths, InputPath/OutputPath, payload templates and ResultPath, with the
// examples of AWS's "Processing input and output in Step Functions" pages.
class TestAslPath : public QObject
{
    Q_OBJECT

private slots:
    void evaluate_data()
    {
        QTest::addColumn<QByteArray>("document");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QByteArray>("expected"); // JSON, or "!message" for an error

        // The "Paths" page's example input.
        const QByteArray doc = R"({"foo":123,"bar":["a","b","c"],"car":{"cdr":true}})";
        QTest::newRow("root") << doc << "$" << doc;
        QTest::newRow("name") << doc << "$.foo" << QByteArray("123");
        QTest::newRow("array") << doc << "$.bar" << QByteArray(R"(["a","b","c"])");
        QTest::newRow("nested") << doc << "$.car.cdr" << QByteArray("true");
        QTest::newRow("brackets") << doc << "$['car']['cdr']" << QByteArray("true");
        QTest::newRow("index") << doc << "$.bar[0]" << QByteArray(R"("a")");
        QTest::newRow("from the end") << doc << "$.bar[-1]" << QByteArray(R"("c")");
        QTest::newRow("wildcard") << doc << "$.bar[*]" << QByteArray(R"(["a","b","c"])");
        QTest::newRow("slice") << doc << "$.bar[0:2]" << QByteArray(R"(["a","b"])");
        QTest::newRow("open slice") << doc << "$.bar[1:]" << QByteArray(R"(["b","c"])");
        QTest::newRow("index union") << doc << "$.bar[0,2]" << QByteArray(R"(["a","c"])");
        QTest::newRow("name union")
            << doc << "$['foo','car']" << QByteArray(R"([123,{"cdr":true}])");
        QTest::newRow("missing") << doc << "$.nope"
                                 << QByteArray("!No results for path: $['nope']");
        QTest::newRow("missing deeper")
            << doc << "$.car.nope.x" << QByteArray("!No results for path: $['car']['nope']");
        QTest::newRow("index out of range")
            << doc << "$.bar[7]" << QByteArray("!No results for path: $['bar'][7]");
        QTest::newRow("name on an array")
            << doc << "$.bar.x" << QByteArray("!No results for path: $['bar']['x']");
        QTest::newRow("indefinite with no matches") << doc << "$.bar[*].x" << QByteArray("[]");
        QTest::newRow("missing before a wildcard")
            << doc << "$.nope[*]" << QByteArray("!No results for path: $['nope']");
        QTest::newRow("odd names")
            << QByteArray(R"({"my-key":{"a b":1}})") << "$.my-key['a b']" << QByteArray("1");

        const QByteArray items = R"({"items":[{"n":1,"x":true},{"n":5},{"n":12,"x":false}]})";
        QTest::newRow("filter comparison")
            << items << "$.items[?(@.n > 4)].n" << QByteArray("[5,12]");
        QTest::newRow("filter existence") << items << "$.items[?(@.x)].n" << QByteArray("[1,12]");
        QTest::newRow("filter or")
            << items << "$.items[?(@.n == 1 || @.n == 12)].n" << QByteArray("[1,12]");
        QTest::newRow("filter and not")
            << items << "$.items[?(@.n > 1 && !(@.x))].n" << QByteArray("[5]");
        QTest::newRow("filter string") << QByteArray(R"({"l":[{"s":"a"},{"s":"b"}]})")
                                       << "$.l[?(@.s == 'b')]" << QByteArray(R"([{"s":"b"}])");
        QTest::newRow("filter against root") << QByteArray(R"({"min":3,"l":[{"v":1},{"v":4}]})")
                                             << "$.l[?(@.v >= $.min)].v" << QByteArray("[4]");

        QTest::newRow("recursive descent")
            << QByteArray(R"({"a":{"id":1,"b":{"id":2}},"c":[{"id":3}]})") << "$..id"
            << QByteArray("[1,2,3]");

        QTest::newRow("not a path") << doc << "foo" << QByteArray("!Invalid path 'foo'");
        QTest::newRow("unclosed bracket") << doc << "$.bar[" << QByteArray("!Invalid path");
        QTest::newRow("functions") << doc << "$.bar.length()" << QByteArray("!Invalid path");
    }

    void evaluate()
    {
        QFETCH(QByteArray, document);
        QFETCH(QString, path);
        QFETCH(QByteArray, expected);
        auto parsed = AslPath::parse(path);
        Result<Json> result
            = parsed ? parsed->evaluate(json(document)) : Result<Json>(parsed.error());
        if (expected.startsWith('!')) {
            QVERIFY(!result);
            QCOMPARE(result.error().code, QStringLiteral("States.Runtime"));
            QVERIFY2(result.error().message.startsWith(QString::fromUtf8(expected.mid(1))),
                qPrintable(result.error().message));
            return;
        }
        QVERIFY2(result, qPrintable(result ? QString() : result.error().message));
        QCOMPARE(text(*result), text(json(expected)));
    }

    void definiteAndNormalized_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<bool>("definite");
        QTest::addColumn<QString>("normalized");
        QTest::newRow("root") << "$" << true << "$";
        QTest::newRow("names and index") << "$.a['b'][2]" << true << "$['a']['b'][2]";
        QTest::newRow("context") << "$$.Execution.Id" << true << "$$['Execution']['Id']";
        QTest::newRow("wildcard") << "$.a[*]" << false << "$['a'][*]";
        QTest::newRow("descent") << "$..a" << false << "$..['a']";
        QTest::newRow("filter") << "$.a[?(@.b)]" << false << "$['a'][?]";
    }

    void definiteAndNormalized()
    {
        QFETCH(QString, path);
        QFETCH(bool, definite);
        QFETCH(QString, normalized);
        auto p = AslPath::parse(path);
        QVERIFY(p);
        QCOMPARE(p->isDefinite(), definite);
        QCOMPARE(p->isReferencePath(), definite);
        QCOMPARE(p->normalized(), normalized);
    }

    void contextObject()
    {
        const Json context = json(R"({"Execution":{"Id":"arn:x:1","Input":{"k":"v"}},)"
                                  R"("Map":{"Item":{"Index":2,"Value":"c"}}})");
        auto id = evaluatePathOrIntrinsic(u"$$.Execution.Id", json("{}"), context);
        QVERIFY(id);
        QCOMPARE(text(*id), QByteArray(R"("arn:x:1")"));
        auto index = evaluatePathOrIntrinsic(u"$$.Map.Item.Index", json("{}"), context);
        QVERIFY(index);
        QCOMPARE(text(*index), QByteArray("2"));
        QVERIFY(!evaluatePathOrIntrinsic(u"$$.Task.Token", json("{}"), context));
    }

    // "InputPath": the example of the "InputPath, Parameters and ResultSelector" page.
    void inputPath()
    {
        const Json input = json(R"({"comment":"Example for InputPath.",)"
                                R"("dataset1":{"val1":1,"val2":2,"val3":3},)"
                                R"("dataset2":{"val1":"a","val2":"b","val3":"c"}})");
        auto out = applyInputPath(input, QStringLiteral("$.dataset2"));
        QVERIFY(out);
        QCOMPARE(text(*out), QByteArray(R"({"val1":"a","val2":"b","val3":"c"})"));

        auto all = applyInputPath(input, QStringLiteral("$"));
        QVERIFY(all);
        QCOMPARE(text(*all), text(input));

        auto discarded = applyInputPath(input, std::nullopt);
        QVERIFY(discarded);
        QCOMPARE(text(*discarded), QByteArray("{}"));

        auto missing = applyInputPath(input, QStringLiteral("$.dataset3"));
        QVERIFY(!missing);
        QCOMPARE(missing.error().code, QStringLiteral("States.Runtime"));
        QCOMPARE(missing.error().message,
            QStringLiteral("Invalid path '$.dataset3' : No results for path: $['dataset3']"));
    }

    void outputPath()
    {
        const Json output = json(R"({"a":{"b":1},"c":2})");
        auto out = applyOutputPath(output, QStringLiteral("$.a"));
        QVERIFY(out);
        QCOMPARE(text(*out), QByteArray(R"({"b":1})"));
        auto empty = applyOutputPath(output, std::nullopt);
        QVERIFY(empty);
        QCOMPARE(text(*empty), QByteArray("{}"));
        auto missing = applyOutputPath(output, QStringLiteral("$.x"));
        QVERIFY(!missing);
        QCOMPARE(missing.error().code, QStringLiteral("States.Runtime"));
    }

    void payloadTemplate_data()
    {
        QTest::addColumn<QByteArray>("tmpl");
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QByteArray>("expected");

        // "Parameters": the page's product example.
        QTest::newRow("parameters example")
            << QByteArray(R"({"comment":"Selecting what I care about.","MyDetails":{)"
                          R"("size.$":"$.product.details.size",)"
                          R"("exists.$":"$.product.availability","StaticValue":"foo"}})")
            << QByteArray(R"({"comment":"Example for Parameters.","product":{"details":)"
                          R"({"color":"blue","size":"small","material":"cotton"},)"
                          R"("availability":"in stock","sku":"2317","cost":"$23"}})")
            << QByteArray(R"({"MyDetails":{"StaticValue":"foo","exists":"in stock",)"
                          R"("size":"small"},"comment":"Selecting what I care about."})");
        // "ResultSelector": the page's EMR addStep example, cut down.
        QTest::newRow("result selector example")
            << QByteArray(R"({"ClusterId.$":"$.output.ClusterId",)"
                          R"("ResourceType.$":"$.resourceType"})")
            << QByteArray(R"({"resourceType":"elasticmapreduce","resource":"createCluster.sync",)"
                          R"("output":{"SdkHttpMetadata":{"HttpStatusCode":200},)"
                          R"("ClusterId":"AKIAIOSFODNN7EXAMPLE"}})")
            << QByteArray(R"({"ClusterId":"AKIAIOSFODNN7EXAMPLE",)"
                          R"("ResourceType":"elasticmapreduce"})");
        QTest::newRow("arrays of templates")
            << QByteArray(R"({"list":[{"v.$":"$.a"},"plain",[{"w.$":"$.b"}]]})")
            << QByteArray(R"({"a":1,"b":2})")
            << QByteArray(R"({"list":[{"v":1},"plain",[{"w":2}]]})");
        QTest::newRow("whole input") << QByteArray(R"({"all.$":"$"})") << QByteArray(R"({"a":1})")
                                     << QByteArray(R"({"all":{"a":1}})");
        QTest::newRow("indefinite path") << QByteArray(R"({"names.$":"$.people[*].name"})")
                                         << QByteArray(R"({"people":[{"name":"a"},{"name":"b"}]})")
                                         << QByteArray(R"({"names":["a","b"]})");
        QTest::newRow("intrinsic")
            << QByteArray(R"j({"greeting.$":"States.Format('Hello, {}!', $.who)"})j")
            << QByteArray(R"({"who":"AWS Step Functions"})")
            << QByteArray(R"({"greeting":"Hello, AWS Step Functions!"})");
        QTest::newRow("context") << QByteArray(R"({"id.$":"$$.Execution.Id"})") << QByteArray("{}")
                                 << QByteArray(R"({"id":"exec-1"})");
        QTest::newRow("a plain dollar key")
            << QByteArray(R"({"$":"x","a$":"y"})") << QByteArray("{}")
            << QByteArray(R"({"$":"x","a$":"y"})");
    }

    void payloadTemplate()
    {
        QFETCH(QByteArray, tmpl);
        QFETCH(QByteArray, input);
        QFETCH(QByteArray, expected);
        const Json context = json(R"({"Execution":{"Id":"exec-1"}})");
        auto out = applyPayloadTemplate(json(tmpl), json(input), context);
        QVERIFY2(out, qPrintable(out ? QString() : out.error().message));
        QCOMPARE(text(*out), text(json(expected)));
    }

    void payloadTemplateErrors()
    {
        // The message Step Functions gives (quoted in AWS's workshop "Check the workflow").
        auto missing = applyPayloadTemplate(
            json(R"({"address.$":"$.application.address"})"), json(R"({"flagged":false})"), Json());
        QVERIFY(!missing);
        QCOMPARE(missing.error().code, QStringLiteral("States.Runtime"));
        QCOMPARE(missing.error().message,
            QStringLiteral("The JSONPath '$.application.address' specified for the field "
                           "'address.$' could not be found in the input '{\"flagged\":false}'"));

        auto notString = applyPayloadTemplate(json(R"({"a.$":3})"), json("{}"), Json());
        QVERIFY(!notString);
        QCOMPARE(notString.error().code, QStringLiteral("States.Runtime"));
        QVERIFY(notString.error().message.contains(QStringLiteral("'a.$'")));

        auto intrinsic = applyPayloadTemplate(
            json(R"j({"a.$":"States.ArrayLength($.s)"})j"), json(R"({"s":"text"})"), Json());
        QVERIFY(!intrinsic);
        QCOMPARE(intrinsic.error().code, QStringLiteral("States.IntrinsicFailure"));
    }

    // "ResultPath": the examples of "Specifying state output using ResultPath".
    void resultPath_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QByteArray>("result");
        QTest::addColumn<QString>("path"); // "null" for JSON null
        QTest::addColumn<QByteArray>("expected"); // or "!" for ResultPathMatchFailure

        const QByteArray input(kGreetingInput);
        const QByteArray result(R"("Hello, AWS Step Functions!")");
        QTest::newRow("replace the input") << input << result << "$" << result;
        QTest::newRow("include the result with the input")
            << input << result << "$.taskresult"
            << QByteArray(R"({"comment":"This is a test of the input and output of a Task )"
                          R"(state.","details":"Default example","taskresult":"Hello, AWS )"
                          R"(Step Functions!","who":"AWS Step Functions"})");
        QTest::newRow("discard the result") << input << result << "null" << input;
        QTest::newRow("update a node")
            << input << result << "$.comment"
            << QByteArray(R"({"comment":"Hello, AWS Step Functions!","details":"Default )"
                          R"(example","who":"AWS Step Functions"})");
        QTest::newRow("create nested objects")
            << QByteArray(R"({"a":1})") << QByteArray(R"({"r":true})") << "$.x.y.z"
            << QByteArray(R"({"a":1,"x":{"y":{"z":{"r":true}}}})");
        QTest::newRow("into an existing object")
            << QByteArray(R"({"x":{"keep":1}})") << QByteArray("2") << "$.x.new"
            << QByteArray(R"({"x":{"keep":1,"new":2}})");
        QTest::newRow("array element") << QByteArray(R"({"l":[1,2,3]})") << QByteArray("9")
                                       << "$.l[1]" << QByteArray(R"({"l":[1,9,3]})");
        QTest::newRow("through a string") << input << result << "$.details.x" << QByteArray("!");
        QTest::newRow("into a non-object input")
            << QByteArray(R"("text")") << result << "$.a" << QByteArray("!");
        QTest::newRow("index out of range")
            << QByteArray(R"({"l":[1]})") << result << "$.l[3]" << QByteArray("!");
        QTest::newRow("not a reference path") << input << result << "$.a[*]" << QByteArray("!");
        QTest::newRow("context path") << input << result << "$$.a" << QByteArray("!");
    }

    void resultPath()
    {
        QFETCH(QByteArray, input);
        QFETCH(QByteArray, result);
        QFETCH(QString, path);
        QFETCH(QByteArray, expected);
        const std::optional<QString> p
            = path == QLatin1String("null") ? std::nullopt : std::optional<QString>(path);
        auto out = applyResultPath(json(input), json(result), p);
        if (expected == "!") {
            QVERIFY(!out);
            QCOMPARE(out.error().code, QStringLiteral("States.ResultPathMatchFailure"));
            QVERIFY2(out.error().message.contains(path), qPrintable(out.error().message));
            return;
        }
        QVERIFY2(out, qPrintable(out ? QString() : out.error().message));
        QCOMPARE(text(*out), text(json(expected)));
    }

    void referencePaths()
    {
        const Json input = json(R"({"items":[1,2],"wait":{"s":5}})");
        auto items = selectReferencePath(u"$.items", input);
        QVERIFY(items);
        QCOMPARE(text(*items), QByteArray("[1,2]"));
        auto seconds = selectReferencePath(u"$.wait.s", input);
        QVERIFY(seconds);
        QCOMPARE(text(*seconds), QByteArray("5"));
        auto indefinite = selectReferencePath(u"$.items[*]", input);
        QVERIFY(!indefinite);
        QCOMPARE(indefinite.error().code, QStringLiteral("States.Runtime"));
        QVERIFY(!selectReferencePath(u"$.missing", input));
    }

    // `$name` paths read the workflow variables in place (AslVariables), and nothing without.
    void variablePaths()
    {
        const Json vars = Json::parse(R"({"order": {"items": [{"sku": "a"}, {"sku": "b"}]},
            "n": 3})");
        auto path = AslPath::parse(u"$order.items[1].sku");
        QVERIFY(path);
        QCOMPARE(path->variable(), QStringLiteral("order"));
        QVERIFY(!path->isContextPath());
        QVERIFY(!path->evaluate(Json::object())); // no variables in place
        {
            const AslVariables inPlace(&vars);
            auto v = path->evaluate(Json::object());
            QVERIFY(v && *v == Json("b"));
            auto all = AslPath::parse(u"$order.items[*].sku")->evaluate(Json::object());
            QVERIFY(all && *all == Json::parse(R"(["a", "b"])"));
            auto whole = evaluatePathOrIntrinsic(u"$n", Json::object(), Json());
            QVERIFY(whole && *whole == Json(3));
            auto missing = AslPath::parse(u"$nope")->evaluate(Json::object());
            QVERIFY(!missing);
            QVERIFY(missing.error().message.contains(QLatin1String("$nope")));
            auto t = applyPayloadTemplate(
                Json::parse(R"({"x.$": "$n", "y.$": "$.a"})"), Json::parse(R"({"a": 1})"), Json());
            QVERIFY(t && *t == Json::parse(R"({"x": 3, "y": 1})"));
        }
        QVERIFY(!path->evaluate(Json::object())); // out of place again
        QCOMPARE(AslPath::parse(u"$.a")->variable(), QString());
        QCOMPARE(AslPath::parse(u"$$.Execution")->variable(), QString());
    }
};

QTEST_GUILESS_MAIN(TestAslPath)
#include "tst_aslpath.moc"
