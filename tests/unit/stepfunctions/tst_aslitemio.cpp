#include "services/stepfunctions/aslitemio.h"
#include "services/stepfunctions/aslpath.h"

#include <QTest>

using namespace tarmac;

namespace {

Json json(const QByteArray &text)
{
    auto v = parseJson(text);
    return v ? *v : Json("<<invalid test JSON>>");
}

QByteArray text(const Json &v)
{
    return toJsonBytes(v);
}

// An expectation column holds JSON, or "!<error code>" optionally followed by " <part of the
// message>"; this checks a Result against it.
template<typename T, typename Show>
void checkResult(const Result<T> &result, const QByteArray &expected, Show show)
{
    if (expected.startsWith('!')) {
        QVERIFY2(!result.ok(), show(result).constData());
        const qsizetype space = expected.indexOf(' ');
        const QByteArray code = expected.mid(1, space < 0 ? -1 : space - 1);
        QCOMPARE(result.error().code.toUtf8(), code);
        if (space >= 0)
            QVERIFY2(result.error().message.contains(QString::fromUtf8(expected.mid(space + 1))),
                result.error().message.toUtf8().constData());
        return;
    }
    const QString failure
        = result.ok() ? QString() : result.error().code + u": " + result.error().message;
    QVERIFY2(result.ok(), failure.toUtf8().constData());
    QCOMPARE(show(result), text(json(expected)));
}

QByteArray showJson(const Result<Json> &r)
{
    return r ? text(*r) : QByteArray();
}

// The fields of a plan that are set, as JSON, for comparing with a table's expectation.
QByteArray showPlan(const Result<AslItemReaderPlan> &r)
{
    if (!r)
        return QByteArray();
    Json j = Json::object();
    const auto put = [&](const char *name, const QString &value) {
        if (!value.isEmpty())
            j[name] = toStd(value);
    };
    put("action", r->action);
    put("bucket", r->bucket);
    put("key", r->key);
    put("versionId", r->versionId);
    put("prefix", r->prefix);
    put("inputType", r->inputType);
    put("csvHeaderLocation", r->csvHeaderLocation);
    put("csvDelimiter", r->csvDelimiter);
    put("itemsPointer", r->itemsPointer);
    if (!r->csvHeaders.isEmpty()) {
        j["csvHeaders"] = Json::array();
        for (const QString &h : r->csvHeaders)
            j["csvHeaders"].push_back(toStd(h));
    }
    if (r->maxItems)
        j["maxItems"] = *r->maxItems;
    return text(j);
}

// A getObject plan for one ReaderConfig, as aslItemReaderPlan makes it.
Result<AslItemReaderPlan> plan(const QByteArray &readerConfig)
{
    Json reader = {{"Resource", "arn:aws:states:::s3:getObject"},
        {"Parameters", {{"Bucket", "b"}, {"Key", "k"}}}};
    reader["ReaderConfig"] = json(readerConfig);
    return aslItemReaderPlan(reader, Json::object());
}

// The input of AWS's ItemBatcher example: statements from a fact-checking data set.
const char *const kStatements
    = R"([{"verdict":"true","statement_date":"6/11/2008","statement_source":"speech"},)"
      R"({"verdict":"false","statement_date":"6/7/2022","statement_source":"television"},)"
      R"({"verdict":"true","statement_date":"5/18/2016","statement_source":"news"}])";

// The Map Run of AWS's ResultWriter example.
const char *const kMapRunArn = "arn:aws:states:us-east-1:123456789012:mapRun:csvProcess/Map:"
                               "ad9b5f27-090b-3ac6-9beb-243cd77144a7";

AslChildExecution child(const QString &name, const QString &status, const QByteArray &input,
    const QByteArray &output = "null")
{
    AslChildExecution c;
    c.name = name;
    c.executionArn = QStringLiteral("arn:aws:states:us-east-1:123456789012:execution:"
                                    "csvProcess/Map:")
        + name;
    c.stateMachineArn
        = QStringLiteral("arn:aws:states:us-east-1:123456789012:stateMachine:csvProcess/Map");
    c.status = status;
    c.input = json(input);
    c.output = json(output);
    c.startDateMs = 1676396050386; // 2023-02-14T17:34:10.386Z
    c.stopDateMs = 1676396050632;
    if (status != QLatin1String("SUCCEEDED") && status != QLatin1String("PENDING")) {
        c.error = QStringLiteral("States.TaskFailed");
        c.cause = QStringLiteral("boom");
    }
    return c;
}

const AslResultObject *findObject(const AslWrittenResults &w, const QString &key)
{
    for (const AslResultObject &o : w.objects) {
        if (o.key == key)
            return &o;
    }
    return nullptr;
}

} // namespace

// The Distributed Map's data: ItemReader plans and readers (JSON, JSON Lines, CSV, S3 Inventory,
// ListObjectsV2 pages), ItemBatcher, and ResultWriter's plan, files and result, with the
// examples of AWS's "ItemReader (Map)", "ItemBatcher (Map)" and "ResultWriter (Map)" pages.
class TestAslItemIo : public QObject
{
    Q_OBJECT

private slots:
    void readerPlan_data();
    void readerPlan();
    void maxItemsCapped();
    void readItems_data();
    void readItems();
    void readItemsRefusesListing();
    void inventory();
    void inventoryErrors_data();
    void inventoryErrors();
    void listedItems_data();
    void listedItems();
    void batchItems_data();
    void batchItems();
    void writerPlan_data();
    void writerPlan();
    void writeResultsToS3();
    void writeResultsTransformed_data();
    void writeResultsTransformed();
    void writeResultsSplitsFiles();
    void writeResultsWithoutExport();
    void writeResultsKeys_data();
    void writeResultsKeys();
    void writeResultsBadArn();
};

// The slots are defined out here because Qt 6.4's moc counts the braces inside raw string
// literals, and the tables' JSON fragments do not balance them.

