// The run summary and the gate: what a run's results add up to, and the exit code it earns.
#pragma once

#include <string>
#include <vector>

#include "model/result.hpp"
#include "model/summary.hpp"

namespace threadmill {

/// Counts the results of a run (verdicts, expectations met and missed, findings, distinct bugs,
/// suppressions used).
RunSummary summarize_run(const std::vector<JobResult>& results, int planned, bool interrupted, double elapsed,
                         std::string results_path);

/// The detection rate of every scenario × variant × flavor of `results`, in the order first run.
std::vector<DetectionRate> detection_rates(const std::vector<JobResult>& results);

}  // namespace threadmill
