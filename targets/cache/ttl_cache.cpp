// TtlCache: lazy expiry on get, bounded eviction on set, and its structure self-check.
#include "targets/cache/ttl_cache.hpp"

#include <iterator>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace threadmill::cache {
namespace {

bool is_expired(const Entry& e, std::int64_t now) { return e.expires_at_ns <= now; }

/// now + ttl, saturating instead of overflowing.
std::int64_t expiry(std::int64_t now, Nanos ttl) {
    const std::int64_t t = ttl.count();
    return t > std::numeric_limits<std::int64_t>::max() - now ? std::numeric_limits<std::int64_t>::max() : now + t;
}

}  // namespace

TtlCache::TtlCache(std::size_t capacity, Nanos default_ttl, const Clock& clock, TtlCacheFaults faults)
    : m_capacity(capacity), m_default_ttl(default_ttl), m_clock(clock), m_faults(faults) {
    if (capacity == 0) throw std::invalid_argument("TtlCache: capacity must be at least 1");
    if (default_ttl.count() <= 0) throw std::invalid_argument("TtlCache: the default TTL must be positive");
    m_map.reserve(capacity);
}

std::unique_lock<std::recursive_mutex> TtlCache::lock() const {
    if (m_faults.skip_lock) return std::unique_lock<std::recursive_mutex>(m_mutex, std::defer_lock);
    return std::unique_lock<std::recursive_mutex>(m_mutex);
}

std::optional<Entry> TtlCache::get(std::uint64_t key) {
    const auto guard = lock();
    const auto it = m_map.find(key);
    if (it == m_map.end()) return std::nullopt;
    if (!m_faults.skip_expiry_on_get && is_expired(it->second.entry, m_clock.now_ns())) {
        erase(it);
        return std::nullopt;
    }
    return it->second.entry;
}

void TtlCache::set(std::uint64_t key, std::uint64_t value, Nanos ttl) {
    const auto guard = lock();
    const std::int64_t now = m_clock.now_ns();
    const Entry entry{value, expiry(now, ttl.count() > 0 ? ttl : m_default_ttl)};
    if (const auto it = m_map.find(key); it != m_map.end()) {
        it->second.entry = entry;
        m_order.splice(m_order.end(), m_order, it->second.position);
        return;
    }
    if (m_map.size() >= m_capacity) make_room(now);
    m_order.push_back(key);
    m_map.emplace(key, Slot{entry, std::prev(m_order.end())});
}

bool TtlCache::remove(std::uint64_t key) {
    const auto guard = lock();
    const auto it = m_map.find(key);
    if (it == m_map.end()) return false;
    erase(it);
    return true;
}

std::size_t TtlCache::cleanup_expired() {
    const auto guard = lock();
    const std::int64_t now = m_clock.now_ns();
    std::size_t removed = 0;
    for (auto it = m_order.begin(); it != m_order.end();) {
        const auto slot = m_map.find(*it);
        ++it;  // erase() below invalidates the node `it` was on
        if (is_expired(slot->second.entry, now)) {
            erase(slot);
            ++removed;
        }
    }
    return removed;
}

std::size_t TtlCache::size() const {
    const auto guard = lock();
    return m_map.size();
}

void TtlCache::erase(Map::iterator it) {
    m_order.erase(it->second.position);
    m_map.erase(it);
}

void TtlCache::make_room(std::int64_t now) {
    std::size_t dropped = 0;
    auto it = m_order.begin();
    for (std::size_t i = 0; i < k_expiry_scan && it != m_order.end(); ++i) {
        const auto slot = m_map.find(*it);
        ++it;
        if (is_expired(slot->second.entry, now)) {
            erase(slot);
            ++dropped;
        }
    }
    if (dropped == 0) erase(m_map.find(m_order.front()));
}

std::optional<std::string> TtlCache::check_structure() const {
    const auto guard = lock();
    if (m_map.size() != m_order.size()) {
        return fmt::format("the map holds {} keys but the eviction order lists {}", m_map.size(), m_order.size());
    }
    for (auto it = m_order.begin(); it != m_order.end(); ++it) {
        const auto slot = m_map.find(*it);
        if (slot == m_map.end()) return fmt::format("key {} is in the eviction order but not in the map", *it);
        if (slot->second.position != it) {
            return fmt::format("key {} is listed twice in the eviction order, or its map entry points elsewhere", *it);
        }
    }
    return std::nullopt;
}

}  // namespace threadmill::cache
