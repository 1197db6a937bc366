#include "services/events/scheduleexpression.h"

#include <QDateTime>

#include <bit>
#include <bitset>
#include <limits>

namespace tarmac {

namespace {

constexpr qint64 kNsPerSecond = 1'000'000'000;
constexpr qint64 kSecondsPerDay = 86'400;
constexpr qint64 kEpochJulianDay = 2'440'588; // 1970-01-01
constexpr int kFirstYear = 1970;
constexpr int kLastYear = 2199;
constexpr int kMaxSpan = kLastYear - kFirstYear + 1; // the widest field: the years
constexpr qsizetype kMaxLength = 256; // PutRule's and CreateSchedule's limit

// Values of one field, bit i standing for min + i.
using Bits = std::bitset<kMaxSpan>;

const char *const kMonthNames[]
    = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const char *const kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

// One cron field's syntax. Every field but the year is cyclic, so its ranges may wrap around.
struct Field
{
    const char *name;
    int min = 0, max = 0;
    const char *const *names = nullptr; // the names of min..max, or null
    bool steps = true; // '/' allowed
    bool wraps = true;

    int span() const { return max - min + 1; }
};

const Field kMinutes {"minutes", 0, 59};
const Field kHours {"hours", 0, 23};
const Field kDaysOfMonth {"day-of-month", 1, 31};
const Field kMonths {"month", 1, 12, kMonthNames};
const Field kDaysOfWeek {"day-of-week", 1, 7, kDayNames, false};
const Field kYears {"year", kFirstYear, kLastYear, nullptr, true, false};

Error invalid(const QString &message)
{
    return makeError(QStringLiteral("ValidationException"), message, 400);
}

Error fieldError(const Field &field, const QString &message)
{
    return invalid(QStringLiteral("%1: %2").arg(QLatin1String(field.name), message));
}

bool isDigits(QStringView s)
{
    if (s.isEmpty())
        return false;
    for (QChar c : s) {
        if (c < u'0' || c > u'9')
            return false;
    }
    return true;
}

qint64 floorDiv(qint64 a, qint64 b)
{
    return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
}

// 1 = Sunday ... 7 = Saturday, as cron counts.
int cronWeekday(const QDate &date)
{
    return date.dayOfWeek() % 7 + 1;
}

qint64 localSeconds(const QDate &date, int hour, int minute, int second)
{
    return (date.toJulianDay() - kEpochJulianDay) * kSecondsPerDay + hour * 3600 + minute * 60
        + second;
}

int offsetAt(const QTimeZone &zone, qint64 utcSeconds)
{
    return zone.offsetFromUtc(QDateTime::fromSecsSinceEpoch(utcSeconds, Qt::UTC));
}

// The UTC second at which the wall-clock second `local` (seconds since 1970 as if the zone were
// UTC) first happens in `zone`, or nullopt when a spring-forward gap skips it. The offsets a day
// either side cover the usual single transition; the offsets those candidates land on cover
// zones that move twice in quick succession.
std::optional<qint64> firstOccurrence(qint64 local, const QTimeZone &zone)
{
    if (!zone.isValid())
        return local;
    std::optional<qint64> best;
    int tried[4];
    int count = 0;
    auto attempt = [&](int offset) {
        for (int i = 0; i < count; ++i) {
            if (tried[i] == offset)
                return;
        }
        tried[count++] = offset;
        const qint64 utc = local - offset;
        if (offsetAt(zone, utc) == offset && (!best || utc < *best))
            best = utc;
    };
    const int before = offsetAt(zone, local - kSecondsPerDay);
    const int after = offsetAt(zone, local + kSecondsPerDay);
    attempt(before);
    attempt(after);
    if (!best) {
        attempt(offsetAt(zone, local - before));
        attempt(offsetAt(zone, local - after));
    }
    return best;
}

// The end of the spring-forward gap that skips `local`: the first UTC second whose wall-clock
// time is past it. Wall-clock time only moves forward across a gap, so a binary search works.
qint64 gapEnd(qint64 local, const QTimeZone &zone)
{
    const int before = offsetAt(zone, local - kSecondsPerDay);
    const int after = offsetAt(zone, local + kSecondsPerDay);
    qint64 lo = local - after; // still before the gap in wall-clock time
    qint64 hi = local - before; // already after it
    if (hi <= lo)
        return hi;
    while (hi - lo > 1) {
        const qint64 mid = lo + (hi - lo) / 2;
        if (mid + offsetAt(zone, mid) > local)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

Result<int> parseValue(QStringView token, const Field &field)
{
    if (token.isEmpty())
        return fieldError(field, QStringLiteral("a value is missing"));
    if (isDigits(token)) {
        const int value = token.size() > 4 ? std::numeric_limits<int>::max() : token.toInt();
        if (value < field.min || value > field.max)
            return fieldError(field,
                QStringLiteral("%1 is out of range %2-%3")
                    .arg(token.toString())
                    .arg(field.min)
                    .arg(field.max));
        return value;
    }
    if (field.names) {
        for (int i = 0; i < field.span(); ++i) {
            if (token.compare(QLatin1String(field.names[i]), Qt::CaseInsensitive) == 0)
                return field.min + i;
        }
        return fieldError(field,
            QStringLiteral("'%1' is neither a number %2-%3 nor a name %4-%5")
                .arg(token.toString())
                .arg(field.min)
                .arg(field.max)
                .arg(QLatin1String(field.names[0]), QLatin1String(field.names[field.span() - 1])));
    }
    if (token == u"?")
        return fieldError(
            field, QStringLiteral("? is allowed only in day-of-month or day-of-week"));
    return fieldError(field, QStringLiteral("'%1' is not a number").arg(token.toString()));
}

// One list item: a value, a range a-b, or *, each optionally followed by /increment. "5/15"
// runs from 5 to the field's end, as in Quartz.
Result<void> addItem(QStringView item, const Field &field, Bits &bits)
{
    QStringView base = item;
    int step = 1;
    const qsizetype slash = item.indexOf(u'/');
    if (slash >= 0) {
        if (!field.steps)
            return fieldError(field, QStringLiteral("increments (/) are not allowed"));
        const QStringView increment = item.sliced(slash + 1);
        step = isDigits(increment) && increment.size() <= 4 ? increment.toInt() : 0;
        if (step < 1 || step > field.span())
            return fieldError(field,
                QStringLiteral("the increment in '%1' must be a number 1-%2")
                    .arg(item.toString())
                    .arg(field.span()));
        base = item.first(slash);
    }
    int from = field.min;
    int to = field.max;
    if (base != u"*") {
        const qsizetype dash = base.indexOf(u'-');
        const Result<int> first = parseValue(dash >= 0 ? base.first(dash) : base, field);
        if (!first)
            return first.error();
        from = *first;
        if (dash >= 0) {
            const Result<int> last = parseValue(base.sliced(dash + 1), field);
            if (!last)
                return last.error();
            to = *last;
            if (to < from && !field.wraps)
                return fieldError(
                    field, QStringLiteral("the range %1 runs backwards").arg(base.toString()));
        } else if (slash < 0) {
            to = from;
        }
    }
    // A wrapping range (FRI-MON, 22-2) goes through the field's end and on from its start.
    const int span = field.span();
    const int length = (to - from + span) % span;
    for (int offset = 0; offset <= length; offset += step)
        bits.set((from - field.min + offset) % span);
    return {};
}

Result<Bits> parseList(QStringView text, const Field &field)
{
    if (text.contains(u'?') && text != u"?")
        return fieldError(field, QStringLiteral("? stands alone"));
    Bits bits;
    for (QStringView item : text.split(u',')) {
        const Result<void> added = addItem(item, field, bits);
        if (!added)
            return added.error();
    }
    return bits;
}

template<typename Mask>
Mask toMask(const Bits &bits, int shift)
{
    Mask mask = 0;
    for (size_t i = 0; i < bits.size(); ++i) {
        if (bits.test(i))
            mask |= Mask(1) << (i + size_t(shift));
    }
    return mask;
}

} // namespace

// The parsed fields. Only one of day-of-month and day-of-week is given (the other is ?), so
// the days of a month come from one rule.
struct ScheduleExpression::Cron
{
    enum class DayRule {
        DaysOfMonth, // days: 1-31
        LastDay, // L
        LastWeekday, // LW
        NearestWeekday, // nW: day
        DaysOfWeek, // weekdays
        LastOfMonth, // nL: weekday
        NthOfMonth, // n#k: weekday, nth
    };

    quint64 minutes = 0; // bit m
    quint32 hours = 0; // bit h
    quint16 months = 0; // bit m, 1-12
    Bits years; // bit y - 1970
    DayRule dayRule = DayRule::DaysOfMonth;
    quint32 days = 0; // bit d, 1-31
    quint8 weekdays = 0; // bit w, 1-7 (1 = Sunday)
    int day = 0;
    int weekday = 0;
    int nth = 0;

    quint32 daysIn(int year, int month) const;
    Result<void> parseDaysOfMonth(QStringView text); // ?, L, LW, nW, or a list
    Result<void> parseDaysOfWeek(QStringView text); // ?, L, nL, n#k, or a list
};

// The days of a month that fire, as a mask with bit d for day d.
quint32 ScheduleExpression::Cron::daysIn(int year, int month) const
{
    const QDate first(year, month, 1);
    const int length = first.daysInMonth();
    const int firstWeekday = cronWeekday(first);
    auto weekdayOf = [firstWeekday](int d) { return (firstWeekday - 1 + d - 1) % 7 + 1; };
    const quint32 all = ((quint32(1) << length) - 1) << 1;
    switch (dayRule) {
    case DayRule::DaysOfMonth:
        return days & all;
    case DayRule::LastDay:
        return quint32(1) << length;
    case DayRule::LastWeekday: {
        const int w = weekdayOf(length);
        return quint32(1) << (w == 7 ? length - 1 : w == 1 ? length - 2 : length);
    }
    case DayRule::NearestWeekday: {
        if (day > length)
            return 0;
        // Saturday moves to Friday and Sunday to Monday, unless that leaves the month.
        const int w = weekdayOf(day);
        int d = day;
        if (w == 7)
            d = day == 1 ? 3 : day - 1;
        else if (w == 1)
            d = day == length ? day - 2 : day + 1;
        return quint32(1) << d;
    }
    case DayRule::DaysOfWeek: {
        quint32 mask = 0;
        for (int d = 1; d <= length; ++d) {
            if (weekdays >> weekdayOf(d) & 1)
                mask |= quint32(1) << d;
        }
        return mask;
    }
    case DayRule::LastOfMonth: {
        int d = length;
        while (weekdayOf(d) != weekday)
            --d;
        return quint32(1) << d;
    }
    case DayRule::NthOfMonth: {
        const int d = 1 + (weekday - firstWeekday + 7) % 7 + 7 * (nth - 1);
        return d <= length ? quint32(1) << d : 0;
    }
    }
    return 0;
}

Result<ScheduleExpression> ScheduleExpression::parse(const QString &text, Dialect dialect)
{
    const bool scheduler = dialect == Dialect::Scheduler;
    if (text.size() > kMaxLength)
        return invalid(
            QStringLiteral("a schedule expression is at most %1 characters").arg(kMaxLength));
    auto fail = [&text](const QString &message) {
        return invalid(QStringLiteral("%1: %2").arg(text, message));
    };
    auto failWith = [&text](const Error &error) {
        return invalid(QStringLiteral("%1: %2").arg(text, error.message));
    };

    ScheduleExpression expression;
    expression.m_text = text;
    QStringView inner;
    bool known = false;
    for (const auto &[kind, prefix] : {std::pair {Kind::Rate, QLatin1String("rate(")},
             std::pair {Kind::Cron, QLatin1String("cron(")},
             std::pair {Kind::At, QLatin1String("at(")}}) {
        if (text.startsWith(prefix)) {
            expression.m_kind = kind;
            inner = QStringView(text).sliced(prefix.size());
            known = true;
            break;
        }
    }
    if (!known)
        return invalid(text.isEmpty()
                ? QStringLiteral("the schedule expression is empty")
                : QStringLiteral("'%1' is not a schedule expression; use %2")
                      .arg(text,
                          scheduler ? QStringLiteral("rate(...), cron(...) or at(...)")
                                    : QStringLiteral("rate(...) or cron(...)")));
    if (!inner.endsWith(u')'))
        return fail(QStringLiteral("the expression must end with )"));
    inner.chop(1);

    switch (expression.m_kind) {
    case Kind::Rate: {
        const QList<QStringView> parts = inner.split(u' ');
        if (parts.size() != 2)
            return fail(QStringLiteral("expected a value and a unit separated by one space, as in "
                                       "rate(5 minutes)"));
        const QStringView value = parts[0];
        const QStringView unit = parts[1];
        if (!isDigits(value) || value.startsWith(u'0'))
            return fail(
                QStringLiteral("the value must be a positive whole number (no sign, no leading "
                               "zeros)"));
        qint64 unitNs = 0;
        if (unit == u"minute" || unit == u"minutes")
            unitNs = 60 * kNsPerSecond;
        else if (unit == u"hour" || unit == u"hours")
            unitNs = 3600 * kNsPerSecond;
        else if (unit == u"day" || unit == u"days")
            unitNs = kSecondsPerDay * kNsPerSecond;
        else
            return fail(QStringLiteral("unknown unit '%1'; use minutes, hours or days")
                            .arg(unit.toString()));
        const bool plural = unit.endsWith(u's');
        if (value == u"1" && plural)
            return fail(QStringLiteral("a value of 1 takes the singular unit, as in rate(1 %1)")
                            .arg(unit.chopped(1).toString()));
        if (value != u"1" && !plural)
            return fail(QStringLiteral("a value above 1 takes the plural unit, as in rate(%1 %2s)")
                            .arg(value.toString(), unit.toString()));
        const qint64 count = value.size() > 12 ? 0 : value.toLongLong();
        if (count <= 0 || count > std::numeric_limits<qint64>::max() / unitNs)
            return fail(QStringLiteral("the rate is too long"));
        expression.m_rateNs = count * unitNs;
        return expression;
    }
    case Kind::At: {
        if (!scheduler)
            return fail(QStringLiteral(
                "at() is only for EventBridge Scheduler; rules take rate() or cron()"));
        // Exactly yyyy-mm-ddThh:mm:ss.
        static const char pattern[] = "dddd-dd-ddTdd:dd:dd";
        bool shaped = inner.size() == qsizetype(sizeof(pattern) - 1);
        for (qsizetype i = 0; shaped && i < inner.size(); ++i) {
            shaped = pattern[i] == 'd' ? (inner[i] >= u'0' && inner[i] <= u'9')
                                       : inner[i] == QLatin1Char(pattern[i]);
        }
        if (!shaped)
            return fail(QStringLiteral("expected a date-time as yyyy-mm-ddThh:mm:ss"));
        const QDate date(
            inner.sliced(0, 4).toInt(), inner.sliced(5, 2).toInt(), inner.sliced(8, 2).toInt());
        const int hour = inner.sliced(11, 2).toInt();
        const int minute = inner.sliced(14, 2).toInt();
        const int second = inner.sliced(17, 2).toInt();
        if (!date.isValid())
            return fail(QStringLiteral("%1 is not a date").arg(inner.first(10).toString()));
        if (hour > 23 || minute > 59 || second > 59)
            return fail(QStringLiteral("%1 is not a time").arg(inner.sliced(11).toString()));
        expression.m_atDate = date;
        expression.m_atTime = QTime(hour, minute, second);
        return expression;
    }
    case Kind::Cron:
        break;
    }

    const QList<QStringView> fields = inner.split(u' ');
    if (inner.isEmpty() || fields.size() != 6) {
        if (!inner.isEmpty() && fields.contains(QStringView()))
            return fail(QStringLiteral("the fields must be separated by single spaces"));
        return fail(QStringLiteral("expected 6 fields (minutes hours day-of-month month "
                                   "day-of-week year), found %1")
                        .arg(inner.isEmpty() ? 0 : fields.size()));
    }
    if (fields.contains(QStringView()))
        return fail(QStringLiteral("the fields must be separated by single spaces"));
    const bool anyDayOfMonth = fields[2] == u"?";
    const bool anyDayOfWeek = fields[4] == u"?";
    if (anyDayOfMonth && anyDayOfWeek)
        return fail(QStringLiteral("the day-of-month and day-of-week fields cannot both be ?; "
                                   "use ? in exactly one of them"));
    if (!anyDayOfMonth && !anyDayOfWeek)
        return fail(QStringLiteral("the day-of-month and day-of-week fields cannot both be "
                                   "specified; use ? in one of them"));

    auto cron = std::make_shared<Cron>();
    const Result<Bits> minutes = parseList(fields[0], kMinutes);
    if (!minutes)
        return failWith(minutes.error());
    const Result<Bits> hours = parseList(fields[1], kHours);
    if (!hours)
        return failWith(hours.error());
    const Result<Bits> months = parseList(fields[3], kMonths);
    if (!months)
        return failWith(months.error());
    const Result<Bits> years = parseList(fields[5], kYears);
    if (!years)
        return failWith(years.error());
    const Result<void> days
        = anyDayOfMonth ? cron->parseDaysOfWeek(fields[4]) : cron->parseDaysOfMonth(fields[2]);
    if (!days)
        return failWith(days.error());
    cron->minutes = toMask<quint64>(*minutes, 0);
    cron->hours = toMask<quint32>(*hours, 0);
    cron->months = toMask<quint16>(*months, 1);
    cron->years = *years;
    expression.m_cron = std::move(cron);
    return expression;
}

Result<void> ScheduleExpression::Cron::parseDaysOfMonth(QStringView text)
{
    const Field &field = kDaysOfMonth;
    if (text.compare(u"L", Qt::CaseInsensitive) == 0) {
        dayRule = DayRule::LastDay;
        return {};
    }
    if (text.compare(u"LW", Qt::CaseInsensitive) == 0) {
        dayRule = DayRule::LastWeekday;
        return {};
    }
    if (text.endsWith(u'W', Qt::CaseInsensitive)) {
        const QStringView token = text.chopped(1);
        if (!isDigits(token))
            return fieldError(field, QStringLiteral("W follows a single day, as in 15W"));
        const Result<int> value = parseValue(token, field);
        if (!value)
            return value.error();
        dayRule = DayRule::NearestWeekday;
        day = *value;
        return {};
    }
    if (text.contains(u'L', Qt::CaseInsensitive) || text.contains(u'W', Qt::CaseInsensitive))
        return fieldError(field, QStringLiteral("L, LW and nW stand alone, as in L or 15W"));
    if (text.contains(u'#'))
        return fieldError(field, QStringLiteral("# belongs in the day-of-week field"));
    const Result<Bits> list = parseList(text, field);
    if (!list)
        return list.error();
    dayRule = DayRule::DaysOfMonth;
    days = toMask<quint32>(*list, 1);
    return {};
}

Result<void> ScheduleExpression::Cron::parseDaysOfWeek(QStringView text)
{
    const Field &field = kDaysOfWeek;
    // No day name contains L, so a trailing L is the "last" marker.
    if (text.compare(u"L", Qt::CaseInsensitive) == 0) {
        dayRule = DayRule::DaysOfWeek;
        weekdays = quint8(1u << 7); // Saturday, the last day of the week
        return {};
    }
    if (text.endsWith(u'L', Qt::CaseInsensitive)) {
        const QStringView token = text.chopped(1);
        if (token.contains(u',') || token.contains(u'-') || token.contains(u'#'))
            return fieldError(field, QStringLiteral("L follows a single day, as in 6L"));
        const Result<int> value = parseValue(token, field);
        if (!value)
            return value.error();
        dayRule = DayRule::LastOfMonth;
        weekday = *value;
        return {};
    }
    if (text.contains(u'L', Qt::CaseInsensitive))
        return fieldError(field, QStringLiteral("L stands alone or follows one day, as in 6L"));
    const qsizetype hash = text.indexOf(u'#');
    if (hash >= 0) {
        const QStringView token = text.first(hash);
        const QStringView occurrence = text.sliced(hash + 1);
        if (token.contains(u',') || token.contains(u'-') || occurrence.contains(u','))
            return fieldError(field, QStringLiteral("# stands alone, as in 3#2"));
        const Result<int> value = parseValue(token, field);
        if (!value)
            return value.error();
        const int n = isDigits(occurrence) && occurrence.size() == 1 ? occurrence.toInt() : 0;
        if (n < 1 || n > 5)
            return fieldError(
                field, QStringLiteral("the occurrence in %1 must be 1-5").arg(text.toString()));
        dayRule = DayRule::NthOfMonth;
        weekday = *value;
        nth = n;
        return {};
    }
    const Result<Bits> list = parseList(text, field);
    if (!list)
        return list.error();
    dayRule = DayRule::DaysOfWeek;
    weekdays = toMask<quint8>(*list, 1);
    return {};
}

std::optional<qint64> ScheduleExpression::nextAfter(
    qint64 afterNs, const QTimeZone &zone, qint64 anchorNs) const
{
    switch (m_kind) {
    case Kind::Rate: {
        if (afterNs < anchorNs)
            return anchorNs;
        // Unsigned, so that distances across the whole qint64 range do not overflow.
        const quint64 distance = quint64(afterNs) - quint64(anchorNs);
        const quint64 rate = quint64(m_rateNs);
        const quint64 passed = distance - distance % rate; // k - 1 periods
        const quint64 room = quint64(std::numeric_limits<qint64>::max()) - quint64(anchorNs);
        if (passed > room || room - passed < rate)
            return std::nullopt;
        return qint64(quint64(anchorNs) + passed + rate);
    }
    case Kind::At: {
        const qint64 local
            = localSeconds(m_atDate, m_atTime.hour(), m_atTime.minute(), m_atTime.second());
        // A repeated time fires at its first occurrence, a skipped one when the gap ends.
        const std::optional<qint64> first = firstOccurrence(local, zone);
        const qint64 utc = first ? *first : gapEnd(local, zone);
        constexpr qint64 limit = std::numeric_limits<qint64>::max() / kNsPerSecond;
        if (utc <= -limit || utc >= limit || utc * kNsPerSecond <= afterNs)
            return std::nullopt;
        return utc * kNsPerSecond;
    }
    case Kind::Cron:
        return nextCron(afterNs, zone);
    }
    return std::nullopt;
}

// Walks the local calendar forward from afterNs's wall-clock minute, skipping whole years,
// months, days and hours that the fields exclude, so that a rare or finished schedule costs
// at most a few thousand cheap steps. Each candidate maps to its first UTC occurrence (none in
// a gap); those grow with wall-clock time, so the first one after afterNs is the answer.
std::optional<qint64> ScheduleExpression::nextCron(qint64 afterNs, const QTimeZone &zone) const
{
    const Cron &cron = *m_cron;
    const qint64 afterSeconds = floorDiv(afterNs, kNsPerSecond);
    if (afterSeconds >= (qint64(kLastYear + 1 - kFirstYear) * 366 + 2) * kSecondsPerDay)
        return std::nullopt; // past 2199 in any zone: spares the offset lookup of an extreme time
    const qint64 localStart = afterSeconds + (zone.isValid() ? offsetAt(zone, afterSeconds) : 0);
    const qint64 startDay = floorDiv(localStart, kSecondsPerDay);
    QDate start = QDate::fromJulianDay(kEpochJulianDay + startDay);
    int startHour = int((localStart - startDay * kSecondsPerDay) / 3600);
    int startMinute = int((localStart - startDay * kSecondsPerDay) % 3600 / 60);
    if (start.year() < kFirstYear) {
        start = QDate(kFirstYear, 1, 1);
        startHour = startMinute = 0;
    }

    for (int year = start.year(); year <= kLastYear; ++year) {
        if (!cron.years.test(size_t(year - kFirstYear)))
            continue;
        const bool firstYear = year == start.year();
        for (int month = firstYear ? start.month() : 1; month <= 12; ++month) {
            if (!(cron.months >> month & 1))
                continue;
            const bool firstMonth = firstYear && month == start.month();
            quint32 days = cron.daysIn(year, month);
            if (firstMonth)
                days &= ~((quint32(1) << start.day()) - 1);
            for (; days; days &= days - 1) {
                const int day = std::countr_zero(days);
                const QDate date(year, month, day);
                const bool firstDay = firstMonth && day == start.day();
                for (int hour = firstDay ? startHour : 0; hour < 24; ++hour) {
                    if (!(cron.hours >> hour & 1))
                        continue;
                    const bool firstHour = firstDay && hour == startHour;
                    for (int minute = firstHour ? startMinute : 0; minute < 60; ++minute) {
                        if (!(cron.minutes >> minute & 1))
                            continue;
                        const std::optional<qint64> utc
                            = firstOccurrence(localSeconds(date, hour, minute, 0), zone);
                        if (utc && *utc * kNsPerSecond > afterNs)
                            return *utc * kNsPerSecond;
                    }
                }
            }
        }
    }
    return std::nullopt;
}

} // namespace tarmac
