// ddbvalue: DynamoDB's AttributeValues in wire JSON. Values and items checked in AWS's two
// steps (shape: SerializationException; meaning: ValidationException) with its messages,
// normalised as stored; item sizes as DynamoDB counts them, against its limits; ordering and
// equality of values, and key bytes whose memcmp order is the values' order.
#include "services/dynamodb/ddbnumber.h"
#include "services/dynamodb/ddbvalue.h"

#include <QRandomGenerator>
#include <QTest>

#include <algorithm>
#include <cstring>

using namespace tarmac;

namespace {

Json json(const QByteArray &text)
{
    auto parsed = parseJson(text);
    if (!parsed)
        qWarning("test JSON does not parse: %s", text.constData());
    return parsed ? *parsed : Json();
}

// `depth` maps (or lists) around {"S":"leaf"}: the attribute is level 1, the leaf is level
// depth + 1.
QByteArray nested(int depth, bool lists = false, bool mixed = false)
{
    QByteArray open;
    QByteArray close;
    for (int i = 0; i < depth; ++i) {
        const bool list = mixed ? i % 2 == 1 : lists;
        open += list ? QByteArray(R"j({"L":[)j") : QByteArray(R"j({"M":{"n":)j");
        close.prepend(list ? "]}" : "}}");
    }
    return open + R"j({"S":"leaf"})j" + close;
}

int signOf(int c)
{
    return (c > 0) - (c < 0);
}

int memcmpOrder(const QByteArray &a, const QByteArray &b)
{
    const int c = std::memcmp(a.constData(), b.constData(), size_t(std::min(a.size(), b.size())));
    if (c != 0)
        return signOf(c);
    return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

const QString kSerialization = QStringLiteral("SerializationException");
const QString kValidation = QStringLiteral("ValidationException");
const QString kInvalid = QStringLiteral("One or more parameter values were invalid: ");
const QString kEmptyValue = QStringLiteral(
    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
const QString kTwoTypes = QStringLiteral("Supplied AttributeValue has more than one datatypes set, "
                                         "must contain exactly one of the supported datatypes");
const QString kNesting = QStringLiteral("Nesting Levels have exceeded supported limits: Attributes "
                                        "in the item have nested levels beyond supported limit");
const QString kNotNumeric = QStringLiteral("The parameter cannot be converted to a numeric value");
const QString kOverflow = QStringLiteral(
    "Number overflow. Attempting to store a number with magnitude larger than supported range");
const QString kUnderflow = QStringLiteral(
    "Number underflow. Attempting to store a number with magnitude smaller than supported range");
const QString kDigits
    = QStringLiteral("Attempting to store more than 38 significant digits in a Number");
const QString kTooBig = QStringLiteral("Item size has exceeded the maximum allowed size");
const QString kStartOfMap = QStringLiteral("Start of structure or map found where not expected");
const QString kFieldType = QStringLiteral("Unexpected field type");
const QString kValueType = QStringLiteral("Unexpected value type in payload");
const QString kNotAValue = QStringLiteral(
    "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue");
const QString kNotAMap = QStringLiteral("Unrecognized collection type java.util.Map<java.lang."
                                        "String, com.amazonaws.dynamodb.v20120810.AttributeValue>");
const QString kNotBase64 = QStringLiteral("only base-64-encoded strings are convertible to bytes");
const QString kLastBase64 = QStringLiteral("Invalid last non-pad Base64 character dectected");

QString base64Length(int n)
{
    return QStringLiteral("Base64 encoded length is expected a multiple of 4 bytes but found: %1")
        .arg(n);
}

QString base64Character(const char *path)
{
    return QStringLiteral("Invalid Base64 character in the binary value at %1")
        .arg(QLatin1String(path));
}

// Rows of input JSON, the normalised JSON expected (empty when refused), and the error's code
// and message.
void addColumns()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("expected");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("message");
}

void ok(const QByteArray &input, const QByteArray &expected = QByteArray())
{
    QTest::newRow(input.left(70).constData())
        << input << (expected.isEmpty() ? input : expected) << QString() << QString();
}

void fails(const QByteArray &input, const QString &code, const QString &message)
{
    QTest::newRow(input.left(70).constData()) << input << QByteArray() << code << message;
}

void shapeFails(const QByteArray &input, const QString &message)
{
    fails(input, kSerialization, message);
}

void meaningFails(const QByteArray &input, const QString &message)
{
    fails(input, kValidation, message);
}

void compareOutcome(
    const Result<Json> &r, const QByteArray &expected, const QString &code, const QString &message)
{
    if (!code.isEmpty()) {
        QVERIFY2(!r, r ? toJsonBytes(*r).constData() : "");
        QCOMPARE(r.error().code, code);
        QCOMPARE(r.error().httpStatus, 400);
        QCOMPARE(r.error().message, message);
        return;
    }
    QVERIFY2(r, r ? "" : qPrintable(r.error().message));
    const Json want = json(expected);
    QVERIFY2(*r == want, toJsonBytes(*r).left(300).constData());
}

// A random S (ASCII, accented, CJK and astral characters), B or N value.
Json randomValue(QRandomGenerator &rng, const char *type)
{
    if (qstrcmp(type, "S") == 0) {
        static const QStringList pieces
            = {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("Z"), QStringLiteral("0"),
                QStringLiteral("~"), QStringLiteral("é"), QStringLiteral("ß"), QStringLiteral("日"),
                QStringLiteral("\U0001F600"), QStringLiteral("\uFFFD"), QStringLiteral("\uFF41")};
        QString s;
        const int n = rng.bounded(6);
        for (int i = 0; i < n; ++i)
            s += pieces[rng.bounded(pieces.size())];
        return Json {{"S", toStd(s)}};
    }
    if (qstrcmp(type, "B") == 0) {
        QByteArray bytes;
        const int n = rng.bounded(6);
        for (int i = 0; i < n; ++i)
            bytes += char(rng.bounded(4) == 0 ? rng.bounded(256) : (rng.bounded(2) ? 0 : 255));
        return Json {{"B", bytes.toBase64().toStdString()}};
    }
    QString text = rng.bounded(2) ? QStringLiteral("-") : QString();
    text += QString::number(rng.bounded(1, 1000)) + QStringLiteral("e%1").arg(rng.bounded(-5, 6));
    return Json {{"N", toStd(text)}};
}

} // namespace

class TestDdbValue : public QObject
{
    Q_OBJECT
private slots:
    void checkValue_data();
    void checkValue();
    void checkItem_data();
    void checkItem();
    void checkItemInPlaceCopiesOnlyWhenNeeded();
    void itemSizeLimit_data();
    void itemSizeLimit();
    void valueSize_data();
    void valueSize();
    void integerSizesAsTheParserSays();
    void itemSize_data();
    void itemSize();
    void compareValues_data();
    void compareValues();
    void equalValues_data();
    void equalValues();
    void keySortBytesOrderAsValues();
    void typeOf_data();
    void typeOf();
};

void TestDdbValue::checkValue_data()
{
    addColumns();

    // Scalars as they come, numbers normalised.
    ok(R"j({"S":"x"})j");
    ok(R"j({"S":""})j");
    ok(R"j({"S":"héllo 日本 😀"})j");
    ok(R"j({"S":"1"})j");
    ok(R"j({"N":"1"})j");
    ok(R"j({"N":"+01.50"})j", R"j({"N":"1.5"})j");
    ok(R"j({"N":"-0"})j", R"j({"N":"0"})j");
    ok(R"j({"N":"1e2"})j", R"j({"N":"100"})j");
    ok(R"j({"N":"0.000"})j", R"j({"N":"0"})j");
    ok(R"j({"N":".5"})j", R"j({"N":"0.5"})j");
    ok(R"j({"N":"-17.4E3"})j", R"j({"N":"-17400"})j");
    ok(R"j({"B":""})j");
    ok(R"j({"B":"YQ=="})j");
    ok(R"j({"B":"YWI="})j");
    ok(R"j({"B":"YWJj"})j");
    ok(R"j({"B":"AAEC/w=="})j");
    ok(R"j({"B":"+/+/"})j");
    ok(R"j({"BOOL":true})j");
    ok(R"j({"BOOL":false})j");
    ok(R"j({"NULL":true})j");
    // Coral reads these words as booleans.
    ok(R"j({"BOOL":"true"})j", R"j({"BOOL":true})j");
    ok(R"j({"BOOL":"TRUE"})j", R"j({"BOOL":true})j");
    ok(R"j({"BOOL":"yes"})j", R"j({"BOOL":true})j");
    ok(R"j({"BOOL":"1"})j", R"j({"BOOL":true})j");
    ok(R"j({"BOOL":"false"})j", R"j({"BOOL":false})j");
    ok(R"j({"BOOL":"No"})j", R"j({"BOOL":false})j");
    ok(R"j({"BOOL":"0"})j", R"j({"BOOL":false})j");
    ok(R"j({"NULL":"true"})j", R"j({"NULL":true})j");
    // Sets, numbers normalised; sets of one, and empty strings and binaries in them.
    ok(R"j({"SS":["a","b"]})j");
    ok(R"j({"SS":["a"]})j");
    ok(R"j({"SS":["","a"]})j");
    ok(R"j({"SS":["a","A","á"]})j");
    ok(R"j({"NS":["1.50","2","-0.0"]})j", R"j({"NS":["1.5","2","0"]})j");
    ok(R"j({"NS":["1e-130","9.9999999999999999999999999999999999999E+125"]})j",
        QByteArray(R"j({"NS":["0.)j") + QByteArray(129, '0') + "1\",\"" + QByteArray(38, '9')
            + QByteArray(88, '0') + "\"]}");
    ok(R"j({"BS":["YQ==","YWI="]})j");
    ok(R"j({"BS":["","YQ=="]})j");
    // Documents, empty or not, normalised all the way down.
    ok(R"j({"M":{}})j");
    ok(R"j({"L":[]})j");
    ok(R"j({"M":{"a":{"S":"x"},"b":{"N":"01"}}})j", R"j({"M":{"a":{"S":"x"},"b":{"N":"1"}}})j");
    ok(R"j({"L":[{"N":"1.0"},{"L":[{"NS":["2.0"]}]},{"M":{"c":{"BOOL":"yes"}}}]})j",
        R"j({"L":[{"N":"1"},{"L":[{"NS":["2"]}]},{"M":{"c":{"BOOL":true}}}]})j");
    ok(R"j({"M":{"":{"S":"empty names inside a map"}}})j");
    ok(R"j({"M":{"a.b":{"NULL":true},"c[0]":{"L":[]}}})j");
    ok(R"j({"L":[{"S":"a"},{"S":"a"}]})j");
    // Members that are null or not a type are dropped, as Coral drops them.
    ok(R"j({"S":"a","X":1})j", R"j({"S":"a"})j");
    ok(R"j({"S":"a","N":null})j", R"j({"S":"a"})j");
    ok(R"j({"s":"lower case is not a type","N":"2"})j", R"j({"N":"2"})j");
    ok(R"j({"M":{"a":{"S":"x","Extra":{"S":"y"}}}})j", R"j({"M":{"a":{"S":"x"}}})j");
    // 31 levels of documents around a value: the deepest DynamoDB takes.
    ok(nested(31));
    ok(nested(31, true));
    ok(nested(31, false, true));
    ok(nested(10));

    // Shapes: Coral's words for each member of the wrong JSON type.
    shapeFails(R"j({"S":5})j", QStringLiteral("NUMBER_VALUE cannot be converted to String"));
    shapeFails(R"j({"S":-5})j", QStringLiteral("NUMBER_VALUE cannot be converted to String"));
    shapeFails(R"j({"S":5.5})j", QStringLiteral("DECIMAL_VALUE cannot be converted to String"));
    shapeFails(R"j({"S":1e3})j", QStringLiteral("DECIMAL_VALUE cannot be converted to String"));
    shapeFails(R"j({"S":true})j", QStringLiteral("TRUE_VALUE cannot be converted to String"));
    shapeFails(R"j({"S":false})j", QStringLiteral("FALSE_VALUE cannot be converted to String"));
    shapeFails(R"j({"S":{}})j", kStartOfMap);
    shapeFails(R"j({"S":{"S":"x"}})j", kStartOfMap);
    shapeFails(
        R"j({"S":["x"]})j", QStringLiteral("Unrecognized collection type class java.lang.String"));
    shapeFails(R"j({"N":1})j", QStringLiteral("NUMBER_VALUE cannot be converted to String"));
    shapeFails(R"j({"N":123})j", QStringLiteral("NUMBER_VALUE cannot be converted to String"));
    shapeFails(R"j({"N":1.5})j", QStringLiteral("DECIMAL_VALUE cannot be converted to String"));
    shapeFails(R"j({"N":true})j", QStringLiteral("TRUE_VALUE cannot be converted to String"));
    shapeFails(
        R"j({"N":["1"]})j", QStringLiteral("Unrecognized collection type class java.lang.String"));
    shapeFails(R"j({"N":{}})j", kStartOfMap);
    shapeFails(R"j({"B":1})j", kNotBase64);
    shapeFails(R"j({"B":1.5})j", kNotBase64);
    shapeFails(R"j({"B":true})j", kNotBase64);
    shapeFails(
        R"j({"B":[]})j", QStringLiteral("Unrecognized collection type class java.nio.ByteBuffer"));
    shapeFails(R"j({"B":{}})j", kStartOfMap);
    // Base64 as AWS's decoder wants it: padded, standard alphabet, no stray bits.
    shapeFails(R"j({"B":"a"})j", base64Length(1));
    shapeFails(R"j({"B":"abc"})j", base64Length(3));
    shapeFails(R"j({"B":"YQ="})j", base64Length(3));
    shapeFails(R"j({"B":"YWJjZGVmZ2g"})j", base64Length(11));
    shapeFails(R"j({"B":"fakebase64"})j", base64Length(10));
    shapeFails(R"j({"B":"YWJj??!!"})j", base64Character("a"));
    shapeFails(R"j({"B":"YQ-_"})j", base64Character("a"));
    shapeFails(R"j({"B":"YQ=a"})j", base64Character("a"));
    shapeFails(R"j({"B":"Y=Q="})j", base64Character("a"));
    shapeFails(R"j({"B":"===="})j", base64Character("a"));
    shapeFails(R"j({"B":"A==="})j", base64Character("a"));
    shapeFails(R"j({"B":"YQ== "})j", base64Length(5));
    shapeFails(R"j({"B":" YQ="})j", base64Character("a"));
    shapeFails(R"j({"B":"YR=="})j", kLastBase64);
    shapeFails(R"j({"B":"YWJ="})j", kLastBase64);
    shapeFails(R"j({"B":"AB=="})j", kLastBase64);
    shapeFails(R"j({"BOOL":1})j", QStringLiteral("NUMBER_VALUE cannot be converted to Boolean"));
    shapeFails(R"j({"BOOL":0.5})j", QStringLiteral("DECIMAL_VALUE cannot be converted to Boolean"));
    shapeFails(R"j({"BOOL":"maybe"})j", QStringLiteral("Unexpected token received from parser"));
    shapeFails(R"j({"BOOL":""})j", QStringLiteral("Unexpected token received from parser"));
    shapeFails(
        R"j({"BOOL":[]})j", QStringLiteral("Unrecognized collection type class java.lang.Boolean"));
    shapeFails(R"j({"BOOL":{}})j", kStartOfMap);
    shapeFails(R"j({"NULL":1})j", QStringLiteral("NUMBER_VALUE cannot be converted to Boolean"));
    shapeFails(R"j({"NULL":"x"})j", QStringLiteral("Unexpected token received from parser"));
    shapeFails(R"j({"NULL":[true]})j",
        QStringLiteral("Unrecognized collection type class java.lang.Boolean"));
    // Sets: a list, of strings.
    shapeFails(R"j({"SS":"a"})j", kFieldType);
    shapeFails(R"j({"SS":1})j", kFieldType);
    shapeFails(R"j({"SS":true})j", kFieldType);
    shapeFails(R"j({"SS":{}})j", kStartOfMap);
    shapeFails(R"j({"SS":[1]})j", QStringLiteral("NUMBER_VALUE cannot be converted to String"));
    shapeFails(
        R"j({"SS":["a",false]})j", QStringLiteral("FALSE_VALUE cannot be converted to String"));
    shapeFails(R"j({"SS":[["a"]]})j",
        QStringLiteral("Unrecognized collection type class java.lang.String"));
    shapeFails(R"j({"SS":[{}]})j", kStartOfMap);
    shapeFails(R"j({"SS":["a",null]})j", QStringLiteral("A set may not hold null: a[1]"));
    shapeFails(R"j({"NS":"1"})j", kFieldType);
    shapeFails(R"j({"NS":{"1":"1"}})j", kStartOfMap);
    shapeFails(R"j({"NS":[1]})j", QStringLiteral("NUMBER_VALUE cannot be converted to String"));
    shapeFails(
        R"j({"NS":["1",2.5]})j", QStringLiteral("DECIMAL_VALUE cannot be converted to String"));
    shapeFails(R"j({"NS":[null]})j", QStringLiteral("A set may not hold null: a[0]"));
    shapeFails(R"j({"BS":"YQ=="})j", kFieldType);
    shapeFails(R"j({"BS":{}})j", kStartOfMap);
    shapeFails(R"j({"BS":[1]})j", kNotBase64);
    shapeFails(R"j({"BS":["abc"]})j", base64Length(3));
    shapeFails(R"j({"BS":["YQ==","YR=="]})j", kLastBase64);
    shapeFails(R"j({"BS":["YQ==","!!!!"]})j", base64Character("a[1]"));
    shapeFails(R"j({"BS":[[]]})j",
        QStringLiteral("Unrecognized collection type class java.nio.ByteBuffer"));
    // Documents: L a list of values, M a map of them.
    shapeFails(R"j({"L":"x"})j", kFieldType);
    shapeFails(R"j({"L":1})j", kFieldType);
    shapeFails(R"j({"L":{}})j", kStartOfMap);
    shapeFails(R"j({"L":{"S":"x"}})j", kStartOfMap);
    shapeFails(R"j({"L":[1]})j", kValueType);
    shapeFails(R"j({"L":["a"]})j", kValueType);
    shapeFails(R"j({"L":[true]})j", kValueType);
    shapeFails(R"j({"L":[[]]})j", kNotAValue);
    shapeFails(R"j({"L":[{"S":"a"},{"S":1}]})j",
        QStringLiteral("NUMBER_VALUE cannot be converted to String"));
    shapeFails(R"j({"M":[]})j", kNotAMap);
    shapeFails(R"j({"M":[{"S":"x"}]})j", kNotAMap);
    shapeFails(R"j({"M":"x"})j", kFieldType);
    shapeFails(R"j({"M":1})j", kFieldType);
    shapeFails(R"j({"M":{"a":1}})j", kValueType);
    shapeFails(R"j({"M":{"a":"x"}})j", kValueType);
    shapeFails(R"j({"M":{"a":[]}})j", kNotAValue);
    shapeFails(R"j({"M":{"a":{"B":"x"}}})j", base64Length(1));
    shapeFails(R"j({"M":{"x":{"L":[{"S":"a"},{"B":"!!!!"}]}}})j", base64Character("a.x[1]"));
    shapeFails(
        R"j({"M":{"x":{"M":{"y":{"BS":["YQ==","YQ==","#A=="]}}}}})j", base64Character("a.x.y[2]"));
    // The value itself.
    shapeFails(R"j([])j", kNotAValue);
    shapeFails(R"j([{"S":"x"}])j", kNotAValue);
    shapeFails(R"j("x")j", kValueType);
    shapeFails(R"j(5)j", kValueType);
    shapeFails(R"j(true)j", kValueType);
    // Shape errors anywhere win over meaning errors earlier in the value.
    shapeFails(R"j({"L":[{"N":"abc"},{"S":5}]})j",
        QStringLiteral("NUMBER_VALUE cannot be converted to String"));
    shapeFails(R"j({"L":[{},{"B":"abc"}]})j", base64Length(3));
    shapeFails(R"j({"M":{"a":{"SS":[]},"b":{"BOOL":2}}})j",
        QStringLiteral("NUMBER_VALUE cannot be converted to Boolean"));

    // Meaning: exactly one type.
    meaningFails(R"j({})j", kEmptyValue);
    meaningFails(R"j(null)j", kEmptyValue);
    meaningFails(R"j({"X":1})j", kEmptyValue);
    meaningFails(R"j({"S":null})j", kEmptyValue);
    meaningFails(R"j({"s":"x"})j", kEmptyValue);
    meaningFails(R"j({"M":{"a":{}}})j", kEmptyValue);
    meaningFails(R"j({"L":[{}]})j", kEmptyValue);
    meaningFails(R"j({"L":[null]})j", kEmptyValue);
    meaningFails(R"j({"L":[{"a":{}}]})j", kEmptyValue);
    meaningFails(R"j({"S":"a","N":"1"})j", kTwoTypes);
    meaningFails(R"j({"BOOL":true,"NULL":true})j", kTwoTypes);
    meaningFails(R"j({"SS":["a"],"NS":["1"]})j", kTwoTypes);
    meaningFails(R"j({"M":{},"L":[]})j", kTwoTypes);
    meaningFails(R"j({"L":[{"S":"a","B":"YQ=="}]})j", kTwoTypes);
    // Each type's own rules come before the one-type rule (dynalite's cases against AWS).
    meaningFails(R"j({"S":"","N":""})j", kNotNumeric);
    meaningFails(R"j({"S":"a","N":""})j", kNotNumeric);
    meaningFails(R"j({"S":"a","N":"b"})j", kNotNumeric + QStringLiteral(": b"));
    // Numbers.
    meaningFails(R"j({"N":""})j", kNotNumeric);
    meaningFails(R"j({"N":"abc"})j", kNotNumeric + QStringLiteral(": abc"));
    meaningFails(R"j({"N":"NaN"})j", kNotNumeric + QStringLiteral(": NaN"));
    meaningFails(R"j({"N":"Infinity"})j", kNotNumeric + QStringLiteral(": Infinity"));
    meaningFails(R"j({"N":"1e"})j", kNotNumeric + QStringLiteral(": 1e"));
    meaningFails(R"j({"N":" 1"})j", kNotNumeric + QStringLiteral(":  1"));
    meaningFails(R"j({"N":"1e126"})j", kOverflow);
    meaningFails(R"j({"N":"-1e126"})j", kOverflow);
    meaningFails(R"j({"N":"1e-131"})j", kUnderflow);
    meaningFails(R"j({"N":"-1e-131"})j", kUnderflow);
    meaningFails(R"j({"N":"123456789012345678901234567890123456789"})j", kDigits);
    meaningFails(R"j({"N":"-1.23456789012345678901234567890123456789"})j", kDigits);
    meaningFails(R"j({"NS":["1",""]})j", kNotNumeric);
    meaningFails(R"j({"NS":["1","b"]})j", kNotNumeric + QStringLiteral(": b"));
    meaningFails(R"j({"NS":["1e126"]})j", kOverflow);
    meaningFails(R"j({"NS":["1","1e-131"]})j", kUnderflow);
    meaningFails(R"j({"M":{"a":{"N":"x"}}})j", kNotNumeric + QStringLiteral(": x"));
    meaningFails(R"j({"L":[{"N":"1"},{"N":"0x1"}]})j", kNotNumeric + QStringLiteral(": 0x1"));
    // NULL is true.
    meaningFails(R"j({"NULL":false})j",
        kInvalid + QStringLiteral("Null attribute value types must have the value of true"));
    meaningFails(R"j({"NULL":"no"})j",
        kInvalid + QStringLiteral("Null attribute value types must have the value of true"));
    meaningFails(R"j({"L":[{"NULL":false}]})j",
        kInvalid + QStringLiteral("Null attribute value types must have the value of true"));
    // Sets are not empty (AWS's words, double space and all).
    meaningFails(R"j({"SS":[]})j", kInvalid + QStringLiteral("An string set  may not be empty"));
    meaningFails(R"j({"NS":[]})j", kInvalid + QStringLiteral("An number set  may not be empty"));
    meaningFails(R"j({"BS":[]})j", kInvalid + QStringLiteral("Binary sets should not be empty"));
    meaningFails(
        R"j({"M":{"a":{"SS":[]}}})j", kInvalid + QStringLiteral("An string set  may not be empty"));
    // Sets hold no duplicates; numbers compare by value.
    meaningFails(R"j({"SS":["a","a"]})j",
        kInvalid + QStringLiteral("Input collection [a, a] contains duplicates."));
    meaningFails(R"j({"SS":["a","b","a"]})j",
        kInvalid + QStringLiteral("Input collection [a, b, a] contains duplicates."));
    meaningFails(R"j({"SS":["",""]})j",
        kInvalid + QStringLiteral("Input collection [, ] contains duplicates."));
    meaningFails(R"j({"NS":["1","1"]})j", QStringLiteral("Input collection contains duplicates"));
    meaningFails(R"j({"NS":["1","1.0"]})j", QStringLiteral("Input collection contains duplicates"));
    meaningFails(
        R"j({"NS":["1e2","100","3"]})j", QStringLiteral("Input collection contains duplicates"));
    meaningFails(R"j({"NS":["0","-0"]})j", QStringLiteral("Input collection contains duplicates"));
    meaningFails(R"j({"BS":["Yg==","Yg=="]})j",
        kInvalid + QStringLiteral("Input collection [Yg==, Yg==]of type BS contains duplicates."));
    meaningFails(R"j({"L":[{"SS":["x","y","x"]}]})j",
        kInvalid + QStringLiteral("Input collection [x, y, x] contains duplicates."));
    // A number set's numbers are checked before its duplicates.
    meaningFails(R"j({"NS":["1","1","x"]})j", kNotNumeric + QStringLiteral(": x"));
    // 32 levels of documents around a value is one too many, however they nest.
    meaningFails(nested(32), kNesting);
    meaningFails(nested(32, true), kNesting);
    meaningFails(nested(32, false, true), kNesting);
    meaningFails(nested(33), kNesting);
    meaningFails(nested(50), kNesting);
    meaningFails(nested(500, true), kNesting);
    meaningFails(QByteArray(R"j({"L":[{"S":"a"},)j") + nested(31) + "]}", kNesting);
    // Below the limit nothing is read, not even a shape error.
    meaningFails(
        QByteArray(R"j({"L":[)j") + nested(31).replace(R"j({"S":"leaf"})j", "5") + "]}", kNesting);
}

void TestDdbValue::checkValue()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, expected);
    QFETCH(QString, code);
    QFETCH(QString, message);
    const auto r = tarmac::checkValue(json(input), QStringLiteral("a"));
    compareOutcome(r, expected, code, message);
    // What checkValue answers passes again unchanged.
    if (r) {
        const auto again = tarmac::checkValue(*r, QStringLiteral("a"));
        QVERIFY(again);
        QVERIFY(*again == *r);
        QVERIFY(tarmac::equalValues(*again, *r));
    }
}

