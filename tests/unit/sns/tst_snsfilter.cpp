// SnsFilterPolicy: SNS subscription filter policies, one table per operator from AWS's
// documented examples (sns-message-filtering, string-value-matching, numeric-value-matching,
// attribute-key-matching, and-or-logic, subscription-filter-policy-constraints), in attribute
// and in body scope; how attributes of each type are matched; and the policies SNS refuses,
// with the messages AWS answered them with.
#include "services/sns/snsfilter.h"

#include <QTest>

using namespace tarmac;

class TestSnsFilter : public QObject
{
    Q_OBJECT

    // One row of a matching table: the policy parses in its scope and passes the message, or not.
    void match();

private slots:
    void exact_data();
    void exact();
    void prefix_data();
    void prefix();
    void suffix_data();
    void suffix();
    void equalsIgnoreCase_data();
    void equalsIgnoreCase();
    void anythingBut_data();
    void anythingBut();
    void numeric_data();
    void numeric();
    void exists_data();
    void exists();
    void cidr_data();
    void cidr();
    void orOperator_data();
    void orOperator();
    void attributeTypes_data();
    void attributeTypes();
    void bodyScope_data();
    void bodyScope();
    void emptyPolicy();
    void accepted_data();
    void accepted();
    void invalid_data();
    void invalid();
    void notJson();
    void scope();
};

namespace {

using Scope = SnsFilterPolicy::Scope;

void matchColumns()
{
    QTest::addColumn<bool>("inBody");
    QTest::addColumn<QByteArray>("policy");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<bool>("matches");
}

// Attribute scope: `attributes` as the docs write them, {"name": {"Type": ..., "Value": ...}}.
void attr(const char *name, const char *policy, const char *attributes, bool matches)
{
    QTest::newRow(name) << false << QByteArray(policy) << QByteArray(attributes) << matches;
}

// Body scope: `message` is the published message.
void body(const char *name, const char *policy, const char *message, bool matches)
{
    QTest::newRow(name) << true << QByteArray(policy) << QByteArray(message) << matches;
}

SnsFilterPolicy::Attributes attributesOf(const QByteArray &text)
{
    SnsFilterPolicy::Attributes attributes;
    const auto json = parseJson(text);
    if (!json || !json->is_object())
        return attributes;
    for (auto it = json->begin(); it != json->end(); ++it) {
        const Json &attribute = it.value();
        const auto type = attribute.find("Type");
        const auto value = attribute.find("Value");
        if (type == attribute.end() || !type->is_string() || value == attribute.end())
            continue;
        // The docs write some values as JSON numbers; Publish sends every value as a string.
        attributes.insert(fromStd(it.key()),
            {fromStd(type->get<std::string>()),
                value->is_string() ? fromStd(value->get<std::string>()) : fromStd(value->dump())});
    }
    return attributes;
}

QByteArray errorOf(const Result<SnsFilterPolicy> &p)
{
    return p ? QByteArray() : p.error().message.toUtf8();
}

QString nValues(int n)
{
    QString list;
    for (int i = 0; i < n; ++i)
        list += (i ? QStringLiteral(", ") : QString()) + QStringLiteral("\"value%1\"").arg(i);
    return QLatin1Char('[') + list + QLatin1Char(']');
}

const QString kPrefix = QStringLiteral("Invalid parameter: FilterPolicy: ");

} // namespace

void TestSnsFilter::match()
{
    QFETCH(bool, inBody);
    QFETCH(QByteArray, policy);
    QFETCH(QByteArray, input);
    QFETCH(bool, matches);
    const auto p
        = SnsFilterPolicy::parse(policy, inBody ? Scope::MessageBody : Scope::MessageAttributes);
    QVERIFY2(p, errorOf(p).constData());
    QCOMPARE(p->scope(), inBody ? Scope::MessageBody : Scope::MessageAttributes);
    if (inBody)
        QCOMPARE(p->matches({}, input), matches);
    else
        QCOMPARE(p->matches(attributesOf(input), QByteArrayLiteral("message")), matches);
}

