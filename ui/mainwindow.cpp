#include "ui/mainwindow.h"

#include "ui/enginehost.h"

#include <QHeaderView>
#include <QLabel>
#include <QStatusBar>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace tarmac {

MainWindow::MainWindow(EngineHost *host, QWidget *parent)
    : QMainWindow(parent), m_host(host), m_status(new QLabel), m_services(new QTreeWidget)
{
    setWindowTitle(QStringLiteral("Tarmac"));
    auto *central = new QWidget;
    auto *layout = new QVBoxLayout(central);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setWordWrap(true);
    m_status->setText(tr("Starting…"));
    m_services->setHeaderLabels({ tr("Service"), tr("State") });
    m_services->setRootIsDecorated(false);
    m_services->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    layout->addWidget(m_status);
    layout->addWidget(m_services, 1);
    setCentralWidget(central);
    resize(720, 420);
    connect(host, &EngineHost::started, this, &MainWindow::showStarted);
    connect(host, &EngineHost::failed, this, &MainWindow::showFailed);
    connect(host, &EngineHost::servicesChanged, this, &MainWindow::showServices);
}

void MainWindow::showStarted(const QString &readyLine, const QString &stateDir)
{
    // "tarmac ready edge=URL api=URL ide=URL" → one row per port.
    QString text = tr("<b>Tarmac is running.</b><table>");
    const QStringList parts = readyLine.split(u' ');
    for (const QString &part : parts.mid(2)) {
        const qsizetype eq = part.indexOf(u'=');
        text += QStringLiteral("<tr><td>%1&nbsp;&nbsp;</td><td>%2</td></tr>")
                        .arg(part.left(eq).toHtmlEscaped(), part.mid(eq + 1).toHtmlEscaped());
    }
    text += tr("<tr><td>state&nbsp;&nbsp;</td><td>%1</td></tr></table>").arg(stateDir.toHtmlEscaped());
    m_status->setText(text);
    statusBar()->showMessage(tr("State: %1").arg(stateDir));
}

void MainWindow::showFailed(const QString &message)
{
    m_status->setText(tr("<b>Tarmac could not start:</b> %1").arg(message.toHtmlEscaped()));
}

void MainWindow::showServices(const QList<QPair<QString, QString>> &services)
{
    m_services->clear();
    for (const auto &[name, state] : services)
        m_services->addTopLevelItem(new QTreeWidgetItem({ name, state }));
}

} // namespace tarmac
