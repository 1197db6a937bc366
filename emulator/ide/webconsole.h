#pragma once

#include "http/httphandler.h"

#include <functional>

namespace tarmac {

// The IDE's reference client, a page a person can use as a minimal browser console
// (resources, a live log tail, pending deliveries to edit, deliver or drop), served at
// /_tarmac/ide/ on the edge port from the files built into Tarmac (emulator/ide/web/).
// /_tarmac/ide/config.json tells the page the IDE port; the token is not served: the page
// takes it from its URL's fragment (#token=…, never sent to a server) or asks for it.
// $TARMAC_IDE_WEB_DIR serves the files from that folder instead (to work on the page).
class WebConsole : public HttpHandler
{
public:
    explicit WebConsole(std::function<int()> idePort);

    static constexpr const char *prefix = "/_tarmac/ide";

    void handle(HttpRequest &&request, HttpResponder responder) override;

private:
    std::function<int()> m_idePort;
};

} // namespace tarmac
