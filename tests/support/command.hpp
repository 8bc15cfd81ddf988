// Running a shell command from a test and capturing what it prints (validators, the driver).
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace threadmill::testing {

struct CommandResult {
    int status = -1;     ///< exit status, -1 when it could not run or was killed by a signal
    std::string output;  ///< stdout and stderr, interleaved
};

/// Runs `command` with /bin/sh, stderr merged into stdout.
inline CommandResult run_command(const std::string& command) {
    CommandResult r;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (!pipe) return r;
    char buffer[4096];
    while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) r.output.append(buffer, n);
    const int status = ::pclose(pipe);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

}  // namespace threadmill::testing
