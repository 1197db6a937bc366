#pragma once

#include "base/result.h"
#include "functions/functionconfig.h"
#include "functions/runtimeapi.h"
#include "functions/runtimeplugin.h"

#include <QElapsedTimer>
#include <QObject>
#include <QProcessEnvironment>
#include <QTimer>

#include <memory>

class QProcess;

namespace tarmac {

// One warm copy of a function: a child process speaking the Lambda Runtime API to its own
// listener, driven as an explicit state machine (STYLE.md 5):
//
//   Starting ──first /next──► Ready ──invoke()──► Invoking ──response/error──► Ready
//      │                        │                   │  └──deadline──► TimingOut ──exit──► Stopped
//      └─init error, exit,      └─exit──► Failed    └─exit, memory──► Failed ──exit──► Stopped
//        start-up timeout──► Failed                       (stop() from any state ──► Stopped)
//
// Any other transition is refused (and logged): canTransition() is the table. The process
// runs in its own process group, which is killed as a whole on timeout, on memory overrun
// and on stop(), and it dies with Tarmac (PR_SET_PDEATHSIG) should Tarmac itself be killed.
//
// It serves one invocation at a time and knows nothing of pools, concurrency, traces or log
// records: it reports lines of output and outcomes, and the FunctionRunner makes Lambda's
// START/END/REPORT lines, spans and results out of them. Lives on one thread (the runner's);
// not thread-safe.
class FunctionInstance : public QObject, private RuntimeApiBackend
{
    Q_OBJECT
public:
    enum class State { Starting, Ready, Invoking, TimingOut, Failed, Stopped };
    Q_ENUM(State)

    static bool canTransition(State from, State to);
    static QString stateName(State state);

    enum class Stream { Stdout, Stderr };

    struct Options
    {
        int startupTimeoutMs = 10'000; // Lambda's init phase limit
        int memoryPollMs = 25;
        QString spoolDir; // where large runtime responses are spooled
    };

    // What the runtime gets from /next, and the limits that apply to it.
    struct Invocation
    {
        QByteArray requestId;
        QByteArray payload;
        QByteArray invokedFunctionArn;
        QByteArray traceHeader; // Lambda-Runtime-Trace-Id (X-Ray form)
        QByteArray clientContext; // decoded JSON, or empty
        QByteArray identity; // JSON, or empty
        qint64 deadlineMs = 0; // epoch milliseconds
        int timeoutMs = 3000;
        // When the deadline timer fires, if not at timeoutMs: an injected timeout (the
        // message still names timeoutMs, as the function's own timeout would).
        int timerMs = -1;
        qint64 memoryLimitBytes = 0; // 0: not enforced
    };

    // How an invocation ended. A failure carries the error document Lambda would return.
    struct Outcome
    {
        QByteArray requestId;
        bool ok = false;
        QByteArray payload; // the response bytes, or the error document
        QByteArray contentType;
        QString errorType; // failures: "Unhandled"-class types from the runtime, or ours
        QString errorMessage; // for logs
        QByteArray platformLog; // a line Lambda's platform would log ("Task timed out …")
        qint64 durationNs = 0;
        qint64 maxRssBytes = 0;
    };

    FunctionInstance(QByteArray id, FunctionConfig config, RuntimeLaunch launch,
        QProcessEnvironment environment, Options options, QObject *parent = nullptr);
    ~FunctionInstance() override;

    QByteArray id() const { return m_id; }
    const FunctionConfig &config() const { return m_config; }
    State state() const { return m_state; }
    // Ready, holding no invocation, and the runtime is waiting in /next: invoke() would be
    // accepted. An instance that has just answered is Ready but not idle until its runtime
    // asks for more (it may also exit instead, as a runtime does after a fatal error).
    bool isIdle() const { return m_state == State::Ready && !m_current && m_parkedNext.isValid(); }
    // Ready, holding no invocation, and its runtime not yet back in /next.
    bool isReturning() const
    {
        return m_state == State::Ready && !m_current && !m_parkedNext.isValid();
    }
    qint64 pid() const;
    quint16 runtimeApiPort() const;
    // From spawn to the runtime's first /next; 0 until then.
    qint64 initDurationNs() const { return m_initDurationNs; }

