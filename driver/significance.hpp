// Significance tests for compare: the Mann-Whitney U test and the Benjamini-Hochberg correction.
#pragma once

#include <cstddef>
#include <vector>

namespace threadmill {

/// The outcome of a two-sided Mann-Whitney U test of `a` against `b`.
struct UTest {
    /// U of `a`: the number of pairs (a_i, b_j) with a_i > b_j, ties counting one half.
    double u = 0;
    /// Two-sided p-value: the chance, were both sets drawn from one distribution, of a U at
    /// least this far from n*m/2. 1 when either set is empty.
    double p_value = 1;
    /// True when p_value is exact (the permutation distribution, ties included); false when
    /// it is the normal approximation with tie and continuity corrections.
    bool exact = false;
};

/// Two-sided Mann-Whitney U test. Exact (by counting every split of the pooled, mid-ranked
/// samples) while a.size() + b.size() <= k_exact_limit; the normal approximation above it.
UTest mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b);

/// The pooled sample count up to which mann_whitney_u is exact.
inline constexpr std::size_t k_exact_limit = 50;

/// The smallest two-sided p-value any samples of these sizes can give (no ties, the two sets
/// fully separated): 2 / C(n + m, n), capped at 1. When it is above the significance level,
/// the test can never find a difference, whatever the figures.
double mann_whitney_min_p(std::size_t n, std::size_t m);

/// The smallest n such that n samples a side can reach a p-value <= alpha (0 if none up to 1000).
std::size_t mann_whitney_min_samples(double alpha);

/// Benjamini-Hochberg adjusted p-values (q-values), in the order given: q_i is the smallest
/// false discovery rate at which p_i would be declared significant among all of them
/// (p.adjust(p, "BH") in R). Declaring every figure with q < alpha significant keeps the
/// expected share of false discoveries among them below alpha.
std::vector<double> benjamini_hochberg(const std::vector<double>& p_values);

}  // namespace threadmill
