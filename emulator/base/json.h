#pragma once

#include "base/result.h"

#include <QByteArray>
#include <QString>

#include <nlohmann/json.hpp>

namespace tarmac {

using Json = nlohmann::json;

// The one place that calls nlohmann::json::parse: it never throws.
Result<Json> parseJson(const QByteArray &bytes);
Result<Json> parseJson(std::string_view bytes);

QByteArray toJsonBytes(const Json &value, int indent = -1);

inline std::string toStd(const QString &s) { return s.toStdString(); }
inline QString fromStd(const std::string &s) { return QString::fromStdString(s); }

} // namespace tarmac
