// pyWATS's ShardedCache in C++: N independent TtlCaches, a key's shard chosen by a hash of it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "targets/cache/ttl_cache.hpp"

namespace threadmill::cache {

/// The SplitMix64 finalizer: a bijection of 64-bit values that spreads every input bit over
/// every output bit, so that consecutive keys land on unrelated shards.
constexpr std::uint64_t mix64(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/// Spreads lock contention over `shard_count` TtlCaches (the document's advice for high request
/// rates). Each key lives in exactly one shard, `mix64(key) % shard_count`; each shard has its
/// own lock and a share of the capacity (the shares sum to `capacity`, and differ by at most one).
/// An operation on one key is as atomic as on a TtlCache; size() and cleanup_expired() visit the
/// shards one after the other, so they are not a snapshot of the whole cache.
class ShardedCache {
public:
    /// `shard_count` >= 1 and `capacity` >= `shard_count` (every shard holds at least one
    /// entry), else std::invalid_argument.
    ShardedCache(std::size_t shard_count, std::size_t capacity, Nanos default_ttl, const Clock& clock = steady_clock(),
                 TtlCacheFaults faults = {});

    std::optional<Entry> get(std::uint64_t key) { return shard_for(key).get(key); }
    void set(std::uint64_t key, std::uint64_t value, Nanos ttl = Nanos{0}) { shard_for(key).set(key, value, ttl); }
    bool remove(std::uint64_t key) { return shard_for(key).remove(key); }
    std::size_t cleanup_expired();
    std::size_t size() const;
    std::size_t capacity() const { return m_capacity; }

    /// The index of the shard that holds `key`.
    std::size_t shard_of(std::uint64_t key) const {
        return m_shards.size() == 1 ? 0 : static_cast<std::size_t>(mix64(key) % m_shards.size());
    }
    std::size_t shard_count() const { return m_shards.size(); }
    TtlCache& shard(std::size_t index) { return *m_shards[index]; }
    const TtlCache& shard(std::size_t index) const { return *m_shards[index]; }

private:
    TtlCache& shard_for(std::uint64_t key) { return *m_shards[shard_of(key)]; }

    std::size_t m_capacity;
    std::vector<std::unique_ptr<TtlCache>> m_shards;
};

}  // namespace threadmill::cache
