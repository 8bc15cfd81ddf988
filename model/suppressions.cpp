// Suppression files: types per runtime, reading and checking, merging, and matches per file.
#include "model/suppressions.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/flavor.hpp"
#include "model/json_util.hpp"
#include "model/text.hpp"

namespace threadmill {
namespace {

struct TypeRow {
    std::string_view type;
    std::string_view runtime;
};

// The runtimes' own suppression types (compiler-rt: tsan_suppressions.cpp, lsan_common.cpp,
// asan_suppressions.cpp, and for UBSan the -fsanitize= name of each check in ubsan_checks.inc).
constexpr std::array k_types = {
    TypeRow{"race", "tsan"}, TypeRow{"race_top", "tsan"}, TypeRow{"thread", "tsan"}, TypeRow{"mutex", "tsan"},
    TypeRow{"signal", "tsan"}, TypeRow{"deadlock", "tsan"}, TypeRow{"called_from_lib", "tsan"},
    TypeRow{"leak", "lsan"},
    TypeRow{"interceptor_name", "asan"}, TypeRow{"interceptor_via_fun", "asan"}, TypeRow{"interceptor_via_lib", "asan"},
    TypeRow{"odr_violation", "asan"},
    TypeRow{"undefined", "ubsan"}, TypeRow{"null", "ubsan"}, TypeRow{"pointer-overflow", "ubsan"},
    TypeRow{"alignment", "ubsan"}, TypeRow{"object-size", "ubsan"}, TypeRow{"signed-integer-overflow", "ubsan"},
    TypeRow{"unsigned-integer-overflow", "ubsan"}, TypeRow{"integer-divide-by-zero", "ubsan"},
    TypeRow{"float-divide-by-zero", "ubsan"}, TypeRow{"invalid-builtin-use", "ubsan"},
    TypeRow{"implicit-unsigned-integer-truncation", "ubsan"}, TypeRow{"implicit-signed-integer-truncation", "ubsan"},
    TypeRow{"implicit-integer-sign-change", "ubsan"}, TypeRow{"shift-base", "ubsan"}, TypeRow{"shift-exponent", "ubsan"},
    TypeRow{"bounds", "ubsan"}, TypeRow{"unreachable", "ubsan"}, TypeRow{"return", "ubsan"},
    TypeRow{"vla-bound", "ubsan"}, TypeRow{"float-cast-overflow", "ubsan"}, TypeRow{"bool", "ubsan"},
    TypeRow{"enum", "ubsan"}, TypeRow{"function", "ubsan"}, TypeRow{"returns-nonnull-attribute", "ubsan"},
    TypeRow{"nonnull-attribute", "ubsan"}, TypeRow{"nullability-return", "ubsan"}, TypeRow{"nullability-arg", "ubsan"},
    TypeRow{"nullability-assign", "ubsan"}, TypeRow{"vptr", "ubsan"}, TypeRow{"vptr_check", "ubsan"},
};

/// The tool name a runtime prints in its tables of matches ("ThreadSanitizer").
std::string_view tool_of(std::string_view runtime) {
    for (const auto& r : all_runtimes()) {
        if (r.name == runtime) return r.tool;
    }
    return {};
}

}  // namespace

std::string_view runtime_of_suppression_type(std::string_view type) {
    for (const auto& row : k_types) {
        if (row.type == type) return row.runtime;
    }
    return {};
}

std::vector<std::string_view> suppression_types() {
    std::vector<std::string_view> out;
    for (const auto& row : k_types) out.push_back(row.type);
    return out;
}

bool runtime_counts_suppressions(std::string_view runtime) { return runtime == "tsan" || runtime == "lsan"; }

SuppressionText parse_suppression_text(std::string_view text, std::string_view only_runtime) {
    SuppressionText out;
    std::vector<std::string> types;
    for (const auto& row : k_types) {
        if (only_runtime.empty() || row.runtime == only_runtime) types.emplace_back(row.type);
    }
    int number = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = std::min(text.find('\n', start), text.size());
        const std::string_view line = trim(text.substr(start, end - start));
        start = end + 1;
        ++number;
        if (line.empty() || line.front() == '#') continue;
        const auto error = [&](std::string message) { out.errors.push_back({number, std::move(message)}); };
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            error(fmt::format("'{}' is not a suppression: write <type>:<pattern>, such as race:MyClass::method", line));
            continue;
        }
        const std::string_view type = trim(line.substr(0, colon));
        const std::string_view pattern = trim(line.substr(colon + 1));
        const std::string_view runtime = runtime_of_suppression_type(type);
        if (runtime.empty()) {
            error(fmt::format("unknown suppression type '{}'{}", type, suggestion(type, types)));
            continue;
        }
        if (!only_runtime.empty() && runtime != only_runtime) {
            error(fmt::format("'{}' suppresses {} reports, and this file is read by {} only; move the line to {}.supp",
                              type, runtime, only_runtime, runtime));
            continue;
        }
        if (pattern.empty()) {
            error(fmt::format("'{}:' has no pattern (a function, file or library name; '*' matches any text)", type));
            continue;
        }
        out.patterns.push_back({std::string(runtime), fmt::format("{}:{}", type, pattern), number});
    }
    return out;
}

