// WorkerPool and parallel_execute: a reused pool, and per-call gathering state shared with the call's tasks.
#include "targets/cache/parallel_execute.hpp"

#include <algorithm>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

namespace threadmill::cache {

// ---- WorkerPool ---------------------------------------------------------------------------------

WorkerPool::WorkerPool(std::size_t threads) {
    if (threads == 0) throw std::invalid_argument("a WorkerPool needs at least one thread");
    m_threads.reserve(threads);
    try {
        for (std::size_t i = 0; i < threads; ++i) m_threads.emplace_back([this] { work(); });
    } catch (...) {
        {
            const std::lock_guard guard(m_mutex);
            m_stopping = true;
        }
        m_wake.notify_all();
        for (auto& t : m_threads) t.join();
        throw;
    }
    m_ids.reserve(threads);
    for (const auto& t : m_threads) m_ids.push_back(t.get_id());
}

WorkerPool::~WorkerPool() {
    {
        const std::lock_guard guard(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    for (auto& t : m_threads) t.join();
}

void WorkerPool::submit(std::function<void()> task) {
    {
        const std::lock_guard guard(m_mutex);
        m_tasks.push_back(std::move(task));
    }
    m_wake.notify_one();
}

void WorkerPool::work() noexcept {
    std::unique_lock guard(m_mutex);
    for (;;) {
        m_wake.wait(guard, [&] { return m_stopping || !m_tasks.empty(); });
        // Stopping with an empty queue: done. A task still running elsewhere may queue another
        // one, but then its own thread comes back here and finds it.
        if (m_tasks.empty()) return;
        std::function<void()> task = std::move(m_tasks.front());
        m_tasks.pop_front();
        guard.unlock();
        task();
        task = nullptr;  // its captures may own a call's state: release them outside the lock
        guard.lock();
    }
}

// ---- parallel_execute ---------------------------------------------------------------------------

std::string_view to_string(KeyStatus s) {
    switch (s) {
        case KeyStatus::ok: return "ok";
        case KeyStatus::failed: return "failed";
        case KeyStatus::timed_out: return "timed_out";
    }
    return "?";
}

namespace {

/// What one call shares with its tasks. Positions [0, next) have been handed to tasks; a task
/// runs one position and, when it is done, hands the next one to a new task, so at most
/// `width` tasks of the call exist at once.
struct GatherState {
    GatherState(std::span<const std::uint64_t> k, const KeyOperation& op, ExecutorFaults f, std::size_t width)
        : keys(k.begin(), k.end()), operation(op), faults(f), next(width), remaining(k.size()) {}

    const std::vector<std::uint64_t> keys;  ///< a copy: late tasks outlive the caller's span
    const KeyOperation operation;           ///< a copy, likewise
    const ExecutorFaults faults;

    std::mutex mutex;
    std::condition_variable finished;          ///< notified when `remaining` reaches 0
    std::map<std::size_t, KeyResult> results;  ///< by position; guarded by `mutex`
    std::size_t next;                          ///< guarded by `mutex`
    std::size_t remaining;                     ///< positions not finished; guarded by `mutex`
    bool closed = false;  ///< the caller has taken the results: drop late ones; guarded by `mutex`
};

KeyResult run_operation(const KeyOperation& operation, std::uint64_t key) {
    try {
        return {key, KeyStatus::ok, operation(key), {}};
    } catch (const std::exception& e) {
        return {key, KeyStatus::failed, 0, e.what()};
    } catch (...) {
        return {key, KeyStatus::failed, 0, "unknown exception"};
    }
}

void submit_position(WorkerPool& pool, std::shared_ptr<GatherState> state, std::size_t position);

/// One task: runs the operation of `position` outside any lock, stores its result unless the
/// call has returned, and hands on the next position. After its last critical section it does
/// not touch the state again (so that a call that never timed out frees it safely, even in the
/// late_write_after_timeout mode).
void run_position(WorkerPool& pool, const std::shared_ptr<GatherState>& state, std::size_t position) {
    GatherState& s = *state;
    {
        const std::lock_guard guard(s.mutex);
        if (s.closed) return;  // queued past the deadline: the caller gave up on it, do not run it
    }
    KeyResult result = run_operation(s.operation, s.keys[position]);
    std::optional<std::size_t> next;
    {
        std::unique_lock guard(s.mutex, std::defer_lock);
        if (s.faults.unlocked_results) {
            s.results.insert_or_assign(position, std::move(result));  // the defect: no lock, no closed check
            guard.lock();
        } else {
            guard.lock();
            if (!s.closed) s.results.emplace(position, std::move(result));
        }
        --s.remaining;
        if (!s.closed && s.next < s.keys.size()) next = s.next++;
        if (s.remaining == 0) s.finished.notify_all();
    }
    if (next) submit_position(pool, state, *next);
}

void submit_position(WorkerPool& pool, std::shared_ptr<GatherState> state, std::size_t position) {
    pool.submit([&pool, state = std::move(state), position] { run_position(pool, state, position); });
}

}  // namespace

std::vector<KeyResult> parallel_execute(WorkerPool& pool, std::span<const std::uint64_t> keys,
                                        const KeyOperation& operation, const ParallelOptions& options) {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point start = Clock::now();
    if (keys.empty()) return {};

    const std::size_t limit = options.max_parallel == 0 ? pool.size() : options.max_parallel;
    const std::size_t width = std::min({keys.size(), pool.size(), limit});
    const auto owned = std::make_shared<GatherState>(keys, operation, options.faults, width);
    std::shared_ptr<GatherState> for_tasks = owned;
    if (options.faults.late_write_after_timeout) {
        // The defect: the tasks get a pointer that owns nothing, so the state dies with this call.
        for_tasks = std::shared_ptr<GatherState>(std::shared_ptr<GatherState>{}, owned.get());
    }
    for (std::size_t position = 0; position < width; ++position) submit_position(pool, for_tasks, position);

    GatherState& s = *owned;
    std::unique_lock guard(s.mutex);
    const auto all_done = [&] { return s.remaining == 0; };
    if (options.timeout == k_no_timeout) {
        s.finished.wait(guard, all_done);
    } else {
        const auto timeout = std::clamp(options.timeout, std::chrono::nanoseconds{0},
                                        std::chrono::nanoseconds{Clock::time_point::max() - start});
        s.finished.wait_until(guard, start + timeout, all_done);
    }
    s.closed = true;

    std::vector<KeyResult> results;
    results.reserve(s.keys.size());
    for (std::size_t position = 0; position < s.keys.size(); ++position) {
        const auto it = s.results.find(position);
        if (it == s.results.end()) {
            results.push_back({s.keys[position], KeyStatus::timed_out, 0, {}});
            continue;
        }
        results.push_back(it->second);
        if (options.faults.results_lost_on_failure && it->second.status == KeyStatus::failed) break;  // the defect
    }
    return results;
}

}  // namespace threadmill::cache
