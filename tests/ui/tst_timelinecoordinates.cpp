#include "ui/format.h"
#include "ui/sessionhistogram.h"
#include "ui/timelinecoordinates.h"

#include <QTest>

#include <vector>

using namespace tarmac;
using namespace tarmac::timeline;

class TestTimelineCoordinates : public QObject
{
    Q_OBJECT
private slots:
    void timeToX_data()
    {
        QTest::addColumn<qint64>("t");
        QTest::addColumn<qint64>("start");
        QTest::addColumn<qint64>("end");
        QTest::addColumn<int>("width");
        QTest::addColumn<double>("x");
        QTest::newRow("left edge") << qint64(100) << qint64(100) << qint64(200) << 1000 << 0.0;
        QTest::newRow("right edge") << qint64(200) << qint64(100) << qint64(200) << 1000 << 1000.0;
        QTest::newRow("middle") << qint64(150) << qint64(100) << qint64(200) << 1000 << 500.0;
        QTest::newRow("before") << qint64(50) << qint64(100) << qint64(200) << 1000 << -500.0;
        QTest::newRow("sub-pixel") << qint64(1) << qint64(0) << qint64(1000) << 100 << 0.1;
        // Epoch nanoseconds: differences are taken in qint64 before becoming double, so
        // a nanosecond still moves the pixel at 2023's timestamps.
        QTest::newRow("epoch ns") << qint64(1'700'000'000'000'000'001)
                                  << qint64(1'700'000'000'000'000'000)
                                  << qint64(1'700'000'000'000'000'010) << 10 << 1.0;
        QTest::newRow("empty window") << qint64(5) << qint64(5) << qint64(5) << 100 << 0.0;
    }
    void timeToX()
    {
        QFETCH(qint64, t);
        QFETCH(qint64, start);
        QFETCH(qint64, end);
        QFETCH(int, width);
        QFETCH(double, x);
        QCOMPARE(timeline::timeToX(t, {start, end}, width), x);
    }

    void xToTimeRoundTrips_data()
    {
        QTest::addColumn<qint64>("start");
        QTest::addColumn<qint64>("end");
        QTest::addColumn<int>("width");
        QTest::newRow("ms window")
            << qint64(1'700'000'000'000'000'000) << qint64(1'700'000'000'001'000'000) << 1200;
        QTest::newRow("day window") << qint64(0) << qint64(86'400'000'000'000) << 1920;
        QTest::newRow("µs window") << qint64(-500) << qint64(500) << 800;
    }
    void xToTimeRoundTrips()
    {
        QFETCH(qint64, start);
        QFETCH(qint64, end);
        QFETCH(int, width);
        const TimeWindow w {start, end};
        for (int x : {0, 1, width / 3, width / 2, width - 1, width}) {
            const qint64 t = xToTime(x, w, width);
            QVERIFY2(
                std::abs(timeline::timeToX(t, w, width) - x) < 0.5, qPrintable(QString::number(x)));
        }
        QCOMPARE(xToTime(0, w, width), start);
        QCOMPARE(xToTime(width, w, width), end);
    }

