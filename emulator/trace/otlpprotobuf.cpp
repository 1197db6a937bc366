#include "trace/otlpprotobuf.h"

#include "base/utf8.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tarmac::otlp {

std::optional<qint64> integerOf(const Json &v)
{
    if (v.is_number_integer())
        return v.get<qint64>();
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (std::isfinite(d) && d >= -9.2e18 && d <= 9.2e18)
            return qint64(d);
        return std::nullopt;
    }
    if (v.is_string()) {
        const std::string &s = *v.get_ptr<const Json::string_t *>();
        if (s.empty())
            return std::nullopt;
        char *end = nullptr;
        errno = 0;
        const long long n = std::strtoll(s.c_str(), &end, 10);
        if (errno || end != s.c_str() + s.size())
            return std::nullopt;
        return qint64(n);
    }
    return std::nullopt;
}

namespace {

// How a member of the JSON document is written (protobuf wire types in brackets).
enum class Type {
    Message, // a nested message [length-delimited]
    String, // [length-delimited]
    HexBytes, // trace and span ids: hex in OTLP/JSON, bytes in protobuf [length-delimited]
    Base64Bytes, // AnyValue.bytesValue [length-delimited]
    Fixed64, // timestamps: decimal strings in OTLP/JSON [64-bit]
    Fixed32, // flags [32-bit]
    Varint, // enums and counts [varint]
    Int64, // AnyValue.intValue: a decimal string or a number [varint]
    Bool, // [varint]
    Double, // [64-bit]; "NaN", "Infinity", "-Infinity" as strings
};

struct MessageSchema;
using SchemaRef = const MessageSchema &(*)();

struct Field
{
    std::string_view name; // lowerCamelCase, as OTLP/JSON spells it
    int number;
    Type type;
    SchemaRef message = nullptr;
};

struct MessageSchema
{
    std::vector<Field> fields;
};

// opentelemetry-proto's messages, by field number; the schemas refer to each other through
// functions, so that AnyValue, ArrayValue and KeyValue can nest.
const MessageSchema &anyValue();

const MessageSchema &keyValue()
{
    static const MessageSchema s {
        {{"key", 1, Type::String}, {"value", 2, Type::Message, anyValue}}};
    return s;
}

const MessageSchema &arrayValue()
{
    static const MessageSchema s {{{"values", 1, Type::Message, anyValue}}};
    return s;
}

const MessageSchema &keyValueList()
{
    static const MessageSchema s {{{"values", 1, Type::Message, keyValue}}};
    return s;
}

const MessageSchema &anyValue()
{
    static const MessageSchema s {{{"stringValue", 1, Type::String}, {"boolValue", 2, Type::Bool},
        {"intValue", 3, Type::Int64}, {"doubleValue", 4, Type::Double},
        {"arrayValue", 5, Type::Message, arrayValue},
        {"kvlistValue", 6, Type::Message, keyValueList}, {"bytesValue", 7, Type::Base64Bytes}}};
    return s;
}

const MessageSchema &resource()
{
    static const MessageSchema s {
        {{"attributes", 1, Type::Message, keyValue}, {"droppedAttributesCount", 2, Type::Varint}}};
    return s;
}

const MessageSchema &scope()
{
    static const MessageSchema s {{{"name", 1, Type::String}, {"version", 2, Type::String},
        {"attributes", 3, Type::Message, keyValue}, {"droppedAttributesCount", 4, Type::Varint}}};
    return s;
}

const MessageSchema &event()
{
    static const MessageSchema s {{{"timeUnixNano", 1, Type::Fixed64}, {"name", 2, Type::String},
        {"attributes", 3, Type::Message, keyValue}, {"droppedAttributesCount", 4, Type::Varint}}};
    return s;
}

const MessageSchema &link()
{
    static const MessageSchema s {{{"traceId", 1, Type::HexBytes}, {"spanId", 2, Type::HexBytes},
        {"traceState", 3, Type::String}, {"attributes", 4, Type::Message, keyValue},
        {"droppedAttributesCount", 5, Type::Varint}, {"flags", 6, Type::Fixed32}}};
    return s;
}

const MessageSchema &status()
{
    static const MessageSchema s {{{"message", 2, Type::String}, {"code", 3, Type::Varint}}};
    return s;
}

const MessageSchema &span()
{
    static const MessageSchema s {{{"traceId", 1, Type::HexBytes}, {"spanId", 2, Type::HexBytes},
        {"traceState", 3, Type::String}, {"parentSpanId", 4, Type::HexBytes},
        {"name", 5, Type::String}, {"kind", 6, Type::Varint},
        {"startTimeUnixNano", 7, Type::Fixed64}, {"endTimeUnixNano", 8, Type::Fixed64},
        {"attributes", 9, Type::Message, keyValue}, {"droppedAttributesCount", 10, Type::Varint},
        {"events", 11, Type::Message, event}, {"droppedEventsCount", 12, Type::Varint},
        {"links", 13, Type::Message, link}, {"droppedLinksCount", 14, Type::Varint},
        {"status", 15, Type::Message, status}, {"flags", 16, Type::Fixed32}}};
    return s;
}

const MessageSchema &scopeSpans()
{
    static const MessageSchema s {{{"scope", 1, Type::Message, scope},
        {"spans", 2, Type::Message, span}, {"schemaUrl", 3, Type::String}}};
    return s;
}

const MessageSchema &resourceSpans()
{
    static const MessageSchema s {{{"resource", 1, Type::Message, resource},
        {"scopeSpans", 2, Type::Message, scopeSpans}, {"schemaUrl", 3, Type::String}}};
    return s;
}

const MessageSchema &traceRequest()
{
    static const MessageSchema s {{{"resourceSpans", 1, Type::Message, resourceSpans}}};
    return s;
}

const MessageSchema &logRecord()
{
    static const MessageSchema s {
        {{"timeUnixNano", 1, Type::Fixed64}, {"severityNumber", 2, Type::Varint},
            {"severityText", 3, Type::String}, {"body", 5, Type::Message, anyValue},
            {"attributes", 6, Type::Message, keyValue}, {"droppedAttributesCount", 7, Type::Varint},
            {"flags", 8, Type::Fixed32}, {"traceId", 9, Type::HexBytes},
            {"spanId", 10, Type::HexBytes}, {"observedTimeUnixNano", 11, Type::Fixed64}}};
    return s;
}

const MessageSchema &scopeLogs()
{
    static const MessageSchema s {{{"scope", 1, Type::Message, scope},
        {"logRecords", 2, Type::Message, logRecord}, {"schemaUrl", 3, Type::String}}};
    return s;
}

const MessageSchema &resourceLogs()
{
    static const MessageSchema s {{{"resource", 1, Type::Message, resource},
        {"scopeLogs", 2, Type::Message, scopeLogs}, {"schemaUrl", 3, Type::String}}};
    return s;
}

const MessageSchema &logsRequest()
{
    static const MessageSchema s {{{"resourceLogs", 1, Type::Message, resourceLogs}}};
    return s;
}

enum WireType : uint32_t { Varint = 0, I64 = 1, Len = 2, I32 = 5 };

void putVarint(std::string &out, uint64_t v)
{
    while (v >= 0x80) {
        out += char(v | 0x80);
        v >>= 7;
    }
    out += char(v);
}

void putTag(std::string &out, int number, WireType wire)
{
    putVarint(out, (uint64_t(number) << 3) | wire);
}

void putLittleEndian(std::string &out, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; ++i)
        out += char((v >> (8 * i)) & 0xff);
}

