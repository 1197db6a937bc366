#include "template/resourcetype.h"

#include <QCryptographicHash>
#include <QDir>

#include <cmath>

namespace tarmac {

ResourceType::~ResourceType() = default;

ResourceIdentity ResourceType::identity(
    const QString &logicalId, const Json &, const StackNaming &naming) const
{
    ResourceIdentity id;
    id.physicalId = generatedPhysicalName(naming, logicalId, 128, false);
    id.ref = Json(id.physicalId.toStdString());
    return id;
}
ResourceCheck::~ResourceCheck() = default;

void ResourceCheck::ignored(const QString &, const QStringList &, const QString &, bool) { }

QString ResourceCheck::madeRoleArn(const QString &logicalId) const
{
    const Json arn = attribute(logicalId + QStringLiteral("Role"), QStringLiteral("Arn"));
    return arn.is_string() ? QString::fromStdString(arn.get<std::string>()) : QString();
}

QString ResourceCheck::localPath(const QString &path) const
{
    // QDir takes a leading ':' for a resource compiled into the program, and an absolute path:
    // unchanged, "::src" would be created in the working folder by a build.
    const QString relative = path.startsWith(u':') ? QStringLiteral("./") + path : path;
    return QDir::cleanPath(QDir(baseDir()).absoluteFilePath(relative));
}
FunctionEventType::~FunctionEventType() = default;

const PropertySupport *ResourceTypeInfo::property(const QString &name) const
{
    for (const PropertySupport &p : properties) {
        if (name == QLatin1String(p.name))
            return &p;
    }
    return nullptr;
}

QString StackNaming::arn(const char *service, const QString &resource) const
{
    return QStringLiteral("arn:aws:%1:%2:%3:%4")
        .arg(QLatin1String(service), region, accountId, resource);
}

QString stableSuffix(const QString &seed, int length, bool lowerCase)
{
    // Base 36 of a SHA-256: the same seed gives the same name on every start.
    const QByteArray digest = QCryptographicHash::hash(seed.toUtf8(), QCryptographicHash::Sha256);
    const char *alphabet = lowerCase ? "abcdefghijklmnopqrstuvwxyz0123456789"
                                     : "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const auto *bytes = reinterpret_cast<const quint8 *>(digest.constData());
    QString out;
    for (int i = 0; i < length; ++i)
        out += QLatin1Char(alphabet[bytes[i % digest.size()] % 36]);
    return out;
}

QString stringProperty(const Json &properties, const char *name)
{
    if (properties.is_object() && properties.contains(name) && properties[name].is_string())
        return QString::fromStdString(properties[name].get<std::string>());
    return {};
}

bool wholeNumber(const Json &v, qint64 *out)
{
    if (v.is_number_integer()) {
        *out = v.get<qint64>();
        return true;
    }
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (d != std::floor(d) || std::fabs(d) > 1e15)
            return false;
        *out = qint64(d);
        return true;
    }
    if (v.is_string()) {
        bool ok = false;
        *out = QString::fromStdString(v.get<std::string>()).trimmed().toLongLong(&ok);
        return ok;
    }
    return false;
}

QString generatedPhysicalName(
    const StackNaming &naming, const QString &logicalId, int maxLength, bool lowerCase)
{
    const QString suffix = stableSuffix(naming.stackName + u'/' + logicalId, 13, lowerCase);
    // Like CloudFormation: stack name and logical id give way so that the suffix fits.
    const int room = std::max(2, maxLength - int(suffix.size()) - 2);
    QString stack = naming.stackName;
    QString logical = logicalId;
    while (stack.size() + logical.size() > room) {
        if (stack.size() >= logical.size())
            stack.chop(1);
        else
            logical.chop(1);
    }
    QString name = stack + u'-' + logical + u'-' + suffix;
    return lowerCase ? name.toLower() : name;
}

} // namespace tarmac
