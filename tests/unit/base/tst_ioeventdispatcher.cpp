// The I/O threads' event dispatcher: Qt's timers, posted events, socket notifiers and quit on
// it, and FdWatch on it and on Qt's own dispatcher.
#include "base/ioeventdispatcher.h"

#include <QElapsedTimer>
#include <QMutex>
#include <QPointer>
#include <QScopeGuard>
#include <QSocketNotifier>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <memory>

#include <sys/socket.h>
#include <unistd.h>

using namespace tarmac;

namespace {

// A thread running an event loop on an IoEventDispatcher (or on Qt's own), and a context
// object living there.
class LoopThread
{
public:
    explicit LoopThread(bool ioDispatcher = true)
    {
        if (ioDispatcher)
            m_thread.setEventDispatcher(new IoEventDispatcher);
        m_context = new QObject;
        m_context->moveToThread(&m_thread);
        QObject::connect(&m_thread, &QThread::finished, m_context, &QObject::deleteLater);
        m_thread.start();
    }
    ~LoopThread()
    {
        m_thread.quit();
        m_thread.wait();
    }
    // Runs `work` on the thread and waits for it.
    template<typename F>
    void run(F work)
    {
        QMetaObject::invokeMethod(m_context, std::move(work), Qt::BlockingQueuedConnection);
    }
    QObject *context() const { return m_context; }
    QThread &thread() { return m_thread; }

private:
    QThread m_thread;
    QObject *m_context;
};

struct SocketPair
{
    int fd[2] = {-1, -1};
    SocketPair() { ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd); }
    ~SocketPair()
    {
        for (int f : fd) {
            if (f >= 0)
                ::close(f);
        }
    }
};

} // namespace

class TestIoEventDispatcher : public QObject
{
    Q_OBJECT
private slots:
    void postedEventsRunAndQuitEndsTheLoop()
    {
        auto loop = std::make_unique<LoopThread>();
        bool onIo = false;
        loop->run([&] { onIo = IoEventDispatcher::current() != nullptr; });
        QVERIFY(onIo);
        std::atomic<int> ran {0};
        for (int i = 0; i < 100; ++i)
            QMetaObject::invokeMethod(
                loop->context(), [&] { ++ran; }, Qt::QueuedConnection);
        QTRY_COMPARE(ran.load(), 100);
        // A deleteLater posted from inside an event runs too.
        QPointer<QObject> doomed;
        loop->run([&] {
            doomed = new QObject;
            doomed->deleteLater();
        });
        QTRY_VERIFY(doomed.isNull());
        QElapsedTimer t;
        t.start();
        loop.reset(); // quit() must wake the wait
        QVERIFY2(t.elapsed() < 2000, "quit() did not end the loop");
        QVERIFY(IoEventDispatcher::current() == nullptr); // the test's own thread
    }

    void timersFireWhenDueNeverEarly()
    {
        LoopThread loop;
        QMutex mutex;
        QList<qint64> singleShot, repeating;
        QElapsedTimer clock;
        QTimer *repeat = nullptr;
        int remaining = -2;
        loop.run([&] {
            clock.start();
            for (Qt::TimerType type : {Qt::PreciseTimer, Qt::CoarseTimer, Qt::VeryCoarseTimer}) {
                QTimer::singleShot(60, type, loop.context(), [&] {
                    QMutexLocker lock(&mutex);
                    singleShot.append(clock.elapsed());
                });
            }
            repeat = new QTimer(loop.context());
            repeat->setInterval(10);
            QObject::connect(repeat, &QTimer::timeout, loop.context(), [&] {
                QMutexLocker lock(&mutex);
                repeating.append(clock.elapsed());
                if (repeating.size() == 5)
                    repeat->stop();
            });
            repeat->start();
            auto *probe = new QTimer(loop.context());
            probe->start(5000);
            remaining = probe->remainingTime();
        });
        QVERIFY2(remaining > 4000 && remaining <= 5000, qPrintable(QString::number(remaining)));
        QTRY_COMPARE_WITH_TIMEOUT(
            [&] {
                QMutexLocker lock(&mutex);
                return singleShot.size();
            }(),
            3, 3000);
        QTest::qWait(100);
        QMutexLocker lock(&mutex);
        for (qint64 at : singleShot)
            QVERIFY2(at >= 60, qPrintable(QStringLiteral("fired at %1 ms").arg(at)));
        QCOMPARE(repeating.size(), 5); // stopped from its own handler
        for (int i = 0; i < repeating.size(); ++i)
            QVERIFY(repeating[i] >= 10 * (i + 1));
    }

