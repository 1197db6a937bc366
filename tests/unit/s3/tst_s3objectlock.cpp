#include "services/s3/s3objectlock.h"

#include <QDateTime>
#include <QTest>

using namespace tarmac;
using namespace tarmac::s3objectlock;

namespace {

constexpr qint64 kSecond = 1'000'000'000;
constexpr qint64 kDay = 86'400 * kSecond;

qint64 ns(const char *iso)
{
    return QDateTime::fromString(QString::fromLatin1(iso), Qt::ISODate).toMSecsSinceEpoch()
        * 1'000'000;
}

// 2026-01-01T00:00:00Z: "now" in every test.
const qint64 kNow = ns("2026-01-01T00:00:00Z");

QByteArray lockDocument(const QByteArray &inner)
{
    return "<ObjectLockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + inner
        + "</ObjectLockConfiguration>";
}

QByteArray rule(const QByteArray &inner)
{
    return lockDocument("<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>"
        + inner + "</DefaultRetention></Rule>");
}

} // namespace

class TestS3ObjectLock : public QObject
{
    Q_OBJECT
private slots:
    void configuration_data();
    void configuration();
    void configurationRoundTrip();
    void retention_data();
    void retention();
    void legalHold();
    void headers_data();
    void headers();
    void responseHeaders();
    void defaultRetention();
    void deleteDecision_data();
    void deleteDecision();
    void retentionChange_data();
    void retentionChange();
    void bypassHeader();
    void errors();
};

void TestS3ObjectLock::configuration_data()
{
    QTest::addColumn<QByteArray>("document");
    QTest::addColumn<QString>("code"); // empty: accepted

    QTest::newRow("governance, 1 day")
        << rule("<Mode>GOVERNANCE</Mode><Days>1</Days>") << QString();
    QTest::newRow("compliance, 1 year")
        << rule("<Mode>COMPLIANCE</Mode><Years>1</Years>") << QString();
    QTest::newRow("no rule") << lockDocument("<ObjectLockEnabled>Enabled</ObjectLockEnabled>")
                             << QString();
    QTest::newRow("100 years") << rule("<Mode>COMPLIANCE</Mode><Years>100</Years>") << QString();
    QTest::newRow("days and years (test_object_lock_put_obj_lock_with_days_and_years)") << rule(
        "<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>") << QStringLiteral("MalformedXML");
    QTest::newRow("zero days (test_object_lock_put_obj_lock_invalid_days)")
        << rule("<Mode>GOVERNANCE</Mode><Days>0</Days>") << QStringLiteral("InvalidArgument");
    QTest::newRow("negative years (test_object_lock_put_obj_lock_invalid_years)")
        << rule("<Mode>GOVERNANCE</Mode><Years>-1</Years>") << QStringLiteral("InvalidArgument");
    QTest::newRow("101 years") << rule("<Mode>GOVERNANCE</Mode><Years>101</Years>")
                               << QStringLiteral("InvalidArgument");
    QTest::newRow("36501 days") << rule("<Mode>GOVERNANCE</Mode><Days>36501</Days>")
                                << QStringLiteral("InvalidArgument");
    QTest::newRow("days not a number")
        << rule("<Mode>GOVERNANCE</Mode><Days>one</Days>") << QStringLiteral("MalformedXML");
    QTest::newRow("mode abc (test_object_lock_put_obj_lock_invalid_mode)")
        << rule("<Mode>abc</Mode><Years>1</Years>") << QStringLiteral("MalformedXML");
    QTest::newRow("mode governance")
        << rule("<Mode>governance</Mode><Years>1</Years>") << QStringLiteral("MalformedXML");
    QTest::newRow("no mode") << rule("<Days>1</Days>") << QStringLiteral("MalformedXML");
    QTest::newRow("mode without a period")
        << rule("<Mode>GOVERNANCE</Mode>") << QStringLiteral("MalformedXML");
    QTest::newRow("empty rule") << lockDocument(
        "<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule/>")
                                << QStringLiteral("MalformedXML");
    QTest::newRow("Disabled (test_object_lock_put_obj_lock_invalid_status)")
        << lockDocument("<ObjectLockEnabled>Disabled</ObjectLockEnabled><Rule><DefaultRetention>"
                        "<Mode>GOVERNANCE</Mode><Years>1</Years></DefaultRetention></Rule>")
        << QStringLiteral("MalformedXML");
    QTest::newRow("no ObjectLockEnabled") << lockDocument(
        "<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Years>1</Years>"
        "</DefaultRetention></Rule>") << QStringLiteral("MalformedXML");
    QTest::newRow("empty") << QByteArray() << QStringLiteral("MalformedXML");
}

