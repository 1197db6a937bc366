// sqsquery: SQS's query protocol translated to the JSON protocol's requests and back to XML:
// lists and maps of numbered fields, numbers, a QueueUrl from the path, unknown actions, and
// XML that escapes what XML would change (a carriage return) and flattens lists as AWS does.
#include "services/sqs/sqsquery.h"

#include <QTest>

using namespace tarmac;

class TestSqsQuery : public QObject
{
    Q_OBJECT
private slots:
    void sendBatchWithAttributes();
    void createQueueMapsAndTags();
    void queueUrlFromThePath();
    void badActions();
    void xmlAnswers();
    void xmlErrors();
};

void TestSqsQuery::sendBatchWithAttributes()
{
    const QByteArray form = "Action=SendMessageBatch&Version=2012-11-05&QueueUrl=http%3A%2F%2F"
                            "h%2F000000000000%2Fq"
                            "&SendMessageBatchRequestEntry.2.Id=b"
                            "&SendMessageBatchRequestEntry.2.MessageBody=two+words%26more"
                            "&SendMessageBatchRequestEntry.2.DelaySeconds=5"
                            "&SendMessageBatchRequestEntry.1.Id=a"
                            "&SendMessageBatchRequestEntry.1.MessageBody=one"
                            "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=kind"
                            "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType="
                            "String"
                            "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue="
                            "x"
                            "&SendMessageBatchRequestEntry.10.Id=j&SendMessageBatchRequestEntry.10"
                            ".MessageBody=ten";
    auto r = sqsquery::toJsonRequest(form, {}, QStringLiteral("/"));
    QVERIFY(r);
    QCOMPARE(r->operation, QStringLiteral("SendMessageBatch"));
    const Json &b = r->body;
    QVERIFY(b["QueueUrl"] == Json("http://h/000000000000/q"));
    QVERIFY(b["Entries"].size() == 3u);
    QVERIFY(b["Entries"][0]["Id"] == Json("a")); // in number order, 10 after 2
    QVERIFY(b["Entries"][1]["MessageBody"] == Json("two words&more"));
    QVERIFY(b["Entries"][1]["DelaySeconds"] == Json(5));
    QVERIFY(b["Entries"][2]["Id"] == Json("j"));
    QVERIFY(b["Entries"][0]["MessageAttributes"]["kind"]
        == Json({{"DataType", "String"}, {"StringValue", "x"}}));
    QVERIFY(!b.contains("Version"));
}

void TestSqsQuery::createQueueMapsAndTags()
{
    auto r = sqsquery::toJsonRequest("Action=CreateQueue&QueueName=q&Attribute.1.Name="
                                     "VisibilityTimeout&Attribute.1.Value=30&Tag.1.Key=team"
                                     "&Tag.1.Value=red",
        {}, QStringLiteral("/"));
    QVERIFY(r);
    QVERIFY(r->body["Attributes"] == Json({{"VisibilityTimeout", "30"}}));
    QVERIFY(r->body["tags"] == Json({{"team", "red"}})); // CreateQueue's JSON name
    auto recv = sqsquery::toJsonRequest(
        "Action=ReceiveMessage&AttributeName.1=All&MaxNumberOfMessages=ten&WaitTimeSeconds=2", {},
        QStringLiteral("/"));
    QVERIFY(recv->body["AttributeNames"] == Json({"All"}));
    QVERIFY(recv->body["MaxNumberOfMessages"] == Json("ten")); // the operation refuses it
    QVERIFY(recv->body["WaitTimeSeconds"] == Json(2));
    // An entry without its Name is malformed.
    auto bad = sqsquery::toJsonRequest(
        "Action=SetQueueAttributes&Attribute.1.Value=30", {}, QStringLiteral("/"));
    QCOMPARE(bad.error().code, QStringLiteral("InvalidParameterValue"));
}

void TestSqsQuery::queueUrlFromThePath()
{
    // Older clients post to the queue's URL; the Action may come in the URL's query.
    auto r = sqsquery::toJsonRequest(
        "MessageBody=hi", "Action=SendMessage", QStringLiteral("/000000000000/jobs"));
    QVERIFY(r);
    QCOMPARE(r->operation, QStringLiteral("SendMessage"));
    QVERIFY(r->body["QueueUrl"] == Json("/000000000000/jobs"));
    QVERIFY(r->body["MessageBody"] == Json("hi"));
    auto list = sqsquery::toJsonRequest("Action=ListQueues", {}, QStringLiteral("/"));
    QVERIFY(!list->body.contains("QueueUrl"));
}

