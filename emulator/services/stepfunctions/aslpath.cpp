#include "services/stepfunctions/aslpath.h"

#include "services/stepfunctions/aslintrinsics.h"

namespace tarmac {

namespace {

struct FilterExpr;

} // namespace

struct AslPath::Step
{
    enum Kind { Key, Index, Wildcard, Descent, Slice, KeyUnion, IndexUnion, Filter } kind = Key;
    std::string key;
    qint64 index = 0;
    std::vector<std::string> keys;
    std::vector<qint64> indexes;
    std::optional<qint64> sliceStart;
    std::optional<qint64> sliceEnd;
    qint64 sliceStep = 1;
    std::shared_ptr<const FilterExpr> filter;

    bool isDefinite() const { return kind == Key || kind == Index; }
};

namespace {

using Step = AslPath::Step;

// One side of a filter's comparison: a literal, `@...` (the element under test) or `$...`.
struct Operand
{
    enum Kind { Literal, Relative, Absolute } kind = Literal;
    Json literal;
    std::vector<Step> steps;
};

struct FilterExpr
{
    enum Kind { Or, And, Not, Exists, Compare } kind = Exists;
    enum Op { Eq, Ne, Lt, Le, Gt, Ge } op = Eq;
    std::vector<std::shared_ptr<const FilterExpr>> children;
    Operand lhs;
    Operand rhs;
};

Error runtimeError(QString message)
{
    return makeError(QString(AslErrors::Runtime), std::move(message));
}

bool stepsDefinite(const std::vector<Step> &steps)
{
    return std::all_of(steps.begin(), steps.end(), [](const Step &s) { return s.isDefinite(); });
}

QString quoteKey(const std::string &key)
{
    return QString(QStringLiteral("['") + fromStd(key) + QStringLiteral("']"));
}

QString normalizedSteps(const std::vector<Step> &steps, qsizetype count)
{
    QString out;
    for (qsizetype n = 0; n < count && n < qsizetype(steps.size()); ++n) {
        const Step &s = steps[size_t(n)];
        switch (s.kind) {
        case Step::Key:
            out += quoteKey(s.key);
            break;
        case Step::Index:
            out += QString(QLatin1Char('[') + QString::number(s.index) + QLatin1Char(']'));
            break;
        case Step::Wildcard:
            out += QStringLiteral("[*]");
            break;
        case Step::Descent:
            out += QStringLiteral("..");
            break;
        case Step::Slice:
            out += QString(QLatin1Char('[')
                + (s.sliceStart ? QString::number(*s.sliceStart) : QString()) + QLatin1Char(':')
                + (s.sliceEnd ? QString::number(*s.sliceEnd) : QString()) + QLatin1Char(']'));
            break;
        case Step::KeyUnion: {
            QStringList parts;
            for (const std::string &k : s.keys)
                parts << QString(QLatin1Char('\'') + fromStd(k) + QLatin1Char('\''));
            out += QString(QLatin1Char('[') + parts.join(QLatin1Char(',')) + QLatin1Char(']'));
            break;
        }
        case Step::IndexUnion: {
            QStringList parts;
            for (qint64 i : s.indexes)
                parts << QString::number(i);
            out += QString(QLatin1Char('[') + parts.join(QLatin1Char(',')) + QLatin1Char(']'));
            break;
        }
        case Step::Filter:
            out += QStringLiteral("[?]");
            break;
        }
    }
    return out;
}

// Parses the steps after `$`, `$$` or `@`. In a filter, a name ends at the operators and
// brackets of the filter language too.
class PathParser
{
public:
    explicit PathParser(QStringView text)
        : m_s(text)
    { }

