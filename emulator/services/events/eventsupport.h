#pragma once

#include "base/json.h"

#include <QMap>
#include <QString>

#include <optional>

// What EventBridge's and the Scheduler's models both write the same way: times, page tokens,
// tag lists, bus names, and the event envelope every EventBridge event has.
namespace tarmac::eventsupport {

// A timestamp as the JSON protocols give one: epoch seconds, milliseconds as the fraction.
double epochSeconds(qint64 ns);
// "2027-01-04T09:00:00Z": an event's `time`, a schedule's scheduled time.
QString isoSeconds(qint64 ns);

// Opaque page tokens: the offset into a sorted list. An empty token is the start; a token
// that is not one of these is nullopt.
QString pageToken(qsizetype next);
std::optional<qsizetype> pageOffset(const QString &token);

// Tags as the APIs answer them: [{"Key", "Value"}] in key order.
Json tagList(const QMap<QString, QString> &tags);

// A bus's name from its name or ARN (…:event-bus/NAME); empty is the default bus.
QString busNameOf(const QString &nameOrArn);

// An event as EventBridge delivers it, with a fresh id: version, id, detail-type, source,
// account, time, region, resources, detail.
Json eventEnvelope(const QString &detailType, const QString &source, const QString &account,
    const QString &region, qint64 timeNs, Json resources, Json detail);

} // namespace tarmac::eventsupport
