// The `cache` target: pyWATS's TTLCache (or ShardedCache) and MemoryQueue behind one adapter.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "api/target.hpp"
#include "api/target_tables.hpp"
#include "targets/cache/memory_queue.hpp"
#include "targets/cache/sharded_cache.hpp"
#include "targets/cache/ttl_cache.hpp"

namespace threadmill::cache {
namespace {

// Each enum lists its catalog entries in declaration order; the tables below are checked
// against it at compile time.

enum class Variant { safe, double_dispatch, expired_read, unlocked_dict };

enum class OpKind {
    get,
    set,
    set_short,
    remove,
    cleanup,
    size,
    queue_add,
    queue_get_next,
    queue_remove_done,
    queue_count,
    queue_snapshot,
};

enum class Inv {
    size_within_capacity,
    cache_structure,
    status_counts_sum,
    exactly_once_dispatch,
    legal_transitions,
    no_expired_read,
};

constexpr std::array<CatalogRow<Variant>, 4> k_variants{{
    {Variant::safe, "safe", "the documented design: every cache and queue operation under its object's recursive lock"},
    {Variant::double_dispatch, "double_dispatch",
     "queue get_next checks for a pending item and claims it in two critical sections, without checking again",
     "invariant:exactly_once_dispatch"},
    {Variant::expired_read, "expired_read", "cache get returns entries past their expiry; only cleanup removes them",
     "invariant:no_expired_read"},
    {Variant::unlocked_dict, "unlocked_dict",
     "the TTL cache's map and eviction list are read and written without the lock (shared mutable dict)", "race"},
}};

constexpr std::array<CatalogRow<OpKind>, 11> k_ops{{
    {OpKind::get, "get", "cache get(key); checks that no expired entry comes back"},
    {OpKind::set, "set", "cache set(key, arg) with the default TTL"},
    {OpKind::set_short, "set_short", "cache set(key, arg) with a TTL drawn from arg in [1ns, default_ttl]"},
    {OpKind::remove, "delete", "cache remove(key)"},
    {OpKind::cleanup, "cleanup", "cache cleanup_expired(): removes every expired entry (O(size))"},
    {OpKind::size, "size", "cache size()"},
    {OpKind::queue_add, "queue_add", "queue add(arg); nothing when the queue holds queue_capacity items"},
    {OpKind::queue_get_next, "queue_get_next",
     "consumer: claims the oldest pending item, then completes it (or fails it, one time in 8, per arg) "
     "through update()"},
    {OpKind::queue_remove_done, "queue_remove_done",
     "removes the completed and failed items seen in a snapshot (keeps the queue bounded)"},
    {OpKind::queue_count, "queue_count", "queue count_by_status() and size() (compared only at quiescent points)"},
    {OpKind::queue_snapshot, "queue_snapshot", "queue snapshot(), iterated outside the lock"},
}};

constexpr std::array<CatalogRow<Inv>, 6> k_invariants{{
    {Inv::size_within_capacity, "size_within_capacity",
     "quiescent: the cache holds at most `capacity` entries, and each shard at most its share"},
    {Inv::cache_structure, "cache_structure",
     "quiescent: in every TTL cache the map and the eviction order list the same keys"},
    {Inv::status_counts_sum, "status_counts_sum",
     "quiescent: the queue's per-status counts sum to its size and match a recount of its items"},
    {Inv::exactly_once_dispatch, "exactly_once_dispatch",
     "no queue item is handed out by get_next twice, to two consumers or to one"},
    {Inv::legal_transitions, "legal_transitions",
     "online: the queue never rejects a consumer moving its own processing item to completed or failed"},
    {Inv::no_expired_read, "no_expired_read",
     "online: get never returns an entry whose expiry is at or before the instant get was called"},
}};

static_assert(in_kind_order(k_variants) && in_kind_order(k_ops) && in_kind_order(k_invariants));
static_assert(k_ops.back().kind == OpKind::queue_snapshot && k_invariants.back().kind == Inv::no_expired_read);

constexpr int index_of(Inv i) { return static_cast<int>(i); }

/// One consumer in eight fails its item instead of completing it.
constexpr std::uint64_t k_fail_one_in = 8;

TtlCacheFaults cache_faults(Variant v) {
    TtlCacheFaults f;
    f.skip_expiry_on_get = v == Variant::expired_read;
    f.skip_lock = v == Variant::unlocked_dict;
    return f;
}

MemoryQueueFaults queue_faults(Variant v) {
    MemoryQueueFaults f;
    f.split_claim = v == Variant::double_dispatch;
    return f;
}

class CacheTarget final : public TargetInstance {
public:
    explicit CacheTarget(const TargetConfig& config)
        : m_variant(static_cast<Variant>(config.variant)),
          m_default_ttl(config.params->duration("default_ttl")),
          m_cache(static_cast<std::size_t>(std::max<std::int64_t>(config.params->integer("shards"), 1)),
                  static_cast<std::size_t>(config.params->integer("capacity")), m_default_ttl, m_clock,
                  cache_faults(m_variant)),
          m_queue(static_cast<std::size_t>(config.params->integer("queue_capacity")), queue_faults(m_variant)),
          m_threads(static_cast<std::size_t>(std::max(config.thread_count, 1))) {}

