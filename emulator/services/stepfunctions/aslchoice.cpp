#include "services/stepfunctions/aslchoice.h"

#include <QDate>
#include <QRegularExpression>

#include <limits>

namespace tarmac {

namespace {

struct OperatorInfo
{
    const char *name;
    AslComparison comparison;
};

constexpr OperatorInfo kOperators[] = {
    {"StringEquals", AslComparison::StringEquals},
    {"StringLessThan", AslComparison::StringLessThan},
    {"StringGreaterThan", AslComparison::StringGreaterThan},
    {"StringLessThanEquals", AslComparison::StringLessThanEquals},
    {"StringGreaterThanEquals", AslComparison::StringGreaterThanEquals},
    {"StringMatches", AslComparison::StringMatches},
    {"NumericEquals", AslComparison::NumericEquals},
    {"NumericLessThan", AslComparison::NumericLessThan},
    {"NumericGreaterThan", AslComparison::NumericGreaterThan},
    {"NumericLessThanEquals", AslComparison::NumericLessThanEquals},
    {"NumericGreaterThanEquals", AslComparison::NumericGreaterThanEquals},
    {"BooleanEquals", AslComparison::BooleanEquals},
    {"TimestampEquals", AslComparison::TimestampEquals},
    {"TimestampLessThan", AslComparison::TimestampLessThan},
    {"TimestampGreaterThan", AslComparison::TimestampGreaterThan},
    {"TimestampLessThanEquals", AslComparison::TimestampLessThanEquals},
    {"TimestampGreaterThanEquals", AslComparison::TimestampGreaterThanEquals},
    {"IsNull", AslComparison::IsNull},
    {"IsPresent", AslComparison::IsPresent},
    {"IsNumeric", AslComparison::IsNumeric},
    {"IsString", AslComparison::IsString},
    {"IsBoolean", AslComparison::IsBoolean},
    {"IsTimestamp", AslComparison::IsTimestamp},
};

enum class Family { String, Match, Numeric, Boolean, Timestamp, Test };

Family familyOf(AslComparison c)
{
    switch (c) {
    case AslComparison::StringEquals:
    case AslComparison::StringLessThan:
    case AslComparison::StringGreaterThan:
    case AslComparison::StringLessThanEquals:
    case AslComparison::StringGreaterThanEquals:
        return Family::String;
    case AslComparison::StringMatches:
        return Family::Match;
    case AslComparison::NumericEquals:
    case AslComparison::NumericLessThan:
    case AslComparison::NumericGreaterThan:
    case AslComparison::NumericLessThanEquals:
    case AslComparison::NumericGreaterThanEquals:
        return Family::Numeric;
    case AslComparison::BooleanEquals:
        return Family::Boolean;
    case AslComparison::TimestampEquals:
    case AslComparison::TimestampLessThan:
    case AslComparison::TimestampGreaterThan:
    case AslComparison::TimestampLessThanEquals:
    case AslComparison::TimestampGreaterThanEquals:
        return Family::Timestamp;
    default:
        return Family::Test;
    }
}

bool hasPathForm(AslComparison c)
{
    const Family f = familyOf(c);
    return f != Family::Match && f != Family::Test;
}

// -1, 0 or 1 as `order` says, judged by the operator.
bool orderHolds(AslComparison c, int order)
{
    switch (c) {
    case AslComparison::StringEquals:
    case AslComparison::NumericEquals:
    case AslComparison::TimestampEquals:
        return order == 0;
    case AslComparison::StringLessThan:
    case AslComparison::NumericLessThan:
    case AslComparison::TimestampLessThan:
        return order < 0;
    case AslComparison::StringGreaterThan:
    case AslComparison::NumericGreaterThan:
    case AslComparison::TimestampGreaterThan:
        return order > 0;
    case AslComparison::StringLessThanEquals:
    case AslComparison::NumericLessThanEquals:
    case AslComparison::TimestampLessThanEquals:
        return order <= 0;
    case AslComparison::StringGreaterThanEquals:
    case AslComparison::NumericGreaterThanEquals:
    case AslComparison::TimestampGreaterThanEquals:
        return order >= 0;
    default:
        return false;
    }
}

template<typename T>
int compareOrder(const T &a, const T &b)
{
    return a < b ? -1 : (b < a ? 1 : 0);
}

int compareNumbers(const Json &a, const Json &b)
{
    if (a.is_number_integer() && b.is_number_integer()) {
        if (a.is_number_unsigned() || b.is_number_unsigned()) {
            if (a.is_number_unsigned() && b.is_number_unsigned())
                return compareOrder(a.get<quint64>(), b.get<quint64>());
            // One is unsigned (>= 0), the other signed: a negative signed is the smaller.
            if (a.is_number_unsigned())
                return b.get<qint64>() < 0 ? 1 : compareOrder(a.get<quint64>(), b.get<quint64>());
            return a.get<qint64>() < 0 ? -1 : compareOrder(a.get<quint64>(), b.get<quint64>());
        }
        return compareOrder(a.get<qint64>(), b.get<qint64>());
    }
    return compareOrder(a.get<double>(), b.get<double>());
}

QString jsonTypeName(const Json &value)
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

Error invalidPath(const QString &path)
{
    return makeError(QString(AslErrors::Runtime),
        QStringLiteral("Invalid path '%1': The choice state's condition path references an "
                       "invalid value.")
            .arg(path));
}

class RuleParser
{
public:
    explicit RuleParser(QString *faultLocation)
        : m_faultLocation(faultLocation)
    { }

