// `threadmill report`: rebuild reports from saved results, and merge saved runs.
#include "cli/cmd_report.hpp"

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "driver/results_file.hpp"
#include "model/paths.hpp"
#include "reports/console.hpp"
#include "reports/registry.hpp"
#include "driver/summary.hpp"

namespace threadmill::cli {
namespace {

ResultsFile read_or_fail(const std::string& path, bool strict) {
    try {
        ResultsFile f = read_results_file(path, strict);
        for (const auto& w : f.warnings) std::fprintf(stderr, "threadmill: warning: %s\n", w.c_str());
        if (const auto why = incomplete_run(f)) std::fprintf(stderr, "threadmill: warning: %s: %s\n", path.c_str(), why->c_str());
        return f;
    } catch (const std::exception& e) {
        throw CliError(ExitCode::usage, e.what());
    }
}

}  // namespace

CLI::App* setup_report(CLI::App& app, ReportOptions& o) {
    app.add_option("results", o.results, "a results.jsonl written by `threadmill run` (or `report merge`)");
    app.add_option("--report", o.reports, "write a report, FORMAT=PATH (repeatable); formats below")
        ->type_name("FORMAT=PATH");
    app.add_flag("--console", o.console, "also print the console report (the default when no --report is given)");
    app.add_flag("-v,--verbose", o.verbose, "in the console report, every job's tables (default: only the jobs that need a look)");
    app.add_flag("--strict", o.strict, "refuse a results file with a line that cannot be read (default: skip it, with a warning)");
    app.add_option("--source-root", o.source_root,
                   "source paths in reports are made relative to this folder (default: the current folder)");
    app.footer(report_formats_help() + "\n" + exit_code_help() +
               "\nAn incomplete run (a results.jsonl without its closing line, because its driver was killed or the disk "
               "filled, or one that was interrupted) exits 1 even when every job in it met its expectation: the jobs "
               "that did not run were not judged.");

    auto* merge = app.add_subcommand("merge", "merge results.jsonl files of several runs (sharded CI jobs) into one");
    merge->add_option("inputs", o.merge_inputs, "results.jsonl files, in order")->required()->check(CLI::ExistingFile);
    merge->footer("Exit codes: 0 merged; 2 an input cannot be read (or, with --strict, has a bad line) or the output "
                  "cannot be created; 3 the output could not be written (a full disk). The merged file is complete when "
                  "every input is (each ends with its closing line); otherwise it says which input was not.");
    merge->add_flag("--strict", o.strict, "refuse a file with a line that cannot be read (default: skip it, with a warning)");
    merge->add_option("-o,--output", o.merge_output, "the merged results.jsonl")->required();
    return merge;
}

ExitCode run_report(const ReportOptions& o) {
    if (o.results.empty()) throw CliError(ExitCode::usage, "report: give a results.jsonl (or use `report merge`)");
    const ResultsFile run = read_or_fail(o.results, o.strict);

    std::vector<ReportRequest> requests;
    try {
        for (const auto& text : o.reports) requests.push_back(parse_report_request(text));
        prepare_report_outputs(requests);
    } catch (const std::exception& e) {
        throw CliError(ExitCode::usage, e.what());
    }

    const std::string results_dir = std::filesystem::path(o.results).parent_path().string();
    const int planned = planned_jobs(run);
    RunSummary summary = summarize_run(run.jobs, planned, false, 0, o.results);
    summary.incomplete = incomplete_run(run).has_value();
    for (const auto& j : run.jobs) summary.elapsed_seconds += j.elapsed_seconds;
    const ReportSettings settings = report_settings(results_dir, o.source_root, requests);

    if (requests.empty() || o.console) {
        ConsoleReporter console(stdout, settings.source_root, o.verbose);
        console.run_started(run.context, planned);
        for (const auto& j : run.jobs) console.job_finished(j, planned);
        console.run_finished(run.jobs, summary);
    }
    int failed = 0;
    for (const auto& r : requests) {
        try {
            write_report(r, ReportInput{run.context, run.jobs, summary, r.path, settings});
            if (r.path != "-") std::fprintf(stderr, "threadmill: wrote %s (%s)\n", r.path.c_str(), r.format.c_str());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "threadmill: error: %s report %s: %s\n", r.format.c_str(), r.path.c_str(), e.what());
            ++failed;
        }
    }
    return gate(summary, 0, failed > 0);
}

ExitCode run_report_merge(const ReportOptions& o) {
    std::vector<ResultsFile> files;
    for (const auto& path : o.merge_inputs) files.push_back(read_or_fail(path, o.strict));
    const std::string out_dir = std::filesystem::path(o.merge_output).parent_path().string();
    const ResultsFile merged = merge_results(files, out_dir.empty() ? "." : out_dir);
    try {
        write_results_file(merged, o.merge_output);
    } catch (const WriteError& e) {
        throw CliError(ExitCode::internal, e.what());
    } catch (const std::exception& e) {
        throw CliError(ExitCode::usage, e.what());
    }
    std::fprintf(stderr, "threadmill: merged %zu file%s, %zu jobs, into %s\n", files.size(), files.size() == 1 ? "" : "s",
                 merged.jobs.size(), o.merge_output.c_str());
    if (const auto why = incomplete_run(merged))
        std::fprintf(stderr, "threadmill: warning: %s: %s\n", o.merge_output.c_str(), why->c_str());
    return ExitCode::ok;
}

}  // namespace threadmill::cli