// string-value-matching (exact), and-or-logic (AND of keys, OR of a list's values).
void TestSnsFilter::exact_data()
{
    matchColumns();
    const char *interests = R"({"customer_interests": ["rugby", "tennis"]})";
    attr("doc: rugby", interests, R"({"customer_interests": {"Type": "String", "Value": "rugby"}})",
        true);
    attr("doc: tennis", interests,
        R"({"customer_interests": {"Type": "String", "Value": "tennis"}})", true);
    attr("doc: array", interests,
        R"({"customer_interests": {"Type": "String.Array", "Value": "[\"rugby\", \"tennis\"]"}})",
        true);
    attr("doc: baseball", interests,
        R"({"customer_interests": {"Type": "String", "Value": "baseball"}})", false);
    attr("doc: baseball array", interests,
        R"({"customer_interests": {"Type": "String.Array", "Value": "[\"baseball\"]"}})", false);
    body("doc: body rugby", interests, R"({"customer_interests": "rugby"})", true);
    body("doc: body tennis", interests, R"({"customer_interests": "tennis"})", true);
    body("doc: body baseball", interests, R"({"customer_interests": "baseball"})", false);
    attr("case sensitive", interests,
        R"({"customer_interests": {"Type": "String", "Value": "Rugby"}})", false);
    attr(
        "absent attribute", interests, R"({"other": {"Type": "String", "Value": "rugby"}})", false);
    attr("no attributes", interests, "{}", false);
    attr("other attributes are ignored", interests,
        R"({"customer_interests": {"Type": "String", "Value": "rugby"},
            "other": {"Type": "String", "Value": "x"}})",
        true);
    attr("number", R"({"price": [301.5]})", R"({"price": {"Type": "Number", "Value": "3.015e2"}})",
        true);
    attr("integer meets decimal", R"({"price": [100]})",
        R"({"price": {"Type": "Number", "Value": "100.0"}})", true);
    attr("number is not a string", R"({"price": [100]})",
        R"({"price": {"Type": "String", "Value": "100"}})", false);
    attr("string is not a number", R"({"price": ["100"]})",
        R"({"price": {"Type": "Number", "Value": "100"}})", false);
    body("true", R"({"flag": [true]})", R"({"flag": true})", true);
    body("true is not a string", R"({"flag": [true]})", R"({"flag": "true"})", false);
    body("null", R"({"v": [null]})", R"({"v": null})", true);
    body("null is not absent", R"({"v": [null]})", "{}", false);
    const char *andPolicy
        = R"({"customer_interests": ["rugby"], "price_usd": [{"numeric": [">", 100]}]})";
    attr("doc: AND both", andPolicy,
        R"({"customer_interests": {"Type": "String", "Value": "rugby"},
            "price_usd": {"Type": "Number", "Value": "150"}})",
        true);
    attr("doc: AND one", andPolicy,
        R"({"customer_interests": {"Type": "String", "Value": "rugby"},
            "price_usd": {"Type": "Number", "Value": "50"}})",
        false);
    body("doc: AND body", andPolicy, R"({"customer_interests": "rugby", "price_usd": 101})", true);
    body("doc: AND body one", andPolicy, R"({"customer_interests": "rugby"})", false);
    const char *orPolicy = R"({"customer_interests": ["rugby", "football", "baseball"]})";
    attr("doc: OR of values", orPolicy,
        R"({"customer_interests": {"Type": "String", "Value": "football"}})", true);
    attr("doc: OR of values, none", orPolicy,
        R"({"customer_interests": {"Type": "String", "Value": "tennis"}})", false);
}

void TestSnsFilter::exact()
{
    match();
}

void TestSnsFilter::prefix_data()
{
    matchColumns();
    const char *bas = R"({"customer_interests": [{"prefix": "bas"}]})";
    attr("doc: baseball", bas, R"({"customer_interests": {"Type": "String", "Value": "baseball"}})",
        true);
    attr("doc: basketball", bas,
        R"({"customer_interests": {"Type": "String", "Value": "basketball"}})", true);
    attr("doc: rugby", bas, R"({"customer_interests": {"Type": "String", "Value": "rugby"}})",
        false);
    body("doc: body baseball", bas, R"({"customer_interests": "baseball"})", true);
    body("doc: body rugby", bas, R"({"customer_interests": "rugby"})", false);
    attr("array element", bas,
        R"({"customer_interests": {"Type": "String.Array", "Value": "[\"rugby\", \"bass\"]"}})",
        true);
    attr("case sensitive", bas, R"({"customer_interests": {"Type": "String", "Value": "Bass"}})",
        false);
    attr("not a number", R"({"n": [{"prefix": "12"}]})",
        R"({"n": {"Type": "Number", "Value": "123"}})", false);
    attr("absent", bas, "{}", false);
}

void TestSnsFilter::prefix()
{
    match();
}

void TestSnsFilter::suffix_data()
{
    matchColumns();
    const char *ball = R"({"customer_interests": [{"suffix": "ball"}]})";
    attr("baseball", ball, R"({"customer_interests": {"Type": "String", "Value": "baseball"}})",
        true);
    attr("rugby", ball, R"({"customer_interests": {"Type": "String", "Value": "rugby"}})", false);
    attr("case sensitive", ball,
        R"({"customer_interests": {"Type": "String", "Value": "BASEBALL"}})", false);
    body("body football", ball, R"({"customer_interests": "football"})", true);
    body("body tennis", ball, R"({"customer_interests": "tennis"})", false);
    body("body list", ball, R"({"customer_interests": ["tennis", "handball"]})", true);
}

void TestSnsFilter::suffix()
{
    match();
}

void TestSnsFilter::equalsIgnoreCase_data()
{
    matchColumns();
    const char *rugby = R"({"customer_interests": [{"equals-ignore-case": "RUGBY"}]})";
    attr("lower case", rugby, R"({"customer_interests": {"Type": "String", "Value": "rugby"}})",
        true);
    attr("mixed case", rugby, R"({"customer_interests": {"Type": "String", "Value": "RuGbY"}})",
        true);
    attr("other", rugby, R"({"customer_interests": {"Type": "String", "Value": "rugby league"}})",
        false);
    body("body", rugby, R"({"customer_interests": "Rugby"})", true);
    body("body other", rugby, R"({"customer_interests": "tennis"})", false);
}

void TestSnsFilter::equalsIgnoreCase()
{
    match();
}

