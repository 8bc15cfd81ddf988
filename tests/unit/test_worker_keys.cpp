// Unit tests of worker/keys: ranges, zipf frequencies, sequential walk, one draw per key.
#include "worker/keys.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace threadmill {
namespace {

KeySpec spec_of(KeyDistribution distribution, std::uint64_t count, double theta = 0.99) {
    KeySpec spec;
    spec.count = count;
    spec.distribution = distribution;
    spec.zipf_theta = theta;
    return spec;
}

constexpr KeyDistribution k_distributions[] = {KeyDistribution::uniform, KeyDistribution::zipf,
                                               KeyDistribution::sequential};

TEST(KeySampler, EveryDistributionStaysInRange) {
    for (KeyDistribution d : k_distributions) {
        for (std::uint64_t count : {1ULL, 2ULL, 3ULL, 1000ULL, 65537ULL}) {
            const KeySampler sampler(spec_of(d, count));
            Rng rng(count);
            std::uint64_t cursor = 0;
            for (int i = 0; i < 20'000; ++i) ASSERT_LT(sampler.next(rng, cursor), count) << count;
        }
    }
}

TEST(KeySampler, ProbabilitiesSumToOne) {
    for (KeyDistribution d : k_distributions) {
        for (double theta : {0.5, 0.99, 1.0, 1.5}) {
            const KeySampler sampler(spec_of(d, 5000, theta));
            double total = 0;
            for (std::uint64_t k = 0; k < 5000; ++k) total += sampler.probability(k);
            EXPECT_NEAR(total, 1.0, 1e-9) << theta;
            EXPECT_EQ(sampler.probability(5000), 0.0);
        }
    }
}

TEST(KeySampler, ZipfProbabilitiesFollowThePowerLaw) {
    for (double theta : {0.5, 0.99, 1.0, 1.5}) {
        const KeySampler sampler(spec_of(KeyDistribution::zipf, 1000, theta));
        for (std::uint64_t k = 0; k + 1 < 1000; ++k) ASSERT_GT(sampler.probability(k), sampler.probability(k + 1));
        // P(k) / P(j) = ((j+1) / (k+1))^theta
        EXPECT_NEAR(sampler.probability(0) / sampler.probability(1), std::pow(2.0, theta), 1e-9);
        EXPECT_NEAR(sampler.probability(9) / sampler.probability(99), std::pow(10.0, theta), 1e-9);
    }
}

// Draws `n` keys and checks the frequencies of the 20 hottest keys, and of the rest together,
// against probability() within 5 standard deviations (the seed is fixed: no flakes).
void expect_frequencies_match(const KeySampler& sampler, std::uint64_t count, int n) {
    std::vector<int> hits(count);
    Rng rng(0x2162);
    std::uint64_t cursor = 0;
    for (int i = 0; i < n; ++i) ++hits[sampler.next(rng, cursor)];
    double tail_p = 1;
    int tail_hits = n;
    for (std::uint64_t k = 0; k < 20 && k < count; ++k) {
        const double p = sampler.probability(k);
        const double sd = std::sqrt(p * (1 - p) / n);
        EXPECT_NEAR(static_cast<double>(hits[k]) / n, p, 5 * sd + 1e-4) << "key " << k;
        tail_p -= p;
        tail_hits -= hits[k];
    }
    const double sd = std::sqrt(tail_p * (1 - tail_p) / n);
    EXPECT_NEAR(static_cast<double>(tail_hits) / n, tail_p, 5 * sd + 1e-4) << "keys 20 and up";
}

TEST(KeySampler, ZipfFrequenciesMatchProbabilities) {
    for (double theta : {0.5, 0.99, 1.0, 1.5}) {
        SCOPED_TRACE(theta);
        const KeySampler sampler(spec_of(KeyDistribution::zipf, 1000, theta));
        expect_frequencies_match(sampler, 1000, 400'000);
    }
}

TEST(KeySampler, ZipfKeyZeroIsHottest) {
    const KeySampler sampler(spec_of(KeyDistribution::zipf, 100, 0.99));
    std::vector<int> hits(100);
    Rng rng(1);
    std::uint64_t cursor = 0;
    for (int i = 0; i < 100'000; ++i) ++hits[sampler.next(rng, cursor)];
    for (std::uint64_t k = 1; k < 100; ++k) EXPECT_GT(hits[0], hits[k]) << k;
}

TEST(KeySampler, UniformFrequenciesMatchProbabilities) {
    const KeySampler sampler(spec_of(KeyDistribution::uniform, 50));
    expect_frequencies_match(sampler, 50, 200'000);
}

TEST(KeySampler, SingleKey) {
    for (KeyDistribution d : k_distributions) {
        const KeySampler sampler(spec_of(d, 1));
        Rng rng(9);
        std::uint64_t cursor = 0;
        for (int i = 0; i < 100; ++i) EXPECT_EQ(sampler.next(rng, cursor), 0u);
        EXPECT_EQ(sampler.probability(0), 1.0);
    }
}

TEST(KeySampler, SequentialWraps) {
    const KeySampler sampler(spec_of(KeyDistribution::sequential, 5));
    Rng rng(1);
    std::uint64_t cursor = 0;
    std::vector<std::uint64_t> keys;
    for (int i = 0; i < 12; ++i) keys.push_back(sampler.next(rng, cursor));
    EXPECT_EQ(keys, (std::vector<std::uint64_t>{0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1}));
    EXPECT_EQ(cursor, 12u);
    std::uint64_t other_cursor = 3;  // the cursor is the caller's: each thread walks on its own
    EXPECT_EQ(sampler.next(rng, other_cursor), 3u);
    EXPECT_EQ(sampler.next(rng, cursor), 2u);
}

TEST(KeySampler, EachDrawConsumesExactlyOneRngValue) {
    for (KeyDistribution d : k_distributions) {
        for (double theta : {0.5, 1.5}) {
            const KeySampler sampler(spec_of(d, 777, theta));
            Rng rng(derive_seed(5, Stream::plan, 1));
            std::uint64_t cursor = 0;
            for (int i = 0; i < 1000; ++i) {
                Rng expected = rng;
                expected.next();
                sampler.next(rng, cursor);
                Rng a = rng;
                Rng b = expected;
                for (int j = 0; j < 4; ++j) ASSERT_EQ(a.next(), b.next()) << "draw " << i;
            }
        }
    }
}

TEST(KeySampler, RejectsBadSpecs) {
    EXPECT_THROW(KeySampler(spec_of(KeyDistribution::uniform, 0)), std::invalid_argument);
    EXPECT_THROW(KeySampler(spec_of(KeyDistribution::zipf, k_max_key_count + 1)), std::invalid_argument);
    EXPECT_THROW(KeySampler(spec_of(KeyDistribution::zipf, 10, 0.0)), std::invalid_argument);
    EXPECT_THROW(KeySampler(spec_of(KeyDistribution::zipf, 10, -1.0)), std::invalid_argument);
    EXPECT_THROW(KeySampler(spec_of(KeyDistribution::zipf, 10, NAN)), std::invalid_argument);
    EXPECT_NO_THROW(KeySampler(spec_of(KeyDistribution::uniform, 10, 0.0)));  // theta unused
}

}  // namespace
}  // namespace threadmill
