// The activity board: a shared-memory file where each worker thread publishes the op it is in,
// so that the supervisor can say what every thread was doing when a job hangs.
#pragma once

#include <atomic>
#include <cstdint>
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

private:
    void* m_map = nullptr;
    std::size_t m_size = 0;
    ActivitySlot* m_slots = nullptr;
};

/// Reader side (the supervisor): the activity of each thread of `scenario`, naming ops and
/// groups; empty when the file is missing or not a board.
std::vector<ThreadActivity> read_activity(const std::string& path, const Scenario& scenario,
                                          const TargetInfo& target);

}  // namespace threadmill
