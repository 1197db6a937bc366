#include "ui/resourcedialogs.h"

#include "base/json.h"
#include "engine/engine.h"
#include "engine/stackcommands.h"
#include "services/servicemodule.h"
#include "ui/enginehost.h"
#include "ui/format.h"
#include "ui/logview.h"

#include <QApplication>
#include <QComboBox>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMimeDatabase>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QStringDecoder>
#include <QTableWidget>
#include <QTemporaryFile>
#include <QThreadPool>
#include <QVBoxLayout>

namespace tarmac {

namespace {

// The module that shows resources of `kind`, or an error to show.
Result<ServiceModule *> ownerOf(Engine &engine, const QString &kind)
{
    if (ServiceModule *m = engine.catalogModule(kind))
        return m;
    return makeError(QStringLiteral("Unavailable"),
        QObject::tr("no running service shows %1 resources").arg(kind));
}

} // namespace

InvokeDialog::InvokeDialog(EngineHost *host, const QString &function, QWidget *parent)
    : QDialog(parent)
    , m_host(host)
    , m_function(function)
    , m_samples(new QComboBox)
    , m_editor(new QPlainTextEdit)
    , m_syntax(new QLabel)
    , m_invoke(new QPushButton(tr("Invoke")))
    , m_status(new QLabel)
    , m_result(new QPlainTextEdit)
{
    setWindowTitle(tr("Invoke %1").arg(function));
    setObjectName(QStringLiteral("invokeDialog"));
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_samples->addItem(tr("Empty event {}"), QString());
    for (const QString &source : sampleEventSources())
        m_samples->addItem(tr("Sample: %1").arg(source), source);
    m_editor->setFont(mono);
    m_editor->setObjectName(QStringLiteral("invokeEditor"));
    m_editor->setPlainText(QStringLiteral("{}"));
    m_result->setFont(mono);
    m_result->setReadOnly(true);
    m_result->setObjectName(QStringLiteral("invokeResult"));
    m_result->setPlaceholderText(tr("The response appears here."));
    m_invoke->setDefault(true);
    m_invoke->setObjectName(QStringLiteral("invokeButton"));
    m_status->setWordWrap(true);

    auto *top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Event:")));
    top->addWidget(m_samples, 1);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_syntax, 1);
    buttons->addWidget(m_invoke);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_editor, 2);
    layout->addLayout(buttons);
    layout->addWidget(m_status);
    layout->addWidget(m_result, 2);
    resize(640, 560);

    connect(m_samples, &QComboBox::currentIndexChanged, this,
        [this] { setSample(m_samples->currentData().toString()); });
    connect(m_editor, &QPlainTextEdit::textChanged, this, &InvokeDialog::checkSyntax);
    connect(m_invoke, &QPushButton::clicked, this, &InvokeDialog::invoke);
    checkSyntax();
}

void InvokeDialog::setSample(const QString &source)
{
    if (source.isEmpty()) {
        m_editor->setPlainText(QStringLiteral("{}"));
        return;
    }
    const CommandResult r = generateSampleEvent(source, {});
    m_editor->setPlainText(QString::fromUtf8(r.status == 0 ? r.out.trimmed() : QByteArray("{}")));
}

void InvokeDialog::checkSyntax()
{
    auto json = parseJson(m_editor->toPlainText().toUtf8());
    m_syntax->setText(json ? tr("<span style='color:#188038'>Valid JSON</span>")
                           : tr("<span style='color:#d93025'>Not JSON: %1</span>")
                                 .arg(json.error().message.toHtmlEscaped()));
    m_invoke->setEnabled(json.ok() && m_host->isRunning());
}

void InvokeDialog::invoke()
{
    const QByteArray payload = m_editor->toPlainText().toUtf8();
    if (!parseJson(payload))
        return;
    m_status->setText(tr("Invoking… (if the stepper is paused, the event waits there)"));
    m_result->clear();
    QPointer<InvokeDialog> guard(this);
    const QString function = m_function;
    m_host->post([guard, function, payload](Engine &engine) {
        const auto show = [guard](const DeliveryResult &r) {
            // Any thread: hop to the GUI thread, where the dialog may be gone.
            QMetaObject::invokeMethod(
                qApp,
                [guard, r] {
                    if (guard)
                        guard->showResult(r);
                },
                Qt::QueuedConnection);
        };
        auto id
            = engine.invoke(Engine::Invocation {.function = function, .payload = payload}, show);
        if (!id) {
            DeliveryResult r;
            r.errorType = id.error().code;
            r.errorMessage = id.error().message;
            show(r);
        }
    });
}