void TestDdbValue::checkItem_data()
{
    addColumns();
    ok(R"j({})j");
    ok(R"j({"id":{"S":"1"}})j");
    ok(R"j({"id":{"S":"1"},"n":{"N":"0010.0"},"flags":{"NS":["1.0","2"]}})j",
        R"j({"id":{"S":"1"},"n":{"N":"10"},"flags":{"NS":["1","2"]}})j");
    ok(R"j({"a":{"M":{"b":{"L":[{"N":"-0"}]}}},"c":{"BOOL":"yes"},"d":{"S":"x","junk":1}})j",
        R"j({"a":{"M":{"b":{"L":[{"N":"0"}]}}},"c":{"BOOL":true},"d":{"S":"x"}})j");
    ok(R"j({"é 日 😀":{"NULL":true}})j");
    ok(QByteArray("{\"") + QByteArray(65535, 'n') + R"j(":{"S":"x"}})j");
    ok(QByteArray(R"j({"deep":)j") + nested(31) + "}");

    shapeFails(R"j([])j", kNotAMap);
    shapeFails(R"j([{"a":{"S":"x"}}])j", kNotAMap);
    shapeFails(R"j("x")j", kFieldType);
    shapeFails(R"j(1)j", kFieldType);
    shapeFails(R"j(null)j", kFieldType);
    shapeFails(R"j({"a":"x"})j", kValueType);
    shapeFails(R"j({"a":["x"]})j", kNotAValue);
    shapeFails(R"j({"a":{"S":1}})j", QStringLiteral("NUMBER_VALUE cannot be converted to String"));
    shapeFails(R"j({"a":{"B":"!!!!"}})j", base64Character("a"));
    shapeFails(R"j({"a":{"M":{"b":{"B":"!!!!"}}}})j", base64Character("a.b"));
    // Every value's shape before any value's meaning.
    shapeFails(
        R"j({"a":{},"b":{"S":5}})j", QStringLiteral("NUMBER_VALUE cannot be converted to String"));
    shapeFails(R"j({"":{"S":"x"},"b":{"BOOL":"maybe"}})j",
        QStringLiteral("Unexpected token received from parser"));

    meaningFails(R"j({"a":{}})j", kEmptyValue);
    meaningFails(R"j({"a":null})j", kEmptyValue);
    meaningFails(R"j({"a":{"S":"x"},"b":{"N":"1","S":"1"}})j", kTwoTypes);
    meaningFails(
        R"j({"a":{"NS":["1","01"]}})j", QStringLiteral("Input collection contains duplicates"));
    meaningFails(R"j({"a":{"N":"1e999"}})j", kOverflow);
    meaningFails(R"j({"":{"S":"x"}})j", QStringLiteral("Empty attribute name"));
    meaningFails(QByteArray("{\"") + QByteArray(65536, 'n') + R"j(":{"S":"x"}})j",
        QStringLiteral("Attribute name is too large, must be less than 65536 bytes"));
    meaningFails(QByteArray(R"j({"deep":)j") + nested(32) + "}", kNesting);
}

