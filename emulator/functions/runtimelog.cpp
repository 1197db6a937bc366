#include "functions/runtimelog.h"

#include "base/json.h"
#include "trace/span.h"

namespace tarmac {

int severityOfLevelName(QByteArrayView name)
{
    const QByteArray upper = name.trimmed().toByteArray().toUpper();
    if (upper == "TRACE")
        return LogSeverityTrace;
    if (upper == "DEBUG")
        return LogSeverityDebug;
    if (upper == "INFO")
        return LogSeverityInfo;
    if (upper == "WARN" || upper == "WARNING")
        return LogSeverityWarn;
    if (upper == "ERROR")
        return LogSeverityError;
    if (upper == "FATAL" || upper == "CRITICAL")
        return LogSeverityFatal;
    return 0;
}

namespace {

int levelOfJson(QByteArrayView line)
{
    if (!line.startsWith('{') || !line.trimmed().endsWith('}'))
        return 0;
    auto json = parseJson(std::string_view(line.data(), size_t(line.size())));
    if (!json || !json->is_object())
        return 0;
    const auto it = json->find("level");
    if (it == json->end() || !it->is_string())
        return 0;
    return severityOfLevelName(QByteArrayView(it->get_ref<const std::string &>()));
}

int levelOfPythonText(QByteArrayView line)
{
    // "[ERROR]\t…" (a logging record), "[ERROR] Type: message" (an uncaught exception)
    if (!line.startsWith('['))
        return 0;
    const qsizetype close = line.indexOf(']');
    if (close < 2 || close > 10 || line.size() <= close + 1
        || (line[close + 1] != '\t' && line[close + 1] != ' '))
        return 0;
    return severityOfLevelName(line.sliced(1, close - 1));
}

int levelOfNodeText(QByteArrayView line)
{
    // "2024-01-01T00:00:00.000Z\tREQUEST-ID\tERROR\t…": a time, then two tab-separated fields.
    if (line.size() < 24 || line[4] != '-' || line[10] != 'T')
        return 0;
    const qsizetype first = line.indexOf('\t');
    if (first < 0)
        return 0;
    const qsizetype second = line.indexOf('\t', first + 1);
    if (second < 0)
        return 0;
    qsizetype third = line.indexOf('\t', second + 1);
    if (third < 0)
        third = line.size();
    if (third - second - 1 > 8)
        return 0;
    return severityOfLevelName(line.sliced(second + 1, third - second - 1));
}

} // namespace

RuntimeLogLine readRuntimeLogLine(QByteArrayView line, bool fromStderr)
{
    RuntimeLogLine out;
    out.text = line.toByteArray();
    while (out.text.endsWith('\r'))
        out.text.chop(1);
    out.text.replace('\r', '\n');
    int severity = levelOfJson(line);
    if (!severity)
        severity = levelOfPythonText(line);
    if (!severity)
        severity = levelOfNodeText(line);
    out.severity = severity ? severity : fromStderr ? LogSeverityWarn : LogSeverityInfo;
    return out;
}

} // namespace tarmac
