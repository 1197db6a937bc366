#include "services/s3/s3store.h"

#include "base/clock.h"
#include "store/segmentlog.h"
#include "store/store.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QMap>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <thread>

#include <csignal>
#include <unistd.h>

using namespace tarmac;

namespace {

// The listing S3 defines, computed the obvious way: the reference the model is checked against.
S3ListResult referenceListing(QList<QByteArray> keys, const S3ListQuery &q)
{
    std::sort(keys.begin(), keys.end());
    S3ListResult r;
    if (q.maxKeys == 0)
        return r; // S3: asking for no keys is not a truncated answer
    int count = 0;
    for (const QByteArray &key : std::as_const(keys)) {
        if (!key.startsWith(q.prefix) || (!q.after.isEmpty() && key <= q.after))
            continue;
        QByteArray item = key;
        bool isPrefix = false;
        if (!q.delimiter.isEmpty()) {
            const qsizetype at = key.indexOf(q.delimiter, q.prefix.size());
            if (at >= 0) {
                item = key.left(at + q.delimiter.size());
                isPrefix = true;
                if ((!r.commonPrefixes.isEmpty() && r.commonPrefixes.last() == item)
                    || (!q.after.isEmpty() && item <= q.after))
                    continue;
            }
        }
        if (count == q.maxKeys) {
            r.truncated = true;
            break;
        }
        if (isPrefix) {
            r.commonPrefixes.append(item);
        } else {
            S3Object o;
            o.key = key;
            r.objects.append(o);
        }
        r.last = item;
        ++count;
    }
    return r;
}

QString describe(const S3ListResult &r)
{
    QStringList objects;
    for (const S3Object &o : r.objects)
        objects.append(QString::fromUtf8(o.key));
    QStringList prefixes;
    for (const QByteArray &p : r.commonPrefixes)
        prefixes.append(QString::fromUtf8(p));
    return objects.join(u',') + u'|' + prefixes.join(u',') + (r.truncated ? u"|more" : u"|end");
}

const QList<QByteArray> kKeys = {
    "a",
    "a/b",
    "a/b/c",
    "a/c",
    "b",
    "b/",
    "b//x",
    "c%d",
    "photos/2024/a.jpg",
    "photos/2024/b.jpg",
    "photos/2025/a.jpg",
    "photos/x.jpg",
    "z",
    "\xc3\xa9t\xc3\xa9",
    "\xef\xbc\xa1",
    "~",
    "a b",
    "a+b",
};

} // namespace

class TestS3Store : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void buckets();
    void listing_data();
    void listing();
    void paginationMatchesReference_data();
    void paginationMatchesReference();
    void objectsAndConditions();
    void multipartEtagAndRules();
    void events();
    void reopenKeepsState();
    void smallBodiesLiveInTheSegmentLog();
    void compactionReclaimsSegments();
    void compactionWhileServing();
    void killedProcessKeepsAcknowledgedPuts();

private:
    S3StagedBody stage(
        const QByteArray &data, ChecksumAlgorithm algorithm = ChecksumAlgorithm::None);
    // A body the API keeps in memory (up to kInlineLimit): it goes to the segment log.
    static S3StagedBody stageSmall(const QByteArray &data);
    void putKeys(const QString &bucket, const QList<QByteArray> &keys);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<Store> m_db;
    std::unique_ptr<S3Store> m_s3;
};

void TestS3Store::initTestCase()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_clock = std::make_unique<ManualClock>();
    auto store = Store::open(m_dir->path());
    QVERIFY(store);
    m_db = std::move(*store);
    m_s3 = std::make_unique<S3Store>(m_db.get(), m_clock.get(), m_dir->path());
    QVERIFY(m_s3->open());
    // One bucket of keys for every listing row: blob writes are synced, so they are slow.
    QVERIFY(m_s3->createBucket(QStringLiteral("list"), QStringLiteral("us-east-1")));
    putKeys(QStringLiteral("list"), kKeys);
}

void TestS3Store::cleanupTestCase()
{
    m_s3.reset();
    m_db.reset();
    m_dir.reset();
}

S3StagedBody TestS3Store::stage(const QByteArray &data, ChecksumAlgorithm algorithm)
{
    S3StagedBody body;
    body.path = m_s3->newStagingPath();
    QFile f(body.path);
    if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size())
        qFatal("cannot stage");
    BodyDigest d(algorithm);
    d.add(data);
    d.finish();
    body.size = d.size();
    body.md5 = d.md5();
    body.sha256Hex = d.sha256Hex();
    body.checksumAlgorithm = algorithm;
    body.checksum = d.checksum();
    return body;
}

