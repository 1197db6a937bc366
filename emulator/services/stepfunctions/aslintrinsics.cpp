#include "services/stepfunctions/aslintrinsics.h"

#include <QCryptographicHash>
#include <QRandomGenerator>
#include <QStringDecoder>
#include <QUuid>

#include <cmath>
#include <limits>

namespace tarmac {

struct AslIntrinsic::Node
{
    enum Kind { Literal, Path, Call } kind = Literal;
    Json literal;
    // A string literal as written between its quotes, escapes kept: States.Format tells an
    // escaped "\{\}" from a placeholder by it.
    QString raw;
    AslPath path;
    QString function;
    std::vector<Node> args;
};

namespace {

using Node = AslIntrinsic::Node;

constexpr int kMaxNesting = 10;
constexpr qsizetype kMaxEncodedText = 10000;
constexpr qint64 kMaxRangeItems = 1000;

const char *const kFunctionNames[] = {"States.Array", "States.ArrayPartition",
    "States.ArrayContains", "States.ArrayRange", "States.ArrayGetItem", "States.ArrayLength",
    "States.ArrayUnique", "States.Base64Encode", "States.Base64Decode", "States.Hash",
    "States.JsonMerge", "States.StringToJson", "States.JsonToString", "States.MathRandom",
    "States.MathAdd", "States.StringSplit", "States.UUID", "States.Format"};

Error failure(QString message)
{
    return makeError(QString(AslErrors::IntrinsicFailure), std::move(message));
}

Error invalidArguments(const QString &function, const QString &why)
{
    return failure(QStringLiteral("Invalid arguments in %1: %2").arg(function, why));
}

bool isKnownFunction(const QString &name)
{
    return std::any_of(std::begin(kFunctionNames), std::end(kFunctionNames),
        [&](const char *n) { return name == QLatin1String(n); });
}

class IntrinsicParser
{
public:
    explicit IntrinsicParser(QStringView text)
        : m_s(text)
    { }

    Result<Node> parseAll()
    {
        skipSpace();
        auto call = parseCall(1);
        if (!call)
            return call;
        skipSpace();
        if (m_i != m_s.size())
            return syntax(QStringLiteral("unexpected text after the call at %1").arg(m_i));
        return call;
    }

private:
    Error syntax(const QString &why) const
    {
        return failure(
            QStringLiteral("Invalid intrinsic function call '%1': %2").arg(m_s.toString(), why));
    }

    bool peek(char16_t c) const { return m_i < m_s.size() && m_s[m_i] == c; }
    bool peek(QStringView word) const { return m_s.sliced(m_i).startsWith(word); }
    void skipSpace()
    {
        while (m_i < m_s.size() && m_s[m_i].isSpace())
            ++m_i;
    }

    Result<Node> parseCall(int depth)
    {
        if (depth > kMaxNesting)
            return syntax(
                QStringLiteral("at most %1 intrinsic functions can be nested").arg(kMaxNesting));
        const qsizetype start = m_i;
        while (m_i < m_s.size() && (m_s[m_i].isLetterOrNumber() || m_s[m_i] == u'.'))
            ++m_i;
        Node node;
        node.kind = Node::Call;
        node.function = m_s.sliced(start, m_i - start).toString();
        if (!isKnownFunction(node.function))
            return syntax(QStringLiteral("unknown function '%1'").arg(node.function));
        skipSpace();
        if (!peek(u'('))
            return syntax(QStringLiteral("'(' expected after %1").arg(node.function));
        ++m_i;
        skipSpace();
        if (peek(u')')) {
            ++m_i;
            return node;
        }
        for (;;) {
            auto arg = parseArgument(depth);
            if (!arg)
                return arg;
            node.args.push_back(std::move(*arg));
            skipSpace();
            if (peek(u')')) {
                ++m_i;
                return node;
            }
            if (!peek(u','))
                return syntax(QStringLiteral("',' or ')' expected at %1").arg(m_i));
            ++m_i;
        }
    }

