// DdbNumber: DynamoDB's decimal N type. What clients may send and how DynamoDB writes it back,
// its messages for what it refuses (38 digits, 1E-130 to 9.99...E+125), exact arithmetic at
// those limits, the sizes it counts, and sort keys whose byte order is the numbers' order.
#include "services/dynamodb/ddbnumber.h"

#include <QRandomGenerator>
#include <QTest>

#include <algorithm>
#include <cstring>

using namespace tarmac;

namespace {

const QString kNotNumeric = QStringLiteral("The parameter cannot be converted to a numeric value");
const QString kOverflow = QStringLiteral(
    "Number overflow. Attempting to store a number with magnitude larger than supported range");
const QString kUnderflow = QStringLiteral(
    "Number underflow. Attempting to store a number with magnitude smaller than supported range");
const QString kDigits
    = QStringLiteral("Attempting to store more than 38 significant digits in a Number");

QString repeat(QChar c, int n)
{
    return QString(n, c);
}

// 1E<k> written out as DynamoDB writes it.
QString powerOfTen(int k)
{
    if (k >= 0)
        return QStringLiteral("1") + repeat(u'0', k);
    return QStringLiteral("0.") + repeat(u'0', -k - 1) + QStringLiteral("1");
}

// Significant digits whose leading one has exponent e, written out in full: the test's own
// statement of DynamoDB's plain notation.
QString plain(const QString &digits, int e)
{
    if (e < 0)
        return QStringLiteral("0.") + repeat(u'0', -e - 1) + digits;
    if (e + 1 >= digits.size())
        return digits + repeat(u'0', e + 1 - int(digits.size()));
    return digits.left(e + 1) + u'.' + digits.mid(e + 1);
}

// The largest number, 38 nines and 88 zeros.
QString largest()
{
    return repeat(u'9', 38) + repeat(u'0', 88);
}

// The smallest magnitude, 1E-130.
QString smallest()
{
    return powerOfTen(-130);
}

DdbNumber number(const QString &text)
{
    auto n = DdbNumber::parse(text);
    if (!n)
        qWarning("not a number: %s", qPrintable(text));
    return n ? *n : DdbNumber();
}

int signOf(int c)
{
    return (c > 0) - (c < 0);
}

int memcmpOrder(const QByteArray &a, const QByteArray &b)
{
    const int c = std::memcmp(a.constData(), b.constData(), size_t(std::min(a.size(), b.size())));
    if (c != 0)
        return signOf(c);
    return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

// A number in range: 1 to 38 digits, the leading one's exponent anywhere from -130 to 125,
// either sign, written in scientific notation; zero one time in twenty.
QString randomNumber(QRandomGenerator &rng)
{
    if (rng.bounded(20) == 0)
        return QStringLiteral("0");
    const int count = 1 + rng.bounded(38);
    QString digits;
    digits += QChar(u'1' + rng.bounded(9));
    for (int k = 1; k < count; ++k)
        digits += QChar(u'0' + rng.bounded(10));
    // Few distinct exponents and short digit strings now and then, so that equal exponents
    // and shared prefixes are common.
    const int exponent = rng.bounded(4) == 0 ? rng.bounded(-2, 3) : rng.bounded(-130, 126);
    QString text = rng.bounded(2) ? QStringLiteral("-") : QString();
    text += digits.left(1);
    if (digits.size() > 1)
        text += u'.' + digits.mid(1);
    return text + QStringLiteral("e%1").arg(exponent);
}

// An exact decimal with nine places held in an __int128: the reference for the arithmetic.
using Fixed = __int128;
constexpr int kPlaces = 9;

QString fixedText(Fixed v)
{
    const bool negative = v < 0;
    if (negative)
        v = -v;
    QString digits;
    do {
        digits.prepend(QChar(u'0' + int(v % 10)));
        v /= 10;
    } while (v > 0);
    while (digits.size() <= kPlaces)
        digits.prepend(u'0');
    return (negative ? QStringLiteral("-") : QString()) + digits.left(digits.size() - kPlaces)
        + u'.' + digits.right(kPlaces);
}

} // namespace

class TestDdbNumber : public QObject
{
    Q_OBJECT
private slots:
    void parse_data();
    void parse();
    void arithmetic_data();
    void arithmetic();
    void arithmeticMatchesExactIntegers();
    void arithmeticProperties();
    void compare_data();
    void compare();
    void sortKeysOrderAsNumbers();
    void sortKeysOfChosenNeighbours();
    void storedSize_data();
    void storedSize();
    void zeroAndDefault();
};

void TestDdbNumber::parse_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("canonical"); // empty: refused
    QTest::addColumn<QString>("error");
    const auto ok = [](const QString &text, const QString &canonical) {
        QTest::newRow(qPrintable(text.left(60))) << text << canonical << QString();
    };
    const auto bad = [](const QString &text, const QString &error) {
        QTest::newRow(qPrintable(QStringLiteral("bad ") + text.left(60)))
            << text << QString() << error;
    };
    const auto notNumeric
        = [&](const QString &text) { bad(text, kNotNumeric + QStringLiteral(": ") + text); };

