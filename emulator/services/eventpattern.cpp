#include "services/eventpattern.h"

#include <QString>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The checks and their reasons are event-ruler's (JsonRuleCompiler, CIDR, WildcardParser),
// the engine behind EventBridge, whose messages InvalidEventPatternException carries.
namespace tarmac {

namespace {

// A bound on a pattern's nesting (Jackson's default; event-ruler parses with Jackson), so that
// the recursion below stays shallow.
constexpr int kMaxDepth = 1000;
// Lists nested in lists in an event: deeper ones are not looked into (an event is untrusted
// and its nesting is not bounded by the pattern's).
constexpr int kMaxListDepth = 64;

// Names event-ruler keeps for operators: a field of an object inside "$or" may not be one.
constexpr std::string_view kReservedInOr[] = {"exactly", "equals-ignore-case", "prefix", "suffix",
    "anything-but", "exists", "wildcard", "numeric", "cidr", "=", "<", "<=", ">", ">=", "regex",
    "not-wildcard", "not-equals-ignore-case", "date-after", "date-on-or-after", "date-before",
    "date-on-or-before", "in-date-range", "ip-address-in-range", "ip-address-not-in-range"};

bool isAscii(std::string_view s)
{
    return std::all_of(
        s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

char foldAscii(char c)
{
    return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

// `folded` is ASCII in lower case.
bool equalsFolded(std::string_view value, std::string_view folded)
{
    return value.size() == folded.size()
        && std::equal(value.begin(), value.end(), folded.begin(),
            [](char v, char f) { return foldAscii(v) == f; });
}

QString fromUtf8(std::string_view s)
{
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

// An address: 4 or 16 bytes, network order.
struct Address
{
    std::array<unsigned char, 16> bytes {};
    int size = 0;
};

// What looks like an address to event-ruler (its two regular expressions) and parses as one.
enum class AddressShape { None, Invalid, Valid };

AddressShape parseAddress(std::string_view s, Address &out)
{
    const auto isDigit = [](char c) { return c >= '0' && c <= '9'; };
    const auto isHexOrColon = [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
            || c == ':';
    };
    bool v4 = !s.empty() && isDigit(s.front()) && isDigit(s.back());
    int dots = 0;
    for (size_t i = 0; v4 && i < s.size(); ++i) {
        if (s[i] == '.') {
            v4 = ++dots <= 3 && isDigit(s[i + 1]); // the last character is a digit
        } else {
            v4 = isDigit(s[i]);
        }
    }
    v4 = v4 && dots == 3;
    const bool v6 = !v4 && s.find(':') != std::string_view::npos
        && std::all_of(s.begin(), s.end(), isHexOrColon);
    if (!v4 && !v6)
        return AddressShape::None;
    char text[64];
    if (s.size() >= sizeof text)
        return AddressShape::Invalid;
    std::memcpy(text, s.data(), s.size());
    text[s.size()] = '\0';
    if (inet_pton(v4 ? AF_INET : AF_INET6, text, out.bytes.data()) != 1)
        return AddressShape::Invalid;
    out.size = v4 ? 4 : 16;
    return AddressShape::Valid;
}

// A string operand; `bytes` in lower case when the operator ignores case and it is ASCII
// (the common case, compared byte by byte), else `unicode` for Qt's case-insensitive compare.
struct Text
{
    std::string bytes;
    QString unicode;
    bool ascii = true;
};

Text makeText(std::string s, bool ignoreCase)
{
    Text t;
    t.ascii = isAscii(s);
    if (ignoreCase && t.ascii)
        std::transform(s.begin(), s.end(), s.begin(), foldAscii);
    else if (ignoreCase)
        t.unicode = QString::fromStdString(s);
    t.bytes = std::move(s);
    return t;
}

bool equalsIgnoringCase(std::string_view v, const Text &t)
{
    return t.ascii ? equalsFolded(v, t.bytes)
                   : fromUtf8(v).compare(t.unicode, Qt::CaseInsensitive) == 0;
}

bool startsIgnoringCase(std::string_view v, const Text &t)
{
    if (!t.ascii)
        return fromUtf8(v).startsWith(t.unicode, Qt::CaseInsensitive);
    return v.size() >= t.bytes.size() && equalsFolded(v.substr(0, t.bytes.size()), t.bytes);
}

bool endsIgnoringCase(std::string_view v, const Text &t)
{
    if (!t.ascii)
        return fromUtf8(v).endsWith(t.unicode, Qt::CaseInsensitive);
    return v.size() >= t.bytes.size() && equalsFolded(v.substr(v.size() - t.bytes.size()), t.bytes);
}

// A wildcard value: the literal parts between its unescaped stars (one part: no star).
struct Wildcard
{
    std::vector<std::string> parts;
};

// The leftmost match of each middle part is as good as any: a star takes what is between.
bool matchesWildcard(std::string_view v, const Wildcard &w)
{
    const std::vector<std::string> &parts = w.parts;
    if (parts.size() == 1)
        return v == parts.front();
    const std::string &first = parts.front();
    const std::string &last = parts.back();
    if (v.size() < first.size() + last.size() || !v.starts_with(first) || !v.ends_with(last))
        return false;
    const std::string_view middle = v.substr(0, v.size() - last.size());
    size_t at = first.size();
    for (size_t i = 1; i + 1 < parts.size(); ++i) {
        const size_t found = middle.find(parts[i], at);
        if (found == std::string_view::npos)
            return false;
        at = found + parts[i].size();
    }
    return true;
}

// event-ruler's WildcardParser, which counts positions in the value with its quotes around it.
std::string compileWildcard(std::string_view text, Wildcard &out)
{
    out.parts.assign(1, std::string());
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '*') {
            if (i + 1 < text.size() && text[i + 1] == '*')
                return "Consecutive wildcard characters at pos " + std::to_string(i + 1);
            out.parts.emplace_back();
        } else if (c == '\\') {
            if (i + 1 >= text.size() || (text[i + 1] != '*' && text[i + 1] != '\\'))
                return "Invalid escape character at pos " + std::to_string(i + 1);
            out.parts.back() += text[++i];
        } else {
            out.parts.back() += c;
        }
    }
    return {};
}

// A token as Jackson's getText() shows it in event-ruler's messages.
std::string tokenText(const Json &v)
{
    if (v.is_string())
        return v.get_ref<const std::string &>();
    if (v.is_array())
        return "[";
    if (v.is_object())
        return "{";
    return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

enum class Op : std::uint8_t {
    String, // an exact string (and the address it spells, when it is one)
    Number,
    Literal, // true, false, null
    Prefix,
    PrefixIgnoreCase,
    Suffix,
    SuffixIgnoreCase,
    EqualsIgnoreCase,
    Wildcard,
    Numeric,
    Cidr,
    NotStrings,
    NotNumbers,
    NotPrefixes,
    NotSuffixes,
    NotIgnoreCase,
    NotWildcards,
};

struct Matcher
{
    Op op = Op::String;
    Text text;
    std::vector<Text> texts; // anything-but's strings
    Json value; // Number, Literal
    std::vector<Json> numbers; // anything-but's numbers
    std::vector<Wildcard> wildcards;
    // Numeric
    double low = -std::numeric_limits<double>::infinity();
    double high = std::numeric_limits<double>::infinity();
    bool lowOpen = true;
    bool highOpen = true;
    // Cidr: the first and the last address; String: the address it spells, if any, as both.
    Address lowAddress;
    Address highAddress;
};

bool inRange(const Address &a, const Matcher &m)
{
    return a.size == m.lowAddress.size
        && std::memcmp(a.bytes.data(), m.lowAddress.bytes.data(), size_t(a.size)) >= 0
        && std::memcmp(a.bytes.data(), m.highAddress.bytes.data(), size_t(a.size)) <= 0;
}

// One value of the event (not a list, not an object) against one value of a pattern's list.
bool matchesValue(const Matcher &m, const Json &v)
{
    const std::string *s = v.get_ptr<const std::string *>();
    switch (m.op) {
    case Op::String:
        if (!s)
            return false;
        if (*s == m.text.bytes)
            return true;
        if (m.lowAddress.size != 0) {
            Address a;
            return parseAddress(*s, a) == AddressShape::Valid && inRange(a, m);
        }
        return false;
    case Op::Number:
        return v.is_number() && v == m.value;
    case Op::Literal:
        return v == m.value;
    case Op::Prefix:
        return s && std::string_view(*s).starts_with(m.text.bytes);
    case Op::PrefixIgnoreCase:
        return s && startsIgnoringCase(*s, m.text);
    case Op::Suffix:
        return s && std::string_view(*s).ends_with(m.text.bytes);
    case Op::SuffixIgnoreCase:
        return s && endsIgnoringCase(*s, m.text);
    case Op::EqualsIgnoreCase:
        return s && equalsIgnoringCase(*s, m.text);
    case Op::Wildcard:
        return s && matchesWildcard(*s, m.wildcards.front());
    case Op::Numeric: {
        if (!v.is_number())
            return false;
        const double d = v.get<double>();
        return std::isfinite(d) && (m.lowOpen ? d > m.low : d >= m.low)
            && (m.highOpen ? d < m.high : d <= m.high);
    }
    case Op::Cidr: {
        Address a;
        return s && parseAddress(*s, a) == AddressShape::Valid && inRange(a, m);
    }
    // anything-but: any value that is there and not excluded; only a value of the excluded
    // type can be excluded (event-ruler's numeric anything-but never excludes a string).
    case Op::NotStrings:
        return !s || std::none_of(m.texts.begin(), m.texts.end(), [s](const Text &t) {
            return *s == t.bytes;
        });
    case Op::NotNumbers:
        return !v.is_number()
            || std::find(m.numbers.begin(), m.numbers.end(), v) == m.numbers.end();
    case Op::NotPrefixes:
        return !s || std::none_of(m.texts.begin(), m.texts.end(), [s](const Text &t) {
            return std::string_view(*s).starts_with(t.bytes);
        });
    case Op::NotSuffixes:
        return !s || std::none_of(m.texts.begin(), m.texts.end(), [s](const Text &t) {
            return std::string_view(*s).ends_with(t.bytes);
        });
    case Op::NotIgnoreCase:
        return !s || std::none_of(m.texts.begin(), m.texts.end(), [s](const Text &t) {
            return equalsIgnoringCase(*s, t);
        });
    case Op::NotWildcards:
        return !s || std::none_of(m.wildcards.begin(), m.wildcards.end(), [s](const Wildcard &w) {
            return matchesWildcard(*s, w);
        });
    }
    return false;
}

} // namespace

// One object of the pattern: every field must match, and one object of each "$or" list.
struct EventPattern::Node
{
    struct Field
    {
        std::string key;
        std::vector<std::string> path; // the key split at its dots, when it has some
        std::string keyDot; // key + ".", for an event's dotted keys
        std::vector<Matcher> matchers; // a list's values but exists
        bool exists = false; // {"exists": true} is in the list
        bool absent = false; // {"exists": false} is in the list
        std::unique_ptr<Node> child; // a nested object; null for a list
    };

    std::vector<Field> fields; // lists first: they are cheaper
    std::vector<std::vector<Node>> anyOf;
    bool matchesAbsent = true; // matches where the object is not there at all
};

namespace {

using Node = EventPattern::Node;
using Field = EventPattern::Node::Field;

// Checks a pattern's JSON as event-ruler does and builds its tree; the first reason found is
// kept (in key order, which is nlohmann's, where event-ruler reads in document order).
class Compiler
{
public:
    std::string reason;

    bool object(const Json &object, Node &node, bool insideOr, int depth)
    {
        if (depth > kMaxDepth)
            return fail("Document nesting depth exceeds the maximum allowed ("
                + std::to_string(kMaxDepth) + ")");
        if (object.empty())
            return fail("Empty objects are not allowed");
        for (auto it = object.begin(); it != object.end(); ++it) {
            const std::string &key = it.key();
            const Json &value = it.value();
            if (key == "$or") {
                if (!anyOf(value, node, depth))
                    return false;
                continue;
            }
            if (insideOr
                && std::find(std::begin(kReservedInOr), std::end(kReservedInOr), key)
                    != std::end(kReservedInOr))
                return fail(key + " is Ruler reserved fieldName which cannot be used inside $or.");
            Field field;
            field.key = key;
            if (key.find('.') != std::string::npos) {
                size_t start = 0;
                for (size_t dot; (dot = key.find('.', start)) != std::string::npos; start = dot + 1)
                    field.path.push_back(key.substr(start, dot - start));
                field.path.push_back(key.substr(start));
            }
            if (value.is_object()) {
                field.keyDot = key + '.';
                field.child = std::make_unique<Node>();
                if (!this->object(value, *field.child, insideOr, depth + 1))
                    return false;
            } else if (value.is_array()) {
                if (!list(value, field))
                    return false;
            } else {
                return fail('"' + key + "\" must be an object or an array");
            }
            node.fields.push_back(std::move(field));
        }
        std::stable_partition(
            node.fields.begin(), node.fields.end(), [](const Field &f) { return !f.child; });
        node.matchesAbsent
            = std::all_of(node.fields.begin(), node.fields.end(),
                  [](const Field &f) { return f.child ? f.child->matchesAbsent : f.absent; })
            && std::all_of(node.anyOf.begin(), node.anyOf.end(), [](const std::vector<Node> &or_) {
                   return std::any_of(
                       or_.begin(), or_.end(), [](const Node &n) { return n.matchesAbsent; });
               });
        return true;
    }

private:
    bool fail(std::string why)
    {
        reason = std::move(why);
        return false;
    }

    bool anyOf(const Json &value, Node &node, int depth)
    {
        if (!value.is_array())
            return fail("It must be an Array followed with $or.");
        std::vector<Node> alternatives;
        for (const Json &item : value) {
            if (!item.is_object())
                return fail("Only JSON object is allowed in array of $or relationship.");
            alternatives.emplace_back();
            if (!object(item, alternatives.back(), true, depth + 1))
                return false;
        }
        if (alternatives.size() < 2)
            return fail("There must have at least 2 Objects in $or relationship.");
        node.anyOf.push_back(std::move(alternatives));
        return true;
    }

    bool list(const Json &values, Field &field)
    {
        if (values.empty())
            return fail("Empty arrays are not allowed");
        for (const Json &v : values) {
            Matcher m;
            if (v.is_object()) {
                if (!expression(v, field))
                    return false;
                continue;
            }
            if (v.is_string()) {
                m.op = Op::String;
                m.text.bytes = v.get_ref<const std::string &>();
                // event-ruler matches a value that spells an address as that address.
                if (parseAddress(m.text.bytes, m.lowAddress) != AddressShape::Valid)
                    m.lowAddress.size = 0;
                m.highAddress = m.lowAddress;
            } else if (v.is_number()) {
                m.op = Op::Number;
                m.value = v;
            } else if (v.is_boolean() || v.is_null()) {
                m.op = Op::Literal;
                m.value = v;
            } else {
                return fail("Match value must be String, number, true, false, or null");
            }
            field.matchers.push_back(std::move(m));
        }
        return true;
    }

    bool onlyKey(const Json &expression)
    {
        return expression.size() == 1 || fail("Only one key allowed in match expression");
    }

    // event-ruler says this for more than one key of anything-but and numeric too.
    bool tooManyElements() { return fail("Too many elements in numeric expression"); }

    bool expression(const Json &expression, Field &field)
    {
        if (expression.empty())
            return fail("Match expression name not found");
        const auto first = expression.begin();
        const std::string &name = first.key();
        const Json &operand = first.value();
        Matcher m;
        if (name == "prefix" || name == "suffix") {
            const bool prefix = name == "prefix";
            if (operand.is_object()) {
                if (!affixIgnoringCase(operand, prefix, m))
                    return false;
            } else if (operand.is_string()) {
                m.op = prefix ? Op::Prefix : Op::Suffix;
                m.text = makeText(operand.get<std::string>(), false);
            } else {
                return fail(name + " match pattern must be a string");
            }
        } else if (name == "equals-ignore-case") {
            if (!operand.is_string())
                return fail("equals-ignore-case match pattern must be a string");
            m.op = Op::EqualsIgnoreCase;
            m.text = makeText(operand.get<std::string>(), true);
        } else if (name == "wildcard") {
            if (!operand.is_string())
                return fail("wildcard match pattern must be a string");
            m.op = Op::Wildcard;
            m.wildcards.emplace_back();
            if (std::string why
                = compileWildcard(operand.get_ref<const std::string &>(), m.wildcards.back());
                !why.empty())
                return fail(std::move(why));
        } else if (name == "exists") {
            if (!operand.is_boolean())
                return fail("exists match pattern must be either true or false.");
            if (!onlyKey(expression))
                return false;
            (operand.get<bool>() ? field.exists : field.absent) = true;
            return true;
        } else if (name == "cidr") {
            if (!operand.is_string())
                return fail("prefix match pattern must be a string"); // sic, event-ruler's
            if (!cidr(operand.get_ref<const std::string &>(), m))
                return false;
        } else if (name == "numeric") {
            if (!operand.is_array())
                return fail("Value of numeric must be an array.");
            if (!numeric(operand, m))
                return false;
            if (expression.size() > 1)
                return tooManyElements();
            field.matchers.push_back(std::move(m));
            return true;
        } else if (name == "anything-but") {
            if (!anythingBut(operand, m))
                return false;
            if (expression.size() > 1)
                return tooManyElements();
            field.matchers.push_back(std::move(m));
            return true;
        } else {
            return fail("Unrecognized match type " + name);
        }
        if (!onlyKey(expression))
            return false;
        field.matchers.push_back(std::move(m));
        return true;
    }

    // {"prefix": {"equals-ignore-case": "..."}} and its suffix twin.
    bool affixIgnoringCase(const Json &operand, bool prefix, Matcher &m)
    {
        const std::string what = prefix ? "prefix" : "suffix";
        if (operand.empty())
            return fail((prefix ? "Prefix" : "Suffix") + std::string(" expression name not found"));
        const auto inner = operand.begin();
        if (inner.key() != "equals-ignore-case")
            return fail("Unsupported " + what + " pattern: " + inner.key());
        if (!inner.value().is_string())
            return fail("equals-ignore-case match pattern must be a string");
        if (!onlyKey(operand))
            return false;
        m.op = prefix ? Op::PrefixIgnoreCase : Op::SuffixIgnoreCase;
        m.text = makeText(inner.value().get<std::string>(), true);
        return true;
    }

    bool number(const Json &v, double &out)
    {
        out = v.get<double>();
        return std::isfinite(out) || fail("Cannot compare number : " + tokenText(v));
    }

    bool numeric(const Json &terms, Matcher &m)
    {
        m.op = Op::Numeric;
        if (terms.empty() || !terms[0].is_string())
            return fail("Invalid member in numeric match: "
                + (terms.empty() ? std::string("]") : tokenText(terms[0])));
        const std::string &op = terms[0].get_ref<const std::string &>();
        if (op != "=" && op != "<" && op != "<=" && op != ">" && op != ">=")
            return fail("Unrecognized numeric range operator: " + op);
        if (terms.size() < 2 || !terms[1].is_number())
            return fail(
                "Value of " + (op == "=" ? std::string("equals") : op) + " must be numeric");
        double bound = 0;
        if (!number(terms[1], bound))
            return false;
        if (op == "=" || op == "<" || op == "<=") {
            if (terms.size() > 2)
                return tooManyElements();
            if (op == "=") {
                m.low = m.high = bound;
                m.lowOpen = m.highOpen = false;
            } else {
                m.high = bound;
                m.highOpen = op == "<";
            }
            return true;
        }
        m.low = bound;
        m.lowOpen = op == ">";
        if (terms.size() == 2)
            return true;
        if (!terms[2].is_string())
            return fail("Bad value in numeric range: " + tokenText(terms[2]));
        const std::string &top = terms[2].get_ref<const std::string &>();
        if (top != "<" && top != "<=")
            return fail("Bad numeric range operator: " + top);
        if (terms.size() < 4 || !terms[3].is_number())
            return fail("Value of " + top + " must be numeric");
        if (terms.size() > 4)
            return fail("Too many terms in numeric range expression");
        if (!number(terms[3], m.high))
            return false;
        m.highOpen = top == "<";
        return m.low < m.high || fail("Bottom must be less than top");
    }

    bool anythingBut(const Json &operand, Matcher &m)
    {
        if (operand.is_object())
            return anythingButOf(operand, m);
        if (operand.is_string()) {
            m.op = Op::NotStrings;
            m.texts.push_back(makeText(operand.get<std::string>(), false));
            return true;
        }
        if (operand.is_number()) {
            double unused = 0;
            m.op = Op::NotNumbers;
            m.numbers.push_back(operand);
            return number(operand, unused);
        }
        if (!operand.is_array())
            return fail("Value of anything-but must be an array or single string/number value.");
        bool strings = false;
        bool numbers = false;
        for (const Json &v : operand) {
            double unused = 0;
            if (v.is_string()) {
                strings = true;
                m.texts.push_back(makeText(v.get<std::string>(), false));
            } else if (v.is_number()) {
                numbers = true;
                m.numbers.push_back(v);
                if (!number(v, unused))
                    return false;
            } else {
                return fail("Inside anything but list, start|null|boolean is not supported.");
            }
        }
        if (strings == numbers)
            return fail("Inside anything but list, either all values are number or string, "
                        "mixed type is not supported");
        m.op = strings ? Op::NotStrings : Op::NotNumbers;
        return true;
    }

    // {"anything-but": {"prefix" | "suffix" | "equals-ignore-case" | "wildcard": value or list}}
    bool anythingButOf(const Json &operand, Matcher &m)
    {
        if (operand.empty())
            return fail("Anything-But expression name not found");
        const auto inner = operand.begin();
        const std::string &kind = inner.key();
        if (kind == "prefix")
            m.op = Op::NotPrefixes;
        else if (kind == "suffix")
            m.op = Op::NotSuffixes;
        else if (kind == "equals-ignore-case")
            m.op = Op::NotIgnoreCase;
        else if (kind == "wildcard")
            m.op = Op::NotWildcards;
        else
            return fail("Unsupported anything-but pattern: " + kind);
        const Json &value = inner.value();
        if (!value.is_array() && !value.is_string() && !value.is_number())
            return fail("Value of anything-but must be an array or single string/number value.");
        const auto add = [&](const Json &v) {
            if (!v.is_string()) {
                if (m.op == Op::NotIgnoreCase)
                    return fail("Inside anything-but/equals-ignore-case list, "
                                "number|start|null|boolean is not supported.");
                if (m.op == Op::NotWildcards)
                    return fail("wildcard match pattern must be a string");
                return fail("prefix/suffix match pattern must be a string");
            }
            const std::string &text = v.get_ref<const std::string &>();
            if ((m.op == Op::NotPrefixes || m.op == Op::NotSuffixes) && text.empty())
                return fail("Null prefix/suffix not allowed");
            if (m.op == Op::NotWildcards) {
                m.wildcards.emplace_back();
                if (std::string why = compileWildcard(text, m.wildcards.back()); !why.empty())
                    return fail(std::move(why));
                return true;
            }
            m.texts.push_back(makeText(text, m.op == Op::NotIgnoreCase));
            return true;
        };
        if (value.is_array()) {
            if (!std::all_of(value.begin(), value.end(), add))
                return false;
        } else if (!add(value)) {
            return false;
        }
        return operand.size() == 1 || tooManyElements();
    }

    bool cidr(const std::string &text, Matcher &m)
    {
        m.op = Op::Cidr;
        const size_t slash = text.find('/');
        if (slash == std::string::npos || text.find('/', slash + 1) != std::string::npos)
            return fail("Malformed CIDR, one '/' required");
        const std::string_view bits = std::string_view(text).substr(slash + 1);
        // Java's Integer.parseInt: a sign, then digits, within int.
        const size_t digits = !bits.empty() && (bits[0] == '-' || bits[0] == '+') ? 1 : 0;
        long long mask = 0;
        bool integer = bits.size() > digits && bits.size() - digits <= 10;
        for (size_t i = digits; integer && i < bits.size(); ++i) {
            integer = bits[i] >= '0' && bits[i] <= '9';
            mask = mask * 10 + (bits[i] - '0');
        }
        if (integer && bits[0] == '-')
            mask = -mask;
        if (!integer || mask > std::numeric_limits<int>::max()
            || mask < std::numeric_limits<int>::min())
            return fail("Malformed CIDR, mask bits must be an integer");
        if (mask < 0)
            return fail("Malformed CIDR, mask bits must not be negative");
        const std::string address = text.substr(0, slash);
        Address base;
        switch (parseAddress(address, base)) {
        case AddressShape::None:
            return fail("Nonstandard IP address: " + address);
        case AddressShape::Invalid:
            return fail("Invalid IP address: " + address);
        case AddressShape::Valid:
            break;
        }
        if (base.size == 4 && mask > 31)
            return fail("IPv4 mask bits must be < 32");
        if (base.size == 16 && mask > 127)
            return fail("IPv6 mask bits must be < 128");
        m.lowAddress = m.highAddress = base;
        for (int i = 0; i < base.size; ++i) {
            const long long fixed = std::clamp(mask - 8LL * i, 0LL, 8LL);
            const auto keep = static_cast<unsigned char>(0xff00u >> fixed);
            m.lowAddress.bytes[size_t(i)] &= keep;
            m.highAddress.bytes[size_t(i)] |= static_cast<unsigned char>(~keep);
        }
        return true;
    }
};

// nlohmann's reason for text that is not JSON: its SAX interface hands the error over instead
// of throwing it.
class ParseErrorReason : public nlohmann::json_sax<Json>
{
public:
    std::string reason;

    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t &) override { return true; }
    bool string(string_t &) override { return true; }
    bool binary(binary_t &) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(string_t &) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(
        std::size_t, const std::string &, const nlohmann::detail::exception &e) override
    {
        reason = e.what();
        // "[json.exception.parse_error.101] parse error at line 1, ...": without the id.
        if (const size_t end = reason.find("] "); reason.starts_with('[') && end != reason.npos)
            reason.erase(0, end + 2);
        return false;
    }
};

Error invalidPattern(const std::string &reason)
{
    return makeError(QStringLiteral("InvalidEventPatternException"),
        QStringLiteral("Event pattern is not valid. Reason: ") + QString::fromStdString(reason),
        400);
}

// A nested object of a Lambda filter met a string: JSON text, or base64 of it.
std::optional<Json> decodeObject(const std::string &text)
{
    if (auto parsed = parseJson(std::string_view(text)); parsed && parsed->is_object())
        return std::move(*parsed);
    const auto decoded = QByteArray::fromBase64Encoding(
        QByteArray::fromStdString(text), QByteArray::AbortOnBase64DecodingErrors);
    if (decoded) {
        if (auto parsed = parseJson(*decoded); parsed && parsed->is_object())
            return std::move(*parsed);
    }
    return std::nullopt;
}

// The walk of an event: from a node, the fields of the object it meets.
class Walk
{
public:
    explicit Walk(bool decodeNestedStrings)
        : m_decode(decodeNestedStrings)
    { }

    bool node(const Node &node, const Json &object) const
    {
        for (const Field &f : node.fields) {
            if (!field(f, object))
                return false;
        }
        for (const std::vector<Node> &alternatives : node.anyOf) {
            if (std::none_of(alternatives.begin(), alternatives.end(),
                    [&](const Node &n) { return this->node(n, object); }))
                return false;
        }
        return true;
    }

private:
    bool field(const Field &f, const Json &object) const
    {
        const Json::object_t &members = object.get_ref<const Json::object_t &>();
        const auto it = members.find(f.key);
        if (it != members.end())
            return f.child ? child(*f.child, &it->second) : list(f, &it->second);
        return missing(f, members);
    }

    // The key is not in the object. event-ruler names a field by its path joined with dots,
    // so "a.b" in the pattern is also {"a": {"b": …}} in the event, and a nested "a" of the
    // pattern also finds the event's "a.b" keys.
    bool missing(const Field &f, const Json::object_t &members) const
    {
        if (f.path.size() > 1) {
            Json found = Json::array();
            collect(members, f.path, 0, found, 0);
            if (!found.empty())
                return f.child ? child(*f.child, &found) : list(f, &found);
        }
        if (!f.child)
            return f.absent;
        Json nested;
        for (auto it = members.lower_bound(f.keyDot);
             it != members.end() && it->first.starts_with(f.keyDot); ++it)
            nested[it->first.substr(f.keyDot.size())] = it->second;
        return nested.is_null() ? f.child->matchesAbsent : child(*f.child, &nested);
    }

    static void collect(const Json::object_t &members, const std::vector<std::string> &path,
        size_t step, Json &found, int depth)
    {
        const auto it = members.find(path[step]);
        if (it != members.end())
            collectFrom(it->second, path, step + 1, found, depth);
    }

    static void collectFrom(
        const Json &v, const std::vector<std::string> &path, size_t step, Json &found, int depth)
    {
        if (step == path.size()) {
            found.push_back(v);
        } else if (v.is_object()) {
            collect(v.get_ref<const Json::object_t &>(), path, step, found, depth);
        } else if (v.is_array() && depth < kMaxListDepth) {
            for (const Json &item : v)
                collectFrom(item, path, step, found, depth + 1);
        }
    }

    // A list of the pattern against the field's value (null: not there). A list in the event
    // matches when one of its values does; an object is not a value.
    bool list(const Field &f, const Json *v) const
    {
        if (!v || v->is_object())
            return f.absent;
        if (!v->is_array())
            return f.exists || anyMatcher(f, *v);
        bool present = false;
        return anyInList(f, *v, present, 0) || (!present && f.absent);
    }

    static bool anyMatcher(const Field &f, const Json &v)
    {
        return std::any_of(f.matchers.begin(), f.matchers.end(),
            [&v](const Matcher &m) { return matchesValue(m, v); });
    }

    static bool anyInList(const Field &f, const Json &list, bool &present, int depth)
    {
        if (depth > kMaxListDepth)
            return false;
        for (const Json &item : list) {
            if (item.is_array()) {
                if (anyInList(f, item, present, depth + 1))
                    return true;
            } else if (!item.is_object()) {
                present = true;
                if (f.exists || anyMatcher(f, item))
                    return true;
            }
        }
        return false;
    }

    // A nested object of the pattern against the field's value (null: not there).
    bool child(const Node &n, const Json *v) const
    {
        if (!v)
            return n.matchesAbsent;
        if (v->is_object())
            return node(n, *v);
        if (v->is_array()) {
            bool objects = false;
            return anyObject(n, *v, objects, 0) || (!objects && n.matchesAbsent);
        }
        if (m_decode && v->is_string()) {
            const std::optional<Json> decoded = decodeObject(v->get_ref<const std::string &>());
            return decoded && node(n, *decoded);
        }
        return n.matchesAbsent;
    }

    // One object of the list (or of lists in it) matches the node as a whole.
    bool anyObject(const Node &n, const Json &list, bool &objects, int depth) const
    {
        if (depth > kMaxListDepth)
            return false;
        for (const Json &item : list) {
            if (item.is_object()) {
                objects = true;
                if (node(n, item))
                    return true;
            } else if (item.is_array() && anyObject(n, item, objects, depth + 1)) {
                return true;
            }
        }
        return false;
    }

    const bool m_decode;
};

} // namespace

Result<EventPattern> EventPattern::parse(const QByteArray &json, Options options)
{
    auto parsed = parseJson(json);
    if (!parsed) {
        ParseErrorReason handler;
        Json::sax_parse(json.cbegin(), json.cend(), &handler);
        return invalidPattern(handler.reason);
    }
    return fromJson(*parsed, options);
}

Result<EventPattern> EventPattern::fromJson(const Json &pattern, Options options)
{
    if (!pattern.is_object())
        return invalidPattern("Filter is not an object");
    auto root = std::make_shared<Node>();
    Compiler compiler;
    if (!compiler.object(pattern, *root, false, 0))
        return invalidPattern(compiler.reason);
    EventPattern p;
    p.m_root = std::move(root);
    p.m_options = options;
    return p;
}

bool EventPattern::matches(const Json &event) const
{
    return m_root && event.is_object() && Walk(m_options.decodeNestedStrings).node(*m_root, event);
}

} // namespace tarmac
