#pragma once

#include "base/result.h"
#include "base/wakeablethread.h"
#include "services/s3/s3checksum.h"
#include "store/segmentlog.h"
#include "store/store.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QMutex>
#include <QReadWriteLock>
#include <QSet>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

namespace tarmac {

class Clock;

// A bucket's versioning state. Once enabled, a bucket never returns to Unversioned.
enum class S3Versioning { Unversioned, Enabled, Suspended };

// A bucket as ListBuckets and HeadBucket see it.
struct S3Bucket
{
    QString name;
    QString region;
    qint64 createdNs = 0;
    S3Versioning versioning = S3Versioning::Unversioned;
    bool objectLock = false; // created with object lock (which keeps versioning on)
    QString owner; // the owner's canonical id; empty: the default account
};

// What the client decides about an object when it writes one: the headers S3 returns on
// GET (Content-Type, Cache-Control, Content-Disposition, Content-Encoding, Content-Language,
// Expires, x-amz-meta-*; names lower-case, in the order given), its storage class and tags.
struct S3ObjectAttributes
{
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray storageClass; // empty: STANDARD
    QByteArray tagging; // the x-amz-tagging form: url-encoded k=v&k=v
    QByteArray system; // S3Object::system of the version written
};

// One stored object. `headers` is the attributes' headers serialised as "name:value\n"
// lines, so that a GET copies them out without parsing anything.
struct S3Object
{
    QString bucket;
    QByteArray key;
    qint64 size = 0;
    QByteArray etag; // without quotes: md5 hex, or "<hex>-N" for multipart objects
    qint64 lastModifiedNs = 0;
    QByteArray blob; // the blob store name (sha-256 hex); empty when the body is small
    // A small body's bytes (up to kInlineLimit): filled by object() only. They live in the
    // S3 segment log at (logSegment, logOffset) (rows written before the log existed keep them in
    // the row).
    QByteArray data;
    qint64 logSegment = 0; // 0: not in the log
    qint64 logOffset = 0; // of the record
    qint64 logSize = 0; // of the record's payload
    QByteArray headers;
    QByteArray storageClass;
    ChecksumAlgorithm checksumAlgorithm = ChecksumAlgorithm::None;
    QByteArray checksum; // base64; "<base64>-N" for a composite multipart checksum
    int partsCount = 0;
    QList<qint64> partSizes; // a multipart object's part sizes, in order; empty otherwise
    QByteArray tagging;
    // Versions. An object of a bucket that was never versioned, and the "null" version of one
    // that was, have no version id.
    QByteArray versionId;
    qint64 versionSeq = 0; // orders a key's versions: larger is newer
    bool deleteMarker = false;
    bool isLatest = true; // false for noncurrent versions
    qint64 noncurrentNs = 0; // a noncurrent version: when a newer one replaced it
    // What the API keeps about a version and never returns as a header (the object's owner
    // and ACL, object-lock retention and legal hold, the SSE-C IV), as "name:value\n" lines.
    QByteArray system;
    int tagCount() const;
    // The version id as S3 names it: "null" for the null version.
    QByteArray versionName() const { return versionId.isEmpty() ? QByteArray("null") : versionId; }
    QByteArray systemValue(QByteArrayView name) const;
    void setSystemValue(const QByteArray &name, const QByteArray &value); // empty: removes
};

// Which version of a key an operation means: the current one (no id), the null version
// ("null") or the one with this id.
using S3VersionRef = std::optional<QByteArray>;

// What DeleteObject did.
struct S3Deletion
{
    bool removed = false; // a version was removed, or a delete marker was added
    bool deleteMarker = false; // the version removed, or the one added, is a delete marker
    QByteArray versionId; // of the version removed or the delete marker added ("null" too)
};

struct S3VersionQuery
{
    QByteArray prefix;
    QByteArray delimiter;
    QByteArray keyMarker;
    QByteArray versionIdMarker; // with keyMarker: start after that version of that key
    int maxKeys = 1000;
};

struct S3VersionList
{
    QList<S3Object> versions; // delete markers included, newest first within a key
    QList<QByteArray> commonPrefixes;
    bool truncated = false;
    QByteArray nextKeyMarker;
    QByteArray nextVersionIdMarker;
};

// An upload's body, digested, ready to be adopted by the store: in memory when it is small
// (`path` empty), else written to a file on the state's filesystem.
struct S3StagedBody
{
    QByteArray data; // the bytes, when the body is small enough to live in its row
    QString path;
    qint64 size = 0;
    QByteArray md5; // raw
    QByteArray sha256Hex;
    ChecksumAlgorithm checksumAlgorithm = ChecksumAlgorithm::None;
    QByteArray checksum; // raw; empty when no algorithm
};

// Who asked for a change, for the event records it produces (S3 puts the requester's request
// id and address into them, and Tarmac keeps the trace).
struct S3Origin
{
    QByteArray requestId;
    QByteArray traceId;
    QByteArray spanId;
    QString sourceIp;
    // A lifecycle rule, not a request: removals are LifecycleExpiration:* events.
    bool lifecycle = false;
};

// An object was created or removed: what the model tells its listener, which turns it into
// notification records. The model knows nothing about where events go.
struct S3Event
{
    QString eventName; // "ObjectCreated:Put", "ObjectRemoved:Delete", … (no "s3:" prefix)
    QString bucket;
    QByteArray key;
    qint64 size = 0;
    QByteArray etag;
    QByteArray sequencer;
    QByteArray versionId; // empty unless the bucket is versioned ("null" for the null version)
    qint64 timeNs = 0;
    S3Origin origin;
};

struct S3ListQuery
{
    QByteArray prefix;
    QByteArray delimiter;
    QByteArray after; // exclusive: a start-after, marker or the last item of a previous page
    int maxKeys = 1000;
};

struct S3ListResult
{
    QList<S3Object> objects; // key, size, etag, lastModifiedNs, storageClass filled
    QList<QByteArray> commonPrefixes;
    bool truncated = false;
    QByteArray last; // the last key or common prefix returned (the next page starts after it)
};

struct S3Upload
{
    QByteArray uploadId;
    QString bucket;
    QByteArray key;
    qint64 initiatedNs = 0;
    QByteArray storageClass;
    ChecksumAlgorithm checksumAlgorithm = ChecksumAlgorithm::None;
    // The object's checksum is one CRC of all its bytes (x-amz-checksum-type: FULL_OBJECT)
    // instead of a checksum of the parts' checksums. Kept as the system value "checksum-type".
    bool fullObjectChecksum = false;
    QByteArray system; // S3ObjectAttributes::system given when it was created
};

struct S3Part
{
    int partNumber = 0;
    qint64 size = 0;
    QByteArray etag; // md5 hex
    QByteArray checksum; // base64, when the client sent or the upload names an algorithm
    qint64 lastModifiedNs = 0;
    ChecksumAlgorithm checksumAlgorithm = ChecksumAlgorithm::None;
};

struct S3CompletedPart
{
    int partNumber = 0;
    QByteArray etag; // as the client sent it, quotes removed
};

// Conditions a write or read is made under (If-Match and friends).
struct S3Conditions
{
    QByteArray ifMatch; // etag or "*"; empty: none
    QByteArray ifNoneMatch;
    qint64 ifModifiedSinceNs = 0; // 0: none
    qint64 ifUnmodifiedSinceNs = 0;
};

// S3's state and semantics, for the wire API, the GUI and the IDE (DESIGN.md: the model).
// Buckets, objects, tags, CORS and notification documents, multipart uploads and their parts
// live in the state database (tables s3_*); object bodies are blobs in the content-addressed
// blob store, and parts of unfinished uploads are files under STATE/s3/parts/<upload id>/.
// Bodies up to kInlineLimit are records in a segment log (STATE/s3/log, SegmentLog) instead:
// one append rather than a file create, sync and rename per small PUT, and the row stays small
// (a body in the row cost SQLite an overflow page, a grown file and their WAL frames per PUT;
// small objects are most of a typical application's traffic). Every write makes its body
// durable before it commits the row that names it, so a crash loses nothing acknowledged and
// never shows an object whose bytes are missing: blobs are synced before the commit; log
// records are appended inside Store::write (they survive the process being killed like the
// WAL does) and synced before a checkpoint moves rows into the database file.
//
// A small unconditional PutObject goes further: its record carries the row too ('P' record),
// it is acknowledged once appended, and an indexer thread commits the rows of the PUTs of the
// last kIndexDelayMs in one transaction. Every read or write of the objects table commits the
// pending rows first (withObjects), so clients see their writes at once; after a crash,
// open() applies the 'P' records past the last committed batch (table s3_log), in log order.
// The records of deleted and overwritten objects are garbage until compactLog() copies a
// mostly-dead segment's live records forward and removes it.
//
// Thread-safe: the edge serves it from several I/O threads. Rows go through Store::write
// (one writer connection behind a mutex) with prepared statements kept for the hot paths;
// bodies are hashed and written outside the lock.
//
// Known limits (Tarmac warns about these):
// - one region per bucket; access control (owners, ACLs, policies) is the API's, kept here as
//   documents and system values;
// - versions: the current one of a key lives in s3_objects (so an unversioned bucket's reads
//   and writes are what they were before versioning existed), older ones in s3_versions;
// - no lifecycle rules, replication, website hosting, inventory, analytics, or S3 Select;
// - browser form POST uploads (ObjectCreated:Post) check their policy and, when signatures
//   are verified, its signature, but ACLs they name are accepted and not applied;
// - checksums of multipart objects are composite ("<base64>-N"), as S3's default; CRC64NVME
//   full-object multipart checksums are not computed;
// - the bodies of deleted or overwritten objects stay in the blob folder (other services may
//   share a blob with the same bytes) until the engine's blob garbage collection reclaims them
//   (two seconds after start, then hourly, once they are ten minutes old); small bodies stay
//   in the segment log until compactLog() runs at the same times;
// - SQL readers on their own connections (Store::openReader) see a small PUT's row up to
//   kIndexDelayMs after it was acknowledged; everything that goes through this class sees it
//   at once. As with SQLite's synchronous=NORMAL, a power loss (not a killed process) may take
//   back the writes of the moments before it.
class S3Store
{
public:
    static constexpr qint64 kMaxObjectSize = 5LL * 1024 * 1024 * 1024 * 1024; // 5 TiB
    static constexpr qint64 kMaxPutSize = 5LL * 1024 * 1024 * 1024; // single PUT
    static constexpr qint64 kMinPartSize = 5LL * 1024 * 1024;
    static constexpr int kMaxKeyBytes = 1024;
    static constexpr int kMaxParts = 10000;
    static constexpr qint64 kInlineLimit = 64 * 1024;

