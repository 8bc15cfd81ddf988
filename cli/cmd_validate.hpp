// `threadmill validate`: check scenario files against the targets without running anything.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/common.hpp"

namespace threadmill::cli {

struct ValidateOptions {
    std::vector<std::string> paths;
};

void setup_validate(CLI::App& app, ValidateOptions& options);
/// 0 when every file is valid, 2 otherwise.
ExitCode run_validate(const ValidateOptions& options, const GlobalOptions& global);

}  // namespace threadmill::cli
