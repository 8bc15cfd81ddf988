// `threadmill compare`: latency and throughput of two saved runs, with regressions flagged.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cli/common.hpp"

namespace threadmill::cli {

struct CompareCliOptions {
    std::string base;
    std::string next;
    std::string tolerance = "10%";
    std::string tail_tolerance = "100%";
    double alpha = 0.05;
    bool judge_few_samples = false;  ///< judge figures with too few samples by the tolerance alone
    bool all = false;                ///< every figure, and unfolded lists
    std::string base_variant;
    std::string new_variant;
    bool strict = false;  ///< refuse a results file with an unreadable line instead of skipping it
};

void setup_compare(CLI::App& app, CompareCliOptions& options);
/// 0: no regression; 1: a regression; 2: bad input or nothing in common.
ExitCode run_compare(const CompareCliOptions& options);

}  // namespace threadmill::cli
