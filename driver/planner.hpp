// The planner: scenarios x variants x flavors x seeds -> the ordered list of jobs to run.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/scenario.hpp"

namespace threadmill {

struct Job {
    int index = 0;  ///< 1-based
    const Scenario* scenario = nullptr;
    std::string variant;
    std::string flavor;
    std::uint64_t seed = 0;
    bool baseline = false;  ///< added only because a relative [slo] budget needs the safe figure
    int repeat = 0;         ///< 0-based repetition (PlanOptions::repeat)
};

struct PlanOptions {
    std::vector<std::string> variants;  ///< empty: each scenario's own
    std::vector<std::string> flavors;   ///< empty: each scenario's own
    std::string filter;                 ///< glob (or substring) over "scenario/variant/flavor"
    std::vector<std::uint64_t> seeds;   ///< empty: each scenario's seed, else fresh_seed
    std::uint64_t fresh_seed = 0;
    /// Runs of each job. The jobs of one scenario, seed and flavor run as a group, and the group
    /// is repeated, so a mutant and its safe baseline alternate instead of drifting apart.
    int repeat = 1;
};

/// A request that selects nothing or names what does not exist (exit code 2).
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A request that is well formed but selects no job at all (exit code no_jobs).
class EmptyPlan : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Jobs in run order: by scenario, then seed, then flavor, then variant with safe variants
/// first, so that a mutant's relative budgets can be judged against the safe variant's
/// figures from the same run. Throws UsageError when a --variant or --flavor matches no
/// scenario, EmptyPlan when nothing is left to run.
std::vector<Job> plan_jobs(const std::vector<Scenario>& scenarios, const Catalog& catalog, const PlanOptions& options);

/// fnmatch-style glob; a pattern without * ? [ matches as a substring.
bool filter_matches(const std::string& pattern, const std::string& text);

}  // namespace threadmill
