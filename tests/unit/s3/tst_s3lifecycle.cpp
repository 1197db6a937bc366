#include "services/s3/s3lifecycle.h"

#include <QDateTime>
#include <QTest>

using namespace tarmac;
using namespace tarmac::s3lifecycle;

namespace {

constexpr qint64 kDay = 86'400'000'000'000;

qint64 ns(const char *iso)
{
    return QDateTime::fromString(QString::fromLatin1(iso), Qt::ISODate).toMSecsSinceEpoch()
        * 1'000'000;
}

QByteArray document(const QByteArray &rules)
{
    return "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + rules
        + "</LifecycleConfiguration>";
}

QByteArray rule(const QByteArray &inner, const QByteArray &id = "r")
{
    return "<Rule><ID>" + id + "</ID>" + inner + "</Rule>";
}

const QByteArray kAll = "<Filter><Prefix></Prefix></Filter><Status>Enabled</Status>";

Configuration parsed(const QByteArray &rules)
{
    const auto c = parseConfiguration(document(rules));
    return c ? *c : Configuration();
}

ObjectVersion current(const char *created, qint64 size = 1 << 20)
{
    ObjectVersion v;
    v.key = "logs/a.txt";
    v.size = size;
    v.lastModifiedNs = ns(created);
    return v;
}

} // namespace

class TestS3Lifecycle : public QObject
{
    Q_OBJECT
private slots:
    void parse_data();
    void parse();
    void parseValues();
    void generatedIds();
    void roundTrip();
    void minimumObjectSize();
    void matching_data();
    void matching();
    void nextMidnight_data();
    void nextMidnight();
    void expirationDays();
    void expirationDate();
    void disabledRule();
    void noncurrent();
    void expiredDeleteMarker();
    void transitions();
    void precedence();
    void uploads();
    void expirationHeader();
};

