// pyWATS's TTLCache in C++: a capacity-bounded map with per-entry expiry behind one recursive lock.
#pragma once

#include "api/clock.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace threadmill::cache {

using Nanos = std::chrono::nanoseconds;

/// A cached value and the instant (on the cache's clock) from which it is expired.
struct Entry {
    std::uint64_t value = 0;
    std::int64_t expires_at_ns = 0;
};

/// Deliberate defects, for the target's mutants. The default is the correct cache; each flag is
/// checked at the one place where the defect lives.
struct TtlCacheFaults {
    bool skip_expiry_on_get = false;  ///< get() returns entries past their expiry (`expired_read`)
    bool skip_lock = false;           ///< no operation takes the lock (`unlocked_dict`)
};

/// A map from key to value with a time to live per entry, safe to call from any thread: every
/// operation runs under one std::recursive_mutex (pyWATS uses a threading.RLock).
///  - An entry is expired from the instant `expires_at_ns <= clock.now_ns()`; get() never
///    returns an expired entry and removes it on the way (lazy expiry); cleanup_expired()
///    removes all of them.
///  - At most `capacity` entries are held. Setting a new key when full first drops expired
///    entries among the oldest few (a bounded scan), and otherwise evicts the entry written
///    longest ago. Overwriting a key counts as a fresh write: it moves to the back of that order.
class TtlCache {
public:
    /// `capacity` >= 1 and `default_ttl` > 0, else std::invalid_argument. `clock` must outlive
    /// the cache.
    TtlCache(std::size_t capacity, Nanos default_ttl, const Clock& clock = steady_clock(), TtlCacheFaults faults = {});
    TtlCache(const TtlCache&) = delete;
    TtlCache& operator=(const TtlCache&) = delete;

    /// The entry of `key` if present and not expired.
    std::optional<Entry> get(std::uint64_t key);
    /// Inserts or overwrites `key`, expiring `ttl` from now (`ttl` <= 0: the default TTL).
    void set(std::uint64_t key, std::uint64_t value, Nanos ttl = Nanos{0});
    /// Removes `key`; true if it was present (expired or not).
    bool remove(std::uint64_t key);
    /// Removes every expired entry; returns how many.
    std::size_t cleanup_expired();
    /// Entries held, expired ones not yet removed included.
    std::size_t size() const;

    std::size_t capacity() const { return m_capacity; }
    Nanos default_ttl() const { return m_default_ttl; }
    const Clock& clock() const { return m_clock; }

    /// Checks the internal structure (map and eviction order agree); a description of the
    /// first inconsistency found, or nullopt. Meant for quiescent points, but locks anyway.
    std::optional<std::string> check_structure() const;

    /// How many of the oldest entries a full set() inspects for expired ones.
    static constexpr std::size_t k_expiry_scan = 8;

private:
    using Order = std::list<std::uint64_t>;
    struct Slot {
        Entry entry;
        Order::iterator position;  ///< this key's node in m_order
    };
    using Map = std::unordered_map<std::uint64_t, Slot>;

    std::unique_lock<std::recursive_mutex> lock() const;
    void erase(Map::iterator it);
    void make_room(std::int64_t now);

    const std::size_t m_capacity;
    const Nanos m_default_ttl;
    const Clock& m_clock;
    const TtlCacheFaults m_faults;
    alignas(64) mutable std::recursive_mutex m_mutex;  ///< own cache line: shards sit side by side
    Map m_map;
    Order m_order;  ///< keys, least recently written first
};

}  // namespace threadmill::cache
