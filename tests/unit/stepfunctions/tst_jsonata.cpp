#include "services/stepfunctions/jsonata.h"

#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;

// The JSONata evaluator: templates with "{% %}" strings at any depth, Step Functions' own
// functions, its errors worded as Step Functions words them, and a process that recovers from
// a runaway expression and from being killed.
class TestJsonata : public QObject
{
    Q_OBJECT

private slots:
    void onlyExpressionStringsAreEvaluated()
    {
        QVERIFY(JsonataEvaluator::hasExpressions(Json("{% 1 %}")));
        QVERIFY(JsonataEvaluator::hasExpressions(Json::parse(R"({"a": [1, {"b": "{%x%}"}]})")));
        QVERIFY(!JsonataEvaluator::hasExpressions(Json(" {% 1 %}")));
        QVERIFY(!JsonataEvaluator::hasExpressions(Json("{% 1 %} ")));
        QVERIFY(!JsonataEvaluator::hasExpressions(Json::parse(R"({"a": "$.x", "b": 1})")));
        // Nothing to evaluate: no process is needed at all.
        JsonataEvaluator none(QStringLiteral("/nonexistent/evaluate.mjs"));
        const Json plain = Json::parse(R"({"a": "$.x"})");
        auto same = none.evaluate(plain, Json::object(), QStringLiteral("Output"));
        QVERIFY(same && *same == plain);
    }

    void templatesAndStepFunctionsFunctions()
    {
        JsonataEvaluator j;
        const Json bindings = Json::parse(R"({"states": {"input": {"n": [1, 2, 3, 4, 5]}},
            "who": "ann"})");
        auto v = j.evaluate(Json::parse(R"({
            "sum": "{% $sum($states.input.n) %}",
            "parts": "{% $partition($states.input.n, 2) %}",
            "range": "{% $range(0, 10, 5) %}",
            "hash": "{% $hash('abc', 'SHA-256') %}",
            "seeded": "{% $random(7) = $random(7) %}",
            "uuid": "{% $length($uuid()) %}",
            "parsed": "{% $parse('{\"a\": [1]}') %}",
            "text": "{% 'hello ' & $who %}",
            "kept": ["{% 1 + 1 %}", "not {% an expression %}", 3, null]})"),
            bindings, QStringLiteral("Output"));
        QVERIFY2(v, qPrintable(v ? QString() : v.error().message));
        const Json expected = Json::parse(R"({"sum": 15, "parts": [[1, 2], [3, 4], [5]],
            "range": [0, 5, 10],
            "hash": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "seeded": true, "uuid": 36, "parsed": {"a": [1]}, "text": "hello ann",
            "kept": [2, "not {% an expression %}", 3, null]})");
        QVERIFY2(*v == expected, v->dump().c_str());
    }

    void errorsAreQueryEvaluationErrors_data()
    {
        QTest::addColumn<QString>("expression");
        QTest::addColumn<QString>("message");
        QTest::newRow("undefined") << "{% $states.input.missing %}"
                                   << "The JSONata expression '$states.input.missing' specified "
                                      "for the field 'Arguments' returned nothing (undefined).";
        QTest::newRow("syntax") << "{% 1 + %}"
                                << "The JSONata expression '1 +' specified for the field "
                                   "'Arguments' threw an error: cannot be parsed";
        QTest::newRow("type") << "{% 'a' + 1 %}"
                              << "specified for the field 'Arguments' threw an error: The left "
                                 "side of the \"+\" operator must evaluate to a number";
        QTest::newRow("$eval is taken away") << "{% $eval('1') %}"
                                             << "$eval is not supported by Step Functions";
        QTest::newRow("unknown hash") << "{% $hash('a', 'SHA-3') %}"
                                      << "unknown algorithm SHA-3";
    }

    void errorsAreQueryEvaluationErrors()
    {
        QFETCH(QString, expression);
        QFETCH(QString, message);
        JsonataEvaluator j;
        auto v = j.evaluate(Json(expression.toStdString()),
            Json::parse(R"({"states": {"input": {}}})"), QStringLiteral("Arguments"));
        QVERIFY(!v);
        QCOMPARE(v.error().code, QStringLiteral("States.QueryEvaluationError"));
        QVERIFY2(v.error().message.contains(message), qPrintable(v.error().message));
        // The evaluator goes on answering.
        auto next = j.evaluate(Json("{% 2 * 21 %}"), Json::object(), QStringLiteral("Output"));
        QVERIFY(next && *next == Json(42));
    }

    void runawayExpressionsAreStopped()
    {
        JsonataEvaluator j;
        QElapsedTimer timer;
        timer.start();
        auto v = j.evaluate(Json("{% ($f := function($n) { $f($n + 1) }; $f(0)) %}"),
            Json::object(), QStringLiteral("Output"));
        QVERIFY(!v);
        QVERIFY2(v.error().message.contains(QLatin1String("ran longer than"))
                || v.error().message.contains(QLatin1String("recursed deeper")),
            qPrintable(v.error().message));
        QVERIFY(timer.elapsed() < 14'000);
        auto next = j.evaluate(Json("{% 1 %}"), Json::object(), QStringLiteral("Output"));
        QVERIFY(next && *next == Json(1));
    }

    // A script that dies, or none: an error that says so, never a hang.
    void aDeadEvaluatorIsAnError()
    {
        QTemporaryDir dir;
        const QString script = dir.filePath(QStringLiteral("evaluate.mjs"));
        QFile f(script);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("console.error('Cannot find package jsonata'); process.exit(1);\n");
        f.close();
        JsonataEvaluator dead(script);
        auto v = dead.evaluate(Json("{% 1 %}"), Json::object(), QStringLiteral("Output"));
        QVERIFY(!v);
        QCOMPARE(v.error().code, QStringLiteral("States.QueryEvaluationError"));
        QVERIFY2(v.error().message.contains(QLatin1String("Cannot find package jsonata")),
            qPrintable(v.error().message));
        JsonataEvaluator missing(dir.filePath(QStringLiteral("nothing.mjs")));
        auto m = missing.evaluate(Json("{% 1 %}"), Json::object(), QStringLiteral("Output"));
        QVERIFY(!m);
        QVERIFY(m.error().message.contains(QLatin1String("missing")));
    }
};

QTEST_GUILESS_MAIN(TestJsonata)
#include "tst_jsonata.moc"
