#pragma once

#include "base/ioeventdispatcher.h"
#include "http/httpserver.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <chrono>
#include <memory>

#include <sys/types.h>

class QFile;

namespace tarmac {

// One client connection, living on one I/O thread. Reads, parses one request at a time,
// hands it to the handler, writes the response, then goes on with any pipelined bytes.
class HttpConnection : public QObject
{
    Q_OBJECT
public:
    HttpConnection(qintptr socketDescriptor, HttpServer *server);
    ~HttpConnection() override;

    // Called (on this connection's thread) when the server shuts down.
    void beginShutdown();
    // Called by a responder (on this connection's thread).
    void finishResponse(quint64 sequence, HttpResponse response);

private:
    enum class Phase { Idle, Reading, Handling, Writing, Closing };

    void onReadable();
    bool fillInput();
    qsizetype writeNow(QByteArrayView head, QByteArrayView body = {});
    void sendBytes(QByteArrayView head, QByteArrayView body = {});
    bool flushOutput();
    void onWritable();
    void closeAfterFlush();
    qint64 bytesToWrite() const { return m_out.size() - m_outOffset; }
    void processInput();
    void dispatch();
    void writeResponse(HttpResponse &response, bool headRequest);
    void sendErrorAndClose(int status, const QByteArray &reason);
    // An answer the server makes itself (a refusal), then the connection closes.
    void sendAndClose(HttpResponse response);
    void streamFile();
    bool sendFileBody();
    bool copyFileBody();
    void onBytesWritten();
    void afterResponse();
    void armTimer(int ms);
    void disarmTimer();
    void onTimeout();
    void closeNow();

    HttpServer *m_server;
    const HttpServer::Options &m_options;
    // The socket itself, non-blocking, read and written with system calls: QTcpSocket would
    // add an ioctl per read, a copy through its ring buffers each way and a signal per event.
    int m_fd = -1;
    // Reading while open; writing while output is pending or a file body waits.
    std::unique_ptr<FdWatch> m_watch;
    QByteArray m_out; // output the kernel did not take yet, from m_outOffset
    qsizetype m_outOffset = 0;
    bool m_closeWhenFlushed = false;
    std::shared_ptr<const QHostAddress> m_peerAddress; // each request shares it
    quint16 m_localPort = 0;
    // The phase's time limit: the timer is restarted only when the limit comes sooner than it
    // would fire; otherwise, when it fires early, it is set again for what is left. Moving
    // the limit on every request (stop at the head, start after the answer) cost more than
    // the rest of a small request's bookkeeping.
    QTimer m_timer;
    std::chrono::steady_clock::time_point m_deadline = std::chrono::steady_clock::time_point::max();
    std::chrono::steady_clock::time_point m_timerDue;
    HttpRequestParser m_parser;
    QByteArray m_in;
    qsizetype m_inOffset = 0;
    Phase m_phase = Phase::Idle;
    bool m_sentContinue = false;
    bool m_closeAfterResponse = false;
    bool m_shuttingDown = false;
    bool m_processing = false;
    bool m_closed = false;
    quint64 m_sequence = 0;
    std::weak_ptr<ResponderState> m_responder;
    bool m_headRequest = false;

    // A file body being streamed.
    std::unique_ptr<QFile> m_file;
    off_t m_fileOffset = 0;
    qint64 m_fileRemaining = 0;
    bool m_streaming = false;
    bool m_useSendfile = true;
    bool m_sentWithSendfile = false;
};

} // namespace tarmac