void TestS3Lifecycle::parse_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("code"); // empty: accepted

    QTest::newRow("expiration days") << document(rule(kAll
        + "<Expiration><Days>1</Days>"
          "</Expiration>")) << QString();
    QTest::newRow("legacy prefix") << document(rule("<Prefix>logs/</Prefix><Status>Enabled</Status>"
                                                    "<Expiration><Days>1</Days></Expiration>"))
                                   << QString();
    QTest::newRow("empty filter") << document(rule("<Filter/><Status>Enabled</Status>"
                                                   "<Expiration><Days>1</Days></Expiration>"))
                                  << QString();
    QTest::newRow("and") << document(rule(
        "<Filter><And><Prefix>a/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag>"
        "<ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></And></Filter><Status>Enabled</Status>"
        "<Expiration><Date>2030-01-01T00:00:00.000Z</Date></Expiration>"))
                         << QString();
    QTest::newRow("everything") << document(rule(kAll
        + "<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>"
          "<Transition><Days>90</Days><StorageClass>GLACIER</StorageClass></Transition>"
          "<NoncurrentVersionTransition><NoncurrentDays>30</NoncurrentDays>"
          "<StorageClass>ONEZONE_IA</StorageClass></NoncurrentVersionTransition>"
          "<NoncurrentVersionExpiration><NoncurrentDays>60</NoncurrentDays>"
          "<NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>"
          "<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation>"
          "</AbortIncompleteMultipartUpload>"))
                                << QString();
    QTest::newRow("glacier at 0 days") << document(
        rule(kAll + "<Transition><Days>0</Days><StorageClass>GLACIER</StorageClass></Transition>"))
                                       << QString();

    QTest::newRow("no rule") << document({}) << QStringLiteral("MalformedXML");
    QTest::newRow("other root") << QByteArray("<Lifecycle/>") << QStringLiteral("MalformedXML");
    QTest::newRow("0 days") << document(rule(kAll + "<Expiration><Days>0</Days></Expiration>"))
                            << QStringLiteral("InvalidArgument");
    QTest::newRow("-1 days") << document(rule(kAll + "<Expiration><Days>-1</Days></Expiration>"))
                             << QStringLiteral("InvalidArgument");
    QTest::newRow("days not a number")
        << document(rule(kAll + "<Expiration><Days>x</Days></Expiration>"))
        << QStringLiteral("MalformedXML");
    QTest::newRow("date not at midnight")
        << document(rule(kAll + "<Expiration><Date>2030-01-01T10:00:00Z</Date></Expiration>"))
        << QStringLiteral("InvalidArgument");
    QTest::newRow("midnight elsewhere")
        << document(rule(kAll + "<Expiration><Date>2030-01-01T00:00:00+02:00</Date></Expiration>"))
        << QStringLiteral("InvalidArgument");
    QTest::newRow("days and date") << document(
        rule(kAll + "<Expiration><Days>1</Days><Date>2030-01-01T00:00:00Z</Date></Expiration>"))
                                   << QStringLiteral("MalformedXML");
    QTest::newRow("marker with days") << document(rule(kAll
        + "<Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>"
          "</Expiration>")) << QStringLiteral("MalformedXML");
    QTest::newRow("empty expiration")
        << document(rule(kAll + "<Expiration/>")) << QStringLiteral("MalformedXML");
    QTest::newRow("duplicate ids")
        << document(rule(kAll + "<Expiration><Days>1</Days></Expiration>", "same")
               + rule(kAll + "<Expiration><Days>2</Days></Expiration>", "same"))
        << QStringLiteral("InvalidArgument");
    QTest::newRow("id of 256") << document(rule(kAll + "<Expiration><Days>1</Days></Expiration>",
        QByteArray(256, 'x'))) << QStringLiteral("InvalidArgument");
    QTest::newRow("no action") << document(rule(kAll)) << QStringLiteral("InvalidRequest");
    QTest::newRow("no status") << document(rule("<Filter/><Expiration><Days>1</Days></Expiration>"))
                               << QStringLiteral("MalformedXML");
    QTest::newRow("status enabled") << document(rule("<Filter/><Status>enabled</Status>"
                                                     "<Expiration><Days>1</Days></Expiration>"))
                                    << QStringLiteral("MalformedXML");
    QTest::newRow("prefix and filter")
        << document(rule("<Prefix>a</Prefix><Filter/><Status>Enabled</Status>"
                         "<Expiration><Days>1</Days></Expiration>"))
        << QStringLiteral("MalformedXML");
    QTest::newRow("neither prefix nor filter")
        << document(rule("<Status>Enabled</Status><Expiration><Days>1</Days></Expiration>"))
        << QStringLiteral("MalformedXML");
    QTest::newRow("filter with prefix and tag") << document(
        rule("<Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag>"
             "</Filter><Status>Enabled</Status><Expiration><Days>1</Days>"
             "</Expiration>")) << QStringLiteral("MalformedXML");
    QTest::newRow("duplicate tag keys")
        << document(rule("<Filter><And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key>"
                         "<Value>2</Value></Tag></And></Filter><Status>Enabled</Status>"
                         "<Expiration><Days>1</Days></Expiration>"))
        << QStringLiteral("InvalidRequest");
    QTest::newRow("size bounds crossed")
        << document(rule("<Filter><And><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan>"
                         "<ObjectSizeLessThan>5</ObjectSizeLessThan></And></Filter>"
                         "<Status>Enabled</Status><Expiration><Days>1</Days></Expiration>"))
        << QStringLiteral("InvalidArgument");
    QTest::newRow("abort with a tag filter")
        << document(rule("<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>"
                         "<Status>Enabled</Status><AbortIncompleteMultipartUpload>"
                         "<DaysAfterInitiation>1</DaysAfterInitiation>"
                         "</AbortIncompleteMultipartUpload>"))
        << QStringLiteral("InvalidRequest");
    QTest::newRow("marker with a tag filter")
        << document(rule("<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>"
                         "<Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true"
                         "</ExpiredObjectDeleteMarker></Expiration>"))
        << QStringLiteral("InvalidRequest");
    QTest::newRow("abort 0 days") << document(rule(kAll
        + "<AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation>"
          "</AbortIncompleteMultipartUpload>"))
                                  << QStringLiteral("InvalidArgument");
    QTest::newRow("noncurrent 0 days") << document(rule(kAll
        + "<NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays>"
          "</NoncurrentVersionExpiration>"))
                                       << QStringLiteral("InvalidArgument");
    QTest::newRow("empty noncurrent expiration")
        << document(rule(kAll + "<NoncurrentVersionExpiration/>"))
        << QStringLiteral("MalformedXML");
    QTest::newRow("standard-ia at 10 days") << document(rule(kAll
        + "<Transition><Days>10</Days><StorageClass>STANDARD_IA</StorageClass>"
          "</Transition>")) << QStringLiteral("InvalidArgument");
    QTest::newRow("noncurrent onezone-ia at 10 days") << document(rule(kAll
        + "<NoncurrentVersionTransition><NoncurrentDays>10</NoncurrentDays>"
          "<StorageClass>ONEZONE_IA</StorageClass></NoncurrentVersionTransition>"))
                                                      << QStringLiteral("InvalidArgument");
    QTest::newRow("transition to STANDARD") << document(rule(
        kAll + "<Transition><Days>40</Days><StorageClass>STANDARD</StorageClass></Transition>"))
                                            << QStringLiteral("MalformedXML");
    QTest::newRow("two transitions to glacier") << document(rule(kAll
        + "<Transition><Days>40</Days><StorageClass>GLACIER</StorageClass></Transition>"
          "<Transition><Days>80</Days><StorageClass>GLACIER</StorageClass></Transition>"))
                                                << QStringLiteral("InvalidArgument");
    QByteArray many;
    for (int i = 0; i <= kMaxRules; ++i)
        many += rule(kAll + "<Expiration><Days>1</Days></Expiration>", QByteArray::number(i));
    QTest::newRow("1001 rules") << document(many) << QStringLiteral("MalformedXML");
}

