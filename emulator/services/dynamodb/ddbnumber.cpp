#include "services/dynamodb/ddbnumber.h"

#include <algorithm>
#include <cstdlib>

namespace tarmac {

namespace {

Error validation(const QString &message)
{
    return makeError(QStringLiteral("ValidationException"), message, 400);
}

Error overflow()
{
    return validation(QStringLiteral("Number overflow. Attempting to store a number with magnitude "
                                     "larger than supported range"));
}

Error underflow()
{
    return validation(QStringLiteral("Number underflow. Attempting to store a number with "
                                     "magnitude smaller than supported range"));
}

Error tooManyDigits()
{
    return validation(
        QStringLiteral("Attempting to store more than 38 significant digits in a Number"));
}

bool isAsciiDigit(QChar c)
{
    return c.unicode() >= u'0' && c.unicode() <= u'9';
}

// An exponent past this is out of range whatever the digits; capping it keeps the arithmetic
// of "1e99999999999999999999" in qint64.
constexpr qint64 kExponentCap = 1'000'000'000'000'000;

// Digits an exact sum of two numbers in range can span: from the highest leading digit (and a
// carry) down to the lowest last digit, 1E-130's 38th.
constexpr int kSumWidth
    = DdbNumber::kMaxExponent + 2 - (DdbNumber::kMinExponent - DdbNumber::kMaxDigits + 1) + 1;

// sortKey's first byte: negatives, then zero, then positives.
constexpr char kNegative = 0x01;
constexpr char kZero = 0x02;
constexpr char kPositive = 0x03;

} // namespace

Result<DdbNumber> DdbNumber::parse(QStringView text)
{
    // DynamoDB's two wordings: without the text when it is empty, with it otherwise.
    if (text.isEmpty())
        return validation(QStringLiteral("The parameter cannot be converted to a numeric value"));
    const auto notNumeric = [text] {
        return validation(
            QStringLiteral("The parameter cannot be converted to a numeric value: %1").arg(text));
    };
    DdbNumber n;
    qsizetype i = 0;
    if (text[0] == u'+' || text[0] == u'-') {
        n.m_negative = text[0] == u'-';
        ++i;
    }
    // The mantissa's digits are counted from its first; the first and last that are not zero
    // bound the significant ones, of which the first 38 are kept (the array starts as zeros).
    qint64 digits = 0;
    qint64 beforePoint = -1;
    qint64 first = -1;
    qint64 last = -1;
    for (; i < text.size(); ++i) {
        const QChar c = text[i];
        if (c == u'.') {
            if (beforePoint >= 0)
                return notNumeric();
            beforePoint = digits;
            continue;
        }
        if (!isAsciiDigit(c))
            break;
        const int d = c.unicode() - u'0';
        if (d != 0) {
            if (first < 0)
                first = digits;
            if (digits - first < kMaxDigits)
                n.m_digits[size_t(digits - first)] = quint8(d);
            last = digits;
        }
        ++digits;
    }
    if (digits == 0)
        return notNumeric();
    if (beforePoint < 0)
        beforePoint = digits;
    qint64 exponent = 0;
    if (i < text.size() && (text[i] == u'e' || text[i] == u'E')) {
        ++i;
        bool negativeExponent = false;
        if (i < text.size() && (text[i] == u'+' || text[i] == u'-')) {
            negativeExponent = text[i] == u'-';
            ++i;
        }
        const qsizetype start = i;
        for (; i < text.size() && isAsciiDigit(text[i]); ++i) {
            if (exponent < kExponentCap)
                exponent = exponent * 10 + (text[i].unicode() - u'0');
        }
        if (i == start)
            return notNumeric();
        if (negativeExponent)
            exponent = -exponent;
    }
    if (i != text.size())
        return notNumeric();
    // Zero has no magnitude to check: "0e1000" and "-0" are 0.
    if (first < 0)
        return DdbNumber();
    const qint64 leading = beforePoint - 1 - first + exponent;
    if (leading > kMaxExponent)
        return overflow();
    if (leading < kMinExponent)
        return underflow();
    if (last - first + 1 > kMaxDigits)
        return tooManyDigits();
    n.m_count = quint8(last - first + 1);
    n.m_exponent = qint16(leading);
    return n;
}

QString DdbNumber::toString() const
{
    if (isZero())
        return QStringLiteral("0");
    const int count = m_count;
    const int e = m_exponent;
    QString out;
    out.reserve(std::max(count, std::abs(e) + 2) + 2);
    if (m_negative)
        out += u'-';
    const auto digit = [this](int k) { return QChar(u'0' + m_digits[size_t(k)]); };
    if (e < 0) {
        out += QStringLiteral("0.");
        out += QString(-e - 1, u'0');
        for (int k = 0; k < count; ++k)
            out += digit(k);
    } else {
        for (int k = 0; k < count; ++k) {
            if (k == e + 1)
                out += u'.';
            out += digit(k);
        }
        if (e >= count)
            out += QString(e - count + 1, u'0');
    }
    return out;
}

int DdbNumber::compareMagnitude(const DdbNumber &other) const
{
    if (isZero() || other.isZero())
        return int(!isZero()) - int(!other.isZero());
    if (m_exponent != other.m_exponent)
        return m_exponent < other.m_exponent ? -1 : 1;
    const int shared = std::min(m_count, other.m_count);
    for (int k = 0; k < shared; ++k) {
        if (m_digits[size_t(k)] != other.m_digits[size_t(k)])
            return m_digits[size_t(k)] < other.m_digits[size_t(k)] ? -1 : 1;
    }
    // No trailing zeros: the longer one has more after the shared digits.
    return m_count == other.m_count ? 0 : (m_count < other.m_count ? -1 : 1);
}

int DdbNumber::compare(const DdbNumber &other) const
{
    const int sign = isZero() ? 0 : (m_negative ? -1 : 1);
    const int otherSign = other.isZero() ? 0 : (other.m_negative ? -1 : 1);
    if (sign != otherSign)
        return sign < otherSign ? -1 : 1;
    const int magnitude = compareMagnitude(other);
    return m_negative ? -magnitude : magnitude;
}

Result<DdbNumber> DdbNumber::add(const DdbNumber &other) const
{
    if (other.isZero())
        return *this;
    if (isZero())
        return other;
    const int magnitude = compareMagnitude(other);
    const bool sameSign = m_negative == other.m_negative;
    if (!sameSign && magnitude == 0)
        return DdbNumber();
    // The larger magnitude gives the sign; the smaller is added to or taken from it, digit by
    // digit in one array indexed by power of ten from `low`, exact.
    const DdbNumber &big = magnitude >= 0 ? *this : other;
    const DdbNumber &small = magnitude >= 0 ? other : *this;
    const int low = std::min(m_exponent - m_count + 1, other.m_exponent - other.m_count + 1);
    const int width = std::max(m_exponent, other.m_exponent) + 2 - low;
    std::array<int, kSumWidth> acc {};
    for (int k = 0; k < big.m_count; ++k)
        acc[size_t(big.m_exponent - k - low)] += big.m_digits[size_t(k)];
    const int sign = sameSign ? 1 : -1;
    for (int k = 0; k < small.m_count; ++k)
        acc[size_t(small.m_exponent - k - low)] += sign * small.m_digits[size_t(k)];
    int carry = 0;
    for (int k = 0; k < width; ++k) {
        const int v = acc[size_t(k)] + carry;
        carry = v >= 10 ? 1 : (v < 0 ? -1 : 0);
        acc[size_t(k)] = v - carry * 10;
    }
    int high = width - 1;
    while (acc[size_t(high)] == 0)
        --high;
    int lowest = 0;
    while (acc[size_t(lowest)] == 0)
        ++lowest;
    const int leading = low + high;
    if (leading > kMaxExponent)
        return overflow();
    if (leading < kMinExponent)
        return underflow();
    // DynamoDB answers a result that would need rounding (1E+50 + 1) with its overflow
    // message, not the 38-digit one (seen by ScyllaDB's Alternator tests against AWS).
    if (high - lowest + 1 > kMaxDigits)
        return overflow();
    DdbNumber out;
    out.m_negative = big.m_negative;
    out.m_exponent = qint16(leading);
    out.m_count = quint8(high - lowest + 1);
    for (int k = 0; k < out.m_count; ++k)
        out.m_digits[size_t(k)] = quint8(acc[size_t(high - k)]);
    return out;
}

Result<DdbNumber> DdbNumber::subtract(const DdbNumber &other) const
{
    DdbNumber negated = other;
    negated.m_negative = !other.isZero() && !other.m_negative;
    return add(negated);
}

int DdbNumber::storedSize() const
{
    return isZero() ? 1 : storedSize(m_count, m_exponent, m_negative);
}

int DdbNumber::storedSize(int count, int exponent, bool negative)
{
    // Digits go in base-100 pairs aligned on the decimal point (1.2 is 01|20, 12 is 12): an
    // even count needs one pair more when the leading digit starts a pair of its own.
    const int pairs = (count + 1) / 2 + ((count % 2 == 0 && exponent % 2 == 0) ? 1 : 0);
    return 1 + pairs + (negative ? 1 : 0);
}

QByteArray DdbNumber::sortKey() const
{
    // A sign byte; the leading digit's exponent, which fits a byte exactly (-130 to 125); then
    // the digits two to a byte as 1 to 100 (an odd last digit paired with 0), shorter first
    // where one is a prefix of the other. A negative number inverts the exponent and digit
    // bytes and ends with 0xFF, above any inverted digit byte, so that of two negatives with
    // a shared prefix the longer (larger magnitude) sorts first.
    if (isZero())
        return QByteArray(1, kZero);
    QByteArray out;
    out.reserve(3 + (m_count + 1) / 2);
    out += m_negative ? kNegative : kPositive;
    const int exponentByte = m_exponent - kMinExponent;
    out += char(m_negative ? 255 - exponentByte : exponentByte);
    for (int k = 0; k < m_count; k += 2) {
        const int second = k + 1 < m_count ? m_digits[size_t(k + 1)] : 0;
        const int pair = m_digits[size_t(k)] * 10 + second + 1;
        out += char(m_negative ? 255 - pair : pair);
    }
    if (m_negative)
        out += char(0xFF);
    return out;
}

} // namespace tarmac
