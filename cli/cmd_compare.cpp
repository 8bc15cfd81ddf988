// `threadmill compare`: latency and throughput of two saved runs, with regressions flagged.
#include "cli/cmd_compare.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "driver/compare.hpp"
#include "driver/results_file.hpp"
#include "reports/compare_text.hpp"

namespace threadmill::cli {

void setup_compare(CLI::App& app, CompareCliOptions& o) {
    app.add_option("base", o.base, "the baseline results.jsonl")->required()->check(CLI::ExistingFile);
    app.add_option("new", o.next, "the results.jsonl to judge against it")->required()->check(CLI::ExistingFile);
    app.add_option("--tolerance", o.tolerance,
                   "a change of the median p50 or throughput smaller than this is not a regression (10% or 0.1)")
        ->capture_default_str();
    app.add_option("--tail-tolerance", o.tail_tolerance, "the same for p99 and p99.9, which move more between runs")
        ->capture_default_str();
    app.add_option("--alpha", o.alpha, "significance level of the Mann-Whitney U test (0 < alpha < 1)")
        ->capture_default_str();
    app.add_flag("--judge-few-samples", o.judge_few_samples,
                 "judge figures with too few samples for the test by the tolerance alone (one noisy run can then "
                 "fail the gate)");
    app.add_flag("--all", o.all, "print every figure (a table per scenario, variant and flavor) and unfold the lists");
    app.add_option("--base-variant", o.base_variant,
                   "compare only this variant of the base run with --new-variant of the new run");
    app.add_option("--new-variant", o.new_variant, "see --base-variant");
    app.add_flag("--strict", o.strict, "refuse a results file with a line that cannot be read (default: skip it, with a warning)");
    app.footer(
        "A figure is an operation's p50, p99, p99.9 or throughput; its samples are one per job (seeds x --repeat)\n"
        "on each side. It is a REGRESSION only when both hold: a two-sided Mann-Whitney U test over the two\n"
        "sides' samples finds a significant difference (its p-value, adjusted for the number of figures compared\n"
        "by Benjamini-Hochberg, is below alpha), and the median is worse (higher latency, lower throughput) by\n"
        "more than the tolerance (--tail-tolerance for p99 and p99.9). With too few samples for the test ever to\n"
        "reach alpha (fewer than 4 a side at 0.05: run with --repeat 5 or more) a figure is 'not judged', which\n"
        "does not fail the gate unless --judge-few-samples is given. Counts are of figures and add up:\n"
        "compared = regressions + improvements + unchanged + not judged.\n"
        "Exit status: 0 no regression, 1 a regression, 2 bad input or nothing in common, 3 internal error.");
}

ExitCode run_compare(const CompareCliOptions& o) {
    CompareOptions options;
    ResultsFile base, next;
    try {
        options.tolerance = parse_tolerance(o.tolerance);
        options.tail_tolerance = parse_tolerance(o.tail_tolerance);
        if (!(o.alpha > 0 && o.alpha < 1)) throw std::invalid_argument("--alpha must be between 0 and 1 (exclusive)");
        options.alpha = o.alpha;
        options.judge_few_samples = o.judge_few_samples;
        options.base_variant = o.base_variant;
        options.new_variant = o.new_variant;
        if (o.base_variant.empty() != o.new_variant.empty())
            throw std::invalid_argument("--base-variant and --new-variant go together");
        base = read_results_file(o.base, o.strict);
        next = read_results_file(o.next, o.strict);
    } catch (const std::exception& e) {
        throw CliError(ExitCode::usage, e.what());
    }
    for (const auto* f : {&base, &next}) {
        for (const auto& w : f->warnings) std::fprintf(stderr, "threadmill: warning: %s\n", w.c_str());
        if (const auto why = incomplete_run(*f)) std::fprintf(stderr, "threadmill: warning: %s: %s\n", f->path.c_str(), why->c_str());
    }
    const Comparison c = compare_runs(base.jobs, next.jobs, options);
    fmt::print("base {} ({} jobs) · new {} ({} jobs)\n", o.base, base.jobs.size(), o.next, next.jobs.size());
    fmt::print("{}", format_comparison(c, options,
                                       ::isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr, o.all));
    std::fflush(stdout);
    if (c.ops.empty()) throw CliError(ExitCode::usage, "the two runs have no scenario, variant, flavor and operation in common");
    return c.regressions > 0 ? ExitCode::failed : ExitCode::ok;
}

}  // namespace threadmill::cli
