#include "services/dynamodb/ddbvalue.h"

#include "services/dynamodb/ddbnumber.h"

#include <QStringList>

#include <algorithm>
#include <cstring>
#include <set>
#include <string_view>
#include <type_traits>

namespace tarmac {

namespace {

Error serialization(const QString &message)
{
    return makeError(QStringLiteral("SerializationException"), message, 400);
}

Error validation(const QString &message)
{
    return makeError(QStringLiteral("ValidationException"), message, 400);
}

// AWS's prefix for most of its value errors, not all: NS duplicates go without it.
QString invalid(const QString &message)
{
    return QStringLiteral("One or more parameter values were invalid: ") + message;
}

bool isType(const std::string &key)
{
    switch (key.size()) {
    case 1:
        return key[0] == 'S' || key[0] == 'N' || key[0] == 'B' || key[0] == 'M' || key[0] == 'L';
    case 2:
        return key[1] == 'S' && (key[0] == 'S' || key[0] == 'N' || key[0] == 'B');
    case 4:
        return key == "BOOL" || key == "NULL";
    default:
        return false;
    }
}

// Coral's words for a JSON value that is not the string or boolean a member wants: the token
// it read ("NUMBER_VALUE cannot be converted to String"), or the structure it met.
Error scalarMismatch(const Json &v, const QString &javaType)
{
    if (const auto *b = v.get_ptr<const Json::boolean_t *>())
        return serialization(
            QStringLiteral("%1 cannot be converted to %2")
                .arg(*b ? QStringLiteral("TRUE_VALUE") : QStringLiteral("FALSE_VALUE"), javaType));
    if (v.is_number())
        return serialization(QStringLiteral("%1 cannot be converted to %2")
                                 .arg(v.is_number_float() ? QStringLiteral("DECIMAL_VALUE")
                                                          : QStringLiteral("NUMBER_VALUE"),
                                     javaType));
    if (v.is_array())
        return serialization(
            QStringLiteral("Unrecognized collection type class java.lang.") + javaType);
    if (v.is_object())
        return serialization(QStringLiteral("Start of structure or map found where not expected"));
    return serialization(QStringLiteral("Unexpected token received from parser"));
}

Error listMismatch(const Json &v)
{
    if (v.is_object())
        return serialization(QStringLiteral("Start of structure or map found where not expected"));
    return serialization(QStringLiteral("Unexpected field type"));
}

Error mapMismatch(const Json &v)
{
    if (v.is_array())
        return serialization(QStringLiteral("Unrecognized collection type java.util.Map<java.lang."
                                            "String, com.amazonaws.dynamodb.v20120810."
                                            "AttributeValue>"));
    return serialization(QStringLiteral("Unexpected field type"));
}

Error attributeValueMismatch(const Json &v)
{
    if (v.is_array())
        return serialization(QStringLiteral("Unrecognized collection type class "
                                            "com.amazonaws.dynamodb.v20120810.AttributeValue"));
    return serialization(QStringLiteral("Unexpected value type in payload"));
}

int base64Value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

qsizetype base64Padding(const std::string &s)
{
    qsizetype pad = 0;
    while (pad < qsizetype(s.size()) && s[s.size() - 1 - size_t(pad)] == '=')
        ++pad;
    return pad;
}

// A B value or BS member: standard base64 with its padding, and, as AWS's decoder insists,
// no stray bits in the last character, so that one byte string has one text.
std::optional<Error> blobError(const Json &v, const QString &path)
{
    if (v.is_boolean() || v.is_number())
        return serialization(
            QStringLiteral("only base-64-encoded strings are convertible to bytes"));
    if (v.is_array())
        return serialization(
            QStringLiteral("Unrecognized collection type class java.nio.ByteBuffer"));
    if (!v.is_string())
        return serialization(QStringLiteral("Start of structure or map found where not expected"));
    const std::string &s = *v.get_ptr<const Json::string_t *>();
    if (s.size() % 4 != 0)
        return serialization(
            QStringLiteral("Base64 encoded length is expected a multiple of 4 bytes but found: %1")
                .arg(s.size()));
    const qsizetype pad = base64Padding(s);
    bool valid = pad <= 2;
    for (size_t i = 0; valid && i < s.size() - size_t(pad); ++i)
        valid = base64Value(s[i]) >= 0;
    if (!valid)
        return serialization(QStringLiteral("Invalid Base64 character in the binary value at %1")
                                 .arg(path.isEmpty() ? QStringLiteral("the top") : path));
    if (pad > 0 && (base64Value(s[s.size() - size_t(pad) - 1]) & (pad == 2 ? 0x0F : 0x03)))
        return serialization(QStringLiteral("Invalid last non-pad Base64 character dectected"));
    return std::nullopt;
}

QByteArray decodeBase64(const std::string &s)
{
    return QByteArray::fromBase64(QByteArray::fromRawData(s.data(), qsizetype(s.size())));
}

qint64 base64DecodedSize(const std::string &s)
{
    return qint64(s.size() / 4 * 3) - base64Padding(s);
}

Result<bool> booleanOf(const Json &v)
{
    if (const auto *b = v.get_ptr<const Json::boolean_t *>())
        return *b;
    if (const auto *s = v.get_ptr<const Json::string_t *>()) {
        // Coral reads a few words as booleans; anything else is a parse error.
        const QString word = fromStd(*s).toUpper();
        if (word == QLatin1String("TRUE") || word == QLatin1String("1")
            || word == QLatin1String("YES"))
            return true;
        if (word == QLatin1String("FALSE") || word == QLatin1String("0")
            || word == QLatin1String("NO"))
            return false;
    }
    return scalarMismatch(v, QStringLiteral("Boolean"));
}

QString memberPath(const QString &path, const std::string &name)
{
    return path.isEmpty() ? fromStd(name) : path + u'.' + fromStd(name);
}

QString elementPath(const QString &path, size_t index)
{
    return path + QStringLiteral("[%1]").arg(index);
}

// The first step: JSON types only, as the request is deserialised, so that a shape error
// anywhere in a request wins over a meaning error. Answers the typed copy. Below the nesting
// limit nothing is read: the second step refuses the value at that level.
Result<Json> shapeValue(const Json &v, const QString &path, int depth)
{
    if (depth > kDdbMaxNestingDepth)
        return v;
    if (v.is_null())
        return Json::object();
    if (!v.is_object())
        return attributeValueMismatch(v);
    Json out = Json::object();
    for (auto it = v.begin(); it != v.end(); ++it) {
        const std::string &type = it.key();
        const Json &m = it.value();
        if (m.is_null() || !isType(type))
            continue;
        if (type == "S" || type == "N") {
            if (!m.is_string())
                return scalarMismatch(m, QStringLiteral("String"));
            out[type] = m;
        } else if (type == "B") {
            if (auto e = blobError(m, path))
                return *e;
            out[type] = m;
        } else if (type == "BOOL" || type == "NULL") {
            auto b = booleanOf(m);
            if (!b)
                return b.error();
            out[type] = *b;
        } else if (type == "SS" || type == "NS" || type == "BS") {
            if (!m.is_array())
                return listMismatch(m);
            for (size_t i = 0; i < m.size(); ++i) {
                const Json &member = m[i];
                if (member.is_null())
                    return serialization(
                        QStringLiteral("A set may not hold null: %1").arg(elementPath(path, i)));
                if (type == "BS") {
                    if (auto e = blobError(member, elementPath(path, i)))
                        return *e;
                } else if (!member.is_string()) {
                    return scalarMismatch(member, QStringLiteral("String"));
                }
            }
            out[type] = m;
        } else if (type == "L") {
            if (!m.is_array())
                return listMismatch(m);
            Json list = Json::array();
            for (size_t i = 0; i < m.size(); ++i) {
                auto element = shapeValue(m[i], elementPath(path, i), depth + 1);
                if (!element)
                    return element.error();
                list.push_back(std::move(element).value());
            }
            out[type] = std::move(list);
        } else { // M
            if (!m.is_object())
                return mapMismatch(m);
            Json map = Json::object();
            for (auto member = m.begin(); member != m.end(); ++member) {
                auto value = shapeValue(member.value(), memberPath(path, member.key()), depth + 1);
                if (!value)
                    return value.error();
                map[member.key()] = std::move(value).value();
            }
            out[type] = std::move(map);
        }
    }
    return out;
}

// "[a, b]", as AWS lists a set in its duplicates message.
QString listText(const Json &set)
{
    QStringList texts;
    for (const Json &member : set)
        texts.append(fromStd(*member.get_ptr<const Json::string_t *>()));
    return u'[' + texts.join(QStringLiteral(", ")) + u']';
}

bool hasDuplicates(const Json &set)
{
    std::set<std::string> seen;
    for (const Json &member : set) {
        if (!seen.insert(*member.get_ptr<const Json::string_t *>()).second)
            return true;
    }
    return false;
}

// An integer as DynamoDB writes it back ("0", "-12", no leading zero, within 38 digits): its
// normal form is itself, so the decimal parser need not see it.
bool isPlainInteger(const std::string &text)
{
    const size_t sign = !text.empty() && text[0] == '-' ? 1 : 0;
    const size_t digits = text.size() - sign;
    if (digits == 0 || digits > 38)
        return false;
    if (text[sign] == '0')
        return text == "0";
    for (size_t i = sign; i < text.size(); ++i) {
        if (text[i] < '0' || text[i] > '9')
            return false;
    }
    return true;
}

// Whether shapeValue would answer `v` itself: the usual request, every member already typed
// as it should be. Allocates nothing, so the usual case skips the paths shapeValue builds.
bool alreadyShaped(const Json &v, int depth)
{
    if (depth > kDdbMaxNestingDepth)
        return true; // shapeValue answers it as it is
    if (!v.is_object())
        return false;
    for (auto it = v.begin(); it != v.end(); ++it) {
        const std::string &type = it.key();
        const Json &m = it.value();
        if (m.is_null() || !isType(type))
            return false;
        if (type == "S" || type == "N") {
            if (!m.is_string())
                return false;
        } else if (type == "B") {
            if (blobError(m, QString()))
                return false;
        } else if (type == "BOOL" || type == "NULL") {
            if (!m.is_boolean())
                return false;
        } else if (type == "SS" || type == "NS" || type == "BS") {
            if (!m.is_array())
                return false;
            for (const Json &member : m) {
                if (type == "BS" ? member.is_null() || blobError(member, QString()).has_value()
                                 : !member.is_string())
                    return false;
            }
        } else if (type == "L") {
            if (!m.is_array())
                return false;
            for (const Json &element : m) {
                if (!alreadyShaped(element, depth + 1))
                    return false;
            }
        } else { // M
            if (!m.is_object())
                return false;
            for (const Json &member : m) {
                if (!alreadyShaped(member, depth + 1))
                    return false;
            }
        }
    }
    return true;
}

// The second step, on shapeValue's copy: what the value means, in DynamoDB's order and words,
// normalising numbers in place. On a const value it only reads: a number that is not already
// as it is stored sets *denormal instead (the caller then validates a copy).
template<typename J>
std::optional<Error> validateValue(J &v, int depth, bool *denormal = nullptr)
{
    constexpr bool kInPlace = !std::is_const_v<J>;
    if (depth > kDdbMaxNestingDepth)
        return validation(QStringLiteral("Nesting Levels have exceeded supported limits: "
                                         "Attributes in the item have nested levels beyond "
                                         "supported limit"));
    if (v.empty())
        return validation(QStringLiteral("Supplied AttributeValue is empty, must contain exactly "
                                         "one of the supported datatypes"));
    for (auto it = v.begin(); it != v.end(); ++it) {
        const std::string &type = it.key();
        J &m = it.value();
        if (type == "N") {
            if (isPlainInteger(*m.template get_ptr<const Json::string_t *>()))
                continue;
            auto number = DdbNumber::parse(fromStd(*m.template get_ptr<const Json::string_t *>()));
            if (!number)
                return number.error();
            if constexpr (kInPlace)
                m = toStd(number->toString());
            else
                *denormal = true;
        } else if (type == "NULL") {
            if (!*m.template get_ptr<const Json::boolean_t *>())
                return validation(
                    invalid(QStringLiteral("Null attribute value types must have the value of "
                                           "true")));
        } else if (type == "SS" || type == "NS" || type == "BS") {
            if (m.empty()) {
                // Sic: AWS's words, with their double space.
                if (type == "SS")
                    return validation(invalid(QStringLiteral("An string set  may not be empty")));
                if (type == "NS")
                    return validation(invalid(QStringLiteral("An number set  may not be empty")));
                return validation(invalid(QStringLiteral("Binary sets should not be empty")));
            }
            if (type == "NS") {
                for (J &member : m) {
                    if (isPlainInteger(*member.template get_ptr<const Json::string_t *>()))
                        continue;
                    auto number = DdbNumber::parse(
                        fromStd(*member.template get_ptr<const Json::string_t *>()));
                    if (!number)
                        return number.error();
                    if constexpr (kInPlace)
                        member = toStd(number->toString());
                    else
                        *denormal = true;
                }
            }
            // Numbers compare normalised: ["1", "1.0"] holds one number twice.
            if (hasDuplicates(m)) {
                if (type == "NS")
                    return validation(QStringLiteral("Input collection contains duplicates"));
                if (type == "SS")
                    return validation(
                        invalid(QStringLiteral("Input collection %1 contains duplicates.")
                                    .arg(listText(m))));
                return validation(
                    invalid(QStringLiteral("Input collection %1of type BS contains duplicates.")
                                .arg(listText(m))));
            }
        } else if (type == "L") {
            for (J &element : m) {
                if (auto e = validateValue(element, depth + 1, denormal))
                    return e;
            }
        } else if (type == "M") {
            for (auto member = m.begin(); member != m.end(); ++member) {
                if (auto e = validateValue(member.value(), depth + 1, denormal))
                    return e;
            }
        }
    }
    if (v.size() > 1)
        return validation(QStringLiteral("Supplied AttributeValue has more than one datatypes "
                                         "set, must contain exactly one of the supported "
                                         "datatypes"));
    return std::nullopt;
}

// The value's one type name ("S"), or empty: typeOf() without a QString, for the hot paths.
std::string_view typeName(const Json &value)
{
    if (!value.is_object() || value.size() != 1 || !isType(value.begin().key()))
        return {};
    return value.begin().key();
}

int signOf(int c)
{
    return (c > 0) - (c < 0);
}

int compareBytes(const char *a, size_t aSize, const char *b, size_t bSize)
{
    const int c = std::memcmp(a, b, std::min(aSize, bSize));
    if (c != 0)
        return signOf(c);
    return aSize == bSize ? 0 : (aSize < bSize ? -1 : 1);
}

// DdbNumber::storedSize of a plain integer (isPlainInteger), without parsing it.
int plainIntegerSize(const std::string &text)
{
    if (text == "0")
        return 1;
    const bool negative = text[0] == '-';
    const int digits = int(text.size()) - (negative ? 1 : 0);
    int count = digits;
    while (text[size_t(count - 1 + (negative ? 1 : 0))] == '0')
        --count; // trailing zeros are not stored
    return DdbNumber::storedSize(count, digits - 1, negative);
}

std::optional<DdbNumber> numberOf(const Json &member)
{
    const auto *s = member.get_ptr<const Json::string_t *>();
    if (!s)
        return std::nullopt;
    auto number = DdbNumber::parse(fromStd(*s));
    if (!number)
        return std::nullopt;
    return *number;
}

// The stored size of a number member, or nullopt when it is not a number.
std::optional<int> numberSize(const Json &member)
{
    if (const auto *s = member.get_ptr<const Json::string_t *>(); s && isPlainInteger(*s))
        return plainIntegerSize(*s);
    if (auto number = numberOf(member))
        return number->storedSize();
    return std::nullopt;
}

// A set's members as comparable texts (numbers normalised, binaries decoded), or nullopt
// when a member is not a string or not a number.
std::optional<std::set<std::string>> setOf(const Json &set, std::string_view type)
{
    if (!set.is_array())
        return std::nullopt;
    std::set<std::string> out;
    for (const Json &member : set) {
        const auto *s = member.get_ptr<const Json::string_t *>();
        if (!s)
            return std::nullopt;
        if (type == "NS") {
            auto number = numberOf(member);
            if (!number)
                return std::nullopt;
            out.insert(toStd(number->toString()));
        } else if (type == "BS") {
            out.insert(decodeBase64(*s).toStdString());
        } else {
            out.insert(*s);
        }
    }
    return out;
}

} // namespace

Result<Json> checkValue(const Json &value, const QString &path)
{
    auto shaped = alreadyShaped(value, 1) ? Result<Json>(value) : shapeValue(value, path, 1);
    if (!shaped)
        return shaped.error();
    if (auto e = validateValue(*shaped, 1))
        return *e;
    return shaped;
}

Result<Json> checkItem(const Json &item, qint64 *size)
{
    auto checked = checkItemInPlace(item, size);
    if (!checked)
        return checked.error();
    return *checked ? std::move(**checked) : item;
}

Result<std::optional<Json>> checkItemInPlace(const Json &item, qint64 *size)
{
    if (!item.is_object())
        return mapMismatch(item);
    // Every value's shape before any value's meaning, as the request is read before it is
    // validated.
    const bool shaped
        = std::all_of(item.begin(), item.end(), [](const Json &v) { return alreadyShaped(v, 1); });
    std::optional<Json> out;
    if (!shaped) {
        out = Json::object();
        for (auto it = item.begin(); it != item.end(); ++it) {
            auto value = shapeValue(it.value(), fromStd(it.key()), 1);
            if (!value)
                return value.error();
            (*out)[it.key()] = std::move(value).value();
        }
    }
    // Names and values, first error first. An item already in shape is read where it is; it is
    // copied only when a number in it is to be normalised.
    const auto check = [](auto &checked, bool *denormal) -> std::optional<Error> {
        for (auto it = checked.begin(); it != checked.end(); ++it) {
            if (it.key().empty())
                return validation(QStringLiteral("Empty attribute name"));
            if (qsizetype(it.key().size()) > kDdbMaxAttributeNameSize)
                return validation(QStringLiteral("Attribute name is too large, must be less "
                                                 "than %1 bytes")
                                      .arg(kDdbMaxAttributeNameSize + 1));
            if (auto e = validateValue(it.value(), 1, denormal))
                return e;
        }
        return std::nullopt;
    };
    if (out) {
        if (auto e = check(*out, nullptr))
            return *e;
    } else {
        bool denormal = false;
        if (auto e = check(item, &denormal))
            return *e;
        if (denormal) {
            out = item;
            if (auto e = check(*out, nullptr))
                return *e;
        }
    }
    const qint64 bytes = itemSize(out ? *out : item);
    if (bytes > kDdbMaxItemSize)
        return validation(QStringLiteral("Item size has exceeded the maximum allowed size"));
    if (size)
        *size = bytes;
    return out;
}

QString typeOf(const Json &value)
{
    const std::string_view type = typeName(value);
    return QString::fromLatin1(type.data(), qsizetype(type.size()));
}

qint64 valueSize(const Json &value)
{
    const std::string_view type = typeName(value);
    if (type.empty())
        return 0;
    const Json *m = &value.begin().value();
    const auto *s = m->get_ptr<const Json::string_t *>();
    if (type == "S")
        return s ? qint64(s->size()) : 0;
    if (type == "N")
        return numberSize(*m).value_or(0);
    if (type == "B")
        return s ? base64DecodedSize(*s) : 0;
    if (type == "BOOL" || type == "NULL")
        return 1;
    qint64 size = 0;
    if (type == "SS" || type == "NS" || type == "BS") {
        if (!m->is_array())
            return 0;
        for (const Json &member : *m) {
            const auto *text = member.get_ptr<const Json::string_t *>();
            if (!text)
                continue;
            if (type == "SS") {
                size += qint64(text->size());
            } else if (type == "BS") {
                size += base64DecodedSize(*text);
            } else {
                size += numberSize(member).value_or(0);
            }
        }
        return size;
    }
    if (type == "L" && m->is_array()) {
        size = 3;
        for (const Json &element : *m)
            size += 1 + valueSize(element);
        return size;
    }
    if (type == "M" && m->is_object()) {
        size = 3;
        for (auto it = m->begin(); it != m->end(); ++it)
            size += 1 + qint64(it.key().size()) + valueSize(it.value());
        return size;
    }
    return 0;
}

qint64 itemSize(const Json &item)
{
    if (!item.is_object())
        return 0;
    qint64 size = 0;
    for (auto it = item.begin(); it != item.end(); ++it)
        size += qint64(it.key().size()) + valueSize(it.value());
    return size;
}

std::optional<int> compareValues(const Json &a, const Json &b)
{
    const std::string_view type = typeName(a);
    if (type.empty() || type != typeName(b))
        return std::nullopt;
    const Json &x = a.begin().value();
    const Json &y = b.begin().value();
    const auto *xs = x.get_ptr<const Json::string_t *>();
    const auto *ys = y.get_ptr<const Json::string_t *>();
    if (!xs || !ys)
        return std::nullopt;
    if (type == "S")
        return compareBytes(xs->data(), xs->size(), ys->data(), ys->size());
    if (type == "N") {
        const auto xn = numberOf(x);
        const auto yn = numberOf(y);
        if (!xn || !yn)
            return std::nullopt;
        return xn->compare(*yn);
    }
    if (type == "B") {
        const QByteArray xb = decodeBase64(*xs);
        const QByteArray yb = decodeBase64(*ys);
        return compareBytes(xb.constData(), size_t(xb.size()), yb.constData(), size_t(yb.size()));
    }
    return std::nullopt;
}

bool equalValues(const Json &a, const Json &b)
{
    const std::string_view type = typeName(a);
    if (type.empty() || type != typeName(b))
        return false;
    const Json &x = a.begin().value();
    const Json &y = b.begin().value();
    if (type == "S" || type == "BOOL" || type == "NULL")
        return x == y;
    if (type == "N" || type == "B") {
        const auto c = compareValues(a, b);
        return c && *c == 0;
    }
    if (type == "SS" || type == "NS" || type == "BS") {
        const auto xs = setOf(x, type);
        const auto ys = setOf(y, type);
        return xs && ys && *xs == *ys;
    }
    if (type == "L") {
        if (!x.is_array() || !y.is_array() || x.size() != y.size())
            return false;
        for (size_t i = 0; i < x.size(); ++i) {
            if (!equalValues(x[i], y[i]))
                return false;
        }
        return true;
    }
    // M
    if (!x.is_object() || !y.is_object() || x.size() != y.size())
        return false;
    for (auto it = x.begin(); it != x.end(); ++it) {
        const auto other = y.find(it.key());
        if (other == y.end() || !equalValues(it.value(), *other))
            return false;
    }
    return true;
}

QByteArray keySortBytes(const Json &value)
{
    const std::string_view type = typeName(value);
    const Json *m = type.empty() ? nullptr : &value.begin().value();
    const auto *s = m ? m->get_ptr<const Json::string_t *>() : nullptr;
    if (!s)
        return {};
    if (type == "S")
        return QByteArray(s->data(), qsizetype(s->size()));
    if (type == "B")
        return decodeBase64(*s);
    if (type == "N") {
        auto number = numberOf(*m);
        return number ? number->sortKey() : QByteArray();
    }
    return {};
}

} // namespace tarmac