// string-value-matching and numeric-value-matching (anything-but).
void TestSnsFilter::anythingBut_data()
{
    matchColumns();
    const char *notRugby = R"({"customer_interests": [{"anything-but": ["rugby", "tennis"]}]})";
    attr("doc: baseball", notRugby,
        R"({"customer_interests": {"Type": "String", "Value": "baseball"}})", true);
    attr("doc: football", notRugby,
        R"({"customer_interests": {"Type": "String", "Value": "football"}})", true);
    attr("doc: array with another value", notRugby,
        R"({"customer_interests": {"Type": "String.Array", "Value": "[\"rugby\", \"baseball\"]"}})",
        true);
    attr("doc: rugby", notRugby, R"({"customer_interests": {"Type": "String", "Value": "rugby"}})",
        false);
    body("doc: body baseball", notRugby, R"({"customer_interests": "baseball"})", true);
    body("doc: body list with another value", notRugby,
        R"({"customer_interests": ["rugby", "baseball"]})", true);
    body("doc: body list of rugby", notRugby, R"({"customer_interests": ["rugby"]})", false);
    attr("absent", notRugby, "{}", false);
    const char *orAbsent
        = R"({"customer_interests": [{"anything-but": ["rugby"]}, {"exists": false}]})";
    attr("with exists false: absent", orAbsent, "{}", true);
    attr("with exists false: rugby", orAbsent,
        R"({"customer_interests": {"Type": "String", "Value": "rugby"}})", false);
    attr("single value", R"({"s": [{"anything-but": "test"}]})",
        R"({"s": {"Type": "String", "Value": "test"}})", false);
    attr("single value, other", R"({"s": [{"anything-but": "test"}]})",
        R"({"s": {"Type": "String", "Value": "test2"}})", true);
    const char *price = R"({"price": [{"anything-but": [100, 500]}]})";
    attr("doc: 101", price, R"({"price": {"Type": "Number", "Value": 101}})", true);
    attr("doc: 100.1", price, R"({"price": {"Type": "Number", "Value": 100.1}})", true);
    attr("doc: 100", price, R"({"price": {"Type": "Number", "Value": 100}})", false);
    attr("100.0 is 100", price, R"({"price": {"Type": "Number", "Value": "100.0"}})", false);
    body("doc: body 101", price, R"({"price": 101})", true);
    body("doc: body list with another value", price, R"({"price": [100, 50]})", true);
    body("doc: body 100", price, R"({"price": 100})", false);
    const char *order = R"({"event": [{"anything-but": {"prefix": "order-"}}]})";
    attr("doc: prefix, data-entry", order,
        R"({"event": {"Type": "String", "Value": "data-entry"}})", true);
    attr("doc: prefix, order_number", order,
        R"({"event": {"Type": "String", "Value": "order_number"}})", true);
    attr("doc: prefix, order-cancelled", order,
        R"({"event": {"Type": "String", "Value": "order-cancelled"}})", false);
    body("doc: prefix, body data-entry", order, R"({"event": "data-entry"})", true);
    body("doc: prefix, body order-cancelled", order, R"({"event": "order-cancelled"})", false);
}

void TestSnsFilter::anythingBut()
{
    match();
}

// numeric-value-matching.
void TestSnsFilter::numeric_data()
{
    matchColumns();
    const char *equals = R"({"price_usd": [{"numeric": ["=", 301.5]}]})";
    attr("doc: =", equals, R"({"price_usd": {"Type": "Number", "Value": 301.5}})", true);
    attr("doc: = exponent", equals, R"({"price_usd": {"Type": "Number", "Value": "3.015e2"}})",
        true);
    attr("= other", equals, R"({"price_usd": {"Type": "Number", "Value": "301.6"}})", false);
    body("doc: body =", equals, R"({"price_usd": 301.5})", true);
    body("doc: body = exponent", equals, R"({"price_usd": 3.015e2})", true);
    body("body = other", equals, R"({"price_usd": 301})", false);
    const char *negative = R"({"price_usd": [{"numeric": ["<", 0]}]})";
    attr("doc: < 0", negative, R"({"price_usd": {"Type": "Number", "Value": "-1"}})", true);
    attr("doc: < 0, zero", negative, R"({"price_usd": {"Type": "Number", "Value": "0"}})", false);
    const char *range = R"({"price_usd": [{"numeric": [">", 0, "<=", 150]}]})";
    attr("doc: range top", range, R"({"price_usd": {"Type": "Number", "Value": "150"}})", true);
    attr("doc: range inside", range, R"({"price_usd": {"Type": "Number", "Value": "0.5"}})", true);
    attr(
        "doc: range above", range, R"({"price_usd": {"Type": "Number", "Value": "150.1"}})", false);
    attr("doc: range bottom", range, R"({"price_usd": {"Type": "Number", "Value": "0"}})", false);
    body("body range", range, R"({"price_usd": 99})", true);
    body("body range above", range, R"({"price_usd": 151})", false);
    attr(">=", R"({"n": [{"numeric": [">=", 10]}]})", R"({"n": {"Type": "Number", "Value": "10"}})",
        true);
    attr("<=", R"({"n": [{"numeric": ["<=", 10]}]})", R"({"n": {"Type": "Number", "Value": "11"}})",
        false);
    attr("array element", range, R"({"price_usd": {"Type": "String.Array", "Value": "[500, 20]"}})",
        true);
    attr("a string is not a number", range, R"({"price_usd": {"Type": "String", "Value": "20"}})",
        false);
    body("body string is not a number", range, R"({"price_usd": "20"})", false);
    attr("absent", range, "{}", false);
}

void TestSnsFilter::numeric()
{
    match();
}

