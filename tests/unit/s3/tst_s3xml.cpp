#include "services/s3/s3xml.h"

#include <QTest>

using namespace tarmac;

class TestS3Xml : public QObject
{
    Q_OBJECT
private slots:
    void malformed_data();
    void malformed();
    void deleteRequest();
    void completeMultipartUpload();
    void createBucketConfiguration();
    void tagging();
    void taggingHeader();
    void corsRoundTrip();
    void notificationRoundTrip();
    void eventMatching_data();
    void eventMatching();
};

void TestS3Xml::malformed_data()
{
    QTest::addColumn<QByteArray>("document");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("unclosed") << QByteArray("<Delete><Object><Key>a</Key></Object>");
    QTest::newRow("two roots") << QByteArray("<a/><b/>");
    QTest::newRow("dtd") << QByteArray("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>");
    QTest::newRow("undeclared entity") << QByteArray("<a>&nope;</a>");
    QTest::newRow("too deep") << QByteArray(
        QByteArray("<a>").repeated(40) + QByteArray("</a>").repeated(40));
    QTest::newRow("not xml") << QByteArray("{\"json\": true}");
}

void TestS3Xml::malformed()
{
    QFETCH(QByteArray, document);
    const auto parsed = s3xml::parse(document);
    QVERIFY(!parsed);
    QCOMPARE(parsed.error().code, QStringLiteral("MalformedXML"));
}

void TestS3Xml::deleteRequest()
{
    const auto d = s3xml::parseDelete(
        "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
        "<Object><Key>a &amp; b</Key></Object><Object><Key>ü/x</Key><VersionId>v</VersionId>"
        "</Object></Delete>");
    QVERIFY(d);
    QVERIFY(d->quiet);
    QCOMPARE(d->keys, (QList<QByteArray> {"a & b", "\xc3\xbc/x"}));
    QVERIFY(!s3xml::parseDelete("<Delete></Delete>"));
    QVERIFY(!s3xml::parseDelete("<Delete><Object/></Delete>"));
    QVERIFY(
        !s3xml::parseDelete("<Delete><Quiet>maybe</Quiet><Object><Key>a</Key></Object></Delete>"));
    QVERIFY(!s3xml::parseDelete("<Other><Object><Key>a</Key></Object></Other>"));
    QByteArray many = "<Delete>";
    for (int i = 0; i < 1001; ++i)
        many += "<Object><Key>k" + QByteArray::number(i) + "</Key></Object>";
    QVERIFY(!s3xml::parseDelete(many + "</Delete>"));
}

void TestS3Xml::completeMultipartUpload()
{
    const auto parts = s3xml::parseCompleteMultipartUpload(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
        "<ETag>\"dede9db222ee612853f44e6e6b1ca792\"</ETag></Part><Part><ETag>&quot;abc&quot;</ETag>"
        "<PartNumber>2</PartNumber><ChecksumCRC32>x</ChecksumCRC32></Part>"
        "</CompleteMultipartUpload>");
    QVERIFY(parts);
    QCOMPARE(parts->size(), 2);
    QCOMPARE(parts->at(0).partNumber, 1);
    QCOMPARE(parts->at(0).etag, QByteArray("dede9db222ee612853f44e6e6b1ca792"));
    QCOMPARE(parts->at(1).etag, QByteArray("abc"));
    QVERIFY(!s3xml::parseCompleteMultipartUpload("<CompleteMultipartUpload/>"));
    QVERIFY(!s3xml::parseCompleteMultipartUpload(
        "<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>a</ETag></Part>"
        "</CompleteMultipartUpload>"));
}

void TestS3Xml::createBucketConfiguration()
{
    QCOMPARE(*s3xml::parseCreateBucketConfiguration({}), QString());
    QCOMPARE(*s3xml::parseCreateBucketConfiguration(
                 "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>"
                 "</CreateBucketConfiguration>"),
        QStringLiteral("eu-west-1"));
    QVERIFY(!s3xml::parseCreateBucketConfiguration("<Nope/>"));
}

void TestS3Xml::tagging()
{
    const auto tags = s3xml::parseTagging(
        "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value></Value>"
        "</Tag></TagSet></Tagging>",
        10);
    QVERIFY(tags);
    QCOMPARE(tags->size(), 2);
    const auto again = s3xml::parseTagging(s3xml::renderTagging(*tags), 10);
    QVERIFY(again);
    QCOMPARE(again->at(1).key, QStringLiteral("b"));
    const auto dup = s3xml::parseTagging(
        "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value>2</Value>"
        "</Tag></TagSet></Tagging>",
        10);
    QVERIFY(!dup);
    QCOMPARE(dup.error().code, QStringLiteral("InvalidTag"));
}