S3StagedBody TestS3Store::stageSmall(const QByteArray &data)
{
    S3StagedBody body;
    body.data = data;
    BodyDigest d;
    d.add(data);
    d.finish();
    body.size = d.size();
    body.md5 = d.md5();
    body.sha256Hex = d.sha256Hex();
    return body;
}

void TestS3Store::putKeys(const QString &bucket, const QList<QByteArray> &keys)
{
    for (const QByteArray &k : keys)
        QVERIFY(m_s3->putObject(bucket, k, stage(k), {}));
}

void TestS3Store::buckets()
{
    QVERIFY(m_s3->createBucket(QStringLiteral("b-one"), QStringLiteral("us-east-1")));
    auto again = m_s3->createBucket(QStringLiteral("b-one"), QStringLiteral("us-east-1"));
    QCOMPARE(again.error().code, QStringLiteral("BucketAlreadyOwnedByYou"));
    QCOMPARE(m_s3->createBucket(QStringLiteral("Bad_Name"), {}).error().code,
        QStringLiteral("InvalidBucketName"));
    for (const char *bad : {"ab", "-ab", "ab-", "a..b", "10.0.0.1", "xn--abc", "a.-b", "sthree-abc",
             "sthree-configurator", "amzn-s3-demo-bucket", "abc-s3alias", "abc--ol-s3", "abc.mrap",
             "abc--x-s3", "abc--table-s3"})
        QVERIFY2(!S3Store::isValidBucketName(QString::fromLatin1(bad)), bad);
    for (const char *good : {"abc", "my.bucket-1", "0ab", "a-b.c", "three-abc", "abc-ol-s3"})
        QVERIFY2(S3Store::isValidBucketName(QString::fromLatin1(good)), good);
    QVERIFY(m_s3->putObject(QStringLiteral("b-one"), "k", stage("v"), {}));
    QCOMPARE(
        m_s3->deleteBucket(QStringLiteral("b-one")).error().code, QStringLiteral("BucketNotEmpty"));
    QVERIFY(m_s3->deleteObject(QStringLiteral("b-one"), "k"));
    QVERIFY(m_s3->deleteBucket(QStringLiteral("b-one")));
    QCOMPARE(m_s3->bucket(QStringLiteral("b-one")).error().code, QStringLiteral("NoSuchBucket"));
    QCOMPARE(m_s3->putObject(QStringLiteral("b-one"), "k", stage("v"), {}).error().code,
        QStringLiteral("NoSuchBucket"));
}

void TestS3Store::listing_data()
{
    QTest::addColumn<QByteArray>("prefix");
    QTest::addColumn<QByteArray>("delimiter");
    QTest::addColumn<QByteArray>("after");
    QTest::addColumn<int>("maxKeys");
    QTest::addColumn<QString>("expected"); // objects|prefixes|more-or-end
    QTest::newRow("photos/ by /") << QByteArray("photos/") << QByteArray("/") << QByteArray()
                                  << 1000 << "photos/x.jpg|photos/2024/,photos/2025/|end";
    QTest::newRow("top level")
        << QByteArray() << QByteArray("/") << QByteArray() << 1000
        << "a,a b,a+b,b,c%d,z,~,\xc3\xa9t\xc3\xa9,\xef\xbc\xa1|a/,b/,photos/|end";
    QTest::newRow("prefix without delimiter")
        << QByteArray("a/") << QByteArray() << QByteArray() << 1000 << "a/b,a/b/c,a/c||end";
    QTest::newRow("first two") << QByteArray() << QByteArray() << QByteArray() << 2
                               << "a,a b||more";
    QTest::newRow("prefix is a whole key")
        << QByteArray("b/") << QByteArray("/") << QByteArray() << 1000 << "b/|b//|end";
    QTest::newRow("after a common prefix")
        << QByteArray() << QByteArray("/") << QByteArray("a/") << 3 << "b,c%d|b/|more";
    QTest::newRow("marker inside a common prefix")
        << QByteArray("photos/") << QByteArray("/") << QByteArray("photos/2024/a.jpg") << 1000
        << "photos/x.jpg|photos/2025/|end";
    QTest::newRow("multi-byte delimiter")
        << QByteArray("photos/") << QByteArray("/a") << QByteArray() << 1000
        << "photos/2024/b.jpg,photos/x.jpg|photos/2024/a,photos/2025/a|end";
    QTest::newRow("zero keys") << QByteArray() << QByteArray() << QByteArray() << 0
                               << "||end"; // S3: max-keys=0 is not truncated
    QTest::newRow("no match") << QByteArray("nothing") << QByteArray("/") << QByteArray() << 10
                              << "||end";
    QTest::newRow("utf-8 order") << QByteArray() << QByteArray() << QByteArray("~") << 10
                                 << "\xc3\xa9t\xc3\xa9,\xef\xbc\xa1||end";
}