// attribute-key-matching.
void TestSnsFilter::exists_data()
{
    matchColumns();
    const char *store = R"({"store": [{"exists": true}]})";
    const char *noStore = R"({"store": [{"exists": false}]})";
    const char *withStore = R"({"store": {"Type": "String", "Value": "fans"},
        "customer_interests": {"Type": "String.Array", "Value": "[\"baseball\", \"basketball\"]"}})";
    const char *withoutStore = R"({"customer_interests":
        {"Type": "String.Array", "Value": "[\"baseball\", \"basketball\"]"}})";
    attr("doc: true, present", store, withStore, true);
    attr("doc: true, absent", store, withoutStore, false);
    attr("doc: false, present", noStore, withStore, false);
    attr("doc: false, absent", noStore, withoutStore, true);
    const char *bodyWith = R"({"store": "fans", "customer_interests": ["baseball", "basketball"]})";
    const char *bodyWithout = R"({"customer_interests": ["baseball", "basketball"]})";
    body("doc: body true, present", store, bodyWith, true);
    body("doc: body true, absent", store, bodyWithout, false);
    body("doc: body false, present", noStore, bodyWith, false);
    body("doc: body false, absent", noStore, bodyWithout, true);
    attr("number attribute exists", store, R"({"store": {"Type": "Number", "Value": "1"}})", true);
    attr("binary attribute is ignored", store, R"({"store": {"Type": "Binary", "Value": "AAEC"}})",
        false);
    attr("binary attribute is absent", noStore, R"({"store": {"Type": "Binary", "Value": "AAEC"}})",
        true);
    body("nested, absent parent", R"({"a": {"b": [{"exists": false}]}})", "{}", true);
    body("nested, present", R"({"a": {"b": [{"exists": true}]}})", R"({"a": {"b": 1}})", true);
}

void TestSnsFilter::exists()
{
    match();
}

// string-value-matching (IP address matching).
void TestSnsFilter::cidr_data()
{
    matchColumns();
    const char *subnet = R"({"source_ip": [{"cidr": "10.0.0.0/24"}]})";
    attr("doc: first", subnet, R"({"source_ip": {"Type": "String", "Value": "10.0.0.0"}})", true);
    attr("doc: last", subnet, R"({"source_ip": {"Type": "String", "Value": "10.0.0.255"}})", true);
    attr(
        "doc: outside", subnet, R"({"source_ip": {"Type": "String", "Value": "10.1.1.0"}})", false);
    body("doc: body first", subnet, R"({"source_ip": "10.0.0.0"})", true);
    body("doc: body outside", subnet, R"({"source_ip": "10.1.1.0"})", false);
    attr("not an address", subnet, R"({"source_ip": {"Type": "String", "Value": "localhost"}})",
        false);
    const char *v6 = R"({"source_ip": [{"cidr": "2001:db8::/32"}]})";
    attr("IPv6 inside", v6, R"({"source_ip": {"Type": "String", "Value": "2001:db8::1"}})", true);
    attr("IPv6 outside", v6, R"({"source_ip": {"Type": "String", "Value": "2001:db9::1"}})", false);
}

void TestSnsFilter::cidr()
{
    match();
}

// and-or-logic (the "$or" operator).
void TestSnsFilter::orOperator_data()
{
    matchColumns();
    const char *policy = R"({"source": ["aws.cloudwatch"],
        "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]})";
    attr("doc: source and metricName", policy,
        R"({"source": {"Type": "String", "Value": "aws.cloudwatch"},
            "metricName": {"Type": "String", "Value": "CPUUtilization"}})",
        true);
    attr("doc: source and namespace", policy,
        R"({"source": {"Type": "String", "Value": "aws.cloudwatch"},
            "namespace": {"Type": "String", "Value": "AWS/EC2"}})",
        true);
    attr("doc: source only", policy, R"({"source": {"Type": "String", "Value": "aws.cloudwatch"}})",
        false);
    attr("doc: no source", policy,
        R"({"metricName": {"Type": "String", "Value": "CPUUtilization"},
            "namespace": {"Type": "String", "Value": "AWS/EC2"}})",
        false);
    body("doc: body", policy, R"({"source": "aws.cloudwatch", "namespace": "AWS/EC2"})", true);
    body("doc: body neither", policy, R"({"source": "aws.cloudwatch", "namespace": "AWS/ES"})",
        false);
    const char *nested = R"({"detail": {"scope": ["Service"],
        "$or": [{"source": ["aws.cloudwatch"]}, {"type": ["CloudWatch Alarm State Change"]}]}})";
    body("nested", nested,
        R"({"detail": {"scope": "Service", "type": "CloudWatch Alarm State Change"}})", true);
    body("nested, none", nested, R"({"detail": {"scope": "Service", "type": "other"}})", false);
    const char *inner = R"({"a": ["1"], "$or": [{"b": ["2"]},
        {"c": ["3"], "$or": [{"d": ["4"]}, {"e": [{"exists": false}]}]}]})";
    attr("$or in $or", inner,
        R"({"a": {"Type": "String", "Value": "1"}, "c": {"Type": "String", "Value": "3"}})", true);
    attr("$or in $or, none", inner,
        R"({"a": {"Type": "String", "Value": "1"}, "c": {"Type": "String", "Value": "3"},
            "e": {"Type": "String", "Value": "5"}})",
        false);
}

void TestSnsFilter::orOperator()
{
    match();
}

