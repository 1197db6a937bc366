#include "base/json.h"
#include "base/result.h"

#include <QTest>

using namespace tarmac;

class TestResult : public QObject
{
    Q_OBJECT
private slots:
    void valueAndError()
    {
        Result<int> ok = 42;
        QVERIFY(ok.ok());
        QCOMPARE(*ok, 42);
        Result<int> bad = makeError(QStringLiteral("NoSuchKey"), QStringLiteral("gone"), 404);
        QVERIFY(!bad);
        QCOMPARE(bad.error().code, QStringLiteral("NoSuchKey"));
        QCOMPARE(bad.error().httpStatus, 404);
        Result<void> v;
        QVERIFY(v.ok());
        Result<void> e = makeError(QStringLiteral("X"), QStringLiteral("y"));
        QVERIFY(!e.ok());
    }

    void parseJsonNeverThrows_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<bool>("valid");
        QTest::newRow("object") << QByteArray(R"({"a":1})") << true;
        QTest::newRow("empty") << QByteArray() << false;
        QTest::newRow("truncated") << QByteArray(R"({"a":)") << false;
        QTest::newRow("garbage") << QByteArray("\xff\xfe{") << false;
        QTest::newRow("deep") << QByteArray(10000, '[') << false;
    }

    void parseJsonNeverThrows()
    {
        QFETCH(QByteArray, input);
        QFETCH(bool, valid);
        const auto r = parseJson(input);
        QCOMPARE(r.ok(), valid);
        if (!valid)
            QCOMPARE(r.error().code, QStringLiteral("SerializationException"));
    }
};

QTEST_GUILESS_MAIN(TestResult)
#include "tst_result.moc"
