// The `cache` target: pyWATS's TTLCache (or ShardedCache) and MemoryQueue behind one adapter.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "api/threadmill.hpp"
#include "targets/cache/memory_queue.hpp"
#include "targets/cache/sharded_cache.hpp"
#include "targets/cache/ttl_cache.hpp"

namespace threadmill::cache {
namespace {

/// One consumer in eight fails its item instead of completing it.
constexpr std::uint64_t k_fail_one_in = 8;

TtlCacheFaults cache_faults(const std::string& variant) {
    TtlCacheFaults f;
    f.skip_expiry_on_get = variant == "expired_read";
    f.skip_lock = variant == "unlocked_dict";
    return f;
}

MemoryQueueFaults queue_faults(const std::string& variant) {
    MemoryQueueFaults f;
    f.split_claim = variant == "double_dispatch";
    return f;
}

class CacheAdapter {
public:
    explicit CacheAdapter(const Setup& setup)
        : m_default_ttl(setup.params().duration("default_ttl")),
          m_cache(static_cast<std::size_t>(std::max<std::int64_t>(setup.params().integer("shards"), 1)),
                  static_cast<std::size_t>(setup.params().integer("capacity")), m_default_ttl, m_clock,
                  cache_faults(setup.variant())),
          m_queue(static_cast<std::size_t>(setup.params().integer("queue_capacity")), queue_faults(setup.variant())),
          m_threads(setup) {}

    void get(Call& call) {
        // Read the clock first: a correct get decides expiry with a later reading, so an entry
        // expired at `before` can never be returned by it.
        const std::int64_t before = m_clock.now_ns();
        const auto entry = m_cache.get(call.key());
        if (entry && entry->expires_at_ns <= before) {
            call.violate("no_expired_read", fmt::format("get({}) returned value {}, expired {}ns before get was called",
                                                        call.key(), entry->value, before - entry->expires_at_ns));
        }
    }
    void set(Call& call) { m_cache.set(call.key(), call.bits()); }
    void set_short(Call& call) { m_cache.set(call.key(), call.bits(), short_ttl(call.bits())); }
    void remove(Call& call) { m_cache.remove(call.key()); }
    void cleanup(Call& call) { m_threads[call].sink += m_cache.cleanup_expired(); }
    void size(Call& call) { m_threads[call].sink += m_cache.size(); }
    void queue_add(Call& call) { m_queue.add(call.bits()); }

    void queue_get_next(Call& call) {
        auto item = m_queue.get_next([&call] { call.chaos_point(); });
        if (!item) return;
        m_threads[call].dispatched.push_back(item->id);
        const ItemStatus from = item->status;
        if (call.bits() % k_fail_one_in == 0) {
            item->mark_failed();
        } else {
            item->mark_completed();
        }
        if (!m_queue.update(*item)) {
            const auto now = m_queue.find(item->id);
            call.violate("legal_transitions",
                         fmt::format("thread {}: update of item {} from {} to {} was rejected: the queue has it {}",
                                     call.thread(), item->id, from, item->status,
                                     now ? to_string(now->status) : std::string_view("removed")));
        }
    }

    void queue_remove_done(Call&) {
        for (const auto& item : m_queue.snapshot()) {
            if (item.status == ItemStatus::completed || item.status == ItemStatus::failed) m_queue.remove(item.id);
        }
    }

    void queue_count(Call& call) {
        // count_by_status() and size() are two critical sections: only at a quiescent point must
        // they agree (status_counts_sum).
        const auto counts = m_queue.count_by_status();
        m_threads[call].sink += counts[0] + counts[1] + counts[2] + counts[3] + m_queue.size();
    }

    void queue_snapshot(Call& call) {
        std::uint64_t pending_payload = 0;
        for (const auto& item : m_queue.snapshot()) {
            if (item.status == ItemStatus::pending) pending_payload += item.payload;
        }
        m_threads[call].sink += pending_payload;
    }

    void check_capacity(Check& check) {
        if (const auto n = m_cache.size(); n > m_cache.capacity()) {
            check.fail(fmt::format("the cache holds {} entries, over its capacity of {}", n, m_cache.capacity()));
        }
        if (m_cache.shard_count() == 1) return;
        for (std::size_t i = 0; i < m_cache.shard_count(); ++i) {
            const auto& s = m_cache.shard(i);
            if (const auto n = s.size(); n > s.capacity()) {
                check.fail(fmt::format("shard {} holds {} entries, over its share of {}", i, n, s.capacity()));
            }
        }
    }

    void check_cache_structure(Check& check) {
        for (std::size_t i = 0; i < m_cache.shard_count(); ++i) {
            if (const auto problem = m_cache.shard(i).check_structure()) {
                check.fail(m_cache.shard_count() == 1 ? *problem : fmt::format("shard {}: {}", i, *problem));
            }
        }
    }

    void check_status_counts(Check& check) {
        const auto counts = m_queue.count_by_status();
        const std::uint64_t sum = counts[0] + counts[1] + counts[2] + counts[3];
        if (const auto size = m_queue.size(); sum != size) {
            check.fail(fmt::format("count_by_status sums to {} (pending {}, processing {}, completed {}, failed {}) "
                                   "but size() is {}",
                                   sum, counts[0], counts[1], counts[2], counts[3], size));
        }
        if (const auto problem = m_queue.check_structure()) check.fail(*problem);
    }

