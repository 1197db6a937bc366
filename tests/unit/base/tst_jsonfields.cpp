// JsonFields: typed reads of client JSON that never throw, and name the first field of the
// wrong type the way AWS's validation messages do.
#include "base/json.h"

#include <QTest>

using namespace tarmac;

namespace {

Json json(const char *text)
{
    auto parsed = parseJson(QByteArray(text));
    return parsed ? *parsed : Json();
}

} // namespace

class TestJsonFields : public QObject
{
    Q_OBJECT
private slots:
    // One field read with each getter: what it reads, or the error's path and constraint.
    void getters_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("getter");
        QTest::addColumn<QString>("value"); // the value read, as text; "-" for not set
        QTest::addColumn<QString>("constraint"); // empty: no error
        const auto row = [](const char *name, const char *body, const char *getter,
                             const char *value, const char *constraint = "") {
            QTest::newRow(name) << QByteArray(body) << QString::fromLatin1(getter)
                                << QString::fromLatin1(value) << QString::fromLatin1(constraint);
        };
        const char *intRange = "Member must have value between -2147483648 and 2147483647";

        row("string", R"({"F":"x"})", "string", "x");
        row("string absent", "{}", "string", "-");
        row("string null", R"({"F":null})", "string", "-");
        row("string from number", R"({"F":1})", "string", "-", "Member must be a string");
        row("string from object", R"({"F":{}})", "string", "-", "Member must be a string");
        row("bytes", R"({"F":"UEs="})", "bytes", "UEs=");
        row("bytes from array", R"({"F":["a"]})", "bytes", "-", "Member must be a string");
        row("integer", R"({"F":42})", "integer", "42");
        row("integer negative", R"({"F":-7})", "integer", "-7");
        row("integer whole float", R"({"F":3.0})", "integer", "3");
        row("integer exponent", R"({"F":1e3})", "integer", "1000");
        row("integer fraction", R"({"F":1.5})", "integer", "-", "Member must be an integer");
        row("integer string", R"({"F":"x"})", "integer", "-", "Member must be an integer");
        row("integer numeric string", R"({"F":"3"})", "integer", "-", "Member must be an integer");
        row("integer bool", R"({"F":true})", "integer", "-", "Member must be an integer");
        row("integer above int", R"({"F":2147483648})", "integer", "-", intRange);
        row("integer below int", R"({"F":-2147483649})", "integer", "-", intRange);
        row("integer unsigned", R"({"F":18446744073709551615})", "integer", "-", intRange);
        row("integer huge float", R"({"F":1e300})", "integer", "-", intRange);
        row("boolean", R"({"F":false})", "boolean", "false");
        row("boolean string", R"({"F":"yes"})", "boolean", "-", "Member must be a boolean");
        row("boolean number", R"({"F":1})", "boolean", "-", "Member must be a boolean");
        row("list", R"({"F":["a","b"]})", "stringList", "a,b");
        row("list empty", R"({"F":[]})", "stringList", "");
        row("list of string", R"({"F":"a"})", "stringList", "-",
            "Member must be a list of strings");
        row("list item", R"({"F":["a",2]})", "stringList", "-", "Member must be a string");
        row("map", R"({"F":{"k":"v"}})", "stringMap", "k=v");
        row("map of array", R"({"F":["k"]})", "stringMap", "-", "Member must be a map of strings");
        row("map value", R"({"F":{"k":null}})", "stringMap", "-", "Map value must be a string");
        row("object", R"({"F":{"a":1}})", "object", "set");
        row("object absent", "{}", "object", "unset");
        row("object of string", R"({"F":"x"})", "object", "unset", "Member must be an object");
        row("not an object body", R"([{"F":"x"}])", "string", "-");
    }

    void getters()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, getter);
        QFETCH(QString, value);
        QFETCH(QString, constraint);
        const Json doc = json(body.constData());
        JsonFields f(doc);
        QString got = QStringLiteral("-");
        if (getter == QLatin1String("string")) {
            if (auto v = f.string("F"))
                got = *v;
        } else if (getter == QLatin1String("bytes")) {
            if (auto v = f.bytes("F"))
                got = QString::fromUtf8(*v);
        } else if (getter == QLatin1String("integer")) {
            if (auto v = f.integer("F"))
                got = QString::number(*v);
        } else if (getter == QLatin1String("boolean")) {
            if (auto v = f.boolean("F"))
                got = *v ? QStringLiteral("true") : QStringLiteral("false");
        } else if (getter == QLatin1String("stringList")) {
            if (auto v = f.stringList("F"))
                got = v->join(u',');
        } else if (getter == QLatin1String("stringMap")) {
            if (auto v = f.stringMap("F")) {
                QStringList pairs;
                for (auto it = v->cbegin(); it != v->cend(); ++it)
                    pairs.append(it.key() + u'=' + it.value());
                got = pairs.join(u',');
            }
        } else if (getter == QLatin1String("object")) {
            got = f.object("F").isSet() ? QStringLiteral("set") : QStringLiteral("unset");
        }
        QCOMPARE(got, value);
        QCOMPARE(f.ok(), constraint.isEmpty());
        if (!constraint.isEmpty())
            QCOMPARE(f.error()->constraint, constraint);
    }

    // Paths are AWS's lower-camel member paths, nested objects report into the first reader,
    // and the first error is the one kept.
    void pathsAndFirstError()
    {
        const Json doc = json(R"({"EphemeralStorage":{"Size":"x"},"Timeout":"y",
                                  "Architectures":["x86_64",7],"Tags":{"a":"b"}})");
        JsonFields f(doc);
        QCOMPARE(f.stringMap("Tags")->value(QStringLiteral("a")), QStringLiteral("b"));
        QVERIFY(f.ok());
        JsonFields storage = f.object("EphemeralStorage");
        QVERIFY(storage.isSet());
        QVERIFY(!storage.integer("Size"));
        QVERIFY(!f.ok());
        QVERIFY(!f.integer("Timeout"));
        QVERIFY(!f.stringList("Architectures"));
        QCOMPARE(f.error()->path, QStringLiteral("ephemeralStorage.size"));
        QCOMPARE(f.error()->value, QStringLiteral("x"));
        QCOMPARE(f.error()->message(),
            QStringLiteral("1 validation error detected: Value 'x' at 'ephemeralStorage.size' "
                           "failed to satisfy constraint: Member must be an integer"));

        JsonFields g(doc);
        QVERIFY(!g.stringList("Architectures"));
        QCOMPARE(g.error()->path, QStringLiteral("architectures.2.member"));
        QCOMPARE(g.error()->value, QStringLiteral("7"));

        // A long value is cut short in the message.
        const Json big = Json {{"Name", Json::array({std::string(500, 'z')})}};
        JsonFields h(big);
        QVERIFY(!h.string("Name"));
        QCOMPARE(h.error()->value.size(), 103);
        QVERIFY(h.error()->value.endsWith(QLatin1String("...")));
    }

    // Every getter on every JSON type: never an exception, always a value or an error.
    void everyTypeForEveryGetter()
    {
        const char *values[] = {R"("s")", "7", "-7", "1.5", "true", "null", "[]", R"(["s"])", "{}",
            R"({"k":"v"})", "18446744073709551615", "1e308"};
        for (const char *v : values) {
            const QByteArray text = QByteArray(R"({"F":)") + v + '}';
            const Json doc = json(text.constData());
            JsonFields f(doc);
            try {
                (void)f.string("F");
                (void)f.bytes("F");
                (void)f.integer("F");
                (void)f.boolean("F");
                (void)f.stringList("F");
                (void)f.stringMap("F");
                (void)f.number("F");
                (void)f.forEachObject("F", [](JsonFields &item) { (void)item.string("F"); });
                JsonFields nested = f.object("F");
                (void)nested.string("F");
                (void)f.value("F");
            } catch (...) {
                QFAIL(v);
            }
            QVERIFY2(!f.ok() || doc["F"].is_null(), v); // no value fits every getter
        }
    }

    // number(): any JSON number; forEachObject(): each object of a list, with its member path.
    void numbersAndListsOfObjects()
    {
        const Json doc = json(R"({"T":1700000000.5,"I":3,"S":"x","L":[{"P":"a"},{"P":"b"}],
                                  "Bad":[{"P":"a"},{"P":1}],"NotObjects":["a"]})");
        JsonFields f(doc);
        QCOMPARE(f.number("T"), 1700000000.5);
        QCOMPARE(f.number("I"), 3.0);
        QVERIFY(!f.number("Absent"));
        QStringList seen;
        QVERIFY(f.forEachObject("L", [&](JsonFields &item) { seen.append(*item.string("P")); }));
        QCOMPARE(seen, QStringList({QStringLiteral("a"), QStringLiteral("b")}));
        QVERIFY(!f.forEachObject("Absent", [](JsonFields &) { QFAIL("called"); }));
        QVERIFY(f.ok());
        QVERIFY(!f.number("S"));
        QCOMPARE(f.error()->constraint, QStringLiteral("Member must be a number"));

        JsonFields g(doc);
        (void)g.forEachObject("Bad", [](JsonFields &item) { (void)item.string("P"); });
        QCOMPARE(g.error()->path, QStringLiteral("bad.2.member.p"));
        JsonFields h(doc);
        (void)h.forEachObject("NotObjects", [](JsonFields &) { QFAIL("called"); });
        QCOMPARE(h.error()->path, QStringLiteral("notObjects.1.member"));
        JsonFields k(doc);
        (void)k.forEachObject("S", [](JsonFields &) { QFAIL("called"); });
        QCOMPARE(k.error()->constraint, QStringLiteral("Member must be a list of objects"));
    }
};

QTEST_GUILESS_MAIN(TestJsonFields)
#include "tst_jsonfields.moc"