    void run(const Op& op, ThreadContext& ctx) override {
        switch (static_cast<OpKind>(op.index)) {
            case OpKind::get: {
                // Read the clock first: a correct get decides expiry with a later reading, so an
                // entry expired at `before` can never be returned by it.
                const std::int64_t before = m_clock.now_ns();
                const auto entry = m_cache.get(op.key);
                if (entry && entry->expires_at_ns <= before) {
                    ctx.violate(index_of(Inv::no_expired_read),
                                fmt::format("get({}) returned value {}, expired {}ns before get was called", op.key,
                                            entry->value, before - entry->expires_at_ns));
                }
                return;
            }
            case OpKind::set: m_cache.set(op.key, op.arg); return;
            case OpKind::set_short: m_cache.set(op.key, op.arg, short_ttl(op.arg)); return;
            case OpKind::remove: m_cache.remove(op.key); return;
            case OpKind::cleanup: local(ctx).sink += m_cache.cleanup_expired(); return;
            case OpKind::size: local(ctx).sink += m_cache.size(); return;
            case OpKind::queue_add: m_queue.add(op.arg); return;
            case OpKind::queue_get_next: consume(op, ctx); return;
            case OpKind::queue_remove_done: remove_finished(); return;
            case OpKind::queue_count: {
                // count_by_status() and size() are two critical sections: only at a quiescent
                // point must they agree (status_counts_sum).
                const auto counts = m_queue.count_by_status();
                local(ctx).sink += counts[0] + counts[1] + counts[2] + counts[3] + m_queue.size();
                return;
            }
            case OpKind::queue_snapshot: {
                std::uint64_t pending_payload = 0;
                for (const auto& item : m_queue.snapshot()) {
                    if (item.status == ItemStatus::pending) pending_payload += item.payload;
                }
                local(ctx).sink += pending_payload;
                return;
            }
        }
    }

    void check(InvariantSink& sink, CheckPoint) override {
        check_capacity(sink);
        check_cache_structure(sink);
        check_status_counts(sink);
        check_exactly_once(sink);
    }

private:
    /// What one worker thread records; only that thread touches it while ops run.
    struct alignas(64) PerThread {
        std::vector<std::uint64_t> dispatched;  ///< ids get_next handed this thread since the last check
        std::uint64_t sink = 0;                 ///< results folded in, so that no op is optimized away
    };

    PerThread& local(const ThreadContext& ctx) { return m_threads.at(static_cast<std::size_t>(ctx.thread_index)); }

    Nanos short_ttl(std::uint64_t arg) const {
        const auto span = static_cast<std::uint64_t>(m_default_ttl.count());
        return Nanos(static_cast<std::int64_t>(1 + mix64(arg) % span));
    }

    void consume(const Op& op, ThreadContext& ctx) {
        auto item = m_queue.get_next([&ctx] { ctx.chaos_point(); });
        if (!item) return;
        local(ctx).dispatched.push_back(item->id);
        const ItemStatus from = item->status;
        if (op.arg % k_fail_one_in == 0) {
            item->mark_failed();
        } else {
            item->mark_completed();
        }
        if (!m_queue.update(*item)) {
            const auto now = m_queue.find(item->id);
            ctx.violate(index_of(Inv::legal_transitions),
                        fmt::format("thread {}: update of item {} from {} to {} was rejected: the queue has it {}",
                                    ctx.thread_index, item->id, from, item->status,
                                    now ? to_string(now->status) : std::string_view("removed")));
        }
    }

    void remove_finished() {
        for (const auto& item : m_queue.snapshot()) {
            if (item.status == ItemStatus::completed || item.status == ItemStatus::failed) m_queue.remove(item.id);
        }
    }

