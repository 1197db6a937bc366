#include "services/messagetargets.h"

namespace tarmac {

MessageTarget::~MessageTarget() = default;

QList<Result<void>> MessageTarget::deliverMessages(
    const QList<std::pair<QString, TargetMessage>> &messages)
{
    QList<Result<void>> out;
    out.reserve(messages.size());
    for (const auto &[arn, message] : messages)
        out.append(deliverMessage(arn, message));
    return out;
}

void MessageTargets::add(const QString &service, MessageTarget *target)
{
    QWriteLocker lock(&m_lock);
    m_targets.insert(service, target);
}

void MessageTargets::remove(MessageTarget *target)
{
    QWriteLocker lock(&m_lock);
    for (auto it = m_targets.begin(); it != m_targets.end();) {
        if (it.value() == target)
            it = m_targets.erase(it);
        else
            ++it;
    }
}

QString MessageTargets::serviceOf(const QString &arn)
{
    if (!arn.startsWith(QLatin1String("arn:")))
        return {};
    return arn.section(u':', 2, 2);
}

bool MessageTargets::handles(const QString &arn) const
{
    QReadLocker lock(&m_lock);
    return m_targets.contains(serviceOf(arn));
}

bool MessageTargets::exists(const QString &arn) const
{
    QReadLocker lock(&m_lock);
    MessageTarget *target = m_targets.value(serviceOf(arn));
    return target && target->targetExists(arn);
}

Result<void> MessageTargets::deliver(const QString &arn, const TargetMessage &message) const
{
    QReadLocker lock(&m_lock);
    MessageTarget *target = m_targets.value(serviceOf(arn));
    if (!target)
        return makeError(QStringLiteral("NoSuchTarget"),
            QStringLiteral("Tarmac delivers no messages to %1 resources (%2)")
                .arg(serviceOf(arn).isEmpty() ? QStringLiteral("such") : serviceOf(arn), arn));
    return target->deliverMessage(arn, message);
}

QList<Result<void>> MessageTargets::deliverAll(
    const QList<std::pair<QString, TargetMessage>> &messages) const
{
    QList<Result<void>> out(messages.size(), Result<void>());
    // Each service's messages, with where their outcomes go.
    QHash<QString, std::pair<QList<std::pair<QString, TargetMessage>>, QList<qsizetype>>> shares;
    for (qsizetype i = 0; i < messages.size(); ++i) {
        auto &share = shares[serviceOf(messages[i].first)];
        share.first.append(messages[i]);
        share.second.append(i);
    }
    QReadLocker lock(&m_lock);
    for (auto it = shares.cbegin(); it != shares.cend(); ++it) {
        MessageTarget *target = m_targets.value(it.key());
        const auto &[share, places] = it.value();
        if (!target) {
            for (qsizetype k = 0; k < share.size(); ++k)
                out[places[k]] = makeError(QStringLiteral("NoSuchTarget"),
                    QStringLiteral("Tarmac delivers no messages to %1 resources (%2)")
                        .arg(it.key().isEmpty() ? QStringLiteral("such") : it.key(),
                            share[k].first));
            continue;
        }
        const QList<Result<void>> results = target->deliverMessages(share);
        for (qsizetype k = 0; k < share.size(); ++k)
            out[places[k]] = k < results.size()
                ? results[k]
                : Result<void>(makeError(QStringLiteral("InternalError"),
                    QStringLiteral("the target answered fewer outcomes than messages"), 500));
    }
    return out;
}

} // namespace tarmac
