// The table browser's search form turned into DynamoDB requests (ddbsearch): plain JSON
// values typed as DynamoDB types them, `#name` placeholders named, Query's and Scan's
// parameters, what the form refuses before DynamoDB sees it, and the line about an item.

#include "services/dynamodb/ddbsearch.h"
#include "services/dynamodb/ddbtable.h"

#include <QTest>

using namespace tarmac;

namespace {

DdbTable notes()
{
    DdbTable t;
    t.name = QStringLiteral("notes");
    t.key = {QStringLiteral("pk"), QStringLiteral("S"), QStringLiteral("sk"), QStringLiteral("S")};
    DdbIndex byStatus;
    byStatus.name = QStringLiteral("byStatus");
    byStatus.key = {QStringLiteral("status"), QStringLiteral("S"), {}, {}};
    t.indexes.append(byStatus);
    return t;
}

QByteArray text(const Json &j)
{
    return toJsonBytes(j);
}

} // namespace

class TestDdbSearch : public QObject
{
    Q_OBJECT
private slots:
    void typedValues_data()
    {
        QTest::addColumn<QByteArray>("plain");
        QTest::addColumn<QByteArray>("typed");
        QTest::newRow("string") << QByteArray(R"("a")") << QByteArray(R"({"S":"a"})");
        QTest::newRow("integer") << QByteArray("12") << QByteArray(R"({"N":"12"})");
        QTest::newRow("negative") << QByteArray("-3") << QByteArray(R"({"N":"-3"})");
        QTest::newRow("decimal") << QByteArray("2.5") << QByteArray(R"({"N":"2.5"})");
        QTest::newRow("boolean") << QByteArray("true") << QByteArray(R"({"BOOL":true})");
        QTest::newRow("null") << QByteArray("null") << QByteArray(R"({"NULL":true})");
        QTest::newRow("list") << QByteArray(R"([1,"x"])")
                              << QByteArray(R"({"L":[{"N":"1"},{"S":"x"}]})");
        QTest::newRow("map") << QByteArray(R"({"a":1,"b":{"c":false}})")
                             << QByteArray(
                                    R"({"M":{"a":{"N":"1"},"b":{"M":{"c":{"BOOL":false}}}}})");
        QTest::newRow("already typed")
            << QByteArray(R"({"SS":["a","b"]})") << QByteArray(R"({"SS":["a","b"]})");
        QTest::newRow("a map with one key that is no type")
            << QByteArray(R"({"X":"y"})") << QByteArray(R"({"M":{"X":{"S":"y"}}})");
    }
    void typedValues()
    {
        QFETCH(QByteArray, plain);
        QFETCH(QByteArray, typed);
        auto j = parseJson(plain);
        QVERIFY(j);
        QCOMPARE(text(ddbsearch::typedValue(*j)), typed);
    }

    void queryOnAnIndex()
    {
        auto r = ddbsearch::request(notes(),
            {{QStringLiteral("operation"), QStringLiteral("Query")},
                {QStringLiteral("index"), QStringLiteral("byStatus")},
                {QStringLiteral("key"), QStringLiteral("#status = :s")},
                {QStringLiteral("filter"),
                    QStringLiteral("#size > :min AND attribute_exists(#a_1)")},
                {QStringLiteral("values"), QStringLiteral(R"({":s": "open", "min": 10})")},
                {QStringLiteral("order"), QStringLiteral("descending")}});
        QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
        QCOMPARE(text(*r),
            QByteArray(R"({"ExpressionAttributeNames":{"#a_1":"a_1","#size":"size","#status":)"
                       R"("status"},"ExpressionAttributeValues":{":min":{"N":"10"},":s":{"S":)"
                       R"x("open"}},"FilterExpression":"#size > :min AND attribute_exists(#a_1)",)x"
                       R"("IndexName":"byStatus","KeyConditionExpression":"#status = :s",)"
                       R"("ScanIndexForward":false,"TableName":"notes"})"));
    }

    void scanOfTheTable()
    {
        // The table's own name in the index field is the table; no expression, no names.
        auto r = ddbsearch::request(notes(),
            {{QStringLiteral("operation"), QStringLiteral("Scan")},
                {QStringLiteral("index"), QStringLiteral("notes")},
                {QStringLiteral("order"), QStringLiteral("descending")}});
        QVERIFY(r);
        QCOMPARE(text(*r), QByteArray(R"({"TableName":"notes"})"));
        // No operation: a Scan.
        r = ddbsearch::request(notes(), {});
        QVERIFY(r);
        QCOMPARE(text(*r), QByteArray(R"({"TableName":"notes"})"));
        r = ddbsearch::request(notes(), {{QStringLiteral("operation"), QStringLiteral(" ")}});
        QVERIFY(r);
        QCOMPARE(text(*r), QByteArray(R"({"TableName":"notes"})"));
    }

    void refused_data()
    {
        QTest::addColumn<QString>("operation");
        QTest::addColumn<QString>("index");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("values");
        QTest::addColumn<QString>("message");
        QTest::newRow("operation") << "GetItem"
                                   << ""
                                   << ""
                                   << ""
                                   << "Scan or Query, not GetItem";
        QTest::newRow("index") << "Query"
                               << "nope"
                               << "pk = :p"
                               << ""
                               << "notes has no index named nope";
        QTest::newRow("query without key") << "Query"
                                           << ""
                                           << ""
                                           << ""
                                           << "a Query needs a key condition on pk";
        QTest::newRow("scan with key") << "Scan"
                                       << ""
                                       << "pk = :p"
                                       << ""
                                       << "a key condition is for a Query";
        QTest::newRow("values not JSON") << "Scan"
                                         << ""
                                         << ""
                                         << "{"
                                         << "the values are a JSON";
        QTest::newRow("values a list") << "Scan"
                                       << ""
                                       << ""
                                       << "[1]"
                                       << "the values are a JSON";
    }
    void refused()
    {
        QFETCH(QString, operation);
        QFETCH(QString, index);
        QFETCH(QString, key);
        QFETCH(QString, values);
        QFETCH(QString, message);
        auto r = ddbsearch::request(notes(),
            {{QStringLiteral("operation"), operation}, {QStringLiteral("index"), index},
                {QStringLiteral("key"), key}, {QStringLiteral("values"), values}});
        QVERIFY(!r);
        QCOMPARE(r.error().code, QStringLiteral("ValidationException"));
        QVERIFY2(r.error().message.contains(message), qPrintable(r.error().message));
    }

    void previewLine()
    {
        auto item = parseJson(QByteArray(
            R"({"pk":{"S":"u1"},"sk":{"S":"a"},"n":{"N":"1.50"},"ok":{"BOOL":false},)"
            R"("tags":{"SS":["x","y"]},"m":{"M":{"a":{"S":"b"}}},"l":{"L":[]},"z":{"NULL":true},)"
            R"("b":{"B":"AAE="}})"));
        QVERIFY(item);
        QCOMPARE(ddbsearch::preview(notes(), *item),
            QStringLiteral(R"(b: <binary>, l: [0 value(s)], m: {1 attribute(s)}, n: 1.50, )"
                           R"(ok: false, tags: «"x", "y"», z: null)"));
        // A long one is cut, with an ellipsis.
        Json big = {{"pk", {{"S", "u1"}}}, {"text", {{"S", std::string(400, 'x')}}}};
        const QString line = ddbsearch::preview(notes(), big);
        QCOMPARE(line.size(), 160);
        QVERIFY(line.endsWith(QChar(0x2026)));
    }
};

QTEST_GUILESS_MAIN(TestDdbSearch)
#include "tst_ddbsearch.moc"
