#include "services/apigateway/apimapping.h"

#include "base/jsonpath.h"
#include "http/httpmessage.h"

#include <QRegularExpression>
#include <QUrl>

#include <QHash>
#include <QScopeGuard>

#include <cmath>
#include <limits>
#include <optional>
#include <vector>

namespace tarmac {

struct MappingTemplate::Expression
{
    // Binary: `op` of args[0] and args[1]; Not: of args[0]; List: args; Map: keys and values
    // alternating in args; Range: [args[0]..args[1]]; Interpolated: a "string" with references,
    // its parts in `inner`.
    enum class Kind {
        String,
        Number,
        Boolean,
        Null,
        Reference,
        Binary,
        Not,
        List,
        Map,
        Range,
        Interpolated
    };
    struct Step
    {
        QString name;
        bool call = false;
        std::vector<Expression> args;
    };

    Kind kind = Kind::String;
    QString text; // a string's value; a reference's source, written when it names nothing
    Json number; // a whole or decimal number
    bool boolean = false;
    bool quiet = false; // $!name
    QString root; // input, util, context, stageVariables, or a variable's name
    std::vector<Step> steps;
    QString op; // Binary: ||, &&, ==, !=, <, >, <=, >=, +, -, *, /, %
    std::vector<Expression> args;
    std::shared_ptr<const std::vector<Part>> inner;
};

// Text, a reference, or a directive: #set($name = value), #if(value) body #elseif(…) … #else
// otherwise #end, #foreach($name in value) body #end.
struct MappingTemplate::Part
{
    enum class Kind { Text, Reference, Set, If, Foreach };
    Kind kind = Kind::Text;
    QString text; // Text: the text; Set and Foreach: the variable's name
    std::optional<Expression> reference; // Reference: it; Set and Foreach: the value
    std::vector<std::pair<Expression, std::vector<Part>>> branches; // If: conditions, bodies
    std::vector<Part> body; // Foreach: its body; If: the #else body
};

namespace {

using Expression = MappingTemplate::Expression;
using Part = MappingTemplate::Part;

// Directives evaluated locally, and the others, which make a template refused.
const char *const kEvaluated[] = {"set", "if", "elseif", "else", "end", "foreach"};
const char *const kRefused[] = {"macro", "parse", "include", "stop", "break", "define", "evaluate"};
// The most iterations a template's #foreach loops make in all, and the most characters it
// writes: a body is at most 10 MB, a range is not bounded by it.
constexpr qint64 kMaxIterations = 100'000;
constexpr qsizetype kMaxOutput = 16 * 1024 * 1024;

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

