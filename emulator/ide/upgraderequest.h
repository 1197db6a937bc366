#pragma once

#include <QByteArray>

namespace tarmac {

// The head of an HTTP request to the IDE port, read before it is upgraded to a WebSocket,
// so that a request without the token or from a foreign Origin is refused first.
struct UpgradeRequest
{
    enum class State { Incomplete, TooLarge, Parsed };
    State state = State::Incomplete;
    bool isUpgrade = false; // GET … HTTP/1.1 with Upgrade: websocket
    QByteArray target; // "/?token=…"
    QByteArray origin; // Origin (or Sec-WebSocket-Origin), empty when none
    QByteArray token; // Authorization: Bearer …, else the target's ?token=
};

// Parses the bytes received so far (at most maxHead of them are looked at).
UpgradeRequest parseUpgradeRequest(const QByteArray &received, qsizetype maxHead = 16 * 1024);

// Whether a browser Origin may use the IDE port: none (not a browser), `null` (a file page),
// vscode-webview:// and vscode-file://, or http(s) on a loopback host.
bool isAllowedOrigin(const QByteArray &origin);

// Equal tokens, compared in time that does not depend on where they differ; never equal
// when empty.
bool sameToken(const QByteArray &a, const QByteArray &b);

} // namespace tarmac
