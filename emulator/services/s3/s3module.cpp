#include "services/s3/s3module.h"

#include "base/clock.h"
#include "base/ids.h"
#include "http/awserror.h"
#include "services/s3/s3access.h"
#include "services/s3/s3lifecyclerunner.h"
#include "services/s3/s3notifier.h"
#include "services/s3/s3objectlock.h"
#include "services/s3/s3resources.h"
#include "services/s3/s3restapi.h"
#include "services/s3/s3signature.h"
#include "services/s3/s3sse.h"
#include "services/s3/s3store.h"
#include "store/store.h"
#include "template/stack.h"

#include <QCryptographicHash>
#include <QFile>
#include <QLocale>
#include <QMimeDatabase>
#include <QPointer>
#include <QThreadPool>

#include <atomic>

namespace tarmac {

namespace {

const QLatin1String kBucketKind("bucket");
// The bucket search's "show" choices.
const QString kCurrentObjects = QStringLiteral("current objects");
const QString kEveryVersion = QStringLiteral("every version");

Error notRunning()
{
    return makeError(QStringLiteral("Unavailable"), QStringLiteral("S3 is not running"), 503);
}

// Copies `file` to `staging` (or reads it, when small), computing what S3Store wants to know.
Result<S3StagedBody> stageFile(const QString &file, const QString &staging)
{
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly))
        return makeError(QStringLiteral("ReadFailed"),
            QStringLiteral("cannot read %1: %2").arg(file, in.errorString()));
    S3StagedBody body;
    QCryptographicHash md5(QCryptographicHash::Md5);
    QCryptographicHash sha(QCryptographicHash::Sha256);
    const bool small = in.size() <= S3Store::kInlineLimit;
    QFile out(staging);
    if (!small && !out.open(QIODevice::WriteOnly))
        return makeError(QStringLiteral("WriteFailed"),
            QStringLiteral("cannot write %1: %2").arg(staging, out.errorString()));
    QByteArray buffer;
    while (!(buffer = in.read(1 << 20)).isEmpty()) {
        md5.addData(buffer);
        sha.addData(buffer);
        body.size += buffer.size();
        if (small)
            body.data += buffer;
        else if (out.write(buffer) != buffer.size())
            return makeError(QStringLiteral("WriteFailed"), out.errorString());
    }
    if (!small) {
        if (!out.flush())
            return makeError(QStringLiteral("WriteFailed"), out.errorString());
        body.path = staging;
    }
    body.md5 = md5.result();
    body.sha256Hex = sha.result().toHex();
    return body;
}

// The engine registers edge handlers before modules start, so the module hands out this
// stable forwarder and points it at the API once the model is open.
class ForwardingHandler : public HttpHandler
{
public:
    void setTarget(HttpHandler *target) { m_target.store(target, std::memory_order_release); }

    qint64 maxBodySize(const HttpRequest &head) const override
    {
        HttpHandler *t = m_target.load(std::memory_order_acquire);
        return t ? t->maxBodySize(head) : 16 * 1024 * 1024;
    }

    HttpResponse bodyTooLarge(const HttpRequest &head) const override
    {
        HttpHandler *t = m_target.load(std::memory_order_acquire);
        return t ? t->bodyTooLarge(head) : HttpHandler::bodyTooLarge(head);
    }

    HttpResponse requestTimeout(const HttpRequest &head) const override
    {
        HttpHandler *t = m_target.load(std::memory_order_acquire);
        return t ? t->requestTimeout(head) : HttpHandler::requestTimeout(head);
    }

    HttpResponse internalError(const HttpRequest &head, const QString &message) const override
    {
        HttpHandler *t = m_target.load(std::memory_order_acquire);
        return t ? t->internalError(head, message) : HttpHandler::internalError(head, message);
    }

