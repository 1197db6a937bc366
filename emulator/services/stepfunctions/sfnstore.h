#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace tarmac {

class Store;

// A state machine as CreateStateMachine made it.
struct SfnMachine
{
    QString arn;
    QString name;
    QString type = QStringLiteral("STANDARD"); // or EXPRESS
    QByteArray definition;
    QString roleArn;
    qint64 createdMs = 0;
    qint64 updatedMs = 0;
    QString logicalId; // from a template, or empty
};

// One execution. Standard ones are stored (with their history) as they run; express ones
// live in memory only, as on AWS (no DescribeExecution, no history).
struct SfnExecution
{
    QString arn;
    QString machineArn;
    QString name;
    QString status = QStringLiteral("RUNNING"); // SUCCEEDED, FAILED, TIMED_OUT, ABORTED
    QByteArray input;
    QByteArray output; // when SUCCEEDED
    QString error;
    QString cause;
    qint64 startMs = 0;
    qint64 stopMs = 0;
    QByteArray traceId;
    // Where a standard execution stands: the top-level state it is in and that state's
    // input, so that a restart after a crash resumes there.
    QString checkpointState;
    QByteArray checkpointInput;
    QByteArray checkpointVariables = "{}"; // the workflow's variables then (Assign), an object
    // A child workflow execution of a distributed Map: the Map Run that started it.
    QString mapRunArn;
};

// How many of a Map Run's child executions (or of their items) are in each state, as
// DescribeMapRun's executionCounts and itemCounts give them.
struct SfnMapRunCounts
{
    qint64 pending = 0;
    qint64 running = 0;
    qint64 succeeded = 0;
    qint64 failed = 0;
    qint64 timedOut = 0;
    qint64 aborted = 0;
    qint64 total = 0;
    qint64 resultsWritten = 0;

    // One of `n` moves from the state `from` to the state `to` (an execution's status:
    // RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED; "PENDING" for not started).
    void move(const QString &from, const QString &to, qint64 n = 1);
    Json toJson() const;
    static SfnMapRunCounts fromJson(const Json &json);
};

// A Map Run: the child workflow executions a distributed Map state started, and the settings
// they run under (DescribeMapRun).
struct SfnMapRun
{
    QString arn; // arn:aws:states:REGION:ACCOUNT:mapRun:MACHINE/LABEL:UUID
    QString executionArn; // the execution whose Map state started it
    QString stateKey; // which Map state of it: the scope key (SfnScopeMark) and the state's name
    QString machineArn; // the children's: arn:...:stateMachine:MACHINE/LABEL
    QString status = QStringLiteral("RUNNING"); // SUCCEEDED, FAILED, ABORTED
    qint64 startMs = 0;
    qint64 stopMs = 0;
    int maxConcurrency = 0; // 0: no limit
    double toleratedFailurePercentage = 0;
    qint64 toleratedFailureCount = 0;
    SfnMapRunCounts executions;
    SfnMapRunCounts items;
};

// One event of GetExecutionHistory.
struct SfnHistoryEvent
{
    int id = 0;
    int previousId = 0;
    qint64 timestampMs = 0;
    QString type; // "TaskStateEntered"
    Json details; // {"stateEnteredEventDetails": {...}}
};

// Where a Parallel branch or a Map iteration of a standard execution's top-level state stands,
// so that a restart resumes inside it rather than running the whole state again. `key` names
// the branch or iteration from the top: STATE, index, then STATE, index for each level inside,
// joined by SfnScopeMark::separator.
struct SfnScopeMark
{
    static constexpr char16_t separator = u'\x1f';
    QString key;
    QString state; // the state it is in (empty once it ended)
    QByteArray input; // that state's input
    QByteArray variables = "{}"; // the variables it assigned itself
    QString outcome; // empty while it runs; SUCCEEDED or FAILED once it ended
    QByteArray output; // its output, or for a FAILED one {"Error", "Cause"}
};

// A history as it is kept and stored: one JSON line per event, {"id", "previousEventId",
// "timestamp", "type", "details"}. Written once when the event happens; read back only for
// GetExecutionHistory (a list of events, each a tree of JSON values, costs many allocations).
void appendHistoryLine(QByteArray &lines, int id, qint64 timestampMs, const QString &type,
    QByteArrayView details, int previousId);
// The same with the event before it as its previous one (id - 1).
inline void appendHistoryLine(
    QByteArray &lines, int id, qint64 timestampMs, const QString &type, QByteArrayView details)
{
    appendHistoryLine(lines, id, timestampMs, type, details, id - 1);
}
// The events of `lines`, added to `byId` (a later line with the same id replaces one before).
void readHistoryLines(const QByteArray &lines, QMap<int, SfnHistoryEvent> &byId);

// Step Functions' rows in the state database: state machines, standard executions and their
// histories. Engine thread.
class SfnStore
{
public:
    explicit SfnStore(Store *store);

    Result<void> open();

    Result<QList<SfnMachine>> machines() const;
    Result<void> saveMachine(const SfnMachine &machine);
    Result<void> deleteMachine(const QString &arn);

    Result<QList<SfnExecution>> executions() const;
    Result<void> saveExecution(const SfnExecution &execution);
    // Several executions' progress (events and, when given, the row), in one transaction.
    struct Progress
    {
        const QString *executionArn = nullptr;
        const QByteArray *events = nullptr; // history lines (appendHistoryLine)
        int firstEventId = 0; // the first one's id
        const SfnExecution *execution = nullptr; // or null
        bool clearMarks = false; // the scope marks saved before go (first)
        const QList<SfnScopeMark> *marks = nullptr; // marks written or replaced
        // Saved marks whose keys start with one of these go (before `marks` are written).
        const QStringList *clearPrefixes = nullptr;
    };
    Result<void> saveProgress(const QList<Progress> &progress);
    Result<QList<SfnHistoryEvent>> history(const QString &executionArn) const;
    Result<QList<SfnScopeMark>> scopeMarks(const QString &executionArn) const;

    // One stored execution, or nullopt.
    Result<std::optional<SfnExecution>> execution(const QString &arn) const;
    Result<QList<SfnMapRun>> mapRuns() const;
    Result<void> saveMapRun(const SfnMapRun &run);

private:
    Store *m_store;
};

} // namespace tarmac
