// The suppression files of a run: read and checked once, merged into each sanitizer job's folder.
#include "sanitizers/suppression_files.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "model/flavor.hpp"
#include "model/paths.hpp"

namespace threadmill {
namespace fs = std::filesystem;
namespace {

/// Reads `path` as a suppression file, or throws SuppressionFileError with every bad line.
SuppressionSource read_checked(const std::string& path, std::string_view origin, std::string_view only_runtime) {
    std::string why;
    const auto text = read_suppression_file(path, why);
    if (!text) throw SuppressionFileError(fmt::format("{}: error: cannot read the suppression file: {}", path, why));
    auto parsed = parse_suppression_text(*text, only_runtime);
    if (!parsed.errors.empty()) {
        std::string lines;
        for (const auto& e : parsed.errors)
            lines += fmt::format("{}{}:{}:1: error: {}", lines.empty() ? "" : "\n", path, e.line, e.message);
        throw SuppressionFileError(lines);
    }
    return {std::string(origin), path, std::move(parsed.patterns)};
}

}  // namespace

std::vector<SuppressionSource> read_runtime_suppressions(const std::string& dir, std::string_view origin) {
    std::vector<SuppressionSource> out;
    if (dir.empty()) return out;
    for (const auto& r : all_runtimes()) {
        const auto path = fs::path(dir) / fmt::format("{}.supp", r.name);
        std::error_code ec;
        if (fs::exists(path, ec)) out.push_back(read_checked(path.string(), origin, r.name));
    }
    return out;
}

std::vector<SuppressionSource> read_project_suppressions(const std::string& worker_dir) {
    const auto path = fs::path(worker_dir) / k_project_suppressions_file;
    std::error_code ec;
    if (worker_dir.empty() || !fs::exists(path, ec)) return {};
    return {read_checked(path.string(), k_origin_project, {})};
}

std::vector<SuppressionSource> job_suppressions(const std::vector<SuppressionSource>& run, const Scenario& scenario,
                                                const std::string& flavor) {
    const auto rs = runtimes(flavor_of(flavor));
    std::vector<SuppressionSource> out;
    auto keep = [&](const SuppressionSource& src) {
        SuppressionSource s{src.origin, src.path, {}};
        for (const auto& p : src.patterns) {
            if (std::any_of(rs.begin(), rs.end(), [&](const Runtime& r) { return r.name == p.runtime; }))
                s.patterns.push_back(p);
        }
        if (!s.patterns.empty()) out.push_back(std::move(s));
    };
    for (const auto& src : run) keep(src);
    // A scenario's worker folder may be the run's too: its project file is merged once.
    for (const auto& src : scenario.suppressions) {
        const auto same_file = [&](const SuppressionSource& r) {
            std::error_code ec;
            return r.path == src.path || fs::equivalent(r.path, src.path, ec);
        };
        if (std::none_of(run.begin(), run.end(), same_file)) keep(src);
    }
    return out;
}

void write_job_suppressions(const std::string& folder, const std::string& flavor,
                            const std::vector<SuppressionSource>& sources) {
    fs::create_directories(folder);
    for (const auto& r : runtimes(flavor_of(flavor))) {
        const auto path = (fs::path(folder) / fmt::format("{}.supp", r.name)).string();
        write_file_atomically(path, merged_suppressions(sources, r.name));
    }
}

}  // namespace threadmill
