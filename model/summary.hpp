// The run summary: counts over a run's results, computed once by the driver, printed by reports.
#pragma once

#include <string>
#include <vector>

#include "model/outcome.hpp"
#include "model/result.hpp"

namespace threadmill {

/// A planned job that did not run (the run was interrupted first): enough to name it.
struct PlannedJob {
    int index = 0;  ///< 1-based position in the plan
    std::string scenario;
    std::string scenario_path;
    std::string target;
    std::string variant;
    std::string flavor;
    std::uint64_t seed = 0;
    int repeat = 0;
};

/// At most this many not-run jobs are listed (RunSummary::not_run); planned - ran counts them all.
inline constexpr std::size_t k_max_not_run_listed = 10'000;

/// Counts over a run's results; computed once by the driver (driver/summary.hpp), printed by reporters.
struct RunSummary {
    int planned = 0;
    int ran = 0;
    int pass = 0, fail = 0, error = 0;
    int met = 0, missed = 0;
    OutcomeCounts outcomes{};  ///< jobs by outcome (ok, caught, MISSED, UNEXPECTED, ERROR)
    /// The planned jobs that did not run, in plan order (filled by `run` when interrupted or
    /// stopped early), at most k_max_not_run_listed of them.
    std::vector<PlannedJob> not_run;
    int findings = 0;       ///< sanitizer reports over all jobs
    int distinct_bugs = 0;  ///< distinct bugs (model/bugs.hpp: kind family at a user location) over the run
    /// Every suppression pattern seen in the run's suppression tables, with its total count.
    std::vector<SuppressionUse> suppressions;
    /// Per suppression file the jobs ran with: each pattern and how often it matched (0 and
    /// counted: stale).
    std::vector<SuppressionFileUse> suppression_files;
    bool interrupted = false;
    /// Not every planned job ran, and not because of a Ctrl-C here: the run stopped on a harness
    /// error, or `report` was given a saved run that did not finish (no closing line, or one
    /// saying it was interrupted). Reports say "incomplete run (`ran` jobs of `planned`)"; such a
    /// run never passes.
    bool incomplete = false;
    /// Jobs that ran but whose line could not be written to results.jsonl (their indexes).
    std::vector<int> unrecorded;
    double elapsed_seconds = 0;
    std::string results_path;

    /// How many jobs ended in `o`.
    int count(Outcome o) const { return outcomes[static_cast<std::size_t>(o)]; }
};
}  // namespace threadmill
