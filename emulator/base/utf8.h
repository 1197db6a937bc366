#pragma once

#include <QByteArrayView>

namespace tarmac {

// Well-formed UTF-8: no overlong forms, surrogates or code points above U+10FFFF.
bool isValidUtf8(QByteArrayView bytes);

} // namespace tarmac
