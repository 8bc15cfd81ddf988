// The activity board: a shared-memory file where each worker thread publishes the op it is in,
// so that the supervisor can say what every thread was doing when a job hangs.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/result.hpp"
#include "model/scenario.hpp"

namespace threadmill {

struct alignas(64) ActivitySlot {
    std::atomic<std::int32_t> op{-1};  ///< index of the current or last op, -1 before the first
    std::atomic<std::uint32_t> in_op{0};
    std::atomic<std::uint64_t> ops_done{0};
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "slots are shared across processes");

/// What the worker itself saw first that the driver judges a detection: an invariant broken
/// (online, at a quiescent check or at the final check) or an operation that threw.
enum class WorkerDetection : std::uint32_t { none = 0, invariant = 1, exception = 2 };

/// The board's job-wide part, as the supervisor reads it after the worker ended (whatever way).
struct BoardTiming {
    /// CLOCK_MONOTONIC (std::chrono::steady_clock, shared by every process of the machine) at the
    /// start barrier, in nanoseconds; none when the worker never got there.
    std::optional<std::int64_t> start_ns;
    WorkerDetection first = WorkerDetection::none;
    std::int64_t first_ns = 0;      ///< since the start barrier
    std::uint64_t first_ops = 0;    ///< operations completed over all threads by then
    std::uint64_t ops_done = 0;     ///< operations completed over all threads when read
};

/// Writer side (the worker). Only thread i writes slot i, with relaxed stores: the board
/// creates no happens-before edge between worker threads.
class ActivityBoard {
public:
    /// Maps `path` (created or truncated, its blocks allocated up front) with room for `threads`
    /// slots; an empty path gives a private in-memory board. Throws WriteError when the file
    /// cannot be created or the file system has no room for it.
    ActivityBoard(const std::string& path, int threads);
    ~ActivityBoard();
    ActivityBoard(const ActivityBoard&) = delete;
    ActivityBoard& operator=(const ActivityBoard&) = delete;
    ActivitySlot& slot(int thread) { return m_slots[thread]; }
    /// The start barrier released the threads at `steady_ns` (steady_clock's count).
    void started(std::int64_t steady_ns);
    /// Something the driver will judge a detection happened `since_start_ns` after the start;
    /// only the first call of a job is kept. Any thread may call it.
    void detected(WorkerDetection what, std::int64_t since_start_ns);

    /// The file's first block: its layout is activity.cpp's (readers map it too).
    struct Header;

private:
    Header* header() const;
    std::uint64_t ops_done() const;

    void* m_map = nullptr;
    std::size_t m_size = 0;
    ActivitySlot* m_slots = nullptr;
    int m_threads = 0;
};

/// Reader side (the supervisor): the activity of each thread of `scenario`, naming ops and
/// groups; empty when the file is missing or not a board.
std::vector<ThreadActivity> read_activity(const std::string& path, const Scenario& scenario,
                                          const TargetInfo& target);
/// Reader side: the job-wide timing of the board at `path`; all empty when the file is missing
/// or not a board.
BoardTiming read_board_timing(const std::string& path);

}  // namespace threadmill
