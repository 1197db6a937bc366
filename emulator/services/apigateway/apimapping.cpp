#include "services/apigateway/apimapping.h"

#include "base/jsonpath.h"
#include "http/httpmessage.h"

#include <QRegularExpression>
#include <QUrl>

#include <optional>
#include <vector>

namespace tarmac {

struct MappingTemplate::Expression
{
    enum class Kind { String, Number, Boolean, Reference };
    struct Step
    {
        QString name;
        bool call = false;
        std::vector<Expression> args;
    };

    Kind kind = Kind::String;
    QString text; // a string's value; a reference's source, written when it names nothing
    qint64 number = 0;
    bool boolean = false;
    bool quiet = false; // $!name
    QString root; // input, util, context, stageVariables, or another name
    std::vector<Step> steps;
};

struct MappingTemplate::Part
{
    QString text;
    std::optional<Expression> reference;
};

namespace {

using Expression = MappingTemplate::Expression;
using Part = MappingTemplate::Part;

const char *const kDirectives[] = {"set", "if", "elseif", "else", "end", "foreach", "macro",
    "parse", "include", "stop", "break", "define", "evaluate"};

bool identStart(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || c == u'_';
}

bool identChar(QChar c)
{
    return identStart(c) || (c >= u'0' && c <= u'9');
}

class Parser
{
public:
    explicit Parser(const QString &text)
        : s(text)
    { }

    Result<QList<Part>> parse()
    {
        QList<Part> parts;
        QString text;
        const auto flush = [&] {
            if (!text.isEmpty())
                parts.append(Part {std::exchange(text, QString()), std::nullopt});
        };
        while (i < s.size()) {
            const QChar c = s[i];
            if (c == u'#' && i + 1 < s.size()) {
                const QChar next = s[i + 1];
                if (next == u'#') { // a line comment, with its line end
                    const qsizetype end = s.indexOf(u'\n', i);
                    i = end < 0 ? s.size() : end + 1;
                    continue;
                }
                if (next == u'*') {
                    const qsizetype end = s.indexOf(QLatin1String("*#"), i + 2);
                    if (end < 0)
                        return failure(QStringLiteral("a #* comment is not closed"));
                    i = end + 2;
                    continue;
                }
                qsizetype w = i + 1 + (next == u'{' ? 1 : 0);
                const qsizetype from = w;
                while (w < s.size() && s[w].isLetter())
                    ++w;
                const QString word = s.mid(from, w - from);
                for (const char *d : kDirectives) {
                    if (word == QLatin1String(d))
                        return failure(
                            QStringLiteral("the directive #%1 is not evaluated locally").arg(word));
                }
            }
            if (c == u'$') {
                const qsizetype at = i;
                auto e = reference();
                if (!m_error.isEmpty())
                    return failure(m_error);
                if (e) {
                    flush();
                    parts.append(Part {QString(), std::move(*e)});
                    continue;
                }
                i = at + 1;
            } else {
                ++i;
            }
            text += c;
        }
        flush();
        return parts;
    }

private:
    Error failure(const QString &what) const
    {
        return makeError(QStringLiteral("BadRequestException"),
            QStringLiteral("mapping template, line %1: %2").arg(line()).arg(what));
    }

    int line() const { return int(s.left(i).count(u'\n')) + 1; }

    QString ident()
    {
        const qsizetype from = i;
        while (i < s.size() && identChar(s[i]))
            ++i;
        return s.mid(from, i - from);
    }

    void spaces()
    {
        while (i < s.size() && s[i].isSpace())
            ++i;
    }

    // At '$': a reference, or nothing when the '$' is text.
    std::optional<Expression> reference()
    {
        const qsizetype start = i;
        ++i;
        Expression e;
        e.kind = Expression::Kind::Reference;
        if (i < s.size() && s[i] == u'!') {
            e.quiet = true;
            ++i;
        }
        bool braced = false;
        if (i < s.size() && s[i] == u'{') {
            braced = true;
            ++i;
        }
        if (i >= s.size() || !identStart(s[i]))
            return std::nullopt;
        e.root = ident();
        while (i + 1 < s.size() && s[i] == u'.' && identStart(s[i + 1])) {
            ++i;
            Expression::Step step;
            step.name = ident();
            if (i < s.size() && s[i] == u'(') {
                ++i;
                step.call = true;
                if (!arguments(step.args))
                    return std::nullopt;
            }
            e.steps.push_back(std::move(step));
        }
        if (braced) {
            if (i >= s.size() || s[i] != u'}') {
                m_error = QStringLiteral("${ without its }");
                return std::nullopt;
            }
            ++i;
        }
        e.text = s.mid(start, i - start);
        return e;
    }