    // Opens the Runtime API listener and spawns the process (Starting). Failing to listen is
    // an error here; a process that cannot be executed fails later (initFailed).
    Result<void> start();
    // Hands over an invocation. Only when idle; exactly one invocationFinished() follows.
    Result<void> invoke(Invocation invocation);
    // Kills the process group and ends in Stopped, whatever the state; a running invocation
    // finishes with `reason` as a Runtime.Stopped failure.
    void stop(const QString &reason = QStringLiteral("the instance was stopped"));

signals:
    void stateChanged(tarmac::FunctionInstance::State state);
    // A Ready instance's runtime is back in /next: it is idle again.
    void idle();
    // A line the process wrote (without its newline; over-long lines come in pieces).
    void output(const QByteArray &line, tarmac::FunctionInstance::Stream stream);
    void invocationFinished(const tarmac::FunctionInstance::Outcome &outcome);
    // Initialisation failed before any invocation was handed over: the error document to
    // give the invocation that was waiting for this instance.
    void initFailed(const tarmac::FunctionInstance::Outcome &outcome);

private:
    // RuntimeApiBackend
    void nextInvocation(HttpResponder responder) override;
    void invocationResponse(
        const QByteArray &requestId, HttpRequest &&request, HttpResponder responder) override;
    void invocationError(
        const QByteArray &requestId, HttpRequest &&request, HttpResponder responder) override;
    void initError(HttpRequest &&request, HttpResponder responder) override;
    void responseTooLarge(const QByteArray &requestId) override;

    bool transition(State to);
    void sendInvocation();
    bool acceptAnswer(const QByteArray &requestId, const HttpResponder &responder);
    static Outcome errorOutcome(const HttpRequest &request, const QString &fallbackType);
    void finishInvocation(Outcome outcome, State next);
    void failInit(Outcome outcome);
    void onProcessFinished(int exitCode, int exitStatus);
    void onProcessError(int error);
    void onStartupTimeout();
    void onDeadline();
    void pollMemory();
    void readOutput(Stream stream);
    void drainOutput();
    void killGroup();
    qint64 currentRss(qint64 *peak, bool withChildren = true) const;
    Outcome failure(const char *errorType, const QString &message) const;

    const QByteArray m_id;
    const FunctionConfig m_config;
    const RuntimeLaunch m_launch;
    const QProcessEnvironment m_environment;
    const Options m_options;
    State m_state = State::Starting;
    QProcess *m_process = nullptr;
    std::unique_ptr<RuntimeApiServer> m_api;
    HttpResponder m_parkedNext;
    std::unique_ptr<Invocation> m_current;
    bool m_currentSent = false;
    QElapsedTimer m_spawnTimer;
    QElapsedTimer m_invokeTimer;
    qint64 m_initDurationNs = 0;
    qint64 m_peakRss = 0;
    static constexpr qint64 kPeakReadMs = 1000;
    QElapsedTimer m_peakRead; // when VmHWM was last read at the end of an invocation
    Outcome m_initError;
    bool m_hasInitError = false;
    bool m_memoryExceeded = false;
    // Real time, not the engine's Clock: these bound a process that really runs, so a frozen
    // clock must not let a hung function run forever, nor an advance kill one that has run
    // for a few milliseconds.
    QTimer m_startupTimer;
    QTimer m_deadlineTimer;
    QTimer m_memoryTimer;
    QByteArray m_partial[2]; // an unfinished line per stream
};

} // namespace tarmac

Q_DECLARE_METATYPE(tarmac::FunctionInstance::Outcome)
