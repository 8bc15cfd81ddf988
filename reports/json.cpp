// The JSON report: one document with the context, every job and the summary.
#include "reports/json.hpp"

#include <nlohmann/json.hpp>

namespace threadmill {

std::string render_json(const ReportInput& in) {
    const RunSummary& s = in.summary;
    nlohmann::json doc;
    doc["context"] = in.context;
    doc["jobs"] = in.jobs;
    doc["summary"] = {{"planned", s.planned},
                      {"ran", s.ran},
                      {"pass", s.pass},
                      {"fail", s.fail},
                      {"error", s.error},
                      {"met", s.met},
                      {"missed", s.missed},
                      {"findings", s.findings},
                      {"distinct_bugs", s.distinct_bugs},
                      {"interrupted", s.interrupted},
                      {"incomplete", s.incomplete},
                      {"unrecorded", s.unrecorded},
                      {"elapsed_seconds", s.elapsed_seconds},
                      {"results_path", s.results_path}};
    return doc.dump(2) + "\n";
}

}  // namespace threadmill
