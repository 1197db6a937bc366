#pragma once

// What the libFuzzer targets share: a check that crashes (so libFuzzer keeps the input), and
// the cutting of one input into pieces the way a socket may deliver it.

#include <QByteArrayView>

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (false)

namespace tarmac::fuzz {

// Calls feed(piece) for consecutive pieces of input: the whole input at once when seed is 0,
// else pieces of 1..maxPiece bytes chosen by a small generator seeded with seed (the same
// input and seed always cut the same way). Stops early when feed returns false; returns
// whether every piece was fed.
template<typename Feed>
bool feedInPieces(QByteArrayView input, unsigned seed, qsizetype maxPiece, Feed &&feed)
{
    qsizetype at = 0;
    unsigned state = seed;
    while (at < input.size()) {
        qsizetype step = input.size() - at;
        if (seed != 0) {
            state = state * 1103515245u + 12345u;
            step = qMin<qsizetype>(step, 1 + (state >> 16) % unsigned(maxPiece));
        }
        const QByteArrayView piece = input.sliced(at, step);
        at += step;
        if (!feed(piece))
            return false;
    }
    return true;
}

} // namespace tarmac::fuzz