    using EventListener = std::function<void(const S3Event &)>;

    // `logSegmentLimit`: the size at which the segment log starts a new segment (tests use
    // small ones to see compaction work).
    S3Store(Store *store, const Clock *clock, QString stateDir,
        qint64 logSegmentLimit = 64LL * 1024 * 1024);
    ~S3Store();

    // Creates the tables and the folders, removes staging leftovers. Call once, before use.
    Result<void> open();

    // Snapshots and resets (ServiceModule's reset and snapshots): commits the acknowledged
    // PUTs' rows and seals the log, so every row names a sealed segment; links the sealed
    // segments and the part files into `dir`; links a snapshot's back where the live state
    // lost them; and, after the rows were replaced, forgets what was pending and reads the
    // bucket list again (the log's records so far belong to the old rows: the mark, which
    // replacedRowsSql() moves to the log's end with the rows, keeps them from replay).
    Result<void> flush();
    Result<void> linkFiles(const QString &dir) const;
    Result<void> adoptFiles(const QString &dir);
    Result<void> reload();
    // The log's mark at its present end, as SQL to commit with replaced rows.
    QByteArray replacedRowsSql() const;
    // Called (on the writer's thread, after the commit) for every object created or removed.
    void setEventListener(EventListener listener) { m_listener = std::move(listener); }
    // Tells the listener about a change made outside the object writes (LifecycleTransition).
    void notify(const QString &eventName, const S3Object &object, const S3Origin &origin)
    {
        emitEvent(eventName, object, origin);
    }

