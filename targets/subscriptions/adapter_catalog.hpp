// The `subscriptions` target adapter's constants and small helpers (its catalog is declared by name in
// subscriptions_target.cpp); included by subscriptions_target.cpp only.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "api/threadmill.hpp"
#include "targets/subscriptions/node.hpp"
#include "targets/subscriptions/subscription.hpp"

namespace threadmill::subscriptions::adapter {

/// Stream names are stream-0 .. stream-63: the key modulo this.
constexpr std::size_t k_streams = 64;
/// The stream of the lockstep litmus (lazy_flow): no other operation touches it.
constexpr std::string_view k_litmus_stream = "litmus";
constexpr std::size_t k_key_size = 32;
constexpr std::uint64_t k_event_bytes = 64;
/// Closed subscriptions a thread keeps to re-check later (checked and dropped when full).
constexpr std::size_t k_closed_kept = 32;
/// How long the teardown waits for a slow consumer to be idle (waiting, nothing buffered) before it
/// closes its subscription anyway, and how often it looks.
constexpr Nanos k_consumer_idle_wait = std::chrono::seconds(2);
constexpr Nanos k_consumer_idle_poll = std::chrono::microseconds(50);

/// The node's faults of the variant named `variant` (none for `safe`).
inline NodeFaults faults_of(std::string_view variant) {
    NodeFaults f;
    f.subscription.close_without_once = variant == "double_close";
    f.subscription.blocking_send = variant == "blocking_send";
    f.fanout_without_copy = variant == "fanout_without_copy";
    f.broken_double_checked = variant == "broken_double_checked";
    f.return_without_copy = variant == "return_without_copy";
    f.inverted_lock_order = variant == "lock_order_inversion";
    f.stop_without_join = variant == "stop_without_join";
    f.fanout_aborts_on_error = variant == "fanout_aborts_on_error";
    f.subscription.close_strands_waiter = variant == "close_strands_waiter";
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


}  // namespace threadmill::subscriptions::adapter
