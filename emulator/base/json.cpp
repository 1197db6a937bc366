#include "base/json.h"
#include "base/jsoncompare.h"
#include "base/jsonwriter.h"
#include "base/utf8.h"

#include <charconv>
#include <climits>
#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include <locale.h>

namespace tarmac {

namespace {

// Reads JSON into the same nlohmann::json that Json::parse builds (the same number types,
// strings, and the same documents refused: RFC 8259 with well-formed UTF-8, a leading byte
// order mark skipped, a repeated key's last value kept), at a fraction of its cost: nlohmann's
// lexer reads a byte at a time through an adapter and keeps a copy of every token for its
// messages, and parsing was a sixth of a PutItem. fuzz/fuzz_json.cpp compares the two.
// Documents nested deeper than kMaxDepth are left to Json::parse, whose stack is on the heap.
class JsonReader
{
public:
    static constexpr int kMaxDepth = 200;
    enum class Outcome { Read, Invalid, TooDeep };

    JsonReader(const char *begin, const char *end)
        : m_p(begin)
        , m_end(end)
    { }

    Outcome read(Json &out)
    {
        if (m_end - m_p >= 3 && std::memcmp(m_p, "\xEF\xBB\xBF", 3) == 0)
            m_p += 3;
        skipSpace();
        if (!value(out, 0))
            return m_tooDeep ? Outcome::TooDeep : Outcome::Invalid;
        skipSpace();
        // nlohmann takes a null byte between tokens for the end of the input.
        return m_p == m_end || *m_p == '\0' ? Outcome::Read : Outcome::Invalid;
    }

private:
    static bool isDigit(char c) { return c >= '0' && c <= '9'; }

    void skipSpace()
    {
        while (m_p != m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t'))
            ++m_p;
    }

    bool take(char c)
    {
        if (m_p == m_end || *m_p != c)
            return false;
        ++m_p;
        return true;
    }

    bool value(Json &out, int depth)
    {
        if (m_p == m_end)
            return false;
        switch (*m_p) {
        case '{':
        case '[':
            if (depth >= kMaxDepth) {
                m_tooDeep = true;
                return false;
            }
            return *m_p == '{' ? object(out, depth + 1) : array(out, depth + 1);
        case '"': {
            ++m_p;
            std::string text;
            if (!string(text))
                return false;
            out = std::move(text);
            return true;
        }
        case 't':
            return literal("true", 4) && (out = true, true);
        case 'f':
            return literal("false", 5) && (out = false, true);
        case 'n':
            return literal("null", 4) && (out = nullptr, true);
        default:
            return number(out);
        }
    }

    // An object's members or an array's items, from its opening bracket to `close`: `item`
    // reads one, and commas separate them.
    template<typename Item>
    bool items(char close, Item &&item)
    {
        ++m_p;
        skipSpace();
        if (take(close))
            return true;
        for (;;) {
            if (!item())
                return false;
            skipSpace();
            if (!take(','))
                return take(close);
            skipSpace();
        }
    }

    bool object(Json &out, int depth)
    {
        out = Json::object();
        auto &members = *out.get_ptr<Json::object_t *>();
        return items('}', [&] {
            std::string key;
            if (!take('"') || !string(key))
                return false;
            skipSpace();
            if (!take(':'))
                return false;
            skipSpace();
            // A repeated key: its slot is read again, and the last value stays (as nlohmann).
            return value(members[std::move(key)], depth);
        });
    }

    bool array(Json &out, int depth)
    {
        out = Json::array();
        auto &list = *out.get_ptr<Json::array_t *>();
        return items(']', [&] { return value(list.emplace_back(), depth); });
    }

    bool literal(const char *word, qsizetype size)
    {
        if (m_end - m_p < size || std::memcmp(m_p, word, size_t(size)) != 0)
            return false;
        m_p += size;
        return true;
    }

    // After the opening quote.
    bool string(std::string &out)
    {
        const char *run = m_p;
        for (;;) {
            m_p += jsonPlainRun(m_p, m_end - m_p);
            if (m_p == m_end)
                return false;
            const auto c = static_cast<unsigned char>(*m_p);
            if (c == '"') {
                out.append(run, m_p);
                ++m_p;
                return true;
            }
            if (c == '\\') {
                out.append(run, m_p);
                ++m_p;
                if (!escape(out))
                    return false;
                run = m_p;
            } else if (c < 0x20) {
                return false;
            } else if (c < 0x80) {
                ++m_p;
            } else {
                const int length = utf8SequenceLength(m_p, m_end - m_p);
                if (length == 0)
                    return false;
                m_p += length;
            }
        }
    }

    int hex4()
    {
        if (m_end - m_p < 4)
            return -1;
        int value = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = *m_p++;
            const int digit = c >= '0' && c <= '9' ? c - '0'
                : c >= 'a' && c <= 'f'             ? c - 'a' + 10
                : c >= 'A' && c <= 'F'             ? c - 'A' + 10
                                                   : -1;
            if (digit < 0)
                return -1;
            value = value * 16 + digit;
        }
        return value;
    }