void TestDdbValue::checkItem()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, expected);
    QFETCH(QString, code);
    QFETCH(QString, message);
    const auto r = tarmac::checkItem(json(input));
    compareOutcome(r, expected, code, message);
    // The same without a copy: none is made when the item is already as it is stored.
    const Json in = json(input);
    const auto inPlace = tarmac::checkItemInPlace(in);
    QCOMPARE(bool(inPlace), bool(r));
    if (r)
        QVERIFY((*inPlace ? **inPlace : in) == *r);
}

// A request's item is checked where it is, and copied only when something in it changes.
void TestDdbValue::checkItemInPlaceCopiesOnlyWhenNeeded()
{
    qint64 size = 0;
    const Json plain = json(R"j({"id":{"S":"1"},"n":{"N":"10"},"l":{"L":[{"N":"-3"}]}})j");
    const auto same = tarmac::checkItemInPlace(plain, &size);
    QVERIFY(same);
    QVERIFY(!same->has_value());
    QCOMPARE(size, tarmac::itemSize(plain));
    const Json fraction = json(R"j({"id":{"S":"1"},"l":{"L":[{"N":"1.50"}]}})j");
    const auto normalised = tarmac::checkItemInPlace(fraction);
    QVERIFY(normalised && normalised->has_value());
    QVERIFY(**normalised == json(R"j({"id":{"S":"1"},"l":{"L":[{"N":"1.5"}]}})j"));
    QVERIFY(fraction == json(R"j({"id":{"S":"1"},"l":{"L":[{"N":"1.50"}]}})j")); // untouched
}

