// `threadmill run`: plan the jobs of some scenarios, run each in a worker, report, gate.
#include "cli/cmd_run.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <numeric>
#include <random>
#include <set>

#include <unistd.h>

#include <fmt/format.h>

#include "driver/compare.hpp"
#include "scenario/overrides.hpp"
#include "driver/planner.hpp"
#include "driver/results_file.hpp"
#include "driver/sharding.hpp"
#include "driver/supervisor.hpp"
#include "model/flavor.hpp"
#include "model/paths.hpp"
#include "model/text.hpp"
#include "reports/compare_text.hpp"
#include "reports/console.hpp"
#include "reports/registry.hpp"
#include "scenario/loader.hpp"
#include "driver/summary.hpp"

namespace threadmill::cli {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_interrupt(int) {
    g_stop.store(true);
    // A second Ctrl-C ends the driver at once.
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
}

/// Largest --seeds, --repeat and --iterations.
constexpr std::uint64_t k_max_seed_count = 1000;
constexpr std::uint64_t k_max_repeat = 100;
constexpr std::uint64_t k_max_confirm = 1000;
constexpr std::uint64_t k_max_iterations = 1'000'000'000;

/// What a previous run left in `out_dir` and this run replaces ("results.jsonl, 40 job
/// folders"), or nullopt when there is none.
std::optional<std::string> describe_previous_run(const std::string& out_dir) {
    const std::filesystem::path out(out_dir);
    std::error_code ec;
    std::vector<std::string> parts;
    if (std::filesystem::exists(out / "results.jsonl", ec)) parts.emplace_back("results.jsonl");
    std::size_t folders = 0;
    if (std::filesystem::is_directory(out / "jobs", ec)) {
        for (std::filesystem::directory_iterator it(out / "jobs", ec), end; !ec && it != end; it.increment(ec)) ++folders;
        parts.push_back(fmt::format("{} job folder{}", folders, folders == 1 ? "" : "s"));
    }
    if (parts.empty()) return std::nullopt;
    return fmt::format("{}", fmt::join(parts, ", "));
}

std::uint64_t fresh_seed() {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32 | rd()) & 0x7fffffffffffffffULL;
}

/// "48.2s", "12m 05s", "2h 03m".
std::string format_seconds(double s) {
    if (s < 60) return fmt::format("{:.1f}s", s);
    const auto whole = static_cast<long long>(s + 0.5);
    if (whole < 3600) return fmt::format("{}m {:02}s", whole / 60, whole % 60);
    return fmt::format("{}h {:02}m", whole / 3600, whole / 60 % 60);
}

/// How many jobs run side by side (--jobs) and the CPUs they are pinned to (--cpus of the usable ones).
std::pair<int, std::vector<int>> choose_cpus(const RunOptions& o) {
    std::vector<int> cpus = usable_cpus();
    if (o.cpus) {
        if (o.dry_run) {  // a machine of N CPUs, for the plan only
            cpus.resize(static_cast<std::size_t>(*o.cpus));
            std::iota(cpus.begin(), cpus.end(), 0);
        } else if (static_cast<std::size_t>(*o.cpus) > cpus.size()) {
            throw CliError(ExitCode::usage, fmt::format("--cpus {}: this process may run on {} CPU{} ({})", *o.cpus,
                                                        cpus.size(), cpus.size() == 1 ? "" : "s", fmt::join(cpus, ",")));
        } else {
            cpus.resize(static_cast<std::size_t>(*o.cpus));
        }
    }
    int jobs = 1;
    if (o.jobs == "auto") {
        jobs = static_cast<int>(cpus.size());
    } else {
        const bool digits = !o.jobs.empty() && o.jobs.size() <= 4 && std::all_of(o.jobs.begin(), o.jobs.end(), ::isdigit);
        jobs = digits ? std::stoi(o.jobs) : 0;
        if (jobs < 1) throw CliError(ExitCode::usage, fmt::format("--jobs: '{}' is not a number from 1 to 9999, or auto", o.jobs));
    }
    return {jobs, cpus};
}

