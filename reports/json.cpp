// The JSON reporter: one document with the context, every job and the summary, at the end.
#include "reports/json.hpp"

#include <nlohmann/json.hpp>

namespace threadmill {

void JsonReporter::run_started(const RunContext& context, int) { m_context = context; }

void JsonReporter::run_finished(const std::vector<JobResult>& results, const RunSummary& s) {
    nlohmann::json doc;
    doc["context"] = m_context;
    doc["jobs"] = results;
    doc["summary"] = {{"planned", s.planned}, {"ran", s.ran},       {"pass", s.pass},
                      {"fail", s.fail},       {"error", s.error},   {"met", s.met},
                      {"missed", s.missed},   {"interrupted", s.interrupted},
                      {"elapsed_seconds", s.elapsed_seconds},       {"results_path", s.results_path}};
    const std::string text = doc.dump(2);
    std::fwrite(text.data(), 1, text.size(), m_out);
    std::fputc('\n', m_out);
    std::fflush(m_out);
}

}  // namespace threadmill