    bool arguments(std::vector<Expression> &out)
    {
        spaces();
        if (i < s.size() && s[i] == u')') {
            ++i;
            return true;
        }
        while (true) {
            spaces();
            auto a = argument();
            if (!a) {
                if (m_error.isEmpty())
                    m_error = QStringLiteral("a method's argument is not a string, a number or "
                                             "a reference");
                return false;
            }
            out.push_back(std::move(*a));
            spaces();
            if (i < s.size() && s[i] == u',') {
                ++i;
                continue;
            }
            if (i < s.size() && s[i] == u')') {
                ++i;
                return true;
            }
            m_error = QStringLiteral("a method call without its )");
            return false;
        }
    }

    std::optional<Expression> argument()
    {
        if (i >= s.size())
            return std::nullopt;
        Expression e;
        const QChar c = s[i];
        if (c == u'\'' || c == u'"') {
            // Quotes doubled inside stand for one; backslashes are text, as in Velocity.
            ++i;
            while (i < s.size()) {
                if (s[i] == c) {
                    if (i + 1 < s.size() && s[i + 1] == c) {
                        e.text += c;
                        i += 2;
                        continue;
                    }
                    ++i;
                    return e;
                }
                e.text += s[i++];
            }
            m_error = QStringLiteral("a string without its closing quote");
            return std::nullopt;
        }
        if (c == u'-' || c.isDigit()) {
            const qsizetype from = i++;
            while (i < s.size() && s[i].isDigit())
                ++i;
            bool ok = false;
            e.kind = Expression::Kind::Number;
            e.number = s.mid(from, i - from).toLongLong(&ok);
            return ok ? std::optional<Expression>(std::move(e)) : std::nullopt;
        }
        if (c == u'$')
            return reference();
        const QString word = ident();
        if (word == QLatin1String("true") || word == QLatin1String("false")) {
            e.kind = Expression::Kind::Boolean;
            e.boolean = word == QLatin1String("true");
            return e;
        }
        return std::nullopt;
    }

    const QString &s;
    qsizetype i = 0;
    QString m_error;
};

QString text(const std::optional<Json> &v)
{
    if (!v || v->is_null())
        return {};
    return v->is_string() ? QString::fromStdString(v->get<std::string>())
                          : QString::fromStdString(v->dump());
}

// Java's URLEncoder: letters, digits and ".-*_" as they are, space as '+'.
QString urlEncode(const QString &in)
{
    return QString::fromLatin1(in.toUtf8().toPercentEncoding(".-*_ ").replace(' ', '+'));
}

// Java's String.replaceAll: `$n` in the replacement is group n, a backslash takes the next
// character as it is.
std::optional<QString> replaceAll(
    const QString &in, const QString &pattern, const QString &replacement)
{
    const QRegularExpression re(pattern);
    if (!re.isValid())
        return std::nullopt;
    QString out;
    qsizetype last = 0;
    auto it = re.globalMatch(in);
    while (it.hasNext()) {
        const QRegularExpressionMatch m = it.next();
        out += QStringView(in).mid(last, m.capturedStart() - last);
        for (qsizetype k = 0; k < replacement.size(); ++k) {
            const QChar c = replacement[k];
            if (c == u'\\' && k + 1 < replacement.size()) {
                out += replacement[++k];
            } else if (c == u'$' && k + 1 < replacement.size() && replacement[k + 1].isDigit()) {
                out += m.captured(replacement[++k].digitValue());
            } else {
                out += c;
            }
        }
        last = m.capturedEnd();
    }
    out += QStringView(in).mid(last);
    return out;
}

class Evaluator
{
public:
    explicit Evaluator(const MappingInput &input)
        : in(input)
    { }

    QString error;

    std::optional<Json> eval(const Expression &e)
    {
        switch (e.kind) {
        case Expression::Kind::String:
            return Json(e.text.toStdString());
        case Expression::Kind::Number:
            return Json(e.number);
        case Expression::Kind::Boolean:
            return Json(e.boolean);
        case Expression::Kind::Reference:
            break;
        }
        std::optional<Json> current;
        size_t k = 0;
        if (e.root == QLatin1String("input") || e.root == QLatin1String("util")) {
            if (e.steps.empty())
                return std::nullopt;
            current = e.root == QLatin1String("input") ? input(e.steps[0]) : util(e.steps[0]);
            k = 1;
        } else if (e.root == QLatin1String("context")) {
            current = in.context;
        } else if (e.root == QLatin1String("stageVariables")) {
            Json vars = Json::object();
            for (auto it = in.stageVariables.cbegin(); it != in.stageVariables.cend(); ++it)
                vars[it.key().toStdString()] = it.value().toStdString();
            current = std::move(vars);
        }
        for (; k < e.steps.size() && current && error.isEmpty(); ++k)
            current = step(*current, e.steps[k]);
        return current;
    }

private:
    std::vector<std::optional<Json>> args(const Expression::Step &s)
    {
        std::vector<std::optional<Json>> out;
        for (const Expression &a : s.args)
            out.push_back(eval(a));
        return out;
    }

