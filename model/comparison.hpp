// A comparison of two runs' latency and throughput, as plain data (computed by driver/compare).
#pragma once

#include <string>
#include <vector>

namespace threadmill {

struct CompareOptions {
    /// A change of the median p50 or throughput smaller than this fraction (0.10 = 10%) is never
    /// a regression.
    double tolerance = 0.10;
    /// The same for the tails, p99 and p99.9 (1.0 = a doubling): between two runs of one build
    /// on a busy machine they move far more than the median (docs/performance.md).
    double tail_tolerance = 1.0;
    /// Significance level: a figure differs when its Benjamini-Hochberg adjusted p-value (its
    /// two-sided Mann-Whitney p-value, corrected for the number of figures tested) is below it.
    double alpha = 0.05;
    /// A figure with too few samples for the test to ever reach alpha is normally not judged;
    /// with this set, it is judged by the tolerance alone (so one noisy run can fail the gate).
    bool judge_few_samples = false;
    /// When set, only jobs of these variants are compared, matched across runs by scenario,
    /// flavor and operation: "how much slower is variant B than variant A". When empty, jobs
    /// are matched by variant too.
    std::string base_variant;
    std::string new_variant;
};

/// What a figure's change amounts to. Every compared figure gets exactly one.
enum class Judgement {
    regression,   ///< significantly different, and worse by more than the tolerance
    improvement,  ///< significantly different, and better by more than the tolerance
    unchanged,    ///< not significantly different, or within the tolerance
    not_judged,   ///< too few samples for the test ever to be significant at alpha
};

/// One figure (p50, p99, p999 or throughput) of one operation, base against new.
/// Each side is the median over its samples (one per job: seed x repeat).
struct MetricChange {
    std::string metric;  ///< "p50", "p99", "p999" (ns) or "throughput" (ops/s)
    bool higher_is_better = false;  ///< true for throughput
    double base = 0, next = 0;      ///< medians
    int base_samples = 0, next_samples = 0;
    /// (next - base) / base: positive when the figure grew (slower for a latency, more
    /// operations per second for throughput).
    double change = 0;
    /// Two-sided Mann-Whitney p-value over the two sides' samples; 1 when not judged.
    double p_value = 1;
    /// p_value adjusted (Benjamini-Hochberg) over every judged figure of the comparison; the
    /// figure differs significantly when q_value < alpha. 1 when not judged.
    double q_value = 1;
    /// The change is beyond the tolerance, in the worse direction.
    bool worse_beyond_tolerance = false;
    /// The change is beyond the tolerance, in the better direction.
    bool better_beyond_tolerance = false;
    Judgement judgement = Judgement::unchanged;
    /// A regression judged by the tolerance alone (few samples, CompareOptions::judge_few_samples).
    bool tolerance_only = false;
};

struct OpComparison {
    std::string scenario, base_variant, new_variant, flavor, op;
    std::vector<MetricChange> metrics;
};

/// Counts are of figures (an operation has four: p50, p99, p99.9, throughput), and add up:
/// figures == regressions + improvements + unchanged + not_judged.
struct Comparison {
    std::vector<OpComparison> ops;
    /// "scenario/variant/flavor/op" present on one side only.
    std::vector<std::string> only_in_base, only_in_new;
    int figures = 0;
    int regressions = 0;
    int improvements = 0;
    int unchanged = 0;
    int not_judged = 0;
    /// The samples a side of the not-judged figure with the fewest (0 when every figure was judged).
    int fewest_base_samples = 0, fewest_next_samples = 0;
    /// Samples a side needed for the test to be able to reach alpha at all.
    int samples_needed = 0;
    /// Figures the U test judged (the family the correction spreads alpha over), the fewest
    /// samples a side among them, and the samples a side a lone changed figure among them needs
    /// to be found significant (2 / C(2n, n) * judged < alpha).
    int judged = 0;
    int fewest_judged_samples = 0;
    int lone_samples_needed = 0;
};

}  // namespace threadmill
