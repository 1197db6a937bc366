#pragma once

#include "base/result.h"

#include <QDate>
#include <QString>
#include <QTime>
#include <QTimeZone>

#include <memory>
#include <optional>

namespace tarmac {

// An AWS schedule expression, as EventBridge rules and EventBridge Scheduler take them:
//   rate(5 minutes)            a fixed period of minutes, hours or days
//   cron(0 10 ? * MON-FRI *)   minutes hours day-of-month month day-of-week year
//   at(2027-03-28T02:30:00)    once, at a local date-time (Scheduler only)
// parse() is as strict as AWS; nextAfter() computes fire times, in a time zone for cron() and
// at() with EventBridge Scheduler's daylight-saving rules.
//
// Choices where AWS does not say:
//  - Ranges may wrap around in every field but the year: FRI-MON is Fri, Sat, Sun, Mon; hours
//    22-2 are 22, 23, 0, 1, 2; a backward year range is an error.
//  - L, LW, nW (day-of-month) and L, nL, n#k (day-of-week) stand alone in their field, as in
//    Quartz, which AWS cron is modelled on.
//  - A day that a month lacks (31 in April, 29 in February of a common year, the fifth Monday
//    of a month with four) does not fire that month; nW never moves into another month.
//  - Names, L and W are case-insensitive (Quartz upper-cases the expression); the keywords
//    rate, cron, at and the rate units are not.
class ScheduleExpression
{
public:
    enum class Kind { Rate, Cron, At };
    // EventBridge rules accept rate() and cron(); EventBridge Scheduler also accepts at().
    enum class Dialect { Rule, Scheduler };

    // Errors have the code "ValidationException" and a message that starts with the expression
    // and names the problem, e.g. "cron(60 * * * ? *): minutes: 60 is out of range 0-59".
    static Result<ScheduleExpression> parse(const QString &text, Dialect dialect);

    Kind kind() const { return m_kind; }
    QString text() const { return m_text; } // as given
    qint64 rateNs() const { return m_rateNs; } // Rate only
    // At only: the local date-time, in the zone given to nextAfter().
    QDate atDate() const { return m_atDate; }
    QTime atTime() const { return m_atTime; }

    // The first fire time strictly after afterNs (ns since the Unix epoch, UTC), or nullopt
    // when there is none (an at() that has passed, a cron() whose years are over, a time past
    // what qint64 ns can hold: 2262-04-11).
    //  - Rate: anchorNs + k * rateNs for the smallest k >= 0 that is after afterNs. Days are
    //    24-hour periods whatever daylight saving does.
    //  - Cron: minute granularity, in `zone` (UTC when !zone.isValid()), until the end of 2199.
    //    A local time that a spring-forward gap skips does not fire that day; a local time that
    //    a fall-back overlap repeats fires once, at its first occurrence.
    //  - At: the local date-time in `zone`, once. A repeated local time means its first
    //    occurrence; a skipped one means the end of the gap (02:30 on a day that jumps from
    //    02:00 to 03:00 fires at 03:00), so a one-off schedule is late, never lost.
    std::optional<qint64> nextAfter(
        qint64 afterNs, const QTimeZone &zone, qint64 anchorNs = 0) const;

private:
    struct Cron;

    ScheduleExpression() = default;
    std::optional<qint64> nextCron(qint64 afterNs, const QTimeZone &zone) const;

    Kind m_kind = Kind::Rate;
    QString m_text;
    qint64 m_rateNs = 0;
    QDate m_atDate;
    QTime m_atTime;
    std::shared_ptr<const Cron> m_cron; // immutable, so copies share it
};

} // namespace tarmac
