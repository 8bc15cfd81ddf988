// Helpers shared by the whole-run reports: distinct bugs and source paths.
#pragma once

#include <string>
#include <vector>

#include "engine/result.hpp"

namespace threadmill {

/// One distinct bug: every sanitizer report with the same fingerprint, over all jobs, seeds
/// and flavors of a run.
struct DistinctBug {
    std::string fingerprint;
    const Finding* first = nullptr;      ///< the first report of it, in job order
    const JobResult* first_job = nullptr;
    int reports = 0;                     ///< reports with this fingerprint
    std::vector<const JobResult*> jobs;  ///< jobs that reported it, in job order, each once
};

/// The run's distinct bugs, in order of first appearance.
std::vector<DistinctBug> distinct_bugs(const std::vector<JobResult>& jobs);

/// `file` relative to `source_root` when it lies under it, else `file` unchanged.
std::string source_relative(const std::string& file, const std::string& source_root);

/// "scenario · variant · flavor · seed N" (with " · repeat K" for a repeated job).
std::string job_title(const JobResult& job);

}  // namespace threadmill
