// Distinct bugs (reports grouped by fingerprint) and job titles, shared by the summary and the reports.
#pragma once

#include <string>
#include <vector>

#include "model/result.hpp"
#include "model/text.hpp"

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

/// "scenario · variant · flavor · seed N" (with " · repeat K" for a repeated job).
std::string job_title(const JobResult& job);

}  // namespace threadmill
