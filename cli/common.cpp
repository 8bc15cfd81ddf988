// What every subcommand shares: exit codes, worker discovery, finding and loading scenarios.
#include "cli/common.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "driver/describe.hpp"
#include "model/catalog_json.hpp"
#include "driver/supervisor.hpp"
#include "scenario/loader.hpp"
#include "model/flavor.hpp"
#include "sanitizers/suppression_files.hpp"

namespace threadmill::cli {
namespace fs = std::filesystem;

namespace {

/// The folder holding this threadmill executable; empty when /proc cannot tell.
fs::path executable_dir() {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path{} : self.parent_path();
}

}  // namespace

std::string resolve_worker_dir(const GlobalOptions& g) {
    if (!g.worker_dir.empty()) return g.worker_dir;
    if (const char* env = std::getenv("THREADMILL_WORKER_DIR"); env != nullptr && *env != '\0') return env;
    const fs::path self_dir = executable_dir();
    if (self_dir.empty()) throw CliError(ExitCode::internal, "cannot locate the threadmill executable; pass --worker-dir");
    return self_dir.string();
}

std::string environment_sanitizer_dir() {
    const char* env = std::getenv("THREADMILL_SANITIZER_DIR");
    return env != nullptr ? env : "";
}

std::vector<SuppressionSource> run_suppressions(const std::string& worker_dir) {
    try {
        auto out = read_runtime_suppressions(resolve_sanitizer_dir(), k_origin_threadmill);
        if (const std::string env = environment_sanitizer_dir(); !env.empty()) {
            if (!fs::is_directory(env))
                throw CliError(ExitCode::usage,
                               fmt::format("THREADMILL_SANITIZER_DIR={} is not a folder (it holds more suppression "
                                           "files, <runtime>.supp)",
                                           env));
            for (auto& s : read_runtime_suppressions(env, k_origin_environment)) out.push_back(std::move(s));
        }
        for (auto& s : read_project_suppressions(worker_dir)) out.push_back(std::move(s));
        return out;
    } catch (const SuppressionFileError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        throw CliError(ExitCode::usage, "suppression file errors; nothing was run");
    }
}

std::optional<InstallLayout> installed_layout() {
    const fs::path self_dir = executable_dir();
    if (self_dir.empty()) return std::nullopt;
    InstallLayout layout = install_layout(self_dir, TM_SHARE_FROM_BIN, TM_INCLUDE_FROM_BIN);
    std::error_code ec;
    // The suppression files are what every install holds; a driver in its build tree has none beside it.
    if (!fs::is_directory(layout.sanitizers, ec)) return std::nullopt;
    return layout;
}

std::string resolve_sanitizer_dir() {
    // An installed driver: <prefix>/bin/threadmill finds <prefix>/share/threadmill/sanitizers.
    if (const auto layout = installed_layout()) return layout->sanitizers.string();
    // A driver in its build tree uses the source tree's files.
    const fs::path dir = fs::path(TM_SOURCE_DIR) / "sanitizers";
    return fs::is_directory(dir) ? dir.string() : std::string{};
}

FrameFilter resolve_frame_filter() {
    std::error_code ec;
    if (const auto layout = installed_layout(); layout && fs::is_directory(layout->headers, ec))
        return frame_filter_with_headers(layout->headers);
    return FrameFilter{};
}

Catalog load_catalog(const GlobalOptions& g) {
    const std::string worker = worker_path(resolve_worker_dir(g), std::string(all_flavors().front().name));
    if (!fs::exists(worker)) {
        throw CliError(ExitCode::internal,
                       fmt::format("the worker {} does not exist; build it (cmake --build --preset default) or pass "
                                   "--worker-dir",
                                   worker));
    }
    try {
        return describe_worker(worker);
    } catch (const std::exception& e) {
        throw CliError(ExitCode::internal, e.what());
    }
}

const Catalog& WorkerCatalogs::run_catalog() {
    if (!m_catalogs.has("")) m_catalogs.add("", load_catalog(m_global));
    return m_catalogs.of("");
}

const Catalog& WorkerCatalogs::for_file(const std::string& path) {
    const auto named = scenario_worker(path);
    if (!named) return run_catalog();
    if (m_catalogs.has(named->dir)) return m_catalogs.of(named->dir);
    const std::string worker = worker_path(named->dir, std::string(all_flavors().front().name));
    std::error_code ec;
    if (!fs::exists(worker, ec)) {
        throw ScenarioError({Diagnostic{
            named->where,
            fmt::format("worker: {} holds no worker ({} is missing); the folder is relative to the scenario's "
                        "folder and holds what threadmill_add_worker() builds",
                        named->dir, fs::path(worker).filename().string())}});
    }
    try {
        m_catalogs.add(named->dir, describe_worker(worker));
    } catch (const std::exception& e) {
        throw CliError(ExitCode::internal, fmt::format("{} (named by {}): {}", worker, path, e.what()));
    }
    return m_catalogs.of(named->dir);
}

std::vector<std::string> collect_scenario_files(const std::vector<std::string>& paths) {
    std::vector<std::string> files;
    for (const auto& p : paths) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            std::vector<std::string> found;
            for (const auto& entry : fs::recursive_directory_iterator(p, ec)) {
                if (entry.is_regular_file() && entry.path().extension() == ".toml") found.push_back(entry.path().string());
            }
            if (ec) throw CliError(ExitCode::usage, fmt::format("cannot read folder {}: {}", p, ec.message()));
            if (found.empty()) throw CliError(ExitCode::usage, fmt::format("no .toml scenario under {}", p));
            std::sort(found.begin(), found.end());
            files.insert(files.end(), found.begin(), found.end());
        } else if (fs::is_regular_file(p, ec)) {
            files.push_back(p);
        } else {
            throw CliError(ExitCode::usage, fmt::format("no such file or folder: {}", p));
        }
    }
    return files;
}

CLI::Validator whole_number(std::uint64_t lo, std::uint64_t hi) {
    return CLI::Validator(
        [lo, hi](std::string& text) -> std::string {
            std::uint64_t value = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
            const bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
            if (!digits || ec != std::errc() || end != text.data() + text.size() || value < lo || value > hi)
                return fmt::format("'{}' is not a whole number from {} to {}", text, lo, hi);
            return {};
        },
        lo == 0 && hi == std::numeric_limits<std::uint64_t>::max() ? std::string("UINT64")
                                                                   : fmt::format("INT in [{} - {}]", lo, hi));
}

const CLI::Validator& unsigned_number() {
    static const CLI::Validator check = whole_number(0, std::numeric_limits<std::uint64_t>::max());
    return check;
}

void print_diagnostics(const ScenarioError& e) {
    for (const auto& d : e.diagnostics) std::fprintf(stderr, "%s\n", d.format().c_str());
}
}  // namespace threadmill::cli