void TestAslItemIo::readerPlan_data()
{
    QTest::addColumn<QByteArray>("itemReader");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("expected"); // showPlan JSON, or "!code message"

    const QByteArray input = R"({"bucket":"in","prefix":"logs/","max":2,"neg":-1,"s":"x"})";
    QTest::newRow("AWS CSV example")
        << QByteArray(R"({"ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"},)"
                      R"("Resource":"arn:aws:states:::s3:getObject","Parameters":{)"
                      R"("Bucket":"amzn-s3-demo-bucket","Key":"csvDataset/ratings.csv",)"
                      R"("VersionId":"BcK42coT2jE1234VHLUvBV1yLNod2OEt"}})")
        << input
        << QByteArray(R"({"action":"getObject","bucket":"amzn-s3-demo-bucket",)"
                      R"("key":"csvDataset/ratings.csv",)"
                      R"("versionId":"BcK42coT2jE1234VHLUvBV1yLNod2OEt","inputType":"CSV",)"
                      R"("csvHeaderLocation":"FIRST_ROW","csvDelimiter":"COMMA"})");
    QTest::newRow("listing with paths")
        << QByteArray(R"({"Resource":"arn:aws:states:::s3:listObjectsV2",)"
                      R"("Parameters":{"Bucket.$":"$.bucket","Prefix.$":"$.prefix"}})")
        << input << QByteArray(R"({"action":"listObjectsV2","bucket":"in","prefix":"logs/"})");
    QTest::newRow("other partition")
        << QByteArray(R"({"Resource":"arn:aws-cn:states:::s3:listObjectsV2",)"
                      R"("Parameters":{"Bucket":"b"}})")
        << input << QByteArray(R"({"action":"listObjectsV2","bucket":"b"})");
    QTest::newRow("given headers, pipes, MaxItems")
        << QByteArray(R"({"Resource":"arn:aws:states:::s3:getObject",)"
                      R"("Parameters":{"Bucket":"b","Key":"k"},"ReaderConfig":{)"
                      R"("InputType":"CSV","CSVHeaderLocation":"GIVEN",)"
                      R"("CSVHeaders":["a","b"],"CSVDelimiter":"PIPE","MaxItems":10}})")
        << input
        << QByteArray(R"({"action":"getObject","bucket":"b","key":"k","inputType":"CSV",)"
                      R"("csvHeaderLocation":"GIVEN","csvHeaders":["a","b"],)"
                      R"("csvDelimiter":"PIPE","maxItems":10})");
    const auto readerWith = [](const char *readerConfig) -> QByteArray {
        return QByteArray(R"({"Resource":"arn:aws:states:::s3:getObject",)"
                          R"("Parameters":{"Bucket":"b","Key":"k"},"ReaderConfig":)")
            + readerConfig;
    };
    QTest::newRow("MaxItemsPath") << readerWith(R"({"InputType":"JSON","MaxItemsPath":"$.max"}})")
                                  << input
                                  << QByteArray(R"({"action":"getObject","bucket":"b",)"
                                                R"("key":"k","inputType":"JSON","maxItems":2})");
    QTest::newRow("MaxItems 0 is no limit")
        << readerWith(R"({"InputType":"JSONL","MaxItems":0}})") << input
        << QByteArray(R"({"action":"getObject","bucket":"b","key":"k","inputType":"JSONL"})");
    QTest::newRow("ItemsPointer")
        << readerWith(R"({"InputType":"JSON","ItemsPointer":"/data/a~1b"}})") << input
        << QByteArray(R"({"action":"getObject","bucket":"b","key":"k","inputType":"JSON",)"
                      R"("itemsPointer":"/data/a~1b"})");
    QTest::newRow("manifest") << readerWith(R"({"InputType":"MANIFEST"}})") << input
                              << QByteArray(R"({"action":"getObject","bucket":"b",)"
                                            R"("key":"k","inputType":"MANIFEST"})");

    QTest::newRow("not an object")
        << QByteArray("[]") << input << QByteArray("!States.Runtime 'ItemReader'");
    QTest::newRow("no resource") << QByteArray(R"({"Parameters":{"Bucket":"b"}})") << input
                                 << QByteArray("!States.Runtime 'Resource'");
    QTest::newRow("resource not a string")
        << QByteArray(R"({"Resource":7,"Parameters":{"Bucket":"b"}})") << input
        << QByteArray("!States.Runtime 'Resource'");
    QTest::newRow("other action") << QByteArray(R"({"Resource":"arn:aws:states:::s3:putObject",)"
                                                R"("Parameters":{"Bucket":"b","Key":"k"}})")
                                  << input << QByteArray("!States.Runtime s3:getObject or");
    QTest::newRow("lambda resource")
        << QByteArray(R"({"Resource":"arn:aws:lambda:us-east-1:1:function:f"})") << input
        << QByteArray("!States.Runtime");
    QTest::newRow("JSONata arguments")
        << QByteArray(R"({"Resource":"arn:aws:states:::s3:listObjectsV2",)"
                      R"("Arguments":{"Bucket":"b"}})")
        << input << QByteArray("!States.Runtime Arguments");
    QTest::newRow("parameters not an object")
        << QByteArray(R"({"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":"b"})")
        << input << QByteArray("!States.Runtime 'Parameters'");
    QTest::newRow("path finds nothing")
        << QByteArray(R"({"Resource":"arn:aws:states:::s3:listObjectsV2",)"
                      R"("Parameters":{"Bucket.$":"$.nope"}})")
        << input << QByteArray("!States.Runtime $.nope");
    QTest::newRow("no bucket") << QByteArray(
        R"({"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{}})")
                               << input << QByteArray("!States.ItemReaderFailed Bucket");
    QTest::newRow("bucket a number")
        << QByteArray(R"({"Resource":"arn:aws:states:::s3:listObjectsV2",)"
                      R"("Parameters":{"Bucket.$":"$.max"}})")
        << input << QByteArray("!States.ItemReaderFailed Bucket");
    QTest::newRow("prefix a number")
        << QByteArray(R"({"Resource":"arn:aws:states:::s3:listObjectsV2",)"
                      R"("Parameters":{"Bucket":"b","Prefix":3}})")
        << input << QByteArray("!States.ItemReaderFailed 'Prefix'");
    QTest::newRow("no key") << QByteArray(R"({"Resource":"arn:aws:states:::s3:getObject",)"
                                          R"("Parameters":{"Bucket":"b"},)"
                                          R"("ReaderConfig":{"InputType":"JSON"}})")
                            << input << QByteArray("!States.ItemReaderFailed Key");
    QTest::newRow("getObject without ReaderConfig")
        << QByteArray(R"({"Resource":"arn:aws:states:::s3:getObject",)"
                      R"("Parameters":{"Bucket":"b","Key":"k"}})")
        << input << QByteArray("!States.Runtime InputType");
    QTest::newRow("ReaderConfig not an object")
        << readerWith("[]}") << input << QByteArray("!States.Runtime 'ReaderConfig'");
    QTest::newRow("InputType not a string")
        << readerWith(R"({"InputType":1}})") << input << QByteArray("!States.Runtime 'InputType'");
    QTest::newRow("unknown InputType")
        << readerWith(R"({"InputType":"XML"}})") << input << QByteArray("!States.Runtime 'XML'");
    QTest::newRow("parquet") << readerWith(R"({"InputType":"PARQUET"}})") << input
                             << QByteArray("!States.ItemReaderFailed PARQUET");
    QTest::newRow("InputType on a listing")
        << QByteArray(R"({"Resource":"arn:aws:states:::s3:listObjectsV2",)"
                      R"("Parameters":{"Bucket":"b"},"ReaderConfig":{"InputType":"CSV"}})")
        << input << QByteArray("!States.Runtime InputType");
    QTest::newRow("load and flatten")
        << QByteArray(R"({"Resource":"arn:aws:states:::s3:listObjectsV2",)"
                      R"("Parameters":{"Bucket":"b"},)"
                      R"("ReaderConfig":{"Transformation":"LOAD_AND_FLATTEN"}})")
        << input << QByteArray("!States.Runtime LOAD_AND_FLATTEN");
    QTest::newRow("GIVEN without headers")
        << readerWith(R"({"InputType":"CSV","CSVHeaderLocation":"GIVEN"}})") << input
        << QByteArray("!States.Runtime CSVHeaders");
    QTest::newRow("headers with FIRST_ROW")
        << readerWith(R"({"InputType":"CSV","CSVHeaders":["a"]}})") << input
        << QByteArray("!States.Runtime CSVHeaders");
    QTest::newRow("headers not strings")
        << readerWith(R"({"InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVHeaders":[1]}})")
        << input << QByteArray("!States.Runtime 'CSVHeaders'");
    QTest::newRow("headers empty")
        << readerWith(R"({"InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVHeaders":[]}})")
        << input << QByteArray("!States.Runtime 'CSVHeaders'");
    QTest::newRow("bad location") << readerWith(
        R"({"InputType":"CSV","CSVHeaderLocation":"LAST_ROW"}})")
                                  << input << QByteArray("!States.Runtime LAST_ROW");
    QTest::newRow("bad delimiter") << readerWith(R"({"InputType":"CSV","CSVDelimiter":";"}})")
                                   << input << QByteArray("!States.Runtime 'CSVDelimiter'");
    QTest::newRow("CSV options on JSON")
        << readerWith(R"({"InputType":"JSON","CSVDelimiter":"TAB"}})") << input
        << QByteArray("!States.Runtime InputType CSV");
    QTest::newRow("ItemsPointer on CSV")
        << readerWith(R"({"InputType":"CSV","ItemsPointer":"/a"}})") << input
        << QByteArray("!States.Runtime ItemsPointer");
    QTest::newRow("ItemsPointer not a pointer")
        << readerWith(R"({"InputType":"JSON","ItemsPointer":"a"}})") << input
        << QByteArray("!States.Runtime ItemsPointer");
    QTest::newRow("ItemsPointer bad escape")
        << readerWith(R"({"InputType":"JSON","ItemsPointer":"/a~2"}})") << input
        << QByteArray("!States.Runtime ItemsPointer");
    QTest::newRow("MaxItems and MaxItemsPath")
        << readerWith(R"({"InputType":"JSON","MaxItems":1,"MaxItemsPath":"$.max"}})") << input
        << QByteArray("!States.Runtime both");
    QTest::newRow("MaxItems negative") << readerWith(R"({"InputType":"JSON","MaxItems":-1}})")
                                       << input << QByteArray("!States.Runtime 'MaxItems'");
    QTest::newRow("MaxItems too large")
        << readerWith(R"({"InputType":"JSON","MaxItems":100000001}})") << input
        << QByteArray("!States.Runtime 'MaxItems'");
    QTest::newRow("MaxItems a fraction") << readerWith(R"({"InputType":"JSON","MaxItems":1.5}})")
                                         << input << QByteArray("!States.Runtime 'MaxItems'");
    QTest::newRow("MaxItemsPath to a string")
        << readerWith(R"({"InputType":"JSON","MaxItemsPath":"$.s"}})") << input
        << QByteArray("!States.ItemReaderFailed The MaxItemsPath field refers to value "
                      "'\"x\"' which is not a valid integer: $.s");
    QTest::newRow("MaxItemsPath negative")
        << readerWith(R"({"InputType":"JSON","MaxItemsPath":"$.neg"}})") << input
        << QByteArray("!States.ItemReaderFailed field MaxItems must be positive");
    QTest::newRow("MaxItemsPath finds nothing")
        << readerWith(R"({"InputType":"JSON","MaxItemsPath":"$.nope"}})") << input
        << QByteArray("!States.Runtime");
    QTest::newRow("MaxItemsPath not a string")
        << readerWith(R"({"InputType":"JSON","MaxItemsPath":3}})") << input
        << QByteArray("!States.Runtime 'MaxItemsPath'");
}

