// The JSON report: one document with the context, every job and the summary.
#include "reports/json.hpp"

#include <nlohmann/json.hpp>

#include "model/outcome.hpp"

namespace threadmill {
namespace {

nlohmann::json rate_json(const DetectionRate& d) {
    const auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
    nlohmann::json found_by = nlohmann::json::object();
    for (const auto& [strategy, n] : d.found_by) found_by[strategy] = n;
    return {{"scenario", d.scenario},
            {"target", d.target},
            {"variant", d.variant},
            {"flavor", d.flavor},
            {"expected", d.expected},
            {"jobs", d.jobs},
            {"detected", d.detected},
            {"met", d.met},
            {"rate_low", d.rate.low},
            {"rate_high", d.rate.high},
            {"zero_bound", opt(d.zero_bound)},
            {"jobs_for_goal", opt(d.jobs_for_goal)},
            {"ops_run", d.ops_run},
            {"seconds_run", d.seconds_run},
            {"timed", d.timed},
            {"median_first_seconds", opt(d.median_first_seconds)},
            {"median_first_ops", opt(d.median_first_ops)},
            {"found_by", found_by}};
}

}  // namespace

std::string render_json(const ReportInput& in) {
    const RunSummary& s = in.summary;
    nlohmann::json doc;
    doc["context"] = in.context;
    doc["jobs"] = in.jobs;
    nlohmann::json outcomes = nlohmann::json::object();
    for (const auto& o : all_outcomes()) outcomes[std::string(o.name)] = s.count(o.outcome);
    nlohmann::json not_run = nlohmann::json::array();
    for (const auto& p : s.not_run)
        not_run.push_back({{"index", p.index}, {"scenario", p.scenario}, {"variant", p.variant}, {"flavor", p.flavor},
                           {"seed", p.seed}, {"repeat", p.repeat}});
    nlohmann::json rates = nlohmann::json::array();
    for (const auto& d : s.detection_rates) rates.push_back(rate_json(d));
    doc["summary"] = {{"planned", s.planned},
                      {"ran", s.ran},
                      {"pass", s.pass},
                      {"fail", s.fail},
                      {"error", s.error},
                      {"met", s.met},
                      {"missed", s.missed},
                      {"outcomes", outcomes},
                      {"not_run", not_run},
                      {"findings", s.findings},
                      {"distinct_bugs", s.distinct_bugs},
                      {"suppression_files", s.suppression_files},
                      {"detection_confidence", k_detection_confidence},
                      {"detection_goal", k_detection_goal},
                      {"detection_rates", rates},
                      {"interrupted", s.interrupted},
                      {"incomplete", s.incomplete},
                      {"unrecorded", s.unrecorded},
                      {"elapsed_seconds", s.elapsed_seconds},
                      {"results_path", s.results_path}};
    return doc.dump(2) + "\n";
}

}  // namespace threadmill
