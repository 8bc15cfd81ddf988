// Timing a job's detections: the earliest one, and the detection events per operation.
#include "driver/first_detection.hpp"

#include <algorithm>
#include <string_view>

#include "model/finding.hpp"
#include "model/mechanism.hpp"

namespace threadmill {
namespace {

bool has_detection(const JobResult& job, std::string_view mechanism) {
    return std::any_of(job.detections.begin(), job.detections.end(),
                       [&](const Detection& d) { return mechanism_matches(mechanism, d.mechanism); });
}

std::uint64_t count_events(const JobResult& job) {
    std::uint64_t n = job.findings.size() + job.findings_dropped;
    if (job.measurement) {
        for (const auto& inv : job.measurement->invariants) n += inv.violations;
        for (const auto& op : job.measurement->ops) n += op.exceptions;
    }
    for (const auto& d : job.detections) {
        if (d.mechanism == "crash" || d.mechanism == "timeout" || d.mechanism == "linearizability" ||
            d.mechanism == "outcome" || d.mechanism == "slo")
            ++n;
    }
    return n;
}

}  // namespace

void time_detections(JobResult& job, const JobTiming& t) {
    const BoardTiming& b = t.board;
    if (job.measurement) job.ops_run = job.measurement->total_ops;
    else if (b.start_ns) job.ops_run = b.ops_done;
    job.detection_events = count_events(job);
    job.first_detection.reset();
    if (!b.start_ns) return;

    const auto since_start = [&](std::int64_t ns) { return static_cast<double>(ns - *b.start_ns) * 1e-9; };
    const auto consider = [&](std::string mechanism, double seconds, std::optional<std::uint64_t> ops) {
        seconds = std::max(0.0, seconds);
        if (!job.first_detection || seconds < job.first_detection->seconds)
            job.first_detection = FirstDetection{std::move(mechanism), seconds, ops, ""};
    };
    if (b.first == WorkerDetection::invariant && has_detection(job, "invariant"))
        consider("invariant", static_cast<double>(b.first_ns) * 1e-9, b.first_ops);
    if (b.first == WorkerDetection::exception && has_detection(job, "exception"))
        consider("exception", static_cast<double>(b.first_ns) * 1e-9, b.first_ops);
    if (t.sanitizer_log_ns && !job.findings.empty())
        consider(mechanism_of(job.findings.front()), since_start(*t.sanitizer_log_ns), t.sanitizer_log_ops);
    for (const char* ending : {"crash", "timeout"}) {
        if (has_detection(job, ending)) consider(ending, since_start(t.ended_ns), b.ops_done);
    }
    if (job.linearizability && has_detection(job, "linearizability")) {
        std::optional<std::int64_t> earliest;
        for (const auto& op : job.linearizability->window) {
            if (!op.unplaced) continue;
            const std::int64_t at = op.ret.value_or(op.call);
            if (!earliest || at < *earliest) earliest = at;
        }
        if (earliest) consider("linearizability", static_cast<double>(*earliest) * 1e-9, std::nullopt);
    }
    // Which strategy found it: a portfolio's slices are known only from a measurement.
    if (job.first_detection && job.measurement) {
        if (const StrategySlice* slice = slice_at(job.measurement->schedule, job.first_detection->seconds))
            job.first_detection->strategy = slice->strategy;
    }
}

}  // namespace threadmill
