// The planner: scenarios x variants x flavors x seeds -> the ordered list of jobs to run.
#include "driver/planner.hpp"

#include <fnmatch.h>

#include <algorithm>

#include <fmt/format.h>

#include "model/flavor.hpp"
#include "model/text.hpp"

namespace threadmill {
namespace {

bool has_relative_budget(const Scenario& sc) {
    return std::any_of(sc.slo.begin(), sc.slo.end(), [](const SloBudget& b) { return b.relative > 0; });
}

}  // namespace

bool filter_matches(const std::string& pattern, const std::string& text) {
    if (pattern.empty()) return true;
    if (pattern.find_first_of("*?[") == std::string::npos) return text.find(pattern) != std::string::npos;
    return fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

std::vector<Job> plan_jobs(const std::vector<Scenario>& scenarios, const Catalog& catalog, const PlanOptions& options) {
    // A --variant or --flavor must exist somewhere, or it is a typo.
    for (const auto& v : options.variants) {
        bool found = false;
        std::vector<std::string> all;
        for (const auto& sc : scenarios) {
            found = found || contains(sc.variants, v);
            all.insert(all.end(), sc.variants.begin(), sc.variants.end());
        }
        if (!found) throw UsageError(fmt::format("--variant '{}' is not a variant of any scenario given{}", v, did_you_mean(v, all)));
    }
    for (const auto& f : options.flavors) {
        if (!parse_flavor(f))
            throw UsageError(fmt::format("unknown flavor '{}'{}", f, suggestion(f, flavor_names())));
    }

    std::vector<Job> jobs;
    for (const auto& sc : scenarios) {
        const TargetInfo* target = catalog.find(sc.target);
        std::vector<std::uint64_t> seeds = options.seeds;
        if (seeds.empty()) seeds.push_back(sc.seed.value_or(options.fresh_seed));
        const auto& flavors = options.flavors.empty() ? sc.flavors : options.flavors;

        // Safe variants first, each group in the scenario's order.
        std::vector<std::string> variants = sc.variants;
        std::stable_partition(variants.begin(), variants.end(), [&](const std::string& v) {
            const int i = target->variant_index(v);
            return i >= 0 && target->variants[static_cast<std::size_t>(i)].is_safe();
        });
        std::string safe_baseline;
        for (const auto& v : variants) {
            const int i = target->variant_index(v);
            if (i >= 0 && target->variants[static_cast<std::size_t>(i)].is_safe()) {
                safe_baseline = v;
                break;
            }
        }

        for (auto seed : seeds) {
            for (const auto& flavor : flavors) {
                std::vector<Job> group;
                for (const auto& v : variants) {
                    if (!options.variants.empty() && !contains(options.variants, v)) continue;
                    if (!filter_matches(options.filter, fmt::format("{}/{}/{}", sc.name, v, flavor))) continue;
                    if (sc.expectation(v, flavor) == nullptr) {
                        throw UsageError(fmt::format("{}: [expect] says nothing about variant '{}' in flavor '{}'; "
                                                     "add `{} = {{ {} = \"...\" }}` or a \"default\" entry",
                                                     sc.path, v, flavor, v, flavor));
                    }
                    group.push_back({0, &sc, v, flavor, seed, false});
                }
                // A mutant judged against the safe variant's figures needs that figure.
                const bool needs_baseline =
                    judges_latency(flavor_of(flavor)) && has_relative_budget(sc) && !safe_baseline.empty() && !group.empty() &&
                    std::none_of(group.begin(), group.end(), [&](const Job& j) { return j.variant == safe_baseline; });
                if (needs_baseline) group.insert(group.begin(), Job{0, &sc, safe_baseline, flavor, seed, true});
                for (int r = 0; r < std::max(options.repeat, 1); ++r) {
                    for (Job j : group) {
                        j.repeat = r;
                        jobs.push_back(j);
                    }
                }
            }
        }
    }
    if (jobs.empty()) throw EmptyPlan("nothing to run: no job matches the given scenarios, --variant, --flavor and --filter");
    for (std::size_t i = 0; i < jobs.size(); ++i) jobs[i].index = static_cast<int>(i + 1);
    return jobs;
}

}  // namespace threadmill
