#include "trace/otlpexporter.h"

#include "trace/otlpprotobuf.h"
#include "trace/otlpresponse.h"

#include <QStringList>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tarmac {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

Result<QUrl> endpointUrl(const QString &text, const char *what)
{
    const QUrl url(text.trimmed(), QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty())
        return makeError(QStringLiteral("Usage"),
            QStringLiteral("%1 is not a URL: '%2'").arg(QLatin1String(what), text));
    if (url.scheme() != QLatin1String("http"))
        return makeError(QStringLiteral("Usage"),
            QStringLiteral("%1: only http:// collectors are supported (the collector's OTLP/HTTP "
                           "port, usually 4318), not '%2'")
                .arg(QLatin1String(what), text));
    return url;
}

// A base URL with the signal's path after it (".../v1/traces"), as the SDKs append it.
QUrl withSignalPath(QUrl base, const char *path)
{
    QString p = base.path();
    if (!p.endsWith(u'/'))
        p += u'/';
    base.setPath(p + QLatin1String(path));
    return base;
}

Result<QList<std::pair<QByteArray, QByteArray>>> parseHeaders(const QString &text, const char *what)
{
    QList<std::pair<QByteArray, QByteArray>> out;
    for (const QString &part : text.split(u',', Qt::SkipEmptyParts)) {
        const qsizetype eq = part.indexOf(u'=');
        const QByteArray name = QByteArray::fromPercentEncoding(part.left(eq).trimmed().toUtf8());
        if (eq <= 0 || name.isEmpty() || std::any_of(name.begin(), name.end(), [](char c) {
                return c <= ' ' || c == ':' || c == 0x7f;
            }))
            return makeError(QStringLiteral("Usage"),
                QStringLiteral("%1 takes key=value pairs separated by commas, not '%2'")
                    .arg(QLatin1String(what), part));
        const QByteArray value
            = QByteArray::fromPercentEncoding(part.mid(eq + 1).trimmed().toUtf8());
        if (value.contains('\r') || value.contains('\n'))
            return makeError(QStringLiteral("Usage"),
                QStringLiteral("%1: a header value cannot hold a line break")
                    .arg(QLatin1String(what)));
        out.append({name, value});
    }
    return out;
}

} // namespace