    Result<Node> parseArgument(int depth)
    {
        skipSpace();
        if (m_i >= m_s.size())
            return syntax(QStringLiteral("an argument is expected at the end"));
        const QChar c = m_s[m_i];
        if (c == u'\'')
            return parseString();
        if (c == u'$')
            return parsePath();
        if (peek(u"States."))
            return parseCall(depth + 1);
        Node node;
        for (const auto &[word, value] : {std::pair<QStringView, Json> {u"true", Json(true)},
                 {u"false", Json(false)}, {u"null", Json(nullptr)}}) {
            if (peek(word)) {
                m_i += word.size();
                node.literal = value;
                return node;
            }
        }
        const qsizetype start = m_i;
        while (m_i < m_s.size()
            && (m_s[m_i].isDigit() || m_s[m_i] == u'-' || m_s[m_i] == u'+' || m_s[m_i] == u'.'
                || m_s[m_i] == u'e' || m_s[m_i] == u'E'))
            ++m_i;
        auto number = parseJson(m_s.sliced(start, m_i - start).toUtf8());
        if (m_i == start || !number || !number->is_number())
            return syntax(QStringLiteral("an argument is expected at %1").arg(start));
        node.literal = std::move(*number);
        return node;
    }

    Result<Node> parseString()
    {
        ++m_i; // '
        Node node;
        QString value;
        const qsizetype start = m_i;
        while (m_i < m_s.size() && m_s[m_i] != u'\'') {
            if (m_s[m_i] == u'\\') {
                if (m_i + 1 >= m_s.size())
                    return syntax(QStringLiteral("an open escape at %1").arg(m_i));
                const QChar e = m_s[m_i + 1];
                if (e != u'\'' && e != u'{' && e != u'}' && e != u'\\')
                    return syntax(QStringLiteral("'\\%1' is not an escape (at %2); only \\', "
                                                 "\\{, \\} and \\\\ are")
                                      .arg(e)
                                      .arg(m_i));
                value += e;
                m_i += 2;
                continue;
            }
            value += m_s[m_i++];
        }
        if (m_i >= m_s.size())
            return syntax(QStringLiteral("unterminated string starting at %1").arg(start - 1));
        node.raw = m_s.sliced(start, m_i - start).toString();
        ++m_i; // '
        node.literal = value.toStdString();
        return node;
    }

    // A path runs to the ',' or ')' that ends the argument, outside brackets and quotes.
    Result<Node> parsePath()
    {
        const qsizetype start = m_i;
        int depth = 0;
        QChar quote;
        while (m_i < m_s.size()) {
            const QChar c = m_s[m_i];
            if (!quote.isNull()) {
                if (c == u'\\')
                    ++m_i;
                else if (c == quote)
                    quote = QChar();
            } else if (c == u'\'' || c == u'"') {
                if (depth == 0)
                    break;
                quote = c;
            } else if (c == u'[' || c == u'(') {
                ++depth;
            } else if (c == u']' || c == u')') {
                if (depth == 0)
                    break;
                --depth;
            } else if (c == u',' && depth == 0) {
                break;
            }
            ++m_i;
        }
        const QStringView text = m_s.sliced(start, m_i - start).trimmed();
        auto path = AslPath::parse(text);
        if (!path)
            return syntax(path.error().message);
        Node node;
        node.kind = Node::Path;
        node.path = std::move(*path);
        return node;
    }

