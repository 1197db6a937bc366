#pragma once

#include <QList>
#include <QtGlobal>

#include <algorithm>

namespace tarmac {

// Span counts over the whole session in a fixed number of bins, for the overview strip.
// When a span starts beyond the last bin the bin width doubles and neighbouring bins merge,
// so live data never needs a query and the memory never grows. Spans before the origin
// count in the first bin.
class SessionHistogram
{
public:
    static constexpr int kBins = 512;
    static constexpr qint64 kMinBinNs = 1'000'000; // 1 ms

    SessionHistogram() { clear(); }

    void clear()
    {
        m_origin = 0;
        m_binNs = kMinBinNs;
        m_counts.fill(0, kBins);
        m_errors.fill(0, kBins);
        m_used = 0;
        m_started = false;
    }

    // The bin width to use for a session from `start` to `end`.
    static qint64 binWidthFor(qint64 start, qint64 end)
    {
        qint64 w = kMinBinNs;
        while (w * kBins <= end - start)
            w *= 2;
        return w;
    }

    // Replaces the content with counts from a query over [origin, origin + binNs * kBins).
    void assign(
        qint64 origin, qint64 binNs, const QList<qint64> &counts, const QList<qint64> &errors)
    {
        clear();
        m_origin = origin;
        m_binNs = std::max(kMinBinNs, binNs);
        m_started = true;
        for (int i = 0; i < kBins && i < counts.size(); ++i) {
            m_counts[i] = counts[i];
            m_errors[i] = errors.value(i);
            if (counts[i] > 0)
                m_used = i + 1;
        }
    }

    void add(qint64 startNs, bool error)
    {
        if (!m_started) {
            m_origin = startNs;
            m_started = true;
        }
        while (startNs >= m_origin + m_binNs * kBins)
            grow();
        const int bin = startNs < m_origin ? 0 : int((startNs - m_origin) / m_binNs);
        ++m_counts[bin];
        if (error)
            ++m_errors[bin];
        m_used = std::max(m_used, bin + 1);
    }

    qint64 origin() const { return m_origin; }
    qint64 binNs() const { return m_binNs; }
    int usedBins() const { return m_used; }
    const QList<qint64> &counts() const { return m_counts; }
    const QList<qint64> &errors() const { return m_errors; }
    qint64 maxCount() const { return *std::max_element(m_counts.begin(), m_counts.end()); }
    bool isEmpty() const { return m_used == 0; }

private:
    void grow()
    {
        for (int i = 0; i < kBins / 2; ++i) {
            m_counts[i] = m_counts[2 * i] + m_counts[2 * i + 1];
            m_errors[i] = m_errors[2 * i] + m_errors[2 * i + 1];
        }
        for (int i = kBins / 2; i < kBins; ++i)
            m_counts[i] = m_errors[i] = 0;
        m_used = (m_used + 1) / 2;
        m_binNs *= 2;
    }

    qint64 m_origin = 0;
    qint64 m_binNs = kMinBinNs;
    QList<qint64> m_counts;
    QList<qint64> m_errors;
    int m_used = 0;
    bool m_started = false;
};

} // namespace tarmac
