#include "ui/resourcedialogs.h"

#include "base/json.h"
#include "engine/engine.h"
#include "engine/stackcommands.h"
#include "ui/enginehost.h"
#include "ui/format.h"
#include "ui/logview.h"

#include <QApplication>
#include <QComboBox>
#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMimeDatabase>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QTableWidget>
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

ItemBrowser::ItemBrowser(
    EngineHost *host, const QString &kind, const QString &name, QWidget *parent)
    : QDialog(parent)
    , m_host(host)
    , m_kind(kind)
    , m_name(name)
    , m_table(new QTableWidget)
    , m_status(new QLabel)
{
    setWindowTitle(
        kind == QLatin1String("bucket") ? tr("s3://%1").arg(name) : tr("%1 %2").arg(kind, name));
    setObjectName(QStringLiteral("itemBrowser"));
    m_table->setColumnCount(3);
    m_table->setHorizontalHeaderLabels({tr("Key"), tr("Size"), tr("Last modified")});
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_table->verticalHeader()->hide();
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setObjectName(QStringLiteral("items"));
    auto *uploadButton = new QPushButton(tr("Upload…"));
    auto *downloadButton = new QPushButton(tr("Download…"));
    auto *deleteButton = new QPushButton(tr("Delete"));
    auto *refreshButton = new QPushButton(tr("Refresh"));
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(uploadButton);
    buttons->addWidget(downloadButton);
    buttons->addWidget(deleteButton);
    buttons->addStretch();
    buttons->addWidget(refreshButton);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(buttons);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_status);
    resize(640, 420);
    connect(uploadButton, &QPushButton::clicked, this, &ItemBrowser::chooseUpload);
    connect(downloadButton, &QPushButton::clicked, this, &ItemBrowser::chooseDownload);
    connect(deleteButton, &QPushButton::clicked, this, &ItemBrowser::removeSelected);
    connect(refreshButton, &QPushButton::clicked, this, &ItemBrowser::refresh);
    connect(this, &ItemBrowser::changed, this, &ItemBrowser::refresh);
    connect(this, &ItemBrowser::failed, m_status, &QLabel::setText);
    refresh();
}

void ItemBrowser::refresh()
{
    const QString kind = m_kind;
    const QString name = m_name;
    m_host->call<Result<CatalogPage>>(
        this,
        [kind, name](Engine &engine) -> Result<CatalogPage> {
            auto owner = ownerOf(engine, kind);
            if (!owner)
                return owner.error();
            return (*owner)->browse(kind, name, QString(), 1000);
        },
        [this](Result<CatalogPage> r) {
            if (!r) {
                emit failed(r.error().message);
                return;
            }
            m_table->setRowCount(int(r->items.size()));
            for (int i = 0; i < r->items.size(); ++i) {
                const CatalogItem &o = r->items[i];
                m_table->setItem(i, 0, new QTableWidgetItem(o.key));
                auto *size = new QTableWidgetItem(
                    QLocale().formattedDataSize(o.size, 1, QLocale::DataSizeTraditionalFormat));
                size->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
                m_table->setItem(i, 1, size);
                m_table->setItem(i, 2,
                    new QTableWidgetItem(
                        o.modifiedNs ? format::clock(o.modifiedNs, 0) : QString()));
            }
            m_status->setText(r->items.isEmpty() ? tr("It is empty. Upload… puts a file in it.")
                    : r->truncated               ? tr("The first %1 items.").arg(r->items.size())
                                   : tr("%n item(s).", nullptr, int(r->items.size())));
            emit listed();
        });
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
    const QString kind = m_kind;
    const QString name = m_name;
    QPointer<ItemBrowser> guard(this);
    // The body is inline (small) or a file to copy.
    m_host->call<Result<CatalogItemBody>>(
        this,
        [kind, name, key](Engine &engine) -> Result<CatalogItemBody> {
            auto owner = ownerOf(engine, kind);
            if (!owner)
                return owner.error();
            return (*owner)->readItem(kind, name, key);
        },
        [guard, file](Result<CatalogItemBody> r) {
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
    const int row = m_table->currentRow();
    if (row < 0)
        return;
    const QString key = m_table->item(row, 0)->text();
    const QString file
        = QFileDialog::getSaveFileName(this, tr("Save %1").arg(key), QFileInfo(key).fileName());
    if (!file.isEmpty())
        download(key, file);
}

void ItemBrowser::removeSelected()
{
    const int row = m_table->currentRow();
    if (row >= 0)
        remove(m_table->item(row, 0)->text());
}

} // namespace tarmac
