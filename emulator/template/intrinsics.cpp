#include "template/intrinsics.h"

#include "template/templatedocument.h"

#include <cmath>

namespace tarmac {

namespace {

const char kRef[] = "Ref";

bool isArrayOf(const Json &v, size_t min, size_t max)
{
    return v.is_array() && v.size() >= min && v.size() <= max;
}

} // namespace

IntrinsicResolver::IntrinsicResolver(
    const TemplateDocument &document, IntrinsicContext &context, FidelityReport *report)
    : m_document(document)
    , m_context(context)
    , m_report(report)
{ }

Error IntrinsicResolver::error(const QString &path, const QString &message) const
{
    return makeError(QStringLiteral("ValidationError"),
        m_document.locate(path).toString() + QStringLiteral(": ") + message);
}

QString IntrinsicResolver::intrinsicName(const Json &value)
{
    if (!value.is_object() || value.size() != 1)
        return {};
    const std::string &key = value.begin().key();
    if (key == kRef || key.rfind("Fn::", 0) == 0)
        return QString::fromStdString(key);
    return {};
}

bool IntrinsicResolver::scalarToString(const Json &value, QString *out)
{
    if (value.is_string()) {
        *out = QString::fromStdString(value.get<std::string>());
    } else if (value.is_boolean()) {
        *out = value.get<bool>() ? QStringLiteral("true") : QStringLiteral("false");
    } else if (value.is_number_integer()) {
        *out = QString::number(value.get<qint64>());
    } else if (value.is_number_float()) {
        const double d = value.get<double>();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15)
            *out = QString::number(qint64(d));
        else
            *out = QString::number(d, 'g', 17);
    } else {
        return false;
    }
    return true;
}

QList<IntrinsicResolver::SubPart> IntrinsicResolver::parseSub(const QString &text)
{
    QList<SubPart> parts;
    QString literal;
    qsizetype i = 0;
    while (i < text.size()) {
        const qsizetype open = text.indexOf(QLatin1String("${"), i);
        const qsizetype close = open < 0 ? -1 : text.indexOf(u'}', open + 2);
        if (open < 0 || close < 0) {
            literal += text.mid(i);
            break;
        }
        literal += text.mid(i, open - i);
        const QString inner = text.mid(open + 2, close - open - 2);
        if (inner.startsWith(u'!')) {
            literal += QLatin1String("${") + inner.mid(1) + u'}';
        } else if (inner.trimmed().isEmpty()) {
            literal += QLatin1String("${") + inner + u'}';
        } else {
            if (!literal.isEmpty())
                parts.append(SubPart {false, std::exchange(literal, QString())});
            parts.append(SubPart {true, inner.trimmed()});
        }
        i = close + 1;
    }
    if (!literal.isEmpty())
        parts.append(SubPart {false, literal});
    return parts;
}

