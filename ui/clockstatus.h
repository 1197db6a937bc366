#pragma once

#include <QWidget>

class QLabel;
class QToolButton;

namespace tarmac {

class StepperController;

// The engine's clock in the status bar: its time (with the date once it is not today's),
// whether it is frozen, and the controls: freeze or resume, and advance by a step from a
// menu. Kept current when anyone moves the clock (the stepper, /_tarmac/clock, a test).
class ClockStatus : public QWidget
{
    Q_OBJECT
public:
    explicit ClockStatus(StepperController *stepper, QWidget *parent = nullptr);

private:
    void update();

    StepperController *m_stepper;
    QLabel *m_time;
    QToolButton *m_freeze;
    QToolButton *m_advance;
};

} // namespace tarmac