/// --dry-run: the jobs this run would run, with their expected durations, and the plan's wall time.
void print_dry_run(const Plan& plan, const JobShare& share, const std::optional<ShardSpec>& shard, int jobs,
                   const std::vector<int>& cpus, const JobTimes* history) {
    for (std::size_t k = 0; k < share.group_count(); ++k) {
        const JobGroup g = share.group(k);
        for (std::size_t p = g.begin; p < g.begin + g.size; ++p) {
            const Job j = plan.at(p);
            fmt::print("{:>6}  {} · {} · {} · seed {}{}  ~{:.2f}s{}\n", j.index, j.scenario->name, j.variant, j.flavor, j.seed,
                       j.repeat > 0 ? fmt::format(" #{}", j.repeat + 1) : "",
                       expected_job_seconds(*j.scenario, j.variant, j.flavor, history),
                       jobs > 1 && runs_alone(*j.scenario, j.flavor, static_cast<int>(cpus.size())) ? "  (runs alone)" : "");
        }
    }
    const PlannedSchedule s = plan_schedule(plan, share, static_cast<int>(cpus.size()), jobs, history);
    fmt::print("\n{} job{}{}; expected {} ({}), one at a time {}; up to {} side by side on {} CPU{}\n", share.job_count(),
               share.job_count() == 1 ? "" : "s",
               shard ? fmt::format(" (shard {} of {}, of a plan of {})", shard->index, shard->count, plan.size()) : "",
               format_seconds(s.makespan_seconds), history ? "job times from --history" : "estimated from durations",
               format_seconds(s.serial_seconds), s.max_side_by_side, cpus.size(), cpus.size() == 1 ? "" : "s");
}

}  // namespace