// subscription-filter-policy-constraints: String, String.Array and Number attributes are
// compared (custom types as their base type); Binary ones are ignored.
void TestSnsFilter::attributeTypes_data()
{
    matchColumns();
    attr("Number is a number", R"({"n": [100]})", R"({"n": {"Type": "Number", "Value": "1e2"}})",
        true);
    attr("Number that does not parse is a string", R"({"n": ["12abc"]})",
        R"({"n": {"Type": "Number", "Value": "12abc"}})", true);
    attr("Number that does not parse is no number", R"({"n": [{"numeric": [">", 0]}]})",
        R"({"n": {"Type": "Number", "Value": "12abc"}})", false);
    attr("custom Number", R"({"n": [{"numeric": ["=", 5]}]})",
        R"({"n": {"Type": "Number.float", "Value": "5.0"}})", true);
    attr("custom String", R"({"s": ["x"]})", R"({"s": {"Type": "String.custom", "Value": "x"}})",
        true);
    attr("custom String is a string", R"({"s": [5]})",
        R"({"s": {"Type": "String.custom", "Value": "5"}})", false);
    attr(
        "String is a string", R"({"s": [5]})", R"({"s": {"Type": "String", "Value": "5"}})", false);
    attr("String holding an array is a string", R"({"s": ["a"]})",
        R"({"s": {"Type": "String", "Value": "[\"a\"]"}})", false);
    attr("String.Array of numbers", R"({"n": [{"numeric": [">", 1]}]})",
        R"({"n": {"Type": "String.Array", "Value": "[1, 2]"}})", true);
    attr("String.Array of mixed values", R"({"v": [true]})",
        R"({"v": {"Type": "String.Array", "Value": "[\"a\", 1, true, null]"}})", true);
    attr("String.Array that does not parse is a string", R"({"v": ["[oops"]})",
        R"({"v": {"Type": "String.Array", "Value": "[oops"}})", true);
    attr("String.Array that is not an array is a string", R"({"v": ["a"]})",
        R"({"v": {"Type": "String.Array", "Value": "\"a\""}})", false);
    attr("Binary is not matched", R"({"b": ["AAEC"]})",
        R"({"b": {"Type": "Binary", "Value": "AAEC"}})", false);
    attr("custom Binary is not matched", R"({"b": ["AAEC"]})",
        R"({"b": {"Type": "Binary.png", "Value": "AAEC"}})", false);
    attr("Stringy type is not a String", R"({"s": ["x"]})",
        R"({"s": {"Type": "Stringy", "Value": "x"}})", false);
    attr("dotted attribute name", R"({"a.b": ["x"]})",
        R"({"a.b": {"Type": "String", "Value": "x"}})", true);
}

void TestSnsFilter::attributeTypes()
{
    match();
}

// Payload-based filtering: the body is a JSON object whose nested fields nested keys match.
void TestSnsFilter::bodyScope_data()
{
    matchColumns();
    const char *nested = R"({"store": ["example_corp"],
        "customer": {"interests": [{"prefix": "bas"}], "address": {"country": ["US"]}}})";
    body("nested match", nested,
        R"({"store": "example_corp",
            "customer": {"interests": ["rugby", "basketball"], "address": {"country": "US"}}})",
        true);
    body("nested, deep field differs", nested,
        R"({"store": "example_corp",
            "customer": {"interests": "baseball", "address": {"country": "CA"}}})",
        false);
    body("nested, parent absent", nested, R"({"store": "example_corp"})", false);
    body("nested, parent not an object", nested,
        R"({"store": "example_corp", "customer": "someone"})", false);
    body("nested, top level only is not enough", R"({"customer": {"interests": ["rugby"]}})",
        R"({"interests": "rugby"})", false);
    const char *records = R"({"Records": {"eventName": [{"prefix": "ObjectCreated:"}]}})";
    body("list of objects", records,
        R"({"Records": [{"eventName": "ObjectRemoved:Delete"}, {"eventName": "ObjectCreated:Put"}]})",
        true);
    body("list of objects, none", records,
        R"({"Records": [{"eventName": "ObjectRemoved:Delete"}]})", false);
    body("dotted policy key, nested body", R"({"a.b": ["x"]})", R"({"a": {"b": "x"}})", true);
    body("dotted policy key, dotted body key", R"({"a.b": ["x"]})", R"({"a.b": "x"})", true);
    const char *deep = R"({"key_a": {"key_b": {"key_c": ["value_one", "value_two"]}}})";
    body("doc: three levels", deep, R"({"key_a": {"key_b": {"key_c": "value_two"}}})", true);
    body("doc: three levels, other", deep, R"({"key_a": {"key_b": {"key_c": "value_9"}}})", false);
    body("not JSON", R"({"a": ["x"]})", "a: x", false);
    body("JSON array", R"({"a": [{"exists": false}]})", R"([{"a": "x"}])", false);
    body("JSON string", R"({"a": [{"exists": false}]})", R"("text")", false);
    body("empty message", R"({"a": [{"exists": false}]})", "", false);
    body("exists false on an object body", R"({"a": [{"exists": false}]})", R"({"b": 1})", true);
}

void TestSnsFilter::bodyScope()
{
    match();
}

// message-filtering-policy-remove: `{}` takes the filter away, in either scope.
void TestSnsFilter::emptyPolicy()
{
    for (const Scope scope : {Scope::MessageAttributes, Scope::MessageBody}) {
        const auto p = SnsFilterPolicy::parse(QByteArrayLiteral(" {} "), scope);
        QVERIFY2(p, errorOf(p).constData());
        QCOMPARE(p->scope(), scope);
        QVERIFY(p->matches({}, QByteArrayLiteral("not JSON")));
        QVERIFY(p->matches(attributesOf(R"({"a": {"Type": "String", "Value": "x"}})"),
            QByteArrayLiteral(R"({"a": "x"})")));
    }
}

