#pragma once

#include <QByteArray>
#include <QObject>

class QSocketNotifier;

namespace tarmac {

class MainWindow;

// Drives the window from standard input, one command a line, for scripts that take
// screenshots (tools/screenshots) and for end-to-end checks of the desktop app:
//
//   shot FILE            grabs the window (QWidget::grab) into a PNG
//   resize W H           resizes the window
//   fit | follow on|off  timeline zoom
//   select TEXT          selects the first span whose name contains TEXT (errors first
//                        with "select-error")
//   zoom-trace           zooms the timeline to the selected span's trace
//   logs all|trace|span  which log lines the table shows
//   spans                prints how many spans the timeline holds
//   quit                 closes the window (stopping the engine)
//
// Each command answers one line on standard output: "ok …" or "error …". Only enabled by
// the --automation option.
class Automation : public QObject
{
    Q_OBJECT
public:
    explicit Automation(MainWindow *window, QObject *parent = nullptr);

    // Runs one command line and returns the answer (without a newline).
    QByteArray run(const QByteArray &line);

private:
    void readInput();

    MainWindow *m_window;
    QSocketNotifier *m_notifier;
    QByteArray m_buffer;
};

} // namespace tarmac