void setup_run(CLI::App& app, RunOptions& o) {
    app.add_option("paths", o.paths, "scenario files, or folders searched for *.toml")->required();
    app.add_option("--seed", o.seeds,
                   "seed(s) of the run, comma-separated; default: the scenario's seed, else a fresh one (printed)")
        ->delimiter(',')
        ->check(unsigned_number());
    app.add_option("--seeds", o.seed_count,
                   "run N seeds: the --seed given (or a fresh one) and the next N-1; jobs run seed by seed, each "
                   "seed through every scenario")
        ->check(whole_number(1, k_max_seed_count));
    auto* duration = app.add_option("--duration", o.duration, "override each scenario's duration (e.g. 200ms, 2s)");
    app.add_option("--iterations", o.iterations, "override: run N ops per thread instead of a duration")
        ->check(whole_number(1, k_max_iterations))
        ->excludes(duration);
    app.add_option("--variant", o.variants,
                   "run only these variants, among each scenario's own (comma-separated; each must be a variant of "
                   "some scenario given)")
        ->delimiter(',');
    app.add_option("--flavor", o.flavors,
                   "run only the jobs of these flavors, among each scenario's own (comma-separated; each must be a "
                   "flavor some scenario given declares)")
        ->delimiter(',');
    app.add_option("--filter", o.filter, "run only jobs whose 'scenario/variant/flavor' matches this glob or substring");
    app.add_option("--out", o.out_dir, "output folder: results.jsonl and one folder per job")->capture_default_str();
    app.add_flag("--json", o.json, "print the results as one JSON document on stdout (same as --report json=-)");
    app.add_option("--report", o.reports, "also write a report, FORMAT=PATH (repeatable); formats below")
        ->type_name("FORMAT=PATH");
    app.add_flag("-q,--quiet", o.quiet, "no console report and no progress line (reports and the exit code only)");
    app.add_flag("-v,--verbose", o.verbose,
                 "print every job's latency table, invariants and detections (default: one line per job, details "
                 "only for the jobs that need a look)");
    app.add_option("--source-root", o.source_root,
                   "source paths in reports are made relative to this folder (default: the current folder)");
    app.add_option("--repeat", o.repeat,
                   "run each job N times, for the spread of its figures (see --baseline); each time is a round "
                   "through every scenario")
        ->check(whole_number(1, k_max_repeat));
    app.add_option("--set", o.sets,
                   "override a key of every scenario before it is checked, KEY=VALUE (repeatable): "
                   "chaos.strategy=pct, sync.mode=rounds, keys.count=8, chaos.yield=0.05; VALUE is TOML, or a string; "
                   "KEY= with nothing after the '=' removes the key (sync.ops_per_round=)")
        ->type_name("KEY=VALUE");
    app.add_option("--confirm", o.confirm,
                   "rerun each job that misses its expectation K times with the same seed, and say whether the miss "
                   "is deterministic, reproduced x of K times (flaky), or not reproduced")
        ->check(whole_number(0, k_max_confirm));
    app.add_option("--baseline", o.baseline,
                   "compare this run's latency and throughput with a saved results.jsonl; a regression fails the run")
        ->check(CLI::ExistingFile);
    app.add_option("--tolerance", o.tolerance,
                   "with --baseline: changes of the median p50 or throughput smaller than this are not regressions")
        ->capture_default_str();
    app.add_option("--tail-tolerance", o.tail_tolerance, "with --baseline: the same for p99 and p99.9")
        ->capture_default_str();
    app.add_option("--shard", o.shard,
                   "run only shard K of N of the plan (K counted from 1), balanced by expected duration, not by count; "
                   "'auto' reads K and N from the CI engine (THREADMILL_SHARD=K/N, GitLab CI_NODE_INDEX/CI_NODE_TOTAL, "
                   "Kubernetes JOB_COMPLETION_INDEX with THREADMILL_SHARD_TOTAL, Slurm SLURM_ARRAY_TASK_*); every "
                   "shard needs the same --seed; `report merge` joins the shards (docs/ci.md)")
        ->type_name("K/N|auto");
    app.add_option("--history", o.history,
                   "the job times of this previous results.jsonl plan the run (balance --shard, fit --time-budget, "
                   "--dry-run's estimates) instead of the scenarios' durations")
        ->check(CLI::ExistingFile);
    app.add_option("--time-budget", o.time_budget,
                   "fit the run into this wall time (e.g. 10m): every scenario's duration is scaled down by one factor, "
                   "each job keeping its minimum (a quarter of its duration, at least 50ms); the factor is printed "
                   "and recorded; a plan that cannot fit runs at the minimums, with a warning")
        ->type_name("DURATION");
    app.add_option("--jobs", o.jobs,
                   "run up to N jobs side by side, each pinned to CPUs of its own (one per thread of the job), so no "
                   "two jobs share a CPU; 'auto' uses every CPU this process may run on (affinity mask and cgroup "
                   "quota); a job wider than the CPUs, or judging [slo] latency budgets, runs alone; results and "
                   "reports are in plan order whatever N")
        ->type_name("N|auto")
        ->capture_default_str();
    app.add_option("--cpus", o.cpus,
                   "use only the first N of the CPUs this process may run on; with --dry-run, plan for a machine of N CPUs")
        ->check(whole_number(1, 4096));
    app.add_flag("--fail-fast", o.fail_fast,
                 "start no further job once one misses its expectation (the jobs running then finish and are recorded); "
                 "the run is incomplete and exits 1");
    app.add_flag("--dry-run", o.dry_run,
                 "print the planned jobs (of this shard, with --shard), their expected durations and the expected wall "
                 "time with --jobs, and exit without running anything");
    app.footer(report_formats_help() + "\n" + exit_code_help());
}

