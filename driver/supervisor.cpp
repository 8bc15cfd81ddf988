// The supervisor: one worker process per job; crashes, hangs and results become JobResults.
#include "driver/supervisor.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "driver/describe.hpp"
#include "driver/detections.hpp"
#include "driver/first_detection.hpp"
#include "driver/history_check.hpp"
#include "driver/results_file.hpp"
#include "driver/sharding.hpp"
#include "driver/verdict.hpp"
#include "driver/worker_process.hpp"
#include "model/activity.hpp"
#include "model/flavor.hpp"
#include "model/outcome.hpp"
#include "model/paths.hpp"
#include "model/text.hpp"
#include "model/units.hpp"
#include "model/worker_protocol.hpp"
#include "sanitizers/environment.hpp"
#include "sanitizers/gdb_backtraces.hpp"
#include "sanitizers/parser.hpp"
#include "sanitizers/suppression_files.hpp"

namespace threadmill {
namespace fs = std::filesystem;
namespace {

/// Longest part of a job folder name taken from a scenario or variant name: with the index,
/// flavor and seed, a folder name stays far below the usual 255-byte limit.
constexpr std::size_t k_max_name_part = 64;

/// How much of backtraces.txt a timeout parses into per-thread stacks.
constexpr std::size_t k_max_backtraces_bytes = std::size_t{4} << 20;
/// Blocked threads named in a timeout's detection; the rest are counted.
constexpr std::size_t k_max_hang_threads_in_detail = 8;

/// `s` as one part of a file name: characters other than letters, digits, '-', '_' and '.'
/// become '_'; a name longer than k_max_name_part is cut and ends with a hash of the whole
/// name, so that two long names that share a prefix still get two folders.
std::string safe_name(const std::string& s) {
    std::string out;
    for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
    if (out.size() <= k_max_name_part) return out;
    const std::string suffix = fmt::format("-{:016x}", fnv1a(s));
    return out.substr(0, k_max_name_part - suffix.size()) + suffix;
}

/// A job's folder name under jobs/: index, scenario, variant, flavor, seed (and repeat).
std::string job_dir_name(const Job& job) {
    return fmt::format("{:04}-{}-{}-{}-{}{}", job.index, safe_name(job.scenario->name), safe_name(job.variant),
                       job.flavor, job.seed, job.repeat > 0 ? fmt::format("-r{}", job.repeat + 1) : "");
}

/// The worker's command line for one job, writing into `dir`.
std::vector<std::string> worker_argv(const Job& job, const fs::path& dir, const SupervisorOptions& options) {
    std::vector<std::string> argv = {job_worker_path(scenario_worker_dir(*job.scenario, options), job.variant, job.flavor),
                                     "--scenario", job.scenario->path,
                                     "--variant", job.variant,
                                     "--seed", std::to_string(job.seed),
                                     "--result", (dir / "result.json").string(),
                                     "--activity", (dir / "activity.bin").string(),
                                     "--work-dir", (dir / "work").string()};
    if (job.scenario->check.linearizability) {
        argv.push_back("--history");
        argv.push_back((dir / "history.jsonl").string());
    }
    if (options.pass_scenario_duration && job.scenario->duration) {
        argv.push_back("--duration");
        argv.push_back(fmt::format("{}ns", job.scenario->duration->count()));
    } else if (options.run_length.duration) {
        argv.push_back("--duration");
        argv.push_back(fmt::format("{}ns", options.run_length.duration->count()));
    }
    if (options.run_length.iterations) {
        argv.push_back("--iterations");
        argv.push_back(std::to_string(*options.run_length.iterations));
    }
    for (const auto& set : options.sets) {
        argv.push_back("--set");
        argv.push_back(set.text());
    }
    return argv;
}

/// The identity part of a job's result: what ran, where its files are, how to replay it.
JobResult job_identity(const Job& job, const std::string& dir_name, const SupervisorOptions& options) {
    const Scenario& sc = *job.scenario;
    JobResult r;
    r.index = job.index;
    r.scenario = sc.name;
    r.scenario_path = sc.path;
    r.target = sc.target;
    r.variant = job.variant;
    r.flavor = job.flavor;
    r.seed = job.seed;
    r.repeat = job.repeat;
    r.job_dir = "jobs/" + dir_name;
    r.replay = replay_command(job, options);
    return r;
}

/// What the worker left in its folder: its measurement (written only when it ran to the end)
/// and, for a sanitizer flavor, the findings and suppression counts of its runtimes.
void collect_worker_output(JobResult& r, const fs::path& dir, const FrameFilter& filter) {
    r.worker_log = read_tail(dir / "worker.log", 4096);
    if (fs::exists(dir / "result.json")) {
        try {
            std::ifstream in(dir / "result.json");
            r.measurement = nlohmann::json::parse(in).get<Measurement>();
        } catch (const std::exception& e) {
            // The file is written whole (then renamed), so garbage in it came from a worker
            // whose memory the target corrupted: the target's doing, not the harness's.
            r.detections.push_back({"crash", fmt::format("the worker wrote a corrupt result: {}", e.what())});
        }
    }
    if (runtimes(flavor_of(r.flavor)).empty()) return;
    const std::string text = sanitizer_text(dir);
    auto findings = parse_sanitizer_output(text, filter);
    if (findings.size() > k_max_findings) {
        r.findings_dropped = findings.size() - k_max_findings;
        findings.resize(k_max_findings);
    }
    r.findings = std::move(findings);
    r.suppressions = parse_suppression_uses(text);
}

/// What a job folder must still take after a worker that did not end cleanly: a file system
/// that refuses this much may have refused the worker's own writes (a full tmpfs refuses a
/// single page).
constexpr std::size_t k_probe_bytes = 16 * 1024;

/// Why the worker's files may be missing or cut short because of the file system rather than
/// the target, or nullopt: the worker says it could not write a file (exit status
/// k_worker_exit_output), it was killed for passing the file-size limit, or it did not end
/// cleanly and its folder no longer takes a small file (a full disk, a file-size limit, a
/// quota). A sanitizer runtime that cannot write its log, or a worker whose mapped file cannot
/// get a page, ends in ways that would otherwise read as a crash of the target.
std::optional<std::string> write_failure(const JobResult& r, const WaitResult& w, const fs::path& dir) {
    const bool exited = w.ending == Ending::exited && WIFEXITED(w.status);
    const int status = exited ? WEXITSTATUS(w.status) : -1;
    if (exited && status == k_worker_exit_output) {
        if (const auto at = r.worker_log.find(k_worker_write_error); at != std::string::npos) {
            const auto from = at + std::string_view(k_worker_write_error).size();
            const auto end = r.worker_log.find('\n', from);
            return "the worker could not write " + r.worker_log.substr(from, end == std::string::npos ? end : end - from);
        }
        const auto probe = check_writable_folder(dir.string(), k_probe_bytes);
        return fmt::format("the worker could not write its files in {} (exit status {}){}", dir.string(), status,
                           probe ? ": " + *probe : "");
    }
    if (w.ending == Ending::exited && WIFSIGNALED(w.status) && WTERMSIG(w.status) == SIGXFSZ)
        return fmt::format("the worker was killed by {}: a file in {} outgrew the file-size limit", signal_name(SIGXFSZ),
                           dir.string());
    const bool clean = exited && ((status == k_worker_exit_ok && r.measurement) ||
                                  (status == k_worker_exit_sanitizer && !r.findings.empty()));
    if (clean) return std::nullopt;
    if (const auto probe = check_writable_folder(dir.string(), k_probe_bytes))
        return fmt::format("{}; the worker's files may be cut short, so its ending is not blamed on the target", *probe);
    return std::nullopt;
}

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// Whether a sanitizer runtime has started writing a report: a `sanitizer.<pid>` log (log_path)
/// with something in it.
bool sanitizer_log_started(const fs::path& dir) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.starts_with("sanitizer.") && it->file_size(ec) > 0 && !ec) return true;
    }
    return false;
}

