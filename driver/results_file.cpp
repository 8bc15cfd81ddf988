// Reading, merging and writing results.jsonl.
#include "driver/results_file.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace threadmill {

namespace fs = std::filesystem;

ResultsFile read_results_file(const std::string& path, bool strict) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(fmt::format("{}: cannot read the file", path));
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    while (!lines.empty() && lines.back().find_first_not_of(" \t\r") == std::string::npos) lines.pop_back();
    if (lines.empty()) throw std::runtime_error(fmt::format("{}: empty file, not a threadmill results file", path));

    ResultsFile run;
    run.path = path;
    bool have_context = false;
    // A job line that cannot be read: skipped with a warning once the context is known, unless strict.
    const auto bad_job_line = [&](std::size_t i, const std::string& why) {
        if (strict || !have_context) throw std::runtime_error(fmt::format("{}:{}: {}", path, i + 1, why));
        run.warnings.push_back(fmt::format("{}:{}: skipped a line that is not a job record ({})", path, i + 1, why));
    };
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const bool last = i + 1 == lines.size();
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(lines[i]);
        } catch (const nlohmann::json::parse_error& e) {
            if (last && have_context && !strict) {
                run.warnings.push_back(fmt::format("{}:{}: skipped a line cut short ({})", path, i + 1, e.what()));
                break;
            }
            bad_job_line(i, fmt::format("not JSON: {}", e.what()));
            continue;
        }
        const std::string type = j.is_object() ? j.value("type", "") : "";
        const auto located = [&](std::string_view why) {
            return std::runtime_error(fmt::format("{}:{}: {}", path, i + 1, why));
        };
        if (type == "run") {
            if (have_context) throw located("a second context line (concatenated files? use `report merge`)");
            try {
                run.context = j.get<RunContext>();
            } catch (const nlohmann::json::exception& e) {
                throw located(e.what());
            }
            if (run.context.schema_version > k_results_schema_version) {
                throw located(fmt::format("schema version {} is newer than this threadmill's ({}); use a newer threadmill",
                                          run.context.schema_version, k_results_schema_version));
            }
            have_context = true;
        } else if (type == "job") {
            if (!have_context) throw located("a job line before the context line");
            try {
                run.jobs.push_back(j.get<JobResult>());
            } catch (const nlohmann::json::exception& e) {
                bad_job_line(i, e.what());
            }
        } else {
            bad_job_line(i, fmt::format("unknown line type '{}'", type));
        }
    }
    if (!have_context) throw std::runtime_error(fmt::format("{}: no context line, not a threadmill results file", path));
    return run;
}

ResultsFile merge_results(const std::vector<ResultsFile>& files, const std::string& out_dir) {
    if (files.empty()) throw std::invalid_argument("merge_results: no files");
    ResultsFile merged;
    merged.context = files.front().context;
    merged.context.schema_version = k_results_schema_version;
    merged.context.merged_from.clear();
    const fs::path out = fs::absolute(out_dir.empty() ? "." : out_dir).lexically_normal();
    int index = 0;
    for (const auto& f : files) {
        merged.context.merged_from.push_back(f.path);
        for (const auto& s : f.context.seeds) {
            if (std::find(merged.context.seeds.begin(), merged.context.seeds.end(), s) == merged.context.seeds.end())
                merged.context.seeds.push_back(s);
        }
        for (const auto& fl : f.context.flavors) {
            if (std::find(merged.context.flavors.begin(), merged.context.flavors.end(), fl) == merged.context.flavors.end())
                merged.context.flavors.push_back(fl);
        }
        merged.context.repeat = std::max(merged.context.repeat, f.context.repeat);
        const fs::path from = fs::absolute(fs::path(f.path).parent_path()).lexically_normal();
        for (JobResult j : f.jobs) {
            j.index = ++index;
            if (!j.job_dir.empty()) j.job_dir = (from / j.job_dir).lexically_normal().lexically_relative(out).string();
            merged.jobs.push_back(std::move(j));
        }
        merged.warnings.insert(merged.warnings.end(), f.warnings.begin(), f.warnings.end());
    }
    return merged;
}

ResultsWriter::ResultsWriter(const std::string& path, const RunContext& context)
    : m_path(path), m_out(path, std::ios::trunc) {
    if (!m_out) throw std::runtime_error(fmt::format("cannot write {}", path));
    m_out << nlohmann::json(context).dump() << "\n" << std::flush;
    if (!m_out) throw std::runtime_error(fmt::format("cannot write {}", path));
}

void ResultsWriter::append(const JobResult& job) {
    m_out << nlohmann::json(job).dump() << "\n" << std::flush;
    if (!m_out) throw std::runtime_error(fmt::format("cannot write {}", m_path));
}

void write_results_file(const ResultsFile& run, const std::string& path) {
    const fs::path p(path);
    if (p.has_parent_path()) fs::create_directories(p.parent_path());
    const fs::path tmp = p.string() + ".tmp";
    {
        ResultsWriter out(tmp.string(), run.context);
        for (const auto& j : run.jobs) out.append(j);
    }
    fs::rename(tmp, p);
}

}  // namespace threadmill
