// The `config_store` target: SpotiPi's ThreadSafeConfigManager (RW lock, caches, file, transactions).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "api/threadmill.hpp"
#include "targets/config_store/config_store.hpp"

namespace threadmill::config_store {
namespace {

/// The marker a failing transaction writes before its validation fails.
constexpr std::string_view k_failed_marker = "failed_tx";
constexpr std::int64_t k_value_span = 1'000'000;
/// What `get` asks get_value() to return for a key never set: no value written is negative.
constexpr std::int64_t k_unset = -1;

ConfigStoreFaults faults_of(const std::string& variant) {
    ConfigStoreFaults f;
    f.load_modify_save = variant == "load_modify_save";
    f.stale_thread_cache = variant == "stale_thread_cache";
    f.torn_write = variant == "torn_write";
    f.no_rollback = variant == "no_rollback";
    f.reader_preferring = variant == "reader_preferring";
    f.listener_under_lock = variant == "listener_under_lock";
    f.copy_after_unlock = variant == "live_snapshot";
    f.unlock_by_hand = variant == "lock_leak_on_throw";
    f.non_reentrant_lock = variant == "non_reentrant_lock";
    return f;
}

Config initial_config(std::int64_t filler_fields) {
    Config c;
    for (const char* name : {"counter", "a", "b", "c"}) c.values.emplace(name, 0);
    c.values.emplace("volume", 50);
    c.values.emplace("volume_applied", 50);  // what the applier listener last applied
    for (const char* name : {"nest_outer", "nest_inner"}) c.values.emplace(name, 0);
    for (std::int64_t i = 0; i < filler_fields; ++i) c.values.emplace(fmt::format("f{:04}", i), i);
    return c;
}

ConfigStoreOptions options_of(const Setup& setup) {
    const Params& params = setup.params();
    ConfigStoreOptions o;
    if (params.boolean("persist") && !setup.work_dir().empty()) o.path = setup.work_dir() + "/config.txt";
    o.thread_cache_ttl = params.duration("thread_cache_ttl");
    o.lock_timeout = params.duration("lock_timeout");
    o.fsync = params.boolean("fsync");
    o.read_hold = params.duration("read_hold");
    o.pause = [] {
        if (Call* call = threadmill::current_call()) call->chaos_point();
    };
    o.faults = faults_of(setup.variant());
    return o;
}

class ConfigStoreAdapter {
public:
    explicit ConfigStoreAdapter(const Setup& setup)
        : m_store(options_of(setup), initial_config(setup.params().integer("filler_fields"))), m_threads(setup) {
        // A component that applies a new volume by writing it back (registered first, so that the
        // next listener sees the commits around that write), then one that checks the order of
        // the commits it is told about and reads the store back.
        m_store.add_listener([this](const Config& committed) { apply_volume(committed); });
        m_store.add_listener([this](const Config& committed) { on_commit(committed); });
    }

    /// get_value(k<key>). History (model kv): get(k<key>) -> the value as text, "" while unset.
    void get(Call& call) {
        Local& me = m_threads[call];
        const std::string name = key_name(call.key());
        call.invoke({.op = "get", .key = name, .input = nullptr});
        const std::uint64_t floor = m_store.committed_version();
        std::uint64_t version = 0;
        const std::int64_t value = m_store.get_value(name, k_unset, &version);
        if (call.recording()) call.ok(value == k_unset ? std::string() : std::to_string(value));
        me.sink += static_cast<std::uint64_t>(value);
        check_read(call, me, "get", version, floor);
    }

    /// set_value(k<key>, arg). History (model kv): put(k<key>, the value as text).
    void set(Call& call) {
        const std::string name = key_name(call.key());
        const auto value = static_cast<std::int64_t>(call.bits() % k_value_span);
        if (call.recording()) call.invoke({.op = "put", .key = name, .input = std::to_string(value)});
        m_store.set_value(name, value);
    }

