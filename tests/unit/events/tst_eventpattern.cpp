// EventPattern: EventBridge's event patterns, one table per operator from AWS's documented
// examples (eb-event-patterns, eb-event-patterns-content-based-filtering,
// eb-create-pattern-operators, eb-event-patterns-arrays, eb-event-patterns-null-values) and
// event-ruler's, the patterns EventBridge refuses with their reasons, and Lambda's decoding of
// nested JSON strings.
#include "services/eventpattern.h"

#include <QTest>

using namespace tarmac;

class TestEventPattern : public QObject
{
    Q_OBJECT

    // One row of a matching table: the pattern parses and matches the event, or not.
    void match(EventPattern::Options options = {});

private slots:
    void exactValues_data();
    void exactValues();
    void arrays_data();
    void arrays();
    void nested_data();
    void nested();
    void prefix_data();
    void prefix();
    void suffix_data();
    void suffix();
    void equalsIgnoreCase_data();
    void equalsIgnoreCase();
    void wildcard_data();
    void wildcard();
    void anythingBut_data();
    void anythingBut();
    void numeric_data();
    void numeric();
    void cidr_data();
    void cidr();
    void exists_data();
    void exists();
    void anyOf_data();
    void anyOf();
    void invalid_data();
    void invalid();
    void notJson();
    void fromJsonAndCopies();
    void repeatedKeyLastWins();
    void deepEvent();
    void decodeNestedStrings_data();
    void decodeNestedStrings();
};

// The tables are defined below the class, where moc no longer reads: it takes a raw string for
// a plain one, and a `/*` or a `\"` in one would derail it.
namespace {

void matchColumns()
{
    QTest::addColumn<QByteArray>("pattern");
    QTest::addColumn<QByteArray>("event");
    QTest::addColumn<bool>("matches");
}

void row(const char *name, const char *pattern, const char *event, bool matches)
{
    QTest::newRow(name) << QByteArray(pattern) << QByteArray(event) << matches;
}

// An event whose `key` is a string holding `text`: JSON in a string, as an SQS body is.
QByteArray stringField(const char *key, const std::string &text)
{
    return QByteArray::fromStdString(Json {{key, text}}.dump());
}

QByteArray errorOf(const Result<EventPattern> &p)
{
    return p ? QByteArray() : p.error().message.toUtf8();
}

// AWS's EC2 example event (eb-events, eb-event-patterns).
const char *const kEc2Event = R"({
  "version": "0",
  "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "111122223333",
  "time": "2017-12-22T18:43:48Z",
  "region": "us-west-1",
  "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"}
})";

// event-ruler's README event, which its numeric and anything-but examples use.
const char *const kRulerEvent = R"({
  "version": "0",
  "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "012345679012",
  "time": "2017-10-02T16:24:49Z",
  "region": "us-east-1",
  "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
  "detail": {"c-count": 5, "d-count": 3, "x-limit": 301.8, "source-ip": "10.0.0.33",
             "instance-id": "i-000000aaaaaa00000", "state": "running"}
})";

} // namespace

void TestEventPattern::match(EventPattern::Options options)
{
    QFETCH(QByteArray, pattern);
    QFETCH(QByteArray, event);
    QFETCH(bool, matches);
    const auto p = EventPattern::parse(pattern, options);
    QVERIFY2(p, errorOf(p).constData());
    const Json e = Json::parse(event.toStdString());
    QCOMPARE(p->matches(e), matches);
}

// Exact values: strings, numbers (as numbers), true, false, null, the empty string; every
// field of the pattern, any value of a list.
void TestEventPattern::exactValues_data()
{
    matchColumns();
    const char *terminated = R"({"source": ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
        "detail": {"state": ["terminated"]}})";
    row("doc: EC2 termination", terminated, kEc2Event, true);
    row("doc: other state", R"({"source": ["aws.ec2"], "detail": {"state": ["running"]}})",
        kEc2Event, false);
    row("doc: one of the sources", R"({"source": ["aws.ec2", "aws.fargate"]})", kEc2Event, true);
    row("every field must match", R"({"source": ["aws.ec2"], "region": ["eu-west-1"]})", kEc2Event,
        false);
    row("absent field", R"({"source": ["aws.ec2"]})", R"({"id": "1"})", false);
    row("string with emoji and whitespace", R"({"s": ["A CamelCase 🚀 "]})",
        R"({"s": "A CamelCase 🚀 "})", true);
    row("values are case sensitive", R"({"s": ["order"]})", R"({"s": "Order"})", false);
    row("keys are case sensitive", R"({"MY_KEY": ["my-value"]})", R"({"my_key": "my-value"})",
        false);
    row("integer meets float", R"({"number": [300]})", R"({"number": 300.0})", true);
    row("exponent meets integer", R"({"number": [3.0e2]})", R"({"number": 300})", true);
    row("number is not a string", R"({"number": [300]})", R"({"number": "300"})", false);
    row("string is not a number", R"({"number": ["300"]})", R"({"number": 300})", false);
    row("account-sized integer", R"({"account": [123456789012]})", R"({"account": 123456789012})",
        true);
    row("negative", R"({"n": [-5]})", R"({"n": -5.0})", true);
    row("false", R"({"boolean": [false]})", R"({"boolean": false})", true);
    row("not false", R"({"boolean": [false]})", R"({"boolean": true})", false);
    row("true is not a string", R"({"boolean": [true]})", R"({"boolean": "true"})", false);
    row("false is not zero", R"({"boolean": [false]})", R"({"boolean": 0})", false);
    // eb-event-patterns-null-values
    const char *nullEvent = R"({"detail-type": "EC2 Instance Launch Successful",
        "source": "aws.autoscaling", "resources": [],
        "detail": {"eventVersion": "", "responseElements": null}})";
    row("doc: null", R"({"detail": {"responseElements": [null]}})", nullEvent, true);
    row("doc: empty string", R"({"detail": {"eventVersion": [""]}})", nullEvent, true);
    row("doc: empty string is not null", R"({"detail": {"responseElements": [""]}})", nullEvent,
        false);
    row("null is not empty", R"({"detail": {"eventVersion": [null]}})", nullEvent, false);
    row("null is not the string", R"({"r": [null]})", R"({"r": "null"})", false);
    row("null is not absent", R"({"r": [null]})", "{}", false);
    row("address in another spelling", R"({"ip": ["2001:db8::1"]})",
        R"({"ip": "2001:0db8:0000:0000:0000:0000:0000:0001"})", true);
    row("address string", R"({"ip": ["10.0.0.1"]})", R"({"ip": "10.0.0.1"})", true);
    row("other address", R"({"ip": ["10.0.0.1"]})", R"({"ip": "10.0.0.2"})", false);
}