    // After the backslash.
    bool escape(std::string &out)
    {
        if (m_p == m_end)
            return false;
        switch (*m_p++) {
        case '"':
            out += '"';
            return true;
        case '\\':
            out += '\\';
            return true;
        case '/':
            out += '/';
            return true;
        case 'b':
            out += '\b';
            return true;
        case 'f':
            out += '\f';
            return true;
        case 'n':
            out += '\n';
            return true;
        case 'r':
            out += '\r';
            return true;
        case 't':
            out += '\t';
            return true;
        case 'u':
            break;
        default:
            return false;
        }
        int code = hex4();
        if (code < 0 || (code >= 0xDC00 && code <= 0xDFFF))
            return false; // a low surrogate must follow a high one
        if (code >= 0xD800 && code <= 0xDBFF) {
            if (!take('\\') || !take('u'))
                return false;
            const int low = hex4();
            if (low < 0xDC00 || low > 0xDFFF)
                return false;
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        }
        if (code < 0x80) {
            out += char(code);
        } else if (code < 0x800) {
            out += char(0xC0 | (code >> 6));
            out += char(0x80 | (code & 0x3F));
        } else if (code < 0x10000) {
            out += char(0xE0 | (code >> 12));
            out += char(0x80 | ((code >> 6) & 0x3F));
            out += char(0x80 | (code & 0x3F));
        } else {
            out += char(0xF0 | (code >> 18));
            out += char(0x80 | ((code >> 12) & 0x3F));
            out += char(0x80 | ((code >> 6) & 0x3F));
            out += char(0x80 | (code & 0x3F));
        }
        return true;
    }

    // nlohmann's types: an integer without a sign that fits 64 bits is unsigned, one with a
    // minus that fits is signed, anything else (a fraction, an exponent, too many digits) is
    // a double read as strtod reads it, and refused when it is infinite.
    bool number(Json &out)
    {
        const char *start = m_p;
        const bool negative = take('-');
        if (m_p == m_end || !isDigit(*m_p))
            return false;
        if (*m_p == '0') {
            ++m_p;
        } else {
            while (m_p != m_end && isDigit(*m_p))
                ++m_p;
        }
        bool integer = true;
        if (take('.')) {
            integer = false;
            if (m_p == m_end || !isDigit(*m_p))
                return false;
            while (m_p != m_end && isDigit(*m_p))
                ++m_p;
        }
        if (m_p != m_end && (*m_p == 'e' || *m_p == 'E')) {
            integer = false;
            ++m_p;
            if (m_p != m_end && (*m_p == '+' || *m_p == '-'))
                ++m_p;
            if (m_p == m_end || !isDigit(*m_p))
                return false;
            while (m_p != m_end && isDigit(*m_p))
                ++m_p;
        }
        if (integer) {
            if (negative) {
                std::int64_t n = 0;
                if (const auto r = std::from_chars(start, m_p, n); r.ec == std::errc()) {
                    out = n;
                    return true;
                }
            } else {
                std::uint64_t n = 0;
                if (const auto r = std::from_chars(start, m_p, n); r.ec == std::errc()) {
                    out = n;
                    return true;
                }
            }
        }
        // strtod in the C locale, whatever the process's (Qt sets it from the environment).
        static const locale_t cLocale = newlocale(LC_NUMERIC_MASK, "C", locale_t(nullptr));
        const std::string token(start, m_p);
        const double number = strtod_l(token.c_str(), nullptr, cLocale);
        if (!std::isfinite(number))
            return false; // nlohmann refuses a number too large for a double
        out = number;
        return true;
    }

