#pragma once

#include "base/result.h"

#include <QByteArray>
#include <QString>
#include <QStringView>

#include <array>

namespace tarmac {

// DynamoDB's number (N): a decimal of at most 38 significant digits whose magnitude lies
// between 1E-130 and 9.9999999999999999999999999999999999999E+125, or zero. Everything is
// exact decimal arithmetic, no binary floating point: 0.1 + 0.2 is 0.3.
//
// Kept normalised (no leading or trailing zeros, no negative zero), so that equal numbers are
// equal however the client wrote them ("1.50", "15e-1", "+001.5").
class DdbNumber
{
public:
    static constexpr int kMaxDigits = 38;
    // The power of ten of the leading digit: 9.99...E+125 is the largest, 1E-130 the smallest.
    static constexpr int kMaxExponent = 125;
    static constexpr int kMinExponent = -130;

    DdbNumber() = default; // zero

    // AWS's syntax: an optional sign, digits with an optional fraction (".5" and "5." too), an
    // optional exponent ("1e+5", "-17.4E37"); no spaces, NaN or Infinity. Errors are
    // ValidationExceptions worded as DynamoDB's.
    static Result<DdbNumber> parse(QStringView text);

    // The text DynamoDB answers with: plain digits, never an exponent ("1e2" is "100", 1E-130
    // is "0." and 129 zeros and "1"), no "+" and no "-0".
    QString toString() const;

    // Exact. A result outside the range, or needing more than 38 digits (1E+50 + 1), is a
    // ValidationException as DynamoDB's update arithmetic answers it.
    Result<DdbNumber> add(const DdbNumber &other) const;
    Result<DdbNumber> subtract(const DdbNumber &other) const;

    // -1, 0 or 1.
    int compare(const DdbNumber &other) const;
    friend bool operator==(const DdbNumber &a, const DdbNumber &b) { return a.compare(b) == 0; }

    bool isZero() const { return m_count == 0; }
    bool isNegative() const { return m_negative; }
    int significantDigits() const { return m_count; }

    // The bytes the number counts for in an item's size: an exponent byte, one byte per pair of
    // digits aligned on the decimal point, and one more for a negative number (what DynamoDB
    // measures; its guide rounds this to "1 byte per two significant digits + 1 byte").
    int storedSize() const;
    // The same for a non-zero number of `count` significant digits whose leading digit has
    // `exponent`: what a caller that has not parsed the number (a plain integer) can use.
    static int storedSize(int count, int exponent, bool negative);

    // Bytes whose memcmp order is the numbers' order (a SQLite BLOB index on N keys).
    QByteArray sortKey() const;

private:
    int compareMagnitude(const DdbNumber &other) const;

    std::array<quint8, kMaxDigits> m_digits {}; // 0 to 9; the first and last are not 0
    quint8 m_count = 0; // 0 for zero
    qint16 m_exponent = 0; // of m_digits[0]
    bool m_negative = false;
};

} // namespace tarmac
