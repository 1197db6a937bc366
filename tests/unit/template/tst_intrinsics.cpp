// IntrinsicResolver against a small fake stack: every function in short and long form,
// nesting, AWS::NoValue, and the errors CloudFormation would give.
#include "template/intrinsics.h"
#include "template/templatedocument.h"

#include <QTest>

using namespace tarmac;

namespace {

// Parameters Stage=dev, Count=3, Zones=[a,b]; condition IsProd=false, IsDev=true; a function
// "Fn" and a bucket "Bucket"; mapping Sizes.
class FakeStack : public IntrinsicContext
{
public:
    FakeStack()
    {
        m_mappings
            = Json::parse(R"({"Sizes": {"dev": {"Memory": 128}, "prod": {"Memory": 1024}}})");
    }

    Result<Json> ref(const QString &name, const TemplateLocation &where) override
    {
        if (name == QLatin1String("Stage"))
            return Json("dev");
        if (name == QLatin1String("Count"))
            return Json("3");
        if (name == QLatin1String("Zones"))
            return Json::array({"a", "b"});
        if (name == QLatin1String("AWS::Region"))
            return Json("us-east-1");
        if (name == QLatin1String("Fn"))
            return Json("demo-Fn-ABC");
        if (name == QLatin1String("Bucket"))
            return Json("demo-bucket-abc");
        return makeError(QStringLiteral("ValidationError"),
            where.toString() + QStringLiteral(": Unresolved resource dependencies [%1]").arg(name));
    }

    Result<Json> getAtt(
        const QString &resource, const QString &attribute, const TemplateLocation &where) override
    {
        if (resource == QLatin1String("Fn") && attribute == QLatin1String("Arn"))
            return Json("arn:aws:lambda:us-east-1:000000000000:function:demo-Fn-ABC");
        if (resource == QLatin1String("Bucket") && attribute == QLatin1String("Arn"))
            return Json("arn:aws:s3:::demo-bucket-abc");
        return makeError(QStringLiteral("ValidationError"),
            where.toString() + QStringLiteral(": no attribute %1.%2").arg(resource, attribute));
    }

    Result<bool> condition(const QString &name, const TemplateLocation &where) override
    {
        if (name == QLatin1String("IsProd"))
            return false;
        if (name == QLatin1String("IsDev"))
            return true;
        return makeError(QStringLiteral("ValidationError"),
            where.toString() + QStringLiteral(": no condition ") + name);
    }

    const Json &mappings() const override { return m_mappings; }
    QString region() const override { return QStringLiteral("us-east-1"); }

private:
    Json m_mappings;
};

} // namespace

class TestIntrinsics : public QObject
{
    Q_OBJECT
private slots:
    void resolve_data();
    void resolve();
    void condition_data();
    void condition();
    void errorsNamePositions();
    void unsupportedGoToTheReport();
    void parseSub_data();
    void parseSub();
    void references();
};

