#include "http/httpmessage.h"
#include "services/s3/s3formupload.h"

#include <QCryptographicHash>
#include <QTemporaryDir>
#include <QTemporaryFile>
#include <QTest>

using namespace tarmac;

namespace {

const QByteArray kBoundary = "----tarmacBoundary7MA4YWxk";

// A form body: text fields, then (unless `fileName` is null) the file part.
QByteArray formBody(const QList<std::pair<QByteArray, QByteArray>> &fields,
    const QByteArray &fileName = "photo.jpg", const QByteArray &content = "hello form",
    const QByteArray &boundary = kBoundary)
{
    QByteArray b;
    for (const auto &[name, value] : fields)
        b += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n"
            + value + "\r\n";
    if (!fileName.isNull())
        b += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
            + fileName + "\"\r\nContent-Type: image/jpeg\r\n\r\n" + content + "\r\n";
    b += "--" + boundary + "--\r\n";
    return b;
}

struct Read
{
    Result<S3FormUpload::Upload> upload = Error {};
    int checks = 0;
    S3Form checked;
    qint64 fileSize = -1;
};

Read readBody(const HttpBody &body, const QString &staging, qint64 maxSize = S3Store::kMaxPutSize,
    const QByteArray &boundary = kBoundary)
{
    Read out;
    out.upload = S3FormUpload::read(
        body, boundary, staging,
        [&](const S3Form &form) -> Result<S3FormUpload::FileOptions> {
            ++out.checks;
            out.checked = form;
            S3FormUpload::FileOptions options;
            options.maxSize = maxSize;
            options.checksumAlgorithm = ChecksumAlgorithm::Crc32;
            return options;
        },
        &out.fileSize);
    return out;
}

// Every way of cutting `body` into pieces gives the same parts: pieces of `step` bytes.
struct Parsed
{
    Result<void> result;
    QList<QByteArray> events; // "begin name file=x type=y", "data", "end"
    QByteArray data; // all part data, parts separated by '|'
};

Parsed parse(const QByteArray &body, qsizetype step, const QByteArray &boundary = kBoundary)
{
    Parsed out;
    MultipartFormParser parser(boundary, S3FormUpload::kMaxFieldBytes);
    MultipartFormParser::Handler h;
    h.partBegin = [&](const MultipartFormParser::PartHeaders &p) -> Result<void> {
        QByteArray event = "begin " + p.name;
        if (p.hasFileName)
            event += " file=" + p.fileName;
        if (!p.contentType.isEmpty())
            event += " type=" + p.contentType;
        out.events.append(event);
        return {};
    };
    h.partData = [&](const char *d, qsizetype n) -> Result<void> {
        out.data.append(d, n);
        return {};
    };
    h.partEnd = [&]() -> Result<void> {
        out.events.append("end");
        out.data.append('|');
        return {};
    };
    for (qsizetype at = 0; at < body.size(); at += step) {
        out.result = parser.feed(QByteArrayView(body).sliced(at, qMin(step, body.size() - at)), h);
        if (!out.result)
            return out;
    }
    out.result = parser.finish();
    return out;
}

} // namespace

class TestS3FormUpload : public QObject
{
    Q_OBJECT

private slots:
    void boundaryFrom_data()
    {
        QTest::addColumn<QByteArray>("contentType");
        QTest::addColumn<QByteArray>("boundary");
        QTest::addColumn<QString>("error");
        QTest::newRow("plain") << QByteArray("multipart/form-data; boundary=abc123")
                               << QByteArray("abc123") << QString();
        QTest::newRow("quoted") << QByteArray("multipart/form-data; boundary=\"a b:c\"")
                                << QByteArray("a b:c") << QString();
        QTest::newRow("case and charset")
            << QByteArray("Multipart/Form-Data; charset=utf-8; BOUNDARY=xyz") << QByteArray("xyz")
            << QString();
        QTest::newRow("not a form") << QByteArray("application/x-www-form-urlencoded")
                                    << QByteArray() << QStringLiteral("PreconditionFailed");
        QTest::newRow("no content type")
            << QByteArray() << QByteArray() << QStringLiteral("PreconditionFailed");
        QTest::newRow("no boundary") << QByteArray("multipart/form-data") << QByteArray()
                                     << QStringLiteral("MalformedPOSTRequest");
        QTest::newRow("empty boundary") << QByteArray("multipart/form-data; boundary=")
                                        << QByteArray() << QStringLiteral("MalformedPOSTRequest");
        QTest::newRow("unclosed quote") << QByteArray("multipart/form-data; boundary=\"abc")
                                        << QByteArray() << QStringLiteral("MalformedPOSTRequest");
        QTest::newRow("boundary too long")
            << QByteArray("multipart/form-data; boundary=" + QByteArray(71, 'b')) << QByteArray()
            << QStringLiteral("MalformedPOSTRequest");
    }
    void boundaryFrom()
    {
        QFETCH(QByteArray, contentType);
        QFETCH(QByteArray, boundary);
        QFETCH(QString, error);
        auto b = MultipartFormParser::boundaryFrom(contentType);
        QCOMPARE(b.ok(), error.isEmpty());
        if (b)
            QCOMPARE(*b, boundary);
        else
            QCOMPARE(b.error().code, error);
    }

