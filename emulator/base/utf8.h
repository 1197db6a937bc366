#pragma once

#include <QByteArrayView>

#include <bit>
#include <cstring>
#include <type_traits>

namespace tarmac {

// The length of the well-formed UTF-8 sequence that starts at `p`, with `left` bytes from `p`
// to the end of the input (at least 1): 1 to 4, or 0 when it is not UTF-8 (an overlong form,
// a surrogate, a code point above U+10FFFF, a stray or missing continuation byte; RFC 3629's
// table of well-formed sequences).
inline int utf8SequenceLength(const char *p, qsizetype left)
{
    const auto *s = reinterpret_cast<const unsigned char *>(p);
    const auto in = [&](qsizetype i, unsigned lo, unsigned hi) {
        return i < left && s[i] >= lo && s[i] <= hi;
    };
    const unsigned c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return in(1, 0x80, 0xBF) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        const unsigned lo = c == 0xE0 ? 0xA0 : 0x80;
        const unsigned hi = c == 0xED ? 0x9F : 0xBF;
        return in(1, lo, hi) && in(2, 0x80, 0xBF) ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        const unsigned lo = c == 0xF0 ? 0x90 : 0x80;
        const unsigned hi = c == 0xF4 ? 0x8F : 0xBF;
        return in(1, lo, hi) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
    }
    return 0;
}

// How many characters from `p` (bytes or UTF-16 units, `size` of them) a JSON string holds as
// they are: printable ASCII other than '"' and '\\' (so not below 0x20, nor 0x7F and above).
// Looks at eight bytes at a time: keys, ids, digests and most message bodies are such runs,
// and a loop over single characters (GCC does not vectorise one at -O2) was the biggest part
// of writing and reading them.
template<typename Char>
inline qsizetype jsonPlainRun(const Char *p, qsizetype size)
{
    static_assert(sizeof(Char) == 1 || sizeof(Char) == 2);
    using Unit = std::make_unsigned_t<Char>;
    qsizetype i = 0;
    if constexpr (std::endian::native == std::endian::little) {
        constexpr int bits = 8 * sizeof(Char);
        constexpr quint64 lane = (quint64(1) << bits) - 1;
        constexpr quint64 ones = ~quint64(0) / lane; // 0x0101… or 0x0001…
        constexpr quint64 highs = ones << (bits - 1);
        constexpr quint64 nonAscii = ones * (lane & ~quint64(0x7F));
        // A word's characters below n (or equal to c), flagged in their top bit. The lowest
        // flag is always right (a false one only ever sits above a true one), which is all
        // the search needs.
        const auto below = [](quint64 w, quint64 n) { return (w - ones * n) & ~w & highs; };
        const auto equal = [&](quint64 w, quint64 c) { return below(w ^ (ones * c), 1); };
        constexpr qsizetype perWord = 8 / sizeof(Char);
        for (; i + perWord <= size; i += perWord) {
            quint64 w;
            std::memcpy(&w, p + i, 8);
            const quint64 stop
                = (w & nonAscii) | below(w, 0x20) | equal(w, 0x7F) | equal(w, '"') | equal(w, '\\');
            if (stop != 0)
                return i + std::countr_zero(stop) / bits;
        }
    }
    for (; i < size; ++i) {
        const auto c = Unit(p[i]);
        if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\')
            break;
    }
    return i;
}

// Well-formed UTF-8: no overlong forms, surrogates or code points above U+10FFFF.
bool isValidUtf8(QByteArrayView bytes);

} // namespace tarmac
