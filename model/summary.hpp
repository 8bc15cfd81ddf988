// The run summary: counts over a run's results, computed once by the driver, printed by reports.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/detection_stats.hpp"
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

/// The confidence of detection statistics' intervals and bounds, and the detection probability
/// their run lengths aim at.
inline constexpr double k_detection_confidence = 0.95;
inline constexpr double k_detection_goal = 0.99;

/// How often one scenario × variant × flavor detected something over its jobs (seeds, repeats):
/// for a mutant, its catch rate; for a safe variant, how often it was flagged (a flake rate).
struct DetectionRate {
    std::string scenario;
    std::string target;
    std::string variant;
    std::string flavor;
    std::vector<std::string> expected;  ///< the jobs' expectation (`pass` for a safe variant)
    int jobs = 0;
    int detected = 0;  ///< jobs with any detection
    int met = 0;       ///< jobs that met their expectation
    Interval rate;     ///< Wilson interval of detected / jobs at k_detection_confidence
    /// With no detection: the per-job rate that seeing none rules out at k_detection_confidence
    /// (zero_hit_upper_bound, about 3 / jobs).
    std::optional<double> zero_bound;
    /// Jobs that would detect it with probability k_detection_goal: at the interval's low end when
    /// something was detected (a conservative run length), at zero_bound when nothing was (the run
    /// length that would catch a bug as frequent as the bound).
    std::optional<std::uint64_t> jobs_for_goal;
    std::uint64_t ops_run = 0;     ///< over its jobs
    double seconds_run = 0;        ///< over its jobs, the workers' lifetimes
    /// Medians over the jobs with a timed first detection (and with an op count, for ops).
    std::optional<double> median_first_seconds;
    std::optional<double> median_first_ops;
    int timed = 0;  ///< jobs with a timed first detection
    /// Portfolio jobs: how many first detections each strategy made, most first.
    std::vector<std::pair<std::string, int>> found_by;

    /// A safe variant's (its jobs expect `pass`): its rate is how often it was flagged.
    bool safe() const { return expected.size() == 1 && expected.front() == "pass"; }
    /// What the statistics have something to say about: a mutant missed in some job, a safe
    /// variant flagged in some.
    bool notable() const { return safe() ? detected > 0 : detected < jobs; }
};

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
    /// One per scenario × variant × flavor, in the order first run.
    std::vector<DetectionRate> detection_rates;
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