    // Zeros, however written, are "0".
    for (const char *zero : {"0", "-0", "+0", "00", "0.000", ".0", "0.", "-0.0e5", "0e1000",
             "0e-1000", "0E+99999999999999999999", "-000.000e-7"})
        ok(QString::fromLatin1(zero), QStringLiteral("0"));
    // Signs, leading and trailing zeros, points and exponents normalise away.
    ok(QStringLiteral("1"), QStringLiteral("1"));
    ok(QStringLiteral("+1"), QStringLiteral("1"));
    ok(QStringLiteral("+01"), QStringLiteral("1"));
    ok(QStringLiteral("-1"), QStringLiteral("-1"));
    ok(QStringLiteral("1.50"), QStringLiteral("1.5"));
    ok(QStringLiteral("-1.50"), QStringLiteral("-1.5"));
    ok(QStringLiteral("15e-1"), QStringLiteral("1.5"));
    ok(QStringLiteral("0.15E1"), QStringLiteral("1.5"));
    ok(QStringLiteral("1e2"), QStringLiteral("100"));
    ok(QStringLiteral("1E2"), QStringLiteral("100"));
    ok(QStringLiteral("1e+2"), QStringLiteral("100"));
    ok(QStringLiteral("1.e2"), QStringLiteral("100"));
    ok(QStringLiteral("1."), QStringLiteral("1"));
    ok(QStringLiteral("5."), QStringLiteral("5"));
    ok(QStringLiteral(".5"), QStringLiteral("0.5"));
    ok(QStringLiteral("-.5"), QStringLiteral("-0.5"));
    ok(QStringLiteral("+.5"), QStringLiteral("0.5"));
    ok(QStringLiteral(".123"), QStringLiteral("0.123"));
    ok(QStringLiteral("0.1"), QStringLiteral("0.1"));
    ok(QStringLiteral("0.000123"), QStringLiteral("0.000123"));
    ok(QStringLiteral("123.456"), QStringLiteral("123.456"));
    ok(QStringLiteral("123.4560000"), QStringLiteral("123.456"));
    ok(QStringLiteral("00123.456e0"), QStringLiteral("123.456"));
    ok(QStringLiteral("12345e-2"), QStringLiteral("123.45"));
    ok(QStringLiteral("12345e-5"), QStringLiteral("0.12345"));
    ok(QStringLiteral("12345e-7"), QStringLiteral("0.0012345"));
    ok(QStringLiteral("1e-1"), QStringLiteral("0.1"));
    ok(QStringLiteral("1e-5"), QStringLiteral("0.00001"));
    ok(QStringLiteral("1e+5"), QStringLiteral("100000"));
    ok(QStringLiteral("1e05"), QStringLiteral("100000"));
    ok(QStringLiteral("3"), QStringLiteral("3"));
    ok(QStringLiteral("-7.1234"), QStringLiteral("-7.1234"));
    ok(QStringLiteral("-17e5"), QStringLiteral("-1700000"));
    ok(QStringLiteral("-17.4E37"), QStringLiteral("-174") + repeat(u'0', 36));
    ok(QStringLiteral("0001.23"), QStringLiteral("1.23"));
    ok(QStringLiteral("1000"), QStringLiteral("1000"));
    ok(QStringLiteral("1000.000"), QStringLiteral("1000"));
    ok(QStringLiteral("10.01"), QStringLiteral("10.01"));
    ok(QStringLiteral("-0.0010"), QStringLiteral("-0.001"));
    ok(QStringLiteral("100e-2"), QStringLiteral("1"));
    ok(QStringLiteral("0.001e3"), QStringLiteral("1"));
    ok(QStringLiteral("9223372036854775808"), QStringLiteral("9223372036854775808"));
    ok(QStringLiteral("-9223372036854775809"), QStringLiteral("-9223372036854775809"));
    ok(QStringLiteral("18446744073709551616"), QStringLiteral("18446744073709551616"));
    ok(QStringLiteral("0.30000000000000004"), QStringLiteral("0.30000000000000004"));
    // The limits, and DynamoDB's own examples of them (dynalite's tests, run against AWS).
    ok(QStringLiteral("1e125"), powerOfTen(125));
    ok(QStringLiteral("-1e125"), QStringLiteral("-") + powerOfTen(125));
    ok(QStringLiteral("9.99999999e125"), QStringLiteral("999999999") + repeat(u'0', 117));
    ok(QStringLiteral("9.9999999999999999999999999999999999999E+125"), largest());
    ok(QStringLiteral("-9.9999999999999999999999999999999999999E+125"),
        QStringLiteral("-") + largest());
    ok(QStringLiteral("0009.99999999999999999999999999999999999990000e125"), largest());
    ok(largest(), largest());
    ok(QStringLiteral("1e-130"), smallest());
    ok(QStringLiteral("-1e-130"), QStringLiteral("-") + smallest());
    ok(QStringLiteral("0001.000e-130"), smallest());
    ok(QStringLiteral("-0001.000e-130"), QStringLiteral("-") + smallest());
    ok(smallest(), smallest());
    ok(QStringLiteral("10e-131"), smallest());
    ok(QStringLiteral("0.1e-129"), smallest());
    ok(QStringLiteral("100e123"), powerOfTen(125));
    ok(QStringLiteral("0.01e127"), powerOfTen(125));
    ok(QStringLiteral("1.234e-130"),
        QStringLiteral("0.") + repeat(u'0', 129) + QStringLiteral("1234"));
    ok(QStringLiteral("1.2345678901234567890123456789012345678e-130"),
        QStringLiteral("0.") + repeat(u'0', 129)
            + QStringLiteral("12345678901234567890123456789012345678"));
    // 38 significant digits, wherever the point and however many zeros around them.
    ok(QStringLiteral("12345678901234567890123456789012345678"),
        QStringLiteral("12345678901234567890123456789012345678"));
    ok(QStringLiteral("0000012345678901234567890123456789012345678"),
        QStringLiteral("12345678901234567890123456789012345678"));
    ok(QStringLiteral("-00001.23456789012345678901234567890123456780000"),
        QStringLiteral("-1.2345678901234567890123456789012345678"));
    ok(QStringLiteral("3.1415926535897932384626433832795028841"),
        QStringLiteral("3.1415926535897932384626433832795028841"));
    ok(QStringLiteral("314159265358979323846.26433832795028841"),
        QStringLiteral("314159265358979323846.26433832795028841"));
    ok(QStringLiteral("31415926535897932384626433832795028841e30"),
        QStringLiteral("31415926535897932384626433832795028841") + repeat(u'0', 30));
    ok(QStringLiteral("1") + repeat(u'0', 36) + QStringLiteral("1"),
        QStringLiteral("1") + repeat(u'0', 36) + QStringLiteral("1"));
    // Every power of ten in range, both ways round.
    for (int k = DdbNumber::kMinExponent; k <= DdbNumber::kMaxExponent; ++k)
        ok(QStringLiteral("1e%1").arg(k), powerOfTen(k));
    for (int k = DdbNumber::kMinExponent; k <= DdbNumber::kMaxExponent; k += 3) {
        ok(QStringLiteral("-25E%1").arg(k - 1), u'-' + plain(QStringLiteral("25"), k));
        ok(QStringLiteral("0.000123456789e%1").arg(k + 4), plain(QStringLiteral("123456789"), k));
    }

