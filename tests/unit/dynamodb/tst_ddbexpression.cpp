// ddbexpression: DynamoDB's expression language. Conditions and filters evaluated against an
// item (every operator and function, precedence, parentheses, nested paths, comparisons across
// types), key conditions, projections, updates (SET, REMOVE, ADD, DELETE) applied to items,
// and the checks DynamoDB makes before reading an item, with its messages.
#include "services/dynamodb/ddbexpression.h"

#include <QTest>

using namespace tarmac;

namespace {

Json json(const QByteArray &text)
{
    auto parsed = parseJson(text);
    if (!parsed)
        qWarning("test JSON does not parse: %s", text.constData());
    return parsed ? *parsed : Json();
}

QByteArray B(const char *text)
{
    return QByteArray(text);
}

// The item the condition rows read.
const QByteArray kItem = B(R"j({
    "s": {"S": "hello"},
    "n": {"N": "10"},
    "b": {"B": "AQID"},
    "t": {"BOOL": true},
    "f": {"BOOL": false},
    "z": {"NULL": true},
    "e": {"S": "é"},
    "l": {"L": [{"S": "a"}, {"N": "1"}, {"L": [{"S": "deep"}]}]},
    "m": {"M": {"x": {"N": "5"}, "y": {"M": {"z": {"S": "q"}}}, "arr": {"L": [{"N": "7"}]}}},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": ["AQ=="]},
    "dotted.name": {"S": "dot"},
    "size": {"N": "3"}
})j");

const QByteArray kNames = B(R"j({"#s": "s", "#m": "m", "#x": "x", "#dot": "dotted.name",
    "#name": "name", "#l": "l"})j");

const QByteArray kValues = B(R"j({
    ":hello": {"S": "hello"}, ":he": {"S": "he"}, ":lo": {"S": "lo"}, ":ell": {"S": "ell"},
    ":a": {"S": "a"}, ":z": {"S": "z"}, ":q": {"S": "q"}, ":dot": {"S": "dot"},
    ":deep": {"S": "deep"}, ":xyz": {"S": "xyz"}, ":e": {"S": "é"},
    ":n0": {"N": "0"}, ":n1": {"N": "1"}, ":n2": {"N": "2"}, ":n3": {"N": "3"}, ":n5": {"N": "5"},
    ":n7": {"N": "7"}, ":n10": {"N": "10"}, ":n10dot": {"N": "10.0"}, ":n20": {"N": "20"},
    ":n25": {"N": "2.50"}, ":n30": {"N": "30"},
    ":b": {"B": "AQID"}, ":b1": {"B": "AQ=="}, ":b14": {"B": "AQQ="}, ":b23": {"B": "AgM="},
    ":true": {"BOOL": true}, ":false": {"BOOL": false}, ":null": {"NULL": true},
    ":list": {"L": [{"S": "a"}, {"N": "1"}, {"L": [{"S": "deep"}]}]},
    ":deeplist": {"L": [{"S": "deep"}]},
    ":ssrev": {"SS": ["b", "a"]}, ":ssa": {"SS": ["a"]},
    ":S": {"S": "S"}, ":N": {"S": "N"}, ":B": {"S": "B"}, ":BOOL": {"S": "BOOL"},
    ":NULL": {"S": "NULL"}, ":L": {"S": "L"}, ":M": {"S": "M"}, ":SS": {"S": "SS"},
    ":NS": {"S": "NS"}, ":BS": {"S": "BS"}, ":bad": {"S": "X"},
    ":m": {"M": {"x": {"N": "5"}, "y": {"M": {"z": {"S": "q"}}}, "arr": {"L": [{"N": "7.0"}]}}}
})j");

// The values the update rows use.
const QByteArray kUpdateValues = B(R"j({
    ":one": {"N": "1"}, ":two": {"N": "2"}, ":neg": {"N": "-5"}, ":p1": {"N": "0.1"},
    ":p2": {"N": "0.2"}, ":s": {"S": "x"}, ":y": {"S": "y"}, ":big": {"N": "9E+125"},
    ":list": {"L": [{"S": "new"}]}, ":ssbc": {"SS": ["b", "c"]}, ":ssa": {"SS": ["a"]},
    ":ssab": {"SS": ["a", "b"]}, ":ssc": {"SS": ["c"]}, ":ns23": {"NS": ["2", "3"]},
    ":ns": {"NS": ["1"]}, ":bool": {"BOOL": true}
})j");

const QString kValidation = QStringLiteral("ValidationException");

QString prefixed(DdbExpressionKind kind, const QString &message)
{
    return QStringLiteral("Invalid ") + ddbExpressionParameter(kind) + QStringLiteral(": ")
        + message;
}

QString syntaxError(const QString &token, const QString &near)
{
    return QStringLiteral("Syntax error; token: \"%1\", near: \"%2\"").arg(token, near);
}

QString reserved(const QString &word)
{
    return QStringLiteral("Attribute name is a reserved keyword; reserved keyword: ") + word;
}

QString undefinedValue(const QString &value)
{
    return QStringLiteral(
               "An expression attribute value used in expression is not defined; attribute value: ")
        + value;
}

QString undefinedName(const QString &name)
{
    return QStringLiteral("An expression attribute name used in the document path is not defined; "
                          "attribute name: ")
        + name;
}

QString operandType(const QString &op, const QString &type)
{
    return QStringLiteral("Incorrect operand type for operator or function; operator or function: "
                          "%1, operand type: %2")
        .arg(op, type);
}

QString operandCount(const QString &op, int count)
{
    return QStringLiteral("Incorrect number of operands for operator or function; operator or "
                          "function: %1, number of operands: %2")
        .arg(op)
        .arg(count);
}

QString misused(const QString &function)
{
    return QStringLiteral(
               "The function is not allowed to be used this way in an expression; function: ")
        + function;
}

QString notDistinct(const QString &op, const QString &path)
{
    return QStringLiteral("The first operand must be distinct from the remaining operands for this "
                          "operator or function; operator: %1, first operand: %2")
        .arg(op, path);
}

QString overlap(const QString &one, const QString &two)
{
    return QStringLiteral("Two document paths overlap with each other; must remove or rewrite one "
                          "of these paths; path one: %1, path two: %2")
        .arg(one, two);
}

QString conflict(const QString &one, const QString &two)
{
    return QStringLiteral("Two document paths conflict with each other; must remove or rewrite one "
                          "of these paths; path one: %1, path two: %2")
        .arg(one, two);
}

const QString kMissingAttribute = QStringLiteral(
    "The provided expression refers to an attribute that does not exist in the item");
const QString kIncorrectType
    = QStringLiteral("An operand in the update expression has an incorrect data type");
const QString kInvalidPath
    = QStringLiteral("The document path provided in the update expression is invalid for update");

// "n = :v OR n = :v OR ..." with `count` comparisons.
QString manyComparisons(int count)
{
    QStringList parts;
    for (int i = 0; i < count; ++i)
        parts.append(QStringLiteral("n = :n%1").arg(i % 2 == 0 ? 1 : 2));
    return parts.join(QStringLiteral(" OR "));
}

QString deepPath(int depth)
{
    QStringList parts;
    for (int i = 0; i < depth; ++i)
        parts.append(QStringLiteral("a"));
    return parts.join(QLatin1Char('.'));
}

QString inList(int count)
{
    QStringList parts;
    for (int i = 0; i < count; ++i)
        parts.append(i % 2 == 0 ? QStringLiteral(":n1") : QStringLiteral(":n2"));
    return QStringLiteral("n IN (") + parts.join(QStringLiteral(", ")) + QLatin1Char(')');
}

} // namespace

class TestDdbExpression : public QObject
{
    Q_OBJECT

private slots:
    void conditionEvaluates_data();
    void conditionEvaluates();
    void conditionOnMissingItem();
    void conditionErrors_data();
    void conditionErrors();
    void conditionPaths();
    void deepNesting_data();
    void deepNesting();
    void keyCondition_data();
    void keyCondition();
    void keyConditionErrors_data();
    void keyConditionErrors();
    void projection_data();
    void projection();
    void projectionErrors_data();
    void projectionErrors();
    void updateApplies_data();
    void updateApplies();
    void updateErrors_data();
    void updateErrors();
    void updateApplyErrors_data();
    void updateApplyErrors();
    void updateNames();
    void unusedPlaceholders_data();
    void unusedPlaceholders();
    void attributeMaps_data();
    void attributeMaps();
    void reservedWords_data();
    void reservedWords();
    void pathText();
};

// ---- Conditions ----