    void handle(HttpRequest &&request, HttpResponder responder) override
    {
        if (HttpHandler *t = m_target.load(std::memory_order_acquire)) {
            t->handle(std::move(request), std::move(responder));
            return;
        }
        responder.send(awsErrorResponse(AwsProtocol::RestXml,
            makeError(QStringLiteral("ServiceUnavailable"),
                QStringLiteral("The s3 service is not running"), 503),
            request.requestId, request.path));
    }

private:
    std::atomic<HttpHandler *> m_target {nullptr};
};

} // namespace

S3Module::S3Module(QObject *parent)
    : ServiceModule(parent)
    , m_proxy(std::make_unique<ForwardingHandler>())
{ }

S3Module::~S3Module()
{
    static_cast<ForwardingHandler *>(m_proxy.get())->setTarget(nullptr);
}

HttpHandler *S3Module::edgeHandler()
{
    return m_proxy.get();
}

Result<void> S3Module::start(const EngineContext &context)
{
    m_region = context.region;
    m_clock = context.clock;
    // Segments of the small-body log start over at 64 MiB (tests make them smaller).
    m_state = context.store;
    bool ok = false;
    const qint64 segmentBytes = qEnvironmentVariable("TARMAC_S3_LOG_SEGMENT_BYTES").toLongLong(&ok);
    m_store = std::make_unique<S3Store>(context.store, context.clock, context.stateDir,
        ok && segmentBytes > 0 ? segmentBytes : 64LL * 1024 * 1024);
    if (auto r = m_store->open(); !r)
        return r;
    m_notifier = std::make_unique<S3Notifier>(m_store.get(), context.deliveries, context.tracer,
        context.clock, context.region, context.accountId);
    m_notifier->setMessageTargets(context.messageTargets);
    m_store->setEventListener(
        [notifier = m_notifier.get()](const S3Event &e) { notifier->onEvent(e); });
    m_api = std::make_unique<S3RestApi>(
        m_store.get(), m_notifier.get(), context.tracer, context.clock, context.region);
    // `tarmac serve --verify-signatures --credentials FILE`
    const QString credentials = context.options.value(QStringLiteral("s3.signatureCredentials"));
    if (!credentials.isEmpty()) {
        auto verifier = S3SignatureVerifier::fromCredentialsFile(credentials);
        if (!verifier)
            return verifier.error();
        m_api->setSignatureVerifier(
            std::make_shared<const S3SignatureVerifier>(std::move(*verifier)));
    }
    m_lifecycle = std::make_unique<S3LifecycleRunner>(m_store.get(), context.clock);
    m_api->setLifecycleChanged([runner = m_lifecycle.get()](const QString &bucket) {
        runner->configurationChanged(bucket);
    });
    m_lifecycle->start();
    static_cast<ForwardingHandler *>(m_proxy.get())->setTarget(m_api.get());
    return {};
}

void S3Module::bucketSettingsChanged(const QString &bucket)
{
    if (m_api)
        m_api->invalidateBucketCaches(bucket);
}

Result<void> S3Module::addBlobReferences(QSet<QByteArray> &live) const
{
    return m_store ? m_store->addBlobReferences(live) : Result<void>();
}

Result<void> S3Module::reclaimSpace()
{
    if (!m_store)
        return {};
    auto removed = m_store->compactLog();
    if (!removed)
        return removed.error();
    return {};
}

Result<QByteArray> S3Module::readObject(const QString &uri, qint64 maxBytes) const
{
    if (!m_store)
        return makeError(
            QStringLiteral("ServiceUnavailable"), QStringLiteral("S3 has not started"), 503);
    // s3://BUCKET/KEY, the key as it is (not URL-encoded)
    const qsizetype slash = uri.indexOf(u'/', 5);
    if (!uri.startsWith(QLatin1String("s3://")) || slash <= 5)
        return makeError(QStringLiteral("InvalidURI"),
            QStringLiteral("not an s3://bucket/key URI: %1").arg(uri), 400);
    const QString bucket = uri.mid(5, slash - 5);
    const QByteArray key = uri.mid(slash + 1).toUtf8();
    // A small body comes with its row; a large one is only named (its blob), not read.
    auto object = m_store->object(bucket, key);
    if (!object)
        return object.error();
    if (object->size > maxBytes)
        return makeError(QStringLiteral("EntityTooLarge"),
            QStringLiteral("%1 is %2 bytes, more than %3").arg(uri).arg(object->size).arg(maxBytes),
            400);
    if (!object->blob.isEmpty())
        return m_state->blobs().read(object->blob);
    return object->data;
}

