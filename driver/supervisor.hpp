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
#include "model/worker_build.hpp"
#include "sanitizers/parser.hpp"

namespace threadmill {

struct SupervisorOptions {
    std::string out_dir;     ///< results.jsonl and jobs/<NNNN-...>/ go here
    /// The run's workers: threadmill-worker (plain) and threadmill-worker-<flavor>; a scenario that
    /// names its own (Scenario::worker_dir) runs on those instead.
    std::string worker_dir;
    /// The run's suppression files: threadmill's own, $THREADMILL_SANITIZER_DIR's and the
    /// project's. A sanitizer job adds its scenario's and runs with them merged into
    /// `jobs/<job>/suppressions/<runtime>.supp`.
    std::vector<SuppressionSource> suppressions;
    FrameFilter frame_filter;   ///< which frames of a sanitizer report or a hang backtrace are threadmill's own
    bool hang_backtraces = true;  ///< on a timeout, attach gdb (when installed) for backtraces
    RunLengthOverride run_length;
    /// `run --time-budget` shortened the scenarios' durations (in the loaded scenarios): each
    /// worker, and each replay command, gets its scenario's duration.
    bool pass_scenario_duration = false;
    std::vector<KeyOverride> sets;  ///< `--set`: passed to every worker, named in replay commands
    std::string replay_program = "threadmill";  ///< how the replay command starts
    std::string replay_worker_dir;  ///< named in the replay command (`--worker-dir`) when not ""
    std::string replay_out_dir;     ///< named in the replay command (`--out`) when not ""
    /// Rerun each job that misses its expectation this many times with the same seed, and record
    /// how many reruns ended the same way (JobResult::confirmation); 0: never.
    int confirm = 0;
    /// `run --jobs`: at most this many groups of jobs (planner.hpp: JobGroup) run side by side,
    /// each on CPUs of its own taken from `cpus` (driver/sharding.hpp: job_width). 1 runs the
    /// jobs one after another.
    int jobs = 1;
    /// The CPUs workers are pinned to; empty: workers are not pinned (then `jobs` must be 1).
    std::vector<int> cpus;
    /// `run --fail-fast`: once a job misses its expectation no further job starts; the jobs
    /// running then finish and are recorded.
    bool fail_fast = false;
    /// Called in plan order, the same whatever `jobs`: on_job_start(j) when j is the next job
    /// to report, on_job_end when its result is recorded.
    std::function<void(const Job&)> on_job_start;
    std::function<void(const JobResult&)> on_job_end;
};

struct RunOutcome {
    /// The jobs that finished, in plan order: a prefix of the share's jobs, except after an
    /// interruption, when jobs running side by side with the stopped ones may have finished.
    std::vector<JobResult> results;
    /// `stop` was raised; the jobs that did not run are those of the share not in `results`.
    bool interrupted = false;
    /// `fail_fast` stopped the run after a miss, with jobs left that did not run.
    bool fail_fast = false;
    /// A harness error that stopped the run early, naming the path and the OS error (a full
    /// disk, a file-size limit, a worker that could not be started); "" when none. The run must
    /// exit 3 (internal); results hold the jobs that finished before it.
    std::string error;
    /// Indexes of jobs in `results` whose line could not be written to results.jsonl.
    std::vector<int> unrecorded;
};

/// The folder of the workers that run `sc`: its own (`worker = "..."`) when it names one, else the run's.
std::string scenario_worker_dir(const Scenario& sc, const SupervisorOptions& options);
/// The worker executable of a flavor inside `worker_dir`.
std::string worker_path(const std::string& worker_dir, const std::string& flavor);
/// The folder of a variant's own build inside `worker_dir`: `<worker_dir>/variants/<variant>`
/// (threadmill_add_worker(... VARIANT_BUILD <variant>)).
std::string variant_build_dir(const std::string& worker_dir, const std::string& variant);
/// Whether `variant` is a build of its own: its folder exists in `worker_dir`.
bool is_variant_build(const std::string& worker_dir, const std::string& variant);
/// The worker executable that runs the jobs of `variant` in `flavor`: the one in the variant's
/// build folder when it has one (a variant that is a build never runs on the default build),
/// else the default build's.
std::string job_worker_path(const std::string& worker_dir, const std::string& variant, const std::string& flavor);

/// Checks every worker executable the jobs of `plan` need and returns them with their builds,
/// for the results context: one per (worker folder, flavor) of the default build, one per
/// (variant build, flavor). Throws std::runtime_error, naming the worker and what to do, when one is missing,
/// cannot describe itself, or sits in a variant's build folder but says it was built for
/// another variant (or for none, or for another flavor). run_jobs checks it too, before it
/// touches `out_dir`.
std::vector<WorkerUse> check_workers(const Plan& plan, const SupervisorOptions& options);

/// Runs the jobs of `share` (a plan's, or a shard's), making each as it starts: one after
/// another, or with options.jobs > 1 side by side on disjoint CPUs, a group at a time per slot;
/// either way each job is recorded, and reported, in plan order. Appends every finished
/// job to `<out>/results.jsonl` (after a first line holding `context`, its `planned` set to the
/// share's jobs), so a crash or Ctrl-C of the driver loses nothing finished, and ends the file
/// with a closing line (RunEnd) when the run ends, interrupted or not. When `stop` becomes true
/// the running workers are killed and no further job starts. A job whose files, or whose line,
/// could not be written (a full disk, a file-size limit) stops the run with `error` set: the job
/// is `error`, never a crash. Throws std::runtime_error before the first job when the output
/// cannot be created or a worker is missing.
RunOutcome run_jobs(const JobShare& share, const Catalogs& catalogs, const SupervisorOptions& options,
                    const RunContext& context, const std::atomic<bool>& stop);
/// Every job of `plan`.
inline RunOutcome run_jobs(const Plan& plan, const Catalogs& catalogs, const SupervisorOptions& options,
                           const RunContext& context, const std::atomic<bool>& stop) {
    return run_jobs(JobShare(plan), catalogs, options, context, stop);
}

/// The command line that reruns one job, as a shell reads it: the program, the worker folder
/// when the run named it and the scenario names none, the output folder when the run named it, the scenario, variant, flavor, seed and run length;
/// a word with characters the shell would read is single-quoted.
std::string replay_command(const Job& job, const SupervisorOptions& options);

}  // namespace threadmill
