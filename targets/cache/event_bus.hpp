// pyWATS's EventBus in C++: a bounded event queue, one dispatcher thread and a fixed pool of handler threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace threadmill::cache {

/// One published event, as a handler sees it.
struct Event {
    std::uint64_t seq = 0;      ///< 1, 2, ... in the order publish() accepted them (per bus, across restarts)
    std::uint32_t topic = 0;    ///< < the bus's topic count
    std::uint64_t payload = 0;
    std::uint64_t epoch = 0;    ///< the start() generation that dispatched it (1 for the first start)
};

/// Deliberate defects, for the target's mutants. The default is the correct bus; each flag is
/// checked at the one place of its defect.
struct EventBusFaults {
    /// The dispatcher reads the live subscription vector with no lock while subscribe() and
    /// unsubscribe() push_back and erase under theirs: a data race, and a use-after-free when the
    /// vector reallocates under the reader. Harmless only while nobody subscribes concurrently.
    bool unlocked_handlers = false;
    /// stop() stops accepting, wakes publishers and discards the queue, then detaches the
    /// epoch's threads instead of waiting for them: a handler of the stopped epoch may still run
    /// after stop() returned, and the detached threads may outlive (and touch) a destroyed bus.
    bool stop_without_wait = false;
    /// The pool's try/catch surrounds the worker loop instead of each call: a handler exception
    /// ends that pool thread, and once all have ended no handler runs again (flush() stalls).
    bool exception_kills_worker = false;
    /// stop() discards the queue without waking the publishers blocked on a full queue: they
    /// stay blocked until some later pop happens to wake them.
    bool stop_strands_publishers = false;
};

/// Counters and a glance at the bus's state, all read in one critical section.
/// At rest (after flush() returned true, or after a correct stop()):
///   accepted = discarded + events popped by the dispatcher,
///   submitted = dispatched + dropped_calls, dispatched = handled + handler_errors.
struct EventBusStats {
    std::uint64_t accepted = 0;        ///< events queued by publish()
    std::uint64_t rejected = 0;        ///< publish() calls that returned false (bus stopped, or stopped while it waited)
    std::uint64_t discarded = 0;       ///< queued events dropped by stop(), never dispatched
    std::uint64_t submitted = 0;       ///< (handler, event) calls handed to the pool
    std::uint64_t dispatched = 0;      ///< handler calls started
    std::uint64_t handled = 0;         ///< handler calls that returned normally
    std::uint64_t handler_errors = 0;  ///< handler calls that threw
    std::uint64_t dropped_calls = 0;   ///< calls handed to a pool whose threads had all died (exception_kills_worker)
    std::vector<std::uint64_t> accepted_by_topic;   ///< `accepted`, per topic
    std::vector<std::uint64_t> discarded_by_topic;  ///< `discarded`, per topic

    std::size_t queued = 0;              ///< events waiting in the queue now
    std::size_t pool_waiting = 0;        ///< calls handed to the pool, not started yet
    std::size_t calls_running = 0;       ///< handler calls running now
    std::size_t waiting_publishers = 0;  ///< publish() calls blocked on a full queue now
    std::size_t pool_threads = 0;        ///< handler threads alive now (any epoch)
    std::uint64_t epoch = 0;             ///< the last start() generation (0 before the first start)
    bool running = false;                ///< started and not stopped
};

/// The document's EventBus ("safe to publish from any thread", handlers run in a thread pool).
///
/// publish() appends to a bounded FIFO under the bus mutex. While the bus runs, one dispatcher
/// thread pops events in order, copies the matching subscriptions (shared_ptr<const Handler>)
/// under the subscription mutex, and hands one call per subscription to the pool; the pool holds
/// at most `handler_threads` calls not yet started before the dispatcher waits for room, so a
/// busy pool fills the queue and publish() blocks (back-pressure). Each pool thread takes calls
/// in order and runs them with no bus lock held, catching every exception per call.
///
/// Locks: `m_lifecycle` serializes start() and stop() (and is taken before `m_mutex`);
/// `m_mutex` guards the queue, the pools' calls, the counters and the lifecycle flags;
/// `m_subs_mutex` guards the subscriptions. No thread holds `m_mutex` and `m_subs_mutex` at
/// once, and no handler runs under any bus lock.
///
/// Every member function is safe to call from any thread, except that a handler must not call
/// stop(), the destructor or flush() (they wait for the handler itself). A handler may publish,
/// subscribe and unsubscribe; a handler that publishes to a full queue blocks until there is
/// room or the bus stops.
class EventBus {
public:
    /// A subscriber's callback; runs on a pool thread, may throw anything (counted, then ignored).
    using Handler = std::function<void(const Event&)>;

    /// A stopped bus. Throws std::invalid_argument if any count is zero.
    EventBus(std::size_t handler_threads, std::size_t queue_capacity, std::size_t topics, EventBusFaults faults = {});
    /// stop()s a running bus: the correct bus has joined all its threads when this returns.
    ~EventBus();
    EventBus(const EventBus&) = delete;
    EventBus& operator=(const EventBus&) = delete;

