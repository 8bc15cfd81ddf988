// Text that several reports print the same way: a job's outcome and its reason, a budget's
// figure and use, a frame's location.
#include "reports/report_text.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "model/mechanism.hpp"
#include "model/outcome.hpp"

#include "model/text.hpp"
#include "model/units.hpp"

namespace threadmill {

double budget_use(const BudgetResult& b) {
    if (b.unit == "ops/s") return b.value > 0 ? b.limit / b.value : 1e9;
    return b.limit > 0 ? b.value / b.limit : 0;
}

std::string budget_figure(double value, const std::string& unit) {
    if (unit == "ns") return format_duration_ns(value);
    return fmt::format("{:.3g} ops/s", value);
}

std::string frame_location(const Frame& f, const std::string& source_root) {
    // A user frame without a line is the worker's build, not the code: say so rather than print ":0".
    if (f.user && !has_line_info(f))
        return fmt::format("{}{}({})", f.file.empty() ? f.module : source_relative(f.file, source_root),
                           f.file.empty() && f.module.empty() ? "" : " ", k_no_line_info);
    if (f.file.empty()) return f.module;
    return fmt::format("{}:{}{}", source_relative(f.file, source_root), f.line,
                       f.column > 0 ? fmt::format(":{}", f.column) : "");
}

std::string outcome_label(const JobResult& job) { return std::string(info(outcome_of(job)).label); }

std::string outcome_reason(const JobResult& job) {
    switch (outcome_of(job)) {
        case Outcome::ok: return "";
        case Outcome::caught: {
            if (std::find(job.expected.begin(), job.expected.end(), "any") != job.expected.end())
                return job.expectation_detail;
            // The mechanisms that met the expectation, each once, in detection order.
            std::vector<std::string> by;
            for (const auto& d : job.detections) {
                const bool expected = std::any_of(job.expected.begin(), job.expected.end(), [&](const std::string& w) {
                    return w != "pass" && mechanism_matches(w, d.mechanism);
                });
                if (expected && std::find(by.begin(), by.end(), d.mechanism) == by.end()) by.push_back(d.mechanism);
            }
            if (by.empty()) return job.expectation_detail;  // an old file without `expected`
            constexpr std::size_t k_named = 3;
            const std::size_t more = by.size() > k_named ? by.size() - k_named : 0;
            by.resize(std::min(by.size(), k_named));
            return fmt::format("by {}{}", fmt::join(by, ", "), more > 0 ? fmt::format(" (+{} more)", more) : "");
        }
        case Outcome::missed:
        case Outcome::unexpected:
        case Outcome::error: return job.expectation_detail;
    }
    return job.expectation_detail;
}

std::string incomplete_run_text(const RunSummary& s) {
    return fmt::format("incomplete run ({} job{} of {} planned)", s.ran, s.ran == 1 ? "" : "s", s.planned);
}

std::string unrecorded_text(const RunSummary& s) {
    if (s.unrecorded.empty()) return {};
    std::string jobs;
    for (const int i : s.unrecorded) jobs += fmt::format("{}{}", jobs.empty() ? "" : ", ", i);
    const bool one = s.unrecorded.size() == 1;
    return fmt::format("unrecorded: job{} {} ran but {} not in {} (the line could not be written)", one ? "" : "s", jobs,
                       one ? "is" : "are", s.results_path.empty() ? "results.jsonl" : s.results_path);
}

std::string suppression_count_text(const SuppressionPatternUse& p) {
    if (!p.counted) return "not counted";
    return p.stale() ? "0 (stale)" : fmt::format("{}", p.count);
}

std::vector<std::string> stale_suppression_lines(const RunSummary& s, const std::string& source_root) {
    constexpr std::size_t k_listed = 5;
    std::vector<std::string> out;
    for (const auto& f : s.suppression_files) {
        if (f.origin == k_origin_threadmill) continue;  // threadmill's own files are its maintainers' to prune
        std::vector<std::string> stale;
        for (const auto& p : f.patterns) {
            if (p.stale()) stale.push_back(p.text);
        }
        if (stale.empty()) continue;
        const std::size_t shown = std::min(stale.size(), k_listed);
        std::string list = fmt::format("{}", fmt::join(stale.begin(), stale.begin() + static_cast<std::ptrdiff_t>(shown), ", "));
        if (stale.size() > shown) list += fmt::format(" and {} more", stale.size() - shown);
        out.push_back(fmt::format("stale suppression{} in {} ({}): {} matched nothing in {} job{}", stale.size() == 1 ? "" : "s",
                                  source_relative(f.path, source_root), f.origin, list, f.jobs, f.jobs == 1 ? "" : "s"));
    }
    return out;
}

std::string first_detection_when(const JobResult& job) {
    if (!job.first_detection) return "";
    const FirstDetection& f = *job.first_detection;
    std::string text = "after " + format_duration_ns(f.seconds * 1e9);
    if (f.ops) text += fmt::format(" and {} ops", format_count_rate(static_cast<double>(*f.ops)));
    // Only a portfolio says which strategy: a job of one strategy names it in its scenario.
    if (!f.strategy.empty() && job.measurement && job.measurement->schedule.size() > 1) text += fmt::format(" ({})", f.strategy);
    return text;
}

std::string first_detection_text(const JobResult& job) {
    if (!job.first_detection) return "";
    return job.first_detection->mechanism + " " + first_detection_when(job);
}

std::string rate_text(const DetectionRate& d) {
    return fmt::format("{}/{} job{} ({}-{})", d.detected, d.jobs, d.jobs == 1 ? "" : "s", format_percent(d.rate.low),
                       format_percent(d.rate.high));
}

std::string rate_bound_text(const DetectionRate& d) {
    if (!d.zero_bound) return "";
    return fmt::format("under {} per job ({:.0f}%)", format_percent(*d.zero_bound), k_detection_confidence * 100);
}

std::string rate_goal_text(const DetectionRate& d) {
    if (!d.jobs_for_goal) return "";
    return fmt::format("{} job{} for {:.0f}%", *d.jobs_for_goal, *d.jobs_for_goal == 1 ? "" : "s", k_detection_goal * 100);
}

std::string rate_first_text(const DetectionRate& d) {
    if (!d.median_first_seconds) return "";
    std::string text = "median " + format_duration_ns(*d.median_first_seconds * 1e9);
    if (d.median_first_ops) text += ", " + format_count_rate(*d.median_first_ops) + " ops";
    if (!d.found_by.empty()) {
        std::vector<std::string> by;
        for (const auto& [strategy, n] : d.found_by) by.push_back(fmt::format("{} {}", strategy, n));
        text += fmt::format("; found by {}", fmt::join(by, ", "));
    }
    return text;
}

std::string confirmation_text(const JobResult& job) {
    if (!job.confirmation) return "";
    const Confirmation& c = *job.confirmation;
    const std::string word(info(outcome_of(job)).word);
    if (c.runs == 0) return "not confirmed: no rerun ran to its end";
    std::string text;
    if (c.deterministic()) {
        text = fmt::format("deterministic: {} again in {} of {} reruns with the same seed", word, c.reproduced, c.runs);
    } else if (c.reproduced == 0) {
        text = fmt::format("not reproduced in {} rerun{} with the same seed", c.runs, c.runs == 1 ? "" : "s");
    } else {
        text = fmt::format("flaky: {} again in {} of {} reruns with the same seed", word, c.reproduced, c.runs);
    }
    // A safe variant that fails at all is a finding, however rarely: the target misbehaves
    // under some schedules, and the seed does not fix the schedule.
    const bool safe = job.expected == std::vector<std::string>{"pass"};
    if (safe && outcome_of(job) == Outcome::unexpected && !c.deterministic())
        text += " (a safe variant that fails only sometimes is a real finding about the target: it misbehaves under "
                "some schedules)";
    return text;
}

bool has_repeated_jobs(const RunSummary& s) {
    return std::any_of(s.detection_rates.begin(), s.detection_rates.end(), [](const DetectionRate& d) { return d.jobs > 1; });
}

}  // namespace threadmill
