#include "services/s3/s3store.h"

#include "base/clock.h"
#include "services/s3/s3errors.h"
#include "store/digest.h"
#include "store/filelinks.h"
#include "store/segmentlog.h"
#include "store/store.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QRandomGenerator>

#include <algorithm>
#include <cerrno>

#include <fcntl.h>
#include <unistd.h>

namespace tarmac {

namespace {

const std::vector<Migration> kMigrations = {
    {1,
        "CREATE TABLE s3_buckets (name TEXT PRIMARY KEY, region TEXT NOT NULL,"
        "  created_ns INTEGER NOT NULL, tagging BLOB, cors BLOB, notification BLOB) WITHOUT ROWID;"
        "CREATE TABLE s3_objects (bucket TEXT NOT NULL, key BLOB NOT NULL, blob TEXT NOT NULL,"
        "  size INTEGER NOT NULL, etag TEXT NOT NULL, modified_ns INTEGER NOT NULL,"
        "  headers BLOB NOT NULL, storage_class TEXT NOT NULL, checksum_alg TEXT NOT NULL,"
        "  checksum TEXT NOT NULL, parts INTEGER NOT NULL, tagging BLOB NOT NULL,"
        "  PRIMARY KEY (bucket, key)) WITHOUT ROWID;"
        "CREATE INDEX s3_objects_blob ON s3_objects(blob);"
        "CREATE TABLE s3_uploads (upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL,"
        "  key BLOB NOT NULL, initiated_ns INTEGER NOT NULL, headers BLOB NOT NULL,"
        "  storage_class TEXT NOT NULL, checksum_alg TEXT NOT NULL, tagging BLOB NOT NULL);"
        "CREATE INDEX s3_uploads_bucket ON s3_uploads(bucket, key, initiated_ns);"
        "CREATE TABLE s3_parts (upload_id TEXT NOT NULL, part_number INTEGER NOT NULL,"
        "  file TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL, md5 BLOB NOT NULL,"
        "  checksum_alg TEXT NOT NULL, checksum TEXT NOT NULL, modified_ns INTEGER NOT NULL,"
        "  PRIMARY KEY (upload_id, part_number)) WITHOUT ROWID;"},
    // Bodies up to kInlineLimit move into their rows; the blob index cost every write a second
    // b-tree update for a lookup only garbage collection makes.
    {2, "ALTER TABLE s3_objects ADD COLUMN data BLOB; DROP INDEX s3_objects_blob;"},
    // A part's SHA-256, so a completed upload's blob is named without hashing it again.
    {3, "ALTER TABLE s3_parts ADD COLUMN sha256 TEXT;"},
    // A multipart object's part sizes ("5242880,5242880,4"), for GET ?partNumber=.
    {4, "ALTER TABLE s3_objects ADD COLUMN part_sizes TEXT;"},
    // Small bodies move from the row to the segment log (rows written before keep `data`):
    // the record's place and payload size. s3_log: how far the log's PUT records are applied.
    {5,
        "ALTER TABLE s3_objects ADD COLUMN log_segment INTEGER;"
        "ALTER TABLE s3_objects ADD COLUMN log_offset INTEGER;"
        "ALTER TABLE s3_objects ADD COLUMN log_size INTEGER;"
        "CREATE TABLE s3_log (id INTEGER PRIMARY KEY CHECK (id = 1),"
        "  applied_segment INTEGER NOT NULL, applied_offset INTEGER NOT NULL);"
        "INSERT INTO s3_log VALUES (1, 0, 0);"},
    // Versions, access control, encryption, lifecycle and object lock. The current version of a
    // key stays in s3_objects ('' is the null version's id), older ones move to s3_versions.
    // s3_completed remembers completed multipart uploads for a repeated completion.
    {6,
        "ALTER TABLE s3_buckets ADD COLUMN versioning TEXT;"
        "ALTER TABLE s3_buckets ADD COLUMN object_lock INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE s3_buckets ADD COLUMN owner TEXT;"
        "ALTER TABLE s3_buckets ADD COLUMN policy BLOB;"
        "ALTER TABLE s3_buckets ADD COLUMN acl BLOB;"
        "ALTER TABLE s3_buckets ADD COLUMN public_access_block BLOB;"
        "ALTER TABLE s3_buckets ADD COLUMN ownership BLOB;"
        "ALTER TABLE s3_buckets ADD COLUMN encryption BLOB;"
        "ALTER TABLE s3_buckets ADD COLUMN lifecycle BLOB;"
        "ALTER TABLE s3_buckets ADD COLUMN object_lock_configuration BLOB;"
        "ALTER TABLE s3_objects ADD COLUMN version_id TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE s3_objects ADD COLUMN version_seq INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE s3_objects ADD COLUMN delete_marker INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE s3_objects ADD COLUMN system BLOB;"
        "ALTER TABLE s3_uploads ADD COLUMN system BLOB;"
        "CREATE TABLE s3_versions (bucket TEXT NOT NULL, key BLOB NOT NULL,"
        "  version_id TEXT NOT NULL, version_seq INTEGER NOT NULL, blob TEXT NOT NULL,"
        "  size INTEGER NOT NULL, etag TEXT NOT NULL, modified_ns INTEGER NOT NULL,"
        "  headers BLOB NOT NULL, storage_class TEXT NOT NULL, checksum_alg TEXT NOT NULL,"
        "  checksum TEXT NOT NULL, parts INTEGER NOT NULL, tagging BLOB NOT NULL,"
        "  part_sizes TEXT, delete_marker INTEGER NOT NULL, system BLOB, data BLOB,"
        "  log_segment INTEGER, log_offset INTEGER, log_size INTEGER,"
        "  noncurrent_ns INTEGER NOT NULL,"
        "  PRIMARY KEY (bucket, key, version_id)) WITHOUT ROWID;"
        "CREATE TABLE s3_completed (upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL,"
        "  key BLOB NOT NULL, etag TEXT NOT NULL, version_id TEXT NOT NULL,"
        "  checksum_alg TEXT NOT NULL, checksum TEXT NOT NULL, completed_ns INTEGER NOT NULL);"},
    // Configurations kept and given back, not acted on: website, server access logging,
    // requester pays, transfer acceleration, replication.
    {7,
        "ALTER TABLE s3_buckets ADD COLUMN website BLOB;"
        "ALTER TABLE s3_buckets ADD COLUMN logging BLOB;"
        "ALTER TABLE s3_buckets ADD COLUMN request_payment BLOB;"
        "ALTER TABLE s3_buckets ADD COLUMN accelerate BLOB;"
        "ALTER TABLE s3_buckets ADD COLUMN replication BLOB;"},
};

// The columns both object tables share, in readObject's order.
constexpr char kObjectColumns[]
    = "key, blob, size, etag, modified_ns, headers, storage_class, checksum_alg, checksum,"
      " parts, tagging, part_sizes, version_id, version_seq, delete_marker, system";
// Where a row's body is: after the shared columns, in reads that load bodies.
constexpr char kBodyColumns[] = "data, log_segment, log_offset, log_size";
constexpr int kBodyColumn = 16;

S3Object readObject(Statement &s, const QString &bucket)
{
    S3Object o;
    o.bucket = bucket;
    o.key = s.blob(0);
    o.blob = s.blob(1);
    o.size = s.int64(2);
    o.etag = s.blob(3);
    o.lastModifiedNs = s.int64(4);
    o.headers = s.blob(5);
    o.storageClass = s.blob(6);
    o.checksumAlgorithm = checksumAlgorithmFromName(s.blob(7));
    o.checksum = s.blob(8);
    o.partsCount = int(s.int64(9));
    o.tagging = s.blob(10);
    if (!s.isNull(11)) {
        for (const QByteArray &size : s.blob(11).split(','))
            o.partSizes.append(size.toLongLong());
    }
    o.versionId = s.blob(12);
    o.versionSeq = s.int64(13);
    o.deleteMarker = s.int64(14) != 0;
    if (!s.isNull(15))
        o.system = s.blob(15);
    if (s.columnCount() > kBodyColumn + 3) { // reads that load bodies: the small body's place
        if (!s.isNull(kBodyColumn))
            o.data = s.blob(kBodyColumn);
        if (!s.isNull(kBodyColumn + 1)) {
            o.logSegment = s.int64(kBodyColumn + 1);
            o.logOffset = s.int64(kBodyColumn + 2);
            o.logSize = s.int64(kBodyColumn + 3);
        }
    }
    return o;
}

QByteArray joinSizes(const QList<qint64> &sizes)
{
    QByteArray out;
    for (const qint64 size : sizes) {
        if (!out.isEmpty())
            out += ',';
        out += QByteArray::number(size);
    }
    return out;
}

// Segment log records (payloads): 'B' and the body, or 'P', the length of the row's fields,
// the fields and the body. A 'P' record is a PutObject whose row may not be committed yet:
// open() applies those past s3_log's mark. Every other body is a 'B' record.
constexpr char kBodyRecord = 'B';
constexpr char kPutRecord = 'P';

void appendU32(QByteArray &out, quint32 v)
{
    for (int i = 0; i < 4; ++i)
        out += char((v >> (8 * i)) & 0xFF);
}

void appendField(QByteArray &out, const QByteArray &field)
{
    appendU32(out, quint32(field.size()));
    out += field;
}

void appendNumber(QByteArray &out, qint64 v)
{
    appendField(out, QByteArray::number(v));
}

QByteArray putRecord(const S3Object &o, int mode, const QByteArray &body)
{
    QByteArray fields;
    appendField(fields, o.bucket.toUtf8());
    appendField(fields, o.key);
    appendNumber(fields, o.size);
    appendField(fields, o.etag);
    appendNumber(fields, o.lastModifiedNs);
    appendField(fields, o.headers);
    appendField(fields, o.storageClass);
    appendField(fields, checksumAlgorithmName(o.checksumAlgorithm));
    appendField(fields, o.checksum);
    appendField(fields, o.tagging);
    // Added with versioning; records written before end at the tagging.
    appendField(fields, o.versionId);
    appendNumber(fields, o.versionSeq);
    appendField(fields, o.system);
    appendNumber(fields, mode);
    QByteArray out;
    out.reserve(5 + fields.size() + body.size());
    out += kPutRecord;
    appendU32(out, quint32(fields.size()));
    out += fields;
    out += body;
    return out;
}

// The row a 'P' record carries (without its body) and the bucket's versioning when it was
// written, or nothing when it is not one.
std::optional<S3Object> parsePutRecord(const QByteArray &payload, int *mode)
{
    QByteArrayView in(payload);
    bool ok = true;
    const auto u32 = [&]() -> quint32 {
        if (in.size() < 4) {
            ok = false;
            return 0;
        }
        quint32 v = 0;
        for (int i = 3; i >= 0; --i)
            v = (v << 8) | quint32(static_cast<unsigned char>(in[i]));
        in = in.sliced(4);
        return v;
    };
    const auto field = [&]() -> QByteArray {
        const quint32 n = u32();
        if (!ok || in.size() < qsizetype(n)) {
            ok = false;
            return {};
        }
        QByteArray out = in.first(n).toByteArray();
        in = in.sliced(n);
        return out;
    };
    if (in.isEmpty() || in[0] != kPutRecord)
        return std::nullopt;
    in = in.sliced(1);
    const quint32 fieldsSize = u32();
    if (!ok || in.size() < qsizetype(fieldsSize))
        return std::nullopt;
    const qsizetype bodySize = in.size() - fieldsSize;
    in = in.first(fieldsSize);
    S3Object o;
    o.bucket = QString::fromUtf8(field());
    o.key = field();
    o.size = field().toLongLong();
    o.etag = field();
    o.lastModifiedNs = field().toLongLong();
    o.headers = field();
    o.storageClass = field();
    o.checksumAlgorithm = checksumAlgorithmFromName(field());
    o.checksum = field();
    o.tagging = field();
    *mode = 0;
    if (ok && !in.isEmpty()) {
        o.versionId = field();
        o.versionSeq = field().toLongLong();
        o.system = field();
        *mode = field().toInt();
    }
    if (!ok || !in.isEmpty() || o.size != bodySize)
        return std::nullopt;
    return o;
}

QByteArray bodyRecord(const QByteArray &body)
{
    QByteArray out;
    out.reserve(1 + body.size());
    out += kBodyRecord;
    out += body;
    return out;
}

// The body inside a record's payload (its last `size` bytes).
Result<QByteArray> bodyOf(const QByteArray &payload, qint64 size)
{
    if (payload.isEmpty() || (payload[0] != kBodyRecord && payload[0] != kPutRecord)
        || payload.size() < 1 + size)
        return makeError(QStringLiteral("StoreError"), QStringLiteral("not an object record"), 500);
    return payload.right(size);
}

QByteArray randomHex(int bytes)
{
    QByteArray raw(bytes, Qt::Uninitialized);
    for (int i = 0; i < bytes; ++i)
        raw[i] = char(QRandomGenerator::global()->generate() & 0xFF);
    return raw.toHex();
}

bool isHexId(const QByteArray &id)
{
    if (id.size() != 32)
        return false;
    for (const char c : id) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

// Version ids are TEXT columns ('' for the null version): bound as text, never as a BLOB
// (SQLite orders every BLOB after every TEXT, so a BLOB never equals one).
std::string_view asText(const QByteArray &id)
{
    return std::string_view(id.constData(), size_t(id.size()));
}

Error storeError(const Error &e)
{
    return makeError(QStringLiteral("InternalError"), e.message, 500);
}

Result<void> syncPath(const QString &path)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return makeError(
            QStringLiteral("InternalError"), QStringLiteral("cannot open ") + path, 500);
    const int rc = ::fdatasync(fd);
    ::close(fd);
    if (rc != 0)
        return makeError(
            QStringLiteral("InternalError"), QStringLiteral("cannot sync ") + path, 500);
    return {};
}

// SHA-256 (hex) of an open file from its start, for parts stored before their hash was kept.
QByteArray hashFileSha256(QFile &in)
{
    Digest sha(Digest::Algorithm::Sha256);
    QByteArray buffer(1024 * 1024, Qt::Uninitialized);
    for (qint64 n; (n = in.read(buffer.data(), buffer.size())) > 0;)
        sha.add(buffer.constData(), n);
    in.seek(0);
    return sha.result().toHex();
}

// Appends all of `in` to `out` inside the kernel; through a buffer where the file system
// cannot (copy_file_range across file systems on old kernels, or not supported).
bool appendFile(QFile &in, QFile &out)
{
    const int from = in.handle();
    const int to = out.handle();
    qint64 remaining = in.size();
    while (remaining > 0) {
        const ssize_t n = ::copy_file_range(from, nullptr, to, nullptr, size_t(remaining), 0);
        if (n > 0) {
            remaining -= n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)
            break;
        return false;
    }
    if (remaining == 0)
        return true;
    QByteArray buffer(1024 * 1024, Qt::Uninitialized);
    while (remaining > 0) {
        const ssize_t n
            = ::read(from, buffer.data(), size_t(qMin<qint64>(buffer.size(), remaining)));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        for (ssize_t done = 0; done < n;) {
            const ssize_t w = ::write(to, buffer.constData() + done, size_t(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return false;
            done += w;
        }
        remaining -= n;
    }
    return true;
}

// Removes an upload's rows and its parts' rows (inside a transaction of the caller's).
Result<void> forgetUpload(Database &db, const QByteArray &uploadId)
{
    for (const char *sql : {"DELETE FROM s3_parts WHERE upload_id = ?1",
             "DELETE FROM s3_uploads WHERE upload_id = ?1"}) {
        auto del = db.prepare(sql);
        if (!del)
            return storeError(del.error());
        del->bind(1, uploadId);
        if (auto r = del->exec(); !r)
            return storeError(r.error());
    }
    return {};
}

// The s3_buckets column of each BucketDocument, in the enum's order.
const char *documentColumn(S3Store::BucketDocument which)
{
    static const char *const columns[] = {"tagging", "cors", "notification", "policy", "acl",
        "public_access_block", "ownership", "encryption", "lifecycle", "object_lock_configuration",
        "website", "logging", "request_payment", "accelerate", "replication"};
    static_assert(std::size(columns) == size_t(S3Store::BucketDocument::Replication) + 1);
    return columns[int(which)];
}

} // namespace

int S3Object::tagCount() const
{
    return tagging.isEmpty() ? 0 : int(tagging.count('&')) + 1;
}

QByteArray S3Object::systemValue(QByteArrayView name) const
{
    for (const auto &[n, v] : S3Store::parseHeaders(system)) {
        if (n == name)
            return v;
    }
    return {};
}

void S3Object::setSystemValue(const QByteArray &name, const QByteArray &value)
{
    auto values = S3Store::parseHeaders(system);
    values.removeIf([&](const auto &p) { return p.first == name; });
    if (!value.isEmpty())
        values.append({name, value});
    system = S3Store::serializeHeaders(values);
}

// Prepared statements for the hot paths; only touched inside Store::write.
struct S3Store::Statements
{
    Statement getObject;
    Statement upsertObject;
    Statement deleteObject;
    Statement listRange;
    Statement listRangeBounded;
    Statement setApplied;
    Statement getVersion; // a noncurrent version
    Statement retire; // the current version to s3_versions
    Statement dropNullVersion; // a noncurrent null version
};

S3Store::S3Store(Store *store, const Clock *clock, QString stateDir, qint64 logSegmentLimit)
    : m_store(store)
    , m_clock(clock)
    , m_stateDir(std::move(stateDir))
    , m_stagingDir(m_stateDir + QStringLiteral("/s3/tmp"))
    , m_partsRoot(m_stateDir + QStringLiteral("/s3/parts"))
    , m_log(std::make_shared<SegmentLog>(m_stateDir + QStringLiteral("/s3/log"), logSegmentLimit))
{ }

S3Store::~S3Store()
{
    m_indexer.reset();
    if (m_sql) {
        m_store->write([this](Database &db) {
            if (auto r = applyPending(db); !r)
                qWarning("tarmac: s3: %s", qPrintable(r.error().message));
            m_sql.reset();
        });
    }
}

Result<void> S3Store::open()
{
    if (auto r = m_store->migrateModule(QStringLiteral("s3"), kMigrations); !r)
        return r;
    if (!QDir().mkpath(m_stagingDir) || !QDir().mkpath(m_partsRoot))
        return makeError(
            QStringLiteral("InternalError"), QStringLiteral("cannot create ") + m_stagingDir, 500);
    if (auto r = m_log->open(); !r)
        return storeError(r.error());
    m_store->addCheckpointHook([log = m_log] {
        if (auto r = log->sync(); !r)
            qWarning("tarmac: s3: %s", qPrintable(r.error().message));
    });
    // Staged bodies that were never committed belong to requests that never got an answer.
    QDirIterator staged(m_stagingDir, QDir::Files | QDir::Hidden);
    while (staged.hasNext())
        QFile::remove(staged.next());

    auto prepared = m_store->write([this](Database &db) -> Result<void> {
        auto sql = std::make_unique<Statements>();
        const auto prep = [&db](Statement &into, const QByteArray &text) -> Result<void> {
            auto s = db.prepare(std::string_view(text.constData(), size_t(text.size())));
            if (!s)
                return s.error();
            into = std::move(*s);
            return {};
        };
        const QByteArray columns(kObjectColumns);
        const QByteArray withBody = columns + ", " + kBodyColumns;
        Result<void> r = prep(sql->getObject,
            "SELECT " + withBody + " FROM s3_objects WHERE bucket = ?1 AND key = ?2");
        if (r)
            r = prep(sql->getVersion,
                "SELECT " + withBody
                    + ", noncurrent_ns FROM s3_versions"
                      " WHERE bucket = ?1 AND key = ?2 AND version_id = ?3");
        if (r)
            r = prep(sql->retire,
                "INSERT OR REPLACE INTO s3_versions (" + columns + ", " + kBodyColumns
                    + ", bucket, noncurrent_ns) SELECT " + columns + ", " + kBodyColumns
                    + ", bucket, ?3 FROM s3_objects WHERE bucket = ?1 AND key = ?2"
                      " AND (?4 OR version_id <> '')");
        if (r)
            r = prep(sql->dropNullVersion,
                "DELETE FROM s3_versions WHERE bucket = ?1 AND key = ?2 AND version_id = ''");
        if (r)
            r = prep(sql->upsertObject,
                "INSERT INTO s3_objects (bucket, key, blob, size, etag, modified_ns, headers,"
                " storage_class, checksum_alg, checksum, parts, tagging, data, part_sizes,"
                " log_segment, log_offset, log_size, version_id, version_seq, delete_marker,"
                " system)"
                " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
                " ?17, ?18, ?19, ?20, ?21"
                " WHERE EXISTS (SELECT 1 FROM s3_buckets WHERE name = ?1)"
                " ON CONFLICT (bucket, key) DO UPDATE SET blob = excluded.blob,"
                " data = excluded.data,"
                " size = excluded.size, etag = excluded.etag,"
                " modified_ns = excluded.modified_ns, headers = excluded.headers,"
                " storage_class = excluded.storage_class,"
                " checksum_alg = excluded.checksum_alg, checksum = excluded.checksum,"
                " parts = excluded.parts, tagging = excluded.tagging,"
                " part_sizes = excluded.part_sizes, log_segment = excluded.log_segment,"
                " log_offset = excluded.log_offset, log_size = excluded.log_size,"
                " version_id = excluded.version_id, version_seq = excluded.version_seq,"
                " delete_marker = excluded.delete_marker, system = excluded.system");
        if (r)
            r = prep(
                sql->setApplied, "UPDATE s3_log SET applied_segment = ?1, applied_offset = ?2");
        if (r)
            r = prep(sql->deleteObject,
                "DELETE FROM s3_objects WHERE bucket = ?1 AND key = ?2 RETURNING size, etag");
        if (r)
            r = prep(sql->listRange,
                "SELECT " + columns
                    + " FROM s3_objects WHERE bucket = ?1 AND key >= ?2 AND delete_marker = 0"
                      " ORDER BY key LIMIT ?3");
        if (r)
            r = prep(sql->listRangeBounded,
                "SELECT " + columns
                    + " FROM s3_objects WHERE bucket = ?1 AND key >= ?2 AND key < ?4"
                      " AND delete_marker = 0 ORDER BY key LIMIT ?3");
        if (!r)
            return r;
        if (auto loaded = loadBucketNames(db); !loaded)
            return loaded;
        m_sql = std::move(sql);
        return {};
    });
    if (!prepared)
        return prepared;
    if (auto r = replayLog(); !r)
        return r;
    m_indexer = std::make_unique<WakeableThread>(
        "tarmac-s3-index",
        [this] {
            m_store->write([this](Database &db) {
                if (auto r = applyPending(db); !r)
                    qWarning("tarmac: s3: %s", qPrintable(r.error().message));
            });
        },
        std::chrono::milliseconds(kIndexDelayMs));

    cleanParts();
    return {};
}

Result<void> S3Store::loadBucketNames(Database &db)
{
    auto names = db.prepare("SELECT name, versioning, object_lock FROM s3_buckets");
    if (!names)
        return names.error();
    QHash<QString, BucketState> buckets;
    const Result<void> walked = names->forEachRow([&] {
        const QByteArray v = names->isNull(1) ? QByteArray() : names->blob(1);
        buckets.insert(names->text(0),
            {v == "Enabled"            ? S3Versioning::Enabled
                    : v == "Suspended" ? S3Versioning::Suspended
                                       : S3Versioning::Unversioned,
                names->int64(2) != 0});
    });
    if (!walked)
        return walked.error();
    QWriteLocker lock(&m_bucketNamesLock);
    m_bucketNames = std::move(buckets);
    return {};
}

void S3Store::cleanParts()
{
    // Part files whose row never committed (a crash mid-UploadPart), and folders of uploads
    // that no longer exist.
    QSet<QString> known;
    m_store->write([&known](Database &db) {
        auto s = db.prepare("SELECT upload_id, file FROM s3_parts");
        if (!s)
            return;
        (void)s->forEachRow([&] { known.insert(s->text(0) + u'/' + s->text(1)); });
    });
    const QStringList uploads = QDir(m_partsRoot).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &uploadId : uploads) {
        QDir dir(m_partsRoot + u'/' + uploadId);
        const QStringList files = dir.entryList(QDir::Files | QDir::Hidden);
        for (const QString &file : files) {
            if (!known.contains(uploadId + u'/' + file))
                dir.remove(file);
        }
        if (dir.isEmpty())
            dir.removeRecursively();
    }
}

Result<void> S3Store::flush()
{
    if (auto r = m_store->write([this](Database &db) { return applyPending(db); }); !r)
        return r;
    if (auto r = m_log->seal(); !r)
        return storeError(r.error());
    return {};
}

Result<void> S3Store::linkFiles(const QString &dir) const
{
    const QString logDir = dir + QStringLiteral("/log");
    if (!QDir().mkpath(logDir))
        return storeError(Error {QString(), QStringLiteral("cannot create ") + logDir, 500});
    for (const qint64 id : m_log->sealedSegments()) {
        const QString file = m_log->fileOf(id);
        if (auto r = linkFile(file, logDir + u'/' + QFileInfo(file).fileName()); !r)
            return storeError(r.error());
    }
    if (auto r = linkTree(m_partsRoot, dir + QStringLiteral("/parts")); !r)
        return storeError(r.error());
    return {};
}

Result<void> S3Store::adoptFiles(const QString &dir)
{
    const QString logDir = dir + QStringLiteral("/log");
    const QStringList segments = QDir(logDir).entryList({QStringLiteral("*.seg")}, QDir::Files);
    for (const QString &name : segments) {
        const qint64 id = name.chopped(4).toLongLong();
        if (id <= 0)
            continue;
        if (!QFileInfo::exists(m_log->fileOf(id))) {
            if (auto r = linkFile(logDir + u'/' + name, m_log->fileOf(id)); !r)
                return storeError(r.error());
        }
        if (auto r = m_log->adopt(id); !r)
            return storeError(r.error());
    }
    if (auto r = linkTree(dir + QStringLiteral("/parts"), m_partsRoot); !r)
        return storeError(r.error());
    return {};
}

QByteArray S3Store::replacedRowsSql() const
{
    const SegmentLog::Location end = m_log->end();
    return "INSERT OR REPLACE INTO s3_log (id, applied_segment, applied_offset) VALUES (1, "
        + QByteArray::number(end.segment) + ", " + QByteArray::number(end.offset) + ");";
}

Result<void> S3Store::reload()
{
    auto r = m_store->write([this](Database &db) -> Result<void> {
        // s3_log's mark went to the log's end with the rows (replacedRowsSql()).
        m_pending.clear();
        m_pendingEnd = m_log->end();
        return loadBucketNames(db);
    });
    if (!r)
        return r;
    cleanParts();
    return {};
}

// PUTs acknowledged before a crash whose rows the indexer had not committed yet: their 'P'
// records follow s3_log's mark. Applied in log order, so the last PUT of a key wins.
Result<void> S3Store::replayLog()
{
    return m_store->write([this](Database &db) -> Result<void> {
        auto mark = db.prepare("SELECT applied_segment, applied_offset FROM s3_log");
        if (!mark)
            return storeError(mark.error());
        auto row = mark->step();
        if (!row || !*row)
            return storeError(
                row ? Error {QString(), QStringLiteral("no s3_log row"), 500} : row.error());
        const SegmentLog::Location from {mark->int64(0), mark->int64(1)};
        mark->reset();
        m_pendingEnd = from;
        auto scanned
            = m_log->scan(from, [this](const SegmentLog::Location &at, const QByteArray &payload) {
                  int mode = 0;
                  auto o = parsePutRecord(payload, &mode);
                  if (!o)
                      return;
                  o->logSegment = at.segment;
                  o->logOffset = at.offset;
                  o->logSize = payload.size();
                  m_pending.append({std::move(*o), S3Versioning(qBound(0, mode, 2))});
                  m_pendingEnd = {at.segment, at.offset + SegmentLog::kHeaderSize + payload.size()};
              });
        if (!scanned)
            return storeError(scanned.error());
        if (!m_pending.isEmpty())
            qInfo("tarmac: s3: %lld acknowledged PUTs recovered from the log",
                qint64(m_pending.size()));
        return applyPending(db);
    });
}

QString S3Store::newStagingPath() const
{
    return m_stagingDir + u'/' + QString::fromLatin1(randomHex(12));
}

QString S3Store::blobPath(const QByteArray &blob) const
{
    return m_store->blobs().pathFor(blob);
}

QString S3Store::partsDir(const QByteArray &uploadId) const
{
    return m_partsRoot + u'/' + QString::fromLatin1(uploadId);
}

bool S3Store::isValidBucketName(const QString &name)
{
    // 3–63 characters, lower-case letters, digits, dots and hyphens, starting and ending with
    // a letter or digit, no "..", not an IP address.
    if (name.size() < 3 || name.size() > 63)
        return false;
    for (const QChar c : name) {
        const char16_t u = c.unicode();
        if (!((u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '.' || u == '-'))
            return false;
    }
    const auto alnum = [](QChar c) { return c.isDigit() || (c >= u'a' && c <= u'z'); };
    if (!alnum(name.front()) || !alnum(name.back()))
        return false;
    if (name.contains(QLatin1String("..")) || name.contains(QLatin1String(".-"))
        || name.contains(QLatin1String("-.")))
        return false;
    const QStringList parts = name.split(u'.');
    if (parts.size() == 4) {
        bool allNumbers = true;
        for (const QString &p : parts) {
            bool ok = false;
            p.toInt(&ok);
            allNumbers = allNumbers && ok;
        }
        if (allNumbers)
            return false;
    }
    // Prefixes and suffixes S3 keeps for itself (access point aliases, Object Lambda, Multi-Region
    // Access Points, directory and table buckets).
    for (const char *prefix : {"xn--", "sthree-", "amzn-s3-demo-"}) {
        if (name.startsWith(QLatin1String(prefix)))
            return false;
    }
    for (const char *suffix : {"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}) {
        if (name.endsWith(QLatin1String(suffix)))
            return false;
    }
    return true;
}

QList<S3Bucket> S3Store::listBuckets()
{
    return m_store->write([this](Database &db) {
        QList<S3Bucket> out;
        auto s = db.prepare(
            "SELECT name, region, created_ns, object_lock, owner FROM s3_buckets ORDER BY name");
        if (!s)
            return out;
        (void)s->forEachRow([&] {
            S3Bucket b {s->text(0), s->text(1), s->int64(2)};
            b.versioning = versioning(b.name);
            b.objectLock = s->int64(3) != 0;
            if (!s->isNull(4))
                b.owner = s->text(4);
            out.append(std::move(b));
        });
        return out;
    });
}

Result<void> S3Store::createBucket(
    const QString &name, const QString &region, bool objectLock, const QString &owner)
{
    if (!isValidBucketName(name))
        return s3errors::invalidBucketName(name);
    const qint64 now = m_clock->nowNs();
    return m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare("INSERT INTO s3_buckets (name, region, created_ns, versioning,"
                            " object_lock, owner) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                            " ON CONFLICT (name) DO NOTHING");
        if (!s)
            return storeError(s.error());
        s->bind(1, name).bind(2, region).bind(3, now).bind(5, qint64(objectLock ? 1 : 0));
        if (objectLock)
            s->bind(4, QStringLiteral("Enabled"));
        else
            s->bindNull(4);
        if (owner.isEmpty())
            s->bindNull(6);
        else
            s->bind(6, owner);
        if (auto r = s->exec(); !r)
            return storeError(r.error());
        if (db.changes() == 0)
            return s3errors::bucketAlreadyOwnedByYou(name);
        QWriteLocker lock(&m_bucketNamesLock);
        m_bucketNames.insert(
            name, {objectLock ? S3Versioning::Enabled : S3Versioning::Unversioned, objectLock});
        return {};
    });
}

Result<S3Bucket> S3Store::bucket(const QString &name)
{
    return m_store->write([&](Database &db) -> Result<S3Bucket> {
        auto s = db.prepare(
            "SELECT region, created_ns, object_lock, owner FROM s3_buckets WHERE name = ?1");
        if (!s)
            return storeError(s.error());
        s->bind(1, name);
        auto row = s->step();
        if (!row)
            return storeError(row.error());
        if (!*row)
            return s3errors::noSuchBucket(name);
        S3Bucket b {name, s->text(0), s->int64(1)};
        b.versioning = versioning(name);
        b.objectLock = s->int64(2) != 0;
        if (!s->isNull(3))
            b.owner = s->text(3);
        return b;
    });
}

bool S3Store::hasBucket(const QString &name) const
{
    QReadLocker lock(&m_bucketNamesLock);
    return m_bucketNames.contains(name);
}

S3Versioning S3Store::versioning(const QString &bucket) const
{
    QReadLocker lock(&m_bucketNamesLock);
    return m_bucketNames.value(bucket).versioning;
}

bool S3Store::objectLockEnabled(const QString &bucket) const
{
    QReadLocker lock(&m_bucketNamesLock);
    return m_bucketNames.value(bucket).objectLock;
}

Result<void> S3Store::enableObjectLock(const QString &bucket)
{
    return m_store->write([&](Database &db) -> Result<void> {
        {
            QReadLocker lock(&m_bucketNamesLock);
            const auto it = m_bucketNames.constFind(bucket);
            if (it == m_bucketNames.constEnd())
                return s3errors::noSuchBucket(bucket);
            if (it->objectLock)
                return {};
            if (it->versioning != S3Versioning::Enabled)
                return makeError(QStringLiteral("InvalidBucketState"),
                    QStringLiteral("Versioning must be 'Enabled' on the bucket to apply a Object "
                                   "Lock configuration"),
                    409);
        }
        auto s = db.prepare("UPDATE s3_buckets SET object_lock = 1 WHERE name = ?1");
        if (!s)
            return storeError(s.error());
        s->bind(1, bucket);
        if (auto r = s->exec(); !r)
            return storeError(r.error());
        QWriteLocker lock(&m_bucketNamesLock);
        m_bucketNames[bucket].objectLock = true;
        return {};
    });
}

Result<void> S3Store::setVersioning(const QString &bucket, S3Versioning state)
{
    return m_store->write([&](Database &db) -> Result<void> {
        {
            QReadLocker lock(&m_bucketNamesLock);
            const auto it = m_bucketNames.constFind(bucket);
            if (it == m_bucketNames.constEnd())
                return s3errors::noSuchBucket(bucket);
            if (it->objectLock && state != S3Versioning::Enabled)
                return makeError(QStringLiteral("InvalidBucketState"),
                    QStringLiteral("An Object Lock configuration is present on this bucket, so "
                                   "the versioning state cannot be changed."),
                    409);
            if (state == S3Versioning::Unversioned)
                return s3errors::malformedXml();
        }
        auto s = db.prepare("UPDATE s3_buckets SET versioning = ?2 WHERE name = ?1");
        if (!s)
            return storeError(s.error());
        s->bind(1, bucket).bind(2,
            state == S3Versioning::Enabled ? QStringLiteral("Enabled")
                                           : QStringLiteral("Suspended"));
        if (auto r = s->exec(); !r)
            return storeError(r.error());
        QWriteLocker lock(&m_bucketNamesLock);
        m_bucketNames[bucket].versioning = state;
        return {};
    });
}

Result<void> S3Store::checkBucket(const QString &name)
{
    // From memory: a check before every upload must not take the writer's lock (a bucket
    // deleted right after this check still fails the upload's commit, which re-checks).
    if (hasBucket(name))
        return {};
    return s3errors::noSuchBucket(name);
}

Result<void> S3Store::deleteBucket(const QString &name)
{
    QList<QByteArray> uploads;
    auto deleted = withObjects([&](Database &db) -> Result<void> {
        Transaction tx(db);
        if (!tx.began())
            return storeError(tx.began().error());
        auto exists = db.prepare("SELECT 1 FROM s3_buckets WHERE name = ?1");
        auto used = db.prepare("SELECT EXISTS (SELECT 1 FROM s3_objects WHERE bucket = ?1)"
                               " OR EXISTS (SELECT 1 FROM s3_versions WHERE bucket = ?1)");
        auto openUploads = db.prepare("SELECT upload_id FROM s3_uploads WHERE bucket = ?1");
        auto del = db.prepare("DELETE FROM s3_buckets WHERE name = ?1");
        if (!exists || !used || !openUploads || !del)
            return storeError(Error {QString(), QStringLiteral("cannot prepare"), 500});
        exists->bind(1, name);
        auto row = exists->step();
        if (!row || !*row)
            return s3errors::noSuchBucket(name);
        used->bind(1, name);
        row = used->step();
        if (row && *row && used->int64(0) != 0)
            return s3errors::bucketNotEmpty(name);
        // Unfinished multipart uploads do not keep a bucket alive: S3 removes them with it.
        openUploads->bind(1, name);
        if (auto r = openUploads->forEachRow([&] { uploads.append(openUploads->blob(0)); }); !r)
            return storeError(r.error());
        for (const QByteArray &uploadId : std::as_const(uploads)) {
            if (auto r = forgetUpload(db, uploadId); !r)
                return r;
        }
        del->bind(1, name);
        if (auto r = del->exec(); !r)
            return storeError(r.error());
        if (auto r = tx.commit(); !r)
            return storeError(r.error());
        QWriteLocker lock(&m_bucketNamesLock);
        m_bucketNames.remove(name);
        return {};
    });
    if (!deleted)
        return deleted;
    for (const QByteArray &uploadId : std::as_const(uploads))
        QDir(partsDir(uploadId)).removeRecursively();
    return {};
}

Result<QByteArray> S3Store::bucketDocument(const QString &bucket, BucketDocument which)
{
    return m_store->write([&](Database &db) -> Result<QByteArray> {
        auto s = db.prepare(
            std::string("SELECT ") + documentColumn(which) + " FROM s3_buckets WHERE name = ?1");
        if (!s)
            return storeError(s.error());
        s->bind(1, bucket);
        auto row = s->step();
        if (!row || !*row)
            return s3errors::noSuchBucket(bucket);
        return s->isNull(0) ? QByteArray() : s->blob(0);
    });
}

Result<void> S3Store::setBucketDocument(
    const QString &bucket, BucketDocument which, const QByteArray &document)
{
    return m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare(std::string("UPDATE s3_buckets SET ") + documentColumn(which)
            + " = ?2 WHERE name = ?1");
        if (!s)
            return storeError(s.error());
        s->bind(1, bucket);
        if (document.isEmpty())
            s->bindNull(2);
        else
            s->bind(2, document);
        if (auto r = s->exec(); !r)
            return storeError(r.error());
        if (db.changes() == 0)
            return s3errors::noSuchBucket(bucket);
        return {};
    });
}

Result<QByteArray> S3Store::checkStorageClass(const QByteArray &storageClass)
{
    static const QByteArray known[]
        = {"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
            "GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE"};
    if (storageClass.isEmpty() || storageClass == "STANDARD")
        return QByteArray();
    if (std::find(std::begin(known), std::end(known), storageClass) == std::end(known))
        return makeError(QStringLiteral("InvalidStorageClass"),
            QStringLiteral("The storage class you specified is not valid"), 400);
    return storageClass;
}

Result<void> S3Store::checkMetadataSize(qint64 bytes)
{
    if (bytes > 2048)
        return makeError(QStringLiteral("MetadataTooLarge"),
            QStringLiteral("Your metadata headers exceed the maximum allowed metadata "
                           "size (2 KB)"),
            400);
    return {};
}

Result<void> S3Store::checkKey(const QByteArray &key)
{
    if (key.isEmpty())
        return makeError(
            QStringLiteral("InvalidArgument"), QStringLiteral("The key is empty"), 400);
    if (key.size() > kMaxKeyBytes)
        return s3errors::keyTooLong(key.size());
    return {};
}

QByteArray S3Store::nextSequencer()
{
    const quint64 n = m_sequence.fetch_add(1, std::memory_order_relaxed);
    return QByteArray::number(qint64(m_clock->nowNs()), 16).toUpper().rightJustified(16, '0')
        + QByteArray::number(n & 0xFF, 16).toUpper().rightJustified(2, '0');
}

void S3Store::emitEvent(const QString &eventName, const S3Object &object, const S3Origin &origin)
{
    if (!m_listener)
        return;
    S3Event e;
    e.eventName = eventName;
    if (origin.lifecycle && eventName.startsWith(QLatin1String("ObjectRemoved:")))
        e.eventName = QStringLiteral("LifecycleExpiration:") + eventName.mid(14);
    e.bucket = object.bucket;
    e.key = object.key;
    e.size = object.size;
    e.etag = object.etag;
    e.versionId
        = object.versionId.isEmpty() && versioning(object.bucket) == S3Versioning::Unversioned
        ? QByteArray()
        : object.versionName();
    e.sequencer = nextSequencer();
    e.timeNs = object.lastModifiedNs ? object.lastModifiedNs : m_clock->nowNs();
    e.origin = origin;
    m_listener(e);
}

// Writes the object's row (inside Store::write). Zero changes: the bucket does not exist.
Result<void> S3Store::upsertObject(const S3Object &o)
{
    Statement &s = m_sql->upsertObject;
    s.bind(1, o.bucket)
        .bind(2, o.key)
        .bind(3, o.blob)
        .bind(4, o.size)
        .bind(5, o.etag)
        .bind(6, o.lastModifiedNs)
        .bind(7, o.headers)
        .bind(8, o.storageClass)
        .bind(9, checksumAlgorithmName(o.checksumAlgorithm))
        .bind(10, o.checksum)
        .bind(11, o.partsCount)
        .bind(12, o.tagging);
    if (o.blob.isEmpty() && o.logSegment == 0)
        s.bind(13, o.data);
    else
        s.bindNull(13);
    if (o.partsCount > 0 && o.partSizes.size() == o.partsCount)
        s.bind(14, joinSizes(o.partSizes));
    else
        s.bindNull(14);
    if (o.logSegment != 0)
        s.bind(15, o.logSegment).bind(16, o.logOffset).bind(17, o.logSize);
    else
        s.bindNull(15).bindNull(16).bindNull(17);
    s.bind(18, asText(o.versionId))
        .bind(19, o.versionSeq)
        .bind(20, qint64(o.deleteMarker ? 1 : 0))
        .bind(21, o.system);
    return s.exec();
}

bool S3Store::isVersionId(const QByteArray &id)
{
    if (id.size() != 32)
        return false;
    for (const char c : id) {
        if (!std::isalnum(static_cast<unsigned char>(c)))
            return false;
    }
    return true;
}

void S3Store::stampVersion(S3Object &o, S3Versioning mode)
{
    // Strictly increasing, so versions of a key written within one clock tick (or under a
    // manual clock) still have an order.
    m_lastVersionSeq = qMax(m_clock->nowNs(), m_lastVersionSeq + 1);
    o.versionSeq = m_lastVersionSeq;
    o.versionId.clear();
    if (mode != S3Versioning::Enabled)
        return; // the null version
    // 32 characters: the order in hex, then random ones (ids are opaque to clients).
    static constexpr char kAlphabet[]
        = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    QByteArray id = QByteArray::number(o.versionSeq, 16).rightJustified(16, '0');
    for (int i = 0; i < 16; ++i)
        id += kAlphabet[QRandomGenerator::global()->bounded(62)];
    o.versionId = id;
}

Result<void> S3Store::retireCurrent(const QString &bucket, const QByteArray &key, S3Versioning mode)
{
    if (mode == S3Versioning::Unversioned)
        return {};
    if (mode == S3Versioning::Suspended) {
        // The new version is the null one: an older null version goes, wherever it is.
        Statement &drop = m_sql->dropNullVersion;
        drop.bind(1, bucket).bind(2, key);
        if (auto r = drop.exec(); !r)
            return storeError(r.error());
    }
    Statement &retire = m_sql->retire;
    retire.bind(1, bucket)
        .bind(2, key)
        .bind(3, m_clock->nowNs())
        .bind(4, qint64(mode == S3Versioning::Enabled ? 1 : 0));
    if (auto r = retire.exec(); !r)
        return storeError(r.error());
    return {};
}

// The newest noncurrent version of a key becomes current (its current one was removed).
Result<void> S3Store::promoteNewest(Database &db, const QString &bucket, const QByteArray &key)
{
    {
        auto up = db.prepare(std::string("INSERT INTO s3_objects (bucket, ") + kObjectColumns + ", "
            + kBodyColumns + ") SELECT bucket, " + kObjectColumns + ", " + kBodyColumns
            + " FROM s3_versions WHERE bucket = ?1 AND key = ?2 ORDER BY version_seq DESC"
              " LIMIT 1");
        auto drop = db.prepare("DELETE FROM s3_versions WHERE bucket = ?1 AND key = ?2 AND"
                               " version_id = (SELECT version_id FROM s3_objects"
                               " WHERE bucket = ?1 AND key = ?2)");
        if (!up || !drop)
            return storeError(Error {QString(), QStringLiteral("cannot prepare"), 500});
        up->bind(1, bucket).bind(2, key);
        if (auto r = up->exec(); !r)
            return storeError(r.error());
        if (db.changes() == 0)
            return {};
        drop->bind(1, bucket).bind(2, key);
        if (auto r = drop->exec(); !r)
            return storeError(r.error());
        return {};
    }
}

Result<S3Object> S3Store::commitObject(S3Object o, bool requireAbsent, const QByteArray &ifMatch,
    const QString &eventName, const S3Origin &origin)
{
    auto committed = withObjects([&](Database &db) -> Result<void> {
        const S3Versioning mode = versioning(o.bucket);
        if (requireAbsent || !ifMatch.isEmpty()) {
            Statement &get = m_sql->getObject;
            get.bind(1, o.bucket).bind(2, o.key);
            auto row = get.step();
            if (!row)
                return storeError(row.error());
            const bool exists = *row && get.int64(14) == 0; // a delete marker: absent
            const QByteArray etag = exists ? get.blob(3) : QByteArray();
            get.reset();
            if (requireAbsent && exists)
                return s3errors::preconditionFailed(QStringLiteral("If-None-Match"));
            if (!ifMatch.isEmpty() && (!exists || (ifMatch != "*" && ifMatch != etag)))
                return exists ? s3errors::preconditionFailed(QStringLiteral("If-Match"))
                              : s3errors::noSuchKey(o.key);
        }
        if (!hasBucket(o.bucket))
            return s3errors::noSuchBucket(o.bucket);
        if (o.blob.isEmpty() && !o.data.isEmpty()) {
            if (auto r = logRecord(o, bodyRecord(o.data)); !r)
                return r.error();
        }
        stampVersion(o, mode);
        if (mode == S3Versioning::Unversioned) {
            if (auto r = upsertObject(o); !r)
                return storeError(r.error());
            if (db.changes() == 0)
                return s3errors::noSuchBucket(o.bucket);
            return {};
        }
        Transaction tx(db);
        if (!tx.began())
            return storeError(tx.began().error());
        if (auto r = retireCurrent(o.bucket, o.key, mode); !r)
            return r;
        if (auto r = upsertObject(o); !r)
            return storeError(r.error());
        if (db.changes() == 0)
            return s3errors::noSuchBucket(o.bucket);
        return tx.commit();
    });
    if (!committed)
        return committed.error();
    emitEvent(eventName, o, origin);
    return o;
}

Result<S3Object> S3Store::putObject(const QString &bucket, const QByteArray &key,
    const S3StagedBody &body, const S3ObjectAttributes &attributes, const S3Conditions &conditions,
    const S3Origin &origin, const QString &eventName)
{
    if (auto r = checkKey(key); !r)
        return r.error();
    if (body.size > kMaxPutSize)
        return s3errors::entityTooLarge(body.size, kMaxPutSize);
    S3Object o;
    if (body.path.isEmpty()) {
        o.data = body.data; // committed with the row
    } else {
        // The bytes are made durable first: the row that names them is committed only after.
        auto stored = m_store->blobs().adoptHashedFile(
            body.path, BlobStore::Stored {body.sha256Hex, body.md5.toHex(), body.size});
        if (!stored)
            return storeError(stored.error());
        o.blob = body.sha256Hex;
    }
    o.bucket = bucket;
    o.key = key;
    o.size = body.size;
    o.etag = body.md5.toHex();
    o.lastModifiedNs = m_clock->nowNs();
    o.headers = serializeHeaders(attributes.headers);
    o.storageClass = attributes.storageClass;
    o.checksumAlgorithm = body.checksumAlgorithm;
    o.checksum = body.checksum.toBase64();
    o.tagging = attributes.tagging;
    o.system = attributes.system;
    if (o.data.isEmpty() || conditions.ifNoneMatch == "*" || !conditions.ifMatch.isEmpty())
        return commitObject(
            std::move(o), conditions.ifNoneMatch == "*", conditions.ifMatch, eventName, origin);
    // A small unconditional PUT is acknowledged once its 'P' record (row and body) is in the
    // log; the indexer commits its row with the next batch, and every reader of the objects
    // table commits pending rows first (withObjects), so no one can tell it is not there.
    qsizetype pendingNow = 0;
    auto logged = m_store->write([&](Database &) -> Result<void> {
        if (!hasBucket(o.bucket))
            return s3errors::noSuchBucket(o.bucket);
        const S3Versioning mode = versioning(o.bucket);
        stampVersion(o, mode);
        auto end = logRecord(o, putRecord(o, int(mode), o.data));
        if (!end)
            return end.error();
        S3Object row = o;
        row.data.clear();
        m_pending.append({std::move(row), mode});
        m_pendingEnd = *end;
        pendingNow = m_pending.size();
        return {};
    });
    if (!logged)
        return logged.error();
    // The first PUT of a batch starts the indexer's wait; a full batch ends it early.
    if (pendingNow == kIndexBatch)
        m_indexer->hurry();
    else if (pendingNow == 1)
        m_indexer->wake();
    emitEvent(eventName, o, origin);
    return o;
}

// Appends an object's record (inside Store::write, so compactLog() sees every record's row)
// and points the object at it; returns where the record ends.
Result<SegmentLog::Location> S3Store::logRecord(S3Object &o, const QByteArray &record)
{
    auto at = m_log->append(record);
    if (!at)
        return storeError(at.error());
    o.logSegment = at->segment;
    o.logOffset = at->offset;
    o.logSize = record.size();
    return SegmentLog::Location {at->segment, at->offset + SegmentLog::kHeaderSize + record.size()};
}

Result<void> S3Store::applyPending(Database &db)
{
    if (m_pending.isEmpty())
        return {};
    Transaction tx(db);
    if (!tx.began())
        return storeError(tx.began().error());
    for (const PendingPut &p : std::as_const(m_pending)) {
        if (auto r = retireCurrent(p.row.bucket, p.row.key, p.mode); !r)
            return r;
        if (auto r = upsertObject(p.row); !r)
            return storeError(r.error());
    }
    Statement &mark = m_sql->setApplied;
    mark.bind(1, m_pendingEnd.segment).bind(2, m_pendingEnd.offset);
    if (auto r = mark.exec(); !r)
        return storeError(r.error());
    if (auto r = tx.commit(); !r)
        return storeError(r.error());
    m_pending.clear();
    return {};
}

// Inside Store::write (after pending rows are applied): one version's row, and the log
// segment its small body is in (taken in the same write section as the row: compactLog()
// removes a segment in a write section too, and a taken segment stays readable after removal).
Result<S3Object> S3Store::findVersion(const QString &bucket, const QByteArray &key,
    const S3VersionRef &version, std::shared_ptr<const SegmentLog::Segment> *segment)
{
    const QByteArray id = version && *version != "null" ? *version : QByteArray();
    std::optional<S3Object> found;
    Statement &get = m_sql->getObject;
    get.bind(1, bucket).bind(2, key);
    auto row = get.step();
    if (!row)
        return storeError(row.error());
    if (*row) {
        S3Object o = readObject(get, bucket);
        if (!version || o.versionId == id)
            found = std::move(o);
    }
    get.reset();
    if (!found && version) {
        Statement &old = m_sql->getVersion;
        old.bind(1, bucket).bind(2, key).bind(3, asText(id));
        row = old.step();
        if (!row)
            return storeError(row.error());
        if (*row) {
            found = readObject(old, bucket);
            found->isLatest = false;
            found->noncurrentNs = old.int64(kBodyColumn + 4);
        }
        old.reset();
    }
    if (!found) {
        if (!hasBucket(bucket))
            return s3errors::noSuchBucket(bucket);
        if (!version)
            return s3errors::noSuchKey(key);
        if (!id.isEmpty() && !isVersionId(id))
            return s3errors::invalidArgument(QStringLiteral("Invalid version id specified"));
        return makeError(QStringLiteral("NoSuchVersion"),
            QStringLiteral("The specified version does not exist."), 404);
    }
    if (segment && found->logSegment != 0)
        *segment = m_log->segment(found->logSegment);
    return std::move(*found);
}

Result<void> S3Store::loadBody(
    S3Object &o, const std::shared_ptr<const SegmentLog::Segment> &segment)
{
    if (o.logSegment == 0)
        return {};
    auto payload = segment ? SegmentLog::read(*segment, o.logOffset, o.logSize)
                           : Result<QByteArray>(makeError(QStringLiteral("StoreError"),
                               QStringLiteral("segment %1 is missing").arg(o.logSegment), 500));
    auto data = payload ? bodyOf(*payload, o.size) : Result<QByteArray>(payload.error());
    if (!data)
        return s3errors::internalError(
            QStringLiteral("The object's body cannot be read: ") + data.error().message);
    o.data = std::move(*data);
    return {};
}

Result<S3Object> S3Store::version(
    const QString &bucket, const QByteArray &key, const S3VersionRef &version, Body body)
{
    std::shared_ptr<const SegmentLog::Segment> segment;
    auto found = withObjects([&](Database &) -> Result<S3Object> {
        return findVersion(bucket, key, version, &segment);
    });
    if (!found || body == Body::Skip)
        return found;
    if (auto r = loadBody(*found, segment); !r)
        return r.error();
    return found;
}

Result<S3Object> S3Store::object(const QString &bucket, const QByteArray &key, Body body)
{
    auto found = version(bucket, key, std::nullopt, body);
    if (found && found->deleteMarker)
        return s3errors::noSuchKey(key);
    return found;
}

Result<S3Deletion> S3Store::deleteObject(const QString &bucket, const QByteArray &key,
    const S3Origin &origin, const S3VersionRef &version, const VersionGuard &guard)
{
    S3Object removed;
    QString eventName = QStringLiteral("ObjectRemoved:Delete");
    auto result = withObjects([&](Database &db) -> Result<S3Deletion> {
        if (!hasBucket(bucket))
            return s3errors::noSuchBucket(bucket);
        const S3Versioning mode = versioning(bucket);
        if (!version && mode == S3Versioning::Unversioned) {
            Statement &del = m_sql->deleteObject;
            del.bind(1, bucket).bind(2, key);
            auto row = del.step();
            if (!row)
                return storeError(row.error());
            if (!*row)
                return S3Deletion {};
            removed.size = del.int64(0);
            removed.etag = del.blob(1);
            // RETURNING rows are produced before the delete completes: step to the end.
            if (auto rest = del.exec(); !rest)
                return storeError(rest.error());
            return S3Deletion {true, false, {}};
        }
        Transaction tx(db);
        if (!tx.began())
            return storeError(tx.began().error());
        if (!version) {
            // A versioned bucket keeps what was there: a delete marker goes on top.
            S3Object marker;
            marker.bucket = bucket;
            marker.key = key;
            marker.deleteMarker = true;
            marker.lastModifiedNs = m_clock->nowNs();
            stampVersion(marker, mode);
            if (auto r = retireCurrent(bucket, key, mode); !r)
                return r.error();
            if (auto r = upsertObject(marker); !r)
                return storeError(r.error());
            if (auto r = tx.commit(); !r)
                return storeError(r.error());
            removed = marker;
            eventName = QStringLiteral("ObjectRemoved:DeleteMarkerCreated");
            return S3Deletion {true, true, marker.versionName()};
        }
        auto found = findVersion(bucket, key, version, nullptr);
        if (!found) {
            // Removing a version that is not there succeeds, as S3 answers; an id that
            // cannot be one does not.
            if (found.error().code == QLatin1String("NoSuchVersion"))
                return S3Deletion {false, false, *version};
            return found.error();
        }
        if (guard) {
            if (auto r = guard(*found); !r)
                return r.error();
        }
        auto del = db.prepare(found->isLatest
                ? "DELETE FROM s3_objects WHERE bucket = ?1 AND key = ?2"
                : "DELETE FROM s3_versions WHERE bucket = ?1 AND key = ?2 AND version_id = ?3");
        if (!del)
            return storeError(del.error());
        del->bind(1, bucket).bind(2, key);
        if (!found->isLatest)
            del->bind(3, asText(found->versionId));
        if (auto r = del->exec(); !r)
            return storeError(r.error());
        if (found->isLatest) {
            if (auto r = promoteNewest(db, bucket, key); !r)
                return r.error();
        }
        if (auto r = tx.commit(); !r)
            return storeError(r.error());
        removed = *found;
        return S3Deletion {true, found->deleteMarker, found->versionName()};
    });
    if (result && result->removed) {
        removed.bucket = bucket;
        removed.key = key;
        removed.lastModifiedNs = m_clock->nowNs();
        if (versioning(bucket) != S3Versioning::Unversioned || version)
            removed.versionId = result->versionId;
        emitEvent(eventName, removed, origin);
    }
    return result;
}

Result<S3Object> S3Store::copyObject(const QString &sourceBucket, const QByteArray &sourceKey,
    const QString &bucket, const QByteArray &key, const S3ObjectAttributes *attributes,
    const QByteArray *tagging, const S3Conditions &sourceConditions, const S3Origin &origin,
    const S3VersionRef &sourceVersion, const QByteArray *system)
{
    if (auto r = checkKey(key); !r)
        return r.error();
    auto source = version(sourceBucket, sourceKey, sourceVersion);
    if (!source)
        return source.error();
    if (source->deleteMarker) {
        if (!sourceVersion)
            return s3errors::noSuchKey(sourceKey);
        return s3errors::invalidRequest(QStringLiteral("The source of a copy request may not "
                                                       "specifically refer to a delete marker "
                                                       "by version id."));
    }
    const S3Object &src = *source;
    if (!sourceConditions.ifMatch.isEmpty() && sourceConditions.ifMatch != "*"
        && sourceConditions.ifMatch != src.etag)
        return s3errors::preconditionFailed(QStringLiteral("x-amz-copy-source-if-match"));
    if (!sourceConditions.ifNoneMatch.isEmpty()
        && (sourceConditions.ifNoneMatch == "*" || sourceConditions.ifNoneMatch == src.etag))
        return s3errors::preconditionFailed(QStringLiteral("x-amz-copy-source-if-none-match"));
    if (sourceConditions.ifUnmodifiedSinceNs
        && src.lastModifiedNs / 1'000'000'000
            > sourceConditions.ifUnmodifiedSinceNs / 1'000'000'000)
        return s3errors::preconditionFailed(
            QStringLiteral("x-amz-copy-source-if-unmodified-since"));
    if (sourceConditions.ifModifiedSinceNs
        && src.lastModifiedNs / 1'000'000'000 <= sourceConditions.ifModifiedSinceNs / 1'000'000'000)
        return s3errors::preconditionFailed(QStringLiteral("x-amz-copy-source-if-modified-since"));
    if (sourceBucket == bucket && sourceKey == key && !attributes && !tagging && !system
        && !sourceVersion)
        return s3errors::invalidRequest(QStringLiteral(
            "This copy request is illegal because it is trying to copy an object to itself "
            "without changing the object's metadata, storage class, website redirect "
            "location or encryption attributes."));
    S3Object o = src;
    o.bucket = bucket;
    o.key = key;
    o.lastModifiedNs = m_clock->nowNs();
    if (attributes) {
        o.headers = serializeHeaders(attributes->headers);
        o.storageClass = attributes->storageClass;
    }
    if (tagging)
        o.tagging = *tagging;
    if (system)
        o.system = *system;
    o.isLatest = true;
    o.noncurrentNs = 0;
    if (o.partsCount > 0) {
        // A copy is a single-part object: its ETag is the MD5 of its bytes. The blob store
        // knows no MD5 of a concatenated object, so compute it once here.
        QFile file(blobPath(o.blob));
        if (!file.open(QIODevice::ReadOnly))
            return s3errors::internalError(QStringLiteral("cannot read the source object"));
        Digest md5(Digest::Algorithm::Md5);
        QByteArray buffer(1024 * 1024, Qt::Uninitialized);
        for (qint64 n; (n = file.read(buffer.data(), buffer.size())) > 0;)
            md5.add(buffer.constData(), n);
        o.etag = md5.result().toHex();
        o.partsCount = 0;
        if (o.checksum.contains('-')) {
            o.checksumAlgorithm = ChecksumAlgorithm::None;
            o.checksum.clear();
        }
    }
    return commitObject(std::move(o), false, {}, QStringLiteral("ObjectCreated:Copy"), origin);
}

Result<QByteArray> S3Store::objectTagging(
    const QString &bucket, const QByteArray &key, const S3VersionRef &version)
{
    auto o = this->version(bucket, key, version, Body::Skip);
    if (!o)
        return o.error();
    if (o->deleteMarker)
        return version ? s3errors::methodNotAllowed() : s3errors::noSuchKey(key);
    return o->tagging;
}

Result<QByteArray> S3Store::setObjectTagging(const QString &bucket, const QByteArray &key,
    const QByteArray &tagging, const S3VersionRef &version)
{
    auto changed = updateSystem(bucket, key, version, [&](S3Object &o) -> Result<void> {
        o.tagging = tagging;
        return {};
    });
    if (!changed)
        return changed.error();
    return changed->versionName();
}

Result<S3Object> S3Store::updateSystem(const QString &bucket, const QByteArray &key,
    const S3VersionRef &version, const std::function<Result<void>(S3Object &)> &change)
{
    return withObjects([&](Database &db) -> Result<S3Object> {
        auto found = findVersion(bucket, key, version, nullptr);
        if (!found)
            return found.error();
        if (found->deleteMarker)
            return version ? s3errors::methodNotAllowed() : s3errors::noSuchKey(key);
        if (auto r = change(*found); !r)
            return r.error();
        auto s = db.prepare(found->isLatest
                ? "UPDATE s3_objects SET tagging = ?3, system = ?4, storage_class = ?6"
                  " WHERE bucket = ?1 AND key = ?2"
                : "UPDATE s3_versions SET tagging = ?3, system = ?4, storage_class = ?6"
                  " WHERE bucket = ?1 AND key = ?2 AND version_id = ?5");
        if (!s)
            return storeError(s.error());
        s->bind(1, bucket)
            .bind(2, key)
            .bind(3, found->tagging)
            .bind(4, found->system)
            .bind(6, found->storageClass);
        if (!found->isLatest)
            s->bind(5, asText(found->versionId));
        if (auto r = s->exec(); !r)
            return storeError(r.error());
        return std::move(*found);
    });
}

QByteArray S3Store::prefixSuccessor(const QByteArray &prefix)
{
    QByteArray s = prefix;
    while (!s.isEmpty()) {
        const auto last = static_cast<unsigned char>(s.back());
        if (last != 0xFF) {
            s.back() = char(last + 1);
            return s;
        }
        s.chop(1);
    }
    return {};
}

Result<void> S3Store::addBlobReferences(QSet<QByteArray> &live)
{
    return withObjects([&](Database &db) -> Result<void> {
        auto s = db.prepare("SELECT blob FROM s3_objects WHERE blob <> ''"
                            " UNION SELECT blob FROM s3_versions WHERE blob <> ''");
        if (!s)
            return storeError(s.error());
        const Result<void> walked = s->forEachRow([&] { live.insert(s->blob(0)); });
        if (!walked)
            return storeError(walked.error());
        return {};
    });
}

Result<int> S3Store::compactLog(double maxLiveFraction)
{
    // Appends happen inside write sections, so every row naming a sealed segment committed
    // before the segment was sealed: a snapshot taken after listing them sees them all. Rows
    // only ever move out of sealed segments.
    // Pending rows first: then every 'P' record in a sealed segment is applied, and the
    // records copied forward below are 'B' records, which open() never applies again.
    if (auto r = withObjects([](Database &) -> Result<void> { return {}; }); !r)
        return r.error();
    const QList<qint64> sealed = m_log->sealedSegments();
    if (sealed.isEmpty())
        return 0;
    auto reader = m_store->openReader();
    if (!reader)
        return storeError(reader.error());
    QHash<qint64, qint64> liveBytes;
    {
        auto live = (*reader)->prepare(
            "SELECT log_segment, SUM(log_size), COUNT(*) FROM (SELECT log_segment, log_size"
            " FROM s3_objects WHERE log_segment IS NOT NULL UNION ALL SELECT log_segment,"
            " log_size FROM s3_versions WHERE log_segment IS NOT NULL) GROUP BY log_segment");
        if (!live)
            return storeError(live.error());
        if (auto r = live->forEachRow([&] {
                liveBytes[live->int64(0)]
                    += live->int64(1) + live->int64(2) * SegmentLog::kHeaderSize;
            });
            !r)
            return storeError(r.error());
    }
    QSet<qint64> drop; // nothing lives there
    QSet<qint64> rewrite; // little lives there: copy it forward first
    for (const qint64 id : sealed) {
        const qint64 live = liveBytes.value(id, 0);
        if (live == 0)
            drop.insert(id);
        else if (double(live) <= maxLiveFraction * double(m_log->segmentSize(id)))
            rewrite.insert(id);
    }
    struct Move
    {
        QString bucket;
        QByteArray key;
        qint64 segment;
        qint64 offset;
        qint64 size;
        qint64 logSize;
    };
    QList<Move> moves;
    if (!rewrite.isEmpty()) {
        auto rows = (*reader)->prepare(
            "SELECT bucket, key, log_segment, log_offset, size, log_size"
            " FROM s3_objects WHERE log_segment IS NOT NULL UNION ALL SELECT bucket, key,"
            " log_segment, log_offset, size, log_size FROM s3_versions"
            " WHERE log_segment IS NOT NULL");
        if (!rows)
            return storeError(rows.error());
        if (auto r = rows->forEachRow([&] {
                if (rewrite.contains(rows->int64(2)))
                    moves.append({rows->text(0), rows->blob(1), rows->int64(2), rows->int64(3),
                        rows->int64(4), rows->int64(5)});
            });
            !r)
            return storeError(r.error());
    }
    constexpr qsizetype kBatch = 256; // rows per write section: requests wait at most that long
    for (qsizetype first = 0; first < moves.size(); first += kBatch) {
        auto moved = m_store->write([&](Database &db) -> Result<void> {
            // The record's row is in either table: a version may have become noncurrent (or
            // current again) since the rows were listed.
            auto update = db.prepare("UPDATE s3_objects SET log_segment = ?5, log_offset = ?6,"
                                     " log_size = ?7 WHERE bucket = ?1 AND key = ?2"
                                     " AND log_segment = ?3 AND log_offset = ?4");
            auto updateVersion
                = db.prepare("UPDATE s3_versions SET log_segment = ?5, log_offset = ?6,"
                             " log_size = ?7 WHERE bucket = ?1 AND key = ?2"
                             " AND log_segment = ?3 AND log_offset = ?4");
            if (!update)
                return update.error();
            if (!updateVersion)
                return updateVersion.error();
            Transaction tx(db);
            if (!tx.began())
                return tx.began().error();
            for (qsizetype i = first; i < qMin(first + kBatch, moves.size()); ++i) {
                const Move &m = moves[i];
                auto payload = m_log->read({m.segment, m.offset}, m.logSize);
                if (!payload)
                    return payload.error();
                auto body = bodyOf(*payload, m.size);
                if (!body)
                    return body.error();
                const QByteArray record = bodyRecord(*body);
                auto at = m_log->append(record);
                if (!at)
                    return at.error();
                for (Statement *u : {&*update, &*updateVersion}) {
                    u->bind(1, m.bucket)
                        .bind(2, m.key)
                        .bind(3, m.segment)
                        .bind(4, m.offset)
                        .bind(5, at->segment)
                        .bind(6, at->offset)
                        .bind(7, qint64(record.size()));
                    if (auto r = u->exec(); !r)
                        return r;
                }
            }
            return tx.commit();
        });
        if (!moved)
            return storeError(moved.error());
    }
    // Rows that named these segments have moved, or were overwritten or deleted since.
    int removed = 0;
    for (const qint64 id : sealed) {
        if (!drop.contains(id) && !rewrite.contains(id))
            continue;
        auto gone = m_store->write([&](Database &) { return m_log->remove(id); });
        if (!gone)
            return storeError(gone.error());
        ++removed;
    }
    return removed;
}

Result<S3ListResult> S3Store::listObjects(const QString &bucket, const S3ListQuery &query)
{
    const int maxKeys = qBound(0, query.maxKeys, 1000);
    const QByteArray upper = prefixSuccessor(query.prefix);
    const bool bounded = !query.prefix.isEmpty() && !upper.isEmpty();
    // The first key that may be listed: at the prefix, and past the marker.
    QByteArray lower = query.prefix;
    if (!query.after.isEmpty()) {
        const QByteArray past = query.after + '\0';
        if (past > lower)
            lower = past;
    }
    return withObjects([&](Database &) -> Result<S3ListResult> {
        if (!hasBucket(bucket))
            return s3errors::noSuchBucket(bucket);

        S3ListResult result;
        if (maxKeys == 0)
            return result; // nothing asked for: not truncated, as S3 answers
        int count = 0;
        QByteArray from = lower;
        bool exhausted = false;
        while (!exhausted && count <= maxKeys) {
            Statement &s = bounded ? m_sql->listRangeBounded : m_sql->listRange;
            s.bind(1, bucket).bind(2, from).bind(3, maxKeys - count + 1);
            if (bounded)
                s.bind(4, upper);
            int rows = 0;
            bool reseek = false;
            while (true) {
                auto r = s.step();
                if (!r)
                    return storeError(r.error());
                if (!*r)
                    break;
                ++rows;
                const QByteArray key = s.blob(0);
                if (!query.delimiter.isEmpty()) {
                    const qsizetype at = key.indexOf(query.delimiter, query.prefix.size());
                    if (at >= 0) {
                        const QByteArray prefix = key.left(at + query.delimiter.size());
                        from = prefixSuccessor(prefix);
                        reseek = true;
                        // A common prefix at or before the marker was returned already.
                        if (query.after.isEmpty() || prefix > query.after) {
                            if (count == maxKeys) {
                                result.truncated = true;
                                break;
                            }
                            result.commonPrefixes.append(prefix);
                            result.last = prefix;
                            ++count;
                        }
                        if (from.isEmpty())
                            exhausted = true;
                        break;
                    }
                }
                if (count == maxKeys) {
                    result.truncated = true;
                    break;
                }
                S3Object o = readObject(s, bucket);
                result.last = o.key;
                result.objects.append(std::move(o));
                ++count;
            }
            s.reset();
            if (result.truncated)
                break;
            if (!reseek)
                exhausted = true;
            if (rows == 0)
                exhausted = true;
        }
        return result;
    });
}

Result<S3VersionList> S3Store::listObjectVersions(
    const QString &bucket, const S3VersionQuery &query)
{
    const int maxKeys = qBound(0, query.maxKeys, 1000);
    const QByteArray upper = prefixSuccessor(query.prefix);
    const bool bounded = !query.prefix.isEmpty() && !upper.isEmpty();
    QByteArray lower = query.prefix;
    if (!query.keyMarker.isEmpty()) {
        // Past the marker's key, or from it when a version of it is the marker.
        const QByteArray from
            = query.versionIdMarker.isEmpty() ? query.keyMarker + '\0' : query.keyMarker;
        if (from > lower)
            lower = from;
    }
    return withObjects([&](Database &db) -> Result<S3VersionList> {
        if (!hasBucket(bucket))
            return s3errors::noSuchBucket(bucket);
        // Current versions first within a key, then older ones newest first. Not a hot path:
        // one pass over the range, skipping what a delimiter rolls up.
        const std::string bound = bounded ? " AND key < ?3" : "";
        auto s = db.prepare(std::string("SELECT ") + kObjectColumns
            + ", 1, 0 FROM s3_objects WHERE bucket = ?1 AND key >= ?2" + bound
            + " UNION ALL SELECT " + kObjectColumns
            + ", 0, noncurrent_ns FROM s3_versions WHERE bucket = ?1 AND key >= ?2" + bound
            + " ORDER BY 1, 17 DESC, 14 DESC");
        if (!s)
            return storeError(s.error());
        s->bind(1, bucket).bind(2, lower);
        if (bounded)
            s->bind(3, upper);
        S3VersionList result;
        if (maxKeys == 0)
            return result;
        int count = 0;
        bool skippingMarkerKey = !query.versionIdMarker.isEmpty();
        QByteArray rolledUp; // the common prefix whose keys are being skipped
        while (true) {
            auto row = s->step();
            if (!row)
                return storeError(row.error());
            if (!*row)
                break;
            const QByteArray key = s->blob(0);
            if (skippingMarkerKey) {
                if (key == query.keyMarker) {
                    const QByteArray id = s->blob(12);
                    const QByteArray name = id.isEmpty() ? QByteArray("null") : id;
                    if (name == query.versionIdMarker)
                        skippingMarkerKey = false; // the next row is the first listed
                    continue;
                }
                skippingMarkerKey = false;
            }
            if (!rolledUp.isEmpty() && key.startsWith(rolledUp))
                continue;
            if (!query.delimiter.isEmpty()) {
                const qsizetype at = key.indexOf(query.delimiter, query.prefix.size());
                if (at >= 0) {
                    const QByteArray prefix = key.left(at + query.delimiter.size());
                    rolledUp = prefix;
                    // A common prefix at or before the key marker was returned already.
                    if (!query.keyMarker.isEmpty() && prefix <= query.keyMarker)
                        continue;
                    if (count == maxKeys) {
                        result.truncated = true;
                        break;
                    }
                    result.commonPrefixes.append(prefix);
                    result.nextKeyMarker = prefix;
                    result.nextVersionIdMarker.clear();
                    ++count;
                    continue;
                }
            }
            if (count == maxKeys) {
                result.truncated = true;
                break;
            }
            S3Object o = readObject(*s, bucket);
            o.isLatest = s->int64(16) != 0;
            o.noncurrentNs = s->int64(17);
            result.nextKeyMarker = o.key;
            result.nextVersionIdMarker = o.versionName();
            result.versions.append(std::move(o));
            ++count;
        }
        if (!result.truncated) {
            result.nextKeyMarker.clear();
            result.nextVersionIdMarker.clear();
        }
        return result;
    });
}

QByteArray S3Store::serializeHeaders(const QList<std::pair<QByteArray, QByteArray>> &headers)
{
    QByteArray out;
    for (const auto &[name, value] : headers) {
        out += name;
        out += ':';
        out += value;
        out += '\n';
    }
    return out;
}

QList<std::pair<QByteArray, QByteArray>> S3Store::parseHeaders(const QByteArray &serialized)
{
    QList<std::pair<QByteArray, QByteArray>> out;
    qsizetype pos = 0;
    while (pos < serialized.size()) {
        qsizetype nl = serialized.indexOf('\n', pos);
        if (nl < 0)
            nl = serialized.size();
        const qsizetype colon = serialized.indexOf(':', pos);
        if (colon > pos && colon < nl)
            out.append(
                {serialized.mid(pos, colon - pos), serialized.mid(colon + 1, nl - colon - 1)});
        pos = nl + 1;
    }
    return out;
}

QByteArray S3Store::multipartEtag(const QList<QByteArray> &partMd5s)
{
    Digest md5(Digest::Algorithm::Md5);
    for (const QByteArray &m : partMd5s)
        md5.add(m);
    return md5.result().toHex() + '-' + QByteArray::number(partMd5s.size());
}

// Multipart uploads.

Result<S3Upload> S3Store::createUpload(const QString &bucket, const QByteArray &key,
    const S3ObjectAttributes &attributes, ChecksumAlgorithm checksumAlgorithm)
{
    if (auto r = checkKey(key); !r)
        return r.error();
    S3Upload u;
    u.uploadId = randomHex(16);
    u.bucket = bucket;
    u.key = key;
    u.initiatedNs = m_clock->nowNs();
    u.storageClass = attributes.storageClass;
    u.checksumAlgorithm = checksumAlgorithm;
    auto done = m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare("INSERT INTO s3_uploads (upload_id, bucket, key, initiated_ns, headers,"
                            " storage_class, checksum_alg, tagging, system)"
                            " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9"
                            " WHERE EXISTS (SELECT 1 FROM s3_buckets WHERE name = ?2)");
        if (!s)
            return storeError(s.error());
        s->bind(1, u.uploadId)
            .bind(2, bucket)
            .bind(3, key)
            .bind(4, u.initiatedNs)
            .bind(5, serializeHeaders(attributes.headers))
            .bind(6, attributes.storageClass)
            .bind(7, checksumAlgorithmName(checksumAlgorithm))
            .bind(8, attributes.tagging)
            .bind(9, attributes.system);
        if (auto r = s->exec(); !r)
            return storeError(r.error());
        if (db.changes() == 0)
            return s3errors::noSuchBucket(bucket);
        return {};
    });
    if (!done)
        return done.error();
    return u;
}

