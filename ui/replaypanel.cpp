#include "ui/replaypanel.h"

#include "engine/engine.h"
#include "replay/replayer.h"
#include "ui/enginehost.h"
#include "ui/steppercontroller.h"

#include <QColor>
#include <QFile>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QPointer>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace tarmac {

namespace {

QString compact(const Json &value, int max = 160)
{
    QString s = QString::fromUtf8(toJsonBytes(value));
    if (s.size() > max)
        s = s.left(max) + QStringLiteral("…");
    return s;
}

} // namespace

ReplayPanel::ReplayPanel(EngineHost *host, StepperController *stepper, QWidget *parent)
    : QWidget(parent)
    , m_host(host)
    , m_stepper(stepper)
    , m_title(new QLabel(tr("No capture. File › Replay capture… opens one: its events arrive in "
                            "the stepper one at a time.")))
    , m_events(new QTreeWidget)
{
    m_title->setWordWrap(true);
    m_title->setObjectName(QStringLiteral("replayTitle"));
    m_events->setObjectName(QStringLiteral("replayEvents"));
    m_events->setHeaderLabels({tr("#"), tr("Target"), tr("Status"), tr("Expected"), tr("Got")});
    m_events->setRootIsDecorated(false);
    m_events->setWordWrap(true);
    m_events->header()->setSectionResizeMode(3, QHeaderView::Stretch);
    m_events->header()->setSectionResizeMode(4, QHeaderView::Stretch);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_title);
    layout->addWidget(m_events, 1);
}

int ReplayPanel::rows() const
{
    return m_events->topLevelItemCount();
}

bool ReplayPanel::open(const QString &path, const QString &defaultTarget)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        m_title->setText(tr("Cannot read %1: %2").arg(path, file.errorString()));
        return false;
    }
    auto capture = readCapture(file.readAll());
    if (!capture) {
        m_title->setText(
            tr("%1 is not a capture: %2").arg(QFileInfo(path).fileName(), capture.error().message));
        return false;
    }
    if (!m_host->isRunning()) {
        m_title->setText(tr("Tarmac is not running."));
        return false;
    }
    const quint64 run = ++m_run;
    m_finished = m_failed = 0;
    m_events->clear();
    for (const CaptureRecord &r : capture->records) {
        auto *item = new QTreeWidgetItem(m_events);
        item->setText(0, QString::number(r.index));
        item->setText(1, r.target.isEmpty() ? defaultTarget : r.target);
        item->setText(2, tr("waiting"));
        item->setText(3, r.expect ? compact(*r.expect) : tr("(nothing: it must run)"));
        item->setToolTip(3, r.expect ? QString::fromUtf8(toJsonBytes(*r.expect, 2)) : QString());
    }
    m_title->setText(tr("%1: %2 event(s) (%3). The stepper holds each one: step, edit or "
                        "resume.")
                         .arg(QFileInfo(path).fileName())
                         .arg(capture->records.size())
                         .arg(capture->format));
    // Paused first, so that the capture's events wait in the stepper one at a time.
    m_stepper->pause();
    QPointer<ReplayPanel> self(this);
    Replayer::Options options;
    options.defaultTarget = defaultTarget;
    m_host->post([self, run, capture = std::move(*capture), options](Engine &engine) {
        // Owned by the engine: it goes with it (another project, quit).
        auto *replayer = new Replayer(&engine, capture, options, &engine);
        QObject::connect(replayer, &Replayer::replayed, replayer, [self, run, replayer](int index) {
            const Replayer::Result &r = replayer->results().at(index);
            Shown shown;
            shown.row = index;
            shown.function = r.function;
            shown.kind = r.kind;
            shown.status = r.mismatches.isEmpty() ? QStringLiteral("ok") : QStringLiteral("FAIL");
            shown.mismatches = r.mismatches;
            shown.response = compact(r.outcome.response);
            shown.durationMs = r.durationMs;
            QMetaObject::invokeMethod(
                self.data(),
                [self, run, shown] {
                    if (self && self->m_run == run)
                        self->show(shown);
                },
                Qt::QueuedConnection);
        });
        QObject::connect(replayer, &Replayer::finished, replayer, &QObject::deleteLater);
        replayer->start();
    });
    emit opened(path);
    return true;
}

void ReplayPanel::show(const Shown &shown)
{
    QTreeWidgetItem *item = m_events->topLevelItem(shown.row);
    if (!item)
        return;
    ++m_finished;
    const bool ok = shown.status == QLatin1String("ok");
    if (!ok)
        ++m_failed;
    // The target as the capture names it; what it resolved to and the event's kind aside.
    if (!shown.kind.isEmpty())
        item->setText(1, item->text(1) + QStringLiteral(" (%1)").arg(shown.kind));
    item->setToolTip(1, shown.function);
    item->setText(2, ok ? tr("ok") : tr("FAIL"));
    // Stepped events wait in the stepper: the time is from sending to the result.
    item->setToolTip(
        2, tr("%1 ms from sending the event to its result").arg(shown.durationMs, 0, 'f', 1));
    item->setForeground(2, ok ? QColor(0x18, 0x80, 0x38) : QColor(0xd9, 0x30, 0x25));
    item->setText(4, ok ? shown.response : shown.mismatches.join(u'\n'));
    item->setToolTip(4, shown.mismatches.isEmpty() ? shown.response : shown.mismatches.join(u'\n'));
    m_title->setText(tr("%1 of %2 event(s) replayed, %3 did not hold their expectations.")
                         .arg(m_finished)
                         .arg(rows())
                         .arg(m_failed));
}

} // namespace tarmac
