#include "engine/faults.h"

#include <QHash>
#include <QRandomGenerator>

#include <cmath>

namespace tarmac {

namespace {

Error invalid(const QString &message)
{
    return makeError(QStringLiteral("ValidationException"), message, 400);
}

struct EffectName
{
    const char *name;
    FaultRule::Effect effect;
};

constexpr EffectName kEffects[] = {
    {"latency", FaultRule::Effect::Latency},
    {"error", FaultRule::Effect::Error},
    {"drop", FaultRule::Effect::Drop},
    {"duplicate", FaultRule::Effect::Duplicate},
    {"delay", FaultRule::Effect::Delay},
    {"coldStart", FaultRule::Effect::ColdStart},
    {"timeout", FaultRule::Effect::Timeout},
};

QString effectName(FaultRule::Effect effect)
{
    for (const EffectName &e : kEffects) {
        if (e.effect == effect)
            return QLatin1String(e.name);
    }
    return {};
}

// A string field of `object`, absent or null: empty; anything but a string: an error.
Result<QString> stringField(const Json &object, const char *field, const char *where)
{
    const auto it = object.find(field);
    if (it == object.end() || it->is_null())
        return QString();
    if (!it->is_string())
        return invalid(QStringLiteral("%1.%2 must be a string")
                           .arg(QLatin1String(where), QLatin1String(field)));
    return fromStd(it->get<std::string>());
}

// A whole number field in [min, max], absent or null: `fallback`.
Result<qint64> intField(const Json &object, const char *field, const char *where, qint64 min,
    qint64 max, qint64 fallback)
{
    const auto it = object.find(field);
    if (it == object.end() || it->is_null())
        return fallback;
    const bool whole = it->is_number_integer()
        || (it->is_number_float() && std::isfinite(it->get<double>())
            && it->get<double>() == std::floor(it->get<double>()));
    if (!whole)
        return invalid(QStringLiteral("%1.%2 must be a whole number")
                           .arg(QLatin1String(where), QLatin1String(field)));
    const double v = it->get<double>();
    if (v < double(min) || v > double(max))
        return invalid(QStringLiteral("%1.%2 must be between %3 and %4")
                           .arg(QLatin1String(where), QLatin1String(field))
                           .arg(min)
                           .arg(max));
    return qint64(v);
}

} // namespace

QString FaultRule::describe() const
{
    switch (effect) {
    case Effect::Latency:
        return QStringLiteral("latency %1 ms").arg(ms);
    case Effect::Error:
        return QStringLiteral("error %1 (%2)").arg(code).arg(status);
    case Effect::Drop:
        return QStringLiteral("dropped connection");
    case Effect::Duplicate:
        return QStringLiteral("duplicate delivery");
    case Effect::Delay:
        return QStringLiteral("delivery delayed %1 ms").arg(ms);
    case Effect::ColdStart:
        return QStringLiteral("cold start forced");
    case Effect::Timeout:
        return QStringLiteral("timeout forced");
    }
    return {};
}

FaultInjector::FaultInjector(std::function<QString(const QString &)> physicalName)
    : m_physicalName(std::move(physicalName))
{ }

int FaultInjector::defaultStatus(const QString &code)
{
    static const QHash<QString, int> statuses = {
        {QStringLiteral("SlowDown"), 503},
        {QStringLiteral("ServiceUnavailable"), 503},
        {QStringLiteral("ServiceUnavailableException"), 503},
        {QStringLiteral("InternalError"), 500},
        {QStringLiteral("InternalFailure"), 500},
        {QStringLiteral("InternalServerError"), 500},
        {QStringLiteral("ServiceException"), 500},
        {QStringLiteral("TooManyRequestsException"), 429},
        {QStringLiteral("RequestTimeout"), 400},
    };
    return statuses.value(code, 400);
}

QString FaultInjector::defaultCode(const QString &service)
{
    if (service == QLatin1String("s3"))
        return QStringLiteral("SlowDown");
    if (service == QLatin1String("dynamodb"))
        return QStringLiteral("ProvisionedThroughputExceededException");
    if (service == QLatin1String("lambda"))
        return QStringLiteral("TooManyRequestsException");
    if (service == QLatin1String("sqs") || service == QLatin1String("sns"))
        return QStringLiteral("Throttling");
    return QStringLiteral("ThrottlingException");
}

Result<FaultRule> FaultInjector::add(const Json &body)
{
    if (!body.is_object())
        return invalid(QStringLiteral("the body must be a JSON object with match and effect"));
    FaultRule rule;
    const auto matchIt = body.find("match");
    static const Json kEmpty = Json::object();
    const Json &match = (matchIt == body.end() || matchIt->is_null()) ? kEmpty : *matchIt;
    if (!match.is_object())
        return invalid(QStringLiteral("match must be an object"));
    for (auto it = match.begin(); it != match.end(); ++it) {
        static const char *const known[]
            = {"service", "operation", "resource", "function", "probability", "count"};
        if (std::find_if(
                std::begin(known), std::end(known), [&](const char *k) { return it.key() == k; })
            == std::end(known))
            return invalid(QStringLiteral("match.%1 is not a match field (service, operation, "
                                          "resource, function, probability, count)")
                               .arg(fromStd(it.key())));
    }
    for (auto [field, target] :
        {std::pair {"service", &rule.service}, std::pair {"operation", &rule.operation},
            std::pair {"resource", &rule.resource}, std::pair {"function", &rule.function}}) {
        auto v = stringField(match, field, "match");
        if (!v)
            return v.error();
        *target = *v;
    }
    rule.service = rule.service.toLower();
    if (const auto p = match.find("probability"); p != match.end() && !p->is_null()) {
        if (!p->is_number() || p->get<double>() < 0.0 || p->get<double>() > 1.0)
            return invalid(QStringLiteral("match.probability must be a number from 0 to 1"));
        rule.probability = p->get<double>();
    }
    auto count = intField(match, "count", "match", 1, 1'000'000'000, -1);
    if (!count)
        return count.error();
    rule.count = int(*count);

    const auto effectIt = body.find("effect");
    if (effectIt == body.end() || !effectIt->is_object())
        return invalid(QStringLiteral("effect must be an object with a type"));
    const Json &effect = *effectIt;
    auto type = stringField(effect, "type", "effect");
    if (!type)
        return type.error();
    bool known = false;
    for (const EffectName &e : kEffects) {
        if (*type == QLatin1String(e.name)) {
            rule.effect = e.effect;
            known = true;
        }
    }
    if (!known)
        return invalid(QStringLiteral("effect.type must be one of latency, error, drop, "
                                      "duplicate, delay, coldStart, timeout"));
    auto ms = intField(effect, "ms", "effect", 0, 600'000, -1);
    if (!ms)
        return ms.error();
    if (rule.effect == FaultRule::Effect::Latency || rule.effect == FaultRule::Effect::Delay) {
        if (*ms < 0)
            return invalid(QStringLiteral("effect.ms is required for %1").arg(*type));
        rule.ms = int(*ms);
    }
    if (rule.effect == FaultRule::Effect::Error) {
        auto code = stringField(effect, "code", "effect");
        if (!code)
            return code.error();
        auto message = stringField(effect, "message", "effect");
        if (!message)
            return message.error();
        auto status = intField(effect, "status", "effect", 400, 599, 0);
        if (!status)
            return status.error();
        rule.code = code->isEmpty() ? defaultCode(rule.service) : *code;
        rule.status = *status ? int(*status) : defaultStatus(rule.code);
        rule.message
            = message->isEmpty() ? QStringLiteral("Injected by a Tarmac fault rule") : *message;
    }
    if (!rule.forRequests() && !rule.service.isEmpty() && rule.service != QLatin1String("lambda"))
        return invalid(QStringLiteral("a %1 fault acts on deliveries to functions: match them "
                                      "by function, not by service %2")
                           .arg(*type, rule.service));

    QMutexLocker lock(&m_mutex);
    rule.id = QStringLiteral("fault-%1").arg(m_nextId++);
    m_rules.append(rule);
    m_any.store(true);
    return rule;
}

QList<FaultRule> FaultInjector::rules() const
{
    QMutexLocker lock(&m_mutex);
    return m_rules;
}

bool FaultInjector::remove(const QString &id)
{
    QMutexLocker lock(&m_mutex);
    const qsizetype removed = m_rules.removeIf([&](const FaultRule &r) { return r.id == id; });
    m_any.store(!m_rules.isEmpty());
    return removed > 0;
}

void FaultInjector::clear()
{
    QMutexLocker lock(&m_mutex);
    m_rules.clear();
    m_any.store(false);
}

bool FaultInjector::isEmpty() const
{
    return !m_any.load();
}

bool FaultInjector::fires(FaultRule &rule)
{
    if (rule.count == 0)
        return false;
    if (rule.probability < 1.0 && QRandomGenerator::global()->generateDouble() >= rule.probability)
        return false;
    if (rule.count > 0)
        --rule.count;
    ++rule.injected;
    return true;
}

InjectedFault FaultInjector::injected(const FaultRule &rule) const
{
    return {rule.id, rule.effect, rule.ms, rule.code, rule.status, rule.message, rule.describe()};
}

std::optional<InjectedFault> FaultInjector::forRequest(const QString &service,
    const QString &operation, const std::function<bool(const QString &)> &names)
{
    if (!m_any.load())
        return std::nullopt;
    QMutexLocker lock(&m_mutex);
    for (FaultRule &rule : m_rules) {
        if (!rule.forRequests() || rule.count == 0)
            continue;
        if (!rule.service.isEmpty() && rule.service != service)
            continue;
        if (!rule.operation.isEmpty() && rule.operation.compare(operation, Qt::CaseInsensitive))
            continue;
        if (!rule.resource.isEmpty()) {
            // Its physical name, or as written (a name the template did not make).
            const QString physical = m_physicalName ? m_physicalName(rule.resource) : rule.resource;
            if (!names(physical) && !(physical != rule.resource && names(rule.resource)))
                continue;
        }
        if (!rule.function.isEmpty()) {
            const QString physical = m_physicalName ? m_physicalName(rule.function) : rule.function;
            if (!names(physical))
                continue;
        }
        if (fires(rule))
            return injected(rule);
    }
    return std::nullopt;
}

std::optional<InjectedFault> FaultInjector::forDelivery(const QString &function)
{
    if (!m_any.load())
        return std::nullopt;
    QMutexLocker lock(&m_mutex);
    const auto names = [&](const QString &wanted) {
        return wanted.isEmpty() || wanted == function
            || (m_physicalName && m_physicalName(wanted) == function);
    };
    for (FaultRule &rule : m_rules) {
        if (rule.forRequests() || rule.count == 0)
            continue;
        if (names(rule.function) && names(rule.resource) && fires(rule))
            return injected(rule);
    }
    return std::nullopt;
}

Json FaultInjector::toJson(const FaultRule &rule)
{
    Json match = Json::object();
    for (auto [field, value] :
        {std::pair {"service", &rule.service}, std::pair {"operation", &rule.operation},
            std::pair {"resource", &rule.resource}, std::pair {"function", &rule.function}}) {
        if (!value->isEmpty())
            match[field] = toStd(*value);
    }
    match["probability"] = rule.probability;
    if (rule.count >= 0)
        match["count"] = rule.count + rule.injected;
    Json effect = {{"type", toStd(effectName(rule.effect))}};
    if (rule.effect == FaultRule::Effect::Latency || rule.effect == FaultRule::Effect::Delay)
        effect["ms"] = rule.ms;
    if (rule.effect == FaultRule::Effect::Error) {
        effect["code"] = toStd(rule.code);
        effect["status"] = rule.status;
        effect["message"] = toStd(rule.message);
    }
    Json out = {{"id", toStd(rule.id)}, {"match", match}, {"effect", effect},
        {"injected", rule.injected}, {"description", toStd(rule.describe())}};
    if (rule.count >= 0)
        out["remaining"] = rule.count;
    return out;
}

} // namespace tarmac