void TestAslItemIo::readerPlan()
{
    QFETCH(QByteArray, itemReader);
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, expected);
    checkResult(
        aslItemReaderPlan(json(itemReader), json(input), Json::object()), expected, showPlan);
}

void TestAslItemIo::maxItemsCapped()
{
    auto p = aslItemReaderPlan(json(R"({"Resource":"arn:aws:states:::s3:listObjectsV2",)"
                                    R"("Parameters":{"Bucket":"b"},)"
                                    R"("ReaderConfig":{"MaxItemsPath":"$.n"}})"),
        json(R"({"n":500000000})"));
    QVERIFY(p.ok());
    QCOMPARE(p->maxItems, std::optional<qint64>(kAslMaxItemsCeiling));
    QCOMPARE(text(p->parameters), QByteArray(R"({"Bucket":"b"})"));
}

void TestAslItemIo::readItems_data()
{
    QTest::addColumn<QByteArray>("readerConfig");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("expected"); // JSON, or "!code message"

    const QByteArray csv = R"({"InputType":"CSV"})";
    // AWS's CSV example: ratings with a header row; every value a string.
    QTest::newRow("AWS CSV example")
        << csv
        << QByteArray("rating,movieId,userId,timestamp\n3.5,307,1,1256677221\n"
                      "4.0,481,1,1256677456\n")
        << QByteArray(R"([{"movieId":"307","rating":"3.5","timestamp":"1256677221",)"
                      R"("userId":"1"},{"movieId":"481","rating":"4.0",)"
                      R"("timestamp":"1256677456","userId":"1"}])");
    QTest::newRow("CSV quoting") << csv << QByteArray("a,b\n\"x, y\",\"say \"\"hi\"\"\"\n")
                                 << QByteArray(R"([{"a":"x, y","b":"say \"hi\""}])");
    QTest::newRow("CSV line break in quotes") << csv << QByteArray("a,b\r\n\"one\r\ntwo\",3\r\n")
                                              << QByteArray(R"([{"a":"one\r\ntwo","b":"3"}])");
    QTest::newRow("CSV CR line ends") << csv << QByteArray("a,b\r1,2\r3,4")
                                      << QByteArray(R"([{"a":"1","b":"2"},{"a":"3","b":"4"}])");
    QTest::newRow("CSV no final newline")
        << csv << QByteArray("a\n1") << QByteArray(R"([{"a":"1"}])");
    QTest::newRow("CSV blank lines")
        << csv << QByteArray("\na\n\n1\n\n2\n\n") << QByteArray(R"([{"a":"1"},{"a":"2"}])");
    QTest::newRow("CSV empty quoted field is a row")
        << csv << QByteArray("a\n\"\"\n") << QByteArray(R"([{"a":""}])");
    QTest::newRow("CSV missing and extra values")
        << csv << QByteArray("a,b,c\n1\n1,2,3,4\n,,\n")
        << QByteArray(R"([{"a":"1","b":"","c":""},{"a":"1","b":"2","c":"3"},)"
                      R"({"a":"","b":"","c":""}])");
    QTest::newRow("CSV quote inside a plain field")
        << csv << QByteArray("a\n5\"4\n") << QByteArray(R"([{"a":"5\"4"}])");
    QTest::newRow("CSV byte order mark") << csv
                                         << QByteArray("\xEF\xBB\xBF"
                                                       "a\n1\n")
                                         << QByteArray(R"([{"a":"1"}])");
    QTest::newRow("CSV not UTF-8")
        << csv << QByteArray("a\n\xff\n") << QByteArray("[{\"a\":\"\xEF\xBF\xBD\"}]");
    QTest::newRow("CSV header only") << csv << QByteArray("a,b\n") << QByteArray("[]");
    QTest::newRow("CSV empty") << csv << QByteArray() << QByteArray("[]");
    QTest::newRow("CSV given headers")
        << QByteArray(R"({"InputType":"CSV","CSVHeaderLocation":"GIVEN",)"
                      R"("CSVHeaders":["x","y"]})")
        << QByteArray("1,2\n3,4\n") << QByteArray(R"([{"x":"1","y":"2"},{"x":"3","y":"4"}])");
    QTest::newRow("CSV pipes") << QByteArray(R"({"InputType":"CSV","CSVDelimiter":"PIPE"})")
                               << QByteArray("a|b\n1,5|\"2|3\"\n")
                               << QByteArray(R"([{"a":"1,5","b":"2|3"}])");
    QTest::newRow("CSV semicolons")
        << QByteArray(R"({"InputType":"CSV","CSVDelimiter":"SEMICOLON"})")
        << QByteArray("a;b\n1;2\n") << QByteArray(R"([{"a":"1","b":"2"}])");
    QTest::newRow("CSV spaces") << QByteArray(R"({"InputType":"CSV","CSVDelimiter":"SPACE"})")
                                << QByteArray("a b\n1 \"2 3\"\n")
                                << QByteArray(R"([{"a":"1","b":"2 3"}])");
    QTest::newRow("CSV tabs") << QByteArray(R"({"InputType":"CSV","CSVDelimiter":"TAB"})")
                              << QByteArray("a\tb\n1\t2\n") << QByteArray(R"([{"a":"1","b":"2"}])");
    QTest::newRow("CSV MaxItems") << QByteArray(R"({"InputType":"CSV","MaxItems":2})")
                                  << QByteArray("a\n1\n2\n3\n\"broken")
                                  << QByteArray(R"([{"a":"1"},{"a":"2"}])");
    QTest::newRow("CSV duplicate headers")
        << csv << QByteArray("a,b,a\n1,2,3\n")
        << QByteArray("!States.ItemReaderFailed CSV headers cannot contain duplicates.");
    QTest::newRow("CSV duplicate given headers")
        << QByteArray(R"({"InputType":"CSV","CSVHeaderLocation":"GIVEN",)"
                      R"("CSVHeaders":["x","x"]})")
        << QByteArray("1,2\n") << QByteArray("!States.ItemReaderFailed duplicates");
    QTest::newRow("CSV unterminated quote")
        << csv << QByteArray("a\n1\n\"open\n\n") << QByteArray("!States.ItemReaderFailed line 3");
    QTest::newRow("CSV text after a quote")
        << csv << QByteArray("a,b\n\"x\"y,2\n")
        << QByteArray("!States.ItemReaderFailed line 2 has text after a closing quote");

    const QByteArray jsonType = R"({"InputType":"JSON"})";
    // The array of AWS's ItemBatcher example, read from a JSON file.
    QTest::newRow("AWS JSON example")
        << jsonType << QByteArray(kStatements) << QByteArray(kStatements);
    QTest::newRow("JSON with byte order mark")
        << jsonType << QByteArray("\xEF\xBB\xBF[1]") << QByteArray("[1]");
    QTest::newRow("JSON MaxItems") << QByteArray(R"({"InputType":"JSON","MaxItems":2})")
                                   << QByteArray("[1,2,3]") << QByteArray("[1,2]");
    QTest::newRow("JSON not an array") << jsonType << QByteArray(R"({"a":[1]})")
                                       << QByteArray("!States.ItemReaderFailed JSON array");
    QTest::newRow("JSON invalid") << jsonType << QByteArray("[1,")
                                  << QByteArray("!States.ItemReaderFailed s3://b/k");
    QTest::newRow("JSON empty") << jsonType << QByteArray()
                                << QByteArray("!States.ItemReaderFailed");
    QTest::newRow("ItemsPointer") << QByteArray(
        R"({"InputType":"JSON","ItemsPointer":"/data/a~1b/0"})")
                                  << QByteArray(R"({"data":{"a/b":[[1,2],3]}})")
                                  << QByteArray("[1,2]");
    QTest::newRow("ItemsPointer missing")
        << QByteArray(R"({"InputType":"JSON","ItemsPointer":"/data/x"})")
        << QByteArray(R"({"data":{}})")
        << QByteArray("!States.ItemReaderFailed does not point at a value");
    QTest::newRow("ItemsPointer bad index")
        << QByteArray(R"({"InputType":"JSON","ItemsPointer":"/01"})") << QByteArray(R"([[1],[2]])")
        << QByteArray("!States.ItemReaderFailed");
    QTest::newRow("ItemsPointer at a scalar")
        << QByteArray(R"({"InputType":"JSON","ItemsPointer":"/a"})") << QByteArray(R"({"a":1})")
        << QByteArray("!States.ItemReaderFailed an array");

    const QByteArray lines = R"({"InputType":"JSONL"})";
    QTest::newRow("JSONL") << lines << QByteArray("{\"a\":1}\n[2]\n\"three\"\n")
                           << QByteArray(R"([{"a":1},[2],"three"])");
    QTest::newRow("JSONL CRLF and blank lines")
        << lines << QByteArray("\r\n1\r\n  \r\n2") << QByteArray("[1,2]");
    QTest::newRow("JSONL MaxItems") << QByteArray(R"({"InputType":"JSONL","MaxItems":1})")
                                    << QByteArray("1\nnot json\n") << QByteArray("[1]");
    QTest::newRow("JSONL bad line")
        << lines << QByteArray("1\n{\n") << QByteArray("!States.ItemReaderFailed Line 2");
    QTest::newRow("JSONL empty") << lines << QByteArray() << QByteArray("[]");

    QTest::newRow("manifest read directly")
        << QByteArray(R"({"InputType":"MANIFEST"})") << QByteArray("{}")
        << QByteArray("!States.Runtime aslInventoryPlans");
}