QList<IntrinsicReference> IntrinsicResolver::references(const Json &value, const QString &path)
{
    QList<IntrinsicReference> out;
    const QString name = intrinsicName(value);
    if (name == QLatin1String(kRef)) {
        const Json &arg = value.begin().value();
        if (arg.is_string())
            out.append({QString::fromStdString(arg.get<std::string>()), {},
                TemplateDocument::childPath(path, name)});
        return out;
    }
    if (name == QLatin1String("Fn::GetAtt")) {
        const Json &arg = value.begin().value();
        const QString inner = TemplateDocument::childPath(path, name);
        if (arg.is_string()) {
            const QString s = QString::fromStdString(arg.get<std::string>());
            const qsizetype dot = s.indexOf(u'.');
            out.append({dot < 0 ? s : s.left(dot), dot < 0 ? QString() : s.mid(dot + 1), inner});
        } else if (arg.is_array() && !arg.empty() && arg[0].is_string()) {
            out.append({QString::fromStdString(arg[0].get<std::string>()),
                arg.size() > 1 && arg[1].is_string()
                    ? QString::fromStdString(arg[1].get<std::string>())
                    : QString(),
                inner});
            if (arg.size() > 1)
                out += references(arg[1], TemplateDocument::childPath(inner, 1));
        }
        return out;
    }
    if (name == QLatin1String("Fn::Sub")) {
        const Json &arg = value.begin().value();
        const QString inner = TemplateDocument::childPath(path, name);
        const Json *text
            = arg.is_string() ? &arg : (arg.is_array() && !arg.empty() ? &arg[0] : nullptr);
        const Json *vars
            = arg.is_array() && arg.size() > 1 && arg[1].is_object() ? &arg[1] : nullptr;
        if (text && text->is_string()) {
            for (const SubPart &part : parseSub(QString::fromStdString(text->get<std::string>()))) {
                if (!part.variable || (vars && vars->contains(part.text.toStdString())))
                    continue;
                if (part.text.startsWith(QLatin1String("AWS::")))
                    out.append({part.text, {}, inner});
                else {
                    const qsizetype dot = part.text.indexOf(u'.');
                    out.append({dot < 0 ? part.text : part.text.left(dot),
                        dot < 0 ? QString() : part.text.mid(dot + 1), inner});
                }
            }
        }
        if (vars) {
            for (auto it = vars->begin(); it != vars->end(); ++it)
                out += references(it.value(),
                    TemplateDocument::childPath(
                        TemplateDocument::childPath(inner, 1), QString::fromStdString(it.key())));
        }
        return out;
    }
    if (value.is_object()) {
        for (auto it = value.begin(); it != value.end(); ++it)
            out += references(
                it.value(), TemplateDocument::childPath(path, QString::fromStdString(it.key())));
    } else if (value.is_array()) {
        for (size_t i = 0; i < value.size(); ++i)
            out += references(value[i], TemplateDocument::childPath(path, qsizetype(i)));
    }
    return out;
}

Result<Json> IntrinsicResolver::resolve(const Json &value, const QString &path)
{
    const QString name = intrinsicName(value);
    if (!name.isEmpty())
        return resolveFunction(
            name, value.begin().value(), TemplateDocument::childPath(path, name));
    if (value.is_object()) {
        Json out = Json::object();
        for (auto it = value.begin(); it != value.end(); ++it) {
            auto v = resolve(
                it.value(), TemplateDocument::childPath(path, QString::fromStdString(it.key())));
            if (!v)
                return v;
            if (!isNoValue(*v))
                out[it.key()] = std::move(*v);
        }
        return out;
    }
    if (value.is_array()) {
        Json out = Json::array();
        for (size_t i = 0; i < value.size(); ++i) {
            auto v = resolve(value[i], TemplateDocument::childPath(path, qsizetype(i)));
            if (!v)
                return v;
            if (!isNoValue(*v))
                out.push_back(std::move(*v));
        }
        return out;
    }
    return value;
}

Result<QString> IntrinsicResolver::resolveString(
    const Json &value, const QString &path, const char *function)
{
    auto v = resolve(value, path);
    if (!v)
        return v.error();
    QString s;
    if (!scalarToString(*v, &s))
        return error(path,
            QStringLiteral("%1: expected a string, got %2")
                .arg(QLatin1String(function), QString::fromLatin1(v->type_name())));
    return s;
}

Result<Json> IntrinsicResolver::resolveList(
    const Json &value, const QString &path, const char *function)
{
    auto v = resolve(value, path);
    if (!v)
        return v;
    if (!v->is_array())
        return error(path,
            QStringLiteral("%1: expected a list, got %2")
                .arg(QLatin1String(function), QString::fromLatin1(v->type_name())));
    return v;
}

Result<Json> IntrinsicResolver::unsupported(
    const QString &name, const QString &path, const QString &note, Json value)
{
    if (m_report) {
        m_report->add(FidelityItem {FidelityItem::Level::Unsupported, FidelityItem::Kind::Intrinsic,
            name, TemplateDocument::displayPath(path), note, m_document.locate(path)});
    }
    return value;
}