QList<SampleEvent> S3Module::sampleEvents() const
{
    const QList<std::pair<QString, QString>> options = {
        {QStringLiteral("bucket"), QStringLiteral("The bucket (example-bucket).")},
        {QStringLiteral("key"), QStringLiteral("The object key (test/key).")},
        {QStringLiteral("size"), QStringLiteral("The object size in bytes (1024).")},
        {QStringLiteral("region"), QStringLiteral("The region (us-east-1).")},
    };
    const auto generator = [](const QString &eventName) {
        return [eventName](const QMap<QString, QString> &o) -> Result<QByteArray> {
            S3Event event;
            event.eventName = eventName;
            event.bucket = o.value(QStringLiteral("bucket"), QStringLiteral("example-bucket"));
            event.key = o.value(QStringLiteral("key"), QStringLiteral("test/key")).toUtf8();
            bool ok = false;
            event.size = o.value(QStringLiteral("size"), QStringLiteral("1024")).toLongLong(&ok);
            if (!ok || event.size < 0)
                return makeError(
                    QStringLiteral("Usage"), QStringLiteral("--size takes a number of bytes"));
            if (event.bucket.isEmpty() || event.key.isEmpty())
                return makeError(QStringLiteral("Usage"),
                    QStringLiteral("--bucket and --key must not be empty"));
            event.etag = QByteArrayLiteral("0123456789abcdef0123456789abcdef");
            event.sequencer = QByteArrayLiteral("0A1B2C3D4E5F678901");
            event.timeNs = SystemClock().nowNs();
            event.origin.requestId = QByteArrayLiteral("EXAMPLE123456789");
            return S3Notifier::record(event, QStringLiteral("testConfigRule"),
                o.value(QStringLiteral("region"), QStringLiteral("us-east-1")));
        };
    };
    return {
        {QStringLiteral("s3-put"), QStringLiteral("an object was created (ObjectCreated:Put)"),
            options, generator(QStringLiteral("ObjectCreated:Put"))},
        {QStringLiteral("s3-delete"),
            QStringLiteral("an object was deleted (ObjectRemoved:Delete)"), options,
            generator(QStringLiteral("ObjectRemoved:Delete"))},
    };
}

Result<void> S3Module::flushState()
{
    return m_store ? m_store->flush() : Result<void> {};
}

Result<void> S3Module::snapshotFiles(const QString &dir) const
{
    return m_store ? m_store->linkFiles(dir) : Result<void> {};
}

Result<void> S3Module::restoreFiles(const QString &dir)
{
    // A reset keeps the log's files: nothing names their records any more, and compaction
    // reclaims them as it reclaims any dead record.
    if (!m_store || dir.isEmpty())
        return {};
    return m_store->adoptFiles(dir);
}

QByteArray S3Module::replacedRowsSql() const
{
    return m_store ? m_store->replacedRowsSql() : QByteArray();
}

Result<void> S3Module::reloadState()
{
    if (!m_store)
        return {};
    if (auto r = m_store->reload(); !r)
        return r;
    // Every bucket's cached configuration (CORS, encryption, access, lifecycle, notifications).
    if (m_api)
        m_api->invalidateBucketCaches(QString());
    return {};
}

void S3Module::stop()
{
    // In-flight requests finish against the API; it stays until destruction.
}

QList<const ResourceType *> S3Module::resourceTypes() const
{
    return {&s3resources::bucketType(), &s3resources::bucketPolicyType()};
}

QList<const FunctionEventType *> S3Module::functionEventTypes() const
{
    return {&s3resources::s3EventType()};
}