/// How the worker ended, as detections: a file system that failed the worker's writes (an
/// error, whatever else happened), a timeout, a signal, an exit status that means a harness
/// error, or any other status (a crash).
void classify_ending(JobResult& r, const WaitResult& w, Nanos timeout, const std::optional<std::string>& write_failure) {
    if (WIFEXITED(w.status)) r.exit_code = WEXITSTATUS(w.status);
    if (WIFSIGNALED(w.status)) r.signal = WTERMSIG(w.status);
    r.timed_out = w.ending == Ending::timed_out;
    if (write_failure) {
        std::erase_if(r.detections, [](const Detection& d) { return d.mechanism == "crash"; });
        r.detections.push_back({"error", *write_failure});
        return;
    }
    if (w.ending == Ending::timed_out) {
        r.signal = 0;
        std::string threads;
        for (const auto& a : r.last_activity) {
            threads += fmt::format("; thread {} ({}) {} '{}' after {} ops", a.thread, a.group,
                                   a.in_op ? "in" : "last ran", a.op, a.ops_done);
        }
        const auto blocked = describe_hang(r.hang_stacks);
        for (std::size_t i = 0; i < blocked.size() && i < k_max_hang_threads_in_detail; ++i) threads += "; " + blocked[i];
        if (blocked.size() > k_max_hang_threads_in_detail)
            threads += fmt::format("; {} more threads in backtraces.txt", blocked.size() - k_max_hang_threads_in_detail);
        r.detections.push_back({"timeout", fmt::format("no result after {}{}", format_duration(timeout), threads)});
    } else if (r.signal != 0) {
        r.detections.push_back({"crash", fmt::format("worker killed by {}", signal_name(r.signal))});
    } else if (r.exit_code == k_worker_exit_ok) {
        if (!r.measurement) r.detections.push_back({"error", "the worker exited 0 without writing its result"});
    } else if (r.exit_code == k_worker_exit_sanitizer && !runtimes(flavor_of(r.flavor)).empty()) {
        // Reports explain it; a halted worker without one is a crash nobody explained.
        if (r.findings.empty()) {
            r.detections.push_back({"crash", fmt::format("worker exited with status {} but no sanitizer report was "
                                                         "found",
                                                         r.exit_code)});
        }
    } else if (r.exit_code == k_worker_exit_usage || r.exit_code == k_worker_exit_scenario ||
               r.exit_code == k_worker_exit_internal || r.exit_code == 127) {
        r.detections.push_back({"error", fmt::format("the worker could not run the job (exit status {})", r.exit_code)});
    } else {
        // A sanitizer runtime turns a deadly signal into its own report and an exit status.
        std::string why;
        if (const auto at = r.worker_log.find("ERROR: "); at != std::string::npos) {
            const auto end = r.worker_log.find('\n', at);
            why = ": " + r.worker_log.substr(at + 7, end == std::string::npos ? std::string::npos : end - at - 7);
        }
        r.detections.push_back({"crash", fmt::format("worker exited with status {}{}", r.exit_code, why)});
    }
}