Result<std::optional<OtlpExporter::Options>> OtlpExporter::fromSettings(
    const QString &flag, const QProcessEnvironment &env)
{
    Options o;
    const QString base
        = !flag.isEmpty() ? flag : env.value(QStringLiteral("OTEL_EXPORTER_OTLP_ENDPOINT"));
    const char *baseName = !flag.isEmpty() ? "--otlp-endpoint" : "OTEL_EXPORTER_OTLP_ENDPOINT";
    const QString traces = flag.isEmpty()
        ? env.value(QStringLiteral("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        : QString();
    const QString logs = flag.isEmpty()
        ? env.value(QStringLiteral("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"))
        : QString();
    if (base.trimmed().isEmpty() && traces.trimmed().isEmpty() && logs.trimmed().isEmpty())
        return std::optional<Options>();

    if (!base.trimmed().isEmpty()) {
        auto url = endpointUrl(base, baseName);
        if (!url)
            return url.error();
        o.tracesUrl = withSignalPath(*url, "v1/traces");
        o.logsUrl = withSignalPath(*url, "v1/logs");
    }
    // The signal's own variable is its whole URL, used as it is.
    if (!traces.trimmed().isEmpty()) {
        auto url = endpointUrl(traces, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        if (!url)
            return url.error();
        o.tracesUrl = *url;
    }
    if (!logs.trimmed().isEmpty()) {
        auto url = endpointUrl(logs, "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT");
        if (!url)
            return url.error();
        o.logsUrl = *url;
    }

    for (const char *name : {"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"}) {
        auto headers = parseHeaders(env.value(QLatin1String(name)), name);
        if (!headers)
            return headers.error();
        for (const auto &h : *headers) {
            o.headers.removeIf([&](const auto &old) {
                return old.first.compare(h.first, Qt::CaseInsensitive) == 0;
            });
            o.headers.append(h);
        }
    }

    // An empty variable counts as unset, as the SDKs read them.
    const auto setting = [&](const char *name) { return env.value(QLatin1String(name)).trimmed(); };
    QString protocol = setting("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL");
    if (protocol.isEmpty())
        protocol = setting("OTEL_EXPORTER_OTLP_PROTOCOL");
    if (protocol.isEmpty())
        protocol = QStringLiteral("http/protobuf");
    if (protocol == QLatin1String("http/json"))
        o.json = true;
    else if (protocol != QLatin1String("http/protobuf"))
        return makeError(QStringLiteral("Usage"),
            QStringLiteral("OTEL_EXPORTER_OTLP_PROTOCOL: Tarmac exports over http/protobuf or "
                           "http/json, not '%1'")
                .arg(protocol));
    return std::optional<Options>(std::move(o));
}

// A keep-alive connection to the collector, and the host it is to.
struct OtlpExporter::Connection
{
    int fd = -1;
    QString hostPort;
    ~Connection() { close(); }
    void close()
    {
        if (fd >= 0)
            ::close(fd);
        fd = -1;
    }
};

OtlpExporter::OtlpExporter(Options options)
    : m_options(std::move(options))
    , m_connection(std::make_unique<Connection>())
{
    m_thread = std::thread([this] { run(); });
}

OtlpExporter::~OtlpExporter()
{
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
        m_stopBy = Clock::now() + milliseconds(stopDeadlineMs);
    }
    m_wake.notify_all();
    m_thread.join();
}

void OtlpExporter::say(const QString &line) const
{
    if (m_options.report)
        m_options.report(line);
    else
        std::fprintf(stderr, "tarmac: %s\n", qPrintable(line));
}

void OtlpExporter::enqueue(const QList<Span> &spans, const QList<LogRecord> &logs)
{
    if (spans.isEmpty() && logs.isEmpty())
        return;
    {
        std::lock_guard lock(m_mutex);
        m_enqueued += quint64(spans.size() + logs.size());
        // Records of a kind with no URL count as done at once.
        const auto append = [this](auto &queue, const auto &records, const QUrl &url) {
            for (const auto &record : records) {
                if (url.isValid() && qsizetype(queue.size()) < m_options.maxQueued) {
                    queue.push_back(record);
                    continue;
                }
                ++m_finished;
                if (url.isValid()) {
                    ++m_stats.dropped;
                    ++m_droppedWhenFailing;
                }
            }
        };
        append(m_spans, spans, m_options.tracesUrl);
        append(m_logs, logs, m_options.logsUrl);
    }
    m_wake.notify_all();
}

bool OtlpExporter::flush(int timeoutMs)
{
    std::unique_lock lock(m_mutex);
    const quint64 target = m_enqueued;
    m_hurry = true;
    m_wake.notify_all();
    return m_idle.wait_for(lock, milliseconds(timeoutMs), [&] { return m_finished >= target; });
}

OtlpExporter::Stats OtlpExporter::stats() const
{
    std::lock_guard lock(m_mutex);
    return m_stats;
}

void OtlpExporter::run()
{
    int backoffMs = m_options.firstBackoffMs;
    std::unique_lock lock(m_mutex);
    for (;;) {
        // A batch: full, or maxDelayMs after records began to wait, or whatever there is
        // when stopping or flushing.
        m_wake.wait(lock, [&] { return m_stop || !m_spans.empty() || !m_logs.empty(); });
        if (m_spans.empty() && m_logs.empty()) {
            if (m_stop)
                return;
            continue;
        }
        const auto due = Clock::now() + milliseconds(m_options.maxDelayMs);
        m_wake.wait_until(lock, due, [&] {
            return m_stop || m_hurry || qsizetype(m_spans.size()) >= m_options.maxBatch
                || qsizetype(m_logs.size()) >= m_options.maxBatch;
        });

        const auto take = [&](auto &queue) {
            using T = typename std::decay_t<decltype(queue)>::value_type;
            QList<T> batch;
            const auto n = std::min<size_t>(queue.size(), size_t(m_options.maxBatch));
            batch.reserve(qsizetype(n));
            for (size_t i = 0; i < n; ++i) {
                batch.append(std::move(queue.front()));
                queue.pop_front();
            }
            return batch;
        };
        QList<Span> spans = take(m_spans);
        QList<LogRecord> logs = take(m_logs);
        if (m_spans.empty() && m_logs.empty())
            m_hurry = false;

        // Each kind is sent until it goes out, is refused, or the exporter stops.
        for (int kind = 0; kind < 2; ++kind) {
            const qsizetype count = kind == 0 ? spans.size() : logs.size();
            if (count == 0)
                continue;
            lock.unlock();
            QByteArray body;
            if (kind == 0)
                body = m_options.json ? toJsonBytes(otlp::tracesToJson(spans, m_options.document))
                                      : otlp::tracesToProtobuf(spans, m_options.document);
            else
                body = m_options.json ? toJsonBytes(otlp::logsToJson(logs, m_options.document))
                                      : otlp::logsToProtobuf(logs, m_options.document);
            const QUrl &url = kind == 0 ? m_options.tracesUrl : m_options.logsUrl;
            for (;;) {
                const Answer answer = post(url, body);
                lock.lock();
                if (answer.status >= 200 && answer.status < 300) {
                    (kind == 0 ? m_stats.sentSpans : m_stats.sentLogs) += quint64(count);
                    m_finished += quint64(count);
                    backoffMs = m_options.firstBackoffMs;
                    if (m_failing) {
                        m_failing = false;
                        const quint64 dropped = m_droppedWhenFailing;
                        lock.unlock();
                        say(QStringLiteral("OTLP export to %1 works again (%2 records dropped "
                                           "meanwhile)")
                                .arg(url.toString())
                                .arg(dropped));
                        lock.lock();
                    }
                    break;
                }
                ++m_stats.failedRequests;
                const bool retry = answer.status == 0 || answer.status == 429
                    || answer.status == 502 || answer.status == 503 || answer.status == 504;
                if (!retry || (m_stop && Clock::now() >= m_stopBy)) {
                    m_stats.dropped += quint64(count);
                    m_finished += quint64(count);
                    lock.unlock();
                    if (!retry)
                        say(QStringLiteral("OTLP export to %1: the collector refused %2 %3: %4")
                                .arg(url.toString())
                                .arg(count)
                                .arg(kind == 0 ? QStringLiteral("spans")
                                               : QStringLiteral("log records"),
                                    answer.problem));
                    lock.lock();
                    break;
                }
                if (!m_failing) {
                    m_failing = true;
                    m_droppedWhenFailing = 0;
                    lock.unlock();
                    say(QStringLiteral("OTLP export to %1 failed (%2); retrying with backoff, "
                                       "keeping up to %3 records of each kind")
                            .arg(url.toString(), answer.problem)
                            .arg(m_options.maxQueued));
                    lock.lock();
                }
                const int waitMs = answer.retryAfterMs >= 0
                    ? std::min(answer.retryAfterMs, m_options.maxBackoffMs)
                    : backoffMs;
                backoffMs = std::min(backoffMs * 2, m_options.maxBackoffMs);
                auto until = Clock::now() + milliseconds(waitMs);
                while (Clock::now() < until) {
                    if (m_stop)
                        until = std::min(until, m_stopBy);
                    m_wake.wait_until(lock, until);
                }
                lock.unlock();
            }
        }
        m_idle.notify_all();
    }
}

namespace {

// Waits for `events` on fd until `deadline`; false when it passed.
bool waitFor(int fd, short events, Clock::time_point deadline)
{
    for (;;) {
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
        if (left <= 0)
            return false;
        pollfd p {fd, events, 0};
        const int r = ::poll(&p, 1, int(left));
        if (r > 0)
            return true;
        if (r < 0 && errno != EINTR)
            return false;
    }
}

int connectTo(const QUrl &url, Clock::time_point deadline, QString *problem)
{
    addrinfo hints {};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *found = nullptr;
    const QByteArray host = url.host().toUtf8();
    const QByteArray port = QByteArray::number(url.port(80));
    if (const int e = ::getaddrinfo(host.constData(), port.constData(), &hints, &found); e != 0) {
        *problem = QStringLiteral("cannot resolve %1: %2")
                       .arg(url.host(), QString::fromUtf8(gai_strerror(e)));
        return -1;
    }
    int fd = -1;
    *problem = QStringLiteral("connection refused");
    for (addrinfo *a = found; a; a = a->ai_next) {
        fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0
            || (errno == EINPROGRESS && waitFor(fd, POLLOUT, deadline))) {
            int error = 0;
            socklen_t len = sizeof error;
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
            if (error == 0) {
                const int one = 1;
                ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                break;
            }
            *problem = QString::fromLocal8Bit(strerror(error));
        } else if (errno != EINPROGRESS) {
            *problem = QString::fromLocal8Bit(strerror(errno));
        } else {
            *problem = QStringLiteral("timed out connecting");
        }
        ::close(fd);
        fd = -1;
    }
    ::freeaddrinfo(found);
    return fd;
}

bool sendAll(int fd, const QByteArray &data, Clock::time_point deadline)
{
    qsizetype sent = 0;
    while (sent < data.size()) {
        const ssize_t n
            = ::send(fd, data.constData() + sent, size_t(data.size() - sent), MSG_NOSIGNAL);
        if (n > 0) {
            sent += n;
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!waitFor(fd, POLLOUT, deadline))
                return false;
        } else {
            return false;
        }
    }
    return true;
}

} // namespace

