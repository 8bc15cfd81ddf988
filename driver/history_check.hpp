// The linearizability check of a job's history: the worker records, the driver checks.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "model/result.hpp"
#include "model/scenario.hpp"

namespace threadmill {

/// Why a scenario's `[check] model` cannot be used ("" when it can): an unknown model name,
/// with the names there are.
std::string check_model_problem(const Scenario& scenario);

/// Checks the history the job's worker wrote into `job_dir` (Measurement::history) against the
/// scenario's model, within `[check] time_limit`, and records the result in
/// `job.linearizability`: a history that is not linearizable adds a `linearizability`
/// detection, one the model cannot read (a malformed record, an op it does not know) an
/// `error` detection; `unknown` (a limit ran out) adds none, and reports say so. Does nothing
/// for a scenario without the check, or a job that wrote no history (it did not run to its end).
void check_job_history(JobResult& job, const std::filesystem::path& job_dir, const Scenario& scenario);

}  // namespace threadmill
