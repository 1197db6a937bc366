// parseJson's reader against nlohmann's parser: the same documents read (with the same
// number types, strings and repeated keys) and the same ones refused. fuzz/fuzz_json.cpp
// compares the two on generated input.
#include "base/json.h"
#include "base/jsoncompare.h"

#include <QTest>

using namespace tarmac;

class TestJsonReader : public QObject
{
    Q_OBJECT
private slots:
    void asNlohmannReads_data();
    void asNlohmannReads();
    void deepNesting();
    void numberTypes();
};

void TestJsonReader::asNlohmannReads_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("valid");
    const QList<std::pair<QByteArray, bool>> cases = {
        {R"({"TableName":"t","Item":{"pk":{"S":"a"},"n":{"N":"12"}}})", true},
        {" \t\r\n{ \"a\" : [ 1 , -2 , 3.5 , true , false , null , \"x\" ] } \n", true},
        {"{}", true},
        {"[]", true},
        {"\"text\"", true},
        {"0", true},
        {"-0", true},
        {"-0.0", true},
        {"1e5", true},
        {"1E+5", true},
        {"1.5e-3", true},
        {"18446744073709551615", true},
        {"18446744073709551616", true},
        {"-9223372036854775808", true},
        {"-9223372036854775809", true},
        {"123456789012345678901234567890", true},
        {"1e400", false},
        {"-1e400", false},
        {"1e-400", true},
        {"4.9e-324", true},
        {R"({"a":1,"a":2})", true},
        {R"({"a":{"b":1},"a":[2]})", true},
        {R"("\"\\\/\b\f\n\r\t")", true},
        {R"("\u0000\u00e9\u20AC\ud83d\ude00")", true},
        {"\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"", true},
        {"\xEF\xBB\xBF{\"bom\":true}", true},
        {"", false},
        {"   ", false},
        {"{", false},
        {"{\"a\"}", false},
        {"{\"a\":}", false},
        {"{\"a\":1,}", false},
        {"[1,]", false},
        {"[1 2]", false},
        {"{'a':1}", false},
        {"01", false},
        {"-01", false},
        {"+1", false},
        {"1.", false},
        {".5", false},
        {"1e", false},
        {"1e+", false},
        {"-", false},
        {"NaN", false},
        {"Infinity", false},
        {"tru", false},
        {"nul", false},
        {"truex", false},
        {"{} {}", false},
        {QByteArray("{}\0", 3), true}, // nlohmann ends the input at a null byte
        {QByteArray("{} \0]", 5), true},
        {QByteArray("[1,\0]", 5), false},
        {QByteArray("\"a\0b\"", 5), false},
        {"\"\x01\"", false},
        {"\"abc", false},
        {R"("\x")", false},
        {R"("\u12")", false},
        {R"("\ud83d")", false},
        {R"("\ud83d\u0041")", false},
        {R"("\ude00")", false},
        {"\"\xC0\xAF\"", false},
        {"\"\xED\xA0\x80\"", false},
        {"\"\xF4\x90\x80\x80\"", false},
        {"\"\xE2\x82\"", false},
        {"\"\x80\"", false},
        {"\xEF\xBB{}", false},
        {"/* c */ {}", false},
    };
    for (const auto &[text, valid] : cases)
        QTest::newRow(text.left(40).toPercentEncoding(" {}[]\":,").constData()) << text << valid;
}

void TestJsonReader::asNlohmannReads()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, valid);
    const std::string_view view(text.constData(), size_t(text.size()));
    const Json theirs = Json::parse(view.begin(), view.end(), nullptr, false);
    QCOMPARE(!theirs.is_discarded(), valid); // the table says what nlohmann does
    const Result<Json> ours = parseJson(view);
    QCOMPARE(bool(ours), valid);
    if (ours)
        QVERIFY2(identicalJson(*ours, theirs), ours->dump().c_str());
    else
        QCOMPARE(ours.error().code, QStringLiteral("SerializationException"));
}

void TestJsonReader::deepNesting()
{
    // Past the reader's depth, nlohmann's parser reads it: the result is the same.
    const QByteArray deep = QByteArray(5000, '[') + QByteArray(5000, ']');
    const auto read = parseJson(deep);
    QVERIFY(read);
    QVERIFY(read->is_array());
    QVERIFY(!parseJson(QByteArray(5000, '[') + QByteArray(4999, ']')));
    QVERIFY(!parseJson(QByteArray(100000, '[')));
}

void TestJsonReader::numberTypes()
{
    const auto read = parseJson(QByteArray("[1,-1,1.0,18446744073709551616,-0]"));
    QVERIFY(read);
    const Json &a = *read;
    QVERIFY(a[0].is_number_unsigned());
    QVERIFY(a[1].is_number_integer() && !a[1].is_number_unsigned());
    QVERIFY(a[2].is_number_float());
    QVERIFY(a[3].is_number_float());
    QVERIFY(a[4].is_number_integer() && !a[4].is_number_unsigned());
    QVERIFY(!identicalJson(Json(1), Json(1u)));
    QVERIFY(!identicalJson(Json(0.0), Json(-0.0)));
    QVERIFY(identicalJson(*parseJson(QByteArray("[1,-1,1.0]")), Json::parse("[1,-1,1.0]")));
}

QTEST_GUILESS_MAIN(TestJsonReader)
#include "tst_jsonreader.moc"
