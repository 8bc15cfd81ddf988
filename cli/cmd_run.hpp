// `threadmill run`: plan the jobs of some scenarios, run each in a worker, report, gate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/common.hpp"

namespace threadmill::cli {

struct RunOptions {
    std::vector<std::string> paths;
    std::vector<std::uint64_t> seeds;
    std::optional<int> seed_count;
    std::string duration;
    std::optional<std::uint64_t> iterations;
    std::vector<std::string> variants;
    std::vector<std::string> flavors;
    std::string filter;
    std::string out_dir = "threadmill-out";
    bool json = false;
    bool quiet = false;
    bool verbose = false;  ///< every job's tables on the console, not only those that need a look
    std::vector<std::string> reports;  ///< FORMAT=PATH
    std::string source_root;           ///< "" = the current folder
    int repeat = 1;
    int confirm = 0;
    std::vector<std::string> sets;  ///< --set KEY=VALUE  ///< reruns of each missed job with its seed (--confirm K)
    std::string baseline;   ///< results.jsonl to compare this run's latencies with
    std::string tolerance = "10%";
    std::string tail_tolerance = "100%";
    std::string shard;          ///< --shard K/N|auto ("" not sharded)
    std::string history;        ///< --history: a previous results.jsonl whose job times plan this run
    std::string time_budget;    ///< --time-budget DURATION
    std::string jobs = "1";     ///< --jobs N|auto
    std::optional<int> cpus;    ///< --cpus N: use (or, with --dry-run, plan for) N CPUs
    bool fail_fast = false;
    bool dry_run = false;
};

void setup_run(CLI::App& app, RunOptions& options);
/// Returns the exit code of the gate contract.
ExitCode run_run(const RunOptions& options, const GlobalOptions& global, const std::string& command_line);

}  // namespace threadmill::cli