void TestS3Store::listing()
{
    QFETCH(QByteArray, prefix);
    QFETCH(QByteArray, delimiter);
    QFETCH(QByteArray, after);
    QFETCH(int, maxKeys);
    QFETCH(QString, expected);
    const S3ListQuery q {prefix, delimiter, after, maxKeys};
    const auto listed = m_s3->listObjects(QStringLiteral("list"), q);
    QVERIFY(listed);
    QCOMPARE(describe(*listed), expected);
    QCOMPARE(describe(*listed), describe(referenceListing(kKeys, q)));
}

void TestS3Store::paginationMatchesReference_data()
{
    QTest::addColumn<QByteArray>("prefix");
    QTest::addColumn<QByteArray>("delimiter");
    for (int pageSize : {1, 2, 3, 7}) {
        const QByteArray size = QByteArray::number(pageSize);
        QTest::newRow(QByteArray("all, page " + size).constData()) << QByteArray() << QByteArray();
        QTest::newRow(QByteArray("by /, page " + size).constData())
            << QByteArray() << QByteArray("/");
        QTest::newRow(QByteArray("photos by /, page " + size).constData())
            << QByteArray("photos/") << QByteArray("/");
        QTest::newRow(QByteArray("by b, page " + size).constData())
            << QByteArray("a") << QByteArray("b");
    }
}

void TestS3Store::paginationMatchesReference()
{
    QFETCH(QByteArray, prefix);
    QFETCH(QByteArray, delimiter);
    const int pageSize = QTest::currentDataTag()[qstrlen(QTest::currentDataTag()) - 1] - '0';
    // Walking the pages, each starting after the last item of the one before, gives exactly
    // the full listing.
    S3ListResult all;
    S3ListQuery q {prefix, delimiter, {}, pageSize};
    for (int pages = 0; pages < 100; ++pages) {
        const auto page = m_s3->listObjects(QStringLiteral("list"), q);
        QVERIFY(page);
        QVERIFY(page->objects.size() + page->commonPrefixes.size() <= pageSize);
        all.objects += page->objects;
        all.commonPrefixes += page->commonPrefixes;
        if (!page->truncated)
            break;
        q.after = page->last;
    }
    const S3ListResult expected = referenceListing(kKeys, {prefix, delimiter, {}, 1000});
    QCOMPARE(describe(all), describe(expected));
}

void TestS3Store::objectsAndConditions()
{
    const QString b = QStringLiteral("objs");
    QVERIFY(m_s3->createBucket(b, QStringLiteral("us-east-1")));
    S3ObjectAttributes attributes;
    attributes.headers = {{"content-type", "text/plain"}, {"x-amz-meta-a", "1"}};
    attributes.tagging = "t=1&u=2";
    auto put = m_s3->putObject(b, "k", stage("hello world", ChecksumAlgorithm::Crc32), attributes);
    QVERIFY(put);
    QCOMPARE(put->etag, QByteArray("5eb63bbbe01eeed093cb22bb8f5acdc3"));
    auto got = m_s3->object(b, "k");
    QVERIFY(got);
    QCOMPARE(got->size, 11);
    QCOMPARE(got->checksum, QByteArray("DUoRhQ=="));
    QCOMPARE(got->tagCount(), 2);
    QCOMPARE(S3Store::parseHeaders(got->headers), attributes.headers);
    QFile blob(m_s3->blobPath(got->blob));
    QVERIFY(blob.open(QIODevice::ReadOnly));
    QCOMPARE(blob.readAll(), QByteArray("hello world"));

    S3Conditions absent;
    absent.ifNoneMatch = "*";
    QCOMPARE(m_s3->putObject(b, "k", stage("x"), {}, absent).error().httpStatus, 412);
    S3Conditions match;
    match.ifMatch = "nope";
    QCOMPARE(m_s3->putObject(b, "k", stage("x"), {}, match).error().code,
        QStringLiteral("PreconditionFailed"));
    QCOMPARE(m_s3->object(b, "missing").error().code, QStringLiteral("NoSuchKey"));
    QCOMPARE(
        m_s3->object(QStringLiteral("nobucket"), "k").error().code, QStringLiteral("NoSuchBucket"));
    QCOMPARE(
        S3Store::checkKey(QByteArray(1025, 'k')).error().code, QStringLiteral("KeyTooLongError"));
    QVERIFY(S3Store::checkKey(QByteArray(1024, 'k')));

    auto copy = m_s3->copyObject(b, "k", b, "copy", nullptr, nullptr);
    QVERIFY(copy);
    QCOMPARE(copy->blob, got->blob); // content-addressed: no second copy of the bytes
    QCOMPARE(m_s3->copyObject(b, "k", b, "k", nullptr, nullptr).error().code,
        QStringLiteral("InvalidRequest"));
    QCOMPARE(m_s3->deleteObject(b, "copy")->removed, true);
    QCOMPARE(m_s3->deleteObject(b, "copy")->removed, false);
}

