// Glueberry's Node in C++: event fan-out to subscriptions, peer statistics, flow controllers, a key cache, workers.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/clock.hpp"
#include "targets/subscriptions/subscription.hpp"

namespace threadmill::subscriptions {

using Nanos = std::chrono::nanoseconds;

/// Deliberate defects of the node (the target's mutants). The default is the correct node; each
/// flag is checked at the one place where its defect lives.
struct NodeFaults {
    SubscriptionFaults subscription;     ///< close_without_once, blocking_send, close_strands_waiter
    bool fanout_without_copy = false;    ///< publish() iterates the live registry, without a copy or a lock
    /// publish() recovers from a failed delivery once for the whole fan-out instead of once per
    /// subscription: the failure is counted, and the subscriptions after it never see the event.
    bool fanout_aborts_on_error = false;
    bool broken_double_checked = false;  ///< flow_controller() does not re-check under the write lock
    bool return_without_copy = false;    ///< cached_key() returns a view of the cache's own bytes
    /// reset_stream_for_peer() takes flowControllersMu before peerStatsMu, the order the document
    /// warns against (update_peer_flow() takes them the other way round): two threads deadlock.
    bool inverted_lock_order = false;
    /// stop() cancels the workers and detaches them instead of joining: it returns while they may
    /// still be inside their work (and they may outlive the node).
    bool stop_without_join = false;
};

struct NodeOptions {
    std::size_t buffer_capacity = 16;        ///< events each subscription buffers
    Nanos maintenance_interval = std::chrono::milliseconds(1);  ///< the workers' period
    Nanos stale_after = std::chrono::milliseconds(20);  ///< peer statistics untouched this long are removed
    std::int64_t flow_high_water = 64;       ///< credits a flow controller hands out before refusing
    const Clock* clock = nullptr;            ///< for peer statistics' ages; null: the steady clock
    std::function<void()> pause;             ///< called inside race windows (chaos); may be empty
    /// Called by publish(), on the publishing thread and outside every lock, for each subscription
    /// whose filter takes the event, just before the event is offered to it: a per-subscriber step
    /// (an allocation, a user filter) that may throw. A throw fails that one delivery (counted in
    /// the subscription's failed()); the other subscriptions still get the event. May be empty.
    std::function<void(const Subscription&, const Event&)> before_delivery;
    NodeFaults faults;
};

/// The document's flow.Controller, reduced to its accounting: at most `high_water` credits out.
class FlowController {
public:
    FlowController(std::string stream, std::uint64_t serial, std::int64_t high_water);
    /// Takes a credit if fewer than high_water are out; never waits.
    bool try_acquire();
    /// Returns a credit taken by try_acquire().
    void release();
    std::int64_t pending() const { return m_pending.load(std::memory_order_relaxed); }
    const std::string& stream() const { return m_stream; }
    /// 1, 2, 3... in the order the node created its controllers.
    std::uint64_t serial() const { return m_serial; }

private:
    const std::string m_stream;
    const std::uint64_t m_serial;
    const std::int64_t m_high_water;
    std::atomic<std::int64_t> m_pending{0};
};

enum class Direction { sent, received };

/// Per-peer traffic counters (the document's PeerStatistics).
struct PeerStats {
    std::uint64_t events_sent = 0;
    std::uint64_t events_received = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_received = 0;
    std::int64_t last_update_ns = 0;
    std::int64_t flow_pending = 0;  ///< credits out on the peer's stream, as update_peer_flow() last saw
};

/// A key handed out by cached_key(): its own copy of the bytes (the promise), or, in the
/// return_without_copy mutant, a view of the cache's storage (a Go slice returned as is).
class KeyBytes {
public:
    static KeyBytes copy_of(std::span<const std::uint8_t> bytes);
    static KeyBytes view_of(std::span<const std::uint8_t> bytes);
    std::span<const std::uint8_t> bytes() const { return m_owned ? std::span<const std::uint8_t>(m_copy) : m_view; }
    bool is_copy() const { return m_owned; }

private:
    bool m_owned = false;
    std::vector<std::uint8_t> m_copy;
    std::span<const std::uint8_t> m_view;
};

/// What one publish() did.
struct PublishResult {
    bool accepted = false;       ///< false: the node was stopped, nothing was offered
    std::uint32_t delivered = 0;
    std::uint32_t dropped = 0;   ///< subscriptions whose buffer was full
    std::uint32_t failed = 0;    ///< subscriptions whose delivery threw (before_delivery)
};

/// What one stop() did.
struct StopResult {
    bool stopped = false;         ///< false: the node was not running
    std::uint64_t generation = 0;  ///< the start() whose workers it cancelled and joined
    std::size_t joined = 0;       ///< worker threads joined
};

/// The document's Node, as far as its concurrency goes.
///  - publish() fans an event out to every subscription: it copies the registry under its read
///    lock, releases it, and offers the event to each subscription, which never waits (a full
///    buffer drops and counts). Subscriptions come and go while events flow. A delivery that
///    throws (before_delivery) fails for its subscription only, counted there; the fan-out goes on.
///  - Separate RW locks per concern: subscriptions, peer statistics, flow controllers, keys; no
///    operation holds two of them.
///  - flow_controller() creates controllers lazily with double-checked locking: exactly one per
///    stream name.
///  - cached_key() copies the key before it releases the read lock.
///  - start() runs two workers (stale peer statistics cleanup, flow metrics); stop() cancels and
///    joins every one of them before it returns. A stopped node refuses publish(); the rest works.
class Node {
public:
    /// Worker threads a running node has: stale peer statistics cleanup and flow metrics.
    static constexpr std::size_t k_workers = 2;