void TestSqsQuery::badActions()
{
    QCOMPARE(sqsquery::toJsonRequest("QueueName=x", {}, QStringLiteral("/")).error().code,
        QStringLiteral("MissingParameter"));
    auto unknown = sqsquery::toJsonRequest("Action=DropTables", {}, QStringLiteral("/"));
    QCOMPARE(unknown.error().code, QStringLiteral("InvalidAction"));
    QCOMPARE(unknown.error().httpStatus, 400);
    // Garbage keys and values are only values.
    QVERIFY(
        sqsquery::toJsonRequest("Action=ListQueues&%ZZ=%&..=.&a.1.=&=", {}, QStringLiteral("/")));
    // A name that is not UTF-8 (a fuzzer's find: nlohmann throws when it writes such a string,
    // and the XML answer's numbers and lists are written by it) is read as UTF-8.
    auto notUtf8
        = sqsquery::toJsonRequest("Action=ListQueues&Foo.%FF%FE=1", {}, QStringLiteral("/"));
    QVERIFY(notUtf8);
    QVERIFY(QByteArray::fromStdString(notUtf8->body.dump()).contains("\xef\xbf\xbd\xef\xbf\xbd"));
}

void TestSqsQuery::xmlAnswers()
{
    const Json received = {{"Messages",
        {{{"MessageId", "m1"}, {"Body", "a<b>&\"c\"\r\n"}, {"Attributes", {{"SentTimestamp", "1"}}},
            {"MessageAttributes", {{"k", {{"DataType", "String"}, {"StringValue", "v"}}}}}}}}};
    const QByteArray xml = sqsquery::toXml(QStringLiteral("ReceiveMessage"), received, "rid");
    QVERIFY(xml.contains("<ReceiveMessageResponse xmlns=\"http://queue.amazonaws.com/doc/"
                         "2012-11-05/\"><ReceiveMessageResult><Message>"));
    QVERIFY(xml.contains("<Body>a&lt;b&gt;&amp;&quot;c&quot;&#xD;\n</Body>"));
    QVERIFY(xml.contains("<Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute>"));
    QVERIFY(xml.contains("<MessageAttribute><Name>k</Name><Value><DataType>String</DataType>"
                         "<StringValue>v</StringValue></Value></MessageAttribute>"));
    QVERIFY(xml.endsWith("<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata>"
                         "</ReceiveMessageResponse>"));
    const QByteArray batch = sqsquery::toXml(QStringLiteral("SendMessageBatch"),
        {{"Successful", {{{"Id", "a"}}}},
            {"Failed", {{{"Id", "b"}, {"SenderFault", true}, {"Code", "X"}}}}},
        "r");
    QVERIFY(
        batch.contains("<SendMessageBatchResultEntry><Id>a</Id></SendMessageBatchResultEntry>"));
    QVERIFY(batch.contains("<BatchResultErrorEntry><Code>X</Code><Id>b</Id><SenderFault>true"
                           "</SenderFault></BatchResultErrorEntry>"));
    const QByteArray list
        = sqsquery::toXml(QStringLiteral("ListQueues"), {{"QueueUrls", {"u1", "u2"}}}, "r");
    QVERIFY(list.contains("<ListQueuesResult><QueueUrl>u1</QueueUrl><QueueUrl>u2</QueueUrl>"
                          "</ListQueuesResult>"));
    // An operation without a result has no Result element.
    QVERIFY(
        !sqsquery::toXml(QStringLiteral("DeleteQueue"), Json::object(), "r").contains("Result>"));
}

void TestSqsQuery::xmlErrors()
{
    const QByteArray xml = sqsquery::errorXml(
        "AWS.SimpleQueueService.NonExistentQueue", QStringLiteral("no <queue>"), true, "rid");
    QVERIFY(xml.contains("<Error><Type>Sender</Type><Code>AWS.SimpleQueueService."
                         "NonExistentQueue</Code><Message>no &lt;queue&gt;</Message>"));
    QVERIFY(xml.contains("<RequestId>rid</RequestId></ErrorResponse>"));
}

QTEST_GUILESS_MAIN(TestSqsQuery)
#include "tst_sqsquery.moc"
