#include "ui/resourcedialogs.h"

#include "base/json.h"
#include "engine/stackcommands.h"
#include "services/s3/s3module.h"
#include "services/s3/s3store.h"
#include "trace/tracecontext.h"
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

S3Store *s3Of(Engine &engine)
{
    auto *s3 = qobject_cast<S3Module *>(engine.module(QStringLiteral("s3")));
    return s3 ? s3->store() : nullptr;
}

Error noS3()
{
    return makeError(QStringLiteral("Unavailable"), QObject::tr("S3 is not running"));
}

// Copies `file` to `staging` (or reads it, when small) computing what S3Store wants to know.
Result<S3StagedBody> stageFile(const QString &file, const QString &staging)
{
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly))
        return makeError(QStringLiteral("ReadFailed"), QObject::tr("cannot read %1: %2").arg(file, in.errorString()));
    S3StagedBody body;
    QCryptographicHash md5(QCryptographicHash::Md5);
    QCryptographicHash sha(QCryptographicHash::Sha256);
    const bool small = in.size() <= S3Store::kInlineLimit;
    QFile out(staging);
    if (!small && !out.open(QIODevice::WriteOnly))
        return makeError(QStringLiteral("WriteFailed"), QObject::tr("cannot write %1: %2").arg(staging, out.errorString()));
    QByteArray buffer;
    while (!(buffer = in.read(1 << 20)).isEmpty()) {
        md5.addData(buffer);
        sha.addData(buffer);
        body.size += buffer.size();
        if (small)
            body.data += buffer;
        else if (out.write(buffer) != buffer.size())
            return makeError(QStringLiteral("WriteFailed"), out.errorString());
    }
    if (!small) {
        if (!out.flush())
            return makeError(QStringLiteral("WriteFailed"), out.errorString());
        body.path = staging;
    }
    body.md5 = md5.result();
    body.sha256Hex = sha.result().toHex();
    return body;
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
                           : tr("<span style='color:#d93025'>Not JSON: %1</span>").arg(json.error().message.toHtmlEscaped()));
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
        Delivery d;
        d.functionName = function;
        d.payload = payload;
        d.origin = QStringLiteral("manual");
        const TraceContext trace = TraceContext::newTrace(*engine.clock());
        d.traceId = trace.traceId;
        d.done = [guard](const DeliveryResult &r) {
            // Any thread: hop to the GUI thread, where the dialog may be gone.
            QMetaObject::invokeMethod(qApp, [guard, r] {
                if (guard)
                    guard->showResult(r);
            }, Qt::QueuedConnection);
        };
        if (DeliverySink *sink = engine.deliverySink()) {
            sink->submit(std::move(d));
        } else {
            DeliveryResult r;
            r.errorType = QStringLiteral("Tarmac.Unavailable");
            r.errorMessage = QObject::tr("no function runtime is running");
            d.done(r);
        }
    });
}

