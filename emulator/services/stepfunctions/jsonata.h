#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QByteArray>
#include <QString>

#include <memory>

class QProcess;

namespace tarmac {

// JSONata for Step Functions states with QueryLanguage "JSONata", evaluated by the reference
// implementation at the version Step Functions runs (jsonata 2.0.6 from npm) in one Node.js
// process, started on first use and kept: plugins/jsonata/evaluate.mjs, which also adds
// Step Functions' own functions ($partition, $range, $hash, $random(seed), $uuid, $parse) and
// takes $eval away. No maintained C++ implementation is packaged for Debian or npm (the
// registries Tarmac installs from), and the reference one gives Step Functions' results
// exactly, errors included.
//
// Evaluation is synchronous: the caller (the engine's thread) waits for the answer, usually a
// fraction of a millisecond. The evaluator stops an expression that runs longer than five
// seconds; should the process itself not answer in time or die, it is killed and started
// again at the next evaluation, and the evaluation is an error.
class JsonataEvaluator
{
public:
    // `script`: evaluate.mjs, by default from TARMAC_JSONATA_DIR (the environment's, else the
    // source tree's plugins/jsonata); `node`: the Node.js executable, by default from PATH.
    explicit JsonataEvaluator(QString script = {}, QString node = {});
    ~JsonataEvaluator();
    JsonataEvaluator(const JsonataEvaluator &) = delete;
    JsonataEvaluator &operator=(const JsonataEvaluator &) = delete;

    // Whether `value` holds a "{% … %}" string at any depth: only such values need evaluating.
    static bool hasExpressions(const Json &value);

    // `value` with every "{% EXPRESSION %}" string in it evaluated with `bindings` as the
    // expressions' variables (bindings["states"] is $states); other values are kept as they
    // are. An expression that fails or gives nothing is a States.QueryEvaluationError whose
    // message names `field` and the expression, as Step Functions words it.
    Result<Json> evaluate(const Json &value, const Json &bindings, const QString &field);
    // Starts the process now without waiting for it to be ready (Node.js takes a tenth of a
    // second to load), so that the first evaluation does not wait for that. Errors show at
    // the first evaluation.
    void prestart() { static_cast<void>(start()); }

private:
    Result<void> start();
    void kill();

    QString m_script;
    QString m_node;
    std::unique_ptr<QProcess> m_process;
    QByteArray m_buffer;
};

} // namespace tarmac
