// ThreadSafeBroadcastTimer in C++: a bounded, locked queue of timer operations drained by one owner thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include "targets/timer_queue/broadcast_timer.hpp"

namespace threadmill::timer_queue {

/// What a queued operation asks the timer to do.
enum class OperationKind : std::uint8_t {
    start_show,
    stop_show,
    schedule_break_warnings,
    start_ad_break,
    time_until,
    is_timer_active,
};

std::string_view to_string(OperationKind k);

/// Answers of the two query operations; they run on the owner thread.
using TimeCallback = std::function<void(Nanos)>;
using ActiveCallback = std::function<void(bool)>;

/// How a blocking query (TimerQueue::wait_time_until) ended.
enum class WaitStatus : std::uint8_t {
    answered,   ///< the owner applied the query: WaitResult::left holds its answer
    refused,    ///< the queue was closed (stop() had begun) when the call was made: never queued
    stopped,    ///< queued, then cancelled by stop() before the owner took it
    dropped,    ///< queued, then dropped as the oldest operation on overflow
    timed_out,  ///< none of these within the timeout; the query stays queued and its answer is discarded
};

std::string_view to_string(WaitStatus s);

/// What a blocking query returns: its status and, when answered, the time left.
struct WaitResult {
    WaitStatus status = WaitStatus::timed_out;
    Nanos left{0};
};

/// Where a blocking query's caller waits for its answer; released once, by the first of the
/// owner (answered), the overflow guard (dropped) or stop() (stopped).
class WaitSlot {
public:
    /// Sets the outcome and wakes the caller; a later release changes nothing.
    void release(WaitStatus status, Nanos left = Nanos(0));
    /// Waits at most `timeout` for release(); timed_out when it did not come.
    WaitResult wait(Nanos timeout);

private:
    std::mutex m_mutex;  ///< a leaf lock: nothing else is taken while it is held
    std::condition_variable m_cv;
    bool m_released = false;
    WaitResult m_result;
};

/// One timer operation: an immutable record (the document's `TimerOperation`), made only by
/// TimerQueue's API after its arguments were validated.
class TimerOperation {
public:
    OperationKind kind() const { return m_kind; }
    /// When the operation was made, on the queue's clock.
    std::int64_t created_at_ns() const { return m_created_at_ns; }
    const std::optional<std::uint64_t>& id() const { return m_id; }
    /// The duration of start_show and start_ad_break, the delay of schedule_break_warnings.
    Nanos duration() const { return m_duration; }
    /// The event a query asks about.
    TimingEvent event() const { return m_event; }
    bool is_query() const { return m_kind == OperationKind::time_until || m_kind == OperationKind::is_timer_active; }
    /// Whether a caller is blocked on this query (made by wait_time_until).
    bool has_waiter() const { return m_waiter != nullptr; }

private:
    friend class TimerQueue;
    using Callback = std::variant<std::monostate, TimeCallback, ActiveCallback>;
    TimerOperation(OperationKind kind, std::int64_t created_at_ns, std::optional<std::uint64_t> id, Nanos duration,
                   TimingEvent event, Callback callback)
        : m_kind(kind),
          m_created_at_ns(created_at_ns),
          m_id(id),
          m_duration(duration),
          m_event(event),
          m_callback(std::move(callback)) {}