    /// Merges every thread's dispatched ids into m_dispatched_to; an id seen before is a
    /// violation. Runs with no op in progress, so every claim made so far has been recorded.
    void check_exactly_once(Check& check) {
        for (int thread = 0; thread < m_threads.size(); ++thread) {
            auto& dispatched = m_threads.at(thread).dispatched;
            for (const std::uint64_t id : dispatched) {
                const auto [it, fresh] = m_dispatched_to.try_emplace(id, thread);
                if (fresh) continue;
                check.fail(it->second == thread ? fmt::format("item {} was handed to thread {} twice", id, thread)
                                                : fmt::format("item {} was handed to thread {} and to thread {}", id,
                                                              it->second, thread));
            }
            dispatched.clear();
        }
        // An item no longer in the queue can never be handed out again: forget it, so that this
        // map stays as small as the queue.
        std::erase_if(m_dispatched_to, [this](const auto& kv) { return !m_queue.contains(kv.first); });
    }

private:
    /// What one worker thread records; only that thread touches it while ops run.
    struct Local {
        std::vector<std::uint64_t> dispatched;  ///< ids get_next handed this thread since the last check
        std::uint64_t sink = 0;                 ///< results folded in, so that no op is optimized away
    };

    Nanos short_ttl(std::uint64_t arg) const {
        const auto span = static_cast<std::uint64_t>(m_default_ttl.count());
        return Nanos(static_cast<std::int64_t>(1 + mix64(arg) % span));
    }

    const Nanos m_default_ttl;
    SteadyClock m_clock;
    ShardedCache m_cache;  ///< one shard when `shards` is 0: a plain TtlCache
    MemoryQueue m_queue;
    PerThread<Local> m_threads;
    std::unordered_map<std::uint64_t, int> m_dispatched_to;  ///< id -> first thread; checks only
};

using namespace std::chrono_literals;

THREADMILL_TARGET(
    target<CacheAdapter>("cache")
        .describe("pyWATS's TTL cache (optionally sharded) and memory queue with exactly-once dispatch")
        .source_document("004_ea96cae91c2bd48a.txt")
        .variant("safe", "the documented design: every cache and queue operation under its object's recursive lock")
        .mutant("double_dispatch", "invariant:exactly_once_dispatch",
                "queue get_next checks for a pending item and claims it in two critical sections, without checking "
                "again")
        .mutant("expired_read", "invariant:no_expired_read",
                "cache get returns entries past their expiry; only cleanup removes them")
        .mutant("unlocked_dict", "race",
                "the TTL cache's map and eviction list are read and written without the lock (shared mutable dict)")
        .param(integer_param("capacity", 1024, 1, std::int64_t{1} << 24,
                             "most entries the cache holds; a new key when full drops expired entries or the oldest "
                             "write"))
        .param(duration_param("default_ttl", 1s, 1us, 24h,
                              "time to live of `set` entries; `set_short` draws its TTL from [1ns, default_ttl]"))
        .param(integer_param("shards", 0, 0, 256,
                             "0: one TTL cache; N: a sharded cache of N TTL caches, each with capacity/N entries "
                             "(capacity must be >= N)"))
        .param(integer_param("queue_capacity", 1024, 1, std::int64_t{1} << 24,
                             "most items the queue holds, finished ones included; queue_add does nothing when full"))
        .op("get", &CacheAdapter::get, "cache get(key); checks that no expired entry comes back")
        .op("set", &CacheAdapter::set, "cache set(key, arg) with the default TTL")
        .op("set_short", &CacheAdapter::set_short,
            "cache set(key, arg) with a TTL drawn from arg in [1ns, default_ttl]")
        .op("delete", &CacheAdapter::remove, "cache remove(key)")
        .op("cleanup", &CacheAdapter::cleanup, "cache cleanup_expired(): removes every expired entry (O(size))")
        .op("size", &CacheAdapter::size, "cache size()")
        .op("queue_add", &CacheAdapter::queue_add, "queue add(arg); nothing when the queue holds queue_capacity items")
        .op("queue_get_next", &CacheAdapter::queue_get_next,
            "consumer: claims the oldest pending item, then completes it (or fails it, one time in 8, per arg) "
            "through update()")
        .op("queue_remove_done", &CacheAdapter::queue_remove_done,
            "removes the completed and failed items seen in a snapshot (keeps the queue bounded)")
        .op("queue_count", &CacheAdapter::queue_count,
            "queue count_by_status() and size() (compared only at quiescent points)")
        .op("queue_snapshot", &CacheAdapter::queue_snapshot, "queue snapshot(), iterated outside the lock")
        .invariant("size_within_capacity", &CacheAdapter::check_capacity,
                   "quiescent: the cache holds at most `capacity` entries, and each shard at most its share")
        .invariant("cache_structure", &CacheAdapter::check_cache_structure,
                   "quiescent: in every TTL cache the map and the eviction order list the same keys")
        .invariant("status_counts_sum", &CacheAdapter::check_status_counts,
                   "quiescent: the queue's per-status counts sum to its size and match a recount of its items")
        .invariant("exactly_once_dispatch", &CacheAdapter::check_exactly_once,
                   "no queue item is handed out by get_next twice, to two consumers or to one")
        .invariant("legal_transitions",
                   "online: the queue never rejects a consumer moving its own processing item to completed or failed")
        .invariant("no_expired_read",
                   "online: get never returns an entry whose expiry is at or before the instant get was called"));

}  // namespace
}  // namespace threadmill::cache
