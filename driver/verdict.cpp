// Detection mechanisms, expectations and verdicts: how a job's findings become a gate result.
#include "driver/verdict.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "model/text.hpp"

namespace threadmill {

void grade(JobResult& job, const Expectation& expectation) {
    job.expected = expectation.mechanisms;
    const bool any_detection = !job.detections.empty();
    const bool harness_error = std::any_of(job.detections.begin(), job.detections.end(),
                                           [](const Detection& d) { return d.mechanism == "error"; });
    job.verdict = harness_error ? Verdict::error : any_detection ? Verdict::fail : Verdict::pass;

    const auto& words = expectation.mechanisms;
    const bool wants_any = std::find(words.begin(), words.end(), "any") != words.end();
    const bool wants_pass = std::find(words.begin(), words.end(), "pass") != words.end();

    if (job.verdict == Verdict::error) {
        job.expectation_met = false;
        job.expectation_detail = "the harness could not run the job";
        return;
    }
    if (wants_any) {
        job.expectation_met = true;
        job.expectation_detail = "not gated (expect = \"any\")";
        return;
    }
    if (job.verdict == Verdict::pass) {
        job.expectation_met = wants_pass;
        job.expectation_detail = wants_pass ? "passed, as expected"
                                            : fmt::format("expected to be caught by {}, but nothing was detected",
                                                          fmt::join(words, " or "));
        return;
    }
    std::vector<std::string> matched;
    for (const auto& d : job.detections) {
        for (const auto& w : words) {
            if (w != "pass" && mechanism_matches(w, d.mechanism)) {
                if (std::find(matched.begin(), matched.end(), d.mechanism) == matched.end()) matched.push_back(d.mechanism);
                break;
            }
        }
    }
    std::vector<std::string> seen;
    for (const auto& d : job.detections) {
        if (std::find(seen.begin(), seen.end(), d.mechanism) == seen.end()) seen.push_back(d.mechanism);
    }
    if (!matched.empty()) {
        job.expectation_met = true;
        job.expectation_detail = fmt::format("caught by {}, as expected", fmt::join(matched, ", "));
    } else if (wants_pass) {
        job.expectation_met = false;
        job.expectation_detail = fmt::format("expected to pass, but caught by {}", fmt::join(seen, ", "));
    } else {
        job.expectation_met = false;
        job.expectation_detail =
            fmt::format("expected {}, but caught by {}", fmt::join(words, " or "), fmt::join(seen, ", "));
    }
}

}  // namespace threadmill
