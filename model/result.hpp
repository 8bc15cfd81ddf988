// The result model: what a job measured and what the supervisor concluded. Plain data; every
// reporter prints from it and `results.jsonl` stores it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/finding.hpp"
#include "model/histogram.hpp"
#include "model/outcome_grade.hpp"
#include "model/suppressions.hpp"
#include "model/text.hpp"
#include "model/worker_build.hpp"

namespace threadmill {

inline constexpr int k_results_schema_version = 4;
/// The first schema whose files end with a closing line (RunEnd) when their run ended.
inline constexpr int k_first_schema_with_run_end = 3;
/// The first schema whose context lists the worker executables a run used (RunContext::workers).
inline constexpr int k_first_schema_with_workers = 4;
inline constexpr std::size_t k_max_findings = 100;

/// Latency and count of one operation over all threads of a job.
struct OpStats {
    std::string name;
    std::uint64_t count = 0;
    std::uint64_t p50 = 0, p90 = 0, p99 = 0, p999 = 0, min = 0, max = 0;  ///< nanoseconds
    double mean = 0;
    double throughput = 0;  ///< ops per second of wall time
    std::uint64_t exceptions = 0;
    std::string first_exception;
    Histogram histogram;  ///< kept for charts and re-merging (stored sparse)
};

struct InvariantResult {
    std::string name;
    bool held = true;
    std::uint64_t checks = 0;      ///< quiescent/final checks run
    std::uint64_t violations = 0;  ///< quiescent + online
    std::vector<std::string> details;
};

/// Distinct results a lockstep job counts (the worker's table); rounds ending in a result past
/// these are counted in Measurement::outcomes_uncounted.
inline constexpr std::size_t k_max_distinct_results = 256;

/// One distinct result of a lockstep job's arbiter and how many rounds ended in it.
struct ObservedResult {
    std::string result;  ///< as the arbiter printed it: "1, 2"
    std::uint64_t count = 0;
};

/// One row of a lockstep job's outcome table: a result graded by the driver against the
/// scenario's `[[outcome]]` entries.
struct GradedOutcome {
    std::string result;
    std::uint64_t count = 0;
    double frequency = 0;  ///< count / rounds of the job, 0 to 1
    OutcomeGrade grade = OutcomeGrade::forbidden;
    std::string desc;  ///< the matching entry's description, or why the result is forbidden
};

/// What one worker thread was doing, published by the worker while it runs.
struct ThreadActivity {
    int thread = 0;
    std::string group;
    std::string op;  ///< the op in progress, or the last one when not in_op
    bool in_op = false;
    std::uint64_t ops_done = 0;
};

/// One thread of a hung worker as gdb saw it at the timeout (`thread apply all bt`, parsed).
struct HangThread {
    int thread = 0;             ///< gdb's thread number ("Thread 2 (Thread 0x... (LWP 41) ...)")
    int lwp = 0;                ///< the kernel's thread id, 0 when gdb did not print one
    std::string name;           ///< the thread's name, "" when gdb printed none
    std::vector<Frame> frames;  ///< innermost first; `user` marks the code under test (FrameFilter)
};

/// The first frame of `t` in the code under test, or nullptr (a harness thread, a thread in libc only).
const Frame* first_user_frame(const HangThread& t);

/// `thread 2 "worker"`, or `thread 2` for a thread without a name.
std::string hang_thread_title(const HangThread& t);

/// One line per thread with a user frame, in the order gdb printed them: `thread 2 "worker"
/// blocked in Cache::get at src/cache.cpp:41` (paths relative to `source_root`). Empty without any user frame.
std::vector<std::string> describe_hang(const std::vector<HangThread>& threads,
                                       std::string_view source_root = k_source_root);

/// The history a job recorded for the linearizability check (`[check] linearizability`).
struct HistoryRecording {
    std::string file;               ///< the history file's name in the job folder (JSON Lines)
    std::uint64_t ops = 0;          ///< operations written to it
    bool cut = false;               ///< the threads used up `history_limit`
    double cut_at_seconds = 0;      ///< when cut: since the start barrier; nothing called later is in the file
    std::uint64_t open_at_cut = 0;  ///< operations in flight at the cut, written with outcome unknown (`info`)
};

/// One part of a job run under one schedule strategy (model/schedule.hpp): a portfolio job has one
/// per slice it reached, in order; any other job one, from the start.
struct StrategySlice {
    std::string strategy;       ///< a name of the strategy table: "uniform", "pct", "uniform+spread", "none"
    double start_seconds = 0;   ///< since the start barrier
    std::uint64_t start_ops = 0;  ///< operations the job had done (all threads) when it began
};

/// The slice of `schedule` that ran at `seconds` since the start barrier (the last one begun by
/// then), or nullptr when `schedule` is empty.
const StrategySlice* slice_at(const std::vector<StrategySlice>& schedule, double seconds);

/// The worker's part of a job result.
struct Measurement {
    double wall_seconds = 0;  ///< from the start barrier to the last thread's end
    std::uint64_t total_ops = 0;
    double throughput = 0;  ///< all ops per second
    std::uint64_t rounds = 0;
    int threads = 0;
    std::uint64_t faults_injected = 0;  ///< how often Call::fault() said yes (`[faults] rate`)
    std::vector<OpStats> ops;
    std::vector<InvariantResult> invariants;
    std::optional<HistoryRecording> history;  ///< set when the job recorded a history
    /// Lockstep: each distinct result of the arbiter with its count, in the order first seen.
    std::vector<ObservedResult> outcomes;
    std::uint64_t outcomes_uncounted = 0;  ///< rounds whose result was past k_max_distinct_results
    std::vector<StrategySlice> schedule;   ///< which `[chaos] strategy` ran when; empty in older files
    /// The CPUs the worker's threads could run on (its affinity mask at start); empty in older files.
    std::vector<int> cpus;
};

/// One operation of a history, as the linearizability result shows it (the HTML timeline).
struct LinOp {
    std::size_t line = 0;   ///< its line in the history file (1-based)
    int process = 0;        ///< the thread that ran it
    std::string text;       ///< the model's description: "put(k3, \"7\")", "get(k3) -> \"1\""
    std::int64_t call = 0;  ///< on the history's clock (a job's: nanoseconds since the start barrier)
    std::optional<std::int64_t> ret;  ///< none: never returned (outcome unknown)
    bool info = false;      ///< outcome unknown: it may or may not have taken effect
    bool unplaced = false;  ///< it had to come next after the longest linearizable prefix, and cannot
    int order = -1;         ///< its position in that prefix, -1 when not in it
    std::string state;      ///< the model's state after it, when in the prefix
};

/// The driver's linearizability check of one job's history.
struct LinearizabilityResult {
    std::string model;    ///< the sequential model checked against
    std::string verdict;  ///< "linearizable", "not linearizable", "unknown", or "error" (see `error`)
    std::string unknown_reason;  ///< "time limit" or "memory limit", when unknown
    std::string error;    ///< why the history could not be checked (a record the model cannot use)
    std::uint64_t ops = 0;
    std::size_t partitions = 0;
    std::size_t partitions_decided = 0;
    double seconds = 0;  ///< the check's wall time, diagnosis included
    std::uint64_t steps = 0;
    std::size_t peak_memory_bytes = 0;
    /// The failing partition (not linearizable) or the first undecided one (unknown).
    std::optional<std::string> key;
    std::size_t partition_ops = 0;  ///< its size; `window` may hold fewer
    /// Its operations around the failure: the unplaced ones, those overlapping them in time and
    /// the end of the longest linearizable prefix (all of them when the partition is small).
    std::vector<LinOp> window;
    std::size_t prefix_length = 0;    ///< of the longest linearizable prefix found
    bool diagnosis_complete = false;  ///< false: the prefix is the best found before the diagnosis limit
    std::string initial_state;        ///< the model's state before the prefix
};

enum class Verdict { pass, fail, error };
const char* to_string(Verdict v);

/// When a job's first detection happened: what the statistics of how fast a bug shows are made of.
struct FirstDetection {
    std::string mechanism;  ///< `invariant`, `exception`, a sanitizer's (`race`, `memory:...`), `crash`, `timeout`, `linearizability`
    double seconds = 0;     ///< after the start barrier
    /// Operations completed over all threads by then; none when not known (a linearizability
    /// violation is found after the job, in its history).
    std::optional<std::uint64_t> ops;
    /// The schedule strategy running then (Measurement::schedule); "" when the job has no
    /// schedule (a worker that died before writing its measurement, an older file).
    std::string strategy;
};

/// The reruns of a job that missed its expectation, with the same seed (`--confirm K`).
struct Confirmation {
    int runs = 0;        ///< reruns that ran to their end
    int reproduced = 0;  ///< of them, those that ended in the job's outcome again
    /// Each rerun's outcome and why, in order (at most k_max_confirmation_details).
    std::vector<std::string> outcomes;
    bool deterministic() const { return runs > 0 && reproduced == runs; }
};
inline constexpr std::size_t k_max_confirmation_details = 20;

/// One mechanism that caught the job: `invariant:<name>`, `exception`, `crash`, `timeout`,
/// `slo`, `error`; later flavors add sanitizer kinds.
struct Detection {
    std::string mechanism;
    std::string detail;
};

/// One `[slo]` budget judged against the job's measured figure (plain flavor only).
struct BudgetResult {
    std::string key;         ///< "get.p99", "throughput"
    std::string budget;      ///< as written: "50us", "5x safe"
    std::string unit;        ///< "ns" (latency) or "ops/s" (throughput)
    double limit = 0;        ///< the budget in `unit` (a relative one resolved against the safe figure)
    double value = 0;        ///< the job's figure in `unit`
    bool met = true;
};

struct JobResult {
    // Identity
    int index = 0;  ///< 1-based position in the plan
    std::string scenario;
    std::string scenario_path;
    std::string target;
    std::string variant;
    std::string flavor;
    std::uint64_t seed = 0;
    int repeat = 0;       ///< 0-based repetition of the same job (`run --repeat N`)
    std::string replay;   ///< a command line that reruns exactly this job
    std::string job_dir;  ///< the job's folder, relative to the folder of results.jsonl