/// The safe variant's measurements of (scenario, seed, flavor, repeat) seen so far in the
/// run: what a mutant's relative budgets are judged against.
class Baselines {
public:
    /// Records `r` when it is the first safe measurement of its key; returns the baseline of
    /// its key, or nullptr.
    const Measurement* update(const Job& job, const JobResult& r, bool is_safe) {
        const auto key = std::make_tuple(job.scenario, job.seed, job.flavor, job.repeat);
        if (is_safe && r.measurement && !m_by_key.count(key)) m_by_key.emplace(key, *r.measurement);
        const auto it = m_by_key.find(key);
        return it == m_by_key.end() ? nullptr : &it->second;
    }

private:
    std::map<std::tuple<const Scenario*, std::uint64_t, std::string, int>, Measurement> m_by_key;
};

/// Every detection of the job, then its grade against the scenario's expectation.
void judge(JobResult& r, const Job& job, const TargetInfo& target, Baselines& baselines) {
    detect_from_findings(r);
    detect_from_measurement(r);
    grade_outcomes(r, *job.scenario);
    const int vi = target.variant_index(job.variant);
    const bool is_safe = vi >= 0 && target.variants[static_cast<std::size_t>(vi)].is_safe();
    judge_budgets(r, *job.scenario, baselines.update(job, r, is_safe), is_safe);
    const Expectation* e = job.scenario->expectation(job.variant, job.flavor);
    if (e == nullptr) {
        throw std::logic_error(fmt::format("no expectation for {} / {} (the loader should have refused it)",
                                           job.variant, job.flavor));
    }
    grade(r, *e);
}

}  // namespace

