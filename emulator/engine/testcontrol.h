#pragma once

#include "base/busy.h"
#include "base/json.h"
#include "http/edgerouter.h"
#include "http/httphandler.h"

#include <QElapsedTimer>
#include <QObject>

#include <memory>

namespace tarmac {

class Engine;
class FaultInjector;
struct ServiceMatch;

// What integration tests drive on the edge port (docs/testing.md):
//  POST /_tarmac/settle {"timeoutMs"}: answers once nothing is in flight or due
//      (Engine::busy() empty twice, the engine's queued work run in between): 200 with what
//      it waited for, or 408 with what is still busy.
//  POST/GET/DELETE /_tarmac/faults[/ID]: the fault rules (engine/faults.h).
//  POST /_tarmac/reset, /_tarmac/snapshots…: the state (Engine::resetState(), snapshots).
// Lives on the engine's thread; handle() is called on I/O threads.
class TestControl : public QObject, public HttpHandler
{
    Q_OBJECT
public:
    TestControl(Engine *engine, FaultInjector *faults, QObject *parent = nullptr);
    ~TestControl() override;

    static constexpr const char *settlePrefix = "/_tarmac/settle";
    static constexpr const char *faultsPrefix = "/_tarmac/faults";
    static constexpr const char *resetPrefix = "/_tarmac/reset";
    static constexpr const char *snapshotsPrefix = "/_tarmac/snapshots";

    qint64 maxBodySize(const HttpRequest &head) const override;
    void handle(HttpRequest &&request, HttpResponder responder) override;

    // The edge's fault hook: the first rule that fires for this request (its service, its
    // operation, the resources it names), as what the edge does about it.
    std::optional<RequestFault> requestFault(const HttpRequest &request, const ServiceMatch &match);

    // A busy item as the API shows it: kind, resource (and its logical id when the template
    // made it), id, since (RFC 3339), detail.
    Json busyJson(const BusyItem &item) const;

private:
    struct Settle;
    void settle(const QByteArray &body, HttpResponder responder);
    void check(const std::shared_ptr<Settle> &wait);
    void faults(const HttpRequest &request, HttpResponder responder);
    // On the engine's thread.
    HttpResponse reset(const QByteArray &body);
    HttpResponse snapshots(
        const QByteArray &method, const QByteArray &rest, const QByteArray &body);
    QString snapshotsDir() const;

    Engine *m_engine;
    FaultInjector *m_faults;
};

// The operation a REST request asks for (S3's, Lambda's Invoke), which the edge does not name
// before the service's handler has looked; empty when not known.
QString restOperation(const HttpRequest &request, const ServiceMatch &match);
// Whether a request names `name`: a path segment, the host's first label, a query value, or
// (in a body held in memory, up to 1 MiB) the name between non-name characters.
bool requestNames(const HttpRequest &request, const QString &name);

} // namespace tarmac
