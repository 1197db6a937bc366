#pragma once

#include "base/busy.h"
#include "base/json.h"
#include "base/result.h"
#include "template/resourcetype.h"

#include <QByteArray>
#include <QHash>
#include <QMap>
#include <QObject>
#include <QSet>
#include <QString>
#include <QUrl>
#include <QVariantMap>

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
class MessageTargets;
class ServiceModule;
class ServiceRegistry;
class Store;
struct StackResource;
class Tracer;

// What a service gets from the engine when it starts.
struct EngineContext
{
    Clock *clock = nullptr;
    Store *store = nullptr;
    Tracer *tracer = nullptr;
    ServiceRegistry *registry = nullptr;
    DeliverySink *deliveries = nullptr; // where events for functions go (the Dispatcher)
    FunctionRunner *runner = nullptr; // runs functions' instances; the Dispatcher's target
    EdgeRouter *edgeRouter = nullptr; // for Tarmac's own endpoints: addInternalRoute()
    // Event-source mappings (services/eventsourcemappings.h): Lambda's API keeps them there,
    // and a queue or stream service registers the EventSource for the ARNs it owns.
    EventSourceMappings *mappings = nullptr;
    // Where messages for other services' resources go (services/messagetargets.h): a service
    // whose resources take messages (SQS's queues) registers its target there; S3's
    // notifications and functions' destinations deliver through it.
    MessageTargets *messageTargets = nullptr;
    // Another module by name ("s3"), or null. For the few read-only hand-offs AWS itself makes
    // between services (Lambda reading a deployment package from S3); events go through the
    // Dispatcher instead. The module may not have started yet when this is called at start.
    std::function<ServiceModule *(const QString &name)> module;
    // Services' own settings by "service.setting" (Engine::Options::serviceOptions).
    QHash<QString, QString> options;
    QString stateDir;
    QUrl edgeUrl; // what functions get as AWS_ENDPOINT_URL
    // The modules' own ports by ServicePort::name ("api" → http://127.0.0.1:3000), once
    // they listen (at start()).
    QHash<QString, QUrl> portUrls;
    QString region = QStringLiteral("us-east-1");
    QString accountId = QStringLiteral("000000000000");
};

// A sample event a service offers (`tarmac events generate`, the desktop's Invoke dialog):
// AWS's exact shape for one source, filled from options that all have defaults.
struct SampleEvent
{
    QString source; // "s3-put"
    QString description; // one line
    QList<std::pair<QString, QString>>
        options; // name and help ("bucket", "The bucket (example-bucket).")
    // The event as a function receives it; a bad option value is an error naming it.
    std::function<Result<QByteArray>(const QMap<QString, QString> &options)> generate;
};

// A port a module listens on besides the edge port (API Gateway's application port). The
// engine binds it before the modules start and names it in the ready line.
struct ServicePort
{
    QString name; // "api": the ready line's key and Engine::Options::ports' key
    QString label; // "API", for errors ("cannot listen on 127.0.0.1:3000 (API port)")
    int defaultPort = 0;
    HttpHandler *handler = nullptr; // owned by the module; called on I/O threads
};

// A kind of resource a service shows in the resource catalog: the desktop's resource tree
// and the IDE API render it without knowing the service.
struct CatalogKind
{
    QString id; // "bucket"
    QString title; // "Buckets"
    QString emptyText; // what to do to have one
};

// A field of a resource's search form (a table's Query and Scan) or of an action that asks
// for something first (a route's "send request": method, path, body): the desktop and the
// IDE API show these fields, and the service reads what was typed in them.
struct CatalogField
{
    QString id; // "filter"
    QString label; // "Filter"
    QString placeholder; // an example of what it takes ("price > :min")
    QStringList choices; // a fixed list, the first being the default; empty: free text
    QString value; // free text filled in at first
    bool multiline = false; // free text of several lines (a body)

    friend bool operator==(const CatalogField &, const CatalogField &) = default;
};

