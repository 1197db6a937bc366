#include "functions/functioninstance.h"

#include "base/json.h"

#include <QFile>
#include <QProcess>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace tarmac {

namespace {

constexpr qsizetype kMaxLine = 64 * 1024; // longer lines are reported in pieces

QByteArray exitDescription(int exitCode, QProcess::ExitStatus status)
{
    if (status == QProcess::CrashExit) {
        // Go's wording, which is what Lambda prints: "signal: killed".
        const char *name = ::strsignal(exitCode);
        return "signal: " + (name ? QByteArray(name).toLower() : QByteArray::number(exitCode));
    }
    return "exit status " + QByteArray::number(exitCode);
}

qint64 statusField(const QByteArray &status, const char *field)
{
    const qsizetype at = status.indexOf(field);
    if (at < 0)
        return 0;
    qsizetype i = at + qsizetype(std::strlen(field));
    while (i < status.size() && (status[i] == ' ' || status[i] == '\t'))
        ++i;
    qint64 kb = 0;
    while (i < status.size() && status[i] >= '0' && status[i] <= '9')
        kb = kb * 10 + (status[i++] - '0');
    return kb * 1024;
}

// Plain system calls: this runs at the end of every invocation, where QFile's own work cost
// more than the read.
QByteArray readProcFile(const QByteArray &path)
{
    const int fd = ::open(path.constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return {};
    QByteArray out(8192, Qt::Uninitialized);
    qsizetype size = 0;
    while (size < out.size()) {
        const ssize_t n = ::read(fd, out.data() + size, size_t(out.size() - size));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        size += n;
    }
    ::close(fd);
    out.truncate(size);
    return out;
}

} // namespace

bool FunctionInstance::canTransition(State from, State to)
{
    if (to == State::Stopped)
        return from != State::Stopped;
    switch (from) {
    case State::Starting:
        return to == State::Ready || to == State::Failed;
    case State::Ready:
        return to == State::Invoking || to == State::Failed;
    case State::Invoking:
        return to == State::Ready || to == State::TimingOut || to == State::Failed;
    case State::TimingOut:
    case State::Failed:
    case State::Stopped:
        return false;
    }
    return false;
}

QString FunctionInstance::stateName(State state)
{
    switch (state) {
    case State::Starting:
        return QStringLiteral("Starting");
    case State::Ready:
        return QStringLiteral("Ready");
    case State::Invoking:
        return QStringLiteral("Invoking");
    case State::TimingOut:
        return QStringLiteral("TimingOut");
    case State::Failed:
        return QStringLiteral("Failed");
    case State::Stopped:
        return QStringLiteral("Stopped");
    }
    return {};
}

FunctionInstance::FunctionInstance(QByteArray id, FunctionConfig config, RuntimeLaunch launch,
    QProcessEnvironment environment, Options options, QObject *parent)
    : QObject(parent)
    , m_id(std::move(id))
    , m_config(std::move(config))
    , m_launch(std::move(launch))
    , m_environment(std::move(environment))
    , m_options(std::move(options))
{
    m_startupTimer.setSingleShot(true);
    m_deadlineTimer.setSingleShot(true);
    m_deadlineTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_startupTimer, &QTimer::timeout, this, &FunctionInstance::onStartupTimeout);
    connect(&m_deadlineTimer, &QTimer::timeout, this, &FunctionInstance::onDeadline);
    connect(&m_memoryTimer, &QTimer::timeout, this, &FunctionInstance::pollMemory);
}

FunctionInstance::~FunctionInstance()
{
    if (m_process) {
        m_process->disconnect(this);
        if (m_process->state() != QProcess::NotRunning) {
            killGroup();
            m_process->waitForFinished(2000);
        }
    }
    m_api.reset();
}

qint64 FunctionInstance::pid() const
{
    return m_process ? m_process->processId() : 0;
}

quint16 FunctionInstance::runtimeApiPort() const
{
    return m_api ? m_api->port() : 0;
}