void TestS3Store::multipartEtagAndRules()
{
    const QString b = QStringLiteral("mpu");
    QVERIFY(m_s3->createBucket(b, QStringLiteral("us-east-1")));
    auto upload = m_s3->createUpload(b, "big", {}, ChecksumAlgorithm::Crc32);
    QVERIFY(upload);
    const QByteArray one(S3Store::kMinPartSize, 'x');
    auto p1 = m_s3->uploadPart(b, "big", upload->uploadId, 1, stage(one, ChecksumAlgorithm::Crc32));
    auto p2
        = m_s3->uploadPart(b, "big", upload->uploadId, 2, stage("two", ChecksumAlgorithm::Crc32));
    QVERIFY(p1 && p2);
    QCOMPARE(m_s3->completeUpload(b, "big", upload->uploadId, {{2, p2->etag}, {1, p1->etag}})
                 .error()
                 .code,
        QStringLiteral("InvalidPartOrder"));
    QCOMPARE(m_s3->completeUpload(b, "big", upload->uploadId, {{1, p2->etag}}).error().code,
        QStringLiteral("InvalidPart"));
    QCOMPARE(
        m_s3->uploadPart(b, "big", "0123456789abcdef0123456789abcdef", 1, stage("x")).error().code,
        QStringLiteral("NoSuchUpload"));
    QCOMPARE(m_s3->uploadPart(b, "big", "../../etc", 1, stage("x")).error().code,
        QStringLiteral("NoSuchUpload"));
    QCOMPARE(m_s3->uploadPart(b, "big", upload->uploadId, 10001, stage("x")).error().code,
        QStringLiteral("InvalidArgument"));

    // A small part that is not the last one.
    auto small = m_s3->createUpload(b, "small", {}, ChecksumAlgorithm::None);
    auto s1 = m_s3->uploadPart(b, "small", small->uploadId, 1, stage("a"));
    auto s2 = m_s3->uploadPart(b, "small", small->uploadId, 2, stage("b"));
    QCOMPARE(m_s3->completeUpload(b, "small", small->uploadId, {{1, s1->etag}, {2, s2->etag}})
                 .error()
                 .code,
        QStringLiteral("EntityTooSmall"));
    QVERIFY(m_s3->abortUpload(b, "small", small->uploadId));
    QCOMPARE(m_s3->abortUpload(b, "small", small->uploadId).error().code,
        QStringLiteral("NoSuchUpload"));

    bool truncated = true;
    auto parts = m_s3->listParts(b, "big", upload->uploadId, 0, 1, &truncated);
    QVERIFY(parts);
    QCOMPARE(parts->size(), 1);
    QVERIFY(truncated);

    auto done = m_s3->completeUpload(b, "big", upload->uploadId, {{1, p1->etag}, {2, p2->etag}});
    QVERIFY(done);
    const QByteArray expected
        = S3Store::multipartEtag({QCryptographicHash::hash(one, QCryptographicHash::Md5),
            QCryptographicHash::hash("two", QCryptographicHash::Md5)});
    QCOMPARE(done->etag, expected);
    QVERIFY(done->etag.endsWith("-2"));
    QCOMPARE(done->size, one.size() + 3);
    // Composite checksum: the CRC32 of the parts' CRC32s, then "-N".
    const QByteArray crcs = Checksum::compute(ChecksumAlgorithm::Crc32, one)
        + Checksum::compute(ChecksumAlgorithm::Crc32, "two");
    QCOMPARE(done->checksum, Checksum::compute(ChecksumAlgorithm::Crc32, crcs).toBase64() + "-2");
    QFile blob(m_s3->blobPath(done->blob));
    QCOMPARE(blob.size(), one.size() + 3);
    QCOMPARE(m_s3->upload(b, "big", upload->uploadId).error().code, QStringLiteral("NoSuchUpload"));
    QVERIFY(QDir(m_dir->path() + QStringLiteral("/s3/parts")).isEmpty());
}

