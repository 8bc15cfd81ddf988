// Running a shell command from a test and capturing what it prints (validators, the driver).
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
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

struct SplitCommandResult {
    int exit_code = -1;  ///< exit status, -1 when it could not run or was killed by a signal
    std::string out;     ///< stdout
    std::string err;     ///< stderr
};

/// Runs `command` with /bin/sh, its stdout and stderr kept apart (stderr through a temporary file).
inline SplitCommandResult run_command_split(const std::string& command) {
    const auto err = std::filesystem::temp_directory_path() / ("tm-command-" + std::to_string(::getpid()) + "-stderr.txt");
    SplitCommandResult r;
    FILE* pipe = ::popen((command + " 2>'" + err.string() + "'").c_str(), "r");
    if (!pipe) return r;
    char buffer[4096];
    while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) r.out.append(buffer, n);
    const int status = ::pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream in(err);
    r.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    std::filesystem::remove(err);
    return r;
}

}  // namespace threadmill::testing