Result<S3Upload> S3Store::upload(
    const QString &bucket, const QByteArray &key, const QByteArray &uploadId)
{
    if (!isHexId(uploadId))
        return s3errors::noSuchUpload(uploadId);
    return m_store->write([&](Database &db) -> Result<S3Upload> {
        auto s = db.prepare("SELECT initiated_ns, storage_class, checksum_alg, system"
                            " FROM s3_uploads WHERE upload_id = ?1 AND bucket = ?2 AND key = ?3");
        if (!s)
            return storeError(s.error());
        s->bind(1, uploadId).bind(2, bucket).bind(3, key);
        auto row = s->step();
        if (!row)
            return storeError(row.error());
        if (!*row)
            return s3errors::noSuchUpload(uploadId);
        S3Upload u;
        u.uploadId = uploadId;
        u.bucket = bucket;
        u.key = key;
        u.initiatedNs = s->int64(0);
        u.storageClass = s->blob(1);
        u.checksumAlgorithm = checksumAlgorithmFromName(s->blob(2));
        if (!s->isNull(3)) {
            S3Object system;
            system.system = s->blob(3);
            u.fullObjectChecksum = system.systemValue("checksum-type") == "FULL_OBJECT";
            u.system = system.system;
        }
        return u;
    });
}

Result<S3Part> S3Store::uploadPart(const QString &bucket, const QByteArray &key,
    const QByteArray &uploadId, int partNumber, const S3StagedBody &body)
{
    if (partNumber < 1 || partNumber > kMaxParts)
        return s3errors::invalidArgument(
            QStringLiteral("Part number must be an integer between 1 and 10000, inclusive"));
    if (body.size > kMaxPutSize)
        return s3errors::entityTooLarge(body.size, kMaxPutSize);
    auto u = upload(bucket, key, uploadId);
    if (!u)
        return u.error();
    const QString dir = partsDir(uploadId);
    const QString fileName = QString::number(partNumber) + u'-' + QString::fromLatin1(randomHex(6));
    QDir().mkpath(dir);
    if (body.path.isEmpty()) {
        QFile file(dir + u'/' + fileName);
        if (!file.open(QIODevice::WriteOnly | QIODevice::NewOnly)
            || file.write(body.data) != body.data.size() || !file.flush()
            || ::fdatasync(file.handle()) != 0)
            return s3errors::internalError(QStringLiteral("cannot store the part"));
    } else {
        if (auto r = syncPath(body.path); !r)
            return r.error();
        if (::rename(QFile::encodeName(body.path).constData(),
                QFile::encodeName(dir + u'/' + fileName).constData())
            != 0)
            return s3errors::internalError(QStringLiteral("cannot store the part"));
    }
    S3Part part;
    part.partNumber = partNumber;
    part.size = body.size;
    part.etag = body.md5.toHex();
    part.checksum = body.checksum.toBase64();
    part.checksumAlgorithm = body.checksumAlgorithm;
    part.lastModifiedNs = m_clock->nowNs();
    QString oldFile;
    auto done = m_store->write([&](Database &db) -> Result<void> {
        Transaction tx(db);
        if (!tx.began())
            return storeError(tx.began().error());
        auto exists = db.prepare("SELECT 1 FROM s3_uploads WHERE upload_id = ?1");
        auto old
            = db.prepare("SELECT file FROM s3_parts WHERE upload_id = ?1 AND part_number = ?2");
        auto put = db.prepare(
            "INSERT INTO s3_parts (upload_id, part_number, file, size, etag, md5, checksum,"
            " modified_ns, checksum_alg, sha256)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            " ON CONFLICT (upload_id, part_number) DO UPDATE SET file = excluded.file,"
            " size = excluded.size, etag = excluded.etag, md5 = excluded.md5,"
            " checksum = excluded.checksum, modified_ns = excluded.modified_ns,"
            " checksum_alg = excluded.checksum_alg, sha256 = excluded.sha256");
        if (!exists || !old || !put)
            return s3errors::internalError(QStringLiteral("cannot prepare"));
        exists->bind(1, uploadId);
        auto row = exists->step();
        if (!row || !*row)
            return s3errors::noSuchUpload(uploadId);
        old->bind(1, uploadId).bind(2, partNumber);
        row = old->step();
        if (row && *row)
            oldFile = old->text(0);
        put->bind(1, uploadId)
            .bind(2, partNumber)
            .bind(3, fileName)
            .bind(4, part.size)
            .bind(5, part.etag)
            .bind(6, body.md5)
            .bind(7, part.checksum)
            .bind(8, part.lastModifiedNs)
            .bind(9, checksumAlgorithmName(part.checksumAlgorithm))
            .bind(10, body.sha256Hex);
        if (auto r = put->exec(); !r)
            return storeError(r.error());
        return tx.commit();
    });
    if (!done) {
        QFile::remove(dir + u'/' + fileName);
        return done.error();
    }
    if (!oldFile.isEmpty())
        QFile::remove(dir + u'/' + oldFile);
    return part;
}

