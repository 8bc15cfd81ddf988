// Shards, CPU sets and expected durations (see sharding.hpp).
#include "driver/sharding.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <queue>
#include <stdexcept>

#include <fmt/format.h>

#include "driver/results_file.hpp"
#include "model/flavor.hpp"
#include "model/text.hpp"

namespace threadmill {
namespace {

/// Expected work of a job run by `iterations` rather than a duration, without a history.
constexpr double k_unknown_job_seconds = 0.5;

/// Start-up and teardown of a job on top of its duration, by flavor: the worker's start, the
/// sanitizer runtime's start and exit checks, the driver's reading of its files. Estimates
/// from the built-in suite on a 2-core machine; a --history file replaces them.
double flavor_overhead_seconds(const std::string& flavor) {
    switch (flavor_of(flavor)) {
        case Flavor::plain: return 0.1;
        case Flavor::tsan: return 0.4;
        case Flavor::asan: return 0.5;
    }
    return 0.5;
}

/// A whole number written in digits (at most 9 of them), or nullopt.
std::optional<int> whole(const std::string& text) {
    if (text.empty() || text.size() > 9 || !std::all_of(text.begin(), text.end(), ::isdigit)) return std::nullopt;
    return std::stoi(text);
}

/// The same, greater than 0.
std::optional<int> positive(const std::string& text) {
    const auto n = whole(text);
    return n && *n > 0 ? n : std::nullopt;
}

ShardSpec checked(int index, int count, std::string source) {
    if (index < 1 || index > count)
        throw std::invalid_argument(fmt::format("{}: shard {} of {}: the shard must be 1 to {}", source, index, count, count));
    return {index, count, std::move(source)};
}

/// "K/N" -> the shard, or invalid_argument.
ShardSpec parse_k_of_n(const std::string& text, const std::string& source) {
    const auto slash = text.find('/');
    const auto k = slash == std::string::npos ? std::nullopt : whole(text.substr(0, slash));
    const auto n = slash == std::string::npos ? std::nullopt : positive(text.substr(slash + 1));
    if (!k || !n) throw std::invalid_argument(fmt::format("{}: '{}' is not K/N (like 2/4: shard 2 of 4, counted from 1)", source, text));
    return checked(*k, *n, source);
}

}  // namespace

std::optional<std::string> process_env(const std::string& name) {
    const char* v = std::getenv(name.c_str());
    return v == nullptr ? std::nullopt : std::optional<std::string>(v);
}

ShardSpec parse_shard(const std::string& text, const EnvLookup& env) {
    if (text != "auto") return parse_k_of_n(text, "--shard");
    if (const auto v = env("THREADMILL_SHARD")) return parse_k_of_n(*v, "THREADMILL_SHARD");
    const auto number = [&](const std::string& name, bool from_zero) {
        const auto v = env(name);
        const auto n = v ? (from_zero ? whole(*v) : positive(*v)) : std::nullopt;
        if (!n) throw std::invalid_argument(fmt::format("--shard auto: {}='{}' is not a {} number", name, v.value_or(""),
                                                        from_zero ? "whole" : "positive"));
        return *n;
    };
    if (env("CI_NODE_INDEX") || env("CI_NODE_TOTAL"))  // GitLab CI `parallel:`, 1-based
        return checked(number("CI_NODE_INDEX", false), number("CI_NODE_TOTAL", false), "--shard auto (GitLab CI_NODE_INDEX/CI_NODE_TOTAL)");
    if (env("JOB_COMPLETION_INDEX")) {  // Kubernetes Indexed Job, 0-based; the total is not in the environment
        if (!env("THREADMILL_SHARD_TOTAL"))
            throw std::invalid_argument("--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but "
                                        "THREADMILL_SHARD_TOTAL is not; set it to the Job's .spec.completions");
        return checked(number("JOB_COMPLETION_INDEX", true) + 1, number("THREADMILL_SHARD_TOTAL", false),
                       "--shard auto (Kubernetes JOB_COMPLETION_INDEX/THREADMILL_SHARD_TOTAL)");
    }
    if (env("SLURM_ARRAY_TASK_ID")) {  // Slurm job array: IDs MIN..MAX, COUNT of them
        const int id = number("SLURM_ARRAY_TASK_ID", true);
        const int min = number("SLURM_ARRAY_TASK_MIN", true);
        const int count = number("SLURM_ARRAY_TASK_COUNT", false);
        if (const auto max = env("SLURM_ARRAY_TASK_MAX"); max && whole(*max) && *whole(*max) - min + 1 != count)
            throw std::invalid_argument(fmt::format("--shard auto: the Slurm array {}-{} has {} tasks: give it a step of 1 "
                                                    "(--array={}-{}), so task IDs number the shards",
                                                    min, *whole(*max), count, min, min + count - 1));
        if (const auto step = env("SLURM_ARRAY_TASK_STEP"); step && *step != "1")
            throw std::invalid_argument(fmt::format("--shard auto: the Slurm array has a step of {}: give it a step of 1, "
                                                    "so task IDs number the shards", *step));
        return checked(id - min + 1, count, "--shard auto (Slurm SLURM_ARRAY_TASK_ID/MIN/COUNT)");
    }
    throw std::invalid_argument("--shard auto: no shard found in the environment; it reads THREADMILL_SHARD (K/N), "
                                "GitLab's CI_NODE_INDEX and CI_NODE_TOTAL, a Kubernetes Indexed Job's "
                                "JOB_COMPLETION_INDEX with THREADMILL_SHARD_TOTAL, or a Slurm array's "
                                "SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT (docs/ci.md)");
}

JobTimes::JobTimes(const ResultsFile& run) {
    std::map<std::tuple<std::string, std::string, std::string>, std::vector<double>> seen;
    for (const auto& j : run.jobs) {
        if (!j.timed_out && j.elapsed_seconds > 0) seen[{j.scenario, j.variant, j.flavor}].push_back(j.elapsed_seconds);
    }
    for (auto& [key, times] : seen) {
        std::sort(times.begin(), times.end());
        const std::size_t n = times.size();
        m_seconds[key] = n % 2 == 1 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
    }
}

std::optional<double> JobTimes::of(const std::string& scenario, const std::string& variant, const std::string& flavor) const {
    const auto it = m_seconds.find({scenario, variant, flavor});
    return it == m_seconds.end() ? std::nullopt : std::optional<double>(it->second);
}

Nanos scaled_duration(Nanos duration, double scale) {
    const Nanos floor = std::min(duration, std::max<Nanos>(duration / 4, std::chrono::milliseconds(50)));
    const auto scaled = Nanos(static_cast<Nanos::rep>(static_cast<double>(duration.count()) * std::min(scale, 1.0)));
    return std::max(floor, scaled);
}

double expected_job_seconds(const Scenario& sc, const std::string& variant, const std::string& flavor,
                            const JobTimes* history, double scale) {
    // The part of a job's time its duration makes, and how much shorter the scale makes it.
    const double duration = sc.duration ? std::chrono::duration<double>(*sc.duration).count() : 0.0;
    const double saved = sc.duration ? duration - std::chrono::duration<double>(scaled_duration(*sc.duration, scale)).count() : 0.0;
    if (history != nullptr) {
        if (const auto t = history->of(sc.name, variant, flavor)) return std::max(0.0, *t - saved);
    }
    const double work = sc.duration ? duration : k_unknown_job_seconds;
    return work - saved + flavor_overhead_seconds(flavor);
}

double expected_group_seconds(const Plan& plan, const JobGroup& group, const JobTimes* history, double scale) {
    double total = 0;
    for (std::size_t p = group.begin; p < group.begin + group.size; ++p) {
        const Job j = plan.at(p);
        total += expected_job_seconds(*j.scenario, j.variant, j.flavor, history, scale);
    }
    return total;
}

std::vector<std::size_t> shard_groups(const Plan& plan, const ShardSpec& shard, const JobTimes* history) {
    const std::size_t groups = plan.group_count();
    std::vector<std::pair<double, std::size_t>> by_cost;  // (expected seconds, group)
    by_cost.reserve(groups);
    for (std::size_t g = 0; g < groups; ++g) by_cost.emplace_back(expected_group_seconds(plan, plan.group_at(g), history), g);
    // Longest first; equal costs in plan order, so every shard sorts the same way.
    std::stable_sort(by_cost.begin(), by_cost.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    // Longest-processing-time-first: each group to the least loaded shard (ties: the lower one).
    using Load = std::pair<double, int>;
    std::priority_queue<Load, std::vector<Load>, std::greater<>> loads;
    for (int k = 1; k <= shard.count; ++k) loads.emplace(0.0, k);
    std::vector<std::size_t> mine;
    for (const auto& [cost, g] : by_cost) {
        auto [load, k] = loads.top();
        loads.pop();
        if (k == shard.index) mine.push_back(g);
        loads.emplace(load + cost, k);
    }
    std::sort(mine.begin(), mine.end());
    return mine;
}

std::string plan_fingerprint(const Plan& plan) {
    std::uint64_t h = 1469598103934665603ULL;
    for (const Job j : plan) {
        const std::string key = fmt::format("{}\n{}\n{}\n{}\n{}\n{}\n", j.scenario->path, j.scenario->name, j.variant,
                                            j.flavor, j.seed, j.repeat);
        h = (h ^ fnv1a(key)) * 1099511628211ULL;
    }
    return fmt::format("{:016x}", h);
}

// ---- One machine's CPUs ----------------------------------------------------------------------

namespace {

/// The CPU quota of this process's cgroup in CPUs (2.5 for "250000 100000"), or nullopt when
/// there is none or it cannot be read.
std::optional<double> cgroup_cpu_quota() {
    std::ifstream self("/proc/self/cgroup");
    std::string v2_path;
    for (std::string line; std::getline(self, line);) {
        if (line.starts_with("0::")) v2_path = line.substr(3);
    }
    if (!v2_path.empty()) {
        // The quota of the process's cgroup or of any cgroup above it: the tightest one.
        std::optional<double> tightest;
        for (std::string path = v2_path;; path = path.substr(0, path.rfind('/'))) {
            std::ifstream max("/sys/fs/cgroup" + path + "/cpu.max");
            std::string quota, period;
            if (max >> quota >> period && quota != "max") {
                const double q = std::atof(quota.c_str()), p = std::atof(period.c_str());
                if (q > 0 && p > 0) tightest = std::min(tightest.value_or(q / p), q / p);
            }
            if (path.empty() || path == "/") break;
        }
        if (tightest) return tightest;
    }
    std::ifstream quota("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), period("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
    double q = 0, p = 0;
    if (quota >> q && period >> p && q > 0 && p > 0) return q / p;
    return std::nullopt;
}

}  // namespace

std::vector<int> usable_cpus() {
    std::vector<int> cpus;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        for (int c = 0; c < CPU_SETSIZE; ++c) {
            if (CPU_ISSET(c, &set)) cpus.push_back(c);
        }
    }
    if (cpus.empty()) {
        const long n = sysconf(_SC_NPROCESSORS_ONLN);
        for (int c = 0; c < std::max(1L, n); ++c) cpus.push_back(c);
    }
    if (const auto quota = cgroup_cpu_quota()) {
        const auto keep = static_cast<std::size_t>(std::max(1.0, std::floor(*quota)));
        if (keep < cpus.size()) cpus.resize(keep);
    }
    return cpus;
}

bool runs_alone(const Scenario& sc, const std::string& flavor, int cpus) {
    return sc.thread_count() > cpus || (!sc.slo.empty() && judges_latency(flavor_of(flavor)));
}

int job_width(const Scenario& sc, const std::string& flavor, int cpus) {
    return runs_alone(sc, flavor, cpus) ? cpus : std::max(1, sc.thread_count());
}

CpuPool::CpuPool(std::vector<int> cpus) : m_cpus(std::move(cpus)), m_taken(m_cpus.size(), false) {}

std::optional<std::vector<int>> CpuPool::take(int width) {
    if (width > free_count()) return std::nullopt;
    std::vector<int> got;
    for (std::size_t i = 0; i < m_cpus.size() && static_cast<int>(got.size()) < width; ++i) {
        if (!m_taken[i]) {
            m_taken[i] = true;
            got.push_back(m_cpus[i]);
        }
    }
    return got;
}

void CpuPool::give(const std::vector<int>& cpus) {
    for (const int c : cpus) {
        const auto it = std::find(m_cpus.begin(), m_cpus.end(), c);
        if (it == m_cpus.end() || !m_taken[static_cast<std::size_t>(it - m_cpus.begin())])
            throw std::logic_error(fmt::format("CPU {} given back but not taken", c));
        m_taken[static_cast<std::size_t>(it - m_cpus.begin())] = false;
    }
}

int CpuPool::free_count() const { return static_cast<int>(std::count(m_taken.begin(), m_taken.end(), false)); }

PlannedSchedule plan_schedule(const Plan& plan, const JobShare& share, int cpus, int max_jobs, const JobTimes* history,
                              double scale) {
    PlannedSchedule out;
    std::vector<int> ids(static_cast<std::size_t>(std::max(cpus, 1)));
    std::iota(ids.begin(), ids.end(), 0);
    CpuPool pool(ids);
    // Running groups: (end time, CPUs), earliest end first.
    using Running = std::pair<double, std::vector<int>>;
    const auto later = [](const Running& a, const Running& b) { return a.first > b.first; };
    std::priority_queue<Running, std::vector<Running>, decltype(later)> running(later);
    double now = 0;
    for (std::size_t k = 0; k < share.group_count(); ++k) {
        const JobGroup g = share.group(k);
        const double seconds = expected_group_seconds(plan, g, history, scale);
        out.serial_seconds += seconds;
        const int width = job_width(*g.scenario, g.flavor, pool.size());
        std::optional<std::vector<int>> got;
        while (!(static_cast<int>(running.size()) < max_jobs && (got = pool.take(width)))) {
            if (running.empty()) throw std::logic_error("plan_schedule: a group wider than the machine");
            now = running.top().first;  // wait for the next group to end
            pool.give(running.top().second);
            running.pop();
        }
        running.emplace(now + seconds, std::move(*got));
        out.max_side_by_side = std::max(out.max_side_by_side, static_cast<int>(running.size()));
    }
    while (!running.empty()) {
        now = running.top().first;
        running.pop();
    }
    out.makespan_seconds = now;
    return out;
}

BudgetPlan fit_time_budget(const Plan& plan, const JobShare& share, int cpus, int max_jobs, const JobTimes* history,
                           double budget_seconds) {
    const auto at = [&](double scale) { return plan_schedule(plan, share, cpus, max_jobs, history, scale); };
    BudgetPlan out;
    out.schedule = at(1.0);
    if (out.schedule.makespan_seconds <= budget_seconds) return out;
    // Every duration at its minimum: scaled_duration floors any scale at or below 0.
    const PlannedSchedule shortest = at(0.0);
    if (shortest.makespan_seconds > budget_seconds) return {0.0, false, shortest};
    // The makespan grows with the scale: bisect for the largest scale that fits.
    double lo = 0.0, hi = 1.0;
    out = {0.0, true, shortest};
    for (int i = 0; i < 30; ++i) {
        const double mid = (lo + hi) / 2;
        const PlannedSchedule s = at(mid);
        if (s.makespan_seconds <= budget_seconds) {
            lo = mid;
            out = {mid, true, s};
        } else {
            hi = mid;
        }
    }
    return out;
}

}  // namespace threadmill