    std::optional<QString> parseSteps(std::vector<Step> &steps, bool inFilter)
    {
        while (m_i < m_s.size()) {
            const QChar c = m_s[m_i];
            if (c == u'.') {
                ++m_i;
                if (peek(u'.')) {
                    ++m_i;
                    steps.push_back(Step {Step::Descent});
                    if (peek(u'[')) {
                        if (auto e = parseBracket(steps))
                            return e;
                        continue;
                    }
                }
                if (peek(u'*')) {
                    ++m_i;
                    steps.push_back(Step {Step::Wildcard});
                    continue;
                }
                const qsizetype start = m_i;
                while (m_i < m_s.size() && isNameChar(m_s[m_i], inFilter))
                    ++m_i;
                if (m_i == start)
                    return QStringLiteral("a name is expected after '.' at %1").arg(start);
                if (peek(u'('))
                    return QStringLiteral("functions are not supported (at %1)").arg(start);
                Step step {Step::Key};
                step.key = m_s.sliced(start, m_i - start).toString().toStdString();
                steps.push_back(std::move(step));
            } else if (c == u'[') {
                if (auto e = parseBracket(steps))
                    return e;
            } else if (inFilter) {
                return std::nullopt;
            } else {
                return QStringLiteral("unexpected '%1' at %2").arg(c).arg(m_i);
            }
            if (steps.size() > 128)
                return QStringLiteral("a path has at most 128 steps");
        }
        return std::nullopt;
    }

    std::optional<QString> parseFilter(std::shared_ptr<const FilterExpr> &out)
    {
        auto e = parseOr(out);
        if (e)
            return e;
        return std::nullopt;
    }

    qsizetype position() const { return m_i; }
    bool atEnd() const { return m_i >= m_s.size(); }

private:
    bool peek(char16_t c) const { return m_i < m_s.size() && m_s[m_i] == c; }
    bool peek(QStringView word) const { return m_s.sliced(m_i).startsWith(word); }

    static bool isNameChar(QChar c, bool inFilter)
    {
        // '(' ends a name so that a function call ("$.a.length()") is refused, not read as a
        // member named "length()".
        if (c == u'.' || c == u'[' || c == u'(')
            return false;
        if (!inFilter)
            return true;
        return !(c.isSpace() || c == u')' || c == u'(' || c == u'=' || c == u'!' || c == u'<'
            || c == u'>' || c == u'&' || c == u'|' || c == u',' || c == u']');
    }

    void skipSpace()
    {
        while (m_i < m_s.size() && m_s[m_i].isSpace())
            ++m_i;
    }

    std::optional<QString> quoted(QString &out)
    {
        const QChar quote = m_s[m_i++];
        while (m_i < m_s.size() && m_s[m_i] != quote) {
            if (m_s[m_i] == u'\\' && m_i + 1 < m_s.size())
                ++m_i;
            out += m_s[m_i++];
        }
        if (m_i >= m_s.size())
            return QStringLiteral("unfinished quoted name");
        ++m_i;
        return std::nullopt;
    }

    std::optional<qint64> integer()
    {
        const qsizetype start = m_i;
        if (peek(u'-'))
            ++m_i;
        while (m_i < m_s.size() && m_s[m_i].isDigit())
            ++m_i;
        bool ok = false;
        const qint64 v = m_s.sliced(start, m_i - start).toLongLong(&ok);
        if (!ok) {
            m_i = start;
            return std::nullopt;
        }
        return v;
    }

    std::optional<QString> parseBracket(std::vector<Step> &steps)
    {
        ++m_i; // [
        skipSpace();
        if (m_i >= m_s.size())
            return QStringLiteral("unfinished '['");
        const QChar c = m_s[m_i];
        if (c == u'*') {
            ++m_i;
            steps.push_back(Step {Step::Wildcard});
        } else if (c == u'?') {
            ++m_i;
            skipSpace();
            if (!peek(u'('))
                return QStringLiteral("'(' expected after '?' at %1").arg(m_i);
            ++m_i;
            Step step {Step::Filter};
            if (auto e = parseFilter(step.filter))
                return e;
            skipSpace();
            if (!peek(u')'))
                return QStringLiteral("')' expected at %1").arg(m_i);
            ++m_i;
            steps.push_back(std::move(step));
        } else if (c == u'\'' || c == u'"') {
            std::vector<std::string> keys;
            for (;;) {
                skipSpace();
                if (!(peek(u'\'') || peek(u'"')))
                    return QStringLiteral("a quoted name is expected at %1").arg(m_i);
                QString key;
                if (auto e = quoted(key))
                    return e;
                keys.push_back(key.toStdString());
                skipSpace();
                if (!peek(u','))
                    break;
                ++m_i;
            }
            Step step {keys.size() == 1 ? Step::Key : Step::KeyUnion};
            if (keys.size() == 1)
                step.key = keys.front();
            else
                step.keys = std::move(keys);
            steps.push_back(std::move(step));
        } else {
            const auto first = integer();
            skipSpace();
            if (peek(u':')) {
                Step step {Step::Slice};
                step.sliceStart = first;
                ++m_i;
                skipSpace();
                step.sliceEnd = integer();
                skipSpace();
                if (peek(u':')) {
                    ++m_i;
                    skipSpace();
                    const auto by = integer();
                    if (by && *by <= 0)
                        return QStringLiteral("a slice's step must be positive");
                    step.sliceStep = by.value_or(1);
                }
                steps.push_back(std::move(step));
            } else if (first) {
                std::vector<qint64> indexes {*first};
                while (peek(u',')) {
                    ++m_i;
                    skipSpace();
                    const auto next = integer();
                    if (!next)
                        return QStringLiteral("an index is expected at %1").arg(m_i);
                    indexes.push_back(*next);
                    skipSpace();
                }
                Step step {indexes.size() == 1 ? Step::Index : Step::IndexUnion};
                if (indexes.size() == 1)
                    step.index = indexes.front();
                else
                    step.indexes = std::move(indexes);
                steps.push_back(std::move(step));
            } else {
                return QStringLiteral("an index, a quoted name, * or a filter is expected at %1")
                    .arg(m_i);
            }
        }
        skipSpace();
        if (!peek(u']'))
            return QStringLiteral("']' expected at %1").arg(m_i);
        ++m_i;
        return std::nullopt;
    }