void InvokeDialog::showResult(const DeliveryResult &r)
{
    QString status;
    if (!r.delivered)
        status = tr("<b style='color:#d93025'>Not run</b>: %1 %2")
                     .arg(r.errorType, r.errorMessage.toHtmlEscaped());
    else if (r.functionError)
        status = tr("<b style='color:#d93025'>The function failed</b> (%1) after %2")
                     .arg(r.errorType, format::duration(r.durationNs));
    else
        status = tr("<b style='color:#188038'>Done</b> in %1").arg(format::duration(r.durationNs));
    if (!r.requestId.isEmpty())
        status += tr(" · request %1").arg(QString::fromLatin1(r.requestId));
    m_status->setText(status);
    QString text = LogView::prettyText(QString::fromUtf8(r.payload));
    if (!r.logTail.isEmpty())
        text += QStringLiteral("\n\n--- log tail ---\n") + QString::fromUtf8(r.logTail);
    m_result->setPlainText(text);
    emit finished(r);
}

FieldForm::FieldForm(const QList<CatalogField> &fields, const QString &prefix, QWidget *parent)
    : QWidget(parent)
    , m_grid(new QGridLayout(this))
{
    m_grid->setContentsMargins(0, 0, 0, 0);
    int column = 0;
    for (const CatalogField &f : fields) {
        QWidget *input;
        if (!f.choices.isEmpty()) {
            auto *box = new QComboBox;
            box->addItems(f.choices);
            input = box;
        } else if (f.multiline) {
            auto *text = new QPlainTextEdit(f.value);
            text->setPlaceholderText(f.placeholder);
            text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
            text->setMinimumHeight(90);
            input = text;
        } else {
            auto *line = new QLineEdit(f.value);
            line->setPlaceholderText(f.placeholder);
            line->setClearButtonEnabled(true);
            line->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
            connect(line, &QLineEdit::returnPressed, this, &FieldForm::submitted);
            input = line;
        }
        input->setObjectName(prefix + f.id);
        m_inputs.insert(f.id, input);
        auto *label = new QLabel(f.label);
        label->setBuddy(input);
        // Choices side by side on the first row; each text field on a row of its own.
        if (f.choices.isEmpty()) {
            if (column > 0) {
                ++m_rows;
                column = 0;
            }
            m_grid->addWidget(label, m_rows, 0, f.multiline ? Qt::AlignTop : Qt::Alignment());
            m_grid->addWidget(input, m_rows, 1, 1, 5);
            if (f.multiline) {
                m_grid->setRowStretch(m_rows, 1); // a body takes the room there is
                m_grows = true;
            }
            ++m_rows;
        } else {
            m_grid->addWidget(label, m_rows, column);
            m_grid->addWidget(input, m_rows, column + 1);
            column += 2;
        }
    }
    if (column > 0)
        ++m_rows;
    m_grid->setColumnStretch(5, 1);
}

void FieldForm::addRow(QLayout *layout)
{
    m_grid->addLayout(layout, m_rows++, 0, 1, 6);
}

QMap<QString, QString> FieldForm::values() const
{
    QMap<QString, QString> out;
    for (auto it = m_inputs.begin(); it != m_inputs.end(); ++it) {
        if (auto *box = qobject_cast<QComboBox *>(it.value()))
            out.insert(it.key(), box->currentText());
        else if (auto *line = qobject_cast<QLineEdit *>(it.value()))
            out.insert(it.key(), line->text());
        else if (auto *text = qobject_cast<QPlainTextEdit *>(it.value()))
            out.insert(it.key(), text->toPlainText());
    }
    return out;
}

void FieldForm::setValues(const QMap<QString, QString> &values)
{
    for (auto it = values.begin(); it != values.end(); ++it) {
        QWidget *input = m_inputs.value(it.key());
        if (auto *box = qobject_cast<QComboBox *>(input))
            box->setCurrentText(it.value());
        else if (auto *line = qobject_cast<QLineEdit *>(input))
            line->setText(it.value());
        else if (auto *text = qobject_cast<QPlainTextEdit *>(input))
            text->setPlainText(it.value());
    }
}

