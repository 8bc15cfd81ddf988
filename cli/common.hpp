// What every subcommand shares: the command-level error, worker discovery,
// finding scenario files and loading them.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "driver/gate.hpp"
#include "driver/install_layout.hpp"
#include "model/catalogs.hpp"
#include "model/scenario.hpp"
#include "api/target.hpp"

namespace threadmill::cli {

/// A command-level failure: printed once by main as `threadmill: error: ...`.
class CliError : public std::runtime_error {
public:
    CliError(ExitCode exit_code, const std::string& message) : std::runtime_error(message), exit_code(exit_code) {}
    ExitCode exit_code;
};

struct GlobalOptions {
    std::string worker_dir;  ///< empty: THREADMILL_WORKER_DIR, else the driver's own folder
    std::string program = "threadmill";  ///< how this program was started (argv[0]): replay commands start so
};

/// The folder holding the worker executables.
std::string resolve_worker_dir(const GlobalOptions& g);
/// threadmill's own folder of suppression files: an installed driver's
/// <prefix>/share/threadmill/sanitizers when it exists, else the source tree's sanitizers/
/// folder when it exists, else "".
std::string resolve_sanitizer_dir();
/// $THREADMILL_SANITIZER_DIR: a folder of more per-runtime files (<runtime>.supp), or "".
std::string environment_sanitizer_dir();
/// The suppression files every sanitizer job of a run uses: threadmill's own, then
/// $THREADMILL_SANITIZER_DIR's, then the project's (threadmill-suppressions.txt in `worker_dir`).
/// Prints each bad line as file:line:col and throws CliError 2 when a file is unreadable or bad.
std::vector<SuppressionSource> run_suppressions(const std::string& worker_dir);
/// The folders of the install this driver belongs to, found from its own folder; nullopt for a driver in its
/// build tree (no <prefix>/share/threadmill/sanitizers beside it).
std::optional<InstallLayout> installed_layout();
/// The frame filter for sanitizer reports and hang backtraces: threadmill's source folders, plus an installed
/// driver's <prefix>/include/threadmill/ (a user's worker compiles those headers).
FrameFilter resolve_frame_filter();
/// The catalog of the plain worker (throws CliError 3 when it cannot be asked).
Catalog load_catalog(const GlobalOptions& g);
/// The catalogs of the workers that one command's scenario files run on, each worker asked once.
class WorkerCatalogs {
public:
    explicit WorkerCatalogs(const GlobalOptions& g) : m_global(g) {}
    /// The catalog to load the scenario file `path` against: that of the workers it names
    /// (`worker = "..."`), else the run's. Throws ScenarioError at the key when that folder holds no
    /// worker, CliError 3 when a worker cannot be asked.
    const Catalog& for_file(const std::string& path);
    /// The run's catalog (load_catalog), asked once.
    const Catalog& run_catalog();
    /// Every catalog asked so far, for the planner and the supervisor.
    const Catalogs& all() const { return m_catalogs; }

private:
    const GlobalOptions& m_global;
    Catalogs m_catalogs;
};

/// Files as given and every *.toml below each folder (sorted); throws CliError 2 for a path
/// that does not exist or a folder without scenarios.
std::vector<std::string> collect_scenario_files(const std::vector<std::string>& paths);
/// A CLI11 check that an option's text is a whole number from `lo` to `hi`: digits only, so that
/// "-5" or "1e3" is an error instead of wrapping around or being truncated.
CLI::Validator whole_number(std::uint64_t lo, std::uint64_t hi);
/// whole_number(0, 2^64-1).
const CLI::Validator& unsigned_number();

/// Prints each diagnostic to stderr.
void print_diagnostics(const ScenarioError& e);

}  // namespace threadmill::cli
