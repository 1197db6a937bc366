#include "ide/upgraderequest.h"

#include <QHostAddress>
#include <QList>
#include <QUrl>
#include <QUrlQuery>

namespace tarmac {

UpgradeRequest parseUpgradeRequest(const QByteArray &received, qsizetype maxHead)
{
    UpgradeRequest r;
    const QByteArray head = received.left(maxHead);
    const qsizetype end = head.indexOf("\r\n\r\n");
    if (end < 0) {
        if (head.size() >= maxHead)
            r.state = UpgradeRequest::State::TooLarge;
        return r;
    }
    r.state = UpgradeRequest::State::Parsed;
    const QList<QByteArray> lines = head.left(end).split('\n');
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    QByteArray authorization;
    bool upgrade = false;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray &line = lines[i];
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (name == "origin" || name == "sec-websocket-origin")
            r.origin = value;
        else if (name == "authorization")
            authorization = value;
        else if (name == "upgrade")
            upgrade = value.toLower() == "websocket";
    }
    r.isUpgrade = requestLine.size() == 3 && requestLine[0] == "GET"
        && requestLine[2].startsWith("HTTP/1.") && upgrade;
    if (requestLine.size() >= 2)
        r.target = requestLine[1];
    if (authorization.startsWith("Bearer "))
        r.token = authorization.mid(7).trimmed();
    else
        r.token = QUrlQuery(QUrl(QString::fromUtf8(r.target)))
                      .queryItemValue(QStringLiteral("token"), QUrl::FullyDecoded)
                      .toUtf8();
    return r;
}

bool isAllowedOrigin(const QByteArray &origin)
{
    if (origin.isEmpty() || origin == "null")
        return true; // not a browser, or a file:// page or sandboxed frame
    const QUrl url(QString::fromUtf8(origin));
    const QString scheme = url.scheme();
    if (scheme == QLatin1String("vscode-webview") || scheme == QLatin1String("vscode-file"))
        return true;
    if (scheme != QLatin1String("http") && scheme != QLatin1String("https"))
        return false;
    const QString host = url.host();
    if (host == QLatin1String("localhost"))
        return true;
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

bool sameToken(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size() || a.isEmpty())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

} // namespace tarmac