bool FunctionInstance::transition(State to)
{
    if (!canTransition(m_state, to)) {
        qWarning("tarmac: function %s instance %s: refused transition %s -> %s",
            qPrintable(m_config.name), m_id.constData(), qPrintable(stateName(m_state)),
            qPrintable(stateName(to)));
        return false;
    }
    m_state = to;
    emit stateChanged(to);
    return true;
}

FunctionInstance::Outcome FunctionInstance::failure(
    const char *errorType, const QString &message) const
{
    Outcome o;
    o.ok = false;
    o.errorType = QString::fromLatin1(errorType);
    o.errorMessage = message;
    const QByteArray id = m_current ? m_current->requestId : QByteArray();
    const QString full = id.isEmpty()
        ? QStringLiteral("Error: %1").arg(message)
        : QStringLiteral("RequestId: %1 Error: %2").arg(QString::fromLatin1(id), message);
    o.payload = toJsonBytes(Json {{"errorType", errorType}, {"errorMessage", toStd(full)}});
    o.contentType = QByteArrayLiteral("application/json");
    return o;
}

Result<void> FunctionInstance::start()
{
    if (m_state != State::Starting || m_process)
        return makeError(QStringLiteral("InvalidState"),
            QStringLiteral("an instance starts once, from Starting"));
    m_api = std::make_unique<RuntimeApiServer>(
        static_cast<RuntimeApiBackend *>(this), m_options.spoolDir);
    auto port = m_api->listen();
    if (!port)
        return port.error();

    QProcessEnvironment env = m_environment;
    env.insert(QStringLiteral("AWS_LAMBDA_RUNTIME_API"), QStringLiteral("127.0.0.1:%1").arg(*port));

    m_process = new QProcess(this);
    m_process->setProgram(m_launch.program);
    m_process->setArguments(m_launch.arguments);
    m_process->setProcessEnvironment(env);
    m_process->setWorkingDirectory(m_config.codeDir);
    m_process->setStandardInputFile(QProcess::nullDevice());
    const pid_t tarmacPid = ::getpid();
    m_process->setChildProcessModifier([tarmacPid] {
        // Its own session and process group, so that a timeout kills whatever it started;
        // and it dies with Tarmac, even if Tarmac is killed without a chance to clean up.
        ::setsid();
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != tarmacPid)
            ::_exit(127);
    });
    connect(m_process, &QProcess::readyReadStandardOutput, this,
        [this] { readOutput(Stream::Stdout); });
    connect(
        m_process, &QProcess::readyReadStandardError, this, [this] { readOutput(Stream::Stderr); });
    connect(m_process, &QProcess::finished, this,
        [this](int code, QProcess::ExitStatus status) { onProcessFinished(code, int(status)); });
    connect(m_process, &QProcess::errorOccurred, this,
        [this](QProcess::ProcessError error) { onProcessError(int(error)); });

    m_spawnTimer.start();
    m_startupTimer.start(m_options.startupTimeoutMs);
    m_memoryTimer.start(m_options.memoryPollMs);
    m_process->start();
    return {};
}

Result<void> FunctionInstance::invoke(Invocation invocation)
{
    if (!isIdle())
        return makeError(QStringLiteral("InvalidState"),
            QStringLiteral("instance %1 is %2, not idle")
                .arg(QString::fromLatin1(m_id), stateName(m_state)));
    m_current = std::make_unique<Invocation>(std::move(invocation));
    m_currentSent = false;
    m_memoryExceeded = false;
    transition(State::Invoking);
    m_invokeTimer.start();
    m_deadlineTimer.start(
        qMax(1, m_current->timerMs >= 0 ? m_current->timerMs : m_current->timeoutMs));
    m_memoryTimer.start(m_options.memoryPollMs);
    if (m_parkedNext.isValid())
        sendInvocation();
    return {};
}