Result<Json> IntrinsicResolver::resolveFunction(
    const QString &name, const Json &arg, const QString &path)
{
    if (name == QLatin1String(kRef)) {
        if (!arg.is_string())
            return error(path, QStringLiteral("Ref takes the name of a parameter or resource"));
        const QString target = QString::fromStdString(arg.get<std::string>());
        if (target == QLatin1String("AWS::NoValue"))
            return noValue();
        return m_context.ref(target, m_document.locate(path));
    }
    if (name == QLatin1String("Fn::GetAtt"))
        return getAtt(arg, path);
    if (name == QLatin1String("Fn::Sub"))
        return sub(arg, path);
    if (name == QLatin1String("Fn::Join")) {
        if (!isArrayOf(arg, 2, 2))
            return error(path, QStringLiteral("Fn::Join takes [delimiter, [values]]"));
        auto delimiter = resolveString(arg[0], TemplateDocument::childPath(path, 0), "Fn::Join");
        if (!delimiter)
            return delimiter.error();
        auto list = resolveList(arg[1], TemplateDocument::childPath(path, 1), "Fn::Join");
        if (!list)
            return list;
        QStringList parts;
        for (size_t i = 0; i < list->size(); ++i) {
            QString s;
            if (!scalarToString((*list)[i], &s))
                return error(
                    TemplateDocument::childPath(TemplateDocument::childPath(path, 1), qsizetype(i)),
                    QStringLiteral("Fn::Join: every value must be a string"));
            parts.append(s);
        }
        return Json(parts.join(*delimiter).toStdString());
    }
    if (name == QLatin1String("Fn::Select")) {
        if (!isArrayOf(arg, 2, 2))
            return error(path, QStringLiteral("Fn::Select takes [index, [values]]"));
        auto index = resolveString(arg[0], TemplateDocument::childPath(path, 0), "Fn::Select");
        if (!index)
            return index.error();
        bool ok = false;
        const qint64 i = index->toLongLong(&ok);
        if (!ok || i < 0)
            return error(path,
                QStringLiteral("Fn::Select: the index must be a number from 0, not '%1'")
                    .arg(*index));
        auto list = resolveList(arg[1], TemplateDocument::childPath(path, 1), "Fn::Select");
        if (!list)
            return list;
        if (size_t(i) >= list->size())
            return error(path,
                QStringLiteral("Fn::Select: index %1 is out of range for a list of %2 item(s)")
                    .arg(i)
                    .arg(list->size()));
        return (*list)[size_t(i)];
    }
    if (name == QLatin1String("Fn::Split")) {
        if (!isArrayOf(arg, 2, 2))
            return error(path, QStringLiteral("Fn::Split takes [delimiter, string]"));
        auto delimiter = resolveString(arg[0], TemplateDocument::childPath(path, 0), "Fn::Split");
        if (!delimiter)
            return delimiter.error();
        if (delimiter->isEmpty())
            return error(path, QStringLiteral("Fn::Split: the delimiter must not be empty"));
        auto text = resolveString(arg[1], TemplateDocument::childPath(path, 1), "Fn::Split");
        if (!text)
            return text.error();
        Json out = Json::array();
        for (const QString &part : text->split(*delimiter))
            out.push_back(part.toStdString());
        return out;
    }
    if (name == QLatin1String("Fn::If")) {
        if (!isArrayOf(arg, 3, 3) || !arg[0].is_string())
            return error(path,
                QStringLiteral("Fn::If takes [condition name, value if true, value if false]"));
        auto c = m_context.condition(QString::fromStdString(arg[0].get<std::string>()),
            m_document.locate(TemplateDocument::childPath(path, 0)));
        if (!c)
            return c.error();
        const int branch = *c ? 1 : 2;
        return resolve(arg[size_t(branch)], TemplateDocument::childPath(path, branch));
    }
    if (name == QLatin1String("Fn::Equals") || name == QLatin1String("Fn::Not")
        || name == QLatin1String("Fn::And") || name == QLatin1String("Fn::Or")) {
        Json wrapped = Json::object();
        wrapped[name.toStdString()] = arg;
        // `path` already names the function; condition() expects the object's own path.
        auto c = condition(wrapped, path.left(path.lastIndexOf(u'/')));
        if (!c)
            return c.error();
        return Json(*c);
    }
    if (name == QLatin1String("Fn::FindInMap"))
        return findInMap(arg, path);
    if (name == QLatin1String("Fn::GetAZs")) {
        auto region = resolveString(arg.is_null() ? Json("") : arg, path, "Fn::GetAZs");
        if (!region)
            return region.error();
        const QString r = region->isEmpty() ? m_context.region() : *region;
        Json out = Json::array();
        for (const char zone : {'a', 'b', 'c'})
            out.push_back(QString(r + QLatin1Char(zone)).toStdString());
        return out;
    }
    if (name == QLatin1String("Fn::Base64")) {
        auto text = resolveString(arg, path, "Fn::Base64");
        if (!text)
            return text.error();
        return Json(text->toUtf8().toBase64().toStdString());
    }
    if (name == QLatin1String("Fn::Length")) {
        auto list = resolveList(arg, path, "Fn::Length");
        if (!list)
            return list;
        return Json(qint64(list->size()));
    }
    if (name == QLatin1String("Fn::ToJsonString")) {
        auto v = resolve(arg, path);
        if (!v)
            return v;
        return Json(v->dump(-1, ' ', false, Json::error_handler_t::replace));
    }
    if (name == QLatin1String("Fn::ImportValue"))
        return unsupported(name, path,
            QStringLiteral("there are no other stacks to import from; the value is empty"),
            Json(""));
    if (name == QLatin1String("Fn::Cidr"))
        return cidr(arg, path);
    if (name == QLatin1String("Fn::Transform"))
        return unsupported(name, path,
            QStringLiteral("macros and AWS::Include are not run; the value is left out"),
            noValue());
    return error(path, QStringLiteral("unknown intrinsic function %1").arg(name));
}

