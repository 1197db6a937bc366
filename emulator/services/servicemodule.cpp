#include "services/servicemodule.h"

#include "template/stack.h"

#include <QMutex>

namespace tarmac {

ServiceModule::~ServiceModule() = default;

Result<QByteArray> ServiceModule::readObject(const QString &uri, qint64 maxBytes) const
{
    Q_UNUSED(maxBytes);
    return makeError(QStringLiteral("NotImplemented"),
        QStringLiteral("the %1 service stores no objects to read %2").arg(name(), uri), 501);
}

namespace {

Error noCatalogAction(const ServiceModule &module, const QString &kind, const char *what)
{
    return makeError(QStringLiteral("NotImplemented"),
        QStringLiteral("the %1 service cannot %2 a %3")
            .arg(module.name(), QLatin1String(what), kind),
        501);
}

QMutex g_factoriesMutex;
QList<ServiceModuleFactory> &factories()
{
    static QList<ServiceModuleFactory> list;
    return list;
}

} // namespace

Result<void> ServiceModule::putResource(
    const StackResource &resource, const StackResource *previous)
{
    Q_UNUSED(previous);
    return makeError(QStringLiteral("NotImplemented"),
        QStringLiteral("the %1 service cannot create %2").arg(name(), resource.type), 501);
}

Result<QString> ServiceModule::deleteResource(const StackResource &resource)
{
    return makeError(QStringLiteral("NotImplemented"),
        QStringLiteral("the %1 service cannot delete %2").arg(name(), resource.type), 501);
}

Result<CatalogPage> ServiceModule::browse(
    const QString &kind, const QString &, const QString &, int) const
{
    return noCatalogAction(*this, kind, "browse");
}

Result<CatalogItemBody> ServiceModule::readItem(
    const QString &kind, const QString &, const QString &) const
{
    return noCatalogAction(*this, kind, "read an item of");
}

Result<void> ServiceModule::deleteItem(const QString &kind, const QString &, const QString &)
{
    return noCatalogAction(*this, kind, "delete an item of");
}

Result<CatalogPage> ServiceModule::search(const QString &kind, const QString &,
    const QMap<QString, QString> &, const QString &, int) const
{
    return noCatalogAction(*this, kind, "search");
}

Result<QString> ServiceModule::runAction(
    const QString &kind, const QString &, const QString &action)
{
    return noCatalogAction(*this, kind, qPrintable(action));
}

Result<QString> ServiceModule::runActionWith(const QString &kind, const QString &name,
    const QString &action, const QMap<QString, QString> &fields)
{
    Q_UNUSED(fields);
    return runAction(kind, name, action);
}

void ServiceModule::putItem(const QString &kind, const QString &, const QString &, const QString &,
    std::function<void(Result<void>)> done)
{
    done(noCatalogAction(*this, kind, "put an item in"));
}

void addServiceModuleFactory(ServiceModuleFactory factory)
{
    QMutexLocker lock(&g_factoriesMutex);
    factories().append(std::move(factory));
}

QList<ServiceModuleFactory> extraServiceModuleFactories()
{
    QMutexLocker lock(&g_factoriesMutex);
    return factories();
}

} // namespace tarmac