    std::optional<QString> parseOr(std::shared_ptr<const FilterExpr> &out)
    {
        auto node = std::make_shared<FilterExpr>();
        node->kind = FilterExpr::Or;
        for (;;) {
            std::shared_ptr<const FilterExpr> child;
            if (auto e = parseAnd(child))
                return e;
            node->children.push_back(std::move(child));
            skipSpace();
            if (!peek(u"||"))
                break;
            m_i += 2;
        }
        out = node->children.size() == 1 ? node->children.front() : node;
        return std::nullopt;
    }

    std::optional<QString> parseAnd(std::shared_ptr<const FilterExpr> &out)
    {
        auto node = std::make_shared<FilterExpr>();
        node->kind = FilterExpr::And;
        for (;;) {
            std::shared_ptr<const FilterExpr> child;
            if (auto e = parseUnary(child))
                return e;
            node->children.push_back(std::move(child));
            skipSpace();
            if (!peek(u"&&"))
                break;
            m_i += 2;
        }
        out = node->children.size() == 1 ? node->children.front() : node;
        return std::nullopt;
    }

    std::optional<QString> parseUnary(std::shared_ptr<const FilterExpr> &out)
    {
        skipSpace();
        if (peek(u'!') && !peek(u"!=")) {
            ++m_i;
            auto node = std::make_shared<FilterExpr>();
            node->kind = FilterExpr::Not;
            std::shared_ptr<const FilterExpr> child;
            if (auto e = parseUnary(child))
                return e;
            node->children.push_back(std::move(child));
            out = node;
            return std::nullopt;
        }
        if (peek(u'(')) {
            ++m_i;
            if (auto e = parseOr(out))
                return e;
            skipSpace();
            if (!peek(u')'))
                return QStringLiteral("')' expected at %1").arg(m_i);
            ++m_i;
            return std::nullopt;
        }
        auto node = std::make_shared<FilterExpr>();
        if (auto e = parseOperand(node->lhs))
            return e;
        skipSpace();
        static const std::pair<QStringView, FilterExpr::Op> ops[]
            = {{u"==", FilterExpr::Eq}, {u"!=", FilterExpr::Ne}, {u"<=", FilterExpr::Le},
                {u">=", FilterExpr::Ge}, {u"<", FilterExpr::Lt}, {u">", FilterExpr::Gt}};
        for (const auto &[text, op] : ops) {
            if (peek(text)) {
                m_i += text.size();
                node->kind = FilterExpr::Compare;
                node->op = op;
                skipSpace();
                if (auto e = parseOperand(node->rhs))
                    return e;
                out = node;
                return std::nullopt;
            }
        }
        if (node->lhs.kind == Operand::Literal)
            return QStringLiteral("a comparison is expected at %1").arg(m_i);
        node->kind = FilterExpr::Exists;
        out = node;
        return std::nullopt;
    }

