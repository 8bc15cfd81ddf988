// libcuckoo's concurrent hash map under threadmill: a third-party component that is clean in every flavor.
#include <atomic>
#include <cstdint>
#include <string>

#include <libcuckoo/cuckoohash_map.hh>

#include "api/threadmill.hpp"

namespace {

class CuckooMap {
public:
    explicit CuckooMap(const threadmill::Setup& setup) : m_keys(setup.keys()) {}

    void insert(threadmill::Call& call) { m_map.insert_or_assign(call.key(), call.arg()); }

    void find(threadmill::Call& call) {
        std::int64_t value = 0;
        if (m_map.find(call.key(), value)) m_sink.store(value, std::memory_order_relaxed);
    }

    void erase(threadmill::Call& call) { m_map.erase(call.key()); }

    void bump(threadmill::Call& call) {
        m_map.upsert(call.key(), [](std::int64_t& v) { ++v; }, 1);
    }

    /// At a quiescent point: the map holds no more keys than the scenario draws from.
    void size_bounded(threadmill::Check& check) {
        if (m_map.size() > m_keys) check.fail("size() is " + std::to_string(m_map.size()) + ", keys " + std::to_string(m_keys));
    }

private:
    std::uint64_t m_keys;
    libcuckoo::cuckoohash_map<std::uint64_t, std::int64_t> m_map;
    std::atomic<std::int64_t> m_sink{0};
};

THREADMILL_TARGET(
    threadmill::target<CuckooMap>("libcuckoo")
        .describe("libcuckoo::cuckoohash_map, a concurrent hash map (examples/cuckoo)")
        .variant("default", "libcuckoo as installed")
        .op("insert", &CuckooMap::insert, "insert or replace key -> arg")
        .op("find", &CuckooMap::find, "look a key up")
        .op("erase", &CuckooMap::erase, "remove a key")
        .op("bump", &CuckooMap::bump, "add one to a key's value (upsert)")
        .invariant("size_bounded", &CuckooMap::size_bounded, "size() <= the scenario's key count"));

}  // namespace
