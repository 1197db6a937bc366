#include "services/s3/s3formupload.h"
#include "services/s3/s3postpolicy.h"

#include <QDateTime>
#include <QTest>

using namespace tarmac;

namespace {

// 2030-01-01T00:00:00Z, and a clock a minute before or after it.
const QByteArray kExpiration = "2030-01-01T00:00:00.000Z";
const qint64 kExpiresNs
    = QDateTime::fromString(QStringLiteral("2030-01-01T00:00:00Z"), Qt::ISODate).toMSecsSinceEpoch()
    * 1'000'000;
constexpr qint64 kMinuteNs = 60'000'000'000;

QByteArray policy(const QByteArray &conditions, const QByteArray &expiration = kExpiration)
{
    return QByteArray(
        "{\"expiration\": \"" + expiration + "\", \"conditions\": [" + conditions + "]}")
        .toBase64();
}

S3Form form(const QList<std::pair<QByteArray, QByteArray>> &fields)
{
    S3Form f;
    f.fields = fields;
    f.hasFile = true;
    f.fileName = "photo.jpg";
    return f;
}

using Fields = QList<std::pair<QByteArray, QByteArray>>;

} // namespace

class TestS3PostPolicy : public QObject
{
    Q_OBJECT

private slots:
    void parse_data()
    {
        QTest::addColumn<QByteArray>("base64");
        QTest::addColumn<QString>("error");
        QTest::addColumn<int>("conditions");
        QTest::newRow("boto3's shape") << policy(
            R"({"bucket": "b"}, ["starts-with", "$key", "up/"], {"x-amz-algorithm": "AWS4-HMAC-SHA256"}, ["content-length-range", 1, 100])")
                                       << QString() << 4;
        QTest::newRow("no milliseconds") << policy("", "2030-01-01T00:00:00Z") << QString() << 0;
        QTest::newRow("range as strings")
            << policy(R"(["content-length-range", "1", "9"])") << QString() << 1;
        QTest::newRow("not base64")
            << QByteArray("%%%") << QStringLiteral("InvalidPolicyDocument") << 0;
        QTest::newRow("not json") << QByteArray("not json").toBase64()
                                  << QStringLiteral("InvalidPolicyDocument") << 0;
        QTest::newRow("no expiration") << QByteArray(R"({"conditions": []})").toBase64()
                                       << QStringLiteral("InvalidPolicyDocument") << 0;
        QTest::newRow("bad expiration")
            << policy("", "tomorrow") << QStringLiteral("InvalidPolicyDocument") << 0;
        QTest::newRow("no conditions")
            << QByteArray(R"({"expiration": "2030-01-01T00:00:00Z"})").toBase64()
            << QStringLiteral("InvalidPolicyDocument") << 0;
        QTest::newRow("two properties")
            << policy(R"({"a": "1", "b": "2"})") << QStringLiteral("InvalidPolicyDocument") << 0;
        QTest::newRow("unknown operation") << policy(R"(["ends-with", "$key", "x"])")
                                           << QStringLiteral("InvalidPolicyDocument") << 0;
        QTest::newRow("field without $")
            << policy(R"(["eq", "key", "x"])") << QStringLiteral("InvalidPolicyDocument") << 0;
        QTest::newRow("range reversed") << policy(R"(["content-length-range", 10, 1])")
                                        << QStringLiteral("InvalidPolicyDocument") << 0;
        QTest::newRow("two elements")
            << policy(R"(["eq", "$key"])") << QStringLiteral("InvalidPolicyDocument") << 0;
    }
    void parse()
    {
        QFETCH(QByteArray, base64);
        QFETCH(QString, error);
        QFETCH(int, conditions);
        auto p = S3PostPolicy::parse(base64);
        QCOMPARE(p.ok(), error.isEmpty());
        if (!p) {
            QCOMPARE(p.error().code, error);
            return;
        }
        QCOMPARE(p->conditions().size(), conditions);
        QCOMPARE(p->expirationNs(), kExpiresNs);
    }

    // Beyond 2262 nanoseconds overflow: such a policy simply has not expired.
    void farFutureExpiration()
    {
        auto p
            = S3PostPolicy::parse(policy(R"(["starts-with", "$key", ""])", "2330-01-01T00:00:00Z"));
        QVERIFY(p);
        QVERIFY(p->expirationNs() > kExpiresNs);
        QVERIFY(p->check(form({{"key", "k"}}), QStringLiteral("b"), kExpiresNs));
    }