    QStringView m_s;
    qsizetype m_i = 0;
};

std::optional<qint64> asInteger(const Json &v)
{
    if (v.is_number_unsigned()) {
        const auto u = v.get<quint64>();
        if (u > quint64(std::numeric_limits<qint64>::max()))
            return std::nullopt;
        return qint64(u);
    }
    if (v.is_number_integer())
        return v.get<qint64>();
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (std::isfinite(d) && std::floor(d) == d && std::abs(d) < 9.0e15)
            return qint64(d);
    }
    return std::nullopt;
}

bool inInt32(qint64 v)
{
    return v >= std::numeric_limits<qint32>::min() && v <= std::numeric_limits<qint32>::max();
}

QString stringOf(const Json &v)
{
    return fromStd(v.get<std::string>());
}

// How States.Format writes a value into its template: strings as they are, numbers, booleans
// and null as JSON, and containers the way Step Functions' Java runtime prints them
// ("[1, 2]", "{a=1, b=x}").
QString formatValue(const Json &v)
{
    if (v.is_string())
        return stringOf(v);
    if (v.is_array()) {
        QStringList parts;
        for (const Json &item : v)
            parts << formatValue(item);
        return QString(QLatin1Char('[') + parts.join(QStringLiteral(", ")) + QLatin1Char(']'));
    }
    if (v.is_object()) {
        QStringList parts;
        for (auto it = v.begin(); it != v.end(); ++it)
            parts << QString(fromStd(it.key()) + QLatin1Char('=') + formatValue(it.value()));
        return QString(QLatin1Char('{') + parts.join(QStringLiteral(", ")) + QLatin1Char('}'));
    }
    return aslJsonText(v);
}

// A Format template cut at its placeholders: pieces.size() == placeholders + 1.
QStringList formatPieces(const QString &text, bool escaped)
{
    QStringList pieces {QString()};
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (escaped && text[i] == u'\\' && i + 1 < text.size()) {
            pieces.back() += text[++i];
        } else if (text[i] == u'{' && i + 1 < text.size() && text[i + 1] == u'}') {
            pieces << QString();
            ++i;
        } else {
            pieces.back() += text[i];
        }
    }
    return pieces;
}

QString uuidFrom(const AslRandomSource &random)
{
    if (!random)
        return QUuid::createUuid().toString(QUuid::WithoutBraces);
    QByteArray bytes(16, '\0');
    for (char &b : bytes)
        b = char(std::clamp(int(random() * 256.0), 0, 255));
    bytes[6] = char((bytes[6] & 0x0f) | 0x40); // version 4
    bytes[8] = char((bytes[8] & 0x3f) | 0x80); // RFC 4122 variant
    return QUuid::fromRfc4122(bytes).toString(QUuid::WithoutBraces);
}

