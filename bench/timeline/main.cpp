// bench/timeline: how long the desktop timeline takes to draw a frame, and how much memory
// the GUI holds, for 10k, 100k and 1M spans at three zoom levels (the whole session, 1% of
// it, 0.01% of it). A frame is what TimelineWidget does when the window moves: build the
// geometry (binary search, per-pixel merging, batching by colour) and paint it into a
// 1600×900 raster image, the widget's backing store. Goal: ≤ 16 ms at any zoom.
//
//   bench_timeline [--db DIR] [--frames N] [--part memory|live|store|gui]
//
// Three parts:
//   memory  N spans held one by one in TimelineData (what the GUI keeps for a small store),
//   store   1M spans in a traces.db read the way the GUI reads it: per window, summarised
//           per pixel when the window holds more than the detail cap (the query runs on the
//           worker thread; its time is reported apart from the frame),
//   live    1,000 new spans a second (four batches of 250) arriving in the real widget while
//           100k spans are in view, following live,
//   gui     the real MainWindow opened on that 1M-span state folder, in a process of its own:
//           its RSS once loaded, the whole session summarised, a repaint of the widget.
// Times are medians over the frames (the machine is shared: expect noise).

#include "trace/tracequery.h"
#include "trace/tracer.h"
#include "ui/enginehost.h"
#include "ui/lanemodel.h"
#include "ui/mainwindow.h"
#include "ui/queryrunner.h"
#include "ui/spanselection.h"
#include "ui/timelinedata.h"
#include "ui/timelinegeometry.h"
#include "ui/timelinesession.h"
#include "ui/timelineview.h"
#include "ui/timelinewidget.h"
#include "ui/zoomstate.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QPainter>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cstdio>

using namespace tarmac;

namespace {

constexpr qint64 kMs = 1'000'000;
constexpr qint64 kT0 = 1'700'000'000'000'000'000;
constexpr int kWidth = 1600;
constexpr int kHeight = 900;

qint64 rssKiB()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}

QByteArray hex(quint64 v, int digits)
{
    return QByteArray::number(v, 16).rightJustified(digits, '0');
}

// One request of a small app, four spans: API Gateway → function → two S3 calls; a trace
// starts every 4 ms, so 1,000 spans a second, and one in fifty fails.
QList<Span> makeTrace(quint64 n)
{
    static const QString functions[] = {QStringLiteral("resize"), QStringLiteral("thumbnail"),
        QStringLiteral("index"), QStringLiteral("notify")};
    const qint64 start = kT0 + qint64(n) * 4 * kMs;
    const QByteArray trace = hex(n + 1, 32);
    const quint64 base = (n + 1) * 4;
    const QString fn = functions[n % 4];
    QList<Span> out;
    Span api;
    api.traceId = trace;
    api.spanId = hex(base, 16);
    api.service = QStringLiteral("apigateway");
    api.name = QStringLiteral("POST /photos");
    api.startNs = start;
    api.endNs = start + 30 * kMs + qint64(n % 7) * kMs;
    api.statusCode = n % 50 == 0 ? SpanStatusError : SpanStatusUnset;
    Span invoke = api;
    invoke.spanId = hex(base + 1, 16);
    invoke.parentSpanId = api.spanId;
    invoke.service = QStringLiteral("lambda");
    invoke.name = fn + QStringLiteral(" invoke");
    invoke.startNs = start + 1 * kMs;
    invoke.endNs = api.endNs - 1 * kMs;
    invoke.attributes = {Attribute(QStringLiteral("faas.name"), fn)};
    Span get = invoke;
    get.spanId = hex(base + 2, 16);
    get.parentSpanId = invoke.spanId;
    get.service = QStringLiteral("s3");
    get.name = QStringLiteral("S3 GetObject");
    get.attributes.clear();
    get.startNs = start + 3 * kMs;
    get.endNs = start + 9 * kMs;
    get.statusCode = SpanStatusUnset;
    Span put = get;
    put.spanId = hex(base + 3, 16);
    put.name = QStringLiteral("S3 PutObject");
    put.startNs = start + 20 * kMs;
    put.endNs = start + 26 * kMs;
    out << api << invoke << get << put;
    return out;
}

struct Stats
{
    double median = 0;
    double max = 0;
};

