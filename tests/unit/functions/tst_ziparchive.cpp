// ZipArchive: the deployment-package reader. Archives are built here, byte by byte, so that
// every field the reader trusts can be made wrong.
#include "functions/ziparchive.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <zlib.h>

using namespace tarmac;

namespace {

struct Item
{
    QByteArray name;
    QByteArray data;
    quint32 mode = 0100644; // 0: no Unix attributes
    bool deflate = true;
    qint64 claimedSize = -1; // lie about the uncompressed size
    bool badCrc = false;
};

void put16(QByteArray &b, quint16 v)
{
    b.append(char(v & 0xff));
    b.append(char(v >> 8));
}

void put32(QByteArray &b, quint32 v)
{
    put16(b, quint16(v & 0xffff));
    put16(b, quint16(v >> 16));
}

QByteArray rawDeflate(const QByteArray &in)
{
    z_stream z = {};
    deflateInit2(&z, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    QByteArray out(int(deflateBound(&z, uLong(in.size()))), Qt::Uninitialized);
    z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.constData()));
    z.avail_in = uInt(in.size());
    z.next_out = reinterpret_cast<Bytef *>(out.data());
    z.avail_out = uInt(out.size());
    deflate(&z, Z_FINISH);
    out.resize(qsizetype(z.total_out));
    deflateEnd(&z);
    return out;
}

QByteArray makeZip(const QList<Item> &items)
{
    QByteArray zip, central;
    for (const Item &item : items) {
        const QByteArray body = item.deflate ? rawDeflate(item.data) : item.data;
        quint32 crc = quint32(crc32(
            0, reinterpret_cast<const Bytef *>(item.data.constData()), uInt(item.data.size())));
        if (item.badCrc)
            crc ^= 1;
        const quint32 size
            = item.claimedSize >= 0 ? quint32(item.claimedSize) : quint32(item.data.size());
        const quint32 offset = quint32(zip.size());
        put32(zip, 0x04034b50);
        put16(zip, 20);
        put16(zip, 0);
        put16(zip, item.deflate ? 8 : 0);
        put32(zip, 0);
        put32(zip, crc);
        put32(zip, quint32(body.size()));
        put32(zip, size);
        put16(zip, quint16(item.name.size()));
        put16(zip, 0);
        zip += item.name + body;

        put32(central, 0x02014b50);
        put16(central, item.mode ? (3 << 8) | 20 : 20);
        put16(central, 20);
        put16(central, 0);
        put16(central, item.deflate ? 8 : 0);
        put32(central, 0);
        put32(central, crc);
        put32(central, quint32(body.size()));
        put32(central, size);
        put16(central, quint16(item.name.size()));
        put16(central, 0);
        put16(central, 0);
        put16(central, 0);
        put16(central, 0);
        put32(central, item.mode << 16);
        put32(central, offset);
        central += item.name;
    }
    const quint32 cdOffset = quint32(zip.size());
    zip += central;
    put32(zip, 0x06054b50);
    put16(zip, 0);
    put16(zip, 0);
    put16(zip, quint16(items.size()));
    put16(zip, quint16(items.size()));
    put32(zip, quint32(central.size()));
    put32(zip, cdOffset);
    put16(zip, 0);
    return zip;
}

} // namespace

class TestZipArchive : public QObject
{
    Q_OBJECT
private slots:
    // An empty folder is not the working directory: nothing is extracted there (a fuzz
    // run whose temporary folder could not be made once left folders in the checkout).
    void extractingIntoNoFolderIsRefused()
    {
        const QByteArray zip = makeZip(
            {{"stray-dir-from-test/", {}, 040755, false}, {"stray-dir-from-test/x.txt", "x"}});
        auto archive = ZipArchive::open(zip);
        QVERIFY(archive);
        QTemporaryDir cwd;
        const QString before = QDir::currentPath();
        QVERIFY(QDir::setCurrent(cwd.path()));
        const Result<void> r = archive->extractTo(QString());
        QDir::setCurrent(before);
        QVERIFY(!r);
        QVERIFY(QDir(cwd.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot).isEmpty());
    }