void FunctionInstance::sendInvocation()
{
    const Invocation &inv = *m_current;
    HttpResponse r;
    r.status = 200;
    r.headers.add("content-type", "application/json");
    r.headers.add("lambda-runtime-aws-request-id", inv.requestId);
    r.headers.add("lambda-runtime-deadline-ms", QByteArray::number(inv.deadlineMs));
    r.headers.add("lambda-runtime-invoked-function-arn", inv.invokedFunctionArn);
    if (!inv.traceHeader.isEmpty())
        r.headers.add("lambda-runtime-trace-id", inv.traceHeader);
    if (!inv.clientContext.isEmpty())
        r.headers.add("lambda-runtime-client-context", inv.clientContext);
    if (!inv.identity.isEmpty())
        r.headers.add("lambda-runtime-cognito-identity", inv.identity);
    r.body = inv.payload;
    HttpResponder responder = std::move(m_parkedNext);
    m_parkedNext = HttpResponder();
    m_currentSent = true;
    responder.send(std::move(r));
}

void FunctionInstance::nextInvocation(HttpResponder responder)
{
    switch (m_state) {
    case State::Starting:
        m_initDurationNs = m_spawnTimer.nsecsElapsed();
        m_startupTimer.stop();
        m_memoryTimer.stop();
        m_parkedNext = std::move(responder);
        transition(State::Ready);
        return;
    case State::Ready:
        if (m_parkedNext.isValid())
            m_parkedNext.send(runtimeApiError(403, "InvalidStateTransition",
                QByteArrayLiteral("a newer /next replaced this one")));
        m_parkedNext = std::move(responder);
        if (!m_current)
            emit idle();
        return;
    case State::Invoking:
        if (m_current && !m_currentSent) {
            m_parkedNext = std::move(responder);
            sendInvocation();
            return;
        }
        break;
    case State::TimingOut:
    case State::Failed:
    case State::Stopped:
        break;
    }
    responder.send(runtimeApiError(403, "InvalidStateTransition",
        "State transition from " + stateName(m_state).toLatin1()
            + " to InvocationNext failed for runtime."));
}

// What a runtime's answer to the current invocation goes through: an unknown request id gets
// Lambda's 400; otherwise 202, the process's pending output is read, and the answer counts
// only if the invocation is still current (the process may have died meanwhile, which ended
// it).
bool FunctionInstance::acceptAnswer(const QByteArray &requestId, const HttpResponder &responder)
{
    if (m_state != State::Invoking || !m_current || !m_currentSent
        || requestId != m_current->requestId) {
        responder.send(
            runtimeApiError(400, "InvalidRequestID", QByteArrayLiteral("Invalid request ID")));
        return false;
    }
    responder.send(HttpResponse::json(202, QByteArrayLiteral(R"({"status":"OK"})")));
    drainOutput();
    return m_state == State::Invoking && m_current && m_current->requestId == requestId;
}

void FunctionInstance::invocationResponse(
    const QByteArray &requestId, HttpRequest &&request, HttpResponder responder)
{
    if (!acceptAnswer(requestId, responder))
        return;
    Outcome o;
    o.ok = true;
    o.payload = request.body.toByteArray();
    o.contentType = request.header("content-type");
    if (o.contentType.isEmpty())
        o.contentType = QByteArrayLiteral("application/json");
    finishInvocation(std::move(o), State::Ready);
}