void TestDdbExpression::conditionEvaluates_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<bool>("expected");
    auto row = [](const char *expression, bool expected) {
        QTest::newRow(expression) << QString::fromUtf8(expression) << expected;
    };

    // Comparisons.
    row("s = :hello", true);
    row("s <> :hello", false);
    row("s = :he", false);
    row("s <> :he", true);
    row("n = :n10", true);
    row("n = :n10dot", true);
    row("n <> :n10dot", false);
    row("n < :n20", true);
    row("n < :n10", false);
    row("n < :n5", false);
    row("n <= :n10", true);
    row("n <= :n5", false);
    row("n > :n5", true);
    row("n > :n10", false);
    row("n >= :n10", true);
    row("n >= :n20", false);
    row("s < :z", true);
    row("s > :a", true);
    row("s >= :hello", true);
    row("b = :b", true);
    row("b < :b14", true);
    row("b > :b1", true);
    row("t = :true", true);
    row("t = :false", false);
    row("f = :false", true);
    row("z = :null", true);
    row("l = :list", true);
    row("ss = :ssrev", true);
    row("ss = :ssa", false);
    row("m = :m", true);
    row(":n5 < n", true);
    row(":n10 = :n10dot", true);
    // Comparisons across types are false ("<>" true), never errors.
    row("n = :hello", false);
    row("n <> :hello", true);
    row("n < :hello", false);
    row("n >= :hello", false);
    row("s > :n5", false);
    row("b < :hello", false);
    row("t < n", false);
    row("z = :false", false);
    row("ss = :a", false);
    row("l < n", false);
    // Missing attributes.
    row("gone = :n5", false);
    row("gone <> :n5", true);
    row("gone < :n5", false);
    row("gone >= :n5", false);
    // Two paths, size() as an operand.
    row("m.x < n", true);
    row("n = m.x", false);
    row("l[1] = :n1", true);
    row("n > size(s)", true);
    row("size(s) = :n5", true);
    row("size(s) < n", true);
    // Nested paths and list indexes.
    row("m.x = :n5", true);
    row("m.y.z = :q", true);
    row("m.arr[0] = :n7", true);
    row("l[0] = :a", true);
    row("l[2][0] = :deep", true);
    row("l[5] = :a", false);
    row("l.x = :a", false);
    row("m[0] = :n5", false);
    row("m.y.z.w = :q", false);
    row("s.x = :hello", false);
    row("s[0] = :hello", false);
    // #names.
    row("#s = :hello", true);
    row("#m.#x = :n5", true);
    row("#m.y.z = :q", true);
    row("#l[2][0] = :deep", true);
    row("#dot = :dot", true);
    row("dotted.nm = :dot", false);
    row("#name = :hello", false);
    row("size = :n3", true);
    // BETWEEN.
    row("n BETWEEN :n5 AND :n20", true);
    row("n BETWEEN :n10 AND :n10dot", true);
    row("n BETWEEN :n20 AND :n30", false);
    row("n BETWEEN :n1 AND :n5", false);
    row("s BETWEEN :a AND :z", true);
    row("b BETWEEN :b1 AND :b14", true);
    row("n BETWEEN :a AND :z", false);
    row("gone BETWEEN :n5 AND :n20", false);
    row("m.x BETWEEN :n1 AND n", true);
    // IN.
    row("n IN (:n5, :n10)", true);
    row("n IN (:n5)", false);
    row("n IN (:n10dot)", true);
    row("s IN (:n5, :hello)", true);
    row("gone IN (:n5)", false);
    row("m.x IN (n, :n5)", true);
    row("l IN (:list)", true);
    // attribute_exists, attribute_not_exists.
    row("attribute_exists(s)", true);
    row("attribute_exists(gone)", false);
    row("attribute_exists(z)", true);
    row("attribute_exists(m.y.z)", true);
    row("attribute_exists(m.y.w)", false);
    row("attribute_exists(l[2])", true);
    row("attribute_exists(l[3])", false);
    row("attribute_exists(#dot)", true);
    row("attribute_not_exists(gone)", true);
    row("attribute_not_exists(s)", false);
    row("attribute_not_exists(m.x)", false);
    row("attribute_not_exists(m.x.y)", true);
    // attribute_type.
    row("attribute_type(s, :S)", true);
    row("attribute_type(n, :S)", false);
    row("attribute_type(n, :N)", true);
    row("attribute_type(b, :B)", true);
    row("attribute_type(t, :BOOL)", true);
    row("attribute_type(z, :NULL)", true);
    row("attribute_type(l, :L)", true);
    row("attribute_type(m, :M)", true);
    row("attribute_type(ss, :SS)", true);
    row("attribute_type(ns, :NS)", true);
    row("attribute_type(bs, :BS)", true);
    row("attribute_type(ss, :S)", false);
    row("attribute_type(gone, :S)", false);
    row("attribute_type(m.y, :M)", true);
    // begins_with.
    row("begins_with(s, :he)", true);
    row("begins_with(s, :hello)", true);
    row("begins_with(s, :lo)", false);
    row("begins_with(b, :b1)", true);
    row("begins_with(b, :b14)", false);
    row("begins_with(s, :b1)", false);
    row("begins_with(n, :he)", false);
    row("begins_with(gone, :he)", false);
    row("begins_with(m.y.z, :q)", true);
    // contains.
    row("contains(s, :ell)", true);
    row("contains(s, :xyz)", false);
    row("contains(s, :n1)", false);
    row("contains(ss, :a)", true);
    row("contains(ss, :z)", false);
    row("contains(ss, :n1)", false);
    row("contains(ns, :n25)", true);
    row("contains(ns, :n1)", true);
    row("contains(ns, :n2)", false);
    row("contains(bs, :b1)", true);
    row("contains(b, :b23)", true);
    row("contains(b, :b14)", false);
    row("contains(l, :a)", true);
    row("contains(l, :n1)", true);
    row("contains(l, :deeplist)", true);
    row("contains(l, :deep)", false);
    row("contains(n, :n1)", false);
    row("contains(gone, :a)", false);
    // size.
    row("size(s) = :n5", true);
    row("size(e) = :n1", true);
    row("size(b) = :n3", true);
    row("size(ss) = :n2", true);
    row("size(ns) = :n2", true);
    row("size(l) = :n3", true);
    row("size(m) = :n3", true);
    row("size(m.y) = :n1", true);
    row("size(l[2]) = :n1", true);
    row("size(n) = :n2", false);
    row("size(n) <> :n2", true);
    row("size(t) = :n1", false);
    row("size(gone) = :n0", false);
    row("size(s) BETWEEN :n3 AND :n5", true);
    row("size(l) IN (:n1, :n3)", true);
    // AND, OR, NOT.
    row("s = :hello AND n = :n10", true);
    row("s = :hello AND n = :n5", false);
    row("s = :z AND n = :n10", false);
    row("s = :z OR n = :n10", true);
    row("s = :z OR n = :n5", false);
    row("NOT s = :hello", false);
    row("NOT s = :z", true);
    row("NOT attribute_exists(gone)", true);
    row("NOT NOT attribute_exists(s)", true);
    row("NOT contains(s, :xyz)", true);
    row("s = :hello AND n = :n10 AND t = :true", true);
    row("s = :z OR n = :n5 OR t = :true", true);
    // Precedence: NOT, then AND, then OR.
    row("n = :n5 AND s = :z OR t = :true", true);
    row("t = :true OR n = :n5 AND s = :z", true);
    row("NOT n = :n5 AND s = :z", false);
    row("NOT t = :true OR n = :n10", true);
    row("t = :false AND n = :n5 OR s = :hello AND n = :n10", true);
    // Parentheses.
    row("(n = :n10)", true);
    row("NOT (n = :n5 AND s = :z)", true);
    row("(t = :true OR n = :n5) AND s = :z", false);
    row("t = :true OR (n = :n5 AND s = :z)", true);
    row("t = :true AND (n = :n5 OR s = :hello)", true);
    row("(n) = :n10", true);
    row("n = (:n10)", true);
    row("(size(s)) = :n5", true);
    row("(attribute_exists(s)) AND (NOT attribute_exists(gone))", true);
    row("((n = :n10) AND (s = :hello)) OR t = :false", true);
    // Keywords in any case, spacing.
    row("n = :n10 and s = :hello", true);
    row("n = :n5 or s = :hello", true);
    row("not n = :n5", true);
    row("n between :n5 and :n20", true);
    row("n In (:n10)", true);
    row("n=:n10", true);
    QTest::newRow("whitespace") << QStringLiteral("  n\t=\n:n10\r ") << true;
    row("m.arr[0]=:n7 AND l[2][0]=:deep", true);
    row("n<>:n5", true);
}

void TestDdbExpression::conditionEvaluates()
{
    QFETCH(QString, expression);
    QFETCH(bool, expected);
    const Json names = json(kNames);
    const Json values = json(kValues);
    DdbExpressionContext ctx {&names, &values, {}, {}};
    const auto condition = DdbCondition::parse(expression, ctx);
    QVERIFY2(condition, condition ? "" : qPrintable(condition.error().message));
    const auto result = condition->evaluate(json(kItem));
    QVERIFY(result);
    QCOMPARE(*result, expected);

    // A filter is the same expression.
    DdbExpressionContext filterCtx {&names, &values, {}, {}};
    const auto filter = DdbCondition::parse(expression, filterCtx, DdbExpressionKind::Filter);
    QVERIFY(filter);
    QCOMPARE(*filter->evaluate(json(kItem)), expected);
}

void TestDdbExpression::conditionOnMissingItem()
{
    const Json values = json(kValues);
    const Json empty = Json::object();
    const auto check = [&](const char *expression, bool expected) {
        DdbExpressionContext ctx {nullptr, &values, {}, {}};
        const auto condition = DdbCondition::parse(QString::fromUtf8(expression), ctx);
        QVERIFY2(condition, condition ? "" : qPrintable(condition.error().message));
        QCOMPARE(*condition->evaluate(empty), expected);
    };
    check("attribute_not_exists(s)", true);
    check("attribute_exists(s)", false);
    check("s <> :hello", true);
    check("NOT s = :hello", true);
    check("size(s) = :n0", false);
}