// 400 KB is 409600 bytes of names and values: one byte more is refused (dynalite's cases,
// measured against DynamoDB).
void TestDdbValue::itemSizeLimit_data()
{
    QTest::addColumn<QByteArray>("item");
    QTest::addColumn<qint64>("size");
    const QByteArray key = "k7G2pQ"; // the key's S value
    const auto item = [&](const QByteArray &rest) -> QByteArray {
        return QByteArray(R"j({"a":{"S":")j") + key + "\"}," + rest + "}";
    };
    const auto s = [](const QByteArray &name, qint64 length) -> QByteArray {
        return "\"" + name + R"j(":{"S":")j" + QByteArray(length, 'a') + "\"}";
    };
    const qint64 max = kDdbMaxItemSize;
    const qint64 fixed = 1 + key.size();
    QTest::newRow("small attribute, at the limit") << item(s("b", max - fixed - 1)) << max;
    QTest::newRow("small attribute, one over") << item(s("b", max - fixed)) << max + 1;
    const QByteArray longName(27, 'b');
    QTest::newRow("long name, at the limit") << item(s(longName, max - fixed - 27)) << max;
    QTest::newRow("long name, one over") << item(s(longName, max - fixed - 26)) << max + 1;
    QTest::newRow("three attributes, at the limit")
        << item(s("bb", max - fixed - 2 - 5) + "," + s("ccc", 2)) << max;
    QTest::newRow("three attributes, one over")
        << item(s("bb", max - fixed - 2 - 4) + "," + s("ccc", 2)) << max + 1;
    const QByteArray bigNumber
        = R"j("c":{"N":")j" + QByteArray(38, '1') + QByteArray(88, '0') + "\"}";
    QTest::newRow("38-digit number, at the limit")
        << item(s("b", max - fixed - 1 - 1 - 20) + "," + bigNumber) << max;
    QTest::newRow("38-digit number, one over")
        << item(s("b", max - fixed - 1 - 1 - 19) + "," + bigNumber) << max + 1;
    const QByteArray smallNumber = R"j("c":{"N":"1)j" + QByteArray(125, '0') + "\"}";
    QTest::newRow("1e125, at the limit")
        << item(s("b", max - fixed - 1 - 1 - 2) + "," + smallNumber) << max;
    QTest::newRow("1e125, one over")
        << item(s("b", max - fixed - 1 - 1 - 1) + "," + smallNumber) << max + 1;
    // Binary counts its raw bytes, not its base64.
    const auto binary = [](qint64 bytes) -> QByteArray {
        return QByteArray(R"j({"b":{"B":")j") + QByteArray(bytes, '\x5a').toBase64()
            + R"j("},"c":{"NULL":true}})j";
    };
    QTest::newRow("binary, at the limit") << binary(max - 3) << max;
    QTest::newRow("binary, one over") << binary(max - 2) << max + 1;
    // A multi-byte string counts its UTF-8 bytes.
    QByteArray accents;
    for (int i = 0; i < (max - 1) / 2; ++i)
        accents += "\xc3\xa9";
    QTest::newRow("UTF-8, a byte under")
        << QByteArray(R"j({"e":{"S":")j") + accents + "\"}}" << 1 + 2 * ((max - 1) / 2);
    QTest::newRow("UTF-8, over") << QByteArray(R"j({"e":{"S":")j") + accents + "\xc3\xa9\"}}"
                                 << 1 + 2 * ((max - 1) / 2) + 2;
    // Documents: 3 bytes each and 1 per element.
    QByteArray list = R"j({"l":{"L":[)j";
    const int elements = 1000;
    const qint64 elementSize = 1 + 400; // an element's byte, then an S of 400
    for (int i = 0; i < elements; ++i)
        list += (i ? "," : "") + QByteArray(R"j({"S":")j") + QByteArray(400, 'x') + "\"}";
    list += "]}";
    const qint64 used = 1 + 3 + elements * elementSize;
    QTest::newRow("list, at the limit") << list + "," + s("z", max - used - 1) + "}" << max;
    QTest::newRow("list, one over") << list + "," + s("z", max - used) + "}" << max + 1;
}

