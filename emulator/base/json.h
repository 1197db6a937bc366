#pragma once

#include "base/result.h"

#include <QByteArray>
#include <QMap>
#include <QString>
#include <QStringList>

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>

namespace tarmac {

using Json = nlohmann::json;

// The one place that calls nlohmann::json::parse: it never throws.
Result<Json> parseJson(const QByteArray &bytes);
Result<Json> parseJson(std::string_view bytes);

QByteArray toJsonBytes(const Json &value, int indent = -1);

inline std::string toStd(const QString &s)
{
    return s.toStdString();
}
inline QString fromStd(const std::string &s)
{
    return QString::fromStdString(s);
}

// The member `name` of `object`, or null when it has none (or is not an object): const
// operator[] on a missing key is undefined behaviour, not null.
inline const Json &memberOrNull(const Json &object, std::string_view name)
{
    static const Json null;
    if (!object.is_object())
        return null;
    const auto it = object.find(name);
    return it == object.end() ? null : *it;
}

// A field of client JSON that does not have the type its request says: where it is, in the
// lower-camel member path AWS's validation messages use ("ephemeralStorage.size",
// "architectures.1.member"), what it had to be, and what came.
struct JsonFieldError
{
    QString path;
    QString constraint; // "Member must be an integer"
    QString value; // what was sent, as text, shortened
    // "1 validation error detected: Value 'x' at 'ephemeralStorage.size' failed to satisfy
    // constraint: Member must be an integer"
    QString message() const;
};

// Typed reads of one JSON object sent by a client, none of which throws: nlohmann's get<>(),
// value() and at() throw on a wrong type, and no exception may cross a handler (DESIGN.md,
// "Bad input and faults"). A field that is absent or null reads as not set (nullopt); a field
// of another type reads as not set too, and the first such field is kept as the reader's
// error for the API layer to answer in its service's terms. A nested object is read through
// object(), whose reader reports into the same first error.
//
// Not a schema: it checks the fields a caller reads, not that there are no others. The object
// must outlive the reader and every reader made from it; readers are neither copied nor moved
// (nested ones point at the first one's error).
class JsonFields
{
public:
    // A value that is not an object reads as an empty one: callers check the body's shape.
    explicit JsonFields(const Json &object);
    JsonFields(const JsonFields &) = delete;
    JsonFields &operator=(const JsonFields &) = delete;

    // False for a nested object that was absent, null or not an object.
    bool isSet() const { return m_object != nullptr; }
    // The field is present and not null (of any type).
    bool has(const char *key) const { return find(key) != nullptr; }

    std::optional<QString> string(const char *key);
    // A string's UTF-8 bytes, for large values (a base64 package) better not held as a QString.
    std::optional<QByteArray> bytes(const char *key);
    // A whole number in int's range; 3.0 is 3, 3.5 is an error.
    std::optional<int> integer(const char *key);
    std::optional<bool> boolean(const char *key);
    // Any number, as a double (a timestamp in epoch seconds, as rest-json sends them).
    std::optional<double> number(const char *key);
    std::optional<QStringList> stringList(const char *key);
    std::optional<QMap<QString, QString>> stringMap(const char *key);
    // Any value, for what the API passes on untouched (a payload).
    const Json *value(const char *key) const { return find(key); }
    // The nested object `key`; not set (isSet() false) when absent, null or of another type.
    JsonFields object(const char *key);
    // Calls each() with a reader for every object of the list `key`, in order ("filters.1.member"
    // in messages); false when the list is absent or null. An item that is not an object, or a
    // value that is not a list, is this reader's error and ends the walk.
    bool forEachObject(const char *key, const std::function<void(JsonFields &item)> &each);

    bool ok() const { return !m_error->has_value(); }
    const std::optional<JsonFieldError> &error() const { return *m_error; }

private:
    JsonFields(const Json *object, QString path, std::optional<JsonFieldError> *error);
    const Json *find(const char *key) const;
    QString pathOf(const char *key) const;
    void fail(QString path, const Json &value, QString constraint);

    const Json *m_object;
    QString m_path;
    std::optional<JsonFieldError> m_ownError;
    std::optional<JsonFieldError> *m_error;
};

} // namespace tarmac