void TestAslItemIo::readItems()
{
    QFETCH(QByteArray, readerConfig);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, expected);
    auto p = plan(readerConfig);
    QVERIFY2(p.ok(), p.ok() ? "" : p.error().message.toUtf8().constData());
    checkResult(aslReadItems(*p, body), expected, showJson);
}

void TestAslItemIo::readItemsRefusesListing()
{
    AslItemReaderPlan listing;
    listing.action = QStringLiteral("listObjectsV2");
    auto r = aslReadItems(listing, "[]");
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, QString(AslErrors::Runtime));
}

void TestAslItemIo::inventory()
{
    auto p = plan(R"({"InputType":"MANIFEST","MaxItems":5})");
    QVERIFY(p.ok());
    // An S3 Inventory manifest.json, as S3 writes it next to the inventory's files.
    const QByteArray manifest
        = R"({"sourceBucket":"source","destinationBucket":"arn:aws:s3:::inventory",)"
          R"("version":"2016-11-30","creationTimestamp":"1514944800000","fileFormat":"CSV",)"
          R"("fileSchema":"Bucket, Key, Size, LastModifiedDate","files":[)"
          R"({"key":"source/config/data/one.csv.gz","size":2147,"MD5checksum":"f11"},)"
          R"({"key":"source/config/data/two.csv.gz","size":2147,"MD5checksum":"f12"}]})";
    auto plans = aslInventoryPlans(*p, manifest);
    QVERIFY2(plans.ok(), plans.ok() ? "" : plans.error().message.toUtf8().constData());
    QCOMPARE(plans->size(), size_t(2));
    const AslItemReaderPlan &first = plans->front();
    QCOMPARE(first.bucket, QStringLiteral("inventory"));
    QCOMPARE(first.key, QStringLiteral("source/config/data/one.csv.gz"));
    QCOMPARE(first.inputType, QStringLiteral("CSV"));
    QCOMPARE(first.csvHeaderLocation, QStringLiteral("GIVEN"));
    QCOMPARE(first.csvHeaders,
        QStringList({QStringLiteral("Bucket"), QStringLiteral("Key"), QStringLiteral("Size"),
            QStringLiteral("LastModifiedDate")}));
    QCOMPARE(first.maxItems, std::optional<qint64>(5));
    QCOMPARE(text(first.parameters),
        QByteArray(R"({"Bucket":"inventory","Key":"source/config/data/one.csv.gz"})"));
    // An inventory file has no header row: every line is an object.
    auto items = aslReadItems(
        first, "\"source\",\"photos/a.jpg\",\"1024\",\"2023-01-01T00:00:00.000Z\"\n");
    QVERIFY(items.ok());
    QCOMPARE(text(*items),
        QByteArray(R"([{"Bucket":"source","Key":"photos/a.jpg",)"
                   R"("LastModifiedDate":"2023-01-01T00:00:00.000Z","Size":"1024"}])"));

    // S3 writes inventory files gzipped (*.csv.gz): read through gunzip, two gzip members
    // one after the other as one file.
    const QByteArray one("\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\x53\x4a\x52\xd2\x51\xca\x36"
                         "\x54\xe2\x52\x02\x33\x8c\x94\xb8\x00\xd2\x65\xba\x67\x12\x00\x00\x00",
        34);
    const QByteArray two("\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\x53\x4a\x52\xd2\x51\xca\x36"
                         "\x56\xe2\x02\x00\x24\x0c\xe0\xc6\x09\x00\x00\x00",
        29);
    const QByteArray both = one + two;
    auto unzipped = aslGunzip(both);
    QVERIFY(unzipped.ok());
    QCOMPARE(*unzipped, QByteArray("\"b\",\"k1\"\n\"b\",\"k2\"\n\"b\",\"k3\"\n"));
    AslItemReaderPlan keys = first;
    keys.csvHeaders = {QStringLiteral("Bucket"), QStringLiteral("Key")};
    keys.maxItems.reset();
    items = aslReadItems(keys, both);
    QVERIFY(items.ok());
    QCOMPARE(text(*items),
        QByteArray(R"([{"Bucket":"b","Key":"k1"},{"Bucket":"b","Key":"k2"},)"
                   R"({"Bucket":"b","Key":"k3"}])"));
    // Cut short, corrupt, too large, or not gzip: the reader's error.
    QCOMPARE(aslGunzip(one.left(20)).error().code, QStringLiteral("States.ItemReaderFailed"));
    QByteArray corrupt = one;
    corrupt[12] = '\xff';
    QCOMPARE(aslReadItems(keys, corrupt).error().code, QStringLiteral("States.ItemReaderFailed"));
    QVERIFY(!aslGunzip(one, 5).ok());
    QVERIFY(!aslGunzip("plain").ok());
    // A getObject of a gzip object is not gunzipped: only inventory files are.
    AslItemReaderPlan plain = keys;
    plain.inventoryFile = false;
    QVERIFY(!aslReadItems(plain, one).ok() || text(*aslReadItems(plain, one)) != text(*items));
}

