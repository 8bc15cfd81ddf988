// Reading, merging and writing results.jsonl.
#include "driver/results_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/paths.hpp"

namespace threadmill {

namespace fs = std::filesystem;

namespace {

/// Keys the model reads into a 32-bit integer (nlohmann converts a floating-point value with a
/// plain cast, undefined behaviour when it does not fit; found by fuzz_results_reader).
constexpr std::array k_int32_keys = {"schema_version", "index", "repeat", "exit_code", "signal", "cpu_count",
                                     "planned", "ran", "thread", "threads", "line", "column", "size", "buckets"};

/// Why `j` holds a floating-point number no model field could take (empty when none): one that is
/// not finite or beyond 64 bits, or beyond 32 bits under a key read into a 32-bit integer.
std::string number_out_of_range(const nlohmann::json& j, std::string_view key = "", int depth = 0) {
    if (depth > 64) return "nested too deeply";  // the schema is a few levels deep; keeps the stack bounded
    if (j.is_number_float()) {
        const double v = j.get<double>();
        const bool narrow = std::find(k_int32_keys.begin(), k_int32_keys.end(), key) != k_int32_keys.end();
        const double bound = narrow ? 2147483648.0 : 9223372036854775808.0;
        if (!std::isfinite(v) || std::fabs(v) >= bound) return fmt::format("'{}': the number {} is out of range", key, v);
        return "";
    }
    if (j.is_object()) {
        for (const auto& [k, v] : j.items()) {
            if (auto why = number_out_of_range(v, k, depth + 1); !why.empty()) return why;
        }
    } else if (j.is_array()) {
        for (const auto& v : j) {  // an array's numbers are read as its key says (buckets: [[index, count]])
            if (auto why = number_out_of_range(v, key, depth + 1); !why.empty()) return why;
        }
    }
    return "";
}

}  // namespace

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
        } catch (const nlohmann::json::exception& e) {  // a syntax error, or a number no double holds (1e999)
            if (last && have_context && !strict) {
                run.warnings.push_back(fmt::format("{}:{}: skipped a line cut short ({})", path, i + 1, e.what()));
                break;
            }
            bad_job_line(i, fmt::format("not JSON: {}", e.what()));
            continue;
        }
        if (auto why = number_out_of_range(j); !why.empty()) {
            bad_job_line(i, why);
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
            } catch (const std::exception& e) {  // nlohmann's, or the model's own checks (out_of_range)
                throw located(e.what());
            }
            if (run.context.schema_version > k_results_schema_version) {
                throw located(fmt::format("schema version {} is newer than this threadmill's ({}); use a newer threadmill",
                                          run.context.schema_version, k_results_schema_version));
            }
            have_context = true;
        } else if (type == "run_end") {
            if (!have_context) throw located("a closing line before the context line");
            if (run.end) {
                bad_job_line(i, "a second closing line");
                continue;
            }
            try {
                run.end = j.get<RunEnd>();
            } catch (const std::exception& e) {
                bad_job_line(i, fmt::format("a closing line that cannot be read: {}", e.what()));
            }
        } else if (type == "job") {
            if (!have_context) throw located("a job line before the context line");
            if (run.end) {
                bad_job_line(i, "a job line after the closing line");
                continue;
            }
            try {
                run.jobs.push_back(j.get<JobResult>());
            } catch (const std::exception& e) {  // e.g. a histogram bucket out of range (fuzz/regressions/)
                bad_job_line(i, e.what());
            }
        } else {
            bad_job_line(i, fmt::format("unknown line type '{}'", type));
        }
    }
    if (!have_context) throw std::runtime_error(fmt::format("{}: no context line, not a threadmill results file", path));
    return run;
}

int planned_jobs(const ResultsFile& run) {
    return run.context.planned > 0 ? run.context.planned : static_cast<int>(run.jobs.size());
}

std::optional<std::string> incomplete_run(const ResultsFile& run) {
    std::string why;
    if (!run.end) {
        if (run.context.schema_version < k_first_schema_with_run_end) return std::nullopt;
        why = "the file has no closing line: its driver was killed, or could not write the file any more";
    } else if (run.end->interrupted) {
        why = "it was interrupted";
    } else if (!run.end->error.empty()) {
        why = run.end->error;
    } else if (run.end->fail_fast) {
        why = "--fail-fast stopped it after a job missed its expectation";
    } else {
        return std::nullopt;
    }
    const int ran = static_cast<int>(run.jobs.size());
    return fmt::format("incomplete run ({} job{} of {} planned): {}", ran, ran == 1 ? "" : "s", planned_jobs(run), why);
}

