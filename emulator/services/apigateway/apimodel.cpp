#include "services/apigateway/apimodel.h"

#include "http/httpmessage.h"

namespace tarmac {

QString ApiRoute::routeKey() const
{
    if (path == QLatin1String("$default"))
        return path;
    return method + u' ' + path;
}

const ApiAuthorizer *ApiDefinition::authorizerFor(const ApiRoute &route) const
{
    const QString name = route.authorizer.isEmpty() ? defaultAuthorizer : route.authorizer;
    if (name.isEmpty() || name == QLatin1String("NONE"))
        return nullptr;
    for (const ApiAuthorizer &a : authorizers) {
        if (a.name == name)
            return &a;
    }
    return nullptr;
}

QStringList pathSegments(const QByteArray &rawPath)
{
    QStringList out;
    const QList<QByteArray> parts = rawPath.split('/');
    // "/a/b" splits to {"", "a", "b"}; a trailing slash ("/a/") is the same resource.
    qsizetype end = parts.size();
    if (end > 1 && parts.last().isEmpty())
        --end;
    for (qsizetype i = 1; i < end; ++i)
        out.append(QString::fromUtf8(percentDecode(parts[i], false)));
    return out;
}

RouteTable::Compiled RouteTable::compile(const ApiRoute &route, const ApiDefinition &api)
{
    Compiled c {&route, &api, {}, {}, route.method == QLatin1String("ANY"), false};
    if (route.path == QLatin1String("$default")) {
        c.isDefault = true;
        return c;
    }
    for (const QString &segment : pathSegments(route.path.toUtf8())) {
        if (segment.size() > 2 && segment.startsWith(u'{')
            && segment.endsWith(QLatin1String("+}"))) {
            c.parts.append(Part::Greedy);
            c.texts.append(segment.mid(1, segment.size() - 3));
        } else if (segment.size() > 2 && segment.startsWith(u'{') && segment.endsWith(u'}')) {
            c.parts.append(Part::Parameter);
            c.texts.append(segment.mid(1, segment.size() - 2));
        } else {
            c.parts.append(Part::Literal);
            c.texts.append(segment);
        }
    }
    return c;
}

bool RouteTable::matches(
    const Compiled &c, const QStringList &segments, QList<std::pair<QString, QString>> *parameters)
{
    if (c.isDefault)
        return true;
    for (qsizetype i = 0; i < c.parts.size(); ++i) {
        if (c.parts[i] == Part::Greedy) {
            if (i >= segments.size() || i + 1 != c.parts.size())
                return false;
            if (parameters)
                parameters->append({c.texts[i], segments.mid(i).join(u'/')});
            return true;
        }
        if (i >= segments.size())
            return false;
        if (c.parts[i] == Part::Literal) {
            if (segments[i] != c.texts[i])
                return false;
        } else {
            if (segments[i].isEmpty())
                return false;
            if (parameters)
                parameters->append({c.texts[i], segments[i]});
        }
    }
    return c.parts.size() == segments.size();
}

// Whether a is the better of two routes that both match a request.
bool RouteTable::moreSpecific(const Compiled &a, const Compiled &b)
{
    if (a.isDefault != b.isDefault)
        return b.isDefault;
    const qsizetype n = qMin(a.parts.size(), b.parts.size());
    for (qsizetype i = 0; i < n; ++i) {
        if (a.parts[i] != b.parts[i])
            return a.parts[i] > b.parts[i];
    }
    if (a.parts.size() != b.parts.size())
        return a.parts.size() > b.parts.size();
    return !a.any && b.any;
}

QStringList RouteTable::add(const ApiDefinition &api)
{
    QStringList conflicts;
    for (const ApiRoute &route : api.routes) {
        Compiled c = compile(route, api);
        bool taken = false;
        for (const Compiled &other : std::as_const(m_routes)) {
            if (other.parts == c.parts && other.isDefault == c.isDefault
                && other.route->method == route.method
                && (c.isDefault
                    || std::equal(c.texts.cbegin(), c.texts.cend(), other.texts.cbegin(),
                        [&, i = qsizetype(0)](const QString &x, const QString &y) mutable {
                            // Parameter names do not make routes different.
                            return c.parts[i++] != Part::Literal || x == y;
                        }))) {
                const QString apiName = api.logicalId.isEmpty() ? api.name : api.logicalId;
                const QString otherName
                    = other.api->logicalId.isEmpty() ? other.api->name : other.api->logicalId;
                conflicts.append(
                    QStringLiteral("route %1 of %2 (%3) is also a route of %4 (%5): the plain "
                                   "path serves %4's; %2's is at its own address")
                        .arg(route.routeKey(), apiName, route.origin, otherName,
                            other.route->origin));
                taken = true;
                break;
            }
        }
        if (!taken)
            m_routes.append(std::move(c));
    }
    return conflicts;
}

std::optional<RouteMatch> RouteTable::match(
    const QByteArray &method, const QStringList &segments) const
{
    const Compiled *best = nullptr;
    for (const Compiled &c : m_routes) {
        if (!c.any && c.route->method.toLatin1() != method)
            continue;
        if (!matches(c, segments, nullptr))
            continue;
        if (!best || moreSpecific(c, *best))
            best = &c;
    }
    if (!best)
        return std::nullopt;
    RouteMatch m;
    m.route = best->route;
    m.api = best->api;
    matches(*best, segments, &m.pathParameters);
    return m;
}

bool RouteTable::hasPath(const QStringList &segments) const
{
    for (const Compiled &c : m_routes) {
        if (!c.isDefault && matches(c, segments, nullptr))
            return true;
    }
    return false;
}

} // namespace tarmac