    /// Adds `handler` for `topic`; its id (> 0, never reused). It is called for every event of
    /// that topic popped by the dispatcher after subscribe() returned. Throws std::out_of_range
    /// for a topic >= topics() and std::invalid_argument for an empty handler.
    std::uint64_t subscribe(std::uint32_t topic, Handler handler);
    /// Removes the subscription `id`; false if there is none. After it returns the dispatcher
    /// hands no new call of that handler to the pool, but calls already handed to the pool (even
    /// if not started yet) still run: unsubscribe() does not wait for them.
    bool unsubscribe(std::uint64_t id);
    /// Queues an event; true once it is queued. Blocks while the queue is full, until there is
    /// room or stop() is called. False, and counted as rejected, when the bus is not running or
    /// was stopped while the call waited. Throws std::out_of_range for a topic >= topics().
    bool publish(std::uint32_t topic, std::uint64_t payload);

    /// Starts a new epoch: the dispatcher and `handler_threads` pool threads, and accepts
    /// events from then on. Does nothing if the bus runs already. Serialized with stop().
    /// Throws std::system_error if a thread cannot be made; the bus then stays stopped.
    void start();
    /// Stops accepting, wakes every publisher blocked on a full queue (they return false),
    /// discards the events still queued (counted per topic), lets the dispatcher hand out the
    /// event it had already popped, waits until every handler call of the epoch has finished
    /// and joins the epoch's threads. Returns the epoch it stopped, 0 if the bus was not running.
    /// Serialized with start().
    std::uint64_t stop();
    /// Waits until the queue is empty and no handler call is pending or running (true), or
    /// until nothing progressed (no event popped, no handler call finished) for `stall_limit`
    /// (false: a dead pool or dispatcher, or a handler stuck for that long). A slow bus that
    /// keeps progressing is waited for however long it takes. True at once on an idle bus.
    bool flush(std::chrono::nanoseconds stall_limit);

    /// A consistent copy of the counters (one critical section); never blocks on a handler.
    EventBusStats stats() const;
    /// Whether the bus is started and accepting events.
    bool running() const;
    /// Subscriptions now, of every topic.
    std::size_t subscriber_count() const;

    /// The constructor's arguments.
    std::size_t handler_threads() const { return m_threads; }
    std::size_t queue_capacity() const { return m_capacity; }
    std::size_t topics() const { return m_topics; }

    /// Threads of the bus still running, of any epoch, detached ones included. Zero whenever
    /// the correct bus is stopped.
    std::size_t live_threads() const;
    /// Waits up to `timeout` until live_threads() is zero; whether it became zero. A thread is
    /// counted out after its last access to the bus, so once this returns true the bus may be
    /// destroyed even after stop_without_wait.
    bool wait_threads_exited(std::chrono::nanoseconds timeout) const;

private:
    struct Subscription {
        std::uint64_t id = 0;
        std::uint32_t topic = 0;
        std::shared_ptr<const Handler> handler;
    };
    /// One handler call handed to the pool.
    struct Call {
        std::shared_ptr<const Handler> handler;
        Event event;
    };
    /// One epoch: its threads, its pool's calls and its stop flags (guarded by m_mutex). Shared
    /// with its threads, so detached threads keep their own generation alive.
    struct Generation {
        std::uint64_t epoch = 0;
        std::condition_variable work_cv;  ///< the dispatcher waits here for an event and pool room
        std::condition_variable pool_cv;  ///< pool threads wait here for calls
        std::deque<Call> calls;
        bool stopping = false;
        bool dispatcher_done = false;
        std::thread dispatcher;             ///< touched by start() and stop() only
        std::vector<std::thread> workers;   ///< likewise
    };
    /// How many bus threads still run; outlives the bus (each thread holds a reference).
    struct Census {
        std::mutex mutex;
        std::condition_variable cv;
        std::size_t live = 0;
    };

    std::thread spawn(std::function<void()> body);
    void dispatcher_main(Generation& gen);
    void pool_main(Generation& gen);
    std::vector<std::shared_ptr<const Handler>> matching_handlers(std::uint32_t topic) const;
    /// Takes the next call of `gen` into `call`; false when the epoch is over for this thread.
    bool take_call(Generation& gen, Call& call);
    void finish_call(bool ok);
    static bool call_isolated(const Call& call);
    bool idle_locked() const;
    void note_progress_locked();
    void check_topic(std::uint32_t topic) const;

    const std::size_t m_threads;
    const std::size_t m_capacity;
    const std::size_t m_topics;
    const EventBusFaults m_faults;

    std::mutex m_lifecycle;  ///< serializes start() and stop()

    mutable std::mutex m_mutex;
    std::condition_variable m_room_cv;      ///< publishers wait here for room in the queue
    std::condition_variable m_progress_cv;  ///< flush() waits here for progress or idleness
    std::deque<Event> m_queue;
    std::shared_ptr<Generation> m_gen;      ///< the running epoch; null while stopped
    bool m_accepting = false;
    std::uint64_t m_epoch = 0;
    std::uint64_t m_stops = 0;              ///< stop() calls that stopped an epoch
    std::uint64_t m_next_seq = 1;
    std::uint64_t m_progress = 0;           ///< events popped + handler calls finished
    std::size_t m_flushers = 0;
    std::size_t m_in_dispatch = 0;          ///< events popped whose calls are not handed out yet
    EventBusStats m_stats;                  ///< queued, epoch and running are filled in by stats()

    mutable std::mutex m_subs_mutex;
    std::vector<Subscription> m_subs;
    std::uint64_t m_next_sub_id = 1;

    const std::shared_ptr<Census> m_census = std::make_shared<Census>();
};

}  // namespace threadmill::cache