    OperationKind m_kind;
    std::int64_t m_created_at_ns;
    std::optional<std::uint64_t> m_id;
    Nanos m_duration;
    TimingEvent m_event;
    Callback m_callback;
    std::shared_ptr<WaitSlot> m_waiter;  ///< set by wait_time_until; released however the query ends
};

/// Deliberate defects, for the target's mutants. The default is the correct queue; each flag is
/// checked at the one place of its defect.
struct TimerQueueFaults {
    bool direct_call = false;        ///< the API calls the timer on the caller's thread (the document's "Before")
    bool unlocked_queue = false;     ///< callers push and drop without the lock
    bool unbounded = false;          ///< no overflow guard
    bool pump_test_outside = false;  ///< callers test "is a drain needed" before taking the lock (lost wakeup)
    bool unlocked_getters = false;   ///< the document's QueueSize and IsShowActive getters (as_documented)
    /// The owner applies each operation with no try/catch around it: a callback that throws ends
    /// the owner thread, and with it the process (std::terminate).
    bool unguarded_apply = false;
    /// The owner keeps the queue lock while it applies a batch (slow work under the lock): callers
    /// wait for the whole batch; the document promises lock holds of microseconds.
    bool drain_under_lock = false;
    /// stop() discards the operations still queued without releasing the callers blocked on
    /// them: each waits out its own timeout.
    bool stop_strands_waiters = false;
    /// A caller tests "is the queue open" before taking the lock, then pushes under it without
    /// testing again: a stop() in between misses the operation, which is queued in a closed queue.
    bool open_test_outside = false;
    /// start() makes the queue ready (the document's `_isInitialized`) only the first time, as
    /// Godot calls `_Ready` once per node: after a stop() and a start() the owner runs but no call
    /// requests a pump.
    bool ready_once = false;
};

/// Called by the owner thread as it works; lets a test or the target keep a model of the timer.
class OwnerObserver {
public:
    virtual ~OwnerObserver() = default;
    /// Before the frame's process(delta): the place to advance a manual clock.
    virtual void frame_begins() {}
    /// After process(delta), before the frame's batch is applied.
    virtual void frame_processed() {}
    /// After `op` was applied to the timer (and its callback, if any, has returned).
    virtual void applied(const TimerOperation& op) { (void)op; }
};

struct TimerQueueOptions {
    std::size_t max_queue = 1000;  ///< the bound; the oldest operation is dropped to make room
    std::size_t batch_size = 64;   ///< most operations applied per frame
    Nanos apply_cost{0};           ///< busy work per applied operation (a slow main thread)
    TimerQueueFaults faults;
    /// Runs in a mutant's race window (a chaos point): lost_wakeup's, between its test of the
    /// drain state and the push; open_test_outside's, between its test of the queue's state and
    /// the push. Never in the correct code.
    std::function<void()> gap;
};

/// Counters of the queue. `accepted` = `processed` + `dropped` + `cancelled` + what is still
/// queued; every call is counted once, in `accepted`, `rejected` or `refused`.
struct QueueStats {
    std::uint64_t accepted = 0;           ///< operations queued (or, in direct_call, carried out)
    std::uint64_t rejected = 0;           ///< calls refused for an invalid argument, never queued
    std::uint64_t refused = 0;            ///< valid calls made while the queue was closed, never queued
    std::uint64_t dropped = 0;            ///< oldest operations dropped on overflow
    std::uint64_t dropped_queries = 0;    ///< of which queries (their callback never runs)
    std::uint64_t cancelled = 0;          ///< operations still queued when stop() closed the queue, discarded
    std::uint64_t cancelled_queries = 0;  ///< of which queries (their callback never runs)
    std::uint64_t processed = 0;          ///< operations applied by the owner
    std::uint64_t callback_errors = 0;    ///< of which a callback threw (caught, counted, the owner goes on)
    std::size_t high_water = 0;           ///< the largest queue size seen
    /// Operations left queued, at the end of their enqueue, with the owner running, idle and no
    /// pump requested: each waits until a later call requests one (zero in the correct queue).
    std::uint64_t unpumped = 0;
    /// Operations pushed after stop() had closed the queue (zero in the correct queue, which tests
    /// and pushes in one critical section): stop() cancelled the queue before they came, so
    /// nothing applies or cancels them until a later start().
    std::uint64_t pushed_while_closed = 0;
    std::uint64_t starts = 0;             ///< start() calls that started an owner thread
    std::size_t queued = 0;               ///< operations in the queue now
    std::size_t queued_queries = 0;       ///< of which queries
};

/// The document's GetDebugInfo().
struct DebugInfo {
    bool initialized = false;
    std::size_t queue_size = 0;
    std::uint64_t operations_processed = 0;
    std::int64_t last_process_ns = 0;  ///< on the queue's clock; 0 before the first batch
};

/// What the owner looked like while it was paused (see pause_and_inspect).
struct PausedView {
    QueueStats stats;
    bool running = false;                   ///< an owner thread runs (started, not stopped)
    std::vector<std::uint64_t> queued_ids;  ///< the ids of the first few operations still queued
};

/// The document's ThreadSafeBroadcastTimer. Every API call is safe from any thread: it validates
/// its arguments, then appends an operation under one lock; the owner thread (started by
/// start()) takes operations in batches, one batch per frame, and applies them to the timer,
/// which no other thread touches. A pump (the document's CallDeferred) is requested when an
/// operation is queued while the owner is ready and idle; the owner drains until it finds the
/// queue empty under the lock, so no operation is ever left behind.
///
/// Lifecycle, and the contract of a call that races stop(). The queue is unstarted, running,
/// stopping or stopped; the state changes under the queue's lock.
/// - Unstarted (from construction to the first start()): valid calls are accepted and kept; the
///   first start() has them applied (the document queues operations before `_isInitialized`).
/// - Running: valid calls are accepted, then applied by the owner or dropped on overflow.
/// - stop() closes the queue: from that critical section on (stopping, then stopped), a valid call
///   is refused: it returns false (a blocking query returns WaitStatus::refused), is counted in
///   `refused` and is never queued. In the same critical section stop() cancels every operation
///   still queued (counted in `cancelled`) and releases their waiters with WaitStatus::stopped;
///   the owner applies the batch it already holds, then exits, and stop() returns once it has
///   joined it. So a call that races stop() is exactly one of: applied (the owner took it before
///   the close), cancelled (queued before the close, not yet taken) or refused (made after it);
///   and when stop() returns the queue is empty and no caller is blocked on it.
/// - start() after stop() (a restart) reopens the queue with a new owner thread. A refused call is
///   not kept: nothing made while the queue was closed is applied after the restart.
/// start() and stop() are safe from any thread but the owner (a callback must not call them), also
/// concurrently: they are serialized.
class TimerQueue {
public:
    TimerQueue(BroadcastTimer& timer, const Clock& clock, TimerQueueOptions options = {},
               OwnerObserver* observer = nullptr);
    /// Stops (see stop()) and joins the owner thread if it runs.
    ~TimerQueue();
    TimerQueue(const TimerQueue&) = delete;
    TimerQueue& operator=(const TimerQueue&) = delete;

