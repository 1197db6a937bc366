#pragma once

#include <QByteArray>

namespace tarmac {

// 64 random bits from a generator of this thread's own, seeded once from the system source:
// ids are drawn on every request from several threads, and a shared generator (or
// QRandomGenerator::global()) serialises them on its lock. Not for secrets.
quint64 random64();

// The low `digits` hex digits of `value`, lower-case, written to out[0 .. digits).
void writeHex(char *out, quint64 value, int digits);

// A random version-4 UUID string ("1b4e28ba-2fa1-4d2e-8f3a-…"), as AWS request ids look.
// Cheap enough for every request; thread-safe.
QByteArray newRequestId();

} // namespace tarmac
