#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QVarLengthArray>

#include <nlohmann/json_fwd.hpp>

#include <charconv>

namespace tarmac {

// `text` as a JSON string, quoted and escaped as nlohmann::json writes it (", \, the control
// characters; nothing else, not even non-ASCII). Bytes that are not UTF-8 are read as UTF-8
// first (each malformed sequence becomes U+FFFD), so the result is always valid JSON.
void appendJsonString(QByteArray &out, QByteArrayView text);
// The same for a QString: plain ASCII is copied across without a UTF-8 copy of it.
void appendJsonString(QByteArray &out, const QString &text);
inline void appendJsonString(QByteArray &out, const QByteArray &text)
{
    appendJsonString(out, QByteArrayView(text));
}

// `n` in `base` (digits, then lower-case letters), as JSON and HTTP heads write numbers:
// through to_chars, where QByteArray::number() takes QLocale's path.
template<typename Integer>
void appendNumber(QByteArray &out, Integer n, int base = 10)
{
    char digits[72];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, n, base).ptr - digits);
}

// `value` appended as compact JSON, byte for byte what nlohmann::json's dump() writes (with
// invalid UTF-8 replaced), without building a std::string first: strings are copied a run of
// plain characters at a time instead of one character at a time.
void appendJson(QByteArray &out, const nlohmann::json &value);
// The same, as its own bytes (what toJsonBytes returns without an indent).
QByteArray jsonBytes(const nlohmann::json &value);

// JSON written straight into bytes, for documents made on every request (an API Gateway
// event): building an nlohmann::json tree and then writing it costs several times as much.
// Members are written in the order given; the caller keeps an object's keys distinct.
//
//   JsonWriter w;
//   w.beginObject().key("version").string("2.0").key("n").number(3).endObject();
//   QByteArray bytes = w.take();
class JsonWriter
{
public:
    explicit JsonWriter(qsizetype reserve = 1024);

    JsonWriter &beginObject();
    JsonWriter &endObject();
    JsonWriter &beginArray();
    JsonWriter &endArray();
    // UTF-8 names and strings; the overloads for char arrays and QByteArray keep a call from
    // being ambiguous with the QString one.
    JsonWriter &key(QByteArrayView name);
    JsonWriter &key(const char *name) { return key(QByteArrayView(name)); }
    JsonWriter &key(const QByteArray &name) { return key(QByteArrayView(name)); }
    JsonWriter &key(const QString &name);
    JsonWriter &string(QByteArrayView text);
    JsonWriter &string(const char *text) { return string(QByteArrayView(text)); }
    JsonWriter &string(const QByteArray &text) { return string(QByteArrayView(text)); }
    JsonWriter &string(const QString &text);
    JsonWriter &number(qint64 n);
    JsonWriter &boolean(bool b);
    JsonWriter &null();
    // A value already built as nlohmann::json (an authorizer's context).
    JsonWriter &value(const nlohmann::json &v);

    QByteArray take() { return std::move(m_out); }

private:
    void beforeValue();

    QByteArray m_out;
    // Per open object or array: whether a member has been written yet.
    QVarLengthArray<bool, 16> m_hasMember;
    bool m_afterKey = false;
};

} // namespace tarmac