    // The wait has no timeout of its own: the timer descriptor must follow the earliest timer
    // as timers start, move and stop while the thread sleeps.
    void theEarliestTimerWakesTheSleepingLoop()
    {
        LoopThread loop;
        QElapsedTimer clock;
        std::atomic<qint64> movedFiredAt {-1}, laterFiredAt {-1};
        QTimer *moved = nullptr, *first = nullptr, *later = nullptr;
        loop.run([&] {
            clock.start();
            moved = new QTimer(loop.context());
            moved->setSingleShot(true);
            QObject::connect(moved, &QTimer::timeout, [&] { movedFiredAt = clock.elapsed(); });
            moved->start(5000);
            first = new QTimer(loop.context());
            first->setSingleShot(true);
            first->start(1000);
            later = new QTimer(loop.context());
            later->setSingleShot(true);
            QObject::connect(later, &QTimer::timeout, [&] { laterFiredAt = clock.elapsed(); });
            later->start(1500);
        });
        QTest::qWait(30);
        loop.run([&] {
            moved->start(50); // earlier than anything armed: the descriptor must move
            first->stop(); // the next one after it is later's
        });
        QTRY_VERIFY_WITH_TIMEOUT(movedFiredAt.load() >= 0, 2000);
        QVERIFY2(movedFiredAt.load() >= 80 && movedFiredAt.load() < 600,
            qPrintable(QString::number(movedFiredAt.load())));
        QTRY_VERIFY_WITH_TIMEOUT(laterFiredAt.load() >= 0, 4000);
        QVERIFY2(laterFiredAt.load() >= 1500 && laterFiredAt.load() < 2500,
            qPrintable(QString::number(laterFiredAt.load())));
    }

    void aTimerStoppedByAnotherDoesNotFire()
    {
        LoopThread loop;
        std::atomic<bool> victimFired {false};
        std::atomic<bool> killerFired {false};
        loop.run([&] {
            auto *victim = new QTimer(loop.context());
            auto *killer = new QTimer(loop.context());
            victim->setSingleShot(true);
            killer->setSingleShot(true);
            QObject::connect(victim, &QTimer::timeout, [&] { victimFired = true; });
            QObject::connect(killer, &QTimer::timeout, [&, victim] {
                killerFired = true;
                delete victim;
            });
            // Both due in the same pass: the killer was registered later but is due first.
            victim->start(30);
            killer->start(20);
            QThread::msleep(50);
        });
        QTRY_VERIFY(killerFired.load());
        QTest::qWait(50);
        QVERIFY(!victimFired.load());
    }

    void zeroTimersDoNotStarveOtherWork()
    {
        LoopThread loop;
        std::atomic<int> spins {0};
        std::atomic<bool> posted {false};
        QTimer *zero = nullptr;
        loop.run([&] {
            zero = new QTimer(loop.context());
            zero->setInterval(0);
            QObject::connect(zero, &QTimer::timeout, [&] { ++spins; });
            zero->start();
        });
        QMetaObject::invokeMethod(
            loop.context(), [&] { posted = true; }, Qt::QueuedConnection);
        QTRY_VERIFY(posted.load());
        QTRY_VERIFY(spins.load() > 10);
        loop.run([&] { zero->stop(); });
    }

    void fdWatchReadsWritesAndStops_data()
    {
        QTest::addColumn<bool>("ioDispatcher");
        QTest::newRow("IoEventDispatcher") << true;
        QTest::newRow("Qt's dispatcher") << false;
    }
    void fdWatchReadsWritesAndStops()
    {
        QFETCH(bool, ioDispatcher);
        LoopThread loop(ioDispatcher);
        SocketPair pair;
        QVERIFY(pair.fd[0] >= 0);
        std::atomic<int> reads {0}, writes {0};
        QByteArray received;
        std::unique_ptr<FdWatch> watch;
        loop.run([&] {
            QCOMPARE(IoEventDispatcher::current() != nullptr, ioDispatcher);
            watch = std::make_unique<FdWatch>(
                pair.fd[0], loop.context(),
                [&] {
                    char buffer[64];
                    const ssize_t n = ::read(pair.fd[0], buffer, sizeof buffer);
                    if (n > 0)
                        received.append(buffer, n);
                    ++reads;
                },
                [&] {
                    ++writes;
                    watch->setWriteEnabled(false);
                });
            watch->setReadEnabled(true);
        });
        QTest::qWait(30);
        QCOMPARE(reads.load(), 0); // nothing to read yet
        QCOMPARE(::write(pair.fd[1], "hello", 5), 5);
        QTRY_COMPARE(reads.load(), 1);
        loop.run([&] { QCOMPARE(received, QByteArray("hello")); });

        // Writable at once; the callback turns it off, so it is called once.
        loop.run([&] { watch->setWriteEnabled(true); });
        QTRY_COMPARE(writes.load(), 1);
        QTest::qWait(30);
        QCOMPARE(writes.load(), 1);

        // Reading off: data waits, unreported, until reading is on again.
        loop.run([&] { watch->setReadEnabled(false); });
        QCOMPARE(::write(pair.fd[1], "more", 4), 4);
        QTest::qWait(30);
        QCOMPARE(reads.load(), 1);
        loop.run([&] { watch->setReadEnabled(true); });
        QTRY_COMPARE(reads.load(), 2);

        // The peer hangs up: reported to the reader, who reads the end.
        ::close(pair.fd[1]);
        pair.fd[1] = -1;
        QTRY_VERIFY(reads.load() >= 3);
        loop.run([&] {
            watch->stop();
            QVERIFY(!watch->isReadEnabled());
            watch->setReadEnabled(true); // ignored once stopped
            QVERIFY(!watch->isReadEnabled());
        });
        const int after = reads.load();
        QTest::qWait(30);
        QCOMPARE(reads.load(), after);
        loop.run([&] { watch.reset(); });
    }