void TestAslItemIo::inventoryErrors_data()
{
    QTest::addColumn<QByteArray>("manifest");
    QTest::addColumn<QByteArray>("expected");
    const auto manifestWith = [](const char *rest) -> QByteArray {
        return QByteArray(R"({"destinationBucket":"arn:aws:s3:::inv","fileSchema":"Key",)") + rest;
    };
    QTest::newRow("not JSON") << QByteArray("<xml/>") << QByteArray("!States.ItemReaderFailed");
    QTest::newRow("array") << QByteArray("[]") << QByteArray("!States.ItemReaderFailed");
    QTest::newRow("no files") << manifestWith(R"("fileFormat":"CSV"})")
                              << QByteArray("!States.ItemReaderFailed files");
    QTest::newRow("files not an array") << manifestWith(R"("fileFormat":"CSV","files":{}})")
                                        << QByteArray("!States.ItemReaderFailed files");
    QTest::newRow("ORC") << manifestWith(R"("fileFormat":"ORC","files":[]})")
                         << QByteArray("!States.ItemReaderFailed ORC");
    QTest::newRow("file without key") << manifestWith(R"("fileFormat":"CSV","files":[{"size":1}]})")
                                      << QByteArray("!States.ItemReaderFailed key");
    QTest::newRow("key not a string") << manifestWith(R"("fileFormat":"CSV","files":[{"key":5}]})")
                                      << QByteArray("!States.ItemReaderFailed key");
    QTest::newRow("empty column") << QByteArray(
        R"({"destinationBucket":"inv","fileSchema":"Key, ,Size",)"
        R"("fileFormat":"CSV","files":[]})")
                                  << QByteArray("!States.ItemReaderFailed column");
    QTest::newRow("schema not a string")
        << QByteArray(R"({"destinationBucket":"inv","fileSchema":["Key"],)"
                      R"("fileFormat":"CSV","files":[]})")
        << QByteArray("!States.ItemReaderFailed fileSchema");
}

void TestAslItemIo::inventoryErrors()
{
    QFETCH(QByteArray, manifest);
    QFETCH(QByteArray, expected);
    auto p = plan(R"({"InputType":"MANIFEST"})");
    QVERIFY(p.ok());
    checkResult(aslInventoryPlans(*p, manifest), expected,
        [](const auto &r) { return QByteArray::number(r ? qint64(r->size()) : -1); });
    auto notManifest = plan(R"({"InputType":"JSON"})");
    QVERIFY(!aslInventoryPlans(*notManifest, manifest).ok());
}

void TestAslItemIo::listedItems_data()
{
    QTest::addColumn<QByteArray>("xml");
    QTest::addColumn<int>("limit"); // -1: none
    QTest::addColumn<QByteArray>("expected"); // {"items":..., "next":...}, or "!code ..."

    const QByteArray page
        = R"(<?xml version="1.0" encoding="UTF-8"?>)"
          R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
          R"(<Name>amzn-s3-demo-bucket</Name><Prefix>processData</Prefix>)"
          R"(<KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>)"
          R"(<Contents><Key>processData/20230101.txt</Key>)"
          R"(<LastModified>2022-11-17T15:44:41.000Z</LastModified>)"
          R"(<ETag>&quot;05704fbdccb224cb01c59005bebbad28&quot;</ETag><Size>16</Size>)"
          R"(<Owner><ID>abc</ID></Owner><StorageClass>STANDARD</StorageClass></Contents>)"
          R"(<Contents><Key>processData/20230102.txt</Key>)"
          R"(<LastModified>2022-11-17T15:44:42.500Z</LastModified>)"
          R"(<ETag>"e1"</ETag><Size>0</Size><StorageClass>GLACIER</StorageClass></Contents>)"
          R"(<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=)"
          R"(</NextContinuationToken></ListBucketResult>)";
    // The first item is the object of AWS's ItemReader example for listObjectsV2.
    const QByteArray items
        = R"([{"Etag":"\"05704fbdccb224cb01c59005bebbad28\"","Key":"processData/20230101.txt",)"
          R"("LastModified":1668699881,"Size":16,"StorageClass":"STANDARD"},)"
          R"({"Etag":"\"e1\"","Key":"processData/20230102.txt","LastModified":1668699882,)"
          R"("Size":0,"StorageClass":"GLACIER"}])";
    QTest::newRow("page") << page << -1
                          << QByteArray(R"({"items":)" + items
                                 + R"(,"next":"1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="})");
    QTest::newRow("limit") << page << 1
                           << QByteArray(
                                  R"({"items":[{"Etag":)"
                                  R"("\"05704fbdccb224cb01c59005bebbad28\"",)"
                                  R"("Key":"processData/20230101.txt",)"
                                  R"("LastModified":1668699881,"Size":16,)"
                                  R"("StorageClass":"STANDARD"}],)"
                                  R"("next":"1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="})");
    QTest::newRow("last page")
        << QByteArray("<ListBucketResult><IsTruncated>false</IsTruncated>"
                      "<Contents><Key>a b</Key><LastModified>2022-11-17T15:44:41Z"
                      "</LastModified><ETag>\"x\"</ETag><Size>3</Size></Contents>"
                      "</ListBucketResult>")
        << -1
        << QByteArray(R"({"items":[{"Etag":"\"x\"","Key":"a b","LastModified":1668699881,)"
                      R"("Size":3,"StorageClass":"STANDARD"}],"next":""})");
    QTest::newRow("url encoded keys")
        << QByteArray("<ListBucketResult><EncodingType>url</EncodingType>"
                      "<Contents><Key>a%20b%2Fc</Key><LastModified>2022-11-17T15:44:41Z"
                      "</LastModified><ETag>e</ETag><Size>3</Size></Contents>"
                      "</ListBucketResult>")
        << -1
        << QByteArray(R"({"items":[{"Etag":"e","Key":"a b/c","LastModified":1668699881,)"
                      R"("Size":3,"StorageClass":"STANDARD"}],"next":""})");
    QTest::newRow("empty") << QByteArray("<ListBucketResult><KeyCount>0</KeyCount>"
                                         "</ListBucketResult>")
                           << -1 << QByteArray(R"({"items":[],"next":""})");
    QTest::newRow("S3 error") << QByteArray(
        "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does "
        "not exist</Message></Error>")
                              << -1
                              << QByteArray(
                                     "!States.ItemReaderFailed NoSuchBucket: The specified bucket");
    QTest::newRow("other document") << QByteArray("<ListAllMyBucketsResult/>") << -1
                                    << QByteArray("!States.ItemReaderFailed <ListBucketResult>");
    QTest::newRow("not XML") << QByteArray("{}") << -1 << QByteArray("!States.ItemReaderFailed");
    QTest::newRow("nothing") << QByteArray() << -1 << QByteArray("!States.ItemReaderFailed");
    QTest::newRow("truncated XML") << QByteArray("<ListBucketResult><Contents><Key>a</Key>") << -1
                                   << QByteArray("!States.ItemReaderFailed well-formed");
    QTest::newRow("bad size") << QByteArray(
        "<ListBucketResult><Contents><Key>a</Key><LastModified>"
        "2022-11-17T15:44:41Z</LastModified><Size>big</Size></Contents>"
        "</ListBucketResult>") << -1
                              << QByteArray("!States.ItemReaderFailed Size");
    QTest::newRow("bad date") << QByteArray(
        "<ListBucketResult><Contents><Key>a</Key><LastModified>yesterday"
        "</LastModified><Size>1</Size></Contents></ListBucketResult>")
                              << -1 << QByteArray("!States.ItemReaderFailed LastModified");
    QTest::newRow("no key") << QByteArray("<ListBucketResult><Contents><Size>1</Size></Contents>"
                                          "</ListBucketResult>")
                            << -1 << QByteArray("!States.ItemReaderFailed Key");
}

void TestAslItemIo::listedItems()
{
    QFETCH(QByteArray, xml);
    QFETCH(int, limit);
    QFETCH(QByteArray, expected);
    checkResult(aslListedItems(xml, limit < 0 ? std::nullopt : std::optional<qint64>(limit)),
        expected, [](const Result<AslListedPage> &r) {
            return r ? text({{"items", r->items}, {"next", toStd(r->nextContinuationToken)}})
                     : QByteArray();
        });
}

