#include "base/utf8.h"

namespace tarmac {

bool isValidUtf8(QByteArrayView bytes)
{
    const char *p = bytes.data();
    const qsizetype n = bytes.size();
    for (qsizetype i = 0; i < n;) {
        if (static_cast<unsigned char>(p[i]) < 0x80) {
            ++i;
            continue;
        }
        const int length = utf8SequenceLength(p + i, n - i);
        if (length == 0)
            return false;
        i += length;
    }
    return true;
}

} // namespace tarmac