// The error a runtime posted (to /invocation/ID/error or /init/error): its errorType and
// errorMessage, or, when the body is not that shape, the body itself as the message.
// `fallbackType` names an error whose type neither the body nor the header gives.
FunctionInstance::Outcome FunctionInstance::errorOutcome(
    const HttpRequest &request, const QString &fallbackType)
{
    Outcome o;
    o.ok = false;
    o.payload = request.body.toByteArray();
    o.contentType = QByteArrayLiteral("application/json");
    QString type = QString::fromUtf8(request.header("lambda-runtime-function-error-type"));
    auto doc = parseJson(o.payload);
    if (doc && doc->is_object()) {
        if (doc->contains("errorType") && (*doc)["errorType"].is_string())
            type = fromStd((*doc)["errorType"].get<std::string>());
        if (doc->contains("errorMessage") && (*doc)["errorMessage"].is_string())
            o.errorMessage = fromStd((*doc)["errorMessage"].get<std::string>());
    } else {
        // Not the documented shape: keep what was sent as the message.
        if (type.isEmpty())
            type = QStringLiteral("Runtime.Unknown");
        o.errorMessage = QString::fromUtf8(o.payload.left(4096));
        o.payload = toJsonBytes(
            Json {{"errorType", toStd(type)}, {"errorMessage", toStd(o.errorMessage)}});
    }
    o.errorType = type.isEmpty() ? fallbackType : type;
    return o;
}

void FunctionInstance::invocationError(
    const QByteArray &requestId, HttpRequest &&request, HttpResponder responder)
{
    if (!acceptAnswer(requestId, responder))
        return;
    finishInvocation(errorOutcome(request, QStringLiteral("Unhandled")), State::Ready);
}

void FunctionInstance::initError(HttpRequest &&request, HttpResponder responder)
{
    if (m_state != State::Starting) {
        responder.send(runtimeApiError(403, "InvalidStateTransition",
            "State transition from " + stateName(m_state).toLatin1()
                + " to InitError failed for runtime."));
        return;
    }
    responder.send(HttpResponse::json(202, QByteArrayLiteral(R"({"status":"OK"})")));
    drainOutput();
    if (m_state != State::Starting)
        return;
    failInit(errorOutcome(request, QStringLiteral("Runtime.Unknown")));
}

void FunctionInstance::responseTooLarge(const QByteArray &requestId)
{
    if (m_state != State::Invoking || !m_current || requestId != m_current->requestId)
        return;
    Outcome o = failure("Function.ResponseSizeTooLarge",
        QStringLiteral("Response payload size exceeded maximum allowed payload size "
                       "(6291556 bytes)."));
    o.payload = toJsonBytes(Json {
        {"errorType", "Function.ResponseSizeTooLarge"}, {"errorMessage", toStd(o.errorMessage)}});
    finishInvocation(std::move(o), State::Ready);
}

void FunctionInstance::finishInvocation(Outcome outcome, State next)
{
    m_deadlineTimer.stop();
    m_memoryTimer.stop();
    outcome.requestId = m_current->requestId;
    outcome.durationNs = m_invokeTimer.nsecsElapsed();
    // The peak (VmHWM) is read from /proc/PID/status, which costs the kernel more than the
    // rest of a small invocation: under load it is read at most every kPeakReadMs, and an
    // invocation in between reports the peak as last read. The memory poll adds the children
    // while an invocation runs.
    if (m_process && m_process->state() == QProcess::Running
        && (!m_peakRead.isValid() || m_peakRead.hasExpired(kPeakReadMs))) {
        qint64 peak = 0;
        currentRss(&peak, false);
        m_peakRss = qMax(m_peakRss, peak);
        m_peakRead.start();
    }
    outcome.maxRssBytes = m_peakRss;
    m_current.reset();
    m_currentSent = false;
    // The outcome first: the runner closes the invocation before it sees the instance idle.
    emit invocationFinished(outcome);
    if (m_state == State::Invoking)
        transition(next);
}

void FunctionInstance::failInit(Outcome outcome)
{
    if (m_initDurationNs == 0 && m_spawnTimer.isValid())
        m_initDurationNs = m_spawnTimer.nsecsElapsed(); // how long the failed init took
    m_startupTimer.stop();
    m_memoryTimer.stop();
    if (!transition(State::Failed))
        return;
    emit initFailed(outcome);
    killGroup();
}

