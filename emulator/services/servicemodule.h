#pragma once

#include "base/result.h"

#include <QByteArray>
#include <QHash>
#include <QMap>
#include <QObject>
#include <QSet>
#include <QString>
#include <QUrl>

#include <functional>
#include <memory>
#include <vector>

namespace tarmac {

class Clock;
class DeliverySink;
class EdgeRouter;
class EventInvokeConfigs;
class EventSourceMappings;
class FunctionRunner;
class HttpHandler;
class ServiceModule;
class ServiceRegistry;
class Store;
class Tracer;

// What a service gets from the engine when it starts.
struct EngineContext
{
    Clock *clock = nullptr;
    Store *store = nullptr;
    Tracer *tracer = nullptr;
    ServiceRegistry *registry = nullptr;
    DeliverySink *deliveries = nullptr; // where events for functions go (the Dispatcher)
    FunctionRunner *runner = nullptr;   // runs functions' instances; the Dispatcher's target
    EdgeRouter *edgeRouter = nullptr;   // for Tarmac's own endpoints: addInternalRoute()
    // Event-source mappings (services/eventsourcemappings.h): Lambda's API keeps them there,
    // and a queue or stream service registers the EventSource for the ARNs it owns.
    EventSourceMappings *mappings = nullptr;
    // Another module by name ("s3"), or null. For the few read-only hand-offs AWS itself makes
    // between services (Lambda reading a deployment package from S3); events go through the
    // Dispatcher instead. The module may not have started yet when this is called at start.
    std::function<ServiceModule *(const QString &name)> module;
    // Services' own settings by "service.setting" (Engine::Options::serviceOptions).
    QHash<QString, QString> options;
    QString stateDir;
    QUrl edgeUrl; // what functions get as AWS_ENDPOINT_URL
    QString region = QStringLiteral("us-east-1");
    QString accountId = QStringLiteral("000000000000");
};

// A sample event a service offers (`tarmac events generate`, the desktop's Invoke dialog):
// AWS's exact shape for one source, filled from options that all have defaults.
struct SampleEvent
{
    QString source;      // "s3-put"
    QString description; // one line
    QList<std::pair<QString, QString>> options; // name and help ("bucket", "The bucket (example-bucket).")
    // The event as a function receives it; a bad option value is an error naming it.
    std::function<Result<QByteArray>(const QMap<QString, QString> &options)> generate;
};

// A service Tarmac runs (S3, SQS, Lambda, …): its model plus, for services clients reach on
// the edge port, the wire API. The engine starts modules after its ports listen and before
// it prints the ready line; requests that arrive for a module still starting get 503.
class ServiceModule : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~ServiceModule() override;

    // The registry name, as the edge router's service detection names it ("s3", "lambda").
    virtual QString name() const = 0;
    // The wire API on the edge port, or null. Called on I/O threads: must be thread-safe.
    virtual HttpHandler *edgeHandler() { return nullptr; }
    // The module that keeps functions' asynchronous-invocation settings (Lambda) offers them
    // to the engine's asynchronous policy, which retries and routes every source's events.
    virtual const EventInvokeConfigs *eventInvokeConfigs() const { return nullptr; }
    // A stored object by URL ("s3://bucket/key"), for the few read-only hand-offs AWS itself
    // makes between services (Lambda reading a deployment package from S3); a module that
    // stores objects answers it. Objects over maxBytes answer EntityTooLarge unread.
    // Thread-safe.
    virtual Result<QByteArray> readObject(const QString &uri, qint64 maxBytes) const;
    // Creates tables (Store::migrateModule), loads state. Called on the engine's thread.
    virtual Result<void> start(const EngineContext &context) = 0;
    // Before the engine stops: finish or abandon work; no new work after this. May be called
    // more than once.
    virtual void stop() { }
    // Adds the blob store names (hex SHA-256) this module's state refers to: the engine's
    // garbage collection removes the blobs no module names. Called on the engine's thread
    // after start; must read committed state only.
    virtual Result<void> addBlobReferences(QSet<QByteArray> &live) const
    {
        Q_UNUSED(live);
        return {};
    }
    // Reclaims space the module's own files hold for deleted data (S3's segment log). Called
    // with the blob garbage collection, on the engine's thread, while requests are served.
    virtual Result<void> reclaimSpace() { return {}; }
    // The sample events this service's event sources deliver. Needs no start(); callable on
    // any thread.
    virtual QList<SampleEvent> sampleEvents() const { return {}; }
};

} // namespace tarmac
