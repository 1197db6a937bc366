#include "base/jsonpath.h"

namespace tarmac {

namespace {

Error pathError(const QString &message)
{
    return makeError(QStringLiteral("InvalidJsonPath"), message, 400);
}

bool isNameChar(QChar c)
{
    return c.isLetterOrNumber() || c == u'_' || c == u'-' || c == u'$' || c == u'@' || c == u':';
}

} // namespace

Result<JsonPath> JsonPath::parse(QStringView text)
{
    JsonPath path;
    path.m_text = text.toString();
    if (text.size() > 1024)
        return pathError(QStringLiteral("a JSON path is at most 1024 characters"));
    qsizetype i = 0;
    if (text.startsWith(u'$'))
        i = 1;
    else
        return pathError(QStringLiteral("a JSON path starts with $"));
    while (i < text.size()) {
        const QChar c = text[i];
        if (c == u'.') {
            ++i;
            if (i < text.size() && text[i] == u'*') {
                path.m_steps.push_back({Step::Wildcard, {}, 0});
                ++i;
                continue;
            }
            const qsizetype start = i;
            while (i < text.size() && isNameChar(text[i]))
                ++i;
            if (i == start)
                return pathError(QStringLiteral("a name is expected after '.' at %1").arg(start));
            path.m_steps.push_back(
                {Step::Key, text.sliced(start, i - start).toString().toStdString(), 0});
        } else if (c == u'[') {
            ++i;
            if (i >= text.size())
                return pathError(QStringLiteral("unfinished '['"));
            if (text[i] == u'*') {
                ++i;
                if (i >= text.size() || text[i] != u']')
                    return pathError(QStringLiteral("']' expected after '[*'"));
                ++i;
                path.m_steps.push_back({Step::Wildcard, {}, 0});
            } else if (text[i] == u'\'' || text[i] == u'"') {
                const QChar quote = text[i++];
                QString key;
                while (i < text.size() && text[i] != quote) {
                    if (text[i] == u'\\' && i + 1 < text.size())
                        ++i;
                    key += text[i++];
                }
                if (i >= text.size())
                    return pathError(QStringLiteral("unfinished quoted name"));
                ++i; // the quote
                if (i >= text.size() || text[i] != u']')
                    return pathError(QStringLiteral("']' expected after a quoted name"));
                ++i;
                path.m_steps.push_back({Step::Key, key.toStdString(), 0});
            } else {
                const qsizetype start = i;
                if (text[i] == u'-')
                    ++i;
                while (i < text.size() && text[i].isDigit())
                    ++i;
                bool ok = false;
                const qint64 index = text.sliced(start, i - start).toLongLong(&ok);
                if (!ok || i >= text.size() || text[i] != u']')
                    return pathError(
                        QStringLiteral("an index, a quoted name or * is expected in [] at %1")
                            .arg(start));
                ++i;
                path.m_steps.push_back({Step::Index, {}, index});
            }
        } else {
            return pathError(QStringLiteral("unexpected '%1' at %2").arg(c).arg(i));
        }
        if (path.m_steps.size() > 64)
            return pathError(QStringLiteral("a JSON path has at most 64 steps"));
    }
    return path;
}

std::vector<const Json *> JsonPath::select(const Json &document) const
{
    std::vector<const Json *> current {&document};
    std::vector<const Json *> next;
    for (const Step &step : m_steps) {
        next.clear();
        for (const Json *node : current) {
            switch (step.kind) {
            case Step::Key:
                if (node->is_object()) {
                    auto it = node->find(step.key);
                    if (it != node->end())
                        next.push_back(&*it);
                }
                break;
            case Step::Index:
                if (node->is_array()) {
                    const qint64 size = qint64(node->size());
                    const qint64 at = step.index < 0 ? size + step.index : step.index;
                    if (at >= 0 && at < size)
                        next.push_back(&(*node)[size_t(at)]);
                }
                break;
            case Step::Wildcard:
                if (node->is_array() || node->is_object()) {
                    for (auto it = node->begin(); it != node->end(); ++it)
                        next.push_back(&*it);
                }
                break;
            }
            if (next.size() > 100'000)
                break; // a wide document under several wildcards: enough to decide
        }
        std::swap(current, next);
        if (current.empty())
            break;
    }
    return current;
}

bool JsonPredicate::matches(const Json &document) const
{
    const auto found = path.select(document);
    if (op == Op::Exists)
        return !found.empty();
    if (op == Op::NotEquals)
        return !found.empty() && std::none_of(found.begin(), found.end(), [this](const Json *v) {
            return *v == value;
        });
    for (const Json *v : found) {
        if (op == Op::Equals && *v == value)
            return true;
        if (op == Op::Contains) {
            if (v->is_string() && value.is_string()
                && v->get_ref<const std::string &>().find(value.get_ref<const std::string &>())
                    != std::string::npos)
                return true;
            if (v->is_array() && std::find(v->begin(), v->end(), value) != v->end())
                return true;
        }
    }
    return false;
}

QString JsonPredicate::opName(Op op)
{
    switch (op) {
    case Op::Exists:
        return QStringLiteral("exists");
    case Op::Equals:
        return QStringLiteral("equals");
    case Op::NotEquals:
        return QStringLiteral("notEquals");
    case Op::Contains:
        return QStringLiteral("contains");
    }
    return {};
}

std::optional<JsonPredicate::Op> JsonPredicate::opFromName(QStringView name)
{
    for (Op op : {Op::Exists, Op::Equals, Op::NotEquals, Op::Contains}) {
        if (name.compare(opName(op), Qt::CaseInsensitive) == 0)
            return op;
    }
    if (name == u"==")
        return Op::Equals;
    if (name == u"!=")
        return Op::NotEquals;
    return std::nullopt;
}

} // namespace tarmac