    void check_capacity(InvariantSink& sink) const {
        const int inv = index_of(Inv::size_within_capacity);
        if (const auto n = m_cache.size(); n > m_cache.capacity()) {
            sink.fail(inv, fmt::format("the cache holds {} entries, over its capacity of {}", n, m_cache.capacity()));
        }
        if (m_cache.shard_count() == 1) return;
        for (std::size_t i = 0; i < m_cache.shard_count(); ++i) {
            const auto& s = m_cache.shard(i);
            if (const auto n = s.size(); n > s.capacity()) {
                sink.fail(inv, fmt::format("shard {} holds {} entries, over its share of {}", i, n, s.capacity()));
            }
        }
    }

    void check_cache_structure(InvariantSink& sink) const {
        for (std::size_t i = 0; i < m_cache.shard_count(); ++i) {
            if (const auto problem = m_cache.shard(i).check_structure()) {
                sink.fail(index_of(Inv::cache_structure),
                          m_cache.shard_count() == 1 ? *problem : fmt::format("shard {}: {}", i, *problem));
            }
        }
    }

    void check_status_counts(InvariantSink& sink) const {
        const int inv = index_of(Inv::status_counts_sum);
        const auto counts = m_queue.count_by_status();
        const std::uint64_t sum = counts[0] + counts[1] + counts[2] + counts[3];
        if (const auto size = m_queue.size(); sum != size) {
            sink.fail(inv,
                      fmt::format("count_by_status sums to {} (pending {}, processing {}, completed {}, failed {}) "
                                  "but size() is {}",
                                  sum, counts[0], counts[1], counts[2], counts[3], size));
        }
        if (const auto problem = m_queue.check_structure()) sink.fail(inv, *problem);
    }

    /// Merges every thread's dispatched ids into m_dispatched_to; an id seen before is a
    /// violation. Runs with no op in progress, so every claim made so far has been recorded.
    void check_exactly_once(InvariantSink& sink) {
        const int inv = index_of(Inv::exactly_once_dispatch);
        for (std::size_t t = 0; t < m_threads.size(); ++t) {
            const int thread = static_cast<int>(t);
            for (const std::uint64_t id : m_threads[t].dispatched) {
                const auto [it, fresh] = m_dispatched_to.try_emplace(id, thread);
                if (fresh) continue;
                sink.fail(inv, it->second == thread ? fmt::format("item {} was handed to thread {} twice", id, thread)
                                                    : fmt::format("item {} was handed to thread {} and to thread {}",
                                                                  id, it->second, thread));
            }
            m_threads[t].dispatched.clear();
        }
        // An item no longer in the queue can never be handed out again: forget it, so that
        // this map stays as small as the queue.
        std::erase_if(m_dispatched_to, [this](const auto& kv) { return !m_queue.contains(kv.first); });
    }

    const Variant m_variant;
    const Nanos m_default_ttl;
    SteadyClock m_clock;
    ShardedCache m_cache;  ///< one shard when `shards` is 0: a plain TtlCache
    MemoryQueue m_queue;
    std::vector<PerThread> m_threads;
    std::unordered_map<std::uint64_t, int> m_dispatched_to;  ///< id -> first thread; check() only
};

TargetSpec make_cache_spec() {
    TargetSpec spec;
    TargetInfo& info = spec.info;
    info.name = "cache";
    info.description = "pyWATS's TTL cache (optionally sharded) and memory queue with exactly-once dispatch";
    info.seed = "004_ea96cae91c2bd48a.txt";
    fill_catalog(info, k_variants, k_ops, k_invariants);

    using namespace std::chrono_literals;
    info.params = {
        integer_param("capacity", 1024, 1, std::int64_t{1} << 24,
                      "most entries the cache holds; a new key when full drops expired entries or the oldest write"),
        duration_param("default_ttl", 1s, 1us, 24h,
                       "time to live of `set` entries; `set_short` draws its TTL from [1ns, default_ttl]"),
        integer_param("shards", 0, 0, 256,
                      "0: one TTL cache; N: a sharded cache of N TTL caches, each with capacity/N entries "
                      "(capacity must be >= N)"),
        integer_param("queue_capacity", 1024, 1, std::int64_t{1} << 24,
                      "most items the queue holds, finished ones included; queue_add does nothing when full"),
    };

    spec.create = [](const TargetConfig& config) -> std::unique_ptr<TargetInstance> {
        return std::make_unique<CacheTarget>(config);
    };
    return spec;
}

}  // namespace

TM_REGISTER_TARGET(make_cache_spec);

}  // namespace threadmill::cache