Result<void> S3Module::putResource(const StackResource &resource, const StackResource *previous)
{
    if (resource.type != QLatin1String("AWS::S3::Bucket"))
        return ServiceModule::putResource(resource, previous);
    if (!m_store)
        return notRunning();
    auto settings = s3resources::readBucket(resource.logicalId, resource.properties, nullptr);
    if (!settings)
        return settings.error();
    const QString &name = resource.physicalId;
    if (!previous) {
        auto r = m_store->createBucket(name, m_region, settings->objectLockEnabled);
        if (!r && r.error().code != QLatin1String("BucketAlreadyOwnedByYou"))
            return r.error();
    }
    if (settings->objectLockEnabled && !m_store->objectLockEnabled(name)) {
        if (auto r = m_store->enableObjectLock(name); !r)
            return r.error();
    }
    if (auto r = putBucketDocuments(name, *settings, previous); !r)
        return r;
    const std::pair<S3Store::BucketDocument, QByteArray> documents[] = {
        {S3Store::BucketDocument::Cors,
            settings->cors.isEmpty() ? QByteArray() : s3xml::renderCors(settings->cors)},
        {S3Store::BucketDocument::Tagging,
            settings->tags.isEmpty() ? QByteArray() : s3xml::renderTagging(settings->tags)},
        {S3Store::BucketDocument::Notification,
            settings->notification.targets.isEmpty()
                ? QByteArray()
                : s3xml::renderNotification(settings->notification)},
    };
    const auto before = m_store->bucketDocument(name, S3Store::BucketDocument::Notification);
    for (const auto &[which, document] : documents) {
        if (auto r = m_store->setBucketDocument(name, which, document); !r)
            return r.error();
    }
    // Versioning, once on, is only ever suspended: a template that stops naming it leaves it.
    if (settings->versioning) {
        if (auto r = m_store->setVersioning(name, *settings->versioning); !r)
            return r.error();
    }
    bucketSettingsChanged(name);
    // A configuration that changed tells its queues, as S3 does when one is put.
    if (m_notifier && before && *before != documents[2].second)
        m_notifier->sendTestEvents(name, settings->notification, newRequestId());
    return {};
}

Result<void> S3Module::putBucketDocuments(
    const QString &name, const s3resources::BucketSettings &settings, const StackResource *previous)
{
    // What the template sets replaces what the API set; what it stops setting is removed.
    // What neither the template nor its last version set is the API's to keep.
    s3resources::BucketSettings before;
    if (previous) {
        if (auto b = s3resources::readBucket(previous->logicalId, previous->properties, nullptr))
            before = *b;
    }
    QByteArray acl;
    if (!settings.cannedAcl.isEmpty()) {
        auto canned = s3access::cannedBucketAcl(settings.cannedAcl, s3access::defaultAccount());
        if (!canned)
            return canned.error();
        acl = s3access::aclToStorage(*canned);
    }
    QByteArray logging = settings.logging;
    logging.replace(QByteArrayLiteral("<TargetBucket></TargetBucket>"),
        QByteArray("<TargetBucket>" + name.toUtf8() + "</TargetBucket>"));
    const struct
    {
        S3Store::BucketDocument which;
        QByteArray now;
        bool was;
    } documents[] = {
        {S3Store::BucketDocument::Encryption, settings.encryption, !before.encryption.isEmpty()},
        {S3Store::BucketDocument::PublicAccessBlock, settings.publicAccessBlock,
            !before.publicAccessBlock.isEmpty()},
        {S3Store::BucketDocument::Ownership, settings.ownership, !before.ownership.isEmpty()},
        {S3Store::BucketDocument::Lifecycle, settings.lifecycle, !before.lifecycle.isEmpty()},
        {S3Store::BucketDocument::ObjectLock, settings.objectLock, !before.objectLock.isEmpty()},
        {S3Store::BucketDocument::Acl, acl, !before.cannedAcl.isEmpty()},
        {S3Store::BucketDocument::Website, settings.website, !before.website.isEmpty()},
        {S3Store::BucketDocument::Logging, logging, !before.logging.isEmpty()},
        {S3Store::BucketDocument::Accelerate, settings.accelerate, !before.accelerate.isEmpty()},
    };
    for (const auto &d : documents) {
        if (d.now.isEmpty() && !d.was)
            continue;
        if (auto r = m_store->setBucketDocument(name, d.which, d.now); !r)
            return r.error();
    }
    if (m_lifecycle && (!settings.lifecycle.isEmpty() || !before.lifecycle.isEmpty()))
        m_lifecycle->configurationChanged(name);
    return {};
}