    // Not numbers: DynamoDB's message quotes the text, except an empty one.
    bad(QString(), kNotNumeric);
    for (const char *text :
        {"abc", "dog", "-dog", "NaN", "-NaN", "nan", "Infinity", "-Infinity", "+Infinity", "inf",
            " 1", "1 ", " ", "1e", "1E", "1e+", "1e-", "e5", "E5", ".", "-.", "+.", "-", "+", "+-1",
            "-+1", "--1", "++1", "1.2.3", "1..2", "1e5.5", "1e1e1", "1ee1", "0x10", "0X1F", "1,000",
            "1_000", "1d", "1f", "1L", "12a", "a12", "1e2x", "1 000", "1\t", "\n1", "e", ".e1",
            "-.e1", "0b101", "1/2", "true", "null", "1-", "1+", "1e--1", "1e+-1", "٣", "１"})
        notNumeric(QString::fromUtf8(text));

    // Out of range, either sign.
    for (const char *text :
        {"1e126", "-1e126", "11e125", "-11e125", "10e125", "0.1e127", "1e99999999999999999999",
            "-1e99999999999999999999", "1e2147483648", "99999999999999999999999999999999999999e89"})
        bad(QString::fromLatin1(text), kOverflow);
    bad(QStringLiteral("1") + repeat(u'0', 126), kOverflow);
    bad(QStringLiteral("1") + repeat(u'0', 126) + QStringLiteral(".000"), kOverflow);
    for (const char *text :
        {"1e-131", "-1e-131", "0.9e-130", "-0.9e-130", "0.01e-129", "1e-99999999999999999999",
            "1e-2147483649", "9.9999999999999999999999999999999999999e-131"})
        bad(QString::fromLatin1(text), kUnderflow);
    bad(QStringLiteral("0.") + repeat(u'0', 130) + QStringLiteral("1"), kUnderflow);
    // The range is checked before the digits.
    bad(QStringLiteral("1234567890123456789012345678901234567890e200"), kOverflow);
    bad(QStringLiteral("1234567890123456789012345678901234567890e-200"), kUnderflow);
    // More than 38 significant digits.
    for (const char *text :
        {"123456789012345678901234567890123456789", "-1.23456789012345678901234567890123456789",
            "3.14159265358979323846264338327950288419", "314159265358979323846.264338327950288419",
            "314159265358979323846264338327950288419e30",
            "9.99999999999999999999999999999999999999e125",
            "0.1000000000000000000000000000000000000001",
            "1.00000000000000000000000000000000000001e-130"})
        bad(QString::fromLatin1(text), kDigits);
    bad(QStringLiteral("1") + repeat(u'0', 37) + QStringLiteral("1"), kDigits);
    bad(QStringLiteral("0000") + repeat(u'7', 39) + QStringLiteral("0000"), kDigits);
    bad(repeat(u'1', 100), kDigits);
}