void TestDdbExpression::conditionErrors_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QByteArray>("names"); // empty: the common map
    QTest::addColumn<QByteArray>("values");
    QTest::addColumn<QString>("message"); // without "Invalid ConditionExpression: "
    const int condition = int(DdbExpressionKind::Condition);
    auto row
        = [&](const char *name, const QString &expression, const QString &message,
              int kind = int(DdbExpressionKind::Condition), const QByteArray &names = QByteArray(),
              const QByteArray &values = QByteArray()) {
              QTest::newRow(name) << kind << expression << names << values << message;
          };

    row("empty", QString(), QStringLiteral("The expression can not be empty;"));
    row("empty filter", QString(), QStringLiteral("The expression can not be empty;"),
        int(DdbExpressionKind::Filter));
    row("4097 bytes", QStringLiteral("n = :n1 OR ") + QString(4086, QLatin1Char('a')),
        QStringLiteral("Expression size has exceeded the maximum allowed size; expression size: "
                       "4097"));
    row("4096 bytes parse",
        QStringLiteral("n = :n1 OR ") + QString(4074, QLatin1Char('a')) + QStringLiteral(" = :n2"),
        QString());
    // Syntax errors: the token where reading stopped, and the text from the token before it to
    // the token after it.
    row("no right operand", QStringLiteral("n ="),
        syntaxError(QStringLiteral("<EOF>"), QStringLiteral("=")));
    row("two values", QStringLiteral("n = :n1 :n2"),
        syntaxError(QStringLiteral(":n2"), QStringLiteral(":n1 :n2")));
    row("double equals", QStringLiteral("n == :n1"),
        syntaxError(QStringLiteral("="), QStringLiteral("== :n1")));
    row("trailing AND", QStringLiteral("n = :n1 AND"),
        syntaxError(QStringLiteral("<EOF>"), QStringLiteral("AND")));
    row("leading OR", QStringLiteral("OR n = :n1"),
        syntaxError(QStringLiteral("OR"), QStringLiteral("OR n")));
    row("empty IN", QStringLiteral("n IN ()"),
        syntaxError(QStringLiteral(")"), QStringLiteral("()")));
    row("IN without parentheses", QStringLiteral("n IN :n1"),
        syntaxError(QStringLiteral(":n1"), QStringLiteral("IN :n1")));
    row("BETWEEN without AND", QStringLiteral("n BETWEEN :n1 OR :n2"),
        syntaxError(QStringLiteral("OR"), QStringLiteral(":n1 OR :n2")));
    row("name as index", QStringLiteral("l[x] = :n1"),
        syntaxError(QStringLiteral("x"), QStringLiteral("[x]")));
    row("index with leading zero", QStringLiteral("l[01] = :n1"),
        syntaxError(QStringLiteral("1"), QStringLiteral("01]")));
    row("negative index", QStringLiteral("l[-1] = :n1"),
        syntaxError(QStringLiteral("-"), QStringLiteral("[-1")));
    row("unclosed parenthesis", QStringLiteral("(n = :n1"),
        syntaxError(QStringLiteral("<EOF>"), QStringLiteral(":n1")));
    row("extra parenthesis", QStringLiteral("n = :n1)"),
        syntaxError(QStringLiteral(")"), QStringLiteral(":n1)")));
    row("bad character", QStringLiteral("n = @"),
        syntaxError(QStringLiteral("@"), QStringLiteral("= @")));
    row("path alone", QStringLiteral("n"),
        syntaxError(QStringLiteral("<EOF>"), QStringLiteral("n")));
    row("value alone", QStringLiteral(":n1"),
        syntaxError(QStringLiteral("<EOF>"), QStringLiteral(":n1")));
    row("trailing dot", QStringLiteral("m. = :n1"),
        syntaxError(QStringLiteral("="), QStringLiteral(". = :n1")));
    row("bare colon", QStringLiteral("n = :"),
        syntaxError(QStringLiteral(":"), QStringLiteral("= :")));
    row("name starting with digit", QStringLiteral("1n = :n1"),
        syntaxError(QStringLiteral("1"), QStringLiteral("1n")));
    row("arithmetic in condition", QStringLiteral("n + :n1 = :n2"),
        syntaxError(QStringLiteral("+"), QStringLiteral("n + :n1")));
    row("NOT as comparison", QStringLiteral("n NOT :n1"),
        syntaxError(QStringLiteral("NOT"), QStringLiteral("n NOT :n1")));
    row("redundant parentheses", QStringLiteral("((n = :n1))"),
        QStringLiteral("The expression has redundant parentheses;"));
    row("redundant operand parentheses", QStringLiteral("((n)) = :n1"),
        QStringLiteral("The expression has redundant parentheses;"));
    // Reserved words, written bare (at any level); #names are the way round them.
    row("reserved", QStringLiteral("name = :n1"), reserved(QStringLiteral("name")));
    row("reserved any case", QStringLiteral("Status = :n1"), reserved(QStringLiteral("Status")));
    row("reserved nested", QStringLiteral("m.data = :n1"), reserved(QStringLiteral("data")));
    row("reserved in function", QStringLiteral("attribute_exists(m.value)"),
        reserved(QStringLiteral("value")));
    row("reserved before undefined", QStringLiteral("#nope = :n1 AND date = :n1"),
        reserved(QStringLiteral("date")));
    // Functions.
    row("unknown function", QStringLiteral("foo(n)"),
        QStringLiteral("Invalid function name; function: foo"));
    row("function names are case sensitive", QStringLiteral("Attribute_Exists(n)"),
        QStringLiteral("Invalid function name; function: Attribute_Exists"));
    row("size as condition", QStringLiteral("size(s)"), misused(QStringLiteral("size")));
    row("attribute_exists as operand", QStringLiteral("attribute_exists(s) = :true"),
        misused(QStringLiteral("attribute_exists")));
    row("contains inside size", QStringLiteral("size(contains(s, :n1)) = :n1"),
        misused(QStringLiteral("contains")));
    row("update function", QStringLiteral("if_not_exists(s, :n1) = :n1"),
        QStringLiteral(
            "The function is not allowed in a condition expression; function: if_not_exists"));
    row("list_append", QStringLiteral("list_append(l, :n1) = :n1"),
        QStringLiteral(
            "The function is not allowed in a condition expression; function: list_append"));
    row("attribute_exists two operands", QStringLiteral("attribute_exists(s, n)"),
        operandCount(QStringLiteral("attribute_exists"), 2));
    row("begins_with one operand", QStringLiteral("begins_with(s)"),
        operandCount(QStringLiteral("begins_with"), 1));
    row("size two operands", QStringLiteral("size(s, n) = :n1"),
        operandCount(QStringLiteral("size"), 2));
    row("attribute_type one operand", QStringLiteral("attribute_type(s)"),
        operandCount(QStringLiteral("attribute_type"), 1));
    row("attribute_exists of a value", QStringLiteral("attribute_exists(:n1)"),
        QStringLiteral("Operator or function requires a document path; operator or function: "
                       "attribute_exists"));
    row("attribute_not_exists of size", QStringLiteral("attribute_not_exists(size(s))"),
        QStringLiteral("Operator or function requires a document path; operator or function: "
                       "attribute_not_exists"));
    row("begins_with number", QStringLiteral("begins_with(s, :n1)"),
        operandType(QStringLiteral("begins_with"), QStringLiteral("N")));
    row("size of number", QStringLiteral("size(:n1) = :n1"),
        operandType(QStringLiteral("size"), QStringLiteral("N")));
    row("size of boolean", QStringLiteral("size(:true) = :n1"),
        operandType(QStringLiteral("size"), QStringLiteral("BOOL")));
    row("attribute_type number", QStringLiteral("attribute_type(s, :n1)"),
        operandType(QStringLiteral("attribute_type"), QStringLiteral("N")));
    row("attribute_type unknown type", QStringLiteral("attribute_type(s, :bad)"),
        QStringLiteral("Invalid attribute type name found; type: X, valid types: "
                       "{N,BS,L,B,NULL,M,S,SS,NS,BOOL}"));
    row("contains distinct", QStringLiteral("contains(s, s)"),
        notDistinct(QStringLiteral("contains"), QStringLiteral("[s]")));
    // Operand types of comparisons.
    row("less than boolean", QStringLiteral("n < :true"),
        operandType(QStringLiteral("<"), QStringLiteral("BOOL")));
    row("greater than list", QStringLiteral("n > :list"),
        operandType(QStringLiteral(">"), QStringLiteral("L")));
    row("less or equal set", QStringLiteral(":ssa <= n"),
        operandType(QStringLiteral("<="), QStringLiteral("SS")));
    row("BETWEEN null", QStringLiteral("n BETWEEN :null AND :n1"),
        operandType(QStringLiteral("BETWEEN"), QStringLiteral("NULL")));
    row("BETWEEN reversed", QStringLiteral("n BETWEEN :n20 AND :n5"),
        QStringLiteral("The BETWEEN operator requires upper bound to be greater than or equal to "
                       "lower bound; lower bound operand: AttributeValue: {N:20}, upper bound "
                       "operand: AttributeValue: {N:5}"));
    row("BETWEEN mixed types", QStringLiteral("n BETWEEN :n5 AND :a"),
        QStringLiteral("The BETWEEN operator requires same data type for lower and upper bounds; "
                       "lower bound operand: AttributeValue: {N:5}, upper bound operand: "
                       "AttributeValue: {S:a}"));
    row("equal is any type", QStringLiteral("n = :true AND n <> :list"), QString());
    // Identical operands.
    row("a = a", QStringLiteral("n = n"), notDistinct(QStringLiteral("="), QStringLiteral("[n]")));
    row("a < (a)", QStringLiteral("m.x < (m.x)"),
        notDistinct(QStringLiteral("<"), QStringLiteral("[m, x]")));
    row("#name = name", QStringLiteral("#s = s"),
        notDistinct(QStringLiteral("="), QStringLiteral("[s]")));
    row("BETWEEN same", QStringLiteral("n BETWEEN :n1 AND n"),
        notDistinct(QStringLiteral("BETWEEN"), QStringLiteral("[n]")));
    row("IN same", QStringLiteral("n IN (:n1, n)"),
        notDistinct(QStringLiteral("IN"), QStringLiteral("[n]")));
    row("different indexes", QStringLiteral("l[0] = l[1]"), QString());
    // Placeholders.
    row("undefined value", QStringLiteral("n = :nope"), undefinedValue(QStringLiteral(":nope")));
    row("undefined name", QStringLiteral("#nope = :n1"), undefinedName(QStringLiteral("#nope")));
    row("no values at all", QStringLiteral("n = :n1"), undefinedValue(QStringLiteral(":n1")),
        condition, QByteArray(), B("null"));
    row("no names at all", QStringLiteral("#s = :n1"), undefinedName(QStringLiteral("#s")),
        condition, B("null"));
    row("names are case sensitive", QStringLiteral("#S = :n1"),
        undefinedName(QStringLiteral("#S")));
    row("undefined name in function", QStringLiteral("attribute_exists(m.#nope)"),
        undefinedName(QStringLiteral("#nope")));
    // Limits.
    row("index too large", QStringLiteral("l[2147483648] = :n1"),
        QStringLiteral("List index is not within the allowable range; index: [2147483648]"));
    row("largest index", QStringLiteral("l[2147483647] = :n1"), QString());
    row("32 levels", deepPath(32) + QStringLiteral(" = :n1"), QString());
    row("33 levels", deepPath(33) + QStringLiteral(" = :n1"),
        QStringLiteral("The document path has too many nesting levels; nesting levels: 33"));
    row("100 IN operands", inList(100), QString());
    row("101 IN operands", inList(101),
        QStringLiteral(
            "The IN operator is provided with too many operands; number of operands: 101"));
    row("300 operators", manyComparisons(300), QString());
    row("301 operators", manyComparisons(301),
        QStringLiteral("The expression contains too many operators; operator count: 301"));
    row("filter prefix", QStringLiteral("n = :nope"), undefinedValue(QStringLiteral(":nope")),
        int(DdbExpressionKind::Filter));
}