std::vector<WorkerUse> check_workers(const Plan& plan, const SupervisorOptions& options) {
    std::vector<WorkerUse> uses;
    for (const auto& need : plan.worker_needs()) {
        const std::string& variant = need.variant;
        const std::string& flavor = need.flavor;
        const std::string worker_dir = need.worker_dir.empty() ? options.worker_dir : need.worker_dir;
        const bool own_build = is_variant_build(worker_dir, variant);
        const std::string w = job_worker_path(worker_dir, variant, flavor);
        if (std::any_of(uses.begin(), uses.end(), [&](const WorkerUse& u) { return u.path == w; })) continue;
        if (::access(w.c_str(), X_OK) != 0) {
            if (own_build)
                throw std::runtime_error(fmt::format(
                    "variant '{}' is a build of its own ({}), but its {} worker is missing: {}; build every flavor "
                    "of it (threadmill_add_worker(... VARIANT_BUILD {} ...)); a variant that is a build never runs "
                    "on the default build",
                    variant, variant_build_dir(worker_dir, variant), flavor, w, variant));
            if (!need.worker_dir.empty())
                throw std::runtime_error(fmt::format(
                    "the {} worker is missing: {} (a scenario names the folder with worker = \"...\"); build every "
                    "flavor of the worker (threadmill_add_worker() builds plain, tsan and asan)",
                    flavor, w));
            throw std::runtime_error(fmt::format(
                "the {} worker is missing: {}; build it with `cmake --preset default && cmake --build --preset default`{}",
                flavor, w, runtimes(flavor_of(flavor)).empty() ? "" : " (CMake option TM_SANITIZER_FLAVORS=ON, the default)"));
        }
        const WorkerDescription described = describe_worker_build(w);
        WorkerUse use{w, flavor, own_build ? variant : std::string(), described.build};
        if (own_build) {
            const auto said = [&](const std::string& what) {
                return std::runtime_error(fmt::format(
                    "the worker {} in the build folder of variant '{}' {}; rebuild it with "
                    "threadmill_add_worker(... VARIANT_BUILD {} ...), or remove the folder to run the variant on the "
                    "default build",
                    w, variant, what, variant));
            };
            if (!use.build) throw said("does not say how it was built (it was not built by threadmill_add_worker())");
            if (use.build->variant_build != variant)
                throw said(use.build->variant_build.empty()
                               ? std::string("says it is the default build, not a variant build")
                               : fmt::format("says it was built for variant '{}'", use.build->variant_build));
            if (use.build->flavor != flavor) throw said(fmt::format("says it is the {} flavor, not {}", use.build->flavor, flavor));
            const auto& targets = described.catalog.targets;
            if (std::none_of(targets.begin(), targets.end(), [&](const TargetInfo& t) { return t.variant_index(variant) >= 0; }))
                throw said(fmt::format("holds no target with a variant '{}' (built from other sources?)", variant));
        }
        uses.push_back(std::move(use));
    }
    return uses;
}

