#pragma once

// What the API Gateway unit tests share.

#include <QStringList>

#include <initializer_list>

// A list of ASCII strings (the build forbids implicit conversions from char *).
inline QStringList L(std::initializer_list<const char *> items)
{
    QStringList out;
    for (const char *s : items)
        out.append(QString::fromUtf8(s));
    return out;
}

// Json compared as its text, so that a failure shows both (QCOMPARE cannot print a Json).
#define JCOMPARE(actual, expected)                                                                 \
    QCOMPARE(QString::fromStdString(Json(actual).dump()),                                          \
        QString::fromStdString(Json(expected).dump()))
