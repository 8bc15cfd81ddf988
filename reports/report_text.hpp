// Text that several reports print the same way: a job's outcome and its reason, a budget's
// figure and use, a frame's location.
#pragma once

#include <string>

#include "model/outcome.hpp"
#include "model/result.hpp"
#include "model/summary.hpp"

namespace threadmill {

/// How much of a budget is used: above 1 is over. For throughput, less is worse.
double budget_use(const BudgetResult& b);

/// A budget's measured or limit figure in its unit: a duration ("20.4us") for "ns", otherwise
/// the rate with three significant digits ("2.71e+06 ops/s").
std::string budget_figure(double value, const std::string& unit);

/// Where a frame is: "file:line[:column]" relative to `source_root`, or its module when it has
/// no file.
std::string frame_location(const Frame& f, const std::string& source_root);

/// A job's outcome as reports print it: "ok", "caught (expected)", "MISSED", "UNEXPECTED", "ERROR".
std::string outcome_label(const JobResult& job);

/// Why a job ended as it did, in a few words: for a caught job the mechanisms that caught it
/// ("by invariant:exactly_once, crash"), for a job not gated `not gated (expect = "any")`, for
/// a miss the expectation's detail; "" for an ok job.
std::string outcome_reason(const JobResult& job);

/// "incomplete run (3 jobs of 10 planned)" for an incomplete run (RunSummary::incomplete).
std::string incomplete_run_text(const RunSummary& s);

/// "job 4 ran but is not in results.jsonl (its line could not be written)", for the jobs of
/// RunSummary::unrecorded; "" when there are none.
std::string unrecorded_text(const RunSummary& s);

/// How often a suppression file's pattern matched, as reports print it: "12", "0 (stale)", or
/// "not counted" for a runtime that prints no table of matches (ASan, UBSan).
std::string suppression_count_text(const SuppressionPatternUse& p);

/// The stale patterns of the files a user wrote (every origin but threadmill's own), one line
/// per file: "stale suppressions in x.supp (scenario): race:a, race:b matched nothing in 4 jobs".
std::vector<std::string> stale_suppression_lines(const RunSummary& s, const std::string& source_root);

/// A job's first detection in words: "race after 12.3ms and 4.1k ops", "linearizability after 80ms";
/// "" when it has none. first_detection_when leaves out the mechanism: "after 12.3ms and 4.1k ops".
std::string first_detection_text(const JobResult& job);
std::string first_detection_when(const JobResult& job);

/// A detection rate's figures in words, for every format:
/// - rate: "18/20 jobs (70%-97%)", the Wilson interval at k_detection_confidence;
/// - bound (none detected): "under 14% per job (95%)";
/// - goal: "7 jobs for 99%", the run length for k_detection_goal;
/// - first: "median 12ms, 4.1k ops" over the timed jobs, and for portfolio jobs the strategies
///   that made the first detections ("; found by pct 3, uniform 2"); "" when none was timed.
std::string rate_text(const DetectionRate& d);
std::string rate_bound_text(const DetectionRate& d);
std::string rate_goal_text(const DetectionRate& d);
std::string rate_first_text(const DetectionRate& d);

/// What the reruns of a missed job said, in words (`run --confirm K`); "" when it was not rerun:
/// "deterministic: MISSED again in 5 of 5 reruns with the same seed",
/// "flaky: MISSED again in 2 of 5 reruns with the same seed", "not reproduced in 5 reruns with the
/// same seed". A safe variant that fails only sometimes is named a finding about the target.
std::string confirmation_text(const JobResult& job);

/// Whether the run has a rate worth showing: some scenario × variant × flavor ran more than once.
bool has_repeated_jobs(const RunSummary& s);

}  // namespace threadmill