    // Where the API writes upload bodies before handing them over: same filesystem as the blob
    // store, so adopting a body is a rename.
    QString stagingDir() const { return m_stagingDir; }
    QString newStagingPath() const;
    // The file of a stored blob, for streaming GET bodies.
    QString blobPath(const QByteArray &blob) const;

    // Buckets.
    static bool isValidBucketName(const QString &name);
    QList<S3Bucket> listBuckets();
    // `objectLock`: the bucket keeps object lock settings, and versioning is enabled for good.
    Result<void> createBucket(const QString &name, const QString &region, bool objectLock = false,
        const QString &owner = {});
    Result<S3Bucket> bucket(const QString &name);
    // NoSuchBucket unless it exists (a prepared statement: for every upload).
    Result<void> checkBucket(const QString &name);
    // Removes an empty bucket (no objects, versions or delete markers), and its unfinished
    // multipart uploads with it, as S3 does.
    Result<void> deleteBucket(const QString &name);
    // From memory: Unversioned for a bucket that does not exist.
    S3Versioning versioning(const QString &bucket) const;
    bool objectLockEnabled(const QString &bucket) const; // from memory
    // Turns object lock on for a bucket whose versioning is enabled (InvalidBucketState else).
    Result<void> enableObjectLock(const QString &bucket);
    // InvalidBucketState when suspending a bucket with object lock.
    Result<void> setVersioning(const QString &bucket, S3Versioning state);
    // Bucket sub-documents stored as the API rendered them (XML, or the policy's JSON);
    // empty: none set.
    enum class BucketDocument {
        Tagging,
        Cors,
        Notification,
        Policy,
        Acl,
        PublicAccessBlock,
        Ownership,
        Encryption,
        Lifecycle,
        ObjectLock,
        Website,
        Logging,
        RequestPayment,
        Accelerate,
        Replication,
    };
    Result<QByteArray> bucketDocument(const QString &bucket, BucketDocument which);
    Result<void> setBucketDocument(
        const QString &bucket, BucketDocument which, const QByteArray &document);

