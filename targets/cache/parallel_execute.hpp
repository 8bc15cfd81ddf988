// pyWATS's parallel_execute in C++: one operation per key on a reused pool of threads, results gathered in key order.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace threadmill::cache {

/// A fixed pool of threads, started once by the constructor and reused by every task submitted
/// to it (the document's Pitfall #2: never a pool per call). Tasks run in submission order on
/// whichever thread is free. submit() is safe from any thread, pool threads included.
class WorkerPool {
public:
    /// Starts `threads` threads; throws std::invalid_argument when `threads` is 0.
    explicit WorkerPool(std::size_t threads);
    /// Runs every task submitted before or during the destruction (tasks may submit more),
    /// then joins the threads. Blocks as long as a task does. No submit() from outside the
    /// pool may start once destruction has begun.
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    /// Queues `task`, to run once on a pool thread. Takes the pool's lock briefly and never
    /// waits for a thread to be free (the queue is unbounded). `task` must not throw: an
    /// exception escaping it ends the process (std::terminate).
    void submit(std::function<void()> task);
    /// The number of threads, fixed at construction.
    std::size_t size() const { return m_threads.size(); }
    /// The ids of the pool's threads, fixed at construction; every task runs on one of them.
    const std::vector<std::thread::id>& thread_ids() const { return m_ids; }

private:
    void work() noexcept;

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::function<void()>> m_tasks;  ///< guarded by m_mutex
    bool m_stopping = false;                    ///< guarded by m_mutex
    std::vector<std::thread> m_threads;
    std::vector<std::thread::id> m_ids;
};

/// How one key's operation ended.
enum class KeyStatus : std::uint8_t {
    ok,         ///< the operation returned a value
    failed,     ///< the operation threw
    timed_out,  ///< the operation had not finished (or not started) when the call's timeout passed
};

std::string_view to_string(KeyStatus s);

/// The outcome of one position of the keys.
struct KeyResult {
    std::uint64_t key = 0;                  ///< the key at this position
    KeyStatus status = KeyStatus::timed_out;
    std::uint64_t value = 0;                ///< what the operation returned, when `ok`; else 0
    std::string error;                      ///< the exception's what(), when `failed`; else empty
};

/// Deliberate defects, for the target's mutants. The default is the correct executor; each flag
/// is checked at the one place of its defect.
struct ExecutorFaults {
    /// Tasks insert their results into the call's std::map without the lock (the document's
    /// shared results dictionary): concurrent inserts race and corrupt the tree.
    bool unlocked_results = false;
    /// Gathering stops at the first failure in key order, as `[f.result() for f in futures]`
    /// does: the results after it, finished or not, are lost and the vector comes back short.
    bool results_lost_on_failure = false;
    /// The gathering state belongs to the call alone and its tasks hold a plain pointer to it:
    /// a task still running (or queued) when the call times out and returns later touches
    /// freed memory (heap-use-after-free). Harmless when every task finishes before the call
    /// returns, i.e. without a timeout.
    bool late_write_after_timeout = false;
};

/// The operation run for each key. It runs on pool threads, several at once, so it must be
/// thread-safe (the document's advice); it may throw.
using KeyOperation = std::function<std::uint64_t(std::uint64_t)>;

/// A timeout meaning "wait for every operation".
inline constexpr std::chrono::nanoseconds k_no_timeout = std::chrono::nanoseconds::max();

/// How parallel_execute runs one call; designated initializers name what differs from the default.
struct ParallelOptions {
    /// Most operations of this call running at once; 0 means the pool's size. More than the
    /// pool's size is the pool's size.
    std::size_t max_parallel = 0;
    /// How long after the call starts it stops waiting; an operation still running or queued
    /// then is `timed_out`. Zero or less: only what has already finished counts.
    std::chrono::nanoseconds timeout = k_no_timeout;
    ExecutorFaults faults{};  ///< the default: the correct executor
};

/// Runs `operation(keys[i])` for every position i on `pool` and returns one KeyResult per
/// position, in the order of `keys` (a repeated key runs once per position and gets one result
/// per position). A throwing operation makes its own position `failed`; every other position
/// keeps its result. Blocks the calling thread until every operation has finished or the
/// timeout has passed; operations then still running are `timed_out` and their results are
/// dropped, never written anywhere the caller can see, and the call does not wait for them;
/// operations not yet started then never run. Safe to call from many threads at once on one
/// pool.
///
/// `operation` is copied, and the copy may still run after the call has returned (after a
/// timeout): whatever it refers to must outlive the pool's queued and running tasks. Calling
/// from a pool thread without a timeout may deadlock (it holds a thread its tasks may need).
/// The pool must outlive the call.
std::vector<KeyResult> parallel_execute(WorkerPool& pool, std::span<const std::uint64_t> keys,
                                        const KeyOperation& operation, const ParallelOptions& options = {});

}  // namespace threadmill::cache

/// Formats a KeyStatus as its name.
template <>
struct fmt::formatter<threadmill::cache::KeyStatus> : fmt::formatter<std::string_view> {
    auto format(threadmill::cache::KeyStatus s, fmt::format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(threadmill::cache::to_string(s), ctx);
    }
};
