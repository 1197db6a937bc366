#pragma once

#include <QWidget>

class QLabel;
class QTreeWidget;

namespace tarmac {

class EngineHost;
class StepperController;

// A capture replayed in the desktop (File › Replay capture…, docs/replay.md): the stepper is
// paused first, so the capture's events arrive as pending deliveries one at a time (the next
// one is sent when the previous one's result is in); each row shows an event, its target and
// kind, what it expects and what came of it, mismatches included. Resume plays the rest.
class ReplayPanel : public QWidget
{
    Q_OBJECT
public:
    ReplayPanel(EngineHost *host, StepperController *stepper, QWidget *parent = nullptr);

    // Reads the capture and starts it; false (and a message shown) when it cannot be read.
    bool open(const QString &path, const QString &defaultTarget = {});
    int rows() const;
    int finished() const { return m_finished; }
    int failed() const { return m_failed; }

signals:
    void opened(const QString &path);

private:
    struct Shown
    {
        int row = 0;
        QString function;
        QString kind;
        QString status; // ok, FAIL
        QStringList mismatches;
        QString response;
        double durationMs = 0;
    };
    void show(const Shown &shown);

    EngineHost *m_host;
    StepperController *m_stepper;
    QLabel *m_title;
    QTreeWidget *m_events;
    quint64 m_run = 0;
    int m_finished = 0;
    int m_failed = 0;
};

} // namespace tarmac