    std::optional<QString> parseOperand(Operand &out)
    {
        skipSpace();
        if (m_i >= m_s.size())
            return QStringLiteral("an operand is expected at the end");
        const QChar c = m_s[m_i];
        if (c == u'@' || c == u'$') {
            out.kind = c == u'@' ? Operand::Relative : Operand::Absolute;
            ++m_i;
            return parseSteps(out.steps, true);
        }
        out.kind = Operand::Literal;
        if (c == u'\'' || c == u'"') {
            QString s;
            if (auto e = quoted(s))
                return e;
            out.literal = s.toStdString();
            return std::nullopt;
        }
        for (const auto &[word, value] : {std::pair<QStringView, Json> {u"true", Json(true)},
                 {u"false", Json(false)}, {u"null", Json(nullptr)}}) {
            if (peek(word)) {
                m_i += word.size();
                out.literal = value;
                return std::nullopt;
            }
        }
        const qsizetype start = m_i;
        while (m_i < m_s.size()
            && (m_s[m_i].isDigit() || m_s[m_i] == u'-' || m_s[m_i] == u'+' || m_s[m_i] == u'.'
                || m_s[m_i] == u'e' || m_s[m_i] == u'E'))
            ++m_i;
        auto number = parseJson(m_s.sliced(start, m_i - start).toUtf8());
        if (m_i == start || !number || !number->is_number())
            return QStringLiteral("a value is expected at %1").arg(start);
        out.literal = std::move(*number);
        return std::nullopt;
    }

    QStringView m_s;
    qsizetype m_i = 0;
};

void collectDescendants(const Json *node, std::vector<const Json *> &out)
{
    out.push_back(node);
    if (node->is_structured()) {
        for (auto it = node->begin(); it != node->end(); ++it)
            collectDescendants(&*it, out);
    }
}

const Json *atIndex(const Json *node, qint64 index)
{
    if (!node->is_array())
        return nullptr;
    const qint64 size = qint64(node->size());
    const qint64 at = index < 0 ? size + index : index;
    if (at < 0 || at >= size)
        return nullptr;
    return &(*node)[size_t(at)];
}

bool filterHolds(const FilterExpr &expr, const Json *element, const Json &root);

// Walks `steps` from `start`; false (with the count of steps that succeeded in
// `failedAfter`) when a step of the definite prefix finds nothing.
bool walk(const std::vector<Step> &steps, const Json *start, const Json &root,
    std::vector<const Json *> &out, qsizetype *failedAfter)
{
    std::vector<const Json *> current {start};
    std::vector<const Json *> next;
    bool definite = true;
    for (size_t n = 0; n < steps.size(); ++n) {
        const Step &step = steps[n];
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
                if (const Json *v = atIndex(node, step.index))
                    next.push_back(v);
                break;
            case Step::Wildcard:
                if (node->is_structured()) {
                    for (auto it = node->begin(); it != node->end(); ++it)
                        next.push_back(&*it);
                }
                break;
            case Step::Descent:
                collectDescendants(node, next);
                break;
            case Step::Slice:
                if (node->is_array()) {
                    const qint64 size = qint64(node->size());
                    auto clamp = [size](qint64 v) {
                        if (v < 0)
                            v += size;
                        return std::clamp<qint64>(v, 0, size);
                    };
                    const qint64 from = step.sliceStart ? clamp(*step.sliceStart) : 0;
                    const qint64 to = step.sliceEnd ? clamp(*step.sliceEnd) : size;
                    for (qint64 i = from; i < to; i += step.sliceStep)
                        next.push_back(&(*node)[size_t(i)]);
                }
                break;
            case Step::KeyUnion:
                if (node->is_object()) {
                    for (const std::string &k : step.keys) {
                        auto it = node->find(k);
                        if (it != node->end())
                            next.push_back(&*it);
                    }
                }
                break;
            case Step::IndexUnion:
                for (qint64 i : step.indexes) {
                    if (const Json *v = atIndex(node, i))
                        next.push_back(v);
                }
                break;
            case Step::Filter:
                if (node->is_array()) {
                    for (const Json &element : *node) {
                        if (filterHolds(*step.filter, &element, root))
                            next.push_back(&element);
                    }
                } else if (node->is_object() && filterHolds(*step.filter, node, root)) {
                    next.push_back(node);
                }
                break;
            }
        }
        definite = definite && step.isDefinite();
        if (definite && next.empty()) {
            if (failedAfter)
                *failedAfter = qsizetype(n) + 1;
            return false;
        }
        std::swap(current, next);
    }
    out = std::move(current);
    return true;
}

