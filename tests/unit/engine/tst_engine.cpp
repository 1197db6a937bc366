#include "engine/engine.h"

#include "engine/dispatcher.h"
#include "functions/functionrunner.h"
#include "http/serviceregistry.h"
#include "services/servicemodule.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;

namespace {

Engine::Options options(const QString &stateDir)
{
    Engine::Options o;
    o.stateDir = stateDir;
    o.edgePort = o.idePort = 0;
    o.ports.insert(QStringLiteral("api"), 0);
    o.ioThreads = 1;
    return o;
}

} // namespace

// The engine's start, stop and failure paths: what `tarmac serve`, the desktop app and
// `tarmac invoke` rely on before any request.
class TestEngine : public QObject
{
    Q_OBJECT

private slots:
    void startsEverythingAndStops()
    {
        QTemporaryDir dir;
        Engine engine(options(dir.path()));
        QVERIFY(!engine.dispatcher());
        auto started = engine.start();
        QVERIFY2(started, qPrintable(started ? QString() : started.error().message));
        QVERIFY(engine.isRunning());
        // The engine owns the way events travel, whatever modules run.
        QVERIFY(engine.dispatcher());
        QCOMPARE(engine.deliverySink(), static_cast<DeliverySink *>(engine.dispatcher()));
        QVERIFY(engine.functionRunner());
        QVERIFY(engine.module(QStringLiteral("s3")));
        QVERIFY(engine.module(QStringLiteral("lambda")));
        QVERIFY(!engine.module(QStringLiteral("nope")));
        for (const auto &e : engine.services()->entries())
            QVERIFY2(e.state == ServiceState::Running, qPrintable(e.name));
        QVERIFY(engine.edgeUrl().port() > 0);
        QVERIFY(engine.readyLine().startsWith("tarmac ready edge=http://127.0.0.1:"));
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("tarmac.db"))));
        QCOMPARE(engine.ideToken().size(), 32);

        QSignalSpy stopped(&engine, &Engine::stopped);
        engine.stop();
        QVERIFY(stopped.wait(10'000));
        QVERIFY(!engine.isRunning());
        for (const auto &e : engine.services()->entries())
            QVERIFY2(e.state == ServiceState::Stopped, qPrintable(e.name));
        // Stopped: asynchronous work is refused rather than lost in a queue nobody runs.
        Delivery d;
        d.functionName = QStringLiteral("f");
        QVERIFY(!engine.deliverySink()->submitAsync(d));
    }

    void secondEngineOnOneStateFolderIsRefused()
    {
        QTemporaryDir dir;
        Engine first(options(dir.path()));
        QVERIFY(first.start());
        Engine second(options(dir.path()));
        auto r = second.start();
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QStringLiteral("is in use by another tarmac")),
            qPrintable(r.error().message));
        QVERIFY(!second.dispatcher());
    }

    void takenPortIsAnError()
    {
        QTemporaryDir a, b;
        Engine first(options(a.path()));
        QVERIFY(first.start());
        Engine::Options o = options(b.path());
        o.edgePort = first.edgeUrl().port();
        Engine second(o);
        auto r = second.start();
        QVERIFY(!r);
        QVERIFY2(r.error().message.startsWith(
                     QStringLiteral("cannot listen on 127.0.0.1:%1 (edge port)").arg(o.edgePort)),
            qPrintable(r.error().message));
    }

    void unusableStateFolderIsAnError()
    {
        QTemporaryDir dir;
        QFile file(dir.filePath(QStringLiteral("plain-file")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        Engine engine(options(dir.filePath(QStringLiteral("plain-file/state"))));
        auto r = engine.start();
        QVERIFY(!r);
        QVERIFY2(r.error().message.startsWith(QStringLiteral("cannot create the state folder")),
            qPrintable(r.error().message));
    }

    void ephemeralStateIsRemovedAtExit()
    {
        QString path;
        {
            Engine::Options o = options({});
            o.ephemeral = true;
            Engine engine(o);
            QVERIFY(engine.start());
            path = engine.stateDir();
            QVERIFY(QFile::exists(path + QStringLiteral("/tarmac.db")));
        }
        QVERIFY(!QFile::exists(path));
    }
};

QTEST_GUILESS_MAIN(TestEngine)
#include "tst_engine.moc"