void TestDdbExpression::conditionErrors()
{
    QFETCH(int, kind);
    QFETCH(QString, expression);
    QFETCH(QByteArray, names);
    QFETCH(QByteArray, values);
    QFETCH(QString, message);
    const Json namesJson = json(names.isEmpty() ? kNames : names);
    const Json valuesJson = json(values.isEmpty() ? kValues : values);
    DdbExpressionContext ctx {namesJson.is_null() ? nullptr : &namesJson,
        valuesJson.is_null() ? nullptr : &valuesJson, {}, {}};
    const auto parsed = DdbCondition::parse(expression, ctx, DdbExpressionKind(kind));
    if (message.isEmpty()) {
        QVERIFY2(parsed, parsed ? "" : qPrintable(parsed.error().message));
        return;
    }
    QVERIFY(!parsed);
    QCOMPARE(parsed.error().code, kValidation);
    QCOMPARE(parsed.error().httpStatus, 400);
    QCOMPARE(parsed.error().message, prefixed(DdbExpressionKind(kind), message));
}

void TestDdbExpression::conditionPaths()
{
    const Json names = json(kNames);
    const Json values = json(kValues);
    DdbExpressionContext ctx {&names, &values, {}, {}};
    const auto condition = DdbCondition::parse(
        QStringLiteral("#m.#x = :n5 AND (size(l[2]) > :n1 OR attribute_exists(#s))"), ctx);
    QVERIFY(condition);
    QCOMPARE(condition->paths().size(), size_t(3));
    QCOMPARE(ddbPathText(condition->paths()[0]), QStringLiteral("[m, x]"));
    QCOMPARE(ddbPathText(condition->paths()[1]), QStringLiteral("[l, [2]]"));
    QCOMPARE(ddbPathText(condition->paths()[2]), QStringLiteral("[s]"));
    QCOMPARE(condition->topLevelNames(),
        QStringList({QStringLiteral("m"), QStringLiteral("l"), QStringLiteral("s")}));
    QCOMPARE(ctx.usedNames,
        QSet<QString>({QStringLiteral("#m"), QStringLiteral("#x"), QStringLiteral("#s")}));
    QCOMPARE(ctx.usedValues, QSet<QString>({QStringLiteral(":n5"), QStringLiteral(":n1")}));
    // A default-constructed condition holds.
    QVERIFY(*DdbCondition().evaluate(Json::object()));
}

void TestDdbExpression::deepNesting_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<bool>("parses");
    const auto repeated = [](const char *part, int count) {
        QString out;
        for (int i = 0; i < count; ++i)
            out += QString::fromUtf8(part);
        return out;
    };
    QTest::newRow("100 NOTs") << repeated("NOT ", 100) + QStringLiteral("n = :n1") << true;
    QTest::newRow("100 parentheses of conditions")
        << repeated("(n = :n1 AND ", 100) + QStringLiteral("n = :n2") + repeated(")", 100) << true;
    QTest::newRow("100 nested functions") << repeated("size(", 100) + QStringLiteral("s")
            + repeated(")", 100)
            + QStringLiteral(" = :n1") << false; // size of size is nested, and refused
    QTest::newRow("1000 NOTs") << repeated("NOT ", 1000) + QStringLiteral("n = :n1") << false;
    QTest::newRow("2000 parentheses") << repeated("(", 2000) << false;
    QTest::newRow("1000 parenthesized operands") << repeated("(", 1000) + QStringLiteral("n")
            + repeated(")", 1000)
            + QStringLiteral(" = :n1") << false;
    QTest::newRow("250 parentheses of conditions")
        << repeated("(n = :n1 OR ", 250) + QStringLiteral("n = :n2") + repeated(")", 250) << true;
}

void TestDdbExpression::deepNesting()
{
    QFETCH(QString, expression);
    QFETCH(bool, parses);
    const Json values = json(kValues);
    DdbExpressionContext ctx {nullptr, &values, {}, {}};
    const auto condition = DdbCondition::parse(expression, ctx);
    QCOMPARE(bool(condition), parses);
    if (parses)
        QVERIFY(condition->evaluate(json(kItem)));
    else
        QVERIFY(
            condition.error().message.startsWith(QStringLiteral("Invalid ConditionExpression: ")));
}

// ---- Key conditions ----

void TestDdbExpression::keyCondition_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QString>("rangeKey");
    QTest::addColumn<QString>("sortName");
    QTest::addColumn<int>("op");
    QTest::addColumn<QByteArray>("sortValue");
    QTest::addColumn<QByteArray>("sortValue2");
    const QString sk = QStringLiteral("sk");
    auto row
        = [&](const char *expression, const QString &rangeKey, const QString &sortName,
              DdbKeyCondition::Op op, const char *value = "null", const char *value2 = "null") {
              QTest::newRow(expression) << QString::fromUtf8(expression) << rangeKey << sortName
                                        << int(op) << B(value) << B(value2);
          };
    row("pk = :p", QString(), QString(), DdbKeyCondition::None);
    row("pk = :p", sk, QString(), DdbKeyCondition::None);
    row(":p = pk", sk, QString(), DdbKeyCondition::None);
    row("#pk = :p", sk, QString(), DdbKeyCondition::None);
    row("(pk = :p)", sk, QString(), DdbKeyCondition::None);
    row("pk = :p AND sk = :a", sk, sk, DdbKeyCondition::Eq, R"j({"S":"a"})j");
    row("pk = :p AND sk < :a", sk, sk, DdbKeyCondition::Lt, R"j({"S":"a"})j");
    row("pk = :p AND sk <= :a", sk, sk, DdbKeyCondition::Le, R"j({"S":"a"})j");
    row("pk = :p AND sk > :a", sk, sk, DdbKeyCondition::Gt, R"j({"S":"a"})j");
    row("pk = :p AND sk >= :a", sk, sk, DdbKeyCondition::Ge, R"j({"S":"a"})j");
    row("pk = :p AND :a < sk", sk, sk, DdbKeyCondition::Gt, R"j({"S":"a"})j");
    row("pk = :p AND :a >= sk", sk, sk, DdbKeyCondition::Le, R"j({"S":"a"})j");
    row("sk = :a AND pk = :p", sk, sk, DdbKeyCondition::Eq, R"j({"S":"a"})j");
    row("pk = :p AND sk BETWEEN :a AND :z", sk, sk, DdbKeyCondition::Between, R"j({"S":"a"})j",
        R"j({"S":"z"})j");
    row("pk = :p AND begins_with(sk, :a)", sk, sk, DdbKeyCondition::BeginsWith, R"j({"S":"a"})j");
    row("(pk = :p) AND (#sk > :a)", sk, sk, DdbKeyCondition::Gt, R"j({"S":"a"})j");
}

