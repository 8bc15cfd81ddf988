// `threadmill list`: the targets a worker holds, or the scenarios under some paths.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/common.hpp"

namespace threadmill::cli {

struct ListOptions {
    std::string what = "targets";
    std::vector<std::string> paths;
};

void setup_list(CLI::App& app, ListOptions& options);
ExitCode run_list(const ListOptions& options, const GlobalOptions& global);

}  // namespace threadmill::cli
