#include "store/blobstore.h"
#include "store/database.h"

#include <QDir>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

#include <sys/types.h>

using namespace tarmac;

namespace {

struct Ack
{
    QByteArray sha;
    qint64 size = 0;
};

} // namespace

// Kills a writer with SIGKILL at random points and checks the promise the store makes: what
// was acknowledged is still there after the restart, with its row and intact bytes.
class TestCrashRecovery : public QObject
{
    Q_OBJECT

private:
    // Takes the complete "ack" lines off the front of pending.
    static bool takeAcks(QByteArray &pending, QList<Ack> &acks)
    {
        qsizetype newline;
        while ((newline = pending.indexOf('\n')) >= 0) {
            const QByteArray line = pending.left(newline);
            pending.remove(0, newline + 1);
            const QList<QByteArray> parts = line.split(' ');
            bool sizeOk = false;
            if (parts.size() != 3 || parts.at(0) != "ack" || !BlobStore::isValidName(parts.at(1)))
                return false;
            const qint64 size = parts.at(2).toLongLong(&sizeOk);
            if (!sizeOk)
                return false;
            acks.append({parts.at(1), size});
        }
        return true;
    }

private slots:
    void acknowledgedWritesSurviveSigkill()
    {
        const QString writer = QStringLiteral(TARMAC_BLOBWRITER_PATH);
        QVERIFY2(QFileInfo(writer).isExecutable(), qPrintable(writer));
        QTemporaryDir state;
        QVERIFY(state.isValid());

        QList<Ack> acked;
        for (int round = 1; round <= 5; ++round) {
            const int killAfter = QRandomGenerator::global()->bounded(20, 201);
            const qsizetype before = acked.size();

            QProcess process;
            process.start(writer, {state.path()});
            QVERIFY2(process.waitForStarted(), qPrintable(process.errorString()));
            QByteArray pending;
            while (acked.size() - before < killAfter) {
                if (!process.waitForReadyRead(60000)) {
                    QFAIL(qPrintable(
                        QStringLiteral("blobwriter stopped in round %1: %2")
                            .arg(round)
                            .arg(QString::fromLocal8Bit(process.readAllStandardError()))));
                }
                pending += process.readAllStandardOutput();
                QVERIFY2(takeAcks(pending, acked), pending.constData());
            }
            QCOMPARE(::kill(pid_t(process.processId()), SIGKILL), 0);
            QVERIFY(process.waitForFinished(30000));
            QCOMPARE(process.exitStatus(), QProcess::CrashExit);
            // Acks already in the pipe were promised too.
            pending += process.readAllStandardOutput();
            QVERIFY2(takeAcks(pending, acked), pending.constData());
            qInfo("round %d: killed after %lld acks (%lld in all)", round,
                static_cast<long long>(acked.size() - before),
                static_cast<long long>(acked.size()));

            verifyState(state.path(), acked);
            if (QTest::currentTestFailed())
                return;
        }

        // A put cut short by the kill leaves its temporary behind until the next init().
        BlobStore blobs(QDir(state.path()).filePath(QStringLiteral("blobs")));
        QVERIFY(blobs.init());
        QVERIFY(QDir(blobs.root() + QStringLiteral("/tmp")).isEmpty());
    }

private:
    void verifyState(const QString &statePath, const QList<Ack> &acked)
    {
        const QDir state(statePath);
        Result<std::unique_ptr<Database>> opened
            = Database::open(state.filePath(QStringLiteral("tarmac.db")));
        QVERIFY2(opened, opened ? "" : qPrintable(opened.error().message));
        Database &db = **opened;
        const Result<QString> check = db.integrityCheck();
        QVERIFY(check);
        QCOMPARE(*check, QStringLiteral("ok"));

        const BlobStore blobs(state.filePath(QStringLiteral("blobs")));
        Result<Statement> find
            = db.prepare("SELECT count(*) FROM objects WHERE sha = ? AND size = ?");
        QVERIFY(find);
        for (const Ack &ack : acked) {
            find->bind(1, std::string_view(ack.sha.constData(), size_t(ack.sha.size())))
                .bind(2, ack.size);
            const Result<bool> row = find->step();
            QVERIFY(row && *row);
            QVERIFY2(find->int64(0) == 1, ack.sha.constData());
            find->reset();
            QVERIFY2(blobs.verify(ack.sha), ack.sha.constData());
        }

        // The other half of the ordering: no committed row points at a missing blob, acked
        // or not.
        Result<Statement> all = db.prepare("SELECT sha, size FROM objects");
        QVERIFY(all);
        qint64 rows = 0;
        for (;;) {
            const Result<bool> row = all->step();
            QVERIFY(row);
            if (!*row)
                break;
            ++rows;
            const QByteArray sha = all->text(0).toLatin1();
            QVERIFY2(blobs.verify(sha), sha.constData());
            QCOMPARE(QFileInfo(blobs.pathFor(sha)).size(), all->int64(1));
        }
        QVERIFY(rows >= acked.size());
    }
};

QTEST_GUILESS_MAIN(TestCrashRecovery)
#include "tst_crashrecovery.moc"
