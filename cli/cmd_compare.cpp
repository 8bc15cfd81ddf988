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
    app.add_option("--tolerance", o.tolerance, "a change smaller than this is not a regression (10% or 0.1)")
        ->capture_default_str();
    app.add_option("--base-variant", o.base_variant,
                   "compare only this variant of the base run with --new-variant of the new run");
    app.add_option("--new-variant", o.new_variant, "see --base-variant");
    app.add_flag("--strict", o.strict, "refuse a results file with a line that cannot be read (default: skip it, with a warning)");
    app.footer(
        "Each side of a figure is the median over its jobs (seeds and --repeat runs); the noise column is the\n"
        "larger relative spread, (max - min) / median, of the two sides. A figure is a REGRESSION when it is\n"
        "worse (higher latency, lower throughput) by more than the tolerance and by more than that noise;\n"
        "with one sample a side the noise is unknown and only the tolerance applies.\n"
        "Exit status: 0 no regression, 1 a regression, 2 bad input or nothing in common.");
}

ExitCode run_compare(const CompareCliOptions& o) {
    CompareOptions options;
    ResultsFile base, next;
    try {
        options.tolerance = parse_tolerance(o.tolerance);
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
    fmt::print("{}", format_comparison(c, options, ::isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr));
    std::fflush(stdout);
    if (c.ops.empty()) throw CliError(ExitCode::usage, "the two runs have no scenario, variant, flavor and operation in common");
    return c.regressions > 0 ? ExitCode::failed : ExitCode::ok;
}

}  // namespace threadmill::cli