    void zoomKeepsTheAnchorInPlace_data()
    {
        QTest::addColumn<qint64>("start");
        QTest::addColumn<qint64>("end");
        QTest::addColumn<qint64>("anchor");
        QTest::addColumn<double>("factor");
        QTest::addColumn<qint64>("duration");
        QTest::newRow("in at centre")
            << qint64(0) << qint64(1'000'000) << qint64(500'000) << 0.5 << qint64(500'000);
        QTest::newRow("in at left")
            << qint64(0) << qint64(1'000'000) << qint64(0) << 0.5 << qint64(500'000);
        QTest::newRow("out at right")
            << qint64(0) << qint64(1'000'000) << qint64(1'000'000) << 2.0 << qint64(2'000'000);
        QTest::newRow("in off-centre")
            << qint64(1000) << qint64(11000) << qint64(3500) << 0.8 << qint64(8000);
        QTest::newRow("floor at 1 µs")
            << qint64(0) << qint64(2000) << qint64(1000) << 0.01 << kMinWindowNs;
        QTest::newRow("ceiling at a week")
            << qint64(0) << kMaxWindowNs << qint64(0) << 10.0 << kMaxWindowNs;
    }
    void zoomKeepsTheAnchorInPlace()
    {
        QFETCH(qint64, start);
        QFETCH(qint64, end);
        QFETCH(qint64, anchor);
        QFETCH(double, factor);
        QFETCH(qint64, duration);
        const TimeWindow before {start, end};
        const TimeWindow after = zoomedAround(before, anchor, factor);
        QCOMPARE(after.duration(), duration);
        const double fractionBefore = double(anchor - before.start) / double(before.duration());
        const double fractionAfter = double(anchor - after.start) / double(after.duration());
        QVERIFY2(std::abs(fractionBefore - fractionAfter) < 1e-6,
            qPrintable(QStringLiteral("%1 vs %2").arg(fractionBefore).arg(fractionAfter)));
    }

    void zoomRefusesNonsense()
    {
        const TimeWindow w {0, 1000};
        QCOMPARE(zoomedAround(w, 500, 0), w);
        QCOMPARE(zoomedAround(w, 500, -1), w);
        QCOMPARE(zoomedAround(TimeWindow {}, 0, 0.5), TimeWindow {});
    }

    void clamp_data()
    {
        QTest::addColumn<TimeWindow>("window");
        QTest::addColumn<TimeWindow>("bounds");
        QTest::addColumn<TimeWindow>("expected");
        QTest::newRow("inside") << TimeWindow {10, 20} << TimeWindow {0, 100}
                                << TimeWindow {10, 20};
        QTest::newRow("left") << TimeWindow {-10, 10} << TimeWindow {0, 100} << TimeWindow {0, 20};
        QTest::newRow("right") << TimeWindow {90, 120} << TimeWindow {0, 100}
                               << TimeWindow {70, 100};
        QTest::newRow("too long: centred")
            << TimeWindow {0, 200} << TimeWindow {0, 100} << TimeWindow {-50, 150};
        QTest::newRow("no bounds") << TimeWindow {5, 6} << TimeWindow {} << TimeWindow {5, 6};
    }
    void clamp()
    {
        QFETCH(TimeWindow, window);
        QFETCH(TimeWindow, bounds);
        QFETCH(TimeWindow, expected);
        QCOMPARE(clampedTo(window, bounds), expected);
    }

    void ticks_data()
    {
        QTest::addColumn<qint64>("duration");
        QTest::addColumn<int>("width");
        QTest::addColumn<int>("spacing");
        QTest::addColumn<qint64>("step");
        QTest::addColumn<int>("digits");
        QTest::newRow("10 s over 1000 px")
            << qint64(10'000'000'000) << 1000 << 100 << qint64(1'000'000'000) << 0;
        QTest::newRow("10 s over 500 px")
            << qint64(10'000'000'000) << 500 << 100 << qint64(2'000'000'000) << 0;
        QTest::newRow("1 s over 1000 px")
            << qint64(1'000'000'000) << 1000 << 120 << qint64(200'000'000) << 1;
        QTest::newRow("3 ms") << qint64(3'000'000) << 1000 << 100 << qint64(500'000) << 4;
        QTest::newRow("1 µs") << qint64(1'000) << 1000 << 100 << qint64(100) << 7;
        QTest::newRow("sub-ns per pixel") << qint64(100) << 1000 << 100 << qint64(10) << 8;
        QTest::newRow("a day") << qint64(86'400'000'000'000) << 1000 << 100
                               << qint64(10'000'000'000'000) << 0;
        QTest::newRow("no width") << qint64(100) << 0 << 100 << qint64(1) << 9;
    }
    void ticks()
    {
        QFETCH(qint64, duration);
        QFETCH(int, width);
        QFETCH(int, spacing);
        QFETCH(qint64, step);
        QFETCH(int, digits);
        QCOMPARE(tickStep(duration, width, spacing), step);
        QCOMPARE(fractionDigits(step), digits);
        if (width > 0)
            QVERIFY(double(step) * width / double(duration) >= spacing - 1e-9);
    }

    void firstTick_data()
    {
        QTest::addColumn<qint64>("t");
        QTest::addColumn<qint64>("step");
        QTest::addColumn<qint64>("first");
        QTest::newRow("on a tick") << qint64(100) << qint64(50) << qint64(100);
        QTest::newRow("between") << qint64(101) << qint64(50) << qint64(150);
        QTest::newRow("negative between") << qint64(-101) << qint64(50) << qint64(-100);
        QTest::newRow("negative on") << qint64(-100) << qint64(50) << qint64(-100);
        QTest::newRow("zero") << qint64(0) << qint64(7) << qint64(0);
    }
    void firstTick()
    {
        QFETCH(qint64, t);
        QFETCH(qint64, step);
        QFETCH(qint64, first);
        QCOMPARE(timeline::firstTick(t, step), first);
    }

    void visibleRange_data()
    {
        // Items by start: [0,100] [10,20] [30,40] [50,60] [200,210]; running max of ends.
        QTest::addColumn<qint64>("from");
        QTest::addColumn<qint64>("to");
        QTest::addColumn<IndexRange>("range");
        QTest::newRow("all") << qint64(0) << qint64(300) << IndexRange {0, 5};
        QTest::newRow("long span covers the window")
            << qint64(70) << qint64(80) << IndexRange {0, 4};
        QTest::newRow("after the long span") << qint64(150) << qint64(300) << IndexRange {4, 5};
        QTest::newRow("nothing starts yet") << qint64(-50) << qint64(-1) << IndexRange {0, 0};
        QTest::newRow("past the end") << qint64(211) << qint64(400) << IndexRange {5, 5};
        QTest::newRow("touching a start") << qint64(200) << qint64(200) << IndexRange {4, 5};
    }
    void visibleRange()
    {
        QFETCH(qint64, from);
        QFETCH(qint64, to);
        QFETCH(IndexRange, range);
        const std::vector<qint64> starts {0, 10, 30, 50, 200};
        const std::vector<qint64> maxEnds {100, 100, 100, 100, 210};
        QCOMPARE(timeline::visibleRange(starts, maxEnds, from, to), range);
    }

    void pixelSpans_data()
    {
        QTest::addColumn<qint64>("start");
        QTest::addColumn<qint64>("end");
        QTest::addColumn<PixelSpan>("span");
        // Window [0, 1000] over 100 px: 10 ns a pixel.
        QTest::newRow("wide") << qint64(100) << qint64(300) << PixelSpan {10, 30};
        QTest::newRow("sub-pixel is one pixel") << qint64(101) << qint64(102) << PixelSpan {10, 11};
        QTest::newRow("zero length") << qint64(500) << qint64(500) << PixelSpan {50, 51};
        QTest::newRow("clipped left") << qint64(-5000) << qint64(50) << PixelSpan {-1, 5};
        QTest::newRow("clipped right, huge")
            << qint64(900) << std::numeric_limits<qint64>::max() / 2 << PixelSpan {90, 101};
    }
    void pixelSpans()
    {
        QFETCH(qint64, start);
        QFETCH(qint64, end);
        QFETCH(PixelSpan, span);
        QCOMPARE(pixelSpan(start, end, {0, 1000}, 100), span);
    }

    void durations_data()
    {
        QTest::addColumn<qint64>("ns");
        QTest::addColumn<QString>("text");
        QTest::newRow("ns") << qint64(850) << QStringLiteral("850 ns");
        QTest::newRow("µs") << qint64(12'340) << QStringLiteral("12.3 µs");
        QTest::newRow("ms") << qint64(4'560'000) << QStringLiteral("4.56 ms");
        QTest::newRow("hundreds of ms") << qint64(456'000'000) << QStringLiteral("456 ms");
        QTest::newRow("s") << qint64(1'234'000'000) << QStringLiteral("1.23 s");
        QTest::newRow("minutes") << qint64(123'000'000'000) << QStringLiteral("2 min 03 s");
        QTest::newRow("hours") << qint64(3'723'000'000'000) << QStringLiteral("1 h 02 min");
        QTest::newRow("negative") << qint64(-1'500) << QStringLiteral("-1.50 µs");
    }
    void durations()
    {
        QFETCH(qint64, ns);
        QFETCH(QString, text);
        QCOMPARE(format::duration(ns), text);
    }

    void clockFractions()
    {
        const qint64 t = 1'700'000'007'250'125'001;
        const QString seconds
            = QDateTime::fromMSecsSinceEpoch(t / 1'000'000).toString(QStringLiteral("HH:mm:ss"));
        QCOMPARE(format::clock(t, 0), seconds);
        QCOMPARE(format::clock(t, 3), seconds + QStringLiteral(".250"));
        QCOMPARE(format::clock(t, 9), seconds + QStringLiteral(".250125001"));
        // Before 1970 the fraction still counts up within the second.
        QCOMPARE(format::clock(-1, 9).right(10), QStringLiteral(".999999999"));
    }

    void histogramDoublesItsBins()
    {
        SessionHistogram h;
        const qint64 origin = 1'000'000'000;
        h.add(origin, false);
        h.add(origin + SessionHistogram::kMinBinNs, true);
        QCOMPARE(h.binNs(), SessionHistogram::kMinBinNs);
        QCOMPARE(h.usedBins(), 2);
        // Past the last bin: bins merge pairwise until it fits.
        h.add(origin + 3 * SessionHistogram::kMinBinNs * SessionHistogram::kBins, false);
        QCOMPARE(h.binNs(), 4 * SessionHistogram::kMinBinNs);
        QCOMPARE(h.counts()[0], 2);
        QCOMPARE(h.errors()[0], 1);
        qint64 total = 0;
        for (qint64 c : h.counts())
            total += c;
        QCOMPARE(total, 3);
        QCOMPARE(SessionHistogram::binWidthFor(
                     0, SessionHistogram::kMinBinNs * SessionHistogram::kBins * 3),
            4 * SessionHistogram::kMinBinNs);
    }
};

QTEST_GUILESS_MAIN(TestTimelineCoordinates)
#include "tst_timelinecoordinates.moc"