// One live resource in the catalog.
struct CatalogEntry
{
    QString kind; // CatalogKind::id
    QString name;
    QString arn;
    // Its physical id in a template when that is not its name (a queue's AWS URL), so that
    // the desktop can show the template's name for it; empty: the name.
    QString physicalId;
    QVariantMap counts; // "objects": 12, "bytes": 4096
    QString status; // the counts as one line: "12 objects · 4 KB"
    QString tooltip;
    QList<std::pair<QString, QString>> properties; // what it is set to ("Region", "us-east-1")
    // What it offers: "browse" (its items), "invoke", and actions runAction() does ("purge",
    // "redrive"), which the desktop shows as buttons and the IDE API as commands.
    QStringList actions;
    // The search its items offer beyond key order (ServiceModule::search); empty: none.
    QList<CatalogField> search;
    // The fields an action asks for before it runs (ServiceModule::runActionWith), by action.
    QMap<QString, QList<CatalogField>> actionFields;
    QString warning; // something wrong with it

    friend bool operator==(const CatalogEntry &, const CatalogEntry &) = default;
};

// An item a resource holds (a bucket's object, a queue's message, a table's item), for the
// "browse" action.
struct CatalogItem
{
    QString key; // what readItem and deleteItem take
    qint64 size = 0;
    qint64 modifiedNs = 0; // 0: not known
    QString detail; // one line more, or empty
    QString label; // what the browser shows for it, when not its key (an object's version)
};

struct CatalogPage
{
    QList<CatalogItem> items;
    bool truncated = false; // more after the last
    // Where a search's next page starts (its `after`), when truncated; a browse's next page
    // starts after its last item's key.
    QString next;
};

// An item's content: a small one in `data`, a big one as a file to copy (off the engine's
// thread; it stays until the item changes).
struct CatalogItemBody
{
    QByteArray data;
    QString file;
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
    // Work the module holds that has not finished yet (an outbox of messages to send): what
    // POST /_tarmac/settle waits for. Work due later than now only when `includeFuture` (the
    // clock runs). Deliveries to functions are the Dispatcher's to report, records for
    // mappings the poller's. Called on the engine's thread, often: keep it cheap.
    virtual QList<BusyItem> busy(bool includeFuture) const
    {
        Q_UNUSED(includeFuture);
        return {};
    }
    // --- reset and snapshots (POST /_tarmac/reset, /_tarmac/snapshots) -----------------
    // The engine replaces the state's rows without stopping: it holds the modules' requests
    // off (the edge answers 503 while the registry says Starting), calls flushState() on
    // every module, copies or replaces every module's rows in one transaction, calls
    // restoreFiles(), then reloadState() on every module, in start order. All on the engine's
    // thread (restoreFiles() comes before the rows are replaced, so that a kill -9 at any
    // point leaves rows that name only files that are there). Work already under way (a request
    // past the edge, a function running) may still finish against the new rows: it must not crash,
    // and may be lost.
    //
    // Writes out what was acknowledged but is not in the rows yet (S3's pending small
    // objects), so that a snapshot has it.
    virtual Result<void> flushState() { return {}; }
    // The module's rows were replaced (emptied by a reset, or a snapshot's restored): drop
    // what it keeps in memory from them, cancel the timers it armed from them, and read them
    // again as start() did (re-arming timers, re-sending outboxes). Stays started.
    virtual Result<void> reloadState() { return {}; }
    // SQL that must commit with the replaced rows, so that a kill -9 right after leaves the
    // module consistent on restart (S3: the log's mark at its present end, so that no
    // record of the state that went is replayed into the new one). Empty: none.
    virtual QByteArray replacedRowsSql() const { return {}; }
    // Files the module keeps beside its rows (S3's segment log): copy them into `dir` for a
    // snapshot (consistent with the rows flushState() wrote), and put a snapshot's back (or,
    // `dir` empty, remove them all: a reset) before reloadState().
    virtual Result<void> snapshotFiles(const QString &dir) const
    {
        Q_UNUSED(dir);
        return {};
    }
    virtual Result<void> restoreFiles(const QString &dir)
    {
        Q_UNUSED(dir);
        return {};
    }
    // The sample events this service's event sources deliver. Needs no start(); callable on
    // any thread.
    virtual QList<SampleEvent> sampleEvents() const { return {}; }