    /// The node starts stopped; call start().
    explicit Node(NodeOptions options);
    /// Stops the node and closes every subscription still registered.
    ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    // ---- lifecycle (the document's startMu) ----
    /// Starts the workers; false when already running.
    bool start();
    /// Cancels and joins every worker; a no-op (stopped = false) when not running.
    StopResult stop();
    bool running() const { return m_running.load(std::memory_order_acquire); }
    /// Worker threads of start() number `generation` still inside their loop.
    int running_workers(std::uint64_t generation) const;
    /// Worker threads of any generation still inside their loop.
    int running_workers() const;
    /// Worker std::threads started and not joined yet.
    std::size_t worker_threads() const;

    // ---- events (eventSubsMu) ----
    /// Offers `event` to every subscription registered when it copies the registry (none when the
    /// node is stopped: accepted = false). Never waits (but in the blocking_send mutant), never
    /// throws from a failed delivery.
    PublishResult publish(const Event& event);
    /// A new subscription to the events whose state is in `filter` (EventsForStates), registered
    /// before it returns. Also forgets subscriptions closed directly by their owner.
    std::shared_ptr<Subscription> subscribe(StateMask filter = k_all_states);
    /// Removes `sub` from the registry (if there) and closes it; returns what its close() returned.
    std::optional<std::size_t> unsubscribe(const std::shared_ptr<Subscription>& sub);
    std::size_t subscription_count() const;

    // ---- flow controllers (flowControllersMu) ----
    /// The controller of `stream`, created on first use; exactly one per stream name.
    std::shared_ptr<FlowController> flow_controller(std::string_view stream);
    /// Forgets the controller of `stream` (a stream reset); false when there was none.
    bool remove_flow_controller(std::string_view stream);
    std::size_t flow_controller_count() const;
    /// Controllers ever created (the serial of the last one).
    std::uint64_t flow_controllers_created() const { return m_flow_created.load(std::memory_order_acquire); }
    /// Credits out over all controllers, as last summed by the metrics worker.
    std::int64_t flow_pending_gauge() const { return m_flow_gauge.load(std::memory_order_relaxed); }

