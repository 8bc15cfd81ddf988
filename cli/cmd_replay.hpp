// `threadmill replay RESULTS.jsonl#JOB`: rerun one recorded job exactly, optionally K times.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cli/cmd_run.hpp"
#include "cli/common.hpp"
#include "driver/results_file.hpp"

namespace threadmill::cli {

struct ReplayOptions {
    std::string job;  ///< RESULTS.jsonl#INDEX
    int confirm = 0;
    std::string out_dir;  ///< "" = <results folder>/replay-<index>
    bool json = false;
    bool quiet = false;
    bool verbose = false;
    std::vector<std::string> reports;
};

void setup_replay(CLI::App& app, ReplayOptions& options);

/// The `run` that reruns job `index` of a results file: its scenario (found from the run's folder),
/// variant, flavor and seed, the run's length overrides and workers. Throws CliError (usage) when
/// the job or its scenario cannot be found.
struct ReplayPlan {
    RunOptions run;
    GlobalOptions global;
};
ReplayPlan plan_replay(const ReplayOptions& options, const GlobalOptions& global);

/// A recorded job named as RESULTS.jsonl#INDEX, read back with its run's context.
struct RecordedJob {
    std::string results_path;
    ResultsFile file;
    JobResult job;
    std::string scenario_path;  ///< its scenario file, found from here or from the run's folder
    std::string worker_dir;     ///< the run's worker folder of its flavor, "" when not recorded or gone
};
/// Throws CliError (usage) when the reference is malformed, the file unreadable, the job or its scenario missing.
RecordedJob find_recorded_job(const std::string& reference);

ExitCode run_replay(const ReplayOptions& options, const GlobalOptions& global, const std::string& command_line);

}  // namespace threadmill::cli