void TestS3Store::events()
{
    QList<S3Event> seen;
    m_s3->setEventListener([&seen](const S3Event &e) { seen.append(e); });
    const auto stopListening = qScopeGuard([this] { m_s3->setEventListener({}); });
    const QString b = QStringLiteral("evts");
    QVERIFY(m_s3->createBucket(b, QStringLiteral("us-east-1")));
    S3Origin origin {
        "req-1", QByteArray(32, 'a'), QByteArray(16, 'b'), QStringLiteral("127.0.0.1")};
    QVERIFY(m_s3->putObject(b, "k", stage("abc"), {}, {}, origin));
    QVERIFY(m_s3->copyObject(b, "k", b, "k2", nullptr, nullptr, {}, origin));
    QVERIFY(m_s3->deleteObject(b, "k", origin));
    QVERIFY(m_s3->deleteObject(b, "never-there", origin)); // no event for nothing removed
    QCOMPARE(seen.size(), 3);
    QCOMPARE(seen[0].eventName, QStringLiteral("ObjectCreated:Put"));
    QCOMPARE(seen[0].size, 3);
    QCOMPARE(seen[0].etag, QByteArray("900150983cd24fb0d6963f7d28e17f72"));
    QCOMPARE(seen[0].origin.requestId, QByteArray("req-1"));
    QCOMPARE(seen[1].eventName, QStringLiteral("ObjectCreated:Copy"));
    QCOMPARE(seen[2].eventName, QStringLiteral("ObjectRemoved:Delete"));
    QVERIFY(seen[0].sequencer < seen[1].sequencer || seen[0].key != seen[1].key);
}

void TestS3Store::reopenKeepsState()
{
    const QString b = QStringLiteral("persist");
    QVERIFY(m_s3->createBucket(b, QStringLiteral("eu-west-1")));
    QVERIFY(m_s3->putObject(b, "k", stage("persisted"), {}));
    auto upload = m_s3->createUpload(b, "u", {}, ChecksumAlgorithm::None);
    QVERIFY(m_s3->uploadPart(b, "u", upload->uploadId, 1, stage("part")));
    // A part file whose row never committed (a crash in the middle of UploadPart).
    QFile orphan(m_dir->path() + QStringLiteral("/s3/parts/")
        + QString::fromLatin1(upload->uploadId) + QStringLiteral("/7-orphan"));
    QVERIFY(orphan.open(QIODevice::WriteOnly));
    orphan.close();
    m_s3.reset();
    m_s3 = std::make_unique<S3Store>(m_db.get(), m_clock.get(), m_dir->path());
    QVERIFY(m_s3->open());
    QCOMPARE(m_s3->bucket(b)->region, QStringLiteral("eu-west-1"));
    QCOMPARE(m_s3->object(b, "k")->size, 9);
    bool truncated = false;
    QCOMPARE(m_s3->listParts(b, "u", upload->uploadId, 0, 100, &truncated)->size(), 1);
    QVERIFY(!orphan.exists());
}

namespace {

// Where a row keeps its body: "log", "row" or "blob".
QByteArray placeOf(Store &store, const QString &bucket, const QByteArray &key)
{
    auto reader = store.openReader();
    if (!reader)
        return "no reader";
    auto s = (*reader)->prepare("SELECT blob, data IS NOT NULL, log_segment IS NOT NULL"
                                " FROM s3_objects WHERE bucket = ?1 AND key = ?2");
    if (!s)
        return "no statement";
    s->bind(1, bucket).bind(2, key);
    auto row = s->step();
    if (!row || !*row)
        return "no row";
    const QByteArray place = !s->blob(0).isEmpty() ? "blob"
        : s->int64(2)                              ? "log"
        : s->int64(1)                              ? "row"
                                                   : "nowhere";
    s->reset();
    return place;
}

QByteArray bodyOf(int i, int version, int size = 3000)
{
    QByteArray out = QByteArray::number(i) + '.' + QByteArray::number(version) + ':';
    while (out.size() < size)
        out += char('a' + (i * 7 + version * 3 + out.size()) % 26);
    return out;
}

} // namespace

