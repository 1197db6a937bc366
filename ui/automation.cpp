#include "ui/automation.h"

#include "ui/logview.h"
#include "ui/mainwindow.h"
#include "ui/spanselection.h"
#include "ui/timelinesession.h"
#include "ui/zoomstate.h"

#include <QApplication>
#include <QSocketNotifier>
#include <QTimer>

#include <cstdio>
#include <unistd.h>

namespace tarmac {

Automation::Automation(MainWindow *window, QObject *parent)
    : QObject(parent), m_window(window), m_notifier(new QSocketNotifier(STDIN_FILENO, QSocketNotifier::Read, this))
{
    connect(m_notifier, &QSocketNotifier::activated, this, &Automation::readInput);
}

void Automation::readInput()
{
    char buf[4096];
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n <= 0) {
        m_notifier->setEnabled(false);
        return;
    }
    m_buffer.append(buf, n);
    qsizetype nl;
    while ((nl = m_buffer.indexOf('\n')) >= 0) {
        const QByteArray line = m_buffer.left(nl).trimmed();
        m_buffer.remove(0, nl + 1);
        if (line.isEmpty())
            continue;
        const QByteArray answer = run(line);
        std::fprintf(stdout, "%s\n", answer.constData());
        std::fflush(stdout);
    }
}

QByteArray Automation::run(const QByteArray &line)
{
    const qsizetype space = line.indexOf(' ');
    const QByteArray command = space < 0 ? line : line.left(space);
    const QByteArray arg = space < 0 ? QByteArray() : line.mid(space + 1).trimmed();
    ZoomState *zoom = m_window->zoomState();
    const TimelineData &data = m_window->timelineSession()->data();

    if (command == "shot") {
        if (arg.isEmpty())
            return "error shot needs a file";
        QApplication::processEvents();
        const QImage image = m_window->grab().toImage();
        if (!image.save(QString::fromLocal8Bit(arg)))
            return "error cannot write " + arg;
        return "ok shot " + arg;
    }
    if (command == "resize") {
        const QList<QByteArray> wh = arg.split(' ');
        if (wh.size() != 2)
            return "error resize W H";
        m_window->resize(wh[0].toInt(), wh[1].toInt());
        return "ok resize";
    }
    if (command == "fit") {
        zoom->zoomToFit();
        return "ok fit";
    }
    if (command == "follow") {
        zoom->setFollowLive(arg == "on");
        return "ok follow";
    }
    if (command == "select" || command == "select-error") {
        const QString text = QString::fromUtf8(arg);
        for (int pass = command == "select-error" ? 0 : 1; pass < 2; ++pass) {
            for (qsizetype i = 0; i < data.size(); ++i) {
                const TimelineData::Info &info = data.infoAt(i);
                if (info.flags & TimelineData::Summary)
                    continue;
                if (pass == 0 && !(info.flags & TimelineData::Error))
                    continue;
                if (!data.names().value(info.name).contains(text, Qt::CaseInsensitive))
                    continue;
                m_window->selection()->select(data.traceIds().value(info.trace), data.spanIdHex(info),
                                              nullptr, info.startNs);
                return "ok select " + data.names().value(info.name).toUtf8();
            }
        }
        return "error no span matches " + arg;
    }
    if (command == "zoom-trace") {
        const int trace = data.traceIndex(m_window->selection()->traceId());
        if (trace < 0)
            return "error nothing selected";
        const timeline::TimeWindow w = data.traceWindow(trace);
        const qint64 pad = std::max<qint64>(w.duration() / 8, timeline::kMinWindowNs);
        zoom->setWindow({ w.start - pad, w.end + pad });
        return "ok zoom-trace";
    }
    if (command == "logs") {
        m_window->logView()->setScope(arg == "trace" ? LogView::SelectedTrace
                                      : arg == "span" ? LogView::SelectedSpan
                                                      : LogView::AllLines);
        return "ok logs";
    }
    if (command == "spans")
        return "ok spans " + QByteArray::number(data.spanCount());
    if (command == "quit") {
        QTimer::singleShot(0, m_window, &QWidget::close);
        return "ok quit";
    }
    return "error unknown command " + command;
}

} // namespace tarmac
