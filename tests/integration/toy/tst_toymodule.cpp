// The service seam, proven by a service the build does not have: tests/toy's ToyModule plugs
// a resource type, a SAM event type, a catalog kind and a sample event into the engine with
// no line of engine, template or ui code naming it.
#include "engine/engine.h"
#include "engine/stackapplier.h"
#include "engine/stackcommands.h"
#include "http/serviceregistry.h"
#include "toymodule.h"

#include <QFile>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <future>

using namespace tarmac;

namespace {

const char kTemplate[] = R"(AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Widget:
    Type: Tarmac::Toy::Thing
    Properties:
      ThingName: widget
      Colour: red
  Poked:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: poked
      Runtime: python3.11
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return event
      Events:
        Poke:
          Type: Toy
          Properties:
            Thing: !Ref Widget
Outputs:
  WidgetArn:
    Value: !GetAtt Widget.Arn
)";

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

// GET /_tarmac/health on the edge port, as a client sees it; on a thread of its own, since
// the server accepts on this thread's event loop.
QByteArray fetchHealthBlocking(const QUrl &edge)
{
    QTcpSocket socket;
    socket.connectToHost(edge.host(), quint16(edge.port()));
    if (!socket.waitForConnected(5000))
        return {};
    socket.write("GET /_tarmac/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    QByteArray response;
    while (socket.state() == QAbstractSocket::ConnectedState || socket.bytesAvailable()) {
        if (!socket.waitForReadyRead(5000))
            break;
        response += socket.readAll();
    }
    return response.mid(response.indexOf("\r\n\r\n") + 4);
}

QByteArray fetchHealth(const QUrl &edge)
{
    auto body = std::async(std::launch::async, fetchHealthBlocking, edge);
    (void)QTest::qWaitFor(
        [&] { return body.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }, 20000);
    return body.get();
}

ToyModule *toyOf(Engine &engine)
{
    return qobject_cast<ToyModule *>(engine.module(QStringLiteral("toy")));
}

} // namespace

class TestToyModule : public QObject
{
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_project;

    Engine::Options options() const
    {
        Engine::Options o;
        o.projectPath = m_project->path();
        o.stateDir = m_project->filePath(QStringLiteral(".tarmac"));
        o.edgePort = o.idePort = 0;
        o.ports.insert(QStringLiteral("api"), 0);
        o.ioThreads = 1;
        return o;
    }

private slots:
    void initTestCase()
    {
        addServiceModuleFactory([] { return std::make_unique<ToyModule>(); });
    }

    void init()
    {
        m_project = std::make_unique<QTemporaryDir>();
        QVERIFY(writeFile(m_project->filePath(QStringLiteral("template.yaml")), kTemplate));
    }

