#pragma once

#include "replay/capture.h"
#include "replay/expectation.h"

#include <QHash>
#include <QObject>
#include <QSet>

#include <memory>
#include <optional>

#include <functional>

class QNetworkAccessManager;
class QTimer;

namespace tarmac {

class Engine;
struct DeliveryRecord;

// Plays a capture against a running engine (`tarmac replay`): each event, in order, to its
// target, as fast as possible or at the recorded pace scaled by `speed`; each outcome is
// checked against the event's expectation. Lives on the engine's thread.
//
// A target is a function (logical id, name or ARN: invoked with origin "replay", a new trace
// each), or `sqs:QUEUE` (logical id, name or URL): the event's messages (an SQS event's
// records, else the event as one message body) are sent to the queue through the edge port,
// as a producer would send them, and the queue's event-source mapping delivers them in its
// own batches, with its retries and redrive; the outcome is that of the first delivery that
// carried them (its response, its error), once every message has been in a finished one.
//
// `s3:BUCKET` (logical id or name): the S3 event's objects are created (PUT: the object's
// own bytes again when it exists, else as many zero bytes as the record says) or removed
// (DELETE) in the bucket, whose notification configuration delivers what it makes of them.
//
// An expectation's `effects` (effects.h) are read through the edge port once the engine has
// settled.
//
// `api` (or `api:ANYTHING`, for the reader): an API Gateway event (payload 1.0 or 2.0) is sent
// as the HTTP request it describes (method, path, query, headers, body) to the API port, so
// that it passes through routing, authorizers and the integration as in production; the
// outcome is the HTTP response, {"statusCode", "headers", "body"} (the body parsed when it is
// JSON), an error when the status is 5xx.
class Replayer : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QString defaultTarget; // for events without one (a CloudWatch or SQS capture)
        double speed = 0; // 0: as fast as possible; else recorded pace divided by speed
        QList<Mapping> mappings;
        // Before each event, wait until what the previous ones set going has finished
        // (POST /_tarmac/settle), so that an event that reads what an earlier one caused
        // finds it as it did when it was recorded.
        bool settle = false;
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
    // The capture's events, and whether every one has its result.
    int total() const { return int(m_capture.records.size()); }
    bool isDone() const { return m_results.size() >= m_capture.records.size(); }
    const QList<Mapping> &mappings() const { return m_options.mappings; }
    bool allHeld() const;

signals:
    // One event done (its result is results().last()).
    void replayed(int index);
    void finished();

private:
    void next();
    // Checks the result against its event's expectation, keeps it, and goes on.
    void record(Result result);
    // Keeps a checked result and goes on to the next event.
    void keep(Result result);
    QNetworkAccessManager *http();
    // sqs:QUEUE: sends the messages, then waits for the deliveries that carry them.
    void sendToQueue(Result result, const QString &queue);
    void onDeliveryFinished(const QByteArray &id);
    // Applies the finished deliveries that carried the awaited messages; records the result
    // once every message was sent and seen.
    void checkQueueWait();
    void failPending(const QString &type, const QString &message);
    // s3:BUCKET: the event's objects created (PUT) or removed (DELETE) in the bucket through
    // the edge port, on a trace of the replay's own; its notification configuration then
    // delivers the events it makes of them. The outcome is the first finished delivery on
    // that trace (or, through a queue, naming the bucket and key), once every key was seen.
    void sendToBucket(Result result, const QString &bucket);
    // The wait's outcome from a finished delivery that carried its messages or objects.
    void applyDelivery(const DeliveryRecord &record);
    void startWaitTimeout();
    void watchDeliveries();
    // Ends the queue wait: its result, the wait's state cleared.
    Result takeWait();
    // api: sends the event as an HTTP request to the API port.
    void sendToApi(Result result);
    struct QueueWait
    {
        std::shared_ptr<Result> result;
        int unsent = 0; // SendMessage calls not answered yet
        QSet<QString> messageIds; // sent, not yet seen in a finished delivery
        bool outcomeSet = false;
        QTimer *timeout = nullptr;
        // s3:BUCKET: the trace the object requests carried, the bucket, and the keys (as
        // records encode them) not yet seen in a finished delivery.
        QByteArray traceId;
        QByteArray bucket;
        QSet<QByteArray> keys;
    };
    std::optional<QueueWait> m_wait;
    // Message id → the finished delivery that carried it (a delivery may finish before the
    // SendMessage answer that names its message arrives).
    QHash<QString, QByteArray> m_carriedBy;
    bool m_watchingDeliveries = false;
    QNetworkAccessManager *m_http = nullptr;

    Engine *m_engine;
    Capture m_capture;
    Options m_options;
    QList<Result> m_results;
    int m_next = 0;
    bool m_settled = false; // --settle: settled since the last event went
    qint64 m_startedMs = 0;
    std::optional<qint64> m_firstEventMs;
};

// JUnit XML (what CI systems read): one testsuite "tarmac replay", one testcase per event,
// a <failure> with every mismatch for those that did not hold.
QByteArray junitReport(const QList<Replayer::Result> &results, const QString &captureName);

// One line per event, and the mismatches under it, for the terminal.
QByteArray textReport(const QList<Replayer::Result> &results);

} // namespace tarmac
