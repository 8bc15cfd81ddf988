// The `cache` target: pyWATS's TTLCache (or ShardedCache), MemoryQueue, EventBus and parallel_execute
// behind one adapter.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "api/clock.hpp"
#include "api/threadmill.hpp"
#include "targets/cache/event_bus.hpp"
#include "targets/cache/memory_queue.hpp"
#include "targets/cache/parallel_execute.hpp"
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

EventBusFaults bus_faults(const std::string& variant) {
    EventBusFaults f;
    f.unlocked_handlers = variant == "bus_handlers_unlocked";
    f.stop_without_wait = variant == "bus_stop_without_wait";
    f.exception_kills_worker = variant == "bus_exception_kills_worker";
    f.stop_strands_publishers = variant == "bus_stop_strands_publishers";
    return f;
}

ExecutorFaults executor_faults(const std::string& variant) {
    ExecutorFaults f;
    f.unlocked_results = variant == "execute_unlocked_results";
    f.results_lost_on_failure = variant == "execute_results_lost";
    f.late_write_after_timeout = variant == "execute_late_write";
    return f;
}

/// Keys of parallel_execute carry what their operation does: bit 62 makes it throw (an injected
/// fault), bit 61 makes it slow; so a result is judged from its key alone, even one that arrives
/// after its call gave up on it.
constexpr std::uint64_t k_fail_bit = std::uint64_t{1} << 62;
constexpr std::uint64_t k_slow_bit = std::uint64_t{1} << 61;
constexpr std::uint64_t k_key_mask = k_slow_bit - 1;

/// What an event's payload carries: bit 0 makes every handler of it throw (an injected fault).
constexpr std::uint64_t k_poison_bit = 1;

/// The message of the exception an injected fault throws, for `key`.
std::string fault_message(std::uint64_t key) { return fmt::format("injected fault for key {}", key & k_key_mask); }

/// The event bus and its subscribers, made on first use: a scenario that never touches the bus
/// runs no bus threads.
struct BusParams {
    std::size_t handler_threads;
    std::size_t queue_capacity;
    std::size_t topics;
    Nanos handler_work;
    Nanos run_between_restarts;
    EventBusFaults faults;
};

/// parallel_execute's pool and how its calls run, made on first use.
struct ExecuteParams {
    std::size_t pool_threads;
    std::size_t batch;
    Nanos timeout;
    std::uint64_t slow_one_in;
    Nanos slow;
    ExecutorFaults faults;
};

class CacheAdapter {
public:
    explicit CacheAdapter(const Setup& setup)
        : m_default_ttl(setup.params().duration("default_ttl")),
          m_cache(static_cast<std::size_t>(std::max<std::int64_t>(setup.params().integer("shards"), 1)),
                  static_cast<std::size_t>(setup.params().integer("capacity")), m_default_ttl, m_clock,
                  cache_faults(setup.variant())),
          m_queue(static_cast<std::size_t>(setup.params().integer("queue_capacity")), queue_faults(setup.variant())),
          m_bus_params{static_cast<std::size_t>(setup.params().integer("bus_handler_threads")),
                       static_cast<std::size_t>(setup.params().integer("bus_queue_capacity")),
                       static_cast<std::size_t>(setup.params().integer("bus_topics")),
                       setup.params().duration("bus_handler_work"), setup.params().duration("bus_run_between_restarts"),
                       bus_faults(setup.variant())},
          m_execute_params{static_cast<std::size_t>(setup.params().integer("pool_threads")),
                           static_cast<std::size_t>(setup.params().integer("execute_batch")),
                           setup.params().duration("execute_timeout"),
                           static_cast<std::uint64_t>(setup.params().integer("execute_slow_one_in")),
                           setup.params().duration("execute_slow"), executor_faults(setup.variant())},
          m_delivered(m_bus_params.topics),
          m_threads(setup) {}

