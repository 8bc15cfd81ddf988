// Tests of the significance tests (driver/significance.cpp) against reference values.
//
// Exact p-values were computed in Python by enumerating every split of the pooled samples
// (itertools.combinations; U counts ties as one half; two-sided p = 2 * min(P(U <= u), P(U >= u))),
// the large-sample one with the normal approximation (tie and continuity corrections), as
// scipy.stats.mannwhitneyu computes them. The first case is scipy's documented example
// (U = 17, exact p = 0.1111).
#include <gtest/gtest.h>

#include <vector>

#include "driver/significance.hpp"

namespace threadmill {
namespace {

TEST(MannWhitney, ScipyDocumentedExampleExact) {
    const auto t = mann_whitney_u({19, 22, 16, 29, 24}, {20, 11, 17, 12});
    EXPECT_DOUBLE_EQ(t.u, 17);
    EXPECT_TRUE(t.exact);
    EXPECT_NEAR(t.p_value, 1.0 / 9, 1e-12);  // 0.1111...
}

TEST(MannWhitney, FullySeparatedFiveAgainstFive) {
    const auto t = mann_whitney_u({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
    EXPECT_DOUBLE_EQ(t.u, 0);
    EXPECT_NEAR(t.p_value, 2.0 / 252, 1e-12);  // 0.0079: the smallest p five a side can give
    const auto reversed = mann_whitney_u({6, 7, 8, 9, 10}, {1, 2, 3, 4, 5});
    EXPECT_DOUBLE_EQ(reversed.u, 25);
    EXPECT_NEAR(reversed.p_value, 2.0 / 252, 1e-12);
}

TEST(MannWhitney, InterleavedIsNotSignificant) {
    const auto t = mann_whitney_u({1, 3, 5, 7}, {2, 4, 6, 8});
    EXPECT_DOUBLE_EQ(t.u, 6);
    EXPECT_NEAR(t.p_value, 0.6857142857142857, 1e-12);  // 48 / 70
}

TEST(MannWhitney, TiesExactByEnumeration) {
    const auto t = mann_whitney_u({1, 2, 2, 3, 5}, {2, 3, 3, 4, 6, 6});
    EXPECT_DOUBLE_EQ(t.u, 7);
    EXPECT_TRUE(t.exact);
    EXPECT_NEAR(t.p_value, 0.17316017316017315, 1e-12);  // 80 / 462
}

TEST(MannWhitney, AllEqualGivesNoEvidence) {
    EXPECT_DOUBLE_EQ(mann_whitney_u({4, 4, 4}, {4, 4, 4, 4}).p_value, 1);
    EXPECT_DOUBLE_EQ(mann_whitney_u({}, {1, 2}).p_value, 1);
}

TEST(MannWhitney, LargeSamplesUseTheNormalApproximation) {
    const std::vector<double> a = {97,  105, 98,  97,  91, 98, 111, 104, 110, 102, 104, 102, 83,  109, 105,
                                   105, 83,  83,  91,  95, 103, 100, 105, 94, 103, 104, 93,  117, 106, 112};
    const std::vector<double> b = {100, 99,  103, 105, 112, 108, 102, 96,  101, 118, 98,  108, 110, 91,  106,
                                   119, 86,  103, 105, 98,  111, 105, 91,  114, 113, 115, 120, 110, 107, 93};
    const auto t = mann_whitney_u(a, b);
    EXPECT_FALSE(t.exact);  // 60 samples > k_exact_limit
    EXPECT_DOUBLE_EQ(t.u, 318.5);
    EXPECT_NEAR(t.p_value, 0.052416249292630696, 1e-9);
}

TEST(MannWhitney, ExactWithManyTiesAtFiftySamples) {
    // 25 a side, shifted by 3, every value tied with another: exact (counted in Python with
    // integer arithmetic); the normal approximation would say 0.0108.
    std::vector<double> a, b;
    for (int i = 0; i < 25; ++i) {
        a.push_back(i / 2);
        b.push_back(i / 2 + 3);
    }
    const auto t = mann_whitney_u(a, b);
    EXPECT_TRUE(t.exact);
    EXPECT_DOUBLE_EQ(t.u, 181);
    EXPECT_NEAR(t.p_value, 0.009828275298115832, 1e-12);
}

TEST(MannWhitney, FewestSamplesThatCanBeSignificant) {
    EXPECT_DOUBLE_EQ(mann_whitney_min_p(1, 1), 1);
    EXPECT_NEAR(mann_whitney_min_p(3, 3), 0.1, 1e-12);         // 2 / C(6, 3)
    EXPECT_NEAR(mann_whitney_min_p(4, 4), 2.0 / 70, 1e-12);    // 0.029
    EXPECT_NEAR(mann_whitney_min_p(2, 8), 2.0 / 45, 1e-12);    // 0.044
    EXPECT_NEAR(mann_whitney_min_p(1, 39), 0.05, 1e-12);       // never below 0.05 with one base sample
    EXPECT_EQ(mann_whitney_min_samples(0.05), 4u);
    EXPECT_EQ(mann_whitney_min_samples(0.01), 5u);  // 2 / 252 = 0.0079
    EXPECT_EQ(mann_whitney_min_samples(0.2), 3u);   // 0.1
}

// Reference: R's p.adjust(p, "BH"), worked by hand: q_(i) = min over j >= i of p_(j) * m / j.
TEST(BenjaminiHochberg, AdjustsInTheOrderGiven) {
    const std::vector<double> p = {0.205, 0.001, 0.041, 0.008, 0.074, 0.039, 0.06, 0.042};
    const std::vector<double> want = {0.205, 0.008, 0.0672, 0.032, 0.084571428571428575, 0.0672, 0.08, 0.0672};
    const auto q = benjamini_hochberg(p);
    ASSERT_EQ(q.size(), want.size());
    for (std::size_t i = 0; i < q.size(); ++i) EXPECT_NEAR(q[i], want[i], 1e-12) << i;
    for (const double v : benjamini_hochberg({0.01, 0.02, 0.03, 0.04, 0.05})) EXPECT_NEAR(v, 0.05, 1e-12);
    EXPECT_EQ(benjamini_hochberg({0.3}), std::vector<double>{0.3});
    EXPECT_TRUE(benjamini_hochberg({}).empty());
}

}  // namespace
}  // namespace threadmill