    Result<AslChoiceRule> parse(const Json &json, const QString &location, bool topLevel)
    {
        if (!json.is_object())
            return fail(QStringLiteral("A Choice rule must be an OBJECT but was %1")
                            .arg(jsonTypeName(json)),
                location);
        AslChoiceRule rule;
        QStringList operators;
        for (auto it = json.begin(); it != json.end(); ++it) {
            const QString key = fromStd(it.key());
            if (key == QLatin1String("Variable") || key == QLatin1String("Next")
                || key == QLatin1String("Comment"))
                continue;
            if (key == QLatin1String("And") || key == QLatin1String("Or")
                || key == QLatin1String("Not") || aslComparisonFromName(key)) {
                operators << key;
                continue;
            }
            return fail(QStringLiteral("Field '%1' is not supported").arg(key), location);
        }
        if (operators.isEmpty())
            return fail(QStringLiteral("A Choice rule needs a comparison operator, And, Or or "
                                       "Not"),
                location);
        if (operators.size() > 1)
            return fail(QStringLiteral("A Choice rule has exactly one operator but this one has "
                                       "%1: %2")
                            .arg(operators.size())
                            .arg(operators.join(QStringLiteral(", "))),
                location);

        if (auto comment = json.find("Comment"); comment != json.end()) {
            if (!comment->is_string())
                return fail(
                    QStringLiteral("The value for the field 'Comment' must be a STRING"), location);
            rule.comment = fromStd(comment->get<std::string>());
        }
        const auto next = json.find("Next");
        if (topLevel) {
            if (next == json.end())
                return fail(QStringLiteral("These fields are required: [Next]"), location);
            if (!next->is_string())
                return fail(
                    QStringLiteral("The value for the field 'Next' must be a STRING"), location);
            rule.next = fromStd(next->get<std::string>());
        } else if (next != json.end()) {
            return fail(QStringLiteral("Field 'Next' is not supported in a nested rule"), location);
        }

        const QString op = operators.front();
        const Json &operand = json[op.toStdString()];
        if (op == QLatin1String("And") || op == QLatin1String("Or")) {
            rule.kind
                = op == QLatin1String("And") ? AslChoiceRule::Kind::And : AslChoiceRule::Kind::Or;
            if (json.contains("Variable"))
                return fail(QStringLiteral("Field 'Variable' is not supported with '%1'").arg(op),
                    location);
            if (!operand.is_array() || operand.empty())
                return fail(QStringLiteral("The value for the field '%1' must be a non-empty "
                                           "ARRAY of rules")
                                .arg(op),
                    location);
            for (size_t i = 0; i < operand.size(); ++i) {
                auto child = parse(operand[i],
                    QString(location + QLatin1Char('/') + op + QLatin1Char('[') + QString::number(i)
                        + QLatin1Char(']')),
                    false);
                if (!child)
                    return child.error();
                rule.rules.push_back(std::move(*child));
            }
            return rule;
        }
        if (op == QLatin1String("Not")) {
            rule.kind = AslChoiceRule::Kind::Not;
            if (json.contains("Variable"))
                return fail(
                    QStringLiteral("Field 'Variable' is not supported with 'Not'"), location);
            auto child = parse(operand, QString(location + QStringLiteral("/Not")), false);
            if (!child)
                return child.error();
            rule.rules.push_back(std::move(*child));
            return rule;
        }

        const auto [comparison, isPath] = *aslComparisonFromName(op);
        rule.kind = AslChoiceRule::Kind::Comparison;
        rule.comparison = comparison;
        rule.valueIsPath = isPath;
        rule.value = operand;
        const auto variable = json.find("Variable");
        if (variable == json.end())
            return fail(QStringLiteral("These fields are required: [Variable]"), location);
        if (!variable->is_string())
            return fail(
                QStringLiteral("The value for the field 'Variable' must be a STRING"), location);
        rule.variable = fromStd(variable->get<std::string>());
        if (auto path = AslPath::parse(rule.variable); !path)
            return fail(QStringLiteral("The value for the field 'Variable' must be a valid "
                                       "JSONPath"),
                location);

        if (isPath) {
            if (!operand.is_string() || !AslPath::parse(fromStd(operand.get<std::string>())))
                return fail(QStringLiteral("The value for the field '%1' must be a valid "
                                           "JSONPath")
                                .arg(op),
                    location);
            return rule;
        }
        bool typeOk = false;
        QString expected;
        switch (familyOf(comparison)) {
        case Family::String:
        case Family::Match:
            typeOk = operand.is_string();
            expected = QStringLiteral("a STRING");
            break;
        case Family::Numeric:
            typeOk = operand.is_number();
            expected = QStringLiteral("a NUMBER");
            break;
        case Family::Boolean:
        case Family::Test:
            typeOk = operand.is_boolean();
            expected = QStringLiteral("a BOOLEAN");
            break;
        case Family::Timestamp:
            typeOk = operand.is_string()
                && parseAslTimestamp(fromStd(operand.get<std::string>())).has_value();
            expected = QStringLiteral("a STRING in RFC 3339 format (2016-08-18T17:33:00Z)");
            break;
        }
        if (!typeOk)
            return fail(QStringLiteral("The value for the field '%1' must be %2").arg(op, expected),
                location);
        return rule;
    }

private:
    Error fail(const QString &message, const QString &location)
    {
        if (m_faultLocation) {
            *m_faultLocation = location;
            return makeError(QStringLiteral("SCHEMA_VALIDATION_FAILED"), message);
        }
        return makeError(QStringLiteral("SCHEMA_VALIDATION_FAILED"),
            QString(message + QStringLiteral(" at ") + location));
    }