void TestS3ObjectLock::configuration()
{
    QFETCH(QByteArray, document);
    QFETCH(QString, code);
    const auto parsed = parseConfiguration(document);
    if (code.isEmpty()) {
        QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
        return;
    }
    QVERIFY(!parsed);
    QCOMPARE(parsed.error().code, code);
    QCOMPARE(parsed.error().httpStatus, 400);
}

void TestS3ObjectLock::configurationRoundTrip()
{
    const auto parsed = parseConfiguration(rule("<Mode>GOVERNANCE</Mode><Days>1</Days>"));
    QVERIFY(parsed);
    QVERIFY(parsed->defaultRetention);
    QCOMPARE(parsed->defaultRetention->mode, Mode::Governance);
    QCOMPARE(parsed->defaultRetention->days, 1);
    QCOMPARE(parsed->defaultRetention->years, 0);
    const QByteArray rendered = renderConfiguration(*parsed);
    QVERIFY(rendered.contains("<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule>"
                              "<DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days>"));
    QCOMPARE(*parseConfiguration(rendered), *parsed);

    const Configuration years {DefaultRetention {Mode::Compliance, 0, 3}};
    QCOMPARE(*parseConfiguration(renderConfiguration(years)), years);
    const QByteArray none = renderConfiguration({});
    QVERIFY(!none.contains("<Rule>"));
    QCOMPARE(*parseConfiguration(none), Configuration());
}

void TestS3ObjectLock::retention_data()
{
    QTest::addColumn<QByteArray>("document");
    QTest::addColumn<QString>("code");
    QTest::addColumn<int>("mode"); // a Mode, when accepted
    QTest::addColumn<qint64>("until");

    const QByteArray open = "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
    const QByteArray close = "</Retention>";
    QTest::newRow("governance") << QByteArray(open
        + "<Mode>GOVERNANCE</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate>" + close)
                                << QString() << int(Mode::Governance) << ns("2030-01-01T00:00:00Z");
    QTest::newRow("fraction and offset") << QByteArray(open
        + "<Mode>COMPLIANCE</Mode><RetainUntilDate>2030-01-01T02:00:00.5+02:00"
          "</RetainUntilDate>"
        + close) << QString() << int(Mode::Compliance)
                                         << ns("2030-01-01T00:00:00Z") + kSecond / 2;
    QTest::newRow("empty: removal")
        << QByteArray(open + close) << QString() << int(Mode::None) << qint64(0);
    QTest::newRow("mode only") << QByteArray(open + "<Mode>GOVERNANCE</Mode>" + close)
                               << QStringLiteral("MalformedXML") << 0 << qint64(0);
    QTest::newRow("date only") << QByteArray(
        open + "<RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate>" + close)
                               << QStringLiteral("MalformedXML") << 0 << qint64(0);
    QTest::newRow("governance lower-case (test_object_lock_put_obj_retention_invalid_mode)")
        << QByteArray(open
               + "<Mode>governance</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate>"
               + close)
        << QStringLiteral("MalformedXML") << 0 << qint64(0);
    QTest::newRow("no zone") << QByteArray(open
        + "<Mode>GOVERNANCE</Mode><RetainUntilDate>2030-01-01T00:00:00</RetainUntilDate>" + close)
                             << QStringLiteral("MalformedXML") << 0 << qint64(0);
    QTest::newRow("February 30th") << QByteArray(open
        + "<Mode>GOVERNANCE</Mode><RetainUntilDate>2030-02-30T00:00:00Z</RetainUntilDate>" + close)
                                   << QStringLiteral("MalformedXML") << 0 << qint64(0);
    QTest::newRow("past") << QByteArray(open
        + "<Mode>GOVERNANCE</Mode><RetainUntilDate>2020-01-01T00:00:00Z</RetainUntilDate>" + close)
                          << QStringLiteral("InvalidArgument") << 0 << qint64(0);
    QTest::newRow("now is not the future") << QByteArray(open
        + "<Mode>GOVERNANCE</Mode><RetainUntilDate>2026-01-01T00:00:00Z</RetainUntilDate>" + close)
                                           << QStringLiteral("InvalidArgument") << 0 << qint64(0);
    QTest::newRow("other root") << QByteArray("<LegalHold/>") << QStringLiteral("MalformedXML") << 0
                                << qint64(0);
}

