// Detections: invariants, exceptions, sanitizer findings and latency budgets of a job.
#include "driver/detections.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "model/bugs.hpp"
#include "model/finding.hpp"
#include "model/flavor.hpp"
#include "model/text.hpp"
#include "model/units.hpp"

namespace threadmill {
namespace {

double statistic_of(const OpStats& s, const std::string& stat) {
    if (stat == "p50") return static_cast<double>(s.p50);
    if (stat == "p90") return static_cast<double>(s.p90);
    if (stat == "p99") return static_cast<double>(s.p99);
    if (stat == "p999") return static_cast<double>(s.p999);
    if (stat == "max") return static_cast<double>(s.max);
    if (stat == "mean") return s.mean;
    if (stat == "throughput") return s.throughput;
    return 0;
}

const OpStats* find_op(const Measurement& m, const std::string& name) {
    for (const auto& op : m.ops) {
        if (op.name == name) return &op;
    }
    return nullptr;
}

/// The figure a budget looks at, or nullopt when the measurement does not have it.
std::optional<double> figure(const Measurement& m, const SloBudget& b) {
    if (b.op.empty()) return m.throughput;
    const OpStats* op = find_op(m, b.op);
    if (op == nullptr || op->count == 0) return std::nullopt;
    return statistic_of(*op, b.statistic);
}

std::string format_figure(const SloBudget& b, double v) {
    return b.is_throughput() ? format_rate(v) : format_duration_ns(v);
}

}  // namespace

void detect_from_findings(JobResult& job) {
    std::vector<std::string> seen;
    for (const auto& f : job.findings) {
        std::string key = bug_key(f);
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
        seen.push_back(std::move(key));
        const std::string where = f.user_frame ? " at " + frame_where(*f.user_frame, k_source_root) : "";
        job.detections.push_back({mechanism_of(f), fmt::format("{}: {}{}", f.tool, f.kind_name, where)});
    }
}

void detect_from_measurement(JobResult& job) {
    if (!job.measurement) return;
    for (const auto& inv : job.measurement->invariants) {
        if (inv.held) continue;
        job.detections.push_back({"invariant:" + inv.name,
                                  fmt::format("{} violation{}{}{}", inv.violations, inv.violations == 1 ? "" : "s",
                                              inv.details.empty() ? "" : ": ", inv.details.empty() ? "" : inv.details.front())});
    }
    for (const auto& op : job.measurement->ops) {
        if (op.exceptions == 0) continue;
        job.detections.push_back({"exception", fmt::format("'{}' threw {} time{}: {}", op.name, op.exceptions,
                                                           op.exceptions == 1 ? "" : "s", op.first_exception)});
    }
}

void grade_outcomes(JobResult& job, const Scenario& scenario) {
    if (!job.measurement || scenario.sync.mode != SyncMode::lockstep) return;
    const Measurement& m = *job.measurement;
    std::uint64_t rounds = m.outcomes_uncounted;
    for (const auto& r : m.outcomes) rounds += r.count;
    const auto frequency = [&](std::uint64_t count) {
        return rounds == 0 ? 0.0 : static_cast<double>(count) / static_cast<double>(rounds);
    };
    std::vector<GradedOutcome> rows;
    for (const auto& r : m.outcomes) {
        const OutcomeRule* rule = scenario.outcome_rule(r.result);
        rows.push_back({r.result, r.count, frequency(r.count), rule ? rule->grade : OutcomeGrade::forbidden,
                        rule ? rule->desc : std::string("matches no [[outcome]] entry")});
    }
    std::stable_sort(rows.begin(), rows.end(), [](const GradedOutcome& a, const GradedOutcome& b) { return a.count > b.count; });
    for (const auto& rule : scenario.outcomes) {
        if (rule.match.find('*') != std::string::npos) continue;
        const bool seen = std::any_of(rows.begin(), rows.end(), [&](const GradedOutcome& r) { return r.result == rule.match; });
        if (!seen) rows.push_back({rule.match, 0, 0.0, rule.grade, rule.desc});
    }
    for (const auto& r : rows) {
        if (r.grade != OutcomeGrade::forbidden || r.count == 0) continue;
        job.detections.push_back({"outcome", fmt::format("forbidden result '{}' in {} of {} rounds ({}){}{}", r.result,
                                                         r.count, rounds, format_percent(r.frequency),
                                                         r.desc.empty() ? "" : ": ", r.desc)});
    }
    if (rounds != m.rounds) {
        job.detections.push_back({"error", fmt::format("the worker ran {} lockstep rounds but counted {} results (a worker "
                                                       "older than its driver?)",
                                                       m.rounds, rounds)});
    }
    if (m.outcomes_uncounted > 0) {
        job.detections.push_back({"error", fmt::format("the arbiter gave more than {} distinct results ({} rounds not "
                                                       "counted); a result should be a small tuple",
                                                       k_max_distinct_results, m.outcomes_uncounted)});
    }
    job.outcomes = std::move(rows);
}

void judge_budgets(JobResult& job, const Scenario& scenario, const Measurement* baseline, bool job_is_safe) {
    if (!job.measurement || !judges_latency(flavor_of(job.flavor))) return;
    for (const auto& b : scenario.slo) {
        if (b.relative > 0 && job_is_safe) continue;  // a budget relative to itself says nothing
        const auto value = figure(*job.measurement, b);
        if (!value) {
            job.detections.push_back({"error", fmt::format("budget {} = {} cannot be judged: operation '{}' did not run",
                                                           b.key, b.text, b.op)});
            continue;
        }
        double limit = b.absolute;
        std::string limit_text = b.text;
        if (b.relative > 0) {
            const auto base = baseline ? figure(*baseline, b) : std::nullopt;
            if (!base) {
                job.detections.push_back({"error", fmt::format("budget {} = {} cannot be judged: the safe variant's "
                                                               "figure is missing (did its job fail to run?)",
                                                               b.key, b.text)});
                continue;
            }
            limit = b.relative * *base;
            limit_text = fmt::format("{} = {}", b.text, format_figure(b, limit));
        }
        const bool over = b.is_throughput() ? *value < limit : *value > limit;
        job.budgets.push_back({b.key, b.text, b.is_throughput() ? "ops/s" : "ns", limit, *value, !over});
        if (over) {
            job.detections.push_back({"slo", fmt::format("{} = {} {} budget {}", b.key, format_figure(b, *value),
                                                         b.is_throughput() ? "<" : ">", limit_text)});
        }
    }
}

}  // namespace threadmill
