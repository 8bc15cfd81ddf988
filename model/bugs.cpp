// Distinct bugs (reports grouped by fingerprint) and job titles, shared by the summary and the reports.
#include "model/bugs.hpp"

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

std::string job_title(const JobResult& j) {
    return fmt::format("{} · {} · {} · seed {}{}", j.scenario, j.variant, j.flavor, j.seed,
                       j.repeat > 0 ? fmt::format(" · repeat {}", j.repeat + 1) : "");
}

}  // namespace threadmill