void TestAslItemIo::batchItems_data()
{
    QTest::addColumn<QByteArray>("itemBatcher");
    QTest::addColumn<QByteArray>("items");
    QTest::addColumn<QByteArray>("expected"); // JSON, or "!code message"

    // AWS's ItemBatcher example: two statements a batch, with the fact check's date as
    // BatchInput in each.
    const QByteArray s1 = R"({"statement_date":"6/11/2008","statement_source":"speech",)"
                          R"("verdict":"true"})";
    const QByteArray s2 = R"({"statement_date":"6/7/2022","statement_source":"television",)"
                          R"("verdict":"false"})";
    const QByteArray s3 = R"({"statement_date":"5/18/2016","statement_source":"news",)"
                          R"("verdict":"true"})";
    QTest::newRow("AWS example")
        << QByteArray(R"({"MaxItemsPerBatch":2,"BatchInput":{"factCheck":"December 2022"}})")
        << QByteArray(kStatements)
        << QByteArray(R"([{"BatchInput":{"factCheck":"December 2022"},"Items":[)" + s1 + "," + s2
               + R"(]},{"BatchInput":{"factCheck":"December 2022"},"Items":[)" + s3 + "]}]");
    QTest::newRow("no BatchInput")
        << QByteArray(R"({"MaxItemsPerBatch":2})") << QByteArray("[1,2,3,4]")
        << QByteArray(R"([{"Items":[1,2]},{"Items":[3,4]}])");
    QTest::newRow("BatchInput paths")
        << QByteArray(R"({"MaxItemsPerBatch":5,"BatchInput":{"run.$":"$.run",)"
                      R"("exec.$":"$$.Execution.Id"}})")
        << QByteArray("[1]") << QByteArray(R"([{"BatchInput":{"exec":"x","run":7},"Items":[1]}])");
    QTest::newRow("no items") << QByteArray(R"({"MaxItemsPerBatch":2})") << QByteArray("[]")
                              << QByteArray("[]");
    QTest::newRow("MaxItemsPerBatchPath")
        << QByteArray(R"({"MaxItemsPerBatchPath":"$.size"})") << QByteArray("[1,2,3]")
        << QByteArray(R"([{"Items":[1,2]},{"Items":[3]}])");
    // {"Items":[]} is 12 bytes and each string 6: two fit in 25 bytes, not three.
    QTest::newRow("MaxInputBytesPerBatch")
        << QByteArray(R"({"MaxInputBytesPerBatch":25})") << QByteArray(R"(["aaaa","bbbb","cccc"])")
        << QByteArray(R"([{"Items":["aaaa","bbbb"]},{"Items":["cccc"]}])");
    QTest::newRow("MaxInputBytesPerBatchPath")
        << QByteArray(R"({"MaxInputBytesPerBatchPath":"$.bytes"})")
        << QByteArray(R"(["aaaa","bbbb","cccc"])")
        << QByteArray(R"([{"Items":["aaaa","bbbb"]},{"Items":["cccc"]}])");
    QTest::newRow("bytes count the BatchInput")
        << QByteArray(R"({"MaxInputBytesPerBatch":40,"BatchInput":{"k":1}})")
        << QByteArray(R"(["aaaa","bbbb"])")
        << QByteArray(R"([{"BatchInput":{"k":1},"Items":["aaaa"]},)"
                      R"({"BatchInput":{"k":1},"Items":["bbbb"]}])");
    QTest::newRow("both limits") << QByteArray(
        R"({"MaxItemsPerBatch":1,"MaxInputBytesPerBatch":262144})")
                                 << QByteArray("[1,2]")
                                 << QByteArray(R"([{"Items":[1]},{"Items":[2]}])");
    QTest::newRow("whole float") << QByteArray(R"({"MaxItemsPerBatch":2.0})")
                                 << QByteArray("[1,2,3]")
                                 << QByteArray(R"([{"Items":[1,2]},{"Items":[3]}])");

    QTest::newRow("item too large")
        << QByteArray(R"({"MaxInputBytesPerBatch":15})") << QByteArray(R"(["aaaa"])")
        << QByteArray("!States.DataLimitExceeded 6 bytes");
    QTest::newRow("no limit") << QByteArray(R"({"BatchInput":{}})") << QByteArray("[1]")
                              << QByteArray("!States.Runtime needs");
    QTest::newRow("not an object")
        << QByteArray("[]") << QByteArray("[1]") << QByteArray("!States.Runtime 'ItemBatcher'");
    QTest::newRow("items not an array")
        << QByteArray(R"({"MaxItemsPerBatch":1})") << QByteArray(R"({"a":1})")
        << QByteArray("!States.Runtime array");
    QTest::newRow("both fixed and path")
        << QByteArray(R"({"MaxItemsPerBatch":1,"MaxItemsPerBatchPath":"$.size"})")
        << QByteArray("[1]") << QByteArray("!States.Runtime both");
    QTest::newRow("zero") << QByteArray(R"({"MaxItemsPerBatch":0})") << QByteArray("[1]")
                          << QByteArray("!States.Runtime 'MaxItemsPerBatch'");
    QTest::newRow("a string") << QByteArray(R"({"MaxItemsPerBatch":"2"})") << QByteArray("[1]")
                              << QByteArray("!States.Runtime 'MaxItemsPerBatch'");
    QTest::newRow("bytes too large") << QByteArray(R"({"MaxInputBytesPerBatch":262145})")
                                     << QByteArray("[1]") << QByteArray("!States.Runtime 262144");
    QTest::newRow("path to a string")
        << QByteArray(R"({"MaxItemsPerBatchPath":"$.word"})") << QByteArray("[1]")
        << QByteArray("!States.Runtime MaxItemsPerBatchPath");
    QTest::newRow("path to a negative")
        << QByteArray(R"({"MaxInputBytesPerBatchPath":"$.neg"})") << QByteArray("[1]")
        << QByteArray("!States.Runtime MaxInputBytesPerBatchPath");
    QTest::newRow("path finds nothing")
        << QByteArray(R"({"MaxItemsPerBatchPath":"$.nope"})") << QByteArray("[1]")
        << QByteArray("!States.Runtime $['nope']");
    QTest::newRow("path not a string")
        << QByteArray(R"({"MaxItemsPerBatchPath":2})") << QByteArray("[1]")
        << QByteArray("!States.Runtime 'MaxItemsPerBatchPath'");
    QTest::newRow("BatchInput not an object")
        << QByteArray(R"({"MaxItemsPerBatch":1,"BatchInput":[1]})") << QByteArray("[1]")
        << QByteArray("!States.Runtime 'BatchInput'");
    QTest::newRow("BatchInput path finds nothing")
        << QByteArray(R"({"MaxItemsPerBatch":1,"BatchInput":{"a.$":"$.nope"}})")
        << QByteArray("[1]") << QByteArray("!States.Runtime");
}

void TestAslItemIo::batchItems()
{
    QFETCH(QByteArray, itemBatcher);
    QFETCH(QByteArray, items);
    QFETCH(QByteArray, expected);
    const Json input = json(R"({"size":2,"bytes":25,"run":7,"word":"two","neg":-4})");
    const Json context = json(R"({"Execution":{"Id":"x"}})");
    checkResult(aslBatchItems(json(itemBatcher), json(items), input, context), expected, showJson);
}

