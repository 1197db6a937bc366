#include "trace/attributecodec.h"

#include "base/json.h"
#include "base/jsonwriter.h"

#include <cmath>

namespace tarmac {

// Written by hand rather than through nlohmann::json: it runs once per span on the writer
// thread, which at tens of thousands of requests a second is a real share of a core.
QByteArray encodeAttributes(const Attributes &attributes)
{
    QByteArray out;
    out.reserve(64 * attributes.size());
    out += '[';
    for (const Attribute &a : attributes) {
        if (out.size() > 1)
            out += ',';
        out += '[';
        appendJsonString(out, a.key);
        std::visit(
            [&out](const auto &v) {
                using V = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<V, QString>) {
                    out += ",\"s\",";
                    appendJsonString(out, v);
                } else if constexpr (std::is_same_v<V, qint64>) {
                    out += ",\"i\",";
                    out += QByteArray::number(v);
                } else if constexpr (std::is_same_v<V, double>) {
                    out += ",\"d\",";
                    if (std::isfinite(v))
                        out += toJsonBytes(Json(v)); // shortest round-trip form
                    else
                        out += std::isnan(v) ? "\"NaN\"" : v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
                } else {
                    out += v ? ",\"b\",true" : ",\"b\",false";
                }
            },
            a.value);
        out += ']';
    }
    out += ']';
    return out;
}

Attributes decodeAttributes(const QByteArray &text)
{
    Attributes out;
    if (text.isEmpty())
        return out;
    Result<Json> parsed = parseJson(text);
    if (!parsed || !parsed->is_array())
        return out;
    for (const Json &item : *parsed) {
        if (!item.is_array() || item.size() != 3 || !item[0].is_string() || !item[1].is_string())
            continue;
        const QString key = fromStd(item[0].get<std::string>());
        const std::string type = item[1].get<std::string>();
        const Json &v = item[2];
        if (type == "s" && v.is_string()) {
            out.append(Attribute(key, fromStd(v.get<std::string>())));
        } else if (type == "i" && v.is_number_integer()) {
            out.append(Attribute(key, v.get<qint64>()));
        } else if (type == "d" && v.is_number()) {
            out.append(Attribute(key, v.get<double>()));
        } else if (type == "d" && v.is_string()) {
            const std::string s = v.get<std::string>();
            out.append(Attribute(key,
                s == "NaN"            ? std::nan("")
                    : s == "Infinity" ? HUGE_VAL
                                      : -HUGE_VAL));
        } else if (type == "b" && v.is_boolean()) {
            out.append(Attribute(key, v.get<bool>()));
        }
    }
    return out;
}

} // namespace tarmac