void TestS3Store::smallBodiesLiveInTheSegmentLog()
{
    const QString b = QStringLiteral("small");
    QVERIFY(m_s3->createBucket(b, QStringLiteral("us-east-1")));
    const QByteArray body(4096, 'x');
    auto put = m_s3->putObject(b, "four-k", stageSmall(body), {});
    QVERIFY(put);
    QVERIFY(put->logSegment > 0);
    // The indexer commits the row soon after, without anyone asking.
    QTRY_COMPARE_WITH_TIMEOUT(placeOf(*m_db, b, "four-k"), QByteArray("log"), 2000);
    QCOMPARE(m_s3->object(b, "four-k")->data, body);
    QCOMPARE(m_s3->object(b, "four-k")->etag,
        QCryptographicHash::hash(body, QCryptographicHash::Md5).toHex());
    // Empty bodies need no record.
    QVERIFY(m_s3->putObject(b, "empty", stageSmall({}), {}));
    QCOMPARE(placeOf(*m_db, b, "empty"), QByteArray("row"));
    QCOMPARE(m_s3->object(b, "empty")->data, QByteArray());
    // A copy gets a record of its own; overwriting the source leaves the copy as it was.
    QVERIFY(m_s3->copyObject(b, "four-k", b, "copy", nullptr, nullptr));
    QCOMPARE(placeOf(*m_db, b, "copy"), QByteArray("log"));
    QVERIFY(m_s3->putObject(b, "four-k", stageSmall("changed"), {}));
    QCOMPARE(m_s3->object(b, "four-k")->data, QByteArray("changed"));
    QCOMPARE(m_s3->object(b, "copy")->data, body);
    // Rows written before the log existed keep their bodies in the row, and still read.
    QVERIFY(m_db->write([&](Database &db) -> Result<void> {
        auto s
            = db.prepare("UPDATE s3_objects SET data = ?3, size = length(?3), log_segment = NULL,"
                         " log_offset = NULL WHERE bucket = ?1 AND key = ?2");
        if (!s)
            return s.error();
        s->bind(1, b).bind(2, QByteArray("copy")).bind(3, QByteArray("old style"));
        return s->exec();
    }));
    QCOMPARE(placeOf(*m_db, b, "copy"), QByteArray("row"));
    QCOMPARE(m_s3->object(b, "copy")->data, QByteArray("old style"));
    // ... and a copy of one goes to the log.
    QVERIFY(m_s3->copyObject(b, "copy", b, "copy2", nullptr, nullptr));
    QCOMPARE(placeOf(*m_db, b, "copy2"), QByteArray("log"));
    QCOMPARE(m_s3->object(b, "copy2")->data, QByteArray("old style"));
    // Large bodies are blobs.
    QVERIFY(m_s3->putObject(b, "large", stage(QByteArray(100, 'L')), {}));
    QCOMPARE(placeOf(*m_db, b, "large"), QByteArray("blob"));
    // A reopened store reads the log it left.
    m_s3.reset();
    m_s3 = std::make_unique<S3Store>(m_db.get(), m_clock.get(), m_dir->path());
    QVERIFY(m_s3->open());
    QCOMPARE(m_s3->object(b, "four-k")->data, QByteArray("changed"));
    QCOMPARE(m_s3->object(b, "copy2")->data, QByteArray("old style"));
    auto more = m_s3->putObject(b, "after", stageSmall("after reopen"), {});
    QVERIFY(more);
    QCOMPARE(m_s3->object(b, "after")->data, QByteArray("after reopen"));
    // A damaged record is S3's InternalError, not other bytes.
    QFile segment(m_dir->path()
        + QStringLiteral("/s3/log/%1.seg").arg(more->logSegment, 8, 10, QLatin1Char('0')));
    QVERIFY(segment.open(QIODevice::ReadWrite));
    QVERIFY(segment.seek(more->logOffset + SegmentLog::kHeaderSize));
    QVERIFY(segment.putChar('A'));
    segment.close();
    auto damaged = m_s3->object(b, "after");
    QVERIFY(!damaged);
    QCOMPARE(damaged.error().code, QStringLiteral("InternalError"));
    QCOMPARE(damaged.error().httpStatus, 500);
    // Metadata alone (HEAD) does not read the body.
    auto head = m_s3->object(b, "after", S3Store::Body::Skip);
    QVERIFY(head);
    QCOMPARE(head->size, 12);
    QVERIFY(head->data.isEmpty());
    QVERIFY(m_s3->deleteObject(b, "after"));
}