    // The body as JSON: {} when there is none; an error when it is not JSON.
    const Json *body()
    {
        if (!m_body) {
            if (in.body.trimmed().isEmpty()) {
                m_body = Json::object();
            } else {
                auto parsed = parseJson(in.body);
                if (!parsed) {
                    error = QStringLiteral("Could not parse request body into json: %1")
                                .arg(parsed.error().message);
                    return nullptr;
                }
                m_body = std::move(*parsed);
            }
        }
        return &*m_body;
    }

    std::optional<Json> select(const QString &path)
    {
        const Json *document = body();
        if (!document)
            return std::nullopt;
        auto p = JsonPath::parse(path);
        if (!p)
            return std::nullopt;
        const std::vector<const Json *> found = p->select(*document);
        if (found.empty())
            return std::nullopt;
        if (found.size() == 1)
            return *found.front();
        Json all = Json::array();
        for (const Json *v : found)
            all.push_back(*v);
        return all;
    }

    std::optional<Json> input(const Expression::Step &s)
    {
        const auto a = args(s);
        const QString first = a.empty() ? QString() : text(a[0]);
        if (s.name == QLatin1String("body") && a.empty())
            return Json(QString::fromUtf8(in.body).toStdString());
        if (s.name == QLatin1String("json") && a.size() == 1) {
            // The whole body as it came (its keys in their order), once it is known to be JSON.
            if (first.trimmed() == u"$" && body() && !in.body.trimmed().isEmpty())
                return Json(QString::fromUtf8(in.body.trimmed()).toStdString());
            auto v = select(first);
            return v ? Json(v->dump()) : Json(std::string());
        }
        if (s.name == QLatin1String("path") && a.size() == 1)
            return select(first);
        if (s.name == QLatin1String("params") && s.call && a.empty()) {
            Json path = Json::object(), query = Json::object(), header = Json::object();
            for (const auto &[name, value] : in.pathParameters)
                path[name.toStdString()] = value.toStdString();
            for (const auto &[name, value] : in.query)
                query[QString::fromUtf8(name).toStdString()]
                    = QString::fromUtf8(value).toStdString();
            for (const auto &[name, value] : in.headers)
                header[QString::fromUtf8(name).toStdString()]
                    = QString::fromUtf8(value).toStdString();
            return Json {{"path", path}, {"querystring", query}, {"header", header}};
        }
        if (s.name == QLatin1String("params") && s.call) {
            // A path parameter, else the query string's (its last value), else a header (by
            // any case).
            for (const auto &[name, value] : in.pathParameters) {
                if (name == first)
                    return Json(value.toStdString());
            }
            std::optional<Json> fromQuery;
            for (const auto &[name, value] : in.query) {
                if (QString::fromUtf8(name) == first)
                    fromQuery = Json(QString::fromUtf8(value).toStdString());
            }
            if (fromQuery)
                return fromQuery;
            for (const auto &[name, value] : in.headers) {
                if (QString::fromUtf8(name).compare(first, Qt::CaseInsensitive) == 0)
                    return Json(QString::fromUtf8(value).toStdString());
            }
            return Json(std::string());
        }
        return std::nullopt;
    }

    std::optional<Json> util(const Expression::Step &s)
    {
        const auto a = args(s);
        if (!s.call || a.size() != 1)
            return std::nullopt;
        const QString t = text(a[0]);
        if (s.name == QLatin1String("escapeJavaScript"))
            return Json(escapeJavaScript(t).toStdString());
        if (s.name == QLatin1String("parseJson")) {
            auto parsed = parseJson(t.toUtf8());
            if (!parsed)
                return std::nullopt;
            return std::move(*parsed);
        }
        if (s.name == QLatin1String("urlEncode"))
            return Json(urlEncode(t).toStdString());
        if (s.name == QLatin1String("urlDecode"))
            return Json(QString::fromUtf8(percentDecode(t.toUtf8(), true)).toStdString());
        if (s.name == QLatin1String("base64Encode"))
            return Json(t.toUtf8().toBase64().toStdString());
        if (s.name == QLatin1String("base64Decode"))
            return Json(QString::fromUtf8(QByteArray::fromBase64(t.toUtf8())).toStdString());
        return std::nullopt;
    }

