#pragma once

#include "services/servicemodule.h"

#include <memory>
#include <optional>

namespace tarmac {

class Clock;
class S3LifecycleRunner;
struct S3Bucket;
struct S3Object;
class S3Notifier;
class S3RestApi;
class S3Store;
class Store;
namespace s3resources {
struct BucketSettings;
}

// Tarmac's S3: the model (S3Store), its wire API on the edge port (S3RestApi) and the bridge
// from object events to function deliveries (S3Notifier), wired at start.
class S3Module : public ServiceModule
{
    Q_OBJECT
public:
    explicit S3Module(QObject *parent = nullptr);
    ~S3Module() override;

    QString name() const override { return QStringLiteral("s3"); }
    HttpHandler *edgeHandler() override;
    Result<void> start(const EngineContext &context) override;
    void stop() override;
    Result<void> addBlobReferences(QSet<QByteArray> &live) const override;
    Result<void> reclaimSpace() override;
    Result<void> flushState() override;
    Result<void> reloadState() override;
    QByteArray replacedRowsSql() const override;
    Result<void> snapshotFiles(const QString &dir) const override;
    Result<void> restoreFiles(const QString &dir) override;
    // s3://bucket/key: the object's bytes, with S3's error codes (NoSuchBucket, NoSuchKey).
    Result<QByteArray> readObject(const QString &uri, qint64 maxBytes) const override;
    // s3-put, s3-delete
    QList<SampleEvent> sampleEvents() const override;
    // AWS::S3::Bucket (and BucketPolicy, accepted) in templates, and SAM's S3 event.
    QList<const ResourceType *> resourceTypes() const override;
    QList<const FunctionEventType *> functionEventTypes() const override;
    Result<void> putResource(const StackResource &resource, const StackResource *previous) override;
    // A bucket that still holds objects is kept, as CloudFormation keeps it.
    Result<QString> deleteResource(const StackResource &resource) override;
    // Buckets in the resource catalog, with their objects to browse.
    QList<CatalogKind> catalogKinds() const override;
    QList<CatalogEntry> catalog() const override;
    Result<CatalogPage> browse(
        const QString &kind, const QString &name, const QString &after, int max) const override;
    Result<CatalogItemBody> readItem(
        const QString &kind, const QString &name, const QString &key) const override;
    Result<void> deleteItem(const QString &kind, const QString &name, const QString &key) override;
    // The bucket's search: objects under a prefix, current ones or every version (an item's
    // key is then the object's key, a NUL and the version's id, which readItem and
    // deleteItem take: reading that version, deleting it for good).
    Result<CatalogPage> search(const QString &kind, const QString &name,
        const QMap<QString, QString> &fields, const QString &after, int max) const override;
    void putItem(const QString &kind, const QString &name, const QString &key, const QString &file,
        std::function<void(Result<void>)> done) override;
    // A bucket's objects are counted up to this many, so that a huge bucket costs little.
    static constexpr int kCountLimit = 10'000;

    S3Store *store() const { return m_store.get(); }
    // Bucket settings (CORS, notification) were changed through the store, not the wire API
    // (the template loader does that): forget the copies the API and the notifier cache.
    void bucketSettingsChanged(const QString &bucket);

private:
    // What the desktop shows about a bucket and an object beyond their names and sizes.
    QList<std::pair<QString, QString>> bucketProperties(const S3Bucket &bucket) const;
    QString itemDetail(const S3Object &object) const;
    // A template's encryption, access, lifecycle and lock settings, put as the API puts them.
    Result<void> putBucketDocuments(const QString &name,
        const s3resources::BucketSettings &settings, const StackResource *previous);
    // A catalog item's key as the object's key and, for a version's item, its version.
    static std::pair<QByteArray, std::optional<QByteArray>> versionKey(const QString &key);

    Store *m_state = nullptr;
    const Clock *m_clock = nullptr;
    QString m_region = QStringLiteral("us-east-1");
    std::unique_ptr<S3Store> m_store;
    std::unique_ptr<S3Notifier> m_notifier;
    std::unique_ptr<S3RestApi> m_api;
    std::unique_ptr<S3LifecycleRunner> m_lifecycle;
    std::unique_ptr<HttpHandler> m_proxy;
};

} // namespace tarmac
