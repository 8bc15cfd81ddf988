// ShardedCache: splitting the capacity over the shards, and the whole-cache operations.
#include "targets/cache/sharded_cache.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace threadmill::cache {

ShardedCache::ShardedCache(std::size_t shard_count, std::size_t capacity, Nanos default_ttl, const Clock& clock,
                           TtlCacheFaults faults)
    : m_capacity(capacity) {
    if (shard_count == 0) throw std::invalid_argument("ShardedCache: at least one shard is needed");
    if (capacity < shard_count) {
        throw std::invalid_argument(fmt::format("ShardedCache: a capacity of {} cannot give each of {} shards an entry",
                                                capacity, shard_count));
    }
    m_shards.reserve(shard_count);
    for (std::size_t i = 0; i < shard_count; ++i) {
        const std::size_t share = capacity / shard_count + (i < capacity % shard_count ? 1 : 0);
        m_shards.push_back(std::make_unique<TtlCache>(share, default_ttl, clock, faults));
    }
}

std::size_t ShardedCache::cleanup_expired() {
    std::size_t removed = 0;
    for (auto& s : m_shards) removed += s->cleanup_expired();
    return removed;
}

std::size_t ShardedCache::size() const {
    std::size_t n = 0;
    for (const auto& s : m_shards) n += s->size();
    return n;
}

}  // namespace threadmill::cache
