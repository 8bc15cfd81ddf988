// `threadmill shrink RESULTS.jsonl#JOB`: the smallest scenario that still fails the way the job did.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cli/common.hpp"

namespace threadmill::cli {

struct ShrinkOptions {
    std::string job;  ///< RESULTS.jsonl#INDEX
    int runs = 5;     ///< runs per trial
    double min_rate = 0.5;
    std::string output;  ///< "" = <results folder>/<scenario>.shrunk.toml
    int max_trials = 100;
};

void setup_shrink(CLI::App& app, ShrinkOptions& options);
/// 0: the smaller scenario is written; 1: the job does not reproduce at the rate asked; 2: bad input.
ExitCode run_shrink(const ShrinkOptions& options, const GlobalOptions& global);

}  // namespace threadmill::cli
