#pragma once

#include <QByteArray>

namespace tarmac {

// A random version-4 UUID string ("1b4e28ba-2fa1-4d2e-8f3a-…"), as AWS request ids look.
// Cheap enough for every request; thread-safe.
QByteArray newRequestId();

} // namespace tarmac