void TestS3ObjectLock::retention()
{
    QFETCH(QByteArray, document);
    QFETCH(QString, code);
    QFETCH(int, mode);
    QFETCH(qint64, until);
    const auto parsed = parseRetention(document, kNow);
    if (!code.isEmpty()) {
        QVERIFY(!parsed);
        QCOMPARE(parsed.error().code, code);
        return;
    }
    QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
    QCOMPARE(int(parsed->mode), mode);
    QCOMPARE(parsed->retainUntilNs, until);
    // What GetObjectRetention answers reads back the same (to the millisecond).
    const auto again = parseRetention(renderRetention(*parsed), kNow);
    QVERIFY(again);
    QCOMPARE(*again, *parsed);
}

void TestS3ObjectLock::legalHold()
{
    QCOMPARE(*parseLegalHold("<LegalHold><Status>ON</Status></LegalHold>"), true);
    QCOMPARE(*parseLegalHold("<LegalHold><Status>OFF</Status></LegalHold>"), false);
    QCOMPARE(*parseLegalHold(renderLegalHold(true)), true);
    QCOMPARE(*parseLegalHold(renderLegalHold(false)), false);
    // test_object_lock_put_legal_hold_invalid_status
    for (const QByteArray &bad : {QByteArray("<LegalHold><Status>abc</Status></LegalHold>"),
             QByteArray("<LegalHold><Status>on</Status></LegalHold>"), QByteArray("<LegalHold/>"),
             QByteArray("<Retention><Status>ON</Status></Retention>")}) {
        const auto parsed = parseLegalHold(bad);
        QVERIFY(!parsed);
        QCOMPARE(parsed.error().code, QStringLiteral("MalformedXML"));
    }
}

void TestS3ObjectLock::headers_data()
{
    QTest::addColumn<QByteArray>("mode");
    QTest::addColumn<QByteArray>("until");
    QTest::addColumn<QByteArray>("hold");
    QTest::addColumn<QString>("message"); // empty: accepted

    const QByteArray none;
    QTest::newRow("nothing") << none << none << none << QString();
    QTest::newRow("all three (test_object_lock_uploading_obj)")
        << QByteArray("GOVERNANCE") << QByteArray("2030-01-01T00:00:00Z") << QByteArray("ON")
        << QString();
    QTest::newRow("hold alone") << none << none << QByteArray("OFF") << QString();
    QTest::newRow("mode alone") << QByteArray("GOVERNANCE") << none << none
                                << QStringLiteral("x-amz-object-lock-retain-until-date and "
                                                  "x-amz-object-lock-mode must both be supplied");
    QTest::newRow("date alone") << none << QByteArray("2030-01-01T00:00:00Z") << none
                                << QStringLiteral("x-amz-object-lock-retain-until-date and "
                                                  "x-amz-object-lock-mode must both be supplied");
    QTest::newRow("bad mode") << QByteArray("WORM") << QByteArray("2030-01-01T00:00:00Z") << none
                              << QStringLiteral("Unknown wormMode directive.");
    QTest::newRow("bad date") << QByteArray("COMPLIANCE") << QByteArray("abc") << none
                              << QStringLiteral("The retain until date must be provided in ISO "
                                                "8601 format");
    QTest::newRow("past date") << QByteArray("COMPLIANCE") << QByteArray("2025-12-31T23:59:59Z")
                               << none
                               << QStringLiteral("The retain until date must be in the future!");
    QTest::newRow("bad hold") << none << none << QByteArray("wrong")
                              << QStringLiteral("Legal Hold must be either of 'ON' or 'OFF'");
}