void TestDdbValue::itemSizeLimit()
{
    QFETCH(QByteArray, item);
    QFETCH(qint64, size);
    const Json value = json(item);
    QCOMPARE(tarmac::itemSize(value), size);
    const auto r = tarmac::checkItem(value);
    QCOMPARE(bool(r), size <= kDdbMaxItemSize);
    if (!r) {
        QCOMPARE(r.error().code, kValidation);
        QCOMPARE(r.error().message, kTooBig);
    }
}

void TestDdbValue::valueSize_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<qint64>("size");
    const auto row = [](const QByteArray &value, qint64 size) {
        QTest::newRow(value.left(70).constData()) << value << size;
    };
    // The developer guide's rules, one type at a time.
    row(R"j({"S":"abc"})j", 3);
    row(R"j({"S":""})j", 0);
    row(R"j({"S":"é"})j", 2);
    row(R"j({"S":"日本"})j", 6);
    row(R"j({"S":"😀"})j", 4);
    row(R"j({"N":"0"})j", 1);
    row(R"j({"N":"1"})j", 2);
    row(R"j({"N":"123"})j", 3);
    row(R"j({"N":"12345"})j", 4);
    row(R"j({"N":"1.2"})j", 3);
    row(R"j({"N":"-1"})j", 3);
    row(R"j({"N":"1000000"})j", 2);
    row(R"j({"N":"0.001"})j", 2);
    row(R"j({"N":"12345678901234567890123456789012345678"})j", 20);
    row(R"j({"B":""})j", 0);
    row(R"j({"B":"YQ=="})j", 1);
    row(R"j({"B":"YWI="})j", 2);
    row(R"j({"B":"YWJj"})j", 3);
    row(R"j({"B":"AAECAwQFBgcICQ=="})j", 10);
    row(R"j({"BOOL":true})j", 1);
    row(R"j({"BOOL":false})j", 1);
    row(R"j({"NULL":true})j", 1);
    // Sets: their members' sizes.
    row(R"j({"SS":["a","bc"]})j", 3);
    row(R"j({"SS":["","é"]})j", 2);
    row(R"j({"NS":["1","12","-1.2"]})j", 2 + 2 + 4);
    row(R"j({"BS":["YQ==","YWI="]})j", 3);
    // Documents: 3 bytes, 1 per element, the elements (and a map's names).
    row(R"j({"L":[]})j", 3);
    row(R"j({"M":{}})j", 3);
    row(R"j({"L":[{"S":"a"}]})j", 3 + 1 + 1);
    row(R"j({"L":[{"S":"a"},{"N":"1"}]})j", 3 + (1 + 1) + (1 + 2));
    row(R"j({"L":[{"NULL":true},{"BOOL":false},{"L":[]}]})j", 3 + 2 + 2 + 4);
    row(R"j({"M":{"ab":{"S":"c"}}})j", 3 + 1 + 2 + 1);
    row(R"j({"M":{"a":{"N":"1"},"é":{"M":{}}}})j", 3 + (1 + 1 + 2) + (1 + 2 + 3));
    row(R"j({"M":{"x":{"L":[{"SS":["ab","c"]}]}}})j", 3 + 1 + 1 + (3 + 1 + 3));
    row(nested(3), 3 + 1 + 1 + (3 + 1 + 1 + (3 + 1 + 1 + 4)));
    // Not values: nothing.
    row(R"j({})j", 0);
    row(R"j({"S":"a","N":"1"})j", 0);
    row(R"j("x")j", 0);
}