void TestS3Lifecycle::parse()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, code);
    const auto c = parseConfiguration(body);
    if (code.isEmpty()) {
        QVERIFY2(c, qPrintable(c ? QString() : c.error().message));
        return;
    }
    QVERIFY(!c);
    QCOMPARE(c.error().code, code);
    QCOMPARE(c.error().httpStatus, 400);
}

void TestS3Lifecycle::parseValues()
{
    const auto c
        = parseConfiguration(document(rule(kAll + "<Expiration><Days>1</Days></Expiration>")));
    QVERIFY(c);
    QCOMPARE(c->rules.size(), 1);
    QCOMPARE(c->rules.at(0).expirationDays, std::optional<int>(1));
    const auto zero
        = parseConfiguration(document(rule(kAll + "<Expiration><Days>0</Days></Expiration>")));
    QCOMPARE(zero.error().message,
        QStringLiteral("'Days' for Expiration action must be a positive integer"));
    const auto noon = parseConfiguration(
        document(rule(kAll + "<Expiration><Date>2030-01-01T12:00:00Z</Date></Expiration>")));
    QCOMPARE(noon.error().message, QStringLiteral("'Date' must be at midnight GMT"));
    const auto dup = parseConfiguration(document(rule(kAll
                                                     + "<Expiration><Days>1</Days>"
                                                       "</Expiration>")
        + rule(kAll + "<Expiration><Days>1</Days></Expiration>")));
    QCOMPARE(dup.error().message,
        QStringLiteral("Rule ID must be unique. Found same ID for more than one rule"));
}

void TestS3Lifecycle::generatedIds()
{
    const auto c = parseConfiguration(
        document("<Rule>" + kAll + "<Expiration><Days>1</Days></Expiration></Rule><Rule>" + kAll
            + "<Expiration><Days>2</Days></Expiration></Rule>"));
    QVERIFY(c);
    QCOMPARE(c->rules.size(), 2);
    QVERIFY(!c->rules.at(0).id.isEmpty());
    QVERIFY(c->rules.at(0).id != c->rules.at(1).id);
}

