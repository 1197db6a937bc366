#include "ui/automation.h"

#include "ui/logview.h"
#include "ui/mainwindow.h"
#include "ui/replaypanel.h"
#include "ui/spanselection.h"
#include "ui/steppercontroller.h"
#include "ui/timelinesession.h"
#include "ui/zoomstate.h"

#include <QApplication>
#include <QDockWidget>
#include <QSocketNotifier>
#include <QTimer>
#include <QTreeView>

#include <cstdio>
#include <unistd.h>

namespace tarmac {

Automation::Automation(MainWindow *window, QObject *parent)
    : QObject(parent)
    , m_window(window)
    , m_notifier(new QSocketNotifier(STDIN_FILENO, QSocketNotifier::Read, this))
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
    if (command == "window") {
        // "window FROM_NS TO_NS": epoch nanoseconds.
        const QList<QByteArray> range = arg.split(' ');
        if (range.size() != 2)
            return "error window FROM_NS TO_NS";
        zoom->setWindow({range[0].toLongLong(), range[1].toLongLong()});
        return "ok window";
    }
    if (command == "window-busiest") {
        // "window-busiest SECONDS": the stretch of that length where the most spans start.
        const qint64 length = qint64(arg.toDouble() * 1e9);
        const auto &starts = data.starts();
        if (length <= 0 || starts.empty())
            return "error window-busiest needs a length and some spans";
        size_t best = 0, bestCount = 0;
        for (size_t first = 0, last = 0; first < starts.size(); ++first) {
            while (last < starts.size() && starts[last] < starts[first] + length)
                ++last;
            if (last - first > bestCount) {
                bestCount = last - first;
                best = first;
            }
        }
        const qint64 from = starts[best] - length / 20;
        zoom->setWindow({from, from + length});
        return "ok window-busiest " + QByteArray::number(qint64(bestCount));
    }
    if (command == "deselect") {
        m_window->selection()->clear();
        return "ok deselect";
    }
    if (command == "zoom") {
        // Around the centre: "zoom 4" shows four times as much.
        const timeline::TimeWindow w = zoom->window();
        zoom->setWindow(timeline::zoomedAround(w, w.start + w.duration() / 2, arg.toDouble()));
        return "ok zoom";
    }
    if (command == "follow") {
        zoom->setFollowLive(arg == "on");
        return "ok follow";
    }
    if (command == "select" || command == "select-error" || command == "select-last"
        || command == "select-visible") {
        const QString text = QString::fromUtf8(arg);
        const bool last = command == "select-last";
        const bool visible = command == "select-visible";
        const timeline::TimeWindow w = zoom->window();
        // select-visible: the matching span nearest the middle of the window.
        const qint64 middle = w.start + w.duration() / 2;
        for (int pass = command == "select-error" ? 0 : 1; pass < 2; ++pass) {
            for (qsizetype n = 0; n < data.size(); ++n) {
                const qsizetype i = last ? data.size() - 1 - n : n;
                const TimelineData::Info &info = data.infoAt(i);
                if (info.flags & TimelineData::Summary)
                    continue;
                if (pass == 0 && !(info.flags & TimelineData::Error))
                    continue;
                if (!data.names().value(info.name).contains(text, Qt::CaseInsensitive))
                    continue;
                if (visible && (info.endNs < middle || info.startNs > w.end))
                    continue;
                m_window->selection()->select(
                    data.traceIds().value(info.trace), data.spanIdHex(info), nullptr, info.startNs);
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
        zoom->setWindow({w.start - pad, w.end + pad});
        return "ok zoom-trace";
    }
    if (command == "logs") {
        m_window->logView()->setScope(arg == "trace" ? LogView::SelectedTrace
                : arg == "span"                      ? LogView::SelectedSpan
                                                     : LogView::AllLines);
        return "ok logs";
    }
    if (command == "pause") {
        m_window->stepper()->pause();
        return "ok pause";
    }
    if (command == "resume") {
        m_window->stepper()->resume();
        return "ok resume";
    }
    if (command == "step") {
        m_window->stepper()->step();
        return "ok step";
    }
    if (command == "replay") {
        // replay FILE [TARGET]: a capture opened as File › Replay capture… does.
        const QList<QByteArray> parts = arg.split(' ');
        if (arg.isEmpty())
            return "error replay needs a capture file";
        if (!m_window->replayPanel()->open(QString::fromUtf8(parts[0]),
                parts.size() > 1 ? QString::fromUtf8(parts[1]) : QString()))
            return "error replay could not open " + parts[0];
        return "ok replay";
    }
    if (command == "replayed")
        return "ok replayed " + QByteArray::number(m_window->replayPanel()->finished()) + " of "
            + QByteArray::number(m_window->replayPanel()->rows()) + " failed "
            + QByteArray::number(m_window->replayPanel()->failed());
    if (command == "pending")
        return "ok pending " + QByteArray::number(m_window->stepper()->pending().size());
    if (command == "raise") {
        // A dock by its title: resources, services, stepper.
        for (QDockWidget *dock : m_window->findChildren<QDockWidget *>()) {
            if (dock->windowTitle().compare(QString::fromUtf8(arg), Qt::CaseInsensitive) == 0) {
                dock->show();
                dock->raise();
                return "ok raise";
            }
        }
        return "error no dock " + arg;
    }
    if (command == "select-resource") {
        // The first resource whose shown name contains the argument, expanded and selected.
        for (QTreeView *tree : m_window->findChildren<QTreeView *>()) {
            if (tree->objectName() != QLatin1String("resourceTree"))
                continue;
            const QModelIndexList found = tree->model()->match(tree->model()->index(0, 0),
                Qt::DisplayRole, QString::fromUtf8(arg), 1, Qt::MatchContains | Qt::MatchRecursive);
            if (found.isEmpty())
                return "error no resource " + arg;
            tree->expand(found.first().parent());
            tree->setCurrentIndex(found.first());
            tree->scrollTo(found.first());
            return "ok select-resource";
        }
        return "error no resource tree";
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
