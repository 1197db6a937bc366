#pragma once

#include "base/json.h"
#include "base/result.h"
#include "template/stack.h"

#include <QList>
#include <QString>

namespace tarmac {

class TemplateDocument;

// What intrinsic functions read from the stack being loaded. StackLoader implements it;
// tests use small fakes.
class IntrinsicContext
{
public:
    virtual ~IntrinsicContext() = default;
    // `Ref name`: a parameter, a pseudo parameter or a resource (the value AWS gives for its
    // type). An unknown name is an error.
    virtual Result<Json> ref(const QString &name, const TemplateLocation &where) = 0;
    virtual Result<Json> getAtt(
        const QString &resource, const QString &attribute, const TemplateLocation &where)
        = 0;
    // The value of a named condition of the Conditions section.
    virtual Result<bool> condition(const QString &name, const TemplateLocation &where) = 0;
    virtual const Json &mappings() const = 0;
    virtual QString region() const = 0;
};

// A name an expression refers to: `Ref X`, `Fn::GetAtt X.Attr`, `${X}` / `${X.Attr}` in
// Fn::Sub (minus the Sub's own variables). For dependency order.
struct IntrinsicReference
{
    QString name;
    QString attribute; // empty for Ref
    QString path; // where the reference is written
};

// Resolves CloudFormation intrinsic functions in a value of the template: Ref, Fn::GetAtt,
// Fn::Sub (both forms, `${!Literal}`), Fn::Join, Fn::Select, Fn::Split, Fn::If, Fn::Equals,
// Fn::Not, Fn::And, Fn::Or, Fn::FindInMap (with DefaultValue), Fn::GetAZs, Fn::Base64,
// Fn::Length, Fn::ToJsonString, Fn::Cidr (IPv4). `Ref AWS::NoValue` (and an Fn::If branch that
// gives it) removes the value: resolve() returns a discarded Json (isNoValue), and objects and
// lists drop such members. Fn::ImportValue and Fn::Transform are not emulated: they go into the
// fidelity report and resolve to nothing useful. Errors carry the template position:
// "template.yaml:12:5: Fn::Select: index 5 is out of range …".
class IntrinsicResolver
{
public:
    IntrinsicResolver(const TemplateDocument &document, IntrinsicContext &context,
        FidelityReport *report = nullptr);

    // `value` stands at `path` in the document (for positions in errors and the report).
    Result<Json> resolve(const Json &value, const QString &path);
    // A condition expression (Conditions section, Fn::And/Or/Not arguments).
    Result<bool> condition(const Json &value, const QString &path);

    static Json noValue() { return Json(Json::value_t::discarded); }
    static bool isNoValue(const Json &value) { return value.is_discarded(); }
    // {"Fn::…": …} / {"Ref": …}: the function's name, else empty.
    static QString intrinsicName(const Json &value);
    static QList<IntrinsicReference> references(const Json &value, const QString &path);

    struct SubPart
    {
        bool variable = false;
        QString text; // literal text, or the variable name
    };
    static QList<SubPart> parseSub(const QString &text);
    // A scalar as CloudFormation turns it into a string (numbers without ".0", booleans as
    // "true"); false for lists, objects and null.
    static bool scalarToString(const Json &value, QString *out);

private:
    Error error(const QString &path, const QString &message) const;
    Result<Json> resolveFunction(const QString &name, const Json &arg, const QString &path);
    Result<QString> resolveString(const Json &value, const QString &path, const char *function);
    Result<Json> resolveList(const Json &value, const QString &path, const char *function);
    Result<Json> sub(const Json &arg, const QString &path);
    Result<Json> getAtt(const Json &arg, const QString &path);
    Result<Json> findInMap(const Json &arg, const QString &path);
    Result<Json> cidr(const Json &arg, const QString &path);
    Result<Json> unsupported(
        const QString &name, const QString &path, const QString &note, Json value);

    const TemplateDocument &m_document;
    IntrinsicContext &m_context;
    FidelityReport *m_report;
};

} // namespace tarmac
