#pragma once

#include <QByteArrayView>

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

// Well-formed UTF-8: no overlong forms, surrogates or code points above U+10FFFF.
bool isValidUtf8(QByteArrayView bytes);

} // namespace tarmac