    std::optional<Json> step(const Json &v, const Expression::Step &s)
    {
        if (!s.call) {
            if (v.is_object()) {
                const auto it = v.find(s.name.toStdString());
                if (it != v.end())
                    return *it;
            }
            return std::nullopt;
        }
        const auto a = args(s);
        const QString &m = s.name;
        if (v.is_string()) {
            const QString str = QString::fromStdString(v.get<std::string>());
            const auto out = [](const QString &r) { return Json(r.toStdString()); };
            if (m == QLatin1String("replaceAll") && a.size() == 2) {
                auto r = replaceAll(str, text(a[0]), text(a[1]));
                return r ? std::optional<Json>(out(*r)) : std::nullopt;
            }
            if (m == QLatin1String("replace") && a.size() == 2)
                return out(QString(str).replace(text(a[0]), text(a[1])));
            if (m == QLatin1String("toLowerCase") && a.empty())
                return out(str.toLower());
            if (m == QLatin1String("toUpperCase") && a.empty())
                return out(str.toUpper());
            if (m == QLatin1String("trim") && a.empty())
                return out(str.trimmed());
            if (m == QLatin1String("length") && a.empty())
                return Json(qint64(str.size()));
            if (m == QLatin1String("contains") && a.size() == 1)
                return Json(str.contains(text(a[0])));
            if (m == QLatin1String("startsWith") && a.size() == 1)
                return Json(str.startsWith(text(a[0])));
            if (m == QLatin1String("endsWith") && a.size() == 1)
                return Json(str.endsWith(text(a[0])));
            if (m == QLatin1String("substring") && !a.empty() && a.size() <= 2) {
                const qint64 from = a[0] && a[0]->is_number_integer() ? a[0]->get<qint64>() : -1;
                const qint64 to = a.size() == 2
                    ? (a[1] && a[1]->is_number_integer() ? a[1]->get<qint64>() : -1)
                    : qint64(str.size());
                if (from < 0 || to < from || to > str.size())
                    return std::nullopt;
                return out(str.mid(from, to - from));
            }
            return std::nullopt;
        }
        if (v.is_object() || v.is_array()) {
            if (m == QLatin1String("size") && a.empty())
                return Json(qint64(v.size()));
            if (m == QLatin1String("isEmpty") && a.empty())
                return Json(v.empty());
        }
        if (v.is_object() && a.size() == 1) {
            const std::string key = text(a[0]).toStdString();
            const auto it = v.find(key);
            if (m == QLatin1String("get"))
                return it == v.end() ? std::nullopt : std::optional<Json>(*it);
            if (m == QLatin1String("containsKey"))
                return Json(it != v.end());
        }
        if (v.is_array() && m == QLatin1String("get") && a.size() == 1 && a[0]
            && a[0]->is_number_integer()) {
            const qint64 k = a[0]->get<qint64>();
            if (k >= 0 && k < qint64(v.size()))
                return v[size_t(k)];
        }
        return std::nullopt;
    }

    const MappingInput &in;
    std::optional<Json> m_body;
};

} // namespace

Result<MappingTemplate> MappingTemplate::parse(const QString &text)
{
    Parser parser(text);
    auto parts = parser.parse();
    if (!parts)
        return parts.error();
    MappingTemplate t;
    t.m_parts = std::make_shared<const QList<Part>>(std::move(*parts));
    return t;
}

Result<QByteArray> MappingTemplate::render(const MappingInput &input) const
{
    QString out;
    if (!m_parts)
        return QByteArray();
    Evaluator evaluator(input);
    for (const Part &p : *m_parts) {
        if (!p.reference) {
            out += p.text;
            continue;
        }
        const std::optional<Json> v = evaluator.eval(*p.reference);
        if (!evaluator.error.isEmpty())
            return makeError(QStringLiteral("BadRequestException"), evaluator.error);
        if (!v || v->is_null())
            out += p.reference->quiet ? QString() : p.reference->text;
        else
            out += text(v);
    }
    return out.toUtf8();
}

QString escapeJavaScript(const QString &in)
{
    QString out;
    out.reserve(in.size() + in.size() / 8);
    for (const QChar c : in) {
        switch (c.unicode()) {
        case u'\'':
            out += QLatin1String("\\'");
            continue;
        case u'"':
            out += QLatin1String("\\\"");
            continue;
        case u'\\':
            out += QLatin1String("\\\\");
            continue;
        case u'/':
            out += QLatin1String("\\/");
            continue;
        case u'\b':
            out += QLatin1String("\\b");
            continue;
        case u'\n':
            out += QLatin1String("\\n");
            continue;
        case u'\t':
            out += QLatin1String("\\t");
            continue;
        case u'\f':
            out += QLatin1String("\\f");
            continue;
        case u'\r':
            out += QLatin1String("\\r");
            continue;
        default:
            break;
        }
        if (c.unicode() < 0x20 || c.unicode() > 0x7f)
            out += QLatin1String("\\u")
                + QString::number(c.unicode(), 16).rightJustified(4, u'0').toUpper();
        else
            out += c;
    }
    return out;
}

} // namespace tarmac
