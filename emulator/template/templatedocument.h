#pragma once

#include "base/json.h"
#include "base/result.h"
#include "template/stack.h"

#include <QByteArray>
#include <QHash>
#include <QString>
#include <QStringList>

namespace tarmac {

// A CloudFormation / SAM template as a JSON tree, with where each value stands in the file.
// YAML and JSON both go through yaml-cpp (JSON is YAML), so both get line:column positions.
// Short-form tags become their long forms (`!Ref X` → {"Ref": "X"}, `!Sub …` →
// {"Fn::Sub": …}, `!Condition C` → {"Condition": "C"}); an unknown tag is an error, as it is
// for CloudFormation. Plain scalars become numbers, booleans and null the YAML 1.2 core way;
// quoted ones stay strings.
//
// Paths are JSON pointers ("/Resources/Fn/Properties/Handler"); the value of a short-form
// tag at P is also located at P + "/Fn::Sub". It does not interpret the template.
class TemplateDocument
{
public:
    // Bounds that keep a hostile file from taking the process down.
    static constexpr qsizetype kMaxBytes = 4 * 1024 * 1024;
    static constexpr int kMaxDepth = 128;
    static constexpr qsizetype kMaxNodes = 500'000; // after YAML aliases are expanded

    // `fileName` is what locations and errors name (usually the template's file name).
    static Result<TemplateDocument> parse(const QByteArray &text, const QString &fileName);

    const Json &root() const { return m_root; }
    QString fileName() const { return m_fileName; }
    // The position of the value at `path`, or of its nearest ancestor that has one.
    TemplateLocation locate(const QString &path) const;
    // The keys of the object at `path` in the order the template writes them (Json objects
    // sort their keys).
    QStringList keys(const QString &path) const;

    // "/a/b" + "c~d/e" → "/a/b/c~0d~1e"
    static QString childPath(const QString &path, const QString &key);
    static QString childPath(const QString &path, qsizetype index);
    // "/Resources/Fn/Properties/Tracing" → "Resources.Fn.Properties.Tracing", for people.
    static QString displayPath(const QString &path);

private:
    friend class TemplateBuilder;
    QString m_fileName;
    Json m_root;
    QHash<QString, QPair<int, int>> m_positions;
    QHash<QString, QStringList> m_keys;
};

} // namespace tarmac
