#include "ide/webconsole.h"

#include "base/json.h"

#include <QFile>

static void initIdeWebResources()
{
    Q_INIT_RESOURCE(ideweb);
}

namespace tarmac {

WebConsole::WebConsole(std::function<int()> idePort)
    : m_idePort(std::move(idePort))
{
    initIdeWebResources();
}

void WebConsole::handle(HttpRequest &&request, HttpResponder responder)
{
    const QByteArray path = request.decodedPath().mid(qsizetype(qstrlen(prefix)));
    HttpResponse r;
    if (request.method != "GET" && request.method != "HEAD") {
        r = HttpResponse::text(405, "GET only\n");
    } else if (path.isEmpty()) {
        r.status = 302;
        r.headers.set("Location", QByteArray(prefix) + '/');
    } else if (path == "/config.json") {
        r = HttpResponse::json(200, toJsonBytes(Json {{"idePort", m_idePort()}}));
    } else {
        const QByteArray name = path == "/" ? QByteArray("index.html") : path.mid(1);
        static const QList<std::pair<QByteArray, QByteArray>> types
            = {{"index.html", "text/html; charset=utf-8"},
                {"console.js", "text/javascript; charset=utf-8"},
                {"console.css", "text/css; charset=utf-8"}};
        QByteArray type;
        for (const auto &[file, t] : types) {
            if (file == name)
                type = t;
        }
        // $TARMAC_IDE_WEB_DIR: the page's files from a folder, to work on them without a build.
        static const QString dir = qEnvironmentVariable("TARMAC_IDE_WEB_DIR");
        QFile file((dir.isEmpty() ? QStringLiteral(":/tarmac/ide/web") : dir) + u'/'
            + QString::fromLatin1(name));
        if (type.isEmpty() || !file.open(QIODevice::ReadOnly))
            r = HttpResponse::text(404, "no such page\n");
        else
            r = HttpResponse::text(200, file.readAll(), type);
    }
    r.headers.set("Cache-Control", "no-cache");
    r.headers.set("X-Content-Type-Options", "nosniff");
    r.headers.set("X-Frame-Options", "DENY");
    r.service = QStringLiteral("tarmac");
    r.operation = QStringLiteral("IdeConsole");
    responder.send(std::move(r));
}

} // namespace tarmac
