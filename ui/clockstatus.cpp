#include "ui/clockstatus.h"

#include "ui/format.h"
#include "ui/steppercontroller.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QTimer>
#include <QToolButton>

namespace tarmac {

namespace {
constexpr qint64 kSecond = 1'000'000'000;
}

ClockStatus::ClockStatus(StepperController *stepper, QWidget *parent)
    : QWidget(parent)
    , m_stepper(stepper)
    , m_time(new QLabel)
    , m_freeze(new QToolButton)
    , m_advance(new QToolButton)
{
    setObjectName(QStringLiteral("clockStatus"));
    m_time->setObjectName(QStringLiteral("clockStatusTime"));
    m_freeze->setObjectName(QStringLiteral("clockStatusFreeze"));
    m_advance->setObjectName(QStringLiteral("clockStatusAdvance"));
    m_freeze->setAutoRaise(true);
    m_advance->setAutoRaise(true);
    m_advance->setText(tr("Advance"));
    m_advance->setToolTip(tr("Move Tarmac's clock forward: every schedule, retry and timeout due "
                             "in between runs, in order"));
    m_advance->setPopupMode(QToolButton::InstantPopup);
    auto *menu = new QMenu(m_advance);
    for (const auto &[label, ns] :
        std::initializer_list<std::pair<QString, qint64>> {{tr("1 minute"), 60 * kSecond},
            {tr("10 minutes"), 600 * kSecond}, {tr("1 hour"), 3600 * kSecond},
            {tr("1 day"), 86400 * kSecond}, {tr("1 week"), 7 * 86400 * kSecond}}) {
        connect(menu->addAction(label), &QAction::triggered, this,
            [this, ns = ns] { m_stepper->advanceClock(ns); });
    }
    m_advance->setMenu(menu);
    connect(m_freeze, &QToolButton::clicked, this, [this] {
        if (m_stepper->isClockFrozen())
            m_stepper->resumeClock();
        else
            m_stepper->freezeClock();
    });
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(m_time);
    layout->addWidget(m_freeze);
    layout->addWidget(m_advance);
    connect(m_stepper, &StepperController::clockChanged, this, &ClockStatus::update);
    // Others move it too (/_tarmac/clock, the IDE): look twice a second.
    auto *timer = new QTimer(this);
    timer->setInterval(500);
    connect(timer, &QTimer::timeout, this, &ClockStatus::update);
    timer->start();
    update();
}

void ClockStatus::update()
{
    const qint64 now = m_stepper->clockNowNs();
    if (now == 0) {
        m_time->setText(tr("Clock —"));
        m_freeze->setEnabled(false);
        m_advance->setEnabled(false);
        return;
    }
    const bool frozen = m_stepper->isClockFrozen();
    const QDateTime local = QDateTime::fromMSecsSinceEpoch(now / 1'000'000);
    const bool today = local.date() == QDate::currentDate();
    const QString time = today
        ? format::clock(now, 0)
        : local.toString(QStringLiteral("yyyy-MM-dd ")) + format::clock(now, 0);
    m_time->setText(frozen ? tr("Clock <b>%1</b> frozen").arg(time) : tr("Clock %1").arg(time));
    m_time->setToolTip(frozen ? tr("Tarmac's clock is frozen: schedules and timeouts wait until "
                                   "it is advanced or resumed")
                              : tr("Tarmac's clock runs at real speed"));
    m_freeze->setText(frozen ? tr("Resume") : tr("Freeze"));
    m_freeze->setEnabled(true);
    m_advance->setEnabled(true);
}

} // namespace tarmac
