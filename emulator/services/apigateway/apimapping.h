#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>

#include <memory>
#include <vector>

namespace tarmac {

// What a mapping template reads of a request (or, for a response template, of the
// integration's answer): $input, $context, $stageVariables.
struct MappingInput
{
    QByteArray body;
    QList<std::pair<QString, QString>> pathParameters;
    QList<std::pair<QByteArray, QByteArray>> query; // decoded, in order
    QList<std::pair<QByteArray, QByteArray>> headers; // names as sent
    QMap<QString, QString> stageVariables;
    Json context = Json::object(); // $context: requestId, httpMethod, identity.sourceIp, …
};

// An API Gateway mapping template (requestTemplates, responseTemplates), in the part of the
// Velocity Template Language that API Gateway's own generated templates and most hand-written
// ones use: text with references. A reference is $name or ${name} or $!name, followed by
// .property and .method(arguments) steps; arguments are 'strings', "strings", whole numbers,
// true/false and references. What it reads:
// - $input.body, $input.json(path), $input.path(path), $input.params(), $input.params(name);
// - $context.* and $stageVariables.*;
// - $util.escapeJavaScript, parseJson, urlEncode, urlDecode, base64Encode, base64Decode;
// - on strings: replaceAll (Java regular expressions), replace, toLowerCase, toUpperCase,
//   trim, length, contains, startsWith, endsWith, substring, split, indexOf, equals,
//   isEmpty; on maps and lists: get, size, isEmpty, containsKey.
// Directives: #set($name = value), #if(condition) … #elseif(…) … #else … #end and
// #foreach($item in list) … #end (with $foreach.index, .count, .hasNext, .first, .last and
// $velocityCount), conditions and values in Velocity's expressions (|| && ! and or not,
// == != < > <= >= and eq ne lt gt le ge, + - * / %, parentheses, [lists], [1..3] ranges,
// {"maps": …}, "strings with $references", null); Velocity 1.7's truth (null and false are
// false). A directive alone on its line takes the line with it. Comments (## and #* *#) are
// dropped. The other directives (#macro, #parse, #include, #stop, #break, #define, #evaluate)
// are not evaluated: parse() refuses a template that has one, so that its route is reported,
// not served wrong.
// As in Velocity, a reference that names nothing is written as it stands ($! writes nothing
// instead). Maps and lists are written as JSON (Velocity writes Java's {key=value});
// $input.json('$') is the body as it came, other paths' values are written with their keys
// sorted.
class MappingTemplate
{
public:
    static Result<MappingTemplate> parse(const QString &text);

    // The template applied. An error (the body is not JSON where the template reads it as
    // JSON) has the message API Gateway answers with.
    Result<QByteArray> render(const MappingInput &input) const;

    struct Expression;
    struct Part;

private:
    std::shared_ptr<const std::vector<Part>> m_parts;
};

// Velocity's $util.escapeJavaScript: quotes, backslashes and '/' escaped, control and
// non-ASCII characters as \uXXXX. Note that it escapes ' as \', which JSON does not allow.
QString escapeJavaScript(const QString &text);

} // namespace tarmac
