#include "store/blobstore.h"

#include <QBuffer>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;

namespace {

QByteArray randomBytes(qsizetype size, quint32 seed)
{
    QByteArray bytes(size, Qt::Uninitialized);
    QRandomGenerator generator(seed);
    for (char &c : bytes)
        c = char(generator.bounded(256));
    return bytes;
}

// Produces a deterministic stream without holding it in memory, and records the largest
// read asked of it, so the test can tell the store streams in bounded chunks.
class GeneratedDevice : public QIODevice
{
public:
    explicit GeneratedDevice(qint64 size)
        : m_size(size)
    { }

    bool isSequential() const override { return true; }
    qint64 largestRead() const { return m_largestRead; }
    QByteArray expectedSha256() const
    {
        QCryptographicHash hash(QCryptographicHash::Sha256);
        QByteArray chunk(64 * 1024, Qt::Uninitialized);
        for (qint64 pos = 0; pos < m_size; pos += chunk.size()) {
            const qint64 n = qMin<qint64>(chunk.size(), m_size - pos);
            fill(chunk.data(), pos, n);
            hash.addData(QByteArrayView(chunk.constData(), n));
        }
        return hash.result().toHex();
    }

protected:
    qint64 readData(char *data, qint64 maxSize) override
    {
        m_largestRead = qMax(m_largestRead, maxSize);
        if (m_pos >= m_size)
            return -1; // a sequential device's end of stream
        const qint64 n = qMin(maxSize, m_size - m_pos);
        fill(data, m_pos, n);
        m_pos += n;
        return n;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    static void fill(char *data, qint64 offset, qint64 n)
    {
        for (qint64 i = 0; i < n; ++i) {
            const quint64 x = quint64(offset + i);
            data[i] = char((x * 2654435761u) >> 13);
        }
    }

    qint64 m_size;
    qint64 m_pos = 0;
    qint64 m_largestRead = 0;
};

} // namespace

class TestBlobStore : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<BlobStore> m_store;

