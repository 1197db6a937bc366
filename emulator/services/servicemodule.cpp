#include "services/servicemodule.h"

namespace tarmac {

ServiceModule::~ServiceModule() = default;

Result<QByteArray> ServiceModule::readObject(const QString &uri, qint64 maxBytes) const
{
    Q_UNUSED(maxBytes);
    return makeError(QStringLiteral("NotImplemented"),
                     QStringLiteral("the %1 service stores no objects to read %2").arg(name(), uri),
                     501);
}

} // namespace tarmac