    void get(Call& call) {
        // Read the clock first: a correct get decides expiry with a later reading, so an entry
        // expired at `before` can never be returned by it.
        const std::int64_t before = m_clock.now_ns();
        if (call.recording()) call.invoke({.op = "get", .key = std::to_string(call.key()), .input = nullptr});
        const auto entry = m_cache.get(call.key());
        if (call.recording()) call.ok(entry ? std::to_string(entry->value) : std::string());
        if (entry && entry->expires_at_ns <= before) {
            call.violate("no_expired_read", fmt::format("get({}) returned value {}, expired {}ns before get was called",
                                                        call.key(), entry->value, before - entry->expires_at_ns));
        }
    }
    /// History (model kv): put(key, arg as text). An entry's expiry is not in the model: a
    /// scenario that checks linearizability keeps every entry alive for the run (a long
    /// default_ttl, no set_short, capacity >= keys).
    void set(Call& call) {
        if (call.recording())
            call.invoke({.op = "put", .key = std::to_string(call.key()), .input = std::to_string(call.bits())});
        m_cache.set(call.key(), call.bits());
    }
    void set_short(Call& call) { m_cache.set(call.key(), call.bits(), short_ttl(call.bits())); }
    /// History (model kv): delete(key).
    void remove(Call& call) {
        if (call.recording()) call.invoke({.op = "delete", .key = std::to_string(call.key()), .input = nullptr});
        m_cache.remove(call.key());
    }
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

    // ---- EventBus ----------------------------------------------------------------------------

    /// Publishes to topic key % topics; one event in `[faults] rate` is poisoned: every handler
    /// of it throws.
    void bus_publish(Call& call) {
        EventBus& bus = event_bus();
        const std::uint64_t payload = (call.bits() << 1) | (call.fault() ? k_poison_bit : 0);
        m_threads[call].sink += bus.publish(topic_of(call), payload) ? 1 : 0;
    }

    /// Adds a handler for topic key % topics; a thread keeps at most 4 of its own, and drops its
    /// oldest instead of adding a fifth (subscription churn while the dispatcher reads the list).
    void bus_subscribe(Call& call) {
        EventBus& bus = event_bus();
        auto& mine = m_threads[call].subscriptions;
        if (mine.size() >= 4) {
            bus.unsubscribe(mine.front());
            mine.pop_front();
            return;
        }
        mine.push_back(bus.subscribe(topic_of(call), [this](const Event& e) { transient_handler(e); }));
    }

    void bus_unsubscribe(Call& call) {
        EventBus& bus = event_bus();
        auto& mine = m_threads[call].subscriptions;
        if (mine.empty()) return;
        bus.unsubscribe(mine.back());
        mine.pop_back();
    }

    /// stop() then start(): the lifecycle racing the publishers, subscribers and handlers. With
    /// bus_run_between_restarts, the new epoch then runs that long (this thread sleeps) before the
    /// next restart can stop it: back to back, a bus spends most of its time starting and stopping,
    /// and its queue rarely fills.
    void bus_restart(Call& call) {
        EventBus& bus = event_bus();
        note_stopped(bus.stop());
        call.chaos_point();
        bus.start();
        if (m_bus_params.run_between_restarts > Nanos(0)) std::this_thread::sleep_for(m_bus_params.run_between_restarts);
    }

    /// A permanent subscriber of each topic counts every event delivered to it; after a flush the
    /// counts must equal what was accepted and not discarded by a stop. A bus that makes no
    /// progress for a second with work left has lost its dispatcher or every handler thread: it
    /// fails, and is stopped (later publishes are rejected instead of blocking for good).
    void check_all_delivered(Check& check) {
        if (!m_bus) return;
        if (!m_bus->flush(std::chrono::seconds(1))) {
            const auto st = m_bus->stats();
            check.fail(fmt::format("the bus made no progress for 1s with {} events queued, {} handler calls waiting "
                                   "and {} running; {} of {} handler threads are alive ({} handler errors so far)",
                                   st.queued, st.pool_waiting, st.calls_running, st.pool_threads,
                                   m_bus_params.handler_threads, st.handler_errors));
            // Stopped for good: a publisher would otherwise block on the full queue of a bus that
            // never drains, and the job would end as a hang instead of this finding.
            note_stopped(m_bus->stop());
            return;
        }
        const auto st = m_bus->stats();
        for (std::size_t t = 0; t < m_bus_params.topics; ++t) {
            const std::uint64_t expected = st.accepted_by_topic[t] - st.discarded_by_topic[t];
            const std::uint64_t delivered = m_delivered[t].load(std::memory_order_relaxed);
            if (delivered != expected)
                check.fail(fmt::format("topic {}: {} events accepted, {} discarded by stop, but the permanent "
                                       "subscriber got {}",
                                       t, st.accepted_by_topic[t], st.discarded_by_topic[t], delivered));
        }
    }

