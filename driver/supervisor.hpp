// The supervisor: runs each planned job in its own worker process and turns whatever the
// worker does (a result, a crash, a hang) into a graded JobResult, saved as it ends.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "scenario/overrides.hpp"
#include "driver/planner.hpp"
#include "model/result.hpp"

namespace threadmill {

struct SupervisorOptions {
    std::string out_dir;     ///< results.jsonl and jobs/<NNNN-...>/ go here
    std::string worker_dir;  ///< holds threadmill-worker (plain) and threadmill-worker-<flavor>
    std::string sanitizer_dir;  ///< holds the suppression files <tool>.supp ("" = none)
    bool hang_backtraces = true;  ///< on a timeout, attach gdb (when installed) for backtraces
    RunLengthOverride run_length;
    std::string replay_program = "threadmill";  ///< how the replay command starts
    std::function<void(const Job&)> on_job_start;
    std::function<void(const JobResult&)> on_job_end;
};

struct RunOutcome {
    /// The jobs that finished: the plan's first results.size() jobs, in plan order.
    std::vector<JobResult> results;
    /// `stop` was raised; the jobs that did not run are plan.from(results.size()) on.
    bool interrupted = false;
};

/// The worker executable of a flavor inside `worker_dir`.
std::string worker_path(const std::string& worker_dir, const std::string& flavor);

/// Throws std::runtime_error, naming the worker and how to build it, when the worker of a
/// flavor of `plan` is missing (run_jobs checks it too, before it touches `out_dir`).
void check_workers(const Plan& plan, const SupervisorOptions& options);

/// Runs the jobs of `plan` one after another, making each as it starts. Appends every finished job to `<out>/results.jsonl` (after a
/// first line holding `context`), so a crash or Ctrl-C of the driver loses nothing finished.
/// When `stop` becomes true the running worker is killed and no further job starts.
/// Throws std::runtime_error when the output cannot be written or a worker is missing.
RunOutcome run_jobs(const Plan& plan, const Catalog& catalog, const SupervisorOptions& options,
                    const RunContext& context, const std::atomic<bool>& stop);

/// The command line that reruns one job.
std::string replay_command(const Job& job, const SupervisorOptions& options);

}  // namespace threadmill