void TestDdbExpression::keyCondition()
{
    QFETCH(QString, expression);
    QFETCH(QString, rangeKey);
    QFETCH(QString, sortName);
    QFETCH(int, op);
    QFETCH(QByteArray, sortValue);
    QFETCH(QByteArray, sortValue2);
    const Json names = json(B(R"j({"#pk": "pk", "#sk": "sk"})j"));
    const Json values = json(B(R"j({":p": {"S": "P"}, ":a": {"S": "a"}, ":z": {"S": "z"}})j"));
    DdbExpressionContext ctx {&names, &values, {}, {}};
    const auto key = parseKeyCondition(expression, ctx, QStringLiteral("pk"), rangeKey);
    QVERIFY2(key, key ? "" : qPrintable(key.error().message));
    QCOMPARE(key->partitionName, QStringLiteral("pk"));
    QVERIFY(key->partitionValue == json(B(R"j({"S":"P"})j")));
    QCOMPARE(key->sortName, sortName);
    QCOMPARE(int(key->op), op);
    QVERIFY(key->sortValue == json(sortValue));
    QVERIFY(key->sortValue2 == json(sortValue2));
}

void TestDdbExpression::keyConditionErrors_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QString>("rangeKey");
    QTest::addColumn<QString>("message");
    const QString sk = QStringLiteral("sk");
    auto row = [&](const char *expression, const QString &message, const QString &rangeKey) {
        QTest::newRow(expression) << QString::fromUtf8(expression) << rangeKey << message;
    };
    const auto op = [](const char *name) -> QString {
        return QStringLiteral("Invalid operator used in KeyConditionExpression: ")
            + QString::fromUtf8(name);
    };
    row("pk = :p OR sk = :a", op("OR"), sk);
    row("pk <> :p", op("<>"), sk);
    row("NOT pk = :p", op("NOT"), sk);
    row("pk IN (:p)", op("IN"), sk);
    row("attribute_exists(pk)", op("attribute_exists"), sk);
    row("pk = :p AND contains(sk, :a)", op("contains"), sk);
    row("sk = :a", QStringLiteral("Query condition missed key schema element: pk"), sk);
    row("pk < :p", QStringLiteral("Query key condition not supported"), sk);
    row("pk = :p AND sk = :a", QStringLiteral("Query key condition not supported"), QString());
    row("pk = :p AND pk = :a",
        QStringLiteral("KeyConditionExpressions must only contain one condition per key"), sk);
    row("pk = :p AND xx = :a", QStringLiteral("Query condition missed key schema element: sk"), sk);
    row("pk = :p AND sk = :a AND xx = :z",
        QStringLiteral("Conditions can be of length 1 or 2 only"), sk);
    row("pk.x = :p",
        QStringLiteral("KeyConditionExpressions cannot have conditions on nested attributes"), sk);
    row("pk = sk",
        QStringLiteral("Invalid condition in KeyConditionExpression: Multiple attribute names used "
                       "in one condition"),
        sk);
    row(":p = :a",
        QStringLiteral("Invalid condition in KeyConditionExpression: No key attribute specified"),
        sk);
    row("size(pk) = :p", QStringLiteral("KeyConditionExpressions cannot contain nested operations"),
        sk);
    row("pk = :p AND begins_with(:a, sk)",
        QStringLiteral("Invalid condition in KeyConditionExpression: begins_with operator must "
                       "have the key attribute as its first operand"),
        sk);
    row("pk = :p AND sk = :nope",
        prefixed(DdbExpressionKind::KeyCondition, undefinedValue(QStringLiteral(":nope"))), sk);
    row("pk = :p AND",
        prefixed(DdbExpressionKind::KeyCondition,
            syntaxError(QStringLiteral("<EOF>"), QStringLiteral("AND"))),
        sk);
}

void TestDdbExpression::keyConditionErrors()
{
    QFETCH(QString, expression);
    QFETCH(QString, rangeKey);
    QFETCH(QString, message);
    const Json values = json(B(R"j({":p": {"S": "P"}, ":a": {"S": "a"}, ":z": {"S": "z"}})j"));
    DdbExpressionContext ctx {nullptr, &values, {}, {}};
    const auto key = parseKeyCondition(expression, ctx, QStringLiteral("pk"), rangeKey);
    QVERIFY(!key);
    QCOMPARE(key.error().code, kValidation);
    QCOMPARE(key.error().message, message);
}

// ---- Projections ----

void TestDdbExpression::projection_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QByteArray>("expected");
    auto row = [](const char *expression, const char *expected) {
        QTest::newRow(expression) << QString::fromUtf8(expression) << B(expected);
    };
    row("a", R"j({"a": {"N": "1"}})j");
    row("#a", R"j({"a": {"N": "1"}})j");
    row("a, gone", R"j({"a": {"N": "1"}})j");
    row("b", R"j({"b": {"M": {"c": {"S": "x"}, "d": {"S": "y"}}}})j");
    row("a, b.c", R"j({"a": {"N": "1"}, "b": {"M": {"c": {"S": "x"}}}})j");
    row("b.c, b.d", R"j({"b": {"M": {"c": {"S": "x"}, "d": {"S": "y"}}}})j");
    row("l[2], l[0]", R"j({"l": {"L": [{"N": "0"}, {"N": "2"}]}})j");
    row("l[1].q", R"j({"l": {"L": [{"M": {"q": {"N": "2"}}}]}})j");
    row("l[1].q, l[0]", R"j({"l": {"L": [{"N": "0"}, {"M": {"q": {"N": "2"}}}]}})j");
    row("gone", R"j({})j");
    row("b.gone", R"j({})j");
    row("l[9]", R"j({})j");
    row("a.x", R"j({})j");
    row("a[0]", R"j({})j");
    row("b[0]", R"j({})j");
    row("l.x", R"j({})j");
    row("#dot", R"j({"dotted.name": {"S": "dot"}})j");
    row("dotted.nm", R"j({})j");
}