    /// set_value("volume", arg): the applier listener then commits volume_applied = volume.
    void set_volume(Call& call) {
        m_store.set_value("volume", static_cast<std::int64_t>(call.bits() % k_value_span));
    }

    void increment(Call&) {
        const TxResult r = m_store.transaction([](Config& c) {
            c.values["counter"] += 1;
            return true;
        });
        if (r.outcome == TxOutcome::committed) m_increments.fetch_add(1, std::memory_order_relaxed);
    }

    void multi_field(Call& call) {
        const auto v = static_cast<std::int64_t>(call.bits() % k_value_span);
        m_store.transaction([v](Config& c) {
            c.values["a"] = v;
            c.values["b"] = v;
            c.values["c"] = v;
            return true;
        });
    }

    void read_fields(Call& call) {
        Local& me = m_threads[call];
        const std::uint64_t floor = m_store.committed_version();
        const Config c = m_store.snapshot();
        check_read(call, me, "read_fields", c.version, floor);
        if (const auto problem = fields_problem(c)) {
            call.violate("fields_equal", fmt::format("read_fields: {}", *problem));
        }
        if (const auto problem = trace_problem(c)) {
            call.violate("rollback_leaves_no_trace", fmt::format("read_fields: {}", *problem));
        }
        me.sink += c.version;
    }

    void failing_tx(Call& call) {
        const auto v = static_cast<std::int64_t>(call.bits() % k_value_span);
        const TxResult r = m_store.transaction([&call, v](Config& c) {
            c.values["a"] = v;
            c.values["b"] = v;
            c.values.insert_or_assign(std::string(k_failed_marker), 1);
            call.chaos_point();
            c.values["c"] = -1;  // invalid: validation fails
            return true;
        });
        if (r.outcome == TxOutcome::committed) {
            call.violate("rollback_leaves_no_trace",
                         fmt::format("failing_tx committed version {} despite a negative value", r.version));
        }
    }

    /// A transaction whose body throws when [faults] says so, after leaving a marker: the store must
    /// roll back (no marker in any later read) and rethrow, which is the expected end of this call.
    void throwing_tx(Call& call) {
        const auto v = static_cast<std::int64_t>(call.bits() % k_value_span);
        const bool fail = call.fault();
        try {
            m_store.transaction([v, fail](Config& c) {
                c.values["a"] = v;
                c.values["b"] = v;
                c.values["c"] = v;
                if (fail) {
                    c.values.insert_or_assign(std::string(k_failed_marker), 1);
                    throw std::runtime_error("injected fault in a transaction body");
                }
                return true;
            });
        } catch (const LockTimeout&) {
            throw;  // not the body's: an operation that could not get its lock fails the job
        } catch (const std::runtime_error&) {
            if (!fail) throw;  // only the injected exception is expected here
        }
    }