void TestDdbValue::valueSize()
{
    QFETCH(QByteArray, value);
    QFETCH(qint64, size);
    QCOMPARE(tarmac::valueSize(json(value)), size);
}

// Plain integers are sized without the decimal parser, and checked without it: both must
// agree with it, whatever the digits, zeros and sign.
void TestDdbValue::integerSizesAsTheParserSays()
{
    QStringList texts = {QStringLiteral("0"), QStringLiteral("10"), QStringLiteral("100"),
        QStringLiteral("-100"), QStringLiteral("1010"), QStringLiteral("99"),
        QStringLiteral("12345678901234567890123456789012345678"),
        QStringLiteral("-10000000000000000000000000000000000000")};
    auto *random = QRandomGenerator::global();
    for (int i = 0; i < 2000; ++i) {
        QString digits = QString::number(random->bounded(1, 10));
        const int more = random->bounded(0, 38);
        for (int k = 0; k < more; ++k)
            digits += QChar(u'0' + (random->bounded(3) == 0 ? 0 : random->bounded(10)));
        texts.append(random->bounded(2) ? digits : u'-' + digits);
    }
    for (const QString &text : std::as_const(texts)) {
        const auto number = tarmac::DdbNumber::parse(text);
        QVERIFY2(number, qPrintable(text));
        const tarmac::Json value = {{"N", text.toStdString()}};
        QCOMPARE(tarmac::valueSize(value), qint64(number->storedSize()));
        const auto checked = tarmac::checkValue(value, QStringLiteral("n"));
        QVERIFY2(checked, qPrintable(text));
        QCOMPARE(QString::fromStdString((*checked)["N"].get<std::string>()), number->toString());
    }
}