ResultsFile merge_results(const std::vector<ResultsFile>& files, const std::string& out_dir) {
    if (files.empty()) throw std::invalid_argument("merge_results: no files");
    ResultsFile merged;
    merged.context = files.front().context;
    merged.context.schema_version = k_results_schema_version;
    merged.context.merged_from.clear();
    merged.context.workers.clear();
    merged.context.planned = 0;
    RunEnd end;
    const fs::path out = fs::absolute(out_dir.empty() ? "." : out_dir).lexically_normal();
    // Shards of one plan (`run --shard`) keep their jobs' plan indexes and are checked whole.
    const bool shards = std::all_of(files.begin(), files.end(), [](const ResultsFile& f) { return f.context.shard.count > 0; });
    if (shards) {
        const auto& first = files.front().context.shard;
        std::vector<int> seen(static_cast<std::size_t>(first.count) + 1, 0);
        for (const auto& f : files) {
            const auto& s = f.context.shard;
            if (s.count != first.count || s.plan != first.plan || s.plan_jobs != first.plan_jobs) {
                end.error += fmt::format("{}{} is shard {} of {} of another plan than {} (shard {} of {}): "
                                         "every shard must run the same scenarios, options and --seed",
                                         end.error.empty() ? "" : "; ", f.path, s.index, s.count, files.front().path,
                                         first.index, first.count);
            } else if (s.index >= 1 && s.index <= s.count) {
                ++seen[static_cast<std::size_t>(s.index)];
            }
        }
        for (int k = 1; k <= first.count; ++k) {
            const int n = seen[static_cast<std::size_t>(k)];
            if (n != 1)
                end.error += fmt::format("{}shard {} of {} is {}", end.error.empty() ? "" : "; ", k, first.count,
                                         n == 0 ? "missing" : fmt::format("given {} times", n));
        }
    }
    int index = 0;
    for (const auto& f : files) {
        merged.context.merged_from.push_back(f.path);
        merged.context.planned += planned_jobs(f);
        for (const auto& w : f.context.workers) {  // every file's workers, each once
            const auto same = [&](const WorkerUse& u) { return u.path == w.path && u.flavor == w.flavor; };
            if (std::none_of(merged.context.workers.begin(), merged.context.workers.end(), same))
                merged.context.workers.push_back(w);
        }
        if (f.end) {
            end.interrupted = end.interrupted || f.end->interrupted;
            end.elapsed_seconds += f.end->elapsed_seconds;
            end.end_time = std::max(end.end_time, f.end->end_time);
        } else {
            for (const auto& j : f.jobs) end.elapsed_seconds += j.elapsed_seconds;
        }
        if (const auto why = incomplete_run(f); why && !(f.end && f.end->interrupted && f.end->error.empty())) {
            end.error += fmt::format("{}merged {}, an {}", end.error.empty() ? "" : "; ", f.path, *why);
        }
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
            ++index;
            if (!shards) j.index = index;
            if (!j.job_dir.empty()) j.job_dir = (from / j.job_dir).lexically_normal().lexically_relative(out).string();
            merged.jobs.push_back(std::move(j));
        }
        merged.warnings.insert(merged.warnings.end(), f.warnings.begin(), f.warnings.end());
    }
    if (shards) {
        std::stable_sort(merged.jobs.begin(), merged.jobs.end(), [](const JobResult& a, const JobResult& b) { return a.index < b.index; });
        merged.context.planned = files.front().context.shard.plan_jobs;
        merged.context.shard = {};
    }
    end.planned = merged.context.planned;
    end.ran = index;
    if (end.end_time.empty()) end.end_time = utc_now();
    merged.end = end;
    return merged;
}

ResultsWriter::ResultsWriter(const std::string& path, const RunContext& context) : m_path(path) {
    // O_APPEND: after a failed line is cut off, the next line goes where it started.
    m_fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (m_fd < 0) throw WriteError(path, errno);
    write_line(nlohmann::json(context).dump());
}

ResultsWriter::~ResultsWriter() {
    if (m_fd >= 0) ::close(m_fd);
}

void ResultsWriter::write_line(const std::string& line) {
    if (m_fd < 0) throw std::logic_error(fmt::format("{}: written after its closing line", m_path));
    const int err = write_all(m_fd, line + "\n");
    if (err != 0) {
        // The part of the line that made it would read as garbage: cut it off again (making a
        // file smaller needs no room, and is allowed past a file-size limit).
        [[maybe_unused]] const int cut = ::ftruncate(m_fd, static_cast<off_t>(m_size));
        throw WriteError(m_path, err);
    }
    m_size += static_cast<long long>(line.size() + 1);
}

void ResultsWriter::append(const JobResult& job) { write_line(nlohmann::json(job).dump()); }

void ResultsWriter::finish(const RunEnd& end) {
    write_line(nlohmann::json(end).dump());
    const int fd = m_fd;
    m_fd = -1;
    if (::close(fd) != 0) throw WriteError(m_path, errno);
}

void write_results_file(const ResultsFile& run, const std::string& path) {
    const fs::path p(path);
    if (p.has_parent_path()) fs::create_directories(p.parent_path());
    const std::string tmp = p.string() + ".tmp";
    try {
        ResultsWriter out(tmp, run.context);
        for (const auto& j : run.jobs) out.append(j);
        if (run.end) out.finish(*run.end);
    } catch (const WriteError&) {
        ::unlink(tmp.c_str());
        throw;
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw WriteError(path, err);
    }
}

}  // namespace threadmill