void TestS3Lifecycle::roundTrip()
{
    const QByteArray body = document(
        rule("<Filter><And><Prefix>a/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag>"
             "<ObjectSizeLessThan>100</ObjectSizeLessThan></And></Filter><Status>Disabled</Status>"
             "<Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration>"
             "<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>"
             "<NoncurrentVersionTransition><NoncurrentDays>5</NoncurrentDays>"
             "<StorageClass>GLACIER</StorageClass><NewerNoncurrentVersions>3"
             "</NewerNoncurrentVersions></NoncurrentVersionTransition>"
             "<NoncurrentVersionExpiration><NoncurrentDays>9</NoncurrentDays>"
             "</NoncurrentVersionExpiration>",
            "one")
        + rule("<Prefix>old/</Prefix><Status>Enabled</Status><Expiration>"
               "<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"
               "<AbortIncompleteMultipartUpload><DaysAfterInitiation>3</DaysAfterInitiation>"
               "</AbortIncompleteMultipartUpload>",
            "two")
        + rule("<Filter><Tag><Key>t</Key><Value>1</Value></Tag></Filter><Status>Enabled</Status>"
               "<Expiration><Days>4</Days></Expiration>",
            "three"));
    const auto first = parseConfiguration(body);
    QVERIFY(first);
    const QByteArray rendered = renderConfiguration(*first);
    QVERIFY(rendered.contains("<Date>2030-01-01T00:00:00.000Z</Date>"));
    QVERIFY(rendered.contains("<Prefix>old/</Prefix><Status>"));
    const auto second = parseConfiguration(rendered);
    QVERIFY(second);
    QCOMPARE(renderConfiguration(*second), rendered);
    QCOMPARE(second->rules.at(0).status, Status::Disabled);
    QCOMPARE(second->rules.at(0).filter.form, Filter::Form::And);
    QCOMPARE(second->rules.at(1).filter.form, Filter::Form::LegacyPrefix);
    QCOMPARE(second->rules.at(2).filter.form, Filter::Form::Tag);
    QCOMPARE(second->rules.at(0).noncurrentTransitions.at(0).newerNoncurrentVersions,
        std::optional<int>(3));
}

void TestS3Lifecycle::minimumObjectSize()
{
    const QByteArray body = document(rule(kAll + "<Expiration><Days>1</Days></Expiration>"));
    QCOMPARE(parseConfiguration(body)->minimumObjectSize, MinimumObjectSize::AllStorageClasses128K);
    const auto varies = parseConfiguration(body, "varies_by_storage_class");
    QCOMPARE(varies->minimumObjectSize, MinimumObjectSize::VariesByStorageClass);
    QCOMPARE(minimumObjectSizeHeader(*varies), QByteArray("varies_by_storage_class"));
    QCOMPARE(minimumObjectSizeHeader({}), QByteArray("all_storage_classes_128K"));
    QVERIFY(!parseConfiguration(body, "tiny"));
}

void TestS3Lifecycle::matching_data()
{
    QTest::addColumn<QByteArray>("filter");
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<qint64>("size");
    QTest::addColumn<bool>("matches");

    const QByteArray tagged = "<Filter><And><Prefix>logs/</Prefix><Tag><Key>keep</Key>"
                              "<Value>no</Value></Tag></And></Filter>";
    QTest::newRow("everything") << QByteArray("<Filter/>") << QByteArray("x") << qint64(0) << true;
    QTest::newRow("prefix") << QByteArray("<Filter><Prefix>logs/</Prefix></Filter>")
                            << QByteArray("logs/a") << qint64(0) << true;
    QTest::newRow("other prefix") << QByteArray("<Filter><Prefix>logs/</Prefix></Filter>")
                                  << QByteArray("log/a") << qint64(0) << false;
    QTest::newRow("legacy prefix")
        << QByteArray("<Prefix>logs/</Prefix>") << QByteArray("logs/") << qint64(0) << true;
    QTest::newRow("prefix and tag") << tagged << QByteArray("logs/a") << qint64(0) << true;
    QTest::newRow("tag missing") << tagged << QByteArray("logs/untagged") << qint64(0) << false;
    QTest::newRow("greater than, equal")
        << QByteArray("<Filter><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></Filter>")
        << QByteArray("k") << qint64(10) << false;
    QTest::newRow("greater than") << QByteArray(
        "<Filter><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></Filter>")
                                  << QByteArray("k") << qint64(11) << true;
    QTest::newRow("less than, equal")
        << QByteArray("<Filter><ObjectSizeLessThan>10</ObjectSizeLessThan></Filter>")
        << QByteArray("k") << qint64(10) << false;
}

