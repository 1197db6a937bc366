// ScheduleExpression: what rate(), cron() and at() accept and refuse, and the fire times they
// give: every cron operator in UTC, EventBridge Scheduler's daylight-saving rules in
// Europe/Berlin and America/New_York (2027-03-28 and 2027-10-31, 2027-03-14 and 2027-11-07 are
// the transition Sundays), at() in a zone, rates from an anchor, and finished schedules.
#include "services/events/scheduleexpression.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QTest>

#include <limits>

using namespace tarmac;

namespace {

constexpr qint64 kSecond = 1'000'000'000;
constexpr qint64 kMinute = 60 * kSecond;
constexpr qint64 kHour = 60 * kMinute;

// "2026-05-10T10:00:00Z" to ns since the epoch.
qint64 ns(const QString &isoUtc)
{
    const QDateTime t = QDateTime::fromString(isoUtc, Qt::ISODate);
    if (!t.isValid())
        qFatal("not an ISO date-time: %s", qPrintable(isoUtc));
    return t.toMSecsSinceEpoch() * 1'000'000;
}

QString iso(qint64 t)
{
    return QDateTime::fromMSecsSinceEpoch(t / 1'000'000, Qt::UTC).toString(Qt::ISODate);
}

// For QCOMPARE: ns, or "none".
QString show(std::optional<qint64> t)
{
    return t ? QString::number(*t) : QStringLiteral("none");
}

QTimeZone zoneFor(const QByteArray &id)
{
    return id.isEmpty() ? QTimeZone() : QTimeZone(id);
}

// The next `count` fire times after `after`, each from the one before, ending with "none" when
// the schedule runs out.
QStringList nextFires(
    const ScheduleExpression &schedule, qint64 after, const QTimeZone &zone, qsizetype count)
{
    QStringList out;
    while (out.size() < count) {
        const std::optional<qint64> next = schedule.nextAfter(after, zone);
        if (!next) {
            out.append(QStringLiteral("none"));
            break;
        }
        out.append(iso(*next));
        after = *next;
    }
    return out;
}

using Dialect = ScheduleExpression::Dialect;
using Kind = ScheduleExpression::Kind;

} // namespace

class TestScheduleExpression : public QObject
{
    Q_OBJECT
private slots:
    void valid_data()
    {
        QTest::addColumn<QString>("expression");
        QTest::addColumn<bool>("scheduler");
        QTest::addColumn<Kind>("kind");

        auto row = [](const char *name, const QString &expression, Kind kind) {
            QTest::addRow("rule: %s", name) << expression << false << kind;
            QTest::addRow("scheduler: %s", name) << expression << true << kind;
        };
        row("rate 1 minute", QStringLiteral("rate(1 minute)"), Kind::Rate);
        row("rate 5 minutes", QStringLiteral("rate(5 minutes)"), Kind::Rate);
        row("rate 1 hour", QStringLiteral("rate(1 hour)"), Kind::Rate);
        row("rate 12 hours", QStringLiteral("rate(12 hours)"), Kind::Rate);
        row("rate 1 day", QStringLiteral("rate(1 day)"), Kind::Rate);
        row("rate 365 days", QStringLiteral("rate(365 days)"), Kind::Rate);
        row("daily", QStringLiteral("cron(0 10 * * ? *)"), Kind::Cron);
        row("every minute", QStringLiteral("cron(* * * * ? *)"), Kind::Cron);
        row("start/increment", QStringLiteral("cron(0/15 * * * ? *)"), Kind::Cron);
        row("*/increment", QStringLiteral("cron(*/10 */2 */5 */3 ? */4)"), Kind::Cron);
        row("range/increment", QStringLiteral("cron(10-40/15 9 * * ? *)"), Kind::Cron);
        row("lists", QStringLiteral("cron(5,35 1,13 1,15 1,7 ? 2026,2030)"), Kind::Cron);
        row("wrapping ranges", QStringLiteral("cron(58-1 22-2 30-2 NOV-FEB ? *)"), Kind::Cron);
        row("L", QStringLiteral("cron(0 0 L * ? *)"), Kind::Cron);
        row("LW", QStringLiteral("cron(0 0 LW * ? *)"), Kind::Cron);
        row("lower-case lw", QStringLiteral("cron(0 0 lw * ? *)"), Kind::Cron);
        row("nW", QStringLiteral("cron(0 8 1W * ? *)"), Kind::Cron);
        row("31W", QStringLiteral("cron(0 8 31W * ? *)"), Kind::Cron);
        row("day-of-week L", QStringLiteral("cron(0 0 ? * L *)"), Kind::Cron);
        row("nL", QStringLiteral("cron(15 10 ? * 6L 2026-2028)"), Kind::Cron);
        row("nameL", QStringLiteral("cron(15 10 ? * FRIL *)"), Kind::Cron);
        row("n#k", QStringLiteral("cron(0 12 ? * 3#2 *)"), Kind::Cron);
        row("name#k", QStringLiteral("cron(0 12 ? * MON#5 *)"), Kind::Cron);
        row("day names", QStringLiteral("cron(0 9 ? * MON-FRI *)"), Kind::Cron);
        row("lower-case names", QStringLiteral("cron(0 9 ? jan mon-fri *)"), Kind::Cron);
        row("wrapping day names", QStringLiteral("cron(0 9 ? * FRI-MON *)"), Kind::Cron);
        row("month names", QStringLiteral("cron(0 0 1 JAN,Jul,dec ? *)"), Kind::Cron);
        row("February 29", QStringLiteral("cron(0 0 29 2 ? *)"), Kind::Cron);
        row("leading zeros", QStringLiteral("cron(05 09 01 02 ? 2027)"), Kind::Cron);
        row("limits", QStringLiteral("cron(59 23 31 12 ? 2199)"), Kind::Cron);
        row("first year", QStringLiteral("cron(0 0 1 1 ? 1970)"), Kind::Cron);
        QTest::newRow("scheduler: at")
            << QStringLiteral("at(2027-03-28T02:30:00)") << true << Kind::At;
        QTest::newRow("scheduler: at leap day")
            << QStringLiteral("at(2028-02-29T23:59:59)") << true << Kind::At;
    }

