#include "base/json.h"

#include <climits>
#include <cmath>

namespace tarmac {

Result<Json> parseJson(std::string_view bytes)
{
    Json value = Json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded())
        return makeError(QStringLiteral("SerializationException"),
            QStringLiteral("The request body is not valid JSON"));
    return value;
}

Result<Json> parseJson(const QByteArray &bytes)
{
    return parseJson(std::string_view(bytes.constData(), size_t(bytes.size())));
}

QByteArray toJsonBytes(const Json &value, int indent)
{
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