    // ---- peer statistics (peerStatsMu) ----
    void record_event(std::uint64_t peer, Direction direction, std::uint64_t bytes);
    /// A copy of the peer's counters; nothing when unknown or removed as stale.
    std::optional<PeerStats> peer_statistics(std::uint64_t peer) const;
    std::size_t peer_count() const;

    // ---- both: peerStatsMu, then flowControllersMu (the document's lock order) ----
    /// The document's updatePeerStats: under peerStatsMu, then flowControllersMu (read), records in
    /// the peer's statistics the credits out on `stream` (0 when it has no controller).
    void update_peer_flow(std::uint64_t peer, std::string_view stream);
    /// Resets `stream` because of `peer` (forgets its controller, as remove_flow_controller()) and
    /// returns the peer's events so far (0 when unknown). Takes peerStatsMu (read), then
    /// flowControllersMu (write): the same order as update_peer_flow(). The inverted_lock_order
    /// mutant takes them the other way round, with a race window (pause) between the two.
    struct StreamReset {
        bool removed = false;          ///< the stream had a controller, now forgotten
        std::uint64_t peer_events = 0;  ///< the peer's events so far (0 when unknown)
    };
    StreamReset reset_stream_for_peer(std::uint64_t peer, std::string_view stream);
    /// Peers the cleanup worker removed as stale.
    std::uint64_t stale_peers_removed() const { return m_stale_removed.load(std::memory_order_relaxed); }

    // ---- key cache (peerKeysMu) ----
    /// Stores (a copy of) the peer's key, overwriting the old one in place when the size is the same.
    void set_peer_key(std::uint64_t peer, std::span<const std::uint8_t> key);
    bool remove_peer_key(std::uint64_t peer);
    /// The peer's key, copied before the read lock is released; nothing when unknown.
    std::optional<KeyBytes> cached_key(std::uint64_t peer) const;

private:
    void pause() const;
    std::int64_t now_ns() const;
    void fan_out_live(const Event& event, PublishResult& result);
    bool deliver(Subscription& sub, const Event& event, PublishResult& result);
    void worker_main(std::uint64_t generation, int role);
    void cleanup_stale_peers();
    void sum_flow_pending();
    void note_worker(std::uint64_t generation, int delta);

    const NodeOptions m_options;

    // Lifecycle: start/stop serialized by m_start_mutex; workers wait on m_cancel_cv.
    mutable std::mutex m_start_mutex;
    std::vector<std::thread> m_workers;  ///< under m_start_mutex
    std::uint64_t m_generation = 0;      ///< under m_start_mutex
    std::atomic<bool> m_running{false};
    std::mutex m_cancel_mutex;
    std::condition_variable m_cancel_cv;
    bool m_cancelled = true;  ///< under m_cancel_mutex
    mutable std::mutex m_worker_count_mutex;
    std::map<std::uint64_t, int> m_running_by_generation;  ///< under m_worker_count_mutex; no zero entries

    // Subscriptions.
    mutable std::shared_mutex m_subs_mutex;
    std::map<std::uint64_t, std::shared_ptr<Subscription>> m_subs;  ///< by id; under m_subs_mutex
    std::uint64_t m_next_sub_id = 1;                                 ///< under m_subs_mutex

    // Flow controllers.
    mutable std::shared_mutex m_flow_mutex;
    std::map<std::string, std::shared_ptr<FlowController>, std::less<>> m_flow;  ///< under m_flow_mutex
    std::atomic<std::uint64_t> m_flow_created{0};  ///< written under m_flow_mutex
    std::atomic<std::int64_t> m_flow_gauge{0};

    // Peer statistics.
    mutable std::shared_mutex m_stats_mutex;
    std::unordered_map<std::uint64_t, PeerStats> m_stats;  ///< under m_stats_mutex
    std::atomic<std::uint64_t> m_stale_removed{0};

    // Key cache.
    mutable std::shared_mutex m_keys_mutex;
    std::unordered_map<std::uint64_t, std::vector<std::uint8_t>> m_keys;  ///< under m_keys_mutex
};

}  // namespace threadmill::subscriptions