// An operand's value: nullopt when a path selects nothing.
std::optional<Json> operandValue(const Operand &operand, const Json *element, const Json &root)
{
    if (operand.kind == Operand::Literal)
        return operand.literal;
    std::vector<const Json *> found;
    const Json *start = operand.kind == Operand::Relative ? element : &root;
    if (!walk(operand.steps, start, root, found, nullptr))
        return std::nullopt;
    if (stepsDefinite(operand.steps))
        return found.empty() ? std::nullopt : std::optional<Json>(*found.front());
    Json list = Json::array();
    for (const Json *v : found)
        list.push_back(*v);
    return list;
}

bool compareValues(const Json &a, const Json &b, FilterExpr::Op op)
{
    if (op == FilterExpr::Eq)
        return a == b;
    if (op == FilterExpr::Ne)
        return a != b;
    int order = 0;
    if (a.is_number() && b.is_number()) {
        const double x = a.get<double>();
        const double y = b.get<double>();
        order = x < y ? -1 : (x > y ? 1 : 0);
    } else if (a.is_string() && b.is_string()) {
        order = fromStd(a.get<std::string>()).compare(fromStd(b.get<std::string>()));
    } else {
        return false;
    }
    switch (op) {
    case FilterExpr::Lt:
        return order < 0;
    case FilterExpr::Le:
        return order <= 0;
    case FilterExpr::Gt:
        return order > 0;
    case FilterExpr::Ge:
        return order >= 0;
    default:
        return false;
    }
}

bool filterHolds(const FilterExpr &expr, const Json *element, const Json &root)
{
    switch (expr.kind) {
    case FilterExpr::Or:
        return std::any_of(expr.children.begin(), expr.children.end(),
            [&](const auto &c) { return filterHolds(*c, element, root); });
    case FilterExpr::And:
        return std::all_of(expr.children.begin(), expr.children.end(),
            [&](const auto &c) { return filterHolds(*c, element, root); });
    case FilterExpr::Not:
        return !filterHolds(*expr.children.front(), element, root);
    case FilterExpr::Exists: {
        const auto v = operandValue(expr.lhs, element, root);
        if (!v)
            return false;
        if (!stepsDefinite(expr.lhs.steps))
            return !v->empty();
        return true;
    }
    case FilterExpr::Compare: {
        const auto a = operandValue(expr.lhs, element, root);
        const auto b = operandValue(expr.rhs, element, root);
        if (!a || !b)
            return false;
        return compareValues(*a, *b, expr.op);
    }
    }
    return false;
}

// Does a ".$" field hold an intrinsic call rather than a path?
bool isIntrinsicCall(QStringView expression)
{
    return expression.trimmed().startsWith(u"States.");
}

QString typeName(const Json &value)
{
    switch (value.type()) {
    case Json::value_t::object:
        return QStringLiteral("OBJECT");
    case Json::value_t::array:
        return QStringLiteral("ARRAY");
    case Json::value_t::string:
        return QStringLiteral("STRING");
    case Json::value_t::boolean:
        return QStringLiteral("BOOLEAN");
    case Json::value_t::null:
        return QStringLiteral("NULL");
    default:
        return QStringLiteral("NUMBER");
    }
}

