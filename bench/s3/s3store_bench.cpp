// Model-level costs of S3Store, without HTTP: CPU per putObject and object() for 4 KiB bodies
// (inline in their rows) and per listObjects page over 10,000 keys. It shows how much of a
// request's server CPU the model itself takes; bench/s3/run measures whole requests.
//
//   s3store_bench [N]

#include "base/clock.h"
#include "services/s3/s3store.h"
#include "store/store.h"

#include <QCoreApplication>
#include <QTemporaryDir>

#include <cstdio>
#include <ctime>

using namespace tarmac;

namespace {

double cpuSeconds()
{
    timespec ts {};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

S3StagedBody inlineBody(const QByteArray &data)
{
    S3StagedBody b;
    BodyDigest d;
    d.add(data);
    d.finish();
    b.data = data;
    b.size = d.size();
    b.md5 = d.md5();
    b.sha256Hex = d.sha256Hex();
    return b;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int n = argc > 1 ? std::atoi(argv[1]) : 10000;
    QTemporaryDir dir;
    SystemClock clock;
    auto store = Store::open(dir.path());
    if (!store) {
        std::fprintf(stderr, "%s\n", qPrintable(store.error().message));
        return 1;
    }
    S3Store s3(store->get(), &clock, dir.path());
    if (!s3.open() || !s3.createBucket(QStringLiteral("bench"), QStringLiteral("us-east-1")))
        return 1;
    const QByteArray body(argc > 2 ? std::atoi(argv[2]) : 4096, 'x');
    const S3StagedBody staged = inlineBody(body);
    S3ObjectAttributes attributes;
    attributes.headers = {{"content-type", "application/octet-stream"}};

    double t = cpuSeconds();
    for (int i = 0; i < n; ++i) {
        if (!s3.putObject(
                QStringLiteral("bench"), "key/" + QByteArray::number(i), staged, attributes))
            return 1;
    }
    const double put = (cpuSeconds() - t) / n;
    t = cpuSeconds();
    for (int i = 0; i < n; ++i) {
        if (!s3.object(QStringLiteral("bench"), "key/" + QByteArray::number(i % n)))
            return 1;
    }
    const double get = (cpuSeconds() - t) / n;
    t = cpuSeconds();
    int pages = 0;
    S3ListQuery q;
    q.maxKeys = 1000;
    for (;;) {
        auto page = s3.listObjects(QStringLiteral("bench"), q);
        if (!page)
            return 1;
        ++pages;
        if (!page->truncated)
            break;
        q.after = page->last;
    }
    const double list = cpuSeconds() - t;
    std::printf("putObject 4 KiB inline: %.1f us CPU\nobject(): %.1f us CPU\n"
                "list %d keys in %d pages: %.2f ms CPU\n",
        put * 1e6, get * 1e6, n, pages, list * 1e3);
    return 0;
}
