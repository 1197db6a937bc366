#pragma once

#include "trace/span.h"

#include <QByteArray>

namespace tarmac {

// How span attributes are stored in traces.db: a JSON array of [key, type, value] triples
// ("s" string, "i" int64, "d" double, "b" bool). The explicit type keeps an int64 from
// reading back as a double; non-finite doubles, which JSON cannot hold as numbers, travel as
// the strings "NaN", "Infinity" and "-Infinity". The Tracer writes it, the Tracer and
// TraceQuery read it; malformed entries are skipped on reading.
QByteArray encodeAttributes(const Attributes &attributes);
Attributes decodeAttributes(const QByteArray &text);

} // namespace tarmac