Result<Json> IntrinsicResolver::getAtt(const Json &arg, const QString &path)
{
    QString resource, attribute;
    if (arg.is_string()) {
        const QString s = QString::fromStdString(arg.get<std::string>());
        const qsizetype dot = s.indexOf(u'.');
        if (dot <= 0 || dot == s.size() - 1)
            return error(
                path, QStringLiteral("Fn::GetAtt takes Resource.Attribute, not '%1'").arg(s));
        resource = s.left(dot);
        attribute = s.mid(dot + 1);
    } else if (isArrayOf(arg, 2, 2) && arg[0].is_string()) {
        resource = QString::fromStdString(arg[0].get<std::string>());
        auto a = resolveString(arg[1], TemplateDocument::childPath(path, 1), "Fn::GetAtt");
        if (!a)
            return a.error();
        attribute = *a;
    } else {
        return error(
            path, QStringLiteral("Fn::GetAtt takes [resource, attribute] or Resource.Attribute"));
    }
    return m_context.getAtt(resource, attribute, m_document.locate(path));
}

Result<Json> IntrinsicResolver::sub(const Json &arg, const QString &path)
{
    const Json *text = nullptr;
    Json vars = Json::object();
    QString textPath = path;
    if (arg.is_string()) {
        text = &arg;
    } else if (isArrayOf(arg, 1, 2) && arg[0].is_string()
        && (arg.size() == 1 || arg[1].is_object())) {
        text = &arg[0];
        textPath = TemplateDocument::childPath(path, 0);
        if (arg.size() == 2) {
            const QString varsPath = TemplateDocument::childPath(path, 1);
            for (auto it = arg[1].begin(); it != arg[1].end(); ++it) {
                const QString varPath
                    = TemplateDocument::childPath(varsPath, QString::fromStdString(it.key()));
                auto v = resolve(it.value(), varPath);
                if (!v)
                    return v;
                QString s;
                if (!scalarToString(*v, &s))
                    return error(varPath,
                        QStringLiteral("Fn::Sub: the variable %1 must be a string")
                            .arg(QString::fromStdString(it.key())));
                vars[it.key()] = s.toStdString();
            }
        }
    } else {
        return error(path, QStringLiteral("Fn::Sub takes a string, or [string, {variables}]"));
    }

    QString out;
    for (const SubPart &part : parseSub(QString::fromStdString(text->get<std::string>()))) {
        if (!part.variable) {
            out += part.text;
            continue;
        }
        const std::string key = part.text.toStdString();
        if (vars.contains(key)) {
            out += QString::fromStdString(vars[key].get<std::string>());
            continue;
        }
        Result<Json> v = Json();
        const qsizetype dot = part.text.indexOf(u'.');
        if (dot > 0 && !part.text.startsWith(QLatin1String("AWS::")))
            v = m_context.getAtt(
                part.text.left(dot), part.text.mid(dot + 1), m_document.locate(textPath));
        else
            v = m_context.ref(part.text, m_document.locate(textPath));
        if (!v)
            return v;
        QString s;
        if (!scalarToString(*v, &s))
            return error(textPath, QStringLiteral("Fn::Sub: ${%1} is not a string").arg(part.text));
        out += s;
    }
    return Json(out.toStdString());
}

