#pragma once

#include "base/result.h"
#include "trace/otlpexport.h"
#include "trace/span.h"

#include <QByteArray>
#include <QList>
#include <QProcessEnvironment>
#include <QString>
#include <QUrl>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace tarmac {

// Streams spans and logs to an OpenTelemetry collector over OTLP/HTTP (`tarmac serve
// --otlp-endpoint URL`, or the OTEL_EXPORTER_OTLP_* variables as OpenTelemetry's SDKs read
// them): protobuf by default, JSON on request (PROTOCOLS.md §9.3).
//
// enqueue() is called on the trace writer's thread after each commit, and only appends to a
// bounded queue; the request path never waits for a collector. A thread of its own sends
// batches of up to maxBatch records, maxDelayMs after the first one waiting. A collector that
// is down, or answers 429, 502, 503 or 504, is retried with exponential backoff (from
// firstBackoffMs to maxBackoffMs, or its Retry-After); meanwhile records that do not fit in
// maxQueued are dropped and counted. Any other answer but 2xx drops the batch (bad data is
// not retried). Each change between working and failing is reported once, through `report`.
class OtlpExporter
{
public:
    struct Options
    {
        QUrl tracesUrl; // e.g. http://127.0.0.1:4318/v1/traces
        QUrl logsUrl;
        QList<std::pair<QByteArray, QByteArray>> headers; // sent with every request
        bool json = false; // http/json instead of http/protobuf
        qsizetype maxBatch = 512;
        int maxDelayMs = 200;
        qsizetype maxQueued = 20'000; // records of each kind
        int timeoutMs = 10'000; // connecting, writing and reading one answer
        int firstBackoffMs = 500;
        int maxBackoffMs = 30'000;
        otlp::ExportOptions document;
        // One line for the terminal; unset: stderr.
        std::function<void(const QString &)> report;
    };

    // The exporter's settings from `--otlp-endpoint` (`flag`: a base URL, as
    // OTEL_EXPORTER_OTLP_ENDPOINT; it wins over the variables) and the environment:
    // OTEL_EXPORTER_OTLP_{,TRACES_,LOGS_}ENDPOINT, …_HEADERS ("k=v,k2=v2", values
    // percent-decoded) and …_PROTOCOL (http/protobuf or http/json). nullopt: no endpoint set,
    // nothing to export. An error: a URL or protocol Tarmac cannot use (one line, for a user).
    static Result<std::optional<Options>> fromSettings(
        const QString &flag, const QProcessEnvironment &environment);

    explicit OtlpExporter(Options options);
    // Sends what is queued (giving up after stopDeadlineMs), then stops.
    ~OtlpExporter();

    // Thread-safe; never blocks on the network.
    void enqueue(const QList<Span> &spans, const QList<LogRecord> &logs);
    // Blocks until everything enqueued before the call has been sent, dropped or refused, or
    // `timeoutMs` passed. Returns whether it all went out.
    bool flush(int timeoutMs);

    struct Stats
    {
        quint64 sentSpans = 0;
        quint64 sentLogs = 0;
        quint64 dropped = 0; // did not fit in the queue, or refused by the collector
        quint64 failedRequests = 0; // attempts that failed (each retry counts)
    };
    Stats stats() const;

    static constexpr int stopDeadlineMs = 2'000;

private:
    struct Answer
    {
        int status = 0; // 0: no answer (connection refused, reset, timed out)
        QString problem;
        int retryAfterMs = -1;
    };
    void run();
    Answer post(const QUrl &url, const QByteArray &body);
    void say(const QString &line) const;

    Options m_options;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_idle;
    std::deque<Span> m_spans;
    std::deque<LogRecord> m_logs;
    quint64 m_enqueued = 0; // records ever enqueued
    quint64 m_finished = 0; // records sent, dropped or refused
    bool m_stop = false;
    bool m_hurry = false; // someone waits in flush(): no batching delay
    std::chrono::steady_clock::time_point m_stopBy;
    Stats m_stats;
    bool m_failing = false;
    quint64 m_droppedWhenFailing = 0;

    // The connection, used by the sending thread only.
    struct Connection;
    std::unique_ptr<Connection> m_connection;
    std::thread m_thread;
};

} // namespace tarmac