Result<QString> S3Module::deleteResource(const StackResource &resource)
{
    if (resource.type != QLatin1String("AWS::S3::Bucket"))
        return ServiceModule::deleteResource(resource);
    if (!m_store)
        return notRunning();
    const QString &name = resource.physicalId;
    auto r = m_store->deleteBucket(name);
    if (r || r.error().code == QLatin1String("NoSuchBucket")) {
        bucketSettingsChanged(name);
        return QStringLiteral("removed");
    }
    if (r.error().code == QLatin1String("BucketNotEmpty"))
        return QStringLiteral(
            "kept: %1 is not empty, and CloudFormation does not delete a bucket that holds objects")
            .arg(name);
    return r.error();
}

QList<CatalogKind> S3Module::catalogKinds() const
{
    return {CatalogKind {kBucketKind, tr("Buckets"),
        tr("No buckets yet: aws s3 mb s3://my-bucket, or a template with an AWS::S3::Bucket.")}};
}

QList<CatalogEntry> S3Module::catalog() const
{
    QList<CatalogEntry> out;
    if (!m_store)
        return out;
    const QLocale locale;
    for (const S3Bucket &b : m_store->listBuckets()) {
        CatalogEntry e;
        e.kind = kBucketKind;
        e.name = b.name;
        e.arn = QStringLiteral("arn:aws:s3:::") + b.name;
        qint64 objects = 0, bytes = 0;
        bool more = false;
        S3ListQuery q;
        q.maxKeys = 1000;
        while (objects < kCountLimit) {
            auto page = m_store->listObjects(b.name, q);
            if (!page)
                break;
            for (const S3Object &o : page->objects) {
                ++objects;
                bytes += o.size;
            }
            if (!page->truncated)
                break;
            q.after = page->last;
            more = objects >= kCountLimit;
        }
        e.counts = {{QStringLiteral("objects"), objects}, {QStringLiteral("bytes"), bytes},
            {QStringLiteral("more"), more}};
        const QString size = locale.formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
        const QString count
            = objects == 1 ? tr("1 object") : tr("%1 objects").arg(locale.toString(objects));
        e.status = more ? tr("%1+ objects · %2+").arg(locale.toString(objects), size)
                        : count + QStringLiteral(" · ") + size;
        // What sets the bucket apart, in the line the tree shows; the rest in its properties.
        if (b.versioning == S3Versioning::Enabled)
            e.status += tr(" · versioned");
        else if (b.versioning == S3Versioning::Suspended)
            e.status += tr(" · versioning suspended");
        if (b.objectLock)
            e.status += tr(" · object lock");
        e.tooltip = tr("s3://%1 in %2").arg(b.name, b.region);
        e.properties = {{QStringLiteral("Region"), b.region}};
        e.properties += bucketProperties(b);
        e.actions = {QStringLiteral("browse")};
        e.search = {{QStringLiteral("prefix"), tr("Prefix"), QStringLiteral("photos/2024/"), {}},
            {QStringLiteral("show"), tr("Show"), QString(), {kCurrentObjects, kEveryVersion}}};
        out.append(e);
    }
    return out;
}