    // Objects.
    static Result<void> checkKey(const QByteArray &key);
    // A storage class as sent (header or form field): InvalidStorageClass unless S3 knows it;
    // STANDARD, the default, comes back empty.
    static Result<QByteArray> checkStorageClass(const QByteArray &storageClass);
    // The user metadata's total size (names and values of x-amz-meta-*): at most 2 KB.
    static Result<void> checkMetadataSize(qint64 bytes);
    Result<S3Object> putObject(const QString &bucket, const QByteArray &key,
        const S3StagedBody &body, const S3ObjectAttributes &attributes,
        const S3Conditions &conditions = {}, const S3Origin &origin = {},
        const QString &eventName = QStringLiteral("ObjectCreated:Put"));
    // The current version's row, and its body in `data` when it is small (Body::Skip: not
    // read, for callers that only need the metadata, such as HEAD). NoSuchKey when the current
    // version is a delete marker.
    enum class Body { Load, Skip };
    Result<S3Object> object(const QString &bucket, const QByteArray &key, Body body = Body::Load);
    // One version, delete markers included (`deleteMarker` set): the current one when
    // `version` is empty. NoSuchVersion for an id that names nothing, InvalidArgument for one
    // that cannot be a version id.
    Result<S3Object> version(const QString &bucket, const QByteArray &key,
        const S3VersionRef &version, Body body = Body::Load);
    static bool isVersionId(const QByteArray &id);
    // Checks a version before it is removed or changed (object lock), inside the write.
    using VersionGuard = std::function<Result<void>(const S3Object &)>;
    // Without `version`: removes the object (unversioned bucket; a missing key succeeds, as
    // S3 answers 204) or puts a delete marker on top (versioned). With it: removes that
    // version for good (the next newest becomes current).
    Result<S3Deletion> deleteObject(const QString &bucket, const QByteArray &key,
        const S3Origin &origin = {}, const S3VersionRef &version = {},
        const VersionGuard &guard = {});
    // `attributes` null: COPY (keep the source's headers and tags), else REPLACE. `system`:
    // the new version's system values (null: the source's).
    Result<S3Object> copyObject(const QString &sourceBucket, const QByteArray &sourceKey,
        const QString &bucket, const QByteArray &key, const S3ObjectAttributes *attributes,
        const QByteArray *tagging, // null: keep the source's tags
        const S3Conditions &sourceConditions = {}, const S3Origin &origin = {},
        const S3VersionRef &sourceVersion = {}, const QByteArray *system = nullptr);
    Result<QByteArray> objectTagging(
        const QString &bucket, const QByteArray &key, const S3VersionRef &version = {});
    // Returns the version's id ("null" for the null version).
    Result<QByteArray> setObjectTagging(const QString &bucket, const QByteArray &key,
        const QByteArray &tagging, const S3VersionRef &version = {});
    // Changes one version's tags, storage class and system values (ACL, retention, legal
    // hold) in place; `change` runs inside the write and may refuse. Returns the version as
    // changed.
    Result<S3Object> updateSystem(const QString &bucket, const QByteArray &key,
        const S3VersionRef &version, const std::function<Result<void>(S3Object &)> &change);
    Result<S3ListResult> listObjects(const QString &bucket, const S3ListQuery &query);
    Result<S3VersionList> listObjectVersions(const QString &bucket, const S3VersionQuery &query);
    // Adds the blob names objects refer to (for the engine's blob garbage collection).
    Result<void> addBlobReferences(QSet<QByteArray> &live);
    // Reclaims the segment log's garbage: removes sealed segments no row names, and copies the
    // live records of sealed segments at most `maxLiveFraction` live to the active segment,
    // then removes them. Returns how many segments were removed. Safe while requests run.
    Result<int> compactLog(double maxLiveFraction = 0.5);
    SegmentLog &log() { return *m_log; }

