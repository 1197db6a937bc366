#include "functions/runtimelog.h"
#include "trace/span.h"

#include <QTest>

using namespace tarmac;

class TestRuntimeLog : public QObject
{
    Q_OBJECT
private slots:
    void levels_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<bool>("fromStderr");
        QTest::addColumn<int>("severity");
        const QByteArray t = "2024-01-02T03:04:05.678Z";
        const QByteArray id = "0d6e7a2b-1111-2222-3333-444455556666";
        QTest::newRow("python error")
            << "[ERROR]\t" + t + '\t' + id + "\tboom" << false << int(LogSeverityError);
        QTest::newRow("python warning")
            << "[WARNING]\t" + t + '\t' + id + "\thm" << false << int(LogSeverityWarn);
        QTest::newRow("python critical")
            << "[CRITICAL]\t" + t + '\t' + id + "\tx" << false << int(LogSeverityFatal);
        QTest::newRow("python debug on stderr")
            << "[DEBUG]\t" + t + '\t' + id + "\tx" << true << int(LogSeverityDebug);
        QTest::newRow("node error")
            << t + '\t' + id + "\tERROR\tboom" << false << int(LogSeverityError);
        QTest::newRow("node warn") << t + '\t' + id + "\tWARN\thm" << false << int(LogSeverityWarn);
        QTest::newRow("node info") << t + '\t' + id + "\tINFO\tok" << false << int(LogSeverityInfo);
        QTest::newRow("node trace")
            << t + "\tundefined\tTRACE\tx" << false << int(LogSeverityTrace);
        QTest::newRow("json") << QByteArray(R"({"timestamp":"x","level":"ERROR","message":"m"})")
                              << false << int(LogSeverityError);
        QTest::newRow("json lower case")
            << QByteArray(R"({"level":"warn","msg":"m"})") << false << int(LogSeverityWarn);
        QTest::newRow("json without level")
            << QByteArray(R"({"msg":"m"})") << true << int(LogSeverityWarn);
        QTest::newRow("json level not a string")
            << QByteArray(R"({"level":17})") << false << int(LogSeverityInfo);
        QTest::newRow("plain stdout") << QByteArray("hello") << false << int(LogSeverityInfo);
        QTest::newRow("plain stderr") << QByteArray("hello") << true << int(LogSeverityWarn);
        QTest::newRow("uncaught exception")
            << QByteArray("[ERROR] ValueError: no") << false << int(LogSeverityError);
        QTest::newRow("brackets, no separator")
            << QByteArray("[ERROR]x") << false << int(LogSeverityInfo);
        QTest::newRow("not a level") << QByteArray("[1, 2]\tx") << false << int(LogSeverityInfo);
        QTest::newRow("tab fields, not a time")
            << QByteArray("a\tb\tERROR\tc") << false << int(LogSeverityInfo);
        QTest::newRow("broken json")
            << QByteArray("{\"level\":\"ERROR\"") << false << int(LogSeverityInfo);
        QTest::newRow("empty") << QByteArray() << true << int(LogSeverityWarn);
    }

    void levels()
    {
        QFETCH(QByteArray, line);
        QFETCH(bool, fromStderr);
        QFETCH(int, severity);
        QCOMPARE(readRuntimeLogLine(line, fromStderr).severity, severity);
    }

    void pythonRecordsBecomeLines()
    {
        const auto read = readRuntimeLogLine(
            "[ERROR] ValueError: no\rTraceback (most recent call last):\r  File \"app.py\"\r",
            false);
        QCOMPARE(read.severity, int(LogSeverityError));
        QCOMPARE(read.text,
            QByteArray("[ERROR] ValueError: no\nTraceback (most recent call last):\n  File "
                       "\"app.py\""));
    }
};

QTEST_GUILESS_MAIN(TestRuntimeLog)
#include "tst_runtimelog.moc"