    void templateCatalogHealthAndSamples()
    {
        Engine engine(options());
        auto started = engine.start();
        QVERIFY2(started, qPrintable(started ? QString() : started.error().message));
        ToyModule *toy = toyOf(engine);
        QVERIFY(toy);

        // The resource type: created from its resolved properties; Ref and GetAtt are the toy's.
        QVERIFY(toy->things().contains(QStringLiteral("widget")));
        QCOMPARE(toy->things().value(QStringLiteral("widget")).colour, QStringLiteral("red"));
        QCOMPARE(engine.stack()->outputsText(),
            QByteArray("Outputs:\n  WidgetArn: arn:aws:toy:us-east-1:000000000000:thing/widget\n"));
        // The event type: the function's Toy event became a subscription naming its ARN,
        // created after the thing and the function it refers to.
        QCOMPARE(toy->things()
                     .value(QStringLiteral("widget"))
                     .subscriptions.value(QStringLiteral("PokedPokeSubscription")),
            QStringLiteral("arn:aws:lambda:us-east-1:000000000000:function:poked"));
        QCOMPARE(toy->log(),
            (QStringList {
                QStringLiteral("put Widget"), QStringLiteral("put PokedPokeSubscription")}));
        // Both are emulated: the fidelity report does not mention them.
        for (const FidelityItem &item : engine.stack()->stack()->report.items)
            QVERIFY2(!item.subject.contains(QLatin1String("Toy")), qPrintable(item.subject));

        // The catalog: the desktop's tree and the IDE API read this.
        QCOMPARE(engine.catalogKinds().last().id, QStringLiteral("toything"));
        QCOMPARE(engine.catalogModule(QStringLiteral("toything")), toy);
        CatalogEntry widget;
        for (const CatalogEntry &e : engine.catalog()) {
            if (e.kind == QLatin1String("toything"))
                widget = e;
        }
        QCOMPARE(widget.name, QStringLiteral("widget"));
        QCOMPARE(widget.status, QStringLiteral("red · 1 subscriber(s)"));
        QCOMPARE(widget.actions, (QStringList {QStringLiteral("browse"), QStringLiteral("paint")}));
        auto page
            = toy->browse(QStringLiteral("toything"), QStringLiteral("widget"), QString(), 10);
        QVERIFY(page);
        QCOMPARE(page->items.size(), 1);
        QCOMPARE(page->items.first().key, QStringLiteral("PokedPokeSubscription"));

        // /_tarmac/health over HTTP lists the service, running, and the stack's resources.
        const QByteArray health = fetchHealth(engine.edgeUrl());
        const auto json = parseJson(health);
        QVERIFY2(json, health.constData());
        const Json services = json->value("services", Json::object());
        QVERIFY2(
            services.is_object() && services.value("toy", "") == "running", health.constData());
        QVERIFY2(health.contains("Tarmac::Toy::Thing"), health.constData());

        // The sample event, for `tarmac events generate toy-poke`.
        QVERIFY(sampleEventSources().contains(QStringLiteral("toy-poke")));
        for (const SampleEvent &e : sampleEvents()) {
            if (e.source != QLatin1String("toy-poke"))
                continue;
            auto event = e.generate({{QStringLiteral("thing"), QStringLiteral("gizmo")}});
            QVERIFY(event);
            QVERIFY(event->contains("\"thing\":\"gizmo\""));
        }

        // A reload without the thing and the event deletes both, the subscription first.
        QByteArray next = kTemplate;
        next.truncate(next.indexOf("  Widget:"));
        next += "  Other:\n    Type: Tarmac::Toy::Thing\n    Properties:\n      Colour: blue\n";
        QVERIFY(writeFile(m_project->filePath(QStringLiteral("template.yaml")), next));
        auto changes = engine.stack()->reload();
        QVERIFY2(changes, qPrintable(changes ? QString() : changes.error().message));
        QVERIFY(!toy->things().contains(QStringLiteral("widget")));
        QCOMPARE(toy->things().size(), 1); // Other, with a name CloudFormation would generate
        QVERIFY(toy->log().indexOf(QStringLiteral("delete PokedPokeSubscription"))
            < toy->log().indexOf(QStringLiteral("delete Widget")));
        QVERIFY2(changes->contains(QStringLiteral("Other added")), qPrintable(changes->join(u',')));
    }

    void removedWhileStoppedIsDeletedAtTheNextStart()
    {
        {
            Engine first(options());
            QVERIFY(first.start());
        }
        QByteArray next = kTemplate;
        next.truncate(next.indexOf("  Widget:"));
        next += "  Other:\n    Type: Tarmac::Toy::Thing\n";
        QVERIFY(writeFile(m_project->filePath(QStringLiteral("template.yaml")), next));
        Engine second(options());
        QVERIFY(second.start());
        QVERIFY2(toyOf(second)->log().contains(QStringLiteral("delete Widget")),
            qPrintable(toyOf(second)->log().join(u',')));
    }

    void badEventIsTheTemplatesError()
    {
        QByteArray bad = kTemplate;
        bad.replace("            Thing: !Ref Widget\n", "            Nothing: 1\n");
        QVERIFY(writeFile(m_project->filePath(QStringLiteral("template.yaml")), bad));
        Engine engine(options());
        auto started = engine.start();
        QVERIFY(!started);
        QVERIFY2(started.error().message.contains(
                     QLatin1String("Event with id [Poke] is invalid. Toy events need a Thing.")),
            qPrintable(started.error().message));
        QVERIFY2(started.error().message.contains(QLatin1String("template.yaml:")),
            qPrintable(started.error().message));
    }
};

QTEST_GUILESS_MAIN(TestToyModule)
#include "tst_toymodule.moc"
