#include "trace/tracerows.h"

#include "store/database.h"
#include "trace/attributecodec.h"

namespace tarmac {

Span readSpan(Statement &row)
{
    Span s;
    s.traceId = row.text(0).toLatin1();
    s.spanId = row.text(1).toLatin1();
    s.parentSpanId = row.text(2).toLatin1();
    s.name = row.text(3);
    s.service = row.text(4);
    s.operation = row.text(5);
    s.kind = int(row.int64(6));
    s.startNs = row.int64(7);
    s.endNs = row.int64(8);
    s.statusCode = int(row.int64(9));
    s.statusMessage = row.text(10);
    if (!row.isNull(11))
        s.attributes = decodeAttributes(row.text(11).toUtf8());
    return s;
}

LogRecord readLog(Statement &row)
{
    LogRecord l;
    l.timeNs = row.int64(0);
    l.traceId = row.text(1).toLatin1();
    l.spanId = row.text(2).toLatin1();
    l.source = row.text(3);
    l.requestId = row.text(4);
    l.severity = int(row.int64(5));
    l.text = row.text(6);
    return l;
}

} // namespace tarmac