void FunctionInstance::onStartupTimeout()
{
    if (m_state != State::Starting)
        return;
    Outcome o = failure("Runtime.InitTimeout",
        QStringLiteral("the runtime did not ask for an invocation within %1 seconds "
                       "of starting")
            .arg(m_options.startupTimeoutMs / 1000.0, 0, 'f', 2));
    o.platformLog = "INIT_REPORT Init Duration: "
        + QByteArray::number(m_spawnTimer.nsecsElapsed() / 1e6, 'f', 2)
        + " ms\tPhase: init\tStatus: timeout";
    failInit(std::move(o));
}

void FunctionInstance::onDeadline()
{
    if (m_state != State::Invoking || !m_current)
        return;
    const QString seconds = QString::number(m_current->timeoutMs / 1000.0, 'f', 2);
    Outcome o = failure(
        "Sandbox.Timedout", QStringLiteral("Task timed out after %1 seconds").arg(seconds));
    o.platformLog
        = m_current->requestId + " Task timed out after " + seconds.toLatin1() + " seconds";
    // Output written up to the deadline belongs to this invocation.
    drainOutput();
    if (m_state != State::Invoking || !m_current)
        return;
    finishInvocation(std::move(o), State::TimingOut);
    killGroup();
}

void FunctionInstance::pollMemory()
{
    if (!m_process || m_process->state() != QProcess::Running) {
        m_memoryTimer.stop();
        return;
    }
    qint64 peak = 0;
    const qint64 rss = currentRss(&peak);
    m_peakRss = qMax(m_peakRss, qMax(rss, peak));
    const qint64 limit = qint64(m_config.memoryMb) * 1024 * 1024;
    if (limit > 0 && rss > limit && !m_memoryExceeded) {
        m_memoryExceeded = true;
        m_memoryTimer.stop();
        killGroup(); // reported as Runtime.OutOfMemory when the process is gone
    }
}

qint64 FunctionInstance::currentRss(qint64 *peak, bool withChildren) const
{
    const qint64 pid = m_process ? m_process->processId() : 0;
    if (pid <= 0)
        return 0;
    const QByteArray base = "/proc/" + QByteArray::number(pid);
    const QByteArray status = readProcFile(base + "/status");
    qint64 rss = statusField(status, "VmRSS:");
    if (peak)
        *peak = qMax(statusField(status, "VmHWM:"), rss);
    if (!withChildren)
        return rss;
    // Direct children count too: a shell bootstrap that runs the real runtime as a child.
    const QByteArray children
        = readProcFile(base + "/task/" + QByteArray::number(pid) + "/children");
    for (const QByteArray &child : children.split(' ')) {
        bool ok = false;
        const qint64 childPid = child.trimmed().toLongLong(&ok);
        if (ok && childPid > 0)
            rss += statusField(
                readProcFile("/proc/" + QByteArray::number(childPid) + "/status"), "VmRSS:");
    }
    if (peak)
        *peak = qMax(*peak, rss);
    return rss;
}

void FunctionInstance::onProcessFinished(int exitCode, int exitStatus)
{
    readOutput(Stream::Stdout);
    readOutput(Stream::Stderr);
    for (int s = 0; s < 2; ++s) {
        if (!m_partial[s].isEmpty()) {
            const QByteArray line = std::exchange(m_partial[s], QByteArray());
            emit output(line, Stream(s));
        }
    }
    m_memoryTimer.stop();
    m_startupTimer.stop();
    const QString how = QStringLiteral("Runtime exited with error: %1")
                            .arg(QString::fromLatin1(
                                exitDescription(exitCode, QProcess::ExitStatus(exitStatus))));
    const bool clean = exitStatus == QProcess::NormalExit && exitCode == 0;
    switch (m_state) {
    case State::Starting: {
        Outcome o = failure("Runtime.ExitError",
            clean ? QStringLiteral("Runtime exited without providing a reason") : how);
        failInit(std::move(o));
        break;
    }
    case State::Ready:
        transition(State::Failed);
        break;
    case State::Invoking: {
        Outcome o = m_memoryExceeded
            ? failure("Runtime.OutOfMemory", how)
            : failure("Runtime.ExitError",
                clean ? QStringLiteral("Runtime exited without providing a reason") : how);
        o.platformLog = "RequestId: " + m_current->requestId + " Error: " + how.toUtf8() + '\n'
            + o.errorType.toLatin1();
        finishInvocation(std::move(o), State::Failed);
        break;
    }
    case State::TimingOut:
    case State::Failed:
    case State::Stopped:
        break;
    }
    if (m_state != State::Stopped)
        transition(State::Stopped);
}

