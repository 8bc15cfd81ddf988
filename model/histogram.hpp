// Log-linear latency histogram: ~0.4% relative error from 1 ns to over an hour, O(1) record.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace threadmill {

/// Values below 2^k_precision_bits are exact; above, each power of two is split into
/// 2^(k_precision_bits-1) equal sub-buckets (HdrHistogram's layout, Gil Tene), so a bucket is
/// at most 1/128 of its value wide. Values above max_trackable() are clamped into the last
/// bucket (and counted in clamped()). Not thread-safe: one per thread, merged at the end.
class Histogram {
public:
    static constexpr int k_precision_bits = 8;
    static constexpr int k_max_exponent = 42;  ///< 2^42 ns ~ 73 minutes
    static constexpr std::size_t k_bucket_count =
        (std::size_t{1} << k_precision_bits) +
        (k_max_exponent - k_precision_bits + 1) * (std::size_t{1} << (k_precision_bits - 1));

    /// Records one value (nanoseconds). Costs a count-leading-zeros and an increment.
    void record(std::uint64_t value);
    void merge(const Histogram& other);
    void clear();

    std::uint64_t count() const { return m_count; }
    std::uint64_t min() const;  ///< exact; 0 when empty
    std::uint64_t max() const;  ///< exact; 0 when empty
    double mean() const;        ///< exact (sum / count); 0 when empty
    std::uint64_t clamped() const { return m_clamped; }
    /// The value at quantile q in [0, 1] (nearest rank): the midpoint of the bucket holding the
    /// ceil(q * count)-th smallest value, clamped to [min, max]. 0 when empty.
    std::uint64_t percentile(double q) const;

    static std::size_t bucket_of(std::uint64_t value);
    static std::uint64_t bucket_low(std::size_t bucket);   ///< smallest value in the bucket
    static std::uint64_t bucket_high(std::size_t bucket);  ///< largest value in the bucket
    static std::uint64_t max_trackable();

    /// Non-empty buckets as (index, count), for results files and charts.
    std::vector<std::pair<std::uint32_t, std::uint64_t>> sparse() const;
    /// Rebuilds a histogram from sparse buckets plus the exact min/max/sum kept beside them.
    static Histogram from_sparse(const std::vector<std::pair<std::uint32_t, std::uint64_t>>& buckets,
                                 std::uint64_t min, std::uint64_t max, double sum);
    double sum() const { return m_sum; }

private:
    std::array<std::uint64_t, k_bucket_count> m_buckets{};
    std::uint64_t m_count = 0;
    std::uint64_t m_min = UINT64_MAX;
    std::uint64_t m_max = 0;
    std::uint64_t m_clamped = 0;
    double m_sum = 0;
};

}  // namespace threadmill
