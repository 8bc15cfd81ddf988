// Detection statistics: Wilson intervals, the zero-hit bound and the run length for a goal.
#include "model/detection_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace threadmill {

double two_sided_z(double confidence) {
    // The standard normal quantile at (1 + confidence) / 2, by bisection on erfc: 60 halvings of
    // [0, 40] are far below double precision, and no table or approximation constant is needed.
    const double tail = (1 - std::clamp(confidence, 0.0, 1.0 - 1e-15)) / 2;
    double lo = 0, hi = 40;
    for (int i = 0; i < 60; ++i) {
        const double mid = (lo + hi) / 2;
        // P(Z > mid) = erfc(mid / sqrt 2) / 2; it falls as mid grows.
        if (0.5 * std::erfc(mid / std::sqrt(2.0)) > tail) lo = mid;
        else hi = mid;
    }
    return (lo + hi) / 2;
}

Interval wilson_interval(std::uint64_t hits, std::uint64_t trials, double confidence) {
    if (trials == 0) return {};
    const double n = static_cast<double>(trials);
    const double p = static_cast<double>(std::min(hits, trials)) / n;
    const double z = two_sided_z(confidence);
    const double z2 = z * z;
    const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
    const double half = z / (1 + z2 / n) * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
    return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

double zero_hit_upper_bound(std::uint64_t trials, double confidence) {
    if (trials == 0) return 1;
    return 1 - std::pow(1 - confidence, 1.0 / static_cast<double>(trials));
}

std::optional<std::uint64_t> trials_for_detection(double rate, double goal) {
    if (!(rate > 0)) return std::nullopt;
    if (rate >= 1 || goal <= 0) return 1;
    const double n = std::ceil(std::log1p(-std::min(goal, 1 - 1e-12)) / std::log1p(-rate));
    if (n >= static_cast<double>(std::numeric_limits<std::uint64_t>::max())) return std::numeric_limits<std::uint64_t>::max();
    return static_cast<std::uint64_t>(std::max(1.0, n));
}

}  // namespace threadmill