Result<Json> applyTemplateNode(const Json &node, const Json &input, const Json &context,
    const AslRandomSource &random, int depth)
{
    if (depth > 64)
        return runtimeError(QStringLiteral("The payload template is nested too deeply"));
    if (node.is_array()) {
        Json out = Json::array();
        for (const Json &item : node) {
            auto v = applyTemplateNode(item, input, context, random, depth + 1);
            if (!v)
                return v.error();
            out.push_back(std::move(*v));
        }
        return out;
    }
    if (!node.is_object())
        return node;
    Json out = Json::object();
    for (auto it = node.begin(); it != node.end(); ++it) {
        const std::string &key = it.key();
        const bool dynamic = key.size() > 2 && key.compare(key.size() - 2, 2, ".$") == 0;
        if (!dynamic) {
            auto v = applyTemplateNode(it.value(), input, context, random, depth + 1);
            if (!v)
                return v.error();
            out[key] = std::move(*v);
            continue;
        }
        const QString field = fromStd(key);
        if (!it.value().is_string())
            return runtimeError(QStringLiteral("The value for the field '%1' must be a STRING that "
                                               "contains a JSONPath but was %2")
                                    .arg(field, typeName(it.value())));
        const QString expression = fromStd(it.value().get<std::string>());
        auto v = evaluatePathOrIntrinsic(expression, input, context, random);
        if (!v) {
            if (v.error().code != AslErrors::Runtime || isIntrinsicCall(expression))
                return v.error();
            const bool fromContext = expression.trimmed().startsWith(u"$$");
            return runtimeError(
                QStringLiteral("The JSONPath '%1' specified for the field '%2' could not be found "
                               "in the %3 '%4'")
                    .arg(expression, field,
                        fromContext ? QStringLiteral("context object") : QStringLiteral("input"),
                        aslJsonText(fromContext ? context : input)));
        }
        out[key.substr(0, key.size() - 2)] = std::move(*v);
    }
    return out;
}

Result<Json> applyPath(const Json &value, const std::optional<QString> &path, const Json &context)
{
    if (!path)
        return Json::object();
    auto parsed = AslPath::parse(*path);
    if (!parsed)
        return parsed.error();
    auto v = parsed->evaluate(value, context);
    if (!v)
        return runtimeError(QString(
            QStringLiteral("Invalid path '") + *path + QStringLiteral("' : ") + v.error().message));
    return v;
}

} // namespace

AslPath::AslPath() = default;
AslPath::~AslPath() = default;
AslPath::AslPath(const AslPath &) = default;
AslPath &AslPath::operator=(const AslPath &) = default;
AslPath::AslPath(AslPath &&) noexcept = default;
AslPath &AslPath::operator=(AslPath &&) noexcept = default;

Result<AslPath> AslPath::parse(QStringView text)
{
    AslPath path;
    path.m_text = text.toString();
    const QStringView trimmed = text.trimmed();
    auto invalid = [&](const QString &why) {
        return runtimeError(QStringLiteral("Invalid path '%1': %2").arg(text.toString(), why));
    };
    if (trimmed.size() > 4096)
        return invalid(QStringLiteral("a path is at most 4096 characters"));
    if (!trimmed.startsWith(u'$'))
        return invalid(QStringLiteral("a path starts with '$'"));
    qsizetype start = 1;
    if (trimmed.startsWith(u"$$")) {
        path.m_context = true;
        start = 2;
    } else if (trimmed.size() > 1 && (trimmed[1].isLetter() || trimmed[1] == u'_')) {
        // A workflow variable: $name, then the path into its value.
        while (start < trimmed.size()
            && ((trimmed[start].isLetterOrNumber() && trimmed[start].unicode() < 128)
                || trimmed[start] == u'_'))
            ++start;
        path.m_variable = trimmed.sliced(1, start - 1).toString();
    }
    PathParser parser(trimmed.sliced(start));
    if (auto e = parser.parseSteps(path.m_steps, false))
        return invalid(*e);
    return path;
}

bool AslPath::isDefinite() const
{
    return stepsDefinite(m_steps);
}

QString AslPath::normalized() const
{
    return QString((m_context ? QStringLiteral("$$") : QStringLiteral("$")) + m_variable
        + normalizedSteps(m_steps, qsizetype(m_steps.size())));
}

namespace {
thread_local const Json *tl_variables = nullptr;
} // namespace

AslVariables::AslVariables(const Json *variables)
    : m_previous(tl_variables)
{
    tl_variables = variables;
}

AslVariables::~AslVariables()
{
    tl_variables = m_previous;
}

const Json *AslVariables::current()
{
    return tl_variables;
}

