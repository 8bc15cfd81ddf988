// ThreadSafeBroadcastTimer in C++: a bounded, locked queue of timer operations drained by one owner thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
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
    /// Runs in a mutant's race window (a chaos point); never in the correct code.
    std::function<void()> gap;
};

/// Counters of the queue. `accepted` = `processed` + `dropped` + what is still queued.
struct QueueStats {
    std::uint64_t accepted = 0;          ///< operations queued (or, in direct_call, carried out)
    std::uint64_t rejected = 0;          ///< calls refused for an invalid argument, never queued
    std::uint64_t dropped = 0;           ///< oldest operations dropped on overflow
    std::uint64_t dropped_queries = 0;   ///< of which queries (their callback never runs)
    std::uint64_t processed = 0;         ///< operations applied by the owner
    std::uint64_t callback_errors = 0;   ///< of which a callback threw (caught, counted, the owner goes on)
    std::size_t high_water = 0;          ///< the largest queue size seen
    /// Operations left queued, at the end of their enqueue, with the owner idle and no pump
    /// requested: each waits until a later call requests one (zero in the correct queue).
    std::uint64_t unpumped = 0;
    std::size_t queued = 0;              ///< operations in the queue now
    std::size_t queued_queries = 0;      ///< of which queries
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
    std::vector<std::uint64_t> queued_ids;  ///< the ids of the first few operations still queued
};

/// The document's ThreadSafeBroadcastTimer. Every API call is safe from any thread: it validates
/// its arguments, then appends an operation under one lock; the owner thread (started by
/// start()) takes operations in batches, one batch per frame, and applies them to the timer,
/// which no other thread touches. A pump (the document's CallDeferred) is requested when an
/// operation is queued while the owner is idle; the owner drains until it finds the queue empty
/// under the lock, so no operation is ever left behind.
class TimerQueue {
public:
    TimerQueue(BroadcastTimer& timer, const Clock& clock, TimerQueueOptions options = {},
               OwnerObserver* observer = nullptr);
    /// Stops and joins the owner thread if it runs.
    ~TimerQueue();
    TimerQueue(const TimerQueue&) = delete;
    TimerQueue& operator=(const TimerQueue&) = delete;

    /// Starts the owner thread; the timer belongs to it from then on.
    void start();
    /// Lets the owner finish a drain already requested, then joins it. Idempotent.
    void stop();
    /// The owner thread's id (a default id before start()).
    std::thread::id owner_id() const { return m_owner_id.load(std::memory_order_acquire); }

    // The thread-safe API: each returns false, and counts a rejection, for an invalid argument
    // (a non-positive duration, an empty callback).
    bool start_show(Nanos duration, std::optional<std::uint64_t> id = {});
    bool stop_show(std::optional<std::uint64_t> id = {});
    bool schedule_break_warnings(Nanos from_now, std::optional<std::uint64_t> id = {});
    bool start_ad_break(Nanos duration, std::optional<std::uint64_t> id = {});
    /// `callback` gets the answer on the owner thread, exactly once, unless the operation is
    /// dropped on overflow.
    bool get_time_until(TimingEvent event, TimeCallback callback, std::optional<std::uint64_t> id = {});
    bool is_timer_active(TimingEvent event, ActiveCallback callback, std::optional<std::uint64_t> id = {});

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

    bool enqueue(TimerOperation op);
    bool reject();
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
    bool m_stopping = false;
    QueueStats m_stats;  ///< `queued*` unused here: computed by stats_locked()
    bool m_show_active = false;  ///< published by the owner under the lock after each batch
    std::int64_t m_last_process_ns = 0;
    std::atomic<std::uint64_t> m_rejected{0};

    std::thread m_thread;
    std::atomic<bool> m_running{false};
    std::atomic<std::thread::id> m_owner_id{};
    std::vector<TimerOperation> m_batch;  ///< owner thread only
    std::int64_t m_last_frame_ns = 0;     ///< owner thread only
};

}  // namespace threadmill::timer_queue