    void parser_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("error");
        QTest::addColumn<QByteArrayList>("events");
        QTest::addColumn<QByteArray>("data");

        const QByteArray b = "--" + kBoundary;
        QTest::newRow("valid") << formBody({{"key", "a/${filename}"}}) << QString()
                               << QByteArrayList {"begin key", "end",
                                      "begin file file=photo.jpg type=image/jpeg", "end"}
                               << QByteArray("a/${filename}|hello form|");
        QTest::newRow("preamble and epilogue")
            << QByteArray("ignored preamble\r\n" + b
                   + "\r\nContent-Disposition: form-data; name=k\r\n\r\nv\r\n" + b
                   + "--\r\nignored epilogue")
            << QString() << QByteArrayList {"begin k", "end"} << QByteArray("v|");
        QTest::newRow("transport padding")
            << QByteArray(
                   b + " \t\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\nv\r\n" + b + "--")
            << QString() << QByteArrayList {"begin k", "end"} << QByteArray("v|");
        QTest::newRow("data with near-delimiters")
            << QByteArray(b + "\r\nContent-Disposition: form-data; name=k\r\n\r\nx\r\n--"
                   + kBoundary.left(5) + "\r\n-\r\r\n\n--\r\n" + b + "--")
            << QString() << QByteArrayList {"begin k", "end"}
            << QByteArray("x\r\n--" + kBoundary.left(5) + "\r\n-\r\r\n\n--|");
        QTest::newRow("empty file")
            << formBody({{"key", "k"}}, "e.txt", QByteArray()) << QString()
            << QByteArrayList {"begin key", "end", "begin file file=e.txt type=image/jpeg", "end"}
            << QByteArray("k||");
        QTest::newRow("folded and quoted header") << QByteArray(b
            + "\r\nContent-Disposition: form-data;\r\n name=\"a\\\"b\"; "
              "filename=\"x;y.txt\"\r\n\r\nv\r\n"
            + b + "--") << QString() << QByteArrayList {"begin a\"b file=x;y.txt", "end"}
                                                  << QByteArray("v|");
        QTest::newRow("missing final boundary")
            << QByteArray(
                   b + "\r\nContent-Disposition: form-data; name=k\r\n\r\nv\r\n" + b + "\r\n")
            << QStringLiteral("MalformedPOSTRequest") << QByteArrayList() << QByteArray();
        QTest::newRow("truncated in a part")
            << QByteArray(b + "\r\nContent-Disposition: form-data; name=k\r\n\r\nvalue")
            << QStringLiteral("MalformedPOSTRequest") << QByteArrayList() << QByteArray();
        QTest::newRow("no delimiter at all")
            << QByteArray("key=value") << QStringLiteral("MalformedPOSTRequest") << QByteArrayList()
            << QByteArray();
        QTest::newRow("bare LF line ends")
            << QByteArray(b + "\nContent-Disposition: form-data; name=k\n\nv\n" + b + "--\n")
            << QStringLiteral("MalformedPOSTRequest") << QByteArrayList() << QByteArray();
        QTest::newRow("bare CR in a header")
            << QByteArray(
                   b + "\r\nContent-Disposition: form-data; name=k\rX: y\r\n\r\nv\r\n" + b + "--")
            << QStringLiteral("MalformedPOSTRequest") << QByteArrayList() << QByteArray();
        QTest::newRow("no content-disposition")
            << QByteArray(b + "\r\nContent-Type: text/plain\r\n\r\nv\r\n" + b + "--")
            << QStringLiteral("MalformedPOSTRequest") << QByteArrayList() << QByteArray();
        QTest::newRow("no name") << QByteArray(
            b + "\r\nContent-Disposition: form-data; filename=a\r\n\r\nv\r\n" + b + "--")
                                 << QStringLiteral("MalformedPOSTRequest") << QByteArrayList()
                                 << QByteArray();
        QTest::newRow("header without colon") << QByteArray(
            b + "\r\nContent-Disposition: form-data; name=k\r\nnonsense\r\n\r\nv\r\n" + b + "--")
                                              << QStringLiteral("MalformedPOSTRequest")
                                              << QByteArrayList() << QByteArray();
        QTest::newRow("garbage after delimiter")
            << QByteArray(
                   b + "xx\r\nContent-Disposition: form-data; name=k\r\n\r\nv\r\n" + b + "--")
            << QStringLiteral("MalformedPOSTRequest") << QByteArrayList() << QByteArray();
        QTest::newRow("header block too large") << QByteArray(b
            + "\r\nContent-Disposition: form-data; name=k\r\nX-Big: " + QByteArray(30000, 'x')
            + "\r\n\r\nv\r\n" + b + "--") << QStringLiteral("MaxPostPreDataLengthExceededError")
                                                << QByteArrayList() << QByteArray();
    }
    void parser()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, error);
        QFETCH(QByteArrayList, events);
        QFETCH(QByteArray, data);
        // Whole, and cut into pieces of every small size: the pieces must not matter.
        for (const qsizetype step : {body.size(), qsizetype(1), qsizetype(2), qsizetype(3),
                 qsizetype(7), qsizetype(kBoundary.size() + 3), qsizetype(64)}) {
            const Parsed p = parse(body, qMax<qsizetype>(1, step));
            QCOMPARE(p.result.ok(), error.isEmpty());
            if (!error.isEmpty()) {
                QCOMPARE(p.result.error().code, error);
                continue;
            }
            QCOMPARE(p.events, events);
            QCOMPARE(p.data, data);
        }
    }

    void read_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<qint64>("maxSize");
        QTest::addColumn<QString>("error");
        QTest::addColumn<QByteArrayList>("fields"); // name=value
        QTest::addColumn<QByteArray>("objectKey");
        QTest::addColumn<QByteArray>("content");

        const qint64 max = S3Store::kMaxPutSize;
        QTest::newRow("valid") << formBody(
            {{"Key", "uploads/${filename}"}, {"Content-Type", "text/plain"}, {"x-amz-meta-a", "b"}})
                               << max << QString()
                               << QByteArrayList {"key=uploads/${filename}",
                                      "content-type=text/plain", "x-amz-meta-a=b"}
                               << QByteArray("uploads/photo.jpg") << QByteArray("hello form");
        QTest::newRow("filename twice")
            << formBody({{"key", "${filename}/${filename}"}}, "a b.txt") << max << QString()
            << QByteArrayList {"key=${filename}/${filename}"} << QByteArray("a b.txt/a b.txt")
            << QByteArray("hello form");
        QTest::newRow("empty file")
            << formBody({{"key", "k"}}, "e.txt", QByteArray()) << max << QString()
            << QByteArrayList {"key=k"} << QByteArray("k") << QByteArray();
        QTest::newRow("fields after the file are ignored")
            << QByteArray(formBody({{"key", "k"}}).chopped(kBoundary.size() + 6) + "--" + kBoundary
                   + "\r\nContent-Disposition: form-data; name=\"acl\"\r\n\r\npublic-read\r\n--"
                   + kBoundary + "--\r\n")
            << max << QString() << QByteArrayList {"key=k"} << QByteArray("k")
            << QByteArray("hello form");
        QTest::newRow("file not last is the file: key after it is missing") << QByteArray("--"
            + kBoundary
            + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\ndata\r\n--"
            + kBoundary + "\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--"
            + kBoundary + "--") << max << QString() << QByteArrayList() << QByteArray()
                                                                            << QByteArray("data");
        QTest::newRow("field too long")
            << formBody({{"key", "k"}, {"x-amz-meta-big", QByteArray(21 * 1024, 'x')}}) << max
            << QStringLiteral("MaxPostPreDataLengthExceededError") << QByteArrayList()
            << QByteArray() << QByteArray();
        QTest::newRow("fields too long together")
            << formBody({{"a", QByteArray(11 * 1024, 'x')}, {"b", QByteArray(11 * 1024, 'x')}})
            << max << QStringLiteral("MaxPostPreDataLengthExceededError") << QByteArrayList()
            << QByteArray() << QByteArray();
        QTest::newRow("no file") << formBody({{"key", "k"}}, QByteArray()) << max
                                 << QStringLiteral("IncorrectNumberOfFilesInPostRequest")
                                 << QByteArrayList() << QByteArray() << QByteArray();
        QTest::newRow("missing final boundary")
            << formBody({{"key", "k"}}).chopped(kBoundary.size() + 6) << max
            << QStringLiteral("MalformedPOSTRequest") << QByteArrayList() << QByteArray()
            << QByteArray();
        QTest::newRow("file over the limit")
            << formBody({{"key", "k"}}) << qint64(5) << QStringLiteral("EntityTooLarge")
            << QByteArrayList() << QByteArray() << QByteArray();
    }
    void read()
    {
        QFETCH(QByteArray, body);
        QFETCH(qint64, maxSize);
        QFETCH(QString, error);
        QFETCH(QByteArrayList, fields);
        QFETCH(QByteArray, objectKey);
        QFETCH(QByteArray, content);
        QTemporaryDir dir;
        const QString staging = dir.filePath(QStringLiteral("staged"));
        const Read r = readBody(HttpBody(body), staging, maxSize);
        QCOMPARE(r.upload.ok(), error.isEmpty());
        if (!error.isEmpty()) {
            QCOMPARE(r.upload.error().code, error);
            QVERIFY(!QFile::exists(staging));
            if (error == QLatin1String("EntityTooLarge"))
                QCOMPARE(r.fileSize, qint64(10)); // counted to the end although not kept
            return;
        }
        QCOMPARE(r.checks, 1);
        const S3Form &form = r.upload->form;
        QByteArrayList got;
        for (const auto &[n, v] : form.fields)
            got.append(n + '=' + v);
        QCOMPARE(got, fields);
        QCOMPARE(form.objectKey(), objectKey);
        QVERIFY(form.hasFile);
        // The check saw the fields and the file's headers before any of its bytes.
        QCOMPARE(r.checked.fields, form.fields);
        const S3StagedBody &staged = r.upload->body;
        QVERIFY(staged.path.isEmpty());
        QCOMPARE(staged.data, content);
        QCOMPARE(staged.size, content.size());
        QCOMPARE(staged.md5, QCryptographicHash::hash(content, QCryptographicHash::Md5));
        QCOMPARE(staged.sha256Hex,
            QCryptographicHash::hash(content, QCryptographicHash::Sha256).toHex());
        QCOMPARE(staged.checksumAlgorithm, ChecksumAlgorithm::Crc32);
        QCOMPARE(staged.checksum, Checksum::compute(ChecksumAlgorithm::Crc32, content));
    }

    // A body the HTTP server spooled to disk, with a file too big for an object row: it goes
    // to the staging file, read in pieces.
    void spooledBody()
    {
        QByteArray content(3 * 1024 * 1024 + 17, Qt::Uninitialized);
        for (qsizetype i = 0; i < content.size(); ++i)
            content[i] = char((i * 7 + i / 4093) & 0xFF);
        // Delimiter look-alikes straddling the 1 MiB read chunks.
        content.replace(1024 * 1024 - 3, 8, QByteArray("\r\n--" + kBoundary.left(4)));
        const QByteArray body = formBody({{"key", "big"}}, "big.bin", content);
        auto file = std::make_shared<QTemporaryFile>();
        QVERIFY(file->open());
        QCOMPARE(file->write(body), body.size());
        file->flush();
        QTemporaryDir dir;
        const QString staging = dir.filePath(QStringLiteral("staged"));
        const Read r = readBody(HttpBody::fromFile(file, body.size()), staging);
        QVERIFY2(r.upload.ok(), qPrintable(r.upload.ok() ? QString() : r.upload.error().message));
        const S3StagedBody &staged = r.upload->body;
        QCOMPARE(staged.path, staging);
        QVERIFY(staged.data.isEmpty());
        QFile stagedFile(staging);
        QVERIFY(stagedFile.open(QIODevice::ReadOnly));
        QCOMPARE(stagedFile.readAll(), content);
        QCOMPARE(staged.size, content.size());
        QCOMPARE(staged.md5, QCryptographicHash::hash(content, QCryptographicHash::Md5));
        QCOMPARE(staged.sha256Hex,
            QCryptographicHash::hash(content, QCryptographicHash::Sha256).toHex());
    }

    // A check that refuses stops the reading: nothing is staged.
    void refusedCheck()
    {
        QTemporaryDir dir;
        const QString staging = dir.filePath(QStringLiteral("staged"));
        int calls = 0;
        auto r
            = S3FormUpload::read(HttpBody(formBody({{"key", "k"}}, "f", QByteArray(100000, 'x'))),
                kBoundary, staging, [&](const S3Form &) -> Result<S3FormUpload::FileOptions> {
                    ++calls;
                    return makeError(QStringLiteral("AccessDenied"), QStringLiteral("no"), 403);
                });
        QVERIFY(!r);
        QCOMPARE(r.error().code, QStringLiteral("AccessDenied"));
        QCOMPARE(calls, 1);
        QVERIFY(!QFile::exists(staging));
    }
};

QTEST_GUILESS_MAIN(TestS3FormUpload)
#include "tst_s3formupload.moc"