void putBytes(std::string &out, int number, std::string_view bytes)
{
    putTag(out, number, Len);
    putVarint(out, bytes.size());
    out.append(bytes);
}

std::optional<uint64_t> unsignedOf(const Json &v)
{
    if (v.is_number_unsigned())
        return v.get<uint64_t>();
    if (v.is_string()) {
        const std::string &s = *v.get_ptr<const Json::string_t *>();
        if (s.empty() || s[0] == '-')
            return std::nullopt;
        char *end = nullptr;
        errno = 0;
        const unsigned long long n = std::strtoull(s.c_str(), &end, 10);
        if (errno || end != s.c_str() + s.size())
            return std::nullopt;
        return uint64_t(n);
    }
    if (const auto n = integerOf(v))
        return uint64_t(*n);
    return std::nullopt;
}

void encodeMessage(std::string &out, const Json &object, const MessageSchema &schema);

void encodeField(std::string &out, const Field &field, const Json &v)
{
    switch (field.type) {
    case Type::Message: {
        if (!v.is_object())
            return;
        std::string inner;
        encodeMessage(inner, v, field.message());
        putBytes(out, field.number, inner);
        return;
    }
    case Type::String:
        if (v.is_string())
            putBytes(out, field.number, *v.get_ptr<const Json::string_t *>());
        return;
    case Type::HexBytes:
    case Type::Base64Bytes: {
        if (!v.is_string())
            return;
        const std::string &text = *v.get_ptr<const Json::string_t *>();
        const QByteArray raw = QByteArray::fromRawData(text.data(), qsizetype(text.size()));
        const QByteArray bytes
            = field.type == Type::HexBytes ? QByteArray::fromHex(raw) : QByteArray::fromBase64(raw);
        if (!bytes.isEmpty())
            putBytes(out, field.number, std::string_view(bytes.constData(), size_t(bytes.size())));
        return;
    }
    case Type::Fixed64:
        if (const auto n = unsignedOf(v)) {
            putTag(out, field.number, I64);
            putLittleEndian(out, *n, 8);
        }
        return;
    case Type::Fixed32:
        if (const auto n = unsignedOf(v)) {
            putTag(out, field.number, I32);
            putLittleEndian(out, *n & 0xffffffffu, 4);
        }
        return;
    case Type::Varint:
    case Type::Int64:
        // A negative enum or int64 is ten bytes of two's complement, as protobuf writes it.
        if (const auto n = integerOf(v)) {
            putTag(out, field.number, Varint);
            putVarint(out, uint64_t(*n));
        } else if (const auto u = unsignedOf(v)) {
            putTag(out, field.number, Varint);
            putVarint(out, *u);
        }
        return;
    case Type::Bool:
        if (v.is_boolean()) {
            putTag(out, field.number, Varint);
            putVarint(out, v.get<bool>() ? 1 : 0);
        }
        return;
    case Type::Double: {
        double d = 0;
        if (v.is_number()) {
            d = v.get<double>();
        } else if (v == "NaN") {
            d = std::numeric_limits<double>::quiet_NaN();
        } else if (v == "Infinity") {
            d = std::numeric_limits<double>::infinity();
        } else if (v == "-Infinity") {
            d = -std::numeric_limits<double>::infinity();
        } else {
            return;
        }
        putTag(out, field.number, I64);
        putLittleEndian(out, std::bit_cast<uint64_t>(d), 8);
        return;
    }
    }
}