void TestDdbExpression::projection()
{
    QFETCH(QString, expression);
    QFETCH(QByteArray, expected);
    const Json names = json(B(R"j({"#a": "a", "#dot": "dotted.name"})j"));
    DdbExpressionContext ctx {&names, nullptr, {}, {}};
    const auto projection = DdbProjection::parse(expression, ctx);
    QVERIFY2(projection, projection ? "" : qPrintable(projection.error().message));
    const Json item = json(B(R"j({"a": {"N": "1"}, "b": {"M": {"c": {"S": "x"}, "d": {"S": "y"}}},
        "l": {"L": [{"N": "0"}, {"M": {"p": {"N": "1"}, "q": {"N": "2"}}}, {"N": "2"}]},
        "dotted.name": {"S": "dot"}})j"));
    const Json out = projection->apply(item);
    QVERIFY2(out == json(expected), toJsonBytes(out).constData());
    // The same paths made directly project the same.
    QVERIFY(DdbProjection::fromPaths(projection->paths()).apply(item) == out);
}

void TestDdbExpression::projectionErrors_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QString>("message");
    auto row = [](const char *expression, const QString &message) {
        QTest::newRow(expression) << QString::fromUtf8(expression) << message;
    };
    row("", QStringLiteral("The expression can not be empty;"));
    row("a, a", overlap(QStringLiteral("[a]"), QStringLiteral("[a]")));
    row("a, a.b", overlap(QStringLiteral("[a]"), QStringLiteral("[a, b]")));
    row("a.b, a", overlap(QStringLiteral("[a, b]"), QStringLiteral("[a]")));
    row("a, #a", overlap(QStringLiteral("[a]"), QStringLiteral("[a]")));
    row("l[0], l[0].x", overlap(QStringLiteral("[l, [0]]"), QStringLiteral("[l, [0], x]")));
    row("a.b, a[0]", conflict(QStringLiteral("[a, b]"), QStringLiteral("[a, [0]]")));
    row("a.b, a.c, a.b.d", overlap(QStringLiteral("[a, b]"), QStringLiteral("[a, b, d]")));
    row("a,", syntaxError(QStringLiteral("<EOF>"), QStringLiteral(",")));
    row("a b", syntaxError(QStringLiteral("b"), QStringLiteral("a b")));
    row("size(a)", syntaxError(QStringLiteral("("), QStringLiteral("size(a")));
    row(":v", syntaxError(QStringLiteral(":v"), QStringLiteral(":v")));
    row("name", reserved(QStringLiteral("name")));
    row("a, #nope", undefinedName(QStringLiteral("#nope")));
    row("a[2147483648]",
        QStringLiteral("List index is not within the allowable range; index: [2147483648]"));
}

void TestDdbExpression::projectionErrors()
{
    QFETCH(QString, expression);
    QFETCH(QString, message);
    const Json names = json(B(R"j({"#a": "a"})j"));
    DdbExpressionContext ctx {&names, nullptr, {}, {}};
    const auto projection = DdbProjection::parse(expression, ctx);
    QVERIFY(!projection);
    QCOMPARE(projection.error().code, kValidation);
    QCOMPARE(projection.error().message, prefixed(DdbExpressionKind::Projection, message));
}

// ---- Updates ----

void TestDdbExpression::updateApplies_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QByteArray>("item");
    QTest::addColumn<QByteArray>("expected");
    auto row
        = [](const char *name, const char *expression, const char *item, const char *expected) {
              QTest::newRow(name) << QString::fromUtf8(expression) << B(item) << B(expected);
          };
    // SET.
    row("set new", "SET a = :one", R"j({})j", R"j({"a": {"N": "1"}})j");
    row("set replace", "SET a = :s", R"j({"a": {"N": "5"}})j", R"j({"a": {"S": "x"}})j");
    row("set two", "SET a = :one, b = :s", R"j({})j", R"j({"a": {"N": "1"}, "b": {"S": "x"}})j");
    row("set placeholder", "SET #n = :one", R"j({})j", R"j({"n": {"N": "1"}})j");
    row("set reserved through name", "SET #name = :one", R"j({})j", R"j({"name": {"N": "1"}})j");
    row("set copy", "SET a = b", R"j({"b": {"S": "y"}})j",
        R"j({"a": {"S": "y"}, "b": {"S": "y"}})j");
    row("set swap", "SET a = b, b = a", R"j({"a": {"N": "1"}, "b": {"N": "2"}})j",
        R"j({"a": {"N": "2"}, "b": {"N": "1"}})j");
    row("set plus", "SET n = n + :one", R"j({"n": {"N": "5"}})j", R"j({"n": {"N": "6"}})j");
    row("set minus", "SET n = n - :one", R"j({"n": {"N": "5"}})j", R"j({"n": {"N": "4"}})j");
    row("set minus below zero", "SET n = :one - n", R"j({"n": {"N": "5"}})j",
        R"j({"n": {"N": "-4"}})j");
    row("set values added", "SET n = :one + :two", R"j({})j", R"j({"n": {"N": "3"}})j");
    row("set decimal", "SET n = :p1 + :p2", R"j({})j", R"j({"n": {"N": "0.3"}})j");
    row("set parenthesized", "SET n = (n + :one)", R"j({"n": {"N": "5"}})j",
        R"j({"n": {"N": "6"}})j");
    row("set parenthesized operand", "SET n = (n) + (:one)", R"j({"n": {"N": "5"}})j",
        R"j({"n": {"N": "6"}})j");
    row("set from other attribute", "SET a = n + n", R"j({"n": {"N": "5"}})j",
        R"j({"a": {"N": "10"}, "n": {"N": "5"}})j");
    row("if_not_exists gone", "SET a = if_not_exists(a, :one)", R"j({})j",
        R"j({"a": {"N": "1"}})j");
    row("if_not_exists present", "SET a = if_not_exists(a, :one)", R"j({"a": {"N": "5"}})j",
        R"j({"a": {"N": "5"}})j");
    row("if_not_exists other", "SET a = if_not_exists(b, :one)", R"j({"b": {"S": "y"}})j",
        R"j({"a": {"S": "y"}, "b": {"S": "y"}})j");
    row("if_not_exists plus", "SET n = if_not_exists(n, :one) + :two", R"j({})j",
        R"j({"n": {"N": "3"}})j");
    row("if_not_exists nested", "SET m.a = if_not_exists(m.a, :one)", R"j({"m": {"M": {}}})j",
        R"j({"m": {"M": {"a": {"N": "1"}}}})j");
    row("list_append end", "SET l = list_append(l, :list)", R"j({"l": {"L": [{"N": "0"}]}})j",
        R"j({"l": {"L": [{"N": "0"}, {"S": "new"}]}})j");
    row("list_append start", "SET l = list_append(:list, l)", R"j({"l": {"L": [{"N": "0"}]}})j",
        R"j({"l": {"L": [{"S": "new"}, {"N": "0"}]}})j");
    row("list_append if_not_exists", "SET l = list_append(if_not_exists(l, :list), :list)",
        R"j({})j", R"j({"l": {"L": [{"S": "new"}, {"S": "new"}]}})j");
    row("set map member", "SET m.a = :one", R"j({"m": {"M": {"a": {"N": "5"}, "b": {"N": "2"}}}})j",
        R"j({"m": {"M": {"a": {"N": "1"}, "b": {"N": "2"}}}})j");
    row("set new map member", "SET m.c = :one", R"j({"m": {"M": {}}})j",
        R"j({"m": {"M": {"c": {"N": "1"}}}})j");
    row("set deep member", "SET m.x.y = :s", R"j({"m": {"M": {"x": {"M": {}}}}})j",
        R"j({"m": {"M": {"x": {"M": {"y": {"S": "x"}}}}}})j");
    row("set member arithmetic", "SET m.a = m.a + :one", R"j({"m": {"M": {"a": {"N": "5"}}}})j",
        R"j({"m": {"M": {"a": {"N": "6"}}}})j");
    row("set list element", "SET l[1] = :s", R"j({"l": {"L": [{"N": "0"}, {"N": "1"}]}})j",
        R"j({"l": {"L": [{"N": "0"}, {"S": "x"}]}})j");
    row("set past end appends", "SET l[10] = :s", R"j({"l": {"L": [{"N": "0"}]}})j",
        R"j({"l": {"L": [{"N": "0"}, {"S": "x"}]}})j");
    row("set two past end in index order", "SET l[5] = :s, l[4] = :y",
        R"j({"l": {"L": [{"N": "0"}]}})j",
        R"j({"l": {"L": [{"N": "0"}, {"S": "y"}, {"S": "x"}]}})j");
    row("set element in map", "SET m.l[0] = :s", R"j({"m": {"M": {"l": {"L": [{"N": "0"}]}}}})j",
        R"j({"m": {"M": {"l": {"L": [{"S": "x"}]}}}})j");
    row("set member of element", "SET l[0].a = :one", R"j({"l": {"L": [{"M": {}}]}})j",
        R"j({"l": {"L": [{"M": {"a": {"N": "1"}}}]}})j");
    row("set nested lists", "SET l[0][1] = :s, l[1] = :y",
        R"j({"l": {"L": [{"L": [{"N": "0"}, {"N": "1"}]}, {"N": "2"}]}})j",
        R"j({"l": {"L": [{"L": [{"N": "0"}, {"S": "x"}]}, {"S": "y"}]}})j");
    row("set keywords any case", "set a = :one remove b", R"j({"b": {"N": "1"}})j",
        R"j({"a": {"N": "1"}})j");
    // REMOVE.
    row("remove", "REMOVE a", R"j({"a": {"N": "1"}, "b": {"N": "2"}})j", R"j({"b": {"N": "2"}})j");
    row("remove gone", "REMOVE a", R"j({"b": {"N": "2"}})j", R"j({"b": {"N": "2"}})j");
    row("remove two", "REMOVE a, b", R"j({"a": {"N": "1"}, "b": {"N": "2"}})j", R"j({})j");
    row("remove member", "REMOVE m.a", R"j({"m": {"M": {"a": {"N": "1"}, "b": {"N": "2"}}}})j",
        R"j({"m": {"M": {"b": {"N": "2"}}}})j");
    row("remove gone member", "REMOVE m.z", R"j({"m": {"M": {"a": {"N": "1"}}}})j",
        R"j({"m": {"M": {"a": {"N": "1"}}}})j");
    row("remove element", "REMOVE l[0]", R"j({"l": {"L": [{"N": "0"}, {"N": "1"}]}})j",
        R"j({"l": {"L": [{"N": "1"}]}})j");
    row("remove elements by old index", "REMOVE l[0], l[2]",
        R"j({"l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}]}})j",
        R"j({"l": {"L": [{"N": "1"}]}})j");
    row("remove element past end", "REMOVE l[7]", R"j({"l": {"L": [{"N": "0"}]}})j",
        R"j({"l": {"L": [{"N": "0"}]}})j");
    row("remove and set elements", "SET l[2] = :s REMOVE l[0]",
        R"j({"l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}]}})j",
        R"j({"l": {"L": [{"N": "1"}, {"S": "x"}]}})j");
    row("remove member of element", "REMOVE l[0].a",
        R"j({"l": {"L": [{"M": {"a": {"N": "1"}}}]}})j", R"j({"l": {"L": [{"M": {}}]}})j");
    // ADD.
    row("add number", "ADD n :one", R"j({"n": {"N": "5"}})j", R"j({"n": {"N": "6"}})j");
    row("add negative", "ADD n :neg", R"j({"n": {"N": "5"}})j", R"j({"n": {"N": "0"}})j");
    row("add to gone", "ADD n :one", R"j({})j", R"j({"n": {"N": "1"}})j");
    row("add to member", "ADD m.n :one", R"j({"m": {"M": {"n": {"N": "1"}}}})j",
        R"j({"m": {"M": {"n": {"N": "2"}}}})j");
    row("add set", "ADD ss :ssbc", R"j({"ss": {"SS": ["a", "b"]}})j",
        R"j({"ss": {"SS": ["a", "b", "c"]}})j");
    row("add set to gone", "ADD ss :ssbc", R"j({})j", R"j({"ss": {"SS": ["b", "c"]}})j");
    row("add number set", "ADD ns :ns23", R"j({"ns": {"NS": ["1", "2"]}})j",
        R"j({"ns": {"NS": ["1", "2", "3"]}})j");
    row("add two", "ADD n :one, ss :ssc", R"j({"n": {"N": "1"}, "ss": {"SS": ["a"]}})j",
        R"j({"n": {"N": "2"}, "ss": {"SS": ["a", "c"]}})j");
    // DELETE.
    row("delete element", "DELETE ss :ssa", R"j({"ss": {"SS": ["a", "b"]}})j",
        R"j({"ss": {"SS": ["b"]}})j");
    row("delete all elements", "DELETE ss :ssab", R"j({"ss": {"SS": ["a", "b"]}})j", R"j({})j");
    row("delete absent element", "DELETE ss :ssc", R"j({"ss": {"SS": ["a", "b"]}})j",
        R"j({"ss": {"SS": ["a", "b"]}})j");
    row("delete from gone", "DELETE ss :ssa", R"j({"n": {"N": "1"}})j", R"j({"n": {"N": "1"}})j");
    row("delete number set", "DELETE ns :ns", R"j({"ns": {"NS": ["1", "2"]}})j",
        R"j({"ns": {"NS": ["2"]}})j");
    row("delete in member", "DELETE m.ss :ssa", R"j({"m": {"M": {"ss": {"SS": ["a", "b"]}}}})j",
        R"j({"m": {"M": {"ss": {"SS": ["b"]}}}})j");
    // All four.
    row("all clauses", "SET a = :one REMOVE b ADD n :one DELETE ss :ssa",
        R"j({"b": {"N": "1"}, "n": {"N": "1"}, "ss": {"SS": ["a", "b"]}})j",
        R"j({"a": {"N": "1"}, "n": {"N": "2"}, "ss": {"SS": ["b"]}})j");
    row("clauses in any order", "DELETE ss :ssa ADD n :one REMOVE b SET a = :one",
        R"j({"b": {"N": "1"}, "n": {"N": "1"}, "ss": {"SS": ["a", "b"]}})j",
        R"j({"a": {"N": "1"}, "n": {"N": "2"}, "ss": {"SS": ["b"]}})j");
    row("set reads before remove", "SET a = b REMOVE b", R"j({"b": {"N": "7"}})j",
        R"j({"a": {"N": "7"}})j");
}