void TestS3Lifecycle::matching()
{
    QFETCH(QByteArray, filter);
    QFETCH(QByteArray, key);
    QFETCH(qint64, size);
    QFETCH(bool, matches);
    const Configuration c = parsed(rule(filter
        + "<Status>Enabled</Status>"
          "<Expiration><Days>1</Days></Expiration>"));
    QCOMPARE(c.rules.size(), 1);
    QList<s3xml::Tag> tags;
    if (key != "logs/untagged")
        tags = {{QStringLiteral("other"), QStringLiteral("1")},
            {QStringLiteral("keep"), QStringLiteral("no")}};
    QCOMPARE(s3lifecycle::matches(c.rules.at(0), key, tags, size), matches);
}

void TestS3Lifecycle::nextMidnight_data()
{
    QTest::addColumn<qint64>("in");
    QTest::addColumn<qint64>("out");
    QTest::newRow("morning") << ns("2014-01-18T10:30:00Z") << ns("2014-01-19T00:00:00Z");
    QTest::newRow("one ns past") << ns("2014-01-18T00:00:00Z") + 1 << ns("2014-01-19T00:00:00Z");
    QTest::newRow("midnight") << ns("2014-01-18T00:00:00Z") << ns("2014-01-18T00:00:00Z");
    QTest::newRow("last ns") << ns("2014-01-19T00:00:00Z") - 1 << ns("2014-01-19T00:00:00Z");
}

void TestS3Lifecycle::nextMidnight()
{
    QFETCH(qint64, in);
    QFETCH(qint64, out);
    QCOMPARE(s3lifecycle::nextMidnight(in), out);
}

void TestS3Lifecycle::expirationDays()
{
    // S3's own example: created 2014-01-15 10:30 UTC, 3 days: expires 2014-01-19 00:00 UTC.
    const Configuration c = parsed(rule(kAll + "<Expiration><Days>3</Days></Expiration>", "three"));
    const ObjectVersion v = current("2014-01-15T10:30:00Z");
    const qint64 due = ns("2014-01-19T00:00:00Z");
    const Decision before = evaluate(c, v, due - 1);
    QCOMPARE(before.action, Action::None);
    QCOMPARE(before.nextDueNs, due);
    const Decision at = evaluate(c, v, due);
    QCOMPARE(at.action, Action::ExpireCurrent);
    QCOMPARE(at.ruleId, QStringLiteral("three"));
    QCOMPARE(at.nextDueNs, qint64(0));
    // The rule-level entry point agrees.
    QCOMPARE(evaluate(c.rules.at(0), v, due).action, Action::ExpireCurrent);
}

void TestS3Lifecycle::expirationDate()
{
    const Configuration c = parsed(rule(kAll
        + "<Expiration><Date>2030-01-01T00:00:00Z</Date>"
          "</Expiration>"));
    // Objects created before or after the date alike: due from that midnight on.
    for (const char *created : {"2020-06-01T00:00:00Z", "2031-06-01T08:00:00Z"}) {
        const ObjectVersion v = current(created);
        const qint64 now = std::max(v.lastModifiedNs, ns("2029-12-31T23:00:00Z"));
        const Decision d = evaluate(c, v, now);
        if (now < ns("2030-01-01T00:00:00Z")) {
            QCOMPARE(d.action, Action::None);
            QCOMPARE(d.nextDueNs, ns("2030-01-01T00:00:00Z"));
        } else {
            QCOMPARE(d.action, Action::ExpireCurrent);
        }
    }
}

void TestS3Lifecycle::disabledRule()
{
    const Configuration c = parsed(rule("<Filter/><Status>Disabled</Status>"
                                        "<Expiration><Days>1</Days></Expiration>"));
    const Decision d = evaluate(c, current("2014-01-15T10:30:00Z"), ns("2020-01-01T00:00:00Z"));
    QCOMPARE(d.action, Action::None);
    QCOMPARE(d.nextDueNs, qint64(0));
}