void TestS3Store::compactionReclaimsSegments()
{
    QTemporaryDir dir;
    auto opened = Store::open(dir.path());
    QVERIFY(opened);
    std::unique_ptr<Store> store = std::move(*opened);
    constexpr qint64 kLimit = 64 * 1024; // about 20 records of 3 KiB bodies per segment
    auto s3 = std::make_unique<S3Store>(store.get(), m_clock.get(), dir.path(), kLimit);
    QVERIFY(s3->open());
    const QString b = QStringLiteral("compact");
    QVERIFY(s3->createBucket(b, QStringLiteral("us-east-1")));
    QHash<QByteArray, QByteArray> expected;
    QMap<qint64, QList<QByteArray>> keysIn; // segment -> keys whose body is there
    for (int i = 0; i < 105; ++i) {
        const QByteArray key = "k" + QByteArray::number(i);
        auto put = s3->putObject(b, key, stageSmall(bodyOf(i, 0)), {});
        QVERIFY(put);
        expected[key] = bodyOf(i, 0);
        keysIn[put->logSegment].append(key);
    }
    QVERIFY(s3->log().activeSegment() >= 5);
    auto removed = s3->compactLog(); // nothing to reclaim: everything sealed is live
    QVERIFY(removed);
    QCOMPARE(*removed, 0);
    // Overwrite everything in segments 1–3, and delete a third of segment 4.
    for (qint64 segment = 1; segment <= 3; ++segment) {
        for (const QByteArray &key : keysIn[segment]) {
            const int i = key.mid(1).toInt();
            QVERIFY(s3->putObject(b, key, stageSmall(bodyOf(i, 1)), {}));
            expected[key] = bodyOf(i, 1);
        }
    }
    const QList<QByteArray> fourth = keysIn[4];
    const qsizetype third = fourth.size() / 3;
    for (qsizetype k = 0; k < third; ++k) {
        QVERIFY(s3->deleteObject(b, fourth[k]));
        expected.remove(fourth[k]);
    }
    const QString logDir = dir.path() + QStringLiteral("/s3/log");
    const qsizetype filesBefore = QDir(logDir).entryList(QDir::Files).size();
    removed = s3->compactLog();
    QVERIFY2(removed, qPrintable(removed ? QString() : removed.error().message));
    // Segments 1–3 held nothing live; segment 4 is two thirds live: kept as it is.
    QCOMPARE(*removed, 3);
    QCOMPARE(QDir(logDir).entryList(QDir::Files).size(), filesBefore - 3);
    QVERIFY(QFile::exists(logDir + QStringLiteral("/00000004.seg")));
    const auto checkAll = [&](S3Store &s) {
        for (auto it = expected.cbegin(); it != expected.cend(); ++it) {
            auto o = s.object(b, it.key());
            QVERIFY2(o, it.key().constData());
            QCOMPARE(o->data, it.value());
        }
    };
    checkAll(*s3);
    // Delete more of segment 4: under half live now, its records move forward.
    const qint64 activeBefore = s3->log().activeSegment();
    for (qsizetype k = third; k < fourth.size() * 2 / 3; ++k) {
        QVERIFY(s3->deleteObject(b, fourth[k]));
        expected.remove(fourth[k]);
    }
    removed = s3->compactLog();
    QVERIFY(removed);
    QCOMPARE(*removed, 1);
    QVERIFY(!QFile::exists(logDir + QStringLiteral("/00000004.seg")));
    checkAll(*s3);
    for (qsizetype k = fourth.size() * 2 / 3; k < fourth.size(); ++k)
        QVERIFY(s3->object(b, fourth[k])->logSegment >= activeBefore);
    // After a restart everything still reads (nothing moved is taken for a PUT to replay),
    // and appends go on in the newest segment.
    s3.reset();
    s3 = std::make_unique<S3Store>(store.get(), m_clock.get(), dir.path(), kLimit);
    QVERIFY(s3->open());
    checkAll(*s3);
    QVERIFY(s3->putObject(b, "new", stageSmall("new"), {}));
    QCOMPARE(s3->object(b, "new")->data, QByteArray("new"));
}

void TestS3Store::compactionWhileServing()
{
    QTemporaryDir dir;
    auto opened = Store::open(dir.path());
    QVERIFY(opened);
    std::unique_ptr<Store> store = std::move(*opened);
    auto s3 = std::make_unique<S3Store>(store.get(), m_clock.get(), dir.path(), 32 * 1024);
    QVERIFY(s3->open());
    const QString b = QStringLiteral("busy");
    QVERIFY(s3->createBucket(b, QStringLiteral("us-east-1")));
    constexpr int kKeys = 40;
    for (int i = 0; i < kKeys; ++i)
        QVERIFY(s3->putObject(b, "k" + QByteArray::number(i), stageSmall(bodyOf(i, 0)), {}));
    // One thread overwrites and reads back; this one compacts meanwhile. Every read must see
    // a whole body of some version of its key.
    std::atomic<bool> done {false};
    std::atomic<int> bad {0};
    std::atomic<int> reads {0};
    std::thread writer([&] {
        for (int round = 1; round <= 30; ++round) {
            for (int i = 0; i < kKeys; ++i) {
                const QByteArray key = "k" + QByteArray::number(i);
                if (!s3->putObject(b, key, stageSmall(bodyOf(i, round)), {}))
                    ++bad;
                auto o = s3->object(b, key);
                if (!o || !o->data.startsWith(QByteArray(QByteArray::number(i) + '.'))
                    || o->data.size() != 3000)
                    ++bad;
                ++reads;
            }
        }
        done = true;
    });
    int removed = 0;
    while (!done) {
        auto r = s3->compactLog();
        QVERIFY(r);
        removed += *r;
    }
    writer.join();
    QCOMPARE(bad.load(), 0);
    QCOMPARE(reads.load(), 30 * kKeys);
    removed += *s3->compactLog();
    QVERIFY(removed > 0);
    for (int i = 0; i < kKeys; ++i)
        QCOMPARE(s3->object(b, "k" + QByteArray::number(i))->data, bodyOf(i, 30));
    // 40 live records of 3 KiB need at most a few segments once compacted.
    QVERIFY(s3->log().sealedSegments().size() <= 8);
}

