#pragma once

#include <QByteArray>

namespace tarmac {

// A random version-4 UUID string ("1b4e28ba-2fa1-4d2e-8f3a-…"), as AWS request ids look.
// Cheap enough for every request; thread-safe.
QByteArray newRequestId();

// A version-7 UUID string (RFC 9562): the wall clock's milliseconds, then random bits. Ids
// made one after another sort one after another, so a store's index on them grows at its end
// (a delivery's id, written on every invocation); still a UUID as AWS request ids are.
QByteArray newTimeOrderedId();

} // namespace tarmac
