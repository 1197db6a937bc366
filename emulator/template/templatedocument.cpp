#include "template/templatedocument.h"

#include <QRegularExpression>
#include <QStringDecoder>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <exception>

namespace tarmac {

namespace {

Error templateError(const QString &where, const QString &message)
{
    return makeError(QStringLiteral("ValidationError"), where + QStringLiteral(": ") + message);
}

// The long name of a short-form tag ("!GetAtt" → "Fn::GetAtt"), or empty when the tag is
// not one CloudFormation knows.
QString intrinsicForTag(const std::string &tag)
{
    static const char *const functions[] = {"Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs",
        "ImportValue", "Join", "Select", "Split", "Sub", "Transform", "And", "Equals", "If", "Not",
        "Or", "Length", "ToJsonString"};
    if (tag == "!Ref")
        return QStringLiteral("Ref");
    if (tag == "!Condition")
        return QStringLiteral("Condition");
    for (const char *f : functions) {
        if (tag.size() == std::strlen(f) + 1 && tag.compare(1, std::string::npos, f) == 0)
            return QStringLiteral("Fn::") + QLatin1String(f);
    }
    return {};
}

bool isBoolWord(const std::string &s, bool *value)
{
    if (s == "true" || s == "True" || s == "TRUE") {
        *value = true;
        return true;
    }
    if (s == "false" || s == "False" || s == "FALSE") {
        *value = false;
        return true;
    }
    return false;
}

// A plain (unquoted) scalar the YAML 1.2 core schema way: null, bool, int, float, else text.
Json plainScalar(const std::string &s)
{
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL")
        return nullptr;
    bool b = false;
    if (isBoolWord(s, &b))
        return b;
    const char *begin = s.data();
    const char *end = s.data() + s.size();
    const char *digits = (*begin == '+' || *begin == '-') ? begin + 1 : begin;
    if (digits != end && std::all_of(digits, end, [](char c) { return c >= '0' && c <= '9'; })) {
        qint64 v = 0;
        const auto r = std::from_chars(*begin == '+' ? begin + 1 : begin, end, v);
        if (r.ec == std::errc() && r.ptr == end)
            return v;
        return s; // out of range: keep the text rather than lose digits
    }
    static const QRegularExpression floatRe(
        QStringLiteral(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)"));
    const QString text = QString::fromStdString(s);
    if (floatRe.match(text).hasMatch()) {
        bool ok = false;
        const double d = text.toDouble(&ok);
        if (ok && std::isfinite(d))
            return d;
    }
    return s;
}

} // namespace

// Walks the yaml-cpp tree once, building the Json and recording positions.
class TemplateBuilder
{
public:
    TemplateBuilder(TemplateDocument &doc, std::string text)
        : m_doc(doc)
        , m_text(std::move(text))
    { }

