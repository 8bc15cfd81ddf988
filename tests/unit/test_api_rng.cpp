// Unit tests of api/rng: pinned output, reproducibility, stream independence, ranges.
#include "api/rng.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <vector>

namespace threadmill {
namespace {

std::vector<std::uint64_t> first_values(Rng rng, int n) {
    std::vector<std::uint64_t> out(n);
    for (auto& v : out) v = rng.next();
    return out;
}

TEST(Rng, Splitmix64MatchesTheReferenceImplementation) {
    // Vigna's splitmix64.c seeded with 0.
    std::uint64_t state = 0;
    EXPECT_EQ(splitmix64(state), 0xe220a8397b1dcdafULL);
    EXPECT_EQ(splitmix64(state), 0x6e789e6aa1b965f4ULL);
    EXPECT_EQ(splitmix64(state), 0x06c45d188009454fULL);
    EXPECT_EQ(splitmix64(state), 0xf88bb8a8724c81ecULL);
}

TEST(Rng, OutputIsPinned) {
    // Saved results replay by seed: changing these values breaks every recorded seed.
    Rng rng(42);
    EXPECT_EQ(rng.next(), 0x15780b2e0c2ec716ULL);
    EXPECT_EQ(rng.next(), 0x6104d9866d113a7eULL);
    EXPECT_EQ(rng.next(), 0xae17533239e499a1ULL);
    EXPECT_EQ(rng.next(), 0xecb8ad4703b360a1ULL);
    EXPECT_EQ(Rng(0).next(), 0x99ec5f36cb75f2b4ULL);
    EXPECT_EQ(derive_seed(1, Stream::plan, 0), 0x79c7552209f8b346ULL);
    static_assert(derive_seed(1, Stream::plan, 0) == 0x79c7552209f8b346ULL, "derive_seed is constexpr");
}

TEST(Rng, SameSeedSameSequence) {
    for (std::uint64_t seed : {0ULL, 1ULL, 42ULL, 0xffffffffffffffffULL}) {
        EXPECT_EQ(first_values(Rng(seed), 1000), first_values(Rng(seed), 1000)) << seed;
    }
    Rng a(7);
    a.next();
    Rng copy = a;  // a copy continues the same sequence
    EXPECT_EQ(first_values(a, 100), first_values(copy, 100));
}

TEST(Rng, DifferentSeedsDiffer) {
    std::set<std::vector<std::uint64_t>> seen;
    for (std::uint64_t seed = 0; seed < 256; ++seed) seen.insert(first_values(Rng(seed), 4));
    EXPECT_EQ(seen.size(), 256u);
}

TEST(Rng, DerivedSeedsAreDistinctAcrossStreamsAndThreads) {
    const Stream streams[] = {Stream::plan, Stream::target, Stream::chaos, Stream::setup};
    std::set<std::uint64_t> seeds;
    std::set<std::uint64_t> first_outputs;
    int combos = 0;
    for (std::uint64_t job : {0ULL, 1ULL, 2ULL, 12345ULL}) {
        for (Stream stream : streams) {
            for (std::uint64_t thread = 0; thread < 64; ++thread) {
                const std::uint64_t seed = derive_seed(job, stream, thread);
                seeds.insert(seed);
                first_outputs.insert(Rng(seed).next());
                ++combos;
            }
        }
    }
    EXPECT_EQ(seeds.size(), static_cast<std::size_t>(combos));
    EXPECT_EQ(first_outputs.size(), static_cast<std::size_t>(combos));
    EXPECT_EQ(derive_seed(9, Stream::chaos, 3), derive_seed(9, Stream::chaos, 3));
}

TEST(Rng, BelowStaysInRange) {
    Rng rng(3);
    for (std::uint64_t n : {1ULL, 2ULL, 3ULL, 7ULL, 1000ULL, (1ULL << 32) + 1, (1ULL << 63) + 1, ~0ULL}) {
        for (int i = 0; i < 10'000; ++i) ASSERT_LT(rng.below(n), n) << n;
    }
    for (int i = 0; i < 100; ++i) EXPECT_EQ(rng.below(1), 0u);
}

TEST(Rng, BelowIsRoughlyUniform) {
    // Chi-square with 9 degrees of freedom: P(X > 40) is about 1e-5 for a uniform source. The
    // seed is fixed, so this is deterministic; the bound only catches gross bias.
    constexpr int k_bins = 10;
    constexpr int k_draws = 100'000;
    Rng rng(0xc0ffee);
    int counts[k_bins] = {};
    for (int i = 0; i < k_draws; ++i) ++counts[rng.below(k_bins)];
    const double expected = static_cast<double>(k_draws) / k_bins;
    double chi2 = 0;
    for (int c : counts) chi2 += (c - expected) * (c - expected) / expected;
    EXPECT_LT(chi2, 40.0);
}

TEST(Rng, Uniform01InHalfOpenUnitInterval) {
    Rng rng(11);
    double sum = 0;
    constexpr int k_draws = 100'000;
    for (int i = 0; i < k_draws; ++i) {
        const double u = rng.uniform01();
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
        sum += u;
    }
    EXPECT_NEAR(sum / k_draws, 0.5, 0.01);
}

TEST(Rng, Chance) {
    Rng rng(5);
    int hits = 0;
    for (int i = 0; i < 10'000; ++i) {
        EXPECT_FALSE(rng.chance(0.0));
        EXPECT_TRUE(rng.chance(1.0));
        hits += rng.chance(0.25);
    }
    EXPECT_NEAR(hits, 2500, 250);
}

}  // namespace
}  // namespace threadmill