    // Two descriptors ready in one wait; the first one's callback closes the other and opens
    // a new descriptor with its number. The old readiness must not reach the newcomer.
    void readinessOfAClosedDescriptorIsNotDelivered()
    {
        LoopThread loop;
        SocketPair a, b;
        std::unique_ptr<FdWatch> watches[2];
        std::unique_ptr<SocketPair> newcomer;
        std::unique_ptr<FdWatch> newcomerWatch;
        std::atomic<int> newcomerCalls {0};
        std::atomic<bool> replaced {false};
        std::atomic<bool> reused {false};
        std::atomic<bool> placed {false}; // the callback has finished: `reused` is known
        SocketPair *pairs[2] = {&a, &b};
        // The watches belong to the loop's thread: they go there, whichever way the test ends
        // (a skip or a failed check returns early, and the loop may still be dispatching).
        const auto dropWatches = qScopeGuard([&] {
            loop.run([&] {
                for (auto &w : watches)
                    w.reset();
                newcomerWatch.reset();
            });
        });
        loop.run([&] {
            for (int i = 0; i < 2; ++i) {
                watches[i] = std::make_unique<FdWatch>(
                    pairs[i]->fd[0], loop.context(),
                    [&, i] {
                        if (replaced.exchange(true))
                            return;
                        SocketPair &other = *pairs[1 - i];
                        const int number = other.fd[0];
                        watches[1 - i]->stop();
                        ::close(other.fd[0]);
                        other.fd[0] = -1;
                        newcomer = std::make_unique<SocketPair>();
                        reused = newcomer->fd[0] == number;
                        newcomerWatch = std::make_unique<FdWatch>(
                            newcomer->fd[0], loop.context(), [&] { ++newcomerCalls; }, [] {});
                        newcomerWatch->setReadEnabled(true);
                        placed = true;
                    },
                    [] {});
            }
            // Both readable before the loop waits again: one epoll_wait reports both.
            QCOMPARE(::write(a.fd[1], "x", 1), 1);
            QCOMPARE(::write(b.fd[1], "x", 1), 1);
            watches[0]->setReadEnabled(true);
            watches[1]->setReadEnabled(true);
        });
        QTRY_VERIFY(placed.load());
        if (!reused.load())
            QSKIP("the new socket did not take the closed descriptor's number");
        QTest::qWait(50);
        QCOMPARE(newcomerCalls.load(), 0);
    }

    void socketNotifiersWorkOnIt()
    {
        LoopThread loop;
        SocketPair pair;
        std::atomic<int> activations {0};
        QSocketNotifier *notifier = nullptr;
        loop.run([&] {
            notifier = new QSocketNotifier(pair.fd[0], QSocketNotifier::Read, loop.context());
            QObject::connect(notifier, &QSocketNotifier::activated, [&] {
                char c;
                while (::read(pair.fd[0], &c, 1) == 1) { }
                ++activations;
            });
        });
        QCOMPARE(::write(pair.fd[1], "x", 1), 1);
        QTRY_COMPARE(activations.load(), 1);
        loop.run([&] { notifier->setEnabled(false); });
        QCOMPARE(::write(pair.fd[1], "y", 1), 1);
        QTest::qWait(30);
        QCOMPARE(activations.load(), 1);
        loop.run([&] { notifier->setEnabled(true); });
        QTRY_COMPARE(activations.load(), 2);
        loop.run([&] { delete notifier; });
    }
};

QTEST_GUILESS_MAIN(TestIoEventDispatcher)
#include "tst_ioeventdispatcher.moc"