void TestAslItemIo::writerPlan_data()
{
    QTest::addColumn<QByteArray>("resultWriter");
    QTest::addColumn<QByteArray>("expected"); // plan as JSON, or "!code message"

    // AWS's example: export to csvProcessJobs in amzn-s3-demo-destination-bucket.
    QTest::newRow("AWS example")
        << QByteArray(R"({"Resource":"arn:aws:states:::s3:putObject","Parameters":{)"
                      R"("Bucket":"amzn-s3-demo-destination-bucket",)"
                      R"("Prefix":"csvProcessJobs"}})")
        << QByteArray(R"({"bucket":"amzn-s3-demo-destination-bucket","export":true,)"
                      R"("outputType":"JSON","prefix":"csvProcessJobs",)"
                      R"("transformation":"NONE"})");
    QTest::newRow("WriterConfig only")
        << QByteArray(R"({"WriterConfig":{"Transformation":"FLATTEN","OutputType":"JSON"}})")
        << QByteArray(R"({"bucket":"","export":false,"outputType":"JSON","prefix":"",)"
                      R"("transformation":"FLATTEN"})");
    QTest::newRow("WriterConfig defaults") << QByteArray(R"({"WriterConfig":{}})")
                                           << QByteArray(R"({"bucket":"","export":false,)"
                                                         R"("outputType":"JSON","prefix":"",)"
                                                         R"("transformation":"COMPACT"})");
    QTest::newRow("all three with paths")
        << QByteArray(R"({"Resource":"arn:aws:states:::s3:putObject","Parameters":{)"
                      R"("Bucket.$":"$.bucket"},"WriterConfig":{"OutputType":"JSONL",)"
                      R"("Transformation":"COMPACT"}})")
        << QByteArray(R"({"bucket":"out","export":true,"outputType":"JSONL","prefix":"",)"
                      R"("transformation":"COMPACT"})");
    QTest::newRow("empty") << QByteArray("{}") << QByteArray("!States.Runtime WriterConfig");
    QTest::newRow("not an object")
        << QByteArray("7") << QByteArray("!States.Runtime 'ResultWriter'");
    QTest::newRow("resource without parameters")
        << QByteArray(R"({"Resource":"arn:aws:states:::s3:putObject"})")
        << QByteArray("!States.Runtime both");
    QTest::newRow("wrong action") << QByteArray(R"({"Resource":"arn:aws:states:::s3:getObject",)"
                                                R"("Parameters":{"Bucket":"b"}})")
                                  << QByteArray("!States.Runtime s3:putObject");
    QTest::newRow("no bucket") << QByteArray(R"({"Resource":"arn:aws:states:::s3:putObject",)"
                                             R"("Parameters":{"Prefix":"p"}})")
                               << QByteArray("!States.ResultWriterFailed Bucket");
    QTest::newRow("prefix not a string")
        << QByteArray(R"({"Resource":"arn:aws:states:::s3:putObject",)"
                      R"("Parameters":{"Bucket":"b","Prefix":["p"]}})")
        << QByteArray("!States.ResultWriterFailed Prefix");
    QTest::newRow("path finds nothing")
        << QByteArray(R"({"Resource":"arn:aws:states:::s3:putObject",)"
                      R"("Parameters":{"Bucket.$":"$.nope"}})")
        << QByteArray("!States.Runtime");
    QTest::newRow("bad transformation")
        << QByteArray(R"({"WriterConfig":{"Transformation":"SQUASH"}})")
        << QByteArray("!States.Runtime SQUASH");
    QTest::newRow("bad output type") << QByteArray(R"({"WriterConfig":{"OutputType":"CSV"}})")
                                     << QByteArray("!States.Runtime CSV");
    QTest::newRow("output type not a string") << QByteArray(R"({"WriterConfig":{"OutputType":1}})")
                                              << QByteArray("!States.Runtime STRING");
    QTest::newRow("WriterConfig not an object")
        << QByteArray(R"({"WriterConfig":"JSON"})") << QByteArray("!States.Runtime 'WriterConfig'");
}

void TestAslItemIo::writerPlan()
{
    QFETCH(QByteArray, resultWriter);
    QFETCH(QByteArray, expected);
    checkResult(aslResultWriterPlan(json(resultWriter), json(R"({"bucket":"out"})")), expected,
        [](const Result<AslResultWriterPlan> &r) {
            return r ? text({{"bucket", toStd(r->bucket)}, {"export", r->exportToS3},
                       {"outputType", toStd(r->outputType)}, {"prefix", toStd(r->prefix)},
                       {"transformation", toStd(r->transformation)}})
                     : QByteArray();
        });
}

void TestAslItemIo::writeResultsToS3()
{
    auto plan = aslResultWriterPlan(
        json(R"({"Resource":"arn:aws:states:::s3:putObject","Parameters":{)"
             R"("Bucket":"amzn-s3-demo-destination-bucket","Prefix":"csvProcessJobs"}})"),
        Json::object());
    QVERIFY(plan.ok());
    const std::vector<AslChildExecution> children
        = {child(QStringLiteral("one"), QStringLiteral("SUCCEEDED"), R"({"n":1})", R"({"r":1})"),
            child(QStringLiteral("two"), QStringLiteral("FAILED"), R"({"n":2})"),
            child(QStringLiteral("three"), QStringLiteral("SUCCEEDED"), R"({"n":3})", "[3,4]")};
    auto written = aslWriteResults(*plan, QString::fromLatin1(kMapRunArn), children);
    QVERIFY2(written.ok(), written.ok() ? "" : written.error().message.toUtf8().constData());

    // The Map state's output, as AWS's example shows it.
    const QString folder = QStringLiteral("csvProcessJobs/ad9b5f27-090b-3ac6-9beb-243cd77144a7/");
    QCOMPARE(text(written->stateResult),
        text(json(QByteArray(R"({"MapRunArn":")") + kMapRunArn
            + R"(","ResultWriterDetails":{"Bucket":"amzn-s3-demo-destination-bucket",)"
              R"("Key":"csvProcessJobs/ad9b5f27-090b-3ac6-9beb-243cd77144a7/manifest.json"}})")));
    QCOMPARE(written->bucket, QStringLiteral("amzn-s3-demo-destination-bucket"));
    QCOMPARE(written->objects.size(), size_t(3));
    QCOMPARE(written->objects.back().key, folder + QStringLiteral("manifest.json"));

    const AslResultObject *succeeded = findObject(*written, folder + u"SUCCEEDED_0.json");
    const AslResultObject *failed = findObject(*written, folder + u"FAILED_0.json");
    QVERIFY(succeeded && failed);
    QVERIFY(!findObject(*written, folder + u"PENDING_0.json"));

    const Json manifest = json(written->objects.back().body);
    QCOMPARE(text(manifest),
        text(json(QByteArray(R"({"DestinationBucket":"amzn-s3-demo-destination-bucket",)"
                             R"("MapRunArn":")")
            + kMapRunArn + R"(","ResultFiles":{"FAILED":[{"Key":")" + folder.toUtf8()
            + R"(FAILED_0.json","Size":)" + QByteArray::number(failed->body.size())
            + R"(}],"PENDING":[],"SUCCEEDED":[{"Key":")" + folder.toUtf8()
            + R"(SUCCEEDED_0.json","Size":)" + QByteArray::number(succeeded->body.size())
            + "}]}}")));

    // Transformation NONE: each child's record, input and output as JSON text.
    const Json records = json(succeeded->body);
    QVERIFY(records.is_array());
    QCOMPARE(records.size(), size_t(2));
    QCOMPARE(text(records[0]),
        text(json(R"({"ExecutionArn":"arn:aws:states:us-east-1:123456789012:execution:)"
                  R"(csvProcess/Map:one","Input":"{\"n\":1}","InputDetails":{"Included":true},)"
                  R"("Name":"one","Output":"{\"r\":1}","OutputDetails":{"Included":true},)"
                  R"("RedriveCount":0,"RedriveStatus":"NOT_REDRIVABLE",)"
                  R"("RedriveStatusReason":"Execution is SUCCEEDED and cannot be redriven",)"
                  R"("StartDate":"2023-02-14T17:34:10.386Z","StateMachineArn":)"
                  R"("arn:aws:states:us-east-1:123456789012:stateMachine:csvProcess/Map",)"
                  R"("Status":"SUCCEEDED","StopDate":"2023-02-14T17:34:10.632Z"})")));
    const Json failures = json(failed->body);
    QCOMPARE(failures.size(), size_t(1));
    QCOMPARE(failures[0].value("Error", ""), std::string("States.TaskFailed"));
    QCOMPARE(failures[0].value("Cause", ""), std::string("boom"));
    QCOMPARE(failures[0].value("Status", ""), std::string("FAILED"));
    QVERIFY(!failures[0].contains("Output"));
}