    void valid()
    {
        QFETCH(QString, expression);
        QFETCH(bool, scheduler);
        QFETCH(Kind, kind);
        const Result<ScheduleExpression> parsed
            = ScheduleExpression::parse(expression, scheduler ? Dialect::Scheduler : Dialect::Rule);
        QVERIFY2(parsed, parsed ? "" : qPrintable(parsed.error().message));
        QCOMPARE(parsed->kind(), kind);
        QCOMPARE(parsed->text(), expression);
    }

    void invalid_data()
    {
        QTest::addColumn<QString>("expression");
        QTest::addColumn<bool>("scheduler");
        QTest::addColumn<QString>("message"); // a part of the message

        auto row = [](const char *name, const QString &expression, const QString &message) {
            QTest::newRow(name) << expression << true << message;
        };
        row("empty", QString(), QStringLiteral("the schedule expression is empty"));
        row("not an expression", QStringLiteral("every 5 minutes"),
            QStringLiteral("use rate(...), cron(...) or at(...)"));
        row("upper-case keyword", QStringLiteral("CRON(0 0 * * ? *)"),
            QStringLiteral("is not a schedule expression"));
        row("leading space", QStringLiteral(" rate(5 minutes)"),
            QStringLiteral("is not a schedule expression"));
        row("trailing space", QStringLiteral("rate(5 minutes) "),
            QStringLiteral("must end with )"));
        row("unclosed", QStringLiteral("cron(0 0 * * ? *"), QStringLiteral("must end with )"));
        row("too long", QStringLiteral("cron(") + QString(300, u'1') + QStringLiteral(")"),
            QStringLiteral("at most 256 characters"));

        row("rate 0", QStringLiteral("rate(0 minutes)"), QStringLiteral("positive whole number"));
        row("rate negative", QStringLiteral("rate(-1 minutes)"),
            QStringLiteral("positive whole number"));
        row("rate fraction", QStringLiteral("rate(1.5 hours)"),
            QStringLiteral("positive whole number"));
        row("rate leading zero", QStringLiteral("rate(05 minutes)"),
            QStringLiteral("no leading zeros"));
        row("rate week", QStringLiteral("rate(1 week)"), QStringLiteral("unknown unit 'week'"));
        row("rate seconds", QStringLiteral("rate(30 seconds)"),
            QStringLiteral("unknown unit 'seconds'"));
        row("rate upper-case unit", QStringLiteral("rate(5 Minutes)"),
            QStringLiteral("unknown unit 'Minutes'"));
        row("rate 1 plural", QStringLiteral("rate(1 minutes)"),
            QStringLiteral("as in rate(1 minute)"));
        row("rate 1 days", QStringLiteral("rate(1 days)"), QStringLiteral("as in rate(1 day)"));
        row("rate 5 singular", QStringLiteral("rate(5 minute)"),
            QStringLiteral("as in rate(5 minutes)"));
        row("rate two spaces", QStringLiteral("rate(5  minutes)"), QStringLiteral("one space"));
        row("rate inner space", QStringLiteral("rate( 5 minutes)"), QStringLiteral("one space"));
        row("rate no space", QStringLiteral("rate(5minutes)"), QStringLiteral("one space"));
        row("rate no unit", QStringLiteral("rate(5)"), QStringLiteral("one space"));
        row("rate huge", QStringLiteral("rate(99999999999 days)"), QStringLiteral("too long"));

        row("cron()", QStringLiteral("cron()"), QStringLiteral("expected 6 fields"));
        row("5 fields", QStringLiteral("cron(0 10 * * ?)"), QStringLiteral("found 5"));
        row("7 fields", QStringLiteral("cron(0 10 * * ? * *)"), QStringLiteral("found 7"));
        row("double space", QStringLiteral("cron(0  10 * * ? *)"), QStringLiteral("single spaces"));
        row("both days given", QStringLiteral("cron(0 0 * * * *)"),
            QStringLiteral("the day-of-month and day-of-week fields cannot both be specified; "
                           "use ? in one of them"));
        row("both days ?", QStringLiteral("cron(0 0 ? * ? *)"), QStringLiteral("cannot both be ?"));
        row("minute 60", QStringLiteral("cron(60 * * * ? *)"),
            QStringLiteral("cron(60 * * * ? *): minutes: 60 is out of range 0-59"));
        row("hour 24", QStringLiteral("cron(0 24 * * ? *)"),
            QStringLiteral("hours: 24 is out of range 0-23"));
        row("day 0", QStringLiteral("cron(0 0 0 * ? *)"),
            QStringLiteral("day-of-month: 0 is out of range 1-31"));
        row("day 32", QStringLiteral("cron(0 0 32 * ? *)"),
            QStringLiteral("day-of-month: 32 is out of range 1-31"));
        row("month 13", QStringLiteral("cron(0 0 1 13 ? *)"),
            QStringLiteral("month: 13 is out of range 1-12"));
        row("weekday 0", QStringLiteral("cron(0 0 ? * 0 *)"),
            QStringLiteral("day-of-week: 0 is out of range 1-7"));
        row("weekday 8", QStringLiteral("cron(0 0 ? * 8 *)"),
            QStringLiteral("day-of-week: 8 is out of range 1-7"));
        row("year 1969", QStringLiteral("cron(0 0 * * ? 1969)"),
            QStringLiteral("year: 1969 is out of range 1970-2199"));
        row("year 2200", QStringLiteral("cron(0 0 * * ? 2200)"),
            QStringLiteral("year: 2200 is out of range 1970-2199"));
        row("backward years", QStringLiteral("cron(0 0 * * ? 2028-2026)"),
            QStringLiteral("the range 2028-2026 runs backwards"));
        row("unknown day name", QStringLiteral("cron(0 0 ? * FOO *)"),
            QStringLiteral("'FOO' is neither a number 1-7 nor a name SUN-SAT"));
        row("long month name", QStringLiteral("cron(0 0 1 JANUARY ? *)"),
            QStringLiteral("'JANUARY' is neither a number 1-12 nor a name JAN-DEC"));
        row("name in hours", QStringLiteral("cron(0 MON * * ? *)"),
            QStringLiteral("hours: 'MON' is not a number"));
        row("L in minutes", QStringLiteral("cron(L * * * ? *)"),
            QStringLiteral("minutes: 'L' is not a number"));
        row("? in minutes", QStringLiteral("cron(? 0 * * ? *)"),
            QStringLiteral("? is allowed only in day-of-month or day-of-week"));
        row("? in a list", QStringLiteral("cron(0 0 ?,1 * ? *)"), QStringLiteral("? stands alone"));
        row("3#6", QStringLiteral("cron(0 0 ? * 3#6 *)"),
            QStringLiteral("the occurrence in 3#6 must be 1-5"));
        row("3#0", QStringLiteral("cron(0 0 ? * 3#0 *)"),
            QStringLiteral("the occurrence in 3#0 must be 1-5"));
        row("8#1", QStringLiteral("cron(0 0 ? * 8#1 *)"), QStringLiteral("8 is out of range 1-7"));
        row("two #", QStringLiteral("cron(0 0 ? * 2#1,3#1 *)"), QStringLiteral("# stands alone"));
        row("# in day-of-month", QStringLiteral("cron(0 0 1#2 * ? *)"),
            QStringLiteral("# belongs in the day-of-week field"));
        row("8L", QStringLiteral("cron(0 0 ? * 8L *)"), QStringLiteral("8 is out of range 1-7"));
        row("L in a day list", QStringLiteral("cron(0 0 ? * 2,3L *)"),
            QStringLiteral("L follows a single day"));
        row("L before a day", QStringLiteral("cron(0 0 ? * L2 *)"),
            QStringLiteral("L stands alone or follows one day"));
        row("L-2", QStringLiteral("cron(0 0 L-2 * ? *)"), QStringLiteral("stand alone"));
        row("L in a list", QStringLiteral("cron(0 0 1,L * ? *)"), QStringLiteral("stand alone"));
        row("W in a list", QStringLiteral("cron(0 0 1W,15 * ? *)"), QStringLiteral("stand alone"));
        row("W on a range", QStringLiteral("cron(0 0 1-5W * ? *)"),
            QStringLiteral("W follows a single day"));
        row("W alone", QStringLiteral("cron(0 0 W * ? *)"),
            QStringLiteral("W follows a single day"));
        row("32W", QStringLiteral("cron(0 0 32W * ? *)"),
            QStringLiteral("32 is out of range 1-31"));
        row("/ in day-of-week", QStringLiteral("cron(0 0 ? * 1/2 *)"),
            QStringLiteral("day-of-week: increments (/) are not allowed"));
        row("increment 0", QStringLiteral("cron(0/0 * * * ? *)"),
            QStringLiteral("the increment in '0/0' must be a number 1-60"));
        row("increment too big", QStringLiteral("cron(0 0/25 * * ? *)"),
            QStringLiteral("the increment in '0/25' must be a number 1-24"));
        row("empty list item", QStringLiteral("cron(1,,2 * * * ? *)"),
            QStringLiteral("a value is missing"));
        row("open range", QStringLiteral("cron(1- * * * ? *)"),
            QStringLiteral("a value is missing"));
        row("negative", QStringLiteral("cron(-1 * * * ? *)"), QStringLiteral("a value is missing"));

        row("at not a date", QStringLiteral("at(2027-02-29T00:00:00)"),
            QStringLiteral("2027-02-29 is not a date"));
        row("at hour 24", QStringLiteral("at(2027-01-01T24:00:00)"),
            QStringLiteral("24:00:00 is not a time"));
        row("at second 60", QStringLiteral("at(2027-01-01T23:59:60)"),
            QStringLiteral("23:59:60 is not a time"));
        row("at with a space", QStringLiteral("at(2027-01-01 00:00:00)"),
            QStringLiteral("yyyy-mm-ddThh:mm:ss"));
        row("at without seconds", QStringLiteral("at(2027-01-01T00:00)"),
            QStringLiteral("yyyy-mm-ddThh:mm:ss"));
        row("at with a zone", QStringLiteral("at(2027-01-01T00:00:00Z)"),
            QStringLiteral("yyyy-mm-ddThh:mm:ss"));
        row("at with a fraction", QStringLiteral("at(2027-01-01T00:00:00.5)"),
            QStringLiteral("yyyy-mm-ddThh:mm:ss"));
        row("at lower-case t", QStringLiteral("at(2027-01-01t00:00:00)"),
            QStringLiteral("yyyy-mm-ddThh:mm:ss"));
        QTest::newRow("at in a rule") << QStringLiteral("at(2027-03-28T02:30:00)") << false
                                      << QStringLiteral("at() is only for EventBridge Scheduler");
        QTest::newRow("rule: not an expression") << QStringLiteral("every 5 minutes") << false
                                                 << QStringLiteral("use rate(...) or cron(...)");
    }