ActionDialog::ActionDialog(const QString &title, const QList<CatalogField> &fields, QWidget *parent)
    : QDialog(parent)
    , m_form(new FieldForm(fields, QStringLiteral("field-")))
{
    setWindowTitle(title);
    setObjectName(QStringLiteral("actionDialog"));
    auto *run = new QPushButton(tr("Run"));
    run->setObjectName(QStringLiteral("run"));
    run->setDefault(true);
    auto *cancel = new QPushButton(tr("Cancel"));
    auto *row = new QHBoxLayout;
    row->addStretch();
    row->addWidget(cancel);
    row->addWidget(run);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_form, m_form->grows() ? 1 : 0);
    if (!m_form->grows())
        layout->addStretch(1);
    layout->addLayout(row);
    resize(520, m_form->grows() ? 360 : 160);
    connect(run, &QPushButton::clicked, this, &QDialog::accept);
    connect(cancel, &QPushButton::clicked, this, &QDialog::reject);
    connect(m_form, &FieldForm::submitted, this, &QDialog::accept);
}

ItemBrowser::ItemBrowser(
    EngineHost *host, const QString &kind, const QString &name, QWidget *parent)
    : QDialog(parent)
    , m_host(host)
    , m_kind(kind)
    , m_name(name)
    , m_searchBox(new QWidget)
    , m_table(new QTableWidget)
    , m_more(new QPushButton(tr("More…")))
    , m_status(new QLabel)
{
    setWindowTitle(
        kind == QLatin1String("bucket") ? tr("s3://%1").arg(name) : tr("%1 %2").arg(kind, name));
    setObjectName(QStringLiteral("itemBrowser"));
    m_table->setColumnCount(4);
    m_table->setHorizontalHeaderLabels({tr("Key"), tr("Size"), tr("Last modified"), tr("Item")});
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->hide();
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setObjectName(QStringLiteral("items"));
    m_searchBox->setObjectName(QStringLiteral("search"));
    m_searchBox->hide();
    m_more->setObjectName(QStringLiteral("more"));
    m_more->hide();
    m_status->setObjectName(QStringLiteral("status"));
    m_status->setWordWrap(true);
    auto *uploadButton = new QPushButton(tr("Upload…"));
    auto *downloadButton = new QPushButton(tr("Download…"));
    auto *editButton = new QPushButton(tr("Edit…"));
    auto *deleteButton = new QPushButton(tr("Delete"));
    auto *refreshButton = new QPushButton(tr("Refresh"));
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(uploadButton);
    buttons->addWidget(downloadButton);
    buttons->addWidget(editButton);
    buttons->addWidget(deleteButton);
    buttons->addStretch();
    buttons->addWidget(refreshButton);
    auto *footer = new QHBoxLayout;
    footer->addWidget(m_status, 1);
    footer->addWidget(m_more);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_searchBox);
    layout->addLayout(buttons);
    layout->addWidget(m_table, 1);
    layout->addLayout(footer);
    resize(760, 480);
    connect(uploadButton, &QPushButton::clicked, this, &ItemBrowser::chooseUpload);
    connect(downloadButton, &QPushButton::clicked, this, &ItemBrowser::chooseDownload);
    connect(editButton, &QPushButton::clicked, this, [this] {
        if (const QString key = selectedKey(); !key.isEmpty())
            edit(key);
    });
    connect(m_table, &QTableWidget::cellDoubleClicked, this,
        [this](int row) { edit(m_table->item(row, 0)->data(Qt::UserRole).toString()); });
    connect(deleteButton, &QPushButton::clicked, this, &ItemBrowser::removeSelected);
    connect(refreshButton, &QPushButton::clicked, this, &ItemBrowser::refresh);
    connect(m_more, &QPushButton::clicked, this, &ItemBrowser::more);
    connect(this, &ItemBrowser::changed, this, &ItemBrowser::refresh);
    connect(this, &ItemBrowser::failed, m_status, &QLabel::setText);
    // The search form, when the resource's catalog entry has one.
    m_host->call<QList<CatalogField>>(
        this,
        [kind, name](Engine &engine) {
            for (const CatalogEntry &e : engine.catalog()) {
                if (e.kind == kind && e.name == name)
                    return e.search;
            }
            return QList<CatalogField>();
        },
        [this](const QList<CatalogField> &fields) {
            if (!fields.isEmpty())
                buildSearch(fields);
        });
    refresh();
}