Stats measure(int frames, const std::function<void()> &frame)
{
    std::vector<double> ms;
    frame(); // warm caches
    for (int i = 0; i < frames; ++i) {
        QElapsedTimer t;
        t.start();
        frame();
        ms.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    return {ms[ms.size() / 2], ms.back()};
}

LaneLayout layoutFor(LaneModel &lanes, TimelineData &data)
{
    lanes.adopt(data);
    return lanes.layout(TimelineWidget::kAxisHeight, 0);
}

// Geometry + paint of one frame, as TimelineWidget::paintEvent does after a window change.
Stats frameStats(const TimelineData &data, const LaneLayout &layout, timeline::TimeWindow w,
    int frames, qsizetype *visited = nullptr, qsizetype *rects = nullptr)
{
    QImage image(kWidth, kHeight, QImage::Format_ARGB32_Premultiplied);
    TimelineGeometry::Options o;
    o.window = w;
    o.width = kWidth;
    o.clipTop = TimelineWidget::kAxisHeight;
    o.clipBottom = kHeight;
    return measure(frames, [&] {
        const TimelineGeometry g = TimelineGeometry::build(data, layout, o);
        image.fill(Qt::white);
        QPainter p(&image);
        g.paint(&p, data);
        p.end();
        if (visited)
            *visited = g.itemsVisited();
        if (rects)
            *rects = g.rectCount();
    });
}

QList<timeline::TimeWindow> zoomLevels(timeline::TimeWindow session)
{
    const qint64 mid = session.start + session.duration() / 2;
    const qint64 d1 = session.duration() / 100;
    const qint64 d2 = std::max<qint64>(session.duration() / 10000, 1000);
    return {session, {mid - d1 / 2, mid + d1 / 2}, {mid - d2 / 2, mid + d2 / 2}};
}

const char *zoomName(int i)
{
    static const char *names[] = {"whole session", "1% of it", "0.01% of it"};
    return names[i];
}

void benchMemory(int frames)
{
    std::printf("\n== memory: spans held one by one (what the GUI keeps for a small store)\n");
    std::printf("%-9s %-15s %10s %10s %10s %10s %9s\n", "spans", "zoom", "in view", "rects",
        "median ms", "max ms", "RSS MiB");
    for (qint64 count : {10'000, 100'000, 1'000'000}) {
        const qint64 before = rssKiB();
        auto data = std::make_unique<TimelineData>();
        QElapsedTimer build;
        build.start();
        for (qint64 n = 0; n < count / 4;) {
            QList<Span> batch;
            for (int i = 0; i < 1000 && n < count / 4; ++i, ++n)
                batch += makeTrace(quint64(n));
            data->addSpans(batch);
        }
        const double buildMs = double(build.nsecsElapsed()) / 1e6;
        LaneModel lanes;
        const LaneLayout layout = layoutFor(lanes, *data);
        const qint64 after = rssKiB();
        const timeline::TimeWindow session {data->starts().front(), data->maxEnds().back()};
        const auto levels = zoomLevels(session);
        for (int z = 0; z < levels.size(); ++z) {
            qsizetype visited = 0, rects = 0;
            const Stats s = frameStats(*data, layout, levels[z], frames, &visited, &rects);
            std::printf("%-9lld %-15s %10lld %10lld %10.2f %10.2f %9.1f\n", count, zoomName(z),
                qint64(visited), qint64(rects), s.median, s.max, double(after - before) / 1024.0);
        }
        std::printf("          (built in %.0f ms)\n", buildMs);
    }
}

QString ensureStore(const QString &dir, qint64 count)
{
    const QString path = dir + QStringLiteral("/traces.db");
    if (QFile::exists(path)) {
        if (auto q = TraceQuery::open(path);
            q && (*q)->extent() && (*q)->extent()->spanCount >= count)
            return path;
        QFile::remove(path);
    }
    std::printf("writing %lld spans to %s …\n", count, qPrintable(path));
    std::fflush(stdout);
    Tracer::Options options;
    options.maxPending = 1'000'000;
    auto tracer = Tracer::open(path, options);
    if (!tracer) {
        std::fprintf(
            stderr, "cannot open %s: %s\n", qPrintable(path), qPrintable(tracer.error().message));
        std::exit(1);
    }
    for (qint64 n = 0; n < count / 4; ++n) {
        for (Span &s : makeTrace(quint64(n)))
            (*tracer)->record(std::move(s));
        if (n % 20'000 == 0)
            (*tracer)->flush();
    }
    (*tracer)->flush();
    return path;
}

void benchStore(const QString &path, int frames)
{
    std::printf("\n== store: 1M spans in traces.db, loaded per window the way the GUI does\n");
    std::printf("%-15s %10s %8s %12s %10s %10s %9s\n", "zoom", "items", "mode", "query ms",
        "median ms", "max ms", "RSS MiB");
    auto q = TraceQuery::open(path);
    if (!q) {
        std::fprintf(stderr, "%s\n", qPrintable(q.error().message));
        return;
    }
    auto extent = (*q)->extent();
    const timeline::TimeWindow session {extent->startNs, extent->endNs};
    const auto levels = zoomLevels(session);
    const qsizetype cap = TimelineSession::Limits {}.detailCap;
    for (int z = 0; z < levels.size(); ++z) {
        const qint64 before = rssKiB();
        const timeline::TimeWindow w = levels[z];
        // What TimelineSession::loadWindow asks for: the window and one window either side.
        const timeline::TimeWindow loaded {w.start - w.duration(), w.end + w.duration()};
        QElapsedTimer t;
        t.start();
        TimelineData data;
        const qint64 count = *(*q)->countStarting(loaded.start, loaded.end);
        bool summary = false;
        if (count <= cap) {
            data.beginAppend();
            (void)(*q)->scanSpans(
                loaded.start, loaded.end, cap * 2, [&](const TraceQuery::SpanSummary &s) {
                    data.append(s);
                    return true;
                });
            data.endAppend();
        } else {
            summary = true;
            auto buckets
                = (*q)->aggregateSpans(loaded.start, loaded.end, timeline::nsPerPixel(w, kWidth));
            data.addSummaries(*buckets, timeline::nsPerPixel(w, kWidth));
        }
        const double queryMs = double(t.nsecsElapsed()) / 1e6;
        LaneModel lanes;
        const LaneLayout layout = layoutFor(lanes, data);
        const Stats s = frameStats(data, layout, w, frames);
        std::printf("%-15s %10lld %8s %12.1f %10.2f %10.2f %9.1f\n", zoomName(z),
            qint64(data.size()), summary ? "summary" : "detail", queryMs, s.median, s.max,
            double(rssKiB() - before) / 1024.0);
    }
}

// 1,000 new spans a second, in the LiveFeed's four batches a second, while 100k spans are in
// view: what one batch costs the GUI thread (append, rows, repaint of the real widget).
void benchLive(int frames)
{
    std::printf(
        "\n== live: batches of 250 spans with 100k spans in view (TimelineView, following live)\n");
    ZoomState zoom;
    LaneModel lanes;
    QueryRunner runner;
    TimelineSession session(&zoom, &lanes, &runner);
    TimelineSession::Limits limits;
    limits.detailCap = 400'000;
    session.setLimits(limits);
    SpanSelection selection;
    TimelineView view(&zoom, &session, &lanes, &selection);
    view.resize(kWidth + 180, kHeight);
    view.show();
    quint64 next = 0;
    while (next < 25'000) {
        QList<Span> batch;
        for (int i = 0; i < 1000; ++i)
            batch += makeTrace(next++);
        session.addLive(batch, {});
    }
    zoom.setWindow({kT0, kT0 + 100 * 1000 * kMs});
    zoom.setFollowLive(true);
    QApplication::processEvents();
    TimelineWidget *tracks = view.tracks();
    const qint64 before = rssKiB();
    const Stats live = measure(frames, [&] {
        QList<Span> batch;
        while (batch.size() < 250)
            batch += makeTrace(next++);
        session.addLive(batch, {});
        tracks->repaint();
    });
    const TimelineData &d = session.data();
    const timeline::IndexRange r
        = timeline::visibleRange(d.starts(), d.maxEnds(), zoom.window().start, zoom.window().end);
    std::printf("append 250 + repaint: median %.2f ms, max %.2f ms; %lld spans held, %lld in view, "
                "widget %dx%d\n",
        live.median, live.max, qint64(d.size()), qint64(r.last - r.first), tracks->width(),
        tracks->height());
    const Stats hover = measure(frames, [&] { tracks->repaint(); });
    std::printf(
        "repaint from cached geometry (hover): median %.2f ms; RSS %+.1f MiB during the run\n",
        hover.median, double(rssKiB() - before) / 1024.0);
}

void benchGui(const QString &stateDir, int frames)
{
    std::printf("\n== gui: MainWindow on the 1M-span state folder\n");
    const qint64 start = rssKiB();
    Engine::Options o;
    o.stateDir = stateDir;
    o.edgePort = o.idePort = 0;
    o.ports.insert(QStringLiteral("api"), 0);
    EngineHost host(o);
    MainWindow window(&host);
    window.resize(kWidth, kHeight + 300);
    window.show();
    QSignalSpy started(&host, &EngineHost::started);
    QElapsedTimer t;
    t.start();
    host.start();
    if (!started.wait(30000)) {
        std::printf("engine did not start\n");
        return;
    }
    TimelineSession *session = window.timelineSession();
    (void)QTest::qWaitFor(
        [&] { return !session->isLoading() && !session->data().isEmpty(); }, 60000);
    std::printf(
        "loaded the live end in %.0f ms: %lld items, RSS %.1f MiB (process, engine included; "
        "%.1f MiB more than before the window)\n",
        double(t.nsecsElapsed()) / 1e6, qint64(session->data().size()), double(rssKiB()) / 1024.0,
        double(rssKiB() - start) / 1024.0);
    window.zoomState()->setFollowLive(false);
    window.zoomState()->zoomToFit();
    t.restart();
    (void)QTest::qWaitFor([&] { return session->isLoading(); }, 200);
    (void)QTest::qWaitFor([&] { return !session->isLoading(); }, 60000);
    std::printf("whole session (summarised): %lld items after %.0f ms, RSS %.1f MiB\n",
        qint64(session->data().size()), double(t.nsecsElapsed()) / 1e6, double(rssKiB()) / 1024.0);
    TimelineWidget *tracks = window.timelineView()->tracks();
    const Stats whole = measure(frames, [&] {
        tracks->setScrollY(tracks->scrollY() == 0 ? 1 : 0); // invalidates the geometry
        tracks->repaint();
    });
    std::printf("widget repaint, whole session: median %.2f ms, max %.2f ms (%dx%d)\n",
        whole.median, whole.max, tracks->width(), tracks->height());

    window.close();
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("TarmacBench"));
    QCommandLineParser p;
    p.addOption({QStringLiteral("db"), QStringLiteral("State folder to keep the 1M-span store in."),
        QStringLiteral("DIR")});
    p.addOption({QStringLiteral("frames"), QStringLiteral("Frames per measurement."),
        QStringLiteral("N"), QStringLiteral("15")});
    p.addOption({QStringLiteral("part"),
        QStringLiteral("memory, live, store or gui (default: all; gui runs in a "
                       "process of its own so that its RSS is its own)"),
        QStringLiteral("PART")});
    p.addHelpOption();
    p.process(app);
    const int frames = std::max(3, p.value(QStringLiteral("frames")).toInt());
    QTemporaryDir temp;
    const QString dir = p.isSet(QStringLiteral("db")) ? p.value(QStringLiteral("db")) : temp.path();
    QDir().mkpath(dir);

    std::printf("bench_timeline: frame = geometry + paint into %dx%d; median of %d frames\n",
        kWidth, kHeight, frames);
    const QString part = p.value(QStringLiteral("part"));
    const bool all = part.isEmpty();
    if (all || part == QLatin1String("memory"))
        benchMemory(frames);
    if (all || part == QLatin1String("live"))
        benchLive(frames);
    if (all || part == QLatin1String("store") || part == QLatin1String("gui")) {
        const QString db = ensureStore(dir, 1'000'000);
        if (all || part == QLatin1String("store"))
            benchStore(db, frames);
    }
    if (part == QLatin1String("gui"))
        benchGui(dir, frames);
    if (all) {
        std::fflush(stdout);
        QProcess gui;
        gui.setProcessChannelMode(QProcess::ForwardedChannels);
        gui.start(QCoreApplication::applicationFilePath(),
            {QStringLiteral("--part"), QStringLiteral("gui"), QStringLiteral("--db"), dir,
                QStringLiteral("--frames"), QString::number(frames)});
        gui.waitForFinished(-1);
    }
    return 0;
}
