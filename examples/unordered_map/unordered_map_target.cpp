// A plain std::unordered_map shared by every thread with no lock: a target whose only variant is the bug.
#include <atomic>
#include <cstdint>
#include <unordered_map>

#include "api/threadmill.hpp"

namespace {

class UnlockedMap {
public:
    void put(threadmill::Call& call) {
        m_map.insert_or_assign(call.key(), call.arg());  // the race: every thread writes the map, no lock
    }

    void get(threadmill::Call& call) {
        auto it = m_map.find(call.key());  // the race: reads while another thread writes
        if (it != m_map.end()) m_sink.store(it->second, std::memory_order_relaxed);
    }

private:
    std::unordered_map<std::uint64_t, std::int64_t> m_map;
    std::atomic<std::int64_t> m_sink{0};  // keeps the reads from being optimized away
};

THREADMILL_TARGET(
    threadmill::target<UnlockedMap>("unlocked_unordered_map")
        .describe("std::unordered_map used from several threads without a lock (examples/unordered_map)")
        .mutant("unlocked", "race", "put and get on one std::unordered_map, no lock")
        .op("put", &UnlockedMap::put, "insert or replace key -> arg")
        .op("get", &UnlockedMap::get, "look a key up"));

}  // namespace
