// The reporter interface: every output format receives the same plain-data events.
#pragma once

#include <memory>
#include <vector>

#include "engine/result.hpp"

namespace threadmill {

/// Counts over a run's results; computed once by the engine, printed by reporters.
struct RunSummary {
    int planned = 0;
    int ran = 0;
    int pass = 0, fail = 0, error = 0;
    int met = 0, missed = 0;
    int findings = 0;       ///< sanitizer reports over all jobs
    int distinct_bugs = 0;  ///< distinct fingerprints over all jobs, seeds and flavors
    /// Every suppression pattern seen in the run's suppression tables, with its total count.
    std::vector<SuppressionUse> suppressions;
    bool interrupted = false;
    double elapsed_seconds = 0;
    std::string results_path;
};
RunSummary summarize_run(const std::vector<JobResult>& results, int planned, bool interrupted, double elapsed,
                         std::string results_path);

/// Receives a run as it happens. Reporters print; they decide nothing.
class Reporter {
public:
    virtual ~Reporter() = default;
    virtual void run_started(const RunContext& context, int planned_jobs) = 0;
    /// `what` is "scenario · variant · flavor · seed N".
    virtual void job_started(int index, int planned_jobs, const std::string& what) = 0;
    virtual void job_finished(const JobResult& job, int planned_jobs) = 0;
    virtual void run_finished(const std::vector<JobResult>& results, const RunSummary& summary) = 0;
};

}  // namespace threadmill
