// Detection statistics: what a number of jobs that did (or did not) catch a bug says about how
// often the bug shows, and how long a run must be to see it.
#pragma once

#include <cstdint>
#include <optional>

namespace threadmill {

/// A two-sided confidence interval for a proportion.
struct Interval {
    double low = 0;
    double high = 1;
};

/// The z value of a two-sided interval at `confidence` (0.95 gives 1.95996...).
double two_sided_z(double confidence);

/// The Wilson score interval for `hits` successes in `trials` (E. B. Wilson, "Probable inference,
/// the law of succession, and statistical inference", JASA 1927). Unlike the normal approximation
/// it stays inside [0, 1] and is sensible at 0 and at `trials` hits. trials == 0 gives [0, 1].
Interval wilson_interval(std::uint64_t hits, std::uint64_t trials, double confidence = 0.95);

/// With no hit in `trials` independent trials, the rate p such that seeing none would have had
/// probability 1 - confidence: the exact one-sided bound 1 - (1 - confidence)^(1/trials). At 95%
/// it is close to 3/trials (the "rule of three", Hanley & Lippman-Hand, JAMA 1983). 1 when trials == 0.
double zero_hit_upper_bound(std::uint64_t trials, double confidence = 0.95);

/// How many independent trials see at least one hit with probability `goal` when each hits with
/// probability `rate`: the least n with 1 - (1 - rate)^n >= goal. None when rate <= 0 (never).
std::optional<std::uint64_t> trials_for_detection(double rate, double goal);

}  // namespace threadmill
