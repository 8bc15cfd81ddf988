// A comparison of two runs' latency and throughput, as plain data (computed by driver/compare).
#pragma once

#include <string>
#include <vector>

namespace threadmill {

struct CompareOptions {
    /// A change smaller than this fraction (0.10 = 10%) is never a regression.
    double tolerance = 0.10;
    /// When set, only jobs of these variants are compared, matched across runs by scenario,
    /// flavor and operation: "how much slower is variant B than variant A". When empty, jobs
    /// are matched by variant too.
    std::string base_variant;
    std::string new_variant;
};

/// One figure (p50, p99, p999 or throughput) of one operation, base against new.
/// Each side is the median over its samples (one per seed and repeat); its spread is
/// (max - min) / median, 0 with a single sample.
struct MetricChange {
    std::string metric;  ///< "p50", "p99", "p999" (ns) or "throughput" (ops/s)
    double base = 0, next = 0;
    double base_spread = 0, next_spread = 0;
    int base_samples = 0, next_samples = 0;
    /// (next - base) / base, signed so that a positive change is always worse (slower, or
    /// fewer operations per second).
    double worse_by = 0;
    /// |worse_by| is no larger than the larger spread of the two sides (needs 2+ samples each).
    bool within_noise = false;
    bool regression = false;   ///< worse by more than the tolerance, and not within noise
    bool improvement = false;  ///< better by more than the tolerance, and not within noise
};

struct OpComparison {
    std::string scenario, base_variant, new_variant, flavor, op;
    std::vector<MetricChange> metrics;
};

struct Comparison {
    std::vector<OpComparison> ops;
    /// "scenario/variant/flavor/op" present on one side only.
    std::vector<std::string> only_in_base, only_in_new;
    int regressions = 0;
    int improvements = 0;
    bool single_samples = false;  ///< some figure had one sample a side: noise not measured
};

}  // namespace threadmill
