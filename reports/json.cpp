// The JSON report: one document with the context, every job and the summary.
#include "reports/json.hpp"

#include <nlohmann/json.hpp>

#include "model/outcome.hpp"

namespace threadmill {

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
                      {"interrupted", s.interrupted},
                      {"incomplete", s.incomplete},
                      {"unrecorded", s.unrecorded},
                      {"elapsed_seconds", s.elapsed_seconds},
                      {"results_path", s.results_path}};
    return doc.dump(2) + "\n";
}

}  // namespace threadmill