    /// An outer transaction whose body reads nest_outer back through get_value() (a read inside the
    /// write lock: it must see the value the transaction started from), adds one to it, then runs a
    /// nested transaction that adds one to nest_inner and, when it is to fail (one time in three:
    /// it returns false; with [faults]: it throws), leaves the failed_tx marker first. After the
    /// inner one the outer's working copy must hold exactly the outer's edit plus, if the inner
    /// one joined, the inner's; the outer must commit.
    void nested_tx(Call& call) {
        const bool inner_fails = call.bits() % 3 == 0;
        const bool inner_throws = call.fault();
        bool inner_joined = false;
        const TxResult r = m_store.transaction([&](Config& c) {
            const std::int64_t started = c.value_or("nest_outer", 0);
            const std::int64_t read = m_store.get_value("nest_outer", -1);
            if (read != started) {
                call.violate("nested_savepoints",
                             fmt::format("get() inside a transaction body returned nest_outer = {}; the transaction "
                                         "started from {}",
                                         read, started));
            }
            c.values["nest_outer"] = started + 1;
            const Config before_inner = c;
            TxResult inner;
            bool threw = false;
            try {
                inner = m_store.transaction([&](Config& d) {
                    d.values["nest_inner"] += 1;
                    if (inner_throws || inner_fails) d.values.insert_or_assign(std::string(k_failed_marker), 1);
                    if (inner_throws) throw std::runtime_error("injected fault in a nested transaction body");
                    return !inner_fails;
                });
            } catch (const LockTimeout&) {
                throw;  // not the body's: the inner transaction could not get its lock
            } catch (const std::runtime_error&) {
                if (!inner_throws) throw;
                threw = true;
            }
            inner_joined = !threw && inner.outcome == TxOutcome::joined;
            if (!threw && inner.outcome != (inner_fails ? TxOutcome::rolled_back : TxOutcome::joined)) {
                call.violate("nested_savepoints", fmt::format("a nested transaction that was to {} ended {}",
                                                              inner_fails ? "fail" : "join",
                                                              outcome_name(inner.outcome)));
            }
            Config expected = before_inner;
            if (inner_joined) expected.values["nest_inner"] += 1;
            if (c != expected) {
                call.violate("nested_savepoints",
                             fmt::format("after a nested transaction that {}, the working copy differs from the "
                                         "outer's edits{}: {}",
                                         inner_joined ? "joined" : (threw ? "threw" : "failed"),
                                         inner_joined ? " plus the inner's" : "", difference(expected, c)));
            }
            return true;
        });
        if (r.outcome != TxOutcome::committed) {
            call.violate("nested_savepoints", fmt::format("the outer transaction ended {}, not committed",
                                                          outcome_name(r.outcome)));
            return;
        }
        m_nested_commits.fetch_add(1, std::memory_order_relaxed);
        if (inner_joined) m_nested_joins.fetch_add(1, std::memory_order_relaxed);
    }

    void reload(Call& call) {
        const ReloadResult r = m_store.reload();
        if (r.outcome == ReloadOutcome::unparsable) {
            call.violate("file_intact", fmt::format("reload: the file does not parse: {}", r.detail));
        } else if (r.outcome == ReloadOutcome::mismatch) {
            call.violate("file_intact", fmt::format("reload: file and state differ: {}", r.detail));
        } else if (r.outcome == ReloadOutcome::no_file && !m_store.path().empty()) {
            call.violate("file_intact", "reload: the file is missing");
        }
    }

    void invalidate(Call&) { m_store.invalidate_caches(); }

    void stats(Call& call) {
        const ConfigStats s = m_store.stats();
        m_threads[call].sink += s.transaction_history_count + s.change_listeners_count;
    }

    void check_lost_updates(Check& check) {
        const Config state = m_store.peek();
        const auto increments = m_increments.load(std::memory_order_relaxed);
        const std::int64_t counter = state.value_or("counter", 0);
        if (counter != static_cast<std::int64_t>(increments)) {
            check.fail(fmt::format("counter is {} after {} committed increments ({} lost)", counter, increments,
                                   static_cast<std::int64_t>(increments) - counter));
        }
    }

    void check_fields(Check& check) {
        const Config state = m_store.peek();
        if (const auto problem = fields_problem(state)) {
            check.fail(fmt::format("state version {}: {}", state.version, *problem));
        }
    }

    void check_no_trace(Check& check) {
        const Config state = m_store.peek();
        if (const auto problem = trace_problem(state)) {
            check.fail(fmt::format("state version {}: {}", state.version, *problem));
        }
    }

    void check_file(Check& check) {
        if (m_store.path().empty()) return;
        const Config state = m_store.peek();
        const auto text = read_file(m_store.path());
        if (!text) {
            check.fail(fmt::format("{} is missing", m_store.path()));
            return;
        }
        const auto parsed = parse(*text);
        if (!parsed) {
            check.fail(fmt::format("the file does not parse ({} bytes)", text->size()));
        } else if (*parsed != state) {
            check.fail(fmt::format("the file holds version {} ({} values), the state version {} ({} values)",
                                   parsed->version, parsed->values.size(), state.version, state.values.size()));
        }
    }