void TestIntrinsics::resolve_data()
{
    QTest::addColumn<QByteArray>("yaml"); // the value of V
    QTest::addColumn<QByteArray>("expected"); // JSON, "<novalue>", or "error: <text in message>"

    QTest::newRow("ref parameter") << QByteArray("!Ref Stage") << QByteArray(R"("dev")");
    QTest::newRow("ref long form") << QByteArray("{Ref: Stage}") << QByteArray(R"("dev")");
    QTest::newRow("ref list parameter") << QByteArray("!Ref Zones") << QByteArray(R"(["a","b"])");
    QTest::newRow("ref resource") << QByteArray("!Ref Bucket")
                                  << QByteArray(R"("demo-bucket-abc")");
    QTest::newRow("ref unknown") << QByteArray("!Ref Nope")
                                 << QByteArray("error: Unresolved resource dependencies [Nope]");
    QTest::newRow("ref takes a name")
        << QByteArray("{Ref: [a]}") << QByteArray("error: Ref takes the name");
    QTest::newRow("getatt dotted")
        << QByteArray("!GetAtt Fn.Arn")
        << QByteArray(R"("arn:aws:lambda:us-east-1:000000000000:function:demo-Fn-ABC")");
    QTest::newRow("getatt list") << QByteArray("{'Fn::GetAtt': [Bucket, Arn]}")
                                 << QByteArray(R"("arn:aws:s3:::demo-bucket-abc")");
    QTest::newRow("getatt list short")
        << QByteArray("!GetAtt [Bucket, Arn]") << QByteArray(R"("arn:aws:s3:::demo-bucket-abc")");
    QTest::newRow("getatt bad attribute")
        << QByteArray("!GetAtt Bucket.Nope") << QByteArray("error: no attribute Bucket.Nope");
    QTest::newRow("getatt without dot")
        << QByteArray("!GetAtt Bucket") << QByteArray("error: Fn::GetAtt takes Resource.Attribute");

    QTest::newRow("sub parameter")
        << QByteArray(R"(!Sub "${Stage}-uploads")") << QByteArray(R"("dev-uploads")");
    QTest::newRow("sub pseudo and getatt")
        << QByteArray(R"(!Sub "${AWS::Region}|${Bucket.Arn}")")
        << QByteArray(R"("us-east-1|arn:aws:s3:::demo-bucket-abc")");
    QTest::newRow("sub literal") << QByteArray(R"(!Sub "${!Literal}-${Stage}")")
                                 << QByteArray(R"("${Literal}-dev")");
    QTest::newRow("sub no variables")
        << QByteArray(R"(!Sub "plain $ {x} text")") << QByteArray(R"("plain $ {x} text")");
    QTest::newRow("sub unclosed") << QByteArray(R"(!Sub "a ${Stage")")
                                  << QByteArray(R"("a ${Stage")");
    QTest::newRow("sub variable map")
        << QByteArray("!Sub\n  - '${Name}/${Count}/${Stage}'\n  - Name: !Sub '${Stage}-x'\n")
        << QByteArray(R"("dev-x/3/dev")");
    QTest::newRow("sub nested variable map")
        << QByteArray("!Sub\n  - 'arn:${Inner}'\n  - Inner: !Sub ['${A}:${B}', {A: !Ref Stage, B: "
                      "!GetAtt Fn.Arn}]\n")
        << QByteArray(R"("arn:dev:arn:aws:lambda:us-east-1:000000000000:function:demo-Fn-ABC")");
    QTest::newRow("sub map beats parameter")
        << QByteArray("!Sub ['${Stage}', {Stage: prod}]") << QByteArray(R"("prod")");
    QTest::newRow("sub number variable")
        << QByteArray("!Sub ['${N}s', {N: 30}]") << QByteArray(R"("30s")");
    QTest::newRow("sub long form")
        << QByteArray("{'Fn::Sub': '${Stage}'}") << QByteArray(R"("dev")");
    QTest::newRow("sub of a list is an error")
        << QByteArray("!Sub '${Zones}'") << QByteArray("error: ${Zones} is not a string");
    QTest::newRow("sub unknown") << QByteArray("!Sub '${Nope}'")
                                 << QByteArray("error: Unresolved resource dependencies [Nope]");

    QTest::newRow("join") << QByteArray("!Join ['-', [a, !Ref Stage, 3]]")
                          << QByteArray(R"("a-dev-3")");
    QTest::newRow("join list parameter")
        << QByteArray("!Join [',', !Ref Zones]") << QByteArray(R"("a,b")");
    QTest::newRow("join empty") << QByteArray("!Join ['', []]") << QByteArray(R"("")");
    QTest::newRow("join drops novalue")
        << QByteArray("!Join ['-', [a, !Ref AWS::NoValue, b]]") << QByteArray(R"("a-b")");
    QTest::newRow("join needs strings")
        << QByteArray("!Join ['-', [a, [b]]]") << QByteArray("error: every value must be a string");

    QTest::newRow("select") << QByteArray("!Select [1, [a, b, c]]") << QByteArray(R"("b")");
    QTest::newRow("select index as string")
        << QByteArray("!Select ['0', [a, b]]") << QByteArray(R"("a")");
    QTest::newRow("select out of range")
        << QByteArray("!Select [3, [a, b, c]]")
        << QByteArray("error: Fn::Select: index 3 is out of range for a list of 3 item(s)");
    QTest::newRow("select from empty")
        << QByteArray("!Select [0, []]") << QByteArray("error: out of range");
    QTest::newRow("select negative")
        << QByteArray("!Select [-1, [a]]") << QByteArray("error: the index must be a number");
    QTest::newRow("select from split")
        << QByteArray("!Select [2, !Split ['/', 'a/b/c']]") << QByteArray(R"("c")");
    QTest::newRow("select from getazs")
        << QByteArray("!Select [0, !GetAZs '']") << QByteArray(R"("us-east-1a")");
    QTest::newRow("select from a string")
        << QByteArray("!Select [0, abc]") << QByteArray("error: expected a list");

    QTest::newRow("split") << QByteArray("!Split [',', 'a,,b']") << QByteArray(R"(["a","","b"])");
    QTest::newRow("split empty delimiter")
        << QByteArray("!Split ['', 'ab']") << QByteArray("error: must not be empty");

    QTest::newRow("if false") << QByteArray("!If [IsProd, big, small]") << QByteArray(R"("small")");
    QTest::newRow("if true") << QByteArray("!If [IsDev, {A: 1}, small]")
                             << QByteArray(R"({"A":1})");
    QTest::newRow("if nested") << QByteArray("!If [IsDev, !If [IsProd, x, !Sub '${Stage}-y'], z]")
                               << QByteArray(R"("dev-y")");
    QTest::newRow("if unknown condition")
        << QByteArray("!If [Nope, a, b]") << QByteArray("error: no condition Nope");
    QTest::newRow("if novalue drops the key")
        << QByteArray("{Keep: 1, Drop: !If [IsProd, x, !Ref AWS::NoValue]}")
        << QByteArray(R"({"Keep":1})");
    QTest::newRow("novalue in a list")
        << QByteArray("[a, !Ref AWS::NoValue, b]") << QByteArray(R"(["a","b"])");
    QTest::newRow("novalue alone") << QByteArray("!Ref AWS::NoValue") << QByteArray("<novalue>");
    QTest::newRow("novalue deep") << QByteArray("{A: {B: [!If [IsDev, !Ref AWS::NoValue, 1]]}}")
                                  << QByteArray(R"({"A":{"B":[]}})");

    QTest::newRow("equals") << QByteArray("!Equals [!Ref Stage, dev]") << QByteArray("true");
    QTest::newRow("equals number and string")
        << QByteArray("!Equals [!Ref Count, 3]") << QByteArray("true");
    QTest::newRow("and not or") << QByteArray("!And [!Equals [a, a], !Not [!Condition IsProd], !Or "
                                              "[!Condition IsProd, !Condition IsDev]]")
                                << QByteArray("true");

    QTest::newRow("findinmap") << QByteArray("!FindInMap [Sizes, !Ref Stage, Memory]")
                               << QByteArray("128");
    QTest::newRow("findinmap missing key")
        << QByteArray("!FindInMap [Sizes, test, Memory]")
        << QByteArray("error: the mapping Sizes has no key test");
    QTest::newRow("findinmap missing map") << QByteArray("!FindInMap [Nope, dev, Memory]")
                                           << QByteArray("error: there is no mapping Nope");
    QTest::newRow("findinmap default")
        << QByteArray("!FindInMap [Sizes, test, Memory, {DefaultValue: 256}]") << QByteArray("256");

    QTest::newRow("getazs") << QByteArray("!GetAZs ''")
                            << QByteArray(R"(["us-east-1a","us-east-1b","us-east-1c"])");
    QTest::newRow("getazs region") << QByteArray("!GetAZs {Ref: 'AWS::Region'}")
                                   << QByteArray(R"(["us-east-1a","us-east-1b","us-east-1c"])");
    QTest::newRow("base64") << QByteArray("!Base64 hello") << QByteArray(R"("aGVsbG8=")");
    QTest::newRow("base64 of sub")
        << QByteArray("{'Fn::Base64': !Sub '${Stage}'}") << QByteArray(R"("ZGV2")");
    QTest::newRow("length") << QByteArray("{'Fn::Length': !Ref Zones}") << QByteArray("2");
    QTest::newRow("tojsonstring") << QByteArray("{'Fn::ToJsonString': {a: !Ref Stage}}")
                                  << QByteArray(R"("{\"a\":\"dev\"}")");
    QTest::newRow("cidr") << QByteArray("!Cidr [10.0.0.0/16, 3, 8]")
                          << QByteArray(R"(["10.0.0.0/24","10.0.1.0/24","10.0.2.0/24"])");
    QTest::newRow("cidr masks the block")
        << QByteArray("!Select [1, !Cidr ['192.168.7.9/24', 2, 4]]")
        << QByteArray(R"("192.168.7.16/28")");
    QTest::newRow("cidr too many")
        << QByteArray("!Cidr [10.0.0.0/24, 3, 7]") << QByteArray("error: do not fit");
    QTest::newRow("unknown function") << QByteArray("{'Fn::Nope': 1}")
                                      << QByteArray("error: unknown intrinsic function Fn::Nope");
    QTest::newRow("two keys are not a function")
        << QByteArray("{Ref: Stage, Other: 1}") << QByteArray(R"({"Other":1,"Ref":"Stage"})");
    QTest::newRow("condition key is data")
        << QByteArray("{Condition: {StringEquals: {a: b}}}")
        << QByteArray(R"({"Condition":{"StringEquals":{"a":"b"}}})");
    QTest::newRow("plain scalars")
        << QByteArray("[1, 1.5, true, 'true', ~, '3', 2012-10-17, python3.12]")
        << QByteArray(R"([1,1.5,true,"true",null,"3","2012-10-17","python3.12"])");
}

void TestIntrinsics::resolve()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QByteArray, expected);
    auto doc = TemplateDocument::parse("V: " + yaml + '\n', QStringLiteral("t.yaml"));
    QVERIFY2(doc, qPrintable(doc ? QString() : doc.error().message));
    FakeStack stack;
    FidelityReport report;
    IntrinsicResolver resolver(*doc, stack, &report);
    auto value = resolver.resolve(doc->root()["V"], QStringLiteral("/V"));
    if (expected.startsWith("error: ")) {
        QVERIFY2(!value, value ? value->dump().c_str() : "");
        const QString want = QString::fromUtf8(expected.mid(7));
        QVERIFY2(value.error().message.contains(want), qPrintable(value.error().message));
        QVERIFY2(value.error().message.startsWith(QLatin1String("t.yaml:1:")),
            qPrintable(value.error().message));
        return;
    }
    QVERIFY2(value, qPrintable(value ? QString() : value.error().message));
    if (expected == "<novalue>") {
        QVERIFY(IntrinsicResolver::isNoValue(*value));
        return;
    }
    QCOMPARE(QByteArray::fromStdString(value->dump()), expected);
    QVERIFY(report.items.isEmpty());
}

void TestIntrinsics::condition_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("expected"); // "true", "false" or an error fragment

    QTest::newRow("equals") << QByteArray("!Equals [!Ref Stage, prod]") << QStringLiteral("false");
    QTest::newRow("condition reference")
        << QByteArray("!Condition IsDev") << QStringLiteral("true");
    QTest::newRow("long condition reference")
        << QByteArray("{Condition: IsProd}") << QStringLiteral("false");
    QTest::newRow("not") << QByteArray("!Not [!Equals [!Ref Stage, prod]]")
                         << QStringLiteral("true");
    QTest::newRow("and") << QByteArray("!And [!Condition IsDev, !Condition IsProd]")
                         << QStringLiteral("false");
    QTest::newRow("or") << QByteArray("{'Fn::Or': [{Condition: IsProd}, {'Fn::Equals': [a, a]}]}")
                        << QStringLiteral("true");
    QTest::newRow("and takes two")
        << QByteArray("!And [!Condition IsDev]") << QStringLiteral("takes 2 to 10 conditions");
    QTest::newRow("and checks every argument")
        << QByteArray("!And [!Condition IsProd, !Condition Nope]")
        << QStringLiteral("no condition Nope");
    QTest::newRow("findinmap value")
        << QByteArray("!Equals [!FindInMap [Sizes, dev, Memory], 128]") << QStringLiteral("true");
    QTest::newRow("not a condition") << QByteArray("[a]") << QStringLiteral("not a condition");
}

