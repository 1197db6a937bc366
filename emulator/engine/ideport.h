#pragma once

#include "base/result.h"

#include <QHostAddress>

namespace tarmac {

// The IDE port's server (the WebSocket JSON-RPC API). It lives in the layer above the engine
// (ide/), which sees the engine only through its public API; the engine makes it through
// Engine::Options::ide while it binds its ports, so that a busy IDE port fails start() like
// any other, names it in the ready line and closes it first when it stops. Lives on the
// engine's thread.
class IdePort
{
public:
    virtual ~IdePort() = default;
    virtual Result<void> listen(const QHostAddress &host, quint16 port) = 0;
    virtual quint16 port() const = 0;
    // Stops accepting and closes every connection.
    virtual void close() = 0;
};

} // namespace tarmac
