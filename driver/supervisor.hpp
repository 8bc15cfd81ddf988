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
    std::string replay_worker_dir;  ///< named in the replay command (`--worker-dir`) when not ""
    std::string replay_out_dir;     ///< named in the replay command (`--out`) when not ""
    std::function<void(const Job&)> on_job_start;
    std::function<void(const JobResult&)> on_job_end;
};

struct RunOutcome {
    std::vector<JobResult> results;
    bool interrupted = false;  ///< `stop` was raised; results hold the jobs that finished
};

/// The worker executable of a flavor inside `worker_dir`.
std::string worker_path(const std::string& worker_dir, const std::string& flavor);

/// Runs `jobs` one after another. Appends every finished job to `<out>/results.jsonl` (after a
/// first line holding `context`), so a crash or Ctrl-C of the driver loses nothing finished.
/// When `stop` becomes true the running worker is killed and no further job starts.
/// Throws std::runtime_error when the output cannot be written or a worker is missing.
RunOutcome run_jobs(const std::vector<Job>& jobs, const Catalog& catalog, const SupervisorOptions& options,
                    const RunContext& context, const std::atomic<bool>& stop);

/// The command line that reruns one job, as a shell reads it: the program, the worker and
/// output folders when the run named them, the scenario, variant, flavor, seed and run length;
/// a word with characters the shell would read is single-quoted.
std::string replay_command(const Job& job, const SupervisorOptions& options);

}  // namespace threadmill
