#pragma once

#include <QByteArrayView>
#include <QString>

namespace tarmac {

// What a collector's answer head says (the bytes before the blank line): read by the
// exporter, fuzzed by fuzz_otlpresponse. status 0: not an HTTP/1.x status line.
struct OtlpResponseHead
{
    int status = 0;
    QString statusLine;
    qint64 contentLength = -1;
    bool chunked = false;
    bool close = false; // Connection: close, or a body that ends with the connection
    int retryAfterMs = -1;
};
OtlpResponseHead parseOtlpResponseHead(QByteArrayView head);

} // namespace tarmac