    void invalid()
    {
        QFETCH(QString, expression);
        QFETCH(bool, scheduler);
        QFETCH(QString, message);
        const Result<ScheduleExpression> parsed
            = ScheduleExpression::parse(expression, scheduler ? Dialect::Scheduler : Dialect::Rule);
        QVERIFY(!parsed);
        QCOMPARE(parsed.error().code, QStringLiteral("ValidationException"));
        QCOMPARE(parsed.error().httpStatus, 400);
        QVERIFY2(parsed.error().message.contains(message), qPrintable(parsed.error().message));
    }

    void rate_data()
    {
        QTest::addColumn<QString>("expression");
        QTest::addColumn<qint64>("rateNs");
        QTest::addColumn<qint64>("anchor");
        QTest::addColumn<qint64>("after");
        QTest::addColumn<std::optional<qint64>>("next");

        const qint64 t0 = ns(QStringLiteral("2026-05-10T10:00:00Z"));
        const QString five = QStringLiteral("rate(5 minutes)");
        QTest::newRow("after the anchor")
            << five << 5 * kMinute << t0 << t0 << std::optional(t0 + 5 * kMinute);
        QTest::newRow("the anchor itself")
            << five << 5 * kMinute << t0 << t0 - 1 << std::optional(t0);
        QTest::newRow("long before the anchor")
            << five << 5 * kMinute << t0 << qint64(0) << std::optional(t0);
        QTest::newRow("1 ns before a fire")
            << five << 5 * kMinute << t0 << t0 + 5 * kMinute - 1 << std::optional(t0 + 5 * kMinute);
        QTest::newRow("at a fire: strictly after")
            << five << 5 * kMinute << t0 << t0 + 10 * kMinute << std::optional(t0 + 15 * kMinute);
        QTest::newRow("between fires") << five << 5 * kMinute << t0 << t0 + 12 * kMinute + 7
                                       << std::optional(t0 + 15 * kMinute);
        QTest::newRow("1 minute") << QStringLiteral("rate(1 minute)") << kMinute << t0
                                  << t0 + 90 * kSecond << std::optional(t0 + 2 * kMinute);
        QTest::newRow("2 hours") << QStringLiteral("rate(2 hours)") << 2 * kHour << t0
                                 << t0 + 3 * kHour << std::optional(t0 + 4 * kHour);
        // 24 hours even across Berlin's spring-forward night (the zone plays no part).
        QTest::newRow("1 day across DST")
            << QStringLiteral("rate(1 day)") << 24 * kHour
            << ns(QStringLiteral("2027-03-27T12:00:00Z"))
            << ns(QStringLiteral("2027-03-28T00:00:00Z"))
            << std::optional(ns(QStringLiteral("2027-03-28T12:00:00Z")));
        QTest::newRow("365 days") << QStringLiteral("rate(365 days)") << 365 * 24 * kHour
                                  << ns(QStringLiteral("2027-01-01T00:00:00Z"))
                                  << ns(QStringLiteral("2027-06-01T00:00:00Z"))
                                  << std::optional(ns(QStringLiteral("2028-01-01T00:00:00Z")));
        QTest::newRow("anchor before the epoch")
            << five << 5 * kMinute << -1000 * kSecond << qint64(0) << std::optional(200 * kSecond);
        QTest::newRow("anchor at the epoch")
            << five << 5 * kMinute << qint64(0) << qint64(0) << std::optional(5 * kMinute);
        QTest::newRow("past the end of time")
            << QStringLiteral("rate(1 day)") << 24 * kHour << qint64(0)
            << std::numeric_limits<qint64>::max() - 1 << std::optional<qint64>();
    }