// Policies at SNS's limits, and operators SNS has, which it takes.
void TestSnsFilter::accepted_data()
{
    QTest::addColumn<bool>("inBody");
    QTest::addColumn<QByteArray>("policy");
    const auto ok = [](const char *name, bool inBody, const QByteArray &policy) {
        QTest::newRow(name) << inBody << policy;
    };
    ok("five keys", false, R"({"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"]})");
    ok("150 values", false, QByteArray(R"({"key": )") + nValues(150).toUtf8() + '}');
    ok("doc: 3 x 1 x 2", false,
        R"({"key_a": ["value_one", "value_two", "value_three"], "key_b": ["value_one"],
            "key_c": ["value_one", "value_two"]})");
    ok("doc: nested 72", true,
        R"({"key_a": {"key_b": {"key_c": ["value_one", "value_two", "value_three", "value_four"]}},
            "key_d": {"key_e": ["value_one", "value_two", "value_three"]}})");
    ok("$or of 150", false,
        R"({"source": ["aws.cloudwatch", "aws.events", "aws.test"],
            "$or": [{"metricName": ["CPUUtilization", "ReadLatency", "TestVal", "TestVal2",
                                    "TestVal3", "TestVal4"]},
                    {"metricType": ["MetricType", "TestType", "TestType2", "TestType3"],
                     "$or": [{"metricId": [1234, 4321, 5678, 9012]},
                             {"spaceId": [1, 2, 3, 4, 5, 6, 7]}]}]})");
    ok("nested keys in body scope", true, R"({"object": {"key": [{"prefix": "auto-"}]}})");
    ok("anything-but prefix", false, R"({"key": [{"anything-but": {"prefix": "test-"}}]})");
    ok("anything-but list", false, R"({"key": [{"anything-but": ["test", "test2"]}]})");
    ok("anything-but value", false, R"({"key": [{"anything-but": "test"}]})");
    ok("every operator", false,
        R"({"a": ["x", 1, true, false, null, {"prefix": "p"}, {"suffix": "s"}],
            "b": [{"equals-ignore-case": "E"}, {"anything-but": [1, 2]}, {"exists": true}],
            "c": [{"numeric": [">=", 0, "<", 1]}, {"cidr": "10.0.0.0/8"}]})");
}

void TestSnsFilter::accepted()
{
    QFETCH(bool, inBody);
    QFETCH(QByteArray, policy);
    const auto p
        = SnsFilterPolicy::parse(policy, inBody ? Scope::MessageBody : Scope::MessageAttributes);
    QVERIFY2(p, errorOf(p).constData());
}

