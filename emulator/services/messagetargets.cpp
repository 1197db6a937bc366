#include "services/messagetargets.h"

namespace tarmac {

MessageTarget::~MessageTarget() = default;

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

} // namespace tarmac