void TestAslItemIo::writeResultsTransformed_data()
{
    QTest::addColumn<QString>("transformation");
    QTest::addColumn<QString>("outputType");
    QTest::addColumn<QByteArray>("succeeded"); // SUCCEEDED_0.json's body

    QTest::newRow("COMPACT JSON") << "COMPACT"
                                  << "JSON" << QByteArray(R"([{"r":1},[3,4]])");
    QTest::newRow("FLATTEN JSON") << "FLATTEN"
                                  << "JSON" << QByteArray(R"([{"r":1},3,4])");
    QTest::newRow("COMPACT JSONL") << "COMPACT"
                                   << "JSONL" << QByteArray("{\"r\":1}\n[3,4]\n");
    QTest::newRow("FLATTEN JSONL") << "FLATTEN"
                                   << "JSONL" << QByteArray("{\"r\":1}\n3\n4\n");
}

void TestAslItemIo::writeResultsTransformed()
{
    QFETCH(QString, transformation);
    QFETCH(QString, outputType);
    QFETCH(QByteArray, succeeded);
    AslResultWriterPlan plan;
    plan.exportToS3 = true;
    plan.bucket = QStringLiteral("out");
    plan.prefix = QStringLiteral("runs/");
    plan.transformation = transformation;
    plan.outputType = outputType;
    const std::vector<AslChildExecution> children
        = {child(QStringLiteral("one"), QStringLiteral("SUCCEEDED"), "1", R"({"r":1})"),
            child(QStringLiteral("two"), QStringLiteral("TIMED_OUT"), "2"),
            child(QStringLiteral("three"), QStringLiteral("SUCCEEDED"), "3", "[3,4]"),
            child(QStringLiteral("four"), QStringLiteral("PENDING"), "4")};
    auto written = aslWriteResults(plan, QString::fromLatin1(kMapRunArn), children);
    QVERIFY(written.ok());
    const QString folder = QStringLiteral("runs/ad9b5f27-090b-3ac6-9beb-243cd77144a7/");
    const AslResultObject *ok = findObject(*written, folder + u"SUCCEEDED_0.json");
    QVERIFY(ok);
    QCOMPARE(ok->body, succeeded);
    // A child that did not succeed keeps its whole record, whatever the transformation.
    const AslResultObject *failed = findObject(*written, folder + u"FAILED_0.json");
    QVERIFY(failed);
    const Json record = outputType == QLatin1String("JSON") ? json(failed->body)[0]
                                                            : json(failed->body.trimmed());
    QCOMPARE(record.value("Status", ""), std::string("TIMED_OUT"));
    QCOMPARE(record.value("Input", ""), std::string("2"));
    const AslResultObject *pending = findObject(*written, folder + u"PENDING_0.json");
    QVERIFY(pending);
    const Json waiting = outputType == QLatin1String("JSON") ? json(pending->body)[0]
                                                             : json(pending->body.trimmed());
    QCOMPARE(waiting.value("Status", ""), std::string("PENDING"));
    QVERIFY(!waiting.contains("StopDate"));
}

void TestAslItemIo::writeResultsSplitsFiles()
{
    AslResultWriterPlan plan;
    plan.exportToS3 = true;
    plan.bucket = QStringLiteral("out");
    plan.transformation = QStringLiteral("COMPACT");
    plan.outputType = QStringLiteral("JSON");
    std::vector<AslChildExecution> children;
    for (int i = 0; i < 5; ++i)
        children.push_back(child(QString::number(i), QStringLiteral("SUCCEEDED"), "0",
            QByteArray("\"") + QByteArray(8, char('a' + i)) + '"'));
    // Each output is 10 bytes: a file of 25 bytes holds two ("[" + 10 + "," + 10 + "]").
    auto written = aslWriteResults(plan, QString::fromLatin1(kMapRunArn), children, 25);
    QVERIFY(written.ok());
    const QString folder = QStringLiteral("ad9b5f27-090b-3ac6-9beb-243cd77144a7/");
    QCOMPARE(written->objects.size(), size_t(4));
    QCOMPARE(written->objects[0].key, folder + u"SUCCEEDED_0.json");
    QCOMPARE(written->objects[0].body, QByteArray(R"(["aaaaaaaa","bbbbbbbb"])"));
    QCOMPARE(written->objects[1].key, folder + u"SUCCEEDED_1.json");
    QCOMPARE(written->objects[2].key, folder + u"SUCCEEDED_2.json");
    QCOMPARE(written->objects[2].body, QByteArray(R"(["eeeeeeee"])"));
    const Json manifest = json(written->objects[3].body);
    QCOMPARE(manifest["ResultFiles"]["SUCCEEDED"].size(), size_t(3));
    QCOMPARE(manifest["ResultFiles"]["SUCCEEDED"][0].value("Size", 0), 23);

    // An entry larger than a file still gets a file of its own.
    auto big = aslWriteResults(plan, QString::fromLatin1(kMapRunArn), children, 4);
    QVERIFY(big.ok());
    QCOMPARE(big->objects.size(), size_t(6));
}

void TestAslItemIo::writeResultsWithoutExport()
{
    auto plan = aslResultWriterPlan(
        json(R"({"WriterConfig":{"Transformation":"FLATTEN"}})"), Json::object());
    QVERIFY(plan.ok());
    const std::vector<AslChildExecution> children
        = {child(QStringLiteral("one"), QStringLiteral("SUCCEEDED"), "1", "[1,2]"),
            child(QStringLiteral("two"), QStringLiteral("SUCCEEDED"), "2", R"({"x":3})"),
            child(QStringLiteral("three"), QStringLiteral("FAILED"), "3")};
    auto written = aslWriteResults(*plan, QString(), children);
    QVERIFY(written.ok());
    QVERIFY(written->objects.empty());
    const Json result = written->stateResult;
    QCOMPARE(result.size(), size_t(4));
    QCOMPARE(text(Json(result.begin(), result.begin() + 3)), QByteArray(R"([1,2,{"x":3}])"));
    QCOMPARE(result[3].value("Status", ""), std::string("FAILED"));
}

void TestAslItemIo::writeResultsKeys_data()
{
    QTest::addColumn<QString>("prefix");
    QTest::addColumn<QString>("manifestKey");
    const QString id = QStringLiteral("ad9b5f27-090b-3ac6-9beb-243cd77144a7");
    QTest::newRow("no prefix") << QString() << QString(id + u"/manifest.json");
    QTest::newRow("prefix") << "jobs" << QString(u"jobs/" + id + u"/manifest.json");
    QTest::newRow("prefix with slash") << "jobs/" << QString(u"jobs/" + id + u"/manifest.json");
    QTest::newRow("nested prefix") << "a/b" << QString(u"a/b/" + id + u"/manifest.json");
}

void TestAslItemIo::writeResultsKeys()
{
    QFETCH(QString, prefix);
    QFETCH(QString, manifestKey);
    AslResultWriterPlan plan;
    plan.exportToS3 = true;
    plan.bucket = QStringLiteral("out");
    plan.prefix = prefix;
    plan.transformation = QStringLiteral("NONE");
    plan.outputType = QStringLiteral("JSON");
    auto written = aslWriteResults(plan, QString::fromLatin1(kMapRunArn), {});
    QVERIFY(written.ok());
    QCOMPARE(written->objects.size(), size_t(1));
    QCOMPARE(written->objects[0].key, manifestKey);
    QCOMPARE(json(written->objects[0].body)["ResultFiles"].dump(),
        std::string(R"({"FAILED":[],"PENDING":[],"SUCCEEDED":[]})"));
}

void TestAslItemIo::writeResultsBadArn()
{
    AslResultWriterPlan plan;
    plan.exportToS3 = true;
    plan.bucket = QStringLiteral("out");
    for (const char *arn : {"", "mapRun", "arn:aws:states:us-east-1:1:mapRun:m/Map:"}) {
        auto written = aslWriteResults(plan, QString::fromLatin1(arn), {});
        QVERIFY(!written.ok());
        QCOMPARE(written.error().code, QString(AslErrors::ResultWriterFailed));
    }
}

QTEST_APPLESS_MAIN(TestAslItemIo)
#include "tst_aslitemio.moc"