    void rate()
    {
        QFETCH(QString, expression);
        QFETCH(qint64, rateNs);
        QFETCH(qint64, anchor);
        QFETCH(qint64, after);
        QFETCH(std::optional<qint64>, next);
        const Result<ScheduleExpression> parsed
            = ScheduleExpression::parse(expression, Dialect::Rule);
        QVERIFY2(parsed, parsed ? "" : qPrintable(parsed.error().message));
        QCOMPARE(parsed->rateNs(), rateNs);
        QCOMPARE(show(parsed->nextAfter(after, QTimeZone("Europe/Berlin"), anchor)), show(next));
        QCOMPARE(show(parsed->nextAfter(after, QTimeZone(), anchor)), show(next));
    }

    void cron_data()
    {
        QTest::addColumn<QString>("expression");
        QTest::addColumn<QByteArray>("zone"); // empty: UTC
        QTest::addColumn<QString>("after");
        QTest::addColumn<QString>("fires"); // each after the one before; none: no more

        auto row = [](const char *name, const QString &expression, const QString &after,
                       const QString &fires) {
            QTest::newRow(name) << expression << QByteArray() << after << fires;
        };

        row("daily", QStringLiteral("cron(0 10 * * ? *)"), QStringLiteral("2026-05-10T09:59:59Z"),
            QStringLiteral("2026-05-10T10:00:00Z 2026-05-11T10:00:00Z "
                           "2026-05-12T10:00:00Z"));
        row("daily, strictly after", QStringLiteral("cron(0 10 * * ? *)"),
            QStringLiteral("2026-05-10T10:00:00Z"), QStringLiteral("2026-05-11T10:00:00Z"));
        row("every minute", QStringLiteral("cron(* * * * ? *)"),
            QStringLiteral("2026-05-10T10:00:30Z"),
            QStringLiteral("2026-05-10T10:01:00Z 2026-05-10T10:02:00Z"));
        row("0/15 across a new year", QStringLiteral("cron(0/15 * * * ? *)"),
            QStringLiteral("2026-12-31T23:40:00Z"),
            QStringLiteral("2026-12-31T23:45:00Z 2027-01-01T00:00:00Z "
                           "2027-01-01T00:15:00Z 2027-01-01T00:30:00Z"));
        row("*/10", QStringLiteral("cron(*/10 * * * ? *)"), QStringLiteral("2026-05-10T10:05:00Z"),
            QStringLiteral("2026-05-10T10:10:00Z 2026-05-10T10:20:00Z"));
        row("minute list, hour range", QStringLiteral("cron(5,35 10-11 * * ? *)"),
            QStringLiteral("2026-05-10T00:00:00Z"),
            QStringLiteral("2026-05-10T10:05:00Z 2026-05-10T10:35:00Z "
                           "2026-05-10T11:05:00Z 2026-05-10T11:35:00Z "
                           "2026-05-11T10:05:00Z"));
        row("wrapping minutes 58-1", QStringLiteral("cron(58-1 10 * * ? *)"),
            QStringLiteral("2026-05-10T00:00:00Z"),
            QStringLiteral("2026-05-10T10:00:00Z 2026-05-10T10:01:00Z "
                           "2026-05-10T10:58:00Z 2026-05-10T10:59:00Z "
                           "2026-05-11T10:00:00Z"));
        row("wrapping hours 22-2", QStringLiteral("cron(0 22-2 * * ? *)"),
            QStringLiteral("2026-05-10T12:00:00Z"),
            QStringLiteral("2026-05-10T22:00:00Z 2026-05-10T23:00:00Z "
                           "2026-05-11T00:00:00Z 2026-05-11T01:00:00Z "
                           "2026-05-11T02:00:00Z 2026-05-11T22:00:00Z"));
        row("range/increment", QStringLiteral("cron(10-40/15 9 * * ? *)"),
            QStringLiteral("2026-05-10T00:00:00Z"),
            QStringLiteral("2026-05-10T09:10:00Z 2026-05-10T09:25:00Z "
                           "2026-05-10T09:40:00Z 2026-05-11T09:10:00Z"));
        row("hours 3/5", QStringLiteral("cron(0 3/5 * * ? *)"),
            QStringLiteral("2026-05-10T00:00:00Z"),
            QStringLiteral("2026-05-10T03:00:00Z 2026-05-10T08:00:00Z "
                           "2026-05-10T13:00:00Z 2026-05-10T18:00:00Z "
                           "2026-05-10T23:00:00Z 2026-05-11T03:00:00Z"));
        row("days 1/10, April has no 31st", QStringLiteral("cron(0 0 1/10 * ? *)"),
            QStringLiteral("2026-04-01T12:00:00Z"),
            QStringLiteral("2026-04-11T00:00:00Z 2026-04-21T00:00:00Z "
                           "2026-05-01T00:00:00Z 2026-05-11T00:00:00Z "
                           "2026-05-21T00:00:00Z 2026-05-31T00:00:00Z"));
        row("wrapping days 30-2", QStringLiteral("cron(0 0 30-2 * ? *)"),
            QStringLiteral("2026-02-15T00:00:00Z"),
            QStringLiteral("2026-03-01T00:00:00Z 2026-03-02T00:00:00Z "
                           "2026-03-30T00:00:00Z 2026-03-31T00:00:00Z "
                           "2026-04-01T00:00:00Z"));
        row("31st skips short months", QStringLiteral("cron(0 0 31 * ? *)"),
            QStringLiteral("2026-04-01T00:00:00Z"),
            QStringLiteral("2026-05-31T00:00:00Z 2026-07-31T00:00:00Z "
                           "2026-08-31T00:00:00Z 2026-10-31T00:00:00Z"));
        row("wrapping months NOV-FEB", QStringLiteral("cron(0 0 1 NOV-FEB ? *)"),
            QStringLiteral("2026-03-01T00:00:00Z"),
            QStringLiteral("2026-11-01T00:00:00Z 2026-12-01T00:00:00Z "
                           "2027-01-01T00:00:00Z 2027-02-01T00:00:00Z "
                           "2027-11-01T00:00:00Z"));
        row("months */3", QStringLiteral("cron(0 0 1 */3 ? *)"),
            QStringLiteral("2026-02-01T00:00:00Z"),
            QStringLiteral("2026-04-01T00:00:00Z 2026-07-01T00:00:00Z "
                           "2026-10-01T00:00:00Z 2027-01-01T00:00:00Z"));
        row("month jul", QStringLiteral("cron(0 0 1 jul ? *)"),
            QStringLiteral("2026-01-01T00:00:00Z"),
            QStringLiteral("2026-07-01T00:00:00Z 2027-07-01T00:00:00Z"));
        row("years 2030/5", QStringLiteral("cron(0 0 1 1 ? 2030/5)"),
            QStringLiteral("2026-01-01T00:00:00Z"),
            QStringLiteral("2030-01-01T00:00:00Z 2035-01-01T00:00:00Z "
                           "2040-01-01T00:00:00Z"));
        row("year list", QStringLiteral("cron(0 0 1 1 ? 2030,2035)"),
            QStringLiteral("2026-01-01T00:00:00Z"),
            QStringLiteral("2030-01-01T00:00:00Z 2035-01-01T00:00:00Z "
                           "none"));
        row("the last minute there is", QStringLiteral("cron(59 23 31 12 ? 2199)"),
            QStringLiteral("2026-01-01T00:00:00Z"), QStringLiteral("2199-12-31T23:59:00Z none"));
        row("years over", QStringLiteral("cron(0 0 * * ? 2020-2025)"),
            QStringLiteral("2026-01-01T00:00:00Z"), QStringLiteral("none"));

        // 1W: the 1st of February and March 2026 is a Sunday (Monday the 2nd), of August a
        // Saturday (Monday the 3rd: never back into July).
        row("1W", QStringLiteral("cron(0 8 1W * ? *)"), QStringLiteral("2026-01-15T00:00:00Z"),
            QStringLiteral("2026-02-02T08:00:00Z 2026-03-02T08:00:00Z "
                           "2026-04-01T08:00:00Z 2026-05-01T08:00:00Z "
                           "2026-06-01T08:00:00Z 2026-07-01T08:00:00Z "
                           "2026-08-03T08:00:00Z"));
        // 2026-05-31 is a Sunday: Friday the 29th. June has no 31st; 2026-07-31 is a Friday.
        row("31W", QStringLiteral("cron(0 8 31W * ? *)"), QStringLiteral("2026-05-01T00:00:00Z"),
            QStringLiteral("2026-05-29T08:00:00Z 2026-07-31T08:00:00Z"));
        // The 15th: Saturday in August, Tuesday, Thursday, then Sunday in November.
        row("15W", QStringLiteral("cron(0 8 15W * ? *)"), QStringLiteral("2026-08-01T00:00:00Z"),
            QStringLiteral("2026-08-14T08:00:00Z 2026-09-15T08:00:00Z "
                           "2026-10-15T08:00:00Z 2026-11-16T08:00:00Z"));
        row("L, common year", QStringLiteral("cron(0 0 L * ? *)"),
            QStringLiteral("2027-01-15T00:00:00Z"),
            QStringLiteral("2027-01-31T00:00:00Z 2027-02-28T00:00:00Z "
                           "2027-03-31T00:00:00Z 2027-04-30T00:00:00Z"));
        row("L, leap year", QStringLiteral("cron(0 0 L * ? *)"),
            QStringLiteral("2028-01-15T00:00:00Z"),
            QStringLiteral("2028-01-31T00:00:00Z 2028-02-29T00:00:00Z "
                           "2028-03-31T00:00:00Z"));
        // 2026: January 31st and February 28th are Saturdays, May 31st a Sunday.
        row("LW", QStringLiteral("cron(0 0 LW * ? *)"), QStringLiteral("2026-01-01T00:00:00Z"),
            QStringLiteral("2026-01-30T00:00:00Z 2026-02-27T00:00:00Z "
                           "2026-03-31T00:00:00Z 2026-04-30T00:00:00Z "
                           "2026-05-29T00:00:00Z"));
        row("February 29", QStringLiteral("cron(0 0 29 2 ? *)"),
            QStringLiteral("2026-03-01T00:00:00Z"),
            QStringLiteral("2028-02-29T00:00:00Z 2032-02-29T00:00:00Z"));
        row("February 29 without a leap year", QStringLiteral("cron(0 0 29 2 ? 2029-2031)"),
            QStringLiteral("2026-01-01T00:00:00Z"), QStringLiteral("none"));
        row("February 30", QStringLiteral("cron(0 0 30 2 ? *)"),
            QStringLiteral("2026-01-01T00:00:00Z"), QStringLiteral("none"));

        row("MON-FRI", QStringLiteral("cron(0 9 ? * MON-FRI *)"),
            QStringLiteral("2026-05-08T09:00:00Z"),
            QStringLiteral("2026-05-11T09:00:00Z 2026-05-12T09:00:00Z "
                           "2026-05-13T09:00:00Z 2026-05-14T09:00:00Z "
                           "2026-05-15T09:00:00Z 2026-05-18T09:00:00Z"));
        row("wrapping days FRI-MON", QStringLiteral("cron(0 9 ? * FRI-MON *)"),
            QStringLiteral("2026-05-07T12:00:00Z"),
            QStringLiteral("2026-05-08T09:00:00Z 2026-05-09T09:00:00Z "
                           "2026-05-10T09:00:00Z 2026-05-11T09:00:00Z "
                           "2026-05-15T09:00:00Z"));
        row("day list sun,wed", QStringLiteral("cron(0 9 ? * sun,wed *)"),
            QStringLiteral("2026-05-01T00:00:00Z"),
            QStringLiteral("2026-05-03T09:00:00Z 2026-05-06T09:00:00Z "
                           "2026-05-10T09:00:00Z"));
        row("day-of-week L is Saturday", QStringLiteral("cron(0 9 ? * L *)"),
            QStringLiteral("2026-05-01T00:00:00Z"),
            QStringLiteral("2026-05-02T09:00:00Z 2026-05-09T09:00:00Z"));
        row("1L, last Sunday", QStringLiteral("cron(0 9 ? * 1L *)"),
            QStringLiteral("2026-01-01T00:00:00Z"),
            QStringLiteral("2026-01-25T09:00:00Z 2026-02-22T09:00:00Z "
                           "2026-03-29T09:00:00Z"));
        row("6L, last Friday", QStringLiteral("cron(15 10 ? * 6L 2026-2028)"),
            QStringLiteral("2025-06-01T00:00:00Z"),
            QStringLiteral("2026-01-30T10:15:00Z 2026-02-27T10:15:00Z "
                           "2026-03-27T10:15:00Z"));
        row("6L, years over", QStringLiteral("cron(15 10 ? * 6L 2026-2028)"),
            QStringLiteral("2028-11-01T00:00:00Z"),
            QStringLiteral("2028-11-24T10:15:00Z 2028-12-29T10:15:00Z "
                           "none"));
        row("3#2, second Tuesday", QStringLiteral("cron(0 12 ? * 3#2 *)"),
            QStringLiteral("2026-01-01T00:00:00Z"),
            QStringLiteral("2026-01-13T12:00:00Z 2026-02-10T12:00:00Z "
                           "2026-03-10T12:00:00Z 2026-04-14T12:00:00Z"));
        row("MON#1", QStringLiteral("cron(0 9 ? * MON#1 *)"),
            QStringLiteral("2026-01-01T00:00:00Z"),
            QStringLiteral("2026-01-05T09:00:00Z 2026-02-02T09:00:00Z "
                           "2026-03-02T09:00:00Z"));
        row("2#5 only where there is one", QStringLiteral("cron(0 9 ? * 2#5 2026)"),
            QStringLiteral("2026-01-01T00:00:00Z"),
            QStringLiteral("2026-03-30T09:00:00Z 2026-06-29T09:00:00Z "
                           "2026-08-31T09:00:00Z 2026-11-30T09:00:00Z "
                           "none"));

        auto zoned = [](const char *name, const QString &expression, const char *zone,
                         const QString &after, const QString &fires) {
            QTest::newRow(name) << expression << QByteArray(zone) << after << fires;
        };
        // Berlin springs forward 2027-03-28 at 01:00Z (02:00 CET to 03:00 CEST): 02:30 does not
        // exist that day, so it does not fire.
        zoned("Berlin spring: 02:30 skipped", QStringLiteral("cron(30 2 * * ? *)"), "Europe/Berlin",
            QStringLiteral("2027-03-27T00:00:00Z"),
            QStringLiteral("2027-03-27T01:30:00Z 2027-03-29T00:30:00Z "
                           "2027-03-30T00:30:00Z"));
        // 00:00 and 01:00 CET, then 03:00 and 04:00 CEST: hourly in UTC all the same.
        zoned("Berlin spring: hourly", QStringLiteral("cron(0 * * * ? *)"), "Europe/Berlin",
            QStringLiteral("2027-03-27T22:30:00Z"),
            QStringLiteral("2027-03-27T23:00:00Z 2027-03-28T00:00:00Z "
                           "2027-03-28T01:00:00Z 2027-03-28T02:00:00Z"));
        zoned("Berlin spring: daily 09:00", QStringLiteral("cron(0 9 * * ? *)"), "Europe/Berlin",
            QStringLiteral("2027-03-27T00:00:00Z"),
            QStringLiteral("2027-03-27T08:00:00Z 2027-03-28T07:00:00Z"));
        // Berlin falls back 2027-10-31 at 01:00Z (03:00 CEST to 02:00 CET): 02:00-02:59 happens
        // twice, and fires the first time only.
        zoned("Berlin fall: 02:30 once", QStringLiteral("cron(30 2 * * ? *)"), "Europe/Berlin",
            QStringLiteral("2027-10-30T00:00:00Z"),
            QStringLiteral("2027-10-30T00:30:00Z 2027-10-31T00:30:00Z "
                           "2027-11-01T01:30:00Z"));
        zoned("Berlin fall: half-hourly", QStringLiteral("cron(*/30 * * * ? *)"), "Europe/Berlin",
            QStringLiteral("2027-10-30T23:15:00Z"),
            QStringLiteral("2027-10-30T23:30:00Z 2027-10-31T00:00:00Z "
                           "2027-10-31T00:30:00Z 2027-10-31T02:00:00Z "
                           "2027-10-31T02:30:00Z"));
        zoned("Berlin fall: from inside the repeat", QStringLiteral("cron(*/30 * * * ? *)"),
            "Europe/Berlin", QStringLiteral("2027-10-31T01:15:00Z"),
            QStringLiteral("2027-10-31T02:00:00Z"));
        zoned("Berlin fall: hourly", QStringLiteral("cron(0 * * * ? *)"), "Europe/Berlin",
            QStringLiteral("2027-10-30T23:30:00Z"),
            QStringLiteral("2027-10-31T00:00:00Z 2027-10-31T02:00:00Z "
                           "2027-10-31T03:00:00Z"));
        zoned("Berlin: the local new year", QStringLiteral("cron(0 0 1 1 ? 2027)"), "Europe/Berlin",
            QStringLiteral("2026-12-31T00:00:00Z"), QStringLiteral("2026-12-31T23:00:00Z none"));
        // New York springs forward 2027-03-14 at 07:00Z (02:00 EST to 03:00 EDT) and falls back
        // 2027-11-07 at 06:00Z (02:00 EDT to 01:00 EST).
        zoned("New York spring: 02:30 skipped", QStringLiteral("cron(30 2 * * ? *)"),
            "America/New_York", QStringLiteral("2027-03-13T00:00:00Z"),
            QStringLiteral("2027-03-13T07:30:00Z 2027-03-15T06:30:00Z"));
        zoned("New York spring: weekdays", QStringLiteral("cron(0 9 ? * MON-FRI *)"),
            "America/New_York", QStringLiteral("2027-03-12T00:00:00Z"),
            QStringLiteral("2027-03-12T14:00:00Z 2027-03-15T13:00:00Z"));
        zoned("New York fall: 01:30 once", QStringLiteral("cron(30 1 * * ? *)"), "America/New_York",
            QStringLiteral("2027-11-06T00:00:00Z"),
            QStringLiteral("2027-11-06T05:30:00Z 2027-11-07T05:30:00Z "
                           "2027-11-08T06:30:00Z"));
        zoned("New York fall: hourly", QStringLiteral("cron(0 * * * ? *)"), "America/New_York",
            QStringLiteral("2027-11-07T04:30:00Z"),
            QStringLiteral("2027-11-07T05:00:00Z 2027-11-07T07:00:00Z "
                           "2027-11-07T08:00:00Z"));
        zoned("Kolkata", QStringLiteral("cron(0 9 * * ? *)"), "Asia/Kolkata",
            QStringLiteral("2026-05-10T00:00:00Z"),
            QStringLiteral("2026-05-10T03:30:00Z 2026-05-11T03:30:00Z"));
    }