    // Multipart uploads.
    Result<S3Upload> createUpload(const QString &bucket, const QByteArray &key,
        const S3ObjectAttributes &attributes, ChecksumAlgorithm checksumAlgorithm);
    Result<S3Upload> upload(
        const QString &bucket, const QByteArray &key, const QByteArray &uploadId);
    Result<S3Part> uploadPart(const QString &bucket, const QByteArray &key,
        const QByteArray &uploadId, int partNumber, const S3StagedBody &body);
    // Completing an upload that completed already answers that completion's object again
    // (S3 keeps completed upload ids for a while: a client's retry after a lost answer).
    Result<S3Object> completeUpload(const QString &bucket, const QByteArray &key,
        const QByteArray &uploadId, const QList<S3CompletedPart> &parts,
        const S3Origin &origin = {});
    Result<void> abortUpload(
        const QString &bucket, const QByteArray &key, const QByteArray &uploadId);
    Result<QList<S3Part>> listParts(const QString &bucket, const QByteArray &key,
        const QByteArray &uploadId, int afterPart, int maxParts, bool *truncated);
    Result<QList<S3Upload>> listUploads(
        const QString &bucket, const QByteArray &prefix, int maxUploads, bool *truncated);

    static QByteArray serializeHeaders(const QList<std::pair<QByteArray, QByteArray>> &headers);
    static QList<std::pair<QByteArray, QByteArray>> parseHeaders(const QByteArray &serialized);
    // Multipart ETag: hex(md5(md5(part1) ‖ … ‖ md5(partN))) + "-N".
    static QByteArray multipartEtag(const QList<QByteArray> &partMd5s);
    // The smallest byte string greater than every string starting with `prefix`; empty when
    // there is none (the prefix is all 0xFF).
    static QByteArray prefixSuccessor(const QByteArray &prefix);