void TestDdbNumber::parse()
{
    QFETCH(QString, text);
    QFETCH(QString, canonical);
    QFETCH(QString, error);
    const auto n = DdbNumber::parse(text);
    if (!error.isEmpty()) {
        QVERIFY(!n);
        QCOMPARE(n.error().code, QStringLiteral("ValidationException"));
        QCOMPARE(n.error().httpStatus, 400);
        QCOMPARE(n.error().message, error);
        return;
    }
    QVERIFY2(n, qPrintable(n ? QString() : n.error().message));
    QCOMPARE(n->toString(), canonical);
    // The canonical text is a fixed point, and names the same number.
    const auto again = DdbNumber::parse(canonical);
    QVERIFY(again);
    QCOMPARE(again->toString(), canonical);
    QVERIFY(*again == *n);
    QCOMPARE(again->sortKey(), n->sortKey());
    QCOMPARE(n->isZero(), canonical == QStringLiteral("0"));
    QCOMPARE(n->isNegative(), canonical.startsWith(u'-'));
}

void TestDdbNumber::arithmetic_data()
{
    QTest::addColumn<QString>("a");
    QTest::addColumn<QString>("op");
    QTest::addColumn<QString>("b");
    QTest::addColumn<QString>("result"); // empty: refused
    QTest::addColumn<QString>("error");
    const auto row = [](const QString &a, const char *op, const QString &b, const QString &result,
                         const QString &error = QString()) {
        QTest::newRow(qPrintable(a.left(40) + u' ' + QLatin1String(op) + u' ' + b.left(40)))
            << a << QString::fromLatin1(op) << b << result << error;
    };
    const auto s = [](const char *text) { return QString::fromLatin1(text); };

    // Decimal, not binary: what doubles get wrong comes out exact.
    row(s("0.1"), "+", s("0.2"), s("0.3"));
    row(s("0.1"), "+", s("0.7"), s("0.8"));
    row(s("0.3"), "-", s("0.1"), s("0.2"));
    row(s("1.1"), "+", s("2.2"), s("3.3"));
    row(s("0.1"), "-", s("0.3"), s("-0.2"));
    row(s("0.1"), "+", s("-0.3"), s("-0.2"));
    row(s("1.23"), "+", s("4.567"), s("5.797"));
    row(s("1000"), "-", s("0.001"), s("999.999"));
    row(s("1"), "+", s("1"), s("2"));
    row(s("1"), "-", s("1"), s("0"));
    row(s("1"), "+", s("-1"), s("0"));
    row(s("-1"), "-", s("-1"), s("0"));
    row(s("-1"), "+", s("-1"), s("-2"));
    row(s("-1"), "-", s("1"), s("-2"));
    row(s("5"), "-", s("8"), s("-3"));
    row(s("-5"), "+", s("8"), s("3"));
    row(s("0"), "+", s("0"), s("0"));
    row(s("-0"), "+", s("-0"), s("0"));
    row(s("0"), "-", s("5"), s("-5"));
    row(s("0"), "-", s("-5"), s("5"));
    row(s("5"), "-", s("0"), s("5"));
    row(s("0"), "+", s("1e-130"), smallest());
    row(s("1.5"), "+", s("1.5"), s("3"));
    row(s("9.99"), "+", s("0.01"), s("10"));
    row(s("99.99"), "+", s("0.01"), s("100"));
    row(s("100"), "-", s("0.01"), s("99.99"));
    row(s("0.5"), "-", s("0.25"), s("0.25"));
    row(s("1e10"), "+", s("1e-10"), s("10000000000.0000000001"));
    row(s("1e10"), "-", s("1e-10"), s("9999999999.9999999999"));
    // ScyllaDB's precision examples, checked against DynamoDB.
    row(s("1"), "+", s("10000000000000000000000"), s("10000000000000000000001"));
    row(s("10000000000000000000000"), "-", s("1"), s("9999999999999999999999"));
    // Results with exactly 38 digits, and a carry that leaves one.
    row(s("12345678901234567890123456789012345678"), "+", s("1"),
        s("12345678901234567890123456789012345679"));
    row(s("-12345678901234567890123456789012345678"), "-", s("1"),
        s("-12345678901234567890123456789012345679"));
    row(repeat(u'9', 38), "+", s("1"), powerOfTen(38));
    row(powerOfTen(38), "-", s("1"), repeat(u'9', 38));
    row(s("1"), "+", s("1e-37"), s("1.0000000000000000000000000000000000001"));
    row(s("1"), "-", s("1e-37"), s("0.9999999999999999999999999999999999999"));
    row(s("5e125"), "+", s("4.9999999999999999999999999999999999999e125"), largest());
    row(largest(), "-", largest(), s("0"));
    row(s("1e125"), "+", s("-1e125"), s("0"));
    row(largest(), "-", s("1e88"), s("99999999999999999999999999999999999998") + repeat(u'0', 88));
    row(s("1e-130"), "+", s("1e-130"), s("0.") + repeat(u'0', 129) + s("2"));
    row(s("-1e-130"), "-", s("1e-130"), s("-0.") + repeat(u'0', 129) + s("2"));
    row(s("2e-130"), "-", s("1e-130"), smallest());
    row(s("2.5e-130"), "-", s("1.5e-130"), smallest());
    // Past the range: DynamoDB's overflow and underflow.
    row(largest(), "+", s("1e125"), QString(), kOverflow); // ExtendDB's report against AWS
    row(s("9e125"), "+", s("9e125"), QString(), kOverflow);
    row(s("9e125"), "-", s("-9e125"), QString(), kOverflow);
    row(s("-9e125"), "-", s("9e125"), QString(), kOverflow);
    row(s("5e125"), "+", s("5e125"), QString(), kOverflow);
    row(s("1.5e-130"), "-", s("1.4e-130"), QString(), kUnderflow);
    row(s("-1.5e-130"), "+", s("1.4e-130"), QString(), kUnderflow);
    row(s("1.1e-130"), "-", s("1e-130"), QString(), kUnderflow);
    // A result that needs more than 38 digits: DynamoDB says overflow here too.
    row(s("1e50"), "+", s("1"), QString(), kOverflow);
    row(s("1e50"), "-", s("1"), QString(), kOverflow);
    row(repeat(u'9', 38), "+", s("0.1"), QString(), kOverflow);
    row(s("1"), "+", s("1e-38"), QString(), kOverflow);
    row(s("1"), "-", s("1e-38"), s("0.") + repeat(u'9', 38));
    row(s("1"), "-", s("1e-39"), QString(), kOverflow);
    row(s("1e125"), "+", s("1e-130"), QString(), kOverflow);
    row(s("12345678901234567890123456789012345678"), "+", s("0.5"), QString(), kOverflow);
    // Powers of ten added to one: exact up to 38 digits, refused past them.
    for (int k = 1; k <= 40; ++k) {
        const QString sum = QStringLiteral("1") + repeat(u'0', k - 1) + QStringLiteral("1");
        if (k < 38)
            row(s("1"), "+", QStringLiteral("1e%1").arg(k), sum);
        else
            row(s("1"), "+", QStringLiteral("1e%1").arg(k), QString(), kOverflow);
    }
}