std::string scenario_worker_dir(const Scenario& sc, const SupervisorOptions& options) {
    return sc.worker_dir.empty() ? options.worker_dir : sc.worker_dir;
}

std::string worker_path(const std::string& worker_dir, const std::string& flavor) {
    return (fs::path(worker_dir) / worker_executable(flavor_of(flavor))).string();
}

std::string variant_build_dir(const std::string& worker_dir, const std::string& variant) {
    return (fs::path(worker_dir) / "variants" / variant).string();
}

bool is_variant_build(const std::string& worker_dir, const std::string& variant) {
    std::error_code ec;
    // A variant name is a folder name only when it has no separator and is not "." or "..".
    if (variant.empty() || variant == "." || variant == ".." || variant.find('/') != std::string::npos) return false;
    return fs::is_directory(variant_build_dir(worker_dir, variant), ec);
}

std::string job_worker_path(const std::string& worker_dir, const std::string& variant, const std::string& flavor) {
    return worker_path(is_variant_build(worker_dir, variant) ? variant_build_dir(worker_dir, variant) : worker_dir, flavor);
}

std::string replay_command(const Job& job, const SupervisorOptions& options) {
    // A word the shell reads as it is, else single-quoted.
    const auto word = [](const std::string& w) {
        const bool plain = !w.empty() && std::all_of(w.begin(), w.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) != 0 || std::string_view("_./:=@%+,-").find(c) != std::string_view::npos;
        });
        if (plain) return w;
        std::string quoted = "'";
        for (char c : w) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
        return quoted + "'";
    };
    std::string cmd = word(options.replay_program);
    // A scenario that names its workers finds them again by itself.
    if (!options.replay_worker_dir.empty() && job.scenario->worker_dir.empty())
        cmd += " --worker-dir " + word(options.replay_worker_dir);
    cmd += fmt::format(" run {} --variant {} --flavor {} --seed {}", word(job.scenario->path), word(job.variant),
                       job.flavor, job.seed);
    if (!options.replay_out_dir.empty()) cmd += " --out " + word(options.replay_out_dir);
    if (options.pass_scenario_duration && job.scenario->duration)
        cmd += fmt::format(" --duration {}ns", job.scenario->duration->count());  // exact: a scaled duration
    else if (options.run_length.duration)
        cmd += " --duration " + format_duration(*options.run_length.duration);
    if (options.run_length.iterations) cmd += fmt::format(" --iterations {}", *options.run_length.iterations);
    for (const auto& set : options.sets) cmd += " --set " + word(set.text());
    return cmd;
}

