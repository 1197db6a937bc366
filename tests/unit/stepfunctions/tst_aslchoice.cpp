#include "services/stepfunctions/aslchoice.h"

#include <QTest>

using namespace tarmac;

namespace {

Json json(const QByteArray &text)
{
    auto v = parseJson(text);
    return v ? *v : Json("<<invalid test JSON>>");
}

// The Choice state of AWS's "Choice workflow state" page.
const char *const kChoiceStateX = R"([
    {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
    {"Variable": "$.value", "NumericEquals": 0, "Next": "ValueIsZero"},
    {"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20},
             {"Variable": "$.value", "NumericLessThan": 30}],
     "Next": "ValueInTwenties"}
])";

} // namespace

// Choice rules: every operator, their Path forms, And/Or/Not, type mismatches, bad rules.
class TestAslChoice : public QObject
{
    Q_OBJECT

private slots:
    void evaluate_data()
    {
        QTest::addColumn<QByteArray>("rule");
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QString>("expected"); // "true", "false" or "error"

        const QByteArray in = R"({"s":"banana","n":5,"f":2.5,"b":true,"z":null,)"
                              R"("t":"2016-03-14T01:59:00Z","file":"log-12.txt","o":{},)"
                              R"("other":"apple","m":5,"late":"2016-03-14T02:00:00.5+00:00",)"
                              R"("star":"a*b"})";
        auto row = [&](const char *name, const char *rule, const char *expected) {
            QTest::newRow(name) << QByteArray(rule) << in << QString::fromLatin1(expected);
        };
        row("StringEquals", R"({"Variable":"$.s","StringEquals":"banana"})", "true");
        row("StringEquals other", R"({"Variable":"$.s","StringEquals":"apple"})", "false");
        row("StringLessThan", R"({"Variable":"$.s","StringLessThan":"cherry"})", "true");
        row("StringGreaterThan", R"({"Variable":"$.s","StringGreaterThan":"cherry"})", "false");
        row("StringLessThanEquals", R"({"Variable":"$.s","StringLessThanEquals":"banana"})",
            "true");
        row("StringGreaterThanEquals", R"({"Variable":"$.s","StringGreaterThanEquals":"banana"})",
            "true");
        row("StringEquals on a number", R"({"Variable":"$.n","StringEquals":"5"})", "false");
        row("StringMatches", R"({"Variable":"$.file","StringMatches":"log-*.txt"})", "true");
        row("StringMatches no", R"({"Variable":"$.file","StringMatches":"log-*.csv"})", "false");
        row("StringMatches stars", R"({"Variable":"$.s","StringMatches":"*an*"})", "true");
        row("StringMatches escaped star", "{\"Variable\":\"$.star\",\"StringMatches\":\"a\\\\*b\"}",
            "true");
        row("StringMatches escaped star literal",
            "{\"Variable\":\"$.s\",\"StringMatches\":\"b\\\\*\"}", "false");
        row("NumericEquals", R"({"Variable":"$.n","NumericEquals":5})", "true");
        row("NumericEquals float", R"({"Variable":"$.n","NumericEquals":5.0})", "true");
        row("NumericLessThan", R"({"Variable":"$.f","NumericLessThan":3})", "true");
        row("NumericGreaterThan", R"({"Variable":"$.f","NumericGreaterThan":2.5})", "false");
        row("NumericLessThanEquals", R"({"Variable":"$.f","NumericLessThanEquals":2.5})", "true");
        row("NumericGreaterThanEquals", R"({"Variable":"$.n","NumericGreaterThanEquals":6})",
            "false");
        row("NumericEquals on a string", R"({"Variable":"$.s","NumericEquals":5})", "false");
        row("BooleanEquals", R"({"Variable":"$.b","BooleanEquals":true})", "true");
        row("BooleanEquals false", R"({"Variable":"$.b","BooleanEquals":false})", "false");
        row("BooleanEquals on null", R"({"Variable":"$.z","BooleanEquals":false})", "false");
        row("TimestampEquals", R"({"Variable":"$.t","TimestampEquals":"2016-03-14T01:59:00Z"})",
            "true");
        row("TimestampEquals other zone",
            R"({"Variable":"$.t","TimestampEquals":"2016-03-14T03:59:00+02:00"})", "true");
        row("TimestampLessThan",
            R"({"Variable":"$.t","TimestampLessThan":"2016-03-14T01:59:00.001Z"})", "true");
        row("TimestampGreaterThan",
            R"({"Variable":"$.late","TimestampGreaterThan":"2016-03-14T02:00:00Z"})", "true");
        row("TimestampLessThanEquals",
            R"({"Variable":"$.t","TimestampLessThanEquals":"2016-03-14T01:59:00Z"})", "true");
        row("TimestampGreaterThanEquals",
            R"({"Variable":"$.t","TimestampGreaterThanEquals":"2016-03-15T00:00:00Z"})", "false");
        row("Timestamp on a non-timestamp",
            R"({"Variable":"$.s","TimestampEquals":"2016-03-14T01:59:00Z"})", "false");
        row("StringEqualsPath", R"({"Variable":"$.s","StringEqualsPath":"$.other"})", "false");
        row("StringGreaterThanPath", R"({"Variable":"$.s","StringGreaterThanPath":"$.other"})",
            "true");
        row("NumericEqualsPath", R"({"Variable":"$.n","NumericEqualsPath":"$.m"})", "true");
        row("NumericLessThanPath", R"({"Variable":"$.f","NumericLessThanPath":"$.n"})", "true");
        row("BooleanEqualsPath", R"({"Variable":"$.b","BooleanEqualsPath":"$.b"})", "true");
        row("TimestampLessThanPath", R"({"Variable":"$.t","TimestampLessThanPath":"$.late"})",
            "true");
        row("NumericEqualsPath mismatched", R"({"Variable":"$.n","NumericEqualsPath":"$.s"})",
            "false");
        row("IsNull", R"({"Variable":"$.z","IsNull":true})", "true");
        row("IsNull false", R"({"Variable":"$.n","IsNull":true})", "false");
        row("IsPresent", R"({"Variable":"$.n","IsPresent":true})", "true");
        row("IsPresent missing", R"({"Variable":"$.nope","IsPresent":true})", "false");
        row("IsPresent false on missing", R"({"Variable":"$.nope","IsPresent":false})", "true");
        row("IsNumeric", R"({"Variable":"$.f","IsNumeric":true})", "true");
        row("IsNumeric string", R"({"Variable":"$.s","IsNumeric":true})", "false");
        row("IsString", R"({"Variable":"$.s","IsString":true})", "true");
        row("IsString false wanted", R"({"Variable":"$.o","IsString":false})", "true");
        row("IsBoolean", R"({"Variable":"$.b","IsBoolean":true})", "true");
        row("IsTimestamp", R"({"Variable":"$.t","IsTimestamp":true})", "true");
        row("IsTimestamp string", R"({"Variable":"$.s","IsTimestamp":true})", "false");
        row("And",
            R"({"And":[{"Variable":"$.n","NumericGreaterThan":1},)"
            R"({"Variable":"$.s","StringEquals":"banana"}]})",
            "true");
        row("And one false",
            R"({"And":[{"Variable":"$.n","NumericGreaterThan":1},)"
            R"({"Variable":"$.s","StringEquals":"x"}]})",
            "false");
        row("Or",
            R"({"Or":[{"Variable":"$.n","NumericGreaterThan":10},)"
            R"({"Variable":"$.s","StringEquals":"banana"}]})",
            "true");
        row("Not", R"({"Not":{"Variable":"$.s","StringEquals":"banana"}})", "false");
        // The IsPresent guard of the "Choice" page: And stops at the first false rule, so the
        // comparison on a missing variable is never reached.
        row("guarded",
            R"({"And":[{"Variable":"$.nope","IsPresent":true},)"
            R"({"Variable":"$.nope","NumericGreaterThan":20}]})",
            "false");
        row("nested",
            R"({"Or":[{"Not":{"Variable":"$.b","BooleanEquals":true}},)"
            R"({"And":[{"Variable":"$.n","IsNumeric":true},)"
            R"({"Variable":"$.n","NumericLessThan":10}]}]})",
            "true");
        row("missing variable", R"({"Variable":"$.nope","StringEquals":"x"})", "error");
        row("missing IsNull variable", R"({"Variable":"$.nope","IsNull":true})", "error");
        row("missing Path operand", R"({"Variable":"$.n","NumericEqualsPath":"$.nope"})", "error");
    }

