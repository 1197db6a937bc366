#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <optional>
#include <utility>

namespace tarmac {

// The segments of a raw request path: split at '/', empty segments dropped (a trailing or
// doubled slash changes nothing), each percent-decoded ('+' stays '+', as in paths).
QList<QByteArray> restPathSegments(QByteArrayView rawPath);

// What a matched route's {Name} captures hold, percent-decoded.
class RestPathParams
{
public:
    // Empty when the route has no capture of that name.
    QByteArray value(QByteArrayView name) const;
    QString text(QByteArrayView name) const { return QString::fromUtf8(value(name)); }

private:
    friend class RestPattern;
    QList<std::pair<QByteArray, QByteArray>> m_values;
};

// One path pattern of a REST API: literal segments and {Name} captures of one whole segment,
// "/2015-03-31/functions/{FunctionName}/configuration". A capture matches any non-empty
// segment; there are no optional or greedy parts, which no API here needs.
class RestPattern
{
public:
    explicit RestPattern(QByteArrayView pattern);
    bool match(const QList<QByteArray> &segments, RestPathParams *params) const;

private:
    struct Segment
    {
        QByteArray text; // the literal, or the capture's name
        bool capture = false;
    };
    QList<Segment> m_segments;
};

// One route table for a REST API: method and path pattern to the operation's name and the
// function that serves it (a member function pointer, typically). Routes are tried in the
// order they were added and the first that matches wins. Built once, then only read: match()
// is safe from any thread.
template<typename Operation>
class RestRoutes
{
public:
    struct Route
    {
        QByteArray method;
        RestPattern pattern;
        QString name;
        Operation operation;
    };
    struct Match
    {
        const Route *route;
        RestPathParams params;
    };

    RestRoutes &add(QByteArray method, QByteArrayView pattern, QString name, Operation operation)
    {
        m_routes.append(
            Route {std::move(method), RestPattern(pattern), std::move(name), std::move(operation)});
        return *this;
    }

    std::optional<Match> match(const QByteArray &method, QByteArrayView rawPath) const
    {
        const QList<QByteArray> segments = restPathSegments(rawPath);
        Match m {nullptr, {}};
        for (const Route &route : m_routes) {
            if (route.method == method && route.pattern.match(segments, &m.params)) {
                m.route = &route;
                return m;
            }
        }
        return std::nullopt;
    }

    const QList<Route> &routes() const { return m_routes; }

private:
    QList<Route> m_routes;
};

} // namespace tarmac