void TestS3ObjectLock::headers()
{
    QFETCH(QByteArray, mode);
    QFETCH(QByteArray, until);
    QFETCH(QByteArray, hold);
    QFETCH(QString, message);
    const auto parsed = parseHeaders(mode, until, hold, kNow);
    if (!message.isEmpty()) {
        QVERIFY(!parsed);
        QCOMPARE(parsed.error().code, QStringLiteral("InvalidArgument"));
        QCOMPARE(parsed.error().message, message);
        return;
    }
    QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
    QCOMPARE(parsed->retention.isSet(), !mode.isNull());
    QCOMPARE(parsed->legalHold.has_value(), !hold.isNull());
}

void TestS3ObjectLock::responseHeaders()
{
    const auto lock = parseHeaders("GOVERNANCE", "2030-01-01T00:00:00Z", "ON", kNow);
    QVERIFY(lock);
    const auto headers = s3objectlock::responseHeaders(*lock);
    const QList<std::pair<QByteArray, QByteArray>> expected {
        {"x-amz-object-lock-mode", "GOVERNANCE"},
        {"x-amz-object-lock-retain-until-date", "2030-01-01T00:00:00.000Z"},
        {"x-amz-object-lock-legal-hold", "ON"},
    };
    QCOMPARE(headers, expected);
    // A version that never had a legal hold does not report OFF.
    QVERIFY(s3objectlock::responseHeaders({}).isEmpty());
    ObjectLock released;
    released.legalHold = false;
    QCOMPARE(s3objectlock::responseHeaders(released).size(), 1);
}

void TestS3ObjectLock::defaultRetention()
{
    const qint64 created = ns("2026-03-01T12:34:56Z") + 789;
    const Configuration days {DefaultRetention {Mode::Governance, 1, 0}};
    QCOMPARE(s3objectlock::defaultRetention(days, created),
        (Retention {Mode::Governance, created + kDay}));
    const Configuration years {DefaultRetention {Mode::Compliance, 0, 2}};
    QCOMPARE(s3objectlock::defaultRetention(years, created),
        (Retention {Mode::Compliance, created + 730 * kDay}));
    QVERIFY(!s3objectlock::defaultRetention({}, created).isSet());

    // The request's retention wins; its legal hold stays either way.
    ObjectLock requested;
    requested.legalHold = true;
    const ObjectLock defaulted = lockForNewVersion(requested, days, created);
    QCOMPARE(defaulted.retention, (Retention {Mode::Governance, created + kDay}));
    QCOMPARE(defaulted.legalHold, std::optional<bool>(true));
    requested.retention = {Mode::Compliance, created + 5 * kDay};
    QCOMPARE(lockForNewVersion(requested, days, created).retention, requested.retention);
}

void TestS3ObjectLock::deleteDecision_data()
{
    QTest::addColumn<int>("mode");
    QTest::addColumn<qint64>("until");
    QTest::addColumn<bool>("hold");
    QTest::addColumn<bool>("bypass");
    QTest::addColumn<bool>("allowed");

    const qint64 future = kNow + kDay;
    const qint64 past = kNow - 1;
    QTest::newRow("unlocked") << int(Mode::None) << qint64(0) << false << false << true;
    QTest::newRow("governance (test_object_lock_delete_object_with_retention)")
        << int(Mode::Governance) << future << false << false << false;
    QTest::newRow("governance, bypass") << int(Mode::Governance) << future << false << true << true;
    QTest::newRow("compliance") << int(Mode::Compliance) << future << false << false << false;
    QTest::newRow("compliance, bypass")
        << int(Mode::Compliance) << future << false << true << false;
    QTest::newRow("expired compliance") << int(Mode::Compliance) << past << false << false << true;
    QTest::newRow("until is now") << int(Mode::Compliance) << kNow << false << false << true;
    QTest::newRow("legal hold (test_object_lock_delete_object_with_legal_hold_on)")
        << int(Mode::None) << qint64(0) << true << false << false;
    QTest::newRow("legal hold, bypass") << int(Mode::Governance) << future << true << true << false;
    QTest::newRow("legal hold over an expired retention")
        << int(Mode::Governance) << past << true << false << false;
}