    void evaluate()
    {
        QFETCH(QByteArray, rule);
        QFETCH(QByteArray, input);
        QFETCH(QString, expected);
        auto parsed = parseChoiceRule(json(rule), QStringLiteral("/States/C/Choices[0]"), false);
        QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
        auto holds = evaluateChoiceRule(*parsed, json(input));
        if (expected == QLatin1String("error")) {
            QVERIFY(!holds);
            QCOMPARE(holds.error().code, QStringLiteral("States.Runtime"));
            QVERIFY2(holds.error().message.contains(QStringLiteral("Invalid path '$.nope'")),
                qPrintable(holds.error().message));
            return;
        }
        QVERIFY2(holds, qPrintable(holds ? QString() : holds.error().message));
        QCOMPARE(*holds, expected == QLatin1String("true"));
    }

    void choiceStateExample_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QString>("next");
        QTest::newRow("public") << QByteArray(R"({"type":"Public","value":22})") << "Public";
        QTest::newRow("zero") << QByteArray(R"({"type":"Private","value":0})") << "ValueIsZero";
        QTest::newRow("twenties") << QByteArray(R"({"type":"Private","value":22})")
                                  << "ValueInTwenties";
        QTest::newRow("default") << QByteArray(R"({"type":"Private","value":45})")
                                 << "DefaultState";
    }

    void choiceStateExample()
    {
        QFETCH(QByteArray, input);
        QFETCH(QString, next);
        const Json rules = json(kChoiceStateX);
        std::vector<AslChoiceRule> choices;
        for (size_t i = 0; i < rules.size(); ++i) {
            auto rule = parseChoiceRule(rules[i], QStringLiteral("/States/ChoiceStateX"));
            QVERIFY2(rule, qPrintable(rule ? QString() : rule.error().message));
            choices.push_back(*rule);
        }
        auto chosen = selectChoice(choices, QStringLiteral("DefaultState"), json(input));
        QVERIFY(chosen);
        QCOMPARE(*chosen, next);
    }

    void noChoiceMatched()
    {
        auto rule = parseChoiceRule(json(R"({"Variable":"$.a","IsPresent":true,"Next":"X"})"),
            QStringLiteral("/States/C/Choices[0]"));
        QVERIFY(rule);
        auto chosen = selectChoice({*rule}, std::nullopt, json("{}"));
        QVERIFY(!chosen);
        QCOMPARE(chosen.error().code, QStringLiteral("States.NoChoiceMatched"));
        auto matched = selectChoice({*rule}, std::nullopt, json(R"({"a":1})"));
        QVERIFY(matched);
        QCOMPARE(*matched, QStringLiteral("X"));
    }

    void parseErrors_data()
    {
        QTest::addColumn<QByteArray>("rule");
        QTest::addColumn<bool>("topLevel");
        QTest::addColumn<QString>("says");
        QTest::addColumn<QString>("where");

        QTest::newRow("no Next") << QByteArray(R"({"Variable":"$.a","IsNull":true})") << true
                                 << "These fields are required: [Next]"
                                 << "/C";
        QTest::newRow("nested Next")
            << QByteArray(R"({"Not":{"Variable":"$.a","IsNull":true,"Next":"X"},"Next":"X"})")
            << true << "Field 'Next' is not supported"
            << "/C/Not";
        QTest::newRow("no operator") << QByteArray(R"({"Variable":"$.a","Next":"X"})") << true
                                     << "needs a comparison operator"
                                     << "/C";
        QTest::newRow("two operators")
            << QByteArray(R"({"Variable":"$.a","IsNull":true,"IsString":true,"Next":"X"})") << true
            << "exactly one operator"
            << "/C";
        QTest::newRow("unknown field")
            << QByteArray(R"({"Variable":"$.a","StringEqual":"x","Next":"X"})") << true
            << "Field 'StringEqual' is not supported"
            << "/C";
        QTest::newRow("no Variable") << QByteArray(R"({"StringEquals":"x","Next":"X"})") << true
                                     << "These fields are required: [Variable]"
                                     << "/C";
        QTest::newRow("bad Variable")
            << QByteArray(R"({"Variable":"a","StringEquals":"x","Next":"X"})") << true
            << "must be a valid JSONPath"
            << "/C";
        QTest::newRow("wrong operand type")
            << QByteArray(R"({"Variable":"$.a","NumericEquals":"1","Next":"X"})") << true
            << "The value for the field 'NumericEquals' must be a NUMBER"
            << "/C";
        QTest::newRow("bad timestamp")
            << QByteArray(R"({"Variable":"$.a","TimestampEquals":"2016-03-14","Next":"X"})") << true
            << "RFC 3339"
            << "/C";
        QTest::newRow("bad Path operand")
            << QByteArray(R"({"Variable":"$.a","StringEqualsPath":"b","Next":"X"})") << true
            << "'StringEqualsPath' must be a valid JSONPath"
            << "/C";
        QTest::newRow("StringMatchesPath")
            << QByteArray(R"({"Variable":"$.a","StringMatchesPath":"$.b","Next":"X"})") << true
            << "Field 'StringMatchesPath' is not supported"
            << "/C";
        QTest::newRow("empty And")
            << QByteArray(R"({"And":[],"Next":"X"})") << true << "non-empty ARRAY"
            << "/C";
        QTest::newRow("bad nested rule") << QByteArray(
            R"({"Or":[{"Variable":"$.a","IsNull":true},{"Variable":"$.b"}],)"
            R"("Next":"X"})") << true << "needs a comparison operator"
                                         << "/C/Or[1]";
        QTest::newRow("not an object") << QByteArray("[1]") << true << "must be an OBJECT"
                                       << "/C";
    }

    void parseErrors()
    {
        QFETCH(QByteArray, rule);
        QFETCH(bool, topLevel);
        QFETCH(QString, says);
        QFETCH(QString, where);
        QString location;
        auto parsed = parseChoiceRule(json(rule), QStringLiteral("/C"), topLevel, &location);
        QVERIFY(!parsed);
        QCOMPARE(parsed.error().code, QStringLiteral("SCHEMA_VALIDATION_FAILED"));
        QVERIFY2(parsed.error().message.contains(says), qPrintable(parsed.error().message));
        QCOMPARE(location, where);

        // Without a place to put it, the location ends the message.
        auto inline_ = parseChoiceRule(json(rule), QStringLiteral("/C"), topLevel);
        QVERIFY(!inline_);
        QVERIFY2(inline_.error().message.endsWith(QString(QStringLiteral(" at ") + where)),
            qPrintable(inline_.error().message));
    }

    void operatorNames()
    {
        QCOMPARE(aslComparisonName(AslComparison::NumericLessThanEquals),
            QStringLiteral("NumericLessThanEquals"));
        QCOMPARE(aslComparisonName(AslComparison::TimestampEquals, true),
            QStringLiteral("TimestampEqualsPath"));
        QCOMPARE(aslComparisonName(AslComparison::IsNull, true), QStringLiteral("IsNull"));
        const auto op = aslComparisonFromName(u"StringGreaterThanEqualsPath");
        QVERIFY(op);
        QCOMPARE(int(op->first), int(AslComparison::StringGreaterThanEquals));
        QVERIFY(op->second);
        QVERIFY(!aslComparisonFromName(u"IsNullPath"));
        QVERIFY(!aslComparisonFromName(u"StringMatchesPath"));
    }

    void timestamps_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("nanos"); // -1: not a timestamp
        QTest::newRow("epoch") << "1970-01-01T00:00:00Z" << qint64(0);
        QTest::newRow("fraction") << "1970-01-01T00:00:01.5Z" << qint64(1500000000);
        QTest::newRow("nanos") << "1970-01-01T00:00:00.000000001Z" << qint64(1);
        QTest::newRow("offset") << "1970-01-01T01:00:00+01:00" << qint64(0);
        QTest::newRow("negative offset") << "1969-12-31T23:00:00-01:00" << qint64(0);
        QTest::newRow("aws example") << "2016-03-14T01:59:00Z" << qint64(1457920740) * 1000000000;
        QTest::newRow("lowercase t") << "2016-03-14t01:59:00Z" << qint64(-1);
        QTest::newRow("lowercase z") << "2016-03-14T01:59:00z" << qint64(-1);
        QTest::newRow("no zone") << "2016-03-14T01:59:00" << qint64(-1);
        QTest::newRow("bad date") << "2016-02-30T01:59:00Z" << qint64(-1);
        QTest::newRow("bad hour") << "2016-03-14T24:00:00Z" << qint64(-1);
        QTest::newRow("date only") << "2016-03-14" << qint64(-1);
    }

    void timestamps()
    {
        QFETCH(QString, text);
        QFETCH(qint64, nanos);
        const auto parsed = parseAslTimestamp(text);
        if (nanos < 0) {
            QVERIFY(!parsed);
            return;
        }
        QVERIFY(parsed);
        QCOMPARE(*parsed, nanos);
    }

    void stringMatches_data()
    {
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<bool>("matches");
        QTest::newRow("exact") << "abc"
                               << "abc" << true;
        QTest::newRow("prefix") << "log-1.txt"
                                << "log-*" << true;
        QTest::newRow("suffix") << "log-1.txt"
                                << "*.txt" << true;
        QTest::newRow("middle") << "log-1.txt"
                                << "log*txt" << true;
        QTest::newRow("several") << "a-b-c"
                                 << "*-*-*" << true;
        QTest::newRow("backtracking") << "aXbXc"
                                      << "a*Xc" << true;
        QTest::newRow("empty star") << "ab"
                                    << "a*b" << true;
        QTest::newRow("only star") << ""
                                   << "*" << true;
        QTest::newRow("no") << "abc"
                            << "abd" << false;
        QTest::newRow("too short") << "ab"
                                   << "abc*" << false;
        QTest::newRow("escaped star") << "a*"
                                      << "a\\*" << true;
        QTest::newRow("escaped star is literal") << "ab"
                                                 << "a\\*" << false;
        QTest::newRow("escaped backslash") << "a\\b"
                                           << "a\\\\b" << true;
    }

    void stringMatches()
    {
        QFETCH(QString, value);
        QFETCH(QString, pattern);
        QFETCH(bool, matches);
        QCOMPARE(aslStringMatches(value, pattern), matches);
    }
};

QTEST_GUILESS_MAIN(TestAslChoice)
#include "tst_aslchoice.moc"
