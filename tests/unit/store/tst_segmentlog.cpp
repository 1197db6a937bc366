#include "store/segmentlog.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <thread>
#include <vector>

using namespace tarmac;

namespace {

QByteArray randomBytes(qsizetype n, quint32 seed)
{
    QRandomGenerator g(seed);
    QByteArray out(n, Qt::Uninitialized);
    for (qsizetype i = 0; i < n; ++i)
        out[i] = char(g.generate() & 0xFF);
    return out;
}

using Written = QList<std::pair<SegmentLog::Location, QByteArray>>;

// Appends n records of `size` random bytes.
Written appendRecords(SegmentLog &log, int n, qsizetype size)
{
    Written written;
    for (int i = 0; i < n; ++i) {
        const QByteArray data = randomBytes(size, quint32(i));
        auto at = log.append(data);
        if (!at)
            qFatal("append failed");
        written.append({*at, data});
    }
    return written;
}

QString segmentPath(const QString &dir, qint64 id)
{
    return dir + QStringLiteral("/%1.seg").arg(id, 8, 10, QLatin1Char('0'));
}

} // namespace

class TestSegmentLog : public QObject
{
    Q_OBJECT

private slots:
    void appendAndRead();
    void rollsOverAtTheLimit();
    void reopenAppendsAfterATornTail();
    void damagedRecordsAreErrors();
    void removeKeepsTakenSegmentsReadable();
    void syncAndEmptyRecords();
    void concurrentAppends();
    void scanWalksRecordsInOrder();
    void sealAndAdoptForSnapshots();
};

void TestSegmentLog::appendAndRead()
{
    QTemporaryDir dir;
    SegmentLog log(dir.path() + QStringLiteral("/log"));
    QVERIFY(log.open());
    QCOMPARE(log.activeSegment(), 1);
    QVERIFY(log.sealedSegments().isEmpty());
    QList<std::pair<SegmentLog::Location, QByteArray>> written;
    for (int i = 0; i < 50; ++i) {
        const QByteArray data = randomBytes(i * 97, quint32(i));
        auto at = log.append(data);
        QVERIFY(at);
        QCOMPARE(at->segment, 1);
        written.append({*at, data});
    }
    QCOMPARE(written[1].first.offset, SegmentLog::kHeaderSize + written[0].second.size());
    for (const auto &[at, data] : std::as_const(written)) {
        auto back = log.read(at, data.size());
        QVERIFY2(back, qPrintable(back ? QString() : back.error().message));
        QCOMPARE(*back, data);
    }
    // The wrong size for a record is an error, not other bytes.
    QVERIFY(!log.read(written[5].first, written[5].second.size() + 1));
    QVERIFY(!log.read(written[5].first, written[5].second.size() - 1));
    QVERIFY(!log.read({9, 0}, 1)); // no such segment
    QVERIFY(!log.read({1, 1'000'000}, 10)); // past the end
}