ExitCode run_run(const RunOptions& o, const GlobalOptions& global, const std::string& command_line) {
    WorkerCatalogs catalogs(global);
    const auto files = collect_scenario_files(o.paths);

    RunLengthOverride run_length;
    if (!o.duration.empty()) {
        run_length.duration = parse_duration(o.duration);
        if (!run_length.duration && parse_duration(o.duration, true))
            throw CliError(ExitCode::usage, fmt::format("--duration: must be greater than 0, got '{}'", o.duration));
        if (!run_length.duration)
            throw CliError(ExitCode::usage, fmt::format("--duration: '{}' is not a duration (like 250ms or 2s)", o.duration));
    }
    run_length.iterations = o.iterations;

    std::vector<KeyOverride> sets;
    for (const auto& text : o.sets) {
        try {
            sets.push_back(parse_key_override(text));
        } catch (const std::invalid_argument& e) {
            throw CliError(ExitCode::usage, e.what());
        }
    }

    std::vector<Scenario> scenarios;
    bool bad = false;
    for (const auto& f : files) {
        try {
            scenarios.push_back(load_scenario(f, catalogs.for_file(f), sets));
            apply_override(scenarios.back(), run_length);
        } catch (const ScenarioError& e) {
            print_diagnostics(e);
            bad = true;
        } catch (const std::invalid_argument& e) {
            throw CliError(ExitCode::usage, e.what());
        }
    }
    if (bad) throw CliError(ExitCode::usage, "scenario errors; nothing was run");

    PlanOptions plan_options;
    plan_options.variants = o.variants;
    plan_options.flavors = o.flavors;
    plan_options.filter = o.filter;
    plan_options.fresh_seed = fresh_seed();
    plan_options.repeat = o.repeat;
    if (o.seed_count) {
        const std::uint64_t base = o.seeds.empty() ? plan_options.fresh_seed : o.seeds.front();
        if (o.seeds.size() > 1) throw CliError(ExitCode::usage, "--seeds N takes at most one --seed (the first of N)");
        const auto count = static_cast<std::uint64_t>(*o.seed_count);
        if (base > std::numeric_limits<std::uint64_t>::max() - (count - 1))
            throw CliError(ExitCode::usage, fmt::format("--seed {} --seeds {}: the seeds would pass {}, the largest seed",
                                                        base, count, std::numeric_limits<std::uint64_t>::max()));
        for (std::uint64_t i = 0; i < count; ++i) plan_options.seeds.push_back(base + i);
    } else {
        plan_options.seeds = o.seeds;
    }
    Plan plan;
    try {
        plan = Plan(scenarios, catalogs.all(), plan_options);
    } catch (const UsageError& e) {
        throw CliError(ExitCode::usage, e.what());
    } catch (const EmptyPlan& e) {
        throw CliError(ExitCode::no_jobs, e.what());
    }

    // The share of the plan this run runs, and on which CPUs.
    std::optional<ShardSpec> shard;
    std::optional<JobTimes> history;
    if (!o.history.empty()) {
        try {
            history = JobTimes(read_results_file(o.history));
        } catch (const std::exception& e) {
            throw CliError(ExitCode::usage, fmt::format("--history: {}", e.what()));
        }
    }
    std::optional<JobShare> shard_share;
    if (!o.shard.empty()) {
        try {
            shard = parse_shard(o.shard);
        } catch (const std::invalid_argument& e) {
            throw CliError(ExitCode::usage, e.what());
        }
        if (plan.uses_fresh_seed())
            throw CliError(ExitCode::usage, "--shard: give --seed (the same in every shard): a fresh seed per shard would "
                                            "make each shard plan different jobs");
        shard_share.emplace(plan, shard_groups(plan, *shard, history ? &*history : nullptr));
    }
    const JobShare share = shard_share ? *shard_share : JobShare(plan);
    const auto [side_by_side, cpus] = choose_cpus(o);
    // --time-budget: one scale for every scenario's duration, so that the planned schedule fits.
    double duration_scale = 1.0;
    if (!o.time_budget.empty()) {
        const auto budget = parse_duration(o.time_budget);
        if (!budget)
            throw CliError(ExitCode::usage, fmt::format("--time-budget: '{}' is not a duration greater than 0 (like 10m or 90s)",
                                                        o.time_budget));
        if (run_length.iterations)
            throw CliError(ExitCode::usage, "--time-budget scales durations; it cannot be given with --iterations");
        const double seconds = std::chrono::duration<double>(*budget).count();
        const BudgetPlan fit = fit_time_budget(plan, share, static_cast<int>(cpus.size()), side_by_side,
                                               history ? &*history : nullptr, seconds);
        duration_scale = fit.scale;
        for (auto& sc : scenarios) {
            if (sc.duration) sc.duration = scaled_duration(*sc.duration, duration_scale);
        }
        if (!fit.fits) {
            fmt::print(stderr, "threadmill: warning: --time-budget {}: the plan needs about {} even with every job at its "
                               "minimum duration; running at the minimums\n",
                       o.time_budget, format_seconds(fit.schedule.makespan_seconds));
        } else if (!o.quiet) {
            fmt::print(stderr, "threadmill: --time-budget {}: {}; expected {}\n", o.time_budget,
                       duration_scale < 1.0 ? fmt::format("durations scaled to {:.3f} of each scenario's", duration_scale)
                                            : std::string("the plan fits at its own durations"),
                       format_seconds(fit.schedule.makespan_seconds));
        }
    }
    if (o.dry_run) {
        print_dry_run(plan, share, shard, side_by_side, cpus, history ? &*history : nullptr);
        return ExitCode::ok;
    }

    // Everything the user asked for is checked before the first job runs.
    std::vector<ReportRequest> requests;
    try {
        for (const auto& text : o.reports) requests.push_back(parse_report_request(text));
        if (o.json) requests.push_back({"json", "-"});
        prepare_report_outputs(requests);
    } catch (const std::exception& e) {
        throw CliError(ExitCode::usage, e.what());
    }
    if (const auto why = check_writable_folder(o.out_dir)) throw CliError(ExitCode::usage, fmt::format("--out {}: {}", o.out_dir, *why));
    if (const auto free = free_space(o.out_dir); free && *free < k_low_free_space) {
        fmt::print(stderr, "threadmill: warning: --out {}: only {} free (less than {} MiB); a run that fills the disk "
                           "stops with exit 3\n",
                   o.out_dir, *free >= (1u << 20) ? fmt::format("{:.1f} MiB", static_cast<double>(*free) / (1u << 20))
                                                  : fmt::format("{} KiB", *free >> 10),
                   k_low_free_space >> 20);
    }
    CompareOptions compare;
    std::optional<ResultsFile> baseline;
    if (!o.baseline.empty()) {
        try {
            compare.tolerance = parse_tolerance(o.tolerance);
            compare.tail_tolerance = parse_tolerance(o.tail_tolerance);
            baseline = read_results_file(o.baseline);
        } catch (const std::exception& e) {
            throw CliError(ExitCode::usage, fmt::format("--baseline: {}", e.what()));
        }
    }
    SupervisorOptions sup;
    sup.out_dir = o.out_dir;
    sup.worker_dir = resolve_worker_dir(global);
    // The suppression files are read (and checked) only when some job runs a sanitizer.
    const auto run_flavors = plan.flavors();
    const auto sanitized = [](const std::string& f) { return !runtimes(flavor_of(f)).empty(); };
    if (std::any_of(run_flavors.begin(), run_flavors.end(), sanitized)) sup.suppressions = run_suppressions(sup.worker_dir);
    sup.frame_filter = resolve_frame_filter();
    sup.run_length = run_length;
    sup.pass_scenario_duration = !o.time_budget.empty();
    sup.confirm = o.confirm;
    sup.sets = sets;
    sup.jobs = side_by_side;
    if (side_by_side > 1) sup.cpus = cpus;
    sup.fail_fast = o.fail_fast;
    std::vector<WorkerUse> workers;
    try {
        workers = check_workers(plan, sup);
    } catch (const std::exception& e) {
        throw CliError(ExitCode::internal, e.what());
    }
    if (const auto previous = describe_previous_run(o.out_dir))
        fmt::print(stderr, "threadmill: replacing the previous run in {} ({})\n", o.out_dir, *previous);
    if (plan.uses_fresh_seed())
        fmt::print(stderr, "threadmill: fresh seed {} (replay with --seed {})\n", plan_options.fresh_seed,
                   plan_options.fresh_seed);

    const bool stdout_taken = std::any_of(requests.begin(), requests.end(), [](const auto& r) { return r.path == "-"; });
    ReporterSet reporters;
    const ReportSettings settings = report_settings(o.out_dir, o.source_root, requests);
    if (!o.quiet) reporters.add(std::make_unique<ConsoleReporter>(stdout_taken ? stderr : stdout, settings.source_root, o.verbose));
    std::vector<std::string> report_errors;
    for (const auto& r : requests) reporters.add(std::make_unique<FileReporter>(r, settings, report_errors));
    Reporter* reporter = &reporters;

    sup.replay_program = global.program;
    sup.replay_worker_dir = global.worker_dir;  // named when given: the replay must find the same workers
    if (o.out_dir != RunOptions{}.out_dir) sup.replay_out_dir = o.out_dir;
    const int planned = static_cast<int>(share.job_count());
    sup.on_job_start = [&](const Job& j) {
        reporter->job_started(j.index, planned,
                              fmt::format("{} · {} · {} · seed {}", j.scenario->name, j.variant, j.flavor, j.seed));
    };
    sup.on_job_end = [&](const JobResult& r) { reporter->job_finished(r, planned); };


    RunContext context = current_context(command_line);
    context.repeat = o.repeat;
    std::error_code cwd_error;
    context.working_directory = std::filesystem::current_path(cwd_error).string();
    context.duration_override = o.duration;
    context.iterations_override = o.iterations;
    context.key_overrides = o.sets;
    context.time_budget = o.time_budget;
    context.duration_scale = duration_scale;
    context.planned = planned;
    context.seeds = plan.seeds();
    if (shard) {
        context.shard = {shard->index, shard->count, static_cast<int>(plan.size()), plan_fingerprint(plan)};
        if (!o.quiet)
            fmt::print(stderr, "threadmill: shard {} of {} ({}): {} of the plan's {} jobs\n", shard->index, shard->count,
                       shard->source, share.job_count(), plan.size());
    }
    if (side_by_side > 1 && !o.quiet)
        fmt::print(stderr, "threadmill: up to {} jobs side by side on CPUs {}\n", side_by_side, fmt::join(cpus, ","));
    context.workers = workers;
    for (const auto& f : plan.flavors()) context.flavors.emplace_back(f, flavor_flags(f));
    reporter->run_started(context, planned);

    g_stop.store(false);
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    const auto start = std::chrono::steady_clock::now();
    RunOutcome outcome;
    try {
        outcome = run_jobs(share, catalogs.all(), sup, context, g_stop);
    } catch (const std::exception& e) {
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
        throw CliError(ExitCode::internal, e.what());
    }
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    const auto results_path = (std::filesystem::path(o.out_dir) / "results.jsonl").string();
    RunSummary summary = summarize_run(outcome.results, planned, outcome.interrupted, elapsed, results_path);
    summary.incomplete = !outcome.error.empty() || outcome.fail_fast;
    summary.unrecorded = outcome.unrecorded;
    if (outcome.interrupted || !outcome.error.empty() || outcome.fail_fast) {
        // The jobs of the share that did not finish, listed up to a bound (a plan can hold
        // millions); the rest are counted by planned - ran.
        std::set<int> finished;
        for (const auto& r : outcome.results) finished.insert(r.index);
        for (std::size_t k = 0; k < share.group_count() && summary.not_run.size() < k_max_not_run_listed; ++k) {
            const JobGroup g = share.group(k);
            for (std::size_t p = g.begin; p < g.begin + g.size && summary.not_run.size() < k_max_not_run_listed; ++p) {
                if (finished.count(static_cast<int>(p + 1))) continue;
                const Job j = plan.at(p);
                summary.not_run.push_back(
                    {j.index, j.scenario->name, j.scenario->path, j.scenario->target, j.variant, j.flavor, j.seed, j.repeat});
            }
        }
    }
    if (outcome.fail_fast)
        fmt::print(stderr, "threadmill: --fail-fast: stopped after a job missed its expectation; {} of {} jobs ran\n",
                   outcome.results.size(), planned);
    reporter->run_finished(outcome.results, summary);
    for (const auto& e : report_errors) std::fprintf(stderr, "threadmill: error: %s\n", e.c_str());
    if (!outcome.error.empty()) throw CliError(ExitCode::internal, outcome.error);
    int regressions = 0;
    if (baseline && !summary.interrupted) {
        const Comparison c = compare_runs(baseline->jobs, outcome.results, compare);
        std::FILE* out = stdout_taken ? stderr : stdout;
        fmt::print(out, "\ncompared with the baseline {}:\n{}", o.baseline,
                   format_comparison(c, compare, ::isatty(::fileno(out)) != 0 && !std::getenv("NO_COLOR")));
        if (c.ops.empty()) std::fprintf(stderr, "threadmill: warning: --baseline %s has no operation in common with this run\n",
                                        o.baseline.c_str());
        regressions = c.regressions;
    }
    if (shard && share.job_count() == 0 && outcome.error.empty() && !outcome.interrupted) {
        // More shards than groups of jobs: this shard's empty results still tell `report merge`
        // that it ran; the merged run is what passes or fails.
        fmt::print(stderr, "threadmill: shard {} of {} has no job (the plan has {} groups of jobs for {} shards); its "
                           "results file records the shard for `report merge`\n",
                   shard->index, shard->count, plan.group_count(), shard->count);
        return ExitCode::ok;
    }
    return gate(summary, regressions, !report_errors.empty());
}

}  // namespace threadmill::cli
