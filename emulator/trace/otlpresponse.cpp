#include "trace/otlpresponse.h"

#include <QByteArray>
#include <QList>

namespace tarmac {

OtlpResponseHead parseOtlpResponseHead(QByteArrayView head)
{
    OtlpResponseHead out;
    const QList<QByteArray> lines = head.toByteArray().split('\n');
    const QByteArray statusLine = lines.value(0).trimmed();
    out.statusLine = QString::fromLatin1(statusLine.left(200));
    const QList<QByteArray> words = statusLine.split(' ');
    if (words.value(0).startsWith("HTTP/1.")) {
        bool ok = false;
        const int status = words.value(1).toInt(&ok);
        if (ok && status >= 100 && status <= 999)
            out.status = status;
    }
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray &line = lines.at(i);
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (name == "content-length") {
            bool ok = false;
            const qint64 n = value.toLongLong(&ok);
            if (ok && n >= 0)
                out.contentLength = n;
        } else if (name == "transfer-encoding") {
            out.chunked = value.toLower().contains("chunked");
        } else if (name == "connection") {
            out.close = value.toLower() == "close";
        } else if (name == "retry-after") {
            bool ok = false;
            const int seconds = value.toInt(&ok);
            if (ok && seconds >= 0 && seconds <= 3600)
                out.retryAfterMs = seconds * 1000;
        }
    }
    if (out.status == 0 || (!out.chunked && out.contentLength < 0))
        out.close = true; // the body ends with the connection
    return out;
}

} // namespace tarmac