std::optional<std::string> read_suppression_file(const std::string& path, std::string& why) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status)) {
        why = "no such file";
        return std::nullopt;
    }
    if (std::filesystem::is_directory(status)) {
        why = "it is a folder, not a file";
        return std::nullopt;
    }
    if (!std::filesystem::is_regular_file(status)) {
        why = "not a regular file";
        return std::nullopt;
    }
    if (const auto size = std::filesystem::file_size(path, ec); !ec && size > k_max_suppression_file_bytes) {
        why = fmt::format("{} bytes, more than the {} a suppression file may have", size, k_max_suppression_file_bytes);
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        why = std::strerror(errno);
        return std::nullopt;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) {
        why = "read error";
        return std::nullopt;
    }
    return ss.str();
}

std::string merged_suppressions(const std::vector<SuppressionSource>& sources, std::string_view runtime) {
    std::string out = fmt::format("# {} suppressions of this job, merged by threadmill from the files below.\n", runtime);
    std::vector<std::string_view> seen;
    for (const auto& src : sources) {
        bool header = false;
        for (const auto& p : src.patterns) {
            if (p.runtime != runtime || std::find(seen.begin(), seen.end(), p.text) != seen.end()) continue;
            if (!header) out += fmt::format("# from {} ({})\n", src.path, src.origin);
            header = true;
            seen.push_back(p.text);
            out += p.text + "\n";
        }
    }
    return out;
}

void add_suppression_uses(std::vector<SuppressionFileUse>& out, const std::vector<SuppressionSource>& files,
                          const std::vector<SuppressionUse>& uses) {
    for (const auto& src : files) {
        auto file = std::find_if(out.begin(), out.end(),
                                 [&](const SuppressionFileUse& f) { return f.origin == src.origin && f.path == src.path; });
        if (file == out.end()) {
            out.push_back({src.origin, src.path, 0, {}});
            file = std::prev(out.end());
        }
        ++file->jobs;
        for (const auto& p : src.patterns) {
            auto row = std::find_if(file->patterns.begin(), file->patterns.end(), [&](const SuppressionPatternUse& r) {
                return r.runtime == p.runtime && r.text == p.text;
            });
            if (row == file->patterns.end()) {
                file->patterns.push_back({p.runtime, p.text, 0, runtime_counts_suppressions(p.runtime)});
                row = std::prev(file->patterns.end());
            }
            const std::string_view tool = tool_of(p.runtime);
            for (const auto& u : uses) {
                if (u.tool == tool && u.pattern == p.text) row->count += u.count;
            }
        }
    }
}

void to_json(nlohmann::json& j, const SuppressionSource& v) {
    auto patterns = nlohmann::json::array();
    for (const auto& p : v.patterns) patterns.push_back(p.text);
    j = nlohmann::json{{"origin", v.origin}, {"path", v.path}, {"patterns", patterns}};
}

void from_json(const nlohmann::json& j, SuppressionSource& v) {
    get_opt(j, "origin", v.origin);
    get_opt(j, "path", v.path);
    std::vector<std::string> patterns;
    get_opt(j, "patterns", patterns);
    for (auto& text : patterns) {
        const auto colon = text.find(':');
        std::string runtime(runtime_of_suppression_type(std::string_view(text).substr(0, std::min(colon, text.size()))));
        v.patterns.push_back({std::move(runtime), std::move(text), 0});
    }
}

void to_json(nlohmann::json& j, const SuppressionFileUse& v) {
    auto patterns = nlohmann::json::array();
    for (const auto& p : v.patterns) {
        patterns.push_back({{"runtime", p.runtime}, {"pattern", p.text}, {"count", p.count}, {"counted", p.counted},
                            {"stale", p.stale()}});
    }
    j = nlohmann::json{{"origin", v.origin}, {"path", v.path}, {"jobs", v.jobs}, {"patterns", patterns}};
}

}  // namespace threadmill
