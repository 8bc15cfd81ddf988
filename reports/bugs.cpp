// Helpers shared by the whole-run reports: distinct bugs and source paths.
#include "reports/bugs.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace threadmill {

std::vector<DistinctBug> distinct_bugs(const std::vector<JobResult>& jobs) {
    std::vector<DistinctBug> bugs;
    std::map<std::string, std::size_t> at;
    for (const auto& job : jobs) {
        for (const auto& f : job.findings) {
            auto [it, fresh] = at.emplace(f.fingerprint, bugs.size());
            if (fresh) bugs.push_back({f.fingerprint, &f, &job, 0, {}});
            DistinctBug& b = bugs[it->second];
            ++b.reports;
            if (b.jobs.empty() || b.jobs.back() != &job) b.jobs.push_back(&job);
        }
    }
    return bugs;
}

std::string source_relative(const std::string& file, const std::string& source_root) {
    if (source_root.empty()) return file;
    std::string root = source_root;
    if (root.back() != '/') root += '/';
    return file.starts_with(root) ? file.substr(root.size()) : file;
}

std::string job_title(const JobResult& j) {
    return fmt::format("{} · {} · {} · seed {}{}", j.scenario, j.variant, j.flavor, j.seed,
                       j.repeat > 0 ? fmt::format(" · repeat {}", j.repeat + 1) : "");
}

}  // namespace threadmill
