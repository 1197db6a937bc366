#pragma once

#include "replay/effects.h"

#include <QObject>
#include <QUrl>

#include <functional>

class QNetworkAccessManager;
class QNetworkReply;

namespace tarmac {

// The Authorization header every call the replay makes to the engine's own edge port carries,
// SigV4-shaped for `service`'s scope (Tarmac checks signatures only when told to).
QByteArray edgeAuthorization(const char *service);
// POST /_tarmac/settle {"timeoutMs"} on the edge port: answered once the engine is idle (or
// 408 when the time runs out).
QNetworkReply *postSettle(QNetworkAccessManager *http, const QUrl &edge, int timeoutMs);

// Checks effects against a running Tarmac through its edge port, as a client would read them
// (S3 GetObject, SQS GetQueueAttributes, DynamoDB GetItem with a consistent read), after
// POST /_tarmac/settle, so that what the event set going has finished first. One at a time;
// an effect with `within` is read again every 50 ms until it holds or its time is up. Calls
// `done` once with the mismatches (one line each), then deletes itself.
class EffectCheck : public QObject
{
    Q_OBJECT
public:
    using Names = std::function<QString(const QString &)>; // logical id → physical name
    EffectCheck(QNetworkAccessManager *http, QUrl edge, Names physical, QList<Effect> effects,
        std::function<void(QStringList)> done, QObject *parent = nullptr);
    void start();

private:
    void checkNext();
    // Reads the effect; calls back with its mismatch, or an empty string when it holds.
    void probe(const Effect &effect, std::function<void(QString)> then);
    void probeS3(const Effect &effect, std::function<void(QString)> then);
    void probeSqs(const Effect &effect, std::function<void(QString)> then);
    void probeDynamoDb(const Effect &effect, std::function<void(QString)> then);
    QNetworkReply *awsJson(const QByteArray &target, const Json &body, const char *service);
    QString physical(const QString &name) const;

    QNetworkAccessManager *m_http;
    QUrl m_edge;
    Names m_physical;
    QList<Effect> m_effects;
    std::function<void(QStringList)> m_done;
    QStringList m_mismatches;
    int m_next = 0;
    qint64 m_effectStartedMs = 0;
};

} // namespace tarmac
