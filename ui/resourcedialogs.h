#pragma once

#include "functions/delivery.h"

#include <QDialog>
#include <QMap>

class QComboBox;
class QGridLayout;
class QLayout;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTableWidget;

namespace tarmac {

class EngineHost;
struct CatalogItemBody;
struct CatalogPage;
struct CatalogField;

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

// A form for a catalog entry's fields (CatalogField: a search's, an action's): a list for a
// field of choices (side by side), a line or a box of text for the others (a row each). Each
// input is named prefix + the field's id.
class FieldForm : public QWidget
{
    Q_OBJECT
public:
    FieldForm(const QList<CatalogField> &fields, const QString &prefix, QWidget *parent = nullptr);

    QMap<QString, QString> values() const; // by field id, as typed
    void setValues(const QMap<QString, QString> &values);
    void addRow(QLayout *layout); // below the fields (buttons)
    bool grows() const { return m_grows; } // a field of several lines takes the room there is

signals:
    void submitted(); // Return in a line of text

private:
    QGridLayout *m_grid;
    QMap<QString, QWidget *> m_inputs;
    int m_rows = 0;
    bool m_grows = false;
};

// What an action asks for before it runs (a route's "send request": method, path, body).
class ActionDialog : public QDialog
{
    Q_OBJECT
public:
    ActionDialog(
        const QString &title, const QList<CatalogField> &fields, QWidget *parent = nullptr);
    FieldForm *form() const { return m_form; }

private:
    FieldForm *m_form;
};

// The items a resource holds (a bucket's objects, …; its "browse" action in the resource
// catalog), a thousand at a time by key (More… reads on), with Upload…, Download…, Edit… and
// Delete; and, for a resource whose catalog entry has search fields (a table's Query and
// Scan), a search form whose matches replace the list until Show all. Works through the
// owning service's catalog interface (ServiceModule::browse, search, readItem, putItem,
// deleteItem) on the engine's thread, so it knows no service; file copies happen off the
// GUI thread.
class ItemBrowser : public QDialog
{
    Q_OBJECT
public:
    ItemBrowser(
        EngineHost *host, const QString &kind, const QString &name, QWidget *parent = nullptr);

    QTableWidget *table() const { return m_table; }
    QString statusText() const;
    // The list again from the start (the search's matches while one is shown).
    void refresh();
    void more();
    // Shows the items that match (search field ids to what is typed), as the form's Search
    // button does with what is in the form; showAll() goes back to every item.
    void search(const QMap<QString, QString> &fields);
    void showAll();
    // The search form's fields as typed (empty before the entry's fields arrive).
    QMap<QString, QString> searchFields() const;
    void upload(const QString &file, const QString &key);
    void download(const QString &key, const QString &file);
    void remove(const QString &key);
    // Edit…: the item's content in an editor; saving puts it back (putItem with its key).
    QDialog *edit(const QString &key);

signals:
    void changed();
    void listed();
    void searchReady(); // the search form is built (never for a resource without one)
    void failed(const QString &message);
    void downloaded(const QString &file);

private:
    void load(bool append);
    void showPage(const CatalogPage &page, bool append);
    void buildSearch(const QList<CatalogField> &fields);
    void chooseUpload();
    void chooseDownload();
    void removeSelected();
    QString selectedKey() const;
    QString labelOf(const QString &key) const; // what the list shows for it
    // The item's content, to `done` on the GUI thread while `context` lives.
    void readItem(
        QObject *context, const QString &key, std::function<void(Result<CatalogItemBody>)> done);

    EngineHost *m_host;
    QString m_kind;
    QString m_name;
    QWidget *m_searchBox;
    FieldForm *m_form = nullptr; // the search's, once the entry's fields arrive
    bool m_searching = false;
    QMap<QString, QString> m_search; // the search shown
    QString m_next; // where More… starts
    QTableWidget *m_table;
    QPushButton *m_more;
    QLabel *m_status;
};

} // namespace tarmac
