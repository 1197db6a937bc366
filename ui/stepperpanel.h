#pragma once

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTableView;
class QTimer;
class QTreeWidget;

namespace tarmac {

class PendingModel;
class StepperController;

// The stepper: Pause / Step / Resume, the deliveries waiting (pick one to read and edit its
// event in a JSON editor that checks the syntax as you type, then deliver it as edited or
// drop it), the breakpoints (function, source, JSON-path condition), and the clock (freeze,
// advance by a duration, resume). Layout and input checking only; StepperController does
// the work.
class StepperPanel : public QWidget
{
    Q_OBJECT
public:
    explicit StepperPanel(StepperController *stepper, QWidget *parent = nullptr);

    QTableView *pendingView() const { return m_pending; }
    QPlainTextEdit *editor() const { return m_editor; }
    QLabel *syntaxLabel() const { return m_syntax; }
    PendingModel *pendingModel() const { return m_model; }

    // The pending delivery shown in the editor, or empty.
    QByteArray currentId() const { return m_currentId; }
    void selectPending(const QByteArray &id);
    // Delivers / drops the delivery in the editor (the buttons).
    void deliverCurrent();
    void dropCurrent();

    // "Line 2, column 5: …" or empty when the text is a JSON value.
    static QString syntaxError(const QByteArray &text);

private:
    void updateState();
    void updateClock();
    void onCurrentChanged();
    void checkSyntax();
    void addBreakpoint();

    StepperController *m_stepper;
    PendingModel *m_model;
    QPushButton *m_pause;
    QPushButton *m_step;
    QPushButton *m_resume;
    QLabel *m_state;
    QTableView *m_pending;
    QPlainTextEdit *m_editor;
    QLabel *m_syntax;
    QPushButton *m_deliver;
    QPushButton *m_drop;
    QTreeWidget *m_breakpoints;
    QComboBox *m_bpFunction;
    QComboBox *m_bpOrigin;
    QLineEdit *m_bpCondition;
    QPushButton *m_bpAdd;
    QPushButton *m_bpRemove;
    QLabel *m_clock;
    QPushButton *m_freeze;
    QComboBox *m_advanceBy;
    QPushButton *m_advance;
    QTimer *m_clockTimer;
    QByteArray m_currentId;
    QByteArray m_loadedPayload;
};

} // namespace tarmac