    void check_nested(Check& check) {
        const Config state = m_store.peek();
        const auto commits = static_cast<std::int64_t>(m_nested_commits.load(std::memory_order_relaxed));
        const auto joins = static_cast<std::int64_t>(m_nested_joins.load(std::memory_order_relaxed));
        const std::int64_t outer = state.value_or("nest_outer", 0);
        const std::int64_t inner = state.value_or("nest_inner", 0);
        if (outer != commits || inner != joins) {
            check.fail(fmt::format("nest_outer = {} after {} committed nested_tx, nest_inner = {} after {} joined inner "
                                   "transactions",
                                   outer, commits, inner, joins));
        }
    }

    /// Lockstep arbiter: how much the counter grew this round. With two threads that each ran one
    /// `increment`, "2"; "1" is an increment lost.
    void observe_counter(RoundOutcome& out) { out.add(m_store.peek().value_or("counter", 0) - m_round_base); }

    /// Between rounds: the next round counts from the counter as it is. The store itself is left as
    /// it is, so that rounds scenarios keep comparing the counter with every increment of the job.
    void next_round() { m_round_base = m_store.peek().value_or("counter", 0); }

    void check_listeners(Check& check) {
        const Config state = m_store.peek();
        std::lock_guard g(m_listener_mutex);
        for (const auto& p : m_listener_problems) check.fail(p);
        m_listener_problems.clear();
        if (const auto seen = m_last_notified.load(std::memory_order_relaxed); seen != state.version) {
            check.fail(fmt::format("listeners last saw version {}, the last commit is version {}", seen,
                                   state.version));
        }
    }

private:
    /// What one worker thread records; only that thread touches it while ops run.
    struct Local {
        std::uint64_t last_version = 0;  ///< the newest version this thread has read
        std::uint64_t sink = 0;          ///< results folded in, so that no read is optimized away
    };

    static std::string key_name(std::uint64_t key) { return fmt::format("k{}", key); }

    static void check_read(Call& call, Local& me, std::string_view what, std::uint64_t version, std::uint64_t floor) {
        if (version < floor) {
            call.violate("no_stale_read",
                         fmt::format("{} on thread {} returned version {}, but version {} was committed before it "
                                     "started",
                                     what, call.thread(), version, floor));
        }
        if (version < me.last_version) {
            call.violate("versions_monotonic", fmt::format("{} on thread {} returned version {} after version {}",
                                                           what, call.thread(), version, me.last_version));
        }
        me.last_version = std::max(me.last_version, version);
    }

    static std::string_view outcome_name(TxOutcome outcome) {
        switch (outcome) {
            case TxOutcome::committed: return "committed";
            case TxOutcome::rolled_back: return "rolled back";
            case TxOutcome::joined: return "joined";
        }
        return "?";
    }

    /// The values on which two configurations differ, "name: x -> y" each (absent: "-").
    static std::string difference(const Config& expected, const Config& actual) {
        std::string out;
        auto note = [&](const std::string& name) {
            const auto e = expected.values.find(name);
            const auto a = actual.values.find(name);
            const std::string ev = e == expected.values.end() ? "-" : std::to_string(e->second);
            const std::string av = a == actual.values.end() ? "-" : std::to_string(a->second);
            if (ev != av) out += fmt::format("{}{}: {} -> {}", out.empty() ? "" : ", ", name, ev, av);
        };
        for (const auto& [name, value] : expected.values) note(name);
        for (const auto& [name, value] : actual.values) {
            if (!expected.values.contains(name)) note(name);
        }
        return out;
    }

    static std::optional<std::string> fields_problem(const Config& c) {
        const auto a = c.value_or("a", 0);
        const auto b = c.value_or("b", 0);
        const auto cc = c.value_or("c", 0);
        if (a == b && b == cc) return std::nullopt;
        return fmt::format("version {} has a = {}, b = {}, c = {}", c.version, a, b, cc);
    }