    void cron()
    {
        QFETCH(QString, expression);
        QFETCH(QByteArray, zone);
        QFETCH(QString, after);
        QFETCH(QString, fires);
        const Result<ScheduleExpression> parsed
            = ScheduleExpression::parse(expression, Dialect::Rule);
        QVERIFY2(parsed, parsed ? "" : qPrintable(parsed.error().message));
        QCOMPARE(parsed->kind(), Kind::Cron);
        const QTimeZone tz = zoneFor(zone);
        QVERIFY(zone.isEmpty() || tz.isValid());
        const QStringList expected = fires.split(u' ');
        QCOMPARE(nextFires(*parsed, ns(after), tz, expected.size()), expected);
    }

    void at_data()
    {
        QTest::addColumn<QString>("expression");
        QTest::addColumn<QByteArray>("zone"); // empty: UTC
        QTest::addColumn<QString>("after");
        QTest::addColumn<QString>("fires"); // "none": never again

        const QString june = QStringLiteral("at(2026-06-01T12:00:00)");
        const QString before = QStringLiteral("2026-01-01T00:00:00Z");
        QTest::newRow("UTC") << june << QByteArray() << before
                             << QStringLiteral("2026-06-01T12:00:00Z");
        QTest::newRow("UTC by name")
            << june << QByteArray("UTC") << before << QStringLiteral("2026-06-01T12:00:00Z");
        QTest::newRow("seconds") << QStringLiteral("at(2026-06-01T12:00:30)") << QByteArray()
                                 << before << QStringLiteral("2026-06-01T12:00:30Z");
        QTest::newRow("a second before")
            << june << QByteArray() << QStringLiteral("2026-06-01T11:59:59Z")
            << QStringLiteral("2026-06-01T12:00:00Z");
        QTest::newRow("at the time: passed")
            << june << QByteArray() << QStringLiteral("2026-06-01T12:00:00Z")
            << QStringLiteral("none");
        QTest::newRow("Berlin summer") << june << QByteArray("Europe/Berlin") << before
                                       << QStringLiteral("2026-06-01T10:00:00Z");
        QTest::newRow("Berlin summer, passed")
            << june << QByteArray("Europe/Berlin") << QStringLiteral("2026-06-01T11:00:00Z")
            << QStringLiteral("none");
        QTest::newRow("New York summer") << june << QByteArray("America/New_York") << before
                                         << QStringLiteral("2026-06-01T16:00:00Z");
        QTest::newRow("Kolkata") << june << QByteArray("Asia/Kolkata") << before
                                 << QStringLiteral("2026-06-01T06:30:00Z");
        // In a gap: when the gap ends (03:00 CEST, 03:00 EDT).
        QTest::newRow("Berlin gap")
            << QStringLiteral("at(2027-03-28T02:30:00)") << QByteArray("Europe/Berlin") << before
            << QStringLiteral("2027-03-28T01:00:00Z");
        QTest::newRow("New York gap")
            << QStringLiteral("at(2027-03-14T02:30:00)") << QByteArray("America/New_York") << before
            << QStringLiteral("2027-03-14T07:00:00Z");
        // Repeated: the first time (CEST, EDT).
        QTest::newRow("Berlin overlap")
            << QStringLiteral("at(2027-10-31T02:30:00)") << QByteArray("Europe/Berlin") << before
            << QStringLiteral("2027-10-31T00:30:00Z");
        QTest::newRow("Berlin overlap, first passed")
            << QStringLiteral("at(2027-10-31T02:30:00)") << QByteArray("Europe/Berlin")
            << QStringLiteral("2027-10-31T00:30:00Z") << QStringLiteral("none");
        QTest::newRow("New York overlap")
            << QStringLiteral("at(2027-11-07T01:30:00)") << QByteArray("America/New_York") << before
            << QStringLiteral("2027-11-07T05:30:00Z");
        QTest::newRow("before the epoch")
            << QStringLiteral("at(1969-07-20T20:17:40)") << QByteArray()
            << QStringLiteral("1960-01-01T00:00:00Z") << QStringLiteral("1969-07-20T20:17:40Z");
        // ns since 1970 in a qint64 end on 2262-04-11.
        QTest::newRow("the last day in range")
            << QStringLiteral("at(2262-04-11T00:00:00)") << QByteArray() << before
            << QStringLiteral("2262-04-11T00:00:00Z");
        QTest::newRow("out of range") << QStringLiteral("at(2262-04-12T00:00:00)") << QByteArray()
                                      << before << QStringLiteral("none");
    }

