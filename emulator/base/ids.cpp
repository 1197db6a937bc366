#include "base/ids.h"

#include <QRandomGenerator>

#include <array>
#include <random>

namespace tarmac {

void writeHex(char *out, quint64 value, int digits)
{
    static constexpr char hex[] = "0123456789abcdef";
    for (int i = digits - 1; i >= 0; --i, value >>= 4)
        out[i] = hex[value & 0xF];
}

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
    // 8-4-4-4-12 hex digits.
    writeHex(p, hi >> 32, 8);
    p[8] = '-';
    writeHex(p + 9, hi >> 16, 4);
    p[13] = '-';
    writeHex(p + 14, hi, 4);
    p[18] = '-';
    writeHex(p + 19, lo >> 48, 4);
    p[23] = '-';
    writeHex(p + 24, lo, 12);
    return out;
}

} // namespace tarmac