    const char *m_p;
    const char *m_end;
    bool m_tooDeep = false;
};

} // namespace

Result<Json> parseJson(std::string_view bytes)
{
    Json value;
    switch (JsonReader(bytes.data(), bytes.data() + bytes.size()).read(value)) {
    case JsonReader::Outcome::Read:
        return value;
    case JsonReader::Outcome::TooDeep:
        value = Json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
        if (!value.is_discarded())
            return value;
        break;
    case JsonReader::Outcome::Invalid:
        break;
    }
    return makeError(QStringLiteral("SerializationException"),
        QStringLiteral("The request body is not valid JSON"));
}

bool identicalJson(const Json &a, const Json &b)
{
    if (a.type() != b.type())
        return false;
    switch (a.type()) {
    case Json::value_t::object: {
        const auto &x = *a.get_ptr<const Json::object_t *>();
        const auto &y = *b.get_ptr<const Json::object_t *>();
        if (x.size() != y.size())
            return false;
        for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j) {
            if (i->first != j->first || !identicalJson(i->second, j->second))
                return false;
        }
        return true;
    }
    case Json::value_t::array: {
        const auto &x = *a.get_ptr<const Json::array_t *>();
        const auto &y = *b.get_ptr<const Json::array_t *>();
        if (x.size() != y.size())
            return false;
        for (size_t i = 0; i < x.size(); ++i) {
            if (!identicalJson(x[i], y[i]))
                return false;
        }
        return true;
    }
    case Json::value_t::number_float: {
        const double x = a.get<double>();
        const double y = b.get<double>();
        return std::memcmp(&x, &y, sizeof x) == 0;
    }
    default:
        return a == b;
    }
}

Result<Json> parseJson(const QByteArray &bytes)
{
    return parseJson(std::string_view(bytes.constData(), size_t(bytes.size())));
}

QByteArray toJsonBytes(const Json &value, int indent)
{
    if (indent < 0)
        return jsonBytes(value);
    const std::string s = value.dump(indent, ' ', false, Json::error_handler_t::replace);
    return QByteArray(s.data(), qsizetype(s.size()));
}

namespace {

// AWS names members in lower camel case in its messages: EphemeralStorage -> ephemeralStorage.
QString memberName(const char *key)
{
    QString name = QString::fromUtf8(key);
    if (!name.isEmpty())
        name[0] = name[0].toLower();
    return name;
}

// A value as AWS quotes it in a message: a string as its text, anything else as JSON; cut
// short so that a large body does not come back whole in the error.
QString quotedValue(const Json &value)
{
    constexpr qsizetype kMax = 100;
    QString text = value.is_string() ? fromStd(*value.get_ptr<const Json::string_t *>())
                                     : QString::fromUtf8(toJsonBytes(value));
    if (text.size() > kMax)
        text = text.left(kMax) + QStringLiteral("...");
    return text;
}

} // namespace

QString JsonFieldError::message() const
{
    return QStringLiteral("1 validation error detected: Value '%1' at '%2' failed to satisfy "
                          "constraint: %3")
        .arg(value, path, constraint);
}

JsonFields::JsonFields(const Json &object)
    : m_object(object.is_object() ? &object : nullptr)
    , m_error(&m_ownError)
{ }

JsonFields::JsonFields(const Json *object, QString path, std::optional<JsonFieldError> *error)
    : m_object(object)
    , m_path(std::move(path))
    , m_error(error)
{ }

const Json *JsonFields::find(const char *key) const
{
    if (!m_object)
        return nullptr;
    const auto it = m_object->find(key);
    if (it == m_object->end() || it->is_null())
        return nullptr;
    return &*it;
}

QString JsonFields::pathOf(const char *key) const
{
    return m_path.isEmpty() ? memberName(key) : m_path + u'.' + memberName(key);
}

void JsonFields::fail(QString path, const Json &value, QString constraint)
{
    if (!m_error->has_value())
        *m_error = JsonFieldError {std::move(path), std::move(constraint), quotedValue(value)};
}

std::optional<QString> JsonFields::string(const char *key)
{
    const Json *v = find(key);
    if (!v)
        return std::nullopt;
    if (const auto *s = v->get_ptr<const Json::string_t *>())
        return fromStd(*s);
    fail(pathOf(key), *v, QStringLiteral("Member must be a string"));
    return std::nullopt;
}

std::optional<QByteArray> JsonFields::bytes(const char *key)
{
    const Json *v = find(key);
    if (!v)
        return std::nullopt;
    if (const auto *s = v->get_ptr<const Json::string_t *>())
        return QByteArray(s->data(), qsizetype(s->size()));
    fail(pathOf(key), *v, QStringLiteral("Member must be a string"));
    return std::nullopt;
}