    void at()
    {
        QFETCH(QString, expression);
        QFETCH(QByteArray, zone);
        QFETCH(QString, after);
        QFETCH(QString, fires);
        const Result<ScheduleExpression> parsed
            = ScheduleExpression::parse(expression, Dialect::Scheduler);
        QVERIFY2(parsed, parsed ? "" : qPrintable(parsed.error().message));
        QCOMPARE(parsed->kind(), Kind::At);
        const std::optional<qint64> next = parsed->nextAfter(ns(after), zoneFor(zone));
        QCOMPARE(next ? iso(*next) : QStringLiteral("none"), fires);
    }

    void nanosecondsAfter()
    {
        // Fire times are whole minutes (cron) or seconds (at); a time 1 ns past one is after it.
        const auto daily
            = ScheduleExpression::parse(QStringLiteral("cron(0 10 * * ? *)"), Dialect::Scheduler);
        QVERIFY(daily);
        const qint64 ten = ns(QStringLiteral("2026-05-10T10:00:00Z"));
        QCOMPARE(show(daily->nextAfter(ten - 1, QTimeZone())), show(ten));
        QCOMPARE(show(daily->nextAfter(ten + 1, QTimeZone())), show(ten + 24 * kHour));
        const auto once = ScheduleExpression::parse(
            QStringLiteral("at(2026-05-10T10:00:00)"), Dialect::Scheduler);
        QVERIFY(once);
        QCOMPARE(show(once->nextAfter(ten - 1, QTimeZone())), show(ten));
        QCOMPARE(show(once->nextAfter(ten, QTimeZone())), QStringLiteral("none"));
        // Before 1970 a cron starts with 1970.
        QCOMPARE(show(daily->nextAfter(-kHour * 24 * 365, QTimeZone())),
            show(ns(QStringLiteral("1970-01-01T10:00:00Z"))));
        // At the far ends of the range.
        QCOMPARE(
            show(daily->nextAfter(std::numeric_limits<qint64>::max(), QTimeZone("Europe/Berlin"))),
            QStringLiteral("none"));
        QCOMPARE(
            show(daily->nextAfter(std::numeric_limits<qint64>::min(), QTimeZone("Europe/Berlin"))),
            show(ns(QStringLiteral("1970-01-01T09:00:00Z"))));
    }