void TestDdbValue::itemSize_data()
{
    QTest::addColumn<QByteArray>("item");
    QTest::addColumn<qint64>("size");
    const auto row = [](const QByteArray &item, qint64 size) {
        QTest::newRow(item.left(70).constData()) << item << size;
    };
    // Names count their UTF-8 bytes, once.
    row(R"j({})j", 0);
    row(R"j({"id":{"S":"abc"}})j", 2 + 3);
    row(R"j({"n":{"N":"12345"}})j", 1 + 4);
    row(R"j({"flag":{"BOOL":true}})j", 4 + 1);
    row(R"j({"nothing":{"NULL":true}})j", 7 + 1);
    row(R"j({"bin":{"B":"AAEC"}})j", 3 + 3);
    row(R"j({"é":{"S":"é"}})j", 2 + 2);
    row(R"j({"id":{"S":"abc"},"n":{"N":"12345"},"flag":{"BOOL":true}})j", 5 + 5 + 5);
    row(R"j({"tags":{"SS":["red","green"]},"m":{"M":{"k":{"S":"v"}}}})j",
        (4 + 8) + (1 + 3 + 1 + 1 + 1));
    row(R"j({"pk":{"S":"user#1"},"list":{"L":[{"N":"1"},{"N":"2"},{"N":"3"}]}})j",
        (2 + 6) + (4 + 3 + 3 * (1 + 2)));
    row(R"j("not an item")j", 0);
}

void TestDdbValue::itemSize()
{
    QFETCH(QByteArray, item);
    QFETCH(qint64, size);
    QCOMPARE(tarmac::itemSize(json(item)), size);
}

void TestDdbValue::compareValues_data()
{
    QTest::addColumn<QByteArray>("a");
    QTest::addColumn<QByteArray>("b");
    QTest::addColumn<int>("order"); // 2: not comparable
    const auto row = [](const QByteArray &a, const QByteArray &b, int order) {
        QTest::newRow(QByteArray(a + " vs " + b).left(90).constData()) << a << b << order;
    };
    // Strings by UTF-8 bytes: upper case before lower, U+FFFF before an astral character
    // (UTF-16 would put it after).
    row(R"j({"S":"a"})j", R"j({"S":"b"})j", -1);
    row(R"j({"S":"a"})j", R"j({"S":"a"})j", 0);
    row(R"j({"S":""})j", R"j({"S":"a"})j", -1);
    row(R"j({"S":"a"})j", R"j({"S":"aa"})j", -1);
    row(R"j({"S":"Z"})j", R"j({"S":"a"})j", -1);
    row(R"j({"S":"10"})j", R"j({"S":"9"})j", -1);
    row(R"j({"S":"é"})j", R"j({"S":"z"})j", 1);
    row(R"j({"S":"\uffff"})j", R"j({"S":"😀"})j", -1);
    row(R"j({"S":"\uff41"})j", R"j({"S":"😀"})j", -1);
    row(R"j({"S":"日"})j", R"j({"S":"é"})j", 1);
    // Numbers by value.
    row(R"j({"N":"10"})j", R"j({"N":"9"})j", 1);
    row(R"j({"N":"-1"})j", R"j({"N":"0"})j", -1);
    row(R"j({"N":"1.0"})j", R"j({"N":"1"})j", 0);
    row(R"j({"N":"1e2"})j", R"j({"N":"99.9"})j", 1);
    row(R"j({"N":"-10"})j", R"j({"N":"-9"})j", -1);
    row(R"j({"N":"0.1"})j", R"j({"N":"0.10000000000000000001"})j", -1);
    // Binaries by unsigned bytes.
    row(R"j({"B":"AA=="})j", R"j({"B":"/w=="})j", -1);
    row(R"j({"B":"fw=="})j", R"j({"B":"gA=="})j", -1);
    row(R"j({"B":""})j", R"j({"B":"AA=="})j", -1);
    row(R"j({"B":"AAE="})j", R"j({"B":"AA=="})j", 1);
    row(R"j({"B":"YWJj"})j", R"j({"B":"YWJj"})j", 0);
    // Nothing else compares.
    row(R"j({"S":"1"})j", R"j({"N":"1"})j", 2);
    row(R"j({"N":"1"})j", R"j({"B":"MQ=="})j", 2);
    row(R"j({"BOOL":true})j", R"j({"BOOL":false})j", 2);
    row(R"j({"NULL":true})j", R"j({"NULL":true})j", 2);
    row(R"j({"SS":["a"]})j", R"j({"SS":["b"]})j", 2);
    row(R"j({"L":[]})j", R"j({"L":[]})j", 2);
    row(R"j({"M":{}})j", R"j({"M":{}})j", 2);
    row(R"j({"N":"x"})j", R"j({"N":"1"})j", 2);
    row(R"j({"S":1})j", R"j({"S":"1"})j", 2);
    row(R"j({})j", R"j({})j", 2);
    row(R"j("a")j", R"j("b")j", 2);
}

void TestDdbValue::compareValues()
{
    QFETCH(QByteArray, a);
    QFETCH(QByteArray, b);
    QFETCH(int, order);
    const auto forward = tarmac::compareValues(json(a), json(b));
    const auto backward = tarmac::compareValues(json(b), json(a));
    if (order == 2) {
        QVERIFY(!forward);
        QVERIFY(!backward);
        return;
    }
    QVERIFY(forward && backward);
    QCOMPARE(*forward, order);
    QCOMPARE(*backward, -order);
    QCOMPARE(memcmpOrder(keySortBytes(json(a)), keySortBytes(json(b))), order);
}

