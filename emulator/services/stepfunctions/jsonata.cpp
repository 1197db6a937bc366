#include "services/stepfunctions/jsonata.h"

#include "services/stepfunctions/asldefinition.h"
#include "services/stepfunctions/aslpath.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

namespace tarmac {

namespace {

// How long an evaluation may take before the process is taken for hung: longer than the
// script's own limit on one expression (five seconds), plus its start.
constexpr int kAnswerTimeoutMs = 15000;

Error queryError(const QString &message)
{
    return makeError(QString(AslErrors::QueryEvaluationError), message);
}

} // namespace

JsonataEvaluator::JsonataEvaluator(QString script, QString node)
    : m_script(std::move(script))
    , m_node(std::move(node))
{
    if (m_script.isEmpty()) {
        QString dir = qEnvironmentVariable("TARMAC_JSONATA_DIR");
        if (dir.isEmpty())
            dir = QStringLiteral(TARMAC_JSONATA_DIR);
        m_script = QDir(dir).filePath(QStringLiteral("evaluate.mjs"));
    }
    if (m_node.isEmpty())
        m_node = QStandardPaths::findExecutable(QStringLiteral("node"));
}

JsonataEvaluator::~JsonataEvaluator()
{
    kill();
}

bool JsonataEvaluator::hasExpressions(const Json &value)
{
    if (value.is_string())
        return aslIsJsonataExpression(value);
    if (value.is_array() || value.is_object()) {
        for (const Json &v : value) {
            if (hasExpressions(v))
                return true;
        }
    }
    return false;
}

Result<void> JsonataEvaluator::start()
{
    if (m_process && m_process->state() == QProcess::Running)
        return {};
    kill();
    if (m_node.isEmpty())
        return queryError(QStringLiteral(
            "JSONata states need Node.js on PATH (Tarmac evaluates JSONata with its reference "
            "implementation)"));
    if (!QFileInfo::exists(m_script))
        return queryError(QStringLiteral("The JSONata evaluator %1 is missing").arg(m_script));
    m_process = std::make_unique<QProcess>();
    m_process->setProgram(m_node);
    m_process->setArguments({m_script});
    m_process->setWorkingDirectory(QFileInfo(m_script).absolutePath());
    m_process->start();
    if (!m_process->waitForStarted(kAnswerTimeoutMs)) {
        const QString why = m_process->errorString();
        kill();
        return queryError(QStringLiteral("The JSONata evaluator did not start: %1").arg(why));
    }
    m_buffer.clear();
    return {};
}

void JsonataEvaluator::kill()
{
    if (!m_process)
        return;
    m_process->kill();
    m_process->waitForFinished(1000);
    m_process.reset();
    m_buffer.clear();
}

Result<Json> JsonataEvaluator::evaluate(
    const Json &value, const Json &bindings, const QString &field)
{
    if (!hasExpressions(value))
        return value;
    if (auto started = start(); !started)
        return started.error();
    QByteArray request = toJsonBytes(Json {{"t", value}, {"b", bindings}});
    request += '\n';
    m_process->write(request);
    const QDeadlineTimer deadline(kAnswerTimeoutMs);
    qsizetype newline = -1;
    while ((newline = m_buffer.indexOf('\n')) < 0) {
        if (m_process->state() != QProcess::Running
            || !m_process->waitForReadyRead(int(std::max<qint64>(deadline.remainingTime(), 1)))
            || deadline.hasExpired()) {
            // Dead (its packages are missing, say) or hung: what it said on stderr explains.
            m_buffer += m_process->readAllStandardOutput();
            if (m_buffer.contains('\n'))
                continue;
            const QString said = QString::fromUtf8(m_process->readAllStandardError()).trimmed();
            kill();
            return queryError(
                QStringLiteral("The JSONata evaluator did not answer%1 (tools/install-deps "
                               "installs its package in plugins/jsonata)")
                    .arg(said.isEmpty() ? QString() : QStringLiteral(": ") + said.right(400)));
        }
        m_buffer += m_process->readAllStandardOutput();
    }
    const QByteArray line = m_buffer.left(newline);
    m_buffer.remove(0, newline + 1);
    auto answer = parseJson(line);
    if (!answer || !answer->is_object())
        return queryError(QStringLiteral("The JSONata evaluator gave an unreadable answer"));
    if (const auto v = answer->find("v"); v != answer->end())
        return *v;
    const auto e = answer->find("e");
    QString code = QString(AslErrors::QueryEvaluationError);
    QString message;
    QString expression;
    if (e != answer->end() && e->is_object()) {
        if (const auto c = e->find("code"); c != e->end() && c->is_string())
            code = fromStd(c->get<std::string>());
        if (const auto m = e->find("message"); m != e->end() && m->is_string())
            message = fromStd(m->get<std::string>());
        if (const auto x = e->find("expression"); x != e->end() && x->is_string())
            expression = fromStd(x->get<std::string>()).trimmed();
    }
    if (!code.startsWith(QLatin1String("States.")))
        code = QString(AslErrors::QueryEvaluationError);
    if (message == QLatin1String("returned nothing (undefined)"))
        return makeError(code,
            QStringLiteral("The JSONata expression '%1' specified for the field '%2' returned "
                           "nothing (undefined).")
                .arg(expression, field));
    return makeError(code,
        QStringLiteral("The JSONata expression '%1' specified for the field '%2' threw an "
                       "error: %3")
            .arg(expression, field, message));
}

} // namespace tarmac