// The policies SNS refuses, with the messages AWS answers (SetSubscriptionAttributes' wording;
// Subscribe puts "Attributes Reason: " before "FilterPolicy: "). Unless a row says body, in the
// default attribute scope.
void TestSnsFilter::invalid_data()
{
    QTest::addColumn<bool>("inBody");
    QTest::addColumn<QByteArray>("policy");
    QTest::addColumn<QString>("message");
    const auto bad = [](const char *name, const QByteArray &policy, const char *reason) {
        QTest::newRow(name) << false << policy << kPrefix + QString::fromUtf8(reason);
    };
    const auto badBody = [](const char *name, const QByteArray &policy, const char *reason) {
        QTest::newRow(name) << true << policy << kPrefix + QString::fromUtf8(reason);
    };
    const QString nestedMessage = QStringLiteral(
        "Invalid parameter: Filter policy scope MessageAttributes does not support nested "
        "filter policy");

    // Structure
    bad("not an object", R"(["key"])", "Filter is not an object");
    bad("value not a list", R"({"key_a": "value_one"})",
        R"("key_a" must be an object or an array)");
    badBody("body value not a list", R"({"key_a": "value_one"})",
        R"("key_a" must be an object or an array)");
    bad("operator outside a list", R"({"key": {"suffix": "value"}})",
        R"("suffix" must be an object or an array)");
    bad("no operator outside a list", R"({"key": {"not-an-operator": "value"}})",
        R"("not-an-operator" must be an object or an array)");
    bad("list in a list", R"({"key": [["value"]]})",
        "Match value must be String, number, true, false, or null");
    bad("empty list", R"({"key": []})", "Empty arrays are not allowed");
    badBody("empty nested object", R"({"key": {}})", "Empty objects are not allowed");
    bad("unknown operator", R"({"key": [{"wrong-operator": true}]})",
        "Unrecognized match type wrong-operator");
    bad("two operators", R"({"key": [{"suffix": "value", "prefix": "value2"}]})",
        "Only one key allowed in match expression");
    QTest::newRow("nested in attribute scope")
        << false << QByteArray(R"({"object": {"key": [{"prefix": "auto-"}]}})") << nestedMessage;
    QTest::newRow("nested in an $or of attribute scope")
        << false << QByteArray(R"({"$or": [{"a": ["1"]}, {"b": {"c": ["2"]}}]})") << nestedMessage;

    // String operators
    bad("suffix number", R"({"key": [{"suffix": 100}]})", "suffix match pattern must be a string");
    bad("suffix null", R"({"key": [{"suffix": null}]})", "suffix match pattern must be a string");
    bad("suffix empty list", R"({"key": [{"suffix": []}]})",
        "suffix match pattern must be a string");
    bad("suffix list", R"({"key": [{"suffix": ["test", "test2"]}]})",
        "suffix match pattern must be a string");
    bad("prefix number", R"({"key": [{"prefix": 1}]})", "prefix match pattern must be a string");
    bad("equals-ignore-case number", R"({"key": [{"equals-ignore-case": 1}]})",
        "equals-ignore-case match pattern must be a string");

    // anything-but
    bad("anything-but of an unknown operator",
        R"({"key": [{"anything-but": {"wrong-operator": null}}]})",
        "Unsupported anything-but pattern: wrong-operator");
    bad("anything-but suffix", R"({"key": [{"anything-but": {"suffix": "test"}}]})",
        "Unsupported anything-but pattern: suffix");
    bad("anything-but exists", R"({"key": [{"anything-but": {"exists": false}}]})",
        "Unsupported anything-but pattern: exists");
    bad("anything-but prefix not a string", R"({"key": [{"anything-but": {"prefix": false}}]})",
        "prefix match pattern must be a string");
    bad("anything-but mixed list", R"({"key": [{"anything-but": ["a", 1]}]})",
        "Inside anything but list, either all values are number or string, mixed type is not "
        "supported");
    bad("anything-but boolean", R"({"key": [{"anything-but": true}]})",
        "Value of anything-but must be an array or single string/number value.");

    // EventBridge's operators that SNS lacks
    bad("wildcard", R"({"key": [{"wildcard": "a*b"}]})", "Unrecognized match type wildcard");
    bad("wildcard of a number", R"({"key": [{"wildcard": 1}]})",
        "Unrecognized match type wildcard");
    bad("anything-but equals-ignore-case",
        R"({"key": [{"anything-but": {"equals-ignore-case": "x"}}]})",
        "Unsupported anything-but pattern: equals-ignore-case");
    bad("anything-but wildcard", R"({"key": [{"anything-but": {"wildcard": "x*"}}]})",
        "Unsupported anything-but pattern: wildcard");
    bad("anything-but prefix list", R"({"key": [{"anything-but": {"prefix": ["a", "b"]}}]})",
        "prefix match pattern must be a string");
    bad("prefix equals-ignore-case", R"({"key": [{"prefix": {"equals-ignore-case": "a"}}]})",
        "prefix match pattern must be a string");
    badBody("suffix equals-ignore-case in a nested key",
        R"({"a": {"key": [{"suffix": {"equals-ignore-case": "a"}}]}})",
        "suffix match pattern must be a string");

    // numeric
    bad("numeric empty", R"({"key": [{"numeric": []}]})", "Invalid member in numeric match: ]");
    bad("numeric wrong operator", R"({"key": [{"numeric": ["operator"]}]})",
        "Unrecognized numeric range operator: operator");
    bad("numeric operator order", R"({"key": [{"numeric": [1, "<="]}]})",
        "Invalid member in numeric match: 1");
    bad("numeric string", R"({"key": [{"numeric": ["=", "000"]}]})",
        "Value of equals must be numeric");
    bad("numeric missing value", R"({"key": [{"numeric": [">="]}]})",
        "Value of >= must be numeric");
    bad("numeric wrong range order", R"({"key": [{"numeric": ["<", 100, ">", 10]}]})",
        "Too many elements in numeric expression");
    bad("numeric wrong range operators", R"({"key": [{"numeric": [">=", 1, ">", 2]}]})",
        "Bad numeric range operator: >");
    bad("numeric wrong value order", R"({"key": [{"numeric": [">", 3, "<", 1]}]})",
        "Bottom must be less than top");
    bad("numeric missing range value", R"({"key": [{"numeric": [">", 20, "<="]}]})",
        "Value of <= must be numeric");
    bad("numeric missing range operator", R"({"key": [{"numeric": [">", 20, 30]}]})",
        "Bad value in numeric range: 30");
    bad("numeric wrong second operator", R"({"key": [{"numeric": [">", 20, "test"]}]})",
        "Bad numeric range operator: test");
    bad("numeric range first string", R"({"key": [{"numeric": [">", "20", "<", "30"]}]})",
        "Value of > must be numeric");
    bad("numeric range second string", R"({"key": [{"numeric": [">", 20, "<", "30"]}]})",
        "Value of < must be numeric");
    bad("numeric too many terms", R"({"key": [{"numeric": [">", 20, "<", 30, "<", 50]}]})",
        "Too many terms in numeric range expression");
    bad("numeric not a list", R"({"key": [{"numeric": 5}]})", "Value of numeric must be an array.");

    // exists
    bad("exists null", R"({"key": [{"exists": null}]})",
        "exists match pattern must be either true or false.");
    bad("exists string", R"({"key": [{"exists": "no"}]})",
        "exists match pattern must be either true or false.");

    // cidr
    bad("cidr list", R"({"key": [{"cidr": ["bad-filter"]}]})",
        "prefix match pattern must be a string");
    bad("cidr without slash", R"({"key": [{"cidr": "bad-filter"}]})",
        "Malformed CIDR, one '/' required");
    bad("cidr not an address", R"({"key": [{"cidr": "bad-filter/64"}]})",
        "Nonstandard IP address: bad-filter");
    bad("cidr mask not a number", R"({"key": [{"cidr": "bad-/64filter"}]})",
        "Malformed CIDR, mask bits must be an integer");
    bad("cidr bad IPv4", R"({"key": [{"cidr": "xx.11.xx/8"}]})",
        "Nonstandard IP address: xx.11.xx");
    bad("cidr bad IPv6", R"({"key": [{"cidr": "xxxx:db8:1234:1a00::/64"}]})",
        "Nonstandard IP address: xxxx:db8:1234:1a00::");

    // $or
    bad("$or not a list", R"({"$or": {"a": ["1"]}})", "It must be an Array followed with $or.");
    bad("$or of one", R"({"$or": [{"a": ["1"]}]})",
        "There must have at least 2 Objects in $or relationship.");
    bad("$or of values", R"({"$or": ["a", "b"]})",
        "Only JSON object is allowed in array of $or relationship.");

    // Limits
    bad("six keys",
        R"({"key1": ["value1"], "key2": ["value2"], "key3": ["value3"], "key4": ["value4"],
            "key5": ["value5"], "key6": ["value6"]})",
        "Filter policy can not have more than 5 keys");
    badBody("six keys in body scope",
        R"({"key_a": ["value_one"], "key_b": ["value_two"], "key_c": ["value_three"],
            "key_d": ["value_four"], "key_e": ["value_five"], "key_f": ["value_six"]})",
        "Filter policy can not have more than 5 keys");
    bad("151 values", QByteArray(R"({"key": )") + nValues(151).toUtf8() + '}',
        "Filter policy is too complex");
    bad("100 x 51 values",
        QByteArray(R"({"key1": )") + nValues(100).toUtf8() + R"(, "key2": )" + nValues(51).toUtf8()
            + '}',
        "Filter policy is too complex");
    badBody("nested 216",
        R"({"key_a": {"key_b": {"key_c": ["value_one", "value_two", "value_three", "value_four"]}},
            "key_d": {"key_e": ["value_one", "value_two", "value_three"]},
            "key_f": ["value_one", "value_two", "value_three"]})",
        "Filter policy is too complex");
    bad("$or of 152",
        R"({"source": ["aws.cloudwatch", "aws.events", "aws.test", "aws.test2"],
            "$or": [{"metricName": ["CPUUtilization", "ReadLatency", "t1", "t2", "t3", "t4"]},
                    {"metricType": ["MetricType", "TestType", "TestType2", "TestType3"],
                     "$or": [{"metricId": [1234, 4321, 5678, 9012]}, {"spaceId": [1, 2, 3, 4]}]}]})",
        "Filter policy is too complex");
    badBody("nested $or of 160",
        R"({"$or": [{"metricName": ["CPUUtilization", "ReadLatency", "TestValue"]},
                    {"namespace": ["AWS/EC2", "AWS/ES"]}],
            "detail": {"scope": ["Service", "Test"],
                       "$or": [{"source": ["aws.cloudwatch"]},
                               {"type": ["CloudWatch Alarm State Change", "TestValue",
                                         "TestValue2"]}]}})",
        "Filter policy is too complex");
}

