#include "replay/replayer.h"

#include "engine/engine.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QPointer>
#include <QTimer>
#include <QXmlStreamWriter>

#include <memory>

namespace tarmac {

Replayer::Replayer(Engine *engine, Capture capture, Options options, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_capture(std::move(capture))
    , m_options(std::move(options))
{ }

bool Replayer::allHeld() const
{
    for (const Result &r : m_results) {
        if (!r.mismatches.isEmpty())
            return false;
    }
    return true;
}

void Replayer::start()
{
    m_startedMs = QDateTime::currentMSecsSinceEpoch();
    QMetaObject::invokeMethod(this, &Replayer::next, Qt::QueuedConnection);
}

void Replayer::record(Result result)
{
    m_results.append(std::move(result));
    emit replayed(int(m_results.size()) - 1);
    QMetaObject::invokeMethod(this, &Replayer::next, Qt::QueuedConnection);
}

void Replayer::next()
{
    if (m_next >= m_capture.records.size()) {
        emit finished();
        return;
    }
    const CaptureRecord &rec = m_capture.records[m_next];
    // At the recorded pace: wait until this event's time, relative to the first one's.
    if (m_options.speed > 0 && rec.timeMs) {
        if (!m_firstEventMs)
            m_firstEventMs = rec.timeMs;
        const qint64 dueMs
            = m_startedMs + qint64(double(*rec.timeMs - *m_firstEventMs) / m_options.speed);
        const qint64 waitMs = dueMs - QDateTime::currentMSecsSinceEpoch();
        if (waitMs > 0) {
            QTimer::singleShot(int(std::min<qint64>(waitMs, 3'600'000)), this, &Replayer::next);
            return;
        }
    }
    ++m_next;
    Result result;
    result.record = rec;
    result.record.event = applyMappings(rec.event, m_options.mappings);
    result.kind = eventKind(result.record.event);
    const QString target = rec.target.isEmpty() ? m_options.defaultTarget : rec.target;
    const auto fail = [&](const QString &type, const QString &message) {
        result.outcome.errorType = type;
        result.outcome.errorMessage = message;
        auto checked = checkExpectation(nullptr, result.outcome);
        result.mismatches = checked ? *checked : QStringList {checked.error().message};
        record(std::move(result));
    };
    if (target.isEmpty()) {
        fail(QStringLiteral("NoTarget"),
            QStringLiteral("the event names no target and no --target was given"));
        return;
    }
    if (target.contains(u':') && !target.startsWith(QLatin1String("arn:"))) {
        fail(QStringLiteral("UnsupportedTarget"),
            QStringLiteral("%1: replaying through a source (api:, s3:, sqs:) is not built yet; "
                           "name the function instead")
                .arg(target));
        return;
    }
    Engine::Invocation inv;
    inv.function = target;
    inv.payload = toJsonBytes(result.record.event);
    inv.origin = QStringLiteral("replay");
    auto timer = std::make_shared<QElapsedTimer>();
    timer->start();
    auto pending = std::make_shared<Result>(result);
    QPointer<Replayer> self(this);
    auto invoked = m_engine->invoke(inv, [self, pending, timer](const DeliveryResult &r) {
        pending->durationMs = double(timer->nsecsElapsed()) / 1e6;
        ReplayOutcome &o = pending->outcome;
        o.delivered = r.delivered;
        o.functionError = r.functionError;
        o.errorType = r.errorType;
        o.errorMessage = r.errorMessage;
        auto parsed = parseJson(r.payload);
        o.response = parsed ? *parsed : Json(r.payload.toStdString());
        if (r.functionError && o.errorMessage.isEmpty() && o.response.is_object()) {
            const auto m = o.response.find("errorMessage");
            if (m != o.response.end() && m->is_string())
                o.errorMessage = fromStd(m->get<std::string>());
        }
        const Json *expect = pending->record.expect ? &*pending->record.expect : nullptr;
        auto checked = checkExpectation(expect, o);
        pending->mismatches = checked ? *checked : QStringList {checked.error().message};
        // Any thread: back to the engine's.
        QMetaObject::invokeMethod(
            self.data(),
            [self, pending] {
                if (self)
                    self->record(std::move(*pending));
            },
            Qt::QueuedConnection);
    });
    if (!invoked) {
        fail(invoked.error().code, invoked.error().message);
        return;
    }
    pending->function = invoked->function;
    pending->traceId = invoked->traceId;
}

QByteArray junitReport(const QList<Replayer::Result> &results, const QString &captureName)
{
    int failures = 0;
    double seconds = 0;
    for (const auto &r : results) {
        failures += r.mismatches.isEmpty() ? 0 : 1;
        seconds += r.durationMs / 1000;
    }
    QByteArray out;
    QXmlStreamWriter xml(&out);
    xml.setAutoFormatting(true);
    xml.writeStartDocument();
    xml.writeStartElement(QStringLiteral("testsuites"));
    xml.writeStartElement(QStringLiteral("testsuite"));
    xml.writeAttribute(QStringLiteral("name"), QStringLiteral("tarmac replay ") + captureName);
    xml.writeAttribute(QStringLiteral("tests"), QString::number(results.size()));
    xml.writeAttribute(QStringLiteral("failures"), QString::number(failures));
    xml.writeAttribute(QStringLiteral("errors"), QStringLiteral("0"));
    xml.writeAttribute(QStringLiteral("time"), QString::number(seconds, 'f', 3));
    for (const auto &r : results) {
        xml.writeStartElement(QStringLiteral("testcase"));
        xml.writeAttribute(QStringLiteral("classname"), QStringLiteral("replay.") + captureName);
        xml.writeAttribute(QStringLiteral("name"),
            QStringLiteral("event %1 → %2")
                .arg(r.record.index)
                .arg(r.function.isEmpty() ? r.record.target : r.function));
        xml.writeAttribute(QStringLiteral("time"), QString::number(r.durationMs / 1000, 'f', 3));
        if (!r.mismatches.isEmpty()) {
            xml.writeStartElement(QStringLiteral("failure"));
            xml.writeAttribute(QStringLiteral("message"), r.mismatches.first());
            xml.writeCharacters(r.mismatches.join(u'\n'));
            xml.writeEndElement();
        }
        if (!r.traceId.isEmpty()) {
            xml.writeStartElement(QStringLiteral("system-out"));
            xml.writeCharacters(QStringLiteral("trace %1").arg(QString::fromLatin1(r.traceId)));
            xml.writeEndElement();
        }
        xml.writeEndElement();
    }
    xml.writeEndElement();
    xml.writeEndElement();
    xml.writeEndDocument();
    return out;
}

QByteArray textReport(const QList<Replayer::Result> &results)
{
    QByteArray out;
    for (const auto &r : results) {
        const QString status = !r.mismatches.isEmpty() ? QStringLiteral("FAIL")
            : r.outcome.functionError                  ? QStringLiteral("ok (function error)")
                                                       : QStringLiteral("ok");
        out += QStringLiteral("%1 event %2 → %3%4 %5 %6 ms\n")
                   .arg(status)
                   .arg(r.record.index)
                   .arg(r.function.isEmpty() ? r.record.target : r.function)
                   .arg(r.kind.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(r.kind))
                   .arg(r.traceId.isEmpty()
                           ? QString()
                           : QStringLiteral("trace ") + QString::fromLatin1(r.traceId))
                   .arg(r.durationMs, 0, 'f', 1)
                   .toUtf8();
        for (const QString &m : r.mismatches)
            out += "    " + m.toUtf8() + '\n';
    }
    return out;
}

} // namespace tarmac
