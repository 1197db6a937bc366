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
//   fit | follow on|off  timeline zoom; "zoom F" scales the window by F around its centre
//   select TEXT          selects the first span whose name contains TEXT (errors first
//                        with "select-error", the last with "select-last", the first
//                        that reaches the middle of the window with "select-visible")
//   zoom-trace           zooms the timeline to the selected span's trace
//   window FROM TO       shows that time range (epoch nanoseconds); "window-busiest S"
//                        the S seconds where the most spans start; "deselect" clears the
//                        selection
//   logs all|trace|span  which log lines the table shows
//   pause | step | resume the stepper; "pending" prints how many deliveries wait
//   raise TITLE          brings a dock (Resources, Services, Stepper) to the front
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
