#include "services/s3/s3lifecyclerunner.h"

#include "base/clock.h"
#include "services/s3/s3lifecycle.h"
#include "services/s3/s3objectlock.h"
#include "services/s3/s3store.h"
#include "services/s3/s3xml.h"

#include <QMetaObject>

namespace tarmac {

S3LifecycleRunner::S3LifecycleRunner(S3Store *store, const Clock *clock, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_clock(clock)
{ }

S3LifecycleRunner::~S3LifecycleRunner()
{
    if (m_timer)
        m_clock->cancel(m_timer);
}

void S3LifecycleRunner::start()
{
    sweep();
    armMidnight();
}

void S3LifecycleRunner::armMidnight()
{
    // nowNs() is a timer's due time while it runs: the next midnight strictly after it.
    const qint64 now = m_clock->nowNs();
    m_timer = m_clock->scheduleAt(s3lifecycle::nextMidnight(now + 1), this, [this] {
        m_timer = 0;
        sweep();
        armMidnight();
    });
}

void S3LifecycleRunner::configurationChanged(const QString &bucket)
{
    QMetaObject::invokeMethod(
        this, [this, bucket] { sweep(bucket); }, Qt::QueuedConnection);
}

int S3LifecycleRunner::sweep(const QString &bucket)
{
    if (!bucket.isEmpty())
        return sweepBucket(bucket);
    int actions = 0;
    for (const S3Bucket &b : m_store->listBuckets())
        actions += sweepBucket(b.name);
    return actions;
}

s3lifecycle::ObjectVersion S3LifecycleRunner::describe(const S3Object &v, bool versioned)
{
    s3lifecycle::ObjectVersion ov;
    ov.key = v.key;
    if (auto tags = s3xml::parseTaggingHeader(v.tagging))
        ov.tags = *tags;
    ov.size = v.size;
    ov.storageClass = v.storageClass;
    ov.lastModifiedNs = v.lastModifiedNs;
    ov.isCurrent = v.isLatest;
    ov.isDeleteMarker = v.deleteMarker;
    ov.versioned = versioned;
    ov.noncurrentSinceNs = v.noncurrentNs;
    return ov;
}

int S3LifecycleRunner::sweepBucket(const QString &bucket)
{
    auto document = m_store->bucketDocument(bucket, S3Store::BucketDocument::Lifecycle);
    if (!document || document->isEmpty())
        return 0;
    auto configuration = s3lifecycle::parseConfiguration(*document);
    if (!configuration)
        return 0;
    const qint64 now = m_clock->nowNs();
    const bool versioned = m_store->versioning(bucket) != S3Versioning::Unversioned;

    // Every version, a key's newest first, then each decided with what S3 knows of it.
    QList<S3Object> versions;
    S3VersionQuery query;
    while (true) {
        auto page = m_store->listObjectVersions(bucket, query);
        if (!page)
            return 0;
        versions += page->versions;
        if (!page->truncated)
            break;
        query.keyMarker = page->nextKeyMarker;
        query.versionIdMarker = page->nextVersionIdMarker;
    }
    S3Origin origin;
    origin.lifecycle = true;
    const auto unlocked = [now](const S3Object &v) -> Result<void> {
        return s3objectlock::checkDelete(s3objectlock::lockOf(v), now, false);
    };
    int actions = 0;
    for (qsizetype first = 0; first < versions.size();) {
        qsizetype end = first;
        while (end < versions.size() && versions[end].key == versions[first].key)
            ++end;
        int newerNoncurrent = 0;
        for (qsizetype i = first; i < end; ++i) {
            const S3Object &v = versions[i];
            s3lifecycle::ObjectVersion ov = describe(v, versioned);
            ov.onlyVersion = end - first == 1;
            ov.newerNoncurrentVersions = newerNoncurrent;
            if (!v.isLatest)
                ++newerNoncurrent;
            const s3lifecycle::Decision d = s3lifecycle::evaluate(*configuration, ov, now);
            const S3VersionRef ref = S3VersionRef(v.versionName());
            Result<void> done;
            switch (d.action) {
            case s3lifecycle::Action::None:
                continue;
            case s3lifecycle::Action::ExpireCurrent: {
                // Unversioned: gone; versioned: a delete marker on top (the version stays).
                auto r
                    = m_store->deleteObject(bucket, v.key, origin, versioned ? S3VersionRef() : ref,
                        versioned ? S3Store::VersionGuard() : unlocked);
                done = r ? Result<void>() : Result<void>(r.error());
                break;
            }
            case s3lifecycle::Action::ExpireNoncurrent:
            case s3lifecycle::Action::RemoveExpiredDeleteMarker: {
                auto r = m_store->deleteObject(bucket, v.key, origin, ref, unlocked);
                done = r ? Result<void>() : Result<void>(r.error());
                break;
            }
            case s3lifecycle::Action::Transition: {
                auto r = m_store->updateSystem(bucket, v.key, ref, [&](S3Object &o) {
                    o.storageClass = d.storageClass == "STANDARD" ? QByteArray() : d.storageClass;
                    return Result<void>();
                });
                done = r ? Result<void>() : Result<void>(r.error());
                if (r)
                    m_store->notify(QStringLiteral("LifecycleTransition"), *r, origin);
                break;
            }
            }
            if (done)
                ++actions;
            else
                qInfo("tarmac: s3: lifecycle rule %s on %s/%s: %s", qPrintable(d.ruleId),
                    qPrintable(bucket), v.key.constData(), qPrintable(done.error().message));
        }
        first = end;
    }
    bool truncated = true;
    while (truncated) {
        auto uploads = m_store->listUploads(bucket, {}, 1000, &truncated);
        if (!uploads)
            break;
        int aborted = 0;
        for (const S3Upload &u : std::as_const(*uploads)) {
            if (s3lifecycle::evaluateUpload(*configuration, u.key, u.initiatedNs, now).due
                && m_store->abortUpload(bucket, u.key, u.uploadId)) {
                ++aborted;
            }
        }
        actions += aborted;
        if (aborted == 0)
            break; // what is left is not due: the next page would list the same ones
    }
    return actions;
}

} // namespace tarmac