void TestEventPattern::exactValues()
{
    match();
}

// Lists in the event: the pattern matches when one element does (eb-event-patterns-arrays).
void TestEventPattern::arrays_data()
{
    matchColumns();
    const char *resources = R"({"resources": [
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"]})";
    row("doc: intersection", resources,
        R"({"resources": ["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:)"
        R"(eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate",)"
        R"("arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]})",
        true);
    row("doc: no intersection", resources,
        R"({"resources": ["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:)"
        R"(eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate"]})",
        false);
    row("numbers", R"({"n": [2]})", R"({"n": [1, 2.0, 3]})", true);
    row("lists in lists", R"({"n": [3]})", R"({"n": [[1], [2, [3]]]})", true);
    row("empty list has no null", R"({"resources": [null]})", R"({"resources": []})", false);
    row("empty list does not exist", R"({"resources": [{"exists": true}]})", R"({"resources": []})",
        false);
    row("empty list is absent", R"({"resources": [{"exists": false}]})", R"({"resources": []})",
        true);
    row("objects are not values", R"({"items": ["a"]})", R"({"items": [{"a": "a"}]})", false);
    row("anything-but on a list", R"({"state": [{"anything-but": "stopped"}]})",
        R"({"state": ["stopped", "running"]})", true);
    row("anything-but on a list of it", R"({"state": [{"anything-but": "stopped"}]})",
        R"({"state": ["stopped"]})", false);
    row("prefix on a list", R"({"r": [{"prefix": "arn:aws:s3"}]})",
        R"({"r": ["arn:aws:ec2:x", "arn:aws:s3:::b"]})", true);
}

void TestEventPattern::arrays()
{
    match();
}

// Nested objects, lists of objects (one element matches a nested object as a whole), and
// names joined with dots.
void TestEventPattern::nested_data()
{
    matchColumns();
    row("three levels", R"({"a": {"b": {"c": ["x"]}}})", R"({"a": {"b": {"c": "x"}}})", true);
    row("three levels, other value", R"({"a": {"b": {"c": ["x"]}}})", R"({"a": {"b": {"c": "y"}}})",
        false);
    row("dynamodb image", R"({"dynamodb": {"NewImage": {"homemade": {"N": ["1234"]}}}})",
        R"({"dynamodb": {"NewImage": {"homemade": {"S": "ABCD", "N": "1234"}}}})", true);
    row("list of objects", R"({"detail": {"automations": {"id": [{"exists": true}]}}})",
        R"({"detail": {"automations": [{"key1": "value1"}, {"id": "match-does-exist"}]}})", true);
    // event-ruler's README: fields of different elements do not combine.
    const char *employees = R"({"employees": [
        {"firstName": "John", "lastName": "Doe"},
        {"firstName": "Anna", "lastName": "Smith"},
        {"firstName": "Peter", "lastName": "Jones"}]})";
    row("ruler: an element", R"({"employees": {"firstName": ["Anna"]}})", employees, true);
    row("ruler: one element", R"({"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}})",
        employees, true);
    row("ruler: not across elements",
        R"({"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}})", employees, false);
    row("ruler: lists of lists", R"({"employees": {"firstName": ["Peter"]}})",
        R"({"employees": [[{"firstName": "John"}], [{"firstName": "Peter"}]]})", true);
    row("nested pattern, scalar field", R"({"detail": {"a": ["x"]}})", R"({"detail": "x"})", false);
    QTest::newRow("JSON text is not an object")
        << QByteArray(R"({"detail": {"my-key": ["my-value"]}})")
        << stringField("detail", R"({"my-key": "my-value"})") << false;
    row("dotted pattern key", R"({"detail": {"state.status": ["running"]}})",
        R"({"detail": {"state": {"status": "running"}}})", true);
    row("dotted event key", R"({"detail": {"state": {"status": ["running"]}}})",
        R"({"detail": {"state.status": "running"}})", true);
    row("dotted event key, deeper", R"({"detail": {"state": {"status": ["running"]}}})",
        R"({"detail": {"state.status": {"status": "running"}}})", false);
    row("dotted pattern key, deeper", R"({"detail": {"state.status": {"status": ["running"]}}})",
        R"({"detail": {"state": {"status": "running"}}})", false);
    row("dotted key through a list", R"({"a.b": ["x"]})", R"({"a": [{"b": "y"}, {"b": "x"}]})",
        true);
}

void TestEventPattern::nested()
{
    match();
}

void TestEventPattern::prefix_data()
{
    matchColumns();
    row("doc: time", R"({"time": [{"prefix": "2017-10-02"}]})",
        R"({"time": "2017-10-02T18:43:48Z"})", true);
    row("doc: time, other day", R"({"time": [{"prefix": "2017-10-02"}]})",
        R"({"time": "2017-10-03T18:43:48Z"})", false);
    row("doc: region", R"({"source": ["aws.autoscaling"], "region": [{"prefix": "eu-"}]})",
        R"({"source": "aws.autoscaling", "region": "eu-west-1"})", true);
    row("empty prefix, any string", R"({"source": [{"prefix": ""}]})", R"({"source": "x"})", true);
    row("empty prefix, not a number", R"({"n": [{"prefix": ""}]})", R"({"n": 1})", false);
    row("strings only", R"({"n": [{"prefix": "1"}]})", R"({"n": 12})", false);
    row("case sensitive", R"({"s": [{"prefix": "Event"}]})", R"({"s": "eventbridge"})", false);
    row("doc: ignore case",
        R"({"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}})",
        R"({"detail": {"service": "EvEnTbridge"}})", true);
    row("ignore case, other", R"({"s": [{"prefix": {"equals-ignore-case": "EventB"}}]})",
        R"({"s": "EventA"})", false);
    row("ignore case, shorter value", R"({"s": [{"prefix": {"equals-ignore-case": "EventB"}}]})",
        R"({"s": "Eve"})", false);
    row("ignore case, not ASCII", R"({"s": [{"prefix": {"equals-ignore-case": "ÉVÉ"}}]})",
        R"({"s": "événement"})", true);
}