    void extractsFilesFoldersAndModes()
    {
        const QByteArray zip = makeZip({
            {"app.py", "def handler(e, c):\n    return 1\n"},
            {"bootstrap", "#!/bin/sh\necho hi\n", 0100755, false},
            {"lib/", {}, 040755, false},
            {"lib/util.py", QByteArray(100'000, 'x')},
            {"noattrs.txt", "plain", 0},
        });
        auto archive = ZipArchive::open(zip);
        QVERIFY2(archive, qPrintable(archive ? QString() : archive.error().message));
        QCOMPARE(archive->entries().size(), 5);
        QTemporaryDir dir;
        QVERIFY(archive->extractTo(dir.path()));
        QFile app(dir.filePath(QStringLiteral("app.py")));
        QVERIFY(app.open(QIODevice::ReadOnly));
        QCOMPARE(app.readAll(), QByteArrayLiteral("def handler(e, c):\n    return 1\n"));
        QVERIFY(QFileInfo(dir.filePath(QStringLiteral("bootstrap"))).isExecutable());
        QVERIFY(!QFileInfo(dir.filePath(QStringLiteral("app.py"))).isExecutable());
        QCOMPARE(QFileInfo(dir.filePath(QStringLiteral("lib/util.py"))).size(), 100'000);
        QVERIFY(QFileInfo(dir.filePath(QStringLiteral("noattrs.txt"))).isReadable());
    }

    void refusesBadArchives_data()
    {
        QTest::addColumn<QByteArray>("zip");
        QTest::addColumn<QString>("why");
        QTest::newRow("empty") << QByteArray() << QStringLiteral("Could not unzip");
        QTest::newRow("not a zip") << QByteArray(500, 'a') << QStringLiteral("no zip end record");
        QTest::newRow("parent path")
            << makeZip({{"../evil.py", "x"}}) << QStringLiteral("not a relative path");
        QTest::newRow("nested parent")
            << makeZip({{"a/../../evil", "x"}}) << QStringLiteral("not a relative path");
        QTest::newRow("absolute") << makeZip({{"/etc/passwd", "x"}})
                                  << QStringLiteral("not a relative path");
        QTest::newRow("backslash parent")
            << makeZip({{"..\\evil", "x"}}) << QStringLiteral("not a relative path");
        QByteArray truncated = makeZip({{"a.txt", QByteArray(1000, 'a')}});
        truncated.remove(40, 20);
        QTest::newRow("truncated") << truncated << QStringLiteral("");
        QByteArray method = makeZip({{"a.txt", "abc", 0100644, false}});
        method[8] = 12; // bzip2 in the local header ...
        method[method.indexOf("PK\x01\x02") + 10] = 12; // ... and in the central directory
        QTest::newRow("bzip2") << method << QStringLiteral("compression method 12");
    }

    void refusesBadArchives()
    {
        QFETCH(QByteArray, zip);
        QFETCH(QString, why);
        auto archive = ZipArchive::open(zip);
        QTemporaryDir dir;
        Result<void> extracted
            = archive ? archive->extractTo(dir.path()) : Result<void>(archive.error());
        QVERIFY(!extracted);
        QVERIFY2(extracted.error().message.contains(why), qPrintable(extracted.error().message));
        QCOMPARE(
            QDir(dir.path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries).size() <= 1, true);
    }

    void checksTheCrc()
    {
        const QByteArray zip = makeZip({{"a.txt", "hello", 0100644, true, -1, true}});
        auto archive = ZipArchive::open(zip);
        QVERIFY(archive);
        QTemporaryDir dir;
        auto r = archive->extractTo(dir.path());
        QVERIFY(!r);
        QVERIFY(r.error().message.contains(QStringLiteral("CRC")));
    }

    void stopsAtTheSizeLimitWhateverTheHeaderSays()
    {
        // 5 MB of zeros deflate to a few KB; the header claims 10 bytes.
        const QByteArray zip
            = makeZip({{"bomb", QByteArray(5 * 1024 * 1024, '\0'), 0100644, true, 10}});
        ZipArchive::Limits limits;
        limits.maxTotalSize = 1024 * 1024;
        auto archive = ZipArchive::open(zip, limits);
        QVERIFY(archive);
        QTemporaryDir dir;
        auto r = archive->extractTo(dir.path());
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(
                     QStringLiteral("Unzipped size must be smaller than 1048576 bytes")),
            qPrintable(r.error().message));
    }

    void symlinksMustStayInside()
    {
        QTemporaryDir dir;
        auto inside = ZipArchive::open(
            makeZip({{"real.txt", "data"}, {"link.txt", "real.txt", 0120777, false}}));
        QVERIFY(inside);
        auto extracted = inside->extractTo(dir.path());
        QVERIFY2(extracted, qPrintable(extracted ? QString() : extracted.error().message));
        QVERIFY(QFileInfo(dir.filePath(QStringLiteral("link.txt"))).isSymLink());

        QTemporaryDir dir2;
        auto outside = ZipArchive::open(makeZip({{"link", "../../../etc/passwd", 0120777, false}}));
        QVERIFY(outside);
        auto r = outside->extractTo(dir2.path());
        QVERIFY(!r);
        QVERIFY(r.error().message.contains(QStringLiteral("outside")));
        auto absolute = ZipArchive::open(makeZip({{"link", "/etc/passwd", 0120777, false}}));
        QVERIFY(absolute);
        QVERIFY(!absolute->extractTo(dir2.path()));
    }
};

QTEST_GUILESS_MAIN(TestZipArchive)
#include "tst_ziparchive.moc"