OtlpExporter::Answer OtlpExporter::post(const QUrl &url, const QByteArray &body)
{
    // A collector answers a few bytes (an ExportTraceServiceResponse); more is not one.
    constexpr qsizetype kMaxAnswer = 1 << 20;
    const auto deadline = Clock::now() + milliseconds(m_options.timeoutMs);
    const QString hostPort = url.host() + u':' + QString::number(url.port(80));
    Connection &c = *m_connection;
    if (c.hostPort != hostPort)
        c.close();

    QByteArray target
        = url.toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::RemoveFragment);
    if (target.isEmpty())
        target = "/";
    QByteArray request = "POST " + target
        + " HTTP/1.1\r\nHost: " + url.authority(QUrl::FullyEncoded).toUtf8()
        + "\r\nUser-Agent: tarmac/" TARMAC_VERSION "\r\nContent-Type: "
        + (m_options.json ? "application/json" : "application/x-protobuf")
        + "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
    for (const auto &[name, value] : m_options.headers)
        request += name + ": " + value + "\r\n";
    request += "\r\n";
    request += body;

    Answer answer;
    // A kept connection the collector closed meanwhile fails at once: one fresh try then.
    for (int attempt = 0; attempt < 2; ++attempt) {
        const bool reused = c.fd >= 0;
        if (c.fd < 0) {
            c.fd = connectTo(url, deadline, &answer.problem);
            if (c.fd < 0)
                return answer;
            c.hostPort = hostPort;
        }
        if (!sendAll(c.fd, request, deadline)) {
            c.close();
            answer.problem = QStringLiteral("the connection broke while sending");
            if (reused)
                continue;
            return answer;
        }
        // The answer: status line and headers, then a Content-Length or chunked body.
        QByteArray in;
        qsizetype headEnd = -1;
        qint64 contentLength = -1;
        bool chunked = false;
        bool closeAfter = false;
        char buffer[16384];
        bool broke = false;
        for (;;) {
            if (headEnd < 0) {
                headEnd = in.indexOf("\r\n\r\n");
                if (headEnd >= 0) {
                    const OtlpResponseHead head
                        = parseOtlpResponseHead(QByteArrayView(in).first(headEnd));
                    answer.status = head.status;
                    answer.problem = head.statusLine;
                    answer.retryAfterMs = head.retryAfterMs;
                    contentLength = head.contentLength;
                    chunked = head.chunked;
                    closeAfter = head.close;
                }
            }
            if (headEnd >= 0) {
                const qsizetype bodyStart = headEnd + 4;
                const qsizetype have = in.size() - bodyStart;
                const bool complete = chunked ? in.indexOf("0\r\n\r\n", bodyStart) >= 0
                                              : (contentLength >= 0 && have >= contentLength);
                if (complete) {
                    const QByteArray text = in.mid(bodyStart, 200).simplified();
                    if (!text.isEmpty() && (answer.status < 200 || answer.status >= 300))
                        answer.problem += QStringLiteral(": ") + QString::fromUtf8(text);
                    break;
                }
            }
            if (in.size() > kMaxAnswer) {
                broke = true;
                answer.problem = QStringLiteral("an answer over %1 bytes").arg(kMaxAnswer);
                break;
            }
            if (!waitFor(c.fd, POLLIN, deadline)) {
                broke = true;
                answer.problem = QStringLiteral("no answer within %1 ms").arg(m_options.timeoutMs);
                break;
            }
            const ssize_t n = ::recv(c.fd, buffer, sizeof buffer, 0);
            if (n > 0) {
                in.append(buffer, n);
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            // Closed: the end of a body without a length, or a connection gone.
            if (headEnd >= 0 && !chunked && contentLength < 0)
                break;
            broke = true;
            answer.problem = QStringLiteral("the collector closed the connection");
            break;
        }
        if (broke) {
            c.close();
            if (reused && headEnd < 0 && in.isEmpty())
                continue;
            answer.status = 0;
            return answer;
        }
        if (closeAfter)
            c.close();
        return answer;
    }
    return answer;
}

} // namespace tarmac