    void rareSchedulesAreQuick()
    {
        // Year by year, month by month: a schedule that fires every four years or never again
        // costs microseconds, not a minute-by-minute walk to 2199.
        const QTimeZone berlin("Europe/Berlin");
        const qint64 start = ns(QStringLiteral("2026-03-01T00:00:00Z"));
        struct Case
        {
            QString expression;
            bool fires;
        };
        const Case cases[] = {
            {QStringLiteral("cron(0 0 29 2 ? *)"), true},
            {QStringLiteral("cron(0 0 31 2 ? *)"), false},
            {QStringLiteral("cron(0 0 ? * 2#5 2199)"), true},
            {QStringLiteral("cron(* * * * ? 2020)"), false},
            {QStringLiteral("cron(0 0 31W 4 ? *)"), false},
        };
        QElapsedTimer timer;
        timer.start();
        for (const Case &c : cases) {
            const auto parsed = ScheduleExpression::parse(c.expression, Dialect::Rule);
            QVERIFY2(parsed, qPrintable(c.expression));
            for (int i = 0; i < 200; ++i) {
                const std::optional<qint64> next
                    = parsed->nextAfter(start + i * 7 * 24 * kHour, berlin);
                QCOMPARE(next.has_value(), c.fires);
            }
        }
        // 1000 answers; generous for a sanitizer build on a busy machine.
        QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
    }

    void copiesAreIndependentValues()
    {
        auto first = ScheduleExpression::parse(QStringLiteral("cron(0 10 * * ? *)"), Dialect::Rule);
        QVERIFY(first);
        ScheduleExpression copy = *first;
        first = ScheduleExpression::parse(QStringLiteral("rate(5 minutes)"), Dialect::Rule);
        QVERIFY(first);
        QCOMPARE(copy.kind(), Kind::Cron);
        QCOMPARE(copy.text(), QStringLiteral("cron(0 10 * * ? *)"));
        QCOMPARE(show(copy.nextAfter(0, QTimeZone())), show(10 * kHour));
        QCOMPARE(show(first->nextAfter(0, QTimeZone())), show(5 * kMinute));
    }
};

QTEST_GUILESS_MAIN(TestScheduleExpression)
#include "tst_scheduleexpression.moc"
