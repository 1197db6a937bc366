#pragma once

#include "replay/capture.h"
#include "replay/expectation.h"

#include <QObject>

#include <functional>

namespace tarmac {

class Engine;

// Plays a capture against a running engine (`tarmac replay`): each event, in order, to its
// target function (origin "replay", a new trace each), as fast as possible or at the
// recorded pace scaled by `speed`; each outcome is checked against the event's expectation.
// Lives on the engine's thread.
class Replayer : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QString defaultTarget; // for events without one (a CloudWatch or SQS capture)
        double speed = 0; // 0: as fast as possible; else recorded pace divided by speed
        QList<Mapping> mappings;
    };
    struct Result
    {
        CaptureRecord record;
        QString function; // the function it went to, when there was one
        QString kind; // eventKind()
        ReplayOutcome outcome;
        QStringList mismatches; // empty: every expectation held
        QByteArray traceId;
        double durationMs = 0;
    };

    Replayer(Engine *engine, Capture capture, Options options, QObject *parent = nullptr);

    void start();
    const QList<Result> &results() const { return m_results; }
    const QList<Mapping> &mappings() const { return m_options.mappings; }
    bool allHeld() const;

signals:
    // One event done (its result is results().last()).
    void replayed(int index);
    void finished();

private:
    void next();
    void record(Result result);

    Engine *m_engine;
    Capture m_capture;
    Options m_options;
    QList<Result> m_results;
    int m_next = 0;
    qint64 m_startedMs = 0;
    std::optional<qint64> m_firstEventMs;
};

// JUnit XML (what CI systems read): one testsuite "tarmac replay", one testcase per event,
// a <failure> with every mismatch for those that did not hold.
QByteArray junitReport(const QList<Replayer::Result> &results, const QString &captureName);

// One line per event, and the mismatches under it, for the terminal.
QByteArray textReport(const QList<Replayer::Result> &results);

} // namespace tarmac