void TestS3Lifecycle::noncurrent()
{
    const Configuration c = parsed(rule(kAll
        + "<NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays>"
          "<NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration>"));
    ObjectVersion v = current("2014-01-01T00:00:00Z");
    v.versioned = true;
    v.isCurrent = false;
    v.noncurrentSinceNs = ns("2014-01-10T15:00:00Z");
    const qint64 due = ns("2014-01-13T00:00:00Z");

    // Counted from when it became noncurrent, not from its creation.
    v.newerNoncurrentVersions = 1;
    QCOMPARE(evaluate(c, v, due - 1).nextDueNs, due);
    QCOMPARE(evaluate(c, v, due).action, Action::ExpireNoncurrent);

    // Kept while fewer than NewerNoncurrentVersions newer noncurrent versions exist; nothing to
    // arm a timer for until that changes.
    v.newerNoncurrentVersions = 0;
    const Decision kept = evaluate(c, v, due + kDay);
    QCOMPARE(kept.action, Action::None);
    QCOMPARE(kept.nextDueNs, qint64(0));

    // Current versions are not touched by noncurrent actions.
    ObjectVersion now = current("2014-01-01T00:00:00Z");
    now.versioned = true;
    QCOMPARE(evaluate(c, now, due + kDay).action, Action::None);
}

void TestS3Lifecycle::expiredDeleteMarker()
{
    ObjectVersion marker = current("2014-01-15T10:30:00Z", 0);
    marker.isDeleteMarker = true;
    marker.versioned = true;
    const qint64 later = ns("2014-01-16T00:00:00Z");

    const Configuration explicitRule = parsed(rule(kAll
        + "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>"
          "</Expiration>"));
    // Not while versions remain under it.
    QCOMPARE(evaluate(explicitRule, marker, later).action, Action::None);
    marker.onlyVersion = true;
    QCOMPARE(evaluate(explicitRule, marker, marker.lastModifiedNs).action,
        Action::RemoveExpiredDeleteMarker);

    // A Days rule cleans it up once it is old enough.
    const Configuration days = parsed(rule(kAll + "<Expiration><Days>3</Days></Expiration>"));
    const Decision young = evaluate(days, marker, later);
    QCOMPARE(young.action, Action::None);
    QCOMPARE(young.nextDueNs, ns("2014-01-19T00:00:00Z"));
    QCOMPARE(evaluate(days, marker, ns("2014-01-19T00:00:00Z")).action,
        Action::RemoveExpiredDeleteMarker);
    // An ExpiredObjectDeleteMarker rule never expires real objects.
    QCOMPARE(evaluate(explicitRule, current("2014-01-15T10:30:00Z"), later + 100 * kDay).action,
        Action::None);
}

void TestS3Lifecycle::transitions()
{
    const Configuration c = parsed(rule(kAll
        + "<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>"
          "<Transition><Days>90</Days><StorageClass>GLACIER</StorageClass></Transition>"));
    ObjectVersion v = current("2014-01-01T12:00:00Z");
    const qint64 ia = ns("2014-02-01T00:00:00Z");
    const qint64 glacier = ns("2014-04-02T00:00:00Z");
    QCOMPARE(evaluate(c, v, ia - 1).nextDueNs, ia);
    const Decision first = evaluate(c, v, ia);
    QCOMPARE(first.action, Action::Transition);
    QCOMPARE(first.storageClass, QByteArray("STANDARD_IA"));
    QCOMPARE(first.nextDueNs, glacier);
    // Both due: the colder class wins.
    QCOMPARE(evaluate(c, v, glacier).storageClass, QByteArray("GLACIER"));
    // Once there, nothing further down is asked for.
    v.storageClass = "GLACIER";
    const Decision done = evaluate(c, v, glacier + kDay);
    QCOMPARE(done.action, Action::None);
    QCOMPARE(done.nextDueNs, qint64(0));

    // Objects under 128 KiB stay, unless the default allows GLACIER or a filter names a size.
    ObjectVersion small = current("2014-01-01T12:00:00Z", 1000);
    QCOMPARE(evaluate(c, small, glacier).action, Action::None);
    Configuration varies = c;
    varies.minimumObjectSize = MinimumObjectSize::VariesByStorageClass;
    QCOMPARE(evaluate(varies, small, glacier).storageClass, QByteArray("GLACIER"));
    QCOMPARE(evaluate(varies, small, ia).action, Action::None);
    const Configuration sized = parsed(
        rule("<Filter><ObjectSizeGreaterThan>100</ObjectSizeGreaterThan></Filter><Status>Enabled</"
             "Status>"
             "<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>"));
    QCOMPARE(evaluate(sized, small, ia).storageClass, QByteArray("STANDARD_IA"));

    // Noncurrent transitions count from when the version became noncurrent.
    const Configuration nc = parsed(rule(kAll
        + "<NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays>"
          "<StorageClass>DEEP_ARCHIVE</StorageClass></NoncurrentVersionTransition>"));
    ObjectVersion old = current("2014-01-01T12:00:00Z");
    old.isCurrent = false;
    old.versioned = true;
    old.noncurrentSinceNs = ns("2014-03-01T01:00:00Z");
    QCOMPARE(evaluate(nc, old, ns("2014-03-02T00:00:00Z")).action, Action::None);
    QCOMPARE(
        evaluate(nc, old, ns("2014-03-03T00:00:00Z")).storageClass, QByteArray("DEEP_ARCHIVE"));
}

