#include "ui/zoomstate.h"

#include <QSignalSpy>
#include <QTest>

using namespace tarmac;
using timeline::TimeWindow;

namespace {

constexpr qint64 kSecond = 1'000'000'000;
constexpr qint64 kT0 = 1'700'000'000 * kSecond;

} // namespace

class TestZoomState : public QObject
{
    Q_OBJECT
private slots:
    void firstSessionShowsItsEndAndFollows()
    {
        ZoomState z;
        QSignalSpy window(&z, &ZoomState::windowChanged);
        QVERIFY(z.followLive());
        z.setSession({kT0, kT0 + kSecond});
        QCOMPARE(window.size(), 1);
        QVERIFY(z.window().isValid());
        QVERIFY(z.window().contains(kT0 + kSecond));
        // Growing while following: the window slides with the live end, same duration.
        const qint64 duration = z.window().duration();
        z.setSession({kT0, kT0 + 20 * kSecond});
        QCOMPARE(z.window().duration(), duration);
        QVERIFY(z.window().contains(kT0 + 20 * kSecond));
        QVERIFY(z.window().end > kT0 + 20 * kSecond); // a little room after the newest event
    }

    void panningStopsFollowingAndGrowthNoLongerMovesTheWindow()
    {
        ZoomState z;
        z.setSession({kT0, kT0 + 60 * kSecond});
        QSignalSpy follow(&z, &ZoomState::followLiveChanged);
        z.pan(-5 * kSecond);
        QCOMPARE(follow.size(), 1);
        QCOMPARE(follow.first().first().toBool(), false);
        const TimeWindow w = z.window();
        z.setSession({kT0, kT0 + 120 * kSecond});
        QCOMPARE(z.window(), w);
        // Turning it back on jumps to the live end.
        z.setFollowLive(true);
        QVERIFY(z.window().contains(kT0 + 120 * kSecond));
    }

    void zoomWhileFollowingStaysAtTheLiveEdge()
    {
        ZoomState z;
        z.setSession({kT0, kT0 + 60 * kSecond});
        const qint64 before = z.window().duration();
        z.zoomAround(z.window().start, 0.5); // the anchor is ignored while following
        QVERIFY(z.followLive());
        QCOMPARE(z.window().duration(), before / 2);
        QVERIFY(z.window().contains(kT0 + 60 * kSecond));
    }

    void zoomAroundTheCursorWhenNotFollowing()
    {
        ZoomState z;
        z.setSession({kT0, kT0 + 100 * kSecond});
        z.setWindow({kT0 + 10 * kSecond, kT0 + 30 * kSecond});
        QVERIFY(!z.followLive());
        const qint64 anchor = kT0 + 15 * kSecond; // a quarter in
        z.zoomAround(anchor, 0.5);
        QCOMPARE(z.window(), (TimeWindow {kT0 + 12'500'000'000, kT0 + 22'500'000'000}));
    }

    void historyBackAndForward()
    {
        ZoomState z;
        z.setSession({kT0, kT0 + 100 * kSecond});
        const TimeWindow a = z.window();
        QSignalSpy history(&z, &ZoomState::historyChanged);
        const TimeWindow b {kT0 + 10 * kSecond, kT0 + 20 * kSecond};
        const TimeWindow c {kT0 + 12 * kSecond, kT0 + 14 * kSecond};
        z.setWindow(b);
        z.setWindow(c);
        QVERIFY(z.canGoBack());
        QVERIFY(!z.canGoForward());
        z.back();
        QCOMPARE(z.window(), b);
        QVERIFY(z.canGoForward());
        z.back();
        QCOMPARE(z.window(), a);
        QVERIFY(!z.canGoBack());
        z.forward();
        QCOMPARE(z.window(), b);
        // A new navigation forgets the forward history.
        z.setWindow(c);
        QVERIFY(!z.canGoForward());
        QVERIFY(history.size() >= 5);
    }

    void aGestureIsOneHistoryEntry()
    {
        ZoomState z;
        z.setSession({kT0, kT0 + 100 * kSecond});
        z.setWindow({kT0 + 40 * kSecond, kT0 + 50 * kSecond});
        const TimeWindow start = z.window();
        z.beginGesture();
        for (int i = 1; i <= 10; ++i)
            z.adjustWindow(timeline::panned(start, i * kSecond));
        QCOMPARE(z.window(), timeline::panned(start, 10 * kSecond));
        z.back();
        QCOMPARE(z.window(), start);
    }

    void windowsStayNearTheSession()
    {
        ZoomState z;
        z.setSession({kT0, kT0 + 10 * kSecond});
        z.setWindow({kT0 + 1000 * kSecond, kT0 + 1001 * kSecond});
        // At most half a window past the end.
        QVERIFY(z.window().start <= kT0 + 10 * kSecond);
        // Never zoomed out to more than one and a half sessions.
        z.setWindow({kT0 - 1000 * kSecond, kT0 + 1000 * kSecond});
        QCOMPARE(z.window().duration(), 15 * kSecond);
        // Never narrower than a microsecond.
        z.setWindow({kT0, kT0 + 10});
        QCOMPARE(z.window().duration(), timeline::kMinWindowNs);
    }

    void selection()
    {
        ZoomState z;
        z.setSession({kT0, kT0 + 100 * kSecond});
        QSignalSpy selection(&z, &ZoomState::selectionChanged);
        z.setSelection({kT0 + 5 * kSecond, kT0 + 7 * kSecond});
        z.setSelection({kT0 + 5 * kSecond, kT0 + 7 * kSecond});
        QCOMPARE(selection.size(), 1);
        z.zoomToSelection();
        QCOMPARE(z.window(), (TimeWindow {kT0 + 5 * kSecond, kT0 + 7 * kSecond}));
        z.setSelection({10, 5}); // backwards: no selection
        QVERIFY(!z.selection().isValid());
        QCOMPARE(selection.size(), 2);
    }

    void fitShowsTheWholeSession()
    {
        ZoomState z;
        z.setSession({kT0, kT0 + 100 * kSecond});
        z.setWindow({kT0 + 1 * kSecond, kT0 + 2 * kSecond});
        z.zoomToFit();
        QVERIFY(z.window().start <= kT0);
        QVERIFY(z.window().end >= kT0 + 100 * kSecond);
        z.back();
        QCOMPARE(z.window(), (TimeWindow {kT0 + 1 * kSecond, kT0 + 2 * kSecond}));
    }

    void reset()
    {
        ZoomState z;
        z.setSession({kT0, kT0 + 100 * kSecond});
        z.setWindow({kT0 + 1 * kSecond, kT0 + 2 * kSecond});
        z.reset();
        QVERIFY(!z.session().isValid());
        QVERIFY(!z.window().isValid());
        QVERIFY(z.followLive());
        QVERIFY(!z.canGoBack());
    }
};

QTEST_GUILESS_MAIN(TestZoomState)
#include "tst_zoomstate.moc"
