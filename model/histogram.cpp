// Log-linear latency histogram: bucket arithmetic, recording, merging and percentiles.
#include "model/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace threadmill {

namespace {

constexpr int k_sub_bits = Histogram::k_precision_bits - 1;  // 7: 128 sub-buckets per octave
constexpr std::size_t k_last_bucket = Histogram::k_bucket_count - 1;
// bucket_high(k_last_bucket): 2^(k_max_exponent + 1) - 1.
constexpr std::uint64_t k_max_trackable = (std::uint64_t{1} << (Histogram::k_max_exponent + 1)) - 1;

// With e the index of the highest set bit, shift = max(0, e - 7) and bucket =
// (shift << 7) + (value >> shift). For values below 256 that is the value itself; above,
// value >> shift lies in [128, 255], which gives 256 + (e - 8) * 128 + (sub - 128).
constexpr int shift_of(std::uint64_t value) {
    // `| 1` makes the clz well defined for 0 (it then counts 63, and shift is 0 anyway).
    const int high_bit = 63 - __builtin_clzll(value | 1);
    return std::max(0, high_bit - k_sub_bits);
}

constexpr std::size_t bucket_of_trackable(std::uint64_t value) {
    const int shift = shift_of(value);
    return (static_cast<std::size_t>(shift) << k_sub_bits) + static_cast<std::size_t>(value >> shift);
}

static_assert(bucket_of_trackable(k_max_trackable) == k_last_bucket);
static_assert(bucket_of_trackable(255) == 255 && bucket_of_trackable(256) == 256);
static_assert(bucket_of_trackable(511) == 383 && bucket_of_trackable(512) == 384);

// Forgives the rounding of q * count (0.07 * 100 is 7.000000000000001 in doubles), so that a
// rank that is mathematically an integer is not pushed up by one.
std::uint64_t nearest_rank(double q, std::uint64_t count) {
    if (!(q > 0)) return 1;  // also NaN
    if (q >= 1) return count;
    const double exact = q * static_cast<double>(count);
    const double rank = std::ceil(exact - exact * 1e-12);
    return std::clamp<std::uint64_t>(static_cast<std::uint64_t>(rank), 1, count);
}

}  // namespace

void Histogram::record(std::uint64_t value) {
    const bool over = value > k_max_trackable;
    m_clamped += over;
    ++m_buckets[bucket_of_trackable(over ? k_max_trackable : value)];
    ++m_count;
    m_sum += static_cast<double>(value);
    m_min = std::min(m_min, value);
    m_max = std::max(m_max, value);
}

void Histogram::merge(const Histogram& other) {
    for (std::size_t b = 0; b < k_bucket_count; ++b) m_buckets[b] += other.m_buckets[b];
    m_count += other.m_count;
    m_clamped += other.m_clamped;
    m_sum += other.m_sum;
    m_min = std::min(m_min, other.m_min);
    m_max = std::max(m_max, other.m_max);
}

void Histogram::clear() {
    m_buckets.fill(0);
    m_count = 0;
    m_min = UINT64_MAX;
    m_max = 0;
    m_clamped = 0;
    m_sum = 0;
}

std::uint64_t Histogram::min() const { return m_count == 0 ? 0 : m_min; }

std::uint64_t Histogram::max() const { return m_count == 0 ? 0 : m_max; }

double Histogram::mean() const { return m_count == 0 ? 0.0 : m_sum / static_cast<double>(m_count); }

std::uint64_t Histogram::percentile(double q) const {
    if (m_count == 0) return 0;
    const std::uint64_t rank = nearest_rank(q, m_count);
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < k_bucket_count; ++b) {
        seen += m_buckets[b];
        if (seen >= rank) {
            const std::uint64_t low = bucket_low(b);
            const std::uint64_t mid = low + (bucket_high(b) - low) / 2;
            return std::clamp(mid, m_min, m_max);
        }
    }
    // The buckets always add up to m_count, so the loop returns; a histogram rebuilt from
    // inconsistent sparse data falls back to its maximum.
    return m_max;
}

std::size_t Histogram::bucket_of(std::uint64_t value) {
    return bucket_of_trackable(std::min(value, k_max_trackable));
}

std::uint64_t Histogram::bucket_low(std::size_t bucket) {
    if (bucket < (std::size_t{1} << k_precision_bits)) return bucket;
    const int shift = static_cast<int>(bucket >> k_sub_bits) - 1;
    const std::uint64_t sub = bucket - (static_cast<std::size_t>(shift) << k_sub_bits);
    return sub << shift;
}

std::uint64_t Histogram::bucket_high(std::size_t bucket) {
    if (bucket < (std::size_t{1} << k_precision_bits)) return bucket;
    const int shift = static_cast<int>(bucket >> k_sub_bits) - 1;
    return bucket_low(bucket) + (std::uint64_t{1} << shift) - 1;
}

std::uint64_t Histogram::max_trackable() { return k_max_trackable; }

std::vector<std::pair<std::uint32_t, std::uint64_t>> Histogram::sparse() const {
    std::vector<std::pair<std::uint32_t, std::uint64_t>> out;
    for (std::size_t b = 0; b < k_bucket_count; ++b) {
        if (m_buckets[b] != 0) out.emplace_back(static_cast<std::uint32_t>(b), m_buckets[b]);
    }
    return out;
}

Histogram Histogram::from_sparse(const std::vector<std::pair<std::uint32_t, std::uint64_t>>& buckets,
                                 std::uint64_t min, std::uint64_t max, double sum) {
    Histogram h;
    for (const auto& [bucket, count] : buckets) {
        if (bucket >= k_bucket_count) {
            throw std::out_of_range("histogram bucket " + std::to_string(bucket) + " is out of range (at most " +
                                    std::to_string(k_last_bucket) + ")");
        }
        h.m_buckets[bucket] += count;
        h.m_count += count;
    }
    if (h.m_count == 0) return h;
    h.m_min = min;
    h.m_max = max;
    h.m_sum = sum;
    // The clamped count is not stored beside the buckets: when the maximum lies beyond the
    // trackable range, every value of the last bucket is taken as clamped (exact unless values
    // within that bucket's own ~73-minute range were recorded too).
    if (max > k_max_trackable) h.m_clamped = h.m_buckets[k_last_bucket];
    return h;
}

}  // namespace threadmill