void TestEventPattern::prefix()
{
    match();
}

void TestEventPattern::suffix_data()
{
    matchColumns();
    row("doc: png", R"({"FileName": [{"suffix": ".png"}]})", R"({"FileName": "image.png"})", true);
    row("case sensitive", R"({"FileName": [{"suffix": ".PNG"}]})", R"({"FileName": "image.png"})",
        false);
    row("doc: ignore case",
        R"({"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}})",
        R"({"detail": {"FileName": "image.PNG"}})", true);
    row("ignore case, other", R"({"f": [{"suffix": {"equals-ignore-case": ".png"}}]})",
        R"({"f": "image.jpg"})", false);
    row("empty suffix", R"({"source": [{"suffix": ""}]})", R"({"source": "x"})", true);
    row("strings only", R"({"n": [{"suffix": "2"}]})", R"({"n": 12})", false);
    row("longer than the value", R"({"f": [{"suffix": "image.png"}]})", R"({"f": "png"})", false);
}

void TestEventPattern::suffix()
{
    match();
}

void TestEventPattern::equalsIgnoreCase_data()
{
    matchColumns();
    row("doc: name", R"({"Name": [{"equals-ignore-case": "alice"}]})", R"({"Name": "Alice"})",
        true);
    row("in a list",
        R"({"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]})",
        R"({"detail-type": ["EC2 Instance State-change Notification"]})", true);
    row("other", R"({"Name": [{"equals-ignore-case": "alice"}]})", R"({"Name": "Alicia"})", false);
    row("empty", R"({"v": [{"equals-ignore-case": ""}]})", R"({"v": ""})", true);
    row("empty, other", R"({"v": [{"equals-ignore-case": ""}]})", R"({"v": "x"})", false);
    row("strings only", R"({"v": [{"equals-ignore-case": "1"}]})", R"({"v": 1})", false);
    row("not ASCII", R"({"v": [{"equals-ignore-case": "ÄRGER"}]})", R"({"v": "ärger"})", true);
}

void TestEventPattern::equalsIgnoreCase()
{
    match();
}

// `*` matches any run of characters; `\*` and `\\` are the characters.
void TestEventPattern::wildcard_data()
{
    matchColumns();
    row("ruler: Simple*Service", R"({"source": [{"wildcard": "Simple*Service"}]})",
        R"({"source": "SimpleQueueService"})", true);
    row("ruler: nothing between", R"({"source": [{"wildcard": "Simple*Service"}]})",
        R"({"source": "SimpleService"})", true);
    row("ruler: other end", R"({"source": [{"wildcard": "Simple*Service"}]})",
        R"({"source": "SimpleQueueServices"})", false);
    row("doc: *.png", R"({"f": [{"wildcard": "*.png"}]})", R"({"f": "dir/a.png"})", true);
    row("doc: *Title*", R"({"f": [{"wildcard": "*Title*"}]})", R"({"f": "MyTitleX"})", true);
    row("doc: bus ARN",
        R"({"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]})",
        R"({"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/myEventBus"})", true);
    row("repeating parts", R"({"f": [{"wildcard": "/Users/*/dir/dir/doc.txt"}]})",
        R"({"f": "/Users/u/dir/dir/dir/dir/doc.txt"})", true);
    row("repeating parts, other", R"({"f": [{"wildcard": "/Users/*/dir/dir/doc.txt"}]})",
        R"({"f": "/Users/u/dir/dir/other/doc.txt"})", false);
    row("several stars", R"({"f": [{"wildcard": "a*b*c"}]})", R"({"f": "abbbc"})", true);
    row("several stars, order", R"({"f": [{"wildcard": "a*b*c"}]})", R"({"f": "acb"})", false);
    row("overlapping ends", R"({"f": [{"wildcard": "ab*ba"}]})", R"({"f": "aba"})", false);
    row("escaped star", R"({"f": [{"wildcard": "a\\*b"}]})", R"({"f": "a*b"})", true);
    row("escaped star is not a wildcard", R"({"f": [{"wildcard": "a\\*b"}]})", R"({"f": "axb"})",
        false);
    row("escaped backslash", R"({"f": [{"wildcard": "a\\\\*"}]})", R"({"f": "a\\bc"})", true);
    row("empty", R"({"f": [{"wildcard": ""}]})", R"({"f": ""})", true);
    row("empty, other", R"({"f": [{"wildcard": ""}]})", R"({"f": "x"})", false);
    row("strings only", R"({"f": [{"wildcard": "*"}]})", R"({"f": 1})", false);
}

void TestEventPattern::wildcard()
{
    match();
}

