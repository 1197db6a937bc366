#include "ui/queryrunner.h"

#include <QSemaphore>

namespace tarmac {

QueryRunner::QueryRunner(QObject *parent)
    : QObject(parent)
    , m_latest(std::make_shared<Counters>())
{
    for (auto &c : *m_latest)
        c.store(0);
    m_thread.setObjectName(QStringLiteral("tarmac-ui-queries"));
    m_worker = new QObject;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.start();
}

QueryRunner::~QueryRunner()
{
    for (auto &c : *m_latest)
        ++c;
    // The query object belongs to the worker thread: close it there.
    post([this] { m_query.reset(); });
    m_thread.quit();
    m_thread.wait();
}

void QueryRunner::post(std::function<void()> work)
{
    QMetaObject::invokeMethod(m_worker, std::move(work), Qt::QueuedConnection);
}

void QueryRunner::open(const QString &tracesDbPath)
{
    for (auto &c : *m_latest)
        ++c;
    post([this, tracesDbPath] {
        m_path = tracesDbPath;
        if (m_openedPath != m_path) {
            m_query.reset();
            m_openedPath.clear();
        }
    });
}

TraceQuery *QueryRunner::query()
{
    if (!m_query && !m_path.isEmpty()) {
        // The Tracer creates the file as the engine starts; until then there is nothing to
        // read and the next job tries again.
        if (auto q = TraceQuery::open(m_path)) {
            m_query = std::move(*q);
            m_openedPath = m_path;
        }
    }
    return m_query.get();
}

void QueryRunner::waitForIdle()
{
    QSemaphore done;
    post([&done] { done.release(); });
    done.acquire();
}

} // namespace tarmac