namespace {

/// One run of a job in `dir`, judged, and what stopped it short.
struct SingleRun {
    JobResult result;
    bool stopped = false;  ///< `stop` was raised: the worker was killed, the result means nothing
    std::optional<std::string> failed_write;  ///< the job's files could not be written
};

SingleRun run_once(const Job& job, const fs::path& dir, JobResult r, const TargetInfo& target,
                   const SupervisorOptions& options, const std::vector<int>& cpus, const std::atomic<bool>& stop,
                   Baselines& baselines) {
    const Scenario& sc = *job.scenario;
    fs::create_directories(dir / "work");
    // A sanitizer job reads one suppression file per runtime: every file that applies,
    // merged into its folder; the job records which files (and patterns) it ran with.
    std::string suppression_dir;
    if (!runtimes(flavor_of(job.flavor)).empty()) {
        r.suppression_files = job_suppressions(options.suppressions, sc, job.flavor);
        suppression_dir = (dir / "suppressions").string();
        write_job_suppressions(suppression_dir, job.flavor, r.suppression_files);
    }
    const pid_t pid = spawn_worker(worker_argv(job, dir, options), dir / "worker.log",
                                   sanitizer_environment(job.flavor, dir.string(), suppression_dir, sc), cpus);
    JobTiming timing;
    const bool watch_sanitizer_log = !suppression_dir.empty();
    const std::string board = (dir / "activity.bin").string();
    const WaitResult w = wait_worker(
        pid, sc.timeout, stop,
        [&] {
            r.last_activity = read_activity(board, sc, target);
            if (options.hang_backtraces) {
                r.backtraces = gdb_backtraces(pid, dir / "backtraces.txt");
                // The whole file, not the tail kept in `backtraces`: a worker with many threads prints more.
                if (!r.backtraces.starts_with("("))
                    r.hang_stacks = parse_gdb_backtraces(read_tail(dir / "backtraces.txt", k_max_backtraces_bytes),
                                                          options.frame_filter);
            }
        },
        [&] {
            if (watch_sanitizer_log && !timing.sanitizer_log_ns && sanitizer_log_started(dir)) {
                timing.sanitizer_log_ns = steady_ns();
                timing.sanitizer_log_ops = read_board_timing(board).ops_done;
            }
        });
    timing.ended_ns = steady_ns();
    timing.board = read_board_timing(board);
    SingleRun run;
    if (w.ending == Ending::stopped) {
        run.stopped = true;
        return run;
    }
    r.elapsed_seconds = w.seconds;
    collect_worker_output(r, dir, options.frame_filter);
    run.failed_write = write_failure(r, w, dir);
    classify_ending(r, w, sc.timeout, run.failed_write);
    // A target's own model runs in the plain worker of the job's build (a sanitizer worker has no checker).
    check_job_history(r, dir, sc, target, job_worker_path(scenario_worker_dir(sc, options), job.variant, "plain"), &stop);
    judge(r, job, target, baselines);
    time_detections(r, timing);
    run.result = std::move(r);
    return run;
}

/// Reruns a job that missed its expectation options.confirm times with the same seed, each in
/// `dir`/confirm-<k>, and records how many reruns ended in the same outcome.
void confirm(JobResult& r, const Job& job, const fs::path& dir, const TargetInfo& target,
             const SupervisorOptions& options, const std::vector<int>& cpus, const std::atomic<bool>& stop,
             Baselines& baselines) {
    Confirmation c;
    const Outcome original = outcome_of(r);
    for (int k = 1; k <= options.confirm && !stop.load(); ++k) {
        const fs::path rerun_dir = dir / fmt::format("confirm-{}", k);
        SingleRun rerun = run_once(job, rerun_dir, job_identity(job, "", options), target, options, cpus, stop, baselines);
        if (rerun.stopped) return;  // interrupted: no verdict on a partial confirmation
        ++c.runs;
        const Outcome again = outcome_of(rerun.result);
        if (again == original) ++c.reproduced;
        if (c.outcomes.size() < k_max_confirmation_details)
            c.outcomes.push_back(fmt::format("{}: {}", info(again).name, rerun.result.expectation_detail));
        if (rerun.failed_write) {
            c.outcomes.push_back(fmt::format("stopped: {}", *rerun.failed_write));
            break;
        }
    }
    r.confirmation = std::move(c);
}

}  // namespace

namespace {

/// One job's end, handed from the thread that ran it to the one that records it.
struct JobEnd {
    bool done = false;
    SingleRun run;
    std::string error;  ///< a harness error (an exception) instead of a result
};

/// A group of jobs in flight: the thread running it, its CPUs, and its jobs' ends in order.
struct GroupInFlight {
    JobGroup group;
    std::vector<int> cpus;
    std::vector<JobEnd> ends;      ///< one per job of the group; guarded by the run's mutex
    bool finished = false;         ///< the thread ran all it will; guarded by the run's mutex
    bool cpus_returned = false;    ///< main thread only
    std::size_t recorded = 0;      ///< jobs taken from `ends`; main thread only
    std::thread thread;
};

}  // namespace