void TestSnsFilter::invalid()
{
    QFETCH(bool, inBody);
    QFETCH(QByteArray, policy);
    QFETCH(QString, message);
    const auto p
        = SnsFilterPolicy::parse(policy, inBody ? Scope::MessageBody : Scope::MessageAttributes);
    QVERIFY(!p);
    QCOMPARE(p.error().code, QStringLiteral("InvalidParameter"));
    QCOMPARE(p.error().httpStatus, 400);
    QCOMPARE(p.error().message, message);
}

// SNS: "FilterPolicy: failed to parse JSON. " and the parser's reason.
void TestSnsFilter::notJson()
{
    for (const QByteArray &text : {QByteArrayLiteral("{'bad': 'quotation'}"),
             QByteArrayLiteral("{\"not\": closed"), QByteArrayLiteral("invalid"), QByteArray()}) {
        const auto p = SnsFilterPolicy::parse(text, Scope::MessageAttributes);
        QVERIFY(!p);
        QCOMPARE(p.error().code, QStringLiteral("InvalidParameter"));
        QCOMPARE(p.error().httpStatus, 400);
        QVERIFY2(p.error().message.startsWith(
                     kPrefix + QStringLiteral("failed to parse JSON. parse error at ")),
            qPrintable(p.error().message));
    }
}

void TestSnsFilter::scope()
{
    const auto attributes = SnsFilterPolicy::parseScope(QStringLiteral("MessageAttributes"));
    QVERIFY(attributes);
    QCOMPARE(*attributes, Scope::MessageAttributes);
    const auto body = SnsFilterPolicy::parseScope(QStringLiteral("MessageBody"));
    QVERIFY(body);
    QCOMPARE(*body, Scope::MessageBody);
    for (const QString &value :
        {QStringLiteral("RandomValue"), QStringLiteral("messagebody"), QString()}) {
        const auto bad = SnsFilterPolicy::parseScope(value);
        QVERIFY(!bad);
        QCOMPARE(bad.error().code, QStringLiteral("InvalidParameter"));
        QCOMPARE(bad.error().httpStatus, 400);
        QCOMPARE(bad.error().message,
            QStringLiteral(
                "Invalid parameter: Attributes Reason: FilterPolicyScope: Invalid value [")
                + value + QStringLiteral("]. Please use either MessageBody or MessageAttributes"));
    }
}

QTEST_GUILESS_MAIN(TestSnsFilter)
#include "tst_snsfilter.moc"