    static std::optional<std::string> trace_problem(const Config& c) {
        if (c.values.contains(k_failed_marker)) {
            return fmt::format("version {} holds the marker '{}' of a rolled-back transaction", c.version,
                               k_failed_marker);
        }
        for (const auto& [name, value] : c.values) {
            if (value < 0) return fmt::format("version {} holds {} = {}", c.version, name, value);
        }
        return std::nullopt;
    }

    /// Applies a new volume as a component would, by committing volume_applied = volume. A write
    /// from a listener: the store delivers its commit after this call, to every listener, in order.
    void apply_volume(const Config& committed) {
        const std::int64_t volume = committed.value_or("volume", 0);
        if (volume == committed.value_or("volume_applied", volume)) return;
        m_store.transaction([](Config& c) {
            c.values["volume_applied"] = c.value_or("volume", 0);
            return true;
        });
    }

    void on_commit(const Config& committed) {
        const std::uint64_t last = m_last_notified.load(std::memory_order_relaxed);
        if (committed.version != last + 1) {
            std::lock_guard g(m_listener_mutex);
            m_listener_problems.push_back(
                fmt::format("a listener saw version {} right after version {}", committed.version, last));
        }
        m_last_notified.store(std::max(last, committed.version), std::memory_order_relaxed);
        // React to the change by reading the store back, as a component would.
        m_listener_sink.fetch_add(static_cast<std::uint64_t>(m_store.get_value("volume", 0)),
                                  std::memory_order_relaxed);
    }