void TestDdbExpression::updateApplies()
{
    QFETCH(QString, expression);
    QFETCH(QByteArray, item);
    QFETCH(QByteArray, expected);
    const Json names = json(B(R"j({"#n": "n", "#name": "name"})j"));
    const Json values = json(kUpdateValues);
    DdbExpressionContext ctx {&names, &values, {}, {}};
    const auto update = DdbUpdate::parse(expression, ctx);
    QVERIFY2(update, update ? "" : qPrintable(update.error().message));
    const auto out = update->apply(json(item));
    QVERIFY2(out, out ? "" : qPrintable(out.error().message));
    QVERIFY2(*out == json(expected), toJsonBytes(*out).constData());
}

void TestDdbExpression::updateErrors_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QString>("message");
    auto row = [](const char *expression, const QString &message) {
        QTest::newRow(expression) << QString::fromUtf8(expression) << message;
    };
    const auto once = [](const char *clause) {
        return QStringLiteral("The \"%1\" section can only be used once in an update expression;")
            .arg(QString::fromUtf8(clause));
    };
    const auto addDelete = [](const char *op, const char *type) {
        return QStringLiteral("Incorrect operand type for operator or function; operator: %1, "
                              "operand type: %2, typeSet: ALLOWED_FOR_%1_OPERAND")
            .arg(QString::fromUtf8(op), QString::fromUtf8(type));
    };
    row("", QStringLiteral("The expression can not be empty;"));
    row("SET a = :one SET b = :two", once("SET"));
    row("REMOVE a SET b = :one REMOVE c", once("REMOVE"));
    row("ADD a :one ADD b :one", once("ADD"));
    row("DELETE a :ssa DELETE b :ssa", once("DELETE"));
    row("SET a = :one, a = :two", overlap(QStringLiteral("[a]"), QStringLiteral("[a]")));
    row("SET a = :one REMOVE a", overlap(QStringLiteral("[a]"), QStringLiteral("[a]")));
    row("SET a.b = :one REMOVE a", overlap(QStringLiteral("[a, b]"), QStringLiteral("[a]")));
    row("SET #n = :one ADD n :one", overlap(QStringLiteral("[n]"), QStringLiteral("[n]")));
    row("REMOVE l[0], l[0]", overlap(QStringLiteral("[l, [0]]"), QStringLiteral("[l, [0]]")));
    row("SET a[0] = :one, a.b = :two",
        conflict(QStringLiteral("[a, [0]]"), QStringLiteral("[a, b]")));
    row("SET a = size(b)",
        QStringLiteral("The function is not allowed in an update expression; function: size"));
    row("SET a = attribute_exists(b)",
        QStringLiteral("The function is not allowed in an update "
                       "expression; function: attribute_exists"));
    row("SET a = foo(b)", QStringLiteral("Invalid function name; function: foo"));
    row("SET a = list_append(list_append(a, :list), :list)",
        misused(QStringLiteral("list_append")));
    row("SET a = :one + :s", operandType(QStringLiteral("+"), QStringLiteral("S")));
    row("SET a = b - :list", operandType(QStringLiteral("-"), QStringLiteral("L")));
    row("SET a = list_append(:one, l)",
        operandType(QStringLiteral("list_append"), QStringLiteral("N")));
    row("SET a = if_not_exists(:one, a)",
        QStringLiteral(
            "Operator or function requires a document path; operator or function: if_not_exists"));
    row("SET a = if_not_exists(a)", operandCount(QStringLiteral("if_not_exists"), 1));
    row("SET a = list_append(l)", operandCount(QStringLiteral("list_append"), 1));
    row("ADD a :s", addDelete("ADD", "STRING"));
    row("ADD a :list", addDelete("ADD", "LIST"));
    row("ADD a :bool", addDelete("ADD", "BOOLEAN"));
    row("DELETE a :one", addDelete("DELETE", "NUMBER"));
    row("DELETE a :s", addDelete("DELETE", "STRING"));
    row("SET a = :nope", undefinedValue(QStringLiteral(":nope")));
    row("ADD a :nope", undefinedValue(QStringLiteral(":nope")));
    row("SET #nope = :one", undefinedName(QStringLiteral("#nope")));
    row("SET a = #nope", undefinedName(QStringLiteral("#nope")));
    row("REMOVE #nope", undefinedName(QStringLiteral("#nope")));
    row("SET select = :one", reserved(QStringLiteral("select")));
    row("REMOVE m.comment", reserved(QStringLiteral("comment")));
    row("SET a = :one + :one + :one",
        syntaxError(QStringLiteral("+"), QStringLiteral(":one + :one")));
    row("SET a", syntaxError(QStringLiteral("<EOF>"), QStringLiteral("a")));
    row("SET a = :one,", syntaxError(QStringLiteral("<EOF>"), QStringLiteral(",")));
    row("REMOVE a = :one", syntaxError(QStringLiteral("="), QStringLiteral("a = :one")));
    row("ADD a", syntaxError(QStringLiteral("<EOF>"), QStringLiteral("a")));
    row("ADD a b", syntaxError(QStringLiteral("b"), QStringLiteral("a b")));
    row("DELETE a", syntaxError(QStringLiteral("<EOF>"), QStringLiteral("a")));
    row("UPDATE a = :one", syntaxError(QStringLiteral("UPDATE"), QStringLiteral("UPDATE a")));
    row("SET :one = a", syntaxError(QStringLiteral(":one"), QStringLiteral("SET :one =")));
    row("SET a = b = c", syntaxError(QStringLiteral("="), QStringLiteral("b = c")));
    row("SET a = ((b))", QStringLiteral("The expression has redundant parentheses;"));
    row("SET a = :one AND b = :one",
        syntaxError(QStringLiteral("AND"), QStringLiteral(":one AND b")));
    row("SET a[2147483648] = :one",
        QStringLiteral("List index is not within the allowable range; index: [2147483648]"));
}

void TestDdbExpression::updateErrors()
{
    QFETCH(QString, expression);
    QFETCH(QString, message);
    const Json names = json(B(R"j({"#n": "n"})j"));
    const Json values = json(kUpdateValues);
    DdbExpressionContext ctx {&names, &values, {}, {}};
    const auto update = DdbUpdate::parse(expression, ctx);
    QVERIFY(!update);
    QCOMPARE(update.error().code, kValidation);
    QCOMPARE(update.error().message, prefixed(DdbExpressionKind::Update, message));
}

void TestDdbExpression::updateApplyErrors_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QByteArray>("item");
    QTest::addColumn<bool>("itemExists");
    QTest::addColumn<QString>("message"); // empty: applies
    auto row = [](const char *name, const char *expression, const char *item,
                   const QString &message, bool itemExists = true) {
        QTest::newRow(name) << QString::fromUtf8(expression) << B(item) << itemExists << message;
    };
    row("member of gone", "SET a.b = :one", R"j({})j", kInvalidPath);
    row("member of string", "SET a.b = :one", R"j({"a": {"S": "x"}})j", kInvalidPath);
    row("member of list", "SET a.b = :one", R"j({"a": {"L": []}})j", kInvalidPath);
    row("element of map", "SET a[0] = :one", R"j({"a": {"M": {}}})j", kInvalidPath);
    row("element of gone", "SET a[0] = :one", R"j({})j", kInvalidPath);
    row("member of number element", "SET l[0].x = :one", R"j({"l": {"L": [{"N": "1"}]}})j",
        kInvalidPath);
    row("add below gone", "ADD a.b :one", R"j({})j", kInvalidPath);
    row("remove below gone", "REMOVE a.b", R"j({})j", kInvalidPath);
    row("remove below gone in new item", "REMOVE a.b", R"j({})j", QString(), false);
    row("read gone", "SET a = b", R"j({})j", kMissingAttribute);
    row("arithmetic on gone", "SET n = n + :one", R"j({})j", kMissingAttribute);
    row("list_append of gone", "SET l = list_append(l, :list)", R"j({})j", kMissingAttribute);
    row("arithmetic on string", "SET n = n + :one", R"j({"n": {"S": "x"}})j", kIncorrectType);
    row("list_append of string", "SET l = list_append(l, :list)", R"j({"l": {"S": "x"}})j",
        kIncorrectType);
    row("add to string", "ADD s :one", R"j({"s": {"S": "x"}})j", kIncorrectType);
    row("add number to set", "ADD ss :one", R"j({"ss": {"SS": ["a"]}})j", kIncorrectType);
    row("add set of other type", "ADD ss :ns", R"j({"ss": {"SS": ["a"]}})j", kIncorrectType);
    row("add set to number", "ADD n :ssa", R"j({"n": {"N": "1"}})j", kIncorrectType);
    row("delete from other type", "DELETE ss :ns", R"j({"ss": {"SS": ["a"]}})j", kIncorrectType);
    row("delete from string", "DELETE s :ssa", R"j({"s": {"S": "a"}})j", kIncorrectType);
    row("overflow", "SET n = n + :big", R"j({"n": {"N": "9E+125"}})j",
        QStringLiteral("Number overflow. Attempting to store a number with magnitude larger than "
                       "supported range"));
    row("invalid path before gone", "SET a = b, c.d = :one", R"j({})j", kInvalidPath);
}

void TestDdbExpression::updateApplyErrors()
{
    QFETCH(QString, expression);
    QFETCH(QByteArray, item);
    QFETCH(bool, itemExists);
    QFETCH(QString, message);
    const Json values = json(kUpdateValues);
    DdbExpressionContext ctx {nullptr, &values, {}, {}};
    const auto update = DdbUpdate::parse(expression, ctx);
    QVERIFY2(update, update ? "" : qPrintable(update.error().message));
    const auto out = update->apply(json(item), itemExists);
    if (message.isEmpty()) {
        QVERIFY2(out, out ? "" : qPrintable(out.error().message));
        QVERIFY(*out == json(item));
        return;
    }
    QVERIFY2(!out, out ? toJsonBytes(*out).constData() : "");
    QCOMPARE(out.error().code, kValidation);
    QCOMPARE(out.error().message, message);
}

void TestDdbExpression::updateNames()
{
    const Json names = json(B(R"j({"#a": "a", "#b": "b"})j"));
    const Json values = json(kUpdateValues);
    DdbExpressionContext ctx {&names, &values, {}, {}};
    const auto update = DdbUpdate::parse(
        QStringLiteral("SET #a.x = if_not_exists(c, :one) + :two, q = list_append(d.e, :list) "
                       "REMOVE #a.y, l[0] ADD #b.z :one"),
        ctx);
    QVERIFY2(update, update ? "" : qPrintable(update.error().message));
    QCOMPARE(update->updatedTopLevelNames(),
        QStringList(
            {QStringLiteral("a"), QStringLiteral("q"), QStringLiteral("l"), QStringLiteral("b")}));
    QStringList written;
    for (const DdbPath &path : update->updatedPaths())
        written.append(ddbPathText(path));
    QCOMPARE(written,
        QStringList({QStringLiteral("[a, x]"), QStringLiteral("[q]"), QStringLiteral("[a, y]"),
            QStringLiteral("[l, [0]]"), QStringLiteral("[b, z]")}));
    QStringList read;
    for (const DdbPath &path : update->readPaths())
        read.append(ddbPathText(path));
    QCOMPARE(read, QStringList({QStringLiteral("[c]"), QStringLiteral("[d, e]")}));
    QCOMPARE(ctx.usedNames, QSet<QString>({QStringLiteral("#a"), QStringLiteral("#b")}));
    QCOMPARE(ctx.usedValues,
        QSet<QString>({QStringLiteral(":one"), QStringLiteral(":two"), QStringLiteral(":list")}));
    // A default-constructed update changes nothing.
    const Json item = json(B(R"j({"a": {"N": "1"}})j"));
    QVERIFY(*DdbUpdate().apply(item) == item);
}

// ---- Placeholders ----

void TestDdbExpression::unusedPlaceholders_data()
{
    QTest::addColumn<QByteArray>("names");
    QTest::addColumn<QByteArray>("values");
    QTest::addColumn<QString>("condition");
    QTest::addColumn<QString>("update");
    QTest::addColumn<QString>("message");
    const auto unused = [](const char *map, const char *keys) {
        return QStringLiteral("Value provided in %1 unused in expressions: keys: {%2}")
            .arg(QString::fromUtf8(map), QString::fromUtf8(keys));
    };
    QTest::newRow("all used") << B(R"j({"#a": "a"})j") << B(R"j({":v": {"N": "1"}})j")
                              << QStringLiteral("#a = :v") << QString() << QString();
    QTest::newRow("no maps") << B("null") << B("null") << QStringLiteral("attribute_exists(a)")
                             << QString() << QString();
    QTest::newRow("unused name") << B(R"j({"#a": "a", "#b": "b"})j") << B(R"j({":v": {"N": "1"}})j")
                                 << QStringLiteral("#a = :v") << QString()
                                 << unused("ExpressionAttributeNames", "#b");
    QTest::newRow("unused value") << B(R"j({"#a": "a"})j")
                                  << B(R"j({":v": {"N": "1"}, ":w": {"N": "2"}})j")
                                  << QStringLiteral("#a = :v") << QString()
                                  << unused("ExpressionAttributeValues", ":w");
    QTest::newRow("names before values")
        << B(R"j({"#a": "a", "#b": "b"})j") << B(R"j({":v": {"N": "1"}, ":w": {"N": "2"}})j")
        << QStringLiteral("#a = :v") << QString() << unused("ExpressionAttributeNames", "#b");
    QTest::newRow("Java HashSet order")
        << B(R"j({"#a": "a", "#b": "b", "#c": "c", "#d": "d"})j") << B("null")
        << QStringLiteral("attribute_exists(#d)") << QString()
        << unused("ExpressionAttributeNames", "#c, #a, #b");
    QTest::newRow("used across expressions")
        << B(R"j({"#a": "a", "#b": "b"})j") << B(R"j({":v": {"N": "1"}, ":w": {"N": "2"}})j")
        << QStringLiteral("#a = :v") << QStringLiteral("SET #b = :w") << QString();
    QTest::newRow("unused across expressions")
        << B(R"j({"#a": "a", "#b": "b"})j") << B(R"j({":v": {"N": "1"}, ":w": {"N": "2"}})j")
        << QStringLiteral("#a = :v") << QStringLiteral("SET b = :w")
        << unused("ExpressionAttributeNames", "#b");
    QTest::newRow("used only as a path in an update")
        << B(R"j({"#a": "a"})j") << B(R"j({":v": {"N": "1"}})j") << QString()
        << QStringLiteral("REMOVE #a ADD b :v") << QString();
}

void TestDdbExpression::unusedPlaceholders()
{
    QFETCH(QByteArray, names);
    QFETCH(QByteArray, values);
    QFETCH(QString, condition);
    QFETCH(QString, update);
    QFETCH(QString, message);
    const Json namesJson = json(names);
    const Json valuesJson = json(values);
    DdbExpressionContext ctx {namesJson.is_null() ? nullptr : &namesJson,
        valuesJson.is_null() ? nullptr : &valuesJson, {}, {}};
    QVERIFY(checkExpressionAttributeMaps(ctx));
    if (!update.isEmpty()) {
        const auto parsed = DdbUpdate::parse(update, ctx);
        QVERIFY2(parsed, parsed ? "" : qPrintable(parsed.error().message));
    }
    if (!condition.isEmpty()) {
        const auto parsed = DdbCondition::parse(condition, ctx);
        QVERIFY2(parsed, parsed ? "" : qPrintable(parsed.error().message));
    }
    const auto r = checkAllUsed(ctx);
    if (message.isEmpty()) {
        QVERIFY2(r, r ? "" : qPrintable(r.error().message));
        return;
    }
    QVERIFY(!r);
    QCOMPARE(r.error().code, kValidation);
    QCOMPARE(r.error().message, message);
}

void TestDdbExpression::attributeMaps_data()
{
    QTest::addColumn<QByteArray>("names");
    QTest::addColumn<QByteArray>("values");
    QTest::addColumn<QString>("message");
    QTest::newRow("valid") << B(R"j({"#a_1": "x", "#B": "y"})j") << B(R"j({":v_1": {"N": "1"}})j")
                           << QString();
    QTest::newRow("absent") << B("null") << B("null") << QString();
    QTest::newRow("empty names") << B("{}") << B("null")
                                 << QStringLiteral("ExpressionAttributeNames must not be empty");
    QTest::newRow("empty values") << B("null") << B("{}")
                                  << QStringLiteral("ExpressionAttributeValues must not be empty");
    QTest::newRow("name without #")
        << B(R"j({"a": "x"})j") << B("null")
        << QStringLiteral(
               "ExpressionAttributeNames contains invalid key: Syntax error; key: \"a\"");
    QTest::newRow("name with dash")
        << B(R"j({"#a-b": "x"})j") << B("null")
        << QStringLiteral(
               "ExpressionAttributeNames contains invalid key: Syntax error; key: \"#a-b\"");
    QTest::newRow("bare #") << B(R"j({"#": "x"})j") << B("null")
                            << QStringLiteral("ExpressionAttributeNames contains invalid key: "
                                              "Syntax error; key: \"#\"");
    QTest::newRow("empty name")
        << B(R"j({"#a": ""})j") << B("null")
        << QStringLiteral(
               "ExpressionAttributeNames contains invalid value: Empty attribute name for key #a");
    QTest::newRow("value without :")
        << B("null") << B(R"j({"v": {"N": "1"}})j")
        << QStringLiteral(
               "ExpressionAttributeValues contains invalid key: Syntax error; key: \"v\"");
    QTest::newRow("value not an object")
        << B("null") << B(R"j({":v": "x"})j")
        << QStringLiteral("ExpressionAttributeValues contains invalid value: Supplied "
                          "AttributeValue is empty, must contain exactly one of the supported "
                          "datatypes for key :v");
}

void TestDdbExpression::attributeMaps()
{
    QFETCH(QByteArray, names);
    QFETCH(QByteArray, values);
    QFETCH(QString, message);
    const Json namesJson = json(names);
    const Json valuesJson = json(values);
    const DdbExpressionContext ctx {namesJson.is_null() ? nullptr : &namesJson,
        valuesJson.is_null() ? nullptr : &valuesJson, {}, {}};
    const auto r = checkExpressionAttributeMaps(ctx);
    if (message.isEmpty()) {
        QVERIFY2(r, r ? "" : qPrintable(r.error().message));
        return;
    }
    QVERIFY(!r);
    QCOMPARE(r.error().code, kValidation);
    QCOMPARE(r.error().message, message);
}

void TestDdbExpression::reservedWords_data()
{
    QTest::addColumn<QString>("word");
    QTest::addColumn<bool>("reserved");
    auto row = [](const char *word, bool isReserved) {
        QTest::newRow(word) << QString::fromUtf8(word) << isReserved;
    };
    row("ABORT", true);
    row("ZONE", true);
    row("name", true);
    row("Name", true);
    row("status", true);
    row("TTL", true);
    row("CURRENT", true);
    row("SPECIFICTYPE", true);
    row("LOCALTIMESTAMP", true);
    row("size", false);
    row("convert", false);
    row("names1", false);
    row("foo", false);
    row("nam", false);
    row("", false);
    row("abortx", false);
    row("ÁBORT", false);
}

void TestDdbExpression::reservedWords()
{
    QFETCH(QString, word);
    QFETCH(bool, reserved);
    QCOMPARE(ddbIsReservedWord(word), reserved);
}

void TestDdbExpression::pathText()
{
    DdbPath path;
    QCOMPARE(ddbPathText(path), QStringLiteral("[]"));
    path.push_back({QStringLiteral("a"), "a", -1});
    path.push_back({QString(), std::string(), 3});
    path.push_back({QStringLiteral("b.c"), "b.c", -1});
    QCOMPARE(ddbPathText(path), QStringLiteral("[a, [3], b.c]"));
    QCOMPARE(ddbExpressionParameter(DdbExpressionKind::KeyCondition),
        QStringLiteral("KeyConditionExpression"));
}

QTEST_GUILESS_MAIN(TestDdbExpression)
#include "tst_ddbexpression.moc"