Result<S3Object> S3Store::completeUpload(const QString &bucket, const QByteArray &key,
    const QByteArray &uploadId, const QList<S3CompletedPart> &parts, const S3Origin &origin)
{
    auto u = upload(bucket, key, uploadId);
    if (!u) {
        if (u.error().code != QLatin1String("NoSuchUpload") || !isHexId(uploadId))
            return u.error();
        // A retry of a completion whose answer was lost: the same answer again.
        auto again = m_store->write([&](Database &db) -> Result<S3Object> {
            auto s = db.prepare("SELECT etag, version_id, checksum_alg, checksum, completed_ns"
                                " FROM s3_completed WHERE upload_id = ?1 AND bucket = ?2"
                                " AND key = ?3");
            if (!s)
                return storeError(s.error());
            s->bind(1, uploadId).bind(2, bucket).bind(3, key);
            auto row = s->step();
            if (!row)
                return storeError(row.error());
            if (!*row)
                return u.error();
            S3Object o;
            o.bucket = bucket;
            o.key = key;
            o.etag = s->blob(0);
            o.versionId = s->blob(1);
            o.checksumAlgorithm = checksumAlgorithmFromName(s->blob(2));
            o.checksum = s->blob(3);
            o.lastModifiedNs = s->int64(4);
            return o;
        });
        return again;
    }
    if (parts.isEmpty())
        return s3errors::malformedXml(QStringLiteral("no parts"));
    for (qsizetype i = 1; i < parts.size(); ++i) {
        if (parts[i].partNumber <= parts[i - 1].partNumber)
            return s3errors::invalidPartOrder();
    }
    struct Stored
    {
        QString file;
        qint64 size;
        QByteArray etag;
        QByteArray md5;
        QByteArray checksum;
        QByteArray sha256Hex; // empty for parts stored before Tarmac kept it
    };
    QHash<int, Stored> stored;
    auto loaded = m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare("SELECT part_number, file, size, etag, md5, checksum, checksum_alg,"
                            " sha256 FROM s3_parts WHERE upload_id = ?1");
        if (!s)
            return storeError(s.error());
        s->bind(1, uploadId);
        const Result<void> walked = s->forEachRow([&] {
            const bool sameAlgorithm
                = checksumAlgorithmFromName(s->blob(6)) == u->checksumAlgorithm;
            stored.insert(int(s->int64(0)),
                {s->text(1), s->int64(2), s->blob(3), s->blob(4),
                    sameAlgorithm ? s->blob(5) : QByteArray(), s->blob(7)});
        });
        if (!walked)
            return storeError(walked.error());
        return {};
    });
    if (!loaded)
        return loaded.error();
    QList<QByteArray> md5s;
    QList<qint64> partSizes;
    QByteArray checksums;
    qint64 total = 0;
    for (const S3CompletedPart &p : parts) {
        const auto it = stored.constFind(p.partNumber);
        if (it == stored.constEnd() || it->etag != p.etag)
            return s3errors::invalidPart(p.partNumber);
    }
    for (qsizetype i = 0; i < parts.size(); ++i) {
        const auto it = stored.constFind(parts[i].partNumber);
        if (i + 1 < parts.size() && it->size < kMinPartSize)
            return s3errors::entityTooSmall();
        md5s.append(it->md5);
        checksums += QByteArray::fromBase64(it->checksum);
        total += it->size;
        partSizes.append(it->size);
    }
    if (total > kMaxObjectSize)
        return s3errors::entityTooLarge(total, kMaxObjectSize);

    // One file for the object, so a GET streams one file: the parts are concatenated inside the
    // kernel (copy_file_range), never through this process's memory. The blob is named by a
    // tree hash, SHA-256 over the parts' SHA-256s and sizes: derived from the content like any
    // blob name, and known without reading the object again (on 1 GiB that read cost seconds).
    const QString target = newStagingPath();
    QFile out(target);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Unbuffered))
        return s3errors::internalError(QStringLiteral("cannot create ") + target);
    Digest tree(Digest::Algorithm::Sha256);
    tree.add("tarmac-multipart-v1");
    const QString dir = partsDir(uploadId);
    for (const S3CompletedPart &p : parts) {
        const Stored &part = stored[p.partNumber];
        QFile in(dir + u'/' + part.file);
        if (!in.open(QIODevice::ReadOnly | QIODevice::Unbuffered)) {
            out.remove();
            return s3errors::internalError(QStringLiteral("a part's file is missing"));
        }
        const QByteArray partSha
            = part.sha256Hex.size() == 64 ? part.sha256Hex : hashFileSha256(in);
        tree.add(partSha);
        tree.add(QByteArray(QByteArray::number(part.size) + '\n'));
        if (!appendFile(in, out)) {
            out.remove();
            return s3errors::internalError(QStringLiteral("cannot write the object"));
        }
    }
    out.close();
    QByteArray fullChecksum;
    if (u->fullObjectChecksum && u->checksumAlgorithm != ChecksumAlgorithm::None) {
        // One CRC over every byte: read the object once (CRCs of parts do not simply add up).
        QFile whole(target);
        if (!whole.open(QIODevice::ReadOnly)) {
            QFile::remove(target);
            return s3errors::internalError(QStringLiteral("cannot read the object"));
        }
        Checksum sum(u->checksumAlgorithm);
        QByteArray buffer(1024 * 1024, Qt::Uninitialized);
        for (qint64 n; (n = whole.read(buffer.data(), buffer.size())) > 0;)
            sum.add(buffer.constData(), n);
        fullChecksum = sum.resultBase64();
    }
    S3Object o;
    o.bucket = bucket;
    o.key = key;
    o.size = total;
    o.etag = multipartEtag(md5s);
    o.blob = tree.result().toHex();
    o.partsCount = int(parts.size());
    o.partSizes = partSizes;
    o.storageClass = u->storageClass;
    if (!fullChecksum.isEmpty()) {
        o.checksumAlgorithm = u->checksumAlgorithm;
        o.checksum = fullChecksum;
    } else if (u->checksumAlgorithm != ChecksumAlgorithm::None
        && checksums.size() == parts.size() * checksumSize(u->checksumAlgorithm)) {
        o.checksumAlgorithm = u->checksumAlgorithm;
        o.checksum = Checksum::compute(u->checksumAlgorithm, checksums).toBase64() + '-'
            + QByteArray::number(parts.size());
    }
    auto published = m_store->blobs().adoptHashedFile(
        target, BlobStore::Stored {o.blob, QByteArray(), o.size});
    if (!published) {
        QFile::remove(target);
        return storeError(published.error());
    }
    o.lastModifiedNs = m_clock->nowNs();
    auto done = withObjects([&](Database &db) -> Result<void> {
        Transaction tx(db);
        if (!tx.began())
            return storeError(tx.began().error());
        auto meta
            = db.prepare("SELECT headers, tagging, system FROM s3_uploads WHERE upload_id = ?1");
        if (!meta)
            return storeError(meta.error());
        meta->bind(1, uploadId);
        auto row = meta->step();
        if (!row || !*row)
            return s3errors::noSuchUpload(uploadId); // completed or aborted meanwhile
        o.headers = meta->blob(0);
        o.tagging = meta->blob(1);
        if (!meta->isNull(2))
            o.system = meta->blob(2);
        meta->reset();
        // Which part numbers the object is made of, when not 1..N (SSE-C parts are encrypted
        // under their number).
        bool consecutive = true;
        QByteArray numbers;
        for (qsizetype i = 0; i < parts.size(); ++i) {
            consecutive = consecutive && parts[i].partNumber == i + 1;
            numbers += (i ? "," : "") + QByteArray::number(parts[i].partNumber);
        }
        if (!consecutive)
            o.setSystemValue("part-numbers", numbers);
        const S3Versioning mode = versioning(bucket);
        stampVersion(o, mode);
        if (auto r = retireCurrent(bucket, key, mode); !r)
            return r;
        if (auto r = upsertObject(o); !r)
            return storeError(r.error());
        if (db.changes() == 0)
            return s3errors::noSuchBucket(bucket);
        if (auto r = forgetUpload(db, uploadId); !r)
            return r;
        // A completion is remembered for a day: long enough for any client's retries.
        auto forget = db.prepare("DELETE FROM s3_completed WHERE completed_ns < ?1");
        if (!forget)
            return storeError(forget.error());
        forget->bind(1, o.lastModifiedNs - 86'400LL * 1'000'000'000);
        if (auto r = forget->exec(); !r)
            return storeError(r.error());
        auto remember = db.prepare(
            "INSERT OR REPLACE INTO s3_completed (upload_id, bucket, key, etag, version_id,"
            " checksum_alg, checksum, completed_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        if (!remember)
            return storeError(remember.error());
        remember->bind(1, uploadId)
            .bind(2, bucket)
            .bind(3, key)
            .bind(4, o.etag)
            .bind(5, asText(o.versionId))
            .bind(6, checksumAlgorithmName(o.checksumAlgorithm))
            .bind(7, o.checksum)
            .bind(8, o.lastModifiedNs);
        if (auto r = remember->exec(); !r)
            return storeError(r.error());
        return tx.commit();
    });
    if (!done)
        return done.error();
    QDir(dir).removeRecursively();
    emitEvent(QStringLiteral("ObjectCreated:CompleteMultipartUpload"), o, origin);
    return o;
}