void ItemBrowser::buildSearch(const QList<CatalogField> &fields)
{
    m_form = new FieldForm(fields, QStringLiteral("search-"));
    auto *searchButton = new QPushButton(tr("Search"));
    searchButton->setObjectName(QStringLiteral("searchButton"));
    searchButton->setDefault(true);
    auto *allButton = new QPushButton(tr("Show all"));
    allButton->setObjectName(QStringLiteral("showAll"));
    auto *buttons = new QHBoxLayout;
    buttons->addStretch();
    buttons->addWidget(allButton);
    buttons->addWidget(searchButton);
    m_form->addRow(buttons);
    auto *layout = new QVBoxLayout(m_searchBox);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_form);
    connect(m_form, &FieldForm::submitted, this, [this] { search(searchFields()); });
    connect(searchButton, &QPushButton::clicked, this, [this] { search(searchFields()); });
    connect(allButton, &QPushButton::clicked, this, &ItemBrowser::showAll);
    m_searchBox->show();
    emit searchReady();
}

QMap<QString, QString> ItemBrowser::searchFields() const
{
    return m_form ? m_form->values() : QMap<QString, QString>();
}

QString ItemBrowser::statusText() const
{
    return m_status->text();
}

void ItemBrowser::search(const QMap<QString, QString> &fields)
{
    m_searching = true;
    m_search = fields;
    // The form shows what is searched for, however the search came.
    if (m_form)
        m_form->setValues(fields);
    load(false);
}

void ItemBrowser::showAll()
{
    m_searching = false;
    m_search.clear();
    load(false);
}

void ItemBrowser::refresh()
{
    load(false);
}

void ItemBrowser::more()
{
    load(true);
}

void ItemBrowser::load(bool append)
{
    const QString kind = m_kind;
    const QString name = m_name;
    const QString after = append ? m_next : QString();
    const bool searching = m_searching;
    const QMap<QString, QString> fields = m_search;
    m_more->setEnabled(false);
    m_host->call<Result<CatalogPage>>(
        this,
        [kind, name, after, searching, fields](Engine &engine) -> Result<CatalogPage> {
            auto owner = ownerOf(engine, kind);
            if (!owner)
                return owner.error();
            return searching ? (*owner)->search(kind, name, fields, after, 1000)
                             : (*owner)->browse(kind, name, after, 1000);
        },
        [this, append, searching](Result<CatalogPage> r) {
            if (!r) {
                m_more->setEnabled(true);
                emit failed(searching ? tr("The search failed: %1").arg(r.error().message)
                                      : r.error().message);
                return;
            }
            showPage(*r, append);
        });
}

void ItemBrowser::showPage(const CatalogPage &page, bool append)
{
    const int first = append ? m_table->rowCount() : 0;
    m_table->setRowCount(first + int(page.items.size()));
    bool modified = false;
    bool detail = false;
    for (int i = 0; i < page.items.size(); ++i) {
        const CatalogItem &o = page.items[i];
        const int row = first + i;
        auto *key = new QTableWidgetItem(o.label.isEmpty() ? o.key : o.label);
        key->setData(Qt::UserRole, o.key);
        m_table->setItem(row, 0, key);
        auto *size = new QTableWidgetItem(
            QLocale().formattedDataSize(o.size, 1, QLocale::DataSizeTraditionalFormat));
        size->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_table->setItem(row, 1, size);
        m_table->setItem(row, 2,
            new QTableWidgetItem(o.modifiedNs ? format::clock(o.modifiedNs, 0) : QString()));
        auto *line = new QTableWidgetItem(o.detail);
        line->setToolTip(o.detail);
        m_table->setItem(row, 3, line);
        modified = modified || o.modifiedNs != 0;
        detail = detail || !o.detail.isEmpty();
    }
    if (!append) {
        m_table->setColumnHidden(2, !modified);
        m_table->setColumnHidden(3, !detail);
        m_table->resizeColumnToContents(0);
        m_table->setColumnWidth(0, std::min(m_table->columnWidth(0), width() / 2));
    }
    m_next = page.truncated
        ? (page.next.isEmpty() && !page.items.isEmpty() ? page.items.last().key : page.next)
        : QString();
    m_more->setVisible(page.truncated);
    m_more->setEnabled(true);
    const int shown = m_table->rowCount();
    if (m_searching)
        m_status->setText(page.truncated ? tr("The first %1 matches; More… reads on.").arg(shown)
                : shown == 0             ? tr("Nothing matches.")
                : shown == 1             ? tr("1 match.")
                                         : tr("%1 matches.").arg(shown));
    else
        m_status->setText(shown == 0 ? tr("It is empty. Upload… puts a file in it.")
                : page.truncated     ? tr("The first %n item(s); More… reads on.", nullptr, shown)
                                     : tr("%n item(s).", nullptr, shown));
    emit listed();
}

