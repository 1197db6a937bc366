#include "base/ids.h"

#include <QRandomGenerator>

#include <array>
#include <chrono>
#include <random>

namespace tarmac {

namespace {

// A per-thread generator seeded once: QUuid::createUuid() asks the kernel for randomness on
// every call, and ids are made on every request.
std::mt19937_64 &generator()
{
    thread_local std::mt19937_64 rng = [] {
        std::array<quint32, 8> seed;
        QRandomGenerator::system()->fillRange(seed.data(), seed.size());
        std::seed_seq seq(seed.begin(), seed.end());
        return std::mt19937_64(seq);
    }();
    return rng;
}

// The 128 bits as "xxxxxxxx-xxxx-Vxxx-yxxx-xxxxxxxxxxxx" with version `version` and RFC 4122's
// variant.
QByteArray uuidText(quint64 hi, quint64 lo, unsigned version)
{
    hi = (hi & ~quint64(0xF000)) | (quint64(version) << 12);
    lo = (lo & ~(quint64(0xC) << 60)) | (quint64(0x8) << 60);
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

} // namespace

QByteArray newRequestId()
{
    std::mt19937_64 &rng = generator();
    const quint64 hi = rng();
    return uuidText(hi, rng(), 4);
}

QByteArray newTimeOrderedId()
{
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    std::mt19937_64 &rng = generator();
    // unix_ts_ms (48 bits), the version, rand_a (12 bits); the variant and rand_b (62 bits).
    const quint64 hi = (quint64(ms) << 16) | (rng() & 0xFFF);
    return uuidText(hi, rng(), 7);
}

} // namespace tarmac