void encodeMessage(std::string &out, const Json &object, const MessageSchema &schema)
{
    for (const Field &field : schema.fields) {
        const auto it = object.find(field.name);
        if (it == object.end())
            continue;
        if (it->is_array()) {
            for (const Json &element : *it)
                encodeField(out, field, element);
        } else {
            encodeField(out, field, *it);
        }
    }
}

// The members the .proto files declare `repeated`: lists in OTLP/JSON.
bool isRepeated(std::string_view name)
{
    static constexpr std::string_view kRepeated[] = {"resourceSpans", "resourceLogs", "scopeSpans",
        "scopeLogs", "spans", "logRecords", "attributes", "events", "links", "values"};
    return std::find(std::begin(kRepeated), std::end(kRepeated), name) != std::end(kRepeated);
}

struct Reader
{
    const unsigned char *p;
    const unsigned char *end;
    QString problem;

    bool fail(const QString &why)
    {
        if (problem.isEmpty())
            problem = why;
        return false;
    }
    bool varint(uint64_t *out)
    {
        uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (p == end)
                return fail(QStringLiteral("a varint is cut short"));
            const unsigned char b = *p++;
            v |= uint64_t(b & 0x7f) << shift;
            if (!(b & 0x80)) {
                *out = v;
                return true;
            }
        }
        return fail(QStringLiteral("a varint is longer than ten bytes"));
    }
    bool fixed(int bytes, uint64_t *out)
    {
        if (end - p < bytes)
            return fail(QStringLiteral("a fixed-size field is cut short"));
        uint64_t v = 0;
        for (int i = 0; i < bytes; ++i)
            v |= uint64_t(p[i]) << (8 * i);
        p += bytes;
        *out = v;
        return true;
    }
};

bool decodeMessage(
    Reader &r, const unsigned char *end, const MessageSchema &schema, Json *out, int depth);