QString ItemBrowser::labelOf(const QString &key) const
{
    for (int row = 0; row < m_table->rowCount(); ++row) {
        if (const auto *item = m_table->item(row, 0);
            item && item->data(Qt::UserRole).toString() == key)
            return item->text();
    }
    return key;
}

QString ItemBrowser::selectedKey() const
{
    const int row = m_table->currentRow();
    return row >= 0 && m_table->item(row, 0) ? m_table->item(row, 0)->data(Qt::UserRole).toString()
                                             : QString();
}

QDialog *ItemBrowser::edit(const QString &key)
{
    auto *dialog = new QDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setObjectName(QStringLiteral("itemEditor"));
    dialog->setWindowTitle(tr("Edit %1").arg(labelOf(key)));
    auto *editor = new QPlainTextEdit;
    editor->setObjectName(QStringLiteral("itemText"));
    editor->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    editor->setReadOnly(true);
    editor->setPlaceholderText(tr("Reading…"));
    auto *note = new QLabel(tr("Save puts this back as the item %1 (a new message, for a "
                               "queue).")
                                .arg(labelOf(key)));
    note->setWordWrap(true);
    auto *save = new QPushButton(tr("Save"));
    save->setObjectName(QStringLiteral("save"));
    save->setEnabled(false);
    auto *cancel = new QPushButton(tr("Cancel"));
    auto *row = new QHBoxLayout;
    row->addWidget(note, 1);
    row->addWidget(cancel);
    row->addWidget(save);
    auto *layout = new QVBoxLayout(dialog);
    layout->addWidget(editor, 1);
    layout->addLayout(row);
    dialog->resize(560, 420);
    connect(cancel, &QPushButton::clicked, dialog, &QDialog::reject);
    readItem(dialog, key, [editor, note, save](Result<CatalogItemBody> r) {
        constexpr qsizetype kMaxEdit = 1024 * 1024;
        if (!r) {
            note->setText(r.error().message);
            return;
        }
        if (!r->file.isEmpty() || r->data.size() > kMaxEdit) {
            note->setText(QObject::tr("Too big to edit here: Download… it instead."));
            return;
        }
        QStringDecoder utf8(QStringDecoder::Utf8);
        const QString text = utf8(r->data);
        if (utf8.hasError()) {
            note->setText(QObject::tr("Not text: Download… it instead."));
            return;
        }
        editor->setPlainText(text);
        editor->setReadOnly(false);
        save->setEnabled(true);
    });
    connect(save, &QPushButton::clicked, this, [this, dialog, editor, key] {
        // putItem takes a file (a bucket's objects may be big): the text goes through one,
        // removed once the service has answered.
        QTemporaryFile staged(QDir::temp().filePath(QStringLiteral("tarmac-edit-XXXXXX")));
        staged.setAutoRemove(false);
        if (!staged.open() || staged.write(editor->toPlainText().toUtf8()) < 0 || !staged.flush()) {
            emit failed(tr("cannot stage the edit: %1").arg(staged.errorString()));
            staged.remove();
            return;
        }
        const QString file = staged.fileName();
        staged.close();
        const QString kind = m_kind;
        const QString name = m_name;
        QPointer<ItemBrowser> guard(this);
        QPointer<QDialog> open(dialog);
        m_host->post([kind, name, key, file, guard, open](Engine &engine) {
            const auto report = [guard, open, file](Result<void> r) {
                QMetaObject::invokeMethod(
                    qApp,
                    [guard, open, file, r] {
                        QFile::remove(file);
                        if (!guard)
                            return;
                        if (!r) {
                            emit guard->failed(r.error().message);
                            return;
                        }
                        if (open)
                            open->accept();
                        emit guard->changed();
                    },
                    Qt::QueuedConnection);
            };
            auto owner = ownerOf(engine, kind);
            if (!owner)
                return report(owner.error());
            (*owner)->putItem(kind, name, key, file, report);
        });
    });
    dialog->show();
    return dialog;
}