std::optional<int> JsonFields::integer(const char *key)
{
    const Json *v = find(key);
    if (!v)
        return std::nullopt;
    const auto outOfRange = [&] {
        fail(pathOf(key), *v,
            QStringLiteral("Member must have value between %1 and %2").arg(INT_MIN).arg(INT_MAX));
        return std::nullopt;
    };
    // Unsigned first: nlohmann's get_ptr for number_integer_t also answers for an unsigned
    // value, whose bits it would then read as signed (18446744073709551615 as -1).
    if (const auto *u = v->get_ptr<const Json::number_unsigned_t *>()) {
        if (*u > Json::number_unsigned_t(INT_MAX))
            return outOfRange();
        return int(*u);
    }
    if (const auto *i = v->get_ptr<const Json::number_integer_t *>()) {
        if (*i < INT_MIN || *i > INT_MAX)
            return outOfRange();
        return int(*i);
    }
    if (const auto *d = v->get_ptr<const Json::number_float_t *>()) {
        if (std::isfinite(*d) && *d == std::trunc(*d)) {
            if (*d < double(INT_MIN) || *d > double(INT_MAX))
                return outOfRange();
            return int(*d);
        }
    }
    fail(pathOf(key), *v, QStringLiteral("Member must be an integer"));
    return std::nullopt;
}

std::optional<bool> JsonFields::boolean(const char *key)
{
    const Json *v = find(key);
    if (!v)
        return std::nullopt;
    if (const auto *b = v->get_ptr<const Json::boolean_t *>())
        return *b;
    fail(pathOf(key), *v, QStringLiteral("Member must be a boolean"));
    return std::nullopt;
}

std::optional<double> JsonFields::number(const char *key)
{
    const Json *v = find(key);
    if (!v)
        return std::nullopt;
    if (v->is_number())
        return v->get<double>();
    fail(pathOf(key), *v, QStringLiteral("Member must be a number"));
    return std::nullopt;
}

std::optional<QStringList> JsonFields::stringList(const char *key)
{
    const Json *v = find(key);
    if (!v)
        return std::nullopt;
    if (!v->is_array()) {
        fail(pathOf(key), *v, QStringLiteral("Member must be a list of strings"));
        return std::nullopt;
    }
    QStringList out;
    out.reserve(qsizetype(v->size()));
    for (const Json &item : *v) {
        const auto *s = item.get_ptr<const Json::string_t *>();
        if (!s) {
            // Lists are numbered from 1 in AWS's member paths.
            fail(pathOf(key) + QStringLiteral(".%1.member").arg(out.size() + 1), item,
                QStringLiteral("Member must be a string"));
            return std::nullopt;
        }
        out.append(fromStd(*s));
    }
    return out;
}

std::optional<QMap<QString, QString>> JsonFields::stringMap(const char *key)
{
    const Json *v = find(key);
    if (!v)
        return std::nullopt;
    if (!v->is_object()) {
        fail(pathOf(key), *v, QStringLiteral("Member must be a map of strings"));
        return std::nullopt;
    }
    QMap<QString, QString> out;
    for (auto it = v->begin(); it != v->end(); ++it) {
        const auto *s = it->get_ptr<const Json::string_t *>();
        if (!s) {
            fail(pathOf(key), *it, QStringLiteral("Map value must be a string"));
            return std::nullopt;
        }
        out.insert(fromStd(it.key()), fromStd(*s));
    }
    return out;
}

JsonFields JsonFields::object(const char *key)
{
    const Json *v = find(key);
    if (v && !v->is_object()) {
        fail(pathOf(key), *v, QStringLiteral("Member must be an object"));
        v = nullptr;
    }
    return JsonFields(v, pathOf(key), m_error);
}

bool JsonFields::forEachObject(const char *key, const std::function<void(JsonFields &item)> &each)
{
    const Json *v = find(key);
    if (!v)
        return false;
    if (!v->is_array()) {
        fail(pathOf(key), *v, QStringLiteral("Member must be a list of objects"));
        return true;
    }
    int number = 0;
    for (const Json &item : *v) {
        const QString path = pathOf(key) + QStringLiteral(".%1.member").arg(++number);
        if (!item.is_object()) {
            fail(path, item, QStringLiteral("Member must be an object"));
            return true;
        }
        JsonFields reader(&item, path, m_error);
        each(reader);
        if (!ok())
            return true;
    }
    return true;
}

} // namespace tarmac
