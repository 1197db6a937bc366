#include "base/jsonwriter.h"

#include "base/json.h"
#include "base/utf8.h"

#include <cstdio>

namespace tarmac {

namespace {

void appendEscaped(QByteArray &out, QByteArrayView utf8)
{
    out += '"';
    qsizetype plainFrom = 0;
    const auto flush = [&](qsizetype to) {
        if (to > plainFrom)
            out.append(utf8.data() + plainFrom, to - plainFrom);
    };
    for (qsizetype i = 0; i < utf8.size(); ++i) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        flush(i);
        plainFrom = i + 1;
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
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(c));
            out += buf;
        }
        }
    }
    flush(utf8.size());
    out += '"';
}

} // namespace

void appendJsonString(QByteArray &out, QByteArrayView text)
{
    if (isValidUtf8(text))
        appendEscaped(out, text);
    else
        appendEscaped(out, QString::fromUtf8(text).toUtf8());
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

JsonWriter &JsonWriter::key(const QString &name)
{
    return key(QByteArrayView(name.toUtf8()));
}

JsonWriter &JsonWriter::string(QByteArrayView text)
{
    beforeValue();
    appendJsonString(m_out, text);
    return *this;
}

JsonWriter &JsonWriter::string(const QString &text)
{
    return string(QByteArrayView(text.toUtf8()));
}

JsonWriter &JsonWriter::number(qint64 n)
{
    beforeValue();
    m_out += QByteArray::number(n);
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
    m_out += toJsonBytes(v);
    return *this;
}

} // namespace tarmac