    /// Opens the queue and starts an owner thread (the timer belongs to it from then on), which
    /// applies what is queued. Does nothing while running.
    void start();
    /// Closes the queue, cancels what is still queued (releasing its waiters with `stopped`), lets
    /// the owner finish the batch it holds and joins it. Idempotent; from any state (an unstarted
    /// queue cancels the operations it kept).
    void stop();
    /// The current owner thread's id (a default id before the first start(); the last owner's
    /// after stop()).
    std::thread::id owner_id() const { return m_owner_id.load(std::memory_order_acquire); }
    /// Whether the queue accepts valid calls now (unstarted or running): a racy glance, for tests
    /// and chaos hooks.
    bool accepting() const;

    // The thread-safe API: each returns false, and counts a rejection, for an invalid argument
    // (a non-positive duration, an empty callback); with valid arguments, false (counted in
    // `refused`) once stop() has closed the queue, until the next start().
    bool start_show(Nanos duration, std::optional<std::uint64_t> id = {});
    bool stop_show(std::optional<std::uint64_t> id = {});
    bool schedule_break_warnings(Nanos from_now, std::optional<std::uint64_t> id = {});
    bool start_ad_break(Nanos duration, std::optional<std::uint64_t> id = {});
    /// `callback` gets the answer on the owner thread, exactly once, unless the operation is
    /// dropped on overflow or cancelled by stop().
    bool get_time_until(TimingEvent event, TimeCallback callback, std::optional<std::uint64_t> id = {});
    bool is_timer_active(TimingEvent event, ActiveCallback callback, std::optional<std::uint64_t> id = {});
    /// GetTimeUntil made blocking: queues a time_until query and waits (at most `timeout`) for the
    /// owner's answer. Returns `answered` with the time left, or, without an answer: `refused`
    /// (the queue was closed), `dropped` (the query was dropped on overflow), `stopped` (stop()
    /// cancelled it), each as soon as that happens; `timed_out` otherwise. Never call it from the
    /// owner thread (a callback): it would wait for itself.
    WaitResult wait_time_until(TimingEvent event, Nanos timeout, std::optional<std::uint64_t> id = {});

