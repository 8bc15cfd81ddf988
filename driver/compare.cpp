// Comparing the latency and throughput of two runs: a Mann-Whitney U test over the samples of
// each figure, corrected for the number of figures (Benjamini-Hochberg), and a tolerance on the
// change of its median.
#include "driver/compare.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

#include "driver/significance.hpp"

namespace threadmill {
namespace {

using Key = std::tuple<std::string, std::string, std::string, std::string>;  // scenario, variant, flavor, op

struct Samples {
    std::string variant;
    std::vector<double> p50, p99, p999, throughput;
};

std::map<Key, Samples> collect(const std::vector<JobResult>& jobs, const std::string& only_variant) {
    std::map<Key, Samples> out;
    for (const auto& j : jobs) {
        if (!j.measurement) continue;
        if (!only_variant.empty() && j.variant != only_variant) continue;
        for (const auto& op : j.measurement->ops) {
            if (op.count == 0) continue;
            // With variants pinned, the variant is not part of the match.
            Samples& s = out[Key{j.scenario, only_variant.empty() ? j.variant : "", j.flavor, op.name}];
            s.variant = j.variant;
            s.p50.push_back(static_cast<double>(op.p50));
            s.p99.push_back(static_cast<double>(op.p99));
            s.p999.push_back(static_cast<double>(op.p999));
            s.throughput.push_back(op.throughput);
        }
    }
    return out;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

MetricChange change_of(const char* metric, const std::vector<double>& base, const std::vector<double>& next,
                       bool higher_is_better, const CompareOptions& o) {
    MetricChange c;
    c.metric = metric;
    c.higher_is_better = higher_is_better;
    c.base = median(base);
    c.next = median(next);
    c.base_samples = static_cast<int>(base.size());
    c.next_samples = static_cast<int>(next.size());
    if (c.base > 0) {
        c.change = (c.next - c.base) / c.base;
    } else {
        c.change = c.next > 0 ? 1.0 : 0.0;
    }
    const double worse_by = higher_is_better ? -c.change : c.change;
    const double tolerance = c.metric == "p99" || c.metric == "p999" ? o.tail_tolerance : o.tolerance;
    c.worse_beyond_tolerance = worse_by > tolerance;
    c.better_beyond_tolerance = -worse_by > tolerance;
    if (mann_whitney_min_p(base.size(), next.size()) >= o.alpha) {
        // No data of these sizes could be significant: the test cannot judge this figure.
        if (o.judge_few_samples && c.worse_beyond_tolerance) {
            c.judgement = Judgement::regression;
            c.tolerance_only = true;
        } else {
            c.judgement = Judgement::not_judged;
        }
        return c;
    }
    c.p_value = mann_whitney_u(base, next).p_value;
    return c;
}

/// Judges a figure whose q-value is known (not for not-judged figures).
void judge(MetricChange& c, const CompareOptions& o) {
    const bool significant = c.q_value < o.alpha;
    if (significant && c.worse_beyond_tolerance) {
        c.judgement = Judgement::regression;
    } else if (significant && c.better_beyond_tolerance) {
        c.judgement = Judgement::improvement;
    } else {
        c.judgement = Judgement::unchanged;
    }
}

std::string key_text(const Key& k, const std::string& variant) {
    return fmt::format("{}/{}/{}/{}", std::get<0>(k), variant, std::get<2>(k), std::get<3>(k));
}

}  // namespace

Comparison compare_runs(const std::vector<JobResult>& base, const std::vector<JobResult>& next,
                        const CompareOptions& options) {
    if (options.base_variant.empty() != options.new_variant.empty())
        throw std::invalid_argument("give both a base variant and a new variant, or neither");
    if (!(options.alpha > 0 && options.alpha < 1)) throw std::invalid_argument("alpha must be between 0 and 1");
    const auto a = collect(base, options.base_variant);
    const auto b = collect(next, options.new_variant);
    Comparison out;
    out.samples_needed = static_cast<int>(mann_whitney_min_samples(options.alpha));
    for (const auto& [key, sa] : a) {
        const auto it = b.find(key);
        if (it == b.end()) {
            out.only_in_base.push_back(key_text(key, sa.variant));
            continue;
        }
        const Samples& sb = it->second;
        OpComparison oc{std::get<0>(key), sa.variant, sb.variant, std::get<2>(key), std::get<3>(key), {}};
        oc.metrics.push_back(change_of("p50", sa.p50, sb.p50, false, options));
        oc.metrics.push_back(change_of("p99", sa.p99, sb.p99, false, options));
        oc.metrics.push_back(change_of("p999", sa.p999, sb.p999, false, options));
        oc.metrics.push_back(change_of("throughput", sa.throughput, sb.throughput, true, options));
        out.ops.push_back(std::move(oc));
    }
    // The family of tests: every figure the U test judged. Not-judged figures are never tested
    // (their judgement is already set), so they do not dilute the correction.
    std::vector<MetricChange*> tested;
    std::vector<double> p_values;
    for (auto& op : out.ops) {
        for (auto& m : op.metrics) {
            if (m.judgement == Judgement::not_judged || m.tolerance_only) continue;
            tested.push_back(&m);
            p_values.push_back(m.p_value);
        }
    }
    const std::vector<double> q_values = benjamini_hochberg(p_values);
    out.judged = static_cast<int>(tested.size());
    for (const MetricChange* m : tested) {
        const int fewest = std::min(m->base_samples, m->next_samples);
        out.fewest_judged_samples = out.fewest_judged_samples == 0 ? fewest : std::min(out.fewest_judged_samples, fewest);
    }
    if (!tested.empty()) {
        out.lone_samples_needed = static_cast<int>(mann_whitney_min_samples(options.alpha / static_cast<double>(tested.size())));
    }
    for (std::size_t i = 0; i < tested.size(); ++i) {
        tested[i]->q_value = q_values[i];
        judge(*tested[i], options);
    }
    for (const auto& op : out.ops) {
        for (const auto& m : op.metrics) {
            ++out.figures;
            switch (m.judgement) {
                case Judgement::regression: ++out.regressions; break;
                case Judgement::improvement: ++out.improvements; break;
                case Judgement::unchanged: ++out.unchanged; break;
                case Judgement::not_judged: {
                    const int fewest = std::min(m.base_samples, m.next_samples);
                    if (out.not_judged == 0 || fewest < std::min(out.fewest_base_samples, out.fewest_next_samples)) {
                        out.fewest_base_samples = m.base_samples;
                        out.fewest_next_samples = m.next_samples;
                    }
                    ++out.not_judged;
                    break;
                }
            }
        }
    }
    for (const auto& [key, sb] : b) {
        if (!a.count(key)) out.only_in_new.push_back(key_text(key, sb.variant));
    }
    return out;
}

double parse_tolerance(const std::string& text) {
    std::string t = text;
    t.erase(std::remove(t.begin(), t.end(), ' '), t.end());
    const bool percent = !t.empty() && t.back() == '%';
    if (percent) t.pop_back();
    std::size_t used = 0;
    double v = 0;
    try {
        v = std::stod(t, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (t.empty() || used != t.size() || !std::isfinite(v) || v < 0)
        throw std::invalid_argument(fmt::format("'{}' is not a tolerance (like 10% or 0.1)", text));
    return percent ? v / 100 : v;
}

}  // namespace threadmill