void InvokeDialog::showResult(const DeliveryResult &r)
{
    QString status;
    if (!r.delivered)
        status = tr("<b style='color:#d93025'>Not run</b>: %1 %2").arg(r.errorType, r.errorMessage.toHtmlEscaped());
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

BucketBrowser::BucketBrowser(EngineHost *host, const QString &bucket, QWidget *parent)
    : QDialog(parent), m_host(host), m_bucket(bucket), m_table(new QTableWidget), m_status(new QLabel)
{
    setWindowTitle(tr("s3://%1").arg(bucket));
    setObjectName(QStringLiteral("bucketBrowser"));
    m_table->setColumnCount(3);
    m_table->setHorizontalHeaderLabels({ tr("Key"), tr("Size"), tr("Last modified") });
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_table->verticalHeader()->hide();
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setObjectName(QStringLiteral("objects"));
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
    connect(uploadButton, &QPushButton::clicked, this, &BucketBrowser::chooseUpload);
    connect(downloadButton, &QPushButton::clicked, this, &BucketBrowser::chooseDownload);
    connect(deleteButton, &QPushButton::clicked, this, &BucketBrowser::removeSelected);
    connect(refreshButton, &QPushButton::clicked, this, &BucketBrowser::refresh);
    connect(this, &BucketBrowser::changed, this, &BucketBrowser::refresh);
    connect(this, &BucketBrowser::failed, m_status, &QLabel::setText);
    refresh();
}

void BucketBrowser::refresh()
{
    const QString bucket = m_bucket;
    m_host->call<Result<S3ListResult>>(
            this,
            [bucket](Engine &engine) -> Result<S3ListResult> {
                S3Store *s3 = s3Of(engine);
                if (!s3)
                    return noS3();
                S3ListQuery q;
                q.maxKeys = 1000;
                return s3->listObjects(bucket, q);
            },
            [this](Result<S3ListResult> r) {
                if (!r) {
                    emit failed(r.error().message);
                    return;
                }
                m_table->setRowCount(int(r->objects.size()));
                for (int i = 0; i < r->objects.size(); ++i) {
                    const S3Object &o = r->objects[i];
                    m_table->setItem(i, 0, new QTableWidgetItem(QString::fromUtf8(o.key)));
                    auto *size = new QTableWidgetItem(QLocale().formattedDataSize(o.size, 1, QLocale::DataSizeTraditionalFormat));
                    size->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
                    m_table->setItem(i, 1, size);
                    m_table->setItem(i, 2, new QTableWidgetItem(format::clock(o.lastModifiedNs, 0)));
                }
                m_status->setText(r->objects.isEmpty() ? tr("The bucket is empty. Upload… puts a file in it.")
                                  : r->truncated        ? tr("The first %1 objects.").arg(r->objects.size())
                                                        : tr("%n object(s).", nullptr, int(r->objects.size())));
                emit listed();
            });
}

void BucketBrowser::upload(const QString &file, const QString &key)
{
    const QString bucket = m_bucket;
    QPointer<BucketBrowser> guard(this);
    EngineHost *host = m_host;
    m_status->setText(tr("Uploading %1…").arg(key));
    // 1. Where to stage (the store's filesystem), 2. stage off the GUI thread, 3. commit.
    host->call<QString>(
            this, [](Engine &engine) { S3Store *s3 = s3Of(engine); return s3 ? s3->newStagingPath() : QString(); },
            [guard, host, bucket, file, key](QString staging) {
                if (!guard)
                    return;
                if (staging.isEmpty()) {
                    emit guard->failed(noS3().message);
                    return;
                }
                QThreadPool::globalInstance()->start([guard, host, bucket, file, key, staging] {
                    auto staged = stageFile(file, staging);
                    QMetaObject::invokeMethod(qApp, [guard, host, bucket, key, staged, file] {
                        if (!guard)
                            return;
                        if (!staged) {
                            emit guard->failed(staged.error().message);
                            return;
                        }
                        const QString type = QMimeDatabase().mimeTypeForFile(file).name();
                        host->call<Result<S3Object>>(
                                guard,
                                [bucket, key, staged, type](Engine &engine) -> Result<S3Object> {
                                    S3Store *s3 = s3Of(engine);
                                    if (!s3)
                                        return noS3();
                                    S3ObjectAttributes attributes;
                                    attributes.headers.append({ QByteArrayLiteral("content-type"), type.toUtf8() });
                                    return s3->putObject(bucket, key.toUtf8(), *staged, attributes);
                                },
                                [guard](Result<S3Object> r) {
                                    if (!r)
                                        emit guard->failed(r.error().message);
                                    else
                                        emit guard->changed();
                                });
                    }, Qt::QueuedConnection);
                });
            });
}

void BucketBrowser::download(const QString &key, const QString &file)
{
    const QString bucket = m_bucket;
    QPointer<BucketBrowser> guard(this);
    // The body is inline (small) or a blob file to copy.
    m_host->call<Result<std::pair<QByteArray, QString>>>(
            this,
            [bucket, key](Engine &engine) -> Result<std::pair<QByteArray, QString>> {
                S3Store *s3 = s3Of(engine);
                if (!s3)
                    return noS3();
                auto o = s3->object(bucket, key.toUtf8());
                if (!o)
                    return o.error();
                if (o->blob.isEmpty())
                    return std::pair<QByteArray, QString>(o->data, QString());
                return std::pair<QByteArray, QString>(QByteArray(), s3->blobPath(o->blob));
            },
            [guard, file](Result<std::pair<QByteArray, QString>> r) {
                if (!guard)
                    return;
                if (!r) {
                    emit guard->failed(r.error().message);
                    return;
                }
                QThreadPool::globalInstance()->start([guard, file, data = r->first, blob = r->second] {
                    QString error;
                    QFile::remove(file);
                    if (blob.isEmpty()) {
                        QFile out(file);
                        if (!out.open(QIODevice::WriteOnly) || out.write(data) != data.size())
                            error = out.errorString();
                    } else if (!QFile::copy(blob, file)) {
                        error = QObject::tr("cannot write %1").arg(file);
                    }
                    QMetaObject::invokeMethod(qApp, [guard, file, error] {
                        if (!guard)
                            return;
                        if (error.isEmpty())
                            emit guard->downloaded(file);
                        else
                            emit guard->failed(error);
                    }, Qt::QueuedConnection);
                });
            });
}

void BucketBrowser::remove(const QString &key)
{
    const QString bucket = m_bucket;
    m_host->call<Result<bool>>(
            this,
            [bucket, key](Engine &engine) -> Result<bool> {
                S3Store *s3 = s3Of(engine);
                if (!s3)
                    return noS3();
                return s3->deleteObject(bucket, key.toUtf8());
            },
            [this](Result<bool> r) {
                if (!r)
                    emit failed(r.error().message);
                else
                    emit changed();
            });
}

void BucketBrowser::chooseUpload()
{
    const QString file = QFileDialog::getOpenFileName(this, tr("Upload a file to s3://%1").arg(m_bucket));
    if (!file.isEmpty())
        upload(file, QFileInfo(file).fileName());
}

void BucketBrowser::chooseDownload()
{
    const int row = m_table->currentRow();
    if (row < 0)
        return;
    const QString key = m_table->item(row, 0)->text();
    const QString file = QFileDialog::getSaveFileName(this, tr("Save %1").arg(key), QFileInfo(key).fileName());
    if (!file.isEmpty())
        download(key, file);
}

void BucketBrowser::removeSelected()
{
    const int row = m_table->currentRow();
    if (row >= 0)
        remove(m_table->item(row, 0)->text());
}

} // namespace tarmac
