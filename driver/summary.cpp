// The run summary, computed once for every reporter, and the gate.
#include "driver/summary.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "model/bugs.hpp"

namespace threadmill {
namespace {

std::optional<double> median(std::vector<double> v) {
    if (v.empty()) return std::nullopt;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

std::vector<DetectionRate> detection_rates(const std::vector<JobResult>& results) {
    std::vector<DetectionRate> rates;
    std::map<std::tuple<std::string, std::string, std::string>, std::size_t> index;
    std::vector<std::vector<double>> seconds, ops;
    for (const auto& r : results) {
        const auto [it, added] = index.try_emplace({r.scenario, r.variant, r.flavor}, rates.size());
        if (added) {
            DetectionRate d;
            d.scenario = r.scenario;
            d.target = r.target;
            d.variant = r.variant;
            d.flavor = r.flavor;
            d.expected = r.expected;
            rates.push_back(std::move(d));
            seconds.emplace_back();
            ops.emplace_back();
        }
        DetectionRate& d = rates[it->second];
        ++d.jobs;
        d.detected += r.detections.empty() ? 0 : 1;
        d.met += r.expectation_met ? 1 : 0;
        d.ops_run += r.ops_run.value_or(0);
        d.seconds_run += r.elapsed_seconds;
        if (r.first_detection) {
            ++d.timed;
            seconds[it->second].push_back(r.first_detection->seconds);
            if (r.first_detection->ops) ops[it->second].push_back(static_cast<double>(*r.first_detection->ops));
            const bool portfolio = r.measurement && r.measurement->schedule.size() > 1;
            if (portfolio && !r.first_detection->strategy.empty()) {
                auto& found = d.found_by;
                const auto f = std::find_if(found.begin(), found.end(),
                                            [&](const auto& e) { return e.first == r.first_detection->strategy; });
                if (f == found.end()) found.emplace_back(r.first_detection->strategy, 1);
                else ++f->second;
            }
        }
    }
    for (std::size_t i = 0; i < rates.size(); ++i) {
        DetectionRate& d = rates[i];
        const auto jobs = static_cast<std::uint64_t>(d.jobs);
        d.rate = wilson_interval(static_cast<std::uint64_t>(d.detected), jobs, k_detection_confidence);
        if (d.detected == 0) {
            d.zero_bound = zero_hit_upper_bound(jobs, k_detection_confidence);
            d.jobs_for_goal = trials_for_detection(*d.zero_bound, k_detection_goal);
        } else {
            d.jobs_for_goal = trials_for_detection(d.rate.low, k_detection_goal);
        }
        std::stable_sort(d.found_by.begin(), d.found_by.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
        d.median_first_seconds = median(std::move(seconds[i]));
        d.median_first_ops = median(std::move(ops[i]));
    }
    return rates;
}

RunSummary summarize_run(const std::vector<JobResult>& results, int planned, bool interrupted, double elapsed,
                         std::string results_path) {
    RunSummary s;
    s.planned = planned;
    s.ran = static_cast<int>(results.size());
    s.interrupted = interrupted;
    s.elapsed_seconds = elapsed;
    s.results_path = std::move(results_path);
    for (const auto& r : results) {
        switch (r.verdict) {
            case Verdict::pass: ++s.pass; break;
            case Verdict::fail: ++s.fail; break;
            case Verdict::error: ++s.error; break;
        }
        (r.expectation_met ? s.met : s.missed) += 1;
        s.outcomes[static_cast<std::size_t>(outcome_of(r))] += 1;
        s.findings += static_cast<int>(r.findings.size());
        for (const auto& u : r.suppressions) {
            auto it = std::find_if(s.suppressions.begin(), s.suppressions.end(), [&](const SuppressionUse& x) {
                return x.tool == u.tool && x.pattern == u.pattern;
            });
            if (it == s.suppressions.end()) {
                s.suppressions.push_back(u);
            } else {
                it->count += u.count;
            }
        }
        add_suppression_uses(s.suppression_files, r.suppression_files, r.suppressions);
    }
    s.distinct_bugs = static_cast<int>(distinct_bugs(results).size());
    s.detection_rates = detection_rates(results);
    return s;
}

}  // namespace threadmill
