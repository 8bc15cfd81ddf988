// One event subscription of Glueberry's node: a bounded single-consumer buffer, a state filter, close once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>

namespace threadmill::subscriptions {

/// A peer connection state: what a connection event reports (the document's StateConnected...).
enum class State : std::uint8_t { connecting, connected, disconnected, reconnecting };
constexpr std::size_t k_state_count = 4;
std::string_view to_string(State s);

/// A set of states, one bit per State; a subscription's filter.
using StateMask = std::uint8_t;
constexpr StateMask k_all_states = (1u << k_state_count) - 1;
constexpr StateMask mask_of(State s) { return static_cast<StateMask>(1u << static_cast<unsigned>(s)); }

/// A connection event. `publisher` and `seq` identify it: each publisher numbers its events 1, 2, 3...
struct Event {
    std::uint64_t seq = 0;
    std::uint64_t peer = 0;
    std::uint32_t publisher = 0;
    State state = State::connecting;
};

/// What happened to one event offered to one subscription. `failed`: the node's delivery step for
/// this subscription threw before the event reached the buffer (count_failed()).
enum class Offer { delivered, dropped, filtered, closed, failed };

/// Deliberate defects of a subscription (the target's mutants); the default is the correct one.
struct SubscriptionFaults {
    bool close_without_once = false;  ///< close() runs its body every time: the buffer is released twice
    bool blocking_send = false;       ///< offer() waits for room in a full buffer instead of dropping
    bool close_strands_waiter = false;  ///< close() does not wake a consumer waiting in next() or wait_next()
};

/// The document's EventSubscription: a bounded buffer (a Go channel) with one consumer.
///  - offer() never waits (the document's `select { case ch <- evt: default: drop }`): a full
///    buffer drops the event and counts it; a closed subscription takes nothing.
///  - Every event offered while open and matching the filter is either delivered (buffered),
///    dropped, or failed (the node's delivery step threw, count_failed()): delivered() + dropped()
///    + failed() counts them all.
///  - close() is idempotent (std::call_once, the document's sync.Once): the first call stops
///    delivery, releases the buffer and says how many buffered events it discarded; later calls
///    change nothing and return nullopt.
///  - Events leave in the order they were delivered: each publisher's events stay in its order.
///  - try_next(), wait_next() and next() are for the one consumer only; close() wakes a consumer
///    waiting in wait_next() or next(), which then returns nothing (a Go `range` over the channel ends).
class Subscription {
public:
    Subscription(std::uint64_t id, std::size_t capacity, StateMask filter, SubscriptionFaults faults = {});
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

    /// Delivers `event` if it matches the filter and there is room; never waits (except the
    /// blocking_send mutant).
    Offer offer(const Event& event);
    /// The oldest buffered event, if any (consumer only); nothing once closed.
    std::optional<Event> try_next();
    /// Like try_next(), but waits up to `timeout` for an event (consumer only); close() ends the wait.
    std::optional<Event> wait_next(std::chrono::nanoseconds timeout);
    /// Waits for the oldest event with no time limit (consumer only): nothing once closed, and a
    /// close() ends the wait (the end of a Go `for evt := range sub.Events()`).
    std::optional<Event> next();
    /// Records that the node's delivery of `event` to this subscription failed (threw) before it
    /// reached the buffer: counted in failed() if the subscription is open and takes the event's
    /// state (returns `failed`); otherwise nothing is counted (`filtered` or `closed`).
    Offer count_failed(const Event& event);
    /// Closes once; returns the number of undelivered (buffered) events discarded by this call,
    /// or nullopt when it was already closed.
    std::optional<std::size_t> close();

    bool closed() const;
    bool accepts(State s) const { return (m_filter & mask_of(s)) != 0; }
    std::uint64_t id() const { return m_id; }
    StateMask filter() const { return m_filter; }
    std::size_t capacity() const { return m_capacity; }
    /// Events buffered so far (each counted once, consumed or not).
    std::uint64_t delivered() const;
    /// Events dropped because the buffer was full.
    std::uint64_t dropped() const;
    /// Deliveries that failed (count_failed()) while the subscription was open.
    std::uint64_t failed() const;
    /// Events in the buffer now.
    std::size_t buffered() const;
    /// Publishers waiting inside offer() for room (only the blocking_send mutant ever waits).
    std::size_t waiting_publishers() const;
    /// Whether the consumer is inside wait_next() or next() now, waiting for an event or the close.
    bool consumer_waiting() const;

private:
    std::optional<std::size_t> close_now();
    std::optional<Event> pop_locked();
    /// After a consumer's wait: takes the oldest event (if any) and releases `lock`.
    std::optional<Event> take_after_wait(std::unique_lock<std::mutex>& lock);

    const std::uint64_t m_id;
    const std::size_t m_capacity;
    const StateMask m_filter;
    const SubscriptionFaults m_faults;
    std::once_flag m_close_once;

    mutable std::mutex m_mutex;
    std::condition_variable m_not_empty;  ///< a waiting consumer (wait_next)
    std::condition_variable m_not_full;   ///< blocking_send publishers only
    // Under m_mutex.
    Event* m_buffer;  ///< a ring of m_capacity events; released by the (first) close
    std::size_t m_head = 0;
    std::size_t m_size = 0;
    bool m_closed = false;
    bool m_consumer_waiting = false;
    std::size_t m_waiting_publishers = 0;
    std::uint64_t m_delivered = 0;
    std::uint64_t m_dropped = 0;
    std::uint64_t m_failed = 0;
};

}  // namespace threadmill::subscriptions
