// Run summary counts, computed once for every reporter.
#include "reports/reporter.hpp"

namespace threadmill {

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
    }
    return s;
}

}  // namespace threadmill