Result<void> S3Store::abortUpload(
    const QString &bucket, const QByteArray &key, const QByteArray &uploadId)
{
    auto u = upload(bucket, key, uploadId);
    if (!u)
        return u.error();
    auto done = m_store->write([&](Database &db) -> Result<void> {
        Transaction tx(db);
        if (!tx.began())
            return storeError(tx.began().error());
        if (auto r = forgetUpload(db, uploadId); !r)
            return r;
        return tx.commit();
    });
    if (!done)
        return done;
    QDir(partsDir(uploadId)).removeRecursively();
    return {};
}

Result<QList<S3Part>> S3Store::listParts(const QString &bucket, const QByteArray &key,
    const QByteArray &uploadId, int afterPart, int maxParts, bool *truncated)
{
    auto u = upload(bucket, key, uploadId);
    if (!u)
        return u.error();
    maxParts = qBound(0, maxParts, 1000);
    return m_store->write([&](Database &db) -> Result<QList<S3Part>> {
        auto s = db.prepare("SELECT part_number, size, etag, checksum, modified_ns, checksum_alg"
                            " FROM s3_parts"
                            " WHERE upload_id = ?1 AND part_number > ?2 ORDER BY part_number"
                            " LIMIT ?3");
        if (!s)
            return storeError(s.error());
        s->bind(1, uploadId).bind(2, afterPart).bind(3, maxParts + 1);
        QList<S3Part> out;
        *truncated = false;
        const Result<void> walked = s->forEachRow([&] {
            if (out.size() == maxParts) {
                *truncated = true;
                return false;
            }
            out.append({int(s->int64(0)), s->int64(1), s->blob(2), s->blob(3), s->int64(4),
                checksumAlgorithmFromName(s->blob(5))});
            return true;
        });
        if (!walked)
            return storeError(walked.error());
        return out;
    });
}

