// The Mann-Whitney U test, two-sided, exact for small samples and approximate for large ones;
// the Benjamini-Hochberg correction for testing many figures at once.
//
// H. B. Mann and D. R. Whitney, "On a Test of Whether one of Two Random Variables is
// Stochastically Larger than the Other", Annals of Mathematical Statistics 18(1), 1947, 50-60.
// Google Benchmark's tools/compare.py judges repetitions of two benchmarks the same way
// (scipy.stats.mannwhitneyu, two-sided, alpha 0.05); this is that test, written out.
//
// Y. Benjamini and Y. Hochberg, "Controlling the False Discovery Rate: A Practical and Powerful
// Approach to Multiple Testing", J. Royal Statistical Society B 57(1), 1995, 289-300. A
// comparison tests every figure of every operation; without it, one figure in twenty differs
// "significantly" by chance alone.
#include "driver/significance.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

namespace threadmill {
namespace {

/// C(n, k) as a double (exact while it stays below 2^53).
double choose(std::size_t n, std::size_t k) {
    k = std::min(k, n - k);
    double c = 1;
    for (std::size_t i = 1; i <= k; ++i) c = c * static_cast<double>(n - k + i) / static_cast<double>(i);
    return std::round(c);
}

/// Two-sided exact p-value: among every way of choosing n of the pooled doubled ranks, the
/// share whose sum is at least as far into either tail as the observed sum.
double exact_p(const std::vector<long>& doubled_ranks, std::size_t n, long observed) {
    long total_sum = 0;
    for (const long r : doubled_ranks) total_sum += r;
    // ways[k][s]: subsets of size k, among the ranks seen so far, whose sum is s.
    std::vector<std::vector<double>> ways(n + 1, std::vector<double>(static_cast<std::size_t>(total_sum) + 1, 0.0));
    ways[0][0] = 1;
    long seen_sum = 0;
    std::size_t seen = 0;
    for (const long r : doubled_ranks) {
        seen_sum += r;
        ++seen;
        for (std::size_t k = std::min(n, seen); k >= 1; --k) {
            for (long s = seen_sum; s >= r; --s) {
                ways[k][static_cast<std::size_t>(s)] += ways[k - 1][static_cast<std::size_t>(s - r)];
            }
        }
    }
    double below = 0, above = 0, all = 0;
    for (long s = 0; s <= total_sum; ++s) {
        const double w = ways[n][static_cast<std::size_t>(s)];
        all += w;
        if (s <= observed) below += w;
        if (s >= observed) above += w;
    }
    return std::min(1.0, 2 * std::min(below, above) / all);
}

}  // namespace

UTest mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b) {
    UTest out;
    const std::size_t n = a.size(), m = b.size(), total = n + m;
    if (n == 0 || m == 0) return out;
    std::vector<std::pair<double, bool>> pooled;  // value, from a
    pooled.reserve(total);
    for (const double v : a) pooled.emplace_back(v, true);
    for (const double v : b) pooled.emplace_back(v, false);
    std::sort(pooled.begin(), pooled.end(), [](const auto& x, const auto& y) { return x.first < y.first; });

    // Mid-ranks, doubled so they stay integers: a tie over positions i..j-1 (0-based) has the
    // rank (i + 1 + j) / 2.
    std::vector<long> doubled(total);
    long a_sum = 0;
    double tie_term = 0;  // sum of t^3 - t over tie groups of size t
    for (std::size_t i = 0; i < total;) {
        std::size_t j = i;
        while (j < total && pooled[j].first == pooled[i].first) ++j;
        const long r = static_cast<long>(i + 1 + j);
        for (std::size_t k = i; k < j; ++k) {
            doubled[k] = r;
            if (pooled[k].second) a_sum += r;
        }
        const double t = static_cast<double>(j - i);
        tie_term += t * t * t - t;
        i = j;
    }
    const double nd = static_cast<double>(n), md = static_cast<double>(m), td = static_cast<double>(total);
    out.u = static_cast<double>(a_sum) / 2 - nd * (nd + 1) / 2;

    if (total <= k_exact_limit) {
        out.exact = true;
        out.p_value = exact_p(doubled, n, a_sum);
        return out;
    }
    const double mean = nd * md / 2;
    const double variance = nd * md / 12 * ((td + 1) - tie_term / (td * (td - 1)));
    if (variance <= 0) return out;  // every sample equal: no evidence of a difference
    const double z = std::max(0.0, (std::abs(out.u - mean) - 0.5) / std::sqrt(variance));
    out.p_value = std::min(1.0, std::erfc(z / std::sqrt(2.0)));
    return out;
}

double mann_whitney_min_p(std::size_t n, std::size_t m) {
    if (n == 0 || m == 0) return 1;
    return std::min(1.0, 2 / choose(n + m, n));
}

std::size_t mann_whitney_min_samples(double alpha) {
    for (std::size_t n = 1; n <= 1000; ++n) {
        if (mann_whitney_min_p(n, n) < alpha) return n;
    }
    return 0;
}

std::vector<double> benjamini_hochberg(const std::vector<double>& p) {
    const std::size_t m = p.size();
    std::vector<std::size_t> order(m);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return p[x] < p[y]; });
    std::vector<double> q(m, 1.0);
    double running = 1.0;  // the smallest p_(j) * m / j over ranks j >= i
    for (std::size_t rank = m; rank >= 1; --rank) {
        const std::size_t i = order[rank - 1];
        running = std::min(running, p[i] * static_cast<double>(m) / static_cast<double>(rank));
        q[i] = running;
    }
    return q;
}

}  // namespace threadmill
