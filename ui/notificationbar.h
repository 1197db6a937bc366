#pragma once

#include <QWidget>

class QVBoxLayout;

namespace tarmac {

// Messages for the user that must not block the window: engine errors, a template that did
// not load, a request that failed. Each shows as a strip with a close button; information
// fades after a few seconds, errors stay until closed. At most a handful show at once (the
// oldest go first).
class NotificationBar : public QWidget
{
    Q_OBJECT
public:
    enum Level { Info, Warning, Error };

    explicit NotificationBar(QWidget *parent = nullptr);

    void notify(Level level, const QString &text);
    int count() const;
    QStringList messages() const;
    void clear();

private:
    QVBoxLayout *m_layout;
};

} // namespace tarmac