namespace {

constexpr char kPutAndDie[] = "--put-and-die";

// The child of killedProcessKeepsAcknowledgedPuts: PUTs, a DELETE and more PUTs, each one
// acknowledged (the call returned), then SIGKILL before the indexer's batch is due.
int putAndDie(const QString &stateDir)
{
    ManualClock clock;
    auto opened = Store::open(stateDir);
    if (!opened)
        return 3;
    std::unique_ptr<Store> store = std::move(*opened);
    auto *s3 = new S3Store(store.get(), &clock, stateDir); // never destroyed: killed first
    if (!s3->open() || !s3->createBucket(QStringLiteral("crash"), QStringLiteral("us-east-1")))
        return 3;
    const auto put = [&](const QByteArray &key, const QByteArray &body) {
        S3StagedBody staged;
        staged.data = body;
        staged.size = body.size();
        staged.md5 = QCryptographicHash::hash(body, QCryptographicHash::Md5);
        return bool(s3->putObject(QStringLiteral("crash"), key, staged, {}));
    };
    for (int i = 0; i < 20; ++i) {
        if (!put("k" + QByteArray::number(i), bodyOf(i, 0)))
            return 3;
    }
    if (!s3->deleteObject(QStringLiteral("crash"), "k3")) // commits the 20 rows first
        return 3;
    for (int i = 10; i < 30; ++i) {
        if (!put("k" + QByteArray::number(i), bodyOf(i, 1)))
            return 3;
    }
    // These 20 rows are only in the log: the indexer waits kIndexDelayMs before it commits.
    auto reader = store->openReader();
    auto count = (*reader)->prepare("SELECT count(*) FROM s3_objects");
    if (!count || !count->step() || count->int64(0) != 19)
        return 4; // the indexer ran already: the parent cannot test recovery
    ::kill(::getpid(), SIGKILL);
    return 5;
}

} // namespace

void TestS3Store::killedProcessKeepsAcknowledgedPuts()
{
    QTemporaryDir dir;
    QProcess child;
    child.start(
        QCoreApplication::applicationFilePath(), {QString::fromLatin1(kPutAndDie), dir.path()});
    QVERIFY(child.waitForFinished(30000));
    if (child.exitStatus() == QProcess::NormalExit && child.exitCode() == 4)
        QSKIP("the machine was too slow to catch the indexer before its batch");
    QCOMPARE(child.exitStatus(), QProcess::CrashExit); // SIGKILL
    auto opened = Store::open(dir.path());
    QVERIFY(opened);
    std::unique_ptr<Store> store = std::move(*opened);
    const auto check = [&](S3Store &s3) {
        for (int i = 0; i < 30; ++i) {
            const QByteArray key = "k" + QByteArray::number(i);
            auto o = s3.object(QStringLiteral("crash"), key);
            if (i == 3) {
                QCOMPARE(o.error().code, QStringLiteral("NoSuchKey"));
                continue;
            }
            QVERIFY2(o, key.constData());
            QCOMPARE(o->data, bodyOf(i, i >= 10 ? 1 : 0));
            QCOMPARE(o->etag, QCryptographicHash::hash(o->data, QCryptographicHash::Md5).toHex());
        }
        S3ListQuery all;
        all.maxKeys = 1000;
        QCOMPARE(s3.listObjects(QStringLiteral("crash"), all)->objects.size(), 29);
    };
    {
        S3Store s3(store.get(), m_clock.get(), dir.path());
        QVERIFY(s3.open());
        check(s3);
        QVERIFY(s3.deleteObject(QStringLiteral("crash"), "k29"));
    }
    // Recovered once: the next start applies nothing again (k29 stays deleted).
    S3Store again(store.get(), m_clock.get(), dir.path());
    QVERIFY(again.open());
    QCOMPARE(
        again.object(QStringLiteral("crash"), "k29").error().code, QStringLiteral("NoSuchKey"));
    QCOMPARE(again.object(QStringLiteral("crash"), "k28")->data, bodyOf(28, 1));
}

int main(int argc, char **argv)
{
    if (argc == 3 && qstrcmp(argv[1], kPutAndDie) == 0)
        return putAndDie(QString::fromLocal8Bit(argv[2]));
    QCoreApplication app(argc, argv);
    TestS3Store test;
    return QTest::qExec(&test, argc, argv);
}
#include "tst_s3store.moc"
