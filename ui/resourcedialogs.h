#pragma once

#include "functions/delivery.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTableWidget;

namespace tarmac {

class EngineHost;

// Invoke… for one function: an event editor (checked as JSON while typing) filled from
// the sample events `tarmac events generate` knows, and the result (response or error, the
// duration and the log tail) once the function answers. Non-modal: the timeline shows the
// invocation as it happens. The event goes through the Dispatcher like any other, so the
// stepper can hold it.
class InvokeDialog : public QDialog
{
    Q_OBJECT
public:
    InvokeDialog(EngineHost *host, const QString &function, QWidget *parent = nullptr);

    QPlainTextEdit *editor() const { return m_editor; }
    QPlainTextEdit *result() const { return m_result; }
    void setSample(const QString &source);
    void invoke();

signals:
    void finished(const tarmac::DeliveryResult &result);

private:
    void showResult(const DeliveryResult &result);
    void checkSyntax();

    EngineHost *m_host;
    QString m_function;
    QComboBox *m_samples;
    QPlainTextEdit *m_editor;
    QLabel *m_syntax;
    QPushButton *m_invoke;
    QLabel *m_status;
    QPlainTextEdit *m_result;
};

// The items a resource holds (a bucket's objects, …; its "browse" action in the resource
// catalog), the first thousand by key, with Upload…, Download… and Delete. Works through the
// owning service's catalog interface (ServiceModule::browse, readItem, putItem, deleteItem)
// on the engine's thread, so it knows no service; file copies happen off the GUI thread.
class ItemBrowser : public QDialog
{
    Q_OBJECT
public:
    ItemBrowser(
        EngineHost *host, const QString &kind, const QString &name, QWidget *parent = nullptr);

    QTableWidget *table() const { return m_table; }
    void refresh();
    void upload(const QString &file, const QString &key);
    void download(const QString &key, const QString &file);
    void remove(const QString &key);

signals:
    void changed();
    void listed();
    void failed(const QString &message);
    void downloaded(const QString &file);

private:
    void chooseUpload();
    void chooseDownload();
    void removeSelected();

    EngineHost *m_host;
    QString m_kind;
    QString m_name;
    QTableWidget *m_table;
    QLabel *m_status;
};

} // namespace tarmac
