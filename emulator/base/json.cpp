#include "base/json.h"

namespace tarmac {

Result<Json> parseJson(std::string_view bytes)
{
    Json value = Json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded())
        return makeError(QStringLiteral("SerializationException"),
                         QStringLiteral("The request body is not valid JSON"));
    return value;
}

Result<Json> parseJson(const QByteArray &bytes)
{
    return parseJson(std::string_view(bytes.constData(), size_t(bytes.size())));
}

QByteArray toJsonBytes(const Json &value, int indent)
{
    const std::string s = value.dump(indent, ' ', false, Json::error_handler_t::replace);
    return QByteArray(s.data(), qsizetype(s.size()));
}

} // namespace tarmac