    Result<std::vector<Part>> parse()
    {
        QString ended;
        auto parts = block(&ended);
        if (!m_error.isEmpty())
            return failure(m_error);
        if (!ended.isEmpty())
            return failure(
                QStringLiteral("#%1 without the #if or #foreach it belongs to").arg(ended));
        return parts;
    }

private:
    // Parts up to the end of the text or to an #elseif, #else or #end (its name in `ended`;
    // for #elseif, the condition in m_condition).
    std::vector<Part> block(QString *ended)
    {
        std::vector<Part> parts;
        QString text;
        const auto flush = [&] {
            if (!text.isEmpty()) {
                Part p;
                p.text = std::exchange(text, QString());
                parts.push_back(std::move(p));
            }
        };
        ended->clear();
        while (i < s.size() && m_error.isEmpty()) {
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
                    if (end < 0) {
                        m_error = QStringLiteral("a #* comment is not closed");
                        break;
                    }
                    i = end + 2;
                    continue;
                }
                const bool braced = next == u'{';
                qsizetype w = i + 1 + (braced ? 1 : 0);
                const qsizetype from = w;
                while (w < s.size() && s[w].isLetter())
                    ++w;
                const QString word = s.mid(from, w - from);
                for (const char *d : kRefused) {
                    if (word == QLatin1String(d)) {
                        m_error = QStringLiteral("the directive #%1 is not evaluated locally")
                                      .arg(word);
                        return parts;
                    }
                }
                bool evaluated = false;
                for (const char *d : kEvaluated)
                    evaluated = evaluated || word == QLatin1String(d);
                if (evaluated && (!braced || (w < s.size() && s[w] == u'}'))) {
                    Line line;
                    line.start = s.lastIndexOf(u'\n', i - 1) + 1;
                    line.directive = i;
                    line.alone = text.size() >= i - line.start
                        && QStringView(s).mid(line.start, i - line.start).trimmed().isEmpty();
                    i = w + (braced ? 1 : 0);
                    std::optional<Part> part = directive(word, ended, text, line);
                    if (!m_error.isEmpty())
                        return parts;
                    if (!part || part->kind == Part::Kind::Set)
                        gobble(text, line); // #if and #foreach did after their heads
                    flush();
                    if (!ended->isEmpty())
                        return parts;
                    if (part)
                        parts.push_back(std::move(*part));
                    continue;
                }
            }
            if (c == u'$') {
                const qsizetype at = i;
                auto e = reference();
                if (!m_error.isEmpty())
                    break;
                if (e) {
                    flush();
                    Part p;
                    p.kind = Part::Kind::Reference;
                    p.reference = std::move(*e);
                    parts.push_back(std::move(p));
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

    // Where a directive is on its line, and whether only spaces come before it there.
    struct Line
    {
        qsizetype start = 0;
        qsizetype directive = 0;
        bool alone = false;
    };

    // After a directive's head: when nothing but spaces is around it on its line, the line
    // goes, the spaces before it (the end of `text`) and the line end after it too.
    void gobble(QString &text, const Line &line)
    {
        qsizetype k = i;
        while (k < s.size() && (s[k] == u' ' || s[k] == u'\t' || s[k] == u'\r'))
            ++k;
        if (line.alone && (k >= s.size() || s[k] == u'\n')) {
            text.chop(line.directive - line.start);
            i = k < s.size() ? k + 1 : k;
        }
    }

    // After a directive's name: its arguments and, for #if and #foreach, its body up to #end.
    // #elseif, #else and #end end the block being read (ended). `text`: the text before it.
    std::optional<Part> directive(
        const QString &word, QString *ended, QString &text, const Line &line)
    {
        if (word == QLatin1String("else") || word == QLatin1String("end")) {
            *ended = word;
            return std::nullopt;
        }
        spaces();
        if (i >= s.size() || s[i] != u'(') {
            m_error = QStringLiteral("#%1 without its (").arg(word);
            return std::nullopt;
        }
        ++i;
        if (m_nesting >= 100) {
            m_error = QStringLiteral("directives nested over 100 deep");
            return std::nullopt;
        }
        ++m_nesting;
        const auto leave = qScopeGuard([this] { --m_nesting; });
        Part p;
        if (word == QLatin1String("set")) {
            spaces();
            auto target = i < s.size() && s[i] == u'$' ? reference() : std::nullopt;
            if (!m_error.isEmpty())
                return std::nullopt;
            if (!target || !target->steps.empty()) {
                m_error = QStringLiteral("#set sets a $name");
                return std::nullopt;
            }
            spaces();
            if (i >= s.size() || s[i] != u'=') {
                m_error = QStringLiteral("#set without its =");
                return std::nullopt;
            }
            ++i;
            p.kind = Part::Kind::Set;
            p.text = target->root;
            p.reference = closing();
            return m_error.isEmpty() ? std::optional<Part>(std::move(p)) : std::nullopt;
        }
        if (word == QLatin1String("foreach")) {
            spaces();
            auto variable = i < s.size() && s[i] == u'$' ? reference() : std::nullopt;
            spaces();
            if (!m_error.isEmpty())
                return std::nullopt;
            if (!variable || !variable->steps.empty() || ident() != QLatin1String("in")) {
                m_error = QStringLiteral("#foreach is #foreach($name in list)");
                return std::nullopt;
            }
            p.kind = Part::Kind::Foreach;
            p.text = variable->root;
            p.reference = closing();
            if (!m_error.isEmpty())
                return std::nullopt;
            gobble(text, line);
            QString end;
            p.body = block(&end);
            if (!m_error.isEmpty())
                return std::nullopt;
            if (end != QLatin1String("end")) {
                m_error = end.isEmpty() ? QStringLiteral("#foreach without its #end")
                                        : QStringLiteral("#%1 in a #foreach").arg(end);
                return std::nullopt;
            }
            return p;
        }
        auto condition = closing();
        if (!m_error.isEmpty())
            return std::nullopt;
        if (word == QLatin1String("elseif")) {
            *ended = word;
            m_condition = std::move(condition);
            return std::nullopt;
        }
        // #if: branches until #end.
        gobble(text, line);
        p.kind = Part::Kind::If;
        while (true) {
            QString end;
            std::vector<Part> body = block(&end);
            if (!m_error.isEmpty())
                return std::nullopt;
            p.branches.emplace_back(std::move(*condition), std::move(body));
            if (end == QLatin1String("elseif")) {
                condition = std::move(m_condition);
                continue;
            }
            if (end == QLatin1String("else")) {
                p.body = block(&end);
                if (!m_error.isEmpty())
                    return std::nullopt;
                if (end != QLatin1String("end")) {
                    m_error = end.isEmpty() ? QStringLiteral("#if without its #end")
                                            : QStringLiteral("#%1 after #else").arg(end);
                    return std::nullopt;
                }
                return p;
            }
            if (end != QLatin1String("end")) {
                m_error = QStringLiteral("#if without its #end");
                return std::nullopt;
            }
            return p;
        }
    }

    // An expression and the ) that closes the directive.
    std::optional<Expression> closing()
    {
        auto e = expression();
        if (!m_error.isEmpty())
            return std::nullopt;
        spaces();
        if (!e || i >= s.size() || s[i] != u')') {
            m_error = QStringLiteral("a directive's expression without its )");
            return std::nullopt;
        }
        ++i;
        return e;
    }

    // Velocity's operators, loosest first: || (or), && (and), ! (not), comparisons (== != < >
    // <= >=, eq ne lt gt le ge), + -, * / %.
    std::optional<Expression> expression()
    {
        if (++m_depth > 200) {
            m_error = QStringLiteral("an expression nested too deep");
            --m_depth;
            return std::nullopt;
        }
        auto e = binary(0);
        --m_depth;
        return e;
    }

    // The operators of one level (0: ||, 1: &&, 2: comparisons, 3: + -, 4: * / %), their
    // operands the next level's; ! comes between && and the comparisons.
    std::optional<Expression> binary(int level)
    {
        static const std::vector<std::vector<std::pair<const char *, const char *>>> ops = {
            {{"||", "||"}, {"or", "||"}}, {{"&&", "&&"}, {"and", "&&"}},
            {{"==", "=="}, {"!=", "!="}, {"<=", "<="}, {">=", ">="}, {"<", "<"}, {">", ">"},
                {"eq", "=="}, {"ne", "!="}, {"le", "<="}, {"ge", ">="}, {"lt", "<"}, {"gt", ">"}},
            {{"+", "+"}, {"-", "-"}}, {{"*", "*"}, {"/", "/"}, {"%", "%"}}};
        if (level >= int(ops.size()))
            return primary();
        const auto operand = [&]() -> std::optional<Expression> {
            if (level == 1)
                return negation();
            return binary(level + 1);
        };
        auto lhs = operand();
        while (lhs) {
            spaces();
            const char *found = nullptr;
            qsizetype length = 0;
            for (const auto &[spelling, op] : ops[size_t(level)]) {
                const QLatin1String word(spelling);
                if (QStringView(s).mid(i, word.size()) != word)
                    continue;
                if (QChar(word[0]).isLetter() && i + word.size() < s.size()
                    && identChar(s[i + word.size()]))
                    continue;
                found = op;
                length = word.size();
                break;
            }
            if (!found)
                return lhs;
            i += length;
            auto rhs = operand();
            if (!rhs) {
                if (m_error.isEmpty())
                    m_error = QStringLiteral("%1 without its right-hand side")
                                  .arg(QLatin1String(found));
                return std::nullopt;
            }
            Expression b;
            b.kind = Expression::Kind::Binary;
            b.op = QLatin1String(found);
            b.args.push_back(std::move(*lhs));
            b.args.push_back(std::move(*rhs));
            lhs = std::move(b);
            if (level == 2)
                return lhs; // comparisons do not chain
        }
        return lhs;
    }

    // ! (not) and what it negates; else a comparison.
    std::optional<Expression> negation()
    {
        spaces();
        qsizetype length = 0;
        if (i < s.size() && s[i] == u'!' && (i + 1 >= s.size() || s[i + 1] != u'='))
            length = 1;
        else if (QStringView(s).mid(i, 3) == QLatin1String("not")
            && (i + 3 >= s.size() || !identChar(s[i + 3])))
            length = 3;
        if (length == 0)
            return binary(2);
        i += length;
        if (++m_depth > 200) {
            m_error = QStringLiteral("an expression nested too deep");
            --m_depth;
            return std::nullopt;
        }
        auto operand = negation();
        --m_depth;
        if (!operand)
            return std::nullopt;
        Expression n;
        n.kind = Expression::Kind::Not;
        n.args.push_back(std::move(*operand));
        return n;
    }

    // A value: ( expression ), [list], [a..b], {map}, a string, a number, true, false, null,
    // a reference.
    std::optional<Expression> primary()
    {
        spaces();
        if (i >= s.size())
            return std::nullopt;
        const QChar c = s[i];
        if (c == u'(') {
            ++i;
            auto e = expression();
            spaces();
            if (!e || i >= s.size() || s[i] != u')') {
                if (m_error.isEmpty())
                    m_error = QStringLiteral("a ( without its )");
                return std::nullopt;
            }
            ++i;
            return e;
        }
        if (c == u'[' || c == u'{') {
            const QChar close = c == u'[' ? u']' : u'}';
            ++i;
            Expression e;
            e.kind = c == u'[' ? Expression::Kind::List : Expression::Kind::Map;
            spaces();
            if (i < s.size() && s[i] == close) {
                ++i;
                return e;
            }
            while (true) {
                auto item = expression();
                if (!item)
                    return std::nullopt;
                e.args.push_back(std::move(*item));
                spaces();
                if (e.kind == Expression::Kind::List && e.args.size() == 1
                    && s.mid(i, 2) == QLatin1String("..")) {
                    i += 2;
                    auto to = expression();
                    spaces();
                    if (!to || i >= s.size() || s[i] != u']') {
                        if (m_error.isEmpty())
                            m_error = QStringLiteral("a range is [from..to]");
                        return std::nullopt;
                    }
                    ++i;
                    e.kind = Expression::Kind::Range;
                    e.args.push_back(std::move(*to));
                    return e;
                }
                if (e.kind == Expression::Kind::Map) {
                    if (i >= s.size() || s[i] != u':') {
                        m_error = QStringLiteral("a map's key without its :");
                        return std::nullopt;
                    }
                    ++i;
                    auto value = expression();
                    if (!value)
                        return std::nullopt;
                    e.args.push_back(std::move(*value));
                    spaces();
                }
                if (i < s.size() && s[i] == u',') {
                    ++i;
                    continue;
                }
                if (i < s.size() && s[i] == close) {
                    ++i;
                    return e;
                }
                m_error = QStringLiteral("a list or map without its %1").arg(close);
                return std::nullopt;
            }
        }
        if (s.mid(i, 4) == QLatin1String("null") && (i + 4 >= s.size() || !identChar(s[i + 4]))) {
            i += 4;
            Expression e;
            e.kind = Expression::Kind::Null;
            return e;
        }
        return argument();
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
                    if (c == u'"' && e.text.contains(u'$'))
                        interpolate(e);
                    return m_error.isEmpty() ? std::optional<Expression>(std::move(e))
                                             : std::nullopt;
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
            bool decimal = false;
            if (i + 1 < s.size() && s[i] == u'.' && s[i + 1].isDigit()) {
                decimal = true;
                ++i;
                while (i < s.size() && s[i].isDigit())
                    ++i;
            }
            bool ok = false;
            const QString digits = s.mid(from, i - from);
            e.kind = Expression::Kind::Number;
            if (decimal)
                e.number = digits.toDouble(&ok);
            else
                e.number = digits.toLongLong(&ok);
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
    std::optional<Expression> m_condition; // an #elseif's, for the #if it belongs to
    int m_depth = 0;
    int m_nesting = 0; // #if and #foreach inside each other

    // A "string" with references in it: its parts, rendered when it is evaluated.
    void interpolate(Expression &e)
    {
        const QString inner = e.text;
        Parser parser(inner);
        parser.m_depth = m_depth + 1;
        if (parser.m_depth > 50) {
            m_error = QStringLiteral("strings nested too deep");
            return;
        }
        QString ended;
        auto parts = parser.block(&ended);
        if (!parser.m_error.isEmpty() || !ended.isEmpty()) {
            m_error = parser.m_error.isEmpty()
                ? QStringLiteral("#%1 in a string without its #if or #foreach").arg(ended)
                : parser.m_error;
            return;
        }
        e.kind = Expression::Kind::Interpolated;
        e.inner = std::make_shared<const std::vector<Part>>(std::move(parts));
    }
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

    // Writes the parts to `out`; false on an error (in `error`).
    bool render(const std::vector<Part> &parts, QString &out)
    {
        for (const Part &p : parts) {
            if (!error.isEmpty())
                return false;
            if (out.size() > kMaxOutput) {
                error = QStringLiteral("the mapping template's output is over %1 MB")
                            .arg(kMaxOutput / (1024 * 1024));
                return false;
            }
            switch (p.kind) {
            case Part::Kind::Text:
                out += p.text;
                break;
            case Part::Kind::Reference: {
                const std::optional<Json> v = eval(*p.reference);
                if (!error.isEmpty())
                    return false;
                if (!v || v->is_null())
                    out += p.reference->quiet ? QString() : p.reference->text;
                else
                    out += text(v);
                break;
            }
            case Part::Kind::Set: {
                // As Velocity's: a value that names nothing leaves the variable as it was.
                std::optional<Json> v = eval(*p.reference);
                if (v && !v->is_null())
                    vars.insert(p.text, std::move(*v));
                break;
            }
            case Part::Kind::If: {
                const std::vector<Part> *chosen = &p.body;
                for (const auto &[condition, body] : p.branches) {
                    if (truthy(eval(condition))) {
                        chosen = &body;
                        break;
                    }
                }
                if (!error.isEmpty() || !render(*chosen, out))
                    return false;
                break;
            }
            case Part::Kind::Foreach: {
                const std::optional<Json> list = eval(*p.reference);
                if (!error.isEmpty())
                    return false;
                std::vector<Json> items;
                if (list && list->is_array())
                    items.assign(list->begin(), list->end());
                else if (list && list->is_object())
                    for (const Json &v : *list) // a map's values, as Velocity iterates them
                        items.push_back(v);
                const std::optional<Json> outerLoop = lookup(QStringLiteral("foreach"));
                const std::optional<Json> outerValue = lookup(p.text);
                for (size_t k = 0; k < items.size(); ++k) {
                    if (++iterations > kMaxIterations) {
                        error = QStringLiteral("the mapping template's loops ran over %1 times")
                                    .arg(kMaxIterations);
                        return false;
                    }
                    vars.insert(p.text, items[k]);
                    vars.insert(QStringLiteral("foreach"),
                        Json {{"index", qint64(k)}, {"count", qint64(k + 1)},
                            {"hasNext", k + 1 < items.size()}, {"first", k == 0},
                            {"last", k + 1 == items.size()}});
                    vars.insert(QStringLiteral("velocityCount"), Json(qint64(k + 1)));
                    if (!render(p.body, out))
                        return false;
                }
                restore(QStringLiteral("foreach"), outerLoop);
                restore(p.text, outerValue);
                break;
            }
            }
        }
        return error.isEmpty();
    }

    std::optional<Json> eval(const Expression &e)
    {
        switch (e.kind) {
        case Expression::Kind::String:
            return Json(e.text.toStdString());
        case Expression::Kind::Number:
            return e.number;
        case Expression::Kind::Boolean:
            return Json(e.boolean);
        case Expression::Kind::Null:
            return std::nullopt;
        case Expression::Kind::Not:
            return Json(!truthy(eval(e.args[0])));
        case Expression::Kind::Binary:
            return binary(e);
        case Expression::Kind::List: {
            Json list = Json::array();
            for (const Expression &item : e.args) {
                auto v = eval(item);
                list.push_back(v ? std::move(*v) : Json());
            }
            return list;
        }
        case Expression::Kind::Map: {
            Json map = Json::object();
            for (size_t k = 0; k + 1 < e.args.size(); k += 2) {
                auto v = eval(e.args[k + 1]);
                map[text(eval(e.args[k])).toStdString()] = v ? std::move(*v) : Json();
            }
            return map;
        }
        case Expression::Kind::Range: {
            const auto from = eval(e.args[0]), to = eval(e.args[1]);
            if (!from || !to || !from->is_number_integer() || !to->is_number_integer())
                return std::nullopt;
            const qint64 a = from->get<qint64>(), b = to->get<qint64>();
            if (qAbs(b - a) >= kMaxIterations) {
                error = QStringLiteral("the range [%1..%2] is over %3 long")
                            .arg(a)
                            .arg(b)
                            .arg(kMaxIterations);
                return std::nullopt;
            }
            Json list = Json::array();
            for (qint64 k = a;; k += a <= b ? 1 : -1) {
                list.push_back(k);
                if (k == b)
                    break;
            }
            return list;
        }
        case Expression::Kind::Interpolated: {
            QString out;
            if (!render(*e.inner, out))
                return std::nullopt;
            return Json(out.toStdString());
        }
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
            Json stage = Json::object();
            for (auto it = in.stageVariables.cbegin(); it != in.stageVariables.cend(); ++it)
                stage[it.key().toStdString()] = it.value().toStdString();
            current = std::move(stage);
        } else {
            current = lookup(e.root);
        }
        for (; k < e.steps.size() && current && error.isEmpty(); ++k)
            current = step(*current, e.steps[k]);
        return current;
    }

private:
    std::optional<Json> lookup(const QString &name) const
    {
        const auto it = vars.constFind(name);
        return it == vars.cend() ? std::nullopt : std::optional<Json>(*it);
    }

    void restore(const QString &name, const std::optional<Json> &value)
    {
        if (value)
            vars.insert(name, *value);
        else
            vars.remove(name);
    }

    // Velocity 1.7's: null and false are false, everything else true.
    static bool truthy(const std::optional<Json> &v)
    {
        return v && !v->is_null() && (!v->is_boolean() || v->get<bool>());
    }

    std::optional<Json> binary(const Expression &e)
    {
        const QString &op = e.op;
        if (op == u"||")
            return Json(truthy(eval(e.args[0])) || truthy(eval(e.args[1])));
        if (op == u"&&")
            return Json(truthy(eval(e.args[0])) && truthy(eval(e.args[1])));
        const std::optional<Json> a = eval(e.args[0]), b = eval(e.args[1]);
        const bool numbers = a && b && a->is_number() && b->is_number();
        if (op == u"==" || op == u"!=") {
            bool same;
            if (!a || a->is_null() || !b || b->is_null())
                same = (!a || a->is_null()) && (!b || b->is_null());
            else if (numbers)
                same = a->get<double>() == b->get<double>();
            else
                same = text(a) == text(b); // other kinds: by their text, as Velocity does
            return Json(op == u"==" ? same : !same);
        }
        if (op == u"<" || op == u">" || op == u"<=" || op == u">=") {
            int order;
            if (numbers) {
                const double x = a->get<double>(), y = b->get<double>();
                order = x < y ? -1 : (x > y ? 1 : 0);
            } else if (a && b && a->is_string() && b->is_string()) {
                order = text(a).compare(text(b));
            } else {
                return Json(false);
            }
            return Json(op == u"<" ? order < 0
                    : op == u">"   ? order > 0
                    : op == u"<="  ? order <= 0
                                   : order >= 0);
        }
        if (!numbers)
            return std::nullopt; // Velocity's arithmetic is on numbers only
        if (a->is_number_integer() && b->is_number_integer()) {
            const qint64 x = a->get<qint64>(), y = b->get<qint64>();
            qint64 r = 0;
            if (op == u"+" && !qAddOverflow(x, y, &r))
                return Json(r);
            if (op == u"-" && !qSubOverflow(x, y, &r))
                return Json(r);
            if (op == u"*" && !qMulOverflow(x, y, &r))
                return Json(r);
            if ((op == u"/" || op == u"%") && y != 0
                && !(x == std::numeric_limits<qint64>::min() && y == -1))
                return Json(op == u"/" ? x / y : x % y);
            if (op == u"/" || op == u"%")
                return std::nullopt;
        }
        const double x = a->get<double>(), y = b->get<double>();
        if (op == u"+")
            return Json(x + y);
        if (op == u"-")
            return Json(x - y);
        if (op == u"*")
            return Json(x * y);
        if (y == 0)
            return std::nullopt;
        return Json(op == u"/" ? x / y : std::fmod(x, y));
    }

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
            if (m == QLatin1String("split") && a.size() == 1) {
                // Java's String.split: a regular expression; trailing empty strings dropped.
                const QRegularExpression re(text(a[0]));
                if (!re.isValid())
                    return std::nullopt;
                QStringList pieces = str.split(re);
                while (!pieces.isEmpty() && pieces.last().isEmpty())
                    pieces.removeLast();
                Json list = Json::array();
                for (const QString &piece : pieces)
                    list.push_back(piece.toStdString());
                return list;
            }
            if (m == QLatin1String("indexOf") && a.size() == 1)
                return Json(qint64(str.indexOf(text(a[0]))));
            if (m == QLatin1String("equals") && a.size() == 1)
                return Json(a[0] && a[0]->is_string() && str == text(a[0]));
            if (m == QLatin1String("isEmpty") && a.empty())
                return Json(str.isEmpty());
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
    QHash<QString, Json> vars; // #set's and #foreach's
    qint64 iterations = 0;
};

} // namespace

Result<MappingTemplate> MappingTemplate::parse(const QString &text)
{
    Parser parser(text);
    auto parts = parser.parse();
    if (!parts)
        return parts.error();
    MappingTemplate t;
    t.m_parts = std::make_shared<const std::vector<Part>>(std::move(*parts));
    return t;
}

Result<QByteArray> MappingTemplate::render(const MappingInput &input) const
{
    QString out;
    if (!m_parts)
        return QByteArray();
    Evaluator evaluator(input);
    if (!evaluator.render(*m_parts, out))
        return makeError(QStringLiteral("BadRequestException"), evaluator.error);
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
