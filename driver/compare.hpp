// Comparing the latency and throughput of two runs: the core of `threadmill compare` and
// `threadmill run --baseline`.
#pragma once

#include <string>
#include <vector>

#include "model/comparison.hpp"
#include "model/result.hpp"

namespace threadmill {

/// Compares every operation measured in both runs (jobs without a measurement are skipped).
Comparison compare_runs(const std::vector<JobResult>& base, const std::vector<JobResult>& next,
                        const CompareOptions& options);

/// Parses "10%", "10 %" or "0.1" into a fraction; throws std::invalid_argument.
double parse_tolerance(const std::string& text);

}  // namespace threadmill