Result<Json> callFunction(
    const Node &call, const std::vector<Json> &args, const AslRandomSource &random)
{
    const QString &name = call.function;
    const qsizetype count = qsizetype(args.size());
    auto bad = [&](const QString &why) { return invalidArguments(name, why); };
    auto expectCount = [&](qsizetype min, qsizetype max) -> std::optional<Error> {
        if (count >= min && count <= max)
            return std::nullopt;
        if (min == max)
            return bad(QStringLiteral("expected %1 argument%2 but got %3")
                           .arg(min)
                           .arg(min == 1 ? QString() : QStringLiteral("s"))
                           .arg(count));
        return bad(
            QStringLiteral("expected %1 to %2 arguments but got %3").arg(min).arg(max).arg(count));
    };
    auto ordinal = [](int n) {
        static const char *const names[] = {"first", "second", "third"};
        return QLatin1String(names[std::clamp(n, 0, 2)]);
    };
    auto needArray = [&](int n) -> std::optional<Error> {
        if (args[size_t(n)].is_array())
            return std::nullopt;
        return bad(QStringLiteral("the %1 argument must be an array").arg(ordinal(n)));
    };
    auto needString = [&](int n) -> std::optional<Error> {
        if (args[size_t(n)].is_string())
            return std::nullopt;
        return bad(QStringLiteral("the %1 argument must be a string").arg(ordinal(n)));
    };
    auto needInteger = [&](int n) -> Result<qint64> {
        if (auto v = asInteger(args[size_t(n)]))
            return *v;
        return bad(QStringLiteral("the %1 argument must be an integer").arg(ordinal(n)));
    };

    if (name == QLatin1String("States.Array"))
        return Json(args);

    if (name == QLatin1String("States.Format")) {
        if (count < 1)
            return bad(QStringLiteral("expected at least 1 argument but got 0"));
        if (auto e = needString(0))
            return *e;
        const Node &first = call.args.front();
        const bool literal = first.kind == Node::Literal;
        const QStringList pieces = formatPieces(literal ? first.raw : stringOf(args[0]), literal);
        if (pieces.size() - 1 != count - 1)
            return bad(QStringLiteral("the template has %1 '{}' placeholder(s) but %2 value(s) "
                                      "follow it")
                           .arg(pieces.size() - 1)
                           .arg(count - 1));
        QString out = pieces.front();
        for (qsizetype i = 1; i < pieces.size(); ++i)
            out += QString(formatValue(args[size_t(i)]) + pieces[i]);
        return Json(out.toStdString());
    }

    if (name == QLatin1String("States.StringToJson")) {
        if (auto e = expectCount(1, 1))
            return *e;
        if (auto e = needString(0))
            return *e;
        auto parsed = parseJson(args[0].get<std::string>());
        if (!parsed)
            return bad(QStringLiteral("the argument is not a JSON text"));
        return parsed;
    }

    if (name == QLatin1String("States.JsonToString")) {
        if (auto e = expectCount(1, 1))
            return *e;
        return Json(args[0].dump(-1, ' ', false, Json::error_handler_t::replace));
    }

    if (name == QLatin1String("States.ArrayPartition")) {
        if (auto e = expectCount(2, 2))
            return *e;
        if (auto e = needArray(0))
            return *e;
        const auto size = asInteger(args[1]);
        if (!size || *size <= 0)
            return bad(QStringLiteral("the chunk size must be a positive integer"));
        Json out = Json::array();
        const Json &array = args[0];
        for (size_t i = 0; i < array.size(); i += size_t(*size)) {
            Json chunk = Json::array();
            for (size_t j = i; j < std::min(array.size(), i + size_t(*size)); ++j)
                chunk.push_back(array[j]);
            out.push_back(std::move(chunk));
        }
        return out;
    }

    if (name == QLatin1String("States.ArrayContains")) {
        if (auto e = expectCount(2, 2))
            return *e;
        if (auto e = needArray(0))
            return *e;
        const Json &array = args[0];
        return Json(std::find(array.begin(), array.end(), args[1]) != array.end());
    }

    if (name == QLatin1String("States.ArrayRange")) {
        if (auto e = expectCount(3, 3))
            return *e;
        qint64 bounds[3];
        for (int n = 0; n < 3; ++n) {
            auto v = needInteger(n);
            if (!v)
                return v.error();
            bounds[n] = *v;
        }
        const auto [first, last, step] = bounds;
        if (step == 0)
            return bad(QStringLiteral("the step must not be 0"));
        const qint64 items
            = (step > 0 ? last >= first : last <= first) ? (last - first) / step + 1 : 0;
        if (items > kMaxRangeItems)
            return bad(QStringLiteral("the range has %1 items; at most %2 are allowed")
                           .arg(items)
                           .arg(kMaxRangeItems));
        Json out = Json::array();
        for (qint64 i = 0; i < items; ++i)
            out.push_back(first + i * step);
        return out;
    }

    if (name == QLatin1String("States.ArrayGetItem")) {
        if (auto e = expectCount(2, 2))
            return *e;
        if (auto e = needArray(0))
            return *e;
        const auto index = asInteger(args[1]);
        if (!index || *index < 0)
            return bad(QStringLiteral("the index must be a non-negative integer"));
        if (*index >= qint64(args[0].size()))
            return bad(QStringLiteral("index %1 is out of bounds for an array of %2 items")
                           .arg(*index)
                           .arg(args[0].size()));
        return args[0][size_t(*index)];
    }

    if (name == QLatin1String("States.ArrayLength")) {
        if (auto e = expectCount(1, 1))
            return *e;
        if (auto e = needArray(0))
            return *e;
        return Json(args[0].size());
    }

    if (name == QLatin1String("States.ArrayUnique")) {
        if (auto e = expectCount(1, 1))
            return *e;
        if (auto e = needArray(0))
            return *e;
        Json out = Json::array();
        for (const Json &item : args[0]) {
            if (std::find(out.begin(), out.end(), item) == out.end())
                out.push_back(item);
        }
        return out;
    }

    if (name == QLatin1String("States.Base64Encode")
        || name == QLatin1String("States.Base64Decode")) {
        if (auto e = expectCount(1, 1))
            return *e;
        if (auto e = needString(0))
            return *e;
        const QString text = stringOf(args[0]);
        if (text.size() > kMaxEncodedText)
            return bad(QStringLiteral("the input is %1 characters long; at most %2 are allowed")
                           .arg(text.size())
                           .arg(kMaxEncodedText));
        if (name == QLatin1String("States.Base64Encode"))
            return Json(text.toUtf8().toBase64().toStdString());
        auto decoded = QByteArray::fromBase64Encoding(
            text.toLatin1(), QByteArray::Base64Encoding | QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded)
            return bad(QStringLiteral("the input is not base64"));
        QStringDecoder utf8(QStringDecoder::Utf8);
        const QString out = utf8(*decoded);
        if (utf8.hasError())
            return bad(QStringLiteral("the decoded bytes are not UTF-8 text"));
        return Json(out.toStdString());
    }

    if (name == QLatin1String("States.Hash")) {
        if (auto e = expectCount(2, 2))
            return *e;
        if (auto e = needString(0))
            return *e;
        if (auto e = needString(1))
            return *e;
        const QString data = stringOf(args[0]);
        if (data.size() > kMaxEncodedText)
            return bad(QStringLiteral("the input is %1 characters long; at most %2 are allowed")
                           .arg(data.size())
                           .arg(kMaxEncodedText));
        static const std::pair<const char *, QCryptographicHash::Algorithm> algorithms[]
            = {{"MD5", QCryptographicHash::Md5}, {"SHA-1", QCryptographicHash::Sha1},
                {"SHA-256", QCryptographicHash::Sha256}, {"SHA-384", QCryptographicHash::Sha384},
                {"SHA-512", QCryptographicHash::Sha512}};
        const QString algorithm = stringOf(args[1]);
        for (const auto &[algorithmName, id] : algorithms) {
            if (algorithm == QLatin1String(algorithmName))
                return Json(QCryptographicHash::hash(data.toUtf8(), id).toHex().toStdString());
        }
        return bad(QStringLiteral("'%1' is not a hashing algorithm; use MD5, SHA-1, SHA-256, "
                                  "SHA-384 or SHA-512")
                       .arg(algorithm));
    }

    if (name == QLatin1String("States.JsonMerge")) {
        if (auto e = expectCount(3, 3))
            return *e;
        if (!args[0].is_object() || !args[1].is_object())
            return bad(QStringLiteral("the first and second arguments must be JSON objects"));
        if (!args[2].is_boolean())
            return bad(QStringLiteral("the third argument must be a boolean"));
        if (args[2].get<bool>())
            return bad(QStringLiteral("deep merging is not supported; the third argument "
                                      "must be false"));
        Json out = args[0];
        for (auto it = args[1].begin(); it != args[1].end(); ++it)
            out[it.key()] = it.value();
        return out;
    }

    if (name == QLatin1String("States.MathRandom")) {
        if (auto e = expectCount(2, 3))
            return *e;
        qint64 bounds[3] = {0, 0, 0};
        for (int n = 0; n < count; ++n) {
            auto v = needInteger(n);
            if (!v)
                return v.error();
            if (!inInt32(*v))
                return bad(
                    QStringLiteral("the %1 argument is out of the integer range").arg(ordinal(n)));
            bounds[n] = *v;
        }
        const qint64 start = bounds[0];
        const qint64 end = bounds[1];
        if (start >= end)
            return bad(QStringLiteral("the start must be less than the end"));
        if (count == 3) {
            QRandomGenerator seeded {quint32(bounds[2])};
            return Json(seeded.bounded(start, end));
        }
        if (random) {
            const qint64 span = end - start;
            return Json(start + std::clamp<qint64>(qint64(random() * double(span)), 0, span - 1));
        }
        return Json(QRandomGenerator::global()->bounded(start, end));
    }

    if (name == QLatin1String("States.MathAdd")) {
        if (auto e = expectCount(2, 2))
            return *e;
        qint64 sum = 0;
        for (int n = 0; n < 2; ++n) {
            auto v = needInteger(n);
            if (!v)
                return v.error();
            if (!inInt32(*v))
                return bad(
                    QStringLiteral("the %1 argument is out of the integer range").arg(ordinal(n)));
            sum += *v;
        }
        return Json(sum);
    }

    if (name == QLatin1String("States.StringSplit")) {
        if (auto e = expectCount(2, 2))
            return *e;
        if (auto e = needString(0))
            return *e;
        if (auto e = needString(1))
            return *e;
        const QString text = stringOf(args[0]);
        const QString delimiters = stringOf(args[1]);
        Json out = Json::array();
        QString piece;
        for (const QChar c : text) {
            if (delimiters.contains(c)) {
                if (!piece.isEmpty())
                    out.push_back(piece.toStdString());
                piece.clear();
            } else {
                piece += c;
            }
        }
        if (!piece.isEmpty())
            out.push_back(piece.toStdString());
        return out;
    }

    if (name == QLatin1String("States.UUID")) {
        if (auto e = expectCount(0, 0))
            return *e;
        return Json(uuidFrom(random).toStdString());
    }

    return failure(QStringLiteral("Unknown intrinsic function '%1'").arg(name));
}