    QString *m_faultLocation;
};

Result<bool> evaluateComparison(const AslChoiceRule &rule, const Json &input, const Json &context)
{
    auto variablePath = AslPath::parse(rule.variable);
    if (!variablePath)
        return variablePath.error();
    auto found = variablePath->evaluate(input, context);
    if (rule.comparison == AslComparison::IsPresent) {
        const bool expected = rule.value.is_boolean() && rule.value.get<bool>();
        return found.ok() == expected;
    }
    if (!found)
        return invalidPath(rule.variable);
    const Json &v = *found;

    const Family family = familyOf(rule.comparison);
    if (family == Family::Test) {
        const bool expected = rule.value.is_boolean() && rule.value.get<bool>();
        bool is = false;
        switch (rule.comparison) {
        case AslComparison::IsNull:
            is = v.is_null();
            break;
        case AslComparison::IsNumeric:
            is = v.is_number();
            break;
        case AslComparison::IsString:
            is = v.is_string();
            break;
        case AslComparison::IsBoolean:
            is = v.is_boolean();
            break;
        case AslComparison::IsTimestamp:
            is = v.is_string() && parseAslTimestamp(fromStd(v.get<std::string>())).has_value();
            break;
        default:
            break;
        }
        return is == expected;
    }

    Json operand = rule.value;
    if (rule.valueIsPath) {
        if (!rule.value.is_string())
            return invalidPath(QString());
        const QString operandPath = fromStd(rule.value.get<std::string>());
        auto parsed = AslPath::parse(operandPath);
        if (!parsed)
            return parsed.error();
        auto value = parsed->evaluate(input, context);
        if (!value)
            return invalidPath(operandPath);
        operand = std::move(*value);
    }

    switch (family) {
    case Family::String:
        if (!v.is_string() || !operand.is_string())
            return false;
        return orderHolds(rule.comparison,
            compareOrder(fromStd(v.get<std::string>()), fromStd(operand.get<std::string>())));
    case Family::Match:
        if (!v.is_string() || !operand.is_string())
            return false;
        return aslStringMatches(fromStd(v.get<std::string>()), fromStd(operand.get<std::string>()));
    case Family::Numeric:
        if (!v.is_number() || !operand.is_number())
            return false;
        return orderHolds(rule.comparison, compareNumbers(v, operand));
    case Family::Boolean:
        if (!v.is_boolean() || !operand.is_boolean())
            return false;
        return v.get<bool>() == operand.get<bool>();
    case Family::Timestamp: {
        if (!v.is_string() || !operand.is_string())
            return false;
        const auto a = parseAslTimestamp(fromStd(v.get<std::string>()));
        const auto b = parseAslTimestamp(fromStd(operand.get<std::string>()));
        if (!a || !b)
            return false;
        return orderHolds(rule.comparison, compareOrder(*a, *b));
    }
    case Family::Test:
        break;
    }
    return false;
}

} // namespace

QString aslComparisonName(AslComparison comparison, bool path)
{
    for (const OperatorInfo &op : kOperators) {
        if (op.comparison == comparison) {
            QString name = QLatin1String(op.name);
            if (path && hasPathForm(comparison))
                name += QLatin1String("Path");
            return name;
        }
    }
    return QString();
}

std::optional<std::pair<AslComparison, bool>> aslComparisonFromName(QStringView name)
{
    bool path = false;
    if (name.endsWith(u"Path")) {
        path = true;
        name.chop(4);
    }
    for (const OperatorInfo &op : kOperators) {
        if (name == QLatin1String(op.name)) {
            if (path && !hasPathForm(op.comparison))
                return std::nullopt;
            return std::make_pair(op.comparison, path);
        }
    }
    return std::nullopt;
}

Result<AslChoiceRule> parseChoiceRule(
    const Json &rule, const QString &location, bool topLevel, QString *faultLocation)
{
    return RuleParser(faultLocation).parse(rule, location, topLevel);
}

Result<bool> evaluateChoiceRule(const AslChoiceRule &rule, const Json &input, const Json &context)
{
    switch (rule.kind) {
    case AslChoiceRule::Kind::Comparison:
        return evaluateComparison(rule, input, context);
    case AslChoiceRule::Kind::Not: {
        if (rule.rules.empty())
            return false;
        auto inner = evaluateChoiceRule(rule.rules.front(), input, context);
        if (!inner)
            return inner;
        return !*inner;
    }
    case AslChoiceRule::Kind::And:
    case AslChoiceRule::Kind::Or: {
        const bool isAnd = rule.kind == AslChoiceRule::Kind::And;
        for (const AslChoiceRule &child : rule.rules) {
            auto holds = evaluateChoiceRule(child, input, context);
            if (!holds)
                return holds;
            if (*holds != isAnd)
                return !isAnd;
        }
        return isAnd;
    }
    }
    return false;
}

Result<QString> selectChoice(const std::vector<AslChoiceRule> &choices,
    const std::optional<QString> &defaultState, const Json &input, const Json &context)
{
    for (const AslChoiceRule &rule : choices) {
        auto holds = evaluateChoiceRule(rule, input, context);
        if (!holds)
            return holds.error();
        if (*holds)
            return rule.next;
    }
    if (defaultState)
        return *defaultState;
    return makeError(QString(AslErrors::NoChoiceMatched),
        QStringLiteral("No choice rule matched the input and the Choice state has no Default: "
                       "%1")
            .arg(aslJsonText(input)));
}

std::optional<qint64> parseAslTimestamp(QStringView text)
{
    static const QRegularExpression pattern(
        QStringLiteral("^(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d+))?(Z|[+-]"
                       "\\d{2}:\\d{2})$"));
    const auto m = pattern.match(text.toString());
    if (!m.hasMatch())
        return std::nullopt;
    auto number = [&](int group) { return m.capturedView(group).toInt(); };
    const QDate date(number(1), number(2), number(3));
    const int hour = number(4);
    const int minute = number(5);
    const int second = number(6);
    if (!date.isValid() || hour > 23 || minute > 59 || second > 59)
        return std::nullopt;
    qint64 offsetSeconds = 0;
    const QStringView zone = m.capturedView(8);
    if (zone != u"Z") {
        const int oh = zone.sliced(1, 2).toInt();
        const int om = zone.sliced(4, 2).toInt();
        if (oh > 23 || om > 59)
            return std::nullopt;
        offsetSeconds = (oh * 3600 + om * 60) * (zone.front() == u'-' ? -1 : 1);
    }
    constexpr qint64 kUnixEpochJulianDay = 2440588;
    const qint64 seconds = (date.toJulianDay() - kUnixEpochJulianDay) * 86400 + hour * 3600
        + minute * 60 + second - offsetSeconds;
    constexpr qint64 kLimit = std::numeric_limits<qint64>::max() / 1000000000 - 1;
    if (seconds > kLimit || seconds < -kLimit)
        return std::nullopt;
    qint64 nanos = 0;
    const QStringView fraction = m.capturedView(7);
    for (qsizetype i = 0; i < 9; ++i)
        nanos = nanos * 10 + (i < fraction.size() ? fraction[i].digitValue() : 0);
    return seconds * 1000000000 + nanos;
}

bool aslStringMatches(QStringView value, QStringView pattern)
{
    // Tokens: a literal character, or a star (true) that matches any run.
    std::vector<std::pair<QChar, bool>> tokens;
    for (qsizetype i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == u'\\' && i + 1 < pattern.size())
            tokens.emplace_back(pattern[++i], false);
        else if (pattern[i] == u'*')
            tokens.emplace_back(QChar(), true);
        else
            tokens.emplace_back(pattern[i], false);
    }
    // Greedy wildcard matching with backtracking to the last star.
    size_t t = 0;
    qsizetype v = 0;
    std::optional<size_t> star;
    qsizetype starValue = 0;
    while (v < value.size()) {
        if (t < tokens.size() && !tokens[t].second && tokens[t].first == value[v]) {
            ++t;
            ++v;
        } else if (t < tokens.size() && tokens[t].second) {
            star = t++;
            starValue = v;
        } else if (star) {
            t = *star + 1;
            v = ++starValue;
        } else {
            return false;
        }
    }
    while (t < tokens.size() && tokens[t].second)
        ++t;
    return t == tokens.size();
}

} // namespace tarmac
