// `threadmill report`: rebuild reports from saved results, and merge saved runs.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/common.hpp"

namespace threadmill::cli {

struct ReportOptions {
    std::string results;               ///< results.jsonl to report on
    std::vector<std::string> reports;  ///< FORMAT=PATH
    std::string source_root;
    bool console = false;
    bool verbose = false;  ///< the console report shows every job's tables
    bool strict = false;  ///< refuse a results file with an unreadable line instead of skipping it
    // `report merge`
    std::vector<std::string> merge_inputs;
    std::string merge_output;
};

/// Adds `report` and its `merge` subcommand to `app`; returns the merge subcommand.
CLI::App* setup_report(CLI::App& app, ReportOptions& options);
ExitCode run_report(const ReportOptions& options);
ExitCode run_report_merge(const ReportOptions& options);

}  // namespace threadmill::cli