QList<std::pair<QString, QString>> S3Module::bucketProperties(const S3Bucket &b) const
{
    QList<std::pair<QString, QString>> out;
    const auto document = [&](S3Store::BucketDocument which) {
        auto d = m_store->bucketDocument(b.name, which);
        return d ? *d : QByteArray();
    };
    QString versioning = tr("off");
    if (b.versioning != S3Versioning::Unversioned) {
        versioning = b.versioning == S3Versioning::Enabled ? tr("enabled") : tr("suspended");
        // How many versions the objects have, up to the counting limit.
        qint64 versions = 0, markers = 0;
        S3VersionQuery q;
        while (versions + markers < kCountLimit) {
            auto page = m_store->listObjectVersions(b.name, q);
            if (!page)
                break;
            for (const S3Object &v : page->versions)
                ++(v.deleteMarker ? markers : versions);
            if (!page->truncated)
                break;
            q.keyMarker = page->nextKeyMarker;
            q.versionIdMarker = page->nextVersionIdMarker;
        }
        versioning += tr(" · %1 versions, %2 delete markers").arg(versions).arg(markers);
    }
    out.append({tr("Versioning"), versioning});
    if (b.objectLock) {
        QString lock = tr("on");
        if (auto c
            = s3objectlock::parseConfiguration(document(S3Store::BucketDocument::ObjectLock));
            c && c->defaultRetention) {
            const auto &d = *c->defaultRetention;
            lock += tr(" · default %1 for %2")
                        .arg(QString::fromLatin1(s3objectlock::modeName(d.mode)),
                            d.days ? tr("%n day(s)", nullptr, d.days)
                                   : tr("%n year(s)", nullptr, d.years));
        }
        out.append({tr("Object lock"), lock});
    }
    QString encryption = tr("SSE-S3 (S3's default)");
    if (const QByteArray e = document(S3Store::BucketDocument::Encryption); !e.isEmpty()) {
        if (auto c = s3sse::parseBucketEncryption(e)) {
            encryption = QString::fromLatin1(s3sse::algorithmName(c->algorithm));
            if (!c->kmsMasterKeyId.isEmpty())
                encryption += tr(" · key %1").arg(QString::fromLatin1(c->kmsMasterKeyId));
            if (c->bucketKeyEnabled)
                encryption += tr(" · bucket key");
        }
    }
    out.append({tr("Default encryption"), encryption});
    if (const QByteArray l = document(S3Store::BucketDocument::Lifecycle); !l.isEmpty()) {
        if (auto c = s3lifecycle::parseConfiguration(l)) {
            QStringList ids;
            for (const s3lifecycle::Rule &r : std::as_const(c->rules))
                ids.append(r.status == s3lifecycle::Status::Enabled ? r.id : r.id + tr(" (off)"));
            out.append({tr("Lifecycle rules"), ids.join(QStringLiteral(", "))});
        }
    }
    if (const QByteArray o = document(S3Store::BucketDocument::Ownership); !o.isEmpty()) {
        if (auto c = s3access::parseOwnershipControls(o))
            out.append({tr("Object ownership"), s3access::ownershipName(*c)});
    }
    if (const QByteArray p = document(S3Store::BucketDocument::PublicAccessBlock); !p.isEmpty()) {
        if (auto c = s3access::parsePublicAccessBlock(p)) {
            const int on = int(c->blockPublicAcls) + int(c->ignorePublicAcls)
                + int(c->blockPublicPolicy) + int(c->restrictPublicBuckets);
            out.append(
                {tr("Public access"), on == 4 ? tr("blocked") : tr("%1 of 4 blocks on").arg(on)});
        }
    }
    if (const QByteArray p = document(S3Store::BucketDocument::Policy); !p.isEmpty()) {
        auto policy = S3BucketPolicy::parse(p, b.name);
        out.append({tr("Bucket policy"),
            policy ? (policy->isPublic() ? tr("public") : tr("not public")) : tr("set")});
    }
    return out;
}

