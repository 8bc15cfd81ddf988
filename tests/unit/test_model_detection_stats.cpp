// Detection statistics against values worked out by hand (and checked against published tables).
#include <gtest/gtest.h>

#include <cmath>

#include "model/detection_stats.hpp"

namespace threadmill {
namespace {

TEST(DetectionStats, TwoSidedZMatchesTheNormalTable) {
    EXPECT_NEAR(two_sided_z(0.95), 1.959964, 1e-5);
    EXPECT_NEAR(two_sided_z(0.99), 2.575829, 1e-5);
    EXPECT_NEAR(two_sided_z(0.6826895), 1.0, 1e-5);
}

TEST(DetectionStats, WilsonIntervalAtTheEdgesAndTheMiddle) {
    // Newcombe (1998), Table I gives 0/10 -> [0, 0.2775] and 10/10 -> [0.7225, 1] at 95%.
    const Interval none = wilson_interval(0, 10);
    EXPECT_DOUBLE_EQ(none.low, 0.0);
    EXPECT_NEAR(none.high, 0.2775, 1e-4);
    const Interval all = wilson_interval(10, 10);
    EXPECT_NEAR(all.low, 0.7225, 1e-4);
    EXPECT_DOUBLE_EQ(all.high, 1.0);
    const Interval half = wilson_interval(10, 20);
    EXPECT_NEAR(half.low, 0.2993, 1e-4);
    EXPECT_NEAR(half.high, 0.7007, 1e-4);
    EXPECT_NEAR(half.low + half.high, 1.0, 1e-12);  // symmetric around one half
}

TEST(DetectionStats, WilsonIntervalNarrowsWithMoreTrials) {
    const Interval few = wilson_interval(5, 10);
    const Interval many = wilson_interval(500, 1000);
    EXPECT_LT(many.high - many.low, (few.high - few.low) / 5);
    const Interval nothing = wilson_interval(0, 0);
    EXPECT_EQ(nothing.low, 0.0);
    EXPECT_EQ(nothing.high, 1.0);
}

TEST(DetectionStats, ZeroHitBoundIsCloseToTheRuleOfThree) {
    EXPECT_NEAR(zero_hit_upper_bound(20), 1 - std::pow(0.05, 1.0 / 20), 1e-12);
    EXPECT_NEAR(zero_hit_upper_bound(20), 0.1391, 1e-4);
    EXPECT_NEAR(zero_hit_upper_bound(300) * 300, 3.0, 0.02);
    EXPECT_EQ(zero_hit_upper_bound(0), 1.0);
}

TEST(DetectionStats, TrialsForDetection) {
    EXPECT_EQ(trials_for_detection(0.5, 0.99), 7u);   // 1 - 0.5^7 = 0.992; 0.5^6 leaves 0.984
    EXPECT_EQ(trials_for_detection(0.1, 0.95), 29u);  // ln 0.05 / ln 0.9 = 28.4
    EXPECT_EQ(trials_for_detection(1.0, 0.99), 1u);
    EXPECT_FALSE(trials_for_detection(0.0, 0.99).has_value());
}

}  // namespace
}  // namespace threadmill
