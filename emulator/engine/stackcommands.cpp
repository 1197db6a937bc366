#include "engine/stackcommands.h"

#include "base/clock.h"
#include "base/json.h"
#include "engine/stackloader.h"
#include "services/s3/s3notifier.h"

#include <QDir>
#include <QFileInfo>

namespace tarmac {

namespace {

CommandResult usage(const QString &message)
{
    return CommandResult { 2, {}, QByteArray("tarmac: ") + message.toUtf8() + '\n' };
}

} // namespace

CommandResult checkProject(const QString &project, const QStringList &parameterOverrides, bool json)
{
    const QString path = project.isEmpty() ? QDir::currentPath() : project;
    const QString templatePath = StackLoader::findTemplate(path);
    if (templatePath.isEmpty())
        return usage(QStringLiteral("no template.yaml, template.yml or template.json in %1").arg(path));
    StackLoader::Options options;
    options.parameterOverrides = parameterOverrides;
    auto stack = StackLoader::loadFile(templatePath, options);
    const QString file = QFileInfo(templatePath).fileName();
    CommandResult r;
    if (!stack) {
        r.status = 1;
        if (json)
            r.out = toJsonBytes(Json { { "template", templatePath.toStdString() },
                                       { "error", stack.error().message.toStdString() } }, 2) + '\n';
        r.err = QByteArray("tarmac: ") + stack.error().message.toUtf8() + '\n';
        return r;
    }
    const int unsupported = stack->report.count(FidelityItem::Level::Unsupported);
    const int ignored = stack->report.count(FidelityItem::Level::Ignored);
    r.status = unsupported > 0 ? 1 : 0;
    if (json) {
        Json resources = Json::array();
        for (const StackResource &res : stack->resources) {
            if (!res.implicit)
                resources.push_back({ { "logicalId", res.logicalId.toStdString() },
                                      { "type", res.type.toStdString() },
                                      { "physicalId", res.physicalId.toStdString() } });
        }
        r.out = toJsonBytes(Json { { "template", templatePath.toStdString() },
                                   { "stack", stack->name.toStdString() },
                                   { "resources", resources },
                                   { "unsupported", unsupported },
                                   { "ignored", ignored },
                                   { "items", stack->report.toJson() } },
                            2)
                + '\n';
        return r;
    }
    qsizetype resources = 0;
    for (const StackResource &res : stack->resources)
        resources += res.implicit ? 0 : 1;
    QString text = QStringLiteral("%1: stack %2, %3 resource(s), %4 function(s), %5 bucket(s)\n")
                           .arg(file, stack->name)
                           .arg(resources)
                           .arg(stack->functions.size())
                           .arg(stack->buckets.size());
    for (const QString &line : stack->report.lines())
        text += line + u'\n';
    if (unsupported > 0)
        text += QStringLiteral("%1: %2 thing(s) Tarmac does not emulate, %3 it accepts and ignores\n")
                        .arg(file)
                        .arg(unsupported)
                        .arg(ignored);
    else if (ignored > 0)
        text += QStringLiteral("%1: everything runs; %2 thing(s) accepted and ignored\n").arg(file).arg(ignored);
    else
        text += QStringLiteral("%1: everything runs as on AWS\n").arg(file);
    r.out = text.toUtf8();
    return r;
}

QStringList sampleEventSources()
{
    return { QStringLiteral("s3-put"), QStringLiteral("s3-delete") };
}

CommandResult generateSampleEvent(const QString &source, const QMap<QString, QString> &options)
{
    if (source == QLatin1String("s3-put") || source == QLatin1String("s3-delete")) {
        S3Event event;
        event.eventName = source == QLatin1String("s3-put") ? QStringLiteral("ObjectCreated:Put")
                                                            : QStringLiteral("ObjectRemoved:Delete");
        event.bucket = options.value(QStringLiteral("bucket"), QStringLiteral("example-bucket"));
        event.key = options.value(QStringLiteral("key"), QStringLiteral("test/key")).toUtf8();
        bool ok = false;
        event.size = options.value(QStringLiteral("size"), QStringLiteral("1024")).toLongLong(&ok);
        if (!ok || event.size < 0)
            return usage(QStringLiteral("--size takes a number of bytes"));
        if (event.bucket.isEmpty() || event.key.isEmpty())
            return usage(QStringLiteral("--bucket and --key must not be empty"));
        event.etag = QByteArrayLiteral("0123456789abcdef0123456789abcdef");
        event.sequencer = QByteArrayLiteral("0A1B2C3D4E5F678901");
        event.timeNs = SystemClock().nowNs();
        event.origin.requestId = QByteArrayLiteral("EXAMPLE123456789");
        const QString region = options.value(QStringLiteral("region"), QStringLiteral("us-east-1"));
        auto parsed = parseJson(S3Notifier::record(event, QStringLiteral("testConfigRule"), region));
        return CommandResult { 0, toJsonBytes(*parsed, 2) + '\n', {} };
    }
    return usage(QStringLiteral("unknown event source '%1' (known: %2)")
                         .arg(source, sampleEventSources().join(QLatin1String(", "))));
}

} // namespace tarmac
