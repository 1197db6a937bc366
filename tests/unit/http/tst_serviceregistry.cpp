#include "base/json.h"
#include "http/httphandler.h"
#include "http/serviceregistry.h"

#include <QSignalSpy>
#include <QTest>

using namespace tarmac;

namespace {
class NullHandler : public HttpHandler
{
public:
    void handle(HttpRequest &&, HttpResponder responder) override
    {
        responder.send(HttpResponse());
    }
};
} // namespace

class TestServiceRegistry : public QObject
{
    Q_OBJECT
private slots:
    void lifecycleAndHealth()
    {
        ServiceRegistry registry;
        NullHandler handler;
        QSignalSpy changed(&registry, &ServiceRegistry::stateChanged);
        registry.add(QStringLiteral("s3"), &handler);
        registry.add(QStringLiteral("store"));
        QVERIFY(registry.contains(QStringLiteral("s3")));
        // Only a running service gets requests.
        QCOMPARE(registry.handlerFor(QStringLiteral("s3")), nullptr);
        registry.setState(QStringLiteral("s3"), ServiceState::Starting);
        QCOMPARE(registry.handlerFor(QStringLiteral("s3")), nullptr);
        registry.setState(QStringLiteral("s3"), ServiceState::Running);
        QCOMPARE(registry.handlerFor(QStringLiteral("s3")), &handler);
        registry.setState(QStringLiteral("store"), ServiceState::Running);
        const int before = changed.count();
        registry.setState(QStringLiteral("store"), ServiceState::Running); // no change, no signal
        QCOMPARE(changed.count(), before);

        auto health = parseJson(registry.healthJson());
        QVERIFY(health);
        QCOMPARE((*health)["status"].get<std::string>(), std::string("ok"));
        QCOMPARE((*health)["services"]["s3"].get<std::string>(), std::string("running"));
        QCOMPARE((*health)["version"].get<std::string>(), std::string(TARMAC_VERSION));

        registry.setState(QStringLiteral("s3"), ServiceState::Error, QStringLiteral("disk full"));
        health = parseJson(registry.healthJson());
        QCOMPARE((*health)["status"].get<std::string>(), std::string("error"));
        QCOMPARE((*health)["services"]["s3"].get<std::string>(), std::string("error"));
        QCOMPARE(registry.handlerFor(QStringLiteral("s3")), nullptr);
        QCOMPARE(registry.handlerFor(QStringLiteral("nope")), nullptr);
    }
};

QTEST_GUILESS_MAIN(TestServiceRegistry)
#include "tst_serviceregistry.moc"