Result<Json> IntrinsicResolver::cidr(const Json &arg, const QString &path)
{
    if (!isArrayOf(arg, 3, 3))
        return error(path, QStringLiteral("Fn::Cidr takes [ipBlock, count, cidrBits]"));
    QString parts[3];
    for (int i = 0; i < 3; ++i) {
        auto s = resolveString(arg[size_t(i)], TemplateDocument::childPath(path, i), "Fn::Cidr");
        if (!s)
            return s.error();
        parts[i] = *s;
    }
    const QStringList block = parts[0].split(u'/');
    const QStringList octets = block.value(0).split(u'.');
    bool ok = block.size() == 2 && octets.size() == 4;
    quint32 base = 0;
    for (const QString &o : octets) {
        bool octetOk = false;
        const uint v = o.toUInt(&octetOk);
        ok = ok && octetOk && v <= 255;
        base = (base << 8) | (v & 0xFF);
    }
    bool prefixOk = false, countOk = false, bitsOk = false;
    const int prefix = block.value(1).toInt(&prefixOk);
    const int count = parts[1].toInt(&countOk);
    const int bits = parts[2].toInt(&bitsOk);
    if (!ok || !prefixOk || prefix < 0 || prefix > 32) {
        if (parts[0].contains(u':'))
            return unsupported(QStringLiteral("Fn::Cidr"), path,
                QStringLiteral("IPv6 blocks are not computed; the value is an empty list"),
                Json::array());
        return error(
            path, QStringLiteral("Fn::Cidr: '%1' is not an IPv4 CIDR block").arg(parts[0]));
    }
    if (!countOk || count < 1 || count > 256 || !bitsOk || bits < 1 || bits > 32 - prefix)
        return error(path,
            QStringLiteral("Fn::Cidr: count must be 1 to 256 and cidrBits 1 to %1")
                .arg(32 - prefix));
    if (quint64(count) << bits > (quint64(1) << (32 - prefix)))
        return error(path,
            QStringLiteral("Fn::Cidr: %1 blocks of %2 bits do not fit in %3")
                .arg(count)
                .arg(bits)
                .arg(parts[0]));
    const quint32 mask = prefix == 0 ? 0 : ~quint32(0) << (32 - prefix);
    base &= mask;
    Json out = Json::array();
    for (int i = 0; i < count; ++i) {
        const quint32 a = base + (quint32(i) << bits);
        out.push_back(QStringLiteral("%1.%2.%3.%4/%5")
                          .arg(a >> 24)
                          .arg((a >> 16) & 0xFF)
                          .arg((a >> 8) & 0xFF)
                          .arg(a & 0xFF)
                          .arg(32 - bits)
                          .toStdString());
    }
    return out;
}