void TestIntrinsics::condition()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, expected);
    auto doc = TemplateDocument::parse("C: " + yaml + '\n', QStringLiteral("t.yaml"));
    QVERIFY(doc);
    FakeStack stack;
    IntrinsicResolver resolver(*doc, stack);
    auto value = resolver.condition(doc->root()["C"], QStringLiteral("/C"));
    if (expected == QLatin1String("true") || expected == QLatin1String("false")) {
        QVERIFY2(value, qPrintable(value ? QString() : value.error().message));
        QCOMPARE(*value, expected == QLatin1String("true"));
    } else {
        QVERIFY(!value);
        QVERIFY2(value.error().message.contains(expected), qPrintable(value.error().message));
    }
}

void TestIntrinsics::errorsNamePositions()
{
    // The error points at the function that failed, on its own line.
    const QByteArray yaml = "Resources:\n"
                            "  Fn:\n"
                            "    Properties:\n"
                            "      Name: !Select\n"
                            "        - 7\n"
                            "        - [a, b]\n";
    auto doc = TemplateDocument::parse(yaml, QStringLiteral("template.yaml"));
    QVERIFY(doc);
    FakeStack stack;
    IntrinsicResolver resolver(*doc, stack);
    auto value = resolver.resolve(
        doc->root()["Resources"]["Fn"]["Properties"], QStringLiteral("/Resources/Fn/Properties"));
    QVERIFY(!value);
    QVERIFY2(
        value.error().message.startsWith(QLatin1String("template.yaml:4:13: Fn::Select: index 7")),
        qPrintable(value.error().message));
}

