// Unit tests of model/histogram: percentiles against exact ranks, merging, layout, clamping.
#include "model/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "api/rng.hpp"

namespace threadmill {
namespace {

constexpr double k_quantiles[] = {0.5, 0.9, 0.99, 0.999, 1.0};

// The nearest-rank definition the histogram documents: the ceil(q * n)-th smallest value
// (at least the first), with q * n's rounding error forgiven.
std::uint64_t exact_percentile(const std::vector<std::uint64_t>& sorted, double q) {
    const double exact = q * static_cast<double>(sorted.size());
    auto rank = static_cast<std::uint64_t>(std::ceil(exact - exact * 1e-12));
    rank = std::clamp<std::uint64_t>(rank, 1, sorted.size());
    return sorted[rank - 1];
}

std::vector<std::uint64_t> draw(std::size_t n, const std::function<std::uint64_t(Rng&)>& sample) {
    Rng rng(0x5eed);
    std::vector<std::uint64_t> values(n);
    for (auto& v : values) v = sample(rng);
    return values;
}

Histogram record_all(const std::vector<std::uint64_t>& values) {
    Histogram h;
    for (std::uint64_t v : values) h.record(v);
    return h;
}

void expect_matches_exact(const std::vector<std::uint64_t>& values) {
    const Histogram h = record_all(values);
    std::vector<std::uint64_t> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    double sum = 0;
    for (std::uint64_t v : values) sum += static_cast<double>(v);

    EXPECT_EQ(h.count(), values.size());
    EXPECT_EQ(h.min(), sorted.front());
    EXPECT_EQ(h.max(), sorted.back());
    EXPECT_DOUBLE_EQ(h.sum(), sum);
    EXPECT_DOUBLE_EQ(h.mean(), sum / static_cast<double>(values.size()));
    EXPECT_EQ(h.clamped(), 0u);
    for (double q : k_quantiles) {
        const auto exact = static_cast<double>(exact_percentile(sorted, q));
        const auto approx = static_cast<double>(h.percentile(q));
        if (exact == 0) {
            EXPECT_EQ(approx, 0) << "q=" << q;
        } else {
            EXPECT_LE(std::abs(approx - exact) / exact, 0.01) << "q=" << q << " exact=" << exact << " got=" << approx;
        }
    }
}

TEST(Histogram, UniformSmallIntegersAreExact) {
    const auto values = draw(100'000, [](Rng& rng) { return rng.below(200); });
    expect_matches_exact(values);
    const Histogram h = record_all(values);
    std::vector<std::uint64_t> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    for (double q : k_quantiles) EXPECT_EQ(h.percentile(q), exact_percentile(sorted, q)) << "q=" << q;
}

TEST(Histogram, ExponentialNanosecondsToMilliseconds) {
    // Mean 50 us: the sample spans a few ns to about a millisecond.
    expect_matches_exact(draw(200'000, [](Rng& rng) {
        return static_cast<std::uint64_t>(-std::log1p(-rng.uniform01()) * 50'000.0);
    }));
}

TEST(Histogram, LogUniformOneNanosecondToOneMinute) {
    const double log_max = std::log(60e9);
    expect_matches_exact(draw(200'000, [log_max](Rng& rng) {
        return static_cast<std::uint64_t>(std::exp(rng.uniform01() * log_max));
    }));
}

TEST(Histogram, Constant) {
    expect_matches_exact(std::vector<std::uint64_t>(1000, 123'456'789));
    const Histogram h = record_all(std::vector<std::uint64_t>(1000, 123'456'789));
    for (double q : k_quantiles) EXPECT_EQ(h.percentile(q), 123'456'789u);  // clamped to [min, max]
}

TEST(Histogram, SmallCountsUseNearestRank) {
    Histogram h;
    for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
    EXPECT_EQ(h.percentile(0.0), 1u);
    EXPECT_EQ(h.percentile(0.07), 7u);  // 0.07 * 100 is 7.000000000000001 in doubles
    EXPECT_EQ(h.percentile(0.5), 50u);
    EXPECT_EQ(h.percentile(0.99), 99u);
    EXPECT_EQ(h.percentile(0.991), 100u);
    EXPECT_EQ(h.percentile(1.0), 100u);
}

TEST(Histogram, EmptyReturnsZeros) {
    const Histogram h;
    EXPECT_EQ(h.count(), 0u);
    EXPECT_EQ(h.min(), 0u);
    EXPECT_EQ(h.max(), 0u);
    EXPECT_EQ(h.mean(), 0.0);
    EXPECT_EQ(h.sum(), 0.0);
    EXPECT_EQ(h.clamped(), 0u);
    for (double q : k_quantiles) EXPECT_EQ(h.percentile(q), 0u);
    EXPECT_TRUE(h.sparse().empty());
    const Histogram rebuilt = Histogram::from_sparse({}, 0, 0, 0);
    EXPECT_EQ(rebuilt.count(), 0u);
    EXPECT_EQ(rebuilt.percentile(0.5), 0u);
}

TEST(Histogram, ClearForgetsEverything) {
    Histogram h;
    h.record(5);
    h.record(Histogram::max_trackable() + 1);
    h.clear();
    EXPECT_EQ(h.count(), 0u);
    EXPECT_EQ(h.clamped(), 0u);
    EXPECT_EQ(h.max(), 0u);
    EXPECT_TRUE(h.sparse().empty());
    h.record(7);
    EXPECT_EQ(h.min(), 7u);
    EXPECT_EQ(h.max(), 7u);
}

TEST(Histogram, MergeEqualsRecordingEverythingIntoOne) {
    const auto values = draw(50'000, [](Rng& rng) { return rng.next() >> (20 + rng.below(44)); });
    Histogram all;
    Histogram parts[3];
    for (std::size_t i = 0; i < values.size(); ++i) {
        all.record(values[i]);
        parts[i % 3].record(values[i]);
    }
    Histogram merged;
    for (const Histogram& part : parts) merged.merge(part);
    EXPECT_EQ(merged.sparse(), all.sparse());
    EXPECT_EQ(merged.count(), all.count());
    EXPECT_EQ(merged.min(), all.min());
    EXPECT_EQ(merged.max(), all.max());
    EXPECT_EQ(merged.clamped(), all.clamped());
    EXPECT_NEAR(merged.sum(), all.sum(), all.sum() * 1e-12);
    for (double q : k_quantiles) EXPECT_EQ(merged.percentile(q), all.percentile(q));

    Histogram empty;
    merged.merge(empty);  // merging an empty histogram changes nothing, min included
    EXPECT_EQ(merged.min(), all.min());
    empty.merge(all);
    EXPECT_EQ(empty.sparse(), all.sparse());
    EXPECT_EQ(empty.min(), all.min());
}

TEST(Histogram, SparseRoundTrip) {
    const auto values = draw(20'000, [](Rng& rng) { return rng.next() >> (24 + rng.below(40)); });
    Histogram h = record_all(values);
    h.record(Histogram::max_trackable() + 12345);
    const Histogram rebuilt = Histogram::from_sparse(h.sparse(), h.min(), h.max(), h.sum());
    EXPECT_EQ(rebuilt.sparse(), h.sparse());
    EXPECT_EQ(rebuilt.count(), h.count());
    EXPECT_EQ(rebuilt.min(), h.min());
    EXPECT_EQ(rebuilt.max(), h.max());
    EXPECT_EQ(rebuilt.sum(), h.sum());
    EXPECT_EQ(rebuilt.mean(), h.mean());
    EXPECT_EQ(rebuilt.clamped(), h.clamped());
    for (double q : k_quantiles) EXPECT_EQ(rebuilt.percentile(q), h.percentile(q));

    const auto sparse = h.sparse();
    for (std::size_t i = 1; i < sparse.size(); ++i) EXPECT_LT(sparse[i - 1].first, sparse[i].first);
    for (const auto& [bucket, count] : sparse) EXPECT_GT(count, 0u) << bucket;

    EXPECT_THROW(Histogram::from_sparse({{static_cast<std::uint32_t>(Histogram::k_bucket_count), 1}}, 1, 1, 1),
                 std::out_of_range);
}

TEST(Histogram, ClampsAboveMaxTrackable) {
    const std::uint64_t top = Histogram::max_trackable();
    EXPECT_EQ(top, (std::uint64_t{1} << (Histogram::k_max_exponent + 1)) - 1);
    EXPECT_EQ(Histogram::bucket_of(top), Histogram::k_bucket_count - 1);
    EXPECT_EQ(Histogram::bucket_of(top + 1), Histogram::k_bucket_count - 1);
    EXPECT_EQ(Histogram::bucket_of(UINT64_MAX), Histogram::k_bucket_count - 1);

    Histogram h;
    h.record(top);
    EXPECT_EQ(h.clamped(), 0u);
    h.record(top + 1);
    h.record(UINT64_MAX);
    EXPECT_EQ(h.clamped(), 2u);
    EXPECT_EQ(h.count(), 3u);
    EXPECT_EQ(h.min(), top);
    EXPECT_EQ(h.max(), UINT64_MAX);  // min and max stay exact
    const auto sparse = h.sparse();
    ASSERT_EQ(sparse.size(), 1u);
    EXPECT_EQ(sparse[0].first, Histogram::k_bucket_count - 1);
    EXPECT_EQ(sparse[0].second, 3u);
    EXPECT_GE(h.percentile(0.5), Histogram::bucket_low(Histogram::k_bucket_count - 1));
}

TEST(Histogram, BucketLayoutIsConsistent) {
    EXPECT_EQ(Histogram::k_bucket_count, 256u + 35u * 128u);
    for (std::size_t b = 0; b < Histogram::k_bucket_count; ++b) {
        const std::uint64_t low = Histogram::bucket_low(b);
        const std::uint64_t high = Histogram::bucket_high(b);
        ASSERT_LE(low, high) << b;
        ASSERT_EQ(Histogram::bucket_of(low), b) << b;
        ASSERT_EQ(Histogram::bucket_of(high), b) << b;
        if (b + 1 < Histogram::k_bucket_count) {
            ASSERT_EQ(Histogram::bucket_low(b + 1), high + 1) << b;
        }
        if (low < 256) {
            ASSERT_EQ(low, high) << b;  // exact below 256
        } else {
            ASSERT_LE((high - low + 1) * 128, low) << b;  // at most 1/128 of the value wide
        }
    }
    EXPECT_EQ(Histogram::bucket_low(0), 0u);
    EXPECT_EQ(Histogram::bucket_high(Histogram::k_bucket_count - 1), Histogram::max_trackable());
    // The documented formula, on a few hand-checked values.
    EXPECT_EQ(Histogram::bucket_of(255), 255u);
    EXPECT_EQ(Histogram::bucket_of(256), 256u);
    EXPECT_EQ(Histogram::bucket_of(257), 256u);
    EXPECT_EQ(Histogram::bucket_of(258), 257u);
    EXPECT_EQ(Histogram::bucket_of(1000), 256u + 1u * 128u + ((1000u >> 2) - 128u));

    Rng rng(7);
    for (int i = 0; i < 100'000; ++i) {
        const std::uint64_t v = rng.next() >> rng.below(64);
        const std::size_t b = Histogram::bucket_of(v);
        ASSERT_LT(b, Histogram::k_bucket_count);
        if (v <= Histogram::max_trackable()) {
            ASSERT_LE(Histogram::bucket_low(b), v) << v;
            ASSERT_GE(Histogram::bucket_high(b), v) << v;
        }
    }
}

}  // namespace
}  // namespace threadmill