    /// Operations waiting now.
    std::size_t queue_size() const;
    /// Whether the show countdown ran when the owner last finished a batch.
    bool is_show_active() const;
    DebugInfo debug_info() const;
    QueueStats stats() const;

    /// Whether the owner is idle, with no drain requested or running (a racy glance, for tests
    /// and chaos hooks: it may change right after).
    bool drain_idle() const { return m_state.load(std::memory_order_acquire) == DrainState::idle; }

    /// Waits (at most `timeout`) until the owner is idle, with no drain requested or running, and
    /// returns the queue's state seen under the lock: with no caller running, the owner stays
    /// paused afterwards and everything it wrote is visible to the caller. nullopt on timeout.
    std::optional<PausedView> pause_and_inspect(Nanos timeout) const;

private:
    enum class DrainState : std::uint8_t { idle, requested, draining };
    enum class Life : std::uint8_t { unstarted, running, stopping, stopped };
    /// Whether a queue in state `l` accepts valid calls.
    static bool is_open(Life l);

    bool enqueue(TimerOperation op);
    bool reject();
    void cancel_queued_locked();
    void owner_main();
    void apply(const TimerOperation& op);
    QueueStats stats_locked() const;
    TimerOperation make(OperationKind kind, std::optional<std::uint64_t> id, Nanos duration = Nanos(0),
                        TimingEvent event = TimingEvent::show_end, TimerOperation::Callback callback = {}) const;

    BroadcastTimer& m_timer;
    const Clock& m_clock;
    const TimerQueueOptions m_options;
    OwnerObserver* const m_observer;

    mutable std::mutex m_mutex;
    std::condition_variable m_pump_cv;          ///< the owner waits here for a pump request
    mutable std::condition_variable m_idle_cv;  ///< pause_and_inspect waits here for the owner to go idle
    std::deque<TimerOperation> m_queue;
    std::atomic<DrainState> m_state{DrainState::idle};  ///< written under the lock
    std::atomic<Life> m_life{Life::unstarted};          ///< written under the lock
    /// The document's `_isInitialized`: pumps are requested only while it is set (by start(),
    /// cleared by stop()).
    bool m_ready = false;
    QueueStats m_stats;  ///< `queued*` unused here: computed by stats_locked()
    bool m_show_active = false;  ///< published by the owner under the lock after each batch
    std::int64_t m_last_process_ns = 0;
    std::atomic<std::uint64_t> m_rejected{0};

    std::mutex m_lifecycle;  ///< serializes start() and stop(); taken before m_mutex, never by the owner
    std::thread m_thread;    ///< start() and stop() only (under m_lifecycle)
    std::atomic<std::thread::id> m_owner_id{};
    std::vector<TimerOperation> m_batch;  ///< owner thread only
    std::int64_t m_last_frame_ns = 0;     ///< owner thread only
};

}  // namespace threadmill::timer_queue