void ItemBrowser::upload(const QString &file, const QString &key)
{
    const QString kind = m_kind;
    const QString name = m_name;
    QPointer<ItemBrowser> guard(this);
    m_status->setText(tr("Uploading %1…").arg(key));
    // The service stages the file off its thread and calls back on it; the answer comes here.
    m_host->post([kind, name, key, file, guard](Engine &engine) {
        const auto report = [guard](Result<void> r) {
            QMetaObject::invokeMethod(
                qApp,
                [guard, r] {
                    if (!guard)
                        return;
                    if (!r)
                        emit guard->failed(r.error().message);
                    else
                        emit guard->changed();
                },
                Qt::QueuedConnection);
        };
        auto owner = ownerOf(engine, kind);
        if (!owner)
            return report(owner.error());
        (*owner)->putItem(kind, name, key, file, report);
    });
}

void ItemBrowser::download(const QString &key, const QString &file)
{
    QPointer<ItemBrowser> guard(this);
    // The body is inline (small) or a file to copy.
    readItem(this, key, [guard, file](Result<CatalogItemBody> r) {
        if (!guard)
            return;
        if (!r) {
            emit guard->failed(r.error().message);
            return;
        }
        QThreadPool::globalInstance()->start([guard, file, data = r->data, blob = r->file] {
            QString error;
            QFile::remove(file);
            if (blob.isEmpty()) {
                QFile out(file);
                if (!out.open(QIODevice::WriteOnly) || out.write(data) != data.size())
                    error = out.errorString();
            } else if (!QFile::copy(blob, file)) {
                error = QObject::tr("cannot write %1").arg(file);
            }
            QMetaObject::invokeMethod(
                qApp,
                [guard, file, error] {
                    if (!guard)
                        return;
                    if (error.isEmpty())
                        emit guard->downloaded(file);
                    else
                        emit guard->failed(error);
                },
                Qt::QueuedConnection);
        });
    });
}

void ItemBrowser::readItem(
    QObject *context, const QString &key, std::function<void(Result<CatalogItemBody>)> done)
{
    const QString kind = m_kind;
    const QString name = m_name;
    m_host->call<Result<CatalogItemBody>>(
        context,
        [kind, name, key](Engine &engine) -> Result<CatalogItemBody> {
            auto owner = ownerOf(engine, kind);
            if (!owner)
                return owner.error();
            return (*owner)->readItem(kind, name, key);
        },
        std::move(done));
}

void ItemBrowser::remove(const QString &key)
{
    const QString kind = m_kind;
    const QString name = m_name;
    m_host->call<Result<void>>(
        this,
        [kind, name, key](Engine &engine) -> Result<void> {
            auto owner = ownerOf(engine, kind);
            if (!owner)
                return owner.error();
            return (*owner)->deleteItem(kind, name, key);
        },
        [this](Result<void> r) {
            if (!r)
                emit failed(r.error().message);
            else
                emit changed();
        });
}

void ItemBrowser::chooseUpload()
{
    const QString file
        = QFileDialog::getOpenFileName(this, tr("Upload a file to %1").arg(windowTitle()));
    if (!file.isEmpty())
        upload(file, QFileInfo(file).fileName());
}

void ItemBrowser::chooseDownload()
{
    const QString key = selectedKey();
    if (key.isEmpty())
        return;
    const QString label = labelOf(key);
    const QString file
        = QFileDialog::getSaveFileName(this, tr("Save %1").arg(label), QFileInfo(label).fileName());
    if (!file.isEmpty())
        download(key, file);
}

void ItemBrowser::removeSelected()
{
    if (const QString key = selectedKey(); !key.isEmpty())
        remove(key);
}

} // namespace tarmac
