// Detection mechanisms, expectations and verdicts: how a job's findings become a gate result.
#include "engine/verdict.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "engine/text.hpp"

namespace threadmill {

const std::vector<MechanismInfo>& mechanisms() {
    static const std::vector<MechanismInfo> list = {
        {"pass", "nothing is detected (the default for safe variants)"},
        {"any", "the job runs and its result is recorded, but not gated"},
        {"invariant", "any invariant of the target is broken"},
        {"invariant:<name>", "the named invariant is broken"},
        {"exception", "an operation threw an exception"},
        {"crash", "the worker died on a signal (segfault, abort, ...) or exited abnormally"},
        {"timeout", "the job did not finish within its timeout (a hang or livelock)"},
        {"slo", "a latency or throughput budget of [slo] was exceeded (plain flavor only)"},
    };
    return list;
}

std::optional<std::string> check_mechanism(std::string_view word, const TargetInfo& target) {
    if (word.starts_with("invariant:")) {
        const auto name = word.substr(std::string_view("invariant:").size());
        if (target.invariant_index(name) >= 0) return std::nullopt;
        std::vector<std::string> names;
        for (const auto& inv : target.invariants) names.push_back(inv.name);
        return fmt::format("target '{}' has no invariant '{}'{}", target.name, name, did_you_mean(name, names));
    }
    std::vector<std::string> names;
    for (const auto& m : mechanisms()) {
        if (m.name == word && m.name.find('<') == std::string_view::npos) return std::nullopt;
        names.emplace_back(m.name);
    }
    return fmt::format("unknown mechanism '{}'{} (one of: pass, any, invariant, invariant:<name>, exception, "
                       "crash, timeout, slo)",
                       word, did_you_mean(word, names));
}

bool mechanism_matches(std::string_view word, std::string_view mechanism) {
    if (word == mechanism) return true;
    // A family word matches every member: `invariant` matches `invariant:exactly_once`.
    return mechanism.size() > word.size() && mechanism.starts_with(word) && mechanism[word.size()] == ':';
}

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
                matched.push_back(d.mechanism);
                break;
            }
        }
    }
    std::vector<std::string> seen;
    for (const auto& d : job.detections) seen.push_back(d.mechanism);
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
