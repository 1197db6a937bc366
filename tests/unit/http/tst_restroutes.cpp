// RestRoutes: method and path pattern to an operation, with {Name} captures.
#include "http/restroutes.h"

#include <QTest>

using namespace tarmac;

class TestRestRoutes : public QObject
{
    Q_OBJECT

    RestRoutes<int> m_routes;

private slots:
    void initTestCase()
    {
        m_routes.add("POST", "/2015-03-31/functions", QStringLiteral("CreateFunction"), 1)
            .add("GET", "/2015-03-31/functions", QStringLiteral("ListFunctions"), 2)
            .add("GET", "/2015-03-31/functions/{FunctionName}", QStringLiteral("GetFunction"), 3)
            .add("PUT", "/2015-03-31/functions/{FunctionName}/configuration",
                QStringLiteral("UpdateFunctionConfiguration"), 4)
            .add("GET", "/2017-03-31/tags/{Resource}", QStringLiteral("ListTags"), 5)
            .add("GET", "/a/{X}/b/{Y}", QStringLiteral("Two"), 6)
            .add("GET", "/a/literal/b/{Y}", QStringLiteral("Shadowed"), 7);
    }

    void match_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<int>("operation"); // 0: no route
        QTest::addColumn<QByteArray>("captures"); // name=value;… in pattern order
        const auto row = [](const char *name, const char *method, const char *path, int operation,
                             const char *captures = "") {
            QTest::newRow(name) << QByteArray(method) << QByteArray(path) << operation
                                << QByteArray(captures);
        };
        const char *tagPath = "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af";

        row("collection", "POST", "/2015-03-31/functions", 1);
        row("trailing slash", "GET", "/2015-03-31/functions/", 2);
        row("doubled slashes", "GET", "//2015-03-31//functions", 2);
        row("capture", "GET", "/2015-03-31/functions/my-fn", 3, "FunctionName=my-fn");
        row("decoded capture", "GET", tagPath, 5, "Resource=arn:aws:lambda:us-east-1:1:function:f");
        row("plus stays", "GET", "/2015-03-31/functions/a+b", 3, "FunctionName=a+b");
        row("encoded slash is one segment", "GET", "/2015-03-31/functions/a%2Fb", 3,
            "FunctionName=a/b");
        row("nested capture", "PUT", "/2015-03-31/functions/f/configuration", 4, "FunctionName=f");
        row("two captures", "GET", "/a/1/b/2", 6, "X=1;Y=2");
        row("first added wins", "GET", "/a/literal/b/2", 6, "X=literal;Y=2");
        row("wrong method", "DELETE", "/2015-03-31/functions/f", 0);
        row("methods are case-sensitive", "get", "/2015-03-31/functions", 0);
        row("too long", "GET", "/2015-03-31/functions/f/x", 0);
        row("too short", "GET", "/2015-03-31", 0);
        row("root", "GET", "/", 0);
        row("empty", "GET", "", 0);
        row("literal mismatch", "GET", "/2015-03-31/function", 0);
    }

    void match()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, path);
        QFETCH(int, operation);
        QFETCH(QByteArray, captures);
        const auto m = m_routes.match(method, path);
        QCOMPARE(m.has_value(), operation != 0);
        if (!m)
            return;
        QCOMPARE(m->route->operation, operation);
        for (const QByteArray &pair : captures.split(';')) {
            if (pair.isEmpty())
                continue;
            const qsizetype eq = pair.indexOf('=');
            QCOMPARE(m->params.value(pair.left(eq)), pair.mid(eq + 1));
        }
        QVERIFY(m->params.value("NoSuchCapture").isEmpty());
    }

    void segments()
    {
        QCOMPARE(restPathSegments("/a//b/%41/"), (QList<QByteArray> {"a", "b", "A"}));
        QVERIFY(restPathSegments("///").isEmpty());
        QCOMPARE(restPathSegments("x"), (QList<QByteArray> {"x"}));
    }
};

QTEST_GUILESS_MAIN(TestRestRoutes)
#include "tst_restroutes.moc"
