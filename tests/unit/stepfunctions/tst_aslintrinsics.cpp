#include "services/stepfunctions/aslintrinsics.h"

#include <QRegularExpression>
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

} // namespace

// Intrinsic functions, with the examples of AWS's "Intrinsic functions for JSONPath states".
class TestAslIntrinsics : public QObject
{
    Q_OBJECT

private slots:
    void evaluate_data()
    {
        QTest::addColumn<QString>("call");
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QByteArray>("expected"); // JSON, or "!" and an error code

        const QByteArray nine = R"({"inputArray":[1,2,3,4,5,6,7,8,9],"lookingFor":5,"index":5})";

        QTest::newRow("Format literal")
            << "States.Format('Hello, my name is {}.', $.name)"
            << QByteArray(R"({"name":"Arnav","template":"Hello, my name is {}."})")
            << QByteArray(R"("Hello, my name is Arnav.")");
        QTest::newRow("Format from a path")
            << "States.Format($.template, $.name)"
            << QByteArray(R"({"name":"Arnav","template":"Hello, my name is {}."})")
            << QByteArray(R"("Hello, my name is Arnav.")");
        QTest::newRow("Format escapes")
            << "States.Format('It\\'s {} \\{literal\\} \\\\ ok', $.x)" << QByteArray(R"({"x":"X"})")
            << QByteArray("\"It's X {literal} \\\\ ok\"");
        QTest::newRow("Format values")
            << "States.Format('{} {} {} {} {} {}', 1, 2.5, true, null, $.arr, $.obj)"
            << QByteArray(R"({"arr":[1,"a"],"obj":{"k":1,"l":"m"}})")
            << QByteArray(R"("1 2.5 true null [1, a] {k=1, l=m}")");
        QTest::newRow("Format no placeholders")
            << "States.Format('plain')" << QByteArray("{}") << QByteArray(R"("plain")");

        QTest::newRow("StringToJson")
            << "States.StringToJson($.escapedJsonString)"
            << QByteArray("{\"escapedJsonString\":\"{\\\"foo\\\": \\\"bar\\\"}\"}")
            << QByteArray(R"({"foo":"bar"})");
        QTest::newRow("JsonToString") << "States.JsonToString($.unescapedJson)"
                                      << QByteArray(R"({"unescapedJson":{"foo":"bar"}})")
                                      << QByteArray("\"{\\\"foo\\\":\\\"bar\\\"}\"");
        QTest::newRow("Array") << "States.Array($.Id)" << QByteArray(R"({"Id":123456})")
                               << QByteArray("[123456]");
        QTest::newRow("Array of mixed")
            << "States.Array('a', 1, false, null, $.o)" << QByteArray(R"({"o":{"k":[]}})")
            << QByteArray(R"(["a",1,false,null,{"k":[]}])");
        QTest::newRow("Array empty") << "States.Array()" << QByteArray("{}") << QByteArray("[]");

        QTest::newRow("ArrayPartition") << "States.ArrayPartition($.inputArray,4)" << nine
                                        << QByteArray("[[1,2,3,4],[5,6,7,8],[9]]");
        QTest::newRow("ArrayContains")
            << "States.ArrayContains($.inputArray, $.lookingFor)" << nine << QByteArray("true");
        QTest::newRow("ArrayContains not")
            << "States.ArrayContains($.inputArray, 'x')" << nine << QByteArray("false");
        QTest::newRow("ArrayRange")
            << "States.ArrayRange(1, 9, 2)" << QByteArray("{}") << QByteArray("[1,3,5,7,9]");
        QTest::newRow("ArrayRange down")
            << "States.ArrayRange(5, 1, -2)" << QByteArray("{}") << QByteArray("[5,3,1]");
        QTest::newRow("ArrayRange empty")
            << "States.ArrayRange(5, 1, 1)" << QByteArray("{}") << QByteArray("[]");
        QTest::newRow("ArrayGetItem")
            << "States.ArrayGetItem($.inputArray, $.index)" << nine << QByteArray("6");
        QTest::newRow("ArrayLength")
            << "States.ArrayLength($.inputArray)" << nine << QByteArray("9");
        QTest::newRow("ArrayUnique")
            << "States.ArrayUnique($.inputArray)"
            << QByteArray(R"({"inputArray":[1,2,3,3,3,3,3,3,4]})") << QByteArray("[1,2,3,4]");

        QTest::newRow("Base64Encode")
            << "States.Base64Encode($.input)" << QByteArray(R"({"input":"Data to encode"})")
            << QByteArray(R"("RGF0YSB0byBlbmNvZGU=")");
        QTest::newRow("Base64Decode")
            << "States.Base64Decode($.base64)" << QByteArray(R"({"base64":"RGF0YSB0byBlbmNvZGU="})")
            << QByteArray(R"("Data to encode")");
        QTest::newRow("Hash SHA-1") << "States.Hash($.Data, $.Algorithm)"
                                    << QByteArray(R"({"Data":"input data","Algorithm":"SHA-1"})")
                                    << QByteArray(R"("aaff4a450a104cd177d28d18d74485e8cae074b7")");
        QTest::newRow("Hash MD5") << "States.Hash('input data', 'MD5')" << QByteArray("{}")
                                  << QByteArray(R"("812f45842bc6d66ee14572ce20db8e86")");
        QTest::newRow("Hash SHA-256")
            << "States.Hash('input data', 'SHA-256')" << QByteArray("{}")
            << QByteArray(R"("b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3")");

        QTest::newRow("JsonMerge") << "States.JsonMerge($.json1, $.json2, false)"
                                   << QByteArray(R"({"json1":{"a":{"a1":1,"a2":2},"b":2},)"
                                                 R"("json2":{"a":{"a3":1,"a4":2},"c":3}})")
                                   << QByteArray(R"({"a":{"a3":1,"a4":2},"b":2,"c":3})");
        QTest::newRow("MathAdd") << "States.MathAdd($.value1, $.step)"
                                 << QByteArray(R"({"value1":111,"step":-1})") << QByteArray("110");
        QTest::newRow("StringSplit") << "States.StringSplit($.inputString, $.splitter)"
                                     << QByteArray(R"({"inputString":"1,2,3,4,5","splitter":","})")
                                     << QByteArray(R"(["1","2","3","4","5"])");
        QTest::newRow("StringSplit several delimiters")
            << "States.StringSplit($.inputString, $.splitter)"
            << QByteArray(R"({"inputString":"This.is+a,test=string","splitter":".+,="})")
            << QByteArray(R"(["This","is","a","test","string"])");
        QTest::newRow("StringSplit drops empty parts")
            << "States.StringSplit('a,,b,', ',')" << QByteArray("{}") << QByteArray(R"(["a","b"])");

        QTest::newRow("nested")
            << "States.Format('{}.{}', States.ArrayGetItem(States.StringSplit("
               "States.ArrayGetItem(States.StringSplit($.Arn, '/'), 2), '.'), 0), "
               "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem("
               "States.StringSplit($.Arn, '/'), 2), '.'), 1))"
            << QByteArray(R"({"Arn":"arn:aws:imagebuilder:us-east-1:123456789012:)"
                          R"(image-recipe/my-recipe/1.0.2/1"})")
            << QByteArray(R"("1.0")");
        QTest::newRow("context argument") << "States.Format('{}', $$.Execution.Name)"
                                          << QByteArray("{}") << QByteArray(R"("run-1")");
        QTest::newRow("path with brackets and commas")
            << "States.Array($['a,b'], $.l[?(@ > 1)])" << QByteArray(R"({"a,b":1,"l":[1,2,3]})")
            << QByteArray("[1,[2,3]]");

        // Failures.
        const QByteArray failure("!States.IntrinsicFailure");
        QTest::newRow("ArrayRange over 1000")
            << "States.ArrayRange(1, 1001, 1)" << QByteArray("{}") << failure;
        QTest::newRow("ArrayRange step 0")
            << "States.ArrayRange(1, 5, 0)" << QByteArray("{}") << failure;
        QTest::newRow("ArrayRange not integers")
            << "States.ArrayRange(1.5, 5, 1)" << QByteArray("{}") << failure;
        QTest::newRow("ArrayGetItem out of bounds")
            << "States.ArrayGetItem($.inputArray, 9)" << nine << failure;
        QTest::newRow("ArrayPartition size 0")
            << "States.ArrayPartition($.inputArray, 0)" << nine << failure;
        QTest::newRow("ArrayLength of a string")
            << "States.ArrayLength('abc')" << QByteArray("{}") << failure;
        QTest::newRow("too few arguments") << "States.ArrayLength()" << QByteArray("{}") << failure;
        QTest::newRow("too many arguments") << "States.UUID(1)" << QByteArray("{}") << failure;
        QTest::newRow("MathAdd float") << "States.MathAdd(1.5, 1)" << QByteArray("{}") << failure;
        QTest::newRow("MathAdd out of range")
            << "States.MathAdd(3000000000, 1)" << QByteArray("{}") << failure;
        QTest::newRow("MathRandom empty range")
            << "States.MathRandom(5, 5)" << QByteArray("{}") << failure;
        QTest::newRow("Format count") << "States.Format('{} {}', 1)" << QByteArray("{}") << failure;
        QTest::newRow("Format escaped braces are no placeholders")
            << "States.Format('\\{\\}', 1)" << QByteArray("{}") << failure;
        QTest::newRow("JsonMerge deep")
            << "States.JsonMerge($.a, $.b, true)" << QByteArray(R"({"a":{},"b":{}})") << failure;
        QTest::newRow("JsonMerge not objects")
            << "States.JsonMerge($.a, $.b, false)" << QByteArray(R"({"a":[],"b":{}})") << failure;
        QTest::newRow("Hash algorithm")
            << "States.Hash('x', 'SHA-3')" << QByteArray("{}") << failure;
        QTest::newRow("StringToJson bad")
            << "States.StringToJson('{bad')" << QByteArray("{}") << failure;
        QTest::newRow("Base64Decode bad")
            << "States.Base64Decode('%%%')" << QByteArray("{}") << failure;
        QTest::newRow("unknown function") << "States.Nope(1)" << QByteArray("{}") << failure;
        QTest::newRow("bad escape") << "States.Format('a\\x')" << QByteArray("{}") << failure;
        QTest::newRow("unterminated") << "States.Array(1" << QByteArray("{}") << failure;
        QTest::newRow("trailing text") << "States.Array(1) x" << QByteArray("{}") << failure;
        QTest::newRow("missing path")
            << "States.ArrayLength($.missing)" << QByteArray("{}") << QByteArray("!States.Runtime");
    }

    void evaluate()
    {
        QFETCH(QString, call);
        QFETCH(QByteArray, input);
        QFETCH(QByteArray, expected);
        const Json context = json(R"({"Execution":{"Name":"run-1"}})");
        auto out = evaluateIntrinsic(call, json(input), context);
        if (expected.startsWith('!')) {
            QVERIFY2(!out, out ? text(*out).constData() : "");
            QCOMPARE(out.error().code, QString::fromUtf8(expected.mid(1)));
            QVERIFY(!out.error().message.isEmpty());
            return;
        }
        QVERIFY2(out, qPrintable(out ? QString() : out.error().message));
        QCOMPARE(text(*out), text(json(expected)));
    }

    void messagesNameTheProblem()
    {
        auto range = evaluateIntrinsic(u"States.ArrayRange(1, 2000, 1)", json("{}"), Json());
        QVERIFY(!range);
        QVERIFY2(range.error().message.contains(QStringLiteral("States.ArrayRange"))
                && range.error().message.contains(QStringLiteral("1000")),
            qPrintable(range.error().message));
        auto count = evaluateIntrinsic(u"States.ArrayGetItem($.a)", json(R"({"a":[]})"), Json());
        QVERIFY(!count);
        QVERIFY2(count.error().message.contains(QStringLiteral("expected 2 arguments but got 1")),
            qPrintable(count.error().message));
    }

    // "You can nest up to 10 intrinsic functions within a field."
    void nestingLimit()
    {
        auto nested = [](int depth) {
            QString call = QStringLiteral("1");
            for (int i = 0; i < depth; ++i)
                call = QString(QStringLiteral("States.Array(") + call + QLatin1Char(')'));
            return call;
        };
        auto ten = evaluateIntrinsic(nested(10), json("{}"), Json());
        QVERIFY(ten);
        QCOMPARE(text(*ten), QByteArray("[[[[[[[[[[1]]]]]]]]]]"));
        auto eleven = evaluateIntrinsic(nested(11), json("{}"), Json());
        QVERIFY(!eleven);
        QCOMPARE(eleven.error().code, QStringLiteral("States.IntrinsicFailure"));
        QVERIFY2(eleven.error().message.contains(QStringLiteral("at most 10")),
            qPrintable(eleven.error().message));
    }

    void arrayRangeAtTheLimit()
    {
        auto out = evaluateIntrinsic(u"States.ArrayRange(1, 1000, 1)", json("{}"), Json());
        QVERIFY(out);
        QCOMPARE(out->size(), size_t(1000));
        QCOMPARE(text((*out)[999]), QByteArray("1000"));
    }

    void mathRandom()
    {
        const AslRandomSource half = [] { return 0.5; };
        auto out = evaluateIntrinsic(
            u"States.MathRandom($.start, $.end)", json(R"({"start":1,"end":999})"), Json(), half);
        QVERIFY(out);
        QCOMPARE(text(*out), QByteArray("500"));
        const AslRandomSource top = [] { return 0.9999999; };
        auto last = evaluateIntrinsic(u"States.MathRandom(1, 3)", json("{}"), Json(), top);
        QVERIFY(last);
        QCOMPARE(text(*last), QByteArray("2")); // the end is excluded

        // A seed makes the draw repeatable.
        auto a = evaluateIntrinsic(u"States.MathRandom(0, 1000000, 42)", json("{}"), Json());
        auto b = evaluateIntrinsic(u"States.MathRandom(0, 1000000, 42)", json("{}"), Json());
        QVERIFY(a && b);
        QCOMPARE(text(*a), text(*b));
        for (int i = 0; i < 50; ++i) {
            auto v = evaluateIntrinsic(u"States.MathRandom(10, 20)", json("{}"), Json());
            QVERIFY(v && v->is_number_integer());
            QVERIFY(v->get<qint64>() >= 10 && v->get<qint64>() < 20);
        }
    }

    void uuid()
    {
        static const QRegularExpression v4(QStringLiteral(
            "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"));
        auto random = evaluateIntrinsic(u"States.UUID()", json("{}"), Json());
        QVERIFY(random && random->is_string());
        QVERIFY(v4.match(QString::fromStdString(random->get<std::string>())).hasMatch());

        const AslRandomSource zero = [] { return 0.0; };
        auto fixed = evaluateIntrinsic(u"States.UUID()", json("{}"), Json(), zero);
        QVERIFY(fixed);
        QCOMPARE(text(*fixed), QByteArray(R"("00000000-0000-4000-8000-000000000000")"));
    }

    void parseOnce()
    {
        auto call = AslIntrinsic::parse(u"States.MathAdd($.n, 1)");
        QVERIFY(call);
        QCOMPARE(call->functionName(), QStringLiteral("States.MathAdd"));
        for (int n = 0; n < 3; ++n) {
            auto out = call->evaluate(Json {{"n", n}}, Json());
            QVERIFY(out);
            QCOMPARE(out->get<int>(), n + 1);
        }
        QCOMPARE(aslIntrinsicFunctionNames().size(), 18);
    }
};

QTEST_GUILESS_MAIN(TestAslIntrinsics)
#include "tst_aslintrinsics.moc"
