#include "http/restroutes.h"

#include "http/httpmessage.h"

namespace tarmac {

QList<QByteArray> restPathSegments(QByteArrayView rawPath)
{
    QList<QByteArray> out;
    qsizetype start = 0;
    while (start <= rawPath.size()) {
        qsizetype end = rawPath.indexOf('/', start);
        if (end < 0)
            end = rawPath.size();
        if (end > start)
            out.append(percentDecode(rawPath.sliced(start, end - start).toByteArray(), false));
        start = end + 1;
    }
    return out;
}

QByteArray RestPathParams::value(QByteArrayView name) const
{
    for (const auto &[key, value] : m_values) {
        if (key == name)
            return value;
    }
    return {};
}

RestPattern::RestPattern(QByteArrayView pattern)
{
    for (const QByteArray &part : pattern.toByteArray().split('/')) {
        if (part.isEmpty())
            continue;
        if (part.size() > 2 && part.startsWith('{') && part.endsWith('}'))
            m_segments.append({part.mid(1, part.size() - 2), true});
        else
            m_segments.append({part, false});
    }
}

bool RestPattern::match(const QList<QByteArray> &segments, RestPathParams *params) const
{
    if (segments.size() != m_segments.size())
        return false;
    for (qsizetype i = 0; i < segments.size(); ++i) {
        if (!m_segments[i].capture && m_segments[i].text != segments[i])
            return false;
    }
    params->m_values.clear();
    for (qsizetype i = 0; i < segments.size(); ++i) {
        if (m_segments[i].capture)
            params->m_values.append({m_segments[i].text, segments[i]});
    }
    return true;
}

} // namespace tarmac