// Anything present that is not excluded: null and other types included; never absent.
void TestEventPattern::anythingBut_data()
{
    matchColumns();
    row("doc: string", R"({"detail": {"state": [{"anything-but": "initializing"}]}})",
        R"({"detail": {"state": "pending"}})", true);
    row("doc: string, it", R"({"detail": {"state": [{"anything-but": "initializing"}]}})",
        R"({"detail": {"state": "initializing"}})", false);
    row("doc: number", R"({"detail": {"x-limit": [{"anything-but": 123}]}})",
        R"({"detail": {"x-limit": 789}})", true);
    row("doc: number, it", R"({"detail": {"x-limit": [{"anything-but": 123}]}})",
        R"({"detail": {"x-limit": 123.0}})", false);
    row("doc: string list",
        R"({"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}})",
        R"({"detail": {"state": "pending"}})", true);
    row("doc: string list, one",
        R"({"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}})",
        R"({"detail": {"state": "overloaded"}})", false);
    row("doc: number list", R"({"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}})",
        kRulerEvent, true);
    row("doc: number list, one", R"({"x-limit": [{"anything-but": [100, 200, 300]}]})",
        R"({"x-limit": 3e2})", false);
    row("doc: prefix", R"({"detail": {"state": [{"anything-but": {"prefix": "init"}}]}})",
        R"({"detail": {"state": "post-init"}})", true);
    row("doc: prefix, it", R"({"detail": {"state": [{"anything-but": {"prefix": "init"}}]}})",
        R"({"detail": {"state": "init-prefix"}})", false);
    row("doc: not AWS's events", R"({"source": [{"anything-but": {"prefix": "aws."}}]})",
        R"({"source": "my.app"})", true);
    row("prefix list", R"({"s": [{"anything-but": {"prefix": ["init", "post"]}}]})",
        R"({"s": "post-init"})", false);
    row("doc: suffix", R"({"FileName": [{"anything-but": {"suffix": ".png"}}]})",
        R"({"FileName": "a.jpg"})", true);
    row("suffix list", R"({"f": [{"anything-but": {"suffix": [".txt", ".jpg"]}}]})",
        R"({"f": "file.jpg"})", false);
    row("doc: ignore case",
        R"({"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]})",
        R"({"state": "INITIALIZING"})", false);
    row("ignore case, other",
        R"({"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]})",
        R"({"state": "pending"})", true);
    row("ignore case list",
        R"({"state": [{"anything-but": {"equals-ignore-case": ["initializing", "stopped"]}}]})",
        R"({"state": "Stopped"})", false);
    row("doc: wildcard", R"({"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]})",
        R"({"FilePath": "/usr/bin/x"})", true);
    row("doc: wildcard, it", R"({"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]})",
        R"({"FilePath": "/usr/lib/x"})", false);
    row("wildcard list", R"({"s": [{"anything-but": {"wildcard": ["*/init/*", "*/dir/*"]}}]})",
        R"({"s": "dir/init/dir"})", false);
    row("empty wildcard", R"({"s": [{"anything-but": {"wildcard": ""}}]})",
        R"({"s": "dir/init/file"})", true);
    row("null is a value", R"({"state": [{"anything-but": "initializing"}]})", R"({"state": null})",
        true);
    row("null is not a prefix", R"({"state": [{"anything-but": {"prefix": "init"}}]})",
        R"({"state": null})", true);
    row("a number is not a prefix", R"({"state": [{"anything-but": {"prefix": "init"}}]})",
        R"({"state": 12})", true);
    row("a number is not a wildcard", R"({"p": [{"anything-but": {"wildcard": "*"}}]})",
        R"({"p": 123})", true);
    row("a string is not a number", R"({"n": [{"anything-but": 101}]})", R"({"n": "101"})", true);
    row("a number is not a string", R"({"n": [{"anything-but": "101"}]})", R"({"n": 101})", true);
    row("zero", R"({"n": [{"anything-but": 0}]})", R"({"n": 789})", true);
    row("absent", R"({"state": [{"anything-but": "initializing"}]})", "{}", false);
    row("or with numeric", R"({"N": [{"numeric": [">", 100]}, {"anything-but": "101"}]})",
        R"({"N": "42"})", true);
    row("or with numeric, excluded", R"({"N": [{"numeric": [">", 100]}, {"anything-but": "101"}]})",
        R"({"N": "101"})", false);
    row("doc: complex", R"({"time": [{"prefix": "2017-10-02"}], "detail": {
            "state": [{"anything-but": "initializing"}],
            "c-count": [{"numeric": [">", 0, "<=", 5]}],
            "d-count": [{"numeric": ["<", 10]}],
            "x-limit": [{"anything-but": [100, 200, 300]}]}})",
        kRulerEvent, true);
}

void TestEventPattern::anythingBut()
{
    match();
}

// JSON numbers only, compared as numbers; bounds open or closed.
void TestEventPattern::numeric_data()
{
    matchColumns();
    const char *doc = R"({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}],
        "d-count": [{"numeric": ["<", 10]}], "x-limit": [{"numeric": ["=", 3.018e2]}]}})";
    row("doc: all fields", doc, kRulerEvent, true);
    row("doc: one field out", doc, R"({"detail": {"c-count": 42, "d-count": 9, "x-limit": 301.8}})",
        false);
    const auto bound = [](const char *name, const char *op, const char *value, bool matches) {
        QTest::newRow(name) << QByteArray(R"({"n": [{"numeric": [")") + op + "\", 10]}]}"
                            << QByteArray(R"({"n": )") + value + "}" << matches;
    };
    bound("> above", ">", "10.5", true);
    bound("> at", ">", "10", false);
    bound(">= at", ">=", "10.0", true);
    bound(">= below", ">=", "9.999", false);
    bound("< below", "<", "-3", true);
    bound("< at", "<", "10", false);
    bound("<= at", "<=", "1e1", true);
    bound("<= above", "<=", "10.001", false);
    bound("= at", "=", "10.0", true);
    bound("= other", "=", "11", false);
    row("range, closed top", R"({"n": [{"numeric": [">=", 0, "<", 5]}]})", R"({"n": 0})", true);
    row("range, open top", R"({"n": [{"numeric": [">=", 0, "<", 5]}]})", R"({"n": 5})", false);
    row("int meets float", R"({"number": [{"numeric": [">", 100]}]})", R"({"number": 101.0})",
        true);
    row("not a string", R"({"number": [{"numeric": [">", 100]}]})", R"({"number": "300"})", false);
    row("not null", R"({"number": [{"numeric": [">", 100]}]})", R"({"number": null})", false);
    row("large", R"({"n": [{"numeric": [">", 1e9]}]})", R"({"n": 5e12})", true);
    row("in a list", R"({"n": [{"numeric": ["<", 0]}]})", R"({"n": [3, -1]})", true);
}

void TestEventPattern::numeric()
{
    match();
}

void TestEventPattern::cidr_data()
{
    matchColumns();
    row("doc: /24", R"({"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}})",
        R"({"detail": {"sourceIPAddress": "10.0.0.255"}})", true);
    row("ruler: source-ip", R"({"detail": {"source-ip": [{"cidr": "10.0.0.0/8"}]}})", kRulerEvent,
        true);
    row("outside", R"({"ip": [{"cidr": "10.0.0.0/24"}]})", R"({"ip": "10.0.1.0"})", false);
    row("not an address", R"({"ip": [{"cidr": "10.0.0.0/24"}]})", R"({"ip": "10.0.0.256"})", false);
    row("not a string", R"({"ip": [{"cidr": "10.0.0.0/24"}]})", R"({"ip": 123})", false);
    row("mask in a byte", R"({"ip": [{"cidr": "192.168.1.64/27"}]})", R"({"ip": "192.168.1.95"})",
        true);
    row("mask in a byte, outside", R"({"ip": [{"cidr": "192.168.1.64/27"}]})",
        R"({"ip": "192.168.1.96"})", false);
    row("/0", R"({"ip": [{"cidr": "0.0.0.0/0"}]})", R"({"ip": "255.1.2.3"})", true);
    row("IPv6", R"({"ip": [{"cidr": "2001:db8:1234:1a00::/64"}]})",
        R"({"ip": "2001:0db8:1234:1a00:0000:0000:0000:0000"})", true);
    row("IPv6, outside", R"({"ip": [{"cidr": "2001:db8:1234:1a00::/64"}]})",
        R"({"ip": "2001:0db8:123f:1a01:0000:0000:0000:0000"})", false);
    row("families differ", R"({"ip": [{"cidr": "0.0.0.0/0"}]})", R"({"ip": "::1"})", false);
}

void TestEventPattern::cidr()
{
    match();
}

// Leaves only: an object is not a value, and exists:false matches an absent field.
void TestEventPattern::exists_data()
{
    matchColumns();
    row("doc: exists", R"({"detail": {"state": [{"exists": true}]}})",
        R"({"detail": {"instance-id": "i-abcd1111", "state": "pending"}})", true);
    row("doc: does not exist", R"({"detail": {"state": [{"exists": true}]}})",
        R"({"detail": {"c-count": {"c1": 100}}})", false);
    row("doc: exists false", R"({"detail": {"c-count": [{"exists": false}]}})",
        R"({"detail": {"state": ["initializing", "running"]}})", true);
    row("doc: not a leaf", R"({"detail": {"c-count": [{"exists": false}]}})",
        R"({"detail": {"state": ["initializing", "running"], "c-count": {"c1": 100}}})", true);
    row("exists false, there", R"({"detail": {"c-count": [{"exists": false}]}})",
        R"({"detail": {"c-count": 5}})", false);
    row("null exists", R"({"v": [{"exists": true}]})", R"({"v": null})", true);
    row("an object does not", R"({"dynamodb": {"presentKey": [{"exists": true}]}})",
        R"({"dynamodb": {"presentKey": {"S": "test123"}}})", false);
    row("its leaf does", R"({"dynamodb": {"presentKey": {"S": [{"exists": true}]}}})",
        R"({"dynamodb": {"presentKey": {"S": "test123"}}})", true);
    row("absent parents", R"({"a": {"b": {"c": [{"exists": false}]}}})", R"({"x": 1})", true);
    row("absent parents, there", R"({"a": {"b": {"c": [{"exists": false}]}}})",
        R"({"a": {"b": {"c": 1}}})", false);
    row("or exists false", R"({"h": {"S": [{"anything-but": ["roses"]}, {"exists": false}]}})",
        R"({"h": {"N": "789"}})", true);
    row("or exists false, value",
        R"({"h": {"S": [{"anything-but": ["roses"]}, {"exists": false}]}})",
        R"({"h": {"S": "ABCD"}})", true);
    row("or exists false, excluded",
        R"({"h": {"S": [{"anything-but": ["roses"]}, {"exists": false}]}})",
        R"({"h": {"S": "roses"}})", false);
    row("several operators", R"({"k": [{"exists": true}, {"prefix": "IGNORED"}]})",
        R"({"k": "my-value"})", true);
}

void TestEventPattern::exists()
{
    match();
}

// "$or": one object of the list, at any level (event-ruler's README, AWS's operators page).
void TestEventPattern::anyOf_data()
{
    matchColumns();
    const char *normal = R"({"source": ["aws.cloudwatch"], "$or": [
        {"metricName": ["CPUUtilization", "ReadLatency"]},
        {"namespace": ["AWS/EC2", "AWS/ES"]}]})";
    row("ruler: normal, first", normal,
        R"({"source": "aws.cloudwatch", "metricName": "ReadLatency"})", true);
    row("ruler: normal, second", normal, R"({"source": "aws.cloudwatch", "namespace": "AWS/ES"})",
        true);
    row("ruler: normal, neither", normal, R"({"source": "aws.cloudwatch", "namespace": "AWS/S3"})",
        false);
    row("ruler: normal, and", normal, R"({"source": "aws.s3", "namespace": "AWS/ES"})", false);
    const char *parallel = R"({
        "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}],
        "detail": {"$or": [{"source": ["aws.cloudwatch"]},
                           {"detail-type": ["CloudWatch Alarm State Change"]}]}})";
    row("ruler: parallel", parallel,
        R"({"namespace": "AWS/EC2", "detail": {"detail-type": "CloudWatch Alarm State Change"}})",
        true);
    row("ruler: parallel, one side", parallel,
        R"({"namespace": "AWS/EC2", "detail": {"detail-type": "other"}})", false);
    const char *nestedOr = R"({"source": ["aws.cloudwatch"], "$or": [
        {"metricName": ["CPUUtilization"]},
        {"metricType": ["MetricType"], "namespace": ["AWS/EC2"],
         "$or": [{"metricId": [1234]}, {"spaceId": [1000]}]},
        {"scope": ["Service"]}]})";
    row("ruler: nested, and inside", nestedOr,
        R"({"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/EC2",)"
        R"( "spaceId": 1000})",
        true);
    row("ruler: nested, inner or fails", nestedOr,
        R"({"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/EC2",)"
        R"( "spaceId": 1})",
        false);
    row("ruler: nested, last", nestedOr, R"({"source": "aws.cloudwatch", "scope": "Service"})",
        true);
    const char *numericOr = R"({"detail": {"$or": [
        {"c-count": [{"numeric": [">", 0, "<=", 5]}]},
        {"d-count": [{"numeric": ["<", 10]}]},
        {"x-limit": [{"numeric": ["=", 3.018e2]}]}]}})";
    row("numeric alternatives", numericOr,
        R"({"detail": {"c-count": 0, "d-count": 0, "x-limit": 9.018e2}})", true);
    row("numeric alternatives, none", numericOr,
        R"({"detail": {"c-count": 0, "d-count": 10, "x-limit": 9.018e2}})", false);
    row("absent alternative", R"({"$or": [{"a": [{"exists": false}]}, {"b": ["x"]}]})",
        R"({"c": 1})", true);
    row("list element", R"({"items": {"$or": [{"a": ["1"]}, {"b": ["2"]}]}})",
        R"({"items": [{"a": "0"}, {"b": "2"}]})", true);
}

void TestEventPattern::anyOf()
{
    match();
}

// What EventBridge refuses, with event-ruler's reason (AWS's messages where recorded).
void TestEventPattern::invalid_data()
{
    QTest::addColumn<QByteArray>("pattern");
    QTest::addColumn<QByteArray>("reason");
    const auto bad = [](const char *name, const char *pattern, const char *reason) {
        QTest::newRow(name) << QByteArray(pattern) << QByteArray(reason);
    };
    bad("not an object", R"(["not", "a", "dict"])", "Filter is not an object");
    bad("number leaf", R"({"int": 42})", "\"int\" must be an object or an array");
    bad("string leaf", R"({"string": "my-value"})", "\"string\" must be an object or an array");
    bad("empty list", R"({"resources": []})", "Empty arrays are not allowed");
    bad("empty pattern", "{}", "Empty objects are not allowed");
    bad("empty nested object", R"({"detail": {}})", "Empty objects are not allowed");
    bad("list in a list", R"({"a": [[1]]})",
        "Match value must be String, number, true, false, or null");
    bad("empty expression", R"({"a": [{}]})", "Match expression name not found");
    bad("operator case", R"({"my_key": [{"EXISTS": true}]})", "Unrecognized match type EXISTS");
    bad("numeric case", R"({"equal": [{"NUMERIC": ["=", 5]}]})", "Unrecognized match type NUMERIC");
    bad("unknown operator", R"({"a": [{"contains": "x"}]})", "Unrecognized match type contains");
    bad("two operators", R"({"a": [{"prefix": "x", "suffix": "y"}]})",
        "Only one key allowed in match expression");
    bad("prefix number", R"({"time": [{"prefix": 123}]})", "prefix match pattern must be a string");
    bad("prefix list", R"({"time": [{"prefix": ["2022-07-13"]}]})",
        "prefix match pattern must be a string");
    bad("suffix number", R"({"f": [{"suffix": 123}]})", "suffix match pattern must be a string");
    bad("suffix list", R"({"f": [{"suffix": [".png"]}]})", "suffix match pattern must be a string");
    bad("prefix of what", R"({"s": [{"prefix": {"wildcard": "x"}}]})",
        "Unsupported prefix pattern: wildcard");
    bad("prefix empty object", R"({"s": [{"prefix": {}}]})", "Prefix expression name not found");
    bad("suffix ignore case number", R"({"s": [{"suffix": {"equals-ignore-case": 1}}]})",
        "equals-ignore-case match pattern must be a string");
    bad("ignore case list", R"({"d": [{"equals-ignore-case": ["ec2"]}]})",
        "equals-ignore-case match pattern must be a string");
    bad("ignore case object", R"({"d": [{"equals-ignore-case": {"prefix": "ec2"}}]})",
        "equals-ignore-case match pattern must be a string");
    bad("wildcard number", R"({"a": [{"wildcard": 123}]})",
        "wildcard match pattern must be a string");
    bad("wildcard list", R"({"a": [{"wildcard": ["x*"]}]})",
        "wildcard match pattern must be a string");
    bad("consecutive stars", R"({"a": [{"wildcard": "arn:aws:events:us-east-1:**:event-bus/*"}]})",
        "Consecutive wildcard characters at pos 26");
    bad("bad escape", R"({"a": [{"wildcard": "a\\b"}]})", "Invalid escape character at pos 2");
    bad("trailing backslash", R"({"a": [{"wildcard": "ab\\"}]})",
        "Invalid escape character at pos 3");
    bad("exists string", R"({"a": [{"exists": "true"}]})",
        "exists match pattern must be either true or false.");
    bad("exists and more", R"({"a": [{"exists": true, "prefix": "x"}]})",
        "Only one key allowed in match expression");
    bad("numeric number", R"({"c": [{"numeric": 10}]})", "Value of numeric must be an array.");
    bad("numeric two lower bounds", R"({"c": [{"numeric": [">", 0, ">", 0]}]})",
        "Bad numeric range operator: >");
    bad("numeric no top", R"({"c": [{"numeric": [">", 0, "<"]}]})", "Value of < must be numeric");
    bad("numeric empty", R"({"c": [{"numeric": []}]})", "Invalid member in numeric match: ]");
    bad("numeric no operator", R"({"c": [{"numeric": [5]}]})",
        "Invalid member in numeric match: 5");
    bad("numeric operator", R"({"c": [{"numeric": ["!=", 5]}]})",
        "Unrecognized numeric range operator: !=");
    bad("numeric string bound", R"({"c": [{"numeric": ["=", "5"]}]})",
        "Value of equals must be numeric");
    bad("numeric upper then lower", R"({"c": [{"numeric": ["<", 5, ">", 1]}]})",
        "Too many elements in numeric expression");
    bad("numeric empty range", R"({"c": [{"numeric": [">", 5, "<", 5]}]})",
        "Bottom must be less than top");
    bad("numeric inverted range", R"({"c": [{"numeric": [">=", 6, "<=", 5]}]})",
        "Bottom must be less than top");
    bad("numeric five terms", R"({"c": [{"numeric": [">", 0, "<", 5, 6]}]})",
        "Too many terms in numeric range expression");
    bad("numeric third term", R"({"c": [{"numeric": [">", 0, 5]}]})",
        "Bad value in numeric range: 5");
    bad("numeric and more", R"({"c": [{"numeric": [">", 0], "prefix": "x"}]})",
        "Too many elements in numeric expression");
    bad("anything-but null", R"({"s": [{"anything-but": null}]})",
        "Value of anything-but must be an array or single string/number value.");
    bad("anything-but true", R"({"s": [{"anything-but": true}]})",
        "Value of anything-but must be an array or single string/number value.");
    bad("anything-but null in list", R"({"s": [{"anything-but": ["stopped", null]}]})",
        "Inside anything but list, start|null|boolean is not supported.");
    bad("anything-but mixed", R"({"s": [{"anything-but": ["a", 1]}]})",
        "Inside anything but list, either all values are number or string, mixed type is not "
        "supported");
    bad("anything-but empty list", R"({"s": [{"anything-but": []}]})",
        "Inside anything but list, either all values are number or string, mixed type is not "
        "supported");
    bad("anything-but empty prefix", R"({"f": [{"anything-but": {"prefix": ""}}]})",
        "Null prefix/suffix not allowed");
    bad("anything-but empty suffix", R"({"f": [{"anything-but": {"suffix": ""}}]})",
        "Null prefix/suffix not allowed");
    bad("anything-but prefix number", R"({"s": [{"anything-but": {"prefix": 123}}]})",
        "prefix/suffix match pattern must be a string");
    bad("anything-but suffix list number",
        R"({"f": [{"anything-but": {"suffix": [123, ".txt"]}}]})",
        "prefix/suffix match pattern must be a string");
    bad("anything-but suffix list null", R"({"f": [{"anything-but": {"suffix": [null, ".txt"]}}]})",
        "prefix/suffix match pattern must be a string");
    bad("anything-but prefix ignore case",
        R"({"f": [{"anything-but": {"prefix": {"equals-ignore-case": "file"}}}]})",
        "Value of anything-but must be an array or single string/number value.");
    bad("anything-but ignore case number",
        R"({"s": [{"anything-but": {"equals-ignore-case": 123}}]})",
        "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.");
    bad("anything-but ignore case numbers",
        R"({"s": [{"anything-but": {"equals-ignore-case": [123, 456]}}]})",
        "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.");
    bad("anything-but wildcard number", R"({"f": [{"anything-but": {"wildcard": 123}}]})",
        "wildcard match pattern must be a string");
    bad("anything-but wildcard list number",
        R"({"s": [{"anything-but": {"wildcard": [123, "*/dir/*"]}}]})",
        "wildcard match pattern must be a string");
    bad("anything-but wildcard stars", R"({"s": [{"anything-but": {"wildcard": "a**"}}]})",
        "Consecutive wildcard characters at pos 2");
    bad("anything-but what", R"({"s": [{"anything-but": {"regex": "x"}}]})",
        "Unsupported anything-but pattern: regex");
    bad("anything-but empty object", R"({"s": [{"anything-but": {}}]})",
        "Anything-But expression name not found");
    bad("anything-but two kinds", R"({"s": [{"anything-but": {"prefix": "a", "suffix": "b"}}]})",
        "Too many elements in numeric expression");
    bad("cidr no slash", R"({"ip": [{"cidr": "bad-filter"}]})", "Malformed CIDR, one '/' required");
    bad("cidr mask", R"({"ip": [{"cidr": "bad-/64filter"}]})",
        "Malformed CIDR, mask bits must be an integer");
    bad("cidr negative mask", R"({"ip": [{"cidr": "10.0.0.0/-1"}]})",
        "Malformed CIDR, mask bits must not be negative");
    bad("cidr address", R"({"ip": [{"cidr": "xx.11.xx/8"}]})", "Nonstandard IP address: xx.11.xx");
    bad("cidr IPv6 address", R"({"ip": [{"cidr": "xxxx:db8:1234:1a00::/64"}]})",
        "Nonstandard IP address: xxxx:db8:1234:1a00::");
    bad("cidr invalid address", R"({"ip": [{"cidr": "10.0.0.300/8"}]})",
        "Invalid IP address: 10.0.0.300");
    bad("cidr IPv4 mask", R"({"ip": [{"cidr": "10.0.0.0/32"}]})", "IPv4 mask bits must be < 32");
    bad("cidr IPv6 mask", R"({"ip": [{"cidr": "::/128"}]})", "IPv6 mask bits must be < 128");
    bad("cidr list", R"({"ip": [{"cidr": ["bad-type"]}]})",
        "prefix match pattern must be a string");
    bad("or not a list", R"({"$or": {"a": ["x"]}})", "It must be an Array followed with $or.");
    bad("or of one", R"({"$or": [{"a": ["x"]}]})",
        "There must have at least 2 Objects in $or relationship.");
    bad("or of values", R"({"$or": [{"a": ["x"]}, "b"]})",
        "Only JSON object is allowed in array of $or relationship.");
    bad("or of an empty object", R"({"$or": [{"a": ["x"]}, {}]})", "Empty objects are not allowed");
    bad("or with an operator name", R"({"$or": [{"numeric": [1]}, {"b": ["2"]}]})",
        "numeric is Ruler reserved fieldName which cannot be used inside $or.");
    bad("or nested operator name", R"({"$or": [{"a": {"prefix": ["x"]}}, {"b": ["2"]}]})",
        "prefix is Ruler reserved fieldName which cannot be used inside $or.");
}

void TestEventPattern::invalid()
{
    QFETCH(QByteArray, pattern);
    QFETCH(QByteArray, reason);
    const auto p = EventPattern::parse(pattern);
    QVERIFY(!p);
    QCOMPARE(p.error().code, QStringLiteral("InvalidEventPatternException"));
    QCOMPARE(p.error().httpStatus, 400);
    QCOMPARE(p.error().message,
        QStringLiteral("Event pattern is not valid. Reason: ") + QString::fromUtf8(reason));
}

void TestEventPattern::notJson()
{
    for (const QByteArray &text : {QByteArrayLiteral("this is valid json but not a dict"),
             QByteArrayLiteral("{'bad': 'quotation'}"), QByteArrayLiteral("{\"not\": closed"),
             QByteArray()}) {
        const auto p = EventPattern::parse(text);
        QVERIFY(!p);
        QCOMPARE(p.error().code, QStringLiteral("InvalidEventPatternException"));
        QVERIFY2(p.error().message.startsWith(
                     QStringLiteral("Event pattern is not valid. Reason: parse error at ")),
            qPrintable(p.error().message));
    }
}

void TestEventPattern::fromJsonAndCopies()
{
    const auto p = EventPattern::fromJson(Json::parse(R"({"source": ["a"]})"));
    QVERIFY2(p, errorOf(p).constData());
    const EventPattern copy = *p;
    QVERIFY(copy.matches(Json::parse(R"({"source": "a"})")));
    QVERIFY(!copy.matches(Json::parse(R"({"source": "b"})")));
    // Only an object is an event.
    QVERIFY(!copy.matches(Json::parse(R"(["a"])")));
    QVERIFY(!copy.matches(Json::parse(R"("a")")));
    QVERIFY(!EventPattern::fromJson(Json::parse(R"("source")")));
    QVERIFY(!EventPattern::fromJson(Json()));
}

// doc: "if you include a key more than once the last reference will be the one used".
void TestEventPattern::repeatedKeyLastWins()
{
    const auto p = EventPattern::parse(R"({"detail": {"location": [{"prefix": "us-"}],)"
                                       R"( "location": [{"anything-but": "us-east"}]}})");
    QVERIFY2(p, errorOf(p).constData());
    QVERIFY(p->matches(Json::parse(R"({"detail": {"location": "eu-west"}})")));
    QVERIFY(!p->matches(Json::parse(R"({"detail": {"location": "us-east"}})")));
}

// An event nested deeper than anything bothers to look: no crash, no match found there.
void TestEventPattern::deepEvent()
{
    std::string deep(100000, '[');
    deep += "1";
    deep += std::string(100000, ']');
    const auto event = parseJson(QByteArray::fromStdString(R"({"a": )" + deep + "}"));
    QVERIFY(event);
    const auto p = EventPattern::parse(R"({"a": [1]})");
    QVERIFY2(p, errorOf(p).constData());
    QVERIFY(!p->matches(*event));
}

// Lambda's FilterCriteria (tst_eventsourcemappings' table): a nested object may meet JSON
// text (an SQS body) or base64 JSON (Kinesis data).
void TestEventPattern::decodeNestedStrings_data()
{
    matchColumns();
    QTest::addColumn<bool>("withoutDecoding");
    Json record
        = Json::parse(R"({"messageId": "m1", "attributes": {"ApproximateReceiveCount": "1"}})");
    record["body"] = R"({"kind":"order","total":12,"tags":["a","b"]})";
    const QByteArray order = QByteArray::fromStdString(record.dump());
    const auto lambdaRow = [](const char *name, const char *pattern, const QByteArray &event,
                               bool matches, bool withoutDecoding) {
        QTest::newRow(name) << QByteArray(pattern) << event << matches << withoutDecoding;
    };
    lambdaRow("literal in the body", R"({"body":{"kind":["order"]}})", order, true, false);
    lambdaRow("other literal", R"({"body":{"kind":["refund"]}})", order, false, false);
    lambdaRow(
        "numeric", R"({"body":{"total":[{"numeric":[">",10,"<=",12]}]}})", order, true, false);
    lambdaRow("numeric out", R"({"body":{"total":[{"numeric":["<",10]}]}})", order, false, false);
    lambdaRow("prefix", R"({"body":{"kind":[{"prefix":"ord"}]}})", order, true, false);
    lambdaRow("suffix", R"({"body":{"kind":[{"suffix":"xx"}]}})", order, false, false);
    lambdaRow(
        "ignore case", R"({"body":{"kind":[{"equals-ignore-case":"ORDER"}]}})", order, true, false);
    lambdaRow(
        "anything but", R"({"body":{"kind":[{"anything-but":["refund"]}]}})", order, true, false);
    lambdaRow(
        "anything but it", R"({"body":{"kind":[{"anything-but":"order"}]}})", order, false, false);
    lambdaRow("exists", R"({"body":{"kind":[{"exists":true}]}})", order, true, false);
    lambdaRow("not exists", R"({"body":{"missing":[{"exists":false}]}})", order, true, true);
    lambdaRow("array field", R"({"body":{"tags":["b"]}})", order, true, false);
    lambdaRow(
        "top level", R"({"attributes":{"ApproximateReceiveCount":["1"]}})", order, true, true);
    lambdaRow("every key", R"({"body":{"kind":["order"],"total":[13]}})", order, false, false);
    lambdaRow("base64 data", R"({"kinesis":{"data":{"kind":["order"]}}})",
        QByteArray(R"({"kinesis":{"data":")") + QByteArray(R"({"kind":"order"})").toBase64()
            + "\"}}",
        true, false);
    lambdaRow(
        "body not JSON", R"({"body":{"kind":["order"]}})", R"({"body":"plain"})", false, false);
    // Lambda drops a record whose body is not JSON when the pattern looks into it.
    lambdaRow("body not JSON, absent field", R"({"body":{"kind":[{"exists":false}]}})",
        R"({"body":"plain"})", false, true);
    lambdaRow("plain body literal", R"({"body":["plain"]})", R"({"body":"plain"})", true, true);
    lambdaRow(
        "JSON array body", R"({"body":{"kind":["order"]}})", R"({"body":"[1]"})", false, false);
    lambdaRow("nested twice", R"({"body":{"inner":{"k":["v"]}}})",
        stringField("body", Json {{"inner", R"({"k": "v"})"}}.dump()), true, false);
}

void TestEventPattern::decodeNestedStrings()
{
    EventPattern::Options options;
    options.decodeNestedStrings = true;
    match(options);
    QFETCH(QByteArray, pattern);
    QFETCH(QByteArray, event);
    QFETCH(bool, withoutDecoding);
    const auto p = EventPattern::parse(pattern);
    QVERIFY2(p, errorOf(p).constData());
    QCOMPARE(p->matches(Json::parse(event.toStdString())), withoutDecoding);
}

QTEST_GUILESS_MAIN(TestEventPattern)
#include "tst_eventpattern.moc"
