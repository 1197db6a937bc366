#pragma once

#include "services/s3/s3lifecycle.h"

#include <QObject>
#include <QString>

namespace tarmac {

class Clock;
class S3Store;
struct S3Object;

// Runs buckets' lifecycle rules (s3lifecycle.h) on the engine's clock: expires current and
// noncurrent versions and expired delete markers, moves objects to colder storage classes and
// aborts incomplete multipart uploads, with the notifications S3 sends for them
// (LifecycleExpiration:*, LifecycleTransition).
//
// Every lifecycle action falls due at a midnight UTC (S3 rounds Days up to the next midnight,
// and a Date is one), so a sweep runs at each midnight on the clock, and at once when a
// bucket's configuration changes. Advancing a manual clock by days runs the midnights it passes
// in order. A sweep reads a whole bucket's versions: lifecycle is for tests and development
// data, not millions of objects. Versions under object lock are left alone, as S3 leaves them.
// Lives on the engine's thread.
class S3LifecycleRunner : public QObject
{
    Q_OBJECT
public:
    S3LifecycleRunner(S3Store *store, const Clock *clock, QObject *parent = nullptr);
    ~S3LifecycleRunner() override;

    // Arms the first midnight and sweeps what is due already.
    void start();
    // A bucket's lifecycle configuration changed (from any thread): sweep it soon.
    void configurationChanged(const QString &bucket);
    // Applies every rule due at the clock's time to one bucket (all buckets when empty).
    // Returns how many actions it took.
    int sweep(const QString &bucket = {});
    // A version as the rules see it (the key-wide counts left at their defaults).
    static s3lifecycle::ObjectVersion describe(const S3Object &version, bool versioned);

private:
    void armMidnight();
    int sweepBucket(const QString &bucket);

    S3Store *m_store;
    const Clock *m_clock;
    quint64 m_timer = 0;
};

} // namespace tarmac