    // Milliseconds the indexer lets small PUTs gather before it commits their rows together,
    // unless kIndexBatch of them are waiting first.
    static constexpr int kIndexDelayMs = 50;
    static constexpr int kIndexBatch = 256;

private:
    struct Statements;
    // Runs f(Database &) inside Store::write after committing pending PUT rows: every reader
    // and writer of s3_objects goes through it. f returns a Result.
    template<typename F>
    auto withObjects(F &&f)
    {
        return m_store->write([&](Database &db) -> decltype(f(db)) {
            if (auto r = applyPending(db); !r)
                return r.error();
            return f(db);
        });
    }
    Result<void> applyPending(Database &db); // inside Store::write
    Result<SegmentLog::Location> logRecord(S3Object &o, const QByteArray &record);
    Result<void> replayLog();
    // Inside Store::write: the bucket list from s3_buckets.
    Result<void> loadBucketNames(Database &db);
    // Removes part files no s3_parts row names, and folders of uploads that are gone.
    void cleanParts();
    Result<S3Object> commitObject(S3Object object, bool requireAbsent, const QByteArray &ifMatch,
        const QString &eventName, const S3Origin &origin);
    // Inside Store::write: gives a new version its id and order, per the bucket's versioning.
    void stampVersion(S3Object &o, S3Versioning mode);
    // Inside Store::write, in a transaction: makes the current version of a key noncurrent
    // (versioned buckets) before a new one is written.
    Result<void> retireCurrent(const QString &bucket, const QByteArray &key, S3Versioning mode);
    Result<void> promoteNewest(Database &db, const QString &bucket, const QByteArray &key);
    Result<S3Object> findVersion(const QString &bucket, const QByteArray &key,
        const S3VersionRef &version, std::shared_ptr<const SegmentLog::Segment> *segment);
    Result<void> loadBody(S3Object &o, const std::shared_ptr<const SegmentLog::Segment> &segment);
    void emitEvent(const QString &eventName, const S3Object &object, const S3Origin &origin);
    QByteArray nextSequencer();
    QString partsDir(const QByteArray &uploadId) const;

    Store *m_store;
    const Clock *m_clock;
    QString m_stateDir;
    QString m_stagingDir;
    QString m_partsRoot;
    std::shared_ptr<SegmentLog> m_log; // shared with the store's checkpoint hook
    // Small PUTs whose 'P' records are logged and whose rows are not committed yet, and where
    // the last one's record ends (s3_log's mark once they are). Only inside Store::write.
    struct PendingPut
    {
        S3Object row;
        S3Versioning mode;
    };
    QList<PendingPut> m_pending;
    SegmentLog::Location m_pendingEnd;
    std::unique_ptr<WakeableThread> m_indexer; // commits m_pending, kIndexDelayMs after a wake
    bool hasBucket(const QString &name) const;
    struct BucketState
    {
        S3Versioning versioning = S3Versioning::Unversioned;
        bool objectLock = false;
    };
    Result<void> upsertObject(const S3Object &o);

    std::unique_ptr<Statements> m_sql; // used only inside Store::write
    // The buckets that exist, so checkBucket needs no database round trip; changed only
    // inside Store::write, after the row changed.
    mutable QReadWriteLock m_bucketNamesLock;
    QHash<QString, BucketState> m_bucketNames;
    EventListener m_listener;
    std::atomic<quint64> m_sequence {0};
    qint64 m_lastVersionSeq = 0; // only inside Store::write
};

} // namespace tarmac
