// Splitting a run: shards for many machines (`run --shard K/N|auto`), the CPUs of one machine
// (`run --jobs N|auto`), and the expected durations both are balanced by.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "driver/planner.hpp"

namespace threadmill {

struct ResultsFile;

/// Shard K of N (1 <= K <= N), and where the numbers came from ("--shard", or the variables of
/// the engine that runs the shards).
struct ShardSpec {
    int index = 1;
    int count = 1;
    std::string source;
};

/// Reads an environment variable; nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
/// The process environment.
std::optional<std::string> process_env(const std::string& name);

/// Parses `--shard`: "K/N", or "auto", which reads K and N from the engine that runs the
/// shards, in this order: THREADMILL_SHARD ("K/N"); GitLab's CI_NODE_INDEX / CI_NODE_TOTAL
/// (1-based); a Kubernetes Indexed Job's JOB_COMPLETION_INDEX (0-based) with
/// THREADMILL_SHARD_TOTAL; a Slurm array's SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and
/// SLURM_ARRAY_TASK_COUNT (a step other than 1 is refused). Throws std::invalid_argument
/// naming what is wrong, or for "auto" every variable it looked for.
ShardSpec parse_shard(const std::string& text, const EnvLookup& env = process_env);

/// Job times learned from a previous run: the median wall time of each (scenario, variant,
/// flavor), jobs that timed out left out (their time is the timeout, not the job's).
class JobTimes {
public:
    JobTimes() = default;
    explicit JobTimes(const ResultsFile& run);
    std::optional<double> of(const std::string& scenario, const std::string& variant, const std::string& flavor) const;
    std::size_t size() const { return m_seconds.size(); }

private:
    std::map<std::tuple<std::string, std::string, std::string>, double> m_seconds;
};

/// A scenario's duration shortened to `scale` of it (`run --time-budget`), but never below its
/// minimum: a quarter of it, and at least 50ms (or the whole of a shorter one).
Nanos scaled_duration(Nanos duration, double scale);

/// Expected wall seconds of one job: its time in `history` when there, else the scenario's
/// duration plus its flavor's start-up and teardown (a job run by `iterations` counts as
/// 0.5 s of work); with `scale` < 1, its duration counts as scaled_duration(duration, scale).
double expected_job_seconds(const Scenario& sc, const std::string& variant, const std::string& flavor,
                            const JobTimes* history, double scale = 1.0);
/// The same for the jobs of a group.
double expected_group_seconds(const Plan& plan, const JobGroup& group, const JobTimes* history, double scale = 1.0);

/// The groups (indexes for Plan::group_at) of shard `shard`, in plan order. Every group of the
/// plan is in exactly one shard; shards are balanced by expected time, not by count: longest
/// expected first, each to the shard with the least so far (ties: the lower shard), so every
/// shard computes the same split from the same plan and history.
std::vector<std::size_t> shard_groups(const Plan& plan, const ShardSpec& shard, const JobTimes* history);

/// A fingerprint of what a plan runs (each job's scenario file, variant, flavor, seed and
/// repetition, in order): shards of one plan carry the same one, so a merge can tell shards of
/// different plans (a fresh seed per shard, a different scenario folder) apart.
std::string plan_fingerprint(const Plan& plan);

// ---- One machine's CPUs ----------------------------------------------------------------------

/// The CPUs this process may run on (its affinity mask), cut to the CPU quota of its cgroup
/// (cgroup v2 cpu.max, or v1 cpu.cfs_quota_us / cpu.cfs_period_us), as containers in CI set it:
/// a quota of 2.5 CPUs on an 8-CPU mask keeps the first 2.
std::vector<int> usable_cpus();

/// CPUs a job of `sc` in `flavor` needs to itself: one per thread, or every CPU of the run when
/// it runs alone. A job runs alone when it is wider than the run's CPUs, or when it judges
/// latency budgets ([slo] in a flavor that judges latency): its figures must not share a core.
int job_width(const Scenario& sc, const std::string& flavor, int cpus);
bool runs_alone(const Scenario& sc, const std::string& flavor, int cpus);

/// Disjoint CPU sets for jobs that run side by side.
class CpuPool {
public:
    explicit CpuPool(std::vector<int> cpus);
    /// `width` free CPUs (the lowest-numbered), or nullopt when fewer are free.
    std::optional<std::vector<int>> take(int width);
    void give(const std::vector<int>& cpus);
    int size() const { return static_cast<int>(m_cpus.size()); }
    int free_count() const;

private:
    std::vector<int> m_cpus;
    std::vector<bool> m_taken;
};

/// The wall time of running `groups` (in order) the way `run --jobs` does: each group starts,
/// in order, as soon as its width of CPUs is free and fewer than `max_jobs` groups run; a group
/// runs its jobs one after another.
struct PlannedSchedule {
    double makespan_seconds = 0;
    double serial_seconds = 0;  ///< the same groups one at a time
    int max_side_by_side = 0;
};
PlannedSchedule plan_schedule(const Plan& plan, const JobShare& share, int cpus, int max_jobs, const JobTimes* history,
                              double scale = 1.0);

/// `run --time-budget`: the largest scale of the scenarios' durations (at most 1) whose planned
/// schedule fits `budget_seconds`, and that schedule; when even every job's minimum does not
/// fit, the smallest scale, with `fits` false.
struct BudgetPlan {
    double scale = 1.0;
    bool fits = true;
    PlannedSchedule schedule;
};
BudgetPlan fit_time_budget(const Plan& plan, const JobShare& share, int cpus, int max_jobs, const JobTimes* history,
                           double budget_seconds);

}  // namespace threadmill
