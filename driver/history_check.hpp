// The linearizability check of a job's history: the worker records, the driver checks.
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>

#include "api/target.hpp"
#include "model/result.hpp"
#include "model/scenario.hpp"

namespace threadmill {

/// Why a scenario's `[check] model` cannot be used ("" when it can): a name that is neither a
/// built-in model nor `target`'s own (with the names there are), or an own model of `target` named
/// like a built-in one (which one would be meant is not clear). `target` may be null (no catalog).
std::string check_model_problem(const Scenario& scenario, const TargetInfo* target);

/// Whether the scenario's model is its target's own (checked by the target's plain worker).
bool uses_own_model(const Scenario& scenario, const TargetInfo& target);

/// Checks the history the job's worker wrote into `job_dir` (Measurement::history) against the
/// scenario's model, within `[check] time_limit`, and records the result in
/// `job.linearizability`: a history that is not linearizable adds a `linearizability`
/// detection, one the model cannot read (a malformed record, an op it does not know) an
/// `error` detection; `unknown` (a limit ran out) adds none, and reports say so. A built-in model
/// is checked here; the target's own model by `plain_worker` (the plain worker executable of the
/// job's build) in its check mode, in a process of its own (driver/model_worker): a worker that
/// crashes, hangs or answers nonsense is an `error`. `stop` (Ctrl-C) kills that worker. Does
/// nothing for a scenario without the check, or a job that wrote no history (it did not run to its end).
void check_job_history(JobResult& job, const std::filesystem::path& job_dir, const Scenario& scenario,
                       const TargetInfo& target, const std::string& plain_worker,
                       const std::atomic<bool>* stop = nullptr);

}  // namespace threadmill