RunOutcome run_jobs(const JobShare& share, const Catalogs& catalogs, const SupervisorOptions& options,
                    const RunContext& context, const std::atomic<bool>& stop) {
    const Plan& plan = share.plan();
    if (options.jobs < 1 || (options.jobs > 1 && options.cpus.empty()))
        throw std::invalid_argument("run_jobs: jobs side by side need CPUs to pin them to");
    const auto workers = check_workers(plan, options);  // before a previous run in `out` is touched
    const fs::path out(options.out_dir);
    fs::create_directories(out);
    fs::remove_all(out / "jobs");  // only what this run writes; never the user's other files
    fs::create_directories(out / "jobs");
    RunContext planned_context = context;
    planned_context.planned = static_cast<int>(share.job_count());
    planned_context.jobs_side_by_side = options.jobs;
    if (planned_context.workers.empty()) planned_context.workers = workers;
    ResultsWriter results((out / "results.jsonl").string(), planned_context);
    const auto start = std::chrono::steady_clock::now();

    RunOutcome outcome;
    // A harness error stops the run: what finished is kept and reported, and the run exits 3.
    const auto fail = [&](const std::string& why) { outcome.error += (outcome.error.empty() ? "" : "; ") + why; };

    std::mutex mutex;
    std::condition_variable changed;
    std::atomic<bool> halt{false};  // no group starts its next job: a stop, an error, --fail-fast
    std::deque<std::unique_ptr<GroupInFlight>> flight;  // in share order
    CpuPool pool(options.cpus);
    const bool pinned = !options.cpus.empty();

    // Runs the jobs of one group, one after another, on its CPUs.
    const auto run_group = [&](GroupInFlight& g) {
        Baselines baselines;  // a group holds every job its baselines are for
        for (std::size_t i = 0; i < g.group.size; ++i) {
            if (halt.load() || stop.load()) break;
            JobEnd end;
            try {
                const Job job = plan.at(g.group.begin + i);
                const Scenario& sc = *job.scenario;
                const TargetInfo* target = catalogs.target_of(sc);
                if (target == nullptr) throw std::logic_error(fmt::format("{}: target '{}' is not in the catalog", sc.path, sc.target));
                const std::string dir_name = job_dir_name(job);
                const fs::path dir = out / "jobs" / dir_name;
                JobResult identity = job_identity(job, dir_name, options);
                identity.started_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                identity.cpus = g.cpus;
                end.run = run_once(job, dir, std::move(identity), *target, options, g.cpus, stop, baselines);
                // A miss is rerun with the same seed to tell a deterministic failure from a flaky
                // one; a stop during it leaves the job unconfirmed, and recorded.
                JobResult& r = end.run.result;
                if (!end.run.stopped && options.confirm > 0 && is_miss(r) && !end.run.failed_write)
                    confirm(r, job, dir, *target, options, g.cpus, stop, baselines);
            } catch (const std::exception& e) {
                end.error = e.what();
            }
            const bool last = end.run.stopped || !end.error.empty() || end.run.failed_write.has_value();
            {
                const std::lock_guard<std::mutex> lock(mutex);
                g.ends[i] = std::move(end);
                g.ends[i].done = true;
            }
            changed.notify_all();
            if (last) break;
        }
        {
            const std::lock_guard<std::mutex> lock(mutex);
            g.finished = true;
        }
        changed.notify_all();
    };

    // Whatever ends this function, no group's thread outlives it: on an exception the groups
    // start no further job and are waited for.
    struct JoinAll {
        std::deque<std::unique_ptr<GroupInFlight>>& flight;
        std::atomic<bool>& halt;
        ~JoinAll() {
            halt.store(true);
            for (auto& g : flight) {
                if (g->thread.joinable()) g->thread.join();
            }
        }
    } join_all{flight, halt};
    std::size_t next_group = 0;
    std::size_t announced = plan.size();  // the position last passed to on_job_start (none yet)
    bool skipped = false;  // some job of the share never started
    for (;;) {
        // Start groups, in order, while their CPUs are free.
        while (!halt.load() && !stop.load() && next_group < share.group_count() &&
               static_cast<int>(flight.size()) < options.jobs) {
            const JobGroup group = share.group(next_group);
            std::vector<int> cpus;
            if (pinned) {
                auto got = pool.take(job_width(*group.scenario, group.flavor, pool.size()));
                if (!got) break;
                cpus = std::move(*got);
            }
            auto g = std::make_unique<GroupInFlight>();
            g->group = group;
            g->cpus = std::move(cpus);
            g->ends.resize(group.size);
            GroupInFlight& ref = *g;
            flight.push_back(std::move(g));
            ref.thread = std::thread([&run_group, &ref] { run_group(ref); });
            ++next_group;
        }
        if (flight.empty()) break;
        GroupInFlight& front = *flight.front();
        // Report the next job in plan order as started (once), then wait until it ends or some
        // group finishes (its CPUs free the next group).
        if (front.recorded < front.group.size && announced != front.group.begin + front.recorded) {
            announced = front.group.begin + front.recorded;
            if (options.on_job_start) options.on_job_start(plan.at(announced));
        }
        JobEnd end;
        bool have_end = false;
        {
            std::unique_lock<std::mutex> lock(mutex);
            const auto any_finished = [&] {
                return std::any_of(flight.begin(), flight.end(), [](const auto& f) { return f->finished && !f->cpus_returned; });
            };
            changed.wait(lock, [&] {
                return (front.recorded < front.group.size && front.ends[front.recorded].done) || front.finished || any_finished();
            });
            if (front.recorded < front.group.size && front.ends[front.recorded].done) {
                end = std::move(front.ends[front.recorded]);
                have_end = true;
            }
            for (auto& f : flight) {
                if (f->finished && !f->cpus_returned) {
                    if (pinned) pool.give(f->cpus);
                    f->cpus_returned = true;
                }
            }
        }
        if (have_end) {
            const Job job = plan.at(front.group.begin + front.recorded);
            ++front.recorded;
            if (!end.error.empty()) {
                fail(fmt::format("job {}: {}", job.index, end.error));
                halt.store(true);
            } else if (end.run.stopped) {
                outcome.interrupted = true;
                halt.store(true);
            } else {
                JobResult& r = end.run.result;
                if (end.run.failed_write) {
                    fail(fmt::format("job {}: {}", r.index, *end.run.failed_write));
                    halt.store(true);
                }
                try {
                    results.append(r);
                } catch (const WriteError& e) {
                    outcome.unrecorded.push_back(r.index);
                    fail(fmt::format("job {}: {}", r.index, e.what()));
                    halt.store(true);
                }
                try {
                    if (options.on_job_end) options.on_job_end(r);
                } catch (const std::exception& e) {
                    fail(fmt::format("job {}: {}", r.index, e.what()));
                    halt.store(true);
                }
                if (options.fail_fast && is_miss(r)) halt.store(true);
                outcome.results.push_back(std::move(r));
            }
            continue;
        }
        if (front.finished) {
            // A group that stopped early leaves jobs that never started.
            if (front.recorded < front.group.size) skipped = true;
            front.thread.join();
            flight.pop_front();
        }
    }
    if (next_group < share.group_count()) skipped = true;
    if (stop.load() && skipped) outcome.interrupted = true;
    outcome.fail_fast = options.fail_fast && skipped && !outcome.interrupted && outcome.error.empty();

    RunEnd end;
    end.planned = planned_context.planned;
    end.ran = static_cast<int>(outcome.results.size() - outcome.unrecorded.size());
    end.interrupted = outcome.interrupted;
    end.fail_fast = outcome.fail_fast;
    end.error = outcome.error;
    end.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    end.end_time = utc_now();
    try {
        results.finish(end);
    } catch (const WriteError& e) {
        if (outcome.unrecorded.empty()) fail(e.what());  // else the same file failed already
    }
    return outcome;
}

}  // namespace threadmill