    QString tmpDir() const { return m_store->root() + QStringLiteral("/tmp"); }
    QStringList leftovers() const { return QDir(tmpDir()).entryList(QDir::Files); }

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_store = std::make_unique<BlobStore>(m_dir->filePath(QStringLiteral("blobs")));
        QVERIFY(m_store->init());
        QVERIFY(QFileInfo(tmpDir()).isDir());
    }

    void cleanup()
    {
        m_store.reset();
        m_dir.reset();
    }

    void putBytes_data()
    {
        QTest::addColumn<QByteArray>("data");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("one byte") << QByteArray("x");
        QTest::newRow("hello") << QByteArray("hello, world\n");
        QTest::newRow("one chunk") << randomBytes(64 * 1024, 1);
        QTest::newRow("chunk plus one") << randomBytes(64 * 1024 + 1, 2);
        QTest::newRow("1 MiB") << randomBytes(1024 * 1024, 3);
    }

    void putBytes()
    {
        QFETCH(QByteArray, data);
        const Result<BlobStore::Stored> stored = m_store->put(data);
        QVERIFY(stored);
        const QByteArray sha = QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex();
        QCOMPARE(stored->sha256Hex, sha);
        QCOMPARE(stored->md5Hex, QCryptographicHash::hash(data, QCryptographicHash::Md5).toHex());
        QCOMPARE(stored->size, data.size());

        QVERIFY(m_store->contains(sha));
        const QString expectedPath = m_store->root() % QLatin1Char('/') % QLatin1String(sha.left(2))
            % QLatin1Char('/') % QLatin1String(sha.mid(2));
        QCOMPARE(m_store->pathFor(sha), expectedPath);
        QVERIFY(QFileInfo::exists(expectedPath));
        const Result<QByteArray> read = m_store->read(sha);
        QVERIFY(read);
        QCOMPARE(*read, data);
        QVERIFY(m_store->verify(sha));
        QVERIFY(leftovers().isEmpty());
    }

    void putDevice_data() { putBytes_data(); }

    void putDevice()
    {
        QFETCH(QByteArray, data);
        QBuffer buffer(&data);
        QVERIFY(buffer.open(QIODevice::ReadOnly));
        const Result<BlobStore::Stored> stored = m_store->put(buffer);
        QVERIFY(stored);
        QCOMPARE(
            stored->sha256Hex, QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
        QCOMPARE(stored->md5Hex, QCryptographicHash::hash(data, QCryptographicHash::Md5).toHex());
        QCOMPARE(stored->size, data.size());
        QCOMPARE(*m_store->read(stored->sha256Hex), data);
        QVERIFY(leftovers().isEmpty());
    }

    void emptyBlob()
    {
        const Result<BlobStore::Stored> stored = m_store->put(QByteArray());
        QVERIFY(stored);
        QCOMPARE(stored->sha256Hex,
            QByteArray("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        QCOMPARE(stored->md5Hex, QByteArray("d41d8cd98f00b204e9800998ecf8427e"));
        QCOMPARE(stored->size, 0);
        QCOMPARE(QFileInfo(m_store->pathFor(stored->sha256Hex)).size(), 0);
        QVERIFY(m_store->verify(stored->sha256Hex));
    }

    void streamedPut20MiB()
    {
        constexpr qint64 size = 20 * 1024 * 1024;
        GeneratedDevice device(size);
        QVERIFY(device.open(QIODevice::ReadOnly | QIODevice::Unbuffered));
        const Result<BlobStore::Stored> stored = m_store->put(device);
        QVERIFY(stored);
        QCOMPARE(stored->size, size);
        QCOMPARE(stored->sha256Hex, device.expectedSha256());
        QVERIFY2(device.largestRead() <= 64 * 1024,
            QByteArray::number(device.largestRead()).constData());
        QCOMPARE(QFileInfo(m_store->pathFor(stored->sha256Hex)).size(), size);
        QVERIFY(m_store->verify(stored->sha256Hex));
        QVERIFY(leftovers().isEmpty());
    }

    void dedupe()
    {
        const QByteArray data = randomBytes(100000, 4);
        const Result<BlobStore::Stored> first = m_store->put(data);
        QVERIFY(first);
        QBuffer buffer;
        buffer.setData(data);
        QVERIFY(buffer.open(QIODevice::ReadOnly));
        const Result<BlobStore::Stored> second = m_store->put(buffer);
        QVERIFY(second);
        const Result<BlobStore::Stored> third = m_store->put(data);
        QVERIFY(third);
        QCOMPARE(second->sha256Hex, first->sha256Hex);
        QCOMPARE(third->sha256Hex, first->sha256Hex);
        QCOMPARE(second->md5Hex, first->md5Hex);

        const QStringList shards
            = QDir(m_store->root()).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        QCOMPARE(shards,
            (QStringList {QString::fromLatin1(first->sha256Hex.left(2)), QStringLiteral("tmp")}));
        const QDir shard(m_store->root() + QLatin1Char('/') + shards.first());
        QCOMPARE(shard.entryList(QDir::Files).size(), 1);
        QVERIFY(leftovers().isEmpty());
    }

    void adoptFile()
    {
        const QByteArray data = randomBytes(300000, 5);
        const QString path = m_dir->filePath(QStringLiteral("upload.part"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QCOMPARE(file.write(data), data.size());
        file.close();

        const Result<BlobStore::Stored> stored = m_store->adoptFile(path);
        QVERIFY(stored);
        QCOMPARE(
            stored->sha256Hex, QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
        QCOMPARE(stored->md5Hex, QCryptographicHash::hash(data, QCryptographicHash::Md5).toHex());
        QCOMPARE(stored->size, data.size());
        QVERIFY(!QFileInfo::exists(path));
        QVERIFY(m_store->verify(stored->sha256Hex));

        // Adopting content that is already stored only consumes the file.
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(data);
        file.close();
        const Result<BlobStore::Stored> again = m_store->adoptFile(path);
        QVERIFY(again);
        QCOMPARE(again->sha256Hex, stored->sha256Hex);
        QVERIFY(!QFileInfo::exists(path));
        QVERIFY(m_store->verify(stored->sha256Hex));
    }

    void adoptMissingFileIsAnError()
    {
        const Result<BlobStore::Stored> stored
            = m_store->adoptFile(m_dir->filePath(QStringLiteral("nothing-here")));
        QVERIFY(!stored);
        QCOMPARE(stored.error().code, QStringLiteral("StoreError"));
        QCOMPARE(stored.error().httpStatus, 500);
    }

    void verifyDetectsCorruption_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::newRow("flipped byte") << QStringLiteral("flip");
        QTest::newRow("truncated") << QStringLiteral("truncate");
        QTest::newRow("appended") << QStringLiteral("append");
        QTest::newRow("missing") << QStringLiteral("remove");
    }

    void verifyDetectsCorruption()
    {
        QFETCH(QString, damage);
        const Result<BlobStore::Stored> stored = m_store->put(randomBytes(5000, 6));
        QVERIFY(stored);
        const QByteArray sha = stored->sha256Hex;
        QVERIFY(m_store->verify(sha));

        QFile file(m_store->pathFor(sha));
        if (damage == QLatin1String("flip")) {
            QVERIFY(file.open(QIODevice::ReadWrite));
            QByteArray bytes = file.readAll();
            bytes[2500] = char(bytes[2500] ^ 0x01);
            QVERIFY(file.seek(0));
            QCOMPARE(file.write(bytes), bytes.size());
        } else if (damage == QLatin1String("truncate")) {
            QVERIFY(file.resize(4999));
        } else if (damage == QLatin1String("append")) {
            QVERIFY(file.open(QIODevice::Append));
            QCOMPARE(file.write("x", 1), 1);
        } else {
            QVERIFY(file.remove());
        }
        file.close();
        QVERIFY(!m_store->verify(sha));
    }

    void initRemovesLeftovers()
    {
        const Result<BlobStore::Stored> kept = m_store->put(QByteArray("keep me"));
        QVERIFY(kept);
        for (const QString &name : {QStringLiteral("0123abcd-deadbeef"), QStringLiteral(".hidden"),
                 QStringLiteral("partial")}) {
            QFile leftover(tmpDir() + QLatin1Char('/') + name);
            QVERIFY(leftover.open(QIODevice::WriteOnly));
            leftover.write("half a blob");
        }
        QCOMPARE(QDir(tmpDir()).entryList(QDir::Files | QDir::Hidden).size(), 3);

        BlobStore reopened(m_store->root());
        QVERIFY(reopened.init());
        QVERIFY(QDir(tmpDir()).entryList(QDir::Files | QDir::Hidden).isEmpty());
        QVERIFY(reopened.verify(kept->sha256Hex));
    }

    void keysNeverBecomePaths_data()
    {
        QTest::addColumn<QByteArray>("name");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("dot dot") << QByteArray("../../etc/passwd");
        QTest::newRow("an object key") << QByteArray("photos/2024/cat.jpg");
        QTest::newRow("short") << QByteArray(63, 'a');
        QTest::newRow("long") << QByteArray(65, 'a');
        QTest::newRow("upper case") << QByteArray(64, 'A');
        QTest::newRow("not hex") << QByteArray(64, 'g');
        QTest::newRow("slash inside")
            << QByteArray(QByteArray(31, 'a') + '/' + QByteArray(32, 'a'));
        QTest::newRow("nul inside") << QByteArray(QByteArray(63, 'a') + '\0');
    }

    void keysNeverBecomePaths()
    {
        QFETCH(QByteArray, name);
        QVERIFY(!BlobStore::isValidName(name));
        QVERIFY(m_store->pathFor(name).isEmpty());
        QVERIFY(!m_store->contains(name));
        QVERIFY(!m_store->verify(name));
        QVERIFY(!m_store->read(name));
        QVERIFY(!m_store->remove(name));
        QVERIFY(BlobStore::isValidName(QByteArray(64, 'a')));
    }

    void removeIsIdempotent()
    {
        const Result<BlobStore::Stored> stored = m_store->put(QByteArray("short-lived"));
        QVERIFY(stored);
        QVERIFY(m_store->remove(stored->sha256Hex));
        QVERIFY(!m_store->contains(stored->sha256Hex));
        QVERIFY(!m_store->read(stored->sha256Hex));
        QVERIFY(m_store->remove(stored->sha256Hex));
    }

    void garbageCollectKeepsReferenced()
    {
        const QByteArray live = m_store->put(QByteArray("live"))->sha256Hex;
        const QByteArray dead1 = m_store->put(QByteArray("dead one"))->sha256Hex;
        const QByteArray dead2 = m_store->put(QByteArray("dead two"))->sha256Hex;
        const Result<int> removed
            = m_store->garbageCollect([&live](const QByteArray &sha) { return sha == live; });
        QVERIFY(removed);
        QCOMPARE(*removed, 2);
        QVERIFY(m_store->contains(live));
        QVERIFY(!m_store->contains(dead1));
        QVERIFY(!m_store->contains(dead2));
    }

    // A blob younger than the minimum age may still be waiting for its row: kept.
    void garbageCollectKeepsYoungBlobs()
    {
        const QByteArray young = m_store->put(QByteArray("young and unreferenced"))->sha256Hex;
        const QByteArray old = m_store->put(QByteArray("old and unreferenced"))->sha256Hex;
        const QString oldPath = m_store->pathFor(old);
        QFile file(oldPath);
        QVERIFY(file.open(QIODevice::ReadWrite));
        QVERIFY(file.setFileTime(
            QDateTime::currentDateTimeUtc().addSecs(-7200), QFileDevice::FileModificationTime));
        file.close();
        const Result<int> removed
            = m_store->garbageCollect([](const QByteArray &) { return false; }, 3600);
        QVERIFY(removed);
        QCOMPARE(*removed, 1);
        QVERIFY(m_store->contains(young));
        QVERIFY(!m_store->contains(old));
    }

    void unsyncedStoreWorks()
    {
        BlobStore fast(m_dir->filePath(QStringLiteral("fast")), false);
        QVERIFY(fast.init());
        const Result<BlobStore::Stored> stored = fast.put(QByteArray("no fsync"));
        QVERIFY(stored);
        QVERIFY(fast.verify(stored->sha256Hex));
    }
};

QTEST_GUILESS_MAIN(TestBlobStore)
#include "tst_blobstore.moc"