// One field's value, read as `field` says, into OTLP/JSON.
bool decodeValue(Reader &r, const Field &field, uint32_t wire, Json *value, int depth)
{
    const auto expect = [&](WireType w) {
        return wire == w
            || r.fail(QStringLiteral("field %1 (%2) has wire type %3")
                          .arg(field.number)
                          .arg(QLatin1String(field.name.data(), qsizetype(field.name.size())))
                          .arg(wire));
    };
    switch (field.type) {
    case Type::Message:
    case Type::String:
    case Type::HexBytes:
    case Type::Base64Bytes: {
        uint64_t length = 0;
        if (!expect(Len) || !r.varint(&length))
            return false;
        if (length > uint64_t(r.end - r.p))
            return r.fail(QStringLiteral("a length-delimited field runs past its message"));
        const unsigned char *start = r.p;
        const unsigned char *stop = r.p + length;
        if (field.type == Type::Message) {
            *value = Json::object();
            if (!decodeMessage(r, stop, field.message(), value, depth + 1))
                return false;
            r.p = stop;
            return true;
        }
        r.p = stop;
        const QByteArrayView bytes(reinterpret_cast<const char *>(start), qsizetype(length));
        if (field.type == Type::String) {
            if (!isValidUtf8(bytes))
                return r.fail(QStringLiteral("a string is not UTF-8"));
            *value = std::string(bytes.data(), size_t(bytes.size()));
        } else if (field.type == Type::HexBytes) {
            *value = bytes.toByteArray().toHex().toStdString();
        } else {
            *value = bytes.toByteArray().toBase64().toStdString();
        }
        return true;
    }
    case Type::Fixed64:
    case Type::Double: {
        uint64_t v = 0;
        if (!expect(I64) || !r.fixed(8, &v))
            return false;
        if (field.type == Type::Fixed64) {
            *value = std::to_string(v);
        } else {
            const double d = std::bit_cast<double>(v);
            if (std::isnan(d))
                *value = "NaN";
            else if (std::isinf(d))
                *value = d > 0 ? "Infinity" : "-Infinity";
            else
                *value = d;
        }
        return true;
    }
    case Type::Fixed32: {
        uint64_t v = 0;
        if (!expect(I32) || !r.fixed(4, &v))
            return false;
        *value = v;
        return true;
    }
    case Type::Varint:
    case Type::Int64:
    case Type::Bool: {
        uint64_t v = 0;
        if (!expect(Varint) || !r.varint(&v))
            return false;
        if (field.type == Type::Bool)
            *value = v != 0;
        else if (field.type == Type::Int64)
            *value = std::to_string(int64_t(v));
        else
            *value = int64_t(v);
        return true;
    }
    }
    return false;
}

bool skipField(Reader &r, uint32_t wire)
{
    uint64_t v = 0;
    switch (wire) {
    case Varint:
        return r.varint(&v);
    case I64:
        return r.fixed(8, &v);
    case I32:
        return r.fixed(4, &v);
    case Len:
        if (!r.varint(&v))
            return false;
        if (v > uint64_t(r.end - r.p))
            return r.fail(QStringLiteral("a length-delimited field runs past its message"));
        r.p += v;
        return true;
    default:
        return r.fail(QStringLiteral("wire type %1 is not one OTLP uses").arg(wire));
    }
}

bool decodeMessage(
    Reader &r, const unsigned char *end, const MessageSchema &schema, Json *out, int depth)
{
    if (depth > 64)
        return r.fail(QStringLiteral("messages nest more than 64 deep"));
    const unsigned char *outerEnd = r.end;
    r.end = end;
    while (r.p < end) {
        uint64_t key = 0;
        if (!r.varint(&key))
            return false;
        const auto number = int(std::min<uint64_t>(key >> 3, INT32_MAX));
        const auto wire = uint32_t(key & 7);
        if (number == 0)
            return r.fail(QStringLiteral("field number 0"));
        const auto field = std::find_if(schema.fields.begin(), schema.fields.end(),
            [number](const Field &f) { return f.number == number; });
        if (field == schema.fields.end()) {
            if (!skipField(r, wire))
                return false;
            continue;
        }
        Json value;
        if (!decodeValue(r, *field, wire, &value, depth))
            return false;
        const std::string name(field->name);
        if (isRepeated(field->name)) {
            Json &list = (*out)[name];
            if (!list.is_array())
                list = Json::array();
            list.push_back(std::move(value));
        } else {
            (*out)[name] = std::move(value);
        }
    }
    r.end = outerEnd;
    return true;
}

} // namespace

Result<Json> protobufToJson(QByteArrayView data, Signal signal)
{
    Reader r {reinterpret_cast<const unsigned char *>(data.data()),
        reinterpret_cast<const unsigned char *>(data.data()) + data.size(), {}};
    Json out = Json::object();
    if (!decodeMessage(
            r, r.end, signal == Signal::Traces ? traceRequest() : logsRequest(), &out, 0))
        return makeError(QStringLiteral("InvalidArgument"),
            QStringLiteral("The protobuf body does not decode: %1").arg(r.problem), 400);
    return out;
}

QByteArray jsonToProtobuf(const Json &document, Signal signal)
{
    std::string out;
    if (document.is_object())
        encodeMessage(out, document, signal == Signal::Traces ? traceRequest() : logsRequest());
    return QByteArray(out.data(), qsizetype(out.size()));
}

QByteArray partialSuccessToProtobuf(qint64 rejected, const QString &message)
{
    std::string inner;
    putTag(inner, 1, Varint);
    putVarint(inner, uint64_t(rejected));
    putBytes(inner, 2, message.toStdString());
    std::string out;
    putBytes(out, 1, inner);
    return QByteArray(out.data(), qsizetype(out.size()));
}

QByteArray statusToProtobuf(int code, const QString &message)
{
    std::string out;
    putTag(out, 1, Varint);
    putVarint(out, uint64_t(code));
    putBytes(out, 2, message.toStdString());
    return QByteArray(out.data(), qsizetype(out.size()));
}

} // namespace tarmac::otlp