QString S3Module::itemDetail(const S3Object &o) const
{
    QStringList parts;
    if (!o.storageClass.isEmpty())
        parts.append(QString::fromLatin1(o.storageClass));
    if (!o.system.isEmpty()) {
        const s3sse::Encryption e = s3sse::fromStoredForm(S3Store::parseHeaders(o.system));
        if (e.isCustomer())
            parts.append(tr("SSE-C"));
        else if (e.algorithm != s3sse::Algorithm::None && e.algorithm != s3sse::Algorithm::Aes256)
            parts.append(QString::fromLatin1(s3sse::algorithmName(e.algorithm)));
        const s3objectlock::ObjectLock lock = s3objectlock::lockOf(o);
        if (lock.retention.isActive(m_clock ? m_clock->nowNs() : 0))
            parts.append(tr("%1 until %2")
                             .arg(QString::fromLatin1(s3objectlock::modeName(lock.retention.mode)),
                                 QDateTime::fromMSecsSinceEpoch(
                                     lock.retention.retainUntilNs / 1'000'000, Qt::UTC)
                                     .toString(Qt::ISODate)));
        if (lock.isLegalHoldOn())
            parts.append(tr("legal hold"));
    }
    return parts.join(QStringLiteral(" · "));
}

Result<CatalogPage> S3Module::browse(
    const QString &kind, const QString &name, const QString &after, int max) const
{
    if (kind != kBucketKind)
        return ServiceModule::browse(kind, name, after, max);
    if (!m_store)
        return notRunning();
    S3ListQuery q;
    q.maxKeys = std::clamp(max, 1, 1000);
    q.after = after.toUtf8();
    auto page = m_store->listObjects(name, q);
    if (!page)
        return page.error();
    CatalogPage out;
    out.truncated = page->truncated;
    for (const S3Object &o : page->objects)
        out.items.append(
            CatalogItem {QString::fromUtf8(o.key), o.size, o.lastModifiedNs, itemDetail(o)});
    return out;
}

Result<CatalogItemBody> S3Module::readItem(
    const QString &kind, const QString &name, const QString &key) const
{
    if (kind != kBucketKind)
        return ServiceModule::readItem(kind, name, key);
    if (!m_store)
        return notRunning();
    const auto [objectKey, version] = versionKey(key);
    auto o
        = version ? m_store->version(name, objectKey, version) : m_store->object(name, objectKey);
    if (!o)
        return o.error();
    if (o->deleteMarker)
        return makeError(QStringLiteral("MethodNotAllowed"),
            tr("version %1 of %2 is a delete marker: it has no content")
                .arg(QString::fromUtf8(o->versionName()), QString::fromUtf8(objectKey)));
    if (!o->system.isEmpty()
        && s3sse::fromStoredForm(S3Store::parseHeaders(o->system)).isCustomer())
        return makeError(QStringLiteral("InvalidRequest"),
            tr("%1 is encrypted with a customer-provided key (SSE-C), which Tarmac never "
               "keeps: read it with the key, from a client")
                .arg(key));
    if (o->blob.isEmpty())
        return CatalogItemBody {o->data, QString()};
    return CatalogItemBody {QByteArray(), m_store->blobPath(o->blob)};
}

Result<void> S3Module::deleteItem(const QString &kind, const QString &name, const QString &key)
{
    if (kind != kBucketKind)
        return ServiceModule::deleteItem(kind, name, key);
    if (!m_store)
        return notRunning();
    const auto [objectKey, version] = versionKey(key);
    // A version goes for good, unless object lock keeps it (as S3 refuses, without the
    // governance bypass); the current object gets a delete marker on a versioned bucket.
    S3Store::VersionGuard guard;
    if (version && m_store->objectLockEnabled(name))
        guard = [now = m_clock ? m_clock->nowNs() : 0](const S3Object &v) {
            return s3objectlock::checkDelete(s3objectlock::lockOf(v), now, false);
        };
    auto r = m_store->deleteObject(name, objectKey, {}, version, guard);
    if (!r)
        return r.error();
    return {};
}

std::pair<QByteArray, std::optional<QByteArray>> S3Module::versionKey(const QString &key)
{
    const qsizetype nul = key.indexOf(QChar(0));
    if (nul < 0)
        return {key.toUtf8(), std::nullopt};
    return {key.left(nul).toUtf8(), key.mid(nul + 1).toUtf8()};
}