void TestDdbValue::equalValues_data()
{
    QTest::addColumn<QByteArray>("a");
    QTest::addColumn<QByteArray>("b");
    QTest::addColumn<bool>("equal");
    const auto row = [](const QByteArray &a, const QByteArray &b, bool equal) {
        QTest::newRow(QByteArray(a + " vs " + b).left(90).constData()) << a << b << equal;
    };
    row(R"j({"S":"a"})j", R"j({"S":"a"})j", true);
    row(R"j({"S":"a"})j", R"j({"S":"A"})j", false);
    row(R"j({"N":"1"})j", R"j({"N":"1.00"})j", true);
    row(R"j({"N":"-0"})j", R"j({"N":"0"})j", true);
    row(R"j({"N":"1"})j", R"j({"N":"2"})j", false);
    row(R"j({"N":"1"})j", R"j({"S":"1"})j", false);
    row(R"j({"B":"YQ=="})j", R"j({"B":"YQ=="})j", true);
    row(R"j({"B":"YQ=="})j", R"j({"B":"Yg=="})j", false);
    row(R"j({"BOOL":true})j", R"j({"BOOL":true})j", true);
    row(R"j({"BOOL":true})j", R"j({"BOOL":false})j", false);
    row(R"j({"NULL":true})j", R"j({"NULL":true})j", true);
    row(R"j({"NULL":true})j", R"j({"BOOL":true})j", false);
    // Sets in any order, numbers by value.
    row(R"j({"SS":["a","b"]})j", R"j({"SS":["b","a"]})j", true);
    row(R"j({"SS":["a","b"]})j", R"j({"SS":["a"]})j", false);
    row(R"j({"SS":["a","b"]})j", R"j({"SS":["a","c"]})j", false);
    row(R"j({"NS":["1","2.50"]})j", R"j({"NS":["2.5","1.0"]})j", true);
    row(R"j({"NS":["1"]})j", R"j({"NS":["1","2"]})j", false);
    row(R"j({"BS":["YQ==","Yg=="]})j", R"j({"BS":["Yg==","YQ=="]})j", true);
    row(R"j({"BS":["YQ=="]})j", R"j({"BS":["Yg=="]})j", false);
    row(R"j({"SS":["1"]})j", R"j({"NS":["1"]})j", false);
    // Lists in order, maps by name, all the way down.
    row(R"j({"L":[]})j", R"j({"L":[]})j", true);
    row(R"j({"L":[{"N":"1"},{"S":"x"}]})j", R"j({"L":[{"N":"1.0"},{"S":"x"}]})j", true);
    row(R"j({"L":[{"N":"1"},{"S":"x"}]})j", R"j({"L":[{"S":"x"},{"N":"1"}]})j", false);
    row(R"j({"L":[{"N":"1"}]})j", R"j({"L":[{"N":"1"},{"N":"1"}]})j", false);
    row(R"j({"M":{}})j", R"j({"M":{}})j", true);
    row(R"j({"M":{"a":{"N":"1"},"b":{"SS":["x","y"]}}})j",
        R"j({"M":{"b":{"SS":["y","x"]},"a":{"N":"1e0"}}})j", true);
    row(R"j({"M":{"a":{"N":"1"}}})j", R"j({"M":{"a":{"N":"1"},"b":{"NULL":true}}})j", false);
    row(R"j({"M":{"a":{"N":"1"}}})j", R"j({"M":{"b":{"N":"1"}}})j", false);
    row(R"j({"M":{"a":{"L":[{"M":{"z":{"B":"YQ=="}}}]}}})j",
        R"j({"M":{"a":{"L":[{"M":{"z":{"B":"YQ=="}}}]}}})j", true);
    row(R"j({"M":{"a":{"L":[{"M":{"z":{"B":"YQ=="}}}]}}})j",
        R"j({"M":{"a":{"L":[{"M":{"z":{"B":"Yg=="}}}]}}})j", false);
    row(R"j({"L":[]})j", R"j({"M":{}})j", false);
    row(R"j({})j", R"j({})j", false);
    row(R"j({"N":"x"})j", R"j({"N":"x"})j", false);
}

void TestDdbValue::equalValues()
{
    QFETCH(QByteArray, a);
    QFETCH(QByteArray, b);
    QFETCH(bool, equal);
    QCOMPARE(tarmac::equalValues(json(a), json(b)), equal);
    QCOMPARE(tarmac::equalValues(json(b), json(a)), equal);
}

// Random key values of each key type: keySortBytes' memcmp order is compareValues' order.
void TestDdbValue::keySortBytesOrderAsValues()
{
    QRandomGenerator rng(1600);
    for (const char *type : {"S", "B", "N"}) {
        QList<Json> values;
        for (int i = 0; i < 400; ++i)
            values.append(randomValue(rng, type));
        for (const Json &a : values) {
            QVERIFY(tarmac::checkValue(a, QStringLiteral("k")));
            for (int i = 0; i < 25; ++i) {
                const Json &b = values[rng.bounded(values.size())];
                const auto order = tarmac::compareValues(a, b);
                QVERIFY(order);
                QCOMPARE(memcmpOrder(keySortBytes(a), keySortBytes(b)), *order);
                QCOMPARE(tarmac::equalValues(a, b), *order == 0);
            }
        }
    }
    QVERIFY(keySortBytes(json(R"j({"BOOL":true})j")).isEmpty());
    QVERIFY(keySortBytes(json(R"j({"SS":["a"]})j")).isEmpty());
    QCOMPARE(keySortBytes(json(R"j({"S":"é"})j")), QByteArray("\xc3\xa9"));
    QCOMPARE(keySortBytes(json(R"j({"B":"AP8="})j")), QByteArray("\x00\xff", 2));
}

void TestDdbValue::typeOf_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<QString>("type");
    for (const char *type : {"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"}) {
        QTest::newRow(type) << QByteArray("{\"") + type + "\":null}" << QString::fromLatin1(type);
    }
    QTest::newRow("empty") << QByteArray(R"j({})j") << QString();
    QTest::newRow("two types") << QByteArray(R"j({"S":"a","N":"1"})j") << QString();
    QTest::newRow("unknown") << QByteArray(R"j({"X":"a"})j") << QString();
    QTest::newRow("lower case") << QByteArray(R"j({"s":"a"})j") << QString();
    QTest::newRow("string") << QByteArray(R"j("S")j") << QString();
    QTest::newRow("list") << QByteArray(R"j([{"S":"a"}])j") << QString();
}

void TestDdbValue::typeOf()
{
    QFETCH(QByteArray, value);
    QFETCH(QString, type);
    QCOMPARE(tarmac::typeOf(json(value)), type);
}

QTEST_GUILESS_MAIN(TestDdbValue)
#include "tst_ddbvalue.moc"