Result<Json> IntrinsicResolver::findInMap(const Json &arg, const QString &path)
{
    if (!isArrayOf(arg, 3, 4))
        return error(
            path, QStringLiteral("Fn::FindInMap takes [map, top-level key, second-level key]"));
    QString keys[3];
    for (int i = 0; i < 3; ++i) {
        auto k
            = resolveString(arg[size_t(i)], TemplateDocument::childPath(path, i), "Fn::FindInMap");
        if (!k)
            return k.error();
        keys[i] = *k;
    }
    const Json &mappings = m_context.mappings();
    const std::string map = keys[0].toStdString(), top = keys[1].toStdString(),
                      second = keys[2].toStdString();
    if (mappings.is_object() && mappings.contains(map) && mappings[map].is_object()
        && mappings[map].contains(top) && mappings[map][top].is_object()
        && mappings[map][top].contains(second))
        return resolve(mappings[map][top][second], QStringLiteral("/Mappings"));
    // AWS::LanguageExtensions: [map, top, second, {DefaultValue: …}]
    if (arg.size() == 4 && arg[3].is_object() && arg[3].contains("DefaultValue"))
        return resolve(arg[3]["DefaultValue"],
            TemplateDocument::childPath(
                TemplateDocument::childPath(path, 3), QStringLiteral("DefaultValue")));
    if (!mappings.is_object() || !mappings.contains(map))
        return error(path, QStringLiteral("Fn::FindInMap: there is no mapping %1").arg(keys[0]));
    if (!mappings[map].is_object() || !mappings[map].contains(top))
        return error(path,
            QStringLiteral("Fn::FindInMap: the mapping %1 has no key %2").arg(keys[0], keys[1]));
    return error(
        path, QStringLiteral("Fn::FindInMap: %1.%2 has no key %3").arg(keys[0], keys[1], keys[2]));
}

Result<bool> IntrinsicResolver::condition(const Json &value, const QString &path)
{
    if (value.is_boolean())
        return value.get<bool>();
    if (value.is_string()) {
        const std::string &s = value.get_ref<const std::string &>();
        if (s == "true" || s == "false")
            return s == "true";
    }
    if (value.is_object() && value.size() == 1 && value.begin().key() == "Condition") {
        const QString inner = TemplateDocument::childPath(path, QStringLiteral("Condition"));
        if (!value.begin().value().is_string())
            return error(inner, QStringLiteral("Condition takes the name of a condition"));
        return m_context.condition(QString::fromStdString(value.begin().value().get<std::string>()),
            m_document.locate(inner));
    }
    const QString name = intrinsicName(value);
    const QString inner = TemplateDocument::childPath(path, name);
    const Json &arg = name.isEmpty() ? value : value.begin().value();
    if (name == QLatin1String("Fn::Equals")) {
        if (!isArrayOf(arg, 2, 2))
            return error(inner, QStringLiteral("Fn::Equals takes [value, value]"));
        Json sides[2];
        for (int i = 0; i < 2; ++i) {
            auto v = resolve(arg[size_t(i)], TemplateDocument::childPath(inner, i));
            if (!v)
                return v.error();
            sides[i] = std::move(*v);
        }
        QString a, b;
        if (scalarToString(sides[0], &a) && scalarToString(sides[1], &b))
            return a == b;
        return sides[0] == sides[1];
    }
    if (name == QLatin1String("Fn::Not")) {
        if (!isArrayOf(arg, 1, 1))
            return error(inner, QStringLiteral("Fn::Not takes [condition]"));
        auto c = condition(arg[0], TemplateDocument::childPath(inner, 0));
        if (!c)
            return c;
        return !*c;
    }
    if (name == QLatin1String("Fn::And") || name == QLatin1String("Fn::Or")) {
        const bool isAnd = name == QLatin1String("Fn::And");
        if (!isArrayOf(arg, 2, 10))
            return error(inner, QStringLiteral("%1 takes 2 to 10 conditions").arg(name));
        bool result = isAnd;
        for (size_t i = 0; i < arg.size(); ++i) {
            // Every argument is checked, as CloudFormation does, so a broken condition
            // cannot hide behind a short circuit.
            auto c = condition(arg[i], TemplateDocument::childPath(inner, qsizetype(i)));
            if (!c)
                return c;
            result = isAnd ? (result && *c) : (result || *c);
        }
        return result;
    }
    if (!name.isEmpty()) {
        auto v = resolve(value, path);
        if (!v)
            return v.error();
        if (v->is_boolean() || (v->is_string() && (*v == "true" || *v == "false")))
            return condition(*v, path);
        return error(path, QStringLiteral("%1 does not give true or false").arg(name));
    }
    return error(path,
        QStringLiteral("not a condition: expected Fn::Equals, Fn::And, Fn::Or, Fn::Not or "
                       "Condition"));
}

} // namespace tarmac
