#pragma once

#include <QDateTime>
#include <QString>

// How the desktop app writes times and durations, in one place so that the axis, tooltips,
// the logs and the inspector agree.
namespace tarmac::format {

// "850 ns", "12.3 µs", "4.56 ms", "1.23 s", "2 min 03 s".
inline QString duration(qint64 ns)
{
    const QLatin1StringView sign(ns < 0 ? "-" : "");
    const auto three = [sign](double v, QStringView unit) {
        const int decimals = v >= 100 ? 0 : v >= 10 ? 1 : 2;
        return QStringLiteral("%1%2 %3").arg(sign).arg(v, 0, 'f', decimals).arg(unit);
    };
    const qint64 a = ns < 0 ? -ns : ns;
    if (a < 1'000)
        return QStringLiteral("%1%2 ns").arg(sign).arg(a);
    if (a < 1'000'000)
        return three(double(a) / 1e3, u"µs");
    if (a < 1'000'000'000)
        return three(double(a) / 1e6, u"ms");
    if (a < 60'000'000'000)
        return three(double(a) / 1e9, u"s");
    const qint64 s = a / 1'000'000'000;
    if (s < 3600)
        return QStringLiteral("%1%2 min %3 s")
            .arg(sign)
            .arg(s / 60)
            .arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1%2 h %3 min")
        .arg(sign)
        .arg(s / 3600)
        .arg((s / 60) % 60, 2, 10, QLatin1Char('0'));
}

// Local wall-clock time of an epoch-nanosecond instant with `digits` decimals of a second:
// "14:03:07", "14:03:07.250", "14:03:07.250125".
inline QString clock(qint64 epochNs, int digits)
{
    const qint64 ms = epochNs >= 0 ? epochNs / 1'000'000 : -((-epochNs + 999'999) / 1'000'000);
    const qint64 subMs = epochNs - ms * 1'000'000; // 0..999999
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(ms);
    const QString out = t.toString(QStringLiteral("HH:mm:ss"));
    if (digits <= 0)
        return out;
    const qint64 fraction = (ms % 1000 + 1000) % 1000 * 1'000'000 + subMs; // ns within the second
    const QString nine = QStringLiteral("%1").arg(fraction, 9, 10, QLatin1Char('0'));
    return QStringLiteral("%1.%2").arg(out, nine.left(std::min(digits, 9)));
}

} // namespace tarmac::format
