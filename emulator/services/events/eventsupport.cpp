#include "services/events/eventsupport.h"

#include <QDateTime>
#include <QUuid>

namespace tarmac::eventsupport {

double epochSeconds(qint64 ns)
{
    return double(ns / 1'000'000) / 1000.0;
}

QString isoSeconds(qint64 ns)
{
    return QDateTime::fromMSecsSinceEpoch(ns / 1'000'000, Qt::UTC).toString(Qt::ISODate);
}

QString pageToken(qsizetype next)
{
    return QString::fromLatin1(QByteArray::number(qint64(next)).toBase64());
}

std::optional<qsizetype> pageOffset(const QString &token)
{
    if (token.isEmpty())
        return 0;
    bool ok = false;
    const qint64 v = QByteArray::fromBase64(token.toLatin1()).toLongLong(&ok);
    if (!ok || v < 0)
        return std::nullopt;
    return qsizetype(v);
}

Json tagList(const QMap<QString, QString> &tags)
{
    Json out = Json::array();
    for (auto it = tags.cbegin(); it != tags.cend(); ++it)
        out.push_back({{"Key", toStd(it.key())}, {"Value", toStd(it.value())}});
    return out;
}

QString busNameOf(const QString &nameOrArn)
{
    const QString name = nameOrArn.startsWith(QLatin1String("arn:"))
        ? nameOrArn.section(QStringLiteral(":event-bus/"), 1)
        : nameOrArn;
    return name.isEmpty() ? QStringLiteral("default") : name;
}

Json eventEnvelope(const QString &detailType, const QString &source, const QString &account,
    const QString &region, qint64 timeNs, Json resources, Json detail)
{
    return Json {{"version", "0"},
        {"id", toStd(QUuid::createUuid().toString(QUuid::WithoutBraces))},
        {"detail-type", toStd(detailType)}, {"source", toStd(source)}, {"account", toStd(account)},
        {"time", toStd(isoSeconds(timeNs))}, {"region", toStd(region)},
        {"resources", std::move(resources)}, {"detail", std::move(detail)}};
}

} // namespace tarmac::eventsupport
