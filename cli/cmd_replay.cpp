// `threadmill replay`: a recorded job's identity read back from results.jsonl and run again.
#include "cli/cmd_replay.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>

#include <fmt/format.h>


namespace threadmill::cli {
namespace {
namespace fs = std::filesystem;

/// Splits RESULTS.jsonl#INDEX.
std::pair<std::string, int> parse_job_reference(const std::string& text) {
    const auto hash = text.rfind('#');
    const std::string usage = fmt::format("'{}': name a job as RESULTS.jsonl#INDEX, such as threadmill-out/results.jsonl#12", text);
    if (hash == std::string::npos || hash == 0 || hash + 1 == text.size()) throw CliError(ExitCode::usage, usage);
    int index = 0;
    const char* first = text.data() + hash + 1;
    const char* last = text.data() + text.size();
    const auto [end, ec] = std::from_chars(first, last, index);
    if (ec != std::errc{} || end != last || index < 1) throw CliError(ExitCode::usage, usage);
    return {text.substr(0, hash), index};
}

/// The scenario file of a recorded job: as recorded when it exists from here, else relative to
/// the folder the run started in.
std::string find_scenario(const JobResult& job, const RunContext& context) {
    std::error_code ec;
    if (fs::exists(job.scenario_path, ec)) return job.scenario_path;
    if (!context.working_directory.empty() && fs::path(job.scenario_path).is_relative()) {
        const fs::path there = fs::path(context.working_directory) / job.scenario_path;
        if (fs::exists(there, ec)) return there.string();
    }
    throw CliError(ExitCode::usage,
                   fmt::format("job {}: its scenario file '{}' is not there any more (the run started in '{}')", job.index,
                               job.scenario_path, context.working_directory.empty() ? "?" : context.working_directory));
}

/// The worker folder the job ran on: the folder of the run's worker of its flavor (default build).
std::string find_worker_dir(const JobResult& job, const RunContext& context) {
    for (const auto& w : context.workers) {
        if (w.flavor != job.flavor || !w.variant_build.empty()) continue;
        std::error_code ec;
        if (fs::exists(w.path, ec)) return fs::path(w.path).parent_path().string();
    }
    return "";
}

}  // namespace

void setup_replay(CLI::App& app, ReplayOptions& o) {
    app.add_option("job", o.job,
                   "the job to rerun, as RESULTS.jsonl#INDEX (the index is the job's number in the run, as reports print it)")
        ->required();
    app.add_option("--confirm", o.confirm,
                   "when the rerun misses its expectation, rerun it K more times with the same seed and say whether the "
                   "miss is deterministic, reproduced x of K times (flaky), or not reproduced")
        ->check(CLI::Range(0, 1000));
    app.add_option("--out", o.out_dir, "output folder (default: replay-<INDEX> beside the results file)");
    app.add_flag("--json", o.json, "print the results as one JSON document on stdout");
    app.add_option("--report", o.reports, "also write a report, FORMAT=PATH (repeatable)")->type_name("FORMAT=PATH");
    app.add_flag("-q,--quiet", o.quiet, "no console report");
    app.add_flag("-v,--verbose", o.verbose, "print the job's tables even when it does what it should");
    app.footer(
        "Reruns the job exactly as recorded: the same scenario file (found again from the folder the run started "
        "in), variant, flavor and seed, so the same operations, keys and chaos decisions; the run's --duration or "
        "--iterations; and the same worker folder when its workers are still there. The thread schedule is the "
        "operating system's: a job that fails only under some schedules may pass on a rerun; --confirm K says how "
        "often it fails.\n\n" +
        exit_code_help());
}

RecordedJob find_recorded_job(const std::string& reference) {
    const auto [path, index] = parse_job_reference(reference);
    RecordedJob r;
    r.results_path = path;
    try {
        r.file = read_results_file(path);
    } catch (const std::exception& e) {
        throw CliError(ExitCode::usage, e.what());
    }
    const auto it = std::find_if(r.file.jobs.begin(), r.file.jobs.end(), [index = index](const JobResult& j) { return j.index == index; });
    if (it == r.file.jobs.end()) {
        std::string range = r.file.jobs.empty()
                                ? "it holds no job"
                                : fmt::format("its jobs are {} to {}", r.file.jobs.front().index, r.file.jobs.back().index);
        throw CliError(ExitCode::usage, fmt::format("{} has no job {}: {}", path, index, range));
    }
    r.job = *it;
    r.scenario_path = find_scenario(r.job, r.file.context);
    r.worker_dir = find_worker_dir(r.job, r.file.context);
    return r;
}

ReplayPlan plan_replay(const ReplayOptions& o, const GlobalOptions& global) {
    const RecordedJob recorded = find_recorded_job(o.job);
    const JobResult& job = recorded.job;
    ReplayPlan plan;
    plan.global = global;
    if (plan.global.worker_dir.empty()) plan.global.worker_dir = recorded.worker_dir;
    RunOptions& run = plan.run;
    run.paths = {recorded.scenario_path};
    run.variants = {job.variant};
    run.flavors = {job.flavor};
    run.seeds = {job.seed};
    run.duration = recorded.file.context.duration_override;
    run.iterations = recorded.file.context.iterations_override;
    run.sets = recorded.file.context.key_overrides;
    run.confirm = o.confirm;
    run.out_dir = !o.out_dir.empty() ? o.out_dir
                                     : (fs::path(recorded.results_path).parent_path() / fmt::format("replay-{}", job.index)).string();
    run.json = o.json;
    run.quiet = o.quiet;
    run.verbose = o.verbose;
    run.reports = o.reports;
    return plan;
}

ExitCode run_replay(const ReplayOptions& o, const GlobalOptions& global, const std::string& command_line) {
    const ReplayPlan plan = plan_replay(o, global);
    return run_run(plan.run, plan.global, command_line);
}

}  // namespace threadmill::cli