void TestS3Lifecycle::precedence()
{
    const Configuration c = parsed(rule(kAll + "<Expiration><Days>10</Days></Expiration>", "expire")
        + rule(kAll + "<Transition><Days>0</Days><StorageClass>GLACIER</StorageClass></Transition>",
            "move"));
    ObjectVersion v = current("2014-01-01T00:00:00Z");
    const qint64 late = ns("2014-02-01T00:00:00Z");
    // Unversioned, expiration removes the object for good, which outranks a transition.
    QCOMPARE(evaluate(c, v, late).action, Action::ExpireCurrent);
    // Versioned, it would only add a delete marker: the transition goes first.
    v.versioned = true;
    const Decision d = evaluate(c, v, late);
    QCOMPARE(d.action, Action::Transition);
    QCOMPARE(d.ruleId, QStringLiteral("move"));
}

void TestS3Lifecycle::uploads()
{
    const Configuration c
        = parsed(rule("<Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status>"
                      "<AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation>"
                      "</AbortIncompleteMultipartUpload>",
                     "abort")
            + rule("<Filter><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan></Filter>"
                   "<Status>Enabled</Status><AbortIncompleteMultipartUpload>"
                   "<DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>",
                "sized"));
    const qint64 initiated = ns("2014-01-15T10:30:00Z");
    const qint64 due = ns("2014-01-18T00:00:00Z");
    const AbortDecision early = evaluateUpload(c, "tmp/big", initiated, due - 1);
    QVERIFY(!early.due);
    QCOMPARE(early.dueNs, due);
    QCOMPARE(early.ruleId, QStringLiteral("abort"));
    QVERIFY(evaluateUpload(c, "tmp/big", initiated, due).due);
    const AbortDecision other = evaluateUpload(c, "keep/big", initiated, due + kDay);
    QVERIFY(!other.due);
    QCOMPARE(other.dueNs, qint64(0));
}

void TestS3Lifecycle::expirationHeader()
{
    const Configuration c = parsed(rule(kAll + "<Expiration><Days>30</Days></Expiration>", "slow")
        + rule("<Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>"
               "<Expiration><Days>10</Days></Expiration>",
            "picture-deletion-rule"));
    ObjectVersion v = current("2012-12-12T09:00:00Z");
    QCOMPARE(s3lifecycle::expirationHeader(c, v),
        QByteArray("expiry-date=\"Sun, 23 Dec 2012 00:00:00 GMT\", "
                   "rule-id=\"picture-deletion-rule\""));
    v.key = "other";
    QCOMPARE(s3lifecycle::expirationHeader(c, v),
        QByteArray("expiry-date=\"Sat, 12 Jan 2013 00:00:00 GMT\", rule-id=\"slow\""));
    v.isDeleteMarker = true;
    QVERIFY(s3lifecycle::expirationHeader(c, v).isEmpty());
    QVERIFY(s3lifecycle::expirationHeader({}, current("2012-12-12T09:00:00Z")).isEmpty());
}

QTEST_GUILESS_MAIN(TestS3Lifecycle)
#include "tst_s3lifecycle.moc"