    // From the worker
    std::optional<Measurement> measurement;
    std::string worker_log;  ///< tail of the worker's stdout+stderr (crashes, errors)

    // From the supervisor
    int exit_code = -1;  ///< the worker's exit status, -1 when killed by a signal
    int signal = 0;
    bool timed_out = false;
    double elapsed_seconds = 0;  ///< the worker process's lifetime
    /// When the worker started, in seconds after the run's start (`run --jobs` runs jobs side by side).
    double started_seconds = 0;
    /// The CPUs the driver pinned the worker to (`run --jobs`); empty when it was not pinned.
    std::vector<int> cpus;
    std::vector<ThreadActivity> last_activity;  ///< on timeout, from the worker's state file
    std::string backtraces;                     ///< on timeout: gdb's backtraces of every thread
    std::vector<HangThread> hang_stacks;        ///< on timeout: `backtraces` parsed, one entry per thread

    /// Sanitizer reports of the job, in order (at most k_max_findings; the rest are counted).
    std::vector<Finding> findings;
    std::uint64_t findings_dropped = 0;
    std::vector<SuppressionUse> suppressions;  ///< suppressions that matched, and how often
    /// The suppression files the job ran with (those holding a pattern for its flavor's runtimes).
    std::vector<SuppressionSource> suppression_files;

