#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QHash>
#include <QString>
#include <QStringList>

#include <functional>

namespace tarmac {

// JSON-RPC 2.0 (https://www.jsonrpc.org/specification), the convention of LSP and DAP: one
// frame in, at most one frame out, without sockets, so that its unit tests reach every case.
//
// - A request is an object with "jsonrpc": "2.0", a string "method", optional "params" (an
//   object: Tarmac's methods take named parameters) and an "id" (string, number or null); a
//   notification has no "id" and gets no answer.
// - A batch is a non-empty array of those; its answer is the array of the requests' answers
//   (in any order, as the specification allows), or nothing when all were notifications.
// - Codes: -32700 parse error (the frame is not JSON), -32600 invalid request, -32601 method
//   not found, -32602 invalid params, -32000 an error of Tarmac's; every error from a method
//   carries data.type, a name from Tarmac's error vocabulary ("ResourceNotFoundException",
//   "InvalidParams", "NothingPending").
//
// Methods answer through a callback, at once or later, from any thread (an invocation ends
// when the function does). Handlers run on the thread that calls handle(); one that must run
// elsewhere posts itself there (IdeServer does for the engine's calls).
class JsonRpc
{
public:
    // Called exactly once, from any thread: a result, or an error whose code becomes
    // data.type (InvalidParams → -32602, MethodNotFound → -32601, others -32000).
    using Respond = std::function<void(Result<Json> result)>;
    // `client`: the connection the request came on (handle()'s argument).
    using Handler = std::function<void(const Json &params, Respond respond, quint64 client)>;
    // A method that answers at once.
    using SyncHandler = std::function<Result<Json>(const Json &params)>;

    void add(const QString &name, Handler handler);
    void addSync(const QString &name, SyncHandler handler);
    bool has(const QString &name) const { return m_methods.contains(name); }
    QStringList names() const;

    // Handles one frame; `reply` gets the answer's bytes once (from any thread), or is never
    // called when there is nothing to answer. Never throws.
    void handle(
        const QByteArray &frame, std::function<void(QByteArray)> reply, quint64 client = 0) const;

    // {"jsonrpc": "2.0", "method": topic, "params": params}
    static QByteArray notification(const char *method, const Json &params);
    // An error object's fields for Result errors, as handle() answers them.
    static Json errorJson(const Error &error);

private:
    QHash<QString, Handler> m_methods;
};

// Reading params: the errors they give are InvalidParams (JSON-RPC's -32602).
Error invalidParams(const QString &message);

} // namespace tarmac
