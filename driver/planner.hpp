// The planner: scenarios x seeds x flavors x variants -> the jobs to run, in order, computed one
// at a time so that a plan of millions of jobs takes no more memory than a plan of ten.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/catalogs.hpp"
#include "model/scenario.hpp"

namespace threadmill {

struct Job {
    int index = 0;  ///< 1-based position in the plan
    const Scenario* scenario = nullptr;
    std::string variant;
    std::string flavor;
    std::uint64_t seed = 0;
    bool baseline = false;  ///< added only because a relative [slo] budget needs the safe figure
    int repeat = 0;         ///< 0-based repetition (PlanOptions::repeat)
};

struct PlanOptions {
    /// Filter: only these variants of each scenario (empty: all). Each must be a variant of
    /// some scenario given.
    std::vector<std::string> variants;
    /// Filter: only these of each scenario's own flavors (empty: all). Each must be a flavor
    /// some scenario given declares; a flavor a scenario does not declare never runs it.
    std::vector<std::string> flavors;
    std::string filter;                ///< glob (or substring) over "scenario/variant/flavor"
    std::vector<std::uint64_t> seeds;  ///< empty: each scenario's seed, else fresh_seed
    std::uint64_t fresh_seed = 0;
    /// Runs of each job. The jobs of one scenario, seed and flavor run as a group, and the group
    /// is repeated (once per round, see Plan), so a mutant and its safe baseline alternate
    /// instead of drifting apart.
    int repeat = 1;
};

/// Consecutive plan positions that always run together, in order, in one worker slot: the jobs
/// of one scenario and flavor in one round (one seed, one repetition). A mutant's relative
/// budget is judged against the safe variant's figure measured just before it in its group,
/// so a group is never split between shards or run side by side with itself.
struct JobGroup {
    std::size_t begin = 0;  ///< position of its first job
    std::size_t size = 0;   ///< its jobs: positions begin .. begin + size - 1
    const Scenario* scenario = nullptr;
    std::string flavor;
};

/// A request that selects nothing or names what does not exist, or a plan whose expectations
/// cannot be met (exit code 2).
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A request that is well formed but selects no job at all (exit code no_jobs).
class EmptyPlan : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The jobs of a run, in run order. A plan keeps, per scenario and flavor, the group of variants
/// to run (not the jobs): size() counts the jobs and at() computes any one of them, so its
/// memory does not grow with seeds x repeat.
///
/// Order, in rounds so that any prefix of a run covers every scenario as early as it can: a
/// round is one seed and one repetition, seed-major (seed 1 repetition 1, seed 1 repetition 2,
/// ..., then seed 2; without a shared seed list each scenario has one seed, its own). A round
/// runs every scenario in the order given; within a scenario, flavor by flavor in the
/// scenario's order; within a scenario and flavor, its group of variants, safe variants first,
/// so that a mutant's relative budgets are judged against the safe variant's figures from the
/// same seed and repetition, measured just before it.
class Plan {
public:
    class Iterator;

    /// An empty plan.
    Plan() = default;
    /// Throws UsageError when a --variant or --flavor matches no scenario, when an expectation
    /// can never be met in a flavor of the plan (model/mechanism.hpp: never_met_in), or when
    /// the plan would hold more jobs than a job index counts; EmptyPlan when nothing is left.
    /// The scenarios must outlive the plan (jobs point at them).
    /// Each scenario's target is looked up in the catalog of its workers (Catalogs::target_of).
    Plan(const std::vector<Scenario>& scenarios, const Catalogs& catalogs, const PlanOptions& options);
    /// A temporary list of scenarios would not outlive the plan.
    Plan(std::vector<Scenario>&& scenarios, const Catalogs& catalogs, const PlanOptions& options) = delete;

    /// The number of jobs, counted without making them.
    std::size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    /// The job at 0-based position `position` (< size()); its index is position + 1.
    Job at(std::size_t position) const;

    /// Jobs in run order, made one at a time.
    Iterator begin() const;
    Iterator end() const;
    /// The jobs from position `position` on (those after an interrupted run's last one, say).
    Iterator from(std::size_t position) const;

    /// The number of groups (see JobGroup), counted without making them.
    std::size_t group_count() const { return m_round_groups.size() * m_rounds; }
    /// The group at 0-based position `g` (< group_count()), in plan order: groups cover the
    /// positions 0 .. size() - 1, each once, in order.
    JobGroup group_at(std::size_t g) const;

