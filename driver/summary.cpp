// The run summary, computed once for every reporter, and the gate.
#include "driver/summary.hpp"

#include <algorithm>

#include "model/bugs.hpp"

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
    return s;
}

}  // namespace threadmill