    ConfigStore m_store;
    PerThread<Local> m_threads;
    std::atomic<std::uint64_t> m_increments{0};     ///< increment transactions that committed
    std::atomic<std::uint64_t> m_last_notified{0};  ///< listeners are called one at a time
    std::atomic<std::uint64_t> m_listener_sink{0};
    std::atomic<std::uint64_t> m_nested_commits{0};  ///< nested_tx outer transactions that committed
    std::atomic<std::uint64_t> m_nested_joins{0};    ///< ...whose inner transaction joined
    std::int64_t m_round_base = 0;  ///< the counter when this round began (lockstep; written between rounds)
    std::mutex m_listener_mutex;
    std::vector<std::string> m_listener_problems;  ///< under m_listener_mutex
};

using namespace std::chrono_literals;
using A = ConfigStoreAdapter;

THREADMILL_TARGET(
    target<A>("config_store")
        .describe("SpotiPi's thread-safe config manager: fair RW lock, per-thread and global caches, atomic file, "
                  "transactions with rollback, change listeners")
        .source_document("001_c9cefca6e6ecdf16.txt")
        .model("kv")
        .variant("safe",
                 "the documented design: fair RW lock with timeouts, per-thread and global caches invalidated by "
                 "every commit, atomic file replace, all-or-nothing transactions, listeners after the commit outside "
                 "the lock")
        .mutant("load_modify_save", "invariant:no_lost_updates",
                "transactions are load_config(), modify, save_config(): the load and the save are separate critical "
                "sections")
        .mutant("stale_thread_cache", "invariant:no_stale_read",
                "a commit clears only the committing thread's cache: other threads read their cached copy until its "
                "TTL ends")
        .mutant("torn_write", "invariant:file_intact", "the file is truncated and rewritten in place, a line at a time")
        .mutant("no_rollback", "invariant:rollback_leaves_no_trace",
                "transactions edit the live configuration: a failed validation leaves the edits made before it")
        .mutant("reader_preferring", "slo",
                "the RW lock admits readers past waiting writers: overlapping readers starve writers")
        .mutant("live_snapshot", "race",
                "snapshot() keeps a reference to the live state and makes its deep copy after the read lock is "
                "released, while a commit may replace the state")
        .mutant("lock_leak_on_throw", "exception",
                "transactions take and release the write lock by hand: a body that throws leaves with the lock held, "
                "and the next operation of another thread gives up after its lock timeout (LockTimeout)")
        .mutant("listener_under_lock", "invariant:listeners_in_order",
                "listeners are called inside the write lock: a listener's write commits (re-entrantly) and is "
                "delivered to every listener before the commit that caused it reaches the later listeners")
        .mutant("non_reentrant_lock", "exception",
                "the RW lock is not re-entrant: a nested transaction, or a read inside a transaction body, waits for "
                "the write lock its own thread holds until the lock timeout (LockTimeout)")
        .param(boolean_param("persist", true,
                             "write the config file in the job's work_dir at every commit (false: memory only)"))
        .param(duration_param("thread_cache_ttl", 1s, 0ns, 1h,
                              "lifetime of a thread's cached copy (the document: 1s); 0ns: no per-thread cache"))
        .param(duration_param("lock_timeout", 5s, 1ms, 1h,
                              "longest wait for the RW lock; past it the operation throws LockTimeout (an exception)"))
        .param(integer_param("filler_fields", 8, 0, 4096,
                             "extra values in the config: the size of every snapshot copy and file write"))
        .param(boolean_param("fsync", false, "fsync the temporary file before the rename (slow)"))
        .param(duration_param("read_hold", 0ns, 0ns, 10ms,
                              "read_fields busy-works this long under the read lock after its copy (a slow deep copy)"))
        .op("get", &A::get,
            "get_value(\"k<key>\"); checks freshness and that the version never goes backwards")
        .op("set", &A::set, "set_value(\"k<key>\", arg): a one-value transaction")
        .op("set_volume", &A::set_volume,
            "set_value(\"volume\", arg); the applier listener then writes volume_applied from inside its callback")
        .op("increment", &A::increment, "transaction: counter += 1 (read-modify-write)")
        .op("multi_field", &A::multi_field, "transaction: a = b = c = arg (several fields kept equal)")
        .op("read_fields", &A::read_fields,
            "snapshot(): a deep copy; checks a == b == c, no failed transaction's trace, freshness, version order")
        .op("failing_tx", &A::failing_tx,
            "transaction that sets a and b, marks failed_tx, sets c = -1 and fails validation: must roll back")
        .op("throwing_tx", &A::throwing_tx,
            "transaction that sets a = b = c; with [faults], its body marks failed_tx and throws: the store must "
            "roll back and rethrow (caught here)")
        .op("nested_tx", &A::nested_tx,
            "transaction whose body reads through get() and runs a nested transaction that fails one time in three "
            "(throws with [faults]): only the inner edits are undone, the outer commits")
        .op("reload", &A::reload,
            "re-reads the file without the store's lock (as another process would): it must parse; if current it is "
            "adopted")
        .op("invalidate", &A::invalidate,
            "invalidate_caches(): drops the global cache and every thread's cache")
        .op("stats", &A::stats, "stats(): transaction history count and listener count")
        .invariant("no_lost_updates", &A::check_lost_updates,
                   "quiescent: the counter equals the number of increment transactions that committed")
        .invariant("fields_equal", &A::check_fields,
                   "online and quiescent: no snapshot ever shows a, b and c unequal")
        .invariant("rollback_leaves_no_trace", &A::check_no_trace,
                   "online and quiescent: no snapshot or state holds a negative value or the failed_tx marker of a "
                   "rolled-back transaction")
        .invariant("versions_monotonic", "online: the version each thread reads never goes backwards")
        .invariant("no_stale_read",
                   "online: a read returns at least the version committed before it started (every cache invalidated)")
        .invariant("file_intact", &A::check_file,
                   "online: the file always parses (reload); quiescent: it holds exactly the last committed state")
        .invariant("listeners_in_order", &A::check_listeners,
                   "listeners see every commit exactly once, in commit order; quiescent: the last one seen is the "
                   "last commit")
        .invariant("nested_savepoints", &A::check_nested,
                   "online: a read inside a transaction body sees the state it started from; a nested transaction's "
                   "failure undoes its own edits only, and the outer one commits; quiescent: nest_outer and "
                   "nest_inner count the committed nested_tx and their joined inner transactions")
        .arbiter(&A::observe_counter, "how much the counter grew this round (lockstep: one `increment` per thread)")
        .reset(&A::next_round));

}  // namespace
}  // namespace threadmill::config_store