    std::optional<LinearizabilityResult> linearizability;  ///< the check of its history, when recorded
    std::vector<BudgetResult> budgets;  ///< every `[slo]` budget judged, met or not
    /// Lockstep: the outcome table, graded by the driver (most frequent first, then the scenario's
    /// exact entries never seen); empty otherwise.
    std::vector<GradedOutcome> outcomes;
    std::vector<Detection> detections;
    /// The earliest detection whose time is known (driver/first_detection.hpp says how each is timed).
    std::optional<FirstDetection> first_detection;
    /// Operations completed over all threads: the measurement's, else the activity board's count
    /// when the worker died after its start barrier; none when it never got there.
    std::optional<std::uint64_t> ops_run;
    /// Detection events: violations, exceptions, sanitizer reports (dropped ones too), and one for
    /// each crash, hang, non-linearizable history, forbidden lockstep round and exceeded budget.
    std::uint64_t detection_events = 0;
    /// detection_events per million of ops_run; none without ops.
    std::optional<double> detections_per_million_ops() const;
    std::optional<Confirmation> confirmation;  ///< when it missed and the run confirmed misses
    Verdict verdict = Verdict::error;
    std::vector<std::string> expected;  ///< the mechanisms expected (`pass`, `any`, ...)
    bool expectation_met = false;
    std::string expectation_detail;  ///< why it was (not) met, in words
};

/// The run as a whole: the first line of results.jsonl.
struct RunContext {
    std::string tool_version;
    int schema_version = k_results_schema_version;
    std::string compiler;        ///< the driver's compiler (the workers' are in `workers`)
    std::string build_type;      ///< the driver's build
    std::string compiler_flags;  ///< the driver's flags (CMake's CXX flags for its build type)
    /// Flavors this run used, each with the extra flags threadmill gives its build ("" for plain).
    std::vector<std::pair<std::string, std::string>> flavors;
    /// The worker executables the run used, each with the build it reports: one per flavor of
    /// the default build, one per (variant build, flavor). Empty in files older than schema 4.
    std::vector<WorkerUse> workers;
    std::vector<std::uint64_t> seeds;  ///< distinct seeds of the run's jobs, in plan order
    int repeat = 1;                    ///< runs of each job (`--repeat`)
    std::string command_line;
    /// The folder the run started in: a job's scenario_path is relative to it (`threadmill replay`).
    std::string working_directory;
    /// The run's overrides of every scenario's run length (`--duration`, `--iterations`), as given.
    std::string duration_override;
    std::optional<std::uint64_t> iterations_override;
    std::vector<std::string> key_overrides;  ///< `--set KEY=VALUE`, as given
    std::string host;
    unsigned cpu_count = 0;
    std::string start_time;  ///< ISO 8601, UTC
    int planned = 0;         ///< jobs the run planned (0: unknown, a file older than schema 3)
    /// For a merged file (`report merge`): the files merged, in order; empty otherwise.
    std::vector<std::string> merged_from;
    /// Jobs run side by side at most (`run --jobs`), each on CPUs of its own; 1 when serial.
    int jobs_side_by_side = 1;
    /// `run --time-budget`, as given ("" none), and the scale it gave the scenarios' durations.
    std::string time_budget;
    double duration_scale = 1.0;
    /// `run --shard K/N`: this run is shard K of N of a plan of `plan_jobs` jobs whose
    /// fingerprint is `plan` (driver/sharding.hpp); shard_count 0 when not sharded.
    struct Shard {
        int index = 0;
        int count = 0;
        int plan_jobs = 0;
        std::string plan;
        bool operator==(const Shard&) const = default;
    };
    Shard shard;
};

/// The closing line of results.jsonl (schema 3 on), written when the run ends, also when it
/// was interrupted. A file without it is an incomplete run: its driver was killed or could not
/// write the file any more.
struct RunEnd {
    int planned = 0;           ///< jobs the run planned
    int ran = 0;               ///< job lines written before this one
    bool interrupted = false;  ///< Ctrl-C (or SIGTERM) stopped the run before its last job
    std::string error;         ///< why the run stopped early otherwise ("" when it did not)
    /// `run --fail-fast` stopped starting jobs after one missed its expectation (jobs were left).
    bool fail_fast = false;
    double elapsed_seconds = 0;
    std::string end_time;  ///< ISO 8601, UTC
};

void to_json(nlohmann::json& j, const OpStats& v);
void from_json(const nlohmann::json& j, OpStats& v);
void to_json(nlohmann::json& j, const InvariantResult& v);
void from_json(const nlohmann::json& j, InvariantResult& v);
void to_json(nlohmann::json& j, const ThreadActivity& v);
void from_json(const nlohmann::json& j, ThreadActivity& v);
void to_json(nlohmann::json& j, const HangThread& v);
void from_json(const nlohmann::json& j, HangThread& v);
void to_json(nlohmann::json& j, const HistoryRecording& v);
void from_json(const nlohmann::json& j, HistoryRecording& v);
void to_json(nlohmann::json& j, const LinOp& v);
void from_json(const nlohmann::json& j, LinOp& v);
void to_json(nlohmann::json& j, const LinearizabilityResult& v);
void from_json(const nlohmann::json& j, LinearizabilityResult& v);
void to_json(nlohmann::json& j, const ObservedResult& v);
void from_json(const nlohmann::json& j, ObservedResult& v);
void to_json(nlohmann::json& j, const GradedOutcome& v);
void from_json(const nlohmann::json& j, GradedOutcome& v);
void to_json(nlohmann::json& j, const Measurement& v);
void from_json(const nlohmann::json& j, Measurement& v);
void to_json(nlohmann::json& j, const BudgetResult& v);
void from_json(const nlohmann::json& j, BudgetResult& v);
void to_json(nlohmann::json& j, const Detection& v);
void from_json(const nlohmann::json& j, Detection& v);
void to_json(nlohmann::json& j, const JobResult& v);
void from_json(const nlohmann::json& j, JobResult& v);
void to_json(nlohmann::json& j, const RunContext& v);
void from_json(const nlohmann::json& j, RunContext& v);
void to_json(nlohmann::json& j, const RunEnd& v);
void from_json(const nlohmann::json& j, RunEnd& v);

/// Fills OpStats' summary figures from its histogram and the wall time.
void summarize(OpStats& stats, double wall_seconds);
/// The extra compiler flags of a flavor's build: "" for plain.
std::string flavor_flags(const std::string& flavor);
/// Now, as ISO 8601 in UTC ("2026-12-06T18:57:57Z").
std::string utc_now();
/// The context of this process (version, compiler, host, ...), with the given command line.
RunContext current_context(const std::string& command_line);

}  // namespace threadmill
