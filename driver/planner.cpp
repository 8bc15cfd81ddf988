// The planner: scenarios x seeds x flavors x variants -> the jobs to run, in order, one at a time.
#include "driver/planner.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "driver/history_check.hpp"
#include "model/flavor.hpp"
#include "model/mechanism.hpp"
#include "model/text.hpp"

namespace threadmill {
namespace {

/// The most jobs a plan may hold: a job's index is an int.
constexpr std::size_t k_max_jobs = static_cast<std::size_t>(std::numeric_limits<int>::max());

bool has_relative_budget(const Scenario& sc) {
    return std::any_of(sc.slo.begin(), sc.slo.end(), [](const SloBudget& b) { return b.relative > 0; });
}

bool is_safe(const TargetInfo& target, const std::string& variant) {
    const int i = target.variant_index(variant);
    return i >= 0 && target.variants[static_cast<std::size_t>(i)].is_safe();
}

/// a * b, or UsageError when it passes k_max_jobs.
std::size_t checked_product(std::size_t a, std::size_t b) {
    if (b != 0 && a > k_max_jobs / b)
        throw UsageError(fmt::format("the plan holds more than {} jobs; give fewer seeds, repeats or scenarios", k_max_jobs));
    return a * b;
}

std::size_t checked_sum(std::size_t a, std::size_t b) {
    if (a > k_max_jobs - b)
        throw UsageError(fmt::format("the plan holds more than {} jobs; give fewer seeds, repeats or scenarios", k_max_jobs));
    return a + b;
}

/// A --variant or --flavor must name something of the scenarios given, or it is a typo.
void check_selection(const std::vector<Scenario>& scenarios, const PlanOptions& options) {
    for (const auto& v : options.variants) {
        std::vector<std::string> all;
        for (const auto& sc : scenarios) all.insert(all.end(), sc.variants.begin(), sc.variants.end());
        if (!contains(all, v)) throw UsageError(fmt::format("--variant '{}' is not a variant of any scenario given{}", v, did_you_mean(v, all)));
    }
    for (const auto& f : options.flavors) {
        if (!parse_flavor(f)) throw UsageError(fmt::format("unknown flavor '{}'{}", f, suggestion(f, flavor_names())));
        std::vector<std::string> declared;
        for (const auto& sc : scenarios) {
            for (const auto& g : sc.flavors) {
                if (!contains(declared, g)) declared.push_back(g);
            }
        }
        if (!contains(declared, f)) {
            throw UsageError(fmt::format("--flavor '{}' is not a flavor of any scenario given (they declare: {}); "
                                         "--flavor selects among each scenario's own flavors",
                                         f, fmt::join(declared, ", ")));
        }
    }
}

}  // namespace

bool filter_matches(const std::string& pattern, const std::string& text) {
    if (pattern.empty()) return true;
    if (pattern.find_first_of("*?[") == std::string::npos) return text.find(pattern) != std::string::npos;
    return fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

Plan::Plan(const std::vector<Scenario>& scenarios, const Catalogs& catalogs, const PlanOptions& options)
    : m_seeds(options.seeds), m_fresh_seed(options.fresh_seed), m_repeat(static_cast<std::size_t>(std::max(options.repeat, 1))) {
    check_selection(scenarios, options);
    for (const auto& sc : scenarios) {
        const TargetInfo* target = catalogs.target_of(sc);
        if (target == nullptr) throw std::logic_error(fmt::format("{}: target '{}' is not in the catalog", sc.path, sc.target));
        if (const auto why = check_model_problem(sc, target); !why.empty()) throw UsageError(why);

        // Safe variants first, each group in the scenario's order.
        std::vector<std::string> variants = sc.variants;
        std::stable_partition(variants.begin(), variants.end(), [&](const std::string& v) { return is_safe(*target, v); });
        const auto safe = std::find_if(variants.begin(), variants.end(), [&](const std::string& v) { return is_safe(*target, v); });
        const std::string safe_baseline = safe == variants.end() ? std::string() : *safe;

        ScenarioPlan plan;
        plan.scenario = &sc;
        for (const auto& flavor : sc.flavors) {
            if (!options.flavors.empty() && !contains(options.flavors, flavor)) continue;
            FlavorGroup group{flavor, {}};
            for (const auto& v : variants) {
                if (!options.variants.empty() && !contains(options.variants, v)) continue;
                if (!filter_matches(options.filter, fmt::format("{}/{}/{}", sc.name, v, flavor))) continue;
                const Expectation* e = sc.expectation(v, flavor);
                if (e == nullptr) {
                    throw UsageError(fmt::format("{}: [expect] says nothing about variant '{}' in flavor '{}'; "
                                                 "add `{} = {{ {} = \"...\" }}` or a \"default\" entry",
                                                 sc.path, v, flavor, v, flavor));
                }
                if (const auto why = never_met_in(e->mechanisms, flavor_of(flavor))) {
                    throw UsageError(fmt::format("{}: scenario '{}', variant '{}', flavor '{}': the expectation {} can "
                                                 "never be met in this flavor ({})",
                                                 sc.path, sc.name, v, flavor, fmt::join(e->mechanisms, " or "), *why));
                }
                group.members.push_back({v, false});
            }
            // A mutant judged against the safe variant's figures needs that figure.
            const bool needs_baseline =
                judges_latency(flavor_of(flavor)) && has_relative_budget(sc) && !safe_baseline.empty() &&
                !group.members.empty() &&
                std::none_of(group.members.begin(), group.members.end(), [&](const Member& m) { return m.variant == safe_baseline; });
            if (needs_baseline) group.members.insert(group.members.begin(), Member{safe_baseline, true});
            if (group.members.empty()) continue;
            plan.jobs_per_round = checked_sum(plan.jobs_per_round, group.members.size());
            plan.groups.push_back(std::move(group));
        }
        if (plan.jobs_per_round == 0) continue;
        plan.first_in_round = m_round;
        m_round = checked_sum(m_round, plan.jobs_per_round);
        m_scenarios.push_back(std::move(plan));
    }
    m_rounds = checked_product(m_seeds.empty() ? 1 : m_seeds.size(), m_repeat);
    m_size = checked_product(m_round, m_rounds);
    if (m_size == 0) throw EmptyPlan("nothing to run: no job matches the given scenarios, --variant, --flavor and --filter");
    for (std::size_t s = 0; s < m_scenarios.size(); ++s) {
        std::size_t offset = m_scenarios[s].first_in_round;
        for (std::size_t g = 0; g < m_scenarios[s].groups.size(); ++g) {
            m_round_groups.push_back({s, g, offset});
            offset += m_scenarios[s].groups[g].members.size();
        }
    }
}

JobGroup Plan::group_at(std::size_t g) const {
    if (g >= group_count()) throw std::out_of_range(fmt::format("group {} of a plan of {}", g, group_count()));
    const RoundGroup& rg = m_round_groups[g % m_round_groups.size()];
    const ScenarioPlan& s = m_scenarios[rg.scenario];
    const FlavorGroup& group = s.groups[rg.group];
    return {(g / m_round_groups.size()) * m_round + rg.offset, group.members.size(), s.scenario, group.flavor};
}

std::uint64_t Plan::seed_of(const ScenarioPlan& s, std::size_t seed_index) const {
    return m_seeds.empty() ? s.scenario->seed.value_or(m_fresh_seed) : m_seeds[seed_index];
}

Job Plan::at(std::size_t position) const {
    if (position >= m_size) throw std::out_of_range(fmt::format("job {} of a plan of {}", position, m_size));
    const std::size_t round = position / m_round;  // rounds: each seed's repeats in turn
    std::size_t offset = position % m_round;
    // The last scenario whose first job of the round is at or before `offset`.
    const auto s = std::prev(std::upper_bound(m_scenarios.begin(), m_scenarios.end(), offset,
                                              [](std::size_t at, const ScenarioPlan& p) { return at < p.first_in_round; }));
    offset -= s->first_in_round;
    for (const auto& g : s->groups) {
        if (offset >= g.members.size()) {
            offset -= g.members.size();
            continue;
        }
        const Member& m = g.members[offset];
        Job job;
        job.index = static_cast<int>(position + 1);
        job.scenario = s->scenario;
        job.variant = m.variant;
        job.flavor = g.flavor;
        job.seed = seed_of(*s, round / m_repeat);
        job.baseline = m.baseline;
        job.repeat = static_cast<int>(round % m_repeat);
        return job;
    }
    throw std::logic_error("a plan's counts disagree with its groups");
}

JobShare::JobShare(const Plan& plan, std::vector<std::size_t> groups)
    : m_plan(&plan), m_all(false), m_groups(std::move(groups)) {
    for (const std::size_t g : m_groups) m_jobs += plan.group_at(g).size;
}

std::vector<std::string> Plan::flavors() const {
    std::vector<std::string> out;
    for (const auto& row : all_flavors()) {
        const bool used = std::any_of(m_scenarios.begin(), m_scenarios.end(), [&](const ScenarioPlan& s) {
            return std::any_of(s.groups.begin(), s.groups.end(), [&](const FlavorGroup& g) { return g.flavor == row.name; });
        });
        if (used) out.emplace_back(row.name);
    }
    return out;
}

std::vector<Plan::WorkerNeed> Plan::worker_needs() const {
    std::vector<WorkerNeed> out;
    for (const auto& s : m_scenarios) {
        for (const auto& g : s.groups) {
            for (const auto& m : g.members) {
                WorkerNeed need{s.scenario->worker_dir, m.variant, g.flavor};
                if (std::find(out.begin(), out.end(), need) == out.end()) out.push_back(std::move(need));
            }
        }
    }
    return out;
}

std::vector<std::uint64_t> Plan::seeds() const {
    std::vector<std::uint64_t> out;
    std::set<std::uint64_t> seen;
    const std::size_t count = m_seeds.empty() ? 1 : m_seeds.size();
    for (std::size_t i = 0; i < count; ++i) {
        for (const auto& s : m_scenarios) {
            const std::uint64_t seed = seed_of(s, i);
            if (seen.insert(seed).second) out.push_back(seed);
        }
    }
    return out;
}

bool Plan::uses_fresh_seed() const {
    return m_seeds.empty() &&
           std::any_of(m_scenarios.begin(), m_scenarios.end(), [](const ScenarioPlan& s) { return !s.scenario->seed; });
}

Plan plan_jobs(const std::vector<Scenario>& scenarios, const Catalogs& catalogs, const PlanOptions& options) {
    return Plan(scenarios, catalogs, options);
}

}  // namespace threadmill