void TestIntrinsics::unsupportedGoToTheReport()
{
    auto doc = TemplateDocument::parse("A: !ImportValue shared-vpc\n"
                                       "B: !Cidr ['2001:db8::/56', 4, 64]\n"
                                       "C: {'Fn::Transform': {Name: 'AWS::Include'}}\n",
        QStringLiteral("t.yaml"));
    QVERIFY(doc);
    FakeStack stack;
    FidelityReport report;
    IntrinsicResolver resolver(*doc, stack, &report);
    auto value = resolver.resolve(doc->root(), QString());
    QVERIFY(value);
    QCOMPARE(QByteArray::fromStdString(value->dump()), QByteArray(R"({"A":"","B":[]})"));
    QCOMPARE(report.items.size(), 3);
    QCOMPARE(report.items[0].subject, QStringLiteral("Fn::ImportValue"));
    QCOMPARE(report.items[0].location.line, 1);
    QCOMPARE(report.items[0].location.column, 4);
    QCOMPARE(report.items[1].subject, QStringLiteral("Fn::Cidr"));
    QCOMPARE(report.items[1].location.line, 2);
    QCOMPARE(report.items[2].subject, QStringLiteral("Fn::Transform"));
    QCOMPARE(report.items[2].path, QStringLiteral("C.Fn::Transform"));
    QVERIFY(report.hasUnsupported());
}