    /// The flavors that some job runs in, in the flavor table's order.
    std::vector<std::string> flavors() const;
    /// What a worker executable is chosen by: the scenario's worker folder ("" the run's), the
    /// variant (a variant may be a build of its own) and the flavor.
    struct WorkerNeed {
        std::string worker_dir;
        std::string variant;
        std::string flavor;
        bool operator==(const WorkerNeed&) const = default;
    };
    /// The distinct worker needs of the jobs, in plan order: which worker executables the plan runs.
    std::vector<WorkerNeed> worker_needs() const;
    /// The seeds that some job runs with, in plan order, each once.
    std::vector<std::uint64_t> seeds() const;
    /// Whether some job runs with PlanOptions::fresh_seed because its scenario names no seed
    /// and no seed was given.
    bool uses_fresh_seed() const;

private:
    /// One job of a group: a variant, or the safe baseline added for relative budgets.
    struct Member {
        std::string variant;
        bool baseline = false;
    };
    /// The jobs of one scenario and flavor in each round.
    struct FlavorGroup {
        std::string flavor;
        std::vector<Member> members;
    };
    struct ScenarioPlan {
        const Scenario* scenario = nullptr;
        std::vector<FlavorGroup> groups;
        std::size_t jobs_per_round = 0;
        std::size_t first_in_round = 0;  ///< position of its first job within a round
    };

    std::uint64_t seed_of(const ScenarioPlan& s, std::size_t seed_index) const;

    std::vector<ScenarioPlan> m_scenarios;  ///< only those with at least one job
    std::vector<std::uint64_t> m_seeds;     ///< shared by every scenario; empty: each its own
    std::uint64_t m_fresh_seed = 0;
    std::size_t m_repeat = 1;
    std::size_t m_round = 0;  ///< jobs per round (one seed, one repetition)
    std::size_t m_rounds = 0;  ///< seeds x repeat
    std::size_t m_size = 0;
    /// The groups of one round, in order: (scenario, group) and the group's first position in the round.
    struct RoundGroup {
        std::size_t scenario = 0;  ///< index in m_scenarios (an index: a copied plan stays right)
        std::size_t group = 0;     ///< index in its groups
        std::size_t offset = 0;
    };
    std::vector<RoundGroup> m_round_groups;
};

/// An input iterator over a plan's jobs; dereferencing makes the job.
class Plan::Iterator {
public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Job;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Job;

    Iterator() = default;
    Iterator(const Plan* plan, std::size_t position) : m_plan(plan), m_position(position) {}
    Job operator*() const { return m_plan->at(m_position); }
    Iterator& operator++() {
        ++m_position;
        return *this;
    }
    Iterator operator++(int) {
        Iterator before = *this;
        ++m_position;
        return before;
    }
    /// The position of the job it points at.
    std::size_t position() const { return m_position; }
    bool operator==(const Iterator& other) const { return m_position == other.m_position; }

private:
    const Plan* m_plan = nullptr;
    std::size_t m_position = 0;
};

inline Plan::Iterator Plan::begin() const { return Iterator(this, 0); }
inline Plan::Iterator Plan::end() const { return Iterator(this, m_size); }
inline Plan::Iterator Plan::from(std::size_t position) const { return Iterator(this, position < m_size ? position : m_size); }

/// The jobs a run runs, as groups of its plan: every group, or a shard's (`run --shard`).
class JobShare {
public:
    /// Every group of `plan`, made one at a time (no memory per job or group).
    explicit JobShare(const Plan& plan) : m_plan(&plan), m_all(true), m_jobs(plan.size()) {}
    /// The groups `groups` (indexes for Plan::group_at), in the order given.
    JobShare(const Plan& plan, std::vector<std::size_t> groups);
    std::size_t group_count() const { return m_all ? m_plan->group_count() : m_groups.size(); }
    JobGroup group(std::size_t k) const { return m_plan->group_at(m_all ? k : m_groups.at(k)); }
    /// The jobs in all its groups.
    std::size_t job_count() const { return m_jobs; }
    bool whole_plan() const { return m_all; }
    const Plan& plan() const { return *m_plan; }

private:
    const Plan* m_plan = nullptr;
    bool m_all = true;
    std::vector<std::size_t> m_groups;
    std::size_t m_jobs = 0;
};

/// The plan of `scenarios` (see Plan).
Plan plan_jobs(const std::vector<Scenario>& scenarios, const Catalogs& catalogs, const PlanOptions& options);
Plan plan_jobs(std::vector<Scenario>&& scenarios, const Catalogs& catalogs, const PlanOptions& options) = delete;

/// fnmatch-style glob; a pattern without * ? [ matches as a substring.
bool filter_matches(const std::string& pattern, const std::string& text);

}  // namespace threadmill