    Result<Json> build(const YAML::Node &node, const QString &path, int depth)
    {
        if (++m_nodes > TemplateDocument::kMaxNodes)
            return templateError(m_doc.m_fileName,
                QStringLiteral("the template is too large (more than %1 values)")
                    .arg(TemplateDocument::kMaxNodes));
        if (depth > TemplateDocument::kMaxDepth)
            return templateError(where(node),
                QStringLiteral("the template nests deeper than %1 levels")
                    .arg(TemplateDocument::kMaxDepth));
        mark(path, node.Mark());
        const std::string &tag = node.Tag();
        if (!tag.empty() && tag[0] == '!' && tag != "!") {
            const QString intrinsic = intrinsicForTag(tag);
            if (intrinsic.isEmpty())
                return templateError(
                    where(node), QStringLiteral("unknown tag %1").arg(QString::fromStdString(tag)));
            const QString inner = TemplateDocument::childPath(path, intrinsic);
            auto value = buildUntagged(node, inner, depth + 1, /*tagged=*/true);
            if (!value)
                return value;
            Json wrapped = Json::object();
            wrapped[intrinsic.toStdString()] = std::move(*value);
            m_doc.m_keys.insert(path, {intrinsic});
            return wrapped;
        }
        return buildUntagged(node, path, depth, false);
    }

private:
    Result<Json> buildUntagged(const YAML::Node &node, const QString &path, int depth, bool tagged)
    {
        mark(path, node.Mark());
        switch (node.Type()) {
        case YAML::NodeType::Undefined:
        case YAML::NodeType::Null:
            return tagged ? Json("") : Json(nullptr);
        case YAML::NodeType::Scalar: {
            const std::string &tag = node.Tag();
            if (tag == "!") {
                if (auto bad = checkQuoted(node.Mark()); !bad.isEmpty())
                    return templateError(where(node), bad);
            }
            if (tagged || tag == "!" || tag == "tag:yaml.org,2002:str")
                return Json(node.Scalar());
            return plainScalar(node.Scalar());
        }
        case YAML::NodeType::Sequence: {
            Json array = Json::array();
            qsizetype index = 0;
            for (const YAML::Node &item : node) {
                auto value = build(item, TemplateDocument::childPath(path, index++), depth + 1);
                if (!value)
                    return value;
                array.push_back(std::move(*value));
            }
            return array;
        }
        case YAML::NodeType::Map: {
            Json object = Json::object();
            QStringList keys;
            for (auto it = node.begin(); it != node.end(); ++it) {
                if (!it->first.IsScalar())
                    return templateError(
                        where(it->first), QStringLiteral("a key must be a string"));
                const std::string &key = it->first.Scalar();
                if (object.contains(key))
                    return templateError(where(it->first),
                        QStringLiteral("duplicate key %1").arg(QString::fromStdString(key)));
                const QString qkey = QString::fromStdString(key);
                const QString child = TemplateDocument::childPath(path, qkey);
                auto value = build(it->second, child, depth + 1);
                if (!value)
                    return value;
                // Reports point at the key ("Tracing: Active" → the T), which is where a
                // reader looks; the value keeps its own position under its inner paths.
                mark(child, it->first.Mark(), true);
                object[key] = std::move(*value);
                keys.append(qkey);
            }
            m_doc.m_keys.insert(path, keys);
            return object;
        }
        }
        return Json(nullptr);
    }

    // yaml-cpp takes a quoted scalar without its closing quote as running to the end of the
    // document, and one whose closing quote is lines later as a string of those lines, even
    // when they are indented as the template's own keys. Other YAML loaders reject both (a
    // flow scalar's continuation lines must be indented past its block): so does Tarmac,
    // rather than name a bucket after the rest of the file. Empty when the scalar is fine.
    QString checkQuoted(const YAML::Mark &m) const
    {
        const std::string &text = m_text;
        if (m.pos < 0 || size_t(m.pos) >= text.size())
            return {};
        const char quote = text[size_t(m.pos)];
        if (quote != '"' && quote != '\'')
            return {};
        // The block the scalar sits in: the indentation of the line it starts on.
        size_t lineStart = text.rfind('\n', size_t(m.pos));
        lineStart = lineStart == std::string::npos ? 0 : lineStart + 1;
        size_t indent = 0;
        while (lineStart + indent < text.size() && text[lineStart + indent] == ' ')
            ++indent;
        const bool inBlock = indent < size_t(m.pos) - lineStart; // after a key or a "- "
        const QString unclosed
            = QStringLiteral("the quoted string that starts here has no closing %1%2; close it")
                  .arg(quote == '"' ? QStringLiteral("\"") : QStringLiteral("'"));
        for (size_t i = size_t(m.pos) + 1; i < text.size(); ++i) {
            const char c = text[i];
            if (quote == '"' && c == '\\') {
                ++i;
                continue;
            }
            if (c == quote) {
                if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
                    ++i;
                    continue;
                }
                return {};
            }
            if (c == '\n' && inBlock) {
                // A continuation line must be indented past the block (blank lines aside).
                size_t j = i + 1, spaces = 0;
                while (j < text.size() && text[j] == ' ') {
                    ++j;
                    ++spaces;
                }
                if (j < text.size() && text[j] != '\n' && text[j] != '\r' && spaces <= indent)
                    return unclosed.arg(
                        QStringLiteral(" on its line (the next line is not indented past it)"));
            }
        }
        return unclosed.arg(QStringLiteral(" before the end of the file"));
    }