void TestIntrinsics::parseSub_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("parts"); // literal text as is, variables as <name>

    QTest::newRow("plain") << QStringLiteral("abc") << QStringLiteral("abc");
    QTest::newRow("variable") << QStringLiteral("a${B}c") << QStringLiteral("a<B>c");
    QTest::newRow("attribute") << QStringLiteral("${Fn.Arn}") << QStringLiteral("<Fn.Arn>");
    QTest::newRow("literal") << QStringLiteral("${!B}") << QStringLiteral("${B}");
    QTest::newRow("spaces trimmed") << QStringLiteral("${ B }") << QStringLiteral("<B>");
    QTest::newRow("empty braces") << QStringLiteral("${}") << QStringLiteral("${}");
    QTest::newRow("unclosed") << QStringLiteral("x${B") << QStringLiteral("x${B");
    QTest::newRow("two") << QStringLiteral("${A}${B}") << QStringLiteral("<A><B>");
}

void TestIntrinsics::parseSub()
{
    QFETCH(QString, text);
    QFETCH(QString, parts);
    QString joined;
    for (const auto &part : IntrinsicResolver::parseSub(text))
        joined += part.variable ? u'<' + part.text + u'>' : part.text;
    QCOMPARE(joined, parts);
}

void TestIntrinsics::references()
{
    auto doc = TemplateDocument::parse(
        "V:\n"
        "  A: !Ref Bucket\n"
        "  B: !GetAtt Fn.Arn\n"
        "  C: !Sub ['${Table}/${X}/${AWS::Region}/${Q.Arn}', {X: !Ref Other}]\n",
        QStringLiteral("t.yaml"));
    QVERIFY(doc);
    QStringList names;
    for (const IntrinsicReference &r :
        IntrinsicResolver::references(doc->root()["V"], QStringLiteral("/V")))
        names.append(r.attribute.isEmpty() ? r.name : r.name + u'.' + r.attribute);
    names.sort();
    QCOMPARE(names,
        QStringList(
            {QStringLiteral("AWS::Region"), QStringLiteral("Bucket"), QStringLiteral("Fn.Arn"),
                QStringLiteral("Other"), QStringLiteral("Q.Arn"), QStringLiteral("Table")}));
}

QTEST_GUILESS_MAIN(TestIntrinsics)
#include "tst_intrinsics.moc"