void TestS3ObjectLock::deleteDecision()
{
    QFETCH(int, mode);
    QFETCH(qint64, until);
    QFETCH(bool, hold);
    QFETCH(bool, bypass);
    QFETCH(bool, allowed);
    ObjectLock lock;
    lock.retention = {Mode(mode), until};
    lock.legalHold = hold;
    const auto result = checkDelete(lock, kNow, bypass);
    QCOMPARE(bool(result), allowed);
    if (!allowed) {
        QCOMPARE(result.error().code, QStringLiteral("AccessDenied"));
        QCOMPARE(result.error().httpStatus, 403);
        QCOMPARE(result.error().message,
            QStringLiteral("Access Denied because object protected by object lock."));
    }
}

void TestS3ObjectLock::retentionChange_data()
{
    QTest::addColumn<int>("currentMode");
    QTest::addColumn<qint64>("currentUntil");
    QTest::addColumn<int>("newMode");
    QTest::addColumn<qint64>("newUntil");
    QTest::addColumn<bool>("bypass");
    QTest::addColumn<bool>("allowed");

    const int g = int(Mode::Governance);
    const int c = int(Mode::Compliance);
    const int none = int(Mode::None);
    const qint64 t1 = kNow + kDay;
    const qint64 t2 = kNow + 3 * kDay;
    QTest::newRow("first retention") << none << qint64(0) << g << t1 << false << true;
    QTest::newRow("extend governance (test_object_lock_put_obj_retention_increase_period)")
        << g << t1 << g << t2 << false << true;
    QTest::newRow("same date") << g << t1 << g << t1 << false << true;
    QTest::newRow("shorten governance (test_object_lock_put_obj_retention_shorten_period)")
        << g << t2 << g << t1 << false << false;
    QTest::newRow("shorten governance, bypass") << g << t2 << g << t1 << true << true;
    QTest::newRow("remove governance") << g << t1 << none << qint64(0) << false << false;
    QTest::newRow("remove governance, bypass") << g << t1 << none << qint64(0) << true << true;
    QTest::newRow("governance to compliance") << g << t1 << c << t1 << false << false;
    QTest::newRow("governance to compliance, bypass") << g << t1 << c << t1 << true << true;
    QTest::newRow("extend compliance") << c << t1 << c << t2 << false << true;
    QTest::newRow("shorten compliance") << c << t2 << c << t1 << true << false;
    QTest::newRow("compliance to governance (test_object_lock_changing_mode_from_compliance)")
        << c << t1 << g << t2 << true << false;
    QTest::newRow("remove compliance") << c << t1 << none << qint64(0) << true << false;
    QTest::newRow("expired compliance") << c << kNow - 1 << g << t1 << false << true;
}

void TestS3ObjectLock::retentionChange()
{
    QFETCH(int, currentMode);
    QFETCH(qint64, currentUntil);
    QFETCH(int, newMode);
    QFETCH(qint64, newUntil);
    QFETCH(bool, bypass);
    QFETCH(bool, allowed);
    const auto result = checkRetentionChange(
        {Mode(currentMode), currentUntil}, {Mode(newMode), newUntil}, kNow, bypass);
    QCOMPARE(bool(result), allowed);
    if (!allowed)
        QCOMPARE(result.error().httpStatus, 403);
}

void TestS3ObjectLock::bypassHeader()
{
    QVERIFY(isBypassRequested("true"));
    QVERIFY(isBypassRequested("True "));
    QVERIFY(!isBypassRequested("false"));
    QVERIFY(!isBypassRequested(QByteArray()));
    QVERIFY(!isBypassRequested("1"));
}

void TestS3ObjectLock::errors()
{
    QCOMPARE(missingConfiguration().code, QStringLiteral("InvalidRequest"));
    QCOMPARE(missingConfiguration().httpStatus, 400);
    QCOMPARE(configurationNotFound().httpStatus, 404);
    QCOMPARE(configurationNotFound().code, QStringLiteral("ObjectLockConfigurationNotFoundError"));
    QCOMPARE(noSuchObjectLockConfiguration().httpStatus, 404);
    QCOMPARE(bypassNotApplicable().code, QStringLiteral("InvalidArgument"));
    QCOMPARE(versioningNotEnabled().httpStatus, 409);
    QCOMPARE(versioningCannotChange().code, QStringLiteral("InvalidBucketState"));
}

QTEST_GUILESS_MAIN(TestS3ObjectLock)
#include "tst_s3objectlock.moc"