Result<CatalogPage> S3Module::search(const QString &kind, const QString &name,
    const QMap<QString, QString> &fields, const QString &after, int max) const
{
    if (kind != kBucketKind)
        return ServiceModule::search(kind, name, fields, after, max);
    if (!m_store)
        return notRunning();
    const QByteArray prefix = fields.value(QStringLiteral("prefix")).toUtf8();
    const QString show = fields.value(QStringLiteral("show"), kCurrentObjects);
    if (show != kCurrentObjects && show != kEveryVersion)
        return makeError(QStringLiteral("InvalidArgument"),
            tr("show is \"%1\" or \"%2\", not \"%3\"").arg(kCurrentObjects, kEveryVersion, show));
    CatalogPage out;
    if (show == kCurrentObjects) {
        S3ListQuery q;
        q.prefix = prefix;
        q.maxKeys = std::clamp(max, 1, 1000);
        q.after = after.toUtf8();
        auto page = m_store->listObjects(name, q);
        if (!page)
            return page.error();
        out.truncated = page->truncated;
        for (const S3Object &o : page->objects)
            out.items.append(
                CatalogItem {QString::fromUtf8(o.key), o.size, o.lastModifiedNs, itemDetail(o)});
        if (out.truncated)
            out.next = QString::fromUtf8(page->last);
        return out;
    }
    // Every version, newest first within a key; each item's key names its version.
    S3VersionQuery q;
    q.prefix = prefix;
    q.maxKeys = std::clamp(max, 1, 1000);
    if (!after.isEmpty()) {
        const auto [key, version] = versionKey(after);
        q.keyMarker = key;
        q.versionIdMarker = version.value_or(QByteArray());
    }
    auto page = m_store->listObjectVersions(name, q);
    if (!page)
        return page.error();
    out.truncated = page->truncated;
    for (const S3Object &v : page->versions) {
        QStringList parts {tr("version %1").arg(QString::fromUtf8(v.versionName())),
            v.isLatest ? tr("latest") : tr("noncurrent")};
        if (v.deleteMarker)
            parts.append(tr("delete marker"));
        if (const QString more = itemDetail(v); !more.isEmpty())
            parts.append(more);
        const QString objectKey = QString::fromUtf8(v.key);
        out.items.append(CatalogItem {objectKey + QChar(0) + QString::fromUtf8(v.versionName()),
            v.size, v.lastModifiedNs, parts.join(QStringLiteral(" · ")), objectKey});
    }
    if (out.truncated)
        out.next = QString::fromUtf8(page->nextKeyMarker) + QChar(0)
            + QString::fromUtf8(page->nextVersionIdMarker);
    return out;
}

void S3Module::putItem(const QString &kind, const QString &name, const QString &key,
    const QString &file, std::function<void(Result<void>)> done)
{
    if (kind != kBucketKind)
        return ServiceModule::putItem(kind, name, key, file, std::move(done));
    if (!m_store)
        return done(notRunning());
    // Staged off the engine's thread (a big file takes a while), committed on it.
    const QString staging = m_store->newStagingPath();
    QPointer<S3Module> self(this);
    QThreadPool::globalInstance()->start(
        [self, name, key, file, staging, done = std::move(done)]() mutable {
            auto staged = stageFile(file, staging);
            const QString type = QMimeDatabase().mimeTypeForFile(file).name();
            QMetaObject::invokeMethod(
                self.data(),
                [self, name, key, staged = std::move(staged), type, done = std::move(done)] {
                    if (!self || !self->m_store)
                        return done(notRunning());
                    if (!staged)
                        return done(staged.error());
                    S3ObjectAttributes attributes;
                    attributes.headers.append({QByteArrayLiteral("content-type"), type.toUtf8()});
                    // An edited version becomes the object's new current version.
                    auto put = self->m_store->putObject(
                        name, versionKey(key).first, *staged, attributes);
                    if (!put)
                        return done(put.error());
                    done({});
                },
                Qt::QueuedConnection);
        });
}

} // namespace tarmac
