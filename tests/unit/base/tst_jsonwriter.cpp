// JsonWriter and appendJsonString: what they write reads back (through nlohmann) as the
// document meant, strings are escaped as nlohmann escapes them, bytes that are not UTF-8
// still make valid JSON, and isValidUtf8 refuses what is not UTF-8.
#include "base/json.h"
#include "base/jsonwriter.h"
#include "base/utf8.h"

#include <QTest>

#include <string>
#include <type_traits>

using namespace tarmac;

class TestJsonWriter : public QObject
{
    Q_OBJECT
private slots:
    void nestedDocument();
    void stringsAsNlohmannWritesThem_data();
    void stringsAsNlohmannWritesThem();
    void notUtf8StillMakesJson();
    void documentsAsNlohmannWritesThem_data();
    void documentsAsNlohmannWritesThem();
    void utf8Validation_data();
    void utf8Validation();
    void plainRunFindsTheFirstSpecialCharacter();
};

void TestJsonWriter::nestedDocument()
{
    JsonWriter w(0);
    w.beginObject();
    w.key("version").string("2.0");
    w.key("empty").beginObject().endObject();
    w.key("list").beginArray();
    w.string(QStringLiteral("é")).number(-42).boolean(true).boolean(false).null();
    w.beginArray().endArray();
    w.beginObject().key(QStringLiteral("k")).string(QByteArray("v")).endObject();
    w.endArray();
    w.key(QByteArray("big")).number(std::numeric_limits<qint64>::min());
    w.key("given").value(Json {{"a", {1, 2}}, {"b", nullptr}});
    w.endObject();
    const QByteArray bytes = w.take();
    const auto parsed = parseJson(bytes);
    QVERIFY2(parsed, bytes.constData());
    const Json expected = {{"version", "2.0"}, {"empty", Json::object()},
        {"list", {"é", -42, true, false, nullptr, Json::array(), {{"k", "v"}}}},
        {"big", std::numeric_limits<qint64>::min()}, {"given", {{"a", {1, 2}}, {"b", nullptr}}}};
    QVERIFY2(*parsed == expected, bytes.constData());
    // Members in the order written.
    QVERIFY(bytes.startsWith("{\"version\":\"2.0\",\"empty\":{},\"list\":[\"é\",-42,true"));
}

void TestJsonWriter::stringsAsNlohmannWritesThem_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("plain") << QByteArray("hello world");
    QTest::newRow("empty") << QByteArray("");
    QTest::newRow("quote and backslash") << QByteArray("a\"b\\c");
    QTest::newRow("named controls") << QByteArray("\b\f\n\r\t");
    QTest::newRow("other controls") << QByteArray("\x01\x1f\x7f", 3);
    QTest::newRow("nul") << QByteArray("a\0b", 3);
    QTest::newRow("slash stays") << QByteArray("</script>");
    QTest::newRow("two-byte") << QByteArray("caf\xc3\xa9");
    QTest::newRow("astral") << QByteArray("\xf0\x9f\x98\x80 smile");
}

void TestJsonWriter::stringsAsNlohmannWritesThem()
{
    QFETCH(QByteArray, text);
    QByteArray out;
    appendJsonString(out, text);
    const std::string expected = Json(std::string(text.constData(), size_t(text.size()))).dump();
    QCOMPARE(out, QByteArray::fromStdString(expected));
    // The QString overloads (plain ASCII copied straight from UTF-16) write the same bytes.
    const QString asString = QString::fromUtf8(text);
    JsonWriter fromString, fromBytes;
    fromString.beginObject().key(asString).string(asString).endObject();
    fromBytes.beginObject().key(text).string(text).endObject();
    QCOMPARE(fromString.take(), fromBytes.take());
}

void TestJsonWriter::notUtf8StillMakesJson()
{
    // A lone continuation byte, a truncated sequence, an overlong '/', a surrogate, and a
    // code point past U+10FFFF: each read as U+FFFD, the rest kept.
    const QByteArray bad("a\x80"
                         "b\xe2\x82"
                         "c\xc0\xaf"
                         "d\xed\xa0\x80"
                         "e\xf4\x90\x80\x80"
                         "f");
    JsonWriter w;
    w.beginObject().key(bad).string(bad).endObject();
    const QByteArray bytes = w.take();
    const auto parsed = parseJson(bytes);
    QVERIFY2(parsed && parsed->is_object() && parsed->size() == 1, bytes.constData());
    const std::string value = parsed->begin().value().get<std::string>();
    QCOMPARE(parsed->begin().key(), value);
    const QString text = QString::fromStdString(value);
    QVERIFY(text.startsWith(u'a') && text.endsWith(u'f'));
    QVERIFY(text.contains(QChar(0xFFFD)));
    for (const char c : QByteArray("bcde"))
        QVERIFY(text.contains(QLatin1Char(c)));
}

