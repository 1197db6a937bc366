#include "services/s3/s3lifecyclerunner.h"

#include "base/clock.h"
#include "services/s3/s3lifecycle.h"
#include "services/s3/s3store.h"
#include "store/store.h"

#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;

namespace {

constexpr qint64 kDay = 86'400LL * 1'000'000'000;
// 2023-11-14 22:13:20 UTC: not a midnight, so the rounding up to one is visible.
constexpr qint64 kStart = 1'700'000'000'000'000'000;

S3StagedBody smallBody(const QByteArray &bytes)
{
    S3StagedBody b;
    b.data = bytes;
    b.size = bytes.size();
    b.md5 = QCryptographicHash::hash(bytes, QCryptographicHash::Md5);
    return b;
}

} // namespace

// The lifecycle runner on a manual clock: rules fire at the midnights AWS's rounding names, not
// before, in the order the clock passes them, with the events S3 sends.
class TestS3LifecycleRunner : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void expiresAtTheMidnightAfterTheDays();
    void versionedBucketsGetDeleteMarkersAndLoseOldVersions();
    void lockedVersionsStay();

private:
    void configure(const QByteArray &rulesXml);
    void put(const QByteArray &key, const QByteArray &system = {});
    QList<QByteArray> keys();

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<Store> m_db;
    std::unique_ptr<S3Store> m_s3;
    std::unique_ptr<S3LifecycleRunner> m_runner;
    QList<S3Event> m_events;
    const QString m_bucket = QStringLiteral("life");
};

void TestS3LifecycleRunner::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_clock = std::make_unique<ManualClock>(kStart);
    auto store = Store::open(m_dir->path());
    QVERIFY(store);
    m_db = std::move(*store);
    m_s3 = std::make_unique<S3Store>(m_db.get(), m_clock.get(), m_dir->path());
    QVERIFY(m_s3->open());
    m_events.clear();
    m_s3->setEventListener([this](const S3Event &e) { m_events.append(e); });
    QVERIFY(m_s3->createBucket(m_bucket, QStringLiteral("us-east-1")));
    m_runner = std::make_unique<S3LifecycleRunner>(m_s3.get(), m_clock.get());
    m_runner->start();
}

void TestS3LifecycleRunner::cleanup()
{
    m_runner.reset();
    m_s3.reset();
    m_db.reset();
    m_clock.reset();
    m_dir.reset();
}

void TestS3LifecycleRunner::configure(const QByteArray &rulesXml)
{
    auto parsed = s3lifecycle::parseConfiguration(
        "<LifecycleConfiguration>" + rulesXml + "</LifecycleConfiguration>");
    QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
    QVERIFY(m_s3->setBucketDocument(
        m_bucket, S3Store::BucketDocument::Lifecycle, s3lifecycle::renderConfiguration(*parsed)));
}

void TestS3LifecycleRunner::put(const QByteArray &key, const QByteArray &system)
{
    S3ObjectAttributes attributes;
    attributes.system = system;
    QVERIFY(m_s3->putObject(m_bucket, key, smallBody("x"), attributes));
}

QList<QByteArray> TestS3LifecycleRunner::keys()
{
    QList<QByteArray> out;
    auto listed = m_s3->listObjects(m_bucket, {});
    if (listed) {
        for (const S3Object &o : std::as_const(listed->objects))
            out.append(o.key);
    }
    return out;
}

void TestS3LifecycleRunner::expiresAtTheMidnightAfterTheDays()
{
    configure("<Rule><ID>tmp</ID><Status>Enabled</Status><Filter><Prefix>tmp/</Prefix></Filter>"
              "<Expiration><Days>1</Days></Expiration></Rule>");
    put("tmp/a");
    put("keep/b");
    // Created at 22:13 on day 0: one day later is 22:13 on day 1, rounded up to midnight.
    const qint64 due = s3lifecycle::nextMidnight(kStart + kDay);
    m_clock->setNowNs(due - 1'000'000'000);
    m_clock->advanceNs(0);
    QCOMPARE(m_runner->sweep(), 0);
    QCOMPARE(keys(), (QList<QByteArray> {"keep/b", "tmp/a"}));
    m_clock->advanceNs(2'000'000'000); // passes the midnight: its timer sweeps
    QCOMPARE(keys(), (QList<QByteArray> {"keep/b"}));
    QCOMPARE(m_events.last().eventName, QStringLiteral("LifecycleExpiration:Delete"));
    QCOMPARE(m_events.last().key, QByteArray("tmp/a"));
}

void TestS3LifecycleRunner::versionedBucketsGetDeleteMarkersAndLoseOldVersions()
{
    QVERIFY(m_s3->setVersioning(m_bucket, S3Versioning::Enabled));
    configure("<Rule><ID>all</ID><Status>Enabled</Status><Filter/>"
              "<Expiration><Days>2</Days></Expiration>"
              "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
              "</NoncurrentVersionExpiration></Rule>");
    put("k");
    put("k"); // the first becomes noncurrent now
    m_clock->advanceNs(2 * kDay); // past the noncurrent one's midnight, before the current's
    auto versions = m_s3->listObjectVersions(m_bucket, {});
    QVERIFY(versions);
    QCOMPARE(versions->versions.size(), 1);
    QVERIFY(!versions->versions[0].deleteMarker);
    m_clock->advanceNs(kDay);
    versions = m_s3->listObjectVersions(m_bucket, {});
    QVERIFY(versions);
    QCOMPARE(versions->versions.size(), 2); // the delete marker on top of the version
    QVERIFY(versions->versions[0].deleteMarker);
    QCOMPARE(m_events.last().eventName, QStringLiteral("LifecycleExpiration:DeleteMarkerCreated"));
}

void TestS3LifecycleRunner::lockedVersionsStay()
{
    QVERIFY(m_s3->setVersioning(m_bucket, S3Versioning::Enabled));
    configure("<Rule><ID>old</ID><Status>Enabled</Status><Filter/>"
              "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
              "</NoncurrentVersionExpiration></Rule>");
    put("k", "legal-hold:ON\n");
    put("k");
    m_clock->advanceNs(3 * kDay);
    auto versions = m_s3->listObjectVersions(m_bucket, {});
    QVERIFY(versions);
    QCOMPARE(versions->versions.size(), 2); // the held version was not removed
}

QTEST_GUILESS_MAIN(TestS3LifecycleRunner)
#include "tst_s3lifecyclerunner.moc"