Result<Json> AslPath::evaluate(const Json &input, const Json &context) const
{
    const Json *variable = nullptr;
    if (!m_variable.isEmpty()) {
        const auto unassigned = [this] {
            return runtimeError(
                QStringLiteral("No results for path: $%1 (no variable %1 is assigned)")
                    .arg(m_variable));
        };
        const Json *variables = AslVariables::current();
        if (!variables || !variables->is_object())
            return unassigned();
        const auto it = variables->find(toStd(m_variable));
        if (it == variables->end())
            return unassigned();
        variable = &*it;
    }
    const Json &root = variable ? *variable : m_context ? context : input;
    std::vector<const Json *> found;
    qsizetype failedAfter = 0;
    if (!walk(m_steps, &root, root, found, &failedAfter)) {
        return runtimeError(QString(QStringLiteral("No results for path: ")
            + (m_context ? QStringLiteral("$$") : QStringLiteral("$")) + m_variable
            + normalizedSteps(m_steps, failedAfter)));
    }
    if (isDefinite())
        return *found.front();
    Json list = Json::array();
    for (const Json *v : found)
        list.push_back(*v);
    return list;
}

Result<Json> applyInputPath(
    const Json &input, const std::optional<QString> &path, const Json &context)
{
    return applyPath(input, path, context);
}

Result<Json> applyOutputPath(
    const Json &output, const std::optional<QString> &path, const Json &context)
{
    return applyPath(output, path, context);
}

Result<Json> applyPayloadTemplate(
    const Json &tmpl, const Json &input, const Json &context, const AslRandomSource &random)
{
    return applyTemplateNode(tmpl, input, context, random, 0);
}

Result<Json> evaluatePathOrIntrinsic(
    QStringView expression, const Json &input, const Json &context, const AslRandomSource &random)
{
    if (isIntrinsicCall(expression))
        return evaluateIntrinsic(expression, input, context, random);
    auto path = AslPath::parse(expression);
    if (!path)
        return path.error();
    return path->evaluate(input, context);
}

Result<Json> applyResultPath(
    const Json &input, const Json &result, const std::optional<QString> &path)
{
    if (!path)
        return input;
    auto parsed = AslPath::parse(*path);
    auto failure = [&](const QString &why) {
        return makeError(QString(AslErrors::ResultPathMatchFailure),
            QStringLiteral("Unable to apply ResultPath '%1' to input '%2': %3")
                .arg(*path, aslJsonText(input), why));
    };
    if (!parsed)
        return failure(parsed.error().message);
    if (parsed->isContextPath() || !parsed->isReferencePath())
        return failure(QStringLiteral("ResultPath must be a reference path into the input"));
    const std::vector<Step> &steps = parsed->m_steps;
    if (steps.empty())
        return result;
    Json out = input;
    Json *node = &out;
    for (size_t n = 0; n < steps.size(); ++n) {
        const Step &step = steps[n];
        const bool last = n + 1 == steps.size();
        const QString where = QString(QStringLiteral("$") + normalizedSteps(steps, qsizetype(n)));
        if (step.kind == Step::Key) {
            if (!node->is_object())
                return failure(QStringLiteral("the value at %1 is not an object").arg(where));
            if (last) {
                (*node)[step.key] = result;
                break;
            }
            Json &child = (*node)[step.key];
            if (child.is_null())
                child = Json::object();
            node = &child;
        } else {
            if (!node->is_array())
                return failure(QStringLiteral("the value at %1 is not an array").arg(where));
            const qint64 size = qint64(node->size());
            const qint64 at = step.index < 0 ? size + step.index : step.index;
            if (at < 0 || at >= size)
                return failure(
                    QStringLiteral("index %1 is out of range at %2").arg(step.index).arg(where));
            if (last) {
                (*node)[size_t(at)] = result;
                break;
            }
            node = &(*node)[size_t(at)];
        }
    }
    return out;
}

Result<Json> selectReferencePath(QStringView path, const Json &input, const Json &context)
{
    auto parsed = AslPath::parse(path);
    if (!parsed)
        return parsed.error();
    if (!parsed->isReferencePath())
        return runtimeError(QStringLiteral("Invalid path '%1': a reference path selects a single "
                                           "value (no '*', '..', slices, unions or filters)")
                                .arg(path.toString()));
    auto v = parsed->evaluate(input, context);
    if (!v)
        return runtimeError(QString(QStringLiteral("Invalid path '") + path.toString()
            + QStringLiteral("' : ") + v.error().message));
    return v;
}

QString aslJsonText(const Json &value)
{
    return QString::fromUtf8(toJsonBytes(value));
}

} // namespace tarmac
