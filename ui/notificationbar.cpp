#include "ui/notificationbar.h"

#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QPointer>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace tarmac {

namespace {

constexpr int kMaxShown = 4;
constexpr int kInfoMs = 8000;

} // namespace

NotificationBar::NotificationBar(QWidget *parent)
    : QWidget(parent)
    , m_layout(new QVBoxLayout(this))
{
    m_layout->setContentsMargins(0, 0, 0, 0);
    m_layout->setSpacing(2);
    hide();
}

void NotificationBar::notify(Level level, const QString &text)
{
    while (m_layout->count() >= kMaxShown) {
        QWidget *oldest = m_layout->itemAt(0)->widget();
        m_layout->removeWidget(oldest);
        delete oldest;
    }
    auto *frame = new QFrame;
    frame->setObjectName(QStringLiteral("notification"));
    const char *colours[]
        = {"#e8f0fe; color: #174ea6", "#fef7e0; color: #7a4f01", "#fce8e6; color: #a50e0e"};
    frame->setStyleSheet(
        QStringLiteral("QFrame#notification { background: %1; border-radius: 3px; }")
            .arg(QLatin1String(colours[level])));
    auto *row = new QHBoxLayout(frame);
    row->setContentsMargins(8, 3, 3, 3);
    auto *label = new QLabel(text);
    label->setObjectName(QStringLiteral("notificationText"));
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *close = new QToolButton;
    close->setText(QStringLiteral("✕"));
    close->setAutoRaise(true);
    close->setToolTip(tr("Dismiss"));
    row->addWidget(label, 1);
    row->addWidget(close);
    m_layout->addWidget(frame);
    show();

    QPointer<QFrame> guard(frame);
    const auto dismiss = [this, guard] {
        if (!guard)
            return;
        m_layout->removeWidget(guard);
        guard->deleteLater();
        if (m_layout->count() == 0)
            hide();
    };
    connect(close, &QToolButton::clicked, this, dismiss);
    if (level == Info)
        QTimer::singleShot(kInfoMs, this, dismiss);
}

int NotificationBar::count() const
{
    return m_layout->count();
}

QStringList NotificationBar::messages() const
{
    QStringList out;
    for (int i = 0; i < m_layout->count(); ++i) {
        if (auto *label = m_layout->itemAt(i)->widget()->findChild<QLabel *>(
                QStringLiteral("notificationText")))
            out.append(label->text());
    }
    return out;
}

void NotificationBar::clear()
{
    while (m_layout->count() > 0) {
        QWidget *w = m_layout->itemAt(0)->widget();
        m_layout->removeWidget(w);
        delete w;
    }
    hide();
}

} // namespace tarmac