    void mark(const QString &path, const YAML::Mark &m, bool overwrite = false)
    {
        if (m.line < 0 || m.column < 0)
            return;
        if (overwrite || !m_doc.m_positions.contains(path))
            m_doc.m_positions.insert(path, {m.line + 1, m.column + 1});
    }

    QString where(const YAML::Node &node) const
    {
        const YAML::Mark m = node.Mark();
        if (m.line < 0)
            return m_doc.m_fileName;
        return QStringLiteral("%1:%2:%3").arg(m_doc.m_fileName).arg(m.line + 1).arg(m.column + 1);
    }

    TemplateDocument &m_doc;
    const std::string m_text;
    qsizetype m_nodes = 0;
};

Result<TemplateDocument> TemplateDocument::parse(const QByteArray &text, const QString &fileName)
{
    TemplateDocument doc;
    doc.m_fileName = fileName;
    if (text.size() > kMaxBytes)
        return templateError(
            fileName, QStringLiteral("the template is larger than %1 bytes").arg(kMaxBytes));
    if (text.trimmed().isEmpty())
        return templateError(fileName, QStringLiteral("the template is empty"));
    // CloudFormation reads templates as UTF-8; refusing anything else here also means every
    // key survives the trip through QString unchanged.
    {
        QStringDecoder utf8(QStringDecoder::Utf8);
        const QString decoded = utf8(text);
        if (utf8.hasError()) {
            const qsizetype bad = decoded.indexOf(QChar::ReplacementCharacter);
            const qsizetype line = bad < 0 ? 0 : decoded.left(bad).count(u'\n') + 1;
            return templateError(
                line > 0 ? QStringLiteral("%1:%2").arg(fileName).arg(line) : fileName,
                QStringLiteral("the template is not valid UTF-8"));
        }
    }
    // yaml-cpp reports with exceptions; they stop here.
    try {
        std::string source = text.toStdString();
        const YAML::Node root = YAML::Load(source);
        TemplateBuilder builder(doc, std::move(source));
        auto json = builder.build(root, QString(), 0);
        if (!json)
            return json.error();
        doc.m_root = std::move(*json);
    } catch (const YAML::Exception &e) {
        // JSON that yaml-cpp cannot take (tabs in odd places, some escapes) is still JSON:
        // read it without positions rather than refuse it.
        if (text.trimmed().startsWith('{')) {
            if (auto json = parseJson(text)) {
                doc.m_root = std::move(*json);
                doc.m_positions.clear();
                doc.m_keys.clear();
                return doc;
            }
        }
        const QString where = e.mark.line >= 0
            ? QStringLiteral("%1:%2:%3").arg(fileName).arg(e.mark.line + 1).arg(e.mark.column + 1)
            : fileName;
        return templateError(
            where, QStringLiteral("not valid YAML or JSON: %1").arg(QString::fromStdString(e.msg)));
    } catch (const std::exception &e) {
        return templateError(
            fileName, QStringLiteral("cannot be read: %1").arg(QString::fromUtf8(e.what())));
    }
    return doc;
}

TemplateLocation TemplateDocument::locate(const QString &path) const
{
    QString p = path;
    for (;;) {
        const auto it = m_positions.constFind(p);
        if (it != m_positions.cend())
            return TemplateLocation {m_fileName, it->first, it->second};
        if (p.isEmpty())
            return TemplateLocation {m_fileName, 0, 0};
        p.truncate(std::max<qsizetype>(0, p.lastIndexOf(u'/')));
    }
}

QStringList TemplateDocument::keys(const QString &path) const
{
    return m_keys.value(path);
}

QString TemplateDocument::childPath(const QString &path, const QString &key)
{
    QString escaped = key;
    escaped.replace(u'~', QLatin1String("~0")).replace(u'/', QLatin1String("~1"));
    return path + u'/' + escaped;
}

QString TemplateDocument::childPath(const QString &path, qsizetype index)
{
    return path + u'/' + QString::number(index);
}

QString TemplateDocument::displayPath(const QString &path)
{
    QStringList parts = path.split(u'/', Qt::SkipEmptyParts);
    for (QString &p : parts)
        p.replace(QLatin1String("~1"), QLatin1String("/"))
            .replace(QLatin1String("~0"), QLatin1String("~"));
    return parts.join(u'.');
}

} // namespace tarmac
