// The `subscriptions` target's catalog (variants, operations, invariants as checked tables) and
// the adapter's constants and small helpers; included by subscriptions_target.cpp only.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "api/target.hpp"
#include "api/target_tables.hpp"
#include "targets/subscriptions/node.hpp"
#include "targets/subscriptions/subscription.hpp"

namespace threadmill::subscriptions::adapter {

// Each enum lists its catalog entries in declaration order; the tables below are checked
// against it at compile time.

enum class Variant { safe, double_close, blocking_send, fanout_without_copy, broken_double_checked, return_without_copy };

enum class OpKind {
    publish,
    subscribe,
    consume,
    unsubscribe,
    close,
    flow,
    drop_stream,
    stats_update,
    stats_read,
    key_read,
    key_rotate,
    key_remove,
    stop,
    start,
    restart,
};

enum class Inv {
    delivery_accounting,
    per_publisher_order,
    filter_respected,
    closed_stays_closed,
    one_controller_per_stream,
    key_copy_stable,
    stats_consistent,
    workers_joined,
};

constexpr std::array<CatalogRow<Variant>, 6> k_variants{{
    {Variant::safe, "safe",
     "the documented design: fan-out over a copy of the registry taken under its read lock, non-blocking delivery "
     "that drops and counts, close once (call_once), a lock per concern, double-checked creation that re-checks, "
     "keys copied before the unlock, stop() cancels and joins every worker"},
    {Variant::double_close, "double_close",
     "Close() without its sync.Once: a second close (unsubscribe, then the owner's own Close) releases the "
     "subscription's buffer again: a double free",
     "memory:double-free"},
    {Variant::blocking_send, "blocking_send",
     "delivery is a plain channel send: a publisher waits for room in a full buffer, so a slow consumer stalls every "
     "publisher",
     "slo"},
    {Variant::fanout_without_copy, "fanout_without_copy",
     "publish walks the live subscription registry with no lock and no copy while subscribe/unsubscribe insert and "
     "erase its nodes",
     "race"},
    {Variant::broken_double_checked, "broken_double_checked",
     "lazy flow-controller creation without the second check under the write lock: two threads that missed both "
     "create one, and the second replaces the first",
     "invariant:one_controller_per_stream"},
    {Variant::return_without_copy, "return_without_copy",
     "the cached key is returned as a view of the cache's bytes (a Go slice returned as is): the caller reads it "
     "after the lock is released while rotations overwrite it",
     "race"},
}};

constexpr std::array<CatalogRow<OpKind>, 15> k_ops{{
    {OpKind::publish, "publish",
     "publish an event (state from arg, peer = key) to every subscription; numbered per publisher"},
    {OpKind::subscribe, "subscribe",
     "subscribe with a state filter from arg (half of them: every state); a thread keeps at most "
     "max_subscriptions, closing its oldest first"},
    {OpKind::consume, "consume",
     "take up to consume_batch events from one of this thread's subscriptions (its single consumer); checks filter "
     "and per-publisher order"},
    {OpKind::unsubscribe, "unsubscribe",
     "Unsubscribe (remove and close) one of this thread's subscriptions, then Close it again as its owner; checks "
     "the counts"},
    {OpKind::close, "close",
     "Close one of this thread's subscriptions twice, without unsubscribing (the node forgets it later); checks the "
     "counts"},
    {OpKind::flow, "flow",
     "getOrCreateFlowController(\"stream-<key mod 64>\"), then take and return a credit; checks it is the stream's "
     "one controller"},
    {OpKind::drop_stream, "drop_stream", "remove the flow controller of stream-<key mod 64> (a stream reset)"},
    {OpKind::stats_update, "stats_update", "record an event sent or received (arg) for peer <key>: 64 bytes each"},
    {OpKind::stats_read, "stats_read", "PeerStatistics(<key>): a copy; checks bytes = 64 x events"},
    {OpKind::key_read, "key_read",
     "getCachedKey(<key>), use it for a while (a chaos point), and check it neither was torn nor changed"},
    {OpKind::key_rotate, "key_rotate", "store a new 32-byte key for peer <key> (overwriting the old one in place)"},
    {OpKind::key_remove, "key_remove", "remove the cached key of peer <key>"},
    {OpKind::stop, "stop", "Stop() the node: cancel and join its workers; checks none of them still runs"},
    {OpKind::start, "start", "Start() the node (a no-op when running)"},
    {OpKind::restart, "restart", "Stop() then Start(): checks the stopped workers are all gone"},
}};

constexpr std::array<CatalogRow<Inv>, 8> k_invariants{{
    {Inv::delivery_accounting, "delivery_accounting",
     "per subscription, at close and at quiescent points: delivered + dropped lies between the events published "
     "entirely while it was open and matching its filter and those published in part while it was open; consumed + "
     "discarded at close = delivered"},
    {Inv::per_publisher_order, "per_publisher_order",
     "online: within a subscription, each publisher's events arrive in the order it published them (gaps from drops "
     "allowed, never a repeat)"},
    {Inv::filter_respected, "filter_respected", "online: a subscription only receives events whose state it asked for"},
    {Inv::closed_stays_closed, "closed_stays_closed",
     "the first close reports closing, a second close changes nothing; after close nothing is delivered, counted or "
     "consumed"},
    {Inv::one_controller_per_stream, "one_controller_per_stream",
     "online: a thread gets the same controller for a stream until the stream is removed; quiescent: controllers "
     "created = controllers removed + controllers registered"},
    {Inv::key_copy_stable, "key_copy_stable",
     "online: a returned key is one whole key (never torn) and never changes after the call returned"},
    {Inv::stats_consistent, "stats_consistent", "online: a statistics copy has bytes = 64 x events in each direction"},
    {Inv::workers_joined, "workers_joined",
     "after stop() returns, none of the workers it stopped runs; quiescent: a running node has its workers, a "
     "stopped one none"},
}};

static_assert(in_kind_order(k_variants) && in_kind_order(k_ops) && in_kind_order(k_invariants));
static_assert(k_variants.back().kind == Variant::return_without_copy && k_ops.back().kind == OpKind::restart &&
              k_invariants.back().kind == Inv::workers_joined);

constexpr int index_of(Inv i) { return static_cast<int>(i); }

/// Stream names are stream-0 .. stream-63: the key modulo this.
constexpr std::size_t k_streams = 64;
constexpr std::size_t k_key_size = 32;
constexpr std::uint64_t k_event_bytes = 64;
/// Closed subscriptions a thread keeps to re-check later (checked and dropped when full).
constexpr std::size_t k_closed_kept = 32;
/// How long an idle slow consumer waits for an event before it looks at the stop flag.
constexpr Nanos k_consumer_wait = std::chrono::microseconds(200);

/// The worker thread running an operation, for the node's chaos points.
inline thread_local ThreadContext* t_context = nullptr;

inline NodeFaults faults_of(Variant v) {
    NodeFaults f;
    f.subscription.close_without_once = v == Variant::double_close;
    f.subscription.blocking_send = v == Variant::blocking_send;
    f.fanout_without_copy = v == Variant::fanout_without_copy;
    f.broken_double_checked = v == Variant::broken_double_checked;
    f.return_without_copy = v == Variant::return_without_copy;
    return f;
}

inline std::size_t state_index(State s) { return static_cast<std::size_t>(s); }

/// Half the subscriptions take every state; the others a random non-empty subset.
inline StateMask filter_of(std::uint64_t arg) {
    if ((arg >> 8) % 2 == 0) return k_all_states;
    return static_cast<StateMask>(1 + (arg >> 16) % k_all_states);
}

/// Byte i of key generation `generation` of `peer`: the generation itself in the first 8 bytes.
inline std::uint8_t key_byte(std::uint64_t peer, std::uint64_t generation, std::size_t i) {
    if (i < 8) return static_cast<std::uint8_t>(generation >> (8 * i));
    std::uint64_t s = generation * 0x9e3779b97f4a7c15ULL + peer * 0xbf58476d1ce4e5b9ULL + i;
    return static_cast<std::uint8_t>(splitmix64(s) >> 56);
}

inline std::array<std::uint8_t, k_key_size> make_key(std::uint64_t peer, std::uint64_t generation) {
    std::array<std::uint8_t, k_key_size> k{};
    for (std::size_t i = 0; i < k_key_size; ++i) k[i] = key_byte(peer, generation, i);
    return k;
}

/// Is `k` exactly one generation's key of `peer` (not a mix of two)?
inline bool whole_key(std::uint64_t peer, std::span<const std::uint8_t> k) {
    if (k.size() != k_key_size) return false;
    std::uint64_t generation = 0;
    for (std::size_t i = 0; i < 8; ++i) generation |= static_cast<std::uint64_t>(k[i]) << (8 * i);
    for (std::size_t i = 8; i < k_key_size; ++i) {
        if (k[i] != key_byte(peer, generation, i)) return false;
    }
    return true;
}

/// Increments a counter only its own thread writes (others only read it).
inline void bump(std::atomic<std::uint64_t>& c) { c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }

inline void busy_for(Nanos d) {
    if (d.count() <= 0) return;
    const auto until = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < until) {
    }
}

}  // namespace threadmill::subscriptions::adapter