void TestJsonWriter::documentsAsNlohmannWritesThem_data()
{
    QTest::addColumn<Json>("value");
    const std::string notUtf8("a\x80"
                              "b\xe2\x82"
                              "c\xc0\xaf"
                              "d\xed\xa0\x80"
                              "e");
    QTest::newRow("null") << Json();
    QTest::newRow("true") << Json(true);
    QTest::newRow("false") << Json(false);
    QTest::newRow("zero") << Json(0);
    QTest::newRow("int64 min") << Json(std::numeric_limits<qint64>::min());
    QTest::newRow("uint64 max") << Json(std::numeric_limits<quint64>::max());
    QTest::newRow("doubles") << Json {0.1, -0.0, 1e300, 3.0, 2.5e-8, 123456789.125};
    QTest::newRow("empty object") << Json::object();
    QTest::newRow("empty array") << Json::array();
    QTest::newRow("escapes") << Json {{"a\"\\\n\x01", "\b\f\r\t\x1f\x7f</"}, {"é", "😀"}};
    QTest::newRow("not UTF-8, value and key") << Json {{notUtf8, notUtf8}};
    QTest::newRow("nested") << Json {{"Messages", {{{"Body", "x"}, {"Attributes", {{"N", "1"}}}}}},
        {"Count", 1}, {"Empty", Json::array({Json::object()})}, {"Ratio", 0.5}};
}

void TestJsonWriter::documentsAsNlohmannWritesThem()
{
    QFETCH(Json, value);
    const std::string expected = value.dump(-1, ' ', false, Json::error_handler_t::replace);
    QCOMPARE(toJsonBytes(value), QByteArray::fromStdString(expected));
    QByteArray appended("x");
    appendJson(appended, value);
    QCOMPARE(appended, "x" + QByteArray::fromStdString(expected));
}

void TestJsonWriter::utf8Validation_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("valid");
    QTest::newRow("ascii") << QByteArray("abc") << true;
    QTest::newRow("empty") << QByteArray() << true;
    QTest::newRow("two, three and four bytes")
        << QByteArray("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") << true;
    QTest::newRow("U+10FFFF") << QByteArray("\xf4\x8f\xbf\xbf") << true;
    QTest::newRow("lone continuation") << QByteArray("\x80") << false;
    QTest::newRow("truncated at the end") << QByteArray("ab\xe2\x82") << false;
    QTest::newRow("overlong") << QByteArray("\xc0\xaf") << false;
    QTest::newRow("overlong three bytes") << QByteArray("\xe0\x80\xaf") << false;
    QTest::newRow("surrogate") << QByteArray("\xed\xa0\x80") << false;
    QTest::newRow("past U+10FFFF") << QByteArray("\xf4\x90\x80\x80") << false;
    QTest::newRow("five-byte form") << QByteArray("\xf8\x88\x80\x80\x80") << false;
}

void TestJsonWriter::utf8Validation()
{
    QFETCH(QByteArray, bytes);
    QFETCH(bool, valid);
    QCOMPARE(isValidUtf8(bytes), valid);
}

QTEST_GUILESS_MAIN(TestJsonWriter)
namespace {

// One character at a time: what jsonPlainRun must agree with.
template<typename Char>
qsizetype plainRunByCharacter(const Char *p, qsizetype size)
{
    for (qsizetype i = 0; i < size; ++i) {
        const auto c = std::make_unsigned_t<Char>(p[i]);
        if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\')
            return i;
    }
    return size;
}

} // namespace

// Every character value at every place of strings up to three words long (so each lane of a
// word, and the tail after the last whole word), alone and behind an earlier special one: the
// word-at-a-time search stops where a search one character at a time stops.
void TestJsonWriter::plainRunFindsTheFirstSpecialCharacter()
{
    for (qsizetype size = 0; size <= 24; ++size) {
        for (qsizetype at = 0; at < size; ++at) {
            QByteArray bytes(size, 'a');
            std::u16string units(size_t(size), u'a');
            for (int c = 0; c < 256; ++c) {
                bytes[at] = char(c);
                QCOMPARE(jsonPlainRun(bytes.constData(), size),
                    plainRunByCharacter(bytes.constData(), size));
                if (at + 1 < size) {
                    QByteArray later = bytes;
                    later[at + 1] = '"';
                    QCOMPARE(jsonPlainRun(later.constData(), size),
                        plainRunByCharacter(later.constData(), size));
                }
            }
            for (const char16_t c :
                {0x00, 0x1F, 0x20, 0x21, 0x22, 0x5B, 0x5C, 0x5D, 0x7E, 0x7F, 0x80, 0xA2, 0xDC, 0xFF,
                    0x100, 0x122, 0x15C, 0x17F, 0x2022, 0x7F22, 0x8000, 0xD800, 0xFF5C, 0xFFFF}) {
                units[size_t(at)] = c;
                QCOMPARE(jsonPlainRun(units.data(), size), plainRunByCharacter(units.data(), size));
            }
        }
    }
    const QByteArray body = QByteArray(300, 'x') + '"' + QByteArray(10, 'y');
    QCOMPARE(jsonPlainRun(body.constData(), body.size()), 300);
}

#include "tst_jsonwriter.moc"