    /// Handlers record what they saw on the bus's threads; reported here.
    void check_no_handler_after_stop(Check& check) {
        const std::lock_guard lock(m_late_mutex);
        for (auto& detail : m_late_details) check.fail(std::move(detail));
        m_late_details.clear();
    }

    // ---- parallel_execute ----------------------------------------------------------------------

    /// One parallel_execute call over `execute_batch` keys from the call's bits: one key in
    /// `[faults] rate` throws, one in `execute_slow_one_in` sleeps `execute_slow`; every key comes
    /// back as its value, its error or timed_out, checked at once (results_complete).
    void execute(Call& call) {
        WorkerPool& pool = worker_pool();
        const ExecuteParams& p = m_execute_params;
        std::vector<std::uint64_t> keys(p.batch);
        std::uint64_t bits = call.bits();
        for (std::size_t i = 0; i < keys.size(); ++i) {
            bits = mix64(bits + i);
            std::uint64_t key = bits & k_key_mask;
            if (call.fault()) key |= k_fail_bit;
            if (p.slow_one_in != 0 && (bits >> 40) % p.slow_one_in == 0) key |= k_slow_bit;
            keys[i] = key;
        }
        const Nanos slow = p.slow;
        const auto operation = [slow](std::uint64_t key) -> std::uint64_t {
            if ((key & k_slow_bit) != 0) std::this_thread::sleep_for(slow);
            if ((key & k_fail_bit) != 0) throw std::runtime_error(fault_message(key));
            return mix64(key);
        };
        ParallelOptions options;
        options.timeout = p.timeout;
        options.faults = p.faults;
        const auto results = parallel_execute(pool, keys, operation, options);
        if (const auto problem = judge_results(keys, results)) call.violate("results_complete", *problem);
        m_threads[call].sink += results.size();
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

    /// Stops the bus (its threads end here, where destruction races live) and the pool (it runs
    /// what late tasks remain) before the final checks.
    void teardown() {
        if (m_bus) note_stopped(m_bus->stop());
        m_pool.reset();
    }

private:
    /// What one worker thread records; only that thread touches it while ops run.
    struct Local {
        std::vector<std::uint64_t> dispatched;  ///< ids get_next handed this thread since the last check
        std::deque<std::uint64_t> subscriptions;  ///< this thread's bus subscriptions, oldest first
        std::uint64_t sink = 0;                 ///< results folded in, so that no op is optimized away
    };

    std::uint32_t topic_of(const Call& call) const { return static_cast<std::uint32_t>(call.key() % m_bus_params.topics); }

    EventBus& event_bus() {
        std::call_once(m_bus_once, [this] {
            const BusParams& p = m_bus_params;
            m_bus = std::make_unique<EventBus>(p.handler_threads, p.queue_capacity, p.topics, p.faults);
            for (std::uint32_t t = 0; t < p.topics; ++t)
                m_bus->subscribe(t, [this](const Event& e) { permanent_handler(e); });
            m_bus->start();
        });
        return *m_bus;
    }

    WorkerPool& worker_pool() {
        std::call_once(m_pool_once, [this] { m_pool = std::make_unique<WorkerPool>(m_execute_params.pool_threads); });
        return *m_pool;
    }

    /// Raises the highest epoch whose stop() has returned.
    void note_stopped(std::uint64_t epoch) {
        std::uint64_t seen = m_stopped_through.load(std::memory_order_acquire);
        while (epoch > seen && !m_stopped_through.compare_exchange_weak(seen, epoch, std::memory_order_acq_rel)) {
        }
    }

    /// Every handler: works, then checks that the stop() of its epoch has not returned yet (the
    /// correct stop waits for every handler call of its epoch), then throws if the event is
    /// poisoned.
    void handle(const Event& e) {
        busy_for(m_bus_params.handler_work);
        if (e.epoch <= m_stopped_through.load(std::memory_order_acquire)) {
            const std::lock_guard lock(m_late_mutex);
            if (m_late_details.size() < 5)
                m_late_details.push_back(fmt::format("a handler of event {} (epoch {}) ran after stop() of epoch {} "
                                                     "returned",
                                                     e.seq, e.epoch, m_stopped_through.load()));
        }
        if ((e.payload & k_poison_bit) != 0) throw std::runtime_error(fmt::format("injected fault in event {}", e.seq));
    }
    void permanent_handler(const Event& e) {
        m_delivered[e.topic].fetch_add(1, std::memory_order_relaxed);
        handle(e);
    }
    void transient_handler(const Event& e) { handle(e); }

    /// Why `results` is not one result per key of `keys` in order, each the key's value, its
    /// injected error or timed_out; nullopt when it is.
    static std::optional<std::string> judge_results(std::span<const std::uint64_t> keys,
                                                    const std::vector<KeyResult>& results) {
        if (results.size() != keys.size())
            return fmt::format("{} keys gave {} results (keys with injected failures: {})", keys.size(), results.size(),
                               std::count_if(keys.begin(), keys.end(), [](std::uint64_t k) { return (k & k_fail_bit) != 0; }));
        for (std::size_t i = 0; i < keys.size(); ++i) {
            const KeyResult& r = results[i];
            const std::uint64_t key = keys[i];
            if (r.key != key) return fmt::format("result {} is for key {}, not {}", i, r.key & k_key_mask, key & k_key_mask);
            const bool fails = (key & k_fail_bit) != 0;
            switch (r.status) {
                case KeyStatus::ok:
                    if (fails) return fmt::format("key {} should have failed, but gave a value", key & k_key_mask);
                    if (r.value != mix64(key))
                        return fmt::format("key {} gave {}, not {}", key & k_key_mask, r.value, mix64(key));
                    break;
                case KeyStatus::failed:
                    if (!fails || r.error != fault_message(key))
                        return fmt::format("key {} failed with '{}'{}", key & k_key_mask, r.error,
                                           fails ? "" : ", but its operation does not throw");
                    break;
                case KeyStatus::timed_out: break;  // legal for any key: the call gave up waiting
            }
        }
        return std::nullopt;
    }

    Nanos short_ttl(std::uint64_t arg) const {
        const auto span = static_cast<std::uint64_t>(m_default_ttl.count());
        return Nanos(static_cast<std::int64_t>(1 + mix64(arg) % span));
    }

    const Nanos m_default_ttl;
    SteadyClock m_clock;
    ShardedCache m_cache;  ///< one shard when `shards` is 0: a plain TtlCache
    MemoryQueue m_queue;
    const BusParams m_bus_params;
    const ExecuteParams m_execute_params;
    std::vector<std::atomic<std::uint64_t>> m_delivered;  ///< per topic, by the permanent subscriber
    std::atomic<std::uint64_t> m_stopped_through{0};      ///< the highest epoch whose stop() returned
    std::mutex m_late_mutex;
    std::vector<std::string> m_late_details;  ///< handlers that ran after their epoch's stop() returned
    std::once_flag m_bus_once;
    std::unique_ptr<EventBus> m_bus;  ///< after the members its handlers use: destroyed first
    std::once_flag m_pool_once;
    std::unique_ptr<WorkerPool> m_pool;
    PerThread<Local> m_threads;
    std::unordered_map<std::uint64_t, int> m_dispatched_to;  ///< id -> first thread; checks only
};

using namespace std::chrono_literals;

THREADMILL_TARGET(
    target<CacheAdapter>("cache")
        .describe("pyWATS's TTL cache (optionally sharded), memory queue with exactly-once dispatch, event bus with a "
                  "handler pool, and parallel_execute on a reused thread pool")
        .source_document("004_ea96cae91c2bd48a.txt")
        .model("kv")
        .variant("safe", "the documented design: every cache and queue operation under its object's recursive lock; the "
                         "bus copies its handler list under its lock, isolates handler exceptions per call and stops "
                         "by waking publishers and waiting for its handlers; parallel_execute gathers under a lock "
                         "into state shared with its tasks")
        .mutant("double_dispatch", "invariant:exactly_once_dispatch",
                "queue get_next checks for a pending item and claims it in two critical sections, without checking "
                "again")
        .mutant("expired_read", "invariant:no_expired_read",
                "cache get returns entries past their expiry; only cleanup removes them")
        .mutant("unlocked_dict", "race",
                "the TTL cache's map and eviction list are read and written without the lock (shared mutable dict)")
        .mutant("bus_handlers_unlocked", "race",
                "the bus's dispatcher walks the live subscription list without its lock while subscribe and "
                "unsubscribe change it")
        .mutant("bus_stop_without_wait", "invariant:no_handler_after_stop",
                "the bus's stop() detaches its threads instead of waiting for the handler calls in flight")
        .mutant("bus_exception_kills_worker", "invariant:all_delivered",
                "a handler's exception ends the handler thread that ran it (the try/catch is around the loop); "
                "once every handler thread is gone nothing is delivered")
        .mutant("bus_stop_strands_publishers", "timeout",
                "the bus's stop() empties the queue but does not wake the publishers blocked on it being full")
        .mutant("execute_unlocked_results", "race",
                "parallel_execute's tasks write the shared results map without the lock (the shared results "
                "dictionary)")
        .mutant("execute_results_lost", "invariant:results_complete",
                "parallel_execute stops gathering at the first failed key: the other keys' results are lost")
        .mutant("execute_late_write", "memory:heap-use-after-free",
                "parallel_execute's gathering state belongs to the call: a task still running at the timeout "
                "writes its result into freed memory")
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
        .param(integer_param("bus_handler_threads", 2, 1, 64, "the event bus's handler pool threads"))
        .param(integer_param("bus_queue_capacity", 64, 1, 65536,
                             "most events queued on the bus; bus_publish blocks while it is full"))
        .param(integer_param("bus_topics", 4, 1, 256, "topics of the bus; an operation's topic is key % bus_topics"))
        .param(duration_param("bus_handler_work", Nanos(0), Nanos(0), 10ms,
                              "busy work of every handler call (a slow handler keeps the queue full)"))
        .param(duration_param("bus_run_between_restarts", Nanos(0), Nanos(0), 100ms,
                              "bus_restart sleeps this long after start(), so that the new epoch runs (and its "
                              "queue fills) before the next restart stops it"))
        .param(integer_param("pool_threads", 4, 1, 64, "threads of the pool every parallel_execute call reuses"))
        .param(integer_param("execute_batch", 8, 1, 1024, "keys per parallel_execute call"))
        .param(duration_param("execute_timeout", 10ms, 1us, 1h,
                              "how long a parallel_execute call waits; a key still running then is timed out"))
        .param(integer_param("execute_slow_one_in", 0, 0, std::int64_t{1} << 20,
                             "0: no key is slow; N: about one key in N sleeps execute_slow"))
        .param(duration_param("execute_slow", 1ms, 1us, 1s, "how long a slow key's operation sleeps"))
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
        .op("bus_publish", &CacheAdapter::bus_publish,
            "event bus publish(topic key % bus_topics); blocks while the bus's queue is full; with [faults], every "
            "handler of a poisoned event throws")
        .op("bus_subscribe", &CacheAdapter::bus_subscribe,
            "subscribes a handler to topic key % bus_topics (a thread keeps at most 4: the fifth call drops the "
            "oldest instead)")
        .op("bus_unsubscribe", &CacheAdapter::bus_unsubscribe, "unsubscribes this thread's newest handler")
        .op("bus_restart", &CacheAdapter::bus_restart, "event bus stop() then start() (a new epoch)")
        .op("execute", &CacheAdapter::execute,
            "parallel_execute over execute_batch keys on the shared pool; with [faults], some keys' operations "
            "throw; checks every key's result at once")
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
                   "online: get never returns an entry whose expiry is at or before the instant get was called")
        .invariant("all_delivered", &CacheAdapter::check_all_delivered,
                   "quiescent: after a flush, each topic's permanent subscriber got every event the bus accepted and "
                   "no stop discarded; a bus that makes no progress for 1s with work left fails")
        .invariant("no_handler_after_stop", &CacheAdapter::check_no_handler_after_stop,
                   "no handler call of an epoch runs after that epoch's stop() returned (recorded by the handlers, "
                   "reported at quiescent points)")
        .invariant("results_complete",
                   "online: parallel_execute returns one result per key, in order: the key's value, its injected "
                   "error, or timed out")
        .teardown(&CacheAdapter::teardown));

}  // namespace
}  // namespace threadmill::cache
