#include "engine/stackapplier.h"

#include "engine/engine.h"
#include "functions/functionrunner.h"
#include "http/serviceregistry.h"
#include "services/lambda/lambdastore.h"
#include "services/s3/s3module.h"
#include "services/s3/s3store.h"
#include "store/digest.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;

namespace {

// A function with inline code, a bucket that notifies it, and a second bucket.
const char kTemplate[] = R"(AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Thumbs:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: thumbs
      Runtime: python3.11
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return event
      Timeout: 7
      Environment:
        Variables:
          SIZE: '128'
      Events:
        Upload:
          Type: S3
          Properties:
            Bucket: !Ref Photos
            Events: s3:ObjectCreated:*
  Photos:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: photos
  Scratch:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: scratch
Outputs:
  PhotosName:
    Value: !Ref Photos
)";

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

QStringList bucketNames(S3Store *s3)
{
    QStringList out;
    for (const S3Bucket &b : s3->listBuckets())
        out.append(b.name);
    out.sort();
    return out;
}

} // namespace

// Stack application at the engine's level: what `serve PROJECT` creates from a template, and
// what a reload changes, through the models (not their wire APIs).
class TestStackApplier : public QObject
{
    Q_OBJECT

private slots:
    void init()
    {
        m_project = std::make_unique<QTemporaryDir>();
        QVERIFY(writeFile(m_project->filePath(QStringLiteral("template.yaml")), kTemplate));
        Engine::Options o;
        o.projectPath = m_project->path();
        o.stateDir = m_project->filePath(QStringLiteral(".tarmac"));
        o.edgePort = o.idePort = 0;
        o.ports.insert(QStringLiteral("api"), 0);
        o.ioThreads = 1;
        m_engine = std::make_unique<Engine>(o);
        auto started = m_engine->start();
        QVERIFY2(started, qPrintable(started ? QString() : started.error().message));
        QVERIFY(m_engine->stack());
        m_s3 = qobject_cast<S3Module *>(m_engine->module(QStringLiteral("s3")))->store();
    }
    void cleanup()
    {
        m_engine.reset();
        m_project.reset();
    }

    void startCreatesTheStack()
    {
        StackApplier *stack = m_engine->stack();
        QVERIFY(stack->lastError().isEmpty());
        QCOMPARE(
            bucketNames(m_s3), (QStringList {QStringLiteral("photos"), QStringLiteral("scratch")}));
        auto fn = m_engine->functionRunner()->function(QStringLiteral("thumbs"));
        QVERIFY(fn);
        QCOMPARE(fn->runtime, QStringLiteral("python3.11"));
        QCOMPARE(fn->timeoutSeconds, 7);
        QCOMPARE(fn->environment.value(QStringLiteral("SIZE")), QStringLiteral("128"));
        // Inline code is written out as the function's folder.
        QVERIFY(QFile::exists(fn->codeDir + QStringLiteral("/index.py")));
        // The S3 event became the bucket's notification configuration.
        auto notification
            = m_s3->bucketDocument(QStringLiteral("photos"), S3Store::BucketDocument::Notification);
        QVERIFY(notification);
        QVERIFY2(notification->contains("function:thumbs"), notification->constData());
        QCOMPARE(stack->outputsText(), QByteArray("Outputs:\n  PhotosName: photos\n"));
        const QByteArray health = m_engine->services()->healthJson();
        QVERIFY2(health.contains("\"template\""), health.constData());
    }

    void reloadAppliesTheDifference()
    {
        // An object in scratch: CloudFormation does not delete a bucket that is not empty.
        S3StagedBody body;
        body.data = "x";
        body.size = 1;
        body.md5 = Digest::hash(Digest::Algorithm::Md5, body.data);
        body.sha256Hex = Digest::hash(Digest::Algorithm::Sha256, body.data).toHex();
        QVERIFY(m_s3->putObject(QStringLiteral("scratch"), "keep.txt", body, {}));

        QByteArray next = kTemplate;
        next.replace("Timeout: 7", "Timeout: 9");
        const qsizetype at = next.indexOf("  Scratch:");
        next.remove(at, next.indexOf("Outputs:") - at);
        next.replace("Outputs:",
            "  Logs:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: "
            "logs\nOutputs:");
        QVERIFY(writeFile(m_project->filePath(QStringLiteral("template.yaml")), next));
        auto changes = m_engine->stack()->reload();
        QVERIFY2(changes, qPrintable(changes ? QString() : changes.error().message));
        QVERIFY2(changes->contains(QStringLiteral("function Thumbs updated")),
            qPrintable(changes->join(u'|')));
        QVERIFY2(changes->contains(QStringLiteral("bucket Logs added")),
            qPrintable(changes->join(u'|')));
        QVERIFY2(std::any_of(changes->begin(), changes->end(),
                     [](const QString &c) {
                         return c.startsWith(QStringLiteral("bucket Scratch kept"));
                     }),
            qPrintable(changes->join(u'|')));
        QCOMPARE(m_engine->functionRunner()->function(QStringLiteral("thumbs"))->timeoutSeconds, 9);
        QCOMPARE(bucketNames(m_s3),
            (QStringList {
                QStringLiteral("logs"), QStringLiteral("photos"), QStringLiteral("scratch")}));
    }

    void brokenTemplateLeavesTheStackRunning()
    {
        QSignalSpy failed(m_engine->stack(), &StackApplier::reloadFailed);
        QVERIFY(writeFile(
            m_project->filePath(QStringLiteral("template.yaml")), "Resources: [unclosed"));
        auto changes = m_engine->stack()->reload();
        QVERIFY(!changes);
        QVERIFY(!m_engine->stack()->lastError().isEmpty());
        QCOMPARE(
            bucketNames(m_s3), (QStringList {QStringLiteral("photos"), QStringLiteral("scratch")}));
        QVERIFY(m_engine->functionRunner()->function(QStringLiteral("thumbs")));
    }

    void removedResourcesGoOnReload()
    {
        QByteArray next = kTemplate;
        const qsizetype from = next.indexOf("  Thumbs:");
        next.remove(from, next.indexOf("  Photos:") - from);
        QVERIFY(writeFile(m_project->filePath(QStringLiteral("template.yaml")), next));
        auto changes = m_engine->stack()->reload();
        QVERIFY2(changes, qPrintable(changes ? QString() : changes.error().message));
        QVERIFY2(changes->contains(QStringLiteral("function Thumbs removed")),
            qPrintable(changes->join(u'|')));
        QVERIFY(!m_engine->functionRunner()->function(QStringLiteral("thumbs")));
        auto notification
            = m_s3->bucketDocument(QStringLiteral("photos"), S3Store::BucketDocument::Notification);
        QVERIFY(!notification || !notification->contains("function:thumbs"));
    }

private:
    std::unique_ptr<QTemporaryDir> m_project;
    std::unique_ptr<Engine> m_engine;
    S3Store *m_s3 = nullptr;
};

QTEST_GUILESS_MAIN(TestStackApplier)
#include "tst_stackapplier.moc"
