// When a job's first detection happened, and how many detections it saw per operation.
#pragma once

#include <cstdint>
#include <optional>

#include "model/activity.hpp"
#include "model/result.hpp"

namespace threadmill {

/// What the supervisor saw of a job's timing. Every instant is steady_clock's count in
/// nanoseconds (CLOCK_MONOTONIC, the same in the driver and the worker).
struct JobTiming {
    BoardTiming board;  ///< the worker's activity board, read after it ended
    /// When the supervisor, polling every 2 ms while the worker ran, first saw a sanitizer log
    /// with something in it, and the operations completed by then.
    std::optional<std::int64_t> sanitizer_log_ns;
    std::uint64_t sanitizer_log_ops = 0;
    std::int64_t ended_ns = 0;  ///< when the supervisor saw the worker end, or killed it
};

/// Sets job.first_detection, job.ops_run and job.detection_events from the job's detections
/// (complete: after the history check and the budgets) and its timing. Each kind is timed where
/// it shows:
///  - invariant and exception: by the worker thread that saw it, at that operation or checkpoint;
///  - a sanitizer report: when its log first had something in it (within the 2 ms poll);
///  - crash and timeout: when the worker ended (a hang is timed at its timeout, not at its start);
///  - linearizability: the return of the earliest operation that cannot be placed (no op count).
/// The earliest of those that the job's detections include is the first detection; none without
/// the start barrier's time (the worker never started its threads). Its strategy is the schedule
/// slice running then (a portfolio's), when the worker wrote its measurement.
void time_detections(JobResult& job, const JobTiming& timing);

}  // namespace threadmill
