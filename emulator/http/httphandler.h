#pragma once

#include "http/httpmessage.h"

#include <functional>
#include <memory>

namespace tarmac {

class HttpConnection;
struct ResponderState;

// Completes one request. Copyable and thread-safe: a handler may keep it and answer later
// from any thread (a Lambda invoke waits for its function). The first send() wins; if every
// copy is dropped without a send, the client gets a 500 rather than a hang.
class HttpResponder
{
public:
    HttpResponder() = default;
    void send(HttpResponse response) const;
    bool isValid() const { return bool(m_state); }
    // Some copy has sent the answer already.
    bool isAnswered() const;
    // Runs on the sending thread just before the response goes out: the front door uses it
    // to add common headers and close the request's span. Set it before handing the
    // responder on; one hook per request.
    void onSend(std::function<void(HttpResponse &)> hook) const;
    // The request is no longer wanted (the client went away or the server is stopping).
    bool isCancelled() const;

private:
    friend class HttpConnection;
    explicit HttpResponder(std::shared_ptr<ResponderState> state)
        : m_state(std::move(state))
    { }
    std::shared_ptr<ResponderState> m_state;
};

// What a port serves. Called on the connection's I/O thread: implementations used with more
// than one I/O thread must be thread-safe.
class HttpHandler
{
public:
    virtual ~HttpHandler();

    // The head has arrived, the body has not: the largest body accepted for this request.
    // A declared or streamed body above it is refused with 413 before it is read.
    virtual qint64 maxBodySize(const HttpRequest &head) const;
    // The answer when a body exceeds maxBodySize(head) (sent before the body is read, then the
    // connection closes), so a service can refuse in its own error shape. Default: JSON 413.
    virtual HttpResponse bodyTooLarge(const HttpRequest &head) const;
    // The answer when the head has arrived but the body stopped coming for the server's body
    // idle limit (sent, then the connection closes), in the service's own shape. Default: a
    // JSON 408.
    virtual HttpResponse requestTimeout(const HttpRequest &head) const;
    // A complete request. Must lead to exactly one responder.send(). Whatever it throws is
    // caught by the caller (handleGuarded) and answered with internalError(): an exception
    // is a bug to fix, but never the end of the process.
    virtual void handle(HttpRequest &&request, HttpResponder responder) = 0;
    // The answer when handle() threw, so that a service answers in its own error shape (the
    // head is the request without its body; requestId is set when the front door had set it).
    // Default: a JSON 500 {"__type":"InternalFailure"}.
    virtual HttpResponse internalError(const HttpRequest &head, const QString &message) const;
};

// Calls handler->handle() behind an exception barrier: anything it throws (std::exception or
// not) is logged on stderr with `service` and the request's method and path, and answered
// with handler->internalError() (which is dropped if the handler had answered already: the
// first send wins). Without it an exception from a handler reaches the event loop, and
// std::terminate ends the emulator with every port.
void handleGuarded(HttpHandler *handler, HttpRequest &&request, HttpResponder responder,
    const QString &service = {});

} // namespace tarmac
