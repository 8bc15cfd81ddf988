// `threadmill shrink`: greedy reduction of a failing job's scenario (groups, threads, mix, keys,
// run length), each step kept only while the failure still reproduces at the rate asked.
#include "cli/cmd_shrink.hpp"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/cmd_replay.hpp"
#include "cli/cmd_run.hpp"
#include "driver/results_file.hpp"
#include "driver/shrink.hpp"
#include "model/outcome.hpp"
#include "model/paths.hpp"
#include "scenario/overrides.hpp"

namespace threadmill::cli {
namespace {
namespace fs = std::filesystem;

/// Runs `scenario` `runs` times (one job, repeated) in `dir` and counts the jobs that ended in
/// `outcome`; none when the scenario is not valid (the reason in `why`).
std::optional<int> reproductions(const std::string& text, const fs::path& dir, const RecordedJob& recorded,
                                 const GlobalOptions& global, int runs, Outcome outcome, std::string& why) {
    fs::create_directories(dir);
    const fs::path file = dir / "scenario.toml";
    write_file_atomically(file.string(), text);
    RunOptions run;
    run.paths = {file.string()};
    run.variants = {recorded.job.variant};
    run.flavors = {recorded.job.flavor};
    run.repeat = runs;
    run.quiet = true;
    run.out_dir = (dir / "run").string();
    GlobalOptions g = global;
    if (g.worker_dir.empty()) g.worker_dir = recorded.worker_dir;
    try {
        // The exit code says whether the jobs met their expectations; what counts here is how
        // each ended, read back from the results.
        if (run_run(run, g, "threadmill shrink") == ExitCode::interrupted)
            throw CliError(ExitCode::interrupted, "interrupted; the trials so far are in " + dir.parent_path().string());
    } catch (const CliError& e) {
        if (e.exit_code == ExitCode::usage) {
            why = e.what();
            return std::nullopt;
        }
        throw;
    }
    const ResultsFile results = read_results_file((dir / "run" / "results.jsonl").string());
    int same = 0;
    for (const auto& j : results.jobs) same += outcome_of(j) == outcome ? 1 : 0;
    return same;
}

}  // namespace

void setup_shrink(CLI::App& app, ShrinkOptions& o) {
    app.add_option("job", o.job, "the failing job, as RESULTS.jsonl#INDEX")->required();
    app.add_option("--runs", o.runs, "runs of each trial scenario (the same seed each time)")
        ->check(CLI::Range(1, 100))
        ->capture_default_str();
    app.add_option("--min-rate", o.min_rate,
                   "keep a reduction when at least this share of its runs end as the job did (0 to 1)")
        ->check(CLI::Range(0.01, 1.0))
        ->capture_default_str();
    app.add_option("-o,--output", o.output, "the smaller scenario (default: <scenario>.shrunk.toml beside the results file)");
    app.add_option("--max-trials", o.max_trials, "stop after this many trial scenarios")
        ->check(CLI::Range(1, 10000))
        ->capture_default_str();
    app.footer(
        "Makes the job's scenario smaller while the job still ends the way it did (MISSED, UNEXPECTED) in at "
        "least --min-rate of --runs runs: it removes whole groups, lowers thread counts, removes operations from "
        "the mixes, lowers the key count and shortens the run, one step at a time, keeping each step that still "
        "fails. The result is pinned to the job's variant, flavor and seed, and says in a comment what was removed "
        "and how often it failed.\n\n"
        "Exit codes: 0 the smaller scenario is written; 1 the job does not fail at the rate asked (nothing to "
        "shrink); 2 bad input; 3 internal error.");
}

ExitCode run_shrink(const ShrinkOptions& o, const GlobalOptions& global) {
    const RecordedJob recorded = find_recorded_job(o.job);
    const JobResult& job = recorded.job;
    const Outcome outcome = outcome_of(job);
    if (!info(outcome).fails_gate)
        throw CliError(ExitCode::usage, fmt::format("job {} ended {}: only a job that needs a look (MISSED, UNEXPECTED, "
                                                    "ERROR) has a failure to shrink",
                                                    job.index, info(outcome).word));
    toml::table current;
    try {
        current = toml::parse_file(recorded.scenario_path);
    } catch (const toml::parse_error& e) {
        throw CliError(ExitCode::usage, fmt::format("{}: {}", recorded.scenario_path, e.description()));
    }
    // The run's --set overrides go into the file: the smaller scenario runs the same job on its own.
    try {
        std::vector<KeyOverride> sets;
        for (const auto& text : recorded.file.context.key_overrides) sets.push_back(parse_key_override(text));
        apply_key_overrides(current, sets);
    } catch (const std::invalid_argument& e) {
        throw CliError(ExitCode::usage, e.what());
    }
    pin_scenario(current, job.variant, job.flavor, job.seed, fs::path(recorded.scenario_path).parent_path());
    const auto& context = recorded.file.context;
    if (!context.duration_override.empty()) {
        current.erase("iterations");
        current.insert_or_assign("duration", context.duration_override);
    } else if (context.iterations_override) {
        current.erase("duration");
        current.insert_or_assign("iterations", static_cast<std::int64_t>(*context.iterations_override));
    }

    const fs::path results_dir = fs::path(recorded.results_path).parent_path();
    const fs::path work = results_dir / fmt::format("shrink-{}", job.index);
    fs::remove_all(work);
    const std::string output =
        !o.output.empty() ? o.output : (results_dir / fmt::format("{}.shrunk.toml", job.scenario)).string();
    const auto needed = [&](int runs) { return static_cast<double>(runs) >= o.min_rate * o.runs - 1e-9; };
    const std::string word(info(outcome).word);

    int trial = 0;
    std::string why;
    fmt::print("shrink: job {} ({} · {} · {} · seed {}) ended {}; each trial runs {} times and is kept at {} or more\n",
               job.index, job.scenario, job.variant, job.flavor, job.seed, word, o.runs,
               fmt::format("{:.0f}%", o.min_rate * 100));
    const auto original = reproductions(scenario_text(current), work / "trial-0", recorded, global, o.runs, outcome, why);
    if (!original) throw CliError(ExitCode::usage, fmt::format("the job's scenario, pinned to the job, does not load: {}", why));
    fmt::print("  the job as recorded: {} in {} of {} runs\n", word, *original, o.runs);
    if (!needed(*original)) {
        fmt::print(stderr, "threadmill: the job ended {} in {} of {} runs, below --min-rate {}: nothing to shrink (try more --runs or a "
                           "lower --min-rate)\n",
                   word, *original, o.runs, o.min_rate);
        return ExitCode::failed;
    }
    int rate = *original;
    std::vector<Reduction> removed;  // what was kept, without the scenario
    bool progress = true;
    while (progress && trial < o.max_trials) {
        progress = false;
        for (auto& r : scenario_reductions(current)) {
            if (++trial > o.max_trials) break;
            const auto got = reproductions(scenario_text(r.scenario), work / fmt::format("trial-{}", trial), recorded,
                                           global, o.runs, outcome, why);
            if (!got) {
                fmt::print("  trial {}: {}: not a valid scenario ({}), skipped\n", trial, r.what, why);
                continue;
            }
            const bool keep = needed(*got);
            fmt::print("  trial {}: {}: {} in {} of {} runs, {}\n", trial, r.what, word, *got, o.runs, keep ? "kept" : "undone");
            if (!keep) continue;
            current = std::move(r.scenario);
            // Successive steps on one value read as one: "iterations 400 -> 12".
            if (!r.subject.empty() && !removed.empty() && removed.back().subject == r.subject) {
                removed.back().to = r.to;
                removed.back().what = fmt::format("{} {} -> {}", r.subject, removed.back().from, r.to);
            } else {
                removed.push_back({r.what, {}, r.subject, r.from, r.to});
            }
            rate = *got;
            progress = true;
            break;  // the reductions of the smaller scenario are new ones
        }
    }
    std::string text = fmt::format("# Shrunk by `threadmill shrink {}` from {}\n# (variant {}, flavor {}, seed {}; the job ended {}).\n",
                                   o.job, recorded.scenario_path, job.variant, job.flavor, job.seed, word);
    std::vector<std::string> steps;
    for (const auto& r : removed) steps.push_back(r.what);
    text += removed.empty() ? "# Nothing could be removed.\n" : fmt::format("# Removed: {}.\n", fmt::join(steps, "; "));
    text += fmt::format("# This scenario ends {} in {} of {} runs (the original: {} of {}); {} trials.\n\n", word, rate,
                        o.runs, *original, o.runs, trial > o.max_trials ? o.max_trials : trial);
    text += scenario_text(current);
    write_file_atomically(output, text);
    fmt::print("shrink: {} step{} kept; wrote {} ({} in {} of {} runs)\n", removed.size(), removed.size() == 1 ? "" : "s",
               output, word, rate, o.runs);
    return ExitCode::ok;
}

}  // namespace threadmill::cli
