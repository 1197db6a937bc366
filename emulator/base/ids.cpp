#include "base/ids.h"

#include <QRandomGenerator>

#include <array>
#include <random>

namespace tarmac {

QByteArray newRequestId()
{
    // A version-4 UUID from a per-thread generator seeded once: QUuid::createUuid() asks the
    // kernel for randomness on every call, and this runs on every request.
    thread_local std::mt19937_64 rng = [] {
        std::array<quint32, 8> seed;
        QRandomGenerator::system()->fillRange(seed.data(), seed.size());
        std::seed_seq seq(seed.begin(), seed.end());
        return std::mt19937_64(seq);
    }();
    quint64 hi = rng(), lo = rng();
    hi = (hi & ~quint64(0xF000)) | 0x4000; // version 4
    lo = (lo & ~(quint64(0xC) << 60)) | (quint64(0x8) << 60); // RFC 4122 variant
    static const char digits[] = "0123456789abcdef";
    QByteArray out(36, Qt::Uninitialized);
    char *p = out.data();
    int written = 0;
    for (int i = 0; i < 32; ++i) {
        if (written == 8 || written == 12 || written == 16 || written == 20)
            *p++ = '-';
        const quint64 word = i < 16 ? hi : lo;
        *p++ = digits[(word >> (60 - 4 * (i % 16))) & 0xF];
        ++written;
    }
    return out;
}

} // namespace tarmac
