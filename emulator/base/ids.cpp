#include "base/ids.h"

#include <QRandomGenerator>

#include <array>
#include <random>

namespace tarmac {

quint64 random64()
{
    thread_local std::mt19937_64 engine = [] {
        std::array<quint32, 8> seed;
        QRandomGenerator::system()->fillRange(seed.data(), seed.size());
        std::seed_seq seq(seed.begin(), seed.end());
        return std::mt19937_64(seq);
    }();
    return engine();
}

QByteArray newRequestId()
{
    quint64 hi = random64(), lo = random64();
    hi = (hi & ~quint64(0xF000)) | 0x4000; // version 4
    lo = (lo & ~(quint64(0xC) << 60)) | (quint64(0x8) << 60); // RFC 4122 variant
    QByteArray out(36, Qt::Uninitialized);
    char *p = out.data();
    // 8-4-4-4-12 hex digits, each group written from its last digit back.
    const auto group = [&p](quint64 value, int digits) {
        static constexpr char hex[] = "0123456789abcdef";
        for (int i = digits - 1; i >= 0; --i, value >>= 4)
            p[i] = hex[value & 0xF];
        p += digits;
    };
    group(hi >> 32, 8);
    *p++ = '-';
    group(hi >> 16, 4);
    *p++ = '-';
    group(hi, 4);
    *p++ = '-';
    group(lo >> 48, 4);
    *p++ = '-';
    group(lo, 12);
    return out;
}

} // namespace tarmac