void TestDdbNumber::arithmetic()
{
    QFETCH(QString, a);
    QFETCH(QString, op);
    QFETCH(QString, b);
    QFETCH(QString, result);
    QFETCH(QString, error);
    const DdbNumber x = number(a);
    const DdbNumber y = number(b);
    const auto r = op == u'+' ? x.add(y) : x.subtract(y);
    if (!error.isEmpty()) {
        QVERIFY(!r);
        QCOMPARE(r.error().code, QStringLiteral("ValidationException"));
        QCOMPARE(r.error().message, error);
        return;
    }
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    QCOMPARE(r->toString(), result);
    // Addition commutes; subtraction is adding the negation.
    if (op == u'+') {
        const auto swapped = y.add(x);
        QVERIFY(swapped);
        QCOMPARE(swapped->toString(), result);
    } else {
        const auto back = r->add(y);
        QVERIFY(back);
        QVERIFY(*back == x);
    }
}

// Random decimals of up to 15 digits and 9 places against __int128 fixed point.
void TestDdbNumber::arithmeticMatchesExactIntegers()
{
    QRandomGenerator rng(16);
    for (int i = 0; i < 5000; ++i) {
        const auto randomFixed = [&rng](QString &text) {
            // Up to 15 digits, often fewer.
            qint64 mantissa = qint64(rng.generate64() % 1'000'000'000'000'000ull);
            for (int k = rng.bounded(15); k > 0; --k)
                mantissa /= 10;
            const int places = rng.bounded(kPlaces + 1);
            const bool negative = rng.bounded(2);
            Fixed v = mantissa;
            for (int k = places; k < kPlaces; ++k)
                v *= 10;
            if (negative)
                v = -v;
            // Written as the mantissa with an exponent, as a client might.
            text = (negative ? QStringLiteral("-") : QString())
                + QStringLiteral("%1e-%2").arg(mantissa).arg(places);
            return v;
        };
        QString aText, bText;
        const Fixed a = randomFixed(aText);
        const Fixed b = randomFixed(bText);
        const DdbNumber x = number(aText);
        const DdbNumber y = number(bText);
        QCOMPARE(x.toString(), number(fixedText(a)).toString());
        const auto sum = x.add(y);
        const auto difference = x.subtract(y);
        QVERIFY(sum && difference);
        QVERIFY2(*sum == number(fixedText(a + b)),
            qPrintable(
                aText + QStringLiteral(" + ") + bText + QStringLiteral(" = ") + sum->toString()));
        QCOMPARE(sum->toString(), number(fixedText(a + b)).toString());
        QCOMPARE(difference->toString(), number(fixedText(a - b)).toString());
        QCOMPARE(x.compare(y), a < b ? -1 : (a > b ? 1 : 0));
    }
}

// On random numbers in the whole range: commutative, a + b - b == a when exact, and every
// result either exact and in range or refused.
void TestDdbNumber::arithmeticProperties()
{
    QRandomGenerator rng(1616);
    int exact = 0;
    for (int i = 0; i < 5000; ++i) {
        const DdbNumber x = number(randomNumber(rng));
        const DdbNumber y = number(randomNumber(rng));
        const auto xy = x.add(y);
        const auto yx = y.add(x);
        QCOMPARE(bool(xy), bool(yx));
        if (!xy) {
            QCOMPARE(xy.error().message, yx.error().message);
            continue;
        }
        ++exact;
        QVERIFY(*xy == *yx);
        QVERIFY(DdbNumber::parse(xy->toString()));
        const auto back = xy->subtract(y);
        if (back)
            QVERIFY(*back == x);
        const auto negated = DdbNumber().subtract(*xy);
        QVERIFY(negated);
        QVERIFY(negated->add(*xy)->isZero());
        const auto xMinusY = x.subtract(y);
        const auto yMinusX = y.subtract(x);
        QCOMPARE(bool(xMinusY), bool(yMinusX));
        if (xMinusY)
            QCOMPARE(xMinusY->compare(DdbNumber()), -yMinusX->compare(DdbNumber()));
    }
    QVERIFY(exact > 100);
}

void TestDdbNumber::compare_data()
{
    QTest::addColumn<QString>("a");
    QTest::addColumn<QString>("b");
    QTest::addColumn<int>("order");
    const auto row = [](const char *a, const char *b, int order) {
        QTest::newRow(
            qPrintable(QStringLiteral("%1 vs %2").arg(QLatin1String(a), QLatin1String(b))))
            << QString::fromLatin1(a) << QString::fromLatin1(b) << order;
    };
    row("0", "0", 0);
    row("0", "-0", 0);
    row("1", "1.0", 0);
    row("1e2", "100", 0);
    row("-1.50", "-1.5", 0);
    row("1", "2", -1);
    row("2", "1", 1);
    row("9", "10", -1);
    row("10", "9", 1);
    row("-9", "-10", 1);
    row("-10", "-9", -1);
    row("0", "1e-130", -1);
    row("-1e-130", "0", -1);
    row("-1e-130", "1e-130", -1);
    row("1.1", "1.01", 1);
    row("1.01", "1.1", -1);
    row("12", "123", -1);
    row("-12", "-123", 1);
    row("0.12", "0.123", -1);
    row("-0.12", "-0.123", 1);
    row("1.2", "12", -1);
    row("99", "100", -1);
    row("0.99", "1", -1);
    row("-0.99", "-1", 1);
    row("1e125", "9.9999999999999999999999999999999999999e125", -1);
    row("-9.9999999999999999999999999999999999999e125",
        "9.9999999999999999999999999999999999999e125", -1);
    row("12345678901234567890123456789012345678", "12345678901234567890123456789012345679", -1);
    row("1.2345678901234567890123456789012345678", "1.2345678901234567890123456789012345677", 1);
    row("100", "1e2", 0);
    row("5", "-5", 1);
    row("-5", "5", -1);
    row("0.5", "0", 1);
}

void TestDdbNumber::compare()
{
    QFETCH(QString, a);
    QFETCH(QString, b);
    QFETCH(int, order);
    const DdbNumber x = number(a);
    const DdbNumber y = number(b);
    QCOMPARE(x.compare(y), order);
    QCOMPARE(y.compare(x), -order);
    QCOMPARE(x == y, order == 0);
    QCOMPARE(memcmpOrder(x.sortKey(), y.sortKey()), order);
}

// Thousands of random pairs: the sort keys' byte order is compare()'s, and sorting by either
// gives one order.
void TestDdbNumber::sortKeysOrderAsNumbers()
{
    QRandomGenerator rng(42);
    QList<DdbNumber> numbers;
    for (int i = 0; i < 3000; ++i)
        numbers.append(number(randomNumber(rng)));
    for (int i = 0; i < 20000; ++i) {
        const DdbNumber &x = numbers[rng.bounded(numbers.size())];
        const DdbNumber &y = numbers[rng.bounded(numbers.size())];
        QCOMPARE(memcmpOrder(x.sortKey(), y.sortKey()), x.compare(y));
    }
    QList<DdbNumber> byCompare = numbers;
    std::sort(byCompare.begin(), byCompare.end(),
        [](const DdbNumber &a, const DdbNumber &b) { return a.compare(b) < 0; });
    QList<DdbNumber> byKey = numbers;
    std::sort(byKey.begin(), byKey.end(), [](const DdbNumber &a, const DdbNumber &b) {
        return memcmpOrder(a.sortKey(), b.sortKey()) < 0;
    });
    for (qsizetype i = 0; i < numbers.size(); ++i)
        QVERIFY(byCompare[i] == byKey[i]);
    for (qsizetype i = 1; i < byCompare.size(); ++i)
        QVERIFY(byCompare[i - 1].compare(byCompare[i]) <= 0);
}

// Numbers that differ in one digit, a prefix, an exponent or a sign: every pair.
void TestDdbNumber::sortKeysOfChosenNeighbours()
{
    QStringList texts = {QStringLiteral("0"), largest(), QStringLiteral("1e125"), smallest(),
        QStringLiteral("1.0000000000000000000000000000000000001e-130")};
    for (const char *t : {"1", "10", "100", "1.1", "1.01", "1.001", "11", "0.1", "0.11", "0.01",
             "12", "123", "1231", "1230001", "1239", "124", "1.2", "0.9", "0.99", "0.999", "9",
             "99", "999", "10000000000000000000000000000000000001", "2", "20", "19.99", "5", "50",
             "5.5", "0.05", "0.5", "0.55", "0.505"})
        texts.append(QString::fromLatin1(t));
    const qsizetype positives = texts.size();
    for (qsizetype i = 0; i < positives; ++i) {
        if (texts[i] != QStringLiteral("0"))
            texts.append(u'-' + texts[i]);
    }
    for (const QString &a : texts) {
        for (const QString &b : texts) {
            const DdbNumber x = number(a);
            const DdbNumber y = number(b);
            QCOMPARE(memcmpOrder(x.sortKey(), y.sortKey()), x.compare(y));
        }
    }
    QCOMPARE(number(QStringLiteral("12")).compare(number(QStringLiteral("123"))), -1);
    QCOMPARE(number(QStringLiteral("-12")).compare(number(QStringLiteral("-123"))), 1);
}

void TestDdbNumber::storedSize_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("size");
    const auto row = [](const QString &text, int size) {
        QTest::newRow(qPrintable(text.left(50))) << text << size;
    };
    // The guide's approximation, (digits + 1) / 2 + 1, where digits pair from the point.
    row(QStringLiteral("0"), 1);
    row(QStringLiteral("1"), 2);
    row(QStringLiteral("12"), 2);
    row(QStringLiteral("123"), 3);
    row(QStringLiteral("1234"), 3);
    row(QStringLiteral("12345"), 4);
    row(QStringLiteral("0.5"), 2);
    row(QStringLiteral("0.05"), 2);
    row(QStringLiteral("0.55"), 2);
    row(QStringLiteral("12.34"), 3);
    // An even count whose leading digit starts a pair of its own takes one more byte.
    row(QStringLiteral("1.2"), 3);
    row(QStringLiteral("0.055"), 3);
    row(QStringLiteral("123.4"), 4);
    // A negative number one more.
    row(QStringLiteral("-1"), 3);
    row(QStringLiteral("-12"), 3);
    row(QStringLiteral("-1.2"), 4);
    // dynalite's item-size limits, measured against DynamoDB.
    row(QStringLiteral("1") + repeat(u'0', 125), 2);
    row(QStringLiteral("11") + repeat(u'0', 124), 2);
    row(QStringLiteral("11111") + repeat(u'0', 121), 4);
    row(QStringLiteral("111111") + repeat(u'0', 120), 4);
    row(repeat(u'1', 38) + repeat(u'0', 88), 20);
    row(largest(), 20);
    row(QStringLiteral("-") + largest(), 21);
    row(smallest(), 2);
    row(QStringLiteral("12345678901234567890123456789012345678"), 20);
    row(QStringLiteral("1.2345678901234567890123456789012345678"), 21);
}

void TestDdbNumber::storedSize()
{
    QFETCH(QString, text);
    QFETCH(int, size);
    QCOMPARE(number(text).storedSize(), size);
}

void TestDdbNumber::zeroAndDefault()
{
    const DdbNumber zero;
    QVERIFY(zero.isZero());
    QVERIFY(!zero.isNegative());
    QCOMPARE(zero.toString(), QStringLiteral("0"));
    QCOMPARE(zero.significantDigits(), 0);
    QVERIFY(zero == number(QStringLiteral("-0.000e5")));
    QCOMPARE(zero.sortKey(), number(QStringLiteral("-0")).sortKey());
    const auto difference = number(QStringLiteral("-1")).subtract(number(QStringLiteral("-1")));
    QVERIFY(difference);
    QVERIFY(difference->isZero());
    QVERIFY(!difference->isNegative());
    QCOMPARE(difference->sortKey(), zero.sortKey());
    QCOMPARE(number(QStringLiteral("-1.50")).significantDigits(), 2);
    QVERIFY(!number(QStringLiteral("1e-130")).isZero());
}

QTEST_GUILESS_MAIN(TestDdbNumber)
#include "tst_ddbnumber.moc"