    // --- ports ------------------------------------------------------------------------
    // The ports this module listens on besides the edge port. Called once, before start(),
    // with a context whose clock, tracer, store and registry are set.
    virtual QList<ServicePort> ports(const EngineContext &context)
    {
        Q_UNUSED(context);
        return {};
    }

    // --- templates --------------------------------------------------------------------
    // The CloudFormation types this service creates from a template, and the SAM function
    // event types it wires. Needs no start(); the objects live as long as the module.
    virtual QList<const ResourceType *> resourceTypes() const { return {}; }
    virtual QList<const FunctionEventType *> functionEventTypes() const { return {}; }
    // The ARN services ("sqs") whose resources this module takes messages for once started
    // (MessageTargets): templates may name them as destinations. Needs no start().
    virtual QStringList messageTargetServices() const { return {}; }
    // The ARN services whose resources this module offers as event sources for functions once
    // started (EventSourceMappings::addSource): templates' mappings may name them. Needs no
    // start().
    virtual QStringList eventSourceServices() const { return {}; }
    // Creates a resource of one of its types from the resolved properties, or brings the one
    // `previous` made (as last applied; null when new) in line with them. On the engine's
    // thread, after start(). An error is one line for the user.
    virtual Result<void> putResource(const StackResource &resource, const StackResource *previous);
    // Deletes a resource the template no longer has (also one that went while Tarmac was not
    // running: then only its logical id, type and physical id are known). The answer is
    // what happened, as a phrase ("removed", "kept: it is not empty").
    virtual Result<QString> deleteResource(const StackResource &resource);

    // A value AWS gives as a URL of this service's ("https://ID.execute-api.us-east-1.
    // amazonaws.com/Prod/" in a template's Outputs) as the URL that reaches the same thing on
    // Tarmac; empty when the value is not one. Called on the engine's thread, after start().
    virtual QString localUrl(const QString &value) const
    {
        Q_UNUSED(value);
        return {};
    }

    // --- the resource catalog ----------------------------------------------------------
    // The kinds of resources this service shows, and each live resource with its counts and
    // actions. catalog() runs on the engine's thread and reads committed state.
    virtual QList<CatalogKind> catalogKinds() const { return {}; }
    virtual QList<CatalogEntry> catalog() const { return {}; }
    // The "browse" action: a resource's items in key order after `after`, at most `max`;
    // one item's content; deleting one; putting a file's content as one (`done` is called
    // on the engine's thread; slow work happens off it). On the engine's thread.
    virtual Result<CatalogPage> browse(
        const QString &kind, const QString &name, const QString &after, int max) const;
    virtual Result<CatalogItemBody> readItem(
        const QString &kind, const QString &name, const QString &key) const;
    virtual Result<void> deleteItem(const QString &kind, const QString &name, const QString &key);
    virtual void putItem(const QString &kind, const QString &name, const QString &key,
        const QString &file, std::function<void(Result<void>)> done);
    // The items that match a search (the entry's `search` fields, by id, as typed; a field
    // left out is empty), at most `max`, from `after` (a previous page's `next`). A search the
    // service refuses is its own error, with its message for the user. On the engine's thread.
    virtual Result<CatalogPage> search(const QString &kind, const QString &name,
        const QMap<QString, QString> &fields, const QString &after, int max) const;
    // One of an entry's other actions ("purge"): what it did, as a phrase for the user
    // ("purged 12 messages"). On the engine's thread.
    virtual Result<QString> runAction(
        const QString &kind, const QString &name, const QString &action);
    // An action with what was typed in its fields (CatalogEntry::actionFields, by id; a field
    // left out is empty). By default: runAction(), the fields unread.
    virtual Result<QString> runActionWith(const QString &kind, const QString &name,
        const QString &action, const QMap<QString, QString> &fields);
};

// Modules beyond the build's own list (a test's own service): every engine created after this
// call also has one made by `factory`, after the build's modules.
using ServiceModuleFactory = std::function<std::unique_ptr<ServiceModule>()>;
void addServiceModuleFactory(ServiceModuleFactory factory);
QList<ServiceModuleFactory> extraServiceModuleFactories();

} // namespace tarmac