Result<QList<S3Upload>> S3Store::listUploads(
    const QString &bucket, const QByteArray &prefix, int maxUploads, bool *truncated)
{
    if (auto b = this->bucket(bucket); !b)
        return b.error();
    maxUploads = qBound(0, maxUploads, 1000);
    return m_store->write([&](Database &db) -> Result<QList<S3Upload>> {
        auto s = db.prepare("SELECT upload_id, key, initiated_ns, storage_class, checksum_alg"
                            " FROM s3_uploads WHERE bucket = ?1 AND substr(key, 1, ?3) = ?2"
                            " ORDER BY key, initiated_ns LIMIT ?4");
        if (!s)
            return storeError(s.error());
        s->bind(1, bucket).bind(2, prefix).bind(3, int(prefix.size())).bind(4, maxUploads + 1);
        QList<S3Upload> out;
        *truncated = false;
        const Result<void> walked = s->forEachRow([&] {
            if (out.size() == maxUploads) {
                *truncated = true;
                return false;
            }
            S3Upload u;
            u.uploadId = s->blob(0);
            u.bucket = bucket;
            u.key = s->blob(1);
            u.initiatedNs = s->int64(2);
            u.storageClass = s->blob(3);
            u.checksumAlgorithm = checksumAlgorithmFromName(s->blob(4));
            out.append(u);
            return true;
        });
        if (!walked)
            return storeError(walked.error());
        return out;
    });
}

} // namespace tarmac
