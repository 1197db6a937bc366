#include "services/s3/s3postpolicy.h"

#include "base/json.h"
#include "services/s3/s3formupload.h"

#include <QDateTime>

#include <limits>

namespace tarmac {

namespace {

Error invalidPolicy(const QString &why)
{
    return makeError(
        QStringLiteral("InvalidPolicyDocument"), QStringLiteral("Invalid Policy: ") + why, 400);
}

Error policyDenied(const QString &why)
{
    return makeError(
        QStringLiteral("AccessDenied"), QStringLiteral("Invalid according to Policy: ") + why, 403);
}

QByteArray quoted(const QByteArray &s)
{
    return QByteArray::fromStdString(
        Json(s.toStdString()).dump(-1, ' ', false, Json::error_handler_t::replace));
}

// A condition's string operand; numbers are accepted as their decimal text.
bool stringOperand(const Json &v, QByteArray *out)
{
    if (v.is_string()) {
        *out = QByteArray::fromStdString(v.get<std::string>());
        return true;
    }
    if (v.is_number_integer()) {
        *out = QByteArray::number(qint64(v.get<long long>()));
        return true;
    }
    return false;
}

bool sizeOperand(const Json &v, qint64 *out)
{
    if (v.is_number_integer()) {
        *out = v.get<long long>();
        return true;
    }
    if (v.is_number_unsigned())
        return false; // beyond qint64
    if (v.is_string()) {
        bool ok = false;
        *out = QByteArray::fromStdString(v.get<std::string>()).toLongLong(&ok);
        return ok;
    }
    return false;
}

// Fields no condition needs to name (S3: the signature, the policy itself, the file and
// x-ignore-*).
bool isExempt(const QByteArray &name)
{
    return name == "policy" || name == "x-amz-signature" || name == "signature"
        || name == "awsaccesskeyid" || name == "file" || name.startsWith("x-ignore-");
}

bool startsWithAll(const QByteArray &field, const QByteArray &value, const QByteArray &prefix)
{
    if (field != "content-type")
        return value.startsWith(prefix);
    // S3 reads a Content-Type with commas as a list: every item must match.
    for (const QByteArray &item : value.split(',')) {
        if (!item.trimmed().startsWith(prefix))
            return false;
    }
    return true;
}

} // namespace

Error S3PostPolicy::entityTooSmall()
{
    return makeError(QStringLiteral("EntityTooSmall"),
        QStringLiteral("Your proposed upload is smaller than the minimum allowed "
                       "size"),
        400);
}

Error S3PostPolicy::entityTooLarge()
{
    return makeError(QStringLiteral("EntityTooLarge"),
        QStringLiteral("Your proposed upload exceeds the maximum allowed size"), 400);
}

Result<S3PostPolicy> S3PostPolicy::parse(const QByteArray &base64)
{
    const auto decoded
        = QByteArray::fromBase64Encoding(base64.trimmed(), QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return invalidPolicy(QStringLiteral("Invalid Base64 Encoding"));
    auto json = parseJson(*decoded);
    if (!json || !json->is_object())
        return invalidPolicy(QStringLiteral("Invalid JSON."));
    const Json &doc = *json;

    S3PostPolicy policy;
    const auto expiration = doc.find("expiration");
    if (expiration == doc.end())
        return invalidPolicy(QStringLiteral("Policy missing expiration."));
    if (!expiration->is_string())
        return invalidPolicy(QStringLiteral("Invalid 'expiration' value"));
    const QString text = QString::fromStdString(expiration->get<std::string>());
    QDateTime at = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!at.isValid() || !text.endsWith(u'Z'))
        return invalidPolicy(QStringLiteral("Invalid 'expiration' value: '%1'").arg(text));
    // Nanoseconds end in 2262: a policy valid beyond that never expires here (fuzzing found
    // the overflow).
    constexpr qint64 kLimitMs = std::numeric_limits<qint64>::max() / 1'000'000;
    const qint64 ms = qBound(-kLimitMs, at.toMSecsSinceEpoch(), kLimitMs);
    policy.m_expirationNs = ms * 1'000'000;

    const auto conditions = doc.find("conditions");
    if (conditions == doc.end())
        return invalidPolicy(QStringLiteral("Policy missing conditions."));
    if (!conditions->is_array())
        return invalidPolicy(QStringLiteral("Invalid 'conditions' value"));
    for (const Json &c : *conditions) {
        Condition condition;
        if (c.is_object()) {
            if (c.size() != 1)
                return invalidPolicy(QStringLiteral("Invalid Simple-Condition: Simple-Conditions "
                                                    "must have exactly one property "
                                                    "specified."));
            const std::string name = c.begin().key();
            condition.field = QByteArray::fromStdString(name).toLower();
            if (condition.field.startsWith('$'))
                condition.field.remove(0, 1);
            if (!stringOperand(c.begin().value(), &condition.value))
                return invalidPolicy(QStringLiteral("Invalid Simple-Condition: value must be a "
                                                    "string."));
            condition.text = "[\"eq\", " + quoted('$' + QByteArray::fromStdString(name)) + ", "
                + quoted(condition.value) + ']';
            policy.m_conditions.append(condition);
            continue;
        }
        if (!c.is_array() || c.size() != 3 || !c[0].is_string())
            return invalidPolicy(QStringLiteral("Invalid Condition: conditions are objects or "
                                                "arrays of three elements."));
        const QByteArray op = QByteArray::fromStdString(c[0].get<std::string>()).toLower();
        if (op == "content-length-range") {
            condition.kind = Condition::Kind::ContentLengthRange;
            if (!sizeOperand(c[1], &condition.min) || !sizeOperand(c[2], &condition.max)
                || condition.min < 0 || condition.max < condition.min)
                return invalidPolicy(QStringLiteral("Invalid content-length-range: it takes two "
                                                    "sizes, the smaller first."));
            condition.field = "content-length";
            condition.text = "[\"content-length-range\", " + QByteArray::number(condition.min)
                + ", " + QByteArray::number(condition.max) + ']';
            policy.m_conditions.append(condition);
            continue;
        }
        if (op == "eq")
            condition.kind = Condition::Kind::Equals;
        else if (op == "starts-with")
            condition.kind = Condition::Kind::StartsWith;
        else
            return invalidPolicy(QStringLiteral("Invalid Condition: unknown operation '%1'.")
                                     .arg(QString::fromUtf8(op)));
        if (!c[1].is_string() || !stringOperand(c[2], &condition.value))
            return invalidPolicy(QStringLiteral("Invalid Condition: a field name and a string "
                                                "value are needed."));
        const QByteArray field = QByteArray::fromStdString(c[1].get<std::string>());
        if (!field.startsWith('$') || field.size() < 2)
            return invalidPolicy(QStringLiteral("Invalid Condition: the field name must start "
                                                "with '$'."));
        condition.field = field.mid(1).toLower();
        condition.text
            = '[' + quoted(op) + ", " + quoted(field) + ", " + quoted(condition.value) + ']';
        policy.m_conditions.append(condition);
    }
    return policy;
}

Result<void> S3PostPolicy::check(const S3Form &form, const QString &bucket, qint64 nowNs) const
{
    if (nowNs > m_expirationNs)
        return policyDenied(QStringLiteral("Policy expired."));
    for (const Condition &c : m_conditions) {
        if (c.kind == Condition::Kind::ContentLengthRange)
            continue;
        // The key is checked as it will be stored: with ${filename} already replaced.
        const QByteArray value = c.field == "bucket" ? bucket.toUtf8()
            : c.field == "key"                       ? form.objectKey()
                                                     : form.value(c.field);
        const bool ok = c.kind == Condition::Kind::Equals ? value == c.value
                                                          : startsWithAll(c.field, value, c.value);
        if (!ok)
            return policyDenied(
                QStringLiteral("Policy Condition failed: ") + QString::fromUtf8(c.text));
    }
    QByteArrayList extra;
    for (const auto &[name, value] : form.fields) {
        if (isExempt(name) || extra.contains(name))
            continue;
        bool covered = false;
        for (const Condition &c : m_conditions)
            covered = covered || c.field == name;
        if (!covered)
            extra.append(name);
    }
    if (!extra.isEmpty())
        return policyDenied(
            QStringLiteral("Extra input fields: ") + QString::fromUtf8(extra.join(", ")));
    return {};
}

std::optional<std::pair<qint64, qint64>> S3PostPolicy::contentLengthRange() const
{
    std::optional<std::pair<qint64, qint64>> range;
    for (const Condition &c : m_conditions) {
        if (c.kind != Condition::Kind::ContentLengthRange)
            continue;
        if (!range)
            range = std::pair {c.min, c.max};
        else
            range = std::pair {qMax(range->first, c.min), qMin(range->second, c.max)};
    }
    return range;
}

Result<void> S3PostPolicy::checkSize(qint64 size) const
{
    const auto range = contentLengthRange();
    if (!range)
        return {};
    if (size < range->first)
        return entityTooSmall();
    if (size > range->second)
        return entityTooLarge();
    return {};
}

} // namespace tarmac
