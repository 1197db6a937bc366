// Writes random blobs into a state folder the way the engine does (blob durable, then row
// committed, then the client told), printing "ack <sha> <size>" only after both. It runs
// until killed: tst_crashrecovery kills it with SIGKILL at random points.
#include "store/blobstore.h"
#include "store/database.h"

#include <QCoreApplication>
#include <QDir>
#include <QRandomGenerator>

#include <cstdio>

using namespace tarmac;

namespace {

const std::vector<Migration> migrations = {
    {1, "CREATE TABLE objects(id INTEGER PRIMARY KEY, sha TEXT NOT NULL, size INTEGER NOT NULL)"},
};

int fail(const Error &error)
{
    std::fprintf(stderr, "blobwriter: %s\n", qUtf8Printable(error.message));
    return 1;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 2) {
        std::fprintf(stderr, "usage: blobwriter STATE_DIR\n");
        return 2;
    }
    const QDir state(args.at(1));
    if (!QDir().mkpath(state.path())) {
        std::fprintf(stderr, "blobwriter: cannot create %s\n", qUtf8Printable(state.path()));
        return 1;
    }

    Result<std::unique_ptr<Database>> opened
        = Database::open(state.filePath(QStringLiteral("tarmac.db")));
    if (!opened)
        return fail(opened.error());
    Database &db = **opened;
    if (const Result<void> migrated = migrate(db, migrations); !migrated)
        return fail(migrated.error());

    BlobStore blobs(state.filePath(QStringLiteral("blobs")));
    if (const Result<void> ready = blobs.init(); !ready)
        return fail(ready.error());

    Result<Statement> insert = db.prepare("INSERT INTO objects(sha, size) VALUES (?, ?)");
    if (!insert)
        return fail(insert.error());

    QRandomGenerator *random = QRandomGenerator::global();
    QByteArray data;
    for (;;) {
        data.resize(random->bounded(1, 256 * 1024 + 1));
        for (char &c : data)
            c = char(random->bounded(256));

        const Result<BlobStore::Stored> stored = blobs.put(data);
        if (!stored)
            return fail(stored.error());

        Transaction transaction(db);
        if (!transaction.began())
            return fail(transaction.began().error());
        const QByteArray &sha = stored->sha256Hex;
        const Result<void> inserted
            = insert->bind(1, std::string_view(sha.constData(), size_t(sha.size())))
                  .bind(2, stored->size)
                  .exec();
        if (!inserted)
            return fail(inserted.error());
        if (const Result<void> committed = transaction.commit(); !committed)
            return fail(committed.error());

        std::printf("ack %s %lld\n", sha.constData(), static_cast<long long>(stored->size));
        std::fflush(stdout);
    }
}
