// `threadmill doctor`: checks what makes sanitizer runs fail or lie on this machine, and says
// how to fix each problem.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/common.hpp"

namespace threadmill::cli {

struct DoctorOptions {
    std::vector<std::string> paths;  ///< scenarios to check against this machine's cores
};

void setup_doctor(CLI::App& app, DoctorOptions& options);
/// 0 when nothing is wrong (warnings allowed), 1 when a check failed.
ExitCode run_doctor(const DoctorOptions& options, const GlobalOptions& global);

}  // namespace threadmill::cli