void TestSegmentLog::rollsOverAtTheLimit()
{
    QTemporaryDir dir;
    const QString path = dir.path() + QStringLiteral("/log");
    SegmentLog log(path, 10'000);
    QVERIFY(log.open());
    const Written written = appendRecords(log, 40, 3000);
    // Three 3,016-byte records fit under 10,000 bytes; the fourth starts a segment.
    QCOMPARE(written[2].first.segment, 1);
    QCOMPARE(written[3].first.segment, 2);
    QCOMPARE(written[3].first.offset, 0);
    QCOMPARE(log.activeSegment(), 14);
    QCOMPARE(log.sealedSegments().size(), 13);
    QCOMPARE(log.segmentSize(1), 3 * 3016);
    // A record larger than the limit gets a segment of its own.
    auto big = log.append(randomBytes(25'000, 99));
    QVERIFY(big);
    QCOMPARE(big->offset, 0);
    QCOMPARE(log.activeSegment(), 15);
    for (const auto &[at, data] : std::as_const(written))
        QCOMPARE(*log.read(at, data.size()), data);
    QVERIFY(QFile::exists(segmentPath(path, 15)));
}

void TestSegmentLog::reopenAppendsAfterATornTail()
{
    QTemporaryDir dir;
    const QString path = dir.path() + QStringLiteral("/log");
    SegmentLog::Location first;
    SegmentLog::Location torn;
    const QByteArray a = randomBytes(5000, 1);
    const QByteArray b = randomBytes(5000, 2);
    {
        SegmentLog log(path);
        QVERIFY(log.open());
        first = *log.append(a);
        torn = *log.append(b);
    }
    // A crash in the middle of the second append: half of it reached the file.
    QVERIFY(QFile::resize(segmentPath(path, 1), torn.offset + 2500));
    SegmentLog log(path);
    QVERIFY(log.open());
    QCOMPARE(*log.read(first, a.size()), a);
    QVERIFY(!log.read(torn, b.size()));
    const QByteArray c = randomBytes(777, 3);
    // The torn record was cut off: the next one follows the last whole record.
    QCOMPARE(QFileInfo(segmentPath(path, 1)).size(), torn.offset);
    auto next = log.append(c);
    QVERIFY(next);
    QCOMPARE(next->segment, 1);
    QCOMPARE(next->offset, torn.offset);
    QCOMPARE(*log.read(*next, c.size()), c);
    QCOMPARE(*log.read(first, a.size()), a);
    // Files that are not segments are left alone.
    QFile other(path + QStringLiteral("/notes.txt"));
    QVERIFY(other.open(QIODevice::WriteOnly));
    other.close();
    SegmentLog again(path);
    QVERIFY(again.open());
    QCOMPARE(again.activeSegment(), 1);
    QCOMPARE(*again.read(*next, c.size()), c);
}

void TestSegmentLog::damagedRecordsAreErrors()
{
    QTemporaryDir dir;
    const QString path = dir.path() + QStringLiteral("/log");
    SegmentLog log(path);
    QVERIFY(log.open());
    const QByteArray data = randomBytes(4096, 7);
    auto at = log.append(data);
    auto second = log.append(data);
    QVERIFY(at && second);
    QFile file(segmentPath(path, 1));
    QVERIFY(file.open(QIODevice::ReadWrite));
    // A flipped payload byte of the first record, and a flipped size byte of the second.
    for (const qint64 offset : {at->offset + SegmentLog::kHeaderSize + 1000, second->offset + 4}) {
        QVERIFY(file.seek(offset));
        char c = 0;
        QVERIFY(file.getChar(&c));
        QVERIFY(file.seek(offset));
        QVERIFY(file.putChar(char(c ^ 0x20)));
    }
    file.close();
    auto payload = log.read(*at, data.size());
    QVERIFY(!payload);
    QVERIFY(payload.error().message.contains(QStringLiteral("damaged")));
    QVERIFY(!log.read(*second, data.size()));
}

void TestSegmentLog::removeKeepsTakenSegmentsReadable()
{
    QTemporaryDir dir;
    const QString path = dir.path() + QStringLiteral("/log");
    SegmentLog log(path, 4096);
    QVERIFY(log.open());
    const QByteArray data = randomBytes(3000, 5);
    auto at = log.append(data);
    QVERIFY(log.append(data)); // seals segment 1
    QCOMPARE(log.sealedSegments(), QList<qint64>({1}));
    QVERIFY(!log.remove(2)); // the active segment stays
    auto taken = log.segment(1);
    QVERIFY(taken);
    QVERIFY(log.remove(1));
    QVERIFY(!QFile::exists(segmentPath(path, 1)));
    QVERIFY(!log.segment(1));
    QVERIFY(!log.read(*at, data.size()));
    QCOMPARE(*SegmentLog::read(*taken, at->offset, data.size()), data); // still open
    QVERIFY(log.remove(1)); // removing what is gone is fine
    QCOMPARE(log.segmentSize(1), -1);
}

void TestSegmentLog::syncAndEmptyRecords()
{
    QTemporaryDir dir;
    SegmentLog log(dir.path() + QStringLiteral("/log"));
    QVERIFY(log.open());
    QVERIFY(log.sync()); // nothing to sync
    auto empty = log.append(QByteArray());
    QVERIFY(empty);
    QVERIFY(log.sync());
    QCOMPARE(*log.read(*empty, 0), QByteArray());
    auto one = log.append(QByteArray("x"));
    QVERIFY(log.sync());
    QCOMPARE(*log.read(*one, 1), QByteArray("x"));
}

void TestSegmentLog::concurrentAppends()
{
    QTemporaryDir dir;
    SegmentLog log(dir.path() + QStringLiteral("/log"), 256 * 1024);
    QVERIFY(log.open());
    constexpr int kThreads = 4;
    constexpr int kEach = 300;
    std::vector<std::vector<std::pair<SegmentLog::Location, QByteArray>>> written(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                QByteArray data = randomBytes(100 + (i * 131) % 5000, quint32(t * 10000 + i));
                auto at = log.append(data);
                if (at)
                    written[t].push_back({*at, std::move(data)});
            }
        });
    }
    for (auto &th : threads)
        th.join();
    QVERIFY(log.activeSegment() > 1);
    for (const auto &mine : written) {
        QCOMPARE(int(mine.size()), kEach);
        for (const auto &[at, data] : mine) {
            auto back = log.read(at, data.size());
            QVERIFY(back);
            QCOMPARE(*back, data);
        }
    }
}