void TestS3Xml::taggingHeader()
{
    const auto tags = s3xml::parseTaggingHeader("k1=v1&k%202=v+2&empty=");
    QVERIFY(tags);
    QCOMPARE(tags->size(), 3);
    QCOMPARE(tags->at(1).key, QStringLiteral("k 2"));
    QCOMPARE(tags->at(1).value, QStringLiteral("v 2"));
    QCOMPARE(*s3xml::parseTaggingHeader(s3xml::taggingToHeader(*tags)), *tags);
    QVERIFY(!s3xml::parseTaggingHeader("a=1&a=2"));
}

void TestS3Xml::corsRoundTrip()
{
    const QByteArray doc
        = "<CORSConfiguration><CORSRule><AllowedOrigin>http://*.example</AllowedOrigin>"
          "<AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader>"
          "<MaxAgeSeconds>60</MaxAgeSeconds></CORSRule></CORSConfiguration>";
    const auto rules = s3xml::parseCors(doc);
    QVERIFY(rules);
    QCOMPARE(rules->first().maxAgeSeconds, 60);
    const auto again = s3xml::parseCors(s3xml::renderCors(*rules));
    QVERIFY(again);
    QCOMPARE(again->first().allowedOrigins, QStringList {QStringLiteral("http://*.example")});
    QVERIFY(
        !s3xml::parseCors("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
                          "<AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>"));
}

void TestS3Xml::notificationRoundTrip()
{
    const QByteArray doc
        = "<NotificationConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
          "<CloudFunctionConfiguration><Id>resize</Id>"
          "<CloudFunction>arn:aws:lambda:us-east-1:000000000000:function:resize</CloudFunction>"
          "<Event>s3:ObjectCreated:*</Event><Filter><S3Key>"
          "<FilterRule><Name>Prefix</Name><Value>images/</Value></FilterRule>"
          "<FilterRule><Name>suffix</Name><Value>.jpg</Value></FilterRule></S3Key></Filter>"
          "</CloudFunctionConfiguration><QueueConfiguration><Queue>arn:aws:sqs:us-east-1:0:q</"
          "Queue>"
          "<Event>s3:ObjectRemoved:*</Event></QueueConfiguration></NotificationConfiguration>";
    const auto config = s3xml::parseNotification(doc);
    QVERIFY(config);
    QCOMPARE(config->targets.size(), 2);
    const auto &t = config->targets.first();
    QCOMPARE(t.kind, QStringLiteral("CloudFunction"));
    QCOMPARE(t.prefix, QStringLiteral("images/"));
    QCOMPARE(t.suffix, QStringLiteral(".jpg"));
    const auto again = s3xml::parseNotification(s3xml::renderNotification(*config));
    QVERIFY(again);
    QCOMPARE(again->targets.size(), 2);
    QCOMPARE(again->targets.first().arn, t.arn);
    QCOMPARE(again->targets.last().kind, QStringLiteral("Queue"));
    QVERIFY(s3xml::parseNotification("<NotificationConfiguration/>")->targets.isEmpty());
    const auto bad = s3xml::parseNotification(
        "<NotificationConfiguration><CloudFunctionConfiguration><CloudFunction>arn</CloudFunction>"
        "<Event>s3:Nothing</Event></CloudFunctionConfiguration></NotificationConfiguration>");
    QVERIFY(!bad);
}

void TestS3Xml::eventMatching_data()
{
    QTest::addColumn<QString>("configured");
    QTest::addColumn<QString>("event");
    QTest::addColumn<bool>("matches");
    QTest::newRow("wildcard") << "s3:ObjectCreated:*"
                              << "ObjectCreated:Put" << true;
    QTest::newRow("wildcard multipart") << "s3:ObjectCreated:*"
                                        << "ObjectCreated:CompleteMultipartUpload" << true;
    QTest::newRow("other family") << "s3:ObjectCreated:*"
                                  << "ObjectRemoved:Delete" << false;
    QTest::newRow("exact") << "s3:ObjectRemoved:Delete"
                           << "ObjectRemoved:Delete" << true;
    QTest::newRow("exact other") << "s3:ObjectCreated:Put"
                                 << "ObjectCreated:Copy" << false;
}

void TestS3Xml::eventMatching()
{
    QFETCH(QString, configured);
    QFETCH(QString, event);
    QFETCH(bool, matches);
    QCOMPARE(s3xml::eventMatches(configured, event), matches);
}

QTEST_GUILESS_MAIN(TestS3Xml)
#include "tst_s3xml.moc"