    void check_data()
    {
        QTest::addColumn<QByteArray>("conditions");
        QTest::addColumn<Fields>("fields");
        QTest::addColumn<qint64>("nowNs");
        QTest::addColumn<QString>("error"); // empty: accepted; else the message
        const qint64 before = kExpiresNs - kMinuteNs;
        const Fields keyOnly {{"key", "up/${filename}"}};

        QTest::newRow("exact and starts-with")
            << QByteArray(R"({"bucket": "b"}, ["starts-with", "$key", "up/"])") << keyOnly << before
            << QString();
        QTest::newRow("expired") << QByteArray(R"(["starts-with", "$key", ""])") << keyOnly
                                 << kExpiresNs + kMinuteNs
                                 << QStringLiteral("Invalid according to Policy: Policy expired.");
        QTest::newRow("wrong bucket")
            << QByteArray(R"({"bucket": "other"}, ["starts-with", "$key", ""])") << keyOnly
            << before
            << QStringLiteral("Invalid according to Policy: Policy Condition failed: [\"eq\", "
                              "\"$bucket\", \"other\"]");
        QTest::newRow("starts-with fails")
            << QByteArray(R"(["starts-with", "$key", "private/"])") << keyOnly << before
            << QStringLiteral("Invalid according to Policy: Policy Condition failed: "
                              "[\"starts-with\", \"$key\", \"private/\"]");
        QTest::newRow("eq fails") << QByteArray(R"(["eq", "$key", "up/x"])") << keyOnly << before
                                  << QStringLiteral("Invalid according to Policy: Policy Condition "
                                                    "failed: [\"eq\", \"$key\", \"up/x\"]");
        QTest::newRow("field names ignore case")
            << QByteArray(R"(["starts-with", "$Key", "up/"], {"Content-Type": "text/plain"})")
            << Fields {{"key", "up/a"}, {"content-type", "text/plain"}} << before << QString();
        QTest::newRow("absent field fails eq")
            << QByteArray(R"(["starts-with", "$key", ""], {"acl": "public-read"})") << keyOnly
            << before
            << QStringLiteral("Invalid according to Policy: Policy Condition failed: [\"eq\", "
                              "\"$acl\", \"public-read\"]");
        QTest::newRow("starts-with empty matches anything")
            << QByteArray(R"(["starts-with", "$key", ""], ["starts-with", "$x-amz-meta-tag", ""])")
            << Fields {{"key", "a"}, {"x-amz-meta-tag", "whatever"}} << before << QString();
        QTest::newRow("content-type list: every item")
            << QByteArray(
                   R"(["starts-with", "$key", ""], ["starts-with", "$Content-Type", "image/"])")
            << Fields {{"key", "a"}, {"content-type", "image/png, image/jpeg"}} << before
            << QString();
        QTest::newRow("content-type list: one fails")
            << QByteArray(
                   R"(["starts-with", "$key", ""], ["starts-with", "$Content-Type", "image/"])")
            << Fields {{"key", "a"}, {"content-type", "image/png, text/html"}} << before
            << QStringLiteral("Invalid according to Policy: Policy Condition failed: "
                              "[\"starts-with\", \"$Content-Type\", \"image/\"]");
        QTest::newRow("extra field")
            << QByteArray(R"(["starts-with", "$key", ""])")
            << Fields {{"key", "a"}, {"x-amz-meta-extra", "1"}, {"acl", "private"}} << before
            << QStringLiteral(
                   "Invalid according to Policy: Extra input fields: x-amz-meta-extra, acl");
        QTest::newRow("exempt fields")
            << QByteArray(R"(["starts-with", "$key", ""])")
            << Fields {{"key", "a"}, {"policy", "p"}, {"x-amz-signature", "s"},
                   {"x-ignore-me", "1"}, {"awsaccesskeyid", "AK"}, {"signature", "s"}}
            << before << QString();
        QTest::newRow("content-length-range is not a field")
            << QByteArray(R"(["starts-with", "$key", ""], ["content-length-range", 0, 1])")
            << keyOnly << before << QString();
    }
    void check()
    {
        QFETCH(QByteArray, conditions);
        QFETCH(Fields, fields);
        QFETCH(qint64, nowNs);
        QFETCH(QString, error);
        auto p = S3PostPolicy::parse(policy(conditions));
        QVERIFY(p);
        const auto r = p->check(form(fields), QStringLiteral("b"), nowNs);
        QCOMPARE(r.ok(), error.isEmpty());
        if (!r) {
            QCOMPARE(r.error().code, QStringLiteral("AccessDenied"));
            QCOMPARE(r.error().httpStatus, 403);
            QCOMPARE(r.error().message, error);
        }
    }

    void contentLengthRange_data()
    {
        QTest::addColumn<QByteArray>("conditions");
        QTest::addColumn<qint64>("size");
        QTest::addColumn<QString>("error");
        QTest::newRow("inside") << QByteArray(R"(["content-length-range", 10, 20])") << qint64(15)
                                << QString();
        QTest::newRow("lower bound")
            << QByteArray(R"(["content-length-range", 10, 20])") << qint64(10) << QString();
        QTest::newRow("upper bound")
            << QByteArray(R"(["content-length-range", 10, 20])") << qint64(20) << QString();
        QTest::newRow("too small") << QByteArray(R"(["content-length-range", 10, 20])") << qint64(9)
                                   << QStringLiteral("EntityTooSmall");
        QTest::newRow("too large") << QByteArray(R"(["content-length-range", 10, 20])")
                                   << qint64(21) << QStringLiteral("EntityTooLarge");
        QTest::newRow("two ranges: the tighter")
            << QByteArray(R"(["content-length-range", 0, 100], ["content-length-range", 5, 50])")
            << qint64(60) << QStringLiteral("EntityTooLarge");
        QTest::newRow("no range") << QByteArray(R"({"bucket": "b"})") << qint64(1) << QString();
    }
    void contentLengthRange()
    {
        QFETCH(QByteArray, conditions);
        QFETCH(qint64, size);
        QFETCH(QString, error);
        auto p = S3PostPolicy::parse(policy(conditions));
        QVERIFY(p);
        const auto r = p->checkSize(size);
        QCOMPARE(r.ok(), error.isEmpty());
        if (!r)
            QCOMPARE(r.error().code, error);
    }
};

QTEST_GUILESS_MAIN(TestS3PostPolicy)
#include "tst_s3postpolicy.moc"