void FunctionInstance::onProcessError(int error)
{
    if (QProcess::ProcessError(error) != QProcess::FailedToStart || m_state != State::Starting)
        return;
    Outcome o = failure("Runtime.InvalidEntrypoint",
        QStringLiteral("fork/exec %1: %2").arg(m_launch.program, m_process->errorString()));
    failInit(std::move(o));
    transition(State::Stopped); // no finished() follows a process that never started
}

void FunctionInstance::readOutput(Stream stream)
{
    if (!m_process)
        return;
    const int s = stream == Stream::Stdout ? 0 : 1;
    QByteArray data = stream == Stream::Stdout ? m_process->readAllStandardOutput()
                                               : m_process->readAllStandardError();
    if (data.isEmpty())
        return;
    QByteArray &partial = m_partial[s];
    qsizetype from = 0;
    while (from < data.size()) {
        const qsizetype nl = data.indexOf('\n', from);
        if (nl < 0) {
            partial += QByteArrayView(data).sliced(from);
            while (partial.size() >= kMaxLine) {
                emit output(partial.left(kMaxLine), stream);
                partial.remove(0, kMaxLine);
            }
            break;
        }
        QByteArray line;
        if (partial.isEmpty()) {
            line = data.mid(from, nl - from);
        } else {
            line = std::exchange(partial, QByteArray())
                + QByteArrayView(data).sliced(from, nl - from);
        }
        if (line.endsWith('\r'))
            line.chop(1);
        while (line.size() > kMaxLine) {
            emit output(line.left(kMaxLine), stream);
            line.remove(0, kMaxLine);
        }
        emit output(line, stream);
        from = nl + 1;
    }
}

void FunctionInstance::drainOutput()
{
    // The runtime wrote its output before it posted the result, but the pipe and the socket
    // are read in whatever order the event loop sees them: read the pipes now, so each line
    // is reported with the invocation that wrote it. Zero timeout: only what is there.
    if (m_process && m_process->state() == QProcess::Running)
        m_process->waitForReadyRead(0);
}

void FunctionInstance::killGroup()
{
    if (!m_process || m_process->state() == QProcess::NotRunning)
        return;
    const qint64 pid = m_process->processId();
    if (pid > 0 && ::kill(pid_t(-pid), SIGKILL) == 0)
        return;
    m_process->kill(); // the child had not yet made its group
}

void FunctionInstance::stop(const QString &reason)
{
    if (m_state == State::Stopped)
        return;
    m_startupTimer.stop();
    m_deadlineTimer.stop();
    m_memoryTimer.stop();
    if (m_state == State::Invoking && m_current) {
        Outcome o = failure("Runtime.Stopped", reason);
        o.requestId = m_current->requestId;
        o.durationNs = m_invokeTimer.nsecsElapsed();
        m_current.reset();
        emit invocationFinished(o);
    }
    if (m_parkedNext.isValid()) {
        m_parkedNext.send(runtimeApiError(
            500, "InternalServerError", QByteArrayLiteral("Internal Server Error")));
        m_parkedNext = HttpResponder();
    }
    if (m_process) {
        m_process->disconnect(this);
        if (m_process->state() != QProcess::NotRunning) {
            killGroup();
            m_process->waitForFinished(2000);
        }
    }
    transition(State::Stopped);
}

} // namespace tarmac
