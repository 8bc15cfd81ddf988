// ThreadSafeBroadcastTimer: validation, the bounded queue, the pump and the owner thread's drain loop.
#include "targets/timer_queue/timer_queue.hpp"

#include "api/clock.hpp"

#include <algorithm>
#include <chrono>

namespace threadmill::timer_queue {

std::string_view to_string(OperationKind k) {
    switch (k) {
        case OperationKind::start_show: return "start_show";
        case OperationKind::stop_show: return "stop_show";
        case OperationKind::schedule_break_warnings: return "schedule_break_warnings";
        case OperationKind::start_ad_break: return "start_ad_break";
        case OperationKind::time_until: return "time_until";
        case OperationKind::is_timer_active: return "is_timer_active";
    }
    return "?";
}

std::string_view to_string(WaitStatus s) {
    switch (s) {
        case WaitStatus::answered: return "answered";
        case WaitStatus::refused: return "refused";
        case WaitStatus::stopped: return "stopped";
        case WaitStatus::dropped: return "dropped";
        case WaitStatus::timed_out: return "timed_out";
    }
    return "?";
}

void WaitSlot::release(WaitStatus status, Nanos left) {
    {
        std::lock_guard lk(m_mutex);
        if (m_released) return;
        m_released = true;
        m_result = {status, left};
    }
    // The releaser holds the operation (and through it this slot) until it returns.
    m_cv.notify_all();
}

WaitResult WaitSlot::wait(Nanos timeout) {
    std::unique_lock lk(m_mutex);
    if (!m_cv.wait_for(lk, timeout, [this] { return m_released; })) return {WaitStatus::timed_out, Nanos(0)};
    return m_result;
}

TimerQueue::TimerQueue(BroadcastTimer& timer, const Clock& clock, TimerQueueOptions options, OwnerObserver* observer)
    : m_timer(timer), m_clock(clock), m_options(std::move(options)), m_observer(observer) {
    m_batch.reserve(std::max<std::size_t>(m_options.batch_size, 1));
}

TimerQueue::~TimerQueue() { stop(); }

void TimerQueue::start() {
    std::lock_guard life(m_lifecycle);
    std::lock_guard lk(m_mutex);
    if (m_life.load(std::memory_order_relaxed) == Life::running) return;
    // Not running: never started, or stop() joined the last owner (both under m_lifecycle).
    m_life.store(Life::running, std::memory_order_release);
    // Godot calls _Ready (where the document's `_isInitialized` would be set) only the first time
    // a node enters the tree: ready_once makes the queue ready on the first start only.
    if (!m_options.faults.ready_once || m_stats.starts == 0) m_ready = true;
    ++m_stats.starts;
    m_thread = std::thread([this] { owner_main(); });
    m_owner_id.store(m_thread.get_id(), std::memory_order_release);
    // Before the owner can run (it starts by taking the lock held here).
    m_timer.set_owner(m_thread.get_id());
    // What was kept before the first start (or, in a mutant, queued while closed): drained first.
    if (m_ready && !m_queue.empty()) m_state.store(DrainState::requested, std::memory_order_release);
}

void TimerQueue::stop() {
    std::lock_guard life(m_lifecycle);
    {
        std::lock_guard lk(m_mutex);
        if (m_life.load(std::memory_order_relaxed) == Life::stopped) return;
        // From here every call is refused, and nothing queued is left for the owner: it ends its
        // drain after the batch it holds.
        m_life.store(Life::stopping, std::memory_order_release);
        m_ready = false;
        cancel_queued_locked();
    }
    if (m_thread.joinable()) {
        m_pump_cv.notify_one();
        m_thread.join();
    }
    std::lock_guard lk(m_mutex);
    m_life.store(Life::stopped, std::memory_order_release);
}

void TimerQueue::cancel_queued_locked() {
    for (TimerOperation& op : m_queue) {
        ++m_stats.cancelled;
        if (op.is_query()) ++m_stats.cancelled_queries;
        // The caller blocked on a cancelled query returns at once; the mutant only drops the record.
        if (op.m_waiter && !m_options.faults.stop_strands_waiters) op.m_waiter->release(WaitStatus::stopped);
    }
    m_queue.clear();
}

bool TimerQueue::is_open(Life l) { return l == Life::unstarted || l == Life::running; }

bool TimerQueue::accepting() const { return is_open(m_life.load(std::memory_order_acquire)); }

TimerOperation TimerQueue::make(OperationKind kind, std::optional<std::uint64_t> id, Nanos duration,
                                TimingEvent event, TimerOperation::Callback callback) const {
    return TimerOperation(kind, m_clock.now_ns(), id, duration, event, std::move(callback));
}

bool TimerQueue::reject() {
    m_rejected.fetch_add(1, std::memory_order_relaxed);
    return false;
}

bool TimerQueue::start_show(Nanos duration, std::optional<std::uint64_t> id) {
    if (duration.count() <= 0) return reject();
    return enqueue(make(OperationKind::start_show, id, duration));
}

bool TimerQueue::stop_show(std::optional<std::uint64_t> id) { return enqueue(make(OperationKind::stop_show, id)); }

bool TimerQueue::schedule_break_warnings(Nanos from_now, std::optional<std::uint64_t> id) {
    if (from_now.count() <= 0) return reject();
    return enqueue(make(OperationKind::schedule_break_warnings, id, from_now));
}

bool TimerQueue::start_ad_break(Nanos duration, std::optional<std::uint64_t> id) {
    if (duration.count() <= 0) return reject();
    return enqueue(make(OperationKind::start_ad_break, id, duration));
}

bool TimerQueue::get_time_until(TimingEvent event, TimeCallback callback, std::optional<std::uint64_t> id) {
    if (!callback) return reject();
    return enqueue(make(OperationKind::time_until, id, Nanos(0), event, std::move(callback)));
}

bool TimerQueue::is_timer_active(TimingEvent event, ActiveCallback callback, std::optional<std::uint64_t> id) {
    if (!callback) return reject();
    return enqueue(make(OperationKind::is_timer_active, id, Nanos(0), event, std::move(callback)));
}

WaitResult TimerQueue::wait_time_until(TimingEvent event, Nanos timeout, std::optional<std::uint64_t> id) {
    auto slot = std::make_shared<WaitSlot>();
    TimerOperation op = make(OperationKind::time_until, id, Nanos(0), event,
                             TimeCallback([slot](Nanos left) { slot->release(WaitStatus::answered, left); }));
    op.m_waiter = slot;
    if (!enqueue(std::move(op))) return {WaitStatus::refused, Nanos(0)};
    return slot->wait(timeout);
}

bool TimerQueue::enqueue(TimerOperation op) {
    const TimerQueueFaults& faults = m_options.faults;
    if (faults.direct_call) {
        // The document's "Before": the caller's thread touches the timer itself.
        apply(op);
        std::lock_guard lk(m_mutex);
        ++m_stats.accepted;
        ++m_stats.processed;
        return true;
    }
    if (faults.open_test_outside) {
        // Decides from a state that stop() may change before this operation is queued: a stop()
        // in between closes the queue and cancels what it holds, and this push comes after it.
        const bool open = is_open(m_life.load(std::memory_order_acquire));
        if (m_options.gap) m_options.gap();
        if (!open) {
            std::lock_guard lk(m_mutex);
            ++m_stats.refused;
            return false;
        }
    }
    bool pump = false;
    if (faults.pump_test_outside) {
        // Decides from a state that the owner may change before this operation is queued: a
        // drain seen running here may have found the queue empty and gone idle by then.
        pump = m_state.load(std::memory_order_acquire) == DrainState::idle;
        if (m_options.gap) m_options.gap();
    }
    {
        std::unique_lock lk(m_mutex, std::defer_lock);
        if (!faults.unlocked_queue) lk.lock();
        // The test of the queue's state and the push share this critical section: once stop()
        // has closed the queue (under this lock), nothing more is queued.
        if (!faults.open_test_outside && !is_open(m_life.load(std::memory_order_relaxed))) {
            ++m_stats.refused;
            return false;
        }
        if (!faults.unbounded && m_queue.size() >= m_options.max_queue) {
            TimerOperation& oldest = m_queue.front();
            ++m_stats.dropped;
            if (oldest.is_query()) ++m_stats.dropped_queries;
            if (oldest.m_waiter) oldest.m_waiter->release(WaitStatus::dropped);
            m_queue.pop_front();
        }
        m_queue.push_back(std::move(op));
        ++m_stats.accepted;
        m_stats.high_water = std::max(m_stats.high_water, m_queue.size());
        if (faults.unlocked_queue) lk.lock();  // only the queue itself goes unguarded
        if (!faults.pump_test_outside) pump = m_state.load(std::memory_order_relaxed) == DrainState::idle;
        if (pump && m_ready && m_state.load(std::memory_order_relaxed) == DrainState::idle) {
            m_state.store(DrainState::requested, std::memory_order_release);
        } else {
            pump = false;
        }
        // The promises "a pump is requested whenever an operation is queued to a running owner
        // with no drain in progress" and "nothing is queued once stop() has closed the queue",
        // observed where they must hold.
        const Life life = m_life.load(std::memory_order_relaxed);
        if (life == Life::running && m_state.load(std::memory_order_relaxed) == DrainState::idle) ++m_stats.unpumped;
        if (!is_open(life)) ++m_stats.pushed_while_closed;
    }
    if (pump) m_pump_cv.notify_one();
    return true;
}

void TimerQueue::apply(const TimerOperation& op) {
    switch (op.kind()) {
        case OperationKind::start_show: m_timer.start_show(op.duration()); return;
        case OperationKind::stop_show: m_timer.stop_show(); return;
        case OperationKind::schedule_break_warnings: m_timer.schedule_break_warnings(op.duration()); return;
        case OperationKind::start_ad_break: m_timer.start_ad_break(op.duration()); return;
        case OperationKind::time_until: std::get<TimeCallback>(op.m_callback)(m_timer.time_until(op.event())); return;
        case OperationKind::is_timer_active:
            std::get<ActiveCallback>(op.m_callback)(m_timer.is_timer_active(op.event()));
            return;
    }
}

void TimerQueue::owner_main() {
    const std::size_t batch_size = std::max<std::size_t>(m_options.batch_size, 1);
    std::unique_lock lk(m_mutex);
    m_last_frame_ns = m_clock.now_ns();
    const auto stopping = [this] { return m_life.load(std::memory_order_relaxed) == Life::stopping; };
    for (;;) {
        m_pump_cv.wait(lk, [&] { return stopping() || m_state.load(std::memory_order_relaxed) != DrainState::idle; });
        if (stopping()) break;
        m_state.store(DrainState::draining, std::memory_order_release);
        // One drain: a frame per batch until the queue is found empty under the lock, or until
        // stop() (which cancelled what was queued) ends it after the batch in hand.
        while (!stopping() && !m_queue.empty()) {
            const std::size_t n = std::min(batch_size, m_queue.size());
            for (std::size_t i = 0; i < n; ++i) {
                m_batch.push_back(std::move(m_queue.front()));
                m_queue.pop_front();
            }
            if (!m_options.faults.drain_under_lock) lk.unlock();
            if (m_observer) m_observer->frame_begins();
            const std::int64_t now = m_clock.now_ns();
            m_timer.process(Nanos(now - m_last_frame_ns));
            m_last_frame_ns = now;
            if (m_observer) m_observer->frame_processed();
            std::uint64_t callback_errors = 0;
            for (const TimerOperation& op : m_batch) {
                // The document wraps each operation in try/catch: a caller's callback that throws
                // must not end the owner (the one thread that drives the timer).
                if (m_options.faults.unguarded_apply) {
                    apply(op);
                } else {
                    try {
                        apply(op);
                    } catch (...) {
                        ++callback_errors;
                    }
                }
                busy_for(m_options.apply_cost);
                if (m_observer) m_observer->applied(op);
            }
            const bool show_active = m_timer.is_timer_active(TimingEvent::show_end);
            const std::int64_t done_at = m_clock.now_ns();
            if (!lk.owns_lock()) lk.lock();
            m_stats.processed += m_batch.size();
            m_stats.callback_errors += callback_errors;
            m_show_active = show_active;
            m_last_process_ns = done_at;
            m_batch.clear();
        }
        m_state.store(DrainState::idle, std::memory_order_release);
        m_idle_cv.notify_all();
    }
    m_state.store(DrainState::idle, std::memory_order_release);
    m_idle_cv.notify_all();
}

std::size_t TimerQueue::queue_size() const {
    // The document: `public int QueueSize => _operationQueue.Count;` with no lock.
    if (m_options.faults.unlocked_getters) return m_queue.size();
    std::lock_guard lk(m_mutex);
    return m_queue.size();
}

bool TimerQueue::is_show_active() const {
    std::lock_guard lk(m_mutex);
    // The document: `lock (_lock) { return _broadcastTimer?.IsShowActive ?? false; }`, but the
    // owner writes the timer without that lock: the lock protects nothing here.
    if (m_options.faults.unlocked_getters) return m_timer.is_show_active_unchecked();
    return m_show_active;
}

DebugInfo TimerQueue::debug_info() const {
    std::lock_guard lk(m_mutex);
    return {m_ready, m_queue.size(), m_stats.processed, m_last_process_ns};
}

QueueStats TimerQueue::stats_locked() const {
    QueueStats s = m_stats;
    s.rejected = m_rejected.load(std::memory_order_relaxed);
    s.queued = m_queue.size();
    s.queued_queries = static_cast<std::size_t>(
        std::count_if(m_queue.begin(), m_queue.end(), [](const TimerOperation& op) { return op.is_query(); }));
    return s;
}

QueueStats TimerQueue::stats() const {
    std::lock_guard lk(m_mutex);
    return stats_locked();
}

std::optional<PausedView> TimerQueue::pause_and_inspect(Nanos timeout) const {
    std::unique_lock lk(m_mutex);
    if (!m_idle_cv.wait_for(lk, timeout,
                            [this] { return m_state.load(std::memory_order_relaxed) == DrainState::idle; })) {
        return std::nullopt;
    }
    PausedView v;
    v.stats = stats_locked();
    v.running = m_life.load(std::memory_order_relaxed) == Life::running;
    constexpr std::size_t k_ids_shown = 5;
    for (const TimerOperation& op : m_queue) {
        if (v.queued_ids.size() == k_ids_shown) break;
        if (op.id()) v.queued_ids.push_back(*op.id());
    }
    return v;
}

}  // namespace threadmill::timer_queue