Result<Json> evaluateNode(
    const Node &node, const Json &input, const Json &context, const AslRandomSource &random)
{
    switch (node.kind) {
    case Node::Literal:
        return node.literal;
    case Node::Path: {
        auto v = node.path.evaluate(input, context);
        if (!v)
            return makeError(QString(AslErrors::Runtime),
                QString(QStringLiteral("Invalid path '") + node.path.text() + QStringLiteral("' : ")
                    + v.error().message));
        return v;
    }
    case Node::Call:
        break;
    }
    std::vector<Json> args;
    args.reserve(node.args.size());
    for (const Node &arg : node.args) {
        auto v = evaluateNode(arg, input, context, random);
        if (!v)
            return v.error();
        args.push_back(std::move(*v));
    }
    return callFunction(node, args, random);
}

} // namespace

AslIntrinsic::AslIntrinsic() = default;
AslIntrinsic::~AslIntrinsic() = default;
AslIntrinsic::AslIntrinsic(const AslIntrinsic &) = default;
AslIntrinsic &AslIntrinsic::operator=(const AslIntrinsic &) = default;
AslIntrinsic::AslIntrinsic(AslIntrinsic &&) noexcept = default;
AslIntrinsic &AslIntrinsic::operator=(AslIntrinsic &&) noexcept = default;

Result<AslIntrinsic> AslIntrinsic::parse(QStringView text)
{
    auto root = IntrinsicParser(text).parseAll();
    if (!root)
        return root.error();
    AslIntrinsic call;
    call.m_text = text.toString();
    call.m_root = std::make_shared<const Node>(std::move(*root));
    return call;
}

QString AslIntrinsic::functionName() const
{
    return m_root ? m_root->function : QString();
}

Result<Json> AslIntrinsic::evaluate(
    const Json &input, const Json &context, const AslRandomSource &random) const
{
    if (!m_root)
        return failure(QStringLiteral("No intrinsic function to evaluate"));
    return evaluateNode(*m_root, input, context, random);
}

Result<Json> evaluateIntrinsic(
    QStringView text, const Json &input, const Json &context, const AslRandomSource &random)
{
    auto call = AslIntrinsic::parse(text);
    if (!call)
        return call.error();
    return call->evaluate(input, context, random);
}

QStringList aslIntrinsicFunctionNames()
{
    QStringList names;
    for (const char *n : kFunctionNames)
        names << QLatin1String(n);
    return names;
}

} // namespace tarmac