void TestSegmentLog::scanWalksRecordsInOrder()
{
    QTemporaryDir dir;
    const QString path = dir.path() + QStringLiteral("/log");
    SegmentLog log(path, 10'000);
    QVERIFY(log.open());
    const Written written = appendRecords(log, 12, 3000); // four segments of three records
    QCOMPARE(log.end().segment, 4);
    QCOMPARE(log.end().offset, 3 * 3016);
    const auto scanFrom = [&](const SegmentLog::Location &from) {
        Written seen;
        auto r = log.scan(from, [&](const SegmentLog::Location &at, const QByteArray &payload) {
            seen.append({at, payload});
        });
        return r ? seen : Written();
    };
    const auto same = [](const auto &a, const auto &b) {
        if (a.size() != b.size())
            return false;
        for (qsizetype i = 0; i < a.size(); ++i) {
            if (a[i].first.segment != b[i].first.segment || a[i].first.offset != b[i].first.offset
                || a[i].second != b[i].second)
                return false;
        }
        return true;
    };
    QVERIFY(same(scanFrom({0, 0}), written));
    QVERIFY(same(scanFrom(written[4].first), written.mid(4)));
    QVERIFY(scanFrom(log.end()).isEmpty());
    // A removed segment is skipped; a damaged payload is skipped, its neighbours are not.
    QVERIFY(log.remove(2));
    QFile file(segmentPath(path, 3));
    QVERIFY(file.open(QIODevice::ReadWrite));
    QVERIFY(file.seek(written[7].first.offset + SegmentLog::kHeaderSize + 10));
    QVERIFY(file.putChar('!'));
    file.close();
    auto expected = written.mid(0, 3) + written.mid(6, 1) + written.mid(8);
    QVERIFY(same(scanFrom({1, 0}), expected));
}

// A snapshot links the sealed segments; a segment compaction removed later comes back from
// the snapshot's link and reads as before.
void TestSegmentLog::sealAndAdoptForSnapshots()
{
    QTemporaryDir dir;
    SegmentLog log(dir.path() + QStringLiteral("/log"));
    QVERIFY(log.open());
    QVERIFY(log.seal()); // an empty active segment stays
    QCOMPARE(log.activeSegment(), qint64(1));
    auto first = log.append(QByteArrayLiteral("kept in the snapshot"));
    QVERIFY(first);
    QVERIFY(log.seal());
    QCOMPARE(log.activeSegment(), qint64(2));
    QCOMPARE(log.sealedSegments(), QList<qint64>({1}));
    const QString link = dir.filePath(QStringLiteral("snapshot-1.seg"));
    QVERIFY(QFile::copy(log.fileOf(1), link));
    QVERIFY(log.remove(1));
    QVERIFY(!QFileInfo::exists(log.fileOf(1)));
    QVERIFY(!log.read(*first, 20));
    QVERIFY(QFile::copy(link, log.fileOf(1)));
    QVERIFY(log.adopt(1));
    QVERIFY(log.adopt(1)); // once there, nothing more
    auto read = log.read(*first, 20);
    QVERIFY(read);
    QCOMPARE(*read, QByteArrayLiteral("kept in the snapshot"));
    QVERIFY(log.adopt(2)); // the active one: the log has it
    QVERIFY(!log.adopt(3)); // past the active one: not a sealed segment
    QVERIFY(!log.adopt(7));
}

QTEST_GUILESS_MAIN(TestSegmentLog)
#include "tst_segmentlog.moc"
