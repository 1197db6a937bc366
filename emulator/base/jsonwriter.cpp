#include "base/jsonwriter.h"

#include "base/json.h"
#include "base/utf8.h"

#include <array>
#include <charconv>
#include <string>
#include <type_traits>

namespace tarmac {

namespace {

// Bytes a JSON string cannot hold as they are: the control characters, '"' and '\\'.
constexpr std::array<bool, 256> kNeedsEscape = [] {
    std::array<bool, 256> table {};
    for (int c = 0; c < 0x20; ++c)
        table[size_t(c)] = true;
    table['"'] = table['\\'] = true;
    return table;
}();

// `utf8` quoted and escaped into a std::string or a QByteArray: a run of plain bytes is found
// with the table and copied at once.
template<typename Out>
void escapeInto(Out &out, std::string_view utf8)
{
    out += '"';
    const char *p = utf8.data();
    const char *const end = p + utf8.size();
    while (p != end) {
        const char *run = p;
        while (p != end && !kNeedsEscape[static_cast<unsigned char>(*p)])
            ++p;
        out.append(run, p - run);
        if (p == end)
            break;
        const auto c = static_cast<unsigned char>(*p++);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default: {
            static constexpr char kHex[] = "0123456789abcdef";
            const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
            out.append(escaped, sizeof escaped);
        }
        }
    }
    out += '"';
}

// A string as nlohmann's dump() writes it: what is not UTF-8 is replaced by its rules.
void stringInto(std::string &out, const std::string &text)
{
    if (isValidUtf8(QByteArrayView(text.data(), qsizetype(text.size())))) {
        escapeInto(out, text);
        return;
    }
    out += Json(text).dump(-1, ' ', false, Json::error_handler_t::replace);
}

template<typename Integer>
void numberInto(std::string &out, Integer n)
{
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof digits, n);
    out.append(digits, size_t(r.ptr - digits));
}

void jsonInto(std::string &out, const Json &value)
{
    switch (value.type()) {
    case Json::value_t::object: {
        out += '{';
        bool first = true;
        for (const auto &[name, member] : *value.get_ptr<const Json::object_t *>()) {
            if (!first)
                out += ',';
            first = false;
            stringInto(out, name);
            out += ':';
            jsonInto(out, member);
        }
        out += '}';
        return;
    }
    case Json::value_t::array: {
        out += '[';
        bool first = true;
        for (const Json &element : *value.get_ptr<const Json::array_t *>()) {
            if (!first)
                out += ',';
            first = false;
            jsonInto(out, element);
        }
        out += ']';
        return;
    }
    case Json::value_t::string:
        stringInto(out, *value.get_ptr<const Json::string_t *>());
        return;
    case Json::value_t::boolean:
        out += *value.get_ptr<const Json::boolean_t *>() ? "true" : "false";
        return;
    case Json::value_t::null:
        out += "null";
        return;
    case Json::value_t::number_integer:
        numberInto(out, *value.get_ptr<const Json::number_integer_t *>());
        return;
    case Json::value_t::number_unsigned:
        numberInto(out, *value.get_ptr<const Json::number_unsigned_t *>());
        return;
    default:
        // Floating point (nlohmann's shortest form), binary, discarded.
        out += value.dump(-1, ' ', false, Json::error_handler_t::replace);
        return;
    }
}

} // namespace

void appendJsonString(QByteArray &out, QByteArrayView text)
{
    if (jsonPlainRun(text.data(), text.size()) == text.size()) {
        out += '"';
        out += text;
        out += '"';
        return;
    }
    if (isValidUtf8(text)) {
        escapeInto(out, std::string_view(text.data(), size_t(text.size())));
    } else {
        const QByteArray replaced = QString::fromUtf8(text).toUtf8();
        escapeInto(out, std::string_view(replaced.constData(), size_t(replaced.size())));
    }
}

JsonWriter::JsonWriter(qsizetype reserve)
{
    m_out.reserve(reserve);
}

void JsonWriter::beforeValue()
{
    if (m_afterKey) {
        m_afterKey = false;
        return;
    }
    if (!m_hasMember.isEmpty()) {
        if (m_hasMember.back())
            m_out += ',';
        m_hasMember.back() = true;
    }
}

JsonWriter &JsonWriter::beginObject()
{
    beforeValue();
    m_out += '{';
    m_hasMember.append(false);
    return *this;
}

JsonWriter &JsonWriter::endObject()
{
    m_out += '}';
    m_hasMember.removeLast();
    return *this;
}

JsonWriter &JsonWriter::beginArray()
{
    beforeValue();
    m_out += '[';
    m_hasMember.append(false);
    return *this;
}

JsonWriter &JsonWriter::endArray()
{
    m_out += ']';
    m_hasMember.removeLast();
    return *this;
}

JsonWriter &JsonWriter::key(QByteArrayView name)
{
    beforeValue();
    appendJsonString(m_out, name);
    m_out += ':';
    m_afterKey = true;
    return *this;
}

void appendJsonString(QByteArray &out, const QString &text)
{
    const auto *chars = reinterpret_cast<const char16_t *>(text.constData());
    if (jsonPlainRun(chars, text.size()) != text.size()) {
        appendJsonString(out, QByteArrayView(text.toUtf8()));
        return;
    }
    const qsizetype at = out.size();
    out.resize(at + text.size() + 2);
    char *to = out.data() + at;
    *to++ = '"';
    for (qsizetype i = 0; i < text.size(); ++i)
        *to++ = char(chars[i]);
    *to = '"';
}

JsonWriter &JsonWriter::key(const QString &name)
{
    beforeValue();
    appendJsonString(m_out, name);
    m_out += ':';
    m_afterKey = true;
    return *this;
}

JsonWriter &JsonWriter::string(QByteArrayView text)
{
    beforeValue();
    appendJsonString(m_out, text);
    return *this;
}

JsonWriter &JsonWriter::string(const QString &text)
{
    beforeValue();
    appendJsonString(m_out, text);
    return *this;
}

JsonWriter &JsonWriter::number(qint64 n)
{
    beforeValue();
    appendNumber(m_out, n);
    return *this;
}

JsonWriter &JsonWriter::boolean(bool b)
{
    beforeValue();
    m_out += b ? "true" : "false";
    return *this;
}

JsonWriter &JsonWriter::null()
{
    beforeValue();
    m_out += "null";
    return *this;
}

JsonWriter &JsonWriter::value(const Json &v)
{
    beforeValue();
    appendJson(m_out, v);
    return *this;
}

void appendJson(QByteArray &out, const Json &value)
{
    std::string text;
    text.reserve(256);
    jsonInto(text, value);
    out.append(text.data(), qsizetype(text.size()));
}

QByteArray jsonBytes(const Json &value)
{
    QByteArray out;
    appendJson(out, value);
    return out;
}

} // namespace tarmac
